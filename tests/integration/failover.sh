#!/usr/bin/env bash
# snapkeep failover against tests/arm/serve: a full failover with the
# public IP and a Private DNS record (disks on the standby at the same LUNs
# with their caching, source deallocated, IP and record on the standby),
# failback the other way round, --dry-run sends no write, refusals before
# any change, a source that does not answer (refused; --force-detach then
# sends ARM's ForceDetach), a DNS record changed by someone else between
# plan and update (412, exit 4, named), faults during every step.
# shellcheck disable=SC1091,SC2016 # sourced helpers; bash -c snippets take "$1"
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/azure_lib.sh"
. "$(dirname "$0")/recover_lib.sh"

D=$T_TMP/fo
mkdir -p "$D"
rv_seed "$D/seed.json" \
    "vm1:running:1:0=scratch1/None/0,1=data1/ReadWrite/1,3=data2/ReadOnly/0" \
    "sb1:deallocated:1:0=own1/None/0" \
    "vm2:running:1:1=data3/ReadWrite/0" "sb2:deallocated:1:-" \
    "vm3:running:1:2=data4/None/0" "sb3:deallocated:1:-" \
    "vm4:running:1:1=data5/None/0" "sb4:deallocated:1:1=own4/None/0" \
    "vm5:running:1:1=data6/None/0" "sb5:deallocated:1:-" "vm9:running:1:-" \
    "vm6:running:1:1=data7/ReadOnly/0" "sb6:deallocated:1:-"
rv_net "$D/seed.json" nic:vm1:10.0.0.4:pip1 nic:sb1:10.0.0.5 nic:vm2:10.0.0.6 \
    nic:sb2:10.0.0.7 nic:vm3:10.0.0.8:pip3 nic:sb3:10.0.0.9 nic:vm9:10.0.0.10:pip9 \
    nic:vm5:10.0.0.11 nic:sb5:10.0.0.12 \
    private:corp.internal/app:10.0.0.4 private:corp.internal/db:10.0.0.6 \
    public:example.com/www:10.0.0.11
az_start "$D/srv" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.2 ||
    { t_fail "server starts"; t_done; }
az_env_secret
cat >"$D/p.policy" <<P
policy "p1" {
    subscription "$AZ_SUB"
    resource-group "rg1"
    disk "data1"
    disk "data2"
    disk "data3"
    disk "data4"
    disk "data5"
    disk "data6"
    disk "data7"
    keep-all 24h
    recovery {
        vm "vm1"
        standby "sb1"
        public-ip "pip1"
        dns-record "corp.internal/app"
    }
}
policy "p2" {
    subscription "$AZ_SUB"
    resource-group "rg1"
    disk "data3"
    disk "data4"
    disk "data5"
    disk "data6"
    disk "data7"
    keep-all 24h
}
P
fo() { "$SNAPKEEP" failover "$D/p.policy" --policy p1 --ca-file "$AZ_CA" "$@"; }
fo2() { "$SNAPKEEP" failover "$D/p.policy" --policy p2 --ca-file "$AZ_CA" "$@"; }

t_exit "check: the recovery block with standby, public-ip and dns-record is valid" 0 \
    "$SNAPKEEP" check "$D/p.policy"

# ---- dry run: the plan, no write ----
w0=$(rv_writes)
t_exit "dry run: exit 0" 0 fo --dry-run --state-dir "$D/s1"
t_check "dry run: lists every step in order" python3 - "$T_TMP/out" <<'PY'
import sys
t = open(sys.argv[1]).read()
want = ["deallocate VM vm1", "detach disk data1 from VM vm1 (LUN 1)", "detach disk data2",
        "attach disk data1 to VM sb1 at LUN 1 (caching ReadWrite, write accelerator)",
        "attach disk data2 to VM sb1 at LUN 3 (caching ReadOnly)",
        "remove public IP pip1 from IP configuration ipconfig1 of NIC nic-vm1",
        "add public IP pip1 to IP configuration ipconfig1 of NIC nic-sb1",
        "point DNS A record corp.internal/app at 10.0.0.5", "start VM sb1"]
