/* Checks over one compiled policy: the tier chain must end later at every
 * step for every possible `now` (an error), and warnings for rules that are
 * valid but cannot do what their author meant. Lengths are ranges in
 * seconds, because a month, a year, and a day across a DST change have no
 * single length (pol_duration_range). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/evaluate.h"
#include "grammar/internal.h"

typedef struct span { int64_t min, max; } span;

static span dur_span(const pol_duration *d, int32_t shift)
{
    span s;
    pol_duration_range(d, shift, &s.min, &s.max);
    return s;
}

/* The length of one calendar bucket, or of one `every` bucket. */
static span bucket_span(const pol_rule *r, int32_t shift)
{
    pol_duration d = {0};
    if (r->kind == POL_EVERY)
        return dur_span(&r->width, 0);
    switch (r->period) {
    case ENG_HOUR:  d.hours = 1; break;
    case ENG_DAY:   d.days = 1; break;
    case ENG_WEEK:  d.weeks = 1; break;
    case ENG_MONTH: d.months = 1; break;
    case ENG_YEAR:  d.years = 1; break;
    }
    return dur_span(&d, shift);
}

static const char *dur_text(const pol_duration *d, char *buf, size_t n)
{
    pol_duration_format(d, buf, n);
    return buf;
}

static const char *seconds_text(int64_t s, char *buf, size_t n)
{
    pol_duration d = {0};
    d.days = s / 86400;
    d.hours = s % 86400 / 3600;
    d.minutes = s % 3600 / 60;
    if (s < 60)
        snprintf(buf, n, "%llds", (long long)s);
    else
        pol_duration_format(&d, buf, n);
    return buf;
}

static void tier_order(pg_ctx *ctx, const pg_scope *s, const pol_rule *r,
                       const pg_rule_aux *aux, const pol_rule *prev,
                       span end, span prev_end)
{
    char a[64], b[64];
    dur_text(&r->end, a, sizeof a);
    dur_text(&prev->end, b, sizeof b);
    (void)s;
    if (strcmp(a, b) == 0)
        pg_error(ctx, &aux->end_loc, "tier \"%s\" must end after \"%s\" (line %d), "
                 "but both end at %s", r->text, prev->text, prev->loc.line, a);
    else if (end.max < prev_end.min)
        pg_error(ctx, &aux->end_loc, "tier \"%s\" must end after \"%s\" (line %d), "
                 "but %s is shorter than %s", r->text, prev->text, prev->loc.line, a, b);
    else if (end.min == end.max && prev_end.min < prev_end.max)
        /* This end is fixed and the earlier one varies (31d after 1mo):
         * it is the earlier tier's end that can reach past this one. */
        pg_error(ctx, &aux->end_loc, "tier \"%s\" must end after \"%s\" (line %d), "
                 "but %s can be as long as %s", r->text, prev->text, prev->loc.line, b, a);
    else
        pg_error(ctx, &aux->end_loc, "tier \"%s\" must end after \"%s\" (line %d), "
                 "but %s can be as short as %s", r->text, prev->text, prev->loc.line, a, b);
}

/* A later tier only sees what the earlier tiers left: keep-all after a
 * bucketed tier, or finer buckets after coarser ones, keep less than they
 * say. */
static void tier_shape(pg_ctx *ctx, const pol_rule *r, const pol_rule *bucketed,
                       const pol_rule *coarsest, int32_t shift)
{
    if (r->kind == POL_KEEP_ALL && bucketed != NULL) {
        pg_warning(ctx, &r->loc, "\"%s\" after the bucketed tier \"%s\" (line %d) "
                   "keeps only what that tier left: the snapshots it pruned are gone; "
                   "keep-all belongs first", r->text, bucketed->text, bucketed->loc.line);
    } else if (r->kind != POL_KEEP_ALL && coarsest != NULL &&
               bucket_span(r, shift).max < bucket_span(coarsest, shift).min) {
        pg_warning(ctx, &r->loc, "tier \"%s\" has smaller buckets than \"%s\" (line %d) "
                   "before it: it can only keep what that tier left", r->text,
                   coarsest->text, coarsest->loc.line);
    }
}

