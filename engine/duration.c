/* Policy durations: parsing, printing, bounds and subtraction from an
 * instant in a time zone. */
#include "engine/duration.h"

#include <stdio.h>
#include <string.h>

#include "engine/calendar.h"

enum { U_Y, U_MO, U_W, U_D, U_H, U_M, U_COUNT };

static const char *const unit_names[U_COUNT] = { "y", "mo", "w", "d", "h", "m" };
/* Longest real length of one unit, in seconds, for the 10000-year bound. */
static const int64_t unit_max_seconds[U_COUNT] = { 366 * 86400, 31 * 86400, 7 * 86400,
                                                   86400, 3600, 60 };

static int64_t *field(pol_duration *d, int u)
{
    int64_t *f[U_COUNT] = { &d->years, &d->months, &d->weeks, &d->days, &d->hours,
                            &d->minutes };
    return f[u];
}

static int64_t get(const pol_duration *d, int u)
{
    const int64_t v[U_COUNT] = { d->years, d->months, d->weeks, d->days, d->hours,
                                 d->minutes };
    return v[u];
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int unit_of(const char *s, size_t n)
{
    for (int u = 0; u < U_COUNT; u++)
        if (strlen(unit_names[u]) == n && memcmp(unit_names[u], s, n) == 0)
            return u;
    return -1;
}

static int fail(char *err, size_t errlen, const char *msg, const char *arg, size_t arglen)
{
    if (err && errlen) {
        if (arg)
            snprintf(err, errlen, "%s '%.*s'", msg, (int)(arglen > 20 ? 20 : arglen), arg);
        else
            snprintf(err, errlen, "%s", msg);
    }
    return -1;
}

/* "unknown unit 'D'", with the hint a capital letter needs: units are
 * lower case, and 'M' could mean minutes or months. */
static int unknown_unit(char *err, size_t errlen, const char *u, size_t n)
{
    char low[4] = "";
    for (size_t k = 0; k < n && n < sizeof low; k++)
        low[k] = (char)(u[k] >= 'A' && u[k] <= 'Z' ? u[k] - 'A' + 'a' : u[k]);
    low[n < sizeof low ? n : 0] = '\0';
    if (err == NULL || errlen == 0 || low[0] == '\0' || memcmp(low, u, n) == 0 ||
        unit_of(low, n) < 0)
        return fail(err, errlen, "unknown unit", u, n);
    if (strcmp(low, "m") == 0)
        snprintf(err, errlen, "unknown unit '%.*s': units are lower case: 'm' is minutes, "
                 "'mo' months", (int)n, u);
    else
        snprintf(err, errlen, "unknown unit '%.*s': units are lower case, write '%s'", (int)n,
                 u, low);
    return -1;
}

/* Bytes that would garble a terminal are shown escaped. */
static int unexpected(char *err, size_t errlen, char c)
{
    if (err && errlen) {
        if (c > ' ' && c < 127)
            snprintf(err, errlen, "unexpected character '%c'", c);
        else if (c == ' ')
            snprintf(err, errlen, "unexpected character ' '");
        else
            snprintf(err, errlen, "unexpected byte 0x%02x", (unsigned char)c);
    }
    return -1;
}

/* One <integer><unit> pair at s[*i]. */
static int parse_pair(const char *s, size_t len, size_t *i, pol_duration *out, bool seen[],
                      int64_t *value, char *err, size_t errlen)
{
    size_t start = *i;
    int64_t v = 0;
    if (!is_digit(s[*i]))
        return is_letter(s[*i]) ? fail(err, errlen, "expected a number before", s + *i, 1)
                                : unexpected(err, errlen, s[*i]);
    while (*i < len && is_digit(s[*i])) {
        int digit = s[(*i)++] - '0';
        if (v > (INT64_MAX - digit) / 10)
            return fail(err, errlen, "number too large", NULL, 0);
        v = v * 10 + digit;
    }
    size_t ustart = *i;
    while (*i < len && is_letter(s[*i]))
        (*i)++;
    if (*i == ustart)
        return *i == len ? fail(err, errlen, "missing unit after", s + start, *i - start)
                         : unexpected(err, errlen, s[*i]);
    int u = unit_of(s + ustart, *i - ustart);
    if (u < 0)
        return unknown_unit(err, errlen, s + ustart, *i - ustart);
    if (seen[u]) {
        char msg[32];
        snprintf(msg, sizeof msg, "unit '%s' given twice", unit_names[u]);
        return fail(err, errlen, msg, NULL, 0);
    }
    seen[u] = true;
    *field(out, u) = v;
    *value = v;
    return 0;
}

int pol_duration_parse(const char *s, size_t len, pol_duration *out, char *err,
                       size_t errlen)
{
    pol_duration d = { 0 };
    bool seen[U_COUNT] = { false };
    size_t i = 0;

    if (!s || len == 0)
        return fail(err, errlen, "empty duration", NULL, 0);
    size_t zero_at = len, zero_len = 0;
    while (i < len) {
        size_t start = i;
        int64_t v = 0;
        if (parse_pair(s, len, &i, &d, seen, &v, err, errlen) != 0)
            return -1;
        if (v == 0 && zero_at == len) {
            zero_at = start;
            zero_len = i - start;
        }
    }
    /* "0h" alone is a zero duration; "1d0h" names the bad pair */
    if (pol_duration_is_zero(&d))
        return fail(err, errlen, "zero duration", NULL, 0);
    if (zero_at != len)
        return fail(err, errlen, "count must be positive in", s + zero_at, zero_len);
    /* Each part alone within the bound keeps the sum below 6 x bound. */
    for (int u = 0; u < U_COUNT; u++)
        if (get(&d, u) > POL_DURATION_MAX_SECONDS / unit_max_seconds[u])
            return fail(err, errlen, "duration longer than 10000 years", NULL, 0);
    int64_t lo, hi;
    pol_duration_range(&d, 0, &lo, &hi);
    if (hi > POL_DURATION_MAX_SECONDS)
        return fail(err, errlen, "duration longer than 10000 years", NULL, 0);
    *out = d;
    return 0;
}

bool pol_duration_is_zero(const pol_duration *d)
{
    return !d->years && !d->months && !d->weeks && !d->days && !d->hours && !d->minutes;
}

bool pol_duration_is_calendar(const pol_duration *d)
{
    return d->years || d->months || d->weeks || d->days;
}

size_t pol_duration_format(const pol_duration *d, char *buf, size_t n)
{
    size_t len = 0;
    if (n)
        buf[0] = '\0';
    if (pol_duration_is_zero(d))
        return (size_t)snprintf(buf, n, "0m");
    for (int u = 0; u < U_COUNT; u++) {
        if (!get(d, u))
            continue;
        int r = snprintf(len < n ? buf + len : NULL, len < n ? n - len : 0, "%lld%s",
                         (long long)get(d, u), unit_names[u]);
        if (r > 0)
            len += (size_t)r;
    }
    return len;
}

int64_t pol_duration_fixed_usec(const pol_duration *d)
{
    return ((d->weeks * 7 + d->days) * 86400 + d->hours * 3600 + d->minutes * 60) *
           SK_USEC_PER_SEC;
}

void pol_duration_range(const pol_duration *d, int32_t max_shift, int64_t *min_seconds,
                        int64_t *max_seconds)
{
    int64_t fixed_days = d->weeks * 7 + d->days;
    int64_t cal_min = (d->years * 365 + d->months * 28 + fixed_days) * 86400;
    int64_t cal_max = (d->years * 366 + d->months * 31 + fixed_days) * 86400;
    int64_t exact = d->hours * 3600 + d->minutes * 60;
    if (pol_duration_is_calendar(d) && max_shift > 0) {
        cal_min = cal_min > max_shift ? cal_min - max_shift : 0;
        cal_max += max_shift;
    }
    *min_seconds = cal_min + exact;
    *max_seconds = cal_max + exact;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Subtracts s seconds from t (microseconds) without overflow, clamping at
 * SK_TIME_MIN. */
static sk_time sub_seconds(sk_time t, int64_t s)
{
    if (s < 0 || s > (t - SK_TIME_MIN) / SK_USEC_PER_SEC)
        return s < 0 ? t : SK_TIME_MIN;
    sk_time r = t - s * SK_USEC_PER_SEC;
    return r < SK_TIME_MIN ? SK_TIME_MIN : r;
}

/* Any calendar part this large reaches before year 1 from year 9999. */
static bool calendar_too_long(const pol_duration *d)
{
    return d->years >= 10000 || d->months >= 120000 || d->weeks >= 530000 ||
           d->days >= 3700000;
}

sk_time eng_time_sub(const eng_tz *tz, sk_time t, const pol_duration *d)
{
    int64_t exact;
    if (t > SK_TIME_MAX)
        t = SK_TIME_MAX;
    if (t < SK_TIME_MIN)
        t = SK_TIME_MIN;
    if (d->hours > INT64_MAX / 3600 || d->minutes > INT64_MAX / 60 ||
        d->hours * 3600 > INT64_MAX - d->minutes * 60)
        return SK_TIME_MIN;
    exact = d->hours * 3600 + d->minutes * 60;
    if (!pol_duration_is_calendar(d))
        return sub_seconds(t, exact);
    if (calendar_too_long(d))
        return SK_TIME_MIN;

    int64_t secs = floor_div(t, SK_USEC_PER_SEC);
    int64_t usec = t - secs * SK_USEC_PER_SEC;
    int64_t local = secs + eng_tz_offset(tz, secs);
    int64_t days = floor_div(local, 86400), sod = local - days * 86400;
    int64_t y;
    int m, dd;
    eng_civil_from_days(days, &y, &m, &dd);

    /* All calendar fields at once, then one normalisation, as timegm(3)
     * would: months first (carrying into years), then days. */
    int64_t mon = (int64_t)(m - 1) - d->months;
    y -= d->years;
    y += floor_div(mon, 12);
    mon -= floor_div(mon, 12) * 12;
    int64_t nd = eng_days_from_civil(y, (int)mon + 1, 1) + (dd - 1) - d->weeks * 7 - d->days;

    int64_t utc = eng_tz_local_to_utc(tz, nd * 86400 + sod);
    if (utc < SK_TIME_MIN / SK_USEC_PER_SEC)
        return SK_TIME_MIN;
    return sub_seconds(utc * SK_USEC_PER_SEC + usec, exact);
}
