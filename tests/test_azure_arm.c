/* The ARM layer with the transport replaced: URLs, paging, retries, token
 * refresh, long-running operations, reconciling lost writes, redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/ops_priv.h"
#include "support/fake_arm.h"

#define NOW_S 1795694400    /* 2026-11-26T12:00:00Z */
#define SECRET "fake-client-secret-0123"
#define ARM "https://management.azure.com"
#define SNAP_ID "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute/snapshots/s1"
#define DISK_ID "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute/disks/d1"

typedef struct fake_answer {
    int status;                 /* 0: the connection drops */
    const char *body;
    const char *async_op, *location, *retry_after, *date;
} fake_answer;

typedef struct fake_req {
    char method[8];
    char url[8192];
    char auth[512];
    char headers[1024];         /* the other header lines, each ending '\n' */
    char body[4096];
} fake_req;

typedef struct fake {
    fake_answer answers[64];
    size_t n, next;
    fake_req reqs[128];
    size_t nreq;
    int tokens;                 /* token requests served */
    char token_form[2048];
    int64_t now_ms;
    char log[65536];
} fake;

static fake F;

static void fake_answer_add(fake_answer a)
{
    assert_true(F.n < 64);
    F.answers[F.n++] = a;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int fake_transport(void *ctx, const az_http_req *req, az_http_resp *resp)
{
    (void)ctx;
    if (strstr(req->url, "/oauth2/v2.0/token") != NULL) {
        char body[128];
        F.tokens++;
        snprintf(F.token_form, sizeof F.token_form, "%.*s", (int)req->body_len, req->body);
        snprintf(body, sizeof body, "{\"access_token\":\"fake-token-%d\",\"expires_in\":3600}",
                 F.tokens);
        resp->status = 200;
        resp->body = strdup(body);
        resp->body_len = strlen(body);
        return 0;
    }
    assert_true(F.nreq < 128);
    fake_req *r = &F.reqs[F.nreq++];
    snprintf(r->method, sizeof r->method, "%s", req->method);
    snprintf(r->url, sizeof r->url, "%s", req->url);
    snprintf(r->body, sizeof r->body, "%s", req->body ? req->body : "");
    for (size_t i = 0; i < req->nheaders; i++)
        if (strncmp(req->headers[i], "Authorization:", 14) == 0)
            snprintf(r->auth, sizeof r->auth, "%s", req->headers[i]);
        else if (req->headers[i] != NULL) {
            size_t used = strlen(r->headers);
            snprintf(r->headers + used, sizeof r->headers - used, "%s\n", req->headers[i]);
        }
    if (F.next >= F.n)
        fail_msg("unexpected request %s %s", req->method, req->url);
    fake_answer *a = &F.answers[F.next++];
    resp->status = a->status;
    if (a->status == 0) {
        resp->transport_code = 56;
        resp->maybe_sent = true;
        snprintf(resp->transport_msg, sizeof resp->transport_msg, "Connection reset by peer");
        return 0;
    }
    if (a->body != NULL) {
        resp->body = strdup(a->body);
        resp->body_len = strlen(a->body);
    }
    resp->async_op = dup_or_null(a->async_op);
    resp->location = dup_or_null(a->location);
    snprintf(resp->retry_after, sizeof resp->retry_after, "%s", a->retry_after ? a->retry_after : "");
    snprintf(resp->date, sizeof resp->date, "%s", a->date ? a->date : "");
    snprintf(resp->request_id, sizeof resp->request_id, "req-%zu", F.next);
    return 0;
}

static int64_t fake_now_ms(void *ctx) { (void)ctx; return F.now_ms; }
static int64_t fake_wall_s(void *ctx) { (void)ctx; return NOW_S + F.now_ms / 1000; }
static void fake_sleep(void *ctx, int64_t ms) { (void)ctx; F.now_ms += ms; }
static uint64_t fake_random(void *ctx) { (void)ctx; return 0; }

static void fake_log(void *ctx, az_log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    size_t used = strlen(F.log);
    snprintf(F.log + used, sizeof F.log - used, "%s\n", msg);
}

static az_client *fake_client(const char *arm_endpoint, int lro_deadline_s)
{
    memset(&F, 0, sizeof F);
    az_options o = { .arm_endpoint = arm_endpoint, .verbose = true, .log = fake_log,
                     .lro_deadline_s = lro_deadline_s, .parallel = 4 };
    az_hooks h = { fake_now_ms, fake_wall_s, fake_sleep, fake_random, NULL };
    return fa_client_on(&o, fake_transport, &h);      /* its secret is SECRET */
}

static const char *snap_json(const char *name)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 1024, "{\"name\":\"%s\",\"id\":\"/subscriptions/sub1/resourceGroups/rg1/providers/"
             "Microsoft.Compute/snapshots/%s\",\"location\":\"westeurope\",\"properties\":{"
             "\"timeCreated\":\"2026-11-20T10:00:03.1234567+00:00\",\"provisioningState\":"
             "\"Succeeded\",\"creationData\":{\"createOption\":\"Copy\",\"sourceResourceId\":\""
             DISK_ID "\"}}}", name, name);
    return b;
}