pos = [t.find(w) for w in want]
assert all(p >= 0 for p in pos) and pos == sorted(pos), (pos, t)
assert "scratch1" not in t, t
PY
t_eq "dry run: no write reached the server" "$w0" "$(rv_writes)"

# ---- the failover, from the policy's recovery block ----
t_exit "failover: exit 0" 0 fo --state-dir "$D/s1"
cp "$T_TMP/out" "$D/fo1.out"
t_eq "failover: the policy's disks on sb1 at the same LUNs, caching and WA; sb1 running" \
    "running 0=own1/None/0 1=data1/ReadWrite/1 3=data2/ReadOnly/0" "$(rv_vm sb1)"
t_eq "failover: vm1 deallocated, keeps the ungoverned disk" "deallocated 0=scratch1/None/0" \
    "$(rv_vm vm1)"
t_eq "failover: the public IP is on sb1's primary IP configuration" "nic-sb1/ipconfig1" \
    "$(rv_pip pip1)"
t_eq "failover: the DNS record points at sb1's private IP" "10.0.0.5" \
    "$(rv_dns corp.internal/app)"
t_check "failover: prints each step's seconds and the RTO" \
    bash -c 'grep -Eq "start VM sb1  \([0-9.]+ s\)" "$1" && grep -Eq "RTO: [0-9.]+ s" "$1"' _ "$D/fo1.out"
t_check "failover: one PUT of the DNS record, answered 200" python3 - "$AZ_LOG" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
p = [x for x in r if x.get("method") == "PUT" and "/A/app" in x.get("path", "")]
assert len(p) == 1 and p[0]["status"] == 200, p
PY
t_check "failover: record removed" test ! -e "$D/s1/recovery.json"
w0=$(rv_writes)
t_exit "failover again: everything done already, exit 0" 0 fo --state-dir "$D/s1"
t_eq "failover again: no write sent" "$w0" "$(rv_writes)"
t_check "failover again: all 9 steps done already" test "$(grep -c "done already" "$T_TMP/out")" = 9

# ---- failback: the same command the other way round ----
t_exit "failback: exit 0" 0 fo --from sb1 --to vm1 --state-dir "$D/s1"
t_eq "failback: the disks back on vm1 at their LUNs, running" \
    "running 0=scratch1/None/0 1=data1/ReadWrite/1 3=data2/ReadOnly/0" "$(rv_vm vm1)"
t_eq "failback: sb1 deallocated with its own disk" "deallocated 0=own1/None/0" "$(rv_vm sb1)"
t_eq "failback: IP and record on vm1 again" "nic-vm1/ipconfig1 10.0.0.4" \
    "$(rv_pip pip1) $(rv_dns corp.internal/app)"

# ---- JSON, flags over the file, --no-start, a public DNS zone ----
t_exit "refused: pip9 is on vm9's NIC, neither vm5's nor sb5's (exit 1)" 1 fo --from vm5 --to sb5 \
    --move-public-ip pip9 --state-dir "$D/s5"
t_check "refused: names the holder" grep -q "interface nic-vm9" "$T_TMP/err"
t_exit "json: vm5 -> sb5, DNS only, --no-start" 0 fo2 --from vm5 --to sb5 \
    --dns-record example.com/www --dns-zone-kind public --no-start --format json --state-dir "$D/s5"
t_check "json: steps, seconds, rto" python3 - "$T_TMP/out" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["ok"] and o["operation"] == "failover" and o["rto_seconds"] >= 0, o
acts = [s["action"] for s in o["steps"]]
assert acts == ["deallocate", "detach", "attach", "dns-set"], acts
assert all(s["status"] == "done" and "seconds" in s for s in o["steps"]), o["steps"]
PY
t_eq "json: sb5 not started, data6 at LUN 1; www points at sb5" \
    "deallocated 1=data6/None/0 10.0.0.12" "$(rv_vm sb5) $(rv_dns example.com/www)"

# ---- --restore: new disks from the newest snapshots, the originals untouched ----
t_exit "restore: --restore without --latest/--at is a usage error" 2 fo2 --from vm6 --to sb6 \
    --restore --state-dir "$D/s6"
t_exit "restore: vm6 -> sb6 from the newest snapshot, exit 0" 0 fo2 --from vm6 --to sb6 \
    --restore --latest --state-dir "$D/s6"
