/* The plan as a table for a person at a terminal: per policy and disk a
 * heading, each snapshot newest first with its age, KEEP/PRUNE and the
 * reasons, a summary line per disk and one for everything. */
#include <string.h>

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

static void print_reasons(FILE *f, const eng_decision *d)
{
    char buf[ENG_REASON_BUFSZ];
    if (d->nreasons == 0) {
        fputs("no rule keeps it", f);
        return;
    }
    for (uint32_t k = 0; k < d->nreasons; k++) {
        eng_reason_format(&d->reasons[k], buf, sizeof buf);
        if (k > 0)
            fputs("; ", f);
        put_safe(f, buf);
    }
}

static void print_row(FILE *f, const table_style *st, sk_time now,
                      const eng_decision *d, int width)
{
    char when[ENG_TIME_BUFSZ], age[RPT_AGE_BUFSZ];
    /* whole seconds keep the column straight; JSON has the exact time */
    sk_time t = d->snap->created;
    eng_time_format(t - ((t % SK_USEC_PER_SEC) + SK_USEC_PER_SEC) % SK_USEC_PER_SEC, when,
                    sizeof when);
    rpt_format_age(now - d->snap->created, age, sizeof age);
    bool keep = d->action == ENG_KEEP;
    fputs("  ", f);
    put_padded(f, d->snap->name, (size_t)width);
    fprintf(f, "  %-20s  %7s  %s%-5s%s   ", when, age,
            keep ? st->keep : st->prune, keep ? "KEEP" : "PRUNE", st->reset);
    print_reasons(f, d);
    fputc('\n', f);
}

static void print_slice(FILE *f, const table_style *st, const rpt_plan *r,
                        const rpt_groups *gs, size_t g)
{
    const eng_plan *plan = r->plan;
    size_t from = gs->start[g], to = gs->start[g + 1], keep = 0;
    if (from == to)
        return;
    for (size_t i = from; i < to; i++)
        keep += gs->order[i]->action == ENG_KEEP;
    if (g < plan->ngroups) {
        const eng_group *gr = &plan->groups[g];
        fprintf(f, "%spolicy ", st->bold);
        put_safe(f, gr->policy != NULL ? gr->policy->name : "?");
        fputs(", disk ", f);
        put_safe(f, rpt_disk_name(gr->source_id));
        char label[RPT_LABEL_BUFSZ];
        rpt_group_label(gr, label, sizeof label);
        put_safe(f, label);
        fprintf(f, "%s\n", st->reset);
        if (gr->source_id != NULL) {
            fprintf(f, "  %s", st->dim);
            put_safe(f, gr->source_id);
            fprintf(f, "%s\n", st->reset);
        }
    } else {
        fprintf(f, "%sunmanaged: no policy owns these; they are never pruned%s\n",
                st->bold, st->reset);
    }
    int width = (int)name_width(gs, g);
    fprintf(f, "  %-*s  %-20s  %7s  %-5s  %s\n", width, "NAME", "TIME", "AGE",
            "ACTION", "REASONS");
    for (size_t i = from; i < to; i++)
        print_row(f, st, plan->now, gs->order[i], width);
    if (g < plan->ngroups) {
        fputs("  ", f);
        put_safe(f, rpt_disk_name(plan->groups[g].source_id));
        fprintf(f, ": %zu snapshots, keep %zu, prune %zu\n\n", to - from, keep, to - from - keep);
    }
    else
        fprintf(f, "  unmanaged: %zu snapshots, all kept\n\n", to - from);
}

static void print_warnings(FILE *f, const table_style *st, const eng_plan *plan)
{
    for (size_t i = 0; i < plan->nnotes; i++) {
        const eng_note *n = &plan->notes[i];
        fprintf(f, "%swarning:%s ", st->warn, st->reset);
        put_safe(f, n->message);    /* self-contained: names policy and snapshot */
        fputc('\n', f);
    }
    if (plan->nunmanaged > 0)
        fprintf(f, "%swarning:%s %zu snapshot%s governed by no policy (unmanaged, never pruned)\n",
                st->warn, st->reset, plan->nunmanaged, plan->nunmanaged == 1 ? " is" : "s are");
    if (plan->nnotes > 0 || plan->nunmanaged > 0)
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
    print_warnings(f, st, plan);
    for (size_t i = 0; i < gs.nslices; i++)
        print_slice(f, st, r, &gs, gs.show[i]);
    fprintf(f, "%stotal: %zu snapshots: keep %zu, prune %zu%s (%zu unmanaged, %zu dated in the future)\n",
            st->bold, plan->ndecisions, plan->nkeep, plan->nprune, st->reset,
            plan->nunmanaged, plan->nfuture);
    rpt_groups_free(&gs);
    return ferror(f) ? -1 : 0;
}
