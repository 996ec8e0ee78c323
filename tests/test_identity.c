/* A disk is its uniqueId (engine/identity.c and the evaluator's groups):
 * re-created disks, gone disks, the `retired` setting; and snapshots whose
 * background copy is unfinished or failed (enforce.c, evaluate.c); the
 * grammar of `retired`; the inventory reader's new fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "azure/inventory_read.h"
#include "cli/report.h"
#include "engine/azure_limits.h"
#include "engine/enforce.h"
#include "engine/identity.h"
#include "engine/pick.h"
#include "grammar/parse.h"
#include "support/builders.h"

#define D1 TB_DISK_ID("d1")
#define D2 TB_DISK_ID("d2")
#define UID_OLD "11111111-1111-1111-1111-111111111111"
#define UID_NEW "22222222-2222-2222-2222-222222222222"
#define DAY (INT64_C(86400) * SK_USEC_PER_SEC)

static inv_snapshot *snap_uid(inv_inventory *inv, const char *name, const char *src,
                              const char *uid, sk_time t)
{
    inv_snapshot *s = tb_snap(inv, name, src, t);
    s->source_unique_id = uid != NULL ? inv_strdup(inv, uid, strlen(uid)) : NULL;
    return s;
}

/* The disk list covers the test resource group. */
static void disks_listed(inv_inventory *inv)
{
    inv->disks_known = true;
    assert_int_equal(inv_add_disk_scope(inv, TB_SUB, "rg"), 0);
}

static inv_disk *disk_uid(inv_inventory *inv, const char *id, const char *uid)
{
    inv_disk *d = tb_inv_disk(inv, id);
    d->unique_id = inv_strdup(inv, uid, strlen(uid));
    return d;
}

static pol_policy *policy(const char *rules)
{
    pol_policy *p = tb_policy("p", false, NULL);
    tb_rules(p, rules);
    tb_disk(p, "d1");
    tb_disk(p, "d2");
    p->adopt_untagged = true;
    return p;
}

static const eng_group *group_of(const eng_plan *plan, const char *snap)
{
    const eng_decision *d = tb_find(plan, snap);
    assert_non_null(d);
    assert_true(d->group < plan->ngroups);
    return &plan->groups[d->group];
}

static bool has_note(const eng_plan *plan, const char *text)
{
    for (size_t i = 0; i < plan->nnotes; i++)
        if (strstr(plan->notes[i].message, text) != NULL)
            return true;
    return false;
}

/* ---- identity ---- */

static void test_identity_of(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    disk_uid(inv, D1, UID_NEW);
    eng_disk_index *x = eng_disk_index_new(inv);
    /* no disk list: nothing is judged */
    assert_int_equal(eng_identity_of(x, D1, UID_OLD), ENG_ID_UNJUDGED);
    eng_disk_index_free(x);
    disks_listed(inv);
    x = eng_disk_index_new(inv);
    assert_int_equal(eng_identity_of(x, D1, UID_NEW), ENG_ID_CURRENT);
    assert_int_equal(eng_identity_of(x, D1, "22222222-2222-2222-2222-22222222222A"),
                     ENG_ID_EARLIER);
    assert_int_equal(eng_identity_of(x, "SUBSCRIPTIONS/" TB_SUB "/resourcegroups/RG/providers/"
                                        "microsoft.compute/disks/D1", UID_NEW), ENG_ID_CURRENT);
    assert_int_equal(eng_identity_of(x, D1, NULL), ENG_ID_CURRENT);    /* cannot tell */
    assert_int_equal(eng_identity_of(x, D1, UID_OLD), ENG_ID_EARLIER);
    assert_int_equal(eng_identity_of(x, D2, UID_OLD), ENG_ID_GONE);
    assert_int_equal(eng_identity_of(x, D2, NULL), ENG_ID_GONE);
    /* a resource group the disk list does not cover: not judged */
    assert_int_equal(eng_identity_of(x, "/subscriptions/" TB_SUB "/resourceGroups/other/"
                                        "providers/Microsoft.Compute/disks/d1", NULL),
                     ENG_ID_UNJUDGED);
    assert_int_equal(eng_identity_of(x, NULL, NULL), ENG_ID_UNJUDGED);
    assert_true(eng_identity_retired(ENG_ID_EARLIER) && eng_identity_retired(ENG_ID_GONE));
    assert_false(eng_identity_retired(ENG_ID_CURRENT) || eng_identity_retired(ENG_ID_UNJUDGED));
    eng_disk_index_free(x);
    inv_free(inv);
}

