/* The verify command runner (cli/verify.h): the exit status is the verdict,
 * the SNAPKEEP_* variables reach the command, the time limit and an
 * interruption end the command's whole process group, and the output kept
 * is capped. Also the wait for a device path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/verify.h"

static void test_pass_and_output(void **state)
{
    (void)state;
    cli_verify_env env[] = { { "SNAPKEEP_DEVICE", "/dev/disk/azure/scsi1/lun3" },
                             { "SNAPKEEP_SNAPSHOT_ID", "/subscriptions/s/snapshots/x" } };
    cli_verify_result r;
    assert_int_equal(cli_verify_run("echo dev=$SNAPKEEP_DEVICE; echo snap=$SNAPKEEP_SNAPSHOT_ID >&2",
                                    env, 2, 10, NULL, &r), 0);
    assert_true(r.ran);
    assert_int_equal(r.exit_status, 0);
    assert_false(r.timed_out);
    assert_non_null(strstr(r.output, "dev=/dev/disk/azure/scsi1/lun3\n"));
    assert_non_null(strstr(r.output, "snap=/subscriptions/s/snapshots/x\n"));
    assert_false(r.output_cut);
}

static void test_failure_status(void **state)
{
    (void)state;
    cli_verify_result r;
    assert_int_equal(cli_verify_run("echo missing data/ok; exit 3", NULL, 0, 10, NULL, &r), 0);
    assert_int_equal(r.exit_status, 3);
    assert_string_equal(r.output, "missing data/ok\n");
    assert_int_equal(cli_verify_run("kill -9 $$", NULL, 0, 10, NULL, &r), 0);
    assert_int_equal(r.exit_status, 128 + 9);
    assert_int_equal(cli_verify_run("/nonexistent/verify-me", NULL, 0, 10, NULL, &r), 0);
    assert_int_equal(r.exit_status, 127);
}

static void test_timeout_kills_group(void **state)
{
    (void)state;
    char mark[64];
    snprintf(mark, sizeof mark, "/tmp/snapkeep-verify-%d", (int)getpid());
    unlink(mark);
    char cmd[256];
    /* a grandchild that would write the mark after the limit */
    snprintf(cmd, sizeof cmd, "(sleep 2; touch %s) & sleep 30", mark);
    cli_verify_result r;
    assert_int_equal(cli_verify_run(cmd, NULL, 0, 0.5, NULL, &r), 0);
    assert_true(r.timed_out);
    assert_int_equal(r.exit_status, 128 + 15);
    assert_true(r.seconds < 5);
    sleep(3);
    assert_int_not_equal(access(mark, F_OK), 0);   /* the whole group was ended */
}

static int polls;
static bool interrupt_soon(void)
{
    return ++polls > 3;
}

static void test_interrupted(void **state)
{
    (void)state;
    cli_verify_result r;
    polls = 0;
    assert_int_equal(cli_verify_run("sleep 30", NULL, 0, 60, interrupt_soon, &r), 0);
    assert_true(r.interrupted);
    assert_false(r.timed_out);
    assert_int_not_equal(r.exit_status, 0);
    assert_true(r.seconds < 5);
}

static void test_output_cap(void **state)
{
    (void)state;
    cli_verify_result r;
    assert_int_equal(cli_verify_run("head -c 100000 /dev/zero | tr '\\0' x", NULL, 0, 10, NULL,
                                    &r), 0);
    assert_int_equal(r.exit_status, 0);
    assert_int_equal(r.output_len, CLI_VERIFY_OUTPUT_MAX);
    assert_true(r.output_cut);
    assert_int_equal(strlen(r.output), CLI_VERIFY_OUTPUT_MAX);
}

static void test_wait_for_path(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/snapkeep-lun-%d", (int)getpid());
    unlink(path);
    assert_int_equal(cli_wait_for_path(path, 0.3, NULL), 1);
    polls = 0;
    assert_int_equal(cli_wait_for_path(path, 30, interrupt_soon), 2);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(cli_wait_for_path(path, 0.3, NULL), 0);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_and_output),
        cmocka_unit_test(test_failure_status),
        cmocka_unit_test(test_timeout_kills_group),
        cmocka_unit_test(test_interrupted),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_wait_for_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
