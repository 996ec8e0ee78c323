/* ARM reads: resource IDs and URLs, listings that follow nextLink exactly
 * as given, and single GETs. Pages are turned into inventory records by
 * the shared inventory reader (azure/inventory_read.h). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/az_internal.h"
#include "azure/inventory_read.h"

#define ARM_MAX_PAGES 100000

int az_path_escape(char *buf, size_t n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool keep = isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~';
        if (j + (keep ? 1 : 3) >= n)
            return -1;
        if (keep)
            buf[j++] = (char)ch;
        else {
            buf[j++] = '%';
            buf[j++] = hex[ch >> 4];
            buf[j++] = hex[ch & 15];
        }
    }
    if (j >= n)
        return -1;
    buf[j] = '\0';
    return 0;
}

int az_resource_id(char *buf, size_t n, const char *subscription,
                   const char *resource_group, const char *kind, const char *name)
{
    char s[256], g[512], k[64], nm[512];
    if (subscription == NULL || resource_group == NULL || kind == NULL || name == NULL ||
        !*subscription || !*resource_group || !*name ||
        az_path_escape(s, sizeof s, subscription) != 0 ||
        az_path_escape(g, sizeof g, resource_group) != 0 ||
        az_path_escape(k, sizeof k, kind) != 0 || az_path_escape(nm, sizeof nm, name) != 0)
        return -1;
    int w = snprintf(buf, n, "/subscriptions/%s/resourceGroups/%s/providers/"
                     "Microsoft.Compute/%s/%s", s, g, k, nm);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

char *az_arm_url(const az_client *c, const char *id)
{
    const char *base = az_arm_base(c);
    size_t n = strlen(base) + strlen(id) + 64;
    char *url = malloc(n);
    if (url != NULL)
        snprintf(url, n, "%s%s%s?api-version=%s", base, id[0] == '/' ? "" : "/", id,
                 AZ_API_VERSION);
    return url;
}

static bool arm_hex(char ch)
{
    return isxdigit((unsigned char)ch) != 0;
}

/* An ID as ARM returns it is not encoded ("my rg", "{myNIC}"); one built
 * by az_resource_id is. ARM names never hold '%', so "%XX" is taken as an
 * escape already made and both forms give the same URL. */
char *az_arm_url_ver(const az_client *c, const char *id, const char *suffix,
                     const char *api_version)
{
    static const char hex[] = "0123456789ABCDEF";
    if (id == NULL || *id == '\0')
        return NULL;
    const char *base = az_arm_base(c);
    size_t n = strlen(base) + 3 * strlen(id) + (suffix ? strlen(suffix) : 0) +
               strlen(api_version) + 32;
    char *url = malloc(n);
    if (url == NULL)
        return NULL;
    size_t j = (size_t)snprintf(url, n, "%s%s", base, id[0] == '/' ? "" : "/");
    for (const char *s = id; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/' ||
            (ch == '%' && arm_hex(s[1]) && arm_hex(s[2]))) {
            url[j++] = (char)ch;
        } else {
            url[j++] = '%';
            url[j++] = hex[ch >> 4];
            url[j++] = hex[ch & 15];
        }
    }
    snprintf(url + j, n - j, "%s?api-version=%s", suffix ? suffix : "", api_version);
    return url;
}

bool az_id_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    while (*a == '/')
        a++;
    while (*b == '/')
        b++;
    return strcasecmp(a, b) == 0;
}

static char *arm_list_url(const az_client *c, const char *sub, const char *rg,
                          const char *kind, az_error *err)
{
    char s[256], g[512], path[1024];
    if (sub == NULL || *sub == '\0' || az_path_escape(s, sizeof s, sub) != 0 ||
        (rg != NULL && az_path_escape(g, sizeof g, rg) != 0)) {
        az_error_set(err, "InvalidScope", "subscription or resource group name not usable");
        return NULL;
    }
    if (rg != NULL)
        snprintf(path, sizeof path, "/subscriptions/%s/resourceGroups/%s/providers/"
                 "Microsoft.Compute/%s", s, g, kind);
    else
        snprintf(path, sizeof path, "/subscriptions/%s/providers/Microsoft.Compute/%s", s, kind);
    char *url = az_arm_url(c, path);
    if (url == NULL)
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
    return url;
}

/* One GET to its end; 0 with the answer in call (status 200), else -1
 * with err describing the failure. */
