/* The failover planner (engine/failover.h): every refusal before any
 * change, the steps in order, and the walk-through: after each step the
 * world is changed as that step changes it and the plan computed again,
 * as a command killed there and run again computes it; each step is then
 * done, none is listed to do twice, and the walk ends with all done. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/failover.h"

#define RG "/subscriptions/s/resourceGroups/rg/providers/"
#define VM1 RG "Microsoft.Compute/virtualMachines/vm1"
#define VM2 RG "Microsoft.Compute/virtualMachines/vm2"
#define VM3 RG "Microsoft.Compute/virtualMachines/vm3"
#define DISK(n) RG "Microsoft.Compute/disks/" n
#define SNAP(n) RG "Microsoft.Compute/snapshots/" n
#define NIC(n) RG "Microsoft.Network/networkInterfaces/" n
#define PIP RG "Microsoft.Network/publicIPAddresses/pip1"
#define REC RG "Microsoft.Network/privateDnsZones/corp.internal/A/app"

typedef struct world {
    rcv_lun from_luns[RCV_MAX_LUNS], to_luns[RCV_MAX_LUNS];
    rcv_vm from, to;
    rcv_disk d[2], t[2];
    rcv_fo_disk disks[2];
    const char *from_nics[1];
    const char *dns_ips[1];
    rcv_failover_in in;
} world;

static void world_init(world *w, bool ip, bool dns, bool restore)
{
    memset(w, 0, sizeof *w);
    w->from = (rcv_vm){ .exists = true, .id = VM1, .location = "westeurope", .zone = "1",
                        .power = RCV_POWER_RUNNING, .luns = w->from_luns, .nluns = 3 };
    w->from_luns[0] = (rcv_lun){ .lun = 0, .disk_id = DISK("scratch") };   /* not governed */
    w->from_luns[1] = (rcv_lun){ .lun = 1, .disk_id = DISK("data1"), .caching = "ReadWrite",
                                 .write_accelerator = true };
    w->from_luns[2] = (rcv_lun){ .lun = 3, .disk_id = DISK("data2"), .caching = "ReadOnly" };
    w->to = (rcv_vm){ .exists = true, .id = VM2, .location = "West Europe", .zone = "1",
                      .power = RCV_POWER_DEALLOCATED, .luns = w->to_luns, .nluns = 1 };
    w->to_luns[0] = (rcv_lun){ .lun = 0, .disk_id = DISK("standby-own") };
    const char *names[] = { DISK("data1"), DISK("data2") };
    const char *targets[] = { DISK("data1-fo"), DISK("data2-fo") };
    const char *snaps[] = { SNAP("s1"), SNAP("s2") };
    for (int i = 0; i < 2; i++) {
        w->d[i] = (rcv_disk){ .exists = true, .id = names[i], .location = "westeurope",
                              .zone = "1", .managed_by = VM1 };
        w->t[i] = (rcv_disk){ .exists = false, .id = targets[i] };
        w->disks[i] = (rcv_fo_disk){ .id = names[i], .disk = &w->d[i] };
        if (restore) {
            w->disks[i].target_id = targets[i];
            w->disks[i].target = &w->t[i];
            w->disks[i].snapshot_id = snaps[i];
            w->disks[i].snapshot_location = "westeurope";
        }
    }
    w->from_nics[0] = NIC("nic1");
    w->dns_ips[0] = "10.0.0.4";
    w->in = (rcv_failover_in){ .from = &w->from, .from_answers = true, .to = &w->to,
                               .disks = w->disks, .ndisks = 2, .restore = restore,
                               .start = true, .from_nics = w->from_nics, .nfrom_nics = 1,
                               .to_nic = NIC("nic2"), .to_ipconfig = "ipconfig1",
                               .to_private_ip = "10.0.0.5" };
    if (ip) {
        w->in.public_ip_id = PIP;
        w->in.public_ip_exists = true;
        w->in.ip_holder_nic = NIC("nic1");
        w->in.ip_holder_ipconfig = "ipconfig1";
    }
    if (dns) {
        w->in.dns_record_id = REC;
        w->in.dns_exists = true;
        w->in.dns_etag = "\"e1\"";
        w->in.dns_ips = w->dns_ips;
        w->in.ndns_ips = 1;
    }
}

