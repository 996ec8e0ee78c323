#!/usr/bin/env bash
# snapkeep drill against tests/arm/serve: end to end (newest + a seeded
# sample, timed, every drill disk deleted), replayable with --seed, the
# metrics file, a failed restore (injected) cleaned up with exit 4, a
# SIGTERM mid-drill cleaned up before exit, and a drill killed with -9
# whose leftovers the next drill removes, names, and still exits 0; and
# leftovers of another policy's drill (it may be running from another
# state directory) and drill disks without a policy tag left alone.
# shellcheck disable=SC1091,SC2016,SC2317 # sourced helpers; bash -c snippets take "$1"; helpers run through t_exit
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/azure_lib.sh"

D=$T_TMP/drill
mkdir -p "$D"
az_seed "$D/seed.json" rg1:data1:6:p1 rg1:data2:4:p1 rg1:data3:3:other
az_start "$D/srv" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.2 ||
    { t_fail "server starts"; t_done; }
az_env_secret
az_policy "$D/p.policy" rg1 "data1 data2"
NOW=2026-11-10T00:00:00Z
SD=$D/state
M=$D/drill.prom

dk() { "$SNAPKEEP" drill "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" "$@"; }
count_log() { grep -c "\"method\": *\"$1\".*disks/[^\"]*-drill-" "$AZ_LOG"; }

t_exit "drill: exit 0" 0 dk --sample 2 --seed 7 --now "$NOW" --metrics-file "$M" --format json
cp "$T_TMP/out" "$D/run1.json"
t_check "drill: per disk newest + 2 distinct older owned snapshots, all restored and deleted" \
    python3 - "$D/run1.json" "$AZ_SUB" <<'PY'
import json, re, sys
o = json.load(open(sys.argv[1]))
assert o["exit"] == 0 and o["seed"] == "7" and o["sample"] == 2 and not o["interrupted"]
(p,) = o["policies"]
disks = {d["disk"].split("/")[-1]: d for d in p["disks"]}
assert sorted(disks) == ["data1", "data2"], disks.keys()
newest = {"data1": "data1-00005", "data2": "data2-00003"}
for name, d in disks.items():
    assert d["restorable"] and d["drilled"] and d["seconds"] > 0
    rs = d["restores"]
    names = [r["name"] for r in rs]
    assert len(rs) == 3 and len(set(names)) == 3 and names[0] == newest[name], names
    assert all(n.startswith(name + "-") for n in names)
    for k, r in enumerate(rs, 1):
        assert r["restored"] and r["deleted"] and r["seconds"] > 0
        assert re.fullmatch(rf"/subscriptions/{sys.argv[2]}/resourceGroups/rg1/providers/"
                            rf"Microsoft.Compute/disks/{name}-drill-20261110T000000Z-{k}",
                            r["drill_disk"]), r["drill_disk"]
# data1-00005 was taken 2026-11-06T05:05:03.1234567Z
assert int(disks["data1"]["snapshot_age_seconds"]) == 3*86400 + 18*3600 + 54*60 + 56, disks["data1"]
PY
t_check "drill: six drill disks created and deleted, none left" \
    test "$(count_log PUT) $(count_log DELETE) $(drill_disks | wc -l)" = "6 6 0"
t_check "drill: other policy's disk not drilled" bash -c '! grep -q "disks/data3-drill" "$1"' _ "$AZ_LOG"
t_check "metrics: per-disk families and last success" python3 - "$M" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def val(metric, labels):
    m = re.search(r"^%s\{%s\} (\S+)$" % (re.escape(metric), re.escape(labels)), text, re.M)
    assert m, (metric, labels, text)
    return float(m.group(1))
for disk in ("data1", "data2"):
    l = 'disk="%s",policy="p1"' % disk
    assert val("snapkeep_drill_restorable", l) == 1
    assert val("snapkeep_drill_restore_seconds", l) > 0
