/* One snapshot or disk object. ARM nests timeCreated, creationData,
 * provisioningState and incremental under "properties"; `az snapshot list`
 * lifts them to the top level. Both are read by the same code, so both give
 * identical records. */
#include "azure/inv_read_priv.h"

#include <string.h>

enum {
    F_NAME = 1u << 0, F_ID = 1u << 1, F_LOC = 1u << 2, F_TAGS = 1u << 3,
    F_SKU = 1u << 4, F_PROPS = 1u << 5, F_TIME = 1u << 6, F_CD = 1u << 7,
    F_STATE = 1u << 8, F_INC = 1u << 9, F_SRC = 1u << 10, F_SKUNAME = 1u << 11,
    F_ZONES = 1u << 12, F_MANAGED = 1u << 13, F_DSTATE = 1u << 14
};

/* Field names as messages show them, flattened (az) or under properties. */
typedef struct names {
    const char *time, *cd, *src, *state, *inc;
} names;

static const names FLAT = {
    "timeCreated", "creationData", "creationData.sourceResourceId",
    "provisioningState", "incremental"
};
static const names NESTED = {
    "properties.timeCreated", "properties.creationData",
    "properties.creationData.sourceResourceId", "properties.provisioningState",
    "properties.incremental"
};

typedef struct snap_ctx {
    rd *r;
    inv_snapshot *s;
    unsigned seen;
} snap_ctx;

static int snap_creation_data(snap_ctx *x, const names *nm)
{
    rd *r = x->r;
    int open = rd_object(r, nm->cd);
    if (open <= 0)
        return open;
    size_t n = 0;
    ij_str k;
    int more;
    while ((more = ij_obj_next(&r->c, &n, &k)) > 0) {
        int rc;
        if (rd_key(&k) == K_SOURCE) {
            rd_once(r, &x->seen, F_SRC, nm->src);
            rc = rd_string(r, nm->src, RD_STR_RESOURCE_ID, RD_MEMO_SOURCE, &x->s->source_id);
        } else {
            rc = ij_skip(&r->c);
        }
        if (rc < 0)
            return -1;
    }
    return more;
}

/* The members ARM keeps under "properties" and az lifts to the top.
 * Returns 1 when the key was one of them. */
static int snap_prop(snap_ctx *x, rd_key_id key, const names *nm)
{
    rd *r = x->r;
    inv_snapshot *s = x->s;
    switch (key) {
    case K_TIME:
        rd_once(r, &x->seen, F_TIME, nm->time);
        return rd_time(r, nm->time, &s->created) < 0 ? -1 : 1;
    case K_CREATION:
        rd_once(r, &x->seen, F_CD, nm->cd);
        return snap_creation_data(x, nm) < 0 ? -1 : 1;
    case K_STATE:
        rd_once(r, &x->seen, F_STATE, nm->state);
        return rd_string(r, nm->state, RD_STR_OPTIONAL, RD_MEMO_STATE,
                         &s->provisioning_state) < 0 ? -1 : 1;
    case K_INCREMENTAL:
        rd_once(r, &x->seen, F_INC, nm->inc);
        return rd_bool(r, nm->inc, &s->incremental) < 0 ? -1 : 1;
    default:
        return 0;
    }
}

static int snap_properties(snap_ctx *x)
{
    rd *r = x->r;
    int open = rd_object(r, "properties");
    if (open <= 0)
        return open;
    size_t n = 0;
    ij_str k;
    int more;
    while ((more = ij_obj_next(&r->c, &n, &k)) > 0) {
        int rc = snap_prop(x, rd_key(&k), &NESTED);
        if (rc == 0)
            rc = ij_skip(&r->c);
        if (rc < 0)
            return -1;
    }
    return more;
}

/* "sku": {"name": ...}, for snapshots and disks alike. */
static int read_sku(rd *r, unsigned *seen, const char **dst)
{
    int open = rd_object(r, "sku");
    if (open <= 0)
        return open;
    size_t n = 0;
    ij_str k;
    int more;
    while ((more = ij_obj_next(&r->c, &n, &k)) > 0) {
        int rc;
        if (rd_key(&k) == K_NAME) {
            rd_once(r, seen, F_SKUNAME, "sku.name");
            rc = rd_string(r, "sku.name", RD_STR_OPTIONAL, RD_MEMO_SKU, dst);
        } else {
            rc = ij_skip(&r->c);
        }
        if (rc < 0)
            return -1;
    }
    return more;
}

/* The members every resource has at the top level: name, id, location,
 * tags, sku. Returns 1 when the key was one of them. */
static int common_member(rd *r, unsigned *seen, rd_key_id key, const char **name,
                         const char **id, const char **loc, const char **sku,
                         inv_tag **tags, uint32_t *ntags)
{
    switch (key) {
    case K_NAME:
        rd_once(r, seen, F_NAME, "name");
        return rd_string(r, "name", RD_STR_REQUIRED, RD_MEMO_NONE, name) < 0 ? -1 : 1;
    case K_ID:
        rd_once(r, seen, F_ID, "id");
        return rd_string(r, "id", RD_STR_OPTIONAL, RD_MEMO_NONE, id) < 0 ? -1 : 1;
    case K_LOCATION:
        rd_once(r, seen, F_LOC, "location");
        return rd_string(r, "location", RD_STR_OPTIONAL, RD_MEMO_LOCATION, loc) < 0 ? -1 : 1;
    case K_TAGS:
        rd_once(r, seen, F_TAGS, "tags");
        return rd_tags(r, tags, ntags) < 0 ? -1 : 1;
    case K_SKU:
        rd_once(r, seen, F_SKU, "sku");
        return read_sku(r, seen, sku) < 0 ? -1 : 1;
    default:
        return 0;
    }
}

