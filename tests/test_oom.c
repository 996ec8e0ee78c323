/* Allocation failure, module by module (tests/support/failmalloc.h): the
 * policy parser, the evaluator, the inventory reader, the replay behind
 * simulate and explain, and the journal are each run with their 1st, 2nd,
 * ... allocation failing until a run no longer reaches one (explain, whose
 * replay makes some 13,000, at every 97th: the replay itself is simulate's,
 * failed at each). Every armed
 * run must report the failure (an error, and the process-wide latch of
 * cli/oom.h set), not crash, and free what it made: `make asan` runs this
 * binary under AddressSanitizer with leak detection, so a leak on any
 * error path fails the suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "azure/inventory_read.h"
#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "cli/exit.h"
#include "cli/journal.h"
#include "cli/oom.h"
#include "cli/rcv_exec.h"
#include "cli/state.h"
#include "engine/explain.h"
#include "engine/simulate.h"
#include "grammar/parse.h"
#include "support/builders.h"
#include "support/failmalloc.h"

/* Far more than any operation here makes; reaching it is a failure. */
#define MAX_N 20000

static void expect_clean(const char *what, fm_result r, size_t min_allocs)
{
    if (!r.finished)
        fail_msg("%s: still failing at allocation %d", what, MAX_N);
    if (r.first_bad != 0)
        fail_msg("%s: allocation %zu failed and was not reported: %s", what, r.first_bad,
                 r.bad_err);
    /* the hook must see the module's allocations, or nothing was tested */
    if (r.reachable < min_allocs)
        fail_msg("%s: only %zu allocations seen (the --wrap link is missing?)", what,
                 r.reachable);
    assert_int_equal(r.failed_as_told, r.tried);
    printf("# %s: %zu of its %zu allocations failed in turn, each reported\n", what,
           r.tried, r.reachable);
}

/* ---- parser ---- */

static const char POLICY[] =
    "timezone \"Europe/Berlin\"\n"
    "subscription \"00000000-0000-0000-0000-0000000000b1\" \"00000000-0000-0000-0000-0000000000b2\"\n"
    "policy \"db\" {\n"
    "    subscription \"00000000-0000-0000-0000-0000000000aa\"\n"
    "    resource-group \"rg\"\n"
    "    disk \"data\"\n"
    "    disk \"logs\"\n"
    "    disks tagged \"backup\" = \"yes\"\n"
    "    snapshot every 1h\n"
    "    tag \"team\" = \"dba\"\n"
    "    keep-all 24h, every 12h to 7d, daily to 15d, weekly to 8w, monthly to 1y\n"
    "    last 3\n"
    "    daily 7\n"
    "    weekly within 30d\n"
    "    tagged \"legal-hold\" and \"case\" = \"42\"\n"
    "    max-delete 24\n"
    "}\n"
    "policy \"web\" {\n"
    "    resource-group \"web\"\n"
    "    adopt untagged\n"
    "    hourly to 2d, daily 10\n"
    "}\n"
    "policy \"estate\" {\n"
    "    subscription all\n"
    "    disks tagged \"backup\"\n"
    "    last 3\n"
    "}\n";

static int op_parse(void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    pol_diags d = { 0 };
    pol_file *f = pol_parse_string("oom.policy", POLICY, sizeof POLICY - 1, &pol_zones_host, &d);
    int rc = f != NULL ? 0 : -1;
    if (f == NULL && d.n > 0)
        snprintf(err, errlen, "%s", d.items[0].message);
    pol_file_free(f);
    pol_diags_free(&d);
    return rc;
}

static void test_parser(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(op_parse(NULL, err, sizeof err), 0);   /* the text is valid */
    expect_clean("parser", fm_torture(op_parse, NULL, MAX_N, 1, true), 50);
}

/* ---- evaluator ---- */

typedef struct eval_ctx {
    pol_file *file;
    inv_inventory *inv;
    sk_time now;
} eval_ctx;

static int op_evaluate(void *ctx, char *err, size_t errlen)
{
    eval_ctx *c = ctx;
    eng_plan *plan = NULL;
    int rc = eng_evaluate((const pol_policy *const *)c->file->policies, c->file->npolicies,
                          c->inv, c->now, &plan, err, errlen);
    if (rc == 0 && plan == NULL)
        rc = -1;
    eng_plan_free(plan);
    return rc;
}

