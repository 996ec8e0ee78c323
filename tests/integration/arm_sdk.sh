#!/usr/bin/env bash
# Microsoft's own SDK clients work against tests/arm/serve unchanged:
# @azure/identity's ClientSecretCredential (authorityHost = the server) and
# @azure/arm-compute's ComputeManagementClient (endpoint = the server) list
# snapshots over several pages, create a snapshot and a disk through their
# pollers, get, and delete; its VirtualMachines client creates a VM, reads it
# and its instanceView, attaches/detaches data disks, deallocates, starts and
# powers it off through its pollers; @azure/arm-network moves a public IP
# between NICs (two PUTs through the pollers, a held IP refused) and
# @azure/arm-privatedns / @azure/arm-dns update A records with If-Match (a
# stale etag refused); @azure/arm-resources reads and writes the tags
# resource the run lease lives in; @azure/arm-resourcegraph queries the snapshots
# through Resource Graph (paged, the same as ARM's list); ClientAssertionCredential, ManagedIdentityCredential
# (App Service and IMDS shapes) and AzureCliCredential (with tests/arm/fake-az)
# get tokens ARM accepts. The packages are installed with npm into a cache
# ($ARM_SDK_CACHE, default $TMPDIR/snapkeep-arm-sdk) once; without node, npm
# or the registry it is reported as not run (never as passed), and under
# CI=true it fails.
# Checks run as bash -c '...' _ ARGS: single quotes are meant (SC2016).
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh disable=SC1091
. "$(dirname "$0")/../lib.sh"

PKGS=(@azure/identity@4.13.1 @azure/arm-compute@24.1.0 @azure/arm-network@39.0.0
      @azure/arm-privatedns@4.0.0 @azure/arm-dns@5.1.0 @azure/arm-resources@8.0.0 @azure/arm-resourcegraph@5.0.0)
CACHE=${ARM_SDK_CACHE:-${TMPDIR:-/tmp}/snapkeep-arm-sdk}
D=$T_TMP/sdk
mkdir -p "$D" "$CACHE"

installed() {   # the pinned versions, and their whole module graph loads
    [ "$(cat "$CACHE/.pkgs" 2>/dev/null)" = "${PKGS[*]}" ] &&
    ( cd "$CACHE" && node -e 'for (const m of ["identity", "arm-compute", "arm-network",
        "arm-privatedns", "arm-dns", "arm-resources", "arm-resourcegraph"]) require("@azure/" + m)' ) 2>/dev/null
}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    t_not_run "sdk: node and npm are needed for this test (apt-get install nodejs npm)"
fi
if ! installed; then
    # flock: two test runs sharing the cache must not install over each other.
    ( flock 9; cd "$CACHE" && rm -f .pkgs && { [ -f package.json ] || npm init -y >/dev/null; } &&
      npm install --no-audit --no-fund --loglevel=error --fetch-retries=1 \
          --fetch-retry-mintimeout=1000 --fetch-retry-maxtimeout=2000 "${PKGS[@]}" &&
        printf '%s' "${PKGS[*]}" >"$CACHE/.pkgs" ) 9>"$CACHE/.lock" >"$D/npm.log" 2>&1
fi
if ! installed; then
    sed 's/^/    /' "$D/npm.log" | tail -20
    t_not_run "sdk: npm install ${PKGS[*]} into $CACHE failed (registry unreachable?)"
fi
t_ok "sdk: ${PKGS[*]} installed in $CACHE"

SUB=00000000-0000-4000-8000-0000000000bb
python3 - "$D/seed.json" "$SUB" <<'PY'
import json, sys
sub = sys.argv[2]
base = "/subscriptions/%s/resourceGroups/rg-sdk/providers/Microsoft.Compute/" % sub
disk = {"id": base + "disks/disk-sdk", "location": "westeurope",
        "properties": {"diskSizeGB": 16, "uniqueId": "uid-sdk"}}
snaps = [{"id": base + "snapshots/seed-%04d" % i, "location": "westeurope",
          "properties": {"incremental": True, "timeCreated": "2026-11-20T10:00:03.1234567+00:00",
                         "creationData": {"createOption": "Copy", "sourceResourceId": disk["id"]}}}
         for i in range(230)]