static int snap_member(snap_ctx *x, const ij_str *k)
{
    rd *r = x->r;
    inv_snapshot *s = x->s;
    rd_key_id key = rd_key(k);
    int rc = common_member(r, &x->seen, key, &s->name, &s->id, &s->location, &s->sku,
                           &s->tags, &s->ntags);
    if (rc != 0)
        return rc;
    if (key == K_PROPERTIES) {
        rd_once(r, &x->seen, F_PROPS, "properties");
        return snap_properties(x) < 0 ? -1 : 1;
    }
    if (r->shape == RD_AZ && (key == K_VALUE || key == K_NEXTLINK))
        rd_pend(r, k->raw - 1, "an ARM list page among snapshots: the array must "
                "hold either snapshots or pages");
    rc = snap_prop(x, key, &FLAT);
    if (rc == 0)
        rc = ij_skip(&r->c);
    return rc;
}

/* The element must be an object; anything else is reported at once. */
static int elem_begin(rd *r, const char *kind)
{
    if (ij_peek(&r->c) == '{')
        return ij_obj_begin(&r->c);
    if (!ij_kind(&r->c))
        return ij_fail_expected(&r->c, "a value");
    rd_pend(r, r->c.p, "expected an object, found %s", ij_kind(&r->c));
    return rd_fail_elem(r, kind, NULL);
}

int rd_snapshot(rd *r)
{
    const unsigned char *at = r->c.p;
    if (elem_begin(r, "snapshot") < 0)
        return -1;
    inv_snapshot *s = inv_add_snapshot(r->inv);
    if (!s)
        return ij_fail(&r->c, at, "out of memory");
    snap_ctx x = { r, s, 0 };
    s->id = "";
    size_t n = 0;
    ij_str k;
    int more;
    while ((more = ij_obj_next(&r->c, &n, &k)) > 0)
        if (snap_member(&x, &k) < 0)
            return -1;
    if (more < 0)
        return -1;
    if (!(x.seen & F_NAME))
        rd_pend(r, at, "name: missing");
    if (!(x.seen & F_TIME))
        rd_pend(r, at, "%s: missing", r->shape == RD_AZ ? FLAT.time : NESTED.time);
    if (r->pending)
        return rd_fail_elem(r, "snapshot", s->name);
    return 0;
}

/* "zones": ["1"]: the first zone, the only one a managed disk can have. */
static int disk_zones(rd *r, inv_disk *d)
{
    ij_cur *c = &r->c;
    if (ij_peek(c) != '[') {
        if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
            c->p += 4;
            return 0;
        }
        if (!ij_kind(c))
            return ij_fail_expected(c, "a value");
        rd_pend(r, c->p, "zones: expected an array, found %s", ij_kind(c));
        return ij_skip(c);
    }
    if (ij_arr_begin(c) < 0)
        return -1;
    size_t n = 0;
    int more;
    while ((more = ij_arr_next(c, &n)) > 0) {
        const char *zone = NULL;
        if (rd_string(r, "zones", RD_STR_OPTIONAL, RD_MEMO_NONE, &zone) < 0)
            return -1;
        if (n == 1)
            d->zone = zone;
    }
    return more;
}

/* diskState under "properties" (ARM) or at the top (`az disk list`). */
static int disk_state(rd *r, unsigned *seen, inv_disk *d, const char *field)
{
    rd_once(r, seen, F_DSTATE, field);
    return rd_string(r, field, RD_STR_OPTIONAL, RD_MEMO_NONE, &d->disk_state);
}

static int disk_properties(rd *r, unsigned *seen, inv_disk *d)
{
    int open = rd_object(r, "properties");
    if (open <= 0)
        return open;
    size_t n = 0;
    ij_str k;
    int more;
    while ((more = ij_obj_next(&r->c, &n, &k)) > 0) {
        int rc = rd_key(&k) == K_DISK_STATE ? disk_state(r, seen, d, "properties.diskState")
                                            : ij_skip(&r->c);
        if (rc < 0)
            return -1;
    }
    return more;
}

int rd_disk(rd *r)
{
    const unsigned char *at = r->c.p;
    if (elem_begin(r, "disk") < 0)
        return -1;
    inv_disk *d = inv_add_disk(r->inv);
    if (!d)
        return ij_fail(&r->c, at, "out of memory");
    d->id = "";
    unsigned seen = 0;
    size_t n = 0;
    ij_str k;
    int more;
    while ((more = ij_obj_next(&r->c, &n, &k)) > 0) {
        rd_key_id key = rd_key(&k);
        int rc = common_member(r, &seen, key, &d->name, &d->id, &d->location, &d->sku,
                               &d->tags, &d->ntags);
        if (rc == 0 && key == K_ZONES) {
            rd_once(r, &seen, F_ZONES, "zones");
            rc = disk_zones(r, d);
        } else if (rc == 0 && key == K_MANAGED_BY) {
            rd_once(r, &seen, F_MANAGED, "managedBy");
            rc = rd_string(r, "managedBy", RD_STR_OPTIONAL, RD_MEMO_NONE, &d->managed_by);
        } else if (rc == 0 && key == K_DISK_STATE) {
            rc = disk_state(r, &seen, d, "diskState");
        } else if (rc == 0 && key == K_PROPERTIES) {
            rd_once(r, &seen, F_PROPS, "properties");
            rc = disk_properties(r, &seen, d);
        } else if (rc == 0) {
            rc = ij_skip(&r->c);
        }
        if (rc < 0)
            return -1;
    }
    if (more < 0)
        return -1;
    if (!(seen & F_NAME))
        rd_pend(r, at, "name: missing");
    if (r->pending)
        return rd_fail_elem(r, "disk", d->name);
    return 0;
}