static void test_evaluate(void **state)
{
    (void)state;
    eval_ctx c;
    c.file = pol_parse_string("oom.policy", POLICY, sizeof POLICY - 1, &pol_zones_host, NULL);
    assert_non_null(c.file);
    c.now = tb_time("2026-11-26T12:00Z");
    c.inv = tb_inv();
    c.inv->disks_known = true;
    tb_inv_disk_tag(c.inv, tb_inv_disk(c.inv, TB_DISK_ID("tagged")), "backup", "yes");
    tb_series(c.inv, "data-", TB_DISK_ID("data"), c.now - 40 * TB_DAY, c.now, TB_HOUR);
    tb_series(c.inv, "t-", TB_DISK_ID("tagged"), c.now - 3 * TB_DAY, c.now, 6 * TB_HOUR);
    inv_snapshot *s = tb_snap(c.inv, "held", TB_DISK_ID("data"), c.now - 90 * TB_DAY);
    tb_snap_tag(c.inv, s, "legal-hold", "x");
    tb_snap_tag(c.inv, s, "case", "42");
    tb_snap(c.inv, "stray", NULL, c.now - TB_DAY);
    expect_clean("evaluator", fm_torture(op_evaluate, &c, MAX_N, 1, true), 5);
    inv_free(c.inv);
    pol_file_free(c.file);
}

/* ---- inventory reader ---- */

static const char INVENTORY[] =
    "{\"value\":[\n"
    " {\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/a\","
    "  \"name\":\"a\",\"tags\":{\"snapkeep-policy\":\"db\",\"team\":\"dba\"},"
    "  \"properties\":{\"timeCreated\":\"2026-11-26T10:00:00Z\",\"provisioningState\":"
    "\"Succeeded\",\"incremental\":true,\"creationData\":{\"sourceResourceId\":"
    "\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/data\"}}},\n"
    " {\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/b\","
    "  \"name\":\"b\",\"tags\":{},"
    "  \"properties\":{\"timeCreated\":\"2026-11-25T10:00:00.5+01:00\",\"creationData\":"
    "{\"sourceResourceId\":"
    "\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/data\"}}},\n"
    " {\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/c\","
    "  \"name\":\"c\",\"tags\":{\"legal-hold\":\"\\u00e9t\\u00e9\"},"
    "  \"properties\":{\"timeCreated\":\"2026-11-24T10:00:00Z\"}}\n"
    "]}\n";

static int op_inventory(void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    inv_inventory *inv = NULL;
    int rc = inv_read_buffer("oom.json", INVENTORY, sizeof INVENTORY - 1, &inv, err, errlen);
    if (rc == 0 && (inv == NULL || inv->nsnapshots != 3))
        rc = -1;
    if (rc != 0 && inv != NULL)
        fail_msg("the reader failed but left an inventory behind");
    inv_free(inv);
    return rc;
}

static void test_inventory_reader(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(op_inventory(NULL, err, sizeof err), 0);
    expect_clean("inventory reader", fm_torture(op_inventory, NULL, MAX_N, 1, true), 5);
}

/* ---- simulate and explain ---- */

static int op_simulate(void *ctx, char *err, size_t errlen)
{
    const pol_policy *p = ctx;
    eng_rng rng;
    eng_rng_seed(&rng, 7);
    eng_sim_params prm = {
        .start = tb_time("2026-01-05T00:00Z"), .cadence_usec = TB_HOUR,
        .duration_usec = TB_DAY, .jitter_usec = 5 * TB_MIN, .miss_ppm = 50000,
        .rng = &rng, .warmup_usec = -1,
    };
    eng_sim *s = NULL;
    int rc = eng_simulate(p, &prm, &s, err, errlen);
    eng_sim_free(s);
    return rc;
}

static int op_explain(void *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    eng_explain e;
    eng_explain_compute(ctx, TB_HOUR, &e);
    int rc = e.note == ENG_EXPLAIN_FAILED ? -1 : 0;
    if (rc == 0 && e.note != ENG_EXPLAIN_REPLAYED)
        fail_msg("explain: note %d", (int)e.note);
    eng_explain_free(&e);
    return rc;
}

static void test_simulate_explain(void **state)
{
    (void)state;
    pol_policy *p = tb_policy("seed", true, NULL);
    tb_rules(p, "keep-all 24h, every 12h to 7d, daily to 15d, last 3");
    expect_clean("simulate", fm_torture(op_simulate, p, MAX_N, 1, true), 3);
    expect_clean("explain", fm_torture(op_explain, p, MAX_N, 97, false), 3);
    tb_policy_free(p);
}

/* ---- journal ---- */

typedef struct journal_ctx {
    char dir[256];
    int round;
} journal_ctx;

