/* The evaluator: (policies, inventory, now) -> plan. Pure: no I/O, no
 * clock, no globals. Semantics: doc/semantics.md and
 * man/snapkeep.policy.5. */
#ifndef SNAPKEEP_EVALUATE_H
#define SNAPKEEP_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/identity.h"
#include "engine/inventory.h"
#include "engine/policy.h"
#include "engine/sktime.h"

typedef enum eng_action { ENG_KEEP, ENG_PRUNE } eng_action;

typedef enum eng_reason_kind {
    ENG_R_RULE,         /* a retention rule keeps it (rule, maybe bucket) */
    ENG_R_NEWEST,       /* newest snapshot of its group */
    ENG_R_FUTURE,       /* dated in the future: kept, warned about */
    ENG_R_UNMANAGED,    /* no policy governs it */
    ENG_R_NOT_OWNED,    /* in a policy's scope but without its ownership tag */
    ENG_R_IN_PROGRESS,  /* provisioningState neither Succeeded nor Failed/Canceled
                           (Creating, Updating, ...): not yet a backup, kept */
    ENG_R_FAILED,       /* provisioningState Failed or Canceled: not a backup,
                           kept (a run never deletes it), warned about */
    ENG_R_PENDING,      /* provisioned, but its background copy is below 100 %:
                           it cannot make a disk yet; kept, counted by no rule */
    ENG_R_COPY_FAILED,  /* its background copy failed (copyCompletionError): not
                           a backup, kept, warned about */
    ENG_R_RETIRED,      /* a retired group under `retired keep-all` */
    ENG_R_COPYING       /* its copy to another region is being made: Azure
                           forbids deleting the source (engine/copies.h) */
} eng_reason_kind;

typedef struct eng_reason {
    eng_reason_kind kind;
    const pol_policy *policy;   /* NULL for ENG_R_UNMANAGED */
    const pol_rule *rule;       /* ENG_R_RULE only */
    bool has_bucket;
    int64_t bucket;             /* eng_bucket / eng_every_bucket key */
    int64_t ordinal;            /* count rules: 1-based position kept (0: none) */
    bool oldest;                /* count rules: kept as the walk's last snapshot */
    const char *owner_tag;      /* ENG_R_NOT_OWNED: the snapshot's POL_OWNER_TAG
                                   value, NULL when it has none */
    const char *state;          /* ENG_R_IN_PROGRESS, ENG_R_FAILED: the snapshot's
                                   provisioningState; ENG_R_COPY_FAILED: the
                                   copy's errorCode; ENG_R_COPYING: the region */
    const char *message;        /* ENG_R_COPY_FAILED: the copy's errorMessage */
    double percent;             /* ENG_R_PENDING, ENG_R_COPYING: completionPercent */
    eng_identity identity;      /* ENG_R_RETIRED: why the group is retired */
} eng_reason;

typedef struct eng_decision {
    const inv_snapshot *snap;
    eng_action action;
    bool future, unmanaged, newest;
    bool failed, in_progress;   /* not a backup (enf_snapshot_usable): its
                                   provisioningState is Failed/Canceled or its
                                   copy failed, or it is not yet finished
                                   (another state, or a copy still pending) */
    bool pending, copy_failed;  /* of those: the background copy is pending
                                   (in_progress too) or failed (failed too) */
    const pol_policy *policy;   /* first policy that keeps it; pruned: the first
                                   that owns it; unmanaged: the first that
                                   governs it; NULL if none */
    size_t group;               /* index into plan->groups (of `policy`),
                                   SIZE_MAX when unmanaged */
    eng_reason *reasons;        /* every reason it is kept, by policy then rule
                                   order, `newest` after the rules; none when
                                   pruned: KEEP exactly when nreasons > 0 */
    uint32_t nreasons;
} eng_decision;

/* The snapshots of one source disk that one policy owns (future ones
 * included). nkeep/nprune count their final actions, so a snapshot owned by
 * two policies counts in both groups. */
typedef struct eng_group {
    const pol_policy *policy;
    const char *source_id;      /* as first seen; NULL: snapshots with no source */
    size_t nsnapshots, nkeep, nprune;
    sk_time newest;             /* newest non-future backup, SK_TIME_MIN if none */
    /* Which disk: a group is one disk, and a disk is its uniqueId. The
     * snapshots of one source ID whose sourceUniqueId is not the disk's
     * form a group of their own per uniqueId (ENG_ID_EARLIER), as do those
     * of a disk the disk list no longer has (ENG_ID_GONE). Both are
     * retired: the policy's `retired` setting applies, and `run` never
     * calls them stale. */
    eng_identity identity;
    const char *unique_id;      /* the group's sourceUniqueId when retired by it,
                                   else NULL */
    bool retired;               /* eng_identity_retired(identity) */
    bool released;              /* retired, `retired for D`, and its newest
                                   backup older than D: no rule keeps it */
} eng_group;

