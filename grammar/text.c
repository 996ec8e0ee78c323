/* The normalised text of a rule, as reasons and explain quote it:
 * "every 12h to 7d", "daily 7", "tagged \"legal-hold\"". Durations in the
 * canonical unit order, whatever order they were written in. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/internal.h"

/* Writes s as a policy-language string literal; returns the length it
 * needs (like snprintf). */
size_t pg_quote(const char *s, char *buf, size_t n)
{
    size_t len = 0;
#define PUT(c) do { if (len + 1 < n) buf[len] = (c); len++; } while (0)
    PUT('"');
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            PUT('\\');
        PUT(*s);
    }
    PUT('"');
#undef PUT
    if (n > 0)
        buf[len < n ? len : n - 1] = '\0';
    return len;
}

/* A growing string; `ok` false once memory ran out. */
typedef struct sbuf { char *s; size_t len, cap; bool ok; } sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (!b->ok)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (p == NULL) {
            b->ok = false;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_dur(sbuf *b, const pol_duration *d)
{
    char tmp[96];
    pol_duration_format(d, tmp, sizeof tmp);
    sb_str(b, tmp);
}

static void sb_count(sbuf *b, int64_t count)
{
    char tmp[32];
    if (count == POL_COUNT_ALL)
        snprintf(tmp, sizeof tmp, "all");
    else
        snprintf(tmp, sizeof tmp, "%" PRId64, count);
    sb_str(b, tmp);
}

static void sb_quoted(sbuf *b, const char *s)
{
    size_t n = pg_quote(s, NULL, 0);
    char *tmp = malloc(n + 1);
    if (tmp == NULL) {
        b->ok = false;
        return;
    }
    pg_quote(s, tmp, n + 1);
    sb_put(b, tmp, n);
    free(tmp);
}

char *pg_rule_text(const pol_rule *r)
{
    sbuf b = { NULL, 0, 0, true };
    switch (r->kind) {
    case POL_KEEP_ALL:
        sb_str(&b, "keep-all ");
        sb_dur(&b, &r->end);
        break;
    case POL_EVERY:
        sb_str(&b, "every ");
        sb_dur(&b, &r->width);
        sb_str(&b, " to ");
        sb_dur(&b, &r->end);
        break;
    case POL_CALENDAR_TIER:
        sb_str(&b, eng_period_adjective(r->period));
        sb_str(&b, " to ");
        sb_dur(&b, &r->end);
        break;
    case POL_LAST:
        sb_str(&b, "last ");
        sb_count(&b, r->count);
        break;
    case POL_COUNT:
        sb_str(&b, eng_period_adjective(r->period));
        sb_str(&b, " ");
        sb_count(&b, r->count);
        break;
    case POL_WITHIN:
        sb_str(&b, "within ");
        sb_dur(&b, &r->window);
        break;
    case POL_PERIOD_WITHIN:
        sb_str(&b, eng_period_adjective(r->period));
        sb_str(&b, " within ");
        sb_dur(&b, &r->window);
        break;
    case POL_TAGGED:
        sb_str(&b, "tagged");
        for (size_t i = 0; i < r->ntags; i++) {
            sb_str(&b, i == 0 ? " " : " and ");
            sb_quoted(&b, r->tags[i].key);
            if (r->tags[i].value != NULL) {
                sb_str(&b, " = ");
                sb_quoted(&b, r->tags[i].value);
            }
        }
        break;
    }
    if (!b.ok) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
