"""Network checks of tests/arm/serve (README "Networking and DNS"): NICs
and public IPs (seed links, long-running PUT through Network's
Azure-AsyncOperation, one IP configuration per public IP, refusals, faults),
DNS and Private DNS A record sets with etags, and a restart. Run from
selftest.py (`run(T, work)`)."""
import json
import os

import selftest_vm as V

NAPI = "api-version=2024-05-01"
SUB = V.SUB
RG = "/subscriptions/%s/resourceGroups/rg-net" % SUB
N = RG + "/providers/Microsoft.Network"


def nic_id(name):
    return N + "/networkInterfaces/" + name


def pip_id(name):
    return N + "/publicIPAddresses/" + name


def make_seed(path):
    def nic(name, ip, pip=None):
        cp = {"privateIPAddress": ip, "privateIPAllocationMethod": "Static", "primary": True,
              "subnet": {"id": N + "/virtualNetworks/vnet/subnets/default"}}
        if pip:
            cp["publicIPAddress"] = {"id": pip_id(pip)}
        return {"id": nic_id(name), "location": "westeurope",
                "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": cp}]}}
    disks = [{"id": RG + "/providers/Microsoft.Compute/disks/os-" + v, "location": "westeurope"}
             for v in ("vm-p", "vm-s")]
    vms = [{"id": RG + "/providers/Microsoft.Compute/virtualMachines/" + v, "location": "westeurope",
            "properties": {"storageProfile": {"osDisk": {"osType": "Linux", "createOption": "Attach",
                                                         "managedDisk": {"id": disks[i]["id"]}}},
                           "networkProfile": {"networkInterfaces": [
                               {"id": nic_id("nic-" + v[3:]), "properties": {"primary": True}}]}}}
           for i, v in enumerate(("vm-p", "vm-s"))]
    doc = {"disks": disks, "virtualMachines": vms,
           "networkInterfaces": [nic("nic-p", "10.0.0.4", "pip-a"), nic("nic-s", "10.0.0.5"),
                                 nic("nic-spare", "10.0.0.6")],
           "publicIPAddresses": [{"id": pip_id("pip-a"), "location": "westeurope",
                                  "properties": {"ipAddress": "20.1.2.3"}},
                                 {"id": pip_id("pip-free"), "location": "westeurope"}],
           "dnsZones": [N + "/dnsZones/example.com"],
           "privateDnsZones": [N + "/privateDnsZones/corp.internal"],
           "dnsRecordSets": [
               {"id": N + "/dnsZones/example.com/A/app", "etag": "11111111-0000-4000-8000-000000000001",
                "properties": {"TTL": 60, "ARecords": [{"ipv4Address": "20.1.2.3"}]}},
               {"id": N + "/privateDnsZones/corp.internal/A/db", "etag": "22222222-0000-4000-8000-000000000002",
                "properties": {"ttl": 30, "aRecords": [{"ipv4Address": "10.0.0.4"}]}}]}
    with open(path, "w") as f:
        json.dump(doc, f)


class Net(V.Vm):
    def req(self, method, path, body=None, query=NAPI, headers=None):
        return V.Vm.req(self, method, path, body, query, headers)

    def get(self, rid):
        return self.req("GET", rid)[2]

    def nic_body(self, name, pip=None, ip=None):
        nic = self.get(nic_id(name))
        cfg = nic["properties"]["ipConfigurations"][0]
        cfg["properties"].pop("publicIPAddress", None)
        if pip:
            cfg["properties"]["publicIPAddress"] = {"id": pip_id(pip)}
        if ip:
            cfg["properties"]["privateIPAddress"] = ip
        return nic


def run(T, work):
    seed = os.path.join(work, "net-seed.json")
    make_seed(seed)
    srv = T.Server(work, "net", ["--lro-seconds", "0.4"], seed=seed)
    try:
        c = Net(T, srv, srv.bearer())
        for fn in (t_seed, t_move_ip, t_refusals, t_vm_nic_link, t_pip_lifecycle, t_dns):
            T.section(fn, T, c)
    finally:
        srv.stop()
    T.section(t_restart, T, work, srv)


