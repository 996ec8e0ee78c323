/* `snapkeep run`: creating the due snapshots, each in its disk's region
 * and resource group, journaled before it is sent and after it ends. In a
 * dry run, a stand-in for each goes into the plan instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/run.h"
#include "engine/azure_limits.h"

typedef struct create_op {
    run_policy *rp;
    run_disk *disk;
    char id[1024];
    char name[ENF_NAME_MAX + 1];
    inv_tag *tags;
    uint32_t ntags;
} create_op;

typedef struct create_batch {
    run_ctx *r;
    az_op *ops;
    create_op *ctx;
    size_t n, done;
} create_batch;

static int fill_tags(create_op *c)
{
    const pol_policy *p = c->rp->p;
    c->tags = calloc(p->nextra_tags + 1, sizeof *c->tags);
    if (c->tags == NULL)
        return -1;
    c->tags[c->ntags++] = (inv_tag){ POL_OWNER_TAG, p->name };
    for (size_t i = 0; i < p->nextra_tags; i++)
        if (strcasecmp(p->extra_tags[i].key, POL_OWNER_TAG) != 0)
            c->tags[c->ntags++] = (inv_tag){ p->extra_tags[i].key,
                                             p->extra_tags[i].value ? p->extra_tags[i].value : "" };
    return 0;
}

/* The disk's region: from a listing, else read through ARM. */
static bool disk_location(run_ctx *r, run_policy *rp, run_disk *d)
{
    if (d->location != NULL)
        return true;
    inv_inventory *inv = inv_new();
    inv_disk *got = NULL;
    az_error err;
    int rc = inv != NULL ? az_get_disk(r->client, d->id, inv, &got, &err) : -1;
    if (rc == 1 && got->location != NULL)
        d->location = strdup(got->location);
    else if (rc == 0)
        run_disk_problem(r, rp, enf_id_name(d->id), "not found (404)");
    else if (rc == 1)
        run_disk_problem(r, rp, enf_id_name(d->id), "ARM gave no location for it");
    else {
        if (inv != NULL)
            run_log_az(r, CLI_LOG_ERROR, "disk", rp, enf_id_name(d->id), &err, "reading the disk");
        rp->failed = rp->no_deletes = true;
        r->azure_failed = true;
    }
    inv_free(inv);
    return d->location != NULL;
}

static bool exists_already(const run_ctx *r, const char *id)
{
    for (size_t i = 0; i < r->before->nsnapshots; i++)
        if (enf_same_id(r->before->snapshots[i].id, id))
            return true;
    return false;
}

/* Azure's per-disk limits (engine/enforce.h), judged on the listing made
 * before any creation plus the creations this run has planned so far (two
 * policies may snapshot one disk): a creation Azure would refuse is not
 * sent, and the disk is reported as failed (exit 4). */
static bool within_limits(run_ctx *r, run_policy *rp, run_disk *d, const create_op *planned,
                          size_t nplanned)
{
    enf_disk_load l;
    enf_disk_load_of(rp->p, r->before, d->id, r->now, &l);
    for (size_t i = 0; i < nplanned; i++)
        if (planned[i].disk != NULL && enf_same_id(planned[i].disk->id, d->id))
            enf_disk_load_add(&l, r->now, planned[i].rp->p->incremental);
    sk_time retry = 0;
    char why[512], at[ENG_TIME_BUFSZ];
    switch (enf_create_allowed(&l, rp->p->incremental, r->now, &retry)) {
    case ENF_CREATE_OK:
        return true;
    case ENF_CREATE_CAP:
        snprintf(why, sizeof why, "it has %zu incremental snapshots (%zu of them not this "
                 "policy's), Azure's limit of %d per disk: a new one would be refused "
                 "(SnapshotsLimitReached); prune or delete some of them", l.incremental,
                 l.foreign, ENG_SNAPSHOTS_PER_DISK_MAX);
        break;
    case ENF_CREATE_RATE:
        eng_time_format(retry, at, sizeof at);
        snprintf(why, sizeof why, "%d snapshots of it were created in the last %d minutes, "
                 "Azure's limit: a new one would be refused (SnapshotsLimitReached) until %s",
                 ENG_CREATES_PER_WINDOW, ENG_CREATE_WINDOW_SECONDS / 60, at);
        break;
    }
    run_disk_problem(r, rp, enf_id_name(d->id), why);
    return false;
}

/* Two policies snapshotting one disk in one run would name their
 * snapshots alike: the second is refused rather than sent over the first. */
