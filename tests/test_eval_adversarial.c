/* An adversarial review of the evaluator, as tests: each one aims at a way
 * a snapshot could be wrongly deleted (or a rule could keep less than
 * doc/semantics.md promises).
 *
 *  1. A differential test against an oracle that shares no code with
 *     engine/: libc's own zone handling (localtime_r, timegm with TZ set)
 *     computes tier windows, calendar buckets and restic walks for tier
 *     chains and count rules in Europe/Paris and Australia/Lord_Howe (a
 *     30-minute DST shift), over dense snapshots around each DST change,
 *     for a sweep of `now` values that moves every tier cut across the
 *     changes. tests/test_properties.c checks the evaluator against a
 *     reference that uses engine's eng_bucket and eng_time_sub; this one
 *     checks those too.
 *  2. Targeted edge cases: window edges to the microsecond, the earliest
 *     instant, `every` buckets before 1970, equal times across names and
 *     disks, several policies over one disk, ownership and adoption, ID
 *     spelling, empty and future-only groups, `all` and huge counts,
 *     calendar `within` durations, unsorted inventories large enough for
 *     the radix sort, failed and unfinished snapshots where a tie-break or
 *     `newest` would pick them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "support/builders.h"

#define USEC SK_USEC_PER_SEC
#define D1 TB_DISK_ID("d1")
#define D2 TB_DISK_ID("d2")

/* ---- deterministic random numbers ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int64_t rnd_in(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static int64_t fdiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ==== 1. the libc oracle ==== */

static int64_t lc_gmtoff(int64_t utc)
{
    time_t t = (time_t)utc;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL)
        fail_msg("localtime_r(%lld)", (long long)utc);
    return tm.tm_gmtoff;
}

/* Local wall-clock seconds (as if UTC) -> instant: the earlier of two
 * readings, and in a gap the offset in force after it (the earliest
 * instant the time can mean). */
static int64_t lc_local_to_utc(int64_t local)
{
    int64_t offs[5], best = INT64_MAX, minoff = INT64_MAX;
    for (int i = 0; i < 5; i++) {
        offs[i] = lc_gmtoff(local + (i - 2) * 86400);
        minoff = offs[i] < minoff ? offs[i] : minoff;
    }
    for (int i = 0; i < 5; i++) {
        int64_t u = local - offs[i];
        if (lc_gmtoff(u) == offs[i] && u < best)
            best = u;
    }
    if (best != INT64_MAX)
        return best;
    /* local - minoff is past the gap's transition: its offset is the one
     * after the gap */
    return local - lc_gmtoff(local - minoff + 3600);
}

/* now - d, doc/semantics.md's way, with libc doing the zone work. */
static sk_time lc_sub(sk_time now, const pol_duration *d)
{
    int64_t exact = d->hours * 3600 + d->minutes * 60;
    if (!(d->years || d->months || d->weeks || d->days))
        return now - exact * USEC;
    int64_t secs = fdiv(now, USEC), usec = now - secs * USEC;
    time_t t = (time_t)secs;
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_year -= (int)d->years;
    tm.tm_mon -= (int)d->months;
    tm.tm_mday -= (int)(d->weeks * 7 + d->days);
    int64_t local = (int64_t)timegm(&tm);       /* normalises once */
    return (lc_local_to_utc(local) - exact) * USEC + usec;
}

/* Bucket keys from libc's broken-down local time; equal exactly when the
 * local calendar periods are. */
typedef struct lc_keys {
    int64_t k[5];           /* ENG_HOUR .. ENG_YEAR */
} lc_keys;

