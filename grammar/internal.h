/* What the scanner, the parser and the compiler share while one policy file
 * is read. Nothing here outlives pol_parse_string(): the result is the
 * pol_file of engine/policy.h. Generated code (parser.c, lexer.c) includes
 * this header; hand-written files never include the generated headers. */
#ifndef SNAPKEEP_GRAMMAR_INTERNAL_H
#define SNAPKEEP_GRAMMAR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grammar/parse.h"

/* Token values that may be wrong: the scanner has already reported why,
 * so the parser keeps going but the compiler ignores the value. */
typedef struct pg_num { int64_t v; bool ok; } pg_num;
typedef struct pg_dur { pol_duration d; bool ok; } pg_dur;

/* One `"KEY" [= "VALUE"]`, and a list of them joined by `and`. */
typedef struct pg_tag { char *key; char *value; pol_loc loc; } pg_tag;
typedef struct pg_tags { pol_tag_match *items; pol_loc *locs; size_t n; } pg_tags;

/* Settings, in the order the man page lists them. */
typedef enum pg_setting {
    PG_TIMEZONE, PG_SUBSCRIPTION, PG_RESOURCE_GROUP, PG_DISK, PG_DISKS_TAGGED,
    PG_SNAPSHOT_EVERY, PG_STALE_AFTER, PG_MAX_DELETE, PG_ADOPT, PG_INCREMENTAL,
    PG_SKU, PG_TAG, PG_RETIRED, PG_NSETTINGS
} pg_setting;

/* The settings of a recovery { } block, in the order the man page lists
 * them. */
typedef enum pg_rec_setting {
    PG_R_VM, PG_R_SCRATCH_VM, PG_R_VERIFY, PG_R_VERIFY_TIMEOUT, PG_R_DEVICE_DIR,
    PG_R_STANDBY, PG_R_PUBLIC_IP, PG_R_DNS_RECORD, PG_R_DNS_ZONE_KIND,
    PG_R_START_STANDBY, PG_NREC
} pg_rec_setting;

/* Where the parts of a rule were written, beside pol_rule (whose loc is the
 * first token): checks point at the token that is wrong. */
typedef struct pg_rule_aux { pol_loc end_loc, width_loc; } pg_rule_aux;

/* The top level (defaults, or the whole bare body) or one policy block. */
typedef struct pg_scope {
    pol_policy *pol;            /* settings and rules as written here */
    bool is_block;
    pol_loc name_loc, brace_loc;
    pol_loc set[PG_NSETTINGS];  /* first place each setting was written */
    pol_loc val[PG_NSETTINGS];  /* ... and its value */
    bool inherited[PG_NSETTINGS];   /* copied from the top level */
    pol_loc *extra_tag_locs;    /* one per pol->extra_tags */
    pol_loc *disk_locs;         /* one per pol->disks written here */
    pg_rule_aux *aux;           /* one per pol->rules */
    pol_recovery *rec;          /* this scope's recovery block, NULL if none */
    pol_loc rec_set[PG_NREC];   /* first place each recovery setting was written */
    pol_loc rec_val[PG_NREC];   /* ... and its value */
    bool had_error;             /* a syntax error inside: skip whole-policy checks */
    /* copy-to "REGION" { }: its statements are recorded into a scope of
     * their own (copy.c), compiled into pol->copy */
    struct pg_scope *copy;
    char *copy_region;
    pol_loc copy_kw, copy_region_loc;
    struct pg_scope *next;
} pg_scope;

/* Beyond this many lines with bytes that are not text, the file is binary. */
#define PG_MAX_BAD_LINES 10

