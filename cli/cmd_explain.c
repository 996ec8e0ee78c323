/* snapkeep explain: the policy in plain words, one line per rule with the
 * age window and bucket of each tier, and, given a creation cadence, the
 * steady-state count per disk and the worst gap between kept snapshots in
 * each tier. The numbers are engine/explain.c's model; this file parses
 * the arguments and renders the model as text or JSON. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/json_out.h"
#include "cli/report.h"
#include "engine/enforce.h"
#include "engine/azure_limits.h"
#include "engine/explain.h"

enum { OPT_CADENCE = 1, OPT_FORMAT };

typedef struct explain_args {
    const char *path;
    bool have_cadence, json;
    pol_duration cadence;
} explain_args;

/* The words for a model without replayed numbers. */
static const char *note_text(eng_explain_note n)
{
    switch (n) {
    case ENG_EXPLAIN_REPLAYED: return NULL;
    case ENG_EXPLAIN_NO_CADENCE:
        return "no cadence: set `snapshot every` or pass --cadence to see the steady state "
               "and gaps";
    case ENG_EXPLAIN_CALENDAR_CADENCE:
        return "`snapshot every` is in months or years, not a fixed cadence; pass --cadence "
               "to see numbers";
    case ENG_EXPLAIN_GROWING:
        return NULL;        /* growing_text names the rule */
    case ENG_EXPLAIN_TOO_LONG:
        return "the replay to steady state would take too long at this cadence: estimated "
               "from the tier windows instead";
    case ENG_EXPLAIN_FAILED:
        return "the replay failed (out of memory or too many runs)";
    }
    return NULL;
}

/* The note of a model without numbers, in words (NULL: it has numbers). */
static const char *note_words(const eng_explain *res, char *buf, size_t n)
{
    if (res->note != ENG_EXPLAIN_GROWING)
        return note_text(res->note);
    rpt_growing_text(res->p, buf, n);
    return buf;
}

/* ---- rules in words ---- */

static void describe_every_alignment(int64_t w_usec, char *buf, size_t n)
{
    int64_t w = w_usec / SK_USEC_PER_SEC;
    if (w % 86400 == 0 && w == 7 * 86400) {
        snprintf(buf, n, "weeks start on Thursday 00:00 UTC, as 1970-01-01 did");
    } else if (w % 86400 == 0) {
        snprintf(buf, n, w == 86400 ? "aligned to 00:00 UTC"
                                    : "aligned to the Unix epoch, 1970-01-01 00:00 UTC");
    } else if (w == 3600) {
        snprintf(buf, n, "aligned to the full hour, UTC");
    } else if (86400 % w == 0 && w >= 3600 && 86400 / w <= 6) {
        size_t len = (size_t)snprintf(buf, n, "aligned to ");
        for (int64_t t = 0; t < 86400 && len < n; t += w)
            len += (size_t)snprintf(buf + len, n - len, "%s%02d:%02d", t == 0 ? "" : "/",
                                    (int)(t / 3600), (int)(t % 3600 / 60));
        if (len < n)
            snprintf(buf + len, n - len, " UTC");
    } else if (86400 % w == 0 && w >= 3600) {
        char step[RPT_AGE_BUFSZ];
        rpt_format_age(w_usec, step, sizeof step);
        snprintf(buf, n, "aligned to 00:00 UTC and every %s after", step);
    } else if (3600 % w == 0 && 3600 / w <= 6) {
        size_t len = (size_t)snprintf(buf, n, "aligned to ");
        for (int64_t t = 0; t < 3600 && len < n; t += w)
            len += (size_t)snprintf(buf + len, n - len, "%s:%02d", t == 0 ? "" : "/", (int)(t / 60));
        if (len < n)
            snprintf(buf + len, n - len, " past each hour");
    } else if (3600 % w == 0) {
        snprintf(buf, n, "aligned to the hour and every %lldm after", (long long)(w / 60));
    } else {
        snprintf(buf, n, "aligned to the Unix epoch, 1970-01-01 00:00 UTC");
    }
}

