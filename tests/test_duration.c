/* Policy durations (engine/duration.c): parsing, printing, bounds and
 * subtraction from an instant in a zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/calendar.h"
#include "engine/duration.h"
#include "grammar/parse.h"

typedef struct dur_case {
    const char *text;
    const char *norm;       /* normalised form; NULL: rejected */
    const char *error;      /* expected message (substring) when rejected */
} dur_case;

static const dur_case dur_cases[] = {
    { "30m", "30m", NULL },
    { "24h", "24h", NULL },
    { "7d", "7d", NULL },
    { "2w", "2w", NULL },
    { "1mo14d", "1mo14d", NULL },
    { "1y2mo3d3h", "1y2mo3d3h", NULL },
    { "1y1d1mo", "1y1mo1d", NULL },
    { "3h1y2mo3d", "1y2mo3d3h", NULL },
    { "5m1mo", "1mo5m", NULL },
    { "1m1h1d1w1mo1y", "1y1mo1w1d1h1m", NULL },
    { "007d", "7d", NULL },
    { "9999y", "9999y", NULL },
    { "10000y", "10000y", NULL },
    { "118000mo", "118000mo", NULL },
    { "120000mo", NULL, "duration longer than 10000 years" },
    { "522857w", "522857w", NULL },
    { "522858w", NULL, "duration longer than 10000 years" },
    { "1h1h", NULL, "unit 'h' given twice" },
    { "1mo2mo", NULL, "unit 'mo' given twice" },
    { "1m2m", NULL, "unit 'm' given twice" },
    { "1x", NULL, "unknown unit 'x'" },
    { "1min", NULL, "unknown unit 'min'" },
    { "1H", NULL, "unknown unit 'H'" },
    { "1s", NULL, "unknown unit 's'" },
    { "0h", NULL, "zero duration" },
    { "0d0h", NULL, "zero duration" },
    { "00m", NULL, "zero duration" },
    { "1d0h", NULL, "count must be positive in '0h'" },
    { "0y1d", NULL, "count must be positive in '0y'" },
    { "99999999999999999999h", NULL, "number too large" },
    { "9223372036854775807m", NULL, "duration longer than 10000 years" },
    { "10001y", NULL, "duration longer than 10000 years" },
    { "10000y1d", NULL, "duration longer than 10000 years" },
    { "3660001d", NULL, "duration longer than 10000 years" },
    { "", NULL, "empty duration" },
    { "h", NULL, "expected a number before 'h'" },
    { "12", NULL, "missing unit after '12'" },
    { "1d 2h", NULL, "unexpected character ' '" },
    { "1.5h", NULL, "unexpected character '.'" },
    { "-1h", NULL, "unexpected character '-'" },
    { "+1h", NULL, "unexpected character '+'" },
    { "1d\n", NULL, "unexpected byte 0x0a" },
    { "1d\xc3\xa9", NULL, "unexpected byte 0xc3" },
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dur_cases / sizeof dur_cases[0]; i++) {
        const dur_case *c = &dur_cases[i];
        pol_duration d;
        char err[128] = "", buf[64];
        int rc = pol_duration_parse(c->text, strlen(c->text), &d, err, sizeof err);
        if (c->norm) {
            if (rc != 0)
                fail_msg("\"%s\" rejected: %s", c->text, err);
            size_t n = pol_duration_format(&d, buf, sizeof buf);
            assert_int_equal(n, strlen(buf));
            if (strcmp(buf, c->norm) != 0)
                fail_msg("\"%s\" -> \"%s\", want \"%s\"", c->text, buf, c->norm);
            /* the normalised form parses back to the same duration */
            pol_duration again;
            assert_int_equal(pol_duration_parse(buf, n, &again, err, sizeof err), 0);
            assert_memory_equal(&d, &again, sizeof d);
        } else {
            if (rc != -1)
                fail_msg("\"%s\" accepted", c->text);
            if (!strstr(err, c->error))
                fail_msg("\"%s\": message \"%s\", want \"%s\"", c->text, err, c->error);
        }
    }
}

