/* Test builders, linked into every test binary (every .c file in
 * tests/support/ is).
 *
 * They make the objects the engine reads without going through the parser
 * or the JSON readers, so an engine test depends on the engine only:
 *   - instants from text (tb_time), zones from /usr/share/zoneinfo (tb_zone);
 *   - pol_policy objects with rules written as policy text (tb_rules), scope
 *     settings (tb_scope, tb_disk, tb_disk_tag);
 *   - inventories with snapshots, tags and disks (tb_snap, tb_series, ...);
 *   - plan lookups (tb_eval, tb_kept, tb_reasons).
 * Every function aborts the binary with a message on misuse or when out of
 * memory: a test must not limp on with a half-built fixture. */
#ifndef SNAPKEEP_TESTS_BUILDERS_H
#define SNAPKEEP_TESTS_BUILDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/evaluate.h"
#include "engine/inventory.h"
#include "engine/policy.h"

#define TB_MIN  (INT64_C(60) * SK_USEC_PER_SEC)
#define TB_HOUR (INT64_C(3600) * SK_USEC_PER_SEC)
#define TB_DAY  (INT64_C(86400) * SK_USEC_PER_SEC)

/* A managed-disk ID in a fixed test subscription and resource group "rg". */
#define TB_SUB "00000000-0000-0000-0000-0000000000aa"
#define TB_DISK_ID(name) \
    "/subscriptions/" TB_SUB "/resourceGroups/rg/providers/Microsoft.Compute/disks/" name

/* ---- time ---- */

/* "2026-11-20", "2026-11-20T10:00Z", "2026-11-20T10:00:05Z", UTC only.
 * Written here (not eng_time_parse) so fixtures do not depend on the code
 * under test. */
sk_time tb_time(const char *text);
/* "2026-11-20T10:00" (UTC, minutes) into buf; returns buf. */
char *tb_time_str(sk_time t, char *buf, size_t n);
/* "UTC" is built in; other names are read from /usr/share/zoneinfo. */
eng_tz *tb_zone(const char *name);

/* ---- policies ---- */

/* A `policy NAME { }` block (anonymous = false) or a bare body (true), in
 * the zone named (NULL: UTC), with no rule and no scope. */
pol_policy *tb_policy(const char *name, bool anonymous, const char *zone);
/* Appends rules written as policy text, separated by ',' or ';':
 *   keep-all D | every I to D | hourly..yearly to D | last N|all |
 *   hourly..yearly N|all | within D | hourly..yearly within D |
 *   tagged "K" [= "V"] [and "K" [= "V"]]...
 * Rule i (0-based, over the policy's life) gets loc "test.policy:(i+1)" and
 * its own text as written. */
void tb_rules(pol_policy *p, const char *text);
void tb_scope(pol_policy *p, const char *subscription, const char *resource_group);
void tb_disk(pol_policy *p, const char *name_or_id);
void tb_disk_tag(pol_policy *p, const char *key, const char *value);
void tb_policy_free(pol_policy *p);     /* frees what tb_* allocated; NULL ok */

/* ---- inventories ---- */

inv_inventory *tb_inv(void);
/* Appends a snapshot (source_id may be NULL). The pointer is valid until
 * the next snapshot is added. */
inv_snapshot *tb_snap(inv_inventory *inv, const char *name, const char *source_id,
                      sk_time created);
/* Adds (or, as ARM would not allow, duplicates) a tag. */
void tb_snap_tag(inv_inventory *inv, inv_snapshot *s, const char *key, const char *value);
/* Sets the snapshot's provisioningState (NULL: absent, as tb_snap leaves it). */
void tb_snap_state(inv_inventory *inv, inv_snapshot *s, const char *state);
/* Snapshots from `from` to `to` inclusive every `step`, named
 * PREFIX + "MM-DDTHH:MM" (UTC). Returns how many were added. */
size_t tb_series(inv_inventory *inv, const char *prefix, const char *source_id,
                 sk_time from, sk_time to, int64_t step);
inv_disk *tb_inv_disk(inv_inventory *inv, const char *id);
void tb_inv_disk_tag(inv_inventory *inv, inv_disk *d, const char *key, const char *value);

/* ---- the run and status fixture ---- */

/* The policy test_enforce and test_health judge: "p" in UTC on the disk
 * entry "disk-a", `snapshot every 1h`, max-delete unlimited, no rule.
 * Overwrites *p; its strings are static (tests may repoint them); its zone
 * is freed by tb_hourly_delete (else eng_tz_free(p->tz)). */
void tb_hourly_policy(pol_policy *p);
/* The cmocka fixture of those tests: that policy and an empty inventory.
 * A test's own fixture may start with it (first member) and add more:
 * tb_hourly_new(sizeof own) allocates the whole (zeroed) and fills this
 * part; tb_hourly_delete frees it. */
typedef struct tb_hourly_fixture {
    pol_policy p;
    inv_inventory *inv;
} tb_hourly_fixture;
void *tb_hourly_new(size_t size);
void tb_hourly_delete(void *fixture);
/* tb_snap, then provisioningState `state` (NULL: absent) and, when owner
 * is not NULL, snapkeep's ownership tag with that value. */
inv_snapshot *tb_owned_snap(inv_inventory *inv, const char *name, const char *source_id,
                            sk_time created, const char *owner, const char *state);

/* ---- plans ---- */

/* eng_evaluate or abort. */
eng_plan *tb_eval(pol_policy *const *pols, size_t npols, const inv_inventory *inv,
                  sk_time now);
/* Names of the kept snapshots in inventory order, space-separated, into a
 * buffer the caller frees. */
char *tb_kept(const eng_plan *plan);
/* The decision of the first snapshot with that name, or NULL. */
const eng_decision *tb_find(const eng_plan *plan, const char *name);
/* All reasons of a decision formatted and joined by "; " into a buffer the
 * caller frees ("" when pruned). */
char *tb_reasons(const eng_decision *d);
size_t tb_count_kept(const eng_plan *plan);

#endif
