/* The Azure options every Azure command shares, and the live inventory:
 * every page of every scope the policies name, or nothing at all. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/azure_opts.h"
#include "cli/oom.h"
#include "cli/cli.h"
#include "cli/exit.h"

static void cli_azure_log(void *ctx, az_log_level level, const char *msg)
{
    (void)ctx;
    static const char *names[] = { "debug", "info", "warning", "error" };
    cli_err("azure: %s: %s", names[level], msg);
}

static const char *cli_env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

void cli_azure_init(cli_azure *a)
{
    memset(a, 0, sizeof *a);
    a->opts.arm_endpoint = cli_env("SNAPKEEP_ARM_ENDPOINT");
    a->opts.authority_host = cli_env("AZURE_AUTHORITY_HOST");
    a->opts.auth = AZ_AUTH_AUTO;
    a->opts.log = cli_azure_log;
    a->subscription = cli_env("AZURE_SUBSCRIPTION_ID");
}

static int cli_int_arg(const char *opt, const char *arg, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi) {
        cli_err("--%s: '%s' is not a number from %d to %d", opt, arg,
                lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int cli_auth_arg(cli_azure *a, const char *arg)
{
    static const struct { const char *name; az_auth_kind kind; } kinds[] = {
        { "auto", AZ_AUTH_AUTO }, { "secret", AZ_AUTH_SECRET },
        { "workload", AZ_AUTH_WORKLOAD }, { "msi", AZ_AUTH_MSI }, { "cli", AZ_AUTH_CLI },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(arg, kinds[i].name) == 0) {
            a->opts.auth = kinds[i].kind;
            return 1;
        }
    cli_err("--auth: '%s' is not one of secret, workload, msi, cli", arg);
    return -1;
}

static int cli_url_arg(const char *opt, const char *arg)
{
    if (strncasecmp(arg, "https://", 8) != 0 || arg[8] == '\0') {
        cli_err("--%s: '%s' is not an https:// URL", opt, arg);
        return -1;
    }
    return 1;
}

int cli_azure_option(cli_azure *a, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_CLOUD:
        if (strcasecmp(arg, "AzureCloud") != 0 && strcasecmp(arg, "AzureUSGovernment") != 0 &&
            strcasecmp(arg, "AzureChinaCloud") != 0) {
            cli_err("--cloud: '%s' is not AzureCloud, AzureUSGovernment "
                    "or AzureChinaCloud", arg);
            return -1;
        }
        a->opts.cloud = arg;
        return 1;
    case CLI_OPT_ARM_ENDPOINT:
        a->opts.arm_endpoint = arg;
        return cli_url_arg("arm-endpoint", arg);
    case CLI_OPT_ARM_AUDIENCE:
        a->opts.arm_audience = arg;
        return 1;
    case CLI_OPT_AUTHORITY_HOST:
        a->opts.authority_host = arg;
        return cli_url_arg("authority-host", arg);
    case CLI_OPT_AUTH:
        return cli_auth_arg(a, arg);
    case CLI_OPT_CA_FILE:
        if (access(arg, R_OK) != 0) {
            cli_err("--ca-file: %s: %s", arg, strerror(errno));
            return -1;
        }
        a->opts.ca_file = arg;
        return 1;
    case CLI_OPT_SUBSCRIPTION:
        a->subscription = arg;
        return 1;
    case CLI_OPT_PARALLEL:
        return cli_int_arg("parallel", arg, 1, 256, &a->opts.parallel) == 0 ? 1 : -1;
    case CLI_OPT_VERBOSE:
        a->opts.verbose = true;
        return 1;
    case CLI_OPT_TIMEOUT:
        return cli_int_arg("timeout", arg, 1, 3600, &a->opts.request_timeout_s) == 0 ? 1 : -1;
    case CLI_OPT_RETRY_BUDGET:
        /* the run's whole allowance for a failing ARM, and each request's */
        return cli_int_arg("retry-budget", arg, 1, 86400, &a->opts.retry_budget_s) == 0 ? 1 : -1;
    default:
        return 0;
    }
}

const char *cli_policy_subscription(const cli_azure *a, const pol_policy *p)
{
    bool given = a->subscription != NULL && *a->subscription != '\0';
    if (pol_many_subscriptions(p)) {
        /* a command that works in one subscription: the one chosen, if the policy has it */
        if (given && pol_subscription_allowed(p, a->subscription, strlen(a->subscription)))
            return a->subscription;
        fprintf(stderr, "snapkeep: policy \"%s\" spans several subscriptions: name the one "
                "to work in with --subscription (or AZURE_SUBSCRIPTION_ID)%s\n", p->name,
                given ? ", one the policy names" : "");
        return NULL;
    }
    if (p->subscription != NULL && *p->subscription != '\0')
        return p->subscription;
    if (given)
        return a->subscription;
    cli_err("policy \"%s\": no subscription: set `subscription` in the "
            "policy, --subscription or AZURE_SUBSCRIPTION_ID", p->name);
    return NULL;
}

