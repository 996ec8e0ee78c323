/* TZif zones (engine/tz.c, engine/tz_posix.c) against glibc's own reading
 * of the same files. TZ and localtime_r are used here, in the test only,
 * as the oracle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/calendar.h"
#include "engine/tz.h"
#include "grammar/parse.h"

#define ZONEDIR "/usr/share/zoneinfo"

static unsigned char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", ZONEDIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static eng_tz *load(const char *name)
{
    size_t len;
    char err[128] = "";
    unsigned char *data = slurp(name, &len);
    eng_tz *tz = eng_tz_parse(name, data, len, err, sizeof err);
    free(data);
    if (!tz)
        fail_msg("%s: %s", name, err);
    return tz;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static long oracle_offset(const char *tzenv, int64_t t)
{
    static char current[256];
    if (strcmp(current, tzenv) != 0) {
        setenv("TZ", tzenv, 1);
        tzset();
        snprintf(current, sizeof current, "%s", tzenv);
    }
    time_t tt = (time_t)t;
    struct tm tm;
    assert_non_null(localtime_r(&tt, &tm));
    return tm.tm_gmtoff;
}

static int64_t utc(int y, int m, int d, int hh, int mm)
{
    return eng_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

/* Random instants 1900..2100 and every transition +-1 s, for zones with
 * odd offsets, southern DST, 30-minute DST and footer-only rules. */
static void test_oracle(void **state)
{
    (void)state;
    static const char *const zones[] = {
        "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
        "America/Sao_Paulo", "America/Nuuk", "Asia/Jerusalem", "Europe/Dublin",
        "Pacific/Chatham", "America/Santiago", "Asia/Tehran", "Africa/Casablanca",
        "Pacific/Apia", "America/St_Johns", "Australia/Sydney", "UTC",
    };
    int64_t lo = utc(1900, 1, 1, 0, 0), hi = utc(2100, 12, 31, 0, 0);
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        char env[128];
        snprintf(env, sizeof env, ":%s/%s", ZONEDIR, zones[z]);
        eng_tz *tz = load(zones[z]);
        for (int i = 0; i < 20000; i++) {
            int64_t t = lo + (int64_t)(rng() % (uint64_t)(hi - lo));
            long want = oracle_offset(env, t);
            if (eng_tz_offset(tz, t) != want)
                fail_msg("%s at %lld: %d, glibc %ld", zones[z], (long long)t,
                         eng_tz_offset(tz, t), want);
        }
        /* far future: the footer rule, computed rather than tabulated */
        for (int i = 0; i < 2000; i++) {
            int64_t t = hi + (int64_t)(rng() % (uint64_t)(utc(2500, 1, 1, 0, 0) - hi));
            if (eng_tz_offset(tz, t) != oracle_offset(env, t))
                fail_msg("%s at %lld: %d, glibc %ld", zones[z], (long long)t,
                         eng_tz_offset(tz, t), oracle_offset(env, t));
        }
        /* around every change of offset glibc sees, hour by hour */
        long prev = oracle_offset(env, lo);
        for (int64_t t = lo; t < hi; t += 3600) {
            long now = oracle_offset(env, t);
            if (now == prev)
                continue;
            prev = now;
            for (int64_t u = t - 3600; u <= t; u += 60)
                if (eng_tz_offset(tz, u) != oracle_offset(env, u))
                    fail_msg("%s near %lld: %d, glibc %ld", zones[z], (long long)u,
                             eng_tz_offset(tz, u), oracle_offset(env, u));
        }
        eng_tz_free(tz);
    }
}

typedef struct l2u_case {
    const char *zone;
    int y, m, d, hh, mm;        /* local wall clock */
    int uy, um, ud, uhh, umm;   /* expected UTC */
} l2u_case;

/* Both sides of every 2026 transition of three zones. A local time that
 * names no instant (a gap) or two (a repeat) is the earliest instant it can
 * mean: in a gap the offset in force after the gap (so 02:30 reads as the
 * instant an hour, or Lord Howe's 30 minutes, before the same figures after
 * the gap), in a repeat the first of the two. */
