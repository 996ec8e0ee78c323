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
#include "engine/prune.h"
#include "engine/simulate.h"

/* The JSON schema version of plan, explain and simulate output. */
#define RPT_SCHEMA_VERSION 1

typedef struct rpt_plan {
    const eng_plan *plan;
    const pol_file *file;           /* the policies evaluated */
    const inv_inventory *inv;
    const char *policy_path;
    const char *inventory_path;     /* NULL: read live from Azure */
    const enf_next *next;           /* per decision: what the next run does
                                       (engine/prune.c's enf_next_run) */
    bool has_max_delete;            /* --max-delete given: it lowers each policy's */
    int64_t max_delete;
    size_t duplicates;              /* snapshots listed more than once */
    const char *duplicate_example;  /* the first of them */
    bool colour;                    /* table only */
    bool summary;                   /* table only: counts, no snapshot lines */
} rpt_plan;

/* What the next run deletes and defers over a plan's decisions [from, to)
 * of the group order (every decision when order is NULL). */
typedef struct rpt_next_counts { size_t deletes, deferred; } rpt_next_counts;
rpt_next_counts rpt_next_count(const rpt_plan *r, const eng_decision *const *order,
                               size_t from, size_t to);
/* The same for one policy, or for the whole plan (p NULL). */
rpt_next_counts rpt_next_of_policy(const rpt_plan *r, const pol_policy *p);
/* What one run may delete for p in this plan: its max-delete, lowered by
 * --max-delete when given. */
int64_t rpt_max_delete(const rpt_plan *r, const pol_policy *p);
/* The warnings of a plan, as the table and JSON both give them: the
 * evaluator's notes, then the unmanaged count and the duplicate listing.
 * Calls sink once per warning; kind is "note", "unmanaged" or "duplicate". */
typedef void (*rpt_warning_sink)(void *ctx, const char *kind, const pol_policy *p,
                                 const char *snapshot, const char *message);
void rpt_plan_warnings(const rpt_plan *r, rpt_warning_sink sink, void *ctx);

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
/* "steady_state": the one JSON shape of a replay's steady state, for
 * simulate and explain alike (null before the warm-up ends, or s NULL):
 * warmup, from, runs, count_min/avg/max, deleted_min/avg/max,
 * deleted_histogram, gaps. */
struct json_out;
void rpt_sim_steady_json(struct json_out *j, const eng_sim *s);
int rpt_sim_svg(FILE *f, const rpt_sim *r);

/* SVG helpers (report_svg.c): text escaped for XML (control characters
 * become '?'), and the document's start with a white background. */
void rpt_svg_text(FILE *f, const char *s);
void rpt_svg_begin(FILE *f, int w, int h, const char *title);

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

/* A steady state's figures as explain and simulate's chart print them:
 * "44 snapshots per disk" or "44 to 45 snapshots per disk (average 44.4)",
 * and "1" or
 * "0 to 2 (average 0.99)" deletions. */
void rpt_steady_text(const eng_sim *s, bool copies, char *count, size_t ncount, char *del,
                     size_t ndel);

/* Why a policy has no steady state, naming the rule that keeps without
 * limit: "no steady state: `last all` (line 4) keeps every snapshot
 * forever, so the count only grows" (explain and simulate). */
void rpt_growing_text(const pol_policy *p, char *buf, size_t n);

/* The tier windows of a policy at `now`: tier k holds snapshots taken in
 * (lo[k], hi[k]] (instants). Returns the number of tiers (<= max). */
size_t rpt_tier_windows(const pol_policy *p, sk_time now, const pol_rule **rules,
                        sk_time *lo, sk_time *hi, size_t max);

#endif
