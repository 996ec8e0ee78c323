/* libFuzzer target: the inventory reader over arbitrary bytes, as a file
 * and as live ARM pages of snapshots and disks. Beyond memory safety it
 * checks what callers rely on: an accepted inventory is valid JSON (cJSON
 * parses it too), has as many records as the input has elements, and every
 * record has a name and a time; a refused one leaves nothing behind and
 * says where. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "azure/inventory_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The snapshot count an accepted document must give, read with cJSON. */
static size_t oracle_count(const cJSON *root)
{
    if (cJSON_IsObject(root))
        return (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "value"));
    size_t n = 0;
    const cJSON *el;
    cJSON_ArrayForEach(el, root) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(el, "value");
        n += cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
    }
    return n;
}

static void check_records(const inv_inventory *inv)
{
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (!s->name || !s->name[0] || !s->id || s->created < SK_TIME_MIN || s->created > SK_TIME_MAX)
            abort();
        if (s->source_id && s->source_id[0] != '/')
            abort();
        for (uint32_t t = 0; t < s->ntags; t++)
            if (!s->tags[t].key || !s->tags[t].value)
                abort();
    }
    for (size_t i = 0; i < inv->ndisks; i++)
        if (!inv->disks[i].name || !inv->disks[i].name[0])
            abort();
}

static void fuzz_file(const uint8_t *data, size_t size)
{
    char err[512];
    inv_inventory *inv = NULL;
    if (inv_read_buffer("fuzz.json", (const char *)data, size, &inv, err, sizeof err) != 0) {
        if (inv || strncmp(err, "fuzz.json", 9) != 0)
            abort();
        return;
    }
    check_records(inv);
    size_t skip = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    cJSON *root = cJSON_ParseWithLength((const char *)data + skip, size - skip);
    if (!root || oracle_count(root) != inv->nsnapshots)
        abort();
    cJSON_Delete(root);
    inv_free(inv);
}

static void fuzz_pages(const uint8_t *data, size_t size)
{
    char err[512], *next = NULL;
    inv_inventory *inv = inv_new();
    if (!inv)
        return;
    for (int round = 0; round < 2; round++) {
        size_t before = inv->nsnapshots;
        if (inv_read_arm_page(inv, "page", (const char *)data, size, &next, err, sizeof err) != 0) {
            if (next || inv->nsnapshots != before)
                abort();
        }
        free(next);
        next = NULL;
    }
    size_t before = inv->ndisks;
    if (inv_read_arm_disk_page(inv, "disks", (const char *)data, size, &next, err, sizeof err) != 0) {
        if (next || inv->ndisks != before)
            abort();
    }
    free(next);
    check_records(inv);
    inv_free(inv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An empty HTTP body reaches the reader as NULL (the corpus's
     * empty-answer seed): libFuzzer never passes NULL itself. */
    if (size == 0)
        data = NULL;
    fuzz_file(data, size);
    fuzz_pages(data, size);
    return 0;
}