static const l2u_case l2u_cases[] = {
    /* Paris: clocks go forward 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z) */
    { "Europe/Paris", 2026, 3, 29, 1, 59, 2026, 3, 29, 0, 59 },
    { "Europe/Paris", 2026, 3, 29, 2, 0, 2026, 3, 29, 0, 0 },
    { "Europe/Paris", 2026, 3, 29, 2, 30, 2026, 3, 29, 0, 30 },
    { "Europe/Paris", 2026, 3, 29, 2, 59, 2026, 3, 29, 0, 59 },
    { "Europe/Paris", 2026, 3, 29, 3, 0, 2026, 3, 29, 1, 0 },
    { "Europe/Paris", 2026, 3, 29, 3, 30, 2026, 3, 29, 1, 30 },
    /* Paris: clocks go back 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z) */
    { "Europe/Paris", 2026, 10, 25, 1, 59, 2026, 10, 24, 23, 59 },
    { "Europe/Paris", 2026, 10, 25, 2, 0, 2026, 10, 25, 0, 0 },
    { "Europe/Paris", 2026, 10, 25, 2, 30, 2026, 10, 25, 0, 30 },
    { "Europe/Paris", 2026, 10, 25, 2, 59, 2026, 10, 25, 0, 59 },
    { "Europe/Paris", 2026, 10, 25, 3, 0, 2026, 10, 25, 2, 0 },
    /* New York: forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z);
     * 02:30 is 06:30Z = 01:30 EST, as Go's time.Date (restic) reads it */
    { "America/New_York", 2026, 3, 8, 1, 59, 2026, 3, 8, 6, 59 },
    { "America/New_York", 2026, 3, 8, 2, 0, 2026, 3, 8, 6, 0 },
    { "America/New_York", 2026, 3, 8, 2, 30, 2026, 3, 8, 6, 30 },
    { "America/New_York", 2026, 3, 8, 2, 59, 2026, 3, 8, 6, 59 },
    { "America/New_York", 2026, 3, 8, 3, 0, 2026, 3, 8, 7, 0 },
    { "America/New_York", 2026, 3, 8, 3, 30, 2026, 3, 8, 7, 30 },
    /* New York: back 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z) */
    { "America/New_York", 2026, 11, 1, 0, 59, 2026, 11, 1, 4, 59 },
    { "America/New_York", 2026, 11, 1, 1, 0, 2026, 11, 1, 5, 0 },
    { "America/New_York", 2026, 11, 1, 1, 30, 2026, 11, 1, 5, 30 },
    { "America/New_York", 2026, 11, 1, 1, 59, 2026, 11, 1, 5, 59 },
    { "America/New_York", 2026, 11, 1, 2, 0, 2026, 11, 1, 7, 0 },
    /* Lord Howe: back 2026-04-05 02:00 (+11) -> 01:30 (+10:30) (15:00Z on
     * the 4th): 01:30-01:59 occur twice */
    { "Australia/Lord_Howe", 2026, 4, 5, 1, 29, 2026, 4, 4, 14, 29 },
    { "Australia/Lord_Howe", 2026, 4, 5, 1, 30, 2026, 4, 4, 14, 30 },
    { "Australia/Lord_Howe", 2026, 4, 5, 1, 45, 2026, 4, 4, 14, 45 },
    { "Australia/Lord_Howe", 2026, 4, 5, 1, 59, 2026, 4, 4, 14, 59 },
    { "Australia/Lord_Howe", 2026, 4, 5, 2, 0, 2026, 4, 4, 15, 30 },
    /* Lord Howe: forward 2026-10-04 02:00 (+10:30) -> 02:30 (+11) (15:30Z
     * on the 3rd): 02:00-02:29 do not occur, read at +11 */
    { "Australia/Lord_Howe", 2026, 10, 4, 1, 59, 2026, 10, 3, 15, 29 },
    { "Australia/Lord_Howe", 2026, 10, 4, 2, 0, 2026, 10, 3, 15, 0 },
    { "Australia/Lord_Howe", 2026, 10, 4, 2, 15, 2026, 10, 3, 15, 15 },
    { "Australia/Lord_Howe", 2026, 10, 4, 2, 29, 2026, 10, 3, 15, 29 },
    { "Australia/Lord_Howe", 2026, 10, 4, 2, 30, 2026, 10, 3, 15, 30 },
    /* Paris after the table's last year: the footer rule */
    { "Europe/Paris", 2090, 3, 26, 2, 30, 2090, 3, 26, 0, 30 },
    { "Europe/Paris", 2090, 10, 29, 2, 30, 2090, 10, 29, 0, 30 },
    { "Europe/Paris", 2390, 10, 28, 2, 30, 2390, 10, 28, 0, 30 },
    { "Europe/Paris", 2390, 10, 28, 3, 0, 2390, 10, 28, 2, 0 },
    /* Sao Paulo, DST abolished in 2019: a plain -03 */
    { "America/Sao_Paulo", 2026, 1, 15, 12, 0, 2026, 1, 15, 15, 0 },
    { "Asia/Kathmandu", 2026, 6, 1, 0, 0, 2026, 5, 31, 18, 15 },
    { "UTC", 2026, 6, 1, 0, 0, 2026, 6, 1, 0, 0 },
};

