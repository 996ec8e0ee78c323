/* `snapkeep run`: copy-to. The copy resource group is listed with the policy's (a failed page
 * stops every change of the run), the copies engine/copies.c finds due are started with
 * CopyStart (journaled like creates; a run does not wait for a copy, the next one sees its
 * progress), their sources and those of copies still running are held in the plan before
 * anything is pruned, and the copies are pruned on their own listing: owned copies only,
 * max-delete on their own, each read again and passed through the copies' view just before
 * its DELETE. Decisions are the engine's; this file gathers, logs, journals and sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/oom.h"
#include "cli/run.h"
#include "engine/azure_limits.h"
#include "engine/prune.h"

static const pol_copy *copy_of(const run_policy *rp)
{
    return rp->p->copy;
}

bool run_copy_list(run_ctx *r)
{
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        const pol_copy *c = copy_of(rp);
        if (c == NULL)
            continue;
        rp->copy_subscription = c->subscription != NULL ? c->subscription : rp->subscription;
        inv_free(rp->copy_inv);
        rp->copy_inv = inv_new();
        az_error err;
        memset(&err, 0, sizeof err);
        if (rp->copy_inv == NULL ||
            az_list_snapshots(r->client, rp->copy_subscription, c->resource_group, rp->copy_inv,
                              &err) != 0) {
            if (rp->copy_inv == NULL) {
                snprintf(err.code, sizeof err.code, "OutOfMemory");
                snprintf(err.message, sizeof err.message, "out of memory");
            }
            char what[300];
            snprintf(what, sizeof what, "listing the copies in resource group %s (%s)",
                     c->resource_group, c->region);
            run_log_az(r, CLI_LOG_ERROR, "list", rp, c->resource_group, &err, what);
            r->azure_failed = true;
            return false;
        }
    }
    return true;
}

/* ---- starting copies ---- */

typedef struct copy_op {
    run_policy *rp;
    const inv_snapshot *source;
    char id[1024];
    char name[ENG_NAME_MAX + 1];
    char taken[ENG_TIME_BUFSZ];
    inv_tag *tags;
    uint32_t ntags;
} copy_op;

typedef struct copy_batch {
    run_ctx *r;
    az_op *ops;
    copy_op *ctx;
    size_t n;
} copy_batch;

static int copy_tags(copy_op *c)
{
    const pol_policy *p = c->rp->p;
    c->tags = calloc(p->nextra_tags + 4, sizeof *c->tags);
    if (c->tags == NULL)
        return -1;
    eng_time_format(c->source->created, c->taken, sizeof c->taken);
    c->tags[c->ntags++] = (inv_tag){ POL_OWNER_TAG, p->name };
    c->tags[c->ntags++] = (inv_tag){ ENG_COPY_OF_TAG, c->source->id };
    c->tags[c->ntags++] = (inv_tag){ ENG_COPY_DISK_TAG, c->source->source_id };
    c->tags[c->ntags++] = (inv_tag){ ENG_COPY_TAKEN_TAG, c->taken };
    for (size_t i = 0; i < p->nextra_tags; i++)
        if (strcasecmp(p->extra_tags[i].key, POL_OWNER_TAG) != 0)
            c->tags[c->ntags++] = (inv_tag){ p->extra_tags[i].key,
                                             p->extra_tags[i].value ? p->extra_tags[i].value : "" };
    return 0;
}

/* "<verb> SOURCE to REGION<tail>", with the copy's fields. */
static void log_copy(run_ctx *r, cli_log_level lvl, const char *event, const copy_op *c,
                     const char *verb, const char *tail)
{
    cli_log_field f[] = { { "policy", c->rp->p->name }, { "disk", enf_id_name(c->source->source_id) },
                          { "snapshot", c->source->name }, { "copy", c->name },
                          { "region", copy_of(c->rp)->region } };
    cli_log_emit(&r->log, lvl, event, f, 5, "%s %s to %s%s", verb, c->source->name,
                 copy_of(c->rp)->region, tail);
}