static void describe_width(const pol_rule *r, char *buf, size_t n)
{
    static const struct { int64_t s; const char *word; } units[] = {
        { 7 * 86400, "week" }, { 86400, "day" }, { 3600, "hour" }, { 60, "minute" }
    };
    int64_t w = r->width_usec / SK_USEC_PER_SEC;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (w % units[i].s == 0) {
            snprintf(buf, n, "%lld-%s", (long long)(w / units[i].s), units[i].word);
            return;
        }
    pol_duration_format(&r->width, buf, n);
}

static const char *calendar_bucket(eng_period p)
{
    switch (p) {
    case ENG_HOUR: return "clock hour";
    case ENG_DAY: return "calendar day";
    case ENG_WEEK: return "ISO week, Monday to Sunday";
    case ENG_MONTH: return "calendar month";
    case ENG_YEAR: return "calendar year";
    }
    return "period";
}

static void describe_tier(const pol_policy *p, const pol_rule *r, const pol_rule *prev,
                          char *buf, size_t n)
{
    char from[64], to[64], extra[160];
    pol_duration_format(&r->end, to, sizeof to);
    size_t len;
    if (prev == NULL)
        len = (size_t)snprintf(buf, n, "under %s old, ", to);
    else {
        pol_duration_format(&prev->end, from, sizeof from);
        len = (size_t)snprintf(buf, n, "from %s to %s old, ", from, to);
    }
    if (len >= n)
        return;
    if (r->kind == POL_KEEP_ALL) {
        snprintf(buf + len, n - len, "keep every snapshot");
    } else if (r->kind == POL_EVERY) {
        char width[64];
        describe_width(r, width, sizeof width);
        describe_every_alignment(r->width_usec, extra, sizeof extra);
        snprintf(buf + len, n - len, "keep the oldest snapshot of each %s bucket (%s)", width,
                 extra);
    } else {
        snprintf(buf + len, n - len, "keep the oldest snapshot of each %s (%s)",
                 calendar_bucket(r->period), p->timezone != NULL ? p->timezone : "UTC");
    }
}

static void describe_tags(const pol_rule *r, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "keep every snapshot tagged ");
    for (size_t i = 0; i < r->ntags && len < n; i++) {
        const pol_tag_match *t = &r->tags[i];
        len += (size_t)(t->value != NULL
            ? snprintf(buf + len, n - len, "%s%s=%s", i > 0 ? " and " : "", t->key, t->value)
            : snprintf(buf + len, n - len, "%s%s (any value)", i > 0 ? " and " : "", t->key));
    }
}

static void describe_rule(const pol_policy *p, const pol_rule *r, const pol_rule *prev_tier,
                          char *buf, size_t n)
{
    char d[64];
    const char *noun = eng_period_noun(r->period);
    switch (r->kind) {
    case POL_KEEP_ALL:
    case POL_EVERY:
    case POL_CALENDAR_TIER:
        describe_tier(p, r, prev_tier, buf, n);
        return;
    case POL_LAST:
        if (r->count == POL_COUNT_ALL)
            snprintf(buf, n, "keep every snapshot, however old (nothing is ever pruned)");
        else
            snprintf(buf, n, "keep the %lld newest snapshots", (long long)r->count);
        return;
    case POL_COUNT:
        if (r->count == POL_COUNT_ALL)
            snprintf(buf, n, "keep the newest snapshot of every %s, however old", noun);
        else
            snprintf(buf, n, "keep the newest snapshot of each of the %lld latest %ss that have "
                     "one (and the oldest snapshot while fewer exist)", (long long)r->count, noun);
        return;
    case POL_WITHIN:
        pol_duration_format(&r->window, d, sizeof d);
        snprintf(buf, n, "keep every snapshot taken less than %s before the disk's newest", d);
        return;
    case POL_PERIOD_WITHIN:
        pol_duration_format(&r->window, d, sizeof d);
        snprintf(buf, n, "keep the newest snapshot of each %s within %s of the disk's newest",
                 noun, d);
        return;
    case POL_TAGGED:
        describe_tags(r, buf, n);
        return;
    }
    snprintf(buf, n, "?");
}

/* The rule lines of a policy, each "TEXT: DESCRIPTION", through a callback
 * so text and JSON share them. */
