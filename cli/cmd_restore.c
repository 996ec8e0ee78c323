/* snapkeep restore POLICY --disk DISK (--snapshot NAME | --at T | --latest)
 * --to NEW_DISK [--attach-to VM [--lun N] | --replace-on VM [--start]]:
 * creates a managed disk from a snapshot of DISK and waits for it; with
 * --attach-to or --replace-on it then carries out the partial or complete
 * restore (cli/restore_vm.c). It never overwrites: an existing NEW_DISK is
 * refused before anything is sent. Exit codes: 0 restored (or, with
 * --dry-run, would be); 1 invalid input (no such snapshot, NEW_DISK
 * exists, bad name, a VM the plan refuses); 2 usage; 3 Azure or the
 * network failed (listing, transport, 5xx); 4 ARM refused or failed a
 * step (a failed restore: "partial" in snapkeep(1) EXIT STATUS); 6 the state
 * directory's lock is held, or another recovery operation is unfinished. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/copy_wait.h"
#include "cli/recover.h"
#include "cli/rcv_exec.h"
#include "cli/restore.h"
#include "engine/copies.h"
#include "cli/state.h"
#include "engine/enforce.h"
#include "engine/pick.h"

enum {
    OPT_DISK = CLI_OPT_AZURE_LAST + 1, OPT_SNAPSHOT, OPT_AT, OPT_LATEST, OPT_TO, OPT_ZONE,
    OPT_SKU, OPT_TAG, OPT_RG, OPT_DRY_RUN, OPT_FORMAT, OPT_STATE_DIR, OPT_POLICY,
    OPT_ATTACH_TO, OPT_LUN, OPT_REPLACE_ON, OPT_START, OPT_WAIT, OPT_REGION
};


static int add_tag(rst_ctx *r, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        fprintf(stderr, "snapkeep: restore: --tag: '%s' is not KEY=VALUE\n", arg);
        return -1;
    }
    /* snapkeep-restored-from is restore's own; the drill tags would make the
     * disk look like a drill's leftover, which the next drill deletes */
    static const char *const reserved[] = { CLI_TAG_RESTORED_FROM, CLI_TAG_DRILL,
                                            CLI_TAG_DRILL_POLICY, CLI_TAG_REPLACES,
                                            CLI_TAG_REPLACED_BY, CLI_TAG_REPLACED_AT,
                                            CLI_TAG_COPY_FOR };
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if ((size_t)(eq - arg) == strlen(reserved[i]) &&
            strncasecmp(arg, reserved[i], (size_t)(eq - arg)) == 0) {
            fprintf(stderr, "snapkeep: restore: --tag: %s is snapkeep's own tag%s\n", reserved[i],
                    i == 0 ? ", set by restore itself" : ": it marks a drill's disk");
            return -1;
        }
    if (r->ntags >= RST_MAX_TAGS) {
        fprintf(stderr, "snapkeep: restore: --tag: at most %d tags\n", RST_MAX_TAGS);
        return -1;
    }
    if ((size_t)(eq - arg) >= sizeof r->tags[0].key || strlen(eq + 1) >= sizeof r->tags[0].value) {
        fprintf(stderr, "snapkeep: restore: --tag: ARM allows tag names of 512 characters "
                "and values of 256 at most\n");
        return -1;
    }
    rst_tag *t = &r->tags[r->ntags++];
    snprintf(t->key, sizeof t->key, "%.*s", (int)(eq - arg), arg);
    snprintf(t->value, sizeof t->value, "%s", eq + 1);
    return 0;
}

static int set_mode(rst_ctx *r, pick_mode m, const char *arg)
{
    if (r->have_mode) {
        fputs("snapkeep: restore: give one of --snapshot, --at and --latest\n", stderr);
        return -1;
    }
    r->have_mode = true;
    r->mode = m;
    if (m == PICK_NAME)
        r->snapshot_name = arg;
    if (m == PICK_AT)
        return cli_parse_time_opt("--at", arg, &r->at);
    return 0;
}

