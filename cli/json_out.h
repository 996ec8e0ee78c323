/* A small streaming JSON writer for reports. No tree: values go straight
 * into a large buffer that is written out when full, so a 200k-snapshot
 * plan costs one pass. Strings are escaped as RFC 8259 wants: `"` and `\`
 * and control characters escaped, valid UTF-8 passed through, invalid
 * bytes replaced by U+FFFD so the output is always valid JSON. */
#ifndef SNAPKEEP_JSON_OUT_H
#define SNAPKEEP_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

typedef struct json_out {
    FILE *f;
    char *buf;
    size_t len, cap;
    int depth;                  /* open containers */
    int pretty_depth;           /* containers deeper than this stay on one line */
    bool need_comma[JSON_MAX_DEPTH + 1];
    bool after_key;             /* a key was written: the value follows it */
    bool failed;                /* out of memory or a write error */
} json_out;

/* pretty_depth 0 writes everything on one line; 2 puts each member of the
 * top object and of its arrays on its own line. */
int json_init(json_out *j, FILE *f, int pretty_depth);
/* Flushes, writes a final newline, frees the buffer. -1 if any write failed. */
int json_finish(json_out *j);

void json_begin_object(json_out *j);
void json_end_object(json_out *j);
void json_begin_array(json_out *j);
void json_end_array(json_out *j);
void json_key(json_out *j, const char *key);

void json_string(json_out *j, const char *s);          /* NULL writes null */
void json_string_n(json_out *j, const char *s, size_t len);
void json_null(json_out *j);
void json_bool(json_out *j, bool v);
void json_int(json_out *j, int64_t v);
/* A finite number with at most `decimals` fractional digits (trailing
 * zeros trimmed); NaN and infinities become null. */
void json_double(json_out *j, double v, int decimals);

/* Shorthands for "key": value. */
void json_kv_string(json_out *j, const char *key, const char *s);
void json_kv_int(json_out *j, const char *key, int64_t v);
void json_kv_bool(json_out *j, const char *key, bool v);
void json_kv_double(json_out *j, const char *key, double v, int decimals);

/* Appends the escaped form of s (without quotes) to buf; returns the
 * length it needs (like snprintf), for tests and SVG/text reuse. */
size_t json_escape(const char *s, size_t len, char *buf, size_t n);

#endif
