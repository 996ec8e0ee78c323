/* Batches of writes (create/delete snapshot, create/delete disk), each
 * driven to a terminal state by a small state machine:
 *
 *   [confirm GET] -> PUT/DELETE -> [poll Azure-AsyncOperation or Location]
 *                                -> [GET the created resource]
 *
 * Creates send If-None-Match: * (a 412 fails the operation: nothing is
 * overwritten).
 * A PUT/DELETE that may have reached ARM without an answer is reconciled by
 * reading the resource before anything is sent again. At most `parallel`
 * operations are under way at once, and new ones start only while ARM's
 * remaining quota has room for their write (pace.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/az_internal.h"
#include "azure/ops_priv.h"

typedef enum op_state {
    ST_CONFIRM, ST_WRITE, ST_RECONCILE, ST_POLL, ST_FINAL, ST_END
} op_state;

typedef struct ops_batch ops_batch;

typedef struct op_run {
    az_op *op;
    ops_batch *batch;
    op_state state;
    az_call call;
    int writes;                 /* PUT/DELETE attempts, reconciled ones included */
    int64_t start_ms;
    int64_t accepted_ms;        /* when ARM accepted the write (its operation began) */
    az_lro_poll poll;           /* the monitor being followed */
} op_run;

struct ops_batch {
    az_client *c;
    az_op *ops;
    op_run *runs;
    size_t n, next, active, finished, failed;
    int64_t wait_ms;            /* no room: when ARM's quota should have some */
    int64_t lro_min_ms[AZ_OP_NKINDS];      /* per az_op_kind: the quickest operation seen to end (0: none) */
    void (*on_done)(void *ctx, az_op *op);
    void *ctx;
};

static bool ops_is_delete(const az_op *op)
{
    return op->kind == AZ_OP_DELETE_SNAPSHOT || op->kind == AZ_OP_DELETE_DISK;
}

static void ops_end(op_run *r, az_op_status status)
{
    ops_batch *b = r->batch;
    az_op *op = r->op;
    op->status = status;
    op->seconds = (double)(az_now_ms(b->c) - r->start_ms) / 1000.0;
    if (status == AZ_OP_FAILED) {
        b->failed++;
        az_log(b->c, AZ_LOG_INFO, "%s: failed: %s: %s", op->id, op->err.code, op->err.message);
    }
    r->state = ST_END;
    free(r->poll.url);
    r->poll.url = NULL;
    b->active--;
    b->finished++;
    if (b->on_done != NULL)
        b->on_done(b->ctx, op);
}

static void ops_fail(op_run *r, const az_error *err)
{
    r->op->err = *err;
    ops_end(r, AZ_OP_FAILED);
}

static void ops_fail_resp(op_run *r)
{
    az_error e;
    az_error_from_resp(&e, &r->call.resp);
    az_client_redact(r->batch->c, e.message, sizeof e.message);
    ops_fail(r, &e);
}

static void ops_on_answer(void *ctx, az_call *call);