static bool planned_already(const create_op *planned, size_t nplanned, const char *id)
{
    for (size_t i = 0; i < nplanned; i++)
        if (planned[i].disk != NULL && enf_same_id(planned[i].id, id))
            return true;
    return false;
}

static int plan_one(run_ctx *r, run_policy *rp, run_disk *d, create_op *c,
                    const create_op *planned, size_t nplanned)
{
    char sub[256], rg[256];
    c->rp = rp;
    c->disk = d;
    if (enf_snapshot_name(enf_id_name(d->id), r->now, c->name, sizeof c->name) < 0 ||
        !cli_id_segment(d->id, 1, sub, sizeof sub) || !cli_id_segment(d->id, 3, rg, sizeof rg) ||
        az_resource_id(c->id, sizeof c->id, sub, rg, "snapshots", c->name) != 0) {
        run_disk_problem(r, rp, enf_id_name(d->id), "cannot name a snapshot for it");
        return -1;
    }
    if (exists_already(r, c->id)) {
        run_disk_problem(r, rp, enf_id_name(d->id), "a snapshot of this run's name exists already "
                     "and is never overwritten");
        return -1;
    }
    if (planned_already(planned, nplanned, c->id)) {
        run_disk_problem(r, rp, enf_id_name(d->id), "another policy of this file creates a "
                     "snapshot of the same name in this run");
        return -1;
    }
    if (!within_limits(r, rp, d, planned, nplanned))
        return -1;
    return fill_tags(c);
}

/* In a dry run: a stand-in for the snapshot the run would create, so the
 * plan shows the same keep/prune decisions the real run would make. */
static void add_would(run_ctx *r, inv_inventory *would, const create_op *c)
{
    inv_snapshot *s = inv_add_snapshot(would);
    if (s == NULL)
        return;
    s->name = inv_strdup(would, c->name, strlen(c->name));
    s->id = inv_strdup(would, c->id, strlen(c->id));
    s->source_id = inv_strdup(would, c->disk->id, strlen(c->disk->id));
    s->location = c->disk->location;
    s->provisioning_state = "Succeeded";
    s->created = r->now;
    s->incremental = c->rp->p->incremental;
    s->tags = inv_alloc(would, c->ntags * sizeof *s->tags);
    if (s->tags != NULL) {
        memcpy(s->tags, c->tags, c->ntags * sizeof *s->tags);
        s->ntags = c->ntags;
    }
}

static void create_failed(run_ctx *r, create_op *c, az_op *op);

static void on_created(void *ctx, az_op *op)
{
    create_batch *b = ctx;
    run_ctx *r = b->r;
    create_op *c = &b->ctx[op - b->ops];
    bool ok = op->status == AZ_OP_DONE;
    run_journal_outcome(r, "create", c->rp->p->name, c->disk->id, c->id, op, NULL);
    if (ok) {
        char secs[32];
        snprintf(secs, sizeof secs, "%.1f", op->seconds);
        cli_log_field f[] = { { "policy", c->rp->p->name }, { "disk", enf_id_name(c->disk->id) },
                              { "snapshot", c->name }, { "seconds", secs } };
        cli_log_emit(&r->log, CLI_LOG_INFO, "create", f, 4, "created %s", c->name);
        c->rp->n.created++;
    } else {
        create_failed(r, c, op);
    }
    if (++b->done < b->n && b->n >= RUN_PROGRESS_MIN)
        cli_log_progress(&r->log, "creating", b->done, b->n);
}

static void create_failed(run_ctx *r, create_op *c, az_op *op)
{
    c->rp->n.failed++;
    c->rp->failed = true;
    if (run_err_is_client(&op->err))
        r->partial = true;
    else
        r->azure_failed = true;
    char what[400];
    if (strcmp(op->err.code, "SnapshotsLimitReached") == 0)
        snprintf(what, sizeof what, "creating %s of disk %s refused by Azure's snapshot limits "
                 "(%d incremental snapshots per disk, %d creations per %d minutes, counting "
                 "snapshots outside the policy's scope too): no snapshot is created for it",
                 c->name, enf_id_name(c->disk->id), ENG_SNAPSHOTS_PER_DISK_MAX,
                 ENG_CREATES_PER_WINDOW, ENG_CREATE_WINDOW_SECONDS / 60);
    else if (AZ_ERR_NAME_TAKEN(&op->err))
        snprintf(what, sizeof what, "creating %s of disk %s refused: a resource of that name "
                 "was made by someone else since the listing (the create is conditional, "
                 "If-None-Match: *), and it is not overwritten", c->name,
                 enf_id_name(c->disk->id));
    else
        snprintf(what, sizeof what, "creating %s failed", c->name);
    run_log_az(r, CLI_LOG_ERROR, "create", c->rp, c->name, &op->err, what);
}

