"""Virtual-machine checks of tests/arm/serve (README "Virtual machines"):
seed linking, GET/list/instanceView, attach/detach in both forms, ARM's
conflicts, power transitions, managedBy/diskState, --device-dir files,
faults on VM operations, and state across a restart. Run from selftest.py
(`run(T, work)`, T = the selftest module: check, Server, wait_for...)."""
import json
import os
import time

API = "api-version=2024-07-01"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "arm")


def example(name):
    """responses."200".body of one of Microsoft's REST examples."""
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)["responses"]["200"]["body"]
SUB = "00000000-0000-4000-8000-000000000001"
RG = "/subscriptions/%s/resourceGroups/rg-vm" % SUB
C = RG + "/providers/Microsoft.Compute"


def vm_id(name):
    return C + "/virtualMachines/" + name


def disk_id(name):
    return C + "/disks/" + name


def make_seed(path):
    def disk(name, loc="westeurope", zones=("1",), sku="Premium_LRS", **extra):
        d = {"id": disk_id(name), "location": loc, "sku": {"name": sku},
             "properties": {"diskSizeGB": 16}}
        if zones:
            d["zones"] = list(zones)
        d.update(extra)
        return d

    def vm(name, power, data=(), loc="westeurope", zones=("1",)):
        v = {"id": vm_id(name), "location": loc, "powerState": power,
             "properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"},
                            "storageProfile": {
                                "osDisk": {"osType": "Linux", "name": "os-" + name,
                                           "createOption": "Attach", "caching": "ReadWrite",
                                           "managedDisk": {"id": disk_id("os-" + name)}},
                                "dataDisks": [{"lun": lun, "caching": cache,
                                               "writeAcceleratorEnabled": wa,
                                               "managedDisk": {"id": disk_id(d)}}
                                              for lun, d, cache, wa in data]},
                            "networkProfile": {"networkInterfaces": [
                                {"id": RG + "/providers/Microsoft.Network/networkInterfaces/nic-"
                                 + name, "properties": {"primary": True}}]}}}
        if zones:
            v["zones"] = list(zones)
        return v

    disks = [disk("os-vm-a"), disk("os-vm-b"), disk("os-vm-c", "northeurope", ()),
             disk("da0"), disk("da1"), disk("free1"), disk("free2"), disk("free3"),
             disk("free-z2", zones=("2",)), disk("free-zrs", zones=(), sku="Premium_ZRS"),
             disk("free-nozone", zones=()), disk("free-north", "northeurope", ())]
    vms = [vm("vm-a", "running", [(0, "da0", "ReadOnly", True), (1, "da1", "None", False)]),
           vm("vm-b", "deallocated"), vm("vm-c", "running", loc="northeurope", zones=())]
    with open(path, "w") as f:
        json.dump({"disks": disks, "virtualMachines": vms}, f)


class Vm:
    """Small client for one server and token."""

    def __init__(self, T, srv, tok):
        self.T, self.s, self.tok = T, srv, tok

    def req(self, method, path, body=None, query=API, headers=None):
        sep = "&" if "?" in path else "?"
        return self.s.request(method, path + sep + query, body, headers=headers, token=self.tok)

    def vm(self, name):
        return self.req("GET", vm_id(name))[2]

    def disk(self, name):
        return self.req("GET", disk_id(name))[2]

    def power(self, name):
        st, _, b = self.req("GET", vm_id(name) + "/instanceView")
        codes = [s["code"] for s in b.get("statuses", [])] if st == 200 else []
        return next((c.split("/", 1)[1] for c in codes if c.startswith("PowerState/")), None)

    def luns(self, name):
        return {d["lun"]: d for d in self.vm(name)["properties"]["storageProfile"]["dataDisks"]}

    def attach_detach(self, name, attach=(), detach=()):
        body = {"dataDisksToAttach": [dict(diskId=disk_id(d), lun=lun, **kw) for d, lun, kw in attach],
                "dataDisksToDetach": [dict(diskId=disk_id(d), **kw) for d, kw in detach]}
        return self.req("POST", vm_id(name) + "/attachDetachDataDisks", body)

    def wait(self, h, timeout=10):
        """Polls the Azure-AsyncOperation URL to its end; returns its body."""
        url = h.get("azure-asyncoperation")
        if not url:
            return None
        def done():
            st, _, b = self.s.request("GET", url, token=self.tok)
            return b if st == 200 and b.get("status") != "InProgress" else None
        return self.T.wait_for(done, timeout)


