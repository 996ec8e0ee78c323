/* copy-to "REGION" { resource-group "RG"; RULES }: the copies of a policy's
 * snapshots in a second region. The statements inside the braces are
 * recorded by the ordinary setting and rule actions (build.c) into a scope
 * of the copy's own, so every check a rule gets in a policy it gets here
 * too; this file rejects the settings a copy cannot take and turns the
 * scope into pol_copy once its owner is compiled. */
#include <stdlib.h>
#include <string.h>

#include "grammar/internal.h"

void pg_copy_begin(pg_ctx *ctx, char *region, const pol_loc *kw,
                   const pol_loc *region_loc, const pol_loc *brace)
{
    pg_scope *owner = ctx->cur;
    ctx->copy_brace = *brace;
    ctx->copy_parent = owner;
    pg_scope *c = (owner == NULL || pg_too_many(ctx, kw)) ? NULL : pg_scope_new(ctx, false);
    if (c == NULL) {
        free(region);
        ctx->copy_parent = NULL;
        return;
    }
    c->pol->loc = *kw;
    c->copy_kw = *kw;
    c->copy_region_loc = *region_loc;
    if (owner->copy != NULL) {
        /* read (so its own mistakes are reported) and dropped at its '}' */
        pg_error(ctx, kw, "a copy-to block is already written on line %d (one per policy)",
                 owner->copy_kw.line);
        owner->had_error = true;
        ctx->copy_spare = c;
        free(region);
    } else {
        owner->copy = c;
        owner->copy_kw = *kw;
        owner->copy_region_loc = *region_loc;
        owner->copy_region = region;
        if (region == NULL || region[0] == '\0')
            pg_error(ctx, region_loc, "empty copy-to region: name an Azure location, as in "
                     "copy-to \"northeurope\"");
        else if (strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(region))
            pg_error(ctx, region_loc, "copy-to region \"%s\" is not an Azure location name "
                     "(lower-case letters and digits, as in \"northeurope\")", region);
    }
    ctx->cur = c;
}

void pg_copy_end(pg_ctx *ctx)
{
    if (ctx->copy_parent != NULL) {
        if (ctx->cur != NULL && ctx->cur->had_error)
            ctx->copy_parent->had_error = true;
        ctx->cur = ctx->copy_parent;
    }
    ctx->copy_parent = NULL;
    pg_scope_free(ctx->copy_spare);
    ctx->copy_spare = NULL;
}

static char *dup_or_oom(pg_ctx *ctx, const char *s)
{
    char *d = s != NULL ? strdup(s) : NULL;
    if (s != NULL && d == NULL)
        pg_oom(ctx);
    return d;
}

/* Only where the copies go (subscription, resource-group) and rules: the
 * copies are made by the owner's run, from the owner's snapshots. */
static bool copy_settings_ok(pg_ctx *ctx, const pg_scope *c)
{
    bool ok = true;
    for (int s = 0; s < PG_NSETTINGS; s++) {
        if (c->set[s].line == 0 || s == PG_SUBSCRIPTION || s == PG_RESOURCE_GROUP)
            continue;
        pg_error(ctx, &c->set[s], "'%s' cannot go inside copy-to: a copy block takes "
                 "subscription, resource-group and retention rules (the copies are made "
                 "from the policy's own snapshots)", pg_setting_name((pg_setting)s));
        ok = false;
    }
    if (c->set[PG_RESOURCE_GROUP].line == 0) {
        pg_error(ctx, &c->copy_kw, "copy-to needs resource-group: the resource group in "
                 "the target region the copies are made in");
        ok = false;
    }
    return ok;
}

void pg_copy_compile(pg_ctx *ctx, pg_scope *owner)
{
    pg_scope *c = owner->copy;
    if (c == NULL || owner->pol == NULL)
        return;
    bool ok = copy_settings_ok(ctx, c);
    pol_policy *ret = c->pol;
    /* the copies are the owner's: its name is their ownership tag, its zone
     * their calendar (inherited, so a bad zone is reported once, at the owner) */
    /* a timezone written inside the block was refused above; its text goes */
    free(ret->name);
    ret->name = dup_or_oom(ctx, owner->pol->name);
    ret->anonymous = false;
    free(ret->timezone);
    ret->timezone = dup_or_oom(ctx, owner->pol->timezone);
    c->inherited[PG_TIMEZONE] = true;
    if (ret->nrules == 0 && !c->had_error) {
        pg_error(ctx, &c->copy_kw, "copy-to \"%s\" has no retention rule: it would delete "
                 "every copy but the newest", owner->copy_region ? owner->copy_region : "");
        c->had_error = true;
    }
    pg_finish_scope(ctx, c);
    pol_copy *pc = calloc(1, sizeof *pc);
    if (pc == NULL) {
        pg_oom(ctx);
        return;
    }
    pc->loc = c->copy_kw;
    pc->region = owner->copy_region;
    owner->copy_region = NULL;
    /* where the copies go is the copy's, not a scope for the evaluator: the
     * retention governs exactly the copies it is handed (engine/copies.h) */
    pc->subscription = ret->subscription;
    pc->resource_group = ret->resource_group;
    ret->subscription = ret->resource_group = NULL;
    pc->retention = ret;
    c->pol = NULL;
    owner->pol->copy = pc;
    (void)ok;
}
