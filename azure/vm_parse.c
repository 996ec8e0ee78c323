/* Reading a virtual machine's JSON (GET .../virtualMachines/{vm}) and its
 * instanceView into az_vm. A field too long for its buffer is an error,
 * never a cut value: a truncated disk ID would name another disk. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/vm_priv.h"

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Copies an optional string member into dst ("" when absent or null).
 * -1 (err) when it is not a string or does not fit. */
cJSON *az_json_object(const char *body, size_t len, const char *what, az_error *err)
{
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    if (cJSON_IsObject(root))
        return root;
    cJSON_Delete(root);
    az_error_set(err, "InvalidResponse", "the %s is not a JSON object", what);
    return NULL;
}

int az_json_copy(const cJSON *o, const char *key, const char *field, char *dst, size_t n,
                 az_error *err)
{
    const cJSON *v = get(o, key);
    dst[0] = '\0';
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v)) {
        az_error_set(err, "InvalidResponse", "%s: expected a string", field);
        return -1;
    }
    size_t len = strlen(v->valuestring);
    if (len >= n) {
        az_error_set(err, "InvalidResponse", "%s: %zu characters, more than the %zu this "
                     "reader keeps", field, len, n - 1);
        return -1;
    }
    memcpy(dst, v->valuestring, len + 1);
    return 0;
}

bool az_id_missing(const char *id, const char *what, az_error *err)
{
    if (id != NULL && id[0] != '\0')
        return false;
    memset(err, 0, sizeof *err);
    az_error_set(err, "InvalidOperation", "no %s ID given", what);
    return true;
}

void az_error_prefix(az_error *err, const char *prefix)
{
    char msg[sizeof err->message + AZ_ID_MAX + 4];
    snprintf(msg, sizeof msg, "%s: %s", prefix, err->message);
    size_t n = strlen(msg);
    if (n >= sizeof err->message)
        n = sizeof err->message - 1;    /* the end of a long message goes */
    memcpy(err->message, msg, n);
    err->message[n] = '\0';
}

static bool json_true(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(get(o, key));
}

int az_json_first_zone(const cJSON *root, char *dst, size_t n, az_error *err)
{
    const cJSON *zones = get(root, "zones");
    dst[0] = '\0';
    if (zones == NULL || cJSON_IsNull(zones))
        return 0;
    if (!cJSON_IsArray(zones)) {
        az_error_set(err, "InvalidResponse", "zones: expected an array");
        return -1;
    }
    const cJSON *z = cJSON_GetArrayItem(zones, 0);
    if (z == NULL)
        return 0;
    if (!cJSON_IsString(z) || strlen(z->valuestring) >= n) {
        az_error_set(err, "InvalidResponse", "zones[0]: expected a short string");
        return -1;
    }
    snprintf(dst, n, "%s", z->valuestring);
    return 0;
}

static int vm_disk(const cJSON *d, size_t i, az_vm_disk *out, az_error *err)
{
    char field[64];
    const cJSON *lun = get(d, "lun");
    if (!cJSON_IsNumber(lun) || lun->valuedouble < 0 || lun->valuedouble >= AZ_VM_MAX_LUNS ||
        lun->valuedouble != (double)(int)lun->valuedouble) {
        az_error_set(err, "InvalidResponse", "properties.storageProfile.dataDisks[%zu].lun: "
                     "expected an integer from 0 to %d", i, AZ_VM_MAX_LUNS - 1);
        return -1;
    }
    out->lun = (int)lun->valuedouble;
    snprintf(field, sizeof field, "dataDisks[%zu].name", i);
    if (az_json_copy(d, "name", field, out->name, sizeof out->name, err) != 0)
        return -1;
    snprintf(field, sizeof field, "dataDisks[%zu].managedDisk.id", i);
    if (az_json_copy(get(d, "managedDisk"), "id", field, out->disk_id, sizeof out->disk_id,
                     err) != 0)
        return -1;
    snprintf(field, sizeof field, "dataDisks[%zu].caching", i);
    if (az_json_copy(d, "caching", field, out->caching, sizeof out->caching, err) != 0)
        return -1;
    if (out->caching[0] == '\0')
        snprintf(out->caching, sizeof out->caching, "None");   /* ARM's default */
    out->write_accelerator = json_true(d, "writeAcceleratorEnabled");
    out->to_be_detached = json_true(d, "toBeDetached");
    return 0;
}

