/* The scripted ARM of fake_arm.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "azure/az_internal.h"
#include "support/fake_arm.h"

fa_state FA;

void fa_add(fa_answer a)
{
    assert_true(FA.n < sizeof FA.answers / sizeof FA.answers[0]);
    FA.answers[FA.n++] = a;
}

static int fa_transport(void *ctx, const az_http_req *req, az_http_resp *resp)
{
    (void)ctx;
    if (strstr(req->url, "/oauth2/v2.0/token") != NULL) {
        const char *tok = "{\"access_token\":\"fake-token\",\"expires_in\":3600}";
        resp->status = 200;
        resp->body = strdup(tok);
        resp->body_len = strlen(tok);
        return 0;
    }
    assert_true(FA.nreq < sizeof FA.reqs / sizeof FA.reqs[0]);
    fa_req *r = &FA.reqs[FA.nreq++];
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", req->method);
    snprintf(r->url, sizeof r->url, "%s", req->url);
    r->has_body = req->body != NULL;
    snprintf(r->body, sizeof r->body, "%.*s", (int)req->body_len, req->body ? req->body : "");
    for (size_t i = 0; i < req->nheaders; i++)
        if (strncmp(req->headers[i], "Authorization:", 14) != 0) {
            size_t used = strlen(r->headers);
            snprintf(r->headers + used, sizeof r->headers - used, "%s\n", req->headers[i]);
        }
    if (FA.next >= FA.n)
        fail_msg("unexpected request %s %s", req->method, req->url);
    fa_answer *a = &FA.answers[FA.next++];
    resp->status = a->status;
    if (a->status == 0) {
        resp->transport_code = a->not_sent ? 7 : 56;
        resp->maybe_sent = !a->not_sent;
        snprintf(resp->transport_msg, sizeof resp->transport_msg, "%s",
                 a->not_sent ? "Failed to connect" : "Connection reset by peer");
        return 0;
    }
    if (a->body != NULL) {
        resp->body = strdup(a->body);
        resp->body_len = strlen(a->body);
    }
    resp->async_op = a->async_op ? strdup(a->async_op) : NULL;
    resp->location = a->location ? strdup(a->location) : NULL;
    if (FA.date != NULL)
        snprintf(resp->date, sizeof resp->date, "%s", FA.date);
    snprintf(resp->retry_after, sizeof resp->retry_after, "%s",
             a->retry_after ? a->retry_after : "");
    snprintf(resp->request_id, sizeof resp->request_id, "req-%zu", FA.next);
    return 0;
}

static int64_t fa_now_ms(void *ctx) { (void)ctx; return FA.now_ms; }
static int64_t fa_wall_s(void *ctx) { (void)ctx; return FA_NOW_S + FA.now_ms / 1000; }
static void fa_sleep(void *ctx, int64_t ms) { (void)ctx; FA.now_ms += ms; }
static uint64_t fa_random(void *ctx) { (void)ctx; return 0; }

az_client *fa_client(int lro_deadline_s)
{
    memset(&FA, 0, sizeof FA);
    az_options o = { .lro_deadline_s = lro_deadline_s, .auth = AZ_AUTH_SECRET };
    az_hooks h = { fa_now_ms, fa_wall_s, fa_sleep, fa_random, NULL };
    return fa_client_on(&o, fa_transport, &h);
}

az_client *fa_client_on(const az_options *o, az_transport_fn transport, const az_hooks *h)
{
    setenv("AZURE_TENANT_ID", "tenant1", 1);
    setenv("AZURE_CLIENT_ID", "client1", 1);
    setenv("AZURE_CLIENT_SECRET", "fake-client-secret-0123", 1);
    az_client *c;
    az_error err;
    if (az_client_new(o, &c, &err) != 0)
        fail_msg("client: %s: %s", err.code, err.message);
    az_client_set_transport(c, transport, NULL);
    az_client_set_hooks(c, h);
    return c;
}

cJSON *fa_fixture(const char *name)
{
    char path[256];
    static char buf[65536];
    snprintf(path, sizeof path, "tests/fixtures/arm/%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("%s: cannot open (run from the repository's top directory)", path);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *root = cJSON_Parse(buf);
    if (root == NULL)
        fail_msg("%s: not JSON", path);
    return root;
}

char *fa_example_body(const char *name, const char *status)
{
    cJSON *root = fa_fixture(name);
    cJSON *body = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "responses"), status), "body");
    if (body == NULL)
        fail_msg("%s: no responses.%s.body", name, status);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(root);
    return text;
}
