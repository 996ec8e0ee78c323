/* Long-running operations: reading their answers (shared with the batch
 * state machine in ops.c) and driving one operation to its end for the
 * callers that change one thing at a time (VM power, attach/detach, tags,
 * network interfaces). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/az_internal.h"
#include "azure/ops_priv.h"

static void lro_err_from(az_client *c, const az_http_resp *resp, az_error *err)
{
    az_error_from_resp(err, resp);
    az_client_redact(c, err->message, sizeof err->message);
}

static int64_t lro_delay(az_client *c, const az_http_resp *resp)
{
    int64_t ra = az_retry_after_ms(resp->retry_after, az_wall_s(c));
    return ra >= 0 ? ra : AZ_LRO_POLL_DEFAULT_MS;
}

az_lro_next az_lro_started(az_client *c, const az_http_resp *resp, bool allow_204,
                           az_lro_poll *p, az_error *err)
{
    int st = resp->status;
    if (!(st == 200 || st == 201 || st == 202 || (allow_204 && st == 204))) {
        lro_err_from(c, resp, err);
        return AZ_LRO_REFUSED;
    }
    const char *url = resp->async_op ? resp->async_op : resp->location;
    if (url == NULL)
        return st == 201 || st == 202 ? AZ_LRO_WATCH : AZ_LRO_FINISHED;
    free(p->url);
    p->url = strdup(url);           /* followed exactly as given */
    p->async = resp->async_op != NULL;
    p->delay_ms = lro_delay(c, resp);
    if (p->url == NULL) {
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        return AZ_LRO_REFUSED;
    }
    return AZ_LRO_POLL;
}

int az_lro_polled(az_client *c, az_lro_poll *p, const az_http_resp *resp, az_error *err)
{
    p->delay_ms = lro_delay(c, resp);
    if (p->async) {
        if (resp->status != 200) {
            lro_err_from(c, resp, err);
            return -1;
        }
        int done = az_lro_status(resp->body, resp->body_len, err);
        if (done < 0)
            az_client_redact(c, err->message, sizeof err->message);
        return done < 0 ? -1 : done;
    }
    if (resp->status == 202)
        return 0;
    if (resp->status == 200 || resp->status == 204)
        return 1;
    lro_err_from(c, resp, err);
    return -1;
}

bool az_lro_repoll(az_client *c, const az_error *call_err, int64_t *delay_ms, az_error *err)
{
    /* reading the outcome is harmless to repeat until the deadline */
    *delay_ms = az_retry_delay_ms(az_client_retry(c), 4, -1, az_random(c));
    if (az_budget_allows(c, *delay_ms))
        return true;
    /* ARM has been gone for the run's whole budget: stop watching; the
     * caller reconciles as for any failure */
    *err = *call_err;
    az_budget_error(c, err);
    return false;
}

bool az_lro_expired(az_client *c, int64_t start_ms, const char *what, az_error *err)
{
    int deadline_s = az_client_lro_deadline_s(c);
    if (az_now_ms(c) < start_ms + (int64_t)deadline_s * 1000)
        return false;
    az_error_set(err, "OperationTimedOut", "%s did not finish within %d s", what, deadline_s);
    return true;
}

/* ---- one operation, synchronously ---------------------------------- */

