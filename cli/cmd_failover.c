/* snapkeep failover POLICY --from VM --to STANDBY: the guide's failover by
 * disk reattachment. The source is deallocated (when it answers), every
 * disk the policy governs is detached from it and attached to the standby
 * at the same LUN with the same caching and write accelerator, the public
 * IP is moved to the standby's primary IP configuration and/or a DNS A
 * record pointed at its private IP (under the etag read when planning),
 * and the standby is started. A plan from live state (engine/failover.c)
 * carried out step by step (cli/rcv_exec.c) under a record (cli/rcv_record.c)
 * that lets the same command, run again after a kill, finish the job.
 * Failing back is the same command with --from and --to swapped. Exit
 * codes: 0 done (or, with --dry-run, would be); 1 refused or invalid
 * input (nothing changed); 2 usage; 3 Azure or the network failed; 4 ARM
 * refused a step (a DNS record changed meanwhile: its etag); 6 lock held
 * or another recovery operation unfinished. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "azure/net.h"
#include "azure/vm.h"
#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "cli/journal.h"
#include "cli/rcv_exec.h"
#include "cli/rcv_record.h"
#include "cli/recover.h"
#include "cli/state.h"
#include "engine/enforce.h"
#include "engine/failover.h"
#include "engine/pick.h"

typedef struct fo_ctx {
    const char *policy_path, *policy_name, *from, *to, *public_ip, *dns, *target_rg, *state_dir;
    int dns_kind;               /* -1: the file's, else private */
    int start;                  /* -1: the file's (default yes) */
    bool force_detach, dry_run, json;
    bool restore;               /* --restore: new disks from snapshots, originals untouched */
    pick_mode mode;             /* --latest / --at */
    bool have_mode;
    sk_time at;
    cli_azure az;
    int argc;
    char **argv;
    pol_file *file;
    const pol_policy *p;
    const char *subscription;
    char from_id[1024], to_id[1024], pip_id[1024], dns_id[1400];
    cli_state state;
    cli_journal journal;
    bool journaling;
    cli_rcv_record record;      /* also holds --restore's choices (disks[].snapshot/target) */
    az_client *client;
    cli_log log;
    inv_inventory *inv;         /* --restore: the subscription's snapshots */
    char snap_location[RCV_MAX_DISKS][64];
    inv_tag create_tags[RCV_MAX_DISKS][1];
    az_op creates[RCV_MAX_DISKS];
} fo_ctx;

enum { OPT_RESTORE = CLI_OPT_AZURE_LAST + 1, OPT_LATEST, OPT_AT, OPT_FROM, OPT_TO, OPT_PIP, OPT_DNS, OPT_DNS_KIND, OPT_START,
       OPT_NO_START, OPT_FORCE, OPT_RG, OPT_DRY_RUN, OPT_FORMAT, OPT_STATE_DIR, OPT_POLICY };


static int fo_option(void *ctx, int opt, const char *arg)
{
    fo_ctx *r = ctx;
    switch (opt) {
    case OPT_RESTORE: r->restore = true; return 0;
    case OPT_LATEST:
    case OPT_AT:
        if (r->have_mode) {
            fputs("snapkeep: failover: give one of --latest and --at\n", stderr);
            return -1;
        }
        r->have_mode = true;
        r->mode = opt == OPT_LATEST ? PICK_LATEST : PICK_AT;
        return opt == OPT_AT && cli_parse_time_opt("--at", arg, &r->at) != 0 ? -1 : 0;
    case OPT_FROM: r->from = arg; return 0;
    case OPT_TO: r->to = arg; return 0;
    case OPT_PIP: r->public_ip = arg; return 0;
    case OPT_DNS: r->dns = arg; return 0;
    case OPT_START: r->start = 1; return 0;
    case OPT_NO_START: r->start = 0; return 0;
    case OPT_FORCE: r->force_detach = true; return 0;
    case OPT_RG: r->target_rg = arg; return 0;
    case OPT_DRY_RUN: r->dry_run = true; return 0;
    case OPT_STATE_DIR: r->state_dir = arg; return 0;
    case OPT_POLICY: r->policy_name = arg; return 0;
    case OPT_DNS_KIND:
    {
        static const char *const kinds[] = { "private", "public", NULL };
        int v = cli_pick("--dns-zone-kind", arg, kinds);
        if (v < 0)
            return -1;
        r->dns_kind = v == 1 ? AZ_DNS_PUBLIC : AZ_DNS_PRIVATE;
        return 0;
    }
    case OPT_FORMAT:
        return cli_format_text_json(arg, &r->json);
    default:
        return cli_azure_option(&r->az, opt, arg) == 1 ? 0 : -1;
    }
}

