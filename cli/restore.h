/* Private to snapkeep restore: cli/cmd_restore.c (options, the snapshot,
 * the new disk) and cli/restore_vm.c (--attach-to and --replace-on). */
#ifndef SNAPKEEP_RESTORE_H
#define SNAPKEEP_RESTORE_H

#include <stdbool.h>

#include "azure/azure.h"
#include "cli/azure_opts.h"
#include "cli/journal.h"
#include "cli/log.h"
#include "cli/rcv_record.h"
#include "cli/state.h"
#include "engine/pick.h"
#include "engine/policy.h"

#define RST_MAX_TAGS 15

typedef struct rst_tag {
    char key[513];          /* ARM: 512 characters at most */
    char value[257];        /* and 256 */
} rst_tag;

typedef struct rst_ctx {
    /* options */
    const char *policy_path, *policy_name, *disk, *snapshot_name, *to;
    const char *zone, *sku, *target_rg, *state_dir;
    const char *attach_to, *replace_on;     /* the VM modes; NULL: a disk only */
    const char *region;                     /* --region: from the policy's copy-to copies */
    int lun;                                /* --lun; -1: the first free one */
    bool start_vm;                          /* --start */
    pick_mode mode;
    bool have_mode, dry_run, json;
    bool wait;                              /* --wait: for a snapshot still being copied */
    sk_time at;
    rst_tag tags[RST_MAX_TAGS];
    int ntags;
    cli_azure az;
    int argc;
    char **argv;
    /* resources */
    sk_time start;
    cli_log log;
    pol_file *file;
    const pol_policy *p;
    const char *subscription;
    cli_state state;
    cli_journal journal;
    bool journaling;
    az_client *client;
    inv_inventory *inv;         /* the subscription's snapshots */
    inv_inventory *disks;       /* GETs of the source and target disks */
    inv_inventory *copies;      /* --region: the copy resource group's listing (inv is its
                                   view, engine/copies.h, whose records borrow from it) */
    cli_rcv_record record;      /* an unfinished attempt of this operation (VM modes) */
    char resumed_snapshot[1024];/* the snapshot that attempt chose */
    /* the choice */
    const inv_snapshot *snap;
    char source[1024];          /* the source disk's ID */
    char target[1024];          /* the new disk's ID */
    char vm[1024];              /* the VM's ID (VM modes) */
    const char *location, *use_sku, *use_zone;
} rst_ctx;

/* The disk creation of r's restore: tags[] (capacity RST_MAX_TAGS + 2)
 * receives snapkeep-restored-from, snapkeep-replaces when in_place, then
 * the --tag ones. */
void rst_create_op(const rst_ctx *r, bool in_place, az_op *op, inv_tag *tags);

/* --attach-to / --replace-on, once the snapshot and the new disk's place
 * are chosen (cli/restore_vm.c). Returns the exit code. */
int rst_vm_run(rst_ctx *r);
/* The operation's record key and, for a VM mode, whether the state
 * directory holds another unfinished recovery operation (refused: exit
 * 6) or this one (r->record, r->resumed_snapshot set). */
int rst_vm_resume(rst_ctx *r);

#endif
