/* The parser and compiler on valid input: the rule tree's fields, settings
 * and inheritance, anonymous naming, locations, the tree of every file in
 * policies/, and the same tree from a file as from a string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/evaluate.h"
#include "engine/inventory.h"
#include "grammar/parse.h"

/* A growing text buffer for tree dumps. */
typedef struct out { char buf[16384]; size_t n; } out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->n, sizeof o->buf - o->n, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof o->buf - o->n);
    o->n += (size_t)n;
}

static const char *dur(const pol_duration *d, char *buf)
{
    if (pol_duration_is_zero(d))
        return "-";
    pol_duration_format(d, buf, 64);
    return buf;
}

static void dump_tags(out *o, const char *what, const pol_tag_match *t, size_t n)
{
    put(o, " %s=[", what);
    for (size_t i = 0; i < n; i++)
        put(o, "%s%s=%s", i ? "," : "", t[i].key, t[i].value ? t[i].value : "*");
    put(o, "]");
}

/* Every field of the tree, one line per policy and per rule. */
static void dump_policy(out *o, const pol_policy *p)
{
    char a[64], b[64], c[64];
    put(o, "policy %s%s @%d:%d tz=%s(%s) sub=%s rg=%s disks=[", p->name,
        p->anonymous ? " (anonymous)" : "", p->loc.line, p->loc.col, p->timezone,
        p->tz ? eng_tz_name(p->tz) : "NULL", p->subscription ? p->subscription : "-",
        p->resource_group ? p->resource_group : "-");
    for (size_t i = 0; i < p->ndisks; i++)
        put(o, "%s%s", i ? "," : "", p->disks[i]);
    put(o, "]");
    dump_tags(o, "disktags", p->disk_tags, p->ndisk_tags);
    put(o, " every=%s stale=%s maxdel=%lld adopt=%d incr=%d sku=%s",
        p->has_snapshot_every ? dur(&p->snapshot_every, a) : "-",
        p->has_stale_after ? dur(&p->stale_after, b) : "-", (long long)p->max_delete,
        p->adopt_untagged, p->incremental, p->sku ? p->sku : "-");
    dump_tags(o, "tags", p->extra_tags, p->nextra_tags);
    put(o, "\n");
    for (size_t i = 0; i < p->nrules; i++) {
        const pol_rule *r = &p->rules[i];
        put(o, "  %d:%d k%d p%d end=%s width=%s/%lld window=%s count=%lld \"%s\"",
            r->loc.line, r->loc.col, (int)r->kind, (int)r->period, dur(&r->end, a),
            dur(&r->width, b), (long long)r->width_usec, dur(&r->window, c),
            (long long)r->count, r->text);
        assert_ptr_equal(r->loc.file, p->loc.file);
        if (r->ntags > 0)
            dump_tags(o, "match", r->tags, r->ntags);
        put(o, "\n");
    }
}

static void dump_file(out *o, const pol_file *f)
{
    o->n = 0;
    o->buf[0] = '\0';
    put(o, "%s bare=%d\n", f->path, f->bare);
    for (size_t i = 0; i < f->npolicies; i++) {
        assert_ptr_equal(f->policies[i]->loc.file, f->path);
        dump_policy(o, f->policies[i]);
    }
}

/* Parses text that must be valid and warning-free; fails with the
 * rendered diagnostics otherwise. */
static pol_file *parse_ok(const char *name, const char *text)
{
    pol_diags d = { 0 };
    pol_file *f = pol_parse_string(name, text, strlen(text), &pol_zones_host, &d);
    if (f == NULL || d.n > 0) {
        char *r = d.n > 0 ? pol_diag_render(&d.items[0]) : NULL;
        fail_msg("%s: %s", name, r ? r : "(no diagnostic)");
    }
    pol_diags_free(&d);
    return f;
}

typedef struct rule_case {
    const char *in;
    const char *dump;   /* the rule's line of dump_policy */
} rule_case;

/* kinds: 0 keep-all 1 every 2 calendar tier 3 last 4 count 5 within
 * 6 period-within 7 tagged; periods: 0 hour 1 day 2 week 3 month 4 year */
