/* engine/copies: which cross-region copies a run starts, which sources it holds, and the
 * copies as their own retention sees them; ending in a property test that replays weeks of
 * hourly runs against a model of Azure's copy rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/azure_limits.h"
#include "engine/copies.h"
#include "support/builders.h"

#define DISK_A TB_DISK_ID("disk-a")
#define DISK_B TB_DISK_ID("disk-b")
#define SNAPS "/subscriptions/" TB_SUB "/resourceGroups/rg/providers/Microsoft.Compute/snapshots/"
#define DR "/subscriptions/" TB_SUB "/resourceGroups/dr/providers/Microsoft.Compute/snapshots/"

/* policy "p" on disk-a and disk-b, keep-all 6h, copied with the given rules */
static pol_policy *policy(const char *copy_rules)
{
    pol_policy *p = tb_policy("p", false, NULL);
    tb_disk(p, "disk-a");
    tb_disk(p, "disk-b");
    tb_rules(p, "keep-all 6h");
    pol_copy *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->region = strdup("northeurope");
    c->resource_group = strdup("dr");
    c->retention = tb_policy("p", false, NULL);
    tb_rules(c->retention, copy_rules);
    p->copy = c;
    return p;
}

static void policy_free(pol_policy *p)
{
    pol_copy *c = (pol_copy *)p->copy;
    tb_policy_free(c->retention);
    free(c->region);
    free(c->resource_group);
    free(c);
    p->copy = NULL;
    tb_policy_free(p);
}

static char *snap_id(char *buf, size_t n, const char *prefix, const char *name)
{
    snprintf(buf, n, "%s%s", prefix, name);
    return buf;
}

/* An owned source snapshot of disk `disk` named NAME at t. */
static void source(inv_inventory *inv, const char *name, const char *disk, sk_time t)
{
    char id[256];
    inv_snapshot *s = tb_snap(inv, name, disk, t);
    snap_id(id, sizeof id, SNAPS, name);
    s->id = inv_strdup(inv, id, strlen(id));
    tb_snap_tag(inv, s, POL_OWNER_TAG, "p");
}

/* Hourly sources of disk from `from` for `hours`, named PREFIX-<hour index>. */
static void hourly(inv_inventory *inv, const char *prefix, const char *disk, sk_time from,
                   int hours)
{
    for (int h = 0; h < hours; h++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%03d", prefix, h);
        source(inv, name, disk, from + h * TB_HOUR);
    }
}

/* A copy in dst of source NAME (taken at t, disk), percent done (100: complete; <0: failed). */
static inv_snapshot *copy(inv_inventory *dst, const char *copy_name, const char *src_name,
                          const char *disk, sk_time t, double percent)
{
    char id[256], taken[40];
    inv_snapshot *s = tb_snap(dst, copy_name, SNAPS "x", t + TB_HOUR);
    snap_id(id, sizeof id, DR, copy_name);
    s->id = inv_strdup(dst, id, strlen(id));
    tb_snap_tag(dst, s, POL_OWNER_TAG, "p");
    tb_snap_tag(dst, s, ENG_COPY_OF_TAG, snap_id(id, sizeof id, SNAPS, src_name));
    tb_snap_tag(dst, s, ENG_COPY_DISK_TAG, disk);
    eng_time_format(t, taken, sizeof taken);
    tb_snap_tag(dst, s, ENG_COPY_TAKEN_TAG, taken);
    s->has_completion = true;
    s->completion_percent = percent < 0 ? 0 : percent;
    if (percent < 0)
        s->copy_error_code = "CopySourceNotFound";
    return s;
}

static eng_copy_plan decide(const pol_policy *p, const inv_inventory *src,
                            const inv_inventory *dst, sk_time now, size_t *slots)
{
    eng_copy_plan cp;
    char err[256];
    assert_int_equal(eng_copy_decide(p, src, dst, now, slots, &cp, err, sizeof err), 0);
    return cp;
}

/* ---- what starts ---- */

