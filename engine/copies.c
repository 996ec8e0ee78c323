/* Copies in a second region: what a run starts, what it holds, and the copies as their own
 * retention sees them (engine/copies.h; doc/semantics.md "Copies"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ascii.h"
#include "engine/azure_limits.h"
#include "engine/calendar.h"
#include "engine/copies.h"
#include "engine/enforce.h"

/* ---- one copy ---- */

eng_copy_state eng_copy_state_of(const inv_snapshot *s)
{
    if (s->copy_error_code != NULL || !enf_snapshot_taken(s))
        return ENG_COPY_FAILED;
    if (s->has_completion && s->completion_percent < 100.0)
        return ENG_COPY_RUNNING;
    return ENG_COPY_DONE;
}

bool eng_is_copy(const inv_snapshot *s)
{
    return inv_tag_get(s->tags, s->ntags, ENG_COPY_OF_TAG) != NULL;
}

bool eng_copy_owned(const pol_policy *p, const inv_snapshot *s)
{
    const char *owner = inv_tag_get(s->tags, s->ntags, POL_OWNER_TAG);
    return eng_is_copy(s) && owner != NULL && p->name != NULL && strcmp(owner, p->name) == 0;
}

/* The instant of the copy's data: its source's timeCreated, as written at the start. */
static sk_time copy_taken(const inv_snapshot *s)
{
    const char *t = inv_tag_get(s->tags, s->ntags, ENG_COPY_TAKEN_TAG);
    sk_time v;
    if (t != NULL && eng_time_parse(t, strlen(t), &v) == 0)
        return v;
    return s->created;
}

bool eng_copy_view_one(const pol_policy *p, const inv_snapshot *s, inv_snapshot *out)
{
    const char *disk = inv_tag_get(s->tags, s->ntags, ENG_COPY_DISK_TAG);
    if (!eng_copy_owned(p, s) || disk == NULL || disk[0] == '\0')
        return false;
    *out = *s;
    out->source_id = disk;
    out->created = copy_taken(s);
    switch (eng_copy_state_of(s)) {
    case ENG_COPY_RUNNING:
        out->provisioning_state = ENG_COPY_STATE_RUNNING;
        break;
    case ENG_COPY_FAILED:
        out->provisioning_state = enf_snapshot_taken(s) ? "Failed" : s->provisioning_state;
        break;
    case ENG_COPY_DONE:
        break;
    }
    return true;
}

inv_inventory *eng_copy_view(const pol_policy *p, const inv_inventory *dst)
{
    inv_inventory *v = inv_new();
    for (size_t i = 0; v != NULL && i < dst->nsnapshots; i++) {
        inv_snapshot rec;
        if (!eng_copy_view_one(p, &dst->snapshots[i], &rec))
            continue;
        inv_snapshot *s = inv_add_snapshot(v);
        if (s == NULL) {
            inv_free(v);
            return NULL;
        }
        *s = rec;
    }
    return v;
}

size_t eng_copy_running(const inv_inventory *dst)
{
    size_t n = 0;
    for (size_t i = 0; i < dst->nsnapshots; i++)
        if (eng_is_copy(&dst->snapshots[i]) &&
            eng_copy_state_of(&dst->snapshots[i]) == ENG_COPY_RUNNING)
            n++;
    return n;
}

size_t eng_copy_newest_done(const pol_policy *p, const inv_inventory *dst, eng_copy_newest *out,
                            size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < dst->nsnapshots; i++) {
        inv_snapshot v;
        if (!eng_copy_view_one(p, &dst->snapshots[i], &v) ||
            eng_copy_state_of(&dst->snapshots[i]) != ENG_COPY_DONE)
            continue;
        size_t k = 0;
        while (k < n && !inv_id_equal(out[k].disk_id, v.source_id))
            k++;
        if (k == n) {
            if (n == cap)
                continue;
            out[n++] = (eng_copy_newest){ v.source_id, v.created };
        } else if (v.created > out[k].taken) {
            out[k].taken = v.created;
        }
    }
    return n;
}

/* ---- deciding ---- */

typedef struct cp_ctx {
    const pol_policy *p;
    const inv_inventory *src, *dst;
    eng_copy_plan *out;
    bool oom;
} cp_ctx;

static void *grow(cp_ctx *c, void *arr, size_t n, size_t size)
{
    void *q = realloc(arr, (n + 1) * size);
    if (q == NULL)
        c->oom = true;
    return q;
}

