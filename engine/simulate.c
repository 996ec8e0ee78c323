/* The replay behind `explain` and `simulate`; see simulate.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/duration.h"
#include "engine/eval_priv.h"
#include "engine/evaluate.h"
#include "engine/inventory.h"
#include "engine/simulate.h"
#include "engine/tz.h"

#define SIM_MAX_RUNS 5000000u
#define SIM_SOURCE "/subscriptions/00000000-0000-0000-0000-000000000000" \
    "/resourceGroups/simulated/providers/Microsoft.Compute/disks/simulated"

void eng_rng_seed(eng_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t eng_rng_next(eng_rng *r)
{
    uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t eng_rng_below(eng_rng *r, uint64_t bound)
{
    uint64_t threshold = (0 - bound) % bound;  /* rejects the biased tail */
    for (;;) {
        uint64_t v = eng_rng_next(r);
        if (v >= threshold)
            return v % bound;
    }
}

/* The longest real length of one calendar period, DST included. */
static int64_t period_max_seconds(eng_period period, int32_t shift)
{
    switch (period) {
    case ENG_HOUR: return 3600 + (shift > 0 ? 1800 : 0);
    case ENG_DAY: return 86400 + shift;
    case ENG_WEEK: return 7 * 86400 + shift;
    case ENG_MONTH: return 31 * 86400 + shift;
    case ENG_YEAR: return 366 * 86400 + shift;
    }
    return 366 * 86400;
}

static int64_t duration_max_usec(const pol_duration *d, int32_t shift)
{
    int64_t lo, hi;
    pol_duration_range(d, shift, &lo, &hi);
    return hi * SK_USEC_PER_SEC;
}

/* One rule's reach in microseconds: how long until it keeps all it ever will. */
static int64_t rule_reach(const pol_rule *r, int64_t cadence, int32_t shift, bool *growing)
{
    switch (r->kind) {
    case POL_KEEP_ALL:
    case POL_EVERY:
    case POL_CALENDAR_TIER:
        return duration_max_usec(&r->end, shift);
    case POL_WITHIN:
    case POL_PERIOD_WITHIN:
        return duration_max_usec(&r->window, shift);
    case POL_LAST:
        if (r->count == POL_COUNT_ALL) {
            *growing = true;
            return 0;
        }
        return r->count * cadence;
    case POL_COUNT:
        if (r->count == POL_COUNT_ALL) {
            *growing = true;
            return 0;
        }
        return r->count * period_max_seconds(r->period, shift) * SK_USEC_PER_SEC;
    case POL_TAGGED:
        return 0;
    }
    return 0;
}

int64_t eng_sim_warmup(const pol_policy *p, int64_t cadence_usec, bool *growing)
{
    int32_t shift = p->tz != NULL ? eng_tz_max_shift(p->tz) : 0;
    int64_t reach = 0;
    bool grow = false;
    for (size_t i = 0; i < p->nrules; i++) {
        int64_t r = rule_reach(&p->rules[i], cadence_usec, shift, &grow);
        if (r > reach)
            reach = r;
    }
    if (growing != NULL)
        *growing = grow;
    return reach;
}

const pol_rule *eng_sim_growing_rule(const pol_policy *p)
{
    for (size_t i = 0; i < p->nrules; i++) {
        const pol_rule *r = &p->rules[i];
        if ((r->kind == POL_LAST || r->kind == POL_COUNT) && r->count == POL_COUNT_ALL)
            return r;
    }
    return NULL;
}

/* Replay state shared by the helpers below. */
typedef struct sim_ctx {
    pol_policy policy;          /* shallow copy without scope */
    const eng_tz *tz;
    inv_inventory *inv;
    inv_tag *owner_tag;
    const pol_rule **tiers;     /* the tier chain, in order */
    sk_time *tier_lo;           /* per run: a snapshot is in tier k when t > tier_lo[k] */
    size_t ntiers;
    bool *keep;
    size_t capkeep;
    /* The snapshots, oldest first, at buf[base .. base + len): deletions
     * come from the old end, so they advance base instead of moving the
     * newest (a big `last N` would be copied at every run otherwise). */
    inv_snapshot *buf;
    size_t base, len, cap;
    eng_sim *out;
} sim_ctx;