static void test_resource_ids(void **state)
{
    (void)state;
    static const struct { const char *sub, *rg, *kind, *name, *want; } cases[] = {
        { "sub1", "rg1", "snapshots", "s1", SNAP_ID },
        { "sub1", "rg1", "disks", "d1", DISK_ID },
        { "s", "my rg", "snapshots", "a b", "/subscriptions/s/resourceGroups/my%20rg/providers/"
          "Microsoft.Compute/snapshots/a%20b" },
        { "s", "rg(1)", "snapshots", "x/y?z#%", "/subscriptions/s/resourceGroups/rg%281%29/"
          "providers/Microsoft.Compute/snapshots/x%2Fy%3Fz%23%25" },
        { "s", "rg", "snapshots", "ok_name-1.2~", "/subscriptions/s/resourceGroups/rg/providers/"
          "Microsoft.Compute/snapshots/ok_name-1.2~" },
        { "s", "r\xc3\xa9", "snapshots", "n", "/subscriptions/s/resourceGroups/r%C3%A9/providers/"
          "Microsoft.Compute/snapshots/n" },
    };
    char buf[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(az_resource_id(buf, sizeof buf, cases[i].sub, cases[i].rg,
                                        cases[i].kind, cases[i].name), 0);
        assert_string_equal(buf, cases[i].want);
    }
    assert_int_equal(az_resource_id(buf, sizeof buf, "s", NULL, "snapshots", "n"), -1);
    assert_int_equal(az_resource_id(buf, sizeof buf, "s", "rg", "snapshots", ""), -1);
    assert_int_equal(az_resource_id(buf, 20, "sub1", "rg1", "snapshots", "s1"), -1);
    char small[4];
    assert_int_equal(az_path_escape(small, sizeof small, "abc"), 0);
    assert_int_equal(az_path_escape(small, sizeof small, "abcd"), -1);
    assert_int_equal(az_path_escape(small, sizeof small, "a b"), -1);
    assert_true(az_id_equal("subscriptions/SUB1/resourcegroups/RG1/x", "/subscriptions/sub1/resourceGroups/rg1/X"));
    assert_false(az_id_equal("/subscriptions/sub1/a", "/subscriptions/sub1/b"));
    assert_false(az_id_equal(NULL, "/x"));
}

/* nextLink is followed byte for byte, even where it looks odd. */
static void test_list_follows_nextlink_verbatim(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    const char *next = ARM "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute/"
                       "snapshots?api-version=2019-07-01&%24skiptoken=Ab%2FC%3D%3D&$top=2&x=a+b";
    char page1[4096], page2[2048];
    snprintf(page1, sizeof page1, "{\"value\":[%s,%s],\"nextLink\":\"%s\"}", snap_json("a"),
             snap_json("b"), next);
    snprintf(page2, sizeof page2, "{\"value\":[%s],\"nextLink\":null}", snap_json("c"));
    fake_answer_add((fake_answer){ 200, page1, NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, page2, NULL, NULL, NULL, NULL });
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub 1", "rg1", inv, &err), 0);
    assert_int_equal(inv->nsnapshots, 3);
    assert_string_equal(inv->snapshots[2].name, "c");
    assert_int_equal(F.nreq, 2);
    assert_string_equal(F.reqs[0].url, ARM "/subscriptions/sub%201/resourceGroups/rg1/providers/"
                        "Microsoft.Compute/snapshots?api-version=2025-01-02");
    assert_string_equal(F.reqs[1].url, next);
    assert_string_equal(F.reqs[0].auth, "Authorization: Bearer fake-token-1");
    assert_int_equal(F.tokens, 1);      /* cached for the second page */
    inv_free(inv);
    az_client_free(c);
}