assert val("snapkeep_drill_snapshot_age_seconds", 'disk="data1",policy="p1"') == 3*86400 + 18*3600 + 54*60 + 56
assert abs(val("snapkeep_drill_last_success_timestamp_seconds", 'policy="p1"') - 1794268800) < 60
assert "# TYPE snapkeep_drill_restorable gauge" in text
PY
t_exit "drill: same seed, same picks" 0 dk --sample 2 --seed 7 --now "$NOW" --format json
t_check "drill: replay picks equal" python3 - "$D/run1.json" "$T_TMP/out" <<'PY'
import json, sys
pick = lambda f: [[r["name"] for r in d["restores"]] for d in json.load(open(f))["policies"][0]["disks"]]
assert pick(sys.argv[1]) == pick(sys.argv[2])
PY
t_exit "drill: text report" 0 dk --now "$NOW" --metrics-file "$M"
t_check "drill: text says restorable, age and time" \
    grep -q "disk data1: restorable yes; newest snapshot 3d18h old; usable disk in" "$T_TMP/out"
t_check "drill: default sample is 1 (2 restores per disk)" \
    test "$(grep -c '^    ok ' "$T_TMP/out")" = 4
# a metrics file that cannot be written: a clean drill becomes exit 4, and
# the error names the file
t_exit "drill: metrics file in a missing directory: exit 4" 4 dk --now "$NOW" \
    --metrics-file "$D/no-such-dir/drill.prom"
t_check "drill: the error names the metrics file" \
    grep -q "error: cannot write the metrics file $D/no-such-dir/drill.prom: " "$T_TMP/err"
t_check "drill: the report in the state directory says exit 4" \
    bash -c 'jq -e ".exit == 4" "$1" >/dev/null' _ "$SD/drill-report.json"

az_faults '{"rules":[{"name":"boom","method":"PUT","path":"/disks/data2-drill-[0-9TZ]*-1$","action":"fail-lro","code":"DiskCreationFailed","message":"injected failure"}]}'
before=$(sed -n 's/^snapkeep_drill_last_success_timestamp_seconds{policy="p1"} //p' "$M")
t_exit "failed restore: exit 4" 4 dk --seed 1 --now 2026-11-10T01:00:00Z --metrics-file "$M" --format json
cp "$T_TMP/out" "$D/fail.json"
t_check "failed restore: reported with ARM's code, disk not restorable, other disk fine" \
    python3 - "$D/fail.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
d = {x["disk"].split("/")[-1]: x for x in o["policies"][0]["disks"]}
assert d["data1"]["restorable"] and not d["data2"]["restorable"]
r = d["data2"]["restores"][0]
assert not r["restored"] and r["error"]["code"] == "DiskCreationFailed" and r["deleted"], r
PY
t_check "failed restore: logged on stderr" grep -q "DiskCreationFailed: injected failure" "$T_TMP/err"
t_check "failed restore: no drill disk left (the failed one deleted too)" test -z "$(drill_disks)"
t_check "failed restore: metrics say not restorable, last success unchanged" \
    bash -c 'grep -q "^snapkeep_drill_restorable{disk=\"data2\",policy=\"p1\"} 0$" "$1" &&
             grep -q "^snapkeep_drill_last_success_timestamp_seconds{policy=\"p1\"} $2$" "$1"' _ "$M" "$before"
az_faults '{"rules":[]}'

# a disk someone else makes under a drill disk's name between the check and
# the PUT: the conditional create is answered 412, that restore fails, and
# the drill's clean-up leaves the other disk alone (it is not the drill's)
az_faults '{"rules":[{"name":"race","method":"PUT","path":"/disks/data2-drill-[0-9TZ]*-1$","action":"race-create","tags":{"made-by":"race"}}]}'
t_exit "name taken (412): exit 4" 4 dk --seed 1 --now 2026-11-10T02:00:00Z --format json
t_check "name taken: the restore failed with ARM's 412, the other disk fine" python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
d = {x["disk"].split("/")[-1]: x for x in o["policies"][0]["disks"]}
r = d["data2"]["restores"][0]
sys.exit(0 if d["data1"]["restorable"] and not r["restored"]
         and r["error"]["code"] == "PreconditionFailed" else 1)' "$T_TMP/out"
