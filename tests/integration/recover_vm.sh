#!/usr/bin/env bash
# snapkeep restore --attach-to / --replace-on and release against
# tests/arm/serve with virtual machines: a partial restore at the first free
# LUN (its device appears), released again; what release refuses; a
# complete restore in place with the VM running (started again) and
# deallocated (left so, or started with --start), the old disk detached,
# tagged and kept; refusals before any change (existing target, no free
# LUN, a LUN in use, a disk on another VM); --dry-run and JSON; another
# operation's record; the whole replace under 429/503/dropped answers.
# shellcheck disable=SC1091,SC2016,SC2317 # sourced helpers; bash -c snippets take "$1"; helpers run through t_exit
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/azure_lib.sh"
. "$(dirname "$0")/recover_lib.sh"

D=$T_TMP/rv
mkdir -p "$D/dev"
FULL=$(python3 -c 'print(",".join("%d=full%d/None/0" % (i, i) for i in range(64)))')
rv_seed "$D/seed.json" \
    "vm1:running:1:0=extra1/ReadOnly/0,2=data1/ReadWrite/1" \
    "vm2:running:1:-" \
    "vm3:running:1:$FULL" \
    "vm4:deallocated:1:0=data4/ReadOnly/0" \
    "vm5:deallocated:1:3=data5/None/0" \
    "vm6:running:1:1=data6/ReadWrite/0" \
    "vm7:running:1:0=data7/None/0" \
    "vm8:running:1:5=data8/ReadWrite/0" \
    "vmz:running:2:-"
az_start "$D/srv" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.2 \
    --device-dir "$D/dev" || { t_fail "server starts"; t_done; }
az_env_secret
az_policy "$D/p.policy" rg1 data1
SD=$D/state

rs() { "$SNAPKEEP" restore "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" "$@"; }
rl() { "$SNAPKEEP" release "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" "$@"; }

# ---- partial restore, then release ----
t_exit "attach: exit 0" 0 rs --disk data1 --latest --to r1 --attach-to vm1
cp "$T_TMP/out" "$D/attach.out"
t_check "attach: at the first free LUN (1), caching None; vm1's own disks unchanged" \
    test "$(rv_vm vm1)" = "running 0=extra1/ReadOnly/0 1=r1/None/0 2=data1/ReadWrite/1"
t_check "attach: r1 made from the newest snapshot, held by vm1" \
    test "$(rv_disk r1 't["snapkeep-restored-from"].split("/")[-1] + " " + d["managedBy"].split("/")[-1]')" = "data1-s3 vm1"
t_check "attach: its device appeared" test -e "$D/dev/vm1/lun1"
t_check "attach: the copy says which VM it is for (snapkeep-copy-for)" \
    test "$(rv_disk r1 't["snapkeep-copy-for"].split("/")[-1]')" = vm1
t_check "attach: prints LUN, device path, read-only mount and the release line" \
    bash -c 'grep -q "attached to VM vm1 at LUN 1" "$1" && grep -q "/dev/disk/azure/scsi1/lun1 " "$1" &&
             grep -q "mount -o ro /dev/disk/azure/scsi1/lun1-part1" "$1" &&
             grep -q "snapkeep release .* --disk r1 --from vm1" "$1"' _ "$D/attach.out"
t_check "attach: the record is gone once done" test ! -e "$SD/recovery.json"
t_check "attach: journaled (create-disk, attach; intents and outcomes with seconds)" python3 - "$SD/journal.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
steps = [(e["event"], e["op"]) for e in ev if e.get("op") in ("create-disk", "attach")]
assert steps == [("intent", "create-disk"), ("outcome", "create-disk"),
                 ("intent", "attach"), ("outcome", "attach")], steps
att = [e for e in ev if e.get("op") == "attach" and e["event"] == "outcome"][0]
assert att["outcome"] == "done" and att["seconds"] >= 0 and att["vm"].endswith("/vm1"), att
PY
t_exit "attach again: the same --to is refused (it exists now)" 1 \
    rs --disk data1 --latest --to r1 --attach-to vm1
t_check "attach again: says so" grep -q "exists already" "$T_TMP/err"

w0=$(rv_writes)
t_exit "release: --from another VM is refused" 1 rl --disk r1 --from vm2
t_check "release: the refusal names the VM holding it" grep -q "attached to VM vm1" "$T_TMP/err"
t_exit "release: a disk without snapkeep-restored-from is refused" 1 rl --disk data1
t_check "release: refusals changed nothing" test "$(rv_writes)" = "$w0"
t_exit "release: --dry-run lists detach and delete" 0 rl --disk r1 --dry-run
t_check "release: dry run shows both steps" \
    bash -c 'grep -q "1. detach disk r1 from VM vm1 (LUN 1)" "$1" && grep -q "2. delete disk r1" "$1"' _ "$T_TMP/out"
