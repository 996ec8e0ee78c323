/* libFuzzer target: the disk list reader behind `plan --disks FILE` (the
 * bare array `az disk list` prints, ARM's {"value":[...]}, an array of such
 * pages) over arbitrary bytes. Beyond memory safety it checks what `plan`
 * relies on: an accepted list is valid JSON (cJSON parses it too), every
 * disk has a name, every scope a subscription, and the disk list is then
 * known; a refused one leaves the inventory as it was (the snapshots and
 * disks read before, the scopes, "not known") and names the file. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "azure/inventory_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One disk and its scope read first, as a second --disks file would find. */
static const char before_json[] =
    "{\"value\":[{\"name\":\"pre\",\"id\":\"/subscriptions/s0/resourceGroups/rg0/providers/"
    "Microsoft.Compute/disks/pre\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    if (size == 0)
        data = NULL;            /* as an empty read reaches the reader */
    for (int round = 0; round < 2; round++) {
        inv_inventory *inv = inv_new();
        if (!inv)
            return 0;
        if (round == 1 && inv_read_disks_buffer(inv, "pre.json", before_json,
                                                sizeof before_json - 1, err, sizeof err) != 0)
            abort();
        size_t nd = inv->ndisks, ns = inv->ndisk_scopes;
        bool known = inv->disks_known;
        if (inv_read_disks_buffer(inv, "fuzz.json", (const char *)data, size, err,
                                  sizeof err) != 0) {
            if (inv->ndisks != nd || inv->ndisk_scopes != ns || inv->disks_known != known ||
                strncmp(err, "fuzz.json", 9) != 0)
                abort();
        } else {
            if (!inv->disks_known || inv->ndisks < nd)
                abort();
            size_t skip = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
            cJSON *root = cJSON_ParseWithLength((const char *)data + skip, size - skip);
            if (!root)
                abort();
            cJSON_Delete(root);
        }
        for (size_t i = 0; i < inv->ndisks; i++)
            if (!inv->disks[i].name || !inv->disks[i].name[0])
                abort();
        for (size_t i = 0; i < inv->ndisk_scopes; i++)
            if (!inv->disk_scopes[i].subscription)
                abort();
        inv_free(inv);
    }
    return 0;
}
