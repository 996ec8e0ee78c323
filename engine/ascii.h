/* ASCII case folding, the one way engine/ ignores case: ARM compares
 * resource IDs, tag names and provisioning states that way, and a locale
 * (tolower, strcasecmp under LC_CTYPE) must not change which snapshots a
 * policy keeps. */
#ifndef SNAPKEEP_ASCII_H
#define SNAPKEEP_ASCII_H

#include <stdbool.h>
#include <stddef.h>

static inline unsigned char eng_ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Whether two NUL-terminated strings are equal, ASCII case ignored. */
static inline bool eng_ascii_ieq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (eng_ascii_lower((unsigned char)*a) != eng_ascii_lower((unsigned char)*b))
            return false;
    return *a == *b;
}

/* The same for the first n bytes of a (which holds at least n) against
 * the whole of b's first n bytes. */
static inline bool eng_ascii_nieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (eng_ascii_lower((unsigned char)a[i]) != eng_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

#endif
