/* Every compile-time check: its exact message, level and location, that
 * every mistake in a file is reported, the rendered form (source line and
 * caret, tabs kept), and the golden files in tests/golden/check/. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/tz.h"
#include "grammar/parse.h"

typedef struct check_case {
    const char *in;
    const char *want;   /* every diagnostic, "LINE:COL: LEVEL: MESSAGE\n" each */
    int valid;          /* a file comes back (warnings only) */
} check_case;

static const check_case cases[] = {
    /* recovery { } */
    { "recovery { vm \"a\"; standby \"a\" }\npolicy \"x\" { recovery { vm \"b\" }; last 3 }",
      "", 1 },
    { "recovery { vm \"a\" }\npolicy \"x\" {\nrecovery { standby \"a\" }\nlast 3 }",
      "3:20: error: standby \"a\" is the production vm itself (line 1): a failover needs another VM\n"
      "", 0 },
    { "recovery { dns-record \"z/n\" }\npolicy \"x\" { recovery { dns-zone-kind public }; last 3 }",
      "", 1 },
    { "policy standby { last 3 }",
      "1:8: error: 'standby' is a keyword: quote the policy name, as in policy \"standby\"\n"
      "", 0 },
    { "policy \"standby\" { last 3 }",
      "", 1 },
    { "policy daily { last 3 }",
      "1:8: error: 'daily' is a keyword: quote the policy name, as in policy \"daily\"\n"
      "", 0 },
    { "recovery { vm \"a\"; vm \"b\" }\nlast 3",
      "1:20: error: 'vm' is already set on line 1\n"
      "", 0 },
    { "recovery { verify-timeout 10x }\nlast 3",
      "1:27: error: bad duration '10x': unknown unit 'x'\n"
      "", 0 },
    { "recovery { verify-timeout 25h }\nlast 3",
      "1:27: error: verify-timeout 25h is longer than 24h: a drill holds its disks attached while the command runs\n"
      "", 0 },
    { "recovery { verify-timeout 1mo }\nlast 3",
      "1:27: error: verify-timeout takes m, h or d: months and years have no fixed length\n"
      "", 0 },
    { "recovery { verify-timeout 1d; verify-timeout 1m }\nlast 3",
      "1:31: error: 'verify-timeout' is already set on line 1\n"
      "", 0 },
    { "recovery { device-dir \"dev/disk\" }\nlast 3",
      "1:23: error: device-dir \"dev/disk\" is not an absolute path (it is the directory where attached disks appear, such as /dev/disk/azure/scsi1)\n"
      "", 0 },
    { "recovery {\ndns-record \"zone\"\n}\nlast 3",
      "2:12: error: dns-record \"zone\" must be ZONE/NAME with exactly one '/', as in \"dss.internal/data\"\n"
      "", 0 },
    { "recovery {\ndns-record \"a/b/c\"\n}\nlast 3",
      "2:12: error: dns-record \"a/b/c\" must be ZONE/NAME with exactly one '/', as in \"dss.internal/data\"\n"
      "", 0 },
    { "recovery {\ndns-record \"/b\"\n}\nlast 3",
      "2:12: error: dns-record \"/b\" must be ZONE/NAME with exactly one '/', as in \"dss.internal/data\"\n"
      "", 0 },
    { "recovery { verify \"\" }\nlast 3",
      "1:19: error: empty verify command\n"
      "", 0 },
    { "recovery { verfy \"x\" }\nlast 3",
      "1:12: error: unknown keyword 'verfy'; did you mean 'verify'?\n"
      "", 0 },
    { "recovery { standbye \"x\" }\nlast 3",
      "1:12: error: unknown keyword 'standbye'; did you mean 'standby'?\n"
      "", 0 },
    { "recovery { disk \"x\" }\nlast 3",
      "1:12: error: 'disk' cannot go inside the recovery block (line 1): write it outside recovery { }\n"
      "", 0 },
    { "verify \"x\"\nlast 3",
      "1:1: error: 'verify' is a recovery setting: write it inside a recovery { } block\n"
      "", 0 },
    { "recovery { vm \"dss vm\" }\nlast 3",
      "1:15: error: vm \"dss vm\" is not an Azure VM name (1 to 64 letters, digits, '_', '-' or '.', not ending in '.' or '-') nor a VM resource ID\n"
      "", 0 },
    { "recovery { scratch-vm \"vm-\" }\nlast 3",
      "1:23: error: scratch-vm \"vm-\" is not an Azure VM name (1 to 64 letters, digits, '_', '-' or '.', not ending in '.' or '-') nor a VM resource ID\n"
      "", 0 },
    { "recovery { standby \"a234567890123456789012345678901234567890123456789012345678901234x\" }\nlast 3",
      "1:20: error: standby \"a234567890123456789012345678901234567890123456789012345678901234x\" is not an Azure VM name (1 to 64 letters, digits, '_', '-' or '.', not ending in '.' or '-') nor a VM resource ID\n"
      "", 0 },
    { "recovery { vm \"a234567890123456789012345678901234567890123456789012345678901234\" }\nlast 3",
      "", 1 },
    { "recovery { vm \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm.1\" }\nlast 3",
      "", 1 },
    { "recovery { vm \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d\" }\nlast 3",
      "1:15: error: vm \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d\" is not a virtual machine resource ID (/subscriptions/SUB/resourceGroups/GROUP/providers/Microsoft.Compute/virtualMachines/NAME)\n"
      "", 0 },
    { "recovery { dns-zone-kind privte }\nlast 3",
      "1:26: error: dns-zone-kind is private (Azure Private DNS) or public (Azure DNS), not 'privte'\n"
      "", 0 },
    { "recovery { dns-zone-kind public }\nlast 3",
      "1:26: warning: dns-zone-kind without a dns-record has no effect\n"
      "", 1 },
    { "recovery { vm \"a\"; standby \"A\" }\nlast 3",
      "1:28: error: standby \"A\" is the production vm itself (line 1): a failover needs another VM\n"
      "", 0 },
    { "recovery { vm \"a\" }\nrecovery { vm \"b\" }\nlast 3",
      "2:1: error: a recovery block is already written on line 1 (one at the top level)\n"
      "", 0 },
    { "policy \"a\" { last 3 }\nrecovery { vm \"b\" }",
      "2:1: error: 'recovery' after a policy block: top-level settings are defaults and must come before the first block (line 1)\n"
      "", 0 },
    { "policy \"a\" {\nrecovery { vm \"b\"\nlast 3\n",
      "1:12: error: unterminated policy block: this '{' has no matching '}'\n"
      "2:10: error: unterminated recovery block: this '{' has no matching '}'\n"
      "3:1: error: 'last' cannot go inside the recovery block (line 2): write it outside recovery { }\n"
      "", 0 },
    { "recovery { vm \"a\"; standby \"a\" }\npolicy \"x\" { last 3 }\npolicy \"y\" { last 3 }",
      "1:28: error: standby \"a\" is the production vm itself (line 1): a failover needs another VM\n"
      "", 0 },
    { "keep-all 24h, every 12h to 7d, daily to 15d",
      "", 1 },
    { "every 1d to 4w, daily to 28d",
      "1:26: error: tier \"daily to 28d\" must end after \"every 1d to 4w\" (line 1), but 28d can be as short as 4w\n"
      "", 0 },
    { "timezone \"Europe/Paris\"\nkeep-all 23h\nevery 1h to 1d",
      "3:13: error: tier \"every 1h to 1d\" must end after \"keep-all 23h\" (line 2), but 1d can be as short as 23h\n"
      "", 0 },
    { "keep-all 23h\nevery 1h to 1d",
      "", 1 },
    { "keep-all 4w, every 1d to 1mo",
      "1:26: error: tier \"every 1d to 1mo\" must end after \"keep-all 4w\" (line 1), but 1mo can be as short as 4w\n"
      "", 0 },
    /* a fixed end after a varying one: the earlier end is the one that varies */
    { "keep-all 1mo, every 1d to 31d",
      "1:27: error: tier \"every 1d to 31d\" must end after \"keep-all 1mo\" (line 1), but 1mo can be as long as 31d\n"
      "", 0 },
    { "keep-all 7d, every 1h to 24h",
      "1:26: error: tier \"every 1h to 24h\" must end after \"keep-all 7d\" (line 1), but 24h is shorter than 7d\n"
      "", 0 },
    { "every 0h to 7d",
      "1:7: error: bad duration '0h': zero duration\n"
      "", 0 },
    { "keep-all 0d",
      "1:10: error: bad duration '0d': zero duration\n"
      "", 0 },
    { "last 0",
      "1:6: error: count 0 keeps nothing: counts start at 1 ('all' for no limit)\n"
      "", 0 },
    { "daily 0",
      "1:7: error: count 0 keeps nothing: counts start at 1 ('all' for no limit)\n"
      "", 0 },
    { "last -3",
      "1:6: error: negative number '-3': numbers here cannot be negative\n"
      "", 0 },
    { "keep-all -1d",
      "1:10: error: negative duration '-1d': durations cannot be negative\n"
      "", 0 },
    { "every 1mo to 1y",
      "1:7: error: an 'every' width cannot use mo or y: months and years have no fixed length (use monthly or yearly to ...)\n"
      "", 0 },
    { "every 1y to 2y",
      "1:7: error: an 'every' width cannot use mo or y: months and years have no fixed length (use monthly or yearly to ...)\n"
      "", 0 },
    { "last 99999999999999999999",
      "1:6: error: number '99999999999999999999' is too large\n"
      "", 0 },
    { "keep-all 99999999999999999999h",
      "1:10: error: bad duration '99999999999999999999h': number too large\n"
      "", 0 },
    { "keep-all 10001y",
      "1:10: error: bad duration '10001y': duration longer than 10000 years\n"
      "", 0 },
    { "keep-all 1h1h",
      "1:10: error: bad duration '1h1h': unit 'h' given twice\n"
      "", 0 },
    { "keep-all 3x",
      "1:10: error: bad duration '3x': unknown unit 'x'\n"
      "", 0 },
    { "timezone \"Mars/Olympus\"\nlast 3",
      "1:10: error: unknown time zone \"Mars/Olympus\" (no such IANA zone)\n"
      "", 0 },
    { "timezone \"\"\nlast 3",
      "1:10: error: empty timezone\n"
      "", 0 },
    { "policy \"a\" { last 3 }\npolicy \"a\" { last 3 }",
      "2:8: error: policy \"a\" is already defined on line 1\n"
      "", 0 },
    { "last 3\npolicy \"a\" {\n  last 3\n}",
      "1:1: error: rule \"last 3\" outside any policy block: in a file with blocks, rules go inside a block (the first is on line 2)\n"
      "", 0 },
    { "policy \"a\" {\n  last 3\n}\ntimezone \"UTC\"",
      "4:1: error: 'timezone' after a policy block: top-level settings are defaults and must come before the first block (line 1)\n"
      "", 0 },
    { "",
      "1:1: error: no retention rule: this policy would delete every snapshot but the newest\n"
      "", 0 },
    { "# nothing but a comment\ntimezone \"UTC\"",
      "1:1: error: no retention rule: this policy would delete every snapshot but the newest\n"
      "", 0 },
    { "policy \"empty\" {\n}",
      "1:1: error: policy \"empty\" has no retention rule: it would delete every snapshot it owns but the newest\n"
      "", 0 },
    { "policy \"a\" {\n  last 3\n",
      "1:12: error: unterminated policy block: this '{' has no matching '}'\n"
      "", 0 },
    { "disk \"abc\nlast 3",
      "1:6: error: unterminated string (a string ends on the line it starts)\n"
      "", 0 },
    { "last 3\n# caf\xe9""\n",
      "2:6: error: byte 0xe9 at offset 12 is not UTF-8 text (the file must be UTF-8)\n"
      "", 0 },
    { "last 3\x01""\n",
      "1:7: error: control character 0x01 at offset 6 is not text\n"
      "", 0 },
    { "timezone \"UTC\"\ntimezone \"UTC\"\nlast 3",
      "2:1: error: 'timezone' is already set on line 1\n"
      "", 0 },
    { "max-delete 1; max-delete 2\nlast 3",
      "1:15: error: 'max-delete' is already set on line 1\n"
      "", 0 },
    { "keepall 24h",
      "1:1: error: unknown keyword 'keepall'; did you mean 'keep-all'?\n"
      "", 0 },
    { "Daily 7",
      "1:1: error: unknown keyword 'Daily'; did you mean 'daily'?\n"
      "", 0 },
    { "keep-daily 7",
      "1:1: error: unknown keyword 'keep-daily'; did you mean 'daily'?\n"
      "", 0 },
    { "kep-all 24h",
      "1:1: error: unknown keyword 'kep-all'; did you mean 'keep-all'?\n"
      "", 0 },
    { "frobnicate 3",
      "1:1: error: unknown keyword 'frobnicate'\n"
      "", 0 },
    { "disk dss-data\nlast 3",
      "1:6: error: 'dss-data' must be quoted: \"dss-data\"\n"
      "", 0 },
    { "keep-all 24 h",
      "1:10: error: a duration needs a unit, as in 24h or 7d\n"
      "", 0 },
    { "policy \"a\" {\n  last 3\n  policy \"b\" {\n    last 3\n  }\n}",
      "3:3: error: policy blocks cannot be nested: the block opened on line 1 is not closed\n"
      "4:5: warning: rule \"last 3\" repeats line 2\n"
      "6:1: error: '}' without a policy block to close\n"
      "", 0 },
    { "last 3\n}",
      "2:1: error: '}' without a policy block to close\n"
      "", 0 },
    { "policy \"\" { last 3 }",
      "1:8: error: empty policy name\n"
      "", 0 },
    { "daily to 7d, keep-all 30d",
      "1:14: warning: \"keep-all 30d\" after the bucketed tier \"daily to 7d\" (line 1) keeps only what that tier left: the snapshots it pruned are gone; keep-all belongs first\n"
      "", 1 },
    { "every 1d to 7d, every 1h to 14d",
      "1:17: warning: tier \"every 1h to 14d\" has smaller buckets than \"every 1d to 7d\" (line 1) before it: it can only keep what that tier left\n"
      "", 1 },
    { "snapshot every 1h\nkeep-all 1d, every 30m to 2d",
      "2:20: warning: \"every 30m to 2d\" keeps every snapshot: its 30m buckets are no wider than the snapshot cadence (every 1h, line 1); write keep-all\n"
      "", 1 },
    { "snapshot every 1h\nkeep-all 1d, every 1h to 2d",
      "2:20: warning: \"every 1h to 2d\" keeps every snapshot: its 1h buckets are no wider than the snapshot cadence (every 1h, line 1); write keep-all\n"
      "", 1 },
    { "snapshot every 1h\nkeep-all 1d, every 12h to 1d30m",
      "2:14: warning: tier \"every 12h to 1d30m\" spans at most 30m of ages, less than the snapshot cadence (every 1h, line 1): it rarely holds a snapshot to keep\n"
      "", 1 },
    { "snapshot every 2h\nkeep-all 1d, hourly to 2d",
      "2:14: warning: \"hourly to 2d\" keeps every snapshot: an hour is no longer than the snapshot cadence (every 2h, line 1); write keep-all\n"
      "", 1 },
    { "snapshot every 1h\nwithin 30m",
      "2:1: warning: \"within 30m\" is shorter than the snapshot cadence (every 1h, line 1): it keeps only the newest snapshot, which is always kept anyway\n"
      "", 1 },
    { "last 1\ndaily 1",
      "1:1: warning: \"last 1\" keeps only the newest snapshot, which is always kept anyway\n"
      "2:1: warning: \"daily 1\" keeps only the newest snapshot, which is always kept anyway\n"
      "", 1 },
    { "last 3\nlast 3",
      "2:1: warning: rule \"last 3\" repeats line 1\n"
      "", 1 },
    { "tagged \"snapkeep-policy\"",
      "1:1: warning: `tagged \"snapkeep-policy\"` keeps every snapshot this policy owns: they all carry the snapkeep-policy tag\n"
      "", 1 },
    { "snapshot every 1h\nstale-after 1h\nlast 3",
      "2:13: warning: stale-after 1h is not longer than the snapshot cadence (every 1h, line 1): every run would find the disk stale\n"
      "", 1 },
    { "sku \"Ultra\"\nlast 3",
      "1:5: warning: sku \"Ultra\" is not one Azure accepts for snapshots (Standard_LRS, Standard_ZRS, Premium_LRS)\n"
      "", 1 },
    { "subscription \"prod\"\nlast 3",
      "1:14: warning: subscription \"prod\" is not a subscription ID (a GUID such as 00000000-0000-0000-0000-000000000000)\n"
      "", 1 },
    { "disk \"a\"; disk \"A\"\nlast 3",
      "1:16: warning: disk \"A\" is listed twice\n"
      "", 1 },
    { "tag \"snapkeep-policy\" = \"x\"\nlast 3",
      "1:5: error: tag \"snapkeep-policy\" is the ownership tag: snapkeep writes it itself, with the policy's name\n"
      "", 0 },
    { "tag \"owner\"\nlast 3",
      "1:5: error: tag \"owner\" needs a value: tag \"owner\" = \"VALUE\"\n"
      "", 0 },
    { "tag \"owner\" = \"a\"; tag \"Owner\" = \"b\"\nlast 3",
      "1:24: error: tag \"Owner\" is already set on line 1 (tag names ignore case)\n"
      "", 0 },
    { "tagged \"\"",
      "1:8: error: empty tag name\n"
      "", 0 },
    { "snapshot every 1mo\nlast 3",
      "1:16: error: 'snapshot every' takes m, h, d or w: months and years have no fixed length\n"
      "", 0 },
    { "keep-all",
      "1:9: error: syntax error, unexpected end of file, expecting duration\n"
      "", 0 },
    { "keep-all 1d to",
      "1:13: error: syntax error, unexpected 'to', expecting end of file or end of line or ',' or ';'\n"
      "", 0 },
    { "tagged \"a\" and",
      "1:15: error: syntax error, unexpected end of file, expecting string\n"
      "", 0 },
    { "disk 'x'\nlast 3",
      "1:6: error: strings are written in double quotes: \"x\"\n"
      "", 0 },
    { "disk \"a\\qb\"\nlast 3",
      "1:8: error: unknown escape '\\q' in string (only \\\" and \\\\ are escapes)\n"
      "", 0 },
    { "every 1d to 1w\nlast 3 @",
      "2:8: error: unexpected character '@'\n"
      "", 0 },
    { "keep-all 1d\n\tevery 12h to 1d",
      "2:15: error: tier \"every 12h to 1d\" must end after \"keep-all 1d\" (line 1), but both end at 1d\n"
      "", 0 },
    { "incremental maybe\nlast 3",
      "1:13: error: unknown keyword 'maybe', expecting 'yes' or 'no'\n"
      "", 0 },
    /* copy-to: only where the copies go and rules; one per policy; inside a block */
    /* a timezone inside copy-to is refused, and its text freed (the ASan
     * unit run reports the leak the fuzzer found) */
    { "policy \"p\" {\nlast 3\ncopy-to \"a\" { resource-group \"r\"; timezone \"UTC\"; last 2 }\n}",
      "3:35: error: 'timezone' cannot go inside copy-to: a copy block takes subscription, "
      "resource-group and retention rules (the copies are made from the policy's own "
      "snapshots)\n", 0 },
    { "policy \"p\" {\nlast 3\ncopy-to \"northeurope\" { resource-group \"dr\"; daily to 30d }\n}",
      "", 1 },
    { "policy \"p\" {\nlast 3\ncopy-to \"North Europe\" {\ndisk \"x\"\n}\n}",
      "3:1: error: copy-to needs resource-group: the resource group in the target region the "
      "copies are made in\n"
      "3:1: error: copy-to \"North Europe\" has no retention rule: it would delete every copy "
      "but the newest\n"
      "3:9: error: copy-to region \"North Europe\" is not an Azure location name (lower-case "
      "letters and digits, as in \"northeurope\")\n"
      "4:1: error: 'disk' cannot go inside copy-to: a copy block takes subscription, "
      "resource-group and retention rules (the copies are made from the policy's own "
      "snapshots)\n", 0 },
    { "policy \"p\" {\nlast 3\ncopy-to \"a\" { resource-group \"r\"; last 2 }\n"
      "copy-to \"b\" { resource-group \"r\"; last 2 }\n}",
      "4:1: error: a copy-to block is already written on line 3 (one per policy)\n", 0 },
    { "copy-to \"a\" { resource-group \"r\"; last 2 }\npolicy \"p\" { last 3 }",
      "1:1: error: 'copy-to' outside any policy block: in a file with blocks, write it inside "
      "the block whose snapshots it copies (the first is on line 2)\n", 0 },
    { "policy \"p\" {\nlast 3\ncopy-to \"a\" { resource-group \"r\"; daily to 2d; keep-all 1d }\n}",
      "3:48: warning: \"keep-all 1d\" after the bucketed tier \"daily to 2d\" (line 3) keeps "
      "only what that tier left: the snapshots it pruned are gone; keep-all belongs first\n"
      "3:57: error: tier \"keep-all 1d\" must end after \"daily to 2d\" (line 3), but 1d is "
      "shorter than 2d\n", 0 },
    { "policy \"p\" {\nlast 3\ncopy-to \"a\" { resource-group \"r\"; last 2\n",
      "1:12: error: unterminated policy block: this '{' has no matching '}'\n"
      "3:13: error: unterminated copy-to block: this '{' has no matching '}'\n", 0 },
    /* several subscriptions */
    { "subscription \"00000000-0000-0000-0000-0000000000a1\" \"00000000-0000-0000-0000-0000000000A1\"\nlast 3",
      "1:53: error: subscription \"00000000-0000-0000-0000-0000000000A1\" is named twice\n"
      "", 0 },
    { "subscription all\ndisk \"d1\"\nlast 3",
      "2:6: error: disk \"d1\": a policy over several subscriptions names its disks by resource ID (/subscriptions/.../disks/NAME) or with `disks tagged`\n"
      "", 0 },
    { "subscription \"00000000-0000-0000-0000-0000000000a1\" \"x\"\nlast 3",
      "1:53: warning: subscription \"x\" is not a subscription ID (a GUID such as 00000000-0000-0000-0000-000000000000)\n"
      "", 1 },
    { "subscription all \"00000000-0000-0000-0000-0000000000a1\"\nlast 3",
      "1:18: error: syntax error, unexpected string, expecting end of file or end of line or ',' or ';'\n"
      "", 0 },
    { "subscription \"00000000-0000-0000-0000-0000000000a1\"\nsubscription all\nlast 3",
      "2:1: error: 'subscription' is already set on line 1\n"
      "", 0 },
};

