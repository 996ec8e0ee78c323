/* Policy durations: <integer><unit> pairs, calendar parts applied in the
 * policy's time zone. */
#ifndef SNAPKEEP_DURATION_H
#define SNAPKEEP_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/sktime.h"
#include "engine/tz.h"

typedef struct pol_duration {
    int64_t years, months, weeks, days, hours, minutes;   /* each >= 0 */
} pol_duration;

/* The longest duration a policy may write (10000 calendar years); longer
 * ones are rejected at compile time so no arithmetic below can overflow. */
#define POL_DURATION_MAX_SECONDS (INT64_C(10000) * 366 * 86400)

/* Parses "30m", "1y2mo3d3h" (any order, each unit at most once, no
 * spaces). Returns 0, or -1 with a message in err ("unit 'h' given twice",
 * "number too large", "unknown unit 'x'", "zero duration", "duration longer
 * than 10000 years"; also "empty duration", "missing unit after '12'",
 * "expected a number before 'h'", "unexpected character '.'", "count must
 * be positive in '0h'"). Used by the lexer and by command-line options. */
int pol_duration_parse(const char *s, size_t len, pol_duration *out,
                       char *err, size_t errlen);
bool pol_duration_is_zero(const pol_duration *d);
/* True when the duration has a y, mo, w or d part (needs the time zone). */
bool pol_duration_is_calendar(const pol_duration *d);
/* Writes the normalised form, units in order y mo w d h m ("1y2mo3d3h"). */
size_t pol_duration_format(const pol_duration *d, char *buf, size_t n);
/* Exact length in microseconds of a duration with only w/d/h/m parts taken
 * as 7/1 days of 86400 s (used for `every` widths, which reject mo/y). */
int64_t pol_duration_fixed_usec(const pol_duration *d);
/* Shortest and longest real length in seconds of the duration: a month is
 * 28..31 days, a year 365..366 days, and the calendar part as a whole may
 * shrink or grow by the zone's largest DST shift (max_shift seconds). */
void pol_duration_range(const pol_duration *d, int32_t max_shift,
                        int64_t *min_seconds, int64_t *max_seconds);

/* t minus d, as doc/semantics.md defines it: y/mo/w/d applied together on
 * the local calendar in tz and normalised once (2026-03-31 minus 1mo is
 * 2026-03-03), the local time read back with the gap/overlap rules of
 * eng_tz_local_to_utc, then h/m subtracted as exact seconds. A duration
 * with no calendar part is exact seconds only. Clamps at SK_TIME_MIN. */
sk_time eng_time_sub(const eng_tz *tz, sk_time t, const pol_duration *d);

/* The lower, exclusive edge of the window "the last d before from": a
 * snapshot at t is inside when t > cut. Every window (tiers, `within`)
 * and everything that draws or replays one (reports, simulate) takes its
 * edge from here. eng_time_sub clamps at SK_TIME_MIN, and a window that
 * reaches that far is "all of history" (`yearly within 9999y`), so the cut
 * moves one microsecond earlier: a snapshot dated exactly SK_TIME_MIN
 * (0001-01-01T00:00:00Z, which an inventory can hold) stays inside. Where
 * from - d is exactly SK_TIME_MIN without clamping, that keeps one snapshot
 * more than the bare formula: the safe side. */
static inline sk_time eng_window_cut(const eng_tz *tz, sk_time from, const pol_duration *d)
{
    sk_time c = eng_time_sub(tz, from, d);
    return c <= SK_TIME_MIN ? SK_TIME_MIN - 1 : c;
}

#endif
