#!/usr/bin/env bash
# Findings of the hardening audit that need the test server: an HTTP 200
# with an empty body where snapkeep reads a resource (the re-read before a
# delete, the read-back after a create, an operation's status, a list
# page) is Azure failing: the run deletes nothing it was not sure of and
# exits 3 saying so. A state or metrics directory others can write is
# refused (exit 6) before anything is read or written. A FIFO in the zone
# directory, or a host-specific zone name, is a located policy error (exit
# 1), never a hang. `simulate` costs what the replay must evaluate, not
# runs times the kept set: `last 100000` every minute for a year finishes,
# a replay whose kept set keeps growing is refused (exit 2) saying why.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

run_fixture
NEW=dss-data-20261121T000000Z
# the same history ending at NOW: nothing is due, only the 5 prunes
run_seed "$T_TMP/seed-now.json" 2026-11-21T00:00:00Z 31

# scenario NAME SEED FAULTS: a fresh server and state dir with FAULTS.
scenario() {
    S=$T_TMP/$1
    run_start "$S" "$2" || { t_fail "$1: server starts"; return 1; }
    run_clock "$NOW"
    run_names >"$S/before"
    az_faults "$3"
}
empty() {   # empty METHOD PATH-REGEX [KIND]: a 200 with an empty body there
    printf '{"rules":[{"name":"empty-200","method":"%s","path":"%s","kind":"%s",
      "action":"status","status":200,"body":null}]}' "$1" "$2" "${3:-arm}"
}
run() { sk_run "$P" "$NOW" 2>"$S/err"; }
gone() { run_names >"$S/after"; comm -23 "$S/before" "$S/after"; }
said() { grep -q -- "$1" "$S/err"; }
fired() { grep -q '"empty-200"' "$AZ_LOG"; }

# 1. the re-read before each delete answers 200 with nothing in it
if scenario reread "$T_TMP/seed-now.json" "$(empty GET '/snapshots/dss-data-[^/]*$')"; then
    run; rc=$?
    t_check "re-read empty 200: exit 3 (got $rc)" test "$rc" = 3
    t_check "re-read empty 200: the fault fired" fired
    t_check "re-read empty 200: nothing deleted" test -z "$(gone)"
    t_check "re-read empty 200: says the body was empty" said "HTTP 200 with an empty body"
    t_check "re-read empty 200: does not say another resource has the name" \
        bash -c '! grep -qi "different resource" "$1"' _ "$S/err"
fi

# 2. the read of the created snapshot after its operation succeeded
if scenario readback "$T_TMP/seed.json" "$(empty GET "/snapshots/$NEW\$")"; then
    run; rc=$?
    t_check "read-back empty 200: exit 3 (got $rc)" test "$rc" = 3
    t_check "read-back empty 200: the fault fired" fired
    t_check "read-back empty 200: says the body was empty" said "$NEW: HTTP 200 with an empty body"
fi

# 3. the operation status poll (Azure-AsyncOperation) of the create
if scenario poll "$T_TMP/seed.json" "$(empty GET '/DiskOperations/' operation)"; then
    run; rc=$?
    t_check "operation status empty 200: exit 3 (got $rc)" test "$rc" = 3
    t_check "operation status empty 200: the fault fired" fired
    t_check "operation status empty 200: nothing deleted" test -z "$(gone)"
    t_check "operation status empty 200: says so" said "operation status: HTTP 200 with an empty body"
fi

# 4. a list page
if scenario list "$T_TMP/seed.json" "$(empty GET '/snapshots$' list)"; then
    run; rc=$?
    t_check "list page empty 200: exit 3 (got $rc)" test "$rc" = 3
    t_check "list page empty 200: nothing deleted" test -z "$(gone)"
    t_check "list page empty 200: says so" said "page 1: HTTP 200 with an empty body"
fi

# 5. a state directory, or a metrics file's directory, writable by others
W=$T_TMP/world
mkdir -p "$W/state" "$W/pub"
chmod 0777 "$W/state" "$W/pub"
S=$T_TMP/unsafe
mkdir -p "$S"
t_exit "world-writable state dir: run exits 6" 6 \
    "$SNAPKEEP" run "$P" --now "$NOW" --state-dir "$W/state"
t_check "world-writable state dir: the message names it" \
    grep -q "refusing directory $W/state: writable by everyone" "$T_TMP/err"
t_check "world-writable state dir: no lock or journal written there" \
    test -z "$(ls -A "$W/state")"
t_exit "world-writable metrics dir: run exits 6" 6 \
    "$SNAPKEEP" run "$P" --now "$NOW" --state-dir "$S/state" --metrics-file "$W/pub/m.prom"
t_check "world-writable metrics dir: the message names it" \
    grep -q "metrics file: refusing directory $W/pub: writable by everyone" "$T_TMP/err"
t_check "world-writable metrics dir: nothing written there" test -z "$(ls -A "$W/pub")"

# 6. zone files: a FIFO under $TZDIR, and names that are not IANA zones
Z=$T_TMP/tzdir
mkdir -p "$Z/Fifo"
mkfifo "$Z/Fifo/Zone"
printf 'timezone "Fifo/Zone"\nlast 3\n' >"$T_TMP/fifo.policy"
t_exit "FIFO zone file: check exits 1 (not a hang)" 1 \
    env TZDIR="$Z" timeout 20 "$SNAPKEEP" check "$T_TMP/fifo.policy"
t_check "FIFO zone file: located, names the file" \
    grep -q "fifo.policy:1:10: error: cannot read time zone \"Fifo/Zone\": $Z/Fifo/Zone is not a regular file" "$T_TMP/err"
for name in localtime posixrules Factory; do
    printf 'timezone "%s"\nlast 3\n' "$name" >"$T_TMP/host.policy"
    t_exit "zone \"$name\": check exits 1" 1 "$SNAPKEEP" check "$T_TMP/host.policy"
    t_check "zone \"$name\": located, says it is not an IANA zone" \
        grep -q "host.policy:1:10: error: time zone \"$name\" is not an IANA zone" "$T_TMP/err"
done

# 7. simulate: bounded by cost
printf 'policy "big" {\n    last 100000\n}\n' >"$T_TMP/big.policy"
t_exit "simulate last 100000 every 1m for 52w: exit 0" 0 timeout 120 \
    "$SNAPKEEP" simulate "$T_TMP/big.policy" --cadence 1m --for 52w --start 2026-01-01T00:00:00Z --format json
t_check "simulate last 100000: every run replayed (524160), none stopped early" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d["runs"])==524160 and not d["truncated"] else 1)' "$T_TMP/out"
printf 'policy "fine" {\n    every 1m to 400d\n}\n' >"$T_TMP/fine.policy"
t_exit "simulate of an ever-growing kept set: exit 2" 2 timeout 120 \
    "$SNAPKEEP" simulate "$T_TMP/fine.policy" --cadence 1m --for 52w --start 2026-01-01T00:00:00Z
t_check "simulate of an ever-growing kept set: says it is too much work" \
    grep -q "simulate: too much work: after [0-9]* of 524160 runs" "$T_TMP/err"
t_done
