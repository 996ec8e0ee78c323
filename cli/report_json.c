/* The plan and the simulation as JSON: a stable interface for scripts
 * (schema in snapkeep(1)). Streamed: one pass over the decisions. */
#include <stdlib.h>
#include <string.h>

#include "cli/json_out.h"
#include "cli/report.h"
#include "engine/calendar.h"
#include "engine/duration.h"

static void kv_time(json_out *j, const char *key, sk_time t)
{
    char buf[ENG_TIME_BUFSZ];
    size_t n = eng_time_format(t, buf, sizeof buf);
    json_key(j, key);
    json_string_n(j, buf, n);
}

static void kv_policy(json_out *j, const char *key, const pol_policy *p)
{
    json_key(j, key);
    json_string(j, p != NULL ? p->name : NULL);
}

static void kv_next(json_out *j, rpt_next_counts c)
{
    json_kv_int(j, "deletes_next_run", (int64_t)c.deletes);
    json_kv_int(j, "deferred", (int64_t)c.deferred);
}

static void write_summary(json_out *j, const rpt_plan *r)
{
    const eng_plan *plan = r->plan;
    json_key(j, "summary");
    json_begin_object(j);
    json_kv_int(j, "total", (int64_t)plan->ndecisions);
    json_kv_int(j, "keep", (int64_t)plan->nkeep);
    json_kv_int(j, "prune", (int64_t)plan->nprune);
    kv_next(j, rpt_next_of_policy(r, NULL));
    json_kv_int(j, "unmanaged", (int64_t)plan->nunmanaged);
    json_kv_int(j, "future", (int64_t)plan->nfuture);
    json_end_object(j);
}

static void write_policies(json_out *j, const rpt_plan *r)
{
    json_key(j, "policies");
    json_begin_array(j);
    for (size_t i = 0; r->file != NULL && i < r->file->npolicies; i++) {
        const pol_policy *p = r->file->policies[i];
        size_t total = 0, keep = 0, prune = 0, ngroups = 0;
        for (size_t g = 0; g < r->plan->ngroups; g++) {
            const eng_group *gr = &r->plan->groups[g];
            if (gr->policy != p)
                continue;
            ngroups++;
            total += gr->nsnapshots;
            keep += gr->nkeep;
            prune += gr->nprune;
        }
        json_begin_object(j);
        json_kv_string(j, "name", p->name);
        json_kv_string(j, "file", p->loc.file);
        json_kv_int(j, "line", p->loc.line);
        json_kv_string(j, "timezone", p->timezone);
        json_kv_int(j, "disks", (int64_t)ngroups);
        json_kv_int(j, "total", (int64_t)total);
        json_kv_int(j, "keep", (int64_t)keep);
        json_kv_int(j, "prune", (int64_t)prune);
        kv_next(j, rpt_next_of_policy(r, p));
        json_kv_int(j, "max_delete_per_run", rpt_max_delete(r, p));
        json_end_object(j);
    }
    json_end_array(j);
}

static int write_groups(json_out *j, const rpt_plan *r)
{
    const eng_plan *plan = r->plan;
    /* one pass: the decisions are not in group order */
    rpt_next_counts *next = calloc(plan->ngroups + 1, sizeof *next);
    if (next == NULL)
        return -1;
    for (size_t i = 0; r->next != NULL && i < plan->ndecisions; i++) {
        size_t g = plan->decisions[i].group;
        if (g < plan->ngroups) {
            next[g].deletes += r->next[i] == ENF_NEXT_DELETE;
            next[g].deferred += r->next[i] == ENF_NEXT_DEFER;
        }
    }
    json_key(j, "groups");
    json_begin_array(j);
    for (size_t g = 0; g < plan->ngroups; g++) {
        const eng_group *gr = &plan->groups[g];
        json_begin_object(j);
        json_kv_int(j, "index", (int64_t)g);
        kv_policy(j, "policy", gr->policy);
        json_kv_string(j, "source", gr->source_id);
        json_kv_string(j, "disk", gr->source_id != NULL ? rpt_disk_name(gr->source_id) : NULL);
        json_kv_int(j, "total", (int64_t)gr->nsnapshots);
        json_kv_int(j, "keep", (int64_t)gr->nkeep);
        json_kv_int(j, "prune", (int64_t)gr->nprune);
        kv_next(j, next[g]);
        if (gr->newest != SK_TIME_MIN)
            kv_time(j, "newest", gr->newest);
        else
            json_kv_string(j, "newest", NULL);
        json_kv_string(j, "identity", eng_identity_name(gr->identity));
        json_kv_string(j, "unique_id", gr->unique_id);
        json_kv_bool(j, "retired", gr->retired);
        json_kv_bool(j, "released", gr->released);
        json_end_object(j);
    }
    json_end_array(j);
    free(next);
    return 0;
}

