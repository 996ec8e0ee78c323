#!/usr/bin/env bash
# Helpers for the recovery integration tests (recover_vm.sh, recover_kill.sh,
# drill_verify.sh): a seed with VMs and their data disks, and readers of the
# server's state. Sourced after azure_lib.sh; run on its own it does nothing.
# shellcheck disable=SC2034  # the variables are for the scripts that source this
[ "${BASH_SOURCE[0]}" = "$0" ] && exit 0

RV_C=/subscriptions/$AZ_SUB/resourceGroups/rg1/providers/Microsoft.Compute

# rv_seed FILE SPEC...: SPEC is VM:POWER:ZONE:LUN=DISK/CACHING/WA,... (a VM
# with its data disks; "-" for none) or disk:NAME:ZONE (a free disk).
# Every data disk gets 4 snapshots owned by policy p1 (NAME-s0 .. NAME-s3,
# taken 2026-11-20..23 10:00:03Z), westeurope.
rv_seed() {
    local out=$1; shift
    python3 - "$out" "$AZ_SUB" "$@" <<'EOF'
import json, sys
out, sub, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
C = f"/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Compute"
disks, vms, snaps = [], [], []
def disk(name, zone):
    d = {"id": f"{C}/disks/{name}", "location": "westeurope", "sku": {"name": "Premium_LRS"},
         "properties": {"diskSizeGB": 16}}
    if zone != "-":
        d["zones"] = [zone]
    disks.append(d)
    for i in range(4):
        snaps.append({"id": f"{C}/snapshots/{name}-s{i}", "location": "westeurope",
                      "tags": {"snapkeep-policy": "p1"}, "sku": {"name": "Standard_ZRS"},
                      "properties": {"creationData": {"createOption": "Copy",
                                                      "sourceResourceId": f"{C}/disks/{name}"},
                                     "timeCreated": "2026-11-%02dT10:00:03.1234567+00:00" % (20 + i),
                                     "provisioningState": "Succeeded", "incremental": True,
                                     "diskSizeGB": 16}})
for spec in specs:
    parts = spec.split(":")
    if parts[0] == "disk":
        disk(parts[1], parts[2])
        continue
    name, power, zone, data = parts
    disks.append({"id": f"{C}/disks/os-{name}", "location": "westeurope",
                  "sku": {"name": "Premium_LRS"}, "properties": {"diskSizeGB": 30},
                  **({"zones": [zone]} if zone != "-" else {})})
    dd = []
    for item in ([] if data == "-" else data.split(",")):
        lun, rest = item.split("=")
        dname, cache, wa = rest.split("/")
        disk(dname, zone)
        dd.append({"lun": int(lun), "caching": cache, "writeAcceleratorEnabled": wa == "1",
                   "managedDisk": {"id": f"{C}/disks/{dname}"}})
    v = {"id": f"{C}/virtualMachines/{name}", "location": "westeurope", "powerState": power,
         "properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"},
                        "storageProfile": {"osDisk": {"osType": "Linux", "name": f"os-{name}",
                                                      "createOption": "Attach",
                                                      "managedDisk": {"id": f"{C}/disks/os-{name}"}},
                                           "dataDisks": dd}}}
    if zone != "-":
        v["zones"] = [zone]
    vms.append(v)
json.dump({"disks": disks, "snapshots": snaps, "virtualMachines": vms}, open(out, "w"))
EOF
}

# rv_disk NAME EXPR: a Python expression over disk d in the server's state
# ("" when the disk does not exist).
rv_disk() {
    python3 - "$AZ_STATE" "$1" "$2" <<'EOF'
import json, sys
st, name, expr = sys.argv[1:]
for d in json.load(open(st))["disks"]:
    if d["name"].lower() == name.lower():
        print(eval(expr, {"d": d, "t": d.get("tags") or {}}))
EOF
}

