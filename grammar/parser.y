/* The policy language's grammar (snapkeep.policy(5)). The actions only
 * record what was written, with its location, into the current scope
 * (build.c); inheritance and whole-policy checks happen afterwards
 * (compile.c). A statement that does not parse is reported and skipped up to
 * the next separator, so every mistake in a file is reported in one run. */
%define api.pure full
%define api.prefix {pg_yy}
%define parse.error detailed
%define parse.lac full
%locations
%expect 0
%param {void *scanner} {struct pg_ctx *ctx}

%code requires {
#include "grammar/internal.h"
}

%code {
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pg_lex_raw(PG_YYSTYPE *val, PG_YYLTYPE *loc, void *scanner);
static int pg_yylex(PG_YYSTYPE *val, PG_YYLTYPE *loc, void *scanner, pg_ctx *ctx);
static void pg_yyerror(PG_YYLTYPE *loc, void *scanner, pg_ctx *ctx, const char *msg);

#define L(y) (&(pol_loc){ ctx->path, (y).first_line, (y).first_column })
}

%union {
    char *str;
    pg_num num;
    pg_dur dur;
    eng_period period;
    bool flag;
    pg_tag tag;
    pg_tags *tags;
}

%token END 0 "end of file"
%token NEWLINE "end of line"
%token SEP "',' or ';'"
%token POLICY "'policy'" TIMEZONE "'timezone'" SUBSCRIPTION "'subscription'"
       RESOURCE_GROUP "'resource-group'" DISK "'disk'" DISKS "'disks'" TAGGED "'tagged'"
       SNAPSHOT "'snapshot'" EVERY "'every'" STALE_AFTER "'stale-after'"
       MAX_DELETE "'max-delete'" ADOPT "'adopt'" UNTAGGED "'untagged'"
       INCREMENTAL "'incremental'" YES "'yes'" NO "'no'" SKU "'sku'" TAG "'tag'"
       KEEP_ALL "'keep-all'" TO "'to'" HOURLY "'hourly'" DAILY "'daily'"
       WEEKLY "'weekly'" MONTHLY "'monthly'" YEARLY "'yearly'" LAST "'last'" ALL "'all'"
       WITHIN "'within'" AND "'and'"
       RECOVERY "'recovery'" VM "'vm'" SCRATCH_VM "'scratch-vm'" VERIFY "'verify'"
       VERIFY_TIMEOUT "'verify-timeout'" DEVICE_DIR "'device-dir'" STANDBY "'standby'"
       PUBLIC_IP "'public-ip'" DNS_RECORD "'dns-record'" DNS_ZONE_KIND "'dns-zone-kind'"
       START_STANDBY "'start-standby'" COPY_TO "'copy-to'"
       RETIRED "'retired'" FOREVER "'forever'" FOR "'for'"
%token <str> WORD "word" STRING "string"
%token <num> NUMBER "number"
%token <dur> DURATION "duration"

%type <str> name
%type <period> period
%type <num> count
%type <flag> yesno
%type <tag> tag_match
%type <tags> tag_list

%destructor { free($$); } <str>
%destructor { pg_tag_free(&$$); } <tag>
%destructor { pg_tags_free($$); } <tags>

%%

file:
    top_list
  ;

top_list:
    top_item
  | top_list sep top_item
  ;

top_item:
    %empty
  | stmt
  | blocks
  | error
  ;

/* A block needs no separator before the next one: "} policy ...". */
blocks:
    block
  | blocks block
  ;

/* A file that ends inside a block is reported at its '{'. */
block:
    POLICY name newlines '{'
      { pg_block_begin(ctx, $2, L(@1), L(@2), L(@4)); $2 = NULL; }
    block_list block_end
  ;

/* The brace may go on the next line. */
newlines:
    %empty
  | newlines NEWLINE
  ;

block_end:
    '}'     { pg_block_end(ctx); }
  | END
        {
          pg_error(ctx, &ctx->cur->brace_loc, "unterminated policy block: "
                   "this '{' has no matching '}'");
          ctx->cur->had_error = true;
          pg_block_end(ctx);
        }
  ;

name:
    STRING
  | WORD
  ;

block_list:
    block_item
  | block_list sep block_item
  ;

block_item:
    %empty
  | stmt
  | error   { ctx->cur->had_error = true; }
  ;

/* After an error the parser skips to the next separator; from there on,
 * errors are reported again (each broken statement costs one message). */
sep:
    NEWLINE { yyerrok; }
  | SEP     { yyerrok; }
  ;

stmt:
    setting
  | rule
  | recovery
  | copy
  ;

/* copy-to "REGION" { ... }: where copies go and the copies' own rules;
 * the settings and rules inside are recorded into the copy's own scope
 * (copy.c), which rejects the settings a copy cannot take. */