static const rule_case rules[] = {
    { "keep-all 24h", "1:1 k0 p1 end=24h width=-/0 window=- count=0 \"keep-all 24h\"" },
    { "keep-all 1d12h", "1:1 k0 p1 end=1d12h width=-/0 window=- count=0 \"keep-all 1d12h\"" },
    { "every 12h to 7d", "1:1 k1 p0 end=7d width=12h/43200000000 window=- count=0 "
      "\"every 12h to 7d\"" },
    { "every 1w to 1y", "1:1 k1 p0 end=1y width=1w/604800000000 window=- count=0 "
      "\"every 1w to 1y\"" },
    { "every 90m to 2d", "1:1 k1 p0 end=2d width=90m/5400000000 window=- count=0 "
      "\"every 90m to 2d\"" },
    { "hourly to 2d", "1:1 k2 p0 end=2d width=-/0 window=- count=0 \"hourly to 2d\"" },
    { "daily to 15d", "1:1 k2 p1 end=15d width=-/0 window=- count=0 \"daily to 15d\"" },
    { "weekly to 3mo", "1:1 k2 p2 end=3mo width=-/0 window=- count=0 \"weekly to 3mo\"" },
    { "monthly to 1y1d1mo", "1:1 k2 p3 end=1y1mo1d width=-/0 window=- count=0 "
      "\"monthly to 1y1mo1d\"" },
    { "yearly to 9999y", "1:1 k2 p4 end=9999y width=-/0 window=- count=0 \"yearly to 9999y\"" },
    { "last 3", "1:1 k3 p1 end=- width=-/0 window=- count=3 \"last 3\"" },
    { "last all", "1:1 k3 p1 end=- width=-/0 window=- count=-1 \"last all\"" },
    { "hourly 24", "1:1 k4 p0 end=- width=-/0 window=- count=24 \"hourly 24\"" },
    { "weekly all", "1:1 k4 p2 end=- width=-/0 window=- count=-1 \"weekly all\"" },
    { "yearly 5", "1:1 k4 p4 end=- width=-/0 window=- count=5 \"yearly 5\"" },
    { "within 2w", "1:1 k5 p1 end=- width=-/0 window=2w count=0 \"within 2w\"" },
    { "monthly within 1y", "1:1 k6 p3 end=- width=-/0 window=1y count=0 "
      "\"monthly within 1y\"" },
    { "tagged \"legal-hold\"", "1:1 k7 p0 end=- width=-/0 window=- count=0 "
      "\"tagged \"legal-hold\"\" match=[legal-hold=*]" },
    { "  tagged \"a\" = \"1\" and \"b\"", "1:3 k7 p0 end=- width=-/0 window=- count=0 "
      "\"tagged \"a\" = \"1\" and \"b\"\" match=[a=1,b=*]" },
    { "tagged \"q\\\"x\"", "1:1 k7 p0 end=- width=-/0 window=- count=0 "
      "\"tagged \"q\\\"x\"\" match=[q\"x=*]" },
};

static void test_rule_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        pol_file *f = parse_ok("r.policy", rules[i].in);
        out o = { .n = 0 };
        assert_int_equal(f->npolicies, 1);
        assert_int_equal(f->policies[0]->nrules, 1);
        dump_policy(&o, f->policies[0]);
        const char *rule = strchr(o.buf, '\n') + 3;
        if (strncmp(rule, rules[i].dump, strlen(rules[i].dump)) != 0 ||
            rule[strlen(rules[i].dump)] != '\n')
            fail_msg("%s\n got  %s want %s", rules[i].in, rule, rules[i].dump);
        pol_file_free(f);
    }
}

/* Separators: newline, ',' and ';' are the same; blank statements are fine. */
static void test_separators(void **state)
{
    (void)state;
    const char *forms[] = {
        "keep-all 24h\nevery 12h to 7d\ndaily to 15d\n",
        "keep-all 24h; every 12h to 7d; daily to 15d",
        "keep-all 24h,every 12h to 7d;daily to 15d,",
        "\n\n# the seed\nkeep-all 24h,,\n;every 12h to 7d\r\n\tdaily to 15d # end\n\n",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        pol_file *f = parse_ok("s", forms[i]);
        assert_int_equal(f->policies[0]->nrules, 3);
        assert_string_equal(f->policies[0]->rules[0].text, "keep-all 24h");
        assert_string_equal(f->policies[0]->rules[1].text, "every 12h to 7d");
        assert_string_equal(f->policies[0]->rules[2].text, "daily to 15d");
        pol_file_free(f);
    }
}

/* Block layout: one line, several blocks on a line, the brace on the next
 * line (Allman style), settings and rules separated by commas. */