t_check "release: dry run sent nothing" test "$(rv_writes)" = "$w0"
t_exit "release: exit 0" 0 rl --disk r1 --from vm1
gone() { test -z "$(rv_disk "$1" d)"; }
t_check "release: r1 detached and deleted" gone r1
t_check "release: its device gone" test ! -e "$D/dev/vm1/lun1"
t_check "release: vm1 as before" \
    test "$(rv_vm vm1)" = "running 0=extra1/ReadOnly/0 2=data1/ReadWrite/1"
t_exit "release again: gone is an error without a record" 1 rl --disk r1

# a restored disk swapped in by hand (the guide's manual procedure) is production data now
t_exit "by hand: a disk-only restore" 0 rs --disk data1 --latest --to r-hand
TOKEN=$(curl -s --cacert "$AZ_CA" -d grant_type=client_credentials -d client_id="$AZ_CLIENT" \
    -d client_secret="$AZ_SECRET" -d scope=https://management.azure.com/.default \
    "$AZ_URL/$AZ_TENANT/oauth2/v2.0/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -s -o /dev/null --cacert "$AZ_CA" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"dataDisksToAttach\":[{\"diskId\":\"$RV_C/disks/r-hand\",\"lun\":4}]}" \
    "$AZ_URL$RV_C/virtualMachines/vm2/attachDetachDataDisks?api-version=2024-07-01"
for _ in $(seq 1 100); do [ "$(rv_vm vm2)" = "running 4=r-hand/None/0" ] && break; sleep 0.1; done
t_check "by hand: r-hand is attached to vm2 (through ARM, not snapkeep)" \
    test "$(rv_vm vm2)" = "running 4=r-hand/None/0"
w0=$(rv_writes)
t_exit "by hand: release refuses a restored disk that restore --attach-to did not attach" 1 \
    rl --disk r-hand
t_check "by hand: the refusal says why" grep -q "not by restore --attach-to" "$T_TMP/err"
t_check "by hand: nothing detached or deleted" \
    test "$(rv_writes) $(rv_vm vm2)" = "$w0 running 4=r-hand/None/0"
t_exit "by hand: --tag cannot forge snapkeep-copy-for" 2 \
    rs --disk data1 --latest --to r-forged --tag snapkeep-copy-for=x

# ---- refusals before any change ----
w0=$(rv_writes)
t_exit "refused: --to names an existing disk" 1 rs --disk data1 --latest --to extra1 --attach-to vm1
t_exit "refused: no free LUN on vm3" 1 rs --disk data1 --latest --to r3 --attach-to vm3
t_check "refused: no free LUN says so" grep -q "no free LUN" "$T_TMP/err"
t_exit "refused: --lun 2 is taken on vm1" 1 rs --disk data1 --latest --to r3 --attach-to vm1 --lun 2
t_check "refused: the taken LUN named" grep -q "LUN 2 of VM vm1 holds disk data1" "$T_TMP/err"
t_exit "refused: another zone" 1 rs --disk data1 --latest --to r3 --attach-to vmz --zone 1
t_exit "refused: replace on a VM the disk is not on" 1 rs --disk data1 --latest --to r3 --replace-on vm2
t_check "refused: not a data disk of vm2" grep -q "not a data disk of VM vm2" "$T_TMP/err"
t_exit "refused: a VM that does not exist" 1 rs --disk data1 --latest --to r3 --attach-to nosuchvm
t_check "refused: nothing was sent" test "$(rv_writes)" = "$w0"

# ---- complete restore in place, VM running ----
t_exit "replace dry run: exit 0" 0 rs --disk data1 --latest --to r2 --replace-on vm1 --dry-run \
    --format json
t_check "replace dry run: six steps, in order, none done" python3 - "$T_TMP/out" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
acts = [s["action"] for s in o["steps"]]
assert acts == ["create-disk", "deallocate", "detach", "attach", "tag-replaced", "start"], acts
assert all(s["status"] == "to-do" for s in o["steps"]) and o["dry_run"] and o["lun"] == 2, o
att = o["steps"][3]
assert att["lun"] == 2 and att["caching"] == "ReadWrite" and att["write_accelerator"], att
PY
t_check "replace dry run: sent nothing" test "$(rv_writes)" = "$w0"
t_exit "replace (running VM): exit 0" 0 rs --disk data1 --latest --to r2 --replace-on vm1 --format json
cp "$T_TMP/out" "$D/replace.json"
t_check "replace: r2 at LUN 2 with data1's caching and write accelerator, vm1 running again" \
    test "$(rv_vm vm1)" = "running 0=extra1/ReadOnly/0 2=r2/ReadWrite/1"
t_check "replace: data1 kept, detached, tagged replaced-by r2 and replaced-at" \
    test "$(rv_disk data1 '(d.get("managedBy") or "-") + " " + t["snapkeep-replaced-by"].split("/")[-1] + " " + str(len(t["snapkeep-replaced-at"]) >= 20)')" = "- r2 True"
t_check "replace: r2 says what it replaces" \
    test "$(rv_disk r2 't["snapkeep-replaces"].split("/")[-1]')" = data1
t_check "replace: JSON has each step's seconds and the RTO" python3 - "$D/replace.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["ok"] and o["operation"] == "replace" and o["rto_seconds"] > 0, o
assert [s["status"] for s in o["steps"]] == ["done"] * 6, o["steps"]
assert all(s["seconds"] >= 0 for s in o["steps"])
PY
t_check "replace: the VM was deallocated and started once each" \
    test "$(rv_count POST 'vm1/deallocate$' POST 'vm1/start$')" = "1 1"
t_check "replace: no disk was deleted (data1 is there)" \
    test "$(rv_count DELETE '/disks/(data1|r2)$') $(rv_disk data1 'd["name"]')" = "0 data1"
t_exit "release: a disk in service is refused" 1 rl --disk r2
t_check "release: in-service refusal names snapkeep-replaces" grep -q "snapkeep-replaces" "$T_TMP/err"

# ---- complete restore in place, VM deallocated ----
t_exit "replace (deallocated VM): exit 0" 0 rs --disk data4 --latest --to r4 --replace-on vm4
t_check "replace (deallocated): r4 at LUN 0, ReadOnly; vm4 stays deallocated" \
    test "$(rv_vm vm4)" = "deallocated 0=r4/ReadOnly/0"
t_check "replace (deallocated): no deallocate, no start sent" \
    test "$(rv_count POST 'vm4/(deallocate|start)$')" = 0
t_exit "replace --start (deallocated VM): exit 0" 0 \
    rs --disk data5 --snapshot data5-s1 --to r5 --replace-on vm5 --start
t_check "replace --start: vm5 running with r5 at LUN 3" test "$(rv_vm vm5)" = "running 3=r5/None/0"
t_check "replace --start: from the snapshot asked for" \
    test "$(rv_disk r5 't["snapkeep-restored-from"].split("/")[-1]')" = data5-s1

# ---- another operation's record blocks, the same one resumes ----
cat >"$SD/recovery.json" <<EOF
{"format":"snapkeep-recovery/1","key":"restore-replace|p1|data6|vm6|r6b","command":"snapkeep restore p.policy --disk data6 --latest --to r6b --replace-on vm6","started":"2026-12-01T00:00:00Z","snapshot":"$RV_C/snapshots/data6-s2","facts":{"lun":1,"caching":"ReadWrite","write_accelerator":false,"was_running":true}}
EOF
t_exit "record: another unfinished operation refuses this one (exit 6)" 6 \
    rs --disk data6 --latest --to r6 --attach-to vm2
t_check "record: names the command to run again" grep -q "snapkeep restore p.policy --disk data6 --latest --to r6b --replace-on vm6" "$T_TMP/err"
t_exit "record: the recorded operation resumes with its snapshot" 0 \
    rs --disk data6 --latest --to r6b --replace-on vm6
t_check "record: used the recorded snapshot (s2), not the newest" \
    test "$(rv_disk r6b 't["snapkeep-restored-from"].split("/")[-1]')" = data6-s2
t_check "record: removed when done" test ! -e "$SD/recovery.json"

# ---- release reads the disk again just before its delete ----
t_exit "guard: a copy attached to vm4" 0 rs --disk data4 --latest --to r-guard --attach-to vm4
az_faults '{"rules": [{"name": "slow-detach", "method": "POST", "path": "vm4/attachDetachDataDisks$",
  "action": "delay", "seconds": 2}]}'
