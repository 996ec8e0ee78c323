/* The recovery { } block: where the recovery commands find the VMs, the
 * verify command and the failover topology when no flag names them. Each
 * setting is checked where it was written (names, paths, bounds); a
 * policy block's settings override the top level's one by one, so the
 * shared ones (scratch-vm, verify, device-dir) can be written once. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grammar/internal.h"

static const char *const rec_names[PG_NREC] = {
    [PG_R_VM] = "vm", [PG_R_SCRATCH_VM] = "scratch-vm", [PG_R_VERIFY] = "verify",
    [PG_R_VERIFY_TIMEOUT] = "verify-timeout", [PG_R_DEVICE_DIR] = "device-dir",
    [PG_R_STANDBY] = "standby", [PG_R_PUBLIC_IP] = "public-ip",
    [PG_R_DNS_RECORD] = "dns-record", [PG_R_DNS_ZONE_KIND] = "dns-zone-kind",
    [PG_R_START_STANDBY] = "start-standby",
};

const char *pg_rec_setting_name(pg_rec_setting s)
{
    return rec_names[s];
}

void pg_recovery_begin(pg_ctx *ctx, const pol_loc *kw, const pol_loc *brace)
{
    pg_scope *s = ctx->cur;
    ctx->rec_open = true;
    ctx->rec_brace = *brace;
    ctx->in_rec = NULL;
    if (s == NULL || pg_too_many(ctx, kw))
        return;
    /* Its settings are then not read at all: one message, not one per line. */
    if (s == ctx->top && ctx->first_block.line != 0) {
        pg_error(ctx, kw, "'recovery' after a policy block: top-level settings are "
                 "defaults and must come before the first block (line %d)",
                 ctx->first_block.line);
        return;
    }
    if (s->rec != NULL) {
        pg_error(ctx, kw, "a recovery block is already written on line %d "
                 "(one %s)", s->rec->loc.line, s->is_block ? "per policy" : "at the top level");
        return;
    }
    pol_recovery *r = calloc(1, sizeof *r);
    if (r == NULL) {
        pg_oom(ctx);
        return;
    }
    r->loc = *kw;
    r->start_standby = true;
    s->rec = r;
    s->pol->recovery = r;   /* owned by the policy from here on */
    ctx->in_rec = r;
}

void pg_recovery_end(pg_ctx *ctx)
{
    ctx->rec_open = false;
    ctx->in_rec = NULL;
}

/* Whether a recovery setting may be recorded; reports a repeat. */
static bool rec_begin(pg_ctx *ctx, pg_rec_setting which, const pol_loc *kw,
                      const pol_loc *vloc)
{
    pg_scope *s = ctx->cur;
    if (ctx->in_rec == NULL || s == NULL || pg_too_many(ctx, kw))
        return false;
    if (s->rec_set[which].line != 0) {
        pg_error(ctx, kw, "'%s' is already set on line %d", rec_names[which],
                 s->rec_set[which].line);
        return false;
    }
    s->rec_set[which] = *kw;
    s->rec_val[which] = *vloc;
    return true;
}

/* Azure's rule for VM names: 1 to 64 letters, digits, '_', '-' or '.',
 * not ending in '.' or '-'. */
static bool vm_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[n - 1] == '.' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

/* /subscriptions/S/resourceGroups/G/providers/Microsoft.Compute/
 * virtualMachines/NAME, segments compared as ARM does (ignoring case). */
static bool vm_id_ok(const char *s)
{
    static const char *const shape[] = {
        "subscriptions", NULL, "resourceGroups", NULL, "providers",
        "Microsoft.Compute", "virtualMachines"
    };
    const char *p = s;
    for (size_t i = 0; i < sizeof shape / sizeof shape[0]; i++) {
        if (*p != '/')
            return false;
        p++;
        size_t n = strcspn(p, "/");
        if (n == 0 || (shape[i] != NULL &&
                       (strlen(shape[i]) != n || strncasecmp(p, shape[i], n) != 0)))
            return false;
        p += n;
    }
    if (*p != '/')
        return false;
    p++;
    return vm_name_ok(p, strlen(p));
}

