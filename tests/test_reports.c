/* cli/json_out.c and the plan and simulation reports: escaping, the
 * writer's layout, ages, ordering, and golden table/JSON/SVG reports of a
 * small hand-built plan. Golden files live in tests/golden/plan/; run with
 * UPDATE_GOLDEN=1 to rewrite them, then review the diff before committing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cli/json_out.h"
#include "cli/report.h"
#include "support/builders.h"

/* ---- helpers ---- */

typedef struct membuf { char *data; size_t len; FILE *f; } membuf;

static FILE *mem_open(membuf *m)
{
    memset(m, 0, sizeof *m);
    m->f = open_memstream(&m->data, &m->len);
    assert_non_null(m->f);
    return m->f;
}

static char *mem_close(membuf *m)
{
    assert_int_equal(fclose(m->f), 0);
    return m->data;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    membuf m;
    mem_open(&m);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, m.f);
    fclose(f);
    mem_close(&m);
    *len = m.len;
    return m.data;
}

/* Compares with the golden file, or rewrites it under UPDATE_GOLDEN=1. */
static void golden(const char *path, const char *got, size_t len)
{
    const char *update = getenv("UPDATE_GOLDEN");
    if (update != NULL && strcmp(update, "1") == 0) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(got, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        fprintf(stderr, "rewrote %s: review the diff\n", path);
        return;
    }
    size_t want_len;
    char *want = read_file(path, &want_len);
    if (want == NULL)
        fail_msg("%s is missing (UPDATE_GOLDEN=1 writes it)", path);
    if (want_len != len || memcmp(want, got, len) != 0) {
        size_t i = 0;
        while (i < len && i < want_len && want[i] == got[i])
            i++;
        fprintf(stderr, "%s differs at byte %zu:\n--- got from there:\n%.200s\n"
                "--- want from there:\n%.200s\n", path, i, got + i, want + i);
        free(want);
        fail_msg("golden mismatch: %s", path);
    }
    free(want);
}

/* ---- json_out ---- */

