/* Errors: ARM's envelope into az_error, and redaction of secrets from any
 * text that may be shown. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"

/* Messages go on one line: control characters (Entra puts CR LF in its
 * descriptions) become single spaces. */
static void error_one_line(char *s)
{
    char *w = s;
    bool space = false;
    for (const char *r = s; *r; r++) {
        bool ctl = (unsigned char)*r < 0x20 || *r == 0x7f;
        if (ctl || *r == ' ') {
            if (!space && w != s)
                *w++ = ' ';
            space = true;
            continue;
        }
        space = false;
        *w++ = *r;
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

bool az_error_is_oom(const az_error *err)
{
    return strcmp(err->code, AZ_ERR_OUT_OF_MEMORY) == 0;
}

void az_error_set_oom(az_error *err)
{
    memset(err, 0, sizeof *err);
    snprintf(err->code, sizeof err->code, "%s", AZ_ERR_OUT_OF_MEMORY);
    snprintf(err->message, sizeof err->message, "out of memory");
}

void az_error_set(az_error *err, const char *code, const char *fmt, ...)
{
    if (err == NULL)
        return;
    snprintf(err->code, sizeof err->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    error_one_line(err->message);
}

int az_error_parse_envelope(const char *body, size_t len, char *code, size_t ncode,
                            char *message, size_t nmessage)
{
    cJSON *root = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    int rc = -1;
    if (cJSON_IsObject(e)) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "target");
        snprintf(code, ncode, "%s", cJSON_IsString(c) ? c->valuestring : "");
        if (cJSON_IsString(t) && t->valuestring[0] != '\0')
            snprintf(message, nmessage, "%s (target %s)",
                     cJSON_IsString(m) ? m->valuestring : "", t->valuestring);
        else
            snprintf(message, nmessage, "%s", cJSON_IsString(m) ? m->valuestring : "");
        rc = cJSON_IsString(c) || cJSON_IsString(m) ? 0 : -1;
    } else if (cJSON_IsString(e)) {     /* Entra: {"error","error_description"} */
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "error_description");
        snprintf(code, ncode, "%s", e->valuestring);
        snprintf(message, nmessage, "%s", cJSON_IsString(d) ? d->valuestring : "");
        rc = 0;
    }
    cJSON_Delete(root);
    return rc;
}

/* A body that is not an envelope: its first line, printable bytes only. */
static void error_body_text(char *dst, size_t n, const char *body, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < n && i < 300; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '\n' || ch == '\r')
            break;
        dst[j++] = isprint(ch) ? (char)ch : '?';
    }
    dst[j] = '\0';
}

void az_error_from_resp(az_error *err, const az_http_resp *resp)
{
    memset(err, 0, sizeof *err);
    err->http_status = resp->status;
    snprintf(err->request_id, sizeof err->request_id, "%s", resp->request_id);
    snprintf(err->correlation_id, sizeof err->correlation_id, "%s", resp->correlation_id);
    if (resp->status == 0) {
        err->transport = true;
        snprintf(err->code, sizeof err->code, "%s",
                 resp->too_large ? "AnswerTooLarge" : "ConnectionFailed");
        snprintf(err->message, sizeof err->message, "%s", resp->transport_msg);
        return;
    }
    if (az_error_parse_envelope(resp->body, resp->body_len, err->code, sizeof err->code,
                                err->message, sizeof err->message) == 0
        && err->code[0] != '\0') {
        error_one_line(err->message);
        error_one_line(err->code);
        return;
    }
    snprintf(err->code, sizeof err->code, "HTTP%d", resp->status);
    if (resp->body_len > 0)
        error_body_text(err->message, sizeof err->message, resp->body, resp->body_len);
    if (err->message[0] == '\0')
        snprintf(err->message, sizeof err->message, "HTTP status %d", resp->status);
}

void az_redact(char *s, size_t n, const char *const *secrets, size_t nsecrets)
{
    static const char mark[] = "[REDACTED]";
    const size_t mlen = sizeof mark - 1;
    for (size_t k = 0; k < nsecrets; k++) {
        const char *sec = secrets[k];
        size_t slen = sec != NULL ? strlen(sec) : 0;
        if (slen < 4)
            continue;
        char *p = s;
        while ((p = strstr(p, sec)) != NULL) {
            size_t tail = strlen(p + slen);
            size_t at = (size_t)(p - s);
            if (at + mlen + tail + 1 > n)       /* no room: cut the text */
                tail = n > at + mlen + 1 ? n - at - mlen - 1 : 0;
            if (at + mlen + 1 > n) {
                *p = '\0';
                break;
            }
            memmove(p + mlen, p + slen, tail);
            memcpy(p, mark, mlen);
            p[mlen + tail] = '\0';
            p += mlen;
        }
    }
}
