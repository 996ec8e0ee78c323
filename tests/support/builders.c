/* Test builders: see builders.h. */
#include "support/builders.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tb_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void tb_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("builders: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void *tb_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        tb_die("out of memory");
    return p;
}

static void *tb_grow(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        tb_die("out of memory");
    return p;
}

static char *tb_strdup(const char *s)
{
    if (s == NULL)
        return NULL;
    char *d = tb_alloc(strlen(s) + 1);
    memcpy(d, s, strlen(s) + 1);
    return d;
}

/* ---- time ---- */

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static int64_t tb_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

sk_time tb_time(const char *text)
{
    int y, mo, d, h = 0, mi = 0, s = 0, n = 0;
    size_t len = strlen(text);
    if (len == 10 && sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10)
        return tb_days(y, mo, d) * TB_DAY;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s, &n) == 6 &&
        (size_t)n == len)
        return tb_days(y, mo, d) * TB_DAY + (h * 3600 + mi * 60 + s) * SK_USEC_PER_SEC;
    n = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &n) == 5 &&
        (size_t)n == len)
        return tb_days(y, mo, d) * TB_DAY + (h * 3600 + mi * 60) * SK_USEC_PER_SEC;
    tb_die("bad time '%s'", text);
}

char *tb_time_str(sk_time t, char *buf, size_t n)
{
    int64_t sec = t / SK_USEC_PER_SEC - (t % SK_USEC_PER_SEC < 0);
    int64_t days = sec / 86400 - (sec % 86400 < 0);
    int64_t sod = sec - days * 86400;
    /* civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60));
    return buf;
}

eng_tz *tb_zone(const char *name)
{
    if (name == NULL || strcmp(name, "UTC") == 0)
        return eng_tz_utc();
    char path[256], err[256];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        tb_die("cannot open %s", path);
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap)
            data = tb_grow(data, cap = cap ? cap * 2 : 4096);
        size_t got = fread(data + len, 1, cap - len, f);
        if (got == 0)
            break;
        len += got;
    }
    fclose(f);
    eng_tz *tz = eng_tz_parse(name, data, len, err, sizeof err);
    free(data);
    if (tz == NULL)
        tb_die("zone %s: %s", name, err);
    return tz;
}

/* ---- policies ---- */

pol_policy *tb_policy(const char *name, bool anonymous, const char *zone)
{
    pol_policy *p = tb_alloc(sizeof *p);
    p->name = tb_strdup(name);
    p->anonymous = anonymous;
    p->loc = (pol_loc){ "test.policy", 1, 1 };
    p->timezone = tb_strdup(zone ? zone : "UTC");
    p->tz = tb_zone(zone);
    p->max_delete = -1;
    p->incremental = true;
    return p;
}

/* Words and quoted strings of one rule. */
typedef struct tb_tok {
    char text[128];
    bool quoted;
} tb_tok;

static size_t tb_tokens(const char *s, size_t len, tb_tok *tok, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len) {
        if (isspace((unsigned char)s[i])) {
            i++;
            continue;
        }
        if (n == max)
            tb_die("rule '%.*s': too many words", (int)len, s);
        tb_tok *t = &tok[n++];
        size_t k = 0;
        t->quoted = s[i] == '"';
        if (t->quoted) {
            for (i++; i < len && s[i] != '"' && k + 1 < sizeof t->text; i++)
                t->text[k++] = s[i];
            i++;
        } else if (s[i] == '=') {
            t->text[k++] = s[i++];
        } else {
            for (; i < len && !isspace((unsigned char)s[i]) && s[i] != '=' &&
                   k + 1 < sizeof t->text; i++)
                t->text[k++] = s[i];
        }
        t->text[k] = '\0';
    }
    return n;
}

static pol_duration tb_duration(const char *s)
{
    pol_duration d = { 0 };
    const char *p = s;
    while (*p != '\0') {
        if (!isdigit((unsigned char)*p))
            tb_die("bad duration '%s'", s);
        int64_t v = 0;
        for (; isdigit((unsigned char)*p); p++)
            v = v * 10 + (*p - '0');
        if (strncmp(p, "mo", 2) == 0) { d.months = v; p += 2; }
        else if (*p == 'y') { d.years = v; p++; }
        else if (*p == 'w') { d.weeks = v; p++; }
        else if (*p == 'd') { d.days = v; p++; }
        else if (*p == 'h') { d.hours = v; p++; }
        else if (*p == 'm') { d.minutes = v; p++; }
        else tb_die("bad duration '%s'", s);
    }
    return d;
}

