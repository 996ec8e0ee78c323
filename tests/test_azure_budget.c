/* The run's retry budget, with the transport and the clock replaced: a
 * Resource Manager that vanishes costs a run about the budget however many
 * requests are in flight and however long operations were to be polled,
 * while a long healthy run with throttling and short outages here and
 * there is never cut short by it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "azure/az_internal.h"

#define NOW_S 1795694400    /* 2026-11-26T12:00:00Z */
#define ARM "https://management.azure.com"
#define RG "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute/"
#define DISK_ID RG "disks/d1"
#define NEVER INT64_MAX

/* A scripted ARM: every request costs REQ_MS of fake time; it is dead
 * (connections refused) from dead_ms on, answers 503 inside outage
 * windows, 429 to every throttle_every-th request, and reports every
 * long-running operation in progress until lro_done_ms. */
#define REQ_MS 50

typedef struct world {
    int64_t now_ms;
    int64_t dead_ms;
    int64_t outage_every_ms, outage_ms;     /* 503 for outage_ms of every period */
    int throttle_every;
    const char *throttle_after;             /* Retry-After of those 429s */
    int64_t lro_done_ms;
    int arm_reqs, after_death, polls, writes, failures;
} world;

static world W;

static bool world_in_outage(void)
{
    return W.outage_every_ms > 0 && W.now_ms % W.outage_every_ms < W.outage_ms;
}

static void world_body(az_http_resp *resp, const char *body)
{
    resp->body = strdup(body);
    resp->body_len = strlen(body);
}

static void world_snapshot(az_http_resp *resp, const char *url)
{
    char body[1024];
    const char *name = strstr(url, "/snapshots/");
    int n = name != NULL ? (int)strcspn(name + 11, "?") : 1;
    snprintf(body, sizeof body, "{\"name\":\"%.*s\",\"id\":\"" RG "snapshots/%.*s\","
             "\"location\":\"westeurope\",\"properties\":{\"timeCreated\":"
             "\"2026-11-20T10:00:03.1234567+00:00\",\"provisioningState\":\"Succeeded\","
             "\"creationData\":{\"createOption\":\"Copy\",\"sourceResourceId\":\"" DISK_ID
             "\"}}}", n, name ? name + 11 : "x", n, name ? name + 11 : "x");
    world_body(resp, body);
}

static void world_healthy(const az_http_req *req, az_http_resp *resp)
{
    if (strstr(req->url, "/operations/") != NULL) {
        W.polls++;
        resp->status = 200;
        world_body(resp, W.now_ms < W.lro_done_ms ? "{\"status\":\"InProgress\"}"
                                                   : "{\"status\":\"Succeeded\"}");
        snprintf(resp->retry_after, sizeof resp->retry_after, "10");
    } else if (strcmp(req->method, "GET") != 0) {
        W.writes++;
        resp->status = 202;
        resp->async_op = strdup(ARM "/subscriptions/sub1/providers/Microsoft.Compute/"
                                "locations/westeurope/operations/op?api-version=1");
    } else if (strstr(req->url, "/snapshots?") != NULL) {
        resp->status = 200;
        world_body(resp, "{\"value\":[]}");
    } else {
        resp->status = 200;
        world_snapshot(resp, req->url);
    }
}

static int world_transport(void *ctx, const az_http_req *req, az_http_resp *resp)
{
    (void)ctx;
    if (strstr(req->url, "/oauth2/v2.0/token") != NULL) {
        resp->status = 200;
        world_body(resp, "{\"access_token\":\"fake-token\",\"expires_in\":86400}");
        return 0;
    }
    W.now_ms += REQ_MS;
    W.arm_reqs++;
    if (W.now_ms >= W.dead_ms) {
        W.after_death++;
        W.failures++;
        resp->transport_code = 7;   /* CURLE_COULDNT_CONNECT: never reached ARM */
        snprintf(resp->transport_msg, sizeof resp->transport_msg, "Connection refused");
        return 0;
    }
    if (world_in_outage()) {
        W.failures++;
        resp->status = 503;
        world_body(resp, "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"down\"}}");
        return 0;
    }
    if (W.throttle_every > 0 && W.arm_reqs % W.throttle_every == 0) {
        W.failures++;
        resp->status = 429;
        snprintf(resp->retry_after, sizeof resp->retry_after, "%s", W.throttle_after);
        world_body(resp, "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow\"}}");
        return 0;
    }
    world_healthy(req, resp);
    return 0;
}

