/* Private to snapkeep drill: cli/cmd_drill.c (options, restores, clean-up),
 * cli/drill_attach.c (--attach-to: attach, wait for the device, verify,
 * detach) and cli/drill_report.c (text and JSON reports, the report file,
 * metrics). */
#ifndef SNAPKEEP_DRILL_H
#define SNAPKEEP_DRILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "azure/azure.h"
#include "cli/azure_opts.h"
#include "cli/journal.h"
#include "cli/log.h"
#include "cli/recover.h"
#include "cli/state.h"
#include "cli/verify.h"
#include "engine/policy.h"
#include "engine/sktime.h"

#define DRL_MAX_SAMPLE 100
#define DRL_LAST_SUCCESS_FILE "drill-last-success.json"
/* The last drill's report, kept in the state directory. */
#define DRL_REPORT_FILE "drill-report.json"
#define DRL_DEFAULT_DEVICE_DIR "/dev/disk/azure/scsi1"
#define DRL_DEFAULT_VERIFY_TIMEOUT_S 600
/* How long an attached disk's device node may take to appear. */
#define DRL_DEVICE_TIMEOUT_S 180

/* One restore: a snapshot into a temporary disk, and that disk's delete;
 * with --attach-to also its attach, verify and detach. */
typedef struct drl_restore {
    const inv_snapshot *snap;
    char disk_id[1024];
    char stamp[ENG_TIME_BUFSZ];
    inv_tag tags[3];
    az_op create, del;
    bool sent;              /* the create was sent (so the disk may exist) */
    bool ok;                /* created (verified, with --verify), and its delete done */
    const char *why;        /* a failure found before anything was sent */
    /* --attach-to */
    int lun;                /* -1: not attached */
    bool attached, detached;
    char device[1100];
    char caching[16];       /* --failover: the production disk's */
    double attach_seconds, cleanup_seconds;
    az_error attach_err;    /* attach or detach failure */
    const char *attach_why; /* the device never appeared, no free LUN, ... */
    bool verified;          /* the verify command ran to an exit status */
    cli_verify_result verify;
} drl_restore;

typedef struct drl_disk {
    char *source;           /* the disk's ID */
    const inv_snapshot **snaps;     /* its snapshots the policy owns */
    size_t nsnaps;
    drl_restore *restores;
    size_t nrestores;
    bool drilled;           /* not skipped by an interruption */
    bool restorable;
} drl_disk;

typedef struct drl_policy {
    const pol_policy *p;
    const char *subscription;
    /* --region: the copy resource group's listing, its view (engine/copies.h: a copy counts
     * once complete, dated by its source), and the policy as seen from there (its resource
     * group and subscription the copy's; a shallow copy, never freed) */
    inv_inventory *copies, *view;
    pol_policy at_copy;
    const char *target_subscription;    /* where drill disks go */
    drl_disk *disks;
    size_t ndisks;
    cli_leftovers left;
} drl_policy;

typedef struct drl_ctx {
    /* options */
    const char *policy_path, *policy_name, *state_dir, *metrics_file, *report_file;
    const char *attach_to, *verify_cmd, *device_dir;
    const char *region;             /* --region: drill the policies' copies there */
    bool failover, start_standby;   /* --failover [--start]: the rehearsal */
    const char *standby;            /* --to, else the policy's standby */
    double verify_timeout_s;
    size_t sample;
    uint64_t seed;
    bool have_seed, have_now, json, have_verify_timeout;
    bool wait;                      /* --wait: for a newer snapshot still being copied */
    sk_time now, real_start;
    cli_azure az;
    /* resources */
    cli_log log;
    cli_state state;
    cli_journal journal;
    bool journaling;
    az_client *client;
    pol_file *file;
    inv_inventory *inv;
    inv_inventory **waited;     /* one per --wait: the finished snapshots' records */
    size_t nwaited;
    drl_policy *pols;
    size_t npols;
    cli_leftovers unmarked;     /* drill disks without a policy tag, named once */
    char vm[1024];              /* --attach-to as an ID */
    char vm_zone[8];            /* its availability zone ("" none): drill disks go there */
    double seconds;             /* the whole drill, wall clock */
    /* --failover: what the rehearsal did with the standby */
    bool standby_started, standby_deallocated;
    double start_seconds, deallocate_seconds;
    double failover_rto;        /* first create to the last verify (or attach) */
    az_error standby_err;
    /* outcome */
    bool azure_failed, failed;
} drl_ctx;

sk_time drl_clock(const drl_ctx *d);
bool drl_interrupted(void);

/* Attaches each created drill disk of dd to d->vm in turn, waits for its
 * device, runs the verify command, detaches it. Journaled; never leaves a
 * disk attached that it could detach. */
void drl_attach_and_verify(drl_ctx *d, const drl_policy *dp, drl_disk *dd);
/* --failover: the policy's drill disks (created, one per disk) attached to
 * the standby at the LUNs, caching and write accelerator the production
 * disks have (read, never changed), the standby started with --start, the
 * verify command run for each, then the standby deallocated if the drill
 * started it and the disks detached. Production is only read. */
void drl_failover_rehearse(drl_ctx *d, const drl_policy *dp);
/* Whether a restore's attach and verify (when the drill asked for them)
 * went well: attached, the device seen, verified with exit 0, detached. */
bool drl_restore_proven(const drl_ctx *d, const drl_restore *x);
/* Reads the --attach-to VM once before the drill (it must exist; its
 * zone becomes the drill disks'). 0, or -1 with the failure logged
 * (*azure: Azure failed, else the VM is missing). */
int drl_read_vm(drl_ctx *d, bool *azure);
/* The VM's ID from --attach-to (a name in the policy's resource group, or
 * an ID). 0, or -1 with a message. */
int drl_resolve_vm(drl_ctx *d, const drl_policy *dp);

void drl_report(drl_ctx *d, int rc);
/* -1 when the metrics file could not be written (logged, naming it). */
int drl_metrics(drl_ctx *d);

#endif
