/* snapkeep run: scheduled enforcement. Per policy: list, create what is
 * due, re-read, evaluate, delete what the plan prunes, behind the rails
 * of doc/design.md and snapkeep(1): one run per state directory, a journal
 * of every change, fail closed on listing errors and clock skew, stale
 * disks left alone, max-delete, ownership, and a re-read before every
 * delete. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/oom.h"
#include "cli/report.h"
#include "cli/run.h"

enum {
    OPT_DRY_RUN = CLI_OPT_AZURE_LAST + 1, OPT_NOW, OPT_STATE_DIR, OPT_MAX_DELETE,
    OPT_ALLOW_STALE, OPT_LOG_FORMAT, OPT_METRICS_FILE, OPT_LEASE_WAIT
};


sk_time run_clock(const run_ctx *r)
{
    return r->now + (cli_now() - r->real_start);
}

int run_journal(run_ctx *r, const cli_journal_entry *e)
{
    if (r->dry_run)
        return 0;
    char err[512];
    if (!r->journaling || cli_journal_write(&r->journal, e, err, sizeof err) != 0) {
        cli_log_emit(&r->log, CLI_LOG_ERROR, "journal", NULL, 0, "%s; the change it "
                     "announces is not made", r->journaling ? err : "journal not open");
        r->azure_failed = true;     /* stop deleting: the audit trail is gone */
        return -1;
    }
    return 0;
}

void run_journal_outcome(run_ctx *r, const char *op_name, const char *policy, const char *disk,
                         const char *resource, const az_op *op, const char *skipped_why)
{
    cli_journal_entry e = cli_journal_entry_init(run_clock(r), "outcome");
    e.op = op_name;
    e.policy = policy;
    e.disk = disk;
    e.resource = resource;
    e.outcome = op->status == AZ_OP_DONE ? (op->already_gone ? "already-gone" : "done")
              : op->status == AZ_OP_SKIPPED ? "skipped" : "failed";
    e.request_id = op->err.request_id;
    if (op->status == AZ_OP_FAILED) {
        e.error_code = op->err.code;
        e.error = op->err.message;
    } else if (op->status == AZ_OP_SKIPPED) {
        e.error = skipped_why;
    }
    run_journal(r, &e);
}

bool run_err_is_client(const az_error *err)
{
    int s = err->http_status;
    if (err->transport || err->retries_exhausted)
        return false;
    /* an answer about this one operation: refused (4xx), or a resource read
     * back as provisioningState Failed (2xx); a failed operation poll has
     * no status and counts as Azure's failure, which only holds more back */
    return (s >= 200 && s < 300) || (s >= 400 && s < 500 && s != 408 && s != 429);
}

void run_log_az(run_ctx *r, cli_log_level level, const char *event, const run_policy *rp,
                const char *resource, const az_error *err, const char *what)
{
    char status[16] = "";
    if (az_error_is_oom(err)) {     /* no Azure failure: cli/oom.h */
        cli_oom_note();
        cli_log_field f[] = { { "policy", rp != NULL ? rp->p->name : NULL }, { "resource", resource } };
        cli_log_emit(&r->log, level, "oom", f, 2, "out of memory (%s)", what);
        return;
    }
    if (err->http_status != 0)
        snprintf(status, sizeof status, "%d", err->http_status);
    cli_log_field f[] = { { "policy", rp != NULL ? rp->p->name : NULL },
                          { "resource", resource }, { "code", err->code },
                          { "http_status", status }, { "request_id", err->request_id },
                          { "retries_exhausted", err->retries_exhausted ? "true" : NULL } };
    cli_log_emit(&r->log, level, event, f, 6, "%s: %s: %s", what,
                 err->code[0] != '\0' ? err->code : (err->transport ? "no answer" : "Error"),
                 err->message);
}

/* ---- options ---- */