static void test_json_escape(void **state)
{
    (void)state;
    static const struct { const char *in; size_t len; const char *want; } cases[] = {
        { "plain", 5, "plain" },
        { "a\"b\\c/", 6, "a\\\"b\\\\c/" },
        { "\n\t\r\b\f", 5, "\\n\\t\\r\\b\\f" },
        { "\x01\x1f", 2, "\\u0001\\u001f" },
        { "nul\0x", 5, "nul\\u0000x" },
        { "\x7f", 1, "\x7f" },                         /* DEL is valid JSON */
        { "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
        { "\xff", 1, "\\ufffd" },                      /* never a UTF-8 byte */
        { "\xc0\xaf", 2, "\\ufffd\\ufffd" },           /* overlong '/' */
        { "\xe2\x82", 2, "\\ufffd\\ufffd" },           /* cut short */
        { "\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd" }, /* a surrogate */
        { "\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* past U+10FFFF */
        { "\x80z", 2, "\\ufffdz" },                    /* stray continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[128];
        size_t n = json_escape(cases[i].in, cases[i].len, buf, sizeof buf);
        assert_int_equal(n, strlen(cases[i].want));
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, buf, cases[i].want);
        /* the writer escapes the same way */
        membuf m;
        json_out j;
        json_init(&j, mem_open(&m), 0);
        json_string_n(&j, cases[i].in, cases[i].len);
        assert_int_equal(json_finish(&j), 0);
        char *out = mem_close(&m);
        assert_int_equal(m.len, n + 3);
        assert_memory_equal(out + 1, cases[i].want, n);
        free(out);
    }
    char small[4];
    assert_int_equal(json_escape("\"\"\"", 3, small, sizeof small), 6);   /* needs 6 */
    assert_string_equal(small, "\\\"\\");
}

static void write_sample(json_out *j)
{
    json_begin_object(j);
    json_kv_int(j, "min", INT64_MIN);
    json_kv_int(j, "max", INT64_MAX);
    json_key(j, "list");
    json_begin_array(j);
    json_int(j, 0);
    json_double(j, 1.5, 3);
    json_double(j, 2.0, 3);
    json_double(j, -0.0001, 2);
    json_double(j, nan(""), 2);
    json_bool(j, true);
    json_null(j);
    json_string(j, NULL);
    json_begin_object(j);
    json_end_object(j);
    json_begin_array(j);
    json_end_array(j);
    json_end_array(j);
    json_key(j, "o");
    json_begin_object(j);
    json_kv_string(j, "k", "v");
    json_key(j, "deep");
    json_begin_array(j);
    json_int(j, -7);
    json_end_array(j);
    json_end_object(j);
    json_end_object(j);
}

static void test_json_layout(void **state)
{
    (void)state;
    static const struct { int pretty; const char *want; } cases[] = {
        { 0, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
             "\"list\":[0,1.5,2,0,null,true,null,null,{},[]],\"o\":{\"k\":\"v\",\"deep\":[-7]}}\n" },
        { 1, "{\n  \"min\":-9223372036854775808,\n  \"max\":9223372036854775807,\n"
             "  \"list\":[0,1.5,2,0,null,true,null,null,{},[]],\n"
             "  \"o\":{\"k\":\"v\",\"deep\":[-7]}\n}\n" },
        { 2, "{\n  \"min\":-9223372036854775808,\n  \"max\":9223372036854775807,\n"
             "  \"list\":[\n    0,\n    1.5,\n    2,\n    0,\n    null,\n    true,\n    null,\n"
             "    null,\n    {},\n    []\n  ],\n"
             "  \"o\":{\n    \"k\":\"v\",\n    \"deep\":[-7]\n  }\n}\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        membuf m;
        json_out j;
        assert_int_equal(json_init(&j, mem_open(&m), cases[i].pretty), 0);
        write_sample(&j);
        assert_int_equal(json_finish(&j), 0);
        char *out = mem_close(&m);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("pretty %d:\n%s\nwant:\n%s", cases[i].pretty, out, cases[i].want);
        cJSON *doc = cJSON_Parse(out);
        assert_non_null(doc);
        cJSON_Delete(doc);
        free(out);
    }
}

/* Strings longer than the 1 MiB buffer come out whole. */
static void test_json_large(void **state)
{
    (void)state;
    size_t n = 3u << 20;
    char *s = malloc(n);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = i % 1000 == 999 ? '\n' : (char)('a' + i % 26);
    membuf m;
    json_out j;
    json_init(&j, mem_open(&m), 0);
    json_begin_array(&j);
    for (int k = 0; k < 2; k++)
        json_string_n(&j, s, n);
    json_end_array(&j);
    assert_int_equal(json_finish(&j), 0);
    char *out = mem_close(&m);
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArraySize(doc), 2);
    const char *back = cJSON_GetStringValue(cJSON_GetArrayItem(doc, 1));
    assert_non_null(back);
    assert_int_equal(strlen(back), n);
    assert_memory_equal(back, s, n);
    cJSON_Delete(doc);
    free(out);
    free(s);
}

/* A write error is reported by json_finish, not lost. */
static void test_json_write_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (f == NULL)
        fail_msg("/dev/full: cannot open");
    json_out j;
    json_init(&j, f, 0);
    json_begin_array(&j);
    for (int i = 0; i < 300000; i++)
        json_string(&j, "some text to fill the buffer");
    json_end_array(&j);
    assert_int_equal(json_finish(&j), -1);
    fclose(f);
}

/* ---- small helpers of the reports ---- */

static void test_format_age(void **state)
{
    (void)state;
    static const struct { int64_t s; const char *want; } cases[] = {
        { 0, "0s" }, { 45, "45s" }, { 60, "1m" }, { 59 * 60 + 59, "59m" },
        { 3600, "1h" }, { 3 * 3600 + 20 * 60 + 5, "3h20m" }, { 86400, "1d" },
        { 2 * 86400 + 4 * 3600 + 59, "2d4h" }, { 15 * 86400 + 30 * 60, "15d" },
        { 400 * 86400, "400d" }, { -2 * 3600, "-2h" }, { -30, "-30s" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[RPT_AGE_BUFSZ];
        size_t n = rpt_format_age(cases[i].s * SK_USEC_PER_SEC, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, strlen(cases[i].want));
    }
    char buf[RPT_AGE_BUFSZ];
    rpt_format_age(999999, buf, sizeof buf);     /* under a second */
    assert_string_equal(buf, "0s");
}

static void test_disk_name(void **state)
{
    (void)state;
    assert_string_equal(rpt_disk_name(TB_DISK_ID("dss-data")), "dss-data");
    assert_string_equal(rpt_disk_name("plain"), "plain");
    assert_string_equal(rpt_disk_name("trailing/"), "trailing/");
    assert_string_equal(rpt_disk_name(NULL), "(no source disk)");
}

/* ---- a small plan ---- */

/* Policy "db" owns disk d1's snapshots tagged snapkeep-policy=db; d1 has
 * an untagged snapshot (not owned), d2 is outside the scope, one snapshot
 * is dated in the future, one has a name that needs escaping. */
typedef struct fixture {
    pol_policy *p;
    pol_file file;
    inv_inventory *inv;
    eng_plan *plan;
    enf_next *next;
    rpt_plan r;
} fixture;

static void owned(inv_inventory *inv, const char *name, const char *disk, sk_time t)
{
    inv_snapshot *s = tb_snap(inv, name, disk, t);
    tb_snap_tag(inv, s, POL_OWNER_TAG, "db");
}

static int setup_plan(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->p = tb_policy("db", false, NULL);
    fx->p->max_delete = 2;      /* the plan shows what one run deletes, and defers */
    tb_disk(fx->p, TB_DISK_ID("d1"));
    tb_rules(fx->p, "keep-all 6h, every 12h to 3d, daily to 7d, tagged \"hold\"");
    fx->file.path = (char *)"test.policy";
    fx->file.policies = &fx->p;
    fx->file.npolicies = 1;
    fx->inv = tb_inv();
    sk_time now = tb_time("2026-11-20T12:00Z");
    const char *d1 = TB_DISK_ID("d1");
    owned(fx->inv, "d1-a", d1, now - 1 * TB_HOUR);
    owned(fx->inv, "d1-b", d1, now - 5 * TB_HOUR);
    owned(fx->inv, "d1-c", d1, now - 7 * TB_HOUR);
    owned(fx->inv, "d1-d", d1, now - 8 * TB_HOUR);
    owned(fx->inv, "d1-e", d1, now - 30 * TB_HOUR);
    owned(fx->inv, "d1-f", d1, now - 5 * TB_DAY);
    owned(fx->inv, "d1-g", d1, now - 9 * TB_DAY);
    owned(fx->inv, "d1-h \"odd\" \\name\t\xc3\xa9<&>", d1, now - 9 * TB_DAY - TB_HOUR);
    owned(fx->inv, "d1-future", d1, now + 2 * TB_HOUR);
    inv_snapshot *hold = tb_snap(fx->inv, "d1-hold", d1, now - 20 * TB_DAY);
    tb_snap_tag(fx->inv, hold, POL_OWNER_TAG, "db");
    tb_snap_tag(fx->inv, hold, "hold", "yes");
    tb_snap(fx->inv, "d1-manual", d1, now - 2 * TB_DAY);
    tb_snap(fx->inv, "d2-x", TB_DISK_ID("d2"), now - 3 * TB_HOUR);
    fx->plan = tb_eval(&fx->p, 1, fx->inv, now);
    fx->next = calloc(fx->plan->ndecisions, sizeof *fx->next);
    assert_non_null(fx->next);
    assert_int_equal(enf_next_run((const pol_policy *const *)&fx->p, 1, fx->plan, fx->inv, -1,
                                  fx->next), 0);
    /* a snapshot the listing gave twice: a warning in the report too */
    fx->r = (rpt_plan){ .plan = fx->plan, .file = &fx->file, .inv = fx->inv,
                        .policy_path = "test.policy", .inventory_path = "inv.json",
                        .next = fx->next, .duplicates = 1, .duplicate_example = "d1-b" };
    *state = fx;
    return 0;
}

static int teardown_plan(void **state)
{
    fixture *fx = *state;
    eng_plan_free(fx->plan);
    free(fx->next);
    inv_free(fx->inv);
    tb_policy_free(fx->p);
    free(fx);
    return 0;
}

static void test_groups_order(void **state)
{
    fixture *fx = *state;
    rpt_groups gs;
    assert_int_equal(rpt_groups_build(fx->plan, &fx->file, &gs), 0);
    assert_int_equal(gs.nslices, fx->plan->ngroups + 1);
    assert_int_equal(gs.start[gs.nslices], fx->plan->ndecisions);
    for (size_t g = 0; g < gs.nslices; g++)
        for (size_t i = gs.start[g]; i + 1 < gs.start[g + 1]; i++) {
            const inv_snapshot *a = gs.order[i]->snap, *b = gs.order[i + 1]->snap;
            assert_true(a->created > b->created ||
                        (a->created == b->created && strcmp(a->name, b->name) < 0));
        }
    /* the last slice is the unmanaged one */
    size_t un = gs.start[gs.nslices] - gs.start[gs.nslices - 1];
    assert_int_equal(un, fx->plan->nunmanaged);
    assert_string_equal(gs.order[gs.start[gs.nslices - 1]]->snap->name, "d2-x");
    rpt_groups_free(&gs);
}

/* Headings come by the policy's place in the file, then by disk ID,
 * whatever order the evaluator met them in. */
static void test_groups_display_order(void **state)
{
    (void)state;
    pol_policy *pa = tb_policy("a", true, NULL), *pb = tb_policy("b", false, NULL);
    tb_rules(pa, "keep-all 1d");
    tb_rules(pb, "keep-all 1d");
    tb_disk(pb, TB_DISK_ID("b-disk"));
    inv_inventory *inv = tb_inv();
    sk_time now = tb_time("2026-11-20T12:00Z");
    inv_snapshot *s = tb_snap(inv, "b1", TB_DISK_ID("b-disk"), now - TB_HOUR);
    tb_snap_tag(inv, s, POL_OWNER_TAG, "b");
    tb_snap(inv, "z1", TB_DISK_ID("Zed"), now - TB_HOUR);
    tb_snap(inv, "y1", TB_DISK_ID("yak"), now - TB_HOUR);
    tb_snap(inv, "n1", NULL, now - TB_HOUR);
    pol_policy *pols[] = { pb, pa };     /* the evaluator sees b first */
    eng_plan *plan = tb_eval(pols, 2, inv, now);
    pol_policy *in_file[] = { pa, pb };  /* the file lists a first */
    pol_file file = { .path = (char *)"t.policy", .policies = in_file, .npolicies = 2 };
    rpt_groups gs;
    assert_int_equal(rpt_groups_build(plan, &file, &gs), 0);
    char got[256] = "";
    for (size_t i = 0; i < gs.nslices; i++) {
        size_t g = gs.show[i];
        if (gs.start[g] == gs.start[g + 1])
            continue;
        strcat(got, gs.order[gs.start[g]]->snap->name);
        strcat(got, " ");
    }
    /* a: disks yak, Zed (case-insensitive), then no source; then b's disk.
     * b1 is shown once, under b, the first policy that keeps it */
    assert_string_equal(got, "y1 z1 n1 b1 ");
    rpt_groups_free(&gs);
    eng_plan_free(plan);
    inv_free(inv);
    tb_policy_free(pa);
    tb_policy_free(pb);
}

static void test_plan_json(void **state)
{
    fixture *fx = *state;
    membuf m;
    assert_int_equal(rpt_plan_json(mem_open(&m), &fx->r), 0);
    char *out = mem_close(&m);
    golden("tests/golden/plan/small.json", out, m.len);
    /* what scripts rely on, checked through a real parser */
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetObjectItem(doc, "version")->valueint, RPT_SCHEMA_VERSION);
    cJSON *snaps = cJSON_GetObjectItem(doc, "snapshots");
    assert_int_equal(cJSON_GetArraySize(snaps), (int)fx->plan->ndecisions);
    cJSON *sum = cJSON_GetObjectItem(doc, "summary");
    assert_int_equal(cJSON_GetObjectItem(sum, "total")->valueint, (int)fx->plan->ndecisions);
    assert_int_equal(cJSON_GetObjectItem(sum, "keep")->valueint, (int)fx->plan->nkeep);
    assert_int_equal(cJSON_GetObjectItem(sum, "prune")->valueint, (int)fx->plan->nprune);
    /* max-delete 2: the next run deletes 2 of the prunes and defers the rest */
    assert_int_equal(cJSON_GetObjectItem(sum, "deletes_next_run")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(sum, "deferred")->valueint, (int)fx->plan->nprune - 2);
    /* the warnings the table gives, in JSON too (issue 15, item 9) */
    cJSON *warn = cJSON_GetObjectItem(doc, "warnings");
    bool unmanaged = false, duplicate = false;
    for (cJSON *w = warn->child; w != NULL; w = w->next) {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(w, "kind"));
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(w, "message"));
        if (strcmp(kind, "unmanaged") == 0)
            unmanaged = strstr(msg, "snapshots are governed by no policy") != NULL;
        if (strcmp(kind, "duplicate") == 0)
            duplicate = strstr(msg, "inv.json: 1 snapshot listed more than once") != NULL;
    }
    assert_true(unmanaged);
    assert_true(duplicate);
    size_t i = 0, ndel = 0;
    for (cJSON *s = snaps->child; s != NULL; s = s->next, i++) {
        const eng_decision *d = &fx->plan->decisions[i];
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "name")), d->snap->name);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(s, "action")),
                            d->action == ENG_KEEP ? "keep" : "prune");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(s, "reasons")), (int)d->nreasons);
        cJSON *next = cJSON_GetObjectItem(s, "next_run");
        if (fx->next[i] == ENF_NEXT_NONE)
            assert_true(cJSON_IsNull(next));
        else
            assert_string_equal(cJSON_GetStringValue(next),
                                fx->next[i] == ENF_NEXT_DELETE ? "delete" : "defer");
        ndel += fx->next[i] == ENF_NEXT_DELETE;
        cJSON *pol = cJSON_GetObjectItem(s, "policy");
        if (d->policy == NULL)
            assert_true(cJSON_IsNull(pol));
        else
            assert_string_equal(cJSON_GetStringValue(pol), d->policy->name);
    }
    assert_int_equal(ndel, 2);
    cJSON_Delete(doc);
    free(out);
}

