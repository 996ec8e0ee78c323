/* The executor: every ARM request goes through here. It keeps at most
 * `parallel` in flight (fewer while ARM throttles), attaches the bearer
 * token (only for the ARM origin), refreshes it once on a 401, and retries
 * what retry.c says is worth retrying. A PUT or DELETE that may have reached
 * ARM is not resent: it comes back `ambiguous` for its owner to reconcile
 * by reading the resource. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure/az_internal.h"

void az_call_reset(az_call *call)
{
    free(call->url);
    free(call->body);
    az_http_resp_clear(&call->resp);
    memset(call, 0, sizeof *call);
}

static void exec_append(az_call **list, az_call *call)
{
    call->next = NULL;
    while (*list != NULL)
        list = &(*list)->next;
    *list = call;
}

void az_exec_submit(az_client *c, az_call *call, int64_t delay_ms)
{
    int64_t now = az_now_ms(c);
    if (call->attempts == 0) {
        uint64_t a = az_random(c), b = az_random(c);
        call->first_ms = now;
        /* a version-4 UUID so ARM's logs can be matched with ours */
        snprintf(call->client_request_id, sizeof call->client_request_id,
                 "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
                 (unsigned)a & 0xfff, (unsigned)((b >> 48) & 0x3fff) | 0x8000,
                 (unsigned long long)(b & 0xffffffffffffULL));
    }
    call->not_before_ms = now + (delay_ms > 0 ? delay_ms : 0);
    call->finished = call->ok = call->ambiguous = false;
    az_pace_classify(c, call);
    memset(&call->err, 0, sizeof call->err);
    exec_append(&c->queue, call);
}

static void exec_finish(az_client *c, az_call *call)
{
    (void)c;
    call->finished = true;
    if (call->done != NULL)
        call->done(call->ctx, call);
}

static void exec_fail(az_client *c, az_call *call)
{
    call->ok = false;
    exec_finish(c, call);
}

static void exec_on_answer(void *ctx)
{
    az_call *call = ctx;
    az_client *c = call->owner;
    call->in_flight = false;
    c->in_flight--;
    for (az_call **pp = &c->flying; *pp != NULL; pp = &(*pp)->fly_next)
        if (*pp == call) {
            *pp = call->fly_next;
            break;
        }
    call->fly_next = NULL;
    az_pace_landed(c, call);
    exec_append(&c->completed, call);
}

static void exec_start(az_client *c, az_call *call)
{
    char auth[8192 + 32], rid[96];
    if (!az_same_origin(c->arm_base, call->url)) {
        az_error_set(&call->err, "UntrustedUrl", "refusing to send the ARM token to %.*s "
                     "(not the ARM endpoint %s)", (int)strcspn(call->url, "?"), call->url,
                     c->arm_base);
        exec_fail(c, call);
        return;
    }
    const char *tok = az_auth_token(c, false, &call->err);
    if (tok == NULL) {
        exec_fail(c, call);
        return;
    }
    call->token_gen = c->token_gen;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    snprintf(rid, sizeof rid, "x-ms-client-request-id: %s", call->client_request_id);
    az_http_req req = { .method = call->method, .url = call->url, .body = call->body,
                        .body_len = call->body ? strlen(call->body) : 0,
                        .headers = { auth, rid, call->header }, .nheaders = 2 };
    if (call->header != NULL)
        req.nheaders = 3;
    call->attempts++;
    call->sent_ms = az_now_ms(c);
    call->in_flight = true;
    c->in_flight++;
    call->owner = c;
    az_pace_sent(c, call, call->sent_ms);
    call->fly_next = c->flying;
    c->flying = call;
    az_http_start(c->http, &req, &call->resp, exec_on_answer, call);
    memset(auth, 0, sizeof auth);
}

/* AIMD on concurrency, for throttling the pacer cannot see (a 429 that
 * names no empty bucket): halve, grow back slowly. A burst of 429s to
 * requests sent before the last cut counts once, as TCP counts one loss
 * per round trip. The throttled request itself waits its Retry-After
 * (exec_handle); the others go on at the lower concurrency. */
static void exec_adapt(az_client *c, const az_call *call, int status, bool paced)
{
    if (status == 429 && paced)
        return;     /* the pacer holds the bucket that ran dry */
    if (status == 429) {
        if (call->sent_ms >= c->last_cut_ms) {
            c->limit = c->limit / 2 < 1 ? 1 : c->limit / 2;
            c->last_cut_ms = az_now_ms(c);
        }
    } else if (status >= 200 && status < 300 && c->limit < c->parallel) {
        c->limit += 1.0 / c->limit;
        if (c->limit > c->parallel)
            c->limit = c->parallel;
    }
}

static void exec_log_answer(az_client *c, const az_call *call)
{
    const az_http_resp *r = &call->resp;
    if (r->status == 0)
        az_log(c, AZ_LOG_DEBUG, "%s %s -> no answer (%s), attempt %d", call->method,
               call->url, r->transport_msg, call->attempts);
    else
        az_log(c, AZ_LOG_DEBUG, "%s %s -> %d, attempt %d, x-ms-request-id %s, "
               "x-ms-client-request-id %s%s%s", call->method, call->url, r->status,
               call->attempts, r->request_id[0] ? r->request_id : "-",
               call->client_request_id, r->ratelimit[0] ? ", remaining " : "", r->ratelimit);
}