static int parse_args(int argc, char **argv, fo_ctx *r)
{
    static const struct option longopts[] = {
        { "restore", no_argument, NULL, OPT_RESTORE },
        { "latest", no_argument, NULL, OPT_LATEST },
        { "at", required_argument, NULL, OPT_AT },
        { "from", required_argument, NULL, OPT_FROM },
        { "to", required_argument, NULL, OPT_TO },
        { "move-public-ip", required_argument, NULL, OPT_PIP },
        { "dns-record", required_argument, NULL, OPT_DNS },
        { "dns-zone-kind", required_argument, NULL, OPT_DNS_KIND },
        { "start", no_argument, NULL, OPT_START },
        { "no-start", no_argument, NULL, OPT_NO_START },
        { "force-detach", no_argument, NULL, OPT_FORCE },
        { "resource-group", required_argument, NULL, OPT_RG },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "policy", required_argument, NULL, OPT_POLICY },
        { "help", no_argument, NULL, 'h' },
        CLI_AZURE_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int rc = cli_parse_options(argc, argv, "failover", longopts, fo_option, r,
                               &r->policy_path);
    if (rc != 0)
        return rc;
    const char *problem = r->restore && !r->have_mode ? "--restore needs --latest or --at T"
                          : !r->restore && r->have_mode ? "--latest and --at go with --restore"
                                                        : NULL;
    if (problem != NULL) {
        fprintf(stderr, "snapkeep: failover: %s\n", problem);
        cli_usage("failover", stderr);
        return EXIT_USAGE;
    }
    return 0;
}

static const char *rg_of(const fo_ctx *r)
{
    return r->target_rg != NULL ? r->target_rg : r->p->resource_group;
}

/* NAME in the policy's resource group (or --resource-group), or an ID:
 * Compute kinds through cli_name_to_id, the public IP under Network. */
static int resolve(const fo_ctx *r, const char *provider, const char *kind, const char *name,
                   char *buf, size_t n)
{
    const char *rg = rg_of(r);
    int w;
    if (strcmp(provider, "Microsoft.Compute") == 0 || strchr(name, '/') != NULL)
        w = cli_name_to_id(buf, n, name, r->subscription, rg, kind);
    else
        w = rg == NULL ? -1
            : snprintf(buf, n, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s",
                       r->subscription, rg, provider, kind, name) >= (int)n ? -1 : 0;
    if (w != 0) {
        fprintf(stderr, "snapkeep: failover: cannot tell which resource group %s is in: give "
                "--resource-group or a full resource ID\n", name);
        return EXIT_INVALID;
    }
    return EXIT_OK;
}

/* The flags over the policy's recovery block. */
static int choose_topology(fo_ctx *r)
{
    const pol_recovery *rc = r->p->recovery;
    const char *from = r->from != NULL ? r->from : rc != NULL ? rc->vm : NULL;
    const char *to = r->to != NULL ? r->to : rc != NULL ? rc->standby : NULL;
    if (from == NULL || to == NULL) {
        fprintf(stderr, "snapkeep: failover: %s: give --from and --to, or write vm and standby "
                "in the policy's recovery block\n", from == NULL ? "no source VM" : "no standby");
        return EXIT_USAGE;
    }
    int e = resolve(r, "Microsoft.Compute", "virtualMachines", from, r->from_id,
                    sizeof r->from_id);
    if (e == EXIT_OK)
        e = resolve(r, "Microsoft.Compute", "virtualMachines", to, r->to_id, sizeof r->to_id);
    const char *pip = r->public_ip != NULL ? r->public_ip : rc != NULL ? rc->public_ip : NULL;
    if (e == EXIT_OK && pip != NULL)
        e = resolve(r, "Microsoft.Network", "publicIPAddresses", pip, r->pip_id,
                    sizeof r->pip_id);
    char zone[512] = "", name[512] = "";
    if (r->dns != NULL) {
        const char *slash = strrchr(r->dns, '/');
        if (slash == NULL || slash == r->dns || slash[1] == '\0' ||
            (size_t)(slash - r->dns) >= sizeof zone) {
            fprintf(stderr, "snapkeep: failover: --dns-record '%s': write ZONE/NAME "
                    "(corp.internal/app)\n", r->dns);
            return EXIT_USAGE;
        }
        snprintf(zone, sizeof zone, "%.*s", (int)(slash - r->dns), r->dns);
        snprintf(name, sizeof name, "%s", slash + 1);
    } else if (rc != NULL && rc->dns_zone != NULL) {
        snprintf(zone, sizeof zone, "%s", rc->dns_zone);
        snprintf(name, sizeof name, "%s", rc->dns_name);
    }
    int kind = r->dns_kind >= 0 ? r->dns_kind
               : rc != NULL && rc->has_dns_zone_kind && rc->dns_zone_kind == POL_DNS_PUBLIC
                   ? AZ_DNS_PUBLIC : AZ_DNS_PRIVATE;
    if (e == EXIT_OK && zone[0] != '\0' &&
        az_dns_a_id(r->dns_id, sizeof r->dns_id, r->subscription, rg_of(r), (az_dns_kind)kind,
                    zone, name) != 0) {
        fprintf(stderr, "snapkeep: failover: DNS record %s/%s: give --resource-group (the "
                "zone's resource group)\n", zone, name);
        return EXIT_INVALID;
    }
    if (r->start < 0)
        r->start = rc == NULL || !rc->has_start_standby || rc->start_standby;
    return e;
}

