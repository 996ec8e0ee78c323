#!/usr/bin/env bash
# snapkeep run and Azure's per-disk limits, against tests/arm/serve on a
# virtual clock: a disk at 499 incremental snapshots, most of them not the
# policy's, gets one more and then none (exit 4, named, no PUT sent) while
# the other disk is still served; plan warns from 450; snapshots outside the
# policy's scope push ARM to SnapshotsLimitReached, reported the same way;
# seven creations in the last 5 minutes hold the next one back until the
# window frees; a snapshot someone else creates under the run's name just
# before the PUT is answered 412 and left as it was.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

NOW=2026-11-21T00:00:00Z
LATER=2026-11-21T01:00:00Z

# seed OUT SPEC...: disks dss-data and dss-other in $RUN_RG; each SPEC is
# DISK:COUNT:OWNER:FIRST:STEP[:RG] (OWNER "-": untagged; FIRST, the newest
# snapshot's age in seconds before NOW; STEP, seconds between snapshots; RG,
# the resource group the snapshots are in).
seed() {
    python3 - "$AZ_SUB" "$RUN_RG" "$NOW" "$@" <<'EOF'
import datetime, json, sys
sub, rg, now, out, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
t0 = datetime.datetime.fromisoformat(now.replace("Z", "+00:00"))
def rid(g, kind, name):
    return f"/subscriptions/{sub}/resourceGroups/{g}/providers/Microsoft.Compute/{kind}/{name}"
disks = [{"id": rid(rg, "disks", d), "location": "westeurope", "properties": {"diskSizeGB": 8}}
         for d in ("dss-data", "dss-other")]
snaps = []
for spec in specs:
    disk, count, owner, first, step, *g = spec.split(":")
    g = g[0] if g else rg
    for i in range(int(count)):
        t = t0 - datetime.timedelta(seconds=int(first) + i * int(step))
        name = "%s-%s-%s-%04d" % (disk, owner if owner != "-" else "hand", g, i)
        snaps.append({"id": rid(g, "snapshots", name), "location": "westeurope",
                      "tags": {} if owner == "-" else {"snapkeep-policy": owner},
                      "sku": {"name": "Standard_ZRS"},
                      "properties": {"creationData": {"createOption": "Copy",
                                                      "sourceResourceId": rid(rg, "disks", disk)},
                                     "timeCreated": t.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00"),
                                     "provisioningState": "Succeeded", "incremental": True}})
json.dump({"disks": disks, "snapshots": snaps}, open(out, "w"))
EOF
}

P=$T_TMP/p.policy
cat >"$P" <<EOF
policy "dss-datadir" {
    subscription "$AZ_SUB"
    resource-group "$RUN_RG"
    disk "dss-data"
    disk "dss-other"
    snapshot every 1h
    keep-all 30d
}
EOF