static void send_creates(run_ctx *r, create_op *ctx, size_t n)
{
    az_op *ops = calloc(n ? n : 1, sizeof *ops);
    create_op *sent = calloc(n ? n : 1, sizeof *sent);
    size_t k = 0;
    for (size_t i = 0; ops != NULL && sent != NULL && i < n; i++) {
        cli_journal_entry e = cli_journal_entry_init(run_clock(r), "intent");
        e.op = "create";
        e.policy = ctx[i].rp->p->name;
        e.disk = ctx[i].disk->id;
        e.resource = ctx[i].id;
        if (run_journal(r, &e) != 0) {
            ctx[i].rp->failed = true;
            continue;       /* not journaled: not sent */
        }
        sent[k] = ctx[i];
        az_op *op = &ops[k++];
        op->kind = AZ_OP_CREATE_SNAPSHOT;
        op->location = ctx[i].disk->location;
        op->source_id = ctx[i].disk->id;
        op->sku = ctx[i].rp->p->sku;
        op->incremental = ctx[i].rp->p->incremental;
        op->tags = ctx[i].tags;
        op->ntags = ctx[i].ntags;
    }
    for (size_t i = 0; i < k; i++)
        ops[i].id = sent[i].id;
    create_batch b = { r, ops, sent, k, 0 };
    if (k > 0)
        az_run_ops(r->client, ops, k, on_created, &b);
    cli_log_progress_end(&r->log);
    free(ops);
    free(sent);
}

/* Azure lets a disk have ENG_PENDING_PER_DISK_MAX snapshots whose
 * background copy is unfinished (Premium SSD v2, Ultra) and refuses
 * another: the disk is left for a later run, once a copy has finished.
 * Creations this run already planned for the same disk (two policies)
 * count too, when the disk is one whose copies are pending. A warning, not
 * a failure: nothing is wrong, Azure is still copying. */
static bool pending_limit_reached(run_ctx *r, const run_policy *rp, const run_disk *d,
                                  const create_op *planned, size_t nplanned)
{
    size_t pending = enf_pending_of_disk(r->before, d->id, d->unique_id);
    for (size_t i = 0; pending > 0 && i < nplanned; i++)
        pending += planned[i].disk != NULL && enf_same_id(planned[i].disk->id, d->id);
    if (enf_may_start_pending(pending))
        return false;
    char count[32];
    snprintf(count, sizeof count, "%zu", pending);
    cli_log_field f[] = { { "policy", rp->p->name }, { "disk", enf_id_name(d->id) },
                          { "pending", count } };
    cli_log_emit(&r->log, CLI_LOG_WARN, "pending-limit", f, 3,
                 "policy \"%s\": disk %s has %zu snapshots whose background copy has not "
                 "finished (Azure allows %d): no new snapshot is started; a later run makes "
                 "it", rp->p->name, enf_id_name(d->id), pending, ENG_PENDING_PER_DISK_MAX);
    return true;
}

void run_create(run_ctx *r, inv_inventory *would)
{
    size_t total = 0;
    for (size_t i = 0; i < r->npols; i++)
        total += r->pols[i].ndisks;
    create_op *ctx = calloc(total ? total : 1, sizeof *ctx);
    if (ctx == NULL) {
        r->azure_failed = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        for (size_t k = 0; k < rp->ndisks; k++) {
            run_disk *d = &rp->disks[k];
            if (!d->due || pending_limit_reached(r, rp, d, ctx, n) ||
                (!r->dry_run && !disk_location(r, rp, d)))
                continue;
            if (plan_one(r, rp, d, &ctx[n], ctx, n) != 0) {
                free(ctx[n].tags);
                memset(&ctx[n], 0, sizeof ctx[n]);
                continue;
            }
            if (r->dry_run) {
                add_would(r, would, &ctx[n]);
                cli_log_field f[] = { { "policy", rp->p->name }, { "disk", enf_id_name(d->id) },
                                      { "snapshot", ctx[n].name } };
                cli_log_emit(&r->log, CLI_LOG_INFO, "would-create", f, 3,
                             "would create %s (dry run)", ctx[n].name);
                rp->n.created++;
            }
            n++;
        }
    }
    if (!r->dry_run)
        send_creates(r, ctx, n);
    for (size_t i = 0; i < n; i++)
        free(ctx[i].tags);
    free(ctx);
}
