/* `snapkeep status`: what the state directory says (the last-run record
 * of `run`, its last-success record, and the last drill's report).
 * Read-only: no lock is taken, nothing is created, a missing file is
 * "nothing recorded". */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/drill.h"
#include "cli/state.h"
#include "cli/status.h"
#include "engine/enforce.h"

/* The parsed file, or NULL (missing, unreadable or not JSON: *why says
 * which, "" when it is simply missing). */
static cJSON *read_json(const char *dir, const char *name, char *why, size_t n)
{
    char path[4300], err[512], *text = NULL;
    size_t len;
    why[0] = '\0';
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        snprintf(why, n, "%.400s/%s: path too long", dir, name);
        return NULL;
    }
    int rc = cli_read_file(path, 1 << 24, &text, &len, err, sizeof err);
    if (rc == 1)
        return NULL;
    if (rc != 0) {
        snprintf(why, n, "%s", err);
        return NULL;
    }
    cJSON *o = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        snprintf(why, n, "%.500s: not a JSON object", path);
        return NULL;
    }
    return o;
}

static sk_time time_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    sk_time t;
    if (!cJSON_IsString(v) || eng_time_parse(v->valuestring, strlen(v->valuestring), &t) != 0)
        return SK_TIME_MIN;
    return t;
}

static double num_of(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* The policy's first problem is the one reported. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void unknown(st_policy *sp, const char *fmt, ...)
{
    if (sp->problem[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sp->problem, sizeof sp->problem, fmt, ap);
        va_end(ap);
    }
    sp->state = hl_worst(sp->state, HL_UNKNOWN);
}

/* The disks of the last-run record, for --offline. */
static void offline_disks(st_policy *sp, const cJSON *disks)
{
    size_t n = (size_t)cJSON_GetArraySize(disks);
    sp->disks = calloc(n ? n : 1, sizeof *sp->disks);
    if (sp->disks == NULL)
        return;
    const cJSON *d;
    cJSON_ArrayForEach(d, disks) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "disk");
        if (!cJSON_IsString(id))
            continue;
        st_disk *sd = &sp->disks[sp->ndisks];
        sd->id = strdup(id->valuestring);
        if (sd->id == NULL)
            continue;
        sd->f.newest = time_of(d, "newest");
        sd->f.snapshots = (size_t)num_of(d, "snapshots", 0);
        sd->f.owned = (size_t)num_of(d, "owned", 0);
        sp->ndisks++;
    }
}

static void read_run(st_report *rep, st_policy *sp, const cJSON *rec, bool offline)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rec, "policies"), sp->p->name);
    if (!cJSON_IsObject(e)) {
        if (offline)
            unknown(sp, "no run of policy \"%s\" is recorded in %s", sp->p->name, rep->state_dir);
        return;
    }
    st_run *r = &sp->run;
    r->have = true;
    r->started = time_of(e, "started");
    r->finished = time_of(e, "finished");
    r->exit_code = (int)num_of(e, "exit", -1);
    r->ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "ok"));
    r->listed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "listed"));
    r->created = num_of(e, "created", 0);
    r->deleted = num_of(e, "deleted", 0);
    r->deferred = num_of(e, "deferred", 0);
    r->failed = num_of(e, "failed", 0);
    r->kept = num_of(e, "kept", 0);
    const cJSON *disks = cJSON_GetObjectItemCaseSensitive(e, "disks");
    r->have_disks = cJSON_IsArray(disks);
    if (!offline)
        return;
    if (!r->listed || !r->have_disks)
        unknown(sp, "the last run of policy \"%s\" could not list its snapshots", sp->p->name);
    else
        offline_disks(sp, disks);
}

static void read_drill(st_policy *sp, const cJSON *rep)
{
    const cJSON *p, *pols = cJSON_GetObjectItemCaseSensitive(rep, "policies");
    cJSON_ArrayForEach(p, pols) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "policy");
        if (!cJSON_IsString(name) || strcmp(name->valuestring, sp->p->name) != 0)
            continue;
        sp->drill.have = true;
        sp->drill.started = time_of(rep, "started");
        sp->drill.exit_code = (int)num_of(rep, "exit", -1);
        bool passed = sp->drill.exit_code == 0;
        const cJSON *d, *disks = cJSON_GetObjectItemCaseSensitive(p, "disks");
        if (cJSON_GetArraySize(disks) == 0)
            passed = false;
        cJSON_ArrayForEach(d, disks) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "disk");
            bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "restorable"));
            passed = passed && ok;
            for (size_t k = 0; cJSON_IsString(id) && k < sp->ndisks; k++) {
                st_disk *sd = &sp->disks[k];
                if (!enf_same_id(sd->id, id->valuestring))
                    continue;
                sd->drilled = true;
                sd->restorable = ok;
                const cJSON *rpo = cJSON_GetObjectItemCaseSensitive(d, "proven_rpo_seconds");
                const cJSON *rto = cJSON_GetObjectItemCaseSensitive(d, "proven_rto_seconds");
                sd->proven = cJSON_IsNumber(rpo) && cJSON_IsNumber(rto);
                sd->proven_rpo = sd->proven ? rpo->valuedouble : 0;
                sd->proven_rto = sd->proven ? rto->valuedouble : 0;
            }
        }
        sp->drill.passed = passed;
        return;
    }
}

void st_read_state(st_report *rep, bool offline)
{
    char why[600];
    cJSON *rec = read_json(rep->state_dir, CLI_LAST_RUN_FILE, why, sizeof why);
    bool rec_bad = why[0] != '\0';
    char why_ok[600];
    cJSON *ok = read_json(rep->state_dir, CLI_LAST_SUCCESS_FILE, why_ok, sizeof why_ok);
    char why_drill[600];
    cJSON *drill = read_json(rep->state_dir, DRL_REPORT_FILE, why_drill, sizeof why_drill);
    for (size_t i = 0; i < rep->npols; i++) {
        st_policy *sp = &rep->pols[i];
        if (rec_bad && offline)
            unknown(sp, "cannot read the last-run record: %.400s", why);
        else
            read_run(rep, sp, rec, offline);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(ok, sp->p->name);
        sp->last_success = cJSON_IsNumber(t) ? (sk_time)t->valuedouble * SK_USEC_PER_SEC
                                             : SK_TIME_MIN;
        read_drill(sp, drill);
    }
    cJSON_Delete(rec);
    cJSON_Delete(ok);
    cJSON_Delete(drill);
}
