/* A strict, allocation-free JSON cursor for the inventory readers: it
 * validates everything it passes over (grammar, UTF-8, escapes, nesting)
 * but builds no tree, so the readers pull out the few fields they need
 * and skip the rest at memory speed. Internal to azure/. */
#ifndef SNAPKEEP_INV_JSON_H
#define SNAPKEEP_INV_JSON_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define IJ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define IJ_PRINTF(f, a)
#endif

typedef struct ij_cur {
    const unsigned char *start, *p, *end;
    const char *name;           /* the file, for messages */
    char *err;
    size_t errlen;
    int depth;                  /* containers open at p */
    int max_depth;
} ij_cur;

/* A scanned string: its raw bytes between the quotes. */
typedef struct ij_str {
    const unsigned char *raw;
    size_t len;
    bool escaped;               /* holds backslash escapes: decode before use */
} ij_str;

void ij_init(ij_cur *c, const char *name, const char *buf, size_t len,
             int max_depth, char *err, size_t errlen);

/* Writes "NAME:LINE:COL: MESSAGE" into the error buffer; returns -1. */
int ij_fail(ij_cur *c, const unsigned char *at, const char *fmt, ...) IJ_PRINTF(3, 4);
/* "malformed JSON: expected WHAT, found X" at c->p (or the UTF-8 error
 * there, when the byte found is not UTF-8); returns -1. */
int ij_fail_expected(ij_cur *c, const char *what);
/* "a string", "an object", ... for the value starting at c->p; NULL when
 * no JSON value can start there. */
const char *ij_kind(const ij_cur *c);
/* For a wrong type: "PREFIX: expected WANT, found KIND" at c->p, or the
 * JSON error when no value starts there; returns -1. */
int ij_fail_type(ij_cur *c, const char *prefix, const char *want);

static inline void ij_ws(ij_cur *c)
{
    const unsigned char *p = c->p, *end = c->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    c->p = p;
}

/* The next byte, or -1 at the end. */
static inline int ij_peek(const ij_cur *c)
{
    return c->p < c->end ? *c->p : -1;
}

/* At '"': scans and validates a string, leaving c->p after it. */
int ij_string(ij_cur *c, ij_str *out);
/* Decodes a scanned string into dst (room for s->len bytes suffices);
 * returns the decoded length. "\u0000" decodes to a NUL byte. */
size_t ij_decode(const ij_str *s, char *dst);

/* Skips any value at c->p (whitespace already skipped), validating it. */
int ij_skip(ij_cur *c);

/* Objects and arrays, member by member. `begin` consumes the opening
 * bracket (checking the nesting limit); `next` returns 1 when another
 * member or element follows (for objects: *key is set and c->p is at its
 * value), 0 after consuming the closing bracket, -1 on error. `n` counts
 * the members seen so far (start it at 0). */
int ij_obj_begin(ij_cur *c);
int ij_obj_next(ij_cur *c, size_t *n, ij_str *key);
int ij_arr_begin(ij_cur *c);
int ij_arr_next(ij_cur *c, size_t *n);

/* Writes a decoded string for a message: quoted, control characters, '"'
 * and '\\' escaped, cut (on a UTF-8 boundary) after about `max` bytes. */
void ij_quote(char *dst, size_t dstlen, const char *s, size_t len, size_t max);

#endif
