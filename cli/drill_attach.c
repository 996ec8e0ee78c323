/* snapkeep drill --attach-to VM [--verify CMD]: a drill that proves the
 * data, not only that ARM can make a disk. Each drill disk in turn is
 * attached to the VM (normally the one snapkeep runs on) at its first free
 * LUN, its device node is awaited under the device directory, the verify
 * command runs against it, and the disk is detached again, always: after
 * a failure, a time-out and a SIGTERM too. A kill -9 leaves the disk
 * attached; the next drill's leftover clean-up detaches it before it
 * deletes it (cli/recover.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azure/vm.h"
#include "cli/cli.h"
#include "cli/drill.h"
#include "cli/rcv_exec.h"
#include "engine/enforce.h"
#include "engine/recovery.h"

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool drl_restore_proven(const drl_ctx *d, const drl_restore *x)
{
    if (d->attach_to == NULL)
        return true;
    if (!x->attached || !x->detached || x->attach_why != NULL)
        return false;
    return d->verify_cmd == NULL || (x->verified && x->verify.exit_status == 0 &&
                                     !x->verify.timed_out && !x->verify.interrupted);
}

int drl_read_vm(drl_ctx *d, bool *azure)
{
    az_vm *vm = malloc(sizeof *vm);
    az_error err;
    memset(&err, 0, sizeof err);
    int got = vm != NULL ? az_get_vm(d->client, d->vm, vm, &err) : -1;
    *azure = got < 0;
    if (got == 1)
        snprintf(d->vm_zone, sizeof d->vm_zone, "%s", vm->zone);
    else if (got == 0)
        cli_log_emit(&d->log, CLI_LOG_ERROR, "attach", NULL, 0, "VM %s (--attach-to) does not "
                     "exist", d->vm);
    else if (vm == NULL || az_error_is_oom(&err))
        cli_log_emit(&d->log, CLI_LOG_ERROR, "oom", NULL, 0, "out of memory (reading VM %s)",
                     d->vm);
    else
        cli_log_emit(&d->log, CLI_LOG_ERROR, "attach", NULL, 0, "reading VM %s failed: %s: %s",
                     d->vm, err.code, err.message);
    free(vm);
    return got == 1 ? 0 : -1;
}

int drl_resolve_vm(drl_ctx *d, const drl_policy *dp)
{
    if (cli_name_to_id(d->vm, sizeof d->vm, d->attach_to, dp->subscription,
                       dp->p->resource_group, "virtualMachines") == 0)
        return 0;
    cli_log_emit(&d->log, CLI_LOG_ERROR, "usage", NULL, 0,
                 "--attach-to %s: the policy names no resource group: give the VM as a "
                 "full resource ID", d->attach_to);
    return -1;
}

static int journal(drl_ctx *d, const drl_policy *dp, const drl_disk *dd, const char *op,
                   const drl_restore *x, const az_error *failed, bool outcome, double sec)
{
    cli_journal_entry e = cli_journal_entry_init(drl_clock(d), outcome ? "outcome" : "intent");
    e.op = op;
    e.policy = dp->p->name;
    e.disk = dd->source;
    e.resource = x->disk_id;
    e.vm = d->vm;
    if (outcome) {
        e.outcome = failed != NULL ? "failed" : "done";
        e.seconds = sec;
        if (failed != NULL) {
            e.error_code = failed->code;
            e.error = failed->message;
        }
    }
    char err[512];
    if (cli_journal_write(&d->journal, &e, err, sizeof err) == 0)
        return 0;
    cli_log_emit(&d->log, CLI_LOG_ERROR, "journal", NULL, 0, "%s", err);
    return -1;
}

/* After a lost answer: whether the disk is attached to the VM once ARM has
 * settled (1 yes, 0 no, -1 cannot tell). */
static int attached_now(drl_ctx *d, const char *disk_id)
{
    az_vm *vm = malloc(sizeof *vm);
    az_error err;
    memset(&err, 0, sizeof err);
    int rc = -1;
    if (vm != NULL && cli_rcv_wait_settled(d->client, d->vm, &err) == 0 &&
        az_get_vm(d->client, d->vm, vm, &err) == 1) {
        rc = 0;
        for (size_t i = 0; i < vm->ndisks; i++)
            if (enf_same_id(vm->disks[i].disk_id, disk_id))
                rc = 1;
    }
    free(vm);
    return rc;
}

