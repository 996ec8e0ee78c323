/* The evaluator: (policies, inventory, now) -> plan, as
 * doc/semantics.md defines it. Pure: no I/O, no clock, no globals.
 *
 * Outline: number the source disks; decide for each snapshot and policy
 * whether the policy governs and owns it; lay the owned snapshots out by
 * group (policy, source disk); evaluate each group (future, not a backup,
 * newest, tiers, counts, tags), every keep appending a reason to one pool;
 * finally give each snapshot its reasons, sorted by policy then rule. A
 * snapshot is kept exactly when it has a reason: nothing is pruned by
 * default of a check.
 *
 * Only backups (enf_snapshot_usable) take part in the rules. A failed
 * or unfinished snapshot counted as one could fill `last 3`, stand for a
 * tier bucket or take `newest`, and the good snapshots it displaced would
 * be pruned; so the rules never see it, and it is kept (a run refuses to
 * delete it anyway) with a reason saying why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/enforce.h"
#include "engine/evsort.h"

typedef struct ev_priv {
    eng_reason *reasons;
} ev_priv;

/* A second (third...) owner of a snapshot: rare, kept aside so the common
 * case costs one uint32 per snapshot. Carries the time so a group's items
 * are built without going back to the snapshot. */
typedef struct ev_member {
    sk_time t;
    uint32_t snap, group;
} ev_member;

/* Everything one evaluation allocates besides the plan itself. */
typedef struct ev_run {
    const pol_policy *const *pol;
    size_t npol;
    const inv_inventory *inv;
    sk_time now;
    eng_plan *plan;
    ev_sources src;
    uint32_t *gidx;         /* (source slot, policy) -> group, EV_NONE */
    uint32_t *gof;          /* per snapshot: group of its first owner, EV_NONE */
    ev_member *mem;         /* memberships beyond the first */
    size_t nmem, capmem, capgroups;
    uint32_t *gpidx;        /* per group: policy index */
    sk_time **cuts;         /* per policy: tier cuts */
    ev_pool pool;
} ev_run;

void ev_emit(ev_pool *pool, uint32_t snap, uint64_t order, const eng_reason *r)
{
    if (pool->n == pool->cap) {
        size_t cap = pool->cap ? pool->cap * 2 : 1024;
        ev_rec *recs = realloc(pool->recs, cap * sizeof *recs);
        if (recs == NULL) {
            pool->oom = true;
            return;
        }
        pool->recs = recs;
        pool->cap = cap;
    }
    pool->recs[pool->n++] = (ev_rec){ snap, order, *r };
}

static int ev_note(eng_plan *plan, const pol_policy *p, const inv_snapshot *s,
                   const char *msg)
{
    eng_note *notes = realloc(plan->notes, (plan->nnotes + 1) * sizeof *notes);
    if (notes == NULL)
        return -1;
    plan->notes = notes;
    eng_note *note = &notes[plan->nnotes];
    note->policy = p;
    note->snap = s;
    note->message = strdup(msg);
    if (note->message == NULL)
        return -1;
    plan->nnotes++;
    return 0;
}

static size_t ev_slot(const ev_run *run, uint32_t snap)
{
    uint32_t s = run->src.of[snap];
    return s == EV_NONE ? run->src.n : s;
}