static void check_vm(pg_ctx *ctx, pg_rec_setting which, const char *v, const pol_loc *vloc)
{
    if (v[0] == '/') {
        if (!vm_id_ok(v))
            pg_error(ctx, vloc, "%s \"%s\" is not a virtual machine resource ID "
                     "(/subscriptions/SUB/resourceGroups/GROUP/providers/"
                     "Microsoft.Compute/virtualMachines/NAME)", rec_names[which], v);
    } else if (!vm_name_ok(v, strlen(v))) {
        pg_error(ctx, vloc, "%s \"%s\" is not an Azure VM name (1 to 64 letters, "
                 "digits, '_', '-' or '.', not ending in '.' or '-') nor a VM "
                 "resource ID", rec_names[which], v);
    }
}

/* "ZONE/NAME": exactly one '/', text on both sides. */
static bool split_record(pg_ctx *ctx, pol_recovery *r, const char *v, const pol_loc *vloc)
{
    const char *slash = strchr(v, '/');
    if (slash == NULL || slash == v || slash[1] == '\0' || strchr(slash + 1, '/') != NULL) {
        pg_error(ctx, vloc, "dns-record \"%s\" must be ZONE/NAME with exactly one '/', "
                 "as in \"dss.internal/data\"", v);
        return false;
    }
    r->dns_zone = strndup(v, (size_t)(slash - v));
    r->dns_name = strdup(slash + 1);
    if (r->dns_zone == NULL || r->dns_name == NULL) {
        free(r->dns_zone);
        free(r->dns_name);
        r->dns_zone = r->dns_name = NULL;
        pg_oom(ctx);
        return false;
    }
    return true;
}

void pg_rec_string(pg_ctx *ctx, pg_rec_setting which, char *value,
                   const pol_loc *kw, const pol_loc *vloc)
{
    if (value == NULL || !rec_begin(ctx, which, kw, vloc)) {
        free(value);
        return;
    }
    pol_recovery *r = ctx->in_rec;
    char **slot = NULL;
    if (value[0] == '\0') {
        pg_error(ctx, vloc, which == PG_R_VERIFY ? "empty verify command" : "empty %s",
                 rec_names[which]);
        free(value);
        return;
    }
    switch (which) {
    case PG_R_VM:         slot = &r->vm; break;
    case PG_R_SCRATCH_VM: slot = &r->scratch_vm; break;
    case PG_R_STANDBY:    slot = &r->standby; break;
    case PG_R_VERIFY:     slot = &r->verify; break;
    case PG_R_PUBLIC_IP:  slot = &r->public_ip; break;
    case PG_R_DEVICE_DIR:
        if (value[0] != '/') {
            pg_error(ctx, vloc, "device-dir \"%s\" is not an absolute path (it is the "
                     "directory where attached disks appear, such as %s)", value,
                     POL_RECOVERY_DEVICE_DIR);
            break;
        }
        slot = &r->device_dir;
        break;
    case PG_R_DNS_RECORD:
        split_record(ctx, r, value, vloc);
        break;
    case PG_R_DNS_ZONE_KIND:
        if (strcmp(value, "private") == 0 || strcmp(value, "public") == 0) {
            r->has_dns_zone_kind = true;
            r->dns_zone_kind = value[1] == 'r' ? POL_DNS_PRIVATE : POL_DNS_PUBLIC;
        } else {
            pg_error(ctx, vloc, "dns-zone-kind is private (Azure Private DNS) or "
                     "public (Azure DNS), not '%s'", value);
        }
        break;
    case PG_R_VERIFY_TIMEOUT:
    case PG_R_START_STANDBY:
    case PG_NREC:
        break;
    }
    if (which == PG_R_VM || which == PG_R_SCRATCH_VM || which == PG_R_STANDBY)
        check_vm(ctx, which, value, vloc);
    if (slot != NULL) {
        *slot = value;
        return;
    }
    free(value);
}

void pg_rec_duration(pg_ctx *ctx, pg_rec_setting which, pg_dur d,
                     const pol_loc *kw, const pol_loc *vloc)
{
    if (!d.ok) {
        ctx->cur->had_error = true;
        return;
    }
    if (!rec_begin(ctx, which, kw, vloc) || which != PG_R_VERIFY_TIMEOUT)
        return;
    if (d.d.years != 0 || d.d.months != 0) {
        pg_error(ctx, vloc, "verify-timeout takes m, h or d: months and years have "
                 "no fixed length");
        return;
    }
    int64_t sec = pol_duration_fixed_usec(&d.d) / SK_USEC_PER_SEC;
    if (sec > POL_RECOVERY_VERIFY_TIMEOUT_MAX_SEC) {
        char buf[64];
        pol_duration_format(&d.d, buf, sizeof buf);
        pg_error(ctx, vloc, "verify-timeout %s is longer than 24h: a drill holds its "
                 "disks attached while the command runs", buf);
        return;
    }
    ctx->in_rec->has_verify_timeout = true;
    ctx->in_rec->verify_timeout_sec = sec;
}

