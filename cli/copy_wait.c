/* Waiting for a background copy; see copy_wait.h. */
#include "cli/copy_wait.h"

#include <stdio.h>
#include <time.h>

#include "cli/azure_opts.h"
#include "cli/exit.h"
#include "engine/enforce.h"

void cli_copy_note(const char *who, const inv_snapshot *pending, const inv_snapshot *instead)
{
    char when[ENG_TIME_BUFSZ];
    fprintf(stderr, "snapkeep: %s: snapshot %s is still being copied (completionPercent %g): "
            "it cannot make a disk yet", who, pending->name, pending->completion_percent);
    if (instead != NULL) {
        eng_time_format(instead->created, when, sizeof when);
        fprintf(stderr, "; using %s (%s) instead", instead->name, when);
    }
    fputs("; --wait waits for its copy to finish\n", stderr);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int cli_copy_wait(az_client *c, const char *who, const char *id, inv_inventory *into,
                  const inv_snapshot **out)
{
    long delay = CLI_COPY_POLL_FIRST_MS;
    double last = -1;
    time_t deadline = time(NULL) + CLI_COPY_WAIT_MAX_SEC;
    for (;;) {
        inv_snapshot *s = NULL;
        az_error err;
        int got = az_get_snapshot(c, id, into, &s, &err);
        if (got < 0) {
            cli_print_az_error("reading the snapshot being copied", &err);
            return EXIT_AZURE;
        }
        if (got == 0 || !enf_snapshot_taken(s)) {
            fprintf(stderr, "snapkeep: %s: snapshot %s %s while its copy was awaited\n", who,
                    id, got == 0 ? "was deleted" : s->copy_error_code != NULL
                    ? "failed its copy" : "failed");
            if (got == 1 && s->copy_error_code != NULL)
                fprintf(stderr, "snapkeep: %s: copyCompletionError %s: %s\n", who,
                        s->copy_error_code, s->copy_error_message ? s->copy_error_message : "");
            return EXIT_PARTIAL;
        }
        if (enf_snapshot_usable(s)) {
            fprintf(stderr, "snapkeep: %s: snapshot %s: copy finished\n", who, s->name);
            *out = s;
            return EXIT_OK;
        }
        if (s->completion_percent != last)
            fprintf(stderr, "snapkeep: %s: waiting for snapshot %s: completionPercent %g\n",
                    who, s->name, s->completion_percent);
        last = s->completion_percent;
        if (time(NULL) >= deadline) {
            fprintf(stderr, "snapkeep: %s: snapshot %s: still copying after %d hours: "
                    "gave up waiting\n", who, s->name, CLI_COPY_WAIT_MAX_SEC / 3600);
            return EXIT_INVALID;
        }
        sleep_ms(delay);
        delay = delay * 2 > CLI_COPY_POLL_MAX_MS ? CLI_COPY_POLL_MAX_MS : delay * 2;
    }
}