static uint32_t ev_group_of(ev_run *run, uint32_t snap, size_t pidx)
{
    size_t slot = ev_slot(run, snap);
    uint32_t *g = &run->gidx[slot * run->npol + pidx];
    if (*g != EV_NONE)
        return *g;
    eng_plan *plan = run->plan;
    if (plan->ngroups == run->capgroups) {
        size_t cap = run->capgroups ? run->capgroups * 2 : 64;
        eng_group *groups = realloc(plan->groups, cap * sizeof *groups);
        if (groups == NULL)
            return EV_NONE;
        plan->groups = groups;
        uint32_t *gpidx = realloc(run->gpidx, cap * sizeof *gpidx);
        if (gpidx == NULL)
            return EV_NONE;
        run->gpidx = gpidx;
        run->capgroups = cap;
    }
    uint32_t sn = run->src.of[snap];
    const char *sid = sn == EV_NONE ? NULL : run->inv->snapshots[run->src.rep[sn]].source_id;
    eng_identity ident = sn == EV_NONE ? ENG_ID_UNJUDGED : run->src.ident[sn];
    plan->groups[plan->ngroups] = (eng_group){ .policy = run->pol[pidx],
                                               .source_id = sid,
                                               .newest = SK_TIME_MIN,
                                               .identity = ident,
                                               .unique_id = sn == EV_NONE ? NULL
                                                          : run->src.uid[sn],
                                               .retired = eng_identity_retired(ident) };
    plan->nretired += eng_identity_retired(ident);
    run->gpidx[plan->ngroups] = (uint32_t)pidx;
    *g = (uint32_t)plan->ngroups++;
    return *g;
}

static int ev_add_member(ev_run *run, uint32_t snap, uint32_t group, sk_time t)
{
    if (run->nmem == run->capmem) {
        size_t cap = run->capmem ? run->capmem * 2 : 1024;
        ev_member *mem = realloc(run->mem, cap * sizeof *mem);
        if (mem == NULL)
            return -1;
        run->mem = mem;
        run->capmem = cap;
    }
    run->mem[run->nmem++] = (ev_member){ t, snap, group };
    return 0;
}

/* The snapshot is governed by some policies but owned by none: each of
 * them reports it as not owned; governed by none: unmanaged. */
static void ev_unowned(ev_run *run, uint32_t i, const char *owner, const int8_t *gov)
{
    bool any = false;
    for (size_t p = 0; p < run->npol; p++) {
        if (!gov[p])
            continue;
        eng_reason r = { .kind = ENG_R_NOT_OWNED, .policy = run->pol[p], .owner_tag = owner };
        ev_emit(&run->pool, i, ev_order(p, 0), &r);
        any = true;
    }
    if (!any) {
        eng_reason r = { .kind = ENG_R_UNMANAGED };
        ev_emit(&run->pool, i, ev_order(run->npol, 0), &r);
    }
}

/* Scope depends only on the source disk: computed once per (disk, policy). */
static bool ev_scoped(ev_run *run, int8_t *cache, uint32_t snap, size_t pidx)
{
    int8_t *c = &cache[ev_slot(run, snap) * run->npol + pidx];
    if (*c < 0)
        *c = ev_scope_match(run->pol[pidx], run->inv->snapshots[snap].source_id, run->inv);
    return *c != 0;
}

static int ev_memberships(ev_run *run)
{
    size_t nslots = (run->src.n + 1) * run->npol;
    int8_t *cache = malloc(nslots ? nslots : 1);
    int8_t *gov = malloc(run->npol ? run->npol : 1);
    int rc = -1;
    if (cache == NULL || gov == NULL)
        goto out;
    memset(cache, -1, nslots);
    for (uint32_t i = 0; i < run->inv->nsnapshots; i++) {
        const inv_snapshot *s = &run->inv->snapshots[i];
        const char *owner = inv_tag_get(s->tags, s->ntags, POL_OWNER_TAG);
        run->gof[i] = EV_NONE;
        for (size_t p = 0; p < run->npol; p++) {
            gov[p] = (int8_t)ev_scoped(run, cache, i, p);
            if (!gov[p] || !ev_owner_ok(run->pol[p], owner))
                continue;
            uint32_t g = ev_group_of(run, i, p);
            if (g == EV_NONE)
                goto out;
            if (run->gof[i] == EV_NONE)
                run->gof[i] = g;
            else if (ev_add_member(run, i, g, s->created) != 0)
                goto out;
        }
        if (run->gof[i] == EV_NONE)
            ev_unowned(run, i, owner, gov);
    }
    rc = 0;
out:
    free(cache);
    free(gov);
    return rc;
}

