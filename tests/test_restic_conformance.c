/* snapkeep's count rules against real restic: every case recorded by
 * tests/fixtures/restic/generate (restic's own `forget --dry-run --json`,
 * see tests/fixtures/restic/README.md) is replayed through eng_evaluate and
 * must keep exactly the snapshots restic kept (as a multiset of times: ties
 * sit in restic's walk in an arbitrary order, so which of two equal-time
 * snapshots it kept says nothing).
 *
 * Each case's policy is built twice: parsed from its snapkeep rule text by
 * the real parser, and built by hand with the test builders, so a
 * disagreement points at the parser or at the evaluator. The fixtures'
 * own consistency is checked too (kept times are snapshot times, counts
 * add up), so a hand-edited fixture cannot pass silently.
 *
 * Runs from the repository's top directory (tests/run does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>

#include "grammar/parse.h"
#include "support/builders.h"

#define FIXTURES "tests/fixtures/restic/"

/* Every scenario the generator writes, with its number of cases: a lost
 * file or a truncated one fails instead of silently testing less. */
static const struct {
    const char *file;
    int ncases;
} scenarios[] = {
    { FIXTURES "boundaries.json", 69 },
    { FIXTURES "longterm.json", 69 },
    { FIXTURES "ties.json", 67 },
    { FIXTURES "shuffled.json", 67 },
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("%s: cannot open (run the tests from the top directory)", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
        assert_non_null(buf);
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static const char *str_item(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(it))
        fail_msg("fixture: \"%s\" is not a string", key);
    return it->valuestring;
}

static const cJSON *array_item(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsArray(it))
        fail_msg("fixture: \"%s\" is not an array", key);
    return it;
}

static int cmp_desc(const void *a, const void *b)
{
    sk_time x = *(const sk_time *)a, y = *(const sk_time *)b;
    return (x < y) - (x > y);
}

/* A JSON array of RFC 3339 times, sorted newest first, into *out. */
static size_t times_of(const cJSON *arr, sk_time **out)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    sk_time *t = calloc(n ? n : 1, sizeof *t);
    assert_non_null(t);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        assert_true(cJSON_IsString(it));
        t[i++] = tb_time(it->valuestring);
    }
    qsort(t, n, sizeof *t, cmp_desc);
    *out = t;
    return n;
}

/* Whether every element of the multiset `sub` is in `sup` (both sorted
 * newest first). */
static bool sub_multiset(const sk_time *sub, size_t nsub, const sk_time *sup, size_t nsup)
{
    size_t j = 0;
    for (size_t i = 0; i < nsub; i++) {
        while (j < nsup && sup[j] > sub[i])
            j++;
        if (j == nsup || sup[j] != sub[i])
            return false;
        j++;
    }
    return true;
}

static void times_text(const sk_time *t, size_t n, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off + 24 < len; i++) {
        char one[32];
        tb_time_str(t[i], one, sizeof one);
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", one);
    }
}

typedef struct scen {
    const char *file;
    inv_inventory *inv;
    sk_time *all;           /* every snapshot time, newest first */
    size_t nall;
    sk_time now;
} scen;

static void build_inventory(scen *sc, const cJSON *root)
{
    const cJSON *snaps = array_item(root, "snapshots");
    const cJSON *s;
    size_t i = 0;
    sc->inv = tb_inv();
    sc->nall = (size_t)cJSON_GetArraySize(snaps);
    sc->all = calloc(sc->nall ? sc->nall : 1, sizeof *sc->all);
    assert_non_null(sc->all);
    cJSON_ArrayForEach(s, snaps) {
        char name[32];
        snprintf(name, sizeof name, "s%03zu", i);
        sk_time t = tb_time(str_item(s, "time"));
        inv_snapshot *snap = tb_snap(sc->inv, name, TB_DISK_ID("d1"), t);
        const cJSON *tag;
        /* restic tags are bare words: a key with an empty value here, which
         * `tagged "KEY"` matches whatever the value. */
        cJSON_ArrayForEach(tag, array_item(s, "tags")) {
            assert_true(cJSON_IsString(tag));
            tb_snap_tag(sc->inv, snap, tag->valuestring, "");
        }
        sc->all[i++] = t;
    }
    assert_true(sc->nall > 0);
    qsort(sc->all, sc->nall, sizeof *sc->all, cmp_desc);
    sc->now = sc->all[0] + TB_DAY;
}

