/* STATE_DIR/recovery.json (see rcv_record.h):
 *   {"format":"snapkeep-recovery/1","key":"...","command":"...",
 *    "started":"...","snapshot":"...","facts":{"lun":2,"caching":"ReadWrite",
 *    "write_accelerator":true,"was_running":true},
 *    "disks":[{"id":"...","lun":1,"caching":"None","write_accelerator":false,
 *              "snapshot":"...","target":"..."}]}       (failover only) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/rcv_record.h"

#define RECORD_FORMAT "snapkeep-recovery/1"
#define RECORD_MAX (64 * 1024)

static void lower_into(char **p, char *end, const char *s)
{
    for (; s != NULL && *s != '\0' && *p < end; s++)
        *(*p)++ = (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s;
}

void cli_rcv_key(char *buf, size_t n, const char *op, const char *policy, const char *disk,
                 const char *vm, const char *target)
{
    char *p = buf, *end = buf + n - 1;
    const char *parts[] = { op, policy, disk, vm, target };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (i > 0 && p < end)
            *p++ = '|';
        const char *s = parts[i];
        if (s != NULL && *s == '/')
            s++;
        if (i == 1) {           /* the policy name is exact */
            for (; s != NULL && *s != '\0' && p < end; s++)
                *p++ = *s;
        } else
            lower_into(&p, end, s);
    }
    *p = '\0';
}

static bool shell_plain(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("-_./=:,+@%", *s) != NULL))
            return false;
    return true;
}

void cli_rcv_command_line(char *buf, size_t n, int argc, char **argv)
{
    /* argv[0] is the command's name ("restore"), after "snapkeep" */
    size_t len = (size_t)snprintf(buf, n, "snapkeep");
    if (len >= n)
        len = n - 1;
    for (int i = 0; i < argc && len + 1 < n; i++) {
        const char *a = argv[i];
        buf[len++] = ' ';
        if (shell_plain(a)) {
            len += (size_t)snprintf(buf + len, n - len, "%s", a);
        } else {
            buf[len++] = '\'';
            for (; *a != '\0' && len + 5 < n; a++) {
                if (*a == '\'') {
                    memcpy(buf + len, "'\\''", 4);
                    len += 4;
                } else
                    buf[len++] = *a;
            }
            if (len + 1 < n)
                buf[len++] = '\'';
        }
        if (len >= n)
            len = n - 1;
        buf[len] = '\0';
    }
}

static int record_path(const cli_state *st, char *path, size_t n, char *err, size_t errlen)
{
    return cli_state_file(st, CLI_RCV_RECORD_FILE, path, n, err, errlen);
}

static bool copy_str(const cJSON *o, const char *name, char *dst, size_t n, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v))
        return !required && v == NULL;
    if (strlen(v->valuestring) >= n)
        return false;
    strcpy(dst, v->valuestring);
    return true;
}

static bool read_facts(const cJSON *f, rcv_facts *out)
{
    const cJSON *lun = cJSON_GetObjectItemCaseSensitive(f, "lun");
    const cJSON *wa = cJSON_GetObjectItemCaseSensitive(f, "write_accelerator");
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(f, "was_running");
    if (!cJSON_IsObject(f) || !cJSON_IsNumber(lun) || lun->valuedouble < 0 ||
        lun->valuedouble >= RCV_MAX_LUNS || lun->valuedouble != (int)lun->valuedouble ||
        !cJSON_IsBool(wa) || !cJSON_IsBool(run) ||
        !copy_str(f, "caching", out->caching, sizeof out->caching, true))
        return false;
    out->known = true;
    out->lun = (int)lun->valuedouble;
    out->write_accelerator = cJSON_IsTrue(wa);
    out->was_running = cJSON_IsTrue(run);
    return true;
}

static bool read_disks(const cJSON *a, cli_rcv_record *out)
{
    const cJSON *d;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > RCV_MAX_DISKS)
        return false;
    cJSON_ArrayForEach(d, a) {
        struct cli_rcv_record_disk *r = &out->disks[out->ndisks++];
        const cJSON *lun = cJSON_GetObjectItemCaseSensitive(d, "lun");
        const cJSON *wa = cJSON_GetObjectItemCaseSensitive(d, "write_accelerator");
        if (!cJSON_IsObject(d) || !cJSON_IsNumber(lun) || lun->valuedouble < 0 ||
            lun->valuedouble >= RCV_MAX_LUNS || lun->valuedouble != (int)lun->valuedouble ||
            !cJSON_IsBool(wa) || !copy_str(d, "id", r->id, sizeof r->id, true) ||
            !copy_str(d, "caching", r->caching, sizeof r->caching, true) ||
            !copy_str(d, "snapshot", r->snapshot, sizeof r->snapshot, false) ||
            !copy_str(d, "target", r->target, sizeof r->target, false))
            return false;
        r->lun = (int)lun->valuedouble;
        r->write_accelerator = cJSON_IsTrue(wa);
    }
    return out->ndisks > 0;
}

