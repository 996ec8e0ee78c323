/* The shapes of an inventory: one ARM list page, an array of pages, or the
 * array `az snapshot list` prints. See azure/inventory_read.h. */
#include "azure/inventory_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure/inv_read_priv.h"

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
static int read_page(rd *r, elem_fn elem, ij_str *next, const unsigned char **next_at)
{
    ij_cur *c = &r->c;
    const unsigned char *at = c->p;
    char lb[48], field[64];
    const char *label = page_label(r, lb, sizeof lb);
    unsigned seen = 0;
    size_t n = 0;
    ij_str k;
    int more;
    next->len = 0;
    if (ij_obj_begin(c) < 0)
        return -1;
    while ((more = ij_obj_next(c, &n, &k)) > 0) {
        rd_key_id key = rd_key(&k);
        if (key == K_VALUE) {
            if (seen & 1)
                return ij_fail(c, k.raw - 1, "%svalue: given more than once", label);
            seen |= 1;
            if (ij_peek(c) != '[') {
                snprintf(field, sizeof field, "%svalue", label);
                return ij_fail_type(c, field, "an array");
            }
            if (ij_arr_begin(c) < 0)
                return -1;
            size_t i = 0;
            int el;
            while ((el = ij_arr_next(c, &i)) > 0) {
                r->index = i - 1;
                if (elem(r) < 0)
                    return -1;
            }
            if (el < 0)
                return -1;
        } else if (key == K_NEXTLINK) {
            if (seen & 2)
                return ij_fail(c, k.raw - 1, "%snextLink: given more than once", label);
            seen |= 2;
            *next_at = c->p;
            if (ij_peek(c) == '"') {
                if (ij_string(c, next) < 0)
                    return -1;
            } else if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
                c->p += 4;
            } else {
                snprintf(field, sizeof field, "%snextLink", label);
                return ij_fail_type(c, field, "a string or null");
            }
        } else if (ij_skip(c) < 0) {
            return -1;
        }
    }
    if (more < 0)
        return -1;
    if (!(seen & 1))
        return ij_fail(c, at, "%snot an ARM list response: no \"value\" array", label);
    return 0;
}

/* The first element of a top-level array tells pages from snapshots: a
 * page's first decisive key is "value" or "nextLink", a snapshot's one of
 * its own. Looks ahead on a copy of the cursor. */
static bool looks_like_page(const rd *r)
{
    ij_cur c = r->c;
    char err[8];
    size_t n = 0;
    ij_str k;
    c.err = err;
    c.errlen = sizeof err;
    if (ij_peek(&c) != '{' || ij_obj_begin(&c) < 0)
        return false;
    while (ij_obj_next(&c, &n, &k) > 0) {
        switch (rd_key(&k)) {
        case K_VALUE: case K_NEXTLINK:
            return true;
        case K_OTHER:
            break;
        default:
            return false;   /* one of a snapshot's own */
        }
        if (ij_skip(&c) < 0)
            return false;
    }
    return false;
}

static int check_last_link(rd *r, const ij_str *next, const unsigned char *at)
{
    if (next->len == 0)
        return 0;
    return ij_fail(&r->c, at, "nextLink: the listing goes on in another page, which "
                   "this file does not hold (save every page, as a JSON array of pages)");
}

static int read_pages_array(rd *r)
{
    ij_cur *c = &r->c;
    ij_str next = { NULL, 0, false };
    const unsigned char *next_at = NULL;
    size_t i = 0;
    int more;
    r->shape = RD_PAGES;
    if (ij_arr_begin(c) < 0)
        return -1;
    while ((more = ij_arr_next(c, &i)) > 0) {
        r->page = i - 1;
        if (ij_peek(c) != '{') {
            char lb[48];
            snprintf(lb, sizeof lb, "page .[%zu]", r->page);
            return ij_fail_type(c, lb, "an ARM list page");
        }
        if (read_page(r, rd_snapshot, &next, &next_at) < 0)
            return -1;
    }
    if (more < 0)
        return -1;
    return check_last_link(r, &next, next_at);
}

static int read_az_array(rd *r)
{
    ij_cur *c = &r->c;
    size_t i = 0;
    int more;
    r->shape = RD_AZ;
    if (ij_arr_begin(c) < 0)
        return -1;
    while ((more = ij_arr_next(c, &i)) > 0) {
        r->index = i - 1;
        if (rd_snapshot(r) < 0)
            return -1;
    }
    return more;
}

/* Byte-order marks: UTF-8's is harmless; UTF-16's means the file was
 * saved in the wrong encoding (PowerShell 5 redirection does that). */
static int skip_bom(rd *r)
{
    ij_cur *c = &r->c;
    size_t len = (size_t)(c->end - c->p);
    if (len >= 3 && memcmp(c->p, "\xEF\xBB\xBF", 3) == 0) {
        c->p += 3;
        return 0;
    }
    if (len >= 2 && ((c->p[0] == 0xFF && c->p[1] == 0xFE) || (c->p[0] == 0xFE && c->p[1] == 0xFF)))
        return ij_fail(c, c->p, "not UTF-8: the file is UTF-16 text (convert it to UTF-8)");
    return 0;
}

/* The value is read; only whitespace may follow. */
static int read_end(rd *r)
{
    ij_ws(&r->c);
    if (r->c.p < r->c.end)
        return ij_fail_expected(&r->c, "the end of the file after the JSON value");
    return 0;
}

static int read_document(rd *r)
{
    ij_cur *c = &r->c;
    if (skip_bom(r) < 0)
        return -1;
    ij_ws(c);
    if (c->p == c->end) {
        if (c->errlen)
            snprintf(c->err, c->errlen, "%s: empty file: expected a JSON object or array", c->name);
        return -1;
    }
    int rc;
    if (ij_peek(c) == '{') {
        ij_str next;
        const unsigned char *next_at = NULL;
        r->shape = RD_ARM;
        rc = read_page(r, rd_snapshot, &next, &next_at);
        if (rc == 0)
            rc = check_last_link(r, &next, next_at);
    } else if (ij_peek(c) == '[') {
        rd probe = *r;
        if (ij_arr_begin(&probe.c) == 0 && ij_arr_next(&probe.c, &(size_t){ 0 }) > 0 &&
            looks_like_page(&probe))
            rc = read_pages_array(r);
        else
            rc = read_az_array(r);
    } else {
        return ij_fail_type(c, "not an inventory", "a JSON object or array");
    }
    return rc < 0 ? -1 : read_end(r);
}

static void rd_init(rd *r, inv_inventory *inv, const char *name, const char *buf,
                    size_t len, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    ij_init(&r->c, name, buf, len, INV_READ_MAX_DEPTH, err, errlen);
    r->inv = inv;
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
    ij_str next;
    const unsigned char *next_at = NULL;
    size_t nsnap = inv->nsnapshots, ndisk = inv->ndisks;
    *next_link = NULL;
    rd_init(&r, inv, name, buf, len, err, errlen);
    r.shape = RD_ARM;
    ij_ws(&r.c);
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
            rc = ij_fail(&r.c, next_at, "out of memory");
        } else {
            size_t n = ij_decode(&next, *next_link);
            (*next_link)[n] = '\0';
            if (memchr(*next_link, '\0', n)) {
                free(*next_link);
                *next_link = NULL;
                rc = ij_fail(&r.c, next_at, "nextLink: contains a NUL character (\\u0000)");
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
