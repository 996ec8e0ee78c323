/* Properties of the evaluator over thousands of generated inventories
 * (fixed seed, so a failure reproduces):
 *
 *  1. It agrees, reason for reason, with a slow reference written here
 *     straight from doc/semantics.md (quadratic, no sorting tricks, no
 *     shared walk). Hence every kept snapshot has a reason and every pruned
 *     snapshot is outside every rule.
 *  2. The newest non-future backup of every group is kept.
 *  3. Idempotence: evaluating again at the same `now` after applying the
 *     plan (removing what it prunes) prunes nothing. This holds for every
 *     rule family, restic counts included: a pruned snapshot was kept by no
 *     rule, so for each rule it was one whose bucket equalled the last kept
 *     value or a rule with no count left, and removing it changes no
 *     counter, no "last" value, no window, no oldest-of-bucket and not the
 *     newest; the walk's last snapshot is only pruned when no rule had count
 *     left there, and then none has any at the new last one either. What is
 *     NOT true of restic counts is stability across runs: as new snapshots
 *     arrive, `daily N` moves to newer snapshots and drops older ones.
 *  4. Tier stability between hourly runs (apply the plan, one new snapshot,
 *     now + 1h): a snapshot kept by a bucketed tier at run n that is still in
 *     that tier's window at run n+1 is still kept by it, for the same bucket.
 *     This needs tier cuts that do not move back in time as `now` advances.
 *     Month and year ends can (2026-03-31 minus 1mo is 03-03, 04-01 minus 1mo
 *     is 03-01: an older snapshot of the same month re-enters the window),
 *     so property 4 is checked for chains whose ends are in h/d/w, in UTC,
 *     Europe/Paris and America/New_York with runs on the hour.
 *  5. Snapshots that are not backups (provisioningState Failed, Canceled,
 *     Creating, ...) are never pruned, and change nothing for the others:
 *     evaluating the inventory without them gives every backup the same
 *     action and the same reasons.
 *  6. A disk is its uniqueId: over inventories with re-created disks (each
 *     snapshot carries the uniqueId of one of several incarnations, or
 *     none), gone disks and a disk list, every decision (action and
 *     reasons) equals the one made with no disk list on the same inventory
 *     where each incarnation is written as a disk of its own. So the
 *     snapshots of an earlier or gone disk are never mixed into another
 *     group, and under `retired forever` (the default) the rules treat
 *     them as any group. Every group holds one incarnation and is retired
 *     exactly when it is not the disk as it is now. Under `retired keep-all`
 *     every backup of a retired group is kept; under `retired for D` one
 *     whose newest backup is D old keeps only its `tagged` holds, the others
 *     are as under `forever`; current groups never change.
 *  7. Unfinished and failed background copies (completionPercent < 100,
 *     copyCompletionError) are kept, are never `newest`, and change
 *     nothing for the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/enforce.h"
#include "support/builders.h"

/* ---- deterministic random numbers ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static int64_t rnd_in(rng *r, int64_t lo, int64_t hi)  /* inclusive */
{
    return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static bool chance(rng *r, int percent)
{
    return (int)(rnd(r) % 100) < percent;
}

/* ---- generated policies ---- */

static const char *const zones[] = { "UTC", "Europe/Paris", "America/New_York" };
static const char *const adjs[] = { "hourly", "daily", "weekly", "monthly", "yearly" };

/* Tier ends that strictly increase whatever `now` and zone are. With
 * `calendar` false: h/d/w only (see property 4). */
static const char *const ends_all[] = { "3h", "1d", "3d", "1w", "3w", "2mo", "6mo", "1y" };
static const char *const ends_fixed[] = { "3h", "12h", "1d", "3d", "1w", "2w", "5w" };
static const char *const widths[] = { "30m", "1h", "6h", "12h", "1d", "1w" };

static void gen_tiers(rng *r, char *out, size_t n, bool calendar)
{
    const char *const *ends = calendar ? ends_all : ends_fixed;
    size_t nends = calendar ? 8 : 7;
    size_t at = 0;
    int ntiers = (int)rnd_in(r, 1, 3);
    for (int k = 0; k < ntiers && at < nends; k++) {
        at += (size_t)rnd_in(r, 0, 2);
        if (at >= nends)
            break;
        const char *end = ends[at++];
        char rule[64];
        switch (rnd_in(r, 0, 2)) {
        case 0:
            snprintf(rule, sizeof rule, "keep-all %s", end);
            break;
        case 1:
            snprintf(rule, sizeof rule, "every %s to %s", widths[rnd_in(r, 0, 5)], end);
            break;
        default:
            snprintf(rule, sizeof rule, "%s to %s", adjs[rnd_in(r, 0, calendar ? 4 : 2)], end);
            break;
        }
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s", len ? ", " : "", rule);
    }
}

static void gen_counts(rng *r, char *out, size_t n)
{
    static const char *const windows[] = { "2h", "1d", "3d", "1w", "1mo" };
    int ncount = (int)rnd_in(r, 0, 3);
    for (int k = 0; k < ncount; k++) {
        char rule[64], cnt[16];
        if (chance(r, 15))
            snprintf(cnt, sizeof cnt, "all");
        else
            snprintf(cnt, sizeof cnt, "%d", (int)rnd_in(r, 1, 8));
        switch (rnd_in(r, 0, 3)) {
        case 0:
            snprintf(rule, sizeof rule, "last %s", cnt);
            break;
        case 1:
            snprintf(rule, sizeof rule, "%s %s", adjs[rnd_in(r, 0, 4)], cnt);
            break;
        case 2:
            snprintf(rule, sizeof rule, "within %s", windows[rnd_in(r, 0, 4)]);
            break;
        default:
            snprintf(rule, sizeof rule, "%s within %s", adjs[rnd_in(r, 0, 3)],
                     windows[rnd_in(r, 0, 4)]);
            break;
        }
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s", len ? ", " : "", rule);
    }
}

static pol_policy *gen_policy(rng *r, const char *name)
{
    char rules[512] = "";
    if (chance(r, 80))
        gen_tiers(r, rules, sizeof rules, true);
    gen_counts(r, rules, sizeof rules);
    if (chance(r, 20)) {
        size_t len = strlen(rules);
        snprintf(rules + len, sizeof rules - len, "%stagged \"hold\"", len ? ", " : "");
    }
    if (rules[0] == '\0')
        snprintf(rules, sizeof rules, "last 1");
    /* Sometimes a block: a few disks by name, ownership by tag. */
    bool block = chance(r, 35);
    pol_policy *p = tb_policy(name, !block, zones[rnd_in(r, 0, 2)]);
    tb_rules(p, rules);
    if (block) {
        int ndisks = (int)rnd_in(r, 0, 2);
        for (int i = 0; i < ndisks; i++) {
            char disk[16];
            snprintf(disk, sizeof disk, "disk%d", (int)rnd_in(r, 0, 3));
            tb_disk(p, disk);
        }
        p->adopt_untagged = chance(r, 50);
    }
    return p;
}

/* ---- generated inventories ---- */

/* The source of disk d, spelled one of several equivalent ways. */
static void gen_source(rng *r, int d, char *buf, size_t n)
{
    snprintf(buf, n, "/subscriptions/" TB_SUB "/resourceGroups/%s/providers/"
             "Microsoft.Compute/disks/disk%d", chance(r, 70) ? "rg" : "RG", d);
    if (chance(r, 20))
        memmove(buf, buf + 1, strlen(buf));     /* no leading '/' */
    if (chance(r, 10))
        for (char *c = buf; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
}

static void gen_name(rng *r, char *buf, size_t n)
{
    static const char letters[] = "abcdefghij";
    size_t len = (size_t)rnd_in(r, 1, 4);
    for (size_t i = 0; i < len && i + 1 < n; i++)
        buf[i] = letters[rnd_in(r, 0, 9)];
    buf[len < n ? len : n - 1] = '\0';
}

typedef struct gen_snap {
    char name[16];
    char source[200];
    bool has_source;
    sk_time t;
    bool hold;
    int owner;          /* snapkeep-policy tag: 0 none, 1 "p0", 2 "p1", 3 "other" */
    int state;          /* index into gen_states */
} gen_snap;

/* provisioningState values: absent, the backups' spellings, then the ones
 * that are not backups (GEN_NOT_BACKUP onwards; GEN_FAILED onwards of
 * those: failed). */
static const char *const gen_states[] = { NULL, "Succeeded", "succeeded", "",
                                          "Creating", "Updating", "Pending",
                                          "Failed", "Canceled", "FAILED" };
enum { GEN_NOT_BACKUP = 4, GEN_FAILED = 7, GEN_NSTATES = 10 };

static bool gen_is_backup(const inv_snapshot *s)
{
    for (int i = GEN_NOT_BACKUP; i < GEN_NSTATES; i++)
        if (s->provisioning_state != NULL && strcmp(s->provisioning_state, gen_states[i]) == 0)
            return false;
    return true;
}

static bool gen_is_failed(const inv_snapshot *s)
{
    for (int i = GEN_FAILED; i < GEN_NSTATES; i++)
        if (s->provisioning_state != NULL && strcmp(s->provisioning_state, gen_states[i]) == 0)
            return true;
    return false;
}

/* Mostly backups; some runs have many failures in a row (a broken
 * snapshot job), most a few scattered ones. */
static int gen_state(rng *r, int bad_percent)
{
    if (chance(r, bad_percent))
        return (int)rnd_in(r, GEN_NOT_BACKUP, GEN_NSTATES - 1);
    return (int)rnd_in(r, 0, GEN_NOT_BACKUP - 1);
}

/* Cadence, jitter, gaps, equal times, future snapshots, shuffled order;
 * sometimes one big group, so the radix sort path runs. */
static size_t gen_snaps(rng *r, gen_snap *out, size_t cap, sk_time *now)
{
    static const int64_t cadences[] = { 20 * TB_MIN, TB_HOUR, 3 * TB_HOUR, TB_DAY };
    sk_time base = tb_time("2026-01-01") + rnd_in(r, 0, 3 * 365) * TB_DAY +
                   rnd_in(r, 0, 23) * TB_HOUR;
    int ndisks = (int)rnd_in(r, 1, 3);
    size_t n = 0;
    bool big = chance(r, 5);
    int bad = chance(r, 30) ? 0 : chance(r, 20) ? 60 : 12;
    for (int d = 0; d <= ndisks; d++) {
        bool nosource = d == ndisks;
        if (nosource && !chance(r, 30))
            break;
        int64_t cadence = cadences[rnd_in(r, 0, 3)];
        int64_t jitter = chance(r, 50) ? rnd_in(r, 0, cadence / 2) : 0;
        size_t count = (size_t)rnd_in(r, 1, big ? 400 : 90);
        sk_time t = base - (sk_time)count * cadence;
        for (size_t i = 0; i < count && n < cap; i++) {
            gen_snap *s = &out[n++];
            gen_name(r, s->name, sizeof s->name);
            s->has_source = !nosource;
            if (!nosource)
                gen_source(r, d, s->source, sizeof s->source);
            if (i > 0 && chance(r, 8))
                s->t = out[n - 2].t;            /* equal times */
            else
                s->t = t + (jitter ? rnd_in(r, -jitter, jitter) : 0) +
                       (chance(r, 3) ? rnd_in(r, 1, 10) * cadence : 0);
            s->hold = chance(r, 5);
            s->owner = chance(r, 60) ? 1 + (int)rnd_in(r, 0, 1) : (int)(rnd_in(r, 0, 1) * 3);
            s->state = gen_state(r, bad);
            t += cadence;
        }
    }
    *now = base + rnd_in(r, -3, 3) * TB_HOUR + rnd_in(r, 0, 59) * TB_MIN;
    for (size_t i = n; i > 1 && chance(r, 50); i--) {   /* shuffle, sometimes */
        size_t j = (size_t)rnd_in(r, 0, (int64_t)i - 1);
        gen_snap x = out[i - 1];
        out[i - 1] = out[j];
        out[j] = x;
    }
    return n;
}

static inv_inventory *make_inv(const gen_snap *g, size_t n, const bool *drop)
{
    inv_inventory *inv = tb_inv();
    for (size_t i = 0; i < n; i++) {
        if (drop != NULL && drop[i])
            continue;
        inv_snapshot *s = tb_snap(inv, g[i].name, g[i].has_source ? g[i].source : NULL, g[i].t);
        if (g[i].hold)
            tb_snap_tag(inv, s, "hold", "yes");
        static const char *const owners[] = { NULL, "p0", "p1", "other" };
        if (g[i].owner != 0)
            tb_snap_tag(inv, s, POL_OWNER_TAG, owners[g[i].owner]);
        tb_snap_state(inv, s, gen_states[g[i].state]);
    }
    return inv;
}

/* ---- the reference evaluator ---- */

typedef struct ref_reason {
    eng_reason_kind kind;
    size_t pidx;
    long rule;              /* index, -1 for newest/future/failed/in progress */
    bool has_bucket;
    int64_t bucket, ordinal;
    bool oldest;
} ref_reason;

typedef struct ref_plan {
    ref_reason *r;          /* up to RMAX per snapshot */
    size_t *n;
} ref_plan;

#define RMAX 24

static void ref_add(ref_plan *rp, size_t snap, ref_reason why)
{
    assert_true(rp->n[snap] < RMAX);
    rp->r[snap * RMAX + rp->n[snap]++] = why;
}

/* Group key: the source lowercased, without its leading '/'. */
static void ref_key(const inv_snapshot *s, char *buf, size_t n)
{
    const char *src = s->source_id ? s->source_id : "";
    if (*src == '/')
        src++;
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        buf[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i]);
    buf[i] = '\0';
}

/* a before b in the walk: newer, then smaller name, then inventory order. */
static bool ref_before(const inv_inventory *inv, size_t a, size_t b)
{
    const inv_snapshot *x = &inv->snapshots[a], *y = &inv->snapshots[b];
    if (x->created != y->created)
        return x->created > y->created;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c < 0 : a < b;
}

static int64_t ref_bucket(const pol_policy *p, const pol_rule *r, sk_time t)
{
    return r->kind == POL_EVERY ? eng_every_bucket(t, r->width_usec)
                                : eng_bucket(r->period, p->tz, t);
}

/* Tiers straight from the definition: in the window, and no other snapshot
 * of the window in the same bucket comes before it in (oldest, name). */
static void ref_tiers(const pol_policy *p, size_t pidx, const inv_inventory *inv,
                      const size_t *g, size_t m, sk_time now, ref_plan *rp)
{
    sk_time upper = now;
    for (size_t k = 0; k < p->nrules; k++) {
        const pol_rule *r = &p->rules[k];
        if (!pol_rule_is_tier(r))
            continue;
        sk_time lower = eng_time_sub(p->tz, now, &r->end);
        for (size_t i = 0; i < m; i++) {
            sk_time t = inv->snapshots[g[i]].created;
            if (!(lower < t && t <= upper))
                continue;
            ref_reason why = { ENG_R_RULE, pidx, (long)k, false, 0, 0, false };
            if (r->kind != POL_KEEP_ALL) {
                why.has_bucket = true;
                why.bucket = ref_bucket(p, r, t);
                bool first = true;
                for (size_t j = 0; j < m && first; j++) {
                    sk_time u = inv->snapshots[g[j]].created;
                    sk_time t_i = inv->snapshots[g[i]].created;
                    bool j_first = u < t_i || (u == t_i && ref_before(inv, g[j], g[i]));
                    if (j != i && lower < u && u <= upper && ref_bucket(p, r, u) == why.bucket &&
                        j_first)
                        first = false;  /* j is older, or as old with a smaller name */
                }
                if (!first)
                    continue;
            }
            ref_add(rp, g[i], why);
        }
        upper = lower;
    }
}

/* restic's loop, one rule at a time (rules do not interact). g is sorted. */
static void ref_count_rule(const pol_policy *p, size_t pidx, size_t k, const inv_inventory *inv,
                           const size_t *g, size_t m, ref_plan *rp)
{
    const pol_rule *r = &p->rules[k];
    bool window = r->kind == POL_WITHIN || r->kind == POL_PERIOD_WITHIN;
    sk_time cut = window ? eng_time_sub(p->tz, inv->snapshots[g[0]].created, &r->window) : 0;
    int64_t count = window ? -1 : r->count, kept = 0, last = 0;
    bool has_last = false;
    for (size_t nr = 0; nr < m; nr++) {
        sk_time t = inv->snapshots[g[nr]].created;
        ref_reason why = { ENG_R_RULE, pidx, (long)k, false, 0, 0, false };
        if (window && t <= cut)
            continue;
        if (!(count > 0 || count == -1))
            continue;
        if (r->kind == POL_WITHIN || r->kind == POL_LAST) {
            why.ordinal = ++kept;
            ref_add(rp, g[nr], why);
            if (count > 0)
                count--;
            continue;
        }
        int64_t val = eng_bucket(r->period, p->tz, t);
        if (!has_last || val != last || nr == m - 1) {
            why.has_bucket = true;
            why.bucket = val;
            why.oldest = has_last && val == last;
            why.ordinal = ++kept;
            ref_add(rp, g[nr], why);
            last = val;
            has_last = true;
            if (count > 0)
                count--;
        }
    }
}

static const inv_inventory *sort_inv;   /* qsort has no context argument */

static int ref_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return ref_before(sort_inv, x, y) ? -1 : ref_before(sort_inv, y, x) ? 1 : 0;
}