static int ev_cuts(ev_run *run)
{
    run->cuts = calloc(run->npol ? run->npol : 1, sizeof *run->cuts);
    if (run->cuts == NULL)
        return -1;
    for (size_t p = 0; p < run->npol; p++) {
        const pol_policy *pol = run->pol[p];
        run->cuts[p] = malloc((pol->nrules ? pol->nrules : 1) * sizeof **run->cuts);
        if (run->cuts[p] == NULL)
            return -1;
        size_t k = 0;
        for (size_t r = 0; r < pol->nrules; r++)
            if (pol_rule_is_tier(&pol->rules[r]))
                run->cuts[p][k++] = eng_window_cut(pol->tz, run->now, &pol->rules[r].end);
    }
    return 0;
}

/* The `tagged` rules of policy pidx that snapshot `snap` matches. */
static void ev_tagged_one(ev_pool *pool, const pol_policy *p, size_t pidx,
                          const inv_inventory *inv, uint32_t snap)
{
    const inv_snapshot *s = &inv->snapshots[snap];
    for (size_t ridx = 0; ridx < p->nrules; ridx++) {
        const pol_rule *r = &p->rules[ridx];
        if (r->kind != POL_TAGGED || !pol_tags_match(r->tags, r->ntags, s->tags, s->ntags))
            continue;
        eng_reason why = { .kind = ENG_R_RULE, .policy = p, .rule = r };
        ev_emit(pool, snap, ev_order(pidx, ridx), &why);
    }
}

static void ev_tagged(const ev_group_ctx *g)
{
    for (size_t i = 0; i < g->m; i++)
        ev_tagged_one(g->pool, g->p, g->pidx, g->inv, g->items[i].snap);
}

/* A snapshot the rules must not see: future-dated, or not a backup. The
 * reasons it is kept are emitted here; returns whether it was set aside. */
static bool ev_set_aside(ev_run *run, const eng_group *grp, size_t pidx, uint32_t snap,
                         sk_time t)
{
    const inv_snapshot *s = &run->inv->snapshots[snap];
    bool future = t > run->now, backup = enf_snapshot_usable(s);
    if (future) {
        eng_reason r = { .kind = ENG_R_FUTURE, .policy = grp->policy };
        ev_emit(&run->pool, snap, ev_order(pidx, 0), &r);
    }
    if (!backup) {
        eng_reason r = { .kind = enf_snapshot_taken(s) ? ENG_R_IN_PROGRESS : ENG_R_FAILED,
                         .policy = grp->policy, .state = s->provisioning_state };
        /* a failed provisioning says more than the copy it never started */
        if (enf_snapshot_copy_failed(s))
            r = (eng_reason){ .kind = ENG_R_COPY_FAILED, .policy = grp->policy,
                              .state = s->copy_error_code, .message = s->copy_error_message };
        else if (enf_snapshot_pending(s))
            r = (eng_reason){ .kind = ENG_R_PENDING, .policy = grp->policy,
                              .percent = s->completion_percent };
        ev_emit(&run->pool, snap, ev_order(pidx, 0), &r);
        /* A hold tag on it is worth showing; a future one is ignored by
         * every rule, tags included, as before. */
        if (!future)
            ev_tagged_one(&run->pool, grp->policy, pidx, run->inv, snap);
    }
    return future || !backup;
}

/* A retired group under the policy's `retired` setting: keep-all keeps
 * every backup (and the rules still run, so each keeps its reasons too);
 * `retired for D` releases the whole group once its newest backup is older
 * than D, leaving only `tagged` holds. Returns true when the group was
 * released (the caller evaluates nothing more). */
