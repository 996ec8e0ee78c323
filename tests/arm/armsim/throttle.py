"""Throttling as ARM does it (tests/arm/README.md, Throttling), in two levels.

Resource Manager: token buckets per security principal and per region (of
the Resource Manager instance that answers: this server is one, in
--arm-region), shared by every subscription the principal touches. Reads
250 refilling 25/s, writes 200 refilling 10/s, deletes 200 refilling 10/s.
Shown as x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}.

Compute: its own buckets per subscription and per region of the resource,
one per policy of the operation group, shown as
x-ms-ratelimit-remaining-resource: Microsoft.Compute/POLICY;N,... . Only a
request that Resource Manager let through is charged there.

Buckets use the real clock: they model request rate, not simulated days.
Without --throttle nothing is refused and the headers show fixed generous
values."""
import math
import threading
import time

LIMITS = {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}

# Compute's policies: (name, size, window seconds); a bucket of `size`
# refilling size/window per second. Microsoft publishes the header's shape,
# not these figures: the sizes are the server's choice, large enough that
# only snapshot creation (a high-cost operation) is ever limited by them.
_GET = [("LowCostGet3Min", 5000, 180.0), ("LowCostGet30Min", 40000, 1800.0)]
_PUT = [("CreateUpdateDisks3Min", 5000, 180.0), ("CreateUpdateDisks30Min", 40000, 1800.0)]
_DEL = [("DeleteDisks3Min", 5000, 180.0), ("DeleteDisks30Min", 40000, 1800.0)]
SNAPSHOT_CREATE = [("HighCostSnapshotCreateHydrate3Min", 240, 180.0),
                   ("HighCostSnapshotCreateHydrate30Min", 1200, 1800.0)]

# Without --throttle: what the headers say (ARM's old hourly figures).
UNLIMITED = {"reads": 11999, "writes": 1199, "deletes": 14999}


def category(method):
    return {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}.get(method, "writes")


def compute_policies(method, lsegs):
    """The Compute policies a request is charged to ([] for none)."""
    try:
        i = lsegs.index("providers")
    except ValueError:
        return []
    if i + 1 >= len(lsegs) or lsegs[i + 1] != "microsoft.compute":
        return []
    rtype = lsegs[i + 2] if i + 2 < len(lsegs) else ""
    if method in ("GET", "HEAD"):
        return _GET
    if method == "DELETE":
        return _DEL
    if rtype == "snapshots" and method == "PUT" and len(lsegs) == i + 4:
        return SNAPSHOT_CREATE
    return _PUT


class Bucket:
    __slots__ = ("tokens", "last")

    def __init__(self, cap, now):
        self.tokens, self.last = cap, now

    def refill(self, cap, rate, now):
        self.tokens = min(cap, self.tokens + (now - self.last) * rate)
        self.last = now


class Throttle:
    def __init__(self, enabled, scale=1.0):
        self.enabled = enabled
        self.scale = scale
        self.lock = threading.Lock()
        self.arm = {}           # (principal, region, category) -> Bucket
        self.compute = {}       # (subscription, region, policy) -> Bucket

    def _sized(self, cap, rate):
        return max(1.0, cap * self.scale), max(0.001, rate * self.scale)

    def take(self, principal, region, cat, sub, res_region, policies):
        """One request: (status, headers, retry_after, refused_by) with
        status 0 when allowed, else 429; refused_by names the bucket."""
        if not self.enabled:
            rem = UNLIMITED[cat]
            res = [(p[0], min(rem, p[1] - 1)) for p in policies]
            return 0, self._headers(cat, rem, res), 0, None
        now = time.monotonic()
        with self.lock:
            cap, rate = self._sized(*LIMITS[cat])
            b = self.arm.setdefault((principal, region, cat), Bucket(cap, now))
            b.refill(cap, rate, now)
            if b.tokens < 1.0:
                return 429, self._headers(cat, 0, []), self._wait(b, rate), cat
            b.tokens -= 1.0
            rem = int(b.tokens)
            sized = [(name,) + self._sized(size, size / window) for name, size, window in policies]
            cbs = []
            for name, pcap, prate in sized:
                cb = self.compute.setdefault((sub, res_region, name), Bucket(pcap, now))
                cb.refill(pcap, prate, now)
                cbs.append(cb)
            for (name, _, prate), cb in zip(sized, cbs):
                if cb.tokens < 1.0:
                    res = [(n, int(c.tokens)) for (n, _, _), c in zip(sized, cbs)]
                    return 429, self._headers(cat, rem, res), self._wait(cb, prate), name
            for cb in cbs:
                cb.tokens -= 1.0
            res = [(n, int(c.tokens)) for (n, _, _), c in zip(sized, cbs)]
            return 0, self._headers(cat, rem, res), 0, None

    @staticmethod
    def _wait(b, rate):
        return max(1, math.ceil((1.0 - b.tokens) / rate))

    @staticmethod
    def _headers(cat, remaining, resource):
        h = [("x-ms-ratelimit-remaining-subscription-%s" % cat, str(remaining)),
             ("x-ms-ratelimit-remaining-subscription-global-%s" % cat, str(remaining))]
        if resource:
            h.append(("x-ms-ratelimit-remaining-resource",
                      ",".join("Microsoft.Compute/%s;%d" % r for r in resource)))
        return h