static void test_list_subscription_and_disks(void **state)
{
    (void)state;
    az_client *c = fake_client("https://arm.example:8443/", 0);
    fake_answer_add((fake_answer){ 200, "{\"value\":[]}", NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, "{\"value\":[{\"name\":\"d1\",\"id\":\"" DISK_ID "\","
                                   "\"location\":\"westeurope\",\"tags\":{\"env\":\"prod\"}}]}",
                                   NULL, NULL, NULL, NULL });
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub1", NULL, inv, &err), 0);
    assert_int_equal(az_list_disks(c, "sub1", "rg1", inv, &err), 0);
    assert_string_equal(F.reqs[0].url, "https://arm.example:8443/subscriptions/sub1/providers/"
                        "Microsoft.Compute/snapshots?api-version=2025-01-02");
    assert_string_equal(F.reqs[1].url, "https://arm.example:8443/subscriptions/sub1/"
                        "resourceGroups/rg1/providers/Microsoft.Compute/disks?api-version=2025-01-02");
    assert_int_equal(inv->ndisks, 1);
    assert_true(inv->disks_known);
    /* the token is for ARM's audience, not for the endpoint */
    assert_non_null(strstr(F.token_form, "scope=https%3A%2F%2Fmanagement.azure.com%2F.default"));
    inv_free(inv);
    az_client_free(c);
}

/* A page that fails (after retries, or at once with a 4xx) fails the
 * whole listing: nothing is appended. */
static void test_list_failing_page(void **state)
{
    (void)state;
    char page1[4096];
    snprintf(page1, sizeof page1, "{\"value\":[%s],\"nextLink\":\"" ARM "/p2\"}", snap_json("a"));
    static const struct { int status; int times; const char *code; bool exhausted; } cases[] = {
        { 400, 1, "BadRequest", false },
        { 403, 1, "AuthorizationFailed", false },
        { 503, 10, "ServiceUnavailable", true },
        { 0, 10, "ConnectionFailed", true },
        { 429, 10, "TooManyRequests", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        az_client *c = fake_client(NULL, 0);
        char body[256];
        snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"no\"}}", cases[i].code);
        fake_answer_add((fake_answer){ 200, page1, NULL, NULL, NULL, NULL });
        for (int k = 0; k < cases[i].times; k++)
            fake_answer_add((fake_answer){ cases[i].status, body, NULL, NULL, "1", NULL });
        inv_inventory *inv = inv_new();
        az_error err;
        assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), -1);
        assert_int_equal(inv->nsnapshots, 0);
        assert_string_equal(err.code, cases[i].code);
        assert_int_equal(err.retries_exhausted, cases[i].exhausted);
        assert_int_equal(F.nreq, 1 + (size_t)cases[i].times);
        inv_free(inv);
        az_client_free(c);
    }
}

static void test_list_rides_through_faults(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    char page[2048];
    snprintf(page, sizeof page, "{\"value\":[%s]}", snap_json("a"));
    fake_answer_add((fake_answer){ 429, "{}", NULL, NULL, "7", NULL });
    fake_answer_add((fake_answer){ 503, "{}", NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 0, NULL, NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 500, "{}", NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, page, NULL, NULL, NULL,
                                   "Thu, 26 Nov 2026 12:01:00 GMT" });
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), 0);
    assert_int_equal(inv->nsnapshots, 1);
    assert_int_equal(F.nreq, 5);
    /* Retry-After 7 s, then three backoffs of at least 250, 500, 1000 ms */
    assert_true(F.now_ms >= 7000 + 250 + 500 + 1000);
    bool known;
    int64_t skew = az_clock_skew(c, &known);
    assert_true(known);
    assert_int_equal(skew, 60 - F.now_ms / 1000);
    inv_free(inv);
    az_client_free(c);
}

/* 429s lower the concurrency allowed (the request waits its Retry-After);
 * successes raise it back slowly. */
static void test_throttling_slows_down(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);      /* parallel 4 */
    char page[2048];
    snprintf(page, sizeof page, "{\"value\":[%s]}", snap_json("a"));
    fake_answer_add((fake_answer){ 429, "{}", NULL, NULL, "5", NULL });
    fake_answer_add((fake_answer){ 429, "{}", NULL, NULL, "5", NULL });
    fake_answer_add((fake_answer){ 200, page, NULL, NULL, NULL, NULL });
    inv_inventory *inv = inv_new();
    az_error err;
    assert_true(c->limit == 4);
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), 0);
    assert_true(c->limit == 2);     /* 4, halved twice to 1, then 1 + 1/1 */
    assert_true(F.now_ms >= 10000);
    for (int i = 0; i < 20; i++) {
        fake_answer_add((fake_answer){ 204, NULL, NULL, NULL, NULL, NULL });
        az_op op = { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
        assert_int_equal(az_run_ops(c, &op, 1, NULL, NULL), 0);
    }
    assert_true(c->limit == 4);                     /* back to --parallel, no higher */
    inv_free(inv);
    az_client_free(c);
}