static void test_first_copy_is_the_oldest_wanted(void **state)
{
    (void)state;
    pol_policy *p = policy("daily to 30d");
    inv_inventory *src = tb_inv(), *dst = tb_inv();
    hourly(src, "a", DISK_A, tb_time("2026-11-20T05:00Z"), 60);
    size_t slots = ENG_COPIES_PARALLEL_MAX;
    eng_copy_plan cp = decide(p, src, dst, tb_time("2026-11-22T17:30Z"), &slots);
    /* the oldest of 2026-11-20 (inside 30d) is the first daily pick */
    assert_int_equal(cp.nstarts, 1);
    assert_string_equal(cp.starts[0].name, "a-000");
    assert_int_equal(cp.starts[0].attempt, 1);
    assert_int_equal(cp.nholds, 1);
    assert_ptr_equal(cp.holds[0].source, cp.starts[0].source);
    assert_null(cp.holds[0].copy);
    assert_int_equal(slots, ENG_COPIES_PARALLEL_MAX - 1);
    eng_copy_plan_free(&cp);
    inv_free(src);
    inv_free(dst);
    policy_free(p);
}

static void test_one_copy_per_disk_at_a_time(void **state)
{
    (void)state;
    pol_policy *p = policy("daily to 30d");
    inv_inventory *src = tb_inv(), *dst = tb_inv();
    sk_time t0 = tb_time("2026-11-20T00:00Z");
    hourly(src, "a", DISK_A, t0, 60);
    copy(dst, "a-000", "a-000", DISK_A, t0, 40);
    size_t slots = 5;
    eng_copy_plan cp = decide(p, src, dst, t0 + 60 * TB_HOUR, &slots);
    assert_int_equal(cp.nstarts, 0);
    assert_int_equal(cp.running, 1);
    assert_int_equal(cp.nholds, 1);
    assert_string_equal(cp.holds[0].source->name, "a-000");
    assert_int_equal(cp.holds[0].percent, 40);
    assert_int_equal(slots, 5);
    eng_copy_plan_free(&cp);
    /* complete: the next day's first snapshot, in creation order */
    dst->snapshots[0].completion_percent = 100;
    cp = decide(p, src, dst, t0 + 60 * TB_HOUR, &slots);
    assert_int_equal(cp.nstarts, 1);
    assert_string_equal(cp.starts[0].name, "a-024");
    assert_int_equal(cp.running, 0);
    eng_copy_plan_free(&cp);
    inv_free(src);
    inv_free(dst);
    policy_free(p);
}

static void test_failed_copy_is_retried_then_given_up(void **state)
{
    (void)state;
    pol_policy *p = policy("daily to 30d");
    inv_inventory *src = tb_inv(), *dst = tb_inv();
    sk_time t0 = tb_time("2026-11-20T00:00Z"), now = t0 + 60 * TB_HOUR;
    hourly(src, "a", DISK_A, t0, 60);
    copy(dst, "a-000", "a-000", DISK_A, t0, 100);
    copy(dst, "a-024", "a-024", DISK_A, t0 + 24 * TB_HOUR, -1);
    size_t slots = 5;
    eng_copy_plan cp = decide(p, src, dst, now, &slots);
    assert_int_equal(cp.nstarts, 1);
    assert_string_equal(cp.starts[0].name, "a-024-r2");
    assert_int_equal(cp.starts[0].attempt, 2);
    assert_int_equal(cp.nnotes, 1);
    assert_false(cp.notes[0].gave_up);
    assert_non_null(strstr(cp.notes[0].message, "CopySourceNotFound"));
    eng_copy_plan_free(&cp);
    copy(dst, "a-024-r2", "a-024", DISK_A, t0 + 24 * TB_HOUR, -1);
    cp = decide(p, src, dst, now, &slots);
    assert_string_equal(cp.starts[0].name, "a-024-r3");
    eng_copy_plan_free(&cp);
    copy(dst, "a-024-r3", "a-024", DISK_A, t0 + 24 * TB_HOUR, -1);
    cp = decide(p, src, dst, now, &slots);
    /* three attempts failed: reported, and the next day's snapshot goes instead */
    assert_int_equal(cp.nnotes, 1);
    assert_true(cp.notes[0].gave_up);
    assert_int_equal(cp.nstarts, 1);
    assert_string_equal(cp.starts[0].name, "a-048");
    eng_copy_plan_free(&cp);
    inv_free(src);
    inv_free(dst);
    policy_free(p);
}

