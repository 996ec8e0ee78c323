/* snapkeep's entry: global flags, the command table and help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/oom.h"

typedef struct cli_command {
    const char *name;
    int (*run)(int, char **);
    const char *usage;
    const char *summary;
    const char *details;        /* options and exit codes; NULL: none beyond the usage */
} cli_command;

static const cli_command commands[] = {
    { "check", cmd_check, "check [-q] FILE...",
      "validate policy files; every error located, with a caret", NULL },
    { "explain", cmd_explain, "explain FILE [--cadence D] [--format text|json]",
      "the policy in plain words, steady-state count, worst gaps", NULL },
    { "plan", cmd_plan,
      "plan FILE [--inventory FILE [--disks FILE]] [--now T] [--format table|json|svg] [--summary]\n"
      "                     [--max-delete N] [--output FILE] [--colour auto|always|never]\n"
      "                     [AZURE OPTIONS]",
      "dry run: what would be kept and pruned, and why; what one run deletes and defers",
      "  --summary             table only: counts per policy and disk, no snapshot lines\n"
      "  --max-delete N        what a run with --max-delete N would delete and defer\n"
      "  --disks FILE          with --inventory: the JSON of `az disk list` (disk tags,\n"
      "                        uniqueId, gone disks), what a live plan lists itself\n" },
    { "simulate", cmd_simulate,
      "simulate FILE [--cadence D] [--for D] [--jitter D] [--miss P%] [--seed N]\n"
      "                     [--start T] [--policy NAME] [--format text|json|svg]",
      "replay creation and pruning on a virtual clock", NULL },
    { "inventory", cmd_inventory, "inventory FILE [--format json] [AZURE OPTIONS]",
      "the live snapshot inventory the policies govern (ARM JSON)", NULL },
    { "run", cmd_run,
      "run FILE [--dry-run] [--now T] [--state-dir DIR] [--max-delete N] [--allow-stale]\n"
      "                     [--log-format text|json] [--metrics-file FILE] [--lease-wait S]\n"
      "                     [AZURE OPTIONS]",
      "scheduled enforcement: create what is due, prune, safely",
      "  --dry-run             do everything but create and delete; print the plan\n"
      "  --now T               the run's clock (RFC 3339), for tests\n"
      "  --state-dir DIR       lock and journal (default $STATE_DIRECTORY, else\n"
      "                        /var/lib/snapkeep)\n"
      "  --max-delete N        delete at most N per policy (lowers max-delete)\n"
      "  --allow-stale         prune disks whose snapshot creation looks stalled\n"
      "  --log-format FMT      one line per action on stderr: text (default) or json\n"
      "  --metrics-file PATH   Prometheus text metrics, written atomically\n"
      "  --lease-wait S        seconds between writing each policy's lease in Azure\n"
      "                        and reading it back (default 20; the same on every host)\n\n"
      "Credentials come from the environment, first found: AZURE_TENANT_ID +\n"
      "AZURE_CLIENT_ID + AZURE_CLIENT_SECRET, then AZURE_FEDERATED_TOKEN_FILE, then the\n"
      "managed identity, then `az login` (--auth forces one).\n\n"
      "exit: 0 done, 1 invalid policy, 2 usage, 3 Azure failure, 4 some actions\n"
      "      failed or held back (a disk at Azure's 500 snapshots or 7 in 5 minutes,\n"
      "      a name taken since the listing: 412), 5 stale, 6 refused (clock skew,\n"
      "      lock or lease held), 7 out of memory\n" },
    { "status", cmd_status,
      "status FILE... [--format table|json|nagios] [--warn-rpo D] [--crit-rpo D]\n"
      "                     [--state-dir DIR] [--offline] [--now T] [AZURE OPTIONS]",
      "am I protected? per disk: snapshot age, the 500 cap, last run and drill",
      "  --format FMT          table (default, for people), json (doc/json.md) or nagios\n"
      "                        (one status line with perfdata)\n"
      "  --warn-rpo D          warning when the newest usable snapshot is older than D\n"
      "                        (default: two cadences, `snapshot every`)\n"
      "  --crit-rpo D          critical when older than D (default: the stale rule,\n"
      "                        `stale-after`, else three cadences)\n"
      "  --state-dir DIR       where run and drill record (default $STATE_DIRECTORY,\n"
      "                        else /var/lib/snapkeep); read only, never locked\n"
      "  --offline             read only the state directory: no Azure call\n"
      "  --now T               the check's clock (RFC 3339), for tests\n\n"
      "A disk is also a warning at 450 snapshots and critical at 500 (Azure's cap);\n"
      "a last run that exited non-zero or a failed last drill is a warning.\n"
      "Credentials are found as for run (see snapkeep help run).\n\n"
      "exit (every format, Monitoring Plugins codes): 0 OK, 1 WARNING, 2 CRITICAL,\n"
      "      3 UNKNOWN (usage error, invalid policy, a listing failure, nothing recorded)\n" },
    { "restore", cmd_restore,
      "restore FILE --disk DISK (--snapshot NAME | --at T | --latest) --to NEW_DISK\n"
      "                     [--attach-to VM [--lun N] | --replace-on VM [--start]]\n"
      "                     [--zone Z] [--sku SKU] [--tag K=V]... [--resource-group RG]\n"
      "                     [--policy NAME] [--wait] [--region REGION] [--dry-run]\n"
      "                     [--format text|json] [--state-dir DIR] [AZURE OPTIONS]",
      "restore a disk from a snapshot; attach it, or put it in place of the VM's disk", NULL },
    { "release", cmd_release,
      "release FILE --disk DISK [--from VM] [--resource-group RG] [--policy NAME]\n"
      "                     [--dry-run] [--format text|json] [--state-dir DIR] [AZURE OPTIONS]",
      "detach a restored disk and delete it (only a disk restore made)", NULL },
    { "failover", cmd_failover,
      "failover FILE [--from VM] [--to STANDBY] [--move-public-ip NAME] [--dns-record ZONE/NAME]\n"
      "                     [--dns-zone-kind private|public] [--restore (--latest|--at T)]\n"
      "                     [--start|--no-start] [--force-detach] [--resource-group RG]\n"
      "                     [--policy NAME] [--dry-run] [--format text|json] [--state-dir DIR]\n"
      "                     [AZURE OPTIONS]",
      "move the policy's disks, public IP and DNS record to the standby VM and start it", NULL },
    { "drill", cmd_drill,
      "drill FILE [--sample N] [--seed S] [--now T] [--policy NAME] [--state-dir DIR]\n"
      "                     [--metrics-file FILE] [--format text|json] [--log-format text|json]\n"
      "                     [--attach-to VM] [--verify CMD] [--verify-timeout S]\n"
      "                     [--device-dir DIR] [--report FILE] [--failover [--to VM] [--start]]\n"
      "                     [--wait] [--region REGION] [AZURE OPTIONS]",
      "rehearse recovery: restore, time and clean up", NULL },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char azure_options_help[] =
    "\nAZURE OPTIONS:\n"
    "  --subscription ID       subscription when the policy names none (AZURE_SUBSCRIPTION_ID)\n"
    "  --auth KIND             secret, workload, msi or cli (default: the first that works)\n"
    "  --cloud NAME            AzureCloud, AzureUSGovernment or AzureChinaCloud\n"
    "  --arm-endpoint URL      where ARM requests go (SNAPKEEP_ARM_ENDPOINT)\n"
    "  --arm-audience URI      token audience, when it differs from the cloud's\n"
    "  --authority-host URL    Entra ID host (AZURE_AUTHORITY_HOST)\n"
    "  --ca-file FILE          extra CA certificates (TLS is always verified)\n"
    "  --parallel N            at most N operations in flight (default: as ARM's quota allows)\n"
    "  --timeout SECONDS       per request attempt\n"
    "  --retry-budget SECONDS  give up once ARM has failed this long (default 300)\n"
    "  --verbose               log each request (never a token or secret)\n";

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

void cli_help(const char *command, FILE *f)
{
    const cli_command *c = find_command(command);
    if (c == NULL)
        return;
    fprintf(f, "usage: snapkeep %s\n\n%s.\n", c->usage, c->summary);
    if (c->details != NULL)
        fprintf(f, "\n%s", c->details);
    if (strstr(c->usage, "AZURE OPTIONS") != NULL)
        fputs(azure_options_help, f);
    fputs("See snapkeep(1) for every option.\n", f);
}

void cli_usage(const char *command, FILE *f)
{
    const cli_command *c = find_command(command);
    if (c != NULL)
        fprintf(f, "usage: snapkeep %s\n", c->usage);
}

/* "unknown command 'chek'; did you mean 'check'?" */
static void unknown_command(const char *word, const char *tail)
{
    const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    names[NCOMMANDS] = "help";
    const char *hint = pol_suggest(word, names, NCOMMANDS + 1);
    if (hint != NULL)
        cli_err("unknown command '%s'; did you mean '%s'?%s", word, hint, tail);
    else
        cli_err("unknown command '%s'%s", word, tail);
}

static void print_help(FILE *f)
{
    fputs("usage: snapkeep COMMAND [ARGS...]\n"
          "       snapkeep help COMMAND | --help | --version\n\n"
          "Keeps the snapshot history of Azure managed disks as a retention policy says.\n\n"
          "commands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nexit codes: 0 ok, 1 invalid policy or input, 2 usage, 3 Azure failure,\n"
          "            4 partial, 5 stale, 6 refused by a safety rail, 7 out of memory\n"
          "See snapkeep(1) and snapkeep.policy(5).\n", f);
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("snapkeep %s\n", SNAPKEEP_VERSION);
        return EXIT_OK;
    }
    if (strcmp(first, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return EXIT_OK;
        }
        const cli_command *c = find_command(argv[2]);
        if (c == NULL) {
            cli_set_command("help");
            unknown_command(argv[2], "");
            return EXIT_USAGE;
        }
        cli_help(c->name, stdout);
        return EXIT_OK;
    }
    const cli_command *c = find_command(first);
    if (c == NULL) {
        unknown_command(first, " (try 'snapkeep --help')");
        return EXIT_USAGE;
    }
    cli_set_command(c->name);
    /* cJSON allocates through snapkeep's allocators too (cli/oom.h) */
    cJSON_InitHooks(&(cJSON_Hooks){ .malloc_fn = malloc, .free_fn = free });
    int rc = c->run(argc - 1, argv + 1);
    if (cli_oom_seen() && rc != EXIT_NOMEM) {
        /* whatever the command made of it, the answer is "out of memory" */
        fprintf(stderr, "snapkeep: %s: out of memory (exit %d)\n", c->name, EXIT_NOMEM);
        rc = EXIT_NOMEM;
    }
    return rc;
}