static void write_warning(void *ctx, const char *kind, const pol_policy *p,
                          const char *snapshot, const char *message)
{
    json_out *j = ctx;
    json_begin_object(j);
    json_kv_string(j, "kind", kind);
    kv_policy(j, "policy", p);
    json_kv_string(j, "snapshot", snapshot);
    json_kv_string(j, "message", message);
    json_end_object(j);
}

static void write_warnings(json_out *j, const rpt_plan *r)
{
    json_key(j, "warnings");
    json_begin_array(j);
    rpt_plan_warnings(r, write_warning, j);
    json_end_array(j);
}

static const char *next_name(const rpt_plan *r, size_t i)
{
    enf_next n = r->next != NULL ? r->next[i] : ENF_NEXT_NONE;
    return n == ENF_NEXT_DELETE ? "delete" : n == ENF_NEXT_DEFER ? "defer" : NULL;
}

static void write_decision(json_out *j, const rpt_plan *r, const eng_decision *d)
{
    const eng_plan *plan = r->plan;
    char buf[ENG_REASON_BUFSZ];
    json_begin_object(j);
    json_kv_string(j, "name", d->snap->name);
    json_kv_string(j, "id", d->snap->id != NULL ? d->snap->id : "");
    kv_time(j, "time", d->snap->created);
    json_kv_int(j, "age_seconds", (plan->now - d->snap->created) / SK_USEC_PER_SEC);
    json_kv_string(j, "source", d->snap->source_id);
    kv_policy(j, "policy", d->policy);
    json_key(j, "group");
    if (d->group < plan->ngroups)
        json_int(j, (int64_t)d->group);
    else
        json_null(j);
    json_kv_string(j, "action", d->action == ENG_KEEP ? "keep" : "prune");
    json_kv_string(j, "next_run", next_name(r, (size_t)(d - plan->decisions)));
    json_kv_bool(j, "newest", d->newest);
    json_kv_bool(j, "future", d->future);
    json_kv_bool(j, "unmanaged", d->unmanaged);
    json_kv_bool(j, "pending", d->pending);
    json_kv_bool(j, "copy_failed", d->copy_failed);
    json_key(j, "reasons");
    json_begin_array(j);
    for (uint32_t k = 0; k < d->nreasons; k++) {
        size_t n = eng_reason_format(&d->reasons[k], buf, sizeof buf);
        json_string_n(j, buf, n < sizeof buf ? n : sizeof buf - 1);
    }
    json_end_array(j);
    json_end_object(j);
}

int rpt_plan_json(FILE *f, const rpt_plan *r)
{
    json_out j;
    if (json_init(&j, f, 2) != 0)
        return -1;
    json_begin_object(&j);
    json_kv_int(&j, "version", RPT_SCHEMA_VERSION);
    kv_time(&j, "now", r->plan->now);
    json_kv_string(&j, "policy_file", r->policy_path);
    json_kv_string(&j, "inventory", r->inventory_path);
    write_summary(&j, r);
    write_policies(&j, r);
    if (write_groups(&j, r) != 0)
        j.failed = true;
    write_warnings(&j, r);
    json_key(&j, "snapshots");
    json_begin_array(&j);
    for (size_t i = 0; i < r->plan->ndecisions; i++)
        write_decision(&j, r, &r->plan->decisions[i]);
    json_end_array(&j);
    json_end_object(&j);
    return json_finish(&j);
}

/* ---- simulate ---- */

static void kv_span(json_out *j, const char *key, int64_t usec)
{
    json_key(j, key);
    json_begin_object(j);
    char buf[RPT_AGE_BUFSZ];
    rpt_format_age(usec, buf, sizeof buf);
    json_kv_int(j, "seconds", usec / SK_USEC_PER_SEC);
    json_kv_string(j, "text", buf);
    json_end_object(j);
}

