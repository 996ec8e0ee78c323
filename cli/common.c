/* Helpers every command shares: loading policies, parsing option values. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "azure/azure.h"
#include "cli/cli.h"

void cli_print_diags(const pol_diags *diags, bool quiet)
{
    for (size_t i = 0; i < diags->n; i++) {
        if (quiet && diags->items[i].level == POL_WARNING)
            continue;
        char *text = pol_diag_render(&diags->items[i]);
        if (text != NULL) {
            fputs(text, stderr);
            free(text);
        }
    }
}

pol_file *cli_load_policy(const char *path, bool quiet)
{
    pol_diags diags = {0};
    pol_file *f = pol_parse_file(path, &diags);
    cli_print_diags(&diags, quiet);
    pol_diags_free(&diags);
    return f;
}

static const char *current_command;

void cli_set_command(const char *name)
{
    current_command = name;
}

const char *cli_command_name(void)
{
    return current_command != NULL ? current_command : "snapkeep";
}

void cli_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (current_command != NULL)
        fprintf(stderr, "snapkeep: %s: ", current_command);
    else
        fputs("snapkeep: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_pick(const char *option, const char *text, const char *const *names)
{
    char list[256] = "";
    size_t len = 0;
    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(text, names[i]) == 0)
            return i;
        int n = snprintf(list + len, sizeof list - len, "%s%s", i > 0 ? ", " : "", names[i]);
        if (n > 0 && (size_t)n < sizeof list - len)
            len += (size_t)n;
    }
    cli_err("%s: unknown value '%s' (one of %s)", option, text, list);
    return -1;
}

int cli_format_text_json(const char *arg, bool *json)
{
    static const char *const names[] = { "text", "json", NULL };
    int v = cli_pick("--format", arg, names);
    if (v < 0)
        return -1;
    *json = v == 1;
    return 0;
}

/* YYYY-MM-DD and nothing else. */
static bool is_date_alone(const char *t)
{
    static const char shape[] = "dddd-dd-dd";
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)t[i]) : t[i] != shape[i])
            return false;
    return t[sizeof shape - 1] == '\0';
}

int cli_parse_time_opt(const char *option, const char *text, sk_time *out)
{
    char midnight[32];
    const char *t = text;
    if (is_date_alone(text)) {
        snprintf(midnight, sizeof midnight, "%sT00:00:00Z", text);
        t = midnight;
    }
    if (eng_time_parse(t, strlen(t), out) != 0) {
        cli_err("%s: '%s' is not an RFC 3339 time or a date (e.g. 2026-11-26T12:00:00Z, "
                "or 2026-11-26 for its midnight UTC)", option, text);
        return -1;
    }
    return 0;
}

int cli_parse_duration_opt(const char *option, const char *text, pol_duration *out)
{
    char err[160];
    if (pol_duration_parse(text, strlen(text), out, err, sizeof err) != 0) {
        cli_err("%s: '%s': %s", option, text, err);
        return -1;
    }
    return 0;
}

/* Why getopt_long refused argv[optind - 1], said our way. */
static void option_error(char **argv, const struct option *lo, int ret)
{
    const char *arg = argv[optind - 1];
    if (strncmp(arg, "--", 2) != 0 && optopt > 0 && optopt < 128) {   /* a short option */
        if (ret == ':')
            cli_err("option '-%c' needs a value", optopt);
        else
            cli_err("unknown option '-%c'", optopt);
        return;
    }
    if (strncmp(arg, "--", 2) != 0) {
        cli_err("unknown option '%s'", arg);
        return;
    }
    /* getopt moved past a long option's missing value only when there was
     * none; argv[optind - 1] is the option itself either way */
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    const char *names[64];
    size_t n = 0, prefixed = 0;
    const struct option *exact = NULL;
    for (const struct option *o = lo; o->name != NULL && n < 64; o++) {
        names[n++] = o->name;
        if (strncmp(o->name, name, len) == 0) {
            prefixed++;
            if (o->name[len] == '\0')
                exact = o;
        }
    }
    if (exact != NULL && ret == ':') {
        cli_err("option '--%s' needs a value", exact->name);
        return;
    }
    if (exact != NULL && name[len] == '=' && exact->has_arg == no_argument) {
        cli_err("option '--%s' takes no value", exact->name);
        return;
    }
    if (exact == NULL && prefixed > 1) {
        cli_err("option '--%.*s' is ambiguous: write it out in full", (int)len, name);
        return;
    }
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)len, name);
    const char *hint = pol_suggest(word, names, n);
    if (hint != NULL)
        cli_err("unknown option '--%s'; did you mean '--%s'?", word, hint);
    else
        cli_err("unknown option '--%s'", word);
}