static int op_journal(void *ctx, char *err, size_t errlen)
{
    journal_ctx *c = ctx;
    char sub[300];
    /* a fresh state directory each round: nothing left from the last */
    snprintf(sub, sizeof sub, "%s/s%d", c->dir, c->round++);
    cli_state st = { .lock_fd = -1 };
    cli_journal j = { .fd = -1 };
    cli_journal_scan scan;
    memset(&scan, 0, sizeof scan);
    sk_time t = tb_time("2026-11-26T12:00Z");
    int rc = cli_state_open(&st, sub, "run", err, errlen);
    if (rc == 0)
        rc = cli_journal_open(&j, &st, "run", t, err, errlen);
    cli_journal_entry e = cli_journal_entry_init(t, "start");
    if (rc == 0)
        rc = cli_journal_write(&j, &e, err, errlen);
    e = cli_journal_entry_init(t + 1, "intent");
    e.op = "delete";
    e.policy = "db";
    e.resource = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/a";
    e.error = "a \"quoted\"\nmessage";
    if (rc == 0)
        rc = cli_journal_write(&j, &e, err, errlen);
    char path[400];
    if (rc == 0 && cli_state_path(&st, CLI_JOURNAL_FILE, path, sizeof path) != 0)
        rc = -1;
    if (rc == 0)
        rc = cli_journal_scan_file(path, &scan, err, errlen);
    if (rc == 0 && (scan.nruns != 1 || scan.npending != 1))
        fail_msg("journal scan: %zu runs, %zu pending", scan.nruns, scan.npending);
    cli_journal_scan_free(&scan);
    cli_journal_close(&j);
    cli_state_close(&st);
    return rc == 0 ? 0 : -1;
}

static void test_journal(void **state)
{
    (void)state;
    journal_ctx c = { .round = 0 };
    snprintf(c.dir, sizeof c.dir, "%s/snapkeep-oom-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(c.dir));
    expect_clean("journal", fm_torture(op_journal, &c, MAX_N, 1, true), 3);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c.dir);
    assert_int_equal(system(cmd), 0);
}

/* The latch itself: a failed wrapped allocation sets it, an empty request
 * that gives NULL does not, and strdup goes through the hook. */
static void test_latch(void **state)
{
    (void)state;
    cli_oom_reset();
    fm_arm(1);
    /* volatile: clang may drop an allocation whose result is only tested */
    char *volatile s = strdup("x");
    bool fired = fm_fired();
    fm_disarm();
    if (s != NULL)
        free(s);
    assert_null(s);
    assert_true(fired);
    assert_true(cli_oom_seen());
    cli_oom_reset();
    void *volatile p = malloc(16);
    assert_non_null(p);
    free(p);
    p = realloc(NULL, 8);
    assert_non_null(p);
    p = realloc(p, 0);      /* frees; a NULL here is not a failure */
    free(p);
    assert_false(cli_oom_seen());
}

/* stderr of fn(ctx) into buf. */
static void capture_stderr(void (*fn)(const void *), const void *ctx, char *buf, size_t n)
{
    char path[] = "/tmp/snapkeep-oom-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    fn(ctx);
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    ssize_t got = pread(fd, buf, n - 1, 0);
    close(fd);
    unlink(path);
    assert_true(got >= 0);
    buf[got] = '\0';
}

static void print_az(const void *e)
{
    cli_print_az_error("release: reading the disk", e);
}

/* An allocation failure inside the Azure adapter is no Azure failure: it
 * is said "out of memory" (never as the adapter's error code, never as an
 * answer of Azure's), sets the latch, and a recovery step that met it exits
 * EXIT_NOMEM (7), not EXIT_AZURE or EXIT_PARTIAL. */
static void test_azure_oom_wording(void **state)
{
    (void)state;
    az_error e;
    char out[512];
    az_error_set_oom(&e);
    assert_true(az_error_is_oom(&e));
    cli_set_command("release");
    cli_oom_reset();
    capture_stderr(print_az, &e, out, sizeof out);
    assert_string_equal(out, "snapkeep: release: out of memory (reading the disk)\n");
    assert_true(cli_oom_seen());
    cli_oom_reset();
    assert_int_equal(cli_rcv_failure_exit(&e), EXIT_NOMEM);
    assert_true(cli_oom_seen());
    /* an Azure answer is still printed as one */
    cli_oom_reset();
    memset(&e, 0, sizeof e);
    snprintf(e.code, sizeof e.code, "ScopeLocked");
    snprintf(e.message, sizeof e.message, "locked");
    e.http_status = 409;
    capture_stderr(print_az, &e, out, sizeof out);
    assert_string_equal(out, "snapkeep: release: reading the disk: ScopeLocked: locked (HTTP 409)\n");
    assert_false(az_error_is_oom(&e));
    assert_int_equal(cli_rcv_failure_exit(&e), EXIT_PARTIAL);
    assert_false(cli_oom_seen());
}

/* A test that failed inside an armed run left the hook armed. */
static int disarm(void **state)
{
    (void)state;
    fm_disarm();
    cli_oom_reset();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_latch, disarm),
        cmocka_unit_test_setup(test_parser, disarm),
        cmocka_unit_test_setup(test_evaluate, disarm),
        cmocka_unit_test_setup(test_inventory_reader, disarm),
        cmocka_unit_test_setup(test_simulate_explain, disarm),
        cmocka_unit_test_setup(test_journal, disarm),
        cmocka_unit_test_setup(test_azure_oom_wording, disarm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
