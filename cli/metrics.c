/* Prometheus text exposition; see metrics.h. */
#include "cli/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/state.h"

typedef struct mt_sample {
    char *labels;           /* canonical "{a=\"x\",b=\"y\"}" or "" */
    double value;
} mt_sample;

typedef struct mt_family {
    char *name, *type, *help;
    mt_sample *samples;
    size_t nsamples, cap;
} mt_family;

struct cli_metrics {
    mt_family *fams;
    size_t nfams, cap;
};

typedef struct mt_buf {
    char *p;
    size_t len, cap;
    bool oom;
} mt_buf;

static void buf_add(mt_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(mt_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Label values escape \ " and newline; HELP text only \ and newline. */
static void buf_escaped(mt_buf *b, const char *s, bool quotes)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            buf_str(b, "\\\\");
        else if (*s == '\n')
            buf_str(b, "\\n");
        else if (*s == '"' && quotes)
            buf_str(b, "\\\"");
        else
            buf_add(b, s, 1);
    }
}

static bool valid_name(const char *s, bool colon)
{
    if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s != '\0'; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (colon && c == ':')))
            return false;
    }
    return true;
}

cli_metrics *cli_metrics_new(void)
{
    return calloc(1, sizeof(cli_metrics));
}

void cli_metrics_free(cli_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nfams; i++) {
        mt_family *f = &m->fams[i];
        for (size_t k = 0; k < f->nsamples; k++)
            free(f->samples[k].labels);
        free(f->samples);
        free(f->name);
        free(f->type);
        free(f->help);
    }
    free(m->fams);
    free(m);
}

static mt_family *find_family(const cli_metrics *m, const char *name)
{
    for (size_t i = 0; i < m->nfams; i++)
        if (strcmp(m->fams[i].name, name) == 0)
            return &m->fams[i];
    return NULL;
}

int cli_metrics_family(cli_metrics *m, const char *name, const char *type,
                       const char *help)
{
    if (!valid_name(name, true) || help == NULL ||
        (strcmp(type, "gauge") != 0 && strcmp(type, "counter") != 0))
        return -1;
    mt_family *old = find_family(m, name);
    if (old != NULL)
        return strcmp(old->type, type) == 0 && strcmp(old->help, help) == 0 ? 0 : -1;
    if (m->nfams == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        mt_family *n = realloc(m->fams, cap * sizeof *n);
        if (n == NULL)
            return -1;
        m->fams = n;
        m->cap = cap;
    }
    mt_family *f = &m->fams[m->nfams];
    memset(f, 0, sizeof *f);
    f->name = strdup(name);
    f->type = strdup(type);
    f->help = strdup(help);
    if (f->name == NULL || f->type == NULL || f->help == NULL) {
        free(f->name);
        free(f->type);
        free(f->help);
        return -1;
    }
    m->nfams++;
    return 0;
}

/* Labels sorted by name, so the same series written in another order is
 * recognised as a duplicate. */
static char *canonical_labels(const char *const *labels)
{
    size_t n = 0;
    while (labels != NULL && labels[2 * n] != NULL)
        n++;
    if (n == 0)
        return strdup("");
    size_t *order = malloc(n * sizeof *order);
    if (order == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        if (!valid_name(labels[2 * i], false) || strncmp(labels[2 * i], "__", 2) == 0 ||
            labels[2 * i + 1] == NULL) {
            free(order);
            return NULL;
        }
    }
    for (size_t i = 1; i < n; i++)      /* a handful of labels: insertion sort */
        for (size_t k = i; k > 0 && strcmp(labels[2 * order[k - 1]], labels[2 * order[k]]) > 0; k--) {
            size_t t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    mt_buf b = { 0 };
    buf_str(&b, "{");
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(labels[2 * order[i]], labels[2 * order[i - 1]]) == 0)
            b.oom = true;               /* the same label twice */
        buf_str(&b, i > 0 ? "," : "");
        buf_str(&b, labels[2 * order[i]]);
        buf_str(&b, "=\"");
        buf_escaped(&b, labels[2 * order[i] + 1], true);
        buf_str(&b, "\"");
    }
    buf_str(&b, "}");
    free(order);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int cli_metrics_add(cli_metrics *m, const char *name, const char *const *labels,
                    double value)
{
    mt_family *f = find_family(m, name);
    if (f == NULL)
        return -1;
    char *canon = canonical_labels(labels);
    if (canon == NULL)
        return -1;
    for (size_t i = 0; i < f->nsamples; i++)
        if (strcmp(f->samples[i].labels, canon) == 0) {
            free(canon);
            return -1;
        }
    if (f->nsamples == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        mt_sample *n = realloc(f->samples, cap * sizeof *n);
        if (n == NULL) {
            free(canon);
            return -1;
        }
        f->samples = n;
        f->cap = cap;
    }
    f->samples[f->nsamples++] = (mt_sample){ canon, value };
    return 0;
}

static void buf_value(mt_buf *b, double v)
{
    char num[64];
    if (isnan(v))
        snprintf(num, sizeof num, "NaN");
    else if (isinf(v))
        snprintf(num, sizeof num, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(num, sizeof num, "%.0f", v);
    else
        snprintf(num, sizeof num, "%.15g", v);
    buf_str(b, num);
}

char *cli_metrics_render(const cli_metrics *m, size_t *len)
{
    mt_buf b = { 0 };
    buf_str(&b, "");
    for (size_t i = 0; i < m->nfams; i++) {
        const mt_family *f = &m->fams[i];
        buf_str(&b, "# HELP ");
        buf_str(&b, f->name);
        buf_str(&b, " ");
        buf_escaped(&b, f->help, false);
        buf_str(&b, "\n# TYPE ");
        buf_str(&b, f->name);
        buf_str(&b, " ");
        buf_str(&b, f->type);
        buf_str(&b, "\n");
        for (size_t k = 0; k < f->nsamples; k++) {
            buf_str(&b, f->name);
            buf_str(&b, f->samples[k].labels);
            buf_str(&b, " ");
            buf_value(&b, f->samples[k].value);
            buf_str(&b, "\n");
        }
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    if (len != NULL)
        *len = b.len;
    return b.p;
}

int cli_metrics_write(const cli_metrics *m, const char *path, char *err, size_t errlen)
{
    if (cli_file_dir_check_private(path, err, errlen) == 1)
        return -1;
    size_t len = 0;
    char *text = cli_metrics_render(m, &len);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = cli_write_file_atomic(path, text, len, 0644, err, errlen);
    free(text);
    return rc;
}
