/* Diagnostics: collected with their source line while a file is read,
 * rendered the way compilers (and jq's locfile.c) do:
 *
 *   FILE:LINE:COL: error: MESSAGE
 *     the source line
 *     ^
 *
 * The caret line copies the source line's tabs, so it lines up whatever the
 * reader's tab width. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/utf8.h"
#include "grammar/internal.h"

/* Messages and quoted source lines go to terminals: control bytes (but
 * tabs) and bytes that are not UTF-8 become '?', one per byte, so byte
 * columns still line up. */
static char *sanitized(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = eng_utf8_len(u + i, n - i);
        if (len == 0 || (len == 1 && ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f))) {
            out[i++] = '?';
            continue;
        }
        memcpy(out + i, s + i, len);
        i += len;
    }
    out[n] = '\0';
    return out;
}

static bool line_table(pg_ctx *ctx)
{
    if (ctx->line_starts != NULL)
        return true;
    size_t n = 1;
    for (size_t i = 0; i < ctx->len; i++)
        n += ctx->text[i] == '\n';
    ctx->line_starts = malloc(n * sizeof *ctx->line_starts);
    if (ctx->line_starts == NULL)
        return false;
    ctx->line_starts[0] = 0;
    ctx->nlines = 1;
    for (size_t i = 0; i < ctx->len; i++)
        if (ctx->text[i] == '\n')
            ctx->line_starts[ctx->nlines++] = i + 1;
    return true;
}

/* Byte offset of the character `chars` characters after p (UTF-8 lead
 * bytes counted; a stray byte is a character). */
