"""Microsoft.Network as failover needs it: network interfaces and public IP
addresses (long-running PUT/DELETE through Network's Azure-AsyncOperation
URLs, the rule that a public IP sits on at most one IP configuration), and
A record sets of Azure DNS and Private DNS zones with etags (synchronous, as
those services are). Mixed into arm.Arm.

A public IP's `ipConfiguration` back-reference is claimed when a NIC PUT
that adds it is accepted (so nobody else can take it meanwhile) and given
up when the PUT that removes it ends; a failed operation puts the NIC and
the references back as they were."""
import ipaddress
import json
import uuid

from . import store as st

NIC, PIP = "networkinterfaces", "publicipaddresses"
NET_TYPES = {NIC: "networkInterfaces", PIP: "publicIPAddresses"}


def _copy(obj):
    return json.loads(json.dumps(obj))


def _ref(obj, key):
    v = (obj or {}).get(key)
    return v.get("id") if isinstance(v, dict) and isinstance(v.get("id"), str) else None


def _mac(key):
    h = uuid.uuid5(uuid.NAMESPACE_URL, key).hex[:12].upper()
    return "-".join(h[i:i + 2] for i in range(0, 12, 2))


def fill_nic(store, nic, given_props, old=None):
    """A NIC as Network shows it (NetworkInterfaceGet.json) from what a seed
    or PUT gave; keeps the server-managed fields of the old one."""
    key = st.norm_id(nic["id"])
    props = {"provisioningState": "Succeeded", "resourceGuid": (old or {}).get(
                 "properties", {}).get("resourceGuid") or str(uuid.uuid4()),
             "ipConfigurations": [], "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
             "macAddress": _mac(key), "enableAcceleratedNetworking":
             bool(given_props.get("enableAcceleratedNetworking", False)),
             "enableIPForwarding": bool(given_props.get("enableIPForwarding", False)),
             "nicType": "Standard"}
    if old and old["properties"].get("virtualMachine"):
        props["virtualMachine"] = old["properties"]["virtualMachine"]
        props["primary"] = True
    if given_props.get("networkSecurityGroup"):
        props["networkSecurityGroup"] = given_props["networkSecurityGroup"]
    cfgs = given_props.get("ipConfigurations") or []
    for i, c in enumerate(cfgs):
        cp = dict(c.get("properties") or {})
        name = c.get("name") or "ipconfig%d" % (i + 1)
        ip = cp.get("privateIPAddress") or _old_ip(old, name) or store.next_private_ip()
        out = {"provisioningState": "Succeeded", "privateIPAddress": ip,
               "privateIPAllocationMethod": cp.get("privateIPAllocationMethod")
               or ("Static" if cp.get("privateIPAddress") else "Dynamic"),
               "primary": bool(cp.get("primary", len(cfgs) == 1)),
               "privateIPAddressVersion": cp.get("privateIPAddressVersion") or "IPv4"}
        if cp.get("subnet"):
            out["subnet"] = cp["subnet"]
        if _ref(cp, "publicIPAddress"):
            out["publicIPAddress"] = {"id": cp["publicIPAddress"]["id"]}
        props["ipConfigurations"].append({"name": name, "id": nic["id"] + "/ipConfigurations/" + name,
                                          "etag": 'W/"%s"' % uuid.uuid4(), "type":
                                          "Microsoft.Network/networkInterfaces/ipConfigurations",
                                          "properties": out})
    nic["properties"] = props
    nic["etag"] = 'W/"%s"' % uuid.uuid4()
    return nic


def _old_ip(old, name):
    for c in (old or {}).get("properties", {}).get("ipConfigurations") or []:
        if c["name"].lower() == name.lower():
            return c["properties"].get("privateIPAddress")
    return None


def fill_pip(store, pip, old=None):
    p = pip.setdefault("properties", {})
    p["provisioningState"] = "Succeeded"
    p.setdefault("publicIPAddressVersion", "IPv4")
    p.setdefault("publicIPAllocationMethod", "Static")
    p.setdefault("idleTimeoutInMinutes", 4)
    p.setdefault("ipAddress", (old or {}).get("properties", {}).get("ipAddress")
                 or store.next_public_ip())
    p.setdefault("resourceGuid", str(uuid.uuid4()))
    if old and old["properties"].get("ipConfiguration"):
        p["ipConfiguration"] = old["properties"]["ipConfiguration"]
    pip.setdefault("sku", {"name": "Standard", "tier": "Regional"})
    pip["etag"] = 'W/"%s"' % uuid.uuid4()
    return pip