copy:
    COPY_TO STRING newlines '{'
      { pg_copy_begin(ctx, $2, L(@1), L(@2), L(@4)); $2 = NULL; }
    copy_list copy_end
  ;

copy_end:
    '}'     { pg_copy_end(ctx); }
  | END
        {
          pg_error(ctx, &ctx->copy_brace, "unterminated copy-to block: this '{' has no "
                   "matching '}'");
          if (ctx->cur != NULL)
              ctx->cur->had_error = true;
          pg_copy_end(ctx);
        }
  ;

copy_list:
    copy_item
  | copy_list sep copy_item
  ;

copy_item:
    %empty
  | setting
  | rule
  | error   { if (ctx->cur != NULL) ctx->cur->had_error = true; }
  ;

/* recovery { ... }: settings only the recovery commands read, one per
 * line; inherited like the other settings, one by one (recovery.c). */
recovery:
    RECOVERY newlines '{'
      { pg_recovery_begin(ctx, L(@1), L(@3)); }
    rec_list rec_end
  ;

rec_end:
    '}'     { pg_recovery_end(ctx); }
  | END
        {
          pg_error(ctx, &ctx->rec_brace, "unterminated recovery block: this '{' has no "
                   "matching '}'");
          if (ctx->cur != NULL)
              ctx->cur->had_error = true;
          pg_recovery_end(ctx);
        }
  ;

rec_list:
    rec_item
  | rec_list sep rec_item
  ;

rec_item:
    %empty
  | rec_setting
  | error   { if (ctx->cur != NULL) ctx->cur->had_error = true; }
  ;

rec_setting:
    VM STRING             { pg_rec_string(ctx, PG_R_VM, $2, L(@1), L(@2)); }
  | SCRATCH_VM STRING     { pg_rec_string(ctx, PG_R_SCRATCH_VM, $2, L(@1), L(@2)); }
  | VERIFY STRING         { pg_rec_string(ctx, PG_R_VERIFY, $2, L(@1), L(@2)); }
  | VERIFY_TIMEOUT DURATION { pg_rec_duration(ctx, PG_R_VERIFY_TIMEOUT, $2, L(@1), L(@2)); }
  | DEVICE_DIR STRING     { pg_rec_string(ctx, PG_R_DEVICE_DIR, $2, L(@1), L(@2)); }
  | STANDBY STRING        { pg_rec_string(ctx, PG_R_STANDBY, $2, L(@1), L(@2)); }
  | PUBLIC_IP STRING      { pg_rec_string(ctx, PG_R_PUBLIC_IP, $2, L(@1), L(@2)); }
  | DNS_RECORD STRING     { pg_rec_string(ctx, PG_R_DNS_RECORD, $2, L(@1), L(@2)); }
  | DNS_ZONE_KIND name    { pg_rec_string(ctx, PG_R_DNS_ZONE_KIND, $2, L(@1), L(@2)); }
  | START_STANDBY yesno   { pg_rec_flag(ctx, PG_R_START_STANDBY, $2, L(@1), L(@2)); }
  ;

setting:
    TIMEZONE STRING           { pg_set_string(ctx, PG_TIMEZONE, $2, L(@1), L(@2)); }
  | SUBSCRIPTION sub_list
  | SUBSCRIPTION ALL          { pg_sub_all(ctx, L(@1), L(@2)); }
  | RESOURCE_GROUP STRING     { pg_set_string(ctx, PG_RESOURCE_GROUP, $2, L(@1), L(@2)); }
  | DISK STRING               { pg_set_string(ctx, PG_DISK, $2, L(@1), L(@2)); }
  | DISKS TAGGED tag_match  { pg_set_tag(ctx, PG_DISKS_TAGGED, $3, L(@1)); }
  | SNAPSHOT EVERY DURATION { pg_set_duration(ctx, PG_SNAPSHOT_EVERY, $3, L(@1), L(@3)); }
  | STALE_AFTER DURATION      { pg_set_duration(ctx, PG_STALE_AFTER, $2, L(@1), L(@2)); }
  | MAX_DELETE NUMBER         { pg_set_number(ctx, PG_MAX_DELETE, $2, L(@1), L(@2)); }
  | ADOPT UNTAGGED          { pg_set_flag(ctx, PG_ADOPT, true, L(@1), L(@2)); }
  | INCREMENTAL yesno         { pg_set_flag(ctx, PG_INCREMENTAL, $2, L(@1), L(@2)); }
  | SKU STRING                { pg_set_string(ctx, PG_SKU, $2, L(@1), L(@2)); }
  | TAG tag_match             { pg_set_tag(ctx, PG_TAG, $2, L(@1)); }
  | RETIRED FOREVER
        { pg_set_retired(ctx, POL_RETIRED_FOREVER, (pg_dur){ .ok = true }, L(@1), L(@2)); }
  | RETIRED KEEP_ALL
        { pg_set_retired(ctx, POL_RETIRED_KEEP_ALL, (pg_dur){ .ok = true }, L(@1), L(@2)); }
  | RETIRED FOR DURATION      { pg_set_retired(ctx, POL_RETIRED_FOR, $3, L(@1), L(@3)); }
  ;

