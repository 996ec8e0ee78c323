/* The allocation-failure latch: see oom.h. The wrappers are in
 * cli/oom_wrap.c, linked only where --wrap routes allocations to them. */
#include <stdatomic.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/oom.h"

/* Atomic: libcurl's threaded resolver allocates off the main thread. */
static atomic_bool oom_seen;

bool (*cli_oom_fail_hook)(void);

void cli_oom_note(void)
{
    atomic_store(&oom_seen, true);
}

bool cli_oom_seen(void)
{
    return atomic_load(&oom_seen);
}

void cli_oom_reset(void)
{
    atomic_store(&oom_seen, false);
}

const char *cli_oom_context(const char *what)
{
    const char *cmd = cli_command_name();
    size_t n = cmd != NULL ? strlen(cmd) : 0;
    if (n > 0 && strncmp(what, cmd, n) == 0 && what[n] == ':' && what[n + 1] == ' ')
        return what + n + 2;
    return what;
}
