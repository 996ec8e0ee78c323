/* cli/state and cli/journal: the state directory, its lock, atomic files,
 * and the journal an interrupted run is audited from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "cli/journal.h"
#include "cli/state.h"

typedef struct fixture {
    char dir[256];
    char sub[300];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/snapkeep-test-journal-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->sub, sizeof f->sub, "%s/a/b/state", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static sk_time T(const char *s)
{
    sk_time t;
    assert_int_equal(eng_time_parse(s, strlen(s), &t), 0);
    return t;
}

static void test_dir_for(void **state)
{
    (void)state;
    unsetenv("STATE_DIRECTORY");
    assert_string_equal(cli_state_dir_for(NULL), CLI_STATE_DEFAULT_DIR);
    assert_string_equal(cli_state_dir_for("/x/y"), "/x/y");
    setenv("STATE_DIRECTORY", "/var/lib/private/snapkeep:/var/lib/other", 1);
    assert_string_equal(cli_state_dir_for(NULL), "/var/lib/private/snapkeep");
    assert_string_equal(cli_state_dir_for(""), "/var/lib/private/snapkeep");
    assert_string_equal(cli_state_dir_for("/opt"), "/opt");
    unsetenv("STATE_DIRECTORY");
}

static void test_lock(void **state)
{
    fixture *f = *state;
    char err[512];
    cli_state a = { 0 }, b = { 0 };
    assert_int_equal(cli_state_open(&a, f->sub, "run", err, sizeof err), 0);
    struct stat sb;
    assert_int_equal(stat(f->sub, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    /* a second holder is refused at once and told who holds it */
    assert_int_equal(cli_state_open(&b, f->sub, "drill", err, sizeof err), 1);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(err, pid));
    assert_non_null(strstr(err, "snapkeep run"));
    assert_null(b.dir);
    cli_state_close(&a);
    assert_int_equal(cli_state_open(&b, f->sub, "drill", err, sizeof err), 0);
    char path[512];
    assert_int_equal(cli_state_path(&b, "x", path, sizeof path), 0);
    assert_non_null(strstr(path, "/a/b/state/x"));
    cli_state_close(&b);
    cli_state_close(&b);                /* twice is harmless */
    /* a file where the directory should be */
    snprintf(path, sizeof path, "%s/file", f->dir);
    FILE *fp = fopen(path, "w");
    fclose(fp);
    assert_int_equal(cli_state_open(&a, path, "run", err, sizeof err), -1);
    assert_non_null(strstr(err, "not a directory"));
}

static void test_atomic_file(void **state)
{
    fixture *f = *state;
    char path[512], err[512], *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/data", f->dir);
    assert_int_equal(cli_read_file(path, 100, &buf, &len, err, sizeof err), 1);
    assert_int_equal(cli_write_file_atomic(path, "hello", 5, 0600, err, sizeof err), 0);
    assert_int_equal(cli_write_file_atomic(path, "world!", 6, 0600, err, sizeof err), 0);
    assert_int_equal(cli_read_file(path, 100, &buf, &len, err, sizeof err), 0);
    assert_int_equal(len, 6);
    assert_string_equal(buf, "world!");
    free(buf);
    assert_int_equal(cli_read_file(path, 3, &buf, &len, err, sizeof err), -1);
    /* no temporary file left behind */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) = 1", f->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/missing/data", f->dir);
    assert_int_equal(cli_write_file_atomic(path, "x", 1, 0600, err, sizeof err), -1);
}

static void write_event(cli_journal *j, sk_time t, const char *event, const char *op,
                        const char *res, const char *outcome)
{
    char err[256];
    cli_journal_entry e = cli_journal_entry_init(t, event);
    e.op = op;
    e.resource = res;
    e.outcome = outcome;
    e.policy = "p";
    assert_int_equal(cli_journal_write(j, &e, err, sizeof err), 0);
}

