/* Private to azure/vm*.c and azure/net*.c (and their unit tests): API
 * versions and the JSON readers behind vm.h. */
#ifndef SNAPKEEP_VM_PRIV_H
#define SNAPKEEP_VM_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "azure/vm.h"

/* Compute (virtual machines); disks stay on DiskRP's AZ_API_VERSION. */
#define AZ_COMPUTE_API_VERSION "2024-07-01"

/* Copies an optional string member ("" when absent or null); -1 with err
 * (naming `field`) when it is not a string or does not fit in n. */
int az_json_copy(const cJSON *o, const char *key, const char *field, char *dst, size_t n,
                 az_error *err);
/* An answer's body parsed, when it is a JSON object (the caller
 * cJSON_Deletes it); NULL with err (InvalidResponse, "the WHAT is not a
 * JSON object") otherwise. */
cJSON *az_json_object(const char *body, size_t len, const char *what, az_error *err);
/* The members every compute resource's reader copies first: id, name,
 * location and the first zone, into out's arrays of those names (an
 * az_vm, an az_disk_info). True when all four were copied. */
#define AZ_JSON_RESOURCE_HEAD(root, out, err)                                              \
    (az_json_copy(root, "id", "id", (out)->id, sizeof (out)->id, err) == 0 &&               \
     az_json_copy(root, "name", "name", (out)->name, sizeof (out)->name, err) == 0 &&       \
     az_json_copy(root, "location", "location", (out)->location, sizeof (out)->location,    \
                  err) == 0 &&                                                             \
     az_json_first_zone(root, (out)->zone, sizeof (out)->zone, err) == 0)
/* PUTs a network resource's whole JSON back under If-Match: etag (none
 * when etag is empty) and follows the operation to its final GET: 0 and
 * *body (malloc'd, *len bytes) the resource as ARM now has it; -1 with err
 * (a 412 as AZ_ERR_PRECONDITION naming id; `kind` names a resource
 * without JSON or ID). */
int az_put_etagged(az_client *c, const cJSON *json, const char *id, const char *api_version,
                   const char *etag, const char *kind, char **body, size_t *len,
                   az_error *err);
/* A 412 answer to If-Match becomes AZ_ERR_PRECONDITION (net.h), saying
 * what changed under us; other errors are left as they are. */
void az_error_precondition(az_error *err, const char *what);
/* True (err: InvalidOperation naming `what`) when id is NULL or empty. */
bool az_id_missing(const char *id, const char *what, az_error *err);
/* "PREFIX: message" (a resource ID in front of what was wrong with it). */
void az_error_prefix(az_error *err, const char *prefix);
/* The first of root's "zones" ("" when none). */
int az_json_first_zone(const cJSON *root, char *dst, size_t n, az_error *err);

/* A VM body into out (power left UNKNOWN); -1 with err. */
int az_vm_parse(const char *body, size_t len, az_vm *out, az_error *err);
/* The first PowerState/... status of an instanceView body. */
az_power az_vm_parse_power(const char *body, size_t len);
/* The attachDetachDataDisks request body, malloc'd (NULL: out of memory
 * or a disk without an ID). */
char *az_vm_attach_body(const az_disk_attach *attach, size_t nattach,
                        const az_disk_detach *detach, size_t ndetach);

#endif
