/* The recovery planner (engine/recovery.h): what each operation refuses
 * before any change, which steps it lists, and which of them live state
 * already shows done, at every point an earlier attempt can have been
 * killed. The replace walk-through replays the plan after each step with
 * the state that step leaves, as a resumed command sees it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/recovery.h"

#define VM "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
#define VM2 "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm2"
#define DISK(n) "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/" n
#define SNAP "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/snap1"

typedef struct world {
    rcv_lun luns[RCV_MAX_LUNS];
    rcv_vm vm;
    rcv_disk old, target;
} world;

static void world_init(world *w)
{
    memset(w, 0, sizeof *w);
    w->vm = (rcv_vm){ .exists = true, .id = VM, .location = "westeurope", .zone = "1",
                      .power = RCV_POWER_RUNNING, .luns = w->luns };
    w->luns[0] = (rcv_lun){ .lun = 0, .disk_id = DISK("os-extra"), .caching = "ReadOnly" };
    w->luns[1] = (rcv_lun){ .lun = 2, .disk_id = DISK("data"), .caching = "ReadWrite",
                            .write_accelerator = true };
    w->vm.nluns = 2;
    w->old = (rcv_disk){ .exists = true, .id = DISK("data"), .location = "westeurope",
                         .zone = "1", .managed_by = VM };
    w->target = (rcv_disk){ .exists = false, .id = DISK("data-restored") };
}

static void vm_remove(world *w, const char *id)
{
    for (size_t i = 0; i < w->vm.nluns; i++)
        if (strcmp(w->luns[i].disk_id, id) == 0) {
            w->luns[i] = w->luns[--w->vm.nluns];
            return;
        }
}

static void vm_add(world *w, int lun, const char *id, const char *caching, bool wa)
{
    w->luns[w->vm.nluns++] = (rcv_lun){ .lun = lun, .disk_id = id, .caching = caching,
                                        .write_accelerator = wa };
}

static rcv_attach_in attach_in(world *w, int lun)
{
    return (rcv_attach_in){ .vm = &w->vm, .target = &w->target, .target_id = DISK("data-restored"),
                            .snapshot_id = SNAP, .snapshot_location = "West Europe",
                            .target_zone = "1", .lun = lun };
}

static void test_free_lun(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    assert_int_equal(rcv_free_lun(&w.vm), 1);       /* 0 and 2 are used */
    w.vm.nluns = 0;
    for (int i = 0; i < RCV_MAX_LUNS; i++)
        vm_add(&w, i, DISK("x"), NULL, false);
    assert_int_equal(rcv_free_lun(&w.vm), -1);
    w.luns[17].lun = 99;                                /* 17 is free again */
    assert_int_equal(rcv_free_lun(&w.vm), 17);
}

static void test_attach_first_free_lun(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    rcv_attach_in in = attach_in(&w, -1);
    rcv_plan p;
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_OK);
    assert_true(p.facts.known);
    assert_int_equal(p.facts.lun, 1);
    assert_int_equal(p.nsteps, 2);
    assert_int_equal(p.steps[0].kind, RCV_CREATE_DISK);
    assert_false(p.steps[0].done);
    assert_int_equal(p.steps[1].kind, RCV_ATTACH);
    assert_int_equal(p.steps[1].lun, 1);
    assert_string_equal(p.steps[1].caching, "None");  /* a restored copy is read, not tuned */
    assert_false(p.steps[1].done);
}

static void test_attach_refusals(void **state)
{
    (void)state;
    world w;
    rcv_plan p;
    rcv_attach_in in;

    world_init(&w);
    in = attach_in(&w, 2);                              /* LUN 2 holds "data" */
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_LUN_TAKEN);
    assert_non_null(strstr(p.why, "LUN 2 of VM vm1 holds disk data"));
    assert_int_equal(p.nsteps, 0);

    world_init(&w);
    w.target.exists = true;                             /* somebody's disk of that name */
    in = attach_in(&w, -1);
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_TARGET_EXISTS);
    assert_non_null(strstr(p.why, "never overwrites"));

    world_init(&w);
    w.target.exists = true;                             /* ours, but no record of an attempt */
    w.target.restored_from = SNAP;
    in = attach_in(&w, -1);
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_TARGET_EXISTS);

    world_init(&w);
    in = attach_in(&w, -1);
    in.snapshot_location = "northeurope";
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_REGION);

    world_init(&w);
    in = attach_in(&w, -1);
    in.target_zone = "2";
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_ZONE);

    world_init(&w);
    w.vm.exists = false;
    in = attach_in(&w, -1);
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_VM_MISSING);

    world_init(&w);
    w.vm.nluns = 0;
    for (int i = 0; i < RCV_MAX_LUNS; i++)
        vm_add(&w, i, DISK("x"), NULL, false);
    in = attach_in(&w, -1);
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_NO_FREE_LUN);
    assert_non_null(strstr(p.why, "no free LUN"));
}