typedef void (*rule_sink)(void *ctx, const pol_rule *r, const char *description);

static void each_rule(const pol_policy *p, rule_sink sink, void *ctx)
{
    const pol_rule *prev = NULL;
    char buf[512];
    for (size_t i = 0; i < p->nrules; i++) {
        const pol_rule *r = &p->rules[i];
        describe_rule(p, r, prev, buf, sizeof buf);
        if (pol_rule_is_tier(r))
            prev = r;
        sink(ctx, r, buf);
    }
}

/* ---- text ---- */

static void print_scope(FILE *f, const pol_policy *p)
{
    if (p->anonymous) {
        fputs("  governs: every snapshot it is given (a bare-body policy)\n", f);
        return;
    }
    fputs("  governs: snapshots", f);
    if (!p->adopt_untagged)
        fprintf(f, " tagged %s=%s", POL_OWNER_TAG, p->name);
    else
        fprintf(f, " tagged %s=%s or with no such tag (adopt untagged)", POL_OWNER_TAG, p->name);
    for (size_t i = 0; i < p->ndisks; i++)
        fprintf(f, "%s%s", i > 0 ? ", " : p->ndisks > 1 ? " of disks " : " of disk ",
                p->disks[i]);
    for (size_t i = 0; i < p->ndisk_tags; i++)
        fprintf(f, "%s%s%s%s", i == 0 ? (p->ndisks > 0 ? " or of disks tagged " : " of disks tagged ")
                                      : " or ",
                p->disk_tags[i].key, p->disk_tags[i].value != NULL ? "=" : "",
                p->disk_tags[i].value != NULL ? p->disk_tags[i].value : "");
    if (p->ndisks == 0 && p->ndisk_tags == 0)
        fputs(" of any disk", f);
    fprintf(f, " in resource group %s, ", p->resource_group != NULL ? p->resource_group : "(any)");
    if (p->all_subscriptions)
        fputs("every subscription the identity can see\n", f);
    else if (p->nsubscriptions > 1)
        for (size_t i = 0; i < p->nsubscriptions; i++)
            fprintf(f, "%s%s", i == 0 ? "subscriptions " : ", ", p->subscriptions[i]);
    else
        fprintf(f, "subscription %s", p->subscription != NULL ? p->subscription
                : "(from --subscription or AZURE_SUBSCRIPTION_ID)");
    if (!p->all_subscriptions)
        fputc('\n', f);
    if (p->ndisk_tags > 0)
        fputs("  note: disk-tag selectors need the live disk list; offline (plan --inventory) "
              "they match nothing\n", f);
}

typedef struct text_ctx { FILE *f; const pol_rule *last_tier; const char *indent; } text_ctx;

static void text_rule(void *ctx, const pol_rule *r, const char *description)
{
    text_ctx *t = ctx;
    fprintf(t->f, "    %s%s: %s\n", t->indent, r->text, description);
    if (r == t->last_tier) {
        char d[64];
        pol_duration_format(&r->end, d, sizeof d);
        fprintf(t->f, "    %solder than %s: no tier keeps it\n", t->indent, d);
    }
}