static void test_plan_table(void **state)
{
    fixture *fx = *state;
    membuf m;
    assert_int_equal(rpt_plan_table(mem_open(&m), &fx->r), 0);
    char *out = mem_close(&m);
    golden("tests/golden/plan/small.table", out, m.len);
    assert_null(strchr(out, '\033'));
    free(out);
    /* colour: the same text with escapes around actions and headings */
    fx->r.colour = true;
    assert_int_equal(rpt_plan_table(mem_open(&m), &fx->r), 0);
    out = mem_close(&m);
    fx->r.colour = false;
    assert_non_null(strstr(out, "\033[32mKEEP \033[0m"));
    assert_non_null(strstr(out, "\033[31mPRUNE\033[0m"));
    assert_non_null(strstr(out, "\033[33mwarning:\033[0m"));
    free(out);
    /* --summary: the counts per policy and disk, no snapshot line */
    fx->r.summary = true;
    assert_int_equal(rpt_plan_table(mem_open(&m), &fx->r), 0);
    out = mem_close(&m);
    fx->r.summary = false;
    golden("tests/golden/plan/small.summary", out, m.len);
    assert_null(strstr(out, "d1-a "));
    assert_non_null(strstr(out, "policy db: 1 disk, "));
    free(out);
}

/* Characters that would make a name display as something else are shown
 * as '?', each, as control characters are; ordinary UTF-8 is kept. */