static int choose_policy(fo_ctx *r)
{
    int rc = EXIT_OK;
    r->p = cli_one_policy(r->file, r->policy_path, r->policy_name, "failover", &rc);
    if (r->p == NULL)
        return rc;
    if ((r->subscription = cli_policy_subscription(&r->az, r->p)) == NULL)
        return EXIT_INVALID;
    return choose_topology(r);
}

static int open_state(fo_ctx *r)
{
    char key[sizeof r->record.key];
    cli_rcv_key(key, sizeof key, r->restore ? "failover-restore" : "failover", r->p->name,
                NULL, r->from_id, r->to_id);
    return cli_rcv_open("failover", r->state_dir, r->dry_run, r->policy_path, key, r->argc,
                        r->argv, true, &r->state, &r->journal, &r->journaling, &r->record);
}

/* Everything the planner reads, re-read after a lost answer. */
typedef struct fo_world {
    az_vm from, to;
    bool from_answers;
    rcv_lun from_luns[RCV_MAX_LUNS], to_luns[RCV_MAX_LUNS];
    rcv_vm from_view, to_view;
    /* governed disks: ids, their GETs and views */
    char ids[RCV_MAX_LUNS + 64][1024];
    size_t nids;
    az_disk_info disk;          /* scratch for one GET */
    az_disk_info *infos;        /* [nids] */
    rcv_disk views[RCV_MAX_LUNS + 64];
    rcv_fo_disk disks[RCV_MAX_LUNS + 64];
    az_disk_info target;        /* --restore: scratch for the new disks' GETs */
    az_disk_info target_infos[RCV_MAX_DISKS];
    rcv_disk target_views[RCV_MAX_DISKS];
    const char *from_nics[8];
    az_public_ip pip;
    bool pip_exists;
    char holder_nic[AZ_ID_MAX], holder_ipconfig[96];
    az_nic to_nic;
    bool have_to_nic;
    char to_ipconfig[96], to_ip[64];
    az_dns_a dns;
    bool dns_exists;
    const char *dns_ips[AZ_DNS_MAX_IPS];
} fo_world;

static bool have_id(const fo_world *w, const char *id)
{
    for (size_t i = 0; i < w->nids; i++)
        if (enf_same_id(w->ids[i], id))
            return true;
    return false;
}

static void add_id(fo_world *w, const char *id)
{
    if (!have_id(w, id) && w->nids < sizeof w->ids / sizeof w->ids[0])
        snprintf(w->ids[w->nids++], sizeof w->ids[0], "%s", id);
}

static bool tag_selected(const fo_ctx *r, const az_disk_info *d)
{
    char s[256], rg[256];
    if (!cli_id_segment(d->id, 1, s, sizeof s) || strcasecmp(s, r->subscription) != 0)
        return false;
    if (r->p->resource_group != NULL &&
        (!cli_id_segment(d->id, 3, rg, sizeof rg) || strcasecmp(rg, r->p->resource_group) != 0))
        return false;
    for (size_t i = 0; i < r->p->ndisk_tags; i++) {
        const char *v = inv_tag_get(d->tags, (uint32_t)d->ntags, r->p->disk_tags[i].key);
        if (v != NULL && (r->p->disk_tags[i].value == NULL ||
                          strcmp(v, r->p->disk_tags[i].value) == 0))
            return true;
    }
    return false;
}

/* The governed disk IDs: on a resume the recorded ones; else the policy's
 * `disk` entries and the source's data disks its `disks tagged` select. */
static int governed(fo_ctx *r, fo_world *w, az_error *err)
{
    w->nids = 0;
    if (r->record.present && r->record.ndisks > 0) {
        for (size_t i = 0; i < r->record.ndisks; i++)
            add_id(w, r->record.disks[i].id);
        return 0;
    }
    char id[1024];
    for (size_t i = 0; i < r->p->ndisks; i++)
        if (resolve(r, "Microsoft.Compute", "disks", r->p->disks[i], id, sizeof id) == EXIT_OK)
            add_id(w, id);
    for (size_t i = 0; r->p->ndisk_tags > 0 && w->from_answers && i < w->from.ndisks; i++) {
        const char *did = w->from.disks[i].disk_id;
        if (have_id(w, did))
            continue;
        int got = az_get_disk_info(r->client, did, &w->disk, err);
        if (got < 0)
            return -1;
        if (got == 1 && tag_selected(r, &w->disk))
            add_id(w, did);
    }
    return 0;
}

