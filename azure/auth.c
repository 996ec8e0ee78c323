/* Credentials in the order Azure's SDKs try them: client secret, workload
 * identity, managed identity, Azure CLI. The token is for the cloud's ARM
 * audience, cached until shortly before it expires. Secrets and tokens
 * live only in this client and never reach a log or an error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "azure/az_internal.h"

static char *auth_env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? strdup(v) : NULL;
}

static void auth_scrub_free(char *s)
{
    if (s != NULL) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

void az_auth_free(az_client *c)
{
    az_token_clear(&c->token);
    free(c->tenant);
    free(c->client_id);
    auth_scrub_free(c->client_secret);
    free(c->federated_file);
    free(c->identity_endpoint);
    auth_scrub_free(c->identity_header);
    free(c->imds_endpoint);
    auth_scrub_free(c->last_assertion);
}

static int auth_missing(az_error *err, const char *kind, const char *vars)
{
    az_error_set(err, "CredentialUnavailable", "--auth %s needs %s in the environment",
                 kind, vars);
    return -1;
}

int az_auth_setup(az_client *c, az_error *err)
{
    c->tenant = auth_env("AZURE_TENANT_ID");
    c->client_id = auth_env("AZURE_CLIENT_ID");
    c->client_secret = auth_env("AZURE_CLIENT_SECRET");
    c->federated_file = auth_env("AZURE_FEDERATED_TOKEN_FILE");
    c->identity_endpoint = auth_env("IDENTITY_ENDPOINT");
    c->identity_header = auth_env("IDENTITY_HEADER");
    c->imds_endpoint = auth_env("IMDS_ENDPOINT");
    bool secret = c->tenant && c->client_id && c->client_secret;
    bool workload = c->tenant && c->client_id && c->federated_file;
    c->msi_app_service = c->identity_endpoint && c->identity_header;
    switch (c->opts.auth) {
    case AZ_AUTH_SECRET:
        if (!secret)
            return auth_missing(err, "secret",
                                "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET");
        break;
    case AZ_AUTH_WORKLOAD:
        if (!workload)
            return auth_missing(err, "workload", "AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                                "AZURE_FEDERATED_TOKEN_FILE");
        break;
    case AZ_AUTH_MSI:
    case AZ_AUTH_CLI:
        break;
    case AZ_AUTH_AUTO:
        break;
    }
    c->auth = c->opts.auth;
    if (c->auth == AZ_AUTH_AUTO) {
        if (secret)
            c->auth = AZ_AUTH_SECRET;
        else if (workload)
            c->auth = AZ_AUTH_WORKLOAD;
        else if (c->msi_app_service || c->imds_endpoint)
            c->auth = AZ_AUTH_MSI;
        /* else stays AUTO: IMDS if it answers, then the Azure CLI */
    }
    if (c->auth == AZ_AUTH_SECRET || c->auth == AZ_AUTH_WORKLOAD) {
        for (const char *p = c->tenant; *p; p++)
            if (!(*p == '-' || *p == '.' || (*p >= '0' && *p <= '9') ||
                  ((*p | 32) >= 'a' && (*p | 32) <= 'z'))) {
                az_error_set(err, "InvalidTenant", "AZURE_TENANT_ID is not a tenant ID or domain");
                return -1;
            }
    }
    return 0;
}

/* application/x-www-form-urlencoded value */
static int auth_form_add(char **buf, size_t *len, const char *key, const char *value)
{
    char *enc = curl_easy_escape(NULL, value, 0);
    if (enc == NULL)
        return -1;
    size_t add = strlen(key) + strlen(enc) + 2;
    char *nb = realloc(*buf, *len + add + 1);
    if (nb == NULL) {
        curl_free(enc);
        return -1;
    }
    *buf = nb;
    *len += (size_t)sprintf(nb + *len, "%s%s=%s", *len ? "&" : "", key, enc);
    memset(enc, 0, strlen(enc));
    curl_free(enc);
    return 0;
}