static void test_401_refreshes_once(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    const char *e401 = "{\"error\":{\"code\":\"ExpiredAuthenticationToken\",\"message\":\"old\"}}";
    char page[2048];
    snprintf(page, sizeof page, "{\"value\":[%s]}", snap_json("a"));
    fake_answer_add((fake_answer){ 401, e401, NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, page, NULL, NULL, NULL, NULL });
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), 0);
    assert_int_equal(F.tokens, 2);
    assert_string_equal(F.reqs[1].auth, "Authorization: Bearer fake-token-2");
    inv_free(inv);
    az_client_free(c);

    c = fake_client(NULL, 0);
    fake_answer_add((fake_answer){ 401, e401, NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 401, e401, NULL, NULL, NULL, NULL });
    inv = inv_new();
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), -1);
    assert_int_equal(err.http_status, 401);
    assert_string_equal(err.code, "ExpiredAuthenticationToken");
    assert_int_equal(F.tokens, 2);
    assert_int_equal(F.nreq, 2);
    inv_free(inv);
    az_client_free(c);
}

/* Four requests in flight all meet an expired token: one refresh. */
static void test_401_burst_one_refresh(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);      /* parallel 4 */
    az_op ops[4];
    for (int i = 0; i < 4; i++) {
        ops[i] = (az_op){ .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
        fake_answer_add((fake_answer){ 401, "{}", NULL, NULL, NULL, NULL });
    }
    for (int i = 0; i < 4; i++)
        fake_answer_add((fake_answer){ 204, NULL, NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, ops, 4, NULL, NULL), 0);
    assert_int_equal(F.tokens, 2);
    for (int i = 4; i < 8; i++)
        assert_string_equal(F.reqs[i].auth, "Authorization: Bearer fake-token-2");
    az_client_free(c);
}

static void test_get(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    fake_answer_add((fake_answer){ 200, snap_json("s1"), NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 404, "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"x\"}}",
                                   NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 403, "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"x\"}}",
                                   NULL, NULL, NULL, NULL });
    inv_inventory *inv = inv_new();
    inv_snapshot *s;
    az_error err;
    assert_int_equal(az_get_snapshot(c, SNAP_ID, inv, &s, &err), 1);
    assert_string_equal(s->name, "s1");
    assert_string_equal(F.reqs[0].url, ARM SNAP_ID "?api-version=2025-01-02");
    assert_int_equal(az_get_snapshot(c, SNAP_ID, inv, &s, &err), 0);
    assert_null(s);
    assert_int_equal(az_get_snapshot(c, SNAP_ID, inv, &s, &err), -1);
    assert_string_equal(err.code, "AuthorizationFailed");
    assert_int_equal(inv->nsnapshots, 1);
    inv_free(inv);
    az_client_free(c);
}