/* 0 read (exists says whether ARM has it), or an exit code. For the
 * source (answers non-NULL) a failed GET is not an error: the planner
 * hears that the VM does not answer and refuses or forces. */
static int read_vm(fo_ctx *r, const char *id, az_vm *vm, bool *answers, bool *exists,
                   const char *what)
{
    az_error err;
    memset(&err, 0, sizeof err);
    int got = az_get_vm(r->client, id, vm, &err);
    *exists = got == 1;
    if (got != 1) {
        memset(vm, 0, sizeof *vm);
        snprintf(vm->id, sizeof vm->id, "%s", id);
    }
    if (answers != NULL)
        *answers = got >= 0;
    if (got < 0)
        cli_print_az_error(what, &err);
    return got < 0 && answers == NULL ? EXIT_AZURE : EXIT_OK;
}

/* "/.../networkInterfaces/NIC/ipConfigurations/NAME" -> NIC's ID and NAME. */
static void split_ipconfig(const char *id, char *nic, size_t n, char *name, size_t m)
{
    nic[0] = name[0] = '\0';
    const char *p = id;
    while (p != NULL && *p != '\0' && strncasecmp(p, "/ipConfigurations/", 18) != 0)
        p++;
    if (p == NULL || *p == '\0')
        return;
    snprintf(nic, n, "%.*s", (int)(p - id), id);
    snprintf(name, m, "%s", p + 18);
}

static int read_net(fo_ctx *r, fo_world *w)
{
    az_error err;
    memset(&err, 0, sizeof err);
    if (r->pip_id[0] != '\0') {
        int got = az_get_public_ip(r->client, r->pip_id, &w->pip, &err);
        if (got < 0) {
            cli_print_az_error("failover: reading the public IP", &err);
            return EXIT_AZURE;
        }
        w->pip_exists = got == 1;
        split_ipconfig(got == 1 ? w->pip.ipconfig_id : NULL, w->holder_nic,
                       sizeof w->holder_nic, w->holder_ipconfig, sizeof w->holder_ipconfig);
    }
    if ((r->pip_id[0] != '\0' || r->dns_id[0] != '\0') && w->to.nnics > 0 &&
        w->to.primary_nic >= 0) {
        int got = az_get_nic(r->client, w->to.nic_ids[w->to.primary_nic], &w->to_nic, &err);
        if (got < 0) {
            cli_print_az_error("failover: reading the standby's NIC", &err);
            return EXIT_AZURE;
        }
        w->have_to_nic = got == 1;
        if (got == 1 && w->to_nic.primary_ipconfig >= 0) {
            const az_ipconfig *ic = &w->to_nic.ipconfigs[w->to_nic.primary_ipconfig];
            snprintf(w->to_ipconfig, sizeof w->to_ipconfig, "%s", ic->name);
            snprintf(w->to_ip, sizeof w->to_ip, "%s", ic->private_ip);
        }
    }
    if (r->dns_id[0] != '\0') {
        int got = az_get_dns_a(r->client, r->dns_id, &w->dns, &err);
        if (got < 0) {
            cli_print_az_error("failover: reading the DNS record", &err);
            return EXIT_AZURE;
        }
        w->dns_exists = got == 1;
        for (size_t i = 0; got == 1 && i < w->dns.nips; i++)
            w->dns_ips[i] = w->dns.ips[i];
    }
    return EXIT_OK;
}

static void world_free(fo_world *w)
{
    az_nic_free(&w->to_nic);
    az_dns_a_free(&w->dns);
    free(w->infos);
    w->infos = NULL;
}

static const struct cli_rcv_record_disk *choice_of(const fo_ctx *r, const char *id)
{
    for (size_t i = 0; i < r->record.ndisks; i++)
        if (enf_same_id(r->record.disks[i].id, id))
            return &r->record.disks[i];
    return NULL;
}

/* --restore: each governed disk's new disk as ARM shows it now. The
 * views live in the world (re-read after a lost answer); the IDs in the
 * record. */
static int read_targets(fo_ctx *r, fo_world *w)
{
    az_error err;
    memset(&err, 0, sizeof err);
    for (size_t i = 0; i < w->nids; i++) {
        const struct cli_rcv_record_disk *c = choice_of(r, w->ids[i]);
        if (c == NULL)
            continue;
        size_t k = (size_t)(c - r->record.disks);
        int got = az_get_disk_info(r->client, c->target, &w->target, &err);
        if (got < 0) {
            cli_print_az_error("failover: reading a new disk's name", &err);
            return EXIT_AZURE;
        }
        /* the view points into the GET's strings: keep a copy per disk */
        cli_rcv_disk_view(&w->target, got == 1, &w->target_views[k]);
        if (got == 1) {
            w->target_infos[k] = w->target;
            cli_rcv_disk_view(&w->target_infos[k], true, &w->target_views[k]);
        }
        w->disks[i].target_id = c->target;
        w->disks[i].target = &w->target_views[k];
        w->disks[i].snapshot_id = c->snapshot;
        w->disks[i].snapshot_location = r->snap_location[k];
    }
    return EXIT_OK;
}

