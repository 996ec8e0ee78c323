/* The inventory reader alone (inv_read_buffer) over 200k ARM snapshot
 * objects built in memory, shaped like tests/gen-inventory's: how much of
 * bench_plan's budget the reading takes. Prints figures only; the targets
 * are bench_plan's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azure/inventory_read.h"

#define DISKS 100
#define PER_DISK 2000
#define SUB "/subscriptions/cd613e30-d8f1-4adf-91b7-584a2265b1f5/resourceGroups/rg-bench"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t put_snapshot(char *o, int disk, int k)
{
    int day = k / 24, hour = k % 24;
    return (size_t)sprintf(o,
        "%s{\"name\":\"disk-%04d-2026%02d%02dT%02d00\",\"id\":\"" SUB
        "/providers/Microsoft.Compute/snapshots/disk-%04d-2026%02d%02dT%02d00\","
        "\"type\":\"Microsoft.Compute/snapshots\",\"location\":\"westeurope\","
        "\"tags\":{\"snapkeep-policy\":\"bench\"},\"sku\":{\"name\":\"Standard_ZRS\"},"
        "\"properties\":{\"creationData\":{\"createOption\":\"Copy\",\"sourceResourceId\":\""
        SUB "/providers/Microsoft.Compute/disks/disk-%04d\"},\"diskSizeGB\":1024,"
        "\"uniqueId\":\"7ce42c82-1807-4e8c-b5bf-%012d\",\"incrementalSnapshotFamilyId\":"
        "\"78e51061-7311-48a3-82ce-%012d\",\"incremental\":true,\"timeCreated\":"
        "\"2026-%02d-%02dT%02d:00:07.%07d+00:00\",\"provisioningState\":\"Succeeded\"}}",
        disk || k ? "," : "", disk, 9 + day / 30, 1 + day % 30, hour, disk, 9 + day / 30,
        1 + day % 30, hour, disk, k, disk, 9 + day / 30, 1 + day % 30, hour, k * 37 % 10000000);
}

int main(void)
{
    size_t cap = (size_t)DISKS * PER_DISK * 800 + 64, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return 1;
    len += (size_t)sprintf(buf, "{\"value\":[");
    for (int d = 0; d < DISKS; d++)
        for (int k = 0; k < PER_DISK; k++)
            len += put_snapshot(buf + len, d, k);
    len += (size_t)sprintf(buf + len, "]}");

    double best = 1e9;
    char err[512];
    for (int run = 0; run < 3; run++) {
        inv_inventory *inv = NULL;
        double t0 = now_s();
        int rc = inv_read_buffer("bench", buf, len, &inv, err, sizeof err);
        double t = now_s() - t0;
        if (rc != 0 || inv->nsnapshots != (size_t)DISKS * PER_DISK) {
            fprintf(stderr, "bench_inventory: %s\n", rc ? err : "wrong count");
            return 1;
        }
        inv_free(inv);
        if (t < best)
            best = t;
    }
    printf("inventory read: %d snapshots, %.1f MB in %.1f ms = %.0f MB/s, %.2f M snapshots/s "
           "(best of 3)\n", DISKS * PER_DISK, (double)len / 1e6, best * 1e3,
           (double)len / 1e6 / best, DISKS * PER_DISK / best / 1e6);
    free(buf);
    return 0;
}
