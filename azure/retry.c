/* Retry decisions, kept pure so a table of cases can pin them down:
 * 429 and transient 5xx and lost connections are retried with capped
 * exponential backoff and jitter, Retry-After is honoured, and a request
 * gives up after max_attempts or once its time budget is spent. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/az_internal.h"
#include "engine/calendar.h"

bool az_retry_retryable(int status, bool transport)
{
    if (transport || status == 0)
        return true;
    return status == 408 || status == 429 || status == 500 || status == 502 ||
           status == 503 || status == 504;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate, the form HTTP/1.1 sends). */
int az_http_date(const char *s, int64_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4];
    int d, y, hh, mm, ss, n = 0;
    const char *comma = strchr(s, ',');
    if (comma == NULL)
        return -1;
    if (sscanf(comma + 1, " %d %3s %d %d:%d:%d GMT%n", &d, mon, &y, &hh, &mm, &ss, &n) != 6
        || n == 0)
        return -1;
    const char *p = strstr(months, mon);
    if (strlen(mon) != 3 || p == NULL || (p - months) % 3 != 0)
        return -1;
    int m = (int)((p - months) / 3) + 1;
    if (d < 1 || d > 31 || y < 1970 || y > 9999 || hh > 23 || mm > 59 || ss > 60 ||
        hh < 0 || mm < 0 || ss < 0)
        return -1;
    *out = eng_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

int64_t az_retry_after_ms(const char *value, int64_t now_s)
{
    if (value == NULL)
        return -1;
    while (*value == ' ')
        value++;
    if (*value == '\0')
        return -1;
    if (isdigit((unsigned char)*value)) {
        char *end;
        unsigned long long v = strtoull(value, &end, 10);
        while (*end == ' ')
            end++;
        if (*end != '\0')
            return -1;
        if (v > 86400)       /* a day is as long as anything sensible waits */
            v = 86400;
        return (int64_t)v * 1000;
    }
    int64_t when;
    if (az_http_date(value, &when) != 0)
        return -1;
    return when <= now_s ? 0 : (when - now_s > 86400 ? 86400000 : (when - now_s) * 1000);
}

int64_t az_retry_delay_ms(const az_retry_policy *p, int attempt,
                          int64_t retry_after_ms, uint64_t rnd)
{
    int64_t ceiling = p->base_ms > 0 ? p->base_ms : 1;
    for (int i = 1; i < attempt && ceiling < p->cap_ms; i++)
        ceiling *= 2;
    if (ceiling > p->cap_ms)
        ceiling = p->cap_ms;
    /* "equal jitter": at least half the ceiling, so backoff still grows,
     * and a random rest, so parallel clients spread out */
    int64_t half = ceiling / 2;
    int64_t delay = half + (half > 0 ? (int64_t)(rnd % (uint64_t)(half + 1)) : 0);
    if (retry_after_ms >= 0) {
        /* never earlier than the server asked; a little jitter on top keeps
         * every throttled request from coming back in the same instant */
        int64_t spread = retry_after_ms / 10 + 1;
        delay = retry_after_ms + (int64_t)(rnd % (uint64_t)spread);
    }
    return delay;
}

bool az_retry_decide(const az_retry_policy *p, int attempt, int status,
                     bool transport, int64_t retry_after_ms,
                     int64_t elapsed_ms, uint64_t rnd, int64_t *delay_ms)
{
    int max = p->max_attempts;
    if (max <= 0 || max > AZ_DEFAULT_ATTEMPTS)
        max = AZ_DEFAULT_ATTEMPTS;
    *delay_ms = 0;
    if (!az_retry_retryable(status, transport) || attempt >= max)
        return false;
    int64_t d = az_retry_delay_ms(p, attempt, retry_after_ms, rnd);
    if (elapsed_ms + d > p->budget_ms)
        return false;
    *delay_ms = d;
    return true;
}