/* All diagnostics of one parse, one line each, without the source lines. */
static char *diag_lines(const pol_diags *d)
{
    size_t cap = 256;
    for (size_t i = 0; i < d->n; i++)
        cap += strlen(d->items[i].message) + 64;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t n = 0;
    s[0] = '\0';
    for (size_t i = 0; i < d->n; i++)
        n += (size_t)snprintf(s + n, cap - n, "%d:%d: %s: %s\n", d->items[i].line,
                              d->items[i].col,
                              d->items[i].level == POL_ERROR ? "error" : "warning",
                              d->items[i].message);
    return s;
}

static void test_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const check_case *c = &cases[i];
        pol_diags d = { 0 };
        pol_file *f = pol_parse_string("t.policy", c->in, strlen(c->in), &pol_zones_host, &d);
        char *got = diag_lines(&d);
        if (strcmp(got, c->want) != 0 || (f != NULL) != c->valid)
            fail_msg("case %zu: %s\n--- got (valid %d)\n%s--- want (valid %d)\n%s", i,
                     c->in, f != NULL, got, c->valid, c->want);
        assert_int_equal(d.nerrors > 0, !c->valid);
        free(got);
        pol_file_free(f);
        pol_diags_free(&d);
    }
}

/* A NUL byte means a binary file: one error with its offset, nothing else. */
static void test_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "keep-all 1d\nlast\0 3\nfrobnicate\n";
    pol_diags d = { 0 };
    assert_null(pol_parse_string("bin", text, sizeof text - 1, &pol_zones_host, &d));
    char *got = diag_lines(&d);
    assert_string_equal(got, "2:5: error: not a text file: NUL byte at offset 16\n");
    free(got);
    pol_diags_free(&d);
}

