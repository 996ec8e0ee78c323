/* Virtual machines as recovery needs them: read a VM (its data disks and
 * power state), power actions, attach/detach of data disks, and tag
 * changes on disks. Every change here is a long-running operation that
 * these calls drive to its terminal state (within the client's LRO
 * deadline) before they return. They decide nothing: which disk goes
 * where is the caller's (engine/recovery.c) decision. */
#ifndef SNAPKEEP_AZURE_VM_H
#define SNAPKEEP_AZURE_VM_H

#include <stdbool.h>
#include <stddef.h>

#include "azure/azure.h"

/* ARM's range of data-disk LUNs. */
#define AZ_VM_MAX_LUNS 64
#define AZ_ID_MAX 1024
/* ARM's limits on tags: 50 per resource, names of 512 and values of 256
 * characters. A disk's whole set is kept (a PATCH replaces the set). */
#define AZ_MAX_TAGS 50

typedef enum az_power {
    AZ_POWER_UNKNOWN,       /* no PowerState status (or instanceView unreadable) */
    AZ_POWER_RUNNING,
    AZ_POWER_STARTING,
    AZ_POWER_STOPPING,
    AZ_POWER_STOPPED,       /* powered off: still allocated, still billed */
    AZ_POWER_DEALLOCATING,
    AZ_POWER_DEALLOCATED
} az_power;

/* "running", "deallocated", ... ("unknown"). */
const char *az_power_name(az_power p);

typedef struct az_vm_disk {
    int lun;
    char name[96];
    char disk_id[AZ_ID_MAX];    /* managedDisk.id as ARM gives it */
    char caching[16];           /* "None", "ReadOnly", "ReadWrite" */
    bool write_accelerator;
    bool to_be_detached;
} az_vm_disk;

typedef struct az_vm {
    char id[AZ_ID_MAX];
    char name[96];
    char location[64];
    char zone[8];               /* first of "zones"; "" when none */
    char provisioning_state[32];
    az_power power;
    char os_disk_id[AZ_ID_MAX]; /* "" when none */
    az_vm_disk disks[AZ_VM_MAX_LUNS];
    size_t ndisks;
    char nic_ids[8][AZ_ID_MAX]; /* networkProfile.networkInterfaces[].id */
    size_t nnics;
    int primary_nic;            /* index in nic_ids (the one marked primary, else 0); -1: none */
} az_vm;

/* GET the VM (api-version 2024-07-01) and its instanceView. Returns 1 with
 * *out filled, 0 when ARM says 404, -1 on error (err). An instanceView
 * that cannot be read leaves power AZ_POWER_UNKNOWN and returns 1: the
 * caller decides what an unknown power state means. */
int az_get_vm(az_client *c, const char *vm_id, az_vm *out, az_error *err);

typedef enum az_vm_action { AZ_VM_DEALLOCATE, AZ_VM_POWER_OFF, AZ_VM_START } az_vm_action;

/* POST .../{vm}/deallocate | powerOff | start and wait for the operation.
 * Returns 0 when it succeeded, -1 with err (err.ambiguous-style cases,
 * where the POST may have reached ARM without an answer, are reported as
 * failures: the caller re-reads the VM before deciding anything). */
int az_vm_power_action(az_client *c, const char *vm_id, az_vm_action action, az_error *err);

typedef struct az_disk_attach {
    const char *disk_id;
    int lun;
    const char *caching;        /* NULL: "None" */
    bool write_accelerator;
} az_disk_attach;

typedef struct az_disk_detach {
    const char *disk_id;
    bool force;                 /* detachOption ForceDetach */
} az_disk_detach;

/* POST .../{vm}/attachDetachDataDisks (api-version 2024-07-01) with the
 * given lists and wait for the operation. Returns 0, or -1 with err (ARM's
 * code and message: a LUN in use, a disk held by another VM, ...). */
int az_vm_attach_detach(az_client *c, const char *vm_id,
                        const az_disk_attach *attach, size_t nattach,
                        const az_disk_detach *detach, size_t ndetach, az_error *err);

/* A managed disk's fields recovery reads (GET .../disks/{name}). */
typedef struct az_disk_info {
    char id[AZ_ID_MAX];
    char name[96];
    char location[64];
    char zone[8];
    char managed_by[AZ_ID_MAX]; /* the VM holding it; "" when none */
    char disk_state[24];        /* "Attached", "Reserved", "Unattached", ... */
    char provisioning_state[32];
    char sku[32];
    inv_tag tags[AZ_MAX_TAGS];  /* key/value point into tag_text */
    size_t ntags;
    char tag_text[AZ_MAX_TAGS * (512 + 256 + 2)];
} az_disk_info;

/* Returns 1 found, 0 404, -1 error. */
int az_get_disk_info(az_client *c, const char *disk_id, az_disk_info *out, az_error *err);

/* PATCH .../disks/{name} {"tags":{...}} with the disk's whole new tag set
 * (ARM replaces the set) and wait for it. 0, or -1 with err. */
int az_disk_set_tags(az_client *c, const char *disk_id, const inv_tag *tags, size_t ntags,
                     az_error *err);

#endif