/* Snapshot_Delete.json's 202: a Location without '?', used as given. */
static void test_delete_malformed_location(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    const char *loc = ARM "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/"
                      "{location}/operations/{operationId}&monitor=true&api-version=2025-01-02";
    fake_answer_add((fake_answer){ 202, NULL, NULL, loc, "3", NULL });
    fake_answer_add((fake_answer){ 202, NULL, NULL, loc, NULL, NULL });
    fake_answer_add((fake_answer){ 200, NULL, NULL, NULL, NULL, NULL });
    az_op op = { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
    assert_int_equal(az_run_ops(c, &op, 1, NULL, NULL), 0);
    assert_int_equal(op.status, AZ_OP_DONE);
    assert_false(op.already_gone);
    assert_int_equal(F.nreq, 3);
    assert_string_equal(F.reqs[0].method, "DELETE");
    assert_string_equal(F.reqs[1].url, loc);
    assert_string_equal(F.reqs[2].url, loc);
    assert_true(F.now_ms >= 3000 + 2000);   /* Retry-After, then the default poll interval */
    az_client_free(c);
}

static bool confirm_no(void *ctx, const az_op *op, const inv_snapshot *cur)
{
    (void)op;
    *(int *)ctx += 1;
    assert_non_null(cur);
    assert_string_equal(cur->name, "s1");
    return false;
}

static bool confirm_yes(void *ctx, const az_op *op, const inv_snapshot *cur)
{
    (void)op;
    (void)cur;
    *(int *)ctx += 1;
    return true;
}

static void test_delete_outcomes(void **state)
{
    (void)state;
    const char *nf = "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\"}}";
    az_client *c = fake_client(NULL, 0);
    int asked = 0;
    az_op ops[4] = {
        { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID },                /* 404: gone */
        { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID, .confirm = confirm_no, .confirm_ctx = &asked },
        { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID, .confirm = confirm_yes, .confirm_ctx = &asked },
        { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID },                /* locked */
    };
    /* run one at a time so the answers line up */
    fake_answer_add((fake_answer){ 404, nf, NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &ops[0], 1, NULL, NULL), 0);
    assert_int_equal(ops[0].status, AZ_OP_DONE);
    assert_true(ops[0].already_gone);

    fake_answer_add((fake_answer){ 200, snap_json("s1"), NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &ops[1], 1, NULL, NULL), 0);
    assert_int_equal(ops[1].status, AZ_OP_SKIPPED);
    assert_int_equal(F.nreq, 2);
    assert_string_equal(F.reqs[1].method, "GET");

    fake_answer_add((fake_answer){ 200, snap_json("s1"), NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 204, NULL, NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &ops[2], 1, NULL, NULL), 0);
    assert_int_equal(ops[2].status, AZ_OP_DONE);
    assert_int_equal(asked, 2);
    assert_string_equal(F.reqs[3].method, "DELETE");

    fake_answer_add((fake_answer){ 409, "{\"error\":{\"code\":\"ScopeLocked\",\"message\":"
                                   "\"locked\"}}", NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &ops[3], 1, NULL, NULL), 1);
    assert_int_equal(ops[3].status, AZ_OP_FAILED);
    assert_string_equal(ops[3].err.code, "ScopeLocked");
    assert_int_equal(ops[3].err.http_status, 409);
    assert_int_equal(F.nreq, 5);            /* a 409 is not retried */

    /* a confirm GET that finds nothing: already gone, no DELETE */
    az_op op = { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID, .confirm = confirm_yes,
                 .confirm_ctx = &asked };
    fake_answer_add((fake_answer){ 404, nf, NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &op, 1, NULL, NULL), 0);
    assert_true(op.already_gone);
    assert_int_equal(asked, 2);
    az_client_free(c);
}

/* A DELETE whose connection dropped is not resent blindly. */
static void test_lost_writes_reconciled(void **state)
{
    (void)state;
    const char *nf = "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\"}}";
    az_client *c = fake_client(NULL, 0);
    az_op del = { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
    fake_answer_add((fake_answer){ 0, NULL, NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 404, nf, NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &del, 1, NULL, NULL), 0);
    assert_int_equal(del.status, AZ_OP_DONE);
    assert_int_equal(F.nreq, 2);
    assert_string_equal(F.reqs[1].method, "GET");

    /* still there after a 503: deleted again */
    az_op del2 = { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
    fake_answer_add((fake_answer){ 503, "{}", NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, snap_json("s1"), NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, NULL, NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &del2, 1, NULL, NULL), 0);
    assert_string_equal(F.reqs[4].method, "DELETE");

    /* a PUT that never landed is sent again; one that landed is not */
    az_op put = { .kind = AZ_OP_CREATE_SNAPSHOT, .id = SNAP_ID, .location = "westeurope",
                  .source_id = DISK_ID, .incremental = true };
    fake_answer_add((fake_answer){ 0, NULL, NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 404, nf, NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, snap_json("s1"), NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, snap_json("s1"), NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &put, 1, NULL, NULL), 0);
    assert_int_equal(put.status, AZ_OP_DONE);
    assert_string_equal(F.reqs[5].method, "PUT");
    assert_string_equal(F.reqs[6].method, "GET");
    assert_string_equal(F.reqs[7].method, "PUT");
    assert_non_null(strstr(F.reqs[5].headers, "If-None-Match: *"));
    assert_non_null(strstr(F.reqs[7].headers, "If-None-Match: *"));
    assert_null(strstr(F.reqs[6].headers, "If-None-Match"));
    assert_string_equal(put.provisioning_state, "Succeeded");

    size_t before = F.nreq;
    put.status = AZ_OP_PENDING;
    fake_answer_add((fake_answer){ 502, "{}", NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, snap_json("s1"), NULL, NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &put, 1, NULL, NULL), 0);
    assert_int_equal(F.nreq, before + 2);   /* PUT, GET: no second PUT */
    az_client_free(c);
}

/* Azure-AsyncOperation is preferred over Location; after success the
 * resource is read for provisioningState. The body is the CLI's. */
static void test_create_snapshot_lro(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    const char *aop = ARM "/subscriptions/sub1/providers/Microsoft.Compute/locations/westeurope/"
                      "DiskOperations/op1?p=1&api-version=2025-01-02";
    fake_answer_add((fake_answer){ 201, snap_json("s1"), aop, ARM "/location-url", "1", NULL });
    fake_answer_add((fake_answer){ 200, "{\"status\":\"InProgress\"}", NULL, NULL, "2", NULL });
    fake_answer_add((fake_answer){ 200, "{\"status\":\"Succeeded\"}", NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, snap_json("s1"), NULL, NULL, NULL, NULL });
    inv_tag tags[] = { { "snapkeep-policy", "dss-datadir" } };
    az_op op = { .kind = AZ_OP_CREATE_SNAPSHOT, .id = SNAP_ID, .location = "westeurope",
                 .source_id = DISK_ID, .sku = "Standard_ZRS", .incremental = true,
                 .tags = tags, .ntags = 1 };
    assert_int_equal(az_run_ops(c, &op, 1, NULL, NULL), 0);
    assert_int_equal(op.status, AZ_OP_DONE);
    assert_string_equal(op.provisioning_state, "Succeeded");
    assert_int_equal(F.nreq, 4);
    assert_string_equal(F.reqs[0].method, "PUT");
    assert_string_equal(F.reqs[0].url, ARM SNAP_ID "?api-version=2025-01-02");
    /* the create is conditional; the polls and the read are not */
    assert_non_null(strstr(F.reqs[0].headers, "If-None-Match: *\n"));
    for (size_t i = 1; i < 4; i++)
        assert_null(strstr(F.reqs[i].headers, "If-None-Match"));
    assert_string_equal(F.reqs[1].url, aop);
    assert_string_equal(F.reqs[2].url, aop);
    assert_string_equal(F.reqs[3].url, ARM SNAP_ID "?api-version=2025-01-02");
    assert_true(F.now_ms >= 3000);

    cJSON *b = cJSON_Parse(F.reqs[0].body);
    assert_non_null(b);
    assert_string_equal(cJSON_GetObjectItem(b, "location")->valuestring, "westeurope");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "tags"), "snapkeep-policy")
                        ->valuestring, "dss-datadir");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "sku"), "name")->valuestring,
                        "Standard_ZRS");
    cJSON *p = cJSON_GetObjectItem(b, "properties");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p, "incremental")));
    cJSON *cd = cJSON_GetObjectItem(p, "creationData");
    assert_string_equal(cJSON_GetObjectItem(cd, "createOption")->valuestring, "Copy");
    assert_string_equal(cJSON_GetObjectItem(cd, "sourceResourceId")->valuestring, DISK_ID);
    cJSON_Delete(b);
    az_client_free(c);
}