static int64_t tb_count(const char *s)
{
    if (strcmp(s, "all") == 0)
        return POL_COUNT_ALL;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || v <= 0)
        tb_die("bad count '%s'", s);
    return v;
}

static bool tb_period(const char *s, eng_period *out)
{
    static const char *const adj[] = { "hourly", "daily", "weekly", "monthly", "yearly" };
    for (int i = 0; i < 5; i++)
        if (strcmp(s, adj[i]) == 0) {
            *out = (eng_period)i;
            return true;
        }
    return false;
}

static void tb_tagged_rule(pol_rule *r, const tb_tok *tok, size_t n)
{
    size_t i = 1;
    while (i < n) {
        if (!tok[i].quoted)
            tb_die("tagged: expected a quoted key");
        r->tags = tb_grow(r->tags, (r->ntags + 1) * sizeof *r->tags);
        pol_tag_match *m = &r->tags[r->ntags++];
        m->key = tb_strdup(tok[i].text);
        m->value = NULL;
        i++;
        if (i + 1 < n && strcmp(tok[i].text, "=") == 0 && tok[i + 1].quoted) {
            m->value = tb_strdup(tok[i + 1].text);
            i += 2;
        }
        if (i < n && strcmp(tok[i].text, "and") == 0)
            i++;
        else if (i < n)
            tb_die("tagged: expected 'and'");
    }
    if (r->ntags == 0)
        tb_die("tagged: no tag");
}

static void tb_rule_one(pol_policy *p, const char *s, size_t len)
{
    tb_tok tok[16];
    size_t n = tb_tokens(s, len, tok, 16);
    if (n == 0)
        return;
    p->rules = tb_grow(p->rules, (p->nrules + 1) * sizeof *p->rules);
    pol_rule *r = &p->rules[p->nrules];
    memset(r, 0, sizeof *r);
    r->loc = (pol_loc){ "test.policy", (int)p->nrules + 1, 1 };
    p->nrules++;
    char text[512];
    while (len > 0 && isspace((unsigned char)*s)) { s++; len--; }
    while (len > 0 && isspace((unsigned char)s[len - 1])) len--;
    snprintf(text, sizeof text, "%.*s", (int)len, s);
    r->text = tb_strdup(text);
    const char *w0 = tok[0].text;
    eng_period per;
    if (strcmp(w0, "keep-all") == 0 && n == 2) {
        r->kind = POL_KEEP_ALL;
        r->end = tb_duration(tok[1].text);
    } else if (strcmp(w0, "every") == 0 && n == 4 && strcmp(tok[2].text, "to") == 0) {
        r->kind = POL_EVERY;
        r->width = tb_duration(tok[1].text);
        r->end = tb_duration(tok[3].text);
        r->width_usec = (((r->width.weeks * 7 + r->width.days) * 24 + r->width.hours) * 60 +
                         r->width.minutes) * TB_MIN;
    } else if (strcmp(w0, "last") == 0 && n == 2) {
        r->kind = POL_LAST;
        r->count = tb_count(tok[1].text);
    } else if (strcmp(w0, "within") == 0 && n == 2) {
        r->kind = POL_WITHIN;
        r->window = tb_duration(tok[1].text);
    } else if (strcmp(w0, "tagged") == 0) {
        r->kind = POL_TAGGED;
        tb_tagged_rule(r, tok, n);
    } else if (tb_period(w0, &per) && n == 3 && strcmp(tok[1].text, "to") == 0) {
        r->kind = POL_CALENDAR_TIER;
        r->period = per;
        r->end = tb_duration(tok[2].text);
    } else if (tb_period(w0, &per) && n == 3 && strcmp(tok[1].text, "within") == 0) {
        r->kind = POL_PERIOD_WITHIN;
        r->period = per;
        r->window = tb_duration(tok[2].text);
    } else if (tb_period(w0, &per) && n == 2) {
        r->kind = POL_COUNT;
        r->period = per;
        r->count = tb_count(tok[1].text);
    } else {
        tb_die("cannot read rule '%s'", text);
    }
}

