/* cli/metrics: Prometheus text exposition, escaping, duplicates, and the
 * atomic write node_exporter's textfile collector needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/metrics.h"
#include "cli/state.h"

#include <cjson/cJSON.h>

static void test_render(void **state)
{
    (void)state;
    cli_metrics *m = cli_metrics_new();
    assert_non_null(m);
    assert_int_equal(cli_metrics_family(m, "snapkeep_snapshots", "gauge",
                                        "Snapshots by policy and state."), 0);
    assert_int_equal(cli_metrics_family(m, "snapkeep_run_duration_seconds", "gauge",
                                        "Wall time of the run.\nIn seconds \\ s."), 0);
    const char *kept[] = { "policy", "dss", "state", "kept", NULL };
    const char *pruned[] = { "state", "pruned", "policy", "dss", NULL };
    const char *odd[] = { "policy", "a\"b\\c\nd", "state", "kept", NULL };
    assert_int_equal(cli_metrics_add(m, "snapkeep_snapshots", kept, 45), 0);
    assert_int_equal(cli_metrics_add(m, "snapkeep_snapshots", pruned, 2), 0);
    assert_int_equal(cli_metrics_add(m, "snapkeep_snapshots", odd, 0), 0);
    assert_int_equal(cli_metrics_add(m, "snapkeep_run_duration_seconds", NULL, 3.25), 0);
    size_t len = 0;
    char *text = cli_metrics_render(m, &len);
    assert_non_null(text);
    const char *want =
        "# HELP snapkeep_snapshots Snapshots by policy and state.\n"
        "# TYPE snapkeep_snapshots gauge\n"
        "snapkeep_snapshots{policy=\"dss\",state=\"kept\"} 45\n"
        "snapkeep_snapshots{policy=\"dss\",state=\"pruned\"} 2\n"
        "snapkeep_snapshots{policy=\"a\\\"b\\\\c\\nd\",state=\"kept\"} 0\n"
        "# HELP snapkeep_run_duration_seconds Wall time of the run.\\nIn seconds \\\\ s.\n"
        "# TYPE snapkeep_run_duration_seconds gauge\n"
        "snapkeep_run_duration_seconds 3.25\n";
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    free(text);
    cli_metrics_free(m);
    cli_metrics_free(NULL);
}

static void test_values(void **state)
{
    (void)state;
    cli_metrics *m = cli_metrics_new();
    assert_int_equal(cli_metrics_family(m, "t", "gauge", "t"), 0);
    const char *a[] = { "k", "a", NULL }, *b[] = { "k", "b", NULL }, *c[] = { "k", "c", NULL };
    assert_int_equal(cli_metrics_add(m, "t", a, 1795000000.0), 0);
    assert_int_equal(cli_metrics_add(m, "t", b, -0.5), 0);
    assert_int_equal(cli_metrics_add(m, "t", c, 1e300 * 1e300), 0);
    char *text = cli_metrics_render(m, NULL);
    assert_non_null(strstr(text, "t{k=\"a\"} 1795000000\n"));
    assert_non_null(strstr(text, "t{k=\"b\"} -0.5\n"));
    assert_non_null(strstr(text, "t{k=\"c\"} +Inf\n"));
    free(text);
    cli_metrics_free(m);
}

static void test_refusals(void **state)
{
    (void)state;
    cli_metrics *m = cli_metrics_new();
    assert_int_equal(cli_metrics_family(m, "ok_name:x", "counter", "h"), 0);
    assert_int_equal(cli_metrics_family(m, "ok_name:x", "counter", "h"), 0);    /* same again */
    assert_int_equal(cli_metrics_family(m, "ok_name:x", "gauge", "h"), -1);     /* clash */
    assert_int_equal(cli_metrics_family(m, "9bad", "gauge", "h"), -1);
    assert_int_equal(cli_metrics_family(m, "bad-name", "gauge", "h"), -1);
    assert_int_equal(cli_metrics_family(m, "fine", "histogram", "h"), -1);
    const char *l1[] = { "a", "1", "b", "2", NULL };
    const char *l2[] = { "b", "2", "a", "1", NULL };    /* same series, other order */
    const char *bad[] = { "bad-label", "1", NULL };
    const char *reserved[] = { "__name__", "x", NULL };
    const char *twice[] = { "a", "1", "a", "2", NULL };
    assert_int_equal(cli_metrics_add(m, "ok_name:x", l1, 1), 0);
    assert_int_equal(cli_metrics_add(m, "ok_name:x", l2, 1), -1);
    assert_int_equal(cli_metrics_add(m, "ok_name:x", bad, 1), -1);
    assert_int_equal(cli_metrics_add(m, "ok_name:x", reserved, 1), -1);
    assert_int_equal(cli_metrics_add(m, "ok_name:x", twice, 1), -1);
    assert_int_equal(cli_metrics_add(m, "undeclared", NULL, 1), -1);
    cli_metrics_free(m);
}

