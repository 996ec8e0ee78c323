/* The restic family: `last N`, `hourly..yearly N`, `within D` and
 * `hourly..yearly within D` share one walk over the group, newest first,
 * as restic's ApplyPolicy (internal/restic/snapshot_policy.go) does:
 *
 *     if val != b.Last || nr == len(list)-1 { keep; b.Last = val; b.Count-- }
 *
 * while the rule has count left (or is `all`). restic starts Last at -1;
 * bucket keys here may be negative, so a flag says whether Last is set. */
#include "engine/eval_priv.h"

typedef struct ev_count_state {
    size_t ridx;
    const pol_rule *r;
    bool active;
    bool all;
    int64_t left;
    bool has_last;
    int64_t last;
    int64_t kept;       /* ordinal of the latest keep */
    sk_time cut;        /* WITHIN, PERIOD_WITHIN: keep t > cut */
} ev_count_state;

size_t ev_count_state_size(void)
{
    return sizeof(ev_count_state);
}

static bool ev_is_count_rule(const pol_rule *r)
{
    return r->kind == POL_LAST || r->kind == POL_COUNT ||
           r->kind == POL_WITHIN || r->kind == POL_PERIOD_WITHIN;
}

static size_t ev_count_init(const ev_group_ctx *g, ev_count_state *st)
{
    const pol_policy *p = g->p;
    sk_time newest = g->items[0].t;
    size_t n = 0;
    for (size_t ridx = 0; ridx < p->nrules; ridx++) {
        const pol_rule *r = &p->rules[ridx];
        if (!ev_is_count_rule(r))
            continue;
        ev_count_state s = { .ridx = ridx, .r = r, .active = true };
        /* Windows have no count; any negative count reads as `all`:
         * keeping more is the safe side. */
        s.all = r->count < 0 || r->kind == POL_WITHIN || r->kind == POL_PERIOD_WITHIN;
        s.left = r->count;
        if (r->kind == POL_WITHIN || r->kind == POL_PERIOD_WITHIN)
            s.cut = eng_window_cut(p->tz, newest, &r->window);
        else if (!s.all && r->count == 0)
            s.active = false;
        st[n++] = s;
    }
    return n;
}

static void ev_count_keep(const ev_group_ctx *g, ev_count_state *s, uint32_t snap,
                          bool has_bucket, int64_t key, bool oldest)
{
    eng_reason r = { .kind = ENG_R_RULE, .policy = g->p, .rule = s->r,
                     .has_bucket = has_bucket, .bucket = key,
                     .ordinal = ++s->kept, .oldest = oldest };
    ev_emit(g->pool, snap, ev_order(g->pidx, s->ridx), &r);
    if (!s->all && --s->left <= 0)
        s->active = false;
}

/* One rule at walk position nr; clears s->active once the rule can keep
 * nothing further down the walk. */
static void ev_count_step(const ev_group_ctx *g, ev_count_state *s, size_t nr)
{
    const ev_item *it = &g->items[nr];
    bool is_last = nr == g->m - 1;
    switch (s->r->kind) {
    case POL_LAST:
        ev_count_keep(g, s, it->snap, false, 0, false);
        return;
    case POL_WITHIN:
        if (it->t > s->cut)
            ev_count_keep(g, s, it->snap, false, 0, false);
        else
            s->active = false;      /* sorted: everything after is older */
        return;
    case POL_PERIOD_WITHIN:
        if (it->t <= s->cut) {
            s->active = false;
            return;
        }
        break;
    default:
        break;
    }
    int64_t key = eng_bucket(s->r->period, g->p->tz, it->t);
    if (!s->has_last || key != s->last || is_last) {
        bool oldest = s->has_last && key == s->last;
        s->has_last = true;
        s->last = key;
        ev_count_keep(g, s, it->snap, true, key, oldest);
    }
}

void ev_counts(const ev_group_ctx *g)
{
    if (g->m == 0)
        return;
    ev_count_state *st = g->states;
    size_t n = ev_count_init(g, st);
    size_t nactive = 0;
    for (size_t i = 0; i < n; i++)
        nactive += st[i].active;
    for (size_t nr = 0; nr < g->m && nactive > 0; nr++) {
        for (size_t i = 0; i < n; i++) {
            if (!st[i].active)
                continue;
            ev_count_step(g, &st[i], nr);
            if (!st[i].active)
                nactive--;
        }
    }
}
