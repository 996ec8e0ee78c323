/* `snapkeep run`: the last-run record in the state directory that
 * `snapkeep status` reads (cli/health.h, doc/json.md). One JSON object,
 * {"policies": {NAME: {...}}}: a run rewrites the entries of its own
 * policies and keeps the others, so several policy files may share a
 * state directory. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/health.h"
#include "cli/run.h"

static bool not_deleted(const inv_snapshot *s, const void *ctx)
{
    const run_ctx *r = ctx;
    for (size_t i = 0; i < r->ndeleted; i++)
        if (enf_same_id(r->deleted[i], s->id))
            return false;
    return true;
}

void cli_json_add_time(cJSON *o, const char *key, sk_time t)
{
    char buf[ENG_TIME_BUFSZ];
    if (t == SK_TIME_MIN) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    eng_time_format(t, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

/* The disks run resolved come first, then the sources of the policy's
 * snapshots. */
static cJSON *disks_of(const run_policy *rp, const inv_inventory *left, sk_time now)
{
    cli_disk_list all;
    char **ids = calloc(rp->ndisks + 1, sizeof *ids);
    if (ids == NULL)
        return NULL;
    for (size_t i = 0; i < rp->ndisks; i++)
        ids[i] = rp->disks[i].id;
    int rc = cli_health_disks(rp->p, rp->subscription, left, ids, rp->ndisks, &all);
    free(ids);
    if (rc != 0)
        return NULL;
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a != NULL && i < all.n; i++) {
        hl_disk_facts f = hl_disk_facts_of(rp->p, left, all.ids[i], now);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "disk", all.ids[i]);
        cli_json_add_time(d, "newest", f.newest);
        cJSON_AddNumberToObject(d, "snapshots", (double)f.snapshots);
        cJSON_AddNumberToObject(d, "owned", (double)f.owned);
        cJSON_AddItemToArray(a, d);
    }
    cli_disk_list_free(&all);
    return a;
}

static cJSON *entry(const run_ctx *r, const run_policy *rp, const inv_inventory *left,
                    int exit_code, sk_time end)
{
    cJSON *o = cJSON_CreateObject();
    cli_json_add_time(o, "started", r->now);
    cli_json_add_time(o, "finished", end);
    cJSON_AddNumberToObject(o, "exit", exit_code);
    cJSON_AddBoolToObject(o, "ok", run_policy_ok(r, rp));
    cJSON_AddStringToObject(o, "file", r->policy_path);
    cJSON_AddNumberToObject(o, "kept", (double)rp->n.kept);
    cJSON_AddNumberToObject(o, "created", (double)rp->n.created);
    cJSON_AddNumberToObject(o, "deleted", (double)rp->n.pruned);
    cJSON_AddNumberToObject(o, "failed", (double)rp->n.failed);
    cJSON_AddNumberToObject(o, "deferred", (double)rp->n.deferred);
    cJSON_AddBoolToObject(o, "listed", left != NULL);
    if (left != NULL) {
        cJSON *d = disks_of(rp, left, end);
        if (d != NULL)
            cJSON_AddItemToObject(o, "disks", d);
    }
    return o;
}

void run_record(run_ctx *r, int exit_code)
{
    char path[4300], err[512], ignored[256], *text = NULL;
    size_t len;
    if (r->dry_run || cli_state_path(&r->state, CLI_LAST_RUN_FILE, path, sizeof path) != 0)
        return;
    cJSON *o = NULL;
    if (cli_read_file(path, 1 << 24, &text, &len, ignored, sizeof ignored) == 0)
        o = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = cJSON_CreateObject();
    }
    cJSON *pols = cJSON_GetObjectItemCaseSensitive(o, "policies");
    if (!cJSON_IsObject(pols)) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "policies");
        pols = cJSON_AddObjectToObject(o, "policies");
    }
    const inv_inventory *end_inv = r->after != NULL ? r->after : r->before;
    /* The listing the run ended with, less what it deleted. */
    inv_inventory *left = end_inv != NULL ? inv_view_filtered(end_inv, not_deleted, r) : NULL;
    sk_time end = run_clock(r) / SK_USEC_PER_SEC * SK_USEC_PER_SEC;
    for (size_t i = 0; pols != NULL && i < r->npols; i++) {
        cJSON_DeleteItemFromObjectCaseSensitive(pols, r->pols[i].p->name);
        cJSON_AddItemToObject(pols, r->pols[i].p->name,
                              entry(r, &r->pols[i], left, exit_code, end));
    }
    inv_free(left);
    char *out = cJSON_PrintUnformatted(o);
    if (out == NULL || cli_write_file_atomic(path, out, strlen(out), 0600, err, sizeof err) != 0)
        cli_log_emit(&r->log, CLI_LOG_WARN, "state", NULL, 0, "cannot record the run for "
                     "`snapkeep status`: %s", out == NULL ? "out of memory" : err);
    cJSON_free(out);
    cJSON_Delete(o);
}
