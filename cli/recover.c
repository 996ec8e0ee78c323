/* Recovery helpers shared by restore, drill and run: IDs, journal lines
 * of disk operations, removal of interrupted drills' disks. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "azure/vm.h"
#include "cli/recover.h"
#include "engine/enforce.h"

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool cli_disk_name_ok(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;
    if (len == 0 || len > 80 || !alnum(name[0]) ||
        !(alnum(name[len - 1]) || name[len - 1] == '_'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!alnum(name[i]) && name[i] != '_' && name[i] != '-' && name[i] != '.')
            return false;
    return true;
}

static const char *outcome_word(const az_op *op)
{
    switch (op->status) {
    case AZ_OP_DONE: return op->already_gone ? "already-gone" : "done";
    case AZ_OP_SKIPPED: return "skipped";
    case AZ_OP_FAILED: return "failed";
    case AZ_OP_PENDING: break;
    }
    return "pending";
}

int cli_recover_journal(cli_journal *j, cli_log *log, sk_time t, const char *opname,
                        const char *policy, const char *source, const char *resource,
                        const az_op *done)
{
    if (j == NULL)
        return 0;
    cli_journal_entry e = cli_journal_entry_init(t, done == NULL ? "intent" : "outcome");
    e.op = opname;
    e.policy = policy;
    e.disk = source;
    e.resource = resource;
    if (done != NULL) {
        e.outcome = outcome_word(done);
        e.request_id = done->err.request_id;
        if (done->status == AZ_OP_FAILED) {
            e.error_code = done->err.code;
            e.error = done->err.message;
        }
    }
    char err[512];
    if (cli_journal_write(j, &e, err, sizeof err) == 0)
        return 0;
    cli_log_emit(log, CLI_LOG_ERROR, "journal", NULL, 0, "%s%s", err,
                 done == NULL ? "; the change it announces is not made" : "");
    return -1;
}

void cli_leftovers_free(cli_leftovers *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->ids[i]);
    for (size_t i = 0; i < l->nfailed; i++)
        free(l->failed_ids[i]);
    free(l->ids);
    free(l->failed_ids);
    memset(l, 0, sizeof *l);
}

static int push_id(char ***v, size_t *n, const char *id)
{
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (nv == NULL)
        return -1;
    *v = nv;
    if ((nv[*n] = strdup(id)) == NULL)
        return -1;
    (*n)++;
    return 0;
}

static bool drill_disk(const inv_disk *d)
{
    return d->id != NULL && d->id[0] != '\0' &&
           inv_tag_get(d->tags, d->ntags, CLI_TAG_DRILL) != NULL &&
           inv_tag_get(d->tags, d->ntags, CLI_TAG_RESTORED_FROM) != NULL;
}

bool cli_drill_lacks_policy(const inv_disk *d)
{
    return drill_disk(d) && inv_tag_get(d->tags, d->ntags, CLI_TAG_DRILL_POLICY) == NULL;
}

bool cli_drill_is_leftover(const inv_disk *d, const char *policy, sk_time now,
                           int64_t min_age)
{
    const char *owner = inv_tag_get(d->tags, d->ntags, CLI_TAG_DRILL_POLICY);
    if (!drill_disk(d) || policy == NULL || owner == NULL || strcmp(owner, policy) != 0)
        return false;
    if (min_age <= 0)
        return true;
    const char *when = inv_tag_get(d->tags, d->ntags, CLI_TAG_DRILL);
    sk_time t;
    return eng_time_parse(when, strlen(when), &t) == 0 && t <= now - min_age;
}

typedef struct cleanup_ctx {
    cli_log *log;
    cli_journal *j;
    const pol_policy *p;
    sk_time now;
    int64_t min_age;
    cli_leftovers *out;
    bool failed, oom;
} cleanup_ctx;

static void cleanup_done(void *vctx, az_op *op)
{
    cleanup_ctx *x = vctx;
    cli_recover_journal(x->j, x->log, x->now, "delete-disk", x->p->name, NULL, op->id, op);
    cli_log_field f[] = { { "policy", x->p->name }, { "disk", op->id },
                          { "code", op->status == AZ_OP_FAILED ? op->err.code : NULL } };
    if (op->status == AZ_OP_DONE) {
        cli_log_emit(x->log, CLI_LOG_WARN, "leftover", f, 3,
                     "removed leftover drill disk %s of an interrupted drill",
                     enf_id_name(op->id));
        if (push_id(&x->out->ids, &x->out->n, op->id) != 0)
            x->oom = true;
    } else {
        cli_log_emit(x->log, CLI_LOG_ERROR, "leftover", f, 3,
                     "leftover drill disk %s could not be removed: %s: %s",
                     enf_id_name(op->id), op->err.code, op->err.message);
        if (push_id(&x->out->failed_ids, &x->out->nfailed, op->id) != 0)
            x->oom = true;
        x->failed = true;
    }
}

static bool busy(const az_op *op)
{
    return op->status == AZ_OP_FAILED && op->err.http_status == 409 &&
           (strcmp(op->err.code, "OperationNotAllowed") == 0 ||
            strcmp(op->err.code, "Conflict") == 0);
}

void cli_delete_disks(az_client *c, az_op *ops, size_t n,
                      void (*on_done)(void *ctx, az_op *op), void *ctx)
{
    az_run_ops(c, ops, n, NULL, NULL);
    for (int round = 0; round < CLI_BUSY_ROUNDS; round++) {
        size_t again = 0;
        for (size_t i = 0; i < n; i++)
            again += busy(&ops[i]);
        if (again == 0)
            break;
        struct timespec ts = { CLI_BUSY_WAIT_S, 0 };
        nanosleep(&ts, NULL);
        for (size_t i = 0; i < n; i++)
            if (busy(&ops[i]))
                az_run_ops(c, &ops[i], 1, NULL, NULL);
    }
    for (size_t i = 0; on_done != NULL && i < n; i++)
        on_done(ctx, &ops[i]);
}

static bool listed(const cli_leftovers *l, const char *id)
{
    for (size_t i = 0; l != NULL && i < l->n; i++)
        if (strcasecmp(l->ids[i], id) == 0)
            return true;
    return false;
}

/* Names the drill disks no policy tag marks, each once: guessing whose
 * they are could delete a running drill's disk. */