typedef struct pg_ctx {
    const char *path;           /* owned by the caller of the parse */
    const char *text;
    size_t len;
    size_t *line_starts;        /* built on the first diagnostic */
    size_t nlines;
    pol_diags diags;            /* this parse's diagnostics only */
    bool oom;
    const pol_zones *zones;     /* NULL: the built-in UTC only */

    pg_scope *top;              /* top-level statements */
    pg_scope *blocks, **blocks_tail;
    size_t nblocks;
    pg_scope *cur;              /* where statements go now */
    size_t nstatements;         /* settings and rules so far */
    pol_loc first_block;        /* line 0: no block yet */
    pol_recovery *in_rec;       /* the recovery block being read, if any */
    bool rec_open;              /* inside recovery { } (even one ignored) */
    bool sub_skip;              /* the subscription setting being read was refused */
    pol_loc rec_brace;          /* its '{', for "unterminated" */
    pg_scope *copy_parent;      /* inside copy-to { }: the scope it belongs to */
    pg_scope *copy_spare;       /* a second copy-to of one scope, read and dropped */
    pol_loc copy_brace;         /* its '{', for "unterminated" */

    /* scanner state */
    int line, col;              /* position of the next byte */
    pol_loc str_start;          /* the opening quote of the string being read */
    char *sbuf;
    size_t slen, scap;
    /* the parser's view of the token stream, for better messages */
    int last_tok, prev_tok;
    char *last_word;            /* text of the last unknown word */
    pol_loc reported;           /* a token the scanner already reported */
    bool eof;
    /* Lines the text check reported bytes on: other errors there would
     * only be echoes of the same bad bytes ('?' as an unknown keyword),
     * so they are dropped (one bad spot, one error). */
    int bad_lines[PG_MAX_BAD_LINES];
    int nbad_lines;
    bool checking_text;
    /* where flex's fatal errors (out of memory setting up its buffer)
     * return to, instead of exiting the process (lexer.l) */
    void *lex_fatal;            /* jmp_buf *, or NULL */
} pg_ctx;

