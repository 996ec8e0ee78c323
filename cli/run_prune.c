/* `snapkeep run`: deleting what the plan prunes. Only snapshots a policy
 * owns and no policy keeps are candidates; a stalled disk, a listing
 * failure, clock skew or an allocation failure holds them all back;
 * max-delete lets the oldest go first and defers the rest; and each one is
 * re-read through ARM just before its DELETE and left alone if anything
 * about it changed. The decisions are engine/prune.c's and enforce.c's;
 * this file gathers the facts, logs, journals and sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/oom.h"
#include "cli/run.h"
#include "engine/prune.h"

typedef struct del_op {
    run_ctx *r;
    run_policy *rp;
    const inv_snapshot *planned;
    enf_confirm why;
    enf_hold stopped;       /* held back: the run failed while it waited */
} del_op;

typedef struct del_batch {
    run_ctx *r;
    az_op *ops;
    del_op *ctx;
    size_t n, done;
} del_batch;

static const run_group *find_group(const run_policy *rp, const char *source)
{
    bool none = source == NULL || source[0] == '\0';
    for (size_t i = 0; i < rp->ngroups; i++) {
        const run_group *g = &rp->groups[i];
        if (none ? g->source == NULL : (g->source != NULL && enf_same_id(g->source, source)))
            return g;
    }
    return NULL;
}

static enf_rails rails_of(const run_ctx *r, const run_policy *rp)
{
    return (enf_rails){ .clock_refused = r->refused, .failed = r->azure_failed,
                        .out_of_memory = cli_oom_seen(),
                        .policy_closed = rp != NULL && rp->no_deletes,
                        .allow_stale = r->allow_stale,
                        .lease_lost = !run_lease_ok(r) };
}

/* Why a candidate may not be deleted in this run at all (NULL: it may). */
static const char *held_back(const run_ctx *r, const run_policy *rp, const inv_snapshot *s)
{
    enf_rails rails = rails_of(r, rp);
    const run_group *g = find_group(rp, s->source_id);
    return enf_hold_text(enf_hold_candidate(&rails, g != NULL,
                                            g != NULL ? g->stale : ENF_UNJUDGED));
}

/* "VERB NAME" or "VERB NAME: WHY", with the snapshot's fields. */
static void log_snap(run_ctx *r, cli_log_level lvl, const char *event, const run_policy *rp,
                     const inv_snapshot *s, const char *verb, const char *why)
{
    char taken[ENG_TIME_BUFSZ];
    eng_time_format(s->created, taken, sizeof taken);
    cli_log_field f[] = { { "policy", rp->p->name }, { "disk", enf_id_name(s->source_id) },
                          { "snapshot", s->name }, { "taken", taken } };
    cli_log_emit(&r->log, lvl, event, f, 4, "%s %s%s%s", verb, s->name,
                 why != NULL ? ": " : "", why != NULL ? why : "");
}

static bool confirm_delete(void *ctx, const az_op *op, const inv_snapshot *current)
{
    (void)op;
    del_op *d = ctx;
    const pol_file *f = d->r->file;
    /* doc/design.md, rail 8: after an Azure failure, an allocation failure
     * (or a journal that cannot be written) nothing more is deleted; ops still queued in the batch are held back here, just
     * before their DELETE would be sent */
    enf_rails rails = rails_of(d->r, d->rp);
    d->stopped = enf_hold_queued(&rails);
    if (d->stopped != ENF_HOLD_NONE)
        return false;
    if (current == NULL) {
        d->why = ENF_CONFIRM_ID;
        return false;
    }
    d->why = enf_confirm_delete(d->rp->p, (const pol_policy *const *)f->policies,
                                f->npolicies, d->planned, current);
    return d->why == ENF_CONFIRM_OK;
}

static void log_outcome(run_ctx *r, del_op *d, az_op *op);