static void note(cp_ctx *c, const inv_snapshot *src, const inv_snapshot *copy, bool gave_up,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void note(cp_ctx *c, const inv_snapshot *src, const inv_snapshot *copy, bool gave_up,
                 const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    eng_copy_note *n = grow(c, c->out->notes, c->out->nnotes, sizeof *n);
    if (n == NULL)
        return;
    c->out->notes = n;
    eng_copy_note *slot = &n[c->out->nnotes];
    *slot = (eng_copy_note){ src, copy, gave_up, strdup(buf) };
    if (slot->message == NULL)
        c->oom = true;
    else
        c->out->nnotes++;
}

static void hold(cp_ctx *c, const inv_snapshot *src, const inv_snapshot *copy)
{
    eng_copy_hold *h = grow(c, c->out->holds, c->out->nholds, sizeof *h);
    if (h == NULL)
        return;
    c->out->holds = h;
    int pct = copy != NULL && copy->has_completion ? (int)copy->completion_percent : 0;
    h[c->out->nholds++] = (eng_copy_hold){ src, copy, pct < 0 ? 0 : pct > 99 ? 99 : pct };
}

static const inv_snapshot *find_id(const inv_inventory *inv, const char *id)
{
    for (size_t i = 0; id != NULL && i < inv->nsnapshots; i++)
        if (inv->snapshots[i].id != NULL && inv_id_equal(inv->snapshots[i].id, id))
            return &inv->snapshots[i];
    return NULL;
}

static bool is_source(const pol_policy *p, const inv_snapshot *s, const inv_inventory *src,
                      sk_time now)
{
    return !eng_is_copy(s) && s->id != NULL && s->id[0] != '\0' && s->source_id != NULL &&
           s->created <= now && enf_snapshot_usable(s) && eng_policy_owns(p, s, src);
}

static void start(cp_ctx *c, const inv_snapshot *s, int attempt)
{
    eng_copy_start *st = grow(c, c->out->starts, c->out->nstarts, sizeof *st);
    if (st == NULL)
        return;
    c->out->starts = st;
    eng_copy_start *x = &st[c->out->nstarts];
    memset(x, 0, sizeof *x);
    char suffix[16] = "";
    if (attempt > 1)
        snprintf(suffix, sizeof suffix, "-r%d", attempt);
    if (eng_resource_name(s->name, "c", suffix, x->name, sizeof x->name) < 0)
        return;
    x->source = s;
    x->attempt = attempt;
    c->out->nstarts++;
    hold(c, s, NULL);
}

/* Which sources the copy's rules keep at now, over the policy's backups (one flag per
 * snapshot of src); a count rule's keep counts only as the first of a period the disk's
 * newest copied source is not in, since the rule's pick in the current period moves on with
 * every new snapshot. */
typedef struct sel_ctx {
    bool *kept_by_rule;         /* per src snapshot */
    const pol_rule **count_rule;    /* per src snapshot: the first count rule keeping it */
} sel_ctx;

static int select_sources(cp_ctx *c, sk_time now, sel_ctx *sel)
{
    const pol_policy *ret = c->p->copy->retention;
    size_t n = c->src->nsnapshots;
    inv_inventory *v = inv_new();
    size_t *back = calloc(n ? n : 1, sizeof *back);
    inv_tag *owner = v != NULL ? inv_alloc(v, sizeof *owner) : NULL;
    if (v == NULL || back == NULL || owner == NULL) {
        inv_free(v);
        free(back);
        return -1;
    }
    owner->key = POL_OWNER_TAG;
    owner->value = ret->name;
    for (size_t i = 0; i < n; i++) {
        const inv_snapshot *s = &c->src->snapshots[i];
        if (!is_source(c->p, s, c->src, now))
            continue;
        inv_snapshot *r = inv_add_snapshot(v);
        if (r == NULL)
            goto fail;
        *r = *s;
        r->tags = owner;        /* owned by the retention whatever the source's tags */
        r->ntags = 1;
        back[v->nsnapshots - 1] = i;
    }
    eng_plan *plan = NULL;
    char err[256];
    if (eng_evaluate((const pol_policy *const *)&ret, 1, v, now, &plan, err, sizeof err) != 0)
        goto fail;
    for (size_t k = 0; k < plan->ndecisions; k++) {
        const eng_decision *d = &plan->decisions[k];
        for (uint32_t j = 0; j < d->nreasons; j++) {
            const eng_reason *r = &d->reasons[j];
            if (r->kind != ENG_R_RULE || r->rule == NULL)
                continue;
            if (r->rule->kind == POL_COUNT || r->rule->kind == POL_PERIOD_WITHIN) {
                if (sel->count_rule[back[k]] == NULL)
                    sel->count_rule[back[k]] = r->rule;
            } else {
                sel->kept_by_rule[back[k]] = true;
            }
        }
    }
    eng_plan_free(plan);
    inv_free(v);
    free(back);
    return 0;
fail:
    inv_free(v);
    free(back);
    return -1;
}

/* Whether source s is wanted, given the disk's newest copied source time `last` (have_last). */
static bool wanted(const cp_ctx *c, const sel_ctx *sel, size_t i, bool have_last, sk_time last)
{
    if (sel->kept_by_rule[i])
        return true;
    const pol_rule *rule = sel->count_rule[i];
    if (rule == NULL)
        return false;
    if (!have_last)
        return true;
    const eng_tz *tz = c->p->copy->retention->tz;
    return eng_bucket(rule->period, tz, c->src->snapshots[i].created) !=
           eng_bucket(rule->period, tz, last);
}

/* One disk: hold a running copy's source, retry a failed one, or start the next. */
static void decide_disk(cp_ctx *c, const char *disk, const sel_ctx *sel, sk_time now,
                        size_t *slots)
{
    const inv_inventory *dst = c->dst;
    bool running = false, have_last = false;
    sk_time last = SK_TIME_MIN;
    const char *last_src = NULL;
    for (size_t i = 0; i < dst->nsnapshots; i++) {
        const inv_snapshot *cp = &dst->snapshots[i];
        inv_snapshot v;
        if (!eng_copy_view_one(c->p, cp, &v) || !inv_id_equal(v.source_id, disk))
            continue;
        const char *of = inv_tag_get(cp->tags, cp->ntags, ENG_COPY_OF_TAG);
        if (eng_copy_state_of(cp) == ENG_COPY_RUNNING) {
            running = true;
            const inv_snapshot *s = find_id(c->src, of);
            if (s != NULL)
                hold(c, s, cp);
        }
        if (!have_last || v.created > last) {
            have_last = true;
            last = v.created;
            last_src = of;
        }
    }
    if (running) {
        c->out->running++;
        return;
    }
    /* the newest copied source: all its copies failed? */
    if (have_last) {
        int failed = 0, other = 0;
        const inv_snapshot *failed_copy = NULL;
        for (size_t i = 0; i < dst->nsnapshots; i++) {
            const inv_snapshot *cp = &dst->snapshots[i];
            const char *of = inv_tag_get(cp->tags, cp->ntags, ENG_COPY_OF_TAG);
            if (!eng_copy_owned(c->p, cp) || of == NULL || !inv_id_equal(of, last_src))
                continue;
            if (eng_copy_state_of(cp) == ENG_COPY_FAILED) {
                failed++;
                failed_copy = cp;
            } else {
                other++;
            }
        }
        const inv_snapshot *s = find_id(c->src, last_src);
        if (other == 0 && failed > 0) {
            /* "" is an error object without a code (azure/inventory_read.c) */
            const char *code = failed_copy->copy_error_code == NULL
                             ? (failed_copy->provisioning_state ? failed_copy->provisioning_state : "?")
                             : failed_copy->copy_error_code[0] != '\0' ? failed_copy->copy_error_code
                             : "copyCompletionError";
            if (failed >= ENG_COPY_ATTEMPTS_MAX) {
                note(c, s, failed_copy, true, "copy of %s to %s failed %d times (last: %s): "
                     "given up; the next snapshot of the disk is copied instead",
                     enf_id_name(last_src), c->p->copy->region, failed, code);
            } else if (s != NULL && is_source(c->p, s, c->src, now)) {
                note(c, s, failed_copy, false, "copy of %s to %s failed (%s): attempt %d of %d",
                     s->name, c->p->copy->region, code, failed + 1, ENG_COPY_ATTEMPTS_MAX);
                if (*slots == 0) {
                    c->out->waiting++;
                    return;
                }
                (*slots)--;
                start(c, s, failed + 1);
                return;
            } else {
                note(c, s, failed_copy, false, "copy of %s to %s failed (%s) and the source "
                     "is gone: the next snapshot of the disk is copied instead",
                     enf_id_name(last_src), c->p->copy->region, code);
            }
        }
    }
    /* the oldest wanted source newer than the newest copied one */
    const inv_snapshot *best = NULL;
    for (size_t i = 0; i < c->src->nsnapshots; i++) {
        const inv_snapshot *s = &c->src->snapshots[i];
        if (!is_source(c->p, s, c->src, now) || !inv_id_equal(s->source_id, disk))
            continue;
        if (have_last && s->created <= last)
            continue;
        if (!wanted(c, sel, i, have_last, last))
            continue;
        if (best == NULL || s->created < best->created ||
            (s->created == best->created && strcmp(s->name, best->name) < 0))
            best = s;
    }
    if (best == NULL)
        return;
    if (*slots == 0) {
        c->out->waiting++;
        return;
    }
    (*slots)--;
    start(c, best, 1);
}

int eng_copy_decide(const pol_policy *p, const inv_inventory *src, const inv_inventory *dst,
                    sk_time now, size_t *slots, eng_copy_plan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (p->copy == NULL || p->copy->retention == NULL) {
        snprintf(err, errlen, "policy \"%s\" makes no copies", p->name ? p->name : "");
        return -1;
    }
    cp_ctx c = { p, src, dst, out, false };
    size_t n = src->nsnapshots;
    sel_ctx sel = { calloc(n ? n : 1, sizeof *sel.kept_by_rule),
                    calloc(n ? n : 1, sizeof *sel.count_rule) };
    if (sel.kept_by_rule == NULL || sel.count_rule == NULL || select_sources(&c, now, &sel) != 0)
        c.oom = true;
    /* the disks: those of the policy's sources, then those only copies remember */
    for (size_t i = 0; !c.oom && i < n; i++) {
        const inv_snapshot *s = &src->snapshots[i];
        if (!is_source(p, s, src, now))
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = is_source(p, &src->snapshots[k], src, now) &&
                   inv_id_equal(src->snapshots[k].source_id, s->source_id);
        if (!seen)
            decide_disk(&c, s->source_id, &sel, now, slots);
    }
    for (size_t i = 0; !c.oom && i < dst->nsnapshots; i++) {
        inv_snapshot v;
        if (!eng_copy_view_one(p, &dst->snapshots[i], &v))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = is_source(p, &src->snapshots[k], src, now) &&
                   inv_id_equal(src->snapshots[k].source_id, v.source_id);
        for (size_t k = 0; k < i && !seen; k++) {
            inv_snapshot w;
            seen = eng_copy_view_one(p, &dst->snapshots[k], &w) &&
                   inv_id_equal(w.source_id, v.source_id);
        }
        if (!seen)
            decide_disk(&c, v.source_id, &sel, now, slots);
    }
    free(sel.kept_by_rule);
    free(sel.count_rule);
    if (c.oom) {
        eng_copy_plan_free(out);
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "out of memory deciding the copies of policy \"%s\"", p->name);
        return -1;
    }
    return 0;
}