def t_seed(T, c):
    check = T.check
    nic = c.get(nic_id("nic-p"))
    cfg = nic["properties"]["ipConfigurations"][0]
    check("net seed: NIC shaped like Network's (ipConfigurations with name, id, primary, "
          "privateIPAddress, publicIPAddress.id, subnet; virtualMachine back-reference)",
          nic["type"] == "Microsoft.Network/networkInterfaces" and cfg["name"] == "ipconfig1"
          and cfg["id"] == nic_id("nic-p") + "/ipConfigurations/ipconfig1"
          and cfg["properties"]["primary"] is True and cfg["properties"]["privateIPAddress"] == "10.0.0.4"
          and cfg["properties"]["publicIPAddress"]["id"] == pip_id("pip-a")
          and cfg["properties"]["subnet"]["id"].endswith("/subnets/default")
          and nic["properties"]["virtualMachine"]["id"].endswith("/virtualMachines/vm-p")
          and nic["properties"]["provisioningState"] == "Succeeded", nic)
    ex = V.example("NetworkInterfaceGet.json")
    check("net: NIC fields are those of Microsoft's example",
          set(nic["properties"]) <= set(ex["properties"]) | {"resourceGuid", "nicType"}
          and set(cfg["properties"]) <= set(ex["properties"]["ipConfigurations"][0]["properties"]),
          sorted(set(nic["properties"]) - set(ex["properties"])))
    pip = c.get(pip_id("pip-a"))
    exp = V.example("PublicIpAddressGet.json")
    check("net seed: public IP with ipAddress and the ipConfiguration back-reference",
          pip["properties"]["ipAddress"] == "20.1.2.3"
          and pip["properties"]["ipConfiguration"]["id"] == cfg["id"]
          and set(pip["properties"]) <= set(exp["properties"]) | {"ipAddress", "resourceGuid"}, pip)
    check("net seed: a free public IP gets an address, no ipConfiguration",
          c.get(pip_id("pip-free"))["properties"].get("ipAddress")
          and "ipConfiguration" not in c.get(pip_id("pip-free"))["properties"])
    st, _, b = c.req("GET", N + "/networkInterfaces")
    st2, _, b2 = c.req("GET", "/subscriptions/%s/providers/Microsoft.Network/publicIPAddresses" % SUB)
    check("net lists: NICs by resource group, public IPs by subscription",
          st == 200 and [x["name"] for x in b["value"]] == ["nic-p", "nic-s", "nic-spare"]
          and st2 == 200 and len(b2["value"]) == 2, (b, b2))


