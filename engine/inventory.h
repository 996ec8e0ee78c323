/* Snapshot and disk records, however they were read (an ARM list response,
 * `az snapshot list` output, or a live listing). Strings live in the
 * inventory's arena and are freed with it. */
#ifndef SNAPKEEP_INVENTORY_H
#define SNAPKEEP_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/sktime.h"

typedef struct inv_tag {
    const char *key;
    const char *value;
} inv_tag;

typedef struct inv_snapshot {
    const char *name;
    const char *id;                 /* ARM resource ID ("" when absent) */
    const char *source_id;          /* creationData.sourceResourceId, NULL when absent
                                     * (the readers add a missing leading '/') */
    const char *location;           /* NULL when absent */
    const char *provisioning_state; /* NULL when absent */
    const char *sku;                /* NULL when absent */
    sk_time created;                /* properties.timeCreated */
    inv_tag *tags;
    uint32_t ntags;
    bool incremental;
    const char *source_unique_id;   /* creationData.sourceUniqueId: the uniqueId of the
                                     * disk it was taken of, NULL when absent */
    bool has_completion;            /* properties.completionPercent is given */
    double completion_percent;      /* ... and its value (background copy, 0-100);
                                     * absent means finished, so a zeroed record is */
    const char *copy_error_code;    /* copyCompletionError.errorCode, NULL when none */
    const char *copy_error_message; /* copyCompletionError.errorMessage, NULL when none */
} inv_snapshot;


typedef struct inv_disk {
    const char *name;
    const char *id;
    const char *location;
    const char *sku;
    const char *zone;               /* first of "zones", NULL when none */
    const char *managed_by;         /* the VM holding it ("managedBy"), NULL when none */
    const char *disk_state;         /* properties.diskState ("Attached", "Reserved",
                                     * "Unattached", ...), NULL when absent */
    const char *unique_id;          /* properties.uniqueId: a disk deleted and made
                                     * again under the same name gets a new one */
    inv_tag *tags;
    uint32_t ntags;
} inv_disk;

typedef struct inv_arena inv_arena;

/* A subscription, or one resource group of it, whose disks were listed in
 * full: a disk of that scope missing from the disk list no longer exists. */
typedef struct inv_scope {
    const char *subscription;
    const char *resource_group;     /* NULL: the whole subscription */
} inv_scope;

typedef struct inv_inventory {
    inv_snapshot *snapshots;
    size_t nsnapshots, capsnapshots;
    inv_disk *disks;
    size_t ndisks, capdisks;
    bool disks_known;               /* false offline: disk-tag selectors match nothing */
    inv_scope *disk_scopes;         /* where the disk list is complete (arena) */
    size_t ndisk_scopes;
    inv_arena *arena;
} inv_inventory;

/* Arena-backed construction, used by the readers and by tests. */
inv_inventory *inv_new(void);
void inv_free(inv_inventory *inv);  /* NULL is a no-op */
char *inv_strdup(inv_inventory *inv, const char *s, size_t len);
void *inv_alloc(inv_inventory *inv, size_t size);   /* zeroed, aligned */
/* Records that the disks of `subscription` (and of `resource_group`, NULL:
 * all of it) are listed in full; copies the strings. 0, or -1 out of memory. */
int inv_add_disk_scope(inv_inventory *inv, const char *subscription,
                       const char *resource_group);
/* Whether the disk list covers the disk with this ARM ID: its subscription
 * (and resource group) is one of inv->disk_scopes. Only then does a disk
 * missing from the list mean a disk that is gone. */
bool inv_disks_cover(const inv_inventory *inv, const char *disk_id);
/* Appends a zeroed record and returns it (NULL when out of memory). The
 * array may move: pointers to earlier records are valid until the next add. */
inv_snapshot *inv_add_snapshot(inv_inventory *inv);
inv_disk *inv_add_disk(inv_inventory *inv);

/* A view of `src` holding the snapshots `keep` accepts (every one when
 * keep is NULL) and every disk; the records are copied by value, so their
 * strings still live in src's arena: free the view before src. NULL when
 * out of memory. */
inv_inventory *inv_view_filtered(const inv_inventory *src,
                                 bool (*keep)(const inv_snapshot *s, const void *ctx),
                                 const void *ctx);

/* The value of tag `key`, or NULL. Keys compare case-insensitively, as ARM
 * treats tag names; values are compared exactly by callers. */
const char *inv_tag_get(const inv_tag *tags, uint32_t ntags, const char *key);

/* ARM resource IDs compare as ARM does: ASCII case ignored, a missing
 * leading '/' tolerated ("/subscriptions/S/..." equals "SUBSCRIPTIONS/s/...").
 * NULL equals only NULL. Every ID comparison in engine/ and cli/ is this. */
bool inv_id_equal(const char *a, const char *b);
/* A hash consistent with inv_id_equal (IDs must not be NULL). */
uint64_t inv_id_hash(const char *id);

/* Merges every snapshot whose resource ID (compared as ARM does: ASCII
 * case ignored, a leading '/' optional) repeats an earlier one's into that
 * first record, as the live listing does: a snapshot listed twice
 * (overlapping pages, listings concatenated) is one snapshot, and must not
 * get a second decision. The first record gains every tag only a later
 * copy has, so a legal hold any copy carries holds it, as the run's re-read
 * before a delete would. Copies that disagree on what a decision reads
 * (timeCreated, the source disk and its uniqueId, provisioningState, the
 * background copy, the ownership tag, or a tag's value) are not merged: -2, with a sentence naming the snapshot
 * and the field in why. Snapshots without an ID are kept. *merged receives
 * how many copies went, *example (may be NULL) the name of the first. -1:
 * out of memory. After -1 or -2 the inventory is valid but partial: free it. */
int inv_merge_duplicate_ids(inv_inventory *inv, size_t *merged, const char **example,
                            char *why, size_t whylen);

#endif
