/* The plan as a table for a person at a terminal: per policy and disk a
 * heading, each snapshot newest first with its age, KEEP/PRUNE and the
 * reasons, a summary line per disk and one for everything. */
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"

typedef struct table_style {
    const char *bold, *keep, *prune, *warn, *dim, *reset;
} table_style;

static const table_style plain_style = { "", "", "", "", "", "" };
static const table_style colour_style = {
    "\033[1m", "\033[32m", "\033[31m", "\033[33m", "\033[2m", "\033[0m"
};

/* Terminal columns of a UTF-8 string: continuation bytes take none. */
static size_t columns(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Names and messages come from the inventory: control characters (an
 * escape sequence could rewrite the terminal) and Unicode format
 * characters (a bidi override could make one name read as another) are
 * shown as '?', one per character, so columns() still counts right. */
static void put_safe(FILE *f, const char *s)
{
    while (*s != '\0') {
        size_t n = rpt_unsafe_char(s);
        fputc(n > 0 ? '?' : *s, f);
        s += n > 0 ? n : 1;
    }
}

static void put_padded(FILE *f, const char *s, size_t width)
{
    put_safe(f, s);
    for (size_t n = columns(s); n < width; n++)
        fputc(' ', f);
}

static size_t name_width(const rpt_groups *gs, size_t g)
{
    size_t w = 4;   /* "NAME" */
    for (size_t i = gs->start[g]; i < gs->start[g + 1]; i++) {
        size_t n = columns(gs->order[i]->snap->name);
        if (n > w)
            w = n;
    }
    return w > 60 ? 60 : w;
}

static void print_reasons(FILE *f, const eng_decision *d, enf_next next)
{
    char buf[ENG_REASON_BUFSZ];
    if (d->nreasons == 0) {
        fputs(next == ENF_NEXT_DEFER ? "no rule keeps it; over max-delete: a later run deletes it"
                                     : "no rule keeps it", f);
        return;
    }
    for (uint32_t k = 0; k < d->nreasons; k++) {
        eng_reason_format(&d->reasons[k], buf, sizeof buf);
        if (k > 0)
            fputs("; ", f);
        put_safe(f, buf);
    }
}

static void print_row(FILE *f, const table_style *st, const rpt_plan *r,
                      const eng_decision *d, int width)
{
    char when[ENG_TIME_BUFSZ], age[RPT_AGE_BUFSZ];
    /* whole seconds keep the column straight; JSON has the exact time */
    sk_time t = d->snap->created;
    eng_time_format(t - ((t % SK_USEC_PER_SEC) + SK_USEC_PER_SEC) % SK_USEC_PER_SEC, when,
                    sizeof when);
    rpt_format_age(r->plan->now - d->snap->created, age, sizeof age);
    bool keep = d->action == ENG_KEEP;
    fputs("  ", f);
    put_padded(f, d->snap->name, (size_t)width);
    fprintf(f, "  %-20s  %7s  %s%-5s%s   ", when, age,
            keep ? st->keep : st->prune, keep ? "KEEP" : "PRUNE", st->reset);
    print_reasons(f, d, r->next != NULL ? r->next[d - r->plan->decisions] : ENF_NEXT_NONE);
    fputc('\n', f);
}

/* "; the next run deletes 24 and defers 412 (max-delete)" when a run
 * would not delete everything the plan prunes there. */
static void print_next(FILE *f, const rpt_plan *r, rpt_next_counts c, const pol_policy *p)
{
    if (c.deferred == 0)
        return;
    fprintf(f, "; the next run deletes %zu and defers %zu (max-delete", c.deletes, c.deferred);
    if (p != NULL)
        fprintf(f, " %lld", (long long)rpt_max_delete(r, p));
    fputc(')', f);
}

static void print_heading(FILE *f, const table_style *st, const rpt_plan *r, size_t g)
{
    const eng_plan *plan = r->plan;
    if (g < plan->ngroups) {
        const eng_group *gr = &plan->groups[g];
        fprintf(f, "%spolicy ", st->bold);
        put_safe(f, gr->policy != NULL ? gr->policy->name : "?");
        fputs(", disk ", f);
        put_safe(f, rpt_disk_name(gr->source_id));
        char label[RPT_LABEL_BUFSZ];
        rpt_group_label(gr, label, sizeof label);      /* " (retired: ...)" or "" */
        put_safe(f, label);
        fputs(st->reset, f);
    } else {
        fprintf(f, "%sunmanaged: no policy owns these; they are never pruned%s",
                st->bold, st->reset);
    }
}

/* A disk's counts: "dss-data: 480 snapshots, keep 44, prune 436". */
static void print_counts(FILE *f, const rpt_plan *r, const rpt_groups *gs, size_t g)
{
    size_t from = gs->start[g], to = gs->start[g + 1], keep = 0;
    for (size_t i = from; i < to; i++)
        keep += gs->order[i]->action == ENG_KEEP;
    if (g < r->plan->ngroups) {
        put_safe(f, rpt_disk_name(r->plan->groups[g].source_id));
        fprintf(f, ": %zu snapshot%s, keep %zu, prune %zu", to - from, cli_s(to - from), keep,
                to - from - keep);
        print_next(f, r, rpt_next_count(r, gs->order, from, to), NULL);
    } else {
        fprintf(f, "unmanaged: %zu snapshot%s, all kept", to - from, cli_s(to - from));
    }
    fputc('\n', f);
}

static void print_slice(FILE *f, const table_style *st, const rpt_plan *r,
                        const rpt_groups *gs, size_t g)
{
    const eng_plan *plan = r->plan;
    size_t from = gs->start[g], to = gs->start[g + 1];
    if (from == to)
        return;
    print_heading(f, st, r, g);
    fputc('\n', f);
    if (g < plan->ngroups && plan->groups[g].source_id != NULL) {
        fprintf(f, "  %s", st->dim);
        put_safe(f, plan->groups[g].source_id);
        fprintf(f, "%s\n", st->reset);
    }
    int width = (int)name_width(gs, g);
    fprintf(f, "  %-*s  %-20s  %7s  %-5s  %s\n", width, "NAME", "TIME", "AGE",
            "ACTION", "REASONS");
    for (size_t i = from; i < to; i++)
        print_row(f, st, r, gs->order[i], width);
    fputs("  ", f);
    print_counts(f, r, gs, g);
    fputc('\n', f);
}

/* --summary: a line per policy, then one per disk under it; no snapshots. */
static void print_policy_line(FILE *f, const table_style *st, const rpt_plan *r,
                              const pol_policy *p)
{
    size_t disks = 0, total = 0, keep = 0;
    for (size_t g = 0; g < r->plan->ngroups; g++) {
        const eng_group *gr = &r->plan->groups[g];
        if (gr->policy != p)
            continue;
        disks++;
        total += gr->nsnapshots;
        keep += gr->nkeep;
    }
    fprintf(f, "%spolicy ", st->bold);
    put_safe(f, p != NULL ? p->name : "?");
    fprintf(f, "%s: %zu disk%s, %zu snapshot%s, keep %zu, prune %zu", st->reset, disks,
            cli_s(disks), total, cli_s(total), keep, total - keep);
    print_next(f, r, rpt_next_of_policy(r, p), p);
    fputc('\n', f);
}

static void print_summary(FILE *f, const table_style *st, const rpt_plan *r,
                          const rpt_groups *gs)
{
    const pol_policy *last = NULL;
    for (size_t i = 0; i < gs->nslices; i++) {
        size_t g = gs->show[i];
        if (gs->start[g] == gs->start[g + 1])
            continue;
        if (g < r->plan->ngroups) {
            if (i == 0 || r->plan->groups[g].policy != last)
                print_policy_line(f, st, r, r->plan->groups[g].policy);
            last = r->plan->groups[g].policy;
            fputs("  ", f);
        }
        print_counts(f, r, gs, g);
    }
    fputc('\n', f);
}

typedef struct warn_ctx { FILE *f; const table_style *st; size_t n; } warn_ctx;

static void print_warning(void *ctx, const char *kind, const pol_policy *p,
                          const char *snapshot, const char *message)
{
    warn_ctx *w = ctx;
    (void)kind, (void)p, (void)snapshot;
    fprintf(w->f, "%swarning:%s ", w->st->warn, w->st->reset);
    put_safe(w->f, message);        /* self-contained: names policy and snapshot */
    fputc('\n', w->f);
    w->n++;
}

static void print_warnings(FILE *f, const table_style *st, const rpt_plan *r)
{
    warn_ctx w = { f, st, 0 };
    rpt_plan_warnings(r, print_warning, &w);
    if (w.n > 0)
        fputc('\n', f);
}

int rpt_plan_table(FILE *f, const rpt_plan *r)
{
    const table_style *st = r->colour ? &colour_style : &plain_style;
    const eng_plan *plan = r->plan;
    rpt_groups gs;
    if (rpt_groups_build(plan, r->file, &gs) != 0)
        return -1;
    char now[ENG_TIME_BUFSZ];
    eng_time_format(plan->now, now, sizeof now);
    fprintf(f, "%splan for ", st->bold);
    put_safe(f, r->policy_path);
    fprintf(f, " at %s%s (inventory: ", now, st->reset);
    put_safe(f, r->inventory_path != NULL ? r->inventory_path : "live from Azure");
    fputs(")\n\n", f);
    print_warnings(f, st, r);
    if (r->summary)
        print_summary(f, st, r, &gs);
    else
        for (size_t i = 0; i < gs.nslices; i++)
            print_slice(f, st, r, &gs, gs.show[i]);
    fprintf(f, "%stotal: %zu snapshot%s: keep %zu, prune %zu%s (%zu unmanaged, %zu dated in the "
            "future)\n", st->bold, plan->ndecisions, cli_s(plan->ndecisions), plan->nkeep,
            plan->nprune, st->reset, plan->nunmanaged, plan->nfuture);
    if (r->next != NULL && plan->nprune > 0) {
        rpt_next_counts c = rpt_next_count(r, NULL, 0, plan->ndecisions);
        fprintf(f, "next run: deletes %zu, defers %zu to later runs (max-delete)", c.deletes,
                c.deferred);
        if (c.deletes + c.deferred < plan->nprune)
            fprintf(f, "; %zu pruned that no run deletes (not Succeeded, no ID or a "
                    "bare-body policy)", plan->nprune - c.deletes - c.deferred);
        fputc('\n', f);
    }
    rpt_groups_free(&gs);
    return ferror(f) ? -1 : 0;
}