static void test_attach_resume(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    rcv_attach_in in = attach_in(&w, -1);
    rcv_plan first, p;
    assert_int_equal(rcv_plan_attach(&in, &first), RCV_OK);

    /* killed after the creation: the disk is there, ours, not attached */
    in.facts = first.facts;
    w.target = (rcv_disk){ .exists = true, .id = DISK("data-restored"), .zone = "1",
                           .restored_from = SNAP };
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_OK);
    assert_true(p.steps[0].done);
    assert_false(p.steps[1].done);
    assert_int_equal(p.steps[1].lun, first.facts.lun);

    /* ... while the creation still ran */
    w.target.provisioning = RCV_PROV_BUSY;
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_OK);
    assert_int_equal(p.steps[0].kind, RCV_WAIT_DISK);
    assert_false(p.steps[0].done);

    /* ... after the creation failed */
    w.target.provisioning = RCV_PROV_FAILED;
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_TARGET_FAILED);

    /* someone took the recorded LUN meanwhile: refused, never moved */
    w.target.provisioning = RCV_PROV_OK;
    vm_add(&w, first.facts.lun, DISK("intruder"), NULL, false);
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_LUN_TAKEN);
    vm_remove(&w, DISK("intruder"));

    /* killed after the attach: everything done */
    vm_add(&w, first.facts.lun, DISK("data-restored"), "None", false);
    w.target.managed_by = VM;
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_OK);
    assert_true(p.steps[0].done && p.steps[1].done);

    /* the same disk taken by another VM */
    w.target.managed_by = VM2;
    assert_int_equal(rcv_plan_attach(&in, &p), RCV_HELD_ELSEWHERE);
}

static rcv_replace_in replace_in(world *w, bool start)
{
    return (rcv_replace_in){ .vm = &w->vm, .disk = &w->old, .target = &w->target,
                             .target_id = DISK("data-restored"), .snapshot_id = SNAP,
                             .snapshot_location = "westeurope", .start = start };
}

static void expect_steps(const rcv_plan *p, const rcv_step_kind *kinds, const bool *done,
                         size_t n)
{
    assert_int_equal(p->refusal, RCV_OK);
    assert_int_equal(p->nsteps, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(p->steps[i].kind, kinds[i]);
        assert_int_equal(p->steps[i].done, done[i]);
    }
}

/* The plan after each step of a replace of a running VM, as a command
 * killed there and run again computes it. */
static void test_replace_walk(void **state)
{
    (void)state;
    static const rcv_step_kind k[] = { RCV_CREATE_DISK, RCV_DEALLOCATE, RCV_DETACH,
                                       RCV_ATTACH, RCV_TAG_REPLACED, RCV_START };
    world w;
    world_init(&w);
    rcv_replace_in in = replace_in(&w, false);
    rcv_plan p;
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    assert_int_equal(p.facts.lun, 2);
    assert_string_equal(p.facts.caching, "ReadWrite");
    assert_true(p.facts.write_accelerator);
    assert_true(p.facts.was_running);
    expect_steps(&p, k, (const bool[]){ 0, 0, 0, 0, 0, 0 }, 6);
    assert_int_equal(p.steps[3].lun, 2);
    assert_string_equal(p.steps[3].caching, "ReadWrite");
    assert_true(p.steps[3].write_accelerator);
    in.facts = p.facts;

    w.target = (rcv_disk){ .exists = true, .id = DISK("data-restored"), .zone = "1",
                           .restored_from = SNAP, .replaces = DISK("data") };
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    expect_steps(&p, k, (const bool[]){ 1, 0, 0, 0, 0, 0 }, 6);

    w.vm.power = RCV_POWER_DEALLOCATED;
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    expect_steps(&p, k, (const bool[]){ 1, 1, 0, 0, 0, 0 }, 6);

    vm_remove(&w, DISK("data"));
    w.old.managed_by = NULL;
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    expect_steps(&p, k, (const bool[]){ 1, 1, 1, 0, 0, 0 }, 6);

    vm_add(&w, 2, DISK("data-restored"), "ReadWrite", true);
    w.target.managed_by = VM;
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    expect_steps(&p, k, (const bool[]){ 1, 1, 1, 1, 0, 0 }, 6);

    w.old.replaced_by = DISK("data-restored");
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    expect_steps(&p, k, (const bool[]){ 1, 1, 1, 1, 1, 0 }, 6);

    w.vm.power = RCV_POWER_RUNNING;
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    expect_steps(&p, k, (const bool[]){ 1, 1, 1, 1, 1, 1 }, 6);

    /* a finished swap needs no deallocation even though the VM runs */
    w.old.replaced_by = NULL;
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    assert_true(p.steps[1].done);
}

