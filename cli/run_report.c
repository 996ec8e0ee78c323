/* `snapkeep run`: the end-of-run summary and the metrics file, with the
 * last successful run per policy remembered in the state directory. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/health.h"
#include "cli/metrics.h"
#include "cli/oom.h"
#include "cli/run.h"


void run_count_kept(run_ctx *r, const eng_plan *plan, const inv_inventory *inv)
{
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        for (size_t k = 0; k < plan->ndecisions; k++) {
            const eng_decision *d = &plan->decisions[k];
            if (d->action == ENG_KEEP && eng_policy_owns(rp->p, d->snap, inv))
                rp->n.kept++;
        }
    }
}

bool run_policy_ok(const run_ctx *r, const run_policy *rp)
{
    return !rp->failed && !rp->no_deletes && !(rp->stale && !r->allow_stale) &&
           !r->refused && !r->azure_failed && !cli_oom_seen();
}

void run_summary(run_ctx *r, int exit_code)
{
    const char *would = r->dry_run ? "would be " : "";
    for (size_t i = 0; i < r->npols; i++) {
        const run_policy *rp = &r->pols[i];
        char n[5][24];
        snprintf(n[0], sizeof n[0], "%zu", rp->n.kept);
        snprintf(n[1], sizeof n[1], "%zu", rp->n.created);
        snprintf(n[2], sizeof n[2], "%zu", rp->n.pruned);
        snprintf(n[3], sizeof n[3], "%zu", rp->n.failed);
        snprintf(n[4], sizeof n[4], "%zu", rp->n.deferred);
        cli_log_field f[] = { { "policy", rp->p->name }, { "kept", n[0] },
                              { "created", n[1] }, { "pruned", n[2] },
                              { "failed", n[3] }, { "deferred", n[4] } };
        cli_log_emit(&r->log, run_policy_ok(r, rp) ? CLI_LOG_INFO : CLI_LOG_WARN, "summary", f, 6,
                     "%spolicy \"%s\": %zu kept, %zu %screated, %zu %spruned, %zu failed, "
                     "%zu deferred", r->dry_run ? "dry run: " : "", rp->p->name, rp->n.kept,
                     rp->n.created, would, rp->n.pruned, would, rp->n.failed, rp->n.deferred);
        if (rp->p->copy == NULL)
            continue;
        char c[4][24];
        snprintf(c[0], sizeof c[0], "%zu", rp->copies_started);
        snprintf(c[1], sizeof c[1], "%zu", rp->copies_pruned);
        snprintf(c[2], sizeof c[2], "%zu", rp->copies_failed);
        snprintf(c[3], sizeof c[3], "%zu", rp->copies_deferred);
        cli_log_field cf[] = { { "policy", rp->p->name }, { "region", rp->p->copy->region },
                               { "started", c[0] }, { "pruned", c[1] }, { "failed", c[2] },
                               { "deferred", c[3] } };
        cli_log_emit(&r->log, rp->copies_failed == 0 ? CLI_LOG_INFO : CLI_LOG_WARN,
                     "copy-summary", cf, 6, "%spolicy \"%s\" copies to %s: %zu %sstarted, "
                     "%zu %spruned, %zu failed, %zu deferred", r->dry_run ? "dry run: " : "",
                     rp->p->name, rp->p->copy->region, rp->copies_started, would,
                     rp->copies_pruned, would, rp->copies_failed, rp->copies_deferred);
    }
    static const char *const meaning[] = {
        "done", "invalid policy or input", "usage", "an Azure failure stopped the work",
        "partial: some actions failed", "stale: creation looks stalled, nothing pruned for it",
        "refused by a safety rail", "out of memory: nothing deleted after it" };
    char code[8];
    snprintf(code, sizeof code, "%d", exit_code);
    cli_log_field f[] = { { "exit", code } };
    cli_log_emit(&r->log, exit_code == 0 ? CLI_LOG_INFO : CLI_LOG_ERROR, "end", f, 1,
                 "%sexit %d: %s", r->dry_run ? "dry run: " : "", exit_code,
                 exit_code >= 0 && exit_code <= EXIT_NOMEM ? meaning[exit_code] : "?");
}

/* {"policy": epoch seconds, ...}: updated for the policies that succeeded. */
static cJSON *last_success(run_ctx *r)
{
    const char **ok = calloc(r->npols ? r->npols : 1, sizeof *ok);
    size_t n = 0;
    for (size_t i = 0; ok != NULL && i < r->npols; i++)
        if (run_policy_ok(r, &r->pols[i]))
            ok[n++] = r->pols[i].p->name;
    char err[512];
    cJSON *o = cli_state_last_success(&r->state, CLI_LAST_SUCCESS_FILE, ok, n,
                                      (double)(run_clock(r) / SK_USEC_PER_SEC), err, sizeof err);
    if (o == NULL || ok == NULL || err[0] != '\0')
        cli_log_emit(&r->log, CLI_LOG_WARN, "state", NULL, 0, "cannot remember the last success: %s",
                     err[0] != '\0' ? err : "out of memory");
    free(ok);
    return o;
}