static int run_option(run_ctx *r, int opt, const char *arg, cli_log_format *fmt)
{
    switch (opt) {
    case OPT_DRY_RUN: r->dry_run = true; return 0;
    case OPT_ALLOW_STALE: r->allow_stale = true; return 0;
    case OPT_STATE_DIR: r->state_dir = arg; return 0;
    case OPT_METRICS_FILE: r->metrics_file = arg; return 0;
    case OPT_NOW: return cli_parse_time_opt("--now", arg, &r->now);
    case OPT_LEASE_WAIT: {
        char *end;
        double s = strtod(arg, &end);
        if (*arg != '\0' && *end == '\0' && s >= 0.01 && s <= ENG_LEASE_WAIT_MAX_MS / 1000.0) {
            r->lease_wait_ms = (int64_t)(s * 1000.0 + 0.5);
            return 0;
        }
        cli_err("--lease-wait: '%s' is not a number of seconds from 0.01 to %d", arg,
                ENG_LEASE_WAIT_MAX_MS / 1000);
        return -1;
    }
    case OPT_LOG_FORMAT:
        return cli_log_parse_format(arg, fmt);
    case OPT_MAX_DELETE:
        return cli_parse_max_delete(arg, &r->max_delete);
    default:
        return cli_azure_option(&r->az, opt, arg) == 1 ? 0 : -1;
    }
}

/* run_option with what the command line sets beside the context */
typedef struct run_args {
    run_ctx *r;
    cli_log_format *fmt;
    bool *have_now;
} run_args;

static int run_arg(void *ctx, int opt, const char *arg)
{
    run_args *a = ctx;
    if (opt == OPT_NOW)
        *a->have_now = true;
    return run_option(a->r, opt, arg, a->fmt);
}

static int parse_args(int argc, char **argv, run_ctx *r, cli_log_format *fmt, bool *have_now)
{
    static const struct option longopts[] = {
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "now", required_argument, NULL, OPT_NOW },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "max-delete", required_argument, NULL, OPT_MAX_DELETE },
        { "allow-stale", no_argument, NULL, OPT_ALLOW_STALE },
        { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
        { "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
        { "lease-wait", required_argument, NULL, OPT_LEASE_WAIT },
        { "help", no_argument, NULL, 'h' },
        CLI_AZURE_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    run_args args = { r, fmt, have_now };
    return cli_parse_options(argc, argv, "run", longopts, run_arg, &args, &r->policy_path);
}

/* ---- set-up ---- */

static int check_policies(run_ctx *r)
{
    if (r->file->bare || r->file->npolicies == 0) {
        cli_log_emit(&r->log, CLI_LOG_ERROR, "policy", NULL, 0,
                     "%s is a bare policy body: it has no Azure scope, so run would not know "
                     "which disks it governs; write it as `policy NAME { ... }` with "
                     "`resource-group`, `disk` or `disks tagged`", r->policy_path);
        return EXIT_INVALID;
    }
    r->pols = calloc(r->file->npolicies, sizeof *r->pols);
    if (r->pols == NULL)
        return EXIT_AZURE;
    r->npols = r->file->npolicies;
    for (size_t i = 0; i < r->npols; i++) {
        r->pols[i].p = r->file->policies[i];
        if (cli_policy_scope_subscription(&r->az, r->pols[i].p, &r->pols[i].subscription) != 0)
            return EXIT_INVALID;
        if (!r->dry_run && run_lease_subscription(r, &r->pols[i]) == NULL) {
            cli_log_emit(&r->log, CLI_LOG_ERROR, "lease", NULL, 0, "policy %s is over every "
                         "subscription: name the one its lease lives in with --subscription "
                         "(or AZURE_SUBSCRIPTION_ID)", r->pols[i].p->name);
            return EXIT_INVALID;
        }
    }
    return EXIT_OK;
}

/* Reports the runs before this one that never finished, and marks them
 * reported in the journal. */
static void report_interrupted(run_ctx *r)
{
    cli_journal_scan scan;
    char err[512];
    if (cli_journal_scan_file(r->journal.path, &scan, err, sizeof err) != 0) {
        cli_log_emit(&r->log, CLI_LOG_WARN, "journal", NULL, 0, "%s", err);
        return;
    }
    for (size_t i = 0; i < scan.nruns; i++) {
        int64_t pending = 0;
        for (size_t k = 0; k < scan.npending; k++) {
            const cli_journal_pending *p = &scan.pending[k];
            if (strcmp(p->run, scan.runs[i]) != 0)
                continue;
            pending++;
            cli_log_field f[] = { { "prev_run", p->run }, { "op", p->op },
                                  { "policy", p->policy }, { "resource", p->resource } };
            cli_log_emit(&r->log, CLI_LOG_WARN, "interrupted", f, 4,
                         "interrupted %s of %s (intended %s) has no outcome; this run's "
                         "listing shows how it ended", p->op, enf_id_name(p->resource), p->time);
        }
        cli_log_field f[] = { { "prev_run", scan.runs[i] } };
        cli_log_emit(&r->log, CLI_LOG_WARN, "interrupted", f, 1,
                     "run %s did not finish (%lld action%s without outcome)", scan.runs[i],
                     (long long)pending, cli_s((size_t)pending));
        cli_journal_entry e = cli_journal_entry_init(run_clock(r), "interrupted");
        e.prev_run = scan.runs[i];
        e.pending = pending;
        run_journal(r, &e);
    }
    cli_journal_scan_free(&scan);
}

static int open_state(run_ctx *r)
{
    char err[1024];
    const char *dir = cli_state_dir_for(r->state_dir);
    int rc = cli_state_open(&r->state, dir, "run", err, sizeof err);
    if (rc != 0)
        return cli_state_failed(&r->log, rc, err);
    /* refused before any work, not only when the metrics are written */
    if (r->metrics_file != NULL &&
        cli_file_dir_check_private(r->metrics_file, err, sizeof err) == 1) {
        cli_log_emit(&r->log, CLI_LOG_ERROR, "unsafe", NULL, 0, "metrics file: %s; exiting", err);
        return EXIT_REFUSED;
    }
    if (cli_journal_open(&r->journal, &r->state, "run", r->now, err, sizeof err) != 0)
        return cli_state_failed(&r->log, -1, err);
    r->journaling = true;
    report_interrupted(r);
    cli_journal_entry e = cli_journal_entry_init(run_clock(r), "start");
    e.message = r->policy_path;
    return run_journal(r, &e) == 0 ? EXIT_OK : EXIT_INVALID;
}

/* ---- the run ---- */

static void check_skew(run_ctx *r)
{
    bool known = false;
    int64_t skew = r->client != NULL ? az_clock_skew(r->client, &known) : 0;
    /* ARM's Date against the run's clock (--now advances with real time) */
    int64_t eff = skew + (r->real_start - r->now) / SK_USEC_PER_SEC;
    if (known && eff <= ENF_SKEW_LIMIT_SEC && eff >= -ENF_SKEW_LIMIT_SEC)
        return;
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)eff);
    cli_log_field f[] = { { "skew_seconds", known ? s : NULL } };
    if (known)
        cli_log_emit(&r->log, CLI_LOG_ERROR, "clock-skew", f, 1,
                     "the local clock and ARM's differ by %llds (limit %ds): nothing is deleted",
                     (long long)eff, ENF_SKEW_LIMIT_SEC);
    else
        cli_log_emit(&r->log, CLI_LOG_ERROR, "clock-skew", f, 0,
                     "ARM's clock is unknown (no Date header): nothing is deleted");
    r->refused = true;
}