static void test_disk_scope_cover(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    assert_false(inv_disks_cover(inv, D1));
    inv->disks_known = true;
    assert_false(inv_disks_cover(inv, D1));
    assert_int_equal(inv_add_disk_scope(inv, TB_SUB, "RG"), 0);
    assert_true(inv_disks_cover(inv, D1));
    assert_false(inv_disks_cover(inv, "/subscriptions/" TB_SUB "/resourceGroups/rg2/"
                                      "providers/Microsoft.Compute/disks/d1"));
    assert_int_equal(inv_add_disk_scope(inv, TB_SUB, NULL), 0);    /* the whole subscription */
    assert_true(inv_disks_cover(inv, "/subscriptions/" TB_SUB "/resourceGroups/rg2/"
                                     "providers/Microsoft.Compute/disks/d1"));
    assert_false(inv_disks_cover(inv, "/subscriptions/other/resourceGroups/rg/"
                                      "providers/Microsoft.Compute/disks/d1"));
    assert_false(inv_disks_cover(inv, "not-an-id"));
    inv_free(inv);
}

/* The old disk's snapshots are a group of their own: `last 2` keeps two
 * of each, and the old ones never fill the new disk's count. */
static void test_recreated_disk_own_group(void **state)
{
    (void)state;
    pol_policy *p = policy("last 2");
    inv_inventory *inv = tb_inv();
    disks_listed(inv);
    disk_uid(inv, D1, UID_NEW);
    sk_time now = tb_time("2026-11-20T12:00Z");
    snap_uid(inv, "old1", D1, UID_OLD, now - 10 * DAY);
    snap_uid(inv, "old2", D1, UID_OLD, now - 9 * DAY);
    snap_uid(inv, "old3", D1, UID_OLD, now - 8 * DAY);
    snap_uid(inv, "new1", D1, UID_NEW, now - 2 * DAY);
    snap_uid(inv, "new2", D1, NULL, now - 1 * DAY);     /* no sourceUniqueId: current */
    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "old2 old3 new1 new2");
    free(kept);
    assert_int_equal(plan->ngroups, 2);
    const eng_group *old = group_of(plan, "old1"), *cur = group_of(plan, "new1");
    assert_ptr_not_equal(old, cur);
    assert_ptr_equal(group_of(plan, "new2"), cur);
    assert_int_equal(old->identity, ENG_ID_EARLIER);
    assert_true(old->retired);
    assert_string_equal(old->unique_id, UID_OLD);
    assert_int_equal(old->nsnapshots, 3);
    assert_int_equal(cur->identity, ENG_ID_CURRENT);
    assert_false(cur->retired);
    assert_null(cur->unique_id);
    assert_true(tb_find(plan, "old3")->newest);
    assert_true(tb_find(plan, "new2")->newest);
    assert_int_equal(plan->nretired, 1);
    assert_true(has_note(plan, "an earlier disk of the same name"));
    assert_false(plan->identity_unjudged);
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

/* Two re-creations: each old uniqueId is its own group. */
static void test_two_earlier_disks(void **state)
{
    (void)state;
    pol_policy *p = policy("last 1");
    inv_inventory *inv = tb_inv();
    disks_listed(inv);
    disk_uid(inv, D1, UID_NEW);
    sk_time now = tb_time("2026-11-20T12:00Z");
    snap_uid(inv, "a1", D1, "aaaa", now - 10 * DAY);
    snap_uid(inv, "b1", D1, "bbbb", now - 5 * DAY);
    snap_uid(inv, "a2", D1, "AAAA", now - 9 * DAY);     /* GUIDs ignore case */
    snap_uid(inv, "n1", D1, UID_NEW, now - 1 * DAY);
    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "b1 a2 n1");
    free(kept);
    assert_int_equal(plan->ngroups, 3);
    assert_ptr_equal(group_of(plan, "a1"), group_of(plan, "a2"));
    assert_int_equal(plan->nretired, 2);
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

