/* The rule tree: what grammar/ compiles a policy file into and what the
 * evaluator, explain and the Azure commands read. Every node remembers where
 * it was written, so reasons and messages can point at it. */
#ifndef SNAPKEEP_POLICY_H
#define SNAPKEEP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/calendar.h"
#include "engine/duration.h"
#include "engine/tz.h"

/* The ownership tag written on snapshots snapkeep creates. */
#define POL_OWNER_TAG "snapkeep-policy"
/* `last all`, `daily all`: no limit. */
#define POL_COUNT_ALL INT64_C(-1)

typedef struct pol_loc {
    const char *file;       /* owned by the pol_file */
    int line, col;          /* 1-based */
} pol_loc;

typedef struct pol_tag_match {
    char *key;
    char *value;            /* NULL: any value matches */
} pol_tag_match;

typedef enum pol_rule_kind {
    /* tiers: one chain per policy, in the order written */
    POL_KEEP_ALL,           /* keep-all D                 end                */
    POL_EVERY,              /* every I to D               width, end         */
    POL_CALENDAR_TIER,      /* hourly|daily|... to D      period, end        */
    /* the restic family: one shared newest-first walk */
    POL_LAST,               /* last N                     count              */
    POL_COUNT,              /* hourly|daily|... N         period, count      */
    POL_WITHIN,             /* within D                   window             */
    POL_PERIOD_WITHIN,      /* hourly|daily|... within D  period, window     */
    /* others */
    POL_TAGGED              /* tagged "K" [= "V"] [and ...]  tags            */
} pol_rule_kind;

typedef struct pol_rule {
    pol_rule_kind kind;
    pol_loc loc;
    char *text;             /* normalised rule text: "every 12h to 7d" */
    eng_period period;      /* CALENDAR_TIER, COUNT, PERIOD_WITHIN */
    pol_duration end;       /* tiers: the end of the tier's age window */
    pol_duration width;     /* EVERY: bucket width (no mo/y) */
    int64_t width_usec;     /* EVERY: width in microseconds */
    pol_duration window;    /* WITHIN, PERIOD_WITHIN */
    int64_t count;          /* LAST, COUNT: > 0, or POL_COUNT_ALL */
    pol_tag_match *tags;    /* TAGGED: all must match */
    size_t ntags;
} pol_rule;

static inline bool pol_rule_is_tier(const pol_rule *r)
{
    return r->kind == POL_KEEP_ALL || r->kind == POL_EVERY ||
           r->kind == POL_CALENDAR_TIER;
}

/* What the recovery commands (restore, drill, failover) use when no flag
 * names it: a `recovery { }` block. Each field is NULL, or its has_ flag
 * false, when no block sets it, so a command can tell "not written" from
 * a value and let its flags override either; the defaults below apply
 * only when neither a flag nor the file gives a value. Strings are owned
 * by the policy (pol_policy_free). */
#define POL_RECOVERY_DEVICE_DIR "/dev/disk/azure/scsi1"
#define POL_RECOVERY_VERIFY_TIMEOUT_SEC 600     /* 10m */
#define POL_RECOVERY_VERIFY_TIMEOUT_MAX_SEC 86400

typedef enum pol_dns_kind {
    POL_DNS_PRIVATE,        /* Microsoft.Network/privateDnsZones (default) */
    POL_DNS_PUBLIC          /* Microsoft.Network/dnsZones */
} pol_dns_kind;

typedef struct pol_recovery {
    pol_loc loc;            /* the `recovery` keyword that opened the block */
    char *vm;               /* production VM with the policy's disks: name or ID */
    char *scratch_vm;       /* drills attach their disks here: name or ID */
    char *verify;           /* shell command a drill runs on each disk */
    bool has_verify_timeout;
    int64_t verify_timeout_sec;     /* 60 .. 86400 */
    char *device_dir;       /* absolute path on the VM snapkeep runs on */
    char *standby;          /* failover target VM: name or ID */
    char *public_ip;        /* public IP moved on failover: name or ID */
    char *dns_zone;         /* dns-record "ZONE/NAME": both set or both NULL */
    char *dns_name;
    bool has_dns_zone_kind;
    pol_dns_kind dns_zone_kind;
    bool has_start_standby;
    bool start_standby;     /* default true */
} pol_recovery;