t_eq "restore: the new disk on sb6 at LUN 1 with ReadOnly, sb6 running" \
    "running 1=data7-fo-20261123T100003Z/ReadOnly/0" "$(rv_vm sb6)"
t_eq "restore: vm6 deallocated, its original disk still at LUN 1" "deallocated 1=data7/ReadOnly/0" \
    "$(rv_vm vm6)"
t_eq "restore: the new disk is made from data7-s3, in zone 1" "data7-s3 ['1']" \
    "$(rv_disk data7-fo-20261123T100003Z 't["snapkeep-restored-from"].split("/")[-1] + " " + str(d.get("zones"))')"
t_eq "restore: nothing detached from vm6" 0 "$(rv_count POST 'vm6/attachDetachDataDisks$')"
t_exit "restore: --at picks an older snapshot; the name is taken by nobody: refused as sb6's LUN 1 is used" 1 \
    fo2 --from vm6 --to sb6 --restore --at 2026-11-21T12:00:00Z --state-dir "$D/s6"
t_check "restore: names the LUN" grep -q "LUN 1 of VM sb6 holds disk data7-fo-20261123T100003Z" "$T_TMP/err"

# ---- refusals before any change ----
w0=$(rv_writes)
t_exit "refused: a LUN taken on the standby" 1 fo2 --from vm4 --to sb4 --state-dir "$D/s4"
t_check "refused: names the LUN" grep -q "LUN 1 of VM sb4 holds disk own4" "$T_TMP/err"
t_exit "refused: --to is --from" 1 fo --from vm4 --to vm4 --state-dir "$D/s4"
t_exit "refused: a standby that does not exist" 1 fo --from vm4 --to nosuch --state-dir "$D/s4"
t_check "refused: says so" grep -q "standby VM nosuch does not exist" "$T_TMP/err"
t_exit "refused: no governed disk on the source" 1 fo --from vm9 --to sb4 --state-dir "$D/s4"
t_eq "refusals: no write sent" "$w0" "$(rv_writes)"

# ---- a source that does not answer: refused, then --force-detach ----
az_faults '{"rules": [{"name": "vm3-silent", "path": "virtualMachines/vm3/instanceView", "action": "status", "status": 400, "code": "OperationNotAllowed", "message": "the VM agent does not answer"}]}'
w0=$(rv_writes)
t_exit "silent source: refused (exit 1)" 1 fo2 --from vm3 --to sb3 --move-public-ip pip3 \
    --state-dir "$D/s3"
t_check "silent source: says it cannot be confirmed stopped and names --force-detach" \
    bash -c 'grep -q "cannot be confirmed stopped" "$1" && grep -q -- "--force-detach" "$1"' _ "$T_TMP/err"
t_eq "silent source: no write sent" "$w0" "$(rv_writes)"
fo2 --from vm3 --to sb3 --move-public-ip pip3 --force-detach --state-dir "$D/s3" \
    >"$D/force.out" 2>"$D/force.err" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    grep -q '"detachOption": *"ForceDetach"' "$AZ_STATE" 2>/dev/null && touch "$D/force.seen"
    sleep 0.02
done
wait "$pid"
t_eq "force-detach: exit 0" 0 "$?"
t_check "force-detach: the server saw detachOption ForceDetach" test -e "$D/force.seen"
t_check "force-detach: says so, and sent no deallocate" bash -c 'grep -q "ForceDetach" "$1" &&
    ! grep -q "deallocate VM vm3" "$1"' _ "$D/force.out"
t_eq "force-detach: data4 on sb3 at LUN 2, pip3 there" "running 2=data4/None/0 nic-sb3/ipconfig1" \
    "$(rv_vm sb3) $(rv_pip pip3)"
t_eq "force-detach: no deallocate POST reached vm3" "0" "$(rv_count POST 'vm3/deallocate$')"
az_faults '{"rules": []}'