void pg_rec_flag(pg_ctx *ctx, pg_rec_setting which, bool value,
                 const pol_loc *kw, const pol_loc *vloc)
{
    if (!rec_begin(ctx, which, kw, vloc) || which != PG_R_START_STANDBY)
        return;
    ctx->in_rec->has_start_standby = true;
    ctx->in_rec->start_standby = value;
}

static char *dup_or_oom(pg_ctx *ctx, const char *s)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        pg_oom(ctx);
    return d;
}

static void inherit_one(pg_ctx *ctx, pol_recovery *b, const pol_recovery *t,
                        pg_rec_setting s)
{
    switch (s) {
    case PG_R_VM:         b->vm = dup_or_oom(ctx, t->vm); break;
    case PG_R_SCRATCH_VM: b->scratch_vm = dup_or_oom(ctx, t->scratch_vm); break;
    case PG_R_VERIFY:     b->verify = dup_or_oom(ctx, t->verify); break;
    case PG_R_DEVICE_DIR: b->device_dir = dup_or_oom(ctx, t->device_dir); break;
    case PG_R_STANDBY:    b->standby = dup_or_oom(ctx, t->standby); break;
    case PG_R_PUBLIC_IP:  b->public_ip = dup_or_oom(ctx, t->public_ip); break;
    case PG_R_DNS_RECORD:
        b->dns_zone = dup_or_oom(ctx, t->dns_zone);
        b->dns_name = dup_or_oom(ctx, t->dns_name);
        break;
    case PG_R_VERIFY_TIMEOUT:
        b->has_verify_timeout = t->has_verify_timeout;
        b->verify_timeout_sec = t->verify_timeout_sec;
        break;
    case PG_R_DNS_ZONE_KIND:
        b->has_dns_zone_kind = t->has_dns_zone_kind;
        b->dns_zone_kind = t->dns_zone_kind;
        break;
    case PG_R_START_STANDBY:
        b->has_start_standby = t->has_start_standby;
        b->start_standby = t->start_standby;
        break;
    case PG_NREC:
        break;
    }
}

/* A policy without a recovery block takes the top level's whole; one with
 * a block takes each setting it does not write itself. */
void pg_recovery_inherit(pg_ctx *ctx, pg_scope *b, const pg_scope *top)
{
    const pol_recovery *t = top->rec;
    if (t == NULL)
        return;
    if (b->rec == NULL) {
        pol_recovery *r = calloc(1, sizeof *r);
        if (r == NULL) {
            pg_oom(ctx);
            return;
        }
        r->loc = t->loc;
        r->start_standby = true;
        b->rec = r;
        b->pol->recovery = r;
    }
    for (int s = 0; s < PG_NREC; s++) {
        if (top->rec_set[s].line == 0 || b->rec_set[s].line != 0)
            continue;
        inherit_one(ctx, b->rec, t, (pg_rec_setting)s);
        b->rec_set[s] = top->rec_set[s];
        b->rec_val[s] = top->rec_val[s];
    }
}

/* The same VM on both sides of a failover, or a zone kind with no record
 * to apply it to: valid syntax, but not what anyone meant. Checked per
 * policy after inheritance; a mistake several blocks inherit is reported
 * once (diag.c drops repeats at one place). */
void pg_recovery_check(pg_ctx *ctx, const pg_scope *s)
{
    const pol_recovery *r = s->rec;
    if (r == NULL)
        return;
    if (r->vm != NULL && r->standby != NULL && strcasecmp(r->vm, r->standby) == 0)
        pg_error(ctx, &s->rec_val[PG_R_STANDBY], "standby \"%s\" is the production vm "
                 "itself (line %d): a failover needs another VM", r->standby,
                 s->rec_set[PG_R_VM].line);
    if (r->has_dns_zone_kind && r->dns_zone == NULL && s->rec_set[PG_R_DNS_RECORD].line == 0)
        pg_warning(ctx, &s->rec_val[PG_R_DNS_ZONE_KIND], "dns-zone-kind without a "
                   "dns-record has no effect");
}
