/* The recovery planner (see recovery.h). Every plan follows one pattern:
 * refuse what is dangerous while nothing has been changed, then list the
 * steps in order, each marked done when live state already shows its
 * effect. "Already shows its effect" is judged on the end state, not on
 * the step alone: once the new disk sits at the recorded LUN, neither the
 * deallocation nor the detach is needed any more, even if someone started
 * the VM again in between. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/enforce.h"
#include "engine/recovery.h"

static bool empty(const char *s)
{
    return s == NULL || *s == '\0';
}

/* Regions compare as ARM's do: case and spaces do not matter
 * ("West Europe" is "westeurope"). */
bool rcv_same_region(const char *a, const char *b)
{
    if (empty(a) || empty(b))
        return true;            /* unknown: ARM itself will judge */
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (*a == '\0' || *b == '\0')
            return *a == *b;
        char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (ca != cb)
            return false;
        a++;
        b++;
    }
}

bool rcv_same_zone(const char *a, const char *b)
{
    return (empty(a) && empty(b)) || (!empty(a) && !empty(b) && strcmp(a, b) == 0);
}

bool rcv_power_stopped(rcv_power p)
{
    return p == RCV_POWER_STOPPED || p == RCV_POWER_DEALLOCATED;
}

bool rcv_power_up(rcv_power p)
{
    return p == RCV_POWER_RUNNING || p == RCV_POWER_STARTING;
}

const rcv_lun *rcv_find_disk(const rcv_vm *vm, const char *disk_id)
{
    for (size_t i = 0; vm != NULL && i < vm->nluns; i++)
        if (enf_same_id(vm->luns[i].disk_id, disk_id))
            return &vm->luns[i];
    return NULL;
}

const rcv_lun *rcv_at_lun(const rcv_vm *vm, int lun)
{
    for (size_t i = 0; i < vm->nluns; i++)
        if (vm->luns[i].lun == lun)
            return &vm->luns[i];
    return NULL;
}

int rcv_free_lun(const rcv_vm *vm)
{
    for (int lun = 0; lun < RCV_MAX_LUNS; lun++)
        if (rcv_at_lun(vm, lun) == NULL)
            return lun;
    return -1;
}

bool rcv_held_by(const rcv_disk *d, const char *vm_id)
{
    return d != NULL && d->exists && !empty(d->managed_by) && enf_same_id(d->managed_by, vm_id);
}

const char *rcv_step_name(rcv_step_kind k)
{
    switch (k) {
    case RCV_CREATE_DISK: return "create-disk";
    case RCV_WAIT_DISK: return "wait-disk";
    case RCV_DEALLOCATE: return "deallocate";
    case RCV_DETACH: return "detach";
    case RCV_ATTACH: return "attach";
    case RCV_TAG_REPLACED: return "tag-replaced";
    case RCV_START: return "start";
    case RCV_DELETE_DISK: return "delete-disk";
    case RCV_IP_REMOVE: return "ip-remove";
    case RCV_IP_ADD: return "ip-add";
    case RCV_DNS_SET: return "dns-set";
    }
    return "?";
}

/* The refusal, in words: IDs are shortened to names by the caller (N()). */
__attribute__((format(printf, 3, 4)))
static rcv_refusal refuse(rcv_plan *out, rcv_refusal r, const char *fmt, ...)
{
    va_list ap;
    out->refusal = r;
    out->nsteps = 0;
    va_start(ap, fmt);
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
    return r;
}

#define N(id) enf_id_name(id)

rcv_step *rcv_plan_step(rcv_plan *out, rcv_step_kind k, const char *vm_id,
                        const char *disk_id, bool done)
{
    rcv_step *s = &out->steps[out->nsteps++];
    memset(s, 0, sizeof *s);
    s->kind = k;
    s->vm_id = vm_id;
    s->disk_id = disk_id;
    s->lun = -1;
    s->done = done;
    return s;
}

