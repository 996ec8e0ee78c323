/* A scope's tags through Microsoft.Resources/tags/default: see tags.h. */
#include "azure/tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"

static const char TAGS_SUFFIX[] = "/providers/Microsoft.Resources/tags/default";

/* The tag's value in a tags resource body: 1 (value copied), 0 (absent),
 * -1 (not a tags resource, or no memory). */
static int find_tag(const char *body, size_t len, const char *name, char **value,
                    az_error *err)
{
    if (az_body_blank(body, len)) {
        az_error_set(err, "InvalidResponse", "ARM answered the tags read with an empty body");
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        az_error_set(err, "InvalidResponse", "ARM's answer to the tags read is not a JSON object");
        return -1;
    }
    /* a scope without tags may come as "properties": {} */
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(root, "properties");
    const cJSON *tags = cJSON_IsObject(props) ? cJSON_GetObjectItemCaseSensitive(props, "tags")
                                              : NULL;
    if ((props != NULL && !cJSON_IsObject(props)) || (tags != NULL && !cJSON_IsObject(tags))) {
        cJSON_Delete(root);
        az_error_set(err, "InvalidResponse", "ARM's answer to the tags read has no tags object");
        return -1;
    }
    int rc = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, tags) {
        if (t->string == NULL || strcasecmp(t->string, name) != 0)
            continue;
        if (!cJSON_IsString(t)) {
            az_error_set(err, "InvalidResponse", "tag %s is not a string", name);
            rc = -1;
        } else if ((*value = strdup(t->valuestring)) == NULL) {
            az_error_set(err, "OutOfMemory", "out of memory");
            rc = -1;
        } else {
            rc = 1;
        }
        break;
    }
    cJSON_Delete(root);
    return rc;
}

int64_t az_tag_now_ms(const az_client *c)
{
    return az_now_ms(c);
}

int az_tag_get(az_client *c, const char *scope, const char *name, char **value,
               int64_t *arm_now, int64_t *sent_ms, az_error *err)
{
    *value = NULL;
    *arm_now = 0;
    *sent_ms = az_now_ms(c);
    az_call call;
    int rc = az_arm_read(c, az_arm_url_ver(c, scope, TAGS_SUFFIX, AZ_TAGS_API_VERSION), &call,
                         err);
    if (rc == 0) {
        /* no such scope: nowhere to read or hold a lease, which is a failure */
        az_error_set(err, "ResourceNotFound", "%s: ARM does not know this scope", scope);
        rc = -1;
    }
    if (rc == 1) {
        *sent_ms = call.sent_ms;
        if (az_http_date(call.resp.date, arm_now) != 0)
            *arm_now = 0;
        rc = find_tag(call.resp.body, call.resp.body_len, name, value, err);
        if (rc == -1)
            snprintf(err->request_id, sizeof err->request_id, "%s", call.resp.request_id);
    }
    az_call_reset(&call);
    return rc;
}

static int tag_patch(az_client *c, const char *scope, const char *op, const char *name,
                     const char *value, az_error *err)
{
    memset(err, 0, sizeof *err);
    cJSON *root = cJSON_CreateObject(), *props = NULL, *tags = NULL;
    if (root != NULL && cJSON_AddStringToObject(root, "operation", op) != NULL &&
        (props = cJSON_AddObjectToObject(root, "properties")) != NULL &&
        (tags = cJSON_AddObjectToObject(props, "tags")) != NULL)
        cJSON_AddStringToObject(tags, name, value);
    char *body = tags != NULL && cJSON_GetArraySize(tags) == 1 ? cJSON_PrintUnformatted(root)
                                                              : NULL;
    cJSON_Delete(root);
    char *url = az_arm_url_ver(c, scope, TAGS_SUFFIX, AZ_TAGS_API_VERSION);
    int rc = -1;
    if (body == NULL || url == NULL) {
        az_error_set(err, "OutOfMemory", "out of memory");
    } else {
        az_lro_req req = { .method = "PATCH", .url = url, .body = body, .what = scope };
        az_lro_out out;
        memset(&out, 0, sizeof out);
        rc = az_lro_run(c, &req, &out, err) == 0 ? 0 : -1;
        free(out.body);
    }
    free(body);
    free(url);
    return rc;
}

int az_tag_merge(az_client *c, const char *scope, const char *name, const char *value,
                 int64_t *done_ms, az_error *err)
{
    int rc = tag_patch(c, scope, "Merge", name, value, err);
    if (done_ms != NULL)
        *done_ms = az_now_ms(c);
    return rc;
}

int az_tag_delete(az_client *c, const char *scope, const char *name, const char *value,
                  az_error *err)
{
    return tag_patch(c, scope, "Delete", name, value, err);
}