/* The first free LUN of the VM as ARM shows it now. */
static int free_lun(drl_ctx *d, az_error *err)
{
    az_vm *vm = malloc(sizeof *vm);
    rcv_lun *luns = malloc(RCV_MAX_LUNS * sizeof *luns);
    int lun = -2;
    if (vm == NULL || luns == NULL) {
        az_error_set_oom(err);
    } else {
        int got = az_get_vm(d->client, d->vm, vm, err);
        if (got == 0) {
            snprintf(err->code, sizeof err->code, "NotFound");
            snprintf(err->message, sizeof err->message, "VM %s does not exist",
                     enf_id_name(d->vm));
        }
        if (got == 1) {
            rcv_vm view;
            cli_rcv_vm_view(vm, true, &view, luns);
            lun = rcv_free_lun(&view);
            if (lun < 0) {
                snprintf(err->code, sizeof err->code, "NoFreeLun");
                snprintf(err->message, sizeof err->message, "VM %s has no free LUN",
                         enf_id_name(d->vm));
            }
        }
    }
    free(vm);
    free(luns);
    return lun;
}

static void detach(drl_ctx *d, const drl_policy *dp, const drl_disk *dd, drl_restore *x)
{
    if (journal(d, dp, dd, "detach", x, NULL, false, 0) != 0)
        return;     /* not detached: the delete fails, the next drill detaches it */
    double t0 = mono_s();
    az_disk_detach det = { .disk_id = x->disk_id };
    az_error err;
    memset(&err, 0, sizeof err);
    int rc = az_vm_attach_detach(d->client, d->vm, NULL, 0, &det, 1, &err);
    double sec = mono_s() - t0;
    if (rc != 0 && err.ambiguous && attached_now(d, x->disk_id) == 0)
        rc = 0;         /* the detach went through; only its answer was lost */
    sec = mono_s() - t0;
    x->cleanup_seconds += sec;
    journal(d, dp, dd, "detach", x, rc == 0 ? NULL : &err, true, sec);
    if (rc == 0) {
        x->detached = true;
        return;
    }
    if (x->attach_err.code[0] == '\0')
        x->attach_err = err;
    cli_log_field f[] = { { "policy", dp->p->name }, { "disk", x->disk_id },
                          { "code", err.code } };
    cli_log_emit(&d->log, CLI_LOG_ERROR, "detach", f, 3, "drill disk %s could not be "
                 "detached from %s: %s: %s (the next drill retries)", enf_id_name(x->disk_id),
                 enf_id_name(d->vm), err.code, err.message);
}

static void verify(drl_ctx *d, const drl_policy *dp, const drl_disk *dd, drl_restore *x)
{
    char when[ENG_TIME_BUFSZ], lun[8];
    eng_time_format(x->snap->created, when, sizeof when);
    snprintf(lun, sizeof lun, "%d", x->lun);
    cli_verify_env env[] = {
        { "SNAPKEEP_DEVICE", x->device }, { "SNAPKEEP_DISK_ID", x->disk_id },
        { "SNAPKEEP_SNAPSHOT_ID", x->snap->id }, { "SNAPKEEP_SNAPSHOT_TIME", when },
        { "SNAPKEEP_SOURCE_DISK_ID", dd->source }, { "SNAPKEEP_LUN", lun },
        { "SNAPKEEP_POLICY", dp->p->name },
    };
    cli_log_field f[] = { { "policy", dp->p->name }, { "disk", x->disk_id },
                          { "device", x->device } };
    cli_log_emit(&d->log, CLI_LOG_INFO, "verify", f, 3, "verifying %s on %s",
                 enf_id_name(x->disk_id), x->device);
    if (cli_verify_run(d->verify_cmd, env, sizeof env / sizeof env[0], d->verify_timeout_s,
                       drl_interrupted, &x->verify) != 0) {
        x->attach_why = "the verify command could not be started";
        cli_log_emit(&d->log, CLI_LOG_ERROR, "verify", f, 3, "%s: %s", x->attach_why,
                     x->verify.error);
        return;
    }
    x->verified = true;
    const cli_verify_result *v = &x->verify;
    if (v->exit_status == 0 && !v->timed_out && !v->interrupted)
        cli_log_emit(&d->log, CLI_LOG_INFO, "verify", f, 3, "%s: verified in %.1f s",
                     enf_id_name(x->disk_id), v->seconds);
    else
        cli_log_emit(&d->log, CLI_LOG_ERROR, "verify", f, 3, "%s: verify %s (exit %d) after "
                     "%.1f s", enf_id_name(x->disk_id), v->timed_out ? "timed out"
                     : v->interrupted ? "interrupted" : "failed", v->exit_status, v->seconds);
}

