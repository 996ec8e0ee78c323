/* Inventory records (engine/inventory.c) and the inventory JSON reader
 * (azure/inventory_read.c, with the JSON cursor azure/json_cursor.c). Run from the
 * repository's top directory (tests/run does): fixtures are read from
 * tests/fixtures/ and policies/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "azure/inventory_read.h"
#include "engine/inventory.h"
#include "engine/sktime.h"
#include "engine/utf8.h"
#include "support/builders.h"

#define ERRLEN 512
/* A valid time, flattened (az) and under properties (ARM). */
#define T0 "\"timeCreated\":\"2026-11-20T10:00:00Z\""
#define P0 "\"properties\":{" T0 "}"

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s (run from the top directory)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static inv_inventory *read_ok(const char *json)
{
    char err[ERRLEN];
    inv_inventory *inv = NULL;
    if (inv_read_buffer("inv.json", json, strlen(json), &inv, err, sizeof err) != 0)
        fail_msg("refused %s\n  with: %s", json, err);
    assert_non_null(inv);
    return inv;
}

/* The message for a refused input (static buffer). */
static const char *read_err(const char *json, size_t len)
{
    static char err[ERRLEN];
    inv_inventory *inv = (inv_inventory *)&err;    /* must be reset to NULL */
    if (inv_read_buffer("inv.json", json, len, &inv, err, sizeof err) == 0) {
        inv_free(inv);
        fail_msg("accepted %.*s", (int)len, json);
    }
    assert_null(inv);
    return err;
}

/* The body of a response in an ARM example file, printed compactly. */
static char *example_body(const char *path, bool as_list)
{
    char *text = slurp(path, NULL);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    cJSON *body = cJSON_DetachItemFromObject(
        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "responses"), "200"), "body");
    assert_non_null(body);
    if (as_list) {
        cJSON *list = cJSON_CreateObject(), *value = cJSON_CreateArray();
        cJSON_AddItemToArray(value, body);
        cJSON_AddItemToObject(list, "value", value);
        body = list;
    }
    char *out = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    cJSON_Delete(root);
    free(text);
    return out;
}

static char *fmt_time(sk_time t)
{
    static char buf[ENG_TIME_BUFSZ];
    eng_time_format(t, buf, sizeof buf);
    return buf;
}

static void assert_str_or_null(const char *got, const char *want)
{
    if (!want)
        assert_null(got);
    else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

static void assert_same_snapshot(const inv_snapshot *a, const inv_snapshot *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->id, b->id);
    assert_str_or_null(a->source_id, b->source_id);
    assert_str_or_null(a->location, b->location);
    assert_str_or_null(a->provisioning_state, b->provisioning_state);
    assert_str_or_null(a->sku, b->sku);
    assert_true(a->created == b->created);
    assert_int_equal(a->incremental, b->incremental);
    assert_int_equal(a->ntags, b->ntags);
    for (uint32_t i = 0; i < a->ntags; i++) {
        assert_string_equal(a->tags[i].key, b->tags[i].key);
        assert_string_equal(a->tags[i].value, b->tags[i].value);
    }
}

static void assert_same_inventory(const inv_inventory *a, const inv_inventory *b)
{
    assert_int_equal(a->nsnapshots, b->nsnapshots);
    for (size_t i = 0; i < a->nsnapshots; i++)
        assert_same_snapshot(&a->snapshots[i], &b->snapshots[i]);
}

/* ---- records and arena ---- */

static void test_arena(void **state)
{
    (void)state;
    inv_inventory *inv = inv_new();
    assert_non_null(inv);
    char *s = inv_strdup(inv, "abc\0def", 7);
    assert_memory_equal(s, "abc\0def", 8);
    assert_string_equal(inv_strdup(inv, "xyz", 0), "");
    for (size_t size = 1; size < 5000; size = size * 3 + 1) {
        unsigned char *p = inv_alloc(inv, size);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (size_t i = 0; i < size; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xAB, size);
    }
    /* larger than a block, then small ones again */
    unsigned char *big = inv_alloc(inv, 3 * 1024 * 1024);
    assert_non_null(big);
    assert_int_equal(big[3 * 1024 * 1024 - 1], 0);
    char *after = inv_strdup(inv, "still fine", 10);
    assert_string_equal(after, "still fine");
    assert_string_equal(s, "abc");     /* earlier strings untouched */
    for (int i = 0; i < 1000; i++) {
        inv_snapshot *snap = inv_add_snapshot(inv);
        assert_non_null(snap);
        assert_null(snap->name);
        snap->name = inv_strdup(inv, "n", 1);
    }
    assert_int_equal(inv->nsnapshots, 1000);
    inv_disk *d = inv_add_disk(inv);
    assert_non_null(d);
    assert_null(d->name);
    assert_int_equal(inv->ndisks, 1);
    inv_free(inv);
    inv_free(NULL);
}

static bool not_named(const inv_snapshot *s, const void *ctx)
{
    return strcmp(s->name, (const char *)ctx) != 0;
}

/* A view keeps the snapshots the filter accepts, in order, and every disk
 * with the listing's disks_known; its records share the source's strings. */
static void test_view_filtered(void **state)
{
    (void)state;
    inv_inventory *src = tb_inv();
    tb_snap(src, "a", TB_DISK_ID("d"), tb_time("2026-11-20"));
    tb_snap(src, "b", TB_DISK_ID("d"), tb_time("2026-11-21"));
    tb_snap(src, "c", TB_DISK_ID("e"), tb_time("2026-11-22"));
    tb_inv_disk(src, TB_DISK_ID("d"));
    src->disks_known = true;
    inv_inventory *v = inv_view_filtered(src, not_named, "b");
    assert_non_null(v);
    assert_int_equal(v->nsnapshots, 2);
    assert_string_equal(v->snapshots[0].name, "a");
    assert_string_equal(v->snapshots[1].name, "c");
    assert_ptr_equal(v->snapshots[1].name, src->snapshots[2].name);
    assert_int_equal(v->ndisks, 1);
    assert_true(v->disks_known);
    inv_free(v);
    v = inv_view_filtered(src, NULL, NULL);     /* no filter: everything */
    assert_non_null(v);
    assert_int_equal(v->nsnapshots, 3);
    inv_free(v);
    inv_free(src);
}

static void test_tag_get(void **state)
{
    (void)state;
    const inv_tag tags[] = {
        { "snapkeep-policy", "dss-datadir" }, { "Legal-Hold", "INC-1" }, { "Env", "Prod" },
    };
    assert_string_equal(inv_tag_get(tags, 3, "snapkeep-policy"), "dss-datadir");
    assert_string_equal(inv_tag_get(tags, 3, "SNAPKEEP-POLICY"), "dss-datadir");
    assert_string_equal(inv_tag_get(tags, 3, "legal-hold"), "INC-1");
    assert_string_equal(inv_tag_get(tags, 3, "env"), "Prod");
    assert_null(inv_tag_get(tags, 3, "legal"));
    assert_null(inv_tag_get(tags, 3, "legal-hold-x"));
    assert_null(inv_tag_get(tags, 2, "env"));
    assert_null(inv_tag_get(NULL, 0, "env"));
}

/* A snapshot listed twice (ARM pages that overlap, listings concatenated)
 * is one snapshot: the later listings go, the first stays where it was.
 * Left in, `plan` gave the copy of a kept snapshot its own "prune", and
 * the documented jq | az snapshot delete pipeline deleted a kept one. */
#define SNAP_ID(n) "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/" n
/* engine/utf8.h, the UTF-8 check the policy reader, this reader and the
 * JSON writer share. */
