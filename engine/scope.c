/* Which snapshots a policy governs and owns: its Azure scope matched
 * against the snapshot's source disk ID, and the ownership tag. IDs compare
 * case-insensitively (ARM does), and a missing leading '/' is tolerated. */
#include <string.h>

#include "engine/ascii.h"
#include "engine/eval_priv.h"

typedef struct ev_span {
    const char *p;
    size_t n;
} ev_span;

/* The parts of a managed-disk ID; a part is empty when the ID lacks it. */
typedef struct ev_disk_id {
    ev_span sub, rg, name;
} ev_disk_id;

static const char *ev_skip_slash(const char *s)
{
    return *s == '/' ? s + 1 : s;
}

static bool ev_span_eq(ev_span a, const char *b)
{
    size_t n = strlen(b);
    if (a.n != n || a.p == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (eng_ascii_lower((unsigned char)a.p[i]) != eng_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

/* Up to 9 '/'-separated segments of an ID (leading '/' optional). */
static size_t ev_segments(const char *id, ev_span seg[9])
{
    const char *s = ev_skip_slash(id);
    size_t n = 0;
    while (n < 9) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        seg[n++] = (ev_span){ s, len };
        if (e == NULL)
            break;
        s = e + 1;
    }
    return n;
}

static ev_disk_id ev_parse_disk_id(const char *id)
{
    ev_span seg[9];
    ev_disk_id d = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
    size_t n = ev_segments(id, seg);
    if (n >= 2 && ev_span_eq(seg[0], "subscriptions"))
        d.sub = seg[1];
    if (n >= 4 && d.sub.p != NULL && ev_span_eq(seg[2], "resourceGroups"))
        d.rg = seg[3];
    if (n == 8 && d.rg.p != NULL && ev_span_eq(seg[4], "providers") &&
        ev_span_eq(seg[5], "Microsoft.Compute") && ev_span_eq(seg[6], "disks"))
        d.name = seg[7];
    return d;
}

static const inv_disk *ev_find_disk(const inv_inventory *inv, const char *id)
{
    for (size_t i = 0; i < inv->ndisks; i++)
        if (inv->disks[i].id != NULL && inv_id_equal(inv->disks[i].id, id))
            return &inv->disks[i];
    return NULL;
}

static bool ev_disk_tags_match(const pol_policy *p, const char *source_id,
                               const inv_inventory *inv)
{
    /* Offline (no disk inventory) a disk-tag selector matches nothing:
     * guessing would widen what the policy may delete. */
    if (p->ndisk_tags == 0 || inv == NULL || !inv->disks_known)
        return false;
    const inv_disk *d = ev_find_disk(inv, source_id);
    if (d == NULL)
        return false;
    for (size_t i = 0; i < p->ndisk_tags; i++) {
        const char *v = inv_tag_get(d->tags, d->ntags, p->disk_tags[i].key);
        if (v != NULL && (p->disk_tags[i].value == NULL ||
                          strcmp(v, p->disk_tags[i].value) == 0))
            return true;
    }
    return false;
}

static bool ev_disk_entry_match(const char *entry, const char *source_id,
                                const ev_disk_id *d)
{
    if (strchr(entry, '/') != NULL)         /* a resource ID: exactly that disk */
        return inv_id_equal(entry, source_id);
    return d->name.p != NULL && ev_span_eq(d->name, entry);
}

/* Whether a disk sits outside the policy's subscription or resource
 * group: the one comparison check's contradiction warning, a disk entry
 * and the scope filter all make. */
static eng_disk_conflict outside(const pol_policy *p, const ev_disk_id *d)
{
    bool subs = p->nsubscriptions > 0 || p->subscription != NULL || p->all_subscriptions;
    if (subs && (d->sub.p == NULL || !pol_subscription_allowed(p, d->sub.p, d->sub.n)))
        return ENG_DISK_OTHER_SUBSCRIPTION;
    if (p->resource_group != NULL && !ev_span_eq(d->rg, p->resource_group))
        return ENG_DISK_OTHER_GROUP;
    return ENG_DISK_FITS;
}

eng_disk_conflict eng_disk_entry_conflict(const pol_policy *p, const char *entry,
                                          const char **part, size_t *len)
{
    *part = NULL;
    *len = 0;
    if (entry == NULL || strchr(entry, '/') == NULL)
        return ENG_DISK_FITS;
    ev_disk_id d = ev_parse_disk_id(entry);
    if (d.name.p == NULL)
        return ENG_DISK_NOT_A_DISK_ID;
    eng_disk_conflict c = outside(p, &d);
    if (c != ENG_DISK_FITS) {
        ev_span s = c == ENG_DISK_OTHER_SUBSCRIPTION ? d.sub : d.rg;
        *part = s.p;
        *len = s.n;
    }
    return c;
}

bool ev_scope_disk_entry(const pol_policy *p, size_t i, const char *source_id)
{
    if (source_id == NULL || source_id[0] == '\0' || i >= p->ndisks || p->disks[i] == NULL)
        return false;
    ev_disk_id d = ev_parse_disk_id(source_id);
    if (outside(p, &d) != ENG_DISK_FITS)
        return false;
    return ev_disk_entry_match(p->disks[i], source_id, &d);
}

/* Subscription and resource group filter; disk entries and disk-tag
 * selectors both select disks, so a disk matching either is in scope. */
bool ev_scope_match(const pol_policy *p, const char *source_id,
                    const inv_inventory *inv)
{
    if (p->anonymous)
        return true;
    bool subs = p->nsubscriptions > 0 || p->subscription != NULL || p->all_subscriptions;
    if (!subs && p->resource_group == NULL &&
        p->ndisks == 0 && p->ndisk_tags == 0)
        return true;
    if (source_id == NULL || source_id[0] == '\0')
        return false;
    ev_disk_id d = ev_parse_disk_id(source_id);
    if (outside(p, &d) != ENG_DISK_FITS)
        return false;
    if (p->ndisks == 0 && p->ndisk_tags == 0)
        return true;
    for (size_t i = 0; i < p->ndisks; i++)
        if (p->disks[i] != NULL && ev_disk_entry_match(p->disks[i], source_id, &d))
            return true;
    return ev_disk_tags_match(p, source_id, inv);
}

bool ev_owner_ok(const pol_policy *p, const char *owner_tag)
{
    if (p->anonymous)
        return true;
    if (owner_tag != NULL)
        return p->name != NULL && strcmp(owner_tag, p->name) == 0;
    return p->adopt_untagged;
}

bool eng_policy_scopes(const pol_policy *p, const inv_snapshot *s,
                       const inv_inventory *inv)
{
    return ev_scope_match(p, s->source_id, inv);
}

bool eng_policy_scopes_disk(const pol_policy *p, const char *disk_id,
                            const inv_inventory *inv)
{
    return ev_scope_match(p, disk_id, inv);
}

bool eng_policy_owns(const pol_policy *p, const inv_snapshot *s,
                     const inv_inventory *inv)
{
    return ev_scope_match(p, s->source_id, inv) &&
           ev_owner_ok(p, inv_tag_get(s->tags, s->ntags, POL_OWNER_TAG));
}
