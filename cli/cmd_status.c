/* snapkeep status FILE...: the health an on-call admin checks ("am I
 * protected right now?"), per policy and disk, from the live listing (or,
 * with --offline, the state directory alone) and what `run` and `drill`
 * recorded. Read-only. The judging is engine/health.c's; the exit code is
 * the Monitoring Plugins' one in every format: 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN (a usage error, an invalid policy and any listing
 * failure included, so a broken check never passes as OK). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/azure.h"
#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "cli/state.h"
#include "cli/status.h"
#include "engine/copies.h"
#include "engine/enforce.h"

enum {
    OPT_FORMAT = CLI_OPT_AZURE_LAST + 1, OPT_WARN, OPT_CRIT, OPT_STATE_DIR, OPT_OFFLINE, OPT_NOW
};

typedef struct st_opts {
    st_format format;
    bool have_warn, have_crit, offline, have_now;
    pol_duration warn, crit;
    const char *state_dir;
    sk_time now;
    cli_azure az;
} st_opts;

static int option(st_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case OPT_FORMAT:
    {
        static const char *const formats[] = { "table", "json", "nagios", NULL };
        static const st_format as[] = { ST_TABLE, ST_JSON, ST_NAGIOS };
        int v = cli_pick("--format", arg, formats);
        if (v < 0)
            return -1;
        o->format = as[v];
        return 0;
    }
    case OPT_WARN:
        o->have_warn = true;
        return cli_parse_duration_opt("status: --warn-rpo", arg, &o->warn);
    case OPT_CRIT:
        o->have_crit = true;
        return cli_parse_duration_opt("status: --crit-rpo", arg, &o->crit);
    case OPT_STATE_DIR: o->state_dir = arg; return 0;
    case OPT_OFFLINE: o->offline = true; return 0;
    case OPT_NOW:
        o->have_now = true;
        return cli_parse_time_opt("status: --now", arg, &o->now);
    default:
        return cli_azure_option(&o->az, opt, arg) == 1 ? 0 : -1;
    }
}

/* 0 with optind at the first file; CLI_HELPED; or HL_UNKNOWN (usage). */
static int parse_args(int argc, char **argv, st_opts *o)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, OPT_FORMAT },
        { "warn-rpo", required_argument, NULL, OPT_WARN },
        { "crit-rpo", required_argument, NULL, OPT_CRIT },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "offline", no_argument, NULL, OPT_OFFLINE },
        { "now", required_argument, NULL, OPT_NOW },
        { "help", no_argument, NULL, 'h' },
        CLI_AZURE_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    /* the format first, so that even a usage error is answered in it */
    for (int i = 1; i + 1 < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--format") == 0 && strcmp(argv[i + 1], "nagios") == 0)
            o->format = ST_NAGIOS;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--format=nagios") == 0)
            o->format = ST_NAGIOS;
    int opt;
    optind = 1;
    while ((opt = cli_getopt(argc, argv, longopts)) != -1) {
        if (opt == 'h') {
            cli_help("status", stdout);
            return CLI_HELPED;
        }
        if (opt == '?' || option(o, opt, optarg) != 0) {
            cli_usage("status", stderr);
            return HL_UNKNOWN;
        }
    }
    if (optind == argc) {
        fprintf(stderr, "snapkeep: status: no policy file given\n");
        cli_usage("status", stderr);
        return HL_UNKNOWN;
    }
    return 0;
}

/* ---- gathering ---- */

typedef struct st_file {
    const char *path;
    pol_file *f;
    size_t first, n;            /* its policies in the report */
} st_file;

static void judge(st_report *rep, const st_opts *o)
{
    rep->state = HL_OK;
    for (size_t i = 0; i < rep->npols; i++) {
        st_policy *sp = &rep->pols[i];
        for (size_t k = 0; k < sp->ndisks; k++) {
            st_disk *sd = &sp->disks[k];
            sd->v = hl_judge_disk(&sp->lim, &sd->f, rep->now);
            sd->next_due = hl_next_due(sp->p, sd->f.newest, rep->now);
            sp->state = hl_worst(sp->state, sd->v.state);
        }
        if (sp->ndisks == 0 && sp->problem[0] == '\0') {
            snprintf(sp->problem, sizeof sp->problem, "policy \"%s\" selects no disk and owns no "
                     "snapshot: nothing is protected", sp->p->name);
            sp->state = hl_worst(sp->state, HL_UNKNOWN);
        }
        if (sp->run.have && sp->problem[0] == '\0' &&
            hl_run_state(sp->run.exit_code) != HL_OK) {
            snprintf(sp->problem, sizeof sp->problem, "the last run exited %d", sp->run.exit_code);
        }
        if (sp->run.have)
            sp->state = hl_worst(sp->state, hl_run_state(sp->run.exit_code));
        if (sp->drill.have) {
            if (!sp->drill.passed && sp->problem[0] == '\0')
                snprintf(sp->problem, sizeof sp->problem, "the last drill did not prove every "
                         "disk restorable (exit %d)", sp->drill.exit_code);
            sp->state = hl_worst(sp->state, hl_drill_state(sp->drill.passed));
        }
        rep->state = hl_worst(rep->state, sp->state);
    }
    (void)o;
}

