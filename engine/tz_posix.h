/* POSIX TZ strings ("CET-1CEST,M3.5.0,M10.5.0/3"), the rule a TZif footer
 * gives for instants after the last transition (RFC 8536 section 3.3,
 * including its extensions: hours -167..167 in rule times). Private to
 * engine/tz.c. */
#ifndef SNAPKEEP_TZ_POSIX_H
#define SNAPKEEP_TZ_POSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tz_posix_date {
    char kind;              /* 'J' Julian 1..365 (no Feb 29), 'N' 0..365, 'M' month.week.day */
    int day;                /* J, N: the day; M: the weekday, 0 = Sunday */
    int month, week;        /* M only: 1..12, 1..5 (5 = last) */
    int32_t time;           /* seconds after local midnight, may be < 0 or > 24 h */
} tz_posix_date;

typedef struct tz_posix {
    int32_t std_off, dst_off;   /* seconds east of UTC */
    bool has_dst;
    tz_posix_date start, end;   /* DST starts (in std time), ends (in DST) */
} tz_posix;

/* A stretch of time with one offset: [start, end) in UTC seconds. */
typedef struct tz_period {
    int32_t off;
    bool dst;
    int64_t start, end;     /* INT64_MIN / INT64_MAX when unbounded */
} tz_period;

/* Parses the whole of s[0..len). Returns 0, or -1 when it is not a valid
 * POSIX TZ string. */
int tz_posix_parse(const char *s, size_t len, tz_posix *out);
/* The period of the rule containing UTC instant t. */
void tz_posix_period(const tz_posix *p, int64_t t, tz_period *out);

#endif