static void test_write(void **state)
{
    (void)state;
    char dir[] = "/tmp/snapkeep-test-metrics-XXXXXX", path[128], err[256], cmd[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/snapkeep.prom", dir);
    cli_metrics *m = cli_metrics_new();
    assert_int_equal(cli_metrics_family(m, "x", "gauge", "x"), 0);
    assert_int_equal(cli_metrics_add(m, "x", NULL, 7), 0);
    assert_int_equal(cli_metrics_write(m, path, err, sizeof err), 0);
    char *buf;
    size_t len;
    assert_int_equal(cli_read_file(path, 4096, &buf, &len, err, sizeof err), 0);
    assert_string_equal(buf, "# HELP x x\n# TYPE x gauge\nx 7\n");
    free(buf);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) = 1", dir);    /* no temp left */
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/nodir/x.prom", dir);
    assert_int_equal(cli_metrics_write(m, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "nodir"));
    cli_metrics_free(m);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The last-success record run and drill keep: stamped per policy, kept
 * across calls that stamp nothing, rebuilt from a corrupt file (and said). */
static void test_last_success(void **state)
{
    (void)state;
    char dir[] = "/tmp/snapkeep-test-last-XXXXXX", err[512], path[128], cmd[256];
    assert_non_null(mkdtemp(dir));
    cli_state st;
    memset(&st, 0, sizeof st);
    st.lock_fd = -1;
    assert_int_equal(cli_state_open(&st, dir, "test", err, sizeof err), 0);
    const char *a[] = { "a" }, *b[] = { "b", "a" };
    cJSON *o = cli_state_last_success(&st, "last.json", a, 1, 100, err, sizeof err);
    assert_string_equal(err, "");
    assert_int_equal((int)cJSON_GetObjectItem(o, "a")->valuedouble, 100);
    cJSON_Delete(o);
    o = cli_state_last_success(&st, "last.json", NULL, 0, 999, err, sizeof err);
    assert_int_equal((int)cJSON_GetObjectItem(o, "a")->valuedouble, 100);   /* nothing stamped */
    assert_null(cJSON_GetObjectItem(o, "b"));
    cJSON_Delete(o);
    o = cli_state_last_success(&st, "last.json", b, 2, 200, err, sizeof err);
    assert_int_equal((int)cJSON_GetObjectItem(o, "a")->valuedouble, 200);
    assert_int_equal((int)cJSON_GetObjectItem(o, "b")->valuedouble, 200);
    cJSON_Delete(o);
    snprintf(path, sizeof path, "%s/last.json", dir);
    char *buf;
    size_t len;
    assert_int_equal(cli_read_file(path, 4096, &buf, &len, err, sizeof err), 0);
    assert_string_equal(buf, "{\"b\":200,\"a\":200}");
    free(buf);
    assert_int_equal(cli_write_file_atomic(path, "[1,", 3, 0600, err, sizeof err), 0);
    o = cli_state_last_success(&st, "last.json", a, 1, 300, err, sizeof err);
    assert_non_null(strstr(err, "/last.json: not a JSON object (ignored"));  /* said */
    assert_int_equal(cJSON_GetArraySize(o), 1);                  /* rebuilt, not guessed */
    assert_int_equal((int)cJSON_GetObjectItem(o, "a")->valuedouble, 300);
    cJSON_Delete(o);
    cli_state_close(&st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_last_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
