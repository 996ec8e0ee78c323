"""ARM's per-subscription token buckets: reads 250 refilling 25/s, writes
and deletes 200 each refilling 10/s (scalable). Buckets use the real
clock: they model request rate, not simulated days. Without --throttle the
remaining-quota headers show fixed generous values and nothing is refused."""
import math
import threading
import time

LIMITS = {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}
# Compute's own counters, shown as x-ms-ratelimit-remaining-resource.
RESOURCE_NAMES = {"reads": "Microsoft.Compute/GetDisk3Min;%d,Microsoft.Compute/GetDisk30Min;%d",
                  "writes": "Microsoft.Compute/CreateUpdateDisks3Min;%d,Microsoft.Compute/CreateUpdateDisks30Min;%d",
                  "deletes": "Microsoft.Compute/DeleteDisks3Min;%d,Microsoft.Compute/DeleteDisks30Min;%d"}


def category(method):
    return {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}.get(method, "writes")


class Throttle:
    def __init__(self, enabled, scale=1.0):
        self.enabled = enabled
        self.scale = scale
        self.lock = threading.Lock()
        self.buckets = {}     # (sub, category) -> [tokens, last]

    def take(self, sub, cat):
        """(allowed, remaining, retry_after_seconds) for one request."""
        if not self.enabled:
            return True, {"reads": 11999, "writes": 1199, "deletes": 14999}[cat], 0
        cap, rate = LIMITS[cat]
        cap, rate = max(1.0, cap * self.scale), max(0.01, rate * self.scale)
        now = time.monotonic()
        with self.lock:
            b = self.buckets.setdefault((sub, cat), [cap, now])
            b[0] = min(cap, b[0] + (now - b[1]) * rate)
            b[1] = now
            if b[0] >= 1.0:
                b[0] -= 1.0
                return True, int(b[0]), 0
            return False, 0, max(1, math.ceil((1.0 - b[0]) / rate))

    def headers(self, cat, remaining):
        h = [("x-ms-ratelimit-remaining-subscription-%s" % cat, str(remaining))]
        if cat == "reads":
            h.append(("x-ms-ratelimit-remaining-subscription-global-reads", str(remaining)))
        else:
            h.append(("x-ms-ratelimit-remaining-subscription-global-%s" % cat, str(remaining)))
        h.append(("x-ms-ratelimit-remaining-resource",
                  RESOURCE_NAMES[cat] % (min(remaining, 4999), min(remaining * 8, 39999))))
        return h
