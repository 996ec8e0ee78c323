/* engine/health: the decisions behind `snapkeep status` (RPO limits, disk
 * facts, verdicts, next due creation, state order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/azure_limits.h"
#include "engine/enforce.h"
#include "engine/health.h"
#include "engine/tz.h"
#include "support/builders.h"

#define DISK_A "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/disks/disk-a"
#define DISK_B "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/disks/disk-b"
#define MIN TB_MIN
#define HOUR TB_HOUR
#define DAY TB_DAY
#define T tb_time

typedef tb_hourly_fixture fixture;

static int setup(void **state)
{
    *state = tb_hourly_new(sizeof(fixture));
    return 0;
}

static int teardown(void **state)
{
    tb_hourly_delete(*state);
    return 0;
}

static void test_order(void **state)
{
    (void)state;
    assert_int_equal(hl_worst(HL_OK, HL_UNKNOWN), HL_UNKNOWN);
    assert_int_equal(hl_worst(HL_UNKNOWN, HL_WARNING), HL_WARNING);
    assert_int_equal(hl_worst(HL_CRITICAL, HL_UNKNOWN), HL_CRITICAL);
    assert_int_equal(hl_worst(HL_WARNING, HL_OK), HL_WARNING);
    assert_string_equal(hl_state_name(HL_UNKNOWN), "UNKNOWN");
    assert_string_equal(hl_state_name(HL_CRITICAL), "CRITICAL");
    /* the exit codes of the Monitoring Plugins guidelines */
    assert_int_equal(HL_OK, 0);
    assert_int_equal(HL_WARNING, 1);
    assert_int_equal(HL_CRITICAL, 2);
    assert_int_equal(HL_UNKNOWN, 3);
}

static void test_limits(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-21T00:00:00Z");
    hl_limits l = hl_limits_of(&f->p, NULL, NULL, now);
    /* hourly: warning past two cadences, critical past the stale rule (3) */
    assert_true(l.judged);
    assert_int_equal(l.warn_age, 7200);
    assert_int_equal(l.crit_age, 10800);
    assert_int_equal(l.cadence, 3600);
    /* stale-after replaces the three cadences */
    f->p.has_stale_after = true;
    f->p.stale_after = (pol_duration){ .hours = 6 };
    l = hl_limits_of(&f->p, NULL, NULL, now);
    assert_int_equal(l.crit_age, 6 * 3600);
    assert_int_equal(l.warn_age, 7200);
    /* a stale-after shorter than two cadences pulls the warning with it */
    f->p.stale_after = (pol_duration){ .minutes = 90 };
    l = hl_limits_of(&f->p, NULL, NULL, now);
    assert_int_equal(l.crit_age, 5400);
    assert_int_equal(l.warn_age, 5400);
    /* given limits win */
    pol_duration w = { .minutes = 30 }, c = { .hours = 4 };
    l = hl_limits_of(&f->p, &w, &c, now);
    assert_int_equal(l.warn_age, 1800);
    assert_int_equal(l.crit_age, 4 * 3600);
    /* a warning beyond the critical limit is the critical limit */
    w = (pol_duration){ .hours = 9 };
    l = hl_limits_of(&f->p, &w, &c, now);
    assert_int_equal(l.warn_age, 4 * 3600);
    /* no cadence, no stale-after: nothing to judge by, unless given */
    f->p.has_stale_after = false;
    f->p.has_snapshot_every = false;
    l = hl_limits_of(&f->p, NULL, NULL, now);
    assert_false(l.judged);
    assert_int_equal(l.cadence, 0);
    l = hl_limits_of(&f->p, &w, NULL, now);
    assert_true(l.judged);
    assert_int_equal(l.warn_age, 9 * 3600);
    assert_int_equal(l.crit_age, 9 * 3600);
}

static void test_limits_calendar(void **state)
{
    fixture *f = *state;
    /* daily in Europe/Paris across the autumn DST change: two local days
     * back from 2026-10-26T12:00Z are 49 hours */
    eng_tz_free(f->p.tz);
    char err[256];
    static unsigned char data[1 << 16];
    FILE *z = fopen("/usr/share/zoneinfo/Europe/Paris", "rb");
    assert_non_null(z);
    size_t len = fread(data, 1, sizeof data, z);
    fclose(z);
    f->p.tz = eng_tz_parse("Europe/Paris", data, len, err, sizeof err);
    assert_non_null(f->p.tz);
    f->p.snapshot_every = (pol_duration){ .days = 1 };
    hl_limits l = hl_limits_of(&f->p, NULL, NULL, T("2026-10-26T12:00:00Z"));
    assert_int_equal(l.warn_age, 49 * 3600);
    assert_int_equal(l.crit_age, 73 * 3600);
}

static void test_facts(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-21T00:00:00Z");
    tb_owned_snap(f->inv, "a1", DISK_A, now - 3 * HOUR, "p", "Succeeded");
    tb_owned_snap(f->inv, "a2", DISK_A, now - 1 * HOUR, "p", "Failed");       /* holds no data */
    tb_owned_snap(f->inv, "a3", DISK_A, now - 30 * MIN, "q", "Succeeded");    /* another owner's */
    tb_owned_snap(f->inv, "a4", DISK_A, now + 2 * DAY, "p", "Succeeded");     /* wrong clock */
    tb_owned_snap(f->inv, "a5", &DISK_A[1], now - 2 * HOUR, NULL, NULL);  /* untagged, ID without its leading slash */
    tb_owned_snap(f->inv, "b1", DISK_B, now - 10 * MIN, "p", "Succeeded");
    hl_disk_facts d = hl_disk_facts_of(&f->p, f->inv, DISK_A, now);
    assert_int_equal(d.snapshots, 5);
    assert_int_equal(d.owned, 3);
    assert_int_equal(d.newest, now - 3 * HOUR);
    /* adopt untagged: the untagged one counts */
    f->p.adopt_untagged = true;
    d = hl_disk_facts_of(&f->p, f->inv, DISK_A, now);
    assert_int_equal(d.newest, now - 2 * HOUR);
    d = hl_disk_facts_of(&f->p, f->inv, "/subscriptions/s1/resourceGroups/rg/providers/"
                         "Microsoft.Compute/disks/none", now);
    assert_int_equal(d.snapshots, 0);
    assert_int_equal(d.newest, SK_TIME_MIN);
}

