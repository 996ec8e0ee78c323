/* The Azure adapter: HTTP (libcurl), credentials, and ARM operations on
 * snapshots and disks. It turns ARM JSON into inventory records and back;
 * it never decides what to delete. One HTTP entry point (azure/http.c) so
 * tests can observe it. Secrets and tokens never reach any log or error. */
#ifndef SNAPKEEP_AZURE_H
#define SNAPKEEP_AZURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/inventory.h"

typedef enum az_auth_kind {
    AZ_AUTH_AUTO,       /* secret, then workload, then msi, then cli */
    AZ_AUTH_SECRET,     /* AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET */
    AZ_AUTH_WORKLOAD,   /* AZURE_FEDERATED_TOKEN_FILE (re-read per request) */
    AZ_AUTH_MSI,        /* IMDS or IDENTITY_ENDPOINT/IDENTITY_HEADER */
    AZ_AUTH_CLI         /* az account get-access-token */
} az_auth_kind;

typedef enum az_log_level { AZ_LOG_DEBUG, AZ_LOG_INFO, AZ_LOG_WARN, AZ_LOG_ERROR } az_log_level;

typedef struct az_options {
    const char *cloud;          /* "AzureCloud" (default), "AzureUSGovernment", "AzureChinaCloud" */
    const char *arm_endpoint;   /* overrides the cloud's ARM URL (env SNAPKEEP_ARM_ENDPOINT) */
    const char *arm_audience;   /* overrides the token audience (default: the cloud's) */
    const char *authority_host; /* env AZURE_AUTHORITY_HOST */
    az_auth_kind auth;
    const char *ca_file;        /* extra CA bundle; also SSL_CERT_FILE / CURL_CA_BUNDLE */
    int parallel;               /* operations in flight at once; 0: default (8) */
    int connect_timeout_s;      /* 0: default */
    int request_timeout_s;      /* per attempt; 0: default */
    int retry_budget_s;         /* 0: default (300). Bounds the time a run loses to a
                                 * failing ARM: the client's clock runs from the first
                                 * retryable failure (429, 5xx, lost connection) that
                                 * no usable answer has followed, once for all
                                 * requests in flight; any answer not worth retrying
                                 * stops it, so sporadic throttling in a long healthy
                                 * run never adds up. Once a retry would end past it,
                                 * the budget is spent for the client's lifetime: every
                                 * retryable failure fails at once (retries_exhausted,
                                 * "the run's retry budget of N s is spent") and
                                 * long-running operations stop being polled (failed
                                 * with that reason). Also each request's own limit
                                 * from its first attempt. */
    int max_attempts;           /* per request; 0: default (10) */
    int lro_deadline_s;         /* per long-running operation; 0: default */
    bool verbose;               /* request lines (never headers with secrets) */
    void (*log)(void *ctx, az_log_level level, const char *msg);
    void *log_ctx;
} az_options;

typedef struct az_error {
    int http_status;            /* 0: no HTTP answer (transport failure) */
    bool transport;             /* connection failed, dropped, timed out, TLS refused */
    bool retries_exhausted;
    bool ambiguous;             /* a write that may have reached ARM without an answer:
                                 * not sent again; read the state before deciding */
    char code[96];              /* ARM error code ("ScopeLocked") or curl/auth code */
    char message[1024];
    char request_id[80];        /* x-ms-request-id of the answer, when any */
    char correlation_id[80];
} az_error;

/* az_error.code of an allocation failure inside the adapter. It is no
 * answer of Azure's: callers report it as "out of memory" and exit as
 * cli/oom.h says, never as an Azure failure (az_error_is_oom). */
#define AZ_ERR_OUT_OF_MEMORY "OutOfMemory"
bool az_error_is_oom(const az_error *err);
/* Fills err as an allocation failure (zeroed, then that code and "out of
 * memory"). */
void az_error_set_oom(az_error *err);

typedef struct az_client az_client;

/* Reads the environment (credentials, endpoints) once. Returns 0, or -1
 * with err filled (e.g. unknown cloud, no credential found for --auth). */
int az_client_new(const az_options *opts, az_client **out, az_error *err);
void az_client_free(az_client *c);  /* NULL is a no-op */

/* Seconds ARM's Date header was ahead of the local clock on the latest
 * answer (negative: behind). *known false before any answer. */
int64_t az_clock_skew(const az_client *c, bool *known);

/* Lists every snapshot (all pages) of a resource group, or of the whole
 * subscription when resource_group is NULL, appending to inv. Any page
 * failing after retries fails the whole listing (-1): never a shorter
 * inventory. */
int az_list_snapshots(az_client *c, const char *subscription,
                      const char *resource_group, inv_inventory *inv, az_error *err);
/* The same, also handing each page's body to on_page with the index and
 * number of the records it added (for a caller that keeps ARM's own JSON
 * of every snapshot). */
typedef void (*az_page_fn)(void *ctx, const char *body, size_t len,
                           size_t first, size_t count);
int az_list_snapshots_pages(az_client *c, const char *subscription,
                            const char *resource_group, inv_inventory *inv,
                            az_page_fn on_page, void *ctx, az_error *err);
int az_list_disks(az_client *c, const char *subscription,
                  const char *resource_group, inv_inventory *inv, az_error *err);