static void attach_one(drl_ctx *d, const drl_policy *dp, const drl_disk *dd, drl_restore *x)
{
    az_error err;
    memset(&err, 0, sizeof err);
    double t0 = mono_s();
    int lun = free_lun(d, &err);
    if (lun < 0) {
        x->attach_err = err;
        x->attach_seconds = mono_s() - t0;
        return;
    }
    x->lun = lun;
    if (journal(d, dp, dd, "attach", x, NULL, false, 0) != 0) {
        x->attach_why = "the journal could not be written";
        return;
    }
    az_disk_attach a = { .disk_id = x->disk_id, .lun = lun, .caching = "None" };
    int rc = az_vm_attach_detach(d->client, d->vm, &a, 1, NULL, 0, &err);
    double sec = mono_s() - t0;
    journal(d, dp, dd, "attach", x, rc == 0 ? NULL : &err, true, sec);
    if (rc != 0) {
        x->attach_err = err;
        x->attach_seconds = sec;
        /* the answer was lost: it may be attached all the same */
        if (err.ambiguous && attached_now(d, x->disk_id) != 0)
            detach(d, dp, dd, x);
        return;
    }
    x->attached = true;
    snprintf(x->device, sizeof x->device, "%s/lun%d", d->device_dir, lun);
    int w = cli_wait_for_path(x->device, DRL_DEVICE_TIMEOUT_S, drl_interrupted);
    x->attach_seconds = mono_s() - t0;
    if (w != 0)
        x->attach_why = w == 1 ? "the disk's device did not appear under the device directory"
                               : "interrupted while waiting for the device";
    else if (d->verify_cmd != NULL)
        verify(d, dp, dd, x);
    detach(d, dp, dd, x);
}

void drl_attach_and_verify(drl_ctx *d, const drl_policy *dp, drl_disk *dd)
{
    for (size_t i = 0; i < dd->nrestores; i++) {
        drl_restore *x = &dd->restores[i];
        x->lun = -1;
        if (x->why != NULL || x->create.status != AZ_OP_DONE)
            continue;
        if (drl_interrupted()) {
            x->attach_why = "interrupted before it was attached";
            continue;
        }
        attach_one(d, dp, dd, x);
        if (x->attach_why != NULL && x->verified == false)
            cli_log_emit(&d->log, CLI_LOG_ERROR, "attach", NULL, 0, "%s: %s",
                         enf_id_name(x->disk_id), x->attach_why);
        else if (x->attach_err.code[0] != '\0' && !x->attached)
            cli_log_emit(&d->log, CLI_LOG_ERROR, "attach", NULL, 0, "%s: attach to %s failed: "
                         "%s: %s", enf_id_name(x->disk_id), enf_id_name(d->vm),
                         x->attach_err.code, x->attach_err.message);
    }
}

/* The LUN, caching and write accelerator a production disk has on the VM
 * holding it (read only). 0, or -1 with x->attach_why / attach_err set. */
static int production_lun(drl_ctx *d, const drl_disk *dd, drl_restore *x, az_vm *vm,
                          az_disk_attach *out)
{
    az_disk_info *info = malloc(sizeof *info);
    az_error err;
    memset(&err, 0, sizeof err);
    int got = info != NULL ? az_get_disk_info(d->client, dd->source, info, &err) : -1;
    if (got == 1 && info->managed_by[0] == '\0')
        x->attach_why = "the production disk is attached to no VM: its LUN is unknown";
    else if (got == 1)
        got = az_get_vm(d->client, info->managed_by, vm, &err);
    free(info);
    if (x->attach_why != NULL)
        return -1;
    if (got != 1) {
        x->attach_err = err;
        if (got == 0)
            x->attach_why = "the production disk or its VM does not exist";
        return -1;
    }
    for (size_t i = 0; i < vm->ndisks; i++)
        if (enf_same_id(vm->disks[i].disk_id, dd->source)) {
            x->lun = vm->disks[i].lun;
            snprintf(x->caching, sizeof x->caching, "%s", vm->disks[i].caching);
            *out = (az_disk_attach){ .disk_id = x->disk_id, .lun = x->lun,
                                     .caching = x->caching,
                                     .write_accelerator = vm->disks[i].write_accelerator };
            return 0;
        }
    x->attach_why = "the production disk is not a data disk of the VM holding it";
    return -1;
}

