/* Reading one field of a snapshot or disk: strings into the inventory's
 * arena, booleans, times, tags. A field of the wrong type is not a JSON
 * error: it is recorded and reported when the element ends, with its name. */
#include "azure/inv_read_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rd_pend(rd *r, const unsigned char *at, const char *fmt, ...)
{
    if (r->pending)
        return;
    r->pending = true;
    r->pend_at = at;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->pend, sizeof r->pend, fmt, ap);
    va_end(ap);
}

void rd_path(const rd *r, char *buf, size_t n)
{
    switch (r->shape) {
    case RD_ARM:
        snprintf(buf, n, ".value[%zu]", r->index);
        break;
    case RD_PAGES:
        snprintf(buf, n, ".[%zu].value[%zu]", r->page, r->index);
        break;
    case RD_AZ:
        snprintf(buf, n, ".[%zu]", r->index);
        break;
    }
}

int rd_fail_elem(rd *r, const char *kind, const char *name)
{
    char path[64], quoted[128] = "";
    rd_path(r, path, sizeof path);
    if (name) {
        char q[120];
        ij_quote(q, sizeof q, name, strlen(name), 80);
        snprintf(quoted, sizeof quoted, " (%s)", q);
    }
    r->pending = false;
    return ij_fail(&r->c, r->pend_at, "%s %s%s: %s", kind, path, quoted, r->pend);
}

void rd_once(rd *r, unsigned *seen, unsigned bit, const char *field)
{
    if (*seen & bit)
        rd_pend(r, r->c.p, "%s: given more than once", field);
    *seen |= bit;
}

static bool is_null(rd *r)
{
    ij_cur *c = &r->c;
    if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        return true;
    }
    return false;
}

/* A wrong type: recorded, then the value is skipped. */
static int wrong_type(rd *r, const char *field, const char *want)
{
    const char *kind = ij_kind(&r->c);
    if (!kind)
        return ij_fail_expected(&r->c, "a value");
    rd_pend(r, r->c.p, "%s: expected %s, found %s", field, want, kind);
    return ij_skip(&r->c);
}

/* Decodes a scanned string into the arena. A decoded NUL would silently
 * cut the C string short, so it is refused. */
static int arena_string(rd *r, const ij_str *s, const unsigned char *at,
                        const char *field, char **out)
{
    char *d = inv_strdup(r->inv, (const char *)s->raw, s->len);
    if (!d)
        return ij_fail(&r->c, at, "out of memory");
    if (s->escaped) {
        size_t n = ij_decode(s, d);
        d[n] = '\0';
        if (memchr(d, '\0', n))
            rd_pend(r, at, "%s: contains a NUL character (\\u0000)", field);
    }
    *out = d;
    return 0;
}

static const char *memo_get(const rd *r, int slot, const ij_str *s)
{
    if (slot < 0 || s->escaped)
        return NULL;
    const rd_memo *m = &r->memo[slot];
    if (m->val && m->len == s->len && memcmp(m->raw, s->raw, s->len) == 0)
        return m->val;
    return NULL;
}

/* Escaped strings are not remembered: their raw bytes are not their value. */
static void memo_put(rd *r, int slot, const ij_str *s, const char *val)
{
    if (slot < 0 || s->escaped)
        return;
    r->memo[slot].raw = s->raw;
    r->memo[slot].len = s->len;
    r->memo[slot].val = val;
}

int rd_string(rd *r, const char *field, rd_strmode mode, int memo, const char **dst)
{
    ij_cur *c = &r->c;
    const unsigned char *at = c->p;
    if (ij_peek(c) != '"') {
        if (mode != RD_STR_REQUIRED && is_null(r))
            return 0;
        return wrong_type(r, field, "a string");
    }
    ij_str s;
    if (ij_string(c, &s) < 0)
        return -1;
    if (s.len == 0) {
        if (mode == RD_STR_REQUIRED)
            rd_pend(r, at, "%s: empty", field);
        else if (mode == RD_STR_OPTIONAL)
            *dst = "";
        return 0;       /* an empty source ID: no source, like null */
    }
    const char *known = memo_get(r, memo, &s);
    if (known) {
        *dst = known;
        return 0;
    }
    char *d = NULL;
    if (arena_string(r, &s, at, field, &d) < 0)
        return -1;
    if (mode == RD_STR_RESOURCE_ID && d[0] != '/') {
        /* ARM sometimes drops the leading '/'; IDs compare in one form. */
        size_t n = strlen(d);
        char *p = inv_strdup(r->inv, d, n + 1);
        if (!p)
            return ij_fail(c, at, "out of memory");
        p[0] = '/';
        memcpy(p + 1, d, n);
        d = p;
    }
    memo_put(r, memo, &s, d);
    *dst = d;
    return 0;
}

int rd_bool(rd *r, const char *field, bool *dst)
{
    ij_cur *c = &r->c;
    if (c->end - c->p >= 4 && memcmp(c->p, "true", 4) == 0) {
        c->p += 4;
        *dst = true;
        return 0;
    }
    if (c->end - c->p >= 5 && memcmp(c->p, "false", 5) == 0) {
        c->p += 5;
        *dst = false;
        return 0;
    }
    if (is_null(r))
        return 0;
    return wrong_type(r, field, "true or false");
}