/* The new disk a plan makes: absent (create it), this operation's own
 * (made from the same snapshot, by an attempt the caller has recorded), or
 * somebody else's (refused: nothing is ever overwritten). */
static rcv_refusal plan_target(rcv_plan *out, const rcv_disk *t, const char *target_id,
                               const char *snapshot_id, bool recorded)
{
    if (!t->exists) {
        rcv_plan_step(out, RCV_CREATE_DISK, NULL, target_id, false);
        return RCV_OK;
    }
    if (!recorded || empty(t->restored_from) || !enf_same_id(t->restored_from, snapshot_id))
        return refuse(out, RCV_TARGET_EXISTS,
                      "disk %s exists already: snapkeep never overwrites a disk; "
                      "choose another --to name", N(target_id));
    if (t->provisioning == RCV_PROV_FAILED)
        return refuse(out, RCV_TARGET_FAILED,
                      "the creation of disk %s failed in an earlier attempt; remove it with "
                      "snapkeep release --disk %s, then run this command again",
                      N(target_id), N(target_id));
    if (t->provisioning == RCV_PROV_BUSY)
        rcv_plan_step(out, RCV_WAIT_DISK, NULL, target_id, false);
    else
        rcv_plan_step(out, RCV_CREATE_DISK, NULL, target_id, true);
    return RCV_OK;
}

static rcv_refusal check_place(rcv_plan *out, const rcv_vm *vm, const char *location,
                               const char *zone, const char *disk_id)
{
    if (!rcv_same_region(location, vm->location))
        return refuse(out, RCV_REGION,
                      "disk %s would be in another region than VM %s: a disk attaches only "
                      "to a VM of its own region", N(disk_id), N(vm->id));
    if (!rcv_same_zone(zone, vm->zone))
        return refuse(out, RCV_ZONE,
                      "disk %s and VM %s are not in the same availability zone", N(disk_id),
                      N(vm->id));
    return RCV_OK;
}

rcv_refusal rcv_plan_attach(const rcv_attach_in *in, rcv_plan *out)
{
    memset(out, 0, sizeof *out);
    out->facts = in->facts;
    const rcv_vm *vm = in->vm;
    if (!vm->exists)
        return refuse(out, RCV_VM_MISSING, "VM %s does not exist", N(vm->id));
    const rcv_disk *t = in->target;
    if (t->exists && !empty(t->managed_by) && !enf_same_id(t->managed_by, vm->id))
        return refuse(out, RCV_HELD_ELSEWHERE, "disk %s is attached to VM %s already",
                      N(in->target_id), N(t->managed_by));
    rcv_refusal r = check_place(out, vm, in->snapshot_location, in->target_zone, in->target_id);
    if (r != RCV_OK)
        return r;
    const rcv_lun *now_at = rcv_find_disk(vm, in->target_id);
    if (!out->facts.known) {
        int lun = in->lun;
        if (lun < 0 && (lun = rcv_free_lun(vm)) < 0)
            return refuse(out, RCV_NO_FREE_LUN, "VM %s has no free LUN (all %d are in use)",
                          N(vm->id), RCV_MAX_LUNS);
        const rcv_lun *l = rcv_at_lun(vm, lun);
        if (l != NULL && (now_at == NULL || now_at->lun != lun))
            return refuse(out, RCV_LUN_TAKEN, "LUN %d of VM %s holds disk %s", lun,
                          N(vm->id), N(l->disk_id));
        out->facts.known = true;
        out->facts.lun = lun;
        snprintf(out->facts.caching, sizeof out->facts.caching, "None");
        out->facts.write_accelerator = false;
        out->facts.was_running = rcv_power_up(vm->power);
    }
    if ((r = plan_target(out, t, in->target_id, in->snapshot_id, in->facts.known)) != RCV_OK)
        return r;
    int lun = out->facts.lun;
    const rcv_lun *l = rcv_at_lun(vm, lun);
    bool attached = now_at != NULL && now_at->lun == lun;
    if (!attached && now_at != NULL)
        return refuse(out, RCV_LUN_TAKEN, "disk %s is attached to VM %s at LUN %d, not the "
                      "LUN this restore chose", N(in->target_id), N(vm->id), now_at->lun);
    if (!attached && l != NULL)
        return refuse(out, RCV_LUN_TAKEN, "LUN %d of VM %s holds disk %s", lun, N(vm->id),
                      N(l->disk_id));
    rcv_step *s = rcv_plan_step(out, RCV_ATTACH, vm->id, in->target_id, attached);
    s->lun = lun;
    snprintf(s->caching, sizeof s->caching, "%s", out->facts.caching);
    return RCV_OK;
}

