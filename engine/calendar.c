/* Civil dates and calendar buckets. The date algorithms are Howard
 * Hinnant's (http://howardhinnant.github.io/date_algorithms.html): exact
 * for the whole proleptic Gregorian calendar, negative years included, with
 * no table and no libc time function. */
#include "engine/calendar.h"

#include <stdio.h>

/* Floor division and modulo: C's `/` truncates towards zero, which puts
 * instants before 1970 in the wrong bucket. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

int64_t eng_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                               /* [0, 399] */
    int64_t mp = (m + 9) % 12;                                 /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;                  /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;       /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void eng_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    days += 719468;
    int64_t era = floor_div(days, 146097);
    int64_t doe = days - era * 146097;                         /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);     /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                          /* [0, 11] */
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

/* Local wall-clock seconds since 1970-01-01T00:00 in tz. */
static int64_t local_seconds(const eng_tz *tz, sk_time t)
{
    int64_t s = floor_div(t, SK_USEC_PER_SEC);
    return s + eng_tz_offset(tz, s);
}

/* ISO weeks are numbered from Monday; 1970-01-01 was a Thursday, so day 0
 * belongs to the week whose Monday is day -3. */
static int64_t week_of_days(int64_t days)
{
    return floor_div(days + 3, 7);
}

int64_t eng_bucket(eng_period p, const eng_tz *tz, sk_time t)
{
    int64_t local = local_seconds(tz, t);
    int64_t days = floor_div(local, 86400);
    int64_t y;
    int m, d;

    switch (p) {
    case ENG_HOUR:
        /* Local seconds / 3600: the hour repeated when clocks go back maps
         * to one key, and a 30-minute shift widens or narrows one hour. */
        return floor_div(local, 3600);
    case ENG_DAY:
        return days;
    case ENG_WEEK:
        return week_of_days(days);
    case ENG_MONTH:
        eng_civil_from_days(days, &y, &m, &d);
        return y * 12 + (m - 1);
    case ENG_YEAR:
        eng_civil_from_days(days, &y, &m, &d);
        return y;
    }
    return 0;
}

static size_t put(char *buf, size_t n, int r)
{
    if (r < 0) {
        if (n > 0)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)r;
}

/* ISO 8601 week-year and week of the week whose Monday is `monday`: the
 * week belongs to the year holding its Thursday. */
static void iso_week(int64_t monday, int64_t *wy, int *wk)
{
    int64_t thursday = monday + 3;
    int m, d;
    eng_civil_from_days(thursday, wy, &m, &d);
    int64_t jan1 = eng_days_from_civil(*wy, 1, 1);
    *wk = (int)((thursday - jan1) / 7 + 1);
}

size_t eng_bucket_label(eng_period p, int64_t key, char *buf, size_t n)
{
    int64_t y;
    int m, d, wk;

    switch (p) {
    case ENG_HOUR:
        eng_civil_from_days(floor_div(key, 24), &y, &m, &d);
        return put(buf, n, snprintf(buf, n, "%04lld-%02d-%02dT%02d:00",
                                    (long long)y, m, d, (int)floor_mod(key, 24)));
    case ENG_DAY:
        eng_civil_from_days(key, &y, &m, &d);
        return put(buf, n, snprintf(buf, n, "%04lld-%02d-%02d", (long long)y, m, d));
    case ENG_WEEK:
        iso_week(key * 7 - 3, &y, &wk);
        return put(buf, n, snprintf(buf, n, "%04lld-W%02d", (long long)y, wk));
    case ENG_MONTH:
        return put(buf, n, snprintf(buf, n, "%04lld-%02d", (long long)floor_div(key, 12),
                                    (int)floor_mod(key, 12) + 1));
    case ENG_YEAR:
        return put(buf, n, snprintf(buf, n, "%04lld", (long long)key));
    }
    return put(buf, n, snprintf(buf, n, "?"));
}

size_t eng_bucket_label_tz(eng_period p, const eng_tz *tz, int64_t key, char *buf, size_t n)
{
    size_t len = eng_bucket_label(p, key, buf, n);
    if (p != ENG_HOUR || tz == NULL || len == 0 || len >= n)
        return len;
    int32_t off = eng_tz_offset(tz, eng_tz_local_to_utc(tz, key * 3600));
    if (off == 0)
        return len + put(buf + len, n - len, snprintf(buf + len, n - len, "Z"));
    int32_t a = off < 0 ? -off : off;
    return len + put(buf + len, n - len, snprintf(buf + len, n - len, "%c%02d:%02d",
                                                  off < 0 ? '-' : '+', (int)(a / 3600),
                                                  (int)(a / 60 % 60)));
}

int64_t eng_every_bucket(sk_time t, int64_t width_usec)
{
    if (width_usec <= 0)
        return 0;
    return floor_div(t, width_usec);
}

size_t eng_every_label(int64_t key, int64_t width_usec, char *buf, size_t n)
{
    int64_t start = floor_div(key * width_usec, SK_USEC_PER_SEC);
    int64_t days = floor_div(start, 86400), sod = floor_mod(start, 86400);
    int64_t y;
    int m, d;

    eng_civil_from_days(days, &y, &m, &d);
    return put(buf, n, snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02dZ", (long long)y, m, d,
                                (int)(sod / 3600), (int)(sod / 60 % 60)));
}

const char *eng_period_adjective(eng_period p)
{
    static const char *const names[] = { "hourly", "daily", "weekly", "monthly", "yearly" };
    return (unsigned)p < 5 ? names[p] : "?";
}

const char *eng_period_noun(eng_period p)
{
    static const char *const names[] = { "hour", "day", "week", "month", "year" };
    return (unsigned)p < 5 ? names[p] : "?";
}
