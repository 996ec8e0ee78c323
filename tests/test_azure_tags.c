/* azure/tags.c: a scope's tags through Microsoft.Resources/tags/default,
 * with the transport replaced: the tag found (names without case),
 * absent, answers that are no tags resource refused, an unknown scope an
 * error, ARM's Date passed up; Merge and Delete PATCH bodies and URLs; a
 * 202 + Location followed to its end. */
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
#include "azure/tags.h"
#include "support/fake_arm.h"

#define SCOPE "/subscriptions/sub1/resourceGroups/rg1"
#define URL FA_ARM SCOPE "/providers/Microsoft.Resources/tags/default?api-version=2021-04-01"
#define DATE "Thu, 26 Nov 2026 12:00:00 GMT"
#define TAG "snapkeep-lease-p1"

static void test_get_found_any_case(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    FA.date = DATE;
    fa_add((fa_answer){ .status = 200, .body =
        "{\"id\":\"" SCOPE "/providers/Microsoft.Resources/tags/default\",\"name\":\"default\","
        "\"properties\":{\"tags\":{\"env\":\"prod\",\"SnapKeep-Lease-P1\":\"host=a pid=1\"}}}" });
    char *v = NULL;
    int64_t now = -1, sent = -1;
    az_error err;
    assert_int_equal(az_tag_get(c, SCOPE, TAG, &v, &now, &sent, &err), 1);
    assert_string_equal(v, "host=a pid=1");
    assert_int_equal(now, FA_NOW_S);
    assert_true(sent >= 0);
    assert_string_equal(FA.reqs[0].method, "GET");
    assert_string_equal(FA.reqs[0].url, URL);
    free(v);
    az_client_free(c);
}

static void test_get_absent(void **state)
{
    (void)state;
    const char *bodies[] = { "{\"properties\":{\"tags\":{\"env\":\"prod\"}}}",
                             "{\"properties\":{}}", "{\"id\":\"x\"}" };
    for (size_t i = 0; i < 3; i++) {
        az_client *c = fa_client(0);
        fa_add((fa_answer){ .status = 200, .body = bodies[i] });
        char *v = (char *)"x";
        int64_t now = -1, sent;
        az_error err;
        assert_int_equal(az_tag_get(c, SCOPE, TAG, &v, &now, &sent, &err), 0);
        assert_null(v);
        assert_int_equal(now, 0);   /* no Date: the caller must refuse */
        az_client_free(c);
    }
}

/* an empty or unreadable 200 is an Azure failure, never "no lease" */
static void test_get_refuses_non_tags(void **state)
{
    (void)state;
    const char *bodies[] = { "", "   ", "<html>", "[1]", "{\"properties\":[]}",
                             "{\"properties\":{\"tags\":\"x\"}}",
                             "{\"properties\":{\"tags\":{\"snapkeep-lease-p1\":5}}}" };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        az_client *c = fa_client(0);
        fa_add((fa_answer){ .status = 200, .body = bodies[i] });
        char *v = NULL;
        int64_t now, sent;
        az_error err;
        assert_int_equal(az_tag_get(c, SCOPE, TAG, &v, &now, &sent, &err), -1);
        assert_string_equal(err.code, "InvalidResponse");
        assert_null(v);
        az_client_free(c);
    }
}

static void test_get_errors(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    fa_add((fa_answer){ .status = 404, .body =
        "{\"error\":{\"code\":\"ResourceGroupNotFound\",\"message\":\"no rg1\"}}" });
    char *v = NULL;
    int64_t now, sent;
    az_error err;
    assert_int_equal(az_tag_get(c, SCOPE, TAG, &v, &now, &sent, &err), -1);
    assert_string_equal(err.code, "ResourceNotFound");
    az_client_free(c);
    c = fa_client(0);
    fa_add((fa_answer){ .status = 403, .body =
        "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no tags/read\"}}" });
    assert_int_equal(az_tag_get(c, SCOPE, TAG, &v, &now, &sent, &err), -1);
    assert_string_equal(err.code, "AuthorizationFailed");
    assert_int_equal(err.http_status, 403);
    az_client_free(c);
}

static void check_patch(const fa_req *r, const char *op, const char *value)
{
    assert_string_equal(r->method, "PATCH");
    assert_string_equal(r->url, URL);
    cJSON *b = cJSON_Parse(r->body);
    assert_non_null(b);
    assert_string_equal(cJSON_GetObjectItem(b, "operation")->valuestring, op);
    cJSON *tags = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "tags");
    assert_int_equal(cJSON_GetArraySize(tags), 1);
    assert_string_equal(cJSON_GetObjectItem(tags, TAG)->valuestring, value);
    cJSON_Delete(b);
}

static void test_merge_and_delete(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    fa_add((fa_answer){ .status = 200, .body = "{\"properties\":{\"tags\":{}}}" });
    fa_add((fa_answer){ .status = 200, .body = "{\"properties\":{\"tags\":{}}}" });
    az_error err;
    int64_t done = -1;
    assert_int_equal(az_tag_merge(c, SCOPE, TAG, "host=a pid=1", &done, &err), 0);
    assert_true(done >= 0);
    assert_int_equal(az_tag_delete(c, SCOPE, TAG, "host=a pid=1", &err), 0);
    assert_int_equal(FA.nreq, 2);
    check_patch(&FA.reqs[0], "Merge", "host=a pid=1");
    check_patch(&FA.reqs[1], "Delete", "host=a pid=1");
    az_client_free(c);
}

/* the specification lets ARM answer 202 + Location: done only when the
 * monitor says so */
static void test_merge_202_followed(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    fa_add((fa_answer){ .status = 202, .location = FA_ARM "/op/1", .retry_after = "1" });
    fa_add((fa_answer){ .status = 202, .location = FA_ARM "/op/1", .retry_after = "1" });
    fa_add((fa_answer){ .status = 200, .body = "{\"properties\":{\"tags\":{}}}" });
    az_error err;
    assert_int_equal(az_tag_merge(c, SCOPE, TAG, "v", NULL, &err), 0);
    assert_int_equal(FA.nreq, 3);
    assert_string_equal(FA.reqs[1].method, "GET");
    assert_string_equal(FA.reqs[1].url, FA_ARM "/op/1");
    az_client_free(c);
}

static void test_merge_refused(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    fa_add((fa_answer){ .status = 400, .body =
        "{\"error\":{\"code\":\"InvalidTagNameCharacters\",\"message\":\"bad name\"}}" });
    az_error err;
    assert_int_equal(az_tag_merge(c, SCOPE, TAG, "v", NULL, &err), -1);
    assert_string_equal(err.code, "InvalidTagNameCharacters");
    az_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_found_any_case),
        cmocka_unit_test(test_get_absent),
        cmocka_unit_test(test_get_refuses_non_tags),
        cmocka_unit_test(test_get_errors),
        cmocka_unit_test(test_merge_and_delete),
        cmocka_unit_test(test_merge_202_followed),
        cmocka_unit_test(test_merge_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
