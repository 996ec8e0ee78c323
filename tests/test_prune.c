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

/* Two policies that both adopt untagged snapshots: the untagged one the
 * plan prunes goes to the first only; each gets its own tagged ones; what
 * the plan keeps (each one's newest) and another policy's are no one's. */
static void test_collect_claims(void **state)
{
    (void)state;
    sk_time now = tb_time("2026-11-26T12:00Z");
    pol_policy *a = tb_policy("a", false, NULL), *b = tb_policy("b", false, NULL);
    tb_rules(a, "last 1");
    tb_rules(b, "last 1");
    a->adopt_untagged = b->adopt_untagged = true;
    inv_inventory *inv = tb_inv();
    owner(inv, tb_snap(inv, "new", TB_DISK_ID("d"), now - TB_HOUR), "a");
    owner(inv, tb_snap(inv, "own-a", TB_DISK_ID("d"), now - 2 * TB_HOUR), "a");
    owner(inv, tb_snap(inv, "own-b", TB_DISK_ID("d"), now - 3 * TB_HOUR), "b");
    tb_snap(inv, "untagged", TB_DISK_ID("d"), now - 4 * TB_HOUR);
    owner(inv, tb_snap(inv, "other", TB_DISK_ID("d"), now - 5 * TB_HOUR), "c");
    owner(inv, tb_snap(inv, "old-b", TB_DISK_ID("d"), now - 6 * TB_HOUR), "b");
    pol_policy *pols[] = { a, b };
    eng_plan *plan = tb_eval(pols, 2, inv, now);
    bool *claimed = calloc(plan->ndecisions, sizeof *claimed);
    enf_candidate *out = calloc(plan->ndecisions, sizeof *out);
    assert_non_null(claimed);
    assert_non_null(out);

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

    free(claimed);
    free(out);
    eng_plan_free(plan);
    inv_free(inv);
    tb_policy_free(a);
    tb_policy_free(b);
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
        cmocka_unit_test(test_scopes_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
