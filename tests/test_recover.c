/* Recovery choices (engine/pick.h) and the small pure helpers of
 * cli/recover.h: which snapshot a restore takes (by name, --at with its
 * edges, latest; only successfully provisioned ones; ties independent of
 * listing order), a drill's seeded sample, and drill disk names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/recover.h"
#include "engine/pick.h"
#include "support/builders.h"

#define NSNAP 8

typedef struct fixture {
    inv_snapshot s[NSNAP];
    const inv_snapshot *p[NSNAP];
    size_t n;
} fixture;

static void add(fixture *f, const char *name, const char *when, const char *state)
{
    inv_snapshot *s = &f->s[f->n];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->id = name;
    s->created = tb_time(when);
    s->provisioning_state = state;
    f->p[f->n] = s;
    f->n++;
}

/* a 10:00, b 11:00, d 11:00 (tie with b), c 12:00 Failed, u 13:00
 * Updating, e 09:00 with no state (offline inventories) */
static void history(fixture *f)
{
    f->n = 0;
    add(f, "snap-a", "2026-11-20T10:00Z", "Succeeded");
    add(f, "snap-b", "2026-11-20T11:00Z", "Succeeded");
    add(f, "snap-d", "2026-11-20T11:00Z", "Succeeded");
    add(f, "snap-c", "2026-11-20T12:00Z", "Failed");
    add(f, "snap-u", "2026-11-20T13:00Z", "Updating");
    add(f, "snap-e", "2026-11-20T09:00Z", NULL);
}

typedef struct pick_case {
    const char *what;
    pick_mode mode;
    const char *name;
    const char *at;
    pick_result want;
    const char *want_name;
} pick_case;

static const pick_case pick_cases[] = {
    { "latest skips Failed and Updating", PICK_LATEST, NULL, NULL, PICK_FOUND, "snap-d" },
    { "by name", PICK_NAME, "snap-a", NULL, PICK_FOUND, "snap-a" },
    { "by name, ARM's case-insensitivity", PICK_NAME, "SNAP-B", NULL, PICK_FOUND, "snap-b" },
    { "by name, no state counts as usable", PICK_NAME, "snap-e", NULL, PICK_FOUND, "snap-e" },
    { "by name, failed snapshot", PICK_NAME, "snap-c", NULL, PICK_UNUSABLE, NULL },
    { "by name, still updating", PICK_NAME, "snap-u", NULL, PICK_UNUSABLE, NULL },
    { "by name, unknown", PICK_NAME, "nope", NULL, PICK_NONE, NULL },
    { "at exactly a snapshot's time", PICK_AT, NULL, "2026-11-20T10:00Z", PICK_FOUND, "snap-a" },
    { "at exactly a tie: fixed winner", PICK_AT, NULL, "2026-11-20T11:00Z", PICK_FOUND, "snap-d" },
    { "at between", PICK_AT, NULL, "2026-11-20T10:59:59Z", PICK_FOUND, "snap-a" },
    { "at the Failed one's time", PICK_AT, NULL, "2026-11-20T12:00Z", PICK_FOUND, "snap-d" },
    { "at the first", PICK_AT, NULL, "2026-11-20T09:00Z", PICK_FOUND, "snap-e" },
    { "at before the first", PICK_AT, NULL, "2026-11-20T08:59:59Z", PICK_NONE, NULL },
    { "at far later", PICK_AT, NULL, "2030-01-01T00:00Z", PICK_FOUND, "snap-d" },
};

static void test_pick_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pick_cases / sizeof pick_cases[0]; i++) {
        const pick_case *c = &pick_cases[i];
        fixture f;
    history(&f);
        size_t at = SIZE_MAX;
        pick_result r = pick_snapshot(f.p, f.n, c->mode, c->name,
                                      c->at != NULL ? tb_time(c->at) : 0, &at);
        if (r != c->want)
            fail_msg("%s: result %d, wanted %d", c->what, (int)r, (int)c->want);
        if (c->want_name != NULL) {
            assert_true(at < f.n);
            if (strcmp(f.p[at]->name, c->want_name) != 0)
                fail_msg("%s: picked %s, wanted %s", c->what, f.p[at]->name, c->want_name);
        }
    }
}

static void test_pick_one_microsecond_before(void **state)
{
    (void)state;
    fixture f;
    history(&f);
    size_t at;
    assert_int_equal(pick_snapshot(f.p, f.n, PICK_AT, NULL, tb_time("2026-11-20T10:00Z") - 1,
                                   &at), PICK_FOUND);
    assert_string_equal(f.p[at]->name, "snap-e");
}

