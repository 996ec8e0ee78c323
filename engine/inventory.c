/* Inventory records and the arena their strings live in. The readers make
 * hundreds of thousands of small strings; a bump allocator makes that one
 * malloc per megabyte and one free per block. */
#include "engine/inventory.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ascii.h"
#include "engine/policy.h"

#define ARENA_BLOCK (1024 * 1024)

typedef struct inv_block {
    struct inv_block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
} inv_block;

struct inv_arena {
    inv_block *head;        /* the block being filled; older ones follow */
};

inv_inventory *inv_new(void)
{
    inv_inventory *inv = calloc(1, sizeof *inv);
    if (!inv)
        return NULL;
    inv->arena = calloc(1, sizeof *inv->arena);
    if (!inv->arena) {
        free(inv);
        return NULL;
    }
    return inv;
}

void inv_free(inv_inventory *inv)
{
    if (!inv)
        return;
    if (inv->arena) {
        inv_block *b = inv->arena->head;
        while (b) {
            inv_block *next = b->next;
            free(b);
            b = next;
        }
        free(inv->arena);
    }
    free(inv->snapshots);
    free(inv->disks);
    free(inv);
}

/* A large request gets a block of its own, linked behind the current one so
 * the current block's free space is not wasted. */
static void *arena_raw(inv_arena *a, size_t size, size_t align)
{
    inv_block *b = a->head;
    if (b) {
        size_t at = (b->used + align - 1) & ~(align - 1);
        if (at <= b->size && size <= b->size - at) {
            b->used = at + size;
            return b->data + at;
        }
    }
    size_t bsize = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
    if (bsize > SIZE_MAX - sizeof(inv_block))
        return NULL;
    inv_block *nb = malloc(sizeof(inv_block) + bsize);
    if (!nb)
        return NULL;
    nb->size = bsize;
    nb->used = size;
    if (b && bsize != ARENA_BLOCK) {
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        a->head = nb;
    }
    return nb->data;
}

void *inv_alloc(inv_inventory *inv, size_t size)
{
    void *p = arena_raw(inv->arena, size ? size : 1, alignof(max_align_t));
    if (p)
        memset(p, 0, size);
    return p;
}

