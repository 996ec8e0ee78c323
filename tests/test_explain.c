/* engine/explain.c: the model `snapkeep explain` renders. The figures are
 * those of a replay with every run on time, as `snapkeep simulate` replays
 * by default, so simulate prints the same steady state for the seed policy
 * whatever its start and length (one model, one figure: issue 15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/azure_limits.h"
#include "engine/explain.h"
#include "support/builders.h"

static pol_policy *policy(const char *rules)
{
    pol_policy *p = tb_policy("t", true, NULL);
    tb_rules(p, rules);
    return p;
}

#define SEED "keep-all 24h, every 12h to 7d, daily to 15d"

/* The seed policy at one snapshot an hour: 44 after every run (policy(5)
 * shows why: the two buckets cut by a tier's end hold one snapshot fewer
 * than a full history's 46), one deletion per run, gaps of the buckets. */
static void test_seed_hourly(void **state)
{
    (void)state;
    pol_policy *p = policy(SEED);
    eng_explain e;
    eng_explain_compute(p, TB_HOUR, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_REPLAYED);
    assert_true(e.have_cadence && e.cadence_from_option);
    assert_true(e.cadence_usec == TB_HOUR);
    assert_true(e.jitter_usec == 0);
    assert_non_null(e.sim);
    assert_int_equal(e.sim->count_min, 44);
    assert_int_equal(e.sim->count_max, 44);
    assert_int_equal(e.sim->del_min, 1);
    assert_int_equal(e.sim->del_max, 1);
    assert_int_equal(e.sim->ngaps, 3);
    assert_true(e.sim->gaps[0].max_gap_usec == TB_HOUR);
    assert_true(e.sim->gaps[1].max_gap_usec == 12 * TB_HOUR);
    assert_true(e.sim->gaps[2].max_gap_usec == TB_DAY);
    assert_int_equal(e.nestimates, 0);
    eng_explain_free(&e);
    assert_null(e.sim);
    tb_policy_free(p);
}

/* Issue 15: explain said 44 to 45 where simulate said 44 to 46, two
 * samples of runs drifting at random. On time, the replay is periodic: the
 * same figures from any start (simulate's default is now, rounded to the
 * cadence) and any length past the warm-up. */
static void test_figure_independent_of_sample(void **state)
{
    (void)state;
    pol_policy *p = policy(SEED);
    eng_explain e;
    eng_explain_compute(p, TB_HOUR, &e);
    static const char *const starts[] = { "2026-01-05T00:00Z", "2026-12-08T01:00Z",
                                          "2026-07-17T13:00Z" };
    static const int64_t days[] = { 22, 30, 61 };
    for (size_t i = 0; i < 3; i++) {
        eng_sim_params prm = { .start = tb_time(starts[i]), .cadence_usec = TB_HOUR,
                               .duration_usec = days[i] * TB_DAY, .warmup_usec = -1 };
        eng_sim *s = NULL;
        char err[128];
        assert_int_equal(eng_simulate(p, &prm, &s, err, sizeof err), 0);
        assert_int_equal(s->count_min, e.sim->count_min);
        assert_int_equal(s->count_max, e.sim->count_max);
        assert_int_equal(s->del_min, e.sim->del_min);
        assert_int_equal(s->del_max, e.sim->del_max);
        eng_sim_free(s);
    }
    eng_explain_free(&e);
    tb_policy_free(p);
}

/* The parameters are simulate's, written out: a replay through
 * eng_simulate with them gives the same figures, and they are the ones the
 * man page names (start, 15d warm-up plus a week, a twelfth of the cadence). */
static void test_same_as_simulate(void **state)
{
    (void)state;
    pol_policy *p = policy(SEED);
    eng_explain e;
    eng_explain_compute(p, TB_HOUR, &e);
    assert_true(e.params.start == tb_time("2026-01-05T00:00Z"));
    assert_true(e.params.warmup_usec == 15 * TB_DAY);
    assert_true(e.params.duration_usec == 22 * TB_DAY);
    assert_true(e.params.jitter_usec == 0);
    assert_null(e.params.rng);
    eng_sim_params prm = e.params;
    prm.work_limit = 0;
    eng_sim *s = NULL;
    char err[128];
    assert_int_equal(eng_simulate(p, &prm, &s, err, sizeof err), 0);
    assert_int_equal(s->count_min, e.sim->count_min);
    assert_int_equal(s->count_max, e.sim->count_max);
    assert_true(s->count_avg == e.sim->count_avg);
    assert_true(s->del_avg == e.sim->del_avg);
    eng_sim_free(s);
    eng_explain_free(&e);
    tb_policy_free(p);
}

