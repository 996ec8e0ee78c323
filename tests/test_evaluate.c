/* The evaluator against hand-computed expectations: every rule kind, window
 * edges, ties, restic count semantics, time zones with DST, ISO week 53,
 * leap day, month-end subtraction, scope and ownership, several policies.
 * Policies are built by hand (tests/support/builders.h), so these tests do
 * not depend on the parser. Expected keep sets were worked out on paper
 * from doc/semantics.md; the comments show the arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/enforce.h"
#include "grammar/parse.h"
#include "support/builders.h"

#define D1 TB_DISK_ID("d1")

/* One table case: an anonymous policy over one disk. Snapshots come from a
 * series (names "MM-DDTHH:MM") and/or an explicit list
 * "NAME@TIME[!STATE][#KEY=VALUE]..." separated by spaces (STATE: the
 * provisioningState, absent when there is no '!'). */
typedef struct ev_case {
    const char *title;
    const char *zone;           /* NULL: UTC */
    const char *rules;
    const char *now;
    const char *from, *to;      /* series, inclusive; NULL: none */
    int64_t step;
    const char *snaps;
    const char *kept;           /* expected kept names, inventory order */
    const char *why[4];         /* "NAME => reason; reason" */
} ev_case;

static void add_explicit(inv_inventory *inv, const char *list)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w != NULL;
         w = strtok_r(NULL, " ", &save)) {
        char *at = strchr(w, '@');
        assert_non_null(at);
        *at = '\0';
        char *hash = strchr(at + 1, '#');
        if (hash != NULL)
            *hash = '\0';
        char *bang = strchr(at + 1, '!');
        if (bang != NULL)
            *bang = '\0';
        inv_snapshot *s = tb_snap(inv, w, D1, tb_time(at + 1));
        if (bang != NULL)
            tb_snap_state(inv, s, bang + 1);
        while (hash != NULL) {
            char *kv = hash + 1;
            hash = strchr(kv, '#');
            if (hash != NULL)
                *hash = '\0';
            char *eq = strchr(kv, '=');
            if (eq != NULL)
                *eq = '\0';
            tb_snap_tag(inv, s, kv, eq ? eq + 1 : "");
        }
    }
}

static void check_why(const eng_plan *plan, const char *spec)
{
    char name[128];
    const char *arrow = strstr(spec, " => ");
    assert_non_null(arrow);
    snprintf(name, sizeof name, "%.*s", (int)(arrow - spec), spec);
    const eng_decision *d = tb_find(plan, name);
    if (d == NULL)
        fail_msg("no snapshot %s", name);
    char *got = tb_reasons(d);
    if (strcmp(got, arrow + 4) != 0)
        fail_msg("%s: reasons\n  got:  %s\n  want: %s", name, got, arrow + 4);
    free(got);
}

static void run_case(const ev_case *c)
{
    pol_policy *p = tb_policy("test", true, c->zone);
    tb_rules(p, c->rules);
    inv_inventory *inv = tb_inv();
    if (c->from != NULL)
        tb_series(inv, "", D1, tb_time(c->from), tb_time(c->to), c->step);
    if (c->snaps != NULL)
        add_explicit(inv, c->snaps);
    eng_plan *plan = tb_eval(&p, 1, inv, tb_time(c->now));
    char *kept = tb_kept(plan);
    if (strcmp(kept, c->kept) != 0)
        fail_msg("%s: kept\n  got:  %s\n  want: %s", c->title, kept, c->kept);
    free(kept);
    for (size_t i = 0; i < 4 && c->why[i] != NULL; i++)
        check_why(plan, c->why[i]);
    /* Invariants every plan holds. */
    size_t nkeep = 0;
    for (size_t i = 0; i < plan->ndecisions; i++) {
        const eng_decision *d = &plan->decisions[i];
        assert_true((d->action == ENG_KEEP) == (d->nreasons > 0));
        nkeep += d->action == ENG_KEEP;
    }
    assert_int_equal(plan->nkeep, nkeep);
    assert_int_equal(plan->nkeep + plan->nprune, inv->nsnapshots);
    eng_plan_free(plan);
    inv_free(inv);
    tb_policy_free(p);
}

/* ---- tiers ---- */

static const ev_case tier_cases[] = {
    { "keep-all edge: exactly 24h old is out, the future is kept",
      NULL, "keep-all 24h", "2026-11-20T12:00Z", NULL, NULL, 0,
      "a@2026-11-19T12:00Z b@2026-11-19T12:01Z c@2026-11-20T12:00Z f@2026-11-20T12:01Z",
      "b c f",
      { "c => keep-all 24h (test.policy:1); newest",
        "b => keep-all 24h (test.policy:1)",
        "f => future: dated after now",
        "a => " } },
    { "a snapshot exactly 24h old is in the next tier",
      NULL, "keep-all 24h, every 12h to 7d", "2026-11-20T12:00Z", NULL, NULL, 0,
      "a@2026-11-19T12:00Z b@2026-11-19T13:00Z c@2026-11-20T11:00Z",
      "a b c",
      { "a => every 12h to 7d: bucket 2026-11-19T12:00Z (test.policy:2)",
        "b => keep-all 24h (test.policy:1)" } },
    { "every: the oldest of each bucket, ties to the smaller name",
      NULL, "every 12h to 7d", "2026-11-20T12:00Z", NULL, NULL, 0,
      "z@2026-11-19T13:00Z y@2026-11-19T13:00Z x@2026-11-19T15:00Z "
      "w@2026-11-20T01:00Z v@2026-11-20T11:00Z",
      "y w v",
      { "y => every 12h to 7d: bucket 2026-11-19T12:00Z (test.policy:1)",
        "w => every 12h to 7d: bucket 2026-11-20T00:00Z (test.policy:1)",
        "v => newest", "z => " } },
    { "every: the window's far edge is exclusive (age 7d exactly is out)",
      NULL, "every 1d to 7d", "2026-11-20T00:00Z", NULL, NULL, 0,
      "a@2026-11-13T00:00Z b@2026-11-13T00:01Z c@2026-11-19T00:00Z",
      "b c",
      { "b => every 1d to 7d: bucket 2026-11-13T00:00Z (test.policy:1)" } },
    /* cut = 11-17T12:00: 17T12 is out, 17T18 is the first of day 17 */
    { "daily tier in UTC",
      NULL, "daily to 3d", "2026-11-20T12:00Z",
      "2026-11-17T00:00Z", "2026-11-20T12:00Z", 6 * TB_HOUR, NULL,
      "11-17T18:00 11-18T00:00 11-19T00:00 11-20T00:00 11-20T12:00",
      { "11-17T18:00 => daily to 3d: bucket 2026-11-17 (test.policy:1)",
        "11-20T12:00 => newest", "11-17T12:00 => " } },
    /* The seed's three tiers: tier 1 (0,24h], tier 2 (24h,7d], tier 3 (7d,15d]. */
    { "the seed's tiers hand over at their edges",
      NULL, "keep-all 24h, every 12h to 7d, daily to 15d", "2026-11-26T12:00Z", NULL, NULL, 0,
      "a@2026-11-11T12:00Z b@2026-11-11T13:00Z c@2026-11-19T12:00Z d@2026-11-19T13:00Z "
      "e@2026-11-25T12:00Z f@2026-11-25T13:00Z",
      "b c d e f",
      { "b => daily to 15d: bucket 2026-11-11 (test.policy:3)",
        "c => daily to 15d: bucket 2026-11-19 (test.policy:3)",
        "d => every 12h to 7d: bucket 2026-11-19T12:00Z (test.policy:2)",
        "e => every 12h to 7d: bucket 2026-11-25T12:00Z (test.policy:2)" } },
    /* 2026 starts on a Thursday: ISO week 53 runs 2026-12-28..2027-01-03.
     * cut = 2026-12-22T12:00. */
    { "weekly tier across ISO week 53",
      NULL, "weekly to 3w", "2027-01-12T12:00Z",
      "2026-12-20T12:00Z", "2027-01-12T12:00Z", TB_DAY, NULL,
      "12-23T12:00 12-28T12:00 01-04T12:00 01-11T12:00 01-12T12:00",
      { "12-23T12:00 => weekly to 3w: bucket 2026-W52 (test.policy:1)",
        "12-28T12:00 => weekly to 3w: bucket 2026-W53 (test.policy:1)",
        "01-04T12:00 => weekly to 3w: bucket 2027-W01 (test.policy:1)",
        "01-03T12:00 => " } },
    /* 2026-03-31 minus 1mo is 2026-02-31, normalised to 2026-03-03. */
    { "month-end subtraction: monthly to 1mo on 2026-03-31",
      NULL, "monthly to 1mo", "2026-03-31T12:00Z",
      "2026-02-25T12:00Z", "2026-03-31T12:00Z", TB_DAY, NULL,
      "03-04T12:00 03-31T12:00",
      { "03-04T12:00 => monthly to 1mo: bucket 2026-03 (test.policy:1)",
        "03-03T12:00 => " } },
    /* 2028-02-29 minus 1y is 2027-02-29, normalised to 2027-03-01. */
    { "leap day: keep-all 1y from 2028-02-29",
      NULL, "keep-all 1y", "2028-02-29T12:00Z", NULL, NULL, 0,
      "a@2027-02-28T12:00Z b@2027-03-01T12:00Z c@2027-03-01T12:30Z d@2028-02-29T12:00Z",
      "c d", { NULL } },
};