vmdisks = [{"id": base + "disks/" + n, "location": "westeurope", "zones": ["1"],
            "sku": {"name": "Premium_LRS"}, "properties": {"diskSizeGB": 8}}
           for n in ("sdk-os", "sdk-data0", "sdk-data1")]
vmdisks.append({"id": base + "disks/disk-v2", "location": "westeurope",
                "sku": {"name": "PremiumV2_LRS"}, "properties": {"diskSizeGB": 8, "uniqueId": "uid-v2"}})
rg = "/subscriptions/%s/resourceGroups/rg-sdk" % sub
n = rg + "/providers/Microsoft.Network/"
vmdisks += [{"id": base + "disks/os-" + v, "location": "westeurope"} for v in ("p", "s")]
vms = [{"id": base + "virtualMachines/sdk-vm-" + v, "location": "westeurope",
        "properties": {"storageProfile": {"osDisk": {"createOption": "Attach",
                                                     "managedDisk": {"id": base + "disks/os-" + v}}},
                       "networkProfile": {"networkInterfaces": [{"id": n + "networkInterfaces/nic-" + v}]}}}
       for v in ("p", "s")]
def nic(v, ip, pip=None):
    cp = {"privateIPAddress": ip, "primary": True}
    if pip:
        cp["publicIPAddress"] = {"id": n + "publicIPAddresses/" + pip}
    return {"id": n + "networkInterfaces/nic-" + v, "location": "westeurope",
            "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": cp}]}}
json.dump({"disks": [disk] + vmdisks, "snapshots": snaps, "virtualMachines": vms,
           "networkInterfaces": [nic("p", "10.0.0.4", "pip-sdk"), nic("s", "10.0.0.5")],
           "publicIPAddresses": [{"id": n + "publicIPAddresses/pip-sdk", "location": "westeurope",
                                  "properties": {"ipAddress": "20.1.2.3"}}],
           "dnsRecordSets": [{"id": n + "dnsZones/example.com/A/app",
                              "properties": {"TTL": 60, "ARecords": [{"ipv4Address": "20.9.9.9"}]}},
                             {"id": n + "privateDnsZones/corp.internal/A/db",
                              "properties": {"ttl": 30, "aRecords": [{"ipv4Address": "10.0.0.4"}]}}]},
          open(sys.argv[1], "w"))
PY
# One throttled list page and one 503 on a poll: the SDK's own retry policy rides them.
cat >"$D/faults.json" <<'EOF2'
{"rules":[{"name":"throttle-page-2","kind":"list","page":2,"times":1,"action":"throttle","retry_after":1},
          {"name":"poll-503","kind":"operation","nth":[2],"action":"error","status":503}]}
EOF2
mkfifo "$D/out"
"$TOP/tests/arm/serve" --exit-with-parent --port 0 --state "$D/state.json" --tls-dir "$D/tls" --seed "$D/seed.json" \
    --faults "$D/faults.json" --log "$D/log.jsonl" --lro-seconds 1 --page-size 50 --imds-port 0 \
    >"$D/out" 2>"$D/err" &
