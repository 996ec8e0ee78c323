/* Listing through Azure Resource Graph: one KQL query over many
 * subscriptions, paged with $skipToken, turned into the same inventory
 * records the per-scope ARM listing gives (each page's rows go through the
 * ARM page reader as a {"value":[...]} page). Fail closed like the ARM
 * listing: a page that fails, an answer that does not parse or does not
 * add up, a truncated result or a subscription limit hit fails the whole
 * listing and adds nothing. Resource Graph is an index that lags behind
 * ARM: callers re-read every snapshot through ARM before deleting it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/inventory_read.h"

#define GRAPH_PATH "/providers/Microsoft.ResourceGraph/resources"
#define GRAPH_MAX_PAGES 100000
/* Resource Graph answers at most 1000 rows a page */
#define GRAPH_TOP 1000

/* The columns ARM's listing carries that the inventory reader reads, so a
 * row is a resource as ARM lists it; ordered by id, so pages are stable. */
static const char graph_snapshots[] =
    "Resources | where type =~ 'microsoft.compute/snapshots' "
    "| project id, name, type, location, tags, sku, properties | order by id asc";
static const char graph_disks[] =
    "Resources | where type =~ 'microsoft.compute/disks' "
    "| project id, name, type, location, tags, sku, zones, managedBy, properties "
    "| order by id asc";

const char *az_graph_query(bool disks)
{
    return disks ? graph_disks : graph_snapshots;
}

/* Segment k of a resource ID ("/subscriptions/S/resourceGroups/G/..."),
 * 1 = S, 3 = G, into buf; false when the ID has no such segment. */
static bool graph_segment(const char *id, int k, char *buf, size_t n)
{
    const char *p = id;
    while (*p == '/')
        p++;
    for (int i = 0; i < k; i++) {
        p = strchr(p, '/');
        if (p == NULL)
            return false;
        p++;
    }
    size_t len = strcspn(p, "/");
    if (len == 0 || len >= n)
        return false;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return true;
}

/* Whether the ARM listing of one of the scopes would have listed the
 * resource: its subscription and resource group segments. */
static bool graph_in_scope(const char *id, const az_graph_scope *scopes, size_t n)
{
    char sub[256], rg[256], w0[32], w2[32];
    if (!graph_segment(id, 0, w0, sizeof w0) || strcasecmp(w0, "subscriptions") != 0 ||
        !graph_segment(id, 1, sub, sizeof sub) || !graph_segment(id, 2, w2, sizeof w2) ||
        strcasecmp(w2, "resourceGroups") != 0 || !graph_segment(id, 3, rg, sizeof rg))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((scopes[i].subscription == NULL || strcasecmp(scopes[i].subscription, sub) == 0) &&
            (scopes[i].resource_group == NULL || strcasecmp(scopes[i].resource_group, rg) == 0))
            return true;
    return false;
}

static char *graph_body(const char *const *subs, size_t nsubs, bool disks, const char *skip)
{
    cJSON *root = cJSON_CreateObject(), *opts = NULL;
    bool ok = root != NULL;
    if (ok && nsubs > 0) {
        cJSON *arr = cJSON_AddArrayToObject(root, "subscriptions");
        for (size_t i = 0; arr != NULL && i < nsubs; i++)
            ok = ok && cJSON_AddItemToArray(arr, cJSON_CreateString(subs[i]));
        ok = ok && arr != NULL;
    }
    ok = ok && cJSON_AddStringToObject(root, "query", az_graph_query(disks)) != NULL &&
         (opts = cJSON_AddObjectToObject(root, "options")) != NULL &&
         cJSON_AddNumberToObject(opts, "$top", GRAPH_TOP) != NULL &&
         cJSON_AddStringToObject(opts, "resultFormat", "objectArray") != NULL &&
         (skip == NULL || cJSON_AddStringToObject(opts, "$skipToken", skip) != NULL);
    char *s = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return s;
}

/* "hh:mm:ss" (x-ms-user-quota-resets-after) in milliseconds; -1 when it
 * is not one. */
static int64_t graph_resets_ms(const char *s)
{
    unsigned h, m, sec;
    char tail;
    if (sscanf(s, "%u:%u:%u%c", &h, &m, &sec, &tail) != 3 || m > 59 || sec > 59 || h > 24)
        return -1;
    return ((int64_t)h * 3600 + m * 60 + sec) * 1000;
}

