/* The Resource Graph listing (azure/graph.c) with the transport replaced:
 * the request body, $skipToken paging, rows kept by scope, the user quota
 * wait, and the answers it refuses (a subscription limit hit). */
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

#define NOW_S 1795694400    /* 2026-11-26T12:00:00Z */

typedef struct g_answer {
    const char *body;
    const char *quota, *resets;
    bool limit_hit;
} g_answer;

static struct {
    g_answer answers[8];
    size_t n, next;
    char bodies[8][2048];
    int64_t sent_ms[8];
    int64_t now_ms;
} G;

static int g_transport(void *ctx, const az_http_req *req, az_http_resp *resp)
{
    (void)ctx;
    resp->status = 200;
    if (strstr(req->url, "/oauth2/v2.0/token") != NULL) {
        resp->body = strdup("{\"access_token\":\"t\",\"expires_in\":3600}");
        resp->body_len = strlen(resp->body);
        return 0;
    }
    assert_non_null(strstr(req->url, "/providers/Microsoft.ResourceGraph/resources?"
                                     "api-version=2024-04-01"));
    assert_string_equal(req->method, "POST");
    if (G.next >= G.n)
        fail_msg("unexpected request %s", req->url);
    snprintf(G.bodies[G.next], sizeof G.bodies[0], "%.*s", (int)req->body_len, req->body);
    G.sent_ms[G.next] = G.now_ms;
    const g_answer *a = &G.answers[G.next++];
    resp->body = strdup(a->body);
    resp->body_len = strlen(a->body);
    snprintf(resp->user_quota, sizeof resp->user_quota, "%s", a->quota ? a->quota : "");
    snprintf(resp->quota_resets, sizeof resp->quota_resets, "%s", a->resets ? a->resets : "");
    resp->subscription_limit_hit = a->limit_hit;
    return 0;
}

static int64_t g_now_ms(void *ctx) { (void)ctx; return G.now_ms; }
static int64_t g_wall_s(void *ctx) { (void)ctx; return NOW_S + G.now_ms / 1000; }
static void g_sleep(void *ctx, int64_t ms) { (void)ctx; G.now_ms += ms; }
static uint64_t g_random(void *ctx) { (void)ctx; return 0; }

static az_client *g_client(void)
{
    memset(&G, 0, sizeof G);
    setenv("AZURE_TENANT_ID", "tenant1", 1);
    setenv("AZURE_CLIENT_ID", "client1", 1);
    setenv("AZURE_CLIENT_SECRET", "secret", 1);
    az_options o = { .arm_endpoint = "https://management.azure.com" };
    az_client *c;
    az_error err;
    if (az_client_new(&o, &c, &err) != 0)
        fail_msg("client: %s: %s", err.code, err.message);
    az_client_set_transport(c, g_transport, NULL);
    az_hooks h = { g_now_ms, g_wall_s, g_sleep, g_random, NULL };
    az_client_set_hooks(c, &h);
    return c;
}

#define ROW(SUB, RG, NAME) \
    "{\"id\":\"/subscriptions/" SUB "/resourceGroups/" RG "/providers/Microsoft.Compute/" \
    "snapshots/" NAME "\",\"name\":\"" NAME "\",\"type\":\"microsoft.compute/snapshots\"," \
    "\"location\":\"westeurope\",\"tags\":{},\"sku\":null,\"properties\":{\"timeCreated\":" \
    "\"2026-11-20T10:00:03.1234567+00:00\",\"provisioningState\":\"Succeeded\"}}"

