"""Microsoft.Compute/virtualMachines: GET/list/PUT/PATCH/DELETE, the
instance view with power states, the power actions and attach/detach of
data disks, all long-running through the operation machinery of arm.py
(so --lro-seconds, fail-lro, drops, throttling and the log apply), and the
disks' managedBy/diskState kept in step. Mixed into arm.Arm.

Model (see tests/arm/README.md, "Virtual machines"): a change to a VM's
data disks shows in the VM at once (new disks listed, leaving ones marked
toBeDetached, provisioningState Updating) and the disks it takes are held
(managedBy) from the start, so a second VM cannot grab them meanwhile; the
operation's end drops the detached entries, frees their disks and syncs
the --device-dir files. A failed operation puts everything back and leaves
the VM provisioningState Failed."""
import json
import os
import re
import threading
import uuid

from . import store as st
from .vclock import arm_time

VM_KIND = "virtualmachines"
# Linux VM names: 1-64 letters, digits, '_', '.', '-'; no '.' or '-' at the end.
VM_NAME_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$")
MAX_LUN = 63
ACTIONS = {"deallocate": ("deallocating", "deallocated"),
           "poweroff": ("stopping", "stopped"),
           "start": ("starting", "running")}
ACTION_NAMES = {"deallocate": "deallocate", "poweroff": "powerOff", "start": "start"}
DISPLAY = {"running": "VM running", "stopped": "VM stopped", "deallocated": "VM deallocated",
           "deallocating": "VM deallocating", "starting": "VM starting", "stopping": "VM stopping"}
CACHING = ("None", "ReadOnly", "ReadWrite")


def _copy(obj):
    return json.loads(json.dumps(obj))


def _zones(obj):
    return [str(z) for z in (obj.get("zones") or [])]


def _disk_key_of(entry):
    mid = ((entry or {}).get("managedDisk") or {}).get("id")
    return st.norm_id(mid) if isinstance(mid, str) and mid else None


def link_seeded_vms(store):
    """After loading a seed: every disk a VM lists is held by it (managedBy,
    diskState Attached, or Reserved while the VM is deallocated); a disk a
    VM lists must exist and be held by no other VM. Disks nobody holds get
    diskState Unattached unless the seed says otherwise."""
    holder = {}
    for vkey in store.sorted[VM_KIND]:
        vm = store.get(vkey)
        sp = vm["properties"].setdefault("storageProfile", {})
        entries = [("osDisk", sp["osDisk"])] if sp.get("osDisk") else []
        entries += [("dataDisks", d) for d in sp.setdefault("dataDisks", [])]
        luns = set()
        for where, e in entries:
            dkey = _disk_key_of(e)
            if dkey is None:
                continue
            disk = store.get(dkey)
            if disk is None or st.Store.kind_of(dkey) != "disks":
                raise ValueError("seed: VM %s lists disk %s, which is not in the seed"
                                 % (vm["id"], e["managedDisk"]["id"]))
            if dkey in holder and holder[dkey] != vkey:
                raise ValueError("seed: disk %s is listed by two VMs" % disk["id"])
            holder[dkey] = vkey
            if where == "dataDisks":
                lun = e.get("lun")
                if not isinstance(lun, int) or not 0 <= lun <= MAX_LUN or lun in luns:
                    raise ValueError("seed: VM %s: data disk %s needs a unique lun 0..63"
                                     % (vm["id"], disk["id"]))
                luns.add(lun)
                _fill_entry(e, disk)
            disk["managedBy"] = vm["id"]
            disk["properties"]["diskState"] = _held_state(store, vkey)
            store.touch(dkey)
        store.touch(vkey)
    for dkey in store.sorted["disks"]:
        d = store.get(dkey)
        if dkey not in holder:
            d["properties"].setdefault("diskState", "Attached" if d.get("managedBy")
                                       else "Unattached")
            store.touch(dkey)


def _held_state(store, vkey):
    return "Reserved" if store.power.get(vkey) == "deallocated" else "Attached"


def _fill_entry(e, disk):
    """A data-disk entry as ARM shows it (VirtualMachine_Get.json)."""
    e.setdefault("name", disk["name"])
    e.setdefault("createOption", "Attach")
    e.setdefault("caching", "None")
    e.setdefault("writeAcceleratorEnabled", False)
    e.setdefault("deleteOption", "Detach")
    e.setdefault("toBeDetached", False)
    md = e.setdefault("managedDisk", {})
    md.setdefault("storageAccountType", (disk.get("sku") or {}).get("name") or "Standard_LRS")
    if disk["properties"].get("diskSizeGB") is not None:
        e.setdefault("diskSizeGB", disk["properties"]["diskSizeGB"])
    return e


