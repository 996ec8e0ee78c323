/* `snapkeep status`: the table for people, the JSON document (doc/json.md)
 * and the one Nagios line with perfdata (Monitoring Plugins guidelines). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "cli/status.h"
#include "engine/azure_limits.h"
#include "engine/enforce.h"

static void fmt_time(sk_time t, char *buf, size_t n)
{
    if (t == SK_TIME_MIN)
        snprintf(buf, n, "-");
    else
        eng_time_format(t, buf, n);
}

static void fmt_age(int64_t sec, char *buf, size_t n)
{
    if (sec < 0)
        snprintf(buf, n, "-");
    else
        rpt_format_age(sec * SK_USEC_PER_SEC, buf, n);
}

/* "late, newest 2h30m old (warning past 2h)" */
static void disk_why(const st_policy *sp, const st_disk *sd, char *buf, size_t n)
{
    char age[32], lim[32];
    fmt_age(sd->v.age, age, sizeof age);
    int len = 0;
    if (sd->v.rpo == HL_R_NO_SNAPSHOT || sd->v.rpo == HL_R_UNJUDGED)
        len = snprintf(buf, n, "%s", hl_reason_text(sd->v.rpo));
    else if (sd->v.rpo != HL_R_FRESH) {
        fmt_age(sd->v.rpo == HL_R_STALE ? sp->lim.crit_age : sp->lim.warn_age, lim, sizeof lim);
        len = snprintf(buf, n, "%s, newest %s old (%s past %s)", hl_reason_text(sd->v.rpo), age,
                       sd->v.rpo == HL_R_STALE ? "critical" : "warning", lim);
    }
    if (len < 0 || (size_t)len >= n)
        return;
    if (sd->v.cap != HL_R_FRESH)
        snprintf(buf + len, n - (size_t)len, "%s%s, %zu of %d", len > 0 ? "; " : "",
                 hl_reason_text(sd->v.cap), sd->f.snapshots, ENG_SNAPSHOTS_PER_DISK_MAX);
}

/* ---- table ---- */

static void table_policy(const st_report *rep, const st_policy *sp, FILE *f)
{
    char a[48], b[48], c[48];
    fprintf(f, "policy \"%s\" (%s): %s\n", sp->p->name, sp->file, hl_state_name(sp->state));
    if (sp->problem[0] != '\0')
        fprintf(f, "  problem: %s\n", sp->problem);
    if (sp->lim.judged) {
        fmt_age(sp->lim.warn_age, a, sizeof a);
        fmt_age(sp->lim.crit_age, b, sizeof b);
        fmt_age(sp->lim.cadence, c, sizeof c);
        fprintf(f, "  limits: warning past %s, critical past %s", a, b);
        fprintf(f, sp->lim.cadence > 0 ? " (snapshot every %s)\n" : " (no cadence)\n", c);
    } else {
        fprintf(f, "  limits: none (no `snapshot every`, no `stale-after`; give --warn-rpo)\n");
    }
    if (sp->run.have) {
        fmt_time(sp->run.started, a, sizeof a);
        fprintf(f, "  last run: %s, exit %d: %.0f created, %.0f deleted, %.0f deferred, "
                "%.0f failed\n", a, sp->run.exit_code, sp->run.created, sp->run.deleted,
                sp->run.deferred, sp->run.failed);
    } else {
        fprintf(f, "  last run: none recorded in %s\n", rep->state_dir);
    }
    fmt_time(sp->last_success, a, sizeof a);
    fprintf(f, "  last success: %s\n", sp->last_success == SK_TIME_MIN ? "never" : a);
    if (sp->drill.have) {
        fmt_time(sp->drill.started, a, sizeof a);
        fprintf(f, "  last drill: %s, %s (exit %d)\n", a, sp->drill.passed ? "passed" : "FAILED",
                sp->drill.exit_code);
    } else {
        fprintf(f, "  last drill: none recorded\n");
    }
    if (sp->ndisks == 0)
        return;
    fprintf(f, "  %-24s %-9s %-21s %-8s %-9s %s\n", "DISK", "STATE", "NEWEST", "RPO",
            "SNAPSHOTS", "NEXT DUE");
    for (size_t k = 0; k < sp->ndisks; k++) {
        const st_disk *sd = &sp->disks[k];
        char cnt[32], due[48], why[256] = "";
        fmt_time(sd->f.newest, a, sizeof a);
        fmt_age(sd->v.age, b, sizeof b);
        snprintf(cnt, sizeof cnt, "%zu/%d", sd->f.snapshots, ENG_SNAPSHOTS_PER_DISK_MAX);
        fmt_time(sd->next_due, due, sizeof due);
        if (sd->next_due != SK_TIME_MIN && sd->next_due <= rep->now)
            snprintf(due, sizeof due, "now (overdue)");
        fprintf(f, "  %-24s %-9s %-21s %-8s %-9s %s\n", enf_id_name(sd->id),
                hl_state_name(sd->v.state), a, b, cnt, due);
        disk_why(sp, sd, why, sizeof why);
        if (why[0] != '\0')
            fprintf(f, "    %s\n", why);
        if (sd->proven)
            fprintf(f, "    last drill: proven RPO %.0f s, RTO %.1f s\n", sd->proven_rpo,
                    sd->proven_rto);
        if (sd->copied && sd->copy_lag >= 0) {
            fmt_age((int64_t)sd->copy_lag, b, sizeof b);
            fprintf(f, "    copy lag (%s): %s\n", sp->p->copy->region, b);
        } else if (sd->copied) {
            fprintf(f, "    copy lag (%s): no completed copy yet\n", sp->p->copy->region);
        }
    }
}

