/* The failover planner (see failover.h). It follows recovery.c's pattern:
 * refuse the dangerous cases while nothing has been changed, then list the
 * steps in order, each marked done when live state shows its effect. "The
 * move is complete" (every disk at its recorded LUN on the standby) makes
 * the deallocation and the detaches done, whatever the source shows now:
 * a resumed command never sends them again once their purpose is met. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/enforce.h"
#include "engine/failover.h"

#define N(id) enf_id_name(id)

static bool empty(const char *s)
{
    return s == NULL || *s == '\0';
}

__attribute__((format(printf, 3, 4)))
static rcv_refusal refuse(rcv_failover_plan *out, rcv_refusal r, const char *fmt, ...)
{
    va_list ap;
    out->plan.refusal = r;
    out->plan.nsteps = 0;
    va_start(ap, fmt);
    vsnprintf(out->plan.why, sizeof out->plan.why, fmt, ap);
    va_end(ap);
    return r;
}

static rcv_step *add_step(rcv_failover_plan *out, rcv_step_kind k, const char *vm_id,
                          const char *disk_id, bool done)
{
    return rcv_plan_step(&out->plan, k, vm_id, disk_id, done);
}

static const rcv_fo_disk *input_of(const rcv_failover_in *in, const char *id)
{
    for (size_t i = 0; i < in->ndisks; i++)
        if (enf_same_id(in->disks[i].id, id))
            return &in->disks[i];
    return NULL;
}

/* First attempt: the governed disks the source holds, with their LUNs. */
static rcv_refusal take_facts(const rcv_failover_in *in, rcv_failover_plan *out)
{
    const rcv_vm *from = in->from;
    if (!in->from_answers)
        return refuse(out, RCV_UNKNOWN_POWER,
                      "VM %s cannot be read: which disks it holds at which LUNs is unknown, "
                      "so nothing can be moved from it", N(from->id));
    rcv_fo_facts *f = &out->facts;
    for (size_t i = 0; i < in->ndisks; i++) {
        const rcv_lun *l = rcv_find_disk(from, in->disks[i].id);
        if (l == NULL)
            continue;
        if (f->ndisks == RCV_MAX_DISKS)
            return refuse(out, RCV_TOO_MANY, "VM %s holds more than %d disks the policy "
                          "governs: a failover moves at most %d", N(from->id), RCV_MAX_DISKS,
                          RCV_MAX_DISKS);
        rcv_fo_fact *d = &f->disks[f->ndisks++];
        d->disk_id = in->disks[i].id;
        d->lun = l->lun;
        snprintf(d->caching, sizeof d->caching, "%s", empty(l->caching) ? "None" : l->caching);
        d->write_accelerator = l->write_accelerator;
    }
    /* Not on the source but all on the standby: a failover that finished
     * (its record gone) run again; every step is then done. */
    bool none = f->ndisks == 0;
    for (size_t i = 0; none && !in->restore && i < in->ndisks; i++) {
        const rcv_lun *l = rcv_find_disk(in->to, in->disks[i].id);
        if (l != NULL && f->ndisks < RCV_MAX_DISKS)
            f->disks[f->ndisks++] = (rcv_fo_fact){ .disk_id = in->disks[i].id, .lun = l->lun,
                                                   .write_accelerator = l->write_accelerator };
        if (l != NULL)
            snprintf(f->disks[f->ndisks - 1].caching, sizeof f->disks[0].caching, "%s",
                     empty(l->caching) ? "None" : l->caching);
    }
    if (f->ndisks == 0)
        return refuse(out, RCV_NO_DISKS, "no disk the policy governs is a data disk of VM %s: "
                      "nothing to move", N(from->id));
    f->known = true;
    return RCV_OK;
}

/* The disk that ends up on the standby: the original, or its restored copy. */
static const char *moved_id(const rcv_failover_in *in, const rcv_fo_disk *d)
{
    return in->restore ? d->target_id : d->id;
}

static bool moved(const rcv_failover_in *in, const rcv_fo_fact *f, const rcv_fo_disk *d)
{
    const rcv_lun *l = rcv_find_disk(in->to, moved_id(in, d));
    return l != NULL && l->lun == f->lun;
}

/* Every disk's refusals: where it is, whether its LUN is free on the
 * standby, whether a third VM holds it. */
