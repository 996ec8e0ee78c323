#!/usr/bin/env bash
# snapkeep status against tests/arm/serve: a healthy disk is OK, one missed
# snapshot WARNING, a stale disk CRITICAL, a listing failure UNKNOWN (exit
# 3, never OK), a disk near Azure's 500 cap WARNING, and --offline answers
# from the state directory with no server running; the JSON document has
# the shape doc/json.md gives; a corrupt or hostile state file is UNKNOWN
# naming the file.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

run_fixture
run_start "$T_TMP/srv" "$T_TMP/seed.json" || { t_fail "server starts"; t_done; }

# st T [options]: snapkeep status at virtual time T.
st() {
    local t=$1; shift
    run_clock "$t"
    "$SNAPKEEP" status "$P" --now "$t" --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA" "$@"
}
# line: the Nagios line of the last t_exit
line() { cat "$T_TMP/out"; }

# before any run: the listing alone (newest 23:00, 30m old at 23:30)
t_exit "no run yet, newest 30m old: OK" 0 st 2026-11-20T23:30:00Z --format nagios
t_check "no run yet: one line, 'SNAPKEEP OK - '" \
    bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "^SNAPKEEP OK - 1 disk protected" "$1"' _ "$T_TMP/out"

t_exit "run at NOW: exit 0" 0 sk_run "$P" "$NOW"

# 1. healthy: the run's snapshot is 30 minutes old
t_exit "healthy: nagios exit 0" 0 st 2026-11-21T00:30:00Z --format nagios
t_check "healthy: OK line with the RPO and cap perfdata" \
    bash -c 'grep -q "^SNAPKEEP OK - 1 disk protected, newest snapshots at most 30m old | '"'"'dss-datadir/dss-data rpo'"'"'=1800s;7200;10800;0; '"'"'dss-datadir/dss-data snapshots'"'"'=26;449;499;0;500$" "$1"' _ "$T_TMP/out"
t_exit "healthy: table exit 0" 0 st 2026-11-21T00:30:00Z
t_check "healthy: table shows the disk, the last run and the next due creation" \
    bash -c 'grep -q "^  dss-data  *OK  *2026-11-21T00:00:00Z  *30m  *26/500  *2026-11-21T00:55:00Z$" "$1" &&
             grep -q "last run: 2026-11-21T00:00:00Z, exit 0: 1 created, 5 deleted, 0 deferred, 0 failed" "$1" &&
             grep -q "^status: OK (1 disk: 1 ok" "$1"' _ "$T_TMP/out"

# a corrupt or hostile state file: UNKNOWN (never OK), naming the file,
# live and offline (a copy of the state directory, one file spoilt each time)
st_in() {
    local dir=$1 t=$2; shift 2
    run_clock "$t"
    "$SNAPKEEP" status "$P" --now "$t" --state-dir "$dir" --ca-file "$AZ_CA" "$@"
}
spoil() {   # spoil FILE CONTENT: a fresh copy of the state with FILE replaced
    rm -rf "$T_TMP/spoilt" && cp -r "$RUN_STATE_DIR" "$T_TMP/spoilt"
    printf '%s' "$2" >"$T_TMP/spoilt/$1"
}
spoil last-run.json '{"policies":{"dss-datadir":'
t_exit "truncated last-run.json: live UNKNOWN" 3 st_in "$T_TMP/spoilt" 2026-11-21T00:30:00Z --format nagios
t_check "truncated last-run.json: the line names the file" \
    grep -q "^SNAPKEEP UNKNOWN - cannot read the last-run record: $T_TMP/spoilt/last-run.json: not a JSON object" "$T_TMP/out"
t_exit "truncated last-run.json: offline UNKNOWN" 3 st_in "$T_TMP/spoilt" 2026-11-21T00:30:00Z --format nagios --offline
t_check "truncated last-run.json offline: the line names the file" \
    grep -q "^SNAPKEEP UNKNOWN - cannot read the last-run record: $T_TMP/spoilt/last-run.json" "$T_TMP/out"
