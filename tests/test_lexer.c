/* The scanner: tokens and their locations, from strings and from files,
 * and what it reports about bad tokens (pg_lex_dump shows the stream). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grammar/internal.h"

typedef struct lex_case {
    const char *in;
    const char *tokens;
    const char *diag;       /* "L:C: message" of the one diagnostic, or NULL */
} lex_case;

static const lex_case cases[] = {
    { "keep-all 24h, every 12h to 7d, daily to 15d",
      "keep-all@1:1 dur:24h@1:10 ,@1:13 every@1:15 dur:12h@1:21 to@1:25 dur:7d@1:28 "
      ",@1:30 daily@1:32 to@1:38 dur:15d@1:41 EOF@1:44", NULL },
    { "", "EOF@1:1", NULL },
    { "\n\n", "NL@1:1 NL@2:1 EOF@3:1", NULL },
    { "last 3; last all", "last@1:1 num:3@1:6 ;@1:7 last@1:9 all@1:14 EOF@1:17", NULL },
    /* comments run to the end of the line, the newline still separates */
    { "# a comment\nlast 3 # floor\n", "NL@1:12 last@2:1 num:3@2:6 NL@2:15 EOF@3:1", NULL },
    /* tabs are one column: columns count bytes */
    { "\tkeep-all\t1d", "keep-all@1:2 dur:1d@1:11 EOF@1:13", NULL },
    /* CRLF line endings */
    { "last 3\r\nlast 4\r\n", "last@1:1 num:3@1:6 NL@1:8 last@2:1 num:4@2:6 NL@2:8 EOF@3:1", NULL },
    /* durations: any order, normalised y mo w d h m */
    { "1y2mo3d3h 1y1d1mo 30m 2w", "dur:1y2mo3d3h@1:1 dur:1y1mo1d@1:11 dur:30m@1:19 "
      "dur:2w@1:23 EOF@1:25", NULL },
    { "tagged \"a\" = \"b\" and \"c\"", "tagged@1:1 \"a\"@1:8 =@1:12 \"b\"@1:14 and@1:18 "
      "\"c\"@1:22 EOF@1:25", NULL },
    /* escapes: \" and \\ only */
    { "disk \"a\\\"b\\\\c\"", "disk@1:1 \"a\\\"b\\\\c\"@1:6 EOF@1:15", NULL },
    { "disk \"d\u00e9j\u00e0\"", "disk@1:1 \"d\u00e9j\u00e0\"@1:6 EOF@1:14", NULL },
    { "policy \"x\" {\n}", "policy@1:1 \"x\"@1:8 {@1:12 NL@1:13 }@2:1 EOF@2:2", NULL },
    { "policy db01 {}", "policy@1:1 word:db01@1:8 {@1:13 }@1:14 EOF@1:15", NULL },
    { "keepall Daily disks disk", "word:keepall@1:1 word:Daily@1:9 disks@1:15 disk@1:21 "
      "EOF@1:25", NULL },
    { "resource-group stale-after max-delete", "resource-group@1:1 stale-after@1:16 "
      "max-delete@1:28 EOF@1:38", NULL },
    /* bad tokens: reported where they start, still returned */
    { "daily -3", "daily@1:1 num:bad@1:7 EOF@1:9",
      "1:7: negative number '-3': numbers here cannot be negative" },
    { "last 99999999999999999999", "last@1:1 num:bad@1:6 EOF@1:26",
      "1:6: number '99999999999999999999' is too large" },
    { "last 9223372036854775807", "last@1:1 num:9223372036854775807@1:6 EOF@1:25", NULL },
    { "keep-all 0h", "keep-all@1:1 dur:bad@1:10 EOF@1:12", "1:10: bad duration '0h': " },
    { "keep-all 1h2h", "keep-all@1:1 dur:bad@1:10 EOF@1:14", "1:10: bad duration '1h2h': " },
    { "keep-all 3x", "keep-all@1:1 dur:bad@1:10 EOF@1:12", "1:10: bad duration '3x': " },
    { "keep-all -1d", "keep-all@1:1 dur:bad@1:10 EOF@1:13",
      "1:10: negative duration '-1d': durations cannot be negative" },
    { "disk \"abc\nlast 1", "disk@1:1 \"abc\"@1:6 NL@1:10 last@2:1 num:1@2:6 EOF@2:7",
      "1:6: unterminated string (a string ends on the line it starts)" },
    { "  disk \"abc", "disk@1:3 \"abc\"@1:8 EOF@1:12",
      "1:8: unterminated string (the file ends inside it)" },
    { "disk \"a\\nb\"", "disk@1:1 \"ab\"@1:6 EOF@1:12",
      "1:8: unknown escape '\\n' in string (only \\\" and \\\\ are escapes)" },
    { "last @3", "last@1:1 num:3@1:7 EOF@1:8", "1:6: unexpected character '@'" },
    { "disk 'x'", "disk@1:1 \"x\"@1:6 EOF@1:9",
      "1:6: strings are written in double quotes: \"x\"" },
    { "last 3 '", "last@1:1 num:3@1:6 EOF@1:9",
      "1:8: unexpected character \"'\": strings are written in double quotes" },
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const lex_case *c = &cases[i];
        pol_diags d = { 0 };
        char *got = pg_lex_dump("t", c->in, strlen(c->in), &d);
        assert_non_null(got);
        if (strcmp(got, c->tokens) != 0)
            fail_msg("case %zu: %s\n got  %s\n want %s", i, c->in, got, c->tokens);
        if (c->diag == NULL) {
            if (d.n != 0)
                fail_msg("case %zu: unexpected diagnostic %s", i, d.items[0].message);
        } else {
            assert_true(d.n >= 1);
            char line[512];
            snprintf(line, sizeof line, "%d:%d: %s", d.items[0].line, d.items[0].col,
                     d.items[0].message);
            if (strncmp(line, c->diag, strlen(c->diag)) != 0)
                fail_msg("case %zu: diagnostic\n got  %s\n want %s", i, line, c->diag);
        }
        free(got);
        pol_diags_free(&d);
    }
}