/* The wait before the next query: none while quota remains, else until it
 * resets (and at least a second when the answer does not say). */
static int64_t graph_quota_wait(const az_http_resp *r)
{
    if (r->user_quota[0] == '\0' || atoi(r->user_quota) > 0)
        return 0;
    int64_t ms = graph_resets_ms(r->quota_resets);
    return ms > 0 ? ms : 1000;
}

typedef struct graph_page {
    cJSON *root;
    const cJSON *data;
    double total;
    const char *skip;           /* NULL: the last page */
} graph_page;

/* Checks one answer's envelope; 0, or -1 with err. */
static int graph_check(const az_http_resp *r, int page, graph_page *g, az_error *err)
{
    if (r->subscription_limit_hit) {
        az_error_set(err, "SubscriptionLimitHit", "Resource Graph page %d: the identity sees "
                     "more subscriptions than one query covers "
                     "(x-ms-tenant-subscription-limit-hit): the listing would be short", page);
        return -1;
    }
    if (az_body_blank(r->body, r->body_len) ||
        (g->root = cJSON_ParseWithLength(r->body, r->body_len)) == NULL ||
        !cJSON_IsObject(g->root)) {
        az_error_set(err, "InvalidResponse", "Resource Graph page %d: HTTP 200 without a JSON "
                     "object", page);
        return -1;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(g->root, "data");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(g->root, "count");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(g->root, "totalRecords");
    const cJSON *trunc = cJSON_GetObjectItemCaseSensitive(g->root, "resultTruncated");
    const cJSON *skip = cJSON_GetObjectItemCaseSensitive(g->root, "$skipToken");
    if (!cJSON_IsArray(data) || !cJSON_IsNumber(count) || !cJSON_IsNumber(total) ||
        count->valuedouble != (double)cJSON_GetArraySize(data)) {
        az_error_set(err, "InvalidResponse", "Resource Graph page %d: not a query result "
                     "(an object array in \"data\" with its \"count\" and \"totalRecords\")",
                     page);
        return -1;
    }
    /* the specification makes it a string ("true"/"false"); accept a JSON bool */
    if (cJSON_IsTrue(trunc) ||
        (cJSON_IsString(trunc) && strcasecmp(trunc->valuestring, "false") != 0) ||
        (trunc != NULL && !cJSON_IsString(trunc) && !cJSON_IsBool(trunc))) {
        az_error_set(err, "ResultTruncated", "Resource Graph page %d: resultTruncated: the "
                     "answer leaves records out", page);
        return -1;
    }
    if (skip != NULL && !cJSON_IsNull(skip) &&
        (!cJSON_IsString(skip) || skip->valuestring[0] == '\0')) {
        az_error_set(err, "InvalidResponse", "Resource Graph page %d: $skipToken is not a "
                     "token", page);
        return -1;
    }
    g->data = data;
    g->total = total->valuedouble;
    g->skip = cJSON_IsString(skip) ? skip->valuestring : NULL;
    return 0;
}

/* The page's rows that one of the scopes covers, as an ARM list page. */
static char *graph_arm_page(const graph_page *g, const az_graph_scope *scopes, size_t nscopes,
                            int page, az_error *err)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *value = out != NULL ? cJSON_AddArrayToObject(out, "value") : NULL;
    if (value == NULL) {
        cJSON_Delete(out);
        az_error_set(err, "OutOfMemory", "out of memory");
        return NULL;
    }
    int i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, g->data) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
        if (!cJSON_IsObject(row) || !cJSON_IsString(id)) {
            az_error_set(err, "InvalidResponse", "Resource Graph page %d: row %d has no "
                         "\"id\"", page, i);
            cJSON_Delete(out);
            return NULL;
        }
        if (graph_in_scope(id->valuestring, scopes, nscopes) &&
            !cJSON_AddItemToArray(value, cJSON_Duplicate(row, true))) {
            az_error_set(err, "OutOfMemory", "out of memory");
            cJSON_Delete(out);
            return NULL;
        }
        i++;
    }
    char *s = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    if (s == NULL)
        az_error_set(err, "OutOfMemory", "out of memory");
    return s;
}

/* One page: POST, check, read. Returns 0 with *next (malloc'd, NULL at
 * the end) and *rows, or -1 with err. */