# ---- the DNS record changed by someone else between plan and update ----
az_faults '{"rules": [{"name": "slow-attach", "method": "POST", "path": "sb2/attachDetachDataDisks$", "action": "delay", "seconds": 1.5}]}'
fo2 --from vm2 --to sb2 --dns-record corp.internal/db --state-dir "$D/s2" >"$D/race.out" 2>"$D/race.err" &
pid=$!
for _ in $(seq 1 400); do
    grep -q '"event":"intent","op":"attach"' "$D/s2/journal.jsonl" 2>/dev/null && break
    sleep 0.02
done
t_eq "race: someone else's PUT of the record is accepted" 200 "$(rv_put_dns corp.internal/db 10.0.0.99)"
wait "$pid"
t_eq "race: failover stops at the DNS step with exit 4" 4 "$?"
t_check "race: the message names the record and why" bash -c 'grep -q "DNS record corp.internal/db was changed by someone else" "$1" &&
    grep -q "step 4/5 (point DNS A record corp.internal/db" "$1" &&
    grep -q "^    snapkeep failover .*--from vm2 --to sb2 --dns-record corp.internal/db" "$1"' _ "$D/race.err"
t_eq "race: their change stays; the disk moved; sb2 not started yet" "10.0.0.99 deallocated 1=data3/ReadWrite/0" \
    "$(rv_dns corp.internal/db) $(rv_vm sb2)"
t_eq "race: ARM answered the If-Match PUT 412" 1 "$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if (r := json.loads(l)).get("method") == "PUT" and r["path"].endswith("/A/db") and r["status"] == 412))' "$AZ_LOG")"
az_faults '{"rules": []}'
t_exit "race: the same command, run again, plans from the new record and finishes" 0 \
    fo2 --from vm2 --to sb2 --dns-record corp.internal/db --state-dir "$D/s2"
t_eq "race: record on sb2, sb2 running" "10.0.0.7 running 1=data3/ReadWrite/0" \
    "$(rv_dns corp.internal/db) $(rv_vm sb2)"

# ---- faults during every step: 429s, 503s, answers lost after the change ----
az_faults '{"seed": 3, "rules": [
  {"name": "lost-deallocate", "method": "POST", "path": "vm1/deallocate$", "times": 1, "action": "drop-after"},
  {"name": "lost-detach", "method": "POST", "path": "vm1/attachDetachDataDisks$", "times": 1, "action": "drop-after"},
  {"name": "lost-attach", "method": "POST", "path": "sb1/attachDetachDataDisks$", "times": 1, "action": "drop-after"},
  {"name": "lost-nic-remove", "method": "PUT", "path": "networkInterfaces/nic-vm1$", "times": 1, "action": "drop-after"},
  {"name": "lost-nic-add", "method": "PUT", "path": "networkInterfaces/nic-sb1$", "times": 1, "action": "drop-after"},
  {"name": "lost-dns", "method": "PUT", "path": "/A/app$", "times": 1, "action": "drop-after"},
  {"name": "lost-start", "method": "POST", "path": "sb1/start$", "times": 1, "action": "drop-after"},
  {"name": "throttled", "kind": "arm", "every": 4, "action": "throttle", "retry_after": 0},
  {"name": "503s", "kind": "arm", "probability": 0.15, "action": "error", "status": 503}]}'
t_exit "faults: the failover converges (exit 0)" 0 fo --state-dir "$D/s1" --retry-budget 60
t_eq "faults: end state as without faults" \
    "running 0=own1/None/0 1=data1/ReadWrite/1 3=data2/ReadOnly/0 deallocated 0=scratch1/None/0 nic-sb1/ipconfig1 10.0.0.5" \
    "$(rv_vm sb1) $(rv_vm vm1) $(rv_pip pip1) $(rv_dns corp.internal/app)"
t_check "faults: answers were lost and the state read again" grep -q "the answer was lost" "$T_TMP/err"
t_check "faults: no change the server carried out (answer dropped) was sent again" python3 - "$AZ_LOG" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
done = {r["client_request_id"] for r in rows if r.get("dropped") == "after" and r.get("client_request_id")}
seen = {}
for r in rows:
    cid = r.get("client_request_id")
    if cid in done:
        seen[cid] = seen.get(cid, 0) + 1
assert len(done) >= 3 and all(n == 1 for n in seen.values()), seen
PY
az_faults '{"rules": []}'
t_done