/* copy-to "REGION" { ... }: copies of the policy's snapshots in a second
 * region, with their own retention (snapkeep.policy(5), COPIES). The
 * retention is a policy of its own so the evaluator runs on the copies as
 * on any inventory: it carries the owner's name and time zone, the copy
 * block's rules, and no Azure scope (the copies are grouped by the disk of
 * their source, engine/copies.h). Strings owned by the copy. */
typedef struct pol_copy {
    pol_loc loc;            /* the `copy-to` keyword */
    char *region;           /* Azure location of the copies, e.g. "northeurope" */
    char *subscription;     /* NULL: the owning policy's */
    char *resource_group;   /* where the copies are made: required */
    struct pol_policy *retention;
} pol_copy;

/* A setting's value and where it was written (line 0: not set). */
typedef struct pol_setting_loc { pol_loc loc; } pol_setting_loc;

/* What becomes of a retired group: the snapshots of a disk that is gone, or
 * of an earlier disk of the same name (engine/identity.h). */
typedef enum pol_retired_kind {
    POL_RETIRED_FOREVER,    /* default: the rules go on thinning the group, and
                               its newest backup is kept for ever */
    POL_RETIRED_FOR,        /* as FOREVER until its newest backup is older than
                               retired_for, then nothing of it is kept by a rule */
    POL_RETIRED_KEEP_ALL    /* every backup of the group is kept */
} pol_retired_kind;

typedef struct pol_policy {
    char *name;             /* block name, or the file's base name */
    bool anonymous;         /* a bare-body file */
    pol_loc loc;

    /* settings, inherited from top level unless the block sets them */
    char *timezone;         /* IANA name, default "UTC" */
    eng_tz *tz;             /* loaded zone; owned by the policy */
    char *subscription;     /* the one subscription named; NULL: none (any / from
                             * the environment), or several (below) */
    char **subscriptions;   /* every subscription named, in order (one for
                             * `subscription "A"`); the scope checks read this */
    size_t nsubscriptions;
    bool all_subscriptions; /* `subscription all`: every one the identity sees */
    char *resource_group;   /* NULL: any */
    char **disks;           /* disk names or resource IDs */
    size_t ndisks;
    pol_tag_match *disk_tags;   /* disks tagged "K" = "V": any selector */
    size_t ndisk_tags;
    bool has_snapshot_every;
    pol_duration snapshot_every;
    bool has_stale_after;
    pol_duration stale_after;
    int64_t max_delete;     /* -1: not set (commands apply their default) */
    pol_retired_kind retired;   /* `retired ...`, default POL_RETIRED_FOREVER */
    pol_duration retired_for;   /* POL_RETIRED_FOR */
    bool adopt_untagged;
    bool incremental;       /* default true */
    char *sku;              /* NULL: ARM's default */
    pol_tag_match *extra_tags;  /* tag "K" = "V" on created snapshots */
    size_t nextra_tags;
    /* recovery { }: the block's own settings over the top level's, one by
     * one; NULL when neither writes a recovery block */
    const pol_recovery *recovery;
    /* copy-to { }: NULL when the policy makes no copies */
    const pol_copy *copy;

    /* retention rules in the order written */
    pol_rule *rules;
    size_t nrules;
} pol_policy;

typedef struct pol_file {
    char *path;             /* as given; pol_loc.file points here */
    bool bare;              /* one anonymous policy */
    pol_policy **policies;
    size_t npolicies;
} pol_file;

void pol_file_free(pol_file *f);        /* NULL is a no-op */
void pol_policy_free(pol_policy *p);    /* NULL is a no-op */
void pol_recovery_free(pol_recovery *r);    /* NULL is a no-op */
void pol_copy_free(pol_copy *c);            /* NULL is a no-op */

/* Whether a policy spans several subscriptions (`subscription "A" "B"` or
 * `subscription all`): its disks are then named by ID or by tag, and its
 * listing goes through Resource Graph. */
bool pol_many_subscriptions(const pol_policy *p);
/* Whether subscription `sub` (len bytes, case-insensitive) is one the
 * policy governs: any when it names none or says all. */
bool pol_subscription_allowed(const pol_policy *p, const char *sub, size_t len);

/* True when the snapshot tags include every match of the list. */
struct inv_tag;
bool pol_tags_match(const pol_tag_match *want, size_t nwant,
                    const struct inv_tag *have, size_t nhave);

#endif
