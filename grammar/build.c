/* What the grammar's actions call: statements recorded into the current
 * scope, with the checks that need only the statement itself (duplicate
 * settings, zero counts, `every` widths in months). Strings handed in are
 * owned from then on, whatever happens. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grammar/internal.h"

static const char *const setting_names[PG_NSETTINGS] = {
    [PG_TIMEZONE] = "timezone", [PG_SUBSCRIPTION] = "subscription",
    [PG_RESOURCE_GROUP] = "resource-group", [PG_DISK] = "disk",
    [PG_DISKS_TAGGED] = "disks tagged", [PG_SNAPSHOT_EVERY] = "snapshot every",
    [PG_STALE_AFTER] = "stale-after", [PG_MAX_DELETE] = "max-delete",
    [PG_ADOPT] = "adopt untagged", [PG_INCREMENTAL] = "incremental",
    [PG_SKU] = "sku", [PG_TAG] = "tag", [PG_RETIRED] = "retired",
};

const char *pg_setting_name(pg_setting s)
{
    return setting_names[s];
}

/* The array grown by one element, or NULL (array untouched) when out of
 * memory. GROW assigns it back: ok = GROW(ctx, p->disks, p->ndisks). */
static void *grown(pg_ctx *ctx, void *arr, size_t n, size_t size)
{
    void *p = realloc(arr, (n + 1) * size);
    if (p == NULL)
        pg_oom(ctx);
    return p;
}
#define GROW(ctx, arr, n) \
    ((tmp = grown((ctx), (arr), (n), sizeof *(arr))) != NULL && ((arr) = tmp, true))

/* More statements than this is not a policy an admin wrote; the bound
 * also keeps the duplicate checks (quadratic) cheap on hostile input. */
#define PG_MAX_STATEMENTS 5000

bool pg_too_many(pg_ctx *ctx, const pol_loc *loc)
{
    if (++ctx->nstatements <= PG_MAX_STATEMENTS)
        return false;
    if (ctx->nstatements == PG_MAX_STATEMENTS + 1)
        pg_error(ctx, loc, "more than %d statements: the rest of the file is ignored",
                 PG_MAX_STATEMENTS);
    if (ctx->cur != NULL)
        ctx->cur->had_error = true;
    return true;
}

pg_scope *pg_scope_new(pg_ctx *ctx, bool is_block)
{
    pg_scope *s = calloc(1, sizeof *s);
    if (s != NULL)
        s->pol = calloc(1, sizeof *s->pol);
    if (s == NULL || s->pol == NULL) {
        free(s);
        pg_oom(ctx);
        return NULL;
    }
    s->is_block = is_block;
    s->pol->incremental = true;
    s->pol->max_delete = -1;
    return s;
}

void pg_scope_free(pg_scope *s)
{
    if (s == NULL)
        return;
    pol_policy_free(s->pol);
    pg_scope_free(s->copy);
    free(s->copy_region);
    free(s->aux);
    free(s->extra_tag_locs);
    free(s->disk_locs);
    free(s);
}

void pg_block_begin(pg_ctx *ctx, char *name, const pol_loc *kw,
                    const pol_loc *name_loc, const pol_loc *brace)
{
    pg_scope *s = pg_too_many(ctx, kw) ? NULL : pg_scope_new(ctx, true);
    if (s == NULL) {
        free(name);
        return;
    }
    s->pol->name = name;
    s->pol->loc = *kw;
    s->name_loc = *name_loc;
    s->brace_loc = *brace;
    if (name == NULL || name[0] == '\0') {
        pg_error(ctx, name_loc, "empty policy name");
        s->had_error = true;
    } else if (strlen(name) > 256) {
        pg_error(ctx, name_loc, "policy name longer than 256 bytes: it is written "
                 "as the value of the %s tag, which Azure limits to 256", POL_OWNER_TAG);
    }
    for (pg_scope *o = ctx->blocks; o != NULL && name != NULL; o = o->next)
        if (o->pol->name != NULL && strcmp(o->pol->name, name) == 0) {
            pg_error(ctx, name_loc, "policy \"%s\" is already defined on line %d",
                     name, o->pol->loc.line);
            break;
        }
    if (ctx->first_block.line == 0)
        ctx->first_block = *kw;
    *ctx->blocks_tail = s;
    ctx->blocks_tail = &s->next;
    ctx->nblocks++;
    ctx->cur = s;
}

void pg_block_end(pg_ctx *ctx)
{
    ctx->cur = ctx->top;
}

static bool repeatable(pg_setting which)
{
    return which == PG_DISK || which == PG_DISKS_TAGGED || which == PG_TAG;
}