static void vm_remove(rcv_vm *vm, rcv_lun *luns, const char *id)
{
    for (size_t i = 0; i < vm->nluns; i++)
        if (strcmp(luns[i].disk_id, id) == 0) {
            luns[i] = luns[--vm->nluns];
            return;
        }
}

static rcv_disk *view_of(world *w, const char *id)
{
    for (int i = 0; i < 2; i++) {
        if (strcmp(w->d[i].id, id) == 0)
            return &w->d[i];
        if (strcmp(w->t[i].id, id) == 0)
            return &w->t[i];
    }
    fail_msg("no disk %s", id);
    return NULL;
}

/* What ARM looks like once the step has been carried out. */
static void apply(world *w, const rcv_step *s)
{
    switch (s->kind) {
    case RCV_DEALLOCATE:
        w->from.power = RCV_POWER_DEALLOCATED;
        break;
    case RCV_DETACH:
        vm_remove(&w->from, w->from_luns, s->disk_id);
        view_of(w, s->disk_id)->managed_by = NULL;
        break;
    case RCV_CREATE_DISK: {
        rcv_disk *t = view_of(w, s->disk_id);
        t->exists = true;
        t->location = "westeurope";
        t->zone = "1";
        t->restored_from = strcmp(s->disk_id, DISK("data1-fo")) == 0 ? SNAP("s1") : SNAP("s2");
        break;
    }
    case RCV_ATTACH:
        w->to_luns[w->to.nluns++] = (rcv_lun){ .lun = s->lun, .disk_id = s->disk_id,
                                               .caching = s->caching,
                                               .write_accelerator = s->write_accelerator };
        view_of(w, s->disk_id)->managed_by = w->to.id;
        break;
    case RCV_IP_REMOVE:
        w->in.ip_holder_nic = NULL;
        w->in.ip_holder_ipconfig = NULL;
        break;
    case RCV_IP_ADD:
        w->in.ip_holder_nic = w->in.to_nic;
        w->in.ip_holder_ipconfig = w->in.to_ipconfig;
        break;
    case RCV_DNS_SET:
        w->dns_ips[0] = "10.0.0.5";
        break;
    case RCV_START:
        w->to.power = RCV_POWER_RUNNING;
        break;
    default:
        fail_msg("unexpected step %s", rcv_step_name(s->kind));
    }
}

static size_t todo(const rcv_plan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nsteps; i++)
        n += !p->steps[i].done;
    return n;
}

/* Runs the plan one step at a time, replanning after each, and returns
 * how many steps were carried out. */
static size_t walk(world *w, const rcv_step_kind *kinds, size_t nkinds)
{
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w->in, &p), RCV_OK);
    assert_int_equal(p.plan.nsteps, nkinds);
    for (size_t i = 0; i < nkinds; i++)
        assert_int_equal(p.plan.steps[i].kind, kinds[i]);
    w->in.facts = p.facts;                  /* recorded before the first step */
    size_t ran = 0;
    while (todo(&p.plan) > 0) {
        size_t before = todo(&p.plan), i = 0;
        while (p.plan.steps[i].done)
            i++;
        apply(w, &p.plan.steps[i]);
        ran++;
        rcv_failover_plan q;
        assert_int_equal(rcv_plan_failover(&w->in, &q), RCV_OK);
        assert_int_equal(q.plan.nsteps, nkinds);
        for (size_t j = 0; j <= i; j++)
            assert_true(q.plan.steps[j].done);  /* nothing sent twice */
        assert_int_equal(todo(&q.plan), before - 1);
        p = q;
    }
    return ran;
}

