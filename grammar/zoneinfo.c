/* `timezone "Area/City"`: finds the TZif file of an IANA zone name and
 * hands its bytes to the engine. The only file access time zones need,
 * reached through pol_zones_host; a parse from memory is given a zone
 * source (or only the built-in UTC) and never comes here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/tz.h"
#include "grammar/parse.h"

#define ZONE_DEFAULT_DIR "/usr/share/zoneinfo"
/* The largest zone file is a few kB; anything much bigger is not one. */
#define ZONE_MAX_BYTES (1024 * 1024)
#define ZONE_MAX_NAME 255

/* A name is a path below the zone directory: no "..", no leading '/',
 * nothing but the characters IANA names use. */
static int zone_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > ZONE_MAX_NAME || name[0] == '/' || strstr(name, "..") ||
        strstr(name, "//") || name[n - 1] == '/')
        return 0;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '+' || c == '-'))
            return 0;
    }
    return 1;
}

/* Files in a zone directory that parse as zones but are not IANA zones:
 * this host's own setting, the POSIX-rules template, and tzcode's
 * "zone not set" placeholder. A policy naming them would mean something
 * different on each machine. */
static int zone_host_specific(const char *name)
{
    static const char *const names[] = { "localtime", "posixrules", "Factory" };
    const char *base = strrchr(name, '/');
    base = base != NULL ? base + 1 : name;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(base, names[i]) == 0)
            return 1;
    return 0;
}

/* Reads the whole file; NULL with errno set (EFBIG when too large, EINVAL
 * when it is not a regular file). Opened without blocking so that a FIFO
 * or a device in the zone directory is refused, not waited on. */