/* subscription "A" ["B" ...]: one or several, on one line */
sub_list:
    STRING                    { pg_sub_add(ctx, $1, true, L(@1)); }
  | sub_list STRING           { pg_sub_add(ctx, $2, false, L(@2)); }
  ;

yesno:
    YES   { $$ = true; }
  | NO    { $$ = false; }
  ;

rule:
    KEEP_ALL DURATION
        { pg_rule_duration(ctx, POL_KEEP_ALL, ENG_DAY, $2, L(@1), L(@2)); }
  | EVERY DURATION TO DURATION
        { pg_rule_every(ctx, $2, $4, L(@1), L(@2), L(@4)); }
  | period TO DURATION
        { pg_rule_duration(ctx, POL_CALENDAR_TIER, $1, $3, L(@1), L(@3)); }
  | LAST count
        { pg_rule_count(ctx, POL_LAST, ENG_DAY, $2, L(@1), L(@2)); }
  | period count
        { pg_rule_count(ctx, POL_COUNT, $1, $2, L(@1), L(@2)); }
  | WITHIN DURATION
        { pg_rule_duration(ctx, POL_WITHIN, ENG_DAY, $2, L(@1), L(@2)); }
  | period WITHIN DURATION
        { pg_rule_duration(ctx, POL_PERIOD_WITHIN, $1, $3, L(@1), L(@3)); }
  | TAGGED tag_list
        { pg_rule_tagged(ctx, $2, L(@1)); }
  ;

period:
    HOURLY    { $$ = ENG_HOUR; }
  | DAILY     { $$ = ENG_DAY; }
  | WEEKLY    { $$ = ENG_WEEK; }
  | MONTHLY   { $$ = ENG_MONTH; }
  | YEARLY    { $$ = ENG_YEAR; }
  ;

count:
    NUMBER
  | ALL       { $$.v = POL_COUNT_ALL; $$.ok = true; }
  ;

tag_list:
    tag_match                   { $$ = pg_tags_add(ctx, NULL, $1); }
  | tag_list AND tag_match    { $$ = pg_tags_add(ctx, $1, $3); }
  ;

tag_match:
    STRING              { $$.key = $1; $$.value = NULL; $$.loc = *L(@1); }
  | STRING '=' STRING   { $$.key = $1; $$.value = $3; $$.loc = *L(@1); }
  ;

%%

/* The scanner's view, remembered for the messages pg_yyerror writes; after
 * the end of the text it keeps answering END (a block cut short by the end
 * of the file consumes one). */
static int pg_yylex(PG_YYSTYPE *val, PG_YYLTYPE *loc, void *scanner, pg_ctx *ctx)
{
    if (ctx->eof) {
        loc->first_line = loc->last_line = ctx->line;
        loc->first_column = loc->last_column = ctx->col;
        return END;
    }
    int tok = pg_lex_raw(val, loc, scanner);
    if (tok == END)
        ctx->eof = true;
    ctx->prev_tok = ctx->last_tok;
    ctx->last_tok = tok;
    if (tok == WORD) {
        free(ctx->last_word);
        ctx->last_word = val->str ? strdup(val->str) : NULL;
    }
    return tok;
}

static bool pg_is_unit(const char *w)
{
    static const char *const units[] = {
        "m", "h", "d", "w", "mo", "y", "min", "mins", "minute", "minutes",
        "hour", "hours", "day", "days", "week", "weeks", "month", "months",
        "year", "years", NULL
    };
    for (size_t i = 0; units[i] != NULL; i++)
        if (strcmp(w, units[i]) == 0)
            return true;
    return false;
}

/* The keyword of a token only a recovery block takes, or NULL. */
static const char *recovery_keyword(int tok)
{
    switch (tok) {
    case VM:             return "vm";
    case SCRATCH_VM:     return "scratch-vm";
    case VERIFY:         return "verify";
    case VERIFY_TIMEOUT: return "verify-timeout";
    case DEVICE_DIR:     return "device-dir";
    case STANDBY:        return "standby";
    case PUBLIC_IP:      return "public-ip";
    case DNS_RECORD:     return "dns-record";
    case DNS_ZONE_KIND:  return "dns-zone-kind";
    case START_STANDBY:  return "start-standby";
    default:             return NULL;
    }
}