static void test_block_layout(void **state)
{
    (void)state;
    const char *forms[] = {
        "policy \"a\" { last 1, last 2 } policy b { daily 3 }",
        "policy \"a\"\n{\n  last 1\n  last 2\n}\n\npolicy b\n\n{ daily 3 }\n",
        "# two blocks\npolicy \"a\" {\n  last 1; last 2\n}\npolicy b {\n  daily 3\n}",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        pol_diags d = { 0 };
        pol_file *f = pol_parse_string("b", forms[i], strlen(forms[i]), &pol_zones_host, &d);
        assert_non_null(f);
        assert_int_equal(d.nerrors, 0);
        assert_false(f->bare);
        assert_int_equal(f->npolicies, 2);
        assert_string_equal(f->policies[0]->name, "a");
        assert_false(f->policies[0]->anonymous);
        assert_int_equal(f->policies[0]->nrules, 2);
        assert_string_equal(f->policies[1]->name, "b");
        assert_int_equal(f->policies[1]->nrules, 1);
        assert_string_equal(f->policies[1]->rules[0].text, "daily 3");
        pol_file_free(f);
        pol_diags_free(&d);
    }
}

static void test_defaults_and_naming(void **state)
{
    (void)state;
    static const struct { const char *path, *name; } names[] = {
        { "policies/seed.policy", "seed" }, { "seed", "seed" },
        { "/etc/snapkeep/db.v2.policy", "db.v2" }, { "x.policy.bak", "x.policy.bak" },
        { "dir/.policy", "policy" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        pol_file *f = parse_ok(names[i].path, "last 3");
        out o = { .n = 0 };
        dump_file(&o, f);
        char want[512];
        snprintf(want, sizeof want, "%s bare=1\npolicy %s (anonymous) @1:1 tz=UTC(UTC) "
                 "sub=- rg=- disks=[] disktags=[] every=- stale=- maxdel=-1 adopt=0 "
                 "incr=1 sku=- tags=[]\n  1:1 k3 p1 end=- width=-/0 window=- count=3 "
                 "\"last 3\"\n", names[i].path, names[i].name);
        assert_string_equal(o.buf, want);
        pol_file_free(f);
    }
}

/* Every setting, in a bare body. */
/* subscription "A" "B": the list (in order), `subscription` only while
 * one is named; `subscription all`; blocks inherit the whole setting; the
 * scope check reads the list. */
static void test_subscriptions(void **state)
{
    (void)state;
    pol_file *f = parse_ok("subs.policy",
        "subscription \"00000000-0000-0000-0000-0000000000a1\" "
        "\"00000000-0000-0000-0000-0000000000a2\"\n"
        "policy \"inherits\" { last 3 }\n"
        "policy \"one\" { subscription \"00000000-0000-0000-0000-0000000000a3\"; last 3 }\n"
        "policy \"every\" { subscription all; last 3 }\n");
    assert_int_equal(f->npolicies, 3);
    const pol_policy *p = f->policies[0];
    assert_int_equal(p->nsubscriptions, 2);
    assert_string_equal(p->subscriptions[0], "00000000-0000-0000-0000-0000000000a1");
    assert_string_equal(p->subscriptions[1], "00000000-0000-0000-0000-0000000000a2");
    assert_null(p->subscription);
    assert_true(pol_many_subscriptions(p));
    assert_true(pol_subscription_allowed(p, "00000000-0000-0000-0000-0000000000A2", 36));
    assert_false(pol_subscription_allowed(p, "00000000-0000-0000-0000-0000000000a3", 36));
    assert_false(pol_subscription_allowed(p, "00000000-0000-0000-0000-0000000000a", 35));
    inv_inventory *inv = inv_new();
    const char *disk = "/subscriptions/00000000-0000-0000-0000-0000000000a2/resourceGroups/g/"
                       "providers/Microsoft.Compute/disks/d";
    assert_true(eng_policy_scopes_disk(p, disk, inv));
    assert_false(eng_policy_scopes_disk(f->policies[1], disk, inv));
    assert_true(eng_policy_scopes_disk(f->policies[2], disk, inv));
    inv_free(inv);
    p = f->policies[1];
    assert_int_equal(p->nsubscriptions, 1);
    assert_string_equal(p->subscription, "00000000-0000-0000-0000-0000000000a3");
    assert_false(pol_many_subscriptions(p));
    p = f->policies[2];
    assert_true(p->all_subscriptions);
    assert_int_equal(p->nsubscriptions, 0);
    assert_true(pol_many_subscriptions(p));
    pol_file_free(f);
}

static void test_settings(void **state)
{
    (void)state;
    pol_file *f = parse_ok("all.policy",
        "timezone \"Europe/Paris\"\n"
        "subscription \"0b1f6471-1bf0-4dda-aec3-cb9272f09590\"\n"
        "resource-group \"rg\"\n"
        "disk \"d1\"; disk \"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/"
        "resourceGroups/rg/providers/Microsoft.Compute/disks/d2\"\n"
        "disks tagged \"role\" = \"db\"; disks tagged \"backup\"\n"
        "snapshot every 30m; stale-after 2h\n"
        "max-delete 0\n"
        "adopt untagged\n"
        "incremental no\n"
        "sku \"Premium_LRS\"\n"
        "tag \"owner\" = \"ops\"; tag \"env\" = \"\"\n"
        "keep-all 1d\n");
    out o = { .n = 0 };
    dump_file(&o, f);
    assert_string_equal(o.buf, "all.policy bare=1\npolicy all (anonymous) @1:1 "
        "tz=Europe/Paris(Europe/Paris) sub=0b1f6471-1bf0-4dda-aec3-cb9272f09590 rg=rg "
        "disks=[d1,/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/"
        "providers/Microsoft.Compute/disks/d2] "
        "disktags=[role=db,backup=*] every=30m stale=2h maxdel=0 adopt=1 incr=0 "
        "sku=Premium_LRS tags=[owner=ops,env=]\n"
        "  12:1 k0 p1 end=1d width=-/0 window=- count=0 \"keep-all 1d\"\n");
    pol_file_free(f);
}

/* Top-level settings are defaults; a block's own settings win, its disk
 * lists replace the inherited ones, tags merge by name (case-insensitive). */
static void test_inheritance(void **state)
{
    (void)state;
    pol_file *f = parse_ok("inh.policy",
        "timezone \"Europe/Berlin\"\n"
        "resource-group \"prod\"\n"
        "disk \"shared\"\n"
        "snapshot every 1h\n"
        "max-delete 10\n"
        "tag \"Owner\" = \"ops\"; tag \"env\" = \"prod\"\n"
        "\n"
        "policy \"a\" {\n"
        "    keep-all 1d\n"
        "}\n"
        "policy b {\n"
        "    timezone \"UTC\"\n"
        "    disk \"b1\", disk \"b2\"\n"
        "    max-delete 3\n"
        "    tag \"owner\" = \"dba\"\n"
        "    incremental no\n"
        "    last 5\n"
        "}\n");
    out o = { .n = 0 };
    dump_file(&o, f);
    assert_string_equal(o.buf, "inh.policy bare=0\n"
        "policy a @8:1 tz=Europe/Berlin(Europe/Berlin) sub=- rg=prod disks=[shared] "
        "disktags=[] every=1h stale=- maxdel=10 adopt=0 incr=1 sku=- "
        "tags=[Owner=ops,env=prod]\n"
        "  9:5 k0 p1 end=1d width=-/0 window=- count=0 \"keep-all 1d\"\n"
        "policy b @11:1 tz=UTC(UTC) sub=- rg=prod disks=[b1,b2] disktags=[] every=1h "
        "stale=- maxdel=3 adopt=0 incr=0 sku=- tags=[owner=dba,env=prod]\n"
        "  17:5 k3 p1 end=- width=-/0 window=- count=5 \"last 5\"\n");
    pol_file_free(f);
}

/* The contract's example, and every other file in policies/: valid, no
 * warnings, and this exact tree. */
static const struct { const char *path, *tree; } policy_files[] = {
    { "policies/seed.policy", "policies/seed.policy bare=1\n"
      "policy seed (anonymous) @1:1 tz=UTC(UTC) sub=- rg=- disks=[] disktags=[] every=- "
      "stale=- maxdel=-1 adopt=0 incr=1 sku=- tags=[]\n"
      "  1:1 k0 p1 end=24h width=-/0 window=- count=0 \"keep-all 24h\"\n"
      "  1:15 k1 p0 end=7d width=12h/43200000000 window=- count=0 \"every 12h to 7d\"\n"
      "  1:32 k2 p1 end=15d width=-/0 window=- count=0 \"daily to 15d\"\n" },
    { "policies/dss-datadir.policy", "policies/dss-datadir.policy bare=0\n"
      "policy dss-datadir @4:1 tz=UTC(UTC) sub=- rg=dss-prod disks=[dss-data] disktags=[] "
      "every=1h stale=- maxdel=24 adopt=0 incr=1 sku=- tags=[]\n"
      "  8:5 k0 p1 end=24h width=-/0 window=- count=0 \"keep-all 24h\"\n"
      "  8:19 k1 p0 end=7d width=12h/43200000000 window=- count=0 \"every 12h to 7d\"\n"
      "  8:36 k2 p1 end=15d width=-/0 window=- count=0 \"daily to 15d\"\n"
      "  9:5 k3 p1 end=- width=-/0 window=- count=3 \"last 3\"\n"
      "  10:5 k7 p0 end=- width=-/0 window=- count=0 \"tagged \"legal-hold\"\" "
      "match=[legal-hold=*]\n" },
    { "policies/restic-gfs.policy", "policies/restic-gfs.policy bare=0\n"
      "policy build-servers @15:1 tz=Europe/Berlin(Europe/Berlin) "
      "sub=0b1f6471-1bf0-4dda-aec3-cb9272f09590 rg=build-prod disks=[] "
      "disktags=[role=build-server] every=1d stale=- maxdel=10 adopt=0 incr=1 sku=- "
      "tags=[owner=build-team]\n"
      "  17:5 k3 p1 end=- width=-/0 window=- count=7 \"last 7\"\n"
      "  18:5 k4 p1 end=- width=-/0 window=- count=14 \"daily 14\"\n"
      "  19:5 k4 p2 end=- width=-/0 window=- count=8 \"weekly 8\"\n"
      "  20:5 k4 p3 end=- width=-/0 window=- count=12 \"monthly 12\"\n"
      "  21:5 k4 p4 end=- width=-/0 window=- count=5 \"yearly 5\"\n"
      "  22:5 k7 p0 end=- width=-/0 window=- count=0 \"tagged \"keep\"\" match=[keep=*]\n"
      "policy artifact-store @26:1 tz=Europe/Berlin(Europe/Berlin) "
      "sub=0b1f6471-1bf0-4dda-aec3-cb9272f09590 rg=build-prod disks=[artifacts-data] "
      "disktags=[] every=1d stale=2d maxdel=-1 adopt=0 incr=1 sku=- tags=[owner=build-team]\n"
      "  28:5 k3 p1 end=- width=-/0 window=- count=3 \"last 3\"\n"
      "  29:5 k4 p1 end=- width=-/0 window=- count=7 \"daily 7\"\n"
      "  30:5 k4 p2 end=- width=-/0 window=- count=4 \"weekly 4\"\n"
      "  31:5 k4 p3 end=- width=-/0 window=- count=-1 \"monthly all\"\n" },
    { "policies/busy-database.policy", "policies/busy-database.policy bare=0\n"
      "policy orders-db @6:1 tz=America/New_York(America/New_York) "
      "sub=6c1d7f3a-52b9-4e86-9f0c-2a7de1f4b0c8 rg=orders-prod "
      "disks=[orders-db-data,orders-db-wal] disktags=[] every=15m stale=1h maxdel=48 "
      "adopt=0 incr=1 sku=Standard_ZRS tags=[cost-center=orders]\n"
      "  17:5 k0 p1 end=6h width=-/0 window=- count=0 \"keep-all 6h\"\n"
      "  18:5 k1 p0 end=2d width=1h/3600000000 window=- count=0 \"every 1h to 2d\"\n"
      "  19:5 k1 p0 end=7d width=6h/21600000000 window=- count=0 \"every 6h to 7d\"\n"
      "  20:5 k2 p1 end=35d width=-/0 window=- count=0 \"daily to 35d\"\n"
      "  21:5 k3 p1 end=- width=-/0 window=- count=8 \"last 8\"\n"
      "  22:5 k7 p0 end=- width=-/0 window=- count=0 \"tagged \"pre-migration\"\" "
      "match=[pre-migration=*]\n" },
    { "policies/long-term.policy", "policies/long-term.policy bare=0\n"
      "policy finance-archive @11:1 tz=Europe/London(Europe/London) sub=- rg=archive "
      "disks=[finance-archive-01,finance-archive-02] disktags=[] every=1w stale=- "
      "maxdel=4 adopt=0 incr=1 sku=Standard_LRS tags=[]\n"
      "  14:5 k2 p2 end=13w width=-/0 window=- count=0 \"weekly to 13w\"\n"
      "  15:5 k2 p3 end=2y width=-/0 window=- count=0 \"monthly to 2y\"\n"
      "  16:5 k2 p4 end=10y width=-/0 window=- count=0 \"yearly to 10y\"\n"
      "  17:5 k6 p3 end=- width=-/0 window=6mo count=0 \"monthly within 6mo\"\n"
      "  18:5 k7 p0 end=- width=-/0 window=- count=0 "
      "\"tagged \"legal-hold\" = \"yes\"\" match=[legal-hold=yes]\n"
      "policy records @22:1 tz=Europe/London(Europe/London) sub=- rg=archive disks=[] "
      "disktags=[retention=records] every=1w stale=- maxdel=-1 adopt=1 incr=1 "
      "sku=Standard_LRS tags=[]\n"
      "  25:5 k2 p2 end=8w width=-/0 window=- count=0 \"weekly to 8w\"\n"
      "  26:5 k2 p3 end=7y width=-/0 window=- count=0 \"monthly to 7y\"\n" },
};

static void test_policy_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof policy_files / sizeof policy_files[0]; i++) {
        pol_diags d = { 0 };
        pol_file *f = pol_parse_file(policy_files[i].path, &d);
        assert_non_null(f);
        assert_int_equal(d.n, 0);
        out o = { .n = 0 };
        dump_file(&o, f);
        if (strcmp(o.buf, policy_files[i].tree) != 0)
            fail_msg("%s\n--- got\n%s--- want\n%s", policy_files[i].path, o.buf,
                     policy_files[i].tree);
        pol_file_free(f);
        pol_diags_free(&d);
    }
}