static void test_parallel_limit(void **state)
{
    (void)state;
    pol_policy *p = policy("daily to 30d");
    inv_inventory *src = tb_inv(), *dst = tb_inv();
    sk_time t0 = tb_time("2026-11-20T00:00Z");
    hourly(src, "a", DISK_A, t0, 30);
    hourly(src, "b", DISK_B, t0, 30);
    size_t slots = 1;
    eng_copy_plan cp = decide(p, src, dst, t0 + 30 * TB_HOUR, &slots);
    assert_int_equal(cp.nstarts, 1);
    assert_string_equal(cp.starts[0].name, "a-000");
    assert_int_equal(cp.waiting, 1);
    assert_int_equal(slots, 0);
    eng_copy_plan_free(&cp);
    /* the running copies of a listing are what the limit counts */
    copy(dst, "a-000", "a-000", DISK_A, t0, 10);
    copy(dst, "b-000", "b-000", DISK_B, t0, 100);
    assert_int_equal(eng_copy_running(dst), 1);
    inv_free(src);
    inv_free(dst);
    policy_free(p);
}

/* A count rule's pick in the current period moves with every snapshot: only the first of a
 * period the last copy is not in is wanted, so `weekly 8` copies once a week, not hourly. */
static void test_count_rule_copies_once_per_period(void **state)
{
    (void)state;
    pol_policy *p = policy("weekly 8");
    inv_inventory *src = tb_inv(), *dst = tb_inv();
    sk_time mon = tb_time("2026-11-16T00:00Z");     /* a Monday */
    hourly(src, "a", DISK_A, mon, 72);
    copy(dst, "a-000", "a-000", DISK_A, mon, 100);
    size_t slots = 5;
    eng_copy_plan cp = decide(p, src, dst, mon + 72 * TB_HOUR, &slots);
    assert_int_equal(cp.nstarts, 0);
    eng_copy_plan_free(&cp);
    /* next Monday: that week's snapshot is wanted */
    hourly(src, "n", DISK_A, mon + 7 * TB_DAY, 3);
    cp = decide(p, src, dst, mon + 7 * TB_DAY + 3 * TB_HOUR, &slots);
    assert_int_equal(cp.nstarts, 1);
    assert_string_equal(cp.starts[0].name, "n-002");
    eng_copy_plan_free(&cp);
    inv_free(src);
    inv_free(dst);
    policy_free(p);
}

/* Not owned, not a copy, or without its disk tag: never handed to the retention. */
static void test_view(void **state)
{
    (void)state;
    pol_policy *p = policy("daily to 30d");
    inv_inventory *dst = tb_inv();
    sk_time t0 = tb_time("2026-11-20T00:00Z");
    copy(dst, "c1", "a-000", DISK_A, t0, 100);
    copy(dst, "c2", "a-001", DISK_A, t0 + TB_HOUR, 55);
    inv_snapshot *o = copy(dst, "c3", "a-002", DISK_A, t0, 100);
    o->tags[0].value = "other";
    tb_snap(dst, "hand-made", DISK_A, t0);
    inv_snapshot *nodisk = tb_snap(dst, "c4", SNAPS "a-003", t0);
    tb_snap_tag(dst, nodisk, POL_OWNER_TAG, "p");
    tb_snap_tag(dst, nodisk, ENG_COPY_OF_TAG, SNAPS "a-003");
    inv_inventory *v = eng_copy_view(p, dst);
    assert_non_null(v);
    assert_int_equal(v->nsnapshots, 2);
    assert_string_equal(v->snapshots[0].name, "c1");
    assert_string_equal(v->snapshots[0].source_id, DISK_A);
    assert_true(v->snapshots[0].created == t0);      /* the source's time, not the copy's */
    assert_null(v->snapshots[0].provisioning_state);
    assert_string_equal(v->snapshots[1].provisioning_state, ENG_COPY_STATE_RUNNING);
    /* evaluated like any inventory: the running copy is kept in progress */
    pol_policy *ret = (pol_policy *)p->copy->retention;
    eng_plan *plan = tb_eval(&ret, 1, v, t0 + 2 * TB_DAY);
    char *why = tb_reasons(tb_find(plan, "c2"));
    assert_non_null(strstr(why, "in progress"));
    free(why);
    eng_plan_free(plan);
    inv_free(v);
    inv_free(dst);
    policy_free(p);
}