static int graph_one(az_client *c, const az_graph_list_req *q, const char *skip, int page,
                     int64_t *wait_ms, inv_inventory *inv, char **next, double *rows,
                     double *total, az_error *err)
{
    char msg[1024];
    az_call call;
    memset(&call, 0, sizeof call);
    call.method = "POST";
    call.url = az_arm_url_ver(c, GRAPH_PATH, NULL, AZ_GRAPH_API_VERSION);
    call.body = graph_body(q->subscriptions, q->nsubscriptions, q->disks, skip);
    call.idempotent = true;     /* a query changes nothing: safe to send again */
    if (call.url == NULL || call.body == NULL) {
        az_call_reset(&call);
        az_error_set(err, "OutOfMemory", "out of memory");
        return -1;
    }
    if (az_exec_one_after(c, &call, *wait_ms) != 0) {
        *err = call.err;
        az_call_reset(&call);
        return -1;
    }
    if (call.resp.status != 200) {
        az_error_from_resp(err, &call.resp);
        az_client_redact(c, err->message, sizeof err->message);
        az_call_reset(&call);
        return -1;
    }
    *wait_ms = graph_quota_wait(&call.resp);
    graph_page g = { 0 };
    int rc = graph_check(&call.resp, page, &g, err);
    char *body = rc == 0 ? graph_arm_page(&g, q->scopes, q->nscopes, page, err) : NULL;
    if (rc == 0 && body == NULL)
        rc = -1;
    if (rc == 0) {
        size_t before = q->disks ? inv->ndisks : inv->nsnapshots;
        char *ignored = NULL;
        rc = q->disks ? inv_read_arm_disk_page(inv, "Resource Graph page", body, strlen(body),
                                               &ignored, msg, sizeof msg)
                      : inv_read_arm_page(inv, "Resource Graph page", body, strlen(body),
                                          &ignored, msg, sizeof msg);
        free(ignored);
        if (rc != 0)
            az_error_set(err, "InvalidResponse", "Resource Graph page %d: %s", page, msg);
        else if (q->on_page != NULL)
            q->on_page(q->ctx, body, strlen(body), before,
                       (q->disks ? inv->ndisks : inv->nsnapshots) - before);
    }
    if (rc == 0) {
        *rows = (double)cJSON_GetArraySize(g.data);
        *total = g.total;
        *next = g.skip != NULL ? strdup(g.skip) : NULL;
        if (g.skip != NULL && *next == NULL) {
            az_error_set(err, "OutOfMemory", "out of memory");
            rc = -1;
        }
    }
    if (rc != 0 && err->request_id[0] == '\0')
        snprintf(err->request_id, sizeof err->request_id, "%s", call.resp.request_id);
    free(body);
    cJSON_Delete(g.root);
    az_call_reset(&call);
    return rc;
}

int az_graph_list(az_client *c, const az_graph_list_req *q, inv_inventory *inv, az_error *err)
{
    memset(err, 0, sizeof *err);
    size_t start = q->disks ? inv->ndisks : inv->nsnapshots;
    bool known = inv->disks_known;
    char *skip = NULL;
    double rows = 0, first_total = -1;
    int64_t wait_ms = 0;
    int rc = 0;
    for (int page = 1; rc == 0; page++) {
        char *next = NULL;
        double n = 0, total = 0;
        if (page > GRAPH_MAX_PAGES) {
            az_error_set(err, "TooManyPages", "Resource Graph: more than %d pages",
                         GRAPH_MAX_PAGES);
            rc = -1;
            break;
        }
        rc = graph_one(c, q, skip, page, &wait_ms, inv, &next, &n, &total, err);
        if (rc == 0 && next != NULL && skip != NULL && strcmp(next, skip) == 0) {
            az_error_set(err, "InvalidResponse", "Resource Graph page %d: the same "
                         "$skipToken again: the listing would never end", page);
            rc = -1;
        }
        free(skip);
        skip = next;
        if (rc != 0)
            break;
        rows += n;
        if (first_total < 0)
            first_total = total;
        if (skip == NULL) {
            /* every record the query matched, or the answer is short */
            if (rows != first_total || total != first_total) {
                az_error_set(err, "InvalidResponse", "Resource Graph: %.0f rows in %d pages "
                             "where totalRecords said %.0f: the listing is not whole", rows,
                             page, first_total);
                rc = -1;
            }
            break;
        }
    }
    free(skip);
    if (rc != 0) {
        /* never a shorter inventory: drop what this listing added */
        if (q->disks)
            inv->ndisks = start;
        else
            inv->nsnapshots = start;
        inv->disks_known = known;
        return -1;
    }
    return 0;
}
