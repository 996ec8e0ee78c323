/* Internal to `snapkeep run`: the state one run carries between its steps
 * (cmd_run.c drives; run_judge.c finds the disks and judges them;
 * run_create.c creates what is due; run_prune.c deletes what the plan
 * prunes; run_report.c writes the summary and metrics). */
#ifndef SNAPKEEP_RUN_H
#define SNAPKEEP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "azure/azure.h"
#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "cli/journal.h"
#include "cli/log.h"
#include "cli/state.h"
#include "engine/copies.h"
#include "engine/enforce.h"
#include "engine/evaluate.h"
#include "engine/lease.h"

/* Batches at least this long get a progress line on a terminal. */
#define RUN_PROGRESS_MIN 8

/* The policy's lease in Azure (cli/run_lease.c). */
typedef struct run_lease {
    char scope[512];            /* "/subscriptions/S" or ".../resourceGroups/RG" */
    char tag[ENG_LEASE_NAME_MAX + 1];
    char value[ENG_LEASE_VALUE_MAX + 1];    /* what we wrote; "" when nothing */
    int64_t since_ms;           /* when the read before our last write was sent */
    bool held;                  /* confirmed ours by the read after the wait */
} run_lease;

/* A disk the policy takes snapshots of. */
typedef struct run_disk {
    char *id;                   /* ARM ID */
    char *location;             /* NULL until known */
    const char *unique_id;      /* its uniqueId (in r->before), NULL when unknown */
    sk_time newest;             /* newest owned snapshot of this disk (this
                                   uniqueId) before creation */
    bool due;
} run_disk;

/* Staleness of one source disk's owned snapshots, judged before creation. */
typedef struct run_group {
    char *source;               /* NULL: snapshots without a source disk */
    sk_time newest;
    sk_time limit;
    enf_staleness stale;
    eng_identity identity;      /* a retired disk (gone) is never stale */
} run_group;

typedef struct run_counts {
    size_t kept, created, pruned, failed, deferred;
} run_counts;

typedef struct run_policy {
    const pol_policy *p;
    const char *subscription;
    run_disk *disks;
    size_t ndisks;
    run_group *groups;
    size_t ngroups;
    bool no_deletes;            /* a rail closed deletion for this policy */
    bool failed;                /* an action or step failed for this policy */
    run_lease lease;
    bool stale;                 /* some disk looked stalled */
    run_counts n;
    /* copy-to (run_copy.c): the copy resource group's listing, the copies started and
     * deleted, and the reasons that hold sources (freed after the plan) */
    const char *copy_subscription;
    inv_inventory *copy_inv;
    size_t copies_started, copies_pruned, copies_failed, copies_deferred;
    void *copy_holds;
} run_policy;

typedef struct run_ctx {
    /* options */
    const char *policy_path;
    bool dry_run, allow_stale;
    sk_time now;                /* --now, else the clock at start */
    sk_time real_start;
    int64_t max_delete;         /* --max-delete; -1: not given */
    const char *state_dir, *metrics_file;
    int64_t lease_wait_ms;      /* --lease-wait */
    cli_azure az;
    cli_log log;
    /* resources */
    cli_state state;
    cli_journal journal;
    bool journaling;
    az_client *client;
    pol_file *file;
    run_policy *pols;
    size_t npols;
    inv_inventory *before;      /* listing before creation */
    inv_inventory *after;       /* re-read after creation (may be `before`) */
    /* what happened, for the exit code */
    bool azure_failed, partial, stale, refused;
    /* IDs of the snapshots this run deleted (pointing into the listing),
     * so the last-run record counts what is left */
    const char **deleted;
    size_t ndeleted, capdeleted;
    bool lease_lost;            /* a lease is no longer surely ours: no more changes */
} run_ctx;

/* The run's clock: --now (or the start time) plus the real time elapsed. */
sk_time run_clock(const run_ctx *r);
/* Journals a line (a no-op in a dry run). -1 when it could not be written:
 * the caller must not send the change it announces. */