static void test_pick_order_independent(void **state)
{
    (void)state;
    fixture f;
    history(&f);
    const inv_snapshot *rev[NSNAP];
    for (size_t i = 0; i < f.n; i++)
        rev[i] = f.p[f.n - 1 - i];
    size_t a, b;
    assert_int_equal(pick_snapshot(f.p, f.n, PICK_LATEST, NULL, 0, &a), PICK_FOUND);
    assert_int_equal(pick_snapshot(rev, f.n, PICK_LATEST, NULL, 0, &b), PICK_FOUND);
    assert_ptr_equal(f.p[a], rev[b]);
}

static void test_pick_ambiguous_and_empty(void **state)
{
    (void)state;
    fixture f = { .n = 0 };
    size_t at;
    assert_int_equal(pick_snapshot(f.p, 0, PICK_LATEST, NULL, 0, &at), PICK_NONE);
    assert_int_equal(pick_snapshot(f.p, 0, PICK_NAME, "x", 0, &at), PICK_NONE);
    add(&f, "same", "2026-11-20T10:00Z", "Succeeded");
    add(&f, "same", "2026-11-21T10:00Z", "Succeeded");
    assert_int_equal(pick_snapshot(f.p, f.n, PICK_NAME, "same", 0, &at), PICK_AMBIGUOUS);
    /* a failed namesake does not make it ambiguous */
    f.s[1].provisioning_state = "Failed";
    assert_int_equal(pick_snapshot(f.p, f.n, PICK_NAME, "same", 0, &at), PICK_FOUND);
    assert_int_equal(at, 0);
    /* only unusable ones: nothing for latest */
    f.s[0].provisioning_state = "Canceled";
    assert_int_equal(pick_snapshot(f.p, f.n, PICK_LATEST, NULL, 0, &at), PICK_NONE);
}

/* ---- drill sample ---- */

#define NDAYS 30

typedef struct series {
    inv_snapshot s[NDAYS + 2];
    const inv_snapshot *p[NDAYS + 2];
    char names[NDAYS + 2][16];
    size_t n;
} series;

/* one snapshot a day from 2026-11-01, a Failed one in the middle and one
 * dated after `now` (2026-11-30T12:00Z) */
static void make_series(series *sr)
{
    memset(sr, 0, sizeof *sr);
    for (size_t i = 0; i < NDAYS; i++) {
        snprintf(sr->names[i], sizeof sr->names[i], "day-%02zu", i + 1);
        sr->s[i].name = sr->names[i];
        sr->s[i].created = tb_time("2026-11-01") + (int64_t)i * TB_DAY;
        sr->s[i].provisioning_state = i == 14 ? "Failed" : "Succeeded";
    }
    sr->s[NDAYS].name = "future";
    sr->s[NDAYS].created = tb_time("2026-12-05");
    sr->s[NDAYS].provisioning_state = "Succeeded";
    sr->n = NDAYS + 1;
    /* listed in a scrambled order */
    for (size_t i = 0; i < sr->n; i++)
        sr->p[i] = &sr->s[(i * 7) % sr->n];
}

static void test_sample_newest_first_distinct(void **state)
{
    (void)state;
    series sr;
    make_series(&sr);
    sk_time now = tb_time("2026-11-30T12:00Z");
    for (uint64_t seed = 0; seed < 50; seed++) {
        size_t out[6];
        size_t n = pick_drill_sample(sr.p, sr.n, 5, seed, now, out, 6);
        assert_int_equal(n, 6);
        assert_string_equal(sr.p[out[0]]->name, "day-30");  /* not the future one */
        for (size_t i = 1; i < n; i++) {
            assert_true(sr.p[out[i]]->created < sr.p[out[i - 1]]->created);
            assert_string_not_equal(sr.p[out[i]]->name, "day-15");  /* Failed */
            assert_string_not_equal(sr.p[out[i]]->name, "future");
        }
    }
}