/* Scope as the generated policies use it: none, or disk names. */
static bool ref_governs(const pol_policy *p, const inv_snapshot *s)
{
    if (p->anonymous || p->ndisks == 0)
        return true;
    char key[256];
    ref_key(s, key, sizeof key);
    const char *slash = strrchr(key, '/');
    for (size_t i = 0; i < p->ndisks; i++)
        if (slash != NULL && strstr(key, "/providers/microsoft.compute/disks/") != NULL &&
            strcmp(slash + 1, p->disks[i]) == 0)
            return true;
    return false;
}

static const char *ref_owner_tag(const inv_snapshot *s)
{
    for (uint32_t i = 0; i < s->ntags; i++)
        if (strcmp(s->tags[i].key, POL_OWNER_TAG) == 0)
            return s->tags[i].value;
    return NULL;
}

static bool ref_owns(const pol_policy *p, const inv_snapshot *s)
{
    if (!ref_governs(p, s))
        return false;
    const char *tag = ref_owner_tag(s);
    return p->anonymous || (tag ? strcmp(tag, p->name) == 0 : p->adopt_untagged);
}

/* A snapshot that is not a backup still gets the reasons of the `tagged`
 * rules it matches (it is kept anyway). */
static void ref_held(const pol_policy *p, size_t pidx, const inv_snapshot *s, size_t j,
                     ref_plan *rp)
{
    for (size_t k = 0; k < p->nrules; k++)
        if (p->rules[k].kind == POL_TAGGED &&
            pol_tags_match(p->rules[k].tags, p->rules[k].ntags, s->tags, s->ntags))
            ref_add(rp, j, (ref_reason){ ENG_R_RULE, pidx, (long)k, false, 0, 0, false });
}

