/* Token replies, whatever credential produced them: Entra ID v2
 * (expires_in a number), managed identity (every field a string, plus
 * expires_on), and `az account get-access-token` (accessToken, expires_on
 * epoch or expiresOn local time). The token text itself is never copied
 * into an error. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"

void az_token_clear(az_token *t)
{
    if (t->access_token != NULL) {
        /* scrub before the allocator hands the memory out again */
        memset(t->access_token, 0, strlen(t->access_token));
        free(t->access_token);
    }
    memset(t, 0, sizeof *t);
}

/* A number, or a string holding only digits: both appear in the wild. */
static int token_int(const cJSON *v, int64_t *out)
{
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble < 0 || v->valuedouble > 1e13)
            return -1;
        *out = (int64_t)v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
        return -1;
    for (const char *p = v->valuestring; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    errno = 0;
    long long n = strtoll(v->valuestring, NULL, 10);
    if (errno != 0 || n > 10000000000000LL)
        return -1;
    *out = n;
    return 0;
}

/* The Azure CLI's expiresOn: "2026-11-26 13:45:00.000000" in local time. */
static int token_local_time(const cJSON *v, int64_t *out)
{
    struct tm tm = {0};
    if (!cJSON_IsString(v))
        return -1;
    if (sscanf(v->valuestring, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    if (tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 ||
        tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = (int64_t)t;
    return 0;
}

/* Tokens go into a header line: anything but visible ASCII would let a
 * hostile reply inject headers. */
static bool token_text_ok(const char *s)
{
    if (*s == '\0' || strlen(s) > 8000)     /* the header buffer's size */
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return false;
    return true;
}

static void token_error(const cJSON *root, az_error *err)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "error_description");
    if (cJSON_IsObject(e)) {        /* an ARM-style envelope */
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
        az_error_set(err, cJSON_IsString(code) && code->valuestring[0] ? code->valuestring
                                                                         : "TokenError", "%s",
                     cJSON_IsString(msg) ? msg->valuestring : "token request refused");
        return;
    }
    az_error_set(err, cJSON_IsString(e) && e->valuestring[0] ? e->valuestring : "TokenError", "%s",
                 cJSON_IsString(d) ? d->valuestring : "token request refused");
}

static int token_expiry(const cJSON *root, int64_t now_s, int64_t *exp)
{
    int64_t v;
    if (token_int(cJSON_GetObjectItemCaseSensitive(root, "expires_on"), &v) == 0 &&
        v > 1000000000) {
        *exp = v;
        return 0;
    }
    if (token_int(cJSON_GetObjectItemCaseSensitive(root, "expires_in"), &v) == 0) {
        *exp = now_s + v;
        return 0;
    }
    if (token_local_time(cJSON_GetObjectItemCaseSensitive(root, "expiresOn"), &v) == 0) {
        *exp = v;
        return 0;
    }
    return -1;
}

int az_token_parse(const char *body, size_t len, int64_t now_s,
                   az_token *out, az_error *err)
{
    memset(out, 0, sizeof *out);
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        az_error_set(err, "TokenReplyInvalid", "the token reply is not a JSON object");
        return -1;
    }
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
    if (tok == NULL)
        tok = cJSON_GetObjectItemCaseSensitive(root, "accessToken");
    if (tok == NULL) {
        token_error(root, err);
        cJSON_Delete(root);
        return -1;
    }
    int64_t exp = 0;
    int rc = -1;
    if (!cJSON_IsString(tok) || !token_text_ok(tok->valuestring))
        az_error_set(err, "TokenReplyInvalid", "the token reply's access token is not usable");
    else if (token_expiry(root, now_s, &exp) != 0)
        az_error_set(err, "TokenReplyInvalid", "the token reply has no usable expiry");
    else if ((out->access_token = strdup(tok->valuestring)) == NULL)
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
    else {
        out->expires_at = exp;
        out->obtained_at = now_s;
        rc = 0;
    }
    if (cJSON_IsString(tok))    /* cJSON frees without scrubbing */
        memset(tok->valuestring, 0, strlen(tok->valuestring));
    cJSON_Delete(root);
    return rc;
}