/* The file entry and the string entry are one path: same tree. */
static void test_file_equals_string(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof policy_files / sizeof policy_files[0]; i++) {
        const char *path = policy_files[i].path;
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        static char text[65536];
        size_t len = fread(text, 1, sizeof text, fp);
        fclose(fp);
        pol_file *a = pol_parse_file(path, NULL);
        pol_file *b = pol_parse_string(path, text, len, &pol_zones_host, NULL);
        assert_non_null(a);
        assert_non_null(b);
        out oa = { .n = 0 }, ob = { .n = 0 };
        dump_file(&oa, a);
        dump_file(&ob, b);
        assert_string_equal(oa.buf, ob.buf);
        pol_file_free(a);
        pol_file_free(b);
    }
}

/* Locations point at each rule's first token, with tabs and a BOM. */
static void test_locations(void **state)
{
    (void)state;
    pol_file *f = parse_ok("loc", "\xef\xbb\xbfpolicy \"p\" {\n\tkeep-all 1d;  last 2\n"
                           "  # c\n      tagged \"x\"\n}\n");
    const pol_policy *p = f->policies[0];
    assert_int_equal(p->loc.line, 1);
    assert_int_equal(p->loc.col, 1);
    assert_int_equal(p->rules[0].loc.line, 2);
    assert_int_equal(p->rules[0].loc.col, 2);
    assert_int_equal(p->rules[1].loc.line, 2);
    assert_int_equal(p->rules[1].loc.col, 16);
    assert_int_equal(p->rules[2].loc.line, 4);
    assert_int_equal(p->rules[2].loc.col, 7);
    assert_string_equal(p->rules[2].loc.file, "loc");
    pol_file_free(f);
}