void tb_rules(pol_policy *p, const char *text)
{
    const char *s = text;
    bool quoted = false;
    for (const char *c = text;; c++) {
        if (*c == '"')
            quoted = !quoted;
        if (*c == '\0' || (!quoted && (*c == ',' || *c == ';' || *c == '\n'))) {
            tb_rule_one(p, s, (size_t)(c - s));
            if (*c == '\0')
                break;
            s = c + 1;
        }
    }
}

void tb_scope(pol_policy *p, const char *subscription, const char *resource_group)
{
    free(p->subscription);
    free(p->resource_group);
    p->subscription = tb_strdup(subscription);
    p->resource_group = tb_strdup(resource_group);
}

void tb_disk(pol_policy *p, const char *name_or_id)
{
    p->disks = tb_grow(p->disks, (p->ndisks + 1) * sizeof *p->disks);
    p->disks[p->ndisks++] = tb_strdup(name_or_id);
}

void tb_disk_tag(pol_policy *p, const char *key, const char *value)
{
    p->disk_tags = tb_grow(p->disk_tags, (p->ndisk_tags + 1) * sizeof *p->disk_tags);
    p->disk_tags[p->ndisk_tags++] = (pol_tag_match){ tb_strdup(key), tb_strdup(value) };
}

static void tb_tags_free(pol_tag_match *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].key);
        free(t[i].value);
    }
    free(t);
}

void tb_policy_free(pol_policy *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nrules; i++) {
        free(p->rules[i].text);
        tb_tags_free(p->rules[i].tags, p->rules[i].ntags);
    }
    free(p->rules);
    for (size_t i = 0; i < p->ndisks; i++)
        free(p->disks[i]);
    free(p->disks);
    tb_tags_free(p->disk_tags, p->ndisk_tags);
    tb_tags_free(p->extra_tags, p->nextra_tags);
    eng_tz_free(p->tz);
    free(p->name);
    free(p->timezone);
    free(p->subscription);
    free(p->resource_group);
    free(p->sku);
    free(p);
}

/* ---- inventories ---- */

inv_inventory *tb_inv(void)
{
    inv_inventory *inv = inv_new();
    if (inv == NULL)
        tb_die("out of memory");
    return inv;
}

static const char *tb_istr(inv_inventory *inv, const char *s)
{
    if (s == NULL)
        return NULL;
    const char *d = inv_strdup(inv, s, strlen(s));
    if (d == NULL)
        tb_die("out of memory");
    return d;
}

inv_snapshot *tb_snap(inv_inventory *inv, const char *name, const char *source_id,
                      sk_time created)
{
    char id[512];
    snprintf(id, sizeof id, "/subscriptions/" TB_SUB "/resourceGroups/rg/providers/"
             "Microsoft.Compute/snapshots/%s", name);
    /* Strings first: inv_strdup must not run after inv_add_snapshot hands
     * out a pointer the caller still holds (it does not move snapshots,
     * but keep the order obvious). */
    const char *n = tb_istr(inv, name), *i = tb_istr(inv, id), *src = tb_istr(inv, source_id);
    inv_snapshot *s = inv_add_snapshot(inv);
    if (s == NULL)
        tb_die("out of memory");
    s->name = n;
    s->id = i;
    s->source_id = src;
    s->created = created;
    s->incremental = true;
    return s;
}

static void tb_tag_append(inv_inventory *inv, inv_tag **tags, uint32_t *ntags,
                          const char *key, const char *value)
{
    inv_tag *t = inv_alloc(inv, (*ntags + 1) * sizeof *t);
    if (t == NULL)
        tb_die("out of memory");
    if (*ntags > 0)
        memcpy(t, *tags, *ntags * sizeof *t);
    t[*ntags] = (inv_tag){ tb_istr(inv, key), tb_istr(inv, value ? value : "") };
    *tags = t;
    (*ntags)++;
}

void tb_snap_tag(inv_inventory *inv, inv_snapshot *s, const char *key, const char *value)
{
    tb_tag_append(inv, &s->tags, &s->ntags, key, value);
}

void tb_snap_state(inv_inventory *inv, inv_snapshot *s, const char *state)
{
    s->provisioning_state = tb_istr(inv, state);
}

