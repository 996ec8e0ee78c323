/* snapkeep simulate: replays snapshot creation and enforcement on a
 * virtual clock with the real evaluator (engine/simulate.c) and reports
 * the count over time, the steady state, deletions per run and the
 * largest gap between kept snapshots in each tier. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "engine/simulate.h"

#define DAY_USEC (INT64_C(86400) * SK_USEC_PER_SEC)
/* What a replay may cost (eng_sim.work: per run, 1 + the snapshots that
 * had to be evaluated), a few seconds here: the bound is on the work, not
 * on the number of runs, so a long replay of a policy that keeps few
 * snapshots, or whose kept set is covered by `last`/`keep-all`, is fine. */
#define SIM_WORK_LIMIT UINT64_C(15000000)

enum { OPT_CADENCE = 1, OPT_FOR, OPT_JITTER, OPT_MISS, OPT_SEED, OPT_START, OPT_FORMAT,
       OPT_POLICY };

typedef enum sim_format { SIM_TEXT, SIM_JSON, SIM_SVG } sim_format;

typedef struct sim_args {
    const char *path;
    const char *policy_name;        /* --policy NAME: which block of the file */
    bool have_cadence, have_start;
    int64_t cadence_usec, for_usec, jitter_usec;
    uint32_t miss_ppm;
    uint64_t seed;
    sk_time start;
    sim_format format;
} sim_args;

/* A fixed duration (no months or years) in microseconds, or -1. */
static int64_t fixed_opt(const char *option, const char *text)
{
    pol_duration d;
    if (cli_parse_duration_opt(option, text, &d) != 0)
        return -1;
    if (d.months > 0 || d.years > 0) {
        cli_err("%s: '%s': months and years have no fixed length here; use d or w", option,
                text);
        return -1;
    }
    return pol_duration_fixed_usec(&d);
}

static int parse_miss(const char *text, uint32_t *ppm)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (*end == '%')
        end++;
    if (end == text || *end != '\0' || errno != 0 || !(v >= 0 && v <= 100)) {
        cli_err("--miss: '%s' is not a percentage from 0 to 100 (e.g. 3%%)", text);
        return -1;
    }
    *ppm = (uint32_t)lround(v * 10000.0);
    return 0;
}

static int parse_seed(const char *text, uint64_t *seed)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || text[0] == '-') {
        cli_err("--seed: '%s' is not a non-negative integer", text);
        return -1;
    }
    *seed = v;
    return 0;
}

static int sim_option(void *ctx, int opt, const char *arg)
{
    sim_args *a = ctx;
    switch (opt) {
    case OPT_CADENCE:
        a->have_cadence = true;
        return (a->cadence_usec = fixed_opt("--cadence", arg)) < 0 ? -1 : 0;
    case OPT_FOR:
        return (a->for_usec = fixed_opt("--for", arg)) < 0 ? -1 : 0;
    case OPT_JITTER:
        return (a->jitter_usec = fixed_opt("--jitter", arg)) < 0 ? -1 : 0;
    case OPT_MISS: return parse_miss(arg, &a->miss_ppm);
    case OPT_SEED: return parse_seed(arg, &a->seed);
    case OPT_POLICY: a->policy_name = arg; return 0;
    case OPT_START:
        a->have_start = true;
        return cli_parse_time_opt("--start", arg, &a->start);
    case OPT_FORMAT:
    {
        static const char *const formats[] = { "text", "json", "svg", NULL };
        static const sim_format as[] = { SIM_TEXT, SIM_JSON, SIM_SVG };
        int v = cli_pick("--format", arg, formats);
        if (v < 0)
            return -1;
        a->format = as[v];
        return 0;
    }
    }
    return -1;
}

/* 0, CLI_HELPED after --help, or an exit code. */
static int parse_args(int argc, char **argv, sim_args *a)
{
    static const struct option opts[] = {
        { "cadence", required_argument, NULL, OPT_CADENCE },
        { "for", required_argument, NULL, OPT_FOR },
        { "jitter", required_argument, NULL, OPT_JITTER },
        { "miss", required_argument, NULL, OPT_MISS },
        { "seed", required_argument, NULL, OPT_SEED },
        { "start", required_argument, NULL, OPT_START },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "policy", required_argument, NULL, OPT_POLICY },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    memset(a, 0, sizeof *a);
    a->for_usec = 30 * DAY_USEC;
    a->seed = 1;
    return cli_parse_options(argc, argv, "simulate", opts, sim_option, a, &a->path);
}