static void test_cadence_sources(void **state)
{
    (void)state;
    pol_policy *p = policy(SEED);
    eng_explain e;
    eng_explain_compute(p, 0, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_NO_CADENCE);
    assert_false(e.have_cadence);
    assert_null(e.sim);
    eng_explain_free(&e);

    p->has_snapshot_every = true;
    p->snapshot_every = (pol_duration){ .months = 1 };
    eng_explain_compute(p, 0, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_CALENDAR_CADENCE);
    assert_false(e.have_cadence);
    eng_explain_free(&e);

    /* --cadence wins over a calendar `snapshot every` */
    eng_explain_compute(p, 2 * TB_HOUR, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_REPLAYED);
    assert_true(e.cadence_from_option && e.cadence_usec == 2 * TB_HOUR);
    eng_explain_free(&e);

    p->snapshot_every = (pol_duration){ .hours = 6 };
    eng_explain_compute(p, 0, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_REPLAYED);
    assert_true(e.have_cadence && !e.cadence_from_option);
    assert_true(e.cadence_usec == 6 * TB_HOUR);
    assert_true(e.jitter_usec == 0);
    /* 6h snapshots: keep-all 24h holds 4, 12h buckets 12, days 8 or 9 */
    assert_true(e.sim->count_min >= 20 && e.sim->count_max <= 27);
    eng_explain_free(&e);
    tb_policy_free(p);
}

static void test_growing(void **state)
{
    (void)state;
    pol_policy *p = policy("daily all");
    eng_explain e;
    eng_explain_compute(p, TB_HOUR, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_GROWING);
    assert_true(e.have_cadence);
    assert_null(e.sim);
    assert_int_equal(e.nestimates, 0);
    eng_explain_free(&e);
    tb_policy_free(p);
}

/* Ten years of 15-minute snapshots: not replayed, estimated per tier from
 * its window (mid-length) over its bucket or the cadence, whichever is
 * longer: a day of 15-minute snapshots is 96. */
static void test_too_long_estimates(void **state)
{
    (void)state;
    pol_policy *p = policy("keep-all 1d, daily to 30d, weekly to 6mo, monthly to 2y, "
                           "yearly to 10y");
    eng_explain e;
    eng_explain_compute(p, 15 * TB_MIN, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_TOO_LONG);
    assert_null(e.sim);
    assert_int_equal(e.nestimates, 5);
    assert_ptr_equal(e.estimates[0].rule, &p->rules[0]);
    assert_true(e.estimates[0].count == 96);
    assert_true(e.estimates[0].gap_usec == 15 * TB_MIN);
    assert_true(e.estimates[1].count == 29);
    assert_true(e.estimates[1].gap_usec == TB_DAY);
    assert_true(e.estimates[2].gap_usec == 7 * TB_DAY);
    assert_true(e.estimates[4].count > 7.9 && e.estimates[4].count < 8.1);
    double sum = 0;
    for (size_t i = 0; i < e.nestimates; i++)
        sum += e.estimates[i].count;
    assert_true(e.estimate_total == sum);
    assert_true(e.estimate_total >= 160 && e.estimate_total <= 185);
    eng_explain_free(&e);
    tb_policy_free(p);
}

static void test_sweep(void **state)
{
    (void)state;
    pol_policy *p = policy(SEED);
    assert_true(eng_explain_sweep_usec(p, TB_HOUR) == 7 * TB_DAY);
    assert_true(eng_explain_sweep_usec(p, 2 * TB_HOUR) == 14 * TB_DAY);     /* 168 runs */
    tb_policy_free(p);
    p = policy("monthly 3");
    assert_true(eng_explain_sweep_usec(p, TB_HOUR) == 62 * TB_DAY);
    tb_policy_free(p);
    p = policy("yearly to 5y");
    assert_true(eng_explain_sweep_usec(p, TB_DAY) == 366 * TB_DAY);
    tb_policy_free(p);
    p = policy("every 30d to 1y");
    assert_true(eng_explain_sweep_usec(p, TB_HOUR) == 60 * TB_DAY);
    tb_policy_free(p);
}

static void test_last_tier(void **state)
{
    (void)state;
    pol_policy *p = policy("last 3, keep-all 1d, tagged \"x\", daily to 7d, within 2d");
    assert_ptr_equal(eng_last_tier(p), &p->rules[3]);
    tb_policy_free(p);
    p = policy("last 3");
    assert_null(eng_last_tier(p));
    tb_policy_free(p);
    eng_explain_free(NULL);
}

