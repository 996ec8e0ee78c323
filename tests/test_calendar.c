/* Civil dates and calendar buckets (engine/calendar.c). gmtime_r and
 * strftime serve as the oracle here, in the test only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/calendar.h"
#include "grammar/parse.h"

static eng_tz *zone(const char *name)
{
    char err[160];
    eng_tz *tz = pol_zone_load(name, err, sizeof err);
    if (!tz)
        fail_msg("%s", err);
    return tz;
}

static sk_time at(const char *rfc3339)
{
    sk_time t;
    if (eng_time_parse(rfc3339, strlen(rfc3339), &t) != 0)
        fail_msg("bad time %s", rfc3339);
    return t;
}

static void test_civil_known(void **state)
{
    (void)state;
    assert_int_equal(eng_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(eng_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(eng_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(eng_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(eng_days_from_civil(9999, 12, 31), 2932896);
    assert_int_equal(eng_days_from_civil(2024, 2, 29) + 1, eng_days_from_civil(2024, 3, 1));
    assert_int_equal(eng_days_from_civil(2023, 2, 28) + 1, eng_days_from_civil(2023, 3, 1));
    assert_int_equal(eng_days_from_civil(1900, 2, 28) + 1, eng_days_from_civil(1900, 3, 1));
    assert_int_equal(eng_days_from_civil(2000, 2, 28) + 2, eng_days_from_civil(2000, 3, 1));
}

/* Every day from year -1000 to 11000 against its neighbours and gmtime. */
static void test_civil_roundtrip(void **state)
{
    (void)state;
    int64_t first = eng_days_from_civil(-1000, 1, 1), last = eng_days_from_civil(11000, 1, 1);
    int64_t py = -1001;
    int pm = 12, pd = 31;
    for (int64_t days = first; days < last; days++) {
        int64_t y;
        int m, d;
        eng_civil_from_days(days, &y, &m, &d);
        assert_int_equal(eng_days_from_civil(y, m, d), days);
        /* the next day of the previous date */
        int next_ok = (y == py && m == pm && d == pd + 1) || (y == py && m == pm + 1 && d == 1) ||
                      (y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31);
        if (!next_ok)
            fail_msg("%lld-%d-%d after %lld-%d-%d", (long long)y, m, d, (long long)py, pm, pd);
        if (days % 97 == 0 && y >= 1 && y <= 9999) {
            time_t tt = (time_t)(days * 86400);
            struct tm tm;
            gmtime_r(&tt, &tm);
            assert_int_equal(tm.tm_year + 1900, y);
            assert_int_equal(tm.tm_mon + 1, m);
            assert_int_equal(tm.tm_mday, d);
        }
        py = y;
        pm = m;
        pd = d;
    }
}

static void label(eng_period p, const eng_tz *tz, const char *t, char *buf)
{
    eng_bucket_label(p, eng_bucket(p, tz, at(t)), buf, ENG_LABEL_BUFSZ);
}

typedef struct label_case {
    const char *zone;
    eng_period p;
    const char *time;
    const char *label;
} label_case;

static const label_case label_cases[] = {
    { "UTC", ENG_HOUR, "2026-11-20T13:59:59.999999Z", "2026-11-20T13:00" },
    { "UTC", ENG_DAY, "2026-11-20T23:59:59Z", "2026-11-20" },
    { "UTC", ENG_MONTH, "2026-11-30T23:59:59Z", "2026-11" },
    { "UTC", ENG_YEAR, "2026-12-31T23:59:59Z", "2026" },
    { "UTC", ENG_WEEK, "2026-11-20T12:00:00Z", "2026-W47" },
    /* ISO weeks: week-year differs from the calendar year at the edges */
    { "UTC", ENG_WEEK, "2026-12-31T12:00:00Z", "2026-W53" },
    { "UTC", ENG_WEEK, "2027-01-03T23:59:59Z", "2026-W53" },
    { "UTC", ENG_WEEK, "2027-01-04T00:00:00Z", "2027-W01" },
    { "UTC", ENG_WEEK, "2020-12-31T00:00:00Z", "2020-W53" },
    { "UTC", ENG_WEEK, "2021-01-03T00:00:00Z", "2020-W53" },
    { "UTC", ENG_WEEK, "2019-12-30T00:00:00Z", "2020-W01" },
    { "UTC", ENG_WEEK, "2024-12-30T00:00:00Z", "2025-W01" },
    { "UTC", ENG_WEEK, "1969-12-29T00:00:00Z", "1970-W01" },
    { "UTC", ENG_WEEK, "1969-12-28T23:59:59Z", "1969-W52" },
    { "UTC", ENG_DAY, "2024-02-29T12:00:00Z", "2024-02-29" },
    { "UTC", ENG_HOUR, "1969-12-31T23:30:00Z", "1969-12-31T23:00" },
    /* local fields, not UTC ones */
    { "Europe/Paris", ENG_DAY, "2026-11-19T23:30:00Z", "2026-11-20" },
    { "Europe/Paris", ENG_WEEK, "2026-11-22T23:30:00Z", "2026-W48" },
    { "Europe/Paris", ENG_YEAR, "2026-12-31T23:30:00Z", "2027" },
    { "Europe/Paris", ENG_MONTH, "2026-10-31T23:30:00Z", "2026-11" },
    { "Europe/Paris", ENG_HOUR, "2026-10-25T00:30:00Z", "2026-10-25T02:00" },
    { "Europe/Paris", ENG_HOUR, "2026-10-25T01:30:00Z", "2026-10-25T02:00" },
    { "America/New_York", ENG_DAY, "2026-11-20T04:59:59Z", "2026-11-19" },
    { "Asia/Kathmandu", ENG_HOUR, "2026-11-20T00:14:59Z", "2026-11-20T05:00" },
    { "Asia/Kathmandu", ENG_HOUR, "2026-11-20T00:15:00Z", "2026-11-20T06:00" },
};

