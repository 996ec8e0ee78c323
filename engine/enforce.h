/* Pure decisions of scheduled enforcement (`snapkeep run`): when a disk is
 * due for a snapshot, when its history looks stalled, what a new snapshot
 * is called, which pruned snapshots a policy may delete, the max-delete
 * cut, and whether a snapshot re-read just before its delete still matches
 * the plan. No I/O, no clock: `now` is a parameter. Every function here
 * fails closed: when in doubt, nothing is deleted. */
#ifndef SNAPKEEP_ENFORCE_H
#define SNAPKEEP_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/evaluate.h"
#include "engine/inventory.h"
#include "engine/names.h"
#include "engine/policy.h"
#include "engine/azure_limits.h"
#include "engine/sktime.h"

/* max-delete when the policy does not set it. */
#define ENF_DEFAULT_MAX_DELETE 50
/* Largest |ARM Date - local clock| a run accepts before refusing deletes. */
#define ENF_SKEW_LIMIT_SEC 300
/* ARM's limit on resource names. */
#define ENF_NAME_MAX ENG_NAME_MAX
/* "-20261126T120000Z": what enf_snapshot_name appends to the disk name. */
#define ENF_NAME_SUFFIX_LEN 17
/* Largest timer jitter tolerated by the due check (and the slack within
 * which a snapshot dated slightly after `now` still counts as taken). */
#define ENF_JITTER_MAX_USEC (INT64_C(300) * SK_USEC_PER_SEC)

/* inv_id_equal, under the name cli/ knows it by. */
bool enf_same_id(const char *a, const char *b);
/* The last path segment of an ARM ID (the resource's name). */
const char *enf_id_name(const char *id);

/* A snapshot that holds data: provisioning state Succeeded, ASCII case
 * ignored (or absent or empty, as in offline inventories), and its
 * background copy finished (completionPercent absent or 100, no
 * copyCompletionError). The one rule for "a backup": only these take part
 * in the evaluator's rules, are picked for a restore and are deleted. */
bool enf_snapshot_usable(const inv_snapshot *s);
/* A snapshot that counts as taken for the due check: anything but a
 * Failed or Canceled creation (one still Updating will finish) or a
 * background copy that failed. A snapshot neither usable nor taken is what
 * plans report as failed. */
bool enf_snapshot_taken(const inv_snapshot *s);
/* Provisioned, but its background copy (Premium SSD v2, Ultra, a copy
 * across regions) has not reached 100 % and has not failed: it cannot make
 * a disk yet, and it is one of the ENG_PENDING_PER_DISK_MAX Azure allows a
 * disk at once. */
bool enf_snapshot_pending(const inv_snapshot *s);
/* Its background copy failed (copyCompletionError) while its provisioning
 * did not: it will never finish. */
bool enf_snapshot_copy_failed(const inv_snapshot *s);

/* How many snapshots of disk `disk_id` are pending (enf_snapshot_pending),
 * whoever made them; with `unique_id` (may be NULL), only those of that
 * incarnation of the disk. */
size_t enf_pending_of_disk(const inv_inventory *inv, const char *disk_id,
                           const char *unique_id);
/* Whether `run` may start one more snapshot of a disk that has `pending`
 * copies pending: Azure refuses a fourth (ENG_PENDING_PER_DISK_MAX). */
bool enf_may_start_pending(size_t pending);

/* The newest snapshot of source disk `disk_id` (NULL: snapshots with no
 * source) that policy p owns and that counts as taken, ignoring ones dated
 * more than ENF_JITTER_MAX_USEC after now. With `unique_id` (the disk's
 * uniqueId, may be NULL), snapshots of an earlier disk of the same name
 * (another creationData.sourceUniqueId) do not count: a disk made again
 * has no snapshot yet. SK_TIME_MIN when none. */
sk_time enf_newest_owned(const pol_policy *p, const inv_inventory *inv,
                         const char *disk_id, const char *unique_id, sk_time now);

/* Tolerance for timer jitter: min(5 min, cadence / 10), the cadence
 * measured back from now. 0 when the policy has no `snapshot every`. */
int64_t enf_jitter_usec(const pol_policy *p, sk_time now);

/* Whether a disk whose newest owned snapshot is `newest` (SK_TIME_MIN:
 * none) is due for a new one at `now`: its age is at least the cadence
 * minus the jitter tolerance. Never due without `snapshot every`. */
bool enf_is_due(const pol_policy *p, sk_time newest, sk_time now);

/* k times a duration (k >= 1), each part capped so the sum stays within
 * what eng_time_sub accepts (it clamps at the earliest instant anyway):
 * the stale threshold's three cadences, status's two. */
pol_duration enf_duration_times(const pol_duration *d, int64_t k);

typedef enum enf_staleness {
    ENF_FRESH,          /* newest owned snapshot young enough */
    ENF_STALE,          /* older than stale-after, or 3x the cadence */
    ENF_UNJUDGED        /* no cadence and no stale-after, or no snapshot */
} enf_staleness;

/* Judged on the inventory before this run's creations. *limit (may be
 * NULL) receives the instant a newest snapshot must be newer than. */
enf_staleness enf_staleness_of(const pol_policy *p, sk_time newest, sk_time now,
                               sk_time *limit);

/* "<disk>-<UTC yyyymmddThhmmssZ>" for a snapshot taken at t. Characters
 * ARM does not allow in names become '-', and the disk part is cut so the
 * whole fits ENF_NAME_MAX. Returns the length, or -1 when buf is too small
 * (ENF_NAME_MAX + 1 always suffices) or t cannot be written. */