/* Only snapshots with data (provisioning Succeeded) are evaluated: a
 * failed or unfinished creation must not take a tier's place and get a
 * good snapshot pruned. The records point into `src`; the disks are
 * `disks`' (the listing made before creation, whose gone disks run_judge
 * confirmed: a disk missing from a later listing must not make its
 * snapshots look retired). A copy-to copy listed with the sources (a
 * subscription-wide policy) is not one of them: its own retention decides
 * it (run_copy.c). */
static bool usable(const inv_snapshot *s, const void *ctx)
{
    (void)ctx;
    return enf_snapshot_usable(s) && !eng_is_copy(s);
}

static inv_inventory *usable_copy(const inv_inventory *src, const inv_inventory *disks)
{
    inv_inventory *dst = inv_view_filtered(src, usable, NULL);
    if (dst == NULL)
        return NULL;
    dst->ndisks = 0;                /* the snapshots of src, the disks of `disks` */
    for (size_t i = 0; i < disks->ndisks; i++) {
        inv_disk *d = inv_add_disk(dst);
        if (d == NULL) {
            inv_free(dst);
            return NULL;
        }
        *d = disks->disks[i];
    }
    dst->disks_known = disks->disks_known;
    dst->disk_scopes = disks->disk_scopes;      /* in disks' arena, which outlives dst */
    dst->ndisk_scopes = disks->ndisk_scopes;
    return dst;
}

static size_t created_or_failed(const run_ctx *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->npols; i++)
        n += r->pols[i].n.created + r->pols[i].n.failed;
    return n;
}

static void print_dry_plan(run_ctx *r, const eng_plan *plan, const inv_inventory *inv)
{
    rpt_plan rp = { .plan = plan, .file = r->file, .inv = inv, .policy_path = r->policy_path,
                    .inventory_path = NULL, .colour = cli_use_colour(stdout) };
    if (rpt_plan_table(stdout, &rp) != 0 || fflush(stdout) != 0)
        cli_log_emit(&r->log, CLI_LOG_ERROR, "output", NULL, 0, "writing the plan failed");
}