static lc_keys lc_bucket_keys(sk_time t)
{
    time_t s = (time_t)fdiv(t, USEC);
    struct tm tm;
    char iso[16];
    localtime_r(&s, &tm);
    struct tm wall = tm;
    int64_t local = (int64_t)timegm(&wall);
    strftime(iso, sizeof iso, "%G%V", &tm);
    lc_keys k;
    k.k[ENG_HOUR] = fdiv(local, 3600);
    k.k[ENG_DAY] = fdiv(local, 86400);
    k.k[ENG_WEEK] = strtoll(iso, NULL, 10);
    k.k[ENG_MONTH] = (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
    k.k[ENG_YEAR] = tm.tm_year + 1900;
    return k;
}

/* The inventory in walk order (newest first, equal times smaller name). */
typedef struct lc_item {
    sk_time t;
    const char *name;
    size_t snap;
    lc_keys keys;
} lc_item;

static int lc_walk_cmp(const void *a, const void *b)
{
    const lc_item *x = a, *y = b;
    if (x->t != y->t)
        return x->t > y->t ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int64_t lc_rule_key(const pol_rule *r, const lc_item *it)
{
    if (r->kind == POL_EVERY)
        return fdiv(it->t, r->width_usec);
    return it->keys.k[r->period];
}

/* Tiers: each window's oldest per bucket (items newest first, so the
 * window is walked backwards; ties: the smaller name is the later index
 * of a run, so runs are walked from their first element). */
static void lc_tiers(const pol_policy *p, const lc_item *it, size_t m, sk_time now, bool *keep,
                     int64_t *seen)
{
    sk_time upper = now;
    for (size_t k = 0; k < p->nrules; k++) {
        const pol_rule *r = &p->rules[k];
        if (!pol_rule_is_tier(r))
            continue;
        sk_time lower = lc_sub(now, &r->end);
        size_t nseen = 0;
        for (size_t i = m; i > 0;) {
            size_t j = i - 1;
            while (j > 0 && it[j - 1].t == it[i - 1].t)
                j--;
            for (size_t x = j; x < i; x++) {
                if (!(lower < it[x].t && it[x].t <= upper))
                    continue;
                if (r->kind == POL_KEEP_ALL) {
                    keep[it[x].snap] = true;
                    continue;
                }
                int64_t key = lc_rule_key(r, &it[x]);
                bool dup = false;
                for (size_t s = 0; s < nseen && !dup; s++)
                    dup = seen[s] == key;
                if (!dup) {
                    seen[nseen++] = key;
                    keep[it[x].snap] = true;
                }
            }
            i = j;
        }
        upper = lower;
    }
}

/* restic's loop, one rule at a time. */
static void lc_counts(const pol_policy *p, const lc_item *it, size_t m, bool *keep)
{
    for (size_t k = 0; k < p->nrules; k++) {
        const pol_rule *r = &p->rules[k];
        bool window = r->kind == POL_WITHIN || r->kind == POL_PERIOD_WITHIN;
        if (r->kind != POL_LAST && r->kind != POL_COUNT && !window)
            continue;
        sk_time cut = window ? lc_sub(it[0].t, &r->window) : 0;
        int64_t left = r->count, last = 0;
        bool has_last = false;
        for (size_t nr = 0; nr < m; nr++) {
            if (window && it[nr].t <= cut)
                break;
            if (r->kind == POL_WITHIN) {
                keep[it[nr].snap] = true;
                continue;
            }
            if (!window && left == 0)
                break;
            int64_t key = r->kind == POL_LAST ? (int64_t)nr : it[nr].keys.k[r->period];
            if (!has_last || key != last || nr == m - 1) {
                keep[it[nr].snap] = true;
                has_last = true;
                last = key;
                if (!window && left > 0)
                    left--;
            }
        }
    }
}

typedef struct lc_world {
    const char *zone;
    inv_inventory *inv;
    lc_item *all;           /* every snapshot, walk order */
    size_t n;
} lc_world;

static void lc_expect(const pol_policy *p, const lc_world *w, sk_time now, bool *keep)
{
    lc_item *it = malloc(w->n * sizeof *it);
    int64_t *seen = malloc(w->n * sizeof *seen);
    assert_non_null(it);
    assert_non_null(seen);
    size_t m = 0;
    memset(keep, 0, w->n * sizeof *keep);
    for (size_t i = 0; i < w->n; i++) {
        if (w->all[i].t > now)
            keep[w->all[i].snap] = true;        /* future */
        else
            it[m++] = w->all[i];
    }
    if (m > 0) {
        keep[it[0].snap] = true;                /* newest */
        lc_tiers(p, it, m, now, keep, seen);
        lc_counts(p, it, m, keep);
    }
    free(it);
    free(seen);
}

/* Dense snapshots around each DST change T: every 10-110 minutes over
 * T +- 12 days, on the UTC hours next to T, at T +- 1 us; a few equal
 * times; one every few days over the year before. */
static lc_world lc_make_world(const char *zone, const sk_time *changes, size_t nchanges)
{
    lc_world w = { .zone = zone, .inv = tb_inv() };
    size_t cap = 4096;
    sk_time *times = malloc(cap * sizeof *times);
    assert_non_null(times);
    size_t n = 0;
    for (size_t c = 0; c < nchanges; c++) {
        sk_time T = changes[c];
        for (sk_time t = T - 12 * TB_DAY; t < T + 12 * TB_DAY && n + 2 < cap;) {
            times[n++] = t;
            if (rnd() % 20 == 0)
                times[n++] = t;                 /* an equal time, another name */
            t += rnd_in(10, 110) * TB_MIN + rnd_in(0, 59) * USEC;
        }
        for (int h = -4; h <= 4 && n + 3 < cap; h++)
            times[n++] = T + h * TB_HOUR;
        times[n++] = T - 1;
        times[n++] = T + 1;
    }
    for (sk_time t = changes[0] - 400 * TB_DAY; t < changes[0] - 12 * TB_DAY && n < cap;
         t += rnd_in(1, 5) * TB_DAY + rnd_in(0, 86399) * USEC)
        times[n++] = t;
    w.all = calloc(n, sizeof *w.all);
    assert_non_null(w.all);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        /* Names unrelated to time order, so ties are broken by name. */
        snprintf(name, sizeof name, "%04x-%05zu", (unsigned)(rnd() & 0xffff), i);
        tb_snap(w.inv, name, D1, times[i]);
    }
    for (size_t i = 0; i < n; i++) {
        const inv_snapshot *s = &w.inv->snapshots[i];
        w.all[i] = (lc_item){ s->created, s->name, i, lc_bucket_keys(s->created) };
    }
    qsort(w.all, n, sizeof *w.all, lc_walk_cmp);
    w.n = n;
    free(times);
    return w;
}

static void lc_free_world(lc_world *w)
{
    free(w->all);
    inv_free(w->inv);
}

static const char *const lc_policies[] = {
    "keep-all 1d, every 6h to 1w, daily to 1mo, weekly to 2mo, monthly to 1y",
    "hourly to 2d, daily to 9d, weekly to 5w",
    "keep-all 23h, every 90m to 3d, hourly to 4d, daily to 2w",
    "monthly to 1mo, yearly to 1y",
    "last 5, hourly 30, daily 10, weekly 6, monthly 3, yearly 2",
    "within 1d, hourly within 2d, daily within 1mo, weekly within 1y",
    "daily within 1w1d, monthly within 1mo, within 1mo1d",
};

/* s plus n local calendar days (libc), read back as lc_local_to_utc does. */
static sk_time lc_add_days(sk_time s, int n)
{
    time_t t = (time_t)fdiv(s, USEC);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_mday += n;
    return lc_local_to_utc((int64_t)timegm(&tm)) * USEC + (s - fdiv(s, USEC) * USEC);
}

/* The `now` values of a sweep: every 6-8 hours from a day before each
 * change to 33 days after it, and the instants 1, 2, 7 and 9 local days
 * after the snapshots next to the change, where a tier's cut (keep-all 1d,
 * ... to 2d, to 1w, to 9d) falls exactly on a snapshot. */
static size_t lc_nows(const sk_time *changes, size_t nchanges, sk_time *out, size_t cap)
{
    static const int days[] = { 1, 2, 7, 9 };
    size_t n = 0;
    for (size_t c = 0; c < nchanges; c++) {
        for (sk_time now = changes[c] - TB_DAY; now < changes[c] + 33 * TB_DAY && n < cap;
             now += 7 * TB_HOUR + rnd_in(-3600, 3600) * USEC + rnd_in(0, 2))
            out[n++] = now;
        for (int h = -4; h <= 4; h++)
            for (size_t k = 0; k < sizeof days / sizeof days[0] && n < cap; k++)
                out[n++] = lc_add_days(changes[c] + h * TB_HOUR, days[k]);
    }
    return n;
}

/* Returns how many plans disagreed with the oracle (each one printed). */
static int lc_sweep(lc_world *w, const sk_time *changes, size_t nchanges)
{
    int bad = 0, runs = 0;
    bool *want = calloc(w->n, sizeof *want);
    sk_time nows[512];
    size_t nnows = lc_nows(changes, nchanges, nows, sizeof nows / sizeof nows[0]);
    assert_non_null(want);
    for (size_t pi = 0; pi < sizeof lc_policies / sizeof lc_policies[0]; pi++) {
        pol_policy *p = tb_policy("oracle", true, w->zone);
        tb_rules(p, lc_policies[pi]);
        for (size_t k = 0; k < nnows; k++) {
            sk_time now = nows[k];
            eng_plan *plan = tb_eval(&p, 1, w->inv, now);
            lc_expect(p, w, now, want);
            runs++;
            for (size_t i = 0; i < w->n; i++) {
                bool got = plan->decisions[i].action == ENG_KEEP;
                if (got == want[i])
                    continue;
                char a[32], b[32];
                print_message("%s: \"%s\" at now %s (%lld us): %s %s (%lld us) %s, oracle %s\n",
                              w->zone, lc_policies[pi], tb_time_str(now, a, sizeof a),
                              (long long)now, w->inv->snapshots[i].name,
                              tb_time_str(w->inv->snapshots[i].created, b, sizeof b),
                              (long long)w->inv->snapshots[i].created,
                              got ? "kept" : "pruned", want[i] ? "keeps" : "prunes");
                bad++;
                break;
            }
            eng_plan_free(plan);
        }
        tb_policy_free(p);
    }
    free(want);
    assert_true(runs > 500);
    return bad;
}

static void set_tz(const char *zone)
{
    setenv("TZ", zone, 1);
    tzset();
}

static void test_oracle_paris(void **state)
{
    (void)state;
    rng_state = 0x5eed0001;
    set_tz("Europe/Paris");
    /* 2026-03-29 01:00Z spring forward, 2026-10-25 01:00Z fall back. */
    const sk_time changes[] = { tb_time("2026-03-29T01:00Z"), tb_time("2026-10-25T01:00Z") };
    lc_world w = lc_make_world("Europe/Paris", changes, 2);
    int bad = lc_sweep(&w, changes, 2);
    lc_free_world(&w);
    if (bad)
        fail_msg("%d plans differ from the libc oracle", bad);
}

static void test_oracle_lord_howe(void **state)
{
    (void)state;
    rng_state = 0x5eed0002;
    set_tz("Australia/Lord_Howe");
    /* +11 -> +10:30 at 2026-04-05 02:00 local (15:00Z the day before);
     * +10:30 -> +11 at 2026-10-04 02:00 local (15:30Z the day before). */
    const sk_time changes[] = { tb_time("2026-04-04T15:00Z"), tb_time("2026-10-03T15:30Z") };
    lc_world w = lc_make_world("Australia/Lord_Howe", changes, 2);
    int bad = lc_sweep(&w, changes, 2);
    lc_free_world(&w);
    if (bad)
        fail_msg("%d plans differ from the libc oracle", bad);
}

/* Past the explicit transitions of the TZif file (2037): the POSIX rule
 * at its end, "CET-1CEST,M3.5.0,M10.5.0/3", decides. */
static void test_oracle_paris_2040(void **state)
{
    (void)state;
    rng_state = 0x5eed0004;
    set_tz("Europe/Paris");
    const sk_time changes[] = { tb_time("2040-03-25T01:00Z"), tb_time("2040-10-28T01:00Z") };
    lc_world w = lc_make_world("Europe/Paris", changes, 2);
    int bad = lc_sweep(&w, changes, 2);
    lc_free_world(&w);
    if (bad)
        fail_msg("%d plans differ from the libc oracle", bad);
}

/* Santiago changes at local midnight: on 2026-09-06 the day starts at
 * 01:00 (00:00 does not exist), on 2026-04-04 the hour before midnight
 * happens twice. */
static void test_oracle_santiago(void **state)
{
    (void)state;
    rng_state = 0x5eed0005;
    set_tz("America/Santiago");
    const sk_time changes[] = { tb_time("2026-04-05T03:00Z"), tb_time("2026-09-06T04:00Z") };
    lc_world w = lc_make_world("America/Santiago", changes, 2);
    int bad = lc_sweep(&w, changes, 2);
    lc_free_world(&w);
    if (bad)
        fail_msg("%d plans differ from the libc oracle", bad);
}

/* The oracle itself must see the changes where the test says they are,
 * or the sweep above would test nothing in particular. */
static void test_oracle_sees_the_changes(void **state)
{
    (void)state;
    set_tz("Europe/Paris");
    assert_int_equal(lc_gmtoff(tb_time("2026-03-29T01:00Z") / USEC - 1), 3600);
    assert_int_equal(lc_gmtoff(tb_time("2026-03-29T01:00Z") / USEC), 7200);
    /* 02:30 on the night of the gap is read at +02:00: 00:30Z. */
    assert_int_equal(lc_local_to_utc(tb_time("2026-03-29T02:30Z") / USEC),
                     tb_time("2026-03-29T00:30Z") / USEC);
    /* 02:30 on the night clocks go back: the earlier, 00:30Z. */
    assert_int_equal(lc_local_to_utc(tb_time("2026-10-25T02:30Z") / USEC),
                     tb_time("2026-10-25T00:30Z") / USEC);
    set_tz("Australia/Lord_Howe");
    assert_int_equal(lc_gmtoff(tb_time("2026-04-04T15:00Z") / USEC - 1), 39600);
    assert_int_equal(lc_gmtoff(tb_time("2026-04-04T15:00Z") / USEC), 37800);
    assert_int_equal(lc_gmtoff(tb_time("2026-10-03T15:30Z") / USEC), 39600);
    /* Lord Howe's 30-minute gap: 02:15 is read at +11:00 */
    assert_int_equal(lc_local_to_utc(tb_time("2026-10-04T02:15Z") / USEC),
                     tb_time("2026-10-03T15:15Z") / USEC);
    set_tz("America/Santiago");
    assert_int_equal(lc_gmtoff(tb_time("2026-04-05T03:00Z") / USEC - 1), -3 * 3600);
    assert_int_equal(lc_gmtoff(tb_time("2026-04-05T03:00Z") / USEC), -4 * 3600);
    assert_int_equal(lc_gmtoff(tb_time("2026-09-06T04:00Z") / USEC), -3 * 3600);
    set_tz("Europe/Paris");
    assert_int_equal(lc_gmtoff(tb_time("2040-10-28T01:00Z") / USEC - 1), 7200);
    assert_int_equal(lc_gmtoff(tb_time("2040-10-28T01:00Z") / USEC), 3600);
}

/* ==== 2. targeted cases ==== */

/* Evaluates one bare-body policy over an inventory; returns kept names. */
static char *kept_of(const char *zone, const char *rules, const inv_inventory *inv,
                     const char *now)
{
    pol_policy *p = tb_policy("t", true, zone);
    tb_rules(p, rules);
    eng_plan *plan = tb_eval(&p, 1, inv, tb_time(now));
    char *k = tb_kept(plan);
    eng_plan_free(plan);
    tb_policy_free(p);
    return k;
}

#define EXPECT_KEPT(got, want) do { char *g_ = (got); \
        if (strcmp(g_, (want)) != 0) fail_msg("kept\n  got:  %s\n  want: %s", g_, (want)); \
        free(g_); } while (0)

