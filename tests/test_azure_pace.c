/* Pacing (azure/pace.c), with the transport and the clock replaced: a
 * Resource Manager that keeps ARM's token buckets on virtual time (reads
 * 250 refilling 25/s, writes and deletes 200 refilling 10/s, and Compute's
 * snapshot-create policy) and says what is left on every answer, as ARM
 * does. Default options spend the burst, then follow the refill, and are
 * never refused; a 429 naming an empty bucket holds it for its Retry-After;
 * --parallel stays a ceiling; without the headers the executor's own
 * backoff still rides 429s and 503s through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "azure/az_internal.h"
#include "engine/azure_limits.h"

#define NOW_S 1795694400    /* 2026-11-26T12:00:00Z */
#define ARM "https://management.azure.com"
#define RG "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute/"
#define DISK_ID RG "disks/d1"
#define OP_URL ARM "/subscriptions/sub1/providers/Microsoft.Compute/locations/westeurope/" \
               "DiskOperations/"
#define REQ_MS 2            /* what one request costs of virtual time */
#define LRO_MS 2000         /* how long an operation runs */
#define MAX_OPS 1024
#define CREATE_POLICY "Microsoft.Compute/HighCostSnapshotCreateHydrate3Min"

typedef struct bucket {
    double tokens, cap, per_ms;
    int64_t last;
} bucket;

typedef struct world {
    int64_t now_ms;
    bool headers;                   /* say what is left (ARM does) */
    bucket b[3];                    /* reads, writes, deletes */
    bucket create;                  /* Compute's snapshot-create policy */
    int64_t lro_end[MAX_OPS];       /* per operation id */
    int nlro;
    int running, max_running;       /* operations under way at ARM */
    int reqs, throttled, bucket_429, compute_429, fault_every, faults;
    int64_t last_429_ms;
    int64_t deletes_before_ms;      /* DELETEs answered before this time */
    int deletes_early;
} world;

static world W;

static void bucket_init(bucket *b, double cap, double per_s)
{
    *b = (bucket){ cap, cap, per_s / 1000.0, 0 };
}

static bool bucket_take(bucket *b, int64_t now, int *left)
{
    b->tokens += (double)(now - b->last) * b->per_ms;
    if (b->tokens > b->cap)
        b->tokens = b->cap;
    b->last = now;
    if (b->tokens < 1.0) {
        *left = 0;
        return false;
    }
    b->tokens -= 1.0;
    *left = (int)b->tokens;
    return true;
}

static void body(az_http_resp *resp, const char *text)
{
    resp->body = strdup(text);
    resp->body_len = strlen(text);
}

static void say_left(az_http_resp *resp, int cat, int left, int create_left)
{
    static const char *const names[] = { "reads", "writes", "deletes" };
    if (!W.headers)
        return;
    int n = snprintf(resp->ratelimit, sizeof resp->ratelimit, "subscription-%s=%d "
                     "subscription-global-%s=%d", names[cat], left, names[cat], left);
    if (create_left >= 0)
        snprintf(resp->ratelimit + n, sizeof resp->ratelimit - (size_t)n,
                 " resource=" CREATE_POLICY ";%d,Microsoft.Compute/"
                 "HighCostSnapshotCreateHydrate30Min;%d", create_left, 999);
}

static void world_operation(const az_http_req *req, az_http_resp *resp)
{
    int id = atoi(strstr(req->url, "DiskOperations/") + 15);
    bool done = W.now_ms >= W.lro_end[id];
    if (done && W.lro_end[id] > 0) {
        W.lro_end[id] = -W.lro_end[id];     /* counted as ended once */
        W.running--;
    }
    resp->status = 200;
    body(resp, done ? "{\"status\":\"Succeeded\"}" : "{\"status\":\"InProgress\"}");
    snprintf(resp->retry_after, sizeof resp->retry_after, "1");
}