/* The policy to replay: --policy NAME, or the file's only one. */
static const pol_policy *choose_policy(const pol_file *pf, const char *name)
{
    for (size_t i = 0; name != NULL && i < pf->npolicies; i++)
        if (strcmp(pf->policies[i]->name, name) == 0)
            return pf->policies[i];
    if (name != NULL) {
        fprintf(stderr, "snapkeep: simulate: no policy named '%s' in the file\n", name);
        return NULL;
    }
    if (pf->npolicies == 1)
        return pf->policies[0];
    fprintf(stderr, "snapkeep: simulate: the file has %zu policies; choose one with "
            "--policy NAME (", pf->npolicies);
    for (size_t i = 0; i < pf->npolicies; i++)
        fprintf(stderr, "%s%s", i > 0 ? ", " : "", pf->policies[i]->name);
    fputs(")\n", stderr);
    return NULL;
}

/* ---- text ---- */

static void print_header(FILE *f, const rpt_sim *r)
{
    const eng_sim_params *p = r->params;
    const eng_sim *s = r->sim;
    char cad[RPT_AGE_BUFSZ], dur[RPT_AGE_BUFSZ], jit[RPT_AGE_BUFSZ], start[ENG_TIME_BUFSZ];
    rpt_format_age(p->cadence_usec, cad, sizeof cad);
    rpt_format_age(p->duration_usec, dur, sizeof dur);
    rpt_format_age(p->jitter_usec, jit, sizeof jit);
    eng_time_format(p->start, start, sizeof start);
    fprintf(f, "simulate %s (%s): a snapshot every %s (from %s) for %s from %s\n",
            r->policy->name, r->policy_path, cad,
            strcmp(r->cadence_from, "option") == 0 ? "--cadence" : "`snapshot every`",
            dur, start);
    fprintf(f, "jitter up to %s, %.4g%% of creations missed (seed %llu): %zu run%s, "
            "%zu snapshot%s created, %zu missed%s\n\n", jit, p->miss_ppm / 10000.0,
            (unsigned long long)r->seed, s->nruns, cli_s(s->nruns), s->created,
            cli_s(s->created), s->missed,
            s->truncated ? " (stopped early: too much work)" : "");
}

/* One line per `span` of the replay: min, average and max count after each
 * run in it, with a bar for the average; then the averages as a sparkline. */
typedef struct span_stat { int64_t idx; uint32_t lo, hi; double avg; } span_stat;

static size_t span_stats(const rpt_sim *r, int64_t span, span_stat *out, size_t max)
{
    const eng_sim *s = r->sim;
    size_t n = 0;
    for (size_t i = 0; i < s->nruns && n < max;) {
        span_stat *st = &out[n++];
        st->idx = (s->runs[i].at - r->params->start) / span;
        st->lo = st->hi = s->runs[i].count;
        double sum = 0;
        size_t runs = 0;
        for (; i < s->nruns && (s->runs[i].at - r->params->start) / span == st->idx; i++, runs++) {
            uint32_t c = s->runs[i].count;
            st->lo = c < st->lo ? c : st->lo;
            st->hi = c > st->hi ? c : st->hi;
            sum += c;
        }
        st->avg = sum / (double)runs;
    }
    return n;
}

static void print_sparkline(FILE *f, const span_stat *st, size_t n, uint32_t top)
{
    static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
                                          "\u2585", "\u2586", "\u2587", "\u2588" };
    fputs("  trend: ", f);
    for (size_t i = 0; i < n; i++)
        fputs(blocks[(int)lround(st[i].avg * 7.0 / top)], f);
    fputc('\n', f);
}