static void on_copied(void *ctx, az_op *op)
{
    copy_batch *b = ctx;
    run_ctx *r = b->r;
    copy_op *c = &b->ctx[op - b->ops];
    bool ok = op->status == AZ_OP_DONE;
    run_journal_outcome(r, "copy", c->rp->p->name, c->source->source_id, c->id, op, NULL);
    if (ok) {
        c->rp->copies_started++;
        char tail[ENG_NAME_MAX + 32];
        snprintf(tail, sizeof tail, " started as %s", c->name);
        log_copy(r, CLI_LOG_INFO, "copy", c, "copy of", tail);
        return;
    }
    c->rp->copies_failed++;
    c->rp->failed = true;
    if (run_err_is_client(&op->err))
        r->partial = true;
    else
        r->azure_failed = true;
    char what[200];
    snprintf(what, sizeof what, "starting the copy of %s to %s failed", c->source->name,
             copy_of(c->rp)->region);
    run_log_az(r, CLI_LOG_ERROR, "copy", c->rp, c->name, &op->err, what);
}

static bool exists_in(const inv_inventory *inv, const char *id)
{
    for (size_t i = 0; i < inv->nsnapshots; i++)
        if (enf_same_id(inv->snapshots[i].id, id))
            return true;
    return false;
}

/* Journals and sends the starts of one policy. */
static void send_copies(run_ctx *r, run_policy *rp, const eng_copy_plan *cp)
{
    size_t n = cp->nstarts;
    copy_op *ctx = calloc(n ? n : 1, sizeof *ctx);
    az_op *ops = calloc(n ? n : 1, sizeof *ops);
    size_t k = 0;
    if (ctx == NULL || ops == NULL) {
        cli_oom_note();
        free(ctx);
        free(ops);
        return;
    }
    char sub[256];
    snprintf(sub, sizeof sub, "%s", rp->copy_subscription);
    for (size_t i = 0; i < n; i++) {
        copy_op *c = &ctx[k];
        c->rp = rp;
        c->source = cp->starts[i].source;
        snprintf(c->name, sizeof c->name, "%s", cp->starts[i].name);
        if (az_resource_id(c->id, sizeof c->id, sub, copy_of(rp)->resource_group, "snapshots",
                           c->name) != 0 || copy_tags(c) != 0) {
            log_copy(r, CLI_LOG_ERROR, "copy", c, "cannot name the copy of", "");
            free(c->tags);
            rp->failed = true;
            r->partial = true;
            continue;
        }
        if (exists_in(rp->copy_inv, c->id)) {
            log_copy(r, CLI_LOG_ERROR, "copy", c, "not copying", ": a snapshot of the copy's "
                     "name exists already in the copy resource group and is never overwritten");
            free(c->tags);
            rp->failed = true;
            r->partial = true;
            continue;
        }
        if (r->dry_run) {
            char tail[ENG_NAME_MAX + 32];
            snprintf(tail, sizeof tail, " as %s (dry run)", c->name);
            log_copy(r, CLI_LOG_INFO, "would-copy", c, "would copy", tail);
            rp->copies_started++;
            free(c->tags);
            continue;
        }
        cli_journal_entry e = cli_journal_entry_init(run_clock(r), "intent");
        e.op = "copy";
        e.policy = rp->p->name;
        e.disk = c->source->source_id;
        e.resource = c->id;
        if (run_journal(r, &e) != 0) {
            free(c->tags);
            rp->failed = true;
            continue;       /* not journaled: not sent */
        }
        ops[k] = (az_op){ .kind = AZ_OP_COPY_SNAPSHOT, .id = c->id,
                          .location = copy_of(rp)->region, .source_id = c->source->id,
                          .sku = rp->p->sku, .incremental = true, .tags = c->tags,
                          .ntags = c->ntags };
        k++;
    }
    copy_batch b = { r, ops, ctx, k };
    if (k > 0)
        az_run_ops(r->client, ops, k, on_copied, &b);
    for (size_t i = 0; i < k; i++)
        free(ctx[i].tags);
    free(ctx);
    free(ops);
}