/* Tiers narrower than the cadence, and buckets no wider than it. */
static void tier_cadence(pg_ctx *ctx, const pg_scope *s, const pol_rule *r,
                         const pg_rule_aux *aux, int64_t window_max, int32_t shift)
{
    const pol_policy *p = s->pol;
    int64_t cadence = pol_duration_fixed_usec(&p->snapshot_every) / SK_USEC_PER_SEC;
    int line = s->set[PG_SNAPSHOT_EVERY].line;
    char c[64], w[64];
    dur_text(&p->snapshot_every, c, sizeof c);
    if (window_max < cadence) {
        pg_warning(ctx, &r->loc, "tier \"%s\" spans at most %s of ages, less than the "
                   "snapshot cadence (every %s, line %d): it rarely holds a snapshot "
                   "to keep", r->text, seconds_text(window_max, w, sizeof w), c, line);
        return;
    }
    if (r->kind == POL_EVERY && r->width_usec / SK_USEC_PER_SEC <= cadence)
        pg_warning(ctx, &aux->width_loc, "\"%s\" keeps every snapshot: its %s buckets "
                   "are no wider than the snapshot cadence (every %s, line %d); "
                   "write keep-all", r->text, dur_text(&r->width, w, sizeof w), c, line);
    else if (r->kind == POL_CALENDAR_TIER && bucket_span(r, shift).max <= cadence)
        pg_warning(ctx, &r->loc, "\"%s\" keeps every snapshot: a%s %s is no longer "
                   "than the snapshot cadence (every %s, line %d); write keep-all",
                   r->text, r->period == ENG_HOUR ? "n" : "", eng_period_noun(r->period),
                   c, line);
}

static void check_tiers(pg_ctx *ctx, const pg_scope *s, int32_t shift)
{
    const pol_policy *p = s->pol;
    const pol_rule *prev = NULL, *bucketed = NULL, *coarsest = NULL;
    span prev_end = { 0, 0 };
    for (size_t i = 0; i < p->nrules; i++) {
        const pol_rule *r = &p->rules[i];
        if (!pol_rule_is_tier(r))
            continue;
        span end = dur_span(&r->end, shift);
        bool ordered = prev == NULL || end.min > prev_end.max;
        if (!ordered)
            tier_order(ctx, s, r, &s->aux[i], prev, end, prev_end);
        tier_shape(ctx, r, bucketed, coarsest, shift);
        if (ordered && p->has_snapshot_every)
            tier_cadence(ctx, s, r, &s->aux[i], end.max - (prev ? prev_end.min : 0), shift);
        if (r->kind != POL_KEEP_ALL) {
            bucketed = r;
            if (coarsest == NULL || bucket_span(r, shift).min > bucket_span(coarsest, shift).min)
                coarsest = r;
        }
        prev = r;
        prev_end = end;
    }
}

/* Rules that keep nothing the `newest` guarantee does not already keep,
 * repeats, and tag rules that match every owned snapshot. */
static void check_rules(pg_ctx *ctx, const pg_scope *s, int32_t shift)
{
    const pol_policy *p = s->pol;
    for (size_t i = 0; i < p->nrules; i++) {
        const pol_rule *r = &p->rules[i];
        for (size_t j = 0; j < i; j++)
            if (r->text != NULL && p->rules[j].text != NULL &&
                strcmp(r->text, p->rules[j].text) == 0) {
                char q[PG_QUOTE_BUFSZ];
                pg_warning(ctx, &r->loc, "rule %s repeats line %d",
                           pg_quote_rule(r->text, q, sizeof q), p->rules[j].loc.line);
                break;
            }
        if ((r->kind == POL_LAST || r->kind == POL_COUNT) && r->count == 1)
            pg_warning(ctx, &r->loc, "\"%s\" keeps only the newest snapshot, which is "
                       "always kept anyway", r->text);
        if ((r->kind == POL_WITHIN || r->kind == POL_PERIOD_WITHIN) && p->has_snapshot_every) {
            span w = dur_span(&r->window, shift);
            int64_t cadence = pol_duration_fixed_usec(&p->snapshot_every) / SK_USEC_PER_SEC;
            char c[64];
            if (w.max < cadence)
                pg_warning(ctx, &r->loc, "\"%s\" is shorter than the snapshot cadence "
                           "(every %s, line %d): it keeps only the newest snapshot, "
                           "which is always kept anyway", r->text,
                           dur_text(&p->snapshot_every, c, sizeof c),
                           s->set[PG_SNAPSHOT_EVERY].line);
        }
        for (size_t k = 0; r->kind == POL_TAGGED && k < r->ntags; k++) {
            const pol_tag_match *t = &r->tags[k];
            char q[PG_QUOTE_BUFSZ];
            if (strcasecmp(t->key, POL_OWNER_TAG) == 0 &&
                (t->value == NULL || (p->name != NULL && strcmp(t->value, p->name) == 0)))
                pg_warning(ctx, &r->loc, "%s keeps every snapshot this policy owns: "
                           "they all carry the %s tag", pg_quote_rule(r->text, q, sizeof q),
                           POL_OWNER_TAG);
        }
    }
}