static void test_predicates(void **state)
{
    (void)state;
    pol_duration d = { 0 };
    char buf[16];
    assert_true(pol_duration_is_zero(&d));
    assert_false(pol_duration_is_calendar(&d));
    pol_duration_format(&d, buf, sizeof buf);
    assert_string_equal(buf, "0m");
    d.hours = 3;
    assert_false(pol_duration_is_calendar(&d));
    assert_false(pol_duration_is_zero(&d));
    d.weeks = 1;
    assert_true(pol_duration_is_calendar(&d));
    d = (pol_duration){ .months = 1 };
    assert_true(pol_duration_is_calendar(&d));
    /* a short buffer is cut, terminated, and the full length returned */
    d = (pol_duration){ .years = 1, .months = 2, .days = 3, .hours = 3 };
    assert_int_equal(pol_duration_format(&d, buf, 5), 9);
    assert_string_equal(buf, "1y2m");
}

static void test_fixed_usec(void **state)
{
    (void)state;
    pol_duration d = { .weeks = 1, .days = 2, .hours = 3, .minutes = 4 };
    assert_int_equal(pol_duration_fixed_usec(&d),
                     ((9 * 86400) + 3 * 3600 + 4 * 60) * SK_USEC_PER_SEC);
    d = (pol_duration){ .hours = 12 };
    assert_int_equal(pol_duration_fixed_usec(&d), INT64_C(43200000000));
}

