/* Helpers the plan and simulation reports share: ages, disk names, the
 * per-disk ordering of a plan and the tier windows at a given `now`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/report.h"
#include "engine/calendar.h"
#include "engine/duration.h"

size_t rpt_format_age(int64_t usec, char *buf, size_t n)
{
    const char *sign = "";
    uint64_t s = usec < 0 ? (uint64_t)0 - (uint64_t)usec : (uint64_t)usec;
    if (usec < 0)
        sign = "-";
    s /= (uint64_t)SK_USEC_PER_SEC;
    uint64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
    int len;
    if (d > 0)
        len = h > 0 ? snprintf(buf, n, "%s%llud%lluh", sign, (unsigned long long)d,
                               (unsigned long long)h)
                    : snprintf(buf, n, "%s%llud", sign, (unsigned long long)d);
    else if (h > 0)
        len = m > 0 ? snprintf(buf, n, "%s%lluh%llum", sign, (unsigned long long)h,
                               (unsigned long long)m)
                    : snprintf(buf, n, "%s%lluh", sign, (unsigned long long)h);
    else if (m > 0)
        len = snprintf(buf, n, "%s%llum", sign, (unsigned long long)m);
    else
        len = snprintf(buf, n, "%s%llus", sign, (unsigned long long)(s % 60));
    return len < 0 ? 0 : (size_t)len;
}

/* Unicode format and separator characters: invisible, or they reorder or
 * hide the text around them (U+202E shows "gpj.exe" as "exe.jpg"). */
static bool format_char(uint32_t cp)
{
    return cp == 0x00ad || cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
           cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0xe0001 ||
           (cp >= 0xe0020 && cp <= 0xe007f);
}

size_t rpt_unsafe_char(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x20 || u[0] == 0x7f)
        return u[0] != '\0';
    if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
        return 2;                   /* C1 controls: 0x9b starts an escape too */
    size_t len = u[0] >= 0xf0 && u[0] < 0xf5 ? 4 : u[0] >= 0xe0 && u[0] < 0xf0 ? 3
               : u[0] >= 0xc2 && u[0] < 0xe0 ? 2 : 0;
    if (len == 0)
        return 0;
    uint32_t cp = u[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;               /* not UTF-8: shown byte by byte as before */
        cp = (cp << 6) | (u[i] & 0x3f);
    }
    return format_char(cp) ? len : 0;
}

