/* The JSON cursor (azure/json_cursor.h). Scanning: grammar, UTF-8 and
 * escape validation; strings are scanned eight bytes at a time, since
 * inventories are mostly long ASCII strings (resource IDs) that nobody
 * needs decoded. Walking: objects and arrays member by member, and
 * skipping whole values without recursion (so nesting costs no C stack),
 * checking the grammar and the nesting limit as it goes. */
#include "azure/json_cursor.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/utf8.h"

void jc_init(jc_cur *c, const char *name, const char *buf, size_t len,
             int max_depth, char *err, size_t errlen)
{
    /* An empty HTTP body arrives as NULL: NULL + 0 is undefined, so an
     * empty input points at a static empty buffer instead. */
    static const unsigned char nothing[1];
    c->start = c->p = buf ? (const unsigned char *)buf : nothing;
    c->end = c->start + (buf ? len : 0);
    c->name = name;
    c->err = err;
    c->errlen = errlen;
    c->depth = 0;
    /* jc_skip keeps its containers in a 64-bit stack */
    c->max_depth = max_depth > 64 ? 64 : max_depth;
    if (errlen)
        err[0] = '\0';
}

/* Line and column (1-based; columns count characters, not bytes). */
static void position(const jc_cur *c, const unsigned char *at, size_t *line, size_t *col)
{
    size_t l = 1, k = 1;        /* one-line files of gigabytes exist */
    for (const unsigned char *q = c->start; q < at && q < c->end; q++) {
        if (*q == '\n') {
            l++;
            k = 1;
        } else if ((*q & 0xC0) != 0x80) {
            k++;
        }
    }
    *line = l;
    *col = k;
}

int jc_fail(jc_cur *c, const unsigned char *at, const char *fmt, ...)
{
    if (!c->errlen)
        return -1;
    size_t line, col;
    position(c, at, &line, &col);
    int n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->name, line, col);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int fail_utf8(jc_cur *c, const unsigned char *at, const char *where)
{
    return jc_fail(c, at, "not UTF-8: invalid byte 0x%02x%s", *at, where);
}

static bool is_word_byte(unsigned char b)
{
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
           b == '_';
}

/* Bytes of the bare word (letters, digits, '_') at p: what a reader
 * would call the thing found ('NaN', 'this'), rather than its first
 * letter. */
static size_t word_len(const jc_cur *c, const unsigned char *p)
{
    size_t n = 0;
    while (p + n < c->end && is_word_byte(p[n]))
        n++;
    return n;
}

/* The longest bare word an error message quotes whole. */
#define JC_WORD_MAX 24

void jc_found(const jc_cur *c, char *buf, size_t len)
{
    const unsigned char *p = c->p;
    if (p >= c->end) {
        snprintf(buf, len, "the end of the file");
        return;
    }
    size_t n = eng_utf8_len(p, (size_t)(c->end - p));
    if (n == 0 || *p < 0x20 || *p == 0x7F) {
        snprintf(buf, len, "byte 0x%02x", *p);
        return;
    }
    size_t w = word_len(c, p);
    if (w > JC_WORD_MAX)
        snprintf(buf, len, "'%.*s...'", JC_WORD_MAX, (const char *)p);
    else
        snprintf(buf, len, "'%.*s'", (int)(w > 1 ? w : n), (const char *)p);
}

int jc_fail_expected(jc_cur *c, const char *what)
{
    const unsigned char *p = c->p;
    if (p < c->end && eng_utf8_len(p, (size_t)(c->end - p)) == 0)
        return fail_utf8(c, p, "");
    char found[JC_WORD_MAX + 8];
    jc_found(c, found, sizeof found);
    return jc_fail(c, p, "malformed JSON: expected %s, found %s", what, found);
}

/* The literal `word` stands whole at c->p (`nope` and `trueish` are not
 * JSON, whatever letter they start with). */
static bool literal_at(const jc_cur *c, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0 &&
           word_len(c, c->p) == n;
}

const char *jc_kind(const jc_cur *c)
{
    switch (jc_peek(c)) {
    case '"': return "a string";
    case '{': return "an object";
    case '[': return "an array";
    case 't': return literal_at(c, "true") ? "a boolean" : NULL;
    case 'f': return literal_at(c, "false") ? "a boolean" : NULL;
    case 'n': return literal_at(c, "null") ? "null" : NULL;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return "a number";
    default: return NULL;
    }
}

int jc_fail_type(jc_cur *c, const char *prefix, const char *want)
{
    const char *kind = jc_kind(c);
    if (!kind)
        return jc_fail_expected(c, "a value");
    return jc_fail(c, c->p, "%s: expected %s, found %s", prefix, want, kind);
}