/* diag.c */
void pg_diag(pg_ctx *ctx, pol_diag_level level, const pol_loc *loc,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define pg_error(ctx, loc, ...) pg_diag((ctx), POL_ERROR, (loc), __VA_ARGS__)
#define pg_warning(ctx, loc, ...) pg_diag((ctx), POL_WARNING, (loc), __VA_ARGS__)
void pg_oom(pg_ctx *ctx);
/* A rule's text quoted for a message: "last 3", but `tagged "legal-hold"`
 * when the text holds a double quote (no nested quotes). Returns buf. */
#define PG_QUOTE_BUFSZ 256
const char *pg_quote_rule(const char *text, char *buf, size_t n);
void pg_diags_sort(pol_diags *d, size_t from);

/* build.c: what the grammar's actions call. Each takes ownership of the
 * strings it is given, whatever happens. */
/* Counts one statement; true (reported once) beyond the file's bound. */
bool pg_too_many(pg_ctx *ctx, const pol_loc *loc);
pg_scope *pg_scope_new(pg_ctx *ctx, bool is_block);
void pg_scope_free(pg_scope *s);
void pg_block_begin(pg_ctx *ctx, char *name, const pol_loc *kw,
                    const pol_loc *name_loc, const pol_loc *brace);
void pg_block_end(pg_ctx *ctx);
void pg_set_string(pg_ctx *ctx, pg_setting which, char *value,
                   const pol_loc *kw, const pol_loc *vloc);
void pg_set_duration(pg_ctx *ctx, pg_setting which, pg_dur d,
                     const pol_loc *kw, const pol_loc *vloc);
void pg_set_number(pg_ctx *ctx, pg_setting which, pg_num n,
                   const pol_loc *kw, const pol_loc *vloc);
/* `retired forever | keep-all | for D` (d is read for POL_RETIRED_FOR only). */
void pg_set_retired(pg_ctx *ctx, pol_retired_kind kind, pg_dur d,
                    const pol_loc *kw, const pol_loc *vloc);
void pg_set_flag(pg_ctx *ctx, pg_setting which, bool value,
                 const pol_loc *kw, const pol_loc *vloc);
void pg_set_tag(pg_ctx *ctx, pg_setting which, pg_tag tag, const pol_loc *kw);
/* `subscription "A" "B" ...`: each string in turn, first = the first one
 * (which begins the setting; a refused setting skips the rest). */
void pg_sub_add(pg_ctx *ctx, char *value, bool first, const pol_loc *loc);
/* `subscription all` */
void pg_sub_all(pg_ctx *ctx, const pol_loc *kw, const pol_loc *vloc);
void pg_rule_duration(pg_ctx *ctx, pol_rule_kind kind, eng_period period,
                      pg_dur d, const pol_loc *first, const pol_loc *dloc);
void pg_rule_every(pg_ctx *ctx, pg_dur width, pg_dur end, const pol_loc *first,
                   const pol_loc *wloc, const pol_loc *eloc);
void pg_rule_count(pg_ctx *ctx, pol_rule_kind kind, eng_period period,
                   pg_num count, const pol_loc *first, const pol_loc *cloc);
void pg_rule_tagged(pg_ctx *ctx, pg_tags *tags, const pol_loc *first);
pg_tags *pg_tags_add(pg_ctx *ctx, pg_tags *list, pg_tag tag);
void pg_tags_free(pg_tags *t);
void pg_tag_free(pg_tag *t);
const char *pg_setting_name(pg_setting s);
/* recovery { }: begin/end around the block, one call per setting. */
void pg_recovery_begin(pg_ctx *ctx, const pol_loc *kw, const pol_loc *brace);
void pg_recovery_end(pg_ctx *ctx);
void pg_rec_string(pg_ctx *ctx, pg_rec_setting which, char *value,
                   const pol_loc *kw, const pol_loc *vloc);
void pg_rec_duration(pg_ctx *ctx, pg_rec_setting which, pg_dur d,
                     const pol_loc *kw, const pol_loc *vloc);
void pg_rec_flag(pg_ctx *ctx, pg_rec_setting which, bool value,
                 const pol_loc *kw, const pol_loc *vloc);
const char *pg_rec_setting_name(pg_rec_setting s);

/* copy.c: copy-to "REGION" { }: begin/end around the block (settings and
 * rules inside go to the copy's own scope), and the compile step that
 * turns that scope into pol_copy once the owning policy is finished. */
void pg_copy_begin(pg_ctx *ctx, char *region, const pol_loc *kw,
                   const pol_loc *region_loc, const pol_loc *brace);
void pg_copy_end(pg_ctx *ctx);
void pg_copy_compile(pg_ctx *ctx, pg_scope *owner);

/* text.c: the normalised text of rules and settings. */
char *pg_rule_text(const pol_rule *r);
size_t pg_quote(const char *s, char *buf, size_t n);

/* recovery.c: a block's recovery settings over the top level's, one by
 * one, and the checks across them (after inheritance). */
void pg_recovery_inherit(pg_ctx *ctx, pg_scope *b, const pg_scope *top);
void pg_recovery_check(pg_ctx *ctx, const pg_scope *s);

/* compile.c: scopes to pol_file (inheritance, checks); NULL on errors. */
pol_file *pg_compile(pg_ctx *ctx);
/* compile.c: zone, rule-count check and whole-policy checks of one scope. */
void pg_finish_scope(pg_ctx *ctx, pg_scope *s);
/* checks.c: the checks that need a whole compiled policy. */
void pg_check_policy(pg_ctx *ctx, const pg_scope *s);

/* suggest.c: the keyword an unknown word was probably meant to be. */
const char *pg_suggest_keyword(const char *word);

/* keywords.c: every keyword and its token, ending in { NULL, 0 }. */
typedef struct pg_keyword {
    const char *word;
    int token;
} pg_keyword;
extern const pg_keyword pg_keywords[];
/* The token of the keyword spelled s[0..n), or 0 when it is a plain word. */
int pg_keyword_token(const char *s, size_t n);
/* parser.y: bison's name for a token ("'policy'", "word"). */
const char *pg_token_name(int token);

/* lexer.l: runs the scanner and the parser over ctx->text. */
int pg_scan_parse(pg_ctx *ctx);
/* lexer.l: the token stream as text ("keep-all@1:1 dur:24h@1:10 ..."),
 * for tests; scanner diagnostics into diags (replaced, not appended). */
char *pg_lex_dump(const char *name, const char *text, size_t len, pol_diags *diags);

#endif
