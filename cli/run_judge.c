/* `snapkeep run`: which disks each policy snapshots (disk entries resolved
 * to IDs, disks selected by tag, nothing outside the policy's scope),
 * whether each is due, and which look stalled: all judged on the listing
 * made before any creation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/run.h"

static bool disk_in_scope(const pol_policy *p, const char *sub, const inv_disk *d)
{
    char s[256], rg[256];
    /* sub NULL: a policy over several subscriptions, whose own list decides */
    if (d->id == NULL || !cli_id_segment(d->id, 1, s, sizeof s) ||
        (sub != NULL ? strcasecmp(s, sub) != 0 : !pol_subscription_allowed(p, s, strlen(s))))
        return false;
    if (p->resource_group != NULL &&
        (!cli_id_segment(d->id, 3, rg, sizeof rg) || strcasecmp(rg, p->resource_group) != 0))
        return false;
    for (size_t i = 0; i < p->ndisk_tags; i++) {
        const char *v = inv_tag_get(d->tags, d->ntags, p->disk_tags[i].key);
        if (v != NULL && (p->disk_tags[i].value == NULL || strcmp(v, p->disk_tags[i].value) == 0))
            return true;
    }
    return false;
}

static const inv_disk *find_disk(const inv_inventory *inv, const char *id)
{
    for (size_t i = 0; inv != NULL && i < inv->ndisks; i++)
        if (enf_same_id(inv->disks[i].id, id))
            return &inv->disks[i];
    return NULL;
}

static int add_disk(run_policy *rp, const char *id, const char *location)
{
    for (size_t i = 0; i < rp->ndisks; i++)
        if (enf_same_id(rp->disks[i].id, id))
            return 0;
    run_disk *n = realloc(rp->disks, (rp->ndisks + 1) * sizeof *n);
    if (n == NULL)
        return -1;
    rp->disks = n;
    run_disk *d = &n[rp->ndisks];
    memset(d, 0, sizeof *d);
    size_t len = strlen(id);
    d->id = malloc(len + 2);
    if (d->id == NULL)
        return -1;
    snprintf(d->id, len + 2, "%s%s", id[0] == '/' ? "" : "/", id);
    d->location = location != NULL ? strdup(location) : NULL;
    rp->ndisks++;
    return 0;
}

void run_disk_problem(run_ctx *r, run_policy *rp, const char *disk, const char *why)
{
    cli_log_field f[] = { { "policy", rp->p->name }, { "disk", disk } };
    cli_log_emit(&r->log, CLI_LOG_ERROR, "disk", f, 2,
                 "policy \"%s\": disk \"%s\": %s; no snapshot is created for it",
                 rp->p->name, disk, why);
    rp->failed = true;
    r->partial = true;
}

/* A disk written by name without a resource group: the one disk of that
 * name in the subscription (listed once per policy). */
static void resolve_by_name(run_ctx *r, run_policy *rp, const char *name,
                            inv_inventory **listed)
{
    az_error err;
    if (*listed == NULL) {
        *listed = inv_new();
        if (*listed == NULL || az_list_disks(r->client, rp->subscription, NULL, *listed, &err) != 0) {
            if (*listed != NULL)
                run_log_az(r, CLI_LOG_ERROR, "disk", rp, NULL, &err, "listing disks");
            rp->failed = rp->no_deletes = true;
            r->azure_failed = true;
            return;
        }
    }
    const inv_disk *hit = NULL;
    size_t nhit = 0;
    for (size_t i = 0; i < (*listed)->ndisks; i++)
        if ((*listed)->disks[i].name != NULL && strcasecmp((*listed)->disks[i].name, name) == 0) {
            hit = &(*listed)->disks[i];
            nhit++;
        }
    if (nhit == 1 && hit->id != NULL)
        add_disk(rp, hit->id, hit->location);
    else
        run_disk_problem(r, rp, name, nhit == 0 ? "no disk of that name in the subscription"
                     : "several disks have that name: set resource-group or give the full ID");
}

/* A disk named by an ID outside the policy's subscription or resource
 * group would get snapshots the policy never governs: one every run, never
 * pruned. Refuse it instead. */
static void drop_out_of_scope(run_ctx *r, run_policy *rp)
{
    size_t k = 0;
    for (size_t i = 0; i < rp->ndisks; i++) {
        if (eng_policy_scopes_disk(rp->p, rp->disks[i].id, r->before)) {
            rp->disks[k++] = rp->disks[i];
            continue;
        }
        run_disk_problem(r, rp, rp->disks[i].id, "outside the policy's subscription or resource group");
        free(rp->disks[i].id);
        free(rp->disks[i].location);
    }
    rp->ndisks = k;
}