int run_journal(run_ctx *r, const cli_journal_entry *e);
/* Journals the outcome of one finished az_op (op_name: "create", "copy",
 * "delete"): done, already-gone (a delete that found nothing), skipped
 * (its confirm said no: skipped_why) or failed with ARM's code and message. */
void run_journal_outcome(run_ctx *r, const char *op_name, const char *policy, const char *disk,
                         const char *resource, const az_op *op, const char *skipped_why);
/* Logs an ARM error with its code, status and request id. */
void run_log_az(run_ctx *r, cli_log_level level, const char *event, const run_policy *rp,
                const char *resource, const az_error *err, const char *what);
/* Whether ARM answered about this one operation and refused or failed it
 * (a 4xx other than 408/429, or a resource read back as Failed): counted as a partial run, the rest goes on. Otherwise (no
 * answer, retries exhausted, 5xx) it is an Azure failure: exit 3 and no
 * deletions after it. */
bool run_err_is_client(const az_error *err);

/* Logs why no snapshot is created for a disk; marks the run partial. */
void run_disk_problem(run_ctx *r, run_policy *rp, const char *disk, const char *why);

/* run_judge.c: resolves each policy's disks and judges, on r->before,
 * which are due and which look stalled. */
void run_judge(run_ctx *r);
/* run_create.c: creates what is due (in a dry run, adds a stand-in for
 * each to `would` so the plan shows what the run would do). */
void run_create(run_ctx *r, inv_inventory *would);

/* run_prune.c: deletes what the plan prunes that each policy may delete,
 * within max-delete, each confirmed against ARM just before its delete. */
void run_prune(run_ctx *r, const eng_plan *plan, const inv_inventory *inv);

/* run_copy.c: copy-to. run_copy_list lists every copy resource group (false, logged and
 * r->azure_failed set, when any page fails: nothing is then created, copied or deleted);
 * run_copy_start starts the due copies (journaled) and holds their sources and those of the
 * copies still running in plan, before run_prune; run_copy_prune evaluates and prunes the
 * copies on their own listing with the rails of run_prune. */
bool run_copy_list(run_ctx *r);
void run_copy_start(run_ctx *r, eng_plan *plan, const inv_inventory *inv);
void run_copy_prune(run_ctx *r);
void run_copy_free(run_policy *rp);
/* run_lease.c: the lease in Azure per policy (doc/design.md). Takes
 * them all, before anything is listed: EXIT_OK, EXIT_REFUSED (another run
 * holds one: logged with its holder) or EXIT_AZURE (reading or writing a
 * lease failed; nothing is changed). */
int run_lease_take(run_ctx *r);
/* The subscription a policy's lease lives in: its own; the first of several
 * it names; for `subscription all` the one --subscription or
 * AZURE_SUBSCRIPTION_ID gives; NULL when there is none (check_policies
 * refuses such a run, exit 1, before anything is listed). */
const char *run_lease_subscription(const run_ctx *r, const run_policy *rp);
/* Renews what is due; a lease found lost or that cannot be renewed in
 * time sets lease_lost (and refused or azure_failed). */
void run_lease_keep(run_ctx *r);
/* Whether every lease still surely holds (true in a dry run). */
bool run_lease_ok(const run_ctx *r);
/* Removes the leases still ours (a failure only warns: they expire). */
void run_lease_release(run_ctx *r);

/* run_report.c */
/* Whether a policy's part of the run succeeded: nothing failed or held back. */
bool run_policy_ok(const run_ctx *r, const run_policy *rp);
void run_count_kept(run_ctx *r, const eng_plan *plan, const inv_inventory *inv);
void run_summary(run_ctx *r, int exit_code);
/* Remembers the last success per policy (not in a dry run) and writes
 * --metrics-file; inv (may be NULL) gives the newest snapshot ages. -1
 * when the metrics file could not be written (logged, naming the path). */
int run_metrics(run_ctx *r, const inv_inventory *inv, int exit_code);

/* run_record.c: the last-run record `snapkeep status` reads (cli/health.h):
 * per policy the run's time, exit code and counts, and per disk the
 * newest usable snapshot and how many snapshots are left after the run's
 * deletions. Not in a dry run. */
void run_record(run_ctx *r, int exit_code);

#endif