def run(T, work):
    seed = os.path.join(work, "vm-seed.json")
    make_seed(seed)
    dev = os.path.join(work, "vm-dev")
    srv = T.Server(work, "vm", ["--lro-seconds", "0.4", "--device-dir", dev], seed=seed)
    try:
        c = Vm(T, srv, srv.bearer())
        for fn in (t_seed_and_reads, t_attach_detach, t_conflicts, t_power, t_patch_form,
                   t_create_delete, t_faults):
            T.section(fn, T, c, dev)
    finally:
        rc = srv.stop()
    T.check("vm: server exits 0 on SIGTERM", rc == 0, rc)
    T.section(t_restart, T, work, srv, dev)


def t_seed_and_reads(T, c, dev):
    check = T.check
    d = c.disk("da0")
    check("vm seed: a VM's data disk shows managedBy = the VM and diskState Attached",
          d.get("managedBy") == vm_id("vm-a") and d["properties"]["diskState"] == "Attached", d)
    check("vm seed: the disks of a deallocated VM are Reserved",
          c.disk("os-vm-b")["properties"]["diskState"] == "Reserved")
    check("vm seed: a free disk is Unattached, without managedBy",
          c.disk("free1")["properties"]["diskState"] == "Unattached"
          and "managedBy" not in c.disk("free1"))
    v = c.vm("vm-a")
    e = v["properties"]["storageProfile"]["dataDisks"][0]
    check("vm GET: data disk entries as ARM shows them (lun, name, createOption, caching, "
          "writeAcceleratorEnabled, managedDisk.id, toBeDetached)",
          v["type"] == "Microsoft.Compute/virtualMachines" and e["lun"] == 0 and e["name"] == "da0"
          and e["createOption"] == "Attach" and e["caching"] == "ReadOnly"
          and e["writeAcceleratorEnabled"] is True and e["toBeDetached"] is False
          and e["managedDisk"]["id"] == disk_id("da0") and v["zones"] == ["1"]
          and v["properties"]["provisioningState"] == "Succeeded", v)
    check("vm GET: networkProfile as seeded",
          v["properties"]["networkProfile"]["networkInterfaces"][0]["properties"]["primary"] is True)
    st, _, b = c.req("GET", vm_id("vm-a") + "/instanceView")
    codes = [s["code"] for s in b["statuses"]]
    check("vm instanceView: ProvisioningState/succeeded and PowerState/running",
          st == 200 and codes == ["ProvisioningState/succeeded", "PowerState/running"], b)
    ex = example("VirtualMachine_Get_InstanceView.json")
    check("vm instanceView: shaped like Microsoft's example (statuses, disks, computerName)",
          set(b) <= set(ex) and all(set(x) <= set(ex["statuses"][0]) for x in b["statuses"])
          and b["statuses"][1]["displayStatus"] == ex["statuses"][1]["displayStatus"]
          and [d["name"] for d in b["disks"]] == ["os-vm-a", "da0", "da1"], b)
    check("vm instanceView: deallocated VM shows PowerState/deallocated", c.power("vm-b") == "deallocated")
    st, _, b = c.req("GET", vm_id("vm-b"), query=API + "&$expand=instanceView")
    check("vm GET $expand=instanceView: properties.instanceView.statuses",
          st == 200 and "PowerState/deallocated" in [s["code"] for s in
                                                     b["properties"]["instanceView"]["statuses"]], b)
    st, _, b = c.req("GET", C + "/virtualMachines")
    st2, _, b2 = c.req("GET", "/subscriptions/%s/providers/Microsoft.Compute/virtualMachines" % SUB)
    check("vm list by resource group and by subscription",
          st == 200 and [x["name"] for x in b["value"]] == ["vm-a", "vm-b", "vm-c"]
          and st2 == 200 and len(b2["value"]) == 3, (b, b2))
    st, _, b = c.req("GET", vm_id("nope"))
    check("vm GET missing: 404 ResourceNotFound", st == 404 and T.error_code(b) == "ResourceNotFound", b)
    check("vm seed: --device-dir shows the seeded LUNs", sorted(os.listdir(os.path.join(dev, "vm-a")))
          == ["lun0", "lun1"])