/* A file of random bytes is one error: binary data, not a report per
 * spot (a binary file once gave eleven errors, each echoing its line). */
static void test_binary_gives_up(void **state)
{
    (void)state;
    char text[400];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)(i % 20 == 19 ? '\n' : 0x80 + (int)(i % 50));
    pol_diags d = { 0 };
    assert_null(pol_parse_string("bin", text, sizeof text, &pol_zones_host, &d));
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(d.items[0].message,
                        "not a text file: 380 of its 400 bytes are not UTF-8 text, from offset 0 on");
    pol_diags_free(&d);
}

/* Sparse bad spots in a text file: one report each, up to ten, then the
 * parse gives up. */
static void test_many_spots_give_up(void **state)
{
    (void)state;
    char text[2048];
    size_t n = 0;
    for (int i = 0; i < 12; i++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "# comment %02d with a Latin-1 \xe9 in it, among plain text\n", i);
    n += (size_t)snprintf(text + n, sizeof text - n, "keep-all 1d\n");
    pol_diags d = { 0 };
    assert_null(pol_parse_string("spots", text, n, &pol_zones_host, &d));
    assert_int_equal(d.nerrors, 11);
    assert_string_equal(d.items[10].message,
                        "not a text file: too many bytes that are not UTF-8 text; giving up");
    pol_diags_free(&d);
}