/* The snapshots as an inventory for the evaluator: the first n of them. */
static inv_inventory sim_view(const sim_ctx *c, size_t n)
{
    inv_inventory v = *c->inv;
    v.snapshots = c->buf != NULL ? c->buf + c->base : NULL;   /* none yet: all missed */
    v.nsnapshots = n;
    v.capsnapshots = n;
    return v;
}

static int add_snapshot(sim_ctx *c, size_t index, sk_time at)
{
    char name[40];
    int n = snprintf(name, sizeof name, "sim-%08zu", index);
    if (c->base + c->len == c->cap) {
        if (c->base >= c->len && c->base > 0) {
            /* half the room is behind us: move down, amortised O(1) */
            memmove(c->buf, c->buf + c->base, c->len * sizeof *c->buf);
            c->base = 0;
        } else {
            size_t cap = c->cap ? c->cap * 2 : 256;
            inv_snapshot *b = realloc(c->buf, cap * sizeof *b);
            if (b == NULL)
                return -1;
            c->buf = b;
            c->cap = cap;
        }
    }
    inv_snapshot *s = &c->buf[c->base + c->len++];
    memset(s, 0, sizeof *s);
    if (n < 0)
        return -1;
    s->name = inv_strdup(c->inv, name, (size_t)n);
    s->id = s->name;
    s->source_id = SIM_SOURCE;
    s->created = at;
    s->tags = c->owner_tag;
    s->ntags = 1;
    s->incremental = true;
    return s->name == NULL ? -1 : 0;
}

/* Largest gap between consecutive kept snapshots, counted for the tier
 * holding the older one of the pair. Snapshots stay in time order. */
static void note_gaps(sim_ctx *c, sk_time now)
{
    for (size_t k = 0; k < c->ntiers; k++)
        c->tier_lo[k] = eng_window_cut(c->tz, now, &c->tiers[k]->end);
    if (c->ntiers == 0 || c->len == 0)
        return;
    const inv_snapshot *s = c->buf + c->base;
    /* this scan is work too, if two orders of magnitude cheaper per
     * snapshot than an evaluation: counted so the bound holds for it */
    c->out->work += c->len / 64;
    for (size_t i = 0; i + 1 < c->len; i++) {
        sk_time t = s[i].created;
        size_t k = 0;   /* tier k holds ages in [end(k-1), end(k)) */
        while (k < c->ntiers && t <= c->tier_lo[k])
            k++;
        if (k == c->ntiers)
            continue;   /* older than every tier (kept by another rule) */
        int64_t gap = s[i + 1].created - t;
        eng_sim_gap *g = &c->out->gaps[k];
        if (gap > g->max_gap_usec) {
            g->max_gap_usec = gap;
            g->max_gap_at = now;
        }
    }
}

/* ---- the incremental replay ----
 *
 * Re-evaluating every kept snapshot at every run makes the replay
 * quadratic when a policy keeps many (`last 100000`, `keep-all 24h` at a
 * one-minute cadence). What is evaluated is cut to what can change,
 * exactly, from two facts of the evaluator: a snapshot is pruned only when
 * no rule keeps it (a union), and a tier rule's decision about a snapshot
 * depends only on `now` and the snapshots of its window at least as old
 * (windows are cut from `now`; buckets keep their oldest, walked oldest
 * first).
 *
 * The newest snapshots that a suffix rule keeps whatever else is there --
 * `last N`, `within D`, and a `keep-all` that is the first tier -- are the
 * cover: kept without asking. The rest are evaluated on their own, and
 * of that evaluation only the tier rules' keeps count: `last`, `within`
 * and `newest` would read the smaller set's newest as the newest, and the
 * cover holds everything they reach. Period counts (`daily 7`, `daily
 * within 7d`) walk from the newest with state, so a policy that has them
 * is evaluated whole. */

