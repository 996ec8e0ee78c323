/* Internals shared by the evaluator's files (evaluate.c, scope.c, tiers.c,
 * counts.c, reason.c). Not an interface: nothing outside engine/ includes it. */
#ifndef SNAPKEEP_EVAL_PRIV_H
#define SNAPKEEP_EVAL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/evaluate.h"

/* ---- source disk IDs (scope.c) ---- */

/* (Resource IDs compare with inv_id_equal, engine/inventory.h.) */
/* Whether a policy's Azure scope covers snapshots of this source disk
 * (NULL or "": a snapshot with no source). */
bool ev_scope_match(const pol_policy *p, const char *source_id,
                    const inv_inventory *inv);
/* Whether disk entry i of p (`disk "NAME"` or an ID) selects the source
 * disk source_id, within p's subscription and resource group. */
bool ev_scope_disk_entry(const pol_policy *p, size_t i, const char *source_id);
/* Ownership given the snapshot's POL_OWNER_TAG value (NULL: untagged),
 * for a policy that already governs the snapshot. */
bool ev_owner_ok(const pol_policy *p, const char *owner_tag);

/* ---- window cuts ---- */

/* (Window edges come from eng_window_cut, engine/duration.h.) */

/* ---- reason pool (evaluate.c) ---- */

/* A reason before the plan is laid out: which snapshot, and a sort key so
 * each snapshot's reasons end up in policy order, then rule order. */
typedef struct ev_rec {
    uint32_t snap;
    uint64_t order;
    eng_reason r;
} ev_rec;

typedef struct ev_pool {
    ev_rec *recs;
    size_t n, cap;
    bool oom;           /* sticky: an append failed */
} ev_pool;

void ev_emit(ev_pool *pool, uint32_t snap, uint64_t order, const eng_reason *r);
/* Sort key of a reason: policy index, then rule index (nrules: `newest`). */
static inline uint64_t ev_order(size_t pidx, size_t ridx)
{
    return ((uint64_t)pidx << 32) | (uint64_t)ridx;
}

/* ---- one group, its non-future snapshots sorted newest first ---- */

typedef struct ev_item {
    sk_time t;
    uint32_t snap;      /* index into inv->snapshots */
} ev_item;

typedef struct ev_group_ctx {
    const pol_policy *p;
    size_t pidx;
    const inv_inventory *inv;
    sk_time now;
    const sk_time *cuts;    /* tier k (0-based) holds cuts[k] < t <= cuts[k-1] (cuts[-1] = now) */
    const ev_item *items;   /* sorted: newest first, equal times smaller name first */
    size_t m;
    int64_t *keys;          /* scratch, at least m entries */
    void *states;           /* scratch for counts.c, one per rule of p */
    ev_pool *pool;
} ev_group_ctx;

void ev_tiers(const ev_group_ctx *g);   /* tiers.c */
void ev_counts(const ev_group_ctx *g);  /* counts.c */
/* Size of one count-rule state, for sizing ev_group_ctx.states. */
size_t ev_count_state_size(void);

#endif