static void print_settings(FILE *f, const pol_policy *p)
{
    char d[64];
    fprintf(f, "  time zone: %s\n", p->timezone != NULL ? p->timezone : "UTC");
    if (p->has_snapshot_every) {
        pol_duration_format(&p->snapshot_every, d, sizeof d);
        fprintf(f, "  snapshot every: %s\n", d);
    } else {
        fputs("  snapshot every: not set (scheduled runs create nothing)\n", f);
    }
    if (p->has_stale_after) {
        pol_duration_format(&p->stale_after, d, sizeof d);
        fprintf(f, "  stale after: %s without a new snapshot, a run prunes nothing\n", d);
    } else if (p->has_snapshot_every && p->snapshot_every.months == 0 &&
               p->snapshot_every.years == 0) {
        char three[RPT_AGE_BUFSZ];
        rpt_format_age(3 * pol_duration_fixed_usec(&p->snapshot_every), three, sizeof three);
        fprintf(f, "  stale after: %s (three snapshot intervals, the default) without a new "
                "snapshot, a run prunes nothing\n", three);
    }
    int64_t md = enf_max_delete(p);
    fprintf(f, "  max-delete: at most %lld deletion%s per run%s\n", (long long)md,
            cli_s((size_t)md), p->max_delete >= 0 ? "" : " (the default)");
    char retired[512];
    eng_retired_text(p, retired, sizeof retired);
    fprintf(f, "  retired: %s\n", retired);
    if (!p->has_snapshot_every)
        return;
    fprintf(f, "  creates: %s snapshots", p->incremental ? "incremental" : "full");
    if (p->sku != NULL)
        fprintf(f, ", sku %s", p->sku);
    fprintf(f, ", tagged %s=%s", POL_OWNER_TAG, p->name);
    for (size_t i = 0; i < p->nextra_tags; i++)
        fprintf(f, ", %s=%s", p->extra_tags[i].key,
                p->extra_tags[i].value != NULL ? p->extra_tags[i].value : "");
    fputc('\n', f);
}

/* copies: the count is of copies, and deletions per run are not shown (a copy arrives per
 * period its rules keep, not per run) */
static void print_numbers(FILE *f, const eng_explain *res, bool copies)
{
    if (res->sim == NULL) {
        char words[256];
        fprintf(f, "  %s\n", note_words(res, words, sizeof words));
        if (res->nestimates > 0)
            fprintf(f, "    the tiers keep about %.0f snapshots per disk:\n", res->estimate_total);
        for (size_t k = 0; k < res->nestimates; k++) {
            char gap[RPT_AGE_BUFSZ];
            rpt_format_age(res->estimates[k].gap_usec, gap, sizeof gap);
            fprintf(f, "      %-28s about %.0f, one every %s\n", res->estimates[k].rule->text,
                    res->estimates[k].count, gap);
        }
        return;
    }
    const eng_sim *s = res->sim;
    char cad[RPT_AGE_BUFSZ], warm[RPT_AGE_BUFSZ], gap[RPT_AGE_BUFSZ];
    rpt_format_age(res->cadence_usec, cad, sizeof cad);
    rpt_format_age(s->warmup_usec, warm, sizeof warm);
    fprintf(f, "  at one snapshot every %s (from %s), every run on time, once %s have "
            "passed:\n", cad,
            res->cadence_from_option ? "--cadence" : "`snapshot every`", warm);
    char count[96], del[96];
    rpt_steady_text(s, copies, count, sizeof count, del, sizeof del);
    fprintf(f, "    steady state: %s\n", count);
    if (!copies)
        fprintf(f, "    deletions per run: %s\n", del);
    if (s->ngaps > 0)
        fputs("    largest gap between kept snapshots in each tier:\n", f);
    for (size_t k = 0; k < s->ngaps; k++) {
        if (s->gaps[k].max_gap_usec < 0)
            snprintf(gap, sizeof gap, "-");
        else
            rpt_format_age(s->gaps[k].max_gap_usec, gap, sizeof gap);
        fprintf(f, "      %-28s %s\n", s->gaps[k].rule->text, gap);
    }
    fputs("    (the replay simulate makes by default; simulate --jitter shows late runs)\n", f);
}

/* The copies' own numbers: their retention replayed at the owner's cadence (a copy is made of
 * what those rules keep, so in the steady state the copies are what the rules keep at that
 * cadence), and the per-disk budget they share with every snapshot of that family. */
