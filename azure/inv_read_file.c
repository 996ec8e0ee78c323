/* inv_read_file: the whole file in one buffer, parsed in one pass, the
 * buffer freed before the plan is made (records keep their own copies). A
 * pipe or /dev/stdin works too (`--inventory <(az snapshot list)`). */
#include "azure/inventory_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads fd to its end into a malloc'd buffer. Returns 0, or an errno. */
static int slurp(int fd, char **out, size_t *outlen)
{
    struct stat st;
    size_t cap = 1 << 16, len = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((uintmax_t)st.st_size >= SIZE_MAX)
            return EFBIG;
        cap = (size_t)st.st_size + 1;   /* +1: the end is seen without a regrow */
    }
    char *buf = malloc(cap);
    if (!buf)
        return ENOMEM;
    for (;;) {
        if (len == cap) {
            if (cap > SIZE_MAX / 2) {
                free(buf);
                return EFBIG;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - len;
        ssize_t n = read(fd, buf + len, want > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

int inv_read_file(const char *path, inv_inventory **out, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0;
    int e = slurp(fd, &buf, &len);
    close(fd);
    if (e) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return -1;
    }
    int rc = inv_read_buffer(path, buf, len, out, err, errlen);
    free(buf);
    return rc;
}
