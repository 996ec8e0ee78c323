/* The policy language's grammar (policy-language.md). The actions only
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
  ;

setting:
    TIMEZONE STRING           { pg_set_string(ctx, PG_TIMEZONE, $2, L(@1), L(@2)); }
  | SUBSCRIPTION STRING       { pg_set_string(ctx, PG_SUBSCRIPTION, $2, L(@1), L(@2)); }
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
    } else if (ctx->last_tok == WORD && strstr(msg, "expecting string") != NULL) {
        pg_error(ctx, L(*loc), "'%s' must be quoted: \"%s\"", w, w);
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
