/* RFC 3339 parsing and formatting of instants (engine/sktime.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/sktime.h"

typedef struct parse_case {
    const char *text;
    const char *utc;        /* expected eng_time_format output; NULL: rejected */
} parse_case;

static const parse_case parse_cases[] = {
    { "2026-11-20T10:00:03Z", "2026-11-20T10:00:03Z" },
    { "2026-11-20t10:00:03z", "2026-11-20T10:00:03Z" },
    { "2026-11-20T10:00:03+00:00", "2026-11-20T10:00:03Z" },
    { "2026-11-20T10:00:03-00:00", "2026-11-20T10:00:03Z" },
    /* Azure writes seven fractional digits: kept to the microsecond, truncated. */
    { "2026-11-20T10:00:03.1234567+00:00", "2026-11-20T10:00:03.123456Z" },
    { "2026-11-20T10:00:03.9999999Z", "2026-11-20T10:00:03.999999Z" },
    { "2026-11-20T10:00:03.123456789Z", "2026-11-20T10:00:03.123456Z" },
    { "2026-11-20T10:00:03.1Z", "2026-11-20T10:00:03.100000Z" },
    { "2026-11-20T10:00:03.000Z", "2026-11-20T10:00:03Z" },
    { "2026-11-20T10:00:03.000001Z", "2026-11-20T10:00:03.000001Z" },
    /* odd offsets */
    { "2026-11-20T10:00:03+05:45", "2026-11-20T04:15:03Z" },
    { "2026-11-20T10:00:03-03:30", "2026-11-20T13:30:03Z" },
    { "2026-11-20T23:30:00-03:30", "2026-11-21T03:00:00Z" },
    { "2026-01-01T00:10:00+01:00", "2025-12-31T23:10:00Z" },
    { "2026-11-20T10:00:03+23:59", "2026-11-19T10:01:03Z" },
    { "2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z" },
    { "2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z" },
    { "1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500000Z" },
    { "1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z" },
    { "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z" },
    { "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z" },
    { "9999-12-31T23:59:59+01:00", "9999-12-31T22:59:59Z" },
    { "0000-12-31T23:00:00-01:00", "0001-01-01T00:00:00Z" },
    /* more than nine fraction digits: RFC 3339 sets no limit; truncated */
    { "2026-01-01T00:00:00.1234567890Z", "2026-01-01T00:00:00.123456Z" },
    { "2026-01-01T00:00:00.99999999999999999999999999Z", "2026-01-01T00:00:00.999999Z" },
    /* a leap second ends a UTC day: the last microsecond of its minute */
    { "2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999Z" },
    { "2016-12-31T23:59:60.5Z", "2016-12-31T23:59:59.999999Z" },
    { "2016-12-31T15:59:60-08:00", "2016-12-31T23:59:59.999999Z" },
    { "2017-01-01T00:59:60+01:00", "2016-12-31T23:59:59.999999Z" },
    { "9999-12-31T23:59:60Z", "9999-12-31T23:59:59.999999Z" },
    /* rejected */
    { "2026-02-30T00:00:00Z", NULL },
    { "2025-02-29T00:00:00Z", NULL },
    { "1900-02-29T00:00:00Z", NULL },
    { "2026-13-01T00:00:00Z", NULL },
    { "2026-00-01T00:00:00Z", NULL },
    { "2026-04-31T00:00:00Z", NULL },
    { "2026-01-00T00:00:00Z", NULL },
    { "2026-01-01T24:00:00Z", NULL },
    { "2026-01-01T23:60:00Z", NULL },
    { "2026-01-01T12:59:60Z", NULL },
    { "2026-12-31T23:58:60Z", NULL },
    { "2026-12-31T23:59:61Z", NULL },
    { "2026-01-01T00:00:00+24:00", NULL },
    { "2026-01-01T00:00:00+23:60", NULL },
    { "2026-01-01T00:00:00+0100", NULL },
    { "2026-01-01T00:00:00", NULL },
    { "2026-01-01 00:00:00Z", NULL },
    { "2026-01-01T00:00Z", NULL },
    { "2026-01-01T00:00:00.Z", NULL },
    { "2026-01-01T00:00:00ZZ", NULL },
    { "2026-1-01T00:00:00Z", NULL },
    { "+2026-01-01T00:00:00Z", NULL },
    { "", NULL },
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *c = &parse_cases[i];
        sk_time t = 12345;
        int rc = eng_time_parse(c->text, strlen(c->text), &t);
        if (!c->utc) {
            if (rc != ENG_TIME_SYNTAX)
                fail_msg("accepted \"%s\"", c->text);
            assert_int_equal(t, 12345);
            continue;
        }
        if (rc != 0)
            fail_msg("rejected \"%s\"", c->text);
        char buf[ENG_TIME_BUFSZ];
        size_t n = eng_time_format(t, buf, sizeof buf);
        assert_int_equal(n, strlen(buf));
        if (strcmp(buf, c->utc) != 0)
            fail_msg("\"%s\" -> \"%s\", want \"%s\"", c->text, buf, c->utc);
    }
}

