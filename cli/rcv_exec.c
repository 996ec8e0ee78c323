/* The recovery step runner (see rcv_exec.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "azure/net.h"
#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "cli/oom.h"
#include "cli/rcv_exec.h"
#include "cli/recover.h"
#include "engine/enforce.h"

/* How long a creation an earlier attempt left running may take to end. */
#define RCV_WAIT_DISK_S 1800
#define RCV_WAIT_POLL_MS 2000

int cli_rcv_failure_exit(const az_error *e)
{
    if (az_error_is_oom(e)) {
        cli_oom_note();
        return EXIT_NOMEM;
    }
    return e->transport || e->retries_exhausted || e->http_status == 429 ||
           e->http_status >= 500 || strcmp(e->code, "OperationTimedOut") == 0
               ? EXIT_AZURE : EXIT_PARTIAL;
}

static rcv_power power_of(az_power p)
{
    switch (p) {
    case AZ_POWER_RUNNING: return RCV_POWER_RUNNING;
    case AZ_POWER_STARTING: return RCV_POWER_STARTING;
    case AZ_POWER_STOPPING: return RCV_POWER_STOPPING;
    case AZ_POWER_STOPPED: return RCV_POWER_STOPPED;
    case AZ_POWER_DEALLOCATING: return RCV_POWER_DEALLOCATING;
    case AZ_POWER_DEALLOCATED: return RCV_POWER_DEALLOCATED;
    case AZ_POWER_UNKNOWN: break;
    }
    return RCV_POWER_UNKNOWN;
}

void cli_rcv_vm_view(const az_vm *vm, bool exists, rcv_vm *out, rcv_lun *luns)
{
    memset(out, 0, sizeof *out);
    out->exists = exists;
    out->id = vm->id;
    out->location = vm->location;
    out->zone = vm->zone;
    out->power = power_of(vm->power);
    out->luns = luns;
    for (size_t i = 0; exists && i < vm->ndisks && i < RCV_MAX_LUNS; i++) {
        const az_vm_disk *d = &vm->disks[i];
        luns[out->nluns++] = (rcv_lun){ .lun = d->lun, .disk_id = d->disk_id,
                                        .caching = d->caching,
                                        .write_accelerator = d->write_accelerator };
    }
}

static const char *tag_of(const az_disk_info *d, const char *key)
{
    for (size_t i = 0; i < d->ntags; i++)
        if (strcasecmp(d->tags[i].key, key) == 0)
            return d->tags[i].value;
    return NULL;
}

void cli_rcv_disk_view(const az_disk_info *d, bool exists, rcv_disk *out)
{
    memset(out, 0, sizeof *out);
    out->exists = exists;
    if (!exists)
        return;
    out->id = d->id;
    out->location = d->location;
    out->zone = d->zone;
    out->managed_by = d->managed_by;
    const char *ps = d->provisioning_state;
    out->provisioning = strcasecmp(ps, "Failed") == 0 || strcasecmp(ps, "Canceled") == 0
                            ? RCV_PROV_FAILED
                        : ps[0] == '\0' || strcasecmp(ps, "Succeeded") == 0 ? RCV_PROV_OK
                                                                             : RCV_PROV_BUSY;
    out->restored_from = tag_of(d, CLI_TAG_RESTORED_FROM);
    out->replaces = tag_of(d, CLI_TAG_REPLACES);
    out->replaced_by = tag_of(d, CLI_TAG_REPLACED_BY);
    out->copy_for = tag_of(d, CLI_TAG_COPY_FOR);
}