void st_render_table(const st_report *rep, FILE *f)
{
    size_t count[4] = { 0 }, ndisks = 0;
    for (size_t i = 0; i < rep->npols; i++) {
        table_policy(rep, &rep->pols[i], f);
        for (size_t k = 0; k < rep->pols[i].ndisks; k++) {
            count[rep->pols[i].disks[k].v.state]++;
            ndisks++;
        }
    }
    fprintf(f, "status: %s (%zu disk%s: %zu ok, %zu warning, %zu critical, %zu unknown)%s\n",
            hl_state_name(rep->state), ndisks, ndisks == 1 ? "" : "s", count[HL_OK],
            count[HL_WARNING], count[HL_CRITICAL], count[HL_UNKNOWN],
            rep->offline ? "; offline: from the state directory only" : "");
}

/* ---- JSON ---- */

static cJSON *json_disk(const st_report *rep, const st_policy *sp, const st_disk *sd)
{
    cJSON *d = cJSON_CreateObject();
    char why[256] = "";
    cJSON_AddStringToObject(d, "disk", sd->id);
    cJSON_AddStringToObject(d, "name", enf_id_name(sd->id));
    cJSON_AddStringToObject(d, "status", hl_state_name(sd->v.state));
    cJSON_AddStringToObject(d, "rpo_status", hl_state_name(sd->v.rpo_state));
    cJSON_AddStringToObject(d, "cap_status", hl_state_name(sd->v.cap_state));
    disk_why(sp, sd, why, sizeof why);
    if (why[0] != '\0')
        cJSON_AddStringToObject(d, "reason", why);
    else
        cJSON_AddNullToObject(d, "reason");
    cli_json_add_time(d, "newest", sd->f.newest);
    if (sd->v.age >= 0)
        cJSON_AddNumberToObject(d, "rpo_seconds", (double)sd->v.age);
    else
        cJSON_AddNullToObject(d, "rpo_seconds");
    cJSON_AddNumberToObject(d, "snapshots", (double)sd->f.snapshots);
    cJSON_AddNumberToObject(d, "owned", (double)sd->f.owned);
    cJSON_AddNumberToObject(d, "snapshot_cap", ENG_SNAPSHOTS_PER_DISK_MAX);
    cJSON_AddNumberToObject(d, "near_cap", ENG_SNAPSHOTS_NEAR_CAP);
    cli_json_add_time(d, "next_due", sd->next_due);
    cJSON_AddBoolToObject(d, "overdue", sd->next_due != SK_TIME_MIN && sd->next_due <= rep->now);
    if (!sd->copied) {
        cJSON_AddNullToObject(d, "copy");
    } else {
        cJSON *cp = cJSON_AddObjectToObject(d, "copy");
        cJSON_AddStringToObject(cp, "region", sp->p->copy->region);
        if (sd->copy_lag >= 0)
            cJSON_AddNumberToObject(cp, "lag_seconds", sd->copy_lag);
        else
            cJSON_AddNullToObject(cp, "lag_seconds");
    }
    if (!sd->drilled) {
        cJSON_AddNullToObject(d, "drill");
        return d;
    }
    cJSON *dr = cJSON_AddObjectToObject(d, "drill");
    cJSON_AddBoolToObject(dr, "restorable", sd->restorable);
    if (sd->proven) {
        cJSON_AddNumberToObject(dr, "proven_rpo_seconds", sd->proven_rpo);
        cJSON_AddNumberToObject(dr, "proven_rto_seconds", sd->proven_rto);
    } else {
        cJSON_AddNullToObject(dr, "proven_rpo_seconds");
        cJSON_AddNullToObject(dr, "proven_rto_seconds");
    }
    return d;
}

