/* A scripted ARM for the Azure adapter's unit tests (linked into every
 * test binary, as all of tests/support/ is): the client's transport is
 * replaced, answers are queued in order, every request (method, URL, body,
 * header lines other than Authorization) is recorded, and time only moves
 * when the client sleeps. Tokens are served without being queued. A
 * request with no answer left fails the test. */
#ifndef SNAPKEEP_TESTS_FAKE_ARM_H
#define SNAPKEEP_TESTS_FAKE_ARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/azure.h"

#define FA_ARM "https://management.azure.com"
#define FA_NOW_S 1795694400     /* 2026-11-26T12:00:00Z */

typedef struct fa_answer {
    int status;                 /* 0: no answer */
    const char *body;
    const char *async_op, *location, *retry_after;
    bool not_sent;              /* with status 0: the connection never opened */
} fa_answer;

typedef struct fa_req {
    char method[8];
    char url[4096];
    char body[16384];
    bool has_body;
    char headers[1024];         /* header lines but Authorization, each ending '\n' */
} fa_req;

typedef struct fa_state {
    fa_answer answers[64];
    size_t n, next;
    fa_req reqs[64];
    size_t nreq;
    int64_t now_ms;
    const char *date;           /* a Date header on every answer; NULL (the default): none */
} fa_state;

extern fa_state FA;

/* A client on the scripted transport (state reset; secret credentials
 * from the environment). lro_deadline_s 0: the default. */
az_client *fa_client(int lro_deadline_s);
/* A client for options o (service-principal secret credentials set in the
 * environment) answering through transport, on the hooks' clock; fails
 * the test when it cannot be made. What every adapter test builds. */
az_client *fa_client_on(const az_options *o, az_transport_fn transport, const az_hooks *h);
void fa_add(fa_answer a);
/* tests/fixtures/arm/NAME parsed (run from the repository's top). */
cJSON *fa_fixture(const char *name);
/* responses.STATUS.body of a fixture as text (free()). */
char *fa_example_body(const char *name, const char *status);

#endif