def t_attach_detach(T, c, dev):
    check = T.check
    st, h, b = c.attach_detach("vm-a", attach=[("free1", 2, {"caching": "None"})])
    check("attachDetachDataDisks: 202 with Azure-AsyncOperation (Compute operations URL), "
          "Location, Retry-After",
          st == 202 and "/providers/Microsoft.Compute/locations/westeurope/operations/"
          in h.get("azure-asyncoperation", "") and "monitor=true" in h.get("location", "")
          and h.get("retry-after") == "1", (st, h, b))
    v = c.vm("vm-a")
    check("attach in progress: VM Updating, new disk listed at its LUN",
          v["properties"]["provisioningState"] == "Updating"
          and 2 in {e["lun"] for e in v["properties"]["storageProfile"]["dataDisks"]}, v)
    check("attach in progress: the disk is held already (managedBy)",
          c.disk("free1").get("managedBy") == vm_id("vm-a"))
    check("attach in progress: no device file yet", not os.path.exists(os.path.join(dev, "vm-a", "lun2")))
    done = c.wait(h)
    check("attach: operation Succeeded", done and done["status"] == "Succeeded", done)
    st, _, b = c.s.request("GET", h["location"], token=c.tok)
    check("attach: the Location poll's final body is the storage profile",
          st == 200 and [e["lun"] for e in b["dataDisks"]] == [0, 1, 2] and "osDisk" in b, (st, b))
    ex = example("VirtualMachine_AttachDetachDataDisks_MaximumSet_Gen.json")
    ex_keys = set(ex["dataDisks"][0]) | {"toBeDetached"}   # VirtualMachine_Get.json shows it
    check("attach: storage profile entries use the fields of Microsoft's example",
          st == 200 and all(set(e) <= ex_keys for e in b["dataDisks"])
          and set(b["osDisk"]) <= set(ex["osDisk"]) | {"deleteOption"},
          [sorted(set(e) - ex_keys) for e in b["dataDisks"]])
    d = c.disk("free1")
    check("attach: disk Attached, managedBy the VM",
          d["properties"]["diskState"] == "Attached" and d["managedBy"] == vm_id("vm-a"), d)
    check("attach: --device-dir file DIR/vm-a/lun2 exists (empty regular file)",
          os.path.isfile(os.path.join(dev, "vm-a", "lun2"))
          and os.path.getsize(os.path.join(dev, "vm-a", "lun2")) == 0)
    check("attach: VM provisioningState Succeeded", c.vm("vm-a")["properties"]["provisioningState"]
          == "Succeeded")
    # Hot detach from a running VM.
    st, h, _ = c.attach_detach("vm-a", detach=[("free1", {})])
    e = c.luns("vm-a").get(2, {})
    check("detach in progress: entry marked toBeDetached, disk still held",
          st == 202 and e.get("toBeDetached") is True and c.disk("free1").get("managedBy"), e)
    c.wait(h)
    d = c.disk("free1")
    check("detach (VM running): entry gone, disk Unattached without managedBy",
          2 not in c.luns("vm-a") and d["properties"]["diskState"] == "Unattached"
          and "managedBy" not in d, d)
    check("detach: device file removed", not os.path.exists(os.path.join(dev, "vm-a", "lun2")))
    st, h, _ = c.attach_detach("vm-a", attach=[("free1", 5, {"caching": "ReadOnly",
                                                             "writeAcceleratorEnabled": True})],
                               detach=[("da1", {})])
    c.wait(h)
    l = c.luns("vm-a")
    check("attach and detach in one call: da1 gone, free1 at LUN 5 with caching and "
          "writeAcceleratorEnabled", st == 202 and sorted(l) == [0, 5]
          and l[5]["caching"] == "ReadOnly" and l[5]["writeAcceleratorEnabled"] is True
          and "managedBy" not in c.disk("da1"), l)
    st, h, _ = c.attach_detach("vm-a", attach=[("da1", 1, {})], detach=[("free1", {})])
    c.wait(h)
    check("back to the seeded disks", sorted(c.luns("vm-a")) == [0, 1]
          and sorted(os.listdir(os.path.join(dev, "vm-a"))) == ["lun0", "lun1"])


