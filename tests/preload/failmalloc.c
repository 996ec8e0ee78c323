/* LD_PRELOAD shim for the integration test of allocation failure in
 * `snapkeep run` (tests/integration/run_oom.sh); built by the Makefile as
 * $(BUILD)/tests/failmalloc.so, never part of snapkeep.
 *
 *   SNAPKEEP_FAIL_MALLOC_AT=N      the N-th allocation made by snapkeep's
 *                                  own code fails (that one only)
 *   SNAPKEEP_FAIL_MALLOC_MARK=F    when it does, a JSON line
 *                                  {"event":"failmalloc","n":N} is appended
 *                                  to F (the test names the run's journal, so
 *                                  the line sits among the journal's
 *                                  intents in the order things happened)
 *   SNAPKEEP_FAIL_MALLOC_COUNT=F   at exit, the number of allocations counted
 *
 * "Snapkeep's own" is an allocation called from the main executable: with
 * OOM_LDFLAGS those all come from cli/oom_wrap.c, which libcurl and cJSON
 * allocate through too. The C library's and OpenSSL's internal
 * allocations are passed through uncounted: snapkeep cannot see those, and
 * failing them would test the libraries, not snapkeep. glibc only
 * (__libc_malloc and friends reach the real allocator without dlsym,
 * which itself allocates). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

#define MAX_RANGES 8

static struct { uintptr_t lo, hi; } ranges[MAX_RANGES];
static size_t nranges;
static size_t fail_at;
static atomic_size_t counted;
static const char *mark_path, *count_path;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    for (int i = 0; i < info->dlpi_phnum && nranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            ranges[nranges].lo = info->dlpi_addr + ph->p_vaddr;
            ranges[nranges].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            nranges++;
        }
    }
    return 1;       /* the first object is the executable: stop */
}

__attribute__((constructor)) static void fm_init(void)
{
    const char *at = getenv("SNAPKEEP_FAIL_MALLOC_AT");
    fail_at = at != NULL ? (size_t)strtoull(at, NULL, 10) : 0;
    mark_path = getenv("SNAPKEEP_FAIL_MALLOC_MARK");
    count_path = getenv("SNAPKEEP_FAIL_MALLOC_COUNT");
    dl_iterate_phdr(first_object, NULL);
}

__attribute__((destructor)) static void fm_fini(void)
{
    if (count_path == NULL)
        return;
    char line[32];
    int len = snprintf(line, sizeof line, "%zu\n", atomic_load(&counted));
    int fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, line, (size_t)len) != len)
            (void)0;    /* the test sees a missing count */
        close(fd);
    }
}

static bool from_executable(const void *caller)
{
    uintptr_t a = (uintptr_t)caller;
    for (size_t i = 0; i < nranges; i++)
        if (a >= ranges[i].lo && a < ranges[i].hi)
            return true;
    return false;
}

/* Whether this allocation (made from caller) is the one to fail. */
static bool fail_this(const void *caller)
{
    if (!from_executable(caller))
        return false;
    size_t n = atomic_fetch_add(&counted, 1) + 1;
    if (fail_at == 0 || n != fail_at)
        return false;
    char line[96];
    int len = snprintf(line, sizeof line, "{\"event\":\"failmalloc\",\"n\":%zu}\n", n);
    if (mark_path != NULL) {
        int fd = open(mark_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (write(fd, line, (size_t)len) != len)
                (void)0;
            close(fd);
        }
    }
    if (write(STDERR_FILENO, "failmalloc: ", 12) != 12 || write(STDERR_FILENO, line, (size_t)len) != len)
        (void)0;
    errno = ENOMEM;
    return true;
}

void *malloc(size_t n)
{
    return fail_this(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    return fail_this(__builtin_return_address(0)) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (p != NULL && n == 0)
        return __libc_realloc(p, n);
    return fail_this(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}