/* Monitor URLs of 4 KB are polled as given. */
static void test_long_monitor_url(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    static char url[4200];
    int n = snprintf(url, sizeof url, ARM "/subscriptions/sub1/providers/Microsoft.Compute/"
                     "locations/westeurope/DiskOperations/op?api-version=2025-01-02&t=");
    memset(url + n, 'x', 4096 - (size_t)n);
    url[4096] = '\0';
    fake_answer_add((fake_answer){ 202, NULL, url, NULL, "0", NULL });
    fake_answer_add((fake_answer){ 200, "{\"status\":\"Succeeded\"}", NULL, NULL, NULL, NULL });
    az_op op = { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
    assert_int_equal(az_run_ops(c, &op, 1, NULL, NULL), 0);
    assert_int_equal(strlen(F.reqs[1].url), 4096);
    assert_string_equal(F.reqs[1].url, url);
    az_client_free(c);
}

static void test_create_disk_and_failures(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    const char *aop = ARM "/op/2";
    fake_answer_add((fake_answer){ 202, NULL, aop, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 200, "{\"status\":\"Failed\",\"error\":{\"code\":"
                                   "\"InternalOperationError\",\"message\":\"boom\"}}",
                                   NULL, NULL, NULL, NULL });
    az_op op = { .kind = AZ_OP_CREATE_DISK, .id = DISK_ID, .location = "westeurope",
                 .source_id = SNAP_ID, .zone = "1" };
    assert_int_equal(az_run_ops(c, &op, 1, NULL, NULL), 1);
    assert_int_equal(op.status, AZ_OP_FAILED);
    assert_string_equal(op.err.code, "InternalOperationError");
    assert_string_equal(op.err.message, "boom");
    assert_non_null(strstr(F.reqs[0].headers, "If-None-Match: *"));
    cJSON *b = cJSON_Parse(F.reqs[0].body);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "zones"), 0)->valuestring, "1");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "incremental"));
    cJSON_Delete(b);

    /* a monitor URL on another host never receives the token */
    az_op op2 = { .kind = AZ_OP_DELETE_DISK, .id = DISK_ID };
    fake_answer_add((fake_answer){ 202, NULL, "https://evil.example/op", NULL, NULL, NULL });
    assert_int_equal(az_run_ops(c, &op2, 1, NULL, NULL), 1);
    assert_string_equal(op2.err.code, "UntrustedUrl");
    assert_int_equal(F.nreq, 3);

    /* missing location: refused before anything is sent */
    az_op op3 = { .kind = AZ_OP_CREATE_SNAPSHOT, .id = SNAP_ID, .source_id = DISK_ID };
    assert_int_equal(az_run_ops(c, &op3, 1, NULL, NULL), 1);
    assert_string_equal(op3.err.code, "InvalidOperation");
    assert_int_equal(F.nreq, 3);
    az_client_free(c);
}

