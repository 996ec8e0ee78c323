/* DNS A record sets of Azure DNS and Private DNS: read one, change its
 * addresses, PUT it back under If-Match with the etag it was read with, so
 * an edit made by someone in between is refused rather than overwritten.
 * The two services spell the same fields differently ("TTL"/"ARecords"
 * in dnsZones, "ttl"/"aRecords" in privateDnsZones). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/net.h"
#include "azure/vm_priv.h"

static const char *const PROVIDER[] = { "dnsZones", "privateDnsZones" };

static const char *dns_version(az_dns_kind k)
{
    return k == AZ_DNS_PRIVATE ? AZ_PRIVATE_DNS_API_VERSION : AZ_DNS_API_VERSION;
}

int az_dns_a_id(char *buf, size_t n, const char *subscription, const char *resource_group,
                az_dns_kind kind, const char *zone, const char *name)
{
    char s[256], g[512], z[512], nm[512];
    if (subscription == NULL || resource_group == NULL || zone == NULL || name == NULL ||
        !*subscription || !*resource_group || !*zone || !*name ||
        (kind != AZ_DNS_PUBLIC && kind != AZ_DNS_PRIVATE) ||
        az_path_escape(s, sizeof s, subscription) != 0 ||
        az_path_escape(g, sizeof g, resource_group) != 0 ||
        az_path_escape(z, sizeof z, zone) != 0 || az_path_escape(nm, sizeof nm, name) != 0)
        return -1;
    int w = snprintf(buf, n, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
                     "%s/%s/A/%s", s, g, PROVIDER[kind], z, nm);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int az_dns_kind_of(const char *record_id)
{
    if (record_id == NULL)
        return -1;
    /* the provider type segment, compared as ARM does (without case) */
    for (const char *p = record_id; (p = strchr(p, '/')) != NULL; p++) {
        if (strncasecmp(p, "/privateDnsZones/", 17) == 0)
            return AZ_DNS_PRIVATE;
        if (strncasecmp(p, "/dnsZones/", 10) == 0)
            return AZ_DNS_PUBLIC;
    }
    return -1;
}

static int dns_parse(cJSON *root, az_dns_kind kind, az_dns_a *out, az_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->ttl = -1;
    if (!cJSON_IsObject(root)) {
        az_error_set(err, "InvalidResponse", "the record set is not a JSON object");
        return -1;
    }
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(root, "properties");
    if (az_json_copy(root, "id", "id", out->id, sizeof out->id, err) != 0 ||
        az_json_copy(root, "name", "name", out->name, sizeof out->name, err) != 0 ||
        az_json_copy(root, "etag", "etag", out->etag, sizeof out->etag, err) != 0 ||
        az_json_copy(props, "fqdn", "properties.fqdn", out->fqdn, sizeof out->fqdn, err) != 0)
        return -1;
    /* either spelling, whichever the service used */
    const cJSON *ttl = cJSON_GetObjectItem(props, "ttl");
    if (cJSON_IsNumber(ttl))
        out->ttl = (long long)ttl->valuedouble;
    const cJSON *recs = cJSON_GetObjectItem(props, "aRecords");
    if (recs != NULL && !cJSON_IsNull(recs) && !cJSON_IsArray(recs)) {
        az_error_set(err, "InvalidResponse", "properties.aRecords: expected an array");
        return -1;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, recs) {
        char f[64];
        if (out->nips >= AZ_DNS_MAX_IPS) {
            az_error_set(err, "InvalidResponse", "properties.aRecords: more than %d",
                         AZ_DNS_MAX_IPS);
            return -1;
        }
        snprintf(f, sizeof f, "properties.aRecords[%zu].ipv4Address", out->nips);
        if (az_json_copy(r, "ipv4Address", f, out->ips[out->nips], sizeof out->ips[0], err) != 0)
            return -1;
        out->nips++;
    }
    out->json = root;
    return 0;
}

