#!/usr/bin/env bash
# snapkeep run's lease in Azure (a tag of the policy's resource group,
# written, waited on, read back) against tests/arm/serve: two runs of one
# policy from different state directories at once, with the race forced
# (both read the lease free before either writes): exactly one creates and
# deletes, the other exits 6 naming the holder; a lease held by a run in
# progress sends a second one away before it lists anything; a kill -9'd
# run's lease stays until it runs out on ARM's (virtual) clock, then the
# next run takes it over and converges; the lease is released at the end;
# a lease that cannot be read or written, or a write slower than half the
# wait, fails closed (exit 3, nothing created or deleted); a value that is
# no lease is refused (exit 6); two policies on one group do not exclude
# each other.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

NOW=2026-11-21T00:00:00Z
TAG=snapkeep-lease-dss-datadir
PRUNED="dss-data-20261119T190000Z dss-data-20261119T200000Z dss-data-20261119T210000Z dss-data-20261119T220000Z dss-data-20261119T230000Z"
run_seed "$T_TMP/seed.json" 2026-11-20T23:00:00Z 30
P=$T_TMP/p.policy
run_policy "$P"

# scenario NAME [SEED [SERVE OPTIONS]]: a fresh server; $S/a and $S/b are
# two state directories (two hosts, as far as the lease can tell).
scenario() {
    S=$T_TMP/$1
    local seed=${2:-$T_TMP/seed.json}
    shift; shift || true
    run_start "$S" "$seed" "$@" || { t_fail "$S: server starts"; return 1; }
    mkdir -m 0700 "$S/a" "$S/b"
    run_clock "$NOW"
    run_names >"$S/before"
}
# lrun DIR T [options]: snapkeep run with state dir $S/DIR at virtual time T
lrun() {
    local dir=$1 t=$2; shift 2
    "$SNAPKEEP" run "$P" --now "$t" --state-dir "$S/$dir" --ca-file "$AZ_CA" "$@"
}
# lrun_bg DIR WAIT: the same at $NOW in the background, started directly so
# that $! is snapkeep itself (its pid is what the lease names)
lrun_bg() {
    "$SNAPKEEP" run "$P" --now "$NOW" --state-dir "$S/$1" --ca-file "$AZ_CA" --lease-wait "$2" \
        >"$S/$1.out" 2>"$S/$1.err" &
}
# requests METHOD PATH-REGEX: how many the server answered 2xx
requests() {
    python3 - "$AZ_LOG" "$1" "$2" <<'EOF'
import json, re, sys
log, method, pat = sys.argv[1], sys.argv[2], re.compile(sys.argv[3], re.I)
print(sum(1 for l in open(log) for r in [json.loads(l)]
          if r["method"] == method and pat.search(r["path"]) and 200 <= r["status"] < 300))
EOF
}
snap_puts() { requests PUT '/snapshots/'; }
snap_deletes() { requests DELETE '/snapshots/'; }
# lease_tag: the lease tag's value in the server's state ("" when none)
lease_tag() {
    python3 - "$AZ_STATE" "$TAG" <<'EOF'
import json, sys
st, tag = json.load(open(sys.argv[1])), sys.argv[2]
for g in st["resourceGroups"]:
    if g["id"].lower().endswith("/resourcegroups/dss-prod"):
        print(g.get("tags", {}).get(tag, ""))
EOF
}
# seed_with_tag FILE VALUE: the seed, with the group's lease tag set
seed_with_tag() {
    python3 - "$T_TMP/seed.json" "$1" "$AZ_SUB" "$TAG" "$2" <<'EOF'
import json, sys
src, out, sub, tag, value = sys.argv[1:]
seed = json.load(open(src))
seed["resourceGroups"] = [{"id": "/subscriptions/%s/resourceGroups/dss-prod" % sub,
                           "location": "westeurope", "tags": {tag: value, "owner": "ops"}}]
json.dump(seed, open(out, "w"))
EOF
}

# 1. The race, forced: the first two lease writes are held 0.5 s, so both
#    runs have read the lease free before either has written it.
scenario race
az_faults '{"rules":[{"method":"PATCH","path":"/tags/default$","action":"delay","seconds":0.5,"times":2}]}'
lrun_bg a 4
PA=$!
lrun_bg b 4
PB=$!
wait "$PA"; RA=$?
wait "$PB"; RB=$?
t_check "race: one run exits 0, the other 6 ($RA, $RB)" \
    bash -c '[ "$1/$2" = 0/6 ] || [ "$1/$2" = 6/0 ]' _ "$RA" "$RB"
if [ "$RA" = 0 ]; then WIN=$PA LOSE=$S/b.err; else WIN=$PB LOSE=$S/a.err; fi
t_check "race: both runs read the lease free and wrote it (the race happened)" \
    test "$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if "rule1" in (json.loads(l).get("faults") or [])))' "$AZ_LOG")" = 2