static int hexval(unsigned char h)
{
    if (h >= '0' && h <= '9')
        return h - '0';
    if (h >= 'a' && h <= 'f')
        return h - 'a' + 10;
    if (h >= 'A' && h <= 'F')
        return h - 'A' + 10;
    return -1;
}

/* At 'u' of "\uXXXX": the code unit, or -1 when the four hex digits are not there. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 5)
        return -1;
    long v = 0;
    for (int i = 1; i <= 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* At the backslash: validates one escape (a surrogate pair counts as one)
 * and returns the bytes it spans, or 0 after reporting the error. */
static size_t check_escape(jc_cur *c, const unsigned char *p)
{
    const unsigned char *end = c->end;
    if (end - p < 2) {
        jc_fail(c, p, "malformed JSON: unterminated string");
        return 0;
    }
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return 2;
    case 'u':
        break;
    default: {
        size_t n = eng_utf8_len(p + 1, (size_t)(end - (p + 1)));
        if (n == 0 || p[1] < 0x20)
            jc_fail(c, p, "malformed JSON: invalid escape in a string");
        else
            jc_fail(c, p, "malformed JSON: invalid escape '\\%.*s' in a string",
                    (int)n, (const char *)p + 1);
        return 0;
    }
    }
    long u = hex4(p + 1, end);
    if (u < 0) {
        jc_fail(c, p, "malformed JSON: \\u must be followed by four hex digits");
        return 0;
    }
    if (u >= 0xDC00 && u <= 0xDFFF) {
        jc_fail(c, p, "malformed JSON: lone low surrogate \\u%04lx in a string", u);
        return 0;
    }
    if (u < 0xD800 || u > 0xDBFF)
        return 6;
    long lo = (end - p >= 12 && p[6] == '\\' && p[7] == 'u') ? hex4(p + 7, end) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF) {
        jc_fail(c, p, "malformed JSON: high surrogate \\u%04lx not followed by a low surrogate", u);
        return 0;
    }
    return 12;
}

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* The high bit of every byte that is '"', '\\', a control character or
 * non-ASCII: those need the byte-by-byte path. A borrow can only flag a
 * byte above a truly special one, so the lowest flag is exact. */
static inline uint64_t word_special(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"');
    uint64_t b = w ^ (ONES * '\\');
    uint64_t t = ((q - ONES) & ~q) | ((b - ONES) & ~b) | (w - ONES * 0x20) | w;
    return t & HIGHS;
}

/* Advances p over the plain bytes of a string, eight at a time. */
static inline const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t m = word_special(w);
        if (m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            p += (unsigned)__builtin_ctzll(m) >> 3;
#endif
            return p;
        }
        p += 8;
    }
    return p;
}

int jc_string(jc_cur *c, jc_str *out)
{
    const unsigned char *open = c->p, *p = c->p + 1, *end = c->end;
    bool escaped = false;
    for (;;) {
        p = skip_plain(p, end);
        if (p >= end)
            return jc_fail(c, open, "malformed JSON: unterminated string");
        unsigned char b = *p;
        if (b == '"')
            break;
        if (b == '\\') {
            size_t n = check_escape(c, p);
            if (!n)
                return -1;
            escaped = true;
            p += n;
        } else if (b < 0x20) {
            return jc_fail(c, p, "malformed JSON: unescaped control character 0x%02x in a string", b);
        } else if (b >= 0x80) {
            size_t n = eng_utf8_len(p, (size_t)(end - p));
            if (!n)
                return fail_utf8(c, p, " in a string");
            p += n;
        } else {
            p++;
        }
    }
    out->raw = open + 1;
    out->len = (size_t)(p - (open + 1));
    out->escaped = escaped;
    c->p = p + 1;
    return 0;
}