/* --restore, first attempt: for each governed disk on the source the
 * snapshot --latest / --at picks and the name of its new disk
 * ("DISK-fo-YYYYMMDDTHHMMSSZ" of the snapshot's time, beside the original).
 * Recorded before the first change, so a resume keeps them. */
static int choose_snapshots(fo_ctx *r, fo_world *w)
{
    if (r->record.ndisks > 0) {
        for (size_t k = 0; k < r->record.ndisks; k++) {
            const inv_snapshot *s = NULL;
            for (size_t i = 0; r->inv != NULL && i < r->inv->nsnapshots; i++)
                if (enf_same_id(r->inv->snapshots[i].id, r->record.disks[k].snapshot))
                    s = &r->inv->snapshots[i];
            snprintf(r->snap_location[k], sizeof r->snap_location[k], "%s",
                     s != NULL && s->location != NULL ? s->location : w->from.location);
        }
        return EXIT_OK;
    }
    const inv_snapshot **c = calloc(r->inv->nsnapshots + 1, sizeof *c);
    if (c == NULL)
        return EXIT_INVALID;
    int rc = EXIT_OK;
    for (size_t i = 0; i < w->nids && rc == EXIT_OK; i++) {
        const az_vm_disk *on = NULL;
        for (size_t j = 0; j < w->from.ndisks; j++)
            if (enf_same_id(w->from.disks[j].disk_id, w->ids[i]))
                on = &w->from.disks[j];
        if (on == NULL)
            continue;
        if (r->record.ndisks == RCV_MAX_DISKS)
            break;              /* the planner refuses more */
        size_t n = 0, at = 0;
        for (size_t k = 0; k < r->inv->nsnapshots; k++) {
            const inv_snapshot *s = &r->inv->snapshots[k];
            if (s->source_id != NULL && enf_same_id(s->source_id, w->ids[i]))
                c[n++] = s;
        }
        if (pick_snapshot(c, n, r->mode, NULL, r->at, &at) != PICK_FOUND) {
            fprintf(stderr, "snapkeep: failover: disk %s has no usable snapshot%s: nothing "
                    "was changed\n", enf_id_name(w->ids[i]),
                    r->mode == PICK_AT ? " taken at or before --at" : "");
            rc = EXIT_INVALID;
            break;
        }
        struct cli_rcv_record_disk *d = &r->record.disks[r->record.ndisks];
        char when[ENG_TIME_BUFSZ], stamp[24], rg[256];
        size_t m = 0;
        eng_time_format(c[at]->created, when, sizeof when);
        bool fraction = false;  /* whole seconds: "20261123T100003Z" */
        for (const char *p = when; *p != '\0' && m + 1 < sizeof stamp; p++) {
            fraction = (fraction || *p == '.') && *p != 'Z';
            if (*p != '-' && *p != ':' && !fraction)
                stamp[m++] = *p;
        }
        stamp[m] = '\0';
        char name[96];
        snprintf(name, sizeof name, "%.60s-fo-%s", enf_id_name(w->ids[i]), stamp);
        if (!cli_id_segment(w->ids[i], 3, rg, sizeof rg) ||
            az_resource_id(d->target, sizeof d->target, r->subscription, rg, "disks",
                           name) != 0) {
            fprintf(stderr, "snapkeep: failover: cannot name the new disk of %s\n",
                    w->ids[i]);
            rc = EXIT_INVALID;
            break;
        }
        snprintf(d->id, sizeof d->id, "%s", w->ids[i]);
        snprintf(d->snapshot, sizeof d->snapshot, "%s", c[at]->id);
        snprintf(r->snap_location[r->record.ndisks], sizeof r->snap_location[0], "%s",
                 c[at]->location != NULL ? c[at]->location : w->from.location);
        r->record.ndisks++;
    }
    free(c);
    if (rc == EXIT_OK && r->record.ndisks == 0) {
        fprintf(stderr, "snapkeep: failover: refused, nothing was changed: no disk the policy "
                "governs is a data disk of VM %s: nothing to restore\n",
                enf_id_name(r->from_id));
        rc = EXIT_INVALID;
    }
    return rc == EXIT_OK ? read_targets(r, w) : rc;
}

/* The creations RCV_CREATE_DISK sends, one per recorded disk: in the
 * standby's zone (a disk attaches only there), tagged with its snapshot. */
