/* engine/enforce: the pure decisions behind `snapkeep run`'s safety rails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/enforce.h"
#include "engine/tz.h"
#include "support/builders.h"

#define DISK_A "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/disks/disk-a"
#define DISK_B "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/disks/disk-b"
#define SNAP_RG "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/snapshots/"
#define MIN TB_MIN
#define HOUR TB_HOUR
#define DAY TB_DAY

static sk_time T(const char *s)
{
    sk_time t;
    assert_int_equal(eng_time_parse(s, strlen(s), &t), 0);
    return t;
}

/* A policy block "p" on disk-a with `snapshot every` as given (0: none). */
typedef struct fixture {
    tb_hourly_fixture h;        /* first: the policy "p" and the inventory */
    pol_policy other;
    pol_rule hold_rule;
    pol_tag_match hold_tag;
} fixture;

static int setup(void **state)
{
    fixture *f = tb_hourly_new(sizeof *f);
    f->h.p.incremental = true;
    /* A second policy of the same file holding "legal-hold" snapshots. */
    f->other.name = (char *)"other";
    f->other.tz = f->h.p.tz;
    f->other.max_delete = -1;
    f->hold_tag.key = (char *)"legal-hold";
    f->hold_rule.kind = POL_TAGGED;
    f->hold_rule.tags = &f->hold_tag;
    f->hold_rule.ntags = 1;
    f->other.rules = &f->hold_rule;
    f->other.nrules = 1;
    f->other.resource_group = (char *)"elsewhere";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tb_hourly_delete(*state);
    return 0;
}

/* Adds a snapshot; owner NULL: untagged; extra_key adds one more tag. */
static inv_snapshot *add_snap(inv_inventory *inv, const char *name, const char *source,
                              sk_time created, const char *owner, const char *state,
                              const char *extra_key)
{
    inv_snapshot *s = tb_owned_snap(inv, name, source, created, owner, state);
    if (extra_key != NULL)
        tb_snap_tag(inv, s, extra_key, "yes");
    return s;
}