static void test_local_to_utc(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof l2u_cases / sizeof l2u_cases[0]; i++) {
        const l2u_case *c = &l2u_cases[i];
        eng_tz *tz = strcmp(c->zone, "UTC") ? load(c->zone) : eng_tz_utc();
        int64_t got = eng_tz_local_to_utc(tz, utc(c->y, c->m, c->d, c->hh, c->mm));
        int64_t want = utc(c->uy, c->um, c->ud, c->uhh, c->umm);
        if (got != want)
            fail_msg("%s %04d-%02d-%02dT%02d:%02d: got %+lld s from expected", c->zone, c->y,
                     c->m, c->d, c->hh, c->mm, (long long)(got - want));
        eng_tz_free(tz);
    }
}

/* For random instants: the local time reads back to an instant showing
 * the same wall clock, and never to a later one. */
static void test_local_roundtrip(void **state)
{
    (void)state;
    static const char *const zones[] = { "Europe/Paris", "America/New_York",
                                         "Australia/Lord_Howe", "Pacific/Apia" };
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        eng_tz *tz = load(zones[z]);
        for (int i = 0; i < 50000; i++) {
            int64_t t = utc(1900, 1, 1, 0, 0) + (int64_t)(rng() % (UINT64_C(250) * 366 * 86400));
            int64_t local = t + eng_tz_offset(tz, t);
            int64_t back = eng_tz_local_to_utc(tz, local);
            if (back + eng_tz_offset(tz, back) != local || back > t)
                fail_msg("%s: %lld -> local %lld -> %lld", zones[z], (long long)t,
                         (long long)local, (long long)back);
        }
        eng_tz_free(tz);
    }
}

