/* Policy files: text in, rule tree (engine/policy.h) and diagnostics out. */
#ifndef SNAPKEEP_PARSE_H
#define SNAPKEEP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/policy.h"

typedef enum pol_diag_level { POL_ERROR, POL_WARNING } pol_diag_level;

typedef struct pol_diag {
    pol_diag_level level;
    char *file;
    int line, col;          /* 1-based; col counts bytes */
    char *message;
    char *source_line;      /* the text of that line, without newline; may be NULL;
                             * a long line is cut to a window around col
                             * (POL_DIAG_LINE_MAX characters, "..." where cut) */
    int source_col;         /* the caret's byte column in source_line */
} pol_diag;

/* The most characters of a source line an error quotes: a line of binary
 * garbage is not echoed whole. */
#define POL_DIAG_LINE_MAX 100

typedef struct pol_diags {
    pol_diag *items;
    size_t n, cap;
    size_t nerrors, nwarnings;
} pol_diags;

/* Where `timezone "NAME"` is looked up: the compiler asks this and never
 * the environment or the file system itself. load returns the zone, or
 * NULL with a message naming it in err. */
typedef struct pol_zones {
    eng_tz *(*load)(void *ctx, const char *name, char *err, size_t errlen);
    void *ctx;
} pol_zones;

/* This host's zone database: pol_zone_load below. */
extern const pol_zones pol_zones_host;

/* Parses and compiles a policy file, its zones from pol_zones_host. Every
 * error and warning found is appended to diags (when not NULL). Returns the
 * compiled file, or NULL when there was any error (nothing half-built
 * escapes). */
pol_file *pol_parse_file(const char *path, pol_diags *diags);
/* The same from memory; `name` is used in locations and as the anonymous
 * policy's name. Zones come from `zones`; NULL knows only the built-in
 * "UTC" (and "Etc/UTC"), so a parse from memory touches nothing outside
 * it. The fuzzer enters here. */
pol_file *pol_parse_string(const char *name, const char *text, size_t len,
                           const pol_zones *zones, pol_diags *diags);

/* "FILE:LINE:COL: error: MESSAGE\n  source line\n  ^\n" into a string
 * the caller frees. */
char *pol_diag_render(const pol_diag *d);
void pol_diags_free(pol_diags *diags);

/* The candidate `word` was most likely meant to be (an obvious slip:
 * case, '-' for '_', a swapped pair, one or two letters), or NULL. The
 * policy language's did-you-mean and the command line's (commands,
 * options) both use it. */
const char *pol_suggest(const char *word, const char *const *candidates, size_t n);

/* Loads an IANA zone from $TZDIR or /usr/share/zoneinfo ("UTC" is built
 * in). NULL with a message naming the zone when it is not found, is a
 * host-specific name (localtime, posixrules, Factory), or is not a
 * regular file (a FIFO there is refused, never waited on). */
eng_tz *pol_zone_load(const char *name, char *err, size_t errlen);
/* Only "UTC" and "Etc/UTC"; any other name is refused. */
eng_tz *pol_zone_builtin(const char *name, char *err, size_t errlen);

#endif
