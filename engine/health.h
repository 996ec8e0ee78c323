/* Pure decisions of `snapkeep status`: how old the newest usable snapshot
 * of a disk may be before it is a warning or critical (the RPO limits), the
 * facts about one disk read from an inventory (newest usable owned
 * snapshot, snapshots against Azure's per-disk cap), the verdict on them,
 * when the next creation is due, and how the last run and drill weigh in.
 * No I/O, no clock: `now` is a parameter.
 *
 * States and their order are the Monitoring Plugins' ones: the exit codes
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, and when several combine the
 * worst wins in the order OK < UNKNOWN < WARNING < CRITICAL (their
 * max_state_alt), so one unknown disk never hides a critical one and never
 * passes as OK. */
#ifndef SNAPKEEP_HEALTH_H
#define SNAPKEEP_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/duration.h"
#include "engine/inventory.h"
#include "engine/policy.h"
#include "engine/sktime.h"

typedef enum hl_state { HL_OK = 0, HL_WARNING = 1, HL_CRITICAL = 2, HL_UNKNOWN = 3 } hl_state;

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *hl_state_name(hl_state s);
/* The worse of two states (OK < UNKNOWN < WARNING < CRITICAL). */
hl_state hl_worst(hl_state a, hl_state b);

/* The RPO limits of a policy at `now`: a disk whose newest usable snapshot
 * is older than warn_age (strictly) is a warning, older than crit_age
 * critical. Defaults: warning past two cadences (`snapshot every`, on the
 * policy's calendar), critical past the policy's stale threshold (what
 * `run` calls stalled: `stale-after`, else three cadences); the warning
 * limit never lies beyond the critical one. warn/crit (NULL: not given)
 * replace either. judged is false when the policy has neither a cadence
 * nor stale-after and no limit is given: nothing to measure against. */
typedef struct hl_limits {
    bool judged;
    sk_time warn_before, crit_before;   /* newest < warn_before: warning */
    int64_t warn_age, crit_age;         /* the same as ages in seconds */
    int64_t cadence;                    /* seconds of one cadence back from now; 0: none */
} hl_limits;
hl_limits hl_limits_of(const pol_policy *p, const pol_duration *warn,
                       const pol_duration *crit, sk_time now);

/* What an inventory says about one disk (an ARM ID) of policy p. */
typedef struct hl_disk_facts {
    sk_time newest;         /* newest usable snapshot p owns; SK_TIME_MIN: none */
    size_t snapshots;       /* every snapshot of the disk, whoever made it: the cap counts all */
    size_t owned;           /* of them, the ones p owns */
} hl_disk_facts;
/* Snapshots dated further in the future than the jitter tolerance of
 * `run` (ENF_JITTER_MAX_USEC) do not count as the newest: a wrong clock
 * must not make a disk look protected. */
hl_disk_facts hl_disk_facts_of(const pol_policy *p, const inv_inventory *inv,
                               const char *disk_id, sk_time now);

typedef enum hl_reason {
    HL_R_FRESH,             /* newest within the warning limit */
    HL_R_LATE,              /* past the warning limit */
    HL_R_STALE,             /* past the critical limit */
    HL_R_NO_SNAPSHOT,       /* no usable snapshot at all */
    HL_R_UNJUDGED,          /* no cadence, no stale-after, no limit given */
    HL_R_NEAR_CAP,          /* at or past ENG_SNAPSHOTS_NEAR_CAP */
    HL_R_AT_CAP             /* at ENG_SNAPSHOTS_PER_DISK_MAX: creation fails */
} hl_reason;

/* The verdict on one disk: the RPO and the cap, each with its state, and
 * the worse of the two. */
typedef struct hl_verdict {
    hl_state state;
    hl_state rpo_state, cap_state;
    hl_reason rpo, cap;     /* cap is HL_R_FRESH below the near-cap mark */
    int64_t age;            /* seconds since the newest; -1: none */
} hl_verdict;
hl_verdict hl_judge_disk(const hl_limits *l, const hl_disk_facts *f, sk_time now);
/* A short phrase for people and the Nagios line ("late", "stale", ...). */
const char *hl_reason_text(hl_reason r);

/* The first instant at or after which `run` creates a snapshot of a disk
 * whose newest is `newest` (enf_is_due turns true), to the second.
 * SK_TIME_MIN when the policy has no `snapshot every`; `now` when the disk
 * has no snapshot (due at once). */
sk_time hl_next_due(const pol_policy *p, sk_time newest, sk_time now);

/* How the last run weighs in: its exit code (snapkeep(1)): 0 is OK, any
 * other a warning (the snapshots' ages say how bad it is); never run is
 * UNKNOWN only when the caller has nothing else (it is not judged here). */
hl_state hl_run_state(int exit_code);
/* How the last drill weighs in: proven (exit 0 and every disk restorable)
 * is OK, anything else a warning. */
hl_state hl_drill_state(bool passed);

#endif