char *inv_strdup(inv_inventory *inv, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = arena_raw(inv->arena, len + 1, 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* Grows *arr (of *cap elements of `size` bytes) so one more fits. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > SIZE_MAX / size)
        return -1;
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

inv_snapshot *inv_add_snapshot(inv_inventory *inv)
{
    void *arr = inv->snapshots;
    if (grow(&arr, &inv->capsnapshots, inv->nsnapshots, sizeof(inv_snapshot)) < 0)
        return NULL;
    inv->snapshots = arr;
    inv_snapshot *s = &inv->snapshots[inv->nsnapshots++];
    memset(s, 0, sizeof *s);
    return s;
}

inv_disk *inv_add_disk(inv_inventory *inv)
{
    void *arr = inv->disks;
    if (grow(&arr, &inv->capdisks, inv->ndisks, sizeof(inv_disk)) < 0)
        return NULL;
    inv->disks = arr;
    inv_disk *d = &inv->disks[inv->ndisks++];
    memset(d, 0, sizeof *d);
    return d;
}

int inv_add_disk_scope(inv_inventory *inv, const char *subscription,
                       const char *resource_group)
{
    for (size_t i = 0; i < inv->ndisk_scopes; i++) {
        const inv_scope *o = &inv->disk_scopes[i];
        if (eng_ascii_ieq(o->subscription, subscription) &&
            (o->resource_group == NULL ||
             (resource_group != NULL && eng_ascii_ieq(o->resource_group, resource_group))))
            return 0;
    }
    inv_scope *n = inv_alloc(inv, (inv->ndisk_scopes + 1) * sizeof *n);
    char *sub = inv_strdup(inv, subscription, strlen(subscription));
    char *rg = resource_group != NULL ? inv_strdup(inv, resource_group, strlen(resource_group))
                                      : NULL;
    if (n == NULL || sub == NULL || (resource_group != NULL && rg == NULL))
        return -1;
    if (inv->ndisk_scopes)
        memcpy(n, inv->disk_scopes, inv->ndisk_scopes * sizeof *n);
    n[inv->ndisk_scopes++] = (inv_scope){ sub, rg };
    inv->disk_scopes = n;
    return 0;
}

/* Segment k (0-based, after the leading '/') of an ID, as [*at, *at+*len). */
static bool id_segment(const char *id, int k, const char **at, size_t *len)
{
    const char *p = *id == '/' ? id + 1 : id;
    for (int i = 0; i < k; i++) {
        p = strchr(p, '/');
        if (p == NULL)
            return false;
        p++;
    }
    const char *e = strchr(p, '/');
    *at = p;
    *len = e != NULL ? (size_t)(e - p) : strlen(p);
    return true;
}

static bool seg_is(const char *at, size_t len, const char *want)
{
    return strlen(want) == len && eng_ascii_nieq(at, want, len);
}

bool inv_disks_cover(const inv_inventory *inv, const char *disk_id)
{
    const char *sub, *rg, *kw;
    size_t nsub, nrg, nkw;
    if (!inv->disks_known || disk_id == NULL || !id_segment(disk_id, 0, &kw, &nkw) ||
        !seg_is(kw, nkw, "subscriptions") || !id_segment(disk_id, 1, &sub, &nsub) ||
        !id_segment(disk_id, 3, &rg, &nrg))
        return false;
    for (size_t i = 0; i < inv->ndisk_scopes; i++) {
        const inv_scope *s = &inv->disk_scopes[i];
        if (seg_is(sub, nsub, s->subscription) &&
            (s->resource_group == NULL || seg_is(rg, nrg, s->resource_group)))
            return true;
    }
    return false;
}

inv_inventory *inv_view_filtered(const inv_inventory *src,
                                 bool (*keep)(const inv_snapshot *s, const void *ctx),
                                 const void *ctx)
{
    inv_inventory *dst = inv_new();
    for (size_t i = 0; dst != NULL && i < src->nsnapshots; i++) {
        if (keep != NULL && !keep(&src->snapshots[i], ctx))
            continue;
        inv_snapshot *s = inv_add_snapshot(dst);
        if (s == NULL) {
            inv_free(dst);
            return NULL;
        }
        *s = src->snapshots[i];
    }
    for (size_t i = 0; dst != NULL && i < src->ndisks; i++) {
        inv_disk *d = inv_add_disk(dst);
        if (d == NULL) {
            inv_free(dst);
            return NULL;
        }
        *d = src->disks[i];
    }
    if (dst != NULL) {
        dst->disks_known = src->disks_known;
        dst->disk_scopes = src->disk_scopes;    /* in src's arena, which outlives dst */
        dst->ndisk_scopes = src->ndisk_scopes;
    }
    return dst;
}

const char *inv_tag_get(const inv_tag *tags, uint32_t ntags, const char *key)
{
    for (uint32_t i = 0; i < ntags; i++)
        if (eng_ascii_ieq(tags[i].key, key))
            return tags[i].value;
    return NULL;
}

static const char *id_body(const char *id)
{
    return *id == '/' ? id + 1 : id;
}

bool inv_id_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    a = id_body(a);
    b = id_body(b);
    return strcmp(a, b) == 0 || eng_ascii_ieq(a, b);   /* the same spelling is usual */
}

/* Eight bytes at a time; OR-ing 0x20 folds ASCII case (and merges a few
 * punctuation pairs, harmless for a hash: equality is checked exactly). */
uint64_t inv_id_hash(const char *id)
{
    const char *s = id_body(id);
    size_t n = strlen(s);
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n;
    for (; n >= 8; n -= 8, s += 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        w |= UINT64_C(0x2020202020202020);
        h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 31;
    }
    for (; n > 0; n--, s++)
        h = (h ^ (unsigned char)(*s | 0x20)) * UINT64_C(0x100000001b3);
    h ^= h >> 29;
    return h * UINT64_C(0xc4ceb9fe1a85ec53);
}