/* The keyword of a statement that starts outside recovery blocks only. */
static const char *outer_keyword(int tok)
{
    switch (tok) {
    case POLICY:         return "policy";
    case RECOVERY:       return "recovery";
    case TIMEZONE:       return "timezone";
    case SUBSCRIPTION:   return "subscription";
    case RESOURCE_GROUP: return "resource-group";
    case DISK:           return "disk";
    case DISKS:          return "disks";
    case SNAPSHOT:       return "snapshot";
    case STALE_AFTER:    return "stale-after";
    case MAX_DELETE:     return "max-delete";
    case ADOPT:          return "adopt";
    case INCREMENTAL:    return "incremental";
    case SKU:            return "sku";
    case TAG:            return "tag";
    case RETIRED:        return "retired";
    case KEEP_ALL:       return "keep-all";
    case EVERY:          return "every";
    case HOURLY:         return "hourly";
    case DAILY:          return "daily";
    case WEEKLY:         return "weekly";
    case MONTHLY:        return "monthly";
    case YEARLY:         return "yearly";
    case LAST:           return "last";
    case WITHIN:         return "within";
    case TAGGED:         return "tagged";
    case COPY_TO:        return "copy-to";
    default:             return NULL;
    }
}

/* Bison's message, made specific where the token stream says more. After
 * an error the parser skips to the next separator and reports again from
 * the next statement on (see sep). */
static void pg_yyerror(PG_YYLTYPE *loc, void *scanner, pg_ctx *ctx, const char *msg)
{
    (void)scanner;
    const char *w = ctx->last_word ? ctx->last_word : "";
    const char *hint;
    if (ctx->cur != NULL)
        ctx->cur->had_error = true;
    /* The scanner already said what is wrong with this token. */
    if (ctx->reported.line != 0 && ctx->reported.line == loc->first_line &&
        ctx->reported.col == loc->first_column)
        return;
    if (ctx->last_tok == WORD && ctx->prev_tok == NUMBER && pg_is_unit(w)) {
        pg_error(ctx, L(*loc), "unexpected '%s': write a duration without spaces, "
                 "as in 24h or 7d", w);
    } else if (ctx->last_tok == WORD && ctx->prev_tok == TIMEZONE) {
        pg_error(ctx, L(*loc), "quote the zone name: timezone \"%s\"", w);
    } else if (ctx->last_tok == WORD && strstr(msg, "expecting string") != NULL) {
        pg_error(ctx, L(*loc), "'%s' must be quoted: \"%s\"", w, w);
    } else if (ctx->prev_tok == POLICY &&
               ((hint = recovery_keyword(ctx->last_tok)) != NULL ||
                (hint = outer_keyword(ctx->last_tok)) != NULL)) {
        pg_error(ctx, L(*loc), "'%s' is a keyword: quote the policy name, as in "
                 "policy \"%s\"", hint, hint);
    } else if (!ctx->rec_open && (hint = recovery_keyword(ctx->last_tok)) != NULL) {
        pg_error(ctx, L(*loc), "'%s' is a recovery setting: write it inside a "
                 "recovery { } block", hint);
    } else if (ctx->rec_open && (hint = outer_keyword(ctx->last_tok)) != NULL) {
        pg_error(ctx, L(*loc), "'%s' cannot go inside the recovery block (line %d): "
                 "write it outside recovery { }", hint, ctx->rec_brace.line);
    } else if (ctx->last_tok == WORD && (hint = pg_suggest_keyword(w)) != NULL) {
        pg_error(ctx, L(*loc), "unknown keyword '%s'; did you mean '%s'?", w, hint);
    } else if (ctx->last_tok == WORD) {
        const char *expecting = strstr(msg, ", expecting ");
        pg_error(ctx, L(*loc), "unknown keyword '%s'%s", w, expecting ? expecting : "");
    } else if (ctx->last_tok == NUMBER && strstr(msg, "expecting duration") != NULL) {
        pg_error(ctx, L(*loc), "a duration needs a unit, as in 24h or 7d");
    } else if (ctx->last_tok == '}' && (ctx->cur == NULL || !ctx->cur->is_block)) {
        pg_error(ctx, L(*loc), "'}' without a policy block to close");
    } else if (ctx->last_tok == POLICY && ctx->cur != NULL && ctx->cur->is_block) {
        pg_error(ctx, L(*loc), "policy blocks cannot be nested: the block opened "
                 "on line %d is not closed", ctx->cur->brace_loc.line);
    } else {
        pg_error(ctx, L(*loc), "%s", msg);
    }
}

/* How bison names a token in its messages ("'policy'", "word"), so
 * test_lexer can hold the keyword table (keywords.c) to the %token list. */
const char *pg_token_name(int token)
{
    return yysymbol_name(YYTRANSLATE(token));
}