static void test_window_edges_to_the_microsecond(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    sk_time now = tb_time("2026-11-20T12:00Z");
    tb_snap(inv, "at", D1, now - 24 * TB_HOUR);            /* exactly now - 24h */
    tb_snap(inv, "in", D1, now - 24 * TB_HOUR + 1);        /* 1 us younger */
    tb_snap(inv, "now", D1, now);                          /* at now: not future */
    EXPECT_KEPT(kept_of(NULL, "keep-all 24h", inv, "2026-11-20T12:00Z"), "in now");
    /* The snapshot exactly at the edge belongs to the next tier. */
    EXPECT_KEPT(kept_of(NULL, "keep-all 24h, keep-all 25h", inv, "2026-11-20T12:00Z"),
                "at in now");
    /* `within` from the newest, strictly after. */
    EXPECT_KEPT(kept_of(NULL, "within 1d", inv, "2026-11-21T12:00Z"), "in now");
    /* `daily within 1d`: `at` is the walk's last but outside the window. */
    EXPECT_KEPT(kept_of(NULL, "daily within 1d", inv, "2026-11-21T12:00Z"), "in now");
    EXPECT_KEPT(kept_of(NULL, "daily within 1d1h", inv, "2026-11-21T12:00Z"), "at in now");
    /* One microsecond later `now` is future-dated. */
    EXPECT_KEPT(kept_of(NULL, "last 1", inv, "2026-11-20T11:59:59Z"), "in now");
    inv_free(inv);
}