def t_conflicts(T, c, dev):
    check = T.check

    def refused(name, vm, want_status, want_code, target=None, **kw):
        st, _, b = c.attach_detach(vm, **kw)
        err = (b or {}).get("error", {}) if isinstance(b, dict) else {}
        check("refused: %s -> %d %s" % (name, want_status, want_code),
              st == want_status and err.get("code") == want_code
              and (target is None or err.get("target") == target), (st, b))
        return err
    err = refused("a disk another VM holds", "vm-b", 409, "ConflictingUserInput",
                  attach=[("da0", 0, {})])
    check("refused: the message names the holding VM", vm_id("vm-a") in err.get("message", ""), err)
    refused("a LUN in use", "vm-a", 400, "InvalidParameter", "dataDisksToAttach[0].lun",
            attach=[("free2", 0, {})])
    refused("a LUN outside 0..63", "vm-a", 400, "InvalidParameter", "dataDisksToAttach[0].lun",
            attach=[("free2", 64, {})])
    refused("another zone", "vm-a", 400, "BadRequest", attach=[("free-z2", 4, {})])
    refused("a regional disk on a zonal VM", "vm-a", 400, "BadRequest", attach=[("free-nozone", 4, {})])
    refused("another region", "vm-a", 400, "BadRequest", attach=[("free-north", 4, {})])
    refused("a missing disk", "vm-a", 404, "NotFound", attach=[("no-such-disk", 4, {})])
    refused("detach of a disk not attached", "vm-a", 400, "InvalidParameter",
            "dataDisksToDetach[0]", detach=[("free2", {})])
    refused("an unknown detachOption", "vm-a", 400, "InvalidParameter", detach=[("da1", {"detachOption": "Later"})])
    check("refusals changed nothing", sorted(c.luns("vm-a")) == [0, 1]
          and c.disk("free2")["properties"]["diskState"] == "Unattached"
          and c.vm("vm-a")["properties"]["provisioningState"] == "Succeeded")
    st, h, _ = c.attach_detach("vm-a", attach=[("free-zrs", 7, {})])
    c.wait(h)
    check("a ZRS disk attaches to a zonal VM", st == 202 and 7 in c.luns("vm-a"))
    # While da1 is being detached from vm-a, vm-b cannot take it.
    st, h, _ = c.attach_detach("vm-a", detach=[("da1", {}), ("free-zrs", {})])
    refused("a disk being detached from another VM", "vm-b", 409, "AttachDiskWhileBeingDetached",
            attach=[("da1", 0, {})])
    refused("a VM with an operation in progress", "vm-a", 409, "OperationNotAllowed",
            attach=[("free2", 3, {})])
    c.wait(h)
    st, h, _ = c.attach_detach("vm-a", attach=[("da1", 1, {})])
    c.wait(h)
    st, _, b = c.req("DELETE", disk_id("da0"))
    check("deleting an attached disk: 409 OperationNotAllowed",
          st == 409 and T.error_code(b) == "OperationNotAllowed", (st, b))


