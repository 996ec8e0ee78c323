/* Private to azure/: the HTTP entry point, retry decisions, clouds, token
 * and error parsing, the request executor. Unit tests include it to replace
 * the transport and the clock; nothing outside azure/ and tests/ should. */
#ifndef SNAPKEEP_AZ_INTERNAL_H
#define SNAPKEEP_AZ_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "azure/azure.h"

#define AZ_API_VERSION "2025-01-02"
/* Resource Graph (azure/graph.c) has its own versions. */
#define AZ_GRAPH_API_VERSION "2024-04-01"
/* --parallel is a ceiling: within it, ARM's remaining quota sets the pace
 * (azure/pace.c). The default lets a run spend a whole burst at once. */
#define AZ_MAX_PARALLEL 256
#define AZ_DEFAULT_PARALLEL AZ_MAX_PARALLEL
#define AZ_DEFAULT_ATTEMPTS 10
#define AZ_DEFAULT_BUDGET_S 300
#define AZ_DEFAULT_CONNECT_S 10
#define AZ_DEFAULT_REQUEST_S 60
#define AZ_DEFAULT_LRO_S 1800

/* ---- HTTP (azure/http.c): the one way out to the network ---------- */

#define AZ_HTTP_MAX_HEADERS 8

typedef struct az_http_req {
    const char *method;             /* "GET", "PUT", "DELETE", "POST" */
    const char *url;
    const char *body;               /* NULL: none */
    size_t body_len;
    const char *content_type;       /* with a body; NULL: application/json */
    /* Full header lines ("Metadata: true"). Never logged: Authorization
     * travels here. */
    const char *headers[AZ_HTTP_MAX_HEADERS];
    size_t nheaders;
    bool no_proxy;                  /* IMDS must not go through a proxy */
    int timeout_s;                  /* 0: the client's per-attempt default */
} az_http_req;

typedef struct az_http_resp {
    int status;                     /* 0: no HTTP answer */
    int transport_code;             /* CURLcode; 0 when an answer came */
    bool maybe_sent;                /* the request may have reached the server */
    bool permanent;                 /* a failure retrying cannot fix (TLS refused) */
    bool too_large;                 /* the answer was over the size limit (permanent) */
    char transport_msg[256];
    char *body;                     /* NUL-terminated, malloc'd; may be NULL */
    size_t body_len;
    char *async_op;                 /* Azure-AsyncOperation, malloc'd or NULL */
    char *location;                 /* Location, malloc'd or NULL */
    char retry_after[64];
    char date[64];
    char request_id[80];
    char correlation_id[80];
    char ratelimit[512];            /* "name=value ..." of x-ms-ratelimit-remaining-* */
    /* Resource Graph's own throttling and scope headers (azure/graph.c) */
    char user_quota[24];            /* x-ms-user-quota-remaining */
    char quota_resets[24];          /* x-ms-user-quota-resets-after (hh:mm:ss) */
    bool subscription_limit_hit;    /* x-ms-tenant-subscription-limit-hit: true */
} az_http_resp;

void az_http_resp_clear(az_http_resp *r);   /* frees and zeroes */

/* A replacement transport for tests: answers one request synchronously. */
typedef int (*az_transport_fn)(void *ctx, const az_http_req *req, az_http_resp *resp);

typedef struct az_http az_http;
typedef void (*az_http_done_fn)(void *ctx);

az_http *az_http_new(const char *ca_file, int connect_timeout_s,
                     int request_timeout_s, char *err, size_t errlen);
void az_http_free(az_http *h);
void az_http_set_transport(az_http *h, az_transport_fn fn, void *ctx);
/* Tests: the largest answer accepted (0: the default, 256 MiB). */
void az_http_set_max_body(az_http *h, size_t max);
/* Starts a transfer; resp is filled and done(ctx) called from a later
 * az_http_wait (or at once with a replaced transport). 0, or -1 (out of
 * memory: resp says so, done is still called). */
