/* `snapkeep plan` with copy-to, read live (cli/plan_copy.h): the same holds as `run`, and the
 * copies' own plan. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plan_copy.h"
#include "cli/report.h"
#include "engine/azure_limits.h"
#include "engine/copies.h"

int plan_copy_list(az_client *c, const cli_azure *a, const pol_file *f, plan_copies *out)
{
    memset(out, 0, sizeof *out);
    out->raw = calloc(f->npolicies + 1, sizeof *out->raw);
    out->holds = calloc(f->npolicies + 1, sizeof *out->holds);
    if (out->raw == NULL || out->holds == NULL) {
        fputs("snapkeep: plan: out of memory\n", stderr);
        return EXIT_AZURE;
    }
    out->n = f->npolicies;
    for (size_t i = 0; i < f->npolicies; i++) {
        const pol_policy *p = f->policies[i];
        if (p->copy == NULL)
            continue;
        const char *sub = p->copy->subscription != NULL ? p->copy->subscription
                                                        : cli_policy_subscription(a, p);
        az_error err;
        memset(&err, 0, sizeof err);
        if (sub == NULL)
            return EXIT_INVALID;
        if ((out->raw[i] = inv_new()) == NULL ||
            az_list_snapshots(c, sub, p->copy->resource_group, out->raw[i], &err) != 0) {
            cli_print_az_error("plan: listing the copies", &err);
            return EXIT_AZURE;
        }
    }
    return EXIT_OK;
}

int plan_copy_hold(plan_copies *pc, const pol_file *f, eng_plan *plan, const inv_inventory *inv,
                   sk_time now)
{
    for (size_t i = 0; i < pc->n; i++) {
        if (pc->raw[i] == NULL)
            continue;
        const pol_policy *p = f->policies[i];
        size_t running = eng_copy_running(pc->raw[i]);
        size_t slots = running < ENG_COPIES_PARALLEL_MAX ? ENG_COPIES_PARALLEL_MAX - running : 0;
        eng_copy_plan cp;
        char err[256];
        if (eng_copy_decide(p, inv, pc->raw[i], now, &slots, &cp, err, sizeof err) != 0)
            return -1;
        for (size_t k = 0; k < cp.nstarts; k++)
            fprintf(stderr, "snapkeep: plan: policy %s would copy %s to %s as %s\n", p->name,
                    cp.starts[k].source->name, p->copy->region, cp.starts[k].name);
        for (size_t k = 0; k < cp.nnotes; k++)
            fprintf(stderr, "snapkeep: plan: policy %s: %s\n", p->name, cp.notes[k].message);
        int rc = eng_copy_protect(plan, p, &cp, &pc->holds[i]);
        eng_copy_plan_free(&cp);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int plan_copy_tables(FILE *out, const plan_copies *pc, const pol_file *f, const char *path,
                     sk_time now, bool colour)
{
    for (size_t i = 0; i < pc->n; i++) {
        if (pc->raw[i] == NULL)
            continue;
        const pol_policy *p = f->policies[i];
        pol_policy *ret = p->copy->retention;
        inv_inventory *view = eng_copy_view(p, pc->raw[i]);
        eng_plan *plan = NULL;
        char err[256];
        if (view == NULL || eng_evaluate((const pol_policy *const *)&ret, 1, view, now, &plan,
                                         err, sizeof err) != 0) {
            inv_free(view);
            return -1;
        }
        /* the copies' retention as the one policy of a file of its own */
        pol_file one = { .path = (char *)path, .policies = &ret, .npolicies = 1 };
        char where[512];
        snprintf(where, sizeof where, "copies of policy %s in %s, resource group %s", p->name,
                 p->copy->region, p->copy->resource_group);
        rpt_plan r = { .plan = plan, .file = &one, .inv = view, .policy_path = path,
                       .inventory_path = where, .colour = colour };
        fprintf(out, "\n");
        int rc = rpt_plan_table(out, &r);
        eng_plan_free(plan);
        inv_free(view);
        if (rc != 0)
            return -1;
    }
    return 0;
}

void plan_copy_free(plan_copies *pc)
{
    for (size_t i = 0; i < pc->n; i++) {
        inv_free(pc->raw[i]);
        eng_copy_protect_free(pc->holds[i]);
    }
    free(pc->raw);
    free(pc->holds);
    memset(pc, 0, sizeof *pc);
}