t_check "name taken: the other disk is still there, no DELETE sent to it" python3 -c '
import json, sys
mine = [d["name"] for d in json.load(open(sys.argv[1]))["disks"] if (d.get("tags") or {}).get("made-by") == "race"]
dels = [r for l in open(sys.argv[2]) for r in [json.loads(l)]
        if r["method"] == "DELETE" and mine and r["path"].lower().split("?")[0].endswith("/disks/" + mine[0].lower())]
sys.exit(0 if len(mine) == 1 and not dels else 1)' "$AZ_STATE" "$AZ_LOG"
az_faults '{"rules":[]}'

# slow restores (2 s operations, to be interrupted) on a second server
az_start "$D/slow" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.2 ||
    { t_fail "slow server starts"; t_done; }
az_env_secret
az_faults '{"rules":[{"action":"lro-seconds","seconds":2}]}'
SD=$D/state2
J=$SD/journal.jsonl
wait_intent() {
    for _ in $(seq 1 200); do
        grep -q '"event":"intent","op":"create-disk"' "$J" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

"$SNAPKEEP" drill "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" \
    >"$D/term.out" 2>"$D/term.err" &
PID=$!
t_cleanup_hooks+=("kill -9 $PID 2>/dev/null")
wait_intent
sleep 0.5
kill -TERM "$PID"
wait "$PID"
rc=$?
t_check "SIGTERM: drill exits 4 (interrupted) (exit $rc)" test "$rc" = 4
t_check "SIGTERM: says it was interrupted" grep -q "interrupted (signal 15)" "$D/term.err"
t_check "SIGTERM: data2 not drilled" grep -q "disk data2: not drilled (interrupted)" "$D/term.out"
t_check "SIGTERM: its drill disks deleted before exit" test -z "$(drill_disks)"
t_check "SIGTERM: journal has an outcome for every intent" python3 - "$J" <<'PY'
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
i = [(l["op"], l["resource"]) for l in ls if l.get("event") == "intent"]
o = [(l["op"], l["resource"]) for l in ls if l.get("event") == "outcome"]
assert i and sorted(i) == sorted(o), (i, o)
PY

rm -f "$J"
"$SNAPKEEP" drill "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" \
    >/dev/null 2>"$D/kill.err" &
PID=$!
t_cleanup_hooks+=("kill -9 $PID 2>/dev/null")
wait_intent
sleep 0.5
kill -9 "$PID"
wait "$PID" 2>/dev/null
drill_disks | sort >"$D/left"
t_check "kill -9: leaves drill disks behind" test -s "$D/left"
az_faults '{"rules":[]}'     # the next drill need not wait 2 s per operation
t_exit "next drill: exit 0 after removing leftovers" 0 dk --now 2026-11-10T02:00:00Z
cp "$T_TMP/out" "$D/next.out"
cp "$T_TMP/err" "$D/next.err"
t_check "next drill: names each leftover it removed" bash -c '
    while read -r n; do
        grep -q "removed leftover drill disk $n" "$1" && grep -q "removed leftover drill disk $n" "$2" || exit 1
    done <"$3"' _ "$D/next.out" "$D/next.err" "$D/left"
t_check "next drill: nothing left behind" test -z "$(drill_disks)"
t_check "next drill: its own restores ran" grep -q "disk data2: restorable yes" "$D/next.out"
flock "$SD/lock" sleep 5 &
LPID=$!
t_cleanup_hooks+=("kill $LPID 2>/dev/null")
sleep 0.3
nreq=$(wc -l <"$AZ_LOG")
t_exit "lock held by another process: exit 6" 6 dk --now "$NOW"
t_check "lock held: says so, sends nothing" \
    test "$(grep -c lock "$T_TMP/err") $(wc -l <"$AZ_LOG")" = "1 $nreq"
kill "$LPID" 2>/dev/null

# Another policy's drill disks share the resource group: a drill of p2 may be
# running from another state directory, so only p1's own leftover goes.
python3 - "$D/seed.json" "$D/seed3.json" "$AZ_SUB" <<'PY'
import json, sys
seed = json.load(open(sys.argv[1]))
def drill_disk(name, **extra):
    tags = {"snapkeep-drill": "2026-11-09T00:00:00Z",
            "snapkeep-restored-from": f"/subscriptions/{sys.argv[3]}/resourceGroups/rg1/"
                                      "providers/Microsoft.Compute/snapshots/data1-00001"}
    tags.update(extra)
    return {"name": name, "type": "Microsoft.Compute/disks", "location": "westeurope",
            "id": f"/subscriptions/{sys.argv[3]}/resourceGroups/rg1/providers/"
                  f"Microsoft.Compute/disks/{name}",
            "tags": tags, "sku": {"name": "Premium_LRS"},
            "properties": {"diskSizeGB": 64, "provisioningState": "Succeeded",
                           "timeCreated": "2026-11-09T00:00:01.0000000+00:00"}}
seed["disks"] += [drill_disk("data1-drill-20261109T000000Z-1", **{"snapkeep-drill-policy": "p1"}),
                  drill_disk("data9-drill-20261109T000000Z-1", **{"SNAPKEEP-DRILL-POLICY": "p2"}),
                  drill_disk("data8-drill-20261109T000000Z-1", **{"snapkeep-drill-policy": "P1"}),
                  drill_disk("data7-drill-20261109T000000Z-1")]
json.dump(seed, open(sys.argv[2], "w"))
PY
az_start "$D/scope" --seed "$D/seed3.json" --retry-after 0 --lro-seconds 0.2 ||
    { t_fail "third server starts"; t_done; }
az_env_secret
SD=$D/state3
t_exit "other policy's drill disks: drill exits 0" 0 dk --now "$NOW"
cp "$T_TMP/out" "$D/scope.out"
cp "$T_TMP/err" "$D/scope.err"
t_check "other policy's drill disks: its own leftover removed and named" \
    bash -c 'grep -q "removed leftover drill disk data1-drill-20261109T000000Z-1" "$1" &&
             grep -q "removed leftover drill disk data1-drill-20261109T000000Z-1" "$2"' \
    _ "$D/scope.out" "$D/scope.err"
t_check "other policy's drill disks: left alone, nothing else removed or deleted" \
    test "$(drill_disks | sort | tr '\n' ' ')$(grep -c 'removed leftover' "$D/scope.out")" = \
    "data7-drill-20261109T000000Z-1 data8-drill-20261109T000000Z-1 data9-drill-20261109T000000Z-1 1"
t_check "other policy's drill disks: no DELETE sent for them" \
    bash -c '! grep -q "\"method\": *\"DELETE\".*disks/data[789]-drill-" "$1"' _ "$AZ_LOG"
t_check "drill disk without policy tag: named once, not removed" \
    test "$(grep -c "drill disk data7-drill-20261109T000000Z-1 has no snapkeep-drill-policy tag: not removed; delete it by hand if no drill is running" "$D/scope.err") $(grep -c "data[89]-drill" "$D/scope.err")" = "1 0"
cat >"$D/two.policy" <<EOP
policy "p1" {
    subscription "$AZ_SUB"
    resource-group "rg1"
    disk "data1"
    keep-all 24h
}
policy "other" {
    subscription "$AZ_SUB"
    resource-group "rg1"
    disk "data3"
    keep-all 24h
}
EOP
t_exit "two policies in one resource group: exit 0" 0 \
    "$SNAPKEEP" drill "$D/two.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW"
t_check "two policies: the untagged drill disk named once, others still left alone" \
    test "$(grep -c "drill disk data7-drill-20261109T000000Z-1 has no" "$T_TMP/err") $(drill_disks | wc -l)" = "1 3"

t_exit "usage: --sample out of range (exit 2)" 2 dk --sample 101
t_exit "invalid: unknown --policy (exit 1)" 1 dk --policy nope
t_done