static size_t put_utf8(char *d, unsigned long u)
{
    unsigned char *o = (unsigned char *)d;
    if (u < 0x80) {
        o[0] = (unsigned char)u;
        return 1;
    }
    if (u < 0x800) {
        o[0] = (unsigned char)(0xC0 | (u >> 6));
        o[1] = (unsigned char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (u >> 12));
        o[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (u & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (u >> 18));
    o[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (u & 0x3F));
    return 4;
}

/* The string was validated by jc_string: every escape here is well formed. */
size_t jc_decode(const jc_str *s, char *dst)
{
    if (!s->escaped) {
        memcpy(dst, s->raw, s->len);
        return s->len;
    }
    const unsigned char *p = s->raw, *end = s->raw + s->len;
    char *d = dst;
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((bs ? bs : end) - p);
        memcpy(d, p, run);
        d += run;
        p += run;
        if (!bs)
            break;
        unsigned char e = p[1];
        p += 2;
        switch (e) {
        case 'b': *d++ = '\b'; continue;
        case 'f': *d++ = '\f'; continue;
        case 'n': *d++ = '\n'; continue;
        case 'r': *d++ = '\r'; continue;
        case 't': *d++ = '\t'; continue;
        case 'u': break;
        default: *d++ = (char)e; continue;
        }
        unsigned long u = (unsigned long)hex4(p - 1, end);
        p += 4;
        if (u >= 0xD800 && u <= 0xDBFF) {
            unsigned long lo = (unsigned long)hex4(p + 1, end);
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        }
        d += put_utf8(d, u);
    }
    return (size_t)(d - dst);
}

/* ---- walking ---- */

static int push(jc_cur *c)
{
    if (c->depth >= c->max_depth)
        return jc_fail(c, c->p, "nesting deeper than %d levels", c->max_depth);
    c->depth++;
    c->p++;
    return 0;
}

int jc_obj_begin(jc_cur *c)
{
    if (jc_peek(c) != '{')
        return jc_fail_expected(c, "'{'");
    return push(c);
}

int jc_arr_begin(jc_cur *c)
{
    if (jc_peek(c) != '[')
        return jc_fail_expected(c, "'['");
    return push(c);
}

/* After a key: the ':' and the whitespace up to the value. */
static int key_colon(jc_cur *c, jc_str *key)
{
    if (jc_peek(c) != '"')
        return jc_fail_expected(c, "a string key");
    if (jc_string(c, key) < 0)
        return -1;
    jc_ws(c);
    if (jc_peek(c) != ':')
        return jc_fail_expected(c, "':' after an object key");
    c->p++;
    jc_ws(c);
    return 0;
}

int jc_obj_next(jc_cur *c, size_t *n, jc_str *key)
{
    jc_ws(c);
    int ch = jc_peek(c);
    if (ch == '}') {
        c->p++;
        c->depth--;
        return 0;
    }
    if (*n > 0) {
        if (ch != ',')
            return jc_fail_expected(c, "',' or '}' after an object member");
        c->p++;
        jc_ws(c);
    } else if (ch != '"') {
        return jc_fail_expected(c, "a string key or '}'");
    }
    if (key_colon(c, key) < 0)
        return -1;
    ++*n;
    return 1;
}

int jc_arr_next(jc_cur *c, size_t *n)
{
    jc_ws(c);
    int ch = jc_peek(c);
    if (ch == ']') {
        c->p++;
        c->depth--;
        return 0;
    }
    if (*n > 0) {
        if (ch != ',')
            return jc_fail_expected(c, "',' or ']' after an array element");
        c->p++;
        jc_ws(c);
    }
    ++*n;
    return 1;
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* RFC 8259 numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int skip_number(jc_cur *c)
{
    const unsigned char *p = c->p, *end = c->end;
    if (*p == '-')
        p++;
    if (p >= end || !is_digit(*p)) {
        c->p = p;
        return jc_fail_expected(c, "a digit");
    }
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return jc_fail(c, p - 1, "malformed JSON: a number may not start with 0");
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p)) {
            c->p = p;
            return jc_fail_expected(c, "a digit after '.'");
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
            return jc_fail_expected(c, "a digit in the exponent");
        }
        while (p < end && is_digit(*p))
            p++;
    }
    c->p = p;
    return 0;
}

static int skip_literal(jc_cur *c)
{
    static const char *const words[] = { "true", "false", "null" };
    for (size_t i = 0; i < 3; i++) {
        if (literal_at(c, words[i])) {
            c->p += strlen(words[i]);
            return 0;
        }
    }
    return jc_fail_expected(c, "a value");
}

/* A scalar at c->p, or an opened container (then *opened is its bracket). */
static int skip_scalar_or_open(jc_cur *c, int *opened)
{
    jc_str s;
    *opened = 0;
    switch (jc_peek(c)) {
    case '{':
    case '[':
        *opened = *c->p;
        return push(c);
    case '"':
        return jc_string(c, &s);
    case 't': case 'f': case 'n':
        return skip_literal(c);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return skip_number(c);
    default:
        return jc_fail_expected(c, "a value");
    }
}

/* The containers opened by one skip are tracked as a bit stack (1: an
 * object), which the nesting limit keeps within 64 bits. */
int jc_skip(jc_cur *c)
{
    uint64_t stack = 0;
    int base = c->depth;
    size_t n = 0;
    jc_str key;
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
            int r = (stack & 1) ? jc_obj_next(c, &n, &key) : jc_arr_next(c, &n);
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
void jc_quote(char *dst, size_t dstlen, const char *s, size_t len, size_t max)
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