static bool ev_retired(ev_run *run, eng_group *grp, const ev_group_ctx *g)
{
    const pol_policy *p = grp->policy;
    if (p->retired == POL_RETIRED_KEEP_ALL) {
        eng_reason r = { .kind = ENG_R_RETIRED, .policy = p, .identity = grp->identity };
        for (size_t i = 0; i < g->m; i++)
            ev_emit(&run->pool, g->items[i].snap, ev_order(g->pidx, p->nrules), &r);
        return false;
    }
    if (p->retired != POL_RETIRED_FOR ||
        grp->newest > eng_window_cut(p->tz, run->now, &p->retired_for))
        return false;
    grp->released = true;
    ev_tagged(g);
    return true;
}

/* Scratch sized for the largest group, reused by every group. */
typedef struct ev_scratch {
    ev_item *items, *tmp;
    int64_t *keys;
    void *states;
} ev_scratch;

static void ev_one_group(ev_run *run, size_t gi, const ev_item *all, size_t n,
                         ev_scratch *sc)
{
    eng_group *grp = &run->plan->groups[gi];
    size_t pidx = run->gpidx[gi], m = 0;
    for (size_t i = 0; i < n; i++)
        if (!ev_set_aside(run, grp, pidx, all[i].snap, all[i].t))
            sc->items[m++] = all[i];
    grp->nsnapshots = n;
    if (m == 0)
        return;
    ev_group_ctx g = { .p = grp->policy, .pidx = pidx, .inv = run->inv, .now = run->now,
                       .cuts = run->cuts[pidx], .m = m, .keys = sc->keys,
                       .states = sc->states, .pool = &run->pool };
    g.items = ev_sort_items(sc->items, sc->tmp, m, run->inv->snapshots);
    grp->newest = g.items[0].t;
    if (grp->retired && ev_retired(run, grp, &g))
        return;
    eng_reason newest = { .kind = ENG_R_NEWEST, .policy = grp->policy };
    ev_emit(&run->pool, g.items[0].snap, ev_order(pidx, grp->policy->nrules), &newest);
    run->plan->decisions[g.items[0].snap].newest = true;
    ev_tiers(&g);
    ev_counts(&g);
    ev_tagged(&g);
}

