/* The plan as an SVG timeline (one row per disk, snapshots on a
 * logarithmic age axis, tier windows shaded, bucket boundaries drawn) and
 * the simulation as a count-over-time chart. Standalone SVG 1.1, no
 * scripts, readable in any browser. */
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
#define SVG_TOP 96
#define SVG_ROW 112
#define SVG_MAX_BOUNDARIES 400
#define SVG_MAX_TIERS 32
#define HOUR_USEC (INT64_C(3600) * SK_USEC_PER_SEC)

static const char *const tier_fill[] = { "#e3eefa", "#e6f4e1", "#fbf0dc", "#efe4f7", "#dff5f1" };

static void svg_text(FILE *f, const char *s)
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

static void svg_begin(FILE *f, int w, int h, const char *title)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<title>", w, h, w, h);
    svg_text(f, title);
    fprintf(f, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
}

/* ---- plan timeline ---- */

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
        svg_text(f, rules[k]->text);
        fprintf(f, "</title></rect>\n<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#345\">",
                x0 + 3, top + 23);
        svg_text(f, rules[k]->text);
        fputs("</text>\n", f);
        draw_boundaries(f, ax, p, rules[k], now, lo[k], hi[k], top);
    }
}

static void marker_title(FILE *f, const eng_plan *plan, const eng_decision *d)
{
    char when[ENG_TIME_BUFSZ], age[RPT_AGE_BUFSZ], why[ENG_REASON_BUFSZ];
    eng_time_format(d->snap->created, when, sizeof when);
    rpt_format_age(plan->now - d->snap->created, age, sizeof age);
    fputs("<title>", f);
    svg_text(f, d->snap->name);
    fprintf(f, " %s (%s old): %s", when, age, d->action == ENG_KEEP ? "KEEP" : "PRUNE");
    for (uint32_t k = 0; k < d->nreasons; k++) {
        eng_reason_format(&d->reasons[k], why, sizeof why);
        fputs(k == 0 ? " - " : "; ", f);
        svg_text(f, why);
    }
    fputs("</title>", f);
}

static void draw_marker(FILE *f, const age_axis *ax, const eng_plan *plan,
                        const eng_decision *d, int top)
{
    double x = age_x(ax, plan->now - d->snap->created);
    if (d->future) {
        int y = top + 42;
        fprintf(f, "<path d=\"M%.1f %d l5 5 l-5 5 l-5 -5 z\" fill=\"#e67e22\">", x, y - 5);
    } else if (d->unmanaged) {
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"8\" height=\"8\" fill=\"#8a8a8a\">",
                x - 4, top + 38);
    } else if (d->action == ENG_KEEP) {
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%d\" r=\"4.5\" fill=\"#2e8b57\">", x, top + 42);
    } else {
        fprintf(f, "<path d=\"M%.1f %d l8 8 m0 -8 l-8 8\" stroke=\"#c0392b\" "
                "stroke-width=\"2\" fill=\"none\">", x - 4, top + 68);
    }
    marker_title(f, plan, d);
    if (d->future)
        fputs("</path>\n", f);
    else if (d->unmanaged)
        fputs("</rect>\n", f);
    else if (d->action == ENG_KEEP)
        fputs("</circle>\n", f);
    else
        fputs("</path>\n", f);
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
    svg_text(f, g < plan->ngroups ? rpt_disk_name(plan->groups[g].source_id) : "unmanaged");
    if (g < plan->ngroups && plan->groups[g].retired)
        svg_text(f, " (retired)");
    fprintf(f, "</text>\n<text x=\"12\" y=\"%d\" fill=\"#555\">", top + 52);
    svg_text(f, p != NULL ? p->name : "no policy: never pruned");
    fprintf(f, "</text>\n<text x=\"12\" y=\"%d\" fill=\"#555\">keep %zu, prune %zu</text>\n",
            top + 70, keep, to - from - keep);
    if (p != NULL)
        draw_tiers(f, ax, p, plan->now, top);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#2e8b57\" text-anchor=\"end\">kept</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#c0392b\" text-anchor=\"end\">pruned</text>\n",
            SVG_LEFT - 22, top + 46, SVG_LEFT - 22, top + 76);
    for (size_t i = from; i < to; i++)
        draw_marker(f, ax, plan, gs->order[i], top);
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
    for (size_t i = 0; i < sizeof ticks_h / sizeof ticks_h[0]; i++) {
        if ((double)ticks_h[i] > ax->max_h)
            break;
        double x = age_x(ax, ticks_h[i] * HOUR_USEC);
        if (x - last < 38)
            continue;
        last = x;
        char label[RPT_AGE_BUFSZ];
        rpt_format_age(ticks_h[i] * HOUR_USEC, label, sizeof label);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#dddddd\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                x, top, x, bottom + 5, x, bottom + 19, ticks_h[i] == 0 ? "now" : label);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">snapshot age "
            "(logarithmic scale; newest on the left)</text>\n",
            SVG_LEFT + SVG_PW / 2, bottom + 40);
}