/* A disk the listing says is gone is read once more through ARM before its
 * snapshots lose the stale rail: only a 404 confirms it. A disk that is
 * there after all means the disk listing was incomplete, and a run that
 * trusted it would prune a live disk's history by age with no check: the
 * policy deletes nothing this run (an Azure failure, exit 3). Returns
 * whether the disk is confirmed gone. */
static bool confirm_gone(run_ctx *r, run_policy *rp, const char *disk_id)
{
    if (r->client == NULL)
        return false;
    inv_inventory *scratch = inv_new();
    az_error err;
    memset(&err, 0, sizeof err);
    int got = scratch != NULL ? az_get_disk(r->client, disk_id, scratch, NULL, &err) : -1;
    inv_free(scratch);
    if (got == 0)
        return true;
    if (got == 1) {
        cli_log_field f[] = { { "policy", rp->p->name }, { "disk", enf_id_name(disk_id) } };
        cli_log_emit(&r->log, CLI_LOG_ERROR, "disk-list", f, 2,
                     "policy \"%s\": disk %s exists but the disk listing did not show it: "
                     "the listing is incomplete; nothing is deleted for this policy",
                     rp->p->name, enf_id_name(disk_id));
    } else if (scratch != NULL) {
        run_log_az(r, CLI_LOG_ERROR, "disk", rp, enf_id_name(disk_id), &err,
                   "reading a disk the listing does not show");
    }
    rp->failed = rp->no_deletes = true;
    r->azure_failed = true;
    return false;
}

/* A disk the policy names that the disk list, covering its resource group,
 * no longer has, while the policy owns snapshots of it: the disk was
 * deleted. Nothing can be created for it, and that is no failure: its
 * snapshots are a retired group (engine/identity.h), kept as the policy's
 * `retired` setting says. A named disk that never had a snapshot is still
 * a problem (a typo): disk_location reports it. */
static void drop_gone(run_ctx *r, run_policy *rp)
{
    size_t k = 0;
    for (size_t i = 0; i < rp->ndisks; i++) {
        run_disk *d = &rp->disks[i];
        bool gone = d->location == NULL && find_disk(r->before, d->id) == NULL &&
                    inv_disks_cover(r->before, d->id) &&
                    enf_newest_owned(rp->p, r->before, d->id, NULL, r->now) != SK_TIME_MIN &&
                    confirm_gone(r, rp, d->id);
        if (!gone) {
            rp->disks[k++] = *d;
            continue;
        }
        cli_log_field f[] = { { "policy", rp->p->name }, { "disk", enf_id_name(d->id) } };
        cli_log_emit(&r->log, CLI_LOG_WARN, "disk-gone", f, 2,
                     "policy \"%s\": disk \"%s\" no longer exists: no snapshot is created for "
                     "it; its snapshots are a retired group (retired %s)", rp->p->name,
                     enf_id_name(d->id), rp->p->retired == POL_RETIRED_KEEP_ALL ? "keep-all"
                     : rp->p->retired == POL_RETIRED_FOR ? "for" : "forever");
        free(d->id);
        free(d->location);
    }
    rp->ndisks = k;
}

static void resolve_disks(run_ctx *r, run_policy *rp)
{
    const pol_policy *p = rp->p;
    inv_inventory *listed = NULL;
    for (size_t i = 0; i < p->ndisks; i++) {
        const char *entry = p->disks[i];
        char id[1024];
        if (strchr(entry, '/') != NULL) {
            const inv_disk *d = find_disk(r->before, entry);
            add_disk(rp, entry, d != NULL ? d->location : NULL);
        } else if (p->resource_group != NULL) {
            if (az_resource_id(id, sizeof id, rp->subscription, p->resource_group, "disks",
                               entry) != 0) {
                run_disk_problem(r, rp, entry, "cannot build its resource ID");
                continue;
            }
            const inv_disk *d = find_disk(r->before, id);
            add_disk(rp, id, d != NULL ? d->location : NULL);
        } else if (r->client != NULL) {
            resolve_by_name(r, rp, entry, &listed);
        }
    }
    for (size_t i = 0; p->ndisk_tags > 0 && i < r->before->ndisks; i++)
        if (disk_in_scope(p, rp->subscription, &r->before->disks[i]))
            add_disk(rp, r->before->disks[i].id, r->before->disks[i].location);
    inv_free(listed);
    drop_out_of_scope(r, rp);
    drop_gone(r, rp);
}

