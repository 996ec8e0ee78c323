/* The state directory, its lock, and atomic small-file writes. */
#include "cli/state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/exit.h"
#include "cli/log.h"
#include "cli/oom.h"

const char *cli_state_dir_for(const char *option)
{
    if (option != NULL && option[0] != '\0')
        return option;
    static char first[4096];
    const char *env = getenv("STATE_DIRECTORY");
    if (env != NULL && env[0] != '\0') {
        /* systemd joins several StateDirectory= entries with ':' */
        size_t n = strcspn(env, ":");
        if (n > 0 && n < sizeof first) {
            memcpy(first, env, n);
            first[n] = '\0';
            return first;
        }
    }
    return CLI_STATE_DEFAULT_DIR;
}

/* mkdir -p, each created level 0700 (state may name disks and runs). */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof path) {
        snprintf(err, errlen, "'%.300s': path empty or too long", dir);
        return -1;
    }
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        path[i] = saved;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
        return -1;
    }
    return 0;
}

int cli_dir_check_private(const char *dir, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        snprintf(err, errlen, "cannot use directory %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
        return -1;
    }
    /* anyone else who can write here could plant a link where we are about
     * to write, or swap our files; sticky and ours (like /tmp for root)
     * stops them renaming or removing what we create */
    if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
        !((sb.st_mode & S_ISVTX) != 0 && sb.st_uid == geteuid())) {
        snprintf(err, errlen, "refusing directory %s: writable by %s (mode %04o, owner uid %ld); "
                 "make it writable only by its owner", dir,
                 (sb.st_mode & S_IWOTH) ? "everyone" : "its group",
                 (unsigned)(sb.st_mode & 07777), (long)sb.st_uid);
        return 1;
    }
    return 0;
}

int cli_file_dir_check_private(const char *path, char *err, size_t errlen)
{
    char dcopy[4200];
    if (strlen(path) >= sizeof dcopy) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    strcpy(dcopy, path);
    return cli_dir_check_private(dirname(dcopy), err, errlen);
}

int cli_state_path(const cli_state *st, const char *name, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%s/%s", st->dir, name);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int cli_state_file(const cli_state *st, const char *name, char *buf, size_t n,
                   char *err, size_t errlen)
{
    if (cli_state_path(st, name, buf, n) == 0)
        return 0;
    snprintf(err, errlen, "%.300s/%s: path too long", st->dir, name);
    return -1;
}

static void describe_holder(int fd, const char *path, char *err, size_t errlen)
{
    char who[256] = "";
    ssize_t r = pread(fd, who, sizeof who - 1, 0);
    if (r > 0) {
        who[r] = '\0';
        who[strcspn(who, "\n")] = '\0';
    }
    snprintf(err, errlen, "another snapkeep command holds the lock %s (%s); "
             "one run at a time per state directory", path,
             who[0] != '\0' ? who : "holder unknown");
}

int cli_state_open(cli_state *st, const char *dir, const char *command,
                   char *err, size_t errlen)
{
    char path[4200];
    st->lock_fd = -1;
    st->dir = strdup(dir);
    if (st->dir == NULL) {
        cli_oom_note();
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (make_dirs(dir, err, errlen) != 0 ||
        cli_state_path(st, CLI_STATE_LOCK, path, sizeof path) != 0)
        goto fail;
    int safe = cli_dir_check_private(dir, err, errlen);
    if (safe != 0) {
        free(st->dir);
        st->dir = NULL;
        return safe > 0 ? 2 : -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open lock %s: %s", path, strerror(errno));
        goto fail;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            describe_holder(fd, path, err, errlen);
        else
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
        close(fd);
        free(st->dir);
        st->dir = NULL;
        return e == EWOULDBLOCK ? 1 : -1;
    }
    char who[256], at[ENG_TIME_BUFSZ];
    eng_time_format(cli_now() - cli_now() % SK_USEC_PER_SEC, at, sizeof at);
    int n = snprintf(who, sizeof who, "pid %ld, snapkeep %s, started %s\n",
                     (long)getpid(), command, at);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, who, (size_t)n, 0) != n) {
        /* the lock is held; the note for others is only a courtesy */
    }
    st->lock_fd = fd;
    return 0;
fail:
    free(st->dir);
    st->dir = NULL;
    return -1;
}

int cli_state_failed(struct cli_log *log, int rc, const char *err)
{
    bool oom = cli_oom_seen();
    const char *event = oom ? "oom" : rc == 1 ? "locked" : rc == 2 ? "unsafe" : "state";
    if (log != NULL)
        cli_log_emit(log, CLI_LOG_ERROR, event, NULL, 0, "state directory: %s", err);
    else
        cli_err("state directory: %s", err);
    return oom ? EXIT_NOMEM : rc == 1 || rc == 2 ? EXIT_REFUSED : EXIT_INVALID;
}

void cli_state_close(cli_state *st)
{
    if (st->lock_fd >= 0) {
        if (ftruncate(st->lock_fd, 0) != 0) {
            /* a stale note is harmless: the flock is what counts */
        }
        flock(st->lock_fd, LOCK_UN);
        close(st->lock_fd);
    }
    st->lock_fd = -1;
    free(st->dir);
    st->dir = NULL;
}

cJSON *cli_state_parse_object(const char *path, const char *text, size_t len, char *why,
                              size_t n)
{
    why[0] = '\0';
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        snprintf(why, n, "%.500s: not a JSON object", path);
        return NULL;
    }
    return o;
}

int cli_read_file(const char *path, size_t max, char **buf, size_t *len,
                  char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char *b = malloc(max + 1);
    if (b == NULL) {
        fclose(f);
        cli_oom_note();
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = fread(b, 1, max + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n > max) {
        snprintf(err, errlen, bad ? "cannot read %s" : "%s is too large", path);
        free(b);
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int cli_write_file_atomic(const char *path, const char *data, size_t len,
                          int mode, char *err, size_t errlen)
{
    char tmp[4200], dcopy[4200];
    int w = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    if (w < 0 || (size_t)w >= sizeof tmp || strlen(path) >= sizeof dcopy) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    /* a fresh name beside the target, created O_EXCL (a link planted at a
     * name we would guess is never followed), 0600 until fchmod below */
    int fd = mkstemp(tmp);
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    strcpy(dcopy, path);
    int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);         /* makes the rename durable; best effort */
        close(dfd);
    }
    return 0;
}