static void test_max_shift(void **state)
{
    (void)state;
    static const struct { const char *zone; int32_t shift; } cases[] = {
        { "Europe/Paris", 3600 }, { "America/New_York", 3600 },
        { "Australia/Lord_Howe", 1800 }, { "Asia/Kathmandu", 0 },
        { "Asia/Tokyo", 0 }, { "Etc/UTC", 0 },
        /* DST until 2019: still inside the window check looks at */
        { "America/Sao_Paulo", 3600 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eng_tz *tz = load(cases[i].zone);
        if (eng_tz_max_shift(tz) != cases[i].shift)
            fail_msg("%s: max shift %d, want %d", cases[i].zone, eng_tz_max_shift(tz),
                     cases[i].shift);
        eng_tz_free(tz);
    }
    eng_tz *u = eng_tz_utc();
    assert_int_equal(eng_tz_max_shift(u), 0);
    assert_int_equal(eng_tz_offset(u, 0), 0);
    assert_int_equal(eng_tz_offset(u, INT64_MAX), 0);
    assert_int_equal(eng_tz_local_to_utc(u, 12345), 12345);
    assert_string_equal(eng_tz_name(u), "UTC");
    eng_tz_free(u);
}

/* ---- hand-made TZif -------------------------------------------------- */

static size_t put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

/* A v2 file with no transitions, one type (offset `off`) and a footer. */
static size_t make_footer_only(unsigned char *buf, int32_t off, const char *footer)
{
    size_t n = 0;
    for (int part = 0; part < 2; part++) {
        memcpy(buf + n, "TZif2", 5);
        memset(buf + n + 5, 0, 15);
        n += 20;
        n += put32(buf + n, 0);     /* isutcnt */
        n += put32(buf + n, 0);     /* isstdcnt */
        n += put32(buf + n, 0);     /* leapcnt */
        n += put32(buf + n, 0);     /* timecnt */
        n += put32(buf + n, 1);     /* typecnt */
        n += put32(buf + n, 4);     /* charcnt */
        n += put32(buf + n, (uint32_t)off);
        buf[n++] = 0;
        buf[n++] = 0;
        memcpy(buf + n, "XXX", 4);
        n += 4;
    }
    buf[n++] = '\n';
    memcpy(buf + n, footer, strlen(footer));
    n += strlen(footer);
    buf[n++] = '\n';
    return n;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The 32-bit block of a real file alone, as a v1 file, reads the same as
 * the whole file over the 32-bit range; versions 3 and 4 read like 2. */
static void test_versions(void **state)
{
    (void)state;
    size_t len;
    char err[128];
    unsigned char *data = slurp("Europe/Paris", &len);
    eng_tz *full = eng_tz_parse("full", data, len, err, sizeof err);
    assert_non_null(full);
    uint32_t c[6];
    for (int i = 0; i < 6; i++)
        c[i] = get32(data + 20 + 4 * i);
    size_t v1len = 44 + (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
    assert_true(v1len < len);
    unsigned char *v1 = malloc(v1len);
    memcpy(v1, data, v1len);
    v1[4] = 0;
    eng_tz *old = eng_tz_parse("v1", v1, v1len, err, sizeof err);
    if (!old)
        fail_msg("v1: %s", err);
    for (int i = 0; i < 20000; i++) {
        int64_t t = (int64_t)(int32_t)(uint32_t)rng();
        if (t == INT32_MIN)
            continue;
        assert_int_equal(eng_tz_offset(old, t), eng_tz_offset(full, t));
    }
    eng_tz_free(old);
    free(v1);
    for (char v = '3'; v <= '4'; v++) {
        data[4] = (unsigned char)v;
        data[v1len + 4] = (unsigned char)v;
        eng_tz *tz = eng_tz_parse("v", data, len, err, sizeof err);
        assert_non_null(tz);
        for (int i = 0; i < 2000; i++) {
            int64_t t = (int64_t)(rng() % UINT64_C(20000000000)) - INT64_C(5000000000);
            assert_int_equal(eng_tz_offset(tz, t), eng_tz_offset(full, t));
        }
        eng_tz_free(tz);
    }
    data[4] = '1';  /* there is no version 1 byte: refused */
    assert_null(eng_tz_parse("v", data, len, err, sizeof err));
    eng_tz_free(full);
    free(data);
}

/* A v2 file with transitions at[i] to type ty[i] (types: 0 = +1 h std,
 * 1 = +2 h DST) and a footer. */
static size_t make_tzif(unsigned char *buf, size_t nt, const int64_t *at, const unsigned char *ty,
                        const char *footer)
{
    size_t n = 0;
    for (int part = 0; part < 2; part++) {
        uint32_t tc = part ? (uint32_t)nt : 0;
        memcpy(buf + n, "TZif2", 5);
        memset(buf + n + 5, 0, 15);
        n += 20;
        n += put32(buf + n, 0);
        n += put32(buf + n, 0);
        n += put32(buf + n, 0);
        n += put32(buf + n, tc);
        n += put32(buf + n, 2);
        n += put32(buf + n, 10);
        for (uint32_t i = 0; i < tc; i++) {
            n += put32(buf + n, (uint32_t)((uint64_t)at[i] >> 32));
            n += put32(buf + n, (uint32_t)at[i]);
        }
        for (uint32_t i = 0; i < tc; i++)
            buf[n++] = ty[i];
        n += put32(buf + n, 3600);
        buf[n++] = 0;
        buf[n++] = 0;
        n += put32(buf + n, 7200);
        buf[n++] = 1;
        buf[n++] = 5;
        memcpy(buf + n, "CET\0CEST\0", 10);
        n += 10;
    }
    buf[n++] = '\n';
    memcpy(buf + n, footer, strlen(footer));
    n += strlen(footer);
    buf[n++] = '\n';
    return n;
}

/* A table that ends in the distant past leaves the rule to do the work,
 * quickly; one that ends recently is extended from the rule. */
static void test_table_then_rule(void **state)
{
    (void)state;
    static const int64_t ends[] = { -(INT64_C(1) << 59), -INT64_C(30000000000), 0,
                                    INT64_C(2000000000), INT64_C(7000000000) };
    unsigned char buf[512];
    char err[128];
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        int64_t at[2] = { ends[i] - 1000, ends[i] };
        unsigned char ty[2] = { 1, 0 };
        size_t n = make_tzif(buf, 2, at, ty, "CET-1CEST,M3.5.0,M10.5.0/3");
        eng_tz *tz = eng_tz_parse("test", buf, n, err, sizeof err);
        if (!tz)
            fail_msg("%s", err);
        assert_int_equal(eng_tz_offset(tz, ends[i] - 1), 7200);
        int64_t probes[] = { utc(2026, 1, 15, 0, 0), utc(2026, 7, 15, 0, 0),
                             utc(2150, 7, 15, 0, 0), utc(2300, 1, 15, 0, 0) };
        for (size_t k = 0; k < 4; k++) {
            if (probes[k] < ends[i])
                continue;
            assert_int_equal(eng_tz_offset(tz, probes[k]),
                             oracle_offset("CET-1CEST,M3.5.0,M10.5.0/3", probes[k]));
        }
        /* a gap in 2026 when the rule is in force by then (read at
         * +02:00, the offset after it); plain CET while the table
         * still says so */
        assert_int_equal(eng_tz_local_to_utc(tz, utc(2026, 3, 29, 2, 30)),
                         ends[i] < utc(2026, 1, 1, 0, 0) ? utc(2026, 3, 29, 0, 30)
                                                         : utc(2026, 3, 29, 1, 30));
        eng_tz_free(tz);
    }
    /* a transition index past the type table is refused */
    int64_t at[1] = { 0 };
    unsigned char ty[1] = { 2 };
    size_t n = make_tzif(buf, 1, at, ty, "");
    assert_null(eng_tz_parse("test", buf, n, err, sizeof err));
    assert_non_null(strstr(err, "index"));
    /* transitions out of order are refused */
    int64_t at2[2] = { 10, 10 };
    unsigned char ty2[2] = { 0, 1 };
    n = make_tzif(buf, 2, at2, ty2, "");
    assert_null(eng_tz_parse("test", buf, n, err, sizeof err));
    assert_non_null(strstr(err, "order"));
    /* an empty footer: the last type holds for ever */
    n = make_tzif(buf, 2, (int64_t[]){ 0, 100 }, (unsigned char[]){ 0, 1 }, "");
    eng_tz *tz = eng_tz_parse("test", buf, n, err, sizeof err);
    assert_non_null(tz);
    assert_int_equal(eng_tz_offset(tz, -1), 3600);
    assert_int_equal(eng_tz_offset(tz, 50), 3600);
    assert_int_equal(eng_tz_offset(tz, INT64_MAX), 7200);
    eng_tz_free(tz);
}

/* POSIX TZ strings through the footer, against glibc reading the same
 * string from TZ: quoted names, Jn, n, negative and >24 h times. */
static void test_footer_rules(void **state)
{
    (void)state;
    static const char *const rules[] = {
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "<+03>-3",
        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
        "IST-2IDT,M3.4.4/26,M10.5.0",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "XXX3YYY,J60/2,J300/2",
        "XXX-5:45YYY-6:15,59/1:30,300/-3:15:30",
        "AAA-9BBB,M4.1.0/167,M9.5.6/-167",
        "IST-1GMT0,M10.5.0,M3.5.0/1",
        "<-04>4<-03>,M9.1.6/24,M4.1.6/24",
    };
    unsigned char buf[512];
    int64_t lo = utc(1971, 1, 1, 0, 0), hi = utc(2400, 1, 1, 0, 0);
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        char err[128];
        size_t n = make_footer_only(buf, 0, rules[r]);
        eng_tz *tz = eng_tz_parse("test", buf, n, err, sizeof err);
        if (!tz)
            fail_msg("%s: %s", rules[r], err);
        for (int i = 0; i < 20000; i++) {
            int64_t t = lo + (int64_t)(rng() % (uint64_t)(hi - lo));
            if (eng_tz_offset(tz, t) != oracle_offset(rules[r], t))
                fail_msg("%s at %lld: %d, glibc %ld", rules[r], (long long)t,
                         eng_tz_offset(tz, t), oracle_offset(rules[r], t));
        }
        eng_tz_free(tz);
    }
}

/* RFC 8536's way of writing DST all year: the end (Dec 31 25:00 DST) meets
 * the next start (Jan 1 00:00 standard). glibc gets the hours around New
 * Year wrong, so this one is checked on its own. */
static void test_footer_dst_all_year(void **state)
{
    (void)state;
    unsigned char buf[512];
    char err[128];
    size_t n = make_footer_only(buf, 0, "EST5EDT,0/0,J365/25");
    eng_tz *tz = eng_tz_parse("test", buf, n, err, sizeof err);
    assert_non_null(tz);
    for (int y = 1971; y < 2400; y += 7) {
        int64_t ny = utc(y, 1, 1, 5, 0);
        for (int64_t t = ny - 7200; t < ny + 7200; t += 600)
            assert_int_equal(eng_tz_offset(tz, t), -4 * 3600);
        assert_int_equal(eng_tz_offset(tz, utc(y, 7, 1, 0, 0)), -4 * 3600);
        assert_int_equal(eng_tz_local_to_utc(tz, utc(y, 1, 1, 0, 30)), utc(y, 1, 1, 4, 30));
    }
    assert_int_equal(eng_tz_max_shift(tz), 3600);
    eng_tz_free(tz);

    /* DST without a rule: today's US rules (glibc would read posixrules). */
    n = make_footer_only(buf, 0, "XST5XDT");
    tz = eng_tz_parse("test", buf, n, err, sizeof err);
    assert_non_null(tz);
    assert_int_equal(eng_tz_offset(tz, utc(2026, 3, 8, 6, 59)), -5 * 3600);
    assert_int_equal(eng_tz_offset(tz, utc(2026, 3, 8, 7, 0)), -4 * 3600);
    assert_int_equal(eng_tz_offset(tz, utc(2026, 11, 1, 5, 59)), -4 * 3600);
    assert_int_equal(eng_tz_offset(tz, utc(2026, 11, 1, 6, 0)), -5 * 3600);
    eng_tz_free(tz);
}

static void test_bad_footers(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "CE-1", "CET", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J100",
        "CET-1CEST,J366,J100", "CET-1CEST,M3.5.0/168,M10.5.0", "CET-25", "<+03-3",
        "<+0>-3", "CET-1CEST,M3.5.0,M10.5.0x", "CET-1:60",
    };
    unsigned char buf[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        size_t n = make_footer_only(buf, 0, bad[i]);
        eng_tz *tz = eng_tz_parse("test", buf, n, err, sizeof err);
        if (tz)
            fail_msg("accepted footer \"%s\"", bad[i]);
        assert_true(err[0] != '\0');
    }
}