/* The cap figure is the replay's largest count (the number explain prints)
 * plus every `last N`; the policy budget is exceeded only above 450. */
static void test_cap_figure(void **state)
{
    (void)state;
    /* 4d10h of 15-minute snapshots plus a month of dailies: the replay's
     * steady state peaks at 450; `last 8` brings it to 458 */
    pol_policy *p = policy("keep-all 4d10h, daily to 30d, last 8");
    eng_explain e;
    eng_explain_cap c;
    eng_explain_compute(p, 15 * TB_MIN, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_REPLAYED);
    eng_explain_cap_of(&e, &c);
    assert_true(c.known);
    assert_int_equal(c.steady, e.sim->count_max);
    assert_int_equal(c.floor, 8);
    assert_int_equal(c.total, c.steady + 8);
    assert_true(c.total > ENG_SNAPSHOTS_POLICY_BUDGET);
    assert_true(c.over);
    eng_explain_free(&e);
    tb_policy_free(p);
    /* 4d: 410 + 8 = 418, under the budget */
    p = policy("keep-all 4d, daily to 30d, last 8");
    eng_explain_compute(p, 15 * TB_MIN, &e);
    eng_explain_cap_of(&e, &c);
    assert_true(c.known);
    assert_int_equal(c.total, (int64_t)e.sim->count_max + 8);
    assert_true(c.total <= ENG_SNAPSHOTS_POLICY_BUDGET);
    assert_false(c.over);
    eng_explain_free(&e);
    tb_policy_free(p);
}

/* Exactly at the budget is not above it; one more is. */
static void test_cap_boundary(void **state)
{
    (void)state;
    /* keep-all of N hours at 1h: the count settles at N or N+1 */
    for (int hours = 440; hours <= 452; hours++) {
        char text[64];
        snprintf(text, sizeof text, "keep-all %dh", hours);
        pol_policy *p = policy(text);
        eng_explain e;
        eng_explain_cap c;
        eng_explain_compute(p, TB_HOUR, &e);
        eng_explain_cap_of(&e, &c);
        assert_true(c.known);
        assert_int_equal(c.floor, 0);
        assert_int_equal(c.total, e.sim->count_max);
        assert_int_equal(c.over, c.total > 450);
        if (hours <= 445)
            assert_false(c.over);
        if (hours >= 451)
            assert_true(c.over);
        eng_explain_free(&e);
        tb_policy_free(p);
    }
}

/* No figure without a steady state: no cadence, `all`; an estimate counts. */
static void test_cap_unknown_and_estimated(void **state)
{
    (void)state;
    eng_explain e;
    eng_explain_cap c;
    pol_policy *p = policy("daily all, last 3");
    eng_explain_compute(p, TB_HOUR, &e);
    eng_explain_cap_of(&e, &c);
    assert_false(c.known);
    assert_false(c.over);
    eng_explain_free(&e);
    tb_policy_free(p);
    p = policy("keep-all 1d");
    eng_explain_compute(p, 0, &e);      /* no `snapshot every`, no --cadence */
    eng_explain_cap_of(&e, &c);
    assert_false(c.known);
    eng_explain_free(&e);
    tb_policy_free(p);
    /* ten years of 15-minute snapshots: the estimate (about 170), rounded up, plus 400 */
    p = policy("keep-all 1d, daily to 30d, weekly to 6mo, monthly to 2y, yearly to 10y, last 400");
    eng_explain_compute(p, 15 * TB_MIN, &e);
    assert_int_equal(e.note, ENG_EXPLAIN_TOO_LONG);
    eng_explain_cap_of(&e, &c);
    assert_true(c.known);
    assert_true(c.steady >= (int64_t)e.estimate_total && c.steady < e.estimate_total + 1);
    assert_int_equal(c.floor, 400);
    assert_true(c.over);
    eng_explain_free(&e);
    tb_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_hourly),
        cmocka_unit_test(test_figure_independent_of_sample),
        cmocka_unit_test(test_same_as_simulate),
        cmocka_unit_test(test_cadence_sources),
        cmocka_unit_test(test_growing),
        cmocka_unit_test(test_too_long_estimates),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_last_tier),
        cmocka_unit_test(test_cap_figure),
        cmocka_unit_test(test_cap_boundary),
        cmocka_unit_test(test_cap_unknown_and_estimated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