# rv_vm NAME: "power lun=disk/caching/wa ..." of a VM in the server's state,
# data disks sorted by LUN (the stable picture the tests compare).
rv_vm() {
    python3 - "$AZ_STATE" "$1" <<'EOF'
import json, sys
st, name = sys.argv[1:]
s = json.load(open(st))
for v in s.get("virtualMachines", []):
    if v["name"].lower() == name.lower():
        power = next((p for k, p in s.get("powerStates", {}).items()
                      if k.lower() == v["id"].lower()), "?")
        dd = sorted(v["properties"]["storageProfile"].get("dataDisks", []), key=lambda e: e["lun"])
        print(" ".join([power] + ["%d=%s/%s/%d" % (e["lun"], e["managedDisk"]["id"].split("/")[-1],
                                                  e.get("caching", "None"),
                                                  1 if e.get("writeAcceleratorEnabled") else 0)
                                  for e in dd]))
EOF
}

# rv_writes: the count of requests that change something (PUT, PATCH,
# POST to a VM, DELETE) in the server's log.
rv_writes() {
    python3 - "$AZ_LOG" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("kind") == "token":
        continue
    if r["method"] in ("PUT", "PATCH", "DELETE") or (r["method"] == "POST" and "/providers/" in r["path"]):
        n += 1
print(n)
EOF
}

# rv_count METHOD REGEX [METHOD REGEX...]: for each pair, the answered
# requests of that method whose path matches, space-separated (one pass
# over the log: polls make it long).
rv_count() {
    python3 - "$AZ_LOG" "$@" <<'EOF'
import json, re, sys
log, pairs = sys.argv[1], sys.argv[2:]
want = [(pairs[i], re.compile(pairs[i + 1], re.I)) for i in range(0, len(pairs), 2)]
n = [0] * len(want)
for l in open(log):
    r = json.loads(l)
    if 200 <= r["status"] < 300:
        for i, (m, rx) in enumerate(want):
            if r["method"] == m and rx.search(r["path"]):
                n[i] += 1
print(" ".join(map(str, n)))
EOF
}

# rv_net FILE SPEC...: adds networking to a seed rv_seed wrote. SPEC is
# nic:VM:PRIVATE_IP[:PIP] (NIC nic-VM, the VM's only one, with public IP
# PIP on its primary ipconfig1 when given), pip:NAME (a free public IP), or
# private:ZONE/NAME:IP / public:ZONE/NAME:IP (an A record set, its zone).
RV_N=/subscriptions/$AZ_SUB/resourceGroups/rg1/providers/Microsoft.Network
rv_net() {
    python3 - "$1" "$AZ_SUB" "${@:2}" <<'EOF2'
import json, sys
path, sub, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
s = json.load(open(path))
N = f"/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Network"
for k in ("networkInterfaces", "publicIPAddresses", "dnsZones", "privateDnsZones", "dnsRecordSets"):
    s.setdefault(k, [])
n = 20
for spec in specs:
    p = spec.split(":")
    if p[0] == "nic":
        vm, ip = p[1], p[2]
        cfg = {"primary": True, "privateIPAddress": ip, "privateIPAllocationMethod": "Static"}
        if len(p) > 3:
            cfg["publicIPAddress"] = {"id": f"{N}/publicIPAddresses/{p[3]}"}
            if not any(x["id"].endswith("/" + p[3]) for x in s["publicIPAddresses"]):
                n += 1
                s["publicIPAddresses"].append({"id": f"{N}/publicIPAddresses/{p[3]}",
                    "location": "westeurope", "properties": {"ipAddress": f"20.1.2.{n}"}})
        s["networkInterfaces"].append({"id": f"{N}/networkInterfaces/nic-{vm}",
            "location": "westeurope",
            "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": cfg}]}})
        for v in s["virtualMachines"]:
            if v["id"].endswith("/" + vm):
                v["properties"]["networkProfile"] = {"networkInterfaces": [
                    {"id": f"{N}/networkInterfaces/nic-{vm}", "properties": {"primary": True}}]}
    elif p[0] == "pip":
        n += 1
        s["publicIPAddresses"].append({"id": f"{N}/publicIPAddresses/{p[1]}",
            "location": "westeurope", "properties": {"ipAddress": f"20.1.2.{n}"}})
    else:
        zone, name = p[1].split("/")
        kind = "privateDnsZones" if p[0] == "private" else "dnsZones"
        if f"{N}/{kind}/{zone}" not in s[kind]:
            s[kind].append(f"{N}/{kind}/{zone}")
        props = ({"ttl": 30, "aRecords": [{"ipv4Address": p[2]}]} if p[0] == "private"
                 else {"TTL": 30, "ARecords": [{"ipv4Address": p[2]}]})
        s["dnsRecordSets"].append({"id": f"{N}/{kind}/{zone}/A/{name}", "properties": props})
