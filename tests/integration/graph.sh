#!/usr/bin/env bash
# Policies over several subscriptions, listed through Resource Graph
# against tests/arm/serve: the same inventory as the per-subscription ARM
# listings (3 subscriptions, paged, by resource group too), exit 3 with
# nothing done on a failing, truncated or short Resource Graph answer, and
# the index's lag: a snapshot already deleted per ARM, and one newly held
# per ARM, both still as they were in the index, are not acted on.
# shellcheck disable=SC2317  # helpers run through t_exit and t_check
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=run_lib.sh
. "$(dirname "$0")/run_lib.sh"

S1=$AZ_SUB
S2=aaaaaaaa-0000-4000-8000-000000000002
S3=aaaaaaaa-0000-4000-8000-000000000003

# 3 subscriptions x 2 resource groups, disks with and without tags,
# owned and foreign snapshots: 2 x (17 + 9) in the first subscription,
# 6 more in each next one (174 in all, 66 of them in rg-b, 33 of disks d1).
python3 - "$T_TMP/seed.json" "$S1" "$S2" "$S3" <<'EOF'
import json, sys
out, subs = sys.argv[1], sys.argv[2:]
disks, snaps = [], []
for si, sub in enumerate(subs):
    for rg, n in (("rg-a", 17 + si), ("rg-b", 9 + 2 * si)):
        for disk, tags in (("d1", {"env": "prod"}), ("d2", {})):
            did = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/{disk}"
            disks.append({"name": disk, "id": did, "type": "Microsoft.Compute/disks",
                          "location": "westeurope", "tags": tags, "sku": {"name": "Premium_LRS"},
                          "properties": {"diskSizeGB": 64, "provisioningState": "Succeeded",
                                         "timeCreated": "2026-01-01T00:00:00.0000000+00:00"}})
            for i in range(n):
                name = f"{disk}-{i:04d}"
                owner = {"snapkeep-policy": "multi"} if i % 5 else {"made-by": "hand"}
                snaps.append({"name": name, "type": "Microsoft.Compute/snapshots",
                              "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}",
                              "location": "westeurope", "tags": owner,
                              "sku": {"name": "Standard_ZRS", "tier": "Standard"},
                              "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": did},
                                             "timeCreated": "2026-11-%02dT%02d:00:03.1234567+00:00" % (1 + i % 25, i % 24),
                                             "provisioningState": "Succeeded", "incremental": True,
                                             "diskSizeGB": 64}})
json.dump({"disks": disks, "snapshots": snaps}, open(out, "w"))
EOF

az_start "$T_TMP/srv" --seed "$T_TMP/seed.json" --graph-page-size 7 \
    || { t_fail "server starts"; t_done; }
az_env_secret

# policy FILE NAME [SETTINGS...]: one block, keep-all, the settings given.
policy() {
    local f=$1 name=$2; shift 2
    { printf 'policy "%s" {\n' "$name"; printf '    %s\n' "$@"; printf '    keep-all 24h\n}\n'; } >"$f"
}
inv() { "$SNAPKEEP" inventory "$@" --ca-file "$AZ_CA"; }
# records FILE...: the snapshots of inventory outputs, one JSON object a
# line, sorted ("type" lower-cased: Resource Graph lower-cases it).
records() {
    python3 - "$@" <<'EOF'
import json, sys
rows = []
for f in sys.argv[1:]:
    for s in json.load(open(f))["value"]:
        s = dict(s, type=s.get("type", "").lower())
        rows.append(json.dumps(s, sort_keys=True))
print("\n".join(sorted(rows)))
EOF
}
graph_requests() { grep -c '"kind": *"graph"' "$AZ_LOG"; }

# 1. three subscriptions through Resource Graph = three ARM listings
policy "$T_TMP/multi.policy" multi "subscription \"$S1\" \"$S2\" \"$S3\""
for s in "$S1" "$S2" "$S3"; do policy "$T_TMP/one-$s.policy" multi "subscription \"$s\""; done
: >"$AZ_LOG"
t_exit "graph: inventory over 3 subscriptions exits 0" 0 inv "$T_TMP/multi.policy"
cp "$T_TMP/out" "$T_TMP/graph.json"
t_check "graph: the listing went through Resource Graph, not ARM lists" \
    bash -c "[ \"\$(grep -c '\"kind\": *\"graph\"' '$AZ_LOG')\" -ge 2 ] && ! grep -q '\"kind\": *\"list\"' '$AZ_LOG'"