static int arm_get(az_client *c, az_call *call, char *url, az_error *err)
{
    memset(call, 0, sizeof *call);
    call->method = "GET";
    call->url = url;
    call->idempotent = true;
    if (az_exec_one(c, call) != 0) {
        *err = call->err;
        return -1;
    }
    if (call->resp.status != 200) {
        az_error_from_resp(err, &call->resp);
        az_client_redact(c, err->message, sizeof err->message);
        return -1;
    }
    return 0;
}

int az_arm_read(az_client *c, char *url, az_call *call, az_error *err)
{
    memset(err, 0, sizeof *err);
    if (url == NULL) {
        memset(call, 0, sizeof *call);
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        return -1;
    }
    int rc = arm_get(c, call, url, err);
    if (rc != 0 && call->ok && call->resp.status == 404) {
        memset(err, 0, sizeof *err);
        return 0;
    }
    return rc == 0 ? 1 : -1;
}

/* The page URLs a listing has asked for, as 64-bit FNV-1a hashes in an
 * open-addressed set: 16 bytes a page at most, whatever the URLs' length.
 * A collision would only end the listing as a cycle (fail closed). */
typedef struct arm_seen {
    uint64_t *slot;             /* 0: empty */
    size_t cap, n;
} arm_seen;

static uint64_t arm_url_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h != 0 ? h : 1;
}

/* 1: added, 0: seen before, -1: out of memory. */
static int arm_seen_add(arm_seen *set, const char *url)
{
    if ((set->n + 1) * 2 > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        uint64_t *slot = calloc(cap, sizeof *slot);
        if (slot == NULL)
            return -1;
        for (size_t i = 0; i < set->cap; i++)
            if (set->slot[i] != 0) {
                size_t j = (size_t)(set->slot[i] & (cap - 1));
                while (slot[j] != 0)
                    j = (j + 1) & (cap - 1);
                slot[j] = set->slot[i];
            }
        free(set->slot);
        set->slot = slot;
        set->cap = cap;
    }
    uint64_t h = arm_url_hash(url);
    size_t j = (size_t)(h & (set->cap - 1));
    while (set->slot[j] != 0) {
        if (set->slot[j] == h)
            return 0;
        j = (j + 1) & (set->cap - 1);
    }
    set->slot[j] = h;
    set->n++;
    return 1;
}

static int arm_list(az_client *c, const char *kind, const char *sub, const char *rg,
                    inv_inventory *inv, az_page_fn on_page, void *ctx, az_error *err)
{
    char msg[1024];
    memset(err, 0, sizeof *err);
    char *url = arm_list_url(c, sub, rg, kind, err);
    bool disks = strcmp(kind, "disks") == 0;
    size_t start = disks ? inv->ndisks : inv->nsnapshots;
    arm_seen seen = { 0 };
    for (int page = 0; url != NULL; page++) {
        az_call call;
        if (page >= ARM_MAX_PAGES) {
            az_error_set(err, "TooManyPages", "listing %s: more than %d pages", kind, page);
            free(url);
            break;
        }
        /* any page asked for twice (A, B, A) would repeat forever */
        int fresh = arm_seen_add(&seen, url);
        if (fresh <= 0) {
            if (fresh < 0)
                az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
            else
                az_error_set(err, "InvalidResponse", "listing %s: page %d's nextLink is the "
                             "URL of an earlier page (%.*s): the listing would never end", kind,
                             page, (int)strcspn(url, "?"), url);
            free(url);
            break;
        }
        if (arm_get(c, &call, url, err) != 0) {
            az_call_reset(&call);
            url = NULL;
            break;
        }
        char *next = NULL;
        size_t before = disks ? inv->ndisks : inv->nsnapshots;
        if (az_body_blank(call.resp.body, call.resp.body_len)) {
            az_error_set(err, "InvalidResponse", "listing %s: page %d: HTTP 200 with an empty "
                         "body", kind, page + 1);
            snprintf(err->request_id, sizeof err->request_id, "%s", call.resp.request_id);
            az_call_reset(&call);
            url = NULL;
            break;
        }
        int rc = disks ? inv_read_arm_disk_page(inv, "ARM page", call.resp.body,
                                                call.resp.body_len, &next, msg, sizeof msg)
                       : inv_read_arm_page(inv, "ARM page", call.resp.body, call.resp.body_len,
                                           &next, msg, sizeof msg);
        if (rc != 0) {
            az_error_set(err, "InvalidResponse", "listing %s: page %d: %s", kind, page + 1, msg);
            snprintf(err->request_id, sizeof err->request_id, "%s", call.resp.request_id);
            err->http_status = call.resp.status;
            az_call_reset(&call);
            url = NULL;
            break;
        }
        if (on_page != NULL)
            on_page(ctx, call.resp.body, call.resp.body_len, before,
                    (disks ? inv->ndisks : inv->nsnapshots) - before);
        az_call_reset(&call);   /* frees url */
        url = next;             /* followed exactly as given */
    }
    free(seen.slot);
    if (err->code[0] != '\0') {
        /* never a shorter inventory: drop what this listing added */
        if (disks)
            inv->ndisks = start;
        else
            inv->nsnapshots = start;
        return -1;
    }
    return 0;
}

