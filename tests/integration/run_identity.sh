#!/usr/bin/env bash
# A disk is its uniqueId, against tests/arm/serve on a virtual clock:
# a disk deleted and made again under its name gets a snapshot at once and
# its predecessor's snapshots are a retired group of their own; the
# snapshots of a deleted disk no longer make runs stale (exit 0, not 5),
# are thinned by the rules and keep their newest; `retired for` releases
# them; a Premium SSD v2 disk's snapshot copies in the background
# (completionPercent advancing on the virtual clock) and is kept, counted
# by no rule, and no fourth pending snapshot is started.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

RG=idrg
NOW=2026-11-21T00:00:00Z
UID_OLD=0000aaaa-0000-4000-8000-00000000000a
UID_NEW=0000bbbb-0000-4000-8000-00000000000b
UID_GONE=0000cccc-0000-4000-8000-00000000000c
UID_V2=0000dddd-0000-4000-8000-00000000000d

# seed FILE: disks "db" (made again: uniqueId NEW, 10 daily snapshots of the
# OLD one), "v2" (PremiumV2_LRS, no snapshot); 10 daily snapshots of the
# deleted disk "gone", the newest 5 days old.
seed() {
    python3 - "$1" "$AZ_SUB" "$RG" "$UID_OLD" "$UID_NEW" "$UID_GONE" "$UID_V2" <<'EOF'
import json, sys
out, sub, rg, uold, unew, ugone, uv2 = sys.argv[1:]
base = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute"
def disk(name, uid, sku):
    return {"name": name, "id": f"{base}/disks/{name}", "location": "westeurope",
            "tags": {"role": name},
            "sku": {"name": sku}, "properties": {"diskSizeGB": 64, "uniqueId": uid,
            "provisioningState": "Succeeded", "diskState": "Unattached",
            "timeCreated": "2026-11-01T00:00:00.0000000+00:00"}}
def snap(name, disk, uid, day):
    return {"name": name, "id": f"{base}/snapshots/{name}", "location": "westeurope",
            "tags": {"snapkeep-policy": "id"}, "sku": {"name": "Standard_ZRS"},
            "properties": {"creationData": {"createOption": "Copy",
                           "sourceResourceId": f"{base}/disks/{disk}", "sourceUniqueId": uid},
                           "timeCreated": "2026-11-%02dT00:00:00.0000000+00:00" % day,
                           "provisioningState": "Succeeded", "incremental": True,
                           "completionPercent": 100.0}}
snaps = [snap("db-old-%02d" % d, "db", uold, d) for d in range(1, 11)]
snaps += [snap("gone-%02d" % d, "gone", ugone, d) for d in range(7, 17)]
json.dump({"disks": [disk("db", unew, "Premium_LRS"), disk("v2", uv2, "PremiumV2_LRS")],
           "snapshots": snaps}, open(out, "w"))
EOF
}

# policy FILE [EXTRA]: hourly snapshots of db, v2 and gone, a week of dailies.
policy() {
    cat >"$1" <<EOF
policy "id" {
    subscription "$AZ_SUB"
    resource-group "$RG"
    disk "db"
    disk "v2"
    disk "gone"
    snapshot every 1h
    keep-all 1d, daily to 7d
${2:-}
}
EOF
}
names() {   # names of the server's snapshots of disk $1, sorted
    python3 - "$AZ_STATE" "$1" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
print("\n".join(sorted(s["name"] for s in doc["snapshots"] if s["properties"]["creationData"]
      ["sourceResourceId"].lower().endswith("/disks/" + sys.argv[2]))))
EOF
}
percent() { # completionPercent of the snapshots of disk $1, by name
    python3 - "$AZ_STATE" "$1" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
print(" ".join("%g" % s["properties"].get("completionPercent", -1) for s in
      sorted(doc["snapshots"], key=lambda s: s["name"]) if s["properties"]["creationData"]
      ["sourceResourceId"].lower().endswith("/disks/" + sys.argv[2])))
EOF
}
puts_for() { # PUTs of snapshots sent after line $1 of the server log
    tail -n +"$(($1 + 1))" "$AZ_LOG" | grep -c '"method": *"PUT".*snapshots/'"$2" || true
}

S=$T_TMP/a
seed "$T_TMP/seed.json"
P=$T_TMP/p.policy
policy "$P"
run_start "$S" "$T_TMP/seed.json" --copy-seconds 36000 || { t_fail "server starts"; t_done; }

