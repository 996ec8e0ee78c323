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
/* Beyond this many lines with bytes that are not text, the file is binary. */
#define PG_MAX_BAD_LINES 10

static pol_loc at(const pg_ctx *ctx, int line, int col)
{
    return (pol_loc){ ctx->path, line, col };
}

/* "A file must be UTF-8 text": a NUL byte means binary (stop there); other
 * bad bytes are reported once per line, and the parse goes on without
 * them unless there are too many. */
static bool check_text(pg_ctx *ctx)
{
    const unsigned char *t = (const unsigned char *)ctx->text;
    int line = 1, col = 1, bad_line = 0, nbad = 0;
    for (size_t i = 0; i < ctx->len;) {
        unsigned char c = t[i];
        size_t len = eng_utf8_len(t + i, ctx->len - i);
        bool control = c < 0x20 && c != '\t' && c != '\n' && c != '\r' &&
                       c != '\f' && c != '\v';
        pol_loc loc = at(ctx, line, col);
        if (c == 0) {
            pg_error(ctx, &loc, "not a text file: NUL byte at offset %zu", i);
            return false;
        }
        if ((len == 0 || control || c == 0x7f) && bad_line != line) {
            if (++nbad > PG_MAX_BAD_LINES) {
                pg_error(ctx, &loc, "not a text file: too many bytes that are not "
                         "UTF-8 text; giving up");
                return false;
            }
            bad_line = line;
            if (len == 0)
                pg_error(ctx, &loc, "byte 0x%02x at offset %zu is not UTF-8 text "
                         "(the file must be UTF-8)", c, i);
            else
                pg_error(ctx, &loc, "control character 0x%02x at offset %zu is not "
                         "text", c, i);
        }
        if (len == 0)
            len = 1;
        if (c == '\n') {
            line++;
            col = 1;
        } else {
            col += (int)len;
        }
        i += len;
    }
    return true;
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
