/* The journal: fsync'd JSON lines; see journal.h. */
#include "cli/journal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

cli_journal_entry cli_journal_entry_init(sk_time time, const char *event)
{
    cli_journal_entry e;
    memset(&e, 0, sizeof e);
    e.time = time;
    e.event = event;
    e.pending = -1;
    e.exit_code = -1;
    e.created = e.deleted = e.failed = e.deferred = -1;
    e.seconds = -1;
    return e;
}

int cli_journal_open(cli_journal *j, const cli_state *st, const char *command,
                     sk_time now, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    if (cli_state_file(st, CLI_JOURNAL_FILE, j->path, sizeof j->path, err, errlen) != 0)
        return -1;
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (j->fd < 0) {
        snprintf(err, errlen, "cannot open journal %s: %s", j->path, strerror(errno));
        return -1;
    }
    char stamp[ENG_TIME_BUFSZ];
    eng_time_format(now - now % SK_USEC_PER_SEC, stamp, sizeof stamp);
    size_t k = 0;
    for (const char *c = stamp; *c != '\0' && k < 30; c++)
        if (*c != '-' && *c != ':')
            j->run_id[k++] = *c;
    snprintf(j->run_id + k, sizeof j->run_id - k, "-%ld", (long)getpid());
    snprintf(j->command, sizeof j->command, "%s", command);
    return 0;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
    if (v != NULL && v[0] != '\0')
        cJSON_AddStringToObject(o, key, v);
}

static void add_num(cJSON *o, const char *key, int64_t v)
{
    if (v >= 0)
        cJSON_AddNumberToObject(o, key, (double)v);
}

static cJSON *entry_json(const cli_journal *j, const cli_journal_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    char t[ENG_TIME_BUFSZ];
    eng_time_format(e->time, t, sizeof t);
    add_str(o, "time", t);
    add_str(o, "run", j->run_id);
    add_str(o, "command", j->command);
    add_str(o, "event", e->event);
    add_str(o, "op", e->op);
    add_str(o, "policy", e->policy);
    add_str(o, "disk", e->disk);
    add_str(o, "resource", e->resource);
    add_str(o, "vm", e->vm);
    add_str(o, "outcome", e->outcome);
    add_str(o, "request_id", e->request_id);
    add_str(o, "error_code", e->error_code);
    add_str(o, "error", e->error);
    add_str(o, "prev_run", e->prev_run);
    add_str(o, "message", e->message);
    add_num(o, "pending", e->pending);
    add_num(o, "exit", e->exit_code);
    add_num(o, "created", e->created);
    add_num(o, "deleted", e->deleted);
    add_num(o, "failed", e->failed);
    add_num(o, "deferred", e->deferred);
    if (e->seconds >= 0)
        cJSON_AddNumberToObject(o, "seconds", (double)(int64_t)(e->seconds * 1000 + 0.5) / 1000);
    return o;
}