static void json_seconds(cJSON *o, const char *key, bool have, int64_t v)
{
    if (have)
        cJSON_AddNumberToObject(o, key, (double)v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *json_policy(const st_report *rep, const st_policy *sp)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "policy", sp->p->name);
    cJSON_AddStringToObject(p, "file", sp->file);
    cJSON_AddStringToObject(p, "status", hl_state_name(sp->state));
    if (sp->problem[0] != '\0')
        cJSON_AddStringToObject(p, "problem", sp->problem);
    else
        cJSON_AddNullToObject(p, "problem");
    json_seconds(p, "cadence_seconds", sp->lim.cadence > 0, sp->lim.cadence);
    json_seconds(p, "warn_rpo_seconds", sp->lim.judged, sp->lim.warn_age);
    json_seconds(p, "crit_rpo_seconds", sp->lim.judged, sp->lim.crit_age);
    if (sp->run.have) {
        cJSON *r = cJSON_AddObjectToObject(p, "last_run");
        cli_json_add_time(r, "started", sp->run.started);
        cli_json_add_time(r, "finished", sp->run.finished);
        cJSON_AddNumberToObject(r, "exit", sp->run.exit_code);
        cJSON_AddBoolToObject(r, "ok", sp->run.ok);
        cJSON_AddNumberToObject(r, "kept", sp->run.kept);
        cJSON_AddNumberToObject(r, "created", sp->run.created);
        cJSON_AddNumberToObject(r, "deleted", sp->run.deleted);
        cJSON_AddNumberToObject(r, "deferred", sp->run.deferred);
        cJSON_AddNumberToObject(r, "failed", sp->run.failed);
    } else {
        cJSON_AddNullToObject(p, "last_run");
    }
    cli_json_add_time(p, "last_success", sp->last_success);
    if (sp->drill.have) {
        cJSON *d = cJSON_AddObjectToObject(p, "last_drill");
        cli_json_add_time(d, "started", sp->drill.started);
        cJSON_AddNumberToObject(d, "exit", sp->drill.exit_code);
        cJSON_AddBoolToObject(d, "passed", sp->drill.passed);
    } else {
        cJSON_AddNullToObject(p, "last_drill");
    }
    cJSON *ds = cJSON_AddArrayToObject(p, "disks");
    for (size_t k = 0; k < sp->ndisks; k++)
        cJSON_AddItemToArray(ds, json_disk(rep, sp, &sp->disks[k]));
    return p;
}