/* ---- count rules (restic forget) ---- */

static const ev_case count_cases[] = {
    { "last N keeps the first N of the walk",
      NULL, "last 3", "2026-11-20T12:00Z",
      "2026-11-20T06:00Z", "2026-11-20T11:00Z", TB_HOUR, NULL,
      "11-20T09:00 11-20T10:00 11-20T11:00",
      { "11-20T11:00 => last 3: #1 (test.policy:1); newest",
        "11-20T09:00 => last 3: #3 (test.policy:1)" } },
    /* Four a day; the walk keeps the newest of each of the 3 newest days,
     * then the counter is spent: no "oldest" keep. */
    { "daily 3 over several snapshots a day",
      NULL, "daily 3", "2026-11-20T20:00Z",
      "2026-11-15T00:00Z", "2026-11-20T18:00Z", 6 * TB_HOUR, NULL,
      "11-18T18:00 11-19T18:00 11-20T18:00",
      { "11-19T18:00 => daily 3: day 2026-11-19 (#2) (test.policy:1)",
        "11-20T18:00 => daily 3: day 2026-11-20 (#1) (test.policy:1); newest" } },
    /* Only 3 days for daily 5: count left at the end of the walk keeps the
     * oldest snapshot too (restic: nr == len(list)-1). */
    { "daily 5 with count left keeps the oldest",
      NULL, "daily 5", "2026-11-20T20:00Z",
      "2026-11-18T00:00Z", "2026-11-20T18:00Z", 6 * TB_HOUR, NULL,
      "11-18T00:00 11-18T18:00 11-19T18:00 11-20T18:00",
      { "11-18T00:00 => daily 5: oldest (test.policy:1)",
        "11-18T18:00 => daily 5: day 2026-11-18 (#3) (test.policy:1)" } },
    { "daily all: one a day and the oldest",
      NULL, "daily all", "2026-11-20T20:00Z",
      "2026-11-18T00:00Z", "2026-11-20T18:00Z", 6 * TB_HOUR, NULL,
      "11-18T00:00 11-18T18:00 11-19T18:00 11-20T18:00",
      { "11-18T00:00 => daily all: oldest (test.policy:1)" } },
    /* The oldest snapshot in a bucket of its own is a plain keep. */
    { "hourly 10: the last snapshot in a new bucket is not 'oldest'",
      NULL, "hourly 10", "2026-11-20T12:00Z", NULL, NULL, 0,
      "a@2026-11-20T08:10Z b@2026-11-20T09:10Z c@2026-11-20T09:20Z",
      "a c",
      { "a => hourly 10: hour 2026-11-20T08:00Z (#2) (test.policy:1)",
        "c => hourly 10: hour 2026-11-20T09:00Z (#1) (test.policy:1); newest" } },
    { "weekly 2 across ISO week 53",
      NULL, "weekly 2", "2027-01-12T12:00Z",
      "2026-12-20T12:00Z", "2027-01-12T12:00Z", TB_DAY, NULL,
      "01-10T12:00 01-12T12:00",
      { "01-10T12:00 => weekly 2: week 2027-W01 (#2) (test.policy:1)" } },
    { "daily 3 across a leap day",
      NULL, "daily 3", "2028-03-01T12:00Z",
      "2028-02-27T00:00Z", "2028-03-01T12:00Z", 12 * TB_HOUR, NULL,
      "02-28T12:00 02-29T12:00 03-01T12:00",
      { "02-29T12:00 => daily 3: day 2028-02-29 (#2) (test.policy:1)" } },
    { "monthly 2 and yearly 2",
      NULL, "monthly 2, yearly 2", "2026-03-10T00:00Z", NULL, NULL, 0,
      "a@2025-12-31T00:00Z b@2026-01-15T00:00Z c@2026-02-01T00:00Z c2@2026-02-20T00:00Z "
      "d@2026-03-05T00:00Z",
      "a c2 d",
      { "a => yearly 2: year 2025 (#2) (test.policy:2)",
        "d => monthly 2: month 2026-03 (#1) (test.policy:1); yearly 2: year 2026 (#1) "
        "(test.policy:2); newest" } },
    /* within is measured from the newest snapshot, not from now, and is
     * strictly after newest - D. */
    { "within: strictly after newest - D",
      NULL, "within 2d", "2026-11-25T00:00Z", NULL, NULL, 0,
      "a@2026-11-18T12:00Z b@2026-11-18T12:01Z c@2026-11-20T12:00Z",
      "b c", { "b => within 2d (test.policy:1)", "c => within 2d (test.policy:1); newest" } },
    /* window (11-18T18:00, 11-20T18:00]: 18T18 is out; the walk's last
     * snapshot (17T00) is outside the window, so no oldest keep. */
    { "daily within: one a day inside the window",
      NULL, "daily within 2d", "2026-11-21T00:00Z",
      "2026-11-17T00:00Z", "2026-11-20T18:00Z", 6 * TB_HOUR, NULL,
      "11-19T18:00 11-20T18:00",
      { "11-19T18:00 => daily within 2d: day 2026-11-19 (#2) (test.policy:1)" } },
    { "daily within a window holding the whole group keeps the oldest",
      NULL, "daily within 1w", "2026-11-21T00:00Z",
      "2026-11-18T00:00Z", "2026-11-20T18:00Z", 6 * TB_HOUR, NULL,
      "11-18T00:00 11-18T18:00 11-19T18:00 11-20T18:00",
      { "11-18T00:00 => daily within 1w: oldest (test.policy:1)" } },
    /* One shared walk: rules keep independently, reasons in rule order. */
    { "last and daily share the walk",
      NULL, "daily 2, last 2", "2026-11-20T20:00Z",
      "2026-11-19T00:00Z", "2026-11-20T18:00Z", 6 * TB_HOUR, NULL,
      "11-19T18:00 11-20T12:00 11-20T18:00",
      { "11-20T18:00 => daily 2: day 2026-11-20 (#1) (test.policy:1); last 2: #1 "
        "(test.policy:2); newest",
        "11-20T12:00 => last 2: #2 (test.policy:2)" } },
};

/* ---- tags, ties, future, newest ---- */

static const ev_case other_cases[] = {
    { "tagged: key alone, key = value, and-ed keys",
      NULL, "keep-all 1h, tagged \"legal-hold\", tagged \"env\" = \"prod\" and \"keep\"",
      "2026-11-20T12:00Z", NULL, NULL, 0,
      "a@2026-11-01T00:00Z#legal-hold= b@2026-11-02T00:00Z#env=prod "
      "c@2026-11-03T00:00Z#env=prod#keep=1 d@2026-11-04T00:00Z#env=dev#keep=1 "
      "e@2026-11-05T00:00Z#legal-hold=yes n@2026-11-20T11:30Z",
      "a c e n",
      { "a => tagged \"legal-hold\" (test.policy:2)",
        "c => tagged \"env\" = \"prod\" and \"keep\" (test.policy:3)",
        "n => keep-all 1h (test.policy:1); newest" } },
    { "newest is kept whatever the rules say; ties to the smaller name",
      NULL, "keep-all 1h", "2026-11-20T12:00Z", NULL, NULL, 0,
      "b@2026-11-10T00:00Z a@2026-11-10T00:00Z c@2026-11-09T00:00Z",
      "a", { "a => newest", "b => " } },
    { "equal times in last N: smaller name first",
      NULL, "last 2", "2026-11-20T12:00Z", NULL, NULL, 0,
      "c@2026-11-20T10:00Z b@2026-11-20T10:00Z a@2026-11-20T10:00Z d@2026-11-20T09:00Z",
      "b a",
      { "a => last 2: #1 (test.policy:1); newest", "b => last 2: #2 (test.policy:1)" } },
    { "future snapshots are ignored by rules and by newest",
      NULL, "last 1, tagged \"x\"", "2026-11-20T12:00Z", NULL, NULL, 0,
      "f@2026-11-21T00:00Z#x=1 g@2026-11-20T12:00:01Z a@2026-11-20T11:00Z b@2026-11-20T10:00Z",
      "f g a",
      { "f => future: dated after now", "g => future: dated after now",
        "a => last 1: #1 (test.policy:1); newest" } },
    { "a group of future snapshots only",
      NULL, "keep-all 1h", "2026-11-20T12:00Z", NULL, NULL, 0,
      "f@2026-11-21T00:00Z", "f", { "f => future: dated after now" } },
};

