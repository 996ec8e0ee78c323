/* Replays a policy on a virtual clock: a snapshot created every cadence
 * (with optional jitter and misses), one enforcement run with the real
 * evaluator after each creation, pruned snapshots removed. Used by
 * `explain` (steady state, worst gaps) and `simulate`. Pure: the clock is
 * virtual and the randomness comes from the seeded generator passed in. */
#ifndef SNAPKEEP_SIMULATE_H
#define SNAPKEEP_SIMULATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/policy.h"
#include "engine/sktime.h"

/* splitmix64: small, fast, and the same sequence on every platform. */
typedef struct eng_rng { uint64_t state; } eng_rng;
void eng_rng_seed(eng_rng *r, uint64_t seed);
uint64_t eng_rng_next(eng_rng *r);
/* Uniform in [0, bound) (bound > 0), without modulo bias. */
uint64_t eng_rng_below(eng_rng *r, uint64_t bound);

typedef struct eng_sim_params {
    sk_time start;          /* first scheduled run */
    int64_t cadence_usec;   /* > 0: one scheduled run per cadence */
    int64_t duration_usec;  /* > 0: how long to replay */
    int64_t jitter_usec;    /* each run starts up to this late (uniform) */
    uint32_t miss_ppm;      /* chance in a million a creation fails */
    eng_rng *rng;           /* needed when jitter or misses are set */
    /* Statistics start with the first run after start + warmup; a
     * negative value means eng_sim_warmup(policy, cadence). */
    int64_t warmup_usec;
    /* Stop early (eng_sim.truncated) once eng_sim.work passes this; 0: no
     * limit. Keeps `explain` quick on long horizons, and bounds `simulate`
     * by what the replay costs rather than by its number of runs. */
    uint64_t work_limit;
    /* Evaluate every snapshot at every run instead of only the part that
     * can change (tests compare the two; the results are the same). */
    bool whole;
} eng_sim_params;

typedef struct eng_sim_run {    /* one enforcement run */
    sk_time at;
    bool created;               /* false: the creation was missed */
    uint32_t count;             /* snapshots left after the run */
    uint32_t deleted;
} eng_sim_run;

typedef struct eng_sim_gap {    /* per tier rule of the policy */
    const pol_rule *rule;
    int64_t max_gap_usec;       /* -1: never two kept snapshots to compare */
    sk_time max_gap_at;         /* run at which the largest gap was seen */
} eng_sim_gap;

typedef struct eng_sim {
    eng_sim_run *runs;
    size_t nruns;
    size_t created, missed;
    int64_t warmup_usec;        /* as used */
    size_t first_steady;        /* index of the first run after warm-up; nruns: none */
    bool truncated;             /* work_limit hit */
    uint64_t work;              /* cost: per run, 1 + the snapshots evaluated */
    bool growing;               /* a rule keeps without limit (`last all`...) */
    /* after warm-up (all zero when first_steady == nruns) */
    uint32_t count_min, count_max;
    double count_avg;
    uint32_t del_min, del_max;
    double del_avg;
    uint32_t *del_hist;         /* del_hist[k] = runs that deleted k; k <= del_max */
    size_t ndel_hist;
    eng_sim_gap *gaps;          /* one per tier rule, in rule order */
    size_t ngaps;
} eng_sim;

/* How long a policy needs before its kept set is complete: the longest tier
 * end, `within` window or count-rule reach (N periods; `last N`: N
 * cadences), measured at its longest (a month as 31 days...). Sets *growing
 * when a count is `all` (nothing ever ages out of it). */
int64_t eng_sim_warmup(const pol_policy *p, int64_t cadence_usec, bool *growing);
/* The first rule that keeps without limit (`last all`, `daily all`...), the
 * reason a policy has no steady state; NULL when none does. */
const pol_rule *eng_sim_growing_rule(const pol_policy *p);

/* Runs the replay for one disk under policy p (its scope and ownership
 * are not simulated: every simulated snapshot belongs to it). Returns 0,
 * or -1 with a message in err (bad parameters, out of memory). */
int eng_simulate(const pol_policy *p, const eng_sim_params *params,
                 eng_sim **out, char *err, size_t errlen);
void eng_sim_free(eng_sim *s);      /* NULL is a no-op */

#endif
