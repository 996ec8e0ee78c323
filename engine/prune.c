/* The deletion rails of `snapkeep run`: see prune.h. */
#include "engine/prune.h"

#include <stdlib.h>

size_t enf_collect(const pol_policy *p, const eng_plan *plan, const inv_inventory *inv,
                   bool *claimed, enf_candidate *out)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->ndecisions; i++) {
        const eng_decision *d = &plan->decisions[i];
        if (claimed[i] || !enf_may_delete(p, d, inv))
            continue;
        claimed[i] = true;
        out[n++] = (enf_candidate){ .snap = d->snap, .index = i };
    }
    return n;
}

size_t enf_choose(const pol_policy *p, const eng_plan *plan, const inv_inventory *inv,
                  bool *claimed, int64_t max_delete, enf_held_fn held, void *ctx,
                  enf_candidate *out, size_t *ndelete)
{
    size_t all = enf_collect(p, plan, inv, claimed, out), n = 0;
    for (size_t i = 0; i < all; i++)
        if (held == NULL || !held(ctx, &out[i]))
            out[n++] = out[i];
    size_t now = enf_cut(out, n, max_delete);
    if (ndelete != NULL)
        *ndelete = now;
    return n;
}

int enf_next_run(const pol_policy *const *pols, size_t npols, const eng_plan *plan,
                 const inv_inventory *inv, int64_t run_limit, enf_next *next)
{
    size_t n = plan->ndecisions;
    bool *claimed = calloc(n ? n : 1, sizeof *claimed);
    enf_candidate *cand = calloc(n ? n : 1, sizeof *cand);
    if (claimed == NULL || cand == NULL) {
        free(claimed);
        free(cand);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        next[i] = ENF_NEXT_NONE;
    for (size_t k = 0; k < npols; k++) {
        size_t m = enf_choose(pols[k], plan, inv, claimed,
                              enf_run_max_delete(pols[k], run_limit), NULL, NULL, cand, NULL);
        for (size_t i = 0; i < m; i++)
            next[cand[i].index] = cand[i].deferred ? ENF_NEXT_DEFER : ENF_NEXT_DELETE;
    }
    free(claimed);
    free(cand);
    return 0;
}

/* The run-wide rails first: a wrong clock or a failure stops every
 * deletion, whatever the disk. */
static enf_hold run_wide(const enf_rails *r)
{
    if (r->clock_refused)
        return ENF_HOLD_CLOCK;
    if (r->out_of_memory)
        return ENF_HOLD_OOM;
    if (r->failed)
        return ENF_HOLD_FAILURE;
    if (r->lease_lost)
        return ENF_HOLD_LEASE;
    return ENF_HOLD_NONE;
}

enf_hold enf_hold_candidate(const enf_rails *r, bool judged, enf_staleness st)
{
    enf_hold h = run_wide(r);
    if (h != ENF_HOLD_NONE)
        return h;
    if (r->policy_closed)
        return ENF_HOLD_FAILURE;
    if (!judged)
        return ENF_HOLD_UNJUDGED;
    if (st == ENF_STALE && !r->allow_stale)
        return ENF_HOLD_STALE;
    return ENF_HOLD_NONE;
}

enf_hold enf_hold_queued(const enf_rails *r)
{
    if (r->out_of_memory)
        return ENF_HOLD_OOM;
    if (r->failed)
        return ENF_HOLD_FAILURE;
    return r->lease_lost ? ENF_HOLD_LEASE : ENF_HOLD_NONE;
}

const char *enf_hold_text(enf_hold h)
{
    switch (h) {
    case ENF_HOLD_NONE: return NULL;
    case ENF_HOLD_CLOCK: return "the local clock and ARM's disagree";
    case ENF_HOLD_OOM: return "out of memory earlier in the run";
    case ENF_HOLD_FAILURE: return "an Azure failure earlier in the run";
    case ENF_HOLD_UNJUDGED: return "its disk was not judged before creation";
    case ENF_HOLD_STALE: return "snapshot creation for its disk looks stalled";
    case ENF_HOLD_LEASE: return "the run's lease in Azure ran out";
    }
    return "held back";
}
