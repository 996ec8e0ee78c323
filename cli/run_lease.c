/* `snapkeep run`: the lease in Azure that keeps one policy to one run at
 * a time across hosts and state directories. The protocol and its bound
 * are doc/design.md's ("The lease in Azure"); the decisions are
 * engine/lease.c's; this file reads and writes the tags, waits, and logs.
 * Nothing here prints a token: only tag values and ARM's error texts. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "azure/tags.h"
#include "cli/run.h"

static void sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void lease_log(run_ctx *r, cli_log_level lvl, const run_policy *rp, const char *what,
                      const az_error *err)
{
    cli_log_field f[] = { { "policy", rp->p->name }, { "scope", rp->lease.scope },
                          { "tag", rp->lease.tag },
                          { "code", err != NULL ? err->code : NULL },
                          { "request_id", err != NULL ? err->request_id : NULL } };
    cli_log_emit(&r->log, lvl, "lease", f, 5, "policy %s: %s%s%s", rp->p->name, what,
                 err != NULL ? ": " : "", err != NULL ? err->message : "");
}

/* "policy P is being enforced by another run (host H, pid N, run R, its
 * lease ends T); exiting": the holder named, as the issue asks. */
static void log_holder(run_ctx *r, const run_policy *rp, eng_lease_state st,
                       const eng_lease *h, const char *value)
{
    char until[ENG_TIME_BUFSZ], pid[24];
    eng_time_format(h->expires * SK_USEC_PER_SEC, until, sizeof until);
    snprintf(pid, sizeof pid, "%" PRId64, h->pid);
    cli_log_field f[] = { { "policy", rp->p->name }, { "scope", rp->lease.scope },
                          { "tag", rp->lease.tag },
                          { "holder_host", st == ENG_LEASE_HELD ? h->host : NULL },
                          { "holder_pid", st == ENG_LEASE_HELD ? pid : NULL },
                          { "holder_run", st == ENG_LEASE_HELD ? h->run : NULL },
                          { "lease_until", st == ENG_LEASE_HELD ? until : NULL } };
    if (st == ENG_LEASE_HELD)
        cli_log_emit(&r->log, CLI_LOG_ERROR, "leased", f, 7,
                     "policy %s is being enforced by another run (host %s, pid %s, run %s; "
                     "its lease on %s ends %s): exiting", rp->p->name, h->host, pid, h->run,
                     rp->lease.scope, until);
    else
        cli_log_emit(&r->log, CLI_LOG_ERROR, "leased", f, 3,
                     "policy %s: tag %s on %s holds \"%.80s\", which is no lease this version "
                     "reads; remove the tag if no other run is going: exiting", rp->p->name,
                     rp->lease.tag, rp->lease.scope, value);
}

/* Where a policy's lease lives: its subscription; for a policy over
 * several, the first it names; for `subscription all`, the one given by
 * --subscription or AZURE_SUBSCRIPTION_ID (every run of the policy must
 * then give the same, as it must give the same --lease-wait). */
const char *run_lease_subscription(const run_ctx *r, const run_policy *rp)
{
    if (rp->subscription != NULL)
        return rp->subscription;
    if (rp->p->nsubscriptions > 0)
        return rp->p->subscriptions[0];
    if (r->az.subscription != NULL && r->az.subscription[0] != '\0')
        return r->az.subscription;
    return NULL;
}

static int lease_setup(run_ctx *r, run_policy *rp)
{
    run_lease *l = &rp->lease;
    const char *rg = rp->p->resource_group, *sub = run_lease_subscription(r, rp);
    if (sub == NULL)
        return -1;      /* check_policies refused the run already */
    int n = rg != NULL ? snprintf(l->scope, sizeof l->scope, "/subscriptions/%s/resourceGroups/%s",
                                  sub, rg)
                       : snprintf(l->scope, sizeof l->scope, "/subscriptions/%s", sub);
    if (n < 0 || (size_t)n >= sizeof l->scope ||
        eng_lease_tag_name(rp->p->name, l->tag, sizeof l->tag) < 0) {
        cli_log_emit(&r->log, CLI_LOG_ERROR, "lease", NULL, 0, "policy %s: scope too long for a "
                     "lease", rp->p->name);
        return -1;
    }
    return 0;
}

/* Our value with the lease ending ttl after ARM's arm_now. */
static int lease_value(run_ctx *r, run_lease *l, int64_t arm_now)
{
    eng_lease me;
    memset(&me, 0, sizeof me);
    if (gethostname(me.host, sizeof me.host) != 0)
        snprintf(me.host, sizeof me.host, "unknown");
    me.host[sizeof me.host - 1] = '\0';
    me.pid = (int64_t)getpid();
    snprintf(me.run, sizeof me.run, "%s", r->journal.run_id);
    me.expires = arm_now + ENG_LEASE_TTL_SEC;
    return eng_lease_format(&me, l->value, sizeof l->value) > 0 ? 0 : -1;
}