int st_render_json(const st_report *rep, FILE *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", hl_state_name(rep->state));
    cJSON_AddNumberToObject(o, "exit", (int)rep->state);
    cli_json_add_time(o, "now", rep->now);
    cJSON_AddBoolToObject(o, "offline", rep->offline);
    cJSON_AddStringToObject(o, "state_dir", rep->state_dir);
    cJSON *ps = cJSON_AddArrayToObject(o, "policies");
    for (size_t i = 0; i < rep->npols; i++)
        cJSON_AddItemToArray(ps, json_policy(rep, &rep->pols[i]));
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (text == NULL)
        return -1;
    fprintf(f, "%s\n", text);
    cJSON_free(text);
    return 0;
}

/* ---- Nagios ---- */

/* A perfdata label: quoted, without the two characters the guidelines
 * forbid in it (= and '). */
static void label(FILE *f, const st_policy *sp, const st_disk *sd, const char *what)
{
    char l[512];
    snprintf(l, sizeof l, "%s/%s %s", sp->p->name, enf_id_name(sd->id), what);
    for (char *c = l; *c != '\0'; c++)
        if (*c == '=' || *c == '\'' || *c == '\n' || *c == '|')
            *c = '_';
    fprintf(f, " '%s'=", l);
}

static void perfdata(const st_report *rep, FILE *f)
{
    bool any = false;
    for (size_t i = 0; i < rep->npols; i++) {
        const st_policy *sp = &rep->pols[i];
        for (size_t k = 0; k < sp->ndisks; k++) {
            const st_disk *sd = &sp->disks[k];
            if (!any)
                fputs(" |", f);
            any = true;
            label(f, sp, sd, "rpo");
            if (sd->v.age >= 0)
                fprintf(f, "%llds", (long long)sd->v.age);
            else
                fputs("U", f);
            if (sp->lim.judged)
                fprintf(f, ";%lld;%lld;0;", (long long)sp->lim.warn_age,
                        (long long)sp->lim.crit_age);
            else
                fputs(";;;0;", f);
            label(f, sp, sd, "snapshots");
            fprintf(f, "%zu;%d;%d;0;%d", sd->f.snapshots, ENG_SNAPSHOTS_NEAR_CAP - 1,
                    ENG_SNAPSHOTS_PER_DISK_MAX - 1, ENG_SNAPSHOTS_PER_DISK_MAX);
            if (sd->copied) {
                label(f, sp, sd, "copy_lag");
                if (sd->copy_lag >= 0)
                    fprintf(f, "%.0fs;;;0;", sd->copy_lag);
                else
                    fputs("U;;;0;", f);
            }
        }
    }
}

static void put_clean(FILE *f, const char *s)
{
    for (; *s != '\0'; s++)
        fputc(*s == '|' ? '/' : *s == '\n' ? ' ' : *s, f);
}

void st_render_nagios(const st_report *rep, FILE *f)
{
    fprintf(f, "SNAPKEEP %s - ", hl_state_name(rep->state));
    size_t ndisks = 0, nbad = 0;
    int64_t worst = -1;
    for (size_t i = 0; i < rep->npols; i++) {
        const st_policy *sp = &rep->pols[i];
        if (sp->problem[0] != '\0') {
            fputs(nbad++ > 0 ? "; " : "", f);
            put_clean(f, sp->problem);
        }
        for (size_t k = 0; k < sp->ndisks; k++) {
            const st_disk *sd = &sp->disks[k];
            ndisks++;
            if (sd->v.age > worst)
                worst = sd->v.age;
            if (sd->v.state == HL_OK)
                continue;
            char why[256] = "";
            disk_why(sp, sd, why, sizeof why);
            fputs(nbad++ > 0 ? "; " : "", f);
            fprintf(f, "%s/%s: ", sp->p->name, enf_id_name(sd->id));
            put_clean(f, why);
        }
    }
    if (nbad == 0) {
        char age[32];
        fmt_age(worst, age, sizeof age);
        fprintf(f, "%zu disk%s protected, newest snapshots at most %s old", ndisks,
                ndisks == 1 ? "" : "s", age);
    }
    if (rep->offline)
        fputs(" (offline)", f);
    perfdata(rep, f);
    fputc('\n', f);
}
