#!/usr/bin/env bash
# Helpers for the tests/integration/azure_*.sh tests: seed data, a private
# tests/arm/serve per test (port 0, temporary directories, killed on exit),
# and the environment snapkeep needs to reach it. Sourced after tests/lib.sh;
# run on its own it does nothing.
# shellcheck disable=SC2034  # the variables are for the scripts that source this
[ "${BASH_SOURCE[0]}" = "$0" ] && exit 0

AZ_SUB=aaaaaaaa-0000-4000-8000-000000000001
AZ_TENANT=11111111-1111-4111-8111-111111111111
AZ_CLIENT=22222222-2222-4222-8222-222222222222
AZ_SECRET=snapkeep-test-secret
AZ_MSI_CLIENT=33333333-3333-4333-8333-333333333333
AZ_IDENTITY_HEADER=snapkeep-test-identity-header

# az_seed FILE SPEC...: SPEC is RG:DISK:COUNT[:POLICY]; disks are seeded too.
az_seed() {
    local out=$1; shift
    python3 - "$out" "$AZ_SUB" "$@" <<'EOF'
import json, sys
out, sub, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
disks, snaps = [], []
for spec in specs:
    rg, disk, count, *pol = spec.split(":")
    pol = pol[0] if pol else "p1"
    did = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/{disk}"
    disks.append({"name": disk, "id": did, "type": "Microsoft.Compute/disks",
                  "location": "westeurope", "tags": {"env": "prod" if disk.endswith("1") else "test"},
                  "sku": {"name": "Premium_LRS"},
                  "properties": {"diskSizeGB": 64, "provisioningState": "Succeeded",
                                 "timeCreated": "2026-01-01T00:00:00.0000000+00:00"}})
    for i in range(int(count)):
        name = f"{disk}-{i:05d}"
        snaps.append({"name": name, "type": "Microsoft.Compute/snapshots",
                      "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}",
                      "location": "westeurope", "tags": {"snapkeep-policy": pol},
                      "sku": {"name": "Standard_ZRS", "tier": "Standard"},
                      "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": did},
                                     "timeCreated": "2026-11-%02dT%02d:%02d:03.1234567+00:00" % (1 + i % 25, i % 24, i % 60),
                                     "provisioningState": "Succeeded", "incremental": True,
                                     "diskSizeGB": 64}})
json.dump({"disks": disks, "snapshots": snaps}, open(out, "w"))
EOF
}

# az_start DIR [serve options...]: starts the server, sets AZ_URL, AZ_CA,
# AZ_STATE, AZ_LOG, AZ_FAULTS, AZ_PID (and AZ_IMDS with --imds-port).
az_start() {
    local dir=$1; shift
    mkdir -p "$dir"
    AZ_STATE=$dir/state.json AZ_LOG=$dir/log.jsonl AZ_FAULTS=$dir/faults.json
    "$TOP/tests/arm/serve" --port 0 --state "$AZ_STATE" --tls-dir "$dir/tls" \
        --log "$AZ_LOG" --faults "$AZ_FAULTS" --no-fsync "$@" >"$dir/serve.out" 2>"$dir/serve.err" &
    local pid=$!
    AZ_PID=$pid
    t_cleanup_hooks+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
    local _
    for _ in $(seq 1 200); do
        grep -q '^ready ' "$dir/serve.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    AZ_URL=$(sed -n 's/^ready //p' "$dir/serve.out")
    AZ_IMDS=$(sed -n 's/^imds //p' "$dir/serve.out")
    AZ_CA=$dir/tls/ca.pem
    if [ -z "$AZ_URL" ]; then
        echo "serve did not start:" >&2
        cat "$dir/serve.err" >&2
        return 1
    fi
}

# az_faults JSON: replaces the faults file atomically (serve re-reads it).
az_faults() {
    printf '%s\n' "$1" >"$AZ_FAULTS.tmp" && mv "$AZ_FAULTS.tmp" "$AZ_FAULTS"
}

# A clean environment with only the service-principal secret.
az_env_clear() {
    unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_FEDERATED_TOKEN_FILE \
          IDENTITY_ENDPOINT IDENTITY_HEADER IMDS_ENDPOINT AZURE_SUBSCRIPTION_ID \
          SSL_CERT_FILE CURL_CA_BUNDLE SNAPKEEP_ARM_ENDPOINT AZURE_AUTHORITY_HOST
}
az_env_secret() {
    az_env_clear
    export AZURE_TENANT_ID=$AZ_TENANT AZURE_CLIENT_ID=$AZ_CLIENT AZURE_CLIENT_SECRET=$AZ_SECRET
    export SNAPKEEP_ARM_ENDPOINT=$AZ_URL AZURE_AUTHORITY_HOST=$AZ_URL
}

# az_policy FILE RG DISKS [NAME]: one policy block scoped to the disks
# (space-separated), keep-all 24h.
az_policy() {
    local d
    {
        printf 'policy "%s" {\n    subscription "%s"\n    resource-group "%s"\n' \
            "${4:-p1}" "$AZ_SUB" "$2"
        for d in $3; do printf '    disk "%s"\n' "$d"; done
        printf '    keep-all 24h\n}\n'
    } >"$1"
}

# drill_disks: the names of the disks drills made (tagged snapkeep-drill)
# in the server's state.
drill_disks() {
    python3 - "$AZ_STATE" <<'PY'
import json, sys
for d in json.load(open(sys.argv[1]))["disks"]:
    if "snapkeep-drill" in (d.get("tags") or {}):
        print(d["name"])
PY
}

# az_ids FILE: the sorted, lower-cased snapshot IDs of an ARM JSON file.
az_ids() {
    python3 -c 'import json,sys; [print(s["id"].lower()) for s in sorted(json.load(open(sys.argv[1]))["value"], key=lambda s: s["id"].lower())]' "$1"
}
# az_state_ids RG DISK: the same from the server's state, for one disk.
az_state_ids() {
    python3 - "$AZ_STATE" "$1" "$2" <<'EOF'
import json, sys
st, rg, disk = sys.argv[1:]
for s in sorted(json.load(open(st))["snapshots"], key=lambda s: s["id"].lower()):
    src = s.get("properties", {}).get("creationData", {}).get("sourceResourceId", "")
    if f"/resourcegroups/{rg.lower()}/" in s["id"].lower() and src.lower().endswith("/disks/" + disk.lower()):
        print(s["id"].lower())
EOF
}
# az_count KIND [CREDENTIAL]: requests of a kind in the server's log.
az_count() {
    python3 - "$AZ_LOG" "$1" "${2:-}" <<'EOF'
import json, sys
log, kind, cred = sys.argv[1:]
n = 0
for line in open(log):
    r = json.loads(line)
    if r.get("kind") == kind and (not cred or r.get("credential") == cred) and r.get("status") == 200:
        n += 1
print(n)
EOF
}