PID=$!
t_cleanup_hooks+=("kill $PID 2>/dev/null")
URL='' IMDS=''
exec 8<"$D/out"
read -r -t 20 line <&8 && IMDS=${line#imds }
read -r -t 20 line <&8 && URL=${line#ready }
exec 8<&-
t_check "sdk: test server ready" test -n "$URL"

cp "$TOP/tests/arm/sdk_check.mjs" "$CACHE/sdk_check.mjs"
( cd "$CACHE" && NODE_EXTRA_CA_CERTS="$D/tls/ca.pem" ARM_URL="$URL" ARM_SUB="$SUB" ARM_RG=rg-sdk \
    ARM_DISK=disk-sdk EXPECT_SNAPSHOTS=230 AZURE_TENANT_ID=11111111-1111-4111-8111-111111111111 \
    AZURE_CLIENT_ID=22222222-2222-4222-8222-222222222222 AZURE_CLIENT_SECRET=snapkeep-test-secret \
    timeout 120 node sdk_check.mjs ) >"$D/node.out" 2>&1
rc=$?
grep -E '^(ok|not ok) ' "$D/node.out"
if [ "$rc" != 0 ]; then
    t_fail "sdk: node check exited $rc"
    grep -vE '^(ok|not ok) ' "$D/node.out" | sed 's/^/    /' | tail -20
fi
[ "$(grep -c '^not ok ' "$D/node.out")" = 0 ] || t_fail "sdk: some SDK checks failed"
cp "$TOP/tests/arm/sdk_graph.mjs" "$CACHE/sdk_graph.mjs"
( cd "$CACHE" && NODE_EXTRA_CA_CERTS="$D/tls/ca.pem" ARM_URL="$URL" ARM_SUB="$SUB" ARM_RG=rg-sdk \
    AZURE_TENANT_ID=11111111-1111-4111-8111-111111111111 \
    AZURE_CLIENT_ID=22222222-2222-4222-8222-222222222222 AZURE_CLIENT_SECRET=snapkeep-test-secret \
    timeout 60 node sdk_graph.mjs ) >"$D/node-graph.out" 2>&1 || t_fail "sdk: Resource Graph check exited non-zero"
grep -E '^(ok|not ok) ' "$D/node-graph.out" || sed 's/^/    /' "$D/node-graph.out" | tail -10
grep -q '^not ok ' "$D/node-graph.out" && t_fail "sdk: Resource Graph checks failed"
for kind in assertion appservice imds cli; do
    case $kind in   # only the environment of this kind: the SDK picks by what is set
        assertion)  extra=(MAKE_JWT="$TOP/tests/arm/make-jwt") ;;
        appservice) extra=(IDENTITY_ENDPOINT="$URL/msi/token" IDENTITY_HEADER=snapkeep-test-identity-header) ;;
        imds)       extra=(AZURE_POD_IDENTITY_AUTHORITY_HOST="$IMDS") ;;
        cli)        extra=(PATH="$TOP/tests/arm/fake-az:$PATH" ARM_TEST_URL="$URL" ARM_TEST_CA="$D/tls/ca.pem") ;;
    esac
    ( cd "$CACHE" && env -u IDENTITY_ENDPOINT -u IDENTITY_HEADER -u MSI_ENDPOINT \
        -u AZURE_POD_IDENTITY_AUTHORITY_HOST NODE_EXTRA_CA_CERTS="$D/tls/ca.pem" ARM_URL="$URL" \
        ARM_SUB="$SUB" ARM_RG=rg-sdk ARM_DISK=disk-sdk AZURE_TENANT_ID=11111111-1111-4111-8111-111111111111 \
        AZURE_CLIENT_ID=22222222-2222-4222-8222-222222222222 "${extra[@]}" \
        timeout 60 node sdk_check.mjs "$kind" ) \
        >"$D/node-$kind.out" 2>&1 || t_fail "sdk: node check of credential $kind exited non-zero"
    grep -E '^(ok|not ok) ' "$D/node-$kind.out" || sed 's/^/    /' "$D/node-$kind.out" | tail -5
    grep -q '^not ok ' "$D/node-$kind.out" && t_fail "sdk: credential $kind refused"
done
t_check "sdk: ARM saw tokens of every credential kind" python3 -c '
import json, sys
seen = {json.loads(l).get("token") for l in open(sys.argv[1])}
missing = {"secret", "assertion", "appservice", "imds", "cli"} - seen
print("    missing:", sorted(missing)) if missing else None
sys.exit(1 if missing else 0)' "$D/log.jsonl"
t_check "sdk: the SDK asked for https://management.azure.com/.default with a secret" \
    grep -q '"scope":"https://management.azure.com/.default".*"credential":"secret"' "$D/log.jsonl"
t_check "sdk: the injected 429 and 503 were met and ridden" \
    bash -c 'grep -q "\"faults\":\[\"throttle-page-2\"\]" "$1" && grep -q "\"faults\":\[\"poll-503\"\]" "$1"' _ "$D/log.jsonl"
t_done