static void log_notes(run_ctx *r, run_policy *rp, const eng_copy_plan *cp)
{
    for (size_t i = 0; i < cp->nnotes; i++) {
        const eng_copy_note *n = &cp->notes[i];
        cli_log_field f[] = { { "policy", rp->p->name },
                              { "snapshot", n->source != NULL ? n->source->name : NULL },
                              { "copy", n->copy != NULL ? n->copy->name : NULL } };
        cli_log_emit(&r->log, n->gave_up ? CLI_LOG_ERROR : CLI_LOG_WARN, "copy-failed", f, 3,
                     "%s", n->message);
        if (n->gave_up)
            r->partial = true;
    }
    for (size_t i = 0; i < cp->nholds; i++) {
        const eng_copy_hold *h = &cp->holds[i];
        if (h->copy == NULL)
            continue;
        char pct[16];
        snprintf(pct, sizeof pct, "%d", h->percent);
        cli_log_field f[] = { { "policy", rp->p->name }, { "snapshot", h->source->name },
                              { "copy", h->copy->name }, { "percent", pct } };
        cli_log_emit(&r->log, CLI_LOG_INFO, "copying", f, 4, "copy of %s to %s is %d%% done",
                     h->source->name, copy_of(rp)->region, h->percent);
    }
}

void run_copy_start(run_ctx *r, eng_plan *plan, const inv_inventory *inv)
{
    sk_time now = r->dry_run ? r->now : run_clock(r);
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        if (copy_of(rp) == NULL || rp->copy_inv == NULL)
            continue;
        /* the parallel copies the target still allows: Azure's limit less those running in
         * every copy listing of the same subscription and region */
        size_t running = 0;
        for (size_t k = 0; k < r->npols; k++)
            if (copy_of(&r->pols[k]) != NULL && r->pols[k].copy_inv != NULL &&
                strcasecmp(r->pols[k].copy_subscription, rp->copy_subscription) == 0 &&
                strcmp(copy_of(&r->pols[k])->region, copy_of(rp)->region) == 0)
                running += eng_copy_running(r->pols[k].copy_inv) + r->pols[k].copies_started;
        size_t slots = running < ENG_COPIES_PARALLEL_MAX ? ENG_COPIES_PARALLEL_MAX - running : 0;
        eng_copy_plan cp;
        char err[256];
        if (eng_copy_decide(rp->p, inv, rp->copy_inv, now, &slots, &cp, err, sizeof err) != 0) {
            cli_oom_note();     /* holds nothing back otherwise: delete nothing at all */
            cli_log_emit(&r->log, CLI_LOG_ERROR, "oom", NULL, 0, "%s: nothing deleted", err);
            continue;
        }
        log_notes(r, rp, &cp);
        if (cp.waiting > 0) {
            char w[32];
            snprintf(w, sizeof w, "%zu", cp.waiting);
            cli_log_field f[] = { { "policy", rp->p->name }, { "disks", w } };
            cli_log_emit(&r->log, CLI_LOG_WARN, "copy-wait", f, 2, "%zu disk(s) wait for a "
                         "copy: %d copies are in progress to %s already", cp.waiting,
                         ENG_COPIES_PARALLEL_MAX, copy_of(rp)->region);
        }
        send_copies(r, rp, &cp);
        /* held whatever the start's outcome: a copy whose answer was lost may be running */
        if (eng_copy_protect(plan, rp->p, &cp, &rp->copy_holds) != 0) {
            cli_oom_note();
            cli_log_emit(&r->log, CLI_LOG_ERROR, "oom", NULL, 0, "out of memory holding the "
                         "sources of copies: nothing deleted");
        }
        eng_copy_plan_free(&cp);
    }
}

/* ---- pruning copies ---- */

typedef struct cdel_op {
    run_ctx *r;
    run_policy *rp;
    const inv_snapshot *planned;    /* in the view */
    enf_confirm why;
    enf_hold stopped;
} cdel_op;

typedef struct cdel_batch {
    run_ctx *r;
    az_op *ops;
    cdel_op *ctx;
} cdel_batch;

