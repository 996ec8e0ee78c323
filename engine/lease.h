/* The run lease: pure decisions behind the lease `snapkeep run` holds in
 * Azure so that one policy is enforced by one run at a time, whatever the
 * host or state directory (doc/design.md, "The lease in Azure").
 *
 * ARM has no compare-and-swap for the place the lease lives (a tag of
 * the policy's resource group or subscription, written through
 * Microsoft.Resources/tags, which carries no etag), so the lease is taken
 * as in Fischer's mutual exclusion: read it (free or expired), write our
 * own value, wait longer than any competitor's read-to-write can take,
 * read it again, and go on only when it is still ours. A taker whose own
 * read-to-write took longer than half the wait gives up (it could be the
 * slow writer that overwrites a winner unseen). Times in a lease are ARM's
 * (its Date header), so hosts' clocks never enter the comparison. No I/O,
 * no clock: every time is a parameter. */
#ifndef SNAPKEEP_ENGINE_LEASE_H
#define SNAPKEEP_ENGINE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tag name is this prefix plus the policy's name. */
#define ENG_LEASE_TAG_PREFIX "snapkeep-lease-"
/* ARM's limit on a tag name (resource groups and subscriptions). */
#define ENG_LEASE_NAME_MAX 512
/* A lease lasts this long on ARM's clock from the read before its write. */
#define ENG_LEASE_TTL_SEC 900
/* The holder renews at its next step once this much of it has passed. */
#define ENG_LEASE_RENEW_SEC 300
/* The holder stops deleting this long before the lease's end on its own
 * clock (ARM's Date has 1 s steps; the rest covers the holder's clock
 * drifting against ARM's over one lease). */
#define ENG_LEASE_MARGIN_SEC 60
/* Default and largest --lease-wait, in milliseconds. */
#define ENG_LEASE_WAIT_DEFAULT_MS 20000
#define ENG_LEASE_WAIT_MAX_MS 600000
/* ARM's limit on a tag value; a lease value always fits. */
#define ENG_LEASE_VALUE_MAX 256
/* Longest host name kept in a lease (longer ones are cut). */
#define ENG_LEASE_HOST_MAX 63

/* The lease's tag name for a policy: ENG_LEASE_TAG_PREFIX + its name,
 * with the characters ARM refuses in tag names (< > % & \ ? / and
 * controls) as '_', cut to ENG_LEASE_NAME_MAX bytes. Two names that map
 * to one tag only exclude each other more. Returns the length, or -1 when
 * buf has no room for ENG_LEASE_NAME_MAX + 1. */
int eng_lease_tag_name(const char *policy, char *buf, size_t n);

typedef struct eng_lease {
    char host[ENG_LEASE_HOST_MAX + 1];
    int64_t pid;
    char run[64];           /* the run's id (its journal's) */
    int64_t expires;        /* epoch seconds on ARM's clock */
} eng_lease;

/* "host=H pid=P run=R expires=YYYY-MM-DDTHH:MM:SSZ" into buf (room for
 * ENG_LEASE_VALUE_MAX + 1). Characters of the host outside [A-Za-z0-9.-]
 * become '_' and the run id keeps only [A-Za-z0-9._:-], so the value parses
 * back and stays a legal tag value. Returns the length, or -1. */
int eng_lease_format(const eng_lease *l, char *buf, size_t n);
/* The reverse; 0, or -1 when the value is not a lease this version wrote. */
int eng_lease_parse(const char *value, eng_lease *out);

typedef enum eng_lease_state {
    ENG_LEASE_FREE,         /* no lease tag */
    ENG_LEASE_EXPIRED,      /* someone's lease, past its end: may be taken over */
    ENG_LEASE_OURS,         /* exactly the value we wrote */
    ENG_LEASE_HELD,         /* someone else's, not expired: *holder says whose */
    ENG_LEASE_UNREADABLE    /* a value that is no lease: held (fail closed) */
} eng_lease_state;

/* Judges a lease tag's value (NULL: no such tag) read at arm_now (ARM's
 * Date of that answer) against `ours` (NULL: we hold none). A lease is
 * expired only once arm_now is past its end by more than ARM's 1 s Date
 * step. *holder (may be NULL) gets the parsed lease when there is one. */
eng_lease_state eng_lease_judge(const char *value, const char *ours, int64_t arm_now,
                                eng_lease *holder);

/* Fischer's condition on the taker's own write: from the answer of the
 * read that found the lease free to the end of its write, at most half
 * the wait may pass; otherwise it gives up. */
bool eng_lease_write_in_time(int64_t read_to_written_ms, int64_t wait_ms);

/* Whether a lease whose write began written_ms ago (on the holder's
 * monotonic clock) still lets the holder act: ENG_LEASE_MARGIN_SEC before
 * its TTL ends. */
bool eng_lease_valid(int64_t since_write_ms);
/* Whether it is time to renew it (ENG_LEASE_RENEW_SEC have passed). */
bool eng_lease_renew_due(int64_t since_write_ms);

#endif