static void ref_policy(const pol_policy *p, size_t pidx, const inv_inventory *inv, sk_time now,
                       ref_plan *rp)
{
    size_t n = inv->nsnapshots;
    char (*keys)[256] = calloc(n ? n : 1, sizeof *keys);
    bool *done = calloc(n ? n : 1, sizeof *done);
    size_t *g = calloc(n ? n : 1, sizeof *g);
    assert_non_null(keys);
    assert_non_null(done);
    assert_non_null(g);
    for (size_t i = 0; i < n; i++)
        ref_key(&inv->snapshots[i], keys[i], sizeof keys[i]);
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        size_t m = 0;
        for (size_t j = i; j < n; j++) {
            if (done[j] || strcmp(keys[i], keys[j]) != 0)
                continue;
            done[j] = true;
            if (!ref_owns(p, &inv->snapshots[j]))
                continue;
            const inv_snapshot *s = &inv->snapshots[j];
            bool future = s->created > now, backup = gen_is_backup(s);
            if (future)
                ref_add(rp, j, (ref_reason){ ENG_R_FUTURE, pidx, -1, false, 0, 0, false });
            if (!backup)
                ref_add(rp, j, (ref_reason){ gen_is_failed(s) ? ENG_R_FAILED : ENG_R_IN_PROGRESS,
                                             pidx, -1, false, 0, 0, false });
            if (!backup && !future)
                ref_held(p, pidx, s, j, rp);
            if (backup && !future)
                g[m++] = j;
        }
        if (m == 0)
            continue;
        sort_inv = inv;
        qsort(g, m, sizeof *g, ref_cmp);
        ref_tiers(p, pidx, inv, g, m, now, rp);
        for (size_t k = 0; k < p->nrules; k++) {
            const pol_rule *r = &p->rules[k];
            if (r->kind == POL_LAST || r->kind == POL_COUNT || r->kind == POL_WITHIN ||
                r->kind == POL_PERIOD_WITHIN)
                ref_count_rule(p, pidx, k, inv, g, m, rp);
            if (r->kind == POL_TAGGED)
                for (size_t j = 0; j < m; j++)
                    if (pol_tags_match(r->tags, r->ntags, inv->snapshots[g[j]].tags,
                                       inv->snapshots[g[j]].ntags))
                        ref_add(rp, g[j], (ref_reason){ ENG_R_RULE, pidx, (long)k, false, 0, 0,
                                                       false });
        }
        ref_add(rp, g[0], (ref_reason){ ENG_R_NEWEST, pidx, -1, false, 0, 0, false });
    }
    free(keys);
    free(done);
    free(g);
}