t_check "graph: paged with \$skipToken (174 rows, 7 a page: 25 pages)" \
    test "$(graph_requests)" -ge 25
# 25 queries in a row against a quota of 15 per 5 s: the client waits
# for x-ms-user-quota-resets-after once x-ms-user-quota-remaining is 0
t_check "graph: the per-user quota followed: no query answered 429" \
    bash -c "! grep '\"kind\": *\"graph\"' '$AZ_LOG' | grep -q '\"status\": *429'"
: >"$AZ_LOG"
for s in "$S1" "$S2" "$S3"; do
    t_exit "graph: ARM inventory of subscription $s" 0 inv "$T_TMP/one-$s.policy"
    cp "$T_TMP/out" "$T_TMP/arm-$s.json"
done
t_check "graph: per-subscription listing went through ARM" test "$(graph_requests)" = 0
records "$T_TMP/graph.json" >"$T_TMP/rec.graph"
records "$T_TMP/arm-$S1.json" "$T_TMP/arm-$S2.json" "$T_TMP/arm-$S3.json" >"$T_TMP/rec.arm"
t_check "graph: exactly the snapshots and fields the ARM listings give" \
    cmp -s "$T_TMP/rec.graph" "$T_TMP/rec.arm"
t_check "graph: 174 snapshots in all" test "$(wc -l <"$T_TMP/rec.graph")" = 174
t_exit "graph: plan over the Resource Graph inventory" 0 "$SNAPKEEP" plan \
    "$T_TMP/multi.policy" --inventory "$T_TMP/graph.json" --now 2026-11-26T00:00:00Z --format json
cp "$T_TMP/out" "$T_TMP/plan.graph"
cat >"$T_TMP/merge.py" <<'EOF'
import json, sys
print(json.dumps({"value": [s for f in sys.argv[1:] for s in json.load(open(f))["value"]]}))
EOF
python3 "$T_TMP/merge.py" "$T_TMP/arm-$S1.json" "$T_TMP/arm-$S2.json" "$T_TMP/arm-$S3.json" \
    >"$T_TMP/arm-all.json"
t_exit "graph: plan over the ARM inventories" 0 "$SNAPKEEP" plan \
    "$T_TMP/multi.policy" --inventory "$T_TMP/arm-all.json" --now 2026-11-26T00:00:00Z --format json
t_check "graph: the same plan from either inventory" python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
key = lambda p: sorted((s["id"].lower(), s["action"]) for s in p["snapshots"])
assert key(a) == key(b) and a["summary"] == b["summary"], (a["summary"], b["summary"])' \
    "$T_TMP/plan.graph" "$T_TMP/out"

# 1b. by resource group, with disk tags (disks listed through Resource Graph too)
policy "$T_TMP/multi-rg.policy" multi "subscription \"$S1\" \"$S2\" \"$S3\"" \
    'resource-group "rg-b"' 'disks tagged "env" = "prod"'
t_exit "graph: inventory of rg-b in 3 subscriptions" 0 inv "$T_TMP/multi-rg.policy"
records "$T_TMP/out" >"$T_TMP/rec.graph-rg"
for s in "$S1" "$S2" "$S3"; do
    policy "$T_TMP/one-rg.policy" multi "subscription \"$s\"" 'resource-group "rg-b"' \
        'disks tagged "env" = "prod"'
    inv "$T_TMP/one-rg.policy" >"$T_TMP/arm-rg-$s.json" 2>/dev/null
done
records "$T_TMP/arm-rg-$S1.json" "$T_TMP/arm-rg-$S2.json" "$T_TMP/arm-rg-$S3.json" >"$T_TMP/rec.arm-rg"
t_check "graph: by resource group and disk tag, the snapshots ARM's lists of rg-b give" \
    cmp -s "$T_TMP/rec.graph-rg" "$T_TMP/rec.arm-rg"
