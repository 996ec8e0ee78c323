/* Reports of the dry-run commands: the plan (table, JSON, SVG) and the
 * simulation (JSON, SVG; its text lives in cmd_simulate.c). Renderers only
 * read; they return 0, or -1 when writing failed. */
#ifndef SNAPKEEP_REPORT_H
#define SNAPKEEP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/evaluate.h"
#include "engine/inventory.h"
#include "engine/policy.h"
#include "engine/simulate.h"

/* The JSON schema version of plan, explain and simulate output. */
#define RPT_SCHEMA_VERSION 1

typedef struct rpt_plan {
    const eng_plan *plan;
    const pol_file *file;           /* the policies evaluated */
    const inv_inventory *inv;
    const char *policy_path;
    const char *inventory_path;     /* NULL: read live from Azure */
    bool colour;                    /* table only */
} rpt_plan;

int rpt_plan_table(FILE *f, const rpt_plan *r);
int rpt_plan_json(FILE *f, const rpt_plan *r);
int rpt_plan_svg(FILE *f, const rpt_plan *r);

typedef struct rpt_sim {
    const char *policy_path;
    const pol_policy *policy;
    const eng_sim_params *params;
    const eng_sim *sim;
    uint64_t seed;
    const char *cadence_from;       /* "policy" or "option" */
} rpt_sim;

int rpt_sim_json(FILE *f, const rpt_sim *r);
int rpt_sim_svg(FILE *f, const rpt_sim *r);

/* An age or a span for people: "45s", "3h", "3h20m", "2d4h", "15d";
 * negative values get a leading '-'. Two units at most, truncated. */
size_t rpt_format_age(int64_t usec, char *buf, size_t n);
#define RPT_AGE_BUFSZ 32

/* The last segment of a resource ID ("dss-data"), or the whole string. */
const char *rpt_disk_name(const char *source_id);

/* A group's heading after its disk name: "" for the disk as it is now,
 * else " (retired: a disk that is gone)", " (retired: an earlier disk of the
 * same name, uniqueId U)", with ", released" under `retired for`. Every
 * report (table, SVG, explain) shows a retired group this way. */
size_t rpt_group_label(const eng_group *g, char *buf, size_t n);
#define RPT_LABEL_BUFSZ 256

/* The length in bytes of the character at s when it must not reach a
 * terminal as it is (C0 and C1 controls, DEL, Unicode format characters:
 * bidi embeddings, overrides, isolates and marks, zero-width characters,
 * the BOM, line and paragraph separators, tag characters); 0 otherwise. */
size_t rpt_unsafe_char(const char *s);

/* The decisions of one group (or the unmanaged ones), newest first (equal
 * times: smaller name first). rpt_groups_build fills one slice per plan
 * group plus a last one (index plan->ngroups) for unmanaged snapshots. */
typedef struct rpt_groups {
    const eng_decision **order;     /* every decision, grouped and sorted */
    size_t *start;                  /* slice g: order[start[g] .. start[g+1]) */
    size_t nslices;                 /* plan->ngroups + 1 */
    size_t *show;                   /* slices in display order: by the policy's
                                       place in the file, then disk ID; the
                                       unmanaged slice last */
} rpt_groups;

int rpt_groups_build(const eng_plan *plan, const pol_file *file, rpt_groups *out);
void rpt_groups_free(rpt_groups *g);

/* The tier windows of a policy at `now`: tier k holds snapshots taken in
 * (lo[k], hi[k]] (instants). Returns the number of tiers (<= max). */
size_t rpt_tier_windows(const pol_policy *p, sk_time now, const pol_rule **rules,
                        sk_time *lo, sk_time *hi, size_t max);

#endif