t_check "race: the loser names the winner as the holder (host, pid, run)" \
    grep -q "policy dss-datadir is being enforced by another run (host $(hostname | tr -c 'A-Za-z0-9.\n-' '_'), pid $WIN, run " "$LOSE"
t_check "race: one snapshot created in all" test "$(snap_puts)" = 1
t_check "race: each pruned snapshot deleted once, 5 in all (one max-delete spent)" \
    test "$(snap_deletes)" = 5
run_names >"$S/after"
t_check "race: the 5 pruned ones are gone" \
    test "$(comm -23 "$S/before" "$S/after" | tr '\n' ' ')" = "$PRUNED "
t_check "race: the lease is released at the end" test -z "$(lease_tag)"
t_check "race: the winner journaled taking and releasing it" \
    bash -c 'cat "$1"/journal.jsonl "$2"/journal.jsonl | grep -q "\"message\":\"lease taken: tag $3 on /subscriptions/.*/resourceGroups/dss-prod\"" &&
             cat "$1"/journal.jsonl "$2"/journal.jsonl | grep -q "\"message\":\"lease released: tag $3"' _ "$S/a" "$S/b" "$TAG"
t_check "race: no bearer token in any output" bash -c '! grep -q "eyJ" "$1"/a.err "$1"/b.err "$1"/a.out "$1"/b.out' _ "$S"

# 2. A run in progress holds the lease: a second one, elsewhere, is sent
#    away at once, before it lists anything.
scenario held
lrun_bg a 3
PA=$!
for _ in $(seq 1 100); do [ -n "$(lease_tag)" ] && break; sleep 0.05; done
LISTS=$(requests GET '/providers/Microsoft.Compute/snapshots$')
t_exit "held: a second run exits 6" 6 lrun b "$NOW" --lease-wait 0.2
t_check "held: it names the holder's pid" grep -q "is being enforced by another run (host .*, pid $PA, run .*; its lease on /subscriptions/.*/resourceGroups/dss-prod ends 2026-11-21T00:15:00Z): exiting" "$T_TMP/err"
t_check "held: it listed no snapshot" \
    test "$(requests GET '/providers/Microsoft.Compute/snapshots$')" = "$LISTS"
wait "$PA"; RA=$?
t_check "held: the holder carries on and exits 0 ($RA)" test "$RA" = 0
t_check "held: one snapshot created, 5 deleted" test "$(snap_puts)/$(snap_deletes)" = 1/5
t_check "held: released at the end" test -z "$(lease_tag)"
t_exit "held: the next run, from the other state directory, takes the lease: exit 0" 0 \
    lrun b "$NOW" --lease-wait 0.2

# 3. kill -9 while holding it: the lease stays until it runs out on ARM's
#    clock; then the next run takes it over and converges.
scenario killed
lrun_bg a 5
PA=$!
t_cleanup_hooks+=("kill -9 $PA 2>/dev/null")
for _ in $(seq 1 100); do [ -n "$(lease_tag)" ] && break; sleep 0.05; done
kill -9 "$PA" 2>/dev/null
wait "$PA" 2>/dev/null
t_check "killed: its lease is left in Azure" grep -q "pid=$PA " <(lease_tag)
t_check "killed: it changed nothing" test "$(snap_puts)/$(snap_deletes)" = 0/0
t_exit "killed: a run before the lease runs out exits 6" 6 lrun b "$NOW" --lease-wait 0.2
t_check "killed: naming the dead holder" grep -q "pid $PA, run " "$T_TMP/err"
run_clock 2026-11-21T00:15:01Z
t_exit "killed: still refused at its last second (ARM's clock at 00:15:01)" 6 \
    lrun b 2026-11-21T00:15:01Z --lease-wait 0.2
LATER=2026-11-21T00:16:00Z
run_clock "$LATER"
run_expect "$LATER" >"$S/want"
t_exit "killed: once it ran out (ARM's clock at 00:16), the next run takes it over: exit 0" 0 \
    lrun b "$LATER" --lease-wait 0.2
t_check "killed: the take-over is logged" grep -q "ran out: taking it over" "$T_TMP/err"
run_names | grep -vx "dss-data-20261121T001600Z" >"$S/after"
t_check "killed: the disk holds exactly what the policy keeps" cmp -s "$S/want" "$S/after"
t_check "killed: released at the end" test -z "$(lease_tag)"

# 4. A lease that cannot be read or written fails closed: exit 3, nothing
#    created or deleted, nothing left behind.
scenario read403
az_faults '{"rules":[{"method":"GET","path":"/tags/default$","action":"status","status":403,"code":"AuthorizationFailed","message":"The client does not have authorization to perform action Microsoft.Resources/tags/read"}]}'
t_exit "lease read refused (403): exit 3" 3 lrun a "$NOW" --lease-wait 0.2
t_check "lease read refused: the error names the missing permission" \
    grep -q "reading its lease failed: .*Microsoft.Resources/tags/read" "$T_TMP/err"
