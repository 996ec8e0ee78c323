/* ARM resource names that snapkeep makes: a base name (a disk's) with a
 * time-stamped suffix, cut and cleaned so ARM accepts them. */
#ifndef SNAPKEEP_NAMES_H
#define SNAPKEEP_NAMES_H

#include <stddef.h>

#include "engine/sktime.h"

/* ARM's limit for disk and snapshot names. */
#define ENG_NAME_MAX 80

/* t in whole UTC seconds as "20261126T120000Z" (16 characters). Returns
 * the length, or -1 when t is before 1970 or buf is too small. */
int eng_name_stamp(sk_time t, char *buf, size_t n);

/* base + suffix into buf (n > ENG_NAME_MAX): a character ARM refuses in a
 * name becomes '-', base is cut so the whole fits ENG_NAME_MAX, and a first
 * character ARM refuses there becomes the first letter of fallback, which
 * also stands in for an empty or NULL base. Returns the length, or -1 when
 * buf is too small or the suffix alone leaves no room for a base. */
int eng_resource_name(const char *base, const char *fallback, const char *suffix,
                      char *buf, size_t n);

#endif