static void test_sample_deterministic_and_spread(void **state)
{
    (void)state;
    series sr;
    make_series(&sr);
    sk_time now = tb_time("2026-11-30T12:00Z");
    size_t a[2], b[2];
    bool seen[NDAYS + 2] = { false };
    for (uint64_t seed = 0; seed < 400; seed++) {
        assert_int_equal(pick_drill_sample(sr.p, sr.n, 1, seed, now, a, 2), 2);
        assert_int_equal(pick_drill_sample(sr.p, sr.n, 1, seed, now, b, 2), 2);
        assert_ptr_equal(sr.p[a[1]], sr.p[b[1]]);
        seen[sr.p[a[1]] - sr.s] = true;
    }
    /* every usable older snapshot can be drawn, and only those */
    for (size_t i = 0; i < NDAYS - 1; i++)
        if (seen[i] != (i != 14))
            fail_msg("day-%02zu drawn: %d", i + 1, (int)seen[i]);
    assert_false(seen[NDAYS - 1]);      /* the newest is never "an older one" */
    assert_false(seen[NDAYS]);
}

static void test_sample_edges(void **state)
{
    (void)state;
    series sr;
    make_series(&sr);
    sk_time now = tb_time("2026-11-30T12:00Z");
    size_t out[64];
    /* more asked than there are: every usable one, once */
    assert_int_equal(pick_drill_sample(sr.p, sr.n, 60, 3, now, out, 64), NDAYS - 1);
    /* sample 0: the newest only */
    assert_int_equal(pick_drill_sample(sr.p, sr.n, 0, 3, now, out, 64), 1);
    assert_string_equal(sr.p[out[0]]->name, "day-30");
    /* the capacity bounds the output */
    assert_int_equal(pick_drill_sample(sr.p, sr.n, 10, 3, now, out, 3), 3);
    /* nothing before now, or nothing usable: nothing */
    assert_int_equal(pick_drill_sample(sr.p, sr.n, 1, 3, tb_time("2026-10-01"), out, 64), 0);
    assert_int_equal(pick_drill_sample(sr.p, 0, 1, 3, now, out, 64), 0);
}

/* ---- names and IDs ---- */

static void test_drill_disk_name(void **state)
{
    (void)state;
    char buf[PICK_NAME_MAX + 1], longname[120];
    sk_time t = tb_time("2026-11-10T00:00:05Z") + 123;   /* microseconds dropped */
    assert_int_equal(pick_drill_disk_name("data1", t, 1, buf, sizeof buf), 30);
    assert_string_equal(buf, "data1-drill-20261110T000005Z-1");
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    int n = pick_drill_disk_name(longname, t, 12, buf, sizeof buf);
    assert_int_equal(n, PICK_NAME_MAX);
    assert_int_equal(strlen(buf), PICK_NAME_MAX);
    assert_string_equal(buf + PICK_NAME_MAX - 26, "-drill-20261110T000005Z-12");
    assert_int_equal(pick_drill_disk_name("-we ird", t, 2, buf, sizeof buf), 32);
    assert_string_equal(buf, "dwe-ird-drill-20261110T000005Z-2");
    assert_true(cli_disk_name_ok(buf));
    assert_int_equal(pick_drill_disk_name("data1", t, 1, buf, PICK_NAME_MAX), -1);
}

