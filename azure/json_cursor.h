/* A strict, allocation-free JSON cursor, for the inventory reader
 * (azure/inventory_read.c): it validates everything it passes over
 * (grammar, UTF-8, escapes, nesting) but builds no tree, so the reader
 * pulls out the few fields it keeps and skips the rest at memory speed.
 *
 * Why not cJSON, which the rest of azure/ uses for small answers: cJSON
 * builds a tree of the whole document, a malloc'd node for every value
 * (twenty or more per ARM snapshot) and a copy of every string, so a 150 MB,
 * 200,000-snapshot listing costs millions of allocations and several times
 * the file in memory before the first field is read. The cursor reads in
 * place, copies only what the records keep, and scans strings eight bytes
 * at a time: that is why a whole `plan` over such a listing takes about a
 * fifth of the time jq takes to count it, in about 1.4 times the file's
 * size (tests/bench/bench_plan.sh). What it costs: a
 * hand-written grammar to keep correct (tests/fuzz/fuzz_inventory.c holds
 * every accepted document to cJSON's reading of it), and a field the
 * reader wants is code in the reader, not a lookup in a tree.
 * Internal to azure/. */
#ifndef SNAPKEEP_JSON_CURSOR_H
#define SNAPKEEP_JSON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define JC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JC_PRINTF(f, a)
#endif

typedef struct jc_cur {
    const unsigned char *start, *p, *end;
    const char *name;           /* the file, for messages */
    char *err;
    size_t errlen;
    int depth;                  /* containers open at p */
    int max_depth;
} jc_cur;

/* A scanned string: its raw bytes between the quotes. */
typedef struct jc_str {
    const unsigned char *raw;
    size_t len;
    bool escaped;               /* holds backslash escapes: decode before use */
} jc_str;

void jc_init(jc_cur *c, const char *name, const char *buf, size_t len,
             int max_depth, char *err, size_t errlen);

/* Writes "NAME:LINE:COL: MESSAGE" into the error buffer; returns -1. */
int jc_fail(jc_cur *c, const unsigned char *at, const char *fmt, ...) JC_PRINTF(3, 4);
/* "malformed JSON: expected WHAT, found X" at c->p (or the UTF-8 error
 * there, when the byte found is not UTF-8); returns -1. */
int jc_fail_expected(jc_cur *c, const char *what);
/* What stands at c->p, for a message: "'NaN'" (a bare word whole, cut at
 * 24 characters), "'}'", "byte 0x1b", "the end of the file". */
void jc_found(const jc_cur *c, char *buf, size_t len);
/* "a string", "an object", ... for the value starting at c->p; NULL when
 * no JSON value can start there. */
const char *jc_kind(const jc_cur *c);
/* For a wrong type: "PREFIX: expected WANT, found KIND" at c->p, or the
 * JSON error when no value starts there; returns -1. */
int jc_fail_type(jc_cur *c, const char *prefix, const char *want);

static inline void jc_ws(jc_cur *c)
{
    const unsigned char *p = c->p, *end = c->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    c->p = p;
}

/* The next byte, or -1 at the end. */
static inline int jc_peek(const jc_cur *c)
{
    return c->p < c->end ? *c->p : -1;
}

/* At '"': scans and validates a string, leaving c->p after it. */
int jc_string(jc_cur *c, jc_str *out);
/* Decodes a scanned string into dst (room for s->len bytes suffices);
 * returns the decoded length. "\u0000" decodes to a NUL byte. */
size_t jc_decode(const jc_str *s, char *dst);

/* Skips any value at c->p (whitespace already skipped), validating it. */
int jc_skip(jc_cur *c);

/* Objects and arrays, member by member. `begin` consumes the opening
 * bracket (checking the nesting limit); `next` returns 1 when another
 * member or element follows (for objects: *key is set and c->p is at its
 * value), 0 after consuming the closing bracket, -1 on error. `n` counts
 * the members seen so far (start it at 0). */
int jc_obj_begin(jc_cur *c);
int jc_obj_next(jc_cur *c, size_t *n, jc_str *key);
int jc_arr_begin(jc_cur *c);
int jc_arr_next(jc_cur *c, size_t *n);

/* Writes a decoded string for a message: quoted, control characters, '"'
 * and '\\' escaped, cut (on a UTF-8 boundary) after about `max` bytes. */
void jc_quote(char *dst, size_t dstlen, const char *s, size_t len, size_t max);

#endif