/* One bad spot, one error: the bytes the text check reported are not
 * reported again by the scanner or the parser ('?' as an unknown keyword,
 * the '[' of an escape sequence, a duration "31mlast"). */
static void test_one_spot_one_error(void **state)
{
    (void)state;
    static const struct { const char *text, *want; } spots[] = {
        /* a Latin-1 byte after a statement: was two errors */
        { "timezone \"UTC\"\xe9\nkeep-all 1d\n",
          "1:15: error: byte 0xe9 at offset 14 is not UTF-8 text (the file must be UTF-8)\n" },
        /* a Latin-1 word (r\xe9sum\xe9): one spot */
        { "keep-all 1d # r\xe9sum\xe9\n",
          "1:16: error: byte 0xe9 at offset 15 is not UTF-8 text, nor is 1 more up to offset 19 "
          "(the file must be UTF-8)\n" },
        /* a colour escape sequence around a rule: was six errors */
        { "keep-all 1d\n\x1b[31mlast 3\n",
          "2:1: error: control character 0x1b (ESC: a terminal escape sequence) at offset 12 is "
          "not text\n" },
        /* ... and the errors of other lines are still reported */
        { "keep-all 1d\n\x1b[31mlast 3\nkeepall 2d\n",
          "2:1: error: control character 0x1b (ESC: a terminal escape sequence) at offset 12 is "
          "not text\n"
          "3:1: error: unknown keyword 'keepall'; did you mean 'keep-all'?\n" },
        /* a run of control bytes is one spot */
        { "keep-all 1d\x01\x02\x03\n",
          "1:12: error: control character 0x01 at offset 11 is not text, nor are 2 more up to "
          "offset 13\n" },
    };
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        pol_diags d = { 0 };
        assert_null(pol_parse_string("t", spots[i].text, strlen(spots[i].text), &pol_zones_host,
                                     &d));
        char *got = diag_lines(&d);
        if (strcmp(got, spots[i].want) != 0)
            fail_msg("case %zu:\n got: %s want: %s", i, got, spots[i].want);
        free(got);
        pol_diags_free(&d);
    }
}