/* The plan's warnings (a snapshot dated in the future, ...), which the
 * contract says are reported: in a run, as log lines. */
static void log_notes(run_ctx *r, const eng_plan *plan)
{
    for (size_t i = 0; i < plan->nnotes; i++) {
        const eng_note *n = &plan->notes[i];
        cli_log_field f[] = { { "policy", n->policy != NULL ? n->policy->name : NULL },
                              { "snapshot", n->snap != NULL ? n->snap->name : NULL } };
        cli_log_emit(&r->log, CLI_LOG_WARN, "note", f, 2, "%s", n->message);
    }
}

/* Evaluates and prunes; returns the inventory the plan was made on. */
static inv_inventory *evaluate_and_prune(run_ctx *r, inv_inventory *evalinv)
{
    eng_plan *plan = NULL;
    char err[512];
    if (eng_evaluate((const pol_policy *const *)r->file->policies, r->file->npolicies, evalinv,
                     r->dry_run ? r->now : run_clock(r), &plan, err, sizeof err) != 0) {
        cli_log_emit(&r->log, CLI_LOG_ERROR, "evaluate", NULL, 0, "%s: nothing deleted", err);
        r->azure_failed = true;
        return evalinv;
    }
    /* copies first: their sources are held in the plan before anything is pruned */
    run_copy_start(r, plan, evalinv);
    run_count_kept(r, plan, evalinv);
    log_notes(r, plan);
    if (r->dry_run)
        print_dry_plan(r, plan, evalinv);
    run_prune(r, plan, evalinv);
    eng_plan_free(plan);
    run_copy_prune(r);
    return evalinv;
}

static inv_inventory *enforce(run_ctx *r)
{
    az_error err;
    memset(&err, 0, sizeof err);
    if (az_client_new(&r->az.opts, &r->client, &err) != 0) {
        run_log_az(r, CLI_LOG_ERROR, "azure", NULL, NULL, &err, "cannot talk to Azure");
        r->azure_failed = true;
        return NULL;
    }
    /* the lease before the listing: a second run of the policy anywhere
     * stops here, having read nothing it could act on */
    if (!r->dry_run) {
        int rc = run_lease_take(r);
        if (rc != EXIT_OK) {
            if (rc == EXIT_REFUSED)
                r->refused = true;
            else
                r->azure_failed = true;
            return NULL;
        }
    }
    if (cli_live_inventory(r->client, &r->az, r->file, &r->before) != EXIT_OK) {
        cli_log_emit(&r->log, CLI_LOG_ERROR, "list", NULL, 0, "%s: nothing is created or deleted",
                     cli_oom_seen() ? "out of memory while listing" : "the snapshot listing failed");
        r->azure_failed = true;
        return NULL;
    }
    /* fail closed in the copy region too: a partial listing of the copies would prune them
     * wrongly, and copies would be started again */
    if (!run_copy_list(r)) {
        cli_log_emit(&r->log, CLI_LOG_ERROR, "list", NULL, 0,
                     "the copies' listing failed: nothing is created, copied or deleted");
        return NULL;
    }
    check_skew(r);
    run_judge(r);
    inv_inventory *evalinv = NULL;
    if (r->dry_run) {
        evalinv = usable_copy(r->before, r->before);
        if (evalinv != NULL)
            run_create(r, evalinv);
    } else {
        run_lease_keep(r);
        if (r->lease_lost)
            return NULL;
        run_create(r, NULL);
        run_lease_keep(r);
        if (r->lease_lost)
            return NULL;
        r->after = r->before;
        if (created_or_failed(r) > 0 &&
            cli_live_inventory(r->client, &r->az, r->file, &r->after) != EXIT_OK) {
            cli_log_emit(&r->log, CLI_LOG_ERROR, "list", NULL, 0,
                         "re-reading the snapshots after creation failed: nothing is deleted");
            r->after = NULL;
            r->azure_failed = true;
            return NULL;
        }
        check_skew(r);
        evalinv = usable_copy(r->after, r->before);
    }
    if (evalinv == NULL) {
        cli_oom_note();
        cli_log_emit(&r->log, CLI_LOG_ERROR, "oom", NULL, 0, "out of memory: nothing deleted");
        return NULL;
    }
    /* a lease lost here holds every delete back (rail lease_lost) */
    run_lease_keep(r);
    return evaluate_and_prune(r, evalinv);
}

