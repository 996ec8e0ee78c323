/* Virtual machines: read one (with its power state), power actions and
 * attach/detach of data disks, each change driven to its end by the
 * single-operation driver (azure/lro.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/vm_priv.h"

/* instanceView, read after the VM: an unreadable one leaves the power
 * state unknown (the caller decides what that means), never an error. */
static az_power vm_power(az_client *c, const char *vm_id)
{
    az_call call;
    az_error e;
    az_power p = AZ_POWER_UNKNOWN;
    int rc = az_arm_read(c, az_arm_url_ver(c, vm_id, "/instanceView", AZ_COMPUTE_API_VERSION),
                         &call, &e);
    if (rc == 1)
        p = az_vm_parse_power(call.resp.body, call.resp.body_len);
    if (rc != 1)
        az_log(c, AZ_LOG_WARN, "%s: instanceView unreadable (%s): power state unknown", vm_id,
               rc == 0 ? "HTTP 404" : e.code);
    else if (p == AZ_POWER_UNKNOWN)
        az_log(c, AZ_LOG_WARN, "%s: instanceView without a known PowerState", vm_id);
    az_call_reset(&call);
    return p;
}

int az_get_vm(az_client *c, const char *vm_id, az_vm *out, az_error *err)
{
    az_call call;
    memset(out, 0, sizeof *out);
    out->primary_nic = -1;
    if (az_id_missing(vm_id, "virtual machine", err))
        return -1;
    int rc = az_arm_read(c, az_arm_url_ver(c, vm_id, NULL, AZ_COMPUTE_API_VERSION), &call, err);
    if (rc == 1 && az_vm_parse(call.resp.body, call.resp.body_len, out, err) != 0) {
        az_error_prefix(err, vm_id);
        rc = -1;
    }
    az_call_reset(&call);
    if (rc == 1)
        out->power = vm_power(c, vm_id);
    return rc;
}

int az_vm_power_action(az_client *c, const char *vm_id, az_vm_action action, az_error *err)
{
    static const char *const names[] = { "/deallocate", "/powerOff", "/start" };
    char what[AZ_ID_MAX + 32];
    if (az_id_missing(vm_id, "virtual machine", err))
        return -1;
    if ((unsigned)action > AZ_VM_START) {
        memset(err, 0, sizeof *err);
        az_error_set(err, "InvalidOperation", "unknown power action %d", (int)action);
        return -1;
    }
    char *url = az_arm_url_ver(c, vm_id, names[action], AZ_COMPUTE_API_VERSION);
    if (url == NULL) {
        memset(err, 0, sizeof *err);
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        return -1;
    }
    snprintf(what, sizeof what, "%s%s", vm_id, names[action]);
    /* an empty body still goes with Content-Length: 0, as ARM's front
     * door wants for a POST */
    az_lro_req req = { .method = "POST", .url = url, .body = "", .what = what };
    az_lro_out out;
    int rc = az_lro_run(c, &req, &out, err);
    free(out.body);
    free(url);
    return rc;
}

static bool add_str(cJSON *o, const char *k, const char *v)
{
    return cJSON_AddStringToObject(o, k, v) != NULL;
}

char *az_vm_attach_body(const az_disk_attach *attach, size_t nattach,
                        const az_disk_detach *detach, size_t ndetach)
{
    /* an empty list is left out: ARM takes either list on its own */
    cJSON *root = cJSON_CreateObject();
    cJSON *att = root && nattach ? cJSON_AddArrayToObject(root, "dataDisksToAttach") : NULL;
    cJSON *det = root && ndetach ? cJSON_AddArrayToObject(root, "dataDisksToDetach") : NULL;
    bool ok = root != NULL && (nattach == 0 || att != NULL) && (ndetach == 0 || det != NULL);
    for (size_t i = 0; ok && i < nattach; i++) {
        cJSON *d = cJSON_CreateObject();
        ok = d != NULL && cJSON_AddItemToArray(att, d) && attach[i].disk_id != NULL &&
             add_str(d, "diskId", attach[i].disk_id) &&
             cJSON_AddNumberToObject(d, "lun", attach[i].lun) != NULL &&
             add_str(d, "caching", attach[i].caching ? attach[i].caching : "None") &&
             cJSON_AddBoolToObject(d, "writeAcceleratorEnabled",
                                   attach[i].write_accelerator) != NULL;
    }
    for (size_t i = 0; ok && i < ndetach; i++) {
        cJSON *d = cJSON_CreateObject();
        ok = d != NULL && cJSON_AddItemToArray(det, d) && detach[i].disk_id != NULL &&
             add_str(d, "diskId", detach[i].disk_id) &&
             (!detach[i].force || add_str(d, "detachOption", "ForceDetach"));
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

int az_vm_attach_detach(az_client *c, const char *vm_id,
                        const az_disk_attach *attach, size_t nattach,
                        const az_disk_detach *detach, size_t ndetach, az_error *err)
{
    char what[AZ_ID_MAX + 32];
    memset(err, 0, sizeof *err);
    if (az_id_missing(vm_id, "virtual machine", err))
        return -1;
    if (nattach + ndetach == 0)
        return 0;
    char *url = az_arm_url_ver(c, vm_id, "/attachDetachDataDisks", AZ_COMPUTE_API_VERSION);
    char *body = az_vm_attach_body(attach, nattach, detach, ndetach);
    int rc = -1;
    if (url == NULL || body == NULL) {
        az_error_set(err, "InvalidOperation", "attach/detach on %s: out of memory or a disk "
                     "without an ID", vm_id ? vm_id : "(no VM)");
    } else {
        snprintf(what, sizeof what, "%s/attachDetachDataDisks", vm_id);
        az_lro_req req = { .method = "POST", .url = url, .body = body, .what = what };
        az_lro_out out;
        rc = az_lro_run(c, &req, &out, err);
        free(out.body);
    }
    free(url);
    cJSON_free(body);
    return rc;
}