spoil last-run.json '{"policies":{"dss-datadir":{"exit":1e300,"listed":true,"disks":[]}}}'
# (the exit status unknown is also a run that did not succeed: WARNING,
# which the Monitoring Plugins rank above UNKNOWN)
t_exit "last-run.json exit 1e300: WARNING, not OK" 1 st_in "$T_TMP/spoilt" 2026-11-21T00:30:00Z --format nagios
t_check "exit 1e300: says the field" grep -q "last-run.json: policy \"dss-datadir\": exit: not an exit status" "$T_TMP/out"
spoil last-run.json '{"policies":{"dss-datadir":{"exit":0,"listed":true,"disks":[{"disk":"/x/d","newest":null,"snapshots":-5,"owned":0}]}}}'
t_exit "last-run.json snapshots -5: offline UNKNOWN" 3 st_in "$T_TMP/spoilt" 2026-11-21T00:30:00Z --format nagios --offline
t_check "snapshots -5: says the counts are wrong" grep -q "last-run.json: policy \"dss-datadir\": disk /x/d: the counts are not counts" "$T_TMP/out"
spoil last-success.json '{"dss-datadir":1e300}'
t_exit "last-success.json 1e300: UNKNOWN" 3 st_in "$T_TMP/spoilt" 2026-11-21T00:30:00Z --format nagios
t_check "last-success 1e300: names the file" grep -q "last-success.json: policy \"dss-datadir\": not a time" "$T_TMP/out"
spoil drill-report.json 'not json'
t_exit "corrupt drill-report.json: UNKNOWN" 3 st_in "$T_TMP/spoilt" 2026-11-21T00:30:00Z --format nagios
t_check "corrupt drill report: names the file" \
    grep -q "cannot read the drill report: $T_TMP/spoilt/drill-report.json: not a JSON object" "$T_TMP/out"

# 2. one snapshot late: 2h30m since the newest (warning past two cadences)
t_exit "one snapshot late: WARNING, exit 1" 1 st 2026-11-21T02:30:00Z --format nagios
t_check "late: the line says why, with the limit" \
    grep -q "^SNAPKEEP WARNING - dss-datadir/dss-data: late, newest 2h30m old (warning past 2h) |" "$T_TMP/out"
t_exit "exactly two cadences: still OK" 0 st 2026-11-21T02:00:00Z --format nagios
t_exit "--warn-rpo 3h: 2h30m is OK" 0 st 2026-11-21T02:30:00Z --format nagios --warn-rpo 3h
t_exit "--warn-rpo 10m --crit-rpo 20m: 30m is CRITICAL" 2 st 2026-11-21T00:30:00Z --format nagios \
    --warn-rpo 10m --crit-rpo 20m
t_check "given limits are in the perfdata" grep -q "rpo'=1800s;600;1200;0;" "$T_TMP/out"

# 3. stale: past the stale rule (three cadences)
t_exit "stale: CRITICAL, exit 2" 2 st 2026-11-21T03:30:00Z --format nagios
t_check "stale: the line says stale" \
    grep -q "^SNAPKEEP CRITICAL - dss-datadir/dss-data: stale, newest 3h30m old (critical past 3h) |" "$T_TMP/out"
t_exit "stale: the table exits 2 too" 2 st 2026-11-21T03:30:00Z

# 4. a listing failure: UNKNOWN, exit 3, in every format
az_faults '{"rules":[{"action":"status","status":403,"kind":"list","code":"AuthorizationFailed","message":"no read"}]}'
t_exit "listing failure: UNKNOWN, exit 3" 3 st 2026-11-21T00:30:00Z --format nagios
t_check "listing failure: an UNKNOWN line, never OK" \
    bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "^SNAPKEEP UNKNOWN - the snapshot listing failed" "$1"' _ "$T_TMP/out"
t_exit "listing failure: json exit 3" 3 st 2026-11-21T00:30:00Z --format json
t_check "listing failure: json status UNKNOWN" \
    bash -c 'jq -e ".status == \"UNKNOWN\" and .exit == 3 and .policies[0].status == \"UNKNOWN\"" "$1" >/dev/null' _ "$T_TMP/out"
t_exit "listing failure: table exit 3" 3 st 2026-11-21T00:30:00Z
az_faults '{"rules":[]}'

# 5. the JSON document
t_exit "json: exit 1 when late" 1 st 2026-11-21T02:30:00Z --format json
t_check "json: the documented shape" python3 - "$T_TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"status", "exit", "now", "offline", "state_dir", "policies"}, d.keys()
assert d["status"] == "WARNING" and d["exit"] == 1 and d["offline"] is False
assert d["now"] == "2026-11-21T02:30:00Z"
p, = d["policies"]
assert set(p) == {"policy", "file", "status", "problem", "cadence_seconds", "warn_rpo_seconds",
                  "crit_rpo_seconds", "last_run", "last_success", "last_drill", "disks"}, p.keys()
assert (p["policy"], p["status"], p["problem"]) == ("dss-datadir", "WARNING", None)
assert (p["cadence_seconds"], p["warn_rpo_seconds"], p["crit_rpo_seconds"]) == (3600, 7200, 10800)
r = p["last_run"]
assert set(r) == {"started", "finished", "exit", "ok", "kept", "created", "deleted", "deferred", "failed"}
assert (r["exit"], r["ok"], r["created"], r["deleted"], r["deferred"], r["failed"]) == (0, True, 1, 5, 0, 0)
assert r["started"] == "2026-11-21T00:00:00Z"
assert p["last_success"].startswith("2026-11-21T00:00:") and p["last_drill"] is None
k, = p["disks"]
assert set(k) == {"disk", "name", "status", "rpo_status", "cap_status", "reason", "newest",
                  "rpo_seconds", "snapshots", "owned", "snapshot_cap", "near_cap", "next_due",
                  "overdue", "copy", "drill"}, k.keys()