static void test_same_id(void **state)
{
    (void)state;
    static const struct { const char *a, *b; bool same; } cases[] = {
        { DISK_A, DISK_A, true },
        { DISK_A, &DISK_A[1], true },   /* no leading '/' */
        { "/SUBSCRIPTIONS/S1/resourcegroups/RG/providers/microsoft.compute/DISKS/DISK-A", DISK_A, true },
        { DISK_A, DISK_B, false },
        { DISK_A, DISK_A "x", false },
        { "", "/", true },
        { "a", "", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(enf_same_id(cases[i].a, cases[i].b), cases[i].same);
    assert_true(enf_same_id(NULL, NULL));
    assert_false(enf_same_id(DISK_A, NULL));
    assert_string_equal(enf_id_name(DISK_A), "disk-a");
    assert_string_equal(enf_id_name("plain"), "plain");
}

static void test_snapshot_name(void **state)
{
    (void)state;
    char buf[ENF_NAME_MAX + 1], longname[200];
    static const struct { const char *disk, *at, *want; } cases[] = {
        { "dss-data", "2026-11-26T12:00:00Z", "dss-data-20261126T120000Z" },
        { "dss-data", "2026-11-26T13:00:00.999999+01:00", "dss-data-20261126T120000Z" },
        { "Disk_1.x", "2000-01-02T03:04:05Z", "Disk_1.x-20000102T030405Z" },
        { "a b/c", "2026-01-01T00:00:00Z", "a-b-c-20260101T000000Z" },
        { "", "2026-01-01T00:00:00Z", "snapshot-20260101T000000Z" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = enf_snapshot_name(cases[i].disk, T(cases[i].at), buf, sizeof buf);
        assert_int_equal(n, (int)strlen(cases[i].want));
        assert_string_equal(buf, cases[i].want);
    }
    memset(longname, 'd', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    int n = enf_snapshot_name(longname, T("2026-11-26T12:00:00Z"), buf, sizeof buf);
    assert_int_equal(n, ENF_NAME_MAX);
    assert_int_equal(strlen(buf), ENF_NAME_MAX);
    assert_string_equal(buf + ENF_NAME_MAX - ENF_NAME_SUFFIX_LEN, "-20261126T120000Z");
    assert_int_equal(enf_snapshot_name("x", T("2026-11-26T12:00:00Z"), buf, 40), -1);
}

static void test_due(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-26T12:00:00Z");
    /* 1h cadence: tolerance min(5m, 6m) = 5m */
    assert_int_equal(enf_jitter_usec(&f->h.p, now), 5 * MIN);
    static const struct { int64_t age; bool due; } hourly[] = {
        { 0, false }, { 30 * MIN, false }, { 55 * MIN - 1, false },
        { 55 * MIN, true }, { 59 * MIN, true }, { HOUR, true }, { 5 * DAY, true },
        { -10 * MIN, false },
    };
    for (size_t i = 0; i < sizeof hourly / sizeof hourly[0]; i++)
        assert_int_equal(enf_is_due(&f->h.p, now - hourly[i].age, now), hourly[i].due);
    assert_true(enf_is_due(&f->h.p, SK_TIME_MIN, now));
    /* 10m cadence: tolerance 1m */
    f->h.p.snapshot_every = (pol_duration){ .minutes = 10 };
    assert_int_equal(enf_jitter_usec(&f->h.p, now), MIN);
    assert_false(enf_is_due(&f->h.p, now - 9 * MIN + 1, now));
    assert_true(enf_is_due(&f->h.p, now - 9 * MIN, now));
    /* 1d cadence (calendar part): tolerance capped at 5m */
    f->h.p.snapshot_every = (pol_duration){ .days = 1 };
    assert_int_equal(enf_jitter_usec(&f->h.p, now), 5 * MIN);
    assert_false(enf_is_due(&f->h.p, now - DAY + 6 * MIN, now));
    assert_true(enf_is_due(&f->h.p, now - DAY + 5 * MIN, now));
    /* no cadence: never due, even with nothing taken */
    f->h.p.has_snapshot_every = false;
    assert_false(enf_is_due(&f->h.p, SK_TIME_MIN, now));
    assert_int_equal(enf_jitter_usec(&f->h.p, now), 0);
}

static void test_staleness(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-26T12:00:00Z"), lim = 0;
    assert_int_equal(enf_staleness_of(&f->h.p, now - 3 * HOUR, now, &lim), ENF_FRESH);
    assert_int_equal(lim, now - 3 * HOUR);
    assert_int_equal(enf_staleness_of(&f->h.p, now - 3 * HOUR - 1, now, NULL), ENF_STALE);
    assert_int_equal(enf_staleness_of(&f->h.p, now - 2 * DAY, now, NULL), ENF_STALE);
    assert_int_equal(enf_staleness_of(&f->h.p, SK_TIME_MIN, now, NULL), ENF_UNJUDGED);
    /* stale-after overrides three times the cadence */
    f->h.p.has_stale_after = true;
    f->h.p.stale_after = (pol_duration){ .days = 2 };
    assert_int_equal(enf_staleness_of(&f->h.p, now - 2 * DAY + 1, now, NULL), ENF_FRESH);
    assert_int_equal(enf_staleness_of(&f->h.p, now - 2 * DAY - 1, now, NULL), ENF_STALE);
    /* 1d cadence without stale-after: three days */
    f->h.p.has_stale_after = false;
    f->h.p.snapshot_every = (pol_duration){ .days = 1 };
    assert_int_equal(enf_staleness_of(&f->h.p, now - 3 * DAY + MIN, now, NULL), ENF_FRESH);
    assert_int_equal(enf_staleness_of(&f->h.p, now - 3 * DAY - MIN, now, NULL), ENF_STALE);
    /* nothing to judge by */
    f->h.p.has_snapshot_every = false;
    assert_int_equal(enf_staleness_of(&f->h.p, now - 300 * DAY, now, NULL), ENF_UNJUDGED);
}

static void test_newest_owned(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-26T12:00:00Z");
    add_snap(f->h.inv, "own-old", DISK_A, now - 5 * HOUR, "p", "Succeeded", NULL);
    add_snap(f->h.inv, "foreign", DISK_A, now - 1 * HOUR, "q", "Succeeded", NULL);
    add_snap(f->h.inv, "untagged", DISK_A, now - 2 * HOUR, NULL, "Succeeded", NULL);
    add_snap(f->h.inv, "failed", DISK_A, now - 3 * HOUR, "p", "Failed", NULL);
    add_snap(f->h.inv, "far-future", DISK_A, now + DAY, "p", "Succeeded", NULL);
    add_snap(f->h.inv, "other-disk", DISK_B, now - 10 * MIN, "p", "Succeeded", NULL);
    assert_int_equal(enf_newest_owned(&f->h.p, f->h.inv, DISK_A, NULL, now), now - 5 * HOUR);
    /* one still being created counts as taken: no second one is started */
    add_snap(f->h.inv, "updating", DISK_A, now - 4 * HOUR, "p", "Updating", NULL);
    assert_int_equal(enf_newest_owned(&f->h.p, f->h.inv, DISK_A, NULL, now), now - 4 * HOUR);
    /* slightly ahead of the local clock still counts */
    add_snap(f->h.inv, "near-future", &DISK_A[1], now + 2 * MIN, "p", NULL, NULL);
    assert_int_equal(enf_newest_owned(&f->h.p, f->h.inv, DISK_A, NULL, now), now + 2 * MIN);
    /* adopt untagged: the untagged one is owned too */
    f->h.p.adopt_untagged = true;
    assert_int_equal(enf_newest_owned(&f->h.p, f->h.inv, DISK_A, NULL, now - 10 * MIN), now - 2 * HOUR);
    assert_int_equal(enf_newest_owned(&f->h.p, f->h.inv, DISK_B, NULL, now), SK_TIME_MIN);
    assert_int_equal(enf_newest_owned(&f->h.p, f->h.inv, NULL, NULL, now), SK_TIME_MIN);
}

static void test_max_delete(void **state)
{
    fixture *f = *state;
    assert_int_equal(enf_max_delete(&f->h.p), ENF_DEFAULT_MAX_DELETE);
    f->h.p.max_delete = 0;
    assert_int_equal(enf_max_delete(&f->h.p), 0);
    f->h.p.max_delete = 24;
    assert_int_equal(enf_max_delete(&f->h.p), 24);
}

static eng_decision decision(const inv_snapshot *s, eng_action a)
{
    eng_decision d;
    memset(&d, 0, sizeof d);
    d.snap = s;
    d.action = a;
    return d;
}

static void test_may_delete(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-26T12:00:00Z");
    inv_snapshot *own = add_snap(f->h.inv, "own", DISK_A, now - DAY, "p", "Succeeded", NULL);
    inv_snapshot *foreign = add_snap(f->h.inv, "foreign", DISK_A, now - DAY, "q", "Succeeded", NULL);
    inv_snapshot *untagged = add_snap(f->h.inv, "untagged", DISK_A, now - DAY, NULL, NULL, NULL);
    inv_snapshot *busy = add_snap(f->h.inv, "busy", DISK_A, now - DAY, "p", "Updating", NULL);
    inv_snapshot *outside = add_snap(f->h.inv, "outside", DISK_B, now - DAY, "p", "Succeeded", NULL);
    eng_decision d = decision(own, ENG_PRUNE);
    assert_true(enf_may_delete(&f->h.p, &d, f->h.inv));
    d = decision(own, ENG_KEEP);
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    eng_reason r = { .kind = ENG_R_NEWEST };
    d = decision(own, ENG_PRUNE);
    d.reasons = &r;
    d.nreasons = 1;                     /* inconsistent plan: never delete */
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    d = decision(own, ENG_PRUNE);
    d.future = true;
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    d = decision(own, ENG_PRUNE);
    d.unmanaged = true;
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    d = decision(foreign, ENG_PRUNE);
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    d = decision(busy, ENG_PRUNE);
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    d = decision(outside, ENG_PRUNE);
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    d = decision(untagged, ENG_PRUNE);
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    f->h.p.adopt_untagged = true;
    assert_true(enf_may_delete(&f->h.p, &d, f->h.inv));
    d = decision(foreign, ENG_PRUNE);   /* adopting never takes others' snapshots */
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
    f->h.p.anonymous = true;              /* a bare body never deletes in a run */
    d = decision(own, ENG_PRUNE);
    assert_false(enf_may_delete(&f->h.p, &d, f->h.inv));
}

static void test_cut(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-26T12:00:00Z");
    const char *names[] = { "e", "b", "a", "d", "c" };
    const int64_t ages[] = { 1, 5, 3, 3, 4 };   /* hours */
    enf_candidate c[5];
    for (size_t i = 0; i < 5; i++) {
        c[i].snap = add_snap(f->h.inv, names[i], DISK_A, now - ages[i] * HOUR, "p", NULL, NULL);
        c[i].index = i;
    }
    assert_int_equal(enf_cut(c, 5, 2), 2);
    const char *order[] = { "b", "c", "a", "d", "e" };  /* oldest first, ties by name */
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(c[i].snap->name, order[i]);
        assert_int_equal(c[i].deferred, i >= 2);
    }
    assert_int_equal(c[0].index, 1);
    assert_int_equal(enf_cut(c, 5, 0), 0);
    for (size_t i = 0; i < 5; i++)
        assert_true(c[i].deferred);
    assert_int_equal(enf_cut(c, 5, 50), 5);
    for (size_t i = 0; i < 5; i++)
        assert_false(c[i].deferred);
    assert_int_equal(enf_cut(c, 0, 3), 0);
    /* default when unset */
    enf_candidate many[60];
    for (size_t i = 0; i < 60; i++)
        many[i] = (enf_candidate){ .snap = c[i % 5].snap, .index = i };
    assert_int_equal(enf_cut(many, 60, -1), ENF_DEFAULT_MAX_DELETE);
    assert_true(many[59].deferred);
    assert_false(many[ENF_DEFAULT_MAX_DELETE - 1].deferred);
}

static void test_confirm(void **state)
{
    fixture *f = *state;
    sk_time at = T("2026-11-20T10:00:03.123456Z");
    const pol_policy *all[] = { &f->h.p, &f->other };
    inv_snapshot *planned = add_snap(f->h.inv, "s", DISK_A, at, "p", "Succeeded", NULL);
    struct { const char *what; enf_confirm want; } cases[] = {
        { "same", ENF_CONFIRM_OK },
        { "other-id", ENF_CONFIRM_ID },
        { "time", ENF_CONFIRM_TIME },
        { "source", ENF_CONFIRM_SOURCE },
        { "owner-changed", ENF_CONFIRM_OWNER },
        { "owner-removed", ENF_CONFIRM_OWNER },
        { "hold", ENF_CONFIRM_HOLD },
        { "state", ENF_CONFIRM_STATE },
        { "case", ENF_CONFIRM_OK },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *w = cases[i].what;
        inv_snapshot cur = *planned;
        inv_tag tags[2] = { { POL_OWNER_TAG, "p" }, { "legal-hold", "yes" } };
        cur.tags = tags;
        cur.ntags = 1;
        if (strcmp(w, "other-id") == 0)
            cur.id = SNAP_RG "t";
        else if (strcmp(w, "time") == 0)
            cur.created = at + 1;
        else if (strcmp(w, "source") == 0)
            cur.source_id = DISK_B;
        else if (strcmp(w, "owner-changed") == 0)
            tags[0].value = "q";
        else if (strcmp(w, "owner-removed") == 0)
            cur.tags = tags + 1, cur.ntags = 0;
        else if (strcmp(w, "hold") == 0)
            cur.ntags = 2;
        else if (strcmp(w, "state") == 0)
            cur.provisioning_state = "Deleting";
        else if (strcmp(w, "case") == 0)
            cur.source_id = &DISK_A[1];
        assert_int_equal(enf_confirm_delete(&f->h.p, all, 2, planned, &cur), cases[i].want);
        assert_non_null(enf_confirm_text(cases[i].want));
    }
    /* an adopted untagged snapshot must still be untagged, and adopted */
    inv_snapshot *adopted = add_snap(f->h.inv, "u", DISK_A, at, NULL, NULL, NULL);
    inv_snapshot cur = *adopted;
    assert_int_equal(enf_confirm_delete(&f->h.p, all, 2, adopted, &cur), ENF_CONFIRM_OWNER);
    f->h.p.adopt_untagged = true;
    assert_int_equal(enf_confirm_delete(&f->h.p, all, 2, adopted, &cur), ENF_CONFIRM_OK);
    inv_tag tagged = { POL_OWNER_TAG, "p" };
    cur.tags = &tagged;
    cur.ntags = 1;
    assert_int_equal(enf_confirm_delete(&f->h.p, all, 2, adopted, &cur), ENF_CONFIRM_OWNER);
}

/* The cap counts every incremental snapshot of the disk, owned or not; a
 * full snapshot neither counts nor is capped; 499 lets one more in. */
static void test_limit_cap(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-26T12:00:00Z");
    char name[64];
    for (int i = 0; i < 499; i++) {
        snprintf(name, sizeof name, "s%03d", i);
        inv_snapshot *s = add_snap(f->h.inv, name, DISK_A, now - (i + 1) * HOUR,
                                   i < 300 ? "p" : i < 400 ? NULL : "someone-else", NULL, NULL);
        s->incremental = true;
    }
    inv_snapshot *full = add_snap(f->h.inv, "full", DISK_A, now - DAY, "p", NULL, NULL);
    full->incremental = false;
    add_snap(f->h.inv, "b1", DISK_B, now - DAY, "p", NULL, NULL)->incremental = true;
    enf_disk_load l;
    enf_disk_load_of(&f->h.p, f->h.inv, DISK_A, now, &l);
    assert_int_equal(l.incremental, 499);
    assert_int_equal(l.foreign, 199);
    assert_int_equal(enf_create_allowed(&l, true, now, NULL), ENF_CREATE_OK);
    enf_disk_load_add(&l, now, true);
    assert_int_equal(l.incremental, 500);
    assert_int_equal(enf_create_allowed(&l, true, now + HOUR, NULL), ENF_CREATE_CAP);
    /* waiting does not lift the cap; a full snapshot is not under it */
    assert_int_equal(enf_create_allowed(&l, true, now + 30 * DAY, NULL), ENF_CREATE_CAP);
    assert_int_equal(enf_create_allowed(&l, false, now + HOUR, NULL), ENF_CREATE_OK);
    /* the other disk is counted on its own; the ID compares as ARM's do */
    enf_disk_load_of(&f->h.p, f->h.inv, "SUBSCRIPTIONS/S1/resourcegroups/rg/providers/"
                     "Microsoft.Compute/disks/DISK-B", now, &l);
    assert_int_equal(l.incremental, 1);
    enf_disk_load_of(&f->h.p, f->h.inv, NULL, now, &l);
    assert_int_equal(l.incremental, 0);
}

/* Seven creations in any 5 minutes: the eighth waits until the oldest of
 * the newest seven is 300 s old; creations of other disks, and older ones,
 * take no slot; a snapshot of any owner or kind takes one. */
static void test_limit_rate(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-26T12:00:00Z");
    sk_time sec = SK_USEC_PER_SEC;
    add_snap(f->h.inv, "old", DISK_A, now - 300 * sec, "p", NULL, NULL);   /* just outside */
    add_snap(f->h.inv, "other", DISK_B, now - 10 * sec, "p", NULL, NULL);
    char name[32];
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "r%d", i);
        inv_snapshot *s = add_snap(f->h.inv, name, DISK_A, now - (250 - 40 * i) * sec,
                                   i % 2 ? NULL : "p", i == 5 ? "Failed" : NULL, NULL);
        s->incremental = i != 3;
    }
    enf_disk_load l;
    sk_time retry = 0;
    enf_disk_load_of(&f->h.p, f->h.inv, DISK_A, now, &l);
    assert_int_equal(l.recent, 6);
    assert_int_equal(enf_create_allowed(&l, true, now, &retry), ENF_CREATE_OK);
    assert_true(retry == 0);
    enf_disk_load_add(&l, now, true);       /* the seventh */
    assert_int_equal(enf_create_allowed(&l, true, now, &retry), ENF_CREATE_RATE);
    /* the oldest in the window was made at now - 250 s: free at now + 50 s */
    assert_true(retry == now + 50 * sec);
    assert_int_equal(enf_create_allowed(&l, true, now + 50 * sec - 1, NULL), ENF_CREATE_RATE);
    assert_int_equal(enf_create_allowed(&l, true, now + 50 * sec, NULL), ENF_CREATE_OK);
    assert_int_equal(enf_create_allowed(&l, false, now, NULL), ENF_CREATE_RATE);
    /* a listing at a later time sees the same window move */
    enf_disk_load_of(&f->h.p, f->h.inv, DISK_A, now + 50 * sec, &l);
    assert_int_equal(l.recent, 5);
    /* with eight and more in the window, the slot frees at the 7th newest */
    inv_inventory *inv = inv_new();
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "m%02d", i);
        add_snap(inv, name, DISK_A, now - (200 - 10 * i) * sec, "p", NULL, NULL);
    }
    enf_disk_load_of(&f->h.p, inv, DISK_A, now, &l);
    assert_int_equal(l.recent, 12);
    assert_int_equal(l.nwindow, ENG_CREATES_PER_WINDOW);
    assert_int_equal(enf_create_allowed(&l, true, now, &retry), ENF_CREATE_RATE);
    /* the newest seven: now-150 s .. now-90 s; free once now-150 s is 300 s old */
    assert_true(retry == now + 150 * sec);
    inv_free(inv);
}