/* `keep-all 9999y`, `yearly within 9999y`: "all of history", the earliest
 * instant an inventory can hold included. */
static void test_all_of_history(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "first", D1, SK_TIME_MIN);                /* 0001-01-01T00:00:00Z */
    tb_snap(inv, "second", D1, SK_TIME_MIN + 1);
    tb_snap(inv, "x", D1, tb_time("2026-11-19T00:00Z"));
    tb_snap(inv, "y", D1, tb_time("2026-11-20T00:00Z"));
    EXPECT_KEPT(kept_of(NULL, "keep-all 9999y", inv, "2026-11-20T12:00Z"), "first second x y");
    EXPECT_KEPT(kept_of(NULL, "within 9999y", inv, "2026-11-20T12:00Z"), "first second x y");
    EXPECT_KEPT(kept_of(NULL, "keep-all 1h, every 1d to 9999y", inv, "2026-11-20T12:00Z"),
                "first x y");
    /* Year buckets: 0001 has two, the oldest of them is kept; "oldest"
     * keeps the walk's last (first) as well for the count rule. */
    EXPECT_KEPT(kept_of(NULL, "yearly to 9999y", inv, "2026-11-20T12:00Z"), "first x y");
    EXPECT_KEPT(kept_of(NULL, "yearly within 9999y", inv, "2026-11-20T12:00Z"),
                "first second y");
    EXPECT_KEPT(kept_of("Europe/Paris", "keep-all 9999y", inv, "2026-11-20T12:00Z"),
                "first second x y");
    inv_free(inv);
}

/* Buckets before 1970 use floor division: 1969-12-31T23:00 is bucket -1,
 * 1970-01-01T01:00 bucket 0 (truncation would merge them). */
