/* Which snapshots a run deletes, and when it holds them back: the rails
 * around `snapkeep run`'s deletions, as pure decisions. cli/run_prune.c
 * gathers the facts (what failed, which disks were judged) and does the
 * deleting; every decision about whether a delete may go is made here.
 * Fails closed: any doubt holds the delete back. */
#ifndef SNAPKEEP_PRUNE_H
#define SNAPKEEP_PRUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/enforce.h"
#include "engine/evaluate.h"
#include "engine/inventory.h"
#include "engine/policy.h"

/* What the run knows when it decides about a delete. */
typedef struct enf_rails {
    bool clock_refused;     /* the local clock and ARM's disagree */
    bool failed;            /* an Azure failure (or an unwritable journal) earlier */
    bool out_of_memory;     /* an allocation failed earlier in the run */
    bool policy_closed;     /* a rail closed deletion for this policy */
    bool allow_stale;       /* --allow-stale */
    bool lease_lost;        /* the run's lease in Azure is no longer surely ours */
} enf_rails;

typedef enum enf_hold {
    ENF_HOLD_NONE,          /* it may be deleted */
    ENF_HOLD_CLOCK,
    ENF_HOLD_OOM,
    ENF_HOLD_FAILURE,
    ENF_HOLD_UNJUDGED,      /* its disk was not judged before creation */
    ENF_HOLD_STALE,         /* creation for its disk looks stalled */
    ENF_HOLD_LEASE          /* the run's lease in Azure ran out or was lost */
} enf_hold;

/* The candidates policy p may delete from plan (enf_may_delete), in plan
 * order, into out (room for plan->ndecisions). claimed[i] marks decision i
 * as taken by an earlier policy: an adopted snapshot goes to one policy
 * only. Returns how many were written; each one's index is its decision's. */
size_t enf_collect(const pol_policy *p, const eng_plan *plan, const inv_inventory *inv,
                   bool *claimed, enf_candidate *out);

/* Asked by enf_choose about each candidate: true holds it back from this
 * run (the callee says why, e.g. with enf_hold_candidate). */
typedef bool (*enf_held_fn)(void *ctx, const enf_candidate *c);

/* Which deletions one run makes for policy p, and in what order: the
 * candidates enf_collect gives, less those `held` holds back (NULL: none,
 * as a plan shows it), cut by enf_cut to max_delete (oldest first, the
 * rest deferred). The one decision `run` acts on and `plan` shows. out
 * (room for plan->ndecisions) receives the candidates not held back, the
 * ones deleted now first; returns their number, *ndelete (may be NULL)
 * how many of them are deleted now. */
size_t enf_choose(const pol_policy *p, const eng_plan *plan, const inv_inventory *inv,
                  bool *claimed, int64_t max_delete, enf_held_fn held, void *ctx,
                  enf_candidate *out, size_t *ndelete);

/* What the next run does with each decision of a plan, for a file's
 * policies (in file order, as `run` takes them) with their own max-delete
 * lowered by run_limit (`--max-delete`; negative: none) and no rail
 * closed: next[i] for decision i. */
typedef enum enf_next {
    ENF_NEXT_NONE,          /* kept, or pruned but never deleted by a run
                               (no ID, not Succeeded, a bare-body policy) */
    ENF_NEXT_DELETE,        /* the next run deletes it */
    ENF_NEXT_DEFER          /* over max-delete: a later run deletes it */
} enf_next;

/* Fills next (plan->ndecisions entries). Returns 0, -1 when out of memory. */
int enf_next_run(const pol_policy *const *pols, size_t npols, const eng_plan *plan,
                 const inv_inventory *inv, int64_t run_limit, enf_next *next);

/* Whether a candidate is held back when the deletions are chosen: judged
 * says its disk was judged before creation, st how (ignored when not). */
enf_hold enf_hold_candidate(const enf_rails *r, bool judged, enf_staleness st);

/* Whether a delete already queued is held back just before its DELETE is
 * sent: after an Azure failure or an allocation failure anywhere in the
 * run, or once the run's lease in Azure is no longer surely its own,
 * nothing more is deleted (the clock and staleness were judged before the
 * batch and cannot change inside it). */
enf_hold enf_hold_queued(const enf_rails *r);

/* "the local clock and ARM's disagree", ...; NULL for ENF_HOLD_NONE. */
const char *enf_hold_text(enf_hold h);

#endif
