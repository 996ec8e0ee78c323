/* Pacing: as many requests in flight as ARM's remaining quota allows.
 *
 * ARM throttles with token buckets (per principal and region: reads,
 * writes, deletes) and Compute with its own (per policy), and says on every
 * answer how many tokens are left. Each bucket here mirrors one: an answer
 * sets the estimate to what ARM said minus the requests sent after that one
 * and still unanswered (ARM cannot have counted them yet); each request
 * sent spends a token; time refills at the rate measured from ARM's own
 * figures (two answers at least 2 s apart, the bucket below half full: what
 * came back plus what was spent in between, over the time), assuming ARM's
 * documented rate until then, and only 90 % of it, since every answer
 * corrects the estimate upwards but a request sent too early is a 429. So a
 * run spends the burst at once, then follows the refill. A 429 that names an
 * empty bucket holds that bucket for its Retry-After and halves its rate
 * until measured again. Answers without these headers leave the pacer
 * blind: then at most AZ_PACE_PROBE requests of a kind are in flight (or
 * --parallel, when given) and the executor's AIMD answers 429s, as before. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/az_internal.h"
#include "engine/azure_limits.h"

#define PACE_SAFETY 0.9             /* of the refill rate, between answers */
#define PACE_MEASURE_MS 2000        /* the shortest window a rate is measured over */
#define PACE_PROBE_MS 1000          /* refill unknown and nothing in flight */
#define PACE_PROBE_MAX_MS 5000      /* the longest wait taken on an estimate's word */
#define PACE_WAIT_ANSWER (-1)

static const char *const pace_cat_names[AZ_PACE_NCAT] = { "reads", "writes", "deletes" };

void az_pace_init(az_pace *p, int probe)
{
    static const double per_s[AZ_PACE_NCAT] = {
        ENG_ARM_READS_PER_S, ENG_ARM_WRITES_PER_S, ENG_ARM_DELETES_PER_S };
    memset(p, 0, sizeof *p);
    for (int i = 0; i < AZ_PACE_NCAT; i++) {
        snprintf(p->b[i].name, sizeof p->b[i].name, "%s", pace_cat_names[i]);
        p->b[i].rate = per_s[i] / 1000.0;
        p->b[i].rate_floor = p->b[i].rate / 16;
    }
    p->nb = AZ_PACE_NCAT;
    p->probe = probe;
}

static az_pace_cat pace_cat_of(const char *method)
{
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return AZ_PACE_READS;
    return strcmp(method, "DELETE") == 0 ? AZ_PACE_DELETES : AZ_PACE_WRITES;
}

/* A request's class, what Compute's policies are charged by: the method,
 * the resource type after the last /providers/, and a star when one
 * resource of the type is meant rather than the collection (a snapshot
 * PUT is "PUT microsoft.compute/snapshots" plus "/" and the star). */
static void pace_class_name(char *out, size_t n, const char *method, const char *url)
{
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : url;
    if (path == NULL)
        path = "";
    size_t plen = strcspn(path, "?#");
    const char *prov = NULL;
    for (const char *p = path; p < path + plen; p++)
        if (strncasecmp(p, "/providers/", 11) == 0)
            prov = p + 11;
    char type[48] = "";
    bool item = false;
    if (prov != NULL) {
        size_t len = 0;
        int slashes = 0;
        const char *p = prov;
        for (; p < path + plen && len + 1 < sizeof type; p++) {
            if (*p == '/' && ++slashes == 2)
                break;
            type[len++] = (char)tolower((unsigned char)*p);
        }
        type[len] = '\0';
        item = slashes == 2 && p + 1 < path + plen;
    }
    snprintf(out, n, "%s %s%s", method, type, item ? "/*" : "");
}

static int pace_class(az_pace *p, const char *name)
{
    for (int i = 0; i < p->ncls; i++)
        if (strcmp(p->cls[i], name) == 0)
            return i;
    if (p->ncls == AZ_PACE_CLASSES)
        return -1;          /* untracked: ARM's own buckets still pace it */
    snprintf(p->cls[p->ncls], sizeof p->cls[0], "%s", name);
    return p->ncls++;
}

void az_pace_classify(az_client *c, az_call *call)
{
    char name[64];
    call->pace_cat = pace_cat_of(call->method);
    pace_class_name(name, sizeof name, call->method, call->url ? call->url : "");
    call->pace_cls = pace_class(&c->pace, name);
}

