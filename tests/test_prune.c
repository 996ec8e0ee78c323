/* engine/prune.c: the rails around run's deletions (which candidates a
 * policy gets, when a candidate or a queued delete is held back), and
 * eng_policy_scopes_disk, the scope question run asks about a disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/prune.h"
#include "support/builders.h"

static void test_hold_candidate_order(void **state)
{
    (void)state;
    enf_rails r = { 0 };
    assert_int_equal(enf_hold_candidate(&r, true, ENF_FRESH), ENF_HOLD_NONE);
    assert_int_equal(enf_hold_candidate(&r, true, ENF_UNJUDGED), ENF_HOLD_NONE);
    assert_int_equal(enf_hold_candidate(&r, true, ENF_STALE), ENF_HOLD_STALE);
    r.allow_stale = true;
    assert_int_equal(enf_hold_candidate(&r, true, ENF_STALE), ENF_HOLD_NONE);
    /* a disk not judged before creation is held whatever the staleness says */
    assert_int_equal(enf_hold_candidate(&r, false, ENF_FRESH), ENF_HOLD_UNJUDGED);
    r.policy_closed = true;
    assert_int_equal(enf_hold_candidate(&r, false, ENF_FRESH), ENF_HOLD_FAILURE);
    r.failed = true;
    assert_int_equal(enf_hold_candidate(&r, true, ENF_FRESH), ENF_HOLD_FAILURE);
    r.out_of_memory = true;
    assert_int_equal(enf_hold_candidate(&r, true, ENF_FRESH), ENF_HOLD_OOM);
    r.clock_refused = true;
    assert_int_equal(enf_hold_candidate(&r, true, ENF_FRESH), ENF_HOLD_CLOCK);
    /* each rail alone holds */
    enf_rails one[] = { { .clock_refused = true }, { .failed = true },
                        { .out_of_memory = true }, { .policy_closed = true } };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        assert_int_not_equal(enf_hold_candidate(&one[i], true, ENF_FRESH), ENF_HOLD_NONE);
}

/* Just before a DELETE: only what can change inside a batch counts. */
static void test_hold_queued(void **state)
{
    (void)state;
    enf_rails r = { .clock_refused = true, .policy_closed = true };
    assert_int_equal(enf_hold_queued(&r), ENF_HOLD_NONE);
    r.failed = true;
    assert_int_equal(enf_hold_queued(&r), ENF_HOLD_FAILURE);
    r.out_of_memory = true;
    assert_int_equal(enf_hold_queued(&r), ENF_HOLD_OOM);
    r.failed = false;
    assert_int_equal(enf_hold_queued(&r), ENF_HOLD_OOM);
}

static void test_hold_text(void **state)
{
    (void)state;
    assert_null(enf_hold_text(ENF_HOLD_NONE));
    assert_string_equal(enf_hold_text(ENF_HOLD_FAILURE), "an Azure failure earlier in the run");
    assert_string_equal(enf_hold_text(ENF_HOLD_OOM), "out of memory earlier in the run");
    assert_string_equal(enf_hold_text(ENF_HOLD_CLOCK), "the local clock and ARM's disagree");
    assert_non_null(enf_hold_text(ENF_HOLD_UNJUDGED));
    assert_non_null(enf_hold_text(ENF_HOLD_STALE));
}

static void owner(inv_inventory *inv, inv_snapshot *s, const char *name)
{
    tb_snap_tag(inv, s, POL_OWNER_TAG, name);
}

/* Two policies "a" and "b", each `last 1`, and the inventory and plan a
 * claims test fills in: set up by claims_new, evaluated by claims_eval
 * (which also allocates the per-decision arrays), freed by claims_free. */
typedef struct claims {
    pol_policy *a, *b;
    inv_inventory *inv;
    eng_plan *plan;
    bool *claimed;
    enf_candidate *out;
} claims;

static claims claims_new(void)
{
    claims c = { .a = tb_policy("a", false, NULL), .b = tb_policy("b", false, NULL),
                 .inv = tb_inv() };
    tb_rules(c.a, "last 1");
    tb_rules(c.b, "last 1");
    return c;
}