# the disks came through Resource Graph too: d1 (env=prod) only, of rg-b's 66
t_check "graph: the 33 snapshots of the tagged disks in rg-b" \
    test "$(wc -l <"$T_TMP/rec.graph-rg")" = 33

# 1c. subscription all: every subscription the identity sees
policy "$T_TMP/all.policy" multi 'subscription all'
t_exit "graph: subscription all" 0 inv "$T_TMP/all.policy"
records "$T_TMP/out" >"$T_TMP/rec.all"
t_check "graph: subscription all lists the three subscriptions" \
    cmp -s "$T_TMP/rec.all" "$T_TMP/rec.arm"

# commands that work in one subscription need the one named
t_exit "graph: restore of a policy over 3 subscriptions without --subscription exits 1" 1 \
    "$SNAPKEEP" restore "$T_TMP/multi.policy" --disk d1 --latest --to d1-new --ca-file "$AZ_CA"
t_check "graph: ... saying to name one" grep -q 'spans several subscriptions' "$T_TMP/err"
# the lease of a policy over every subscription lives in the one named
mkdir -m 0700 "$T_TMP/all-state"
before=$(grep -cE '"method": *"(PUT|PATCH|DELETE)"' "$AZ_LOG")
t_exit "graph: run of a policy over every subscription without --subscription exits 1" 1 \
    env -u AZURE_SUBSCRIPTION_ID "$SNAPKEEP" run "$T_TMP/all.policy" --ca-file "$AZ_CA" \
    --state-dir "$T_TMP/all-state" --lease-wait 0.2
t_check "graph: ... saying where its lease must live" grep -q 'name the one its lease lives in' "$T_TMP/err"
t_eq "graph: ... and nothing in Azure was written" "$before" \
    "$(grep -cE '"method": *"(PUT|PATCH|DELETE)"' "$AZ_LOG")"

# 2. fail closed: a failing page, a truncated answer, a short one: exit 3, no output
az_faults '{"rules":[{"name":"page-3","kind":"graph","page":3,"action":"status","status":400,"code":"BadRequest"}]}'
t_exit "graph: a failing Resource Graph page exits 3" 3 inv "$T_TMP/multi.policy"
t_check "graph: no inventory from a failed listing" test ! -s "$T_TMP/out"
t_check "graph: the failure is named" grep -q 'Resource Graph' "$T_TMP/err"
az_faults '{"rules":[{"name":"page-2-503","kind":"graph","page":2,"action":"error","status":503,"retry_after":0}]}'
t_exit "graph: a page answering 503 after every retry exits 3" 3 inv "$T_TMP/multi.policy" --retry-budget 2
az_faults '{"rules":[{"kind":"graph","page":1,"action":"status","status":200,
  "body":{"totalRecords":180,"count":0,"data":[],"facets":[],"resultTruncated":"true"}}]}'
t_exit "graph: resultTruncated exits 3" 3 inv "$T_TMP/multi.policy"
t_check "graph: resultTruncated is named" grep -q 'resultTruncated' "$T_TMP/err"
az_faults '{"rules":[{"kind":"graph","page":1,"action":"status","status":200,
  "body":{"totalRecords":180,"count":1,"data":[],"facets":[],"resultTruncated":"false"}}]}'
t_exit "graph: a count that is not the rows' exits 3" 3 inv "$T_TMP/multi.policy"
az_faults '{"rules":[{"kind":"graph","page":1,"action":"status","status":200,
  "body":{"totalRecords":180,"count":0,"data":[],"facets":[],"resultTruncated":"false"}}]}'
t_exit "graph: fewer rows than totalRecords exits 3" 3 inv "$T_TMP/multi.policy"
t_check "graph: a short listing is named" grep -q 'not whole' "$T_TMP/err"
az_faults '{"rules":[{"kind":"graph","page":2,"action":"drop-mid","times":1}]}'
t_exit "graph: a page cut in half is retried: exit 0" 0 inv "$T_TMP/multi.policy"
records "$T_TMP/out" >"$T_TMP/rec.again"
t_check "graph: ... and the same inventory" cmp -s "$T_TMP/rec.again" "$T_TMP/rec.arm"
az_faults '{"rules":[]}'

