/* Running a drill's verify command: `sh -c CMD` in its own process group
 * with SNAPKEEP_* variables naming what it checks, a time limit, and its
 * output (stdout and stderr together) kept up to a cap. Its exit status is
 * the drill's verdict on the restored data. Also the wait for a disk's
 * device node to appear once it is attached. */
#ifndef SNAPKEEP_VERIFY_H
#define SNAPKEEP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

/* What a report keeps of the command's output. */
#define CLI_VERIFY_OUTPUT_MAX 4096

typedef struct cli_verify_env {
    const char *name;
    const char *value;
} cli_verify_env;

typedef struct cli_verify_result {
    bool ran;               /* the command started */
    bool timed_out;
    bool interrupted;       /* stopped because interrupted() said so */
    int exit_status;        /* 0..255; 128+N when killed by signal N; -1 not run */
    double seconds;
    char output[CLI_VERIFY_OUTPUT_MAX + 1];
    size_t output_len;
    bool output_cut;        /* more came than was kept */
    char error[256];        /* why it did not run */
} cli_verify_result;

/* Runs command with env added to snapkeep's environment, at most
 * timeout_s seconds (then SIGTERM to its process group, SIGKILL 5 s
 * later). interrupted (may be NULL) is polled; when it says true the
 * command is stopped the same way. Returns 0 when it ran (verdict in
 * out->exit_status), -1 when it could not be started (out->error). */
int cli_verify_run(const char *command, const cli_verify_env *env, size_t nenv,
                   double timeout_s, bool (*interrupted)(void), cli_verify_result *out);

/* Waits until path exists (polling every 100 ms) for up to timeout_s.
 * 0 when it appeared, 1 timed out, 2 interrupted. */
int cli_wait_for_path(const char *path, double timeout_s, bool (*interrupted)(void));

#endif
