/* Walking JSON structure: objects and arrays member by member, and skipping
 * whole values without recursion (so nesting costs no C stack), checking
 * the grammar and the nesting limit as it goes. */
#include "azure/inv_json.h"

#include <stdint.h>
#include <string.h>

static int push(ij_cur *c)
{
    if (c->depth >= c->max_depth)
        return ij_fail(c, c->p, "nesting deeper than %d levels", c->max_depth);
    c->depth++;
    c->p++;
    return 0;
}

int ij_obj_begin(ij_cur *c)
{
    if (ij_peek(c) != '{')
        return ij_fail_expected(c, "'{'");
    return push(c);
}

int ij_arr_begin(ij_cur *c)
{
    if (ij_peek(c) != '[')
        return ij_fail_expected(c, "'['");
    return push(c);
}

/* After a key: the ':' and the whitespace up to the value. */
static int key_colon(ij_cur *c, ij_str *key)
{
    if (ij_peek(c) != '"')
        return ij_fail_expected(c, "a string key");
    if (ij_string(c, key) < 0)
        return -1;
    ij_ws(c);
    if (ij_peek(c) != ':')
        return ij_fail_expected(c, "':' after an object key");
    c->p++;
    ij_ws(c);
    return 0;
}

int ij_obj_next(ij_cur *c, size_t *n, ij_str *key)
{
    ij_ws(c);
    int ch = ij_peek(c);
    if (ch == '}') {
        c->p++;
        c->depth--;
        return 0;
    }
    if (*n > 0) {
        if (ch != ',')
            return ij_fail_expected(c, "',' or '}' after an object member");
        c->p++;
        ij_ws(c);
    } else if (ch != '"') {
        return ij_fail_expected(c, "a string key or '}'");
    }
    if (key_colon(c, key) < 0)
        return -1;
    ++*n;
    return 1;
}

int ij_arr_next(ij_cur *c, size_t *n)
{
    ij_ws(c);
    int ch = ij_peek(c);
    if (ch == ']') {
        c->p++;
        c->depth--;
        return 0;
    }
    if (*n > 0) {
        if (ch != ',')
            return ij_fail_expected(c, "',' or ']' after an array element");
        c->p++;
        ij_ws(c);
    }
    ++*n;
    return 1;
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* RFC 8259 numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int skip_number(ij_cur *c)
{
    const unsigned char *p = c->p, *end = c->end;
    if (*p == '-')
        p++;
    if (p >= end || !is_digit(*p)) {
        c->p = p;
        return ij_fail_expected(c, "a digit");
    }
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return ij_fail(c, p - 1, "malformed JSON: a number may not start with 0");
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p)) {
            c->p = p;
            return ij_fail_expected(c, "a digit after '.'");
        }
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p)) {
            c->p = p;
            return ij_fail_expected(c, "a digit in the exponent");
        }
        while (p < end && is_digit(*p))
            p++;
    }
    c->p = p;
    return 0;
}

static int skip_literal(ij_cur *c)
{
    static const char *const words[] = { "true", "false", "null" };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(c->end - c->p) >= n && memcmp(c->p, words[i], n) == 0) {
            c->p += n;
            return 0;
        }
    }
    return ij_fail_expected(c, "a value");
}

/* A scalar at c->p, or an opened container (then *opened is its bracket). */
static int skip_scalar_or_open(ij_cur *c, int *opened)
{
    ij_str s;
    *opened = 0;
    switch (ij_peek(c)) {
    case '{':
    case '[':
        *opened = *c->p;
        return push(c);
    case '"':
        return ij_string(c, &s);
    case 't': case 'f': case 'n':
        return skip_literal(c);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return skip_number(c);
    default:
        return ij_fail_expected(c, "a value");
    }
}

/* The containers opened by one skip are tracked as a bit stack (1: an
 * object), which the nesting limit keeps within 64 bits. */
int ij_skip(ij_cur *c)
{
    uint64_t stack = 0;
    int base = c->depth;
    size_t n = 0;
    ij_str key;
    for (;;) {
        int opened;
        if (skip_scalar_or_open(c, &opened) < 0)
            return -1;
        if (opened) {
            stack = (stack << 1) | (opened == '{');
            n = 0;
        }
        /* Close whatever ends here; stop at the next value to skip. */
        for (;;) {
            if (c->depth == base)
                return 0;
            int r = (stack & 1) ? ij_obj_next(c, &n, &key) : ij_arr_next(c, &n);
            if (r < 0)
                return -1;
            if (r > 0)
                break;
            stack >>= 1;
            n = 1;      /* the enclosing container has at least this member */
        }
    }
}

/* For messages: quoted, escaped, cut on a UTF-8 boundary. */
void ij_quote(char *dst, size_t dstlen, const char *s, size_t len, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (dstlen < 16) {
        if (dstlen)
            dst[0] = '\0';
        return;
    }
    size_t room = dstlen - 12;  /* quote, ellipsis, quote, NUL, one escape */
    dst[o++] = '"';
    size_t i = 0;
    for (; i < len && i < max && o < room; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7F) {
            memcpy(dst + o, "\\u00", 4);
            dst[o + 4] = hex[ch >> 4];
            dst[o + 5] = hex[ch & 15];
            o += 6;
        } else {
            dst[o++] = (char)ch;
        }
    }
    if (i < len) {
        while (o > 1 && ((unsigned char)dst[o - 1] & 0xC0) == 0x80)
            o--;        /* drop a cut sequence's continuation bytes... */
        if (o > 1 && (unsigned char)dst[o - 1] >= 0xC0)
            o--;        /* ...and its lead byte */
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o++] = '"';
    dst[o] = '\0';
}
