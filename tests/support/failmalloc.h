/* The failing-malloc hook of the unit tests (libssh's torture tests are the
 * model). Test binaries are linked with OOM_LDFLAGS, so every allocation
 * of snapkeep's code goes through cli/oom_wrap.c, which asks this hook
 * whether to fail it. fm_arm(n) makes the n-th allocation from now fail
 * (that one only: the code must notice, not just stop); fm_fired() says
 * whether it came. fm_torture drives an operation for n = 1, 2, ... until
 * an armed run no longer reaches a failure. */
#ifndef SNAPKEEP_TESTS_FAILMALLOC_H
#define SNAPKEEP_TESTS_FAILMALLOC_H

#include <stdbool.h>
#include <stddef.h>

void fm_arm(size_t n);
void fm_disarm(void);
bool fm_fired(void);
/* Wrapped allocations since the last fm_arm (or fm_count_reset). */
size_t fm_count(void);

/* One attempt of an operation under test: 0 when it succeeded, -1 when it
 * reported a failure (with its message in err when it has one). It must
 * free everything it made either way. */
typedef int (*fm_op)(void *ctx, char *err, size_t errlen);

typedef struct fm_result {
    bool finished;          /* a run went through without reaching its n */
    size_t reachable;       /* allocations the operation makes */
    size_t tried;           /* armed runs whose allocation failed */
    size_t failed_as_told;  /* ... and that reported the failure */
    size_t first_bad;       /* 0, or the first n whose failure was swallowed */
    char bad_err[256];
} fm_result;

/* Runs op for n = 1, 1 + step, 1 + 2 step, ... up to max, or until it
 * succeeds without reaching the n-th allocation (step 1: every
 * allocation; a larger step samples an operation too long to fail at each
 * one). A run whose armed allocation failed must return -1 with a
 * non-empty err when want_message is set. */
fm_result fm_torture(fm_op op, void *ctx, size_t max, size_t step, bool want_message);

#endif