static void draw_legend(FILE *f, int y)
{
    fprintf(f, "<g font-size=\"11\">\n"
            "<circle cx=\"%d\" cy=\"%d\" r=\"4.5\" fill=\"#2e8b57\"/><text x=\"%d\" y=\"%d\">kept</text>\n"
            "<path d=\"M%d %d l8 8 m0 -8 l-8 8\" stroke=\"#c0392b\" stroke-width=\"2\"/>"
            "<text x=\"%d\" y=\"%d\">pruned</text>\n"
            "<path d=\"M%d %d l5 5 l-5 5 l-5 -5 z\" fill=\"#e67e22\"/><text x=\"%d\" y=\"%d\">future (kept)</text>\n"
            "<rect x=\"%d\" y=\"%d\" width=\"8\" height=\"8\" fill=\"#8a8a8a\"/><text x=\"%d\" y=\"%d\">unmanaged (kept)</text>\n"
            "<rect x=\"%d\" y=\"%d\" width=\"22\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">tier window</text>\n"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#7f9bb3\" stroke-dasharray=\"3,2\"/>"
            "<text x=\"%d\" y=\"%d\">bucket boundary</text>\n</g>\n",
            SVG_LEFT, y, SVG_LEFT + 10, y + 4,
            SVG_LEFT + 60, y - 4, SVG_LEFT + 74, y + 4,
            SVG_LEFT + 140, y - 5, SVG_LEFT + 150, y + 4,
            SVG_LEFT + 240, y - 4, SVG_LEFT + 254, y + 4,
            SVG_LEFT + 370, y - 6, tier_fill[0], SVG_LEFT + 398, y + 4,
            SVG_LEFT + 490, y - 7, SVG_LEFT + 490, y + 7, SVG_LEFT + 498, y + 4);
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
    svg_begin(f, SVG_W, height, title);
    fputs("<text x=\"12\" y=\"28\" font-size=\"18\" font-weight=\"bold\">", f);
    svg_text(f, title);
    fprintf(f, "</text>\n<text x=\"12\" y=\"48\" fill=\"#444\">%zu snapshots: keep %zu, "
            "prune %zu, unmanaged %zu, future %zu</text>\n",
            plan->ndecisions, plan->nkeep, plan->nprune, plan->nunmanaged, plan->nfuture);
    draw_legend(f, 72);
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

/* ---- simulation chart ---- */

#define SIM_W 1000
#define SIM_H 440
#define SIM_L 70
#define SIM_T 70
#define SIM_PW 880
#define SIM_PH 280

static double nice_step(double span, int want)
{
    double raw = span / want, mag = pow(10, floor(log10(raw)));
    double r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

static void sim_axes(FILE *f, double days, double ymax)
{
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n",
            SIM_L, SIM_T, SIM_PW, SIM_PH);
    double dx = nice_step(days, 12);
    if (dx < 1 && days >= 2)
        dx = 1;
    for (double d = 0; d <= days + 1e-9; d += dx) {
        double x = SIM_L + SIM_PW * d / days;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                x, SIM_T, x, SIM_T + SIM_PH, x, SIM_T + SIM_PH + 16, d);
    }
    double dy = nice_step(ymax, 6);
    for (double v = 0; v <= ymax + 1e-9; v += dy) {
        double y = SIM_T + SIM_PH - SIM_PH * v / ymax;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                SIM_L, y, SIM_L + SIM_PW, y, SIM_L - 6, y + 4, v);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">days since the start</text>\n"
            "<text transform=\"translate(18 %d) rotate(-90)\" text-anchor=\"middle\">"
            "snapshots per disk (after each run)</text>\n",
            SIM_L + SIM_PW / 2, SIM_T + SIM_PH + 36, SIM_T + SIM_PH / 2);
}