static int ev_groups(ev_run *run)
{
    size_t ng = run->plan->ngroups, maxg = 0, maxr = 1, n = run->inv->nsnapshots;
    size_t *off = calloc(ng + 1, sizeof *off);
    ev_item *by = malloc((n + run->nmem ? n + run->nmem : 1) * sizeof *by);
    ev_scratch sc = { 0 };
    int rc = -1;
    if (off == NULL || by == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (run->gof[i] != EV_NONE)
            off[run->gof[i] + 1]++;
    for (size_t i = 0; i < run->nmem; i++)
        off[run->mem[i].group + 1]++;
    for (size_t g = 0; g < ng; g++) {
        maxg = off[g + 1] > maxg ? off[g + 1] : maxg;
        off[g + 1] += off[g];
    }
    for (size_t i = 0; i < n; i++)
        if (run->gof[i] != EV_NONE)
            by[off[run->gof[i]]++] = (ev_item){ run->inv->snapshots[i].created, (uint32_t)i };
    for (size_t i = 0; i < run->nmem; i++)
        by[off[run->mem[i].group]++] = (ev_item){ run->mem[i].t, run->mem[i].snap };
    for (size_t g = ng; g > 0; g--)
        off[g] = off[g - 1];
    off[0] = 0;
    for (size_t p = 0; p < run->npol; p++)
        maxr = run->pol[p]->nrules > maxr ? run->pol[p]->nrules : maxr;
    maxg = maxg ? maxg : 1;
    sc.items = malloc(maxg * sizeof *sc.items);
    sc.tmp = malloc(maxg * sizeof *sc.tmp);
    sc.keys = malloc(maxg * sizeof *sc.keys);
    sc.states = malloc(maxr * ev_count_state_size());
    if (sc.items == NULL || sc.tmp == NULL || sc.keys == NULL || sc.states == NULL)
        goto out;
    for (size_t g = 0; g < ng; g++)
        ev_one_group(run, g, by + off[g], off[g + 1] - off[g], &sc);
    rc = run->pool.oom ? -1 : 0;
out:
    free(off);
    free(by);
    free(sc.items);
    free(sc.tmp);
    free(sc.keys);
    free(sc.states);
    return rc;
}

/* Gives every snapshot its reasons, contiguous and sorted by (policy,
 * rule); a snapshot with none is pruned. */
static int ev_assemble(ev_run *run)
{
    eng_plan *plan = run->plan;
    size_t n = plan->ndecisions, total = run->pool.n;
    size_t *off = calloc(n + 1, sizeof *off);
    uint64_t *ord = malloc((total ? total : 1) * sizeof *ord);
    ev_priv *priv = calloc(1, sizeof *priv);
    eng_reason *rs = malloc((total ? total : 1) * sizeof *rs);
    plan->priv = priv;
    if (off == NULL || ord == NULL || priv == NULL || rs == NULL) {
        free(off);
        free(ord);
        free(rs);
        return -1;
    }
    priv->reasons = rs;
    for (size_t i = 0; i < total; i++)
        off[run->pool.recs[i].snap + 1]++;
    for (size_t i = 0; i < n; i++)
        off[i + 1] += off[i];
    for (size_t i = 0; i < total; i++) {
        const ev_rec *rec = &run->pool.recs[i];
        size_t k = off[rec->snap]++;
        rs[k] = rec->r;
        ord[k] = rec->order;
    }
    for (size_t i = n; i > 0; i--)
        off[i] = off[i - 1];
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        eng_decision *d = &plan->decisions[i];
        size_t a = off[i], b = off[i + 1];
        for (size_t j = a + 1; j < b; j++) {     /* few per snapshot: insertion */
            eng_reason x = rs[j];
            uint64_t kx = ord[j];
            size_t k = j;
            for (; k > a && ord[k - 1] > kx; k--) {
                rs[k] = rs[k - 1];
                ord[k] = ord[k - 1];
            }
            rs[k] = x;
            ord[k] = kx;
        }
        d->reasons = b > a ? rs + a : NULL;
        d->nreasons = (uint32_t)(b - a);
    }
    free(off);
    free(ord);
    return 0;
}

static void ev_decide(ev_run *run)
{
    eng_plan *plan = run->plan;
    for (size_t i = 0; i < plan->ndecisions; i++) {
        eng_decision *d = &plan->decisions[i];
        uint32_t owner = run->gof[i] == EV_NONE ? EV_NONE : run->gpidx[run->gof[i]];
        d->action = d->nreasons > 0 ? ENG_KEEP : ENG_PRUNE;
        d->unmanaged = owner == EV_NONE;
        d->group = SIZE_MAX;
        if (d->nreasons > 0)
            d->policy = d->reasons[0].policy;
        else
            d->policy = run->pol[owner];
        if (!d->unmanaged) {
            size_t pidx = owner;     /* the keeping policy owns it too: find it */
            while (pidx + 1 < run->npol && run->pol[pidx] != d->policy)
                pidx++;
            if (run->pol[pidx] != d->policy)
                pidx = owner;
            d->group = run->gidx[ev_slot(run, (uint32_t)i) * run->npol + pidx];
        }
        plan->nkeep += d->action == ENG_KEEP;
        plan->nprune += d->action == ENG_PRUNE;
        plan->nunmanaged += d->unmanaged;
        plan->nfuture += d->future;
        plan->nfailed += d->failed;
        plan->ninprogress += d->in_progress;
        plan->npending += d->pending;
        plan->ncopyfailed += d->copy_failed;
    }
    for (size_t i = 0; i < plan->ndecisions; i++) {
        if (run->gof[i] == EV_NONE)
            continue;
        eng_group *g = &plan->groups[run->gof[i]];
        if (plan->decisions[i].action == ENG_KEEP)
            g->nkeep++;
        else
            g->nprune++;
    }
    for (size_t i = 0; i < run->nmem; i++) {
        eng_group *g = &plan->groups[run->mem[i].group];
        if (plan->decisions[run->mem[i].snap].action == ENG_KEEP)
            g->nkeep++;
        else
            g->nprune++;
    }
}