static int dns_from_body(const char *body, size_t len, az_dns_kind kind, const char *id,
                         az_dns_a *out, az_error *err)
{
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    if (dns_parse(root, kind, out, err) != 0) {
        cJSON_Delete(root);
        out->json = NULL;
        az_error_prefix(err, id);
        return -1;
    }
    if (out->id[0] == '\0')
        snprintf(out->id, sizeof out->id, "%s", id);
    return 0;
}

int az_get_dns_a(az_client *c, const char *record_id, az_dns_a *out, az_error *err)
{
    int kind = az_dns_kind_of(record_id);
    memset(out, 0, sizeof *out);
    out->ttl = -1;
    if (kind < 0) {
        memset(err, 0, sizeof *err);
        az_error_set(err, "InvalidOperation", "%s is not a dnsZones or privateDnsZones record",
                     record_id ? record_id : "(no ID)");
        return -1;
    }
    az_call call;
    int rc = az_arm_read(c, az_arm_url_ver(c, record_id, NULL, dns_version(kind)), &call, err);
    if (rc == 1 && dns_from_body(call.resp.body, call.resp.body_len, kind, record_id, out,
                                 err) != 0)
        rc = -1;
    az_call_reset(&call);
    return rc;
}

void az_dns_a_free(az_dns_a *rec)
{
    if (rec == NULL)
        return;
    cJSON_Delete(rec->json);
    rec->json = NULL;
}

int az_dns_a_set_ips(az_dns_a *rec, const char *const *ips, size_t nips, az_error *err)
{
    memset(err, 0, sizeof *err);
    if (nips > AZ_DNS_MAX_IPS) {
        az_error_set(err, "InvalidOperation", "%zu addresses: at most %d", nips, AZ_DNS_MAX_IPS);
        return -1;
    }
    for (size_t i = 0; i < nips; i++) {
        struct in_addr a;
        if (ips[i] == NULL || strlen(ips[i]) >= sizeof rec->ips[0] ||
            inet_pton(AF_INET, ips[i], &a) != 1) {
            az_error_set(err, "InvalidOperation", "\"%.60s\" is not an IPv4 address",
                         ips[i] ? ips[i] : "(null)");
            return -1;
        }
    }
    if (rec->json == NULL && (rec->json = cJSON_CreateObject()) == NULL)
        goto oom;
    cJSON *props = cJSON_GetObjectItemCaseSensitive(rec->json, "properties");
    if (props == NULL && (props = cJSON_AddObjectToObject(rec->json, "properties")) == NULL)
        goto oom;
    /* keep the spelling ARM used; a new member takes its service's */
    const cJSON *old = cJSON_GetObjectItem(props, "aRecords");
    char key[16];
    snprintf(key, sizeof key, "%s", old != NULL ? old->string
                                    : rec->kind == AZ_DNS_PRIVATE ? "aRecords" : "ARecords");
    cJSON_DeleteItemFromObject(props, key);
    cJSON *arr = cJSON_AddArrayToObject(props, key);
    if (arr == NULL)
        goto oom;
    for (size_t i = 0; i < nips; i++) {
        cJSON *o = cJSON_CreateObject();
        if (o == NULL || !cJSON_AddItemToArray(arr, o) ||
            cJSON_AddStringToObject(o, "ipv4Address", ips[i]) == NULL)
            goto oom;
        snprintf(rec->ips[i], sizeof rec->ips[i], "%s", ips[i]);
    }
    rec->nips = nips;
    return 0;
oom:
    az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
}

int az_put_dns_a(az_client *c, az_dns_a *rec, az_error *err)
{
    memset(err, 0, sizeof *err);
    if (rec->etag[0] == '\0') {
        /* without an etag a concurrent edit would be overwritten unseen */
        az_error_set(err, "InvalidOperation", "%s: no etag to update it under", rec->id);
        return -1;
    }
    char *body;
    size_t len;
    if (az_put_etagged(c, rec->json, rec->id, dns_version(rec->kind), rec->etag, "record set",
                       &body, &len, err) != 0)
        return -1;
    az_dns_a fresh;
    int rc = dns_from_body(body, len, rec->kind, rec->id, &fresh, err);
    if (rc == 0) {
        az_dns_a_free(rec);
        *rec = fresh;
    }
    free(body);
    return rc;
}
