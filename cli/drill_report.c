/* snapkeep drill's reports: text and JSON on stdout, the JSON report kept
 * in the state directory (and --report FILE), and the metrics file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/drill.h"
#include "cli/metrics.h"
#include "cli/report.h"
#include "engine/enforce.h"

/* ---- report ---- */

static int64_t age_of(const drl_ctx *d, const inv_snapshot *s)
{
    return (d->now - s->created) / SK_USEC_PER_SEC;
}

/* Seconds from the request to data that is usable (and proven, when the
 * drill verifies): what recovering this disk from this snapshot takes. */
static double rto_of(const drl_restore *x)
{
    return x->create.seconds + x->attach_seconds + (x->verified ? x->verify.seconds : 0);
}

static void text_attach(const drl_ctx *d, const drl_restore *x)
{
    if (d->attach_to == NULL || x->why != NULL || x->create.status != AZ_OP_DONE)
        return;
    if (x->lun < 0 || (!x->attached && x->attach_err.code[0] != '\0')) {
        printf("           attach to %s FAILED: %s: %s\n", enf_id_name(d->vm),
               x->attach_err.code, x->attach_err.message);
        return;
    }
    printf("           attached to %s at LUN %d in %.1f s", enf_id_name(d->vm), x->lun,
           x->attach_seconds);
    if (x->attach_why != NULL)
        printf(": %s (%s)", x->attach_why, x->device);
    putchar('\n');
    if (x->verified) {
        const cli_verify_result *v = &x->verify;
        printf("           verify %s (exit %d) in %.1f s\n",
               v->timed_out ? "TIMED OUT" : v->interrupted ? "INTERRUPTED"
               : v->exit_status == 0 ? "passed" : "FAILED", v->exit_status, v->seconds);
    }
    printf("           %s in %.1f s\n", x->detached ? "detached" : "NOT DETACHED",
           x->cleanup_seconds);
}

static void text_restore(const drl_ctx *d, const drl_restore *x)
{
    char when[ENG_TIME_BUFSZ];
    eng_time_format(x->snap->created, when, sizeof when);
    printf("    %-6s %s (taken %s)", x->create.status == AZ_OP_DONE && x->why == NULL
           ? "ok" : "FAILED", x->snap->name, when);
    if (x->why != NULL)
        printf(": %s\n", x->why);
    else if (x->create.status == AZ_OP_DONE)
        printf(" usable in %.1f s\n", x->create.seconds);
    else
        printf(": %s: %s\n", x->create.err.code, x->create.err.message);
    text_attach(d, x);
    if (x->sent)
        printf("           drill disk %s %s\n", enf_id_name(x->disk_id),
               x->del.status == AZ_OP_DONE ? "deleted" : "NOT DELETED (the next drill retries)");
}

static void text_disk(const drl_ctx *d, const drl_disk *dd)
{
    printf("  disk %s: ", enf_id_name(dd->source));
    if (!dd->drilled) {
        printf("not drilled (interrupted)\n");
        return;
    }
    printf("restorable %s", dd->restorable ? "yes" : "NO");
    if (dd->nrestores > 0) {
        char age[48];
        int64_t sec = age_of(d, dd->restores[0].snap);
        rpt_format_age(sec * SK_USEC_PER_SEC, age, sizeof age);
        printf("; newest snapshot %s %s", sec < 0 ? age + 1 : age,
               sec < 0 ? "in the future" : "old");
        if (dd->restores[0].create.status == AZ_OP_DONE && d->verify_cmd != NULL &&
            drl_restore_proven(d, &dd->restores[0]))
            printf("; proven RPO %s, RTO %.1f s", sec < 0 ? age + 1 : age,
                   rto_of(&dd->restores[0]));
        else if (dd->restores[0].create.status == AZ_OP_DONE)
            printf("; usable disk in %.1f s", dd->restores[0].create.seconds);
    } else
        printf("; no usable snapshot");
    printf("\n");
    for (size_t i = 0; i < dd->nrestores; i++)
        text_restore(d, &dd->restores[i]);
}

