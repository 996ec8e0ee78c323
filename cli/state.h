/* The state directory of the commands that change Azure (run, restore,
 * drill): where their lock, journal and small state files live.
 *
 *   dir = --state-dir, else $STATE_DIRECTORY (systemd's StateDirectory=;
 *         the first entry when it lists several), else /var/lib/snapkeep
 *
 * The directory is created (mode 0700) when missing. One command at a time
 * per directory: cli_state_open takes an exclusive flock(2) on DIR/lock and
 * holds it until cli_state_close (or the process dies: the kernel drops
 * it, so a kill -9 never leaves a stale lock behind). */
#ifndef SNAPKEEP_STATE_H
#define SNAPKEEP_STATE_H

#include <stdbool.h>
#include <stddef.h>

#define CLI_STATE_DEFAULT_DIR "/var/lib/snapkeep"
#define CLI_STATE_LOCK "lock"

typedef struct cli_state {
    char *dir;
    int lock_fd;                /* -1 when not held */
} cli_state;

/* The directory to use for an optional --state-dir value (not copied). */
const char *cli_state_dir_for(const char *option);

/* Creates the directory when missing and takes the lock for `command`
 * ("run", "drill"...). Returns 0 with the lock held; 1 when another
 * process holds it (err says which: pid, command and start time as that
 * process wrote them); 2 when the directory is writable by others (see
 * cli_dir_check_private); -1 on any other error (err says what). */
int cli_state_open(cli_state *st, const char *dir, const char *command,
                   char *err, size_t errlen);
/* How every command reports that its state directory cannot be used
 * (cli_state_open's rc, or -1 for the journal in it): one line, "state
 * directory: WHY", on the command's log (event "locked", "unsafe",
 * "state" or "oom"), or as cli_err when log is NULL; and one exit code:
 * EXIT_REFUSED when the lock is held or the directory is writable by
 * others (rc 1, 2), EXIT_NOMEM when out of memory (cli/oom.h), else
 * EXIT_INVALID. */
struct cli_log;
int cli_state_failed(struct cli_log *log, int rc, const char *err);
/* Releases the lock and frees st's memory. Safe on a zeroed state. */
void cli_state_close(cli_state *st);

/* Whether dir is safe to write our files in: 0 when only its owner can
 * write it, or it is sticky and owned by us; 1 when group or others can
 * write it (err names it); -1 when it cannot be examined. */
int cli_dir_check_private(const char *dir, char *err, size_t errlen);
/* The same for the directory that holds path (a metrics file). */
int cli_file_dir_check_private(const char *path, char *err, size_t errlen);

/* DIR/name into buf; -1 when it does not fit. */
int cli_state_path(const cli_state *st, const char *name, char *buf, size_t n);
/* The same, saying so in err when it does not fit: "DIR/name: path too
 * long" (for cli_state_failed's "state directory: ..."). */
int cli_state_file(const cli_state *st, const char *name, char *buf, size_t n,
                   char *err, size_t errlen);

/* Reads a whole small file (NUL-terminated, at most max bytes). Returns 0
 * and a malloc'd *buf; 1 when it does not exist; -1 on error (err). */
int cli_read_file(const char *path, size_t max, char **buf, size_t *len,
                  char *err, size_t errlen);

/* A state record's text (last-run, last-success, the drill report) as
 * every reader parses it: the JSON object, or NULL with why naming path
 * ("PATH: not a JSON object") when it is anything else. */
struct cJSON;
struct cJSON *cli_state_parse_object(const char *path, const char *text, size_t len,
                                     char *why, size_t n);

/* Writes a file atomically: a temporary file in the same directory
 * (mkstemp: a new name, never a link followed), fsync, rename over
 * `path`, fsync of the directory. Readers see the old
 * content or the new, never a mix. Returns 0, or -1 with err. */
int cli_write_file_atomic(const char *path, const char *data, size_t len,
                          int mode, char *err, size_t errlen);

/* Per-policy times of the last full success, kept in the state directory
 * as one JSON object (policy name -> Unix seconds) so that a metric still
 * shows the last success after failed runs. Reads `file` (missing or
 * unreadable: an empty record; a corrupt one, that is not a JSON object, is
 * ignored and said in err), sets `now` for each name in `succeeded`,
 * and rewrites the file atomically when that changed anything. Returns the
 * record for the caller to read and cJSON_Delete (NULL only when out of
 * memory); err is empty unless the path or the write failed, or the
 * record was corrupt. */
struct cJSON *cli_state_last_success(const cli_state *st, const char *file,
                                     const char *const *succeeded, size_t nsucceeded,
                                     double now, char *err, size_t errlen);

#endif