/* The copy lag of each disk of a policy with copy-to: the age of the data
 * of its newest completed copy in the copy resource group (the recovery
 * point in the copy region, as run's snapkeep_copy_lag_seconds). 0, or -1
 * when the copies cannot be listed. */
static int copy_lags(az_client *client, const cli_azure *az, st_policy *sp, sk_time now)
{
    const pol_copy *c = sp->p->copy;
    const char *sub = c->subscription;
    if (sub == NULL && cli_policy_scope_subscription(az, sp->p, &sub) != 0)
        return -1;
    if (sub == NULL)
        return -1;
    inv_inventory *copies = inv_new();
    az_error err;
    memset(&err, 0, sizeof err);
    if (copies == NULL || az_list_snapshots(client, sub, c->resource_group, copies, &err) != 0) {
        if (copies != NULL)
            cli_print_az_error("status: listing the copies", &err);
        inv_free(copies);
        return -1;
    }
    size_t cap = copies->nsnapshots;
    eng_copy_newest *it = calloc(cap ? cap : 1, sizeof *it);
    if (it == NULL) {
        inv_free(copies);
        return -1;
    }
    size_t n = eng_copy_newest_done(sp->p, copies, it, cap);
    for (size_t k = 0; k < sp->ndisks; k++) {
        st_disk *sd = &sp->disks[k];
        sd->copied = true;
        sd->copy_lag = -1;
        for (size_t i = 0; i < n; i++)
            if (strcasecmp(it[i].disk_id, sd->id) == 0)
                sd->copy_lag = it[i].taken < now ? (double)(now - it[i].taken) / SK_USEC_PER_SEC
                                                 : 0.0;
    }
    free(it);
    inv_free(copies);
    return 0;
}

/* The live facts of one file's policies: one listing for the file. */
static void gather_live(st_report *rep, st_opts *o, st_file *sf)
{
    const char *sub;
    for (size_t i = sf->first; i < sf->first + sf->n; i++)
        if (cli_policy_scope_subscription(&o->az, rep->pols[i].p, &sub) != 0) {
            snprintf(rep->pols[i].problem, sizeof rep->pols[i].problem,
                     "policy \"%s\" has no subscription: set it in the policy, with "
                     "--subscription or AZURE_SUBSCRIPTION_ID", rep->pols[i].p->name);
            rep->pols[i].state = HL_UNKNOWN;
        }
    az_client *client = NULL;
    az_error err;
    memset(&err, 0, sizeof err);
    inv_inventory *inv = NULL;
    int rc = az_client_new(&o->az.opts, &client, &err);
    if (rc != 0)
        cli_print_az_error("status: cannot talk to Azure", &err);
    else
        rc = cli_live_inventory(client, &o->az, sf->f, &inv);
    for (size_t i = sf->first; i < sf->first + sf->n; i++) {
        st_policy *sp = &rep->pols[i];
        if (sp->state == HL_UNKNOWN)
            continue;
        if (rc != 0) {
            snprintf(sp->problem, sizeof sp->problem, "the snapshot listing failed: the "
                     "protection of policy \"%s\" is unknown", sp->p->name);
            sp->state = HL_UNKNOWN;
            continue;
        }
        cli_disk_list l;
        (void)cli_policy_scope_subscription(&o->az, sp->p, &sub);
        if (cli_health_disks(sp->p, sub, inv, NULL, 0, &l) != 0) {
            snprintf(sp->problem, sizeof sp->problem, "out of memory");
            sp->state = HL_UNKNOWN;
            continue;
        }
        sp->disks = calloc(l.n ? l.n : 1, sizeof *sp->disks);
        for (size_t k = 0; sp->disks != NULL && k < l.n; k++) {
            sp->disks[k].id = l.ids[k];
            sp->disks[k].f = hl_disk_facts_of(sp->p, inv, l.ids[k], rep->now);
            l.ids[k] = NULL;
            sp->ndisks++;
        }
        cli_disk_list_free(&l);
        if (sp->p->copy != NULL && copy_lags(client, &o->az, sp, rep->now) != 0) {
            snprintf(sp->problem, sizeof sp->problem, "the listing of the copies in resource "
                     "group %s (%s) failed: the copy lag of policy \"%s\" is unknown",
                     sp->p->copy->resource_group, sp->p->copy->region, sp->p->name);
            sp->state = HL_UNKNOWN;
        }
    }
    inv_free(inv);
    az_client_free(client);
}