static void snapshot_counts(cli_metrics *m, const run_policy *rp)
{
    const char *names[] = { "kept", "pruned", "created", "failed", "deferred" };
    size_t vals[] = { rp->n.kept, rp->n.pruned, rp->n.created, rp->n.failed, rp->n.deferred };
    for (size_t i = 0; i < 5; i++) {
        const char *l[] = { "policy", rp->p->name, "state", names[i], NULL };
        cli_metrics_add(m, "snapkeep_snapshots", l, (double)vals[i]);
    }
}

typedef struct age_item {
    const char *source;
    sk_time created;
} age_item;

static int age_cmp(const void *a, const void *b)
{
    const char *x = ((const age_item *)a)->source, *y = ((const age_item *)b)->source;
    x += *x == '/';
    y += *y == '/';
    return strcasecmp(x, y);
}

/* Newest owned snapshot per source disk, after the run: sorted by source
 * so large inventories stay cheap. Only of the disks as they are now: a
 * gone disk's age, or an earlier disk's of the same name, would grow for
 * ever and page someone about a disk that no longer exists. */
static void newest_ages(run_ctx *r, cli_metrics *m, const run_policy *rp,
                        const inv_inventory *inv)
{
    age_item *it = calloc(inv->nsnapshots ? inv->nsnapshots : 1, sizeof *it);
    eng_disk_index *dx = eng_disk_index_new(inv);
    if (it == NULL || dx == NULL) {
        free(it);
        eng_disk_index_free(dx);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (s->source_id != NULL && s->source_id[0] != '\0' && enf_snapshot_usable(s) &&
            eng_policy_owns(rp->p, s, inv) &&
            !eng_identity_retired(eng_identity_of(dx, s->source_id, s->source_unique_id)))
            it[n++] = (age_item){ s->source_id, s->created };
    }
    eng_disk_index_free(dx);
    qsort(it, n, sizeof *it, age_cmp);
    sk_time now = run_clock(r);
    for (size_t i = 0; i < n;) {
        size_t k = i;
        sk_time newest = it[i].created;
        while (k < n && age_cmp(&it[i], &it[k]) == 0) {
            if (it[k].created > newest)
                newest = it[k].created;
            k++;
        }
        double age = newest < now ? (double)(now - newest) / SK_USEC_PER_SEC : 0.0;
        const char *l[] = { "policy", rp->p->name, "disk", enf_id_name(it[i].source), NULL };
        if (cli_metrics_add(m, "snapkeep_newest_snapshot_age_seconds", l, age) != 0) {
            /* two disks of one name in different groups: tell them apart by ID */
            const char *l2[] = { "policy", rp->p->name, "disk", it[i].source, NULL };
            cli_metrics_add(m, "snapkeep_newest_snapshot_age_seconds", l2, age);
        }
        i = k;
    }
    free(it);
}

/* copy-to: what the copies did, and the copy lag per disk (the recovery point in the copy
 * region: the age of the data of its newest completed copy). */
static void copy_metrics(run_ctx *r, cli_metrics *m, const run_policy *rp)
{
    const pol_copy *c = rp->p->copy;
    if (c == NULL)
        return;
    static const char *const names[] = { "started", "pruned", "failed", "deferred" };
    size_t vals[] = { rp->copies_started, rp->copies_pruned, rp->copies_failed,
                      rp->copies_deferred };
    for (size_t i = 0; i < 4; i++) {
        const char *l[] = { "policy", rp->p->name, "region", c->region, "state", names[i], NULL };
        cli_metrics_add(m, "snapkeep_copies", l, (double)vals[i]);
    }
    if (rp->copy_inv == NULL)
        return;
    size_t cap = rp->copy_inv->nsnapshots;
    eng_copy_newest *it = calloc(cap ? cap : 1, sizeof *it);
    if (it == NULL)
        return;
    size_t n = eng_copy_newest_done(rp->p, rp->copy_inv, it, cap);
    sk_time now = run_clock(r);
    for (size_t i = 0; i < n; i++) {
        double lag = it[i].taken < now ? (double)(now - it[i].taken) / SK_USEC_PER_SEC : 0.0;
        const char *l[] = { "policy", rp->p->name, "region", c->region,
                            "disk", enf_id_name(it[i].disk_id), NULL };
        if (cli_metrics_add(m, "snapkeep_copy_lag_seconds", l, lag) != 0) {
            const char *l2[] = { "policy", rp->p->name, "region", c->region,
                                 "disk", it[i].disk_id, NULL };
            cli_metrics_add(m, "snapkeep_copy_lag_seconds", l2, lag);
        }
    }
    free(it);
}

