/* Command-line options shared by every command that talks to Azure, and
 * the live inventory those commands read. */
#ifndef SNAPKEEP_AZURE_OPTS_H
#define SNAPKEEP_AZURE_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "azure/azure.h"
#include "engine/policy.h"

enum {
    CLI_OPT_CLOUD = 1000, CLI_OPT_ARM_ENDPOINT, CLI_OPT_ARM_AUDIENCE,
    CLI_OPT_AUTHORITY_HOST, CLI_OPT_AUTH, CLI_OPT_CA_FILE, CLI_OPT_SUBSCRIPTION,
    CLI_OPT_PARALLEL, CLI_OPT_VERBOSE, CLI_OPT_TIMEOUT, CLI_OPT_RETRY_BUDGET,
    CLI_OPT_AZURE_LAST      /* commands number their own long options after this */
};

/* Spliced into a command's getopt_long table. */
#define CLI_AZURE_LONG_OPTIONS \
    { "cloud", required_argument, NULL, CLI_OPT_CLOUD }, \
    { "arm-endpoint", required_argument, NULL, CLI_OPT_ARM_ENDPOINT }, \
    { "arm-audience", required_argument, NULL, CLI_OPT_ARM_AUDIENCE }, \
    { "authority-host", required_argument, NULL, CLI_OPT_AUTHORITY_HOST }, \
    { "auth", required_argument, NULL, CLI_OPT_AUTH }, \
    { "ca-file", required_argument, NULL, CLI_OPT_CA_FILE }, \
    { "subscription", required_argument, NULL, CLI_OPT_SUBSCRIPTION }, \
    { "parallel", required_argument, NULL, CLI_OPT_PARALLEL }, \
    { "verbose", no_argument, NULL, CLI_OPT_VERBOSE }, \
    { "timeout", required_argument, NULL, CLI_OPT_TIMEOUT }, \
    { "retry-budget", required_argument, NULL, CLI_OPT_RETRY_BUDGET }

typedef struct cli_azure {
    az_options opts;
    const char *subscription;   /* --subscription, else AZURE_SUBSCRIPTION_ID */
} cli_azure;

/* Fills defaults from the environment (SNAPKEEP_ARM_ENDPOINT,
 * AZURE_AUTHORITY_HOST, AZURE_SUBSCRIPTION_ID). */
void cli_azure_init(cli_azure *a);
/* Handles one getopt_long result: 1 handled, 0 not an Azure option,
 * -1 bad value (message printed). */
int cli_azure_option(cli_azure *a, int opt, const char *arg);

/* The subscription a policy works in: the policy's setting, else the
 * command line / environment. NULL with a message when none. */
const char *cli_policy_subscription(const cli_azure *a, const pol_policy *p);
/* For commands that work across all of a policy's subscriptions (run,
 * status): *out NULL for a policy spanning several, else as
 * cli_policy_subscription. -1 (message printed) when none is given. */
int cli_policy_scope_subscription(const cli_azure *a, const pol_policy *p, const char **out);

/* Lists, for every policy of the file, the snapshots (and disks) of its
 * scope, de-duplicated by ID, into one inventory: per scope through ARM,
 * or through Resource Graph when more than one subscription is in play. Returns an exit code
 * (EXIT_OK, EXIT_AZURE on any failed page, EXIT_INVALID for a policy with
 * no subscription) with the reason printed on stderr; *out is NULL unless
 * EXIT_OK. */
int cli_live_inventory(az_client *client, const cli_azure *a, const pol_file *f,
                       inv_inventory **out);

/* As cli_live_inventory, also keeping ARM's own JSON of each snapshot:
 * (*raw)[i] belongs to (*out)->snapshots[i] (NULL where it could not be
 * kept). Free with cli_raw_free(raw, (*out)->nsnapshots). */
int cli_live_inventory_raw(az_client *client, const cli_azure *a, const pol_file *f,
                           inv_inventory **out, char ***raw);
void cli_raw_free(char **raw, size_t n);

/* Prints an az_error as one line on stderr: "snapkeep: WHAT: CODE: MESSAGE
 * (HTTP 409, request id ...)". An allocation failure is no Azure error:
 * "snapkeep: COMMAND: out of memory (WHAT)", and the process's latch is set
 * (cli/oom.h) so that the command exits EXIT_NOMEM. */
void cli_print_az_error(const char *what, const az_error *err);

#endif
