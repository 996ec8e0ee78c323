/* `timezone "Area/City"`: finds the TZif file of an IANA zone name and
 * hands its bytes to the engine. The only file access time zones need. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Reads the whole file; NULL with errno set (EFBIG when too large). */
static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = malloc(ZONE_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, ZONE_MAX_BYTES + 1, f) : 0;
    int failed = !buf || ferror(f);
    int saved = errno;
    fclose(f);
    if (failed || n > ZONE_MAX_BYTES) {
        free(buf);
        errno = failed ? (saved ? saved : EIO) : EFBIG;
        return NULL;
    }
    *len = n;
    return buf;
}

eng_tz *pol_zone_load(const char *name, char *err, size_t errlen)
{
    const char *dir = getenv("TZDIR");
    char path[4096], msg[256];
    size_t len = 0;

    if (!dir || !*dir)
        dir = ZONE_DEFAULT_DIR;
    if (!name || !zone_name_ok(name)) {
        snprintf(err, errlen, "invalid time zone name \"%.64s\"", name ? name : "");
        return NULL;
    }
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
        eng_tz *utc = eng_tz_utc();
        if (!utc)
            snprintf(err, errlen, "out of memory");
        return utc;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        snprintf(err, errlen, "unknown time zone \"%s\" (path too long)", name);
        return NULL;
    }
    unsigned char *data = read_all(path, &len);
    if (!data) {
        if (errno == ENOENT || errno == ENOTDIR)
            snprintf(err, errlen, "unknown time zone \"%s\" (not found in %s)", name, dir);
        else if (errno == EISDIR)
            snprintf(err, errlen, "unknown time zone \"%s\" (%s is a directory)", name, path);
        else
            snprintf(err, errlen, "cannot read time zone \"%s\": %s: %s", name, path,
                     strerror(errno));
        return NULL;
    }
    eng_tz *tz = eng_tz_parse(name, data, len, msg, sizeof msg);
    free(data);
    if (!tz)
        snprintf(err, errlen, "time zone \"%s\": %s: %s", name, path, msg);
    return tz;
}