int cli_policy_scope_subscription(const cli_azure *a, const pol_policy *p, const char **out)
{
    *out = NULL;
    if (pol_many_subscriptions(p))
        return 0;
    *out = cli_policy_subscription(a, p);
    return *out != NULL ? 0 : -1;
}

void cli_print_az_error(const char *what, const az_error *err)
{
    char extra[256] = "";
    size_t n = 0;
    if (az_error_is_oom(err)) {
        cli_oom_note();
        cli_err("out of memory (%s)", cli_oom_context(what));
        return;
    }
    if (err->http_status != 0)
        n += (size_t)snprintf(extra + n, sizeof extra - n, "HTTP %d", err->http_status);
    else if (err->transport)
        n += (size_t)snprintf(extra + n, sizeof extra - n, "no answer");
    if (err->retries_exhausted && n < sizeof extra)
        n += (size_t)snprintf(extra + n, sizeof extra - n, "%sretries exhausted", n ? ", " : "");
    if (err->request_id[0] != '\0' && n < sizeof extra)
        n += (size_t)snprintf(extra + n, sizeof extra - n, "%srequest id %s", n ? ", " : "",
                              err->request_id);
    if (err->correlation_id[0] != '\0' && n < sizeof extra)
        snprintf(extra + n, sizeof extra - n, "%scorrelation id %s", n ? ", " : "",
                 err->correlation_id);
    fprintf(stderr, "snapkeep: %s: %s: %s%s%s%s\n", what,
            err->code[0] ? err->code : "Error", err->message,
            extra[0] ? " (" : "", extra, extra[0] ? ")" : "");
}

/* ---- the live inventory ------------------------------------------- */

typedef struct live_scope {
    const char *subscription;       /* NULL: every one (`subscription all`) */
    const char *resource_group;     /* NULL: the whole subscription */
    bool disks;                     /* a policy of it selects `disks tagged` */
} live_scope;

typedef struct live_raw {
    inv_inventory *inv;
    char **items;                   /* parallel to inv->snapshots */
    size_t cap;
    bool oom;
} live_raw;

static bool live_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcasecmp(a, b) == 0);
}

/* One listing per distinct scope; a subscription-wide one covers every
 * resource group of that subscription. */
static size_t live_add_scope(live_scope *scopes, size_t n, const char *sub, const char *rg,
                             bool disks)
{
    for (size_t i = 0; i < n; i++)
        if (live_same(scopes[i].subscription, sub) &&
            (scopes[i].resource_group == NULL || live_same(scopes[i].resource_group, rg))) {
            scopes[i].disks |= disks;
            return n;
        }
    scopes[n] = (live_scope){ sub, rg, disks };
    return n + 1;
}

static bool live_covered(const live_scope *scopes, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++)
        if (i != k && scopes[i].resource_group == NULL && scopes[k].resource_group != NULL &&
            live_same(scopes[i].subscription, scopes[k].subscription))
            return true;
    return false;
}

static void live_on_page(void *ctx, const char *body, size_t len, size_t first, size_t count)
{
    live_raw *r = ctx;
    if (r->oom || count == 0)
        return;
    if (first + count > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < first + count)
            cap *= 2;
        char **ni = realloc(r->items, cap * sizeof *ni);
        if (ni == NULL) {
            r->oom = true;
            return;
        }
        memset(ni + r->cap, 0, (cap - r->cap) * sizeof *ni);
        r->items = ni;
        r->cap = cap;
    }
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    /* the reader appends one record per element, in order; kept only
     * where the IDs agree, else the record is written from its fields */
    if (cJSON_IsArray(value) && (size_t)cJSON_GetArraySize(value) == count) {
        size_t i = 0;
        const cJSON *el;
        cJSON_ArrayForEach(el, value) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(el, "id");
            const char *have = r->inv->snapshots[first + i].id;
            if (cJSON_IsString(id) && have != NULL && strcasecmp(id->valuestring, have) == 0)
                r->items[first + i] = cJSON_PrintUnformatted(el);
            i++;
        }
    }
    cJSON_Delete(root);
}