static void test_known_values(void **state)
{
    (void)state;
    sk_time t;
    assert_int_equal(eng_time_parse("1970-01-01T00:00:00Z", 20, &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(eng_time_parse("1970-01-01T00:00:01.000001Z", 27, &t), 0);
    assert_int_equal(t, 1000001);
    assert_int_equal(eng_time_parse("0001-01-01T00:00:00Z", 20, &t), 0);
    assert_int_equal(t, SK_TIME_MIN);
    assert_int_equal(eng_time_parse("9999-12-31T23:59:59.999999Z", 27, &t), 0);
    assert_int_equal(t, SK_TIME_MAX);
    assert_int_equal(eng_time_parse("2026-11-26T12:00:00Z", 20, &t), 0);
    assert_int_equal(t, INT64_C(1795694400) * SK_USEC_PER_SEC);
}

/* RFC 3339 times outside the years 0001..9999 (UTC) are out of range, not
 * malformed: a different answer, so the message can say which. */
static void test_out_of_range(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "0000-12-31T23:59:59Z", "0001-01-01T00:00:00+00:01", "0001-01-01T00:59:59+01:00",
        "9999-12-31T23:59:59-00:01",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        sk_time t = 12345;
        if (eng_time_parse(texts[i], strlen(texts[i]), &t) != ENG_TIME_RANGE)
            fail_msg("\"%s\" is not out of range", texts[i]);
        assert_int_equal(t, 12345);
    }
}

/* Sorting: a leap second is after every other instant of its minute and
 * before the next minute. */
static void test_leap_second_order(void **state)
{
    (void)state;
    sk_time a, leap, b;
    assert_int_equal(eng_time_parse("2016-12-31T23:59:59.999998Z", 27, &a), 0);
    assert_int_equal(eng_time_parse("2016-12-31T23:59:60Z", 20, &leap), 0);
    assert_int_equal(eng_time_parse("2017-01-01T00:00:00Z", 20, &b), 0);
    assert_true(a < leap);
    assert_true(leap < b);
    assert_int_equal(b - leap, 1);
}

/* The length argument is honoured: no reading past it, no NUL needed. */
static void test_length_bound(void **state)
{
    (void)state;
    const char *s = "2026-11-20T10:00:03Zjunk";
    sk_time t;
    assert_int_equal(eng_time_parse(s, 20, &t), 0);
    assert_int_equal(eng_time_parse(s, 19, &t), -1);
    assert_int_equal(eng_time_parse(s, 24, &t), -1);
}

static void test_format_negative_usec(void **state)
{
    (void)state;
    char buf[ENG_TIME_BUFSZ];
    eng_time_format(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
    eng_time_format(SK_TIME_MIN, buf, sizeof buf);
    assert_string_equal(buf, "0001-01-01T00:00:00Z");
    /* a short buffer is truncated and still terminated */
    char small[8];
    size_t n = eng_time_format(0, small, sizeof small);
    assert_int_equal(n, 20);
    assert_string_equal(small, "1970-01");
}

/* Every second-aligned instant formats and parses back to itself. */
static void test_roundtrip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sk_time t = SK_TIME_MIN + (sk_time)(x % (uint64_t)(SK_TIME_MAX - SK_TIME_MIN));
        char buf[ENG_TIME_BUFSZ];
        size_t n = eng_time_format(t, buf, sizeof buf);
        sk_time back;
        if (eng_time_parse(buf, n, &back) != 0 || back != t)
            fail_msg("roundtrip of %lld via %s", (long long)t, buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_leap_second_order),
        cmocka_unit_test(test_length_bound),
        cmocka_unit_test(test_format_negative_usec),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