/* The copy lag: the newest completed copy per disk, by its source's time. */
static void test_newest_done(void **state)
{
    (void)state;
    pol_policy *p = policy("daily to 30d");
    inv_inventory *dst = tb_inv();
    sk_time t0 = tb_time("2026-11-20T00:00Z");
    copy(dst, "a1", "a-000", DISK_A, t0, 100);
    copy(dst, "a2", "a-024", DISK_A, t0 + TB_DAY, 100);
    copy(dst, "a3", "a-048", DISK_A, t0 + 2 * TB_DAY, 30);      /* running: not yet a copy */
    copy(dst, "b1", "b-000", DISK_B, t0, -1);                   /* failed */
    eng_copy_newest out[4];
    assert_int_equal(eng_copy_newest_done(p, dst, out, 4), 1);
    assert_string_equal(out[0].disk_id, DISK_A);
    assert_true(out[0].taken == t0 + TB_DAY);
    copy(dst, "b2", "b-001", DISK_B, t0 + TB_HOUR, 100);
    assert_int_equal(eng_copy_newest_done(p, dst, out, 4), 2);
    assert_true(out[1].taken == t0 + TB_HOUR);
    assert_int_equal(eng_copy_newest_done(p, dst, out, 1), 1);
    inv_free(dst);
    policy_free(p);
}

/* ---- holding sources ---- */

static void test_source_under_copy_is_kept(void **state)
{
    (void)state;
    pol_policy *p = policy("daily to 30d");
    inv_inventory *src = tb_inv(), *dst = tb_inv();
    sk_time t0 = tb_time("2026-11-20T00:00Z"), now = t0 + 30 * TB_HOUR;
    hourly(src, "a", DISK_A, t0, 30);
    copy(dst, "a-000", "a-000", DISK_A, t0, 70);
    size_t slots = 5;
    eng_copy_plan cp = decide(p, src, dst, now, &slots);
    eng_plan *plan = tb_eval(&p, 1, src, now);
    const eng_decision *d = tb_find(plan, "a-000");
    assert_int_equal(d->action, ENG_PRUNE);         /* keep-all 6h prunes it */
    size_t kept = plan->nkeep;
    void *store;
    assert_int_equal(eng_copy_protect(plan, p, &cp, &store), 0);
    assert_int_equal(d->action, ENG_KEEP);
    assert_int_equal(plan->nkeep, kept + 1);
    char *why = tb_reasons(d);
    assert_string_equal(why, "copying: its copy to northeurope is 70% done; deleted by the "
                             "first run after it completes");
    free(why);
    eng_plan_free(plan);
    eng_copy_protect_free(store);
    eng_copy_plan_free(&cp);
    /* complete: no hold, so pruned again */
    dst->snapshots[0].completion_percent = 100;
    cp = decide(p, src, dst, now, &slots);
    plan = tb_eval(&p, 1, src, now);
    assert_int_equal(eng_copy_protect(plan, p, &cp, &store), 0);
    assert_int_equal(tb_find(plan, "a-000")->action, ENG_PRUNE);
    /* but the copy this run starts holds its own source */
    assert_int_equal(cp.nstarts, 1);
    assert_int_equal(tb_find(plan, cp.starts[0].source->name)->action, ENG_KEEP);
    eng_plan_free(plan);
    eng_copy_protect_free(store);
    eng_copy_plan_free(&cp);
    inv_free(src);
    inv_free(dst);
    policy_free(p);
}

/* ---- property: weeks of hourly runs against a model of Azure ---- */

