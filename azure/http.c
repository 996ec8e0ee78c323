/* The one HTTP entry point: requests in, answers out, many in flight over
 * one curl multi handle (which keeps connections alive between them).
 * TLS is always verified; headers are never logged (tokens travel there). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "azure/az_internal.h"

/* The largest answer read: far above any ARM page (a few MB), low enough
 * that a lying server cannot make us hold gigabytes. */
#define HTTP_MAX_BODY ((size_t)256 * 1024 * 1024)

typedef struct http_xfer {
    CURL *easy;
    struct curl_slist *hdrs;
    az_http_resp *resp;
    az_http_done_fn done;
    void *ctx;
    size_t cap, max;
    bool too_big;
    struct http_xfer *next;
} http_xfer;

struct az_http {
    CURLM *multi;
    CURLSH *share;
    char *ca_file;
    long connect_timeout_s, request_timeout_s;
    size_t max_body;
    http_xfer *active;
    az_transport_fn transport;
    void *transport_ctx;
};

void az_http_resp_clear(az_http_resp *r)
{
    free(r->body);
    free(r->async_op);
    free(r->location);
    memset(r, 0, sizeof *r);
}

static void http_copy(char *dst, size_t n, const char *s, size_t len)
{
    if (len >= n)
        len = n - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

static void http_ratelimit(az_http_resp *r, const char *name, size_t nlen,
                           const char *v, size_t vlen)
{
    static const char prefix[] = "x-ms-ratelimit-remaining-";
    size_t plen = sizeof prefix - 1, used = strlen(r->ratelimit);
    if (nlen <= plen)
        return;
    int w = snprintf(r->ratelimit + used, sizeof r->ratelimit - used, "%s%.*s=%.*s",
                     used ? " " : "", (int)(nlen - plen), name + plen, (int)vlen, v);
    if (w < 0 || (size_t)w >= sizeof r->ratelimit - used)
        r->ratelimit[used] = '\0';
}

/* Keeps the headers the adapter acts on; a new status line (a 100 or an
 * interim answer) starts afresh. */
static size_t http_on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    http_xfer *x = ud;
    az_http_resp *r = x->resp;
    size_t len = size * nitems, nlen;
    if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        free(r->async_op);
        free(r->location);
        r->async_op = r->location = NULL;
        r->retry_after[0] = r->date[0] = r->request_id[0] = '\0';
        r->correlation_id[0] = r->ratelimit[0] = '\0';
        r->user_quota[0] = r->quota_resets[0] = '\0';
        r->subscription_limit_hit = false;
        return len;
    }
    const char *colon = memchr(buf, ':', len);
    if (colon == NULL)
        return len;
    nlen = (size_t)(colon - buf);
    const char *v = colon + 1, *end = buf + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    size_t vlen = (size_t)(end - v);
#define IS(h) (nlen == sizeof(h) - 1 && strncasecmp(buf, h, nlen) == 0)
    if (IS("retry-after"))
        http_copy(r->retry_after, sizeof r->retry_after, v, vlen);
    else if (IS("date"))
        http_copy(r->date, sizeof r->date, v, vlen);
    else if (IS("x-ms-request-id"))
        http_copy(r->request_id, sizeof r->request_id, v, vlen);
    else if (IS("x-ms-correlation-request-id"))
        http_copy(r->correlation_id, sizeof r->correlation_id, v, vlen);
    else if (IS("azure-asyncoperation")) {
        free(r->async_op);
        r->async_op = strndup(v, vlen);
    } else if (IS("location")) {
        free(r->location);
        r->location = strndup(v, vlen);
    } else if (IS("x-ms-user-quota-remaining"))
        http_copy(r->user_quota, sizeof r->user_quota, v, vlen);
    else if (IS("x-ms-user-quota-resets-after"))
        http_copy(r->quota_resets, sizeof r->quota_resets, v, vlen);
    else if (IS("x-ms-tenant-subscription-limit-hit"))
        r->subscription_limit_hit = vlen == 4 && strncasecmp(v, "true", 4) == 0;
    else if (nlen > 25 && strncasecmp(buf, "x-ms-ratelimit-remaining-", 25) == 0)
        http_ratelimit(r, buf, nlen, v, vlen);
#undef IS
    return len;
}

/* An answer over the limit is not a transport failure: the same request
 * would bring the same answer, so it is marked permanent (never retried)
 * and says what happened. */
