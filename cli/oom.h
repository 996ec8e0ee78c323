/* Allocation failure, noticed once for the whole process. Every
 * allocation of snapkeep's own code (and of libcurl and cJSON, whose
 * allocators are pointed here) goes through the wrappers in cli/oom.c when
 * the binary is linked with OOM_LDFLAGS (GNU ld or lld --wrap); a failure
 * sets the latch, `run` then deletes nothing more and every command exits
 * EXIT_NOMEM. Code that sees an allocation fail also calls cli_oom_note,
 * so the latch holds on a linker without --wrap too. */
#ifndef SNAPKEEP_OOM_H
#define SNAPKEEP_OOM_H

#include <stdbool.h>
#include <stddef.h>

void cli_oom_note(void);
bool cli_oom_seen(void);
/* How an allocation failure met on the way to Azure is said: "out of
 * memory (WHAT)", never as an Azure failure. This is WHAT for a message
 * that may start with the command's own name ("release: reading the
 * disk"), without it. */
const char *cli_oom_context(const char *what);

/* Clears the latch (tests). */
void cli_oom_reset(void);

/* Tests only: when set, consulted before every wrapped allocation; true
 * makes that allocation fail (tests/support/failmalloc.c). NULL in the
 * binary. */
extern bool (*cli_oom_fail_hook)(void);

/* The wrappers --wrap routes malloc, calloc, realloc, strdup and strndup to. */
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

#endif