typedef struct model_copy {
    char name[96], of[96];
    int disk;
    sk_time taken;
    int hours_left;         /* until complete */
    bool fails;
    bool done;
} model_copy;

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_property_hourly_runs(void **state)
{
    (void)state;
    static const char *const disks[2] = { DISK_A, DISK_B };
    for (int round = 0; round < 6; round++) {
        pol_policy *p = policy(round % 2 ? "daily to 30d; weekly 8" : "every 6h to 3d");
        sk_time t0 = tb_time("2026-11-02T00:00Z");
        model_copy *copies = calloc(2000, sizeof *copies);
        size_t ncopies = 0;
        /* the source history as names and times: present or deleted */
        int nsrc = 0;
        struct { char name[32]; int disk; sk_time t; bool gone; } *srcs = calloc(2000, sizeof *srcs);
        assert_non_null(copies);
        assert_non_null(srcs);
        sk_time last_start[2] = { SK_TIME_MIN, SK_TIME_MIN };
        for (int hour = 0; hour < 24 * 21; hour++) {
            sk_time now = t0 + hour * TB_HOUR + 5 * TB_MIN;
            for (int k = 0; k < 2; k++) {
                snprintf(srcs[nsrc].name, sizeof srcs[nsrc].name, "%c-%04d", 'a' + k, hour);
                srcs[nsrc].disk = k;
                srcs[nsrc].t = t0 + hour * TB_HOUR;
                nsrc++;
            }
            /* Azure's side: copies advance, some fail */
            for (size_t i = 0; i < ncopies; i++)
                if (!copies[i].done && --copies[i].hours_left <= 0)
                    copies[i].done = true;
            inv_inventory *src = tb_inv(), *dst = tb_inv();
            for (int i = 0; i < nsrc; i++)
                if (!srcs[i].gone)
                    source(src, srcs[i].name, disks[srcs[i].disk], srcs[i].t);
            for (size_t i = 0; i < ncopies; i++) {
                model_copy *m = &copies[i];
                double pct = m->done ? (m->fails ? -1 : 100) : 50;
                copy(dst, m->name, m->of, disks[m->disk], m->taken, pct);
            }
            size_t slots = (size_t)(next_rand() % 3);   /* a busy subscription */
            size_t slots0 = slots;
            eng_copy_plan cp = decide(p, src, dst, now, &slots);
            assert_true(cp.nstarts <= slots0);
            for (size_t i = 0; i < cp.nstarts; i++) {
                const eng_copy_start *st = &cp.starts[i];
                int k = strcmp(st->source->source_id, DISK_A) == 0 ? 0 : 1;
                /* one per disk at a time */
                for (size_t j = 0; j < ncopies; j++)
                    assert_false(copies[j].disk == k && !copies[j].done);
                /* creation order: a first attempt is newer than every earlier copy */
                if (st->attempt == 1)
                    assert_true(st->source->created > last_start[k]);
                assert_true(st->attempt <= ENG_COPY_ATTEMPTS_MAX);
                if (st->source->created > last_start[k])
                    last_start[k] = st->source->created;
                model_copy *m = &copies[ncopies++];
                snprintf(m->name, sizeof m->name, "%s", st->name);
                snprintf(m->of, sizeof m->of, "%s", st->source->name);
                m->disk = k;
                m->taken = st->source->created;
                m->hours_left = 1 + (int)(next_rand() % 5);
                m->fails = next_rand() % 4 == 0;
            }
            /* the source policy's plan, held, then carried out */
            eng_plan *plan = tb_eval(&p, 1, src, now);
            void *store;
            assert_int_equal(eng_copy_protect(plan, p, &cp, &store), 0);
            for (size_t i = 0; i < plan->ndecisions; i++) {
                const eng_decision *d = &plan->decisions[i];
                if (d->action != ENG_PRUNE)
                    continue;
                /* never a source whose copy is running or just started */
                for (size_t j = 0; j < ncopies; j++)
                    assert_false(!copies[j].done && strcmp(copies[j].of, d->snap->name) == 0);
                for (int s = 0; s < nsrc; s++)
                    if (strcmp(srcs[s].name, d->snap->name) == 0)
                        srcs[s].gone = true;
            }
            eng_plan_free(plan);
            eng_copy_protect_free(store);
            eng_copy_plan_free(&cp);
            inv_free(src);
            inv_free(dst);
        }
        /* the copies went on: at least one completed copy per disk per day of the run */
        int good[2] = { 0, 0 };
        for (size_t i = 0; i < ncopies; i++)
            if (copies[i].done && !copies[i].fails)
                good[copies[i].disk]++;
        assert_true(good[0] >= 10 && good[1] >= 10);
        free(copies);
        free(srcs);
        policy_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_copy_is_the_oldest_wanted),
        cmocka_unit_test(test_one_copy_per_disk_at_a_time),
        cmocka_unit_test(test_failed_copy_is_retried_then_given_up),
        cmocka_unit_test(test_parallel_limit),
        cmocka_unit_test(test_count_rule_copies_once_per_period),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_newest_done),
        cmocka_unit_test(test_source_under_copy_is_kept),
        cmocka_unit_test(test_property_hourly_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