/* Truncated at every length, and with bytes flipped: always a clean
 * refusal or a zone, never a crash (run under ASan/valgrind). */
static void test_truncated_and_corrupt(void **state)
{
    (void)state;
    static const char *const zones[] = { "Europe/Paris", "Australia/Lord_Howe", "UTC",
                                         "Asia/Kathmandu" };
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        size_t len;
        unsigned char *data = slurp(zones[z], &len);
        for (size_t cut = 0; cut < len; cut++) {
            char err[128] = "";
            unsigned char *copy = malloc(cut ? cut : 1);
            memcpy(copy, data, cut);
            eng_tz *tz = eng_tz_parse(zones[z], copy, cut, err, sizeof err);
            if (tz)
                fail_msg("%s truncated to %zu bytes accepted", zones[z], cut);
            assert_true(err[0] != '\0');
            free(copy);
        }
        for (int i = 0; i < 3000; i++) {
            unsigned char *copy = malloc(len);
            memcpy(copy, data, len);
            for (int k = 0; k < 1 + (int)(rng() % 4); k++)
                copy[rng() % len] = (unsigned char)rng();
            char err[128];
            eng_tz *tz = eng_tz_parse(zones[z], copy, len, err, sizeof err);
            if (tz) {
                for (int k = 0; k < 100; k++) {
                    int64_t t = (int64_t)rng();
                    (void)eng_tz_offset(tz, t);
                    (void)eng_tz_local_to_utc(tz, t >> 2);
                }
                eng_tz_free(tz);
            }
            free(copy);
        }
        free(data);
    }
    char err[64];
    assert_null(eng_tz_parse("x", NULL, 0, err, sizeof err));
    assert_null(eng_tz_parse("x", (const unsigned char *)"TZif", 4, err, sizeof err));
}

