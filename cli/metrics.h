/* Prometheus text exposition (format 0.0.4) for node_exporter's textfile
 * collector: collect samples, render them grouped by metric family with
 * one HELP and TYPE line each, and write the file atomically so the
 * collector never reads half of it. */
#ifndef SNAPKEEP_METRICS_H
#define SNAPKEEP_METRICS_H

#include <stddef.h>

typedef struct cli_metrics cli_metrics;

cli_metrics *cli_metrics_new(void);
void cli_metrics_free(cli_metrics *m);     /* NULL is a no-op */

/* Declares a family (type "gauge" or "counter"); declaring it again with
 * the same help and type is harmless. Returns 0, or -1 for an invalid
 * name or type, or a clash with an earlier declaration. */
int cli_metrics_family(cli_metrics *m, const char *name, const char *type,
                       const char *help);

/* Adds one sample of a declared family. `labels` holds name/value pairs
 * and ends with NULL (or is NULL). Values are escaped as the format says.
 * Returns 0, or -1 for an undeclared family, an invalid label name, or a
 * series already present (same labels, any order). */
int cli_metrics_add(cli_metrics *m, const char *name, const char *const *labels,
                    double value);

/* The exposition text (malloc'd, NUL-terminated); NULL when out of memory. */
char *cli_metrics_render(const cli_metrics *m, size_t *len);

/* Renders and writes to path atomically (temp file, fsync, rename), mode
 * 0644. Returns 0, or -1 with err. */
int cli_metrics_write(const cli_metrics *m, const char *path, char *err, size_t errlen);

#endif
