/* RFC 3339 instants <-> microseconds since the epoch, with no libc time
 * function: strptime/timegm accept too much and depend on TZ. */
#include "engine/sktime.h"

#include <stdbool.h>
#include <stdio.h>

#include "engine/calendar.h"

/* Reads exactly `n` digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c1, char c2)
{
    if (*i >= len || (s[*i] != c1 && s[*i] != c2))
        return false;
    (*i)++;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* ".fff...": any number of digits (RFC 3339 sets no limit), kept to the
 * microsecond, truncated. */
static bool fraction(const char *s, size_t len, size_t *i, int *usec)
{
    int ndig = 0, v = 0;
    *usec = 0;
    if (*i >= len || s[*i] != '.')
        return true;
    (*i)++;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (ndig < 6)
            v = v * 10 + (s[*i] - '0');
        ndig++;
        (*i)++;
    }
    if (ndig == 0)
        return false;
    for (int k = ndig; k < 6; k++)
        v *= 10;
    *usec = v;
    return true;
}

/* "Z", "z" or "+hh:mm"/"-hh:mm", as seconds east of UTC. */
static bool utc_offset(const char *s, size_t len, size_t *i, int *off)
{
    int hh, mm, sign;
    if (*i < len && (s[*i] == 'Z' || s[*i] == 'z')) {
        (*i)++;
        *off = 0;
        return true;
    }
    if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
        return false;
    sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    if (!digits(s, len, i, 2, &hh) || !expect(s, len, i, ':', ':') ||
        !digits(s, len, i, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *off = sign * (hh * 3600 + mm * 60);
    return true;
}

int eng_time_parse(const char *s, size_t len, sk_time *out)
{
    size_t i = 0;
    int y, mo, d, h, mi, sec, usec, off;

    if (!s || !digits(s, len, &i, 4, &y) || !expect(s, len, &i, '-', '-') ||
        !digits(s, len, &i, 2, &mo) || !expect(s, len, &i, '-', '-') ||
        !digits(s, len, &i, 2, &d) || !expect(s, len, &i, 'T', 't') ||
        !digits(s, len, &i, 2, &h) || !expect(s, len, &i, ':', ':') ||
        !digits(s, len, &i, 2, &mi) || !expect(s, len, &i, ':', ':') ||
        !digits(s, len, &i, 2, &sec) || !fraction(s, len, &i, &usec) ||
        !utc_offset(s, len, &i, &off) || i != len)
        return ENG_TIME_SYNTAX;
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || sec > 60)
        return ENG_TIME_SYNTAX;
    if (sec == 60) {
        /* A leap second ends a UTC day (RFC 3339 5.7), so its UTC minute is
         * 23:59 whatever the offset. Instants count no leap seconds: it is
         * kept as the last microsecond of its minute, after every other
         * instant of that minute and before the next. */
        if (((h * 60 + mi - off / 60) % 1440 + 1440) % 1440 != 1439)
            return ENG_TIME_SYNTAX;
        sec = 59;
        usec = (int)SK_USEC_PER_SEC - 1;
    }
    int64_t secs = eng_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    sk_time t = secs * SK_USEC_PER_SEC + usec;
    /* Year 0000, and an offset that takes a year-1 or year-9999 local time
     * past the ends, are RFC 3339 but not instants snapkeep can write. */
    if (t < SK_TIME_MIN || t > SK_TIME_MAX)
        return ENG_TIME_RANGE;
    *out = t;
    return 0;
}

size_t eng_time_format(sk_time t, char *buf, size_t n)
{
    int64_t secs = t / SK_USEC_PER_SEC, usec = t % SK_USEC_PER_SEC;
    if (usec < 0) {
        usec += SK_USEC_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t y;
    int m, d, r;
    eng_civil_from_days(days, &y, &m, &d);
    if (usec)
        r = snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d:%02d.%06dZ", (long long)y, m, d,
                     (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)usec);
    else
        r = snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
                     (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    if (r < 0) {
        if (n)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)r;
}