/* The buckets a request of (cat, cls) counts against, as a bit mask. */
static uint32_t pace_mask(const az_pace *p, int cat, int cls)
{
    uint32_t m = 1u << cat;
    for (int i = AZ_PACE_NCAT; i < p->nb; i++)
        if (cls >= 0 && (p->b[i].classes & (1u << cls)))
            m |= 1u << i;
    return m;
}

static double pace_rate(const az_pace_bucket *b)
{
    return b->rate * PACE_SAFETY;
}

static void pace_advance(az_pace_bucket *b, int64_t now)
{
    double cap = b->top + 1;
    if (now > b->at_ms && b->tokens < cap) {
        b->tokens += pace_rate(b) * (double)(now - b->at_ms);
        if (b->tokens > cap)
            b->tokens = cap;
    }
    if (now > b->at_ms)
        b->at_ms = now;
}

/* Requests one bucket would let go now, or 0 with *wait (ms; -1: until an
 * answer comes). cat_bucket: one of ARM's three (probed while unknown). */
static long pace_bucket_room(const az_pace *p, az_pace_bucket *b, bool cat_bucket, int64_t now,
                             int64_t *wait)
{
    if (b->hold_until_ms > now) {
        *wait = b->hold_until_ms - now;
        return 0;
    }
    if (!b->known) {
        if (!cat_bucket)
            return AZ_MAX_PARALLEL;
        if (b->flying < p->probe)
            return p->probe - b->flying;
        *wait = PACE_WAIT_ANSWER;
        return 0;
    }
    pace_advance(b, now);
    if (b->tokens >= 1.0)
        return (long)floor(b->tokens);
    double r = pace_rate(b);
    if (r > 0 && (b->flying > 0 || (1.0 - b->tokens) / r <= PACE_PROBE_MAX_MS)) {
        *wait = (int64_t)ceil((1.0 - b->tokens) / r);
        if (*wait < 1)
            *wait = 1;
    } else if (r > 0) {
        /* an estimate that far off may be wrong: ask now and then */
        if (now - b->probe_ms >= PACE_PROBE_MAX_MS)
            return 1;
        *wait = b->probe_ms + PACE_PROBE_MAX_MS - now;
    } else if (b->flying > 0) {
        *wait = PACE_WAIT_ANSWER;       /* their answers will say */
    } else if (now - b->probe_ms >= PACE_PROBE_MS) {
        return 1;                       /* ask, to learn what is left */
    } else {
        *wait = b->probe_ms + PACE_PROBE_MS - now;
    }
    return 0;
}

/* Room for (cat, cls): the least any of its buckets allows; *blind when
 * one of ARM's has not been heard from. */
static long pace_room_mask(az_client *c, uint32_t mask, int64_t now, int64_t *wait, bool *blind)
{
    long room = AZ_MAX_PARALLEL;
    *blind = false;
    int64_t w = 0;
    for (int i = 0; i < c->pace.nb; i++) {
        if (!(mask & (1u << i)))
            continue;
        int64_t bw = 0;
        long r = pace_bucket_room(&c->pace, &c->pace.b[i], i < AZ_PACE_NCAT, now, &bw);
        if (i < AZ_PACE_NCAT && !c->pace.b[i].known)
            *blind = true;
        if (r < room)
            room = r;
        if (r == 0 && (w == 0 || bw == PACE_WAIT_ANSWER || (w != PACE_WAIT_ANSWER && bw > w)))
            w = bw;
    }
    *wait = room > 0 ? 0 : w;
    return room;
}

int64_t az_pace_delay(az_client *c, const az_call *call, int64_t now)
{
    int64_t wait;
    bool blind;
    if (pace_room_mask(c, pace_mask(&c->pace, call->pace_cat, call->pace_cls), now, &wait,
                       &blind) > 0)
        return 0;
    return wait == 0 ? 1 : wait;
}

long az_pace_room(az_client *c, const char *method, const char *id, int64_t now,
                  int64_t *wait_ms, bool *blind)
{
    char name[64];
    pace_class_name(name, sizeof name, method, id);
    int cls = pace_class(&c->pace, name);
    return pace_room_mask(c, pace_mask(&c->pace, pace_cat_of(method), cls), now, wait_ms, blind);
}

