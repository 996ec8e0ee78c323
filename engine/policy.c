/* Freeing the rule tree, and the tag matching every selector shares. */
#include <stdlib.h>
#include <string.h>

#include "engine/ascii.h"
#include "engine/inventory.h"
#include "engine/policy.h"

static void tags_free(pol_tag_match *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].key);
        free(t[i].value);
    }
    free(t);
}

void pol_recovery_free(pol_recovery *r)
{
    if (r == NULL)
        return;
    free(r->vm);
    free(r->scratch_vm);
    free(r->verify);
    free(r->device_dir);
    free(r->standby);
    free(r->public_ip);
    free(r->dns_zone);
    free(r->dns_name);
    free(r);
}

void pol_policy_free(pol_policy *p)
{
    if (p == NULL)
        return;
    free(p->name);
    free(p->timezone);
    eng_tz_free(p->tz);
    free(p->subscription);
    for (size_t i = 0; i < p->nsubscriptions; i++)
        free(p->subscriptions[i]);
    free(p->subscriptions);
    free(p->resource_group);
    for (size_t i = 0; i < p->ndisks; i++)
        free(p->disks[i]);
    free(p->disks);
    tags_free(p->disk_tags, p->ndisk_tags);
    free(p->sku);
    tags_free(p->extra_tags, p->nextra_tags);
    /* const for readers; the policy owns it */
    pol_recovery_free((pol_recovery *)p->recovery);
    pol_copy_free((pol_copy *)p->copy);
    for (size_t i = 0; i < p->nrules; i++) {
        free(p->rules[i].text);
        tags_free(p->rules[i].tags, p->rules[i].ntags);
    }
    free(p->rules);
    free(p);
}

void pol_copy_free(pol_copy *c)
{
    if (c == NULL)
        return;
    free(c->region);
    free(c->subscription);
    free(c->resource_group);
    pol_policy_free(c->retention);
    free(c);
}

void pol_file_free(pol_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->npolicies; i++)
        pol_policy_free(f->policies[i]);
    free(f->policies);
    free(f->path);
    free(f);
}

/* Tag names compare case-insensitively, as ARM treats them; values
 * exactly. A wanted tag without a value matches any value. */
bool pol_tags_match(const pol_tag_match *want, size_t nwant,
                    const struct inv_tag *have, size_t nhave)
{
    for (size_t i = 0; i < nwant; i++) {
        bool found = false;
        for (size_t j = 0; j < nhave && !found; j++) {
            if (have[j].key == NULL || !eng_ascii_ieq(want[i].key, have[j].key))
                continue;
            found = want[i].value == NULL ||
                    (have[j].value != NULL && strcmp(want[i].value, have[j].value) == 0);
        }
        if (!found)
            return false;
    }
    return true;
}

bool pol_many_subscriptions(const pol_policy *p)
{
    return p->all_subscriptions || p->nsubscriptions > 1;
}

bool pol_subscription_allowed(const pol_policy *p, const char *sub, size_t len)
{
    if (p->all_subscriptions || (p->nsubscriptions == 0 && p->subscription == NULL))
        return true;
    /* a policy built by hand may set only `subscription` */
    size_t n = p->nsubscriptions > 0 ? p->nsubscriptions : 1;
    for (size_t i = 0; i < n; i++) {
        const char *s = p->nsubscriptions > 0 ? p->subscriptions[i] : p->subscription;
        size_t k = 0;
        while (k < len && s[k] != '\0' &&
               eng_ascii_lower((unsigned char)s[k]) == eng_ascii_lower((unsigned char)sub[k]))
            k++;
        if (k == len && s[k] == '\0')
            return true;
    }
    return false;
}