rl --disk r-guard --from vm4 >"$D/guard.out" 2>"$D/guard.err" &
guard=$!
sleep 0.8
# while the detach is on its way, someone takes the disk over: it loses the restore tag
curl -s -o /dev/null --cacert "$AZ_CA" -X PATCH -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d '{"tags": {"owner": "someone-else"}}' \
    "$AZ_URL$RV_C/disks/r-guard?api-version=2025-01-02"
wait "$guard"
rc=$?
az_faults '{"rules": []}'
t_check "guard: the delete is refused (exit 4)" test "$rc" = 4
t_check "guard: says the disk changed" grep -q "no longer carries snapkeep-restored-from" "$D/guard.err"
t_check "guard: r-guard still exists, detached, and no DELETE was sent" \
    test "$(rv_disk r-guard '(d.get("managedBy") or "-") + " " + t.get("owner", "")') $(rv_count DELETE '/disks/r-guard$')" = "- someone-else 0"
t_exit "guard: the release run again is refused: not snapkeep's disk any more" 1 \
    rl --disk r-guard --from vm4
t_check "guard: it gives the interrupted release up, so nothing else stays blocked" \
    bash -c 'grep -q "given up; its record is removed" "$1" && test ! -e "$2"' _ "$T_TMP/err" "$SD/recovery.json"

