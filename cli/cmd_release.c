/* snapkeep release POLICY --disk NEW [--from VM]: undoes a partial
 * restore. The restored disk is detached from the VM holding it and
 * deleted, but only a disk that carries snapkeep-restored-from and was not
 * put in service by restore --replace-on (snapkeep-replaces); it is read
 * again just before the delete. Journaled and resumable like every
 * recovery operation. Exit codes: 0 released (or, with --dry-run, would
 * be); 1 refused or invalid input (nothing changed); 2 usage; 3 Azure or
 * the network failed; 4 ARM refused a step; 6 lock held or another
 * recovery operation unfinished. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "azure/vm.h"
#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "cli/journal.h"
#include "cli/rcv_exec.h"
#include "cli/rcv_record.h"
#include "cli/recover.h"
#include "cli/state.h"
#include "engine/enforce.h"

typedef struct rel_ctx {
    const char *policy_path, *policy_name, *disk, *from, *target_rg, *state_dir;
    bool dry_run, json;
    cli_azure az;
    int argc;
    char **argv;
    pol_file *file;
    const pol_policy *p;
    const char *subscription;
    char disk_id[1024], from_id[1024];
    cli_state state;
    cli_journal journal;
    bool journaling;
    cli_rcv_record record;
    az_client *client;
    cli_log log;
} rel_ctx;

enum { OPT_DISK = CLI_OPT_AZURE_LAST + 1, OPT_FROM, OPT_RG, OPT_DRY_RUN, OPT_FORMAT,
       OPT_STATE_DIR, OPT_POLICY };


static int release_option(void *ctx, int opt, const char *arg)
{
    rel_ctx *r = ctx;
    switch (opt) {
    case OPT_DISK: r->disk = arg; return 0;
    case OPT_FROM: r->from = arg; return 0;
    case OPT_RG: r->target_rg = arg; return 0;
    case OPT_DRY_RUN: r->dry_run = true; return 0;
    case OPT_STATE_DIR: r->state_dir = arg; return 0;
    case OPT_POLICY: r->policy_name = arg; return 0;
    case OPT_FORMAT:
        return cli_format_text_json(arg, &r->json);
    default:
        return cli_azure_option(&r->az, opt, arg) == 1 ? 0 : -1;
    }
}

static int parse_args(int argc, char **argv, rel_ctx *r)
{
    static const struct option longopts[] = {
        { "disk", required_argument, NULL, OPT_DISK },
        { "from", required_argument, NULL, OPT_FROM },
        { "resource-group", required_argument, NULL, OPT_RG },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "policy", required_argument, NULL, OPT_POLICY },
        { "help", no_argument, NULL, 'h' },
        CLI_AZURE_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int rc = cli_parse_options(argc, argv, "release", longopts, release_option, r,
                               &r->policy_path);
    if (rc != 0)
        return rc;
    if (r->disk == NULL) {
        fputs("snapkeep: release: --disk DISK is required\n", stderr);
        cli_usage("release", stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* NAME in the policy's resource group (or --resource-group), or an ID. */
static int resolve(const rel_ctx *r, const char *kind, const char *name, char *buf, size_t n)
{
    const char *rg = r->target_rg != NULL ? r->target_rg : r->p->resource_group;
    if (cli_name_to_id(buf, n, name, r->subscription, rg, kind) == 0)
        return EXIT_OK;
    fprintf(stderr, "snapkeep: release: cannot tell which resource group %s is in: give "
            "--resource-group or a full resource ID\n", name);
    return EXIT_INVALID;
}

static int choose_policy(rel_ctx *r)
{
    int rc = EXIT_OK;
    if ((r->p = cli_one_policy(r->file, r->policy_path, r->policy_name, "release", &rc)) == NULL)
        return rc;
    if ((r->subscription = cli_policy_subscription(&r->az, r->p)) == NULL)
        return EXIT_INVALID;
    rc = resolve(r, "disks", r->disk, r->disk_id, sizeof r->disk_id);
    if (rc == EXIT_OK && r->from != NULL)
        rc = resolve(r, "virtualMachines", r->from, r->from_id, sizeof r->from_id);
    return rc;
}