const char *rpt_disk_name(const char *source_id)
{
    if (source_id == NULL)
        return "(no source disk)";
    const char *slash = strrchr(source_id, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : source_id;
}

size_t rpt_group_label(const eng_group *g, char *buf, size_t n)
{
    int len = 0;
    if (n > 0)
        buf[0] = '\0';
    if (g->retired)
        len = snprintf(buf, n, " (retired: %s%s%s%s)", eng_identity_text(g->identity),
                       g->unique_id != NULL ? ", uniqueId " : "",
                       g->unique_id != NULL ? g->unique_id : "",
                       g->released ? ", released" : "");
    return len < 0 ? 0 : (size_t)len;
}

/* Newest first; equal times: smaller name first (the evaluator's walk order). */
static int newest_first(const void *a, const void *b)
{
    const eng_decision *x = *(const eng_decision *const *)a;
    const eng_decision *y = *(const eng_decision *const *)b;
    if (x->snap->created != y->snap->created)
        return x->snap->created > y->snap->created ? -1 : 1;
    return strcmp(x->snap->name, y->snap->name);
}

static size_t slice_of(const eng_plan *plan, const eng_decision *d)
{
    return d->group < plan->ngroups ? d->group : plan->ngroups;
}

typedef struct slice_key {
    size_t slice, policy;
    const char *source;
} slice_key;

static int by_policy_then_disk(const void *a, const void *b)
{
    const slice_key *x = a, *y = b;
    if (x->policy != y->policy)
        return x->policy < y->policy ? -1 : 1;
    if (x->source == NULL || y->source == NULL)
        return (x->source == NULL) - (y->source == NULL);
    int c = strcasecmp(x->source, y->source);   /* ARM IDs ignore case */
    return c != 0 ? c : (x->slice < y->slice ? -1 : x->slice > y->slice);
}

static size_t policy_index(const pol_file *file, const pol_policy *p)
{
    for (size_t i = 0; file != NULL && i < file->npolicies; i++)
        if (file->policies[i] == p)
            return i;
    return SIZE_MAX;
}

static int display_order(const eng_plan *plan, const pol_file *file, rpt_groups *out)
{
    slice_key *keys = malloc((plan->ngroups + 1) * sizeof *keys);
    if (keys == NULL)
        return -1;
    for (size_t g = 0; g < plan->ngroups; g++)
        keys[g] = (slice_key){ g, policy_index(file, plan->groups[g].policy),
                               plan->groups[g].source_id };
    qsort(keys, plan->ngroups, sizeof *keys, by_policy_then_disk);
    for (size_t g = 0; g < plan->ngroups; g++)
        out->show[g] = keys[g].slice;
    out->show[plan->ngroups] = plan->ngroups;
    free(keys);
    return 0;
}

int rpt_groups_build(const eng_plan *plan, const pol_file *file, rpt_groups *out)
{
    memset(out, 0, sizeof *out);
    out->nslices = plan->ngroups + 1;
    out->start = calloc(out->nslices + 1, sizeof *out->start);
    out->order = malloc((plan->ndecisions + 1) * sizeof *out->order);
    out->show = malloc(out->nslices * sizeof *out->show);
    size_t *fill = calloc(out->nslices, sizeof *fill);
    if (out->start == NULL || out->order == NULL || out->show == NULL || fill == NULL ||
        display_order(plan, file, out) != 0) {
        free(fill);
        rpt_groups_free(out);
        return -1;
    }
    for (size_t i = 0; i < plan->ndecisions; i++)
        out->start[slice_of(plan, &plan->decisions[i]) + 1]++;
    for (size_t g = 0; g < out->nslices; g++)
        out->start[g + 1] += out->start[g];
    for (size_t i = 0; i < plan->ndecisions; i++) {
        size_t g = slice_of(plan, &plan->decisions[i]);
        out->order[out->start[g] + fill[g]++] = &plan->decisions[i];
    }
    free(fill);
    for (size_t g = 0; g < out->nslices; g++)
        qsort(out->order + out->start[g], out->start[g + 1] - out->start[g],
              sizeof *out->order, newest_first);
    return 0;
}

void rpt_groups_free(rpt_groups *g)
{
    free(g->show);
    free(g->order);
    free(g->start);
    memset(g, 0, sizeof *g);
}

size_t rpt_tier_windows(const pol_policy *p, sk_time now, const pol_rule **rules,
                        sk_time *lo, sk_time *hi, size_t max)
{
    size_t k = 0;
    sk_time upper = now;
    for (size_t i = 0; i < p->nrules && k < max; i++) {
        const pol_rule *r = &p->rules[i];
        if (!pol_rule_is_tier(r))
            continue;
        sk_time lower = eng_window_cut(p->tz, now, &r->end);   /* as the evaluator */
        rules[k] = r;
        lo[k] = lower;
        hi[k] = upper;
        upper = lower;
        k++;
    }
    return k;
}

int64_t rpt_max_delete(const rpt_plan *r, const pol_policy *p)
{
    return enf_run_max_delete(p, r->has_max_delete ? r->max_delete : -1);
}

rpt_next_counts rpt_next_count(const rpt_plan *r, const eng_decision *const *order,
                               size_t from, size_t to)
{
    rpt_next_counts c = { 0, 0 };
    for (size_t i = from; r->next != NULL && i < to; i++) {
        size_t k = order != NULL ? (size_t)(order[i] - r->plan->decisions) : i;
        c.deletes += r->next[k] == ENF_NEXT_DELETE;
        c.deferred += r->next[k] == ENF_NEXT_DEFER;
    }
    return c;
}

rpt_next_counts rpt_next_of_policy(const rpt_plan *r, const pol_policy *p)
{
    rpt_next_counts c = { 0, 0 };
    for (size_t i = 0; r->next != NULL && i < r->plan->ndecisions; i++) {
        if (p != NULL && r->plan->decisions[i].policy != p)
            continue;
        c.deletes += r->next[i] == ENF_NEXT_DELETE;
        c.deferred += r->next[i] == ENF_NEXT_DEFER;
    }
    return c;
}

void rpt_plan_warnings(const rpt_plan *r, rpt_warning_sink sink, void *ctx)
{
    const eng_plan *plan = r->plan;
    char msg[1024];
    for (size_t i = 0; i < plan->nnotes; i++) {
        const eng_note *n = &plan->notes[i];
        sink(ctx, "note", n->policy, n->snap != NULL ? n->snap->name : NULL, n->message);
    }
    if (plan->nunmanaged > 0) {
        snprintf(msg, sizeof msg, "%zu %s governed by no policy (unmanaged, never pruned)",
                 plan->nunmanaged, plan->nunmanaged == 1 ? "snapshot is" : "snapshots are");
        sink(ctx, "unmanaged", NULL, NULL, msg);
    }
    if (r->duplicates > 0) {
        snprintf(msg, sizeof msg, "%s: %zu %s listed more than once (\"%s\" first), each taken "
                 "once with the tags of every copy",
                 r->inventory_path != NULL ? r->inventory_path : "the listing", r->duplicates,
                 r->duplicates == 1 ? "snapshot" : "snapshots",
                 r->duplicate_example != NULL ? r->duplicate_example : "?");
        sink(ctx, "duplicate", NULL, r->duplicate_example, msg);
    }
}

void rpt_growing_text(const pol_policy *p, char *buf, size_t n)
{
    const pol_rule *r = eng_sim_growing_rule(p);
    if (r == NULL)
        snprintf(buf, n, "no steady state: a rule keeps without limit");
    else if (r->kind == POL_LAST)
        snprintf(buf, n, "no steady state: `%s` (line %d) keeps every snapshot forever, so "
                 "the count only grows", r->text, r->loc.line);
    else
        snprintf(buf, n, "no steady state: `%s` (line %d) keeps one snapshot per %s forever, "
                 "so the count only grows", r->text, r->loc.line, eng_period_noun(r->period));
}

void rpt_steady_text(const eng_sim *s, bool copies, char *count, size_t ncount, char *del,
                     size_t ndel)
{
    const char *one = copies ? "copy" : "snapshot", *many = copies ? "copies" : "snapshots";
    if (s->count_min == s->count_max)
        snprintf(count, ncount, "%u %s per disk", s->count_min, s->count_min == 1 ? one : many);
    else
        snprintf(count, ncount, "%u to %u %s per disk (average %.1f)", s->count_min,
                 s->count_max, many, s->count_avg);
    if (s->del_min == s->del_max)
        snprintf(del, ndel, "%u", s->del_min);
    else
        snprintf(del, ndel, "%u to %u (average %.2f)", s->del_min, s->del_max, s->del_avg);
}