def record_obj(kind, rid, ttl, recs, metadata, etag):
    """An A record set as the service shows it: Private DNS (RecordSetAPut.json)
    lower-cases the name and says ttl/aRecords; Azure DNS
    (CreateOrUpdateARecordset.json) keeps the name and says TTL/ARecords."""
    zone_name, name = rid.split("/")[-3], rid.rsplit("/", 1)[1]
    p = {"metadata": metadata or {}}
    if kind == "privatednszones":
        name = name.lower()
        rid = rid.rsplit("/", 1)[0] + "/" + name
        p.update({"ttl": ttl, "fqdn": "%s.%s." % (name, zone_name), "isAutoRegistered": False,
                  "aRecords": [{"ipv4Address": r["ipv4Address"]} for r in recs]})
    else:
        p.update({"TTL": ttl, "fqdn": "%s.%s." % (name, zone_name),
                  "ARecords": [{"ipv4Address": r["ipv4Address"]} for r in recs],
                  "provisioningState": "Succeeded", "targetResource": {}})
    return {"id": rid, "name": name, "type": st.RECORD_TYPES[kind], "etag": etag, "properties": p}


def link_seeded_net(store):
    """After loading a seed: NICs and public IPs filled in; every public IP a
    NIC names exists and is named once (its ipConfiguration points back);
    a NIC a VM names points back at it (virtualMachine)."""
    for k in store.sorted[PIP]:
        pip = store.get(k)
        pip["properties"].pop("ipConfiguration", None)
        fill_pip(store, pip)
        store.touch(k)
    for k in store.sorted[NIC]:
        nic = store.get(k)
        fill_nic(store, nic, nic.get("properties") or {})
        for c in nic["properties"]["ipConfigurations"]:
            pid = _ref(c["properties"], "publicIPAddress")
            if pid is None:
                continue
            pip = store.get(st.norm_id(pid))
            if pip is None:
                raise ValueError("seed: NIC %s names public IP %s, which is not in the seed"
                                 % (nic["id"], pid))
            if pip["properties"].get("ipConfiguration"):
                raise ValueError("seed: public IP %s is on two IP configurations" % pid)
            pip["properties"]["ipConfiguration"] = {"id": c["id"]}
            store.touch(st.norm_id(pid))
        store.touch(k)
    for kind in st.RECORD_TYPES:
        for k in store.sorted[kind]:
            r = store.get(k)
            props = {a.lower(): v for a, v in (r.get("properties") or {}).items()}
            store.put(k, record_obj(kind, r["id"], props.get("ttl", 3600),
                                    props.get("arecords") or [], props.get("metadata"),
                                    r.get("etag") or str(uuid.uuid4())))
    for vk in store.sorted["virtualmachines"]:
        vm = store.get(vk)
        for ref in (vm["properties"].get("networkProfile") or {}).get("networkInterfaces") or []:
            nk = st.norm_id(ref.get("id") or "/")
            nic = store.get(nk)
            if nic is not None:
                nic["properties"]["virtualMachine"] = {"id": vm["id"]}
                nic["properties"]["primary"] = bool((ref.get("properties") or {}).get("primary", True))
                store.touch(nk)