static void test_utf8_len(void **state)
{
    (void)state;
    static const struct { const char *s; size_t n, want; } cases[] = {
        { "a", 1, 1 },                  { "", 1, 1 },              /* NUL is ASCII */
        { "\xC3\xA9", 2, 2 },           { "\xC3\xA9", 1, 0 },      /* cut short */
        { "\xE2\x80\xAE", 3, 3 },       { "\xF0\x9F\x98\x80", 4, 4 },
        { "\xC0\x80", 2, 0 },           { "\xC1\xBF", 2, 0 },      /* overlong */
        { "\xE0\x9F\xBF", 3, 0 },       { "\xF0\x8F\xBF\xBF", 4, 0 },
        { "\xED\xA0\x80", 3, 0 },       { "\xED\x9F\xBF", 3, 3 }, /* surrogates */
        { "\xF4\x90\x80\x80", 4, 0 },   { "\xF4\x8F\xBF\xBF", 4, 4 }, /* U+10FFFF */
        { "\xF5\x80\x80\x80", 4, 0 },   { "\x80", 1, 0 },           { "\xE2\x28\xA1", 3, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (eng_utf8_len((const unsigned char *)cases[i].s, cases[i].n) != cases[i].want)
            fail_msg("case %zu: %zu, want %zu", i,
                     eng_utf8_len((const unsigned char *)cases[i].s, cases[i].n), cases[i].want);
}

/* The one resource-ID comparison (engine/inventory.h) and its hash. */
static void test_id_equal(void **state)
{
    (void)state;
    static const struct { const char *a, *b; bool eq; } cases[] = {
        { "/subscriptions/S/resourceGroups/RG/x", "subscriptions/s/resourcegroups/rg/X", true },
        { "/a/b", "/a/b", true },       { "a/b", "/a/b", true },
        { "/a/b", "/a/b/", false },     { "/a/b", "/a/c", false },
        { "//a", "/a", false },         { "/a@", "/a`", false },    /* '@' | 0x20 == '`' */
        { "", "/", true },              { "/abcdefghIJKLMNOP", "ABCDEFGHijklmnop", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *a = cases[i].a, *b = cases[i].b;
        if (inv_id_equal(a, b) != cases[i].eq || inv_id_equal(b, a) != cases[i].eq)
            fail_msg("\"%s\" vs \"%s\"", a, b);
        if (cases[i].eq && inv_id_hash(a) != inv_id_hash(b))
            fail_msg("\"%s\" and \"%s\" hash apart", a, b);
    }
    assert_true(inv_id_equal(NULL, NULL));
    assert_false(inv_id_equal(NULL, ""));
    assert_false(inv_id_equal("/a", NULL));
}

static void test_merge_duplicate_ids(void **state)
{
    (void)state;
    char why[256];
    inv_inventory *inv = read_ok(
        "[{\"value\":["
        "{\"name\":\"a\",\"id\":\"" SNAP_ID("a") "\"," P0 "},"
        "{\"name\":\"b\",\"id\":\"" SNAP_ID("b") "\"," P0 "},"
        "{\"name\":\"x\"," P0 "}]},"
        "{\"value\":["
        "{\"name\":\"b\",\"id\":\"SUBSCRIPTIONS/S/resourcegroups/RG/providers/"
        "microsoft.compute/snapshots/B\"," P0 "},"
        "{\"name\":\"x\"," P0 "},"
        "{\"name\":\"c\",\"id\":\"" SNAP_ID("c") "\"," P0 "},"
        "{\"name\":\"a\",\"id\":\"" SNAP_ID("a") "\"," P0 "}]}]");
    assert_int_equal(inv->nsnapshots, 7);
    size_t dropped = 99;
    const char *example = NULL;
    assert_int_equal(inv_merge_duplicate_ids(inv, &dropped, &example, why, sizeof why), 0);
    assert_int_equal(dropped, 2);
    assert_string_equal(example, "b");
    const char *want[] = { "a", "b", "x", "x", "c" };
    assert_int_equal(inv->nsnapshots, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(inv->snapshots[i].name, want[i]);
    assert_int_equal(inv_merge_duplicate_ids(inv, &dropped, NULL, why, sizeof why), 0);
    assert_int_equal(dropped, 0);
    assert_int_equal(inv->nsnapshots, 5);
    inv_free(inv);

    /* issue 16: a later copy, its ID in other case, carries a legal hold
     * the first lacks; the merged record has it (and keeps its own tags) */
    inv = read_ok(
        "{\"value\":["
        "{\"name\":\"a\",\"id\":\"" SNAP_ID("a") "\",\"tags\":{\"snapkeep-policy\":\"p\","
        "\"env\":\"prod\"}," P0 "},"
        "{\"name\":\"A\",\"id\":\"" SNAP_ID("A") "\",\"tags\":{\"SNAPKEEP-POLICY\":\"p\","
        "\"Legal-Hold\":\"yes\",\"env\":\"prod\"}," P0 "}]}");
    assert_int_equal(inv_merge_duplicate_ids(inv, &dropped, NULL, why, sizeof why), 0);
    assert_int_equal(dropped, 1);
    assert_int_equal(inv->nsnapshots, 1);
    const inv_snapshot *s = &inv->snapshots[0];
    assert_string_equal(s->name, "a");
    assert_int_equal(s->ntags, 3);
    assert_string_equal(inv_tag_get(s->tags, s->ntags, "legal-hold"), "yes");
    assert_string_equal(inv_tag_get(s->tags, s->ntags, "env"), "prod");
    assert_string_equal(inv_tag_get(s->tags, s->ntags, "snapkeep-policy"), "p");
    inv_free(inv);
}

/* Copies that disagree on what a decision reads are not merged: no copy
 * can be picked safely, so the inventory is refused with the field. */
#define DUP_TAGS "\"tags\":{\"snapkeep-policy\":\"p\",\"env\":\"prod\"}"
#define DUP_PROPS(t, st, src) "\"properties\":{\"timeCreated\":\"" t "\",\"provisioningState\":\"" \
    st "\",\"creationData\":{\"sourceResourceId\":\"" src "\"}}"
#define DUP_T "2026-11-20T10:00:00Z"
#define DUP_BASE DUP_PROPS(DUP_T, "Succeeded", "/d/disk")
#define DUP_WHY "snapshot \"a\" is listed more than once and the copies disagree on "
static void test_duplicate_ids_disagree(void **state)
{
    (void)state;
    static const struct { const char *second, *why; } cases[] = {
        { DUP_TAGS "," DUP_PROPS("2026-11-21T10:00:00Z", "Succeeded", "/d/disk"),
          DUP_WHY "timeCreated" },
        { DUP_TAGS "," DUP_PROPS(DUP_T, "Failed", "/d/disk"), DUP_WHY "provisioningState" },
        { DUP_TAGS "," DUP_PROPS(DUP_T, "Succeeded", "/d/other"),
          DUP_WHY "creationData.sourceResourceId" },
        { "\"tags\":{\"env\":\"prod\"}," DUP_BASE, DUP_WHY "the tag snapkeep-policy" },
        { "\"tags\":{\"snapkeep-policy\":\"q\",\"env\":\"prod\"}," DUP_BASE,
          DUP_WHY "the tag snapkeep-policy" },
        { "\"tags\":{\"snapkeep-policy\":\"p\",\"ENV\":\"test\"}," DUP_BASE,
          DUP_WHY "the tag \"ENV\" (\"prod\" and \"test\")" },
        /* the same source disk, as ARM compares IDs: merged */
        { DUP_TAGS "," DUP_PROPS(DUP_T, "Succeeded", "D/DISK"), NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[1024], why[256];
        snprintf(json, sizeof json, "{\"value\":[{\"name\":\"a\",\"id\":\"/s/A\"," DUP_TAGS ","
                 DUP_BASE "},{\"name\":\"a\",\"id\":\"s/a\",%s}]}", cases[i].second);
        inv_inventory *inv = read_ok(json);
        size_t merged;
        int rc = inv_merge_duplicate_ids(inv, &merged, NULL, why, sizeof why);
        if (cases[i].why == NULL ? rc != 0 || merged != 1
                                 : rc != -2 || strcmp(why, cases[i].why) != 0)
            fail_msg("case %zu: %d \"%s\"", i, rc, why);
        inv_free(inv);
    }
}

static void test_drop_many_duplicates(void **state)
{
    (void)state;
    size_t dropped;
    char why[64];
    inv_inventory *inv;
    /* many: every third a copy of an earlier one, the table grows */
    inv = inv_new();
    assert_non_null(inv);
    char id[128];
    for (int i = 0; i < 3000; i++) {
        inv_snapshot *sn = inv_add_snapshot(inv);
        assert_non_null(sn);
        int n = i % 3 == 2 ? i / 3 * 3 : i;
        snprintf(id, sizeof id, "%s/subscriptions/s/snapshots/s%d", i % 2 ? "" : "/", n);
        sn->id = inv_strdup(inv, id, strlen(id));
        sn->name = sn->id;
    }
    assert_int_equal(inv_merge_duplicate_ids(inv, &dropped, NULL, why, sizeof why), 0);
    assert_int_equal(dropped, 1000);
    assert_int_equal(inv->nsnapshots, 2000);
    inv_free(inv);
}

/* ---- accepted shapes ---- */

static void test_arm_list_example(void **state)
{
    (void)state;
    char *json = example_body("tests/fixtures/arm/Snapshot_ListByResourceGroup.json", false);
    inv_inventory *inv = read_ok(json);
    assert_int_equal(inv->nsnapshots, 1);
    const inv_snapshot *s = &inv->snapshots[0];
    assert_string_equal(s->name, "mySnapshot");
    assert_string_equal(s->id, "/subscriptions/{subscriptionId}/resourceGroups/myResourceGroup"
                        "/providers/Microsoft.Compute/snapshots/mySnapshot");
    /* the example's sourceResourceId lacks its leading '/' */
    assert_string_equal(s->source_id, "/subscriptions/{subscriptionId}/resourceGroups/"
                        "myResourceGroup/providers/Microsoft.Compute/snapshots/mySnapshot");
    assert_string_equal(s->location, "westus");
    assert_string_equal(s->provisioning_state, "Succeeded");
    assert_null(s->sku);
    assert_false(s->incremental);
    assert_string_equal(fmt_time(s->created), "2016-12-28T04:41:35.927872Z");
    assert_int_equal(s->ntags, 2);
    assert_string_equal(inv_tag_get(s->tags, s->ntags, "department"), "Development");
    assert_string_equal(inv_tag_get(s->tags, s->ntags, "project"), "Snapshots");
    assert_false(inv->disks_known);
    inv_free(inv);
    cJSON_free(json);
}

static void test_arm_incremental_example(void **state)
{
    (void)state;
    char *json = example_body("tests/fixtures/arm/Snapshot_GetIncrementalSnapshot.json", true);
    inv_inventory *inv = read_ok(json);
    assert_int_equal(inv->nsnapshots, 1);
    const inv_snapshot *s = &inv->snapshots[0];
    assert_string_equal(s->name, "myIncrementalSnapshot");
    assert_true(s->incremental);
    assert_string_equal(s->source_id, "/subscriptions/{subscription-id}/resourceGroups/"
                        "myResourceGroup/providers/Microsoft.Compute/disks/myDisk");
    assert_string_equal(fmt_time(s->created), "2016-12-28T04:41:35.079872Z");
    inv_free(inv);
    cJSON_free(json);
}

static inv_inventory *read_fixture(const char *path)
{
    char err[ERRLEN];
    inv_inventory *inv = NULL;
    if (inv_read_file(path, 0, &inv, err, sizeof err) != 0)
        fail_msg("%s", err);
    return inv;
}

/* The generator writes the same snapshots as one ARM page, as pages of 5
 * and as `az snapshot list` would print them (tests/gen-inventory --disks 3
 * --per-disk 4 --cadence 6h --end 2026-11-26T12:00:00Z --seed 7 --page-size 5). */
static void test_shapes_identical(void **state)
{
    (void)state;
    inv_inventory *arm = read_fixture("tests/fixtures/inventory/small-arm.json");
    inv_inventory *az = read_fixture("tests/fixtures/inventory/small-az.json");
    inv_inventory *pages = read_fixture("tests/fixtures/inventory/small-pages.json");
    assert_int_equal(arm->nsnapshots, 12);
    assert_same_inventory(arm, az);
    assert_same_inventory(arm, pages);
    const inv_snapshot *s = &arm->snapshots[11];
    assert_string_equal(s->name, "disk-0002-20261126T1200");
    assert_string_equal(s->sku, "Standard_ZRS");
    assert_string_equal(s->location, "westeurope");
    assert_true(s->incremental);
    assert_string_equal(inv_tag_get(s->tags, s->ntags, "snapkeep-policy"), "bench");
    inv_free(arm);
    inv_free(az);
    inv_free(pages);
}

/* The same snapshot written the ARM way and the az way. */
static void test_az_flattened_equals_arm(void **state)
{
    (void)state;
    inv_inventory *arm = read_ok(
        "{\"value\":[{\"name\":\"s1\",\"id\":\"/x/s1\",\"location\":\"westeurope\","
        "\"tags\":{\"snapkeep-policy\":\"p\",\"legal-hold\":\"\"},\"sku\":{\"name\":\"Standard_LRS\","
        "\"tier\":\"Standard\"},\"properties\":{\"creationData\":{\"createOption\":\"Copy\","
        "\"sourceResourceId\":\"/d/disk1\"},\"incremental\":true,"
        "\"timeCreated\":\"2026-11-20T10:00:03.1234567+00:00\",\"provisioningState\":\"Succeeded\"}}],"
        "\"nextLink\":null}");
    inv_inventory *az = read_ok(
        "[{\"creationData\":{\"createOption\":\"Copy\",\"sourceResourceId\":\"d/disk1\"},"
        "\"diskSizeGb\":1024,\"extendedLocation\":null,\"id\":\"/x/s1\",\"incremental\":true,"
        "\"location\":\"westeurope\",\"managedBy\":null,\"name\":\"s1\",\"provisioningState\":"
        "\"Succeeded\",\"resourceGroup\":\"rg\",\"sku\":{\"name\":\"Standard_LRS\",\"tier\":"
        "\"Standard\"},\"tags\":{\"snapkeep-policy\":\"p\",\"legal-hold\":\"\"},"
        "\"timeCreated\":\"2026-11-20T10:00:03.1234567+00:00\",\"zones\":null}]");
    assert_same_inventory(arm, az);
    assert_string_equal(az->snapshots[0].source_id, "/d/disk1");
    assert_string_equal(inv_tag_get(az->snapshots[0].tags, 2, "legal-hold"), "");
    inv_free(arm);
    inv_free(az);
}

/* An independent reading of the demo sample with cJSON. */
static void test_sample_inventory(void **state)
{
    (void)state;
    size_t len;
    char *text = slurp("policies/sample-inventory.json", &len);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    cJSON *value = cJSON_GetObjectItem(root, "value");
    inv_inventory *inv = read_fixture("policies/sample-inventory.json");
    assert_int_equal(inv->nsnapshots, (size_t)cJSON_GetArraySize(value));
    assert_in_range(inv->nsnapshots, 450, 500);
    size_t i = 0, held = 0, unowned = 0;
    cJSON *o;
    cJSON_ArrayForEach(o, value) {
        const inv_snapshot *s = &inv->snapshots[i++];
        cJSON *props = cJSON_GetObjectItem(o, "properties");
        const char *tc = cJSON_GetObjectItem(props, "timeCreated")->valuestring;
        sk_time t;
        assert_int_equal(eng_time_parse(tc, strlen(tc), &t), 0);
        assert_true(s->created == t);
        assert_string_equal(s->name, cJSON_GetObjectItem(o, "name")->valuestring);
        assert_string_equal(s->id, cJSON_GetObjectItem(o, "id")->valuestring);
        assert_string_equal(s->source_id, cJSON_GetObjectItem(
            cJSON_GetObjectItem(props, "creationData"), "sourceResourceId")->valuestring);
        assert_int_equal(s->ntags, cJSON_GetArraySize(cJSON_GetObjectItem(o, "tags")));
        held += inv_tag_get(s->tags, s->ntags, "legal-hold") != NULL;
        unowned += inv_tag_get(s->tags, s->ntags, "snapkeep-policy") == NULL;
    }
    assert_int_equal(held, 1);
    assert_int_equal(unowned, 3);
    /* the newest of the policy's disk: the hour before --end, plus seconds */
    assert_string_equal(inv->snapshots[479].name, "dss-data-20261126T1100");
    assert_memory_equal(fmt_time(inv->snapshots[479].created), "2026-11-26T11:00:0", 18);
    inv_free(inv);
    cJSON_Delete(root);
    free(text);
}

static void test_pages_array(void **state)
{
    (void)state;
    inv_inventory *inv = read_ok(
        "[{\"value\":[{\"name\":\"a\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\"}}],"
        "\"nextLink\":\"https://management.azure.com/x?$skiptoken=1\"},"
        " {\"nextLink\":\"https://management.azure.com/x?$skiptoken=2\",\"value\":[]},"
        " {\"@odata.count\":2,\"value\":[{\"name\":\"b\",\"properties\":"
        "{\"timeCreated\":\"2026-11-20T11:00:00Z\"}}]}]");
    assert_int_equal(inv->nsnapshots, 2);
    assert_string_equal(inv->snapshots[0].name, "a");
    assert_string_equal(inv->snapshots[1].name, "b");
    assert_string_equal(fmt_time(inv->snapshots[1].created), "2026-11-20T11:00:00Z");
    inv_free(inv);
    /* empty listings in every shape */
    const char *empty[] = { "{\"value\":[]}", "[]", "[{\"value\":[]}]", " \n[ ]\n",
                            "\xEF\xBB\xBF{\"value\":[],\"nextLink\":\"\"}" };
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        inv = read_ok(empty[i]);
        assert_int_equal(inv->nsnapshots, 0);
        inv_free(inv);
    }
}

/* Fields that may be missing or null, and the defaults they leave. */
static void test_optional_fields(void **state)
{
    (void)state;
    inv_inventory *inv = read_ok(
        "{\"value\":[{\"name\":\"bare\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\"}},"
        "{\"name\":\"nulls\",\"id\":null,\"location\":null,\"tags\":null,\"sku\":null,"
        "\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\",\"creationData\":{"
        "\"createOption\":\"Import\",\"sourceResourceId\":null},\"incremental\":null,"
        "\"provisioningState\":null}},"
        "{\"name\":\"empty-source\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\","
        "\"creationData\":{\"sourceResourceId\":\"\"},\"incremental\":false},\"sku\":{}}]}");
    assert_int_equal(inv->nsnapshots, 3);
    for (size_t i = 0; i < 3; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        assert_string_equal(s->id, "");
        assert_null(s->source_id);
        assert_null(s->location);
        assert_null(s->provisioning_state);
        assert_null(s->sku);
        assert_false(s->incremental);
        assert_int_equal(s->ntags, 0);
    }
    inv_free(inv);
}

/* Values repeated from one snapshot to the next are stored once; changes,
 * escapes and tag order must still give each snapshot its own values. */
static void test_repeated_values(void **state)
{
    (void)state;
    inv_inventory *inv = read_ok(
        "[{\"name\":\"1\"," T0 ",\"location\":\"westeurope\",\"creationData\":"
        "{\"sourceResourceId\":\"subscriptions/s/disks/a\"},\"tags\":{\"k\":\"v\",\"x\":\"1\"}},"
        "{\"name\":\"2\"," T0 ",\"location\":\"westeurope\",\"creationData\":"
        "{\"sourceResourceId\":\"subscriptions/s/disks/a\"},\"tags\":{\"x\":\"1\",\"k\":\"v\"}},"
        "{\"name\":\"3\"," T0 ",\"location\":\"westeurop\\u0065\",\"creationData\":"
        "{\"sourceResourceId\":\"/subscriptions/s/disks/b\"},\"tags\":{\"k\":\"w\"}},"
        "{\"name\":\"4\"," T0 ",\"location\":\"northeurope\",\"creationData\":"
        "{\"sourceResourceId\":\"subscriptions/s/disks/a\"},\"tags\":{\"\\u006b\":\"v\"}},"
        "{\"name\":\"5\"," T0 ",\"location\":\"westeurope\"}]");
    const inv_snapshot *s = inv->snapshots;
    assert_int_equal(inv->nsnapshots, 5);
    const char *loc[] = { "westeurope", "westeurope", "westeurope", "northeurope", "westeurope" };
    const char *src[] = { "/subscriptions/s/disks/a", "/subscriptions/s/disks/a",
                          "/subscriptions/s/disks/b", "/subscriptions/s/disks/a", NULL };
    for (int i = 0; i < 5; i++) {
        assert_string_equal(s[i].location, loc[i]);
        assert_str_or_null(s[i].source_id, src[i]);
    }
    assert_string_equal(s[0].tags[0].key, "k");
    assert_string_equal(s[0].tags[1].key, "x");
    assert_string_equal(s[1].tags[0].key, "x");
    assert_string_equal(s[1].tags[0].value, "1");
    assert_string_equal(s[1].tags[1].key, "k");
    assert_string_equal(s[1].tags[1].value, "v");
    assert_string_equal(inv_tag_get(s[2].tags, s[2].ntags, "k"), "w");
    assert_string_equal(inv_tag_get(s[3].tags, s[3].ntags, "k"), "v");
    assert_int_equal(s[4].ntags, 0);
    inv_free(inv);
}

/* ---- times ---- */

typedef struct time_case {
    const char *text;       /* the timeCreated string, JSON-escaped */
    const char *utc;        /* eng_time_format of the record */
} time_case;

static const time_case time_cases[] = {
    { "2026-11-20T10:00:03Z", "2026-11-20T10:00:03Z" },
    { "2026-11-20T10:00:03.1Z", "2026-11-20T10:00:03.100000Z" },
    { "2026-11-20T10:00:03.12Z", "2026-11-20T10:00:03.120000Z" },
    { "2026-11-20T10:00:03.123Z", "2026-11-20T10:00:03.123000Z" },
    { "2026-11-20T10:00:03.1234Z", "2026-11-20T10:00:03.123400Z" },
    { "2026-11-20T10:00:03.12345Z", "2026-11-20T10:00:03.123450Z" },
    { "2026-11-20T10:00:03.123456Z", "2026-11-20T10:00:03.123456Z" },
    { "2026-11-20T10:00:03.1234567+00:00", "2026-11-20T10:00:03.123456Z" },
    { "2026-11-20T10:00:03.12345678Z", "2026-11-20T10:00:03.123456Z" },
    { "2026-11-20T10:00:03.123456789Z", "2026-11-20T10:00:03.123456Z" },
    { "2026-11-20T10:00:03.1234567890123Z", "2026-11-20T10:00:03.123456Z" },
    /* a leap second: the last microsecond of its minute */
    { "2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999Z" },
    { "2026-11-20T10:00:03.9999999-00:00", "2026-11-20T10:00:03.999999Z" },
    { "2026-11-20T10:00:03+05:30", "2026-11-20T04:30:03Z" },
    { "2026-11-20T01:00:03.5+05:45", "2026-11-19T19:15:03.500000Z" },
    { "2026-11-20T22:00:00-08:00", "2026-11-21T06:00:00Z" },
    { "2026-11-20t10:00:03z", "2026-11-20T10:00:03Z" },
    { "2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z" },
    /* escapes inside the time are decoded before parsing */
    { "2026-11-20T10:00:03\\u002B01:00", "2026-11-20T09:00:03Z" },
};

static void test_times(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof time_cases / sizeof *time_cases; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"value\":[{\"name\":\"s\",\"properties\":{\"timeCreated\":\"%s\"}}]}",
                 time_cases[i].text);
        inv_inventory *inv = read_ok(json);
        if (strcmp(fmt_time(inv->snapshots[0].created), time_cases[i].utc) != 0)
            fail_msg("%s: got %s, want %s", time_cases[i].text,
                     fmt_time(inv->snapshots[0].created), time_cases[i].utc);
        inv_free(inv);
    }
}

/* ---- refusals: every message exactly ---- */

typedef struct refusal {
    const char *json;
    const char *message;
} refusal;

static const refusal refusals[] = {
    /* names */
    { "{\"value\":[{" P0 "}]}",
      "inv.json:1:11: snapshot .value[0]: name: missing" },
    { "{\"value\":[{\"name\":7," P0 "}]}",
      "inv.json:1:19: snapshot .value[0]: name: expected a string, found a number" },
    { "{\"value\":[{\"name\":null," P0 "}]}",
      "inv.json:1:19: snapshot .value[0]: name: expected a string, found null" },
    { "{\"value\":[{\"name\":\"\"," P0 "}]}",
      "inv.json:1:19: snapshot .value[0]: name: empty" },
    { "{\"value\":[{\"name\":\"a\",\"name\":\"b\"," P0 "}]}",
      "inv.json:1:30: snapshot .value[0] (\"b\"): name: given more than once" },
    { "{\"value\":[{\"name\":\"a\\u0000b\"," P0 "}]}",
      "inv.json:1:19: snapshot .value[0] (\"a\"): name: contains a NUL character (\\u0000)" },
    /* times; the name comes last, as ARM writes it, and is still named */
    { "{\"value\":[{\"name\":\"a\",\"properties\":{}}]}",
      "inv.json:1:11: snapshot .value[0] (\"a\"): properties.timeCreated: missing" },
    { "[{\"name\":\"a\"}]",
      "inv.json:1:2: snapshot .[0] (\"a\"): timeCreated: missing" },
    { "{\"value\":[{\"properties\":{\"timeCreated\":\"2026-02-30T10:00:00Z\"},\"name\":\"snap-x\"}]}",
      "inv.json:1:40: snapshot .value[0] (\"snap-x\"): properties.timeCreated: not an RFC 3339 "
      "time: \"2026-02-30T10:00:00Z\"" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":{\"timeCreated\":\"yesterday\\n\"}}]}",
      "inv.json:1:51: snapshot .value[0] (\"a\"): properties.timeCreated: not an RFC 3339 "
      "time: \"yesterday\\u000a\"" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00\"}}]}",
      "inv.json:1:51: snapshot .value[0] (\"a\"): properties.timeCreated: not an RFC 3339 "
      "time: \"2026-11-20T10:00:00\"" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":{\"timeCreated\":\"0001-01-01T00:00:00+01:00\"}}]}",
      "inv.json:1:51: snapshot .value[0] (\"a\"): properties.timeCreated: out of range: "
      "\"0001-01-01T00:00:00+01:00\" is not between 0001-01-01T00:00:00Z and "
      "9999-12-31T23:59:59.999999Z" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:60Z\"}}]}",
      "inv.json:1:51: snapshot .value[0] (\"a\"): properties.timeCreated: not an RFC 3339 "
      "time: \"2026-11-20T10:00:60Z\"" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":{\"timeCreated\":1700000000}}]}",
      "inv.json:1:51: snapshot .value[0] (\"a\"): properties.timeCreated: expected an RFC 3339 "
      "time string, found a number" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":{\"timeCreated\":null}}]}",
      "inv.json:1:51: snapshot .value[0] (\"a\"): properties.timeCreated: expected an RFC 3339 "
      "time string, found null" },
    { "[{\"name\":\"a\"," T0 "," P0 "}]",
      "inv.json:1:79: snapshot .[0] (\"a\"): properties.timeCreated: given more than once" },
    /* other fields of the wrong type */
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"tags\":[]}]}",
      "inv.json:1:82: snapshot .value[0] (\"a\"): tags: expected an object, found an array" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"tags\":{\"owner\":1}}]}",
      "inv.json:1:91: snapshot .value[0] (\"a\"): tags.\"owner\": expected a string, found a number" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"tags\":{\"owner\":null}}]}",
      "inv.json:1:91: snapshot .value[0] (\"a\"): tags.\"owner\": expected a string, found null" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"tags\":{\"Owner\":\"x\",\"OWNER\":\"y\"}}]}",
      "inv.json:1:95: snapshot .value[0] (\"a\"): tags.\"OWNER\": given more than once "
      "(tag names are case-insensitive)" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"id\":{}}]}",
      "inv.json:1:80: snapshot .value[0] (\"a\"): id: expected a string, found an object" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"location\":true}]}",
      "inv.json:1:86: snapshot .value[0] (\"a\"): location: expected a string, found a boolean" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"sku\":\"Standard_LRS\"}]}",
      "inv.json:1:81: snapshot .value[0] (\"a\"): sku: expected an object, found a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"sku\":{\"name\":1}}]}",
      "inv.json:1:89: snapshot .value[0] (\"a\"): sku.name: expected a string, found a number" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":[]}]}",
      "inv.json:1:36: snapshot .value[0] (\"a\"): properties: expected an object, found an array" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":{" T0 ",\"incremental\":\"true\"}}]}",
      "inv.json:1:88: snapshot .value[0] (\"a\"): properties.incremental: expected true or false, "
      "found a string" },
    { "{\"value\":[{\"name\":\"a\",\"properties\":{" T0 ",\"creationData\":{\"sourceResourceId\":5}}}]}",
      "inv.json:1:109: snapshot .value[0] (\"a\"): properties.creationData.sourceResourceId: "
      "expected a string, found a number" },
    { "[{\"name\":\"a\"," T0 ",\"creationData\":\"x\"}]",
      "inv.json:1:66: snapshot .[0] (\"a\"): creationData: expected an object, found a string" },
    { "[{\"name\":\"a\"," T0 ",\"provisioningState\":[1]}]",
      "inv.json:1:71: snapshot .[0] (\"a\"): provisioningState: expected a string, found an array" },
    /* elements and shapes */
    { "{\"value\":[\"a\"]}",
      "inv.json:1:11: snapshot .value[0]: expected an object, found a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 "},null]}",
      "inv.json:1:76: snapshot .value[1]: expected an object, found null" },
    { "{\"value\":{}}", "inv.json:1:10: value: expected an array, found an object" },
    { "{\"value\":null}", "inv.json:1:10: value: expected an array, found null" },
    { "{\"value\":[],\"value\":[]}", "inv.json:1:13: value: given more than once" },
    { "{\"values\":[]}", "inv.json:1:1: not an ARM list response: no \"value\" array" },
    { "{\"name\":\"a\"," P0 "}", "inv.json:1:1: not an ARM list response: no \"value\" array" },
    { "{\"value\":[],\"nextLink\":5}", "inv.json:1:24: nextLink: expected a string or null, found a number" },
    { "{\"value\":[],\"nextLink\":\"https://management.azure.com/next\"}",
      "inv.json:1:24: nextLink: the listing goes on in another page, which this file does not "
      "hold (save every page, as a JSON array of pages)" },
    { "[{\"value\":[],\"nextLink\":\"https://a\"},{\"value\":[],\"nextLink\":\"https://b\"}]",
      "inv.json:1:61: nextLink: the listing goes on in another page, which this file does not "
      "hold (save every page, as a JSON array of pages)" },
    { "[{\"value\":[]},{\"name\":\"a\"," P0 "}]",
      "inv.json:1:15: page .[1]: not an ARM list response: no \"value\" array" },
    { "[{\"value\":[]},[]]", "inv.json:1:15: page .[1]: expected an ARM list page, found an array" },
    { "[{\"value\":[{\"name\":\"a\"}]}]",
      "inv.json:1:12: snapshot .[0].value[0] (\"a\"): properties.timeCreated: missing" },
    { "[{\"value\":[]},{\"value\":7}]", "inv.json:1:24: page .[1]: value: expected an array, found a number" },
    { "[{\"name\":\"a\"," T0 "},{\"value\":[]}]",
      "inv.json:1:53: snapshot .[1]: an ARM list page among snapshots: the array must hold "
      "either snapshots or pages" },
    { "[1]", "inv.json:1:2: snapshot .[0]: expected an object, found a number" },
    { "\"inventory\"", "inv.json:1:1: not an inventory: expected a JSON object or array, found a string" },
    { "42", "inv.json:1:1: not an inventory: expected a JSON object or array, found a number" },
    /* not JSON at all: said so, where, and what an inventory is (JSON
     * literals are still "not an inventory") */
    { "this is not json", "inv.json:1:1: not JSON: the file starts with 'this'; an inventory "
      "is the JSON array `az snapshot list` prints, or ARM's {\"value\": [...]}" },
    { "nope", "inv.json:1:1: not JSON: the file starts with 'nope'; an inventory is the JSON "
      "array `az snapshot list` prints, or ARM's {\"value\": [...]}" },
    { "\n  trueish", "inv.json:2:3: not JSON: the file starts with 'trueish'; an inventory is "
      "the JSON array `az snapshot list` prints, or ARM's {\"value\": [...]}" },
    { "<html><body>502 Bad Gateway", "inv.json:1:1: not JSON: the file starts with '<'; an "
      "inventory is the JSON array `az snapshot list` prints, or ARM's {\"value\": [...]}" },
    { "\x1b[1m", "inv.json:1:1: not JSON: the file starts with byte 0x1b; an inventory is "
      "the JSON array `az snapshot list` prints, or ARM's {\"value\": [...]}" },
    { "true", "inv.json:1:1: not an inventory: expected a JSON object or array, found a boolean" },
    { "null", "inv.json:1:1: not an inventory: expected a JSON object or array, found null" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":nullified}]}",
      "inv.json:1:79: malformed JSON: expected a value, found 'nullified'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":abcdefghijklmnopqrstuvwxyz0123}]}",
      "inv.json:1:79: malformed JSON: expected a value, found 'abcdefghijklmnopqrstuvwx...'" },
    { "", "inv.json: empty file: expected a JSON object or array" },
    { " \n\t\r\n", "inv.json: empty file: expected a JSON object or array" },
    { "\xEF\xBB\xBF", "inv.json: empty file: expected a JSON object or array" },
    /* malformed JSON: where, and what was expected */
    { "{\"value\":[]", "inv.json:1:12: malformed JSON: expected ',' or '}' after an object "
      "member, found the end of the file" },
    { "{\"value\":[}", "inv.json:1:11: malformed JSON: expected a value, found '}'" },
    { "{\"value\":[],}", "inv.json:1:13: malformed JSON: expected a string key, found '}'" },
    { "{\"value\":[{\"name\":\"a\"," P0 "},]}",
      "inv.json:1:76: malformed JSON: expected a value, found ']'" },
    { "{\"value\":[]}x", "inv.json:1:13: malformed JSON: expected the end of the file after the "
      "JSON value, found 'x'" },
    { "{\"value\":[]}{}", "inv.json:1:13: malformed JSON: expected the end of the file after the "
      "JSON value, found '{'" },
    { "{\"value\" []}", "inv.json:1:10: malformed JSON: expected ':' after an object key, found '['" },
    { "{value:[]}", "inv.json:1:2: malformed JSON: expected a string key or '}', found 'value'" },
    { "{'value':[]}", "inv.json:1:2: malformed JSON: expected a string key or '}', found '''" },
    { "{\"value\":[{\"name\":\"a\" " P0 "}]}",
      "inv.json:1:23: malformed JSON: expected ',' or '}' after an object member, found '\"'" },
    { "{\"value\":[{\"name\":}]}", "inv.json:1:19: malformed JSON: expected a value, found '}'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"tags\":{\"k\":]}}]}",
      "inv.json:1:87: malformed JSON: expected a value, found ']'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":tru}]}",
      "inv.json:1:79: malformed JSON: expected a value, found 'tru'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":01}]}",
      "inv.json:1:79: malformed JSON: a number may not start with 0" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":1.}]}",
      "inv.json:1:81: malformed JSON: expected a digit after '.', found '}'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":-}]}",
      "inv.json:1:80: malformed JSON: expected a digit, found '}'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":1e+}]}",
      "inv.json:1:82: malformed JSON: expected a digit in the exponent, found '}'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":+1}]}",
      "inv.json:1:79: malformed JSON: expected a value, found '+'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":[1,]}]}",
      "inv.json:1:82: malformed JSON: expected a value, found ']'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":{\"y\":1,}}]}",
      "inv.json:1:86: malformed JSON: expected a string key, found '}'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":NaN}]}",
      "inv.json:1:79: malformed JSON: expected a value, found 'NaN'" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":\"abc}]}",
      "inv.json:1:79: malformed JSON: unterminated string" },
    { "{\"value\":[{\"name\":\"a\tb\"," P0 "}]}",
      "inv.json:1:21: malformed JSON: unescaped control character 0x09 in a string" },
    { "{\"value\":[{\"name\":\"a\\q\"," P0 "}]}",
      "inv.json:1:21: malformed JSON: invalid escape '\\q' in a string" },
    { "{\"value\":[{\"name\":\"a\\u12\"," P0 "}]}",
      "inv.json:1:21: malformed JSON: \\u must be followed by four hex digits" },
    { "{\"value\":[{\"name\":\"a\\ud800\"," P0 "}]}",
      "inv.json:1:21: malformed JSON: high surrogate \\ud800 not followed by a low surrogate" },
    { "{\"value\":[{\"name\":\"a\\ud800\\u0041\"," P0 "}]}",
      "inv.json:1:21: malformed JSON: high surrogate \\ud800 not followed by a low surrogate" },
    { "{\"value\":[{\"name\":\"a\\uDFFF\"," P0 "}]}",
      "inv.json:1:21: malformed JSON: lone low surrogate \\udfff in a string" },
    { "{\n  \"value\": [\n    {\"name\": \"a\",\n     \"x\": }\n  ]\n}",
      "inv.json:4:11: malformed JSON: expected a value, found '}'" },
    /* columns count characters, not bytes */
    { "{\"value\":[{\"name\":\"\xC3\xA9t\xC3\xA9\"," P0 ",]}",
      "inv.json:1:77: malformed JSON: expected a string key, found ']'" },
    /* not UTF-8 */
    { "{\"value\":[{\"name\":\"a\xFF\"," P0 "}]}",
      "inv.json:1:21: not UTF-8: invalid byte 0xff in a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":\"\xC0\xAF\"}]}",
      "inv.json:1:80: not UTF-8: invalid byte 0xc0 in a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":\"\xE0\x80\xAF\"}]}",
      "inv.json:1:80: not UTF-8: invalid byte 0xe0 in a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":\"\xED\xA0\x80\"}]}",
      "inv.json:1:80: not UTF-8: invalid byte 0xed in a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":\"\xF4\x90\x80\x80\"}]}",
      "inv.json:1:80: not UTF-8: invalid byte 0xf4 in a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":\"\xE2\x82\"}]}",
      "inv.json:1:80: not UTF-8: invalid byte 0xe2 in a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":\"\x80\"}]}",
      "inv.json:1:80: not UTF-8: invalid byte 0x80 in a string" },
    { "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":\"\xF8\x88\x80\x80\x80\"}]}",
      "inv.json:1:80: not UTF-8: invalid byte 0xf8 in a string" },
    { "{\"value\":[]}\xFF", "inv.json:1:13: not UTF-8: invalid byte 0xff" },
    { "{\"value\":[]} \xC3\xA9", "inv.json:1:14: malformed JSON: expected the end of the file "
      "after the JSON value, found '\xC3\xA9'" },
    { "\xFF\xFE{\0\"\0", "inv.json:1:1: not UTF-8: the file is UTF-16 text (convert it to UTF-8)" },
};

