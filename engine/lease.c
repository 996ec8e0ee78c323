/* The run lease's decisions: see lease.h. */
#include "engine/lease.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sktime.h"

static bool host_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-';
}

static bool run_char(char c)
{
    return host_char(c) || c == '_' || c == ':';
}

int eng_lease_tag_name(const char *policy, char *buf, size_t n)
{
    if (n < ENG_LEASE_NAME_MAX + 1)
        return -1;
    size_t k = strlen(ENG_LEASE_TAG_PREFIX);
    memcpy(buf, ENG_LEASE_TAG_PREFIX, k);
    for (const char *p = policy; *p != '\0' && k < ENG_LEASE_NAME_MAX; p++) {
        unsigned char c = (unsigned char)*p;
        buf[k++] = c < 0x20 || c == 0x7f || strchr("<>%&\\?/", c) != NULL ? '_' : (char)c;
    }
    buf[k] = '\0';
    return (int)k;
}

int eng_lease_format(const eng_lease *l, char *buf, size_t n)
{
    char host[ENG_LEASE_HOST_MAX + 1], run[sizeof l->run], exp[ENG_TIME_BUFSZ];
    size_t i;
    for (i = 0; i < ENG_LEASE_HOST_MAX && l->host[i] != '\0'; i++)
        host[i] = host_char(l->host[i]) ? l->host[i] : '_';
    host[i] = '\0';
    if (i == 0)
        strcpy(host, "_");
    size_t k = 0;
    for (i = 0; i + 1 < sizeof run && l->run[i] != '\0'; i++)
        if (run_char(l->run[i]))
            run[k++] = l->run[i];
    run[k] = '\0';
    if (k == 0 || l->pid < 0 || l->expires < 0 ||
        l->expires > SK_TIME_MAX / SK_USEC_PER_SEC)
        return -1;
    eng_time_format(l->expires * SK_USEC_PER_SEC, exp, sizeof exp);
    int len = snprintf(buf, n, "host=%s pid=%" PRId64 " run=%s expires=%s", host, l->pid, run,
                       exp);
    return len < 0 || (size_t)len >= n || len > ENG_LEASE_VALUE_MAX ? -1 : len;
}

/* "key=" at *p: the value up to the next space into out (room n). */
static int field(const char **p, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    if (strncmp(*p, key, kl) != 0)
        return -1;
    const char *v = *p + kl, *end = strchr(v, ' ');
    size_t len = end != NULL ? (size_t)(end - v) : strlen(v);
    if (len == 0 || len >= n)
        return -1;
    memcpy(out, v, len);
    out[len] = '\0';
    *p = end != NULL ? end + 1 : v + len;
    return 0;
}

int eng_lease_parse(const char *value, eng_lease *out)
{
    eng_lease l;
    memset(&l, 0, sizeof l);
    char pid[24], exp[ENG_TIME_BUFSZ];
    const char *p = value;
    if (value == NULL || strlen(value) > ENG_LEASE_VALUE_MAX || field(&p, "host=", l.host, sizeof l.host) != 0 ||
        field(&p, "pid=", pid, sizeof pid) != 0 || field(&p, "run=", l.run, sizeof l.run) != 0 ||
        field(&p, "expires=", exp, sizeof exp) != 0 || *p != '\0')
        return -1;
    for (const char *c = pid; *c != '\0'; c++)
        if (*c < '0' || *c > '9')
            return -1;
    l.pid = strtoll(pid, NULL, 10);
    sk_time t;
    if (eng_time_parse(exp, strlen(exp), &t) != 0 || t < 0)
        return -1;
    l.expires = t / SK_USEC_PER_SEC;
    *out = l;
    return 0;
}

eng_lease_state eng_lease_judge(const char *value, const char *ours, int64_t arm_now,
                                eng_lease *holder)
{
    if (value == NULL)
        return ENG_LEASE_FREE;
    if (ours != NULL && strcmp(value, ours) == 0)
        return ENG_LEASE_OURS;
    eng_lease l;
    if (eng_lease_parse(value, &l) != 0)
        return ENG_LEASE_UNREADABLE;
    if (holder != NULL)
        *holder = l;
    /* ARM's Date counts whole seconds: a lease is over only when even the
     * latest instant that Date could stand for is past its end */
    return arm_now > l.expires + 1 ? ENG_LEASE_EXPIRED : ENG_LEASE_HELD;
}

bool eng_lease_write_in_time(int64_t read_to_written_ms, int64_t wait_ms)
{
    return read_to_written_ms >= 0 && read_to_written_ms <= wait_ms / 2;
}

bool eng_lease_valid(int64_t since_write_ms)
{
    return since_write_ms >= 0 &&
           since_write_ms < (int64_t)(ENG_LEASE_TTL_SEC - ENG_LEASE_MARGIN_SEC) * 1000;
}

bool eng_lease_renew_due(int64_t since_write_ms)
{
    return since_write_ms >= (int64_t)ENG_LEASE_RENEW_SEC * 1000;
}