/* A conditional create ARM refuses because the resource exists (made by
 * someone else since the listing): failed with the 412 and ARM's code, not
 * retried, not reconciled, nothing else sent; the same for a disk. Deletes
 * carry no condition. */
static void test_create_conditional_412(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    const char *pf = "{\"error\":{\"code\":\"PreconditionFailed\",\"message\":\"The "
                     "condition specified using HTTP conditional header(s) is not met.\"}}";
    fake_answer_add((fake_answer){ 412, pf, NULL, NULL, NULL, NULL });
    az_op op = { .kind = AZ_OP_CREATE_SNAPSHOT, .id = SNAP_ID, .location = "westeurope",
                 .source_id = DISK_ID, .incremental = true };
    assert_int_equal(az_run_ops(c, &op, 1, NULL, NULL), 1);
    assert_int_equal(op.status, AZ_OP_FAILED);
    assert_int_equal(op.err.http_status, 412);
    assert_string_equal(op.err.code, "PreconditionFailed");
    assert_false(op.err.ambiguous);
    assert_false(op.err.retries_exhausted);
    assert_int_equal(F.nreq, 1);
    assert_non_null(strstr(F.reqs[0].headers, "If-None-Match: *"));
    fake_answer_add((fake_answer){ 412, pf, NULL, NULL, NULL, NULL });
    az_op disk = { .kind = AZ_OP_CREATE_DISK, .id = DISK_ID, .location = "westeurope",
                   .source_id = SNAP_ID };
    assert_int_equal(az_run_ops(c, &disk, 1, NULL, NULL), 1);
    assert_int_equal(disk.err.http_status, 412);
    assert_int_equal(F.nreq, 2);
    assert_non_null(strstr(F.reqs[1].headers, "If-None-Match: *"));
    fake_answer_add((fake_answer){ 200, NULL, NULL, NULL, NULL, NULL });
    az_op del = { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
    assert_int_equal(az_run_ops(c, &del, 1, NULL, NULL), 0);
    assert_null(strstr(F.reqs[2].headers, "If-None-Match"));
    az_client_free(c);
}

static void test_lro_deadline(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 10);
    fake_answer_add((fake_answer){ 202, NULL, ARM "/op/3", NULL, "4", NULL });
    for (int i = 0; i < 5; i++)
        fake_answer_add((fake_answer){ 200, "{\"status\":\"InProgress\"}", NULL, NULL, "4", NULL });
    az_op op = { .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
    assert_int_equal(az_run_ops(c, &op, 1, NULL, NULL), 1);
    assert_string_equal(op.err.code, "OperationTimedOut");
    assert_true(F.nreq <= 5);
    az_client_free(c);
}

static int done_calls;
static void count_done(void *ctx, az_op *op)
{
    (void)ctx;
    assert_int_not_equal(op->status, AZ_OP_PENDING);
    done_calls++;
}

static void test_many_ops(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    az_op ops[20];
    for (int i = 0; i < 20; i++) {
        ops[i] = (az_op){ .kind = AZ_OP_DELETE_SNAPSHOT, .id = SNAP_ID };
        fake_answer_add((fake_answer){ i % 2 ? 204 : 404, "{}", NULL, NULL, NULL, NULL });
    }
    done_calls = 0;
    assert_int_equal(az_run_ops(c, ops, 20, count_done, NULL), 0);
    assert_int_equal(done_calls, 20);
    assert_int_equal(az_run_ops(c, ops, 0, count_done, NULL), 0);
    az_client_free(c);
}

/* Neither the secret nor any token reaches the log or an error, even when
 * a server echoes them back. */
static void test_no_secret_in_output(void **state)
{
    (void)state;
    az_client *c = fake_client(NULL, 0);
    fake_answer_add((fake_answer){ 401, "{}", NULL, NULL, NULL, NULL });
    fake_answer_add((fake_answer){ 400, "{\"error\":{\"code\":\"Echo\",\"message\":\"you sent "
                                   "fake-token-2 and " SECRET "\"}}", NULL, NULL, NULL, NULL });
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), -1);
    assert_null(strstr(err.message, "fake-token"));
    assert_null(strstr(err.message, SECRET));
    assert_non_null(strstr(err.message, "[REDACTED]"));
    assert_non_null(strstr(F.log, "GET " ARM "/subscriptions/sub1"));   /* verbose did log */
    assert_null(strstr(F.log, "fake-token"));
    assert_null(strstr(F.log, SECRET));
    assert_null(strstr(F.log, "Bearer"));
    assert_non_null(strstr(F.token_form, "client_secret=" SECRET));     /* it was sent, though */
    inv_free(inv);
    az_client_free(c);
}

