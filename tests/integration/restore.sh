#!/usr/bin/env bash
# snapkeep restore against tests/arm/serve: by name, by time (edges) and
# latest, owned or not, skipping a failed snapshot; the new disk's source,
# region, SKU, zone and tags as the server stores them; refusal to
# overwrite; a failed creation (injected) with ARM's code and exit 4;
# --dry-run and --format json; the journal.
# shellcheck disable=SC1091,SC2016,SC2317 # sourced helpers; bash -c snippets take "$1"; helpers run through t_exit
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/azure_lib.sh"

D=$T_TMP/restore
mkdir -p "$D"
python3 - "$D/seed.json" "$AZ_SUB" <<'EOF'
import json, sys
out, sub = sys.argv[1:]
def rid(rg, kind, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/{kind}/{name}"
disks = [{"id": rid(rg, "disks", "data1"), "location": "westeurope", "zones": ["2"],
          "sku": {"name": "Premium_LRS"}, "properties": {"diskSizeGB": 64}}
         for rg in ("rg1", "rg2")]
snaps = []
def snap(rg, name, when, state="Succeeded", owned=True):
    tags = {"snapkeep-policy": "p1"} if owned else {}
    snaps.append({"id": rid(rg, "snapshots", name), "location": "westeurope", "tags": tags,
                  "sku": {"name": "Standard_ZRS"},
                  "properties": {"creationData": {"createOption": "Copy",
                                                  "sourceResourceId": rid(rg, "disks", "data1")},
                                 "timeCreated": when, "provisioningState": state,
                                 "incremental": True, "diskSizeGB": 64}})
snap("rg1", "data1-a", "2026-11-20T10:00:03.1234567+00:00")
snap("rg1", "data1-b", "2026-11-21T10:00:03.1234567+00:00")
snap("rg1", "data1-c", "2026-11-22T10:00:03.1234567+00:00", owned=False)
snap("rg1", "data1-d", "2026-11-23T10:00:03.1234567+00:00", state="Failed")
snap("rg2", "other-z", "2026-11-24T10:00:03.1234567+00:00")
json.dump({"disks": disks, "snapshots": snaps}, open(out, "w"))
EOF
az_start "$D/srv" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.3 ||
    { t_fail "server starts"; t_done; }
az_env_secret
az_policy "$D/p.policy" rg1 data1
SD=$D/state
SNAP=/subscriptions/$AZ_SUB/resourceGroups/rg1/providers/Microsoft.Compute/snapshots
NEW=/subscriptions/$AZ_SUB/resourceGroups/rg1/providers/Microsoft.Compute/disks

sk() { "$SNAPKEEP" restore "$D/p.policy" --disk data1 --state-dir "$SD" --ca-file "$AZ_CA" "$@"; }

# disk_field NAME EXPR: a field of a disk in the server's state ("" when absent)
disk_field() {
    python3 - "$AZ_STATE" "$1" "$2" <<'EOF'
import json, sys
st, name, expr = sys.argv[1:]
for d in json.load(open(st))["disks"]:
    if d["name"].lower() == name.lower():
        print(eval(expr, {"d": d}))
EOF
}
puts_to() { grep -c "\"method\": *\"PUT\".*disks/$1\"" "$AZ_LOG"; }
# accepted_puts NAME: PUTs of a disk that ARM answered 2xx
accepted_puts() {
    python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)] if r["method"] == "PUT" and r["path"].lower().endswith("/disks/" + sys.argv[2]) and 200 <= r["status"] < 300))' "$AZ_LOG" "$1"
}

t_exit "latest: exit 0" 0 sk --latest --to r-latest --tag env=dr
cp "$T_TMP/out" "$D/latest.out"
t_check "latest: newest usable (not owned, failed one skipped)" \
    test "$(disk_field r-latest 'd["properties"]["creationData"]["sourceResourceId"]')" = "$SNAP/data1-c"
t_check "latest: in the snapshot's region" test "$(disk_field r-latest 'd["location"]')" = westeurope
t_check "latest: tagged with the source snapshot's ID" \
    test "$(disk_field r-latest 'd["tags"]["snapkeep-restored-from"]')" = "$SNAP/data1-c"
t_check "latest: --tag added" test "$(disk_field r-latest 'd["tags"]["env"]')" = dr
t_check "latest: source disk's SKU and zone" \
    test "$(disk_field r-latest 'd["sku"]["name"] + "/" + d["zones"][0]')" = "Premium_LRS/2"
t_check "latest: one PUT of it in the server's log" test "$(puts_to r-latest)" = 1
t_check "latest: provisioned" \
    test "$(disk_field r-latest 'd["properties"]["provisioningState"]')" = Succeeded