/* Journal first (the audit trail), then the log line and the progress. */
static void on_deleted(void *ctx, az_op *op)
{
    del_batch *b = ctx;
    run_ctx *r = b->r;
    del_op *d = &b->ctx[op - b->ops];
    run_journal_outcome(r, "delete", d->rp->p->name, d->planned->source_id, d->planned->id, op,
                        d->stopped != ENF_HOLD_NONE ? enf_hold_text(d->stopped)
                                                    : enf_confirm_text(d->why));
    log_outcome(r, d, op);
    if (++b->done < b->n && b->n >= RUN_PROGRESS_MIN)
        cli_log_progress(&r->log, "deleting", b->done, b->n);
}

static void log_outcome(run_ctx *r, del_op *d, az_op *op)
{
    if (op->status == AZ_OP_DONE) {
        d->rp->n.pruned++;
        if (r->ndeleted == r->capdeleted) {
            size_t cap = r->capdeleted ? 2 * r->capdeleted : 16;
            const char **n = realloc(r->deleted, cap * sizeof *n);
            if (n != NULL) {
                r->deleted = n;
                r->capdeleted = cap;
            }
        }
        if (r->ndeleted < r->capdeleted)
            r->deleted[r->ndeleted++] = d->planned->id;
        log_snap(r, CLI_LOG_INFO, "delete", d->rp, d->planned, "deleted",
                 op->already_gone ? "it was already gone" : NULL);
    } else if (op->status == AZ_OP_SKIPPED && d->stopped != ENF_HOLD_NONE) {
        d->rp->n.deferred++;
        log_snap(r, CLI_LOG_WARN, "hold", d->rp, d->planned, "not deleting",
                 enf_hold_text(d->stopped));
    } else if (op->status == AZ_OP_SKIPPED) {
        d->rp->n.deferred++;
        char why[160];
        snprintf(why, sizeof why, "changed since the plan: %s", enf_confirm_text(d->why));
        log_snap(r, CLI_LOG_WARN, "skip", d->rp, d->planned, "kept", why);
    } else {
        d->rp->n.failed++;
        d->rp->failed = true;
        if (run_err_is_client(&op->err))
            r->partial = true;
        else
            r->azure_failed = true;
        char what[200];
        snprintf(what, sizeof what, "deleting %s failed", d->planned->name);
        run_log_az(r, CLI_LOG_ERROR, "delete", d->rp, d->planned->name, &op->err, what);
    }
}

/* Deletions a run leaves for later, told in one line per policy and
 * reason (count, oldest, newest) instead of one line each: a policy over
 * max-delete by 840 is one line, not 840. */
typedef struct deferral {
    size_t n;
    const inv_snapshot *oldest, *newest;
    const char *why;
} deferral;

static void defer_add(deferral *d, const inv_snapshot *s, const char *why)
{
    if (d->n++ == 0)
        d->why = why;
    if (d->oldest == NULL || s->created < d->oldest->created)
        d->oldest = s;
    if (d->newest == NULL || s->created > d->newest->created)
        d->newest = s;
}

static void defer_log(run_ctx *r, const run_policy *rp, const deferral *d, const char *event)
{
    if (d->n == 0)
        return;
    char count[24], oldest[ENG_TIME_BUFSZ], newest[ENG_TIME_BUFSZ];
    snprintf(count, sizeof count, "%zu", d->n);
    eng_time_format(d->oldest->created, oldest, sizeof oldest);
    eng_time_format(d->newest->created, newest, sizeof newest);
    cli_log_field f[] = { { "policy", rp->p->name }, { "count", count },
                          { "oldest", oldest }, { "newest", newest },
                          { "oldest_snapshot", d->oldest->name },
                          { "newest_snapshot", d->newest->name } };
    cli_log_emit(&r->log, CLI_LOG_WARN, event, f, 6, "policy \"%s\": %s %zu deletion%s (taken "
                 "%s to %s): %s", rp->p->name, strcmp(event, "defer") == 0 ? "deferred" : "holding back",
                 d->n, d->n == 1 ? "" : "s", oldest, newest, d->why);
}

/* enf_choose asks: a held-back candidate is counted as deferred and
 * summed into one line per reason (enf_hold_text's static texts). */
typedef struct hold_ctx {
    run_ctx *r;
    run_policy *rp;
    deferral held[4];
} hold_ctx;