static void claims_eval(claims *c, sk_time now)
{
    pol_policy *pols[] = { c->a, c->b };
    c->plan = tb_eval(pols, 2, c->inv, now);
    c->claimed = calloc(c->plan->ndecisions, sizeof *c->claimed);
    c->out = calloc(c->plan->ndecisions, sizeof *c->out);
    assert_non_null(c->claimed);
    assert_non_null(c->out);
}

static void claims_free(claims *c)
{
    free(c->claimed);
    free(c->out);
    eng_plan_free(c->plan);
    inv_free(c->inv);
    tb_policy_free(c->a);
    tb_policy_free(c->b);
}

/* Two policies that both adopt untagged snapshots: the untagged one the
 * plan prunes goes to the first only; each gets its own tagged ones; what
 * the plan keeps (each one's newest) and another policy's are no one's. */
static void test_collect_claims(void **state)
{
    (void)state;
    sk_time now = tb_time("2026-11-26T12:00Z");
    claims c = claims_new();
    pol_policy *a = c.a, *b = c.b;
    a->adopt_untagged = b->adopt_untagged = true;
    inv_inventory *inv = c.inv;
    owner(inv, tb_snap(inv, "new", TB_DISK_ID("d"), now - TB_HOUR), "a");
    owner(inv, tb_snap(inv, "own-a", TB_DISK_ID("d"), now - 2 * TB_HOUR), "a");
    owner(inv, tb_snap(inv, "own-b", TB_DISK_ID("d"), now - 3 * TB_HOUR), "b");
    tb_snap(inv, "untagged", TB_DISK_ID("d"), now - 4 * TB_HOUR);
    owner(inv, tb_snap(inv, "other", TB_DISK_ID("d"), now - 5 * TB_HOUR), "c");
    owner(inv, tb_snap(inv, "old-b", TB_DISK_ID("d"), now - 6 * TB_HOUR), "b");
    claims_eval(&c, now);
    eng_plan *plan = c.plan;
    bool *claimed = c.claimed;
    enf_candidate *out = c.out;

    size_t n = enf_collect(a, plan, inv, claimed, out);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].snap->name, "own-a");
    assert_string_equal(out[1].snap->name, "untagged");
    assert_ptr_equal(plan->decisions[out[1].index].snap, out[1].snap);
    assert_true(claimed[out[1].index]);

    n = enf_collect(b, plan, inv, claimed, out);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].snap->name, "old-b");   /* own-b is b's newest: kept */
    /* collected again: nothing is handed out twice */
    assert_int_equal(enf_collect(a, plan, inv, claimed, out), 0);
    claims_free(&c);
}

static bool hold_named(void *ctx, const enf_candidate *c)
{
    return strcmp(c->snap->name, (const char *)ctx) == 0;
}

/* One decision for `run` and `plan`: oldest first up to max-delete, the
 * rest deferred; a held-back candidate takes no place in the cut; the
 * plan's view (enf_next_run) is each policy's own max-delete, policies in
 * file order sharing the claims as a run does. */