static void print_copy(FILE *f, const eng_explain *res, const eng_explain *copy)
{
    const pol_copy *c = res->p->copy;
    if (c == NULL || copy == NULL)
        return;
    fprintf(f, "  copies to %s, resource group %s, subscription %s (%s:%d):\n", c->region,
            c->resource_group, c->subscription != NULL ? c->subscription : "the policy's",
            c->loc.file, c->loc.line);
    fprintf(f, "    copied: each snapshot the copy's rules keep that is newer than the last "
            "copy, oldest first, one per disk at a time (CopyStart), tagged %s=%s\n",
            POL_OWNER_TAG, res->p->name);
    fputs("    kept in the target region (a copy is kept when any rule keeps it):\n", f);
    text_ctx t = { f, eng_last_tier(c->retention), "  " };
    each_rule(c->retention, text_rule, &t);
    fputs("    always: the newest copy of each disk, and copies still being made\n", f);
    print_numbers(f, copy, true);
    if (copy->sim != NULL && copy->sim->count_max > ENG_SNAPSHOTS_POLICY_BUDGET)
        fprintf(f, "  warning: the copies keep up to %u per disk, above the %d a policy should "
                "use of Azure's %d per disk\n", copy->sim->count_max,
                ENG_SNAPSHOTS_POLICY_BUDGET, ENG_SNAPSHOTS_PER_DISK_MAX);
}

static void print_policy(FILE *f, const eng_explain *res, const eng_explain *copy)
{
    const pol_policy *p = res->p;
    if (p->anonymous)
        fprintf(f, "policy %s (the whole file %s)\n", p->name, p->loc.file);
    else
        fprintf(f, "policy %s (%s:%d)\n", p->name, p->loc.file, p->loc.line);
    print_scope(f, p);
    print_settings(f, p);
    fputs("  rules (a snapshot is kept when any rule keeps it):\n", f);
    text_ctx t = { f, eng_last_tier(p), "" };
    each_rule(p, text_rule, &t);
    fputs("    always: the newest snapshot of each disk, and snapshots dated in the future\n", f);
    print_numbers(f, res, false);
    print_copy(f, res, copy);
}

/* ---- JSON ---- */

static const char *kind_name(pol_rule_kind k)
{
    switch (k) {
    case POL_KEEP_ALL: return "keep-all";
    case POL_EVERY: return "every";
    case POL_CALENDAR_TIER: return "calendar-tier";
    case POL_LAST: return "last";
    case POL_COUNT: return "count";
    case POL_WITHIN: return "within";
    case POL_PERIOD_WITHIN: return "period-within";
    case POL_TAGGED: return "tagged";
    }
    return "?";
}

static void json_span(json_out *j, const char *key, int64_t usec)
{
    char buf[RPT_AGE_BUFSZ];
    rpt_format_age(usec, buf, sizeof buf);
    json_key(j, key);
    json_begin_object(j);
    json_kv_int(j, "seconds", usec / SK_USEC_PER_SEC);
    json_kv_string(j, "text", buf);
    json_end_object(j);
}

static void json_rule(void *ctx, const pol_rule *r, const char *description)
{
    json_out *j = ctx;
    json_begin_object(j);
    json_kv_string(j, "text", r->text);
    json_kv_string(j, "kind", kind_name(r->kind));
    json_kv_int(j, "line", r->loc.line);
    json_kv_string(j, "description", description);
    json_end_object(j);
}

static void json_scope(json_out *j, const pol_policy *p)
{
    json_kv_string(j, "subscription", p->subscription);
    json_key(j, "subscriptions");
    json_begin_array(j);
    for (size_t i = 0; i < p->nsubscriptions; i++)
        json_string(j, p->subscriptions[i]);
    json_end_array(j);
    json_kv_bool(j, "all_subscriptions", p->all_subscriptions);
    json_kv_string(j, "resource_group", p->resource_group);
    json_key(j, "disks");
    json_begin_array(j);
    for (size_t i = 0; i < p->ndisks; i++)
        json_string(j, p->disks[i]);
    json_end_array(j);
    json_key(j, "disks_tagged");
    json_begin_array(j);
    for (size_t i = 0; i < p->ndisk_tags; i++) {
        json_begin_object(j);
        json_kv_string(j, "key", p->disk_tags[i].key);
        json_kv_string(j, "value", p->disk_tags[i].value);
        json_end_object(j);
    }
    json_end_array(j);
}

