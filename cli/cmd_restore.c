/* Placeholder until the command lands; exits with a usage error. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_restore(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("snapkeep: restore: not built yet\n", stderr);
    return EXIT_USAGE;
}
