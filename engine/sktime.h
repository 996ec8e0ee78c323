/* Instants: int64 microseconds since 1970-01-01T00:00:00Z, UTC. */
#ifndef SNAPKEEP_SKTIME_H
#define SNAPKEEP_SKTIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sk_time;

#define SK_USEC_PER_SEC  INT64_C(1000000)
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: the range RFC 3339
 * can write. Duration subtraction clamps to SK_TIME_MIN. */
#define SK_TIME_MIN  (INT64_C(-62135596800) * SK_USEC_PER_SEC)
#define SK_TIME_MAX  (INT64_C(253402300799) * SK_USEC_PER_SEC + 999999)

/* Parses RFC 3339 ("2026-11-20T10:00:03.1234567+00:00", "...Z"): any
 * number of fractional digits (kept to the microsecond, truncated), any UTC
 * offset, 'T'/'t' and 'Z'/'z', and a leap second (":60", at 23:59 UTC
 * only), which is kept as the last microsecond of its minute. Returns 0,
 * ENG_TIME_SYNTAX when the text is not a valid RFC 3339 time (bad field
 * ranges included: month 13, Feb 30, hour 24), or ENG_TIME_RANGE when it is
 * one but falls outside SK_TIME_MIN..SK_TIME_MAX (year 0000, or
 * "0001-01-01T00:00:00+01:00"). *out is set only on success. */
#define ENG_TIME_SYNTAX (-1)
#define ENG_TIME_RANGE  (-2)
int eng_time_parse(const char *s, size_t len, sk_time *out);

/* Writes "2026-11-20T10:00:03Z", or "2026-11-20T10:00:03.123456Z" when the
 * microseconds are not zero. Returns the length (buffer of 32 suffices). */
size_t eng_time_format(sk_time t, char *buf, size_t n);

#define ENG_TIME_BUFSZ 32

#endif
