/* Network interfaces and public IP addresses: read them, move a public IP
 * by a PUT of the whole NIC as ARM gave it, with one IP configuration
 * changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/net.h"
#include "azure/vm_priv.h"

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

void az_error_precondition(az_error *err, const char *what)
{
    if (err->http_status != 412)
        return;
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err->message);
    snprintf(err->code, sizeof err->code, "%s", AZ_ERR_PRECONDITION);
    snprintf(err->message, sizeof err->message, "%.300s changed since it was read (its etag "
             "no longer matches): read it again%s%.600s", what, msg[0] ? ": " : "", msg);
}

static int ipconfig_parse(const cJSON *ic, size_t i, az_ipconfig *out, az_error *err)
{
    char f[96];
    const cJSON *p = get(ic, "properties");
    snprintf(f, sizeof f, "properties.ipConfigurations[%zu].name", i);
    if (az_json_copy(ic, "name", f, out->name, sizeof out->name, err) != 0)
        return -1;
    snprintf(f, sizeof f, "properties.ipConfigurations[%zu].id", i);
    if (az_json_copy(ic, "id", f, out->id, sizeof out->id, err) != 0)
        return -1;
    snprintf(f, sizeof f, "ipConfigurations[%zu].properties.privateIPAddress", i);
    if (az_json_copy(p, "privateIPAddress", f, out->private_ip, sizeof out->private_ip,
                     err) != 0)
        return -1;
    snprintf(f, sizeof f, "ipConfigurations[%zu].properties.publicIPAddress.id", i);
    if (az_json_copy(get(p, "publicIPAddress"), "id", f, out->public_ip_id,
                     sizeof out->public_ip_id, err) != 0)
        return -1;
    out->primary = cJSON_IsTrue(get(p, "primary"));
    return 0;
}

/* Reads the fields of a NIC body; out->json is left to the caller. */
static int nic_parse(const cJSON *root, az_nic *out, az_error *err)
{
    struct cJSON *keep = out->json;
    memset(out, 0, sizeof *out);
    out->json = keep;
    out->primary_ipconfig = -1;
    if (!cJSON_IsObject(root)) {
        az_error_set(err, "InvalidResponse", "the network interface is not a JSON object");
        return -1;
    }
    const cJSON *props = get(root, "properties");
    if (az_json_copy(root, "id", "id", out->id, sizeof out->id, err) != 0 ||
        az_json_copy(root, "name", "name", out->name, sizeof out->name, err) != 0 ||
        az_json_copy(root, "location", "location", out->location, sizeof out->location,
                     err) != 0 ||
        az_json_copy(root, "etag", "etag", out->etag, sizeof out->etag, err) != 0 ||
        az_json_copy(props, "provisioningState", "properties.provisioningState",
                     out->provisioning_state, sizeof out->provisioning_state, err) != 0 ||
        az_json_copy(get(props, "virtualMachine"), "id", "properties.virtualMachine.id",
                     out->vm_id, sizeof out->vm_id, err) != 0)
        return -1;
    const cJSON *ics = get(props, "ipConfigurations");
    if (ics != NULL && !cJSON_IsArray(ics)) {
        az_error_set(err, "InvalidResponse", "properties.ipConfigurations: expected an array");
        return -1;
    }
    const cJSON *ic;
    cJSON_ArrayForEach(ic, ics) {
        if (out->nipconfigs >= AZ_NIC_MAX_IPCONFIGS) {
            az_error_set(err, "InvalidResponse", "properties.ipConfigurations: more than %d",
                         AZ_NIC_MAX_IPCONFIGS);
            return -1;
        }
        if (ipconfig_parse(ic, out->nipconfigs, &out->ipconfigs[out->nipconfigs], err) != 0)
            return -1;
        if (out->primary_ipconfig < 0 && out->ipconfigs[out->nipconfigs].primary)
            out->primary_ipconfig = (int)out->nipconfigs;
        out->nipconfigs++;
    }
    if (out->primary_ipconfig < 0 && out->nipconfigs > 0)
        out->primary_ipconfig = 0;
    return 0;
}

/* A body into a fresh NIC (json owned by it). */
static int nic_from_body(const char *body, size_t len, const char *what, az_nic *out,
                         az_error *err)
{
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    out->json = NULL;
    if (nic_parse(root, out, err) != 0) {
        cJSON_Delete(root);
        out->json = NULL;
        az_error_prefix(err, what);
        return -1;
    }
    out->json = root;
    return 0;
}

int az_get_nic(az_client *c, const char *nic_id, az_nic *out, az_error *err)
{
    az_call call;
    memset(out, 0, sizeof *out);
    out->primary_ipconfig = -1;
    if (az_id_missing(nic_id, "network interface", err))
        return -1;
    int rc = az_arm_read(c, az_arm_url_ver(c, nic_id, NULL, AZ_NETWORK_API_VERSION), &call,
                         err);
    if (rc == 1 && nic_from_body(call.resp.body, call.resp.body_len, nic_id, out, err) != 0)
        rc = -1;
    az_call_reset(&call);
    return rc;
}