int az_http_start(az_http *h, const az_http_req *req, az_http_resp *resp,
                  az_http_done_fn done, void *ctx);
/* Drives transfers for up to timeout_ms; returns the number in flight. */
int az_http_wait(az_http *h, int timeout_ms);
/* One request to its end (other transfers progress meanwhile). */
int az_http_do(az_http *h, const az_http_req *req, az_http_resp *resp);

/* ---- retries (azure/retry.c): pure decisions ---------------------- */

typedef struct az_retry_policy {
    int max_attempts;               /* attempts per request, <= 10 */
    int64_t base_ms;                /* first backoff */
    int64_t cap_ms;                 /* largest backoff */
    int64_t budget_ms;              /* a request gives up past this since its first attempt */
} az_retry_policy;

/* Whether an answer (or its absence) is worth another attempt at all. */
bool az_retry_retryable(int status, bool transport);
/* Parses Retry-After: delta seconds or an HTTP date (relative to now_s).
 * Returns the delay in ms (>= 0), or -1 when absent or unreadable. */
int64_t az_retry_after_ms(const char *value, int64_t now_s);
/* An HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT") as epoch seconds. */
int az_http_date(const char *s, int64_t *out);
/* Delay before attempt `attempt + 1` after `attempt` failed (1-based):
 * Retry-After when given (never less), else capped exponential backoff
 * with jitter drawn from rnd. */
int64_t az_retry_delay_ms(const az_retry_policy *p, int attempt,
                          int64_t retry_after_ms, uint64_t rnd);
/* The whole decision: true with *delay_ms when another attempt fits in
 * max_attempts and the budget (elapsed_ms since the first attempt). */
bool az_retry_decide(const az_retry_policy *p, int attempt, int status,
                     bool transport, int64_t retry_after_ms,
                     int64_t elapsed_ms, uint64_t rnd, int64_t *delay_ms);

/* ---- clouds (azure/cloud.c) --------------------------------------- */

typedef struct az_cloud {
    const char *name;
    const char *arm_endpoint;       /* "https://management.azure.com" */
    const char *audience;           /* "https://management.azure.com/" */
    const char *authority_host;     /* "https://login.microsoftonline.com" */
} az_cloud;

const az_cloud *az_cloud_find(const char *name);    /* NULL: unknown */
/* "AUDIENCE/.default" with one slash, into buf. */
int az_scope_from_audience(char *buf, size_t n, const char *audience);

/* ---- tokens (azure/token.c): parsing only ------------------------- */

typedef struct az_token {
    char *access_token;             /* malloc'd; NULL: none */
    int64_t expires_at;             /* epoch seconds */
    int64_t obtained_at;
} az_token;

void az_token_clear(az_token *t);
/* Token replies of Entra ID, managed identity and `az account
 * get-access-token` (all shapes: numeric or string expires_in/expires_on,
 * expiresOn local time). An error reply fills err (code = "error"). */
int az_token_parse(const char *body, size_t len, int64_t now_s,
                   az_token *out, az_error *err);

/* ---- errors (azure/errors.c) -------------------------------------- */