/* ---- snapshots that are not backups (provisioningState) ---- */

#define FAILED_WHY(st) "failed: provisioningState " st ", not a backup (delete it by hand)"
#define BUSY_WHY(st) "in progress: provisioningState " st ", not yet a backup"

static const ev_case state_cases[] = {
    /* Counted as backups, the three failed ones would fill `last 3` and
     * a, b, c would be pruned: nothing good left. */
    { "last 3 with the three newest Failed keeps three good ones",
      NULL, "last 3", "2026-11-20T12:00Z", NULL, NULL, 0,
      "o@2026-11-20T05:00Z a@2026-11-20T06:00Z b@2026-11-20T07:00Z c@2026-11-20T08:00Z "
      "x@2026-11-20T09:00Z!Failed y@2026-11-20T10:00Z!Failed z@2026-11-20T11:00Z!Failed",
      "a b c x y z",
      { "c => last 3: #1 (test.policy:1); newest", "a => last 3: #3 (test.policy:1)",
        "z => " FAILED_WHY("Failed"), "o => " } },
    /* Day 18: the failed f is the oldest, the good g must stand for the
     * bucket; day 19: a canceled and a creating one before the good k. */
    { "a failed snapshot is never the oldest of its bucket",
      NULL, "daily to 3d", "2026-11-20T12:00Z", NULL, NULL, 0,
      "f@2026-11-18T01:00Z!Failed g@2026-11-18T02:00Z h@2026-11-18T03:00Z "
      "i@2026-11-19T01:00Z!Canceled j@2026-11-19T05:00Z!Creating k@2026-11-19T06:00Z "
      "n@2026-11-20T10:00Z",
      "f g i j k n",
      { "g => daily to 3d: bucket 2026-11-18 (test.policy:1)",
        "k => daily to 3d: bucket 2026-11-19 (test.policy:1)",
        "j => " BUSY_WHY("Creating"), "h => " } },
    /* The newest backup is c (09:00): `within 2h` counts back from it, so
     * the cut is 07:00 (a, exactly 2h older, is out). */
    { "a failed newest takes neither `newest` nor the within reference",
      NULL, "within 2h", "2026-11-20T12:00Z", NULL, NULL, 0,
      "a@2026-11-20T07:00Z b@2026-11-20T08:30Z c@2026-11-20T09:00Z z@2026-11-20T11:00Z!Failed",
      "b c z",
      { "c => within 2h (test.policy:1); newest", "b => within 2h (test.policy:1)",
        "z => " FAILED_WHY("Failed"), "a => " } },
    /* Succeeded in any case and an empty state are backups; anything else
     * is not. */
    { "state spellings",
      NULL, "keep-all 1h", "2026-11-20T12:00Z", NULL, NULL, 0,
      "e@2026-11-20T07:00Z! a@2026-11-20T08:00Z!succeeded b@2026-11-20T09:00Z!Updating "
      "c@2026-11-20T10:00Z!Pending d@2026-11-20T10:30Z!CANCELED",
      "a b c d",
      { "a => newest", "b => " BUSY_WHY("Updating"), "d => " FAILED_WHY("CANCELED"),
        "e => " } },
    { "a failed snapshot with a hold tag is kept, tagged too",
      NULL, "last 1, tagged \"hold\"", "2026-11-20T12:00Z", NULL, NULL, 0,
      "a@2026-11-20T10:00Z f@2026-11-20T11:00Z!Failed#hold=1",
      "a f",
      { "f => " FAILED_WHY("Failed") "; tagged \"hold\" (test.policy:2)",
        "a => last 1: #1 (test.policy:1); newest" } },
    { "future and failed: both reasons",
      NULL, "last 1", "2026-11-20T12:00Z", NULL, NULL, 0,
      "a@2026-11-20T11:00Z f@2026-11-21T00:00Z!Failed",
      "a f",
      { "f => future: dated after now; " FAILED_WHY("Failed"),
        "a => last 1: #1 (test.policy:1); newest" } },
    { "a disk with failed snapshots only: kept, no newest",
      NULL, "last 1", "2026-11-20T12:00Z", NULL, NULL, 0,
      "x@2026-11-20T10:00Z!Failed w@2026-11-20T09:00Z!Creating",
      "x w",
      { "x => " FAILED_WHY("Failed"), "w => " BUSY_WHY("Creating") } },
};

/* ---- time zones ---- */

