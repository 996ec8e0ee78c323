/* The client: resolved endpoints, the HTTP handle, logging with secrets
 * redacted, the clock (replaceable by tests) and the Date-header skew. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "azure/az_internal.h"

static char *client_strip_slash(const char *s)
{
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == '/')
        len--;
    return strndup(s, len);
}

static int client_endpoints(az_client *c, const az_options *o, az_error *err)
{
    const az_cloud *cloud = az_cloud_find(o->cloud);
    if (cloud == NULL) {
        az_error_set(err, "UnknownCloud", "unknown cloud '%s' (AzureCloud, "
                     "AzureUSGovernment or AzureChinaCloud)", o->cloud);
        return -1;
    }
    const char *arm = o->arm_endpoint && *o->arm_endpoint ? o->arm_endpoint : cloud->arm_endpoint;
    const char *aud = o->arm_audience && *o->arm_audience ? o->arm_audience : cloud->audience;
    const char *auth = o->authority_host && *o->authority_host ? o->authority_host
                                                               : cloud->authority_host;
    /* a bearer token or a client secret never travels in clear text */
    if (strncasecmp(arm, "https://", 8) != 0 || strncasecmp(auth, "https://", 8) != 0) {
        az_error_set(err, "InsecureEndpoint", "the ARM endpoint and the authority host "
                     "must be https:// URLs");
        return -1;
    }
    c->arm_base = client_strip_slash(arm);
    c->authority = client_strip_slash(auth);
    c->audience = strdup(aud);
    char scope[1024];
    if (az_scope_from_audience(scope, sizeof scope, aud) != 0) {
        az_error_set(err, "InvalidAudience", "the ARM audience is too long");
        return -1;
    }
    c->scope = strdup(scope);
    if (!c->arm_base || !c->authority || !c->audience || !c->scope) {
        az_error_set(err, "OutOfMemory", "out of memory");
        return -1;
    }
    return 0;
}

static void client_limits(az_client *c, const az_options *o)
{
    c->parallel = o->parallel > 0 ? o->parallel : AZ_DEFAULT_PARALLEL;
    if (c->parallel > AZ_MAX_PARALLEL)
        c->parallel = AZ_MAX_PARALLEL;
    c->limit = c->parallel;
    az_pace_init(&c->pace, o->parallel > 0 ? c->parallel : AZ_PACE_PROBE);
    c->retry.max_attempts = o->max_attempts > 0 && o->max_attempts <= AZ_DEFAULT_ATTEMPTS
                                ? o->max_attempts : AZ_DEFAULT_ATTEMPTS;
    c->retry.base_ms = 500;
    c->retry.cap_ms = 30000;
    c->retry.budget_ms = (int64_t)(o->retry_budget_s > 0 ? o->retry_budget_s
                                                         : AZ_DEFAULT_BUDGET_S) * 1000;
    /* the same figure bounds the run as a whole (budget.c) */
    c->run_budget_ms = c->retry.budget_ms;
    c->lro_deadline_s = o->lro_deadline_s > 0 ? o->lro_deadline_s : AZ_DEFAULT_LRO_S;
}

int az_client_new(const az_options *opts, az_client **out, az_error *err)
{
    char msg[256];
    *out = NULL;
    memset(err, 0, sizeof *err);
    az_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        az_error_set(err, "OutOfMemory", "out of memory");
        return -1;
    }
    c->opts = *opts;
    c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
    client_limits(c, opts);
    const char *ca = opts->ca_file;
    if (ca == NULL || *ca == '\0')
        ca = getenv("CURL_CA_BUNDLE");
    if (ca == NULL || *ca == '\0')
        ca = getenv("SSL_CERT_FILE");
    if (ca != NULL && *ca == '\0')
        ca = NULL;
    if (client_endpoints(c, opts, err) != 0 || az_auth_setup(c, err) != 0) {
        az_client_free(c);
        return -1;
    }
    c->http = az_http_new(ca, opts->connect_timeout_s > 0 ? opts->connect_timeout_s
                                                          : AZ_DEFAULT_CONNECT_S,
                          opts->request_timeout_s > 0 ? opts->request_timeout_s
                                                      : AZ_DEFAULT_REQUEST_S,
                          msg, sizeof msg);
    if (c->http == NULL) {
        az_error_set(err, "HttpInit", "%s", msg);
        az_client_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void az_client_free(az_client *c)
{
    if (c == NULL)
        return;
    az_http_free(c->http);
    az_auth_free(c);
    free(c->arm_base);
    free(c->audience);
    free(c->scope);
    free(c->authority);
    free(c);
}

void az_client_set_transport(az_client *c, az_transport_fn fn, void *ctx)
{
    az_http_set_transport(c->http, fn, ctx);
}

void az_client_set_hooks(az_client *c, const az_hooks *hooks)
{
    c->hooks = *hooks;
    c->has_hooks = true;
}

int64_t az_now_ms(const az_client *c)
{
    if (c->has_hooks && c->hooks.now_ms != NULL)
        return c->hooks.now_ms(c->hooks.ctx);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t az_wall_s(const az_client *c)
{
    if (c->has_hooks && c->hooks.wall_s != NULL)
        return c->hooks.wall_s(c->hooks.ctx);
    return (int64_t)time(NULL);
}

uint64_t az_random(az_client *c)
{
    if (c->has_hooks && c->hooks.random != NULL)
        return c->hooks.random(c->hooks.ctx);
    /* xorshift64*: jitter needs spread, not secrecy */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * UINT64_C(2685821657736338717);
}

void az_client_redact(const az_client *c, char *s, size_t n)
{
    const char *secrets[] = { c->client_secret, c->token.access_token,
                              c->last_assertion, c->identity_header };
    az_redact(s, n, secrets, sizeof secrets / sizeof secrets[0]);
}

void az_log(const az_client *c, az_log_level level, const char *fmt, ...)
{
    if (c->opts.log == NULL || (level < AZ_LOG_WARN && !c->opts.verbose))
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    az_client_redact(c, buf, sizeof buf);
    c->opts.log(c->opts.log_ctx, level, buf);
}

const char *az_arm_base(const az_client *c)
{
    return c->arm_base;
}

const az_retry_policy *az_client_retry(const az_client *c)
{
    return &c->retry;
}

int az_client_parallel(const az_client *c)
{
    return c->parallel;
}

int az_client_lro_deadline_s(const az_client *c)
{
    return c->lro_deadline_s;
}

/* scheme://host[:port] of both must match, case-insensitively */
bool az_same_origin(const char *base, const char *url)
{
    const char *b = strstr(base, "://"), *u = strstr(url, "://");
    if (b == NULL || u == NULL || (b - base) != (u - url) ||
        strncasecmp(base, url, (size_t)(b - base)) != 0)
        return false;
    b += 3;
    u += 3;
    size_t bl = strcspn(b, "/?#"), ul = strcspn(u, "/?#");
    return bl == ul && strncasecmp(b, u, bl) == 0;
}

void az_note_date(az_client *c, const char *date)
{
    int64_t when;
    if (date[0] == '\0' || az_http_date(date, &when) != 0)
        return;
    c->skew_s = when - az_wall_s(c);
    c->skew_known = true;
}

int64_t az_clock_skew(const az_client *c, bool *known)
{
    *known = c->skew_known;
    return c->skew_known ? c->skew_s : 0;
}