/* First attempt of a replace: what the VM shows now becomes the facts. */
static rcv_refusal replace_facts(const rcv_replace_in *in, rcv_plan *out)
{
    const rcv_vm *vm = in->vm;
    const rcv_lun *d = rcv_find_disk(vm, in->disk->id);
    if (d == NULL)
        return refuse(out, RCV_NOT_ATTACHED,
                      "disk %s is not a data disk of VM %s: nothing to replace there",
                      N(in->disk->id), N(vm->id));
    if (vm->power == RCV_POWER_UNKNOWN)
        return refuse(out, RCV_UNKNOWN_POWER,
                      "the power state of VM %s cannot be read: it cannot be confirmed "
                      "stopped before its disk is swapped", N(vm->id));
    if (in->target->exists)
        return refuse(out, RCV_TARGET_EXISTS,
                      "disk %s exists already: snapkeep never overwrites a disk; "
                      "choose another --to name", N(in->target_id));
    out->facts.known = true;
    out->facts.lun = d->lun;
    snprintf(out->facts.caching, sizeof out->facts.caching, "%s",
             empty(d->caching) ? "None" : d->caching);
    out->facts.write_accelerator = d->write_accelerator;
    out->facts.was_running = rcv_power_up(vm->power);
    return RCV_OK;
}

rcv_refusal rcv_plan_replace(const rcv_replace_in *in, rcv_plan *out)
{
    memset(out, 0, sizeof *out);
    out->facts = in->facts;
    const rcv_vm *vm = in->vm;
    if (!vm->exists)
        return refuse(out, RCV_VM_MISSING, "VM %s does not exist", N(vm->id));
    rcv_refusal r = check_place(out, vm, in->snapshot_location, in->disk->zone, in->target_id);
    if (r != RCV_OK)
        return r;
    if (!out->facts.known && (r = replace_facts(in, out)) != RCV_OK)
        return r;
    const rcv_disk *t = in->target;
    if (t->exists && !empty(t->managed_by) && !enf_same_id(t->managed_by, vm->id))
        return refuse(out, RCV_HELD_ELSEWHERE, "disk %s is attached to VM %s",
                      N(in->target_id), N(t->managed_by));
    if ((r = plan_target(out, t, in->target_id, in->snapshot_id, in->facts.known)) != RCV_OK)
        return r;

    int lun = out->facts.lun;
    const rcv_lun *new_at = rcv_find_disk(vm, in->target_id);
    const rcv_lun *old_at = rcv_find_disk(vm, in->disk->id);
    const rcv_lun *occupant = rcv_at_lun(vm, lun);
    bool swapped = new_at != NULL && new_at->lun == lun;
    if (new_at != NULL && !swapped)
        return refuse(out, RCV_LUN_TAKEN, "disk %s is attached to VM %s at LUN %d, not at "
                      "the replaced disk's LUN", N(in->target_id), N(vm->id), new_at->lun);
    if (!swapped && occupant != NULL && !enf_same_id(occupant->disk_id, in->disk->id))
        return refuse(out, RCV_LUN_TAKEN, "LUN %d of VM %s now holds disk %s, not the "
                      "disk being replaced", lun, N(vm->id), N(occupant->disk_id));
    if (!swapped && vm->power == RCV_POWER_UNKNOWN)
        return refuse(out, RCV_UNKNOWN_POWER,
                      "the power state of VM %s cannot be read: it cannot be confirmed "
                      "stopped before its disk is swapped", N(vm->id));

    rcv_plan_step(out, RCV_DEALLOCATE, vm->id, NULL, swapped || rcv_power_stopped(vm->power));
    rcv_step *s = rcv_plan_step(out, RCV_DETACH, vm->id, in->disk->id, swapped || old_at == NULL);
    s->lun = lun;
    s = rcv_plan_step(out, RCV_ATTACH, vm->id, in->target_id, swapped);
    s->lun = lun;
    snprintf(s->caching, sizeof s->caching, "%s", out->facts.caching);
    s->write_accelerator = out->facts.write_accelerator;
    bool tagged = !empty(in->disk->replaced_by) &&
                  enf_same_id(in->disk->replaced_by, in->target_id);
    rcv_plan_step(out, RCV_TAG_REPLACED, NULL, in->disk->id, tagged);
    if (out->facts.was_running || in->start)
        rcv_plan_step(out, RCV_START, vm->id, NULL, swapped && rcv_power_up(vm->power));
    return RCV_OK;
}