static void print_series(FILE *f, const rpt_sim *r)
{
    const eng_sim *s = r->sim;
    int64_t days = (r->params->duration_usec + DAY_USEC - 1) / DAY_USEC;
    /* at most about 62 lines whatever the length */
    int64_t span_days = days <= 62 ? 1 : days <= 434 ? 7 : ((days + 59) / 60 + 29) / 30 * 30;
    uint32_t top = 1;
    for (size_t i = 0; i < s->nruns; i++)
        if (s->runs[i].count > top)
            top = s->runs[i].count;
    span_stat st[256];
    size_t n = span_stats(r, span_days * DAY_USEC, st, sizeof st / sizeof st[0]);
    /* the rows are windows from the start, not calendar days: say so */
    if (span_days == 1)
        fputs("snapshots per disk after each run, per 24-hour window from the start "
              "(day 1 is the first 24 hours, not a calendar day):\n", f);
    else
        fprintf(f, "snapshots per disk after each run, per %lld-day window from the start "
                "(%lld times 24 hours, not calendar weeks or months):\n",
                (long long)span_days, (long long)span_days);
    fprintf(f, "  %5s  %-17s  %5s  %6s  %5s\n", "day", "from", "min", "avg", "max");
    for (size_t i = 0; i < n; i++) {
        char from[ENG_TIME_BUFSZ];
        eng_time_format(r->params->start + st[i].idx * span_days * DAY_USEC, from, sizeof from);
        /* "2026-12-08T01:00:00Z" -> "2026-12-08T01:00Z": the start is on the minute */
        if (strlen(from) == 20 && strcmp(from + 16, ":00Z") == 0)
            strcpy(from + 16, "Z");
        int bar = (int)lround(st[i].avg * 30.0 / top);
        fprintf(f, "  %5lld  %-17s  %5u  %6.1f  %5u  %.*s\n",
                (long long)(st[i].idx * span_days + 1), from, st[i].lo, st[i].avg, st[i].hi,
                bar, "##############################");
    }
    print_sparkline(f, st, n, top);
    fputc('\n', f);
}

static void print_steady(FILE *f, const rpt_sim *r)
{
    const eng_sim *s = r->sim;
    char warm[RPT_AGE_BUFSZ], at[ENG_TIME_BUFSZ], gap[RPT_AGE_BUFSZ];
    rpt_format_age(s->warmup_usec, warm, sizeof warm);
    if (s->growing) {
        char why[256];
        rpt_growing_text(r->policy, why, sizeof why);
        fprintf(f, "note: %s\n", why);
    }
    if (s->first_steady >= s->nruns) {
        fprintf(f, "no steady state: the replay ends before the %s warm-up (the policy's "
                "longest reach); use a longer --for\n", warm);
        return;
    }
    eng_time_format(s->runs[s->first_steady].at, at, sizeof at);
    fprintf(f, "steady state after the %s warm-up (%zu run%s from %s):\n", warm,
            s->nruns - s->first_steady, cli_s(s->nruns - s->first_steady), at);
    fprintf(f, "  snapshots per disk: min %u, avg %.1f, max %u\n", s->count_min, s->count_avg,
            s->count_max);
    fprintf(f, "  deletions per run: min %u, avg %.2f, max %u\n", s->del_min, s->del_avg,
            s->del_max);
    size_t runs = s->nruns - s->first_steady;
    for (size_t k = 0; k < s->ndel_hist; k++) {
        if (s->del_hist[k] == 0)
            continue;
        int bar = (int)((s->del_hist[k] * 40 + runs - 1) / runs);
        fprintf(f, "    %3zu deleted: %7u runs  %.*s\n", k, s->del_hist[k], bar,
                "########################################");
    }
    if (s->ngaps > 0)
        fputs("largest gap between kept snapshots in each tier (after warm-up):\n", f);
    for (size_t k = 0; k < s->ngaps; k++) {
        if (s->gaps[k].max_gap_usec < 0) {
            fprintf(f, "  %-28s -\n", s->gaps[k].rule->text);
            continue;
        }
        rpt_format_age(s->gaps[k].max_gap_usec, gap, sizeof gap);
        eng_time_format(s->gaps[k].max_gap_at, at, sizeof at);
        fprintf(f, "  %-28s %-8s (first seen in the run at %s)\n", s->gaps[k].rule->text,
                gap, at);
    }
}

/* ---- command ---- */