t_check "latest: prints the new disk's ID" grep -q "new disk: $NEW/r-latest" "$D/latest.out"
t_check "latest: complete-restore steps with the ID" \
    grep -q "az vm disk attach .*--name $NEW/r-latest --lun LUN" "$D/latest.out"
t_check "latest: partial-restore steps (read-only mount, delete)" \
    bash -c 'grep -q "mount -o ro" "$1" && grep -q "az disk delete --resource-group rg1 --name r-latest" "$1"' _ "$D/latest.out"

t_exit "by name: exit 0" 0 sk --snapshot data1-a --to r-name --sku Standard_LRS --zone 1
t_check "by name: the named snapshot" \
    test "$(disk_field r-name 'd["properties"]["creationData"]["sourceResourceId"]')" = "$SNAP/data1-a"
t_check "by name: --sku and --zone win" \
    test "$(disk_field r-name 'd["sku"]["name"] + "/" + d["zones"][0]')" = "Standard_LRS/1"
t_exit "by name: a failed snapshot is refused (exit 1)" 1 sk --snapshot data1-d --to r-bad
t_check "by name: ... and says why" grep -q "holds no data" "$T_TMP/err"
t_exit "by name: unknown snapshot (exit 1)" 1 sk --snapshot nope --to r-bad

t_exit "at: exactly at a snapshot's time takes it" 0 sk --at 2026-11-21T10:00:03.123456Z --to r-at1
t_check "at: exact -> data1-b" \
    test "$(disk_field r-at1 'd["properties"]["creationData"]["sourceResourceId"]')" = "$SNAP/data1-b"
t_exit "at: a microsecond before takes the one before" 0 sk --at 2026-11-21T10:00:03.123455Z --to r-at2
t_check "at: just before -> data1-a" \
    test "$(disk_field r-at2 'd["properties"]["creationData"]["sourceResourceId"]')" = "$SNAP/data1-a"
t_exit "at: before the first snapshot (exit 1)" 1 sk --at 2026-11-01T00:00:00Z --to r-bad
t_check "at: ... names the oldest" grep -q "the oldest is from 2026-11-20T10:00:03.123456Z" "$T_TMP/err"
t_check "refused restores created nothing" bash -c '! grep -q "disks/r-bad" "$1"' _ "$AZ_LOG"

t_exit "--disk as full ID, --resource-group elsewhere" 0 \
    "$SNAPKEEP" restore "$D/p.policy" --disk "/subscriptions/$AZ_SUB/resourceGroups/rg2/providers/Microsoft.Compute/disks/data1" \
    --latest --to r-other --resource-group rg2 --state-dir "$SD" --ca-file "$AZ_CA"
t_check "full ID: restored rg2's snapshot into rg2" \
    test "$(disk_field r-other 'd["id"].split("/")[4] + " " + d["properties"]["creationData"]["sourceResourceId"].split("/")[-1]')" = "rg2 other-z"

before=$(puts_to r-latest)
t_exit "existing disk: refused (exit 1)" 1 sk --snapshot data1-b --to r-latest
t_check "existing disk: says it never overwrites" grep -q "never overwrites" "$T_TMP/err"
t_check "existing disk: no PUT sent, still from data1-c" \
    test "$(puts_to r-latest) $(disk_field r-latest 'd["properties"]["creationData"]["sourceResourceId"]')" = "$before $SNAP/data1-c"

t_exit "dry run: exit 0" 0 sk --latest --to r-dry --dry-run
t_check "dry run: says what it would do" grep -q "would restore snapshot data1-c" "$T_TMP/out"
t_check "dry run: nothing created" test "$(puts_to r-dry)" = 0

t_exit "json: exit 0" 0 sk --latest --to r-json --format json
t_check "json: disk id, snapshot, time, seconds" python3 - "$T_TMP/out" "$NEW/r-json" "$SNAP/data1-c" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["created"] is True and o["dry_run"] is False
assert o["disk"]["id"] == sys.argv[2] and o["snapshot"]["id"] == sys.argv[3]
assert o["snapshot"]["name"] == "data1-c" and o["snapshot"]["time"] == "2026-11-22T10:00:03.123456Z"
assert isinstance(o["seconds"], (int, float)) and o["seconds"] > 0
EOF

az_faults '{"rules":[{"name":"quota","method":"PUT","path":"/disks/r-fail$","action":"fail-lro","code":"QuotaExceeded","message":"Operation could not be completed as it results in exceeding approved quota"}]}'
t_exit "failed creation: exit 4" 4 sk --latest --to r-fail
t_check "failed creation: ARM's code and message" \
    grep -q "QuotaExceeded: Operation could not be completed as it results in exceeding approved quota" "$T_TMP/err"
t_check "failed creation: a failed disk was made, then removed" \
    test "$(puts_to r-fail) $(disk_field r-fail 'd["id"]')" = "1 "
