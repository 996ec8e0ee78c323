#!/usr/bin/env bash
# snapkeep run's safety rails, each under its fault, against tests/arm/serve:
# listing failures and throttling fail closed, max-delete defers the newest,
# a stalled disk is not pruned (unless --allow-stale), clock skew refuses
# deletes, ScopeLocked fails one delete and the rest go on, legal holds and
# unmanaged/foreign snapshots are never touched, one run per state dir,
# and --dry-run changes nothing.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

NOW=2026-11-21T00:00:00Z
NEW=dss-data-20261121T000000Z
# 30 hourly snapshots up to an hour ago: at NOW the 12h tier prunes
# 2026-11-19T19:00..23:00 (5); plus a held, an untagged, a foreign and an
# out-of-scope snapshot the policy must never delete.
EXTRAS=("hold-1@2026-11-19T21:30:00Z@snapkeep-policy=dss-datadir,legal-hold=case-42"
        "untagged-old@2026-11-19T19:30:00Z@-"
        "foreign-old@2026-11-19T19:40:00Z@snapkeep-policy=other"
        "other-disk-old@2026-11-10T00:00:00Z@snapkeep-policy=dss-datadir,disk=dss-other")
PRUNED="dss-data-20261119T190000Z dss-data-20261119T200000Z dss-data-20261119T210000Z dss-data-20261119T220000Z dss-data-20261119T230000Z"
run_seed "$T_TMP/seed.json" 2026-11-20T23:00:00Z 30 "${EXTRAS[@]}"
run_seed "$T_TMP/stale.json" 2026-11-20T20:00:00Z 30 "${EXTRAS[@]}"
P=$T_TMP/p.policy
run_policy "$P"

# scenario NAME [SEED [SERVE OPTIONS]]: a fresh server and state dir; saves
# what the policy keeps before the run in $S/want and the names in $S/before.
scenario() {
    S=$T_TMP/$1
    local seed=${2:-$T_TMP/seed.json}
    shift; shift || true
    run_start "$S" "$seed" "$@" || { t_fail "$S: server starts"; return 1; }
    run_clock "$NOW"
    run_expect "$NOW" >"$S/want"
    run_names >"$S/before"
}
# after: names now, without this run's new snapshot
after() { run_names >"$S/all" && grep -vx "$NEW" "$S/all" >"$S/after"; }
gone() { comm -23 "$S/before" "$S/after"; }
has() { grep -qx "$1" "$S/after"; }
created() { grep -qx "$NEW" "$S/all"; }
run() { sk_run "$P" "$NOW" "$@"; }

# 1. the plain run: exactly the 5 pruned, the rest untouched
scenario plain
t_exit "plain run: exit 0" 0 run --metrics-file "$S/m.prom"
after
t_check "plain run: the disk holds exactly what the policy keeps, plus the new snapshot" \
    cmp -s "$S/want" "$S/after"
t_check "plain run: the 5 pruned ones are gone" test "$(gone | tr '\n' ' ')" = "$PRUNED "
t_check "plain run: a snapshot was created" created
t_check "plain run: legal hold kept" has hold-1
t_check "plain run: untagged (unmanaged) snapshot never touched" has untagged-old
t_check "plain run: foreign snapshot never touched" has foreign-old
t_check "plain run: out-of-scope disk's snapshot never touched" \
    test "$(run_names dss-other)" = other-disk-old
t_check "plain run: journal: 5 delete intents, 5 done" \
    test "$(run_journal_count intent delete)/$(run_journal_count outcome delete "done")" = 5/5
t_check "plain run: metrics count 5 pruned, 1 created" \
    bash -c 'grep -qx "snapkeep_snapshots{policy=\"dss-datadir\",state=\"pruned\"} 5" "$1" &&
             grep -qx "snapkeep_snapshots{policy=\"dss-datadir\",state=\"created\"} 1" "$1"' _ "$S/m.prom"
t_check "plain run: metrics file is valid exposition text" \
    python3 "$RUN_MODEL" promcheck "$S/m.prom"
t_exit "plain run again: nothing more to do, exit 0" 0 run
cp "$S/all" "$S/all.1"
after
t_check "plain run again: nothing deleted, nothing created" cmp -s "$S/all.1" "$S/all"