static void build_creates(fo_ctx *r, const fo_world *w)
{
    for (size_t k = 0; k < r->record.ndisks; k++) {
        const struct cli_rcv_record_disk *d = &r->record.disks[k];
        r->create_tags[k][0] = (inv_tag){ CLI_TAG_RESTORED_FROM, d->snapshot };
        r->creates[k] = (az_op){ .kind = AZ_OP_CREATE_DISK, .id = d->target,
                                 .location = r->snap_location[k], .source_id = d->snapshot,
                                 .zone = w->to.zone[0] != '\0' ? w->to.zone : NULL,
                                 .tags = r->create_tags[k], .ntags = 1 };
    }
}

static int read_world(fo_ctx *r, fo_world *w)
{
    world_free(w);
    memset(w, 0, sizeof *w);
    bool from_exists, to_exists;
    int rc = read_vm(r, r->from_id, &w->from, &w->from_answers, &from_exists,
                     "failover: reading the source VM (it does not answer)");
    if (rc == EXIT_OK)
        rc = read_vm(r, r->to_id, &w->to, NULL, &to_exists, "failover: reading the standby VM");
    if (rc != EXIT_OK)
        return rc;
    cli_rcv_vm_view(&w->from, from_exists, &w->from_view, w->from_luns);
    cli_rcv_vm_view(&w->to, to_exists, &w->to_view, w->to_luns);
    for (size_t i = 0; i < w->from.nnics && i < 8; i++)
        w->from_nics[i] = w->from.nic_ids[i];
    az_error err;
    memset(&err, 0, sizeof err);
    if (governed(r, w, &err) != 0) {
        cli_print_az_error("failover: reading the source's disks", &err);
        return EXIT_AZURE;
    }
    w->infos = calloc(w->nids > 0 ? w->nids : 1, sizeof *w->infos);
    if (w->infos == NULL) {
        fputs("snapkeep: failover: out of memory\n", stderr);
        return EXIT_INVALID;
    }
    for (size_t i = 0; i < w->nids; i++) {
        int got = az_get_disk_info(r->client, w->ids[i], &w->infos[i], &err);
        if (got < 0) {
            cli_print_az_error("failover: reading a disk", &err);
            return EXIT_AZURE;
        }
        cli_rcv_disk_view(&w->infos[i], got == 1, &w->views[i]);
        w->disks[i] = (rcv_fo_disk){ .id = w->ids[i], .disk = &w->views[i] };
    }
    if (r->restore && r->record.ndisks > 0 && (rc = read_targets(r, w)) != EXIT_OK)
        return rc;
    return to_exists ? read_net(r, w) : EXIT_OK;
}

static void facts_from_record(const fo_ctx *r, rcv_fo_facts *f)
{
    memset(f, 0, sizeof *f);
    if (!r->record.present || r->record.ndisks == 0)
        return;     /* --restore's choices before the record is saved are not facts */
    f->known = true;
    f->ndisks = r->record.ndisks;
    for (size_t i = 0; i < r->record.ndisks; i++) {
        f->disks[i].disk_id = r->record.disks[i].id;
        f->disks[i].lun = r->record.disks[i].lun;
        snprintf(f->disks[i].caching, sizeof f->disks[i].caching, "%s",
                 r->record.disks[i].caching);
        f->disks[i].write_accelerator = r->record.disks[i].write_accelerator;
    }
}

static rcv_refusal make_plan(const fo_ctx *r, const fo_world *w, rcv_failover_plan *out)
{
    rcv_failover_in in = {
        .from = &w->from_view, .from_answers = w->from_answers, .to = &w->to_view,
        .disks = w->disks, .ndisks = w->nids, .force_detach = r->force_detach,
        .restore = r->restore,
        .start = r->start != 0,
        .from_nics = w->from_nics, .nfrom_nics = w->from.nnics < 8 ? w->from.nnics : 8,
        .to_nic = w->have_to_nic ? w->to_nic.id : NULL,
        .to_ipconfig = w->to_ipconfig[0] ? w->to_ipconfig : NULL,
        .to_private_ip = w->to_ip[0] ? w->to_ip : NULL,
    };
    if (r->pip_id[0] != '\0') {
        in.public_ip_id = r->pip_id;
        in.public_ip_exists = w->pip_exists;
        in.ip_holder_nic = w->holder_nic[0] ? w->holder_nic : NULL;
        in.ip_holder_ipconfig = w->holder_ipconfig[0] ? w->holder_ipconfig : NULL;
    }
    if (r->dns_id[0] != '\0') {
        in.dns_record_id = r->dns_id;
        in.dns_exists = w->dns_exists;
        in.dns_etag = w->dns.etag;
        in.dns_ips = w->dns_ips;
        in.ndns_ips = w->dns.nips;
    }
    facts_from_record(r, &in.facts);
    return rcv_plan_failover(&in, out);
}

/* After a lost answer or a kill, a NIC update may still run (ARM refuses
 * another with 409 AnotherOperationInProgress, and a public IP being
 * removed stays on its NIC until the update ends): wait until the NICs of
 * both VMs show no update under way before reading them for the plan. */
