/* Carries out a recovery plan (engine/recovery.h) against ARM: each step
 * not already done is journaled before it is sent and after it ends, timed,
 * and printed; the first step that fails stops the operation with a
 * message naming the step, ARM's answer and the command that resumes.
 * Also the views of ARM's VMs and disks the planner reads. */
#ifndef SNAPKEEP_RCV_EXEC_H
#define SNAPKEEP_RCV_EXEC_H

#include <stdbool.h>
#include <stdio.h>

#include "azure/azure.h"
#include "azure/vm.h"
#include "cli/journal.h"
#include "cli/log.h"
#include "engine/recovery.h"

/* On a disk restore --replace-on puts in service: the replaced disk's ID
 * (release refuses such a disk). */
#define CLI_TAG_REPLACES "snapkeep-replaces"
/* On the disk taken out of service: the new disk's ID, and when. */
#define CLI_TAG_REPLACED_BY "snapkeep-replaced-by"
#define CLI_TAG_REPLACED_AT "snapkeep-replaced-at"
/* On the copy restore --attach-to attaches: the VM it is for. release
 * detaches a restored disk only from that VM. */
#define CLI_TAG_COPY_FOR "snapkeep-copy-for"

typedef struct cli_rcv_run {
    const char *command;        /* "restore", "release": message prefix */
    az_client *client;
    cli_journal *journal;       /* NULL: nothing journaled (never for real runs) */
    cli_log *log;
    const char *policy;         /* journal fields */
    const char *source_disk;
    const az_op *create;        /* the disk creation RCV_CREATE_DISK sends */
    const az_op *creates;       /* or one per disk (failover --restore), by op.id */
    size_t ncreates;
    const char *replaced_by;    /* RCV_TAG_REPLACED: the new disk's ID */
    const char *resume_line;    /* the command that resumes, for failures */
    /* After a step whose answer was lost (az_error.ambiguous: it may have
     * reached ARM), the state is read again and the plan recomputed, as a
     * resumed command would; NULL: fail instead. Returns RCV_OK with *p
     * replaced, a refusal (p->why says it), or -1 when reading failed
     * (err says why). */
    int (*replan)(void *ctx, rcv_plan *p, az_error *err);
    void *replan_ctx;
    /* results */
    double seconds[RCV_MAX_STEPS];  /* per step; 0 for steps already done */
    double total_seconds;
    size_t failed_step;         /* 1-based; 0: none failed */
    az_error err;
} cli_rcv_run;

/* Runs every step of p not marked done, in order (p is replaced when a
 * lost answer makes it read the state again). Returns EXIT_OK, or
 * EXIT_AZURE (Azure or the network failed) / EXIT_PARTIAL (ARM refused or
 * failed the step) / EXIT_INVALID (a journal line could not be written:
 * nothing more is sent) with the failure printed. */
int cli_rcv_execute(cli_rcv_run *x, rcv_plan *p);

/* "deallocate VM vm1", "attach disk d to VM vm1 at LUN 2 (caching None)". */
void cli_rcv_step_text(char *buf, size_t n, const rcv_step *s);
/* A DNS record set's ID as "ZONE/NAME" (a static buffer). */
const char *cli_rcv_record_name(const char *record_id);
/* The plan as numbered lines ("  3. detach ... [done]"). */
void cli_rcv_print_plan(FILE *f, const rcv_plan *p, const cli_rcv_run *x);
/* The plan as a JSON array of steps (with seconds when x ran it). */
struct cJSON;
struct cJSON *cli_rcv_plan_json(const rcv_plan *p, const cli_rcv_run *x);
/* The end of a recovery command's JSON report (doc/json.md), added to o
 * and the whole printed on stdout, then o freed: "steps"; after a real run
 * "rto_seconds" and "ok" (rc is EXIT_OK), and when a step failed "error"
 * {step, code, message, resume: the command that resumes it}. */
void cli_rcv_json_print(struct cJSON *o, const rcv_plan *p, const cli_rcv_run *x, bool dry_run,
                        int rc, const char *resume);

/* EXIT_NOMEM for an allocation failure (az_error_is_oom; never an Azure
 * failure), EXIT_AZURE for failures of Azure or the network (transport,
 * 429, 5xx, retries spent, time-outs), else EXIT_PARTIAL (ARM answered no). */
int cli_rcv_failure_exit(const az_error *e);

/* After a lost answer: waits (up to CLI_RCV_SETTLE_S) until the VM is in
 * no transition (starting, stopping, deallocating, an update under way),
 * so the state read next is the one ARM ends in. 0, or -1 with err. */
#define CLI_RCV_SETTLE_S 900
int cli_rcv_wait_settled(az_client *c, const char *vm_id, az_error *err);

/* Views for the planner; they point into vm / d, which must outlive them. */
void cli_rcv_vm_view(const az_vm *vm, bool exists, rcv_vm *out, rcv_lun *luns);
void cli_rcv_disk_view(const az_disk_info *d, bool exists, rcv_disk *out);

#endif
