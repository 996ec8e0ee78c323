/* Two chores of the evaluator that must be fast on a million snapshots:
 * numbering distinct source disks (a hash table, no per-snapshot
 * allocation) and ordering a group newest first (usually already in order
 * or in reverse, else a merge sort with an inline comparison). */
#include <stdlib.h>
#include <string.h>

#include "engine/evsort.h"

static const char *ev_name(const inv_snapshot *s)
{
    return s->name != NULL ? s->name : "";
}

static bool ev_has_source(const char *id)
{
    return id != NULL && id[0] != '\0';
}

static int ev_src_grow(ev_sources *src)
{
    size_t cap = src->mask ? (src->mask + 1) * 2 : 1024;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < src->n; i++) {
        size_t k = (size_t)src->hash[i] & (cap - 1);
        while (slots[k] != 0)
            k = (k + 1) & (cap - 1);
        slots[k] = (uint32_t)i + 1;
    }
    free(src->slots);
    src->slots = slots;
    src->mask = cap - 1;
    if (src->caprep < cap / 2) {
        uint32_t *rep = realloc(src->rep, cap / 2 * sizeof *rep);
        if (rep == NULL)
            return -1;
        src->rep = rep;
        uint64_t *hash = realloc(src->hash, cap / 2 * sizeof *hash);
        if (hash == NULL)
            return -1;
        src->hash = hash;
        src->caprep = cap / 2;
    }
    return 0;
}

static int ev_src_lookup(ev_sources *src, const inv_snapshot *snaps, uint32_t i,
                         uint32_t *out)
{
    const char *id = snaps[i].source_id;
    uint64_t h = inv_id_hash(id);
    size_t k = (size_t)h & src->mask;
    for (; src->slots[k] != 0; k = (k + 1) & src->mask) {
        uint32_t j = src->slots[k] - 1;
        if (src->hash[j] == h && inv_id_equal(snaps[src->rep[j]].source_id, id)) {
            *out = j;
            return 0;
        }
    }
    if ((src->n + 1) * 2 > src->mask + 1) {
        if (ev_src_grow(src) != 0)
            return -1;
        return ev_src_lookup(src, snaps, i, out);
    }
    src->rep[src->n] = i;
    src->hash[src->n] = h;
    src->slots[k] = (uint32_t)src->n + 1;
    *out = (uint32_t)src->n++;
    return 0;
}

int ev_sources_build(ev_sources *src, const inv_inventory *inv)
{
    const inv_snapshot *s = inv->snapshots;
    memset(src, 0, sizeof *src);
    src->of = malloc((inv->nsnapshots ? inv->nsnapshots : 1) * sizeof *src->of);
    if (src->of == NULL || ev_src_grow(src) != 0)
        return -1;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const char *id = s[i].source_id;
        if (!ev_has_source(id)) {
            src->of[i] = EV_NONE;
            continue;
        }
        /* Listings come disk by disk more often than not. */
        if (i > 0 && src->of[i - 1] != EV_NONE &&
            (s[i - 1].source_id == id || strcmp(s[i - 1].source_id, id) == 0)) {
            src->of[i] = src->of[i - 1];
            continue;
        }
        if (ev_src_lookup(src, s, (uint32_t)i, &src->of[i]) != 0)
            return -1;
    }
    return 0;
}

static bool ev_known(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* Room for one more source number in rep/hash/ident/uid. */
static int ev_src_reserve(ev_sources *src)
{
    if (src->n < src->caprep)
        return 0;
    size_t cap = src->caprep ? src->caprep * 2 : 64;
    uint32_t *rep = realloc(src->rep, cap * sizeof *rep);
    if (rep == NULL)
        return -1;
    src->rep = rep;
    uint64_t *hash = realloc(src->hash, cap * sizeof *hash);
    if (hash == NULL)
        return -1;
    src->hash = hash;
    eng_identity *ident = realloc(src->ident, cap * sizeof *ident);
    if (ident == NULL)
        return -1;
    src->ident = ident;
    const char **uid = realloc(src->uid, cap * sizeof *uid);
    if (uid == NULL)
        return -1;
    src->uid = uid;
    src->caprep = cap;
    return 0;
}

static uint64_t ev_uid_hash(uint32_t primary, const char *uid)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ primary;
    for (; *uid != '\0'; uid++)
        h = (h ^ (unsigned char)(*uid | 0x20)) * UINT64_C(0x100000001b3);
    return h;
}

int ev_sources_split(ev_sources *src, const inv_inventory *inv)
{
    size_t nprimary = src->n;
    /* ident/uid sized with rep, which may be larger than n */
    src->ident = malloc((src->caprep ? src->caprep : 1) * sizeof *src->ident);
    src->uid = malloc((src->caprep ? src->caprep : 1) * sizeof *src->uid);
    eng_disk_index *dx = eng_disk_index_new(inv);
    uint32_t *tab = NULL;
    int rc = -1;
    if (src->ident == NULL || src->uid == NULL || dx == NULL)
        goto out;
    for (size_t k = 0; k < nprimary; k++) {
        src->ident[k] = eng_identity_of(dx, inv->snapshots[src->rep[k]].source_id, NULL);
        src->uid[k] = NULL;
    }
    if (!inv->disks_known) {
        rc = 0;
        goto out;
    }
    size_t cap = 16;
    while (cap < inv->nsnapshots * 2)
        cap *= 2;
    tab = calloc(cap, sizeof *tab);     /* source number + 1 of a split one */
    if (tab == NULL)
        goto out;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        uint32_t p = src->of[i];
        const char *uid = inv->snapshots[i].source_unique_id;
        if (p == EV_NONE || p >= nprimary || !ev_known(uid))
            continue;
        eng_identity id = src->ident[p] == ENG_ID_GONE ? ENG_ID_GONE
                        : eng_identity_of(dx, inv->snapshots[i].source_id, uid);
        if (!eng_identity_retired(id))
            continue;
        uint64_t h = ev_uid_hash(p, uid);
        size_t k = (size_t)h & (cap - 1);
        for (; tab[k] != 0; k = (k + 1) & (cap - 1)) {
            uint32_t j = tab[k] - 1;
            if (src->hash[j] == h && src->of[src->rep[j]] == j &&
                inv_id_equal(inv->snapshots[src->rep[j]].source_id,
                             inv->snapshots[i].source_id) &&
                eng_same_unique_id(src->uid[j], uid))
                break;
        }
        if (tab[k] == 0) {
            if (ev_src_reserve(src) != 0)
                goto out;
            src->rep[src->n] = (uint32_t)i;
            src->hash[src->n] = h;
            src->ident[src->n] = id;
            src->uid[src->n] = uid;
            tab[k] = (uint32_t)src->n + 1;
            src->n++;
        }
        src->of[i] = tab[k] - 1;
    }
    rc = 0;