static void ops_send(op_run *r, op_state st, const char *method, char *url, char *body,
                     int64_t delay_ms)
{
    az_call_reset(&r->call);
    r->state = st;
    r->call.method = method;
    r->call.url = url;
    r->call.body = body;
    r->call.idempotent = strcmp(method, "GET") == 0;
    /* Every create is conditional: a resource someone made under the same
     * name since the listing (or the reconciling read) is answered 412
     * PreconditionFailed, never overwritten. */
    if (st == ST_WRITE && strcmp(method, "PUT") == 0)
        r->call.header = AZ_IF_NONE_MATCH;
    r->call.done = ops_on_answer;
    r->call.ctx = r;
    if (url == NULL || (body == NULL && strcmp(method, "PUT") == 0)) {
        az_error e;
        az_error_set(&e, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        ops_fail(r, &e);
        return;
    }
    az_exec_submit(r->batch->c, &r->call, delay_ms);
}

static void ops_read(op_run *r, op_state st, int64_t delay_ms)
{
    ops_send(r, st, "GET", az_arm_url(r->batch->c, r->op->id), NULL, delay_ms);
}

static void ops_write(op_run *r, int64_t delay_ms)
{
    az_op *op = r->op;
    bool del = ops_is_delete(op);
    r->writes++;
    ops_send(r, ST_WRITE, del ? "DELETE" : "PUT", az_arm_url(r->batch->c, op->id),
             del ? NULL : az_op_body(op), delay_ms);
}

static void ops_start(op_run *r)
{
    az_op *op = r->op;
    az_client *c = r->batch->c;
    r->start_ms = az_now_ms(c);
    memset(&op->err, 0, sizeof op->err);
    op->already_gone = false;
    op->provisioning_state[0] = '\0';
    if (op->id == NULL || op->id[0] == '\0' ||
        (!ops_is_delete(op) && (op->location == NULL || op->source_id == NULL))) {
        az_error e;
        az_error_set(&e, "InvalidOperation", "operation without %s",
                     op->id == NULL || !op->id[0] ? "a resource ID" : "a location or source");
        ops_fail(r, &e);
        return;
    }
    if (ops_is_delete(op) && op->confirm != NULL)
        ops_read(r, ST_CONFIRM, 0);
    else
        ops_write(r, 0);
}

/* After a PUT/DELETE answered nothing usable: read, then decide. */
static void ops_ambiguous(op_run *r)
{
    int64_t delay;
    az_client *c = r->batch->c;
    az_http_resp *resp = &r->call.resp;
    if (az_retry_decide(az_client_retry(c), r->writes, resp->status, resp->status == 0,
                        az_retry_after_ms(resp->retry_after, az_wall_s(c)),
                        az_now_ms(c) - r->start_ms, az_random(c), &delay) &&
        az_budget_allows(c, delay)) {
        az_log(c, AZ_LOG_INFO, "%s %s: %s; reading the resource before trying again",
               r->call.method, r->op->id, r->call.err.code);
        ops_read(r, ST_RECONCILE, delay);
        return;
    }
    az_error e = r->call.err;
    e.retries_exhausted = true;
    if (az_budget_spent(c))
        az_budget_error(c, &e);
    ops_fail(r, &e);
}

static void ops_confirmed(op_run *r)
{
    az_op *op = r->op;
    az_error e = {0};
    if (op->kind != AZ_OP_DELETE_SNAPSHOT) {
        if (!op->confirm(op->confirm_ctx, op, NULL)) {
            ops_end(r, AZ_OP_SKIPPED);
            return;
        }
        ops_write(r, 0);
        return;
    }
    inv_inventory *inv = inv_new();
    if (inv == NULL) {
        az_error_set(&e, AZ_ERR_OUT_OF_MEMORY, "out of memory");
        ops_fail(r, &e);
        return;
    }
    int rc = az_parse_resource(inv, false, r->call.resp.body, r->call.resp.body_len, &e);
    bool go = rc == 0 && op->confirm(op->confirm_ctx, op, &inv->snapshots[0]);
    inv_free(inv);
    if (rc != 0)
        ops_fail(r, &e);
    else if (!go)
        ops_end(r, AZ_OP_SKIPPED);
    else
        ops_write(r, 0);
}

static void ops_after_write(op_run *r)
{
    az_http_resp *resp = &r->call.resp;
    int st = resp->status;
    bool del = ops_is_delete(r->op);
    if (del && (st == 404 || st == 204 || st == 200)) {
        r->op->already_gone = st == 404;
        ops_end(r, AZ_OP_DONE);
        return;
    }
    az_error e = { 0 };
    switch (az_lro_started(r->batch->c, resp, false, &r->poll, &e)) {
    case AZ_LRO_REFUSED:
        ops_fail(r, &e);
        break;
    case AZ_LRO_WATCH:
        /* accepted without a monitor URL: watch the resource itself */
        ops_read(r, del ? ST_RECONCILE : ST_FINAL, AZ_LRO_POLL_DEFAULT_MS);
        break;
    case AZ_LRO_POLL: {
        /* Never before Retry-After, nor before the quickest operation of
         * the batch's kind took to end: polls that can only answer
         * InProgress spend read quota the re-reads before deletes need. */
        int64_t first = r->batch->lro_min_ms[r->op->kind];
        r->accepted_ms = az_now_ms(r->batch->c);
        ops_send(r, ST_POLL, "GET", strdup(r->poll.url), NULL,
                 first > r->poll.delay_ms ? first : r->poll.delay_ms);
        break;
    }
    case AZ_LRO_FINISHED:
        ops_read(r, ST_FINAL, 0);   /* 200 to a PUT: read its final state */
        break;
    }
}

static bool ops_past_deadline(op_run *r)
{
    az_error e;
    if (!az_lro_expired(r->batch->c, r->start_ms, r->op->id, &e))
        return false;
    ops_fail(r, &e);
    return true;
}

static void ops_after_poll(op_run *r)
{
    az_error e = { 0 };
    int done = az_lro_polled(r->batch->c, &r->poll, &r->call.resp, &e);
    if (done > 0 && r->accepted_ms > 0) {
        int64_t took = r->call.sent_ms - r->accepted_ms, *min = &r->batch->lro_min_ms[r->op->kind];
        if (took > 0 && (*min == 0 || took < *min))
            *min = took;
    }
    if (done < 0) {
        ops_fail(r, &e);
    } else if (done == 0) {
        if (!ops_past_deadline(r))
            ops_send(r, ST_POLL, "GET", strdup(r->poll.url), NULL, r->poll.delay_ms);
    } else if (ops_is_delete(r->op)) {
        ops_end(r, AZ_OP_DONE);
    } else {
        ops_read(r, ST_FINAL, 0);
    }
}

/* A resource read back: after a create, or to reconcile a lost write. */
static void ops_after_read(op_run *r)
{
    az_http_resp *resp = &r->call.resp;
    az_op *op = r->op;
    char state[64], source[2048];
    bool del = ops_is_delete(op);
    if (resp->status == 404) {
        if (del)
            ops_end(r, AZ_OP_DONE);         /* our DELETE (or someone's) took effect */
        else if (r->state == ST_RECONCILE)
            ops_write(r, 0);                /* the PUT never landed: send it */
        else
            ops_fail_resp(r);
        return;
    }
    if (resp->status != 200) {
        ops_fail_resp(r);
        return;
    }
    if (az_resource_state(resp->body, resp->body_len, state, sizeof state, source,
                          sizeof source) != 0) {
        /* a 200 we cannot read is Azure failing (no HTTP status: not an
         * answer about this operation that a caller could act on) */
        az_error e = {0};
        az_error_set(&e, "InvalidResponse", "%s: HTTP 200 with %s", op->id,
                     az_body_blank(resp->body, resp->body_len) ? "an empty body"
                                                               : "a body that is not a resource");
        snprintf(e.request_id, sizeof e.request_id, "%s", resp->request_id);
        ops_fail(r, &e);
        return;
    }
    if (del) {
        ops_write(r, 0);    /* still there: delete it (again) */
        return;
    }
    if (r->state == ST_RECONCILE && source[0] != '\0' && !az_id_equal(source, op->source_id)) {
        az_error e;
        az_error_set(&e, "Conflict", "%s already exists, made from %s", op->id, source);
        ops_fail(r, &e);
        return;
    }
    snprintf(op->provisioning_state, sizeof op->provisioning_state, "%.31s", state);
    if (strcasecmp(state, "Succeeded") == 0)
        ops_end(r, AZ_OP_DONE);
    else if (strcasecmp(state, "Failed") == 0 || strcasecmp(state, "Canceled") == 0) {
        az_error e;
        az_error_set(&e, "ProvisioningFailed", "%s: provisioningState %s", op->id, state);
        e.http_status = resp->status;
        ops_fail(r, &e);
    } else if (!ops_past_deadline(r)) {
        int64_t ra = az_retry_after_ms(resp->retry_after, az_wall_s(r->batch->c));
        ops_read(r, ST_FINAL, ra >= 0 ? ra : AZ_LRO_POLL_DEFAULT_MS);
    }
}

static void ops_on_answer(void *ctx, az_call *call)
{
    op_run *r = ctx;
    if (!call->ok) {
        if (r->state == ST_WRITE && call->ambiguous) {
            ops_ambiguous(r);
        } else if ((r->state == ST_POLL || r->state == ST_FINAL) &&
                   call->err.retries_exhausted && !ops_past_deadline(r)) {
            int64_t delay;
            az_error e;
            if (az_lro_repoll(r->batch->c, &call->err, &delay, &e))
                ops_send(r, r->state, "GET", strdup(call->url), NULL, delay);
            else
                ops_fail(r, &e);
        } else if (r->state != ST_END) {
            az_error e = call->err;
            ops_fail(r, &e);
        }
        return;
    }
    switch (r->state) {
    case ST_CONFIRM:
        if (call->resp.status == 404) {
            r->op->already_gone = true;
            ops_end(r, AZ_OP_DONE);
        } else if (call->resp.status != 200)
            ops_fail_resp(r);
        else
            ops_confirmed(r);
        break;
    case ST_WRITE:
        ops_after_write(r);
        break;
    case ST_POLL:
        ops_after_poll(r);
        break;
    case ST_RECONCILE:
    case ST_FINAL:
        ops_after_read(r);
        break;
    case ST_END:
        break;
    }
}

/* Ops whose next request is their PUT/DELETE, not sent yet (reading the
 * resource first, or queued): each will spend a write token soon. */
static size_t ops_confirming(const ops_batch *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->next; i++)
        if (b->runs[i].state == ST_CONFIRM ||
            (b->runs[i].state == ST_WRITE && !b->runs[i].call.in_flight))
            n++;
    return n;
}