rcv_refusal rcv_plan_release(const rcv_release_in *in, rcv_plan *out)
{
    memset(out, 0, sizeof *out);
    const rcv_disk *d = in->disk;
    if (!d->exists) {
        if (in->resuming)
            return RCV_OK;      /* an earlier attempt deleted it: nothing left to do */
        return refuse(out, RCV_GONE, "disk %s does not exist", N(in->disk_id));
    }
    if (empty(d->restored_from))
        return refuse(out, RCV_NOT_RESTORED,
                      "disk %s carries no snapkeep-restored-from tag: release deletes only "
                      "disks snapkeep restored", N(in->disk_id));
    if (!empty(d->replaces))
        return refuse(out, RCV_IN_SERVICE,
                      "disk %s was put in service by restore --replace-on in place of %s "
                      "(tag snapkeep-replaces): release never deletes a disk in service",
                      N(in->disk_id), N(d->replaces));
    bool attached = !empty(d->managed_by);
    if (attached && in->from_vm != NULL && !enf_same_id(d->managed_by, in->from_vm))
        return refuse(out, RCV_HELD_ELSEWHERE, "disk %s is attached to VM %s, not to the "
                      "VM --from names", N(in->disk_id), N(d->managed_by));
    /* A restored disk swapped in by hand is production data: only the
     * copy a partial restore attached, to the VM it was made for, is
     * detached by snapkeep. */
    if (attached && (empty(d->copy_for) || !enf_same_id(d->copy_for, d->managed_by)))
        return refuse(out, RCV_NOT_A_COPY,
                      "disk %s is attached to VM %s, and not by restore --attach-to (no "
                      "snapkeep-copy-for tag naming that VM): it may be in use there; release "
                      "detaches only a partial restore's copy (detach it by hand if it is one)",
                      N(in->disk_id), N(d->managed_by));
    if (attached) {
        const rcv_lun *l = in->vm != NULL ? rcv_find_disk(in->vm, in->disk_id) : NULL;
        if (l == NULL)
            return refuse(out, RCV_OS_DISK, "disk %s is held by VM %s but is not one of "
                          "its data disks (an OS disk?): release leaves it alone",
                          N(in->disk_id), N(d->managed_by));
        rcv_step *s = rcv_plan_step(out, RCV_DETACH, in->vm->id, in->disk_id, false);
        s->lun = l->lun;
    }
    rcv_plan_step(out, RCV_DELETE_DISK, NULL, in->disk_id, false);
    return RCV_OK;
}
