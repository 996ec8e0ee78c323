/* Retry decisions (azure/retry.c) as tables: which answers are retried,
 * how long to wait, when to give up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "azure/az_internal.h"

static const az_retry_policy policy = { .max_attempts = 10, .base_ms = 500,
                                        .cap_ms = 30000, .budget_ms = 300000 };

static void test_retryable_table(void **state)
{
    (void)state;
    static const struct { int status; bool transport; bool want; } cases[] = {
        { 0, true, true },      /* dropped or refused connection */
        { 408, false, true },
        { 429, false, true },
        { 500, false, true }, { 502, false, true }, { 503, false, true }, { 504, false, true },
        { 200, false, false }, { 201, false, false }, { 202, false, false },
        { 204, false, false },
        { 400, false, false }, { 401, false, false }, { 403, false, false },
        { 404, false, false }, { 409, false, false }, { 412, false, false },
        { 501, false, false }, { 505, false, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = az_retry_retryable(cases[i].status, cases[i].transport);
        if (got != cases[i].want)
            fail_msg("status %d transport %d: got %d", cases[i].status, cases[i].transport, got);
    }
}

static void test_retry_after_parse(void **state)
{
    (void)state;
    /* 1994-11-06T08:49:37Z = 784111777 */
    static const struct { const char *v; int64_t now; int64_t want; } cases[] = {
        { "0", 0, 0 },
        { "1", 0, 1000 },
        { "  17", 0, 17000 },
        { "120", 0, 120000 },
        { "99999999", 0, 86400000 },                    /* capped at a day */
        { "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 5, 5000 },
        { "Sun, 06 Nov 1994 08:49:37 GMT", 784111777, 0 },
        { "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 60, 0 },   /* in the past */
        { "Thu, 26 Nov 2026 12:00:10 GMT", 1795694400, 10000 },
        { "", 0, -1 },
        { "soon", 0, -1 },
        { "1.5", 0, -1 },
        { "-3", 0, -1 },
        { "12abc", 0, -1 },
        { "Sun, 06 Foo 1994 08:49:37 GMT", 0, -1 },
        { "Sun, 32 Nov 1994 08:49:37 GMT", 0, -1 },
        { "Sun, 06 Nov 1994 25:49:37 GMT", 0, -1 },
        { "Sun, 06 Nov 1994 08:49:37", 0, -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = az_retry_after_ms(cases[i].v, cases[i].now);
        if (got != cases[i].want)
            fail_msg("'%s': got %lld, want %lld", cases[i].v, (long long)got,
                     (long long)cases[i].want);
    }
    assert_int_equal(az_retry_after_ms(NULL, 0), -1);
}

static void test_http_date(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(az_http_date("Thu, 01 Jan 1970 00:00:00 GMT", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(az_http_date("Thu, 26 Nov 2026 12:00:00 GMT", &t), 0);
    assert_int_equal(t, 1795694400);
    assert_int_equal(az_http_date("Mon, 29 Feb 2016 23:59:59 GMT", &t), 0);
    assert_int_equal(t, 1456790399);
    assert_int_equal(az_http_date("29 Feb 2016 23:59:59 GMT", &t), -1);
}

/* Without Retry-After: at least half the capped ceiling, at most the
 * ceiling, whatever the random draw. */
static void test_backoff_bounds(void **state)
{
    (void)state;
    static const int64_t ceilings[] = { 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
                                        30000, 30000 };
    static const uint64_t draws[] = { 0, 1, 7, 12345, UINT64_MAX, 0x8000000000000000ULL };
    for (int attempt = 1; attempt <= 10; attempt++)
        for (size_t d = 0; d < sizeof draws / sizeof draws[0]; d++) {
            int64_t got = az_retry_delay_ms(&policy, attempt, -1, draws[d]);
            int64_t ceil = ceilings[attempt - 1];
            if (got < ceil / 2 || got > ceil)
                fail_msg("attempt %d draw %zu: %lld not in [%lld, %lld]", attempt, d,
                         (long long)got, (long long)(ceil / 2), (long long)ceil);
        }
    /* jitter: different draws give different delays */
    assert_int_not_equal(az_retry_delay_ms(&policy, 5, -1, 1), az_retry_delay_ms(&policy, 5, -1, 2000));
}

static void test_retry_after_honoured(void **state)
{
    (void)state;
    for (uint64_t r = 0; r < 50; r++) {
        int64_t d = az_retry_delay_ms(&policy, 1, 7000, r * 7919);
        assert_true(d >= 7000);
        assert_true(d <= 7000 + 701);
    }
    /* larger than the backoff cap: still honoured */
    assert_true(az_retry_delay_ms(&policy, 1, 60000, 3) >= 60000);
    assert_true(az_retry_delay_ms(&policy, 9, 0, 3) >= 0);
}

static void test_decide_table(void **state)
{
    (void)state;
    static const struct {
        int attempt, status;
        bool transport;
        int64_t retry_after, elapsed;
        bool want;
        const char *why;
    } cases[] = {
        { 1, 429, false, 1000, 0, true, "throttled" },
        { 1, 503, false, -1, 0, true, "unavailable" },
        { 1, 500, false, -1, 0, true, "internal" },
        { 1, 502, false, -1, 0, true, "bad gateway" },
        { 1, 504, false, -1, 0, true, "gateway timeout" },
        { 1, 0, true, -1, 0, true, "dropped connection" },
        { 9, 503, false, -1, 0, true, "ninth attempt failed: a tenth is allowed" },
        { 10, 503, false, -1, 0, false, "ten attempts made" },
        { 11, 503, false, -1, 0, false, "past the limit" },
        { 1, 400, false, -1, 0, false, "bad request" },
        { 1, 403, false, -1, 0, false, "forbidden" },
        { 1, 404, false, -1, 0, false, "not found" },
        { 1, 409, false, -1, 0, false, "ScopeLocked" },
        { 1, 401, false, -1, 0, false, "401 is the executor's refresh, not a retry" },
        { 1, 200, false, -1, 0, false, "success" },
        { 1, 429, false, 400000, 0, false, "Retry-After beyond the budget" },
        { 3, 503, false, -1, 299999, false, "budget spent" },
        { 3, 429, false, 10000, 290001, false, "Retry-After would cross the budget" },
        { 3, 429, false, 10000, 280000, true, "Retry-After fits the budget" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t delay = -5;
        bool got = az_retry_decide(&policy, cases[i].attempt, cases[i].status,
                                   cases[i].transport, cases[i].retry_after, cases[i].elapsed,
                                   12345, &delay);
        if (got != cases[i].want)
            fail_msg("%s: got %d", cases[i].why, got);
        if (got && cases[i].retry_after >= 0 && delay < cases[i].retry_after)
            fail_msg("%s: delay %lld below Retry-After", cases[i].why, (long long)delay);
        if (!got && delay != 0)
            fail_msg("%s: no retry but delay %lld", cases[i].why, (long long)delay);
    }
}

static void test_attempts_capped_at_ten(void **state)
{
    (void)state;
    az_retry_policy p = policy;
    int64_t delay;
    p.max_attempts = 50;            /* never more than 10 */
    assert_false(az_retry_decide(&p, 10, 503, false, -1, 0, 1, &delay));
    p.max_attempts = 3;
    assert_true(az_retry_decide(&p, 2, 503, false, -1, 0, 1, &delay));
    assert_false(az_retry_decide(&p, 3, 503, false, -1, 0, 1, &delay));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retryable_table),
        cmocka_unit_test(test_retry_after_parse),
        cmocka_unit_test(test_http_date),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_retry_after_honoured),
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_attempts_capped_at_ten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
