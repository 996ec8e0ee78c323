/* Streaming JSON writer; see json_out.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_out.h"
#include "engine/utf8.h"

#define JSON_BUFSZ (1u << 20)   /* 1 MiB: few write calls, fits a cache-friendly loop */

int json_init(json_out *j, FILE *f, int pretty_depth)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty_depth = pretty_depth;
    j->cap = JSON_BUFSZ;
    j->buf = malloc(j->cap);
    if (j->buf == NULL) {
        j->failed = true;
        return -1;
    }
    return 0;
}

static void flush(json_out *j)
{
    if (j->len > 0 && !j->failed && fwrite(j->buf, 1, j->len, j->f) != j->len)
        j->failed = true;
    j->len = 0;
}

/* Room for n more bytes; n must be <= cap. */
static inline char *reserve(json_out *j, size_t n)
{
    if (j->cap - j->len < n)
        flush(j);
    return j->buf + j->len;
}

static void put(json_out *j, const char *s, size_t n)
{
    while (n > 0 && j->buf != NULL) {
        if (j->len == j->cap)
            flush(j);
        size_t room = j->cap - j->len, take = n < room ? n : room;
        memcpy(j->buf + j->len, s, take);
        j->len += take;
        s += take;
        n -= take;
    }
}

static inline void putc1(json_out *j, char c)
{
    if (j->buf == NULL)
        return;
    *reserve(j, 1) = c;
    j->len++;
}

int json_finish(json_out *j)
{
    putc1(j, '\n');
    flush(j);
    if (fflush(j->f) != 0)
        j->failed = true;
    free(j->buf);
    j->buf = NULL;
    return j->failed ? -1 : 0;
}

static void newline_indent(json_out *j, int depth)
{
    char *p = reserve(j, 1 + 2 * JSON_MAX_DEPTH);
    p[0] = '\n';
    memset(p + 1, ' ', (size_t)(2 * depth));
    j->len += 1 + (size_t)(2 * depth);
}

/* Separator and indentation before a value or a key. */
static void before_value(json_out *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->need_comma[j->depth])
        putc1(j, ',');
    j->need_comma[j->depth] = true;
    if (j->depth > 0 && j->depth <= j->pretty_depth)
        newline_indent(j, j->depth);
}

static void open_container(json_out *j, char c)
{
    before_value(j);
    putc1(j, c);
    if (j->depth < JSON_MAX_DEPTH)
        j->depth++;
    else
        j->failed = true;   /* the reports never nest this deep */
    j->need_comma[j->depth] = false;
}

static void close_container(json_out *j, char c)
{
    bool had = j->need_comma[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (had && j->depth < j->pretty_depth)
        newline_indent(j, j->depth);
    putc1(j, c);
}

void json_begin_object(json_out *j) { open_container(j, '{'); }
void json_end_object(json_out *j) { close_container(j, '}'); }
void json_begin_array(json_out *j) { open_container(j, '['); }
void json_end_array(json_out *j) { close_container(j, ']'); }

/* Bytes that can be copied as they are: printable ASCII but `"` and `\`. */
static const unsigned char plain[256] = {
    ['\x20'] = 1, 1, 0 /* " */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* \ */, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The escape for one non-plain byte (or the UTF-8 sequence starting
 * there) into out (at least 6 bytes); *used gets the input consumed. */
static size_t escape_one(const unsigned char *s, size_t n, char *out, size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    unsigned c = s[0];
    *used = 1;
    switch (c) {
    case '"': memcpy(out, "\\\"", 2); return 2;
    case '\\': memcpy(out, "\\\\", 2); return 2;
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    case '\b': memcpy(out, "\\b", 2); return 2;
    case '\f': memcpy(out, "\\f", 2); return 2;
    default: break;
    }
    if (c < 0x20 || c == 0x7f) {
        memcpy(out, "\\u00", 4);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
    }
    size_t len = eng_utf8_len(s, n);    /* 2 to 4 here: plain ASCII was handled */
    if (len == 0) {
        memcpy(out, "\\ufffd", 6);  /* not UTF-8: keep the output valid */
        return 6;
    }
    memcpy(out, s, len);
    *used = len;
    return len;
}

size_t json_escape(const char *s, size_t len, char *buf, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t need = 0;
    char tmp[8];
    for (size_t i = 0; i < len;) {
        if (plain[u[i]]) {
            if (need + 1 < n)
                buf[need] = s[i];
            need++;
            i++;
            continue;
        }
        size_t used, k = escape_one(u + i, len - i, tmp, &used);
        for (size_t m = 0; m < k; m++, need++)
            if (need + 1 < n)
                buf[need] = tmp[m];
        i += used;
    }
    if (n > 0)
        buf[need < n ? need : n - 1] = '\0';
    return need;
}

void json_string_n(json_out *j, const char *s, size_t len)
{
    before_value(j);
    putc1(j, '"');
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len && j->buf != NULL) {
        size_t start = i;
        while (i < len && plain[u[i]])
            i++;
        put(j, s + start, i - start);
        if (i < len) {
            size_t used;
            char *p = reserve(j, 8);
            j->len += escape_one(u + i, len - i, p, &used);
            i += used;
        }
    }
    putc1(j, '"');
}

void json_string(json_out *j, const char *s)
{
    if (s == NULL)
        json_null(j);
    else
        json_string_n(j, s, strlen(s));
}

void json_key(json_out *j, const char *key)
{
    json_string(j, key);
    putc1(j, ':');
    j->after_key = true;
}

void json_null(json_out *j)
{
    before_value(j);
    put(j, "null", 4);
}

void json_bool(json_out *j, bool v)
{
    before_value(j);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
}

void json_int(json_out *j, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        tmp[sizeof tmp - 1 - n++] = '-';
    before_value(j);
    put(j, tmp + sizeof tmp - n, n);
}

void json_double(json_out *j, double v, int decimals)
{
    if (!isfinite(v)) {
        json_null(j);
        return;
    }
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        json_null(j);
        return;
    }
    if (memchr(tmp, '.', (size_t)n) != NULL) {
        while (n > 0 && tmp[n - 1] == '0')
            n--;
        if (n > 0 && tmp[n - 1] == '.')
            n--;
    }
    if (n == 2 && tmp[0] == '-' && tmp[1] == '0')
        n = 1, tmp[0] = '0';    /* "-0" reads oddly in a report */
    before_value(j);
    put(j, tmp, (size_t)n);
}

void json_kv_string(json_out *j, const char *key, const char *s)
{
    json_key(j, key);
    json_string(j, s);
}

void json_kv_int(json_out *j, const char *key, int64_t v)
{
    json_key(j, key);
    json_int(j, v);
}

void json_kv_bool(json_out *j, const char *key, bool v)
{
    json_key(j, key);
    json_bool(j, v);
}

void json_kv_double(json_out *j, const char *key, double v, int decimals)
{
    json_key(j, key);
    json_double(j, v, decimals);
}