/* Failed parses return NULL and free everything (ASan and valgrind watch). */
static void test_failures_free(void **state)
{
    (void)state;
    const char *bad[] = {
        "keep-all", "policy \"a\" { keep-all 1d", ("policy \"a\" { keep-all 1d }\n"
         "policy \"a\" { last 1 }"), "timezone \"No/Where\"\nlast 3", "disk \"x\n",
        "tag \"a\" = \"b\"; tag \"a\" = \"c\"\nlast 3", "}}}{{{", "policy { policy {",
        "tagged \"a\" and", "keep-all 1d\npolicy \"p\" { disk \"d\"; every 1h to 1d }",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pol_diags d = { 0 };
        assert_null(pol_parse_string("bad", bad[i], strlen(bad[i]), &pol_zones_host, &d));
        assert_true(d.nerrors > 0);
        pol_diags_free(&d);
        assert_null(pol_parse_string("bad", bad[i], strlen(bad[i]), &pol_zones_host, NULL));
    }
    pol_diags d = { 0 };
    assert_null(pol_parse_file("tests/no/such.policy", &d));
    assert_int_equal(d.n, 1);
    assert_int_equal(d.items[0].line, 0);
    char *r = pol_diag_render(&d.items[0]);
    assert_string_equal(r, "tests/no/such.policy: error: cannot open: No such file or "
                        "directory\n");
    free(r);
    pol_diags_free(&d);
    pol_file_free(NULL);
    pol_policy_free(NULL);
}