static enf_rails copy_rails(const run_ctx *r, const run_policy *rp)
{
    return (enf_rails){ .clock_refused = r->refused, .failed = r->azure_failed,
                        .out_of_memory = cli_oom_seen(),
                        .policy_closed = rp->no_deletes, .allow_stale = r->allow_stale };
}

static void log_cdel(run_ctx *r, cli_log_level lvl, const char *event, const run_policy *rp,
                     const inv_snapshot *s, const char *verb, const char *why)
{
    char taken[ENG_TIME_BUFSZ];
    eng_time_format(s->created, taken, sizeof taken);
    cli_log_field f[] = { { "policy", rp->p->name }, { "disk", enf_id_name(s->source_id) },
                          { "copy", s->name }, { "taken", taken },
                          { "region", copy_of(rp)->region } };
    cli_log_emit(&r->log, lvl, event, f, 5, "%s copy %s%s%s", verb, s->name,
                 why != NULL ? ": " : "", why != NULL ? why : "");
}

static bool confirm_copy_delete(void *ctx, const az_op *op, const inv_snapshot *current)
{
    (void)op;
    cdel_op *d = ctx;
    enf_rails rails = copy_rails(d->r, d->rp);
    d->stopped = enf_hold_queued(&rails);
    if (d->stopped != ENF_HOLD_NONE)
        return false;
    inv_snapshot view;
    if (current == NULL) {
        d->why = ENF_CONFIRM_ID;
        return false;
    }
    if (!eng_copy_view_one(d->rp->p, current, &view)) {
        d->why = ENF_CONFIRM_OWNER;     /* no longer this policy's copy */
        return false;
    }
    const pol_policy *ret = copy_of(d->rp)->retention;
    d->why = enf_confirm_delete(ret, &ret, 1, d->planned, &view);
    return d->why == ENF_CONFIRM_OK;
}

static void on_copy_deleted(void *ctx, az_op *op)
{
    cdel_batch *b = ctx;
    run_ctx *r = b->r;
    cdel_op *d = &b->ctx[op - b->ops];
    run_journal_outcome(r, "delete", d->rp->p->name, d->planned->source_id, d->planned->id, op,
                        d->stopped != ENF_HOLD_NONE ? enf_hold_text(d->stopped)
                                                    : enf_confirm_text(d->why));
    if (op->status == AZ_OP_DONE) {
        d->rp->copies_pruned++;
        log_cdel(r, CLI_LOG_INFO, "delete", d->rp, d->planned, "deleted",
                 op->already_gone ? "it was already gone" : NULL);
    } else if (op->status == AZ_OP_SKIPPED) {
        d->rp->copies_deferred++;
        char why[160];
        snprintf(why, sizeof why, "%s%s", d->stopped != ENF_HOLD_NONE ? "" : "changed since the "
                 "plan: ", d->stopped != ENF_HOLD_NONE ? enf_hold_text(d->stopped)
                                                      : enf_confirm_text(d->why));
        log_cdel(r, CLI_LOG_WARN, "skip", d->rp, d->planned, "kept", why);
    } else {
        d->rp->copies_failed++;
        d->rp->failed = true;
        if (run_err_is_client(&op->err))
            r->partial = true;
        else
            r->azure_failed = true;
        char what[200];
        snprintf(what, sizeof what, "deleting copy %s failed", d->planned->name);
        run_log_az(r, CLI_LOG_ERROR, "delete", d->rp, d->planned->name, &op->err, what);
    }
}

