/* Naming the keys of an inventory object. Every member of every snapshot
 * passes through here, so it switches on the length before comparing. */
#include "azure/inv_read_priv.h"

#include <string.h>

#define EQ(lit) (memcmp(s, lit, sizeof(lit) - 1) == 0)

static rd_key_id classify(const char *s, size_t n)
{
    switch (n) {
    case 2:
        return EQ("id") ? K_ID : K_OTHER;
    case 3:
        return EQ("sku") ? K_SKU : K_OTHER;
    case 4:
        return EQ("name") ? K_NAME : EQ("tags") ? K_TAGS : EQ("type") ? K_TYPE : K_OTHER;
    case 5:
        return EQ("value") ? K_VALUE : EQ("zones") ? K_ZONES : K_OTHER;
    case 8:
        return EQ("location") ? K_LOCATION : EQ("nextLink") ? K_NEXTLINK : K_OTHER;
    case 9:
        return EQ("managedBy") ? K_MANAGED_BY : EQ("diskState") ? K_DISK_STATE : K_OTHER;
    case 10:
        return EQ("properties") ? K_PROPERTIES : K_OTHER;
    case 11:
        return EQ("timeCreated") ? K_TIME : EQ("incremental") ? K_INCREMENTAL : K_OTHER;
    case 12:
        return EQ("creationData") ? K_CREATION : K_OTHER;
    case 16:
        return EQ("sourceResourceId") ? K_SOURCE : K_OTHER;
    case 17:
        return EQ("provisioningState") ? K_STATE : K_OTHER;
    default:
        return K_OTHER;
    }
}

rd_key_id rd_key(const ij_str *k)
{
    if (!k->escaped)
        return classify((const char *)k->raw, k->len);
    char buf[64];       /* decoding never lengthens; known keys are short */
    if (k->len > sizeof buf)
        return K_OTHER;
    return classify(buf, ij_decode(k, buf));
}
