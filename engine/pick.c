/* Recovery choices: the snapshot a restore uses, a drill's sample, and a
 * drill disk's name. Pure. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ascii.h"
#include "engine/enforce.h"
#include "engine/pick.h"

/* Newer first; equal times: the greater name first (any fixed order will
 * do, as long as it never depends on the listing). */
static bool newer(const inv_snapshot *a, const inv_snapshot *b)
{
    if (a->created != b->created)
        return a->created > b->created;
    return strcmp(a->name ? a->name : "", b->name ? b->name : "") > 0;
}

static pick_result pick_by_name(const inv_snapshot *const *snaps, size_t n,
                                const char *name, size_t *out)
{
    size_t hits = 0;
    bool unusable = false;
    for (size_t i = 0; i < n; i++) {
        if (snaps[i]->name == NULL || name == NULL || !eng_ascii_ieq(snaps[i]->name, name))
            continue;
        if (!enf_snapshot_usable(snaps[i])) {
            unusable = true;
            continue;
        }
        *out = i;
        hits++;
    }
    if (hits > 1)
        return PICK_AMBIGUOUS;
    if (hits == 1)
        return PICK_FOUND;
    return unusable ? PICK_UNUSABLE : PICK_NONE;
}

pick_result pick_snapshot(const inv_snapshot *const *snaps, size_t n, pick_mode mode,
                          const char *name, sk_time at, size_t *out)
{
    if (mode == PICK_NAME)
        return pick_by_name(snaps, n, name, out);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (!enf_snapshot_usable(snaps[i]) || (mode == PICK_AT && snaps[i]->created > at))
            continue;
        if (!found || newer(snaps[i], snaps[*out])) {
            *out = i;
            found = true;
        }
    }
    return found ? PICK_FOUND : PICK_NONE;
}

bool pick_pending(const inv_snapshot *const *snaps, size_t n, pick_mode mode,
                  const char *name, sk_time at, bool found, size_t chosen, size_t *out)
{
    bool hit = false;
    for (size_t i = 0; i < n; i++) {
        const inv_snapshot *s = snaps[i];
        if (!enf_snapshot_pending(s))
            continue;
        if (mode == PICK_NAME) {
            if (s->name == NULL || name == NULL || !eng_ascii_ieq(s->name, name))
                continue;
        } else if ((mode == PICK_AT && s->created > at) ||
                   (found && !newer(s, snaps[chosen]))) {
            continue;
        }
        if (!hit || newer(s, snaps[*out])) {
            *out = i;
            hit = true;
        }
    }
    return hit;
}

uint64_t pick_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Indexes of the usable snapshots taken at or before now, newest first
 * (insertion sort: one disk's history is small). */
static size_t usable_sorted(const inv_snapshot *const *snaps, size_t n, sk_time now,
                            size_t *idx)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!enf_snapshot_usable(snaps[i]) || snaps[i]->created > now)
            continue;
        size_t k = m++;
        while (k > 0 && newer(snaps[i], snaps[idx[k - 1]])) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = i;
    }
    return m;
}

size_t pick_drill_sample(const inv_snapshot *const *snaps, size_t n, size_t sample,
                         uint64_t seed, sk_time now, size_t *out, size_t cap)
{
    if (n == 0 || cap == 0)
        return 0;
    size_t *idx = malloc(n * sizeof *idx);
    if (idx == NULL)
        return 0;
    size_t m = usable_sorted(snaps, n, now, idx);
    size_t got = 0;
    if (m > 0)
        out[got++] = idx[0];
    /* partial Fisher-Yates over the older ones: distinct by construction */
    uint64_t st = seed;
    size_t older = m > 0 ? m - 1 : 0;
    size_t *pool = idx + 1;
    for (size_t k = 0; k < sample && k < older && got < cap; k++) {
        size_t j = k + (size_t)(pick_rand(&st) % (uint64_t)(older - k));
        size_t t = pool[k];
        pool[k] = pool[j];
        pool[j] = t;
        out[got++] = pool[k];
    }
    /* newest first after the newest, so reports read in time order */
    for (size_t a = 2; a < got; a++)
        for (size_t b = a; b > 1 && newer(snaps[out[b]], snaps[out[b - 1]]); b--) {
            size_t t = out[b];
            out[b] = out[b - 1];
            out[b - 1] = t;
        }
    free(idx);
    return got;
}

int pick_drill_disk_name(const char *disk, sk_time t, unsigned k, char *buf, size_t n)
{
    char stamp[24], tail[48];
    if (eng_name_stamp(t, stamp, sizeof stamp) < 0)
        return -1;
    /* "-drill-20261126T120000Z-k" */
    int tl = snprintf(tail, sizeof tail, "-drill-%s-%u", stamp, k);
    if (tl < 0 || (size_t)tl >= sizeof tail)
        return -1;
    return eng_resource_name(disk, "disk", tail, buf, n);
}