assert k["disk"].endswith("/resourceGroups/dss-prod/providers/Microsoft.Compute/disks/dss-data")
assert (k["name"], k["status"], k["rpo_status"], k["cap_status"]) == ("dss-data", "WARNING", "WARNING", "OK")
assert k["reason"] == "late, newest 2h30m old (warning past 2h)"
assert (k["newest"], k["rpo_seconds"], k["snapshots"], k["owned"]) == ("2026-11-21T00:00:00Z", 9000, 26, 26)
assert (k["snapshot_cap"], k["near_cap"]) == (500, 450)
assert (k["next_due"], k["overdue"], k["drill"]) == ("2026-11-21T00:55:00Z", True, None)
assert k["copy"] is None    # no copy-to: no copy lag (copies.sh checks one)
PY

# 6. --offline: the state directory alone, with no server at all
kill "$AZ_PID" 2>/dev/null; wait "$AZ_PID" 2>/dev/null
export SNAPKEEP_ARM_ENDPOINT=https://127.0.0.1:9
t_exit "no server: a live check is UNKNOWN" 3 st 2026-11-21T00:30:00Z --format nagios --retry-budget 1
t_exit "offline, no server: healthy OK" 0 st 2026-11-21T00:30:00Z --format nagios --offline
t_check "offline: the same line, marked offline" \
    grep -q "^SNAPKEEP OK - 1 disk protected, newest snapshots at most 30m old (offline) | 'dss-datadir/dss-data rpo'=1800s;7200;10800;0; 'dss-datadir/dss-data snapshots'=26;449;499;0;500$" "$T_TMP/out"
t_exit "offline: late WARNING" 1 st 2026-11-21T02:30:00Z --format nagios --offline
t_exit "offline: stale CRITICAL" 2 st 2026-11-21T03:30:00Z --format nagios --offline
t_exit "offline: json" 1 st 2026-11-21T02:30:00Z --format json --offline
t_check "offline: json says offline, counts from the record" \
    bash -c 'jq -e ".offline and .policies[0].disks[0].snapshots == 26 and .policies[0].disks[0].rpo_seconds == 9000" "$1" >/dev/null' _ "$T_TMP/out"
t_exit "offline, empty state directory: UNKNOWN" 3 "$SNAPKEEP" status "$P" --offline \
    --state-dir "$T_TMP/empty" --now 2026-11-21T00:30:00Z --format nagios
t_check "offline, nothing recorded: says so" \
    grep -q "^SNAPKEEP UNKNOWN - no run of policy \"dss-datadir\" is recorded in $T_TMP/empty" "$T_TMP/out"
t_check "status created nothing in the state directory it read" test ! -e "$T_TMP/empty"

# 7. a disk near the cap: 460 snapshots, fresh
run_seed "$T_TMP/big.json" 2026-11-20T23:00:00Z 460
run_start "$T_TMP/big" "$T_TMP/big.json" || t_fail "big server starts"
t_exit "near the cap: WARNING" 1 st 2026-11-20T23:30:00Z --format nagios
t_check "near the cap: the line and the perfdata say 460" \
    grep -q "^SNAPKEEP WARNING - dss-datadir/dss-data: near the snapshot cap, 460 of 500 | .*'dss-datadir/dss-data snapshots'=460;449;499;0;500$" "$T_TMP/out"

# usage errors are UNKNOWN too (Monitoring Plugins guidelines)
t_exit "bad --format: exit 3" 3 "$SNAPKEEP" status "$P" --format xml
t_exit "bad --warn-rpo: exit 3" 3 "$SNAPKEEP" status "$P" --warn-rpo 2x --format nagios
t_check "usage error in nagios format: an UNKNOWN line" grep -q "^SNAPKEEP UNKNOWN - usage error" "$T_TMP/out"
t_exit "no file: exit 3" 3 "$SNAPKEEP" status
t_exit "unknown option: exit 3" 3 "$SNAPKEEP" status "$P" --ofline
t_check "unknown option: snapkeep's own message with a hint" \
    grep -q "^snapkeep: status: unknown option '--ofline'; did you mean '--offline'?" "$T_TMP/err"
t_exit "--help: exit 0" 0 "$SNAPKEEP" status --help
t_check "help status and status --help are one text" \
    bash -c 'cmp -s <("$1" help status) <("$1" status --help)' _ "$SNAPKEEP"
t_done
