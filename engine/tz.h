/* Time zones from TZif data, converted without touching TZ or localtime(3):
 * the evaluator stays pure and fast. */
#ifndef SNAPKEEP_TZ_H
#define SNAPKEEP_TZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct eng_tz eng_tz;

/* Builds a zone from the bytes of a TZif file (v1, v2, v3, v4; the POSIX TZ
 * footer covers instants after the last transition). NULL with a message
 * in err when the data is not valid TZif. */
eng_tz *eng_tz_parse(const char *name, const unsigned char *data, size_t len,
                     char *err, size_t errlen);
/* The built-in UTC zone (no file needed). Free it like any other. */
eng_tz *eng_tz_utc(void);
void eng_tz_free(eng_tz *tz);
const char *eng_tz_name(const eng_tz *tz);

/* UTC offset in seconds in force at a UTC instant (seconds since epoch). */
int32_t eng_tz_offset(const eng_tz *tz, int64_t utc_seconds);
/* The instant at which local wall-clock time `local_seconds` (seconds since
 * 1970-01-01T00:00 local) occurs; a time that does not name exactly one
 * instant gives the earliest it can mean. In a gap (clocks going forward)
 * the offset in force after the gap is used: 02:30 on the spring-forward
 * night is 00:30Z (01:30 CET) in Europe/Paris and 06:30Z (01:30 EST) in
 * America/New_York; a time that occurs twice gives the earlier instant. */
int64_t eng_tz_local_to_utc(const eng_tz *tz, int64_t local_seconds);
/* Largest change of UTC offset at any daylight-saving transition of the
 * zone, in seconds (3600 for Europe/Paris, 0 for UTC). Used by `check` to
 * bound how long a calendar day can be. Counted over the zone's current
 * rule (the TZif footer) and its transitions since 2000: `now` is today or
 * later, so Lord Howe's 1-hour DST of 1981-85 does not count (1800). */
int32_t eng_tz_max_shift(const eng_tz *tz);

#endif
