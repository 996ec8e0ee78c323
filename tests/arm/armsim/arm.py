"""Azure Resource Manager, as far as snapkeep needs it: subscriptions,
resource groups, and Microsoft.Compute disks and snapshots with paging,
long-running operations, limits and the error envelope. HTTP plumbing
(auth, faults, headers, logging) lives in httpd.py; handlers here get a
parsed request and return (status, headers, body bytes)."""
import base64
import binascii
import json
import re
import time
import uuid
from urllib.parse import quote

from . import store as st
from .vclock import arm_time, iso_z, parse_time
from .copy import CopyMixin
from .net import NetMixin
from .tags import TagsMixin
from .vm import VM_KIND, Devices, VmMixin

NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")
API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
SKU_TIER = {"standard_lrs": "Standard", "standard_zrs": "Standard", "premium_lrs": "Premium",
            "premium_zrs": "Premium", "standardssd_lrs": "Standard", "standardssd_zrs": "Standard",
            "premiumv2_lrs": "Premium", "ultrassd_lrs": "Ultra"}
SINGULAR = {"snapshots": "snapshot", "disks": "disk"}
# Disk types whose snapshots are copied in the background (completionPercent < 100 at first).
COPYING_SKUS = ("premiumv2_lrs", "ultrassd_lrs")
NOT_FOUND_HINT = " For more details please go to https://aka.ms/ARMResourceNotFoundFix"


class ArmError(Exception):
    def __init__(self, status, code, message, target=None, headers=()):
        super().__init__(message)
        self.status, self.code, self.message, self.target = status, code, message, target
        self.headers = list(headers)


def error_body(code, message, target=None, details=None):
    e = {"code": code, "message": message}
    if target is not None:
        e["target"] = target
    if details:
        e["details"] = details
    return json.dumps({"error": e}).encode()


def json_response(status, obj_or_text, headers=()):
    body = obj_or_text if isinstance(obj_or_text, str) else json.dumps(obj_or_text)
    return status, list(headers), body.encode("utf-8")