/* Sorts each snapshot's reasons by (policy, rule; newest last). */
static long ref_rank(const ref_reason *r, const pol_policy *const *pols)
{
    long rule = r->kind == ENG_R_NEWEST ? (long)pols[r->pidx]->nrules + 1
              : r->rule < 0 ? 0 : r->rule;
    return (long)r->pidx * 1000 + rule;
}

static void ref_evaluate(pol_policy *const *pols, size_t npols, const inv_inventory *inv,
                         sk_time now, ref_plan *rp)
{
    size_t n = inv->nsnapshots;
    rp->r = calloc((n ? n : 1) * RMAX, sizeof *rp->r);
    rp->n = calloc(n ? n : 1, sizeof *rp->n);
    assert_non_null(rp->r);
    assert_non_null(rp->n);
    for (size_t p = 0; p < npols; p++)
        ref_policy(pols[p], p, inv, now, rp);
    /* Owned by none: "not owned" for each policy that governs it, else
     * unmanaged. */
    for (size_t s = 0; s < n; s++) {
        bool owned = false, governed = false;
        for (size_t p = 0; p < npols; p++)
            owned |= ref_owns(pols[p], &inv->snapshots[s]);
        for (size_t p = 0; p < npols && !owned; p++)
            if (ref_governs(pols[p], &inv->snapshots[s])) {
                ref_add(rp, s, (ref_reason){ ENG_R_NOT_OWNED, p, -1, false, 0, 0, false });
                governed = true;
            }
        if (!owned && !governed)
            ref_add(rp, s, (ref_reason){ ENG_R_UNMANAGED, npols, -1, false, 0, 0, false });
    }
    for (size_t s = 0; s < n; s++) {
        ref_reason *r = &rp->r[s * RMAX];
        for (size_t i = 1; i < rp->n[s]; i++)
            for (size_t j = i; j > 0 && ref_rank(&r[j - 1], (const pol_policy *const *)pols) >
                                        ref_rank(&r[j], (const pol_policy *const *)pols); j--) {
                ref_reason x = r[j];
                r[j] = r[j - 1];
                r[j - 1] = x;
            }
    }
}

/* ---- the checks ---- */

static void dump_case(pol_policy *const *pols, size_t npols, const inv_inventory *inv, sk_time now)
{
    char buf[32];
    fprintf(stderr, "now %s\n", tb_time_str(now, buf, sizeof buf));
    for (size_t p = 0; p < npols; p++) {
        fprintf(stderr, "policy %zu (%s):", p, pols[p]->timezone);
        for (size_t k = 0; k < pols[p]->nrules; k++)
            fprintf(stderr, " %s,", pols[p]->rules[k].text);
        fputc('\n', stderr);
    }
    for (size_t i = 0; i < inv->nsnapshots && i < 400; i++)
        fprintf(stderr, "  %s %s %s %s\n", inv->snapshots[i].name,
                tb_time_str(inv->snapshots[i].created, buf, sizeof buf),
                inv->snapshots[i].source_id ? inv->snapshots[i].source_id : "-",
                inv->snapshots[i].provisioning_state ? inv->snapshots[i].provisioning_state
                                                     : "(no state)");
}

