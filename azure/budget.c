/* The run's retry budget: per-request limits alone let a vanished ARM hold
 * a run for as long as requests keep being made (every LRO poll starts a
 * fresh allowance). This bounds the client as a whole: the clock runs from
 * the first retryable failure that no usable answer has followed, so
 * requests failing side by side count once and a healthy run with
 * occasional throttling never gets near it (each answer restarts it). */
#include <stdio.h>
#include <string.h>

#include "azure/az_internal.h"

#define BUDGET_TAG "the run's retry budget of "

void az_budget_note(az_client *c, bool answered)
{
    if (answered)
        c->failing = false;
    else if (!c->failing) {
        c->failing = true;
        c->failing_since_ms = az_now_ms(c);
    }
}

bool az_budget_allows(az_client *c, int64_t delay_ms)
{
    if (c->budget_spent)
        return false;
    if (!c->failing)
        return true;
    /* a retry that cannot happen before the budget ends is as good as none */
    int64_t end = az_now_ms(c) - c->failing_since_ms + (delay_ms > 0 ? delay_ms : 0);
    if (end <= c->run_budget_ms)
        return true;
    c->budget_spent = true;
    az_log(c, AZ_LOG_WARN, "ARM has failed for %lld s: " BUDGET_TAG "%lld s is spent, "
           "no more retries", (long long)((az_now_ms(c) - c->failing_since_ms) / 1000),
           (long long)(c->run_budget_ms / 1000));
    return false;
}

bool az_budget_spent(const az_client *c)
{
    return c->budget_spent;
}

void az_budget_error(const az_client *c, az_error *err)
{
    char last[sizeof err->message];
    err->retries_exhausted = true;
    if (strstr(err->message, BUDGET_TAG) != NULL)
        return;
    snprintf(last, sizeof last, "%s", err->message);
    snprintf(err->message, sizeof err->message, BUDGET_TAG "%lld s is spent (last failure: "
             "%.900s)", (long long)(c->run_budget_ms / 1000), last[0] ? last : "none");
}
