/* The numbers behind `snapkeep explain`: for one policy and a creation
 * cadence, the steady-state count per disk, the deletions per run and the
 * worst gap in each tier, measured by replaying the policy (simulate.c)
 * with explain's fixed parameters; or, when that replay would take too
 * long, a rough per-tier estimate from the tier windows. Pure: the start
 * is fixed and every run is on time (as `simulate` replays by default), so
 * the figures are the same on every machine and every run, and the same
 * as simulate's for the same cadence. cli/cmd_explain.c only renders. */
#ifndef SNAPKEEP_EXPLAIN_H
#define SNAPKEEP_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/policy.h"
#include "engine/simulate.h"

/* The replay's start, a Monday: 2026-01-05T00:00:00Z. */
#define ENG_EXPLAIN_START INT64_C(1767571200000000)
/* Snapshot evaluations one policy may spend (about a second). */
#define ENG_EXPLAIN_WORK_LIMIT UINT64_C(20000000)
#define ENG_EXPLAIN_MAX_TIERS 32

/* Why a model has no replayed numbers (ENG_EXPLAIN_REPLAYED: it has). */
typedef enum eng_explain_note {
    ENG_EXPLAIN_REPLAYED,
    ENG_EXPLAIN_NO_CADENCE,         /* no `snapshot every`, no --cadence */
    ENG_EXPLAIN_CALENDAR_CADENCE,   /* `snapshot every` in months or years */
    ENG_EXPLAIN_GROWING,            /* a count of `all`: no steady state */
    ENG_EXPLAIN_TOO_LONG,           /* estimated from the tier windows instead */
    ENG_EXPLAIN_FAILED              /* the replay failed (out of memory) */
} eng_explain_note;

typedef struct eng_explain_estimate {   /* one tier, from its window */
    const pol_rule *rule;
    double count;
    int64_t gap_usec;
} eng_explain_estimate;

typedef struct eng_explain {
    const pol_policy *p;
    bool have_cadence;
    bool cadence_from_option;       /* else from `snapshot every` */
    int64_t cadence_usec;
    int64_t jitter_usec;            /* how late each replayed run may start:
                                       0, every run on time (as simulate) */
    eng_explain_note note;
    eng_sim *sim;                   /* the replay; NULL unless note is REPLAYED */
    eng_sim_params params;          /* what was (or would have been) replayed */
    eng_explain_estimate estimates[ENG_EXPLAIN_MAX_TIERS];  /* note TOO_LONG only */
    size_t nestimates;
    double estimate_total;
} eng_explain;

/* Fills *out for policy p. cadence_usec > 0 overrides the policy's
 * `snapshot every` (the --cadence option); 0 uses it. Never fails: a
 * failed replay is note ENG_EXPLAIN_FAILED. Free with eng_explain_free. */
void eng_explain_compute(const pol_policy *p, int64_t cadence_usec, eng_explain *out);
void eng_explain_free(eng_explain *e);      /* NULL is a no-op */

/* How long past warm-up the replay measures: a week (daily and weekly
 * phases), 168 runs, two months or a year for monthly or yearly rules,
 * two buckets of the widest `every` tier, whichever is longest. */
int64_t eng_explain_sweep_usec(const pol_policy *p, int64_t cadence_usec);

/* The last tier rule of p (the one whose end is where no tier keeps), or NULL. */
const pol_rule *eng_last_tier(const pol_policy *p);

/* The cap check `check` and `explain` make (engine/azure_limits.h): the
 * most snapshots one disk holds under the policy, by this model. `steady`
 * is the replay's largest steady-state count (count_max, what explain
 * prints), else the tier estimate rounded up; `floor` adds the N of every
 * `last N` rule, which keeps its N on top of the tiers whenever snapshots
 * come closer together than the cadence (a retry, a run by hand, creation
 * that stops). A policy whose total comes above ENG_SNAPSHOTS_POLICY_BUDGET
 * leaves too little of Azure's ENG_SNAPSHOTS_PER_DISK_MAX for anything
 * else and will one day fail to create. No figure (known false) without a
 * fixed cadence, for a count of `all` (no steady state) or a failed replay. */
typedef struct eng_explain_cap {
    bool known;
    int64_t steady, floor, total;
    bool over;                      /* total > ENG_SNAPSHOTS_POLICY_BUDGET */
} eng_explain_cap;

void eng_explain_cap_of(const eng_explain *e, eng_explain_cap *out);

#endif