static int live_list(az_client *client, const live_scope *s, inv_inventory *inv,
                     live_raw *raw)
{
    az_error err;
    char what[600];
    snprintf(what, sizeof what, "listing snapshots of %s%s", s->resource_group ?
             "resource group " : "subscription ", s->resource_group ? s->resource_group
             : s->subscription);
    if (az_list_snapshots_pages(client, s->subscription, s->resource_group, inv,
                                raw ? live_on_page : NULL, raw, &err) != 0) {
        cli_print_az_error(what, &err);
        return -1;
    }
    /* Every scope's disks, not only for `disks tagged`: a snapshot whose
     * disk is missing from a complete disk list is of a disk that is gone,
     * and one whose sourceUniqueId is not its disk's is of an earlier disk
     * of that name (engine/identity.h). */
    if (az_list_disks(client, s->subscription, s->resource_group, inv, &err) != 0) {
        snprintf(what, sizeof what, "listing disks of %s", s->resource_group ?
                 s->resource_group : s->subscription);
        cli_print_az_error(what, &err);
        return -1;
    }
    if (inv_add_disk_scope(inv, s->subscription, s->resource_group) != 0) {
        fputs("snapkeep: out of memory\n", stderr);
        return -1;
    }
    return 0;
}

static const char *live_key(const char *id)
{
    while (*id == '/')
        id++;
    return id;
}

typedef struct live_ix { const char *id; size_t at; } live_ix;

static int live_ix_cmp(const void *a, const void *b)
{
    const live_ix *x = a, *y = b;
    int c = strcasecmp(live_key(x->id), live_key(y->id));
    return c != 0 ? c : (x->at < y->at ? -1 : x->at > y->at);
}

/* Marks in drop[] every record whose ID an earlier record already has. */
static int live_dups(const char *const *ids, size_t stride_n, bool *drop)
{
    live_ix *ix = malloc((stride_n ? stride_n : 1) * sizeof *ix);
    if (ix == NULL)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < stride_n; i++)
        if (ids[i] != NULL && *live_key(ids[i]) != '\0')
            ix[m++] = (live_ix){ ids[i], i };
    qsort(ix, m, sizeof *ix, live_ix_cmp);
    for (size_t i = 1; i < m; i++)
        if (strcasecmp(live_key(ix[i].id), live_key(ix[i - 1].id)) == 0)
            drop[ix[i].at] = true;
    free(ix);
    return 0;
}

static int live_dedupe(inv_inventory *inv, char **raw)
{
    size_t n = inv->nsnapshots > inv->ndisks ? inv->nsnapshots : inv->ndisks;
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    bool *drop = calloc(n ? n : 1, sizeof *drop);
    int rc = ids && drop ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < inv->nsnapshots; i++)
        ids[i] = inv->snapshots[i].id;
    if (rc == 0 && (rc = live_dups(ids, inv->nsnapshots, drop)) == 0) {
        size_t k = 0;
        for (size_t i = 0; i < inv->nsnapshots; i++) {
            if (drop[i]) {
                if (raw != NULL)
                    cJSON_free(raw[i]);
                continue;
            }
            inv->snapshots[k] = inv->snapshots[i];
            if (raw != NULL)
                raw[k] = raw[i];
            k++;
        }
        inv->nsnapshots = k;
        memset(drop, 0, n * sizeof *drop);
        for (size_t i = 0; i < inv->ndisks; i++)
            ids[i] = inv->disks[i].id;
        if ((rc = live_dups(ids, inv->ndisks, drop)) == 0) {
            k = 0;
            for (size_t i = 0; i < inv->ndisks; i++)
                if (!drop[i])
                    inv->disks[k++] = inv->disks[i];
            inv->ndisks = k;
        }
    }
    free(ids);
    free(drop);
    return rc;
}

void cli_raw_free(char **raw, size_t n)
{
    if (raw == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        cJSON_free(raw[i]);
    free(raw);
}

static int live_scopes(const cli_azure *a, const pol_file *f, live_scope **out, size_t *n)
{
    size_t cap = 0;
    for (size_t i = 0; i < f->npolicies; i++)
        cap += f->policies[i]->nsubscriptions > 1 ? f->policies[i]->nsubscriptions : 1;
    live_scope *scopes = calloc(cap ? cap : 1, sizeof *scopes);
    *n = 0;
    if (scopes == NULL) {
        cli_err("out of memory");
        return EXIT_AZURE;
    }
    /* subscription-wide scopes first, so resource groups fold into them */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < f->npolicies; i++) {
            const pol_policy *p = f->policies[i];
            if ((pass == 0) != (p->resource_group == NULL))
                continue;
            bool disks = p->ndisk_tags > 0;
            if (p->all_subscriptions) {
                *n = live_add_scope(scopes, *n, NULL, p->resource_group, disks);
                continue;
            }
            if (p->nsubscriptions > 1) {
                for (size_t k = 0; k < p->nsubscriptions; k++)
                    *n = live_add_scope(scopes, *n, p->subscriptions[k], p->resource_group,
                                        disks);
                continue;
            }
            const char *sub = cli_policy_subscription(a, p);
            if (sub == NULL) {
                free(scopes);
                return EXIT_INVALID;
            }
            *n = live_add_scope(scopes, *n, sub, p->resource_group, disks);
        }
    *out = scopes;
    return EXIT_OK;
}

