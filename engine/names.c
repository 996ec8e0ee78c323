/* Resource names: one place that knows what ARM accepts in a name, so run's
 * snapshots and drill's disks follow the same rules. */
#include <stdbool.h>
#include <string.h>

#include "engine/names.h"

static bool name_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

int eng_name_stamp(sk_time t, char *buf, size_t n)
{
    char iso[ENG_TIME_BUFSZ];
    if (t < 0 || n < 17)
        return -1;
    eng_time_format(t - t % SK_USEC_PER_SEC, iso, sizeof iso);
    /* "2026-11-26T12:00:00Z" -> "20261126T120000Z" */
    size_t k = 0;
    for (const char *c = iso; *c != '\0' && k < n - 1; c++)
        if (*c != '-' && *c != ':')
            buf[k++] = *c;
    buf[k] = '\0';
    return k == 16 ? (int)k : -1;
}

int eng_resource_name(const char *base, const char *fallback, const char *suffix,
                      char *buf, size_t n)
{
    size_t sl = strlen(suffix);
    if (n < ENG_NAME_MAX + 1 || sl >= ENG_NAME_MAX)
        return -1;
    const char *b = base != NULL && base[0] != '\0' ? base : fallback;
    size_t room = ENG_NAME_MAX - sl, len = 0;
    for (; len < room && b[len] != '\0'; len++)
        buf[len] = name_char_ok((unsigned char)b[len]) ? b[len] : '-';
    /* ARM wants a name to start with a letter or digit */
    if (len > 0 && (buf[0] == '-' || buf[0] == '_' || buf[0] == '.'))
        buf[0] = fallback[0];
    memcpy(buf + len, suffix, sl + 1);
    return (int)(len + sl);
}
