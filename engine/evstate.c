/* Which snapshots are backups. ARM creates a snapshot in state Creating (or
 * Updating, Pending...) and ends in Succeeded, Failed or Canceled; only a
 * Succeeded one holds a usable copy of the disk. An inventory written
 * without the field (offline `az` output of old versions, hand-made files)
 * is taken as all Succeeded, as enforce.c's enf_snapshot_usable does: the
 * two must agree, or a plan would count snapshots a run refuses to touch. */
#include "engine/eval_priv.h"

static char ev_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ev_state_is(const inv_snapshot *s, const char *want)
{
    const char *st = s->provisioning_state;
    if (st == NULL)
        return false;
    while (*st != '\0' && ev_lower(*st) == ev_lower(*want)) {
        st++;
        want++;
    }
    return *st == '\0' && *want == '\0';
}

bool eng_snapshot_is_backup(const inv_snapshot *s)
{
    return s->provisioning_state == NULL || s->provisioning_state[0] == '\0' ||
           ev_state_is(s, "Succeeded");
}

bool eng_snapshot_failed(const inv_snapshot *s)
{
    return ev_state_is(s, "Failed") || ev_state_is(s, "Canceled");
}