size_t tb_series(inv_inventory *inv, const char *prefix, const char *source_id,
                 sk_time from, sk_time to, int64_t step)
{
    size_t n = 0;
    char name[128], when[32];
    if (step <= 0)
        tb_die("tb_series: step must be positive");
    for (sk_time t = from; t <= to; t += step, n++) {
        tb_time_str(t, when, sizeof when);
        snprintf(name, sizeof name, "%s%s", prefix ? prefix : "", when + 5);
        tb_snap(inv, name, source_id, t);
    }
    return n;
}

void tb_hourly_policy(pol_policy *p)
{
    static char *disk_a[] = { (char *)"disk-a" };
    *p = (pol_policy){ .name = (char *)"p", .tz = eng_tz_utc(), .disks = disk_a, .ndisks = 1,
                       .max_delete = -1, .has_snapshot_every = true,
                       .snapshot_every = { .hours = 1 } };
    if (p->tz == NULL)
        tb_die("out of memory");
}

void *tb_hourly_new(size_t size)
{
    if (size < sizeof(tb_hourly_fixture))
        tb_die("tb_hourly_new: a fixture smaller than tb_hourly_fixture");
    tb_hourly_fixture *f = tb_alloc(size);
    tb_hourly_policy(&f->p);
    f->inv = tb_inv();
    return f;
}

void tb_hourly_delete(void *fixture)
{
    tb_hourly_fixture *f = fixture;
    if (f == NULL)
        return;
    eng_tz_free(f->p.tz);
    inv_free(f->inv);
    free(f);
}

inv_snapshot *tb_owned_snap(inv_inventory *inv, const char *name, const char *source_id,
                            sk_time created, const char *owner, const char *state)
{
    inv_snapshot *s = tb_snap(inv, name, source_id, created);
    if (state != NULL)
        tb_snap_state(inv, s, state);
    if (owner != NULL)
        tb_snap_tag(inv, s, POL_OWNER_TAG, owner);
    return s;
}

inv_disk *tb_inv_disk(inv_inventory *inv, const char *id)
{
    const char *i = tb_istr(inv, id);
    const char *slash = strrchr(id, '/');
    const char *name = tb_istr(inv, slash ? slash + 1 : id);
    inv_disk *d = inv_add_disk(inv);
    if (d == NULL)
        tb_die("out of memory");
    d->id = i;
    d->name = name;
    return d;
}

void tb_inv_disk_tag(inv_inventory *inv, inv_disk *d, const char *key, const char *value)
{
    tb_tag_append(inv, &d->tags, &d->ntags, key, value);
}

/* ---- plans ---- */

eng_plan *tb_eval(pol_policy *const *pols, size_t npols, const inv_inventory *inv,
                  sk_time now)
{
    eng_plan *plan = NULL;
    char err[256];
    if (eng_evaluate((const pol_policy *const *)pols, npols, inv, now, &plan, err,
                     sizeof err) != 0)
        tb_die("eng_evaluate: %s", err);
    return plan;
}

/* A growable string. */
typedef struct tb_str {
    char *p;
    size_t len, cap;
} tb_str;

static void tb_str_add(tb_str *s, const char *text)
{
    size_t n = strlen(text);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->p = tb_grow(s->p, s->cap);
    }
    memcpy(s->p + s->len, text, n + 1);
    s->len += n;
}

char *tb_kept(const eng_plan *plan)
{
    tb_str s = { 0 };
    tb_str_add(&s, "");
    for (size_t i = 0; i < plan->ndecisions; i++) {
        if (plan->decisions[i].action != ENG_KEEP)
            continue;
        if (s.len > 0)
            tb_str_add(&s, " ");
        tb_str_add(&s, plan->decisions[i].snap->name);
    }
    return s.p;
}

const eng_decision *tb_find(const eng_plan *plan, const char *name)
{
    for (size_t i = 0; i < plan->ndecisions; i++)
        if (strcmp(plan->decisions[i].snap->name, name) == 0)
            return &plan->decisions[i];
    return NULL;
}

char *tb_reasons(const eng_decision *d)
{
    tb_str s = { 0 };
    char buf[ENG_REASON_BUFSZ];
    tb_str_add(&s, "");
    for (uint32_t i = 0; i < d->nreasons; i++) {
        eng_reason_format(&d->reasons[i], buf, sizeof buf);
        if (i > 0)
            tb_str_add(&s, "; ");
        tb_str_add(&s, buf);
    }
    return s.p;
}

size_t tb_count_kept(const eng_plan *plan)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->ndecisions; i++)
        n += plan->decisions[i].action == ENG_KEEP;
    return n;
}