static void test_client_options(void **state)
{
    (void)state;
    az_client *c;
    az_error err;
    az_options o = { .cloud = "Mars" };
    assert_int_equal(az_client_new(&o, &c, &err), -1);
    assert_string_equal(err.code, "UnknownCloud");
    az_options o2 = { .arm_endpoint = "http://127.0.0.1:1" };
    assert_int_equal(az_client_new(&o2, &c, &err), -1);
    assert_string_equal(err.code, "InsecureEndpoint");
    unsetenv("AZURE_CLIENT_SECRET");
    az_options o3 = { .auth = AZ_AUTH_SECRET };
    assert_int_equal(az_client_new(&o3, &c, &err), -1);
    assert_string_equal(err.code, "CredentialUnavailable");
    assert_non_null(strstr(err.message, "AZURE_CLIENT_SECRET"));
    unsetenv("AZURE_FEDERATED_TOKEN_FILE");
    az_options o4 = { .auth = AZ_AUTH_WORKLOAD };
    assert_int_equal(az_client_new(&o4, &c, &err), -1);
    assert_non_null(strstr(err.message, "AZURE_FEDERATED_TOKEN_FILE"));
    bool known;
    az_options o5 = { .auth = AZ_AUTH_CLI };
    assert_int_equal(az_client_new(&o5, &c, &err), 0);
    az_clock_skew(c, &known);
    assert_false(known);
    az_client_free(c);
    az_client_free(NULL);
    assert_true(az_same_origin("https://a.example", "HTTPS://A.EXAMPLE/x?y"));
    assert_false(az_same_origin("https://a.example", "https://a.example.evil/x"));
    assert_false(az_same_origin("https://a.example", "http://a.example/x"));
    assert_false(az_same_origin("https://a.example:443", "https://a.example/x"));
}

/* The write bodies: a cross-region copy is CopyStart of the snapshot, incremental, in the
 * target's location, with its tags (tests/arm/README.md, Copies). */
static void test_copy_body(void **state)
{
    (void)state;
    inv_tag tags[] = { { "snapkeep-policy", "p" }, { "snapkeep-copy-of", "/x/snapshots/s" } };
    az_op op = { .kind = AZ_OP_COPY_SNAPSHOT, .id = "/x/snapshots/c", .location = "northeurope",
                 .source_id = "/x/snapshots/s", .tags = tags, .ntags = 2 };
    char *body = az_op_body(&op);
    assert_non_null(body);
    assert_string_equal(body, "{\"location\":\"northeurope\",\"tags\":{\"snapkeep-policy\":\"p\","
                        "\"snapkeep-copy-of\":\"/x/snapshots/s\"},\"properties\":{\"creationData\":"
                        "{\"createOption\":\"CopyStart\",\"sourceResourceId\":\"/x/snapshots/s\"},"
                        "\"incremental\":true}}");
    free(body);
    op.kind = AZ_OP_CREATE_SNAPSHOT;
    op.incremental = false;
    body = az_op_body(&op);
    assert_non_null(strstr(body, "\"createOption\":\"Copy\""));
    assert_non_null(strstr(body, "\"incremental\":false"));
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_body),
        cmocka_unit_test(test_resource_ids),
        cmocka_unit_test(test_list_follows_nextlink_verbatim),
        cmocka_unit_test(test_list_subscription_and_disks),
        cmocka_unit_test(test_list_failing_page),
        cmocka_unit_test(test_list_rides_through_faults),
        cmocka_unit_test(test_throttling_slows_down),
        cmocka_unit_test(test_401_refreshes_once),
        cmocka_unit_test(test_401_burst_one_refresh),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_delete_malformed_location),
        cmocka_unit_test(test_delete_outcomes),
        cmocka_unit_test(test_lost_writes_reconciled),
        cmocka_unit_test(test_create_snapshot_lro),
        cmocka_unit_test(test_long_monitor_url),
        cmocka_unit_test(test_create_disk_and_failures),
        cmocka_unit_test(test_create_conditional_412),
        cmocka_unit_test(test_lro_deadline),
        cmocka_unit_test(test_many_ops),
        cmocka_unit_test(test_no_secret_in_output),
        cmocka_unit_test(test_client_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