t_check "lease read refused: nothing created or deleted" test "$(snap_puts)/$(snap_deletes)" = 0/0
scenario write403
az_faults '{"rules":[{"method":"PATCH","path":"/tags/default$","action":"status","status":403,"code":"AuthorizationFailed","message":"no Microsoft.Resources/tags/write"}]}'
t_exit "lease write refused (403): exit 3" 3 lrun a "$NOW" --lease-wait 0.2
t_check "lease write refused: nothing created or deleted" test "$(snap_puts)/$(snap_deletes)" = 0/0
t_check "lease write refused: no lease left" test -z "$(lease_tag)"
scenario slow
az_faults '{"rules":[{"method":"PATCH","path":"/tags/default$","action":"delay","seconds":0.4,"times":1}]}'
t_exit "lease write slower than half the wait: exit 3" 3 lrun a "$NOW" --lease-wait 0.5
t_check "slow write: says why" grep -q "over half of --lease-wait (500 ms): giving up" "$T_TMP/err"
t_check "slow write: nothing created or deleted" test "$(snap_puts)/$(snap_deletes)" = 0/0
t_check "slow write: its lease removed again" test -z "$(lease_tag)"
scenario list500
az_faults '{"rules":[{"method":"GET","path":"/providers/Microsoft.Compute/snapshots$","action":"status","status":500}]}'
t_exit "listing fails after the lease was taken: exit 3" 3 lrun a "$NOW" --lease-wait 0.2 \
    --retry-budget 3
t_check "listing failure: nothing created or deleted" test "$(snap_puts)/$(snap_deletes)" = 0/0
t_check "listing failure: the lease released" test -z "$(lease_tag)"

# 5. Values already in the tag: someone's expired lease is taken over;
#    something that is no lease is refused; other tags stay.
seed_with_tag "$T_TMP/expired.json" "host=old-host pid=99 run=r-old expires=2026-11-20T23:00:00Z"
scenario expired "$T_TMP/expired.json"
t_exit "an expired lease of another host: taken over, exit 0" 0 lrun a "$NOW" --lease-wait 0.2
t_check "expired: the take-over names the old holder" \
    grep -q "the lease of host old-host, pid 99, run r-old ran out: taking it over" "$T_TMP/err"
t_check "expired: the group's other tags stay" \
    python3 -c 'import json,sys; g=[g for g in json.load(open(sys.argv[1]))["resourceGroups"] if g["id"].endswith("dss-prod")][0]; sys.exit(g["tags"] != {"owner": "ops"})' "$AZ_STATE"
seed_with_tag "$T_TMP/garbage.json" "do-not-run"
scenario garbage "$T_TMP/garbage.json"
t_exit "a tag value that is no lease: refused, exit 6" 6 lrun a "$NOW" --lease-wait 0.2
t_check "garbage: the message says what to do" \
    grep -q "holds \"do-not-run\", which is no lease this version reads; remove the tag" "$T_TMP/err"
t_check "garbage: nothing created or deleted" test "$(snap_puts)/$(snap_deletes)" = 0/0
t_check "garbage: the tag untouched" test "$(lease_tag)" = do-not-run

# 6. Two policies on one resource group have two leases: their runs, at
#    the same time, both go on.
scenario two
cat >"$S/q.policy" <<EOF
policy "other" {
    subscription "$AZ_SUB"
    resource-group "$RUN_RG"
    disk "dss-other"
    snapshot every 1h
    keep-all 24h
}
EOF
lrun_bg a 2
PA=$!
"$SNAPKEEP" run "$S/q.policy" --now "$NOW" --state-dir "$S/b" --ca-file "$AZ_CA" --lease-wait 2 \
    >"$S/b.out" 2>"$S/b.err" &
PB=$!
wait "$PA"; RA=$?
wait "$PB"; RB=$?
t_check "two policies at once: both runs exit 0 ($RA, $RB)" test "$RA/$RB" = 0/0
t_check "two policies at once: a snapshot each" test "$(snap_puts)" = 2

# 7. A dry run takes no lease (it changes nothing); bad --lease-wait values are usage errors.
scenario dry
t_exit "a dry run: exit 0 (it changes nothing)" 0 lrun a "$NOW" --dry-run
t_check "dry run: no lease request" test "$(requests GET '/tags/default$')/$(requests PATCH '/tags/default$')" = 0/0
t_exit "--lease-wait 0: usage, exit 2" 2 "$SNAPKEEP" run "$P" --lease-wait 0
t_exit "--lease-wait 601: usage, exit 2" 2 "$SNAPKEEP" run "$P" --lease-wait 601
t_exit "--lease-wait soon: usage, exit 2" 2 "$SNAPKEEP" run "$P" --lease-wait soon
t_done