/* Diagnostics accumulate across parses into the caller's list. */
static void test_diags_accumulate(void **state)
{
    (void)state;
    pol_diags d = { 0 };
    assert_null(pol_parse_string("a", "last 0", 6, &pol_zones_host, &d));
    pol_file *f = pol_parse_string("b", "last 1", 6, &pol_zones_host, &d);
    assert_non_null(f);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.nerrors, 1);
    assert_int_equal(d.nwarnings, 1);
    assert_string_equal(d.items[0].file, "a");
    assert_string_equal(d.items[1].file, "b");
    pol_file_free(f);
    pol_diags_free(&d);
}

static void test_tags_match(void **state)
{
    (void)state;
    inv_tag have[] = { { "Legal-Hold", "Yes" }, { "env", "prod" } };
    char k1[] = "legal-hold", k2[] = "LEGAL-HOLD", k3[] = "env", k4[] = "owner";
    char v1[] = "Yes", v2[] = "yes", v3[] = "prod";
    pol_tag_match any = { k1, NULL }, yes = { k2, v1 }, lower = { k1, v2 },
                  env = { k3, v3 }, missing = { k4, NULL };
    pol_tag_match both[] = { any, env }, some[] = { env, missing };
    assert_true(pol_tags_match(&any, 1, have, 2));
    assert_true(pol_tags_match(&yes, 1, have, 2));
    assert_false(pol_tags_match(&lower, 1, have, 2));   /* values exactly */
    assert_true(pol_tags_match(both, 2, have, 2));
    assert_false(pol_tags_match(some, 2, have, 2));
    assert_false(pol_tags_match(&any, 1, NULL, 0));
    assert_true(pol_tags_match(NULL, 0, have, 2));
}