static int add_group(run_policy *rp, const char *source)
{
    for (size_t i = 0; i < rp->ngroups; i++)
        if ((source == NULL && rp->groups[i].source == NULL) ||
            (source != NULL && rp->groups[i].source != NULL &&
             enf_same_id(source, rp->groups[i].source)))
            return 0;
    run_group *n = realloc(rp->groups, (rp->ngroups + 1) * sizeof *n);
    if (n == NULL)
        return -1;
    rp->groups = n;
    memset(&n[rp->ngroups], 0, sizeof n[0]);
    n[rp->ngroups].source = source != NULL ? strdup(source) : NULL;
    rp->ngroups++;
    return 0;
}

/* Staleness per source disk of the policy's own snapshots: only of the
 * disk as it is now (its uniqueId). A disk that is gone, or the snapshots
 * of an earlier disk of the same name, are retired (engine/identity.h): no
 * snapshot will ever be added to them, so they are never stale. */
static void judge_groups(run_ctx *r, run_policy *rp, const eng_disk_index *dx)
{
    const inv_inventory *inv = r->before;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (enf_snapshot_taken(s) && eng_policy_owns(rp->p, s, inv))
            add_group(rp, s->source_id != NULL && s->source_id[0] != '\0' ? s->source_id : NULL);
    }
    for (size_t g = 0; g < rp->ngroups; g++) {
        run_group *gr = &rp->groups[g];
        const inv_disk *now_disk = dx != NULL ? eng_disk_find(dx, gr->source) : NULL;
        gr->identity = dx != NULL ? eng_identity_of(dx, gr->source, NULL) : ENG_ID_UNJUDGED;
        gr->newest = enf_newest_owned(rp->p, inv, gr->source,
                                      now_disk != NULL ? now_disk->unique_id : NULL, r->now);
        /* gone: confirmed through ARM first (confirm_gone); an earlier disk of
         * the same name needs no confirming: the disk of that ID is there,
         * with another uniqueId */
        if (gr->identity == ENG_ID_GONE && !confirm_gone(r, rp, gr->source))
            gr->identity = ENG_ID_UNJUDGED;
        gr->stale = eng_identity_retired(gr->identity) ? ENF_UNJUDGED
                  : enf_staleness_of(rp->p, gr->newest, r->now, &gr->limit);
        if (gr->stale != ENF_STALE)
            continue;
        char newest[ENG_TIME_BUFSZ], limit[ENG_TIME_BUFSZ];
        eng_time_format(gr->newest, newest, sizeof newest);
        eng_time_format(gr->limit, limit, sizeof limit);
        const char *disk = gr->source != NULL ? enf_id_name(gr->source) : "(no source disk)";
        cli_log_field f[] = { { "policy", rp->p->name }, { "disk", disk },
                              { "newest", newest }, { "limit", limit } };
        cli_log_emit(&r->log, r->allow_stale ? CLI_LOG_WARN : CLI_LOG_ERROR, "stale", f, 4,
                     "STALE: policy \"%s\", disk %s: the newest snapshot (%s) is older than %s: "
                     "snapshot creation looks stalled; %s", rp->p->name, disk, newest, limit,
                     r->allow_stale ? "pruning anyway (--allow-stale)"
                                    : "nothing is pruned for this disk");
        rp->stale = true;
        if (!r->allow_stale)
            r->stale = true;
    }
}

void run_judge(run_ctx *r)
{
    /* NULL when out of memory: then nothing is judged retired, and a gone
     * disk looks stale, which only holds deletions back */
    eng_disk_index *dx = eng_disk_index_new(r->before);
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        resolve_disks(r, rp);
        if (rp->p->has_snapshot_every && rp->ndisks == 0 && !rp->failed) {
            cli_log_field f[] = { { "policy", rp->p->name } };
            cli_log_emit(&r->log, CLI_LOG_WARN, "no-disk", f, 1,
                         "policy \"%s\" says `snapshot every` but selects no disk (`disk` or "
                         "`disks tagged`): nothing is created for it", rp->p->name);
        }
        for (size_t k = 0; k < rp->ndisks; k++) {
            run_disk *d = &rp->disks[k];
            const inv_disk *disk = dx != NULL ? eng_disk_find(dx, d->id) : NULL;
            d->unique_id = disk != NULL ? disk->unique_id : NULL;
            /* a disk made again under the same name has no snapshot yet:
             * its predecessor's do not make it look up to date */
            d->newest = enf_newest_owned(rp->p, r->before, d->id, d->unique_id, r->now);
            d->due = enf_is_due(rp->p, d->newest, r->now);
        }
        judge_groups(r, rp, dx);
    }
    eng_disk_index_free(dx);
}