static unsigned char *read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    struct stat sb;
    int e = 0;
    if (fstat(fd, &sb) != 0)
        e = errno ? errno : EIO;
    else if (S_ISDIR(sb.st_mode))
        e = EISDIR;
    else if (!S_ISREG(sb.st_mode))
        e = EINVAL;
    if (e != 0) {
        close(fd);
        errno = e;
        return NULL;
    }
    if (sb.st_size > ZONE_MAX_BYTES) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    unsigned char *buf = malloc(ZONE_MAX_BYTES + 1);
    size_t n = 0;
    int failed = buf == NULL ? ENOMEM : 0;
    while (!failed && n <= ZONE_MAX_BYTES) {
        ssize_t r = read(fd, buf + n, ZONE_MAX_BYTES + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            failed = errno ? errno : EIO;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (failed || n > ZONE_MAX_BYTES) {
        free(buf);
        errno = failed ? failed : EFBIG;
        return NULL;
    }
    *len = n;
    return buf;
}

eng_tz *pol_zone_builtin(const char *name, char *err, size_t errlen)
{
    if (name != NULL && (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)) {
        eng_tz *utc = eng_tz_utc();
        if (!utc)
            snprintf(err, errlen, "out of memory");
        return utc;
    }
    snprintf(err, errlen, "unknown time zone \"%.64s\" (only UTC is known here)",
             name ? name : "");
    return NULL;
}

/* The entry of directory `path` component p[0..n) means: the one equal
 * ignoring case (*case_only stays true), else the obvious slip
 * pol_suggest finds (*case_only false). false when there is none, or
 * two that differ only in case. */
static bool zone_component(const char *path, const char *p, size_t n, char *found,
                           size_t flen, bool *case_only)
{
    if (n == 0 || n >= flen)
        return false;
    DIR *d = opendir(path);
    if (d == NULL)
        return false;
    char word[256];
    snprintf(word, sizeof word, "%.*s", (int)n, p);
    /* the names, for pol_suggest; a zone directory holds a few hundred */
    enum { MAXN = 1024 };
    char **names = malloc(MAXN * sizeof *names);
    size_t nn = 0;
    int same = 0;
    struct dirent *e;
    while (names != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (strcasecmp(e->d_name, word) == 0) {
            snprintf(found, flen, "%s", e->d_name);
            same++;
        }
        if (nn < MAXN && (names[nn] = strdup(e->d_name)) != NULL)
            nn++;
    }
    closedir(d);
    bool ok = same == 1;
    if (same == 0 && names != NULL) {
        const char *hint = pol_suggest(word, (const char *const *)names, nn);
        if (hint != NULL && strlen(hint) < flen) {
            snprintf(found, flen, "%s", hint);
            *case_only = false;
            ok = true;
        }
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    return ok;
}

/* The zone `name` was most likely meant to be: each path component looked
 * up in its directory ignoring case ("europe/paris" -> "Europe/Paris"),
 * else as an obvious slip ("Europe/Pariss" -> "Europe/Paris"). *case_only
 * says whether only the letter case was wrong. */
static bool zone_fix(const char *dir, size_t dlen, const char *name, char *out,
                     size_t outlen, bool *case_only)
{
    char path[4096], found[256];
    size_t plen = (size_t)snprintf(path, sizeof path, "%.*s", (int)dlen, dir), olen = 0;
    const char *p = name;
    *case_only = true;
    if (plen >= sizeof path)
        return false;
    out[0] = '\0';
    while (*p != '\0') {
        size_t n = strcspn(p, "/");
        if (!zone_component(path, p, n, found, sizeof found, case_only))
            return false;
        int w = snprintf(out + olen, outlen - olen, "%s%s", olen ? "/" : "", found);
        int v = snprintf(path + plen, sizeof path - plen, "/%s", found);
        if (w < 0 || (size_t)w >= outlen - olen || v < 0 || (size_t)v >= sizeof path - plen)
            return false;
        olen += (size_t)w;
        plen += (size_t)v;
        p += n;
        if (*p == '/')
            p++;
    }
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && strcmp(out, name) != 0 &&
           !zone_host_specific(out);
}

eng_tz *pol_zone_load(const char *name, char *err, size_t errlen)
{
    const char *dir = getenv("TZDIR");
    char path[4096], msg[256];
    size_t len = 0;

    if (!dir || !*dir)
        dir = ZONE_DEFAULT_DIR;
    /* "/usr/share/zoneinfo/" names the same files: the same paths */
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    if (!name || !zone_name_ok(name)) {
        snprintf(err, errlen, "invalid time zone name \"%.64s\"", name ? name : "");
        return NULL;
    }
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
        return pol_zone_builtin(name, err, errlen);
    if (zone_host_specific(name)) {
        snprintf(err, errlen, "time zone \"%s\" is not an IANA zone but a file of this "
                 "host's zone database; name the zone itself (e.g. \"Europe/Paris\")", name);
        return NULL;
    }
    if ((size_t)snprintf(path, sizeof path, "%.*s/%s", (int)dlen, dir, name) >= sizeof path) {
        snprintf(err, errlen, "unknown time zone \"%s\" (path too long)", name);
        return NULL;
    }
    unsigned char *data = read_all(path, &len);
    if (!data) {
        /* the message does not depend on where the zone database is */
        char fixed[256];
        int e = errno;
        bool case_only;
        if ((e == ENOENT || e == ENOTDIR) &&
            zone_fix(dir, dlen, name, fixed, sizeof fixed, &case_only))
            snprintf(err, errlen, "unknown time zone \"%s\"; did you mean \"%s\"?%s", name,
                     fixed, case_only ? " (zone names are case-sensitive)" : "");
        else if (e == ENOENT || e == ENOTDIR || e == EISDIR)
            snprintf(err, errlen, "unknown time zone \"%s\" (no such IANA zone)", name);
        else if (e == EINVAL)
            snprintf(err, errlen, "cannot read time zone \"%s\": %s is not a regular file",
                     name, path);
        else
            snprintf(err, errlen, "cannot read time zone \"%s\": %s: %s", name, path,
                     strerror(e));
        return NULL;
    }
    eng_tz *tz = eng_tz_parse(name, data, len, msg, sizeof msg);
    free(data);
    if (!tz)
        snprintf(err, errlen, "time zone \"%s\": %s: %s", name, path, msg);
    return tz;
}

static eng_tz *zones_host_load(void *ctx, const char *name, char *err, size_t errlen)
{
    (void)ctx;
    return pol_zone_load(name, err, errlen);
}

const pol_zones pol_zones_host = { zones_host_load, NULL };