/* Reads the lease: its state (ENG_LEASE_*), or -1 on error (logged). */
static int lease_read(run_ctx *r, run_policy *rp, eng_lease *holder, char **value,
                      int64_t *arm_now, int64_t *sent_ms)
{
    az_error err;
    run_lease *l = &rp->lease;
    memset(holder, 0, sizeof *holder);
    if (az_tag_get(r->client, l->scope, l->tag, value, arm_now, sent_ms, &err) < 0) {
        lease_log(r, CLI_LOG_ERROR, rp, "reading its lease failed", &err);
        return -1;
    }
    if (*arm_now <= 0) {
        lease_log(r, CLI_LOG_ERROR, rp, "ARM's answer had no Date, so the "
                  "lease's age is unknown", NULL);
        return -1;
    }
    return (int)eng_lease_judge(*value, l->value[0] != '\0' ? l->value : NULL, *arm_now, holder);
}

/* The lease's changes go to the journal too, as notes: a killed run's
 * lease is not resumed (it runs out), but the trail shows who held what. */
static void journal_note(run_ctx *r, const run_policy *rp, const char *what)
{
    char msg[sizeof rp->lease.scope + sizeof rp->lease.tag + 64];
    snprintf(msg, sizeof msg, "%s: tag %s on %s", what, rp->lease.tag, rp->lease.scope);
    cli_journal_entry e = cli_journal_entry_init(run_clock(r), "note");
    e.policy = rp->p->name;
    e.message = msg;
    run_journal(r, &e);
}

/* Step 1 of Fischer's protocol for one policy: read (free or expired),
 * write ours at once. EXIT_OK, EXIT_REFUSED or EXIT_AZURE. */
static int take_one(run_ctx *r, run_policy *rp)
{
    run_lease *l = &rp->lease;
    if (lease_setup(r, rp) != 0)
        return EXIT_INVALID;
    eng_lease h;
    char *value = NULL;
    int64_t arm_now, sent_ms, done_ms;
    int st = lease_read(r, rp, &h, &value, &arm_now, &sent_ms);
    int rc = EXIT_OK;
    if (st < 0) {
        rc = EXIT_AZURE;
    } else if (st == ENG_LEASE_HELD || st == ENG_LEASE_UNREADABLE || st == ENG_LEASE_OURS) {
        log_holder(r, rp, st == ENG_LEASE_OURS ? ENG_LEASE_HELD : (eng_lease_state)st, &h, value);
        rc = EXIT_REFUSED;
    } else {
        if (st == ENG_LEASE_EXPIRED)
            cli_log_emit(&r->log, CLI_LOG_WARN, "lease", NULL, 0, "policy %s: the lease of "
                         "host %s, pid %" PRId64 ", run %s ran out: taking it over", rp->p->name,
                         h.host, h.pid, h.run);
        az_error err;
        if (lease_value(r, l, arm_now) != 0) {
            rc = EXIT_AZURE;
        } else if (az_tag_merge(r->client, l->scope, l->tag, l->value, &done_ms, &err) != 0) {
            lease_log(r, CLI_LOG_ERROR, rp, "writing its lease failed", &err);
            rc = EXIT_AZURE;
        } else if (!eng_lease_write_in_time(done_ms - sent_ms, r->lease_wait_ms)) {
            char what[160];
            snprintf(what, sizeof what, "ARM took %" PRId64 " ms from the lease read to the end of "
                     "its write, over half of --lease-wait (%" PRId64 " ms): giving up",
                     done_ms - sent_ms, r->lease_wait_ms);
            lease_log(r, CLI_LOG_ERROR, rp, what, NULL);
            rc = EXIT_AZURE;
        }
        l->since_ms = sent_ms;
    }
    free(value);
    return rc;
}

/* Step 3: after the wait, the lease must still be exactly ours. */
static int confirm_one(run_ctx *r, run_policy *rp)
{
    eng_lease h;
    char *value = NULL;
    int64_t arm_now, sent_ms;
    int st = lease_read(r, rp, &h, &value, &arm_now, &sent_ms);
    int rc = EXIT_OK;
    if (st < 0) {
        rc = EXIT_AZURE;
    } else if (st != ENG_LEASE_OURS) {
        /* a run that wrote after us won; ours is gone (or was never seen) */
        if (st == ENG_LEASE_FREE || st == ENG_LEASE_EXPIRED) {
            lease_log(r, CLI_LOG_ERROR, rp, "its lease disappeared while it "
                      "was being taken: exiting", NULL);
            rc = EXIT_AZURE;
        } else {
            log_holder(r, rp, (eng_lease_state)st, &h, value);
            rc = EXIT_REFUSED;
        }
        rp->lease.value[0] = '\0';  /* not ours: never released by us */
    } else {
        rp->lease.held = true;
    }
    free(value);
    return rc;
}