/* Whether the policy can be evaluated in two parts (see above). */
static bool sim_splittable(const pol_policy *p)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].kind == POL_COUNT || p->rules[i].kind == POL_PERIOD_WITHIN)
            return false;
    return true;
}

/* How many of the n snapshots, in time order, are newer than cut. */
static size_t newer_than(const inv_snapshot *s, size_t n, sk_time cut)
{
    size_t lo = 0, hi = n;      /* first index with created > cut */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].created > cut)
            hi = mid;
        else
            lo = mid + 1;
    }
    return n - lo;
}

/* The size of the cover: the newest snapshots some suffix rule keeps. */
static size_t sim_cover(const sim_ctx *c, sk_time now)
{
    inv_inventory v = sim_view(c, c->len);
    const inv_inventory *inv = &v;
    size_t n = inv->nsnapshots, cover = 0;
    if (n == 0)
        return 0;
    const pol_policy *p = &c->policy;
    sk_time newest = inv->snapshots[n - 1].created;
    bool first_tier = true;
    for (size_t i = 0; i < p->nrules && cover < n; i++) {
        const pol_rule *r = &p->rules[i];
        size_t k = 0;
        if (r->kind == POL_LAST)
            k = r->count < 0 ? n : (size_t)r->count;
        else if (r->kind == POL_WITHIN)
            k = newer_than(inv->snapshots, n, eng_window_cut(p->tz, newest, &r->window));
        else if (first_tier && (r->kind == POL_KEEP_ALL ||
                                (r->kind == POL_EVERY && r->width_usec <= 0)))
            k = newest <= now ? newer_than(inv->snapshots, n, eng_window_cut(p->tz, now, &r->end)) : 0;
        if (pol_rule_is_tier(r))
            first_tier = false;
        if (k > cover)
            cover = k < n ? k : n;
    }
    return cover;
}

/* Whether a decision of the evaluation of the older part keeps it. */
static bool sim_tier_keeps(const eng_decision *d)
{
    for (uint32_t k = 0; k < d->nreasons; k++)
        if (d->reasons[k].kind == ENG_R_RULE && d->reasons[k].rule != NULL &&
            pol_rule_is_tier(d->reasons[k].rule))
            return true;
    return false;
}

/* One enforcement run at `now`: evaluate, drop what is pruned. */
static int enforce(sim_ctx *c, sk_time now, bool whole, uint32_t *deleted, char *err,
                   size_t errlen)
{
    eng_plan *plan = NULL;
    const pol_policy *pp = &c->policy;
    size_t n = c->len;
    size_t cover = whole ? 0 : sim_cover(c, now);
    inv_inventory older = sim_view(c, n - cover);  /* the part left to evaluate */
    c->out->work += 1 + older.nsnapshots;
    if (older.nsnapshots == 0) {
        *deleted = 0;               /* the cover is everything: nothing to ask */
        return 0;
    }
    if (eng_evaluate(&pp, 1, &older, now, &plan, err, errlen) != 0)
        return -1;
    if (older.nsnapshots > c->capkeep) {
        size_t cap = older.nsnapshots * 2;
        bool *k = realloc(c->keep, cap * sizeof *k);
        if (k == NULL) {
            eng_plan_free(plan);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        c->keep = k;
        c->capkeep = cap;
    }
    size_t m = older.nsnapshots;
    for (size_t i = 0; i < m; i++)
        c->keep[i] = cover == 0 ? plan->decisions[i].action == ENG_KEEP
                                : sim_tier_keeps(&plan->decisions[i]);
    eng_plan_free(plan);
    /* the kept ones of the evaluated part move up against the cover, in
     * order; what is left below them is dropped by advancing base */
    inv_snapshot *s = c->buf + c->base;
    size_t w = m;
    for (size_t i = m; i-- > 0;)
        if (c->keep[i])
            s[--w] = s[i];
    c->base += w;
    c->len -= w;
    *deleted = (uint32_t)w;
    return 0;
}

static int summarise(eng_sim *s)
{
    size_t n = s->nruns - s->first_steady;
    if (n == 0)
        return 0;
    const eng_sim_run *r = s->runs + s->first_steady;
    s->count_min = s->count_max = r[0].count;
    s->del_min = s->del_max = r[0].deleted;
    double csum = 0, dsum = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].count < s->count_min) s->count_min = r[i].count;
        if (r[i].count > s->count_max) s->count_max = r[i].count;
        if (r[i].deleted < s->del_min) s->del_min = r[i].deleted;
        if (r[i].deleted > s->del_max) s->del_max = r[i].deleted;
        csum += r[i].count;
        dsum += r[i].deleted;
    }
    s->count_avg = csum / (double)n;
    s->del_avg = dsum / (double)n;
    s->del_hist = calloc((size_t)s->del_max + 1, sizeof *s->del_hist);
    if (s->del_hist == NULL)
        return -1;
    s->ndel_hist = (size_t)s->del_max + 1;
    for (size_t i = 0; i < n; i++)
        s->del_hist[r[i].deleted]++;
    return 0;
}

