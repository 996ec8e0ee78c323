/* Reading snapshot and disk inventories from JSON: files given to `plan
 * --inventory` and the pages of a live ARM listing.
 *
 * Accepted shapes (each gives identical records):
 *   - an ARM list response   {"value":[SNAPSHOT...], "nextLink":...}
 *   - several such pages concatenated as a JSON array  [{"value":[...]}, ...]
 *   - the array `az snapshot list` prints  [SNAPSHOT...], whose objects carry
 *     timeCreated, creationData, provisioningState and incremental at the top
 *     level instead of under "properties".
 *
 * Extracted per snapshot: name (required, a non-empty string), id,
 * properties.timeCreated (required, RFC 3339, kept to the microsecond),
 * properties.creationData.sourceResourceId (a missing leading '/' is added),
 * location, provisioningState, incremental, sku.name and tags. Optional fields
 * may be null. Unknown fields are skipped, but still validated as JSON.
 *
 * The reader is strict: malformed JSON, bytes that are not UTF-8, bad escapes,
 * nesting deeper than INV_READ_MAX_DEPTH, a wrong type for an extracted field,
 * a field given twice, or a snapshot without a valid name or time is an
 * error, reported in `err` as
 *     FILE:LINE:COL: snapshot .value[12] ("snap-x"): properties.timeCreated: ...
 * (the snapshot's jq path, its name when it has one, the field). Nothing is
 * guessed: an error means no inventory.
 */
#ifndef SNAPKEEP_INVENTORY_READ_H
#define SNAPKEEP_INVENTORY_READ_H

#include <stddef.h>

#include "engine/inventory.h"

#define INV_READ_MAX_DEPTH 64

/* Inventory files larger than this are refused unless the caller raises
 * the limit: 512 MiB is about 700,000 snapshots as ARM lists them. */
#define INV_READ_DEFAULT_MAX ((size_t)512 << 20)
/* inv_read_file's answer for a file over the limit. */
#define INV_READ_TOO_LARGE (-2)

/* Reads an inventory file: a regular file, or standard input when path is
 * "-" (so a pipe or a device is read only that way), of at most max_bytes
 * (0: INV_READ_DEFAULT_MAX). Returns 0 and a new inventory in *out (free
 * with inv_free); or INV_READ_TOO_LARGE, or -1 for any other failure, with
 * *out NULL and a message in err naming the file ("standard input" for
 * "-"), its path and strerror when it cannot be opened or read. */
int inv_read_file(const char *path, size_t max_bytes, inv_inventory **out, char *err,
                  size_t errlen);

/* Reads a disk list file (the JSON of `az disk list`, a bare array; an ARM
 * list response {"value":[...]}; or an array of such pages) into inv:
 * its disks are appended, inv->disks_known is set, and the resource group
 * of each disk becomes one of inv->disk_scopes, so a snapshot of another
 * disk of such a group is of a disk that is gone. Same limits and messages
 * as inv_read_file ("disk .[3] ("d1"): ..."); on failure inv is as it was. */
int inv_read_disks_file(const char *path, size_t max_bytes, inv_inventory *inv, char *err,
                        size_t errlen);

/* inv_read_disks_file from memory: `name` stands for the file in messages
 * and `buf` need not be NUL-terminated (the file reader's parser). */
int inv_read_disks_buffer(inv_inventory *inv, const char *name, const char *buf, size_t len,
                          char *err, size_t errlen);

/* inv_read_file from memory; `name` stands for the file in messages. `buf` need
 * not be NUL-terminated. */
int inv_read_buffer(const char *name, const char *buf, size_t len,
                    inv_inventory **out, char *err, size_t errlen);

/* Appends the snapshots of one ARM list page ({"value":[...],"nextLink":...})
 * to `inv`. On success *next_link is the page's nextLink (malloc'd, the
 * caller frees it) or NULL when there is none (absent, null or ""). On error
 * returns -1, leaves inv->nsnapshots as it was (the page adds nothing), sets
 * *next_link to NULL and writes a message naming `name`. */
int inv_read_arm_page(inv_inventory *inv, const char *name, const char *buf,
                      size_t len, char **next_link, char *err, size_t errlen);

/* The same for a disk list page: appends disks (name required; id,
 * location, sku.name, the first of "zones", tags) and sets
 * inv->disks_known. */
int inv_read_arm_disk_page(inv_inventory *inv, const char *name, const char *buf,
                           size_t len, char **next_link, char *err, size_t errlen);

#endif