void az_pace_sent(az_client *c, az_call *call, int64_t now)
{
    az_pace *p = &c->pace;
    call->pace_seq = ++p->seq;
    call->pace_charged = pace_mask(p, call->pace_cat, call->pace_cls);
    call->pace_clean = 0;
    for (int i = 0; i < p->nb; i++) {
        if (!(call->pace_charged & (1u << i)))
            continue;
        az_pace_bucket *b = &p->b[i];
        if (b->known) {
            pace_advance(b, now);
            if (b->tokens < 1.0)
                b->probe_ms = now;
            b->tokens -= 1.0;
        }
        if (b->flying == 0)
            call->pace_clean |= 1u << i;
        b->flying++;
        call->pace_no[i] = ++b->charged;
    }
}

void az_pace_landed(az_client *c, const az_call *call)
{
    for (int i = 0; i < c->pace.nb; i++)
        if (call->pace_charged & (1u << i))
            c->pace.b[i].flying--;
}

static az_pace_bucket *pace_bucket(az_pace *p, const char *name, size_t len, bool create)
{
    for (int i = 0; i < p->nb; i++)
        if (strlen(p->b[i].name) == len && strncasecmp(p->b[i].name, name, len) == 0)
            return &p->b[i];
    if (!create || p->nb == AZ_PACE_BUCKETS || len >= sizeof p->b[0].name)
        return NULL;
    az_pace_bucket *b = &p->b[p->nb++];
    memset(b, 0, sizeof *b);
    memcpy(b->name, name, len);
    b->name[len] = '\0';
    return b;
}

/* The refill from two of ARM's figures: what came back plus what was
 * spent between them, over the time. Only while the bucket is well below
 * full (a full bucket refills nothing) and every answer between carried
 * the figure (a refused or lost request was not spent). */
static void pace_measure(az_pace_bucket *b, const az_call *call, int idx, double rem)
{
    if (!(call->pace_charged & (1u << idx))) {
        b->anchored = false;
        return;
    }
    uint64_t no = call->pace_no[idx];
    int64_t t = call->sent_ms;
    if (rem >= b->top / 2) {
        b->anchored = false;
        return;
    }
    if (b->anchored && no > b->a_no && t - b->a_ms >= PACE_MEASURE_MS) {
        double obs = (rem - b->a_rem + (double)(no - b->a_no)) / (double)(t - b->a_ms);
        if (obs > 0) {
            b->rate = b->measured ? (b->rate + obs) / 2 : obs;
            if (b->rate < b->rate_floor)
                b->rate = b->rate_floor;
            b->measured = true;
        }
        b->anchored = false;
    }
    if (!b->anchored) {
        b->anchored = true;
        b->a_ms = t;
        b->a_rem = rem;
        b->a_no = no;
    }
}

/* What ARM said is left, less every request still in flight (counting
 * one twice only errs on the slow side until it lands). Over many
 * connections ARM takes requests in no particular order, so a figure only
 * raises the estimate when nothing of the bucket was in flight as its
 * request left ("clean": ARM had counted all before it); any other figure
 * can only lower it. */
static void pace_sync(az_client *c, az_pace_bucket *b, const az_call *call, double rem,
                      int64_t now)
{
    int idx = (int)(b - c->pace.b);
    bool clean = (call->pace_clean & (1u << idx)) != 0 || !b->known;
    if (call->pace_cls >= 0 && idx >= AZ_PACE_NCAT)
        b->classes |= 1u << call->pace_cls;
    double est = rem - (double)(b->flying > 0 ? b->flying : 0);
    if (rem > b->top)
        b->top = rem;
    if (b->known) {
        pace_advance(b, now);
        if (est < b->tokens || (clean && call->pace_seq > b->synced_seq))
            b->tokens = est;
    } else {
        b->known = true;
        b->tokens = est;
        b->at_ms = now;
    }
    if (call->pace_seq > b->synced_seq)
        b->synced_seq = call->pace_seq;
    if (clean)
        pace_measure(b, call, idx, rem);
}

/* A 429 said the bucket is empty: nothing before its Retry-After, and the
 * refill taken as half (once for a burst of 429s, as AIMD counts one loss
 * per round trip; never below a sixteenth of what it was measured or
 * assumed to be) until measured again. */
