/* The command-line front end: one function per command, sharing helpers. */
#ifndef SNAPKEEP_CLI_H
#define SNAPKEEP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/exit.h"
#include "engine/duration.h"
#include "engine/explain.h"
#include "engine/inventory.h"
#include "engine/sktime.h"
#include "grammar/parse.h"

int cli_main(int argc, char **argv);

/* Each command gets argv with argv[0] the command name. */
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_inventory(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_drill(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_failover(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* What a command's option parsing returns when it answered --help (the
 * command then exits 0). */
#define CLI_HELPED (-100)
/* One option of a command (getopt_long's opt and optarg): 0, or -1 when
 * its value is bad (the function has printed why). */
typedef int (*cli_option_fn)(void *ctx, int opt, const char *arg);
/* The option loop every command that takes one policy file shares: -h and
 * --help print cli_help and return CLI_HELPED; an unknown option or a bad
 * value prints the usage to stderr and returns EXIT_USAGE, as does a
 * missing or second file operand (named); else 0 with *file set. */
struct option;
int cli_parse_options(int argc, char **argv, const char *command,
                      const struct option *longopts, cli_option_fn fn, void *ctx,
                      const char **file);
/* Prints a command's usage line (from the help table) to f. */
void cli_usage(const char *command, FILE *f);
/* A command's whole help: what `snapkeep help COMMAND` and `COMMAND
 * --help` both print (one text, one place). */
void cli_help(const char *command, FILE *f);

/* The command being run ("plan"), set once by cli_main before the command
 * starts ("snapkeep" before that, when messages say just "snapkeep: "). Every message of a command starts
 * "snapkeep: COMMAND: " (cli_err), whichever helper prints it. */
void cli_set_command(const char *name);
const char *cli_command_name(void);
/* "snapkeep: COMMAND: MESSAGE\n" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* getopt_long for every command (optstring "h"), with snapkeep's own
 * messages instead of getopt's: "snapkeep: plan: unknown option
 * '--inventroy'; did you mean '--inventory'?", "option '--now' needs a
 * value", "... is ambiguous". Returns what getopt_long returns, '?' for
 * every error (already reported). */
int cli_getopt(int argc, char **argv, const struct option *longopts);

/* Prints every diagnostic to stderr (warnings too unless quiet). */
void cli_print_diags(const pol_diags *diags, bool quiet);
/* Parses and compiles a policy file, printing every diagnostic to stderr
 * (warnings too unless quiet). NULL when the file has errors. */
pol_file *cli_load_policy(const char *path, bool quiet);
/* When the explain model e says its policy keeps more than Azure's policy
 * budget per disk (eng_explain_cap_of), prints a warning at the policy's
 * location to out and returns true (cli/cap_warn.c). */
bool cli_cap_warning(const eng_explain *e, FILE *out);
/* One warning line per disk of inv within 10 % of Azure's cap
 * (enf_near_cap_disks), "snapkeep: COMMAND: warning: ..."; returns how
 * many, -1 when out of memory (said on out). */
int cli_near_cap_warnings(const inv_inventory *inv, const char *command, FILE *out);
/* An option that takes one of a few words (--format, --log-format,
 * --colour, --dns-zone-kind): the index of text in names (NULL-terminated),
 * or -1 after the one wording every command uses for a wrong one:
 * "snapkeep: COMMAND: --format: unknown value 'X' (one of text, json)". */
int cli_pick(const char *option, const char *text, const char *const *names);
/* --format text|json: sets *json; -1 (reported as cli_pick does) for
 * any other word. */
int cli_format_text_json(const char *arg, bool *json);
/* --now, --at and friends: RFC 3339, or a date alone (YYYY-MM-DD, which is
 * that day's midnight UTC); prints "snapkeep: COMMAND: OPTION: ..." on
 * error. */
int cli_parse_time_opt(const char *option, const char *text, sk_time *out);
/* --cadence 1h and friends; prints "snapkeep: COMMAND: OPTION: ..." on error. */
int cli_parse_duration_opt(const char *option, const char *text, pol_duration *out);
/* Segment k (0-based, after the optional leading '/') of an ARM ID
 * ("/subscriptions/S/resourceGroups/RG/...": 1 is S, 3 is RG). false when
 * id is NULL, the segment is missing or empty, or longer than n - 1. */
bool cli_id_segment(const char *id, size_t k, char *buf, size_t n);
/* The one policy of file f a command works in: the one called name
 * (--policy), else the file's only one. NULL with the reason printed
 * ("snapkeep: COMMAND: ...") and *rc set: EXIT_INVALID for an unknown
 * name, EXIT_USAGE when the file has several and none is named. */
const pol_policy *cli_one_policy(const pol_file *f, const char *path, const char *name,
                                 const char *command, int *rc);
/* A resource named on the command line as an ARM ID: name itself when it
 * is one (a leading '/' added), else NAME of `kind` ("disks",
 * "virtualMachines") in resource group rg of subscription. -1 when rg is
 * NULL for a bare name, or the ID does not fit. */
int cli_name_to_id(char *buf, size_t n, const char *name, const char *subscription,
                   const char *rg, const char *kind);
/* The current time, for commands run without --now. */
sk_time cli_now(void);
/* Whether colour may be used on f (a TTY and NO_COLOR unset). */
bool cli_use_colour(FILE *f);
/* "" for one, "s" otherwise: "1 snapshot", "2 disks" (never "disk(s)"). */
const char *cli_s(size_t n);
/* --max-delete N of run and plan: 0 to 1000000; -1 with a message if not. */
int cli_parse_max_delete(const char *arg, int64_t *out);

#endif