static void declare(cli_metrics *m)
{
    cli_metrics_family(m, "snapkeep_copies", "gauge",
                       "Copies to the copy-to region in the last run: started, pruned "
                       "(deleted), failed actions, deferred deletions.");
    cli_metrics_family(m, "snapkeep_copy_lag_seconds", "gauge",
                       "Age of the data of the newest completed copy per disk in the copy-to "
                       "region: the recovery point there.");
    cli_metrics_family(m, "snapkeep_snapshots", "gauge",
                       "Snapshots per policy in the last run: kept by the policy, pruned "
                       "(deleted), created, failed actions, deferred deletions.");
    cli_metrics_family(m, "snapkeep_newest_snapshot_age_seconds", "gauge",
                       "Age of the newest snapshot the policy owns, per source disk.");
    cli_metrics_family(m, "snapkeep_last_success_timestamp_seconds", "gauge",
                       "When a run last finished for the policy with nothing failed or held back "
                       "(Unix time; 0: never), for alerts on time() minus it.");
    cli_metrics_family(m, "snapkeep_last_run_timestamp_seconds", "gauge",
                       "When the last run finished, whatever its exit code (Unix time).");
    cli_metrics_family(m, "snapkeep_run_duration_seconds", "gauge",
                       "Wall time of the last run.");
    cli_metrics_family(m, "snapkeep_run_exit_code", "gauge",
                       "Exit code of the last run (see snapkeep(1)).");
}

int run_metrics(run_ctx *r, const inv_inventory *inv, int exit_code)
{
    cJSON *last = r->dry_run ? NULL : last_success(r);
    if (r->metrics_file == NULL || r->dry_run) {
        cJSON_Delete(last);
        return 0;
    }
    char err[512];
    cli_metrics *m = cli_metrics_new();
    if (m == NULL) {
        cJSON_Delete(last);
        cli_log_emit(&r->log, CLI_LOG_ERROR, "metrics", NULL, 0,
                     "cannot write the metrics file %s: out of memory", r->metrics_file);
        return -1;
    }
    declare(m);
    for (size_t i = 0; i < r->npols; i++)
        snapshot_counts(m, &r->pols[i]);
    for (size_t i = 0; inv != NULL && i < r->npols; i++)
        newest_ages(r, m, &r->pols[i], inv);
    for (size_t i = 0; i < r->npols; i++)
        copy_metrics(r, m, &r->pols[i]);
    for (size_t i = 0; i < r->npols; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(last, r->pols[i].p->name);
        const char *l[] = { "policy", r->pols[i].p->name, NULL };
        /* never succeeded is 0, not a missing series: time() - 0 is huge,
         * so the alert fires for a policy whose runs always failed */
        cli_metrics_add(m, "snapkeep_last_success_timestamp_seconds", l,
                        cJSON_IsNumber(v) ? v->valuedouble : 0);
    }
    cli_metrics_add(m, "snapkeep_last_run_timestamp_seconds", NULL,
                    (double)(run_clock(r) / SK_USEC_PER_SEC));
    cli_metrics_add(m, "snapkeep_run_duration_seconds", NULL,
                    (double)(cli_now() - r->real_start) / SK_USEC_PER_SEC);
    cli_metrics_add(m, "snapkeep_run_exit_code", NULL, exit_code);
    int rc = cli_metrics_write(m, r->metrics_file, err, sizeof err);
    if (rc != 0) {
        cli_log_field f[] = { { "path", r->metrics_file } };
        cli_log_emit(&r->log, CLI_LOG_ERROR, "metrics", f, 1,
                     "cannot write the metrics file %s: %s", r->metrics_file, err);
    }
    cli_metrics_free(m);
    cJSON_Delete(last);
    return rc;
}