static void test_buckets_before_1970(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "a", D1, tb_time("1969-12-31T01:00Z"));
    tb_snap(inv, "b", D1, tb_time("1969-12-31T23:00Z"));
    tb_snap(inv, "c", D1, tb_time("1970-01-01T01:00Z"));
    tb_snap(inv, "d", D1, tb_time("1970-01-01T02:00Z"));
    EXPECT_KEPT(kept_of(NULL, "every 1d to 100y", inv, "2026-01-01T00:00Z"), "a c d");
    /* Epoch-aligned weeks run Thursday to Thursday: 1969-12-25..1970-01-01. */
    EXPECT_KEPT(kept_of(NULL, "every 1w to 100y", inv, "2026-01-01T00:00Z"), "a c d");
    EXPECT_KEPT(kept_of(NULL, "every 1h to 100y", inv, "2026-01-01T00:00Z"), "a b c d");
    EXPECT_KEPT(kept_of(NULL, "daily to 100y", inv, "2026-01-01T00:00Z"), "a c d");
    EXPECT_KEPT(kept_of(NULL, "daily 2", inv, "2026-01-01T00:00Z"), "b d");
    EXPECT_KEPT(kept_of(NULL, "yearly all", inv, "2026-01-01T00:00Z"), "a b d");
    /* New York: 1969-12-31T23:00Z is 18:00 local on the 31st, 1970-01-01
     * 01:00Z and 02:00Z are 20:00 and 21:00 on the 31st: one local day. */
    EXPECT_KEPT(kept_of("America/New_York", "daily to 100y", inv, "2026-01-01T00:00Z"),
                "a b d");
    inv_free(inv);
}

/* Equal times: within a group the smaller name stands for the time; in
 * different groups each group keeps its own newest. */
static void test_equal_times_across_names_and_disks(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "d1-b", D1, tb_time("2026-11-20T10:00Z"));
    tb_snap(inv, "d1-a", D1, tb_time("2026-11-20T10:00Z"));
    tb_snap(inv, "d2-a", D2, tb_time("2026-11-20T10:00Z"));
    tb_snap(inv, "d2-b", D2, tb_time("2026-11-20T10:00Z"));
    tb_snap(inv, "none-b", NULL, tb_time("2026-11-20T10:00Z"));
    tb_snap(inv, "none-a", NULL, tb_time("2026-11-20T10:00Z"));
    tb_snap(inv, "d1-old", D1, tb_time("2026-11-19T10:00Z"));
    EXPECT_KEPT(kept_of(NULL, "keep-all 1h", inv, "2026-11-21T00:00Z"), "d1-a d2-a none-a");
    EXPECT_KEPT(kept_of(NULL, "last 2", inv, "2026-11-21T00:00Z"),
                "d1-b d1-a d2-a d2-b none-b none-a");
    EXPECT_KEPT(kept_of(NULL, "daily to 3d", inv, "2026-11-21T00:00Z"),
                "d1-a d2-a none-a d1-old");
    /* A name that sorts first byte-wise: upper case before lower case. */
    tb_snap(inv, "D1-z", D1, tb_time("2026-11-20T10:00Z"));
    EXPECT_KEPT(kept_of(NULL, "keep-all 1h", inv, "2026-11-21T00:00Z"), "d2-a none-a D1-z");
    inv_free(inv);
}

/* Several policies over one disk: kept if any keeps it; each policy's
 * newest is kept. */
static void test_several_policies_one_disk(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    tb_series(inv, "", D1, tb_time("2026-11-10T00:00Z"), tb_time("2026-11-20T00:00Z"),
              6 * TB_HOUR);
    inv_snapshot *s = tb_snap(inv, "tagged-old", D1, tb_time("2026-11-01T00:00Z"));
    tb_snap_tag(inv, s, "hold", "1");
    pol_policy *p[3] = { tb_policy("a", true, NULL), tb_policy("b", true, NULL),
                         tb_policy("c", true, "Europe/Paris") };
    tb_rules(p[0], "last 2");
    tb_rules(p[1], "every 2d to 4d");
    tb_rules(p[2], "tagged \"hold\"");
    eng_plan *plan = tb_eval(p, 3, inv, tb_time("2026-11-20T06:00Z"));
    eng_plan *pa = tb_eval(&p[0], 1, inv, tb_time("2026-11-20T06:00Z"));
    eng_plan *pb = tb_eval(&p[1], 1, inv, tb_time("2026-11-20T06:00Z"));
    eng_plan *pc = tb_eval(&p[2], 1, inv, tb_time("2026-11-20T06:00Z"));
    size_t union_n = 0;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        bool any = pa->decisions[i].action == ENG_KEEP || pb->decisions[i].action == ENG_KEEP ||
                   pc->decisions[i].action == ENG_KEEP;
        assert_int_equal(plan->decisions[i].action == ENG_KEEP, any);
        union_n += any;
    }
    assert_int_equal(plan->nkeep, union_n);
    assert_true(tb_find(plan, "tagged-old")->action == ENG_KEEP);
    /* Each policy has its own group over d1, and its own newest. */
    assert_int_equal(plan->ngroups, 3);
    assert_true(union_n > tb_count_kept(pa) && union_n > tb_count_kept(pb));
    eng_plan_free(plan);

    /* Two blocks adopting the same untagged snapshots: both own them. */
    pol_policy *q[2] = { tb_policy("q1", false, NULL), tb_policy("q2", false, NULL) };
    for (int i = 0; i < 2; i++) {
        tb_disk(q[i], "d1");
        q[i]->adopt_untagged = true;
    }
    tb_rules(q[0], "last 3");
    tb_rules(q[1], "every 1d to 5d");
    plan = tb_eval(q, 2, inv, tb_time("2026-11-20T06:00Z"));
    eng_plan *pq1 = tb_eval(&q[0], 1, inv, tb_time("2026-11-20T06:00Z"));
    eng_plan *pq2 = tb_eval(&q[1], 1, inv, tb_time("2026-11-20T06:00Z"));
    for (size_t i = 0; i < inv->nsnapshots; i++)
        assert_int_equal(plan->decisions[i].action == ENG_KEEP,
                         pq1->decisions[i].action == ENG_KEEP ||
                         pq2->decisions[i].action == ENG_KEEP);
    assert_true(plan->nkeep > tb_count_kept(pq1) && plan->nkeep > tb_count_kept(pq2));
    /* `tagged-old` carries no owner tag: adopted too, and pruned by both. */
    assert_true(tb_find(plan, "tagged-old")->action == ENG_PRUNE);
    eng_plan_free(pq1);
    eng_plan_free(pq2);
    tb_policy_free(q[0]);
    tb_policy_free(q[1]);
    eng_plan_free(pa);
    eng_plan_free(pb);
    eng_plan_free(pc);
    eng_plan_free(plan);
    for (int i = 0; i < 3; i++)
        tb_policy_free(p[i]);
    inv_free(inv);
}