static bool same_reason(const eng_reason *a, const ref_reason *b, pol_policy *const *pols,
                        const inv_snapshot *snap)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == ENG_R_UNMANAGED)
        return a->policy == NULL;
    if (a->policy != pols[b->pidx])
        return false;
    if (a->kind == ENG_R_NOT_OWNED) {
        const char *tag = ref_owner_tag(snap);
        return tag == NULL ? a->owner_tag == NULL
                           : a->owner_tag != NULL && strcmp(a->owner_tag, tag) == 0;
    }
    if (a->kind == ENG_R_FAILED || a->kind == ENG_R_IN_PROGRESS)
        return a->state == snap->provisioning_state;
    if (a->kind != ENG_R_RULE)
        return true;
    return a->rule == &pols[b->pidx]->rules[b->rule] && a->has_bucket == b->has_bucket &&
           (!a->has_bucket || a->bucket == b->bucket) && a->ordinal == b->ordinal &&
           a->oldest == b->oldest;
}

static void check_against_reference(pol_policy *const *pols, size_t npols,
                                    const inv_inventory *inv, sk_time now, const eng_plan *plan)
{
    ref_plan rp;
    ref_evaluate(pols, npols, inv, now, &rp);
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const eng_decision *d = &plan->decisions[i];
        bool ok = d->nreasons == rp.n[i];
        for (size_t k = 0; ok && k < rp.n[i]; k++)
            ok = same_reason(&d->reasons[k], &rp.r[i * RMAX + k], pols, d->snap);
        if (!ok) {
            dump_case(pols, npols, inv, now);
            char *got = tb_reasons(d);
            fprintf(stderr, "snapshot %s: evaluator says [%s], reference has %zu reasons:\n",
                    d->snap->name, got, rp.n[i]);
            for (size_t k = 0; k < rp.n[i]; k++) {
                const ref_reason *r = &rp.r[i * RMAX + k];
                fprintf(stderr, "  kind %d policy %zu rule %ld bucket %lld ord %lld oldest %d\n",
                        (int)r->kind, r->pidx, r->rule, (long long)r->bucket,
                        (long long)r->ordinal, r->oldest);
            }
            free(got);
            fail();
        }
        assert_int_equal(d->action, rp.n[i] > 0 ? ENG_KEEP : ENG_PRUNE);
    }
    free(rp.r);
    free(rp.n);
}

/* Property 2, checked without the reference: for each group, the newest
 * non-future backup (smaller name on ties) is kept with reason newest. */
static void check_newest(const eng_plan *plan)
{
    /* A group is every snapshot of its source disk its policy owns. */
    for (size_t gi = 0; gi < plan->ngroups; gi++) {
        const eng_decision *best = NULL;
        char gkey[256], key[256];
        inv_snapshot probe = { .source_id = plan->groups[gi].source_id };
        ref_key(&probe, gkey, sizeof gkey);
        for (size_t i = 0; i < plan->ndecisions; i++) {
            const eng_decision *d = &plan->decisions[i];
            ref_key(d->snap, key, sizeof key);
            if (strcmp(key, gkey) != 0 || d->future || !gen_is_backup(d->snap) ||
                !ref_owns(plan->groups[gi].policy, d->snap))
                continue;
            if (best == NULL || d->snap->created > best->snap->created ||
                (d->snap->created == best->snap->created &&
                 strcmp(d->snap->name, best->snap->name) < 0))
                best = d;
        }
        if (best == NULL)
            continue;
        assert_int_equal(best->action, ENG_KEEP);
        assert_true(best->newest);
        assert_int_equal(plan->groups[gi].newest, best->snap->created);
        bool has = false;
        for (uint32_t k = 0; k < best->nreasons; k++)
            has |= best->reasons[k].kind == ENG_R_NEWEST;
        assert_true(has);
    }
}

static void check_idempotent(pol_policy *const *pols, size_t npols, const gen_snap *g, size_t n,
                             const eng_plan *plan, sk_time now)
{
    bool *drop = calloc(n ? n : 1, sizeof *drop);
    assert_non_null(drop);
    for (size_t i = 0; i < n; i++)
        drop[i] = plan->decisions[i].action == ENG_PRUNE;
    inv_inventory *inv = make_inv(g, n, drop);
    eng_plan *again = tb_eval(pols, npols, inv, now);
    if (again->nprune != 0) {
        dump_case(pols, npols, inv, now);
        fail_msg("re-plan after applying the plan prunes %zu", again->nprune);
    }
    eng_plan_free(again);
    inv_free(inv);
    free(drop);
}

/* Property 5. make_inv keeps the inventory order, so the k-th snapshot
 * left is the k-th backup. */
static void check_not_backups(pol_policy *const *pols, size_t npols, const gen_snap *g, size_t n,
                              const inv_inventory *full, const eng_plan *plan, sk_time now,
                              size_t *nbad)
{
    bool *drop = calloc(n ? n : 1, sizeof *drop);
    assert_non_null(drop);
    size_t failed = 0, busy = 0;
    for (size_t i = 0; i < n; i++) {
        const eng_decision *d = &plan->decisions[i];
        drop[i] = !gen_is_backup(d->snap);
        if (drop[i] && d->action != ENG_KEEP)
            fail_msg("%s (%s) is not a backup and is pruned", d->snap->name,
                     d->snap->provisioning_state);
        assert_int_equal(d->failed, gen_is_failed(d->snap));
        assert_int_equal(d->in_progress, drop[i] && !gen_is_failed(d->snap));
        failed += d->failed;
        busy += d->in_progress;
    }
    assert_int_equal(plan->nfailed, failed);
    assert_int_equal(plan->ninprogress, busy);
    *nbad += failed + busy;
    inv_inventory *inv = make_inv(g, n, drop);
    eng_plan *clean = tb_eval(pols, npols, inv, now);
    for (size_t i = 0, k = 0; i < n; i++) {
        if (drop[i])
            continue;
        const eng_decision *a = &plan->decisions[i], *b = &clean->decisions[k++];
        char *ra = tb_reasons(a), *rb = tb_reasons(b);
        if (a->action != b->action || strcmp(ra, rb) != 0) {
            dump_case(pols, npols, full, now);
            fail_msg("%s: with the non-backups [%s], without [%s]", a->snap->name, ra, rb);
        }
        free(ra);
        free(rb);
    }
    eng_plan_free(clean);
    inv_free(inv);
    free(drop);
}