static rcv_refusal check_disk(const rcv_failover_in *in, const rcv_fo_fact *f,
                              const rcv_fo_disk *d, rcv_failover_plan *out)
{
    const rcv_vm *to = in->to;
    const char *id = moved_id(in, d);
    const rcv_disk *v = in->restore ? d->target : d->disk;
    /* where the disk that moves is: the original's place, or the place the
     * restored copy will be made in (the snapshot's region, the standby's
     * zone) */
    const char *location = d->snapshot_location, *zone = to->zone;
    if (!in->restore) {
        if (v == NULL || !v->exists)
            return refuse(out, RCV_GONE, "disk %s does not exist any more", N(d->id));
        location = v->location;
        zone = v->zone;
    }
    if (v != NULL && v->exists && !empty(v->managed_by) && !enf_same_id(v->managed_by, to->id) &&
        (in->restore || !enf_same_id(v->managed_by, in->from->id)))
        return refuse(out, RCV_HELD_ELSEWHERE, "disk %s is attached to VM %s, which is "
                      "neither %s nor %s", N(id), N(v->managed_by), N(in->from->id),
                      N(to->id));
    if (!rcv_same_region(location, to->location))
        return refuse(out, RCV_REGION, "disk %s would be in another region than VM %s: a disk "
                      "attaches only to a VM of its own region", N(id), N(to->id));
    if (!rcv_same_zone(zone, to->zone))
        return refuse(out, RCV_ZONE, "disk %s and VM %s are not in the same availability zone",
                      N(id), N(to->id));
    const rcv_lun *now = rcv_find_disk(to, id);
    if (now != NULL && now->lun != f->lun)
        return refuse(out, RCV_LUN_TAKEN, "disk %s is attached to VM %s at LUN %d, not at "
                      "LUN %d where VM %s held it", N(id), N(to->id), now->lun, f->lun,
                      N(in->from->id));
    const rcv_lun *occupant = rcv_at_lun(to, f->lun);
    if (now == NULL && occupant != NULL)
        return refuse(out, RCV_LUN_TAKEN, "LUN %d of VM %s holds disk %s: disk %s needs that "
                      "LUN there", f->lun, N(to->id), N(occupant->disk_id), N(id));
    if (in->restore && v != NULL && v->exists &&
        (!in->facts.known || empty(v->restored_from) ||
         !enf_same_id(v->restored_from, d->snapshot_id)))
        return refuse(out, RCV_TARGET_EXISTS, "disk %s exists already: snapkeep never "
                      "overwrites a disk", N(id));
    if (in->restore && v != NULL && v->exists && v->provisioning == RCV_PROV_FAILED)
        return refuse(out, RCV_TARGET_FAILED, "the creation of disk %s failed in an earlier "
                      "attempt; remove it with snapkeep release --disk %s, then run this "
                      "command again", N(id), N(id));
    return RCV_OK;
}

static rcv_refusal check_ip(const rcv_failover_in *in, rcv_failover_plan *out)
{
    if (!in->public_ip_exists)
        return refuse(out, RCV_IP_MISSING, "public IP %s does not exist",
                      N(in->public_ip_id));
    if (empty(in->to_nic))
        return refuse(out, RCV_NO_NIC, "VM %s has no network interface to take public IP %s",
                      N(in->to->id), N(in->public_ip_id));
    if (empty(in->ip_holder_nic))
        return RCV_OK;
    for (size_t i = 0; i < in->nfrom_nics; i++)
        if (enf_same_id(in->from_nics[i], in->ip_holder_nic))
            return RCV_OK;
    if (enf_same_id(in->ip_holder_nic, in->to_nic) && !empty(in->ip_holder_ipconfig) &&
        !empty(in->to_ipconfig) && strcasecmp(in->ip_holder_ipconfig, in->to_ipconfig) == 0)
        return RCV_OK;
    return refuse(out, RCV_IP_ELSEWHERE, "public IP %s is on IP configuration %s of network "
                  "interface %s, which belongs to neither VM %s's NICs nor VM %s's primary "
                  "IP configuration: snapkeep does not take it from there",
                  N(in->public_ip_id), empty(in->ip_holder_ipconfig) ? "?"
                  : in->ip_holder_ipconfig, N(in->ip_holder_nic), N(in->from->id),
                  N(in->to->id));
}

static rcv_refusal check_dns(const rcv_failover_in *in, rcv_failover_plan *out)
{
    if (!in->dns_exists)
        return refuse(out, RCV_DNS_MISSING, "DNS record %s does not exist: failover changes "
                      "a record, it does not create one", N(in->dns_record_id));
    if (empty(in->to_private_ip))
        return refuse(out, RCV_NO_NIC, "VM %s has no private IP address for DNS record %s",
                      N(in->to->id), N(in->dns_record_id));
    return RCV_OK;
}

static void add_ip_steps(const rcv_failover_in *in, rcv_failover_plan *out)
{
    bool on_to = !empty(in->ip_holder_nic) && enf_same_id(in->ip_holder_nic, in->to_nic);
    bool free_ip = empty(in->ip_holder_nic);
    rcv_step *s = add_step(out, RCV_IP_REMOVE, in->from->id, NULL, on_to || free_ip);
    s->public_ip_id = in->public_ip_id;
    if (!on_to && !free_ip) {
        s->nic_id = in->ip_holder_nic;
        s->ipconfig = in->ip_holder_ipconfig;
    }
    s = add_step(out, RCV_IP_ADD, in->to->id, NULL, on_to);
    s->public_ip_id = in->public_ip_id;
    s->nic_id = in->to_nic;
    s->ipconfig = in->to_ipconfig;
}