int enf_snapshot_name(const char *disk_name, sk_time t, char *buf, size_t n);

/* max-delete of a policy: its setting, else ENF_DEFAULT_MAX_DELETE. */
int64_t enf_max_delete(const pol_policy *p);
/* What one run may delete for p: enf_max_delete(p), lowered by a
 * run-wide limit (`run --max-delete`; negative: none given). */
int64_t enf_run_max_delete(const pol_policy *p, int64_t run_limit);

/* Whether policy p may delete the snapshot of decision d: pruned by the
 * plan (so no policy of the file keeps it), not future, not unmanaged,
 * holding data, and owned by p (its ownership tag names p, or it is
 * untagged under `adopt untagged`). Bare-body policies own everything in
 * offline plans but never delete in a run: callers refuse them earlier. */
bool enf_may_delete(const pol_policy *p, const eng_decision *d,
                    const inv_inventory *inv);

/* A delete candidate; enf_cut orders them and marks the deferred ones. */
typedef struct enf_candidate {
    const inv_snapshot *snap;
    size_t index;           /* caller's reference (e.g. decision index) */
    bool deferred;          /* over max-delete: left for a later run */
} enf_candidate;

/* Sorts oldest first (equal times: smaller name first), keeps the first
 * max_delete (negative: the default) and marks the rest deferred. Returns
 * how many may be deleted now. */
size_t enf_cut(enf_candidate *c, size_t n, int64_t max_delete);

typedef enum enf_confirm {
    ENF_CONFIRM_OK,         /* still the snapshot that was planned */
    ENF_CONFIRM_ID,         /* a different resource under that name */
    ENF_CONFIRM_TIME,       /* timeCreated changed */
    ENF_CONFIRM_SOURCE,     /* source disk changed */
    ENF_CONFIRM_OWNER,      /* ownership tag added, removed or changed */
    ENF_CONFIRM_HOLD,       /* now matches a `tagged` rule (legal hold) */
    ENF_CONFIRM_STATE       /* no longer a Succeeded snapshot */
} enf_confirm;

/* The last check before a DELETE: `current` is the snapshot as ARM shows
 * it now, `planned` as it was when the plan pruned it. Any difference that
 * could change the decision says no. `all` are every policy of the file:
 * a `tagged` rule of any of them holds the snapshot. */
enf_confirm enf_confirm_delete(const pol_policy *owner,
                               const pol_policy *const *all, size_t nall,
                               const inv_snapshot *planned,
                               const inv_snapshot *current);
const char *enf_confirm_text(enf_confirm c);

/* ---- Azure's per-disk limits (engine/azure_limits.h), enforce_limits.c ----
 * What a run may create for one disk, judged on the live listing of the
 * policy's scope: every snapshot of the disk counts, whoever made it. */

/* The snapshots a disk already has, as the limits see them. */
typedef struct enf_disk_load {
    size_t incremental;     /* incremental snapshots of the disk: the 500 cap */
    size_t foreign;         /* of those, not owned by the policy asked about */
    size_t recent;          /* snapshots of the disk (any kind) created in the
                             * window of ENG_CREATE_WINDOW_SECONDS ending at now */
    /* the newest ENG_CREATES_PER_WINDOW creation times in the window, oldest
     * first (the first `nwindow` are set) */
    sk_time window[ENG_CREATES_PER_WINDOW];
    size_t nwindow;
} enf_disk_load;

/* Counts the snapshots of disk disk_id in inv for policy p at now. */
void enf_disk_load_of(const pol_policy *p, const inv_inventory *inv, const char *disk_id,
                      sk_time now, enf_disk_load *out);
/* Adds a creation this run makes at t (so a second policy of the same disk
 * in the same run sees it). */
void enf_disk_load_add(enf_disk_load *l, sk_time t, bool incremental);

typedef enum enf_create_limit {
    ENF_CREATE_OK,
    ENF_CREATE_CAP,         /* incremental, and the disk holds ENG_SNAPSHOTS_PER_DISK_MAX */
    ENF_CREATE_RATE         /* ENG_CREATES_PER_WINDOW created within the window */
} enf_create_limit;

/* Whether one more snapshot (incremental or full) may be created at now.
 * ENF_CREATE_RATE sets *retry_at (may be NULL) to the first instant a
 * creation is allowed again. The cap comes first: waiting does not lift it. */
enf_create_limit enf_create_allowed(const enf_disk_load *l, bool incremental, sk_time now,
                                    sk_time *retry_at);

/* Whether a disk holding n snapshots is within 10 % of the cap
 * (ENG_SNAPSHOTS_NEAR_CAP or more): what `plan` warns about. */
bool enf_near_cap(size_t n);

/* One disk's snapshot count in an inventory, for the near-cap warning. */
typedef struct enf_disk_count {
    const char *disk_id;    /* borrowed from the inventory */
    size_t incremental, foreign_tagless;
} enf_disk_count;

/* The disks of inv whose incremental snapshots reach ENG_SNAPSHOTS_NEAR_CAP,
 * in the order first seen, into a malloc'd array (*out, free()); returns
 * how many, or -1 when out of memory. foreign_tagless counts the ones no
 * snapkeep policy tagged. */
long enf_near_cap_disks(const inv_inventory *inv, enf_disk_count **out);

#endif