static void http_too_large(az_http_resp *r, size_t max)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    r->status = 0;
    r->transport_code = CURLE_FILESIZE_EXCEEDED;
    r->too_large = true;
    r->permanent = true;
    r->maybe_sent = true;
    snprintf(r->transport_msg, sizeof r->transport_msg,
             "answer too large (over %zu bytes); not retried", max);
}

static size_t http_on_body(char *buf, size_t size, size_t nitems, void *ud)
{
    http_xfer *x = ud;
    az_http_resp *r = x->resp;
    size_t len = size * nitems;
    if (r->body_len + len + 1 > x->max) {
        x->too_big = true;
        return 0;
    }
    if (r->body_len + len + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 16384;
        while (cap < r->body_len + len + 1)
            cap *= 2;
        char *nb = realloc(r->body, cap);
        if (nb == NULL)
            return 0;
        r->body = nb;
        x->cap = cap;
    }
    memcpy(r->body + r->body_len, buf, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

az_http *az_http_new(const char *ca_file, int connect_timeout_s,
                     int request_timeout_s, char *err, size_t errlen)
{
    static bool inited;
    if (!inited) {
        /* libcurl allocates through snapkeep's allocators, so that an
         * allocation failure inside it is noticed (cli/oom.h) */
        if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, free, realloc, strdup,
                                 calloc) != CURLE_OK) {
            snprintf(err, errlen, "libcurl failed to initialise");
            return NULL;
        }
        inited = true;
    }
    az_http *h = calloc(1, sizeof *h);
    if (h == NULL || (h->multi = curl_multi_init()) == NULL) {
        free(h);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* the DNS and TLS session caches are shared by every handle */
    h->share = curl_share_init();
    if (h->share != NULL) {
        curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    if (ca_file != NULL && (h->ca_file = strdup(ca_file)) == NULL) {
        az_http_free(h);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->max_body = HTTP_MAX_BODY;
    h->connect_timeout_s = connect_timeout_s;
    h->request_timeout_s = request_timeout_s;
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)AZ_MAX_PARALLEL);
    return h;
}

static void http_xfer_free(az_http *h, http_xfer *x)
{
    if (x->easy != NULL) {
        curl_multi_remove_handle(h->multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->hdrs);
    free(x);
}

void az_http_free(az_http *h)
{
    if (h == NULL)
        return;
    while (h->active != NULL) {
        http_xfer *x = h->active;
        h->active = x->next;
        http_xfer_free(h, x);
    }
    curl_multi_cleanup(h->multi);
    if (h->share != NULL)
        curl_share_cleanup(h->share);
    free(h->ca_file);
    free(h);
}

void az_http_set_max_body(az_http *h, size_t max)
{
    h->max_body = max > 0 ? max : HTTP_MAX_BODY;
}

void az_http_set_transport(az_http *h, az_transport_fn fn, void *ctx)
{
    h->transport = fn;
    h->transport_ctx = ctx;
}

static struct curl_slist *http_headers(const az_http_req *req, bool *ok)
{
    struct curl_slist *l = NULL, *n;
    char ct[160];
    *ok = true;
    /* no "Expect: 100-continue" round trip; JSON both ways */
    const char *fixed[] = { "Expect:", "Accept: application/json" };
    for (size_t i = 0; i < 2; i++) {
        if ((n = curl_slist_append(l, fixed[i])) == NULL)
            goto oom;
        l = n;
    }
    if (req->body != NULL) {
        snprintf(ct, sizeof ct, "Content-Type: %s",
                 req->content_type ? req->content_type : "application/json");
        if ((n = curl_slist_append(l, ct)) == NULL)
            goto oom;
        l = n;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        if ((n = curl_slist_append(l, req->headers[i])) == NULL)
            goto oom;
        l = n;
    }
    return l;
oom:
    curl_slist_free_all(l);
    *ok = false;
    return NULL;
}

static void http_set_options(az_http *h, http_xfer *x, const az_http_req *req)
{
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "snapkeep/" SNAPKEEP_VERSION);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    /* never weakened: the bearer token must only reach the real server */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
    if (h->share != NULL)
        curl_easy_setopt(e, CURLOPT_SHARE, h->share);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, h->connect_timeout_s);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, req->timeout_s > 0 ? (long)req->timeout_s
                                                            : h->request_timeout_s);
    if (req->no_proxy)
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    if (strcmp(req->method, "GET") != 0) {
        /* libcurl silently sends a request again when a reused connection
         * turns out closed before any answer; for a write ARM may already
         * have carried out, that is the blind repeat the callers promise
         * never to make. A fresh connection is never retried that way. */
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body != NULL) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body);
        }
    }
}

