"""Cross-region copies of incremental snapshots (creationData.createOption CopyStart), as far as
snapkeep needs them (tests/arm/README.md, "Copies"):

- PUT of a snapshot with CopyStart and a snapshot as sourceResourceId makes the copy in the
  body's location; the PUT's operation ends like any other (provisioningState Succeeded), then
  properties.completionPercent climbs from 0 to 100 on the virtual clock, over --region-copy-seconds;
- one copy of a disk's snapshots at a time, in creation order (a copy of a snapshot older than
  one already copied to that region is refused), and at most --copy-parallel copies in progress
  per subscription and target region: refusals are 409 OperationNotAllowed;
- the faults file's `fail-copy` action makes the copy it answers end with copyCompletionError
  (errorCode, errorMessage) at the given percent instead of reaching 100;
- deleting a snapshot whose copy is in progress is refused with 409 OperationNotAllowed.

The copy's bookkeeping (start, length, injected failure) lives in the store's `region_copies` map (saved as `regionCopies`; `copies` is the
background copy of Premium SSD v2 and Ultra snapshots, arm.advance_copies),
saved with the state, never in the served JSON."""
import uuid

from . import store as st
from .vclock import arm_time


class CopyMixin:
    def copy_new_snapshot(self, req, rid, name, body, props, cd, now, err):
        """The object of a new CopyStart snapshot; records its copy in store.region_copies (the
        caller holds the store lock)."""
        src_id = cd.get("sourceResourceId")
        if not isinstance(src_id, str) or not src_id:
            raise err(400, "InvalidParameter", "Required parameter "
                      "'creationData.sourceResourceId' is missing (null).",
                      "creationData.sourceResourceId")
        skey = st.norm_id(src_id)
        parts = st.split_id(src_id)
        src = self.store.get(skey)
        if src is None or parts is None or parts[2] != "snapshots":
            raise err(404, "NotFound", "Resource %s is not found." % src_id,
                      "creationData.sourceResourceId")
        sp = src["properties"]
        if not sp.get("incremental"):
            raise err(400, "InvalidParameter", "CopyStart copies incremental snapshots only; "
                      "%s is a full snapshot." % src_id, "creationData.sourceResourceId")
        if sp.get("provisioningState") != "Succeeded" or float(sp.get("completionPercent", 100)) < 100:
            raise err(409, "OperationNotAllowed", "The source %s is not ready to be copied." % src_id)
        if skey in self.store.region_copies:
            raise err(409, "OperationNotAllowed", "The source %s is itself a copy in progress."
                      % src_id)
        loc = st.norm_location(body["location"])
        disk = st.norm_id((sp.get("creationData") or {}).get("sourceResourceId") or "/")
        sub = rid.split("/")[2].lower()
        running = 0
        for ck, c in self.store.region_copies.items():
            if c.get("error") or c.get("done"):
                continue
            if c["disk"] == disk:
                raise err(409, "OperationNotAllowed", "A copy of a snapshot of disk %s is "
                          "already in progress (%s); only one copy per disk can be in "
                          "progress at a time." % (disk, self.store.get(ck)["name"]
                                                   if self.store.get(ck) else ck))
            if c["sub"] == sub and c["location"] == loc:
                running += 1
        if running >= self.cfg.copy_parallel:
            raise err(409, "OperationNotAllowed", "The subscription already has %d snapshot "
                      "copies in progress to %s, the maximum." % (running, loc))
        for c in self.store.region_copies.values():
            if c["disk"] == disk and c["location"] == loc and c["sourceTime"] > sp["timeCreated"] \
                    and not c.get("error"):
                raise err(409, "OperationNotAllowed", "Snapshots of disk %s are copied in "
                          "creation order: a newer one (%s) was already copied to %s."
                          % (disk, c["source"], loc))
        p = {"creationData": {"createOption": "CopyStart", "sourceResourceId": src_id,
                              "sourceUniqueId": sp.get("uniqueId") or str(uuid.uuid4())},
             "diskSizeGB": sp.get("diskSizeGB"), "diskSizeBytes": sp.get("diskSizeBytes"),
             "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
             "incremental": True, "networkAccessPolicy": "AllowAll",
             "publicNetworkAccess": "Enabled", "dataAccessAuthMode": "None",
             "timeCreated": arm_time(self.store.next_ticks(now)),
             "provisioningState": "Updating", "uniqueId": str(uuid.uuid4()),
             "incrementalSnapshotFamilyId": sp.get("incrementalSnapshotFamilyId")
             or str(uuid.uuid4()),
             "completionPercent": 0.0}
        if props.get("provisionedBandwidthCopySpeed"):
            p["provisionedBandwidthCopySpeed"] = props["provisionedBandwidthCopySpeed"]
        obj = {"name": name, "id": rid, "type": "Microsoft.Compute/snapshots", "location": loc,
               "sku": self._sku(body) if body.get("sku") else dict(src.get("sku") or
                                                                 {"name": "Standard_LRS",
                                                                  "tier": "Standard"}),
               "properties": p}
        if body.get("tags"):
            obj["tags"] = body["tags"]
        fail = req.flags.get("fail-copy")
        self.store.region_copies[st.norm_id(rid)] = {
            "source": skey, "disk": disk, "sub": sub, "location": loc,
            "sourceTime": sp["timeCreated"], "start": now, "seconds": self.cfg.region_copy_seconds,
            "fail": fail}
        return obj

    def copy_advance(self):
        """Moves every copy in progress to where the virtual clock says it is; returns a
        generation to save (0 when nothing changed)."""
        if not self.store.region_copies:
            return 0
        vnow = self.clock.now()
        changed = False
        with self.store.lock:
            for key, c in list(self.store.region_copies.items()):
                obj = self.store.get(key)
                if obj is None:
                    del self.store.region_copies[key]
                    changed = True
                    continue
                if c.get("error") or c.get("done"):
                    continue
                secs = max(float(c["seconds"]), 1.0)
                pct = min(100.0, float(int(max(0.0, vnow - c["start"]) / secs * 100)))
                fail = c.get("fail")
                props = obj["properties"]
                if fail and pct >= float(fail.get("at", 50)):
                    props["completionPercent"] = float(fail.get("at", 50))
                    props["copyCompletionError"] = {"errorCode": fail["code"],
                                                    "errorMessage": fail["message"]}
                    c["error"] = True
                elif pct != props.get("completionPercent"):
                    props["completionPercent"] = pct
                    if pct >= 100:
                        c["done"] = True
                else:
                    continue
                self.store.touch(key)
                changed = True
            return self.store.commit() if changed else 0

    def copy_check_delete(self, key, err):
        """409 when key is the source of a copy in progress (the caller holds the lock)."""
        for ck, c in self.store.region_copies.items():
            if c["source"] == key and not c.get("error") and not c.get("done") \
                    and self.store.get(ck) is not None:
                raise err(409, "OperationNotAllowed", "The snapshot is being copied to %s (%s) "
                          "and cannot be deleted until the copy completes."
                          % (c["location"], ck.rsplit("/", 1)[1]))