static void test_refusals(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++) {
        const refusal *r = &refusals[i];
        size_t len = strlen(r->json);
        if (len >= 2 && (unsigned char)r->json[0] == 0xFF)
            len = 6;        /* the UTF-16 case holds NULs */
        const char *got = read_err(r->json, len);
        if (strcmp(got, r->message) != 0) {
            print_error("case %zu: %s\n  got:  %s\n  want: %s\n", i, r->json, got, r->message);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* A NUL byte in the text itself is a control character. */
static void test_raw_nul(void **state)
{
    (void)state;
    static const char json[] = "{\"value\":[{\"name\":\"a\0b\"}]}";
    assert_string_equal(read_err(json, sizeof json - 1),
                        "inv.json:1:21: malformed JSON: unescaped control character 0x00 in a string");
    static const char outside[] = "{\"value\":[]\0}";
    assert_string_equal(read_err(outside, sizeof outside - 1),
                        "inv.json:1:12: malformed JSON: expected ',' or '}' after an object member, "
                        "found byte 0x00");
}

/* ---- strings: escapes and UTF-8 that must be accepted ---- */

typedef struct name_case {
    const char *json;       /* the name as written in JSON */
    const char *decoded;
} name_case;

static const name_case names[] = {
    { "plain-name_1.2", "plain-name_1.2" },
    { "a\\\"b\\\\c\\/d", "a\"b\\c/d" },
    { "\\b\\f\\n\\r\\t", "\b\f\n\r\t" },
    { "caf\\u00e9 caf\xC3\xA9", "caf\xC3\xA9 caf\xC3\xA9" },
    { "\\u20AC\\u20ac", "\xE2\x82\xAC\xE2\x82\xAC" },
    { "\\ud83d\\ude00 \xF0\x9F\x98\x80", "\xF0\x9F\x98\x80 \xF0\x9F\x98\x80" },
    { "\\uDBFF\\uDFFF", "\xF4\x8F\xBF\xBF" },
    { "\\u007f\\u0080\\u07ff\\u0800\\uffff", "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF" },
    { "\xEF\xBB\xBF\xE4\xB8\xAD\xE6\x96\x87", "\xEF\xBB\xBF\xE4\xB8\xAD\xE6\x96\x87" },
    /* long enough to take the eight-bytes-at-a-time path, with escapes late */
    { "0123456789abcdef0123456789abcdef\\u0041\xC3\xA9z",
      "0123456789abcdef0123456789abcdefA\xC3\xA9z" },
};

static void test_names_decoded(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"value\":[{\"name\":\"%s\"," P0 ",\"tags\":{\"%s\":\"%s\"}}]}",
                 names[i].json, names[i].json, names[i].json);
        inv_inventory *inv = read_ok(json);
        const inv_snapshot *s = &inv->snapshots[0];
        if (strcmp(s->name, names[i].decoded) != 0)
            fail_msg("case %zu: %s decoded as %s", i, names[i].json, s->name);
        assert_string_equal(s->tags[0].key, names[i].decoded);
        assert_string_equal(s->tags[0].value, names[i].decoded);
        inv_free(inv);
    }
}

