/* Shared by `snapkeep restore` and `snapkeep drill` (and `run`, which may
 * remove drill leftovers): the recovery tags, IDs of new disks, journal
 * lines of disk operations, the removal of interrupted drills' disks and
 * the next steps a restore prints. */
#ifndef SNAPKEEP_RECOVER_H
#define SNAPKEEP_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "azure/azure.h"
#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "cli/journal.h"
#include "cli/log.h"
#include "engine/policy.h"
#include "engine/sktime.h"

/* The source snapshot's resource ID, on every disk restore and drill make. */
#define CLI_TAG_RESTORED_FROM "snapkeep-restored-from"
/* On drill disks only: the drill's start time (RFC 3339). */
#define CLI_TAG_DRILL "snapkeep-drill"
/* On drill disks only: the name of the policy whose drill made the disk.
 * A drill removes only its own policy's leftovers: another policy's drill
 * may be running from another state directory or machine. */
#define CLI_TAG_DRILL_POLICY "snapkeep-drill-policy"


/* Whether a disk name is one ARM accepts (letters, digits, '_', '-', '.';
 * starting with a letter or digit, ending with one or '_'; at most 80). */
bool cli_disk_name_ok(const char *name);

/* Journals the intent (op == NULL results) or outcome of a disk operation
 * ("create-disk" / "delete-disk"). j may be NULL (nothing written).
 * Returns 0, or -1 with the reason logged: an intent that could not be
 * written means the change must not be sent. */
int cli_recover_journal(cli_journal *j, cli_log *log, sk_time t, const char *opname,
                        const char *policy, const char *source, const char *resource,
                        const az_op *done);

/* Runs disk deletes to their end. A delete ARM refuses because an
 * operation is still under way on the disk (409 OperationNotAllowed: a
 * creation that an interrupted drill or a timed-out wait left running) is
 * sent again every CLI_BUSY_WAIT_S seconds, CLI_BUSY_ROUNDS times at most.
 * on_done (may be NULL) then sees each op once, in order. */
#define CLI_BUSY_WAIT_S 2
#define CLI_BUSY_ROUNDS 45
void cli_delete_disks(az_client *c, az_op *ops, size_t n,
                      void (*on_done)(void *ctx, az_op *op), void *ctx);

/* The drill disks an interrupted drill left in a policy's scope. */
typedef struct cli_leftovers {
    char **ids;             /* removed (or already gone) */
    size_t n;
    char **failed_ids;      /* still there: the delete failed */
    size_t nfailed;
} cli_leftovers;
void cli_leftovers_free(cli_leftovers *l);  /* zeroes it; NULL is a no-op */

/* Finds the disks in policy p's resource group (else its subscription)
 * tagged snapkeep-drill, snapkeep-restored-from and snapkeep-drill-policy
 * = p's name whose drill started at least min_age_usec before now (0: all
 * of them), deletes them, waits for each delete, and names each one on the
 * log ("removed leftover drill disk NAME ..."). Only a drill of p makes
 * such disks, so with min_age 0 call it holding the lock drills take (a
 * drill does, first thing); a caller that does not share that lock passes
 * a min_age longer than any drill lasts, e.g. CLI_DRILL_LEFTOVER_AGE.
 * Drill disks without snapkeep-drill-policy are never deleted (whose they
 * are cannot be told): each is named once in a warning, unless its ID is
 * already in unmarked->ids, and then added there (unmarked may be NULL:
 * no memory of earlier reports). j may be NULL; out may be NULL. Returns
 * 0 (none found, or all removed), 1 when some delete failed (named in
 * out->failed_ids and on the log), -1 when the disk listing failed
 * (nothing deleted; logged). */
int cli_drill_cleanup_leftovers(az_client *c, const cli_azure *a, const pol_policy *p,
                                cli_log *log, cli_journal *j, sk_time now,
                                int64_t min_age_usec, cli_leftovers *out,
                                cli_leftovers *unmarked);
/* Whether a disk is such a leftover of policy `policy` (tag names in any
 * case, the policy name exact; a drill time that cannot be read counts as
 * old only when min_age_usec <= 0). */
bool cli_drill_is_leftover(const inv_disk *d, const char *policy, sk_time now,
                           int64_t min_age_usec);
/* Whether a disk is a drill disk (snapkeep-drill and
 * snapkeep-restored-from) that lacks the snapkeep-drill-policy tag. */
bool cli_drill_lacks_policy(const inv_disk *d);
#define CLI_DRILL_LEFTOVER_AGE (INT64_C(24) * 3600 * 1000000)

/* The two procedures of snapkeep(1) RECOVERY, with `az` command lines
 * filled in for a restored disk `new_id` made from snapshots of
 * `source_disk_id` (either may lack a leading '/'). */
void cli_restore_next_steps(FILE *f, const char *new_id, const char *source_disk_id);

#endif
