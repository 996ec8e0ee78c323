/* POSIX TZ rule strings: parsing and the transitions they imply. */
#include "engine/tz_posix.h"

#include "engine/calendar.h"

typedef struct cursor {
    const char *s;
    size_t len, i;
} cursor;

static int peek(const cursor *c)
{
    return c->i < c->len ? (unsigned char)c->s[c->i] : -1;
}

static bool is_alpha(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* "CET", or the quoted form "<+0545>" that allows digits and signs. */
static bool parse_name(cursor *c)
{
    size_t n = 0;
    if (peek(c) == '<') {
        c->i++;
        while (is_alpha(peek(c)) || is_digit(peek(c)) || peek(c) == '+' || peek(c) == '-') {
            c->i++;
            n++;
        }
        if (peek(c) != '>')
            return false;
        c->i++;
        return n >= 3;
    }
    while (is_alpha(peek(c))) {
        c->i++;
        n++;
    }
    return n >= 3;
}

static bool parse_num(cursor *c, int maxdig, int max, int *out)
{
    int v = 0, n = 0;
    while (is_digit(peek(c)) && n < maxdig) {
        v = v * 10 + (peek(c) - '0');
        c->i++;
        n++;
    }
    if (n == 0 || is_digit(peek(c)) || v > max)
        return false;
    *out = v;
    return true;
}

/* [+-]hh[:mm[:ss]] in seconds; max_hours bounds hh (24 for offsets, 167
 * for rule times). */
static bool parse_hms(cursor *c, int max_hours, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (peek(c) == '+' || peek(c) == '-') {
        sign = peek(c) == '-' ? -1 : 1;
        c->i++;
    }
    if (!parse_num(c, 3, max_hours, &h))
        return false;
    if (peek(c) == ':') {
        c->i++;
        if (!parse_num(c, 2, 59, &m))
            return false;
        if (peek(c) == ':') {
            c->i++;
            if (!parse_num(c, 2, 59, &s))
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool parse_date(cursor *c, tz_posix_date *d)
{
    d->time = 7200;     /* POSIX default: 02:00 */
    d->month = d->week = 0;
    if (peek(c) == 'J') {
        c->i++;
        d->kind = 'J';
        if (!parse_num(c, 3, 365, &d->day) || d->day < 1)
            return false;
    } else if (peek(c) == 'M') {
        c->i++;
        d->kind = 'M';
        if (!parse_num(c, 2, 12, &d->month) || d->month < 1 || peek(c) != '.')
            return false;
        c->i++;
        if (!parse_num(c, 1, 5, &d->week) || d->week < 1 || peek(c) != '.')
            return false;
        c->i++;
        if (!parse_num(c, 1, 6, &d->day))
            return false;
    } else {
        d->kind = 'N';
        if (!parse_num(c, 3, 365, &d->day))
            return false;
    }
    if (peek(c) == '/') {
        c->i++;
        return parse_hms(c, 167, &d->time);
    }
    return true;
}

int tz_posix_parse(const char *s, size_t len, tz_posix *out)
{
    cursor c = { s, len, 0 };
    int32_t off;

    *out = (tz_posix){ 0 };
    if (!parse_name(&c) || !parse_hms(&c, 24, &off))
        return -1;
    out->std_off = -off;        /* POSIX counts west of Greenwich */
    if (c.i == len)
        return 0;
    if (!parse_name(&c))
        return -1;
    out->has_dst = true;
    out->dst_off = out->std_off + 3600;
    if (peek(&c) != ',' && c.i < len) {
        if (!parse_hms(&c, 24, &off))
            return -1;
        out->dst_off = -off;
    }
    if (c.i == len) {
        /* No rule: the US rules, as glibc assumes. */
        out->start = (tz_posix_date){ 'M', 0, 3, 2, 7200 };
        out->end = (tz_posix_date){ 'M', 0, 11, 1, 7200 };
        return 0;
    }
    if (peek(&c) != ',')
        return -1;
    c.i++;
    if (!parse_date(&c, &out->start) || peek(&c) != ',')
        return -1;
    c.i++;
    if (!parse_date(&c, &out->end) || c.i != len)
        return -1;
    return 0;
}

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The local day (days since 1970-01-01) a rule date falls on in year y. */
static int64_t rule_day(const tz_posix_date *d, int64_t y)
{
    int64_t jan1 = eng_days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->day - 1 + (leap_year(y) && d->day >= 60);
    if (d->kind == 'N')
        return jan1 + d->day;
    int64_t first = eng_days_from_civil(y, d->month, 1);
    int64_t wd = ((first + 4) % 7 + 7) % 7;                 /* 0 = Sunday */
    int64_t day = first + (d->day - wd + 7) % 7 + (int64_t)(d->week - 1) * 7;
    int64_t next = d->month == 12 ? eng_days_from_civil(y + 1, 1, 1)
                                  : eng_days_from_civil(y, d->month + 1, 1);
    while (day >= next)
        day -= 7;
    return day;
}

typedef struct rule_trans {
    int64_t at;
    bool to_dst;
} rule_trans;

/* Transitions of years y-2 .. y+1, sorted; a DST end and a DST start at
 * the same instant (DST all year) order the end first, so DST wins. */
static void window(const tz_posix *p, int64_t y, rule_trans tr[8])
{
    for (int k = 0; k < 4; k++) {
        int64_t yy = y - 2 + k;
        tr[2 * k] = (rule_trans){ rule_day(&p->end, yy) * 86400 + p->end.time - p->dst_off,
                                  false };
        tr[2 * k + 1] = (rule_trans){
            rule_day(&p->start, yy) * 86400 + p->start.time - p->std_off, true };
    }
    for (int i = 1; i < 8; i++) {
        rule_trans x = tr[i];
        int j = i;
        while (j > 0 && (tr[j - 1].at > x.at || (tr[j - 1].at == x.at && tr[j - 1].to_dst &&
                                                  !x.to_dst))) {
            tr[j] = tr[j - 1];
            j--;
        }
        tr[j] = x;
    }
}

#define TZ_POSIX_LIMIT (INT64_C(1) << 60)

void tz_posix_period(const tz_posix *p, int64_t t, tz_period *out)
{
    rule_trans tr[8];
    int64_t y, tc = t;
    int m, d;

    *out = (tz_period){ p->std_off, false, INT64_MIN, INT64_MAX };
    if (!p->has_dst)
        return;
    /* Beyond 2^60 s the calendar arithmetic could overflow; no one lives
     * there. */
    if (tc > TZ_POSIX_LIMIT)
        tc = TZ_POSIX_LIMIT;
    if (tc < -TZ_POSIX_LIMIT)
        tc = -TZ_POSIX_LIMIT;
    int64_t local = tc + p->std_off;
    int64_t days = local / 86400 - (local % 86400 < 0);
    eng_civil_from_days(days, &y, &m, &d);
    window(p, y, tr);
    for (int i = 0; i < 8; i++) {
        if (tr[i].at <= t) {
            out->start = tr[i].at;
            out->dst = tr[i].to_dst;
            out->off = tr[i].to_dst ? p->dst_off : p->std_off;
        } else {
            out->end = tr[i].at;
            break;
        }
    }
}
