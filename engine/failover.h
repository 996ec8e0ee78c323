/* The pure plan of a failover by disk reattachment (the guide's HA
 * procedure): the source VM deallocated when it answers, every disk the
 * policy governs detached from it (or, with --restore, new disks made from
 * snapshots, the originals left alone), attached to the standby at the
 * same LUNs with the same caching and write accelerator, the public IP
 * moved to the standby's primary IP configuration, a DNS A record pointed
 * at the standby's private IP, and the standby started. Same promises as
 * engine/recovery.h: refusals before any change, steps marked done when
 * live state shows their effect (judged on the end state), facts recorded
 * on the first attempt so that a resume after the detaches still knows
 * the LUNs. Failing back is the same plan with the VMs swapped. No I/O. */
#ifndef SNAPKEEP_FAILOVER_H
#define SNAPKEEP_FAILOVER_H

#include "engine/recovery.h"

/* A disk the policy governs, as ARM shows it now. */
typedef struct rcv_fo_disk {
    const char *id;
    const rcv_disk *disk;       /* NULL or !exists: gone */
    /* --restore: the new disk made from snapshot_id (else all NULL) */
    const char *target_id;
    const rcv_disk *target;
    const char *snapshot_id;
    const char *snapshot_location;
} rcv_fo_disk;

/* What the first attempt read off the source VM: once a disk is detached
 * live state no longer says at which LUN, with which caching, it was. */
typedef struct rcv_fo_fact {
    const char *disk_id;
    int lun;
    char caching[16];
    bool write_accelerator;
} rcv_fo_fact;

typedef struct rcv_fo_facts {
    bool known;                 /* false: first attempt, the plan fills them */
    size_t ndisks;
    rcv_fo_fact disks[RCV_MAX_DISKS];
} rcv_fo_facts;

typedef struct rcv_failover_in {
    const rcv_vm *from;         /* id always set */
    bool from_answers;          /* false: reading the VM failed (power unknown too) */
    const rcv_vm *to;
    /* the policy's disks: on the first attempt the ones named or selected
     * by tag (those on the source are kept), on a resume the recorded
     * ones, in the facts' order */
    const rcv_fo_disk *disks;
    size_t ndisks;
    bool restore;
    bool force_detach;
    bool start;
    /* public IP (public_ip_id NULL: not moved) */
    const char *public_ip_id;
    bool public_ip_exists;
    const char *ip_holder_nic;  /* the NIC whose IP configuration holds it; NULL: free */
    const char *ip_holder_ipconfig;
    const char *const *from_nics;
    size_t nfrom_nics;
    const char *to_nic;         /* the standby's primary NIC; NULL: none */
    const char *to_ipconfig;    /* its primary IP configuration's name */
    const char *to_private_ip;  /* its private IP; NULL: none */
    /* DNS A record (record_id NULL: not changed) */
    const char *dns_record_id;
    bool dns_exists;
    const char *dns_etag;
    const char *const *dns_ips;
    size_t ndns_ips;
    rcv_fo_facts facts;
} rcv_failover_in;

typedef struct rcv_failover_plan {
    rcv_plan plan;
    rcv_fo_facts facts;         /* to record before the first step */
} rcv_failover_plan;

rcv_refusal rcv_plan_failover(const rcv_failover_in *in, rcv_failover_plan *out);

#endif
