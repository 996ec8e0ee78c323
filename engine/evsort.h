/* Source-disk numbering and group ordering for the evaluator (evsort.c).
 * Internal to engine/. */
#ifndef SNAPKEEP_EVSORT_H
#define SNAPKEEP_EVSORT_H

#include "engine/eval_priv.h"

#define EV_NONE UINT32_MAX

/* Distinct source disk IDs (compared as inv_id_equal does), numbered in
 * order of first appearance. */
typedef struct ev_sources {
    uint32_t *of;       /* per snapshot: source number, EV_NONE: no source */
    uint32_t *rep;      /* per source: the first snapshot carrying it */
    uint64_t *hash;     /* per source: inv_id_hash */
    size_t n, caprep;
    uint32_t *slots;    /* open addressing: source number + 1, 0 = empty */
    size_t mask;
    /* After ev_sources_split: per source number, which disk it is, and the
     * sourceUniqueId of a retired one (NULL otherwise). */
    eng_identity *ident;
    const char **uid;
} ev_sources;

int ev_sources_build(ev_sources *src, const inv_inventory *inv);   /* -1: OOM */
/* Splits each source disk by identity (engine/identity.h): the snapshots of
 * an earlier disk of the same name, or of a gone disk, get a number of
 * their own per sourceUniqueId (those of a gone disk without one keep the
 * disk's number). Fills ident and uid. -1: out of memory. */
int ev_sources_split(ev_sources *src, const inv_inventory *inv);
void ev_sources_free(ev_sources *src);

/* Sorts newest first (equal times: smaller name, then inventory order).
 * tmp holds m items; returns whichever of it/tmp holds the result. */
ev_item *ev_sort_items(ev_item *it, ev_item *tmp, size_t m, const inv_snapshot *s);

#endif