int cli_rcv_record_parse(const char *name, const char *text, size_t len, cli_rcv_record *out,
                         char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
    const cJSON *facts = cJSON_GetObjectItemCaseSensitive(o, "facts");
    const cJSON *disks = cJSON_GetObjectItemCaseSensitive(o, "disks");
    bool ok = cJSON_IsObject(o) && cJSON_IsString(fmt) &&
              strcmp(fmt->valuestring, RECORD_FORMAT) == 0 &&
              copy_str(o, "key", out->key, sizeof out->key, true) &&
              copy_str(o, "command", out->command_line, sizeof out->command_line, true) &&
              copy_str(o, "started", out->started, sizeof out->started, true) &&
              copy_str(o, "snapshot", out->snapshot, sizeof out->snapshot, false) &&
              (facts == NULL || read_facts(facts, &out->facts)) &&
              (disks == NULL || read_disks(disks, out));
    cJSON_Delete(o);
    if (!ok) {
        snprintf(err, errlen, "%s: not a recovery record snapkeep can read; check the VM and "
                 "its disks by hand, then remove the file", name);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->present = true;
    return 0;
}

int cli_rcv_record_load(const cli_state *st, cli_rcv_record *out, char *err, size_t errlen)
{
    char path[4200];
    memset(out, 0, sizeof *out);
    if (record_path(st, path, sizeof path, err, errlen) != 0)
        return -1;
    char *text = NULL;
    size_t len = 0;
    int rc = cli_read_file(path, RECORD_MAX, &text, &len, err, errlen);
    if (rc == 1)
        return 0;
    if (rc != 0)
        return -1;
    rc = cli_rcv_record_parse(path, text, len, out, err, errlen);
    free(text);
    return rc;
}

int cli_rcv_record_save(const cli_state *st, const cli_rcv_record *r, char *err, size_t errlen)
{
    char path[4200];
    if (record_path(st, path, sizeof path, err, errlen) != 0)
        return -1;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", RECORD_FORMAT);
    cJSON_AddStringToObject(o, "key", r->key);
    cJSON_AddStringToObject(o, "command", r->command_line);
    cJSON_AddStringToObject(o, "started", r->started);
    cJSON_AddStringToObject(o, "snapshot", r->snapshot);
    if (r->facts.known) {
        cJSON *f = cJSON_AddObjectToObject(o, "facts");
        cJSON_AddNumberToObject(f, "lun", r->facts.lun);
        cJSON_AddStringToObject(f, "caching", r->facts.caching);
        cJSON_AddBoolToObject(f, "write_accelerator", r->facts.write_accelerator);
        cJSON_AddBoolToObject(f, "was_running", r->facts.was_running);
    }
    cJSON *a = r->ndisks > 0 ? cJSON_AddArrayToObject(o, "disks") : NULL;
    for (size_t i = 0; a != NULL && i < r->ndisks; i++) {
        const struct cli_rcv_record_disk *d = &r->disks[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", d->id);
        cJSON_AddNumberToObject(e, "lun", d->lun);
        cJSON_AddStringToObject(e, "caching", d->caching);
        cJSON_AddBoolToObject(e, "write_accelerator", d->write_accelerator);
        if (d->snapshot[0] != '\0') {
            cJSON_AddStringToObject(e, "snapshot", d->snapshot);
            cJSON_AddStringToObject(e, "target", d->target);
        }
        cJSON_AddItemToArray(a, e);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = cli_write_file_atomic(path, text, strlen(text), 0600, err, errlen);
    cJSON_free(text);
    return rc;
}

int cli_rcv_record_clear(const cli_state *st, char *err, size_t errlen)
{
    char path[4200];
    if (record_path(st, path, sizeof path, err, errlen) != 0)
        return -1;
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int open_journal(const char *command, const char *state_dir, const char *policy_path,
                        cli_state *state, cli_journal *journal, bool *journaling)
{
    char err[1024];
    int rc = cli_state_open(state, cli_state_dir_for(state_dir), command, err, sizeof err);
    if (rc != 0)
        return cli_state_failed(NULL, rc, err);
    if (cli_journal_open(journal, state, command, cli_now(), err, sizeof err) != 0)
        return cli_state_failed(NULL, -1, err);
    *journaling = true;
    cli_journal_entry e = cli_journal_entry_init(cli_now(), "start");
    e.message = policy_path;
    if (cli_journal_write(journal, &e, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: %s: %s\n", command, err);
        return EXIT_INVALID;
    }
    return EXIT_OK;
}

int cli_rcv_open(const char *command, const char *state_dir, bool dry_run,
                 const char *policy_path, const char *key, int argc, char **argv,
                 bool resume_note, cli_state *state, cli_journal *journal, bool *journaling,
                 cli_rcv_record *rec)
{
    char err[1024];
    /* a dry run takes no lock, but shows the plan a resumed command would */
    cli_state peek = { .dir = (char *)cli_state_dir_for(state_dir), .lock_fd = -1 };
    const cli_state *st = &peek;
    if (!dry_run) {
        int rc = open_journal(command, state_dir, policy_path, state, journal, journaling);
        if (rc != EXIT_OK)
            return rc;
        st = state;
    }
    if (cli_rcv_record_load(st, rec, err, sizeof err) != 0) {
        fprintf(stderr, "snapkeep: %s: %s\n", command, err);
        return EXIT_REFUSED;
    }
    if (rec->present && strcmp(key, rec->key) != 0) {
        fprintf(stderr, "snapkeep: %s: another recovery operation, started %s, is unfinished "
                "(recorded in %s/%s):\n    %s\nrun that command again to finish it first\n",
                command, rec->started, st->dir, CLI_RCV_RECORD_FILE, rec->command_line);
        return EXIT_REFUSED;
    }
    if (rec->present && resume_note)
        fprintf(stderr, "snapkeep: %s: resuming the attempt started %s\n", command,
                rec->started);
    if (!rec->present) {
        snprintf(rec->key, sizeof rec->key, "%s", key);
        cli_rcv_command_line(rec->command_line, sizeof rec->command_line, argc, argv);
    }
    return EXIT_OK;
}
