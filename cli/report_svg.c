/* The plan as an SVG timeline: one row per disk, snapshots on a
 * logarithmic age axis, tier windows shaded, bucket boundaries drawn, marks
 * that say what kept each snapshot. Standalone SVG 1.1, no scripts,
 * readable in any browser and as a PNG (the simulation's chart is in
 * report_sim_svg.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "engine/calendar.h"
#include "engine/duration.h"

#define SVG_W 1100
#define SVG_LEFT 210
#define SVG_RIGHT 30
#define SVG_PW (SVG_W - SVG_LEFT - SVG_RIGHT)
#define SVG_TOP 112
#define SVG_ROW 128
#define SVG_MAX_BOUNDARIES 400
#define SVG_MAX_TIERS 32
#define HOUR_USEC (INT64_C(3600) * SK_USEC_PER_SEC)

static const char *const tier_fill[] = { "#e3eefa", "#e6f4e1", "#fbf0dc", "#efe4f7", "#dff5f1" };

void rpt_svg_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            /* XML 1.0 forbids most control characters even escaped */
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

void rpt_svg_begin(FILE *f, int w, int h, const char *title)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<title>", w, h, w, h);
    rpt_svg_text(f, title);
    fprintf(f, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
}

/* ---- plan timeline ---- */

/* A kept snapshot is coloured by the rule that keeps it (its first rule
 * reason), so a PNG or a print keeps the reasons the tooltips give; each
 * row's legend says which colour is which rule and how many it keeps. */
#define SVG_NCOLOURS 8
static const char *const rule_colour[SVG_NCOLOURS] = {
    "#2e8b57", "#1f5fa8", "#c49000", "#138d90", "#8c564b", "#d35fb7", "#7a8b00", "#34495e"
};
#define NEWEST_COLOUR "#222222"     /* kept only as its disk's newest */
#define HELD_COLOUR "#7d3c98"       /* kept by a `tagged` rule: a hold */
#define PRUNE_COLOUR "#c0392b"
#define SVG_BIN 6                   /* px: closer pruned snapshots draw as one bar */
#define SVG_MAX_RULES 64            /* rules told apart in a row's legend */

typedef struct age_axis { double max_h; } age_axis;

static double age_x(const age_axis *a, int64_t age_usec)
{
    if (age_usec < 0)
        return SVG_LEFT - 12;
    double h = (double)age_usec / (double)HOUR_USEC;
    return SVG_LEFT + SVG_PW * log1p(h) / log1p(a->max_h);
}

static age_axis plan_axis(const rpt_plan *r)
{
    const eng_plan *plan = r->plan;
    int64_t max_age = 2 * HOUR_USEC;
    for (size_t i = 0; i < plan->ndecisions; i++) {
        int64_t age = plan->now - plan->decisions[i].snap->created;
        if (age > max_age)
            max_age = age;
    }
    for (size_t g = 0; g < plan->ngroups; g++) {
        const pol_policy *p = plan->groups[g].policy;
        const pol_rule *rules[SVG_MAX_TIERS];
        sk_time lo[SVG_MAX_TIERS], hi[SVG_MAX_TIERS];
        size_t n = p != NULL ? rpt_tier_windows(p, plan->now, rules, lo, hi, SVG_MAX_TIERS) : 0;
        if (n > 0 && plan->now - lo[n - 1] > max_age)
            max_age = plan->now - lo[n - 1];
    }
    age_axis a = { (double)max_age / (double)HOUR_USEC * 1.08 };
    return a;
}

/* The first instant after t where the bucket key changes, at most `to`;
 * keys never decrease with time, so bisection finds the edge. */
