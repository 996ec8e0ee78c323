/* UTF-8 validation, the one definition the policy reader (grammar/), the
 * inventory reader (azure/) and the JSON writer (cli/) share. Inline: the
 * inventory reader calls it for every non-ASCII byte it scans. */
#ifndef SNAPKEEP_UTF8_H
#define SNAPKEEP_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes, n > 0): 1 for
 * ASCII (NUL included), 2 to 4 for a valid sequence, 0 when it is not one
 * (RFC 3629: no overlong forms, no UTF-16 surrogates, nothing above
 * U+10FFFF, no sequence cut short by the end). */
static inline size_t eng_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        if (b == 0xE0)
            lo = 0xA0;          /* overlong */
        else if (b == 0xED)
            hi = 0x9F;          /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        if (b == 0xF0)
            lo = 0x90;          /* overlong */
        else if (b == 0xF4)
            hi = 0x8F;          /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

#endif