void eng_copy_plan_free(eng_copy_plan *cp)
{
    if (cp == NULL)
        return;
    for (size_t i = 0; i < cp->nnotes; i++)
        free(cp->notes[i].message);
    free(cp->notes);
    free(cp->starts);
    free(cp->holds);
    memset(cp, 0, sizeof *cp);
}

/* ---- holding sources ---- */

int eng_copy_protect(eng_plan *plan, const pol_policy *p, const eng_copy_plan *cp,
                     void **store)
{
    *store = NULL;
    size_t need = 0;
    for (size_t i = 0; i < plan->ndecisions; i++) {
        const eng_decision *d = &plan->decisions[i];
        for (size_t h = 0; h < cp->nholds; h++)
            if (d->snap->id != NULL && inv_id_equal(d->snap->id, cp->holds[h].source->id)) {
                need += d->nreasons + 1;
                break;
            }
    }
    if (need == 0)
        return 0;
    eng_reason *rs = calloc(need, sizeof *rs);
    if (rs == NULL)
        return -1;
    size_t at = 0;
    for (size_t i = 0; i < plan->ndecisions; i++) {
        eng_decision *d = &plan->decisions[i];
        const eng_copy_hold *hd = NULL;
        for (size_t h = 0; h < cp->nholds && hd == NULL; h++)
            if (d->snap->id != NULL && inv_id_equal(d->snap->id, cp->holds[h].source->id))
                hd = &cp->holds[h];
        if (hd == NULL)
            continue;
        eng_reason *mine = rs + at;
        mine[0] = (eng_reason){ .kind = ENG_R_COPYING, .policy = p,
                                .state = p->copy->region, .percent = hd->percent };
        if (d->nreasons > 0)
            memcpy(mine + 1, d->reasons, d->nreasons * sizeof *mine);
        at += d->nreasons + 1;
        d->reasons = mine;
        d->nreasons++;
        if (d->action == ENG_PRUNE) {
            d->action = ENG_KEEP;
            plan->nprune--;
            plan->nkeep++;
            if (d->group < plan->ngroups) {
                plan->groups[d->group].nprune--;
                plan->groups[d->group].nkeep++;
            }
            if (d->policy == NULL)
                d->policy = p;
        }
    }
    *store = rs;
    return 0;
}

void eng_copy_protect_free(void *store)
{
    free(store);
}
