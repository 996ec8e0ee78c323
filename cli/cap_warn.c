/* The cap warnings: the one `check` and `explain` print (engine/explain.h's
 * eng_explain_cap_of), in the compiler's diagnostic form at the policy's
 * location, so one figure reads the same in both; and plan's list of disks
 * near Azure's cap (engine/enforce.h's enf_near_cap_disks). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "engine/azure_limits.h"
#include "engine/enforce.h"

bool cli_cap_warning(const eng_explain *e, FILE *out)
{
    eng_explain_cap c;
    eng_explain_cap_of(e, &c);
    if (!c.known || !c.over)
        return false;
    const pol_policy *p = e->p;
    char cadence[RPT_AGE_BUFSZ], floor[96] = "", msg[1024];
    rpt_format_age(e->cadence_usec, cadence, sizeof cadence);
    if (c.floor > 0)
        snprintf(floor, sizeof floor, " plus %lld for its `last` floor", (long long)c.floor);
    snprintf(msg, sizeof msg, "policy \"%s\" keeps up to %lld snapshots per disk (its steady "
             "state of %lld at a %s cadence%s): above the %d a policy should use of Azure's %d "
             "per disk, so a disk that also has snapshots made by hand or by other tools will one "
             "day refuse new ones; thin a tier or lengthen the cadence",
             p->name, (long long)c.total, (long long)c.steady, cadence, floor,
             ENG_SNAPSHOTS_POLICY_BUDGET, ENG_SNAPSHOTS_PER_DISK_MAX);
    pol_diag d = { .level = POL_WARNING, .file = (char *)(p->loc.file ? p->loc.file : ""),
                   .line = p->loc.line, .col = p->loc.col, .message = msg };
    char *text = pol_diag_render(&d);
    if (text == NULL)
        return false;
    fputs(text, out);
    free(text);
    return true;
}

int cli_near_cap_warnings(const inv_inventory *inv, const char *command, FILE *out)
{
    enf_disk_count *d = NULL;
    long n = enf_near_cap_disks(inv, &d);
    if (n < 0) {
        fprintf(out, "snapkeep: %s: out of memory\n", command);
        return -1;
    }
    for (long i = 0; i < n; i++)
        fprintf(out, "snapkeep: %s: warning: disk %s has %zu incremental snapshots (%zu without "
                "a snapkeep ownership tag), within 10 %% of Azure's limit of %d per disk: at "
                "%d, Azure refuses new ones and run reports the disk as failed (exit 4)\n",
                command, d[i].disk_id, d[i].incremental, d[i].foreign_tagless,
                ENG_SNAPSHOTS_PER_DISK_MAX, ENG_SNAPSHOTS_PER_DISK_MAX);
    free(d);
    return (int)n;
}
