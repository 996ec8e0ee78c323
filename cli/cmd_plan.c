/* snapkeep plan: the dry run. Reads the policies and an inventory (a file,
 * or a live listing that only reads), evaluates at --now, and reports what
 * would be kept and pruned, and why. Never changes anything. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "azure/inventory_read.h"
#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "cli/plan_copy.h"
#include "cli/report.h"
#include "cli/state.h"
#include "engine/evaluate.h"

enum { OPT_INVENTORY = CLI_OPT_AZURE_LAST + 1, OPT_NOW, OPT_FORMAT, OPT_OUTPUT, OPT_COLOUR,
       OPT_MAX_INVENTORY, OPT_SUMMARY, OPT_MAX_DELETE, OPT_DISKS };

typedef enum plan_format { FMT_TABLE, FMT_JSON, FMT_SVG } plan_format;
typedef enum colour_mode { COLOUR_AUTO, COLOUR_ALWAYS, COLOUR_NEVER } colour_mode;

typedef struct plan_args {
    const char *policy_path;
    const char *inventory_path;
    const char *disks_path;         /* --disks: the disk list an offline plan judges by */
    size_t max_inventory_bytes;     /* 0: the reader's default */
    const char *output_path;
    bool have_now;
    sk_time now;
    plan_format format;
    colour_mode colour;
    bool summary;                   /* --summary: counts per policy and disk */
    int64_t max_delete;             /* --max-delete, as run's; -1: not given */
    size_t duplicates;              /* snapshots the inventory listed twice */
    const char *duplicate_example;  /* a name in the inventory */
    cli_azure azure;
} plan_args;

static const struct option plan_options[] = {
    { "inventory", required_argument, NULL, OPT_INVENTORY },
    { "disks", required_argument, NULL, OPT_DISKS },
    { "max-inventory-bytes", required_argument, NULL, OPT_MAX_INVENTORY },
    { "now", required_argument, NULL, OPT_NOW },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "output", required_argument, NULL, OPT_OUTPUT },
    { "colour", required_argument, NULL, OPT_COLOUR },
    { "color", required_argument, NULL, OPT_COLOUR },
    { "summary", no_argument, NULL, OPT_SUMMARY },
    { "max-delete", required_argument, NULL, OPT_MAX_DELETE },
    { "help", no_argument, NULL, 'h' },
    CLI_AZURE_LONG_OPTIONS,
    { NULL, 0, NULL, 0 }
};

/* Matches `text` against a NULL-terminated list; -1 with a message if none. */
static int plan_option(plan_args *a, int opt, const char *arg)
{
    static const char *const formats[] = { "table", "json", "svg", NULL };
    static const char *const colours[] = { "auto", "always", "never", NULL };
    int v;
    switch (opt) {
    case OPT_INVENTORY: a->inventory_path = arg; return 0;
    case OPT_DISKS: a->disks_path = arg; return 0;
    case OPT_MAX_INVENTORY: {
        char *end;
        errno = 0;
        unsigned long long n = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &end, 10) : 0;
        if (n == 0 || *end != '\0' || errno != 0 || n > SIZE_MAX) {
            fprintf(stderr, "snapkeep: plan: --max-inventory-bytes: '%s' is not a byte count "
                    "(a whole number above 0)\n", arg);
            return -1;
        }
        a->max_inventory_bytes = (size_t)n;
        return 0;
    }
    case OPT_OUTPUT: a->output_path = arg; return 0;
    case OPT_SUMMARY: a->summary = true; return 0;
    case OPT_MAX_DELETE:
        return cli_parse_max_delete(arg, &a->max_delete);
    case OPT_NOW:
        a->have_now = true;
        return cli_parse_time_opt("--now", arg, &a->now);
    case OPT_FORMAT:
        if ((v = cli_pick("--format", arg, formats)) < 0)
            return -1;
        a->format = (plan_format)v;
        return 0;
    case OPT_COLOUR:
        if ((v = cli_pick("--colour", arg, colours)) < 0)
            return -1;
        a->colour = (colour_mode)v;
        return 0;
    default:
        return cli_azure_option(&a->azure, opt, arg) == 1 ? 0 : -1;
    }
}

#define PLAN_HELPED (-1)   /* --help was answered: exit 0 */