static size_t skip_chars(const char *p, size_t n, size_t chars)
{
    size_t i = 0;
    while (i < n && chars > 0) {
        i++;
        while (i < n && ((unsigned char)p[i] & 0xC0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

/* The quoted line, cut to POL_DIAG_LINE_MAX characters around byte column
 * col when longer ("..." marks each cut); *caret is col's byte column in
 * what is returned. */
static char *source_line(pg_ctx *ctx, int line, int col, int *caret)
{
    *caret = col;
    if (line < 1 || ctx->text == NULL || !line_table(ctx) || (size_t)line > ctx->nlines)
        return NULL;
    size_t start = ctx->line_starts[line - 1], end = start;
    while (end < ctx->len && ctx->text[end] != '\n')
        end++;
    if (end > start && ctx->text[end - 1] == '\r')
        end--;
    const char *s = ctx->text + start;
    size_t n = end - start;
    if (skip_chars(s, n, POL_DIAG_LINE_MAX) == n)
        return sanitized(s, n);
    /* a window that starts a third of the way before the caret */
    size_t at = col > 1 ? (size_t)col - 1 : 0, from = 0;
    if (at > n)
        at = n;
    size_t before = 0;
    for (size_t i = 0; i < at; i = i + skip_chars(s + i, at - i, 1))
        before++;
    if (before > POL_DIAG_LINE_MAX / 3)
        from = skip_chars(s, n, before - POL_DIAG_LINE_MAX / 3);
    size_t len = skip_chars(s + from, n - from, POL_DIAG_LINE_MAX);
    char *win = sanitized(s + from, len);
    if (win == NULL)
        return NULL;
    const char *pre = from > 0 ? "..." : "", *post = from + len < n ? "..." : "";
    size_t total = strlen(pre) + strlen(win) + strlen(post) + 1;
    char *out = malloc(total);
    if (out != NULL)
        snprintf(out, total, "%s%s%s", pre, win, post);
    free(win);
    *caret = (int)(at - from + strlen(pre) + 1);
    return out;
}

/* A line the text check reported bad bytes on. */
static bool on_bad_line(const pg_ctx *ctx, int line)
{
    for (int i = 0; i < ctx->nbad_lines; i++)
        if (ctx->bad_lines[i] == line)
            return true;
    return false;
}

const char *pg_quote_rule(const char *text, char *buf, size_t n)
{
    if (text == NULL)
        text = "";
    char q = strchr(text, '"') != NULL ? '`' : '"';
    snprintf(buf, n, "%c%s%c", q, text, q);
    return buf;
}

void pg_oom(pg_ctx *ctx)
{
    ctx->oom = true;
}

static bool diags_push(pol_diags *d, const pol_diag *item)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        pol_diag *p = realloc(d->items, cap * sizeof *p);
        if (p == NULL)
            return false;
        d->items = p;
        d->cap = cap;
    }
    d->items[d->n++] = *item;
    if (item->level == POL_ERROR)
        d->nerrors++;
    else
        d->nwarnings++;
    return true;
}

void pg_diag(pg_ctx *ctx, pol_diag_level level, const pol_loc *loc,
             const char *fmt, ...)
{
    char buf[1024];
    if (loc != NULL && !ctx->checking_text && on_bad_line(ctx, loc->line))
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    pol_diag d = { .level = level };
    d.file = strdup(ctx->path);
    d.message = sanitized(buf, strlen(buf));
    if (loc != NULL) {
        d.line = loc->line;
        d.col = loc->col;
        d.source_line = source_line(ctx, loc->line, loc->col, &d.source_col);
    }
    if (d.file == NULL || d.message == NULL || !diags_push(&ctx->diags, &d)) {
        free(d.file);
        free(d.message);
        free(d.source_line);
        ctx->oom = true;
    }
}

static int diag_cmp(const pol_diag *a, const pol_diag *b)
{
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return 0;
}

static void diag_free(pol_diag *d)
{
    free(d->file);
    free(d->message);
    free(d->source_line);
}

/* Sorts items[from..] by position, keeping the order of equal positions,
 * and drops repeats (an inherited setting checked once per block). */
void pg_diags_sort(pol_diags *d, size_t from)
{
    for (size_t i = from + 1; i < d->n; i++) {
        pol_diag x = d->items[i];
        size_t j = i;
        while (j > from && diag_cmp(&d->items[j - 1], &x) > 0) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = x;
    }
    size_t out = from;
    for (size_t i = from; i < d->n; i++) {
        bool dup = false;
        for (size_t k = out; k-- > from && diag_cmp(&d->items[k], &d->items[i]) == 0;)
            if (d->items[k].level == d->items[i].level &&
                strcmp(d->items[k].message, d->items[i].message) == 0)
                dup = true;
        if (dup) {
            if (d->items[i].level == POL_ERROR)
                d->nerrors--;
            else
                d->nwarnings--;
            diag_free(&d->items[i]);
        } else {
            d->items[out++] = d->items[i];
        }
    }
    d->n = out;
}

char *pol_diag_render(const pol_diag *d)
{
    const char *level = d->level == POL_ERROR ? "error" : "warning";
    const char *file = d->file != NULL ? d->file : "";
    size_t cap = strlen(file) + strlen(d->message) + 64;
    const char *src = d->line > 0 ? d->source_line : NULL;
    size_t col = d->source_col > 0 ? (size_t)d->source_col : d->col > 0 ? (size_t)d->col : 1;
    if (src != NULL)
        cap += 2 * strlen(src) + col + 8;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t n;
    if (d->line > 0)
        n = (size_t)snprintf(out, cap, "%s:%d:%d: %s: %s\n", file, d->line,
                             d->col, level, d->message);
    else
        n = (size_t)snprintf(out, cap, "%s: %s: %s\n", file, level, d->message);
    if (src == NULL)
        return out;
    n += (size_t)snprintf(out + n, cap - n, "  %s\n  ", src);
    size_t srclen = strlen(src);
    for (size_t i = 0; i + 1 < col; i++) {
        unsigned char c = i < srclen ? (unsigned char)src[i] : ' ';
        if (c == '\t')
            out[n++] = '\t';
        else if (c < 0x80 || c >= 0xc0)  /* one column per character */
            out[n++] = ' ';
    }
    out[n++] = '^';
    out[n++] = '\n';
    out[n] = '\0';
    return out;
}

void pol_diags_free(pol_diags *diags)
{
    if (diags == NULL)
        return;
    for (size_t i = 0; i < diags->n; i++)
        diag_free(&diags->items[i]);
    free(diags->items);
    memset(diags, 0, sizeof *diags);
}
