/* Pure plans of the recovery operations that change VMs: a partial
 * restore (`restore --attach-to`), a complete restore in place
 * (`restore --replace-on`) and `release`. Each plan is a short list of
 * steps computed from what ARM says now plus the facts the first attempt
 * recorded (a LUN, whether the VM was running), so a command killed at any
 * point and run again skips what live state shows done and never repeats a
 * step blindly. A plan that would be dangerous is refused before any step
 * is taken. No I/O: the caller reads ARM, records the facts and runs the
 * steps. */
#ifndef SNAPKEEP_RECOVERY_H
#define SNAPKEEP_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>

/* ARM's data-disk LUNs are 0..63. */
#define RCV_MAX_LUNS 64
/* The longest plan is a failover of 16 disks: deallocate, 16 detaches (or
 * creations), 16 attaches, the public IP's two moves, the DNS record and
 * the start. */
#define RCV_MAX_DISKS 16
#define RCV_MAX_STEPS (2 * RCV_MAX_DISKS + 6)

typedef enum rcv_power {
    RCV_POWER_UNKNOWN,
    RCV_POWER_RUNNING,
    RCV_POWER_STARTING,
    RCV_POWER_STOPPING,
    RCV_POWER_STOPPED,          /* powered off, still allocated */
    RCV_POWER_DEALLOCATING,
    RCV_POWER_DEALLOCATED
} rcv_power;

/* One data disk of a VM as ARM lists it. */
typedef struct rcv_lun {
    int lun;
    const char *disk_id;
    const char *caching;        /* "None", "ReadOnly", "ReadWrite"; NULL: None */
    bool write_accelerator;
} rcv_lun;

typedef struct rcv_vm {
    bool exists;
    const char *id;
    const char *location;
    const char *zone;           /* NULL or "": none */
    rcv_power power;
    const rcv_lun *luns;
    size_t nluns;
} rcv_vm;

typedef enum rcv_provisioning { RCV_PROV_OK, RCV_PROV_BUSY, RCV_PROV_FAILED } rcv_provisioning;

/* A managed disk as ARM shows it, with the tags recovery reads. */
typedef struct rcv_disk {
    bool exists;
    const char *id;
    const char *location;
    const char *zone;
    const char *managed_by;     /* the VM holding it; NULL or "": none */
    rcv_provisioning provisioning;
    const char *restored_from;  /* tag snapkeep-restored-from */
    const char *replaces;       /* tag snapkeep-replaces: put in service by --replace-on */
    const char *replaced_by;    /* tag snapkeep-replaced-by */
    const char *copy_for;       /* tag snapkeep-copy-for: the VM restore --attach-to made it for */
} rcv_disk;

/* What the first attempt saw and later attempts must reuse: live state
 * cannot tell them once the operation has begun (a detached disk has no
 * LUN, a deallocated VM does not say it was running). */
typedef struct rcv_facts {
    bool known;                 /* false: first attempt, the plan fills them */
    int lun;
    char caching[16];
    bool write_accelerator;
    bool was_running;
} rcv_facts;

typedef enum rcv_step_kind {
    RCV_CREATE_DISK,            /* from the snapshot, tagged */
    RCV_WAIT_DISK,              /* an earlier attempt's creation is still running */
    RCV_DEALLOCATE,
    RCV_DETACH,
    RCV_ATTACH,
    RCV_TAG_REPLACED,           /* snapkeep-replaced-by / -replaced-at on the old disk */
    RCV_START,
    RCV_DELETE_DISK,
    RCV_IP_REMOVE,              /* failover: the public IP off the source's IP configuration */
    RCV_IP_ADD,                 /* failover: onto the standby's primary IP configuration */
    RCV_DNS_SET                 /* failover: the A record to the standby's private IP */
} rcv_step_kind;

typedef struct rcv_step {
    rcv_step_kind kind;
    bool done;                  /* live state shows it done: skip it */
    const char *vm_id;          /* deallocate, detach, attach, start */
    const char *disk_id;        /* the disk created, attached, detached, tagged, deleted */
    int lun;                    /* attach, detach; -1 when none */
    char caching[16];           /* attach */
    bool write_accelerator;     /* attach */
    bool force;                 /* detach: ARM's ForceDetach (failover --force-detach) */
    const char *nic_id;         /* ip-remove, ip-add: the NIC changed; NULL when not known */
    const char *ipconfig;       /* its IP configuration's name; NULL: the primary one */
    const char *public_ip_id;   /* ip-remove, ip-add */
    const char *record_id;      /* dns-set: the A record set */
    const char *ip;             /* dns-set: the one address it gets */
    const char *etag;           /* dns-set: as read when planning (sent as If-Match) */
} rcv_step;