static int open_state(rel_ctx *r)
{
    char key[sizeof r->record.key];
    cli_rcv_key(key, sizeof key, "release", r->p->name, r->disk_id, NULL, NULL);
    return cli_rcv_open("release", r->state_dir, r->dry_run, r->policy_path, key, r->argc,
                        r->argv, false, &r->state, &r->journal, &r->journaling, &r->record);
}

typedef struct rel_world {
    az_disk_info disk;
    az_vm vm;
    rcv_lun luns[RCV_MAX_LUNS];
    rcv_disk disk_view;
    rcv_vm vm_view;
    bool have_vm;
} rel_world;

static int read_world(rel_ctx *r, rel_world *w)
{
    az_error err;
    memset(&err, 0, sizeof err);
    int got = az_get_disk_info(r->client, r->disk_id, &w->disk, &err);
    if (got < 0) {
        cli_print_az_error("release: reading the disk", &err);
        return EXIT_AZURE;
    }
    cli_rcv_disk_view(&w->disk, got == 1, &w->disk_view);
    if (got == 0 || w->disk.managed_by[0] == '\0')
        return EXIT_OK;
    got = az_get_vm(r->client, w->disk.managed_by, &w->vm, &err);
    if (got < 0) {
        cli_print_az_error("release: reading the VM that holds the disk", &err);
        return EXIT_AZURE;
    }
    w->have_vm = got == 1;
    cli_rcv_vm_view(&w->vm, got == 1, &w->vm_view, w->luns);
    return EXIT_OK;
}

typedef struct replan_ctx {
    rel_ctx *r;
    rel_world *w;
} replan_ctx;

static int replan(void *vctx, rcv_plan *plan, az_error *err)
{
    replan_ctx *c = vctx;
    if (c->w->disk.managed_by[0] != '\0' &&
        cli_rcv_wait_settled(c->r->client, c->w->disk.managed_by, err) != 0)
        return -1;
    memset(c->w, 0, sizeof *c->w);
    if (read_world(c->r, c->w) != EXIT_OK) {
        snprintf(err->code, sizeof err->code, "ReadFailed");
        snprintf(err->message, sizeof err->message, "the disk could not be read again");
        return -1;
    }
    rcv_release_in in = { .disk = &c->w->disk_view, .disk_id = c->r->disk_id,
                          .vm = c->w->have_vm ? &c->w->vm_view : NULL,
                          .from_vm = c->r->from != NULL ? c->r->from_id : NULL,
                          .resuming = true };
    return (int)rcv_plan_release(&in, plan);
}

static void report(const rel_ctx *r, const rcv_plan *p, const cli_rcv_run *x, int rc)
{
    if (r->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "dry_run", r->dry_run);
        cJSON_AddStringToObject(o, "operation", "release");
        cJSON_AddStringToObject(o, "disk", r->disk_id);
        cJSON_AddItemToObject(o, "steps", cli_rcv_plan_json(p, r->dry_run ? NULL : x));
        if (!r->dry_run) {
            cJSON_AddBoolToObject(o, "ok", rc == EXIT_OK);
            cJSON_AddNumberToObject(o, "seconds", (double)(int64_t)(x->total_seconds * 10) / 10);
        }
        char *text = cJSON_Print(o);
        if (text != NULL)
            printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
        return;
    }
    if (p->nsteps == 0) {
        printf("disk %s is gone already: released\n", enf_id_name(r->disk_id));
        return;
    }
    printf("%s disk %s:\n", r->dry_run ? "would release" : rc == EXIT_OK ? "released"
           : "releasing", enf_id_name(r->disk_id));
    cli_rcv_print_plan(stdout, p, r->dry_run ? NULL : x);
}