#define FO_NIC_SETTLE_S 600
static int wait_nics_settled(fo_ctx *r, const fo_world *w, az_error *err)
{
    const char *ids[9];
    size_t n = 0;
    for (size_t i = 0; i < w->from.nnics && i < 8; i++)
        ids[n++] = w->from.nic_ids[i];
    if (w->to.nnics > 0 && w->to.primary_nic >= 0)
        ids[n++] = w->to.nic_ids[w->to.primary_nic];
    az_nic *nic = calloc(1, sizeof *nic);
    if (nic == NULL)
        return -1;
    int rc = 0;
    time_t deadline = time(NULL) + FO_NIC_SETTLE_S;
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (;;) {
            int got = az_get_nic(r->client, ids[i], nic, err);
            bool busy = got == 1 && strcasecmp(nic->provisioning_state, "Updating") == 0;
            az_nic_free(nic);
            if (got < 0) {
                rc = -1;
                break;
            }
            if (!busy)
                break;
            if (time(NULL) > deadline) {
                snprintf(err->code, sizeof err->code, "OperationTimedOut");
                snprintf(err->message, sizeof err->message, "NIC %s is still updating after "
                         "%d s", enf_id_name(ids[i]), FO_NIC_SETTLE_S);
                rc = -1;
                break;
            }
            struct timespec ts = { 0, 500 * 1000 * 1000L };
            nanosleep(&ts, NULL);
        }
    }
    free(nic);
    return rc;
}

typedef struct replan_ctx {
    fo_ctx *r;
    fo_world *w;
    rcv_failover_plan *fp;
} replan_ctx;

static int replan(void *vctx, rcv_plan *plan, az_error *err)
{
    replan_ctx *c = vctx;
    if ((c->w->from_answers && cli_rcv_wait_settled(c->r->client, c->r->from_id, err) != 0) ||
        cli_rcv_wait_settled(c->r->client, c->r->to_id, err) != 0 ||
        wait_nics_settled(c->r, c->w, err) != 0)
        return -1;
    if (read_world(c->r, c->w) != EXIT_OK) {
        snprintf(err->code, sizeof err->code, "ReadFailed");
        snprintf(err->message, sizeof err->message, "the VMs, disks and network could not "
                 "be read again");
        return -1;
    }
    rcv_refusal rc = make_plan(c->r, c->w, c->fp);
    if (plan != &c->fp->plan)
        *plan = c->fp->plan;
    return (int)rc;
}

static int save_record(fo_ctx *r, const rcv_failover_plan *fp)
{
    char err[1024];
    if (r->record.present)
        return EXIT_OK;
    cli_rcv_record *rec = &r->record;
    eng_time_format(cli_now(), rec->started, sizeof rec->started);
    rec->ndisks = fp->facts.ndisks;
    for (size_t i = 0; i < fp->facts.ndisks; i++) {
        const rcv_fo_fact *f = &fp->facts.disks[i];
        struct cli_rcv_record_disk *d = &rec->disks[i];
        const struct cli_rcv_record_disk *c = choice_of(r, f->disk_id);
        struct cli_rcv_record_disk keep = c != NULL ? *c : (struct cli_rcv_record_disk){ 0 };
        *d = keep;
        snprintf(d->id, sizeof d->id, "%s", f->disk_id);
        d->lun = f->lun;
        snprintf(d->caching, sizeof d->caching, "%s", f->caching);
        d->write_accelerator = f->write_accelerator;
    }
    if (cli_rcv_record_save(&r->state, rec, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: failover: %s: nothing was changed\n", err);
        return EXIT_INVALID;
    }
    rec->present = true;
    return EXIT_OK;
}

static void report_json(const fo_ctx *r, const rcv_plan *p, const cli_rcv_run *x, int rc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "dry_run", r->dry_run);
    cJSON_AddStringToObject(o, "operation", "failover");
    cJSON_AddStringToObject(o, "from", r->from_id);
    cJSON_AddStringToObject(o, "to", r->to_id);
    if (r->pip_id[0] != '\0')
        cJSON_AddStringToObject(o, "public_ip", r->pip_id);
    if (r->dns_id[0] != '\0')
        cJSON_AddStringToObject(o, "dns_record", r->dns_id);
    cJSON_AddBoolToObject(o, "force_detach", r->force_detach);
    cli_rcv_json_print(o, p, x, r->dry_run, rc, r->record.command_line);
}