static void test_journal_lines(void **state)
{
    fixture *f = *state;
    char err[512];
    cli_state st = { 0 };
    cli_journal j;
    assert_int_equal(cli_state_open(&st, f->sub, "run", err, sizeof err), 0);
    sk_time t = T("2026-11-26T12:00:00Z");
    assert_int_equal(cli_journal_open(&j, &st, "run", t, err, sizeof err), 0);
    char want_run[64];
    snprintf(want_run, sizeof want_run, "20261126T120000Z-%ld", (long)getpid());
    assert_string_equal(j.run_id, want_run);
    cli_journal_entry e = cli_journal_entry_init(t + 1500000, "outcome");
    e.op = "delete";
    e.resource = "/subscriptions/s/x";
    e.outcome = "failed";
    e.error_code = "ScopeLocked";
    e.error = "a \"lock\"\nforbids it";
    e.request_id = "rid-1";
    assert_int_equal(cli_journal_write(&j, &e, err, sizeof err), 0);
    cli_journal_close(&j);
    assert_int_equal(cli_journal_write(&j, &e, err, sizeof err), -1);
    char path[512], *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/journal.jsonl", f->sub);
    assert_int_equal(cli_read_file(path, 4096, &buf, &len, err, sizeof err), 0);
    assert_true(len > 0 && buf[len - 1] == '\n');
    assert_ptr_equal(strchr(buf, '\n'), buf + len - 1);     /* one line */
    cJSON *o = cJSON_Parse(buf);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "time")->valuestring, "2026-11-26T12:00:01.500000Z");
    assert_string_equal(cJSON_GetObjectItem(o, "run")->valuestring, want_run);
    assert_string_equal(cJSON_GetObjectItem(o, "event")->valuestring, "outcome");
    assert_string_equal(cJSON_GetObjectItem(o, "error_code")->valuestring, "ScopeLocked");
    assert_string_equal(cJSON_GetObjectItem(o, "error")->valuestring, "a \"lock\"\nforbids it");
    assert_string_equal(cJSON_GetObjectItem(o, "request_id")->valuestring, "rid-1");
    assert_null(cJSON_GetObjectItem(o, "exit"));        /* unset numbers left out */
    assert_null(cJSON_GetObjectItem(o, "disk"));        /* unset strings left out */
    cJSON_Delete(o);
    free(buf);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    cli_state_close(&st);
}