static const ev_case zone_cases[] = {
    /* Paris springs forward 2026-03-29 01:00Z. now = 03-30T14:00 CEST;
     * minus 3d = 03-27T14:00 CET = 13:00Z. Local midnights: 03-28 = 27T23Z,
     * 03-29 = 28T23Z, 03-30 = 29T22Z. */
    { "Paris: daily tier across spring-forward",
      "Europe/Paris", "daily to 3d", "2026-03-30T12:00Z",
      "2026-03-27T00:00Z", "2026-03-30T12:00Z", TB_HOUR, NULL,
      "03-27T14:00 03-27T23:00 03-28T23:00 03-29T22:00 03-30T12:00",
      { "03-29T22:00 => daily to 3d: bucket 2026-03-30 (test.policy:1)",
        "03-28T23:00 => daily to 3d: bucket 2026-03-29 (test.policy:1)" } },
    /* Paris falls back 2026-10-25 01:00Z. now = 10-26T13:00 CET; minus 3d
     * = 10-23T13:00 CEST = 11:00Z. Midnights: 10-24 = 23T22Z, 10-25 =
     * 24T22Z, 10-26 = 25T23Z. */
    { "Paris: daily tier across fall-back",
      "Europe/Paris", "daily to 3d", "2026-10-26T12:00Z",
      "2026-10-23T00:00Z", "2026-10-26T12:00Z", TB_HOUR, NULL,
      "10-23T12:00 10-23T22:00 10-24T22:00 10-25T23:00 10-26T12:00",
      { "10-25T23:00 => daily to 3d: bucket 2026-10-26 (test.policy:1)" } },
    /* The repeated local hour 02:00-03:00 is 00:00Z-02:00Z: one bucket. */
    { "Paris: the hour repeated at fall-back is one bucket",
      "Europe/Paris", "hourly to 4h", "2026-10-25T03:00Z",
      "2026-10-24T23:00Z", "2026-10-25T03:00Z", 30 * TB_MIN, NULL,
      "10-24T23:30 10-25T00:00 10-25T02:00 10-25T03:00",
      { "10-25T00:00 => hourly to 4h: bucket 2026-10-25T02:00+02:00 (test.policy:1)",
        "10-25T01:00 => " } },
    /* Calendar subtraction: now = 03-29T14:00 CEST, minus 1d = 03-28T14:00
     * CET = 13:00Z, only 23 h earlier. */
    { "Paris: keep-all 1d is 23 h on the short day",
      "Europe/Paris", "keep-all 1d", "2026-03-29T12:00Z", NULL, NULL, 0,
      "a@2026-03-28T12:30Z b@2026-03-28T13:30Z c@2026-03-29T12:00Z",
      "b c", { NULL } },
    /* New York falls back 2026-11-01 06:00Z. now = 11-02T07:00 EST; minus
     * 2d = 10-31T07:00 EDT = 11:00Z. Midnights: 11-01 = 04:00Z, 11-02 =
     * 05:00Z. */
    { "New York: daily tier across fall-back",
      "America/New_York", "daily to 2d", "2026-11-02T12:00Z",
      "2026-10-30T00:00Z", "2026-11-02T12:00Z", TB_HOUR, NULL,
      "10-31T12:00 11-01T04:00 11-02T05:00 11-02T12:00",
      { "11-01T04:00 => daily to 2d: bucket 2026-11-01 (test.policy:1)" } },
    /* New York springs forward 2026-03-08 07:00Z. now = 03-09T08:00 EDT;
     * minus 2d = 03-07T08:00 EST = 13:00Z. Midnights: 03-08 = 05:00Z,
     * 03-09 = 04:00Z. */
    { "New York: daily tier across spring-forward",
      "America/New_York", "daily to 2d", "2026-03-09T12:00Z",
      "2026-03-06T00:00Z", "2026-03-09T12:00Z", TB_HOUR, NULL,
      "03-07T14:00 03-08T05:00 03-09T04:00 03-09T12:00",
      { "03-09T04:00 => daily to 2d: bucket 2026-03-09 (test.policy:1)" } },
    /* Local 01:00-02:00 happens twice: 05:00Z-07:00Z is one hour bucket,
     * so 06:00Z is not the first of its hour. */
    { "New York: hourly count over the repeated hour",
      "America/New_York", "hourly all", "2026-11-01T09:30Z",
      "2026-11-01T03:00Z", "2026-11-01T09:00Z", TB_HOUR, NULL,
      "11-01T03:00 11-01T04:00 11-01T06:00 11-01T07:00 11-01T08:00 11-01T09:00",
      { "11-01T06:00 => hourly all: hour 2026-11-01T01:00-04:00 (#4) (test.policy:1)",
        "11-01T05:00 => " } },
    /* A window edge in a gap is the earliest instant the local time can
     * mean. New York springs forward 2026-03-08 07:00Z. newest = 03-09T02:30
     * EDT (06:30Z); minus 1d = 03-08T02:30, which does not occur: read at
     * EDT (the offset after the gap) it is 06:30Z = 01:30 EST, as restic's
     * `forget --keep-within 1d` computes it (Go's AddDate). b (01:45 EST)
     * and c (03:15 EDT) are inside; reading the gap with EST, as snapkeep
     * once did, put the edge at 07:30Z and pruned both. */
    { "New York: within 1d whose edge is in the spring-forward gap",
      "America/New_York", "within 1d", "2026-03-09T12:00Z", NULL, NULL, 0,
      "a@2026-03-08T06:20Z b@2026-03-08T06:45Z c@2026-03-08T07:15Z n@2026-03-09T06:30Z",
      "b c n",
      { "b => within 1d (test.policy:1)", "c => within 1d (test.policy:1)", "a => " } },
    /* The same edge for a tier: now = 03-09T02:30 EDT. */
    { "New York: keep-all 1d whose edge is in the spring-forward gap",
      "America/New_York", "keep-all 1d", "2026-03-09T06:30Z", NULL, NULL, 0,
      "a@2026-03-08T06:30Z b@2026-03-08T06:45Z c@2026-03-08T07:15Z",
      "b c", { "b => keep-all 1d (test.policy:1)" } },
    /* A repeated time stays the earlier instant: newest = 11-02T01:30 EST
     * (06:30Z); minus 1d = 11-01T01:30, which occurs at 05:30Z (EDT) and
     * 06:30Z (EST): the edge is 05:30Z, so b (05:45Z) is inside. */
    { "New York: within 1d whose edge is in the repeated hour",
      "America/New_York", "within 1d", "2026-11-02T12:00Z", NULL, NULL, 0,
      "a@2026-11-01T05:30Z b@2026-11-01T05:45Z n@2026-11-02T06:30Z",
      "b n", { "b => within 1d (test.policy:1)" } },
    /* Paris springs forward 2026-03-29 01:00Z. now = 03-30T02:30 CEST
     * (00:30Z); minus 1d = 03-29T02:30, in the gap: read at CEST, 00:30Z
     * (01:30 CET). b at 00:45Z is inside. */
    { "Paris: keep-all 1d whose edge is in the spring-forward gap",
      "Europe/Paris", "keep-all 1d", "2026-03-30T00:30Z", NULL, NULL, 0,
      "a@2026-03-29T00:30Z b@2026-03-29T00:45Z c@2026-03-29T01:15Z",
      "b c", { "b => keep-all 1d (test.policy:1)" } },
    /* Lord Howe's 30-minute gap 2026-10-04 02:00-02:30 local (15:30Z on the
     * 3rd). newest = 10-05T02:15 +11 (10-04T15:15Z); minus 1d = 10-04T02:15,
     * in the gap: read at +11, 10-03T15:15Z. b (01:50 +10:30 = 15:20Z) is
     * inside; read at +10:30 the edge would be 15:45Z. */
    { "Lord Howe: within 1d whose edge is in the 30-minute gap",
      "Australia/Lord_Howe", "within 1d", "2026-10-05T00:00Z", NULL, NULL, 0,
      "a@2026-10-03T15:10Z b@2026-10-03T15:20Z n@2026-10-04T15:15Z",
      "b n", { "b => within 1d (test.policy:1)" } },
    /* Lord Howe falls back 2026-04-05 02:00 +11 -> 01:30 +10:30 (04T15:00Z).
     * newest = 04-06T01:45 +10:30 (05T15:15Z); minus 1d = 04-05T01:45,
     * which occurs at 14:45Z (+11) and 15:15Z: the edge is 14:45Z. */
    { "Lord Howe: within 1d whose edge is in the repeated half hour",
      "Australia/Lord_Howe", "within 1d", "2026-04-06T00:00Z", NULL, NULL, 0,
      "a@2026-04-04T14:45Z b@2026-04-04T14:50Z n@2026-04-05T15:15Z",
      "b n", { "b => within 1d (test.policy:1)" } },
    /* Daily count in Paris: the day boundary is local midnight. */
    { "Paris: daily 2 uses local days",
      "Europe/Paris", "daily 2", "2026-11-20T12:00Z", NULL, NULL, 0,
      "a@2026-11-18T22:30Z b@2026-11-19T22:30Z c@2026-11-19T23:30Z",
      "b c",
      { "b => daily 2: day 2026-11-19 (#2) (test.policy:1)",
        "c => daily 2: day 2026-11-20 (#1) (test.policy:1); newest" } },
};

static void test_table(const ev_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_case(&cases[i]);
}

static void test_tiers(void **state)
{
    (void)state;
    test_table(tier_cases, sizeof tier_cases / sizeof tier_cases[0]);
}

static void test_counts(void **state)
{
    (void)state;
    test_table(count_cases, sizeof count_cases / sizeof count_cases[0]);
}

static void test_other_rules(void **state)
{
    (void)state;
    test_table(other_cases, sizeof other_cases / sizeof other_cases[0]);
}

static void test_states(void **state)
{
    (void)state;
    test_table(state_cases, sizeof state_cases / sizeof state_cases[0]);
}

/* The backup predicate plan and run share (enf_snapshot_usable), and the
 * failed one (not enf_snapshot_taken). */
static void test_backup_predicate(void **state)
{
    (void)state;
    static const struct { const char *st; bool backup, failed; } cases[] = {
        { NULL, true, false },        { "", true, false },
        { "Succeeded", true, false }, { "SUCCEEDED", true, false },
        { "succeeded", true, false }, { "Succeeded ", false, false },
        { "Succeed", false, false },  { "Creating", false, false },
        { "Updating", false, false }, { "Failed", false, true },
        { "failed", false, true },    { "Canceled", false, true },
        { "CANCELED", false, true },  { "Cancelled", false, false },
    };
    inv_inventory *inv = tb_inv();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        inv_snapshot *s = tb_snap(inv, "s", D1, 0);
        tb_snap_state(inv, s, cases[i].st);
        const char *st = cases[i].st ? cases[i].st : "(null)";
        if (enf_snapshot_usable(s) != cases[i].backup)
            fail_msg("%s: backup %d", st, !cases[i].backup);
        if (enf_snapshot_taken(s) == cases[i].failed)
            fail_msg("%s: failed %d", st, !cases[i].failed);
    }
    inv_free(inv);
}

/* Flags, counts and notes: a note per failed snapshot a policy owns (the
 * report's warning), none for in-progress ones or for unmanaged ones. */