static sk_time next_boundary(const pol_rule *r, const eng_tz *tz, sk_time t, sk_time to)
{
    static const int64_t step_s[] = { 900, 3600, 6 * 3600, 86400, 7 * 86400 };
    int64_t step = step_s[r->period] * SK_USEC_PER_SEC;
    int64_t key = eng_bucket(r->period, tz, t);
    sk_time a = t, b = t;
    for (;;) {
        b = a + step > to ? to : a + step;
        if (eng_bucket(r->period, tz, b) != key)
            break;
        if (b == to)
            return to;
        a = b;
    }
    while (b - a > SK_USEC_PER_SEC) {
        sk_time m = a + (b - a) / 2;
        if (eng_bucket(r->period, tz, m) != key)
            b = m;
        else
            a = m;
    }
    return b;
}

static void boundary_line(FILE *f, const age_axis *ax, int64_t age, int top)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#7f9bb3\" "
            "stroke-width=\"0.7\" stroke-dasharray=\"3,2\"/>\n",
            age_x(ax, age), top + 26, age_x(ax, age), top + 92);
}

static void draw_boundaries(FILE *f, const age_axis *ax, const pol_policy *p,
                            const pol_rule *r, sk_time now, sk_time lo, sk_time hi, int top)
{
    if (r->kind == POL_EVERY) {
        int64_t w = r->width_usec;
        if (w <= 0 || (hi - lo) / w > SVG_MAX_BOUNDARIES)
            return;
        int64_t first = eng_every_bucket(lo, w) + 1;
        for (int64_t k = first; k * w <= hi; k++)
            boundary_line(f, ax, now - k * w, top);
    } else if (r->kind == POL_CALENDAR_TIER) {
        sk_time at[SVG_MAX_BOUNDARIES];
        size_t n = 0;
        for (sk_time t = lo + 1; t < hi;) {
            t = next_boundary(r, p->tz, t, hi);
            if (t >= hi)
                break;
            if (n == SVG_MAX_BOUNDARIES)
                return;     /* too dense to be worth drawing */
            at[n++] = t;
        }
        for (size_t i = 0; i < n; i++)
            boundary_line(f, ax, now - at[i], top);
    }
}

static void draw_tiers(FILE *f, const age_axis *ax, const pol_policy *p, sk_time now, int top)
{
    const pol_rule *rules[SVG_MAX_TIERS];
    sk_time lo[SVG_MAX_TIERS], hi[SVG_MAX_TIERS];
    size_t n = rpt_tier_windows(p, now, rules, lo, hi, SVG_MAX_TIERS);
    for (size_t k = 0; k < n; k++) {
        double x0 = age_x(ax, now - hi[k]), x1 = age_x(ax, now - lo[k]);
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"80\" fill=\"%s\">"
                "<title>", x0, top + 12, x1 - x0, tier_fill[k % 5]);
        rpt_svg_text(f, rules[k]->text);
        fprintf(f, "</title></rect>\n<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#345\">",
                x0 + 3, top + 23);
        rpt_svg_text(f, rules[k]->text);
        fputs("</text>\n", f);
        draw_boundaries(f, ax, p, rules[k], now, lo[k], hi[k], top);
    }
}

/* How a kept snapshot is marked: by what keeps it, or why it is no backup. */
typedef enum mark_kind {
    MARK_RULE,          /* kept by rule `rule` (an index into the policy's rules) */
    MARK_NEWEST,        /* kept only as its disk's newest */
    MARK_HELD,          /* kept by a `tagged` rule */
    MARK_FAILED,        /* provisioningState Failed or Canceled: not a backup */
    MARK_IN_PROGRESS,   /* not yet a backup */
    MARK_FUTURE,
    MARK_UNMANAGED,
    MARK_PRUNED
} mark_kind;