/* One per failed snapshot a policy owns: it holds no backup, the run will
 * not delete it, and it counts against the subscription's snapshot quota
 * until someone does. Unmanaged ones are none of snapkeep's business. */
static int ev_failed_notes(eng_plan *plan)
{
    char msg[512];
    for (size_t i = 0; i < plan->ndecisions; i++) {
        const eng_decision *d = &plan->decisions[i];
        if (!d->failed || d->unmanaged)
            continue;
        if (d->copy_failed)
            snprintf(msg, sizeof msg, "snapshot \"%s\": its background copy failed (%s%s%s): "
                     "it is not a backup, is kept, and is ignored by every rule; delete it "
                     "by hand", d->snap->name ? d->snap->name : "?",
                     d->snap->copy_error_code[0] ? d->snap->copy_error_code
                                                 : "copyCompletionError",
                     d->snap->copy_error_message != NULL ? ": " : "",
                     d->snap->copy_error_message != NULL ? d->snap->copy_error_message : "");
        else
            snprintf(msg, sizeof msg, "snapshot \"%s\" has provisioningState %s: it is not "
                     "a backup, is kept, and is ignored by every rule; delete it by hand",
                     d->snap->name ? d->snap->name : "?", d->snap->provisioning_state);
        if (ev_note(plan, d->policy, d->snap, msg) != 0)
            return -1;
    }
    return 0;
}

/* A policy with nothing to work on says so: an empty inventory, the
 * wrong one, or a scope that selects nothing would otherwise plan "0
 * snapshots" in silence. Likewise each `disk` entry no snapshot comes
 * from (a disk never snapshotted yet, or a misspelt name). */
static int ev_empty_notes(ev_run *run, const pol_policy *pol)
{
    const inv_inventory *inv = run->inv;
    char msg[600];
    size_t governed = 0, ndisks = pol->ndisks;
    bool *hit = ndisks > 0 ? calloc(ndisks, sizeof *hit) : NULL;
    if (ndisks > 0 && hit == NULL)
        return -1;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (!ev_scope_match(pol, s->source_id, inv))
            continue;
        governed++;
        for (size_t k = 0; k < ndisks; k++)
            if (!hit[k] && ev_scope_disk_entry(pol, k, s->source_id))
                hit[k] = true;
    }
    int rc = 0;
    const char *name = pol->name ? pol->name : "?";
    /* offline, `disks tagged` selects nothing: the note below says why */
    bool explained = !pol->anonymous && pol->ndisk_tags > 0 && !inv->disks_known &&
                     inv->nsnapshots > 0;
    if (governed == 0 && explained) {
        rc = 0;
    } else if (governed == 0) {
        if (pol->anonymous || inv->nsnapshots == 0)
            snprintf(msg, sizeof msg, "policy \"%s\": the inventory holds no snapshot%s: "
                     "nothing to keep or prune (is it the right inventory?)", name,
                     inv->nsnapshots == 0 ? " at all" : " it governs");
        else
            snprintf(msg, sizeof msg, "policy \"%s\": none of the inventory's %zu "
                     "snapshot%s is in its scope: nothing to keep or prune (check the "
                     "inventory, and the policy's subscription, resource-group and disks)",
                     name, inv->nsnapshots, inv->nsnapshots == 1 ? "" : "s");
        rc = ev_note(run->plan, pol, NULL, msg);
    } else {
        for (size_t k = 0; k < ndisks && rc == 0; k++) {
            if (hit[k])
                continue;
            snprintf(msg, sizeof msg, "policy \"%s\": disk \"%.300s\" has no snapshot in "
                     "the inventory", name, pol->disks[k] ? pol->disks[k] : "?");
            rc = ev_note(run->plan, pol, NULL, msg);
        }
    }
    free(hit);
    return rc;
}

