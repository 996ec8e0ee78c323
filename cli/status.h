/* Internal to `snapkeep status`: what one status check gathers per policy
 * and disk (cmd_status.c gathers and judges with engine/health.h;
 * status_state.c reads the state directory; status_render.c writes the
 * table, the JSON document and the Nagios line). */
#ifndef SNAPKEEP_STATUS_H
#define SNAPKEEP_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/health.h"
#include "engine/health.h"
#include "engine/policy.h"

typedef enum st_format { ST_TABLE, ST_JSON, ST_NAGIOS } st_format;

typedef struct st_disk {
    char *id;
    hl_disk_facts f;
    hl_verdict v;
    sk_time next_due;           /* SK_TIME_MIN: no cadence */
    bool drilled;               /* the last drill covered this disk */
    bool restorable;
    bool proven;                /* proven RPO and RTO below are set */
    double proven_rpo, proven_rto;
    bool copied;                /* the policy has copy-to and the copies were listed */
    double copy_lag;            /* ... age in seconds of the data of the disk's newest
                                   completed copy; < 0: none completed yet */
} st_disk;

typedef struct st_run {
    bool have;
    sk_time started, finished;
    int exit_code;
    bool ok, listed, have_disks;
    double created, deleted, deferred, failed, kept;
} st_run;

typedef struct st_drill {
    bool have;
    sk_time started;
    int exit_code;
    bool passed;
} st_drill;

typedef struct st_policy {
    const pol_policy *p;
    const char *file;
    hl_limits lim;
    st_disk *disks;
    size_t ndisks;
    hl_state state;
    char problem[512];          /* why UNKNOWN (or a run/drill warning); "" when none */
    st_run run;
    sk_time last_success;       /* SK_TIME_MIN: none recorded */
    st_drill drill;
} st_policy;

typedef struct st_report {
    sk_time now;
    bool offline;
    const char *state_dir;
    st_policy *pols;
    size_t npols;
    hl_state state;
} st_report;

/* status_state.c: fills each policy's run, last success and drill from
 * the state directory; with offline also its disks from the last-run
 * record. A policy the record lacks gets a problem and UNKNOWN. Never
 * creates or locks anything. */
void st_read_state(st_report *rep, bool offline);

/* The second half of st_read_state, for tests and the fuzzer: the three
 * files (each parsed with cli_state_parse_object) applied to every
 * policy. A file
 * given with a why ("" when missing or read) makes each policy UNKNOWN
 * with a problem that quotes it; a field of the wrong type or out of
 * range does the same. */
struct cJSON;
typedef struct st_state_files {
    struct cJSON *run, *success, *drill;   /* NULL: missing or unreadable */
    char why_run[600], why_success[600], why_drill[600];
} st_state_files;
void st_apply_state(st_report *rep, bool offline, const st_state_files *f);

/* status_render.c */
void st_render_table(const st_report *rep, FILE *f);
int st_render_json(const st_report *rep, FILE *f);
void st_render_nagios(const st_report *rep, FILE *f);

#endif