/* plan's near-cap list: disks from 450 incremental snapshots, in order of
 * first sighting; untagged ones counted apart; full snapshots not at all. */
static void test_near_cap_disks(void **state)
{
    fixture *f = *state;
    sk_time now = T("2026-11-26T12:00:00Z");
    char name[32];
    for (int i = 0; i < 449; i++) {
        snprintf(name, sizeof name, "b%03d", i);
        add_snap(f->h.inv, name, DISK_B, now - i * HOUR, "p", NULL, NULL)->incremental = true;
    }
    for (int i = 0; i < 455; i++) {
        snprintf(name, sizeof name, "a%03d", i);
        add_snap(f->h.inv, name, i % 5 == 0 ? &DISK_A[1] : DISK_A, now - i * HOUR,
                 i < 20 ? NULL : "p", NULL, NULL)->incremental = true;
    }
    add_snap(f->h.inv, "b-full", DISK_B, now, "p", NULL, NULL)->incremental = false;
    enf_disk_count *d = NULL;
    assert_int_equal(enf_near_cap_disks(f->h.inv, &d), 1);
    assert_true(enf_same_id(d[0].disk_id, DISK_A));
    assert_int_equal(d[0].incremental, 455);
    assert_int_equal(d[0].foreign_tagless, 20);
    free(d);
    add_snap(f->h.inv, "b-449", DISK_B, now, NULL, NULL, NULL)->incremental = true;
    assert_int_equal(enf_near_cap_disks(f->h.inv, &d), 2);
    assert_true(enf_same_id(d[0].disk_id, DISK_B));     /* seen first */
    assert_int_equal(d[0].incremental, 450);
    assert_true(enf_same_id(d[1].disk_id, DISK_A));
    free(d);
    assert_false(enf_near_cap(449));
    assert_true(enf_near_cap(450));
}