/* Keys are compared once decoded: "na\u006de" is "name". */
static void test_escaped_keys(void **state)
{
    (void)state;
    inv_inventory *inv = read_ok(
        "{\"v\\u0061lue\":[{\"na\\u006de\":\"x\",\"\\u0070roperties\":{\"timeCreated\":"
        "\"2026-11-20T10:00:00Z\",\"creationData\":{\"sourceResourceId\":\"\\/d\"}}}]}");
    assert_int_equal(inv->nsnapshots, 1);
    assert_string_equal(inv->snapshots[0].name, "x");
    assert_string_equal(inv->snapshots[0].source_id, "/d");
    inv_free(inv);
    /* a key that only looks like "name" once escapes are ignored is another key */
    const char *json = "{\"value\":[{\"name\\n\":\"x\"," P0 "}]}";
    assert_string_equal(read_err(json, strlen(json)),
                        "inv.json:1:11: snapshot .value[0]: name: missing");
}

/* Unknown fields are skipped, whatever they hold. */
static void test_unknown_fields_skipped(void **state)
{
    (void)state;
    inv_inventory *inv = read_ok(
        "{\"@odata\":{\"a\":[1,-2.5e+3,0.0,1E9,true,false,null,\"s\",{},[]]},\"value\":[{"
        "\"name\":\"a\",\"purchasePlan\":{\"name\":\"not the snapshot's\"},\"properties\":{"
        "\"name\":\"nor this\",\"timeCreated\":\"2026-11-20T10:00:00Z\",\"encryptionSettings\":"
        "[{\"diskEncryptionKey\":{\"sourceVault\":{\"id\":\"/v\"}}}],\"tags\":5,\"sku\":6},"
        "\"zones\":[\"1\"],\"value\":1,\"extra\":[[[[[]]]]]}],\"nextLink\":null,\"z\":\"\\u00e9\"}");
    assert_int_equal(inv->nsnapshots, 1);
    assert_string_equal(inv->snapshots[0].name, "a");
    assert_int_equal(inv->snapshots[0].ntags, 0);
    assert_null(inv->snapshots[0].sku);
    inv_free(inv);
}

