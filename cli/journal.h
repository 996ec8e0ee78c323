/* The journal: JSON lines in STATE_DIR/journal.jsonl recording each
 * intended and completed change to Azure, so an interrupted command is
 * auditable and the next one can say what was left unfinished.
 *
 * Every line is one object, fsync'd before the change it announces is
 * sent:
 *   {"time":"...","run":"ID","command":"run","event":"start"}
 *   {"time":...,"run":...,"event":"intent","op":"delete","policy":"p",
 *    "disk":"/subscriptions/...","resource":"/subscriptions/.../snapshots/x"}
 *   {"time":...,"run":...,"event":"outcome","op":"delete","resource":...,
 *    "outcome":"done|failed|skipped|already-gone","request_id":"...",
 *    "error_code":"ScopeLocked","error":"..."}
 *   recovery steps add "vm" (the VM acted on) and, on outcomes, "seconds";
 *   their op is a step name (deallocate, detach, attach, tag-replaced, ...)
 *   {"time":...,"run":...,"event":"interrupted","prev_run":"ID",
 *    "pending":N}          (a later command noticed an unfinished one)
 *   {"time":...,"run":...,"event":"end","exit":0, ...summary counts}
 * `time` is the command's clock (--now plus elapsed time). A line cut
 * short by a crash is skipped by the reader. */
#ifndef SNAPKEEP_JOURNAL_H
#define SNAPKEEP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/state.h"
#include "engine/sktime.h"

#define CLI_JOURNAL_FILE "journal.jsonl"
/* Beyond this size cli_journal_rotate moves it to journal.jsonl.1. */
#define CLI_JOURNAL_ROTATE_BYTES (16L * 1024 * 1024)

typedef struct cli_journal {
    int fd;                 /* -1: closed (writes are no-ops that fail) */
    char run_id[64];
    char command[16];
    char path[4200];
} cli_journal;

/* One line; NULL/empty strings and the `exit` < 0 are left out. */
typedef struct cli_journal_entry {
    sk_time time;
    const char *event;      /* start, intent, outcome, interrupted, end, note */
    const char *op;         /* create, delete, create-disk, delete-disk */
    const char *policy;
    const char *disk;       /* source disk ID */
    const char *resource;   /* the snapshot or disk the op is about */
    const char *vm;         /* recovery steps: the VM acted on */
    const char *outcome;
    const char *request_id;
    const char *error_code;
    const char *error;
    const char *prev_run;   /* interrupted: the run that did not finish */
    const char *message;    /* note: free text */
    int64_t pending;        /* interrupted: intents without outcome; -1 none */
    int exit_code;          /* end: the exit code; -1 none */
    /* end: summary counts, -1 each to leave out */
    int64_t created, deleted, failed, deferred;
    double seconds;         /* outcome of a recovery step: its duration; < 0 none */
} cli_journal_entry;

/* An entry with every optional number unset. */
cli_journal_entry cli_journal_entry_init(sk_time time, const char *event);

/* Opens (creating, mode 0600) the journal of a locked state directory
 * and names this run "<UTC stamp>-<pid>". Does not write the start line.
 * Returns 0 or -1 with err. */
int cli_journal_open(cli_journal *j, const cli_state *st, const char *command,
                     sk_time now, char *err, size_t errlen);
/* Appends one line and fsyncs it. Returns 0, or -1 with err (the caller
 * must then not send the change the line announces). */
int cli_journal_write(cli_journal *j, const cli_journal_entry *e,
                      char *err, size_t errlen);
/* After the end line: moves a journal larger than the limit aside (the
 * one before is replaced), so the next command starts a fresh file and
 * no unfinished run is ever rotated away before it is reported. */
int cli_journal_rotate(cli_journal *j, char *err, size_t errlen);
void cli_journal_close(cli_journal *j);
/* The end of a command that writes nothing more than its exit code
 * there: the "end" line, then cli_journal_rotate; a failure is reported
 * (cli_err), it changes nothing more. */
void cli_journal_end(cli_journal *j, int exit_code);

/* An intent whose outcome never came, from a run that did not end. */
typedef struct cli_journal_pending {
    char run[64];
    char op[16];
    char policy[128];
    char resource[512];
    char time[40];
} cli_journal_pending;

typedef struct cli_journal_scan {
    char (*runs)[64];           /* runs that started and never ended */
    size_t nruns;
    cli_journal_pending *pending;
    size_t npending;
    size_t bad_lines;           /* lines that were not JSON objects */
} cli_journal_scan;

/* Reads a journal (a missing file is an empty journal) and reports the
 * runs that started but neither ended nor were already reported as
 * interrupted by a later run, with their intents that have no outcome.
 * Returns 0, or -1 with err. */
int cli_journal_scan_file(const char *path, cli_journal_scan *out,
                          char *err, size_t errlen);
/* The same over a journal in memory (`name` stands for the file in
 * messages; buf need not be NUL-terminated): the lines parsed as the file
 * reader parses them. */
int cli_journal_scan_buffer(const char *name, const char *buf, size_t len,
                            cli_journal_scan *out, char *err, size_t errlen);
void cli_journal_scan_free(cli_journal_scan *s);

#endif