void az_error_set(az_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fills err from an HTTP answer: the ARM envelope's code, message and
 * target, or the body text, plus status and request ids. */
void az_error_from_resp(az_error *err, const az_http_resp *resp);
/* Parses {"error":{"code","message","target"}}; 0 when found. */
int az_error_parse_envelope(const char *body, size_t len, char *code, size_t ncode,
                            char *message, size_t nmessage);
/* Replaces every occurrence of each secret (length >= 4) in s by
 * "[REDACTED]", in place (s has room for n bytes). */
void az_redact(char *s, size_t n, const char *const *secrets, size_t nsecrets);

/* ---- the client (azure/client.c, auth.c) ---------------------------- */

typedef struct az_hooks {
    int64_t (*now_ms)(void *ctx);           /* monotonic-ish clock */
    int64_t (*wall_s)(void *ctx);           /* epoch seconds */
    void (*sleep_ms)(void *ctx, int64_t ms);/* only used with a replaced transport */
    uint64_t (*random)(void *ctx);
    void *ctx;
} az_hooks;

/* Tests: replace the transport, clock and randomness. */
void az_client_set_transport(az_client *c, az_transport_fn fn, void *ctx);
void az_client_set_hooks(az_client *c, const az_hooks *hooks);

int64_t az_now_ms(const az_client *c);
int64_t az_wall_s(const az_client *c);
uint64_t az_random(az_client *c);
void az_log(const az_client *c, az_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Redacts the client's secrets and current token from a message. */
void az_client_redact(const az_client *c, char *s, size_t n);
const char *az_arm_base(const az_client *c);      /* no trailing slash */
/* Whether url is on the ARM endpoint's origin (tokens go nowhere else). */
bool az_same_origin(const char *base, const char *url);
void az_note_date(az_client *c, const char *date);

/* A bearer token for ARM (cached; refetched when close to expiry or when
 * force). Returns a borrowed string, or NULL with err filled. */
const char *az_auth_token(az_client *c, bool force, az_error *err);

/* ---- pacing (azure/pace.c) ------------------------------------------
 * How many requests may go now, from what ARM says is left: every answer's
 * x-ms-ratelimit-remaining-subscription-{reads,writes,deletes} and
 * Compute's x-ms-ratelimit-remaining-resource ("Microsoft.Compute/POLICY;N"
 * pairs) set a bucket's estimate; each request sent spends a token of the
 * buckets it counts against, and time refills them at the measured rate
 * (ARM's documented one until measured). Before ARM has said anything of a
 * kind of request, at most AZ_PACE_PROBE of that kind are in flight. A 429
 * that names an empty bucket holds that bucket for its Retry-After. */

#define AZ_PACE_BUCKETS 12          /* reads, writes, deletes, then Compute's policies */
#define AZ_PACE_CLASSES 16          /* kinds of request Compute's policies are tied to */
#define AZ_PACE_PROBE 8

typedef enum az_pace_cat { AZ_PACE_READS, AZ_PACE_WRITES, AZ_PACE_DELETES, AZ_PACE_NCAT } az_pace_cat;

typedef struct az_pace_bucket {
    char name[96];                  /* "reads", or "Microsoft.Compute/POLICY" */
    uint32_t classes;               /* Compute policy: the classes whose answers named it */
    bool known;                     /* an answer has said what is left */
    double tokens;                  /* estimate at at_ms (in-flight requests spent) */
    int64_t at_ms;
    double top;                     /* the most it was ever seen to hold */
    double rate;                    /* refill, tokens per ms; 0: unknown */
    double rate_floor;              /* the least a 429 lowers it to */
    bool measured;                  /* rate comes from ARM's own figures */
    int flying;                     /* requests in flight charged to it */
    uint64_t charged;               /* requests ever charged to it */
    uint64_t synced_seq;            /* the request whose answer set the estimate */
    int64_t hold_until_ms;          /* a 429 named it empty: nothing before this */
    int64_t probe_ms;               /* refill unknown: one request a second */
    bool anchored;                  /* a sample to measure the refill from */
    int64_t a_ms;
    double a_rem;
    uint64_t a_no;
} az_pace_bucket;

typedef struct az_pace {
    az_pace_bucket b[AZ_PACE_BUCKETS];
    int nb;
    char cls[AZ_PACE_CLASSES][64];
    int ncls;
    uint64_t seq;                   /* requests sent */
    uint64_t throttled;             /* 429s answered (for --verbose and tests) */
    int probe;                      /* in flight of a kind ARM has said nothing of */
} az_pace;

/* ---- the executor (azure/exec.c) ---------------------------------- */

typedef struct az_call az_call;
typedef void (*az_call_done_fn)(void *ctx, az_call *call);

struct az_call {
    /* request: set by the caller; url and body are owned (freed by
     * az_call_reset) */
    const char *method;
    char *url;
    char *body;
    const char *header;     /* one more header line ("If-Match: ..."), borrowed; NULL: none */
    bool idempotent;        /* GET; PUT/DELETE come back on ambiguous failures */
    az_call_done_fn done;
    void *ctx;
    /* outcome */
    az_http_resp resp;
    az_error err;
    bool ok;                /* an HTTP answer that is not a retryable failure */
    bool ambiguous;         /* non-idempotent: may have reached ARM, not retried */
    /* executor state */
    int attempts;
    bool refreshed;         /* the one 401 refresh was used */
    unsigned token_gen;     /* the token it was sent with */
    int64_t first_ms, not_before_ms, sent_ms;
    char client_request_id[40];
    bool in_flight, finished;
    az_client *owner;
    az_call *next;
    /* pacing (pace.c) */
    int pace_cat, pace_cls;         /* az_pace_cat; class index or -1 */
    uint64_t pace_seq;              /* when it was sent, in sending order */
    uint32_t pace_charged;          /* the buckets it was charged to */
    uint32_t pace_clean;            /* ...of which nothing else was in flight as it left */
    uint64_t pace_no[AZ_PACE_BUCKETS];  /* its place in each of them */
    az_call *fly_next;              /* the client's list of calls in flight */
};

/* probe: requests of a kind in flight while ARM has said nothing of its
 * quota (--parallel when given, else AZ_PACE_PROBE). */
void az_pace_init(az_pace *p, int probe);
/* Which kind of request a call is (its method and the resource type of
 * its URL): set on every submit. */
void az_pace_classify(az_client *c, az_call *call);
/* 0 when the call may be sent now; else ms to wait (-1: until an answer). */
int64_t az_pace_delay(az_client *c, const az_call *call, int64_t now);
void az_pace_sent(az_client *c, az_call *call, int64_t now);
/* The call's answer (or failure) came: it is no longer in flight. */
void az_pace_landed(az_client *c, const az_call *call);
/* Reads an answer's quota headers (after the call left the flying list).
 * True when it named what is left of a bucket a 429 came from (the pacer
 * deals with that throttling; without, the executor's AIMD does). */
bool az_pace_answered(az_client *c, const az_call *call, int64_t now, int64_t retry_after_ms);
/* How many more requests `method` on resource `id` could start now
 * (ARM's quota as estimated), and when there is none, *wait_ms until one;
 * *blind when ARM has not said what is left of one of its buckets. */
long az_pace_room(az_client *c, const char *method, const char *id, int64_t now,
                  int64_t *wait_ms, bool *blind);
/* Tests and --verbose: 429s answered so far; a bucket's estimate. */
uint64_t az_pace_throttled(const az_client *c);
const az_pace_bucket *az_pace_find(const az_client *c, const char *name);

void az_call_reset(az_call *call);  /* frees url, body and the answer */
/* Queues a call (after delay_ms); done runs from az_exec_run. */
void az_exec_submit(az_client *c, az_call *call, int64_t delay_ms);
/* Runs queued calls until none is left or stop(ctx) says so. stop may
 * call az_exec_wake to be asked again no later than delay_ms from now. */
void az_exec_run(az_client *c, bool (*stop)(void *ctx), void *ctx);
void az_exec_wake(az_client *c, int64_t delay_ms);
/* One call to its end: 0 with call->resp holding the answer (any
 * status), -1 with call->err. */
int az_exec_one(az_client *c, az_call *call);
/* The same, sent no earlier than delay_ms from now (a poll's Retry-After). */
int az_exec_one_after(az_client *c, az_call *call, int64_t delay_ms);
const az_retry_policy *az_client_retry(const az_client *c);
int az_client_parallel(const az_client *c);
int az_client_lro_deadline_s(const az_client *c);

/* ---- ARM helpers (azure/arm.c) ------------------------------------ */

/* Percent-encodes one path segment (unreserved characters kept). */
int az_path_escape(char *buf, size_t n, const char *s);
/* base + id + "?api-version=..." into a malloc'd string. */
char *az_arm_url(const az_client *c, const char *id);
bool az_id_equal(const char *a, const char *b);     /* case, leading '/' */
/* True when body is NULL, empty or only white space. */
bool az_body_blank(const char *body, size_t len);
/* One resource's JSON appended to inv through the inventory reader; -1
 * (err InvalidResponse) unless exactly one record came out. */
int az_parse_resource(inv_inventory *inv, bool disk, const char *body, size_t len,
                      az_error *err);
/* An LRO status body: 1 succeeded, 0 still running, -1 failed or
 * canceled (err filled from its "error"), -2 unreadable. */
int az_lro_status(const char *body, size_t len, az_error *err);
/* GET url (owned: freed with the call) to its end: 1 with the answer in
 * call (status 200), 0 when ARM says 404, -1 with err. The caller resets
 * call. */
int az_arm_read(az_client *c, char *url, az_call *call, az_error *err);
/* base + id (each path segment percent-encoded, an existing "%XX" kept) +
 * suffix ("/instanceView", may be NULL) + "?api-version=" + api_version,
 * malloc'd. NULL when out of memory or id is empty. */
char *az_arm_url_ver(const az_client *c, const char *id, const char *suffix,
                     const char *api_version);

/* ---- long-running operations (azure/lro.c) --------------------------
 * How an operation's answers are read (doc/design.md, "Long-running
 * operations"; the test server's side in tests/arm/README.md, "ARM"): the answer
 * to the request that starts it names a monitor (Azure-AsyncOperation
 * preferred, else Location, followed exactly as given); polls honour
 * Retry-After; an async-operation body says InProgress/Succeeded/Failed/
 * Canceled, a Location poll answers 202 while running and 200/204 when
 * done. The batch state machine (ops.c) and the single-operation driver
 * below both read answers through these, so the rules live here once. */

#define AZ_LRO_POLL_DEFAULT_MS 2000

typedef struct az_lro_poll {
    char *url;              /* malloc'd monitor URL */
    bool async;             /* Azure-AsyncOperation (else Location) */
    int64_t delay_ms;       /* before the next poll */
} az_lro_poll;

typedef enum az_lro_next {
    AZ_LRO_FINISHED,        /* answered at once (200/204 without a monitor) */
    AZ_LRO_POLL,            /* poll p->url after p->delay_ms */
    AZ_LRO_WATCH,           /* 201/202 without a monitor URL: watch the resource */
    AZ_LRO_REFUSED          /* not 200/201/202/204: err from the answer */
} az_lro_next;

/* Reads the answer to the starting request (status 204 only counts as
 * FINISHED when allow_204). Frees and replaces p->url. */
az_lro_next az_lro_started(az_client *c, const az_http_resp *resp, bool allow_204,
                           az_lro_poll *p, az_error *err);
/* Reads one poll's answer: 1 succeeded, 0 running (p->delay_ms set), -1
 * failed (err: the operation's error, or the answer's). */
int az_lro_polled(az_client *c, az_lro_poll *p, const az_http_resp *resp, az_error *err);
/* A poll (a GET, harmless to repeat) whose retries were exhausted: true
 * with *delay_ms while the run's retry budget allows another round; else
 * false with err marked as the budget's. */
bool az_lro_repoll(az_client *c, const az_error *call_err, int64_t *delay_ms, az_error *err);
/* The client's LRO deadline for an operation started at start_ms: true
 * (err: OperationTimedOut naming `what`) once it has passed. */
bool az_lro_expired(az_client *c, int64_t start_ms, const char *what, az_error *err);

/* One operation to its end: send the request, follow its monitor, and
 * (final_get) GET final_url for the resource's final body. A 200 answered
 * at once carries the final body itself; with final_get, a 201/202
 * without a monitor is watched by reading final_url until its
 * provisioningState is terminal (without, it is an error). The starting
 * request is never sent twice once it may have reached ARM (the executor
 * resends only what ARM never saw, and 429s): such a failure comes back
 * with err.ambiguous set, for the caller to re-read the state. */
typedef struct az_lro_req {
    const char *method;     /* "POST", "PUT", "PATCH" */
    const char *url;        /* copied */
    const char *body;       /* copied; NULL: none */
    const char *header;     /* one more header line (If-Match), NULL: none */
    const char *what;       /* names the operation in messages */
    bool final_get;         /* GET final_url once done (PUT/PATCH: the resource) */
    const char *final_url;  /* NULL: url */
} az_lro_req;

typedef struct az_lro_out {
    int status;             /* HTTP status of the answer to the starting request */
    char *body;             /* final body, malloc'd (free()), may be NULL */
    size_t len;
} az_lro_out;

int az_lro_run(az_client *c, const az_lro_req *req, az_lro_out *out, az_error *err);

#endif

/* ---- the client's state, shared by client.c, auth.c, exec.c -------- */

#ifndef AZ_CLIENT_STRUCT
#define AZ_CLIENT_STRUCT
struct az_client {
    az_options opts;
    char *arm_base;             /* no trailing slash */
    char *audience;             /* what tokens are for (MSI/CLI "resource") */
    char *scope;                /* audience + "/.default" */
    char *authority;            /* no trailing slash */
    az_http *http;
    az_retry_policy retry;
    int parallel;
    int lro_deadline_s;
    /* credentials, read from the environment once */
    az_auth_kind auth;          /* AUTO here means: try IMDS, then the Azure CLI */
    bool msi_app_service;
    char *tenant, *client_id, *client_secret, *federated_file;
    char *identity_endpoint, *identity_header, *imds_endpoint;
    char *last_assertion;       /* kept only to redact it */
    az_token token;
    unsigned token_gen;         /* bumped with every new token */
    /* executor */
    az_call *queue;             /* waiting to be sent, in order */
    az_call *completed;         /* answered, not yet handled */
    int in_flight;
    az_call *flying;            /* the calls in flight */
    int64_t wake_ms;            /* az_exec_wake: the loop looks again by then */
    az_pace pace;               /* ARM's quota as estimated (pace.c) */
    double limit;               /* concurrency now allowed (lowered on 429s that name no bucket) */
    int64_t last_cut_ms;        /* when the limit was last lowered */
    /* the run's retry budget (budget.c) */
    int64_t run_budget_ms;
    bool failing;               /* a retryable failure not yet followed by an answer */
    int64_t failing_since_ms;   /* the first failure of that streak */
    bool budget_spent;          /* latched: no retry for the rest of the run */
    /* Date header vs our clock */
    bool skew_known;
    int64_t skew_s;
    az_hooks hooks;
    bool has_hooks;
    uint64_t rng;
};
#endif

int az_auth_setup(az_client *c, az_error *err);

/* ---- the run's retry budget (azure/budget.c) ------------------------
 * Time lost to a failing ARM is the time since the first retryable
 * failure that no usable answer has followed (a failing streak). Any
 * answer retry.c does not retry ends the streak. A retry that would end
 * past the budget spends it, and a spent budget stays spent. */

/* Feeds one answer: answered = not worth retrying (ARM is there). */
void az_budget_note(az_client *c, bool answered);
/* Whether a retry after delay_ms still fits; false latches it spent. */
bool az_budget_allows(az_client *c, int64_t delay_ms);
bool az_budget_spent(const az_client *c);
/* Marks err as exhausted by the run's budget (message says so, once). */
void az_budget_error(const az_client *c, az_error *err);
void az_sleep_ms(az_client *c, int64_t ms);
void az_auth_free(az_client *c);