static void http_fail(az_http_resp *r, int code, const char *msg)
{
    r->status = 0;
    r->transport_code = code;
    snprintf(r->transport_msg, sizeof r->transport_msg, "%s", msg);
}

int az_http_start(az_http *h, const az_http_req *req, az_http_resp *resp,
                  az_http_done_fn done, void *ctx)
{
    az_http_resp_clear(resp);
    if (h->transport != NULL) {
        if (h->transport(h->transport_ctx, req, resp) != 0 && resp->status == 0
            && resp->transport_code == 0)
            http_fail(resp, CURLE_COULDNT_CONNECT, "test transport refused");
        /* a replaced transport's answers meet the same limit */
        if (resp->body_len + 1 > h->max_body)
            http_too_large(resp, h->max_body);
        done(ctx);
        return 0;
    }
    http_xfer *x = calloc(1, sizeof *x);
    bool ok = x != NULL;
    if (ok) {
        x->resp = resp;
        x->max = h->max_body;
        x->done = done;
        x->ctx = ctx;
        x->hdrs = http_headers(req, &ok);
    }
    if (ok)
        ok = (x->easy = curl_easy_init()) != NULL;
    if (ok) {
        http_set_options(h, x, req);
        ok = curl_multi_add_handle(h->multi, x->easy) == CURLM_OK;
    }
    if (!ok) {
        if (x != NULL) {
            curl_easy_cleanup(x->easy);
            x->easy = NULL;
            http_xfer_free(h, x);
        }
        http_fail(resp, CURLE_OUT_OF_MEMORY, "out of memory");
        done(ctx);
        return -1;
    }
    x->next = h->active;
    h->active = x;
    return 0;
}

/* Failures in which no byte of the request can have reached the server:
 * safe to send again whatever the method. */
static bool http_never_sent(CURLcode rc)
{
    return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
           rc == CURLE_COULDNT_CONNECT || rc == CURLE_SSL_CONNECT_ERROR ||
           rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT;
}

/* The server's certificate was refused, or the request cannot be made:
 * the same again would fail the same way. */
static bool http_permanent(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_ISSUER_ERROR ||
           rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || rc == CURLE_UNSUPPORTED_PROTOCOL ||
           rc == CURLE_URL_MALFORMAT || rc == CURLE_OUT_OF_MEMORY;
}

static void http_finish(az_http *h, http_xfer *x, CURLcode rc)
{
    az_http_resp *r = x->resp;
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (x->too_big) {
        http_too_large(r, x->max);
    } else if (rc != CURLE_OK || status == 0) {
        r->status = 0;
        r->transport_code = rc == CURLE_OK ? CURLE_GOT_NOTHING : (int)rc;
        r->maybe_sent = !http_never_sent(rc);
        r->permanent = http_permanent(rc);
        snprintf(r->transport_msg, sizeof r->transport_msg, "%s", curl_easy_strerror(rc));
    } else {
        r->status = (int)status;
    }
    http_xfer **pp = &h->active;
    while (*pp != x)
        pp = &(*pp)->next;
    *pp = x->next;
    az_http_done_fn done = x->done;
    void *ctx = x->ctx;
    http_xfer_free(h, x);
    done(ctx);
}

int az_http_wait(az_http *h, int timeout_ms)
{
    int running = 0, numfds = 0, left;
    if (h->active != NULL)
        curl_multi_poll(h->multi, NULL, 0, timeout_ms < 0 ? 0 : timeout_ms, &numfds);
    curl_multi_perform(h->multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        http_xfer *x = h->active;
        while (x != NULL && x->easy != m->easy_handle)
            x = x->next;
        if (x != NULL)
            http_finish(h, x, m->data.result);
    }
    int n = 0;
    for (http_xfer *x = h->active; x != NULL; x = x->next)
        n++;
    return n;
}

static void http_flag(void *ctx)
{
    *(bool *)ctx = true;
}

int az_http_do(az_http *h, const az_http_req *req, az_http_resp *resp)
{
    bool finished = false;
    int rc = az_http_start(h, req, resp, http_flag, &finished);
    while (!finished)
        az_http_wait(h, 1000);
    return rc;
}
