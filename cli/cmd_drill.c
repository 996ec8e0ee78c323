/* snapkeep drill POLICY [--sample N] [--seed S] [--now T]: rehearses
 * recovery. It first removes what interrupted drills of the same policy
 * left (disks tagged snapkeep-drill and snapkeep-drill-policy = its
 * name), then for every disk a policy governs restores the newest owned
 * snapshot and N older ones picked at random (seeded) into
 * temporary disks, times each to a usable disk, and deletes them, also
 * after a failure or a SIGINT/SIGTERM. Exit codes: 0 every restore
 * succeeded and every drill disk is gone (also when leftovers were
 * removed); 1 invalid policy or input; 2 usage; 3 Azure failure stopped
 * the drill; 4 some restore or cleanup failed, a disk had no restorable
 * snapshot, or the drill was interrupted; 6 the lock is held. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/copy_wait.h"
#include "cli/drill.h"
#include "engine/copies.h"
#include "engine/enforce.h"
#include "engine/evaluate.h"
#include "engine/pick.h"

static void drl_run(drl_ctx *d);
static void drl_free(drl_ctx *d);

enum {
    OPT_SAMPLE = CLI_OPT_AZURE_LAST + 1, OPT_SEED, OPT_NOW, OPT_STATE_DIR, OPT_METRICS,
    OPT_FORMAT, OPT_POLICY, OPT_LOG_FORMAT, OPT_ATTACH_TO, OPT_VERIFY, OPT_DEVICE_DIR,
    OPT_VERIFY_TIMEOUT, OPT_REPORT, OPT_FAILOVER, OPT_TO, OPT_START, OPT_WAIT, OPT_REGION
};


static volatile sig_atomic_t drl_signal;

static void drl_on_signal(int sig)
{
    drl_signal = sig;
}

/* The first SIGINT/SIGTERM lets the drill clean up (restores under way
 * finish first: a disk being created cannot be deleted); the handler is
 * then reset, so a second one ends the process at once and leaves the
 * disks for the next drill or run. */
static void drl_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = drl_on_signal;
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool drl_interrupted(void)
{
    return drl_signal != 0;
}