static void check_stale(pg_ctx *ctx, const pg_scope *s, int32_t shift)
{
    const pol_policy *p = s->pol;
    if (!p->has_stale_after || !p->has_snapshot_every)
        return;
    span st = dur_span(&p->stale_after, shift);
    int64_t cadence = pol_duration_fixed_usec(&p->snapshot_every) / SK_USEC_PER_SEC;
    char a[64], c[64];
    if (st.max <= cadence)
        pg_warning(ctx, &s->val[PG_STALE_AFTER], "stale-after %s is not longer than the "
                   "snapshot cadence (every %s, line %d): every run would find the "
                   "disk stale", dur_text(&p->stale_after, a, sizeof a),
                   dur_text(&p->snapshot_every, c, sizeof c), s->set[PG_SNAPSHOT_EVERY].line);
}

/* A disk named by resource ID that the policy's own subscription or
 * resource-group leaves out: the disk is never in scope (engine/scope.c
 * decides, the same test the evaluator makes). Where the disks and the
 * setting both come from the top level, the first block reports it. */
static void check_scope(pg_ctx *ctx, const pg_scope *s)
{
    const pol_policy *p = s->pol;
    const pg_scope *where = s->inherited[PG_DISK] ? ctx->top : s;
    if (where == NULL || where->disk_locs == NULL)
        return;
    for (size_t i = 0; i < p->ndisks; i++) {
        const char *part;
        size_t len;
        eng_disk_conflict c = eng_disk_entry_conflict(p, p->disks[i], &part, &len);
        if (c == ENG_DISK_FITS)
            continue;
        pg_setting by = c == ENG_DISK_OTHER_SUBSCRIPTION ? PG_SUBSCRIPTION : PG_RESOURCE_GROUP;
        if (c != ENG_DISK_NOT_A_DISK_ID && s->inherited[PG_DISK] && s->inherited[by] &&
            ctx->blocks != s)
            continue;
        if (c == ENG_DISK_NOT_A_DISK_ID && s->inherited[PG_DISK] && ctx->blocks != s)
            continue;
        const pol_loc *at = &where->disk_locs[i];
        if (c == ENG_DISK_NOT_A_DISK_ID)
            pg_warning(ctx, at, "disk \"%s\" is not a managed-disk ID (/subscriptions/S/"
                       "resourceGroups/RG/providers/Microsoft.Compute/disks/NAME): no "
                       "snapshot's source can match it", p->disks[i]);
        else
            pg_warning(ctx, at, "disk \"%s\" is in %s \"%.*s\", but the policy's scope "
                       "is %s \"%s\" (line %d): the disk is outside it, so plan reports its "
                       "snapshots as unmanaged and run never snapshots or prunes it", p->disks[i],
                       by == PG_SUBSCRIPTION ? "subscription" : "resource group", (int)len,
                       part, by == PG_SUBSCRIPTION ? "subscription" : "resource-group",
                       by == PG_SUBSCRIPTION ? p->subscription : p->resource_group,
                       s->val[by].line);
    }
}

void pg_check_policy(pg_ctx *ctx, const pg_scope *s)
{
    check_scope(ctx, s);
    int32_t shift = s->pol->tz != NULL ? eng_tz_max_shift(s->pol->tz) : 0;
    check_tiers(ctx, s, shift);
    check_rules(ctx, s, shift);
    check_stale(ctx, s, shift);
}