static void report_unmarked(const inv_inventory *inv, cleanup_ctx *x, cli_leftovers *seen)
{
    for (size_t i = 0; i < inv->ndisks; i++) {
        const inv_disk *d = &inv->disks[i];
        if (!cli_drill_lacks_policy(d) || listed(seen, d->id))
            continue;
        cli_log_field f[] = { { "policy", x->p->name }, { "disk", d->id } };
        cli_log_emit(x->log, CLI_LOG_WARN, "leftover", f, 2,
                     "drill disk %s has no %s tag: not removed; delete it by hand if "
                     "no drill is running", enf_id_name(d->id), CLI_TAG_DRILL_POLICY);
        /* out of memory: it may be named again, nothing worse */
        if (seen != NULL)
            (void)push_id(&seen->ids, &seen->n, d->id);
    }
}

/* A drill killed while its disk was attached (drill --attach-to) leaves it
 * held by the VM, and ARM refuses to delete a held disk: detach it first.
 * Only drill disks of this policy get here. Returns 0 when detached. */
static int detach_leftover(az_client *c, const inv_disk *d, cleanup_ctx *x)
{
    cli_journal_entry e = cli_journal_entry_init(x->now, "intent");
    e.op = "detach";
    e.policy = x->p->name;
    e.resource = d->id;
    e.vm = d->managed_by;
    char jerr[512];
    if (x->j != NULL && cli_journal_write(x->j, &e, jerr, sizeof jerr) != 0)
        return -1;
    az_disk_detach det = { .disk_id = d->id };
    az_error err;
    memset(&err, 0, sizeof err);
    int rc = az_vm_attach_detach(c, d->managed_by, NULL, 0, &det, 1, &err);
    e.event = "outcome";
    e.outcome = rc == 0 ? "done" : "failed";
    e.error_code = rc == 0 ? NULL : err.code;
    e.error = rc == 0 ? NULL : err.message;
    if (x->j != NULL)
        (void)cli_journal_write(x->j, &e, jerr, sizeof jerr);
    cli_log_field f[] = { { "policy", x->p->name }, { "disk", d->id }, { "vm", d->managed_by } };
    if (rc == 0)
        cli_log_emit(x->log, CLI_LOG_WARN, "leftover", f, 3, "detached leftover drill disk %s "
                     "from VM %s", enf_id_name(d->id), enf_id_name(d->managed_by));
    else
        cli_log_emit(x->log, CLI_LOG_ERROR, "leftover", f, 3, "leftover drill disk %s could "
                     "not be detached from VM %s: %s: %s", enf_id_name(d->id),
                     enf_id_name(d->managed_by), err.code, err.message);
    return rc;
}

static int cleanup_run(az_client *c, const inv_inventory *inv, cleanup_ctx *x)
{
    size_t n = 0;
    for (size_t i = 0; i < inv->ndisks; i++)
        n += cli_drill_is_leftover(&inv->disks[i], x->p->name, x->now, x->min_age);
    if (n == 0)
        return 0;
    az_op *ops = calloc(n, sizeof *ops);
    if (ops == NULL)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < inv->ndisks; i++) {
        if (!cli_drill_is_leftover(&inv->disks[i], x->p->name, x->now, x->min_age))
            continue;
        const inv_disk *d = &inv->disks[i];
        if (d->managed_by != NULL && d->managed_by[0] != '\0' &&
            detach_leftover(c, d, x) != 0) {
            if (push_id(&x->out->failed_ids, &x->out->nfailed, d->id) != 0)
                x->oom = true;
            x->failed = true;
            continue;
        }
        ops[k].kind = AZ_OP_DELETE_DISK;
        ops[k].id = d->id;
        /* an intent that cannot be journaled is not sent */
        if (cli_recover_journal(x->j, x->log, x->now, "delete-disk", x->p->name, NULL,
                                ops[k].id, NULL) == 0)
            k++;
        else
            x->failed = true;
    }
    cli_delete_disks(c, ops, k, cleanup_done, x);
    free(ops);
    return x->failed || x->oom ? 1 : 0;
}