static int check_params(const eng_sim_params *p, char *err, size_t errlen)
{
    if (p->cadence_usec <= 0 || p->duration_usec <= 0) {
        snprintf(err, errlen, "cadence and duration must be positive");
        return -1;
    }
    if (p->jitter_usec < 0 || p->jitter_usec >= p->cadence_usec) {
        snprintf(err, errlen, "jitter must be shorter than the cadence");
        return -1;
    }
    if (p->miss_ppm > 1000000) {
        snprintf(err, errlen, "miss rate above 100%%");
        return -1;
    }
    if ((p->jitter_usec > 0 || p->miss_ppm > 0) && p->rng == NULL) {
        snprintf(err, errlen, "jitter and misses need a random generator");
        return -1;
    }
    if (p->duration_usec / p->cadence_usec > (int64_t)SIM_MAX_RUNS) {
        snprintf(err, errlen, "more than %u runs: use a longer cadence or a shorter duration",
                 SIM_MAX_RUNS);
        return -1;
    }
    return 0;
}

static int setup(sim_ctx *c, const pol_policy *p, eng_sim *s, eng_tz **own_tz)
{
    c->policy = *p;
    /* the replay is about retention: every simulated snapshot is the policy's own */
    c->policy.anonymous = true;
    c->policy.subscription = NULL;
    c->policy.subscriptions = NULL;
    c->policy.nsubscriptions = 0;
    c->policy.all_subscriptions = false;
    c->policy.resource_group = NULL;
    c->policy.disks = NULL;
    c->policy.ndisks = 0;
    c->policy.disk_tags = NULL;
    c->policy.ndisk_tags = 0;
    if (p->tz == NULL) {
        *own_tz = eng_tz_utc();
        c->policy.tz = *own_tz;
    }
    c->tz = c->policy.tz;
    c->out = s;
    c->inv = inv_new();
    if (c->inv == NULL || c->tz == NULL)
        return -1;
    c->owner_tag = inv_alloc(c->inv, sizeof *c->owner_tag);
    if (c->owner_tag == NULL)
        return -1;
    c->owner_tag->key = POL_OWNER_TAG;
    c->owner_tag->value = p->name;
    for (size_t i = 0; i < p->nrules; i++)
        if (pol_rule_is_tier(&p->rules[i]))
            c->ntiers++;
    c->tiers = calloc(c->ntiers + 1, sizeof *c->tiers);
    c->tier_lo = calloc(c->ntiers + 1, sizeof *c->tier_lo);
    s->gaps = calloc(c->ntiers + 1, sizeof *s->gaps);
    if (c->tiers == NULL || c->tier_lo == NULL || s->gaps == NULL)
        return -1;
    for (size_t i = 0, k = 0; i < p->nrules; i++)
        if (pol_rule_is_tier(&p->rules[i])) {
            c->tiers[k] = &p->rules[i];
            s->gaps[k].rule = &p->rules[i];
            s->gaps[k].max_gap_usec = -1;
            k++;
        }
    s->ngaps = c->ntiers;
    return 0;
}