# ---- a step ARM fails: named, with its answer and the command that resumes ----
az_faults '{"rules": [{"name": "attach-fails", "method": "POST", "path": "vm7/attachDetachDataDisks$",
  "after": 1, "times": 1, "action": "fail-lro", "code": "AllocationFailed", "message": "injected"}]}'
t_exit "failed step: exit 4" 4 rs --disk data7 --latest --to r8 --replace-on vm7
t_check "failed step: names the step, ARM's code and the command that resumes" \
    bash -c 'grep -q "step 4/6 (attach disk r8 to VM vm7 at LUN 0 (caching None)) failed" "$1" &&
             grep -q "AllocationFailed: injected" "$1" &&
             grep -q "snapkeep restore .*--disk data7 --latest --to r8 --replace-on vm7" "$1"' _ "$T_TMP/err"
t_check "failed step: the record stays for the resume" test -s "$SD/recovery.json"
t_check "failed step: data7 detached, nothing deleted" \
    test "$(rv_vm vm7) $(rv_count DELETE '/disks/(data7|r8)$')" = "deallocated 0"
az_faults '{"rules": []}'
t_exit "failed step: the same command finishes once the cause is gone" 0 \
    rs --disk data7 --latest --to r8 --replace-on vm7
t_check "failed step: end state as planned" test "$(rv_vm vm7)" = "running 0=r8/None/0"

# ---- a replace under 429, 503 and dropped answers ----
az_faults '{"seed": 3, "rules": [
  {"name": "throttle", "kind": "arm", "every": 3, "action": "throttle", "retry_after": 0},
  {"name": "503", "kind": "arm", "every": 5, "action": "error", "status": 503},
  {"name": "drop-after", "kind": "arm", "method": ["POST", "PUT", "PATCH"], "every": 4, "action": "drop-after"}]}'
t_exit "faults: replace rides through (exit 0)" 0 \
    rs --disk extra1 --latest --to r7 --replace-on vm1 --retry-budget 60
t_check "faults: end state as without faults" \
    test "$(rv_vm vm1)" = "running 0=r7/ReadOnly/0 2=r2/ReadWrite/1"
t_check "faults: extra1 kept and tagged" \
    test "$(rv_disk extra1 't["snapkeep-replaced-by"].split("/")[-1]')" = r7
t_check "faults: each kind of fault fired during the replace" python3 - "$AZ_LOG" <<'PY'
import json, sys
fired = {f for l in open(sys.argv[1]) for f in json.loads(l).get("faults", [])}
assert {"throttle", "503", "drop-after"} <= fired, fired
PY
az_faults '{"seed": 9, "rules": [
  {"name": "throttle2", "kind": "arm", "every": 2, "action": "throttle", "retry_after": 0},
  {"name": "drop2", "kind": "arm", "method": ["POST", "PUT", "PATCH"], "every": 3, "action": "drop-after"},
  {"name": "drop-before", "kind": "arm", "method": "POST", "every": 5, "action": "drop"}]}'
t_exit "faults (another mix): replace rides through (exit 0)" 0 \
    rs --disk data8 --latest --to r9 --replace-on vm8 --retry-budget 60
t_check "faults (another mix): end state as without faults" \
    test "$(rv_vm vm8) $(rv_disk data8 't["snapkeep-replaced-by"].split("/")[-1]')" = "running 5=r9/ReadWrite/0 r9"
t_check "faults (another mix): one attach and one detach reached ARM's end" \
    test "$(rv_count POST 'vm8/attachDetachDataDisks$')" -ge 2

t_done