static void test_disk_name_ok(void **state)
{
    (void)state;
    static const struct { const char *name; bool ok; } cases[] = {
        { "data1", true }, { "a", true }, { "Data_1.restored-2", true }, { "x_", true },
        { "", false }, { "-a", false }, { "a-", false }, { "a.", false }, { "a b", false },
        { "a/b", false }, { "ä", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (cli_disk_name_ok(cases[i].name) != cases[i].ok)
            fail_msg("'%s': wanted %d", cases[i].name, (int)cases[i].ok);
    char n81[82];
    memset(n81, 'a', 81);
    n81[81] = '\0';
    assert_false(cli_disk_name_ok(n81));
    n81[80] = '\0';
    assert_true(cli_disk_name_ok(n81));
}

static void test_id_segment(void **state)
{
    (void)state;
    char buf[64];
    const char *id = TB_DISK_ID("data1");
    assert_true(cli_id_segment(id, 1, buf, sizeof buf));
    assert_string_equal(buf, TB_SUB);
    assert_true(cli_id_segment(id, 3, buf, sizeof buf));
    assert_string_equal(buf, "rg");
    assert_true(cli_id_segment(id + 1, 3, buf, sizeof buf));   /* no leading '/' */
    assert_string_equal(buf, "rg");
    assert_false(cli_id_segment(id, 20, buf, sizeof buf));
    assert_false(cli_id_segment(id, 1, buf, 8));               /* does not fit */
}

static void test_leftover(void **state)
{
    (void)state;
    inv_tag both[] = { { "snapkeep-drill", "2026-11-10T00:00:00Z" },
                       { "Snapkeep-Restored-From", "/subscriptions/x/snapshots/s" },
                       { "SNAPKEEP-DRILL-POLICY", "p1" } };
    inv_tag drill_only[] = { { "snapkeep-drill", "2026-11-10T00:00:00Z" },
                             { "snapkeep-drill-policy", "p1" } };
    inv_tag bad_time[] = { { "snapkeep-drill", "yesterday" },
                           { "snapkeep-restored-from", "/s" },
                           { "snapkeep-drill-policy", "p1" } };
    inv_disk d = { .name = "data1-drill-1", .id = TB_DISK_ID("data1-drill-1"),
                   .tags = both, .ntags = 3 };
    sk_time t = tb_time("2026-11-10T00:00Z");
    assert_true(cli_drill_is_leftover(&d, "p1", t, 0));
    assert_false(cli_drill_is_leftover(&d, "p1", t + CLI_DRILL_LEFTOVER_AGE - 1,
                                       CLI_DRILL_LEFTOVER_AGE));
    assert_true(cli_drill_is_leftover(&d, "p1", t + CLI_DRILL_LEFTOVER_AGE,
                                      CLI_DRILL_LEFTOVER_AGE));
    assert_false(cli_drill_lacks_policy(&d));
    d.tags = drill_only;
    d.ntags = 2;
    assert_false(cli_drill_is_leftover(&d, "p1", t, 0));     /* not made by a drill alone */
    assert_false(cli_drill_lacks_policy(&d));
    d.tags = bad_time;
    d.ntags = 3;
    assert_true(cli_drill_is_leftover(&d, "p1", t, 0));
    assert_false(cli_drill_is_leftover(&d, "p1", t, CLI_DRILL_LEFTOVER_AGE));
    d.tags = NULL;
    d.ntags = 0;
    assert_false(cli_drill_is_leftover(&d, "p1", t, 0));
    assert_false(cli_drill_lacks_policy(&d));
}

/* Another policy's drill disks (a drill of it may be running from another
 * state directory) and drill disks without the policy tag are never ours. */
static void test_leftover_policy(void **state)
{
    (void)state;
    static const struct { const char *tag, *value, *policy; bool ours, lacks; } cases[] = {
        { "snapkeep-drill-policy", "p1", "p1", true, false },
        { "Snapkeep-Drill-Policy", "p1", "p1", true, false },     /* name: any case */
        { "snapkeep-drill-policy", "p2", "p1", false, false },    /* another policy */
        { "snapkeep-drill-policy", "P1", "p1", false, false },    /* value: exact */
        { "snapkeep-drill-policy", "p1x", "p1", false, false },
        { "snapkeep-drill-policy", "", "p1", false, false },
        { "snapkeep-drill-policy", "p1", "p2", false, false },
        { NULL, NULL, "p1", false, true },                        /* no policy tag */
    };
    sk_time t = tb_time("2026-11-10T00:00Z");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        inv_tag tags[] = { { "snapkeep-drill", "2026-11-01T00:00:00Z" },
                           { "snapkeep-restored-from", "/subscriptions/x/snapshots/s" },
                           { cases[i].tag, cases[i].value } };
        inv_disk d = { .name = "data1-drill-1", .id = TB_DISK_ID("data1-drill-1"),
                       .tags = tags, .ntags = cases[i].tag != NULL ? 3 : 2 };
        assert_int_equal(cli_drill_is_leftover(&d, cases[i].policy, t, 0), cases[i].ours);
        assert_int_equal(cli_drill_is_leftover(&d, cases[i].policy, t, CLI_DRILL_LEFTOVER_AGE),
                         cases[i].ours);
        assert_int_equal(cli_drill_lacks_policy(&d), cases[i].lacks);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_table),
        cmocka_unit_test(test_pick_one_microsecond_before),
        cmocka_unit_test(test_pick_order_independent),
        cmocka_unit_test(test_pick_ambiguous_and_empty),
        cmocka_unit_test(test_sample_newest_first_distinct),
        cmocka_unit_test(test_sample_deterministic_and_spread),
        cmocka_unit_test(test_sample_edges),
        cmocka_unit_test(test_drill_disk_name),
        cmocka_unit_test(test_disk_name_ok),
        cmocka_unit_test(test_id_segment),
        cmocka_unit_test(test_leftover),
        cmocka_unit_test(test_leftover_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
