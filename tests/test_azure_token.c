/* Token replies, error envelopes, redaction and cloud scopes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "azure/az_internal.h"

#define NOW 1795694400      /* 2026-11-26T12:00:00Z */

static void test_token_shapes(void **state)
{
    (void)state;
    static const struct { const char *why, *json, *token; int64_t expires; } cases[] = {
        { "Entra v2: numeric expires_in",
          "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,"
          "\"access_token\":\"eyJ0eXAi.abc.def\"}", "eyJ0eXAi.abc.def", NOW + 3599 },
        { "expires_in as a string",
          "{\"token_type\":\"Bearer\",\"expires_in\":\"3600\",\"access_token\":\"t1\"}",
          "t1", NOW + 3600 },
        { "managed identity: all strings, expires_on wins",
          "{\"access_token\":\"msi-tok\",\"client_id\":\"c\",\"expires_in\":\"86399\","
          "\"expires_on\":\"1795700000\",\"ext_expires_in\":\"86399\",\"not_before\":\"1795690000\","
          "\"resource\":\"https://management.azure.com/\",\"token_type\":\"Bearer\"}",
          "msi-tok", 1795700000 },
        { "App Service: expires_on only",
          "{\"access_token\":\"app-tok\",\"expires_on\":\"1795699999\",\"resource\":\"r\","
          "\"token_type\":\"Bearer\",\"client_id\":\"c\"}", "app-tok", 1795699999 },
        { "az CLI: accessToken and numeric expires_on",
          "{\"accessToken\":\"cli-tok\",\"expiresOn\":\"2026-11-26 13:00:00.000000\","
          "\"expires_on\":1795698000,\"subscription\":\"s\",\"tenant\":\"t\","
          "\"tokenType\":\"Bearer\"}", "cli-tok", 1795698000 },
        { "numeric expires_on",
          "{\"access_token\":\"x1\",\"expires_on\":1795699000}", "x1", 1795699000 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        az_token t;
        az_error err = {0};
        int rc = az_token_parse(cases[i].json, strlen(cases[i].json), NOW, &t, &err);
        if (rc != 0)
            fail_msg("%s: refused: %s: %s", cases[i].why, err.code, err.message);
        assert_string_equal(t.access_token, cases[i].token);
        if (t.expires_at != cases[i].expires)
            fail_msg("%s: expires %lld, want %lld", cases[i].why, (long long)t.expires_at,
                     (long long)cases[i].expires);
        assert_int_equal(t.obtained_at, NOW);
        az_token_clear(&t);
        assert_null(t.access_token);
    }
}

/* Older az versions give only expiresOn, in local time. */
static void test_token_cli_local_time(void **state)
{
    (void)state;
    const char *json = "{\"accessToken\":\"old-cli\",\"expiresOn\":\"2026-11-26 13:00:00.000000\"}";
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    az_token t;
    az_error err = {0};
    assert_int_equal(az_token_parse(json, strlen(json), NOW, &t, &err), 0);
    assert_int_equal(t.expires_at, NOW);        /* 13:00 CET is 12:00Z */
    az_token_clear(&t);
    setenv("TZ", "UTC", 1);
    tzset();
    assert_int_equal(az_token_parse(json, strlen(json), NOW, &t, &err), 0);
    assert_int_equal(t.expires_at, NOW + 3600);
    az_token_clear(&t);
}

static void test_token_errors(void **state)
{
    (void)state;
    static const struct { const char *why, *json, *code, *in_message; } cases[] = {
        { "Entra error", "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: "
          "Invalid client secret provided.\",\"error_codes\":[7000215]}",
          "invalid_client", "AADSTS7000215" },
        { "IMDS error", "{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}",
          "invalid_request", "Identity not found" },
        { "ARM-style envelope", "{\"error\":{\"code\":\"Forbidden\",\"message\":\"nope\"}}",
          "Forbidden", "nope" },
        { "App Service error", "{\"statusCode\":400,\"message\":\"bad\"}", "TokenError", "refused" },
        { "not JSON", "<html>", "TokenReplyInvalid", "not a JSON object" },
        { "array", "[1,2]", "TokenReplyInvalid", "not a JSON object" },
        { "token not a string", "{\"access_token\":42,\"expires_in\":1}", "TokenReplyInvalid",
          "not usable" },
        { "empty token", "{\"access_token\":\"\",\"expires_in\":1}", "TokenReplyInvalid",
          "not usable" },
        { "header injection", "{\"access_token\":\"a\\r\\nX-Evil: 1\",\"expires_in\":60}",
          "TokenReplyInvalid", "not usable" },
        { "space in token", "{\"access_token\":\"a b\",\"expires_in\":60}",
          "TokenReplyInvalid", "not usable" },
        { "no expiry", "{\"access_token\":\"abc\"}", "TokenReplyInvalid", "expiry" },
        { "negative expires_in", "{\"access_token\":\"abc\",\"expires_in\":-5}",
          "TokenReplyInvalid", "expiry" },
        { "expires_in not digits", "{\"access_token\":\"abc\",\"expires_in\":\"1h\"}",
          "TokenReplyInvalid", "expiry" },
        { "bad expiresOn", "{\"accessToken\":\"abc\",\"expiresOn\":\"tomorrow\"}",
          "TokenReplyInvalid", "expiry" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        az_token t;
        az_error err = {0};
        if (az_token_parse(cases[i].json, strlen(cases[i].json), NOW, &t, &err) == 0)
            fail_msg("%s: accepted", cases[i].why);
        assert_null(t.access_token);
        if (strcmp(err.code, cases[i].code) != 0)
            fail_msg("%s: code %s, want %s", cases[i].why, err.code, cases[i].code);
        if (strstr(err.message, cases[i].in_message) == NULL)
            fail_msg("%s: message '%s' lacks '%s'", cases[i].why, err.message,
                     cases[i].in_message);
    }
    az_token t;
    az_error err = {0};
    assert_int_equal(az_token_parse(NULL, 0, NOW, &t, &err), -1);
}

/* A refused reply never copies the token into the message. */
static void test_token_not_in_error(void **state)
{
    (void)state;
    const char *json = "{\"access_token\":\"SECRET-TOKEN-VALUE\"}";
    az_token t;
    az_error err = {0};
    assert_int_equal(az_token_parse(json, strlen(json), NOW, &t, &err), -1);
    assert_null(strstr(err.message, "SECRET-TOKEN-VALUE"));
    assert_null(strstr(err.code, "SECRET-TOKEN-VALUE"));
}

static void test_error_envelope(void **state)
{
    (void)state;
    static const struct { const char *body; int rc; const char *code, *message; } cases[] = {
        { "{\"error\":{\"code\":\"ScopeLocked\",\"message\":\"The scope is locked.\"}}", 0,
          "ScopeLocked", "The scope is locked." },
        { "{\"error\":{\"code\":\"InvalidParameter\",\"message\":\"Bad name.\",\"target\":"
          "\"snapshotName\",\"details\":[{\"code\":\"x\"}]}}", 0, "InvalidParameter",
          "Bad name. (target snapshotName)" },
        { "{\"error\":{\"code\":\"ResourceNotFound\"}}", 0, "ResourceNotFound", "" },
        { "{\"error\":{\"message\":\"only a message\"}}", 0, "", "only a message" },
        { "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS1\"}", 0,
          "invalid_client", "AADSTS1" },
        { "{\"error\":{}}", -1, "", "" },
        { "{\"value\":[]}", -1, "", "" },
        { "not json", -1, "", "" },
        { "", -1, "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char code[96] = "", msg[256] = "";
        int rc = az_error_parse_envelope(cases[i].body, strlen(cases[i].body), code,
                                         sizeof code, msg, sizeof msg);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d", i, rc);
        if (rc == 0) {
            assert_string_equal(code, cases[i].code);
            assert_string_equal(msg, cases[i].message);
        }
    }
}

static void test_error_from_resp(void **state)
{
    (void)state;
    char body[] = "{\"error\":{\"code\":\"ScopeLocked\",\"message\":\"locked\"}}";
    az_http_resp r = { .status = 409, .body = body, .body_len = strlen(body) };
    strcpy(r.request_id, "rid-1");
    strcpy(r.correlation_id, "cid-1");
    az_error e;
    az_error_from_resp(&e, &r);
    assert_int_equal(e.http_status, 409);
    assert_string_equal(e.code, "ScopeLocked");
    assert_string_equal(e.message, "locked");
    assert_string_equal(e.request_id, "rid-1");
    assert_string_equal(e.correlation_id, "cid-1");
    assert_false(e.transport);

    char html[] = "<html>Bad Gateway</html>\nmore";
    az_http_resp r2 = { .status = 502, .body = html, .body_len = strlen(html) };
    az_error_from_resp(&e, &r2);
    assert_string_equal(e.code, "HTTP502");
    assert_string_equal(e.message, "<html>Bad Gateway</html>");

    az_http_resp r3 = { .status = 0, .transport_code = 7 };
    strcpy(r3.transport_msg, "Couldn't connect to server");
    az_error_from_resp(&e, &r3);
    assert_true(e.transport);
    assert_string_equal(e.code, "ConnectionFailed");
    assert_string_equal(e.message, "Couldn't connect to server");
}

static void test_redact(void **state)
{
    (void)state;
    const char *secrets[] = { "s3cr3t-value", NULL, "tok.ABC", "ab" /* too short */ };
    char buf[128];
    strcpy(buf, "client_secret=s3cr3t-value&x=s3cr3t-value; Bearer tok.ABC; ab");
    az_redact(buf, sizeof buf, secrets, 4);
    assert_string_equal(buf, "client_secret=[REDACTED]&x=[REDACTED]; Bearer [REDACTED]; ab");
    /* growing text in a full buffer is cut, never overflows */
    const char *tiny[] = { "xyzw" };
    char small[16];
    strcpy(small, "xyzwxyzwxyzw");
    az_redact(small, sizeof small, tiny, 1);
    assert_true(strlen(small) < sizeof small);
    assert_null(strstr(small, "xyzw"));
}

static void test_lro_status(void **state)
{
    (void)state;
    static const struct { const char *body; int rc; const char *code, *message; } cases[] = {
        { "{\"status\":\"InProgress\"}", 0, "", "" },
        { "{\"status\":\"Accepted\"}", 0, "", "" },
        { "{\"status\":\"Succeeded\",\"name\":\"x\"}", 1, "", "" },
        { "{\"status\":\"succeeded\"}", 1, "", "" },
        { "{\"status\":\"Failed\",\"error\":{\"code\":\"InternalOperationError\","
          "\"message\":\"boom\"}}", -1, "InternalOperationError", "boom" },
        { "{\"status\":\"Canceled\"}", -1, "Canceled", "the operation did not succeed" },
        /* found by fuzz_arm: an empty code must not leave the reason blank */
        { "{\"status\":\"Failed\",\"error\":{\"code\":\"\",\"message\":\"\"}}", -1,
          "Failed", "the operation did not succeed" },
        { "{\"status\":5}", -2, "InvalidResponse", "" },
        { "[]", -2, "InvalidResponse", "" },
        { "", -2, "InvalidResponse", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        az_error err = {0};
        int rc = az_lro_status(cases[i].body, strlen(cases[i].body), &err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
        assert_string_equal(err.code, cases[i].code);
        if (cases[i].message[0] != '\0')
            assert_string_equal(err.message, cases[i].message);
    }
}

static void test_clouds(void **state)
{
    (void)state;
    static const struct { const char *name, *arm, *scope, *authority; } cases[] = {
        { "AzureCloud", "https://management.azure.com", "https://management.azure.com/.default",
          "https://login.microsoftonline.com" },
        { "azurecloud", "https://management.azure.com", "https://management.azure.com/.default",
          "https://login.microsoftonline.com" },
        { NULL, "https://management.azure.com", "https://management.azure.com/.default",
          "https://login.microsoftonline.com" },
        { "AzureUSGovernment", "https://management.usgovcloudapi.net",
          "https://management.usgovcloudapi.net/.default", "https://login.microsoftonline.us" },
        { "AzureChinaCloud", "https://management.chinacloudapi.cn",
          "https://management.chinacloudapi.cn/.default", "https://login.chinacloudapi.cn" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const az_cloud *c = az_cloud_find(cases[i].name);
        assert_non_null(c);
        char scope[256];
        assert_int_equal(az_scope_from_audience(scope, sizeof scope, c->audience), 0);
        assert_string_equal(c->arm_endpoint, cases[i].arm);
        assert_string_equal(scope, cases[i].scope);
        assert_string_equal(c->authority_host, cases[i].authority);
    }
    assert_null(az_cloud_find("AzureGermanCloud"));
    char scope[64];
    assert_int_equal(az_scope_from_audience(scope, sizeof scope, "https://x.example//"), 0);
    assert_string_equal(scope, "https://x.example/.default");
    assert_int_equal(az_scope_from_audience(scope, 8, "https://x.example"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_shapes),
        cmocka_unit_test(test_token_cli_local_time),
        cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_token_not_in_error),
        cmocka_unit_test(test_error_envelope),
        cmocka_unit_test(test_error_from_resp),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_lro_status),
        cmocka_unit_test(test_clouds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
