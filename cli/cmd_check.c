/* snapkeep check [-q] FILE...: every file parsed and compiled, every
 * diagnostic printed; exit 0 only when all are valid. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static size_t count_rules(const pol_file *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->npolicies; i++)
        n += f->policies[i]->nrules;
    return n;
}

/* The cap warning of each policy (explain's model at the policy's own
 * cadence); returns how many were printed. */
static size_t cap_warnings(const pol_file *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->npolicies; i++) {
        eng_explain e;
        eng_explain_compute(f->policies[i], 0, &e);
        n += cli_cap_warning(&e, stderr);
        eng_explain_free(&e);
    }
    return n;
}

/* One file: diagnostics to stderr, "FILE: ok (...)" to stdout. */
static bool check_one(const char *path, bool quiet)
{
    pol_diags diags = { 0 };
    pol_file *f = pol_parse_file(path, &diags);
    cli_print_diags(&diags, quiet);
    if (f != NULL && !quiet)
        diags.nwarnings += cap_warnings(f);
    if (f != NULL && !quiet) {
        size_t np = f->npolicies, nr = count_rules(f);
        printf("%s: ok (%zu polic%s, %zu rule%s", path, np, np == 1 ? "y" : "ies",
               nr, nr == 1 ? "" : "s");
        for (size_t k = 0; k < np; k++)
            if (f->policies[k]->copy != NULL)
                printf(", copies to %s: %zu rule%s", f->policies[k]->copy->region,
                       f->policies[k]->copy->retention->nrules,
                       f->policies[k]->copy->retention->nrules == 1 ? "" : "s");
        if (diags.nwarnings > 0)
            printf(", %zu warning%s", diags.nwarnings, diags.nwarnings == 1 ? "" : "s");
        puts(")");
        fflush(stdout);     /* keep it in order with stderr on a terminal */
    }
    pol_diags_free(&diags);
    bool ok = f != NULL;
    pol_file_free(f);
    return ok;
}

int cmd_check(int argc, char **argv)
{
    bool quiet = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_help("check", stdout);
            return EXIT_OK;
        } else {
            static const char *const names[] = { "--quiet", "--help" };
            const char *hint = pol_suggest(argv[i], names, 2);
            if (hint != NULL)
                cli_err("unknown option '%s'; did you mean '%s'?", argv[i], hint);
            else
                cli_err("unknown option '%s'", argv[i]);
            cli_usage("check", stderr);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fputs("snapkeep: check: no policy file given\n", stderr);
        cli_usage("check", stderr);
        return EXIT_USAGE;
    }
    bool all_ok = true;
    for (; i < argc; i++)
        all_ok &= check_one(argv[i], quiet);
    fflush(stdout);
    return all_ok ? EXIT_OK : EXIT_INVALID;
}