static int exit_code(const run_ctx *r)
{
    /* an allocation failure anywhere, even one a step survived: exit 7,
     * and run_prune held back every delete after it */
    if (cli_oom_seen())
        return EXIT_NOMEM;
    if (r->azure_failed)
        return EXIT_AZURE;
    if (r->refused)
        return EXIT_REFUSED;
    if (r->stale)
        return EXIT_STALE;
    return r->partial ? EXIT_PARTIAL : EXIT_OK;
}

/* The metrics first: a metrics file that cannot be written turns a clean
 * run into a partial one (exit 4), and the journal and the record say so. */
static int finish(run_ctx *r, const inv_inventory *inv, int rc)
{
    if ((r->journaling || r->dry_run) && run_metrics(r, inv, rc) != 0 && rc == EXIT_OK)
        rc = EXIT_PARTIAL;
    if (!r->dry_run && r->journaling) {
        run_counts t = { 0 };
        for (size_t i = 0; i < r->npols; i++) {
            t.created += r->pols[i].n.created;
            t.pruned += r->pols[i].n.pruned;
            t.failed += r->pols[i].n.failed;
            t.deferred += r->pols[i].n.deferred;
        }
        cli_journal_entry e = cli_journal_entry_init(run_clock(r), "end");
        e.exit_code = rc;
        e.created = (int64_t)t.created;
        e.deleted = (int64_t)t.pruned;
        e.failed = (int64_t)t.failed;
        e.deferred = (int64_t)t.deferred;
        run_record(r, rc);
        char err[512];
        if (run_journal(r, &e) == 0 && cli_journal_rotate(&r->journal, err, sizeof err) != 0)
            cli_log_emit(&r->log, CLI_LOG_WARN, "journal", NULL, 0, "%s", err);
    }
    run_summary(r, rc);
    return rc;
}

static void cleanup(run_ctx *r, inv_inventory *evalinv)
{
    for (size_t i = 0; i < r->npols; i++) {
        run_policy *rp = &r->pols[i];
        for (size_t k = 0; k < rp->ndisks; k++) {
            free(rp->disks[k].id);
            free(rp->disks[k].location);
        }
        for (size_t k = 0; k < rp->ngroups; k++)
            free(rp->groups[k].source);
        free(rp->disks);
        free(rp->groups);
        run_copy_free(rp);
    }
    free(r->pols);
    free(r->deleted);
    inv_free(evalinv);
    if (r->after != r->before)
        inv_free(r->after);
    inv_free(r->before);
    /* After an allocation failed inside libcurl, its share cleanup can free
     * a connection twice (libcurl 7.88, seen under tests/integration/
     * run_oom.sh): the process is about to exit 7, and its memory goes with
     * it, so the client is left as it is rather than risk an abort. */
    if (!cli_oom_seen())
        az_client_free(r->client);
    cli_journal_close(&r->journal);
    cli_state_close(&r->state);
    pol_file_free(r->file);
}

int cmd_run(int argc, char **argv)
{
    run_ctx r;
    memset(&r, 0, sizeof r);
    r.max_delete = -1;
    r.lease_wait_ms = ENG_LEASE_WAIT_DEFAULT_MS;
    r.journal.fd = -1;
    r.state.lock_fd = -1;
    cli_azure_init(&r.az);
    cli_log_format fmt = CLI_LOG_TEXT;
    bool have_now = false;
    int rc = parse_args(argc, argv, &r, &fmt, &have_now);
    if (rc != 0)
        return rc == CLI_HELPED ? EXIT_OK : rc;
    r.real_start = cli_now();
    if (!have_now)
        r.now = r.real_start;
    cli_log_init(&r.log, "run", fmt, stderr);
    r.file = cli_load_policy(r.policy_path, false);
    if (r.file == NULL)
        return EXIT_INVALID;
    rc = check_policies(&r);
    if (rc == EXIT_OK && !r.dry_run)
        rc = open_state(&r);
    inv_inventory *evalinv = NULL;
    if (rc == EXIT_OK) {
        evalinv = enforce(&r);
        if (!r.dry_run)
            run_lease_release(&r);
        rc = finish(&r, evalinv != NULL ? evalinv : r.before, exit_code(&r));
    }
    cleanup(&r, evalinv);
    return rc;
}
