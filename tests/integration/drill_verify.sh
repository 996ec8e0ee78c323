#!/usr/bin/env bash
# snapkeep drill --attach-to VM --verify CMD against tests/arm/serve with
# a device directory: a verify that passes (report: LUN, device, step
# seconds, exit status, output, the RPO it proves, checked against the
# seed and the server's log), one that fails (exit 4, cleaned up), one that
# times out, one interrupted by SIGTERM, one killed with -9 mid-verify
# (the next drill detaches and deletes the leftover), and the settings
# taken from the policy's recovery block.
# shellcheck disable=SC1091,SC2016,SC2317 # sourced helpers; bash -c snippets take "$1"; helpers run through t_exit
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/azure_lib.sh"
. "$(dirname "$0")/recover_lib.sh"

D=$T_TMP/dv
mkdir -p "$D/dev"
rv_seed "$D/seed.json" "prod:running:1:0=data1/ReadWrite/0" "scratch:running:1:-"
az_start "$D/srv" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.2 \
    --device-dir "$D/dev" || { t_fail "server starts"; t_done; }
az_env_secret
az_policy "$D/p.policy" rg1 data1
NOW=2026-11-24T10:00:04Z        # data1-s3 (the newest, 10:00:03.12) is one day old, to the second
SD=$D/state
DEV=$D/dev/scratch
OK_CMD='test -e "$SNAPKEEP_DEVICE" && echo "checked $SNAPKEEP_DEVICE lun=$SNAPKEEP_LUN snap=${SNAPKEEP_SNAPSHOT_ID##*/} at=$SNAPKEEP_SNAPSHOT_TIME"'

dk() { "$SNAPKEEP" drill "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" "$@"; }
clean() { test -z "$(drill_disks)" && test "$(rv_vm scratch)" = running && test -z "$(ls -A "$DEV" 2>/dev/null)"; }

t_exit "verify passes: exit 0" 0 dk --sample 1 --seed 5 --attach-to scratch --verify "$OK_CMD" \
    --device-dir "$DEV" --report "$D/report.json" --metrics-file "$D/m.prom" --format json
cp "$T_TMP/out" "$D/pass.json"
t_check "verify passes: the report file equals stdout and the state directory's copy" \
    bash -c 'cmp -s "$1" "$2" && python3 -c "import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))" "$1" "$3"' \
    _ "$D/report.json" "$SD/drill-report.json" "$D/pass.json"
t_check "verify passes: per restore LUN, device, seconds, exit 0 and output; proven RPO 1 day" \
    python3 - "$D/pass.json" "$DEV" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["exit"] == 0 and o["attach_to"].endswith("/virtualMachines/scratch"), o
(d,) = o["policies"][0]["disks"]
assert d["restorable"] and d["proven_rpo_seconds"] == 86400, d
assert d["proven_rto_seconds"] > 0
rs = d["restores"]
assert len(rs) == 2 and rs[0]["name"] == "data1-s3", [r["name"] for r in rs]
for r in rs:
    a, v, s = r["attach"], r["verify"], r["step_seconds"]
    assert a["lun"] == 0 and a["device"] == sys.argv[2] + "/lun0", a   # one at a time: LUN 0 each
    assert a["attached"] and a["detached"] and r["deleted"] and r["proven"], r
    assert v["exit_status"] == 0 and v["passed"] and not v["timed_out"], v
    assert v["output"] == "checked %s/lun0 lun=0 snap=%s at=%s\n" % (
        sys.argv[2], r["name"], r["taken"]), v["output"]
    assert s["create"] > 0 and s["attach"] > 0 and s["verify"] >= 0 and s["cleanup"] > 0, s
    assert abs(r["rto_seconds"] - (s["create"] + s["attach"] + s["verify"])) < 0.3, r
PY
t_check "verify passes: the server saw 2 disk PUTs, 2 attaches, 2 detaches, 2 DELETEs" \
    test "$(rv_count PUT '/disks/data1-drill-' POST 'scratch/attachDetachDataDisks$' DELETE '/disks/data1-drill-')" = "2 4 2"
t_check "verify passes: nothing left (disks, attachments, devices)" clean
t_check "verify passes: metrics have the proven RPO and RTO" \
    bash -c 'grep -q "^snapkeep_drill_proven_rpo_seconds{disk=\"data1\",policy=\"p1\"} 86400$" "$1" &&
             grep -q "^snapkeep_drill_proven_rto_seconds{disk=\"data1\",policy=\"p1\"} [0-9.]*$" "$1"' _ "$D/m.prom"
t_check "verify passes: the production VM was never touched" \
    test "$(rv_count POST '/virtualMachines/prod/') $(rv_vm prod)" = "0 running 0=data1/ReadWrite/0"

# snapkeep status reads the drill's report: the last drill, per disk the
# proven RPO and RTO (the policy has no cadence: the limits are given)
sk_status() { "$SNAPKEEP" status "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" \
                  --warn-rpo 2d --crit-rpo 3d --format json; }