static char *auth_read_assertion(az_client *c, az_error *err)
{
    FILE *f = fopen(c->federated_file, "r");
    if (f == NULL) {
        az_error_set(err, "CredentialUnavailable", "cannot read AZURE_FEDERATED_TOKEN_FILE "
                     "%s: %s", c->federated_file, strerror(errno));
        return NULL;
    }
    char *buf = calloc(1, 65537);
    size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    fclose(f);
    while (buf && n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (buf == NULL || n == 0) {
        free(buf);
        az_error_set(err, "CredentialUnavailable", "AZURE_FEDERATED_TOKEN_FILE %s is empty",
                     c->federated_file);
        return NULL;
    }
    auth_scrub_free(c->last_assertion);
    c->last_assertion = strdup(buf);
    return buf;
}

static char *auth_entra_form(az_client *c, az_error *err)
{
    char *form = NULL, *assertion = NULL;
    size_t len = 0;
    int rc = auth_form_add(&form, &len, "grant_type", "client_credentials");
    rc |= auth_form_add(&form, &len, "client_id", c->client_id);
    rc |= auth_form_add(&form, &len, "scope", c->scope);
    if (c->auth == AZ_AUTH_SECRET)
        rc |= auth_form_add(&form, &len, "client_secret", c->client_secret);
    else if ((assertion = auth_read_assertion(c, err)) == NULL)
        rc = -1;
    else {
        rc |= auth_form_add(&form, &len, "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        rc |= auth_form_add(&form, &len, "client_assertion", assertion);
        auth_scrub_free(assertion);
    }
    if (rc != 0) {
        if (err->code[0] == '\0')
            az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        auth_scrub_free(form);
        return NULL;
    }
    return form;
}

static char *auth_msi_url(az_client *c)
{
    char *res = curl_easy_escape(NULL, c->audience, 0);
    char *cid = c->client_id ? curl_easy_escape(NULL, c->client_id, 0) : NULL;
    char *url = NULL;
    const char *base = c->msi_app_service ? c->identity_endpoint : NULL;
    char imds[1024];
    if (base == NULL) {
        const char *host = c->imds_endpoint ? c->imds_endpoint : "http://169.254.169.254";
        size_t hl = strlen(host);
        while (hl > 0 && host[hl - 1] == '/')
            hl--;
        snprintf(imds, sizeof imds, "%.*s/metadata/identity/oauth2/token", (int)hl, host);
        base = imds;
    }
    if (res != NULL && (c->client_id == NULL || cid != NULL)) {
        size_t n = strlen(base) + strlen(res) + (cid ? strlen(cid) : 0) + 64;
        url = malloc(n);
        if (url != NULL)
            snprintf(url, n, "%s%sapi-version=%s&resource=%s%s%s", base,
                     strchr(base, '?') ? "&" : "?",
                     c->msi_app_service ? "2019-08-01" : "2018-02-01", res,
                     cid ? "&client_id=" : "", cid ? cid : "");
    }
    curl_free(res);
    curl_free(cid);
    return url;
}

void az_sleep_ms(az_client *c, int64_t ms)
{
    if (c->has_hooks && c->hooks.sleep_ms != NULL) {
        c->hooks.sleep_ms(c->hooks.ctx, ms);
        return;
    }
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One token request over HTTP, retried on throttling and transient
 * failures. probe: one short attempt (IMDS may not exist here). */
static int auth_http(az_client *c, az_http_req *req, bool probe, az_token *tok, az_error *err)
{
    az_http_resp resp = {0};
    int64_t start = az_now_ms(c);
    for (int attempt = 1;; attempt++) {
        if (probe)
            req->timeout_s = 3;
        az_http_do(c->http, req, &resp);
        az_log(c, AZ_LOG_DEBUG, "token %s %.*s -> %d%s%s", req->method,
               (int)strcspn(req->url, "?"), req->url, resp.status,
               resp.status ? "" : ": ", resp.status ? "" : resp.transport_msg);
        if (resp.status == 200) {
            int rc = az_token_parse(resp.body, resp.body_len, az_wall_s(c), tok, err);
            az_http_resp_clear(&resp);
            return rc;
        }
        int64_t delay;
        bool again = !probe && !resp.permanent && az_retry_decide(&c->retry, attempt, resp.status, resp.status == 0,
                                               az_retry_after_ms(resp.retry_after, az_wall_s(c)),
                                               az_now_ms(c) - start, az_random(c), &delay)
                     && az_budget_allows(c, delay);     /* ARM gone for the run's budget */
        if (!again) {
            az_error_from_resp(err, &resp);
            char msg[600], where[300];
            snprintf(msg, sizeof msg, "%.599s", err->message);
            snprintf(where, sizeof where, "%.*s", (int)strcspn(req->url, "?"), req->url);
            snprintf(err->message, sizeof err->message, "%s (token endpoint %s)", msg, where);
            err->retries_exhausted = attempt > 1;
            az_http_resp_clear(&resp);
            return -1;
        }
        az_http_resp_clear(&resp);
        az_sleep_ms(c, delay);
    }
}

static int auth_entra(az_client *c, az_token *tok, az_error *err)
{
    char *form = auth_entra_form(c, err);
    if (form == NULL)
        return -1;
    size_t n = strlen(c->authority) + strlen(c->tenant) + 32;
    char *url = malloc(n);
    if (url == NULL) {
        auth_scrub_free(form);
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        return -1;
    }
    snprintf(url, n, "%s/%s/oauth2/v2.0/token", c->authority, c->tenant);
    az_http_req req = { .method = "POST", .url = url, .body = form, .body_len = strlen(form),
                        .content_type = "application/x-www-form-urlencoded" };
    int rc = auth_http(c, &req, false, tok, err);
    auth_scrub_free(form);
    free(url);
    return rc;
}

static int auth_msi(az_client *c, bool probe, az_token *tok, az_error *err)
{
    char *url = auth_msi_url(c), hdr[1200];
    if (url == NULL) {
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        return -1;
    }
    az_http_req req = { .method = "GET", .url = url, .no_proxy = true, .nheaders = 1 };
    if (c->msi_app_service)
        snprintf(hdr, sizeof hdr, "X-IDENTITY-HEADER: %s", c->identity_header);
    else
        snprintf(hdr, sizeof hdr, "Metadata: true");
    req.headers[0] = hdr;
    int rc = auth_http(c, &req, probe, tok, err);
    memset(hdr, 0, sizeof hdr);
    free(url);
    return rc;
}

/* `az account get-access-token`, run without a shell. */
static int auth_cli(az_client *c, az_token *tok, az_error *err)
{
    int fds[2];
    if (pipe(fds) != 0) {
        az_error_set(err, "CredentialUnavailable", "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        az_error_set(err, "CredentialUnavailable", "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp("az", "az", "account", "get-access-token", "--resource", c->audience,
               "-o", "json", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t r;
    while (buf != NULL && len < cap &&
           ((r = read(fds[0], buf + len, cap - len)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            len += (size_t)r;
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = -1;
    if (buf == NULL)
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        az_error_set(err, "CredentialUnavailable", "'az account get-access-token' failed "
                     "(exit %d): is the Azure CLI installed and logged in (az login)?",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else
        rc = az_token_parse(buf, len, az_wall_s(c), tok, err);
    if (buf != NULL) {
        memset(buf, 0, len);
        free(buf);
    }
    return rc;
}

static int auth_fetch(az_client *c, az_token *tok, az_error *err)
{
    switch (c->auth) {
    case AZ_AUTH_SECRET:
    case AZ_AUTH_WORKLOAD:
        return auth_entra(c, tok, err);
    case AZ_AUTH_MSI:
        return auth_msi(c, false, tok, err);
    case AZ_AUTH_CLI:
        return auth_cli(c, tok, err);
    case AZ_AUTH_AUTO:
        break;
    }
    /* the SDK chain's tail: a managed identity if this is an Azure host,
     * else whoever is logged in to the Azure CLI */
    az_error msi_err = {0};
    if (auth_msi(c, true, tok, &msi_err) == 0) {
        c->auth = AZ_AUTH_MSI;
        return 0;
    }
    /* as in the SDKs' chain, any managed-identity failure (no IMDS here,
     * a proxy answering for it, no identity assigned) moves on */
    az_error cli_err = {0};
    if (auth_cli(c, tok, &cli_err) == 0) {
        c->auth = AZ_AUTH_CLI;
        return 0;
    }
    az_error_set(err, "CredentialUnavailable", "no Azure credential found (managed "
                 "identity: %.200s; Azure CLI: %.200s): set AZURE_TENANT_ID, AZURE_CLIENT_ID "
                 "and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), use a managed "
                 "identity, or log in with 'az login'", msi_err.message, cli_err.message);
    return -1;
}

static bool auth_fresh(const az_client *c)
{
    const az_token *t = &c->token;
    if (t->access_token == NULL)
        return false;
    int64_t life = t->expires_at - t->obtained_at;
    int64_t margin = life / 2 < 300 ? life / 2 : 300;
    return az_wall_s(c) < t->expires_at - margin;
}

const char *az_auth_token(az_client *c, bool force, az_error *err)
{
    if (!force && auth_fresh(c))
        return c->token.access_token;
    az_token tok = {0};
    az_error e = {0};
    if (auth_fetch(c, &tok, &e) != 0) {
        az_client_redact(c, e.message, sizeof e.message);
        *err = e;
        az_token_clear(&tok);
        return NULL;
    }
    az_token_clear(&c->token);
    c->token = tok;
    c->token_gen++;
    az_log(c, AZ_LOG_DEBUG, "token: new ARM token for %s, valid %lld s", c->scope,
           (long long)(tok.expires_at - tok.obtained_at));
    return c->token.access_token;
}
