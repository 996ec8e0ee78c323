/* The allocation wrappers --wrap routes to (see oom.h). They only watch:
 * they call the C library's allocator (__real_*) and note a NULL for a
 * non-empty request. strdup and strndup are built on malloc here rather
 * than wrapped around libc's, so their allocation is one the latch and the
 * test hook see. Linked only when OOM_LDFLAGS names them: nothing else
 * refers to this file, so without --wrap it stays out of the binary. */
#include <string.h>

#include "cli/oom.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static bool fail_now(void)
{
    return cli_oom_fail_hook != NULL && cli_oom_fail_hook();
}

/* A NULL for an empty request is not a failure (malloc(0) may give one). */
static void *noted(void *p, bool nonempty)
{
    if (p == NULL && nonempty)
        cli_oom_note();
    return p;
}

void *__wrap_malloc(size_t n)
{
    return noted(fail_now() ? NULL : __real_malloc(n), n != 0);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return noted(fail_now() ? NULL : __real_calloc(n, size), n != 0 && size != 0);
}

void *__wrap_realloc(void *p, size_t n)
{
    /* realloc(p, 0) may return NULL after freeing p: not a failure */
    if (n == 0 && p != NULL)
        return __real_realloc(p, n);
    return noted(fail_now() ? NULL : __real_realloc(p, n), n != 0);
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    return d != NULL ? memcpy(d, s, n) : NULL;
}

char *__wrap_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = __wrap_malloc(len + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}