static void test_labels(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof label_cases / sizeof label_cases[0]; i++) {
        const label_case *c = &label_cases[i];
        eng_tz *tz = zone(c->zone);
        char buf[ENG_LABEL_BUFSZ];
        label(c->p, tz, c->time, buf);
        if (strcmp(buf, c->label) != 0)
            fail_msg("%s %s %s: %s, want %s", c->zone, eng_period_noun(c->p), c->time, buf,
                     c->label);
        eng_tz_free(tz);
    }
}

/* Hours read as instants: the offset they start at (issue 15: a local hour
 * "2026-10-25T02:00" next to UTC's "...T00:00Z" did not say which 02:00). */
static const label_case tz_label_cases[] = {
    { "UTC", ENG_HOUR, "2026-11-20T13:59:59Z", "2026-11-20T13:00Z" },
    { "Europe/Paris", ENG_HOUR, "2026-10-25T00:30:00Z", "2026-10-25T02:00+02:00" },
    { "Europe/Paris", ENG_HOUR, "2026-10-25T01:30:00Z", "2026-10-25T02:00+02:00" },
    { "Europe/Paris", ENG_HOUR, "2026-10-25T02:30:00Z", "2026-10-25T03:00+01:00" },
    { "Europe/Paris", ENG_HOUR, "2026-03-29T01:30:00Z", "2026-03-29T03:00+02:00" },
    { "America/New_York", ENG_HOUR, "2026-11-20T04:59:59Z", "2026-11-19T23:00-05:00" },
    { "Asia/Kathmandu", ENG_HOUR, "2026-11-20T00:14:59Z", "2026-11-20T05:00+05:45" },
    { "Europe/Paris", ENG_DAY, "2026-11-19T23:30:00Z", "2026-11-20" },
    { "Europe/Paris", ENG_WEEK, "2026-11-22T23:30:00Z", "2026-W48" },
};

static void test_labels_tz(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof tz_label_cases / sizeof tz_label_cases[0]; i++) {
        const label_case *c = &tz_label_cases[i];
        eng_tz *tz = zone(c->zone);
        char buf[ENG_LABEL_BUFSZ];
        size_t n = eng_bucket_label_tz(c->p, tz, eng_bucket(c->p, tz, at(c->time)), buf,
                                       sizeof buf);
        if (strcmp(buf, c->label) != 0 || n != strlen(c->label))
            fail_msg("%s %s %s: %s, want %s", c->zone, eng_period_noun(c->p), c->time, buf,
                     c->label);
        eng_tz_free(tz);
    }
}

/* ISO week-year and week of every day 1900..2100 against strftime %G-W%V. */
static void test_iso_week_oracle(void **state)
{
    (void)state;
    eng_tz *tz = eng_tz_utc();
    for (int64_t days = eng_days_from_civil(1900, 1, 1); days < eng_days_from_civil(2100, 1, 1);
         days++) {
        time_t tt = (time_t)(days * 86400 + 43200);
        struct tm tm;
        char want[32], got[ENG_LABEL_BUFSZ];
        gmtime_r(&tt, &tm);
        strftime(want, sizeof want, "%G-W%V", &tm);
        eng_bucket_label(ENG_WEEK, eng_bucket(ENG_WEEK, tz, (sk_time)tt * SK_USEC_PER_SEC), got,
                         sizeof got);
        if (strcmp(want, got) != 0)
            fail_msg("day %lld: %s, want %s", (long long)days, got, want);
    }
    eng_tz_free(tz);
}

/* Walking minute by minute, the width in real time of each bucket. */
static void bucket_widths(const eng_tz *tz, eng_period p, sk_time from, sk_time to,
                          int64_t *widths, size_t max, size_t *n)
{
    sk_time step = 60 * SK_USEC_PER_SEC, start = from;
    int64_t key = eng_bucket(p, tz, from);
    *n = 0;
    for (sk_time t = from + step; t <= to; t += step) {
        int64_t k = eng_bucket(p, tz, t);
        if (k == key)
            continue;
        assert_true(k > key);   /* keys increase with time */
        if (*n < max)
            widths[(*n)++] = (t - start) / step;
        key = k;
        start = t;
    }
}

