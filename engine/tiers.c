/* The tier chain of one group: keep-all windows, and the oldest snapshot of
 * each bucket inside a bucketed tier's window. Items are sorted newest
 * first, so each window is one contiguous run found by binary search. */
#include "engine/eval_priv.h"

/* First index whose time is <= t (items are in decreasing time order). */
static size_t ev_first_at_or_before(const ev_item *it, size_t m, sk_time t)
{
    size_t lo = 0, hi = m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (it[mid].t > t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int64_t ev_tier_key(const pol_rule *r, const eng_tz *tz, sk_time t)
{
    if (r->kind == POL_EVERY)
        return eng_every_bucket(t, r->width_usec);
    return eng_bucket(r->period, tz, t);
}

static bool ev_key_seen(const int64_t *keys, size_t n, int64_t key)
{
    for (size_t i = n; i > 0; i--)
        if (keys[i - 1] == key)
            return true;
    return false;
}

static void ev_keep_all(const ev_group_ctx *g, size_t ridx, size_t a, size_t b)
{
    eng_reason r = { .kind = ENG_R_RULE, .policy = g->p, .rule = &g->p->rules[ridx] };
    for (size_t i = a; i < b; i++)
        ev_emit(g->pool, g->items[i].snap, ev_order(g->pidx, ridx), &r);
}

/* Walks the window [a, b) from the oldest end; of each run of equal times
 * the first item (smaller name) stands for the run. Keys normally rise
 * along the walk; where a zone's wall clock steps back across a period
 * boundary they may not, so a key not above the highest is looked up among
 * the keys already kept in this window. */
static void ev_oldest_per_bucket(const ev_group_ctx *g, size_t ridx, size_t a, size_t b)
{
    const pol_rule *rule = &g->p->rules[ridx];
    size_t nkept = 0;
    int64_t maxk = 0, lastk = 0;
    size_t i = b;
    while (i > a) {
        size_t j = i - 1;
        sk_time t = g->items[j].t;
        while (j > a && g->items[j - 1].t == t)
            j--;
        int64_t key = ev_tier_key(rule, g->p->tz, t);
        bool fresh = nkept == 0 || key > maxk ||
                     (key != lastk && !ev_key_seen(g->keys, nkept, key));
        if (fresh) {
            eng_reason r = { .kind = ENG_R_RULE, .policy = g->p, .rule = rule,
                             .has_bucket = true, .bucket = key };
            ev_emit(g->pool, g->items[j].snap, ev_order(g->pidx, ridx), &r);
            g->keys[nkept++] = key;
            lastk = key;
            if (key > maxk || nkept == 1)
                maxk = key;
        }
        i = j;
    }
}

void ev_tiers(const ev_group_ctx *g)
{
    const pol_policy *p = g->p;
    sk_time upper = g->now;
    size_t k = 0;
    for (size_t ridx = 0; ridx < p->nrules; ridx++) {
        const pol_rule *r = &p->rules[ridx];
        if (!pol_rule_is_tier(r))
            continue;
        sk_time lower = g->cuts[k++];
        size_t a = ev_first_at_or_before(g->items, g->m, upper);
        size_t b = lower < upper ? ev_first_at_or_before(g->items, g->m, lower) : a;
        /* A malformed `every` width cannot bucket anything: keeping the
         * whole window is the safe reading. */
        if (r->kind == POL_KEEP_ALL || (r->kind == POL_EVERY && r->width_usec <= 0))
            ev_keep_all(g, ridx, a, b);
        else
            ev_oldest_per_bucket(g, ridx, a, b);
        upper = lower;
    }
}
