/* Request bodies of the write operations, and the readings of their
 * answers (LRO status, provisioningState, the source a resource was made
 * from). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/ops_priv.h"

static bool body_tags(cJSON *root, const az_op *op)
{
    cJSON *tags = cJSON_AddObjectToObject(root, "tags");
    if (tags == NULL)
        return false;
    for (uint32_t i = 0; i < op->ntags; i++)
        if (cJSON_AddStringToObject(tags, op->tags[i].key,
                                    op->tags[i].value ? op->tags[i].value : "") == NULL)
            return false;
    return true;
}

/* The bodies tests/arm/README.md (Fidelity) shows: an incremental
 * snapshot as the Azure CLI sends it, a disk copied from a snapshot, and a
 * cross-region copy (CopyStart) of a snapshot. */
char *az_op_body(const az_op *op)
{
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL && cJSON_AddStringToObject(root, "location", op->location) != NULL
              && body_tags(root, op);
    if (ok && op->sku != NULL) {
        cJSON *sku = cJSON_AddObjectToObject(root, "sku");
        ok = sku != NULL && cJSON_AddStringToObject(sku, "name", op->sku) != NULL;
    }
    if (ok && op->kind == AZ_OP_CREATE_DISK && op->zone != NULL) {
        cJSON *zones = cJSON_AddArrayToObject(root, "zones");
        cJSON *z = cJSON_CreateString(op->zone);
        ok = zones != NULL && z != NULL && cJSON_AddItemToArray(zones, z);
    }
    cJSON *props = ok ? cJSON_AddObjectToObject(root, "properties") : NULL;
    cJSON *cd = props ? cJSON_AddObjectToObject(props, "creationData") : NULL;
    bool copy = op->kind == AZ_OP_COPY_SNAPSHOT;
    ok = cd != NULL &&
         cJSON_AddStringToObject(cd, "createOption", copy ? "CopyStart" : "Copy") != NULL &&
         cJSON_AddStringToObject(cd, "sourceResourceId", op->source_id) != NULL;
    /* a cross-region copy is of an incremental snapshot, and incremental itself */
    if (ok && (op->kind == AZ_OP_CREATE_SNAPSHOT || copy))
        ok = cJSON_AddBoolToObject(props, "incremental", copy || op->incremental) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static void lro_error(const cJSON *root, const char *status, az_error *err)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    /* an empty code still has to say something */
    az_error_set(err, cJSON_IsString(code) && code->valuestring[0] ? code->valuestring : status,
                 "%s", cJSON_IsString(msg) && msg->valuestring[0] ? msg->valuestring
                                                                  : "the operation did not succeed");
}

int az_lro_status(const char *body, size_t len, az_error *err)
{
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
    int rc;
    if (!cJSON_IsString(st)) {
        az_error_set(err, "InvalidResponse", "operation status: %s",
                     az_body_blank(body, len) ? "HTTP 200 with an empty body"
                     : root == NULL ? "HTTP 200 with a body that is not JSON"
                                    : "no \"status\" in the answer");
        rc = -2;
    } else if (strcasecmp(st->valuestring, "Succeeded") == 0)
        rc = 1;
    else if (strcasecmp(st->valuestring, "Failed") == 0 ||
             strcasecmp(st->valuestring, "Canceled") == 0 ||
             strcasecmp(st->valuestring, "Cancelled") == 0) {
        lro_error(root, st->valuestring, err);
        rc = -1;
    } else
        rc = 0;
    cJSON_Delete(root);
    return rc;
}

/* properties.provisioningState and creationData.sourceResourceId of a
 * resource body, copied out (empty when absent). -1: not JSON. */
int az_resource_state(const char *body, size_t len, char *state, size_t nstate,
                      char *source, size_t nsource)
{
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return -1;
    }
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(root, "properties");
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, "provisioningState");
    const cJSON *cd = cJSON_GetObjectItemCaseSensitive(props, "creationData");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(cd, "sourceResourceId");
    snprintf(state, nstate, "%s", cJSON_IsString(ps) ? ps->valuestring : "");
    snprintf(source, nsource, "%s", cJSON_IsString(src) ? src->valuestring : "");
    cJSON_Delete(root);
    return 0;
}