void cli_rcv_step_text(char *buf, size_t n, const rcv_step *s)
{
    const char *vm = enf_id_name(s->vm_id), *disk = enf_id_name(s->disk_id);
    switch (s->kind) {
    case RCV_CREATE_DISK:
        snprintf(buf, n, "create disk %s", disk);
        break;
    case RCV_WAIT_DISK:
        snprintf(buf, n, "wait for the creation of disk %s (started earlier)", disk);
        break;
    case RCV_DEALLOCATE:
        snprintf(buf, n, "deallocate VM %s", vm);
        break;
    case RCV_DETACH:
        snprintf(buf, n, "%sdetach disk %s from VM %s (LUN %d)",
                 s->force ? "force-" : "", disk, vm, s->lun);
        if (s->force && strlen(buf) + 40 < n)
            strcat(buf, ", ARM's ForceDetach");
        break;
    case RCV_ATTACH:
        snprintf(buf, n, "attach disk %s to VM %s at LUN %d (caching %s%s)", disk, vm, s->lun,
                 s->caching[0] ? s->caching : "None",
                 s->write_accelerator ? ", write accelerator" : "");
        break;
    case RCV_TAG_REPLACED:
        snprintf(buf, n, "tag disk %s %s and %s", disk, CLI_TAG_REPLACED_BY,
                 CLI_TAG_REPLACED_AT);
        break;
    case RCV_START:
        snprintf(buf, n, "start VM %s", vm);
        break;
    case RCV_DELETE_DISK:
        snprintf(buf, n, "delete disk %s", disk);
        break;
    case RCV_IP_REMOVE:
        if (s->nic_id != NULL)
            snprintf(buf, n, "remove public IP %s from IP configuration %s of NIC %s (VM %s)",
                     enf_id_name(s->public_ip_id), s->ipconfig, enf_id_name(s->nic_id), vm);
        else
            snprintf(buf, n, "remove public IP %s from VM %s", enf_id_name(s->public_ip_id), vm);
        break;
    case RCV_IP_ADD:
        snprintf(buf, n, "add public IP %s to IP configuration %s of NIC %s (VM %s)",
                 enf_id_name(s->public_ip_id), s->ipconfig != NULL ? s->ipconfig : "(primary)",
                 enf_id_name(s->nic_id), vm);
        break;
    case RCV_DNS_SET:
        snprintf(buf, n, "point DNS A record %s at %s (VM %s's private IP; If-Match %s)",
                 cli_rcv_record_name(s->record_id), s->ip, vm,
                 s->etag != NULL ? s->etag : "none");
        break;
    }
}

const char *cli_rcv_record_name(const char *record_id)
{
    /* ".../ZONE/A/NAME" reads as ZONE/NAME */
    static char buf[600];
    const char *a = record_id != NULL ? strstr(record_id, "/A/") : NULL;
    const char *zone = a;
    while (zone != NULL && zone > record_id && zone[-1] != '/')
        zone--;
    if (a == NULL || zone == NULL) {
        snprintf(buf, sizeof buf, "%s", record_id != NULL ? record_id : "?");
        return buf;
    }
    snprintf(buf, sizeof buf, "%.*s/%s", (int)(a - zone), zone, a + 3);
    return buf;
}

void cli_rcv_print_plan(FILE *f, const rcv_plan *p, const cli_rcv_run *x)
{
    char text[600];
    for (size_t i = 0; i < p->nsteps; i++) {
        cli_rcv_step_text(text, sizeof text, &p->steps[i]);
        fprintf(f, "  %zu. %s", i + 1, text);
        if (p->steps[i].done)
            fputs("  [done already]", f);
        else if (x != NULL && x->seconds[i] > 0)
            fprintf(f, "  (%.1f s)", x->seconds[i]);
        fputc('\n', f);
    }
}