/* ---- pol_zone_load ---------------------------------------------------- */

static void test_zone_load(void **state)
{
    (void)state;
    char err[256];
    unsetenv("TZDIR");
    eng_tz *tz = pol_zone_load("UTC", err, sizeof err);
    assert_non_null(tz);
    assert_int_equal(eng_tz_offset(tz, 1795694400), 0);
    eng_tz_free(tz);
    tz = pol_zone_load("Etc/UTC", err, sizeof err);
    assert_non_null(tz);
    eng_tz_free(tz);
    tz = pol_zone_load("Europe/Paris", err, sizeof err);
    assert_non_null(tz);
    assert_string_equal(eng_tz_name(tz), "Europe/Paris");
    assert_int_equal(eng_tz_offset(tz, 1795694400), 3600);
    eng_tz_free(tz);
    tz = pol_zone_load("America/Port-au-Prince", err, sizeof err);
    assert_non_null(tz);
    eng_tz_free(tz);
    tz = pol_zone_load("Etc/GMT+5", err, sizeof err);
    assert_non_null(tz);
    assert_int_equal(eng_tz_offset(tz, 0), -5 * 3600);
    eng_tz_free(tz);

    /* a slip, or the wrong letter case: the zone meant */
    assert_null(pol_zone_load("Europe/Pariss", err, sizeof err));
    assert_string_equal(err, "unknown time zone \"Europe/Pariss\"; did you mean \"Europe/Paris\"?");
    assert_null(pol_zone_load("europe/paris", err, sizeof err));
    assert_string_equal(err, "unknown time zone \"europe/paris\"; did you mean \"Europe/Paris\"? "
                             "(zone names are case-sensitive)");
    assert_null(pol_zone_load("AUSTRALIA/LORD_HOWE", err, sizeof err));
    assert_string_equal(err, "unknown time zone \"AUSTRALIA/LORD_HOWE\"; did you mean "
                             "\"Australia/Lord_Howe\"? (zone names are case-sensitive)");
    assert_null(pol_zone_load("Mars/Olympus", err, sizeof err));
    assert_string_equal(err, "unknown time zone \"Mars/Olympus\" (no such IANA zone)");
    assert_null(pol_zone_load("Europe", err, sizeof err));
    assert_non_null(strstr(err, "unknown time zone \"Europe\""));
    assert_null(pol_zone_load("Europe/Paris/x", err, sizeof err));
    assert_non_null(strstr(err, "unknown time zone"));
}