typedef struct eng_note {       /* a warning for the report */
    const pol_policy *policy;   /* may be NULL */
    const inv_snapshot *snap;   /* may be NULL */
    char *message;
} eng_note;

typedef struct eng_plan {
    sk_time now;
    eng_decision *decisions;    /* one per inventory snapshot, same order */
    size_t ndecisions;
    eng_group *groups;
    size_t ngroups;
    eng_note *notes;
    size_t nnotes;
    size_t nkeep, nprune, nunmanaged, nfuture;
    size_t nfailed, ninprogress;        /* decisions with failed / in_progress */
    size_t npending, ncopyfailed;       /* decisions with pending / copy_failed */
    size_t nretired;                    /* retired groups */
    bool identity_unjudged;             /* no disk list: re-created and gone disks
                                           could not be told (a note says so) */
    void *priv;                 /* evaluator-owned storage */
} eng_plan;

/* A snapshot is a backup the rules may count when enforce.h's
 * enf_snapshot_usable says so (provisioningState absent, empty or
 * "Succeeded"), the one rule `plan` and `run` share. One that is not takes
 * part in no rule (no tier, count, window, `newest`) and is kept:
 * ENG_R_FAILED when its state is Failed or Canceled (!enf_snapshot_taken),
 * else ENG_R_IN_PROGRESS. */

/* Evaluates every policy over the inventory at `now`. Returns 0, or -1 with
 * a message in err (out of memory; a policy without any rule or without a
 * loaded zone, which the parser never produces). The plan borrows the
 * policies and the inventory: free the plan first. A snapshot owned by some
 * policy is decided by its owners alone (kept if any keeps it); one that is
 * governed but owned by none is ENG_R_NOT_OWNED (one reason per governing
 * policy); one governed by none is ENG_R_UNMANAGED. An owned snapshot that
 * is not a backup is kept with ENG_R_FAILED or ENG_R_IN_PROGRESS (and the
 * reasons of any `tagged` rule it matches) and ignored by every other rule.
 * Notes: one per future-dated snapshot, one per failed snapshot some policy
 * owns, one per policy whose `disks tagged` selectors cannot match offline. */
int eng_evaluate(const pol_policy *const *policies, size_t npolicies,
                 const inv_inventory *inv, sk_time now, eng_plan **out,
                 char *err, size_t errlen);
void eng_plan_free(eng_plan *plan);     /* NULL is a no-op */

/* Whether a policy governs a snapshot (scope; ownership not considered). */
bool eng_policy_scopes(const pol_policy *p, const inv_snapshot *s,
                       const inv_inventory *inv);
/* Whether the snapshots of disk disk_id (an ARM ID) are in p's scope: the
 * question `run` asks before snapshotting a disk, so that it never creates
 * a snapshot its policy would not govern. inv gives the disks' tags for
 * disk-tag selectors (NULL or without a disk list: they match nothing). */
bool eng_policy_scopes_disk(const pol_policy *p, const char *disk_id,
                            const inv_inventory *inv);
/* How a `disk` entry written as a resource ID sits with the policy's own
 * `subscription` and `resource-group`: a disk they exclude is never in
 * scope, so its snapshots would be reported unmanaged and never pruned,
 * and `run` would never snapshot it. `check` warns (grammar/checks.c). */
typedef enum eng_disk_conflict {
    ENG_DISK_FITS,              /* a name, or an ID inside the scope */
    ENG_DISK_OTHER_SUBSCRIPTION,
    ENG_DISK_OTHER_GROUP,
    ENG_DISK_NOT_A_DISK_ID,     /* has '/', but is no managed-disk ID */
} eng_disk_conflict;
/* For ENG_DISK_OTHER_*, *part and *len are the ID's subscription or
 * resource group. */
eng_disk_conflict eng_disk_entry_conflict(const pol_policy *p, const char *entry,
                                          const char **part, size_t *len);
/* Whether a policy owns a snapshot: in scope and (bare body, ownership tag
 * naming this policy, or `adopt untagged` and no ownership tag at all). */
bool eng_policy_owns(const pol_policy *p, const inv_snapshot *s,
                     const inv_inventory *inv);

/* One reason as report text (truncated to fit, always terminated when
 * n > 0; returns the length written), e.g.
 * "every 12h to 7d: bucket 2026-11-20T12:00Z (policies/dss-datadir.policy:6)",
 * "newest", "future: dated after now", "unmanaged: no policy governs it",
 * "in progress: provisioningState Updating, not yet a backup",
 * "failed: provisioningState Failed, not a backup (delete it by hand)". */
size_t eng_reason_format(const eng_reason *r, char *buf, size_t n);
#define ENG_REASON_BUFSZ 512

#endif