static int lro_send(az_client *c, az_call *call, const char *method, const char *url,
                    const char *body, const char *header, int64_t delay_ms, az_error *err)
{
    az_call_reset(call);
    call->method = method;
    call->url = strdup(url);
    call->body = body != NULL ? strdup(body) : NULL;
    call->header = header;
    call->idempotent = strcmp(method, "GET") == 0;
    if (call->url == NULL || (body != NULL && call->body == NULL)) {
        az_error_set(err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        return -1;
    }
    if (az_exec_one_after(c, call, delay_ms) != 0) {
        *err = call->err;
        return -1;
    }
    return 0;
}

/* Keeps the answer's body as the operation's final body. */
static void lro_keep(az_call *call, az_lro_out *out)
{
    free(out->body);
    out->body = call->resp.body;
    out->len = call->resp.body_len;
    call->resp.body = NULL;
    call->resp.body_len = 0;
}

/* Polls until the monitor says done; 0, or -1 with err. */
static int lro_poll(az_client *c, az_call *call, az_lro_poll *p, int64_t start_ms,
                    const char *what, az_lro_out *out, az_error *err)
{
    for (;;) {
        if (lro_send(c, call, "GET", p->url, NULL, NULL, p->delay_ms, err) != 0) {
            if (!call->err.retries_exhausted || az_lro_expired(c, start_ms, what, err))
                return -1;
            if (!az_lro_repoll(c, &call->err, &p->delay_ms, err))
                return -1;
            continue;
        }
        int done = az_lro_polled(c, p, &call->resp, err);
        if (done < 0)
            return -1;
        if (done > 0) {
            lro_keep(call, out);
            return 0;
        }
        if (az_lro_expired(c, start_ms, what, err))
            return -1;
    }
}

/* GETs the resource until its provisioningState is terminal (201/202
 * without a monitor, and the final read of a PUT/PATCH). */
static int lro_final(az_client *c, az_call *call, const char *url, int64_t start_ms,
                     const char *what, az_lro_out *out, az_error *err)
{
    int64_t delay = 0;
    for (;;) {
        if (lro_send(c, call, "GET", url, NULL, NULL, delay, err) != 0) {
            if (!call->err.retries_exhausted || az_lro_expired(c, start_ms, what, err))
                return -1;
            if (!az_lro_repoll(c, &call->err, &delay, err))
                return -1;
            continue;
        }
        if (call->resp.status != 200) {
            lro_err_from(c, &call->resp, err);
            return -1;
        }
        char state[64], source[8];
        if (az_resource_state(call->resp.body, call->resp.body_len, state, sizeof state,
                              source, sizeof source) != 0) {
            az_error_set(err, "InvalidResponse", "%s: the resource read back is not JSON", what);
            return -1;
        }
        if (state[0] == '\0' || strcasecmp(state, "Succeeded") == 0) {
            lro_keep(call, out);
            return 0;
        }
        if (strcasecmp(state, "Failed") == 0 || strcasecmp(state, "Canceled") == 0) {
            az_error_set(err, "ProvisioningFailed", "%s: provisioningState %s", what, state);
            err->http_status = call->resp.status;
            return -1;
        }
        if (az_lro_expired(c, start_ms, what, err))
            return -1;
        delay = az_retry_after_ms(call->resp.retry_after, az_wall_s(c));
        if (delay < 0)
            delay = AZ_LRO_POLL_DEFAULT_MS;
    }
}

int az_lro_run(az_client *c, const az_lro_req *req, az_lro_out *out, az_error *err)
{
    az_call call;
    az_lro_poll p = { 0 };
    const char *what = req->what != NULL ? req->what : req->url;
    const char *final_url = req->final_url != NULL ? req->final_url : req->url;
    int64_t start_ms = az_now_ms(c);
    int rc = -1;
    memset(&call, 0, sizeof call);
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    if (lro_send(c, &call, req->method, req->url, req->body, req->header, 0, err) != 0) {
        if (call.ambiguous) {
            err->ambiguous = true;
            size_t len = strlen(err->message);
            snprintf(err->message + len, sizeof err->message - len,
                     "%s(%s %s may have reached ARM: not sent again)", len ? " " : "",
                     req->method, what);
        }
        goto out;
    }
    out->status = call.resp.status;
    switch (az_lro_started(c, &call.resp, true, &p, err)) {
    case AZ_LRO_REFUSED:
        goto out;
    case AZ_LRO_FINISHED:
        lro_keep(&call, out);
        rc = 0;
        break;
    case AZ_LRO_POLL:
        rc = lro_poll(c, &call, &p, start_ms, what, out, err);
        /* the monitor's last body is a status: the resource says the rest */
        if (rc == 0 && req->final_get)
            rc = lro_final(c, &call, final_url, start_ms, what, out, err);
        break;
    case AZ_LRO_WATCH:
        if (!req->final_get) {
            az_error_set(err, "InvalidResponse", "%s: accepted (HTTP %d) without a monitor "
                         "URL to follow", what, call.resp.status);
            goto out;
        }
        rc = lro_final(c, &call, final_url, start_ms, what, out, err);
        goto out;
    }
out:
    if (rc != 0) {
        free(out->body);
        out->body = NULL;
        out->len = 0;
    }
    az_call_reset(&call);
    free(p.url);
    return rc;
}