/* ---- nesting ---- */

/* {"value":[{"x": [ ... ] }]}: the object, the array and the snapshot are
 * three levels, so 61 arrays inside reach the limit of 64 exactly. */
#define NEST_PREFIX "{\"value\":[{\"name\":\"a\"," P0 ",\"x\":"

static char *nested(int arrays)
{
    size_t cap = (size_t)arrays * 2 + 128;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t o = (size_t)sprintf(s, NEST_PREFIX);
    for (int i = 0; i < arrays; i++)
        s[o++] = '[';
    for (int i = 0; i < arrays; i++)
        s[o++] = ']';
    strcpy(s + o, "}]}");
    return s;
}

static void test_nesting(void **state)
{
    (void)state;
    char *ok = nested(61);
    inv_free(read_ok(ok));
    free(ok);
    /* the 62nd '[' is the 65th level */
    char want[64];
    snprintf(want, sizeof want, "inv.json:1:%zu: nesting deeper than 64 levels",
             strlen(NEST_PREFIX) + 62);
    char *deep = nested(62);
    assert_string_equal(read_err(deep, strlen(deep)), want);
    free(deep);
    /* very deep input is refused without recursion */
    char *abyss = nested(1000000);
    assert_string_equal(read_err(abyss, strlen(abyss)), want);
    free(abyss);
    /* objects count too */
    assert_string_equal(read_err("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 130),
                        "inv.json:1:2: snapshot .[0]: expected an object, found an array");
}

/* ---- counts and sizes ---- */

static void test_large_counts(void **state)
{
    (void)state;
    const size_t n = 100000;
    size_t cap = n * 200 + 64, o = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    o += (size_t)sprintf(s + o, "{\"value\":[");
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(s + o, "%s{\"name\":\"s%zu\",\"tags\":{\"i\":\"%zu\"},\"properties\":"
                             "{\"timeCreated\":\"2026-11-20T%02zu:%02zu:%02zuZ\"}}",
                             i ? "," : "", i, i, i / 3600 % 24, i / 60 % 60, i % 60);
    o += (size_t)sprintf(s + o, "]}");
    char err[ERRLEN];
    inv_inventory *inv = NULL;
    assert_int_equal(inv_read_buffer("big.json", s, o, &inv, err, sizeof err), 0);
    assert_int_equal(inv->nsnapshots, n);
    for (size_t i = 0; i < n; i += 9973) {
        char want[32];
        sprintf(want, "s%zu", i);
        assert_string_equal(inv->snapshots[i].name, want);
        sprintf(want, "%zu", i);
        assert_string_equal(inv_tag_get(inv->snapshots[i].tags, 1, "I"), want);
        assert_true(inv->snapshots[i].created ==
                    inv->snapshots[0].created + (sk_time)(i % 86400) * SK_USEC_PER_SEC);
    }
    inv_free(inv);
    /* an error in the last element still names it: "...T03:46:39@" */
    char *z = s + o - strlen("Z\"}}]}");
    assert_memory_equal(z, "Z\"}}]}", 6);
    *z = '@';
    assert_int_equal(inv_read_buffer("big.json", s, o, &inv, err, sizeof err), -1);
    char want[160];
    size_t col = (size_t)(z - s) - strlen("\"2026-11-20T03:46:39") + 1;
    snprintf(want, sizeof want, "big.json:1:%zu: snapshot .value[%zu] (\"s%zu\"): "
             "properties.timeCreated: not an RFC 3339 time: \"2026-11-20T03:46:39@\"",
             col, n - 1, n - 1);
    assert_string_equal(err, want);
    free(s);
}

/* A huge string and a huge name: kept whole, quoted cut short. */
static void test_long_strings(void **state)
{
    (void)state;
    const size_t big = 5 * 1000 * 1000;
    char *s = malloc(big + 256);
    assert_non_null(s);
    size_t o = (size_t)sprintf(s, "{\"value\":[{\"name\":\"");
    memset(s + o, 'n', big);
    o += big;
    o += (size_t)sprintf(s + o, "\",\"properties\":{\"timeCreated\":\"");
    size_t col = o;     /* 1-based column of the opening quote */
    memset(s + o, '9', 200);
    o += 200;
    o += (size_t)sprintf(s + o, "\"}}]}");
    char err[ERRLEN];
    inv_inventory *inv = NULL;
    assert_int_equal(inv_read_buffer("long.json", s, o, &inv, err, sizeof err), -1);
    char want[ERRLEN];
    snprintf(want, sizeof want, "long.json:1:%zu: snapshot .value[0] (\"%.*s...\"): "
             "properties.timeCreated: not an RFC 3339 time: \"%.*s...\"",
             col, 80, s + 19, 100, s + o - 205);
    assert_string_equal(err, want);
    memcpy(s + o - 205, "2026-11-20T10:00:00Z\"}}]}", 25);
    assert_int_equal(inv_read_buffer("long.json", s, o - 180, &inv, err, sizeof err), 0);
    assert_int_equal(strlen(inv->snapshots[0].name), big);
    inv_free(inv);
    free(s);
}

/* ---- files ---- */

static void test_files(void **state)
{
    (void)state;
    char err[ERRLEN];
    inv_inventory *inv = (inv_inventory *)err;
    assert_int_equal(inv_read_file("tests/fixtures/no-such-inventory.json", 0, &inv, err,
                                   sizeof err), -1);
    assert_null(inv);
    assert_string_equal(err, "tests/fixtures/no-such-inventory.json: cannot open: "
                        "No such file or directory");
    /* only a regular file is read by name (issue 16: /dev/zero grew to 7 GB) */
    assert_int_equal(inv_read_file("tests/fixtures", 0, &inv, err, sizeof err), -1);
    assert_string_equal(err, "tests/fixtures: not a regular file (a directory); to read a "
                        "pipe, give '-' and pipe it to standard input");
    assert_int_equal(inv_read_file("/dev/zero", 0, &inv, err, sizeof err), -1);
    assert_string_equal(err, "/dev/zero: not a regular file (a character device); to read a "
                        "pipe, give '-' and pipe it to standard input");
    assert_null(inv);
    /* a tiny error buffer is not overrun */
    char tiny[8];
    assert_int_equal(inv_read_buffer("inv.json", "[1]", 3, &inv, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "inv.jso");
}

/* A FIFO with no writer is refused at once: the open does not wait. */
static void test_fifo_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/snapkeep-test-XXXXXX", path[64], err[ERRLEN];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    inv_inventory *inv = NULL;
    alarm(10);      /* the old reader blocked here forever */
    int rc = inv_read_file(path, 0, &inv, err, sizeof err);
    alarm(0);
    unlink(path);
    rmdir(dir);
    assert_int_equal(rc, -1);
    assert_null(inv);
    assert_non_null(strstr(err, "fifo: not a regular file (a FIFO); to read a pipe, give '-'"));
}

/* Writes `text` to a new temporary file; its path goes in `path`. */
static void temp_file(char *path, size_t n, const char *text)
{
    snprintf(path, n, "/tmp/snapkeep-inv-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* The size limit: a file one byte over it is refused before it is read,
 * with INV_READ_TOO_LARGE; a file of exactly the limit is read. */
static void test_size_limit(void **state)
{
    (void)state;
    const char *json = "{\"value\":[{\"name\":\"a\"," P0 "}]}";
    size_t len = strlen(json);
    char path[64], err[ERRLEN];
    temp_file(path, sizeof path, json);
    inv_inventory *inv = (inv_inventory *)err;
    assert_int_equal(inv_read_file(path, len - 1, &inv, err, sizeof err), INV_READ_TOO_LARGE);
    assert_null(inv);
    char want[ERRLEN];
    snprintf(want, sizeof want, "%s: larger than the inventory size limit of %zu bytes",
             path, len - 1);
    assert_string_equal(err, want);
    assert_int_equal(inv_read_file(path, len, &inv, err, sizeof err), 0);
    assert_int_equal(inv->nsnapshots, 1);
    inv_free(inv);
    unlink(path);
}

/* Writes `count` snapshots of 158 bytes each, as an az array ending in
 * `tail`, into a pipe on standard input and reads "-" with the limit
 * `max`; returns inv_read_file's answer. */
static int read_stdin_pipe(size_t count, const char *tail, size_t max, inv_inventory **inv,
                           char *err)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        FILE *w = fdopen(fds[1], "w");
        fputs("[", w);
        for (size_t i = 0; i < count; i++)
            fprintf(w, "%s{\"name\":\"s%zu\"," T0 ",\"pad\":\"%0100zu\"}", i ? "," : "", i, i);
        fputs(tail, w);
        fclose(w);
        _exit(0);
    }
    close(fds[1]);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    int rc = inv_read_file("-", max, inv, err, ERRLEN);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    kill(pid, SIGKILL);     /* a writer cut off at the limit would block */
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return rc;
}

/* A pipe has no size to read ahead: `az snapshot list | snapkeep plan P
 * --inventory -`. Past the limit it is refused, however long it goes on. */
static void test_pipe(void **state)
{
    (void)state;
    char err[ERRLEN];
    inv_inventory *inv = NULL;
    /* well past one 64 KiB read */
    int rc = read_stdin_pipe(3000, "]", 0, &inv, err);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(inv->nsnapshots, 3000);
    assert_string_equal(inv->snapshots[2999].name, "s2999");
    inv_free(inv);
    inv = (inv_inventory *)err;
    rc = read_stdin_pipe(3000, "]", 100000, &inv, err);
    assert_int_equal(rc, INV_READ_TOO_LARGE);
    assert_null(inv);
    assert_string_equal(err, "standard input: larger than the inventory size limit of "
                        "100000 bytes");
    /* the messages about its content name it too */
    rc = read_stdin_pipe(1, ",]", 0, &inv, err);
    assert_int_equal(rc, -1);
    assert_string_equal(err, "standard input:1:162: malformed JSON: expected a value, found ']'");
}

/* ---- live pages ---- */

static void test_arm_pages_api(void **state)
{
    (void)state;
    char err[ERRLEN], *next = (char *)err;
    inv_inventory *inv = inv_new();
    assert_non_null(inv);
    const char *p1 = "{\"value\":[{\"name\":\"a\"," P0 "}],\"nextLink\":"
                     "\"https:\\/\\/management.azure.com\\/x?api-version=2025-01-02\\u0026$skiptoken=A\"}";
    assert_int_equal(inv_read_arm_page(inv, "page 1", p1, strlen(p1), &next, err, sizeof err), 0);
    assert_string_equal(next, "https://management.azure.com/x?api-version=2025-01-02&$skiptoken=A");
    free(next);
    const char *bad = "{\"value\":[{\"name\":\"b\"," P0 "},{\"name\":\"c\"}],\"nextLink\":\"x\"}";
    next = (char *)err;
    assert_int_equal(inv_read_arm_page(inv, "page 2", bad, strlen(bad), &next, err, sizeof err), -1);
    assert_null(next);
    assert_string_equal(err, "page 2:1:76: snapshot .value[1] (\"c\"): properties.timeCreated: missing");
    assert_int_equal(inv->nsnapshots, 1);   /* the failed page added nothing */
    const char *p2 = "{\"value\":[{\"name\":\"b\"," P0 "}],\"nextLink\":null}";
    assert_int_equal(inv_read_arm_page(inv, "page 2", p2, strlen(p2), &next, err, sizeof err), 0);
    assert_null(next);
    const char *p3 = "{\"value\":[]}";
    assert_int_equal(inv_read_arm_page(inv, "page 3", p3, strlen(p3), &next, err, sizeof err), 0);
    assert_null(next);
    assert_int_equal(inv->nsnapshots, 2);
    assert_string_equal(inv->snapshots[1].name, "b");
    /* a page is one object, never the az array */
    assert_int_equal(inv_read_arm_page(inv, "p", "[]", 2, &next, err, sizeof err), -1);
    assert_string_equal(err, "p:1:1: malformed JSON: expected '{', found '['");
    assert_int_equal(inv_read_arm_page(inv, "p", "{\"value\":[]} ,", 14, &next, err, sizeof err), -1);
    assert_string_equal(err, "p:1:14: malformed JSON: expected the end of the file after the JSON "
                        "value, found ','");
    assert_false(inv->disks_known);

    const char *d1 = "{\"value\":[{\"name\":\"dss-data\",\"id\":\"/s/disks/dss-data\",\"location\":"
                     "\"westeurope\",\"sku\":{\"name\":\"Premium_ZRS\",\"tier\":\"Premium\"},\"zones\":"
                     "[\"2\"],\"tags\":{\"Backup\":\"hourly\"},\"properties\":{\"diskSizeGB\":1024}},"
                     "{\"name\":\"other\",\"zones\":null}]}";
    assert_int_equal(inv_read_arm_disk_page(inv, "disks", d1, strlen(d1), &next, err, sizeof err), 0);
    assert_null(next);
    assert_true(inv->disks_known);
    assert_int_equal(inv->ndisks, 2);
    const inv_disk *d = &inv->disks[0];
    assert_string_equal(d->name, "dss-data");
    assert_string_equal(d->id, "/s/disks/dss-data");
    assert_string_equal(d->location, "westeurope");
    assert_string_equal(d->sku, "Premium_ZRS");
    assert_string_equal(d->zone, "2");
    assert_string_equal(inv_tag_get(d->tags, d->ntags, "backup"), "hourly");
    assert_null(inv->disks[1].zone);
    assert_string_equal(inv->disks[1].id, "");
    const char *d2 = "{\"value\":[{\"name\":\"x\",\"zones\":\"1\"}]}";
    assert_int_equal(inv_read_arm_disk_page(inv, "disks", d2, strlen(d2), &next, err, sizeof err), -1);
    assert_string_equal(err, "disks:1:31: disk .value[0] (\"x\"): zones: expected an array, found a string");
    const char *d3 = "{\"value\":[{\"id\":\"/d\"}]}";
    assert_int_equal(inv_read_arm_disk_page(inv, "disks", d3, strlen(d3), &next, err, sizeof err), -1);
    assert_string_equal(err, "disks:1:11: disk .value[0]: name: missing");
    assert_int_equal(inv->ndisks, 2);
    inv_free(inv);
}

/* An HTTP 200 whose body is empty reaches the reader as NULL, 0 (issue
 * 16): a failed answer with its own message, and no arithmetic on NULL
 * (the asan build's UBSan aborts on that). */
static void test_empty_answer(void **state)
{
    (void)state;
    char err[ERRLEN], *next = (char *)err;
    inv_inventory *inv = inv_new();
    assert_non_null(inv);
    assert_int_equal(inv_read_arm_page(inv, "ARM page", NULL, 0, &next, err, sizeof err), -1);
    assert_null(next);
    assert_string_equal(err, "ARM page: empty answer: expected an ARM list page (a JSON object)");
    next = (char *)err;
    assert_int_equal(inv_read_arm_disk_page(inv, "ARM page", " \r\n", 3, &next, err, sizeof err), -1);
    assert_null(next);
    assert_string_equal(err, "ARM page: empty answer: expected an ARM list page (a JSON object)");
    assert_int_equal(inv->nsnapshots, 0);
    assert_false(inv->disks_known);
    inv_inventory *file = (inv_inventory *)err;
    assert_int_equal(inv_read_buffer("inv.json", NULL, 0, &file, err, sizeof err), -1);
    assert_null(file);
    assert_string_equal(err, "inv.json: empty file: expected a JSON object or array");
    inv_free(inv);
}

/* A background copy's progress and failure (CopyStart copies, engine/copies.h). */
static void test_copy_fields(void **state)
{
    (void)state;
    inv_inventory *inv = read_ok("{\"value\":["
        "{\"name\":\"a\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\",\"completionPercent\":42.5}},"
        "{\"name\":\"b\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\",\"completionPercent\":100,\"copyCompletionError\":"
        "{\"errorCode\":\"CopySourceNotFound\",\"errorMessage\":\"gone\"}}},"
        "{\"name\":\"c\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\",\"completionPercent\":null,\"copyCompletionError\":null}},"
        "{\"name\":\"d\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\",\"copyCompletionError\":{}}}]}");
    assert_true(inv->snapshots[0].has_completion);
    assert_true(inv->snapshots[0].completion_percent == 42.5);
    assert_null(inv->snapshots[0].copy_error_code);
    assert_string_equal(inv->snapshots[1].copy_error_code, "CopySourceNotFound");
    assert_false(inv->snapshots[2].has_completion);
    assert_null(inv->snapshots[2].copy_error_code);
    assert_string_equal(inv->snapshots[3].copy_error_code, "");   /* an error without a code */
    inv_free(inv);
    inv_inventory *bad = NULL;
    char err[256];
    const char *j = "{\"value\":[{\"name\":\"a\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:00Z\",\"completionPercent\":\"x\"}}]}";
    assert_int_not_equal(inv_read_buffer("inv.json", j, strlen(j), &bad, err, sizeof err), 0);
    assert_non_null(strstr(err, "completionPercent"));
}

/* The disk list from memory (plan --disks's parser, the fuzzer's entry):
 * the three shapes read the same disks and scopes; a list refused after a
 * first one leaves the disks, the scopes and disks_known as they were. */
static void test_disks_buffer(void **state)
{
    (void)state;
    static const char *const shapes[] = {
        "[{\"name\":\"a\",\"id\":\"/subscriptions/S/resourceGroups/G/providers/"
        "Microsoft.Compute/disks/a\"}]",
        "{\"value\":[{\"name\":\"a\",\"id\":\"/subscriptions/S/resourceGroups/G/providers/"
        "Microsoft.Compute/disks/a\"}]}",
        "[{\"value\":[{\"name\":\"a\",\"id\":\"/subscriptions/S/resourceGroups/G/providers/"
        "Microsoft.Compute/disks/a\"}]}]",
    };
    char err[512];
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        inv_inventory *inv = inv_new();
        assert_non_null(inv);
        assert_int_equal(inv_read_disks_buffer(inv, "d.json", shapes[k], strlen(shapes[k]),
                                               err, sizeof err), 0);
        assert_true(inv->disks_known);
        assert_int_equal(inv->ndisks, 1);
        assert_string_equal(inv->disks[0].name, "a");
        assert_int_equal(inv->ndisk_scopes, 1);
        assert_string_equal(inv->disk_scopes[0].subscription, "S");
        assert_string_equal(inv->disk_scopes[0].resource_group, "G");
        inv_free(inv);
    }
    inv_inventory *inv = inv_new();
    assert_non_null(inv);
    static const char bad[] = "[{\"name\":\"b\",\"id\":\"/subscriptions/T/resourceGroups/H/"
                              "providers/Microsoft.Compute/disks/b\"},{\"name\":\"\"}]";
    assert_int_equal(inv_read_disks_buffer(inv, "bad.json", bad, sizeof bad - 1, err,
                                           sizeof err), -1);
    assert_false(inv->disks_known);
    assert_int_equal(inv->ndisks, 0);
    assert_int_equal(inv->ndisk_scopes, 0);
    assert_true(strncmp(err, "bad.json:", 9) == 0);
    inv_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_copy_fields),
        cmocka_unit_test(test_empty_answer),
        cmocka_unit_test(test_tag_get),
        cmocka_unit_test(test_view_filtered),
        cmocka_unit_test(test_utf8_len),
        cmocka_unit_test(test_id_equal),
        cmocka_unit_test(test_merge_duplicate_ids),
        cmocka_unit_test(test_duplicate_ids_disagree),
        cmocka_unit_test(test_drop_many_duplicates),
        cmocka_unit_test(test_arm_list_example),
        cmocka_unit_test(test_arm_incremental_example),
        cmocka_unit_test(test_shapes_identical),
        cmocka_unit_test(test_az_flattened_equals_arm),
        cmocka_unit_test(test_sample_inventory),
        cmocka_unit_test(test_pages_array),
        cmocka_unit_test(test_optional_fields),
        cmocka_unit_test(test_repeated_values),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_raw_nul),
        cmocka_unit_test(test_names_decoded),
        cmocka_unit_test(test_escaped_keys),
        cmocka_unit_test(test_unknown_fields_skipped),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_large_counts),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_pipe),
        cmocka_unit_test(test_fifo_refused),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_arm_pages_api),
        cmocka_unit_test(test_disks_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