def t_move_ip(T, c):
    check = T.check
    st, _, b = c.req("PUT", nic_id("nic-s"), c.nic_body("nic-s", pip="pip-a"))
    check("a public IP on another IP configuration: 400 PublicIPAddressInUse",
          st == 400 and T.error_code(b) == "PublicIPAddressInUse", (st, b))
    st, h, b = c.req("PUT", nic_id("nic-p"), c.nic_body("nic-p"))
    check("NIC PUT (remove the public IP): 200 Updating + Azure-AsyncOperation of Network, no Location",
          st == 200 and b["properties"]["provisioningState"] == "Updating"
          and "/providers/Microsoft.Network/locations/westeurope/operations/" in h.get("azure-asyncoperation", "")
          and "location" not in h and h.get("retry-after"), (st, h))
    st2, _, b2 = c.req("PUT", nic_id("nic-s"), c.nic_body("nic-s", pip="pip-a"))
    check("while the removal runs the IP is still held: 400 PublicIPAddressInUse",
          st2 == 400 and T.error_code(b2) == "PublicIPAddressInUse", b2)
    st3, _, b3 = c.req("PUT", nic_id("nic-p"), c.nic_body("nic-p"))
    check("a second PUT of a NIC being updated: 409 AnotherOperationInProgress",
          st3 == 409 and T.error_code(b3) == "AnotherOperationInProgress", b3)
    done = c.wait(h)
    check("Network's operation status: {\"status\":\"Succeeded\"}", done == {"status": "Succeeded"}, done)
    check("after the removal: the public IP has no ipConfiguration",
          "ipConfiguration" not in c.get(pip_id("pip-a"))["properties"]
          and c.get(nic_id("nic-p"))["properties"]["provisioningState"] == "Succeeded")
    st, h, b = c.req("PUT", nic_id("nic-s"), c.nic_body("nic-s", pip="pip-a"))
    check("NIC PUT (add the public IP): 200, the IP held at once",
          st == 200 and c.get(pip_id("pip-a"))["properties"]["ipConfiguration"]["id"]
          == nic_id("nic-s") + "/ipConfigurations/ipconfig1", (st, b))
    c.wait(h)
    nic = c.get(nic_id("nic-s"))
    check("after the move: the standby's primary IP configuration has the public IP, private IP kept",
          nic["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"] == pip_id("pip-a")
          and nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.0.5"
          and nic["properties"]["virtualMachine"]["id"].endswith("/vm-s"), nic)
    c.s.set_faults({"rules": [{"name": "nic-fail", "method": "PUT", "path": "/networkInterfaces/nic-s$",
                               "action": "fail-lro", "times": 1}]})
    st, h, _ = c.req("PUT", nic_id("nic-s"), c.nic_body("nic-s"))
    done = c.wait(h)
    c.s.clear_faults()
    check("fail-lro on a NIC PUT: status Failed, the NIC and the IP as before",
          st == 200 and done["status"] == "Failed" and done["error"]["code"] == "InternalOperationError"
          and c.get(nic_id("nic-s"))["properties"]["ipConfigurations"][0]["properties"]
          .get("publicIPAddress", {}).get("id") == pip_id("pip-a")
          and c.get(pip_id("pip-a"))["properties"]["ipConfiguration"]["id"].startswith(nic_id("nic-s")),
          done)
    c.s.set_faults({"rules": [{"name": "nic-drop", "method": "PUT", "path": "/networkInterfaces/nic-spare$",
                               "action": "drop-after", "times": 1}]})
    try:
        c.req("PUT", nic_id("nic-spare"), c.nic_body("nic-spare", pip="pip-free"))
        dropped = False
    except Exception:
        dropped = True
    c.s.clear_faults()
    check("drop-after on a NIC PUT: no answer, the change lands",
          dropped and T.wait_for(lambda: c.get(nic_id("nic-spare"))["properties"]["provisioningState"]
                                 == "Succeeded")
          and c.get(pip_id("pip-free"))["properties"]["ipConfiguration"]["id"].startswith(nic_id("nic-spare")))
    st, h, _ = c.req("PUT", nic_id("nic-spare"), c.nic_body("nic-spare"))
    c.wait(h)


def t_refusals(T, c):
    check = T.check
    st, _, b = c.req("PUT", nic_id("nic-spare"), c.nic_body("nic-spare", pip="no-such-ip"))
    check("a public IP that does not exist: 400 InvalidResourceReference",
          st == 400 and T.error_code(b) == "InvalidResourceReference", b)
    body = c.nic_body("nic-spare")
    body["properties"]["ipConfigurations"] = []
    st, _, b = c.req("PUT", nic_id("nic-spare"), body)
    check("a NIC without IP configurations: 400", st == 400, b)
    st, _, b = c.req("DELETE", pip_id("pip-a"))
    check("deleting a public IP in use: 400 PublicIPAddressInUse",
          st == 400 and T.error_code(b) == "PublicIPAddressInUse", b)
    st, _, b = c.req("DELETE", nic_id("nic-p"))
    check("deleting a NIC a VM uses: 400 NicInUse", st == 400 and T.error_code(b) == "NicInUse", b)
    st, _, b = c.req("GET", nic_id("nope"))
    check("missing NIC: 404 ResourceNotFound", st == 404 and T.error_code(b) == "ResourceNotFound", b)
    st, _, b = c.req("PATCH", nic_id("nic-spare"), {"tags": {"role": "spare"}})
    check("NIC PATCH tags: 200 at once", st == 200 and b["tags"] == {"role": "spare"}, b)