static void test_state_flags_and_notes(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("st", false, NULL);
    tb_rules(p, "last 1");
    tb_disk(p, "d1");
    p->adopt_untagged = true;
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "good", D1, tb_time("2026-11-20T09:00Z"));
    tb_snap_state(inv, tb_snap(inv, "bad", D1, tb_time("2026-11-20T10:00Z")), "Failed");
    tb_snap_state(inv, tb_snap(inv, "busy", D1, tb_time("2026-11-20T11:00Z")), "Updating");
    tb_snap_state(inv, tb_snap(inv, "other", TB_DISK_ID("d2"), tb_time("2026-11-20T11:00Z")),
                  "Failed");
    eng_plan *plan = tb_eval(&p, 1, inv, tb_time("2026-11-20T12:00Z"));
    assert_int_equal(plan->nkeep, 4);
    assert_int_equal(plan->nprune, 0);
    assert_int_equal(plan->nfailed, 2);
    assert_int_equal(plan->ninprogress, 1);
    assert_true(tb_find(plan, "bad")->failed);
    assert_false(tb_find(plan, "bad")->in_progress);
    assert_true(tb_find(plan, "busy")->in_progress);
    assert_false(tb_find(plan, "busy")->failed);
    assert_false(tb_find(plan, "good")->failed || tb_find(plan, "good")->in_progress);
    assert_true(tb_find(plan, "good")->newest);
    assert_false(tb_find(plan, "busy")->newest);
    assert_true(tb_find(plan, "other")->unmanaged);
    assert_int_equal(plan->ngroups, 1);
    assert_int_equal(plan->groups[0].newest, tb_time("2026-11-20T09:00Z"));
    assert_int_equal(plan->groups[0].nsnapshots, 3);
    assert_int_equal(plan->nnotes, 2);     /* and: no disk list, identity not judged */
    assert_true(plan->identity_unjudged);
    assert_non_null(strstr(plan->notes[1].message, "no disk list"));
    assert_ptr_equal(plan->notes[0].snap, &inv->snapshots[1]);
    assert_ptr_equal(plan->notes[0].policy, p);
    assert_non_null(strstr(plan->notes[0].message, "\"bad\""));
    assert_non_null(strstr(plan->notes[0].message, "Failed"));
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

static void test_zones(void **state)
{
    (void)state;
    test_table(zone_cases, sizeof zone_cases / sizeof zone_cases[0]);
}

/* The seed policy over 20 days of hourly snapshots, for now at every minute
 * offset of one day: 24 (keep-all) + 12 or 13 (every 12h over 6 days) + 8
 * or 9 (daily over 8 days), within the 44-46. On the hour exactly:
 * 24 + 13 + 9 = 46. */
static void test_seed(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("seed", true, NULL);
    tb_rules(p, "keep-all 24h, every 12h to 7d, daily to 15d");
    sk_time end = tb_time("2026-11-26T12:00Z");
    for (int64_t off = 0; off < 24 * 60; off += 23) {
        inv_inventory *inv = tb_inv();
        sk_time last = end + off * TB_MIN;
        size_t n = tb_series(inv, "", D1, last - 20 * TB_DAY + TB_HOUR, last, TB_HOUR);
        assert_int_equal(n, 480);
        for (int64_t late = 0; late < 60; late += 29) {
            eng_plan *plan = tb_eval(&p, 1, inv, last + late * TB_MIN);
            size_t k = tb_count_kept(plan);
            if (k < 44 || k > 46)
                fail_msg("offset %lld min, now +%lld min: %zu kept", (long long)off,
                         (long long)late, k);
            if (late == 0 && off == 0)
                assert_int_equal(k, 46);
            assert_int_equal(plan->ngroups, 1);
            assert_int_equal(plan->groups[0].nkeep, k);
            assert_int_equal(plan->groups[0].nprune, 480 - k);
            eng_plan_free(plan);
        }
        inv_free(inv);
    }
    tb_policy_free(p);
}

/* Replaying the seed hourly (apply each plan, one new snapshot an hour with
 * up to 5 minutes of delay): after 15 days of warm-up every run deletes 0
 * to 2 snapshots, one on average, and 44 to 46 stay. */
static void test_seed_steady_state(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("seed", true, NULL);
    tb_rules(p, "keep-all 24h, every 12h to 7d, daily to 15d");
    enum { HOURS = 30 * 24, WARM = 16 * 24 };
    sk_time *have = calloc(HOURS, sizeof *have);
    assert_non_null(have);
    size_t nhave = 0, deleted = 0, runs = 0;
    sk_time start = tb_time("2026-10-01T00:00Z");
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int h = 0; h < HOURS; h++) {
        sk_time now = start + h * TB_HOUR;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        have[nhave++] = now - (sk_time)(x % 300) * SK_USEC_PER_SEC;
        inv_inventory *inv = tb_inv();
        for (size_t i = 0; i < nhave; i++) {
            char name[32];
            snprintf(name, sizeof name, "s%zu", i);
            tb_snap(inv, name, D1, have[i]);
        }
        eng_plan *plan = tb_eval(&p, 1, inv, now + 10 * TB_MIN);
        size_t kept = 0;
        for (size_t i = 0; i < nhave; i++)
            if (plan->decisions[i].action == ENG_KEEP)
                have[kept++] = have[i];
        if (h >= WARM) {
            if (plan->nprune > 2 || kept < 44 || kept > 46)
                fail_msg("hour %d: %zu deleted, %zu kept", h, plan->nprune, kept);
            deleted += plan->nprune;
            runs++;
        }
        nhave = kept;
        eng_plan_free(plan);
        inv_free(inv);
    }
    /* one a run on average: what comes in goes out */
    assert_true(deleted * 10 >= runs * 9 && deleted * 10 <= runs * 11);
    free(have);
    tb_policy_free(p);
}

/* The example of snapkeep.policy(5) (policies/dss-datadir.policy) through
 * the real parser: rule text and locations in reasons come from the parsed
 * tree. */
static void test_parsed_example(void **state)
{
    (void)state;
    static const char text[] =
        "# policies/dss-datadir.policy\n"
        "timezone \"UTC\"\n"
        "\n"
        "policy \"dss-datadir\" {\n"
        "    resource-group \"dss-prod\"\n"
        "    disk \"dss-data\"\n"
        "    snapshot every 1h\n"
        "    keep-all 24h, every 12h to 7d, daily to 15d\n"
        "    last 3                  # floor if hourly snapshots ever stop\n"
        "    tagged \"legal-hold\"     # a hand-marked snapshot is never pruned\n"
        "    max-delete 24\n"
        "}\n";
    pol_diags diags = { 0 };
    pol_file *f = pol_parse_string("policies/dss-datadir.policy", text, strlen(text),
                                   &pol_zones_host, &diags);
    if (f == NULL && diags.n > 0)
        fail_msg("parse: %s", diags.items[0].message);
    assert_non_null(f);
    pol_diags_free(&diags);
    const char *disk = "/subscriptions/" TB_SUB "/resourceGroups/dss-prod/providers/"
                       "Microsoft.Compute/disks/dss-data";
    inv_inventory *inv = tb_inv();
    sk_time now = tb_time("2026-11-26T12:00Z");
    for (sk_time t = now - 20 * TB_DAY + TB_HOUR; t <= now; t += TB_HOUR) {
        char name[32];
        tb_snap_tag(inv, tb_snap(inv, tb_time_str(t, name, sizeof name), disk, t),
                    POL_OWNER_TAG, "dss-datadir");
    }
    inv_snapshot *hold = tb_snap(inv, "hold", disk, tb_time("2026-09-01T00:00Z"));
    tb_snap_tag(inv, hold, POL_OWNER_TAG, "dss-datadir");
    tb_snap_tag(inv, &inv->snapshots[inv->nsnapshots - 1], "legal-hold", "case 42");
    tb_snap(inv, "by-hand", disk, tb_time("2026-09-01T00:00Z"));
    tb_snap(inv, "logs", "/subscriptions/" TB_SUB "/resourceGroups/dss-prod/providers/"
            "Microsoft.Compute/disks/dss-logs", tb_time("2026-09-01T00:00Z"));
    eng_plan *plan = tb_eval(f->policies, f->npolicies, inv, now);
    assert_int_equal(plan->ngroups, 1);
    assert_int_equal(plan->groups[0].nkeep, 46 + 1);
    assert_int_equal(plan->nunmanaged, 2);
    static const char *const why[] = {
        "2026-11-26T12:00 => keep-all 24h (policies/dss-datadir.policy:8); "
        "last 3: #1 (policies/dss-datadir.policy:9); newest",
        "2026-11-25T00:00 => every 12h to 7d: bucket 2026-11-25T00:00Z "
        "(policies/dss-datadir.policy:8)",
        "2026-11-19T00:00 => daily to 15d: bucket 2026-11-19 (policies/dss-datadir.policy:8)",
        "hold => tagged \"legal-hold\" (policies/dss-datadir.policy:10)",
        "by-hand => unmanaged: not owned by policy \"dss-datadir\" (no snapkeep-policy tag)",
        "logs => unmanaged: no policy governs it",
    };
    for (size_t i = 0; i < sizeof why / sizeof why[0]; i++)
        check_why(plan, why[i]);
    eng_plan_free(plan);
    inv_free(inv);
    pol_file_free(f);
}

/* ---- scope, ownership, several policies ---- */

