/* libFuzzer target: the records `status`, `run` and the recovery commands
 * read back from the state directory, over arbitrary bytes. The first byte
 * picks the parser (the rest is the file), so one corpus covers all:
 *   'r'  last-run.json as status reads it       (cli/status_state.c)
 *   's'  last-success.json as status reads it
 *   'd'  drill-report.json as status reads it
 *   'j'  the journal, as run scans it           (cli/journal.c)
 *   'v'  the recovery record                    (cli/rcv_record.c)
 *   other: every parser over the whole input.
 * Beyond memory safety (ASan, UBSan: a hostile number cast to an int is
 * caught) it checks what callers rely on: a file that is not a JSON object
 * makes every policy UNKNOWN or worse, never OK, with a problem naming the
 * file; the status JSON renders; a refused journal or record leaves
 * nothing behind and says why. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/journal.h"
#include "cli/rcv_record.h"
#include "cli/state.h"
#include "cli/status.h"
#include "grammar/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_text[] =
    "policy \"p\" {\n  disk \"d\"\n  snapshot every 1h\n  keep-all 1d\n}\n";

static pol_file *policies(void)
{
    static pol_file *pf;
    if (pf == NULL) {
        pf = pol_parse_string("fuzz.policy", policy_text, sizeof policy_text - 1, NULL, NULL);
        if (pf == NULL || pf->npolicies != 1)
            abort();
    }
    return pf;
}

/* One status report of policy "p" from the three files (kind: which one
 * the input is; the others missing). */
static void status_of(char kind, const char *buf, size_t len, bool offline)
{
    static const char *const names[] = { "STATE/last-run.json", "STATE/last-success.json",
                                         "STATE/drill-report.json" };
    st_policy sp = { .p = policies()->policies[0], .file = "fuzz.policy", .state = HL_OK };
    st_report rep = { .now = 1000 * SK_USEC_PER_SEC, .offline = offline, .state_dir = "STATE",
                      .pols = &sp, .npols = 1 };
    sp.lim = hl_limits_of(sp.p, NULL, NULL, rep.now);
    st_state_files f = { 0 };
    int k = kind == 'r' ? 0 : kind == 's' ? 1 : 2;
    cJSON **slot = k == 0 ? &f.run : k == 1 ? &f.success : &f.drill;
    char *why = k == 0 ? f.why_run : k == 1 ? f.why_success : f.why_drill;
    *slot = cli_state_parse_object(names[k], buf, len, why, sizeof f.why_run);
    if ((*slot == NULL) != (why[0] != '\0'))
        abort();
    st_apply_state(&rep, offline, &f);
    /* the first problem is the one reported: offline, the missing
     * last-run record's comes before another file's */
    if (why[0] != '\0' && (sp.state == HL_OK ||
                           ((k == 0 || !offline) && strstr(sp.problem, names[k]) == NULL)))
        abort();
    for (size_t i = 0; i < sp.ndisks; i++) {     /* as status judges them */
        sp.disks[i].v = hl_judge_disk(&sp.lim, &sp.disks[i].f, rep.now);
        sp.disks[i].next_due = SK_TIME_MIN;
    }
    rep.state = sp.state;
    char *out = NULL;
    size_t outlen = 0;
    FILE *mf = open_memstream(&out, &outlen);
    if (mf != NULL) {
        st_render_json(&rep, mf);
        st_render_table(&rep, mf);
        st_render_nagios(&rep, mf);
        fclose(mf);
    }
    free(out);
    cJSON_Delete(*slot);
    for (size_t i = 0; i < sp.ndisks; i++)
        free(sp.disks[i].id);
    free(sp.disks);
}

static void journal_of(const char *buf, size_t len)
{
    cli_journal_scan scan;
    char err[256];
    if (cli_journal_scan_buffer("journal", buf, len, &scan, err, sizeof err) != 0) {
        if (scan.runs || scan.pending || scan.nruns || scan.npending)
            abort();
        return;
    }
    for (size_t i = 0; i < scan.npending; i++)
        if (memchr(scan.pending[i].run, '\0', sizeof scan.pending[i].run) == NULL)
            abort();
    cli_journal_scan_free(&scan);
}

static void record_of(const char *buf, size_t len)
{
    cli_rcv_record r;
    char err[512];
    if (cli_rcv_record_parse("STATE/recovery.json", buf, len, &r, err, sizeof err) != 0) {
        if (r.present || strncmp(err, "STATE/recovery.json", 19) != 0)
            abort();
        return;
    }
    if (!r.present || r.ndisks > RCV_MAX_DISKS)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char kind = (char)data[0];
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    switch (kind) {
    case 'r': case 's': case 'd':
        status_of(kind, buf, len, false);
        status_of(kind, buf, len, true);
        break;
    case 'j':
        journal_of(buf, len);
        break;
    case 'v':
        record_of(buf, len);
        break;
    default:
        buf = (const char *)data;
        len = size;
        status_of('r', buf, len, true);
        status_of('s', buf, len, false);
        status_of('d', buf, len, true);
        journal_of(buf, len);
        record_of(buf, len);
    }
    return 0;
}