# a disk of that name made by someone else (tagged as restored from the same
# snapshot, as a second restore would) between the check and the PUT: the
# conditional create is answered 412, and the disk is left alone
az_faults '{"rules":[{"name":"race","method":"PUT","path":"/disks/r-race$","action":"race-create","tags":{"snapkeep-restored-from":"'"$SNAP"'/data1-c","made-by":"race"}}]}'
t_exit "name taken since the check (412): exit 4" 4 sk --latest --to r-race
t_check "name taken: ARM's 412 code, and said the disk is someone else's" bash -c '
grep -q "PreconditionFailed" "$1" && grep -q "made by someone else since the check; it is left as it is" "$1"' _ "$T_TMP/err"
t_check "name taken: the other disk stays as it was made, no DELETE sent" python3 -c '
import json, sys
tags = [d.get("tags") for d in json.load(open(sys.argv[1]))["disks"] if d["name"] == "r-race"]
dels = [r for l in open(sys.argv[2]) for r in [json.loads(l)]
        if r["method"] == "DELETE" and r["path"].lower().split("?")[0].endswith("/disks/r-race")]
sys.exit(0 if len(tags) == 1 and tags[0].get("made-by") == "race" and not dels else 1)' "$AZ_STATE" "$AZ_LOG"
az_faults '{"rules":[{"name":"denied","method":"PUT","path":"/disks/r-denied$","action":"status","status":403,"code":"AuthorizationFailed","message":"no write access"}]}'
t_exit "refused creation (403): exit 4" 4 sk --latest --to r-denied
t_check "refused creation: ARM's code" grep -q "AuthorizationFailed: no write access" "$T_TMP/err"
az_faults '{"seed":3,"rules":[{"kind":"arm","every":3,"action":"throttle","retry_after":0},{"kind":"arm","probability":0.2,"action":"error","status":503},{"kind":"arm","every":7,"action":"drop"}]}'
t_exit "rides through throttling, 503s and dropped connections" 0 sk --latest --to r-faults
t_check "faults: one accepted PUT, from data1-c" \
    test "$(accepted_puts r-faults) $(disk_field r-faults 'd["properties"]["creationData"]["sourceResourceId"]')" = "1 $SNAP/data1-c"
az_faults '{"rules":[]}'

J=$SD/journal.jsonl
t_check "journal: intent and outcome of each creation" python3 - "$J" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
intents = [l["resource"] for l in lines if l.get("event") == "intent" and l.get("op") == "create-disk"]
done = {l["resource"]: l["outcome"] for l in lines if l.get("event") == "outcome" and l.get("op") == "create-disk"}
assert any(r.endswith("/r-latest") for r in intents), intents
assert set(intents) == set(done), (intents, done)
assert [v for k, v in done.items() if k.endswith("/r-fail")] == ["failed"]
assert [v for k, v in done.items() if k.endswith("/r-race")] == ["failed"]
assert sum(1 for l in lines if l.get("event") == "end") == sum(1 for l in lines if l.get("event") == "start")
EOF
# A journal past its size limit is moved aside after the command's end line.
python3 - "$J" <<'EOF'
import sys
path = sys.argv[1]
whole = open(path).read()
with open(path, "a") as f:
    while f.tell() < 17 * 1024 * 1024:
        f.write(whole)
EOF
t_exit "journal over 16 MiB: restore still works" 0 sk --latest --to r-rotate
t_check "journal over 16 MiB: moved to journal.jsonl.1 after the end line" \
    test -s "$J.1" -a "$(stat -c %s "$J.1")" -gt 16777216 -a ! -s "$J"
t_exit "usage: two snapshot choices (exit 2)" 2 sk --latest --at 2026-11-21T00:00:00Z --to x
t_exit "usage: no --to (exit 2)" 2 sk --latest
t_exit "usage: --tag cannot replace snapkeep-restored-from (exit 2)" 2 sk --latest --to x --tag Snapkeep-Restored-From=y
# a disk tagged snapkeep-drill (restores all carry snapkeep-restored-from)
# is a leftover the next drill deletes: restore must not make one
t_exit "usage: --tag cannot set snapkeep-drill (exit 2)" 2 sk --latest --to r-drilltag --tag SNAPKEEP-DRILL=2026-11-21T00:00:00Z
t_check "--tag snapkeep-drill: nothing created" test -z "$(disk_field r-drilltag 'd["name"]' 2>/dev/null)"
t_exit "usage: --tag cannot set snapkeep-drill-policy (exit 2)" 2 sk --latest --to r-drilltag --tag snapkeep-drill-policy=p
t_check "--tag snapkeep-drill-policy: says why" grep -q "snapkeep-drill-policy is snapkeep's own tag" "$T_TMP/err"
t_done
