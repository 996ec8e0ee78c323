/* Azure's per-disk limits as a run applies them (enforce.h): the cap of
 * ENG_SNAPSHOTS_PER_DISK_MAX incremental snapshots and the window of
 * ENG_CREATES_PER_WINDOW creations. Counted from the listing, so snapshots
 * made by hand or by other tools take their share as they do in Azure. */
#include <stdlib.h>
#include <string.h>

#include "engine/enforce.h"

#define WINDOW_USEC ((int64_t)ENG_CREATE_WINDOW_SECONDS * SK_USEC_PER_SEC)

/* Keeps the newest ENG_CREATES_PER_WINDOW times, oldest first. */
static void window_insert(enf_disk_load *l, sk_time t)
{
    size_t n = l->nwindow;
    if (n == ENG_CREATES_PER_WINDOW) {
        if (t <= l->window[0])
            return;
        memmove(l->window, l->window + 1, (n - 1) * sizeof l->window[0]);
        n--;
    }
    size_t i = n;
    while (i > 0 && l->window[i - 1] > t) {
        l->window[i] = l->window[i - 1];
        i--;
    }
    l->window[i] = t;
    l->nwindow = n + 1;
}

/* ARM counts a creation against the window for ENG_CREATE_WINDOW_SECONDS:
 * one made at t holds a slot while now - t < the window (as the test
 * server models it); a time after now (a clock ahead of ours) holds one. */
static bool in_window(sk_time t, sk_time now)
{
    return t > now - WINDOW_USEC;
}

void enf_disk_load_of(const pol_policy *p, const inv_inventory *inv, const char *disk_id,
                      sk_time now, enf_disk_load *out)
{
    memset(out, 0, sizeof *out);
    if (disk_id == NULL || disk_id[0] == '\0')
        return;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (s->source_id == NULL || !enf_same_id(s->source_id, disk_id))
            continue;
        if (s->incremental) {
            out->incremental++;
            if (p == NULL || !eng_policy_owns(p, s, inv))
                out->foreign++;
        }
        if (s->created != SK_TIME_MIN && in_window(s->created, now)) {
            out->recent++;
            window_insert(out, s->created);
        }
    }
}

void enf_disk_load_add(enf_disk_load *l, sk_time t, bool incremental)
{
    if (incremental)
        l->incremental++;
    l->recent++;
    window_insert(l, t);
}

enf_create_limit enf_create_allowed(const enf_disk_load *l, bool incremental, sk_time now,
                                    sk_time *retry_at)
{
    if (incremental && l->incremental >= ENG_SNAPSHOTS_PER_DISK_MAX)
        return ENF_CREATE_CAP;
    /* the window's slots taken at now: the kept times still inside it */
    size_t taken = 0;
    for (size_t i = 0; i < l->nwindow; i++)
        taken += in_window(l->window[i], now);
    if (taken < ENG_CREATES_PER_WINDOW)
        return ENF_CREATE_OK;
    /* full: a slot frees when the oldest of the newest seven leaves it */
    if (retry_at != NULL)
        *retry_at = l->window[0] > SK_TIME_MAX - WINDOW_USEC ? SK_TIME_MAX
                                                              : l->window[0] + WINDOW_USEC;
    return ENF_CREATE_RATE;
}

bool enf_near_cap(size_t n)
{
    return n >= ENG_SNAPSHOTS_NEAR_CAP;
}

/* ---- the near-cap list: one pass with an ID hash table ---- */

typedef struct slot {
    const char *id;
    size_t incremental, tagless, first;     /* first: index of first sighting */
} slot;

long enf_near_cap_disks(const inv_inventory *inv, enf_disk_count **out)
{
    *out = NULL;
    size_t cap = 16;
    while (cap < 2 * inv->nsnapshots + 16)
        cap *= 2;
    slot *t = calloc(cap, sizeof *t);
    if (t == NULL)
        return -1;
    size_t ndisks = 0;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (!s->incremental || s->source_id == NULL || s->source_id[0] == '\0')
            continue;
        size_t h = (size_t)inv_id_hash(s->source_id) & (cap - 1);
        while (t[h].id != NULL && !enf_same_id(t[h].id, s->source_id))
            h = (h + 1) & (cap - 1);
        if (t[h].id == NULL) {
            t[h].id = s->source_id;
            t[h].first = ndisks++;
        }
        t[h].incremental++;
        if (inv_tag_get(s->tags, s->ntags, POL_OWNER_TAG) == NULL)
            t[h].tagless++;
    }
    size_t n = 0;
    for (size_t h = 0; h < cap; h++)
        n += t[h].id != NULL && enf_near_cap(t[h].incremental);
    enf_disk_count *res = calloc(n ? n : 1, sizeof *res);
    size_t *order = calloc(n ? n : 1, sizeof *order);
    if (res == NULL || order == NULL) {
        free(t);
        free(res);
        free(order);
        return -1;
    }
    size_t k = 0;
    for (size_t h = 0; h < cap; h++)
        if (t[h].id != NULL && enf_near_cap(t[h].incremental)) {
            /* insertion by first sighting: few disks are ever near the cap */
            size_t j = k++;
            while (j > 0 && order[j - 1] > t[h].first) {
                order[j] = order[j - 1];
                res[j] = res[j - 1];
                j--;
            }
            order[j] = t[h].first;
            res[j] = (enf_disk_count){ t[h].id, t[h].incremental, t[h].tagless };
        }
    free(order);
    free(t);
    *out = res;
    return (long)n;
}
