"""Resources, resource groups and long-running operations, kept in memory
and saved to STATE.json after every change (temp file, fsync, rename).

Keys are lower-cased resource IDs; every resource keeps its JSON text
cached so a list page or a save is a join of strings, not a re-encode of
thousands of objects. Callers hold `lock` while they read or change
anything, call commit() after a change, and save_through() after they
release the lock and before they answer, so a test that sees the answer
also sees the change on disk."""
import bisect
import json
import os
import threading

FORMAT = "snapkeep-arm-state/1"
COMPUTE_TYPES = {"snapshots": "Microsoft.Compute/snapshots", "disks": "Microsoft.Compute/disks",
                 "virtualmachines": "Microsoft.Compute/virtualMachines"}
NETWORK_TYPES = {"networkinterfaces": "Microsoft.Network/networkInterfaces",
                 "publicipaddresses": "Microsoft.Network/publicIPAddresses"}
# A record sets: .../providers/Microsoft.Network/{dnsZones|privateDnsZones}/ZONE/A/NAME
RECORD_TYPES = {"dnszones": "Microsoft.Network/dnsZones/A",
                "privatednszones": "Microsoft.Network/privateDnsZones/A"}
ZONE_TYPES = {"dnszones": "Microsoft.Network/dnsZones",
              "privatednszones": "Microsoft.Network/privateDnsZones"}
TYPES = dict(COMPUTE_TYPES, **NETWORK_TYPES, **RECORD_TYPES)
PROVIDER = {k: v.split("/")[0].lower() for k, v in TYPES.items()}
# seed/state key -> internal kind(s) (path segments are compared lower-cased)
DOC_KEYS = {"disks": ("disks",), "snapshots": ("snapshots",), "virtualMachines": ("virtualmachines",),
            "networkInterfaces": ("networkinterfaces",), "publicIPAddresses": ("publicipaddresses",),
            "dnsRecordSets": ("dnszones", "privatednszones")}
POWER_STATES = ("running", "stopped", "deallocated", "deallocating", "starting", "stopping")


def norm_id(rid):
    """Resource IDs compare case-insensitively and may lack the leading /."""
    s = rid.strip().rstrip("/").lower()
    return s if s.startswith("/") else "/" + s


def split_id(rid):
    """(sub, rg, kind, name) of a served resource's ID in its given casing, or
    None; kind is the lower-cased type segment (for A record sets the zone
    type: dnszones / privatednszones)."""
    p = rid.strip().strip("/").split("/")
    if not (len(p) >= 8 and p[0].lower() == "subscriptions" and p[2].lower() == "resourcegroups"
            and p[4].lower() == "providers" and all(p)):
        return None
    kind = p[6].lower()
    if len(p) == 8 and kind in PROVIDER and kind not in RECORD_TYPES \
            and PROVIDER[kind] == p[5].lower():
        return p[1], p[3], kind, p[7]
    if len(p) == 10 and kind in RECORD_TYPES and p[5].lower() == "microsoft.network" \
            and p[8].lower() == "a":
        return p[1], p[3], kind, p[9]
    return None


def zone_key(rid):
    """The lower-cased zone ID of an A record set's ID."""
    return "/".join(norm_id(rid).split("/")[:9])


def group_key(sub, rg):
    return "/subscriptions/%s/resourcegroups/%s" % (sub.lower(), rg.lower())


