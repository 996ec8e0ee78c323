/* libFuzzer target: TZif bytes (zones come from files an admin may not control),
 * plus the same bytes as a duration and as an RFC 3339 time. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "engine/tz.h"
#include "engine/duration.h"
#include "engine/calendar.h"
#include "engine/sktime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    eng_tz *tz = eng_tz_parse("fuzz", data, size, err, sizeof err);
    if (tz) {
        int64_t ts[] = { INT64_MIN, INT64_MAX, 0, -1, 1795694400, 4102444800, -2208988800,
                         253402300799, -62135596800, 7258118400, INT64_C(1) << 62 };
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
            (void)eng_tz_offset(tz, ts[i]);
            (void)eng_tz_local_to_utc(tz, ts[i]);
        }
        for (int p = 0; p < 5; p++) {
            char buf[ENG_LABEL_BUFSZ];
            eng_bucket_label((eng_period)p, eng_bucket((eng_period)p, tz, SK_TIME_MAX), buf, sizeof buf);
            eng_bucket_label((eng_period)p, eng_bucket((eng_period)p, tz, SK_TIME_MIN), buf, sizeof buf);
        }
        pol_duration d = { .years = 9999, .months = 5, .days = 3, .hours = 1 };
        (void)eng_time_sub(tz, SK_TIME_MAX, &d);
        (void)eng_time_sub(tz, SK_TIME_MIN + 1, &d);
        pol_duration d2 = { .days = 1 };
        (void)eng_time_sub(tz, SK_TIME_MIN, &d2);
        (void)eng_time_sub(tz, SK_TIME_MAX, &d2);
        eng_tz_free(tz);
    }
    pol_duration d;
    (void)pol_duration_parse((const char *)data, size, &d, err, sizeof err);
    sk_time t;
    (void)eng_time_parse((const char *)data, size, &t);
    return 0;
}