static void sim_series(FILE *f, const eng_sim *s, sk_time start, double days, double ymax)
{
    double span = days * 86400.0 * SK_USEC_PER_SEC;
    fputs("<g stroke=\"#c0392b\" stroke-width=\"1\">\n", f);
    for (size_t i = 0; i < s->nruns; i++) {
        if (s->runs[i].deleted == 0)
            continue;
        double x = SIM_L + SIM_PW * (double)(s->runs[i].at - start) / span;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, SIM_T + SIM_PH,
                x, SIM_T + SIM_PH - 6.0 * s->runs[i].deleted);
    }
    fputs("</g>\n<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.5\" points=\"", f);
    for (size_t i = 0; i < s->nruns; i++) {
        double x = SIM_L + SIM_PW * (double)(s->runs[i].at - start) / span;
        double y = SIM_T + SIM_PH - SIM_PH * s->runs[i].count / ymax;
        fprintf(f, "%.1f,%.1f ", x, y);
    }
    fputs("\"/>\n", f);
}

static void sim_steady(FILE *f, const eng_sim *s, sk_time start, double days, double ymax)
{
    double span = days * 86400.0 * SK_USEC_PER_SEC;
    double wx = SIM_PW * (double)s->warmup_usec / span;
    if (wx > SIM_PW)
        wx = SIM_PW;
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f0f0f0\" opacity=\"0.8\"/>"
            "<text x=\"%d\" y=\"%d\" fill=\"#777\">warm-up</text>\n",
            SIM_L, SIM_T, wx, SIM_PH, SIM_L + 6, SIM_T + 16);
    if (s->first_steady >= s->nruns)
        return;
    (void)start;
    const uint32_t lines[2] = { s->count_min, s->count_max };
    for (int i = 0; i < 2; i++) {
        double y = SIM_T + SIM_PH - SIM_PH * lines[i] / ymax;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#2e8b57\" "
                "stroke-dasharray=\"5,3\"/>\n", SIM_L + wx, y, SIM_L + SIM_PW, y);
    }
}

int rpt_sim_svg(FILE *f, const rpt_sim *r)
{
    const eng_sim *s = r->sim;
    char title[512], start[ENG_TIME_BUFSZ], cad[RPT_AGE_BUFSZ];
    eng_time_format(r->params->start, start, sizeof start);
    rpt_format_age(r->params->cadence_usec, cad, sizeof cad);
    snprintf(title, sizeof title, "snapkeep simulate: %s, a snapshot every %s from %s",
             r->policy->name, cad, start);
    svg_begin(f, SIM_W, SIM_H, title);
    fputs("<text x=\"12\" y=\"26\" font-size=\"16\" font-weight=\"bold\">", f);
    svg_text(f, title);
    fputs("</text>\n", f);
    if (s->first_steady < s->nruns)
        fprintf(f, "<text x=\"12\" y=\"46\" fill=\"#444\">steady state %u to %u snapshots "
                "(average %.1f); deletions per run %u to %u (average %.2f)</text>\n",
                s->count_min, s->count_max, s->count_avg, s->del_min, s->del_max, s->del_avg);
    else
        fputs("<text x=\"12\" y=\"46\" fill=\"#444\">no steady state: the replay is shorter "
              "than the warm-up</text>\n", f);
    double days = (double)r->params->duration_usec / (86400.0 * SK_USEC_PER_SEC);
    uint32_t maxc = 1;
    for (size_t i = 0; i < s->nruns; i++)
        if (s->runs[i].count > maxc)
            maxc = s->runs[i].count;
    double ymax = maxc * 1.1;
    sim_steady(f, s, r->params->start, days, ymax);
    sim_axes(f, days, ymax);
    sim_series(f, s, r->params->start, days, ymax);
    fprintf(f, "<g font-size=\"11\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1f5fa8\" "
            "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">snapshots kept</text>"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#2e8b57\" stroke-dasharray=\"5,3\"/>"
            "<text x=\"%d\" y=\"%d\">steady-state min and max</text>"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c0392b\"/>"
            "<text x=\"%d\" y=\"%d\">deletions in a run (6 px each)</text></g>\n",
            SIM_L, SIM_H - 22, SIM_L + 24, SIM_H - 22, SIM_L + 30, SIM_H - 18,
            SIM_L + 160, SIM_H - 22, SIM_L + 184, SIM_H - 22, SIM_L + 190, SIM_H - 18,
            SIM_L + 370, SIM_H - 14, SIM_L + 370, SIM_H - 26, SIM_L + 378, SIM_H - 18);
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}