static int restore_option(void *ctx, int opt, const char *arg)
{
    rst_ctx *r = ctx;
    switch (opt) {
    case OPT_DISK: r->disk = arg; return 0;
    case OPT_SNAPSHOT: return set_mode(r, PICK_NAME, arg);
    case OPT_AT: return set_mode(r, PICK_AT, arg);
    case OPT_LATEST: return set_mode(r, PICK_LATEST, arg);
    case OPT_TO: r->to = arg; return 0;
    case OPT_ZONE: r->zone = arg; return 0;
    case OPT_SKU: r->sku = arg; return 0;
    case OPT_TAG: return add_tag(r, arg);
    case OPT_RG: r->target_rg = arg; return 0;
    case OPT_DRY_RUN: r->dry_run = true; return 0;
    case OPT_STATE_DIR: r->state_dir = arg; return 0;
    case OPT_POLICY: r->policy_name = arg; return 0;
    case OPT_ATTACH_TO: r->attach_to = arg; return 0;
    case OPT_REPLACE_ON: r->replace_on = arg; return 0;
    case OPT_START: r->start_vm = true; return 0;
    case OPT_WAIT: r->wait = true; return 0;
    case OPT_REGION: r->region = arg; return 0;
    case OPT_LUN: {
        char *end = NULL;
        long v = strtol(arg, &end, 10);
        if (end == arg || *end != '\0' || v < 0 || v > 63) {
            fprintf(stderr, "snapkeep: restore: --lun: '%s' is not a LUN (0 to 63)\n", arg);
            return -1;
        }
        r->lun = (int)v;
        return 0;
    }
    case OPT_FORMAT:
        return cli_format_text_json(arg, &r->json);
    default:
        return cli_azure_option(&r->az, opt, arg) == 1 ? 0 : -1;
    }
}

static int restore_need(const rst_ctx *r)
{
    const char *missing = r->disk == NULL ? "--disk DISK"
                        : !r->have_mode ? "one of --snapshot NAME, --at TIME, --latest"
                        : r->to == NULL ? "--to NEW_DISK" : NULL;
    const char *clash = r->attach_to != NULL && r->replace_on != NULL
                            ? "--attach-to and --replace-on exclude each other"
                        : r->lun >= 0 && r->attach_to == NULL ? "--lun goes with --attach-to"
                        : r->start_vm && r->replace_on == NULL
                            ? "--start goes with --replace-on"
                            : NULL;
    if (missing == NULL && clash == NULL)
        return 0;
    if (missing != NULL)
        fprintf(stderr, "snapkeep: restore: %s is required\n", missing);
    else
        fprintf(stderr, "snapkeep: restore: %s\n", clash);
    return -1;
}