static int parse_u64(const char *opt, const char *arg, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*arg == '\0' || *arg == '-' || *end != '\0' || v > max) {
        fprintf(stderr, "snapkeep: drill: %s: '%s' is not a whole number from 0 to %llu\n",
                opt, arg, (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

/* --verify-timeout: seconds ("90") or a duration ("10m"), up to a day. */
static int parse_timeout(drl_ctx *d, const char *arg)
{
    uint64_t v;
    double sec;
    if (arg[0] >= '0' && arg[0] <= '9' && strspn(arg, "0123456789") == strlen(arg)) {
        if (parse_u64("--verify-timeout", arg, 86400, &v) != 0)
            return -1;
        sec = (double)v;
    } else {
        pol_duration dur;
        if (cli_parse_duration_opt("--verify-timeout", arg, &dur) != 0)
            return -1;
        int64_t us = pol_duration_fixed_usec(&dur);
        if (us <= 0 || us > INT64_C(86400) * SK_USEC_PER_SEC) {
            fprintf(stderr, "snapkeep: drill: --verify-timeout: '%s': give seconds or a fixed "
                    "duration of at most 24h\n", arg);
            return -1;
        }
        sec = (double)us / (double)SK_USEC_PER_SEC;
    }
    if (sec < 1) {
        fprintf(stderr, "snapkeep: drill: --verify-timeout: at least 1 second\n");
        return -1;
    }
    d->verify_timeout_s = sec;
    d->have_verify_timeout = true;
    return 0;
}

static int drill_option(drl_ctx *d, int opt, const char *arg, cli_log_format *fmt)
{
    uint64_t v;
    switch (opt) {
    case OPT_SAMPLE:
        if (parse_u64("--sample", arg, DRL_MAX_SAMPLE, &v) != 0)
            return -1;
        d->sample = (size_t)v;
        return 0;
    case OPT_SEED:
        d->have_seed = true;
        return parse_u64("--seed", arg, UINT64_MAX, &d->seed);
    case OPT_NOW:
        d->have_now = true;
        return cli_parse_time_opt("--now", arg, &d->now);
    case OPT_STATE_DIR: d->state_dir = arg; return 0;
    case OPT_METRICS: d->metrics_file = arg; return 0;
    case OPT_POLICY: d->policy_name = arg; return 0;
    case OPT_ATTACH_TO: d->attach_to = arg; return 0;
    case OPT_VERIFY: d->verify_cmd = arg; return 0;
    case OPT_DEVICE_DIR: d->device_dir = arg; return 0;
    case OPT_REPORT: d->report_file = arg; return 0;
    case OPT_FAILOVER: d->failover = true; return 0;
    case OPT_TO: d->standby = arg; return 0;
    case OPT_START: d->start_standby = true; return 0;
    case OPT_WAIT: d->wait = true; return 0;
    case OPT_REGION: d->region = arg; return 0;
    case OPT_VERIFY_TIMEOUT: return parse_timeout(d, arg);
    case OPT_FORMAT:
        return cli_format_text_json(arg, &d->json);
    case OPT_LOG_FORMAT:
        return cli_log_parse_format(arg, fmt);
    default:
        return cli_azure_option(&d->az, opt, arg) == 1 ? 0 : -1;
    }
}

/* drill_option with the log format the command line sets beside the context */
typedef struct drl_args {
    drl_ctx *d;
    cli_log_format *fmt;
} drl_args;

static int drill_arg(void *ctx, int opt, const char *arg)
{
    drl_args *a = ctx;
    return drill_option(a->d, opt, arg, a->fmt);
}

static int parse_args(int argc, char **argv, drl_ctx *d, cli_log_format *fmt)
{
    static const struct option longopts[] = {
        { "sample", required_argument, NULL, OPT_SAMPLE },
        { "seed", required_argument, NULL, OPT_SEED },
        { "now", required_argument, NULL, OPT_NOW },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "metrics-file", required_argument, NULL, OPT_METRICS },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "policy", required_argument, NULL, OPT_POLICY },
        { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
        { "attach-to", required_argument, NULL, OPT_ATTACH_TO },
        { "verify", required_argument, NULL, OPT_VERIFY },
        { "device-dir", required_argument, NULL, OPT_DEVICE_DIR },
        { "verify-timeout", required_argument, NULL, OPT_VERIFY_TIMEOUT },
        { "report", required_argument, NULL, OPT_REPORT },
        { "failover", no_argument, NULL, OPT_FAILOVER },
        { "to", required_argument, NULL, OPT_TO },
        { "start", no_argument, NULL, OPT_START },
        { "wait", no_argument, NULL, OPT_WAIT },
        { "region", required_argument, NULL, OPT_REGION },
        { "help", no_argument, NULL, 'h' },
        CLI_AZURE_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    drl_args args = { d, fmt };
    int rc = cli_parse_options(argc, argv, "drill", longopts, drill_arg, &args,
                               &d->policy_path);
    if (rc != 0)
        return rc;
    const char *clash = d->device_dir != NULL && d->device_dir[0] != '/'
                            ? "--device-dir must be an absolute path"
                        : d->failover && d->attach_to != NULL
                            ? "--failover attaches to the standby (--to), not --attach-to"
                        : !d->failover && (d->standby != NULL || d->start_standby)
                            ? "--to and --start go with --failover"
                        : d->failover && d->region != NULL
                            ? "--failover rehearses production's own region, not --region"
                            : NULL;
    if (clash != NULL) {
        fprintf(stderr, "snapkeep: drill: %s\n", clash);
        cli_usage("drill", stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* Which policies of the file drill: --policy NAME, else all of them. A
 * bare body has no Azure scope to drill. */
static int choose_policies(drl_ctx *d)
{
    const pol_file *f = d->file;
    if (f->bare || f->npolicies == 0) {
        fprintf(stderr, "snapkeep: drill: %s is a bare policy body: it has no Azure scope, "
                "so drill would not know which disks it governs\n", d->policy_path);
        return EXIT_INVALID;
    }
    d->pols = calloc(f->npolicies, sizeof *d->pols);
    if (d->pols == NULL)
        return EXIT_AZURE;
    for (size_t i = 0; i < f->npolicies; i++) {
        if (d->policy_name != NULL && strcmp(f->policies[i]->name, d->policy_name) != 0)
            continue;
        drl_policy *dp = &d->pols[d->npols++];
        dp->p = f->policies[i];
        dp->subscription = cli_policy_subscription(&d->az, dp->p);
        if (dp->subscription == NULL)
            return EXIT_INVALID;
        dp->target_subscription = dp->subscription;
        if (d->region == NULL)
            continue;
        const pol_copy *c = dp->p->copy;
        if (c == NULL || strcmp(c->region, d->region) != 0) {
            fprintf(stderr, "snapkeep: drill: --region %s: policy %s %s\n", d->region,
                    dp->p->name, c == NULL ? "has no copy-to block"
                                           : "copies to another region (see its copy-to block)");
            return EXIT_INVALID;
        }
        if (c->subscription != NULL)
            dp->target_subscription = c->subscription;
        dp->at_copy = *dp->p;
        dp->at_copy.resource_group = c->resource_group;
        dp->at_copy.subscription = (char *)dp->target_subscription;
    }
    if (d->npols == 0) {
        fprintf(stderr, "snapkeep: drill: %s has no policy \"%s\"\n", d->policy_path,
                d->policy_name);
        return EXIT_INVALID;
    }
    return EXIT_OK;
}

/* A setting the flag leaves unset comes from the policies' recovery
 * blocks; the drilled policies must agree on it (d->attach_to is global to
 * the drill). 0, or -1 with a message. */
static int from_policies(drl_ctx *d, const char *what, const char **flag,
                         const char *(*get)(const pol_recovery *))
{
    if (*flag != NULL)
        return 0;
    const char *pick = NULL, *from = NULL;
    for (size_t i = 0; i < d->npols; i++) {
        const pol_recovery *r = d->pols[i].p->recovery;
        const char *v = r != NULL ? get(r) : NULL;
        if (v == NULL)
            continue;
        if (pick != NULL && strcmp(pick, v) != 0) {
            fprintf(stderr, "snapkeep: drill: policies \"%s\" and \"%s\" name different %s "
                    "settings: drill them one at a time with --policy NAME\n", from,
                    d->pols[i].p->name, what);
            return -1;
        }
        pick = v;
        from = d->pols[i].p->name;
    }
    *flag = pick;
    return 0;
}

static const char *rec_scratch_vm(const pol_recovery *r) { return r->scratch_vm; }
static const char *rec_verify(const pol_recovery *r) { return r->verify; }
static const char *rec_device_dir(const pol_recovery *r) { return r->device_dir; }
static const char *rec_standby(const pol_recovery *r) { return r->standby; }

/* The drill's --attach-to, --verify, --device-dir and --verify-timeout:
 * flags first, then the policy file's recovery block. */
static int recovery_settings(drl_ctx *d)
{
    if (d->failover) {
        /* the rehearsal's VM is the standby; its disks go where
         * production has them, so one at a time at a free LUN is not it */
        if (from_policies(d, "standby", &d->standby, rec_standby) != 0)
            return EXIT_USAGE;
        if (d->standby == NULL) {
            fputs("snapkeep: drill: --failover needs the standby: --to VM, or standby in the "
                  "policy's recovery block\n", stderr);
            return EXIT_USAGE;
        }
        d->attach_to = d->standby;
        d->sample = 0;
    }
    bool had_attach = d->attach_to != NULL;
    if (!d->failover &&
        from_policies(d, "scratch-vm", &d->attach_to, rec_scratch_vm) != 0)
        return EXIT_USAGE;
    if (from_policies(d, "verify", &d->verify_cmd, rec_verify) != 0 ||
        from_policies(d, "device-dir", &d->device_dir, rec_device_dir) != 0)
        return EXIT_USAGE;
    if (!d->have_verify_timeout)
        for (size_t i = 0; i < d->npols; i++) {
            const pol_recovery *r = d->pols[i].p->recovery;
            if (r != NULL && r->has_verify_timeout)
                d->verify_timeout_s = (double)r->verify_timeout_sec;
        }
    if (d->verify_cmd != NULL && d->attach_to == NULL) {
        fputs("snapkeep: drill: a verify command needs a VM to attach the drill disks to: "
              "--attach-to VM, or scratch-vm in the policy's recovery block\n", stderr);
        return EXIT_USAGE;
    }
    if (!had_attach && d->attach_to != NULL)
        cli_log_emit(&d->log, CLI_LOG_INFO, "settings", NULL, 0, "attaching drill disks to "
                     "%s (scratch-vm in the policy)", d->attach_to);
    if (d->device_dir == NULL)
        d->device_dir = DRL_DEFAULT_DEVICE_DIR;
    if (d->attach_to != NULL && drl_resolve_vm(d, &d->pols[0]) != 0)
        return EXIT_USAGE;
    return EXIT_OK;
}

static int open_state(drl_ctx *d)
{
    char err[1024];
    int rc = cli_state_open(&d->state, cli_state_dir_for(d->state_dir), "drill", err,
                            sizeof err);
    if (rc != 0)
        return cli_state_failed(&d->log, rc, err);
    /* refused before any work, not only when the metrics are written */
    if (d->metrics_file != NULL &&
        cli_file_dir_check_private(d->metrics_file, err, sizeof err) == 1) {
        cli_log_emit(&d->log, CLI_LOG_ERROR, "unsafe", NULL, 0, "metrics file: %s; exiting", err);
        return EXIT_REFUSED;
    }
    if (cli_journal_open(&d->journal, &d->state, "drill", d->now, err, sizeof err) != 0)
        return cli_state_failed(&d->log, -1, err);
    d->journaling = true;
    cli_journal_entry e = cli_journal_entry_init(drl_clock(d), "start");
    e.message = d->policy_path;
    if (cli_journal_write(&d->journal, &e, err, sizeof err) != 0) {
        cli_log_emit(&d->log, CLI_LOG_ERROR, "journal", NULL, 0, "%s", err);
        return EXIT_INVALID;
    }
    return EXIT_OK;
}

sk_time drl_clock(const drl_ctx *d)
{
    return d->now + (cli_now() - d->real_start);
}

/* ---- which disks ---- */

static drl_disk *find_or_add_disk(drl_policy *dp, const char *id)
{
    for (size_t i = 0; i < dp->ndisks; i++)
        if (enf_same_id(dp->disks[i].source, id))
            return &dp->disks[i];
    drl_disk *n = realloc(dp->disks, (dp->ndisks + 1) * sizeof *n);
    if (n == NULL)
        return NULL;
    dp->disks = n;
    drl_disk *dd = &n[dp->ndisks];
    memset(dd, 0, sizeof *dd);
    size_t len = strlen(id) + 2;
    if ((dd->source = malloc(len)) == NULL)
        return NULL;
    snprintf(dd->source, len, "%s%s", id[0] == '/' ? "" : "/", id);
    dp->ndisks++;
    return dd;
}

static int add_snap(drl_disk *dd, const inv_snapshot *s)
{
    const inv_snapshot **n = realloc(dd->snaps, (dd->nsnaps + 1) * sizeof *n);
    if (n == NULL)
        return -1;
    dd->snaps = n;
    n[dd->nsnaps++] = s;
    return 0;
}

static int disk_cmp(const void *a, const void *b)
{
    return strcasecmp(((const drl_disk *)a)->source, ((const drl_disk *)b)->source);
}

/* The disks a policy governs: the sources of the snapshots it owns, and
 * the disks it names by ID (or by name with its resource group), which
 * count as not restorable when they have no snapshot at all. */
static int group_disks(drl_ctx *d, drl_policy *dp)
{
    /* --region: the policy's copies, owned as their retention owns them */
    const inv_inventory *inv = d->region != NULL ? dp->view : d->inv;
    const pol_policy *owner = d->region != NULL ? dp->p->copy->retention : dp->p;
    for (size_t i = 0; i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (s->source_id == NULL || !eng_policy_owns(owner, s, inv))
            continue;
        drl_disk *dd = find_or_add_disk(dp, s->source_id);
        if (dd == NULL || add_snap(dd, s) != 0)
            return -1;
    }
    for (size_t i = 0; i < dp->p->ndisks; i++) {
        const char *entry = dp->p->disks[i];
        char id[1024];
        if (strchr(entry, '/') != NULL)
            snprintf(id, sizeof id, "%s", entry);
        else if (dp->p->resource_group == NULL ||
                 az_resource_id(id, sizeof id, dp->subscription, dp->p->resource_group,
                                "disks", entry) != 0)
            continue;
        if (find_or_add_disk(dp, id) == NULL)
            return -1;
    }
    if (dp->ndisks > 1)
        qsort(dp->disks, dp->ndisks, sizeof *dp->disks, disk_cmp);
    return 0;
}

/* ---- one disk's restores ---- */

/* Each disk gets its own stream of draws, so adding a disk to the policy
 * does not change what another disk's drill samples. */
static uint64_t disk_seed(uint64_t seed, const char *id)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const char *c = id[0] == '/' ? id + 1 : id; *c != '\0'; c++) {
        unsigned char ch = (unsigned char)*c;
        h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32u : ch)) * UINT64_C(0x100000001b3);
    }
    return seed ^ h;
}

static void prepare(drl_ctx *d, drl_policy *dp, drl_disk *dd, drl_restore *x, unsigned k)
{
    char name[PICK_NAME_MAX + 1], rg[256];
    const char *use_rg = d->region != NULL ? dp->p->copy->resource_group : dp->p->resource_group;
    if (use_rg == NULL && cli_id_segment(dd->source, 3, rg, sizeof rg))
        use_rg = rg;
    eng_time_format(d->now - d->now % SK_USEC_PER_SEC, x->stamp, sizeof x->stamp);
    if (pick_drill_disk_name(enf_id_name(dd->source), d->now, k, name, sizeof name) < 0 ||
        use_rg == NULL ||
        az_resource_id(x->disk_id, sizeof x->disk_id, dp->target_subscription, use_rg, "disks",
                       name) != 0) {
        x->why = "cannot make a name for the drill disk";
        return;
    }
    x->tags[0] = (inv_tag){ CLI_TAG_DRILL, x->stamp };
    x->tags[1] = (inv_tag){ CLI_TAG_RESTORED_FROM, x->snap->id };
    /* which drill's leftover it is: another policy's drill must not take it */
    x->tags[2] = (inv_tag){ CLI_TAG_DRILL_POLICY, dp->p->name };
    /* a drill disk that is attached must be in the VM's zone */
    x->create = (az_op){ .kind = AZ_OP_CREATE_DISK, .id = x->disk_id,
                         .location = x->snap->location, .source_id = x->snap->id,
                         .zone = d->vm_zone[0] != '\0' ? d->vm_zone : NULL,
                         .tags = x->tags, .ntags = 3 };
    /* a drill never overwrites: whatever holds the name is not ours */
    inv_inventory *scratch = inv_new();
    inv_disk *found = NULL;
    int got = scratch != NULL ? az_get_disk(d->client, x->disk_id, scratch, &found,
                                            &x->create.err) : -1;
    inv_free(scratch);
    if (got != 0)
        x->why = got > 0 ? "a disk of that name already exists" : "cannot check the name";
    else if (x->snap->location == NULL)
        x->why = "the snapshot has no location";
}

/* Runs one disk's creates (or deletes) as one batch, each journaled. */
static void run_batch(drl_ctx *d, const drl_policy *dp, drl_disk *dd, bool del)
{
    az_op *ops = calloc(dd->nrestores, sizeof *ops);
    size_t *at = calloc(dd->nrestores, sizeof *at);
    size_t n = 0;
    for (size_t i = 0; ops != NULL && at != NULL && i < dd->nrestores; i++) {
        drl_restore *x = &dd->restores[i];
        if (x->why != NULL || (del && !x->sent))
            continue;
        az_op *op = del ? &x->del : &x->create;
        if (cli_recover_journal(&d->journal, &d->log, drl_clock(d),
                                del ? "delete-disk" : "create-disk", dp->p->name, dd->source,
                                x->disk_id, NULL) != 0) {
            if (!del)
                x->why = "the journal could not be written";
            continue;
        }
        x->sent = true;
        ops[n] = *op;
        at[n++] = i;
    }
    if (del)
        cli_delete_disks(d->client, ops, n, NULL, NULL);
    else
        az_run_ops(d->client, ops, n, NULL, NULL);
    for (size_t k = 0; k < n; k++) {
        drl_restore *x = &dd->restores[at[k]];
        *(del ? &x->del : &x->create) = ops[k];
        /* a name someone else took since the check: that disk is not the
         * drill's, and the clean-up must not delete it */
        if (!del && ops[k].status == AZ_OP_FAILED && AZ_ERR_NAME_TAKEN(&ops[k].err))
            x->sent = false;
        cli_recover_journal(&d->journal, &d->log, drl_clock(d),
                            del ? "delete-disk" : "create-disk", dp->p->name, dd->source,
                            x->disk_id, &ops[k]);
    }
    free(ops);
    free(at);
}

static void log_restore(drl_ctx *d, const drl_policy *dp, const drl_restore *x)
{
    cli_log_field f[] = { { "policy", dp->p->name }, { "snapshot", x->snap->id },
                          { "disk", x->disk_id },
                          { "code", x->create.status == AZ_OP_FAILED ? x->create.err.code
                                                                      : NULL } };
    if (x->why != NULL)
        cli_log_emit(&d->log, CLI_LOG_ERROR, "restore", f, 4, "%s: not restored: %s",
                     x->snap->name, x->why);
    else if (x->create.status == AZ_OP_DONE)
        cli_log_emit(&d->log, CLI_LOG_INFO, "restore", f, 4, "%s: restored into %s in %.1f s",
                     x->snap->name, enf_id_name(x->disk_id), x->create.seconds);
    else
        cli_log_emit(&d->log, CLI_LOG_ERROR, "restore", f, 4, "%s: restore failed: %s: %s",
                     x->snap->name, x->create.err.code, x->create.err.message);
    if (x->sent && x->del.status != AZ_OP_DONE)
        cli_log_emit(&d->log, CLI_LOG_ERROR, "cleanup", f, 3,
                     "drill disk %s could not be deleted: %s: %s (the next drill retries)",
                     enf_id_name(x->disk_id), x->del.err.code, x->del.err.message);
}

/* A snapshot newer than the one the drill would restore is still being
 * copied: it cannot make a disk, so it is never chosen; the drill says so,
 * and with --wait waits for it and restores it instead. */
static void drill_pending(drl_ctx *d, const drl_policy *dp, drl_disk *dd)
{
    size_t chosen = 0, pend = 0;
    bool found = pick_snapshot(dd->snaps, dd->nsnaps, PICK_AT, NULL, d->now, &chosen) ==
                 PICK_FOUND;
    if (!pick_pending(dd->snaps, dd->nsnaps, PICK_AT, NULL, d->now, found, chosen, &pend))
        return;
    const inv_snapshot *s = dd->snaps[pend];
    if (!d->wait) {
        char pct[32];
        snprintf(pct, sizeof pct, "%g", s->completion_percent);
        cli_log_field f[] = { { "policy", dp->p->name }, { "snapshot", s->name },
                              { "completion_percent", pct } };
        cli_log_emit(&d->log, CLI_LOG_WARN, "pending", f, 3,
                     "disk %s: snapshot %s is still being copied (completionPercent %s): it "
                     "cannot make a disk yet, so the drill restores %s; --wait waits for it",
                     enf_id_name(dd->source), s->name, pct,
                     found ? dd->snaps[chosen]->name : "nothing newer");
        return;
    }
    inv_inventory **w = realloc(d->waited, (d->nwaited + 1) * sizeof *w);
    if (w == NULL || (w[d->nwaited] = inv_new()) == NULL) {
        if (w != NULL)
            d->waited = w;
        d->failed = true;
        return;
    }
    d->waited = w;
    const inv_snapshot *done = NULL;
    int rc = cli_copy_wait(d->client, "drill", s->id, w[d->nwaited++], &done);
    if (rc == EXIT_OK)
        dd->snaps[pend] = done;
    else if (rc == EXIT_AZURE)
        d->azure_failed = true;
    else
        d->failed = true;
}

/* A disk's restores: the newest snapshot and a sample, created at once. */
static void drill_disk_create(drl_ctx *d, drl_policy *dp, drl_disk *dd)
{
    drill_pending(d, dp, dd);
    size_t idx[DRL_MAX_SAMPLE + 1];
    size_t n = pick_drill_sample(dd->snaps, dd->nsnaps, d->sample,
                                 disk_seed(d->seed, dd->source), d->now, idx, d->sample + 1);
    dd->drilled = true;
    if (n == 0 || (dd->restores = calloc(n, sizeof *dd->restores)) == NULL) {
        cli_log_field f[] = { { "policy", dp->p->name }, { "disk", dd->source } };
        cli_log_emit(&d->log, CLI_LOG_ERROR, "restore", f, 2,
                     "disk %s: no successfully provisioned snapshot of the policy to restore",
                     enf_id_name(dd->source));
        d->failed = true;
        return;
    }
    dd->nrestores = n;
    for (size_t i = 0; i < n; i++) {
        dd->restores[i].snap = dd->snaps[idx[i]];
        dd->restores[i].lun = -1;
        prepare(d, dp, dd, &dd->restores[i], (unsigned)i + 1);
    }
    run_batch(d, dp, dd, false);
}

/* Deletes a disk's drill disks, whatever happened, and judges them. */
static void drill_disk_finish(drl_ctx *d, drl_policy *dp, drl_disk *dd)
{
    size_t n = dd->nrestores;
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        dd->restores[i].del = (az_op){ .kind = AZ_OP_DELETE_DISK,
                                       .id = dd->restores[i].disk_id };
    run_batch(d, dp, dd, true);
    dd->restorable = true;
    for (size_t i = 0; i < n; i++) {
        drl_restore *x = &dd->restores[i];
        bool made = x->why == NULL && x->create.status == AZ_OP_DONE;
        made = made && drl_restore_proven(d, x);
        x->ok = made && (!x->sent || x->del.status == AZ_OP_DONE);
        dd->restorable = dd->restorable && made;
        d->failed = d->failed || !x->ok;
        log_restore(d, dp, x);
    }
}

static void drill_disk(drl_ctx *d, drl_policy *dp, drl_disk *dd)
{
    drill_disk_create(d, dp, dd);
    if (d->attach_to != NULL && !d->failover && dd->nrestores > 0)
        drl_attach_and_verify(d, dp, dd);
    drill_disk_finish(d, dp, dd);
}

/* --failover: every disk's newest snapshot restored first, then the
 * standby rehearses the failover with all of them (drill_attach.c). */
static void drill_policy_failover(drl_ctx *d, drl_policy *dp)
{
    sk_time t0 = cli_now();
    for (size_t k = 0; k < dp->ndisks && !drl_interrupted(); k++)
        drill_disk_create(d, dp, &dp->disks[k]);
    /* the RTO it proves: from the first restore to verified data */
    d->failover_rto = (double)(cli_now() - t0) / (double)SK_USEC_PER_SEC;
    drl_failover_rehearse(d, dp);
    for (size_t k = 0; k < dp->ndisks; k++)
        drill_disk_finish(d, dp, &dp->disks[k]);
}

/* --region: each policy's copy resource group, as its copies' retention sees it. */
static int list_copies(drl_ctx *d, az_error *err)
{
    for (size_t i = 0; i < d->npols; i++) {
        drl_policy *dp = &d->pols[i];
        const pol_copy *c = dp->p->copy;
        if ((dp->copies = inv_new()) == NULL)
            return -1;
        if (az_list_snapshots(d->client, dp->target_subscription, c->resource_group, dp->copies,
                              err) != 0) {
            cli_print_az_error("drill: listing the copies", err);
            return -1;
        }
        if ((dp->view = eng_copy_view(dp->p, dp->copies)) == NULL)
            return -1;
    }
    return 0;
}

static void drl_run(drl_ctx *d)
{
    az_error err;
    memset(&err, 0, sizeof err);
    if (az_client_new(&d->az.opts, &d->client, &err) != 0) {
        cli_print_az_error("drill: azure", &err);
        d->azure_failed = true;
        return;
    }
    for (size_t i = 0; i < d->npols; i++) {
        const pol_policy *where = d->region != NULL ? &d->pols[i].at_copy : d->pols[i].p;
        int rc = cli_drill_cleanup_leftovers(d->client, &d->az, where, &d->log,
                                             &d->journal, drl_clock(d), 0, &d->pols[i].left,
                                             &d->unmarked);
        if (rc < 0) {
            d->azure_failed = true;
            return;
        }
        d->failed = d->failed || rc > 0;
    }
    bool azure = false;
    if (d->attach_to != NULL && drl_read_vm(d, &azure) != 0) {
        d->azure_failed = azure;
        d->failed = true;
        return;
    }
    if (d->region != NULL ? list_copies(d, &err) != 0
                          : cli_live_inventory(d->client, &d->az, d->file, &d->inv) != EXIT_OK) {
        d->azure_failed = true;
        return;
    }
    for (size_t i = 0; i < d->npols; i++) {
        drl_policy *dp = &d->pols[i];
        if (group_disks(d, dp) != 0) {
            cli_log_emit(&d->log, CLI_LOG_ERROR, "oom", NULL, 0, "out of memory");
            d->azure_failed = true;
            return;
        }
        if (dp->ndisks == 0)
            cli_log_emit(&d->log, CLI_LOG_WARN, "empty", NULL, 0, "policy \"%s\" governs no "
                         "disk with snapshots: nothing to drill", dp->p->name);
        if (d->failover)
            drill_policy_failover(d, dp);
        else
            for (size_t k = 0; k < dp->ndisks && !drl_interrupted(); k++)
                drill_disk(d, dp, &dp->disks[k]);
    }
    if (drl_interrupted())
        cli_log_emit(&d->log, CLI_LOG_WARN, "interrupted", NULL, 0,
                     "interrupted (signal %d): the drill disks made so far were deleted; "
                     "the remaining disks were not drilled", (int)drl_signal);
}
static void drl_free(drl_ctx *d)
{
    for (size_t i = 0; i < d->npols; i++) {
        drl_policy *dp = &d->pols[i];
        for (size_t k = 0; k < dp->ndisks; k++) {
            free(dp->disks[k].source);
            free(dp->disks[k].snaps);
            free(dp->disks[k].restores);
        }
        free(dp->disks);
        cli_leftovers_free(&dp->left);
        inv_free(dp->view);
        inv_free(dp->copies);
    }
    cli_leftovers_free(&d->unmarked);
    free(d->pols);
    inv_free(d->inv);
    for (size_t i = 0; i < d->nwaited; i++)
        inv_free(d->waited[i]);
    free(d->waited);
    az_client_free(d->client);
    if (d->journaling)
        cli_journal_close(&d->journal);
    cli_state_close(&d->state);
    pol_file_free(d->file);
}

static int exit_code(const drl_ctx *d)
{
    if (d->azure_failed)
        return EXIT_AZURE;
    return d->failed || drl_interrupted() ? EXIT_PARTIAL : EXIT_OK;
}

static void finish(drl_ctx *d, int rc)
{
    if (!d->journaling)
        return;
    char err[512];
    cli_journal_entry e = cli_journal_entry_init(drl_clock(d), "end");
    e.exit_code = rc;
    int64_t created = 0, failed = 0;
    for (size_t i = 0; i < d->npols; i++)
        for (size_t k = 0; k < d->pols[i].ndisks; k++)
            for (size_t r = 0; r < d->pols[i].disks[k].nrestores; r++) {
                const drl_restore *x = &d->pols[i].disks[k].restores[r];
                created += x->create.status == AZ_OP_DONE;
                failed += x->create.status == AZ_OP_FAILED || !x->ok;
            }
    e.created = created;
    e.failed = failed;
    if (cli_journal_write(&d->journal, &e, err, sizeof err) != 0 ||
        cli_journal_rotate(&d->journal, err, sizeof err) != 0)
        cli_log_emit(&d->log, CLI_LOG_ERROR, "journal", NULL, 0, "%s", err);
}

int cmd_drill(int argc, char **argv)
{
    drl_ctx d;
    memset(&d, 0, sizeof d);
    d.sample = 1;
    d.verify_timeout_s = DRL_DEFAULT_VERIFY_TIMEOUT_S;
    d.state.lock_fd = -1;
    d.journal.fd = -1;
    cli_azure_init(&d.az);
    cli_log_format fmt = CLI_LOG_TEXT;
    int rc = parse_args(argc, argv, &d, &fmt);
    if (rc != 0)
        return rc == CLI_HELPED ? EXIT_OK : rc;
    d.real_start = cli_now();
    if (!d.have_now)
        d.now = d.real_start;
    if (!d.have_seed)
        d.seed = (uint64_t)(d.now / SK_USEC_PER_SEC);
    cli_log_init(&d.log, "drill", fmt, stderr);
    d.file = cli_load_policy(d.policy_path, true);
    if (d.file == NULL)
        return EXIT_INVALID;
    rc = choose_policies(&d);
    if (rc == EXIT_OK)
        rc = recovery_settings(&d);
    if (rc == EXIT_OK)
        rc = open_state(&d);
    if (rc == EXIT_OK) {
        drl_signals();
        drl_run(&d);
        d.seconds = (double)(cli_now() - d.real_start) / (double)SK_USEC_PER_SEC;
        rc = exit_code(&d);
        /* a metrics file that cannot be written makes a clean drill partial */
        if (drl_metrics(&d) != 0 && rc == EXIT_OK)
            rc = EXIT_PARTIAL;
        finish(&d, rc);
        drl_report(&d, rc);
    }
    drl_free(&d);
    return rc;
}