#define SUB2 "11111111-2222-3333-4444-555555555555"
#define ID(sub, rg, disk) \
    "/subscriptions/" sub "/resourceGroups/" rg "/providers/Microsoft.Compute/disks/" disk

/* Each snapshot is alone in its group, so every owned one is its group's
 * newest and kept: the interesting output is which reasons it gets. */
typedef struct scope_case {
    const char *title;
    const char *sub, *rg;
    const char *disks[3];
    const char *source;     /* the snapshot's source, NULL: none */
    bool governed;
} scope_case;

static const scope_case scope_cases[] = {
    { "no scope setting governs all", NULL, NULL, { NULL }, ID(TB_SUB, "x", "d"), true },
    { "no scope setting governs a snapshot without source", NULL, NULL, { NULL }, NULL, true },
    { "any scope setting excludes a snapshot without source", NULL, "rg", { NULL }, NULL, false },
    { "resource group, case-insensitive", NULL, "DSS-Prod", { NULL },
      ID(TB_SUB, "dss-prod", "d"), true },
    { "other resource group", NULL, "dss-prod", { NULL }, ID(TB_SUB, "dss-test", "d"), false },
    { "subscription, case-insensitive", "00000000-0000-0000-0000-0000000000AA", NULL, { NULL },
      ID(TB_SUB, "x", "d"), true },
    { "other subscription", TB_SUB, NULL, { NULL }, ID(SUB2, "x", "d"), false },
    { "disk name in any resource group", NULL, NULL, { "dss-data" },
      ID(SUB2, "any", "DSS-DATA"), true },
    { "disk name within the policy's resource group", NULL, "rg1", { "dss-data" },
      ID(TB_SUB, "rg2", "dss-data"), false },
    { "other disk name", NULL, NULL, { "dss-data", "dss-logs" }, ID(TB_SUB, "rg", "dss-tmp"), false },
    { "second disk entry", NULL, NULL, { "dss-data", "dss-logs" }, ID(TB_SUB, "rg", "dss-logs"), true },
    { "disk name is not a prefix match", NULL, NULL, { "dss" }, ID(TB_SUB, "rg", "dss-data"), false },
    { "disk ID, case-insensitive", NULL, NULL, { ID(TB_SUB, "RG", "Data") },
      ID(TB_SUB, "rg", "data"), true },
    { "source without leading slash", NULL, NULL, { ID(TB_SUB, "rg", "data") },
      "subscriptions/" TB_SUB "/resourceGroups/rg/providers/Microsoft.Compute/disks/data", true },
    { "disk ID without leading slash", NULL, NULL,
      { "subscriptions/" TB_SUB "/resourceGroups/rg/providers/Microsoft.Compute/disks/data" },
      ID(TB_SUB, "rg", "data"), true },
    { "disk ID of another disk", NULL, NULL, { ID(TB_SUB, "rg", "data") },
      ID(TB_SUB, "rg", "data2"), false },
    { "a name does not match a non-disk resource", NULL, NULL, { "data" },
      "/subscriptions/" TB_SUB "/resourceGroups/rg/providers/Microsoft.Compute/snapshots/data",
      false },
};

static void test_scope(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof scope_cases / sizeof scope_cases[0]; i++) {
        const scope_case *c = &scope_cases[i];
        pol_policy *p = tb_policy("pol", false, NULL);
        tb_rules(p, "keep-all 1h");
        tb_scope(p, c->sub, c->rg);
        for (size_t k = 0; k < 3 && c->disks[k] != NULL; k++)
            tb_disk(p, c->disks[k]);
        inv_inventory *inv = tb_inv();
        tb_snap_tag(inv, tb_snap(inv, "s", c->source, tb_time("2026-11-01T00:00Z")),
                    POL_OWNER_TAG, "pol");
        if (eng_policy_scopes(p, &inv->snapshots[0], inv) != c->governed)
            fail_msg("%s: eng_policy_scopes", c->title);
        assert_int_equal(eng_policy_owns(p, &inv->snapshots[0], inv), c->governed);
        eng_plan *plan = tb_eval(&p, 1, inv, tb_time("2026-11-20T00:00Z"));
        char *why = tb_reasons(&plan->decisions[0]);
        const char *want = c->governed ? "newest" : "unmanaged: no policy governs it";
        if (strcmp(why, want) != 0)
            fail_msg("%s: got '%s', want '%s'", c->title, why, want);
        assert_int_equal(plan->nunmanaged, c->governed ? 0 : 1);
        assert_int_equal(plan->decisions[0].group, c->governed ? 0 : SIZE_MAX);
        free(why);
        eng_plan_free(plan);
        inv_free(inv);
        tb_policy_free(p);
    }
}

/* Ownership: tag = name, other tag, untagged, adopt untagged, bare body. */
static void test_ownership(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("dss", false, NULL);
    tb_rules(p, "keep-all 1h");
    tb_disk(p, "d1");
    inv_inventory *inv = tb_inv();
    sk_time t0 = tb_time("2026-11-01T00:00Z");
    tb_snap_tag(inv, tb_snap(inv, "mine-old", D1, t0), POL_OWNER_TAG, "dss");
    tb_snap_tag(inv, tb_snap(inv, "mine-new", D1, t0 + TB_HOUR), POL_OWNER_TAG, "dss");
    tb_snap_tag(inv, tb_snap(inv, "other", D1, t0), POL_OWNER_TAG, "other");
    tb_snap(inv, "untagged", D1, t0 - TB_HOUR);
    tb_snap_tag(inv, tb_snap(inv, "case", D1, t0), "SNAPKEEP-POLICY", "dss");
    tb_snap(inv, "elsewhere", TB_DISK_ID("d2"), t0);
    sk_time now = tb_time("2026-11-20T00:00Z");

    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "mine-new other untagged elsewhere");
    free(kept);
    char *why = tb_reasons(tb_find(plan, "untagged"));
    assert_string_equal(why, "unmanaged: not owned by policy \"dss\" (no snapkeep-policy tag)");
    free(why);
    why = tb_reasons(tb_find(plan, "other"));
    assert_string_equal(why, "unmanaged: not owned by policy \"dss\" "
                             "(its snapkeep-policy tag is \"other\")");
    free(why);
    why = tb_reasons(tb_find(plan, "elsewhere"));
    assert_string_equal(why, "unmanaged: no policy governs it");
    free(why);
    assert_true(tb_find(plan, "untagged")->unmanaged);
    assert_int_equal(tb_find(plan, "untagged")->group, SIZE_MAX);
    assert_ptr_equal(tb_find(plan, "untagged")->policy, p);
    assert_null(tb_find(plan, "elsewhere")->policy);
    assert_int_equal(plan->nunmanaged, 3);
    /* the tag key compares case-insensitively, the value exactly: "case"
     * is owned, and pruned (mine-new is newer) */
    assert_int_equal(tb_find(plan, "case")->action, ENG_PRUNE);
    assert_int_equal(tb_find(plan, "mine-old")->action, ENG_PRUNE);
    assert_ptr_equal(tb_find(plan, "mine-old")->policy, p);
    assert_int_equal(plan->ngroups, 1);
    assert_int_equal(plan->groups[0].nsnapshots, 3);
    assert_int_equal(plan->groups[0].nkeep, 1);
    assert_int_equal(plan->groups[0].nprune, 2);
    eng_plan_free(plan);

    /* adopt untagged: the untagged one joins (and is pruned: older than
     * mine-new); "other" still belongs to someone else. */
    p->adopt_untagged = true;
    plan = tb_eval(&p, 1, inv, now);
    kept = tb_kept(plan);
    assert_string_equal(kept, "mine-new other elsewhere");
    free(kept);
    assert_int_equal(plan->groups[0].nsnapshots, 4);
    eng_plan_free(plan);

    /* a bare body owns whatever it is given */
    pol_policy *bare = tb_policy("bare", true, NULL);
    tb_rules(bare, "keep-all 1h");
    plan = tb_eval(&bare, 1, inv, now);
    kept = tb_kept(plan);
    assert_string_equal(kept, "mine-new elsewhere");
    free(kept);
    assert_int_equal(plan->nunmanaged, 0);
    assert_int_equal(plan->ngroups, 2);
    eng_plan_free(plan);

    tb_policy_free(bare);
    tb_policy_free(p);
    inv_free(inv);
}

/* Two policies over one disk, both owning (bare bodies): kept if either
 * keeps it; reasons from both, in policy order. */