static void test_first_plan(void **state)
{
    (void)state;
    world w;
    world_init(&w, true, true, false);
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_true(p.facts.known);
    assert_int_equal(p.facts.ndisks, 2);
    assert_int_equal(p.facts.disks[0].lun, 1);
    assert_string_equal(p.facts.disks[0].caching, "ReadWrite");
    assert_true(p.facts.disks[0].write_accelerator);
    assert_int_equal(p.facts.disks[1].lun, 3);
    assert_string_equal(p.facts.disks[1].caching, "ReadOnly");
    const rcv_step *s = p.plan.steps;
    assert_int_equal(s[0].kind, RCV_DEALLOCATE);
    assert_string_equal(s[0].vm_id, VM1);
    assert_int_equal(s[1].kind, RCV_DETACH);
    assert_false(s[1].force);
    assert_int_equal(s[3].kind, RCV_ATTACH);
    assert_string_equal(s[3].vm_id, VM2);
    assert_int_equal(s[3].lun, 1);
    assert_string_equal(s[3].caching, "ReadWrite");
    assert_true(s[3].write_accelerator);
    assert_int_equal(s[4].lun, 3);
    assert_int_equal(s[5].kind, RCV_IP_REMOVE);
    assert_string_equal(s[5].nic_id, NIC("nic1"));
    assert_string_equal(s[5].ipconfig, "ipconfig1");
    assert_int_equal(s[6].kind, RCV_IP_ADD);
    assert_string_equal(s[6].nic_id, NIC("nic2"));
    assert_int_equal(s[7].kind, RCV_DNS_SET);
    assert_string_equal(s[7].ip, "10.0.0.5");
    assert_string_equal(s[7].etag, "\"e1\"");       /* If-Match: the etag read now */
    assert_int_equal(s[8].kind, RCV_START);
    for (size_t i = 0; i < p.plan.nsteps; i++)
        assert_false(s[i].done);
}

static void test_walk_ip_dns(void **state)
{
    (void)state;
    static const rcv_step_kind k[] = { RCV_DEALLOCATE, RCV_DETACH, RCV_DETACH, RCV_ATTACH,
                                       RCV_ATTACH, RCV_IP_REMOVE, RCV_IP_ADD, RCV_DNS_SET,
                                       RCV_START };
    world w;
    world_init(&w, true, true, false);
    assert_int_equal(walk(&w, k, 9), 9);
    assert_int_equal(w.to.nluns, 3);
    assert_int_equal(w.from.nluns, 1);              /* the ungoverned disk stays */
}

/* Failing back is the same plan the other way round. */
static void test_walk_failback(void **state)
{
    (void)state;
    static const rcv_step_kind k[] = { RCV_DEALLOCATE, RCV_DETACH, RCV_DETACH, RCV_ATTACH,
                                       RCV_ATTACH, RCV_START };
    world w;
    world_init(&w, false, false, false);
    assert_int_equal(walk(&w, k, 6), 6);
    world back = w;
    /* swap: from is the standby now, to the old primary (its LUN 0 keeps
     * the ungoverned disk) */
    back.from = w.to;
    back.from.luns = back.from_luns;
    memcpy(back.from_luns, w.to_luns, sizeof back.from_luns);
    back.to = w.from;
    back.to.luns = back.to_luns;
    memcpy(back.to_luns, w.from_luns, sizeof back.to_luns);
    back.in.from = &back.from;
    back.in.to = &back.to;
    back.in.disks = back.disks;
    for (int i = 0; i < 2; i++)
        back.disks[i].disk = &back.d[i];
    memset(&back.in.facts, 0, sizeof back.in.facts);
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&back.in, &p), RCV_OK);
    assert_int_equal(p.facts.disks[0].lun, 1);      /* the LUNs travel back */
    assert_string_equal(p.facts.disks[0].caching, "ReadWrite");
    assert_string_equal(p.plan.steps[0].vm_id, VM2);
    assert_string_equal(p.plan.steps[3].vm_id, VM1);
    assert_int_equal(walk(&back, k, 6), 6);
    assert_int_equal(back.to.nluns, 3);             /* home again, with its scratch disk */
    assert_int_equal(back.from.nluns, 1);           /* the standby keeps its own */
    assert_string_equal(back.d[0].managed_by, VM1);
}