# 2b. run over 3 subscriptions: a snapshot of every tagged disk, each in its
#     own subscription and region, none of an untagged one
policy "$T_TMP/create.policy" multi "subscription \"$S1\" \"$S2\" \"$S3\"" \
    'resource-group "rg-b"' 'disks tagged "env" = "prod"' 'snapshot every 1h'
: >"$AZ_LOG"
"$SNAPKEEP" run "$T_TMP/create.policy" --state-dir "$T_TMP/create-state" --ca-file "$AZ_CA" --lease-wait 0.2 \
    --max-delete 0 >"$T_TMP/out" 2>"$T_TMP/err"
rc=$?
t_check "graph: run over 3 subscriptions (exit $rc: 0, or 5 for the old seeded history)" \
    test "$rc" = 0 -o "$rc" = 5
t_check "graph: one snapshot created for d1 of rg-b in each subscription, none for d2" python3 -c '
import json, sys
puts = [json.loads(l)["path"].lower() for l in open(sys.argv[1])
        if json.loads(l)["method"] == "PUT"]
want = ["/subscriptions/%s/resourcegroups/rg-b/providers/microsoft.compute/snapshots/" % s.lower()
        for s in sys.argv[2:]]
assert len(puts) == 3 and sorted(p.rsplit("/", 1)[0] + "/" for p in puts) == sorted(want), puts
assert all("/snapshots/d1-" in p for p in puts), puts' "$AZ_LOG" "$S1" "$S2" "$S3"
t_check "graph: run deleted nothing with max-delete 0" \
    bash -c "! grep -q '\"method\": *\"DELETE\"' '$AZ_LOG'"
kill "$AZ_PID"; wait "$AZ_PID" 2>/dev/null

# 3. run over Resource Graph with an index that lags: at T, ARM has
#    deleted one snapshot and put a legal hold on another, but the index
#    still shows both as they were. Neither is acted on.
T=2026-11-20T10:30:00Z
mkdir -p "$T_TMP/lag"
printf '%s\n' "$T" >"$T_TMP/lag/clock"
run_seed "$T_TMP/lag-seed.json" 2026-11-20T10:00:00Z 400
run_start "$T_TMP/lag" "$T_TMP/lag-seed.json" --graph-lag 3600 || { t_fail "lag server"; t_done; }
unset AZURE_SUBSCRIPTION_ID
DISK_ID=/subscriptions/$S1/resourceGroups/$RUN_RG/providers/Microsoft.Compute/disks/dss-data
cat >"$T_TMP/lag.policy" <<EOF
policy "dss-datadir" {
    subscription "$S1" "$S2" "$S3"
    disk "$DISK_ID"
    snapshot every 1h
    keep-all 24h, every 12h to 7d, daily to 15d
    last 3
    tagged "legal-hold"
    max-delete 400
}
EOF
GONE=dss-data-20261110T150000Z HELD=dss-data-20261110T160000Z
snap_url() { printf '%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/snapshots/%s?api-version=2025-01-02' "$AZ_URL" "$S1" "$RUN_RG" "$1"; }
token() {
    curl -sS --cacert "$AZ_CA" "$AZ_URL/$AZ_TENANT/oauth2/v2.0/token" \
        -d "grant_type=client_credentials&client_id=$AZ_CLIENT&client_secret=$AZ_SECRET&scope=https://management.azure.com/.default" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
TOKEN=$(token)
t_check "lag: ARM deletes $GONE" curl -sSf -o /dev/null --cacert "$AZ_CA" -X DELETE \
    -H "Authorization: Bearer $TOKEN" "$(snap_url "$GONE")"
t_check "lag: ARM puts a legal hold on $HELD" curl -sSf -o /dev/null --cacert "$AZ_CA" -X PATCH \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"tags":{"snapkeep-policy":"dss-datadir","legal-hold":"case-7"}}' "$(snap_url "$HELD")"
t_check "lag: the index still shows $GONE, and $HELD without its hold" bash -c '
    "$1" inventory "$2" --ca-file "$3" >"$4/lagged.json" 2>/dev/null && python3 -c "