static void test_several_policies(void **state)
{
    (void)state;
    pol_policy *a = tb_policy("a", true, NULL);
    pol_policy *b = tb_policy("b", true, NULL);
    tb_rules(a, "last 2");
    tb_rules(b, "daily 3");
    pol_policy *both[2] = { a, b };
    inv_inventory *inv = tb_inv();
    tb_series(inv, "", D1, tb_time("2026-11-17T00:00Z"), tb_time("2026-11-20T18:00Z"),
              6 * TB_HOUR);
    eng_plan *plan = tb_eval(both, 2, inv, tb_time("2026-11-21T00:00Z"));
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "11-18T18:00 11-19T18:00 11-20T12:00 11-20T18:00");
    free(kept);
    char *why = tb_reasons(tb_find(plan, "11-20T18:00"));
    assert_string_equal(why, "last 2: #1 (test.policy:1); newest; daily 3: day 2026-11-20 (#1) "
                             "(test.policy:1); newest");
    free(why);
    assert_ptr_equal(tb_find(plan, "11-19T18:00")->policy, b);
    assert_ptr_equal(tb_find(plan, "11-20T12:00")->policy, a);
    assert_int_equal(plan->ngroups, 2);
    assert_int_equal(tb_find(plan, "11-19T18:00")->group, 1);
    eng_plan_free(plan);

    /* block policies: one owns via its tag, the other governs the same disk
     * but does not own: the owner alone decides. */
    pol_policy *x = tb_policy("x", false, NULL);
    pol_policy *y = tb_policy("y", false, NULL);
    tb_rules(x, "last 1");
    tb_rules(y, "last 1");
    inv_inventory *inv2 = tb_inv();
    tb_snap_tag(inv2, tb_snap(inv2, "x1", D1, tb_time("2026-11-01T00:00Z")), POL_OWNER_TAG, "x");
    tb_snap_tag(inv2, tb_snap(inv2, "x2", D1, tb_time("2026-11-02T00:00Z")), POL_OWNER_TAG, "x");
    tb_snap_tag(inv2, tb_snap(inv2, "y1", D1, tb_time("2026-11-01T00:00Z")), POL_OWNER_TAG, "y");
    tb_snap_tag(inv2, tb_snap(inv2, "y2", D1, tb_time("2026-11-02T00:00Z")), POL_OWNER_TAG, "y");
    pol_policy *xy[2] = { x, y };
    plan = tb_eval(xy, 2, inv2, tb_time("2026-11-21T00:00Z"));
    kept = tb_kept(plan);
    assert_string_equal(kept, "x2 y2");
    free(kept);
    assert_int_equal(plan->nunmanaged, 0);
    assert_ptr_equal(tb_find(plan, "y1")->policy, y);
    eng_plan_free(plan);

    tb_policy_free(x);
    tb_policy_free(y);
    inv_free(inv2);
    tb_policy_free(a);
    tb_policy_free(b);
    inv_free(inv);
}

/* `disks tagged`: needs the disk inventory; offline it matches nothing and
 * the plan says so once per policy. */
/* A policy with nothing to work on says so (issue: an empty inventory
 * planned "0 snapshots" silently), and so does a `disk` entry no snapshot
 * comes from. */
static size_t notes_with(const eng_plan *plan, const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->nnotes; i++)
        n += strstr(plan->notes[i].message, text) != NULL;
    return n;
}

static void test_empty_scope_notes(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("blk", false, NULL);
    tb_rules(p, "last 1");
    tb_disk(p, "d1");
    tb_disk(p, "d3");
    pol_policy *bare = tb_policy("bare", true, NULL);
    tb_rules(bare, "last 1");
    /* an empty inventory: one note per policy */
    inv_inventory *inv = tb_inv();
    pol_policy *both[] = { p, bare };
    eng_plan *plan = tb_eval(both, 2, inv, tb_time("2026-11-21T00:00Z"));
    assert_int_equal(plan->nnotes, 2);
    assert_int_equal(notes_with(plan, "the inventory holds no snapshot at all"), 2);
    assert_ptr_equal(plan->notes[0].policy, p);
    assert_non_null(strstr(plan->notes[0].message, "\"blk\""));
    eng_plan_free(plan);
    inv_free(inv);
    /* snapshots of another disk only: the block's scope selects none */
    inv = tb_inv();
    tb_snap(inv, "x1", TB_DISK_ID("d2"), tb_time("2026-11-01T00:00Z"));
    tb_snap(inv, "x2", TB_DISK_ID("d2"), tb_time("2026-11-02T00:00Z"));
    plan = tb_eval(&p, 1, inv, tb_time("2026-11-21T00:00Z"));
    assert_int_equal(plan->nnotes, 1);
    assert_non_null(strstr(plan->notes[0].message,
                           "none of the inventory's 2 snapshots is in its scope"));
    eng_plan_free(plan);
    /* d1 has snapshots, d3 none: a note for d3 alone */
    tb_snap(inv, "a1", D1, tb_time("2026-11-01T00:00Z"));
    plan = tb_eval(&p, 1, inv, tb_time("2026-11-21T00:00Z"));
    assert_int_equal(plan->nnotes, 1);
    assert_non_null(strstr(plan->notes[0].message, "disk \"d3\" has no snapshot in the inventory"));
    eng_plan_free(plan);
    /* the bare body governs them all: no scope note (only the one line
     * saying that, without a disk list, identity was not judged) */
    plan = tb_eval(&bare, 1, inv, tb_time("2026-11-21T00:00Z"));
    assert_int_equal(notes_with(plan, "no snapshot"), 0);
    assert_int_equal(notes_with(plan, "in its scope"), 0);
    assert_int_equal(plan->nnotes, notes_with(plan, "no disk list"));
    eng_plan_free(plan);
    inv_free(inv);
    tb_policy_free(p);
    tb_policy_free(bare);
}

static void test_disk_tags(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("tagged-disks", false, NULL);
    tb_rules(p, "last 1");
    tb_disk_tag(p, "role", "dss-data");
    p->adopt_untagged = true;
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "a1", D1, tb_time("2026-11-01T00:00Z"));
    tb_snap(inv, "a2", D1, tb_time("2026-11-02T00:00Z"));
    tb_snap(inv, "b1", TB_DISK_ID("d2"), tb_time("2026-11-01T00:00Z"));
    tb_snap(inv, "b2", TB_DISK_ID("d2"), tb_time("2026-11-02T00:00Z"));
    sk_time now = tb_time("2026-11-21T00:00Z");

    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "a1 a2 b1 b2");
    free(kept);
    assert_int_equal(plan->nnotes, 1);
    assert_ptr_equal(plan->notes[0].policy, p);
    assert_non_null(strstr(plan->notes[0].message, "tagged-disks"));
    assert_non_null(strstr(plan->notes[0].message, "offline"));
    eng_plan_free(plan);

    inv->disks_known = true;
    inv_disk *d = tb_inv_disk(inv, "subscriptions/" TB_SUB
                              "/resourcegroups/RG/providers/Microsoft.Compute/disks/D1");
    tb_inv_disk_tag(inv, d, "Role", "dss-data");
    d = tb_inv_disk(inv, TB_DISK_ID("d2"));
    tb_inv_disk_tag(inv, d, "role", "other");
    plan = tb_eval(&p, 1, inv, now);
    kept = tb_kept(plan);
    assert_string_equal(kept, "a2 b1 b2");
    free(kept);
    assert_int_equal(plan->nnotes, 0);
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

/* Sources compare case-insensitively and with or without the leading '/':
 * one group; a snapshot without source is a group of its own. */
static void test_groups(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("g", true, NULL);
    tb_rules(p, "last 1");
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "a", D1, tb_time("2026-11-01T00:00Z"));
    tb_snap(inv, "b", "SUBSCRIPTIONS/" TB_SUB "/resourcegroups/RG/providers/"
            "microsoft.compute/disks/D1", tb_time("2026-11-02T00:00Z"));
    tb_snap(inv, "c", NULL, tb_time("2026-11-01T00:00Z"));
    tb_snap(inv, "d", "", tb_time("2026-11-02T00:00Z"));
    tb_snap(inv, "e", TB_DISK_ID("d2"), tb_time("2026-11-01T00:00Z"));
    eng_plan *plan = tb_eval(&p, 1, inv, tb_time("2026-11-21T00:00Z"));
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "b d e");
    free(kept);
    assert_int_equal(plan->ngroups, 3);
    assert_string_equal(plan->groups[0].source_id, D1);
    assert_null(plan->groups[1].source_id);
    assert_int_equal(plan->groups[0].newest, tb_time("2026-11-02T00:00Z"));
    assert_int_equal(plan->groups[0].nsnapshots, 2);
    assert_true(tb_find(plan, "b")->newest);
    assert_false(tb_find(plan, "a")->newest);
    assert_int_equal(plan->nkeep, 3);
    assert_int_equal(plan->nprune, 2);
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