out:
    free(tab);
    eng_disk_index_free(dx);
    return rc;
}

void ev_sources_free(ev_sources *src)
{
    free(src->ident);
    free(src->uid);
    free(src->of);
    free(src->rep);
    free(src->hash);
    free(src->slots);
    memset(src, 0, sizeof *src);
}

/* Newest first; equal times: smaller name (strcmp); then inventory order,
 * so the order is total and the plan deterministic. */
static bool ev_before(const ev_item *a, const ev_item *b, const inv_snapshot *s)
{
    if (a->t != b->t)
        return a->t > b->t;
    int c = strcmp(ev_name(&s[a->snap]), ev_name(&s[b->snap]));
    if (c != 0)
        return c < 0;
    return a->snap < b->snap;
}

static void ev_insertion_sort(ev_item *it, size_t m, const inv_snapshot *s)
{
    for (size_t i = 1; i < m; i++) {
        ev_item x = it[i];
        size_t j = i;
        while (j > 0 && ev_before(&x, &it[j - 1], s)) {
            it[j] = it[j - 1];
            j--;
        }
        it[j] = x;
    }
}

static void ev_merge(const ev_item *a, size_t na, const ev_item *b, size_t nb,
                     ev_item *out, const inv_snapshot *s)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb)
        out[k++] = ev_before(&b[j], &a[i], s) ? b[j++] : a[i++];
    while (i < na)
        out[k++] = a[i++];
    while (j < nb)
        out[k++] = b[j++];
}

/* Bottom-up merge sort; tmp holds m items. Returns the sorted array
 * (it or tmp). */
static ev_item *ev_merge_sort(ev_item *it, ev_item *tmp, size_t m, const inv_snapshot *s)
{
    enum { RUN = 16 };
    for (size_t i = 0; i < m; i += RUN)
        ev_insertion_sort(it + i, m - i < RUN ? m - i : RUN, s);
    ev_item *from = it, *to = tmp;
    for (size_t w = RUN; w < m; w *= 2) {
        for (size_t i = 0; i < m; i += 2 * w) {
            size_t na = m - i < w ? m - i : w;
            size_t nb = m - i - na < w ? m - i - na : w;
            ev_merge(from + i, na, from + i + na, nb, to + i, s);
        }
        ev_item *x = from;
        from = to;
        to = x;
    }
    return from;
}

/* Ascending key = descending time. */
static uint64_t ev_radix_key(sk_time t)
{
    return ~((uint64_t)t ^ (UINT64_C(1) << 63));
}

/* LSD radix sort on the time, 11 bits a pass, passes where every item has
 * the same digit skipped (a group's times share their high bits). Stable,
 * so equal times stay in inventory order; the runs of equal times are then
 * put in name order. Returns the array holding the result. */
static ev_item *ev_radix_sort(ev_item *it, ev_item *tmp, size_t m, const inv_snapshot *s)
{
    enum { BITS = 11, SIZE = 1 << BITS };
    size_t count[SIZE];
    ev_item *from = it, *to = tmp;
    for (unsigned shift = 0; shift < 64; shift += BITS) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < m; i++)
            count[(ev_radix_key(from[i].t) >> shift) & (SIZE - 1)]++;
        if (count[(ev_radix_key(from[0].t) >> shift) & (SIZE - 1)] == m)
            continue;
        size_t sum = 0;
        for (size_t d = 0; d < SIZE; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < m; i++)
            to[count[(ev_radix_key(from[i].t) >> shift) & (SIZE - 1)]++] = from[i];
        ev_item *x = from;
        from = to;
        to = x;
    }
    for (size_t a = 0; a < m;) {
        size_t b = a + 1;
        while (b < m && from[b].t == from[a].t)
            b++;
        if (b - a > 1)
            ev_insertion_sort(from + a, b - a, s);
        a = b;
    }
    return from;
}

ev_item *ev_sort_items(ev_item *it, ev_item *tmp, size_t m, const inv_snapshot *s)
{
    bool fwd = true, rev = true;
    for (size_t i = 1; i < m && (fwd || rev); i++) {
        if (fwd && !ev_before(&it[i - 1], &it[i], s))
            fwd = false;
        if (rev && !ev_before(&it[i], &it[i - 1], s))
            rev = false;
    }
    if (fwd)
        return it;
    if (rev) {
        for (size_t i = 0, j = m - 1; i < j; i++, j--) {
            ev_item x = it[i];
            it[i] = it[j];
            it[j] = x;
        }
        return it;
    }
    if (m >= 256)
        return ev_radix_sort(it, tmp, m, s);
    return ev_merge_sort(it, tmp, m, s);
}
