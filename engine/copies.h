/* Copies of a policy's snapshots in a second region (copy-to, snapkeep.policy(5) COPIES;
 * doc/semantics.md "Copies"). Pure decisions: which copies a run starts (creation order, one
 * per disk at a time, within the parallel limit, failed ones retried a bounded number of
 * times), which sources are held because their copy is being made, and how the copies look to
 * their own retention. No I/O, no clock: `now` and both listings are parameters. */
#ifndef SNAPKEEP_ENGINE_COPIES_H
#define SNAPKEEP_ENGINE_COPIES_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/evaluate.h"
#include "engine/inventory.h"
#include "engine/names.h"
#include "engine/policy.h"
#include "engine/sktime.h"

/* Tags `run` writes on a copy beside POL_OWNER_TAG (the owning policy's name): the source
 * snapshot's ID, its disk's ID, and its timeCreated (the instant of the data, which the copy's
 * retention buckets by, since a copy's own timeCreated is when it was made). */
#define ENG_COPY_OF_TAG "snapkeep-copy-of"
#define ENG_COPY_DISK_TAG "snapkeep-copy-disk"
#define ENG_COPY_TAKEN_TAG "snapkeep-copy-taken"

/* provisioningState a copy in progress shows to its retention (so it is kept "in progress"). */
#define ENG_COPY_STATE_RUNNING "CopyInProgress"

typedef enum eng_copy_state {
    ENG_COPY_DONE,          /* completionPercent 100 or absent, no error: usable */
    ENG_COPY_RUNNING,       /* completionPercent below 100, no error */
    ENG_COPY_FAILED         /* copyCompletionError, or provisioningState Failed/Canceled */
} eng_copy_state;

eng_copy_state eng_copy_state_of(const inv_snapshot *s);
/* A copy: it carries ENG_COPY_OF_TAG. */
bool eng_is_copy(const inv_snapshot *s);
/* A copy policy p owns: ENG_COPY_OF_TAG and POL_OWNER_TAG equal to p's name. */
bool eng_copy_owned(const pol_policy *p, const inv_snapshot *s);

/* A copy as its retention (p->copy->retention) sees it: same name, ID, tags; source = the disk
 * of ENG_COPY_DISK_TAG (so the copies of one disk form one group); created = the
 * ENG_COPY_TAKEN_TAG instant (else its own timeCreated); provisioningState
 * ENG_COPY_STATE_RUNNING while running, "Failed" when failed. False (out untouched) for a
 * snapshot that is not p's copy or lacks the disk tag: such a snapshot is never handed to the
 * retention, so never deleted. Strings of out borrow from s. */
bool eng_copy_view_one(const pol_policy *p, const inv_snapshot *s, inv_snapshot *out);
/* Every copy of p in dst through eng_copy_view_one; the records borrow dst's strings (free
 * the view before dst). NULL when out of memory. */
inv_inventory *eng_copy_view(const pol_policy *p, const inv_inventory *dst);

/* Copies in progress in a listing (of one subscription and region): what counts against
 * ENG_COPIES_PARALLEL_MAX. */
size_t eng_copy_running(const inv_inventory *dst);

/* The copy lag, the recovery point in the copy region: per disk of p's copies in dst (first
 * seen first), the source time of its newest completed copy. Disks whose copies all run or
 * failed are not listed. Returns how many were written (at most cap). */
typedef struct eng_copy_newest {
    const char *disk_id;            /* borrowed from dst */
    sk_time taken;
} eng_copy_newest;
size_t eng_copy_newest_done(const pol_policy *p, const inv_inventory *dst, eng_copy_newest *out,
                            size_t cap);

typedef struct eng_copy_start {
    const inv_snapshot *source;     /* in src */
    int attempt;                    /* 1; 2.. when a failed copy is retried */
    char name[ENG_NAME_MAX + 1];    /* the source's name, "-rN" added for attempt N > 1 */
} eng_copy_start;

typedef struct eng_copy_hold {      /* a source that must not be deleted */
    const inv_snapshot *source;     /* in src */
    const inv_snapshot *copy;       /* in dst; NULL: its copy starts in this run */
    int percent;                    /* the copy's completionPercent, rounded down */
} eng_copy_hold;

typedef struct eng_copy_note {
    const inv_snapshot *source;     /* may be NULL (gone) */
    const inv_snapshot *copy;       /* may be NULL */
    bool gave_up;                   /* ENG_COPY_ATTEMPTS_MAX reached: a person should look */
    char *message;
} eng_copy_note;

typedef struct eng_copy_plan {
    eng_copy_start *starts;         /* in the order to send: disks in source order */
    size_t nstarts;
    eng_copy_hold *holds;
    size_t nholds;
    eng_copy_note *notes;
    size_t nnotes;
    size_t running, waiting;        /* disks with a copy running; with one due but no slot */
} eng_copy_plan;

/* Decides for policy p (p->copy set) over src (the policy's listing) and dst (the listing of
 * the copy's resource group) at now:
 *  - a disk whose copy is running gets no new one (one per disk); its source is held;
 *  - else, when the copies of the disk's newest copied source all failed, fewer than
 *    ENG_COPY_ATTEMPTS_MAX times, and the source is still a backup, it is started again;
 *  - else the oldest source newer than the disk's newest copied one that the copy's rules
 *    keep over the policy's backups at now (a tier, tag or window rule keeps it, or a count
 *    rule keeps it as the first of a period the newest copied source is not in) is started;
 *  - each start takes one of *slots (the parallel copies the target still allows); with none
 *    left, the disk waits for a later run.
 * Returns 0, or -1 with err (out of memory). */
int eng_copy_decide(const pol_policy *p, const inv_inventory *src, const inv_inventory *dst,
                    sk_time now, size_t *slots, eng_copy_plan *out, char *err, size_t errlen);
void eng_copy_plan_free(eng_copy_plan *cp);    /* NULL is a no-op */

/* Holds the sources: every decision of plan (made over snapshots of src, matched by ID)
 * whose snapshot is a hold's source is kept with ENG_R_COPYING (its first reason, region and
 * percent) and counted kept. Reason storage goes to *store: free it with
 * eng_copy_protect_free after the plan. -1: out of memory (the plan untouched: the caller
 * must then delete nothing). */
int eng_copy_protect(eng_plan *plan, const pol_policy *p, const eng_copy_plan *cp,
                     void **store);
void eng_copy_protect_free(void *store);

#endif