static void test_choose_and_next_run(void **state)
{
    (void)state;
    sk_time now = tb_time("2026-11-26T12:00Z");
    claims c = claims_new();
    pol_policy *a = c.a, *b = c.b;
    a->max_delete = 2;
    b->adopt_untagged = true;
    b->max_delete = 0;
    inv_inventory *inv = c.inv;
    owner(inv, tb_snap(inv, "a0", TB_DISK_ID("d"), now - TB_HOUR), "a");
    owner(inv, tb_snap(inv, "a3", TB_DISK_ID("d"), now - 3 * TB_HOUR), "a");
    owner(inv, tb_snap(inv, "a1", TB_DISK_ID("d"), now - 5 * TB_HOUR), "a");
    owner(inv, tb_snap(inv, "a2", TB_DISK_ID("d"), now - 4 * TB_HOUR), "a");
    owner(inv, tb_snap(inv, "b0", TB_DISK_ID("e"), now - TB_HOUR), "b");
    tb_snap(inv, "untagged", TB_DISK_ID("e"), now - 2 * TB_HOUR);
    pol_policy *pols[] = { a, b };
    claims_eval(&c, now);
    eng_plan *plan = c.plan;
    bool *claimed = c.claimed;
    enf_candidate *out = c.out;
    enf_next *next = calloc(plan->ndecisions, sizeof *next);
    assert_non_null(next);

    size_t now_n = 9;
    assert_int_equal(enf_choose(a, plan, inv, claimed, 2, NULL, NULL, out, &now_n), 3);
    assert_int_equal(now_n, 2);
    assert_string_equal(out[0].snap->name, "a1");      /* oldest first */
    assert_string_equal(out[1].snap->name, "a2");
    assert_string_equal(out[2].snap->name, "a3");
    assert_false(out[1].deferred);
    assert_true(out[2].deferred);
    /* a1 held back: a2 and a3 go, nothing deferred */
    memset(claimed, 0, plan->ndecisions * sizeof *claimed);
    assert_int_equal(enf_choose(a, plan, inv, claimed, 2, hold_named, (void *)"a1", out,
                                &now_n), 2);
    assert_int_equal(now_n, 2);
    assert_string_equal(out[0].snap->name, "a2");
    assert_false(out[1].deferred);

    assert_int_equal(enf_next_run((const pol_policy *const *)pols, 2, plan, inv, -1, next), 0);
    size_t del = 0, defer = 0;
    for (size_t i = 0; i < plan->ndecisions; i++) {
        const char *n = plan->decisions[i].snap->name;
        enf_next want = strcmp(n, "a1") == 0 || strcmp(n, "a2") == 0 ? ENF_NEXT_DELETE
                      : strcmp(n, "a3") == 0 || strcmp(n, "untagged") == 0 ? ENF_NEXT_DEFER
                      : ENF_NEXT_NONE;
        assert_int_equal(next[i], want);
        del += next[i] == ENF_NEXT_DELETE;
        defer += next[i] == ENF_NEXT_DEFER;
    }
    assert_int_equal(del, 2);
    assert_int_equal(defer, 2);     /* b's max-delete 0 defers its one */
    assert_int_equal(enf_run_max_delete(a, -1), 2);
    assert_int_equal(enf_run_max_delete(a, 1), 1);
    assert_int_equal(enf_run_max_delete(a, 5), 2);

    free(next);
    claims_free(&c);
}

static void test_scopes_disk(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("p", false, NULL);
    tb_rules(p, "last 1");
    tb_scope(p, TB_SUB, "rg");
    tb_disk(p, "data");
    tb_disk_tag(p, "backup", "yes");
    inv_inventory *inv = tb_inv();
    inv->disks_known = true;
    tb_inv_disk_tag(inv, tb_inv_disk(inv, TB_DISK_ID("tagged")), "backup", "yes");
    tb_inv_disk(inv, TB_DISK_ID("plain"));
    assert_true(eng_policy_scopes_disk(p, TB_DISK_ID("data"), inv));
    assert_true(eng_policy_scopes_disk(p, TB_DISK_ID("DATA"), NULL));
    assert_true(eng_policy_scopes_disk(p, TB_DISK_ID("tagged"), inv));
    assert_false(eng_policy_scopes_disk(p, TB_DISK_ID("tagged"), NULL));   /* offline */
    assert_false(eng_policy_scopes_disk(p, TB_DISK_ID("plain"), inv));
    assert_false(eng_policy_scopes_disk(p, "/subscriptions/" TB_SUB "/resourceGroups/other"
                                           "/providers/Microsoft.Compute/disks/data", inv));
    assert_false(eng_policy_scopes_disk(p, "/subscriptions/other/resourceGroups/rg"
                                           "/providers/Microsoft.Compute/disks/data", inv));
    assert_false(eng_policy_scopes_disk(p, "", inv));
    inv_free(inv);
    tb_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_candidate_order),
        cmocka_unit_test(test_hold_queued),
        cmocka_unit_test(test_hold_text),
        cmocka_unit_test(test_collect_claims),
        cmocka_unit_test(test_choose_and_next_run),
        cmocka_unit_test(test_scopes_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
