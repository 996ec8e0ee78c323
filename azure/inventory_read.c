/* Reading snapshot and disk inventories (azure/inventory_read.h) with the
 * JSON cursor (azure/json_cursor.h). In order: the reader's state, key
 * names, one field, one snapshot or disk, the shapes of a document and of
 * a live page, and whole files. */
#include "azure/inventory_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "azure/json_cursor.h"

/* How the element being read was reached, for its jq path in messages. */
typedef enum rd_shape {
    RD_ARM,         /* {"value":[...]}           .value[i]      */
    RD_PAGES,       /* [{"value":[...]}, ...]    .[p].value[i]  */
    RD_AZ           /* [SNAPSHOT, ...]           .[i]           */
} rd_shape;

/* Values that repeat from one snapshot to the next (the disk's ID, the
 * location, tag names and values) are stored once: the last value of each
 * field is remembered, with its raw bytes in the input. */
enum {
    RD_MEMO_NONE = -1, RD_MEMO_SOURCE, RD_MEMO_LOCATION, RD_MEMO_STATE, RD_MEMO_SKU,
    RD_MEMO_TAGS, RD_MEMO_NTAGS = 8,        /* key and value of the first 8 tags */
    RD_MEMO_SLOTS = RD_MEMO_TAGS + 2 * RD_MEMO_NTAGS
};

typedef struct rd_memo {
    const unsigned char *raw;
    size_t len;
    const char *val;
} rd_memo;

typedef struct rd {
    jc_cur c;
    inv_inventory *inv;
    rd_shape shape;
    size_t page, index;         /* of the element being read */
    /* A problem with an element is kept until the element ends, so the
     * message can name the snapshot even when "name" comes last. */
    bool pending;
    const unsigned char *pend_at;
    char pend[384];
    int (*elem)(struct rd *r);  /* one element of a document: rd_snapshot, rd_disk */
    inv_tag *tagbuf;            /* scratch for one "tags" object */
    size_t tagcap;
    rd_memo memo[RD_MEMO_SLOTS];
} rd;

/* Records the element's first problem (printf-style, "FIELD: what"). */
static void rd_pend(rd *r, const unsigned char *at, const char *fmt, ...) JC_PRINTF(3, 4);
/* Reports the pending problem, prefixed with the element's kind, path and
 * name; returns -1. */
static int rd_fail_elem(rd *r, const char *kind, const char *name);
/* Writes the element's jq path (".value[3]"). */
static void rd_path(const rd *r, char *buf, size_t n);

/* Field readers at c->p. A wrong type is recorded with rd_pend and the
 * value skipped; -1 only for malformed JSON or no memory. */
typedef enum rd_strmode { RD_STR_OPTIONAL, RD_STR_REQUIRED, RD_STR_RESOURCE_ID } rd_strmode;
static int rd_string(rd *r, const char *field, rd_strmode mode, int memo, const char **dst);
static int rd_bool(rd *r, const char *field, bool *dst);
/* A bad time is recorded (the element fails when it ends). */
static int rd_time(rd *r, const char *field, sk_time *dst);
static int rd_tags(rd *r, inv_tag **tags, uint32_t *ntags);
/* An object field whose members the caller walks: 1 when it is an object
 * (opened), 0 when it is null or of the wrong type (recorded, skipped). */
static int rd_object(rd *r, const char *field);
/* Records "FIELD: given more than once" when `bit` is already in *seen. */
static void rd_once(rd *r, unsigned *seen, unsigned bit, const char *field);

/* The object keys the reader knows, compared once decoded. */
typedef enum rd_key_id {
    K_OTHER, K_NAME, K_ID, K_LOCATION, K_TAGS, K_SKU, K_PROPERTIES, K_TIME,
    K_CREATION, K_STATE, K_INCREMENTAL, K_SOURCE, K_ZONES, K_VALUE, K_NEXTLINK,
    K_TYPE, K_MANAGED_BY, K_DISK_STATE, K_UNIQUE_ID, K_SOURCE_UNIQUE, K_COMPLETION,
    K_COPY_ERROR, K_ERROR_CODE, K_ERROR_MESSAGE
} rd_key_id;
static rd_key_id rd_key(const jc_str *k);

/* One element of a "value" array, at c->p. */
static int rd_snapshot(rd *r);
static int rd_disk(rd *r);

/* ---- keys ----
 * Naming the keys of an inventory object. Every member of every snapshot
 * passes through here, so it switches on the length before comparing. */

#define EQ(lit) (memcmp(s, lit, sizeof(lit) - 1) == 0)

static rd_key_id classify(const char *s, size_t n)
{
    switch (n) {
    case 2:
        return EQ("id") ? K_ID : K_OTHER;
    case 3:
        return EQ("sku") ? K_SKU : K_OTHER;
    case 4:
        return EQ("name") ? K_NAME : EQ("tags") ? K_TAGS : EQ("type") ? K_TYPE : K_OTHER;
    case 5:
        return EQ("value") ? K_VALUE : EQ("zones") ? K_ZONES : K_OTHER;
    case 8:
        return EQ("location") ? K_LOCATION : EQ("nextLink") ? K_NEXTLINK
             : EQ("uniqueId") ? K_UNIQUE_ID : K_OTHER;
    case 9:
        return EQ("managedBy") ? K_MANAGED_BY : EQ("diskState") ? K_DISK_STATE
             : EQ("errorCode") ? K_ERROR_CODE : K_OTHER;
    case 10:
        return EQ("properties") ? K_PROPERTIES : K_OTHER;
    case 11:
        return EQ("timeCreated") ? K_TIME : EQ("incremental") ? K_INCREMENTAL : K_OTHER;
    case 12:
        return EQ("creationData") ? K_CREATION : EQ("errorMessage") ? K_ERROR_MESSAGE
             : K_OTHER;
    case 14:
        return EQ("sourceUniqueId") ? K_SOURCE_UNIQUE : K_OTHER;
    case 16:
        return EQ("sourceResourceId") ? K_SOURCE : K_OTHER;
    case 17:
        return EQ("provisioningState") ? K_STATE : EQ("completionPercent") ? K_COMPLETION
             : K_OTHER;
    case 19:
        return EQ("copyCompletionError") ? K_COPY_ERROR : K_OTHER;
    default:
        return K_OTHER;
    }
}

