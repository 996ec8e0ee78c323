/* `snapkeep plan` with copy-to, read live: the copy resource groups listed beside the
 * policies' scopes, the sources of running (or due) copies held in the plan exactly as `run`
 * holds them, and the copies' own plan as a second table. Offline (--inventory) the copies'
 * state is unknown and none of this applies. */
#ifndef SNAPKEEP_CLI_PLAN_COPY_H
#define SNAPKEEP_CLI_PLAN_COPY_H

#include <stdbool.h>
#include <stdio.h>

#include "azure/azure.h"
#include "cli/azure_opts.h"
#include "engine/evaluate.h"

typedef struct plan_copies {
    inv_inventory **raw;        /* per policy of the file: its copy listing, NULL without copy-to */
    void **holds;               /* per policy: the reasons eng_copy_protect added */
    size_t n;
} plan_copies;

/* Lists the copy resource group of every policy with copy-to. EXIT_OK or EXIT_AZURE (a page
 * failed: the plan is not made, as run would not act). */
int plan_copy_list(az_client *c, const cli_azure *a, const pol_file *f, plan_copies *out);
/* Holds, in plan, the sources whose copies run or would start now (eng_copy_decide). -1: out
 * of memory. */
int plan_copy_hold(plan_copies *pc, const pol_file *f, eng_plan *plan, const inv_inventory *inv,
                   sk_time now);
/* The copies' plan of each policy as a table after the main one. 0, or -1 (write/memory). */
int plan_copy_tables(FILE *out, const plan_copies *pc, const pol_file *f, const char *path,
                     sk_time now, bool colour);
void plan_copy_free(plan_copies *pc);

#endif