static void teardown(sim_ctx *c)
{
    inv_free(c->inv);
    free(c->tiers);
    free(c->tier_lo);
    free(c->keep);
    free(c->buf);
}

static int replay(sim_ctx *c, const eng_sim_params *prm, char *err, size_t errlen)
{
    eng_sim *s = c->out;
    size_t nruns = (size_t)(prm->duration_usec / prm->cadence_usec);
    if (nruns == 0)
        nruns = 1;
    s->runs = calloc(nruns, sizeof *s->runs);
    if (s->runs == NULL)
        goto oom;
    sk_time steady_from = prm->start + s->warmup_usec;
    s->first_steady = nruns;
    bool whole = prm->whole || !sim_splittable(&c->policy);
    for (size_t k = 0; k < nruns; k++) {
        sk_time at = prm->start + (int64_t)k * prm->cadence_usec;
        if (prm->jitter_usec >= SK_USEC_PER_SEC)   /* whole seconds read better */
            at += SK_USEC_PER_SEC * (int64_t)eng_rng_below(
                      prm->rng, (uint64_t)(prm->jitter_usec / SK_USEC_PER_SEC) + 1);
        bool missed = prm->miss_ppm > 0 && eng_rng_below(prm->rng, 1000000) < prm->miss_ppm;
        eng_sim_run *run = &s->runs[s->nruns];
        run->at = at;
        run->created = !missed;
        if (!missed && add_snapshot(c, k, at) != 0)
            goto oom;
        if (missed)
            s->missed++;
        else
            s->created++;
        if (enforce(c, at, whole, &run->deleted, err, errlen) != 0)
            return -1;
        run->count = (uint32_t)c->len;
        s->nruns++;
        /* after the warm-up, not at it: the run at start + warm-up still
         * prunes the replay's first snapshot, which no earlier one shared a
         * bucket with (a deletion no later run repeats) */
        if (at > steady_from) {
            if (s->first_steady == nruns)
                s->first_steady = k;
            note_gaps(c, at);
        }
        if (prm->work_limit != 0 && s->work > prm->work_limit && k + 1 < nruns) {
            s->truncated = true;
            break;
        }
    }
    if (s->first_steady > s->nruns)
        s->first_steady = s->nruns;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int eng_simulate(const pol_policy *p, const eng_sim_params *prm,
                 eng_sim **out, char *err, size_t errlen)
{
    *out = NULL;
    if (check_params(prm, err, errlen) != 0)
        return -1;
    eng_sim *s = calloc(1, sizeof *s);
    sim_ctx c;
    memset(&c, 0, sizeof c);
    eng_tz *own_tz = NULL;
    if (s == NULL || setup(&c, p, s, &own_tz) != 0) {
        snprintf(err, errlen, "out of memory");
        teardown(&c);
        eng_tz_free(own_tz);
        eng_sim_free(s);
        return -1;
    }
    int64_t reach = eng_sim_warmup(p, prm->cadence_usec, &s->growing);
    s->warmup_usec = prm->warmup_usec >= 0 ? prm->warmup_usec : reach;
    int rc = replay(&c, prm, err, errlen);
    teardown(&c);
    eng_tz_free(own_tz);
    if (rc == 0 && summarise(s) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc != 0) {
        eng_sim_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void eng_sim_free(eng_sim *s)
{
    if (s == NULL)
        return;
    free(s->runs);
    free(s->del_hist);
    free(s->gaps);
    free(s);
}