static int rel_run(rel_ctx *r)
{
    int rc = open_state(r);
    az_error err;
    memset(&err, 0, sizeof err);
    if (rc == EXIT_OK && az_client_new(&r->az.opts, &r->client, &err) != 0) {
        cli_print_az_error("release: azure", &err);
        rc = EXIT_AZURE;
    }
    rel_world *w = calloc(1, sizeof *w);
    rcv_plan *plan = calloc(1, sizeof *plan);
    if (rc == EXIT_OK && (w == NULL || plan == NULL)) {
        fputs("snapkeep: release: out of memory\n", stderr);
        rc = EXIT_INVALID;
    }
    if (rc == EXIT_OK)
        rc = read_world(r, w);
    /* a killed attempt may have left the detach running */
    if (rc == EXIT_OK && r->record.present && w->disk.managed_by[0] != '\0') {
        if (cli_rcv_wait_settled(r->client, w->disk.managed_by, &err) != 0) {
            cli_print_az_error("release: waiting for the VM to settle", &err);
            rc = cli_rcv_failure_exit(&err);
        } else {
            memset(w, 0, sizeof *w);
            rc = read_world(r, w);
        }
    }
    rcv_release_in in = { .disk = w != NULL ? &w->disk_view : NULL, .disk_id = r->disk_id,
                          .vm = w != NULL && w->have_vm ? &w->vm_view : NULL,
                          .from_vm = r->from != NULL ? r->from_id : NULL,
                          .resuming = r->record.present && r->record.started[0] != '\0' };
    if (rc == EXIT_OK && rcv_plan_release(&in, plan) != RCV_OK) {
        fprintf(stderr, "snapkeep: release: refused, nothing was changed: %s\n", plan->why);
        rc = EXIT_INVALID;
        /* an interrupted release that can no longer go on has nothing left to
         * finish (it only ever detaches and deletes): its record would only
         * block every other recovery operation */
        char text[512];
        if (!r->dry_run && r->record.present && r->record.started[0] != '\0') {
            if (cli_rcv_record_clear(&r->state, text, sizeof text) != 0)
                fprintf(stderr, "snapkeep: release: %s\n", text);
            else
                fprintf(stderr, "snapkeep: release: the interrupted release is given up; its "
                        "record is removed\n");
        }
    }
    cli_rcv_run x;
    memset(&x, 0, sizeof x);
    char err_text[1024];
    if (rc == EXIT_OK && !r->dry_run && !r->record.present) {
        eng_time_format(cli_now(), r->record.started, sizeof r->record.started);
        if (cli_rcv_record_save(&r->state, &r->record, err_text, sizeof err_text) != 0) {
            fprintf(stderr, "snapkeep: release: %s: nothing was changed\n", err_text);
            rc = EXIT_INVALID;
        }
    }
    if (rc == EXIT_OK && !r->dry_run) {
        x = (cli_rcv_run){ .command = "release", .client = r->client, .journal = &r->journal,
                           .log = &r->log, .policy = r->p->name,
                           .resume_line = r->record.command_line,
                           .replan = replan };
        replan_ctx rp = { r, w };
        x.replan_ctx = &rp;
        rc = cli_rcv_execute(&x, plan);
        if (rc == EXIT_OK && cli_rcv_record_clear(&r->state, err_text, sizeof err_text) != 0)
            fprintf(stderr, "snapkeep: release: %s\n", err_text);
    }
    if (plan != NULL && (rc == EXIT_OK || x.failed_step != 0))
        report(r, plan, &x, rc);
    free(plan);
    free(w);
    return rc;
}

int cmd_release(int argc, char **argv)
{
    rel_ctx r;
    memset(&r, 0, sizeof r);
    r.state.lock_fd = -1;
    r.journal.fd = -1;
    r.argc = argc;
    r.argv = argv;
    cli_azure_init(&r.az);
    int rc = parse_args(argc, argv, &r);
    if (rc != 0)
        return rc == CLI_HELPED ? EXIT_OK : rc;
    cli_log_init(&r.log, "release", CLI_LOG_TEXT, stderr);
    r.file = cli_load_policy(r.policy_path, true);
    if (r.file == NULL)
        return EXIT_INVALID;
    rc = choose_policy(&r);
    if (rc == EXIT_OK)
        rc = rel_run(&r);
    if (r.journaling) {
        cli_journal_end(&r.journal, rc);
        cli_journal_close(&r.journal);
    }
    az_client_free(r.client);
    cli_state_close(&r.state);
    pol_file_free(r.file);
    return rc;
}
