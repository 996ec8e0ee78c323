#!/usr/bin/env bash
# snapkeep drill --failover: the rehearsal of a failover that never touches
# production. The newest snapshot of each policy disk goes to a scratch
# disk in the standby's zone, attached to the standby at the production
# LUN with the production caching; with --start the standby is started,
# the verify command runs per disk, the standby is deallocated again and
# the scratch disks are detached and deleted. The server's log must show
# no request that changes the production VM or its disks; the report gives
# the RTO it proves. Also: without --start, a LUN the standby already uses,
# the standby from the policy's recovery block, and usage errors.
# shellcheck disable=SC1091,SC2016,SC2317 # sourced helpers; bash -c snippets take "$1"; helpers run through t_exit
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/azure_lib.sh"
. "$(dirname "$0")/recover_lib.sh"

D=$T_TMP/df
mkdir -p "$D"
rv_seed "$D/seed.json" "prod:running:1:3=data1/ReadWrite/0,5=data2/None/0" \
    "stby:deallocated:1:-" "busy:deallocated:1:3=other1/None/0" "hot:running:1:-"
az_start "$D/srv" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.2 ||
    { t_fail "server starts"; t_done; }
az_env_secret
az_policy "$D/p.policy" rg1 "data1 data2"
SD=$D/state
NOW=2026-11-24T10:00:04Z
dk() { "$SNAPKEEP" drill "$D/p.policy" --state-dir "$SD" --ca-file "$AZ_CA" --now "$NOW" "$@"; }
# prod_writes: requests that could change the production VM or its disks
# (0), after a check that the pattern does see production: the drill reads
# it (fails when it never did)
prod_writes() {
    python3 - "$AZ_LOG" <<'PY'
import json, re, sys
writes = reads = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if re.search(r"/(virtualMachines/prod|disks/(data1|data2|os-prod))(/|$)", r["path"], re.I):
        if r["method"] == "GET":
            reads += 1
        else:
            writes += 1
print(writes if reads > 0 else "production never read")
PY
}
PROD="running 3=data1/ReadWrite/0 5=data2/None/0"

# the verify command also keeps the server's state as it is while it runs
t_exit "rehearsal with --start: exit 0" 0 dk --failover --to stby --start \
    --verify "echo \"lun=\$SNAPKEEP_LUN dev=\$SNAPKEEP_DEVICE\"; cp '$AZ_STATE' '$D/during.json'" --format json
cp "$T_TMP/out" "$D/fo.json"
t_check "rehearsal: each disk at its production LUN and caching, started, verified, RTO" \
    python3 - "$D/fo.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
f = o["failover"]
assert o["exit"] == 0 and f["started"] and f["deallocated"] and f["rto_seconds"] > 0, f
assert f["standby"].endswith("/virtualMachines/stby"), f
disks = {d["disk"].split("/")[-1]: d for d in o["policies"][0]["disks"]}
want = {"data1": 3, "data2": 5}
for name, lun in want.items():
    (r,) = disks[name]["restores"]          # the newest snapshot only
    assert r["name"] == name + "-s3", r["name"]
    a = r["attach"]
    assert a["lun"] == lun and a["attached"] and a["detached"] and r["deleted"], r
    assert r["verify"]["passed"], r["verify"]
    assert r["verify"]["output"] == "lun=%d dev=/dev/disk/azure/scsi1/lun%d\n" % (lun, lun)
    assert disks[name]["proven_rpo_seconds"] == 86400
PY
t_check "rehearsal: the standby is deallocated again, with no data disk" test "$(rv_vm stby)" = deallocated
t_check "rehearsal: it was started once and deallocated once" \
    test "$(rv_count POST 'stby/start$' POST 'stby/deallocate$')" = "1 1"
t_check "rehearsal: during the verify the running standby had both at production's LUNs and caching" \
    python3 - "$D/during.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
(v,) = [v for v in s["virtualMachines"] if v["name"] == "stby"]
power = [p for k, p in s["powerStates"].items() if k.lower() == v["id"].lower()]
dd = {e["lun"]: (e["managedDisk"]["id"].split("/")[-1], e["caching"])
      for e in v["properties"]["storageProfile"]["dataDisks"]}
assert power == ["running"], power
assert dd[3][0].startswith("data1-drill-") and dd[3][1] == "ReadWrite", dd
assert dd[5][0].startswith("data2-drill-") and dd[5][1] == "None", dd
PY
t_check "rehearsal: no scratch disk left" test -z "$(drill_disks)"
t_check "rehearsal: production is as it was" test "$(rv_vm prod)" = "$PROD"
t_check "rehearsal: not one request that changes production (server log)" test "$(prod_writes)" = 0
t_check "rehearsal: no request at all to a NIC, public IP or DNS record" \
    test "$(grep -ci '/providers/Microsoft.Network/' "$AZ_LOG")" = 0

t_exit "rehearsal without --start: exit 0" 0 dk --failover --to stby --format json
t_check "without --start: not started, no power action" \
    bash -c 'python3 -c "import json,sys; f=json.load(open(sys.argv[1]))[\"failover\"]; assert not f[\"started\"] and not f[\"deallocated\"], f" "$1"' _ "$T_TMP/out"
t_check "without --start: no start or deallocate sent" \
    test "$(rv_count POST 'stby/start$' POST 'stby/deallocate$')" = "1 1"
t_check "without --start: nothing left, production untouched" \
    test "$(drill_disks | wc -l) $(prod_writes)" = "0 0"

t_exit "a standby whose LUN 3 is taken: exit 4" 4 dk --failover --to busy --format json
t_check "LUN taken: said, the other disk still attached, nothing left" python3 - "$T_TMP/out" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
d = {x["disk"].split("/")[-1]: x for x in o["policies"][0]["disks"]}
r = d["data1"]["restores"][0]
assert "LUN of the standby holds another disk" in r["attach"]["problem"], r
assert not d["data1"]["restorable"] and d["data2"]["restorable"], d
PY
t_check "LUN taken: busy keeps its own disk, no scratch disk left" \
    test "$(rv_vm busy) $(drill_disks | wc -l)" = "deallocated 3=other1/None/0 0"

t_exit "a running standby with --start: exit 0" 0 dk --failover --to hot --start
t_check "a running standby is left running: no start, no deallocate sent" \
    test "$(rv_vm hot) $(rv_count POST 'hot/(start|deallocate)$')" = "running 0"

sed -i 's/^    keep-all 24h$/    keep-all 24h\n    recovery { standby "stby" }/' "$D/p.policy"
t_exit "standby from the policy's recovery block: exit 0" 0 dk --failover
t_check "standby from the policy: the rehearsal ran on stby" grep -q "failover rehearsal on standby stby" "$T_TMP/out"
t_check "still no request that changes production" test "$(prod_writes)" = 0
t_exit "usage: --failover with --attach-to" 2 dk --failover --attach-to stby
t_exit "usage: --start without --failover" 2 dk --start

t_done