static bool same_text(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Folds the copy `c` into the kept record `k`. 0; -1 out of memory; -2
 * when they disagree on something a decision reads, described in why. */
static int merge_copy(inv_inventory *inv, inv_snapshot *k, const inv_snapshot *c,
                      char *why, size_t whylen)
{
    const char *field = NULL;
    if (k->created != c->created)
        field = "timeCreated";
    else if (!inv_id_equal(k->source_id, c->source_id))
        field = "creationData.sourceResourceId";
    else if (!same_text(k->provisioning_state, c->provisioning_state))
        field = "provisioningState";
    else if (!same_text(k->source_unique_id, c->source_unique_id))
        field = "creationData.sourceUniqueId";
    else if (k->has_completion != c->has_completion ||
             k->completion_percent != c->completion_percent ||
             !same_text(k->copy_error_code, c->copy_error_code))
        field = "its background copy (completionPercent, copyCompletionError)";
    else if (!same_text(inv_tag_get(k->tags, k->ntags, POL_OWNER_TAG),
                        inv_tag_get(c->tags, c->ntags, POL_OWNER_TAG)))
        field = "the tag " POL_OWNER_TAG;
    if (field != NULL) {
        snprintf(why, whylen, "snapshot \"%s\" is listed more than once and the copies "
                 "disagree on %s", k->name, field);
        return -2;
    }
    uint32_t extra = 0;
    for (uint32_t t = 0; t < c->ntags; t++) {
        const char *v = inv_tag_get(k->tags, k->ntags, c->tags[t].key);
        if (v == NULL)
            extra++;
        else if (!same_text(v, c->tags[t].value)) {
            snprintf(why, whylen, "snapshot \"%s\" is listed more than once and the copies "
                     "disagree on the tag \"%s\" (\"%s\" and \"%s\")", k->name,
                     c->tags[t].key, v, c->tags[t].value);
            return -2;
        }
    }
    if (extra == 0)
        return 0;
    inv_tag *tags = inv_alloc(inv, ((size_t)k->ntags + extra) * sizeof *tags);
    if (tags == NULL)
        return -1;
    if (k->ntags)
        memcpy(tags, k->tags, k->ntags * sizeof *tags);
    uint32_t n = k->ntags;
    for (uint32_t t = 0; t < c->ntags; t++)
        if (inv_tag_get(k->tags, k->ntags, c->tags[t].key) == NULL)
            tags[n++] = c->tags[t];
    k->tags = tags;
    k->ntags = n;
    return 0;
}

int inv_merge_duplicate_ids(inv_inventory *inv, size_t *merged, const char **example,
                            char *why, size_t whylen)
{
    size_t n = inv->nsnapshots, cap = 16;
    *merged = 0;
    if (example != NULL)
        *example = NULL;
    if (whylen)
        why[0] = '\0';
    while (cap < n * 2)
        cap *= 2;
    size_t *slots = calloc(cap, sizeof *slots);     /* index + 1, 0 = empty */
    if (slots == NULL)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        inv_snapshot *first = NULL;
        if (s->id != NULL && s->id[0] != '\0') {
            size_t at = (size_t)inv_id_hash(s->id) & (cap - 1);
            for (; slots[at] != 0 && first == NULL; at = (at + 1) & (cap - 1))
                if (inv_id_equal(inv->snapshots[slots[at] - 1].id, s->id))
                    first = &inv->snapshots[slots[at] - 1];
            if (first == NULL)
                slots[at] = k + 1;      /* kept records move to k, below i */
        }
        if (first != NULL) {
            int rc = merge_copy(inv, first, s, why, whylen);
            if (rc != 0) {
                inv->nsnapshots = k;    /* valid, if partial: the caller frees it */
                free(slots);
                return rc;
            }
            if (example != NULL && *example == NULL)
                *example = s->name;
            (*merged)++;
            continue;
        }
        inv->snapshots[k++] = *s;
    }
    inv->nsnapshots = k;
    free(slots);
    return 0;
}