/* A long line is quoted as a window of POL_DIAG_LINE_MAX characters
 * around the error, "..." where cut, the caret still under the error. */
static void test_long_line_capped(void **state)
{
    (void)state;
    char text[1024];
    int pad = 300;
    int n = snprintf(text, sizeof text, "keep-all 1d %*s bogus %*s\n", pad, "", pad, "");
    pol_diags d = { 0 };
    assert_null(pol_parse_string("t", text, (size_t)n, &pol_zones_host, &d));
    assert_int_equal(d.n, 1);
    char *r = pol_diag_render(&d.items[0]);
    assert_non_null(r);
    char *src = strchr(r, '\n') + 1, *caret = strchr(src, '\n') + 1;
    size_t srclen = (size_t)(caret - 1 - src);
    assert_true(srclen <= POL_DIAG_LINE_MAX + 2 + 6);       /* "  " and two "..." */
    assert_memory_equal(src, "  ...", 5);
    assert_memory_equal(caret + (strchr(src, 'b') - src), "^", 1);
    assert_memory_equal(src + srclen - 3, "...", 3);
    free(r);
    /* a short line is quoted whole */
    pol_diags_free(&d);
    d = (pol_diags){ 0 };
    n = snprintf(text, sizeof text, "keep-all 1d bogus\n");
    assert_null(pol_parse_string("t", text, (size_t)n, &pol_zones_host, &d));
    r = pol_diag_render(&d.items[0]);
    assert_non_null(strstr(r, "\n  keep-all 1d bogus\n              ^\n"));
    free(r);
    pol_diags_free(&d);
}