static int render(FILE *f, sim_format format, const rpt_sim *r)
{
    if (format == SIM_JSON)
        return rpt_sim_json(f, r);
    if (format == SIM_SVG)
        return rpt_sim_svg(f, r);
    print_header(f, r);
    print_series(f, r);
    print_steady(f, r);
    return fflush(f) != 0 || ferror(f) ? -1 : 0;
}

/* Fills the parameters; an exit code on a problem. */
static int make_params(const sim_args *a, const pol_policy *p, eng_sim_params *prm,
                       const char **from)
{
    memset(prm, 0, sizeof *prm);
    prm->cadence_usec = a->cadence_usec;
    *from = "option";
    if (!a->have_cadence) {
        if (!p->has_snapshot_every ||
            p->snapshot_every.months > 0 || p->snapshot_every.years > 0) {
            fprintf(stderr, "snapkeep: simulate: policy %s has no fixed `snapshot every`: "
                    "give --cadence\n", p->name);
            return EXIT_USAGE;
        }
        prm->cadence_usec = pol_duration_fixed_usec(&p->snapshot_every);
        *from = "policy";
    }
    prm->duration_usec = a->for_usec;
    prm->jitter_usec = a->jitter_usec;
    prm->miss_ppm = a->miss_ppm;
    prm->warmup_usec = -1;
    /* default start: now, rounded down to the cadence, like a real schedule */
    sk_time now = cli_now();
    prm->start = a->have_start ? a->start : now - (now % prm->cadence_usec);
    if (prm->jitter_usec >= prm->cadence_usec) {
        fputs("snapkeep: simulate: --jitter must be shorter than the cadence\n", stderr);
        return EXIT_USAGE;
    }
    if (prm->duration_usec < prm->cadence_usec) {
        fputs("snapkeep: simulate: --for must be at least one cadence\n", stderr);
        return EXIT_USAGE;
    }
    /* the reports write RFC 3339 times: four-digit years */
    if (prm->start > SK_TIME_MAX - prm->duration_usec - prm->jitter_usec) {
        fputs("snapkeep: simulate: --start plus --for runs past 9999-12-31: start earlier "
              "or replay less\n", stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Replays and reports one policy; an exit code. */
static int simulate_one(const sim_args *a, const pol_policy *p)
{
    eng_sim_params prm;
    const char *from = NULL;
    int rc = make_params(a, p, &prm, &from);
    if (rc != EXIT_OK)
        return rc;
    eng_rng rng;
    eng_rng_seed(&rng, a->seed);
    prm.rng = &rng;
    prm.work_limit = SIM_WORK_LIMIT;
    eng_sim *sim = NULL;
    char err[256];
    if (eng_simulate(p, &prm, &sim, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: simulate: %s\n", err);
        return EXIT_USAGE;
    }
    if (sim->truncated) {
        uint32_t most = 0;
        for (size_t i = 0; i < sim->nruns; i++)
            if (sim->runs[i].count > most)
                most = sim->runs[i].count;
        fprintf(stderr, "snapkeep: simulate: too much work: after %zu of %lld runs the replay "
                "had evaluated %llu snapshots (the limit is %llu; up to %u kept at once): "
                "use a longer --cadence or a shorter --for\n", sim->nruns,
                (long long)(prm.duration_usec / prm.cadence_usec),
                (unsigned long long)sim->work, (unsigned long long)SIM_WORK_LIMIT, most);
        eng_sim_free(sim);
        return EXIT_USAGE;
    }
    rpt_sim r = { a->path, p, &prm, sim, a->seed, from };
    if (render(stdout, a->format, &r) != 0) {
        fprintf(stderr, "snapkeep: simulate: writing the output failed: %s\n", strerror(errno));
        rc = EXIT_INVALID;
    }
    eng_sim_free(sim);
    return rc;
}

int cmd_simulate(int argc, char **argv)
{
    sim_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? EXIT_OK : rc;
    pol_file *pf = cli_load_policy(a.path, false);
    if (pf == NULL)
        return EXIT_INVALID;
    const pol_policy *p = choose_policy(pf, a.policy_name);
    rc = p == NULL ? EXIT_USAGE : simulate_one(&a, p);
    pol_file_free(pf);
    return rc;
}