static void text_report(const drl_ctx *d, int rc)
{
    char when[ENG_TIME_BUFSZ];
    eng_time_format(d->now, when, sizeof when);
    size_t ndisks = 0, nok = 0, nrest = 0, nfail = 0, nleft = 0;
    for (size_t i = 0; i < d->npols; i++) {
        const drl_policy *dp = &d->pols[i];
        printf("drill of policy \"%s\" at %s (seed %llu, sample %zu)\n", dp->p->name, when,
               (unsigned long long)d->seed, d->sample);
        for (size_t k = 0; k < dp->left.n; k++)
            printf("  removed leftover drill disk %s\n", enf_id_name(dp->left.ids[k]));
        for (size_t k = 0; k < dp->left.nfailed; k++)
            printf("  leftover drill disk %s could NOT be removed\n",
                   enf_id_name(dp->left.failed_ids[k]));
        nleft += dp->left.n;
        if (dp->ndisks == 0)
            printf("  no disk with snapshots of this policy\n");
        for (size_t k = 0; k < dp->ndisks; k++) {
            const drl_disk *dd = &dp->disks[k];
            text_disk(d, dd);
            ndisks += dd->drilled;
            nok += dd->restorable;
            nrest += dd->nrestores;
            for (size_t r = 0; r < dd->nrestores; r++)
                nfail += !dd->restores[r].ok;
        }
    }
    if (d->failover)
        printf("failover rehearsal on standby %s: %s%s%s\n", enf_id_name(d->vm),
               d->standby_started ? "started, " : d->start_standby ? "NOT started, "
                                                               : "not started (no --start), ",
               d->standby_started ? (d->standby_deallocated ? "deallocated again" :
                                     "NOT deallocated") : "left as it was",
               d->failed ? "" : "; RTO proven");
    printf("summary: %zu disk%s drilled, %zu restorable; %zu restore%s, %zu failed; "
           "%zu leftover%s removed%s; exit %d\n", ndisks, cli_s(ndisks), nok, nrest,
           cli_s(nrest), nfail, nleft, cli_s(nleft), drl_interrupted() ? "; interrupted" : "",
           rc);
}

static double tenth(double s)
{
    return (double)(int64_t)(s * 10 + 0.5) / 10;
}

static void json_attach(const drl_ctx *d, const drl_restore *x, cJSON *o)
{
    if (d->attach_to == NULL || x->why != NULL || x->create.status != AZ_OP_DONE)
        return;
    cJSON *a = cJSON_AddObjectToObject(o, "attach");
    cJSON_AddStringToObject(a, "vm", d->vm);
    if (x->lun >= 0)
        cJSON_AddNumberToObject(a, "lun", x->lun);
    if (x->device[0] != '\0')
        cJSON_AddStringToObject(a, "device", x->device);
    cJSON_AddBoolToObject(a, "attached", x->attached);
    cJSON_AddBoolToObject(a, "detached", x->detached);
    if (x->attach_why != NULL)
        cJSON_AddStringToObject(a, "problem", x->attach_why);
    if (x->attach_err.code[0] != '\0') {
        cJSON *e = cJSON_AddObjectToObject(a, "error");
        cJSON_AddStringToObject(e, "code", x->attach_err.code);
        cJSON_AddStringToObject(e, "message", x->attach_err.message);
    }
    cJSON *sec = cJSON_GetObjectItemCaseSensitive(o, "step_seconds");
    cJSON_AddNumberToObject(sec, "attach", tenth(x->attach_seconds));
    cJSON_AddNumberToObject(sec, "verify", tenth(x->verified ? x->verify.seconds : 0));
    if (!x->verified)
        return;
    cJSON *v = cJSON_AddObjectToObject(o, "verify");
    cJSON_AddNumberToObject(v, "exit_status", x->verify.exit_status);
    cJSON_AddBoolToObject(v, "passed", x->verify.exit_status == 0 && !x->verify.timed_out &&
                                           !x->verify.interrupted);
    cJSON_AddBoolToObject(v, "timed_out", x->verify.timed_out);
    cJSON_AddBoolToObject(v, "interrupted", x->verify.interrupted);
    cJSON_AddStringToObject(v, "output", x->verify.output);
    cJSON_AddBoolToObject(v, "output_truncated", x->verify.output_cut);
}