def t_vm_nic_link(T, c):
    check = T.check
    vm = RG + "/providers/Microsoft.Compute/virtualMachines/vm-s"
    prof = {"networkInterfaces": [{"id": nic_id("nic-spare"), "properties": {"primary": True}}]}
    st, h, _ = c.req("PATCH", vm, {"properties": {"networkProfile": prof}}, query=V.API)
    c.wait(h)
    check("VM PATCH of networkProfile: the NIC it names points back, the one it dropped is freed",
          st == 200 and c.get(nic_id("nic-spare"))["properties"]["virtualMachine"]["id"] == vm
          and "virtualMachine" not in c.get(nic_id("nic-s"))["properties"])
    prof["networkInterfaces"][0]["id"] = nic_id("nic-s")
    st, h, _ = c.req("PATCH", vm, {"properties": {"networkProfile": prof}}, query=V.API)
    c.wait(h)
    check("and back", c.get(nic_id("nic-s"))["properties"]["virtualMachine"]["id"] == vm
          and "virtualMachine" not in c.get(nic_id("nic-spare"))["properties"])


def t_pip_lifecycle(T, c):
    check = T.check
    st, h, b = c.req("PUT", pip_id("pip-new"), {"location": "westeurope", "sku": {"name": "Standard"},
                                                "properties": {"publicIPAllocationMethod": "Static"}})
    check("public IP PUT (create): 201 + Azure-AsyncOperation, an address allocated",
          st == 201 and h.get("azure-asyncoperation") and b["properties"]["ipAddress"], (st, b))
    c.wait(h)
    st, h, _ = c.req("DELETE", pip_id("pip-new"))
    check("public IP DELETE: 202 + Azure-AsyncOperation + Location (operationResults)",
          st == 202 and "/operationResults/" in h.get("location", "") and h.get("azure-asyncoperation"), h)
    st1, _, _ = c.s.request("GET", h["location"], token=c.tok)
    c.wait(h)
    st2, _, _ = c.s.request("GET", h["location"], token=c.tok)
    check("operationResults: 202 while running, then 204; the IP is gone",
          st1 == 202 and st2 == 204 and c.req("GET", pip_id("pip-new"))[0] == 404, (st1, st2))