static void pace_throttled(az_pace_bucket *b, int64_t now, int64_t retry_after_ms)
{
    int64_t hold = retry_after_ms > 0 ? retry_after_ms : PACE_PROBE_MS;
    bool new_episode = b->hold_until_ms <= now;
    if (b->hold_until_ms < now + hold)
        b->hold_until_ms = now + hold;
    b->tokens = 0;
    b->at_ms = b->hold_until_ms;
    if (new_episode && b->rate > 0)
        b->rate = b->rate / 2 > b->rate_floor ? b->rate / 2 : b->rate_floor;
    else if (b->rate <= 0 && retry_after_ms > 0) {
        /* a refill never seen (Compute's policies): the wait ARM named for
         * one token is a rate to start from, on the slow side (rounded up) */
        b->rate = 1.0 / (double)retry_after_ms;
        b->rate_floor = b->rate / 16;
    }
    b->measured = false;
    b->anchored = false;
}

/* One "policy;N" list of x-ms-ratelimit-remaining-resource. */
static bool pace_resource(az_client *c, const az_call *call, const char *v, size_t len,
                          int64_t now, bool is429, int64_t ra)
{
    bool named_empty = false;
    const char *end = v + len;
    while (v < end) {
        const char *comma = memchr(v, ',', (size_t)(end - v));
        const char *item_end = comma ? comma : end;
        const char *semi = memchr(v, ';', (size_t)(item_end - v));
        while (v < item_end && *v == ' ')
            v++;
        if (semi != NULL && semi > v) {
            char num[24];
            size_t nl = (size_t)(item_end - semi - 1);
            if (nl > 0 && nl < sizeof num) {
                memcpy(num, semi + 1, nl);
                num[nl] = '\0';
                char *e;
                long rem = strtol(num, &e, 10);
                az_pace_bucket *b = pace_bucket(&c->pace, v, (size_t)(semi - v), true);
                if (e != num && rem >= 0 && b != NULL) {
                    pace_sync(c, b, call, (double)rem, now);
                    if (is429 && rem < 1) {
                        pace_throttled(b, now, ra);
                        named_empty = true;
                    }
                }
            }
        }
        v = comma ? comma + 1 : end;
    }
    return named_empty;
}

bool az_pace_answered(az_client *c, const az_call *call, int64_t now, int64_t retry_after_ms)
{
    az_pace *p = &c->pace;
    const char *s = call->resp.ratelimit;
    bool is429 = call->resp.status == 429, named_empty = false, seen[AZ_PACE_BUCKETS] = { 0 };
    if (is429)
        p->throttled++;
    /* "name=value name=value": a value may hold spaces (after commas) */
    while (*s != '\0') {
        while (*s == ' ')
            s++;
        const char *eq = strchr(s, '=');
        if (eq == NULL)
            break;
        const char *v = eq + 1, *next = v;
        for (;;) {
            const char *sp = strchr(next, ' ');
            if (sp == NULL) {
                next = v + strlen(v);
                break;
            }
            const char *peq = strchr(sp + 1, '='), *psp = strchr(sp + 1, ' ');
            if (peq != NULL && (psp == NULL || peq < psp)) {
                next = sp;
                break;
            }
            next = sp + 1;
        }
        size_t nlen = (size_t)(eq - s), vlen = (size_t)(next - v);
        if (nlen == 8 && strncasecmp(s, "resource", 8) == 0) {
            named_empty |= pace_resource(c, call, v, vlen, now, is429, retry_after_ms);
        } else if (nlen > 13 && strncasecmp(s, "subscription-", 13) == 0) {
            az_pace_bucket *b = pace_bucket(p, s + 13, nlen - 13, false);
            char num[24];
            if (b != NULL && b - p->b < AZ_PACE_NCAT && vlen > 0 && vlen < sizeof num) {
                memcpy(num, v, vlen);
                num[vlen] = '\0';
                char *e;
                long rem = strtol(num, &e, 10);
                if (e != num && rem >= 0) {
                    seen[b - p->b] = true;
                    pace_sync(c, b, call, (double)rem, now);
                    if (is429 && rem < 1) {
                        pace_throttled(b, now, retry_after_ms);
                        named_empty = true;
                    }
                }
            }
        }
        s = next;
    }
    /* a request the bucket's figure did not come back for (lost, refused
     * by something else) breaks the count a measurement needs */
    for (int i = 0; i < AZ_PACE_NCAT; i++)
        if ((call->pace_charged & (1u << i)) && !seen[i])
            p->b[i].anchored = false;
    return named_empty;
}

uint64_t az_pace_throttled(const az_client *c)
{
    return c->pace.throttled;
}

const az_pace_bucket *az_pace_find(const az_client *c, const char *name)
{
    for (int i = 0; i < c->pace.nb; i++)
        if (strcasecmp(c->pace.b[i].name, name) == 0)
            return &c->pace.b[i];
    return NULL;
}
