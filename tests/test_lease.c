/* engine/lease: the decisions behind the run lease in Azure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/lease.h"
#include "engine/prune.h"

#define T0 INT64_C(1796601600)     /* 2026-12-07T00:00:00Z */

static eng_lease lease_of(const char *host, int64_t pid, const char *run, int64_t expires)
{
    eng_lease l;
    memset(&l, 0, sizeof l);
    snprintf(l.host, sizeof l.host, "%s", host);
    l.pid = pid;
    snprintf(l.run, sizeof l.run, "%s", run);
    l.expires = expires;
    return l;
}

static void test_tag_name(void **state)
{
    (void)state;
    char buf[ENG_LEASE_NAME_MAX + 1];
    assert_int_equal(eng_lease_tag_name("dss-datadir", buf, sizeof buf), 26);
    assert_string_equal(buf, "snapkeep-lease-dss-datadir");
    eng_lease_tag_name("a/b<c>%d&e\\f?g\th", buf, sizeof buf);
    assert_string_equal(buf, "snapkeep-lease-a_b_c__d_e_f_g_h");
    char longname[700];
    memset(longname, 'p', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(eng_lease_tag_name(longname, buf, sizeof buf), ENG_LEASE_NAME_MAX);
    assert_int_equal(eng_lease_tag_name("p", buf, 100), -1);
}

static void test_format_parse_round_trip(void **state)
{
    (void)state;
    eng_lease l = lease_of("backup-01.example.net", 4242, "20261207T000000Z-4242", T0 + 900), back;
    char buf[ENG_LEASE_VALUE_MAX + 1];
    assert_true(eng_lease_format(&l, buf, sizeof buf) > 0);
    assert_string_equal(buf, "host=backup-01.example.net pid=4242 run=20261207T000000Z-4242 "
                             "expires=2026-12-07T00:15:00Z");
    assert_int_equal(eng_lease_parse(buf, &back), 0);
    assert_string_equal(back.host, l.host);
    assert_int_equal(back.pid, 4242);
    assert_string_equal(back.run, l.run);
    assert_int_equal(back.expires, T0 + 900);
}

/* a host name with spaces or '=' cannot break the value apart */
static void test_format_sanitises_host(void **state)
{
    (void)state;
    eng_lease l = lease_of("evil host=x pid=1", 7, "r 1", T0), back;
    char buf[ENG_LEASE_VALUE_MAX + 1];
    assert_true(eng_lease_format(&l, buf, sizeof buf) > 0);
    assert_string_equal(buf, "host=evil_host_x_pid_1 pid=7 run=r1 expires=2026-12-07T00:00:00Z");
    assert_int_equal(eng_lease_parse(buf, &back), 0);
    assert_string_equal(back.host, "evil_host_x_pid_1");
    char longhost[200];
    memset(longhost, 'h', sizeof longhost - 1);
    longhost[sizeof longhost - 1] = '\0';
    eng_lease big = lease_of("", 1, "run", T0);
    memcpy(big.host, longhost, ENG_LEASE_HOST_MAX);
    big.host[ENG_LEASE_HOST_MAX] = '\0';
    int n = eng_lease_format(&big, buf, sizeof buf);
    assert_true(n > 0 && n <= ENG_LEASE_VALUE_MAX);
    /* no room: -1, never a cut value */
    assert_int_equal(eng_lease_format(&l, buf, 20), -1);
}

static void test_parse_refuses_foreign_values(void **state)
{
    (void)state;
    eng_lease l;
    const char *bad[] = { "", "locked", "host=a pid=1 run=r", "host=a pid=x run=r expires=2026-12-07T00:00:00Z",
                          "host=a pid=1 run=r expires=yesterday", "pid=1 host=a run=r expires=2026-12-07T00:00:00Z",
                          "host=a pid=1 run=r expires=2026-12-07T00:00:00Z extra=1",
                          "host= pid=1 run=r expires=2026-12-07T00:00:00Z" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(eng_lease_parse(bad[i], &l), -1);
    assert_int_equal(eng_lease_parse(NULL, &l), -1);
}

static void test_judge(void **state)
{
    (void)state;
    const char *theirs = "host=b pid=2 run=r2 expires=2026-12-07T00:15:00Z";
    const char *ours = "host=a pid=1 run=r1 expires=2026-12-07T00:15:00Z";
    eng_lease h;
    assert_int_equal(eng_lease_judge(NULL, ours, T0, &h), ENG_LEASE_FREE);
    assert_int_equal(eng_lease_judge(ours, ours, T0 + 5000, &h), ENG_LEASE_OURS);
    memset(&h, 0, sizeof h);
    assert_int_equal(eng_lease_judge(theirs, ours, T0, &h), ENG_LEASE_HELD);
    assert_string_equal(h.host, "b");
    assert_int_equal(h.pid, 2);
    assert_string_equal(h.run, "r2");
    /* held to its end, and through ARM's one-second Date step after it */
    assert_int_equal(eng_lease_judge(theirs, NULL, T0 + 900, NULL), ENG_LEASE_HELD);
    assert_int_equal(eng_lease_judge(theirs, NULL, T0 + 901, NULL), ENG_LEASE_HELD);
    assert_int_equal(eng_lease_judge(theirs, NULL, T0 + 902, NULL), ENG_LEASE_EXPIRED);
    /* a value that is no lease is held: fail closed */
    assert_int_equal(eng_lease_judge("mine!", NULL, T0 + 99999, NULL), ENG_LEASE_UNREADABLE);
}

/* Fischer's condition: the taker's read-to-write within half the wait */
static void test_write_in_time(void **state)
{
    (void)state;
    assert_true(eng_lease_write_in_time(0, 20000));
    assert_true(eng_lease_write_in_time(10000, 20000));
    assert_false(eng_lease_write_in_time(10001, 20000));
    assert_false(eng_lease_write_in_time(-1, 20000));
    assert_false(eng_lease_write_in_time(1, 0));
}

static void test_valid_and_renew(void **state)
{
    (void)state;
    int64_t end = (int64_t)(ENG_LEASE_TTL_SEC - ENG_LEASE_MARGIN_SEC) * 1000;
    assert_true(eng_lease_valid(0));
    assert_true(eng_lease_valid(end - 1));
    assert_false(eng_lease_valid(end));
    assert_false(eng_lease_valid(-1));
    assert_false(eng_lease_renew_due(ENG_LEASE_RENEW_SEC * 1000 - 1));
    assert_true(eng_lease_renew_due(ENG_LEASE_RENEW_SEC * 1000));
    /* renewal comes well before the holder must stop */
    assert_true(ENG_LEASE_RENEW_SEC * 2 < ENG_LEASE_TTL_SEC - ENG_LEASE_MARGIN_SEC);
}

/* a lost lease holds back every delete, chosen or already queued */
static void test_rail_holds_deletes(void **state)
{
    (void)state;
    enf_rails r = { .lease_lost = true };
    assert_int_equal(enf_hold_queued(&r), ENF_HOLD_LEASE);
    assert_int_equal(enf_hold_candidate(&r, true, ENF_FRESH), ENF_HOLD_LEASE);
    assert_string_equal(enf_hold_text(ENF_HOLD_LEASE), "the run's lease in Azure ran out");
    r.lease_lost = false;
    assert_int_equal(enf_hold_queued(&r), ENF_HOLD_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_name),
        cmocka_unit_test(test_format_parse_round_trip),
        cmocka_unit_test(test_format_sanitises_host),
        cmocka_unit_test(test_parse_refuses_foreign_values),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_write_in_time),
        cmocka_unit_test(test_valid_and_renew),
        cmocka_unit_test(test_rail_holds_deletes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
