/* Calendar buckets in a time zone: the keys tiers and count rules compare. */
#ifndef SNAPKEEP_CALENDAR_H
#define SNAPKEEP_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "engine/sktime.h"
#include "engine/tz.h"

typedef enum eng_period {
    ENG_HOUR, ENG_DAY, ENG_WEEK, ENG_MONTH, ENG_YEAR
} eng_period;

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t eng_days_from_civil(int64_t y, int m, int d);
void eng_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* A key equal for two instants exactly when they fall in the same local
 * calendar period of tz (hour, day, ISO week, month, year), and increasing
 * with local time. The hour repeated when clocks go back is one bucket. */
int64_t eng_bucket(eng_period p, const eng_tz *tz, sk_time t);
/* Human label of a bucket key: hour "2026-11-20T13:00" (local), day
 * "2026-11-20", week "2026-W47" (ISO week-year), month "2026-11", year
 * "2026". Returns the length. */
size_t eng_bucket_label(eng_period p, int64_t key, char *buf, size_t n);
/* The same, an hour with the UTC offset it starts at in tz, so a local hour
 * reads as an instant: "2026-10-25T02:00+02:00" (the hour repeated when
 * clocks go back: its first occurrence), "2026-11-20T13:00Z" at offset 0.
 * Other periods are dates and carry no offset. */
size_t eng_bucket_label_tz(eng_period p, const eng_tz *tz, int64_t key, char *buf, size_t n);
/* Fixed-width epoch-aligned bucket: floor(t / width). */
int64_t eng_every_bucket(sk_time t, int64_t width_usec);
/* Label of such a bucket: its start in UTC, "2026-11-20T12:00Z". */
size_t eng_every_label(int64_t key, int64_t width_usec, char *buf, size_t n);

const char *eng_period_adjective(eng_period p); /* "hourly", "daily", ... */
const char *eng_period_noun(eng_period p);      /* "hour", "day", ...     */

#define ENG_LABEL_BUFSZ 48

#endif