/* A recovery block's fields as one line: "-" for NULL / not set. */
static void dump_recovery(char *buf, size_t n, const pol_recovery *r)
{
    if (r == NULL) {
        snprintf(buf, n, "none");
        return;
    }
    char t[32] = "-", k[16] = "-", s[8] = "-";
    if (r->has_verify_timeout)
        snprintf(t, sizeof t, "%lld", (long long)r->verify_timeout_sec);
    if (r->has_dns_zone_kind)
        snprintf(k, sizeof k, "%s", r->dns_zone_kind == POL_DNS_PRIVATE ? "private" : "public");
    if (r->has_start_standby)
        snprintf(s, sizeof s, "%s", r->start_standby ? "yes" : "no");
#define S(x) ((x) != NULL ? (x) : "-")
    snprintf(buf, n, "@%d:%d vm=%s scratch=%s verify=%s timeout=%s dir=%s standby=%s "
             "pip=%s dns=%s/%s kind=%s start=%s", r->loc.line, r->loc.col, S(r->vm),
             S(r->scratch_vm), S(r->verify), t, S(r->device_dir), S(r->standby),
             S(r->public_ip), S(r->dns_zone), S(r->dns_name), k, s);
#undef S
}

/* Every recovery setting in a bare body; a file without the block has
 * none. */
static void test_recovery_settings(void **state)
{
    (void)state;
    char buf[1024];
    pol_file *f = parse_ok("r.policy",
        "disk \"d\"\n"
        "recovery\n{\n"
        "    vm \"dss-vm1\"; scratch-vm \"/subscriptions/s/resourceGroups/g/providers/"
        "Microsoft.Compute/virtualMachines/snapkeep-vm\"\n"
        "    verify \"/usr/lib/snapkeep/verify-mount --path \\\"data/ok\\\"\"\n"
        "    verify-timeout 1h30m\n"
        "    device-dir \"/dev/disk/azure/data/by-lun\"\n"
        "    standby \"dss-vm2\"\n"
        "    public-ip \"dss-pip\"\n"
        "    dns-record \"dss.internal/data\"\n"
        "    dns-zone-kind public\n"
        "    start-standby no\n"
        "}\n"
        "keep-all 1d\n");
    dump_recovery(buf, sizeof buf, f->policies[0]->recovery);
    assert_string_equal(buf, "@2:1 vm=dss-vm1 scratch=/subscriptions/s/resourceGroups/g/"
        "providers/Microsoft.Compute/virtualMachines/snapkeep-vm "
        "verify=/usr/lib/snapkeep/verify-mount --path \"data/ok\" timeout=5400 "
        "dir=/dev/disk/azure/data/by-lun standby=dss-vm2 pip=dss-pip "
        "dns=dss.internal/data kind=public start=no");
    pol_file_free(f);

    f = parse_ok("r.policy", "recovery { vm \"a\" }\nkeep-all 1d\n");
    dump_recovery(buf, sizeof buf, f->policies[0]->recovery);
    assert_string_equal(buf, "@1:1 vm=a scratch=- verify=- timeout=- dir=- standby=- "
        "pip=- dns=-/- kind=- start=-");
    assert_true(f->policies[0]->recovery->start_standby);
    pol_file_free(f);

    f = parse_ok("r.policy", "keep-all 1d\n");
    assert_null(f->policies[0]->recovery);
    pol_file_free(f);
}

