/* A disk's identity; see identity.h. */
#include "engine/identity.h"

#include <stdlib.h>

#include <stdio.h>

#include "engine/ascii.h"
#include "engine/policy.h"

struct eng_disk_index {
    const inv_inventory *inv;
    size_t *slots;              /* disk index + 1, 0 = empty; open addressing */
    size_t mask;
};

const char *eng_identity_name(eng_identity id)
{
    switch (id) {
    case ENG_ID_CURRENT: return "current";
    case ENG_ID_UNJUDGED: return "unjudged";
    case ENG_ID_EARLIER: return "earlier";
    case ENG_ID_GONE: return "gone";
    }
    return "unjudged";
}

const char *eng_identity_text(eng_identity id)
{
    switch (id) {
    case ENG_ID_CURRENT: return "the disk as it is now";
    case ENG_ID_UNJUDGED: return "not judged (no disk list)";
    case ENG_ID_EARLIER: return "an earlier disk of the same name";
    case ENG_ID_GONE: return "a disk that is gone";
    }
    return "not judged";
}

size_t eng_retired_setting(const pol_policy *p, char *buf, size_t n)
{
    char d[64];
    int len;
    if (p->retired == POL_RETIRED_KEEP_ALL) {
        len = snprintf(buf, n, "keep-all");
    } else if (p->retired == POL_RETIRED_FOR) {
        pol_duration_format(&p->retired_for, d, sizeof d);
        len = snprintf(buf, n, "for %s", d);
    } else {
        len = snprintf(buf, n, "forever");
    }
    return len < 0 ? 0 : (size_t)len;
}

size_t eng_retired_text(const pol_policy *p, char *buf, size_t n)
{
    char d[64];
    int len;
    if (p->retired == POL_RETIRED_KEEP_ALL) {
        len = snprintf(buf, n, "every snapshot of a gone disk, or of an earlier disk of the "
                       "same name, is kept (retired keep-all)");
    } else if (p->retired == POL_RETIRED_FOR) {
        pol_duration_format(&p->retired_for, d, sizeof d);
        len = snprintf(buf, n, "the snapshots of a gone disk, or of an earlier disk of the "
                       "same name, are thinned by the rules, the newest kept, until it is %s "
                       "old; then no rule keeps them (retired for %s)", d, d);
    } else {
        len = snprintf(buf, n, "the snapshots of a gone disk, or of an earlier disk of the "
                       "same name, are thinned by the rules and the newest is kept for ever "
                       "(retired forever, the default)");
    }
    return len < 0 ? 0 : (size_t)len;
}

static bool known(const char *s)
{
    return s != NULL && s[0] != '\0';
}

bool eng_same_unique_id(const char *a, const char *b)
{
    return !known(a) || !known(b) || eng_ascii_ieq(a, b);
}

eng_disk_index *eng_disk_index_new(const inv_inventory *inv)
{
    eng_disk_index *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    size_t cap = 16;
    while (cap < inv->ndisks * 2)
        cap *= 2;
    x->slots = calloc(cap, sizeof *x->slots);
    if (x->slots == NULL) {
        free(x);
        return NULL;
    }
    x->inv = inv;
    x->mask = cap - 1;
    for (size_t i = 0; i < inv->ndisks; i++) {
        const char *id = inv->disks[i].id;
        if (!known(id))
            continue;
        size_t k = (size_t)inv_id_hash(id) & x->mask;
        while (x->slots[k] != 0 && !inv_id_equal(inv->disks[x->slots[k] - 1].id, id))
            k = (k + 1) & x->mask;
        if (x->slots[k] == 0)
            x->slots[k] = i + 1;    /* the first of duplicates wins */
    }
    return x;
}

void eng_disk_index_free(eng_disk_index *x)
{
    if (x == NULL)
        return;
    free(x->slots);
    free(x);
}

const inv_disk *eng_disk_find(const eng_disk_index *x, const char *disk_id)
{
    if (!known(disk_id))
        return NULL;
    for (size_t k = (size_t)inv_id_hash(disk_id) & x->mask; x->slots[k] != 0;
         k = (k + 1) & x->mask)
        if (inv_id_equal(x->inv->disks[x->slots[k] - 1].id, disk_id))
            return &x->inv->disks[x->slots[k] - 1];
    return NULL;
}

eng_identity eng_identity_of(const eng_disk_index *x, const char *source_id,
                             const char *source_unique_id)
{
    if (!known(source_id) || !x->inv->disks_known)
        return ENG_ID_UNJUDGED;
    const inv_disk *d = eng_disk_find(x, source_id);
    if (d == NULL)
        return inv_disks_cover(x->inv, source_id) ? ENG_ID_GONE : ENG_ID_UNJUDGED;
    if (!known(d->unique_id))
        return ENG_ID_UNJUDGED;
    return eng_same_unique_id(d->unique_id, source_unique_id) ? ENG_ID_CURRENT
                                                             : ENG_ID_EARLIER;
}