static void world_snapshot(az_http_resp *resp, const char *url)
{
    char text[1024];
    const char *name = strstr(url, "/snapshots/");
    int n = name != NULL ? (int)strcspn(name + 11, "?") : 1;
    snprintf(text, sizeof text, "{\"name\":\"%.*s\",\"id\":\"" RG "snapshots/%.*s\","
             "\"location\":\"westeurope\",\"properties\":{\"timeCreated\":"
             "\"2026-11-20T10:00:03.1234567+00:00\",\"provisioningState\":\"Succeeded\","
             "\"creationData\":{\"createOption\":\"Copy\",\"sourceResourceId\":\"" DISK_ID
             "\"}}}", n, name ? name + 11 : "x", n, name ? name + 11 : "x");
    resp->status = 200;
    body(resp, text);
}

static void world_start_lro(az_http_resp *resp)
{
    char url[256];
    assert_true(W.nlro < MAX_OPS);
    W.lro_end[W.nlro] = W.now_ms + LRO_MS;
    snprintf(url, sizeof url, OP_URL "%d?api-version=2025-01-02", W.nlro++);
    if (++W.running > W.max_running)
        W.max_running = W.running;
    resp->status = 202;
    resp->async_op = strdup(url);
    snprintf(resp->retry_after, sizeof resp->retry_after, "1");
}

static void world_429(az_http_resp *resp, int64_t retry_ms)
{
    W.throttled++;
    W.last_429_ms = W.now_ms;
    resp->status = 429;
    snprintf(resp->retry_after, sizeof resp->retry_after, "%lld",
             (long long)((retry_ms + 999) / 1000));
    body(resp, "{\"error\":{\"code\":\"SubscriptionRequestsThrottled\",\"message\":\"slow\"}}");
}

static int world_transport(void *ctx, const az_http_req *req, az_http_resp *resp)
{
    (void)ctx;
    if (strstr(req->url, "/oauth2/v2.0/token") != NULL) {
        resp->status = 200;
        body(resp, "{\"access_token\":\"fake-token\",\"expires_in\":86400}");
        return 0;
    }
    W.now_ms += REQ_MS;
    W.reqs++;
    if (W.fault_every > 0 && W.reqs % W.fault_every == 0) {
        /* injected, as the test server's faults file does: no quota headers */
        W.faults++;
        if (W.faults % 2) {
            world_429(resp, 1000);
        } else {
            resp->status = 503;
            body(resp, "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"busy\"}}");
        }
        return 0;
    }
    int cat = strcmp(req->method, "GET") == 0 ? 0 : strcmp(req->method, "DELETE") == 0 ? 2 : 1;
    bool create = strcmp(req->method, "PUT") == 0 && strstr(req->url, "/snapshots/") != NULL;
    int left, create_left = -1;
    if (!bucket_take(&W.b[cat], W.now_ms, &left)) {
        W.bucket_429++;
        world_429(resp, (int64_t)((1.0 - W.b[cat].tokens) / W.b[cat].per_ms));
        say_left(resp, cat, 0, -1);
        return 0;
    }
    if (create && !bucket_take(&W.create, W.now_ms, &create_left)) {
        W.compute_429++;
        world_429(resp, (int64_t)((1.0 - W.create.tokens) / W.create.per_ms));
        say_left(resp, cat, left, 0);
        return 0;
    }
    say_left(resp, cat, left, create_left);
    if (cat == 2 && W.now_ms < W.deletes_before_ms)
        W.deletes_early++;
    if (strstr(req->url, "DiskOperations/") != NULL)
        world_operation(req, resp);
    else if (cat == 0)
        world_snapshot(resp, req->url);
    else
        world_start_lro(resp);
    return 0;
}

static int64_t world_now_ms(void *ctx) { (void)ctx; return W.now_ms; }
static int64_t world_wall_s(void *ctx) { (void)ctx; return NOW_S + W.now_ms / 1000; }
static void world_sleep(void *ctx, int64_t ms) { (void)ctx; W.now_ms += ms; }
static uint64_t world_random(void *ctx) { (void)ctx; return 0x9e3779b97f4a7c15ULL; }