static void test_dst_bucket_widths(void **state)
{
    (void)state;
    int64_t w[64];
    size_t n;
    /* Lord Howe, 2026-04-05: 02:00 (+11) -> 01:30 (+10:30): hour 01 is 90 min */
    eng_tz *tz = zone("Australia/Lord_Howe");
    bucket_widths(tz, ENG_HOUR, at("2026-04-04T23:00:00+11:00"), at("2026-04-05T04:00:00+10:30"),
                  w, 64, &n);
    assert_int_equal(n, 5);
    assert_int_equal(w[0], 60);     /* 23:00 */
    assert_int_equal(w[1], 60);     /* 00:00 */
    assert_int_equal(w[2], 90);     /* 01:00, with 01:30-02:00 twice */
    assert_int_equal(w[3], 60);     /* 02:00 */
    assert_int_equal(w[4], 60);     /* 03:00 */
    /* 2026-10-04: 02:00 (+10:30) -> 02:30 (+11): hour 02 is 30 min */
    bucket_widths(tz, ENG_HOUR, at("2026-10-04T00:00:00+10:30"), at("2026-10-04T05:00:00+11:00"),
                  w, 64, &n);
    assert_int_equal(n, 5);
    assert_int_equal(w[0], 60);
    assert_int_equal(w[1], 60);
    assert_int_equal(w[2], 30);     /* 02:30-03:00 only */
    assert_int_equal(w[3], 60);
    assert_int_equal(w[4], 60);
    eng_tz_free(tz);

    /* Paris: the repeated hour is one 2-hour bucket, the skipped one none;
     * days are 23 and 25 hours long */
    tz = zone("Europe/Paris");
    bucket_widths(tz, ENG_HOUR, at("2026-10-25T00:00:00+02:00"), at("2026-10-25T05:00:00+01:00"),
                  w, 64, &n);
    assert_int_equal(n, 5);
    assert_int_equal(w[1], 60);
    assert_int_equal(w[2], 120);
    assert_int_equal(w[3], 60);
    assert_int_equal(eng_bucket(ENG_HOUR, tz, at("2026-03-29T03:00:00+02:00")) -
                         eng_bucket(ENG_HOUR, tz, at("2026-03-29T01:59:59+01:00")),
                     2);
    bucket_widths(tz, ENG_DAY, at("2026-03-28T00:00:00+01:00"), at("2026-03-31T00:00:00+02:00"),
                  w, 64, &n);
    assert_int_equal(n, 3);
    assert_int_equal(w[1], 23 * 60);
    bucket_widths(tz, ENG_DAY, at("2026-10-24T00:00:00+02:00"), at("2026-10-27T00:00:00+01:00"),
                  w, 64, &n);
    assert_int_equal(n, 3);
    assert_int_equal(w[1], 25 * 60);
    eng_tz_free(tz);
}

static void test_every(void **state)
{
    (void)state;
    int64_t h = 3600 * SK_USEC_PER_SEC;
    char buf[ENG_LABEL_BUFSZ];
    assert_int_equal(eng_every_bucket(0, h), 0);
    assert_int_equal(eng_every_bucket(h - 1, h), 0);
    assert_int_equal(eng_every_bucket(h, h), 1);
    assert_int_equal(eng_every_bucket(-1, h), -1);
    assert_int_equal(eng_every_bucket(-h, h), -1);
    assert_int_equal(eng_every_bucket(-h - 1, h), -2);
    assert_int_equal(eng_every_bucket(SK_TIME_MIN, 12 * h), SK_TIME_MIN / (12 * h));
    eng_every_label(-1, h, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:00Z");
    sk_time t = at("2026-11-20T13:45:00Z");
    eng_every_label(eng_every_bucket(t, 12 * h), 12 * h, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-20T12:00Z");
    eng_every_label(eng_every_bucket(t, 30 * 60 * SK_USEC_PER_SEC), 30 * 60 * SK_USEC_PER_SEC,
                    buf, sizeof buf);
    assert_string_equal(buf, "2026-11-20T13:30Z");
    eng_every_label(eng_every_bucket(t, 7 * 24 * h), 7 * 24 * h, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-19T00:00Z");    /* epoch-aligned: a Thursday */
}

static void test_names(void **state)
{
    (void)state;
    static const char *const adj[] = { "hourly", "daily", "weekly", "monthly", "yearly" };
    static const char *const noun[] = { "hour", "day", "week", "month", "year" };
    eng_period ps[] = { ENG_HOUR, ENG_DAY, ENG_WEEK, ENG_MONTH, ENG_YEAR };
    for (int i = 0; i < 5; i++) {
        assert_string_equal(eng_period_adjective(ps[i]), adj[i]);
        assert_string_equal(eng_period_noun(ps[i]), noun[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_known),
        cmocka_unit_test(test_civil_roundtrip),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_labels_tz),
        cmocka_unit_test(test_iso_week_oracle),
        cmocka_unit_test(test_dst_bucket_widths),
        cmocka_unit_test(test_every),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