static void test_judge(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-21T00:00:00Z");
    hl_limits l = hl_limits_of(&f->p, NULL, NULL, now);
    static const struct {
        int64_t age_min;        /* -1: no snapshot */
        size_t snapshots;
        hl_state state, rpo_state, cap_state;
        hl_reason rpo, cap;
    } cases[] = {
        { 30, 10, HL_OK, HL_OK, HL_OK, HL_R_FRESH, HL_R_FRESH },
        { 120, 10, HL_OK, HL_OK, HL_OK, HL_R_FRESH, HL_R_FRESH },          /* exactly 2 cadences */
        { 121, 10, HL_WARNING, HL_WARNING, HL_OK, HL_R_LATE, HL_R_FRESH },
        { 180, 10, HL_WARNING, HL_WARNING, HL_OK, HL_R_LATE, HL_R_FRESH },  /* exactly stale */
        { 181, 10, HL_CRITICAL, HL_CRITICAL, HL_OK, HL_R_STALE, HL_R_FRESH },
        { -1, 0, HL_CRITICAL, HL_CRITICAL, HL_OK, HL_R_NO_SNAPSHOT, HL_R_FRESH },
        { 30, ENG_SNAPSHOTS_NEAR_CAP - 1, HL_OK, HL_OK, HL_OK, HL_R_FRESH, HL_R_FRESH },
        { 30, ENG_SNAPSHOTS_NEAR_CAP, HL_WARNING, HL_OK, HL_WARNING, HL_R_FRESH, HL_R_NEAR_CAP },
        { 30, ENG_SNAPSHOTS_PER_DISK_MAX, HL_CRITICAL, HL_OK, HL_CRITICAL, HL_R_FRESH, HL_R_AT_CAP },
        { 150, ENG_SNAPSHOTS_PER_DISK_MAX, HL_CRITICAL, HL_WARNING, HL_CRITICAL, HL_R_LATE,
          HL_R_AT_CAP },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hl_disk_facts d = { cases[i].age_min < 0 ? SK_TIME_MIN : now - cases[i].age_min * MIN,
                            cases[i].snapshots, cases[i].snapshots };
        hl_verdict v = hl_judge_disk(&l, &d, now);
        assert_int_equal(v.state, cases[i].state);
        assert_int_equal(v.rpo_state, cases[i].rpo_state);
        assert_int_equal(v.cap_state, cases[i].cap_state);
        assert_int_equal(v.rpo, cases[i].rpo);
        assert_int_equal(v.cap, cases[i].cap);
        assert_int_equal(v.age, cases[i].age_min < 0 ? -1 : cases[i].age_min * 60);
        assert_non_null(hl_reason_text(v.rpo));
    }
    /* nothing to judge by: UNKNOWN, never OK */
    f->p.has_snapshot_every = false;
    l = hl_limits_of(&f->p, NULL, NULL, now);
    hl_disk_facts d = { now - MIN, 1, 1 };
    hl_verdict v = hl_judge_disk(&l, &d, now);
    assert_int_equal(v.state, HL_UNKNOWN);
    assert_int_equal(v.rpo, HL_R_UNJUDGED);
}

static void test_next_due(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-21T00:00:00Z");
    sk_time newest = T("2026-11-20T23:20:00Z");
    /* hourly: due one cadence after the newest, less the jitter tolerance
     * (cadence / 10 = 6 min, capped at 5 min) */
    sk_time due = hl_next_due(&f->p, newest, now);
    assert_int_equal(due, T("2026-11-21T00:15:00Z"));
    assert_false(enf_is_due(&f->p, newest, due - SK_USEC_PER_SEC));
    assert_true(enf_is_due(&f->p, newest, due));
    /* no snapshot: due now */
    assert_int_equal(hl_next_due(&f->p, SK_TIME_MIN, now), now);
    /* a 10-minute cadence tolerates 1 minute */
    f->p.snapshot_every = (pol_duration){ .minutes = 10 };
    assert_int_equal(hl_next_due(&f->p, newest, now), T("2026-11-20T23:29:00Z"));
    /* monthly on the calendar */
    f->p.snapshot_every = (pol_duration){ .months = 1 };
    due = hl_next_due(&f->p, T("2026-01-31T00:00:00Z"), now);
    assert_true(enf_is_due(&f->p, T("2026-01-31T00:00:00Z"), due));
    assert_false(enf_is_due(&f->p, T("2026-01-31T00:00:00Z"), due - SK_USEC_PER_SEC));
    /* no cadence: never due */
    f->p.has_snapshot_every = false;
    assert_int_equal(hl_next_due(&f->p, newest, now), SK_TIME_MIN);
}

static void test_run_drill(void **state)
{
    (void)state;
    assert_int_equal(hl_run_state(0), HL_OK);
    for (int rc = 1; rc <= 7; rc++)
        assert_int_equal(hl_run_state(rc), HL_WARNING);
    assert_int_equal(hl_drill_state(true), HL_OK);
    assert_int_equal(hl_drill_state(false), HL_WARNING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_calendar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_facts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_judge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_due, setup, teardown),
        cmocka_unit_test(test_run_drill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