/* More than 5000 statements is not a policy: one error where the limit
 * is crossed, and the (quadratic) repeat checks stay cheap. */
static void test_statement_limit(void **state)
{
    (void)state;
    size_t n = 6000, len = n * 7;
    char *text = malloc(len + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + i * 7, "last 3\n", 7);
    text[len] = '\0';
    pol_diags d = { 0 };
    assert_null(pol_parse_string("big", text, len, &pol_zones_host, &d));
    assert_int_equal(d.nerrors, 1);
    assert_int_equal(d.nwarnings, 4999);    /* rule "last 3" repeats line 1 */
    for (size_t i = 0; i < d.n; i++)
        if (d.items[i].level == POL_ERROR) {
            assert_int_equal(d.items[i].line, 5001);
            assert_string_equal(d.items[i].message,
                                "more than 5000 statements: the rest of the file is ignored");
        }
    pol_diags_free(&d);
    free(text);
}

/* The rendered form: location, level, message, source line, caret under
 * the column (tabs copied, one space per character before it). */
static void test_render(void **state)
{
    (void)state;
    static const struct { const char *in, *want; } r[] = {
        { "keep-all 24h\n\tevery 12h to 12h\n",
          "f.policy:2:15: error: tier \"every 12h to 12h\" must end after \"keep-all 24h\" "
          "(line 1), but 12h is shorter than 24h\n"
          "  \tevery 12h to 12h\n"
          "  \t             ^\n" },
        { "disk \"d\u00e9j\u00e0\" frob\nlast 3",
          "f.policy:1:15: error: unknown keyword 'frob', expecting end of file or "
          "end of line or ',' or ';'\n"
          "  disk \"d\u00e9j\u00e0\" frob\n"
          "              ^\n" },
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        pol_diags d = { 0 };
        assert_null(pol_parse_string("f.policy", r[i].in, strlen(r[i].in), &pol_zones_host, &d));
        assert_int_equal(d.n, 1);
        char *got = pol_diag_render(&d.items[0]);
        assert_string_equal(got, r[i].want);
        free(got);
        pol_diags_free(&d);
    }
    pol_diag w = { POL_WARNING, (char *)"x", 3, 1, (char *)"careful", NULL, 0 };
    char *got = pol_diag_render(&w);
    assert_string_equal(got, "x:3:1: warning: careful\n");
    free(got);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* tests/golden/check/NAME.policy must render exactly NAME.expected (every
 * diagnostic in order, with source lines and carets). With
 * UPDATE_GOLDEN=1 (the one variable every golden test reads) the expected
 * files are rewritten instead. */
static void golden_all(void)
{
    const char *dir = "tests/golden/check";
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    int n = 0;
    const char *update = getenv("UPDATE_GOLDEN");
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".policy") != 0)
            continue;
        char path[512], exp_path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(exp_path, sizeof exp_path, "%s/%.*s.expected", dir, (int)(len - 7), e->d_name);
        pol_diags d = { 0 };
        pol_file *f = pol_parse_file(path, &d);
        char got[1 << 16];
        size_t gn = 0;
        got[0] = '\0';
        for (size_t i = 0; i < d.n; i++) {
            char *r = pol_diag_render(&d.items[i]);
            gn += (size_t)snprintf(got + gn, sizeof got - gn, "%s", r);
            free(r);
        }
        if (update != NULL && strcmp(update, "1") == 0) {
            FILE *o = fopen(exp_path, "wb");
            assert_non_null(o);
            fputs(got, o);
            fclose(o);
        }
        char *want = slurp(exp_path);
        if (want == NULL)
            fail_msg("%s: missing", exp_path);
        if (strcmp(got, want) != 0)
            fail_msg("%s\n--- got\n%s--- want\n%s", path, got, want);
        assert_true(d.n > 0);
        free(want);
        pol_file_free(f);
        pol_diags_free(&d);
        n++;
    }
    closedir(dp);
    assert_true(n >= 5);
}