static void test_unsafe_chars(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xe2\x80\xae", "\xe2\x80\xad", "\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac",
        "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8",
        "\xe2\x81\xa9", "\xd8\x9c", "\xef\xbb\xbf", "\xe2\x80\x8b", "\xe2\x80\x8d",
        "\xe2\x80\xa8", "\xe2\x80\xa9", "\xf3\xa0\x80\x81", "\xc2\x9b", "\x1b", "\x7f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rpt_unsafe_char(bad[i]), strlen(bad[i]));
    static const char *const good[] = { "a", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x93\xb8",
                                        "\xe2\x80\x90", "\xe2\x82\xac", "\xc2\xa0" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(rpt_unsafe_char(good[i]), 0);
    assert_int_equal(rpt_unsafe_char("\xe2\x80"), 0);     /* cut short: not decoded */
}

static void test_plan_table_bidi(void **state)
{
    fixture *fx = *state;
    const char *d1 = TB_DISK_ID("d1");
    sk_time now = tb_time("2026-11-20T12:00Z");
    /* "d1-\u202Egpj.exe" would read as "d1-exe.jpg" */
    owned(fx->inv, "d1-\xe2\x80\xaegpj.exe", d1, now - 2 * TB_HOUR);
    owned(fx->inv, "d1-\xe2\x81\xa6iso\xe2\x81\xa9\xe2\x80\x8f\xd8\x9c\xef\xbb\xbf-\xc3\xa9", d1,
          now - 3 * TB_HOUR);
    eng_plan_free(fx->plan);
    fx->plan = tb_eval(&fx->p, 1, fx->inv, now);
    fx->r.plan = fx->plan;
    free(fx->next);         /* one per decision: the plan has two more */
    fx->next = calloc(fx->plan->ndecisions, sizeof *fx->next);
    assert_non_null(fx->next);
    assert_int_equal(enf_next_run((const pol_policy *const *)&fx->p, 1, fx->plan, fx->inv, -1,
                                  fx->next), 0);
    fx->r.next = fx->next;
    membuf m;
    assert_int_equal(rpt_plan_table(mem_open(&m), &fx->r), 0);
    char *out = mem_close(&m);
    assert_non_null(strstr(out, "d1-?gpj.exe"));
    assert_non_null(strstr(out, "d1-?iso????" "-\xc3\xa9"));
    for (const char *p = out; *p != '\0'; p++)
        assert_int_equal(rpt_unsafe_char(p) == 0 || *p == '\n', true);
    /* the columns still line up: both rows are as wide as the others */
    const char *a = strstr(out, "d1-?gpj.exe"), *b = strstr(out, "d1-a ");
    assert_non_null(b);
    assert_int_equal(strcspn(a, "K") > 0, true);
    assert_int_equal(strstr(a, "KEEP") - a, strstr(b, "KEEP") - b);
    free(out);
}

static void test_plan_svg(void **state)
{
    fixture *fx = *state;
    /* a creation that failed and one still running: marks of their own */
    const char *d1 = TB_DISK_ID("d1");
    sk_time now = tb_time("2026-11-20T12:00Z");
    inv_snapshot *failed = tb_snap(fx->inv, "d1-failed", d1, now - 4 * TB_DAY);
    tb_snap_tag(fx->inv, failed, POL_OWNER_TAG, "db");
    tb_snap_state(fx->inv, failed, "Failed");
    inv_snapshot *running = tb_snap(fx->inv, "d1-running", d1, now - 2 * TB_HOUR);
    tb_snap_tag(fx->inv, running, POL_OWNER_TAG, "db");
    tb_snap_state(fx->inv, running, "Updating");
    owned(fx->inv, "d1-k \"odd\" <&>", d1, now - 3 * TB_HOUR);   /* kept: its own title */
    eng_plan_free(fx->plan);
    fx->plan = tb_eval(&fx->p, 1, fx->inv, now);
    fx->r.plan = fx->plan;
    free(fx->next);
    fx->next = calloc(fx->plan->ndecisions, sizeof *fx->next);
    assert_non_null(fx->next);
    fx->r.next = fx->next;
    membuf m;
    assert_int_equal(rpt_plan_svg(mem_open(&m), &fx->r), 0);
    char *out = mem_close(&m);
    golden("tests/golden/plan/small.svg", out, m.len);
    /* text is escaped for XML; every kept snapshot has a marker with a
     * title, the two pruned ones 9 days old share a bin: "2 pruned" */
    assert_non_null(strstr(out, "<title>d1-k &quot;odd&quot; &lt;&amp;&gt; "));
    assert_non_null(strstr(out, "<title>2 pruned, 9d to 9d1h old</title>"));
    size_t titles = 0;
    for (const char *p = out; (p = strstr(p, "</title></")) != NULL; p++)
        titles++;
    assert_true(titles >= fx->plan->nkeep);
    /* issue 15: failed and held snapshots are marked apart, and a print
     * keeps which rule kept what */
    assert_non_null(strstr(out, ">failed: no backup</text>"));
    assert_non_null(strstr(out, ">held (tagged rule)</text>"));
    assert_non_null(strstr(out, ">in progress</text>"));
    assert_non_null(strstr(out, ">failed: 1</text>"));
    assert_non_null(strstr(out, ">in progress: 1</text>"));
    assert_non_null(strstr(out, ">held (tagged): 1</text>"));
    assert_non_null(strstr(out, ">keep-all 6h: 3</text>"));
    const char *fm = strstr(out, "stroke=\"#000000\" stroke-width=\"1.6\" fill=\"#ffffff\"><title>d1-failed");
    assert_non_null(fm);
    assert_non_null(strstr(out, "</svg>\n"));
    free(out);
}

/* ---- simulation JSON ---- */

static void test_sim_json(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("seed", true, NULL);
    tb_rules(p, "keep-all 24h, every 12h to 7d, daily to 15d");
    eng_rng rng;
    eng_rng_seed(&rng, 5);
    eng_sim_params prm = { .start = tb_time("2026-11-01T00:00Z"), .cadence_usec = TB_HOUR,
                           .duration_usec = 20 * TB_DAY, .jitter_usec = 5 * TB_MIN,
                           .rng = &rng, .warmup_usec = -1 };
    eng_sim *s = NULL;
    char err[128];
    assert_int_equal(eng_simulate(p, &prm, &s, err, sizeof err), 0);
    rpt_sim r = { "seed.policy", p, &prm, s, 5, "option" };
    membuf m;
    assert_int_equal(rpt_sim_json(mem_open(&m), &r), 0);
    char *out = mem_close(&m);
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    cJSON *st = cJSON_GetObjectItem(doc, "steady_state");
    assert_int_equal(cJSON_GetObjectItem(st, "count_min")->valueint, (int)s->count_min);
    assert_int_equal(cJSON_GetObjectItem(st, "count_max")->valueint, (int)s->count_max);
    assert_true(cJSON_GetObjectItem(st, "deleted_avg")->valuedouble - s->del_avg < 0.001);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "runs")), (int)s->nruns);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "gaps")), 3);
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "gaps"), 1);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(g, "rule")), "every 12h to 7d");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(g, "max_gap"), "seconds")->valuedouble,
                     s->gaps[1].max_gap_usec / SK_USEC_PER_SEC);
    cJSON_Delete(doc);
    free(out);
    assert_int_equal(rpt_sim_svg(mem_open(&m), &r), 0);
    out = mem_close(&m);
    assert_non_null(strstr(out, "<polyline"));
    assert_non_null(strstr(out, "</svg>\n"));
    free(out);
    eng_sim_free(s);
    tb_policy_free(p);
}