/* Ownership: `adopt untagged` takes untagged snapshots only; one tagged by
 * another policy (present in the run or not, any spelling of the tag key,
 * any case of the value) is never pruned by the adopter. */
static void test_adopt_versus_other_owner(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    inv_snapshot *s;
    s = tb_snap(inv, "mine", D1, tb_time("2026-11-20T10:00Z"));
    tb_snap_tag(inv, s, POL_OWNER_TAG, "adopter");
    s = tb_snap(inv, "theirs", D1, tb_time("2026-11-01T00:00Z"));
    tb_snap_tag(inv, s, POL_OWNER_TAG, "other");
    s = tb_snap(inv, "theirs-key-case", D1, tb_time("2026-11-02T00:00Z"));
    tb_snap_tag(inv, s, "Snapkeep-Policy", "other");
    s = tb_snap(inv, "gone-policy", D1, tb_time("2026-11-03T00:00Z"));
    tb_snap_tag(inv, s, POL_OWNER_TAG, "retired");
    s = tb_snap(inv, "value-case", D1, tb_time("2026-11-04T00:00Z"));
    tb_snap_tag(inv, s, POL_OWNER_TAG, "ADOPTER");
    s = tb_snap(inv, "empty-value", D1, tb_time("2026-11-05T00:00Z"));
    tb_snap_tag(inv, s, POL_OWNER_TAG, "");
    tb_snap(inv, "untagged", D1, tb_time("2026-11-06T00:00Z"));
    pol_policy *adopter = tb_policy("adopter", false, NULL);
    tb_disk(adopter, "d1");
    adopter->adopt_untagged = true;
    tb_rules(adopter, "last 1");
    pol_policy *other = tb_policy("other", false, NULL);
    tb_disk(other, "d1");
    tb_rules(other, "last 1");

    eng_plan *plan = tb_eval(&adopter, 1, inv, tb_time("2026-11-21T00:00Z"));
    char *k = tb_kept(plan);
    assert_string_equal(k, "mine theirs theirs-key-case gone-policy value-case empty-value");
    assert_true(tb_find(plan, "untagged")->action == ENG_PRUNE);
    assert_int_equal(tb_find(plan, "theirs")->reasons[0].kind, ENG_R_NOT_OWNED);
    free(k);
    eng_plan_free(plan);

    pol_policy *both[2] = { adopter, other };
    plan = tb_eval(both, 2, inv, tb_time("2026-11-21T00:00Z"));
    k = tb_kept(plan);
    /* other keeps its newest (theirs-key-case); theirs is other's to prune. */
    assert_string_equal(k, "mine theirs-key-case gone-policy value-case empty-value");
    free(k);
    eng_plan_free(plan);
    tb_policy_free(adopter);
    tb_policy_free(other);
    inv_free(inv);
}

/* One disk spelled several ways is one group (one newest, one walk);
 * two disks whose IDs only the hash could confuse stay two groups. */
static void test_id_spellings(void **state)
{
    (void)state;
    const char *lower = "/subscriptions/" TB_SUB "/resourcegroups/rg/providers/"
                        "microsoft.compute/disks/d1";
    const char *noslash = "SUBSCRIPTIONS/" TB_SUB "/RESOURCEGROUPS/RG/PROVIDERS/"
                          "MICROSOFT.COMPUTE/DISKS/D1";
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "a", D1, tb_time("2026-11-20T10:00Z"));
    tb_snap(inv, "b", lower, tb_time("2026-11-20T11:00Z"));
    tb_snap(inv, "c", noslash, tb_time("2026-11-20T12:00Z"));
    /* '_' and DEL differ only in bit 0x20, which the ID hash folds. */
    tb_snap(inv, "u1", TB_DISK_ID("x_y"), tb_time("2026-11-20T10:00Z"));
    tb_snap(inv, "u2", TB_DISK_ID("x\x7fy"), tb_time("2026-11-20T09:00Z"));
    EXPECT_KEPT(kept_of(NULL, "keep-all 1m", inv, "2026-11-21T00:00Z"), "c u1 u2");
    EXPECT_KEPT(kept_of(NULL, "last 2", inv, "2026-11-21T00:00Z"), "b c u1 u2");

    /* A block scoped by name, and one by a full ID in another spelling. */
    pol_policy *byname = tb_policy("byname", false, NULL);
    tb_disk(byname, "D1");
    tb_scope(byname, TB_SUB, "RG");
    byname->adopt_untagged = true;
    tb_rules(byname, "keep-all 1m");
    eng_plan *plan = tb_eval(&byname, 1, inv, tb_time("2026-11-21T00:00Z"));
    EXPECT_KEPT(tb_kept(plan), "c u1 u2");
    assert_true(tb_find(plan, "u1")->unmanaged);
    assert_false(tb_find(plan, "a")->unmanaged);
    assert_int_equal(plan->ngroups, 1);
    eng_plan_free(plan);
    pol_policy *byid = tb_policy("byid", false, NULL);
    tb_disk(byid, noslash);
    byid->adopt_untagged = true;
    tb_rules(byid, "keep-all 1m");
    plan = tb_eval(&byid, 1, inv, tb_time("2026-11-21T00:00Z"));
    EXPECT_KEPT(tb_kept(plan), "c u1 u2");
    assert_int_equal(plan->ngroups, 1);
    eng_plan_free(plan);
    tb_policy_free(byname);
    tb_policy_free(byid);
    inv_free(inv);
}

/* Groups with nothing to walk: a policy that owns nothing, a group whose
 * snapshots are all future-dated (kept, and no newest among them). */