static void test_journal_interrupted(void **state)
{
    fixture *f = *state;
    char err[512], path[512];
    cli_state st = { 0 };
    cli_journal j;
    cli_journal_scan scan;
    assert_int_equal(cli_state_open(&st, f->sub, "run", err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/journal.jsonl", f->sub);
    assert_int_equal(cli_journal_scan_file(path, &scan, err, sizeof err), 0);
    assert_int_equal(scan.nruns + scan.npending, 0);       /* no journal yet */

    /* run 1 finishes; run 2 is killed with one delete in flight */
    sk_time t1 = T("2026-11-26T10:00:00Z"), t2 = T("2026-11-26T11:00:00Z");
    assert_int_equal(cli_journal_open(&j, &st, "run", t1, err, sizeof err), 0);
    write_event(&j, t1, "start", NULL, NULL, NULL);
    write_event(&j, t1, "intent", "delete", "/s/a", NULL);
    write_event(&j, t1, "outcome", "delete", "/s/a", "done");
    write_event(&j, t1, "end", NULL, NULL, NULL);
    cli_journal_close(&j);
    assert_int_equal(cli_journal_open(&j, &st, "run", t2, err, sizeof err), 0);
    char run2[64];
    memcpy(run2, j.run_id, sizeof run2);
    write_event(&j, t2, "start", NULL, NULL, NULL);
    write_event(&j, t2, "intent", "create", "/s/new", NULL);
    write_event(&j, t2, "outcome", "create", "/s/new", "done");
    write_event(&j, t2, "intent", "delete", "/s/b", NULL);
    write_event(&j, t2, "intent", "delete", "/s/c", NULL);
    write_event(&j, t2, "outcome", "delete", "/s/c", "failed");
    cli_journal_close(&j);
    FILE *fp = fopen(path, "a");                 /* a line cut short by the kill */
    fputs("{\"time\":\"2026-11-26T11:00:01Z\",\"run\":\"", fp);
    fclose(fp);

    assert_int_equal(cli_journal_scan_file(path, &scan, err, sizeof err), 0);
    assert_int_equal(scan.bad_lines, 1);
    assert_int_equal(scan.nruns, 1);
    assert_string_equal(scan.runs[0], run2);
    assert_int_equal(scan.npending, 1);
    assert_string_equal(scan.pending[0].resource, "/s/b");
    assert_string_equal(scan.pending[0].op, "delete");
    assert_string_equal(scan.pending[0].run, run2);
    assert_string_equal(scan.pending[0].policy, "p");
    cli_journal_scan_free(&scan);

    /* the same journal from memory (the fuzzer's entry) reads the same,
     * with or without the last line's newline */
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(cli_read_file(path, 1 << 20, &text, &len, err, sizeof err), 0);
    for (int cut = 0; cut < 2; cut++) {
        assert_int_equal(cli_journal_scan_buffer("mem", text, len - (size_t)cut, &scan, err,
                                                 sizeof err), 0);
        assert_int_equal(scan.bad_lines, 1);
        assert_int_equal(scan.nruns, 1);
        assert_string_equal(scan.runs[0], run2);
        assert_int_equal(scan.npending, 1);
        assert_string_equal(scan.pending[0].resource, "/s/b");
        cli_journal_scan_free(&scan);
    }
    free(text);

    /* run 3 reports it; afterwards nothing is reported again */
    fp = fopen(path, "a");
    fputc('\n', fp);
    fclose(fp);
    assert_int_equal(cli_journal_open(&j, &st, "run", t2 + 3600 * SK_USEC_PER_SEC, err, sizeof err), 0);
    write_event(&j, t2, "start", NULL, NULL, NULL);
    cli_journal_entry e = cli_journal_entry_init(t2, "interrupted");
    e.prev_run = run2;
    e.pending = 1;
    assert_int_equal(cli_journal_write(&j, &e, err, sizeof err), 0);
    assert_int_equal(cli_journal_scan_file(path, &scan, err, sizeof err), 0);
    assert_int_equal(scan.nruns, 1);                    /* run 3 itself, still going */
    assert_string_equal(scan.runs[0], j.run_id);
    assert_int_equal(scan.npending, 0);
    cli_journal_scan_free(&scan);
    write_event(&j, t2, "end", NULL, NULL, NULL);
    assert_int_equal(cli_journal_scan_file(path, &scan, err, sizeof err), 0);
    assert_int_equal(scan.nruns + scan.npending, 0);
    cli_journal_scan_free(&scan);
    cli_journal_close(&j);
    cli_state_close(&st);
}

static void test_journal_rotate(void **state)
{
    fixture *f = *state;
    char err[512], path[512], old[600];
    cli_state st = { 0 };
    cli_journal j;
    assert_int_equal(cli_state_open(&st, f->sub, "run", err, sizeof err), 0);
    sk_time t = T("2026-11-26T12:00:00Z");
    assert_int_equal(cli_journal_open(&j, &st, "run", t, err, sizeof err), 0);
    write_event(&j, t, "start", NULL, NULL, NULL);
    assert_int_equal(cli_journal_rotate(&j, err, sizeof err), 0);     /* small: stays */
    snprintf(path, sizeof path, "%s/journal.jsonl", f->sub);
    snprintf(old, sizeof old, "%s.1", path);
    assert_int_equal(access(old, F_OK), -1);
    assert_int_equal(truncate(path, CLI_JOURNAL_ROTATE_BYTES + 1), 0);
    assert_int_equal(cli_journal_rotate(&j, err, sizeof err), 0);
    struct stat sb;
    assert_int_equal(stat(old, &sb), 0);
    assert_int_equal(sb.st_size, CLI_JOURNAL_ROTATE_BYTES + 1);
    write_event(&j, t, "end", NULL, NULL, NULL);       /* into the new file */
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 0 && sb.st_size < 1000);
    assert_int_equal(stat(old, &sb), 0);
    assert_int_equal(sb.st_size, CLI_JOURNAL_ROTATE_BYTES + 1);
    cli_journal_close(&j);
    cli_state_close(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_for),
        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rotate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