static void report(const fo_ctx *r, const rcv_plan *p, const cli_rcv_run *x, int rc)
{
    if (r->json) {
        report_json(r, p, x, rc);
        return;
    }
    printf("%s VM %s over to VM %s%s:\n", r->dry_run ? "would fail" : rc == EXIT_OK ? "failed"
           : "failing", enf_id_name(r->from_id), enf_id_name(r->to_id),
           r->force_detach ? " (forced detach: ARM's ForceDetach)" : "");
    cli_rcv_print_plan(stdout, p, r->dry_run ? NULL : x);
    if (r->dry_run || rc != EXIT_OK)
        return;
    printf("  RTO: %.1f s\n", x->total_seconds);
    printf("  to fail back later: snapkeep failover %s --from %s --to %s%s\n", r->policy_path,
           enf_id_name(r->to_id), enf_id_name(r->from_id),
           r->pip_id[0] || r->dns_id[0] ? " (with the same IP and DNS options)" : "");
}

static int fo_run(fo_ctx *r)
{
    int rc = open_state(r);
    az_error err;
    memset(&err, 0, sizeof err);
    if (rc == EXIT_OK && az_client_new(&r->az.opts, &r->client, &err) != 0) {
        cli_print_az_error("failover: azure", &err);
        rc = EXIT_AZURE;
    }
    fo_world *w = calloc(1, sizeof *w);
    rcv_failover_plan *fp = calloc(1, sizeof *fp);
    if (rc == EXIT_OK && (w == NULL || fp == NULL)) {
        fputs("snapkeep: failover: out of memory\n", stderr);
        rc = EXIT_INVALID;
    }
    /* a killed attempt may have left an operation running: plan on the
     * state it ends in */
    if (rc == EXIT_OK && r->record.present &&
        cli_rcv_wait_settled(r->client, r->to_id, &err) != 0) {
        cli_print_az_error("failover: waiting for the standby to settle", &err);
        rc = cli_rcv_failure_exit(&err);
    }
    if (rc == EXIT_OK)
        rc = read_world(r, w);
    if (rc == EXIT_OK && r->record.present && (r->pip_id[0] != '\0')) {
        if (wait_nics_settled(r, w, &err) != 0) {
            cli_print_az_error("failover: waiting for the NICs to settle", &err);
            rc = cli_rcv_failure_exit(&err);
        } else
            rc = read_world(r, w);
    }
    if (rc == EXIT_OK && r->restore) {
        if ((r->inv = inv_new()) == NULL)
            rc = EXIT_INVALID;
        else if (az_list_snapshots(r->client, r->subscription, NULL, r->inv, &err) != 0) {
            cli_print_az_error("failover: listing the snapshots", &err);
            rc = EXIT_AZURE;
        } else
            rc = choose_snapshots(r, w);
        if (rc == EXIT_OK)
            build_creates(r, w);
    }
    if (rc == EXIT_OK && make_plan(r, w, fp) != RCV_OK) {
        fprintf(stderr, "snapkeep: failover: refused, nothing was changed: %s\n",
                fp->plan.why);
        rc = EXIT_INVALID;
    }
    cli_rcv_run x;
    memset(&x, 0, sizeof x);
    if (rc == EXIT_OK && !r->dry_run)
        rc = save_record(r, fp);
    if (rc == EXIT_OK && !r->dry_run) {
        x = (cli_rcv_run){ .command = "failover", .client = r->client, .journal = &r->journal,
                           .log = &r->log, .policy = r->p->name,
                           .resume_line = r->record.command_line, .replan = replan,
                           .creates = r->creates, .ncreates = r->record.ndisks };
        replan_ctx rp = { r, w, fp };
        x.replan_ctx = &rp;
        rc = cli_rcv_execute(&x, &fp->plan);
        char text[512];
        if (rc == EXIT_OK && cli_rcv_record_clear(&r->state, text, sizeof text) != 0)
            fprintf(stderr, "snapkeep: failover: %s\n", text);
    }
    if (fp != NULL && (rc == EXIT_OK || x.failed_step != 0))
        report(r, &fp->plan, &x, rc);
    if (w != NULL)
        world_free(w);
    free(fp);
    free(w);
    return rc;
}

int cmd_failover(int argc, char **argv)
{
    fo_ctx r;
    memset(&r, 0, sizeof r);
    r.state.lock_fd = -1;
    r.journal.fd = -1;
    r.argc = argc;
    r.argv = argv;
    r.dns_kind = -1;
    r.start = -1;
    cli_azure_init(&r.az);
    int rc = parse_args(argc, argv, &r);
    if (rc != 0)
        return rc == CLI_HELPED ? EXIT_OK : rc;
    cli_log_init(&r.log, "failover", CLI_LOG_TEXT, stderr);
    r.file = cli_load_policy(r.policy_path, true);
    if (r.file == NULL)
        return EXIT_INVALID;
    rc = choose_policy(&r);
    if (rc == EXIT_OK)
        rc = fo_run(&r);
    if (r.journaling) {
        cli_journal_end(&r.journal, rc);
        cli_journal_close(&r.journal);
    }
    az_client_free(r.client);
    inv_free(r.inv);
    cli_state_close(&r.state);
    pol_file_free(r.file);
    return rc;
}