static void test_empty_and_future_only_groups(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "f1", D1, tb_time("2026-11-22T00:00Z"));
    tb_snap(inv, "f2", D1, tb_time("2026-11-21T00:00Z"));
    tb_snap(inv, "p1", D2, tb_time("2026-11-01T00:00Z"));
    tb_snap(inv, "p2", D2, tb_time("2026-11-02T00:00Z"));
    tb_snap(inv, "pf", D2, tb_time("2026-11-30T00:00Z"));
    const char *rules[] = { "last 1", "last all", "daily all", "within 1d", "daily within 1w",
                            "keep-all 1h", "every 1h to 1d", "weekly to 1mo", "tagged \"x\"" };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        pol_policy *p = tb_policy("t", true, NULL);
        tb_rules(p, rules[i]);
        eng_plan *plan = tb_eval(&p, 1, inv, tb_time("2026-11-20T00:00Z"));
        assert_true(tb_find(plan, "f1")->action == ENG_KEEP);
        assert_true(tb_find(plan, "f2")->action == ENG_KEEP);
        assert_true(tb_find(plan, "pf")->action == ENG_KEEP);
        assert_true(tb_find(plan, "p2")->newest);
        assert_false(tb_find(plan, "pf")->newest);
        assert_int_equal(plan->nfuture, 3);
        for (size_t g = 0; g < plan->ngroups; g++) {
            if (plan->groups[g].nsnapshots == 2 && plan->groups[g].nkeep == 2 &&
                plan->groups[g].newest == SK_TIME_MIN)
                continue;       /* d1: future only */
            assert_int_equal(plan->groups[g].newest, tb_time("2026-11-02T00:00Z"));
        }
        eng_plan_free(plan);
        tb_policy_free(p);
    }
    /* A block policy that owns nothing: everything unmanaged, kept. */
    pol_policy *b = tb_policy("b", false, NULL);
    tb_disk(b, "elsewhere");
    tb_rules(b, "last 1");
    eng_plan *plan = tb_eval(&b, 1, inv, tb_time("2026-11-20T00:00Z"));
    assert_int_equal(plan->nkeep, 5);
    assert_int_equal(plan->ngroups, 0);
    assert_int_equal(plan->nunmanaged, 5);
    eng_plan_free(plan);
    tb_policy_free(b);
    inv_free(inv);
}

/* Snapshots that are not backups, placed where they would win: a Failed one
 * at the same time as a good one with a smaller name (the walk's and the
 * bucket's tie-break would pick it), and an unfinished one newest of all
 * (it would take `newest` and anchor `within`). Every rule family must see
 * the good ones only, and keep the other two. */
