/* snapkeep inventory POLICY [--format json] [AZURE OPTIONS]: the live
 * snapshots the policies govern, as an ARM list response ({"value":[...]}),
 * the file `plan --inventory` reads. Each snapshot is written as ARM
 * returned it. All or nothing: a failed page means exit 3 and no output. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/azure_opts.h"
#include "cli/cli.h"
#include "engine/evaluate.h"

enum { OPT_FORMAT = CLI_OPT_AZURE_LAST, OPT_HELP };

static const struct option inventory_options[] = {
    CLI_AZURE_LONG_OPTIONS,
    { "format", required_argument, NULL, OPT_FORMAT },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

/* A snapshot whose page text could not be kept, written from its record
 * with every field the inventory reader uses. */
static char *inventory_from_record(const inv_snapshot *s)
{
    char when[ENG_TIME_BUFSZ];
    cJSON *o = cJSON_CreateObject(), *tags, *props, *cd, *sku;
    eng_time_format(s->created, when, sizeof when);
    bool ok = o != NULL && cJSON_AddStringToObject(o, "name", s->name) &&
              cJSON_AddStringToObject(o, "id", s->id ? s->id : "") &&
              cJSON_AddStringToObject(o, "type", "Microsoft.Compute/snapshots");
    if (ok && s->location)
        ok = cJSON_AddStringToObject(o, "location", s->location) != NULL;
    if (ok && s->sku)
        ok = (sku = cJSON_AddObjectToObject(o, "sku")) && cJSON_AddStringToObject(sku, "name", s->sku);
    ok = ok && (tags = cJSON_AddObjectToObject(o, "tags")) != NULL;
    for (uint32_t i = 0; ok && i < s->ntags; i++)
        ok = cJSON_AddStringToObject(tags, s->tags[i].key, s->tags[i].value ? s->tags[i].value : "") != NULL;
    ok = ok && (props = cJSON_AddObjectToObject(o, "properties")) != NULL &&
         cJSON_AddStringToObject(props, "timeCreated", when) &&
         cJSON_AddBoolToObject(props, "incremental", s->incremental);
    if (ok && s->provisioning_state)
        ok = cJSON_AddStringToObject(props, "provisioningState", s->provisioning_state) != NULL;
    if (ok && s->source_id)
        ok = (cd = cJSON_AddObjectToObject(props, "creationData")) &&
             cJSON_AddStringToObject(cd, "createOption", "Copy") &&
             cJSON_AddStringToObject(cd, "sourceResourceId", s->source_id) &&
             (s->source_unique_id == NULL ||
              cJSON_AddStringToObject(cd, "sourceUniqueId", s->source_unique_id));
    /* the disk's identity and the background copy decide too (engine/identity.h) */
    if (ok && s->has_completion)
        ok = cJSON_AddNumberToObject(props, "completionPercent", s->completion_percent) != NULL;
    cJSON *ce;
    if (ok && s->copy_error_code != NULL)
        ok = (ce = cJSON_AddObjectToObject(props, "copyCompletionError")) &&
             cJSON_AddStringToObject(ce, "errorCode", s->copy_error_code) &&
             (s->copy_error_message == NULL ||
              cJSON_AddStringToObject(ce, "errorMessage", s->copy_error_message));
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

static bool inventory_governed(const pol_file *f, const inv_snapshot *s, const inv_inventory *inv)
{
    for (size_t i = 0; i < f->npolicies; i++)
        if (eng_policy_scopes(f->policies[i], s, inv))
            return true;
    return false;
}

/* The whole document in memory first: nothing reaches stdout unless all
 * of it can. */
static int inventory_write(const pol_file *f, const inv_inventory *inv, char **raw)
{
    size_t cap = 1 << 16, len = 0, count = 0;
    char *out = malloc(cap);
    int rc = out != NULL ? 0 : -1;
    if (rc == 0)
        len = (size_t)sprintf(out, "{\"value\":[");
    for (size_t i = 0; rc == 0 && i < inv->nsnapshots; i++) {
        const inv_snapshot *s = &inv->snapshots[i];
        if (!inventory_governed(f, s, inv))
            continue;
        char *own = raw[i] ? NULL : inventory_from_record(s);
        const char *text = raw[i] ? raw[i] : own;
        size_t tl = text ? strlen(text) : 0;
        if (text == NULL)
            rc = -1;
        else if (len + tl + 16 > cap) {
            while (len + tl + 16 > cap)
                cap *= 2;
            char *n = realloc(out, cap);
            if (n == NULL)
                rc = -1;
            else
                out = n;
        }
        if (rc == 0) {
            len += (size_t)sprintf(out + len, "%s\n", count++ ? "," : "");
            memcpy(out + len, text, tl);
            len += tl;
        }
        cJSON_free(own);
    }
    if (rc == 0) {
        len += (size_t)sprintf(out + len, "%s]}\n", count ? "\n" : "");
        if (fwrite(out, 1, len, stdout) != len || fflush(stdout) != 0) {
            perror("snapkeep: inventory: writing the output");
            rc = -2;
        }
    } else
        fputs("snapkeep: inventory: out of memory\n", stderr);
    free(out);
    return rc;
}

static int inventory_args(int argc, char **argv, cli_azure *a, const char **path)
{
    int opt;
    optind = 1;
    while ((opt = cli_getopt(argc, argv, inventory_options)) != -1) {
        int r = cli_azure_option(a, opt, optarg);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        switch (opt) {
        case OPT_FORMAT:
            if (cli_pick("--format", optarg, (const char *const[]){ "json", NULL }) < 0)
                return EXIT_USAGE;
            break;
        case 'h':
        case OPT_HELP:
            cli_help("inventory", stdout);
            return -1;
        default:                /* cli_getopt said what is wrong */
            cli_usage("inventory", stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snapkeep: inventory: %s\n", optind >= argc ? "which policy file?"
                                                                   : "one policy file only");
        cli_usage("inventory", stderr);
        return EXIT_USAGE;
    }
    *path = argv[optind];
    return EXIT_OK;
}

int cmd_inventory(int argc, char **argv)
{
    cli_azure a;
    const char *path = NULL;
    cli_azure_init(&a);
    int rc = inventory_args(argc, argv, &a, &path);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    pol_file *f = cli_load_policy(path, true);
    if (f == NULL)
        return EXIT_INVALID;
    az_client *client = NULL;
    az_error err;
    inv_inventory *inv = NULL;
    char **raw = NULL;
    if (az_client_new(&a.opts, &client, &err) != 0) {
        cli_print_az_error("azure", &err);
        rc = EXIT_AZURE;
    } else if ((rc = cli_live_inventory_raw(client, &a, f, &inv, &raw)) == EXIT_OK) {
        int w = inventory_write(f, inv, raw);
        rc = w == 0 ? EXIT_OK : w == -2 ? EXIT_INVALID : EXIT_AZURE;
    }
    if (inv != NULL)
        cli_raw_free(raw, inv->nsnapshots);
    inv_free(inv);
    az_client_free(client);
    pol_file_free(f);
    return rc;
}