typedef enum rcv_refusal {
    RCV_OK = 0,
    RCV_VM_MISSING,             /* the VM does not exist */
    RCV_TARGET_EXISTS,          /* the new disk's name is taken and not by this operation */
    RCV_TARGET_FAILED,          /* this operation's creation failed earlier */
    RCV_NO_FREE_LUN,
    RCV_LUN_TAKEN,              /* the LUN asked for (or recorded) holds another disk */
    RCV_HELD_ELSEWHERE,         /* the disk is attached to another VM */
    RCV_REGION,                 /* the disk's and the VM's regions differ */
    RCV_ZONE,                   /* the disk's and the VM's zones differ */
    RCV_NOT_ATTACHED,           /* replace: the policy's disk is not on that VM */
    RCV_UNKNOWN_POWER,          /* the VM's power state cannot be read */
    RCV_NOT_RESTORED,           /* release: not a disk snapkeep restored */
    RCV_IN_SERVICE,             /* release: a disk --replace-on put in service */
    RCV_OS_DISK,                /* release: held by a VM but not as a data disk */
    RCV_GONE,                   /* release: the disk does not exist */
    RCV_SAME_VM,                /* failover: --to is --from */
    RCV_NO_DISKS,               /* failover: no governed disk is a data disk of --from */
    RCV_TOO_MANY,               /* failover: more than RCV_MAX_DISKS governed disks */
    RCV_IP_ELSEWHERE,           /* failover: the public IP is on a third IP configuration */
    RCV_IP_MISSING,             /* failover: the public IP does not exist */
    RCV_NO_NIC,                 /* failover: the standby has no NIC / private IP */
    RCV_DNS_MISSING,            /* failover: the DNS record set does not exist */
    RCV_NOT_A_COPY              /* release: attached, but not by restore --attach-to */
} rcv_refusal;

typedef struct rcv_plan {
    rcv_refusal refusal;
    char why[600];              /* the refusal in words, naming disks, VMs, LUNs */
    rcv_facts facts;            /* to record before the first step (when !known on input) */
    rcv_step steps[RCV_MAX_STEPS];
    size_t nsteps;
} rcv_plan;

/* Appends a step (kind, its VM and disk, done when the state already
 * shows it) to a plan the planners (recovery.c, failover.c) build; the
 * plan's capacity (RCV_MAX_STEPS) is theirs to respect. */
rcv_step *rcv_plan_step(rcv_plan *plan, rcv_step_kind k, const char *vm_id,
                        const char *disk_id, bool done);

/* The first LUN from 0 that no data disk of vm uses; -1 when all 64 are. */
int rcv_free_lun(const rcv_vm *vm);
/* The data disk of vm with that disk ID (IDs compare as ARM's do); NULL. */
const rcv_lun *rcv_find_disk(const rcv_vm *vm, const char *disk_id);
/* Whether a disk ID is that VM's (managedBy compares as an ID). */
bool rcv_held_by(const rcv_disk *d, const char *vm_id);

/* Partial restore: the new disk `target` (made from snapshot_id) attached
 * to vm at `lun` (-1: the first free one; the one chosen is recorded).
 * target_zone is the zone the disk is (or will be) made in. */
typedef struct rcv_attach_in {
    const rcv_vm *vm;
    const rcv_disk *target;
    const char *target_id;
    const char *snapshot_id;
    const char *snapshot_location;
    const char *target_zone;
    int lun;
    rcv_facts facts;
} rcv_attach_in;
rcv_refusal rcv_plan_attach(const rcv_attach_in *in, rcv_plan *out);

/* Complete restore in place: vm's data disk `disk` swapped for the new
 * disk `target` (made from snapshot_id) at the same LUN with the same
 * caching and write accelerator; the VM is deallocated first and started
 * again when it was running or `start` asks. The old disk is tagged,
 * never deleted. */
typedef struct rcv_replace_in {
    const rcv_vm *vm;
    const rcv_disk *disk;
    const rcv_disk *target;
    const char *target_id;
    const char *snapshot_id;
    const char *snapshot_location;
    bool start;
    rcv_facts facts;
} rcv_replace_in;
rcv_refusal rcv_plan_replace(const rcv_replace_in *in, rcv_plan *out);

/* release: the restored disk detached from the VM holding it (vm: that VM
 * as read, or NULL when the disk is not attached) and deleted. from_vm
 * (NULL: any) must be the VM holding it. resuming: an earlier release of
 * this disk was recorded, so a disk already gone is success. */
typedef struct rcv_release_in {
    const rcv_disk *disk;
    const char *disk_id;
    const rcv_vm *vm;
    const char *from_vm;
    bool resuming;
} rcv_release_in;
rcv_refusal rcv_plan_release(const rcv_release_in *in, rcv_plan *out);

/* "create disk", "deallocate", ... for messages and journals. */
const char *rcv_step_name(rcv_step_kind k);
/* Whether a power state counts as stopped for detaching disks. */
bool rcv_power_stopped(rcv_power p);
/* Running or starting. */
bool rcv_power_up(rcv_power p);
/* The data disk of vm at that LUN; NULL. */
const rcv_lun *rcv_at_lun(const rcv_vm *vm, int lun);
/* Regions compare as ARM's do (case and spaces aside; unknown matches);
 * zones exactly (none matches none). */
bool rcv_same_region(const char *a, const char *b);
bool rcv_same_zone(const char *a, const char *b);

#endif