static cJSON *json_restore(const drl_ctx *d, const drl_restore *x)
{
    char when[ENG_TIME_BUFSZ];
    cJSON *o = cJSON_CreateObject();
    eng_time_format(x->snap->created, when, sizeof when);
    cJSON_AddStringToObject(o, "snapshot", x->snap->id);
    cJSON_AddStringToObject(o, "name", x->snap->name);
    cJSON_AddStringToObject(o, "taken", when);
    cJSON_AddStringToObject(o, "drill_disk", x->disk_id);
    cJSON_AddBoolToObject(o, "restored", x->why == NULL && x->create.status == AZ_OP_DONE);
    if (x->create.status == AZ_OP_DONE)
        cJSON_AddNumberToObject(o, "seconds", x->create.seconds);
    cJSON_AddBoolToObject(o, "deleted", x->sent && x->del.status == AZ_OP_DONE);
    cJSON_AddBoolToObject(o, "proven", x->ok);
    cJSON_AddNumberToObject(o, "snapshot_age_seconds", (double)((d->now - x->snap->created) /
                                                                SK_USEC_PER_SEC));
    cJSON *sec = cJSON_AddObjectToObject(o, "step_seconds");
    cJSON_AddNumberToObject(sec, "create", tenth(x->create.seconds));
    json_attach(d, x, o);
    cJSON_AddNumberToObject(sec, "cleanup", tenth(x->cleanup_seconds + x->del.seconds));
    if (x->ok)
        cJSON_AddNumberToObject(o, "rto_seconds", tenth(rto_of(x)));
    if (x->why != NULL || x->create.status == AZ_OP_FAILED) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "code", x->why != NULL ? "NotAttempted" : x->create.err.code);
        cJSON_AddStringToObject(e, "message", x->why != NULL ? x->why : x->create.err.message);
    }
    return o;
}

static cJSON *json_disk(const drl_ctx *d, const drl_disk *dd)
{
    cJSON *o = cJSON_CreateObject(), *rs;
    cJSON_AddStringToObject(o, "disk", dd->source);
    cJSON_AddBoolToObject(o, "drilled", dd->drilled);
    cJSON_AddBoolToObject(o, "restorable", dd->restorable);
    if (dd->nrestores > 0) {
        cJSON_AddNumberToObject(o, "snapshot_age_seconds", (double)age_of(d, dd->restores[0].snap));
        if (dd->restores[0].create.status == AZ_OP_DONE)
            cJSON_AddNumberToObject(o, "seconds", dd->restores[0].create.seconds);
        if (dd->restores[0].ok) {
            /* what the drill proves: data this old comes back in this long */
            cJSON_AddNumberToObject(o, "proven_rpo_seconds",
                                    (double)age_of(d, dd->restores[0].snap));
            cJSON_AddNumberToObject(o, "proven_rto_seconds", tenth(rto_of(&dd->restores[0])));
        }
    }
    rs = cJSON_AddArrayToObject(o, "restores");
    for (size_t i = 0; i < dd->nrestores; i++)
        cJSON_AddItemToArray(rs, json_restore(d, &dd->restores[i]));
    return o;
}