void az_nic_free(az_nic *nic)
{
    if (nic == NULL)
        return;
    cJSON_Delete(nic->json);
    nic->json = NULL;
}

int az_nic_set_public_ip(az_nic *nic, const char *ipconfig, const char *public_ip_id,
                         az_error *err)
{
    memset(err, 0, sizeof *err);
    cJSON *ics = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(nic->json, "properties"), "ipConfigurations");
    int want = -1;
    for (size_t i = 0; i < nic->nipconfigs; i++)
        if (ipconfig != NULL ? strcasecmp(nic->ipconfigs[i].name, ipconfig) == 0
                             : (int)i == nic->primary_ipconfig)
            want = (int)i;
    cJSON *ic = want >= 0 ? cJSON_GetArrayItem(ics, want) : NULL;
    if (ic == NULL) {
        az_error_set(err, "InvalidOperation", "%s has no IP configuration %s", nic->id,
                     ipconfig ? ipconfig : "(primary)");
        return -1;
    }
    if (public_ip_id != NULL && strlen(public_ip_id) >= AZ_ID_MAX) {
        az_error_set(err, "InvalidOperation", "public IP ID too long");
        return -1;
    }
    cJSON *props = cJSON_GetObjectItemCaseSensitive(ic, "properties");
    if (props == NULL && (props = cJSON_AddObjectToObject(ic, "properties")) == NULL)
        goto oom;
    cJSON_DeleteItemFromObjectCaseSensitive(props, "publicIPAddress");
    if (public_ip_id != NULL) {
        cJSON *pip = cJSON_AddObjectToObject(props, "publicIPAddress");
        if (pip == NULL || cJSON_AddStringToObject(pip, "id", public_ip_id) == NULL)
            goto oom;
    }
    snprintf(nic->ipconfigs[want].public_ip_id, sizeof nic->ipconfigs[want].public_ip_id, "%s",
             public_ip_id ? public_ip_id : "");
    return 0;
oom:
    az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
}

int az_put_etagged(az_client *c, const cJSON *json, const char *id, const char *api_version,
                   const char *etag, const char *kind, char **body, size_t *len,
                   az_error *err)
{
    char hdr[160];
    memset(err, 0, sizeof *err);
    char *text = json != NULL ? cJSON_PrintUnformatted(json) : NULL;
    char *url = id != NULL ? az_arm_url_ver(c, id, NULL, api_version) : NULL;
    int rc = -1;
    if (text == NULL || url == NULL) {
        az_error_set(err, "InvalidOperation", "%s without JSON or ID", kind);
        goto out;
    }
    snprintf(hdr, sizeof hdr, "If-Match: %s", etag);
    az_lro_req req = { .method = "PUT", .url = url, .body = text,
                       .header = etag[0] ? hdr : NULL, .what = id, .final_get = true };
    az_lro_out res;
    if (az_lro_run(c, &req, &res, err) != 0) {
        az_error_precondition(err, id);
        goto out;
    }
    *body = res.body;
    *len = res.len;
    rc = 0;
out:
    free(text);
    free(url);
    return rc;
}

int az_put_nic(az_client *c, az_nic *nic, az_error *err)
{
    char *body;
    size_t len;
    if (az_put_etagged(c, nic->json, nic->id, AZ_NETWORK_API_VERSION, nic->etag,
                       "network interface", &body, &len, err) != 0)
        return -1;
    az_nic fresh;
    int rc = nic_from_body(body, len, nic->id, &fresh, err);
    if (rc == 0) {
        az_nic_free(nic);
        *nic = fresh;
    }
    free(body);
    return rc;
}

int az_get_public_ip(az_client *c, const char *id, az_public_ip *out, az_error *err)
{
    az_call call;
    memset(out, 0, sizeof *out);
    if (az_id_missing(id, "public IP address", err))
        return -1;
    int rc = az_arm_read(c, az_arm_url_ver(c, id, NULL, AZ_NETWORK_API_VERSION), &call, err);
    if (rc == 1) {
        cJSON *root = cJSON_ParseWithLength(call.resp.body ? call.resp.body : "",
                                            call.resp.body_len);
        const cJSON *props = get(root, "properties");
        if (!cJSON_IsObject(root)) {
            az_error_set(err, "InvalidResponse", "the public IP address is not a JSON object");
            rc = -1;
        } else if (az_json_copy(root, "id", "id", out->id, sizeof out->id, err) != 0 ||
                   az_json_copy(root, "name", "name", out->name, sizeof out->name, err) != 0 ||
                   az_json_copy(root, "location", "location", out->location,
                                sizeof out->location, err) != 0 ||
                   az_json_copy(root, "etag", "etag", out->etag, sizeof out->etag, err) != 0 ||
                   az_json_copy(props, "ipAddress", "properties.ipAddress", out->ip_address,
                                sizeof out->ip_address, err) != 0 ||
                   az_json_copy(get(props, "ipConfiguration"), "id",
                                "properties.ipConfiguration.id", out->ipconfig_id,
                                sizeof out->ipconfig_id, err) != 0) {
            rc = -1;
        }
        if (rc < 0)
            az_error_prefix(err, id);
        cJSON_Delete(root);
    }
    az_call_reset(&call);
    return rc;
}