/* Every keyword of the table scans as that keyword, not a word, and the
 * table is exactly the keyword tokens bison declares (parser.y's %token
 * list, each named by its quoted spelling): the two lists cannot drift. */
static void test_keywords(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t i = 0; pg_keywords[i].word != NULL; i++, n++) {
        const char *k = pg_keywords[i].word;
        char want[64];
        snprintf(want, sizeof want, "%s@1:1 EOF@1:%zu", k, strlen(k) + 1);
        char *got = pg_lex_dump("t", k, strlen(k), NULL);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
        snprintf(want, sizeof want, "'%s'", k);
        assert_string_equal(pg_token_name(pg_keywords[i].token), want);
        assert_int_equal(pg_keyword_token(k, strlen(k)), pg_keywords[i].token);
    }
    /* bison numbers its named tokens from 258 */
    size_t declared = 0;
    for (int tok = 258; tok < 512; tok++) {
        const char *name = pg_token_name(tok);
        size_t len = strlen(name);
        if (len < 3 || name[0] != '\'' || name[len - 1] != '\'' ||
            name[1] < 'a' || name[1] > 'z')
            continue;   /* "word", "number", "',' or ';'", "invalid token" */
        declared++;
        if (pg_keyword_token(name + 1, len - 2) != tok)
            fail_msg("token %s is declared but not in the keyword table", name);
    }
    assert_int_equal(declared, n);
    assert_int_equal(pg_keyword_token("keep-allx", 9), 0);
    assert_int_equal(pg_keyword_token("keep-all", 4), 0);   /* "keep" */
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    *len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

/* From files: the seed line, and the contract's example's tokens where it
 * matters (blocks, comments, the one-line tier chain on line 8). */
static void test_files(void **state)
{
    (void)state;
    size_t len;
    char *text = read_file("policies/seed.policy", &len);
    char *got = pg_lex_dump("policies/seed.policy", text, len, NULL);
    assert_string_equal(got, "keep-all@1:1 dur:24h@1:10 ,@1:13 every@1:15 dur:12h@1:21 "
                        "to@1:25 dur:7d@1:28 ,@1:30 daily@1:32 to@1:38 dur:15d@1:41 "
                        "NL@1:44 EOF@2:1");
    free(got);

    text = read_file("policies/dss-datadir.policy", &len);
    got = pg_lex_dump("policies/dss-datadir.policy", text, len, NULL);
    assert_non_null(strstr(got, "NL@1:30 timezone@2:1 \"UTC\"@2:10 NL@2:15 NL@3:1 "
                                "policy@4:1 \"dss-datadir\"@4:8 {@4:22 NL@4:23 "));
    assert_non_null(strstr(got, "keep-all@8:5 dur:24h@8:14 ,@8:17 every@8:19 dur:12h@8:25 "
                                "to@8:29 dur:7d@8:32 ,@8:34 daily@8:36 to@8:42 dur:15d@8:45 "
                                "NL@8:48 last@9:5 num:3@9:10 NL@9:66 "));
    assert_non_null(strstr(got, "}@12:1 NL@12:2 EOF@13:1"));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