static int64_t world_now_ms(void *ctx) { (void)ctx; return W.now_ms; }
static int64_t world_wall_s(void *ctx) { (void)ctx; return NOW_S + W.now_ms / 1000; }
static void world_sleep(void *ctx, int64_t ms) { (void)ctx; W.now_ms += ms; }
static uint64_t world_random(void *ctx) { (void)ctx; return 0x9e3779b97f4a7c15ULL; }

static az_client *world_client(int budget_s, int parallel)
{
    memset(&W, 0, sizeof W);
    W.dead_ms = W.lro_done_ms = NEVER;
    W.throttle_after = "1";
    setenv("AZURE_TENANT_ID", "tenant1", 1);
    setenv("AZURE_CLIENT_ID", "client1", 1);
    setenv("AZURE_CLIENT_SECRET", "fake-client-secret-0123", 1);
    az_options o = { .parallel = parallel, .retry_budget_s = budget_s };
    az_client *c;
    az_error err;
    if (az_client_new(&o, &c, &err) != 0)
        fail_msg("client: %s: %s", err.code, err.message);
    az_client_set_transport(c, world_transport, NULL);
    az_hooks h = { world_now_ms, world_wall_s, world_sleep, world_random, NULL };
    az_client_set_hooks(c, &h);
    return c;
}

/* n snapshot creates (even) and deletes (odd), named distinctly. */
static az_op *world_ops(size_t n, char (*ids)[160])
{
    az_op *ops = calloc(n, sizeof *ops);
    assert_non_null(ops);
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], RG "snapshots/s%zu", i);
        ops[i] = (az_op){ .kind = i % 2 ? AZ_OP_DELETE_SNAPSHOT : AZ_OP_CREATE_SNAPSHOT,
                          .id = ids[i], .location = "westeurope", .source_id = DISK_ID };
    }
    return ops;
}

static bool budget_message(const az_error *e, int budget_s)
{
    char want[64];
    snprintf(want, sizeof want, "the run's retry budget of %d s is spent", budget_s);
    return e->retries_exhausted && strstr(e->message, want) != NULL;
}

/* ARM vanishes while 40 operations (16 at a time) are being polled, each
 * with 30 minutes of LRO deadline: everything fails about the budget after
 * the first failure, with the budget named, instead of polling on. */
static void test_dead_arm_stops_lro_polling(void **state)
{
    (void)state;
    enum { N = 40, BUDGET = 60 };
    static char ids[N][160];
    az_client *c = world_client(BUDGET, 16);
    az_op *ops = world_ops(N, ids);
    W.dead_ms = 120000;
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), N);
    /* the first refused connection came at dead_ms; give one backoff
     * interval plus a round of attempts past the budget */
    assert_true(W.now_ms <= W.dead_ms + BUDGET * 1000 + 2000);
    assert_true(W.now_ms >= W.dead_ms + BUDGET * 1000 - 31000);
    assert_true(W.polls > 16);          /* polling was under way when it died */
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(ops[i].status, AZ_OP_FAILED);
        assert_true(budget_message(&ops[i].err, BUDGET));
    }
    assert_true(az_budget_spent(c));
    /* spent stays spent: a later request fails at its first failure */
    int before = W.arm_reqs;
    az_error err;
    inv_inventory *inv = inv_new();
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), -1);
    assert_int_equal(W.arm_reqs, before + 1);
    assert_true(budget_message(&err, BUDGET));
    inv_free(inv);
    free(ops);
    az_client_free(c);
}

