/* Exit codes: the same for every command; documented in snapkeep(1). */
#ifndef SNAPKEEP_EXIT_H
#define SNAPKEEP_EXIT_H

enum cli_exit {
    EXIT_OK      = 0,   /* everything done */
    EXIT_INVALID = 1,   /* invalid policy or input */
    EXIT_USAGE   = 2,   /* bad command line */
    EXIT_AZURE   = 3,   /* Azure or network failure stopped the work */
    EXIT_PARTIAL = 4,   /* finished, but some actions failed or were refused */
    EXIT_STALE   = 5,   /* snapshot creation looks stalled; nothing pruned */
    EXIT_REFUSED = 6,   /* refused by a safety rail (clock skew, lock held) */
    EXIT_NOMEM   = 7    /* an allocation failed (cli/oom.h); run deleted nothing after it */
};

#endif