static mark_kind mark_of(const eng_decision *d, size_t *rule)
{
    *rule = SIZE_MAX;
    if (d->action != ENG_KEEP)
        return MARK_PRUNED;
    if (d->future)
        return MARK_FUTURE;
    if (d->unmanaged)
        return MARK_UNMANAGED;
    if (d->failed)
        return MARK_FAILED;
    if (d->in_progress)
        return MARK_IN_PROGRESS;
    for (uint32_t k = 0; k < d->nreasons; k++)
        if (d->reasons[k].kind == ENG_R_RULE && d->reasons[k].rule != NULL &&
            d->reasons[k].rule->kind == POL_TAGGED)
            return MARK_HELD;
    const pol_policy *p = d->policy;
    for (uint32_t k = 0; k < d->nreasons; k++) {
        const pol_rule *r = d->reasons[k].rule;
        if (d->reasons[k].kind == ENG_R_RULE && r != NULL && p != NULL &&
            r >= p->rules && r < p->rules + p->nrules) {
            *rule = (size_t)(r - p->rules);
            return MARK_RULE;
        }
    }
    return MARK_NEWEST;
}

static void marker_title(FILE *f, const eng_plan *plan, const eng_decision *d)
{
    char when[ENG_TIME_BUFSZ], age[RPT_AGE_BUFSZ], why[ENG_REASON_BUFSZ];
    eng_time_format(d->snap->created, when, sizeof when);
    rpt_format_age(plan->now - d->snap->created, age, sizeof age);
    fputs("<title>", f);
    rpt_svg_text(f, d->snap->name);
    fprintf(f, " %s (%s old): %s", when, age, d->action == ENG_KEEP ? "KEEP" : "PRUNE");
    for (uint32_t k = 0; k < d->nreasons; k++) {
        eng_reason_format(&d->reasons[k], why, sizeof why);
        fputs(k == 0 ? " - " : "; ", f);
        rpt_svg_text(f, why);
    }
    fputs("</title>", f);
}

/* One mark's shape at (x, y), with `inner` (a <title>) inside it; the
 * legend draws the same shapes without one. */
static void put_mark(FILE *f, mark_kind m, size_t rule, double x, int y,
                     const eng_plan *plan, const eng_decision *d)
{
    const char *close = "</path>";
    switch (m) {
    case MARK_FUTURE:
        fprintf(f, "<path d=\"M%.1f %d l5 5 l-5 5 l-5 -5 z\" fill=\"#e67e22\">", x, y - 5);
        break;
    case MARK_UNMANAGED:
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"8\" height=\"8\" fill=\"#8a8a8a\">",
                x - 4, y - 4);
        close = "</rect>";
        break;
    case MARK_FAILED:       /* a struck-through ring: there is no backup here */
        fprintf(f, "<path d=\"M%.1f %d a5 5 0 1 0 0.01 0 M%.1f %.1f l7 -7\" stroke=\"#000000\" "
                "stroke-width=\"1.6\" fill=\"#ffffff\">", x, y - 5, x - 3.5, y + 3.5);
        break;
    case MARK_IN_PROGRESS:
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"#ffffff\" stroke=\"#555555\" "
                "stroke-width=\"1.5\" stroke-dasharray=\"2,1.5\">", x, y);
        close = "</circle>";
        break;
    case MARK_HELD:         /* a triangle: held, whatever its age */
        fprintf(f, "<path d=\"M%.1f %d l5.5 9 l-11 0 z\" fill=\"%s\">", x, y - 5, HELD_COLOUR);
        break;
    case MARK_PRUNED:
        fprintf(f, "<path d=\"M%.1f %d l8 8 m0 -8 l-8 8\" stroke=\"%s\" stroke-width=\"2\" "
                "fill=\"none\">", x - 4, y - 4, PRUNE_COLOUR);
        break;
    case MARK_RULE:
    case MARK_NEWEST:
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%d\" r=\"4.5\" fill=\"%s\">", x, y,
                m == MARK_NEWEST ? NEWEST_COLOUR : rule_colour[rule % SVG_NCOLOURS]);
        close = "</circle>";
        break;
    }
    if (d != NULL && plan != NULL)
        marker_title(f, plan, d);
    fprintf(f, "%s\n", close);
}

/* Pruned snapshots within SVG_BIN pixels of each other are one bar whose
 * height grows with their number (a lane of hourly prunes read as one red
 * smear otherwise); a lone one keeps its cross and its own tooltip. */