/* 0: parsed; PLAN_HELPED; otherwise the exit code. */
static int parse_args(int argc, char **argv, plan_args *a)
{
    memset(a, 0, sizeof *a);
    a->max_delete = -1;
    cli_azure_init(&a->azure);
    optind = 1;
    int opt;
    while ((opt = cli_getopt(argc, argv, plan_options)) != -1) {
        if (opt == 'h') {
            cli_help("plan", stdout);
            return PLAN_HELPED;
        }
        if (opt == '?' || plan_option(a, opt, optarg) != 0) {
            cli_usage("plan", stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "snapkeep: plan: %s\n", argc - optind == 0 ? "no policy file given"
                                                                   : "only one policy file, please");
        cli_usage("plan", stderr);
        return EXIT_USAGE;
    }
    a->policy_path = argv[optind];
    if (a->disks_path != NULL && a->inventory_path == NULL) {
        fputs("snapkeep: plan: --disks goes with --inventory (a live plan lists the disks "
              "itself)\n", stderr);
        cli_usage("plan", stderr);
        return EXIT_USAGE;
    }
    if (a->disks_path != NULL && strcmp(a->disks_path, "-") == 0 &&
        strcmp(a->inventory_path, "-") == 0) {
        fputs("snapkeep: plan: --inventory and --disks cannot both be standard input\n", stderr);
        cli_usage("plan", stderr);
        return EXIT_USAGE;
    }
    if (a->summary && a->format != FMT_TABLE) {
        fputs("snapkeep: plan: --summary shapes the table; JSON and SVG are whole\n", stderr);
        cli_usage("plan", stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* --disks: what the live plan knows besides the snapshots (disk tags for
 * `disks tagged`, each disk's uniqueId, which disks are gone). */
static int load_disks(const plan_args *a, inv_inventory *inv)
{
    char err[1024];
    int rc = inv_read_disks_file(a->disks_path, a->max_inventory_bytes, inv, err, sizeof err);
    if (rc == 0)
        return EXIT_OK;
    fprintf(stderr, "snapkeep: plan: %s%s\n", err, rc == INV_READ_TOO_LARGE
            ? " (--max-inventory-bytes raises it)" : "");
    return EXIT_INVALID;
}

static int load_inventory(plan_args *a, const pol_file *pf, inv_inventory **inv,
                          plan_copies *copies)
{
    if (a->inventory_path != NULL) {
        char err[1024];
        int rc = inv_read_file(a->inventory_path, a->max_inventory_bytes, inv, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "snapkeep: plan: %s%s\n", err, rc == INV_READ_TOO_LARGE
                    ? " (--max-inventory-bytes raises it)" : "");
            return EXIT_INVALID;
        }
        /* as the live listing does: a copy would get a decision of its
         * own, "prune" beside the kept original */
        size_t dropped;
        const char *example;
        rc = inv_merge_duplicate_ids(*inv, &dropped, &example, err, sizeof err);
        if (rc != 0) {
            if (rc == -1)
                fprintf(stderr, "snapkeep: plan: out of memory\n");
            else
                fprintf(stderr, "snapkeep: plan: %s: %s\n", a->inventory_path, err);
            inv_free(*inv);
            *inv = NULL;
            return EXIT_INVALID;
        }
        if (dropped > 0) {
            fprintf(stderr, "snapkeep: plan: warning: %s: %zu %s listed more than once "
                    "(\"%s\" first), each taken once with the tags of every copy\n",
                    a->inventory_path, dropped, dropped == 1 ? "snapshot" : "snapshots",
                    example != NULL ? example : "?");
            /* the report carries it too (JSON `warnings`) */
            a->duplicates = dropped;
            a->duplicate_example = example;
        }
        if (a->disks_path != NULL && load_disks(a, *inv) != EXIT_OK) {
            inv_free(*inv);
            *inv = NULL;
            return EXIT_INVALID;
        }
        return EXIT_OK;
    }
    az_client *client = NULL;
    az_error aerr;
    memset(&aerr, 0, sizeof aerr);
    if (az_client_new(&a->azure.opts, &client, &aerr) != 0) {
        cli_print_az_error("plan", &aerr);
        return EXIT_AZURE;
    }
    int rc = cli_live_inventory(client, &a->azure, pf, inv);
    if (rc == EXIT_OK)
        rc = plan_copy_list(client, &a->azure, pf, copies);
    az_client_free(client);
    return rc;
}

static int render(const plan_args *a, const rpt_plan *r, FILE *out)
{
    switch (a->format) {
    case FMT_JSON: return rpt_plan_json(out, r);
    case FMT_SVG: return rpt_plan_svg(out, r);
    case FMT_TABLE: break;
    }
    return rpt_plan_table(out, r);
}

/* A report into a regular file (or a new one) is written whole into
 * memory, then into a fresh temporary file beside it and renamed over it:
 * never a half-written report, never a planted link at a guessable name
 * followed. A device, FIFO or link the user named is written as given. */
static int emit_file(const plan_args *a, rpt_plan *r)
{
    char *buf = NULL, err[512];
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem == NULL) {
        fprintf(stderr, "snapkeep: plan: out of memory\n");
        return EXIT_INVALID;
    }
    r->colour = a->colour == COLOUR_ALWAYS;
    int rc = render(a, r, mem);
    if (fclose(mem) != 0)
        rc = -1;
    mode_t mask = umask(0);
    umask(mask);
    if (rc != 0 || cli_write_file_atomic(a->output_path, buf, len, (int)(0666 & ~mask), err,
                                         sizeof err) != 0) {
        fprintf(stderr, "snapkeep: plan: writing %s failed: %s\n", a->output_path,
                rc != 0 ? strerror(errno) : err);
        free(buf);
        return EXIT_INVALID;
    }
    free(buf);
    return EXIT_OK;
}

/* Writes the report to stdout or --output; the file is only created once
 * the plan exists, so a refused plan leaves nothing behind. */
static int emit(const plan_args *a, rpt_plan *r)
{
    FILE *out = stdout;
    struct stat sb;
    if (a->output_path != NULL && strcmp(a->output_path, "-") != 0 &&
        (lstat(a->output_path, &sb) != 0 ? errno == ENOENT : S_ISREG(sb.st_mode)))
        return emit_file(a, r);
    if (a->output_path != NULL && strcmp(a->output_path, "-") != 0) {
        out = fopen(a->output_path, "w");
        if (out == NULL) {
            fprintf(stderr, "snapkeep: plan: %s: %s\n", a->output_path, strerror(errno));
            return EXIT_INVALID;
        }
    }
    r->colour = a->colour == COLOUR_ALWAYS ||
                (a->colour == COLOUR_AUTO && out == stdout && cli_use_colour(stdout));
    int rc = render(a, r, out);
    if (out != stdout) {
        if (fclose(out) != 0)
            rc = -1;
    } else if (fflush(out) != 0) {
        rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "snapkeep: plan: writing %s failed: %s\n",
                out == stdout ? "standard output" : a->output_path, strerror(errno));
        return EXIT_INVALID;
    }
    return EXIT_OK;
}

int cmd_plan(int argc, char **argv)
{
    plan_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc == PLAN_HELPED ? EXIT_OK : rc;
    pol_file *pf = cli_load_policy(a.policy_path, false);
    if (pf == NULL)
        return EXIT_INVALID;
    inv_inventory *inv = NULL;
    plan_copies copies = { 0 };
    rc = load_inventory(&a, pf, &inv, &copies);
    if (rc != EXIT_OK) {
        plan_copy_free(&copies);
        inv_free(inv);
        pol_file_free(pf);
        return rc;
    }
    cli_near_cap_warnings(inv, "plan", stderr);
    sk_time now = a.have_now ? a.now : cli_now();
    eng_plan *plan = NULL;
    char err[256];
    if (eng_evaluate((const pol_policy *const *)pf->policies, pf->npolicies, inv, now,
                     &plan, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: plan: %s\n", err);
        rc = EXIT_INVALID;
    } else if (plan_copy_hold(&copies, pf, plan, inv, now) != 0) {
        fprintf(stderr, "snapkeep: plan: out of memory\n");
        rc = EXIT_INVALID;
    } else {
        /* what one run deletes and defers: the run's own decision */
        enf_next *next = malloc((plan->ndecisions ? plan->ndecisions : 1) * sizeof *next);
        if (next == NULL || enf_next_run((const pol_policy *const *)pf->policies, pf->npolicies,
                                         plan, inv, a.max_delete, next) != 0) {
            fprintf(stderr, "snapkeep: plan: out of memory\n");
            rc = EXIT_INVALID;
        } else {
            rpt_plan r = { .plan = plan, .file = pf, .inv = inv, .policy_path = a.policy_path,
                           .inventory_path = a.inventory_path, .next = next,
                           .has_max_delete = a.max_delete >= 0,
                           .max_delete = a.max_delete, .duplicates = a.duplicates,
                           .duplicate_example = a.duplicate_example, .summary = a.summary };
            rc = emit(&a, &r);
            /* the copies' own plan: a second table (the JSON and SVG shapes hold one plan) */
            if (rc == EXIT_OK && a.format == FMT_TABLE && a.output_path == NULL &&
                (plan_copy_tables(stdout, &copies, pf, a.policy_path, now, r.colour) != 0 ||
                 fflush(stdout) != 0)) {
                fprintf(stderr, "snapkeep: plan: writing the copies' plan failed\n");
                rc = EXIT_INVALID;
            }
        }
        free(next);
    }
    plan_copy_free(&copies);
    eng_plan_free(plan);
    inv_free(inv);
    pol_file_free(pf);
    return rc;
}