static void test_zone_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "/etc/passwd", "../etc/passwd", "Europe/../../etc/passwd", "Europe/..",
        "Europe Paris", "Europe/Paris\n", "Europe/Paris/", "Europe//Paris", "Europe/Par*s",
        "Europe/Paris.bak", "\xc3\xa9t\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        if (pol_zone_load(bad[i], err, sizeof err))
            fail_msg("accepted zone name \"%s\"", bad[i]);
        assert_non_null(strstr(err, "time zone"));
    }
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* $TZDIR is honoured; bad files in it are refused with the path named. */
static void test_zone_tzdir(void **state)
{
    (void)state;
    char dir[] = "/tmp/snapkeep-tzdir-XXXXXX", path[256], err[256];
    unsigned char buf[512];
    assert_non_null(mkdtemp(dir));
    setenv("TZDIR", dir, 1);

    snprintf(path, sizeof path, "%s/My_Zone", dir);
    size_t n = make_footer_only(buf, 0, "<+0545>-5:45");
    write_file(path, buf, n);
    eng_tz *tz = pol_zone_load("My_Zone", err, sizeof err);
    if (!tz)
        fail_msg("%s", err);
    assert_int_equal(eng_tz_offset(tz, 1795694400), 5 * 3600 + 45 * 60);
    eng_tz_free(tz);

    snprintf(path, sizeof path, "%s/Junk", dir);
    write_file(path, "not a zone\n", 11);
    assert_null(pol_zone_load("Junk", err, sizeof err));
    assert_non_null(strstr(err, "time zone \"Junk\""));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "not TZif"));
    remove(path);

    /* leap-second ("right/") data is refused rather than misread */
    n = make_footer_only(buf, 0, "UTC0");
    buf[28 + 3] = 1;                    /* first header: leapcnt = 1 */
    snprintf(path, sizeof path, "%s/Leapy", dir);
    write_file(path, buf, n);
    assert_null(pol_zone_load("Leapy", err, sizeof err));
    assert_non_null(strstr(err, "leap seconds"));
    remove(path);

    assert_null(pol_zone_load("Europe/Paris", err, sizeof err));
    char want[256];
    snprintf(want, sizeof want, "unknown time zone \"Europe/Paris\" (no such IANA zone)");
    assert_string_equal(err, want);
    /* UTC needs no file */
    tz = pol_zone_load("UTC", err, sizeof err);
    assert_non_null(tz);
    eng_tz_free(tz);

    snprintf(path, sizeof path, "%s/My_Zone", dir);
    remove(path);
    rmdir(dir);
    unsetenv("TZDIR");
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "a zone lookup blocked: it waited on a FIFO\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to say */
    }
    _exit(1);
}