static void draw_pruned(FILE *f, const age_axis *ax, const eng_plan *plan,
                        const eng_decision *const *ds, size_t n, int y)
{
    size_t i = 0;
    while (i < n) {
        double x = age_x(ax, plan->now - ds[i]->snap->created);
        long bin = lround(floor((x - SVG_LEFT) / SVG_BIN));
        size_t j = i + 1;
        while (j < n && lround(floor((age_x(ax, plan->now - ds[j]->snap->created) - SVG_LEFT) /
                                     SVG_BIN)) == bin)
            j++;
        if (j - i == 1) {
            put_mark(f, MARK_PRUNED, 0, x, y, plan, ds[i]);
        } else {
            double h = 5 + 3.2 * log2((double)(j - i));
            if (h > 22)
                h = 22;
            char a[RPT_AGE_BUFSZ], b[RPT_AGE_BUFSZ];
            rpt_format_age(plan->now - ds[i]->snap->created, a, sizeof a);
            rpt_format_age(plan->now - ds[j - 1]->snap->created, b, sizeof b);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
                    "<title>%zu pruned, %s to %s old</title></rect>\n",
                    SVG_LEFT + (double)bin * SVG_BIN, y - h / 2, SVG_BIN - 1, h, PRUNE_COLOUR,
                    j - i, a, b);
        }
        i = j;
    }
}

/* The row's legend: which colour is which rule, and how many each keeps. */
static void draw_row_legend(FILE *f, const pol_policy *p, const size_t *by_rule,
                            const size_t *by_mark, int y)
{
    double x = SVG_LEFT;
    fprintf(f, "<g font-size=\"10\" fill=\"#333\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\">"
            "kept by</text>\n", SVG_LEFT - 22, y + 4);
    for (size_t k = 0; p != NULL && k < p->nrules && k < SVG_MAX_RULES; k++) {
        if (by_rule[k] == 0 || p->rules[k].kind == POL_TAGGED)
            continue;
        put_mark(f, MARK_RULE, k, x + 5, y, NULL, NULL);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\">", x + 13, y + 4);
        rpt_svg_text(f, p->rules[k].text != NULL ? p->rules[k].text : "rule");
        fprintf(f, ": %zu</text>\n", by_rule[k]);
        x += 24 + 6.0 * (double)(strlen(p->rules[k].text != NULL ? p->rules[k].text : "rule") +
                                 6);
    }
    static const struct { mark_kind m; const char *what; } others[] = {
        { MARK_NEWEST, "newest only" }, { MARK_HELD, "held (tagged)" },
        { MARK_FAILED, "failed" }, { MARK_IN_PROGRESS, "in progress" },
    };
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
        if (by_mark[others[k].m] == 0)
            continue;
        put_mark(f, others[k].m, 0, x + 5, y, NULL, NULL);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\">%s: %zu</text>\n", x + 13, y + 4, others[k].what,
                by_mark[others[k].m]);
        x += 24 + 6.0 * (double)(strlen(others[k].what) + 6);
    }
    fputs("</g>\n", f);
}