static void test_replace_stopped_vm(void **state)
{
    (void)state;
    world w;
    rcv_plan p;
    world_init(&w);
    w.vm.power = RCV_POWER_DEALLOCATED;
    rcv_replace_in in = replace_in(&w, false);
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    assert_false(p.facts.was_running);
    assert_int_equal(p.nsteps, 5);                     /* no start: it was not running */
    assert_true(p.steps[1].done);                      /* deallocated already */

    in = replace_in(&w, true);                         /* --start */
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    assert_int_equal(p.nsteps, 6);
    assert_int_equal(p.steps[5].kind, RCV_START);

    world_init(&w);
    w.vm.power = RCV_POWER_STOPPED;                    /* powered off counts as stopped */
    in = replace_in(&w, false);
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    assert_true(p.steps[1].done);
}

static void test_replace_refusals(void **state)
{
    (void)state;
    world w;
    rcv_plan p;
    rcv_replace_in in;

    world_init(&w);
    vm_remove(&w, DISK("data"));
    in = replace_in(&w, false);
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_NOT_ATTACHED);
    assert_non_null(strstr(p.why, "not a data disk of VM vm1"));

    world_init(&w);
    w.vm.power = RCV_POWER_UNKNOWN;
    in = replace_in(&w, false);
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_UNKNOWN_POWER);

    world_init(&w);
    w.target.exists = true;
    in = replace_in(&w, false);
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_TARGET_EXISTS);

    world_init(&w);
    in = replace_in(&w, false);
    in.snapshot_location = "eastus";
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_REGION);

    /* resumed, but the recorded LUN now holds a third disk */
    world_init(&w);
    in = replace_in(&w, false);
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    in.facts = p.facts;
    vm_remove(&w, DISK("data"));
    vm_add(&w, 2, DISK("intruder"), NULL, false);
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_LUN_TAKEN);
    assert_int_equal(p.nsteps, 0);

    /* resumed with the power state unreadable before the swap */
    world_init(&w);
    in = replace_in(&w, false);
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_OK);
    in.facts = p.facts;
    w.vm.power = RCV_POWER_UNKNOWN;
    assert_int_equal(rcv_plan_replace(&in, &p), RCV_UNKNOWN_POWER);
}

static void test_release(void **state)
{
    (void)state;
    world w;
    rcv_plan p;
    world_init(&w);
    vm_add(&w, 5, DISK("copy"), "None", false);
    rcv_disk d = { .exists = true, .id = DISK("copy"), .managed_by = VM,
                   .restored_from = SNAP, .copy_for = VM };
    rcv_release_in in = { .disk = &d, .disk_id = DISK("copy"), .vm = &w.vm };
    assert_int_equal(rcv_plan_release(&in, &p), RCV_OK);
    assert_int_equal(p.nsteps, 2);
    assert_int_equal(p.steps[0].kind, RCV_DETACH);
    assert_int_equal(p.steps[0].lun, 5);
    assert_int_equal(p.steps[1].kind, RCV_DELETE_DISK);

    in.from_vm = VM2;
    assert_int_equal(rcv_plan_release(&in, &p), RCV_HELD_ELSEWHERE);
    in.from_vm = VM;
    assert_int_equal(rcv_plan_release(&in, &p), RCV_OK);

    d.copy_for = NULL;                                  /* swapped in by hand: never */
    assert_int_equal(rcv_plan_release(&in, &p), RCV_NOT_A_COPY);
    assert_non_null(strstr(p.why, "not by restore --attach-to"));
    d.copy_for = VM2;                                   /* made for another VM */
    assert_int_equal(rcv_plan_release(&in, &p), RCV_NOT_A_COPY);
    d.copy_for = VM;

    d.replaces = DISK("data");                          /* in service: never */
    assert_int_equal(rcv_plan_release(&in, &p), RCV_IN_SERVICE);
    d.replaces = NULL;
    d.restored_from = NULL;                             /* not ours: never */
    assert_int_equal(rcv_plan_release(&in, &p), RCV_NOT_RESTORED);
    d.restored_from = SNAP;

    vm_remove(&w, DISK("copy"));                        /* held, but not as a data disk */
    assert_int_equal(rcv_plan_release(&in, &p), RCV_OS_DISK);

    d.managed_by = NULL;                                /* detached: delete only */
    in.vm = NULL;
    assert_int_equal(rcv_plan_release(&in, &p), RCV_OK);
    assert_int_equal(p.nsteps, 1);
    assert_int_equal(p.steps[0].kind, RCV_DELETE_DISK);

    d.exists = false;
    assert_int_equal(rcv_plan_release(&in, &p), RCV_GONE);
    in.resuming = true;                                 /* an earlier attempt deleted it */
    assert_int_equal(rcv_plan_release(&in, &p), RCV_OK);
    assert_int_equal(p.nsteps, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_lun),
        cmocka_unit_test(test_attach_first_free_lun),
        cmocka_unit_test(test_attach_refusals),
        cmocka_unit_test(test_attach_resume),
        cmocka_unit_test(test_replace_walk),
        cmocka_unit_test(test_replace_stopped_vm),
        cmocka_unit_test(test_replace_refusals),
        cmocka_unit_test(test_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