/* A FIFO (or any file that is not a regular file) in the zone directory
 * is refused at once, naming it; before, opening it waited for a writer
 * for ever (alarm turns that hang into a failure). */
static void test_zone_not_regular(void **state)
{
    (void)state;
    char dir[] = "/tmp/snapkeep-tzfifo-XXXXXX", path[256], err[512];
    assert_non_null(mkdtemp(dir));
    setenv("TZDIR", dir, 1);
    snprintf(path, sizeof path, "%s/Fifo_Zone", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    signal(SIGALRM, on_alarm);
    alarm(10);
    assert_null(pol_zone_load("Fifo_Zone", err, sizeof err));
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    char want[600];
    snprintf(want, sizeof want, "cannot read time zone \"Fifo_Zone\": %s is not a regular file",
             path);
    assert_string_equal(err, want);
    remove(path);
    rmdir(dir);
    unsetenv("TZDIR");
}

/* localtime, posixrules and Factory parse as zones but mean this host's
 * setting (or none): refused by name even when a valid file is there. */
static void test_zone_host_specific_names(void **state)
{
    (void)state;
    char dir[] = "/tmp/snapkeep-tzhost-XXXXXX", path[256], err[512];
    unsigned char buf[512];
    assert_non_null(mkdtemp(dir));
    setenv("TZDIR", dir, 1);
    size_t n = make_footer_only(buf, 0, "CET-1CEST,M3.5.0,M10.5.0/3");
    static const char *const names[] = { "localtime", "posixrules", "Factory" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        write_file(path, buf, n);
        assert_null(pol_zone_load(names[i], err, sizeof err));
        assert_non_null(strstr(err, "is not an IANA zone"));
        assert_non_null(strstr(err, names[i]));
        remove(path);
    }
    /* the same bytes under a zone's name are fine */
    snprintf(path, sizeof path, "%s/My_Zone", dir);
    write_file(path, buf, n);
    eng_tz *tz = pol_zone_load("My_Zone", err, sizeof err);
    assert_non_null(tz);
    eng_tz_free(tz);
    remove(path);
    rmdir(dir);
    unsetenv("TZDIR");
}

/* $TZDIR with a trailing slash names the same files and the same paths. */
static void test_zone_tzdir_trailing_slash(void **state)
{
    (void)state;
    char dir[] = "/tmp/snapkeep-tzslash-XXXXXX", slashed[64], path[256], err[512], err2[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/Junk", dir);
    write_file(path, "not a zone\n", 11);
    setenv("TZDIR", dir, 1);
    assert_null(pol_zone_load("Junk", err, sizeof err));
    snprintf(slashed, sizeof slashed, "%s//", dir);
    setenv("TZDIR", slashed, 1);
    assert_null(pol_zone_load("Junk", err2, sizeof err2));
    assert_string_equal(err, err2);
    assert_null(pol_zone_load("No/Where", err, sizeof err));
    assert_string_equal(err, "unknown time zone \"No/Where\" (no such IANA zone)");
    remove(path);
    rmdir(dir);
    unsetenv("TZDIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_local_to_utc),
        cmocka_unit_test(test_local_roundtrip),
        cmocka_unit_test(test_max_shift),
        cmocka_unit_test(test_footer_rules),
        cmocka_unit_test(test_footer_dst_all_year),
        cmocka_unit_test(test_table_then_rule),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_bad_footers),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_zone_load),
        cmocka_unit_test(test_zone_bad_names),
        cmocka_unit_test(test_zone_tzdir),
        cmocka_unit_test(test_zone_not_regular),
        cmocka_unit_test(test_zone_host_specific_names),
        cmocka_unit_test(test_zone_tzdir_trailing_slash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
