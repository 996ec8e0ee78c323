/* engine/simulate.c: the replay behind explain and simulate. The seed
 * policy's numbers are the "done when": 44-46 snapshots per disk,
 * 0-2 deletions per run after warm-up, one on average. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/simulate.h"
#include "support/builders.h"

#define SEED_RULES "keep-all 24h, every 12h to 7d, daily to 15d"

static pol_policy *seed_policy(void)
{
    pol_policy *p = tb_policy("seed", true, NULL);
    tb_rules(p, SEED_RULES);
    return p;
}

static eng_sim *run(const pol_policy *p, sk_time start, int64_t cadence, int64_t days,
                    int64_t jitter, uint32_t miss_ppm, uint64_t seed)
{
    eng_rng rng;
    eng_rng_seed(&rng, seed);
    eng_sim_params prm = {
        .start = start, .cadence_usec = cadence, .duration_usec = days * TB_DAY,
        .jitter_usec = jitter, .miss_ppm = miss_ppm, .rng = &rng, .warmup_usec = -1,
    };
    eng_sim *s = NULL;
    char err[256] = "";
    int rc = eng_simulate(p, &prm, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("eng_simulate: %s", err);
    return s;
}

static const eng_sim_gap *gap_of(const eng_sim *s, const char *rule)
{
    for (size_t k = 0; k < s->ngaps; k++)
        if (strcmp(s->gaps[k].rule->text, rule) == 0)
            return &s->gaps[k];
    fail_msg("no gap for rule %s", rule);
    return NULL;
}

/* The reference values of splitmix64 (Vigna's splitmix64.c, seed 0). */
static void test_rng_reference(void **state)
{
    (void)state;
    eng_rng r;
    eng_rng_seed(&r, 0);
    assert_true(eng_rng_next(&r) == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(eng_rng_next(&r) == UINT64_C(0x6e789e6aa1b965f4));
    assert_true(eng_rng_next(&r) == UINT64_C(0x06c45d188009454f));
    uint64_t seen = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t v = eng_rng_below(&r, 7);
        assert_true(v < 7);
        seen |= UINT64_C(1) << v;
    }
    assert_int_equal(seen, 0x7f);   /* every value comes up */
}