/* The windows the reports draw are the evaluator's: the same edges
 * (eng_window_cut), down to a tier reaching the earliest instant, whose
 * edge is one microsecond before it so a snapshot dated there is inside. */
static void test_tier_windows_as_evaluated(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("p", false, "UTC");
    tb_rules(p, "keep-all 24h, every 1d to 7d, yearly to 9999y");
    sk_time now = tb_time("2026-11-26T12:00:00Z"), lo[4], hi[4];
    const pol_rule *rules[4];
    size_t n = rpt_tier_windows(p, now, rules, lo, hi, 4);
    assert_int_equal(n, 3);
    assert_int_equal(hi[0], now);
    assert_int_equal(lo[0], tb_time("2026-11-25T12:00:00Z"));
    assert_int_equal(hi[1], lo[0]);
    assert_int_equal(lo[1], tb_time("2026-11-19T12:00:00Z"));
    assert_int_equal(hi[2], lo[1]);
    assert_int_equal(lo[2], SK_TIME_MIN - 1);
    tb_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_layout),
        cmocka_unit_test(test_json_large),
        cmocka_unit_test(test_json_write_error),
        cmocka_unit_test(test_format_age),
        cmocka_unit_test(test_disk_name),
        cmocka_unit_test_setup_teardown(test_groups_order, setup_plan, teardown_plan),
        cmocka_unit_test(test_groups_display_order),
        cmocka_unit_test_setup_teardown(test_plan_json, setup_plan, teardown_plan),
        cmocka_unit_test_setup_teardown(test_plan_table, setup_plan, teardown_plan),
        cmocka_unit_test(test_unsafe_chars),
        cmocka_unit_test_setup_teardown(test_plan_table_bidi, setup_plan, teardown_plan),
        cmocka_unit_test_setup_teardown(test_plan_svg, setup_plan, teardown_plan),
        cmocka_unit_test(test_sim_json),
        cmocka_unit_test(test_tier_windows_as_evaluated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
