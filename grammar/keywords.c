/* The policy language's keywords, listed once: the scanner looks every
 * word up here (lexer.l) and the suggestions measure unknown words against
 * it (suggest.c). Bison must still declare each token (parser.y's %token,
 * whose quoted alias is the keyword's spelling, for its messages); no
 * generator is needed to keep the two in step, since test_lexer checks
 * that every quoted-word token bison knows is here with that spelling and
 * that every entry here is one. */
#include <string.h>

#include "grammar/internal.h"
#include "grammar/parser.h"

const pg_keyword pg_keywords[] = {
    { "policy", POLICY },           { "timezone", TIMEZONE },
    { "subscription", SUBSCRIPTION }, { "resource-group", RESOURCE_GROUP },
    { "disk", DISK },               { "disks", DISKS },
    { "tagged", TAGGED },           { "snapshot", SNAPSHOT },
    { "every", EVERY },             { "stale-after", STALE_AFTER },
    { "max-delete", MAX_DELETE },   { "adopt", ADOPT },
    { "untagged", UNTAGGED },       { "incremental", INCREMENTAL },
    { "yes", YES },                 { "no", NO },
    { "sku", SKU },                 { "tag", TAG },
    { "keep-all", KEEP_ALL },       { "to", TO },
    { "hourly", HOURLY },           { "daily", DAILY },
    { "weekly", WEEKLY },           { "monthly", MONTHLY },
    { "yearly", YEARLY },           { "last", LAST },
    { "all", ALL },                 { "within", WITHIN },
    { "and", AND },                 { "recovery", RECOVERY },
    { "vm", VM },                   { "scratch-vm", SCRATCH_VM },
    { "verify", VERIFY },           { "verify-timeout", VERIFY_TIMEOUT },
    { "device-dir", DEVICE_DIR },   { "standby", STANDBY },
    { "public-ip", PUBLIC_IP },     { "dns-record", DNS_RECORD },
    { "dns-zone-kind", DNS_ZONE_KIND }, { "start-standby", START_STANDBY },
    { "retired", RETIRED },         { "forever", FOREVER },
    { "for", FOR },
    { "copy-to", COPY_TO },
    { NULL, 0 }
};

int pg_keyword_token(const char *s, size_t n)
{
    for (const pg_keyword *k = pg_keywords; k->word != NULL; k++)
        if (strncmp(k->word, s, n) == 0 && k->word[n] == '\0')
            return k->token;
    return 0;
}
