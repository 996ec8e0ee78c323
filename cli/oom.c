/* The allocation-failure latch: see oom.h. The wrappers are in
 * cli/oom_wrap.c, linked only where --wrap routes allocations to them. */
#include <stdatomic.h>

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