static void test_golden(void **state)
{
    (void)state;
    golden_all();
}

/* The goldens do not depend on where the zone database is: the same
 * directory named with a trailing slash gives the same output. */
static void test_golden_tzdir_independent(void **state)
{
    (void)state;
    const char *old = getenv("TZDIR");
    char saved[4096], dir[4200];
    snprintf(saved, sizeof saved, "%s", old != NULL ? old : "");
    snprintf(dir, sizeof dir, "%s/", saved[0] != '\0' ? saved : "/usr/share/zoneinfo");
    setenv("TZDIR", dir, 1);
    golden_all();
    if (saved[0] != '\0')
        setenv("TZDIR", saved, 1);
    else
        unsetenv("TZDIR");
}

static int zone_calls;

static eng_tz *counting_zone(void *ctx, const char *name, char *err, size_t errlen)
{
    zone_calls++;
    if (strcmp(name, "Test/Zone") == 0)
        return eng_tz_utc();
    snprintf(err, errlen, "%s: not in the test's zones (%s)", name, (const char *)ctx);
    return NULL;
}

/* The compiler asks the zone source it is given: a parse from memory with
 * none knows only UTC (no $TZDIR, no file is read), an injected one is
 * asked once per zone and its answer (or its message) used. */
static void test_zones_injected(void **state)
{
    (void)state;
    char dir[] = "/tmp/snapkeep-tzinj-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/Test", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/Test/Zone", dir);
    FILE *z = fopen(path, "w");     /* would be read (and refused) from $TZDIR */
    assert_non_null(z);
    fputs("not TZif\n", z);
    fclose(z);
    setenv("TZDIR", dir, 1);

    static const char text[] = "timezone \"Test/Zone\"\nlast 3";
    pol_diags d = { 0 };
    assert_null(pol_parse_string("m.policy", text, sizeof text - 1, NULL, &d));
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(d.items[0].message,
                        "unknown time zone \"Test/Zone\" (only UTC is known here)");
    assert_int_equal(d.items[0].line, 1);
    assert_int_equal(d.items[0].col, 10);
    pol_diags_free(&d);
    pol_file *f = pol_parse_string("m.policy", "last 3", 6, NULL, &d);
    assert_non_null(f);             /* UTC, the default, needs nothing */
    pol_file_free(f);
    pol_diags_free(&d);

    static char zctx[] = "ctx";
    pol_zones zones = { counting_zone, zctx };
    zone_calls = 0;
    f = pol_parse_string("m.policy", text, sizeof text - 1, &zones, &d);
    assert_non_null(f);
    assert_int_equal(zone_calls, 1);
    assert_non_null(f->policies[0]->tz);
    pol_file_free(f);
    pol_diags_free(&d);
    static const char other[] = "timezone \"Europe/Paris\"\nlast 3";
    assert_null(pol_parse_string("m.policy", other, sizeof other - 1, &zones, &d));
    assert_string_equal(d.items[0].message, "Europe/Paris: not in the test's zones (ctx)");
    pol_diags_free(&d);

    unsetenv("TZDIR");
    remove(path);
    snprintf(path, sizeof path, "%s/Test", dir);
    rmdir(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_binary_gives_up),
        cmocka_unit_test(test_many_spots_give_up),
        cmocka_unit_test(test_one_spot_one_error),
        cmocka_unit_test(test_long_line_capped),
        cmocka_unit_test(test_statement_limit),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_golden_tzdir_independent),
        cmocka_unit_test(test_zones_injected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