static void test_pages_scopes_quota(void **state)
{
    (void)state;
    az_client *c = g_client();
    G.answers[G.n++] = (g_answer){ "{\"totalRecords\":3,\"count\":2,\"data\":[" ROW("s1", "rg1", "a")
        "," ROW("s1", "other", "b") "],\"facets\":[],\"resultTruncated\":\"false\","
        "\"$skipToken\":\"tok-2\"}", "0", "00:00:03", false };
    G.answers[G.n++] = (g_answer){ "{\"totalRecords\":3,\"count\":1,\"data\":[" ROW("s2", "x", "c")
        "],\"facets\":[],\"resultTruncated\":false}", "14", "00:00:05", false };
    const char *subs[] = { "s1", "s2" };
    az_graph_scope scopes[] = { { "s1", "rg1" }, { "s2", NULL } };
    az_graph_list_req q = { .subscriptions = subs, .nsubscriptions = 2, .scopes = scopes,
                            .nscopes = 2 };
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_graph_list(c, &q, inv, &err), 0);
    /* rg "other" of s1 is in no scope: the ARM listing of s1/rg1 would not list it */
    assert_int_equal(inv->nsnapshots, 2);
    assert_string_equal(inv->snapshots[0].name, "a");
    assert_string_equal(inv->snapshots[1].name, "c");
    cJSON *b1 = cJSON_Parse(G.bodies[0]), *b2 = cJSON_Parse(G.bodies[1]);
    assert_non_null(b1);
    assert_non_null(b2);
    const cJSON *sa = cJSON_GetObjectItem(b1, "subscriptions");
    assert_int_equal(cJSON_GetArraySize(sa), 2);
    assert_string_equal(cJSON_GetArrayItem(sa, 1)->valuestring, "s2");
    const cJSON *o1 = cJSON_GetObjectItem(b1, "options"), *o2 = cJSON_GetObjectItem(b2, "options");
    assert_null(cJSON_GetObjectItem(o1, "$skipToken"));
    assert_string_equal(cJSON_GetObjectItem(o2, "$skipToken")->valuestring, "tok-2");
    assert_int_equal(cJSON_GetObjectItem(o1, "$top")->valueint, 1000);
    assert_string_equal(cJSON_GetObjectItem(o1, "resultFormat")->valuestring, "objectArray");
    assert_string_equal(cJSON_GetObjectItem(b1, "query")->valuestring, az_graph_query(false));
    /* quota 0 after page 1: page 2 waited until it reset */
    assert_true(G.sent_ms[1] - G.sent_ms[0] >= 3000);
    cJSON_Delete(b1);
    cJSON_Delete(b2);
    inv_free(inv);
    az_client_free(c);
}

static void test_all_subscriptions_and_refusals(void **state)
{
    (void)state;
    az_client *c = g_client();
    az_graph_scope any = { NULL, NULL };
    az_graph_list_req q = { .scopes = &any, .nscopes = 1 };
    inv_inventory *inv = inv_new();
    az_error err;
    /* every subscription: none sent; a limit hit on the last page refuses it all */
    G.answers[G.n++] = (g_answer){ "{\"totalRecords\":2,\"count\":1,\"data\":[" ROW("s1", "g", "a")
        "],\"resultTruncated\":\"false\",\"$skipToken\":\"t\"}", "10", "00:00:01", false };
    G.answers[G.n++] = (g_answer){ "{\"totalRecords\":2,\"count\":1,\"data\":[" ROW("s9", "g", "b")
        "],\"resultTruncated\":\"false\"}", "9", "00:00:01", true };
    assert_int_equal(az_graph_list(c, &q, inv, &err), -1);
    assert_string_equal(err.code, "SubscriptionLimitHit");
    assert_int_equal(inv->nsnapshots, 0);
    cJSON *b1 = cJSON_Parse(G.bodies[0]);
    assert_null(cJSON_GetObjectItem(b1, "subscriptions"));
    cJSON_Delete(b1);
    /* a row without an id, and a $skipToken that is not a string */
    static const char *bad[] = {
        "{\"totalRecords\":1,\"count\":1,\"data\":[{\"name\":\"x\"}],\"resultTruncated\":\"false\"}",
        "{\"totalRecords\":1,\"count\":0,\"data\":[],\"resultTruncated\":\"false\",\"$skipToken\":7}",
        "{\"totalRecords\":1,\"count\":0,\"data\":{\"columns\":[],\"rows\":[]},\"resultTruncated\":\"false\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        G.n = G.next = 0;
        G.answers[G.n++] = (g_answer){ bad[i], NULL, NULL, false };
        assert_int_equal(az_graph_list(c, &q, inv, &err), -1);
        assert_int_equal(inv->nsnapshots, 0);
    }
    inv_free(inv);
    az_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_scopes_quota),
        cmocka_unit_test(test_all_subscriptions_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