static void test_future_counts_and_notes(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("f", true, NULL);
    tb_rules(p, "last 1");
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "past", D1, tb_time("2026-11-01T00:00Z"));
    tb_snap(inv, "soon", D1, tb_time("2026-11-21T00:00:01Z"));
    tb_snap(inv, "now", D1, tb_time("2026-11-21T00:00Z"));
    eng_plan *plan = tb_eval(&p, 1, inv, tb_time("2026-11-21T00:00Z"));
    assert_int_equal(plan->nfuture, 1);
    assert_int_equal(plan->nkeep, 2);
    assert_int_equal(plan->nnotes, 2);     /* and: no disk list, identity not judged */
    assert_true(plan->identity_unjudged);
    assert_non_null(strstr(plan->notes[1].message, "no disk list"));
    assert_ptr_equal(plan->notes[0].snap, &inv->snapshots[1]);
    assert_non_null(strstr(plan->notes[0].message, "\"soon\""));
    assert_true(tb_find(plan, "soon")->future);
    assert_false(tb_find(plan, "now")->future);
    assert_true(tb_find(plan, "now")->newest);
    assert_int_equal(plan->groups[0].newest, tb_time("2026-11-21T00:00Z"));
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

static void test_empty_and_refused(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("e", true, NULL);
    inv_inventory *inv = tb_inv();
    tb_snap(inv, "s", D1, tb_time("2026-11-01T00:00Z"));
    eng_plan *plan = (eng_plan *)&plan;
    char err[128];
    /* no rule: refused, never "prune everything" */
    assert_int_equal(eng_evaluate((const pol_policy *const *)&p, 1, inv, 0, &plan, err,
                                  sizeof err), -1);
    assert_null(plan);
    assert_non_null(strstr(err, "no retention rule"));
    tb_rules(p, "last 1");
    inv_inventory *empty = tb_inv();
    plan = tb_eval(&p, 1, empty, 0);
    assert_int_equal(plan->ndecisions, 0);
    assert_int_equal(plan->ngroups, 0);
    eng_plan_free(plan);
    /* no policy at all: everything unmanaged and kept */
    plan = tb_eval(NULL, 0, inv, 0);
    assert_int_equal(plan->nunmanaged, 1);
    assert_int_equal(plan->nkeep, 1);
    eng_plan_free(plan);
    eng_plan_free(NULL);
    inv_free(empty);
    inv_free(inv);
    tb_policy_free(p);
}

/* A zone whose clock steps back across midnight: +01:00 until
 * 2026-06-15T23:30Z, then +00:00, so local time goes from 06-16T00:30 back
 * to 06-15T23:30. The day key falls back, and the tier must still keep one
 * snapshot per day: the oldest. Made as TZif v1 bytes here, since no real
 * zone in the tzdata of today does this. */
static eng_tz *backward_zone(void)
{
    unsigned char d[44 + 4 + 1 + 12 + 8] = { 'T', 'Z', 'i', 'f' };
    const int64_t x = tb_time("2026-06-15T23:30Z") / SK_USEC_PER_SEC;
    unsigned char *p = d + 32;
    const uint32_t counts[] = { 1, 2, 8 };  /* timecnt, typecnt, charcnt */
    for (int i = 0; i < 3; i++, p += 4)
        p[0] = 0, p[1] = 0, p[2] = 0, p[3] = (unsigned char)counts[i];
    p[0] = (unsigned char)(x >> 24), p[1] = (unsigned char)(x >> 16);
    p[2] = (unsigned char)(x >> 8), p[3] = (unsigned char)x;
    p[4] = 1;                                   /* after x: type 1 */
    p += 5;
    const unsigned char types[12] = { 0, 0, 0x0e, 0x10, 0, 0,   /* +3600 "ONE" */
                                      0, 0, 0, 0, 0, 4 };       /* 0 "ZRO" */
    memcpy(p, types, 12);
    memcpy(p + 12, "ONE\0ZRO\0", 8);
    char err[128];
    eng_tz *tz = eng_tz_parse("Test/Back", d, sizeof d, err, sizeof err);
    if (tz == NULL)
        fail_msg("crafted zone: %s", err);
    return tz;
}

static void test_backward_clock(void **state)
{
    (void)state;
    /* local: a 06-15 21:30, b 06-16 00:20, c 06-15 23:40, d 06-16 00:20,
     * e 06-16 02:30 */
    static const char *const when[] = { "2026-06-15T20:30Z", "2026-06-15T23:20Z",
                                        "2026-06-15T23:40Z", "2026-06-16T00:20Z",
                                        "2026-06-16T02:30Z" };
    static const char *const names[] = { "a", "b", "c", "d", "e" };
    static const struct { const char *rules, *kept; } cases[] = {
        { "daily to 3d", "a b e" },
        /* restic compares with the last kept value only: the day that comes
         * back is kept again. */
        { "daily all", "a b c e" },
    };
    inv_inventory *inv = tb_inv();
    for (int i = 0; i < 5; i++)
        tb_snap(inv, names[i], D1, tb_time(when[i]));
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        pol_policy *p = tb_policy("back", true, NULL);
        eng_tz_free(p->tz);
        p->tz = backward_zone();
        assert_int_equal(eng_bucket(ENG_DAY, p->tz, tb_time(when[2])),
                         eng_bucket(ENG_DAY, p->tz, tb_time(when[0])));
        tb_rules(p, cases[c].rules);
        eng_plan *plan = tb_eval(&p, 1, inv, tb_time("2026-06-16T12:00Z"));
        char *kept = tb_kept(plan);
        if (strcmp(kept, cases[c].kept) != 0)
            fail_msg("%s: kept '%s', want '%s'", cases[c].rules, kept, cases[c].kept);
        free(kept);
        eng_plan_free(plan);
        tb_policy_free(p);
    }
    inv_free(inv);
}

static void test_reason_format(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("dss-datadir", false, NULL);
    tb_rules(p, "every 12h to 7d, daily to 15d");
    p->rules[0].loc = (pol_loc){ "policies/dss-datadir.policy", 6, 5 };
    eng_reason r = { .kind = ENG_R_RULE, .policy = p, .rule = &p->rules[0], .has_bucket = true,
                     .bucket = eng_every_bucket(tb_time("2026-11-20T13:00Z"), 12 * TB_HOUR) };
    char buf[ENG_REASON_BUFSZ];
    size_t n = eng_reason_format(&r, buf, sizeof buf);
    assert_string_equal(buf, "every 12h to 7d: bucket 2026-11-20T12:00Z "
                             "(policies/dss-datadir.policy:6)");
    assert_int_equal(n, strlen(buf));
    /* truncation keeps a terminated prefix */
    n = eng_reason_format(&r, buf, 10);
    assert_int_equal(n, 9);
    assert_string_equal(buf, "every 12h");
    r = (eng_reason){ .kind = ENG_R_NOT_OWNED, .policy = p };
    eng_reason_format(&r, buf, sizeof buf);
    assert_string_equal(buf, "unmanaged: not owned by policy \"dss-datadir\" "
                             "(no snapkeep-policy tag)");
    r = (eng_reason){ .kind = ENG_R_FUTURE, .policy = p };
    eng_reason_format(&r, buf, sizeof buf);
    assert_string_equal(buf, "future: dated after now");
    r = (eng_reason){ .kind = ENG_R_IN_PROGRESS, .policy = p, .state = "Updating" };
    eng_reason_format(&r, buf, sizeof buf);
    assert_string_equal(buf, "in progress: provisioningState Updating, not yet a backup");
    r = (eng_reason){ .kind = ENG_R_FAILED, .policy = p, .state = "Failed" };
    eng_reason_format(&r, buf, sizeof buf);
    assert_string_equal(buf, "failed: provisioningState Failed, not a backup "
                             "(delete it by hand)");
    tb_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiers),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_other_rules),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_backup_predicate),
        cmocka_unit_test(test_state_flags_and_notes),
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_seed_steady_state),
        cmocka_unit_test(test_parsed_example),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_ownership),
        cmocka_unit_test(test_several_policies),
        cmocka_unit_test(test_disk_tags),
        cmocka_unit_test(test_empty_scope_notes),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_future_counts_and_notes),
        cmocka_unit_test(test_empty_and_refused),
        cmocka_unit_test(test_backward_clock),
        cmocka_unit_test(test_reason_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
