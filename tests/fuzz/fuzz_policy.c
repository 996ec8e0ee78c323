/* libFuzzer target for the policy front end: any bytes through
 * pol_parse_string, every diagnostic rendered, the tree freed. A crash,
 * leak, sanitizer report or hang here becomes a test in test_checks.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pol_diags diags = { 0 };
    pol_file *f = pol_parse_string("fuzz.policy", (const char *)data, size, NULL, &diags);
    for (size_t i = 0; i < diags.n; i++) {
        char *text = pol_diag_render(&diags.items[i]);
        if (text == NULL || strstr(text, diags.items[i].message) == NULL)
            abort();
        free(text);
    }
    /* A file comes back exactly when there was no error. */
    if ((f != NULL) != (diags.nerrors == 0))
        abort();
    for (size_t p = 0; f != NULL && p < f->npolicies; p++) {
        const pol_policy *pol = f->policies[p];
        if (pol->nrules == 0 || pol->tz == NULL)
            abort();
        for (size_t r = 0; r < pol->nrules; r++)
            if (pol->rules[r].text == NULL || pol->rules[r].loc.line < 1)
                abort();
    }
    pol_file_free(f);
    pol_diags_free(&diags);
    return 0;
}