static void test_generated(void **state)
{
    (void)state;
    enum { CASES = 3000, CAP = 1400 };
    rng r = { 0x5eed5eed12345678u };
    gen_snap *g = calloc(CAP, sizeof *g);
    assert_non_null(g);
    size_t total = 0, kept = 0, unmanaged = 0, future = 0, twice = 0, bad = 0;
    for (int c = 0; c < CASES; c++) {
        pol_policy *pols[2] = { gen_policy(&r, "p0"), NULL };
        size_t npols = chance(&r, 15) ? 2 : 1;
        if (npols == 2)
            pols[1] = gen_policy(&r, "p1");
        sk_time now;
        size_t n = gen_snaps(&r, g, CAP, &now);
        inv_inventory *inv = make_inv(g, n, NULL);
        eng_plan *plan = tb_eval(pols, npols, inv, now);
        check_against_reference(pols, npols, inv, now, plan);
        check_newest(plan);
        check_idempotent(pols, npols, g, n, plan, now);
        check_not_backups(pols, npols, g, n, inv, plan, now, &bad);
        total += n;
        kept += plan->nkeep;
        unmanaged += plan->nunmanaged;
        future += plan->nfuture;
        twice += npols == 2 && plan->ngroups > 0;
        eng_plan_free(plan);
        inv_free(inv);
        tb_policy_free(pols[0]);
        tb_policy_free(pols[1]);
    }
    /* The generator must produce both outcomes, or the checks prove little. */
    assert_true(kept > total / 20);
    assert_true(kept < total - total / 20);
    assert_true(unmanaged > total / 50);
    assert_true(future > 100);
    assert_true(twice > 100);
    assert_true(bad > total / 20);
    free(g);
}

/* ---- properties 6 and 7: identity and background copies ---- */

typedef struct id_snap {
    int disk;           /* -1: no source */
    int inc;            /* incarnation; -1: no sourceUniqueId */
    int copy;           /* 0 done, 1 pending, 2 failed */
    int pct;
} id_snap;

/* What became of disk N: it is the incarnation its last snapshots were of,
 * it was made again and has none yet, or it is gone. */
enum { FATE_LATEST, FATE_FRESH, FATE_GONE };

static int disk_of(const gen_snap *g)
{
    if (!g->has_source)
        return -1;
    const char *d = strrchr(g->source, 'k');    /* ".../disks/diskN", any case */
    const char *D = strrchr(g->source, 'K');
    d = d > D ? d : D;
    return d != NULL ? d[1] - '0' : -1;
}

/* The incarnation's disk written as a disk of its own (another resource
 * group, the same name, so `disk "diskN"` still matches). */
static void own_disk(char *buf, size_t n, int disk, const char *key)
{
    snprintf(buf, n, "/subscriptions/" TB_SUB "/resourceGroups/rg-%s/providers/"
             "Microsoft.Compute/disks/disk%d", key, disk);
}

/* covered: the disk list covers the disks' resource group (else a disk
 * missing from it is not judged gone). */
static inv_inventory *id_inv(const gen_snap *g, const id_snap *x, size_t n, const int *fate,
                             const int *ninc, bool covered, bool listed, const bool *drop)
{
    inv_inventory *inv = tb_inv();
    char uid[32], src[256], key[40];
    for (size_t i = 0; i < n; i++) {
        if (drop != NULL && drop[i])
            continue;
        const char *source = g[i].has_source ? g[i].source : NULL;
        int d = x[i].disk;
        if (!listed && d >= 0) {
            /* which group the identity rules put it in */
            bool exists = fate[d] == FATE_LATEST || fate[d] == FATE_FRESH;
            int current = fate[d] == FATE_LATEST ? ninc[d] - 1 : fate[d] == FATE_FRESH ? 99 : -2;
            if ((!exists && !covered) || (exists && (x[i].inc < 0 || x[i].inc == current)))
                snprintf(key, sizeof key, "cur");
            else if (x[i].inc < 0)
                snprintf(key, sizeof key, "none");
            else
                snprintf(key, sizeof key, "u%d-%d", d, x[i].inc);
            own_disk(src, sizeof src, d, key);
            source = src;
        }
        inv_snapshot *s = tb_snap(inv, g[i].name, source, g[i].t);
        if (g[i].hold)
            tb_snap_tag(inv, s, "hold", "yes");
        static const char *const owners[] = { NULL, "p0", "p1", "other" };
        if (g[i].owner != 0)
            tb_snap_tag(inv, s, POL_OWNER_TAG, owners[g[i].owner]);
        if (x[i].inc >= 0) {
            snprintf(uid, sizeof uid, "U%d-%d", d, x[i].inc);
            if (x[i].inc % 2 == 1)      /* GUIDs compare ignoring case */
                uid[0] = 'u';
            s->source_unique_id = inv_strdup(inv, uid, strlen(uid));
        }
        if (x[i].copy != 0 || x[i].pct == 100) {
            s->has_completion = true;
            s->completion_percent = x[i].pct;
        }
        if (x[i].copy == 2)
            s->copy_error_code = "CopyFailed";
    }
    if (!listed)
        return inv;
    inv->disks_known = true;
    assert_int_equal(inv_add_disk_scope(inv, TB_SUB, covered ? "rg" : "rg-elsewhere"), 0);
    for (int d = 0; d < 4; d++) {
        if (fate[d] != FATE_LATEST && fate[d] != FATE_FRESH)
            continue;
        char id[128];
        snprintf(id, sizeof id, "/subscriptions/" TB_SUB "/resourceGroups/rg/providers/"
                 "Microsoft.Compute/disks/disk%d", d);
        inv_disk *disk = tb_inv_disk(inv, id);
        snprintf(uid, sizeof uid, "U%d-%d", d, fate[d] == FATE_LATEST ? ninc[d] - 1 : 99);
        disk->unique_id = inv_strdup(inv, uid, strlen(uid));
    }
    return inv;
}

