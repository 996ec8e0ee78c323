/* The entry points: a policy file from disk or from memory goes through the
 * same path (text check, scanner + parser, compiler); the fuzzer and the
 * tests enter through pol_parse_string. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/utf8.h"
#include "grammar/internal.h"

/* A policy file is a few hundred bytes; anything this large is a mistake. */
#define PG_MAX_FILE (4u << 20)

static pol_loc at(const pg_ctx *ctx, int line, int col)
{
    return (pol_loc){ ctx->path, line, col };
}

/* A file with at least this many bad bytes, one in PG_BINARY_SHARE or
 * more of all its bytes, is binary data. */
#define PG_BINARY_MIN 32
#define PG_BINARY_SHARE 4
/* Good bytes between two bad ones that still leave them one bad spot. */
#define PG_RUN_GAP 3

/* A byte the file may not hold: not UTF-8, or a control character other
 * than the blanks. Sets *len to the bytes it covers (1 when not UTF-8). */
static bool bad_byte(const unsigned char *t, size_t left, size_t *len)
{
    unsigned char c = t[0];
    *len = eng_utf8_len(t, left);
    bool control = c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v';
    if (*len == 0) {
        *len = 1;
        return true;
    }
    return control || c == 0x7f;
}

/* The bytes of a terminal escape sequence after its ESC (ESC [ 31 m, ESC ]
 * ... BEL, ESC c): part of the same bad spot, though printable. */
static size_t escape_tail(const unsigned char *t, size_t left)
{
    if (left == 0)
        return 0;
    if (t[0] == '[') {                  /* CSI: parameters, then a final byte */
        size_t k = 1;
        while (k < left && t[k] >= 0x20 && t[k] <= 0x3f)
            k++;
        return k < left && t[k] >= 0x40 && t[k] <= 0x7e ? k + 1 : k;
    }
    if (t[0] == ']') {                  /* OSC: up to BEL or ESC \ */
        size_t k = 1;
        while (k < left && t[k] != 0x07 && t[k] != 0x1b && t[k] != '\n')
            k++;
        return k;
    }
    return t[0] >= 0x40 && t[0] <= 0x7e ? 1 : 0;
}

/* "A file must be UTF-8 text": a NUL byte means binary (stop there). Each
 * run of bad bytes (with an escape sequence's printable tail) is one
 * error, at its first byte; errors the parser would find on those lines
 * are dropped (pg_diag), and the parse goes on unless there are too many. */
static bool check_text(pg_ctx *ctx)
{
    const unsigned char *t = (const unsigned char *)ctx->text;
    int line = 1, col = 1, nbad = 0;
    bool ok = true;
    /* Mostly bad bytes: binary data, one error for the whole file rather
     * than one per spot. */
    size_t bad = 0, first_bad = ctx->len, len;
    for (size_t i = 0; i < ctx->len; i += len) {
        if (t[i] == 0)
            break;
        if (bad_byte(t + i, ctx->len - i, &len)) {
            bad += len;
            if (first_bad == ctx->len)
                first_bad = i;
        }
    }
    if (bad >= PG_BINARY_MIN && bad * PG_BINARY_SHARE >= ctx->len) {
        int l = 1, c = 1;
        for (size_t i = 0; i < first_bad; i++, c++)
            if (t[i] == '\n') {
                l++;
                c = 0;
            }
        pol_loc loc = at(ctx, l, c);
        pg_error(ctx, &loc, "not a text file: %zu of its %zu bytes are not UTF-8 text, "
                 "from offset %zu on", bad, ctx->len, first_bad);
        return false;
    }
    ctx->checking_text = true;
    for (size_t i = 0; i < ctx->len;) {
        pol_loc loc = at(ctx, line, col);
        if (t[i] == 0) {
            pg_error(ctx, &loc, "not a text file: NUL byte at offset %zu", i);
            ok = false;
            break;
        }
        if (!bad_byte(t + i, ctx->len - i, &len)) {
            if (t[i] == '\n') {
                line++;
                col = 1;
            } else {
                col += (int)len;
            }
            i += len;
            continue;
        }
        if (++nbad > PG_MAX_BAD_LINES) {
            pg_error(ctx, &loc, "not a text file: too many bytes that are not UTF-8 text; "
                     "giving up");
            ok = false;
            break;
        }
        size_t start = i, n = 0, last = i;
        unsigned char first = t[i];
        for (;;) {
            while (i < ctx->len && t[i] != 0 && t[i] != '\n' &&
                   bad_byte(t + i, ctx->len - i, &len)) {
                bool esc = t[i] == 0x1b;
                last = i;
                i += len;
                if (esc)
                    i += escape_tail(t + i, ctx->len - i);
                n += len;
            }
            /* A few good bytes between bad ones (r\xe9sum\xe9, binary
             * garbage) do not start a new spot: the run goes on. */
            size_t k = i, good = 0;
            while (k < ctx->len && good < PG_RUN_GAP && t[k] != 0 && t[k] != '\n' &&
                   !bad_byte(t + k, ctx->len - k, &len)) {
                k += len;
                good++;
            }
            if (good == 0 || k >= ctx->len || t[k] == 0 || t[k] == '\n' ||
                !bad_byte(t + k, ctx->len - k, &len))
                break;
            i = k;
        }
        char more[80] = "";
        if (n > 1)
            snprintf(more, sizeof more, ", nor %s %zu more up to offset %zu",
                     n == 2 ? "is" : "are", n - 1, last);
        if (eng_utf8_len(t + start, ctx->len - start) == 0)
            pg_error(ctx, &loc, "byte 0x%02x at offset %zu is not UTF-8 text%s (the file "
                     "must be UTF-8)", first, start, more);
        else if (first == 0x1b && n == 1)
            pg_error(ctx, &loc, "control character 0x1b (ESC: a terminal escape sequence) "
                     "at offset %zu is not text", start);
        else
            pg_error(ctx, &loc, "control character 0x%02x at offset %zu is not text%s",
                     first, start, more);
        if (ctx->nbad_lines == 0 || ctx->bad_lines[ctx->nbad_lines - 1] != line)
            if (ctx->nbad_lines < PG_MAX_BAD_LINES)
                ctx->bad_lines[ctx->nbad_lines++] = line;
        col += (int)(i - start);
    }
    ctx->checking_text = false;
    return ok;
}