/* Whether the next op may start: within --parallel, and while ARM's quota
 * for its write has a token for it beyond those the ops still reading
 * will spend. So the re-read comes just before the write, not a queue of
 * throttled writes later. */
static bool ops_can_start(ops_batch *b)
{
    if (b->next >= b->n || b->active >= (size_t)az_client_parallel(b->c))
        return false;
    const az_op *op = &b->ops[b->next];
    int64_t wait = 0;
    bool blind;
    long room = az_pace_room(b->c, ops_is_delete(op) ? "DELETE" : "PUT", op->id ? op->id : "",
                             az_now_ms(b->c), &wait, &blind);
    if (blind)      /* ARM has said nothing of its quota yet: as many as may probe it */
        return b->active < (size_t)b->c->pace.probe;
    if (room > (long)ops_confirming(b))
        return true;
    b->wait_ms = room > 0 || wait <= 0 ? 1000 : wait;
    az_exec_wake(b->c, b->wait_ms);
    return false;
}

static bool ops_room(void *ctx)
{
    ops_batch *b = ctx;
    return b->finished == b->n || ops_can_start(b);
}

/* The executor ran dry while operations were under way: a state machine
 * lost its request. Fail them rather than spin. */
static void ops_orphans(ops_batch *b)
{
    az_error e;
    az_error_set(&e, "InternalError", "the operation lost track of its request");
    for (size_t i = 0; i < b->next; i++)
        if (b->runs[i].state != ST_END && b->runs[i].op->status == AZ_OP_PENDING)
            ops_fail(&b->runs[i], &e);
}

