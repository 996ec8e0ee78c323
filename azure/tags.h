/* One tag of a subscription or resource group, through ARM's
 * Microsoft.Resources/tags/default (the run lease lives there). That
 * resource has no etag: a write is last-writer-wins, and a reader learns
 * what is there only by reading again. Each call runs to its end (a 202
 * with Location is followed) before it returns. */
#ifndef SNAPKEEP_AZURE_TAGS_H
#define SNAPKEEP_AZURE_TAGS_H

#include <stdint.h>

#include "azure/azure.h"

#define AZ_TAGS_API_VERSION "2021-04-01"

/* scope: "/subscriptions/S" or "/subscriptions/S/resourceGroups/RG". */

/* Reads the tag `name` (ARM compares tag names without case). Returns 1
 * with *value malloc'd when the scope has it, 0 when it does not, -1 on
 * any error (a scope ARM does not know, an answer that is no tags
 * resource). *arm_now gets ARM's Date of the answer (epoch seconds), 0
 * when the answer had none; *sent_ms when the request that got the answer
 * was sent (az_tag_now_ms's clock). */
int az_tag_get(az_client *c, const char *scope, const char *name, char **value,
               int64_t *arm_now, int64_t *sent_ms, az_error *err);
/* Sets the tag (PATCH, operation Merge: the scope's other tags stay);
 * *done_ms (may be NULL) gets when the write was known done. */
int az_tag_merge(az_client *c, const char *scope, const char *name, const char *value,
                 int64_t *done_ms, az_error *err);
/* Removes the tag while it still has `value` (PATCH, operation Delete
 * with the name/value pair). */
int az_tag_delete(az_client *c, const char *scope, const char *name, const char *value,
                  az_error *err);

/* The client's monotonic clock, in milliseconds. */
int64_t az_tag_now_ms(const az_client *c);

#endif