/* One per retired group, so every report and the run's log say which
 * snapshots no longer belong to a disk in use; and one line, not one per
 * snapshot, when there is no disk list to judge by. */
static int ev_identity_notes(ev_run *run)
{
    eng_plan *plan = run->plan;
    char msg[640], when[ENG_TIME_BUFSZ];
    bool sourced = false;
    for (size_t g = 0; g < plan->ngroups; g++) {
        const eng_group *gr = &plan->groups[g];
        sourced |= gr->source_id != NULL;
        if (!gr->retired)
            continue;
        const pol_policy *p = gr->policy;
        char what[160];
        if (gr->released) {
            snprintf(what, sizeof what, "released (retired for): no rule keeps them");
        } else if (p->retired == POL_RETIRED_KEEP_ALL) {
            snprintf(what, sizeof what, "all kept (retired keep-all)");
        } else {
            eng_time_format(gr->newest, when, sizeof when);
            snprintf(what, sizeof what, "the rules go on thinning them and the newest (%s) "
                     "stays%s", when, p->retired == POL_RETIRED_FOR
                     ? " until `retired for` has passed" : " (retired forever)");
        }
        snprintf(msg, sizeof msg, "policy \"%s\", disk %s: %zu snapshot%s of %s%s%s%s: a "
                 "retired group, never stale; %s", p->name ? p->name : "?",
                 gr->source_id != NULL ? enf_id_name(gr->source_id) : "?", gr->nsnapshots,
                 gr->nsnapshots == 1 ? "" : "s", eng_identity_text(gr->identity),
                 gr->unique_id != NULL ? " (uniqueId " : "",
                 gr->unique_id != NULL ? gr->unique_id : "", gr->unique_id != NULL ? ")" : "",
                 what);
        if (ev_note(plan, p, NULL, msg) != 0)
            return -1;
    }
    if (!run->inv->disks_known && sourced) {
        plan->identity_unjudged = true;
        if (ev_note(plan, NULL, NULL, "no disk list: whether a disk was deleted, or deleted "
                    "and made again under its name, is not judged (give plan --disks FILE, "
                    "the JSON of `az disk list`)") != 0)
            return -1;
    }
    return 0;
}

static int ev_notes(ev_run *run)
{
    eng_plan *plan = run->plan;
    char msg[512], when[ENG_TIME_BUFSZ];
    for (size_t p = 0; p < run->npol; p++)
        if (ev_empty_notes(run, run->pol[p]) != 0)
            return -1;
    for (size_t p = 0; p < run->npol; p++) {
        const pol_policy *pol = run->pol[p];
        if (pol->anonymous || pol->ndisk_tags == 0 || run->inv->disks_known)
            continue;
        snprintf(msg, sizeof msg, "policy \"%s\": \"disks tagged\" selects no disk "
                 "without the disk inventory (offline); snapshots of such disks "
                 "are left unmanaged", pol->name ? pol->name : "?");
        if (ev_note(plan, pol, NULL, msg) != 0)
            return -1;
    }
    for (size_t i = 0; i < plan->ndecisions; i++) {
        const eng_decision *d = &plan->decisions[i];
        if (!d->future)
            continue;
        eng_time_format(d->snap->created, when, sizeof when);
        snprintf(msg, sizeof msg, "snapshot \"%s\" is dated %s, after now: kept, "
                 "and ignored by every rule", d->snap->name ? d->snap->name : "?", when);
        if (ev_note(plan, d->policy, d->snap, msg) != 0)
            return -1;
    }
    if (ev_failed_notes(plan) != 0)
        return -1;
    return ev_identity_notes(run);
}