/* The top level's recovery settings reach every block; a block's own
 * block overrides them one by one, not as a whole. */
static void test_recovery_inheritance(void **state)
{
    (void)state;
    char buf[1024];
    pol_file *f = parse_ok("r.policy",
        "recovery {\n"
        "    scratch-vm \"snapkeep-vm\"; verify \"check\"; verify-timeout 5m\n"
        "    start-standby no\n"
        "}\n"
        "policy \"a\" {\n"
        "    recovery { vm \"vm-a\"; verify \"check-a\"; start-standby yes }\n"
        "    last 3\n"
        "}\n"
        "policy \"b\" { last 3 }\n");
    assert_int_equal(f->npolicies, 2);
    dump_recovery(buf, sizeof buf, f->policies[0]->recovery);
    assert_string_equal(buf, "@6:5 vm=vm-a scratch=snapkeep-vm verify=check-a timeout=300 "
        "dir=- standby=- pip=- dns=-/- kind=- start=yes");
    dump_recovery(buf, sizeof buf, f->policies[1]->recovery);
    assert_string_equal(buf, "@1:1 vm=- scratch=snapkeep-vm verify=check timeout=300 "
        "dir=- standby=- pip=- dns=-/- kind=- start=no");
    /* each policy owns its copy */
    assert_ptr_not_equal(f->policies[0]->recovery->scratch_vm,
                         f->policies[1]->recovery->scratch_vm);
    pol_file_free(f);

    f = parse_ok("r.policy", "policy \"a\" { recovery { vm \"x\" }; last 3 }\n"
                 "policy \"b\" { last 3 }\n");
    assert_non_null(f->policies[0]->recovery);
    assert_null(f->policies[1]->recovery);
    pol_file_free(f);
}

/* copy-to: where the copies go moves to pol_copy; the retention carries the owner's name and
 * zone and the block's rules, and no scope. */
static void test_copy_to(void **state)
{
    (void)state;
    pol_file *f = parse_ok("c.policy",
        "timezone \"Europe/Paris\"\n"
        "policy \"dss\" {\n resource-group \"prod\"\n last 3\n"
        " copy-to \"northeurope\"\n {\n  resource-group \"dr\"\n"
        "  subscription \"00000000-0000-0000-0000-0000000000bb\"\n  daily to 30d; weekly 8\n }\n}\n"
        "policy \"other\" { last 2 }\n");
    const pol_copy *c = f->policies[0]->copy;
    assert_non_null(c);
    assert_null(f->policies[1]->copy);
    assert_string_equal(c->region, "northeurope");
    assert_string_equal(c->resource_group, "dr");
    assert_string_equal(c->subscription, "00000000-0000-0000-0000-0000000000bb");
    assert_int_equal(c->loc.line, 5);
    const pol_policy *r = c->retention;
    assert_string_equal(r->name, "dss");
    assert_false(r->anonymous);
    assert_string_equal(r->timezone, "Europe/Paris");
    assert_non_null(r->tz);
    assert_null(r->resource_group);
    assert_null(r->subscription);
    assert_int_equal(r->nrules, 2);
    assert_string_equal(r->rules[0].text, "daily to 30d");
    assert_string_equal(r->rules[1].text, "weekly 8");
    assert_int_equal(f->policies[0]->nrules, 1);
    pol_file_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_to),
        cmocka_unit_test(test_rule_fields),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_block_layout),
        cmocka_unit_test(test_defaults_and_naming),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_inheritance),
        cmocka_unit_test(test_policy_files),
        cmocka_unit_test(test_file_equals_string),
        cmocka_unit_test(test_locations),
        cmocka_unit_test(test_failures_free),
        cmocka_unit_test(test_diags_accumulate),
        cmocka_unit_test(test_tags_match),
        cmocka_unit_test(test_recovery_settings),
        cmocka_unit_test(test_recovery_inheritance),
        cmocka_unit_test(test_subscriptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