t_exit "status after a proving drill: OK" 0 sk_status
t_check "status: last drill passed, the disk's proven RPO and RTO" python3 - "$T_TMP/out" <<'PY'
import json, sys
(p,) = json.load(open(sys.argv[1]))["policies"]
assert p["last_drill"]["passed"] and p["last_drill"]["exit"] == 0, p["last_drill"]
assert p["last_drill"]["started"] == "2026-11-24T10:00:04Z", p["last_drill"]
(d,) = p["disks"]
assert d["name"] == "data1" and d["drill"]["restorable"], d
assert d["drill"]["proven_rpo_seconds"] == 86400 and d["drill"]["proven_rto_seconds"] > 0, d
PY

t_exit "verify fails: exit 4" 4 dk --sample 0 --attach-to scratch --device-dir "$DEV" \
    --verify 'echo "data/ok missing" >&2; exit 3' --format json
t_check "verify fails: exit status and output in the report, not restorable" python3 - "$T_TMP/out" <<'PY'
import json, sys
(d,) = json.load(open(sys.argv[1]))["policies"][0]["disks"]
(r,) = d["restores"]
assert not d["restorable"] and not r["proven"] and "proven_rpo_seconds" not in d, d
assert r["verify"]["exit_status"] == 3 and r["verify"]["output"] == "data/ok missing\n", r
assert r["attach"]["detached"] and r["deleted"], r
PY
t_check "verify fails: cleaned up" clean
t_exit "status after a failed drill: WARNING" 1 sk_status
t_check "status: the failed drill is the reason" \
    bash -c 'jq -e ".policies[0].last_drill.passed == false and (.policies[0].problem | test(\"last drill\")) and .policies[0].disks[0].drill.proven_rpo_seconds == null" "$1" >/dev/null' _ "$T_TMP/out"

t_exit "verify times out: exit 4" 4 dk --sample 0 --attach-to scratch --device-dir "$DEV" \
    --verify 'sleep 30' --verify-timeout 1 --format json
t_check "verify times out: reported as a time-out, cleaned up" bash -c '
    python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[\"policies\"][0][\"disks\"][0][\"restores\"][0]; assert r[\"verify\"][\"timed_out\"] and r[\"verify\"][\"exit_status\"] == 143 and r[\"step_seconds\"][\"verify\"] < 10, r" "$1"' _ "$T_TMP/out"
t_check "verify times out: nothing left" clean

# SIGTERM while the verify runs: stopped, detached, deleted, exit 4
"$SNAPKEEP" drill "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" --sample 0 \
    --attach-to scratch --device-dir "$DEV" --verify 'sleep 30' >"$D/term.out" 2>"$D/term.err" &
pid=$!
t_cleanup_hooks+=("kill -9 $pid 2>/dev/null")
for _ in $(seq 1 200); do grep -q "verifying" "$D/term.err" && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid"
rc=$?
t_check "SIGTERM mid-verify: exit 4" test "$rc" = 4
t_check "SIGTERM mid-verify: cleaned up" clean

# kill -9 while the verify runs: the disk stays attached; the next drill detaches and deletes it
"$SNAPKEEP" drill "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" --sample 0 \
    --attach-to scratch --device-dir "$DEV" --verify 'sleep 30' >"$D/kill.out" 2>"$D/kill.err" &
pid=$!
for _ in $(seq 1 200); do grep -q "verifying" "$D/kill.err" && break; sleep 0.05; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
pkill -f "^sleep 30$" 2>/dev/null   # the orphaned verify command
left_attached() { case "$(rv_vm scratch)" in "running 0=data1-drill-"*) return 0 ;; esac; return 1; }
t_check "kill -9 mid-verify: the drill disk is left attached" left_attached
t_exit "next drill: exit 0" 0 dk --sample 0 --attach-to scratch --device-dir "$DEV" --verify "$OK_CMD"
t_check "next drill: detached and removed the leftover, named it" \
    bash -c 'grep -q "detached leftover drill disk data1-drill-" "$1" && grep -q "removed leftover drill disk data1-drill-" "$1"' _ "$T_TMP/err"
t_check "next drill: nothing left" clean

# the settings from the policy's recovery block
cat >"$D/r.policy" <<EOP
policy "p1" {
    subscription "$AZ_SUB"
    resource-group "rg1"
    disk "data1"
    keep-all 24h
    recovery {
        scratch-vm "scratch"
        verify "$(printf '%s' "$OK_CMD" | sed 's/"/\\"/g')"
        verify-timeout 1m
        device-dir "$DEV"
    }
}
EOP
t_exit "recovery block: check passes" 0 "$SNAPKEEP" check "$D/r.policy"
t_exit "recovery block: drill with no flags attaches and verifies" 0 \
    "$SNAPKEEP" drill "$D/r.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" --sample 0 --format json
t_check "recovery block: the report shows the verify output" python3 - "$T_TMP/out" "$DEV" <<'PY'
import json, sys
(r,) = json.load(open(sys.argv[1]))["policies"][0]["disks"][0]["restores"]
assert r["verify"]["passed"] and r["attach"]["device"] == sys.argv[2] + "/lun0", r
PY
t_exit "recovery block: --verify on the command line wins" 4 \
    "$SNAPKEEP" drill "$D/r.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" --sample 0 --verify 'exit 9'
t_check "recovery block: nothing left" clean
t_exit "usage: --verify without any VM" 2 "$SNAPKEEP" drill "$D/p.policy" --state-dir "$SD" --verify true

t_done
