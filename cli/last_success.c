/* The last-success record `run` and `drill` keep for their metrics: one
 * mechanism, so both commands read and write it the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/state.h"

cJSON *cli_state_last_success(const cli_state *st, const char *file,
                              const char *const *succeeded, size_t nsucceeded,
                              double now, char *err, size_t errlen)
{
    char path[4300], *text = NULL, ignored[256], corrupt[600] = "";
    size_t len;
    cJSON *o = NULL;
    err[0] = '\0';
    if (cli_state_file(st, file, path, sizeof path, err, errlen) != 0)
        return cJSON_CreateObject();
    /* a missing or unreadable record starts empty; a corrupt one too, but
     * that is said (the metric's history is lost) */
    if (cli_read_file(path, 1 << 20, &text, &len, ignored, sizeof ignored) == 0)
        o = cli_state_parse_object(path, text, len, corrupt, sizeof corrupt);
    free(text);
    if (o == NULL)
        o = cJSON_CreateObject();
    if (corrupt[0] != '\0')
        snprintf(err, errlen, "%s (ignored: the times it held are lost)", corrupt);
    if (o == NULL || nsucceeded == 0)
        return o;
    for (size_t i = 0; i < nsucceeded; i++) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, succeeded[i]);
        cJSON_AddNumberToObject(o, succeeded[i], now);
    }
    char *out = cJSON_PrintUnformatted(o);
    if (out == NULL)
        snprintf(err, errlen, "out of memory");
    else
        cli_write_file_atomic(path, out, strlen(out), 0600, err, errlen);
    cJSON_free(out);
    return o;
}
