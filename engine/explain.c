/* The explain model: see explain.h. Moved out of cli/cmd_explain.c so the
 * figures explain prints are a unit-tested engine result, and so that they
 * are, by construction, what `snapkeep simulate` prints for the same
 * parameters (one model, one figure). */
#include <string.h>

#include "engine/explain.h"

#include "engine/azure_limits.h"

#define DAY_USEC (INT64_C(86400) * SK_USEC_PER_SEC)

const pol_rule *eng_last_tier(const pol_policy *p)
{
    const pol_rule *last = NULL;
    for (size_t i = 0; i < p->nrules; i++)
        if (pol_rule_is_tier(&p->rules[i]))
            last = &p->rules[i];
    return last;
}

int64_t eng_explain_sweep_usec(const pol_policy *p, int64_t cadence_usec)
{
    int64_t sweep = 7 * DAY_USEC;   /* covers daily and weekly phases */
    if (sweep < 168 * cadence_usec)
        sweep = 168 * cadence_usec;     /* enough runs for the averages to mean something */
    for (size_t i = 0; i < p->nrules; i++) {
        const pol_rule *r = &p->rules[i];
        bool calendar = r->kind == POL_CALENDAR_TIER || r->kind == POL_COUNT ||
                        r->kind == POL_PERIOD_WITHIN;
        if (calendar && r->period == ENG_MONTH && sweep < 62 * DAY_USEC)
            sweep = 62 * DAY_USEC;
        if (calendar && r->period == ENG_YEAR && sweep < 366 * DAY_USEC)
            sweep = 366 * DAY_USEC;
        if (r->kind == POL_EVERY && sweep < 2 * r->width_usec)
            sweep = 2 * r->width_usec;
    }
    return sweep;
}

/* When a replay would take too long (years of 15-minute snapshots), a
 * rough count from the tier windows: each keeps one snapshot per bucket (or
 * per creation, whichever is rarer) across its window. */
static int64_t nominal_period_s(eng_period p)
{
    switch (p) {
    case ENG_HOUR: return 3600;
    case ENG_DAY: return 86400;
    case ENG_WEEK: return 7 * 86400;
    case ENG_MONTH: return 2629746;     /* 365.2425 / 12 days */
    case ENG_YEAR: return 31556952;
    }
    return 86400;
}

static double mid_seconds(const pol_duration *d)
{
    int64_t lo, hi;
    pol_duration_range(d, 0, &lo, &hi);
    return ((double)lo + (double)hi) / 2;
}

static void estimate_tiers(const pol_policy *p, eng_explain *e)
{
    double prev = 0, cadence = (double)e->cadence_usec / SK_USEC_PER_SEC, total = 0;
    e->nestimates = 0;
    for (size_t i = 0; i < p->nrules && e->nestimates < ENG_EXPLAIN_MAX_TIERS; i++) {
        const pol_rule *r = &p->rules[i];
        if (!pol_rule_is_tier(r))
            continue;
        double end = mid_seconds(&r->end), bucket = cadence;
        if (r->kind == POL_EVERY)
            bucket = (double)(r->width_usec / SK_USEC_PER_SEC);
        else if (r->kind == POL_CALENDAR_TIER)
            bucket = (double)nominal_period_s(r->period);
        if (bucket < cadence)
            bucket = cadence;
        eng_explain_estimate *t = &e->estimates[e->nestimates++];
        t->rule = r;
        t->count = (end - prev) / bucket;
        t->gap_usec = (int64_t)bucket * SK_USEC_PER_SEC;
        total += t->count;
        prev = end;
    }
    e->estimate_total = total;
}

static void too_long(const pol_policy *p, eng_explain *e)
{
    e->note = ENG_EXPLAIN_TOO_LONG;
    estimate_tiers(p, e);
}

void eng_explain_compute(const pol_policy *p, int64_t cadence_usec, eng_explain *e)
{
    memset(e, 0, sizeof *e);
    e->p = p;
    bool fixed_every = p->has_snapshot_every && p->snapshot_every.months == 0 &&
                       p->snapshot_every.years == 0;
    if (cadence_usec > 0) {
        e->cadence_from_option = true;
        e->cadence_usec = cadence_usec;
    } else if (fixed_every) {
        e->cadence_usec = pol_duration_fixed_usec(&p->snapshot_every);
    } else {
        e->note = p->has_snapshot_every ? ENG_EXPLAIN_CALENDAR_CADENCE : ENG_EXPLAIN_NO_CADENCE;
        return;
    }
    e->have_cadence = true;
    bool growing = false;
    int64_t warmup = eng_sim_warmup(p, e->cadence_usec, &growing);
    if (growing) {
        e->note = ENG_EXPLAIN_GROWING;
        return;
    }
    /* Every run on time, as `simulate` replays by default. Issue 15: explain
     * used to let runs drift by a twelfth of the cadence with a fixed seed
     * over a week, simulate by nothing over 30 days; the count's range is
     * the range of a random sample then (44 to 45 here, 44 to 46 there for
     * the seed policy), two figures for one policy. On time, the replay is
     * periodic and its steady state is the same over any sweep: one model,
     * one figure. Drift is simulate --jitter's what-if. */
    e->jitter_usec = 0;
    e->params = (eng_sim_params){
        .start = ENG_EXPLAIN_START, .cadence_usec = e->cadence_usec,
        .duration_usec = warmup + eng_explain_sweep_usec(p, e->cadence_usec),
        .warmup_usec = warmup, .jitter_usec = e->jitter_usec,
        .work_limit = ENG_EXPLAIN_WORK_LIMIT,
    };
    /* skip a replay that would surely hit the work limit */
    estimate_tiers(p, e);
    double runs = (double)e->params.duration_usec / (double)e->params.cadence_usec;
    if (runs * e->estimate_total > (double)ENG_EXPLAIN_WORK_LIMIT) {
        e->note = ENG_EXPLAIN_TOO_LONG;
        return;
    }
    e->nestimates = 0;
    e->estimate_total = 0;
    char err[256];
    int rc = eng_simulate(p, &e->params, &e->sim, err, sizeof err);
    if (rc != 0) {
        e->sim = NULL;
        e->note = ENG_EXPLAIN_FAILED;
        return;
    }
    if (e->sim->truncated || e->sim->first_steady >= e->sim->nruns) {
        eng_sim_free(e->sim);
        e->sim = NULL;
        too_long(p, e);
    }
}

void eng_explain_free(eng_explain *e)
{
    if (e == NULL)
        return;
    eng_sim_free(e->sim);
    e->sim = NULL;
}

void eng_explain_cap_of(const eng_explain *e, eng_explain_cap *out)
{
    memset(out, 0, sizeof *out);
    if (e->sim != NULL)
        out->steady = e->sim->count_max;
    else if (e->note == ENG_EXPLAIN_TOO_LONG && e->nestimates > 0)
        out->steady = (int64_t)e->estimate_total + (e->estimate_total > (double)(int64_t)e->estimate_total);
    else
        return;
    for (size_t i = 0; i < e->p->nrules; i++)
        if (e->p->rules[i].kind == POL_LAST && e->p->rules[i].count > 0)
            out->floor += e->p->rules[i].count;
    out->known = true;
    out->total = out->steady + out->floor;
    out->over = out->total > ENG_SNAPSHOTS_POLICY_BUDGET;
}