static pol_policy *parsed_policy(const char *rules, pol_file **file)
{
    pol_diags diags = { 0 };
    *file = pol_parse_string("restic.policy", rules, strlen(rules), &pol_zones_host, &diags);
    if (*file == NULL || diags.nerrors > 0) {
        char *msg = diags.n ? pol_diag_render(&diags.items[0]) : NULL;
        fail_msg("\"%s\" does not parse: %s", rules, msg ? msg : "?");
    }
    pol_diags_free(&diags);
    assert_int_equal((*file)->npolicies, 1);
    return (*file)->policies[0];
}

/* The plan's kept times, newest first. */
static size_t kept_times(const eng_plan *plan, sk_time **out)
{
    sk_time *t = calloc(plan->ndecisions ? plan->ndecisions : 1, sizeof *t);
    assert_non_null(t);
    size_t n = 0;
    for (size_t i = 0; i < plan->ndecisions; i++) {
        const eng_decision *d = &plan->decisions[i];
        assert_true((d->action == ENG_KEEP) == (d->nreasons > 0));
        assert_false(d->future);
        if (d->action == ENG_KEEP)
            t[n++] = d->snap->created;
    }
    qsort(t, n, sizeof *t, cmp_desc);
    *out = t;
    return n;
}

/* Returns 0 when the plan keeps exactly `want`, else prints the case. */
static int compare(const scen *sc, const cJSON *c, const char *how, const eng_plan *plan,
                   const sk_time *want, size_t nwant)
{
    sk_time *got;
    size_t ngot = kept_times(plan, &got);
    int bad = ngot != nwant || memcmp(got, want, ngot * sizeof *got) != 0;
    if (bad) {
        static char a[16384], b[16384];
        times_text(got, ngot, a, sizeof a);
        times_text(want, nwant, b, sizeof b);
        print_message("%s: %s\n  snapkeep (%s): %s\n  kept %zu: %s\n  want %zu: %s\n",
                      sc->file, str_item(c, "restic"), how, str_item(c, "snapkeep"),
                      ngot, a, nwant, b);
    }
    free(got);
    return bad;
}

static int run_case(const scen *sc, const cJSON *c)
{
    const char *rules = str_item(c, "snapkeep");
    sk_time *want, *raw;
    size_t nwant = times_of(array_item(c, "kept"), &want);
    size_t nraw = times_of(array_item(c, "restic_kept"), &raw);
    /* The fixture itself: restic's and the compensated sets are snapshot
     * times, and compensation only ever adds (the oldest, the newest). */
    assert_true(sub_multiset(want, nwant, sc->all, sc->nall));
    assert_true(sub_multiset(raw, nraw, want, nwant));
    assert_int_equal(nwant - nraw, (size_t)cJSON_GetArraySize(array_item(c, "compensation")));

    pol_file *file;
    pol_policy *parsed = parsed_policy(rules, &file);
    pol_policy *built = tb_policy("restic", true, NULL);
    tb_rules(built, rules);
    eng_plan *p1 = tb_eval(&parsed, 1, sc->inv, sc->now);
    eng_plan *p2 = tb_eval(&built, 1, sc->inv, sc->now);
    int bad = compare(sc, c, "parsed", p1, want, nwant) +
              compare(sc, c, "built", p2, want, nwant);
    eng_plan_free(p1);
    eng_plan_free(p2);
    tb_policy_free(built);
    pol_file_free(file);
    free(want);
    free(raw);
    return bad;
}

static void run_scenario(size_t which)
{
    scen sc = { .file = scenarios[which].file };
    char *text = slurp(sc.file);
    cJSON *root = cJSON_Parse(text);
    if (root == NULL)
        fail_msg("%s: not JSON", sc.file);
    assert_string_equal(str_item(root, "timezone"), "UTC");
    assert_non_null(strstr(str_item(root, "restic_version"), "restic "));
    build_inventory(&sc, root);
    const cJSON *cases = array_item(root, "cases"), *c;
    int ncases = 0, nbad = 0;
    cJSON_ArrayForEach(c, cases) {
        nbad += run_case(&sc, c) != 0;
        ncases++;
    }
    assert_int_equal(ncases, scenarios[which].ncases);
    if (nbad > 0)
        fail_msg("%s: %d of %d cases differ from restic", sc.file, nbad, ncases);
    cJSON_Delete(root);
    free(text);
    free(sc.all);
    inv_free(sc.inv);
}

static void test_boundaries(void **state) { (void)state; run_scenario(0); }
static void test_longterm(void **state) { (void)state; run_scenario(1); }
static void test_ties(void **state) { (void)state; run_scenario(2); }
static void test_shuffled(void **state) { (void)state; run_scenario(3); }

int main(void)
{
    _Static_assert(sizeof scenarios / sizeof scenarios[0] == 4, "one test per scenario");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_longterm),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_shuffled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