class VmMixin:
    """Methods of arm.Arm for virtual machines (uses its store, clock,
    _start_op, _lro_headers, ArmError...)."""

    # ---- routing ---------------------------------------------------------
    def vm_resource(self, req, grp, name):
        rid = "%s/providers/Microsoft.Compute/virtualMachines/%s" % (grp["id"], name)
        key = st.norm_id(rid)
        m = req.method
        if m == "GET":
            with self.store.lock:
                if self.store.get(key) is None:
                    raise self._not_found(VM_KIND, name, grp)
                text = self.store.text(key)
                if "instanceview" in req.query.get("$expand", [""])[0].lower():
                    obj = json.loads(text)
                    obj["properties"]["instanceView"] = self._instance_view(key)
                    text = json.dumps(obj)
            return text_response(200, text)
        if m == "PUT":
            return self._vm_put(req, grp, name, rid, key)
        if m == "PATCH":
            return self._vm_patch(req, grp, name, rid, key)
        if m == "DELETE":
            return self._vm_delete(req, grp, name, rid, key)
        raise self.arm_error(405, "HttpMethodNotAllowed", "The http method '%s' is not allowed "
                             "for this resource." % m)

    def vm_sub_resource(self, req, grp, name, what):
        rid = "%s/providers/Microsoft.Compute/virtualMachines/%s" % (grp["id"], name)
        key = st.norm_id(rid)
        if what == "instanceview":
            self._only(req.method, "GET")
            with self.store.lock:
                if self.store.get(key) is None:
                    raise self._not_found(VM_KIND, name, grp)
                return text_response(200, json.dumps(self._instance_view(key)))
        self._only(req.method, "POST")
        if what in ACTIONS:
            return self._vm_action(req, grp, name, rid, key, what)
        if what == "attachdetachdatadisks":
            return self._vm_attach_detach(req, grp, name, rid, key)
        raise self.arm_error(404, "InvalidRequestUri", "The request URI '%s' is not valid."
                             % req.path)

    # ---- reading -----------------------------------------------------------
    def _instance_view(self, key):
        vm = self.store.get(key)
        power = self.store.power.get(key, "running")
        prov = vm["properties"].get("provisioningState") or "Succeeded"
        now = arm_time(int(self.clock.now() * 10_000_000))
        statuses = [{"code": "ProvisioningState/" + prov.lower(), "level":
                     "Error" if prov == "Failed" else "Info",
                     "displayStatus": "Provisioning " + prov.lower() if prov in
                     ("Succeeded", "Failed") else prov, "time": now},
                    {"code": "PowerState/" + power, "level": "Info", "displayStatus": DISPLAY[power]}]
        sp = vm["properties"].get("storageProfile") or {}
        disks = [sp["osDisk"]] if sp.get("osDisk") else []
        disks += sp.get("dataDisks") or []
        view = {"computerName": vm["name"], "statuses": statuses,
                "disks": [{"name": d.get("name") or "", "statuses": [
                    {"code": "ProvisioningState/succeeded", "level": "Info",
                     "displayStatus": "Provisioning succeeded", "time": now}]} for d in disks]}
        hv = (vm["properties"].get("instanceView") or {}).get("hyperVGeneration")
        if hv:
            view["hyperVGeneration"] = hv
        return view

    # ---- helpers -------------------------------------------------------------
    def _vm_busy(self, key, name, op_name):
        busy = self._busy(key)
        if busy is not None:
            raise self.arm_error(409, "OperationNotAllowed", "Operation '%s' is not allowed on "
                                 "VM '%s' since another operation is in progress (operation "
                                 "%s)." % (op_name, name, busy["id"]))

    def _vm_get(self, key, name, grp):
        vm = self.store.get(key)
        if vm is None:
            raise self._not_found(VM_KIND, name, grp)
        if vm["properties"].get("provisioningState") == "Deleting":
            raise self.arm_error(409, "OperationNotAllowed", "Operation is not allowed on VM "
                                 "'%s' since the VM is marked for deletion. You can only retry "
                                 "the Delete operation (or wait for an ongoing one to complete)."
                                 % name)
        return vm

    def _disk_for(self, disk_id, target):
        """The existing managed disk disk_id names, or ArmError."""
        parts = st.split_id(disk_id) if isinstance(disk_id, str) else None
        if parts is None or parts[2] != "disks":
            raise self.arm_error(400, "InvalidParameter", "The value '%s' of parameter "
                                 "'managedDisk.id' is not a managed disk resource id."
                                 % disk_id, target)
        dkey = st.norm_id(disk_id)
        disk = self.store.get(dkey)
        if disk is None:
            raise self.arm_error(404, "NotFound", "Disk '%s' is not found." % disk_id, target)
        return dkey, disk

    def _check_attach(self, vm, vkey, dkey, disk, target):
        """ARM's refusals for taking disk onto vm (the LUN is checked elsewhere)."""
        holder = disk.get("managedBy")
        if holder and st.norm_id(holder) != vkey:
            hkey = st.norm_id(holder)
            op = self._busy(hkey)
            if op is not None and dkey in (op.get("detach") or []):
                raise self.arm_error(409, "AttachDiskWhileBeingDetached", "Cannot attach data "
                                     "disk '%s' to VM '%s' because the disk is currently being "
                                     "detached. Please wait until the disk is completely "
                                     "detached and then try again." % (disk["name"], vm["name"]),
                                     target)
            raise self.arm_error(409, "ConflictingUserInput", "Disk '%s' cannot be attached as "
                                 "the disk is already owned by VM '%s'." % (disk["id"], holder),
                                 target)
        busy = self._busy(dkey)
        state = disk["properties"].get("provisioningState")
        if busy is not None or state not in ("Succeeded", None):
            raise self.arm_error(409, "OperationNotAllowed", "Disk '%s' cannot be attached: an "
                                 "operation is in progress on it (provisioningState %s)."
                                 % (disk["id"], state), target)
        if st.norm_location(disk["location"]) != st.norm_location(vm["location"]):
            raise self.arm_error(400, "BadRequest", "Disk %s cannot be attached to the VM "
                                 "because it is in location '%s' and the VM is in '%s'."
                                 % (disk["id"], st.norm_location(disk["location"]),
                                    st.norm_location(vm["location"])), target)
        sku = ((disk.get("sku") or {}).get("name") or "").lower()
        if not sku.endswith("_zrs") and _zones(disk) != _zones(vm):
            raise self.arm_error(400, "BadRequest", "Disk %s cannot be attached to the VM "
                                 "because it is not in the same zone as the VM. VM zone: '%s'. "
                                 "Disk zone: '%s'." % (disk["id"], ",".join(_zones(vm)),
                                                       ",".join(_zones(disk))), target)

    @staticmethod
    def _lun(value, target):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_LUN:
            raise VmMixin._static_error(400, "InvalidParameter", "The value '%s' of parameter "
                                        "'lun' is invalid: a data disk LUN is an integer from 0 "
                                        "to %d." % (value, MAX_LUN), target)
        return value

    @staticmethod
    def _static_error(*a):
        from .arm import ArmError
        return ArmError(*a)

    def arm_error(self, *a):
        return self._static_error(*a)

    def _caching(self, value, target):
        v = value or "None"
        if v not in CACHING:
            raise self.arm_error(400, "InvalidParameter", "The value '%s' of parameter "
                                 "'caching' is invalid (None, ReadOnly, ReadWrite)." % v, target)
        return v

    def _new_disk_for_vm(self, vm, entry, name, size, os_type, now, target):
        """createOption Empty (data) / FromImage (OS): ARM makes the disk."""
        if not isinstance(size, int) or size <= 0:
            raise self.arm_error(400, "InvalidParameter", "diskSizeGB is required for an empty "
                                 "data disk.", target)
        grp_id = vm["id"].rsplit("/providers/", 1)[0]
        rid = "%s/providers/Microsoft.Compute/disks/%s" % (grp_id, name)
        dkey = st.norm_id(rid)
        if self.store.get(dkey) is not None:
            raise self.arm_error(409, "ConflictingUserInput", "Disk '%s' already exists." % rid,
                                 target)
        sku = ((entry.get("managedDisk") or {}).get("storageAccountType")) or "Standard_LRS"
        p = {"creationData": {"createOption": "Empty" if os_type is None else "FromImage"},
             "diskSizeGB": size, "diskSizeBytes": size * 1024 ** 3, "diskIOPSReadWrite": 500,
             "diskMBpsReadWrite": 60, "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
             "networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Enabled",
             "timeCreated": arm_time(self.store.next_ticks(now)), "provisioningState": "Succeeded",
             "diskState": "Unattached", "uniqueId": str(uuid.uuid4())}
        if os_type:
            p["osType"] = os_type
        disk = {"name": name, "id": rid, "type": "Microsoft.Compute/disks",
                "location": vm["location"], "sku": {"name": sku, "tier": "Premium" if
                                                    sku.lower().startswith("premium") else "Standard"},
                "properties": p}
        if vm.get("zones"):
            disk["zones"] = list(vm["zones"])
        self.store.put(dkey, disk)
        if self._created is not None:
            self._created.append(dkey)
        entry["managedDisk"] = dict(entry.get("managedDisk") or {}, id=rid)
        return dkey, disk

    def _plan_attach(self, vm, vkey, attach, now, by_key, used, taken):
        for entry, target in attach:
            lun = self._lun(entry.get("lun"), target + ".lun")
            create = entry.get("createOption") or "Attach"
            if lun in used:
                raise self.arm_error(400, "InvalidParameter", "A disk at LUN %d already exists."
                                     % lun, target + ".lun")
            if create == "Empty":
                name = entry.get("name") or "%s_DataDisk_%d" % (vm["name"], lun)
                dkey, disk = self._new_disk_for_vm(vm, entry, name, entry.get("diskSizeGB"),
                                                   None, now, target)
            elif create == "Attach":
                dkey, disk = self._disk_for((entry.get("managedDisk") or {}).get("id")
                                            or entry.get("diskId"), target + ".managedDisk.id")
                if dkey in by_key:
                    raise self.arm_error(400, "InvalidParameter", "A disk named '%s' already "
                                         "exists." % disk["name"], target)
                self._check_attach(vm, vkey, dkey, disk, target)
            else:
                raise self.arm_error(400, "InvalidParameter", "createOption '%s' of a data "
                                     "disk is not supported by this test server (Attach, "
                                     "Empty)." % create, target + ".createOption")
            if any(t[0] == dkey for t in taken):
                raise self.arm_error(400, "InvalidParameter", "A disk named '%s' already "
                                     "exists." % disk["name"], target)
            new = {"lun": lun, "name": disk["name"], "createOption": "Attach",
                   "caching": self._caching(entry.get("caching"), target + ".caching"),
                   "writeAcceleratorEnabled": bool(entry.get("writeAcceleratorEnabled", False)),
                   "managedDisk": {"id": disk["id"]}, "deleteOption": entry.get("deleteOption")
                   or "Detach", "toBeDetached": False}
            if create == "Empty":
                new["createOption"] = "Empty"
            _fill_entry(new, disk)
            used[lun] = new
            taken.append((dkey, new, disk))

    # ---- the data-disk change shared by PUT, PATCH and attachDetachDataDisks --
    def _plan_disks(self, vm, vkey, attach, detach, now, form):
        """Validates and applies a change of vm's data disks: attach is a
        list of (entry, target) to add, detach a list of (disk key, option,
        target) to drop. Returns the record the operation keeps."""
        props = vm["properties"]
        sp = props.setdefault("storageProfile", {})
        current = sp.setdefault("dataDisks", [])
        before = {"dataDisks": _copy(current), "disks": {}}
        by_key = {_disk_key_of(e): e for e in current}
        leaving = set()
        for dkey, option, target in detach:
            if by_key.get(dkey) is None:
                raise self.arm_error(400, "InvalidParameter", "Data disk '%s' is not attached "
                                     "to VM '%s'." % (dkey, vm["name"]), target)
            if option not in (None, "ForceDetach"):
                raise self.arm_error(400, "InvalidParameter", "The value '%s' of parameter "
                                     "'detachOption' is invalid (ForceDetach)." % option, target)
            leaving.add(dkey)
        used = {e["lun"]: e for e in current if _disk_key_of(e) not in leaving}
        taken = []
        created = self._created = []
        try:
            self._plan_attach(vm, vkey, attach, now, by_key, used, taken)
        except Exception:
            for k in created:       # disks made for createOption Empty: nothing half-done
                self.store.remove(k)
            raise
        finally:
            self._created = None
        # Valid: apply. Leaving disks stay listed, marked, until the operation ends.
        for e in current:
            dk = _disk_key_of(e)
            if dk in leaving:
                e["toBeDetached"] = True
                opt = next((o for k, o, _ in detach if k == dk), None)
                if opt:
                    e["detachOption"] = opt
        for dkey, new, disk in taken:
            before["disks"][dkey] = {"managedBy": disk.get("managedBy"),
                                     "diskState": disk["properties"].get("diskState")}
            current.append(new)
            disk["managedBy"] = vm["id"]
            disk["properties"]["diskState"] = _held_state(self.store, vkey)
            self.store.touch(dkey)
        current.sort(key=lambda e: e.get("lun", 0))
        return {"attach": [t[0] for t in taken], "detach": sorted(leaving), "before": before,
                "form": form}

    def _vm_op(self, req, kind, key, vm, now, changes=None, action=None, result=None):
        vm["properties"]["provisioningState"] = "Updating"
        self.store.touch(key)
        op = self._start_op(req, kind, key, vm["location"], now)
        op["path"] = "operations"
        if changes:
            op.update(changes)
        if action:
            op["action"] = action
        if result:
            op["result"] = result
        return op

    def _answer(self, status, req, op, text):
        gen = self.store.commit()
        return status, self._lro_headers(req, op), text.encode("utf-8"), gen

    # ---- PUT / PATCH / DELETE ----------------------------------------------------
    def _vm_put(self, req, grp, name, rid, key):
        if not VM_NAME_RE.match(name):
            raise self.arm_error(400, "InvalidParameter", "The entity name '%s' is invalid."
                                 % name, "vmName")
        if req.flags.get("lock"):
            raise self._locked(rid, "write")
        body = self._json_body(req)
        if not body.get("location"):
            raise self.arm_error(400, "LocationRequired", "The location property is required "
                                 "for this definition.")
        props = body.get("properties") or {}
        now = self.clock.now()
        with self.store.lock:
            existing = self.store.get(key)
            if existing is not None:
                vm = self._vm_get(key, name, grp)
                self._vm_busy(key, name, "update")
                if st.norm_location(body["location"]) != st.norm_location(vm["location"]):
                    raise self.arm_error(409, "InvalidResourceLocation", "The resource '%s' "
                                         "already exists in location '%s'." % (name, vm["location"]))
                if "zones" in body and _zones(body) != _zones(vm):
                    raise self.arm_error(409, "PropertyChangeNotAllowed", "Changing property "
                                         "'zones' is not allowed.", "zones")
                op = self._vm_update(req, vm, key, body, now)
                return self._answer(200, req, op, self.store.text(key))
            vm = {"name": name, "id": rid, "type": "Microsoft.Compute/virtualMachines",
                  "location": st.norm_location(body["location"]),
                  "properties": {"vmId": str(uuid.uuid4()),
                                 "hardwareProfile": props.get("hardwareProfile")
                                 or {"vmSize": "Standard_D2s_v5"},
                                 "storageProfile": {"dataDisks": []},
                                 "networkProfile": props.get("networkProfile") or
                                 {"networkInterfaces": []},
                                 "provisioningState": "Creating",
                                 "timeCreated": arm_time(self.store.next_ticks(now))}}
            if body.get("zones"):
                vm["zones"] = [str(z) for z in body["zones"]]
            if body.get("tags"):
                vm["tags"] = body["tags"]
            for k in ("osProfile", "diagnosticsProfile", "securityProfile"):
                if k in props:
                    vm["properties"][k] = props[k]
            sprof = props.get("storageProfile") or {}
            os_entry = self._os_disk(vm, key, sprof.get("osDisk"), now)
            self.store.put(key, vm)     # _check_attach needs the VM's key to exist
            self.store.power[key] = "running"
            try:
                if os_entry is not None:
                    vm["properties"]["storageProfile"]["osDisk"] = os_entry
                if sprof.get("imageReference"):
                    vm["properties"]["storageProfile"]["imageReference"] = sprof["imageReference"]
                attach = [(e, "storageProfile.dataDisks[%d]" % i)
                          for i, e in enumerate(sprof.get("dataDisks") or [])]
                changes = self._plan_disks(vm, key, attach, [], now, "put")
            except Exception:
                self.store.remove(key)
                if os_entry is not None:
                    okey = st.norm_id(os_entry["managedDisk"]["id"])
                    if os_entry["createOption"] == "FromImage":
                        self.store.remove(okey)     # made for this VM: gone with it
                    else:
                        self._release(okey, None)
                raise
            self.link_nics(vm)
            op = self._vm_op(req, "put", key, vm, now, changes)
            vm["properties"]["provisioningState"] = "Creating"
            self.store.touch(key)
            return self._answer(201, req, op, self.store.text(key))

    def _os_disk(self, vm, key, osd, now):
        """The OS disk entry: Attach an existing disk, or FromImage makes one."""
        if not osd:
            return None
        target = "storageProfile.osDisk"
        create = osd.get("createOption") or "FromImage"
        if create == "Attach":
            dkey, disk = self._disk_for((osd.get("managedDisk") or {}).get("id"),
                                        target + ".managedDisk.id")
            if disk.get("managedBy"):
                raise self.arm_error(409, "ConflictingUserInput", "Disk '%s' cannot be "
                                     "attached as the disk is already owned by VM '%s'."
                                     % (disk["id"], disk["managedBy"]), target)
        elif create == "FromImage":
            name = osd.get("name") or "%s_OsDisk_1_%s" % (vm["name"], uuid.uuid4().hex)
            dkey, disk = self._new_disk_for_vm(vm, dict(osd), name, osd.get("diskSizeGB") or 30,
                                               osd.get("osType") or "Linux", now, target)
        else:
            raise self.arm_error(400, "InvalidParameter", "createOption '%s' of the OS disk is "
                                 "not supported by this test server (Attach, FromImage)."
                                 % create, target + ".createOption")
        entry = {"osType": osd.get("osType") or disk["properties"].get("osType") or "Linux",
                 "name": disk["name"], "createOption": create,
                 "caching": self._caching(osd.get("caching") or "ReadWrite", target + ".caching"),
                 "managedDisk": {"storageAccountType": (disk.get("sku") or {}).get("name")
                                 or "Standard_LRS", "id": disk["id"]},
                 "deleteOption": osd.get("deleteOption") or "Detach",
                 "diskSizeGB": disk["properties"].get("diskSizeGB")}
        disk["managedBy"] = vm["id"]
        disk["properties"]["diskState"] = "Attached"
        self.store.touch(dkey)
        return entry

    def link_nics(self, vm, old_profile=None):
        """A NIC a VM's networkProfile names points back at it (virtualMachine);
        one it no longer names is freed. NICs that do not exist are not checked."""
        refs = lambda prof: {st.norm_id(r["id"]): r for r in (prof or {}).get(
            "networkInterfaces") or [] if isinstance(r, dict) and isinstance(r.get("id"), str)}
        new = refs(vm["properties"].get("networkProfile"))
        for nk in set(refs(old_profile)) - set(new):
            nic = self.store.get(nk)
            ref = ((nic or {}).get("properties") or {}).get("virtualMachine") or {}
            if nic is not None and st.norm_id(ref.get("id") or "/") == st.norm_id(vm["id"]):
                nic["properties"].pop("virtualMachine", None)
                nic["properties"].pop("primary", None)
                self.store.touch(nk)
        for nk, r in new.items():
            nic = self.store.get(nk)
            if nic is not None and st.Store.kind_of(nk) == "networkinterfaces":
                nic["properties"]["virtualMachine"] = {"id": vm["id"]}
                nic["properties"]["primary"] = bool((r.get("properties") or {}).get("primary", True))
                self.store.touch(nk)

    def _vm_update(self, req, vm, key, body, now):
        """PUT on an existing VM and PATCH: tags, hardwareProfile,
        networkProfile, and the data-disk list (the whole new list: entries
        marked toBeDetached or left out leave, new Attach/Empty ones join)."""
        props = body.get("properties") or {}
        sprof = props.get("storageProfile") or {}
        changes = None
        if "dataDisks" in sprof:
            changes = self._diff_disks(vm, key, sprof["dataDisks"], now)
        if "tags" in body:
            vm["tags"] = body["tags"] or {}
        old_net = vm["properties"].get("networkProfile")
        for k in ("hardwareProfile", "networkProfile", "osProfile", "diagnosticsProfile"):
            if props.get(k) is not None:
                vm["properties"][k] = props[k]
        self.link_nics(vm, old_net)
        return self._vm_op(req, "put", key, vm, now, changes)

    def _diff_disks(self, vm, key, wanted, now):
        if not isinstance(wanted, list):
            raise self.arm_error(400, "InvalidRequestContent", "storageProfile.dataDisks must "
                                 "be a list.")
        current = vm["properties"].setdefault("storageProfile", {}).setdefault("dataDisks", [])
        have = {_disk_key_of(e): e for e in current}
        keep, attach, detach, updates = set(), [], [], []
        for i, e in enumerate(wanted):
            target = "storageProfile.dataDisks[%d]" % i
            if not isinstance(e, dict):
                raise self.arm_error(400, "InvalidRequestContent", "%s must be an object." % target)
            dkey = _disk_key_of(e)
            if dkey is None and e.get("name"):
                dkey = next((k for k, x in have.items() if x.get("name", "").lower()
                             == str(e["name"]).lower()), None)
            if dkey in have:
                if e.get("toBeDetached"):
                    detach.append((dkey, e.get("detachOption"), target))
                else:
                    keep.add(dkey)
                    if e.get("lun") is not None and e.get("lun") != have[dkey]["lun"]:
                        raise self.arm_error(409, "PropertyChangeNotAllowed", "Changing the "
                                             "LUN of an attached disk is not allowed.", target)
                    # caching and write accelerator of an attached disk may change
                    updates.append((have[dkey], self._caching(e.get("caching") or
                                    have[dkey].get("caching"), target + ".caching"),
                                    e.get("writeAcceleratorEnabled")))
            elif e.get("toBeDetached"):
                raise self.arm_error(400, "InvalidParameter", "Data disk '%s' is not attached "
                                     "to VM '%s'." % (e.get("name") or dkey, vm["name"]), target)
            else:
                attach.append((e, target))
        for dkey, e in have.items():
            if dkey not in keep and not any(d[0] == dkey for d in detach) and not e.get("toBeDetached"):
                detach.append((dkey, None, "storageProfile.dataDisks"))
        changes = self._plan_disks(vm, key, attach, detach, now, "patch")
        for entry, caching, wa in updates:
            entry["caching"] = caching
            if wa is not None:
                entry["writeAcceleratorEnabled"] = bool(wa)
        return changes

    def _vm_patch(self, req, grp, name, rid, key):
        if req.flags.get("lock"):
            raise self._locked(rid, "write")
        body = self._json_body(req)
        now = self.clock.now()
        with self.store.lock:
            vm = self._vm_get(key, name, grp)
            self._vm_busy(key, name, "update")
            if "location" in body and st.norm_location(body["location"]) != \
                    st.norm_location(vm["location"]):
                raise self.arm_error(409, "InvalidResourceLocation", "The location of a VM "
                                     "cannot be changed.")
            op = self._vm_update(req, vm, key, body, now)
            return self._answer(200, req, op, self.store.text(key))

    def _vm_delete(self, req, grp, name, rid, key):
        if req.flags.get("lock"):
            raise self._locked(rid, "delete")
        now = self.clock.now()
        with self.store.lock:
            vm = self.store.get(key)
            if vm is None:
                return 204, [], b"", 0
            busy = self._busy(key)
            if busy and busy["kind"] == "delete":
                return 202, self._lro_headers(req, busy), b"", 0
            self._vm_busy(key, name, "delete")
            op = self._start_op(req, "delete", key, vm["location"], now)
            op["path"] = "operations"
            op["previousState"] = vm["properties"].get("provisioningState") or "Succeeded"
            vm["properties"]["provisioningState"] = "Deleting"
            self.store.touch(key)
            return 202, self._lro_headers(req, op), b"", self.store.commit()

    # ---- POST actions ---------------------------------------------------------------
    def _vm_action(self, req, grp, name, rid, key, what):
        if req.flags.get("lock"):
            raise self._locked(rid, "action")
        now = self.clock.now()
        with self.store.lock:
            vm = self._vm_get(key, name, grp)
            busy = self._busy(key)
            if busy is not None and busy.get("action") == what:
                return 202, self._lro_headers(req, busy), b"", 0   # the same request again
            self._vm_busy(key, name, ACTION_NAMES[what])
            power = self.store.power.get(key, "running")
            if what == "poweroff" and power == "deallocated":
                raise self.arm_error(409, "OperationNotAllowed", "Operation 'powerOff' is not "
                                     "allowed on VM '%s' since the VM is either deallocated or "
                                     "marked to be deallocated." % name)
            op = self._vm_op(req, "action", key, vm, now, action=what)
            op["previousPower"] = power
            if not (what == "start" and power == "running") and \
                    not (what == "deallocate" and power == "deallocated"):
                self.store.power[key] = ACTIONS[what][0]
            return self._answer(202, req, op, "")

    def _vm_attach_detach(self, req, grp, name, rid, key):
        if req.flags.get("lock"):
            raise self._locked(rid, "action")
        body = self._json_body(req)
        att, det = body.get("dataDisksToAttach") or [], body.get("dataDisksToDetach") or []
        if not isinstance(att, list) or not isinstance(det, list) or not (att or det):
            raise self.arm_error(400, "InvalidParameter", "At least one of dataDisksToAttach "
                                 "and dataDisksToDetach must be a non-empty list.",
                                 "dataDisksToAttach")
        now = self.clock.now()
        with self.store.lock:
            vm = self._vm_get(key, name, grp)
            self._vm_busy(key, name, "attachDetachDataDisks")
            attach = []
            for i, a in enumerate(att):
                target = "dataDisksToAttach[%d]" % i
                if not isinstance(a, dict) or not a.get("diskId"):
                    raise self.arm_error(400, "InvalidParameter", "Required parameter 'diskId' "
                                         "is missing (null).", target + ".diskId")
                e = {"lun": a.get("lun"), "createOption": "Attach", "caching": a.get("caching"),
                     "writeAcceleratorEnabled": a.get("writeAcceleratorEnabled", False),
                     "deleteOption": a.get("deleteOption"), "managedDisk": {"id": a["diskId"]}}
                if e["lun"] is None:
                    # ARM picks the lowest free LUN when none is given
                    taken = {x["lun"] for x in vm["properties"]["storageProfile"]["dataDisks"]}
                    taken |= {x[0].get("lun") for x in attach}
                    e["lun"] = next((n for n in range(MAX_LUN + 1) if n not in taken), MAX_LUN + 1)
                attach.append((e, target))
            detach = []
            for i, d in enumerate(det):
                target = "dataDisksToDetach[%d]" % i
                if not isinstance(d, dict) or not d.get("diskId"):
                    raise self.arm_error(400, "InvalidParameter", "Required parameter 'diskId' "
                                         "is missing (null).", target + ".diskId")
                detach.append((st.norm_id(d["diskId"]), d.get("detachOption"), target))
            changes = self._plan_disks(vm, key, attach, detach, now, "attachDetach")
            op = self._vm_op(req, "attachdetach", key, vm, now, changes, result="storageProfile")
            return self._answer(202, req, op, "")

    # ---- the end of an operation ------------------------------------------------------
    def vm_finish(self, op, vm, fail):
        key = op["target"]
        props = vm["properties"]
        if op["kind"] == "delete":
            if fail:
                props["provisioningState"] = op.get("previousState", "Succeeded")
                self.store.touch(key)
                return
            sp = props.get("storageProfile") or {}
            for e in ([sp["osDisk"]] if sp.get("osDisk") else []) + (sp.get("dataDisks") or []):
                dk = _disk_key_of(e)
                if dk is None:
                    continue
                if e.get("deleteOption") == "Delete":
                    self.store.remove(dk)
                else:
                    self._release(dk, vm["id"])
            net = vm["properties"].get("networkProfile")
            vm["properties"]["networkProfile"] = {}
            self.link_nics(vm, net)
            self.store.remove(key)
            self.devices.sync(vm["name"], [])
            return
        if fail:
            self._revert(op, vm)
            if op["kind"] == "action":
                self.store.power[key] = op.get("previousPower", "running")
            props["provisioningState"] = fail.get("state", "Failed")
        else:
            if op["kind"] == "action":
                self._power_done(key, vm, op["action"])
            current = props.get("storageProfile", {}).get("dataDisks") or []
            leaving = set(op.get("detach") or [])
            props.get("storageProfile", {})["dataDisks"] = [
                e for e in current if _disk_key_of(e) not in leaving]
            for dk in leaving:
                self._release(dk, vm["id"])
            props["provisioningState"] = "Succeeded"
        self.store.touch(key)
        self.devices.sync(vm["name"], [e["lun"] for e in props.get("storageProfile", {})
                                       .get("dataDisks") or []])

    def _power_done(self, key, vm, action):
        final = ACTIONS[action][1]
        self.store.power[key] = final
        state = "Reserved" if final == "deallocated" else "Attached"
        sp = vm["properties"].get("storageProfile") or {}
        for e in ([sp["osDisk"]] if sp.get("osDisk") else []) + (sp.get("dataDisks") or []):
            dk = _disk_key_of(e)
            d = self.store.get(dk) if dk else None
            if d is not None and d.get("managedBy") and st.norm_id(d["managedBy"]) == key:
                d["properties"]["diskState"] = state
                self.store.touch(dk)

    def _release(self, dkey, vm_id):
        d = self.store.get(dkey)
        if d is None:
            return
        if vm_id is None or (d.get("managedBy") and st.norm_id(d["managedBy"]) == st.norm_id(vm_id)):
            d.pop("managedBy", None)
            d["properties"]["diskState"] = "Unattached"
            self.store.touch(dkey)

    def _revert(self, op, vm):
        before = op.get("before")
        if not before:
            return
        vm["properties"].setdefault("storageProfile", {})["dataDisks"] = _copy(before["dataDisks"])
        for dk, was in before["disks"].items():
            d = self.store.get(dk)
            if d is None:
                continue
            if was.get("managedBy"):
                d["managedBy"] = was["managedBy"]
            else:
                d.pop("managedBy", None)
            d["properties"]["diskState"] = was.get("diskState") or "Unattached"
            self.store.touch(dk)

    def vm_result(self, op):
        """The final body of an operation's Location poll (None: empty)."""
        if op.get("result") == "storageProfile":
            vm = self.store.get(op["target"])
            if vm is not None:
                return json.dumps(vm["properties"].get("storageProfile") or {})
        return None