static void add_dns_step(const rcv_failover_in *in, rcv_failover_plan *out)
{
    bool done = in->ndns_ips == 1 && strcmp(in->dns_ips[0], in->to_private_ip) == 0;
    rcv_step *s = add_step(out, RCV_DNS_SET, in->to->id, NULL, done);
    s->record_id = in->dns_record_id;
    s->ip = in->to_private_ip;
    s->etag = in->dns_etag;
}

static void add_disk_steps(const rcv_failover_in *in, rcv_failover_plan *out, bool all_moved)
{
    const rcv_fo_facts *f = &out->facts;
    for (size_t i = 0; i < f->ndisks; i++) {
        const rcv_fo_disk *d = input_of(in, f->disks[i].disk_id);
        bool here = moved(in, &f->disks[i], d);
        if (in->restore) {
            const rcv_disk *t = d->target;
            bool exists = t != NULL && t->exists;
            rcv_step_kind k = exists && t->provisioning == RCV_PROV_BUSY ? RCV_WAIT_DISK
                                                                          : RCV_CREATE_DISK;
            add_step(out, k, NULL, d->target_id, exists && k == RCV_CREATE_DISK);
            continue;
        }
        rcv_step *s = add_step(out, RCV_DETACH, in->from->id, d->id,
                               all_moved || here || !rcv_held_by(d->disk, in->from->id));
        s->lun = f->disks[i].lun;
        s->force = in->force_detach;
    }
    for (size_t i = 0; i < f->ndisks; i++) {
        const rcv_fo_disk *d = input_of(in, f->disks[i].disk_id);
        rcv_step *s = add_step(out, RCV_ATTACH, in->to->id, moved_id(in, d),
                               moved(in, &f->disks[i], d));
        s->lun = f->disks[i].lun;
        snprintf(s->caching, sizeof s->caching, "%s", f->disks[i].caching);
        s->write_accelerator = f->disks[i].write_accelerator;
    }
}

rcv_refusal rcv_plan_failover(const rcv_failover_in *in, rcv_failover_plan *out)
{
    memset(out, 0, sizeof *out);
    out->facts = in->facts;
    const rcv_vm *from = in->from, *to = in->to;
    if (!to->exists)
        return refuse(out, RCV_VM_MISSING, "standby VM %s does not exist", N(to->id));
    if (enf_same_id(from->id, to->id))
        return refuse(out, RCV_SAME_VM, "--to names VM %s, the VM being failed over: the "
                      "standby must be another VM", N(to->id));
    if (in->from_answers && !from->exists)
        return refuse(out, RCV_VM_MISSING, "VM %s does not exist", N(from->id));
    rcv_refusal r;
    if (!out->facts.known && (r = take_facts(in, out)) != RCV_OK)
        return r;
    bool all_moved = true;
    for (size_t i = 0; i < out->facts.ndisks; i++) {
        const rcv_fo_disk *d = input_of(in, out->facts.disks[i].disk_id);
        if (d == NULL)
            return refuse(out, RCV_GONE, "disk %s, recorded by the first attempt, was not "
                          "given to the planner", N(out->facts.disks[i].disk_id));
        if ((r = check_disk(in, &out->facts.disks[i], d, out)) != RCV_OK)
            return r;
        all_moved = all_moved && moved(in, &out->facts.disks[i], d);
    }
    if (in->public_ip_id != NULL && (r = check_ip(in, out)) != RCV_OK)
        return r;
    if (in->dns_record_id != NULL && (r = check_dns(in, out)) != RCV_OK)
        return r;
    /* Stopped means the VM said so, or it answers and can be deallocated
     * first; a VM that does not answer may still write to its disks. */
    bool knows_power = in->from_answers && from->power != RCV_POWER_UNKNOWN;
    if (!knows_power && !in->force_detach && !all_moved)
        return refuse(out, RCV_UNKNOWN_POWER,
                      "VM %s cannot be confirmed stopped (its power state cannot be read): "
                      "moving its disks could corrupt them while it still writes; if it is "
                      "really down, run again with --force-detach (ARM's forced detach)",
                      N(from->id));
    if (knows_power)
        add_step(out, RCV_DEALLOCATE, from->id, NULL,
                 all_moved || rcv_power_stopped(from->power));
    add_disk_steps(in, out, all_moved);
    if (in->public_ip_id != NULL)
        add_ip_steps(in, out);
    if (in->dns_record_id != NULL)
        add_dns_step(in, out);
    if (in->start)
        add_step(out, RCV_START, to->id, NULL, rcv_power_up(to->power));
    return RCV_OK;
}