def t_power(T, c, dev):
    check = T.check
    st, h, b = c.req("POST", vm_id("vm-a") + "/deallocate")
    check("deallocate: 202 + Azure-AsyncOperation + Location + Retry-After",
          st == 202 and h.get("azure-asyncoperation") and h.get("location")
          and h.get("retry-after"), (st, h))
    check("deallocate: PowerState/deallocating while it runs", c.power("vm-a") == "deallocating")
    st2, h2, _ = c.req("POST", vm_id("vm-a") + "/deallocate")
    check("deallocate again while deallocating: 202, the same operation",
          st2 == 202 and h2.get("azure-asyncoperation") == h["azure-asyncoperation"], h2)
    st3, _, b3 = c.req("POST", vm_id("vm-a") + "/start")
    check("start while deallocating: 409 OperationNotAllowed",
          st3 == 409 and T.error_code(b3) == "OperationNotAllowed", b3)
    c.wait(h)
    st, _, b = c.s.request("GET", h["location"], token=c.tok)
    check("deallocate: PowerState/deallocated at the end; the Location poll ends 200",
          c.power("vm-a") == "deallocated" and st == 200, (st, b))
    check("deallocated VM: its disks are Reserved (still managedBy)",
          c.disk("da0")["properties"]["diskState"] == "Reserved"
          and c.disk("os-vm-a")["properties"]["diskState"] == "Reserved"
          and c.disk("da0")["managedBy"] == vm_id("vm-a"))
    st, h, _ = c.attach_detach("vm-a", attach=[("free2", 2, {})])
    c.wait(h)
    check("attach to a deallocated VM: allowed, the disk Reserved",
          st == 202 and c.disk("free2")["properties"]["diskState"] == "Reserved")
    st, h, _ = c.attach_detach("vm-a", detach=[("free2", {"detachOption": "ForceDetach"})])
    e = c.luns("vm-a").get(2, {})
    check("ForceDetach: accepted, the entry shows toBeDetached + detachOption ForceDetach",
          st == 202 and e.get("toBeDetached") is True and e.get("detachOption") == "ForceDetach", e)
    c.wait(h)
    check("ForceDetach: disk free", "managedBy" not in c.disk("free2"))
    st, h, _ = c.req("POST", vm_id("vm-a") + "/start")
    check("start: 202, PowerState/starting", st == 202 and c.power("vm-a") == "starting")
    c.wait(h)
    check("start: PowerState/running, disks Attached again", c.power("vm-a") == "running"
          and c.disk("da0")["properties"]["diskState"] == "Attached")
    st, h, _ = c.req("POST", vm_id("vm-a") + "/powerOff")
    check("powerOff: 202, PowerState/stopping", st == 202 and c.power("vm-a") == "stopping")
    c.wait(h)
    check("powerOff: PowerState/stopped, disks stay Attached", c.power("vm-a") == "stopped"
          and c.disk("da0")["properties"]["diskState"] == "Attached")
    st, _, b = c.req("POST", vm_id("vm-b") + "/powerOff")
    check("powerOff of a deallocated VM: 409 OperationNotAllowed",
          st == 409 and T.error_code(b) == "OperationNotAllowed", b)
    st, h, _ = c.req("POST", vm_id("vm-b") + "/deallocate")
    c.wait(h)
    check("deallocate of a deallocated VM: accepted, stays deallocated",
          st == 202 and c.power("vm-b") == "deallocated")
    st, h, _ = c.req("POST", vm_id("vm-a") + "/start")
    c.wait(h)
    st, _, b = c.req("POST", vm_id("nope") + "/start")
    check("start of a missing VM: 404", st == 404, b)


def t_patch_form(T, c, dev):
    check = T.check
    disks = c.vm("vm-a")["properties"]["storageProfile"]["dataDisks"]
    new = disks + [{"lun": 3, "createOption": "Attach", "caching": "ReadWrite",
                    "managedDisk": {"id": disk_id("free3")}}]
    st, h, b = c.req("PATCH", vm_id("vm-a"), {"properties": {"storageProfile": {"dataDisks": new}}})
    check("PATCH attach (createOption Attach): 200 + Azure-AsyncOperation, VM Updating",
          st == 200 and h.get("azure-asyncoperation") and b["properties"]["provisioningState"]
          == "Updating", (st, b))
    c.wait(h)
    l = c.luns("vm-a")
    check("PATCH attach: disk at LUN 3, Attached, device file",
          3 in l and l[3]["caching"] == "ReadWrite" and c.disk("free3")["managedBy"] == vm_id("vm-a")
          and os.path.exists(os.path.join(dev, "vm-a", "lun3")), l)
    disks = c.vm("vm-a")["properties"]["storageProfile"]["dataDisks"]
    for e in disks:
        if e["lun"] == 3:
            e["toBeDetached"] = True
            e["detachOption"] = "ForceDetach"
    st, h, b = c.req("PATCH", vm_id("vm-a"), {"properties": {"storageProfile": {"dataDisks": disks}}})
    check("PATCH detach (toBeDetached + ForceDetach): 200, entry marked",
          st == 200 and any(e.get("toBeDetached") for e in b["properties"]["storageProfile"]["dataDisks"]), b)
    c.wait(h)
    check("PATCH detach: LUN 3 gone, disk free, device removed",
          3 not in c.luns("vm-a") and "managedBy" not in c.disk("free3")
          and not os.path.exists(os.path.join(dev, "vm-a", "lun3")))
    bad = disks[:1] + [{"lun": 0, "createOption": "Attach", "managedDisk": {"id": disk_id("free3")}}]
    st, _, b = c.req("PATCH", vm_id("vm-a"), {"properties": {"storageProfile": {"dataDisks": bad}}})
    check("PATCH with a LUN in use: 400 InvalidParameter", st == 400
          and T.error_code(b) == "InvalidParameter" and sorted(c.luns("vm-a")) == [0, 1], b)
    disks = c.vm("vm-a")["properties"]["storageProfile"]["dataDisks"]
    disks[1]["caching"] = "ReadWrite"
    st, h, b = c.req("PATCH", vm_id("vm-a"), {"properties": {"storageProfile": {"dataDisks": disks}}})
    c.wait(h)
    check("PATCH of an attached disk's caching: changed, nothing attached or detached",
          st == 200 and c.luns("vm-a")[1]["caching"] == "ReadWrite" and sorted(c.luns("vm-a")) == [0, 1]
          and c.disk("da1")["managedBy"] == vm_id("vm-a"), c.luns("vm-a"))
    disks[1]["caching"] = "Sometimes"
    st, _, b = c.req("PATCH", vm_id("vm-a"), {"properties": {"storageProfile": {"dataDisks": disks}}})
    check("PATCH with an unknown caching: 400 InvalidParameter", st == 400
          and T.error_code(b) == "InvalidParameter", b)
    disks[1]["caching"] = "None"
    st, h, b = c.req("PATCH", vm_id("vm-a"), {"properties": {"storageProfile": {"dataDisks": disks}}})
    c.wait(h)
    st, h, b = c.req("PATCH", vm_id("vm-a"), {"tags": {"role": "primary"}})
    c.wait(h)
    check("PATCH tags only: disks untouched", st == 200 and c.vm("vm-a")["tags"] == {"role": "primary"}
          and sorted(c.luns("vm-a")) == [0, 1])