static cJSON *json_report(const drl_ctx *d, int rc)
{
    char when[ENG_TIME_BUFSZ];
    cJSON *o = cJSON_CreateObject(), *ps;
    eng_time_format(d->now, when, sizeof when);
    cJSON_AddStringToObject(o, "started", when);
    /* a string: JSON numbers lose 64-bit seeds */
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)d->seed);
    cJSON_AddStringToObject(o, "seed", seed);
    cJSON_AddNumberToObject(o, "sample", (double)d->sample);
    cJSON_AddBoolToObject(o, "interrupted", drl_interrupted());
    cJSON_AddNumberToObject(o, "exit", rc);
    cJSON_AddNumberToObject(o, "seconds", tenth(d->seconds));
    if (d->attach_to != NULL)
        cJSON_AddStringToObject(o, "attach_to", d->vm);
    if (d->verify_cmd != NULL)
        cJSON_AddStringToObject(o, "verify", d->verify_cmd);
    if (d->failover) {
        cJSON *f = cJSON_AddObjectToObject(o, "failover");
        cJSON_AddStringToObject(f, "standby", d->vm);
        cJSON_AddBoolToObject(f, "started", d->standby_started);
        cJSON_AddBoolToObject(f, "deallocated", d->standby_deallocated);
        cJSON_AddNumberToObject(f, "start_seconds", tenth(d->start_seconds));
        cJSON_AddNumberToObject(f, "deallocate_seconds", tenth(d->deallocate_seconds));
        if (!d->failed && !d->azure_failed)
            cJSON_AddNumberToObject(f, "rto_seconds", tenth(d->failover_rto));
        if (d->standby_err.code[0] != '\0') {
            cJSON *e = cJSON_AddObjectToObject(f, "error");
            cJSON_AddStringToObject(e, "code", d->standby_err.code);
            cJSON_AddStringToObject(e, "message", d->standby_err.message);
        }
    }
    ps = cJSON_AddArrayToObject(o, "policies");
    for (size_t i = 0; i < d->npols; i++) {
        const drl_policy *dp = &d->pols[i];
        cJSON *p = cJSON_CreateObject(), *l, *ds;
        cJSON_AddStringToObject(p, "policy", dp->p->name);
        l = cJSON_AddArrayToObject(p, "leftovers_removed");
        for (size_t k = 0; k < dp->left.n; k++)
            cJSON_AddItemToArray(l, cJSON_CreateString(dp->left.ids[k]));
        l = cJSON_AddArrayToObject(p, "leftovers_failed");
        for (size_t k = 0; k < dp->left.nfailed; k++)
            cJSON_AddItemToArray(l, cJSON_CreateString(dp->left.failed_ids[k]));
        ds = cJSON_AddArrayToObject(p, "disks");
        for (size_t k = 0; k < dp->ndisks; k++)
            cJSON_AddItemToArray(ds, json_disk(d, &dp->disks[k]));
        cJSON_AddItemToArray(ps, p);
    }
    return o;
}

/* The report as JSON: kept in the state directory as the last drill's
 * evidence (and in --report FILE), printed with --format json. */
void drl_report(drl_ctx *d, int rc)
{
    cJSON *o = json_report(d, rc);
    char *text = o != NULL ? cJSON_Print(o) : NULL;
    char path[4200], err[512];
    if (text != NULL && cli_state_path(&d->state, DRL_REPORT_FILE, path, sizeof path) == 0 &&
        cli_write_file_atomic(path, text, strlen(text), 0600, err, sizeof err) != 0)
        cli_log_emit(&d->log, CLI_LOG_ERROR, "report", NULL, 0, "%s", err);
    if (text != NULL && d->report_file != NULL &&
        cli_write_file_atomic(d->report_file, text, strlen(text), 0644, err, sizeof err) != 0) {
        cli_log_emit(&d->log, CLI_LOG_ERROR, "report", NULL, 0, "--report: %s", err);
        d->failed = true;
    }
    if (d->json && text != NULL)
        printf("%s\n", text);
    else if (!d->json)
        text_report(d, rc);
    cJSON_free(text);
    cJSON_Delete(o);
    fflush(stdout);
}

/* ---- metrics ---- */

/* A drill that restored nothing proves nothing: no success to record. */
static bool policy_ok(const drl_policy *dp)
{
    if (dp->left.nfailed > 0 || dp->ndisks == 0)
        return false;
    for (size_t k = 0; k < dp->ndisks; k++) {
        if (!dp->disks[k].drilled || !dp->disks[k].restorable)
            return false;
        for (size_t r = 0; r < dp->disks[k].nrestores; r++)
            if (!dp->disks[k].restores[r].ok)
                return false;
    }
    return true;
}

/* The last fully successful drill per policy, kept in the state directory
 * so the metric survives a failed drill (that is when it matters). */