static void write_sim_params(json_out *j, const rpt_sim *r)
{
    const eng_sim_params *p = r->params;
    json_key(j, "parameters");
    json_begin_object(j);
    kv_time(j, "start", p->start);
    kv_span(j, "cadence", p->cadence_usec);
    json_kv_string(j, "cadence_from", r->cadence_from);
    kv_span(j, "duration", p->duration_usec);
    kv_span(j, "jitter", p->jitter_usec);
    json_kv_double(j, "miss_percent", p->miss_ppm / 10000.0, 4);
    json_kv_int(j, "seed", (int64_t)r->seed);
    json_end_object(j);
}

static void write_gaps(json_out *j, const eng_sim *s)
{
    json_key(j, "gaps");
    json_begin_array(j);
    for (size_t k = 0; k < s->ngaps; k++) {
        const eng_sim_gap *g = &s->gaps[k];
        json_begin_object(j);
        json_kv_string(j, "rule", g->rule->text);
        json_kv_int(j, "line", g->rule->loc.line);
        if (g->max_gap_usec >= 0) {
            kv_span(j, "max_gap", g->max_gap_usec);
            kv_time(j, "seen_at", g->max_gap_at);
        } else {
            json_kv_string(j, "max_gap", NULL);
        }
        json_end_object(j);
    }
    json_end_array(j);
}

void rpt_sim_steady_json(json_out *j, const eng_sim *s)
{
    json_key(j, "steady_state");
    if (s == NULL || s->first_steady >= s->nruns) {
        json_null(j);
        return;
    }
    json_begin_object(j);
    kv_span(j, "warmup", s->warmup_usec);
    kv_time(j, "from", s->runs[s->first_steady].at);
    json_kv_int(j, "runs", (int64_t)(s->nruns - s->first_steady));
    json_kv_int(j, "count_min", s->count_min);
    json_kv_double(j, "count_avg", s->count_avg, 3);
    json_kv_int(j, "count_max", s->count_max);
    json_kv_int(j, "deleted_min", s->del_min);
    json_kv_double(j, "deleted_avg", s->del_avg, 3);
    json_kv_int(j, "deleted_max", s->del_max);
    json_key(j, "deleted_histogram");
    json_begin_array(j);
    for (size_t k = 0; k < s->ndel_hist; k++) {
        json_begin_object(j);
        json_kv_int(j, "deleted", (int64_t)k);
        json_kv_int(j, "runs", s->del_hist[k]);
        json_end_object(j);
    }
    json_end_array(j);
    write_gaps(j, s);
    json_end_object(j);
}

static void write_sim_steady(json_out *j, const eng_sim *s)
{
    rpt_sim_steady_json(j, s);
    write_gaps(j, s);       /* also at the top, where version 1 had them */
}

static void write_sim_runs(json_out *j, const eng_sim *s)
{
    json_key(j, "runs");
    json_begin_array(j);
    char buf[ENG_TIME_BUFSZ];
    for (size_t i = 0; i < s->nruns; i++) {
        const eng_sim_run *run = &s->runs[i];
        json_begin_array(j);    /* compact: [time, created, count, deleted] */
        size_t n = eng_time_format(run->at, buf, sizeof buf);
        json_string_n(j, buf, n);
        json_bool(j, run->created);
        json_int(j, run->count);
        json_int(j, run->deleted);
        json_end_array(j);
    }
    json_end_array(j);
}

int rpt_sim_json(FILE *f, const rpt_sim *r)
{
    const eng_sim *s = r->sim;
    json_out j;
    if (json_init(&j, f, 2) != 0)
        return -1;
    json_begin_object(&j);
    json_kv_int(&j, "version", RPT_SCHEMA_VERSION);
    json_kv_string(&j, "policy_file", r->policy_path);
    json_kv_string(&j, "policy", r->policy->name);
    write_sim_params(&j, r);
    json_kv_int(&j, "created", (int64_t)s->created);
    json_kv_int(&j, "missed", (int64_t)s->missed);
    kv_span(&j, "warmup", s->warmup_usec);
    json_kv_bool(&j, "truncated", s->truncated);
    json_kv_bool(&j, "growing", s->growing);
    write_sim_steady(&j, s);
    json_key(&j, "runs_format");
    json_begin_array(&j);
    json_string(&j, "time");
    json_string(&j, "created");
    json_string(&j, "count");
    json_string(&j, "deleted");
    json_end_array(&j);
    write_sim_runs(&j, s);
    json_end_object(&j);
    return json_finish(&j);
}
