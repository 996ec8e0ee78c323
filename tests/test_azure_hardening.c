/* Findings of the hardening audit in the ARM layer, with the transport
 * replaced: a nextLink cycle of any length ends the listing at once (no
 * shorter inventory), an answer over the size limit is not retried, and a
 * 200 with an empty body is not a resource. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "azure/az_internal.h"
#include "support/fake_arm.h"

#define ARM "https://management.azure.com"
#define LIST ARM "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute/" \
             "snapshots?api-version=" AZ_API_VERSION
#define SNAP_ID "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute/snapshots/s1"
#define MAX_REQ 64

/* Pages by URL: page i lists snapshot "s<i>" and links to page next[i]
 * (-1: the last). Page 0 is the listing's own URL. */
typedef struct pages {
    int next[512];
    size_t npages;
    size_t body_pad;            /* extra bytes of white space in every answer */
    const char *fixed;          /* an answer for every request instead */
    size_t nreq, max_req;
} pages;

static pages P;

static void page_url(char *buf, size_t n, int i)
{
    if (i == 0)
        snprintf(buf, n, "%s", LIST);
    else
        snprintf(buf, n, "%s&$skiptoken=p%d", LIST, i);
}

static int fake_transport(void *ctx, const az_http_req *req, az_http_resp *resp)
{
    (void)ctx;
    if (strstr(req->url, "/oauth2/v2.0/token") != NULL) {
        resp->status = 200;
        resp->body = strdup("{\"access_token\":\"fake-token\",\"expires_in\":3600}");
        resp->body_len = strlen(resp->body);
        return 0;
    }
    /* a listing that never ends would otherwise run to the page cap */
    if (++P.nreq > P.max_req)
        fail_msg("more than %zu ARM requests: a cycle was followed", P.max_req);
    char body[2048], url[512], next[600] = "";
    int i = -1;
    for (size_t k = 0; k < P.npages && i < 0; k++) {
        page_url(url, sizeof url, (int)k);
        if (strcmp(url, req->url) == 0)
            i = (int)k;
    }
    if (P.fixed != NULL) {
        snprintf(body, sizeof body, "%s", P.fixed);
    } else {
        if (i < 0)
            fail_msg("unexpected request %s", req->url);
        if (P.next[i] >= 0) {
            page_url(url, sizeof url, P.next[i]);
            snprintf(next, sizeof next, ",\"nextLink\":\"%s\"", url);
        }
        snprintf(body, sizeof body, "{\"value\":[{\"name\":\"s%d\",\"id\":\"/subscriptions/sub1/"
                 "resourceGroups/rg1/providers/Microsoft.Compute/snapshots/s%d\",\"location\":"
                 "\"westeurope\",\"properties\":{\"timeCreated\":\"2026-11-20T10:00:03Z\","
                 "\"provisioningState\":\"Succeeded\"}}]%s}", i, i, next);
    }
    size_t len = strlen(body);
    resp->status = 200;
    resp->body = malloc(len + P.body_pad + 1);
    assert_non_null(resp->body);
    memcpy(resp->body, body, len);
    memset(resp->body + len, ' ', P.body_pad);
    resp->body_len = len + P.body_pad;
    resp->body[resp->body_len] = '\0';
    return 0;
}

static int64_t T_ms;
static int64_t fake_now_ms(void *ctx) { (void)ctx; return T_ms; }
static int64_t fake_wall_s(void *ctx) { (void)ctx; return 1795694400 + T_ms / 1000; }
static void fake_sleep(void *ctx, int64_t ms) { (void)ctx; T_ms += ms; }
static uint64_t fake_random(void *ctx) { (void)ctx; return 0; }

static az_client *fake_client(void)
{
    memset(&P, 0, sizeof P);
    P.max_req = MAX_REQ;
    T_ms = 0;
    az_options o = { .parallel = 4 };
    az_hooks h = { fake_now_ms, fake_wall_s, fake_sleep, fake_random, NULL };
    return fa_client_on(&o, fake_transport, &h);
}

/* links[i] is page i's nextLink; the listing must fail after `want_req`
 * requests with nothing of it left in the inventory. */
static void expect_cycle(const int *links, size_t n, size_t want_req)
{
    az_client *c = fake_client();
    for (size_t i = 0; i < n; i++)
        P.next[i] = links[i];
    P.npages = n;
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), -1);
    assert_string_equal(err.code, "InvalidResponse");
    assert_non_null(strstr(err.message, "URL of an earlier page"));
    assert_int_equal(inv->nsnapshots, 0);       /* never a shorter inventory */
    assert_int_equal(P.nreq, want_req);         /* no page is asked for twice */
    inv_free(inv);
    az_client_free(c);
}

static void test_nextlink_cycles(void **state)
{
    (void)state;
    expect_cycle((const int[]){ 0 }, 1, 1);                 /* A -> A */
    expect_cycle((const int[]){ 1, 0 }, 2, 2);              /* A -> B -> A */
    expect_cycle((const int[]){ 1, 2, 3, 1 }, 4, 4);        /* A -> B -> C -> D -> B */
}

/* Many distinct pages are all followed (the set of seen URLs grows). */
static void test_nextlink_long_listing(void **state)
{
    (void)state;
    az_client *c = fake_client();
    P.npages = 300;
    for (size_t i = 0; i < P.npages; i++)
        P.next[i] = i + 1 < P.npages ? (int)i + 1 : -1;
    inv_inventory *inv = inv_new();
    az_error err;
    P.max_req = P.npages;       /* legitimately long: each page once */
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), 0);
    assert_int_equal(inv->nsnapshots, 300);
    inv_free(inv);
    az_client_free(c);
}

/* An answer over the size limit: one attempt, "answer too large". */
static void test_answer_too_large(void **state)
{
    (void)state;
    az_client *c = fake_client();
    az_http_set_max_body(c->http, 4096);
    P.npages = 1;
    P.next[0] = -1;
    P.body_pad = 5000;
    inv_inventory *inv = inv_new();
    az_error err;
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), -1);
    assert_string_equal(err.code, "AnswerTooLarge");
    assert_non_null(strstr(err.message, "answer too large"));
    assert_int_equal(P.nreq, 1);                /* not retried */
    assert_int_equal(inv->nsnapshots, 0);

    /* under the limit, the same page reads */
    P.nreq = 0;
    P.body_pad = 1000;
    assert_int_equal(az_list_snapshots(c, "sub1", "rg1", inv, &err), 0);
    assert_int_equal(inv->nsnapshots, 1);
    inv_free(inv);
    az_client_free(c);
}

/* A GET of one resource answering 200 with nothing (or not one
 * resource) is Azure failing, not "no such resource" nor another one. */
static void test_get_empty_200(void **state)
{
    (void)state;
    static const char *const bodies[] = { "", " \r\n", "{}", "null", "<html>busy</html>" };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        az_client *c = fake_client();
        P.fixed = bodies[i];
        inv_inventory *inv = inv_new();
        inv_snapshot *s = (inv_snapshot *)1;
        az_error err;
        assert_int_equal(az_get_snapshot(c, SNAP_ID, inv, &s, &err), -1);
        assert_null(s);
        assert_string_equal(err.code, "InvalidResponse");
        if (bodies[i][0] == '\0' || bodies[i][0] == ' ')
            assert_non_null(strstr(err.message, "HTTP 200 with an empty body"));
        inv_free(inv);
        az_client_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nextlink_cycles),
        cmocka_unit_test(test_nextlink_long_listing),
        cmocka_unit_test(test_answer_too_large),
        cmocka_unit_test(test_get_empty_200),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