# 2. adopt untagged: the untagged one becomes the policy's; foreign stays
scenario adopt
run_policy "$S/adopt.policy" "    adopt untagged"
t_exit "adopt untagged: exit 0" 0 sk_run "$S/adopt.policy" "$NOW"
after
t_check "adopt untagged: the untagged old snapshot is pruned" bash -c '! grep -qx untagged-old "$1"' _ "$S/after"
t_check "adopt untagged: the foreign snapshot still never touched" has foreign-old

# 3. a list page that keeps failing: exit 3, nothing created or deleted
scenario page "$T_TMP/seed.json" --page-size 10
az_faults '{"rules":[{"action":"error","status":500,"kind":"list","page":2,"retry_after":0}]}'
t_exit "failing list page: exit 3" 3 run
after
t_check "failing list page: nothing deleted" cmp -s "$S/before" "$S/after"
t_check "failing list page: nothing created" cmp -s "$S/before" "$S/all"
t_check "failing list page: no delete was even intended" test "$(run_journal_count intent delete)" = 0

# 4. the re-read after creation fails: created, but nothing deleted (the
# first listing is two lists: the snapshots, then the disks)
scenario reread
az_faults '{"rules":[{"action":"error","status":503,"kind":"list","after":2,"retry_after":0}]}'
t_exit "failing re-read: exit 3" 3 run
after
t_check "failing re-read: the snapshot was created" created
t_check "failing re-read: nothing deleted" cmp -s "$S/before" "$S/after"

# 5. a throttled listing that runs out of retries
scenario throttled
az_faults '{"rules":[{"action":"throttle","kind":"list","retry_after":0}]}'
t_exit "throttled listing: exit 3" 3 run
after
t_check "throttled listing: nothing deleted or created" cmp -s "$S/before" "$S/all"
t_check "throttled listing: says retries ran out" grep -q "retries" "$T_TMP/err"

# 6. max-delete: the oldest go first, the rest are deferred
scenario maxdel
t_exit "--max-delete 2: exit 0" 0 run --max-delete 2 --metrics-file "$S/m.prom"
after
t_check "--max-delete 2: the two oldest pruned" \
    test "$(gone | tr '\n' ' ')" = "dss-data-20261119T190000Z dss-data-20261119T200000Z "
t_check "--max-delete 2: three deferred, said so in one line" \
    test "$(grep -c 'deferred 3 deletions (taken 2026-11-19T21:00:00Z to 2026-11-19T23:00:00Z)' "$T_TMP/err")" = 1
t_check "--max-delete 2: metrics count 3 deferred" \
    grep -qx 'snapkeep_snapshots{policy="dss-datadir",state="deferred"} 3' "$S/m.prom"
t_exit "next run: the deferred ones go" 0 run
after
t_check "next run: exact keep set" cmp -s "$S/want" "$S/after"

# 7. stale: the newest is 4h old (3x the 1h cadence is 3h): created, nothing pruned, exit 5
scenario stale "$T_TMP/stale.json"
t_exit "stale disk: exit 5" 5 run
after
t_check "stale disk: nothing pruned" cmp -s "$S/before" "$S/after"
t_check "stale disk: a snapshot was still created" created
t_check "stale disk: said loudly" grep -q "STALE" "$T_TMP/err"
scenario stale-fail "$T_TMP/stale.json"
az_faults '{"rules":[{"action":"snapshot-limit","method":"PUT"}]}'
t_exit "stale disk, creation failing too: exit 5" 5 run
after
t_check "stale disk, creation failing: nothing pruned" cmp -s "$S/before" "$S/after"
t_check "stale disk, creation failing: nothing created" test "$(wc -l <"$S/all")" = "$(wc -l <"$S/before")"
t_check "stale disk, creation failing: SnapshotsLimitReached reported" grep -q SnapshotsLimitReached "$T_TMP/err"
scenario allow-stale "$T_TMP/stale.json"
t_exit "--allow-stale: exit 0" 0 run --allow-stale
after
t_check "--allow-stale: pruned as the policy says" cmp -s "$S/want" "$S/after"

# 7b. the creation's long-running operation ends Failed: reported, the run
# fails closed (exit 3, nothing deleted); the next run creates and prunes
scenario lro-failed
az_faults '{"rules":[{"action":"fail-lro","method":"PUT","times":1,"code":"InternalDiskManagementError"}]}'
t_exit "failed creation operation: exit 3" 3 run
after
t_check "failed creation operation: nothing deleted" cmp -s "$S/before" "$S/after"
t_check "failed creation operation: ARM's code reported" grep -q InternalDiskManagementError "$T_TMP/err"
t_check "failed creation operation: journaled as failed" \
    test "$(run_journal_count outcome create failed)" = 1
