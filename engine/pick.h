/* Pure choices of recovery (`snapkeep restore` and `snapkeep drill`):
 * which snapshot a restore uses, which snapshots a drill samples, and what
 * a drill's temporary disk is called. No I/O, no clock, no globals: `now`
 * and the PRNG seed are parameters, so a drill can be replayed. */
#ifndef SNAPKEEP_PICK_H
#define SNAPKEEP_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/inventory.h"
#include "engine/names.h"
#include "engine/sktime.h"

typedef enum pick_mode {
    PICK_NAME,          /* the snapshot called `name` (case-insensitive, as ARM) */
    PICK_AT,            /* the newest taken at or before `at` */
    PICK_LATEST         /* the newest */
} pick_mode;

typedef enum pick_result {
    PICK_FOUND = 0,
    PICK_NONE = -1,         /* nothing matches (or only unusable snapshots) */
    PICK_AMBIGUOUS = -2,    /* PICK_NAME: several usable snapshots have the name */
    PICK_UNUSABLE = -3      /* PICK_NAME: the snapshot exists but holds no data
                               (provisioningState not Succeeded) */
} pick_result;

/* Chooses among the snapshots of one disk (`snaps`, any order). Only
 * successfully provisioned ones count (enf_snapshot_usable). Equal times:
 * the greater name wins, so the choice never depends on listing order.
 * *out is an index into snaps when PICK_FOUND. */
pick_result pick_snapshot(const inv_snapshot *const *snaps, size_t n, pick_mode mode,
                          const char *name, sk_time at, size_t *out);

/* The snapshot that would have been chosen were its background copy
 * finished (enf_snapshot_pending: completionPercent below 100), when there
 * is one: PICK_NAME, the named one if it is pending; PICK_LATEST and
 * PICK_AT, the newest pending one (taken at or before `at` for PICK_AT)
 * newer than snaps[chosen] (any, when found is false). restore and drill
 * say so, and with --wait wait for it. *out is an index into snaps. */
bool pick_pending(const inv_snapshot *const *snaps, size_t n, pick_mode mode,
                  const char *name, sk_time at, bool found, size_t chosen, size_t *out);

/* The snapshots a drill restores from one disk's owned snapshots: the
 * newest usable one taken at or before `now`, then up to `sample` distinct
 * older usable ones drawn with a PRNG seeded by `seed` (the same inputs
 * always give the same picks). Writes indexes into snaps, newest first,
 * to out (capacity `cap`); returns how many (0: nothing restorable). */
size_t pick_drill_sample(const inv_snapshot *const *snaps, size_t n, size_t sample,
                         uint64_t seed, sk_time now, size_t *out, size_t cap);

/* The seeded PRNG (splitmix64) the sample draws from; *state advances. */
uint64_t pick_rand(uint64_t *state);

/* "<disk>-drill-<yyyymmddThhmmssZ>-<k>": characters ARM does not allow in
 * names become '-', a leading one becomes 'd', and the disk part is cut
 * so the whole stays within 80 characters. Returns the length, or -1 when
 * buf is too small (81 always suffices) or t cannot be written. */
int pick_drill_disk_name(const char *disk, sk_time t, unsigned k, char *buf, size_t n);

#define PICK_NAME_MAX ENG_NAME_MAX

#endif
