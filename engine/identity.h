/* Which disk a snapshot is of: a disk is its `uniqueId`, not its name. A
 * disk deleted and made again under the same name gets a new uniqueId, and
 * its old snapshots keep the old one in creationData.sourceUniqueId beside
 * the same sourceResourceId: they are the history of another disk. Pure:
 * judged from the inventory's disk list alone. */
#ifndef SNAPKEEP_IDENTITY_H
#define SNAPKEEP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/inventory.h"

typedef enum eng_identity {
    ENG_ID_CURRENT,     /* the disk exists and the snapshot is of it (same uniqueId,
                           or the snapshot does not say which) */
    ENG_ID_UNJUDGED,    /* no disk list covers its disk (offline without --disks,
                           another subscription), the disk has no uniqueId, or the
                           snapshot has no source: treated as current */
    ENG_ID_EARLIER,     /* a disk of that ID exists with another uniqueId: the
                           snapshot is of an earlier disk of the same name */
    ENG_ID_GONE         /* the disk list covers its resource group and has no disk
                           of that ID */
} eng_identity;

/* Earlier incarnations and gone disks are *retired*: their snapshots form
 * groups of their own that never make a run stale (engine/evaluate.h). */
static inline bool eng_identity_retired(eng_identity id)
{
    return id == ENG_ID_EARLIER || id == ENG_ID_GONE;
}

/* "current", "unjudged", "earlier", "gone": the JSON spelling. */
const char *eng_identity_name(eng_identity id);
/* For reports, a noun phrase: "a disk that is gone", "an earlier disk of
 * the same name", ... */
const char *eng_identity_text(eng_identity id);

/* The disks of an inventory by ID, for lookups in constant time. */
typedef struct eng_disk_index eng_disk_index;

/* NULL when out of memory. The index borrows inv: free it first. */
eng_disk_index *eng_disk_index_new(const inv_inventory *inv);
void eng_disk_index_free(eng_disk_index *x);     /* NULL is a no-op */
/* The disk with this ARM ID (compared as inv_id_equal), or NULL. */
const inv_disk *eng_disk_find(const eng_disk_index *x, const char *disk_id);

/* The identity of a snapshot of `source_id` carrying `source_unique_id`
 * (either may be NULL or ""). */
eng_identity eng_identity_of(const eng_disk_index *x, const char *source_id,
                             const char *source_unique_id);

/* A policy's `retired` setting as written ("forever", "keep-all",
 * "for 90d") and in words, for explain and the reports. */
struct pol_policy;
size_t eng_retired_setting(const struct pol_policy *p, char *buf, size_t n);
size_t eng_retired_text(const struct pol_policy *p, char *buf, size_t n);

/* Whether two uniqueIds name the same disk (GUIDs: ASCII case ignored);
 * NULL or "" is unknown and matches anything. */
bool eng_same_unique_id(const char *a, const char *b);

#endif