/* A gone disk: the rules thin it by age, and by default its newest stays
 * for ever, however old. */
static void test_gone_disk_forever(void **state)
{
    (void)state;
    pol_policy *p = policy("keep-all 1d");
    inv_inventory *inv = tb_inv();
    disks_listed(inv);
    disk_uid(inv, D1, UID_NEW);
    sk_time now = tb_time("2026-11-20T12:00Z");
    snap_uid(inv, "g1", D2, UID_OLD, now - 400 * DAY);
    snap_uid(inv, "g2", D2, UID_OLD, now - 300 * DAY);
    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "g2");
    free(kept);
    assert_int_equal(group_of(plan, "g1")->identity, ENG_ID_GONE);
    assert_true(group_of(plan, "g1")->retired);
    assert_false(group_of(plan, "g1")->released);
    assert_true(has_note(plan, "of a disk that is gone"));
    assert_true(has_note(plan, "retired forever"));
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

static void test_retired_for(void **state)
{
    (void)state;
    pol_policy *p = policy("keep-all 1d; tagged \"hold\"");
    p->retired = POL_RETIRED_FOR;
    p->retired_for = (pol_duration){ .days = 90 };
    inv_inventory *inv = tb_inv();
    disks_listed(inv);
    disk_uid(inv, D1, UID_NEW);
    sk_time now = tb_time("2026-11-20T12:00Z");
    /* D2 gone, its newest 100 days old: released; one held */
    snap_uid(inv, "g1", D2, UID_OLD, now - 120 * DAY);
    tb_snap_tag(inv, snap_uid(inv, "g2", D2, UID_OLD, now - 110 * DAY), "hold", "x");
    snap_uid(inv, "g3", D2, UID_OLD, now - 100 * DAY);
    /* D1's earlier disk, newest 89 days old: not yet */
    snap_uid(inv, "e1", D1, UID_OLD, now - 95 * DAY);
    snap_uid(inv, "e2", D1, UID_OLD, now - 89 * DAY);
    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "g2 e2");
    free(kept);
    assert_true(group_of(plan, "g1")->released);
    assert_false(group_of(plan, "e1")->released);
    assert_false(tb_find(plan, "g3")->newest);
    assert_true(has_note(plan, "released"));
    /* a run may delete the released ones (owned, pruned, usable) */
    assert_true(enf_may_delete(p, tb_find(plan, "g3"), inv));
    assert_false(enf_may_delete(p, tb_find(plan, "g2"), inv));
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

static void test_retired_keep_all(void **state)
{
    (void)state;
    pol_policy *p = policy("last 1");
    p->retired = POL_RETIRED_KEEP_ALL;
    inv_inventory *inv = tb_inv();
    disks_listed(inv);
    disk_uid(inv, D1, UID_NEW);
    sk_time now = tb_time("2026-11-20T12:00Z");
    snap_uid(inv, "g1", D2, NULL, now - 3 * DAY);
    snap_uid(inv, "g2", D2, NULL, now - 2 * DAY);
    snap_uid(inv, "n1", D1, UID_NEW, now - 2 * DAY);
    snap_uid(inv, "n2", D1, UID_NEW, now - 1 * DAY);
    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "g1 g2 n2");      /* keep-all touches retired groups only */
    free(kept);
    char *why = tb_reasons(tb_find(plan, "g1"));
    assert_string_equal(why, "retired keep-all: a disk that is gone");
    free(why);
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

/* Without a disk list nothing is retired, the groups are what they were,
 * and one note says so. */
static void test_unjudged_offline(void **state)
{
    (void)state;
    pol_policy *p = policy("last 2");
    inv_inventory *inv = tb_inv();
    sk_time now = tb_time("2026-11-20T12:00Z");
    snap_uid(inv, "old1", D1, UID_OLD, now - 10 * DAY);
    snap_uid(inv, "old2", D1, UID_OLD, now - 9 * DAY);
    snap_uid(inv, "new1", D1, UID_NEW, now - 2 * DAY);
    snap_uid(inv, "gone", D2, UID_OLD, now - 2 * DAY);
    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "old2 new1 gone");
    free(kept);
    assert_int_equal(plan->ngroups, 2);
    assert_int_equal(plan->nretired, 0);
    assert_true(plan->identity_unjudged);
    size_t n = 0;
    for (size_t i = 0; i < plan->nnotes; i++)
        n += strstr(plan->notes[i].message, "no disk list") != NULL;
    assert_int_equal(n, 1);     /* one line, not one per snapshot */
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