static void test_warmup(void **state)
{
    (void)state;
    static const struct { const char *rules; int64_t want; bool growing; } cases[] = {
        { SEED_RULES, 15 * TB_DAY, false },
        { "last 5", 5 * TB_HOUR, false },
        { "daily 7", 7 * TB_DAY, false },
        { "within 2d, last 3", 2 * TB_DAY, false },
        { "keep-all 1d, weekly 4", 28 * TB_DAY, false },
        { "keep-all 1d, monthly to 1y", 366 * TB_DAY, false },
        { "daily all", 0, true },
        { "last all, keep-all 1d", TB_DAY, true },
        { "tagged \"hold\"", 0, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pol_policy *p = tb_policy("w", true, NULL);
        tb_rules(p, cases[i].rules);
        bool growing = !cases[i].growing;
        int64_t got = eng_sim_warmup(p, TB_HOUR, &growing);
        if (got != cases[i].want || growing != cases[i].growing)
            fail_msg("%s: warm-up %lld s growing %d, want %lld s growing %d", cases[i].rules,
                     (long long)(got / SK_USEC_PER_SEC), growing,
                     (long long)(cases[i].want / SK_USEC_PER_SEC), cases[i].growing);
        tb_policy_free(p);
    }
}

/* The numbers, at every phase of the day the replay may start in. */
static void test_seed_steady_state(void **state)
{
    (void)state;
    pol_policy *p = seed_policy();
    for (int phase = 0; phase < 24; phase += 5) {
        sk_time start = tb_time("2026-11-01T00:00Z") + phase * TB_HOUR + 17 * TB_MIN;
        eng_sim *s = run(p, start, TB_HOUR, 30, 0, 0, 1);
        assert_int_equal(s->nruns, 30 * 24);
        assert_int_equal(s->created, 30 * 24);
        assert_int_equal(s->warmup_usec, 15 * TB_DAY);
        assert_true(s->first_steady < s->nruns);
        assert_true(s->count_min >= 44);
        assert_true(s->count_max <= 46);
        assert_true(s->del_max <= 2);
        assert_true(s->del_avg > 0.95 && s->del_avg < 1.05);
        /* without jitter every tier is as regular as it can be */
        assert_int_equal(gap_of(s, "keep-all 24h")->max_gap_usec, TB_HOUR);
        assert_int_equal(gap_of(s, "every 12h to 7d")->max_gap_usec, 12 * TB_HOUR);
        assert_int_equal(gap_of(s, "daily to 15d")->max_gap_usec, TB_DAY);
        eng_sim_free(s);
    }
    tb_policy_free(p);
}

/* With jitter the runs drift inside the hour: still 44-46, 0-2 deletions
 * per run, one on average, and gaps within a cadence of the ideal. */
static void test_seed_with_jitter(void **state)
{
    (void)state;
    pol_policy *p = seed_policy();
    for (uint64_t seed = 1; seed <= 4; seed++) {
        eng_sim *s = run(p, tb_time("2026-11-01T00:00Z"), TB_HOUR, 40, 5 * TB_MIN, 0, seed);
        assert_true(s->count_min >= 44);
        assert_true(s->count_max <= 46);
        assert_true(s->del_min <= 1);
        assert_true(s->del_max <= 2);
        assert_true(s->del_avg > 0.95 && s->del_avg < 1.05);
        size_t runs = 0;
        for (size_t k = 0; k < s->ndel_hist; k++)
            runs += s->del_hist[k];
        assert_int_equal(runs, s->nruns - s->first_steady);
        assert_true(gap_of(s, "keep-all 24h")->max_gap_usec <= TB_HOUR + 5 * TB_MIN);
        assert_true(gap_of(s, "every 12h to 7d")->max_gap_usec <= 24 * TB_HOUR);
        assert_true(gap_of(s, "every 12h to 7d")->max_gap_usec >= 12 * TB_HOUR - 5 * TB_MIN);
        assert_true(gap_of(s, "daily to 15d")->max_gap_usec <= 48 * TB_HOUR);
        eng_sim_free(s);
    }
    tb_policy_free(p);
}

/* Misses thin the keep-all tier; the bucketed tiers keep what exists. */
static void test_misses(void **state)
{
    (void)state;
    pol_policy *p = seed_policy();
    eng_sim *s = run(p, tb_time("2026-11-01T00:00Z"), TB_HOUR, 30, 0, 100000, 9);   /* 10% */
    assert_int_equal(s->created + s->missed, s->nruns);
    assert_true(s->missed > 30 && s->missed < 120);
    assert_true(s->count_max <= 46);
    assert_true(gap_of(s, "keep-all 24h")->max_gap_usec >= 2 * TB_HOUR);
    for (size_t i = 0; i < s->nruns; i++)
        if (!s->runs[i].created && i > 0)
            assert_true(s->runs[i].count <= s->runs[i - 1].count);
    eng_sim_free(s);
    s = run(p, tb_time("2026-11-01T00:00Z"), TB_HOUR, 3, 0, 1000000, 9);   /* all missed */
    assert_int_equal(s->created, 0);
    assert_int_equal(s->runs[s->nruns - 1].count, 0);
    eng_sim_free(s);
    tb_policy_free(p);
}

static void test_deterministic(void **state)
{
    (void)state;
    pol_policy *p = seed_policy();
    sk_time start = tb_time("2026-11-01T00:00Z");
    eng_sim *a = run(p, start, TB_HOUR, 20, 10 * TB_MIN, 50000, 42);
    eng_sim *b = run(p, start, TB_HOUR, 20, 10 * TB_MIN, 50000, 42);
    eng_sim *c = run(p, start, TB_HOUR, 20, 10 * TB_MIN, 50000, 43);
    assert_int_equal(a->nruns, b->nruns);
    assert_memory_equal(a->runs, b->runs, a->nruns * sizeof *a->runs);
    assert_true(memcmp(a->runs, c->runs, a->nruns * sizeof *a->runs) != 0);
    for (size_t i = 1; i < a->nruns; i++)   /* runs stay in order, within their slot */
        assert_true(a->runs[i].at > a->runs[i - 1].at &&
                    a->runs[i].at - (start + (int64_t)i * TB_HOUR) <= 10 * TB_MIN);
    eng_sim_free(a);
    eng_sim_free(b);
    eng_sim_free(c);
    tb_policy_free(p);
}

/* A block with a scope and ownership replays like the bare body: the
 * simulated snapshots are the policy's own. */
static void test_scoped_block(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("dss-datadir", false, NULL);
    tb_scope(p, NULL, "dss-prod");
    tb_disk(p, "dss-data");
    tb_rules(p, SEED_RULES ", last 3, tagged \"legal-hold\"");
    eng_sim *s = run(p, tb_time("2026-11-01T00:00Z"), TB_HOUR, 20, 0, 0, 1);
    assert_true(s->first_steady < s->nruns);
    assert_true(s->count_min >= 44 && s->count_max <= 46);
    eng_sim_free(s);
    tb_policy_free(p);
}

/* Calendar days in Europe/Paris across the October change (a 25-hour
 * day): the count stays near 44 and the daily gap within 25 hours. */
static void test_dst_zone(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("paris", true, "Europe/Paris");
    tb_rules(p, SEED_RULES);
    eng_sim *s = run(p, tb_time("2026-10-10T00:00Z"), TB_HOUR, 40, 0, 0, 1);
    assert_true(s->count_min >= 43 && s->count_max <= 47);
    assert_true(gap_of(s, "daily to 15d")->max_gap_usec <= 25 * TB_HOUR);
    assert_true(gap_of(s, "daily to 15d")->max_gap_usec >= 24 * TB_HOUR);
    eng_sim_free(s);
    tb_policy_free(p);
}

static void test_short_replay_and_limits(void **state)
{
    (void)state;
    pol_policy *p = seed_policy();
    eng_sim *s = run(p, tb_time("2026-11-01T00:00Z"), TB_HOUR, 5, 0, 0, 1);
    assert_int_equal(s->first_steady, s->nruns);    /* 5 days < 15-day warm-up */
    assert_int_equal(s->ndel_hist, 0);
    assert_int_equal(s->runs[s->nruns - 1].count, 24 + 8);  /* 24 hourly + the 12h tier so far */
    eng_sim_free(s);

    eng_sim_params prm = { .start = 0, .cadence_usec = TB_HOUR, .duration_usec = 60 * TB_DAY,
                           .warmup_usec = -1, .work_limit = 10000 };
    char err[128];
    assert_int_equal(eng_simulate(p, &prm, &s, err, sizeof err), 0);
    assert_true(s->truncated);
    assert_true(s->nruns < 60 * 24);
    eng_sim_free(s);

    static const struct { int64_t cadence, duration, jitter; uint32_t miss; const char *msg; }
    bad[] = {
        { 0, TB_DAY, 0, 0, "positive" },
        { TB_HOUR, 0, 0, 0, "positive" },
        { TB_HOUR, TB_DAY, TB_HOUR, 0, "jitter" },
        { TB_HOUR, TB_DAY, 0, 1000001, "100%" },
        { TB_MIN, 20 * 365 * TB_DAY, 0, 0, "runs" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eng_rng rng;
        eng_rng_seed(&rng, 1);
        eng_sim_params b = { .cadence_usec = bad[i].cadence, .duration_usec = bad[i].duration,
                             .jitter_usec = bad[i].jitter, .miss_ppm = bad[i].miss,
                             .rng = &rng, .warmup_usec = -1 };
        s = (eng_sim *)1;
        assert_int_equal(eng_simulate(p, &b, &s, err, sizeof err), -1);
        assert_null(s);
        if (strstr(err, bad[i].msg) == NULL)
            fail_msg("case %zu: message '%s' lacks '%s'", i, err, bad[i].msg);
    }
    eng_sim_free(NULL);
    tb_policy_free(p);
}

/* `plan` over 20 days of hourly snapshots keeps 44-46 per disk, whatever
 * the hour the series ends at and the minute of `now` (the first
 * "done when"). */
static void test_plan_twenty_days(void **state)
{
    (void)state;
    pol_policy *p = seed_policy();
    for (int64_t h = 0; h < 24; h += 5) {
        inv_inventory *inv = tb_inv();
        sk_time end = tb_time("2026-11-26T00:00Z") + h * TB_HOUR;
        tb_series(inv, "d1-", TB_DISK_ID("d1"), end - 20 * TB_DAY + TB_HOUR, end, TB_HOUR);
        tb_series(inv, "d2-", TB_DISK_ID("d2"), end - 20 * TB_DAY + TB_HOUR - 7 * TB_MIN,
                  end - 7 * TB_MIN, TB_HOUR);
        for (int64_t m = 0; m < 60; m += 13) {
            eng_plan *plan = tb_eval(&p, 1, inv, end + m * TB_MIN);
            assert_int_equal(plan->ngroups, 2);
            for (size_t g = 0; g < 2; g++)
                if (plan->groups[g].nkeep < 44 || plan->groups[g].nkeep > 46)
                    fail_msg("end +%lldh, now +%lldm, disk %zu: kept %zu", (long long)h,
                             (long long)m, g, plan->groups[g].nkeep);
            eng_plan_free(plan);
        }
        inv_free(inv);
    }
    tb_policy_free(p);
}

static eng_sim *replay(const pol_policy *p, sk_time start, int64_t cadence, int64_t duration,
                       int64_t jitter, uint32_t miss_ppm, bool whole, uint64_t work_limit)
{
    eng_rng rng;
    eng_rng_seed(&rng, 42);
    eng_sim_params prm = {
        .start = start, .cadence_usec = cadence, .duration_usec = duration,
        .jitter_usec = jitter, .miss_ppm = miss_ppm, .rng = &rng, .warmup_usec = -1,
        .whole = whole, .work_limit = work_limit,
    };
    eng_sim *s = NULL;
    char err[256] = "";
    if (eng_simulate(p, &prm, &s, err, sizeof err) != 0)
        fail_msg("eng_simulate: %s", err);
    return s;
}

/* The incremental replay gives, run by run, what evaluating every
 * snapshot at every run gives: counts, deletions, gaps, misses. */
static void test_incremental_same_as_whole(void **state)
{
    (void)state;
    static const struct { const char *zone, *rules; int64_t cadence, duration, jitter;
                          uint32_t miss; } cases[] = {
        { NULL, SEED_RULES ", last 3", TB_HOUR, 40 * TB_DAY, 0, 0 },
        { NULL, SEED_RULES ", last 3", TB_HOUR, 40 * TB_DAY, 50 * TB_MIN, 100000 },
        { NULL, SEED_RULES, 10 * TB_MIN, 20 * TB_DAY, 0, 0 },
        { "Europe/Paris", SEED_RULES ", last 3", TB_HOUR, 60 * TB_DAY, 0, 50000 },
        { "Europe/Paris", "keep-all 6h, monthly to 3mo", 3 * TB_HOUR, 150 * TB_DAY, 0, 0 },
        { NULL, "last 50", TB_HOUR, 10 * TB_DAY, 0, 200000 },
        { NULL, "last 50, every 6h to 10d, weekly to 8w", TB_HOUR, 70 * TB_DAY, 0, 0 },
        { NULL, "within 2d, every 6h to 10d", TB_HOUR, 20 * TB_DAY, 30 * TB_MIN, 0 },
        { NULL, "every 2h to 2d, keep-all 3d", TB_HOUR, 10 * TB_DAY, 0, 0 },
        { NULL, "every 4h to 3d, daily to 9d, last 30", TB_HOUR, 15 * TB_DAY, 0, 300000 },
        { NULL, "keep-all 1d, daily 7, last 5", TB_HOUR, 12 * TB_DAY, 0, 0 },
        { NULL, "keep-all 12h, daily within 5d", TB_HOUR, 12 * TB_DAY, 0, 0 },
        { NULL, "last all", TB_HOUR, 5 * TB_DAY, 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pol_policy *p = tb_policy("inc", true, cases[i].zone);
        tb_rules(p, cases[i].rules);
        sk_time start = tb_time("2026-09-01T00:00Z");
        eng_sim *a = replay(p, start, cases[i].cadence, cases[i].duration, cases[i].jitter,
                            cases[i].miss, false, 0);
        eng_sim *b = replay(p, start, cases[i].cadence, cases[i].duration, cases[i].jitter,
                            cases[i].miss, true, 0);
        assert_int_equal(a->nruns, b->nruns);
        assert_int_equal(a->created, b->created);
        assert_int_equal(a->missed, b->missed);
        for (size_t k = 0; k < a->nruns; k++)
            if (a->runs[k].at != b->runs[k].at || a->runs[k].count != b->runs[k].count ||
                a->runs[k].deleted != b->runs[k].deleted)
                fail_msg("case %zu (%s), run %zu: count %u/%u, deleted %u/%u", i,
                         cases[i].rules, k, a->runs[k].count, b->runs[k].count,
                         a->runs[k].deleted, b->runs[k].deleted);
        assert_int_equal(a->ngaps, b->ngaps);
        for (size_t k = 0; k < a->ngaps; k++) {
            assert_int_equal(a->gaps[k].max_gap_usec, b->gaps[k].max_gap_usec);
            assert_int_equal(a->gaps[k].max_gap_at, b->gaps[k].max_gap_at);
        }
        assert_true(a->work <= b->work);
        eng_sim_free(a);
        eng_sim_free(b);
        tb_policy_free(p);
    }
}

/* The audit's case: `last 100000` every minute for four weeks keeps
 * every snapshot. Evaluating all of them at every run is ~8e8 snapshot
 * evaluations; the replay is linear in runs (at most 2 per run) and
 * finishes within a work limit the whole replay cannot meet. */
static void test_work_linear_in_runs(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("big", true, NULL);
    tb_rules(p, "last 100000");
    const size_t runs = 4 * 7 * 24 * 60;
    eng_sim *s = replay(p, tb_time("2026-09-01T00:00Z"), TB_MIN, 28 * TB_DAY, 0, 0, false,
                        3 * runs);
    assert_false(s->truncated);
    assert_int_equal(s->nruns, runs);
    assert_int_equal(s->runs[runs - 1].count, runs);
    assert_int_equal(s->del_max, 0);
    assert_true(s->work <= 2 * runs);
    eng_sim_free(s);

    /* a year of it: once 100000 are kept, each run deletes the oldest,
     * still at a constant cost per run */
    const size_t year = 52 * 7 * 24 * 60;
    s = replay(p, tb_time("2026-09-01T00:00Z"), TB_MIN, 52 * 7 * TB_DAY, 0, 0, false, 3 * year);
    assert_false(s->truncated);
    assert_int_equal(s->nruns, year);
    assert_int_equal(s->runs[year - 1].count, 100000);
    assert_int_equal(s->runs[year - 1].deleted, 1);
    assert_true(s->work <= 3 * year);
    eng_sim_free(s);

    /* the seed policy at a one-minute cadence: a day of keep-all (1440
     * snapshots) is not evaluated again and again */
    tb_policy_free(p);
    p = seed_policy();
    const size_t runs2 = 20 * 24 * 60;
    s = replay(p, tb_time("2026-09-01T00:00Z"), TB_MIN, 20 * TB_DAY, 0, 0, false, 60 * runs2);
    assert_false(s->truncated);
    assert_true(s->count_max >= 1440);
    assert_true(s->work <= 60 * runs2);
    eng_sim_free(s);

    /* what the counter measures: the whole replay over one day is quadratic */
    s = replay(p, tb_time("2026-09-01T00:00Z"), TB_MIN, TB_DAY, 0, 0, true, 0);
    assert_true(s->work >= (uint64_t)1440 * 1440 / 2);
    eng_sim_free(s);
    tb_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_reference),
        cmocka_unit_test(test_warmup),
        cmocka_unit_test(test_seed_steady_state),
        cmocka_unit_test(test_seed_with_jitter),
        cmocka_unit_test(test_misses),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_scoped_block),
        cmocka_unit_test(test_dst_zone),
        cmocka_unit_test(test_short_replay_and_limits),
        cmocka_unit_test(test_plan_twenty_days),
        cmocka_unit_test(test_incremental_same_as_whole),
        cmocka_unit_test(test_work_linear_in_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
