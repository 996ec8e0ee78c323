/* Helpers every command shares: loading policies, parsing option values. */
#include <errno.h>
#include <getopt.h>
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

int cli_parse_time_opt(const char *option, const char *text, sk_time *out)
{
    if (eng_time_parse(text, strlen(text), out) != 0) {
        fprintf(stderr, "snapkeep: %s: '%s' is not an RFC 3339 time "
                "(e.g. 2026-11-26T12:00:00Z)\n", option, text);
        return -1;
    }
    return 0;
}

int cli_parse_duration_opt(const char *option, const char *text, pol_duration *out)
{
    char err[128];
    if (pol_duration_parse(text, strlen(text), out, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: %s: '%s': %s\n", option, text, err);
        return -1;
    }
    return 0;
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
    fprintf(stderr, "snapkeep: --max-delete: '%s' is not a count from 0 to 1000000\n", arg);
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
    opterr = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
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
        fprintf(stderr, "snapkeep: %s: %s\n", command,
                argc == optind ? "no policy file given" : "only one policy file, please");
        cli_usage(command, stderr);
        return EXIT_USAGE;
    }
    *file = argv[optind];
    return 0;
}