json.dump(s, open(path, "w"))
EOF2
}

# rv_pip NAME: the NIC/ipconfig holding the public IP in the server's
# state ("-" when free).
rv_pip() {
    python3 - "$AZ_STATE" "$1" <<'EOF2'
import json, sys
st, name = sys.argv[1:]
s = json.load(open(st))
for n in s.get("networkInterfaces", []):
    for c in n["properties"]["ipConfigurations"]:
        pid = ((c.get("properties") or {}).get("publicIPAddress") or {}).get("id", "")
        if pid.lower().endswith("/" + name.lower()):
            print(n["id"].split("/")[-1] + "/" + c["name"]); sys.exit()
print("-")
EOF2
}

# rv_dns ZONE/NAME: the record set's addresses, space-separated.
rv_dns() {
    python3 - "$AZ_STATE" "$1" <<'EOF2'
import json, sys
st, rec = sys.argv[1:]
zone, name = rec.split("/")
for r in json.load(open(st)).get("dnsRecordSets", []):
    if r["id"].lower().endswith(f"/{zone}/a/{name}".lower()):
        p = r["properties"]
        print(" ".join(a["ipv4Address"] for a in p.get("aRecords") or p.get("ARecords") or []))
EOF2
}

# rv_put_dns ZONE/NAME IP: someone else's change of a Private DNS record
# (a PUT without If-Match, as the portal would send).
rv_put_dns() {
    local tok
    tok=$(curl -s --cacert "$AZ_CA" -d grant_type=client_credentials -d "client_id=$AZ_CLIENT" \
        -d "client_secret=$AZ_SECRET" -d scope=https://management.azure.com/.default \
        "$AZ_URL/$AZ_TENANT/oauth2/v2.0/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -sS -o /dev/null -w '%{http_code}' --cacert "$AZ_CA" -X PUT \
        -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
        -d "{\"properties\":{\"ttl\":30,\"aRecords\":[{\"ipv4Address\":\"$2\"}]}}" \
        "$AZ_URL$RV_N/privateDnsZones/${1%/*}/A/${1#*/}?api-version=2024-06-01"
}

# rv_events JOURNAL N EVENT: waits (up to 16 s) until the journal holds N
# lines of EVENT ("intent" or "outcome") of recovery steps.
rv_events() {
    local j=$1 n=$2 ev=$3 _ got
    for _ in $(seq 1 800); do
        got=$(grep -c "\"event\":\"$ev\",\"op\":\"\(create-disk\|wait-disk\|deallocate\|detach\|attach\|tag-replaced\|ip-remove\|ip-add\|dns-set\|start\|delete-disk\)\"" "$j" 2>/dev/null || true)
        [ "${got:-0}" -ge "$n" ] && return 0
        sleep 0.02
    done
    return 1
}

# rv_kill_cases CASES...: for each case "oK" (after step K's outcome) or
# "mK" (after step K's intent), runs the command `cmd_for CASE` prints (one
# argument a line; its --state-dir must be $D/state-CASE), all at once, and
# kills each with -9 at its point; $D/CASE.killed marks the ones killed.
rv_kill_cases() {
    local c k ev pids=() p
    for c in "$@"; do
        k=${c#?}
        ev=outcome
        [ "${c%"$k"}" = m ] && ev=intent
        mapfile -t cmd < <(cmd_for "$c")
        (
            "${cmd[@]}" >"$D/$c.1.out" 2>"$D/$c.1.err" &
            pid=$!
            if rv_events "$D/state-$c/journal.jsonl" "$k" "$ev"; then
                kill -9 "$pid"; wait "$pid" 2>/dev/null; echo killed >"$D/$c.killed"
            else
                wait "$pid"
            fi
        ) &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
}

# rv_resume_cases CASES...: runs each case's command again, all at once;
# $D/CASE.2.rc holds its exit code, $D/CASE.2.err its stderr.
rv_resume_cases() {
    local c pids=() p
    for c in "$@"; do
        mapfile -t cmd < <(cmd_for "$c")
        ( "${cmd[@]}" >"$D/$c.2.out" 2>"$D/$c.2.err"; echo $? >"$D/$c.2.rc" ) &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
}
