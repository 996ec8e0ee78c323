/* Shared by the inventory reader's files (azure/inventory_read.c,
 * azure/inv_read_elem.c, azure/inv_read_fields.c, azure/inv_read_keys.c).
 * Internal to azure/. */
#ifndef SNAPKEEP_INV_READ_PRIV_H
#define SNAPKEEP_INV_READ_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "azure/inv_json.h"
#include "engine/inventory.h"

/* How the element being read was reached, for its jq path in messages. */
typedef enum rd_shape {
    RD_ARM,         /* {"value":[...]}           .value[i]      */
    RD_PAGES,       /* [{"value":[...]}, ...]    .[p].value[i]  */
    RD_AZ           /* [SNAPSHOT, ...]           .[i]           */
} rd_shape;

/* Values that repeat from one snapshot to the next (the disk's ID, the
 * location, tag names and values) are stored once: the last value of each
 * field is remembered, with its raw bytes in the input. */
enum {
    RD_MEMO_NONE = -1, RD_MEMO_SOURCE, RD_MEMO_LOCATION, RD_MEMO_STATE, RD_MEMO_SKU,
    RD_MEMO_TAGS, RD_MEMO_NTAGS = 8,        /* key and value of the first 8 tags */
    RD_MEMO_SLOTS = RD_MEMO_TAGS + 2 * RD_MEMO_NTAGS
};

typedef struct rd_memo {
    const unsigned char *raw;
    size_t len;
    const char *val;
} rd_memo;

typedef struct rd {
    ij_cur c;
    inv_inventory *inv;
    rd_shape shape;
    size_t page, index;         /* of the element being read */
    /* A problem with an element is kept until the element ends, so the
     * message can name the snapshot even when "name" comes last. */
    bool pending;
    const unsigned char *pend_at;
    char pend[384];
    inv_tag *tagbuf;            /* scratch for one "tags" object */
    size_t tagcap;
    rd_memo memo[RD_MEMO_SLOTS];
} rd;

/* Records the element's first problem (printf-style, "FIELD: what"). */
void rd_pend(rd *r, const unsigned char *at, const char *fmt, ...) IJ_PRINTF(3, 4);
/* Reports the pending problem, prefixed with the element's kind, path and
 * name; returns -1. */
int rd_fail_elem(rd *r, const char *kind, const char *name);
/* Writes the element's jq path (".value[3]"). */
void rd_path(const rd *r, char *buf, size_t n);

/* Field readers at c->p. A wrong type is recorded with rd_pend and the
 * value skipped; -1 only for malformed JSON or no memory. */
typedef enum rd_strmode { RD_STR_OPTIONAL, RD_STR_REQUIRED, RD_STR_RESOURCE_ID } rd_strmode;
int rd_string(rd *r, const char *field, rd_strmode mode, int memo, const char **dst);
int rd_bool(rd *r, const char *field, bool *dst);
/* A bad time is recorded (the element fails when it ends). */
int rd_time(rd *r, const char *field, sk_time *dst);
int rd_tags(rd *r, inv_tag **tags, uint32_t *ntags);
/* An object field whose members the caller walks: 1 when it is an object
 * (opened), 0 when it is null or of the wrong type (recorded, skipped). */
int rd_object(rd *r, const char *field);
/* Records "FIELD: given more than once" when `bit` is already in *seen. */
void rd_once(rd *r, unsigned *seen, unsigned bit, const char *field);

/* The object keys the readers know, compared once decoded. */
typedef enum rd_key_id {
    K_OTHER, K_NAME, K_ID, K_LOCATION, K_TAGS, K_SKU, K_PROPERTIES, K_TIME,
    K_CREATION, K_STATE, K_INCREMENTAL, K_SOURCE, K_ZONES, K_VALUE, K_NEXTLINK,
    K_TYPE, K_MANAGED_BY, K_DISK_STATE
} rd_key_id;
rd_key_id rd_key(const ij_str *k);

/* One element of a "value" array, at c->p. */
int rd_snapshot(rd *r);
int rd_disk(rd *r);

#endif