static int vm_storage(const cJSON *sp, az_vm *out, az_error *err)
{
    if (az_json_copy(get(sp, "osDisk") ? get(get(sp, "osDisk"), "managedDisk") : NULL, "id",
                     "properties.storageProfile.osDisk.managedDisk.id", out->os_disk_id,
                     sizeof out->os_disk_id, err) != 0)
        return -1;
    const cJSON *disks = get(sp, "dataDisks");
    if (disks == NULL || cJSON_IsNull(disks))
        return 0;
    if (!cJSON_IsArray(disks)) {
        az_error_set(err, "InvalidResponse", "properties.storageProfile.dataDisks: expected "
                     "an array");
        return -1;
    }
    size_t i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, disks) {
        if (i >= AZ_VM_MAX_LUNS) {
            az_error_set(err, "InvalidResponse", "properties.storageProfile.dataDisks: more "
                         "than %d disks", AZ_VM_MAX_LUNS);
            return -1;
        }
        if (vm_disk(d, i, &out->disks[i], err) != 0)
            return -1;
        i++;
    }
    out->ndisks = i;
    return 0;
}

static int vm_network(const cJSON *np, az_vm *out, az_error *err)
{
    const cJSON *nics = get(np, "networkInterfaces");
    const size_t max = sizeof out->nic_ids / sizeof out->nic_ids[0];
    out->primary_nic = -1;
    if (nics == NULL || cJSON_IsNull(nics))
        return 0;
    if (!cJSON_IsArray(nics)) {
        az_error_set(err, "InvalidResponse", "properties.networkProfile.networkInterfaces: "
                     "expected an array");
        return -1;
    }
    const cJSON *n;
    cJSON_ArrayForEach(n, nics) {
        char field[64];
        if (out->nnics >= max) {
            az_error_set(err, "InvalidResponse", "properties.networkProfile.networkInterfaces: "
                         "more than %zu", max);
            return -1;
        }
        snprintf(field, sizeof field, "networkInterfaces[%zu].id", out->nnics);
        if (az_json_copy(n, "id", field, out->nic_ids[out->nnics], AZ_ID_MAX, err) != 0)
            return -1;
        if (out->primary_nic < 0 && json_true(get(n, "properties"), "primary"))
            out->primary_nic = (int)out->nnics;
        out->nnics++;
    }
    /* a VM with one NIC need not mark it primary */
    if (out->primary_nic < 0 && out->nnics > 0)
        out->primary_nic = 0;
    return 0;
}

int az_vm_parse(const char *body, size_t len, az_vm *out, az_error *err)
{
    memset(out, 0, sizeof *out);
    out->power = AZ_POWER_UNKNOWN;
    out->primary_nic = -1;
    cJSON *root = az_json_object(body, len, "virtual machine", err);
    if (root == NULL)
        return -1;
    const cJSON *props = get(root, "properties");
    int rc = -1;
    if (AZ_JSON_RESOURCE_HEAD(root, out, err) &&
        az_json_copy(props, "provisioningState", "properties.provisioningState",
                     out->provisioning_state, sizeof out->provisioning_state, err) == 0 &&
        vm_storage(get(props, "storageProfile"), out, err) == 0 &&
        vm_network(get(props, "networkProfile"), out, err) == 0)
        rc = 0;
    cJSON_Delete(root);
    return rc;
}

az_power az_vm_parse_power(const char *body, size_t len)
{
    static const struct { const char *code; az_power p; } codes[] = {
        { "running", AZ_POWER_RUNNING },       { "starting", AZ_POWER_STARTING },
        { "stopping", AZ_POWER_STOPPING },     { "stopped", AZ_POWER_STOPPED },
        { "deallocating", AZ_POWER_DEALLOCATING }, { "deallocated", AZ_POWER_DEALLOCATED },
    };
    az_power p = AZ_POWER_UNKNOWN;
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *st;
    cJSON_ArrayForEach(st, get(root, "statuses")) {
        const cJSON *code = get(st, "code");
        if (!cJSON_IsString(code) || strncasecmp(code->valuestring, "PowerState/", 11) != 0)
            continue;
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
            if (strcasecmp(code->valuestring + 11, codes[i].code) == 0)
                p = codes[i].p;
        break;      /* the first PowerState status is the VM's */
    }
    cJSON_Delete(root);
    return p;
}

const char *az_power_name(az_power p)
{
    switch (p) {
    case AZ_POWER_RUNNING:
        return "running";
    case AZ_POWER_STARTING:
        return "starting";
    case AZ_POWER_STOPPING:
        return "stopping";
    case AZ_POWER_STOPPED:
        return "stopped";
    case AZ_POWER_DEALLOCATING:
        return "deallocating";
    case AZ_POWER_DEALLOCATED:
        return "deallocated";
    case AZ_POWER_UNKNOWN:
        break;
    }
    return "unknown";
}