static void json_numbers(json_out *j, const eng_explain *res)
{
    json_key(j, "cadence");
    if (res->have_cadence) {
        json_begin_object(j);
        char buf[RPT_AGE_BUFSZ];
        rpt_format_age(res->cadence_usec, buf, sizeof buf);
        json_kv_int(j, "seconds", res->cadence_usec / SK_USEC_PER_SEC);
        json_kv_string(j, "text", buf);
        json_kv_string(j, "from", res->cadence_from_option ? "option" : "policy");
        json_kv_int(j, "jitter_seconds", res->jitter_usec / SK_USEC_PER_SEC);
        json_end_object(j);
    } else {
        json_null(j);
    }
    char words[256];
    json_kv_string(j, "note", note_words(res, words, sizeof words));
    json_key(j, "estimate");
    if (res->nestimates == 0) {
        json_null(j);
    } else {
        json_begin_object(j);
        json_kv_double(j, "count", res->estimate_total, 0);
        json_key(j, "tiers");
        json_begin_array(j);
        for (size_t k = 0; k < res->nestimates; k++) {
            json_begin_object(j);
            json_kv_string(j, "rule", res->estimates[k].rule->text);
            json_kv_double(j, "count", res->estimates[k].count, 1);
            json_span(j, "gap", res->estimates[k].gap_usec);
            json_end_object(j);
        }
        json_end_array(j);
        json_end_object(j);
    }
    json_key(j, "cap");
    eng_explain_cap cap;
    eng_explain_cap_of(res, &cap);
    if (!cap.known) {
        json_null(j);
    } else {
        json_begin_object(j);
        json_kv_int(j, "snapshots", cap.total);
        json_kv_int(j, "steady", cap.steady);
        json_kv_int(j, "floor", cap.floor);
        json_kv_int(j, "budget", ENG_SNAPSHOTS_POLICY_BUDGET);
        json_kv_int(j, "limit", ENG_SNAPSHOTS_PER_DISK_MAX);
        json_kv_bool(j, "over_budget", cap.over);
        json_end_object(j);
    }
    rpt_sim_steady_json(j, res->sim);       /* the shape simulate writes */
}

static void json_copy(json_out *j, const eng_explain *res, const eng_explain *copy)
{
    const pol_copy *c = res->p->copy;
    json_key(j, "copy");
    if (c == NULL || copy == NULL) {
        json_null(j);
        return;
    }
    json_begin_object(j);
    json_kv_string(j, "region", c->region);
    json_kv_string(j, "resource_group", c->resource_group);
    json_kv_string(j, "subscription", c->subscription);
    json_kv_int(j, "line", c->loc.line);
    json_key(j, "rules");
    json_begin_array(j);
    each_rule(c->retention, json_rule, j);
    json_end_array(j);
    json_numbers(j, copy);
    json_end_object(j);
}

static void json_policy(json_out *j, const eng_explain *res, const eng_explain *copy)
{
    const pol_policy *p = res->p;
    char d[64];
    json_begin_object(j);
    json_kv_string(j, "name", p->name);
    json_kv_bool(j, "anonymous", p->anonymous);
    json_kv_string(j, "file", p->loc.file);
    json_kv_int(j, "line", p->loc.line);
    json_kv_string(j, "timezone", p->timezone != NULL ? p->timezone : "UTC");
    json_scope(j, p);
    json_kv_bool(j, "adopt_untagged", p->adopt_untagged);
    json_key(j, "snapshot_every");
    if (p->has_snapshot_every) {
        pol_duration_format(&p->snapshot_every, d, sizeof d);
        json_string(j, d);
    } else {
        json_null(j);
    }
    json_key(j, "stale_after");
    if (p->has_stale_after) {
        pol_duration_format(&p->stale_after, d, sizeof d);
        json_string(j, d);
    } else {
        json_null(j);
    }
    /* max_delete: the policy's setting (null: not set, as schema v1 had
     * it); max_delete_per_run: what a run deletes at most, the default 50
     * when unset (plan's policies[] carry the same field) */
    json_key(j, "max_delete");
    if (p->max_delete >= 0)
        json_int(j, p->max_delete);
    else
        json_null(j);
    json_kv_int(j, "max_delete_per_run", enf_max_delete(p));
    eng_retired_setting(p, d, sizeof d);
    json_kv_string(j, "retired", d);
    json_kv_bool(j, "incremental", p->incremental);
    json_kv_string(j, "sku", p->sku);
    json_key(j, "tags");
    json_begin_object(j);
    for (size_t i = 0; i < p->nextra_tags; i++)
        json_kv_string(j, p->extra_tags[i].key,
                       p->extra_tags[i].value != NULL ? p->extra_tags[i].value : "");
    json_end_object(j);
    json_key(j, "rules");
    json_begin_array(j);
    each_rule(p, json_rule, j);
    json_end_array(j);
    json_numbers(j, res);
    json_copy(j, res, copy);
    json_end_object(j);
}

