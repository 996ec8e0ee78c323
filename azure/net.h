/* Networking as failover needs it: a network interface's IP
 * configurations (to move a public IP from one VM's NIC to another's), a
 * public IP's current holder, and DNS A record sets in Azure DNS
 * (dnsZones) and Private DNS (privateDnsZones), changed only under the
 * etag they were read with. Reads keep ARM's whole JSON, so a PUT sends
 * back everything ARM gave with only the one change made. Every change is
 * driven to its end before the call returns; nothing here decides what to
 * move where. */
#ifndef SNAPKEEP_AZURE_NET_H
#define SNAPKEEP_AZURE_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "azure/vm.h"

#define AZ_NETWORK_API_VERSION "2024-05-01"
#define AZ_DNS_API_VERSION "2018-05-01"
#define AZ_PRIVATE_DNS_API_VERSION "2024-06-01"

/* err.code of a change refused because the resource changed since it was
 * read (HTTP 412 to If-Match): read it again and decide again. */
#define AZ_ERR_PRECONDITION "PreconditionFailed"

struct cJSON;

#define AZ_NIC_MAX_IPCONFIGS 32

typedef struct az_ipconfig {
    char name[96];
    char id[AZ_ID_MAX];
    bool primary;
    char private_ip[64];        /* properties.privateIPAddress; "" when none */
    char public_ip_id[AZ_ID_MAX]; /* properties.publicIPAddress.id; "" when none */
} az_ipconfig;

typedef struct az_nic {
    char id[AZ_ID_MAX];
    char name[96];
    char location[64];
    char etag[128];             /* "" when ARM gave none (then no If-Match) */
    char provisioning_state[32];
    char vm_id[AZ_ID_MAX];      /* properties.virtualMachine.id; "" when none */
    az_ipconfig ipconfigs[AZ_NIC_MAX_IPCONFIGS];
    size_t nipconfigs;
    int primary_ipconfig;       /* the one marked primary, else 0; -1: none */
    struct cJSON *json;         /* the whole NIC as ARM gave it (owned) */
} az_nic;

/* GET the NIC (api-version 2024-05-01). 1 found (free with az_nic_free),
 * 0 404, -1 error. */
int az_get_nic(az_client *c, const char *nic_id, az_nic *out, az_error *err);
void az_nic_free(az_nic *nic);      /* frees json; the struct may be reused */

/* Sets (public_ip_id) or removes (NULL) the public IP of one IP
 * configuration (ipconfig NULL: the primary one), in nic->json and in the
 * parsed fields. Sends nothing. 0, or -1 (no such configuration). */
int az_nic_set_public_ip(az_nic *nic, const char *ipconfig, const char *public_ip_id,
                         az_error *err);

/* PUT nic->json back (If-Match with its etag when it has one) and wait for
 * the operation (Azure-AsyncOperation), then read the NIC again into *nic.
 * 0, or -1 with err (AZ_ERR_PRECONDITION when the NIC changed since it
 * was read; err.ambiguous when the PUT may have reached ARM unanswered). */
int az_put_nic(az_client *c, az_nic *nic, az_error *err);

typedef struct az_public_ip {
    char id[AZ_ID_MAX];
    char name[96];
    char location[64];
    char ip_address[64];        /* properties.ipAddress; "" when not allocated */
    char ipconfig_id[AZ_ID_MAX];/* properties.ipConfiguration.id: who holds it; "" free */
    char etag[128];
} az_public_ip;

/* GET a public IP address. 1 found, 0 404, -1 error. */
int az_get_public_ip(az_client *c, const char *id, az_public_ip *out, az_error *err);

/* ---- DNS A record sets ---------------------------------------------- */

typedef enum az_dns_kind {
    AZ_DNS_PUBLIC,              /* Microsoft.Network/dnsZones: "TTL", "ARecords" */
    AZ_DNS_PRIVATE              /* Microsoft.Network/privateDnsZones: "ttl", "aRecords" */
} az_dns_kind;

#define AZ_DNS_MAX_IPS 32

typedef struct az_dns_a {
    az_dns_kind kind;
    char id[AZ_ID_MAX];
    char name[256];
    char fqdn[300];
    char etag[128];
    long long ttl;              /* -1 when absent */
    char ips[AZ_DNS_MAX_IPS][48];
    size_t nips;
    struct cJSON *json;         /* the whole record set as ARM gave it (owned) */
} az_dns_a;

/* ".../providers/Microsoft.Network/{dnsZones|privateDnsZones}/ZONE/A/NAME",
 * each segment percent-encoded. 0, or -1 (missing part, no room). */
int az_dns_a_id(char *buf, size_t n, const char *subscription, const char *resource_group,
                az_dns_kind kind, const char *zone, const char *name);
/* Which DNS an ID names (by its provider type); -1 when neither. */
int az_dns_kind_of(const char *record_id);

/* GET the record set (the API version of its kind). 1 found (free with
 * az_dns_a_free), 0 404, -1 error. */
int az_get_dns_a(az_client *c, const char *record_id, az_dns_a *out, az_error *err);
void az_dns_a_free(az_dns_a *rec);

/* Replaces the record set's A records with ips, in rec->json and rec->ips
 * (TTL, metadata and everything else kept). 0, or -1 (too many, not
 * dotted-quad IPv4). */
int az_dns_a_set_ips(az_dns_a *rec, const char *const *ips, size_t nips, az_error *err);

/* PUT rec->json with If-Match: rec->etag and wait for it; rec is replaced
 * by the record set ARM then holds (its new etag). 0, or -1 with err:
 * AZ_ERR_PRECONDITION (412) when someone changed the record since it was
 * read; a record read without an etag is refused (InvalidOperation). */
int az_put_dns_a(az_client *c, az_dns_a *rec, az_error *err);

#endif