static cJSON *last_success(drl_ctx *d)
{
    const char **ok = calloc(d->npols ? d->npols : 1, sizeof *ok);
    size_t n = 0;
    for (size_t i = 0; ok != NULL && i < d->npols; i++)
        if (policy_ok(&d->pols[i]) && !d->azure_failed && !drl_interrupted())
            ok[n++] = d->pols[i].p->name;
    char err[512];
    cJSON *o = cli_state_last_success(&d->state, DRL_LAST_SUCCESS_FILE, ok, n,
                                      (double)(drl_clock(d) / SK_USEC_PER_SEC), err, sizeof err);
    if (err[0] != '\0')
        cli_log_emit(&d->log, CLI_LOG_ERROR, "state", NULL, 0, "%s", err);
    free(ok);
    return o;
}

static void declare(cli_metrics *m)
{
    cli_metrics_family(m, "snapkeep_drill_restorable", "gauge",
                       "1 when every sampled snapshot of the disk restored in the last drill");
    cli_metrics_family(m, "snapkeep_drill_restore_seconds", "gauge",
                       "Seconds from request to a usable disk, restoring the newest snapshot");
    cli_metrics_family(m, "snapkeep_drill_snapshot_age_seconds", "gauge",
                       "Age of the newest snapshot of the disk at the drill");
    cli_metrics_family(m, "snapkeep_drill_proven_rpo_seconds", "gauge",
                       "Age of the newest snapshot the last drill restored (and verified)");
    cli_metrics_family(m, "snapkeep_drill_proven_rto_seconds", "gauge",
                       "Seconds the last drill took to usable (verified) data from it");
    cli_metrics_family(m, "snapkeep_drill_last_success_timestamp_seconds", "gauge",
                       "When a drill of the policy last succeeded in full (Unix time)");
}

static void disk_metrics(const drl_ctx *d, cli_metrics *m, const drl_policy *dp,
                         const drl_disk *dd)
{
    const char *l[] = { "policy", dp->p->name, "disk", enf_id_name(dd->source), NULL };
    /* two disks of one name in different groups: fall back to the ID */
    if (cli_metrics_add(m, "snapkeep_drill_restorable", l, dd->restorable ? 1 : 0) != 0)
        l[3] = dd->source;
    if (l[3] == dd->source)
        cli_metrics_add(m, "snapkeep_drill_restorable", l, dd->restorable ? 1 : 0);
    if (dd->nrestores == 0)
        return;
    cli_metrics_add(m, "snapkeep_drill_snapshot_age_seconds", l,
                    (double)age_of(d, dd->restores[0].snap));
    if (dd->restores[0].create.status == AZ_OP_DONE && dd->restores[0].why == NULL)
        cli_metrics_add(m, "snapkeep_drill_restore_seconds", l, dd->restores[0].create.seconds);
    if (dd->restores[0].ok) {
        cli_metrics_add(m, "snapkeep_drill_proven_rpo_seconds", l,
                        (double)age_of(d, dd->restores[0].snap));
        cli_metrics_add(m, "snapkeep_drill_proven_rto_seconds", l, rto_of(&dd->restores[0]));
    }
}

int drl_metrics(drl_ctx *d)
{
    cJSON *last = last_success(d);
    if (d->metrics_file == NULL) {
        cJSON_Delete(last);
        return 0;
    }
    cli_metrics *m = cli_metrics_new();
    if (m != NULL)
        declare(m);
    for (size_t i = 0; m != NULL && i < d->npols; i++) {
        const drl_policy *dp = &d->pols[i];
        for (size_t k = 0; k < dp->ndisks; k++)
            if (dp->disks[k].drilled)
                disk_metrics(d, m, dp, &dp->disks[k]);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(last, dp->p->name);
        const char *l[] = { "policy", dp->p->name, NULL };
        if (cJSON_IsNumber(v))
            cli_metrics_add(m, "snapkeep_drill_last_success_timestamp_seconds", l,
                            v->valuedouble);
    }
    char err[512];
    int rc = 0;
    if (m == NULL || cli_metrics_write(m, d->metrics_file, err, sizeof err) != 0) {
        cli_log_field f[] = { { "path", d->metrics_file } };
        cli_log_emit(&d->log, CLI_LOG_ERROR, "metrics", f, 1,
                     "cannot write the metrics file %s: %s", d->metrics_file,
                     m == NULL ? "out of memory" : err);
        rc = -1;
    }
    cli_metrics_free(m);
    cJSON_Delete(last);
    return rc;
}