/* More than one subscription in play (or every one): Resource Graph. */
static bool live_many(const live_scope *scopes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (scopes[i].subscription == NULL ||
            strcasecmp(scopes[i].subscription, scopes[0].subscription) != 0)
            return true;
    return false;
}

/* Every scope's snapshots (and disks, where a scope needs them) in one
 * Resource Graph query per kind, over the subscriptions named (or all). */
static int live_graph(az_client *client, const live_scope *scopes, size_t n,
                      inv_inventory *inv, live_raw *raw)
{
    const char **subs = calloc(n, sizeof *subs);
    az_graph_scope *gs = calloc(n, sizeof *gs);
    size_t nsubs = 0;
    bool all = false, disks = false;
    int rc = subs != NULL && gs != NULL ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        gs[i] = (az_graph_scope){ scopes[i].subscription, scopes[i].resource_group };
        disks |= scopes[i].disks;
        if (scopes[i].subscription == NULL) {
            all = true;
            continue;
        }
        bool seen = false;
        for (size_t k = 0; k < nsubs && !seen; k++)
            seen = strcasecmp(subs[k], scopes[i].subscription) == 0;
        if (!seen)
            subs[nsubs++] = scopes[i].subscription;
    }
    if (rc != 0)
        fputs("snapkeep: out of memory\n", stderr);
    az_graph_list_req q = { .subscriptions = subs, .nsubscriptions = all ? 0 : nsubs,
                            .scopes = gs, .nscopes = n,
                            .on_page = raw ? live_on_page : NULL, .ctx = raw };
    az_error err;
    if (rc == 0 && az_graph_list(client, &q, inv, &err) != 0) {
        cli_print_az_error("listing snapshots through Resource Graph", &err);
        rc = -1;
    }
    /* every scope's disks, as the ARM listing takes them (live_list): a
     * disk missing from a complete list is gone, one with another uniqueId
     * is a new disk of an old name (engine/identity.h) */
    (void)disks;
    q.disks = true;
    q.on_page = NULL;
    if (rc == 0 && az_graph_list(client, &q, inv, &err) != 0) {
        cli_print_az_error("listing disks through Resource Graph", &err);
        rc = -1;
    }
    /* the list is complete for each named scope; `subscription all` names
     * none, so there no disk is judged gone */
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (scopes[i].subscription != NULL &&
            inv_add_disk_scope(inv, scopes[i].subscription, scopes[i].resource_group) != 0) {
            fputs("snapkeep: out of memory\n", stderr);
            rc = -1;
        }
    free(subs);
    free(gs);
    return rc;
}

int cli_live_inventory_raw(az_client *client, const cli_azure *a, const pol_file *f,
                           inv_inventory **out, char ***raw)
{
    live_scope *scopes = NULL;
    size_t n;
    *out = NULL;
    if (raw != NULL)
        *raw = NULL;
    int rc = live_scopes(a, f, &scopes, &n);
    if (rc != EXIT_OK)
        return rc;
    inv_inventory *inv = inv_new();
    live_raw lr = { .inv = inv };
    if (inv != NULL && live_many(scopes, n)) {
        if (live_graph(client, scopes, n, inv, raw ? &lr : NULL) != 0)
            rc = EXIT_AZURE;
        n = 0;      /* listed */
    }
    for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
        if (inv == NULL) {
            cli_err("out of memory");
            rc = EXIT_AZURE;
        } else if (!live_covered(scopes, n, i) &&
                   live_list(client, &scopes[i], inv, raw ? &lr : NULL) != 0)
            rc = EXIT_AZURE;
    }
    if (rc == EXIT_OK && (lr.oom || live_dedupe(inv, lr.items) != 0)) {
        cli_err("out of memory");
        rc = EXIT_AZURE;
    }
    free(scopes);
    if (rc != EXIT_OK) {
        cli_raw_free(lr.items, lr.cap);
        inv_free(inv);
        return rc;
    }
    if (raw != NULL) {
        /* one slot per snapshot even where no page was seen */
        if (lr.cap < inv->nsnapshots) {
            char **ni = realloc(lr.items, (inv->nsnapshots + 1) * sizeof *ni);
            if (ni == NULL) {
                cli_raw_free(lr.items, lr.cap);
                inv_free(inv);
                cli_err("out of memory");
                return EXIT_AZURE;
            }
            memset(ni + lr.cap, 0, (inv->nsnapshots + 1 - lr.cap) * sizeof *ni);
            lr.items = ni;
        }
        for (size_t i = inv->nsnapshots; i < lr.cap; i++)
            lr.items[i] = NULL;
        *raw = lr.items;
    }
    *out = inv;
    return EXIT_OK;
}

int cli_live_inventory(az_client *client, const cli_azure *a, const pol_file *f,
                       inv_inventory **out)
{
    return cli_live_inventory_raw(client, a, f, out, NULL);
}