int az_list_snapshots_pages(az_client *c, const char *subscription,
                            const char *resource_group, inv_inventory *inv,
                            az_page_fn on_page, void *ctx, az_error *err)
{
    return arm_list(c, "snapshots", subscription, resource_group, inv, on_page, ctx, err);
}

int az_list_snapshots(az_client *c, const char *subscription,
                      const char *resource_group, inv_inventory *inv, az_error *err)
{
    return arm_list(c, "snapshots", subscription, resource_group, inv, NULL, NULL, err);
}

int az_list_disks(az_client *c, const char *subscription,
                  const char *resource_group, inv_inventory *inv, az_error *err)
{
    return arm_list(c, "disks", subscription, resource_group, inv, NULL, NULL, err);
}

/* Whether an answer has anything but white space in it: a 200 with an
 * empty body is Azure failing, not a resource (nor an empty page). */
bool az_body_blank(const char *body, size_t len)
{
    for (size_t i = 0; body != NULL && i < len; i++)
        if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n')
            return false;
    return true;
}

/* One resource read as a one-element page, so the same reader checks it.
 * Exactly one record must come out: an empty body, "{}" or a list would
 * otherwise leave the caller looking at another resource's record. */
int az_parse_resource(inv_inventory *inv, bool disk, const char *body, size_t len,
                      az_error *err)
{
    char msg[1024], *next = NULL;
    if (az_body_blank(body, len)) {
        az_error_set(err, "InvalidResponse", "ARM resource: HTTP 200 with an empty body");
        return -1;
    }
    size_t n = len + 16;
    char *page = malloc(n);
    if (page == NULL) {
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        return -1;
    }
    memcpy(page, "{\"value\":[", 10);
    memcpy(page + 10, body, len);
    memcpy(page + 10 + len, "]}", 2);
    bool known = inv->disks_known;
    size_t before = disk ? inv->ndisks : inv->nsnapshots;
    int rc = disk ? inv_read_arm_disk_page(inv, "ARM resource", page, len + 12, &next, msg,
                                           sizeof msg)
                  : inv_read_arm_page(inv, "ARM resource", page, len + 12, &next, msg,
                                      sizeof msg);
    if (disk)
        inv->disks_known = known;   /* one disk is not the disk inventory */
    free(page);
    free(next);
    size_t added = (disk ? inv->ndisks : inv->nsnapshots) - before;
    if (rc == 0 && added != 1) {
        snprintf(msg, sizeof msg, "ARM resource: %zu resources in an answer about one", added);
        rc = -1;
    }
    if (rc != 0)
        az_error_set(err, "InvalidResponse", "%s", msg);
    return rc;
}

static int arm_get_one(az_client *c, const char *id, bool disk, inv_inventory *inv,
                       az_error *err)
{
    memset(err, 0, sizeof *err);
    az_call call;
    char *url = az_arm_url(c, id);
    if (url == NULL) {
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        return -1;
    }
    int rc = arm_get(c, &call, url, err);
    if (rc != 0 && call.ok && call.resp.status == 404) {
        memset(err, 0, sizeof *err);
        az_call_reset(&call);
        return 0;
    }
    if (rc == 0)
        rc = az_parse_resource(inv, disk, call.resp.body, call.resp.body_len, err) == 0 ? 1 : -1;
    az_call_reset(&call);
    return rc;
}

int az_get_snapshot(az_client *c, const char *id, inv_inventory *inv,
                    inv_snapshot **out, az_error *err)
{
    int rc = arm_get_one(c, id, false, inv, err);
    if (out != NULL)
        *out = rc == 1 ? &inv->snapshots[inv->nsnapshots - 1] : NULL;
    return rc;
}

int az_get_disk(az_client *c, const char *id, inv_inventory *inv,
                inv_disk **out, az_error *err)
{
    int rc = arm_get_one(c, id, true, inv, err);
    if (out != NULL)
        *out = rc == 1 ? &inv->disks[inv->ndisks - 1] : NULL;
    return rc;
}