# 1. the first run: exit 0 (the gone disk's 5-day-old newest is not stale),
# db gets a snapshot although its old namesake has some, v2 too
t_exit "re-created and deleted disks: run exits 0, not 5" 0 sk_run "$P" "$NOW" \
    --metrics-file "$T_TMP/m.prom"
t_check "the re-created disk got a snapshot at once" \
    test "$(names db | grep -c db-20261121T000000Z)" = 1
t_check "the deleted disk named in the policy: a warning, no failure" \
    grep -q 'disk "gone" no longer exists: no snapshot is created' "$T_TMP/err"
t_check "its predecessor's snapshots: thinned as their own group (daily to 7d keeps none; the newest stays)" \
    test "$(names db | grep db-old | tr '\n' ' ')" = "db-old-10 "
t_check "the deleted disk's snapshots: thinned, the 7-day window and the newest kept" \
    test "$(names gone | tr '\n' ' ')" = "gone-15 gone-16 "
t_check "no STALE reported" bash -c '! grep -q STALE "$1"' _ "$T_TMP/err"
t_check "metrics: the new db disk's age (under a minute), none for the gone disk" \
    bash -c 'grep -Eq "^snapkeep_newest_snapshot_age_seconds\{disk=\"db\",policy=\"id\"\} [0-9]{1,2}(\.[0-9]+)?$" "$1" &&
             ! grep -q "disk=\"gone\"" "$1"' _ "$T_TMP/m.prom"
t_check "the v2 disk's snapshot copies in the background (0 %)" test "$(percent v2)" = 0

# 2. the plan says which groups are retired
"$SNAPKEEP" plan "$P" --ca-file "$AZ_CA" --now 2026-11-21T00:10:00Z --format json >"$T_TMP/plan.json"
t_check "plan json: the earlier disk's group is retired, with its uniqueId" python3 - "$T_TMP/plan.json" "$UID_OLD" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
g = [g for g in d["groups"] if g["disk"] == "db" and g["retired"]]
sys.exit(not (len(g) == 1 and g[0]["identity"] == "earlier" and g[0]["unique_id"] == sys.argv[2]))
EOF
t_check "plan json: the gone disk's group is retired" python3 - "$T_TMP/plan.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not [g for g in d["groups"] if g["disk"] == "gone" and g["identity"] == "gone"])
EOF
t_check "plan json: the copying snapshot is pending and kept" python3 - "$T_TMP/plan.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = [s for s in d["snapshots"] if s["name"].startswith("v2-")]
sys.exit(not (len(s) == 1 and s[0]["pending"] and s[0]["action"] == "keep" and
              s[0]["reasons"][0].startswith("copying: completionPercent")))
EOF
"$SNAPKEEP" plan "$P" --ca-file "$AZ_CA" --now 2026-11-21T00:10:00Z >"$T_TMP/plan.txt"
t_check "plan table: the retired groups are shown as such" \
    grep -q "disk db (retired: an earlier disk of the same name, uniqueId $UID_OLD)" "$T_TMP/plan.txt"
t_check "plan table: ... and the gone one" grep -q "disk gone (retired: a disk that is gone" "$T_TMP/plan.txt"

# 2b. the offline plan: with --disks (the az disk list array, or ARM's
# {"value":[...]}) it says what the live plan says; without, it says in one
# line what it could not judge
"$SNAPKEEP" inventory "$P" --ca-file "$AZ_CA" >"$T_TMP/inv.json"
python3 - "$AZ_STATE" "$T_TMP/disks-az.json" "$T_TMP/disks-arm.json" <<'EOF2'
import json, sys
disks = json.load(open(sys.argv[1]))["disks"]
flat = []
for d in disks:     # az lifts properties to the top level
    f = {k: v for k, v in d.items() if k != "properties"}
    f.update(d["properties"])
    flat.append(f)
json.dump(flat, open(sys.argv[2], "w"))
json.dump({"value": disks}, open(sys.argv[3], "w"))
EOF2
strip() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("inventory"); print(json.dumps(d, sort_keys=True))' "$1"; }
for shape in az arm; do
    "$SNAPKEEP" plan "$P" --inventory "$T_TMP/inv.json" --disks "$T_TMP/disks-$shape.json" \
        --now 2026-11-21T00:10:00Z --format json >"$T_TMP/off-$shape.json"
    t_check "plan --disks ($shape shape): the same plan as the live one" \
        test "$(strip "$T_TMP/off-$shape.json")" = "$(strip "$T_TMP/plan.json")"