static az_client *world_client(int parallel, bool headers)
{
    memset(&W, 0, sizeof W);
    W.headers = headers;
    bucket_init(&W.b[0], ENG_ARM_READS_BURST, ENG_ARM_READS_PER_S);
    bucket_init(&W.b[1], ENG_ARM_WRITES_BURST, ENG_ARM_WRITES_PER_S);
    bucket_init(&W.b[2], ENG_ARM_DELETES_BURST, ENG_ARM_DELETES_PER_S);
    bucket_init(&W.create, 40, 40.0 / 180);     /* small, so that it is the limit */
    setenv("AZURE_TENANT_ID", "tenant1", 1);
    setenv("AZURE_CLIENT_ID", "client1", 1);
    setenv("AZURE_CLIENT_SECRET", "fake-client-secret-0123", 1);
    az_options o = { .parallel = parallel };
    az_client *c;
    az_error err;
    if (az_client_new(&o, &c, &err) != 0)
        fail_msg("client: %s: %s", err.code, err.message);
    az_client_set_transport(c, world_transport, NULL);
    az_hooks h = { world_now_ms, world_wall_s, world_sleep, world_random, NULL };
    az_client_set_hooks(c, &h);
    return c;
}

static bool confirm_yes(void *ctx, const az_op *op, const inv_snapshot *current)
{
    (void)ctx;
    (void)op;
    (void)current;
    return true;
}

/* n deletes, each re-read before its DELETE, as `snapkeep run` sends them */
static az_op *world_deletes(size_t n, char (*ids)[160])
{
    az_op *ops = calloc(n, sizeof *ops);
    assert_non_null(ops);
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], RG "snapshots/s%zu", i);
        ops[i] = (az_op){ .kind = AZ_OP_DELETE_SNAPSHOT, .id = ids[i], .confirm = confirm_yes };
    }
    return ops;
}

static void all_done(const az_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].status != AZ_OP_DONE)
            fail_msg("%s: %s: %s", ops[i].id, ops[i].err.code, ops[i].err.message);
}

/* 500 deletes with default options: the bound the delete bucket sets is
 * 2 s + (500 - 200) / 10 s = 32 s; reads (a re-read and at least one poll
 * per delete) need about as long. Within 1.2x of it, and never refused. */
static void test_spends_the_burst_then_the_refill(void **state)
{
    (void)state;
    enum { N = 500 };
    static char ids[N][160];
    az_client *c = world_client(0, true);
    az_op *ops = world_deletes(N, ids);
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), 0);
    all_done(ops, N);
    print_message("500 deletes: %.2f s of virtual time (bound 32 s: ratio %.2f), %d requests, "
                  "%d operations at once, %d refused\n", (double)W.now_ms / 1000,
                  (double)W.now_ms / 32000, W.reqs, W.max_running, W.throttled);
    assert_int_equal(W.throttled, 0);
    assert_int_equal(az_pace_throttled(c), 0);
    assert_true(W.now_ms <= 32000 * 12 / 10);
    assert_true(W.max_running >= 180);      /* the burst was spent at once */
    const az_pace_bucket *d = az_pace_find(c, "deletes");
    assert_non_null(d);
    assert_true(d->known && d->measured);
    /* the refill it measured is ARM's, within 10 % */
    assert_true(d->rate * 1000 > 9.0 && d->rate * 1000 < 11.0);
    free(ops);
    az_client_free(c);
}

/* 30 deletes: all at once, so one operation's time (2 s) and a poll. */
static void test_few_deletes_at_once(void **state)
{
    (void)state;
    enum { N = 30 };
    static char ids[N][160];
    az_client *c = world_client(0, true);
    az_op *ops = world_deletes(N, ids);
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), 0);
    all_done(ops, N);
    assert_int_equal(W.max_running, N);
    assert_true(W.now_ms <= 3000);
    assert_int_equal(W.throttled, 0);
    free(ops);
    az_client_free(c);
}