static void draw_row(FILE *f, const age_axis *ax, const rpt_plan *r,
                     const rpt_groups *gs, size_t g, int top)
{
    const eng_plan *plan = r->plan;
    size_t from = gs->start[g], to = gs->start[g + 1], keep = 0;
    for (size_t i = from; i < to; i++)
        keep += gs->order[i]->action == ENG_KEEP;
    const pol_policy *p = g < plan->ngroups ? plan->groups[g].policy : NULL;
    fprintf(f, "<line x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#cccccc\"/>\n",
            top + 4, SVG_W - 10, top + 4);
    fprintf(f, "<text x=\"12\" y=\"%d\" font-weight=\"bold\">", top + 34);
    rpt_svg_text(f, g < plan->ngroups ? rpt_disk_name(plan->groups[g].source_id) : "unmanaged");
    if (g < plan->ngroups && plan->groups[g].retired)
        rpt_svg_text(f, " (retired)");
    fprintf(f, "</text>\n<text x=\"12\" y=\"%d\" fill=\"#555\">", top + 52);
    rpt_svg_text(f, p != NULL ? p->name : "no policy: never pruned");
    fprintf(f, "</text>\n<text x=\"12\" y=\"%d\" fill=\"#555\">keep %zu, prune %zu</text>\n",
            top + 70, keep, to - from - keep);
    if (p != NULL)
        draw_tiers(f, ax, p, plan->now, top);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#2e8b57\" text-anchor=\"end\">kept</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\" text-anchor=\"end\">pruned</text>\n",
            SVG_LEFT - 22, top + 46, SVG_LEFT - 22, top + 76, PRUNE_COLOUR);
    size_t by_rule[SVG_MAX_RULES] = { 0 }, by_mark[MARK_PRUNED + 1] = { 0 };
    const eng_decision **pruned = malloc((to - from + 1) * sizeof *pruned);
    size_t npruned = 0;
    for (size_t i = from; i < to; i++) {
        const eng_decision *d = gs->order[i];
        size_t rule;
        mark_kind m = mark_of(d, &rule);
        by_mark[m]++;
        if (m == MARK_RULE && rule < SVG_MAX_RULES)
            by_rule[rule]++;
        if (m == MARK_PRUNED && pruned != NULL)
            pruned[npruned++] = d;
        else if (m != MARK_PRUNED)
            put_mark(f, m, rule, age_x(ax, plan->now - d->snap->created), top + 42, plan, d);
    }
    /* newest first: ages, and so x, only grow along the slice */
    draw_pruned(f, ax, plan, pruned, npruned, top + 72);
    free(pruned);
    if (p != NULL)
        draw_row_legend(f, p, by_rule, by_mark, top + SVG_ROW - 22);
}

static void draw_age_axis(FILE *f, const age_axis *ax, int top, int bottom)
{
    static const int64_t ticks_h[] = {
        0, 1, 3, 6, 12, 24, 48, 96, 168, 360, 720, 1440, 2160, 4392, 8784,
        17568, 43920, 87840, 219600, 878400
    };
    double last = -1e9;
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
            SVG_LEFT, bottom, SVG_LEFT + SVG_PW, bottom);
    for (size_t i = 0; i <= sizeof ticks_h / sizeof ticks_h[0]; i++) {
        /* the last tick is the axis's end, so the scale covers every mark */
        bool end = i == sizeof ticks_h / sizeof ticks_h[0] || (double)ticks_h[i] > ax->max_h;
        int64_t age = end ? (int64_t)(ax->max_h * (double)HOUR_USEC) : ticks_h[i] * HOUR_USEC;
        double x = end ? SVG_LEFT + SVG_PW : age_x(ax, age);
        if (x - last < 38 && !end)
            continue;
        if (end && x - last < 38)
            break;
        last = x;
        char label[RPT_AGE_BUFSZ];
        int64_t day = INT64_C(86400) * SK_USEC_PER_SEC;
        if (end && age >= 2 * day)     /* "27d", not "26d23h" */
            age = (age + day / 2) / day * day;
        rpt_format_age(age, label, sizeof label);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#dddddd\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                x, top, x, bottom + 5, x, bottom + 19, age == 0 ? "now" : label);
        if (end)
            break;
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">snapshot age "
            "(logarithmic scale; newest on the left)</text>\n",
            SVG_LEFT + SVG_PW / 2, bottom + 40);
}