# puts DISK: snapshot PUTs whose source was DISK (from the server's log:
# the snapshot names start with the disk's)
puts() {
    python3 -c 'import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("method") == "PUT" and "/snapshots/" + sys.argv[2] + "-2026" in r["path"]:
        n += 1
print(n)' "$AZ_LOG" "$1"
}
count() { python3 -c 'import json, sys
print(sum(1 for s in json.load(open(sys.argv[1]))["snapshots"]
          if s["properties"]["creationData"]["sourceResourceId"].endswith("/" + sys.argv[2])))' \
    "$AZ_STATE" "$1"; }

# 1. the cap: 499 = 10 of the policy's + 300 of another policy's + 189 by hand
S=$T_TMP/cap
seed "$T_TMP/cap.json" dss-data:10:dss-datadir:3600:3600 dss-data:300:other:86400:600 \
    dss-data:189:-:90000:600 dss-other:5:dss-datadir:3600:3600
run_start "$S" "$T_TMP/cap.json" || t_fail "cap: server starts"
export AZURE_SUBSCRIPTION_ID=$AZ_SUB
t_exit "cap: plan at 499 exits 0" 0 "$SNAPKEEP" plan "$P" --now "$NOW" --ca-file "$AZ_CA"
t_check "cap: plan warns the disk is within 10 % of the cap, with its count" \
    grep -q 'warning: disk .*/disks/dss-data has 499 incremental snapshots (189 without a snapkeep ownership tag), within 10 % of Azure.s limit of 500' "$T_TMP/err"
t_check "cap: plan does not warn about the other disk" bash -c '! grep -q "dss-other has" "$1"' _ "$T_TMP/err"
t_exit "cap: the run at 499 creates one more (exit 0)" 0 sk_run "$P" "$NOW"
t_eq "cap: dss-data now has 500" 500 "$(count dss-data)"
t_eq "cap: dss-other got its snapshot" 6 "$(count dss-other)"
t_exit "cap: the dry run at 500 says the run would fail that disk (exit 4)" 4 \
    sk_run "$P" "$LATER" --dry-run
t_check "cap: the dry run would create only dss-other's" \
    bash -c 'grep -q "would create dss-other-" "$1" && ! grep -q "would create dss-data-" "$1"' _ "$T_TMP/err"
t_exit "cap: the next run at 500 exits 4" 4 sk_run "$P" "$LATER"
t_check "cap: the message names the disk, the count, the foreign share and the limit" \
    grep -q 'disk "dss-data": it has 500 incremental snapshots (489 of them not this policy.s), Azure.s limit of 500 per disk' "$T_TMP/err"
t_eq "cap: no PUT was sent for dss-data at 500" 1 "$(puts dss-data)"
t_eq "cap: dss-data still has 500" 500 "$(count dss-data)"
t_eq "cap: the other disk is still served" 7 "$(count dss-other)"
t_exit "cap: plan at 500 warns again" 0 "$SNAPKEEP" plan "$P" --now "$LATER" --ca-file "$AZ_CA"
t_check "cap: plan names 500" grep -q 'dss-data has 500 incremental' "$T_TMP/err"
# the offline plan warns from the same listing
python3 -c 'import json, sys; json.dump({"value": json.load(open(sys.argv[1]))["snapshots"]}, open(sys.argv[2], "w"))' \
    "$AZ_STATE" "$T_TMP/inv.json"
t_exit "cap: offline plan exits 0" 0 "$SNAPKEEP" plan "$P" --inventory "$T_TMP/inv.json" --now "$LATER"
t_check "cap: offline plan warns too" grep -q 'dss-data has 500 incremental' "$T_TMP/err"

# 2. snapshots of the disk outside the policy's resource group: snapkeep
# counts 499 and sends the PUT; ARM counts 500 and answers SnapshotsLimitReached
S=$T_TMP/scope
seed "$T_TMP/scope.json" dss-data:10:dss-datadir:3600:3600 dss-data:489:-:86400:600 \
    dss-data:1:-:86400:600:elsewhere dss-other:5:dss-datadir:3600:3600
run_start "$S" "$T_TMP/scope.json" || t_fail "scope: server starts"
export AZURE_SUBSCRIPTION_ID=$AZ_SUB
t_exit "scope: ARM's SnapshotsLimitReached: exit 4" 4 sk_run "$P" "$NOW"
t_check "scope: reported as Azure's snapshot limit for that disk, with ARM's code" \
    grep -q 'dss-data.* refused by Azure.s snapshot limits .*SnapshotsLimitReached' "$T_TMP/err"
t_eq "scope: one PUT for dss-data, refused" 1 "$(puts dss-data)"
t_eq "scope: the other disk is still served" 6 "$(count dss-other)"
t_eq "scope: dss-data unchanged" 500 "$(count dss-data)"

# 3. seven snapshots of dss-data in the last 5 minutes (by hand): the run
# holds the eighth back until the oldest of them is 5 minutes old
S=$T_TMP/rate
seed "$T_TMP/rate.json" dss-data:5:dss-datadir:3600:3600 dss-data:7:-:40:40 \
    dss-other:5:dss-datadir:3600:3600
run_start "$S" "$T_TMP/rate.json" || t_fail "rate: server starts"
export AZURE_SUBSCRIPTION_ID=$AZ_SUB
t_exit "rate: 7 in the window: exit 4" 4 sk_run "$P" "$NOW"
# the oldest of the seven was made at NOW - 280 s: its slot frees at NOW + 20 s
t_check "rate: the message names the limit and when it frees" \
    grep -q 'disk "dss-data": 7 snapshots of it were created in the last 5 minutes, Azure.s limit: a new one would be refused (SnapshotsLimitReached) until 2026-11-21T00:00:20Z' "$T_TMP/err"
t_eq "rate: no PUT for dss-data" 0 "$(puts dss-data)"
t_eq "rate: the other disk is still served" 6 "$(count dss-other)"
t_exit "rate: a second before the window frees: still held back" 4 sk_run "$P" 2026-11-21T00:00:19Z
t_eq "rate: still no PUT for dss-data" 0 "$(puts dss-data)"
t_exit "rate: once it frees, the snapshot is created (exit 0)" 0 sk_run "$P" 2026-11-21T00:00:20Z
t_eq "rate: one PUT for dss-data" 1 "$(puts dss-data)"
t_eq "rate: dss-data has its new snapshot" 13 "$(count dss-data)"

# 4. a conditional create: someone else's snapshot lands under the run's
# name just before the PUT (the race-create fault): 412, exit 4, left as made
S=$T_TMP/race
seed "$T_TMP/race.json" dss-data:5:dss-datadir:3600:3600 dss-other:5:dss-datadir:3600:3600
run_start "$S" "$T_TMP/race.json" || t_fail "race: server starts"
export AZURE_SUBSCRIPTION_ID=$AZ_SUB
az_faults '{"rules":[{"action":"race-create","method":"PUT","path":"/snapshots/dss-data-2026"}]}'
t_exit "race: 412 on the conditional create: exit 4" 4 sk_run "$P" "$NOW"
t_check "race: the refusal is named: made by someone else, not overwritten, 412" \
    grep -q 'creating dss-data-20261121T000000Z of disk dss-data refused: a resource of that name was made by someone else since the listing.*not overwritten: PreconditionFailed' "$T_TMP/err"
t_check "race: the PUT carried If-None-Match and ARM answered 412" bash -c '
python3 -c "import json, sys
print(sum(1 for l in open(sys.argv[1]) if (r := json.loads(l)).get(\"method\") == \"PUT\"
          and \"/snapshots/dss-data-2026\" in r[\"path\"] and r[\"status\"] == 412))" "$1" | grep -qx 1' _ "$AZ_LOG"
t_check "race: the other's snapshot is as it was made (its tags, not the policy's)" python3 -c '
import json, sys
s = [s for s in json.load(open(sys.argv[1]))["snapshots"] if s["name"] == "dss-data-20261121T000000Z"]
sys.exit(0 if len(s) == 1 and s[0].get("tags") == {"made-by": "race"} else 1)' "$AZ_STATE"
t_eq "race: the other disk is still served" 6 "$(count dss-other)"
t_check "race: the journal records the failure with ARM's code" \
    grep -q '"outcome":"failed".*"error_code":"PreconditionFailed"' "$RUN_STATE_DIR/journal.jsonl"

t_done
