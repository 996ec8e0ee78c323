/* Pure decisions of scheduled enforcement; see enforce.h. */
#include "engine/enforce.h"

#include <stdlib.h>
#include <string.h>

#include "engine/ascii.h"
#include "engine/azure_limits.h"
#include "engine/duration.h"

bool enf_same_id(const char *a, const char *b)
{
    return inv_id_equal(a, b);
}

const char *enf_id_name(const char *id)
{
    if (id == NULL)
        return "";
    const char *slash = strrchr(id, '/');
    return slash != NULL ? slash + 1 : id;
}

static bool state_is(const inv_snapshot *s, const char *want)
{
    return s->provisioning_state != NULL && eng_ascii_ieq(s->provisioning_state, want);
}

static bool provisioned(const inv_snapshot *s)
{
    return s->provisioning_state == NULL || s->provisioning_state[0] == '\0' ||
           state_is(s, "Succeeded");
}

static bool provision_failed(const inv_snapshot *s)
{
    return state_is(s, "Failed") || state_is(s, "Canceled");
}

bool enf_snapshot_copy_failed(const inv_snapshot *s)
{
    return s->copy_error_code != NULL && !provision_failed(s);
}

bool enf_snapshot_pending(const inv_snapshot *s)
{
    return provisioned(s) && !enf_snapshot_copy_failed(s) &&
           s->has_completion && s->completion_percent < 100.0;
}

bool enf_snapshot_usable(const inv_snapshot *s)
{
    return provisioned(s) && !enf_snapshot_copy_failed(s) && !enf_snapshot_pending(s);
}

bool enf_snapshot_taken(const inv_snapshot *s)
{
    return !provision_failed(s) && !enf_snapshot_copy_failed(s);
}

/* Same incarnation: either side unknown counts as the same (offline
 * inventories and old api-versions do not carry uniqueIds). */
static bool same_incarnation(const inv_snapshot *s, const char *unique_id)
{
    return unique_id == NULL || unique_id[0] == '\0' || s->source_unique_id == NULL ||
           s->source_unique_id[0] == '\0' || eng_ascii_ieq(s->source_unique_id, unique_id);
}

static bool of_disk(const inv_snapshot *s, const char *disk_id)
{
    bool none = s->source_id == NULL || s->source_id[0] == '\0';
    if (disk_id == NULL || disk_id[0] == '\0')
        return none;
    return !none && enf_same_id(s->source_id, disk_id);
}

sk_time enf_newest_owned(const pol_policy *p, const inv_inventory *inv,
                         const char *disk_id, const char *unique_id, sk_time now)
{
    sk_time newest = SK_TIME_MIN;
    sk_time horizon = now > SK_TIME_MAX - ENF_JITTER_MAX_USEC ? SK_TIME_MAX
                                                               : now + ENF_JITTER_MAX_USEC;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (s->created > horizon || s->created <= newest)
            continue;
        if (!of_disk(s, disk_id) || !same_incarnation(s, unique_id) ||
            !enf_snapshot_taken(s) || !eng_policy_owns(p, s, inv))
            continue;
        newest = s->created;
    }
    return newest;
}

size_t enf_pending_of_disk(const inv_inventory *inv, const char *disk_id,
                           const char *unique_id)
{
    size_t n = 0;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        n += disk_id != NULL && of_disk(s, disk_id) && same_incarnation(s, unique_id) &&
             enf_snapshot_pending(s);
    }
    return n;
}

bool enf_may_start_pending(size_t pending)
{
    return pending < ENG_PENDING_PER_DISK_MAX;
}

int64_t enf_jitter_usec(const pol_policy *p, sk_time now)
{
    if (!p->has_snapshot_every)
        return 0;
    int64_t len = now - eng_time_sub(p->tz, now, &p->snapshot_every);
    int64_t tol = len / 10;
    return tol < ENF_JITTER_MAX_USEC ? tol : ENF_JITTER_MAX_USEC;
}

bool enf_is_due(const pol_policy *p, sk_time newest, sk_time now)
{
    if (!p->has_snapshot_every)
        return false;
    if (newest == SK_TIME_MIN)
        return true;
    sk_time threshold = eng_time_sub(p->tz, now, &p->snapshot_every) + enf_jitter_usec(p, now);
    return newest <= threshold;
}

pol_duration enf_duration_times(const pol_duration *d, int64_t k)
{
    pol_duration t = *d;
    int64_t *parts[] = { &t.years, &t.months, &t.weeks, &t.days, &t.hours, &t.minutes };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        int64_t v = *parts[i];
        *parts[i] = v > POL_DURATION_MAX_SECONDS / k ? POL_DURATION_MAX_SECONDS : v * k;
    }
    if (t.years > 10000)
        t.years = 10000;
    return t;
}