static void test_walk_force_detach(void **state)
{
    (void)state;
    static const rcv_step_kind k[] = { RCV_DETACH, RCV_DETACH, RCV_ATTACH, RCV_ATTACH,
                                       RCV_START };
    world w;
    world_init(&w, false, false, false);
    w.from.power = RCV_POWER_UNKNOWN;               /* instanceView does not answer */
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_UNKNOWN_POWER);
    assert_non_null(strstr(p.plan.why, "cannot be confirmed stopped"));
    assert_non_null(strstr(p.plan.why, "--force-detach"));
    assert_int_equal(p.plan.nsteps, 0);
    w.in.force_detach = true;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_true(p.plan.steps[0].force && p.plan.steps[1].force);
    assert_int_equal(walk(&w, k, 5), 5);
}

/* A resume whose source no longer answers at all: the recorded facts and
 * the disks' managedBy still tell what is left. */
static void test_resume_source_gone_quiet(void **state)
{
    (void)state;
    world w;
    world_init(&w, false, false, false);
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    w.in.facts = p.facts;
    apply(&w, &p.plan.steps[0]);
    apply(&w, &p.plan.steps[1]);                    /* data1 detached */
    w.in.from_answers = false;
    w.from.power = RCV_POWER_UNKNOWN;
    w.from.nluns = 0;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_UNKNOWN_POWER);
    w.in.force_detach = true;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_int_equal(p.plan.steps[0].kind, RCV_DETACH);     /* no deallocate */
    assert_true(p.plan.steps[0].done);
    assert_false(p.plan.steps[1].done);              /* data2 is still held */
    assert_int_equal(p.plan.steps[2].lun, 1);        /* from the record */
}

static void test_walk_restore(void **state)
{
    (void)state;
    static const rcv_step_kind k[] = { RCV_DEALLOCATE, RCV_CREATE_DISK, RCV_CREATE_DISK,
                                       RCV_ATTACH, RCV_ATTACH, RCV_IP_REMOVE, RCV_IP_ADD,
                                       RCV_START };
    world w;
    world_init(&w, true, false, true);
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_string_equal(p.plan.steps[3].disk_id, DISK("data1-fo"));
    assert_int_equal(walk(&w, k, 8), 8);
    /* the originals are untouched: still on the source, at their LUNs */
    assert_string_equal(w.d[0].managed_by, VM1);
    assert_int_equal(w.from.nluns, 3);
}

static void test_restore_target_busy_and_foreign(void **state)
{
    (void)state;
    world w;
    world_init(&w, false, false, true);
    rcv_failover_plan p;
    w.t[0].exists = true;                           /* somebody's disk of that name */
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_TARGET_EXISTS);
    world_init(&w, false, false, true);
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    w.in.facts = p.facts;
    w.t[0] = (rcv_disk){ .exists = true, .id = DISK("data1-fo"), .location = "westeurope",
                         .zone = "1", .restored_from = SNAP("s1"),
                         .provisioning = RCV_PROV_BUSY };
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_int_equal(p.plan.steps[1].kind, RCV_WAIT_DISK);
    w.t[0].provisioning = RCV_PROV_FAILED;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_TARGET_FAILED);
}

/* Someone started the source again after the move: the deallocation and
 * the detaches stay done, judged on the end state. */
static void test_end_state(void **state)
{
    (void)state;
    static const rcv_step_kind k[] = { RCV_DEALLOCATE, RCV_DETACH, RCV_DETACH, RCV_ATTACH,
                                       RCV_ATTACH, RCV_START };
    world w;
    world_init(&w, false, false, false);
    walk(&w, k, 6);
    w.from.power = RCV_POWER_RUNNING;
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_int_equal(todo(&p.plan), 0);
    /* the same command once its record is gone: all done, nothing refused */
    memset(&w.in.facts, 0, sizeof w.in.facts);
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_int_equal(p.facts.ndisks, 2);
    assert_int_equal(todo(&p.plan), 0);
}

static void expect_refusal(world *w, rcv_refusal r, const char *words)
{
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w->in, &p), r);
    assert_int_equal(p.plan.nsteps, 0);
    if (strstr(p.plan.why, words) == NULL)
        fail_msg("refusal \"%s\" lacks \"%s\"", p.plan.why, words);
}