static int ev_check_policies(const pol_policy *const *pol, size_t npol, char *err, size_t errlen)
{
    for (size_t p = 0; p < npol; p++) {
        /* The parser refuses these; a hand-built tree must not get through
         * either: no rule would mean "delete everything". */
        if (pol[p]->nrules == 0 || pol[p]->tz == NULL) {
            snprintf(err, errlen, "policy \"%s\": %s", pol[p]->name ? pol[p]->name : "?",
                     pol[p]->nrules == 0 ? "no retention rule" : "time zone not loaded");
            return -1;
        }
    }
    return 0;
}

static void ev_run_free(ev_run *run)
{
    ev_sources_free(&run->src);
    free(run->gidx);
    free(run->mem);
    free(run->gof);
    free(run->gpidx);
    if (run->cuts != NULL)
        for (size_t p = 0; p < run->npol; p++)
            free(run->cuts[p]);
    free(run->cuts);
    free(run->pool.recs);
}

static int ev_setup(ev_run *run)
{
    eng_plan *plan = run->plan;
    size_t n = run->inv->nsnapshots;
    plan->decisions = calloc(n ? n : 1, sizeof *plan->decisions);
    run->gof = malloc((n ? n : 1) * sizeof *run->gof);
    if (plan->decisions == NULL || run->gof == NULL ||
        ev_sources_build(&run->src, run->inv) != 0 ||
        ev_sources_split(&run->src, run->inv) != 0 || ev_cuts(run) != 0)
        return -1;
    size_t nslots = (run->src.n + 1) * run->npol;
    run->gidx = malloc((nslots ? nslots : 1) * sizeof *run->gidx);
    if (run->gidx == NULL)
        return -1;
    memset(run->gidx, 0xff, nslots * sizeof *run->gidx);     /* EV_NONE */
    plan->ndecisions = n;
    for (size_t i = 0; i < n; i++) {
        plan->decisions[i].snap = &run->inv->snapshots[i];
        const inv_snapshot *s = &run->inv->snapshots[i];
        plan->decisions[i].future = s->created > run->now;
        plan->decisions[i].failed = !enf_snapshot_usable(s) && !enf_snapshot_taken(s);
        plan->decisions[i].in_progress = !enf_snapshot_usable(s) && enf_snapshot_taken(s);
        plan->decisions[i].pending = enf_snapshot_pending(s);
        plan->decisions[i].copy_failed = enf_snapshot_copy_failed(s);
    }
    return 0;
}

int eng_evaluate(const pol_policy *const *policies, size_t npolicies,
                 const inv_inventory *inv, sk_time now, eng_plan **out,
                 char *err, size_t errlen)
{
    *out = NULL;
    if (ev_check_policies(policies, npolicies, err, errlen) != 0)
        return -1;
    if (inv->nsnapshots >= EV_NONE) {
        snprintf(err, errlen, "too many snapshots (%zu)", inv->nsnapshots);
        return -1;
    }
    eng_plan *plan = calloc(1, sizeof *plan);
    ev_run run = { .pol = policies, .npol = npolicies, .inv = inv, .now = now, .plan = plan };
    if (plan == NULL)
        goto oom;
    plan->now = now;
    if (ev_setup(&run) != 0 || ev_memberships(&run) != 0 || ev_groups(&run) != 0 ||
        ev_assemble(&run) != 0)
        goto oom;
    ev_decide(&run);
    if (ev_notes(&run) != 0)
        goto oom;
    ev_run_free(&run);
    *out = plan;
    return 0;
oom:
    ev_run_free(&run);
    eng_plan_free(plan);
    snprintf(err, errlen, "out of memory");
    return -1;
}

void eng_plan_free(eng_plan *plan)
{
    if (plan == NULL)
        return;
    ev_priv *priv = plan->priv;
    if (priv != NULL)
        free(priv->reasons);
    free(priv);
    for (size_t i = 0; i < plan->nnotes; i++)
        free(plan->notes[i].message);
    free(plan->notes);
    free(plan->groups);
    free(plan->decisions);
    free(plan);
}