class Arm(VmMixin, NetMixin, CopyMixin, TagsMixin):
    def __init__(self, cfg, store, clock):
        self.cfg = cfg
        self.store = store
        self.clock = clock
        self._created = None
        # ids of operations still InProgress (a restarted server resumes them)
        self.running = {i for i, o in store.ops.items() if o["status"] == "InProgress"}
        self.devices = Devices(getattr(cfg, "device_dir", None), getattr(cfg, "device_delay", 0.0))
        busy = {o["target"] for o in store.ops.values() if o["status"] == "InProgress"}
        for k in store.sorted[VM_KIND]:
            if k not in busy:       # a restarted server shows the devices it showed before
                vm = store.get(k)
                self.devices.sync(vm["name"], [e["lun"] for e in vm["properties"].get(
                    "storageProfile", {}).get("dataDisks") or []])

    # ---- entry ----------------------------------------------------------
    def handle(self, req):
        """req has method, segs, lsegs, query (dict of lists), body, base,
        api_version, flags (dict from faults). Returns (status, headers, body, gen)."""
        gen = max(self.finalize_due(), self.advance_copies(), self.copy_advance())
        try:
            status, headers, body, g2 = self._route(req)
        except ArmError as e:
            status, headers, body, g2 = (e.status, e.headers,
                                         error_body(e.code, e.message, e.target), 0)
        return status, headers, body, max(gen, g2)

    def _route(self, req):
        s, m = req.lsegs, req.method
        if not s or s[0] != "subscriptions":
            raise ArmError(404, "InvalidRequestUri", "The request URI '%s' is not valid." % req.path)
        if len(s) == 1:
            return self._only(m, "GET") or self._list_subs(req)
        sub = self._sub(req.segs[1])
        if len(s) == 2:
            return self._only(m, "GET") or self._get_sub(sub)
        if s[2:] == ["providers", "microsoft.resources", "tags", "default"]:
            with self.store.lock:
                holder = self.store.sub_tags.setdefault(sub.lower(), {"tags": {}})
            return self.tags_route(req, "/subscriptions/" + sub, holder)
        if s[2] == "providers" and len(s) >= 5 and s[3] == "microsoft.network":
            return self.net_sub_route(req, sub)
        if s[2] == "providers" and len(s) >= 5 and s[3] == "microsoft.compute":
            if len(s) == 5 and s[4] in st.COMPUTE_TYPES:
                return self._only(m, "GET") or self._list(req, s[4], sub, None)
            if len(s) == 8 and s[4] == "locations" and s[6] in ("diskoperations", "operations"):
                return self._only(m, "GET") or self._operation(req, req.segs[7])
        if s[2] == "resourcegroups" and len(s) == 3:
            return self._only(m, "GET") or self._list_groups(sub)
        if s[2] == "resourcegroups" and len(s) >= 4:
            grp = self._group(sub, req.segs[3])
            if len(s) == 4:
                return self._only(m, "GET") or self._get_group(grp)
            if s[4:] == ["providers", "microsoft.resources", "tags", "default"]:
                return self.tags_route(req, grp["id"], grp)
            if len(s) >= 7 and s[4] == "providers" and s[5] == "microsoft.network":
                return self.net_route(req, grp)
            if len(s) >= 7 and s[4] == "providers" and s[5] == "microsoft.compute":
                if s[6] not in st.COMPUTE_TYPES:
                    raise ArmError(404, "InvalidResourceType", "The resource type '%s' could not "
                                   "be found in the namespace 'Microsoft.Compute' for api version "
                                   "'%s'." % (req.segs[6], req.api_version))
                if len(s) == 7:
                    return self._only(m, "GET") or self._list(req, s[6], sub, grp)
                if len(s) == 8 and s[6] == VM_KIND:
                    return self.vm_resource(req, grp, req.segs[7])
                if len(s) == 8:
                    return self._resource(req, s[6], grp, req.segs[7])
                if len(s) == 9 and s[6] == VM_KIND:
                    return self.vm_sub_resource(req, grp, req.segs[7], s[8])
        raise ArmError(404, "InvalidRequestUri", "The request URI '%s' is not valid." % req.path)

    @staticmethod
    def _only(method, allowed):
        if method != allowed:
            raise ArmError(405, "HttpMethodNotAllowed", "The http method '%s' is not allowed "
                           "for this resource." % method)
        return None

    def _sub(self, sub):
        with self.store.lock:
            if sub.lower() not in self.store.subs:
                raise ArmError(404, "SubscriptionNotFound",
                               "The subscription '%s' could not be found." % sub)
            return self.store.subs[sub.lower()]

    def _group(self, sub, rg):
        with self.store.lock:
            g = self.store.groups.get(st.group_key(sub, rg))
            if g is None:
                raise ArmError(404, "ResourceGroupNotFound",
                               "Resource group '%s' could not be found." % rg)
            return g

    # ---- subscriptions and groups --------------------------------------------
    def _sub_obj(self, sub):
        return {"id": "/subscriptions/" + sub, "subscriptionId": sub, "tenantId": self.cfg.tenant,
                "displayName": "snapkeep test " + sub, "state": "Enabled",
                "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                         "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
                "authorizationSource": "RoleBased"}

    def _list_subs(self, req):
        with self.store.lock:
            subs = sorted(self.store.subs.values())
        return json_response(200, {"value": [self._sub_obj(s) for s in subs],
                                   "count": {"type": "Total", "value": len(subs)}}) + (0,)

    def _get_sub(self, sub):
        return json_response(200, self._sub_obj(sub)) + (0,)

    @staticmethod
    def _group_obj(g):
        obj = {"id": g["id"], "name": g["id"].rsplit("/", 1)[1],
               "type": "Microsoft.Resources/resourceGroups",
               "location": st.norm_location(g.get("location") or "westeurope"),
               "properties": {"provisioningState": "Succeeded"}}
        if g.get("tags"):
            obj["tags"] = dict(g["tags"])
        return obj

    def _get_group(self, g):
        return json_response(200, self._group_obj(g)) + (0,)

    def _list_groups(self, sub):
        prefix = "/subscriptions/%s/" % sub.lower()
        with self.store.lock:
            groups = [self._group_obj(g) for k, g in sorted(self.store.groups.items())
                      if k.startswith(prefix)]
        return json_response(200, {"value": groups}) + (0,)

    # ---- lists -------------------------------------------------------------------
    def _list(self, req, kind, sub, grp, prefix=None):
        if prefix is None:
            prefix = (grp["id"] if grp else "/subscriptions/" + sub).lower() + "/"
            if grp is None:
                prefix += "resourcegroups/"
        tok = req.query.get("$skiptoken", [None])[0]
        after, page = self.decode_skiptoken(tok) if tok else (None, 1)
        if after is not None and not after.startswith(prefix):
            raise ArmError(400, "InvalidSkipToken", "The skip token is not valid for this request.")
        with self.store.lock:
            keys, more = self.store.page(kind, prefix, after, self.cfg.page_size)
            items = [self.store.text(k) for k in keys]
        parts = ['{"value":[', ",".join(items), "]"]
        if more and keys:
            nxt = "%s%s?api-version=%s&$skiptoken=%s" % (
                req.base, req.path, quote(req.api_version, safe=""),
                quote(self.encode_skiptoken(keys[-1], page + 1), safe=""))
            parts.append(',"nextLink":' + json.dumps(nxt))
        parts.append("}")
        return json_response(200, "".join(parts)) + (0,)

    @staticmethod
    def encode_skiptoken(after, page):
        raw = json.dumps({"a": after, "p": page}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode_skiptoken(tok):
        """(last key of the previous page, page number); page numbers let a
        faults rule fail "page 3" of a listing."""
        try:
            d = json.loads(base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)))
            return str(d["a"]), int(d["p"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ArmError(400, "InvalidSkipToken", "The skip token '%s' is not valid." % tok[:64])

    # ---- one resource ----------------------------------------------------------------
    def _resource(self, req, kind, grp, name):
        rid = "%s/providers/Microsoft.Compute/%s/%s" % (grp["id"], kind, name)
        key = st.norm_id(rid)
        if req.method == "GET":
            with self.store.lock:
                if self.store.get(key) is None:
                    raise self._not_found(kind, name, grp)
                return json_response(200, self.store.text(key)) + (0,)
        if req.method == "PUT":
            return self._put(req, kind, grp, name, rid, key)
        if req.method == "DELETE":
            return self._delete(req, kind, grp, name, key)
        if req.method == "PATCH":
            return self._patch(req, kind, grp, name, rid, key)
        raise ArmError(405, "HttpMethodNotAllowed",
                       "The http method '%s' is not allowed for this resource." % req.method)

    @staticmethod
    def _not_found(kind, name, grp):
        return ArmError(404, "ResourceNotFound", "The Resource '%s/%s' under "
                        "resource group '%s' was not found.%s"
                        % (st.TYPES.get(kind, kind), name, grp["id"].rsplit("/", 1)[1], NOT_FOUND_HINT))

    def _busy(self, key):
        for op_id in self.running:
            op = self.store.ops[op_id]
            if op["target"] == key:
                return op
        return None

    def _put(self, req, kind, grp, name, rid, key):
        if not NAME_RE.match(name):
            raise ArmError(400, "InvalidParameter", "The entity name '%s' is invalid according to "
                           "its validation rule: ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_]$."
                           % name, SINGULAR[kind] + "Name")
        if req.flags.get("lock"):
            raise self._locked(rid, "write")
        body = self._json_body(req)
        if not body.get("location"):
            raise ArmError(400, "LocationRequired", "The location property is required for "
                           "this definition.")
        props = body.get("properties") or {}
        cd = props.get("creationData") or {}
        now = self.clock.now()
        with self.store.lock:
            busy = self._busy(key)
            if busy:
                raise self._conflict(kind, name, busy)
            existing = self.store.get(key)
            if existing is None and req.flags.get("race-create"):
                existing = self._raced(req, kind, rid, name, body, props, cd, now)
            self._if_none_match(req, existing, kind, name)
            if existing is not None:
                obj = self._update(existing, body, cd)
            elif kind == "snapshots" and cd.get("createOption") == "CopyStart":
                obj = self.copy_new_snapshot(req, rid, name, body, props, cd, now, ArmError)
            elif kind == "snapshots":
                obj = self._new_snapshot(req, rid, name, body, props, cd, now)
            else:
                obj = self._new_disk(rid, name, body, props, cd, now)
            obj["properties"]["provisioningState"] = "Updating"
            self.store.put(key, obj)
            op = self._start_op(req, "put", key, obj["location"], now)
            text = self.store.text(key)
            gen = self.store.commit()
        gen = max(gen, self.finalize_due())
        return (202, self._lro_headers(req, op), text.encode("utf-8"), gen)

    @staticmethod
    def _if_none_match(req, existing, kind, name):
        """If-None-Match: * as ARM checks it on a PUT: the resource must not
        exist, else 412 PreconditionFailed and nothing changes. (If-Match is
        not modelled for Compute: snapkeep does not send it there.)"""
        inm = (req.headers.get("If-None-Match") or "").strip()
        if inm == "*" and existing is not None:
            raise ArmError(412, "PreconditionFailed", "The condition specified using HTTP "
                           "conditional header(s) is not met: the %s '%s' already exists "
                           "(If-None-Match: *)." % (SINGULAR[kind], name))

    def _raced(self, req, kind, rid, name, body, props, cd, now):
        """The race-create fault: someone else created this resource, from
        the same source, just before the PUT arrived, tagged as the rule's
        `tags` say (default made-by=race)."""
        tags = req.flags["race-create"]
        other = dict(body, tags=dict(tags) if isinstance(tags, dict) else {"made-by": "race"})
        if kind == "snapshots":
            obj = self._new_snapshot(req, rid, name, other, props, cd, now)
        else:
            obj = self._new_disk(rid, name, other, props, cd, now)
        obj["properties"]["provisioningState"] = "Succeeded"
        self.store.put(st.norm_id(rid), obj)
        self.store.commit()     # it stays even when this PUT is refused
        return obj

    @staticmethod
    def _json_body(req):
        try:
            body = json.loads(req.body or b"null")
        except ValueError as e:
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and "
                           "could not be deserialized: '%s'." % e)
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and "
                           "could not be deserialized: the body must be a JSON object.")
        return body

    def _patch(self, req, kind, grp, name, rid, key):
        """PATCH updates tags and sku only (as snapkeep and the SDKs' beginUpdate use it)."""
        if req.flags.get("lock"):
            raise self._locked(rid, "write")
        body = self._json_body(req)
        now = self.clock.now()
        with self.store.lock:
            existing = self.store.get(key)
            if existing is None:
                raise self._not_found(kind, name, grp)
            busy = self._busy(key)
            if busy:
                raise self._conflict(kind, name, busy)
            obj = self._update(existing, dict(body, location=existing["location"]), {})
            obj["properties"]["provisioningState"] = "Updating"
            self.store.put(key, obj)
            op = self._start_op(req, "put", key, obj["location"], now)
            text = self.store.text(key)
            gen = self.store.commit()
        gen = max(gen, self.finalize_due())
        return (202, self._lro_headers(req, op), text.encode("utf-8"), gen)

    def _update(self, existing, body, cd):
        if existing["properties"].get("provisioningState") == "Deleting":
            raise ArmError(409, "OperationNotAllowed", "The resource is being deleted.")
        old = (existing["properties"].get("creationData") or {}).get("sourceResourceId")
        new = cd.get("sourceResourceId")
        if new and old and st.norm_id(new) != st.norm_id(old):
            raise ArmError(409, "PropertyChangeNotAllowed", "Changing property "
                           "'creationData.sourceResourceId' is not allowed.",
                           "creationData.sourceResourceId")
        if st.norm_location(body["location"]) != st.norm_location(existing["location"]):
            raise ArmError(409, "InvalidResourceLocation", "The resource '%s' already exists in "
                           "location '%s'. A resource with the same name cannot be created in "
                           "location '%s'." % (existing["name"], existing["location"],
                                               st.norm_location(body["location"])))
        obj = json.loads(json.dumps(existing))
        if "tags" in body:
            obj["tags"] = body["tags"] or {}
        if body.get("sku"):
            obj["sku"] = self._sku(body)
        return obj

    def _locked(self, rid, what):
        scope = "/".join(rid.split("/")[:5])
        return ArmError(409, "ScopeLocked", "The scope '%s' cannot perform %s operation because "
                        "following scope(s) are locked: '%s'. Please remove the lock and try "
                        "again." % (rid, what, scope))

    @staticmethod
    def _conflict(kind, name, op):
        what = "delete" if op["kind"] == "delete" else "create or update"
        return ArmError(409, "OperationNotAllowed", "Operation on %s '%s' is not allowed since a "
                        "%s operation is in progress on it (operation %s). Retry after it "
                        "completes." % (SINGULAR[kind], name, what, op["id"]))

    @staticmethod
    def _sku(body):
        name = (body.get("sku") or {}).get("name") or "Standard_LRS"
        return {"name": name, "tier": SKU_TIER.get(name.lower(), "Standard")}

    def _source(self, cd, allowed):
        """The resource creationData.sourceResourceId names (normalised)."""
        if cd.get("createOption") != "Copy":
            raise ArmError(400, "InvalidParameter", "creationData.createOption '%s' is not "
                           "supported by this test server." % cd.get("createOption"),
                           "creationData.createOption")
        src = cd.get("sourceResourceId")
        if not isinstance(src, str) or not src:
            raise ArmError(400, "InvalidParameter", "Required parameter "
                           "'creationData.sourceResourceId' is missing (null).",
                           "creationData.sourceResourceId")
        skey = st.norm_id(src)
        parts = st.split_id(src)
        obj = self.store.get(skey)
        if obj is None or parts is None or parts[2] not in allowed:
            raise ArmError(404, "NotFound", "Resource %s is not found." % src,
                           "creationData.sourceResourceId")
        if obj["properties"].get("provisioningState") == "Deleting":
            raise ArmError(409, "OperationNotAllowed", "Source %s is being deleted." % src)
        return skey, parts[2], obj

    def _check_region(self, src, body, what):
        if st.norm_location(src["location"]) != st.norm_location(body["location"]):
            raise ArmError(400, "InvalidParameter", "The %s must be in the same region as its "
                           "source: source '%s' is in '%s', the request asks for '%s'. Use "
                           "CopyStart for a copy to another region."
                           % (what, src["id"], st.norm_location(src["location"]),
                              st.norm_location(body["location"])), "location")

    def _check_limits(self, req, skey, incremental, now):
        if req.flags.get("snapshot-limit"):
            raise ArmError(409, "SnapshotsLimitReached", req.flags.get("snapshot-limit-message")
                           or "The maximum number of snapshots allowed for the disk has been "
                           "reached.")
        window, burst = self.cfg.snapshot_window, self.cfg.snapshot_burst
        recent = [t for t in self.store.creations.get(skey, []) if t > now - window]
        self.store.creations[skey] = recent
        # A seeded (or restored) history counts too: its snapshots were
        # created at their timeCreated. The PUTs this server saw are those
        # same snapshots, or deleted ones, so the larger count is a lower
        # bound of what ARM counts.
        listed = 0
        for k in self.store.sorted["snapshots"]:
            p = self.store.res[k][0]["properties"]
            if st.norm_id((p.get("creationData") or {}).get("sourceResourceId") or "/") != skey:
                continue
            try:
                created = parse_time(p.get("timeCreated") or "")
            except ValueError:
                continue
            listed += created > now - window
        if max(len(recent), listed) >= burst:
            raise ArmError(409, "SnapshotsLimitReached", "Only %d snapshots of a disk can be "
                           "created in %d seconds; retry later." % (burst, int(window)))
        if incremental:
            n = 0
            for k in self.store.sorted["snapshots"]:
                p = self.store.res[k][0]["properties"]
                if p.get("incremental") and st.norm_id(
                        (p.get("creationData") or {}).get("sourceResourceId") or "/") == skey:
                    n += 1
            if n >= self.cfg.incremental_limit:
                raise ArmError(409, "SnapshotsLimitReached", "The disk has reached the maximum "
                               "of %d incremental snapshots." % self.cfg.incremental_limit)

    def _new_snapshot(self, req, rid, name, body, props, cd, now):
        skey, skind, src = self._source(cd, ("disks", "snapshots"))
        self._check_region(src, body, "snapshot")
        incremental = bool(props.get("incremental", False))
        sp = src["properties"]
        copies = skind == "disks" and self._sku(src)["name"].lower() in COPYING_SKUS
        if copies and self._pending_copies(skey) >= self.cfg.pending_copies:
            raise ArmError(409, "OperationNotAllowed", "The disk already has %d snapshots whose "
                           "background copy has not completed; retry when one has."
                           % self.cfg.pending_copies)
        if skind == "disks":
            self._check_limits(req, skey, incremental, now)
            self.store.creations.setdefault(skey, []).append(now)
        size_gb = sp.get("diskSizeGB")
        size_b = sp.get("diskSizeBytes") or (size_gb or 0) * 1024 ** 3
        p = {"creationData": {"createOption": "Copy", "sourceResourceId": cd["sourceResourceId"],
                              "sourceUniqueId": sp.get("uniqueId") or str(uuid.uuid4())},
             "diskSizeGB": size_gb, "diskSizeBytes": size_b,
             "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
             "incremental": incremental, "networkAccessPolicy": "AllowAll",
             "publicNetworkAccess": "Enabled", "dataAccessAuthMode": "None",
             "timeCreated": arm_time(self.store.next_ticks(now)),
             "provisioningState": "Updating", "uniqueId": str(uuid.uuid4())}
        for k in ("osType", "hyperVGeneration", "supportedCapabilities"):
            if k in sp:
                p[k] = sp[k]
        if incremental:
            if skind == "disks":
                p["incrementalSnapshotFamilyId"] = self._family(skey)
            else:
                p["incrementalSnapshotFamilyId"] = sp.get("incrementalSnapshotFamilyId") or str(uuid.uuid4())
            p["completionPercent"] = 100.0
        if copies:
            p["completionPercent"] = 0.0
            self.store.copies[st.norm_id(rid)] = {"from": 0.0, "at": now}
        obj = {"name": name, "id": rid, "type": "Microsoft.Compute/snapshots",
               "location": st.norm_location(body["location"]), "sku": self._sku(body),
               "properties": p}
        if body.get("tags"):
            obj["tags"] = body["tags"]
        return obj

    def _family(self, disk_key):
        """One incrementalSnapshotFamilyId per disk; seeded snapshots of the
        disk that carry one define it."""
        fam = self.store.families.get(disk_key)
        if fam is None:
            for k in self.store.sorted["snapshots"]:
                p = self.store.res[k][0].get("properties") or {}
                src = (p.get("creationData") or {}).get("sourceResourceId")
                if p.get("incrementalSnapshotFamilyId") and src and st.norm_id(src) == disk_key:
                    fam = p["incrementalSnapshotFamilyId"]
                    break
            fam = self.store.families[disk_key] = fam or str(uuid.uuid4())
        return fam

    def _new_disk(self, rid, name, body, props, cd, now):
        if cd.get("createOption") == "Empty":
            gb = props.get("diskSizeGB")
            if not isinstance(gb, int) or gb <= 0:
                raise ArmError(400, "InvalidParameter", "diskSizeGB is required for an empty "
                               "disk.", "diskSizeGB")
            sp, scd = {"diskSizeGB": gb}, {"createOption": "Empty"}
        else:
            _, _, src = self._source(cd, ("snapshots", "disks"))
            self._check_region(src, body, "disk")
            if src["properties"].get("provisioningState") != "Succeeded":
                raise ArmError(409, "OperationNotAllowed", "The source %s is not ready "
                               "(provisioningState %s)." % (src["id"],
                                                            src["properties"].get("provisioningState")))
            sp = src["properties"]
            pct = sp.get("completionPercent")
            if isinstance(pct, (int, float)) and pct < 100:
                raise ArmError(409, "OperationNotAllowed", "The source %s cannot be used yet: its "
                               "background copy is at %s%%." % (src["id"], pct))
            scd = {"createOption": "Copy", "sourceResourceId": cd["sourceResourceId"],
                   "sourceUniqueId": sp.get("uniqueId") or str(uuid.uuid4())}
        gb = props.get("diskSizeGB") or sp.get("diskSizeGB")
        p = {"creationData": scd, "diskSizeGB": gb,
             "diskSizeBytes": (gb or 0) * 1024 ** 3, "diskIOPSReadWrite": 500,
             "diskMBpsReadWrite": 60, "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
             "networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Enabled",
             "timeCreated": arm_time(self.store.next_ticks(now)), "provisioningState": "Updating",
             "diskState": "Unattached", "uniqueId": str(uuid.uuid4())}
        for k in ("osType", "hyperVGeneration", "supportedCapabilities"):
            if k in sp:
                p[k] = sp[k]
        obj = {"name": name, "id": rid, "type": "Microsoft.Compute/disks",
               "location": st.norm_location(body["location"]), "sku": self._sku(body),
               "properties": p}
        if body.get("zones"):
            obj["zones"] = body["zones"]
        if body.get("tags"):
            obj["tags"] = body["tags"]
        return obj

    def _delete(self, req, kind, grp, name, key):
        rid = "%s/providers/Microsoft.Compute/%s/%s" % (grp["id"], kind, name)
        if req.flags.get("lock"):
            raise self._locked(rid, "delete")
        now = self.clock.now()
        with self.store.lock:
            obj = self.store.get(key)
            if obj is None:
                return 204, [], b"", 0
            busy = self._busy(key)
            if busy and busy["kind"] == "delete":
                return 202, self._lro_headers(req, busy), b"", 0
            if busy:
                raise self._conflict(kind, name, busy)
            if kind == "snapshots":
                self.copy_check_delete(key, ArmError)
            if kind == "disks" and obj.get("managedBy"):
                raise ArmError(409, "OperationNotAllowed", "Disk %s is attached to VM %s."
                               % (name, obj["managedBy"]))
            op = self._start_op(req, "delete", key, obj["location"], now)
            op["previousState"] = obj["properties"].get("provisioningState") or "Succeeded"
            obj["properties"]["provisioningState"] = "Deleting"
            self.store.touch(key)
            gen = self.store.commit()
        gen = max(gen, self.finalize_due())
        return 202, self._lro_headers(req, op), b"", gen

    # ---- long-running operations -----------------------------------------------------
    def _start_op(self, req, kind, key, location, now):
        op = {"id": str(uuid.uuid4()), "p": str(uuid.uuid4()), "kind": kind, "target": key,
              "sub": key.split("/")[2], "location": st.norm_location(location),
              "apiVersion": req.api_version, "startTime": iso_z(now),
              "due": time.time() + req.flags.get("lro-seconds", self.cfg.lro_seconds),
              "status": "InProgress"}
        fail = req.flags.get("fail-lro")
        if fail:
            op["fail"] = fail
        self.store.ops[op["id"]] = op
        self.running.add(op["id"])
        return op

    def _op_url(self, req, op, monitor):
        sub = self.store.subs.get(op["sub"], op["sub"])
        if op.get("provider") == "Microsoft.Network":
            # Network's shape: .../operations/ID (status) and .../operationResults/ID (Location)
            url = "%s/subscriptions/%s/providers/Microsoft.Network/locations/%s/%s/%s?api-version=%s" % (
                req.base, sub, op["location"], "operationResults" if monitor else "operations",
                op["id"], op["apiVersion"])
            pad = self.cfg.operation_url_bytes - len(url) - 3
            return url + ("&p=" + "A" * pad if pad > 0 else "")
        # Compute's disk operations live under DiskOperations, its VM operations under operations
        fmt = "%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/%s/%s?p=%s%s&api-version=%s"
        args = [req.base, sub, op["location"], op.get("path", "DiskOperations"), op["id"], op["p"], "&monitor=true" if monitor else "",
                op["apiVersion"]]
        url = fmt % tuple(args)
        pad = self.cfg.operation_url_bytes - len(url)
        if pad > 0:
            # Real operation URLs carry long opaque tokens; clients must keep 4 KB ones whole.
            args[5] += ("-" + "A" * pad)[:pad]
            url = fmt % tuple(args)
        return url

    def _lro_headers(self, req, op):
        return [("Azure-AsyncOperation", self._op_url(req, op, False)),
                ("Location", self._op_url(req, op, True)),
                ("Retry-After", str(self.cfg.retry_after))]

    def finalize_due(self):
        """Ends every operation whose time has come; returns a generation
        to save (0 when nothing changed). Called per request and by a ticker."""
        if not self.running:
            return 0
        now_real = time.time()
        with self.store.lock:
            due = [self.store.ops[i] for i in list(self.running)
                   if self.store.ops[i]["due"] <= now_real]
            if not due:
                return 0
            vnow = self.clock.now()
            for op in due:
                self._finish(op, vnow)
            return self.store.commit()

    def advance_copies(self):
        """Background copies (snapshots of Premium SSD v2 and Ultra disks) go
        from their completionPercent to 100 in --copy-seconds of the virtual
        clock; returns a generation to save (0 when nothing changed)."""
        if not self.store.copies:
            return 0
        vnow = self.clock.now()
        changed = False
        with self.store.lock:
            for key, c in list(self.store.copies.items()):
                obj = self.store.get(key)
                if obj is None:
                    del self.store.copies[key]
                    continue
                if c["at"] is None:
                    c["at"] = vnow
                    changed = True
                span = max(self.cfg.copy_seconds, 1e-9)
                pct = min(100.0, c["from"] + (vnow - c["at"]) * 100.0 / span)
                pct = float(int(pct * 10)) / 10 if pct < 100 else 100.0
                props = obj["properties"]
                if props.get("completionPercent") != pct:
                    props["completionPercent"] = pct
                    self.store.touch(key)
                    changed = True
                if pct >= 100:
                    del self.store.copies[key]
            return self.store.commit() if changed else 0

    def _pending_copies(self, disk_key):
        n = 0
        for k in self.store.copies:
            p = (self.store.get(k) or {}).get("properties") or {}
            src = (p.get("creationData") or {}).get("sourceResourceId")
            n += bool(src) and st.norm_id(src) == disk_key
        return n

    def _finish(self, op, vnow):
        self.running.discard(op["id"])
        obj = self.store.get(op["target"])
        fail = op.get("fail")
        op["endTime"] = iso_z(vnow)
        op["status"] = fail.get("state", "Failed") if fail else "Succeeded"
        if obj is None:
            return
        if st.Store.kind_of(op["target"]) == VM_KIND:
            self.vm_finish(op, obj, fail)
            return
        if st.Store.kind_of(op["target"]) in st.NETWORK_TYPES:
            self.net_finish(op, obj, fail)
            return
        props = obj["properties"]
        if op["kind"] == "delete":
            if fail:
                props["provisioningState"] = op.get("previousState", "Succeeded")
                self.store.touch(op["target"])
            else:
                self.store.remove(op["target"])
        else:
            props["provisioningState"] = fail.get("state", "Failed") if fail else "Succeeded"
            self.store.touch(op["target"])

    def _operation(self, req, op_id):
        monitor = req.query.get("monitor", [""])[0].lower() == "true"
        with self.store.lock:
            op = self.store.ops.get(op_id)
            if op is None or op["sub"] != req.lsegs[1]:
                raise ArmError(404, "NotFound", "The operation '%s' was not found." % op_id)
            if op.get("path", "DiskOperations").lower() != req.lsegs[6] or \
                    op.get("provider", "Microsoft.Compute") != "Microsoft.Compute":
                raise ArmError(404, "NotFound", "The operation '%s' was not found." % op_id)
            op = dict(op)
            out = self.store.text(op["target"]) if self.store.get(op["target"]) else None
            if op["kind"] in ("action", "attachdetach"):
                out = self.vm_result(op)
        retry = [("Retry-After", str(self.cfg.retry_after))]
        fail = op.get("fail")
        if monitor:
            if op["status"] == "InProgress":
                return 202, [("Location", self._op_url(req, op, True))] + retry, b"", 0
            if fail:
                return (int(fail.get("status") or 500), [],
                        error_body(fail["code"], fail["message"]), 0)
            if op["kind"] == "action":
                return 200, [], b"", 0          # power actions end with an empty 200
            if op["kind"] == "delete" or out is None:
                return 204, [], b"", 0
            return json_response(200, out) + (0,)
        body = {"startTime": op["startTime"], "status": op["status"], "name": op["id"]}
        if op["status"] != "InProgress":
            body["endTime"] = op["endTime"]
        if fail and op["status"] != "InProgress":
            body["error"] = {"code": fail["code"], "message": fail["message"]}
        parts = json.dumps(body)
        if op["status"] == "Succeeded" and op["kind"] in ("put", "attachdetach") and out is not None:
            parts = parts[:-1] + ',"properties":{"output":' + out + "}}"
        return json_response(200, parts, retry if op["status"] == "InProgress" else []) + (0,)
