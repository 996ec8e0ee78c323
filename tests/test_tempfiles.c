/* Files snapkeep writes where others might reach: temporary files are new
 * names created O_EXCL beside their target (a link planted at the old,
 * guessable PATH.<pid>.tmp is never followed), the journal and the lock
 * are never opened through a link, and a state or metrics directory that
 * others can write is refused with its name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/journal.h"
#include "cli/metrics.h"
#include "cli/state.h"

static char D[256];

static int setup(void **state)
{
    (void)state;
    snprintf(D, sizeof D, "%s/snapkeep-tmpfiles-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(D));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' && rm -rf '%s'", D, D);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *get(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static size_t entries(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The old temporary name, planted as a link to someone else's file. */
static void test_atomic_write_does_not_follow_planted_link(void **state)
{
    (void)state;
    char victim[512], target[512], planted[600], err[512];
    snprintf(victim, sizeof victim, "%s/victim", D);
    snprintf(target, sizeof target, "%s/m.prom", D);
    snprintf(planted, sizeof planted, "%s.%ld.tmp", target, (long)getpid());
    put(victim, "precious\n");
    chmod(victim, 0600);
    assert_int_equal(symlink(victim, planted), 0);
    assert_int_equal(cli_write_file_atomic(target, "new\n", 4, 0644, err, sizeof err), 0);
    assert_string_equal(get(victim), "precious\n");
    struct stat sb;
    assert_int_equal(stat(victim, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);     /* not re-moded either */
    assert_string_equal(get(target), "new\n");
    assert_int_equal(lstat(target, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 07777, 0644);
    assert_int_equal(entries(D), 3);                /* victim, link, target: no temp left */
}

/* The metrics writer goes through the same path. */
static void test_metrics_write_does_not_follow_planted_link(void **state)
{
    (void)state;
    char victim[512], target[512], planted[600], err[512];
    snprintf(victim, sizeof victim, "%s/victim", D);
    snprintf(target, sizeof target, "%s/snapkeep.prom", D);
    snprintf(planted, sizeof planted, "%s.%ld.tmp", target, (long)getpid());
    put(victim, "precious\n");
    assert_int_equal(symlink(victim, planted), 0);
    cli_metrics *m = cli_metrics_new();
    assert_non_null(m);
    assert_int_equal(cli_metrics_family(m, "snapkeep_run_exit_code", "gauge", "exit"), 0);
    assert_int_equal(cli_metrics_add(m, "snapkeep_run_exit_code", NULL, 0), 0);
    assert_int_equal(cli_metrics_write(m, target, err, sizeof err), 0);
    cli_metrics_free(m);
    assert_string_equal(get(victim), "precious\n");
    assert_non_null(strstr(get(target), "snapkeep_run_exit_code 0"));
}

static int open_state_in(const char *name, mode_t mode, char *err, size_t errlen)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", D, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, mode), 0);
    cli_state st = { 0 };
    int rc = cli_state_open(&st, dir, "run", err, errlen);
    cli_state_close(&st);
    return rc;
}

static void test_state_dir_writable_by_others_refused(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(open_state_in("world", 0777, err, sizeof err), 2);
    assert_non_null(strstr(err, "/world: writable by everyone"));
    assert_int_equal(open_state_in("group", 0770, err, sizeof err), 2);
    assert_non_null(strstr(err, "/group: writable by its group"));
    char lock[600];
    snprintf(lock, sizeof lock, "%s/world/lock", D);
    assert_int_equal(access(lock, F_OK), -1);       /* refused before anything is written */
    /* sticky and ours: others cannot rename or remove what we create */
    assert_int_equal(open_state_in("sticky", 01777, err, sizeof err), 0);
    assert_int_equal(open_state_in("private", 0700, err, sizeof err), 0);
    assert_int_equal(open_state_in("shared-read", 0755, err, sizeof err), 0);
}

static void test_metrics_dir_writable_by_others_refused(void **state)
{
    (void)state;
    char dir[512], path[600], err[1024];
    snprintf(dir, sizeof dir, "%s/pub", D);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    snprintf(path, sizeof path, "%s/m.prom", dir);
    assert_int_equal(cli_file_dir_check_private(path, err, sizeof err), 1);
    assert_non_null(strstr(err, "/pub: writable by everyone"));
    cli_metrics *m = cli_metrics_new();
    assert_non_null(m);
    assert_int_equal(cli_metrics_write(m, path, err, sizeof err), -1);
    cli_metrics_free(m);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(entries(dir), 0);
}

/* The journal and the lock in the state directory: never through a link. */
static void test_state_files_not_opened_through_links(void **state)
{
    (void)state;
    char dir[512], victim[512], link[600], err[1024];
    snprintf(dir, sizeof dir, "%s/st", D);
    snprintf(victim, sizeof victim, "%s/victim", D);
    put(victim, "precious\n");
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(link, sizeof link, "%s/" CLI_JOURNAL_FILE, dir);
    assert_int_equal(symlink(victim, link), 0);
    cli_state st = { 0 };
    assert_int_equal(cli_state_open(&st, dir, "run", err, sizeof err), 0);
    cli_journal j;
    assert_int_equal(cli_journal_open(&j, &st, "run", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, CLI_JOURNAL_FILE));
    cli_journal_close(&j);
    cli_state_close(&st);
    assert_string_equal(get(victim), "precious\n");

    snprintf(link, sizeof link, "%s/" CLI_STATE_LOCK, dir);
    unlink(link);               /* the lock file the first open left */
    assert_int_equal(symlink(victim, link), 0);
    memset(&st, 0, sizeof st);
    assert_int_equal(cli_state_open(&st, dir, "run", err, sizeof err), -1);
    cli_state_close(&st);
    assert_string_equal(get(victim), "precious\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_atomic_write_does_not_follow_planted_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_write_does_not_follow_planted_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_dir_writable_by_others_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_dir_writable_by_others_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_files_not_opened_through_links, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