/* Whether a setting may be recorded here; reports why not. */
static bool setting_begin(pg_ctx *ctx, pg_setting which, const pol_loc *kw,
                          const pol_loc *vloc)
{
    pg_scope *s = ctx->cur;
    if (s == NULL || pg_too_many(ctx, kw))
        return false;
    if (s == ctx->top && ctx->first_block.line != 0) {
        pg_error(ctx, kw, "'%s' after a policy block: top-level settings are "
                 "defaults and must come before the first block (line %d)",
                 setting_names[which], ctx->first_block.line);
        return false;
    }
    if (s->set[which].line != 0 && !repeatable(which)) {
        pg_error(ctx, kw, "'%s' is already set on line %d", setting_names[which],
                 s->set[which].line);
        return false;
    }
    if (s->set[which].line == 0) {
        s->set[which] = *kw;
        s->val[which] = *vloc;
    }
    return true;
}

static bool is_guid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i] != '\0'; i++) {
        bool hex = strchr("0123456789abcdefABCDEF", s[i]) != NULL && s[i] != '\0';
        if (shape[i] == '-' ? s[i] != '-' : !hex)
            return false;
    }
    return true;
}

static bool known_sku(const char *s)
{
    return strcmp(s, "Standard_LRS") == 0 || strcmp(s, "Standard_ZRS") == 0 ||
           strcmp(s, "Premium_LRS") == 0;
}

void pg_sub_add(pg_ctx *ctx, char *value, bool first, const pol_loc *loc)
{
    if (first)
        ctx->sub_skip = value == NULL || !setting_begin(ctx, PG_SUBSCRIPTION, loc, loc);
    if (ctx->sub_skip || value == NULL) {
        free(value);
        return;
    }
    pol_policy *p = ctx->cur->pol;
    if (value[0] == '\0') {
        pg_error(ctx, loc, "empty subscription");
        free(value);
        return;
    }
    if (!is_guid(value))
        pg_warning(ctx, loc, "subscription \"%s\" is not a subscription ID "
                   "(a GUID such as 00000000-0000-0000-0000-000000000000)", value);
    for (size_t i = 0; i < p->nsubscriptions; i++)
        if (strcasecmp(p->subscriptions[i], value) == 0) {
            pg_error(ctx, loc, "subscription \"%s\" is named twice", value);
            free(value);
            return;
        }
    char **n = realloc(p->subscriptions, (p->nsubscriptions + 1) * sizeof *n);
    if (n == NULL) {
        pg_oom(ctx);
        free(value);
        return;
    }
    p->subscriptions = n;
    n[p->nsubscriptions++] = value;
    /* `subscription` is the one named, and only while there is one */
    free(p->subscription);
    p->subscription = NULL;
    if (p->nsubscriptions == 1 && (p->subscription = strdup(value)) == NULL)
        pg_oom(ctx);
}

void pg_sub_all(pg_ctx *ctx, const pol_loc *kw, const pol_loc *vloc)
{
    if (setting_begin(ctx, PG_SUBSCRIPTION, kw, vloc))
        ctx->cur->pol->all_subscriptions = true;
}

void pg_set_string(pg_ctx *ctx, pg_setting which, char *value,
                   const pol_loc *kw, const pol_loc *vloc)
{
    if (value == NULL || !setting_begin(ctx, which, kw, vloc)) {
        free(value);
        return;
    }
    pol_policy *p = ctx->cur->pol;
    void *tmp;
    if (value[0] == '\0') {
        pg_error(ctx, vloc, "empty %s", setting_names[which]);
        free(value);
        return;
    }
    switch (which) {
    case PG_TIMEZONE:
        p->timezone = value;
        break;
    case PG_RESOURCE_GROUP:
        p->resource_group = value;
        break;
    case PG_SKU:
        if (!known_sku(value))
            pg_warning(ctx, vloc, "sku \"%s\" is not one Azure accepts for snapshots "
                       "(Standard_LRS, Standard_ZRS, Premium_LRS)", value);
        p->sku = value;
        break;
    case PG_DISK:
        for (size_t i = 0; i < p->ndisks; i++)
            if (strcasecmp(p->disks[i], value) == 0) {
                pg_warning(ctx, vloc, "disk \"%s\" is listed twice", value);
                free(value);
                return;
            }
        if (!GROW(ctx, ctx->cur->disk_locs, p->ndisks) || !GROW(ctx, p->disks, p->ndisks)) {
            free(value);
            return;
        }
        ctx->cur->disk_locs[p->ndisks] = *vloc;
        p->disks[p->ndisks++] = value;
        break;
    default:
        free(value);
        break;
    }
}