static void check_same_decisions(pol_policy *const *pols, size_t npols, const inv_inventory *a,
                                 const eng_plan *pa, const eng_plan *pb, const bool *drop,
                                 sk_time now, const char *what)
{
    for (size_t i = 0, k = 0; i < pa->ndecisions; i++) {
        if (drop != NULL && drop[i])
            continue;
        const eng_decision *x = &pa->decisions[i], *y = &pb->decisions[k++];
        char *rx = tb_reasons(x), *ry = tb_reasons(y);
        if (x->action != y->action || strcmp(rx, ry) != 0) {
            dump_case(pols, npols, a, now);
            fail_msg("%s: %s: [%s] but [%s]", what, x->snap->name, rx, ry);
        }
        free(rx);
        free(ry);
    }
}

static bool pol_has_tagged(const pol_policy *p)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].kind == POL_TAGGED)
            return true;
    return false;
}

/* The `retired` setting over the same inventory: keep-all keeps every
 * backup of a retired group; `for D` releases a group whose newest backup
 * is at least D old (nothing of it kept but `tagged` holds) and leaves the
 * others as `forever` (plan_forever) decides them; current groups are never
 * touched. */
static void check_retired_settings(pol_policy *p, const inv_inventory *inv,
                                   const eng_plan *forever, const eng_plan *split, sk_time now,
                                   size_t *nreleased)
{
    (void)split;
    static const pol_duration fors[] = { { .days = 1 }, { .days = 30 }, { .hours = 6 } };
    for (int k = 0; k < 4; k++) {
        p->retired = k == 3 ? POL_RETIRED_KEEP_ALL : POL_RETIRED_FOR;
        if (k < 3)
            p->retired_for = fors[k];
        eng_plan *q = tb_eval(&p, 1, inv, now);
        for (size_t i = 0; i < q->ndecisions; i++) {
            const eng_decision *d = &q->decisions[i], *f = &forever->decisions[i];
            if (d->group >= q->ngroups || d->unmanaged) {
                assert_int_equal(d->action, f->action);
                continue;
            }
            const eng_group *gr = &q->groups[d->group];
            bool backup = enf_snapshot_usable(d->snap) && d->snap->created <= now;
            if (!gr->retired) {
                char *a = tb_reasons(d), *b = tb_reasons(f);
                if (strcmp(a, b) != 0)
                    fail_msg("%s: a current group changed with `retired`: [%s] [%s]",
                             d->snap->name, a, b);
                free(a);
                free(b);
            } else if (p->retired == POL_RETIRED_KEEP_ALL) {
                if (backup && d->action != ENG_KEEP)
                    fail_msg("%s: retired keep-all, yet pruned", d->snap->name);
            } else if (gr->newest != SK_TIME_MIN &&    /* no backup: nothing to release */
                       gr->newest <= eng_window_cut(p->tz, now, &p->retired_for)) {
                assert_true(gr->released);
                bool held = false, other = false;
                for (uint32_t k2 = 0; k2 < d->nreasons; k2++) {
                    bool tag = d->reasons[k2].kind == ENG_R_RULE &&
                               d->reasons[k2].rule->kind == POL_TAGGED;
                    held |= tag;
                    other |= !tag;
                }
                if (backup && (other || (held && inv_tag_get(d->snap->tags, d->snap->ntags,
                                                             "hold") == NULL)))
                    fail_msg("%s: released group, kept by more than a hold", d->snap->name);
                if (backup && held != (inv_tag_get(d->snap->tags, d->snap->ntags, "hold") != NULL &&
                                       pol_has_tagged(p)))
                    fail_msg("%s: released group, kept %d, held %d", d->snap->name,
                             d->action == ENG_KEEP, held);
                *nreleased += d->action == ENG_PRUNE;
            } else {
                assert_false(gr->released);
                assert_int_equal(d->action, f->action);
            }
        }
        eng_plan_free(q);
    }
    p->retired = POL_RETIRED_FOREVER;
}