done
cat >"$T_TMP/tagged.policy" <<EOF2
policy "id" {
    subscription "$AZ_SUB"
    disks tagged "role" = "db"
    keep-all 1d
}
EOF2
"$SNAPKEEP" plan "$T_TMP/tagged.policy" --ca-file "$AZ_CA" --now 2026-11-21T00:10:00Z \
    --format json >"$T_TMP/tagged-live.json"
"$SNAPKEEP" plan "$T_TMP/tagged.policy" --inventory "$T_TMP/inv.json" --disks "$T_TMP/disks-az.json" \
    --now 2026-11-21T00:10:00Z --format json >"$T_TMP/tagged-off.json"
t_check "plan --disks: disks tagged selects as the live plan does" \
    test "$(strip "$T_TMP/tagged-off.json")" = "$(strip "$T_TMP/tagged-live.json")"
t_check "... and it selects the db disk's groups only" \
    test "$(jq -c '[.groups[].disk]' "$T_TMP/tagged-off.json")" = '["db","db"]'
"$SNAPKEEP" plan "$P" --inventory "$T_TMP/inv.json" --now 2026-11-21T00:10:00Z >"$T_TMP/nodisks.txt"
t_eq "plan without --disks: one line says identity was not judged" 1 \
    "$(grep -c 'no disk list: whether a disk was deleted' "$T_TMP/nodisks.txt")"
t_check "plan without --disks: no group is called retired" \
    bash -c '! grep -q "(retired" "$1"' _ "$T_TMP/nodisks.txt"
t_exit "plan --disks without --inventory: usage error" 2 "$SNAPKEEP" plan "$P" --disks "$T_TMP/disks-az.json"
echo '[{"name":"d"' >"$T_TMP/bad-disks.json"
t_exit "plan --disks with a broken file: exit 1" 1 "$SNAPKEEP" plan "$P" \
    --inventory "$T_TMP/inv.json" --disks "$T_TMP/bad-disks.json"
t_check "... naming the file and the place" grep -q "bad-disks.json:2:1: malformed JSON" "$T_TMP/err"

# 3. hourly runs: a copy takes 10 h of the virtual clock here; three are
# pending after the 02:00 run, so the 03:00 run starts no fourth
for t in 01 02; do
    sk_run "$P" "2026-11-21T$t:00:00Z" 2>"$T_TMP/err.$t" >/dev/null
done
t_check "completionPercent advances with the virtual clock" test "$(percent v2)" = "20 10 0"
lines=$(wc -l <"$AZ_LOG")
sk_run "$P" 2026-11-21T03:00:00Z >/dev/null 2>"$T_TMP/err.03"
t_eq "a run at the pending limit: exit 0" 0 "$?"
t_check "no fourth pending snapshot is started (no PUT)" test "$(puts_for "$lines" v2)" = 0
t_check "... and the run says why" grep -q "background copy has not finished (Azure allows 3)" \
    "$T_TMP/err.03"
t_check "the pending snapshots are kept" test "$(percent v2)" = "30 20 10"
# at 10:00 the first copy has finished: a new snapshot is started
lines=$(wc -l <"$AZ_LOG")
sk_run "$P" 2026-11-21T10:00:00Z >/dev/null 2>"$T_TMP/err.10"
t_check "once a copy finished, the next snapshot is made" test "$(puts_for "$lines" v2)" = 1
t_check "... the finished copy reads 100" test "$(percent v2)" = "100 90 80 0"

# 3b. restore and drill never choose a snapshot still being copied: the
# newest v2 snapshot (10:00) is at 0 %; they say so and offer --wait, which
# waits for the copy (the virtual clock moved by a background job) and uses it
rst() { "$SNAPKEEP" restore "$P" --disk v2 --latest --to v2-r --dry-run --ca-file "$AZ_CA" \
        --state-dir "$RUN_STATE_DIR" "$@"; }
t_exit "restore --latest with the newest still copying: exit 0" 0 rst
t_check "... it restores the newest finished one" grep -q "snapshot v2-20261121T000000Z " "$T_TMP/out"
t_check "... and says why, offering --wait" grep -q \
    "snapshot v2-20261121T100000Z is still being copied (completionPercent 0): it cannot make a disk yet; using v2-20261121T000000Z .* instead; --wait waits" "$T_TMP/err"
