/* The record of an unfinished recovery operation (restore --attach-to,
 * restore --replace-on, release): STATE_DIR/recovery.json, written before
 * the first change and removed when the operation has finished. It holds
 * what live state cannot tell a resumed command (the snapshot --latest
 * chose, the LUN, whether the VM was running), so the same command run
 * again after a kill finishes the same job (failover: the list of disks
 * with their LUNs). Another recovery operation in
 * the same state directory is refused while it exists. */
#ifndef SNAPKEEP_RCV_RECORD_H
#define SNAPKEEP_RCV_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/journal.h"
#include "cli/state.h"
#include "engine/recovery.h"

#define CLI_RCV_RECORD_FILE "recovery.json"

typedef struct cli_rcv_record {
    bool present;
    char key[2200];             /* what identifies the operation (cli_rcv_key) */
    char command_line[4096];    /* the command to run again, shell-quoted */
    char started[40];           /* RFC 3339 */
    char snapshot[1024];        /* the snapshot chosen ("" for release) */
    rcv_facts facts;
    /* failover: every disk moved, as the first attempt found it on the
     * source, and (--restore) the snapshot and new disk chosen for it */
    size_t ndisks;
    struct cli_rcv_record_disk {
        char id[1024];
        int lun;
        char caching[16];
        bool write_accelerator;
        char snapshot[1024];    /* "" without --restore */
        char target[1024];
    } disks[RCV_MAX_DISKS];
} cli_rcv_record;

/* "OP|policy|disk|vm|target", IDs lower-cased: the same operation whatever
 * the spelling or the snapshot option (--latest resolved once, recorded). */
void cli_rcv_key(char *buf, size_t n, const char *op, const char *policy, const char *disk,
                 const char *vm, const char *target);
/* argv (argv[0] the command's name) as one shell-quoted line
 * ("snapkeep restore p.policy --disk 'a b'"). */
void cli_rcv_command_line(char *buf, size_t n, int argc, char **argv);

/* 0 (out->present says whether one exists), or -1 with err (unreadable
 * or malformed: the caller refuses, it does not guess). */
int cli_rcv_record_load(const cli_state *st, cli_rcv_record *out, char *err, size_t errlen);
/* The record's parser, from memory (`name` stands for the file in err):
 * 0 with out->present, or -1 (malformed) with out zeroed. */
int cli_rcv_record_parse(const char *name, const char *text, size_t len, cli_rcv_record *out,
                         char *err, size_t errlen);
int cli_rcv_record_save(const cli_state *st, const cli_rcv_record *r, char *err, size_t errlen);
int cli_rcv_record_clear(const cli_state *st, char *err, size_t errlen);

/* Where a recovery command (`command`: "release", "failover") keeps its
 * state: unless dry_run, the state directory's lock, the journal and its
 * start line (*journaling set once it is open); then the record, which
 * must be absent or this operation's (`key`). Another operation's record
 * is refused, naming the command to run again; this one's is resumed
 * (said on stderr when resume_note); with none, rec gets key and the
 * command line of argv. Returns EXIT_OK, or the exit code with the reason
 * printed. */
int cli_rcv_open(const char *command, const char *state_dir, bool dry_run,
                 const char *policy_path, const char *key, int argc, char **argv,
                 bool resume_note, cli_state *state, cli_journal *journal, bool *journaling,
                 cli_rcv_record *rec);

#endif