void pg_set_duration(pg_ctx *ctx, pg_setting which, pg_dur d,
                     const pol_loc *kw, const pol_loc *vloc)
{
    if (!d.ok) {
        ctx->cur->had_error = true;
        return;
    }
    if (!setting_begin(ctx, which, kw, vloc))
        return;
    pol_policy *p = ctx->cur->pol;
    if (which == PG_SNAPSHOT_EVERY) {
        if (d.d.years != 0 || d.d.months != 0) {
            pg_error(ctx, vloc, "'snapshot every' takes m, h, d or w: months and "
                     "years have no fixed length");
            return;
        }
        p->has_snapshot_every = true;
        p->snapshot_every = d.d;
    } else if (which == PG_STALE_AFTER) {
        p->has_stale_after = true;
        p->stale_after = d.d;
    }
}

void pg_set_retired(pg_ctx *ctx, pol_retired_kind kind, pg_dur d,
                    const pol_loc *kw, const pol_loc *vloc)
{
    if (kind == POL_RETIRED_FOR && !d.ok) {
        ctx->cur->had_error = true;
        return;
    }
    if (!setting_begin(ctx, PG_RETIRED, kw, vloc))
        return;
    pol_policy *p = ctx->cur->pol;
    p->retired = kind;
    if (kind == POL_RETIRED_FOR)
        p->retired_for = d.d;
}

void pg_set_number(pg_ctx *ctx, pg_setting which, pg_num n,
                   const pol_loc *kw, const pol_loc *vloc)
{
    if (!n.ok) {
        ctx->cur->had_error = true;
        return;
    }
    if (setting_begin(ctx, which, kw, vloc) && which == PG_MAX_DELETE)
        ctx->cur->pol->max_delete = n.v;
}

void pg_set_flag(pg_ctx *ctx, pg_setting which, bool value,
                 const pol_loc *kw, const pol_loc *vloc)
{
    if (!setting_begin(ctx, which, kw, vloc))
        return;
    if (which == PG_ADOPT)
        ctx->cur->pol->adopt_untagged = value;
    else if (which == PG_INCREMENTAL)
        ctx->cur->pol->incremental = value;
}

void pg_tag_free(pg_tag *t)
{
    free(t->key);
    free(t->value);
    t->key = t->value = NULL;
}

static void add_extra_tag(pg_ctx *ctx, pg_tag *tag)
{
    pg_scope *s = ctx->cur;
    pol_policy *p = s->pol;
    if (strcasecmp(tag->key, POL_OWNER_TAG) == 0) {
        pg_error(ctx, &tag->loc, "tag \"%s\" is the ownership tag: snapkeep writes "
                 "it itself, with the policy's name", tag->key);
        return;
    }
    if (tag->value == NULL) {
        pg_error(ctx, &tag->loc, "tag \"%s\" needs a value: tag \"%s\" = \"VALUE\"",
                 tag->key, tag->key);
        return;
    }
    for (size_t i = 0; i < p->nextra_tags; i++)
        if (strcasecmp(p->extra_tags[i].key, tag->key) == 0) {
            pg_error(ctx, &tag->loc, "tag \"%s\" is already set on line %d "
                     "(tag names ignore case)", tag->key, s->extra_tag_locs[i].line);
            return;
        }
    void *tmp;
    if (!GROW(ctx, p->extra_tags, p->nextra_tags) ||
        !GROW(ctx, s->extra_tag_locs, p->nextra_tags))
        return;
    p->extra_tags[p->nextra_tags].key = tag->key;
    p->extra_tags[p->nextra_tags].value = tag->value;
    s->extra_tag_locs[p->nextra_tags++] = tag->loc;
    tag->key = tag->value = NULL;
}

void pg_set_tag(pg_ctx *ctx, pg_setting which, pg_tag tag, const pol_loc *kw)
{
    if (tag.key == NULL || !setting_begin(ctx, which, kw, &tag.loc)) {
        pg_tag_free(&tag);
        return;
    }
    pol_policy *p = ctx->cur->pol;
    void *tmp;
    if (tag.key[0] == '\0') {
        pg_error(ctx, &tag.loc, "empty tag name");
    } else if (which == PG_TAG) {
        add_extra_tag(ctx, &tag);
    } else if (GROW(ctx, p->disk_tags, p->ndisk_tags)) {
        p->disk_tags[p->ndisk_tags].key = tag.key;
        p->disk_tags[p->ndisk_tags++].value = tag.value;
        tag.key = tag.value = NULL;
    }
    pg_tag_free(&tag);
}