static int load(st_report *rep, st_opts *o, st_file *files, size_t nfiles)
{
    size_t total = 0;
    for (size_t i = 0; i < nfiles; i++) {
        files[i].f = cli_load_policy(files[i].path, true);
        if (files[i].f == NULL)
            return HL_UNKNOWN;
        if (files[i].f->bare || files[i].f->npolicies == 0) {
            fprintf(stderr, "snapkeep: status: %s is a bare policy body: it has no Azure scope, "
                    "so there is no disk to report on; write it as `policy NAME { ... }`\n",
                    files[i].path);
            return HL_UNKNOWN;
        }
        files[i].first = total;
        files[i].n = files[i].f->npolicies;
        total += files[i].n;
    }
    rep->pols = calloc(total ? total : 1, sizeof *rep->pols);
    if (rep->pols == NULL)
        return HL_UNKNOWN;
    for (size_t i = 0; i < nfiles; i++)
        for (size_t k = 0; k < files[i].n; k++) {
            st_policy *sp = &rep->pols[rep->npols++];
            sp->p = files[i].f->policies[k];
            sp->file = files[i].path;
            sp->lim = hl_limits_of(sp->p, o->have_warn ? &o->warn : NULL,
                                   o->have_crit ? &o->crit : NULL, rep->now);
            sp->last_success = SK_TIME_MIN;
        }
    return 0;
}

static void cleanup(st_report *rep, st_file *files, size_t nfiles)
{
    for (size_t i = 0; i < rep->npols; i++) {
        for (size_t k = 0; k < rep->pols[i].ndisks; k++)
            free(rep->pols[i].disks[k].id);
        free(rep->pols[i].disks);
    }
    free(rep->pols);
    for (size_t i = 0; i < nfiles; i++)
        pol_file_free(files[i].f);
    free(files);
}

/* A check that could not even start: the one line a monitoring system
 * shows, and UNKNOWN. */
static int early_unknown(const st_opts *o, const char *why)
{
    if (o->format == ST_NAGIOS)
        printf("SNAPKEEP UNKNOWN - %s\n", why);
    return HL_UNKNOWN;
}

int cmd_status(int argc, char **argv)
{
    st_opts o;
    memset(&o, 0, sizeof o);
    cli_azure_init(&o.az);
    int rc = parse_args(argc, argv, &o);
    if (rc == CLI_HELPED)
        return EXIT_OK;
    if (rc != 0)
        return early_unknown(&o, "usage error (see snapkeep status --help)");
    st_report rep;
    memset(&rep, 0, sizeof rep);
    rep.now = o.have_now ? o.now : cli_now();
    rep.offline = o.offline;
    rep.state_dir = cli_state_dir_for(o.state_dir);
    size_t nfiles = (size_t)(argc - optind);
    st_file *files = calloc(nfiles, sizeof *files);
    if (files == NULL)
        return early_unknown(&o, "out of memory");
    for (size_t i = 0; i < nfiles; i++)
        files[i].path = argv[optind + (int)i];
    rc = load(&rep, &o, files, nfiles);
    if (rc != 0) {
        cleanup(&rep, files, nfiles);
        return early_unknown(&o, "invalid policy file (see the messages on stderr)");
    }
    for (size_t i = 0; !o.offline && i < nfiles; i++)
        gather_live(&rep, &o, &files[i]);
    st_read_state(&rep, o.offline);
    judge(&rep, &o);
    if (o.format == ST_JSON) {
        if (st_render_json(&rep, stdout) != 0)
            rep.state = HL_UNKNOWN;
    } else if (o.format == ST_NAGIOS) {
        st_render_nagios(&rep, stdout);
    } else {
        st_render_table(&rep, stdout);
    }
    if (fflush(stdout) != 0)
        rep.state = HL_UNKNOWN;
    rc = (int)rep.state;
    cleanup(&rep, files, nfiles);
    return rc;
}