static void test_range(void **state)
{
    (void)state;
    static const struct {
        pol_duration d;
        int32_t shift;
        int64_t lo, hi;
    } cases[] = {
        { { .hours = 24 }, 3600, 86400, 86400 },
        { { .days = 1 }, 0, 86400, 86400 },
        { { .days = 1 }, 3600, 82800, 90000 },
        { { .days = 1 }, 1800, 84600, 88200 },
        { { .weeks = 4 }, 0, 28 * 86400, 28 * 86400 },
        { { .months = 1 }, 0, 28 * 86400, 31 * 86400 },
        { { .years = 1 }, 0, 365 * 86400, 366 * 86400 },
        { { .years = 1, .months = 2, .days = 3, .hours = 3 }, 3600,
          (365 + 56 + 3) * 86400 - 3600 + 3 * 3600, (366 + 62 + 3) * 86400 + 3600 + 3 * 3600 },
        { { .minutes = 30 }, 3600, 1800, 1800 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t lo, hi;
        pol_duration_range(&cases[i].d, cases[i].shift, &lo, &hi);
        if (lo != cases[i].lo || hi != cases[i].hi)
            fail_msg("case %zu: [%lld, %lld], want [%lld, %lld]", i, (long long)lo,
                     (long long)hi, (long long)cases[i].lo, (long long)cases[i].hi);
    }
}

/* ---- eng_time_sub ---------------------------------------------------- */

typedef struct sub_case {
    const char *zone;
    const char *now;
    const char *dur;
    const char *want;       /* UTC, as eng_time_format writes it */
} sub_case;

static const sub_case sub_cases[] = {
    /* month ends, normalised once like timegm */
    { "UTC", "2026-03-31T10:00:00Z", "1mo", "2026-03-03T10:00:00Z" },
    { "UTC", "2024-02-29T00:00:00Z", "1y", "2023-03-01T00:00:00Z" },
    { "UTC", "2024-02-29T00:00:00Z", "4y", "2020-02-29T00:00:00Z" },
    { "UTC", "2026-03-31T00:00:00Z", "1mo1d", "2026-03-02T00:00:00Z" },
    { "UTC", "2025-03-31T00:00:00Z", "1y1mo", "2024-03-02T00:00:00Z" },
    { "UTC", "2026-05-31T00:00:00Z", "1mo", "2026-05-01T00:00:00Z" },
    { "UTC", "2026-12-31T00:00:00Z", "10mo", "2026-03-03T00:00:00Z" },
    { "UTC", "2026-01-31T00:00:00Z", "2mo", "2025-12-01T00:00:00Z" },
    { "UTC", "2026-01-15T00:00:00Z", "13mo", "2024-12-15T00:00:00Z" },
    { "UTC", "2026-03-01T00:00:00Z", "1d", "2026-02-28T00:00:00Z" },
    { "UTC", "2026-03-31T00:00:00Z", "1w", "2026-03-24T00:00:00Z" },
    { "UTC", "2026-01-01T00:00:00Z", "1d1h", "2025-12-30T23:00:00Z" },
    /* microseconds are kept */
    { "UTC", "2026-03-31T10:00:00.123456Z", "1mo", "2026-03-03T10:00:00.123456Z" },
    { "UTC", "1969-12-31T23:59:59.5Z", "1d", "1969-12-30T23:59:59.500000Z" },
    { "UTC", "1969-12-31T23:59:59.5Z", "1h", "1969-12-31T22:59:59.500000Z" },
    /* Paris: a day across the spring change is 23 real hours */
    { "Europe/Paris", "2026-03-30T12:00:00+02:00", "1d", "2026-03-29T10:00:00Z" },
    { "Europe/Paris", "2026-03-30T12:00:00+02:00", "24h", "2026-03-29T10:00:00Z" },
    { "Europe/Paris", "2026-03-30T12:00:00+02:00", "1d1h", "2026-03-29T09:00:00Z" },
    { "Europe/Paris", "2026-03-29T12:00:00+02:00", "1d", "2026-03-28T11:00:00Z" },
    /* ... and 25 real hours across the autumn change */
    { "Europe/Paris", "2026-10-25T12:00:00+01:00", "1d", "2026-10-24T10:00:00Z" },
    { "Europe/Paris", "2026-10-26T12:00:00+01:00", "1d", "2026-10-25T11:00:00Z" },
    /* landing in the gap: the earliest instant, read with the offset after
     * it (02:30 is 00:30Z, 01:30 CET) */
    { "Europe/Paris", "2026-03-30T02:30:00+02:00", "1d", "2026-03-29T00:30:00Z" },
    { "Europe/Paris", "2026-03-30T03:00:00+02:00", "1d", "2026-03-29T01:00:00Z" },
    /* landing twice: the earlier instant */
    { "Europe/Paris", "2026-10-26T02:30:00+01:00", "1d", "2026-10-25T00:30:00Z" },
    { "America/New_York", "2026-11-02T01:30:00-05:00", "1d", "2026-11-01T05:30:00Z" },
    /* New York's gap: 02:30 is 06:30Z = 01:30 EST, as restic (Go's AddDate) */
    { "America/New_York", "2026-03-09T02:30:00-04:00", "1d", "2026-03-08T06:30:00Z" },
    { "America/New_York", "2026-04-08T02:30:00-04:00", "1mo", "2026-03-08T06:30:00Z" },
    { "America/New_York", "2026-03-09T02:30:00-04:00", "1d1h", "2026-03-08T05:30:00Z" },
    { "America/New_York", "2026-03-09T03:00:00-04:00", "1d", "2026-03-08T07:00:00Z" },
    { "America/New_York", "2026-03-09T01:59:00-04:00", "1d", "2026-03-08T06:59:00Z" },
    /* Lord Howe's 30-minute changes: the gap 02:00-02:30 read at +11, the
     * repeated 01:30-02:00 the first time (+11) */
    { "Australia/Lord_Howe", "2026-10-05T02:15:00+11:00", "1d", "2026-10-03T15:15:00Z" },
    { "Australia/Lord_Howe", "2026-10-05T02:30:00+11:00", "1d", "2026-10-03T15:30:00Z" },
    { "Australia/Lord_Howe", "2026-04-06T01:45:00+10:30", "1d", "2026-04-04T14:45:00Z" },
    { "Australia/Lord_Howe", "2026-04-06T02:00:00+10:30", "1d", "2026-04-04T15:30:00Z" },
    /* no calendar part: exact seconds, no local detour */
    { "Europe/Paris", "2026-03-29T03:30:00+02:00", "1h", "2026-03-29T00:30:00Z" },
    { "Europe/Paris", "2026-10-25T02:30:00+01:00", "90m", "2026-10-25T00:00:00Z" },
    /* clamping at the earliest instant */
    { "UTC", "2026-11-26T12:00:00Z", "9999y", "0001-01-01T00:00:00Z" },
    { "Europe/Paris", "2026-11-26T12:00:00Z", "10000y", "0001-01-01T00:00:00Z" },
    { "UTC", "2026-01-01T00:00:00Z", "2025y", "0001-01-01T00:00:00Z" },
    { "UTC", "2026-01-01T00:00:01Z", "2025y", "0001-01-01T00:00:01Z" },
    { "UTC", "2026-01-01T00:00:00Z", "2026y", "0001-01-01T00:00:00Z" },
    { "UTC", "0001-01-01T00:30:00Z", "1h", "0001-01-01T00:00:00Z" },
    { "UTC", "0001-01-02T00:30:00Z", "1d1h", "0001-01-01T00:00:00Z" },
    { "UTC", "9999-12-31T23:59:59.999999Z", "3660000d", "0001-01-01T00:00:00Z" },
    { "UTC", "9999-12-31T23:59:59.999999Z", "87660000h", "0001-01-01T00:00:00Z" },
};

static void test_time_sub(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sub_cases / sizeof sub_cases[0]; i++) {
        const sub_case *c = &sub_cases[i];
        char err[160], buf[ENG_TIME_BUFSZ];
        eng_tz *tz = pol_zone_load(c->zone, err, sizeof err);
        if (!tz)
            fail_msg("%s", err);
        sk_time now;
        pol_duration d;
        assert_int_equal(eng_time_parse(c->now, strlen(c->now), &now), 0);
        if (pol_duration_parse(c->dur, strlen(c->dur), &d, err, sizeof err) != 0)
            fail_msg("%s: %s", c->dur, err);
        eng_time_format(eng_time_sub(tz, now, &d), buf, sizeof buf);
        if (strcmp(buf, c->want) != 0)
            fail_msg("%s in %s minus %s: %s, want %s", c->now, c->zone, c->dur, buf, c->want);
        eng_tz_free(tz);
    }
}

