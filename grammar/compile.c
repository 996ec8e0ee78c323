/* Scopes to the rule tree: a bare body becomes one anonymous policy, each
 * block inherits the top-level settings it does not set itself, zones are
 * loaded, and the checks that need a whole policy run. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grammar/internal.h"

static char *dup_or_oom(pg_ctx *ctx, const char *s)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        pg_oom(ctx);
    return d;
}

static bool copy_tags(pg_ctx *ctx, pol_tag_match **out, size_t *nout,
                      const pol_tag_match *in, size_t n)
{
    if (n == 0)
        return true;
    pol_tag_match *t = calloc(n, sizeof *t);
    if (t == NULL) {
        pg_oom(ctx);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        t[i].key = dup_or_oom(ctx, in[i].key);
        t[i].value = dup_or_oom(ctx, in[i].value);
    }
    *out = t;
    *nout = n;
    return true;
}

/* `tag` lists merge by name (case-insensitively, as Azure compares tag
 * names): the block's own entries first, then the inherited ones it does
 * not override. */
static void merge_tags(pg_ctx *ctx, pol_policy *b, const pol_policy *t)
{
    for (size_t i = 0; i < t->nextra_tags; i++) {
        bool overridden = false;
        for (size_t j = 0; j < b->nextra_tags && !overridden; j++)
            overridden = strcasecmp(b->extra_tags[j].key, t->extra_tags[i].key) == 0;
        if (overridden)
            continue;
        pol_tag_match *p = realloc(b->extra_tags, (b->nextra_tags + 1) * sizeof *p);
        if (p == NULL) {
            pg_oom(ctx);
            return;
        }
        b->extra_tags = p;
        p[b->nextra_tags].key = dup_or_oom(ctx, t->extra_tags[i].key);
        p[b->nextra_tags++].value = dup_or_oom(ctx, t->extra_tags[i].value);
    }
}

static void inherit_one(pg_ctx *ctx, pol_policy *b, const pol_policy *t, pg_setting s)
{
    switch (s) {
    case PG_TIMEZONE:       b->timezone = dup_or_oom(ctx, t->timezone); break;
    case PG_SUBSCRIPTION:
        b->subscription = dup_or_oom(ctx, t->subscription);
        b->all_subscriptions = t->all_subscriptions;
        if (t->nsubscriptions > 0 &&
            (b->subscriptions = calloc(t->nsubscriptions, sizeof *b->subscriptions)) == NULL) {
            pg_oom(ctx);
            break;
        }
        for (size_t i = 0; i < t->nsubscriptions; i++)
            b->subscriptions[i] = dup_or_oom(ctx, t->subscriptions[i]);
        b->nsubscriptions = t->nsubscriptions;
        break;
    case PG_RESOURCE_GROUP: b->resource_group = dup_or_oom(ctx, t->resource_group); break;
    case PG_SKU:            b->sku = dup_or_oom(ctx, t->sku); break;
    case PG_SNAPSHOT_EVERY:
        b->has_snapshot_every = t->has_snapshot_every;
        b->snapshot_every = t->snapshot_every;
        break;
    case PG_STALE_AFTER:
        b->has_stale_after = t->has_stale_after;
        b->stale_after = t->stale_after;
        break;
    case PG_MAX_DELETE:     b->max_delete = t->max_delete; break;
    case PG_RETIRED:
        b->retired = t->retired;
        b->retired_for = t->retired_for;
        break;
    case PG_ADOPT:          b->adopt_untagged = t->adopt_untagged; break;
    case PG_INCREMENTAL:    b->incremental = t->incremental; break;
    case PG_DISK:
        if (t->ndisks > 0 && (b->disks = calloc(t->ndisks, sizeof *b->disks)) == NULL) {
            pg_oom(ctx);
            break;
        }
        for (size_t i = 0; i < t->ndisks; i++)
            b->disks[i] = dup_or_oom(ctx, t->disks[i]);
        b->ndisks = t->ndisks;
        break;
    case PG_DISKS_TAGGED:
        copy_tags(ctx, &b->disk_tags, &b->ndisk_tags, t->disk_tags, t->ndisk_tags);
        break;
    case PG_TAG:
    case PG_NSETTINGS:
        break;
    }
}

/* A block takes every top-level setting it does not write itself; lists
 * (`disk`, `disks tagged`) are replaced as a whole, `tag` merges. */
static void inherit(pg_ctx *ctx, pg_scope *b, const pg_scope *t)
{
    for (int s = 0; s < PG_NSETTINGS; s++) {
        if (t->set[s].line == 0)
            continue;
        if (s == PG_TAG) {
            merge_tags(ctx, b->pol, t->pol);
            continue;
        }
        if (b->set[s].line != 0)
            continue;
        inherit_one(ctx, b->pol, t->pol, (pg_setting)s);
        b->set[s] = t->set[s];
        b->val[s] = t->val[s];
        b->inherited[s] = true;
    }
}