def t_dns(T, c):
    check = T.check
    pz = N + "/privateDnsZones/corp.internal/A/"
    pub = N + "/dnsZones/example.com/A/"
    st, h, b = c.req("GET", pz + "DB", query="api-version=2024-06-01")
    check("Private DNS A record: GET (names compare case-insensitively) with its etag",
          st == 200 and b["etag"] == "22222222-0000-4000-8000-000000000002" and b["name"] == "db"
          and h.get("etag") == b["etag"] and b["properties"]["aRecords"] == [{"ipv4Address": "10.0.0.4"}]
          and b["type"] == "Microsoft.Network/privateDnsZones/A", b)
    body = {"properties": {"ttl": 30, "aRecords": [{"ipv4Address": "10.0.0.5"}]}}
    st, h, b2 = c.req("PUT", pz + "db", body, query="api-version=2024-06-01",
                      headers={"If-Match": b["etag"]})
    ex = V.example("RecordSetAPut.json")
    check("PUT with If-Match = the current etag: 200, new etag, the new address; fields as in "
          "Microsoft's example",
          st == 200 and b2["etag"] != b["etag"] and b2["properties"]["aRecords"][0]["ipv4Address"]
          == "10.0.0.5" and set(b2) == set(ex) and set(b2["properties"]) == set(ex["properties"])
          and b2["properties"]["fqdn"] == "db.corp.internal.", b2)
    st, _, b3 = c.req("PUT", pz + "db", body, query="api-version=2024-06-01",
                      headers={"If-Match": b["etag"]})
    check("PUT with a stale If-Match: 412 PreconditionFailed, record unchanged",
          st == 412 and T.error_code(b3) == "PreconditionFailed"
          and c.get(pz + "db")["etag"] == b2["etag"], b3)
    st, _, b4 = c.req("PUT", pz + "db", body, query="api-version=2024-06-01",
                      headers={"If-None-Match": "*"})
    check("PUT with If-None-Match: * on an existing record: 412", st == 412
          and T.error_code(b4) == "PreconditionFailed", b4)
    st, _, b5 = c.req("PUT", pz + "new", body, query="api-version=2024-06-01",
                      headers={"If-None-Match": "*"})
    check("PUT with If-None-Match: * of a new record: 201", st == 201 and b5["etag"], b5)
    st, _, b6 = c.req("PUT", pz + "ghost", body, query="api-version=2024-06-01",
                      headers={"If-Match": "*"})
    check("PUT with If-Match on a missing record: 412", st == 412, b6)
    st, _, b7 = c.req("PUT", pub + "app", {"properties": {"TTL": 60, "ARecords": [{"ipv4Address": "20.9.9.9"}]}},
                      query="api-version=2018-05-01", headers={"If-Match": "11111111-0000-4000-8000-000000000001"})
    exd = V.example("CreateOrUpdateARecordset.json")
    check("Azure DNS A record PUT (TTL/ARecords casing) with If-Match: 200, fields of Microsoft's example",
          st == 200 and b7["properties"]["ARecords"] == [{"ipv4Address": "20.9.9.9"}]
          and b7["type"] == "Microsoft.Network/dnsZones/A"
          and set(exd["properties"]) <= set(b7["properties"]), b7)
    st, _, b8 = c.req("PUT", N + "/privateDnsZones/nozone.internal/A/x", body, query="api-version=2024-06-01")
    check("a record in a zone that does not exist: 404 ParentResourceNotFound",
          st == 404 and T.error_code(b8) == "ParentResourceNotFound", b8)
    st, _, b9 = c.req("PUT", pz + "bad", {"properties": {"aRecords": [{"ipv4Address": "10.0.0.300"}]}},
                      query="api-version=2024-06-01")
    check("a malformed IPv4 address: 400", st == 400, b9)
    st, _, l = c.req("GET", N + "/privateDnsZones/corp.internal/A", query="api-version=2024-06-01")
    check("list A records of a zone", st == 200 and [x["name"] for x in l["value"]] == ["db", "new"], l)
    st, _, z = c.req("GET", N + "/privateDnsZones/corp.internal", query="api-version=2024-06-01")
    check("GET the zone", st == 200 and z["properties"]["numberOfRecordSets"] == 2, z)
    st, _, _ = c.req("DELETE", pz + "new", query="api-version=2024-06-01", headers={"If-Match": "stale"})
    st2, _, _ = c.req("DELETE", pz + "new", query="api-version=2024-06-01", headers={"If-Match": b5["etag"]})
    check("DELETE with a stale If-Match 412, with the right one 200, then 404",
          st == 412 and st2 == 200 and c.req("GET", pz + "new", query="api-version=2024-06-01")[0] == 404,
          (st, st2))
    c.s.set_faults({"rules": [{"name": "dns-503", "method": "PUT", "path": "/A/db$", "action": "error",
                               "status": 503, "times": 1}]})
    st, _, _ = c.req("PUT", pz + "db", body, query="api-version=2024-06-01")
    c.s.clear_faults()
    check("faults apply to record sets (503, nothing changed)", st == 503
          and c.get(pz + "db")["etag"] == b2["etag"])


def t_restart(T, work, old):
    srv = T.Server(work, "net", ["--lro-seconds", "0.4"], state=old.state)
    try:
        c = Net(T, srv, srv.bearer())
        T.check("net restart: the moved public IP, NIC back-references and record etags kept",
                c.get(pip_id("pip-a"))["properties"]["ipConfiguration"]["id"].startswith(nic_id("nic-s"))
                and c.get(nic_id("nic-p"))["properties"]["virtualMachine"]["id"].endswith("/vm-p")
                and c.get(N + "/privateDnsZones/corp.internal/A/db")["properties"]["aRecords"]
                == [{"ipv4Address": "10.0.0.5"}])
    finally:
        srv.stop()