/* --parallel is a ceiling: never more operations under way. */
static void test_parallel_is_a_ceiling(void **state)
{
    (void)state;
    enum { N = 60 };
    static char ids[N][160];
    az_client *c = world_client(6, true);
    az_op *ops = world_deletes(N, ids);
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), 0);
    all_done(ops, N);
    assert_int_equal(W.max_running, 6);
    free(ops);
    az_client_free(c);
}

/* A bucket another client of the same principal emptied: the first 429
 * says deletes=0 with Retry-After; no DELETE is sent before it has passed,
 * and then the pacer follows the refill without another refusal. */
static void test_429_holds_the_bucket(void **state)
{
    (void)state;
    enum { N = 40 };
    static char ids[N][160];
    az_client *c = world_client(0, true);
    W.b[2].tokens = 0;          /* spent by someone else */
    az_op *ops = world_deletes(N, ids);
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), 0);
    all_done(ops, N);
    assert_true(W.bucket_429 >= 1);
    /* at most the requests sent before the first answer came back */
    assert_true(W.bucket_429 <= AZ_PACE_PROBE);
    int64_t first = W.last_429_ms;
    assert_true(first < 1000);
    /* 40 deletes at 10/s from an empty bucket: about 4 s */
    assert_true(W.now_ms >= 3900 && W.now_ms <= 4000 * 13 / 10 + LRO_MS);
    free(ops);
    az_client_free(c);
}

/* Compute's own policy (x-ms-ratelimit-remaining-resource) for snapshot
 * creation, smaller here than ARM's writes: creates follow it too. */
static void test_compute_policy_paces_creates(void **state)
{
    (void)state;
    enum { N = 60 };
    static char ids[N][160];
    az_client *c = world_client(0, true);
    az_op *ops = calloc(N, sizeof *ops);
    assert_non_null(ops);
    for (size_t i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], RG "snapshots/new%zu", i);
        ops[i] = (az_op){ .kind = AZ_OP_CREATE_SNAPSHOT, .id = ids[i],
                          .location = "westeurope", .source_id = DISK_ID, .incremental = true };
    }
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), 0);
    all_done(ops, N);
    const az_pace_bucket *p = az_pace_find(c, CREATE_POLICY);
    assert_non_null(p);
    assert_true(p->known);
    /* 40 at once, then 20 at 40 per 3 minutes: at least 90 s */
    assert_true(W.now_ms >= 85000);
    /* what was sent before its first figure came back, and no more */
    print_message("creates: %.1f s, %d refused by Compute\n", (double)W.now_ms / 1000, W.compute_429);
    assert_true(W.compute_429 <= AZ_PACE_PROBE);
    assert_int_equal(W.bucket_429, 0);
    free(ops);
    az_client_free(c);
}

/* Without the headers the pacer is blind: the executor's backoff and
 * retries still ride injected 429s and 503s through. */
static void test_blind_rides_through_faults(void **state)
{
    (void)state;
    enum { N = 80 };
    static char ids[N][160];
    az_client *c = world_client(0, false);
    W.fault_every = 4;
    az_op *ops = world_deletes(N, ids);
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), 0);
    all_done(ops, N);
    assert_true(W.faults > 40);
    free(ops);
    az_client_free(c);
}

/* With the headers and the same injected faults (which carry none): all
 * done, and ARM's own buckets never refuse a request. */
static void test_paced_rides_through_faults(void **state)
{
    (void)state;
    enum { N = 300 };
    static char ids[N][160];
    az_client *c = world_client(0, true);
    W.fault_every = 5;
    az_op *ops = world_deletes(N, ids);
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), 0);
    all_done(ops, N);
    assert_true(W.faults > 100);
    assert_int_equal(W.bucket_429, 0);
    free(ops);
    az_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spends_the_burst_then_the_refill),
        cmocka_unit_test(test_few_deletes_at_once),
        cmocka_unit_test(test_parallel_is_a_ceiling),
        cmocka_unit_test(test_429_holds_the_bucket),
        cmocka_unit_test(test_compute_policy_paces_creates),
        cmocka_unit_test(test_blind_rides_through_faults),
        cmocka_unit_test(test_paced_rides_through_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