/* Loads the zone; reports a bad name where it was written (once, even when
 * several blocks inherit it). */
static eng_tz *load_zone(pg_ctx *ctx, const pg_scope *s, const char *name, bool report)
{
    char err[256] = "";
    eng_tz *tz = ctx->zones != NULL ? ctx->zones->load(ctx->zones->ctx, name, err, sizeof err)
                                    : pol_zone_builtin(name, err, sizeof err);
    if (tz == NULL && report) {
        const pol_loc *at = s->set[PG_TIMEZONE].line != 0 ? &s->val[PG_TIMEZONE] : NULL;
        if (err[0] == '\0')
            pg_error(ctx, at, "unknown time zone \"%s\"", name);
        else
            pg_error(ctx, at, "%s", err);
    } else if (tz == NULL && ctx->diags.nerrors == 0) {
        /* an inherited zone that loaded where it was written but not here
         * (out of memory): still an error, or the policy would have none */
        pg_error(ctx, NULL, "%s", err[0] != '\0' ? err : "out of memory");
    }
    return tz;
}

/* The anonymous policy's name: the file's base name without ".policy". */
static char *anonymous_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t len = strlen(base);
    if (len >= 7 && strcmp(base + len - 7, ".policy") == 0)
        len -= 7;
    if (len == 0)
        return strdup("policy");
    return strndup(base, len);
}

void pg_finish_scope(pg_ctx *ctx, pg_scope *s)
{
    pol_policy *p = s->pol;
    if (p->timezone == NULL)
        p->timezone = dup_or_oom(ctx, "UTC");
    if (p->timezone != NULL)
        p->tz = load_zone(ctx, s, p->timezone, !s->inherited[PG_TIMEZONE]);
    if (p->nrules == 0 && !s->had_error) {
        if (s->is_block)
            pg_error(ctx, &p->loc, "policy \"%s\" has no retention rule: it would "
                     "delete every snapshot it owns but the newest", p->name);
        else
            pg_error(ctx, &p->loc, "no retention rule: this policy would delete "
                     "every snapshot but the newest");
    }
    /* a disk name means one disk only within one subscription */
    for (size_t i = 0; pol_many_subscriptions(p) && i < p->ndisks; i++)
        if (strchr(p->disks[i], '/') == NULL) {
            pg_error(ctx, &s->val[PG_DISK], "disk \"%s\": a policy over several "
                     "subscriptions names its disks by resource ID "
                     "(/subscriptions/.../disks/NAME) or with `disks tagged`", p->disks[i]);
            break;
        }
    pg_check_policy(ctx, s);
}

static bool take(pg_ctx *ctx, pol_file *f, pg_scope *s)
{
    pol_policy **p = realloc(f->policies, (f->npolicies + 1) * sizeof *p);
    if (p == NULL) {
        pg_oom(ctx);
        return false;
    }
    f->policies = p;
    p[f->npolicies++] = s->pol;
    s->pol = NULL;
    return true;
}

pol_file *pg_compile(pg_ctx *ctx)
{
    pol_file *f = calloc(1, sizeof *f);
    if (f == NULL) {
        pg_oom(ctx);
        return NULL;
    }
    pg_scope *top = ctx->top;
    if (ctx->nblocks == 0) {
        f->bare = true;
        top->pol->name = anonymous_name(ctx->path);
        top->pol->anonymous = true;
        top->pol->loc = (pol_loc){ ctx->path, 1, 1 };
        if (top->pol->name == NULL)
            pg_oom(ctx);
        pg_finish_scope(ctx, top);
        pg_copy_compile(ctx, top);
        pg_recovery_check(ctx, top);
        take(ctx, f, top);
        return f;
    }
    for (size_t i = 0; i < top->pol->nrules; i++) {
        char q[PG_QUOTE_BUFSZ];
        pg_error(ctx, &top->pol->rules[i].loc, "rule %s outside any policy "
                 "block: in a file with blocks, rules go inside a block (the first "
                 "is on line %d)", pg_quote_rule(top->pol->rules[i].text, q, sizeof q),
                 ctx->first_block.line);
    }
    if (top->copy != NULL)
        pg_error(ctx, &top->copy_kw, "'copy-to' outside any policy block: in a file with "
                 "blocks, write it inside the block whose snapshots it copies (the first "
                 "is on line %d)", ctx->first_block.line);
    if (top->pol->timezone != NULL)
        eng_tz_free(load_zone(ctx, top, top->pol->timezone, true));
    for (pg_scope *b = ctx->blocks; b != NULL; b = b->next) {
        inherit(ctx, b, top);
        pg_recovery_inherit(ctx, b, top);
        pg_recovery_check(ctx, b);
        pg_finish_scope(ctx, b);
        pg_copy_compile(ctx, b);
        take(ctx, f, b);
    }
    return f;
}