static rd_key_id rd_key(const jc_str *k)
{
    if (!k->escaped)
        return classify((const char *)k->raw, k->len);
    char buf[64];       /* decoding never lengthens; known keys are short */
    if (k->len > sizeof buf)
        return K_OTHER;
    return classify(buf, jc_decode(k, buf));
}

/* ---- fields ----
 * Reading one field of a snapshot or disk: strings into the inventory's
 * arena, booleans, times, tags. A field of the wrong type is not a JSON
 * error: it is recorded and reported when the element ends, with its name. */

static void rd_pend(rd *r, const unsigned char *at, const char *fmt, ...)
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

static void rd_path(const rd *r, char *buf, size_t n)
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

static int rd_fail_elem(rd *r, const char *kind, const char *name)
{
    char path[64], quoted[128] = "";
    rd_path(r, path, sizeof path);
    if (name) {
        char q[120];
        jc_quote(q, sizeof q, name, strlen(name), 80);
        snprintf(quoted, sizeof quoted, " (%s)", q);
    }
    r->pending = false;
    return jc_fail(&r->c, r->pend_at, "%s %s%s: %s", kind, path, quoted, r->pend);
}

static void rd_once(rd *r, unsigned *seen, unsigned bit, const char *field)
{
    if (*seen & bit)
        rd_pend(r, r->c.p, "%s: given more than once", field);
    *seen |= bit;
}

static bool is_null(rd *r)
{
    jc_cur *c = &r->c;
    if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        return true;
    }
    return false;
}

/* A wrong type: recorded, then the value is skipped. */
static int wrong_type(rd *r, const char *field, const char *want)
{
    const char *kind = jc_kind(&r->c);
    if (!kind)
        return jc_fail_expected(&r->c, "a value");
    rd_pend(r, r->c.p, "%s: expected %s, found %s", field, want, kind);
    return jc_skip(&r->c);
}

/* Decodes a scanned string into the arena. A decoded NUL would silently
 * cut the C string short, so it is refused. */
static int arena_string(rd *r, const jc_str *s, const unsigned char *at,
                        const char *field, char **out)
{
    char *d = inv_strdup(r->inv, (const char *)s->raw, s->len);
    if (!d)
        return jc_fail(&r->c, at, "out of memory");
    if (s->escaped) {
        size_t n = jc_decode(s, d);
        d[n] = '\0';
        if (memchr(d, '\0', n))
            rd_pend(r, at, "%s: contains a NUL character (\\u0000)", field);
    }
    *out = d;
    return 0;
}

static const char *memo_get(const rd *r, int slot, const jc_str *s)
{
    if (slot < 0 || s->escaped)
        return NULL;
    const rd_memo *m = &r->memo[slot];
    if (m->val && m->len == s->len && memcmp(m->raw, s->raw, s->len) == 0)
        return m->val;
    return NULL;
}

/* Escaped strings are not remembered: their raw bytes are not their value. */
static void memo_put(rd *r, int slot, const jc_str *s, const char *val)
{
    if (slot < 0 || s->escaped)
        return;
    r->memo[slot].raw = s->raw;
    r->memo[slot].len = s->len;
    r->memo[slot].val = val;
}

static int rd_string(rd *r, const char *field, rd_strmode mode, int memo, const char **dst)
{
    jc_cur *c = &r->c;
    const unsigned char *at = c->p;
    if (jc_peek(c) != '"') {
        if (mode != RD_STR_REQUIRED && is_null(r))
            return 0;
        return wrong_type(r, field, "a string");
    }
    jc_str s;
    if (jc_string(c, &s) < 0)
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
            return jc_fail(c, at, "out of memory");
        p[0] = '/';
        memcpy(p + 1, d, n);
        d = p;
    }
    memo_put(r, memo, &s, d);
    *dst = d;
    return 0;
}