size_t az_run_ops(az_client *c, az_op *ops, size_t nops,
                  void (*on_done)(void *ctx, az_op *op), void *ctx)
{
    ops_batch b = { .c = c, .ops = ops, .n = nops, .on_done = on_done, .ctx = ctx };
    if (nops == 0)
        return 0;
    b.runs = calloc(nops, sizeof *b.runs);
    if (b.runs == NULL) {
        for (size_t i = 0; i < nops; i++) {
            az_error_set(&ops[i].err, AZ_ERR_OUT_OF_MEMORY, "out of memory");
            ops[i].status = AZ_OP_FAILED;
        }
        return nops;
    }
    while (b.finished < nops) {
        while (ops_can_start(&b)) {
            op_run *r = &b.runs[b.next];
            r->op = &ops[b.next++];
            r->batch = &b;
            r->op->status = AZ_OP_PENDING;
            b.active++;
            ops_start(r);
        }
        if (b.finished == nops)
            break;
        if (b.active == 0) {
            az_sleep_ms(c, b.wait_ms);  /* nothing under way: wait for ARM's quota */
            continue;
        }
        az_exec_run(c, ops_room, &b);
        if (!ops_room(&b) && b.active > 0)
            ops_orphans(&b);
    }
    for (size_t i = 0; i < nops; i++) {
        az_call_reset(&b.runs[i].call);
        free(b.runs[i].poll.url);
    }
    free(b.runs);
    return b.failed;
}