static bool held(void *ctx, const enf_candidate *c)
{
    hold_ctx *h = ctx;
    const char *why = held_back(h->r, h->rp, c->snap);
    if (why == NULL)
        return false;
    h->rp->n.deferred++;
    size_t k = 0;
    while (k + 1 < 4 && h->held[k].n > 0 && h->held[k].why != why)
        k++;
    defer_add(&h->held[k], c->snap, why);
    return true;
}

/* Fills dels with what this policy deletes now (engine/prune.c's
 * enf_choose, the decision `plan` shows too); logs the deferred. */
static size_t choose(run_ctx *r, run_policy *rp, const eng_plan *plan, const inv_inventory *inv,
                     bool *claimed, enf_candidate *cand, del_op *dels)
{
    int64_t max = enf_run_max_delete(rp->p, r->max_delete);
    hold_ctx h = { .r = r, .rp = rp };
    size_t n = enf_choose(rp->p, plan, inv, claimed, max, held, &h, cand, NULL);
    for (size_t i = 0; i < 4; i++)
        defer_log(r, rp, &h.held[i], "hold");
    size_t k = 0;
    char why[64];
    snprintf(why, sizeof why, "over max-delete %lld for this run", (long long)max);
    deferral over = { 0 };
    for (size_t i = 0; i < n; i++) {
        if (cand[i].deferred) {
            rp->n.deferred++;
            defer_add(&over, cand[i].snap, why);
        } else if (r->dry_run) {
            rp->n.pruned++;
            log_snap(r, CLI_LOG_INFO, "would-delete", rp, cand[i].snap, "would delete",
                     "dry run");
        } else {
            dels[k++] = (del_op){ .r = r, .rp = rp, .planned = cand[i].snap };
        }
    }
    defer_log(r, rp, &over, "defer");
    return k;
}

static void send_deletes(run_ctx *r, del_op *dels, size_t n)
{
    az_op *ops = calloc(n ? n : 1, sizeof *ops);
    del_op *sent = calloc(n ? n : 1, sizeof *sent);
    size_t k = 0;
    if (ops == NULL || sent == NULL) {
        cli_oom_note();
        cli_log_emit(&r->log, CLI_LOG_ERROR, "oom", NULL, 0, "out of memory: nothing deleted");
    }
    for (size_t i = 0; ops != NULL && sent != NULL && i < n; i++) {
        cli_journal_entry e = cli_journal_entry_init(run_clock(r), "intent");
        e.op = "delete";
        e.policy = dels[i].rp->p->name;
        e.disk = dels[i].planned->source_id;
        e.resource = dels[i].planned->id;
        if (run_journal(r, &e) != 0) {
            dels[i].rp->failed = true;
            continue;       /* not journaled: not sent */
        }
        sent[k++] = dels[i];
    }
    for (size_t i = 0; i < k; i++) {
        ops[i].kind = AZ_OP_DELETE_SNAPSHOT;
        ops[i].id = sent[i].planned->id;
        ops[i].confirm = confirm_delete;
        ops[i].confirm_ctx = &sent[i];
    }
    del_batch b = { r, ops, sent, k, 0 };
    if (k > 0)
        az_run_ops(r->client, ops, k, on_deleted, &b);
    cli_log_progress_end(&r->log);
    free(ops);
    free(sent);
}

void run_prune(run_ctx *r, const eng_plan *plan, const inv_inventory *inv)
{
    size_t n = plan->ndecisions;
    bool *claimed = calloc(n ? n : 1, sizeof *claimed);
    enf_candidate *cand = calloc(n ? n : 1, sizeof *cand);
    del_op *dels = calloc(n ? n : 1, sizeof *dels);
    if (claimed == NULL || cand == NULL || dels == NULL) {
        cli_oom_note();
        cli_log_emit(&r->log, CLI_LOG_ERROR, "oom", NULL, 0, "out of memory: nothing deleted");
    } else {
        size_t k = 0;
        for (size_t i = 0; i < r->npols; i++)
            k += choose(r, &r->pols[i], plan, inv, claimed, cand, dels + k);
        if (!r->dry_run)
            send_deletes(r, dels, k);
    }
    free(claimed);
    free(cand);
    free(dels);
}