pg_tags *pg_tags_add(pg_ctx *ctx, pg_tags *list, pg_tag tag)
{
    void *tmp;
    if (list == NULL && (list = calloc(1, sizeof *list)) == NULL) {
        pg_oom(ctx);
        pg_tag_free(&tag);
        return NULL;
    }
    if (!GROW(ctx, list->items, list->n) || !GROW(ctx, list->locs, list->n)) {
        pg_tag_free(&tag);
        return list;
    }
    list->items[list->n].key = tag.key;
    list->items[list->n].value = tag.value;
    list->locs[list->n++] = tag.loc;
    return list;
}

void pg_tags_free(pg_tags *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->items[i].key);
        free(t->items[i].value);
    }
    free(t->items);
    free(t->locs);
    free(t);
}

/* Appends a zeroed rule and its aux record to the current scope. */
static pol_rule *rule_new(pg_ctx *ctx, pol_rule_kind kind, const pol_loc *first)
{
    pg_scope *s = ctx->cur;
    pol_policy *p = s->pol;
    void *tmp;
    if (pg_too_many(ctx, first))
        return NULL;
    if (!GROW(ctx, p->rules, p->nrules) || !GROW(ctx, s->aux, p->nrules))
        return NULL;
    pol_rule *r = &p->rules[p->nrules];
    memset(r, 0, sizeof *r);
    memset(&s->aux[p->nrules], 0, sizeof s->aux[p->nrules]);
    p->nrules++;
    r->kind = kind;
    r->loc = *first;
    return r;
}

static void rule_done(pg_ctx *ctx, pol_rule *r)
{
    r->text = pg_rule_text(r);
    if (r->text == NULL)
        pg_oom(ctx);
}

void pg_rule_duration(pg_ctx *ctx, pol_rule_kind kind, eng_period period,
                      pg_dur d, const pol_loc *first, const pol_loc *dloc)
{
    if (!d.ok) {
        ctx->cur->had_error = true;
        return;
    }
    pol_rule *r = rule_new(ctx, kind, first);
    if (r == NULL)
        return;
    r->period = period;
    if (kind == POL_WITHIN || kind == POL_PERIOD_WITHIN)
        r->window = d.d;
    else
        r->end = d.d;
    ctx->cur->aux[ctx->cur->pol->nrules - 1].end_loc = *dloc;
    rule_done(ctx, r);
}

void pg_rule_every(pg_ctx *ctx, pg_dur width, pg_dur end, const pol_loc *first,
                   const pol_loc *wloc, const pol_loc *eloc)
{
    if (!width.ok || !end.ok) {
        ctx->cur->had_error = true;
        return;
    }
    if (width.d.years != 0 || width.d.months != 0) {
        pg_error(ctx, wloc, "an 'every' width cannot use mo or y: months and years "
                 "have no fixed length (use monthly or yearly to ...)");
        ctx->cur->had_error = true;
        return;
    }
    pol_rule *r = rule_new(ctx, POL_EVERY, first);
    if (r == NULL)
        return;
    r->width = width.d;
    r->width_usec = pol_duration_fixed_usec(&width.d);
    r->end = end.d;
    ctx->cur->aux[ctx->cur->pol->nrules - 1].width_loc = *wloc;
    ctx->cur->aux[ctx->cur->pol->nrules - 1].end_loc = *eloc;
    rule_done(ctx, r);
}

void pg_rule_count(pg_ctx *ctx, pol_rule_kind kind, eng_period period,
                   pg_num count, const pol_loc *first, const pol_loc *cloc)
{
    if (!count.ok) {
        ctx->cur->had_error = true;
        return;
    }
    if (count.v == 0) {
        pg_error(ctx, cloc, "count 0 keeps nothing: counts start at 1 "
                 "('all' for no limit)");
        ctx->cur->had_error = true;
        return;
    }
    pol_rule *r = rule_new(ctx, kind, first);
    if (r == NULL)
        return;
    r->period = period;
    r->count = count.v;
    ctx->cur->aux[ctx->cur->pol->nrules - 1].end_loc = *cloc;
    rule_done(ctx, r);
}

void pg_rule_tagged(pg_ctx *ctx, pg_tags *tags, const pol_loc *first)
{
    if (tags == NULL)
        return;
    for (size_t i = 0; i < tags->n; i++)
        if (tags->items[i].key == NULL || tags->items[i].key[0] == '\0') {
            pg_error(ctx, &tags->locs[i], "empty tag name");
            ctx->cur->had_error = true;
            pg_tags_free(tags);
            return;
        }
    pol_rule *r = rule_new(ctx, POL_TAGGED, first);
    if (r == NULL) {
        pg_tags_free(tags);
        return;
    }
    r->tags = tags->items;
    r->ntags = tags->n;
    tags->items = NULL;
    tags->n = 0;
    pg_tags_free(tags);
    rule_done(ctx, r);
}