static void test_not_backups_never_win(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    tb_snap_state(inv, tb_snap(inv, "a", D1, tb_time("2026-11-20T10:00Z")), "Failed");
    tb_snap_state(inv, tb_snap(inv, "b", D1, tb_time("2026-11-20T10:00Z")), "Succeeded");
    tb_snap(inv, "c", D1, tb_time("2026-11-19T10:00Z"));
    tb_snap_state(inv, tb_snap(inv, "d", D1, tb_time("2026-11-20T11:00Z")), "Creating");
    static const struct { const char *rules, *kept; } cases[] = {
        { "last 1", "a b d" },          { "last 2", "a b c d" },
        { "daily to 3d", "a b c d" },   { "every 1d to 3d", "a b c d" },
        { "keep-all 1h", "a b d" },     { "within 1h", "a b d" },
        { "daily 1", "a b d" },         { "daily within 1w", "a b c d" },
        { "tagged \"x\"", "a b d" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pol_policy *p = tb_policy("t", true, NULL);
        tb_rules(p, cases[i].rules);
        eng_plan *plan = tb_eval(&p, 1, inv, tb_time("2026-11-21T00:00Z"));
        char *k = tb_kept(plan);
        if (strcmp(k, cases[i].kept) != 0)
            fail_msg("%s: kept '%s', want '%s'", cases[i].rules, k, cases[i].kept);
        free(k);
        assert_true(tb_find(plan, "b")->newest);
        assert_false(tb_find(plan, "a")->newest || tb_find(plan, "d")->newest);
        const eng_decision *a = tb_find(plan, "a"), *d = tb_find(plan, "d");
        assert_int_equal(a->nreasons, 1);
        assert_int_equal(a->reasons[0].kind, ENG_R_FAILED);
        assert_int_equal(d->nreasons, 1);
        assert_int_equal(d->reasons[0].kind, ENG_R_IN_PROGRESS);
        assert_int_equal(plan->groups[0].newest, tb_time("2026-11-20T10:00Z"));
        eng_plan_free(plan);
        tb_policy_free(p);
    }
    inv_free(inv);
}

/* `all` and counts beyond anything a group holds mean the same: nothing
 * runs out, the oldest is kept. */
static void test_all_and_huge_counts(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    tb_series(inv, "", D1, tb_time("2026-10-01T00:00Z"), tb_time("2026-11-20T00:00Z"),
              5 * TB_HOUR);
    const char *periods[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly" };
    for (size_t i = 0; i < 6; i++) {
        char all[64], huge[64], big[64], exact[64];
        snprintf(all, sizeof all, "%s all", periods[i]);
        snprintf(huge, sizeof huge, "%s 9223372036854775807", periods[i]);
        snprintf(big, sizeof big, "%s 4294967297", periods[i]);
        snprintf(exact, sizeof exact, "%s %zu", periods[i], inv->nsnapshots);
        char *a = kept_of(NULL, all, inv, "2026-11-21T00:00Z");
        EXPECT_KEPT(kept_of(NULL, huge, inv, "2026-11-21T00:00Z"), a);
        EXPECT_KEPT(kept_of(NULL, big, inv, "2026-11-21T00:00Z"), a);
        EXPECT_KEPT(kept_of(NULL, exact, inv, "2026-11-21T00:00Z"), a);
        /* every bucket's newest, and the oldest snapshot */
        assert_non_null(strstr(a, "10-01T00:00"));
        free(a);
    }
    char *last = kept_of(NULL, "last all", inv, "2026-11-21T00:00Z");
    assert_int_equal(strlen(last), inv->nsnapshots * 12 - 1);
    free(last);
    inv_free(inv);
}

/* `within` with calendar parts is measured on the local calendar from the
 * newest snapshot: 1mo from 03-31 is 03-03; 1d before 14:00 CEST on the day
 * clocks spring forward is 14:00 CET, 23 h; 1y from a leap day is 03-01. */
static void test_within_calendar(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "m0", D1, tb_time("2026-03-03T12:00Z"));
    tb_snap(inv, "m1", D1, tb_time("2026-03-03T12:00:01Z"));
    tb_snap(inv, "n", D1, tb_time("2026-03-31T12:00Z"));
    EXPECT_KEPT(kept_of(NULL, "within 1mo", inv, "2026-04-01T00:00Z"), "m1 n");
    EXPECT_KEPT(kept_of(NULL, "daily within 1mo", inv, "2026-04-01T00:00Z"), "m1 n");
    EXPECT_KEPT(kept_of(NULL, "within 4w", inv, "2026-04-01T00:00Z"), "m1 n");
    EXPECT_KEPT(kept_of(NULL, "within 1mo1m", inv, "2026-04-01T00:00Z"), "m0 m1 n");
    inv_free(inv);

    inv = tb_inv();
    tb_snap(inv, "a", D1, tb_time("2026-03-28T12:30Z"));
    tb_snap(inv, "b", D1, tb_time("2026-03-28T13:00Z"));   /* 14:00 CET: the cut */
    tb_snap(inv, "c", D1, tb_time("2026-03-28T13:01Z"));
    tb_snap(inv, "n", D1, tb_time("2026-03-29T12:00Z"));   /* 14:00 CEST */
    EXPECT_KEPT(kept_of("Europe/Paris", "within 1d", inv, "2026-03-30T00:00Z"), "c n");
    EXPECT_KEPT(kept_of("Europe/Paris", "within 24h", inv, "2026-03-30T00:00Z"), "a b c n");
    EXPECT_KEPT(kept_of(NULL, "within 1d", inv, "2026-03-30T00:00Z"), "a b c n");
    EXPECT_KEPT(kept_of("Europe/Paris", "hourly within 1d", inv, "2026-03-30T00:00Z"), "c n");
    inv_free(inv);

    inv = tb_inv();
    tb_snap(inv, "x", D1, tb_time("2027-03-01T12:00Z"));
    tb_snap(inv, "y", D1, tb_time("2027-03-01T12:00:01Z"));
    tb_snap(inv, "n", D1, tb_time("2028-02-29T12:00Z"));
    EXPECT_KEPT(kept_of(NULL, "within 1y", inv, "2028-03-01T00:00Z"), "y n");
    EXPECT_KEPT(kept_of(NULL, "within 12mo", inv, "2028-03-01T00:00Z"), "y n");
    EXPECT_KEPT(kept_of(NULL, "within 365d", inv, "2028-03-01T00:00Z"), "y n");
    EXPECT_KEPT(kept_of(NULL, "within 366d", inv, "2028-03-01T00:00Z"), "x y n");
    inv_free(inv);
}

/* Inventories in no particular order, large enough for the radix sort
 * (>= 256 in a group), with negative times and ties: the walk must still
 * be newest first with the smaller name first. */
static void test_unsorted_large_groups(void **state)
{
    (void)state;
    rng_state = 0x5eed0003;
    for (int round = 0; round < 4; round++) {
        size_t n = round < 2 ? 255 + (size_t)round : 1000;
        inv_inventory *inv = tb_inv();
        sk_time base = round % 2 ? tb_time("1969-12-31T12:00Z") : tb_time("2026-11-01T00:00Z");
        for (size_t i = 0; i < n; i++) {
            char name[16];
            snprintf(name, sizeof name, "s%04zu", n - i);     /* not inventory order */
            sk_time t = base + rnd_in(-40, 40) * TB_HOUR;
            tb_snap(inv, name, D1, t);
        }
        /* Reference: newest, and `last 3` = first three by (t desc, name asc). */
        size_t order[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX };
        for (size_t k = 0; k < 3; k++) {
            for (size_t i = 0; i < n; i++) {
                bool taken = false;
                for (size_t j = 0; j < k; j++)
                    taken |= order[j] == i;
                if (taken)
                    continue;
                const inv_snapshot *s = &inv->snapshots[i];
                if (order[k] == SIZE_MAX) {
                    order[k] = i;
                    continue;
                }
                const inv_snapshot *o = &inv->snapshots[order[k]];
                if (s->created > o->created ||
                    (s->created == o->created && strcmp(s->name, o->name) < 0))
                    order[k] = i;
            }
        }
        pol_policy *p = tb_policy("t", true, NULL);
        tb_rules(p, "last 3");
        eng_plan *plan = tb_eval(&p, 1, inv, tb_time("2026-12-01T00:00Z"));
        assert_int_equal(plan->nkeep, 3);
        for (size_t k = 0; k < 3; k++)
            assert_true(plan->decisions[order[k]].action == ENG_KEEP);
        assert_true(plan->decisions[order[0]].newest);
        eng_plan_free(plan);
        tb_policy_free(p);
        inv_free(inv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_sees_the_changes),
        cmocka_unit_test(test_oracle_paris),
        cmocka_unit_test(test_oracle_lord_howe),
        cmocka_unit_test(test_oracle_paris_2040),
        cmocka_unit_test(test_oracle_santiago),
        cmocka_unit_test(test_window_edges_to_the_microsecond),
        cmocka_unit_test(test_all_of_history),
        cmocka_unit_test(test_buckets_before_1970),
        cmocka_unit_test(test_equal_times_across_names_and_disks),
        cmocka_unit_test(test_several_policies_one_disk),
        cmocka_unit_test(test_adopt_versus_other_owner),
        cmocka_unit_test(test_id_spellings),
        cmocka_unit_test(test_empty_and_future_only_groups),
        cmocka_unit_test(test_not_backups_never_win),
        cmocka_unit_test(test_all_and_huge_counts),
        cmocka_unit_test(test_within_calendar),
        cmocka_unit_test(test_unsorted_large_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