import json, sys
v = {s[\"name\"]: s for s in json.load(open(sys.argv[1]))[\"value\"]}
assert sys.argv[2] in v and \"legal-hold\" not in v[sys.argv[3]][\"tags\"]" "$4/lagged.json" "$5" "$6"' \
    _ "$SNAPKEEP" "$T_TMP/lag.policy" "$AZ_CA" "$T_TMP" "$GONE" "$HELD"
: >"$AZ_LOG"
sk_run "$T_TMP/lag.policy" "$T" >"$T_TMP/out" 2>"$T_TMP/err"
rc=$?
t_check "lag: run exits 0 (exit $rc)" test "$rc" = 0
t_check "lag: run listed through Resource Graph" grep -q '"kind": *"graph"' "$AZ_LOG"
t_check "lag: run deleted what the policy prunes" \
    test "$(grep '"method": *"DELETE"' "$AZ_LOG" | grep -c '/snapshots/')" -gt 100
t_check "lag: no DELETE for the snapshot ARM already deleted" \
    bash -c "! grep '\"method\": *\"DELETE\"' '$AZ_LOG' | grep -q '$GONE'"
t_check "lag: ... it was re-read through ARM (404) instead" \
    bash -c "grep '\"method\": *\"GET\"' '$AZ_LOG' | grep '$GONE' | grep -q '\"status\": *404'"
t_check "lag: no DELETE for the snapshot newly held" \
    bash -c "! grep '\"method\": *\"DELETE\"' '$AZ_LOG' | grep -q '$HELD'"
t_check "lag: the held snapshot is in the state" \
    python3 -c 'import json,sys; assert any(s["name"]==sys.argv[2] for s in json.load(open(sys.argv[1]))["snapshots"])' \
    "$AZ_STATE" "$HELD"
t_check "lag: the run says why it spared it" grep -q "$HELD" "$T_TMP/err"

# status lists a policy over several subscriptions the same way
: >"$AZ_LOG"
t_exit "lag: status of the policy over 3 subscriptions: OK" 0 "$SNAPKEEP" status \
    "$T_TMP/lag.policy" --now "$T" --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA" --format nagios
t_check "lag: status answers OK in the nagios line" grep -q "^SNAPKEEP OK\\|OK" "$T_TMP/out"
t_check "lag: status listed through Resource Graph" grep -q '"kind": *"graph"' "$AZ_LOG"

# the index catches up once the lag has passed
run_clock 2026-11-20T11:31:00Z
t_exit "lag: inventory after the lag" 0 "$SNAPKEEP" inventory "$T_TMP/lag.policy" --ca-file "$AZ_CA"
t_check "lag: the index now shows the deletes and the hold" python3 -c '
import json, sys
v = {s["name"]: s for s in json.load(open(sys.argv[1]))["value"]}
assert sys.argv[2] not in v and v[sys.argv[3]]["tags"].get("legal-hold") == "case-7"
assert len(v) < 300, len(v)' "$T_TMP/out" "$GONE" "$HELD"

# the server's own quota: past 15 queries in 5 s, 429 RateLimiting with the headers
graph_post() {
    curl -sS -o /dev/null -D - --cacert "$AZ_CA" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' \
        -d '{"query":"Resources | where type =~ '"'"'microsoft.compute/disks'"'"'"}' \
        "$AZ_URL/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
}
TOKEN=$(token)     # the virtual clock moved past the first one's hour
for _ in $(seq 1 20); do graph_post; done >"$T_TMP/quota.headers" 2>&1
t_check "lag: the test server answers its user quota headers" \
    grep -qi '^x-ms-user-quota-resets-after: 00:00:0[0-5]' "$T_TMP/quota.headers"
t_check "lag: ... and 429 once the quota is spent" \
    bash -c 'grep -q "^HTTP/1.1 429" "$1" && grep -qi "^x-ms-user-quota-remaining: 0" "$1"' _ "$T_TMP/quota.headers"

t_done
