/* Pure decisions of `snapkeep status`; see health.h. */
#include "engine/health.h"

#include "engine/azure_limits.h"
#include "engine/enforce.h"
#include "engine/evaluate.h"

const char *hl_state_name(hl_state s)
{
    switch (s) {
    case HL_OK: return "OK";
    case HL_WARNING: return "WARNING";
    case HL_CRITICAL: return "CRITICAL";
    default: return "UNKNOWN";
    }
}

/* OK < UNKNOWN < WARNING < CRITICAL */
static int rank(hl_state s)
{
    return s == HL_OK ? 0 : s == HL_UNKNOWN ? 1 : s == HL_WARNING ? 2 : 3;
}

hl_state hl_worst(hl_state a, hl_state b)
{
    return rank(a) >= rank(b) ? a : b;
}

static int64_t age_sec(sk_time now, sk_time t)
{
    return t <= SK_TIME_MIN ? INT64_MAX : (now - t) / SK_USEC_PER_SEC;
}

hl_limits hl_limits_of(const pol_policy *p, const pol_duration *warn,
                       const pol_duration *crit, sk_time now)
{
    hl_limits l = { 0 };
    bool have_crit = true, have_warn = true;
    if (crit != NULL) {
        l.crit_before = eng_time_sub(p->tz, now, crit);
    } else {
        /* the one stale rule, as `run` judges it */
        sk_time lim = SK_TIME_MIN;
        have_crit = p->has_stale_after || p->has_snapshot_every;
        if (have_crit)
            enf_staleness_of(p, SK_TIME_MIN, now, &lim);
        l.crit_before = lim;
    }
    if (warn != NULL) {
        l.warn_before = eng_time_sub(p->tz, now, warn);
    } else if (p->has_snapshot_every) {
        pol_duration two = enf_duration_times(&p->snapshot_every, 2);
        l.warn_before = eng_time_sub(p->tz, now, &two);
    } else {
        have_warn = false;
    }
    if (p->has_snapshot_every)
        l.cadence = age_sec(now, eng_time_sub(p->tz, now, &p->snapshot_every));
    if (!have_crit && !have_warn)
        return l;
    /* one limit alone stands for both */
    if (!have_crit)
        l.crit_before = l.warn_before;
    if (!have_warn || l.warn_before < l.crit_before)
        l.warn_before = l.crit_before;
    l.judged = true;
    l.warn_age = age_sec(now, l.warn_before);
    l.crit_age = age_sec(now, l.crit_before);
    return l;
}

static bool of_disk(const inv_snapshot *s, const char *disk_id)
{
    return s->source_id != NULL && s->source_id[0] != '\0' && enf_same_id(s->source_id, disk_id);
}

hl_disk_facts hl_disk_facts_of(const pol_policy *p, const inv_inventory *inv,
                               const char *disk_id, sk_time now)
{
    hl_disk_facts f = { SK_TIME_MIN, 0, 0 };
    sk_time horizon = now > SK_TIME_MAX - ENF_JITTER_MAX_USEC ? SK_TIME_MAX
                                                               : now + ENF_JITTER_MAX_USEC;
    for (size_t i = 0; inv != NULL && i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (!of_disk(s, disk_id))
            continue;
        f.snapshots++;
        if (!eng_policy_owns(p, s, inv))
            continue;
        f.owned++;
        if (enf_snapshot_usable(s) && s->created <= horizon && s->created > f.newest)
            f.newest = s->created;
    }
    return f;
}

hl_verdict hl_judge_disk(const hl_limits *l, const hl_disk_facts *f, sk_time now)
{
    hl_verdict v = { HL_OK, HL_OK, HL_OK, HL_R_FRESH, HL_R_FRESH, -1 };
    if (f->newest != SK_TIME_MIN)
        v.age = f->newest < now ? (now - f->newest) / SK_USEC_PER_SEC : 0;
    if (f->newest == SK_TIME_MIN) {
        v.rpo = HL_R_NO_SNAPSHOT;
        v.rpo_state = HL_CRITICAL;
    } else if (!l->judged) {
        v.rpo = HL_R_UNJUDGED;
        v.rpo_state = HL_UNKNOWN;
    } else if (f->newest < l->crit_before) {
        v.rpo = HL_R_STALE;
        v.rpo_state = HL_CRITICAL;
    } else if (f->newest < l->warn_before) {
        v.rpo = HL_R_LATE;
        v.rpo_state = HL_WARNING;
    }
    if (f->snapshots >= ENG_SNAPSHOTS_PER_DISK_MAX) {
        v.cap = HL_R_AT_CAP;
        v.cap_state = HL_CRITICAL;
    } else if (f->snapshots >= ENG_SNAPSHOTS_NEAR_CAP) {
        v.cap = HL_R_NEAR_CAP;
        v.cap_state = HL_WARNING;
    }
    v.state = hl_worst(v.rpo_state, v.cap_state);
    return v;
}

const char *hl_reason_text(hl_reason r)
{
    switch (r) {
    case HL_R_FRESH: return "fresh";
    case HL_R_LATE: return "late";
    case HL_R_STALE: return "stale";
    case HL_R_NO_SNAPSHOT: return "no usable snapshot";
    case HL_R_UNJUDGED: return "no cadence or stale-after to judge by";
    case HL_R_NEAR_CAP: return "near the snapshot cap";
    default: return "at the snapshot cap";
    }
}

sk_time hl_next_due(const pol_policy *p, sk_time newest, sk_time now)
{
    if (!p->has_snapshot_every)
        return SK_TIME_MIN;
    if (newest == SK_TIME_MIN)
        return now;
    /* enf_is_due is monotonic in its `now`: search the second it turns
     * true, within the longest real length the cadence can have (a month
     * of 31 days, a DST shift) plus a day of margin */
    int64_t lo_s = newest / SK_USEC_PER_SEC, hi_s, min_len, max_len;
    pol_duration_range(&p->snapshot_every, 7200, &min_len, &max_len);
    hi_s = lo_s + max_len + 86400;
    if (hi_s > SK_TIME_MAX / SK_USEC_PER_SEC)
        hi_s = SK_TIME_MAX / SK_USEC_PER_SEC;
    if (!enf_is_due(p, newest, hi_s * SK_USEC_PER_SEC))
        return hi_s * SK_USEC_PER_SEC;
    while (lo_s < hi_s) {
        int64_t mid = lo_s + (hi_s - lo_s) / 2;
        if (enf_is_due(p, newest, mid * SK_USEC_PER_SEC))
            hi_s = mid;
        else
            lo_s = mid + 1;
    }
    return lo_s * SK_USEC_PER_SEC;
}

hl_state hl_run_state(int exit_code)
{
    return exit_code == 0 ? HL_OK : HL_WARNING;
}

hl_state hl_drill_state(bool passed)
{
    return passed ? HL_OK : HL_WARNING;
}