static int rd_bool(rd *r, const char *field, bool *dst)
{
    jc_cur *c = &r->c;
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

static int rd_object(rd *r, const char *field)
{
    if (jc_peek(&r->c) == '{')
        return jc_obj_begin(&r->c) < 0 ? -1 : 1;
    if (is_null(r))
        return 0;
    return wrong_type(r, field, "an object") < 0 ? -1 : 0;
}

/* Escaped times (rare) up to this long are decoded on the stack. */
#define TIME_MAX_LEN 64

static int rd_time(rd *r, const char *field, sk_time *dst)
{
    jc_cur *c = &r->c;
    const unsigned char *at = c->p;
    if (jc_peek(c) != '"')
        return wrong_type(r, field, "an RFC 3339 time string");
    jc_str s;
    if (jc_string(c, &s) < 0)
        return -1;
    char buf[TIME_MAX_LEN + 1];
    const char *text = (const char *)s.raw;
    size_t n = s.len;
    if (s.escaped && s.len <= TIME_MAX_LEN) {
        n = jc_decode(&s, buf);
        text = buf;
    } else if (s.escaped) {
        char *d = NULL;        /* only to quote it in the message */
        if (arena_string(r, &s, at, field, &d) < 0)
            return -1;
        text = d;
        n = strlen(d);
    }
    int rc = eng_time_parse(text, n, dst);
    if (rc == 0)
        return 0;
    char q[160];
    jc_quote(q, sizeof q, text, n, 100);
    if (rc == ENG_TIME_RANGE)
        rd_pend(r, at, "%s: out of range: %s is not between 0001-01-01T00:00:00Z and "
                "9999-12-31T23:59:59.999999Z", field, q);
    else
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
    jc_quote(q, sizeof q, key, strlen(key), 80);
    snprintf(buf, n, "tags.%s", q);
}

static int tag_member(rd *r, const jc_str *k, const unsigned char *at, size_t n)
{
    jc_cur *c = &r->c;
    char field[140];
    if (n == r->tagcap) {
        size_t ncap = r->tagcap ? r->tagcap * 2 : 16;
        inv_tag *t = realloc(r->tagbuf, ncap * sizeof *t);
        if (!t)
            return jc_fail(c, at, "out of memory");
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
    if (jc_peek(c) != '"') {
        if (!jc_kind(c))
            return jc_fail_expected(c, "a value");
        tag_field(field, sizeof field, key);
        rd_pend(r, c->p, "%s: expected a string, found %s", field, jc_kind(c));
        return jc_skip(c);
    }
    jc_str v;
    const unsigned char *vat = c->p;
    if (jc_string(c, &v) < 0)
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

static int rd_tags(rd *r, inv_tag **tags, uint32_t *ntags)
{
    jc_cur *c = &r->c;
    int open = rd_object(r, "tags");
    if (open <= 0)
        return open;
    size_t n = 0, members = 0;
    jc_str k;
    int more;
    while ((more = jc_obj_next(c, &members, &k)) > 0) {
        if (n == MAX_TAGS) {
            rd_pend(r, k.raw - 1, "tags: more than %d tags (Azure allows 50)", MAX_TAGS);
            if (jc_skip(c) < 0)
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
        return jc_fail(c, c->p, "out of memory");
    if (n)
        memcpy(t, r->tagbuf, n * sizeof *t);
    *tags = t;
    *ntags = (uint32_t)n;
    return 0;
}

/* ---- snapshots and disks ----
 * One snapshot or disk object. ARM nests timeCreated, creationData,
 * provisioningState and incremental under "properties"; `az snapshot list`
 * lifts them to the top level. Both are read by the same code, so both give
 * identical records. */

enum {
    F_NAME = 1u << 0, F_ID = 1u << 1, F_LOC = 1u << 2, F_TAGS = 1u << 3,
    F_SKU = 1u << 4, F_PROPS = 1u << 5, F_TIME = 1u << 6, F_CD = 1u << 7,
    F_STATE = 1u << 8, F_INC = 1u << 9, F_SRC = 1u << 10, F_SKUNAME = 1u << 11,
    F_ZONES = 1u << 12, F_MANAGED = 1u << 13, F_DSTATE = 1u << 14, F_SUID = 1u << 15,
    F_PCT = 1u << 16, F_CERR = 1u << 17, F_UID = 1u << 18, F_ECODE = 1u << 19,
    F_EMSG = 1u << 20
};

/* Field names as messages show them, flattened (az) or under properties. */
typedef struct names {
    const char *time, *cd, *src, *state, *inc, *suid, *pct, *cerr, *ecode, *emsg;
} names;

static const names FLAT = {
    "timeCreated", "creationData", "creationData.sourceResourceId",
    "provisioningState", "incremental", "creationData.sourceUniqueId",
    "completionPercent", "copyCompletionError", "copyCompletionError.errorCode",
    "copyCompletionError.errorMessage"
};
static const names NESTED = {
    "properties.timeCreated", "properties.creationData",
    "properties.creationData.sourceResourceId", "properties.provisioningState",
    "properties.incremental", "properties.creationData.sourceUniqueId",
    "properties.completionPercent", "properties.copyCompletionError",
    "properties.copyCompletionError.errorCode", "properties.copyCompletionError.errorMessage"
};

typedef struct snap_ctx {
    rd *r;
    inv_snapshot *s;
    unsigned seen;
} snap_ctx;

/* String members of a sub-object, the others skipped: "creationData":
 * {"sourceResourceId", "sourceUniqueId"}, "copyCompletionError":
 * {"errorCode", "errorMessage"} and "sku": {"name"}. */
typedef struct rd_member {
    rd_key_id key;
    unsigned bit;               /* in *seen, for "given more than once" */
    const char *field;          /* as messages name it */
    rd_strmode mode;
    int memo;
    const char **dst;
} rd_member;

static int rd_object_strings(rd *r, const char *object, unsigned *seen, const rd_member *m,
                             size_t nm)
{
    int open = rd_object(r, object);
    if (open <= 0)
        return open;
    size_t n = 0;
    jc_str k;
    int more;
    while ((more = jc_obj_next(&r->c, &n, &k)) > 0) {
        rd_key_id key = rd_key(&k);
        size_t i = 0;
        while (i < nm && m[i].key != key)
            i++;
        int rc;
        if (i < nm) {
            rd_once(r, seen, m[i].bit, m[i].field);
            rc = rd_string(r, m[i].field, m[i].mode, m[i].memo, m[i].dst);
        } else {
            rc = jc_skip(&r->c);
        }
        if (rc < 0)
            return -1;
    }
    return more;
}

/* creationData: the source disk's ID and its uniqueId, the rest skipped. */
static int snap_creation_data(snap_ctx *x, const names *nm)
{
    const rd_member m[] = {
        { K_SOURCE, F_SRC, nm->src, RD_STR_RESOURCE_ID, RD_MEMO_SOURCE, &x->s->source_id },
        { K_SOURCE_UNIQUE, F_SUID, nm->suid, RD_STR_OPTIONAL, RD_MEMO_NONE,
          &x->s->source_unique_id },
    };
    return rd_object_strings(x->r, nm->cd, &x->seen, m, 2);
}

/* A JSON number from 0 to 100 (completionPercent); null leaves it unset. */
static int rd_percent(rd *r, const char *field, bool *has, double *dst)
{
    jc_cur *c = &r->c;
    const unsigned char *at = c->p;
    if (is_null(r))
        return 0;
    int ch = jc_peek(c);
    if (ch != '-' && (ch < '0' || ch > '9'))
        return wrong_type(r, field, "a number");
    if (jc_skip(c) < 0)
        return -1;
    char buf[40];
    size_t len = (size_t)(c->p - at);
    if (len >= sizeof buf) {
        rd_pend(r, at, "%s: not a number from 0 to 100", field);
        return 0;
    }
    memcpy(buf, at, len);
    buf[len] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0' || !(v >= 0.0 && v <= 100.0))
        rd_pend(r, at, "%s: not a number from 0 to 100: %s", field, buf);
    else {
        *dst = v;
        *has = true;
    }
    return 0;
}

/* copyCompletionError: {"errorCode": ..., "errorMessage": ...}. */
static int snap_copy_error(snap_ctx *x, const names *nm)
{
    const rd_member m[] = {
        { K_ERROR_CODE, F_ECODE, nm->ecode, RD_STR_OPTIONAL, RD_MEMO_NONE,
          &x->s->copy_error_code },
        { K_ERROR_MESSAGE, F_EMSG, nm->emsg, RD_STR_OPTIONAL, RD_MEMO_NONE,
          &x->s->copy_error_message },
    };
    bool given = jc_peek(&x->r->c) == '{';
    int rc = rd_object_strings(x->r, nm->cerr, &x->seen, m, 2);
    if (rc == 0 && given && x->s->copy_error_code == NULL)
        x->s->copy_error_code = "";     /* an error object without a code is an error */
    return rc;
}

/* The members ARM keeps under "properties" and az lifts to the top.
 * Returns 1 when the key was one of them. */
static int snap_prop(snap_ctx *x, rd_key_id key, const names *nm)
{
    rd *r = x->r;
    inv_snapshot *s = x->s;
    switch (key) {
    case K_TIME:
        rd_once(r, &x->seen, F_TIME, nm->time);
        return rd_time(r, nm->time, &s->created) < 0 ? -1 : 1;
    case K_CREATION:
        rd_once(r, &x->seen, F_CD, nm->cd);
        return snap_creation_data(x, nm) < 0 ? -1 : 1;
    case K_STATE:
        rd_once(r, &x->seen, F_STATE, nm->state);
        return rd_string(r, nm->state, RD_STR_OPTIONAL, RD_MEMO_STATE,
                         &s->provisioning_state) < 0 ? -1 : 1;
    case K_INCREMENTAL:
        rd_once(r, &x->seen, F_INC, nm->inc);
        return rd_bool(r, nm->inc, &s->incremental) < 0 ? -1 : 1;
    case K_COMPLETION:
        rd_once(r, &x->seen, F_PCT, nm->pct);
        return rd_percent(r, nm->pct, &s->has_completion, &s->completion_percent) < 0 ? -1 : 1;
    case K_COPY_ERROR:
        rd_once(r, &x->seen, F_CERR, nm->cerr);
        return snap_copy_error(x, nm) < 0 ? -1 : 1;
    default:
        return 0;
    }
}

static int snap_properties(snap_ctx *x)
{
    rd *r = x->r;
    int open = rd_object(r, "properties");
    if (open <= 0)
        return open;
    size_t n = 0;
    jc_str k;
    int more;
    while ((more = jc_obj_next(&r->c, &n, &k)) > 0) {
        int rc = snap_prop(x, rd_key(&k), &NESTED);
        if (rc == 0)
            rc = jc_skip(&r->c);
        if (rc < 0)
            return -1;
    }
    return more;
}

/* "sku": {"name": ...}, for snapshots and disks alike. */
static int read_sku(rd *r, unsigned *seen, const char **dst)
{
    const rd_member name = { K_NAME, F_SKUNAME, "sku.name", RD_STR_OPTIONAL, RD_MEMO_SKU, dst };
    return rd_object_strings(r, "sku", seen, &name, 1);
}

/* The members every resource has at the top level: name, id, location,
 * tags, sku. Returns 1 when the key was one of them. */
static int common_member(rd *r, unsigned *seen, rd_key_id key, const char **name,
                         const char **id, const char **loc, const char **sku,
                         inv_tag **tags, uint32_t *ntags)
{
    switch (key) {
    case K_NAME:
        rd_once(r, seen, F_NAME, "name");
        return rd_string(r, "name", RD_STR_REQUIRED, RD_MEMO_NONE, name) < 0 ? -1 : 1;
    case K_ID:
        rd_once(r, seen, F_ID, "id");
        return rd_string(r, "id", RD_STR_OPTIONAL, RD_MEMO_NONE, id) < 0 ? -1 : 1;
    case K_LOCATION:
        rd_once(r, seen, F_LOC, "location");
        return rd_string(r, "location", RD_STR_OPTIONAL, RD_MEMO_LOCATION, loc) < 0 ? -1 : 1;
    case K_TAGS:
        rd_once(r, seen, F_TAGS, "tags");
        return rd_tags(r, tags, ntags) < 0 ? -1 : 1;
    case K_SKU:
        rd_once(r, seen, F_SKU, "sku");
        return read_sku(r, seen, sku) < 0 ? -1 : 1;
    default:
        return 0;
    }
}

static int snap_member(snap_ctx *x, const jc_str *k)
{
    rd *r = x->r;
    inv_snapshot *s = x->s;
    rd_key_id key = rd_key(k);
    int rc = common_member(r, &x->seen, key, &s->name, &s->id, &s->location, &s->sku,
                           &s->tags, &s->ntags);
    if (rc != 0)
        return rc;
    if (key == K_PROPERTIES) {
        rd_once(r, &x->seen, F_PROPS, "properties");
        return snap_properties(x) < 0 ? -1 : 1;
    }
    if (r->shape == RD_AZ && (key == K_VALUE || key == K_NEXTLINK))
        rd_pend(r, k->raw - 1, "an ARM list page among snapshots: the array must "
                "hold either snapshots or pages");
    rc = snap_prop(x, key, &FLAT);
    if (rc == 0)
        rc = jc_skip(&r->c);
    return rc;
}

/* The element must be an object; anything else is reported at once. */
static int elem_begin(rd *r, const char *kind)
{
    if (jc_peek(&r->c) == '{')
        return jc_obj_begin(&r->c);
    if (!jc_kind(&r->c))
        return jc_fail_expected(&r->c, "a value");
    rd_pend(r, r->c.p, "expected an object, found %s", jc_kind(&r->c));
    return rd_fail_elem(r, kind, NULL);
}

static int rd_snapshot(rd *r)
{
    const unsigned char *at = r->c.p;
    if (elem_begin(r, "snapshot") < 0)
        return -1;
    inv_snapshot *s = inv_add_snapshot(r->inv);
    if (!s)
        return jc_fail(&r->c, at, "out of memory");
    snap_ctx x = { r, s, 0 };
    s->id = "";
    size_t n = 0;
    jc_str k;
    int more;
    while ((more = jc_obj_next(&r->c, &n, &k)) > 0)
        if (snap_member(&x, &k) < 0)
            return -1;
    if (more < 0)
        return -1;
    if (!(x.seen & F_NAME))
        rd_pend(r, at, "name: missing");
    if (!(x.seen & F_TIME))
        rd_pend(r, at, "%s: missing", r->shape == RD_AZ ? FLAT.time : NESTED.time);
    if (r->pending)
        return rd_fail_elem(r, "snapshot", s->name);
    return 0;
}

/* "zones": ["1"]: the first zone, the only one a managed disk can have. */
static int disk_zones(rd *r, inv_disk *d)
{
    jc_cur *c = &r->c;
    if (jc_peek(c) != '[') {
        if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
            c->p += 4;
            return 0;
        }
        if (!jc_kind(c))
            return jc_fail_expected(c, "a value");
        rd_pend(r, c->p, "zones: expected an array, found %s", jc_kind(c));
        return jc_skip(c);
    }
    if (jc_arr_begin(c) < 0)
        return -1;
    size_t n = 0;
    int more;
    while ((more = jc_arr_next(c, &n)) > 0) {
        const char *zone = NULL;
        if (rd_string(r, "zones", RD_STR_OPTIONAL, RD_MEMO_NONE, &zone) < 0)
            return -1;
        if (n == 1)
            d->zone = zone;
    }
    return more;
}

/* diskState under "properties" (ARM) or at the top (`az disk list`). */
static int disk_state(rd *r, unsigned *seen, inv_disk *d, const char *field)
{
    rd_once(r, seen, F_DSTATE, field);
    return rd_string(r, field, RD_STR_OPTIONAL, RD_MEMO_NONE, &d->disk_state);
}

/* uniqueId under "properties" (ARM) or at the top (`az disk list`). */
static int disk_unique_id(rd *r, unsigned *seen, inv_disk *d, const char *field)
{
    rd_once(r, seen, F_UID, field);
    return rd_string(r, field, RD_STR_OPTIONAL, RD_MEMO_NONE, &d->unique_id);
}

static int disk_properties(rd *r, unsigned *seen, inv_disk *d)
{
    int open = rd_object(r, "properties");
    if (open <= 0)
        return open;
    size_t n = 0;
    jc_str k;
    int more;
    while ((more = jc_obj_next(&r->c, &n, &k)) > 0) {
        rd_key_id key = rd_key(&k);
        int rc = key == K_DISK_STATE ? disk_state(r, seen, d, "properties.diskState")
               : key == K_UNIQUE_ID ? disk_unique_id(r, seen, d, "properties.uniqueId")
               : jc_skip(&r->c);
        if (rc < 0)
            return -1;
    }
    return more;
}

static int rd_disk(rd *r)
{
    const unsigned char *at = r->c.p;
    if (elem_begin(r, "disk") < 0)
        return -1;
    inv_disk *d = inv_add_disk(r->inv);
    if (!d)
        return jc_fail(&r->c, at, "out of memory");
    d->id = "";
    unsigned seen = 0;
    size_t n = 0;
    jc_str k;
    int more;
    while ((more = jc_obj_next(&r->c, &n, &k)) > 0) {
        rd_key_id key = rd_key(&k);
        int rc = common_member(r, &seen, key, &d->name, &d->id, &d->location, &d->sku,
                               &d->tags, &d->ntags);
        if (rc == 0 && key == K_ZONES) {
            rd_once(r, &seen, F_ZONES, "zones");
            rc = disk_zones(r, d);
        } else if (rc == 0 && key == K_MANAGED_BY) {
            rd_once(r, &seen, F_MANAGED, "managedBy");
            rc = rd_string(r, "managedBy", RD_STR_OPTIONAL, RD_MEMO_NONE, &d->managed_by);
        } else if (rc == 0 && key == K_DISK_STATE) {
            rc = disk_state(r, &seen, d, "diskState");
        } else if (rc == 0 && key == K_UNIQUE_ID) {
            rc = disk_unique_id(r, &seen, d, "uniqueId");
        } else if (rc == 0 && key == K_PROPERTIES) {
            rd_once(r, &seen, F_PROPS, "properties");
            rc = disk_properties(r, &seen, d);
        } else if (rc == 0) {
            rc = jc_skip(&r->c);
        }
        if (rc < 0)
            return -1;
    }
    if (more < 0)
        return -1;
    if (!(seen & F_NAME))
        rd_pend(r, at, "name: missing");
    if (r->pending)
        return rd_fail_elem(r, "disk", d->name);
    return 0;
}

/* ---- shapes ----
 * The shapes of an inventory: one ARM list page, an array of pages, or the
 * array `az snapshot list` prints. See azure/inventory_read.h. */

typedef int (*elem_fn)(rd *r);

/* "page .[3]: " inside an array of pages, for messages about the page. */
static const char *page_label(const rd *r, char *buf, size_t n)
{
    if (r->shape != RD_PAGES)
        return "";
    snprintf(buf, n, "page .[%zu]: ", r->page);
    return buf;
}

/* One list page, {"value":[...],"nextLink":...}, at c->p. The page's
 * nextLink is left in *next (len 0 when absent, null or ""). */
static int read_page(rd *r, elem_fn elem, jc_str *next, const unsigned char **next_at)
{
    jc_cur *c = &r->c;
    const unsigned char *at = c->p;
    char lb[48], field[64];
    const char *label = page_label(r, lb, sizeof lb);
    unsigned seen = 0;
    size_t n = 0;
    jc_str k;
    int more;
    next->len = 0;
    if (jc_obj_begin(c) < 0)
        return -1;
    while ((more = jc_obj_next(c, &n, &k)) > 0) {
        rd_key_id key = rd_key(&k);
        if (key == K_VALUE) {
            if (seen & 1)
                return jc_fail(c, k.raw - 1, "%svalue: given more than once", label);
            seen |= 1;
            if (jc_peek(c) != '[') {
                snprintf(field, sizeof field, "%svalue", label);
                return jc_fail_type(c, field, "an array");
            }
            if (jc_arr_begin(c) < 0)
                return -1;
            size_t i = 0;
            int el;
            while ((el = jc_arr_next(c, &i)) > 0) {
                r->index = i - 1;
                if (elem(r) < 0)
                    return -1;
            }
            if (el < 0)
                return -1;
        } else if (key == K_NEXTLINK) {
            if (seen & 2)
                return jc_fail(c, k.raw - 1, "%snextLink: given more than once", label);
            seen |= 2;
            *next_at = c->p;
            if (jc_peek(c) == '"') {
                if (jc_string(c, next) < 0)
                    return -1;
            } else if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
                c->p += 4;
            } else {
                snprintf(field, sizeof field, "%snextLink", label);
                return jc_fail_type(c, field, "a string or null");
            }
        } else if (jc_skip(c) < 0) {
            return -1;
        }
    }
    if (more < 0)
        return -1;
    if (!(seen & 1))
        return jc_fail(c, at, "%snot an ARM list response: no \"value\" array", label);
    return 0;
}

/* The first element of a top-level array tells pages from snapshots: a
 * page's first decisive key is "value" or "nextLink", a snapshot's one of
 * its own. Looks ahead on a copy of the cursor. */
static bool looks_like_page(const rd *r)
{
    jc_cur c = r->c;
    char err[8];
    size_t n = 0;
    jc_str k;
    c.err = err;
    c.errlen = sizeof err;
    if (jc_peek(&c) != '{' || jc_obj_begin(&c) < 0)
        return false;
    while (jc_obj_next(&c, &n, &k) > 0) {
        switch (rd_key(&k)) {
        case K_VALUE: case K_NEXTLINK:
            return true;
        case K_OTHER:
            break;
        default:
            return false;   /* one of a snapshot's own */
        }
        if (jc_skip(&c) < 0)
            return false;
    }
    return false;
}

static int check_last_link(rd *r, const jc_str *next, const unsigned char *at)
{
    if (next->len == 0)
        return 0;
    return jc_fail(&r->c, at, "nextLink: the listing goes on in another page, which "
                   "this file does not hold (save every page, as a JSON array of pages)");
}

static int read_pages_array(rd *r)
{
    jc_cur *c = &r->c;
    jc_str next = { NULL, 0, false };
    const unsigned char *next_at = NULL;
    size_t i = 0;
    int more;
    r->shape = RD_PAGES;
    if (jc_arr_begin(c) < 0)
        return -1;
    while ((more = jc_arr_next(c, &i)) > 0) {
        r->page = i - 1;
        if (jc_peek(c) != '{') {
            char lb[48];
            snprintf(lb, sizeof lb, "page .[%zu]", r->page);
            return jc_fail_type(c, lb, "an ARM list page");
        }
        if (read_page(r, r->elem, &next, &next_at) < 0)
            return -1;
    }
    if (more < 0)
        return -1;
    return check_last_link(r, &next, next_at);
}

static int read_az_array(rd *r)
{
    jc_cur *c = &r->c;
    size_t i = 0;
    int more;
    r->shape = RD_AZ;
    if (jc_arr_begin(c) < 0)
        return -1;
    while ((more = jc_arr_next(c, &i)) > 0) {
        r->index = i - 1;
        if (r->elem(r) < 0)
            return -1;
    }
    return more;
}

/* Byte-order marks: UTF-8's is harmless; UTF-16's means the file was
 * saved in the wrong encoding (PowerShell 5 redirection does that). */
static int skip_bom(rd *r)
{
    jc_cur *c = &r->c;
    size_t len = (size_t)(c->end - c->p);
    if (len >= 3 && memcmp(c->p, "\xEF\xBB\xBF", 3) == 0) {
        c->p += 3;
        return 0;
    }
    if (len >= 2 && ((c->p[0] == 0xFF && c->p[1] == 0xFE) || (c->p[0] == 0xFE && c->p[1] == 0xFF)))
        return jc_fail(c, c->p, "not UTF-8: the file is UTF-16 text (convert it to UTF-8)");
    return 0;
}

/* The value is read; only whitespace may follow. */
static int read_end(rd *r)
{
    jc_ws(&r->c);
    if (r->c.p < r->c.end)
        return jc_fail_expected(&r->c, "the end of the file after the JSON value");
    return 0;
}

static int read_document(rd *r)
{
    jc_cur *c = &r->c;
    if (skip_bom(r) < 0)
        return -1;
    jc_ws(c);
    if (c->p == c->end) {
        if (c->errlen)
            snprintf(c->err, c->errlen, "%s: empty file: expected a JSON object or array", c->name);
        return -1;
    }
    int rc;
    if (jc_peek(c) == '{') {
        jc_str next;
        const unsigned char *next_at = NULL;
        r->shape = RD_ARM;
        rc = read_page(r, r->elem, &next, &next_at);
        if (rc == 0)
            rc = check_last_link(r, &next, next_at);
    } else if (jc_peek(c) == '[') {
        rd probe = *r;
        if (jc_arr_begin(&probe.c) == 0 && jc_arr_next(&probe.c, &(size_t){ 0 }) > 0 &&
            looks_like_page(&probe))
            rc = read_pages_array(r);
        else
            rc = read_az_array(r);
    } else if (jc_kind(c) == NULL) {
        /* Not even a JSON value: say the file is not JSON (a text file,
         * an HTML error page, a path where the content was expected),
         * not what JSON value it is not. */
        char found[40];
        jc_found(c, found, sizeof found);
        return jc_fail(c, c->p, "not JSON: the file starts with %s; an inventory is the JSON "
                                "array `az snapshot list` prints, or ARM's {\"value\": [...]}",
                       found);
    } else {
        return jc_fail_type(c, "not an inventory", "a JSON object or array");
    }
    return rc < 0 ? -1 : read_end(r);
}

static void rd_init(rd *r, inv_inventory *inv, const char *name, const char *buf,
                    size_t len, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    jc_init(&r->c, name, buf, len, INV_READ_MAX_DEPTH, err, errlen);
    r->inv = inv;
    r->elem = rd_snapshot;
}

int inv_read_buffer(const char *name, const char *buf, size_t len,
                    inv_inventory **out, char *err, size_t errlen)
{
    rd r;
    *out = NULL;
    inv_inventory *inv = inv_new();
    if (!inv) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    rd_init(&r, inv, name, buf, len, err, errlen);
    int rc = read_document(&r);
    free(r.tagbuf);
    if (rc < 0) {
        inv_free(inv);
        return -1;
    }
    *out = inv;
    return 0;
}

/* A live listing page; the caller follows the link. */
static int read_live_page(inv_inventory *inv, const char *name, const char *buf, size_t len,
                          elem_fn elem, char **next_link, char *err, size_t errlen)
{
    rd r;
    jc_str next = { 0 };
    const unsigned char *next_at = NULL;
    size_t nsnap = inv->nsnapshots, ndisk = inv->ndisks;
    *next_link = NULL;
    rd_init(&r, inv, name, buf, len, err, errlen);
    r.shape = RD_ARM;
    jc_ws(&r.c);
    int rc;
    if (r.c.p == r.c.end) {
        /* An HTTP 200 with no body is a failed answer, not an empty list. */
        snprintf(err, errlen, "%s: empty answer: expected an ARM list page (a JSON object)", name);
        rc = -1;
    } else {
        rc = read_page(&r, elem, &next, &next_at);
    }
    if (rc == 0)
        rc = read_end(&r);
    if (rc == 0 && next.len) {
        *next_link = malloc(next.len + 1);
        if (!*next_link) {
            rc = jc_fail(&r.c, next_at, "out of memory");
        } else {
            size_t n = jc_decode(&next, *next_link);
            (*next_link)[n] = '\0';
            if (memchr(*next_link, '\0', n)) {
                free(*next_link);
                *next_link = NULL;
                rc = jc_fail(&r.c, next_at, "nextLink: contains a NUL character (\\u0000)");
            }
        }
    }
    free(r.tagbuf);
    if (rc < 0) {
        inv->nsnapshots = nsnap;
        inv->ndisks = ndisk;
        return -1;
    }
    return 0;
}

int inv_read_arm_page(inv_inventory *inv, const char *name, const char *buf,
                      size_t len, char **next_link, char *err, size_t errlen)
{
    return read_live_page(inv, name, buf, len, rd_snapshot, next_link, err, errlen);
}

int inv_read_arm_disk_page(inv_inventory *inv, const char *name, const char *buf,
                           size_t len, char **next_link, char *err, size_t errlen)
{
    if (read_live_page(inv, name, buf, len, rd_disk, next_link, err, errlen) < 0)
        return -1;
    inv->disks_known = true;
    return 0;
}

/* ---- files ----
 * inv_read_file: the whole file in one buffer, parsed in one pass, the
 * buffer freed before the plan is made (records keep their own copies).
 * Only a regular file is opened by name: a FIFO would block the open and a
 * device (/dev/zero) never ends. A pipe is read as standard input ("-",
 * `az snapshot list | snapkeep plan P --inventory -`), and every read,
 * standard input's too, stops at the size limit. */

/* Reads fd to its end, but no more than max bytes, into a malloc'd buffer.
 * Returns 0, EFBIG past max, or another errno. */
static int slurp(int fd, size_t max, char **out, size_t *outlen)
{
    struct stat st;
    size_t cap = 1 << 16, len = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((uintmax_t)st.st_size > max)
            return EFBIG;
        cap = (size_t)st.st_size + 1;   /* +1: the end is seen without a regrow */
    }
    if (cap > max)
        cap = max + 1;                  /* one byte past max tells "too large" */
    char *buf = malloc(cap);
    if (!buf)
        return ENOMEM;
    for (;;) {
        if (len == cap) {
            if (len > max) {
                free(buf);
                return EFBIG;
            }
            size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - len;
        ssize_t n = read(fd, buf + len, want > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max) {
        free(buf);
        return EFBIG;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

/* Opens path for reading, refusing anything but a regular file. O_NONBLOCK
 * keeps the open of a FIFO from waiting for a writer; it does nothing to
 * the reads of a regular file. Returns the fd, or -1 with the message. */
static int open_regular(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (%s); to read a pipe, give '-' "
                 "and pipe it to standard input", path, file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    return fd;
}

/* The whole of path ("-": standard input) into *buf, at most max_bytes
 * (0: the default). 0, INV_READ_TOO_LARGE or -1 with the message. */
static int read_whole(const char *path, size_t max_bytes, char **buf, size_t *len,
                      char *err, size_t errlen)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "standard input" : path;
    if (max_bytes == 0)
        max_bytes = INV_READ_DEFAULT_MAX;
    if (max_bytes == SIZE_MAX)
        max_bytes--;            /* slurp reads one byte past the limit */
    int fd = is_stdin ? STDIN_FILENO : open_regular(path, err, errlen);
    if (fd < 0)
        return -1;
    *buf = NULL;
    *len = 0;
    int e = slurp(fd, max_bytes, buf, len);
    if (!is_stdin)
        close(fd);
    if (e == EFBIG) {
        snprintf(err, errlen, "%s: larger than the inventory size limit of %zu bytes",
                 name, max_bytes);
        return INV_READ_TOO_LARGE;
    }
    if (e) {
        snprintf(err, errlen, "%s: cannot read: %s", name, strerror(e));
        return -1;
    }
    return 0;
}

int inv_read_file(const char *path, size_t max_bytes, inv_inventory **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    char *buf;
    size_t len;
    int rc = read_whole(path, max_bytes, &buf, &len, err, errlen);
    if (rc != 0)
        return rc;
    rc = inv_read_buffer(strcmp(path, "-") == 0 ? "standard input" : path, buf, len, out,
                         err, errlen);
    free(buf);
    return rc;
}

/* The subscription and resource group of a disk ID: its segments 1 and 3. */
static int add_scope_of(inv_inventory *inv, const char *id)
{
    char sub[256], rg[256];
    const char *p = id[0] == '/' ? id + 1 : id;
    const char *s1 = strchr(p, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    const char *s3 = s2 ? strchr(s2 + 1, '/') : NULL, *s4 = s3 ? strchr(s3 + 1, '/') : NULL;
    if (s4 == NULL || (size_t)(s2 - s1 - 1) >= sizeof sub || (size_t)(s4 - s3 - 1) >= sizeof rg)
        return 0;       /* not an ARM ID: it covers nothing */
    memcpy(sub, s1 + 1, (size_t)(s2 - s1 - 1));
    sub[s2 - s1 - 1] = '\0';
    memcpy(rg, s3 + 1, (size_t)(s4 - s3 - 1));
    rg[s4 - s3 - 1] = '\0';
    return inv_add_disk_scope(inv, sub, rg);
}

int inv_read_disks_buffer(inv_inventory *inv, const char *name, const char *buf, size_t len,
                          char *err, size_t errlen)
{
    size_t before = inv->ndisks, scopes = inv->ndisk_scopes;
    inv_scope *scope_arr = inv->disk_scopes;
    rd r;
    rd_init(&r, inv, name, buf, len, err, errlen);
    r.elem = rd_disk;
    int rc = read_document(&r);
    free(r.tagbuf);
    for (size_t i = before; rc == 0 && i < inv->ndisks; i++)
        if (inv->disks[i].id != NULL && inv->disks[i].id[0] != '\0' &&
            add_scope_of(inv, inv->disks[i].id) != 0) {
            snprintf(err, errlen, "%s: out of memory", name);
            rc = -1;
        }
    if (rc != 0) {
        /* the records and scopes stay in the arena, but nothing counts them */
        inv->ndisks = before;
        inv->ndisk_scopes = scopes;
        inv->disk_scopes = scope_arr;
        return -1;
    }
    inv->disks_known = true;
    return 0;
}

int inv_read_disks_file(const char *path, size_t max_bytes, inv_inventory *inv, char *err,
                        size_t errlen)
{
    char *buf;
    size_t len;
    int rc = read_whole(path, max_bytes, &buf, &len, err, errlen);
    if (rc != 0)
        return rc;
    rc = inv_read_disks_buffer(inv, strcmp(path, "-") == 0 ? "standard input" : path, buf, len,
                               err, errlen);
    free(buf);
    return rc;
}