/* Arithmetic that no parsed duration reaches still cannot overflow. */
static void test_time_sub_extremes(void **state)
{
    (void)state;
    eng_tz *tz = eng_tz_utc();
    pol_duration d = { .hours = INT64_MAX };
    assert_int_equal(eng_time_sub(tz, SK_TIME_MAX, &d), SK_TIME_MIN);
    d = (pol_duration){ .minutes = INT64_MAX };
    assert_int_equal(eng_time_sub(tz, 0, &d), SK_TIME_MIN);
    d = (pol_duration){ .years = INT64_MAX, .hours = 1 };
    assert_int_equal(eng_time_sub(tz, 0, &d), SK_TIME_MIN);
    d = (pol_duration){ .days = INT64_MAX };
    assert_int_equal(eng_time_sub(tz, INT64_MAX, &d), SK_TIME_MIN);
    d = (pol_duration){ .days = 1 };
    assert_int_equal(eng_time_sub(tz, INT64_MIN, &d), SK_TIME_MIN);
    d = (pol_duration){ 0 };
    assert_int_equal(eng_time_sub(tz, 42, &d), 42);
    eng_tz_free(tz);
}

/* A calendar subtraction in Paris always lands on the same local wall
 * clock (or, in a gap, an hour before it: the earliest reading), and h/m
 * parts are exact. */
static void test_time_sub_property(void **state)
{
    (void)state;
    char err[160];
    eng_tz *tz = pol_zone_load("Europe/Paris", err, sizeof err);
    assert_non_null(tz);
    uint64_t x = 12345;
    for (int i = 0; i < 100000; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        sk_time t = INT64_C(1600000000000000) + (sk_time)((x >> 11) % UINT64_C(400000000000000));
        pol_duration d = { .days = (int64_t)(x >> 60) + 1, .hours = (int64_t)((x >> 56) & 3) };
        sk_time r = eng_time_sub(tz, t, &d);
        pol_duration cal = { .days = d.days };
        sk_time c = eng_time_sub(tz, t, &cal);
        assert_int_equal(r, c - d.hours * 3600 * SK_USEC_PER_SEC);
        int64_t ts = t / SK_USEC_PER_SEC, cs = c / SK_USEC_PER_SEC;
        int64_t lt = ts + eng_tz_offset(tz, ts), lc = cs + eng_tz_offset(tz, cs);
        int64_t diff = lt - lc - d.days * 86400;
        if (diff != 0 && diff != 3600)
            fail_msg("%lld minus %lldd: local shift %lld", (long long)t, (long long)d.days,
                     (long long)diff);
        assert_int_equal(c % SK_USEC_PER_SEC, t % SK_USEC_PER_SEC);
    }
    eng_tz_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_fixed_usec),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_time_sub),
        cmocka_unit_test(test_time_sub_extremes),
        cmocka_unit_test(test_time_sub_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
