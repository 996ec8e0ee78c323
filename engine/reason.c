/* Reasons as report text. The shapes are grepped by reports and tests:
 *   "every 12h to 7d: bucket 2026-11-20T12:00Z (FILE:LINE)"
 *   "daily to 15d: bucket 2026-11-19 (FILE:LINE)"
 *   "hourly to 2d: bucket 2026-10-25T02:00+02:00 (FILE:LINE)" (an hour: its offset)
 *   "daily 7: day 2026-11-19 (#3) (FILE:LINE)", "daily 7: oldest (FILE:LINE)"
 *   "last 3: #1 (FILE:LINE)", "within 2d (FILE:LINE)", "tagged \"k\" (FILE:LINE)"
 *   "newest", "future: dated after now", "unmanaged: no policy governs it",
 *   "unmanaged: not owned by policy \"X\" (no snapkeep-policy tag)",
 *   "in progress: provisioningState Updating, not yet a backup",
 *   "failed: provisioningState Failed, not a backup (delete it by hand)",
 *   "copying: its copy to northeurope is 40% done; deleted by the first run after it completes" */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/eval_priv.h"

typedef struct ev_buf {
    char *p;
    size_t n, len;      /* len: bytes written, always < n when n > 0 */
} ev_buf;

static void ev_put(ev_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ev_put(ev_buf *b, const char *fmt, ...)
{
    if (b->n == 0 || b->len + 1 >= b->n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->p + b->len, b->n - b->len, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    b->len += (size_t)w;
    if (b->len >= b->n)
        b->len = b->n - 1;      /* truncated */
}

static const char *ev_rule_text(const pol_rule *r)
{
    static const char *const names[] = {
        [POL_KEEP_ALL] = "keep-all", [POL_EVERY] = "every",
        [POL_CALENDAR_TIER] = "calendar tier", [POL_LAST] = "last",
        [POL_COUNT] = "count", [POL_WITHIN] = "within",
        [POL_PERIOD_WITHIN] = "period within", [POL_TAGGED] = "tagged",
    };
    if (r->text != NULL)
        return r->text;
    return (size_t)r->kind < sizeof names / sizeof names[0] ? names[r->kind] : "rule";
}

static void ev_put_bucket(ev_buf *b, const eng_reason *r)
{
    const pol_rule *rule = r->rule;
    const eng_tz *tz = r->policy != NULL ? r->policy->tz : NULL;   /* NULL: no offset */
    char label[ENG_LABEL_BUFSZ];
    if (!r->has_bucket)
        return;
    switch (rule->kind) {
    case POL_EVERY:
        eng_every_label(r->bucket, rule->width_usec, label, sizeof label);
        ev_put(b, ": bucket %s", label);
        break;
    case POL_CALENDAR_TIER:
        eng_bucket_label_tz(rule->period, tz, r->bucket, label, sizeof label);
        ev_put(b, ": bucket %s", label);
        break;
    case POL_COUNT:
    case POL_PERIOD_WITHIN:
        eng_bucket_label_tz(rule->period, tz, r->bucket, label, sizeof label);
        ev_put(b, ": %s %s (#%lld)", eng_period_noun(rule->period), label,
               (long long)r->ordinal);
        break;
    default:
        break;
    }
}

static void ev_put_rule(ev_buf *b, const eng_reason *r)
{
    const pol_rule *rule = r->rule;
    ev_put(b, "%s", ev_rule_text(rule));
    if (rule->kind == POL_LAST)
        ev_put(b, ": #%lld", (long long)r->ordinal);
    else if (r->oldest)
        ev_put(b, ": oldest");
    else
        ev_put_bucket(b, r);
    if (rule->loc.file != NULL)
        ev_put(b, " (%s:%d)", rule->loc.file, rule->loc.line);
}

size_t eng_reason_format(const eng_reason *r, char *buf, size_t n)
{
    ev_buf b = { buf, n, 0 };
    if (n > 0)
        buf[0] = '\0';
    switch (r->kind) {
    case ENG_R_RULE:
        if (r->rule != NULL)
            ev_put_rule(&b, r);
        else
            ev_put(&b, "rule");
        break;
    case ENG_R_NEWEST:
        ev_put(&b, "newest");
        break;
    case ENG_R_FUTURE:
        ev_put(&b, "future: dated after now");
        break;
    case ENG_R_UNMANAGED:
        ev_put(&b, "unmanaged: no policy governs it");
        break;
    case ENG_R_NOT_OWNED:
        ev_put(&b, "unmanaged: not owned by policy \"%s\"",
               r->policy != NULL && r->policy->name != NULL ? r->policy->name : "?");
        if (r->owner_tag != NULL)
            ev_put(&b, " (its %s tag is \"%s\")", POL_OWNER_TAG, r->owner_tag);
        else
            ev_put(&b, " (no %s tag)", POL_OWNER_TAG);
        break;
    case ENG_R_IN_PROGRESS:
        ev_put(&b, "in progress: provisioningState %s, not yet a backup",
               r->state != NULL ? r->state : "?");
        break;
    case ENG_R_FAILED:
        ev_put(&b, "failed: provisioningState %s, not a backup (delete it by hand)",
               r->state != NULL ? r->state : "?");
        break;
    case ENG_R_PENDING:
        ev_put(&b, "copying: completionPercent %g, not yet a backup (its background copy "
               "has not finished)", r->percent);
        break;
    case ENG_R_COPY_FAILED:
        ev_put(&b, "copy failed: %s%s%s, not a backup (delete it by hand)",
               r->state != NULL && r->state[0] != '\0' ? r->state : "copyCompletionError",
               r->message != NULL && r->message[0] != '\0' ? ": " : "",
               r->message != NULL ? r->message : "");
        break;
    case ENG_R_RETIRED:
        ev_put(&b, "retired keep-all: %s", eng_identity_text(r->identity));
        break;
    case ENG_R_COPYING:
        ev_put(&b, "copying: its copy to %s is %g%% done; deleted by the first run after it "
               "completes", r->state != NULL ? r->state : "?", r->percent);
        break;
    }
    return b.len;
}