def text_response(status, text, headers=()):
    return status, list(headers), text.encode("utf-8"), 0


class Devices:
    """--device-dir: DIR/<vm name>/lunN exists while a data disk is attached
    at LUN N (created --device-delay seconds after the attach ends, removed
    when the detach ends), so a client's wait for /dev/disk/azure/scsi1/lunN
    can be tested with a real file."""

    def __init__(self, root, delay=0.0):
        self.root = root
        self.delay = delay
        self.lock = threading.Lock()
        self.wanted = {}      # vm name -> set of luns

    def sync(self, vm_name, luns):
        if not self.root:
            return
        want = set(luns)
        d = os.path.join(self.root, vm_name)
        with self.lock:
            self.wanted[vm_name] = want
            if not os.path.isdir(d):
                if not want:
                    return
                os.makedirs(d, exist_ok=True)
            have = {int(f[3:]) for f in os.listdir(d) if f.startswith("lun") and f[3:].isdigit()}
            for n in have - want:
                try:
                    os.unlink(os.path.join(d, "lun%d" % n))
                except FileNotFoundError:
                    pass
        new = want - have
        if not new:
            return
        if self.delay > 0:
            t = threading.Timer(self.delay, self._create, (vm_name, new))
            t.daemon = True
            t.start()
        else:
            self._create(vm_name, new)

    def _create(self, vm_name, luns):
        d = os.path.join(self.root, vm_name)
        with self.lock:
            for n in luns:
                if n in self.wanted.get(vm_name, ()):     # not detached meanwhile
                    os.makedirs(d, exist_ok=True)
                    open(os.path.join(d, "lun%d" % n), "a").close()