/* Every kind of mark, in two lines: what a PNG or a print needs to be read. */
static void draw_legend(FILE *f, int y)
{
    static const struct { mark_kind m; const char *what; int dx; } line1[] = {
        { MARK_RULE, "kept (colour: the rule that keeps it, per row)", 0 },
        { MARK_NEWEST, "kept: newest only", 300 },
        { MARK_HELD, "held (tagged rule)", 430 },
        { MARK_FAILED, "failed: no backup", 560 },
        { MARK_IN_PROGRESS, "in progress", 690 },
        { MARK_FUTURE, "future (kept)", 790 },
    };
    fputs("<g font-size=\"11\">\n", f);
    for (size_t i = 0; i < sizeof line1 / sizeof line1[0]; i++) {
        put_mark(f, line1[i].m, 0, SVG_LEFT + line1[i].dx, y, NULL, NULL);
        fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", SVG_LEFT + line1[i].dx + 10, y + 4,
                line1[i].what);
    }
    int y2 = y + 20;
    put_mark(f, MARK_UNMANAGED, 0, SVG_LEFT, y2, NULL, NULL);
    fprintf(f, "<text x=\"%d\" y=\"%d\">unmanaged (kept)</text>\n", SVG_LEFT + 10, y2 + 4);
    put_mark(f, MARK_PRUNED, 0, SVG_LEFT + 130, y2, NULL, NULL);
    fprintf(f, "<text x=\"%d\" y=\"%d\">pruned</text>\n"
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"%s\"/>"
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"8\" fill=\"%s\"/>"
            "<text x=\"%d\" y=\"%d\">pruned, many (height: how many)</text>\n"
            "<rect x=\"%d\" y=\"%d\" width=\"22\" height=\"12\" fill=\"%s\"/>"
            "<text x=\"%d\" y=\"%d\">tier window</text>\n"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#7f9bb3\" stroke-dasharray=\"3,2\"/>"
            "<text x=\"%d\" y=\"%d\">bucket boundary</text>\n</g>\n",
            SVG_LEFT + 140, y2 + 4,
            SVG_LEFT + 210, y2 - 7, SVG_BIN - 1, PRUNE_COLOUR,
            SVG_LEFT + 214, y2 - 4, SVG_BIN - 1, PRUNE_COLOUR, SVG_LEFT + 222, y2 + 4,
            SVG_LEFT + 420, y2 - 6, tier_fill[0], SVG_LEFT + 448, y2 + 4,
            SVG_LEFT + 540, y2 - 7, SVG_LEFT + 540, y2 + 7, SVG_LEFT + 548, y2 + 4);
}

int rpt_plan_svg(FILE *f, const rpt_plan *r)
{
    const eng_plan *plan = r->plan;
    rpt_groups gs;
    if (rpt_groups_build(plan, r->file, &gs) != 0)
        return -1;
    size_t rows = 0;
    for (size_t g = 0; g < gs.nslices; g++)
        rows += gs.start[g + 1] > gs.start[g];
    int height = SVG_TOP + (int)rows * SVG_ROW + 60;
    char now[ENG_TIME_BUFSZ], title[512];
    eng_time_format(plan->now, now, sizeof now);
    snprintf(title, sizeof title, "snapkeep plan: %s at %s", r->policy_path, now);
    rpt_svg_begin(f, SVG_W, height, title);
    fputs("<text x=\"12\" y=\"28\" font-size=\"18\" font-weight=\"bold\">", f);
    rpt_svg_text(f, title);
    fprintf(f, "</text>\n<text x=\"12\" y=\"48\" fill=\"#444\">%zu snapshot%s: keep %zu, "
            "prune %zu, unmanaged %zu, future %zu</text>\n",
            plan->ndecisions, plan->ndecisions == 1 ? "" : "s", plan->nkeep, plan->nprune,
            plan->nunmanaged, plan->nfuture);
    draw_legend(f, 70);
    age_axis ax = plan_axis(r);
    /* grid first, so the markers stay on top of it */
    draw_age_axis(f, &ax, SVG_TOP, SVG_TOP + (int)rows * SVG_ROW + 4);
    int top = SVG_TOP;
    for (size_t i = 0; i < gs.nslices; i++) {
        size_t g = gs.show[i];
        if (gs.start[g + 1] == gs.start[g])
            continue;
        draw_row(f, &ax, r, &gs, g, top);
        top += SVG_ROW;
    }
    fputs("</svg>\n", f);
    rpt_groups_free(&gs);
    return ferror(f) ? -1 : 0;
}