static void test_refusals(void **state)
{
    (void)state;
    world w;

    world_init(&w, true, true, false);
    w.to.exists = false;
    expect_refusal(&w, RCV_VM_MISSING, "standby VM vm2 does not exist");

    world_init(&w, true, true, false);
    w.in.to = &w.from;
    expect_refusal(&w, RCV_SAME_VM, "must be another VM");

    world_init(&w, true, true, false);
    w.from.exists = false;
    expect_refusal(&w, RCV_VM_MISSING, "VM vm1 does not exist");

    world_init(&w, true, true, false);
    w.to_luns[0].lun = 3;                           /* the standby's own disk at LUN 3 */
    expect_refusal(&w, RCV_LUN_TAKEN, "LUN 3 of VM vm2 holds disk standby-own");

    world_init(&w, true, true, false);
    w.to.zone = "2";
    expect_refusal(&w, RCV_ZONE, "same availability zone");

    world_init(&w, true, true, false);
    w.to.location = "northeurope";
    expect_refusal(&w, RCV_REGION, "another region");

    world_init(&w, true, true, true);               /* restore: the snapshot's region */
    w.disks[1].snapshot_location = "northeurope";
    expect_refusal(&w, RCV_REGION, "data2-fo");

    world_init(&w, true, true, false);
    w.d[1].managed_by = VM3;
    expect_refusal(&w, RCV_HELD_ELSEWHERE, "disk data2 is attached to VM vm3");

    world_init(&w, true, true, false);
    w.from.power = RCV_POWER_UNKNOWN;
    expect_refusal(&w, RCV_UNKNOWN_POWER, "cannot be confirmed stopped");

    world_init(&w, true, true, false);
    w.in.from_answers = false;
    expect_refusal(&w, RCV_UNKNOWN_POWER, "cannot be read");

    world_init(&w, true, true, false);
    w.in.ip_holder_nic = NIC("nic9");
    expect_refusal(&w, RCV_IP_ELSEWHERE, "interface nic9");

    world_init(&w, true, true, false);
    w.in.ip_holder_nic = NIC("nic2");               /* the standby's NIC, not its primary */
    w.in.ip_holder_ipconfig = "ipconfig2";
    expect_refusal(&w, RCV_IP_ELSEWHERE, "ipconfig2");

    world_init(&w, true, true, false);
    w.in.public_ip_exists = false;
    expect_refusal(&w, RCV_IP_MISSING, "public IP pip1 does not exist");

    world_init(&w, true, true, false);
    w.in.to_nic = NULL;
    expect_refusal(&w, RCV_NO_NIC, "no network interface");

    world_init(&w, false, true, false);
    w.in.to_private_ip = NULL;
    expect_refusal(&w, RCV_NO_NIC, "no private IP");

    world_init(&w, true, true, false);
    w.in.dns_exists = false;
    expect_refusal(&w, RCV_DNS_MISSING, "DNS record app does not exist");

    world_init(&w, true, true, false);
    w.from_luns[1].disk_id = DISK("other1");
    w.from_luns[2].disk_id = DISK("other2");
    expect_refusal(&w, RCV_NO_DISKS, "no disk the policy governs");
}

/* A public IP already free (its removal was done by an earlier attempt
 * that recorded nothing else) is only added. */
static void test_ip_free(void **state)
{
    (void)state;
    world w;
    world_init(&w, true, false, false);
    w.in.ip_holder_nic = NULL;
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_int_equal(p.plan.steps[5].kind, RCV_IP_REMOVE);
    assert_true(p.plan.steps[5].done);
    assert_false(p.plan.steps[6].done);
}

static void test_no_start(void **state)
{
    (void)state;
    world w;
    world_init(&w, false, false, false);
    w.in.start = false;
    rcv_failover_plan p;
    assert_int_equal(rcv_plan_failover(&w.in, &p), RCV_OK);
    assert_int_equal(p.plan.nsteps, 5);
    assert_int_equal(p.plan.steps[4].kind, RCV_ATTACH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_plan),
        cmocka_unit_test(test_walk_ip_dns),
        cmocka_unit_test(test_walk_failback),
        cmocka_unit_test(test_walk_force_detach),
        cmocka_unit_test(test_resume_source_gone_quiet),
        cmocka_unit_test(test_walk_restore),
        cmocka_unit_test(test_restore_target_busy_and_foreign),
        cmocka_unit_test(test_end_state),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_ip_free),
        cmocka_unit_test(test_no_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
