/* cli/log: the operator log lines run, restore and drill write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "cli/log.h"

/* Everything written to f so far, as a string the caller frees. */
static char *contents(FILE *f)
{
    long n = ftell(f);
    assert_true(n >= 0);
    char *buf = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    return buf;
}

static void test_formats(void **state)
{
    (void)state;
    cli_log_format f;
    assert_int_equal(cli_log_parse_format("text", &f), 0);
    assert_int_equal(f, CLI_LOG_TEXT);
    assert_int_equal(cli_log_parse_format("json", &f), 0);
    assert_int_equal(f, CLI_LOG_JSON);
    assert_int_equal(cli_log_parse_format("JSON", &f), -1);
    assert_int_equal(cli_log_parse_format("", &f), -1);
}

static void test_text(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    cli_log l;
    cli_log_init(&l, "run", CLI_LOG_TEXT, out);
    assert_false(l.progress_ok);            /* not a terminal */
    cli_log_field f[] = { { "policy", "dss" }, { "empty", "" }, { "none", NULL },
                          { "msg", "two words \"quoted\"" }, { "k", "a=b" } };
    cli_log_emit(&l, CLI_LOG_INFO, "delete", f, 5, "deleted %s", "snap-1");
    cli_log_emit(&l, CLI_LOG_WARN, "defer", NULL, 0, "deferred %d", 3);
    cli_log_emit(&l, CLI_LOG_ERROR, "end", NULL, 0, "exit 4");
    cli_log_progress(&l, "deleting", 1, 10);  /* nothing: not a terminal */
    cli_log_progress_end(&l);
    char *s = contents(out);
    assert_string_equal(s,
        "snapkeep: run: deleted snap-1 (policy=dss msg=\"two words \\\"quoted\\\"\" k=\"a=b\")\n"
        "snapkeep: run: warning: deferred 3\n"
        "snapkeep: run: error: exit 4\n");
    free(s);
    fclose(out);
}

/* One event, one line, whatever ARM put in a message or a value: a
 * newline in either would start a line a log reader takes for an event. */
static void test_text_one_line(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    cli_log l;
    cli_log_init(&l, "run", CLI_LOG_TEXT, out);
    cli_log_field f[] = { { "policy", "p\n1" }, { "code", "A\r\nB" } };
    cli_log_emit(&l, CLI_LOG_ERROR, "delete", f, 2, "failed: %s", "line one\nline two");
    char *s = contents(out);
    assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
    assert_null(strchr(s, '\r'));
    free(s);
    fclose(out);
}

static void test_json(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    cli_log l;
    cli_log_init(&l, "drill", CLI_LOG_JSON, out);
    cli_log_field f[] = { { "policy", "p\n1" }, { "event", "spoof" }, { "none", NULL } };
    cli_log_emit(&l, CLI_LOG_WARN, "stale", f, 3, "newest is %dh old", 4);
    char *s = contents(out);
    assert_non_null(strchr(s, '\n'));
    assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);  /* one line */
    cJSON *o = cJSON_Parse(s);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring, "warning");
    assert_string_equal(cJSON_GetObjectItem(o, "command")->valuestring, "drill");
    assert_string_equal(cJSON_GetObjectItem(o, "event")->valuestring, "stale");   /* not spoofed */
    assert_string_equal(cJSON_GetObjectItem(o, "msg")->valuestring, "newest is 4h old");
    assert_string_equal(cJSON_GetObjectItem(o, "policy")->valuestring, "p\n1");
    assert_null(cJSON_GetObjectItem(o, "none"));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "time")));
    cJSON_Delete(o);
    free(s);
    fclose(out);
}

/* Counts, exit codes and seconds are JSON numbers in json lines (a log
 * pipeline sums them without parsing strings); names stay strings, even
 * one that looks like a number, and a count field that is not a number
 * is kept as the string it is. */
static void test_json_numbers(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    cli_log l;
    cli_log_init(&l, "run", CLI_LOG_JSON, out);
    cli_log_field f[] = { { "policy", "42" }, { "kept", "26" }, { "created", "1" },
                          { "deferred", "840" }, { "exit", "0" }, { "http_status", "409" },
                          { "seconds", "1.5" }, { "count", "n/a" }, { "disk", "7" } };
    cli_log_emit(&l, CLI_LOG_INFO, "summary", f, 9, "summary");
    char *s = contents(out);
    cJSON *o = cJSON_Parse(s);
    assert_non_null(o);
    static const char *const nums[] = { "kept", "created", "deferred", "exit", "http_status",
                                        "seconds" };
    static const double want[] = { 26, 1, 840, 0, 409, 1.5 };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        cJSON *v = cJSON_GetObjectItem(o, nums[i]);
        assert_true(cJSON_IsNumber(v));
        assert_true(v->valuedouble == want[i]);
    }
    assert_string_equal(cJSON_GetObjectItem(o, "policy")->valuestring, "42");
    assert_string_equal(cJSON_GetObjectItem(o, "disk")->valuestring, "7");
    assert_string_equal(cJSON_GetObjectItem(o, "count")->valuestring, "n/a");
    cJSON_Delete(o);
    free(s);
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_one_line),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