t_exit "next run: exit 0" 0 sk_run "$P" 2026-11-21T00:01:00Z
run_names >"$S/all"
t_check "next run: the snapshot is created and the 5 are pruned" \
    bash -c 'grep -qx dss-data-20261121T000100Z "$1" && test "$(grep -c "^dss-data-20261119T" "$1")" = 1' _ "$S/all"

# 8. clock skew: ARM's Date 15 minutes ahead: nothing deleted, exit 6
scenario skew
az_faults '{"clock_offset": 900, "rules":[]}'
t_exit "clock skew: exit 6" 6 run
after
t_check "clock skew: nothing deleted" cmp -s "$S/before" "$S/after"
t_check "clock skew: says why" grep -q "clock" "$T_TMP/err"

# 9. ScopeLocked on one snapshot: the others deleted, exit 4, not retried
scenario locked
az_faults '{"rules":[{"action":"lock","method":"DELETE","path":"/snapshots/dss-data-20261119T200000Z$"}]}'
t_exit "ScopeLocked: exit 4" 4 run --log-format json
after
t_check "ScopeLocked: the other four deleted" \
    test "$(gone | tr '\n' ' ')" = "dss-data-20261119T190000Z dss-data-20261119T210000Z dss-data-20261119T220000Z dss-data-20261119T230000Z "
t_check "ScopeLocked: the locked one is still there" has dss-data-20261119T200000Z
t_check "ScopeLocked: reported with ARM's code" grep -q '"code":"ScopeLocked"' "$T_TMP/err"
t_check "ScopeLocked: journaled as failed with the code" \
    grep -q '"outcome":"failed".*"error_code":"ScopeLocked"' "$RUN_STATE_DIR/journal.jsonl"
t_check "ScopeLocked: one DELETE sent for it, not retried" \
    test "$(grep -c '"method": *"DELETE".*dss-data-20261119T200000Z' "$AZ_LOG")" = 1
t_check "json log: every line is a JSON object with an event" \
    python3 -c 'import json,sys; [json.loads(l)["event"] for l in open(sys.argv[1])]' "$T_TMP/err"

# 9a. a DELETE that fails after its retries (503): exit 3, and nothing is
# deleted after it (one at a time, oldest first, so the others come after)
scenario delete-5xx
az_faults '{"rules":[{"action":"error","status":503,"method":"DELETE","path":"/snapshots/dss-data-20261119T190000Z$","retry_after":0}]}'
t_exit "DELETE failing after retries: exit 3" 3 run --parallel 1
after
t_check "DELETE failing after retries: nothing deleted after it" test -z "$(gone)"
t_check "DELETE failing after retries: the rest held back, said so" \
    test "$(grep -c 'not deleting dss-data-20261119T.*an Azure failure earlier' "$T_TMP/err")" = 4

# 9c. a snapshot dated in the future: kept, and reported as a warning
run_seed "$T_TMP/future.json" 2026-11-20T23:00:00Z 30 "future-1@2026-11-22T00:00:00Z@snapkeep-policy=dss-datadir"
scenario future "$T_TMP/future.json"
t_exit "future-dated snapshot: exit 0" 0 run
after
t_check "future-dated snapshot: kept" has future-1
t_check "future-dated snapshot: reported as a warning" grep -q 'warning: .*"future-1".*after now' "$T_TMP/err"

# 9b. a legal hold put on a snapshot after the plan pruned it, just before
# its delete (the server holds the re-read for 2 s while the tag is added)
scenario late-hold
LATE=dss-data-20261119T210000Z
az_faults '{"rules":[{"action":"delay","method":"GET","path":"/snapshots/'$LATE'$","seconds":2}]}'
sk_run "$P" "$NOW" 2>"$S/err" &
RUNPID=$!
for _ in $(seq 1 100); do
    grep -q "\"intent\",\"op\":\"delete\".*$LATE" "$RUN_STATE_DIR/journal.jsonl" 2>/dev/null && break
    sleep 0.05