int cli_journal_write(cli_journal *j, const cli_journal_entry *e,
                      char *err, size_t errlen)
{
    if (j->fd < 0) {
        snprintf(err, errlen, "journal is not open");
        return -1;
    }
    cJSON *o = entry_json(j, e);
    char *text = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t len = strlen(text);
    text[len] = '\n';       /* replaces the NUL: one write(2) per line */
    const char *p = text;
    size_t left = len + 1;
    int rc = 0;
    while (left > 0) {
        ssize_t w = write(j->fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = -1;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    free(text);
    if (rc != 0 || fsync(j->fd) != 0) {
        snprintf(err, errlen, "cannot write journal %s: %s", j->path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_journal_rotate(cli_journal *j, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(j->path, &sb) != 0 || sb.st_size <= CLI_JOURNAL_ROTATE_BYTES)
        return 0;
    char old[4300];
    snprintf(old, sizeof old, "%s.1", j->path);
    if (rename(j->path, old) != 0) {
        snprintf(err, errlen, "cannot rotate %s: %s", j->path, strerror(errno));
        return -1;
    }
    /* later lines go to the new file, not the one just moved aside */
    int fd = open(j->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open journal %s: %s", j->path, strerror(errno));
        return -1;
    }
    if (j->fd >= 0)
        close(j->fd);
    j->fd = fd;
    return 0;
}

void cli_journal_close(cli_journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
}

/* ---- reading ---- */

typedef struct scan_run {
    char id[64];
    bool ended;
} scan_run;

typedef struct scan_ctx {
    scan_run *runs;
    size_t nruns, caprun;
    cli_journal_pending *pend;
    size_t npend, cappend;
} scan_ctx;

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Newest first: the run a line talks about is nearly always a recent one. */
static scan_run *find_run(scan_ctx *c, const char *id, bool create)
{
    for (size_t i = c->nruns; i > 0; i--)
        if (strcmp(c->runs[i - 1].id, id) == 0)
            return &c->runs[i - 1];
    if (!create)
        return NULL;
    if (c->nruns == c->caprun) {
        size_t cap = c->caprun ? c->caprun * 2 : 64;
        scan_run *n = realloc(c->runs, cap * sizeof *n);
        if (n == NULL)
            return NULL;
        c->runs = n;
        c->caprun = cap;
    }
    scan_run *r = &c->runs[c->nruns++];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    return r;
}

static int add_pending(scan_ctx *c, const cJSON *o)
{
    if (c->npend == c->cappend) {
        size_t cap = c->cappend ? c->cappend * 2 : 32;
        cli_journal_pending *n = realloc(c->pend, cap * sizeof *n);
        if (n == NULL)
            return -1;
        c->pend = n;
        c->cappend = cap;
    }
    cli_journal_pending *p = &c->pend[c->npend++];
    snprintf(p->run, sizeof p->run, "%s", jstr(o, "run"));
    snprintf(p->op, sizeof p->op, "%s", jstr(o, "op"));
    snprintf(p->policy, sizeof p->policy, "%s", jstr(o, "policy"));
    snprintf(p->resource, sizeof p->resource, "%s", jstr(o, "resource"));
    snprintf(p->time, sizeof p->time, "%s", jstr(o, "time"));
    return 0;
}

static void settle_pending(scan_ctx *c, const cJSON *o)
{
    const char *run = jstr(o, "run"), *op = jstr(o, "op"), *res = jstr(o, "resource");
    for (size_t i = c->npend; i > 0; i--) {
        cli_journal_pending *p = &c->pend[i - 1];
        if (strcmp(p->run, run) == 0 && strcmp(p->op, op) == 0 &&
            strncmp(p->resource, res, sizeof p->resource - 1) == 0) {
            c->pend[i - 1] = c->pend[--c->npend];
            return;
        }
    }
}

static int scan_line(scan_ctx *c, const char *line, size_t len, size_t *bad)
{
    cJSON *o = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        (*bad)++;
        return 0;
    }
    const char *ev = jstr(o, "event");
    int rc = 0;
    if (strcmp(ev, "start") == 0) {
        rc = find_run(c, jstr(o, "run"), true) != NULL ? 0 : -1;
    } else if (strcmp(ev, "end") == 0 || strcmp(ev, "interrupted") == 0) {
        /* an interrupted line closes the run it names, once reported */
        const char *id = jstr(o, strcmp(ev, "end") == 0 ? "run" : "prev_run");
        scan_run *r = find_run(c, id, true);
        if (r == NULL)
            rc = -1;
        else
            r->ended = true;
    } else if (strcmp(ev, "intent") == 0) {
        rc = add_pending(c, o);
    } else if (strcmp(ev, "outcome") == 0) {
        settle_pending(c, o);
    }
    cJSON_Delete(o);
    return rc;
}

static int scan_result(scan_ctx *c, cli_journal_scan *out)
{
    for (size_t i = 0; i < c->nruns; i++) {
        if (c->runs[i].ended)
            continue;
        char (*n)[64] = realloc(out->runs, (out->nruns + 1) * sizeof *n);
        if (n == NULL)
            return -1;
        out->runs = n;
        memcpy(out->runs[out->nruns++], c->runs[i].id, 64);
    }
    for (size_t i = 0; i < c->npend; i++) {
        scan_run *r = find_run(c, c->pend[i].run, false);
        if (r != NULL && r->ended)
            continue;
        cli_journal_pending *n = realloc(out->pending, (out->npending + 1) * sizeof *n);
        if (n == NULL)
            return -1;
        out->pending = n;
        out->pending[out->npending++] = c->pend[i];
    }
    return 0;
}

/* The end of a scan, from a file or memory: the report, c's memory freed,
 * and on failure (rc != 0 or a read error) out emptied and err set. */
static int scan_finish(scan_ctx *c, int rc, bool rerr, const char *name,
                       cli_journal_scan *out, char *err, size_t errlen)
{
    if (rc == 0 && !rerr)
        rc = scan_result(c, out);
    free(c->runs);
    free(c->pend);
    if (rc != 0 || rerr) {
        snprintf(err, errlen, rerr ? "cannot read journal %s" : "out of memory reading %s", name);
        cli_journal_scan_free(out);
        return -1;
    }
    return 0;
}

int cli_journal_scan_file(const char *path, cli_journal_scan *out,
                          char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read journal %s: %s", path, strerror(errno));
        return -1;
    }
    /* line by line: a journal is only rotated now and then */
    scan_ctx c = { 0 };
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            n--;
        if (n > 0)
            rc = scan_line(&c, line, (size_t)n, &out->bad_lines);
    }
    bool rerr = ferror(f) != 0;
    free(line);
    fclose(f);
    return scan_finish(&c, rc, rerr, path, out, err, errlen);
}

int cli_journal_scan_buffer(const char *name, const char *buf, size_t len,
                            cli_journal_scan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    scan_ctx c = { 0 };
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < len;) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
        if (n > 0)
            rc = scan_line(&c, buf + at, n, &out->bad_lines);
        at += n + 1;
    }
    return scan_finish(&c, rc, false, name, out, err, errlen);
}

void cli_journal_scan_free(cli_journal_scan *s)
{
    free(s->runs);
    free(s->pending);
    memset(s, 0, sizeof *s);
}

void cli_journal_end(cli_journal *j, int exit_code)
{
    char err[512];
    cli_journal_entry e = cli_journal_entry_init(cli_now(), "end");
    e.exit_code = exit_code;
    if (cli_journal_write(j, &e, err, sizeof err) != 0 ||
        cli_journal_rotate(j, err, sizeof err) != 0)
        cli_err("%s", err);
}
