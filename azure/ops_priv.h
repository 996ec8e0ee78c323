/* Private to azure/ops*.c. */
#ifndef SNAPKEEP_OPS_PRIV_H
#define SNAPKEEP_OPS_PRIV_H

#include <stddef.h>

#include "azure/azure.h"

char *az_op_body(const az_op *op);
int az_resource_state(const char *body, size_t len, char *state, size_t nstate,
                      char *source, size_t nsource);

#endif