done
TOKEN=$(curl -sS --cacert "$AZ_CA" "$AZ_URL/$AZ_TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
    -d client_id="$AZ_CLIENT" -d client_secret="$AZ_SECRET" \
    --data-urlencode scope=https://management.azure.com/.default |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sS -o /dev/null --cacert "$AZ_CA" -X PUT -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    "$AZ_URL/subscriptions/$AZ_SUB/resourceGroups/$RUN_RG/providers/Microsoft.Compute/snapshots/$LATE?api-version=2025-01-02" \
    -d '{"location":"westeurope","tags":{"snapkeep-policy":"dss-datadir","legal-hold":"late"},
         "properties":{"creationData":{"createOption":"Copy","sourceResourceId":"/subscriptions/'"$AZ_SUB"'/resourceGroups/'"$RUN_RG"'/providers/Microsoft.Compute/disks/dss-data"}}}'
wait "$RUNPID"
t_check "late legal hold: the run still exits 0" test $? = 0
after
t_check "late legal hold: the held snapshot was not deleted" has "$LATE"
t_check "late legal hold: the other four were" test "$(gone | wc -l)" = 4
t_check "late legal hold: reported as kept because of the hold" grep -q "kept $LATE: .*legal hold" "$S/err"
t_check "late legal hold: journaled as skipped" \
    grep -q "\"outcome\":\"skipped\".*legal hold" "$RUN_STATE_DIR/journal.jsonl"

# 10. one run per state directory
scenario lock
mkdir -p "$RUN_STATE_DIR"
flock -n "$RUN_STATE_DIR/lock" sleep 4 &
HOLDER=$!
sleep 0.3
start=$(date +%s%N)
t_exit "lock held: second run exits 6" 6 run
t_check "lock held: at once (under 2 s)" test $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000
t_check "lock held: says the lock is held" grep -q "holds the lock" "$T_TMP/err"
after
t_check "lock held: nothing done" bash -c 'cmp -s "$1" "$2" && ! grep -q PUT "$3"' _ \
    "$S/before" "$S/after" "$AZ_LOG"
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null

# 11. --dry-run: the plan and what it would do, nothing changed, no state dir
scenario dry
t_exit "--dry-run: exit 0" 0 run --dry-run
after
t_check "--dry-run: nothing created or deleted" \
    bash -c 'cmp -s "$1" "$2" && ! grep -Eq "\"method\": *\"(PUT|DELETE)\"" "$3"' _ \
    "$S/before" "$S/after" "$AZ_LOG"
t_check "--dry-run: the plan names the snapshot it would create" grep -q "$NEW" "$T_TMP/out"
t_check "--dry-run: says what it would delete (5)" test "$(grep -c 'would delete' "$T_TMP/err")" = 5
t_check "--dry-run: no state directory" test ! -e "$RUN_STATE_DIR"

# 12. disk selectors and creation options: a disk by name without a
# resource group (found by listing the subscription's disks), a disk by
# tag, extra tags, sku and full snapshots
run_seed "$T_TMP/sel.json" "$NOW" 0
python3 - "$T_TMP/sel.json" <<'PY'
import json, sys
seed = json.load(open(sys.argv[1]))
for d in seed["disks"]:
    if d["id"].endswith("/dss-other"):
        d["tags"] = {"snap": "hourly"}
json.dump(seed, open(sys.argv[1], "w"))
PY
scenario selectors "$T_TMP/sel.json"
cat >"$S/sel.policy" <<EOF
policy "sel" {
    subscription "$AZ_SUB"
    disk "dss-data"
    disks tagged "snap" = "hourly"
    snapshot every 1h
    keep-all 24h
    incremental no
    sku "Standard_ZRS"
    tag "team" = "dss"
}
EOF
t_exit "selectors: exit 0" 0 sk_run "$S/sel.policy" "$NOW"
cat >"$S/check.py" <<'PY'
import json, sys
snaps = {s["name"]: s for s in json.load(open(sys.argv[1]))["snapshots"]}
assert len(snaps) == 2, sorted(snaps)
for name in ("dss-data-20261121T000000Z", "dss-other-20261121T000000Z"):
    s = snaps[name]
    assert s["tags"] == {"snapkeep-policy": "sel", "team": "dss"}, s["tags"]
    assert s["sku"]["name"] == "Standard_ZRS", s["sku"]
    assert s["properties"]["incremental"] is False
    assert s["location"] == "westeurope"
PY
t_check "selectors: each selected disk got its snapshot, with the options" \
    python3 "$S/check.py" "$AZ_STATE"