/* A re-created disk is due at once: its predecessor's snapshots are not its own. */
static void test_newest_owned_by_incarnation(void **state)
{
    (void)state;
    pol_policy *p = policy("last 1");
    inv_inventory *inv = tb_inv();
    sk_time now = tb_time("2026-11-20T12:00Z");
    snap_uid(inv, "old", D1, UID_OLD, now - 1 * DAY);
    assert_int_equal(enf_newest_owned(p, inv, D1, NULL, now), now - DAY);
    assert_int_equal(enf_newest_owned(p, inv, D1, UID_OLD, now), now - DAY);
    assert_int_equal(enf_newest_owned(p, inv, D1, UID_NEW, now), SK_TIME_MIN);
    tb_policy_free(p);
    inv_free(inv);
}

/* Every report shows a retired group as such. */
static char *render(int (*fn)(FILE *, const rpt_plan *), const rpt_plan *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(fn(f, r), 0);
    fclose(f);
    return buf;
}

static void test_reports_show_retired(void **state)
{
    (void)state;
    pol_policy *p = policy("last 1");
    inv_inventory *inv = tb_inv();
    disks_listed(inv);
    disk_uid(inv, D1, UID_NEW);
    sk_time now = tb_time("2026-11-20T12:00Z");
    snap_uid(inv, "old", D1, UID_OLD, now - 2 * DAY);
    snap_uid(inv, "new", D1, UID_NEW, now - DAY);
    snap_uid(inv, "gone", D2, UID_OLD, now - DAY);
    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char path[] = "t.policy";
    pol_file file = { .path = path, .policies = &p, .npolicies = 1 };
    rpt_plan r = { plan, &file, inv, "t.policy", "inv.json", false };
    char *t = render(rpt_plan_table, &r), *j = render(rpt_plan_json, &r),
         *v = render(rpt_plan_svg, &r);
    assert_non_null(strstr(t, "disk d1 (retired: an earlier disk of the same name, uniqueId "
                              UID_OLD ")"));
    assert_non_null(strstr(t, "disk d2 (retired: a disk that is gone"));
    assert_non_null(strstr(j, "\"identity\":\"earlier\",\"unique_id\":\"" UID_OLD
                              "\",\"retired\":true,\"released\":false"));
    assert_non_null(strstr(j, "\"identity\":\"current\",\"unique_id\":null,\"retired\":false"));
    assert_non_null(strstr(j, "\"identity\":\"gone\""));
    assert_non_null(strstr(v, "d1 (retired)"));
    assert_non_null(strstr(v, "d2 (retired)"));
    free(t);
    free(j);
    free(v);
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

/* ---- background copies ---- */

static void test_pending_predicates(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    inv_snapshot *s = tb_snap(inv, "s", D1, tb_time("2026-11-20T10:00Z"));
    assert_true(enf_snapshot_usable(s));
    assert_false(enf_snapshot_pending(s));
    s->has_completion = true;
    s->completion_percent = 100.0;
    assert_true(enf_snapshot_usable(s));
    s->completion_percent = 99.5;
    assert_false(enf_snapshot_usable(s));
    assert_true(enf_snapshot_pending(s));
    assert_true(enf_snapshot_taken(s));     /* it will finish: the disk is not due */
    s->copy_error_code = "CopyFailed";
    assert_false(enf_snapshot_pending(s));
    assert_true(enf_snapshot_copy_failed(s));
    assert_false(enf_snapshot_taken(s));    /* it never will */
    assert_false(enf_snapshot_usable(s));
    tb_snap_state(inv, s, "Failed");        /* the provisioning failure says it first */
    assert_false(enf_snapshot_copy_failed(s));
    inv_free(inv);
}

static void test_pending_kept_and_uncounted(void **state)
{
    (void)state;
    pol_policy *p = policy("last 2");
    inv_inventory *inv = tb_inv();
    sk_time now = tb_time("2026-11-20T12:00Z");
    tb_snap(inv, "a", D1, now - 4 * DAY);
    tb_snap(inv, "b", D1, now - 3 * DAY);
    tb_snap(inv, "c", D1, now - 2 * DAY);
    inv_snapshot *s = tb_snap(inv, "copying", D1, now - 1 * DAY);
    s->has_completion = true;
    s->completion_percent = 40;
    s = tb_snap(inv, "broken", D1, now - 1 * DAY + 1);
    s->has_completion = true;
    s->completion_percent = 10;
    s->copy_error_code = "CopyCompletionFailed";
    s->copy_error_message = "the source was deleted";
    eng_plan *plan = tb_eval(&p, 1, inv, now);
    char *kept = tb_kept(plan);
    assert_string_equal(kept, "b c copying broken");
    free(kept);
    const eng_decision *d = tb_find(plan, "copying");
    assert_true(d->pending && d->in_progress && !d->failed && !d->newest);
    assert_true(tb_find(plan, "c")->newest);
    char *why = tb_reasons(d);
    assert_string_equal(why, "copying: completionPercent 40, not yet a backup (its "
                             "background copy has not finished)");
    free(why);
    d = tb_find(plan, "broken");
    assert_true(d->copy_failed && d->failed && !d->pending);
    why = tb_reasons(d);
    assert_string_equal(why, "copy failed: CopyCompletionFailed: the source was deleted, "
                             "not a backup (delete it by hand)");
    free(why);
    assert_int_equal(plan->npending, 1);
    assert_int_equal(plan->ncopyfailed, 1);
    assert_true(has_note(plan, "its background copy failed (CopyCompletionFailed: the source "
                               "was deleted)"));
    assert_false(enf_may_delete(p, tb_find(plan, "copying"), inv));
    eng_plan_free(plan);
    tb_policy_free(p);
    inv_free(inv);
}

static void test_pending_limit(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    sk_time now = tb_time("2026-11-20T12:00Z");
    for (int i = 0; i < ENG_PENDING_PER_DISK_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        inv_snapshot *s = snap_uid(inv, name, D1, i == 0 ? UID_OLD : UID_NEW, now - i);
        s->has_completion = true;
        s->completion_percent = 5;
    }
    tb_snap(inv, "done", D1, now - DAY);
    inv_snapshot *s = tb_snap(inv, "other", D2, now);
    s->has_completion = true;
    assert_int_equal(enf_pending_of_disk(inv, D1, NULL), ENG_PENDING_PER_DISK_MAX);
    assert_int_equal(enf_pending_of_disk(inv, D1, UID_NEW), ENG_PENDING_PER_DISK_MAX - 1);
    assert_int_equal(enf_pending_of_disk(inv, D2, NULL), 1);
    assert_false(enf_may_start_pending(ENG_PENDING_PER_DISK_MAX));
    assert_true(enf_may_start_pending(ENG_PENDING_PER_DISK_MAX - 1));
    inv_free(inv);
}

/* restore and drill: the pending snapshot they would have chosen */
static void test_pick_pending(void **state)
{
    (void)state;
    inv_inventory *inv = tb_inv();
    sk_time now = tb_time("2026-11-20T12:00Z");
    tb_snap(inv, "old", D1, now - 3 * DAY);
    tb_snap(inv, "done", D1, now - 2 * DAY);
    inv_snapshot *s = tb_snap(inv, "copying", D1, now - 1 * DAY);
    s->has_completion = true;
    s->completion_percent = 30;
    s = tb_snap(inv, "stale-copy", D1, now - 4 * DAY);
    s->has_completion = true;
    s->completion_percent = 90;
    const inv_snapshot *c[4] = { &inv->snapshots[0], &inv->snapshots[1], &inv->snapshots[2],
                                 &inv->snapshots[3] };
    size_t at = 99, pend = 99;
    assert_int_equal(pick_snapshot(c, 4, PICK_LATEST, NULL, 0, &at), PICK_FOUND);
    assert_int_equal(at, 1);                            /* never the copying one */
    assert_true(pick_pending(c, 4, PICK_LATEST, NULL, 0, true, at, &pend));
    assert_int_equal(pend, 2);                          /* the newer one still copying */
    assert_int_equal(pick_snapshot(c, 4, PICK_AT, NULL, now - 2 * DAY, &at), PICK_FOUND);
    assert_false(pick_pending(c, 4, PICK_AT, NULL, now - 2 * DAY, true, at, &pend));
    assert_int_equal(pick_snapshot(c, 4, PICK_NAME, "copying", 0, &at), PICK_UNUSABLE);
    assert_true(pick_pending(c, 4, PICK_NAME, "COPYING", 0, false, 0, &pend));
    assert_int_equal(pend, 2);
    assert_false(pick_pending(c, 4, PICK_NAME, "done", 0, true, 1, &pend));
    /* nothing finished at all: the newest pending is named */
    assert_true(pick_pending(c + 2, 2, PICK_LATEST, NULL, 0, false, 0, &pend));
    assert_int_equal(pend, 0);
    size_t idx[4];
    assert_int_equal(pick_drill_sample(c, 4, 3, 1, now, idx, 4), 2);    /* done, old */
    inv_free(inv);
}

/* ---- the grammar ---- */

static pol_file *parse(const char *text, pol_diags *diags)
{
    memset(diags, 0, sizeof *diags);
    return pol_parse_string("t.policy", text, strlen(text), NULL, diags);
}

static void test_grammar_retired(void **state)
{
    (void)state;
    pol_diags dg;
    pol_file *f = parse("retired for 90d\n"
                        "policy a { last 1 }\n"
                        "policy b { retired keep-all\n last 1 }\n"
                        "policy c { retired forever\n last 1 }\n", &dg);
    assert_non_null(f);
    assert_int_equal(f->policies[0]->retired, POL_RETIRED_FOR);
    assert_int_equal(f->policies[0]->retired_for.days, 90);
    assert_int_equal(f->policies[1]->retired, POL_RETIRED_KEEP_ALL);
    assert_int_equal(f->policies[2]->retired, POL_RETIRED_FOREVER);
    char buf[256];
    eng_retired_setting(f->policies[0], buf, sizeof buf);
    assert_string_equal(buf, "for 90d");
    pol_file_free(f);
    pol_diags_free(&dg);
    f = parse("last 1\n", &dg);
    assert_non_null(f);
    assert_int_equal(f->policies[0]->retired, POL_RETIRED_FOREVER);    /* the default */
    pol_file_free(f);
    pol_diags_free(&dg);
    f = parse("retired forever\nretired keep-all\nlast 1\n", &dg);
    assert_null(f);
    assert_non_null(strstr(dg.items[0].message, "'retired' is already set on line 1"));
    pol_diags_free(&dg);
    f = parse("retired 90d\nlast 1\n", &dg);
    assert_null(f);
    pol_diags_free(&dg);
}

/* ---- the inventory reader ---- */

static void test_reader_fields(void **state)
{
    (void)state;
    static const char arm[] =
        "{\"value\":[{\"name\":\"s1\",\"id\":\"/x/s1\",\"properties\":{"
        "\"timeCreated\":\"2026-11-20T10:00:00Z\",\"completionPercent\":42.5,"
        "\"copyCompletionError\":{\"errorCode\":\"CopySourceNotFound\","
        "\"errorMessage\":\"gone\"},"
        "\"creationData\":{\"createOption\":\"Copy\",\"sourceResourceId\":\"" D1 "\","
        "\"sourceUniqueId\":\"" UID_OLD "\"}}},"
        "{\"name\":\"s2\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\","
        "\"completionPercent\":null,\"copyCompletionError\":null}}]}";
    inv_inventory *inv = NULL;
    char err[512];
    assert_int_equal(inv_read_buffer("inv.json", arm, strlen(arm), &inv, err, sizeof err), 0);
    const inv_snapshot *s = &inv->snapshots[0];
    assert_string_equal(s->source_unique_id, UID_OLD);
    assert_true(s->has_completion);
    assert_true(s->completion_percent == 42.5);
    assert_string_equal(s->copy_error_code, "CopySourceNotFound");
    assert_string_equal(s->copy_error_message, "gone");
    assert_false(inv->snapshots[1].has_completion);
    assert_null(inv->snapshots[1].copy_error_code);
    inv_free(inv);
    /* az's flat shape */
    static const char az[] =
        "[{\"name\":\"s1\",\"timeCreated\":\"2026-11-20T10:00:00Z\",\"completionPercent\":100,"
        "\"creationData\":{\"sourceUniqueId\":\"" UID_NEW "\"}}]";
    assert_int_equal(inv_read_buffer("az.json", az, strlen(az), &inv, err, sizeof err), 0);
    assert_string_equal(inv->snapshots[0].source_unique_id, UID_NEW);
    assert_true(enf_snapshot_usable(&inv->snapshots[0]));
    inv_free(inv);
    static const char bad[] =
        "[{\"name\":\"s1\",\"timeCreated\":\"2026-11-20T10:00:00Z\",\"completionPercent\":140}]";
    assert_int_equal(inv_read_buffer("bad.json", bad, strlen(bad), &inv, err, sizeof err), -1);
    assert_non_null(strstr(err, "completionPercent: not a number from 0 to 100: 140"));
    static const char bad2[] =
        "[{\"name\":\"s1\",\"timeCreated\":\"2026-11-20T10:00:00Z\",\"completionPercent\":\"50\"}]";
    assert_int_equal(inv_read_buffer("bad.json", bad2, strlen(bad2), &inv, err, sizeof err), -1);
    assert_non_null(strstr(err, "completionPercent: expected a number"));
}

/* A snapshot listed twice whose copies disagree on what identity or the
 * copy decide is refused, as for the other decision fields. */
static void test_duplicates_disagree(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        { "\"creationData\":{\"sourceUniqueId\":\"a\"}", "\"creationData\":{\"sourceUniqueId\":\"b\"}" },
        { "\"completionPercent\":40", "\"completionPercent\":100" },
    };
    for (size_t i = 0; i < 2; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "[{\"name\":\"s\",\"id\":\"/x/s\",\"timeCreated\":"
                 "\"2026-11-20T10:00:00Z\",%s},{\"name\":\"s\",\"id\":\"/x/s\",\"timeCreated\":"
                 "\"2026-11-20T10:00:00Z\",%s}]", pairs[i][0], pairs[i][1]);
        inv_inventory *inv = NULL;
        char err[512];
        assert_int_equal(inv_read_buffer("d.json", buf, strlen(buf), &inv, err, sizeof err), 0);
        size_t merged;
        assert_int_equal(inv_merge_duplicate_ids(inv, &merged, NULL, err, sizeof err), -2);
        assert_non_null(strstr(err, i == 0 ? "sourceUniqueId" : "background copy"));
        inv_free(inv);
    }
}