enf_staleness enf_staleness_of(const pol_policy *p, sk_time newest, sk_time now,
                               sk_time *limit)
{
    sk_time lim;
    if (p->has_stale_after) {
        lim = eng_time_sub(p->tz, now, &p->stale_after);
    } else if (p->has_snapshot_every) {
        pol_duration three = enf_duration_times(&p->snapshot_every, 3);
        lim = eng_time_sub(p->tz, now, &three);
    } else {
        return ENF_UNJUDGED;
    }
    if (limit != NULL)
        *limit = lim;
    if (newest == SK_TIME_MIN)
        return ENF_UNJUDGED;
    return newest < lim ? ENF_STALE : ENF_FRESH;
}

int enf_snapshot_name(const char *disk_name, sk_time t, char *buf, size_t n)
{
    char stamp[ENF_NAME_SUFFIX_LEN + 1];
    stamp[0] = '-';
    if (eng_name_stamp(t, stamp + 1, sizeof stamp - 1) < 0)
        return -1;
    return eng_resource_name(disk_name, "snapshot", stamp, buf, n);
}

int64_t enf_max_delete(const pol_policy *p)
{
    return p->max_delete >= 0 ? p->max_delete : ENF_DEFAULT_MAX_DELETE;
}

int64_t enf_run_max_delete(const pol_policy *p, int64_t run_limit)
{
    int64_t m = enf_max_delete(p);
    return run_limit >= 0 && run_limit < m ? run_limit : m;
}

bool enf_may_delete(const pol_policy *p, const eng_decision *d,
                    const inv_inventory *inv)
{
    const inv_snapshot *s = d->snap;
    if (p->anonymous || d->action != ENG_PRUNE || d->nreasons != 0)
        return false;
    if (d->future || d->unmanaged || s->id == NULL || s->id[0] == '\0')
        return false;
    return enf_snapshot_usable(s) && eng_policy_owns(p, s, inv);
}

static int cmp_candidate(const void *a, const void *b)
{
    const inv_snapshot *x = ((const enf_candidate *)a)->snap;
    const inv_snapshot *y = ((const enf_candidate *)b)->snap;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->name, y->name);
}

size_t enf_cut(enf_candidate *c, size_t n, int64_t max_delete)
{
    if (n == 0)
        return 0;
    if (max_delete < 0)
        max_delete = ENF_DEFAULT_MAX_DELETE;
    qsort(c, n, sizeof *c, cmp_candidate);
    size_t allowed = (uint64_t)max_delete < n ? (size_t)max_delete : n;
    for (size_t i = 0; i < n; i++)
        c[i].deferred = i >= allowed;
    return allowed;
}

static bool held(const pol_policy *const *all, size_t nall, const inv_snapshot *s)
{
    for (size_t i = 0; i < nall; i++)
        for (size_t r = 0; r < all[i]->nrules; r++) {
            const pol_rule *rule = &all[i]->rules[r];
            if (rule->kind == POL_TAGGED &&
                pol_tags_match(rule->tags, rule->ntags, s->tags, s->ntags))
                return true;
        }
    return false;
}

static bool same_owner(const pol_policy *owner, const inv_snapshot *planned,
                       const inv_snapshot *current)
{
    const char *pv = inv_tag_get(planned->tags, planned->ntags, POL_OWNER_TAG);
    const char *cv = inv_tag_get(current->tags, current->ntags, POL_OWNER_TAG);
    if (pv == NULL)
        return cv == NULL && owner->adopt_untagged;
    return cv != NULL && strcmp(cv, pv) == 0 && strcmp(cv, owner->name) == 0;
}

enf_confirm enf_confirm_delete(const pol_policy *owner,
                               const pol_policy *const *all, size_t nall,
                               const inv_snapshot *planned,
                               const inv_snapshot *current)
{
    if (current->id == NULL || planned->id == NULL || !enf_same_id(planned->id, current->id))
        return ENF_CONFIRM_ID;
    if (current->created != planned->created)
        return ENF_CONFIRM_TIME;
    bool pnone = planned->source_id == NULL || planned->source_id[0] == '\0';
    bool cnone = current->source_id == NULL || current->source_id[0] == '\0';
    if (pnone != cnone || (!pnone && !enf_same_id(planned->source_id, current->source_id)))
        return ENF_CONFIRM_SOURCE;
    if (!same_owner(owner, planned, current))
        return ENF_CONFIRM_OWNER;
    if (held(all, nall, current))
        return ENF_CONFIRM_HOLD;
    if (!enf_snapshot_usable(current))
        return ENF_CONFIRM_STATE;
    return ENF_CONFIRM_OK;
}

const char *enf_confirm_text(enf_confirm c)
{
    switch (c) {
    case ENF_CONFIRM_OK: return "still as planned";
    case ENF_CONFIRM_ID: return "a different resource now has that name";
    case ENF_CONFIRM_TIME: return "its creation time changed";
    case ENF_CONFIRM_SOURCE: return "its source disk changed";
    case ENF_CONFIRM_OWNER: return "its ownership tag changed";
    case ENF_CONFIRM_HOLD: return "it is now held by a tagged rule (legal hold)";
    case ENF_CONFIRM_STATE: return "it is no longer a succeeded snapshot";
    }
    return "unknown";
}