static int parse_args(int argc, char **argv, rst_ctx *r)
{
    static const struct option longopts[] = {
        { "disk", required_argument, NULL, OPT_DISK },
        { "snapshot", required_argument, NULL, OPT_SNAPSHOT },
        { "at", required_argument, NULL, OPT_AT },
        { "latest", no_argument, NULL, OPT_LATEST },
        { "to", required_argument, NULL, OPT_TO },
        { "zone", required_argument, NULL, OPT_ZONE },
        { "sku", required_argument, NULL, OPT_SKU },
        { "tag", required_argument, NULL, OPT_TAG },
        { "resource-group", required_argument, NULL, OPT_RG },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "policy", required_argument, NULL, OPT_POLICY },
        { "attach-to", required_argument, NULL, OPT_ATTACH_TO },
        { "lun", required_argument, NULL, OPT_LUN },
        { "replace-on", required_argument, NULL, OPT_REPLACE_ON },
        { "start", no_argument, NULL, OPT_START },
        { "wait", no_argument, NULL, OPT_WAIT },
        { "region", required_argument, NULL, OPT_REGION },
        { "help", no_argument, NULL, 'h' },
        CLI_AZURE_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int rc = cli_parse_options(argc, argv, "restore", longopts, restore_option, r,
                               &r->policy_path);
    if (rc != 0)
        return rc;
    if (restore_need(r) != 0) {
        cli_usage("restore", stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* The policy block to work in: --policy NAME, or the file's only one. */
static int choose_policy(rst_ctx *r)
{
    int rc = EXIT_OK;
    r->p = cli_one_policy(r->file, r->policy_path, r->policy_name, "restore", &rc);
    if (r->p == NULL)
        return rc;
    r->subscription = cli_policy_subscription(&r->az, r->p);
    if (r->subscription == NULL)
        return EXIT_INVALID;
    if (!cli_disk_name_ok(r->to)) {
        fprintf(stderr, "snapkeep: restore: --to: '%s' is not a disk name ARM accepts "
                "(letters, digits, '_', '-', '.'; at most 80)\n", r->to);
        return EXIT_INVALID;
    }
    return EXIT_OK;
}

/* ---- finding the snapshot ---- */

static bool source_matches(const rst_ctx *r, const char *source)
{
    if (source == NULL)
        return false;
    if (strchr(r->disk, '/') != NULL)
        return enf_same_id(source, r->disk);
    return strcasecmp(enf_id_name(source), r->disk) == 0;
}

static bool in_policy_rg(const rst_ctx *r, const char *id)
{
    char rg[256];
    return r->p->resource_group == NULL ||
           (cli_id_segment(id, 3, rg, sizeof rg) && strcasecmp(rg, r->p->resource_group) == 0);
}

/* The one source disk DISK names. A disk given by name may exist in
 * several resource groups: the policy's resource group decides, else the
 * user must give the full ID. The disk itself need not exist any more. */
static int find_source(rst_ctx *r)
{
    const char *found[8];
    size_t nfound = 0, nall = 0;
    for (size_t i = 0; i < r->inv->nsnapshots; i++) {
        const char *src = r->inv->snapshots[i].source_id;
        if (!source_matches(r, src))
            continue;
        bool seen = false;
        for (size_t k = 0; k < nfound && !seen; k++)
            seen = enf_same_id(found[k], src);
        if (!seen && nfound < 8)
            found[nfound++] = src;
    }
    nall = nfound;
    if (nfound > 1) {
        size_t k = 0;
        for (size_t i = 0; i < nfound; i++)
            if (in_policy_rg(r, found[i]))
                found[k++] = found[i];
        nfound = k;
    }
    if (nfound == 1) {
        snprintf(r->source, sizeof r->source, "%s%s", found[0][0] == '/' ? "" : "/", found[0]);
        return EXIT_OK;
    }
    if (nall == 0)
        fprintf(stderr, "snapkeep: restore: no snapshot of disk %s in subscription %s\n",
                r->disk, r->subscription);
    else {
        fprintf(stderr, "snapkeep: restore: several disks are called %s; give --disk "
                "as a full resource ID:\n", r->disk);
        for (size_t i = 0; i < nall && i < 8; i++)
            fprintf(stderr, "  %s\n", found[i]);
    }
    return EXIT_INVALID;
}

static void explain_no_pick(const rst_ctx *r, pick_result pr, const inv_snapshot *const *c,
                            size_t n)
{
    char when[ENG_TIME_BUFSZ];
    if (r->mode == PICK_NAME && pr == PICK_AMBIGUOUS) {
        fprintf(stderr, "snapkeep: restore: several snapshots of %s are called %s: give "
                "--snapshot as a full resource ID\n", r->source, r->snapshot_name);
    } else if (r->mode == PICK_NAME && pr == PICK_UNUSABLE) {
        fprintf(stderr, "snapkeep: restore: snapshot %s holds no data (its provisioning "
                "did not succeed)\n", r->snapshot_name);
    } else if (r->mode == PICK_NAME) {
        fprintf(stderr, "snapkeep: restore: disk %s has no snapshot called %s\n",
                r->source, r->snapshot_name);
    } else if (r->mode == PICK_AT) {
        sk_time oldest = SK_TIME_MAX;
        for (size_t i = 0; i < n; i++)
            if (enf_snapshot_usable(c[i]) && c[i]->created < oldest)
                oldest = c[i]->created;
        eng_time_format(r->at, when, sizeof when);
        fprintf(stderr, "snapkeep: restore: disk %s has no usable snapshot taken at or "
                "before %s", r->source, when);
        if (oldest != SK_TIME_MAX) {
            eng_time_format(oldest, when, sizeof when);
            fprintf(stderr, " (the oldest is from %s)", when);
        }
        fputc('\n', stderr);
    } else {
        fprintf(stderr, "snapkeep: restore: disk %s has no usable snapshot\n", r->source);
    }
}

static int pick(rst_ctx *r)
{
    int rc = find_source(r);
    if (rc != EXIT_OK)
        return rc;
    const inv_snapshot **c = calloc(r->inv->nsnapshots + 1, sizeof *c);
    if (c == NULL)
        return EXIT_AZURE;
    bool by_id = r->mode == PICK_NAME && strchr(r->snapshot_name, '/') != NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->inv->nsnapshots; i++) {
        const inv_snapshot *s = &r->inv->snapshots[i];
        if (s->source_id != NULL && enf_same_id(s->source_id, r->source) &&
            (!by_id || enf_same_id(s->id, r->snapshot_name)))
            c[n++] = s;
    }
    size_t at = 0, pend = 0;
    const char *name = by_id ? enf_id_name(r->snapshot_name) : r->snapshot_name;
    pick_result pr = pick_snapshot(c, n, r->mode, name, r->at, &at);
    int rc2 = pr == PICK_FOUND ? EXIT_OK : EXIT_INVALID;
    if (pick_pending(c, n, r->mode, name, r->at, pr == PICK_FOUND, at, &pend)) {
        /* the snapshot asked for, or a newer one than the choice, is still
         * being copied: never restored from; waited for with --wait */
        if (r->wait) {
            const inv_snapshot *done = NULL;
            rc2 = cli_copy_wait(r->client, "restore", c[pend]->id, r->disks, &done);
            r->snap = rc2 == EXIT_OK ? done : NULL;
            free(c);
            return rc2;
        }
        cli_copy_note("restore", c[pend], pr == PICK_FOUND ? c[at] : NULL);
    } else if (pr != PICK_FOUND) {
        explain_no_pick(r, pr, c, n);
    }
    if (pr == PICK_FOUND)
        r->snap = c[at];
    free(c);
    return rc2;
}

/* ---- the new disk ---- */

/* Where the disk goes, and the SKU and zone the source disk had (when it
 * still exists) unless --sku / --zone say otherwise. */
static int plan_target(rst_ctx *r)
{
    char rg[256];
    const char *use_rg = r->target_rg != NULL ? r->target_rg
                       : r->region != NULL ? r->p->copy->resource_group : r->p->resource_group;
    if (use_rg == NULL && cli_id_segment(r->source, 3, rg, sizeof rg))
        use_rg = rg;
    if (use_rg == NULL || az_resource_id(r->target, sizeof r->target, r->subscription, use_rg,
                                         "disks", r->to) != 0) {
        fprintf(stderr, "snapkeep: restore: cannot tell which resource group %s goes in: "
                "give --resource-group\n", r->to);
        return EXIT_INVALID;
    }
    r->location = r->snap->location;
    if (r->location == NULL) {
        fprintf(stderr, "snapkeep: restore: snapshot %s has no location\n", r->snap->id);
        return EXIT_AZURE;
    }
    inv_disk *src = NULL;
    az_error err;
    memset(&err, 0, sizeof err);
    if (az_get_disk(r->client, r->source, r->disks, &src, &err) < 0)
        cli_print_az_error("restore: reading the source disk (for its SKU and zone)", &err);
    r->use_sku = r->sku != NULL ? r->sku : src != NULL ? src->sku : NULL;
    /* a zone of the source's region means nothing in the copy's */
    r->use_zone = r->zone != NULL ? r->zone : src != NULL && r->region == NULL ? src->zone : NULL;
    if (r->attach_to != NULL || r->replace_on != NULL)
        return EXIT_OK;     /* the recovery plan judges the target (restore_vm.c) */
    inv_disk *existing = NULL;
    int got = az_get_disk(r->client, r->target, r->disks, &existing, &err);
    if (got < 0) {
        cli_print_az_error("restore: checking that the new disk does not exist", &err);
        return EXIT_AZURE;
    }
    if (got > 0) {
        fprintf(stderr, "snapkeep: restore: disk %s already exists; restore never "
                "overwrites a disk: choose another --to name\n", r->target);
        return EXIT_INVALID;
    }
    return EXIT_OK;
}

static int open_state(rst_ctx *r)
{
    char err[1024];
    int rc = cli_state_open(&r->state, cli_state_dir_for(r->state_dir), "restore", err,
                            sizeof err);
    if (rc != 0)
        return cli_state_failed(NULL, rc, err);
    if (cli_journal_open(&r->journal, &r->state, "restore", r->start, err, sizeof err) != 0)
        return cli_state_failed(NULL, -1, err);
    r->journaling = true;
    cli_journal_entry e = cli_journal_entry_init(cli_now(), "start");
    e.message = r->policy_path;
    if (cli_journal_write(&r->journal, &e, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: restore: %s\n", err);
        return EXIT_INVALID;
    }
    return EXIT_OK;
}

/* ---- output ---- */

static cJSON *json_result(const rst_ctx *r, const az_op *op)
{
    char when[ENG_TIME_BUFSZ];
    cJSON *o = cJSON_CreateObject(), *d, *s, *tags;
    eng_time_format(r->snap->created, when, sizeof when);
    cJSON_AddBoolToObject(o, "dry_run", r->dry_run);
    cJSON_AddBoolToObject(o, "created", op != NULL && op->status == AZ_OP_DONE);
    d = cJSON_AddObjectToObject(o, "disk");
    cJSON_AddStringToObject(d, "id", r->target);
    cJSON_AddStringToObject(d, "location", r->location);
    if (r->use_sku)
        cJSON_AddStringToObject(d, "sku", r->use_sku);
    if (r->use_zone)
        cJSON_AddStringToObject(d, "zone", r->use_zone);
    tags = cJSON_AddObjectToObject(d, "tags");
    cJSON_AddStringToObject(tags, CLI_TAG_RESTORED_FROM, r->snap->id);
    for (int i = 0; i < r->ntags; i++)
        cJSON_AddStringToObject(tags, r->tags[i].key, r->tags[i].value);
    cJSON_AddStringToObject(o, "source_disk", r->source);
    s = cJSON_AddObjectToObject(o, "snapshot");
    cJSON_AddStringToObject(s, "id", r->snap->id);
    cJSON_AddStringToObject(s, "name", r->snap->name);
    cJSON_AddStringToObject(s, "time", when);
    if (op != NULL)
        cJSON_AddNumberToObject(o, "seconds", op->seconds);
    if (op != NULL && op->status == AZ_OP_FAILED) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "code", op->err.code);
        cJSON_AddStringToObject(e, "message", op->err.message);
    }
    return o;
}

static void print_json(const rst_ctx *r, const az_op *op)
{
    cJSON *o = json_result(r, op);
    char *text = o != NULL ? cJSON_Print(o) : NULL;
    if (text != NULL)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(o);
}

static void print_text(const rst_ctx *r, const az_op *op)
{
    char when[ENG_TIME_BUFSZ];
    eng_time_format(r->snap->created, when, sizeof when);
    printf("%s snapshot %s (taken %s) of disk %s\n",
           r->dry_run ? "would restore" : "restored", r->snap->name, when,
           enf_id_name(r->source));
    printf("  snapshot: %s\n  %s: %s\n  location: %s", r->snap->id,
           r->dry_run ? "new disk (not created)" : "new disk", r->target, r->location);
    if (r->use_sku)
        printf(", sku %s", r->use_sku);
    if (r->use_zone)
        printf(", zone %s", r->use_zone);
    printf("\n  tags: %s=%s", CLI_TAG_RESTORED_FROM, r->snap->id);
    for (int i = 0; i < r->ntags; i++)
        printf(" %s=%s", r->tags[i].key, r->tags[i].value);
    putchar('\n');
    if (op != NULL)
        printf("  took: %.1f s\n", op->seconds);
    if (!r->dry_run)
        cli_restore_next_steps(stdout, r->target, r->source);
}

/* ---- the creation ---- */

/* ARM refused or failed the restore (a failed action: exit 4), or Azure
 * and the network did not let it finish (exit 3). */
static bool failure_is_azure(const az_error *e)
{
    return e->transport || e->retries_exhausted || e->http_status == 429 ||
           e->http_status >= 500 || strcmp(e->code, "OperationTimedOut") == 0;
}

/* A creation that ARM failed may leave a disk in provisioningState
 * Failed under the requested name: remove it, but only when it is the one
 * this restore made (tagged with this snapshot), so a retry can use the
 * name. */
static void remove_failed(rst_ctx *r)
{
    inv_disk *d = NULL;
    az_error err;
    if (az_get_disk(r->client, r->target, r->disks, &d, &err) != 1)
        return;
    const char *from = inv_tag_get(d->tags, d->ntags, CLI_TAG_RESTORED_FROM);
    if (from == NULL || !enf_same_id(from, r->snap->id))
        return;
    az_op del = { .kind = AZ_OP_DELETE_DISK, .id = r->target };
    if (cli_recover_journal(&r->journal, &r->log, cli_now(), "delete-disk", r->p->name,
                            r->source, r->target, NULL) != 0)
        return;
    az_run_ops(r->client, &del, 1, NULL, NULL);
    cli_recover_journal(&r->journal, &r->log, cli_now(), "delete-disk", r->p->name,
                        r->source, r->target, &del);
    if (del.status == AZ_OP_DONE)
        fprintf(stderr, "snapkeep: restore: removed the failed disk %s\n", r->target);
    else
        cli_print_az_error("restore: removing the failed disk (remove it by hand)", &del.err);
}

void rst_create_op(const rst_ctx *r, bool in_place, az_op *op, inv_tag *tags)
{
    uint32_t n = 0;
    tags[n++] = (inv_tag){ CLI_TAG_RESTORED_FROM, r->snap->id };
    if (in_place)
        tags[n++] = (inv_tag){ CLI_TAG_REPLACES, r->source };
    else if (r->attach_to != NULL)
        tags[n++] = (inv_tag){ CLI_TAG_COPY_FOR, r->vm };
    for (int i = 0; i < r->ntags; i++)
        tags[n++] = (inv_tag){ r->tags[i].key, r->tags[i].value };
    *op = (az_op){ .kind = AZ_OP_CREATE_DISK, .id = r->target, .location = r->location,
                   .source_id = r->snap->id, .sku = r->use_sku, .zone = r->use_zone,
                   .tags = tags, .ntags = n };
}

static int create(rst_ctx *r)
{
    inv_tag tags[RST_MAX_TAGS + 2];
    az_op op;
    rst_create_op(r, false, &op, tags);
    if (cli_recover_journal(&r->journal, &r->log, cli_now(), "create-disk", r->p->name,
                            r->source, r->target, NULL) != 0)
        return EXIT_INVALID;
    if (!r->json)
        fprintf(stderr, "snapkeep: restore: creating %s from %s\n", r->target, r->snap->name);
    az_run_ops(r->client, &op, 1, NULL, NULL);
    cli_recover_journal(&r->journal, &r->log, cli_now(), "create-disk", r->p->name,
                        r->source, r->target, &op);
    int rc = EXIT_OK;
    if (op.status != AZ_OP_DONE) {
        cli_print_az_error("restore: creating the disk failed", &op.err);
        rc = failure_is_azure(&op.err) ? EXIT_AZURE : EXIT_PARTIAL;
        if (AZ_ERR_NAME_TAKEN(&op.err))
            fprintf(stderr, "snapkeep: restore: a disk named %s was made by someone else since "
                    "the check; it is left as it is: choose another name\n", r->target);
        else if (rc == EXIT_PARTIAL)
            remove_failed(r);
        else
            fprintf(stderr, "snapkeep: restore: the disk may still be in the making: "
                    "check with az disk show --ids %s\n", r->target);
    }
    if (r->json)
        print_json(r, &op);
    else if (op.status == AZ_OP_DONE)
        print_text(r, &op);
    return rc;
}

/* --region: the policy's copies there, as their retention sees them (dated by their source's
 * time, grouped by its disk; a copy still being made or failed is not usable), so --latest and
 * --at pick the newest completed copy of the data as of then. */
static int list_copies(rst_ctx *r, az_error *err)
{
    const pol_copy *c = r->p->copy;
    if (c->subscription != NULL)
        r->subscription = c->subscription;
    if ((r->copies = inv_new()) == NULL)
        return EXIT_AZURE;
    if (az_list_snapshots(r->client, r->subscription, c->resource_group, r->copies, err) != 0) {
        cli_print_az_error("restore: listing the copies", err);
        return EXIT_AZURE;
    }
    inv_free(r->inv);
    r->inv = eng_copy_view(r->p, r->copies);
    return r->inv != NULL ? EXIT_OK : EXIT_AZURE;
}

/* --region names the region of the policy's copy-to; the copies are not production's place. */
static int check_region(const rst_ctx *r)
{
    if (r->region == NULL)
        return EXIT_OK;
    if (r->p->copy == NULL || strcmp(r->p->copy->region, r->region) != 0) {
        fprintf(stderr, "snapkeep: restore: --region %s: policy %s %s\n", r->region, r->p->name,
                r->p->copy == NULL ? "has no copy-to block"
                                   : "copies to another region (see its copy-to block)");
        return EXIT_INVALID;
    }
    if (r->replace_on != NULL) {
        fputs("snapkeep: restore: --replace-on cannot take a copy from another region: a VM "
              "takes disks of its own region only; restore the copy, or --attach-to a VM "
              "there\n", stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int rst_run(rst_ctx *r)
{
    bool vm_mode = r->attach_to != NULL || r->replace_on != NULL;
    int rc = check_region(r);
    if (rc == EXIT_OK && !r->dry_run)
        rc = open_state(r);
    if (rc == EXIT_OK && vm_mode)
        rc = rst_vm_resume(r);
    az_error err;
    memset(&err, 0, sizeof err);
    if (rc == EXIT_OK && az_client_new(&r->az.opts, &r->client, &err) != 0) {
        cli_print_az_error("restore: azure", &err);
        rc = EXIT_AZURE;
    }
    if (rc == EXIT_OK && ((r->inv = inv_new()) == NULL || (r->disks = inv_new()) == NULL))
        rc = EXIT_AZURE;
    if (rc == EXIT_OK && r->region != NULL)
        rc = list_copies(r, &err);
    else if (rc == EXIT_OK &&
             az_list_snapshots(r->client, r->subscription, NULL, r->inv, &err) != 0) {
        cli_print_az_error("restore: listing snapshots", &err);
        rc = EXIT_AZURE;
    }
    if (rc == EXIT_OK)
        rc = pick(r);
    if (rc == EXIT_OK)
        rc = plan_target(r);
    if (rc == EXIT_OK && vm_mode)
        rc = rst_vm_run(r);
    else if (rc == EXIT_OK && r->dry_run) {
        if (r->json)
            print_json(r, NULL);
        else
            print_text(r, NULL);
    } else if (rc == EXIT_OK)
        rc = create(r);
    if (r->journaling) {
        cli_journal_end(&r->journal, rc);
    }
    return rc;
}

static void rst_cleanup(rst_ctx *r)
{
    inv_free(r->inv);
    inv_free(r->copies);
    inv_free(r->disks);
    az_client_free(r->client);
    if (r->journaling)
        cli_journal_close(&r->journal);
    cli_state_close(&r->state);
    pol_file_free(r->file);
}

int cmd_restore(int argc, char **argv)
{
    rst_ctx r;
    memset(&r, 0, sizeof r);
    r.state.lock_fd = -1;
    r.journal.fd = -1;
    r.lun = -1;
    r.argc = argc;
    r.argv = argv;
    cli_azure_init(&r.az);
    int rc = parse_args(argc, argv, &r);
    if (rc != 0)
        return rc == CLI_HELPED ? EXIT_OK : rc;
    r.start = cli_now();
    cli_log_init(&r.log, "restore", CLI_LOG_TEXT, stderr);
    r.file = cli_load_policy(r.policy_path, true);
    if (r.file == NULL)
        return EXIT_INVALID;
    rc = choose_policy(&r);
    if (rc == EXIT_OK)
        rc = rst_run(&r);
    rst_cleanup(&r);
    return rc;
}