static void test_reader_disk_unique_id(void **state)
{
    (void)state;
    static const char page[] =
        "{\"value\":[{\"name\":\"d1\",\"id\":\"" D1 "\",\"properties\":{\"uniqueId\":\""
        UID_NEW "\"}},{\"name\":\"d2\",\"id\":\"" D2 "\",\"uniqueId\":\"" UID_OLD "\"}]}";
    inv_inventory *inv = tb_inv();
    char err[512], *next = NULL;
    assert_int_equal(inv_read_arm_disk_page(inv, "p", page, strlen(page), &next, err,
                                            sizeof err), 0);
    assert_string_equal(inv->disks[0].unique_id, UID_NEW);
    assert_string_equal(inv->disks[1].unique_id, UID_OLD);
    inv_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_of),
        cmocka_unit_test(test_disk_scope_cover),
        cmocka_unit_test(test_recreated_disk_own_group),
        cmocka_unit_test(test_two_earlier_disks),
        cmocka_unit_test(test_gone_disk_forever),
        cmocka_unit_test(test_retired_for),
        cmocka_unit_test(test_retired_keep_all),
        cmocka_unit_test(test_unjudged_offline),
        cmocka_unit_test(test_newest_owned_by_incarnation),
        cmocka_unit_test(test_reports_show_retired),
        cmocka_unit_test(test_pending_predicates),
        cmocka_unit_test(test_pending_kept_and_uncounted),
        cmocka_unit_test(test_pending_limit),
        cmocka_unit_test(test_pick_pending),
        cmocka_unit_test(test_grammar_retired),
        cmocka_unit_test(test_reader_fields),
        cmocka_unit_test(test_reader_disk_unique_id),
        cmocka_unit_test(test_duplicates_disagree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
