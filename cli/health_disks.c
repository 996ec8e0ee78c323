/* The disks one policy answers for; see health.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/azure.h"
#include "cli/health.h"
#include "engine/enforce.h"

void cli_disk_list_free(cli_disk_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->ids[i]);
    free(l->ids);
    l->ids = NULL;
    l->n = 0;
}

static int add(cli_disk_list *l, const char *id)
{
    if (id == NULL || id[0] == '\0')
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (enf_same_id(l->ids[i], id))
            return 0;
    char **n = realloc(l->ids, (l->n + 1) * sizeof *n);
    if (n == NULL)
        return -1;
    l->ids = n;
    size_t len = strlen(id);
    l->ids[l->n] = malloc(len + 2);
    if (l->ids[l->n] == NULL)
        return -1;
    snprintf(l->ids[l->n], len + 2, "%s%s", id[0] == '/' ? "" : "/", id);
    l->n++;
    return 0;
}

/* A disk written by name only: the one listed disk of that name, else
 * the one source disk of that name among the snapshots. */
static const char *by_name(const inv_inventory *inv, const char *name)
{
    const char *hit = NULL;
    for (size_t i = 0; inv != NULL && i < inv->ndisks; i++)
        if (inv->disks[i].name != NULL && strcasecmp(inv->disks[i].name, name) == 0) {
            if (hit != NULL && !enf_same_id(hit, inv->disks[i].id))
                return NULL;
            hit = inv->disks[i].id;
        }
    if (hit != NULL)
        return hit;
    for (size_t i = 0; inv != NULL && i < inv->nsnapshots; i++) {
        const char *src = inv->snapshots[i].source_id;
        if (src == NULL || strcasecmp(enf_id_name(src), name) != 0)
            continue;
        if (hit != NULL && !enf_same_id(hit, src))
            return NULL;        /* two disks of that name: as ambiguous as for run */
        hit = src;
    }
    return hit;
}

static int from_policy(const pol_policy *p, const char *subscription, const inv_inventory *inv,
                       cli_disk_list *out)
{
    for (size_t i = 0; i < p->ndisks; i++) {
        const char *entry = p->disks[i];
        char id[1024];
        if (strchr(entry, '/') != NULL) {
            if (add(out, entry) != 0)
                return -1;
        } else if (p->resource_group != NULL && subscription != NULL) {
            if (az_resource_id(id, sizeof id, subscription, p->resource_group, "disks", entry) == 0 &&
                add(out, id) != 0)
                return -1;
        } else if (add(out, by_name(inv, entry)) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; p->ndisk_tags > 0 && inv != NULL && i < inv->ndisks; i++)
        if (eng_policy_scopes_disk(p, inv->disks[i].id, inv) && add(out, inv->disks[i].id) != 0)
            return -1;
    return 0;
}

int cli_health_disks(const pol_policy *p, const char *subscription, const inv_inventory *inv,
                     char *const *resolved, size_t nresolved, cli_disk_list *out)
{
    out->ids = NULL;
    out->n = 0;
    int rc = 0;
    if (resolved != NULL) {
        for (size_t i = 0; rc == 0 && i < nresolved; i++)
            rc = add(out, resolved[i]);
    } else {
        rc = from_policy(p, subscription, inv, out);
    }
    for (size_t i = 0; rc == 0 && inv != NULL && i < inv->nsnapshots; i++)
        if (eng_policy_owns(p, &inv->snapshots[i], inv))
            rc = add(out, inv->snapshots[i].source_id);
    if (rc != 0)
        cli_disk_list_free(out);
    return rc;
}
