/* `snapkeep status`: what the state directory says (the last-run record
 * of `run`, its last-success record, and the last drill's report).
 * Read-only: no lock is taken, nothing is created, a missing file is
 * "nothing recorded". */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
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
    cJSON *o = cli_state_parse_object(path, text, len, why, n);
    free(text);
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

/* An integral number field within [lo, hi]: 1 with *out, 0 when absent,
 * -1 when of another type or out of range (a hostile file: a cast of it
 * would be undefined). */
static int int_in(const cJSON *o, const char *key, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v == NULL)
        return 0;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return -1;
    *out = v->valuedouble;
    return 1;
}

/* The largest count a record can hold: far beyond Azure's limits. */
#define ST_MAX_COUNT 1e9

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
static void offline_disks(const st_report *rep, st_policy *sp, const cJSON *disks)
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
        double snaps = 0, owned = 0;
        if (int_in(d, "snapshots", 0, ST_MAX_COUNT, &snaps) < 0 ||
            int_in(d, "owned", 0, ST_MAX_COUNT, &owned) < 0) {
            unknown(sp, "%s/%s: policy \"%s\": disk %.200s: the counts are not counts",
                    rep->state_dir, CLI_LAST_RUN_FILE, sp->p->name, sd->id);
            free(sd->id);
            sd->id = NULL;
            continue;
        }
        sd->f.newest = time_of(d, "newest");
        sd->f.snapshots = (size_t)snaps;
        sd->f.owned = (size_t)owned;
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
    double code = -1;
    if (int_in(e, "exit", 0, 255, &code) < 0)
        unknown(sp, "%s/%s: policy \"%s\": exit: not an exit status", rep->state_dir,
                CLI_LAST_RUN_FILE, sp->p->name);
    r->exit_code = (int)code;
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
        offline_disks(rep, sp, disks);
}

static void read_drill(const char *state_dir, st_policy *sp, const cJSON *rep)
{
    const cJSON *p, *pols = cJSON_GetObjectItemCaseSensitive(rep, "policies");
    cJSON_ArrayForEach(p, pols) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "policy");
        if (!cJSON_IsString(name) || strcmp(name->valuestring, sp->p->name) != 0)
            continue;
        sp->drill.have = true;
        sp->drill.started = time_of(rep, "started");
        double code = -1;
        if (int_in(rep, "exit", 0, 255, &code) < 0)
            unknown(sp, "%s/%s: exit: not an exit status", state_dir, DRL_REPORT_FILE);
        sp->drill.exit_code = (int)code;
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

/* The policy's last success: Unix seconds, as run wrote them. */
static void read_success(const char *state_dir, st_policy *sp, const cJSON *ok)
{
    double t = 0;
    sp->last_success = SK_TIME_MIN;
    int rc = int_in(ok, sp->p->name, 0, (double)(SK_TIME_MAX / SK_USEC_PER_SEC), &t);
    if (rc < 0)
        unknown(sp, "%s/%s: policy \"%s\": not a time in Unix seconds", state_dir,
                CLI_LAST_SUCCESS_FILE, sp->p->name);
    else if (rc > 0)
        sp->last_success = (sk_time)t * SK_USEC_PER_SEC;
}

void st_apply_state(st_report *rep, bool offline, const st_state_files *f)
{
    for (size_t i = 0; i < rep->npols; i++) {
        st_policy *sp = &rep->pols[i];
        /* A state file that is there but cannot be read says nothing is
         * known (never OK), whether or not the check is offline. */
        if (f->why_run[0] != '\0')
            unknown(sp, "cannot read the last-run record: %.400s", f->why_run);
        else
            read_run(rep, sp, f->run, offline);
        if (f->why_success[0] != '\0')
            unknown(sp, "cannot read the last-success record: %.400s", f->why_success);
        else
            read_success(rep->state_dir, sp, f->success);
        if (f->why_drill[0] != '\0')
            unknown(sp, "cannot read the drill report: %.400s", f->why_drill);
        else
            read_drill(rep->state_dir, sp, f->drill);
    }
}

void st_read_state(st_report *rep, bool offline)
{
    st_state_files f;
    f.run = read_json(rep->state_dir, CLI_LAST_RUN_FILE, f.why_run, sizeof f.why_run);
    f.success = read_json(rep->state_dir, CLI_LAST_SUCCESS_FILE, f.why_success,
                          sizeof f.why_success);
    f.drill = read_json(rep->state_dir, DRL_REPORT_FILE, f.why_drill, sizeof f.why_drill);
    st_apply_state(rep, offline, &f);
    cJSON_Delete(f.run);
    cJSON_Delete(f.success);
    cJSON_Delete(f.drill);
}
