/* The simulation as an SVG chart: the count per disk after each run over
 * the replay, the warm-up shaded, the steady state's bounds and the
 * deletions per run. Standalone SVG 1.1, no scripts. */
#include <math.h>
#include <stdio.h>

#include "cli/report.h"
#include "engine/duration.h"
#include "engine/sktime.h"

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
    rpt_svg_begin(f, SIM_W, SIM_H, title);
    fputs("<text x=\"12\" y=\"26\" font-size=\"16\" font-weight=\"bold\">", f);
    rpt_svg_text(f, title);
    fputs("</text>\n", f);
    if (s->first_steady < s->nruns) {
        char count[96], del[96];
        rpt_steady_text(s, false, count, sizeof count, del, sizeof del);
        fprintf(f, "<text x=\"12\" y=\"46\" fill=\"#444\">steady state %s; "
                "deletions per run %s</text>\n", count, del);
    } else {
        fputs("<text x=\"12\" y=\"46\" fill=\"#444\">no steady state: the replay is shorter "
              "than the warm-up</text>\n", f);
    }
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