def t_create_delete(T, c, dev):
    check = T.check
    body = {"location": "westeurope", "properties": {
        "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
        "storageProfile": {"osDisk": {"createOption": "FromImage", "name": "os-vm-new",
                                      "osType": "Linux", "managedDisk": {"storageAccountType": "Premium_LRS"}},
                           "dataDisks": [{"lun": 0, "createOption": "Empty", "diskSizeGB": 8, "name": "new-empty"},
                                         {"lun": 1, "createOption": "Attach",
                                          "managedDisk": {"id": disk_id("free-nozone")}}]},
        "networkProfile": {"networkInterfaces": [{"id": RG + "/providers/Microsoft.Network/"
                                                  "networkInterfaces/nic-new"}]}}}
    st, h, b = c.req("PUT", vm_id("vm-new"), body)
    check("VM PUT (create): 201 Creating + Azure-AsyncOperation",
          st == 201 and b["properties"]["provisioningState"] == "Creating"
          and h.get("azure-asyncoperation"), (st, b))
    c.wait(h)
    v = c.vm("vm-new")
    check("VM create: Succeeded, running, OS disk and Empty data disk made, Attach disk held",
          v["properties"]["provisioningState"] == "Succeeded" and c.power("vm-new") == "running"
          and c.disk("os-vm-new")["managedBy"] == vm_id("vm-new")
          and c.disk("new-empty")["properties"]["diskSizeGB"] == 8
          and c.disk("free-nozone")["managedBy"] == vm_id("vm-new"), v)
    st, _, b = c.req("PUT", vm_id("vm-bad"), dict(body, properties=dict(body["properties"], storageProfile={
        "osDisk": {"createOption": "Attach", "managedDisk": {"id": disk_id("os-vm-a")}}})))
    check("VM create on an OS disk another VM holds: 409 ConflictingUserInput, no VM",
          st == 409 and T.error_code(b) == "ConflictingUserInput"
          and c.req("GET", vm_id("vm-bad"))[0] == 404, b)
    body["properties"]["storageProfile"]["osDisk"]["name"] = "os-vm-bad2"
    body["properties"]["storageProfile"]["dataDisks"] = [{"lun": 0, "createOption": "Attach",
                                                          "managedDisk": {"id": disk_id("da0")}}]
    st, _, b = c.req("PUT", vm_id("vm-bad2"), body)
    check("VM create with a held data disk: 409 ConflictingUserInput, no VM, its FromImage OS "
          "disk not left behind", st == 409 and T.error_code(b) == "ConflictingUserInput"
          and c.req("GET", vm_id("vm-bad2"))[0] == 404
          and c.req("GET", disk_id("os-vm-bad2"))[0] == 404, b)
    st, h, _ = c.req("DELETE", vm_id("vm-new"))
    check("VM DELETE: 202", st == 202)
    c.wait(h)
    check("VM DELETE: gone, its disks kept (deleteOption Detach) and free",
          c.req("GET", vm_id("vm-new"))[0] == 404 and "managedBy" not in c.disk("free-nozone")
          and c.disk("new-empty")["properties"]["diskState"] == "Unattached")