int run_lease_take(run_ctx *r)
{
    int rc = EXIT_OK;
    for (size_t i = 0; i < r->npols && rc == EXIT_OK; i++)
        rc = take_one(r, &r->pols[i]);
    if (rc == EXIT_OK) {
        sleep_ms(r->lease_wait_ms);
        for (size_t i = 0; i < r->npols && rc == EXIT_OK; i++)
            rc = confirm_one(r, &r->pols[i]);
    }
    if (rc != EXIT_OK) {
        run_lease_release(r);
        return rc;
    }
    for (size_t i = 0; i < r->npols; i++) {
        const run_policy *rp = &r->pols[i];
        cli_log_field f[] = { { "policy", rp->p->name }, { "scope", rp->lease.scope },
                              { "tag", rp->lease.tag } };
        cli_log_emit(&r->log, CLI_LOG_INFO, "lease", f, 3, "policy %s: lease taken on %s",
                     rp->p->name, rp->lease.scope);
        journal_note(r, rp, "lease taken");
    }
    return EXIT_OK;
}

bool run_lease_ok(const run_ctx *r)
{
    if (r->dry_run || r->client == NULL)
        return !r->lease_lost;
    int64_t now = az_tag_now_ms(r->client);
    for (size_t i = 0; i < r->npols; i++)
        if (r->pols[i].lease.held && !eng_lease_valid(now - r->pols[i].lease.since_ms))
            return false;
    return !r->lease_lost;
}

static void lost(run_ctx *r, bool azure)
{
    r->lease_lost = true;
    if (azure)
        r->azure_failed = true;
    else
        r->refused = true;
}

void run_lease_keep(run_ctx *r)
{
    if (r->dry_run || r->client == NULL || r->lease_lost)
        return;
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        run_lease *l = &rp->lease;
        int64_t now = az_tag_now_ms(r->client);
        if (!l->held || !eng_lease_renew_due(now - l->since_ms))
            continue;
        if (!eng_lease_valid(now - l->since_ms)) {
            lease_log(r, CLI_LOG_ERROR, rp, "its lease ran out before it "
                      "could be renewed: no more changes", NULL);
            lost(r, false);
            return;
        }
        eng_lease h;
        char *value = NULL;
        int64_t arm_now, sent_ms, done_ms;
        int st = lease_read(r, rp, &h, &value, &arm_now, &sent_ms);
        if (st != ENG_LEASE_OURS) {
            if (st >= 0)
                log_holder(r, rp, st == ENG_LEASE_HELD ? ENG_LEASE_HELD : ENG_LEASE_UNREADABLE,
                           &h, value != NULL ? value : "");
            free(value);
            l->held = false;
            l->value[0] = '\0';
            lost(r, st < 0);
            return;
        }
        free(value);
        az_error err;
        if (lease_value(r, l, arm_now) != 0 ||
            az_tag_merge(r->client, l->scope, l->tag, l->value, &done_ms, &err) != 0) {
            lease_log(r, CLI_LOG_ERROR, rp, "renewing its lease failed",
                      &err);
            lost(r, true);
            return;
        }
        /* a renewal that ended after the old lease's end may have come too
         * late: someone could have taken it over in between */
        if (!eng_lease_valid(done_ms - l->since_ms)) {
            lease_log(r, CLI_LOG_ERROR, rp, "its lease was renewed too late: "
                      "no more changes", NULL);
            lost(r, false);
            return;
        }
        l->since_ms = sent_ms;
    }
}

void run_lease_release(run_ctx *r)
{
    if (r->client == NULL)
        return;
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        run_lease *l = &rp->lease;
        if (l->value[0] == '\0')
            continue;
        eng_lease h;
        char *value = NULL;
        int64_t arm_now, sent_ms;
        int st = lease_read(r, rp, &h, &value, &arm_now, &sent_ms);
        free(value);
        /* someone else's now: not ours to remove. Otherwise (ours, or the
         * read failed) the pair goes: ARM removes it only while it still
         * has our value. Tried twice, since a lease left behind blocks
         * the policy until it runs out. */
        if (st == ENG_LEASE_OURS || st < 0) {
            az_error err;
            int rc = az_tag_delete(r->client, l->scope, l->tag, l->value, &err);
            if (rc != 0)
                rc = az_tag_delete(r->client, l->scope, l->tag, l->value, &err);
            if (rc != 0)
                lease_log(r, CLI_LOG_WARN, rp, "releasing its lease failed (it runs out by "
                          "itself)", &err);
            else if (l->held)
                journal_note(r, rp, "lease released");
        }
        l->value[0] = '\0';
        l->held = false;
    }
}
