/* snapkeep restore --attach-to VM (partial restore: the new disk attached
 * to a running VM, to copy files back) and --replace-on VM (complete
 * restore in place: the VM's disk swapped for the new one at the same
 * LUN). Both are plans from live state (engine/recovery.c) carried out
 * step by step (cli/rcv_exec.c) under a record that lets the same command,
 * run again after a kill, finish the job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "azure/vm.h"
#include "cli/cli.h"
#include "cli/rcv_exec.h"
#include "cli/recover.h"
#include "cli/restore.h"
#include "engine/enforce.h"

/* Where Azure's udev rules put a data disk's LUN on Linux VMs (newer
 * images also have /dev/disk/azure/data/by-lun/N). */
#define RST_DEVICE_DIR "/dev/disk/azure/scsi1"

static const char *op_name(const rst_ctx *r)
{
    return r->replace_on != NULL ? "restore-replace" : "restore-attach";
}

static void record_key(const rst_ctx *r, char *buf, size_t n)
{
    cli_rcv_key(buf, n, op_name(r), r->p->name, r->disk,
                r->replace_on != NULL ? r->replace_on : r->attach_to, r->to);
}

int rst_vm_resume(rst_ctx *r)
{
    char err[1024], key[sizeof r->record.key];
    cli_state peek = { .dir = (char *)cli_state_dir_for(r->state_dir), .lock_fd = -1 };
    const cli_state *st = r->dry_run ? &peek : &r->state;
    if (cli_rcv_record_load(st, &r->record, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: restore: %s\n", err);
        return EXIT_REFUSED;
    }
    if (!r->record.present)
        return EXIT_OK;
    record_key(r, key, sizeof key);
    if (strcmp(key, r->record.key) != 0) {
        fprintf(stderr, "snapkeep: restore: another recovery operation, started %s, is "
                "unfinished (recorded in %s/%s):\n    %s\nrun that command again to finish "
                "it first\n", r->record.started, st->dir, CLI_RCV_RECORD_FILE,
                r->record.command_line);
        return EXIT_REFUSED;
    }
    /* The same operation: it goes on with the snapshot it chose then,
     * whatever --latest would pick now. */
    snprintf(r->resumed_snapshot, sizeof r->resumed_snapshot, "%s", r->record.snapshot);
    r->mode = PICK_NAME;
    r->snapshot_name = r->resumed_snapshot;
    fprintf(stderr, "snapkeep: restore: resuming the attempt started %s\n", r->record.started);
    return EXIT_OK;
}

static int resolve_vm(rst_ctx *r, const char *name)
{
    char rg[256];
    const char *use_rg = r->target_rg != NULL ? r->target_rg : r->p->resource_group;
    if (use_rg == NULL && cli_id_segment(r->source, 3, rg, sizeof rg))
        use_rg = rg;
    if (cli_name_to_id(r->vm, sizeof r->vm, name, r->subscription, use_rg,
                       "virtualMachines") == 0)
        return EXIT_OK;
    fprintf(stderr, "snapkeep: restore: cannot tell which resource group VM %s is in: "
            "give it as a full resource ID\n", name);
    return EXIT_INVALID;
}

typedef struct vm_world {
    az_vm vm;
    az_disk_info target, old;
    rcv_lun luns[RCV_MAX_LUNS];
    rcv_vm vm_view;
    rcv_disk target_view, old_view;
} vm_world;

static int read_world(rst_ctx *r, vm_world *w)
{
    az_error err;
    memset(&err, 0, sizeof err);
    int got = az_get_vm(r->client, r->vm, &w->vm, &err);
    if (got < 0) {
        cli_print_az_error("restore: reading the VM", &err);
        return EXIT_AZURE;
    }
    if (got == 0)
        snprintf(w->vm.id, sizeof w->vm.id, "%s", r->vm);
    cli_rcv_vm_view(&w->vm, got == 1, &w->vm_view, w->luns);
    got = az_get_disk_info(r->client, r->target, &w->target, &err);
    if (got < 0) {
        cli_print_az_error("restore: reading the new disk's name", &err);
        return EXIT_AZURE;
    }
    cli_rcv_disk_view(&w->target, got == 1, &w->target_view);
    if (r->replace_on == NULL)
        return EXIT_OK;
    got = az_get_disk_info(r->client, r->source, &w->old, &err);
    if (got < 0) {
        cli_print_az_error("restore: reading the disk to replace", &err);
        return EXIT_AZURE;
    }
    if (got == 0) {
        fprintf(stderr, "snapkeep: restore: disk %s does not exist: nothing to replace on %s "
                "(use --attach-to, or restore to a disk only)\n", r->source,
                enf_id_name(r->vm));
        return EXIT_INVALID;
    }
    cli_rcv_disk_view(&w->old, true, &w->old_view);
    return EXIT_OK;
}

static rcv_refusal make_plan(rst_ctx *r, vm_world *w, rcv_plan *plan)
{
    if (r->replace_on != NULL) {
        rcv_replace_in in = { .vm = &w->vm_view, .disk = &w->old_view,
                              .target = &w->target_view, .target_id = r->target,
                              .snapshot_id = r->snap->id, .snapshot_location = r->location,
                              .start = r->start_vm, .facts = r->record.facts };
        return rcv_plan_replace(&in, plan);
    }
    rcv_attach_in in = { .vm = &w->vm_view, .target = &w->target_view,
                         .target_id = r->target, .snapshot_id = r->snap->id,
                         .snapshot_location = r->location, .target_zone = r->use_zone,
                         .lun = r->lun, .facts = r->record.facts };
    return rcv_plan_attach(&in, plan);
}

typedef struct replan_ctx {
    rst_ctx *r;
    vm_world *w;
} replan_ctx;

static int replan(void *vctx, rcv_plan *plan, az_error *err)
{
    replan_ctx *c = vctx;
    if (cli_rcv_wait_settled(c->r->client, c->r->vm, err) != 0)
        return -1;
    if (read_world(c->r, c->w) != EXIT_OK) {
        snprintf(err->code, sizeof err->code, "ReadFailed");
        snprintf(err->message, sizeof err->message, "the VM and disks could not be read again");
        return -1;
    }
    return (int)make_plan(c->r, c->w, plan);
}

static int save_record(rst_ctx *r, const rcv_plan *plan)
{
    char err[1024];
    if (r->record.present)
        return EXIT_OK;
    cli_rcv_record *rec = &r->record;
    record_key(r, rec->key, sizeof rec->key);
    cli_rcv_command_line(rec->command_line, sizeof rec->command_line, r->argc, r->argv);
    eng_time_format(cli_now(), rec->started, sizeof rec->started);
    snprintf(rec->snapshot, sizeof rec->snapshot, "%s", r->snap->id);
    rec->facts = plan->facts;
    if (cli_rcv_record_save(&r->state, rec, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: restore: %s: nothing was changed\n", err);
        return EXIT_INVALID;
    }
    rec->present = true;
    return EXIT_OK;
}

static int step_lun(const rcv_plan *p)
{
    for (size_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].kind == RCV_ATTACH)
            return p->steps[i].lun;
    return -1;
}

static void print_text(const rst_ctx *r, const rcv_plan *p, const cli_rcv_run *x, int rc)
{
    char when[ENG_TIME_BUFSZ];
    const char *vm = enf_id_name(r->vm);
    int lun = step_lun(p);
    eng_time_format(r->snap->created, when, sizeof when);
    if (r->dry_run)
        printf("would %s snapshot %s (taken %s) of disk %s as disk %s %s VM %s:\n",
               r->replace_on ? "put" : "restore", r->snap->name, when,
               enf_id_name(r->source), r->to, r->replace_on ? "in place of it on" : "for",
               vm);
    else if (rc == EXIT_OK && r->replace_on != NULL)
        printf("replaced disk %s on VM %s (LUN %d, caching %s) by disk %s, restored from "
               "snapshot %s (taken %s)\n", enf_id_name(r->source), vm, lun,
               p->facts.caching, r->to, r->snap->name, when);
    else if (rc == EXIT_OK)
        printf("restored snapshot %s (taken %s) of disk %s to disk %s, attached to VM %s at "
               "LUN %d\n", r->snap->name, when, enf_id_name(r->source), r->to, vm, lun);
    cli_rcv_print_plan(stdout, p, r->dry_run ? NULL : x);
    if (r->dry_run || rc != EXIT_OK)
        return;
    printf("  new disk: %s\n", r->target);
    if (r->replace_on != NULL) {
        printf("  old disk: %s: detached, tagged %s; snapkeep never deletes it\n", r->source,
               CLI_TAG_REPLACED_BY);
        printf("  RTO: %.1f s\n", x->total_seconds);
        return;
    }
    printf("  on %s the disk is %s/lun%d (newer images: /dev/disk/azure/data/by-lun/%d)\n",
           vm, RST_DEVICE_DIR, lun, lun);
    printf("  mount it read-only, copy what you need back, unmount:\n"
           "    sudo mkdir -p /mnt/snapkeep-restore\n"
           "    sudo mount -o ro %s/lun%d-part1 /mnt/snapkeep-restore   "
           "# %s/lun%d without a partition table\n",
           RST_DEVICE_DIR, lun, RST_DEVICE_DIR, lun);
    printf("  then detach and delete it:\n    snapkeep release %s --disk %s --from %s\n",
           r->policy_path, r->to, vm);
    printf("  took: %.1f s\n", x->total_seconds);
}

static void print_json(const rst_ctx *r, const rcv_plan *p, const cli_rcv_run *x, int rc)
{
    char when[ENG_TIME_BUFSZ];
    cJSON *o = cJSON_CreateObject();
    eng_time_format(r->snap->created, when, sizeof when);
    cJSON_AddBoolToObject(o, "dry_run", r->dry_run);
    cJSON_AddStringToObject(o, "operation", r->replace_on ? "replace" : "attach");
    cJSON_AddBoolToObject(o, "resumed", r->record.present && r->resumed_snapshot[0] != '\0');
    cJSON_AddStringToObject(o, "vm", r->vm);
    cJSON_AddStringToObject(o, "source_disk", r->source);
    cJSON_AddStringToObject(o, "disk", r->target);
    cJSON *s = cJSON_AddObjectToObject(o, "snapshot");
    cJSON_AddStringToObject(s, "id", r->snap->id);
    cJSON_AddStringToObject(s, "name", r->snap->name);
    cJSON_AddStringToObject(s, "time", when);
    int lun = step_lun(p);
    if (lun >= 0)
        cJSON_AddNumberToObject(o, "lun", lun);
    if (r->attach_to != NULL && lun >= 0) {
        char dev[600];
        snprintf(dev, sizeof dev, "%s/lun%d", RST_DEVICE_DIR, lun);
        cJSON_AddStringToObject(o, "device", dev);
    }
    cli_rcv_json_print(o, p, x, r->dry_run, rc, r->record.command_line);
}

int rst_vm_run(rst_ctx *r)
{
    int rc = resolve_vm(r, r->replace_on != NULL ? r->replace_on : r->attach_to);
    vm_world *w = rc == EXIT_OK ? calloc(1, sizeof *w) : NULL;
    if (rc != EXIT_OK)
        return rc;
    if (w == NULL) {
        fputs("snapkeep: restore: out of memory\n", stderr);
        return EXIT_INVALID;
    }
    if (r->zone == NULL && r->attach_to != NULL)
        r->use_zone = NULL;     /* set from the VM below: a disk attaches only in its zone */
    az_error err;
    memset(&err, 0, sizeof err);
    /* a killed attempt may have left an operation running: plan on the
     * state it ends in */
    if (r->record.present && cli_rcv_wait_settled(r->client, r->vm, &err) != 0) {
        cli_print_az_error("restore: waiting for the VM to settle", &err);
        rc = cli_rcv_failure_exit(&err);
    }
    if (rc == EXIT_OK)
        rc = read_world(r, w);
    if (rc == EXIT_OK && r->attach_to != NULL && r->zone == NULL)
        r->use_zone = w->vm.zone[0] != '\0' ? w->vm.zone : NULL;
    rcv_plan *plan = calloc(1, sizeof *plan);
    if (rc == EXIT_OK && plan == NULL)
        rc = EXIT_INVALID;
    if (rc == EXIT_OK && make_plan(r, w, plan) != RCV_OK) {
        fprintf(stderr, "snapkeep: restore: refused, nothing was changed: %s\n", plan->why);
        rc = EXIT_INVALID;
    }
    inv_tag tags[RST_MAX_TAGS + 2];
    az_op create;
    cli_rcv_run x;
    memset(&x, 0, sizeof x);
    if (rc == EXIT_OK && !r->dry_run)
        rc = save_record(r, plan);
    if (rc == EXIT_OK && !r->dry_run) {
        rst_create_op(r, r->replace_on != NULL, &create, tags);
        x = (cli_rcv_run){ .command = "restore", .client = r->client, .journal = &r->journal,
                           .log = &r->log, .policy = r->p->name, .source_disk = r->source,
                           .create = &create, .replaced_by = r->target,
                           .resume_line = r->record.command_line };
        replan_ctx rp = { r, w };
        x.replan = replan;
        x.replan_ctx = &rp;
        rc = cli_rcv_execute(&x, plan);
        char text[512];
        if (rc == EXIT_OK && cli_rcv_record_clear(&r->state, text, sizeof text) != 0)
            fprintf(stderr, "snapkeep: restore: %s\n", text);
    }
    if (plan != NULL && (rc == EXIT_OK || x.failed_step != 0)) {
        if (r->json)
            print_json(r, plan, &x, rc);
        else
            print_text(r, plan, &x, rc);
    }
    free(plan);
    free(w);
    return rc;
}