t_exit "selectors: half an hour later: exit 0" 0 sk_run "$S/sel.policy" 2026-11-21T00:30:00Z
t_check "selectors: nothing was due again" python3 "$S/check.py" "$AZ_STATE"
cat >"$S/oos.policy" <<EOF
policy "oos" {
    subscription "$AZ_SUB"
    resource-group "dss-prod"
    disk "/subscriptions/$AZ_SUB/resourceGroups/elsewhere/providers/Microsoft.Compute/disks/dss-data"
    snapshot every 1h
    keep-all 24h
}
EOF
t_exit "a disk outside the policy's resource group: exit 4" 4 sk_run "$S/oos.policy" "$NOW"
t_check "outside the scope: refused with a reason, nothing created" \
    bash -c 'grep -q "outside the policy" "$1" && python3 "$2" "$3"' _ "$T_TMP/err" "$S/check.py" "$AZ_STATE"

# 12b. two policies in one file, one per disk: each snapshots its own disk,
# prunes only its own snapshots, and max-delete counts per policy
scenario two
cat >"$S/two.policy" <<EOF
timezone "UTC"
subscription "$AZ_SUB"
resource-group "$RUN_RG"
snapshot every 1h
max-delete 2
policy "dss-datadir" {
    disk "dss-data"
    keep-all 24h, every 12h to 7d, daily to 15d
    last 3
    tagged "legal-hold"
}
policy "other" {
    disk "dss-other"
    keep-all 12h
}
EOF
t_exit "two policies: exit 0" 0 sk_run "$S/two.policy" "$NOW" --metrics-file "$S/m.prom"
after
t_check "two policies: dss-datadir deleted its two oldest prunable (max-delete 2 each)" \
    test "$(gone | tr '\n' ' ')" = "dss-data-20261119T190000Z dss-data-20261119T200000Z "
t_check "two policies: the foreign-tagged snapshot on dss-data stays" has foreign-old
run_names dss-other >"$S/other"
t_check "two policies: each disk got its snapshot" \
    bash -c 'grep -qx "$1" "$2" && grep -qx dss-other-20261121T000000Z "$3"' _ "$NEW" "$S/all" "$S/other"
t_check "two policies: a dss-other snapshot tagged for dss-datadir: neither deletes it" \
    grep -qx other-disk-old "$S/other"
t_check "two policies: metrics per policy" \
    bash -c 'grep -q "snapkeep_snapshots{policy=\"other\",state=\"created\"} 1" "$1" &&
             grep -q "snapkeep_newest_snapshot_age_seconds{disk=\"dss-other\",policy=\"other\"}" "$1"' _ "$S/m.prom"

# 13. on a terminal, a progress line for a long batch (21 deletes), wiped
# before each log line; never in a log file
run_seed "$T_TMP/tty.json" 2026-11-20T23:00:00Z 48
scenario tty "$T_TMP/tty.json"
run_clock "$NOW"
script -qec "'$SNAPKEEP' run '$P' --now $NOW --state-dir '$RUN_STATE_DIR' --ca-file '$AZ_CA'" \
    "$S/typescript" >/dev/null 2>&1
t_check "tty: a progress line shows the deletes" grep -q "deleting 1/" "$S/typescript"
t_check "tty: progress wiped before log lines" grep -q $'\r\033\[K' "$S/typescript"
t_check "tty: no progress line when stderr is a file" bash -c '! grep -q "deleting 1/" "$1"' _ "$T_TMP/err"

# 14. a bare policy body has no Azure scope
printf 'keep-all 24h\n' >"$T_TMP/bare.policy"
t_exit "bare policy: exit 1" 1 sk_run "$T_TMP/bare.policy" "$NOW"
t_check "bare policy: says why" grep -q "no Azure scope" "$T_TMP/err"

# 15. the command line
t_exit "run --help: exit 0" 0 "$SNAPKEEP" run --help
t_check "run --help: lists the rails' options" grep -q -- "--allow-stale" "$T_TMP/out"
t_exit "run without a file: usage, exit 2" 2 "$SNAPKEEP" run
t_exit "run --max-delete -1: usage, exit 2" 2 "$SNAPKEEP" run "$P" --max-delete -1
t_exit "run --log-format xml: usage, exit 2" 2 "$SNAPKEEP" run "$P" --log-format xml
t_exit "run --now garbage: usage, exit 2" 2 "$SNAPKEEP" run "$P" --now yesterday
t_exit "run on a missing policy file: exit 1" 1 "$SNAPKEEP" run "$T_TMP/nope.policy"
t_done