int cli_getopt(int argc, char **argv, const struct option *longopts)
{
    opterr = 0;
    optopt = 0;
    int opt = getopt_long(argc, argv, ":h", longopts, NULL);
    if (opt == '?' || opt == ':') {
        option_error(argv, longopts, opt);
        return '?';
    }
    return opt;
}

bool cli_id_segment(const char *id, size_t k, char *buf, size_t n)
{
    if (id == NULL)
        return false;
    if (*id == '/')
        id++;
    for (size_t i = 0; i < k; i++) {
        id = strchr(id, '/');
        if (id == NULL)
            return false;
        id++;
    }
    size_t len = strcspn(id, "/");
    if (len == 0 || len >= n)
        return false;
    memcpy(buf, id, len);
    buf[len] = '\0';
    return true;
}

sk_time cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (sk_time)ts.tv_sec * SK_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int cli_parse_max_delete(const char *arg, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (*arg != '\0' && *end == '\0' && errno == 0 && v >= 0 && v <= 1000000) {
        *out = v;
        return 0;
    }
    cli_err("--max-delete: '%s' is not a count from 0 to 1000000", arg);
    return -1;
}

const char *cli_s(size_t n)
{
    return n == 1 ? "" : "s";
}

bool cli_use_colour(FILE *f)
{
    const char *no = getenv("NO_COLOR");
    if (no != NULL && no[0] != '\0')
        return false;
    return isatty(fileno(f)) != 0;
}

const pol_policy *cli_one_policy(const pol_file *f, const char *path, const char *name,
                                 const char *command, int *rc)
{
    for (size_t i = 0; name != NULL && i < f->npolicies; i++)
        if (strcmp(f->policies[i]->name, name) == 0)
            return f->policies[i];
    if (name == NULL && f->npolicies == 1)
        return f->policies[0];
    if (name != NULL)
        fprintf(stderr, "snapkeep: %s: %s has no policy \"%s\"\n", command, path, name);
    else
        fprintf(stderr, "snapkeep: %s: %s has %zu policies: choose one with --policy NAME\n",
                command, path, f->npolicies);
    *rc = name != NULL ? EXIT_INVALID : EXIT_USAGE;
    return NULL;
}

int cli_name_to_id(char *buf, size_t n, const char *name, const char *subscription,
                   const char *rg, const char *kind)
{
    if (strchr(name, '/') != NULL) {
        int len = snprintf(buf, n, "%s%s", name[0] == '/' ? "" : "/", name);
        return len < 0 || (size_t)len >= n ? -1 : 0;
    }
    if (rg == NULL || subscription == NULL)
        return -1;
    return az_resource_id(buf, n, subscription, rg, kind, name);
}

int cli_parse_options(int argc, char **argv, const char *command,
                      const struct option *longopts, cli_option_fn fn, void *ctx,
                      const char **file)
{
    int opt;
    optind = 1;
    while ((opt = cli_getopt(argc, argv, longopts)) != -1) {
        if (opt == 'h') {
            cli_help(command, stdout);
            return CLI_HELPED;
        }
        if (opt == '?' || fn(ctx, opt, optarg) != 0) {
            cli_usage(command, stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        cli_err("%s", argc == optind ? "no policy file given" : "only one policy file, please");
        cli_usage(command, stderr);
        return EXIT_USAGE;
    }
    *file = argv[optind];
    return 0;
}
