/* Long-running deletes through az_run_ops, for tests/bench/bench_azure.sh:
 *
 *   bench_azure_ops SUBSCRIPTION RESOURCE_GROUP PREFIX COUNT PARALLEL
 *
 * deletes snapshots PREFIX-00000 .. PREFIX-(COUNT-1) with PARALLEL in
 * flight (credentials and endpoints from the environment, the CA from
 * SSL_CERT_FILE) and prints one line of figures. Run without arguments
 * (as `make bench` does) it only says how it is meant to be used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azure/azure.h"

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        puts("bench_azure_ops: driven by tests/bench/bench_azure.sh (needs tests/arm/serve)");
        return 0;
    }
    const char *sub = argv[1], *rg = argv[2], *prefix = argv[3];
    size_t count = strtoul(argv[4], NULL, 10);
    int parallel = atoi(argv[5]);
    az_options o = { .arm_endpoint = getenv("SNAPKEEP_ARM_ENDPOINT"),
                     .authority_host = getenv("AZURE_AUTHORITY_HOST"),
                     .parallel = parallel };
    az_client *c;
    az_error err;
    if (az_client_new(&o, &c, &err) != 0) {
        fprintf(stderr, "bench_azure_ops: %s: %s\n", err.code, err.message);
        return 1;
    }
    az_op *ops = calloc(count ? count : 1, sizeof *ops);
    char (*ids)[256] = calloc(count ? count : 1, sizeof *ids);
    if (ops == NULL || ids == NULL)
        return 1;
    for (size_t i = 0; i < count; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s-%05zu", prefix, i);
        az_resource_id(ids[i], sizeof ids[i], sub, rg, "snapshots", name);
        ops[i] = (az_op){ .kind = AZ_OP_DELETE_SNAPSHOT, .id = ids[i] };
    }
    double t0 = bench_now();
    size_t failed = az_run_ops(c, ops, count, NULL, NULL);
    double secs = bench_now() - t0, sum = 0, max = 0;
    size_t gone = 0;
    for (size_t i = 0; i < count; i++) {
        sum += ops[i].seconds;
        if (ops[i].seconds > max)
            max = ops[i].seconds;
        gone += ops[i].already_gone;
        if (ops[i].status == AZ_OP_FAILED && failed <= 3)
            fprintf(stderr, "bench_azure_ops: %s: %s: %s\n", ops[i].id, ops[i].err.code,
                    ops[i].err.message);
    }
    printf("deletes=%zu parallel=%d seconds=%.2f failed=%zu already_gone=%zu "
           "op_mean=%.2f op_max=%.2f\n", count, parallel, secs, failed, gone,
           count ? sum / (double)count : 0.0, max);
    free(ops);
    free(ids);
    az_client_free(c);
    return failed == 0 ? 0 : 1;
}