/* Operations that never start before ARM dies, and a listing, against a
 * dead endpoint from the outset: about the budget in all, not one budget
 * per request or per batch. */
static void test_dead_arm_from_the_start(void **state)
{
    (void)state;
    enum { N = 24, BUDGET = 20 };
    static char ids[N][160];
    az_client *c = world_client(BUDGET, 4);
    az_op *ops = world_ops(N, ids);
    W.dead_ms = 0;
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), -1);
    assert_true(err.retries_exhausted);
    assert_true(err.transport);
    assert_true(W.now_ms <= BUDGET * 1000 + 1000);
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), N);
    assert_int_equal(W.arm_reqs - W.after_death, 0);
    /* the listing and the whole batch within about one budget, and the
     * ops after it spent one refused attempt each */
    assert_true(W.now_ms <= BUDGET * 1000 + 2000);
    assert_true(az_budget_spent(c));
    int64_t spent_at = W.now_ms;
    static char more_ids[N][160];
    az_op *more = world_ops(N, more_ids);
    assert_int_equal(az_run_ops(c, more, N, NULL, NULL), N);
    assert_true(W.now_ms - spent_at <= N * REQ_MS);
    for (size_t i = 0; i < N; i++) {
        /* the first batch ran into each request's own limit or the run's */
        assert_true(ops[i].err.retries_exhausted);
        assert_true(budget_message(&more[i].err, BUDGET));
    }
    free(more);
    inv_free(inv);
    free(ops);
    az_client_free(c);
}

/* A healthy run of more than 15 minutes of fake time, 32 operations in
 * flight, a 429 on every 7th request, operations polled for 25 minutes,
 * and a 30 s outage in every 5 minutes: far more failing time in total
 * than the budget of 60 s, never that long in one piece, so everything
 * succeeds. */
static void test_healthy_run_never_exhausts(void **state)
{
    (void)state;
    enum { N = 400, BUDGET = 60 };
    static char ids[N][160];
    az_client *c = world_client(BUDGET, 32);
    az_op *ops = world_ops(N, ids);
    W.throttle_every = 7;
    W.throttle_after = "5";
    W.outage_every_ms = 300000;
    W.outage_ms = 30000;
    W.lro_done_ms = 1500000;
    assert_int_equal(az_run_ops(c, ops, N, NULL, NULL), 0);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(ops[i].status, AZ_OP_DONE);
    assert_false(az_budget_spent(c));
    assert_true(W.now_ms > 15 * BUDGET * 1000);     /* the run outlasted the budget */
    assert_true(W.failures > 300);                  /* and failed plenty on the way */
    print_message("healthy: %lld s, %d requests, %d failed, %d polls\n",
                  (long long)(W.now_ms / 1000), W.arm_reqs, W.failures, W.polls);
    /* sequential listings under the same weather, long after */
    for (int i = 0; i < 200; i++) {
        inv_inventory *inv = inv_new();
        az_error err;
        assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), 0);
        inv_free(inv);
    }
    assert_false(az_budget_spent(c));
    free(ops);
    az_client_free(c);
}

/* One request failing for longer than the budget is what spends it, even
 * when it is the only one: a 503 outage of 10 minutes with budget 60 s. */
static void test_long_outage_spends_it(void **state)
{
    (void)state;
    az_client *c = world_client(60, 8);
    W.outage_every_ms = 10000000;
    W.outage_ms = 600000;
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), -1);
    assert_true(err.retries_exhausted);
    assert_int_equal(err.http_status, 503);
    assert_true(W.now_ms <= 61000);
    inv_free(inv);
    az_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_arm_stops_lro_polling),
        cmocka_unit_test(test_dead_arm_from_the_start),
        cmocka_unit_test(test_healthy_run_never_exhausts),
        cmocka_unit_test(test_long_outage_spends_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