t_exit "restore --snapshot NAME still copying: exit 1" 1 "$SNAPKEEP" restore "$P" --disk v2 \
    --snapshot v2-20261121T100000Z --to v2-r --dry-run --ca-file "$AZ_CA" --state-dir "$RUN_STATE_DIR"
t_check "... saying so" grep -q "v2-20261121T100000Z is still being copied" "$T_TMP/err"
# waiting_then T FILE: once FILE says the command waits, moves the clock to T
waiting_then() {
    local _
    for _ in $(seq 1 300); do
        grep -q "waiting for snapshot" "$2" 2>/dev/null && break
        sleep 0.1
    done
    run_clock "$1"
}
rst --wait >"$T_TMP/out" 2>"$T_TMP/err" &
waiting_then 2026-11-21T20:00:00Z "$T_TMP/err"
wait $!
t_eq "restore --latest --wait: waits for the copy, exit 0" 0 "$?"
t_check "... and restores the snapshot it waited for" grep -q "snapshot v2-20261121T100000Z " "$T_TMP/out"
t_check "... having said it waited" grep -q "waiting for snapshot v2-20261121T100000Z: completionPercent" "$T_TMP/err"
# a new pending one for the drill: the run at 20:00 makes v2-...T200000Z
sk_run "$P" 2026-11-21T20:00:00Z >/dev/null 2>&1
cat >"$T_TMP/drill.policy" <<EOF2
policy "id" {
    subscription "$AZ_SUB"
    resource-group "$RG"
    disk "v2"
    keep-all 1d
}
EOF2
drl() { "$SNAPKEEP" drill "$T_TMP/drill.policy" --sample 0 --now 2026-11-21T20:05:00Z \
        --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA" --format json "$@"; }
t_exit "drill with the newest still copying: exit 0" 0 drl
t_check "... it restores the newest finished one" grep -q '"v2-20261121T100000Z"' "$T_TMP/out"
t_check "... and says why" grep -q "snapshot v2-20261121T200000Z is still being copied" "$T_TMP/err"
drl --wait >"$T_TMP/out" 2>"$T_TMP/err" &
waiting_then 2026-11-22T08:00:00Z "$T_TMP/err"
wait $!
t_eq "drill --wait: waits for the copy, exit 0" 0 "$?"
t_check "... and restores the snapshot it waited for" grep -q '"v2-20261121T200000Z"' "$T_TMP/out"

# 3c. a disk the listing left out is not gone: the GET that confirms a gone
# disk finds it (a fault answers it), so nothing is deleted (exit 3)
S=$T_TMP/c
run_start "$S" "$T_TMP/seed.json" || { t_fail "server c starts"; t_done; }
az_faults "{\"rules\":[{\"method\":\"GET\",\"path\":\"/disks/gone\$\",\"kind\":\"arm\",
  \"action\":\"status\",\"status\":200,\"body\":{\"name\":\"gone\",\"location\":\"westeurope\",
  \"id\":\"/subscriptions/$AZ_SUB/resourceGroups/$RG/providers/Microsoft.Compute/disks/gone\",
  \"properties\":{\"provisioningState\":\"Succeeded\",\"uniqueId\":\"$UID_GONE\"}}}]}"
before=$(names gone | tr '\n' ' ')
t_exit "a gone disk the GET finds after all: exit 3" 3 sk_run "$P" "$NOW"
t_check "... nothing of it deleted" test "$(names gone | tr '\n' ' ')" = "$before"
t_check "... said why" grep -q "exists but the disk listing did not show it" "$T_TMP/err"

# 4. retired for: a second server, the gone disk released after 3 days
S=$T_TMP/b
policy "$T_TMP/p2.policy" "    retired for 3d"
run_start "$S" "$T_TMP/seed.json" || { t_fail "server b starts"; t_done; }
t_exit "retired for 3d: run exits 0" 0 sk_run "$T_TMP/p2.policy" "$NOW"
t_check "retired for 3d: the gone disk's snapshots (newest 5 days old) are all deleted" \
    test -z "$(names gone)"
t_check "retired for 3d: the earlier disk's (newest 11 days old) too" \
    test -z "$(names db | grep db-old)"

t_done