def norm_location(loc):
    return "".join(str(loc).split()).lower()


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Store:
    def __init__(self, path, fsync=True):
        self.path = path
        self.fsync = fsync
        self.lock = threading.RLock()
        self.res = {}                 # key -> [obj, text]
        self.sorted = {t: [] for t in TYPES}
        self.groups = {}              # group key -> {"id", "location"}
        self.subs = {}                # lower sub -> sub as first seen
        self.sub_tags = {}            # lower sub -> {"tags": {...}} (Microsoft.Resources/tags)
        self.ops = {}                 # operation id -> dict
        self.creations = {}           # disk key -> [virtual epochs of snapshot PUTs]
        self.families = {}            # disk key -> incrementalSnapshotFamilyId
        # snapshot key -> {"from": percent, "at": virtual epoch it was at `from`, None:
        # not yet seen by the clock}: background copies still running (arm.advance_copies)
        self.copies = {}
        self.region_copies = {}       # CopyStart copy key -> its bookkeeping (copy.py)
        self.last_ticks = 0           # newest timeCreated handed out (100 ns ticks)
        self.power = {}               # VM key -> PowerState code suffix ("running", ...)
        self.zones = {}               # lower zone id -> zone id (DNS and Private DNS zones)
        self.gen = 0
        self._saved_gen = 0
        self._save_lock = threading.Lock()

    # ---- loading --------------------------------------------------------
    def load_file(self, path, is_state):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if not isinstance(doc, dict):
            raise ValueError("%s: top level must be an object" % path)
        for g in doc.get("resourceGroups", []):
            gid = g["id"] if isinstance(g, dict) else g
            p = gid.strip("/").split("/")
            if len(p) != 4 or p[0].lower() != "subscriptions" or p[2].lower() != "resourcegroups":
                raise ValueError("%s: bad resource group id %r" % (path, gid))
            grp = self.add_group(p[1], p[3], g.get("location") if isinstance(g, dict) else None)
            if isinstance(g, dict) and isinstance(g.get("tags"), dict):
                grp["tags"] = dict(g["tags"])
        for zk in ("dnsZones", "privateDnsZones"):
            for z in doc.get(zk, []):
                zid = z["id"] if isinstance(z, dict) else z
                p = zid.strip("/").split("/")
                if len(p) != 8 or p[6].lower() != zk.lower() or p[2].lower() != "resourcegroups":
                    raise ValueError("%s: bad %s id %r" % (path, zk, zid))
                self.add_group(p[1], p[3])
                self.zones[norm_id(zid)] = "/" + zid.strip("/")
        for doc_key, kinds in DOC_KEYS.items():
            for obj in doc.get(doc_key, []):
                self._load_resource(path, kinds, obj)
        for k, v in (doc.get("powerStates") or {}).items():
            if norm_id(k) in self.res and v in POWER_STATES:
                self.power[norm_id(k)] = v
        for sub, tags in (doc.get("subscriptionTags") or {}).items():
            self.subs.setdefault(sub.lower(), sub)
            self.sub_tags[sub.lower()] = {"tags": dict(tags)}
        if is_state:
            for op in doc.get("operations", []):
                self.ops[op["id"]] = op
            self.creations = {k: list(v) for k, v in doc.get("snapshotCreations", {}).items()}
            self.families = dict(doc.get("families", {}))
            self.copies = {k: dict(v) for k, v in doc.get("copies", {}).items()}
            self.region_copies = dict(doc.get("regionCopies", {}))
            self.last_ticks = int(doc.get("lastTicks", 0))
        # a seeded snapshot whose copy is unfinished copies on from where it is
        for k in self.sorted["snapshots"]:
            p = self.res[k][0]["properties"]
            pct = p.get("completionPercent")
            if (k not in self.copies and k not in self.region_copies
                    and isinstance(pct, (int, float)) and pct < 100
                    and not p.get("copyCompletionError")):
                self.copies[k] = {"from": float(pct), "at": None}

    def _load_resource(self, path, kinds, obj):
        what = "/".join(kinds)
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise ValueError("%s: every %s entry needs an \"id\"" % (path, what))
        parts = split_id(obj["id"])
        if not parts or parts[2] not in kinds:
            raise ValueError("%s: %r is not a %s id" % (path, obj["id"], what))
        kind = parts[2]
        if kind in RECORD_TYPES:
            zk = zone_key(obj["id"])
            self.zones.setdefault(zk, "/".join(("/" + obj["id"].strip("/")).split("/")[:9]))
        elif not isinstance(obj.get("location"), str) or not obj["location"]:
            raise ValueError("%s: %s has no \"location\"" % (path, obj["id"]))
        if norm_id(obj["id"]) in self.res:
            raise ValueError("%s: duplicate id %s (ids compare case-insensitively)" % (path, obj["id"]))
        sub, rg, _, name = parts
        obj.setdefault("name", name)
        obj.setdefault("type", TYPES[kind])
        props = obj.setdefault("properties", {})
        if kind not in RECORD_TYPES:
            props.setdefault("provisioningState", "Succeeded")
        if kind == "virtualmachines":
            # seed-only field: the power state is not part of the VM's GET
            power = obj.pop("powerState", "running")
            if power not in POWER_STATES:
                raise ValueError("%s: %s: powerState must be one of %s"
                                 % (path, obj["id"], ", ".join(POWER_STATES)))
            self.power[norm_id(obj["id"])] = power
        g = self.add_group(sub, rg, obj.get("location"))
        if g.get("location") is None and obj.get("location"):
            g["location"] = obj["location"]
        self.put(norm_id(obj["id"]), obj)

    def add_group(self, sub, rg, location=None):
        self.subs.setdefault(sub.lower(), sub)
        gk = group_key(sub, rg)
        if gk not in self.groups:
            self.groups[gk] = {"id": "/subscriptions/%s/resourceGroups/%s" % (sub, rg),
                               "location": location}
        return self.groups[gk]

    # ---- resources ------------------------------------------------------
    @staticmethod
    def kind_of(key):
        return key.split("/")[7]

    def sorted_keys(self, kind):
        return self.sorted[kind]

    def get(self, key):
        e = self.res.get(key)
        return e[0] if e else None

    def text(self, key):
        return self.res[key][1]

    def put(self, key, obj):
        if key not in self.res:
            bisect.insort(self.sorted[self.kind_of(key)], key)
        self.res[key] = [obj, dumps(obj)]

    def touch(self, key):
        """Re-encodes a resource after its object was changed in place."""
        e = self.res[key]
        e[1] = dumps(e[0])

    def remove(self, key):
        self.power.pop(key, None)
        self.copies.pop(key, None)
        if self.res.pop(key, None) is not None:
            lst = self.sorted[self.kind_of(key)]
            i = bisect.bisect_left(lst, key)
            if i < len(lst) and lst[i] == key:
                del lst[i]

    def page(self, kind, prefix, after, size):
        """Up to size keys of kind starting with prefix and sorting after
        `after`, and whether more follow. Sorted keys make a continuation
        token stable under concurrent creates and deletes."""
        lst = self.sorted[kind]
        i = bisect.bisect_right(lst, after) if after else bisect.bisect_left(lst, prefix)
        out = []
        while i < len(lst) and len(out) < size:
            k = lst[i]
            if not k.startswith(prefix):
                break
            out.append(k)
            i += 1
        more = i < len(lst) and lst[i].startswith(prefix)
        return out, more

    def next_private_ip(self):
        return self._next_ip("10.0.0.", "privateIPAddress", "networkinterfaces")

    def next_public_ip(self):
        return self._next_ip("20.50.0.", "ipAddress", "publicipaddresses")

    def _next_ip(self, net, field, kind):
        """The lowest free address of a /24 (from .4, as Azure subnets start)."""
        used = set()
        for k in self.sorted[kind]:
            p = self.res[k][0].get("properties") or {}
            used.add(p.get(field))
            for c in p.get("ipConfigurations") or []:
                used.add((c.get("properties") or {}).get(field))
        for n in range(4, 255):
            if net + str(n) not in used:
                return net + str(n)
        raise ValueError("no free address in %s0/24" % net)

    def next_ticks(self, now):
        """timeCreated ticks: the virtual clock, but strictly increasing, so
        snapshots made under a frozen test clock still have an order."""
        t = max(int(now * 10_000_000), self.last_ticks + 1)
        self.last_ticks = t
        return t

    # ---- persistence ----------------------------------------------------
    def commit(self):
        """Marks a change; returns the generation to pass to save_through."""
        self.gen += 1
        return self.gen

    def _serialize(self):
        parts = ['{"format":', dumps(FORMAT), ',"resourceGroups":',
                 dumps(sorted(self.groups.values(), key=lambda g: g["id"].lower()))]
        for doc_key, kinds in DOC_KEYS.items():
            parts.append(',"%s":[\n' % doc_key)
            parts.append(",\n".join(self.res[k][1] for kind in kinds for k in self.sorted[kind]))
            parts.append("]")
        for zk in ("dnsZones", "privateDnsZones"):
            parts += [',"%s":' % zk, dumps(sorted(v for k, v in self.zones.items()
                                                  if k.split("/")[7] == zk.lower()))]
        parts += [',"subscriptionTags":', dumps({k: v["tags"] for k, v in sorted(self.sub_tags.items())})]
        parts += [',"powerStates":', dumps(dict(sorted(self.power.items())))]
        parts += [',"operations":[\n',
                  ",\n".join(dumps(o) for o in sorted(self.ops.values(), key=lambda o: o["id"])),
                  '],"snapshotCreations":', dumps(self.creations),
                  ',"families":', dumps(self.families),
                  ',"copies":', dumps(self.copies),
                  ',"regionCopies":', dumps(self.region_copies),
                  ',"lastTicks":', str(self.last_ticks), "}\n"]
        return "".join(parts)

    def save_through(self, gen):
        """Makes sure generation gen is on disk. Group commit: one writer
        at a time, and a write covers every change made before it began."""
        if self._saved_gen >= gen:
            return
        with self._save_lock:
            if self._saved_gen >= gen:
                return
            with self.lock:
                target = self.gen
                data = self._serialize().encode("utf-8")
            tmp = "%s.tmp.%d" % (self.path, os.getpid())
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                if self.fsync:
                    os.fsync(f.fileno())
            os.replace(tmp, self.path)
            if self.fsync:
                dfd = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
            self._saved_gen = target

    def save_now(self):
        with self.lock:
            gen = self.commit()
        self.save_through(gen)
