/* A managed disk as recovery reads it (who holds it, its state, its
 * tags) and the one change recovery makes to a disk it keeps: its tags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/vm_priv.h"

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int disk_tags(const cJSON *tags, az_disk_info *out, az_error *err)
{
    size_t used = 0;
    const cJSON *t;
    if (tags == NULL || cJSON_IsNull(tags))
        return 0;
    if (!cJSON_IsObject(tags)) {
        az_error_set(err, "InvalidResponse", "tags: expected an object");
        return -1;
    }
    cJSON_ArrayForEach(t, tags) {
        const char *v = cJSON_IsString(t) ? t->valuestring : cJSON_IsNull(t) ? "" : NULL;
        if (v == NULL) {
            az_error_set(err, "InvalidResponse", "tags.%s: expected a string", t->string);
            return -1;
        }
        size_t kl = strlen(t->string), vl = strlen(v);
        if (out->ntags >= AZ_MAX_TAGS || used + kl + vl + 2 > sizeof out->tag_text) {
            az_error_set(err, "InvalidResponse", "tags: more than this reader keeps (%d tags, "
                         "%zu bytes)", AZ_MAX_TAGS, sizeof out->tag_text);
            return -1;
        }
        char *k = out->tag_text + used;
        memcpy(k, t->string, kl + 1);
        used += kl + 1;
        char *val = out->tag_text + used;
        memcpy(val, v, vl + 1);
        used += vl + 1;
        out->tags[out->ntags++] = (inv_tag){ k, val };
    }
    return 0;
}

static int disk_parse(const char *body, size_t len, az_disk_info *out, az_error *err)
{
    cJSON *root = az_json_object(body, len, "disk", err);
    if (root == NULL)
        return -1;
    const cJSON *props = get(root, "properties");
    int rc = -1;
    if (AZ_JSON_RESOURCE_HEAD(root, out, err) &&
        az_json_copy(root, "managedBy", "managedBy", out->managed_by, sizeof out->managed_by,
                     err) == 0 &&
        az_json_copy(props, "diskState", "properties.diskState", out->disk_state,
                     sizeof out->disk_state, err) == 0 &&
        az_json_copy(props, "provisioningState", "properties.provisioningState",
                     out->provisioning_state, sizeof out->provisioning_state, err) == 0 &&
        az_json_copy(get(root, "sku"), "name", "sku.name", out->sku, sizeof out->sku,
                     err) == 0 &&
        disk_tags(get(root, "tags"), out, err) == 0)
        rc = 0;
    cJSON_Delete(root);
    return rc;
}

int az_get_disk_info(az_client *c, const char *disk_id, az_disk_info *out, az_error *err)
{
    az_call call;
    memset(out, 0, sizeof *out);
    if (az_id_missing(disk_id, "disk", err))
        return -1;
    int rc = az_arm_read(c, az_arm_url_ver(c, disk_id, NULL, AZ_API_VERSION), &call, err);
    if (rc == 1 && disk_parse(call.resp.body, call.resp.body_len, out, err) != 0) {
        az_error_prefix(err, disk_id);
        rc = -1;
    }
    az_call_reset(&call);
    return rc;
}

/* {"tags":{...}} with exactly the given set; NULL when a key repeats (ARM
 * compares tag names without case) or memory runs out. */
static char *tags_body(const inv_tag *tags, size_t ntags, az_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *t = root ? cJSON_AddObjectToObject(root, "tags") : NULL;
    bool ok = t != NULL;
    for (size_t i = 0; ok && i < ntags; i++) {
        if (tags[i].key == NULL || tags[i].key[0] == '\0') {
            az_error_set(err, "InvalidOperation", "tag %zu without a name", i + 1);
            cJSON_Delete(root);
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(tags[i].key, tags[j].key) == 0) {
                az_error_set(err, "InvalidOperation", "tag \"%s\" given twice", tags[i].key);
                cJSON_Delete(root);
                return NULL;
            }
        ok = cJSON_AddStringToObject(t, tags[i].key, tags[i].value ? tags[i].value : "") != NULL;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (text == NULL)
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
    return text;
}

int az_disk_set_tags(az_client *c, const char *disk_id, const inv_tag *tags, size_t ntags,
                     az_error *err)
{
    memset(err, 0, sizeof *err);
    if (az_id_missing(disk_id, "disk", err))
        return -1;
    if (ntags > AZ_MAX_TAGS) {
        az_error_set(err, "InvalidOperation", "%zu tags: ARM keeps at most %d", ntags,
                     AZ_MAX_TAGS);
        return -1;
    }
    char *body = tags_body(tags, ntags, err);
    if (body == NULL)
        return -1;
    char *url = az_arm_url_ver(c, disk_id, NULL, AZ_API_VERSION);
    int rc = -1;
    if (url == NULL) {
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
    } else {
        az_lro_req req = { .method = "PATCH", .url = url, .body = body, .what = disk_id };
        az_lro_out out;
        rc = az_lro_run(c, &req, &out, err);
        free(out.body);
    }
    free(url);
    free(body);
    return rc;
}