/* ---- command ---- */

static int explain_option(void *ctx, int opt, const char *arg)
{
    explain_args *a = ctx;
    switch (opt) {
    case OPT_CADENCE:
        if (cli_parse_duration_opt("--cadence", arg, &a->cadence) != 0)
            return -1;
        if (a->cadence.months > 0 || a->cadence.years > 0) {
            cli_err("--cadence: '%s': months and years are not a fixed cadence", arg);
            return -1;
        }
        a->have_cadence = true;
        return 0;
    case OPT_FORMAT:
        return cli_format_text_json(arg, &a->json);
    default:
        return -1;
    }
}

/* 0, CLI_HELPED after --help, or an exit code. */
static int parse_args(int argc, char **argv, explain_args *a)
{
    static const struct option opts[] = {
        { "cadence", required_argument, NULL, OPT_CADENCE },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    memset(a, 0, sizeof *a);
    return cli_parse_options(argc, argv, "explain", opts, explain_option, a, &a->path);
}

static int render(FILE *f, const explain_args *a, const eng_explain *res,
                  const eng_explain *copies, size_t n)
{
    if (!a->json) {
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                fputc('\n', f);
            print_policy(f, &res[i], &copies[i]);
        }
        return fflush(f) != 0 || ferror(f) ? -1 : 0;
    }
    json_out j;
    if (json_init(&j, f, 3) != 0)
        return -1;
    json_begin_object(&j);
    json_kv_int(&j, "version", RPT_SCHEMA_VERSION);
    json_kv_string(&j, "file", a->path);
    json_key(&j, "policies");
    json_begin_array(&j);
    for (size_t i = 0; i < n; i++)
        json_policy(&j, &res[i], &copies[i]);
    json_end_array(&j);
    json_end_object(&j);
    return json_finish(&j);
}

int cmd_explain(int argc, char **argv)
{
    explain_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? EXIT_OK : rc;
    pol_file *pf = cli_load_policy(a.path, false);
    if (pf == NULL)
        return EXIT_INVALID;
    eng_explain *res = calloc(pf->npolicies + 1, sizeof *res);
    eng_explain *copies = calloc(pf->npolicies + 1, sizeof *copies);
    if (res == NULL || copies == NULL) {
        free(res);
        free(copies);
        pol_file_free(pf);
        fputs("snapkeep: explain: out of memory\n", stderr);
        return EXIT_INVALID;
    }
    int64_t cadence = a.have_cadence ? pol_duration_fixed_usec(&a.cadence) : 0;
    for (size_t i = 0; i < pf->npolicies; i++) {
        const pol_policy *p = pf->policies[i];
        eng_explain_compute(p, cadence, &res[i]);
        /* the copies at the owner's cadence (their retention has none of its own) */
        int64_t cc = cadence > 0 ? cadence
                   : p->has_snapshot_every ? pol_duration_fixed_usec(&p->snapshot_every) : 0;
        if (p->copy != NULL) {
            eng_explain_compute(p->copy->retention, cc, &copies[i]);
            copies[i].cadence_from_option = cadence > 0;
        }
        cli_cap_warning(&res[i], stderr);
    }
    rc = render(stdout, &a, res, copies, pf->npolicies) == 0 ? EXIT_OK : EXIT_INVALID;
    if (rc != EXIT_OK)
        fputs("snapkeep: explain: writing the output failed\n", stderr);
    for (size_t i = 0; i < pf->npolicies; i++) {
        eng_explain_free(&res[i]);
        eng_explain_free(&copies[i]);
    }
    free(res);
    free(copies);
    pol_file_free(pf);
    return rc;
}