int rd_object(rd *r, const char *field)
{
    if (ij_peek(&r->c) == '{')
        return ij_obj_begin(&r->c) < 0 ? -1 : 1;
    if (is_null(r))
        return 0;
    return wrong_type(r, field, "an object") < 0 ? -1 : 0;
}

/* Times longer than this are not RFC 3339, whatever they hold. */
#define TIME_MAX_LEN 64

int rd_time(rd *r, const char *field, sk_time *dst)
{
    ij_cur *c = &r->c;
    const unsigned char *at = c->p;
    if (ij_peek(c) != '"')
        return wrong_type(r, field, "an RFC 3339 time string");
    ij_str s;
    if (ij_string(c, &s) < 0)
        return -1;
    char buf[TIME_MAX_LEN + 1];
    const char *text = (const char *)s.raw;
    size_t n = s.len;
    if (s.escaped && s.len <= TIME_MAX_LEN) {
        n = ij_decode(&s, buf);
        text = buf;
    } else if (s.escaped) {
        char *d = NULL;        /* only to quote it in the message */
        if (arena_string(r, &s, at, field, &d) < 0)
            return -1;
        text = d;
        n = strlen(d);
    }
    if (n <= TIME_MAX_LEN && eng_time_parse(text, n, dst) == 0)
        return 0;
    char q[160];
    ij_quote(q, sizeof q, text, n, 100);
    rd_pend(r, at, "%s: not an RFC 3339 time: %s", field, q);
    return 0;
}

/* Azure allows 50 tags a resource; the bound keeps the duplicate check
 * below (quadratic, and cheap for real tag sets) from being abused. */
#define MAX_TAGS 1000

/* ARM compares tag names case-insensitively, so "Owner" next to "owner"
 * is ambiguous: which one would a policy's `tagged` see? */
static bool tag_seen(const inv_tag *tags, size_t n, const char *key)
{
    return inv_tag_get(tags, (uint32_t)n, key) != NULL;
}

/* "tags."KEY"" for messages. */
static void tag_field(char *buf, size_t n, const char *key)
{
    char q[120];
    ij_quote(q, sizeof q, key, strlen(key), 80);
    snprintf(buf, n, "tags.%s", q);
}

static int tag_member(rd *r, const ij_str *k, const unsigned char *at, size_t n)
{
    ij_cur *c = &r->c;
    char field[140];
    if (n == r->tagcap) {
        size_t ncap = r->tagcap ? r->tagcap * 2 : 16;
        inv_tag *t = realloc(r->tagbuf, ncap * sizeof *t);
        if (!t)
            return ij_fail(c, at, "out of memory");
        r->tagbuf = t;
        r->tagcap = ncap;
    }
    inv_tag *t = &r->tagbuf[n];
    int slot = n < RD_MEMO_NTAGS ? RD_MEMO_TAGS + 2 * (int)n : RD_MEMO_NONE;
    const char *key = memo_get(r, slot, k);
    if (!key) {
        char *d = NULL;
        if (arena_string(r, k, at, "tags", &d) < 0)
            return -1;
        memo_put(r, slot, k, d);
        key = d;
    }
    if (tag_seen(r->tagbuf, n, key)) {
        tag_field(field, sizeof field, key);
        rd_pend(r, at, "%s: given more than once (tag names are case-insensitive)", field);
    }
    t->key = key;
    t->value = "";
    if (ij_peek(c) != '"') {
        if (!ij_kind(c))
            return ij_fail_expected(c, "a value");
        tag_field(field, sizeof field, key);
        rd_pend(r, c->p, "%s: expected a string, found %s", field, ij_kind(c));
        return ij_skip(c);
    }
    ij_str v;
    const unsigned char *vat = c->p;
    if (ij_string(c, &v) < 0)
        return -1;
    if (slot >= 0)
        slot++;
    t->value = memo_get(r, slot, &v);
    if (!t->value) {
        char *d = NULL;
        if (arena_string(r, &v, vat, "tags", &d) < 0)
            return -1;
        memo_put(r, slot, &v, d);
        t->value = d;
    }
    return 0;
}

int rd_tags(rd *r, inv_tag **tags, uint32_t *ntags)
{
    ij_cur *c = &r->c;
    int open = rd_object(r, "tags");
    if (open <= 0)
        return open;
    size_t n = 0, members = 0;
    ij_str k;
    int more;
    while ((more = ij_obj_next(c, &members, &k)) > 0) {
        if (n == MAX_TAGS) {
            rd_pend(r, k.raw - 1, "tags: more than %d tags (Azure allows 50)", MAX_TAGS);
            if (ij_skip(c) < 0)
                return -1;
            continue;
        }
        if (tag_member(r, &k, k.raw - 1, n) < 0)
            return -1;
        n++;
    }
    if (more < 0)
        return -1;
    inv_tag *t = n ? inv_alloc(r->inv, n * sizeof *t) : NULL;
    if (n && !t)
        return ij_fail(c, c->p, "out of memory");
    if (n)
        memcpy(t, r->tagbuf, n * sizeof *t);
    *tags = t;
    *ntags = (uint32_t)n;
    return 0;
}