int cli_drill_cleanup_leftovers(az_client *c, const cli_azure *a, const pol_policy *p,
                                cli_log *log, cli_journal *j, sk_time now,
                                int64_t min_age_usec, cli_leftovers *out,
                                cli_leftovers *unmarked)
{
    cli_leftovers local = { 0 };
    cleanup_ctx x = { .log = log, .j = j, .p = p, .now = now, .min_age = min_age_usec,
                      .out = out != NULL ? out : &local };
    const char *sub = cli_policy_subscription(a, p);
    if (sub == NULL)
        return -1;
    inv_inventory *inv = inv_new();
    az_error err;
    memset(&err, 0, sizeof err);
    if (inv == NULL || az_list_disks(c, sub, p->resource_group, inv, &err) != 0) {
        cli_log_field f[] = { { "policy", p->name }, { "code", err.code },
                              { "request_id", err.request_id } };
        if (inv == NULL || az_error_is_oom(&err))
            cli_log_emit(log, CLI_LOG_ERROR, "oom", f, 1,
                         "out of memory (listing disks to find drill leftovers)");
        else
            cli_log_emit(log, CLI_LOG_ERROR, "leftover", f, 3,
                         "listing disks to find drill leftovers failed: %s: %s", err.code,
                         err.message);
        inv_free(inv);
        return -1;
    }
    report_unmarked(inv, &x, unmarked);
    int rc = cleanup_run(c, inv, &x);
    inv_free(inv);
    cli_leftovers_free(&local);
    return rc;
}

void cli_restore_next_steps(FILE *f, const char *new_id, const char *source_disk_id)
{
    char rg[256] = "RG", name[256] = "DISK", old[256] = "OLD_DISK";
    cli_id_segment(new_id, 3, rg, sizeof rg);
    snprintf(name, sizeof name, "%s", enf_id_name(new_id));
    if (source_disk_id != NULL)
        snprintf(old, sizeof old, "%s", enf_id_name(source_disk_id));
    const char *slash = new_id[0] == '/' ? "" : "/";
    fprintf(f,
        "\nNext steps (set VM to the virtual machine's name and VM_RG to its resource group):\n"
        "\nComplete restore: replace the data disk with the restored one.\n"
        "  az vm deallocate --resource-group \"$VM_RG\" --name \"$VM\"\n"
        "  az vm show --resource-group \"$VM_RG\" --name \"$VM\" "
        "--query \"storageProfile.dataDisks[?name=='%s'].lun\"   # note the LUN\n"
        "  az vm disk detach --resource-group \"$VM_RG\" --vm-name \"$VM\" --name %s\n"
        "  az vm disk attach --resource-group \"$VM_RG\" --vm-name \"$VM\" "
        "--name %s%s --lun LUN\n"
        "  az vm start --resource-group \"$VM_RG\" --name \"$VM\"\n"
        "  # if the service now runs on another VM, move its public IP or DNS entry:\n"
        "  az network nic ip-config update --resource-group \"$VM_RG\" --nic-name NIC "
        "--name ipconfig1 --public-ip-address PUBLIC_IP\n"
        "  az network dns record-set a add-record --resource-group DNS_RG "
        "--zone-name ZONE --record-set-name HOST --ipv4-address NEW_IP\n"
        "  # keep %s until the service is verified, then delete it\n",
        old, old, slash, new_id, old);
    fprintf(f,
        "\nPartial restore: copy files from the restored disk, then remove it.\n"
        "  az vm disk attach --resource-group \"$VM_RG\" --vm-name \"$VM\" "
        "--name %s%s --lun FREE_LUN\n"
        "  # on the VM: mount it read-only and copy what is needed\n"
        "  sudo mkdir -p /mnt/restore && sudo mount -o ro "
        "/dev/disk/azure/scsi1/lunFREE_LUN-part1 /mnt/restore\n"
        "  sudo cp -a /mnt/restore/PATH /DESTINATION && sudo umount /mnt/restore\n"
        "  az vm disk detach --resource-group \"$VM_RG\" --vm-name \"$VM\" --name %s\n"
        "  az disk delete --resource-group %s --name %s --yes\n",
        slash, new_id, name, rg, name);
}