static void exec_handle(az_client *c, az_call *call)
{
    az_http_resp *r = &call->resp;
    int64_t ra = az_retry_after_ms(r->retry_after, az_wall_s(c)), delay;
    exec_log_answer(c, call);
    if (r->date[0] != '\0')
        az_note_date(c, r->date);
    exec_adapt(c, call, r->status, az_pace_answered(c, call, az_now_ms(c), ra));
    az_budget_note(c, !az_retry_retryable(r->status, r->status == 0));
    if (r->status == 401 && !call->refreshed) {
        call->refreshed = true;
        /* many calls in flight hit the same expiry: one refresh serves all */
        if (call->token_gen == c->token_gen && az_auth_token(c, true, &call->err) == NULL) {
            exec_fail(c, call);
            return;
        }
        az_http_resp_clear(r);
        exec_append(&c->queue, call);
        return;
    }
    if (!az_retry_retryable(r->status, r->status == 0)) {
        call->ok = true;
        exec_finish(c, call);
        return;
    }
    az_error_from_resp(&call->err, r);
    az_client_redact(c, call->err.message, sizeof call->err.message);
    if (!call->idempotent && r->status != 429 && (r->status != 0 || r->maybe_sent)) {
        call->ambiguous = true;
        exec_fail(c, call);
        return;
    }
    if (r->permanent) {
        exec_fail(c, call);
        return;
    }
    bool again = az_retry_decide(&c->retry, call->attempts, r->status, r->status == 0, ra,
                                 az_now_ms(c) - call->first_ms, az_random(c), &delay);
    if (again && !az_budget_allows(c, delay)) {
        az_budget_error(c, &call->err);
        exec_fail(c, call);
        return;
    }
    if (again) {
        az_log(c, AZ_LOG_INFO, "%s %s: %s (HTTP %d); retrying in %lld ms", call->method,
               call->url, call->err.code, r->status, (long long)delay);
        az_exec_submit(c, call, delay);
        return;
    }
    call->err.retries_exhausted = true;
    size_t len = strlen(call->err.message);
    snprintf(call->err.message + len, sizeof call->err.message - len,
             " (gave up after %d attempts)", call->attempts);
    exec_fail(c, call);
}

/* Sends what is due and what ARM's quota allows (pace.c), in order;
 * returns when the next queued call may be due (INT64_MAX: none, or only
 * an answer can tell). */
static int64_t exec_dispatch(az_client *c, int64_t now)
{
    int64_t next = INT64_MAX;
    az_call **pp = &c->queue;
    while (*pp != NULL) {
        az_call *call = *pp;
        int64_t at = call->not_before_ms;
        if (at <= now) {
            int64_t d = c->in_flight < (int)c->limit ? az_pace_delay(c, call, now) : -1;
            if (d == 0) {
                *pp = call->next;
                call->next = NULL;
                exec_start(c, call);
                continue;
            }
            at = d > 0 ? now + d : INT64_MAX;
        }
        if (at < next)
            next = at;
        pp = &call->next;
    }
    return next;
}

void az_exec_wake(az_client *c, int64_t delay_ms)
{
    int64_t at = az_now_ms(c) + (delay_ms > 0 ? delay_ms : 1);
    if (at < c->wake_ms)
        c->wake_ms = at;
}

void az_exec_run(az_client *c, bool (*stop)(void *ctx), void *ctx)
{
    for (;;) {
        while (c->completed != NULL) {
            az_call *call = c->completed;
            c->completed = call->next;
            call->next = NULL;
            exec_handle(c, call);
        }
        c->wake_ms = INT64_MAX;
        if (stop != NULL && stop(ctx))
            return;
        int64_t now = az_now_ms(c);
        int64_t next = exec_dispatch(c, now);
        if (c->completed != NULL)
            continue;
        if (c->queue == NULL && c->in_flight == 0)
            return;
        if (c->wake_ms < next)
            next = c->wake_ms;
        /* nothing due and nothing in flight: only time can help */
        int64_t wait = next == INT64_MAX ? 1000 : next - now;
        if (wait < 0)
            wait = 0;
        if (c->in_flight > 0)
            az_http_wait(c->http, (int)(wait > 1000 ? 1000 : wait));
        else if (wait > 0)
            az_sleep_ms(c, wait);
    }
}

static bool exec_one_done(void *ctx)
{
    return ((az_call *)ctx)->finished;
}

int az_exec_one_after(az_client *c, az_call *call, int64_t delay_ms)
{
    call->done = NULL;
    az_exec_submit(c, call, delay_ms);
    az_exec_run(c, exec_one_done, call);
    return call->ok ? 0 : -1;
}

int az_exec_one(az_client *c, az_call *call)
{
    return az_exec_one_after(c, call, 0);
}
