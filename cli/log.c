/* Operator log; see log.h. */
#include "cli/log.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_log_parse_format(const char *s, cli_log_format *out)
{
    static const char *const names[] = { "text", "json", NULL };
    static const cli_log_format as[] = { CLI_LOG_TEXT, CLI_LOG_JSON };
    int v = cli_pick("--log-format", s, names);
    if (v < 0)
        return -1;
    *out = as[v];
    return 0;
}

void cli_log_init(cli_log *l, const char *command, cli_log_format format, FILE *out)
{
    memset(l, 0, sizeof *l);
    l->format = format;
    l->out = out;
    snprintf(l->command, sizeof l->command, "%s", command);
    l->progress_ok = format == CLI_LOG_TEXT && isatty(fileno(out)) != 0;
}

static const char *level_word(cli_log_level level)
{
    return level == CLI_LOG_ERROR ? "error" : level == CLI_LOG_WARN ? "warning" : "info";
}

static void clear_progress(cli_log *l)
{
    if (l->progress_shown)
        fputs("\r\033[K", l->out);
}

static void draw_progress(cli_log *l)
{
    if (l->progress_shown) {
        fputs(l->progress, l->out);
        fflush(l->out);
    }
}

/* Text with line breaks as spaces: one event stays one line. */
static void put_one_line(FILE *out, const char *s)
{
    for (; *s != '\0'; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

/* key=value, quoting values a shell or a log parser would split. */
static void text_field(FILE *out, const cli_log_field *f, bool first)
{
    const char *v = f->value;
    bool quote = v[0] == '\0' || v[strcspn(v, " \t\r\n\"=\\")] != '\0';
    fprintf(out, "%s%s=", first ? " (" : " ", f->key);
    if (!quote) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v != '\0'; v++) {
        if (*v == '"' || *v == '\\')
            fputc('\\', out);
        fputc(*v == '\n' || *v == '\r' ? ' ' : *v, out);
    }
    fputc('"', out);
}

static void emit_text(cli_log *l, cli_log_level level, const cli_log_field *fields,
                      size_t nfields, const char *msg)
{
    fprintf(l->out, "snapkeep: %s: ", l->command);
    if (level != CLI_LOG_INFO)
        fprintf(l->out, "%s: ", level_word(level));
    put_one_line(l->out, msg);
    bool any = false;
    for (size_t i = 0; i < nfields; i++) {
        if (fields[i].value == NULL || fields[i].value[0] == '\0')
            continue;
        text_field(l->out, &fields[i], !any);
        any = true;
    }
    fputs(any ? ")\n" : "\n", l->out);
}

/* The fields whose values are numbers: JSON numbers in json lines. */
static const char *const number_keys[] = {
    "kept", "created", "pruned", "failed", "deferred", "count", "exit", "http_status",
    "skew_seconds", "seconds", "pending", "lun",
};

static bool is_number_key(const char *key)
{
    for (size_t i = 0; i < sizeof number_keys / sizeof number_keys[0]; i++)
        if (strcmp(key, number_keys[i]) == 0)
            return true;
    return false;
}

/* A number field as a JSON number when it is one (else, never lost, as
 * the string it is). */
static void add_field(cJSON *o, const cli_log_field *f)
{
    char *end = NULL;
    bool num = is_number_key(f->key);
    double v = num ? strtod(f->value, &end) : 0;
    if (num && end != f->value && *end == '\0' && isfinite(v))
        cJSON_AddNumberToObject(o, f->key, v);
    else
        cJSON_AddStringToObject(o, f->key, f->value);
}

static void emit_json(cli_log *l, cli_log_level level, const char *event,
                      const cli_log_field *fields, size_t nfields, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    char t[ENG_TIME_BUFSZ];
    eng_time_format(cli_now(), t, sizeof t);
    cJSON_AddStringToObject(o, "time", t);
    cJSON_AddStringToObject(o, "level", level_word(level));
    cJSON_AddStringToObject(o, "command", l->command);
    cJSON_AddStringToObject(o, "event", event);
    cJSON_AddStringToObject(o, "msg", msg);
    for (size_t i = 0; i < nfields; i++)
        if (fields[i].value != NULL && fields[i].value[0] != '\0' &&
            !cJSON_HasObjectItem(o, fields[i].key))
            add_field(o, &fields[i]);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s != NULL) {
        fprintf(l->out, "%s\n", s);
        free(s);
    }
}

void cli_log_emit(cli_log *l, cli_log_level level, const char *event,
                  const cli_log_field *fields, size_t nfields, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    clear_progress(l);
    if (l->format == CLI_LOG_JSON)
        emit_json(l, level, event, fields, nfields, msg);
    else
        emit_text(l, level, fields, nfields, msg);
    draw_progress(l);
    fflush(l->out);
}

void cli_log_progress(cli_log *l, const char *what, size_t done, size_t total)
{
    if (!l->progress_ok)
        return;
    clear_progress(l);
    snprintf(l->progress, sizeof l->progress, "snapkeep: %s: %s %zu/%zu",
             l->command, what, done, total);
    l->progress_shown = true;
    draw_progress(l);
}

void cli_log_progress_end(cli_log *l)
{
    clear_progress(l);
    l->progress_shown = false;
    fflush(l->out);
}