static void ctx_free(pg_ctx *ctx)
{
    pg_scope_free(ctx->top);
    for (pg_scope *s = ctx->blocks, *next; s != NULL; s = next) {
        next = s->next;
        pg_scope_free(s);
    }
    free(ctx->line_starts);
    free(ctx->sbuf);
    free(ctx->last_word);
    pol_diags_free(&ctx->diags);
}

/* Moves this parse's diagnostics to the caller's list (or drops them). */
static void hand_over(pg_ctx *ctx, pol_diags *out)
{
    pg_diags_sort(&ctx->diags, 0);
    if (out == NULL)
        return;
    for (size_t i = 0; i < ctx->diags.n; i++) {
        pol_diag *d = &ctx->diags.items[i];
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 8;
            pol_diag *p = realloc(out->items, cap * sizeof *p);
            if (p == NULL)
                return;     /* the rest are freed with ctx */
            out->items = p;
            out->cap = cap;
        }
        out->items[out->n++] = *d;
        if (d->level == POL_ERROR)
            out->nerrors++;
        else
            out->nwarnings++;
        memset(d, 0, sizeof *d);
    }
}

pol_file *pol_parse_string(const char *name, const char *text, size_t len,
                           const pol_zones *zones, pol_diags *diags)
{
    pg_ctx ctx = { 0 };
    ctx.zones = zones;
    char *path = strdup(name != NULL ? name : "<string>");
    pol_file *f = NULL;
    if (path == NULL) {     /* still an error the caller can print */
        ctx.path = name != NULL ? name : "<string>";
        pg_error(&ctx, NULL, "out of memory");
        hand_over(&ctx, diags);
        pol_diags_free(&ctx.diags);
        return NULL;
    }
    ctx.path = path;
    ctx.text = text != NULL ? text : "";
    ctx.len = text != NULL ? len : 0;
    ctx.line = ctx.col = 1;
    ctx.blocks_tail = &ctx.blocks;
    /* A byte-order mark is invisible in editors: columns start after it. */
    if (ctx.len >= 3 && memcmp(ctx.text, "\xef\xbb\xbf", 3) == 0) {
        ctx.text += 3;
        ctx.len -= 3;
    }
    if (ctx.len > PG_MAX_FILE) {
        pg_error(&ctx, NULL, "file too large for a policy (%zu bytes)", ctx.len);
    } else if (check_text(&ctx) && (ctx.top = pg_scope_new(&ctx, false)) != NULL) {
        ctx.cur = ctx.top;
        pg_scan_parse(&ctx);
        ctx.cur = NULL;
        f = pg_compile(&ctx);
    }
    if (ctx.oom)
        pg_error(&ctx, NULL, "out of memory");
    if (f != NULL) {
        f->path = path;
        path = NULL;
    }
    bool failed = ctx.diags.nerrors > 0 || f == NULL;
    hand_over(&ctx, diags);
    ctx_free(&ctx);
    free(path);
    if (failed) {
        pol_file_free(f);
        return NULL;
    }
    return f;
}

/* A read error becomes a diagnostic without a line, named by the path. */
static pol_file *file_error(const char *path, const char *what, int err,
                            pol_diags *diags)
{
    pg_ctx ctx = { 0 };
    ctx.path = path;
    pg_error(&ctx, NULL, "%s: %s", what, strerror(err));
    hand_over(&ctx, diags);
    pol_diags_free(&ctx.diags);
    return NULL;
}

pol_file *pol_parse_file(const char *path, pol_diags *diags)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return file_error(path, "cannot open", errno, diags);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            char *p = cap <= PG_MAX_FILE * 2u ? realloc(buf, cap + 1) : NULL;
            if (p == NULL) {
                free(buf);
                fclose(fp);
                return file_error(path, "cannot read", cap > PG_MAX_FILE ? EFBIG : ENOMEM,
                                  diags);
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(fp)) {
        int err = errno;
        free(buf);
        fclose(fp);
        return file_error(path, "cannot read", err, diags);
    }
    fclose(fp);
    pol_file *f = pol_parse_string(path, buf, len, &pol_zones_host, diags);
    free(buf);
    return f;
}
