/* libFuzzer target over the Azure adapter's JSON and header readers: token
 * replies, the ARM error envelope, LRO status bodies, a resource's
 * provisioningState, Retry-After and Date values, and one resource read
 * back before a delete or after a create (an empty 200 included). The first
 * byte picks the reader; the rest is its input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azure/az_internal.h"
#include "azure/inventory_read.h"
#include "azure/ops_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned which = data[0] % 8;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    char *z = malloc(len + 1);      /* the header readers take C strings */
    if (z == NULL)
        return 0;
    memcpy(z, in, len);
    z[len] = '\0';
    az_error err = {0};
    switch (which) {
    case 0: {
        az_token t;
        if (az_token_parse(in, len, 1795694400, &t, &err) == 0 && strlen(t.access_token) == 0)
            abort();                /* an accepted token is never empty */
        az_token_clear(&t);
        break;
    }
    case 1: {
        char code[96], msg[1024];
        az_error_parse_envelope(in, len, code, sizeof code, msg, sizeof msg);
        az_http_resp r = { .status = 409, .body = z, .body_len = len };
        az_error_from_resp(&err, &r);
        break;
    }
    case 2:
        if (az_lro_status(in, len, &err) == -1 && err.code[0] == '\0')
            abort();                /* a failed operation always says why */
        break;
    case 3: {
        char state[64], source[2048];
        az_resource_state(in, len, state, sizeof state, source, sizeof source);
        break;
    }
    case 4: {
        int64_t t;
        if (az_retry_after_ms(z, 1795694400) < -1)
            abort();
        az_http_date(z, &t);
        break;
    }
    case 6:
    case 7: {
        /* accepted only as exactly one record: the caller reads that one */
        bool disk = which == 7;
        inv_inventory *inv = inv_new();
        if (inv == NULL)
            break;
        int rc = az_parse_resource(inv, disk, in, len, &err);
        size_t n = disk ? inv->ndisks : inv->nsnapshots;
        if ((rc == 0 && n != 1) || (rc != 0 && err.code[0] == '\0') ||
            (az_body_blank(in, len) && rc == 0))
            abort();
        inv_free(inv);
        break;
    }
    case 5: {
        const char *secrets[] = { "secret", "tok.en" };
        char buf[256];
        size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
        memcpy(buf, in, n);
        buf[n] = '\0';
        az_redact(buf, sizeof buf, secrets, 2);
        if (strstr(buf, "secret") != NULL)
            abort();
        break;
    }
    default:
        break;
    }
    free(z);
    return 0;
}
