/* The recovery record (cli/rcv_record.h): a failover's list of disks with
 * their LUNs, caching, write accelerator and --restore choices survives
 * the file unchanged (a resumed failover depends on it once the disks are
 * detached), a malformed list is refused rather than guessed, and the
 * resume line names the command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/rcv_record.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/snapkeep-rcvrec-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, CLI_RCV_RECORD_FILE);
    unlink(path);
    return rmdir(dir);
}

static void write_raw(const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, CLI_RCV_RECORD_FILE);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_disks_round_trip(void **state)
{
    (void)state;
    cli_state st = { .dir = dir, .lock_fd = -1 };
    static cli_rcv_record r, back;
    memset(&r, 0, sizeof r);
    snprintf(r.key, sizeof r.key, "failover|p1||vm1|sb1");
    snprintf(r.command_line, sizeof r.command_line, "snapkeep failover p.policy");
    snprintf(r.started, sizeof r.started, "2026-12-02T17:00:00Z");
    r.ndisks = 2;
    snprintf(r.disks[0].id, sizeof r.disks[0].id, "/s/x/disks/data1");
    r.disks[0].lun = 1;
    snprintf(r.disks[0].caching, sizeof r.disks[0].caching, "ReadWrite");
    r.disks[0].write_accelerator = true;
    snprintf(r.disks[1].id, sizeof r.disks[1].id, "/s/x/disks/data2");
    r.disks[1].lun = 63;
    snprintf(r.disks[1].caching, sizeof r.disks[1].caching, "None");
    snprintf(r.disks[1].snapshot, sizeof r.disks[1].snapshot, "/s/x/snapshots/s2");
    snprintf(r.disks[1].target, sizeof r.disks[1].target, "/s/x/disks/data2-fo");
    char err[256];
    assert_int_equal(cli_rcv_record_save(&st, &r, err, sizeof err), 0);
    assert_int_equal(cli_rcv_record_load(&st, &back, err, sizeof err), 0);
    assert_true(back.present);
    assert_int_equal(back.ndisks, 2);
    assert_string_equal(back.disks[0].id, "/s/x/disks/data1");
    assert_int_equal(back.disks[0].lun, 1);
    assert_string_equal(back.disks[0].caching, "ReadWrite");
    assert_true(back.disks[0].write_accelerator);
    assert_string_equal(back.disks[0].snapshot, "");
    assert_int_equal(back.disks[1].lun, 63);
    assert_false(back.disks[1].write_accelerator);
    assert_string_equal(back.disks[1].snapshot, "/s/x/snapshots/s2");
    assert_string_equal(back.disks[1].target, "/s/x/disks/data2-fo");
}

static void test_bad_disks_refused(void **state)
{
    (void)state;
    cli_state st = { .dir = dir, .lock_fd = -1 };
    static cli_rcv_record back;
    char err[512];
    static const char *const bad[] = {
        "\"disks\":[{\"id\":\"d\",\"lun\":64,\"caching\":\"None\",\"write_accelerator\":false}]",
        "\"disks\":[{\"id\":\"d\",\"lun\":1.5,\"caching\":\"None\",\"write_accelerator\":false}]",
        "\"disks\":[{\"lun\":1,\"caching\":\"None\",\"write_accelerator\":false}]",
        "\"disks\":[]",
        "\"disks\":{}",
        "\"facts\":{\"lun\":1e20,\"write_accelerator\":false,\"was_running\":true,"
        "\"caching\":\"None\"}",
        "\"facts\":{\"lun\":-1e300,\"write_accelerator\":false,\"was_running\":true,"
        "\"caching\":\"None\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[600];
        snprintf(text, sizeof text, "{\"format\":\"snapkeep-recovery/1\",\"key\":\"k\","
                 "\"command\":\"c\",\"started\":\"s\",%s}", bad[i]);
        write_raw(text);
        assert_int_equal(cli_rcv_record_load(&st, &back, err, sizeof err), -1);
        assert_false(back.present);
        assert_non_null(strstr(err, "not a recovery record"));
        /* the parser from memory (the fuzzer's entry) says the same of it */
        assert_int_equal(cli_rcv_record_parse("mem.json", text, strlen(text), &back, err,
                                              sizeof err), -1);
        assert_false(back.present);
        assert_true(strncmp(err, "mem.json: not a recovery record", 31) == 0);
    }
}

static void test_command_line(void **state)
{
    (void)state;
    char a0[] = "failover", a1[] = "p.policy", a2[] = "--from", a3[] = "vm 1", a4[] = "--to",
         a5[] = "it's";
    char *argv[] = { a0, a1, a2, a3, a4, a5 };
    char buf[200];
    cli_rcv_command_line(buf, sizeof buf, 6, argv);
    assert_string_equal(buf, "snapkeep failover p.policy --from 'vm 1' --to 'it'\\''s'");
    char tiny[12];
    cli_rcv_command_line(tiny, sizeof tiny, 6, argv);  /* cut, still terminated */
    assert_true(strlen(tiny) < sizeof tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disks_round_trip),
        cmocka_unit_test(test_bad_disks_refused),
        cmocka_unit_test(test_command_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
