/* Operator log on stderr for commands that act (run, restore, drill): one
 * line per action, as text or JSON lines (--log-format text|json), and on
 * a terminal a progress line that later lines overwrite and redraw.
 *
 * text:  snapkeep: run: warning: MESSAGE (key=value key="two words")
 * json:  {"time":"...","level":"warning","command":"run","event":"stale",
 *         "msg":"MESSAGE","key":"value",...}
 */
#ifndef SNAPKEEP_LOG_H
#define SNAPKEEP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum cli_log_format { CLI_LOG_TEXT, CLI_LOG_JSON } cli_log_format;
typedef enum cli_log_level { CLI_LOG_INFO, CLI_LOG_WARN, CLI_LOG_ERROR } cli_log_level;

typedef struct cli_log_field {
    const char *key;
    const char *value;      /* NULL or "": the field is left out */
} cli_log_field;
/* In json lines the fields that hold counts, codes and seconds ("kept",
 * "exit", "http_status", "seconds", ... : the list is in log.c) are JSON
 * numbers, the others strings. */

typedef struct cli_log {
    cli_log_format format;
    FILE *out;
    char command[16];
    bool progress_ok;       /* out is a terminal and format is text */
    bool progress_shown;
    char progress[160];
} cli_log;

/* --log-format: "text" or "json"; -1 for anything else, reported as
 * every option of a few words is (cli_pick). */
int cli_log_parse_format(const char *s, cli_log_format *out);
void cli_log_init(cli_log *l, const char *command, cli_log_format format, FILE *out);

/* One line. `event` is a short stable word for machines ("delete",
 * "create", "stale", "summary"...); the message is for people. */
#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
void cli_log_emit(cli_log *l, cli_log_level level, const char *event,
                  const cli_log_field *fields, size_t nfields, const char *fmt, ...);

/* "deleting 12/40" on a terminal (nothing otherwise); cleared by
 * cli_log_progress_end. */
void cli_log_progress(cli_log *l, const char *what, size_t done, size_t total);
void cli_log_progress_end(cli_log *l);

#endif