/* Listing through Azure Resource Graph (azure/graph.c), for scopes over
 * several subscriptions: one query over every subscription named, paged
 * with $skipToken, each row read as ARM lists it and kept when one of the
 * scopes covers it (its subscription and resource group), so the records
 * are the ones the per-scope ARM listings give. Any failing page, answer
 * that does not parse or add up to totalRecords, resultTruncated or
 * x-ms-tenant-subscription-limit-hit fails the whole listing (-1) and
 * adds nothing. Waits for x-ms-user-quota-resets-after once
 * x-ms-user-quota-remaining is 0. The index lags behind ARM: re-read a
 * resource through ARM before acting on it. */
typedef struct az_graph_scope {
    const char *subscription;   /* NULL: any */
    const char *resource_group; /* NULL: any */
} az_graph_scope;

typedef struct az_graph_list_req {
    const char *const *subscriptions;   /* the query's; none: every one the identity sees */
    size_t nsubscriptions;
    const az_graph_scope *scopes;
    size_t nscopes;
    bool disks;                 /* disks instead of snapshots */
    az_page_fn on_page;         /* as az_list_snapshots_pages; NULL: none */
    void *ctx;
} az_graph_list_req;

int az_graph_list(az_client *c, const az_graph_list_req *q, inv_inventory *inv, az_error *err);
/* The KQL the listing sends (for tests and the documentation). */
const char *az_graph_query(bool disks);

/* GET one resource by ID. Returns 1 and appends it to inv (*out points to
 * it) when found, 0 when ARM says 404, -1 on error. */
int az_get_snapshot(az_client *c, const char *id, inv_inventory *inv,
                    inv_snapshot **out, az_error *err);
int az_get_disk(az_client *c, const char *id, inv_inventory *inv,
                inv_disk **out, az_error *err);

/* Builds ".../resourceGroups/RG/providers/Microsoft.Compute/snapshots/NAME"
 * (kind "snapshots" or "disks"), percent-encoding each segment. */
int az_resource_id(char *buf, size_t n, const char *subscription,
                   const char *resource_group, const char *kind, const char *name);

/* Batch operations, run at most opts.parallel at once over the curl multi
 * interface, each to a terminal state (long-running operations polled as
 * snapkeep(1) AZURE OPTIONS says, within lro_deadline_s). Slows down on 429. */
typedef enum az_op_kind {
    AZ_OP_CREATE_SNAPSHOT,  /* PUT snapshot from a disk */
    AZ_OP_DELETE_SNAPSHOT,  /* DELETE snapshot; 404 counts as done (already gone) */
    AZ_OP_CREATE_DISK,      /* PUT disk from a snapshot (createOption Copy) */
    AZ_OP_DELETE_DISK,      /* DELETE disk; 404 counts as done */
    AZ_OP_COPY_SNAPSHOT,    /* PUT snapshot in another region from a snapshot (createOption
                               CopyStart): done when the PUT's operation ends, not the copy */
    AZ_OP_NKINDS            /* how many kinds: arrays indexed by kind are this long */
} az_op_kind;

typedef enum az_op_status {
    AZ_OP_PENDING,          /* not started */
    AZ_OP_DONE,             /* succeeded (or already gone, for deletes) */
    AZ_OP_SKIPPED,          /* confirm() said no: nothing was sent */
    AZ_OP_FAILED            /* err says why */
} az_op_status;

/* The header every create (az_run_ops PUT) carries: ARM answers 412
 * PreconditionFailed when the resource exists, and changes nothing. */
#define AZ_IF_NONE_MATCH "If-None-Match: *"
/* Whether a failed create found its name taken (that 412): the resource
 * there is someone else's, so nothing may clean it up as a failed create. */
#define AZ_ERR_NAME_TAKEN(e) ((e)->http_status == 412)

typedef struct az_op {
    az_op_kind kind;
    const char *id;             /* the resource to create or delete (full ARM ID) */
    /* creates */
    const char *location;       /* required: the source disk's / snapshot's region */
    const char *source_id;      /* the disk (snapshot create) or snapshot (disk create, copy) */
    const char *sku;            /* NULL: ARM's default */
    const char *zone;           /* disk create only; NULL: none */
    bool incremental;           /* snapshot create */
    const inv_tag *tags;
    uint32_t ntags;
    /* deletes: just before the DELETE, the resource is re-read through ARM
     * and confirm() decides whether it still matches what was planned
     * (NULL: no check). A 404 at that read means already gone (DONE).
     * Disk deletes read the disk too but pass current = NULL. */
    bool (*confirm)(void *ctx, const struct az_op *op, const inv_snapshot *current);
    void *confirm_ctx;
    /* results */
    az_op_status status;
    bool already_gone;          /* delete found nothing to delete */
    az_error err;
    double seconds;             /* wall time from first request to terminal state */
    char provisioning_state[32];/* creates: final state read back from ARM */
} az_op;

/* Runs every op; returns the number that FAILED (0: all done or skipped).
 * on_done, when set, is called as each op reaches its terminal state (for
 * journals and progress), from the calling thread. */
size_t az_run_ops(az_client *c, az_op *ops, size_t nops,
                  void (*on_done)(void *ctx, az_op *op), void *ctx);

#endif
