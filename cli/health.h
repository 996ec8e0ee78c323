/* What `snapkeep status` reads and `snapkeep run` records for it: the
 * disks one policy answers for, and the last-run record in the state
 * directory (last-run.json), so that `status --offline` needs no Azure
 * call. The judging is engine/health.h's. */
#ifndef SNAPKEEP_CLI_HEALTH_H
#define SNAPKEEP_CLI_HEALTH_H

#include <stddef.h>

#include "engine/health.h"

#define CLI_LAST_RUN_FILE "last-run.json"
/* {"policy": Unix seconds} of the last run that fully succeeded */
#define CLI_LAST_SUCCESS_FILE "last-success.json"

/* A list of disk IDs (malloc'd, each with a leading '/'). */
typedef struct cli_disk_list {
    char **ids;
    size_t n;
} cli_disk_list;
void cli_disk_list_free(cli_disk_list *l);

/* The disks status reports for policy p (subscription: the policy's, as
 * cli_policy_subscription gives it): the disks `run` snapshots (resolved,
 * when `resolved` is given, else the policy's `disk` entries as IDs, in
 * its resource group, or by name among the listed disks, and the listed
 * disks its `disks tagged` selects), and every source disk of a snapshot
 * p owns in inv. No duplicates. -1 when out of memory. */
int cli_health_disks(const pol_policy *p, const char *subscription, const inv_inventory *inv,
                     char *const *resolved, size_t nresolved, cli_disk_list *out);

/* Adds `key`: t as eng_time_format writes it, or null when t is
 * SK_TIME_MIN (never happened): how the last-run record and status's JSON
 * write a time (doc/json.md). Defined in cli/run_record.c. */
struct cJSON;
void cli_json_add_time(struct cJSON *o, const char *key, sk_time t);

#endif