/* The window against a naive count, on generated creation times (fixed
 * seed): allowed exactly when fewer than 7 lie in (now - 300 s, +inf), and
 * a refusal's retry time is the first instant the naive count allows. */
static size_t naive_recent(const sk_time *t, size_t n, sk_time now)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += t[i] > now - 300 * SK_USEC_PER_SEC;
    return k;
}

static void test_limit_rate_generated(void **state)
{
    fixture *f = *state;
    uint64_t x = 12345;
    sk_time base = T("2026-11-26T12:00:00Z");
    for (int round = 0; round < 300; round++) {
        inv_inventory *inv = inv_new();
        sk_time times[40];
        size_t n = 0;
        x = x * 6364136223846793005u + 1442695040888963407u;
        size_t want = (size_t)(x >> 59) + 3;    /* 3 .. 34 snapshots */
        for (size_t i = 0; i < want; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            times[n] = base - (sk_time)((x >> 33) % 900) * SK_USEC_PER_SEC;
            char name[32];
            snprintf(name, sizeof name, "g%zu", i);
            add_snap(inv, name, DISK_A, times[n++], (x & 1) ? "p" : NULL, NULL, NULL);
        }
        enf_disk_load l;
        enf_disk_load_of(&f->h.p, inv, DISK_A, base, &l);
        assert_int_equal(l.recent, naive_recent(times, n, base));
        sk_time retry = 0;
        enf_create_limit got = enf_create_allowed(&l, false, base, &retry);
        assert_int_equal(got == ENF_CREATE_OK, naive_recent(times, n, base) < 7);
        if (got == ENF_CREATE_RATE) {
            assert_true(naive_recent(times, n, retry) < 7);
            assert_true(naive_recent(times, n, retry - 1) >= 7);
            assert_int_equal(enf_create_allowed(&l, false, retry, NULL), ENF_CREATE_OK);
            assert_int_equal(enf_create_allowed(&l, false, retry - 1, NULL), ENF_CREATE_RATE);
        }
        inv_free(inv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_id),
        cmocka_unit_test(test_snapshot_name),
        cmocka_unit_test_setup_teardown(test_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staleness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newest_owned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_may_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_rate_generated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_near_cap_disks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
