/* The failing-malloc hook: see failmalloc.h. */
#include <stdio.h>
#include <string.h>

#include "cli/oom.h"
#include "support/failmalloc.h"

static size_t fm_target, fm_seen;
static bool fm_hit;

static bool fm_hook(void)
{
    fm_seen++;
    if (fm_target != 0 && fm_seen == fm_target) {
        fm_hit = true;
        return true;
    }
    return false;
}

void fm_arm(size_t n)
{
    fm_target = n;
    fm_seen = 0;
    fm_hit = false;
    cli_oom_reset();
    cli_oom_fail_hook = fm_hook;
}

void fm_disarm(void)
{
    cli_oom_fail_hook = NULL;
    fm_target = 0;
}

bool fm_fired(void)
{
    return fm_hit;
}

size_t fm_count(void)
{
    return fm_seen;
}

fm_result fm_torture(fm_op op, void *ctx, size_t max, size_t step, bool want_message)
{
    fm_result r;
    memset(&r, 0, sizeof r);
    for (size_t n = 1; n <= max; n += step > 0 ? step : 1) {
        char err[256] = "";
        fm_arm(n);
        int rc = op(ctx, err, sizeof err);
        bool hit = fm_fired();
        size_t seen = fm_count();
        fm_disarm();
        if (!hit) {
            /* beyond the last allocation: a clean run ends the loop */
            r.finished = true;
            r.reachable = seen;
            if (rc != 0 && r.first_bad == 0) {
                r.first_bad = n;
                snprintf(r.bad_err, sizeof r.bad_err, "failed without an allocation failure: %s",
                         err);
            }
            break;
        }
        r.tried++;
        bool told = rc != 0 && (!want_message || err[0] != '\0') && cli_oom_seen();
        if (told)
            r.failed_as_told++;
        else if (r.first_bad == 0) {
            r.first_bad = n;
            snprintf(r.bad_err, sizeof r.bad_err, "rc %d, err \"%s\"", rc, err);
        }
        r.reachable = n;
    }
    cli_oom_reset();
    return r;
}