static void standby_power(drl_ctx *d, az_vm_action action, bool *done, double *sec)
{
    double t0 = mono_s();
    az_error err;
    memset(&err, 0, sizeof err);
    int rc = az_vm_power_action(d->client, d->vm, action, &err);
    *sec = mono_s() - t0;
    *done = rc == 0;
    if (rc == 0)
        return;
    d->standby_err = err;
    d->failed = true;
    cli_log_emit(&d->log, CLI_LOG_ERROR, "standby", NULL, 0, "%s of the standby %s failed: "
                 "%s: %s", action == AZ_VM_START ? "start" : "deallocation",
                 enf_id_name(d->vm), err.code, err.message);
}

void drl_failover_rehearse(drl_ctx *d, const drl_policy *dp)
{
    az_vm *vm = malloc(sizeof *vm), *standby = malloc(sizeof *standby);
    double t0 = mono_s();
    if (vm == NULL || standby == NULL) {
        d->failed = true;
        free(vm);
        free(standby);
        return;
    }
    az_error err;
    memset(&err, 0, sizeof err);
    int have_standby = az_get_vm(d->client, d->vm, standby, &err);
    bool any = false;
    for (size_t k = 0; k < dp->ndisks && !drl_interrupted(); k++) {
        drl_disk *dd = &dp->disks[k];
        drl_restore *x = dd->nrestores > 0 ? &dd->restores[0] : NULL;
        if (x == NULL || x->why != NULL || x->create.status != AZ_OP_DONE)
            continue;
        az_disk_attach a;
        if (production_lun(d, dd, x, vm, &a) != 0)
            continue;
        for (size_t i = 0; have_standby == 1 && i < standby->ndisks; i++)
            if (standby->disks[i].lun == x->lun)
                x->attach_why = "that LUN of the standby holds another disk";
        if (have_standby != 1)
            x->attach_why = "the standby cannot be read";
        if (x->attach_why != NULL || journal(d, dp, dd, "attach", x, NULL, false, 0) != 0)
            continue;
        double a0 = mono_s();
        int rc = az_vm_attach_detach(d->client, d->vm, &a, 1, NULL, 0, &err);
        x->attach_seconds = mono_s() - a0;
        journal(d, dp, dd, "attach", x, rc == 0 ? NULL : &err, true, x->attach_seconds);
        if (rc != 0) {
            x->attach_err = err;
            if (err.ambiguous && attached_now(d, x->disk_id) != 0)
                detach(d, dp, dd, x);
            continue;
        }
        x->attached = true;
        any = true;
        /* the path as the standby sees it: nothing to wait for here */
        snprintf(x->device, sizeof x->device, "%s/lun%d", d->device_dir, x->lun);
    }
    /* a standby that runs already is left as it is: the drill starts (and
     * so deallocates) only one it found stopped */
    bool was_up = have_standby == 1 && (standby->power == AZ_POWER_RUNNING ||
                                        standby->power == AZ_POWER_STARTING);
    if (any && d->start_standby && !was_up && !drl_interrupted())
        standby_power(d, AZ_VM_START, &d->standby_started, &d->start_seconds);
    for (size_t k = 0; k < dp->ndisks && d->verify_cmd != NULL; k++) {
        drl_disk *dd = &dp->disks[k];
        if (dd->nrestores > 0 && dd->restores[0].attached && !drl_interrupted() &&
            (!d->start_standby || d->standby_started))
            verify(d, dp, dd, &dd->restores[0]);
    }
    d->failover_rto += mono_s() - t0;   /* the creations' time is added by the caller */
    if (d->standby_started)
        standby_power(d, AZ_VM_DEALLOCATE, &d->standby_deallocated, &d->deallocate_seconds);
    for (size_t k = 0; k < dp->ndisks; k++) {
        drl_disk *dd = &dp->disks[k];
        if (dd->nrestores > 0 && dd->restores[0].attached)
            detach(d, dp, dd, &dd->restores[0]);
    }
    free(vm);
    free(standby);
}