static void prune_policy(run_ctx *r, run_policy *rp, const inv_inventory *view,
                         const eng_plan *plan)
{
    const pol_policy *ret = copy_of(rp)->retention;
    size_t n = plan->ndecisions;
    bool *claimed = calloc(n ? n : 1, sizeof *claimed);
    enf_candidate *cand = calloc(n ? n : 1, sizeof *cand);
    cdel_op *dels = calloc(n ? n : 1, sizeof *dels);
    az_op *ops = calloc(n ? n : 1, sizeof *ops);
    if (claimed == NULL || cand == NULL || dels == NULL || ops == NULL) {
        cli_oom_note();
        goto out;
    }
    size_t k = enf_collect(ret, plan, view, claimed, cand);
    enf_rails rails = copy_rails(r, rp);
    /* a stalled source disk holds its copies too: their tiers would age the history away */
    enf_hold hold = enf_hold_candidate(&rails, true, rp->stale ? ENF_STALE : ENF_FRESH);
    int64_t max = enf_max_delete(rp->p);
    if (r->max_delete >= 0 && r->max_delete < max)
        max = r->max_delete;
    enf_cut(cand, k, max);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (hold != ENF_HOLD_NONE) {
            rp->copies_deferred++;
            log_cdel(r, CLI_LOG_WARN, "hold", rp, cand[i].snap, "not deleting", enf_hold_text(hold));
        } else if (cand[i].deferred) {
            char why[64];
            snprintf(why, sizeof why, "over max-delete %lld for this run", (long long)max);
            rp->copies_deferred++;
            log_cdel(r, CLI_LOG_WARN, "defer", rp, cand[i].snap, "deferred", why);
        } else if (r->dry_run) {
            rp->copies_pruned++;
            log_cdel(r, CLI_LOG_INFO, "would-delete", rp, cand[i].snap, "would delete", "dry run");
        } else {
            cli_journal_entry e = cli_journal_entry_init(run_clock(r), "intent");
            e.op = "delete";
            e.policy = rp->p->name;
            e.disk = cand[i].snap->source_id;
            e.resource = cand[i].snap->id;
            if (run_journal(r, &e) != 0) {
                rp->failed = true;
                continue;
            }
            dels[m] = (cdel_op){ .r = r, .rp = rp, .planned = cand[i].snap };
            ops[m] = (az_op){ .kind = AZ_OP_DELETE_SNAPSHOT, .id = cand[i].snap->id,
                              .confirm = confirm_copy_delete };
            m++;
        }
    }
    for (size_t i = 0; i < m; i++)
        ops[i].confirm_ctx = &dels[i];
    cdel_batch b = { r, ops, dels };
    if (m > 0)
        az_run_ops(r->client, ops, m, on_copy_deleted, &b);
out:
    free(claimed);
    free(cand);
    free(dels);
    free(ops);
}

void run_copy_prune(run_ctx *r)
{
    sk_time now = r->dry_run ? r->now : run_clock(r);
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        if (copy_of(rp) == NULL || rp->copy_inv == NULL)
            continue;
        const pol_policy *ret = copy_of(rp)->retention;
        inv_inventory *view = eng_copy_view(rp->p, rp->copy_inv);
        eng_plan *plan = NULL;
        char err[512];
        if (view == NULL || eng_evaluate(&ret, 1, view, now, &plan, err, sizeof err) != 0) {
            cli_oom_note();
            cli_log_emit(&r->log, CLI_LOG_ERROR, "evaluate", NULL, 0, "%s: no copy deleted",
                         view == NULL ? "out of memory" : err);
            inv_free(view);
            continue;
        }
        size_t kept = 0;
        for (size_t k = 0; k < plan->ndecisions; k++)
            kept += plan->decisions[k].action == ENG_KEEP;
        char nk[32];
        snprintf(nk, sizeof nk, "%zu", kept);
        cli_log_field f[] = { { "policy", rp->p->name }, { "region", copy_of(rp)->region },
                              { "kept", nk } };
        cli_log_emit(&r->log, CLI_LOG_INFO, "copies", f, 3, "%zu of %zu copies in %s kept",
                     kept, plan->ndecisions, copy_of(rp)->region);
        prune_policy(r, rp, view, plan);
        eng_plan_free(plan);
        inv_free(view);
    }
}

void run_copy_free(run_policy *rp)
{
    inv_free(rp->copy_inv);
    rp->copy_inv = NULL;
    eng_copy_protect_free(rp->copy_holds);
    rp->copy_holds = NULL;
}