class NetMixin:
    """Methods of arm.Arm for Microsoft.Network."""

    # ---- routing ----------------------------------------------------------
    def net_sub_route(self, req, sub):
        s = req.lsegs
        if len(s) == 5 and s[4] in (NIC, PIP):
            self._only(req.method, "GET")
            return self._list(req, s[4], sub, None)
        if len(s) == 8 and s[4] == "locations" and s[6] in ("operations", "operationresults"):
            self._only(req.method, "GET")
            return self._net_operation(req, req.segs[7], s[6] == "operationresults")
        raise self.arm_error(404, "InvalidRequestUri", "The request URI '%s' is not valid." % req.path)

    def net_route(self, req, grp):
        s = req.lsegs
        kind = s[6]
        if kind in (NIC, PIP):
            if len(s) == 7:
                self._only(req.method, "GET")
                return self._list(req, kind, None, grp)
            if len(s) == 8:
                return self._net_resource(req, kind, grp, req.segs[7])
        if kind in st.RECORD_TYPES:
            if len(s) == 8:
                self._only(req.method, "GET")
                return self._zone_get(req, kind, grp, req.segs[7])
            if len(s) == 9 and s[8] == "a":
                self._only(req.method, "GET")
                return self._record_list(req, kind, grp, req.segs[7])
            if len(s) == 10 and s[8] == "a":
                return self._record(req, kind, grp, req.segs[7], req.segs[9])
        raise self.arm_error(404, "InvalidResourceType", "The resource type '%s' could not be "
                             "found in the namespace 'Microsoft.Network' for api version '%s'."
                             % ("/".join(req.segs[6:]), req.api_version))

    # ---- NICs and public IPs ------------------------------------------------
    def _net_not_found(self, kind, name, grp):
        return self.arm_error(404, "ResourceNotFound", "The Resource 'Microsoft.Network/%s/%s' "
                              "under resource group '%s' was not found." % (
                                  NET_TYPES[kind], name, grp["id"].rsplit("/", 1)[1]))

    def _net_resource(self, req, kind, grp, name):
        rid = "%s/providers/Microsoft.Network/%s/%s" % (grp["id"], NET_TYPES[kind], name)
        key = st.norm_id(rid)
        if req.method == "GET":
            with self.store.lock:
                if self.store.get(key) is None:
                    raise self._net_not_found(kind, name, grp)
                return json_text(200, self.store.text(key))
        if req.method in ("PUT", "PATCH", "DELETE") and req.flags.get("lock"):
            raise self._locked(rid, "delete" if req.method == "DELETE" else "write")
        if req.method == "PATCH":
            return self._net_tags(req, kind, grp, name, key)
        if req.method == "PUT":
            return self._net_put(req, kind, grp, name, rid, key)
        if req.method == "DELETE":
            return self._net_delete(req, kind, grp, name, key)
        raise self.arm_error(405, "HttpMethodNotAllowed", "The http method '%s' is not allowed "
                             "for this resource." % req.method)

    def _net_busy(self, key):
        if self._busy(key) is not None:
            raise self.arm_error(409, "AnotherOperationInProgress", "Another operation on this "
                                 "or dependent resource is in progress. To retrieve status of "
                                 "the operation use uri: %s." % key)

    def _net_op(self, req, kind, key, obj, now, extra=None):
        op = self._start_op(req, kind, key, obj["location"], now)
        op["provider"], op["path"] = "Microsoft.Network", "operations"
        op.update(extra or {})
        return op

    def _net_headers(self, req, op, location=False):
        h = [("Azure-AsyncOperation", self._op_url(req, op, False)),
             ("Retry-After", str(self.cfg.retry_after))]
        if location:
            h.insert(1, ("Location", self._op_url(req, op, True)))
        return h

    def _net_tags(self, req, kind, grp, name, key):
        """UpdateTags: synchronous in Network."""
        body = self._json_body(req)
        with self.store.lock:
            obj = self.store.get(key)
            if obj is None:
                raise self._net_not_found(kind, name, grp)
            self._net_busy(key)
            obj["tags"] = body.get("tags") or {}
            obj["etag"] = 'W/"%s"' % uuid.uuid4()
            self.store.touch(key)
            return 200, [], self.store.text(key).encode("utf-8"), self.store.commit()

    def _net_put(self, req, kind, grp, name, rid, key):
        body = self._json_body(req)
        if not body.get("location"):
            raise self.arm_error(400, "LocationRequired", "The location property is required "
                                 "for this definition.")
        now = self.clock.now()
        with self.store.lock:
            old = self.store.get(key)
            if old is not None:
                self._net_busy(key)
                if st.norm_location(old["location"]) != st.norm_location(body["location"]):
                    raise self.arm_error(400, "InvalidResourceLocation", "Cannot change the "
                                         "location of resource '%s'." % rid)
            obj = {"name": name, "id": rid, "type": "Microsoft.Network/" + NET_TYPES[kind],
                   "location": st.norm_location(body["location"])}
            if body.get("tags"):
                obj["tags"] = body["tags"]
            if kind == PIP:
                obj["properties"] = {k: v for k, v in (body.get("properties") or {}).items()
                                     if k in ("publicIPAllocationMethod", "publicIPAddressVersion",
                                              "idleTimeoutInMinutes", "dnsSettings")}
                if body.get("sku"):
                    obj["sku"] = body["sku"]
                if body.get("zones"):
                    obj["zones"] = body["zones"]
                fill_pip(self.store, obj, old)
                extra = {"before": _copy(old) if old else None}
            else:
                extra = self._nic_plan(obj, old, body.get("properties") or {})
            obj["properties"]["provisioningState"] = "Updating"
            self.store.put(key, obj)
            for pk in extra.get("claim", []):
                pip = self.store.get(pk)
                pip["properties"]["ipConfiguration"] = {"id": extra["claim"][pk]}
                self.store.touch(pk)
            op = self._net_op(req, "put", key, obj, now, extra)
            return (200 if old else 201, self._net_headers(req, op),
                    self.store.text(key).encode("utf-8"), self.store.commit())

    def _nic_plan(self, nic, old, props):
        """Validates a NIC PUT; returns {"before", "claim": {pip key: ipconfig
        id}, "release": [pip keys]} for the operation."""
        cfgs = props.get("ipConfigurations")
        if not isinstance(cfgs, list) or not cfgs or not all(isinstance(c, dict) for c in cfgs):
            raise self.arm_error(400, "InvalidRequestFormat", "Cannot parse the request: a "
                                 "network interface needs at least one IP configuration.",
                                 "properties.ipConfigurations")
        if len(cfgs) > 1 and sum(1 for c in cfgs if (c.get("properties") or {}).get("primary")) != 1:
            raise self.arm_error(400, "InvalidRequestFormat", "Exactly one IP configuration of "
                                 "network interface %s must be primary." % nic["id"],
                                 "properties.ipConfigurations")
        fill_nic(self.store, nic, props, old)
        claim, seen = {}, set()
        for c in nic["properties"]["ipConfigurations"]:
            pid = _ref(c["properties"], "publicIPAddress")
            if pid is None:
                continue
            pk = st.norm_id(pid)
            pip = self.store.get(pk)
            if pip is None or st.Store.kind_of(pk) != PIP:
                raise self.arm_error(400, "InvalidResourceReference", "Resource %s referenced "
                                     "by resource %s was not found. Please make sure that the "
                                     "referenced resource exists, and that both resources are "
                                     "in the same region." % (pid, nic["id"]))
            holder = _ref(pip["properties"], "ipConfiguration")
            if pk in seen or (holder and holder.lower() != c["id"].lower()):
                raise self.arm_error(400, "PublicIPAddressInUse", "Public IP address %s is "
                                     "already in use by %s: a public IP address can be "
                                     "associated with one IP configuration only."
                                     % (pid, holder or c["id"]), "properties.ipConfigurations")
            seen.add(pk)
            if st.norm_location(pip["location"]) != nic["location"]:
                raise self.arm_error(400, "InvalidResourceReference", "Resource %s referenced "
                                     "by resource %s is in another region." % (pid, nic["id"]))
            if not holder:
                claim[pk] = c["id"]
        release = []
        for c in (old or {}).get("properties", {}).get("ipConfigurations") or []:
            pid = _ref(c["properties"], "publicIPAddress")
            if pid and st.norm_id(pid) not in seen:
                release.append(st.norm_id(pid))
        return {"before": _copy(old) if old else None, "claim": claim, "release": release}

    def _net_delete(self, req, kind, grp, name, key):
        now = self.clock.now()
        with self.store.lock:
            obj = self.store.get(key)
            if obj is None:
                return 204, [], b"", 0
            busy = self._busy(key)
            if busy and busy["kind"] == "delete":
                return 202, self._net_headers(req, busy, True), b"", 0
            self._net_busy(key)
            p = obj["properties"]
            if kind == NIC and _ref(p, "virtualMachine"):
                raise self.arm_error(400, "NicInUse", "Network Interface %s is used by existing "
                                     "resource %s. In order to delete the network interface, it "
                                     "must be dissociated from the resource."
                                     % (obj["id"], p["virtualMachine"]["id"]))
            if kind == PIP and _ref(p, "ipConfiguration"):
                raise self.arm_error(400, "PublicIPAddressInUse", "Public IP address %s can not "
                                     "be deleted since it is still allocated to resource %s. In "
                                     "order to delete the public IP, disassociate/detach the "
                                     "Public IP address from the resource."
                                     % (obj["id"], p["ipConfiguration"]["id"]))
            release = [st.norm_id(_ref(c["properties"], "publicIPAddress"))
                       for c in p.get("ipConfigurations") or []
                       if _ref(c["properties"], "publicIPAddress")] if kind == NIC else []
            op = self._net_op(req, "delete", key, obj, now,
                              {"previousState": p.get("provisioningState") or "Succeeded",
                               "release": release})
            p["provisioningState"] = "Deleting"
            self.store.touch(key)
            return 202, self._net_headers(req, op, True), b"", self.store.commit()

    def net_finish(self, op, obj, fail):
        key = op["target"]
        if fail:
            before = op.get("before")
            for pk in op.get("claim") or {}:
                pip = self.store.get(pk)
                if pip is not None and (_ref(pip["properties"], "ipConfiguration") or "").lower() \
                        == op["claim"][pk].lower():
                    pip["properties"].pop("ipConfiguration", None)
                    self.store.touch(pk)
            if op["kind"] == "delete":
                obj["properties"]["provisioningState"] = op.get("previousState", "Succeeded")
                self.store.touch(key)
            elif before is not None:
                self.store.put(key, before)
            else:
                obj["properties"]["provisioningState"] = fail.get("state", "Failed")
                self.store.touch(key)
            return
        prefix = obj["id"].lower() + "/ipconfigurations/"
        for pk in op.get("release") or []:
            pip = self.store.get(pk)
            ref = (_ref(pip["properties"], "ipConfiguration") or "").lower() if pip else ""
            if ref.startswith(prefix) and (op["kind"] == "delete" or not any(
                    c["id"].lower() == ref and _ref(c["properties"], "publicIPAddress")
                    for c in obj["properties"]["ipConfigurations"])):
                pip["properties"].pop("ipConfiguration", None)
                pip["etag"] = 'W/"%s"' % uuid.uuid4()
                self.store.touch(pk)
        if op["kind"] == "delete":
            self.store.remove(key)
        else:
            obj["properties"]["provisioningState"] = "Succeeded"
            self.store.touch(key)

    def _net_operation(self, req, op_id, results):
        """Network's operation status: {"status"[, "error"]}; operationResults
        (the Location of a DELETE) answers 202 while running, then 204."""
        with self.store.lock:
            op = self.store.ops.get(op_id)
            if op is None or op["sub"] != req.lsegs[1] or op.get("provider") != "Microsoft.Network":
                raise self.arm_error(404, "NotFound", "The operation '%s' was not found." % op_id)
            op = dict(op)
        retry = [("Retry-After", str(self.cfg.retry_after))]
        fail = op.get("fail")
        if results:
            if op["status"] == "InProgress":
                return 202, [("Location", self._op_url(req, op, True))] + retry, b"", 0
            if fail:
                return int(fail.get("status") or 500), [], self.error_text(fail), 0
            return 204, [], b"", 0
        body = {"status": op["status"]}
        if fail and op["status"] != "InProgress":
            body["error"] = {"code": fail["code"], "message": fail["message"]}
        return 200, retry if op["status"] == "InProgress" else [], json.dumps(body).encode(), 0

    # ---- DNS zones and A record sets -----------------------------------------------
    def _zone(self, kind, grp, zone):
        zid = "%s/providers/Microsoft.Network/%s/%s" % (
            grp["id"], st.ZONE_TYPES[kind].split("/")[1], zone)
        if st.norm_id(zid) not in self.store.zones:
            raise self.arm_error(404, "ParentResourceNotFound", "Can not perform requested "
                                 "operation on nested resource. Parent resource '%s' not found."
                                 % zone)
        return self.store.zones[st.norm_id(zid)]

    def _zone_get(self, req, kind, grp, zone):
        with self.store.lock:
            try:
                zid = self._zone(kind, grp, zone)
            except Exception:
                raise self.arm_error(404, "ResourceNotFound", "The Resource '%s/%s' under "
                                     "resource group '%s' was not found." % (
                                         st.ZONE_TYPES[kind], zone, grp["id"].rsplit("/", 1)[1]))
            n = sum(1 for k in self.store.sorted[kind] if k.startswith(st.norm_id(zid) + "/"))
        body = {"id": zid, "name": zid.rsplit("/", 1)[1], "type": st.ZONE_TYPES[kind],
                "location": "global", "etag": str(uuid.uuid5(uuid.NAMESPACE_URL, zid.lower())),
                "properties": {"numberOfRecordSets": n, "maxNumberOfRecordSets": 25000}}
        if kind == "dnszones":
            body["properties"]["zoneType"] = "Public"
            body["properties"]["nameServers"] = ["ns1-01.azure-dns.com.", "ns2-01.azure-dns.net."]
        return 200, [], json.dumps(body).encode(), 0

    def _record_list(self, req, kind, grp, zone):
        with self.store.lock:
            zid = self._zone(kind, grp, zone)
        return self._list(req, kind, None, None, prefix=st.norm_id(zid) + "/a/")

    def _record(self, req, kind, grp, zone, name):
        private = kind == "privatednszones"
        with self.store.lock:
            zid = self._zone(kind, grp, zone)
            rname = name.lower() if private else name
            rid = "%s/A/%s" % (zid, rname)
            key = st.norm_id(rid)
            cur = self.store.get(key)
            m = req.method
            if m == "GET":
                if cur is None:
                    raise self._record_missing(name, grp)
                return json_text(200, self.store.text(key), [("ETag", cur["etag"])])
            if m not in ("PUT", "PATCH", "DELETE"):
                raise self.arm_error(405, "HttpMethodNotAllowed", "The http method '%s' is not "
                                     "allowed for this resource." % m)
            if req.flags.get("lock"):
                raise self._locked(rid, "delete" if m == "DELETE" else "write")
            self._preconditions(req, cur, name)
            if m == "DELETE":
                if cur is None:
                    return 204, [], b"", 0
                self.store.remove(key)
                return 200, [], b"", self.store.commit()
            body = self._json_body(req)
            if m == "PATCH" and cur is None:
                raise self._record_missing(name, grp)
            props = {k.lower(): v for k, v in (body.get("properties") or {}).items()}
            old = {k.lower(): v for k, v in (cur or {}).get("properties", {}).items()}
            if m == "PATCH":
                props = dict(old, **props)
            ttl = props.get("ttl", 3600)
            recs = props.get("arecords") or []
            if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= 2147483647:
                raise self.arm_error(400, "BadRequest", "The TTL of record set '%s' is invalid."
                                     % name, "properties.ttl")
            for r in recs:
                try:
                    ipaddress.IPv4Address((r or {}).get("ipv4Address"))
                except (ValueError, TypeError):
                    raise self.arm_error(400, "BadRequest", "The record '%s' of record set '%s' "
                                         "is not a valid IPv4 address." % (r, name),
                                         "properties.aRecords")
            obj = record_obj(kind, rid, ttl, recs, props.get("metadata"), str(uuid.uuid4()))
            self.store.put(key, obj)
            return (201 if cur is None else 200, [("ETag", obj["etag"])],
                    self.store.text(key).encode("utf-8"), self.store.commit())

    def _preconditions(self, req, cur, name):
        """If-Match (an etag or *) and If-None-Match: * as Azure DNS checks them."""
        im = (req.headers.get("If-Match") or "").strip()
        inm = (req.headers.get("If-None-Match") or "").strip()
        if im:
            tags = [t.strip().strip('"') for t in im.split(",")]
            if cur is None or ("*" not in tags and cur["etag"] not in tags):
                raise self.arm_error(412, "PreconditionFailed", "The condition '%s' in the "
                                     "If-Match header was not satisfied: record set '%s' %s." % (
                                         im, name, "does not exist" if cur is None else
                                         "has etag '%s' (changed by someone else)" % cur["etag"]))
        if inm == "*" and cur is not None:
            raise self.arm_error(412, "PreconditionFailed", "The condition '*' in the "
                                 "If-None-Match header was not satisfied: record set '%s' "
                                 "already exists (etag '%s')." % (name, cur["etag"]))

    def _record_missing(self, name, grp):
        return self.arm_error(404, "NotFound", "The resource record '%s' does not exist in "
                              "resource group '%s' of subscription '%s'." % (
                                  name, grp["id"].split("/")[4], grp["id"].split("/")[2]))

    @staticmethod
    def error_text(fail):
        return json.dumps({"error": {"code": fail["code"], "message": fail["message"]}}).encode()


def json_text(status, text, headers=()):
    return status, list(headers), text.encode("utf-8"), 0
