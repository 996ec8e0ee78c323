/* A snapshot whose background copy has not finished (completionPercent
 * below 100: Premium SSD v2, Ultra, copies across regions) cannot make a
 * disk. restore and drill never choose one; they say so, and with --wait
 * wait for it here. */
#ifndef SNAPKEEP_COPY_WAIT_H
#define SNAPKEEP_COPY_WAIT_H

#include "azure/azure.h"
#include "engine/inventory.h"

/* The longest --wait waits, in real time. */
#define CLI_COPY_WAIT_MAX_SEC (24 * 3600)
/* Polls start this often and slow down, doubling, to the second figure. */
#define CLI_COPY_POLL_FIRST_MS 1000
#define CLI_COPY_POLL_MAX_MS 60000

/* "snapkeep: WHO: snapshot NAME is still being copied (completionPercent
 * N): it cannot make a disk yet; INSTEAD (may be NULL) ...; --wait waits for
 * it" on stderr. */
void cli_copy_note(const char *who, const inv_snapshot *pending, const inv_snapshot *instead);

/* Reads the snapshot `id` through ARM until its copy has finished, into
 * `into` (*out: the finished record). Each poll is a GET, honouring the
 * clock only through ARM's answers, so a test server's virtual clock moves
 * it. Returns EXIT_OK; EXIT_PARTIAL when the copy failed
 * (copyCompletionError) or the snapshot went away or its provisioning
 * failed; EXIT_AZURE when ARM could not be read; EXIT_INVALID after
 * CLI_COPY_WAIT_MAX_SEC. Says what it does on stderr. */
int cli_copy_wait(az_client *c, const char *who, const char *id, inv_inventory *into,
                  const inv_snapshot **out);

#endif
