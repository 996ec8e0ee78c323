/* Azure's limits on snapshots, the one home of these figures (engine/, cli/ and the reports read
 * them from here). Source: Microsoft's managed-disk documentation and the Compute REST API
 * (error code SnapshotsLimitReached). */
#ifndef SNAPKEEP_ENGINE_AZURE_LIMITS_H
#define SNAPKEEP_ENGINE_AZURE_LIMITS_H

/* Incremental snapshots one disk may have, whoever made them. */
#define ENG_SNAPSHOTS_PER_DISK_MAX 500

/* What one policy should plan to use at most: Azure Backup leaves the other 50 for snapshots made
 * by hand, and a policy whose steady state comes above it will one day fail to create. */
#define ENG_SNAPSHOTS_POLICY_BUDGET 450

/* A disk within this share of the cap is reported by plan and status (10 %). */
#define ENG_SNAPSHOTS_NEAR_CAP (ENG_SNAPSHOTS_PER_DISK_MAX - ENG_SNAPSHOTS_PER_DISK_MAX / 10)

/* Snapshot creations per disk in any window of this many seconds. */
#define ENG_CREATES_PER_WINDOW 7
#define ENG_CREATE_WINDOW_SECONDS 300

/* Snapshots of one disk whose background copy may be pending at once (Premium SSD v2, Ultra,
 * cross-region copies); a fourth is refused by Azure. */
#define ENG_PENDING_PER_DISK_MAX 3

/* Cross-region copies (CopyStart): Azure copies one snapshot of a disk at a time, in creation
 * order, and at most this many per subscription into one region at once. */
#define ENG_COPIES_PER_DISK_MAX 1
#define ENG_COPIES_PARALLEL_MAX 100

/* Not Azure's but snapkeep's: a copy that failed (copyCompletionError) is started again by
 * later runs until this many attempts of that snapshot have failed; then it is reported and
 * the next snapshot of the disk is copied instead. */
#define ENG_COPY_ATTEMPTS_MAX 3

/* Resource Manager's token buckets, per security principal and per region: the burst a client
 * may spend at once, then the refill rate per second. Source: Microsoft's "Throttling Resource
 * Manager requests" (the regional throttling of 2024). The adapter paces by the remaining-quota
 * headers ARM sends; these are what it assumes of the refill until it has measured it. */
#define ENG_ARM_READS_BURST 250
#define ENG_ARM_READS_PER_S 25
#define ENG_ARM_WRITES_BURST 200
#define ENG_ARM_WRITES_PER_S 10
#define ENG_ARM_DELETES_BURST 200
#define ENG_ARM_DELETES_PER_S 10

#endif