cJSON *cli_rcv_plan_json(const rcv_plan *p, const cli_rcv_run *x)
{
    cJSON *a = cJSON_CreateArray();
    char text[600];
    for (size_t i = 0; a != NULL && i < p->nsteps; i++) {
        const rcv_step *s = &p->steps[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "step", (double)(i + 1));
        cJSON_AddStringToObject(o, "action", rcv_step_name(s->kind));
        cli_rcv_step_text(text, sizeof text, s);
        cJSON_AddStringToObject(o, "text", text);
        if (s->vm_id != NULL)
            cJSON_AddStringToObject(o, "vm", s->vm_id);
        if (s->disk_id != NULL)
            cJSON_AddStringToObject(o, "disk", s->disk_id);
        if (s->lun >= 0)
            cJSON_AddNumberToObject(o, "lun", s->lun);
        if (s->kind == RCV_DETACH && s->force)
            cJSON_AddBoolToObject(o, "force_detach", true);
        if (s->nic_id != NULL)
            cJSON_AddStringToObject(o, "nic", s->nic_id);
        if (s->ipconfig != NULL)
            cJSON_AddStringToObject(o, "ip_configuration", s->ipconfig);
        if (s->public_ip_id != NULL)
            cJSON_AddStringToObject(o, "public_ip", s->public_ip_id);
        if (s->record_id != NULL)
            cJSON_AddStringToObject(o, "dns_record", s->record_id);
        if (s->ip != NULL)
            cJSON_AddStringToObject(o, "ip", s->ip);
        if (s->kind == RCV_ATTACH) {
            cJSON_AddStringToObject(o, "caching", s->caching[0] ? s->caching : "None");
            cJSON_AddBoolToObject(o, "write_accelerator", s->write_accelerator);
        }
        const char *status = s->done ? "done-already" : "to-do";
        if (x != NULL && !s->done)
            status = x->failed_step == i + 1 ? "failed"
                     : x->failed_step != 0 && i + 1 > x->failed_step ? "not-reached"
                                                                      : "done";
        cJSON_AddStringToObject(o, "status", status);
        if (x != NULL && !s->done)
            cJSON_AddNumberToObject(o, "seconds", (double)(int64_t)(x->seconds[i] * 10) / 10);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int journal_step(cli_rcv_run *x, const rcv_step *s, const az_error *failed,
                        bool outcome, double seconds)
{
    if (x->journal == NULL)
        return 0;
    cli_journal_entry e = cli_journal_entry_init(cli_now(), outcome ? "outcome" : "intent");
    e.op = rcv_step_name(s->kind);
    e.policy = x->policy;
    e.disk = x->source_disk;
    e.resource = s->disk_id;
    e.vm = s->vm_id;
    if (outcome) {
        e.outcome = failed != NULL ? "failed" : "done";
        e.seconds = seconds;
        if (failed != NULL) {
            e.error_code = failed->code;
            e.error = failed->message;
            e.request_id = failed->request_id;
        }
    }
    char err[512];
    if (cli_journal_write(x->journal, &e, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "snapkeep: %s: %s\n", x->command, err);
    return -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int wait_disk(cli_rcv_run *x, const char *id, az_error *err)
{
    az_disk_info *d = malloc(sizeof *d);
    if (d == NULL) {
        az_error_set_oom(err);
        return -1;
    }
    double deadline = mono_s() + RCV_WAIT_DISK_S;
    int rc = -1;
    for (;;) {
        int got = az_get_disk_info(x->client, id, d, err);
        if (got < 0)
            break;
        if (got == 0) {
            snprintf(err->code, sizeof err->code, "NotFound");
            snprintf(err->message, sizeof err->message, "disk %s disappeared while it was "
                     "being created", enf_id_name(id));
            break;
        }
        const char *ps = d->provisioning_state;
        if (ps[0] == '\0' || strcasecmp(ps, "Succeeded") == 0) {
            rc = 0;
            break;
        }
        if (strcasecmp(ps, "Failed") == 0 || strcasecmp(ps, "Canceled") == 0) {
            snprintf(err->code, sizeof err->code, "ProvisioningFailed");
            snprintf(err->message, sizeof err->message, "the creation of disk %s ended %s",
                     enf_id_name(id), ps);
            break;
        }
        if (mono_s() > deadline) {
            snprintf(err->code, sizeof err->code, "OperationTimedOut");
            snprintf(err->message, sizeof err->message, "disk %s is still %s after %d s",
                     enf_id_name(id), ps, RCV_WAIT_DISK_S);
            break;
        }
        sleep_ms(RCV_WAIT_POLL_MS);
    }
    free(d);
    return rc;
}

/* The old disk's tags plus the two that say it was replaced, by what and
 * when (ARM replaces a disk's whole tag set). */
static int tag_replaced(cli_rcv_run *x, const char *id, az_error *err)
{
    az_disk_info *d = malloc(sizeof *d);
    if (d == NULL) {
        az_error_set_oom(err);
        return -1;
    }
    int rc = az_get_disk_info(x->client, id, d, err);
    if (rc == 0) {
        snprintf(err->code, sizeof err->code, "NotFound");
        snprintf(err->message, sizeof err->message, "disk %s no longer exists",
                 enf_id_name(id));
    }
    if (rc != 1) {
        free(d);
        return -1;
    }
    inv_tag tags[34];
    size_t n = 0;
    for (size_t i = 0; i < d->ntags && n < 32; i++)
        if (strcasecmp(d->tags[i].key, CLI_TAG_REPLACED_BY) != 0 &&
            strcasecmp(d->tags[i].key, CLI_TAG_REPLACED_AT) != 0)
            tags[n++] = d->tags[i];
    char when[ENG_TIME_BUFSZ];
    eng_time_format(cli_now(), when, sizeof when);
    tags[n++] = (inv_tag){ CLI_TAG_REPLACED_BY, x->replaced_by };
    tags[n++] = (inv_tag){ CLI_TAG_REPLACED_AT, when };
    rc = az_disk_set_tags(x->client, id, tags, n, err);
    free(d);
    return rc;
}

static int wait_gone(cli_rcv_run *x, const char *id, az_error *err)
{
    az_disk_info *d = malloc(sizeof *d);
    if (d == NULL) {
        az_error_set_oom(err);
        return -1;
    }
    double deadline = mono_s() + RCV_WAIT_DISK_S;
    int rc;
    while ((rc = az_get_disk_info(x->client, id, d, err)) == 1 &&
           strcasecmp(d->provisioning_state, "Deleting") == 0 && mono_s() < deadline)
        sleep_ms(RCV_WAIT_POLL_MS / 4);
    if (rc == 1) {
        snprintf(err->code, sizeof err->code, strcasecmp(d->provisioning_state, "Deleting") == 0
                 ? "OperationTimedOut" : "DiskChanged");
        snprintf(err->message, sizeof err->message, "disk %s is still there (%s)",
                 enf_id_name(id), d->provisioning_state);
    }
    free(d);
    return rc == 0 ? 0 : -1;
}

/* Just before a disk is deleted it is read again: only a detached disk that
 * snapkeep restored and that nobody put in service may go. */
static int delete_disk(cli_rcv_run *x, const char *id, az_error *err)
{
    az_disk_info *d = malloc(sizeof *d);
    if (d == NULL) {
        az_error_set_oom(err);
        return -1;
    }
    int rc = az_get_disk_info(x->client, id, d, err);
    if (rc <= 0) {
        free(d);
        return rc == 0 ? 0 : -1;            /* gone already: done */
    }
    if (strcasecmp(d->provisioning_state, "Deleting") == 0) {
        /* an earlier attempt's DELETE is under way: wait for it, send none */
        free(d);
        return wait_gone(x, id, err);
    }
    rcv_disk v;
    cli_rcv_disk_view(d, true, &v);
    const char *why = v.restored_from == NULL ? "it no longer carries snapkeep-restored-from"
                      : v.replaces != NULL    ? "it now carries snapkeep-replaces (in service)"
                      : v.managed_by != NULL && v.managed_by[0] != '\0'
                          ? "it is attached to a VM again"
                          : NULL;
    free(d);
    if (why != NULL) {
        snprintf(err->code, sizeof err->code, "DiskChanged");
        snprintf(err->message, sizeof err->message, "disk %s was not deleted: %s",
                 enf_id_name(id), why);
        return -1;
    }
    az_op del = { .kind = AZ_OP_DELETE_DISK, .id = id };
    az_run_ops(x->client, &del, 1, NULL, NULL);
    if (del.status == AZ_OP_DONE)
        return 0;
    *err = del.err;
    return -1;
}

/* The public IP set on (or, public_ip_id NULL, taken off) one IP
 * configuration: the NIC read now, changed in that one field, PUT back. */
static int set_public_ip(cli_rcv_run *x, const char *nic_id, const char *ipconfig,
                         const char *public_ip_id, az_error *err)
{
    az_nic *nic = calloc(1, sizeof *nic);
    if (nic == NULL) {
        az_error_set_oom(err);
        return -1;
    }
    int rc = az_get_nic(x->client, nic_id, nic, err);
    if (rc == 0) {
        snprintf(err->code, sizeof err->code, "NotFound");
        snprintf(err->message, sizeof err->message, "NIC %s does not exist",
                 enf_id_name(nic_id));
    }
    rc = rc == 1 && az_nic_set_public_ip(nic, ipconfig, public_ip_id, err) == 0 &&
                 az_put_nic(x->client, nic, err) == 0
             ? 0 : -1;
    az_nic_free(nic);
    free(nic);
    return rc;
}

/* The A record set to the one address, under the etag the plan read: a
 * record someone changed since is refused by ARM (412), never overwritten. */
static int set_dns(cli_rcv_run *x, const rcv_step *s, az_error *err)
{
    az_dns_a *rec = calloc(1, sizeof *rec);
    if (rec == NULL) {
        az_error_set_oom(err);
        return -1;
    }
    int rc = az_get_dns_a(x->client, s->record_id, rec, err);
    if (rc == 0) {
        snprintf(err->code, sizeof err->code, "NotFound");
        snprintf(err->message, sizeof err->message, "DNS record %s was deleted since the plan "
                 "read it", cli_rcv_record_name(s->record_id));
    }
    if (rc == 1) {
        snprintf(rec->etag, sizeof rec->etag, "%s", s->etag != NULL ? s->etag : "");
        const char *ips[1] = { s->ip };
        rc = az_dns_a_set_ips(rec, ips, 1, err) == 0 && az_put_dns_a(x->client, rec, err) == 0
                 ? 0 : -1;
        if (rc != 0 && strcmp(err->code, AZ_ERR_PRECONDITION) == 0) {
            char arm[300];
            snprintf(arm, sizeof arm, "%.299s", err->message);
            snprintf(err->message, sizeof err->message,
                     "DNS record %s was changed by someone else after this command read it "
                     "(etag %s): it was not overwritten; look at it, then run the command "
                     "again to plan from its new state (ARM: %s)",
                     cli_rcv_record_name(s->record_id), s->etag != NULL ? s->etag : "?", arm);
        }
    } else
        rc = -1;
    az_dns_a_free(rec);
    free(rec);
    return rc;
}

static const az_op *create_op(const cli_rcv_run *x, const char *disk_id)
{
    for (size_t i = 0; i < x->ncreates; i++)
        if (enf_same_id(x->creates[i].id, disk_id))
            return &x->creates[i];
    return x->create;
}

static int run_step(cli_rcv_run *x, const rcv_step *s, az_error *err)
{
    switch (s->kind) {
    case RCV_CREATE_DISK: {
        const az_op *want = create_op(x, s->disk_id);
        if (want == NULL) {
            snprintf(err->code, sizeof err->code, "InternalError");
            snprintf(err->message, sizeof err->message, "no creation for disk %s",
                     enf_id_name(s->disk_id));
            return -1;
        }
        az_op op = *want;
        az_run_ops(x->client, &op, 1, NULL, NULL);
        if (op.status == AZ_OP_DONE)
            return 0;
        *err = op.err;
        return -1;
    }
    case RCV_WAIT_DISK:
        return wait_disk(x, s->disk_id, err);
    case RCV_DEALLOCATE:
        return az_vm_power_action(x->client, s->vm_id, AZ_VM_DEALLOCATE, err);
    case RCV_START:
        return az_vm_power_action(x->client, s->vm_id, AZ_VM_START, err);
    case RCV_DETACH: {
        az_disk_detach d = { .disk_id = s->disk_id, .force = s->force };
        return az_vm_attach_detach(x->client, s->vm_id, NULL, 0, &d, 1, err);
    }
    case RCV_ATTACH: {
        az_disk_attach a = { .disk_id = s->disk_id, .lun = s->lun, .caching = s->caching,
                             .write_accelerator = s->write_accelerator };
        return az_vm_attach_detach(x->client, s->vm_id, &a, 1, NULL, 0, err);
    }
    case RCV_TAG_REPLACED:
        return tag_replaced(x, s->disk_id, err);
    case RCV_DELETE_DISK:
        return delete_disk(x, s->disk_id, err);
    case RCV_IP_REMOVE:
        return set_public_ip(x, s->nic_id, s->ipconfig, NULL, err);
    case RCV_IP_ADD:
        return set_public_ip(x, s->nic_id, s->ipconfig, s->public_ip_id, err);
    case RCV_DNS_SET:
        return set_dns(x, s, err);
    }
    return -1;
}

int cli_rcv_wait_settled(az_client *c, const char *vm_id, az_error *err)
{
    az_vm *vm = malloc(sizeof *vm);
    if (vm == NULL) {
        az_error_set_oom(err);
        return -1;
    }
    double deadline = mono_s() + CLI_RCV_SETTLE_S;
    int rc = -1;
    for (;;) {
        int got = az_get_vm(c, vm_id, vm, err);
        if (got < 0)
            break;
        bool moving = got == 1 && (vm->power == AZ_POWER_STARTING ||
                                   vm->power == AZ_POWER_STOPPING ||
                                   vm->power == AZ_POWER_DEALLOCATING ||
                                   strcasecmp(vm->provisioning_state, "Updating") == 0);
        if (!moving) {
            rc = 0;
            break;
        }
        if (mono_s() > deadline) {
            snprintf(err->code, sizeof err->code, "OperationTimedOut");
            snprintf(err->message, sizeof err->message, "VM %s is still %s after %d s",
                     enf_id_name(vm_id), az_power_name(vm->power), CLI_RCV_SETTLE_S);
            break;
        }
        sleep_ms(RCV_WAIT_POLL_MS);
    }
    free(vm);
    return rc;
}

/* How often one operation may lose an answer and read the state again. */
#define RCV_MAX_REPLANS 8

static int fail_step(cli_rcv_run *x, const rcv_plan *p, size_t i, const char *text,
                     double start)
{
    x->failed_step = i + 1;
    x->total_seconds = mono_s() - start;
    char what[700];
    snprintf(what, sizeof what, "%s: step %zu/%zu (%s) failed; ARM answered", x->command,
             i + 1, p->nsteps, text);
    cli_print_az_error(what, &x->err);
    fprintf(stderr, "snapkeep: %s: nothing after that step was done; once the cause is fixed, "
            "this resumes where it stopped:\n    %s\n", x->command,
            x->resume_line != NULL ? x->resume_line : "(the same command)");
    return cli_rcv_failure_exit(&x->err);
}

/* A lost answer: what ARM did is read back, and the plan goes on from
 * there. The seconds of steps already run are kept. */
static int replan(cli_rcv_run *x, rcv_plan *p, size_t i, const char *text, double start)
{
    fprintf(stderr, "snapkeep: %s: step %zu/%zu: the answer was lost (%s); reading the state "
            "again\n", x->command, i + 1, p->nsteps, x->err.code);
    double kept[RCV_MAX_STEPS];
    memcpy(kept, x->seconds, sizeof kept);
    az_error err;
    memset(&err, 0, sizeof err);
    int rc = x->replan(x->replan_ctx, p, &err);
    memcpy(x->seconds, kept, sizeof kept);
    if (rc == RCV_OK)
        return EXIT_OK;
    if (rc < 0) {
        x->err = err;
        return fail_step(x, p, i, text, start);
    }
    x->failed_step = i + 1;
    x->total_seconds = mono_s() - start;
    snprintf(x->err.code, sizeof x->err.code, "Refused");
    snprintf(x->err.message, sizeof x->err.message, "%s", p->why);
    fprintf(stderr, "snapkeep: %s: after a lost answer the plan is refused: %s\n",
            x->command, p->why);
    return EXIT_PARTIAL;
}

int cli_rcv_execute(cli_rcv_run *x, rcv_plan *p)
{
    char text[600];
    double start = mono_s();
    int replans = 0;
    memset(x->seconds, 0, sizeof x->seconds);
    x->failed_step = 0;
    for (size_t i = 0; i < p->nsteps; i++) {
        const rcv_step *s = &p->steps[i];
        if (s->done)
            continue;
        cli_rcv_step_text(text, sizeof text, s);
        fprintf(stderr, "snapkeep: %s: step %zu/%zu: %s\n", x->command, i + 1, p->nsteps, text);
        if (journal_step(x, s, NULL, false, 0) != 0)
            return EXIT_INVALID;
        double t0 = mono_s();
        memset(&x->err, 0, sizeof x->err);
        int rc = run_step(x, s, &x->err);
        x->seconds[i] += mono_s() - t0;
        if (journal_step(x, s, rc == 0 ? NULL : &x->err, true, mono_s() - t0) != 0 && rc == 0)
            return EXIT_INVALID;
        /* a lost answer, or ARM busy with an operation (perhaps the one
         * whose answer was lost): read the state again, do not resend */
        bool busy = x->err.http_status == 409 && strcmp(x->err.code, "OperationNotAllowed") == 0;
        if (rc != 0 && (x->err.ambiguous || busy) && x->replan != NULL &&
            replans++ < RCV_MAX_REPLANS) {
            int r = replan(x, p, i, text, start);
            if (r != EXIT_OK)
                return r;
            i = (size_t)-1;     /* from the first step the new plan has not done */
            continue;
        }
        if (rc != 0)
            return fail_step(x, p, i, text, start);
        fprintf(stderr, "snapkeep: %s: step %zu/%zu done in %.1f s\n", x->command, i + 1,
                p->nsteps, x->seconds[i]);
    }
    x->total_seconds = mono_s() - start;
    return EXIT_OK;
}

void cli_rcv_json_print(cJSON *o, const rcv_plan *p, const cli_rcv_run *x, bool dry_run, int rc,
                        const char *resume)
{
    cJSON_AddItemToObject(o, "steps", cli_rcv_plan_json(p, dry_run ? NULL : x));
    if (!dry_run) {
        cJSON_AddNumberToObject(o, "rto_seconds", (double)(int64_t)(x->total_seconds * 10) / 10);
        cJSON_AddBoolToObject(o, "ok", rc == EXIT_OK);
    }
    if (!dry_run && x->failed_step != 0) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddNumberToObject(e, "step", (double)x->failed_step);
        cJSON_AddStringToObject(e, "code", x->err.code);
        cJSON_AddStringToObject(e, "message", x->err.message);
        cJSON_AddStringToObject(e, "resume", resume);
    }
    char *text = cJSON_Print(o);
    if (text != NULL)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(o);
}