def t_faults(T, c, dev):
    check = T.check
    srv = c.s
    srv.set_faults({"rules": [{"name": "fail-attach", "path": "/attachDetachDataDisks$",
                               "action": "fail-lro", "code": "InternalExecutionError", "times": 1}]})
    st, h, _ = c.attach_detach("vm-a", attach=[("free2", 2, {})])
    done = c.wait(h)
    st2, _, b2 = srv.request("GET", h["location"], token=c.tok)
    check("fail-lro on attachDetachDataDisks: operation Failed with the code, Location poll 500",
          done and done["status"] == "Failed" and done["error"]["code"] == "InternalExecutionError"
          and st2 == 500, (done, st2, b2))
    check("failed attach: VM Failed, data disks as before, disk not held, no device",
          c.vm("vm-a")["properties"]["provisioningState"] == "Failed" and sorted(c.luns("vm-a")) == [0, 1]
          and "managedBy" not in c.disk("free2") and not os.path.exists(os.path.join(dev, "vm-a", "lun2")))
    srv.set_faults({"rules": [{"name": "dealloc-503", "path": "/deallocate$", "action": "error",
                               "status": 503, "times": 1},
                              {"name": "start-lock", "path": "/start$", "action": "lock", "times": 1}]})
    st, _, b = c.req("POST", vm_id("vm-a") + "/deallocate")
    check("503 fault on deallocate: nothing done", st == 503 and c.power("vm-a") == "running", (st, b))
    st, _, b = c.req("POST", vm_id("vm-a") + "/start")
    check("lock fault on start: 409 ScopeLocked", st == 409 and T.error_code(b) == "ScopeLocked", b)
    srv.set_faults({"rules": [{"name": "dealloc-drop-after", "path": "/deallocate$",
                               "action": "drop-after", "times": 1}]})
    try:
        c.req("POST", vm_id("vm-a") + "/deallocate")
        dropped = False
    except Exception:
        dropped = True
    check("drop-after on deallocate: no answer, but the deallocation happens",
          dropped and T.wait_for(lambda: c.power("vm-a") == "deallocated"))
    srv.set_faults({"rules": [{"name": "iv-500", "path": "/instanceView$", "action": "error",
                               "status": 500}]})
    check("faults on instanceView (a source that does not answer)",
          c.req("GET", vm_id("vm-a") + "/instanceView")[0] == 500)
    srv.clear_faults()
    recs = srv.log_records()
    check("request log: the VM operations and their faults are logged",
          any(r["method"] == "POST" and r["path"].endswith("/deallocate") and r.get("dropped") == "after"
              for r in recs)
          and any(r.get("kind") == "operation" and "/operations/" in r["path"] for r in recs))
    st, h, _ = c.req("POST", vm_id("vm-a") + "/start")
    c.wait(h)


def t_restart(T, work, old, dev):
    check = T.check
    srv = T.Server(work, "vm", ["--lro-seconds", "1.5", "--device-dir", dev, "--device-delay", "0.6"],
                   state=old.state)
    try:
        c = Vm(T, srv, srv.bearer())
        check("restart: VM power state, data disks, disk states kept",
              c.power("vm-a") == "running" and c.power("vm-b") == "deallocated"
              and sorted(c.luns("vm-a")) == [0, 1] and c.disk("os-vm-b")["properties"]["diskState"]
              == "Reserved" and c.vm("vm-a")["tags"] == {"role": "primary"})
        st, h, _ = c.attach_detach("vm-a", attach=[("free2", 4, {})])
        srv.stop()
        srv = T.Server(work, "vm", ["--lro-seconds", "1.5", "--device-dir", dev, "--device-delay",
                                    "0.6"], state=old.state)
        c = Vm(T, srv, srv.bearer())
        check("restart mid-attach: the operation is still running", c.vm("vm-a")["properties"]
              ["provisioningState"] == "Updating")
        ended = T.wait_for(lambda: c.vm("vm-a")["properties"]["provisioningState"] == "Succeeded")
        t_end = time.time()
        path = os.path.join(dev, "vm-a", "lun4")
        early = os.path.exists(path)
        appeared = T.wait_for(lambda: os.path.exists(path), 5)
        check("restart mid-attach: completes; --device-delay holds the device back, then it appears",
              ended and not early and appeared and time.time() - t_end >= 0.3,
              (ended, early, appeared))
    finally:
        srv.stop()