static void test_identity_generated(void **state)
{
    (void)state;
    enum { CASES = 1500, CAP = 1400 };
    rng r = { 0x1de7171e5eed0001u };
    gen_snap *g = calloc(CAP, sizeof *g);
    id_snap *x = calloc(CAP, sizeof *x);
    bool *drop = calloc(CAP, sizeof *drop);
    assert_true(g != NULL && x != NULL && drop != NULL);
    size_t retired = 0, earlier = 0, gone = 0, pending = 0, failed = 0, groups = 0, released = 0;
    for (int c = 0; c < CASES; c++) {
        pol_policy *pols[1] = { gen_policy(&r, "p0") };
        sk_time now;
        size_t n = gen_snaps(&r, g, CAP, &now);
        int fate[4], ninc[4];
        bool covered = chance(&r, 85);
        for (int d = 0; d < 4; d++) {
            ninc[d] = (int)rnd_in(&r, 1, 3);
            fate[d] = (int)rnd_in(&r, 0, 2);
        }
        for (size_t i = 0; i < n; i++) {
            g[i].state = 0;         /* provisioning is property 5's */
            x[i].disk = disk_of(&g[i]);
            x[i].inc = x[i].disk < 0 || chance(&r, 10) ? -1
                     : (int)rnd_in(&r, 0, ninc[x[i].disk] - 1);
            x[i].copy = chance(&r, 5) ? 1 : chance(&r, 2) ? 2 : 0;
            x[i].pct = x[i].copy == 1 ? (int)rnd_in(&r, 0, 99) : chance(&r, 30) ? 100 : 0;
            drop[i] = x[i].copy != 0;
        }
        inv_inventory *listed = id_inv(g, x, n, fate, ninc, covered, true, NULL);
        inv_inventory *split = id_inv(g, x, n, fate, ninc, covered, false, NULL);
        eng_plan *pa = tb_eval(pols, 1, listed, now), *pb = tb_eval(pols, 1, split, now);
        check_same_decisions(pols, 1, listed, pa, pb, NULL, now, "identity");
        check_retired_settings(pols[0], listed, pa, pb, now, &released);
        /* one incarnation per group; retired exactly when not the disk now */
        for (size_t gi = 0; gi < pa->ngroups; gi++) {
            const eng_group *gr = &pa->groups[gi];
            assert_int_equal(gr->retired, eng_identity_retired(gr->identity));
            groups++;
            retired += gr->retired;
            earlier += gr->identity == ENG_ID_EARLIER;
            gone += gr->identity == ENG_ID_GONE;
        }
        for (size_t i = 0; i < n; i++) {
            const eng_decision *d = &pa->decisions[i];
            if (x[i].copy != 0 && !d->unmanaged) {
                if (d->action != ENG_KEEP || d->newest)
                    fail_msg("%s: an unfinished copy is pruned or newest", d->snap->name);
                assert_int_equal(d->pending, x[i].copy == 1);
                assert_int_equal(d->copy_failed, x[i].copy == 2);
                pending += d->pending;
                failed += d->copy_failed;
            }
            if (d->group >= pa->ngroups || x[i].disk < 0)
                continue;
            const eng_group *gr = &pa->groups[d->group];
            int f = fate[x[i].disk];
            bool current = (f == FATE_LATEST && (x[i].inc < 0 || x[i].inc == ninc[x[i].disk] - 1)) ||
                           (f == FATE_FRESH && x[i].inc < 0) || (f == FATE_GONE && !covered);
            if (gr->retired == current)
                fail_msg("%s (disk%d, incarnation %d, fate %d): retired %d", d->snap->name,
                         x[i].disk, x[i].inc, f, gr->retired);
        }
        /* property 7: without the unfinished copies, nothing changes */
        inv_inventory *done = id_inv(g, x, n, fate, ninc, covered, true, drop);
        eng_plan *pc = tb_eval(pols, 1, done, now);
        check_same_decisions(pols, 1, listed, pa, pc, drop, now, "copies");
        eng_plan_free(pc);
        inv_free(done);
        eng_plan_free(pa);
        eng_plan_free(pb);
        inv_free(listed);
        inv_free(split);
        tb_policy_free(pols[0]);
    }
    /* the generator must make every kind, or the checks prove little */
    assert_true(earlier > CASES / 4);
    assert_true(gone > CASES / 4);
    assert_true(retired < groups);
    assert_true(pending > CASES);
    assert_true(failed > CASES / 4);
    assert_true(released > CASES / 10);
    free(g);
    free(x);
    free(drop);
}

/* ---- property 4: hourly runs ---- */

static bool in_tier(const pol_policy *p, size_t k, sk_time now, sk_time t)
{
    sk_time upper = now;
    for (size_t i = 0; i < p->nrules; i++) {
        if (!pol_rule_is_tier(&p->rules[i]))
            continue;
        sk_time lower = eng_time_sub(p->tz, now, &p->rules[i].end);
        if (i == k)
            return lower < t && t <= upper;
        upper = lower;
    }
    return false;
}

static const eng_reason *tier_reason(const eng_decision *d, const pol_rule *rule)
{
    for (uint32_t i = 0; i < d->nreasons; i++)
        if (d->reasons[i].rule == rule)
            return &d->reasons[i];
    return NULL;
}

/* Simulates hourly runs; returns how many (snapshot, run) pairs were checked. */
static size_t run_hourly(rng *r, pol_policy *p, int runs)
{
    enum { CAP = 4000 };
    gen_snap *g = calloc(CAP, sizeof *g);
    bool *drop = calloc(CAP, sizeof *drop);
    assert_non_null(g);
    assert_non_null(drop);
    int64_t jitter = rnd_in(r, 0, 20) * TB_MIN;
    sk_time now = tb_time("2026-01-01") + rnd_in(r, 0, 700) * TB_DAY;
    size_t n = 0, checked = 0;
    eng_plan *prev = NULL;
    inv_inventory *prev_inv = NULL;
    for (int run = 0; run < runs && n < CAP; run++, now += TB_HOUR) {
        gen_snap *s = &g[n++];      /* the snapshot this run takes */
        snprintf(s->name, sizeof s->name, "s%05d", run);
        snprintf(s->source, sizeof s->source, "%s", TB_DISK_ID("d"));
        s->has_source = true;
        s->t = now - (jitter ? rnd_in(r, 0, jitter) : 0);
        inv_inventory *inv = make_inv(g, n, drop);
        eng_plan *plan = tb_eval(&p, 1, inv, now);
        for (size_t i = 0; prev != NULL && i < prev->ndecisions; i++) {
            const eng_decision *was = &prev->decisions[i];
            for (size_t k = 0; k < p->nrules; k++) {
                const pol_rule *rule = &p->rules[k];
                const eng_reason *why = tier_reason(was, rule);
                if (rule->kind == POL_KEEP_ALL || why == NULL ||
                    !in_tier(p, k, now, was->snap->created))
                    continue;
                const eng_decision *is = tb_find(plan, was->snap->name);
                assert_non_null(is);
                const eng_reason *still = tier_reason(is, rule);
                if (still == NULL || still->bucket != why->bucket) {
                    dump_case(&p, 1, inv, now);
                    fail_msg("%s: kept by '%s' at the previous run, not now", was->snap->name,
                             rule->text);
                }
                checked++;
            }
        }
        /* apply: what this run prunes is gone at the next */
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            if (drop[i])
                continue;
            drop[i] = plan->decisions[at++].action == ENG_PRUNE;
        }
        eng_plan_free(prev);
        inv_free(prev_inv);
        prev = plan;
        prev_inv = inv;
    }
    eng_plan_free(prev);
    inv_free(prev_inv);
    free(g);
    free(drop);
    return checked;
}

static void test_tier_stability(void **state)
{
    (void)state;
    rng r = { 0x0ddba11cafef00du };
    size_t checked = 0;
    for (int c = 0; c < 36; c++) {
        char rules[512] = "";
        gen_tiers(&r, rules, sizeof rules, false);
        pol_policy *p = tb_policy("stable", true, zones[c % 3]);
        tb_rules(p, rules);
        checked += run_hourly(&r, p, 24 * 21);
        tb_policy_free(p);
    }
    assert_true(checked > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_tier_stability),
        cmocka_unit_test(test_identity_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
