/* "unknown keyword 'keepall'; did you mean 'keep-all'?": the closest
 * keyword when it is close enough to be an obvious slip, and the keyword a
 * restic user means by a restic flag name (keep-daily, keep-last...). The
 * same measure serves the command line (commands, options): one idea of
 * "an obvious slip" everywhere. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/internal.h"

/* restic/borg spellings and other habits, mapped to ours. */
static const struct { const char *word, *keyword; } aliases[] = {
    { "keep-last", "last" }, { "keep-hourly", "hourly" }, { "keep-daily", "daily" },
    { "keep-weekly", "weekly" }, { "keep-monthly", "monthly" },
    { "keep-yearly", "yearly" }, { "keep-within", "within" }, { "keep-tag", "tagged" },
    { "keep", "keep-all" }, { "tz", "timezone" }, { "zone", "timezone" },
    { "rg", "resource-group" }, { "resourcegroup", "resource-group" },
    { "resource_group", "resource-group" }, { "every-snapshot", "keep-all" },
};

/* Optimal string alignment distance (adjacent swaps count one), ignoring
 * case and treating '-' and '_' alike; capped at 9. */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 30 || lb > 30)
        return 9;
    int d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            char ca = (char)tolower((unsigned char)a[i - 1]);
            char cb = (char)tolower((unsigned char)b[j - 1]);
            if (ca == '_')
                ca = '-';
            if (cb == '_')
                cb = '-';
            int best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb] > 9 ? 9 : d[la][lb];
}

/* Case only in a short word, one slip in a medium one, two in a long
 * one: beyond that the "suggestion" is a guess. */
static int allowed_slips(const char *word)
{
    size_t len = strlen(word);
    return len <= 3 ? 0 : len <= 5 ? 1 : 2;
}

const char *pol_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    int best_d = 9;
    for (size_t i = 0; i < n; i++) {
        int d = distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best_d <= allowed_slips(word) ? best : NULL;
}

const char *pg_suggest_keyword(const char *word)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (distance(word, aliases[i].word) == 0)
            return aliases[i].keyword;
    const char *best = NULL;
    int best_d = 9;
    for (size_t i = 0; pg_keywords[i].word != NULL; i++) {
        int d = distance(word, pg_keywords[i].word);
        if (d < best_d) {
            best_d = d;
            best = pg_keywords[i].word;
        }
    }
    return best_d <= allowed_slips(word) ? best : NULL;
}
