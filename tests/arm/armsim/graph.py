"""Azure Resource Graph over the server's own state:
POST /providers/Microsoft.ResourceGraph/resources with a KQL query.

Resource Graph is an index that lags behind ARM. The index here is a copy
of the store, taken again once --graph-lag virtual seconds have passed
since the last copy (0: every query sees the store as it is), so a test can
hold ARM and the index apart on purpose. Only the query shape clients use
for listings is understood (see QUERY_RE); anything else is a 400 as
Resource Graph gives for a query it cannot run. Rows are resources as ARM
shows them plus Resource Graph's own columns (type lower-cased,
subscriptionId, resourceGroup, tenantId). Paging: $top (at most 1000, and
--graph-page-size), $skipToken; every answer carries the per-user quota
headers, and a user over its quota (--graph-quota queries per 5 s, real
clock, one bucket: the server has one principal) gets 429 RateLimiting."""
import base64
import hashlib
import json
import re
import threading
import time
import uuid

from .arm import ArmError, error_body

PATH = "/providers/microsoft.resourcegraph/resources"
API_VERSIONS = ("2019-04-01", "2020-04-01-preview", "2021-03-01", "2022-10-01", "2024-04-01")
QUERY_RE = re.compile(
    r"^\s*resources\s*\|\s*where\s+type\s*=~\s*'(?P<type>[A-Za-z0-9./]+)'\s*"
    r"(?:\|\s*project\s+(?P<cols>[A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*)?"
    r"(?:\|\s*order\s+by\s+id\s+(?P<dir>asc|desc)\s*)?$", re.I)
WINDOW = 5.0
MAX_TOP = 1000


def is_graph(method, path):
    return method == "POST" and path.lower().rstrip("/") == PATH


def _token(offset, digest):
    raw = json.dumps({"o": offset, "q": digest}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _untoken(tok):
    d = json.loads(base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)))
    return int(d["o"]), str(d["q"])


def page_of(body, page_size):
    """The page number (1: no $skipToken) of a query body, for faults rules;
    None when the body is not a query."""
    try:
        opts = json.loads(body or b"{}").get("options") or {}
        tok = opts.get("$skipToken")
        if not tok:
            return 1
        offset, _ = _untoken(tok)
        top = min(int(opts.get("$top") or 100), MAX_TOP, page_size)
        return offset // max(1, top) + 1
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class Graph:
    def __init__(self, cfg, store, clock):
        self.store, self.clock = store, clock
        self.lag = float(getattr(cfg, "graph_lag", 0.0) or 0.0)
        self.page_size = int(getattr(cfg, "graph_page_size", MAX_TOP) or MAX_TOP)
        self.quota = int(getattr(cfg, "graph_quota", 15))
        self.tenant = cfg.tenant
        self.lock = threading.Lock()
        self.index, self.taken = None, None
        self.used, self.window_start = 0, time.monotonic()
        self._refresh(clock.now())

    # ---- the index -------------------------------------------------------------
    def _refresh(self, now):
        with self.store.lock:
            texts = [self.store.text(k) for kind in sorted(self.store.sorted)
                     for k in self.store.sorted[kind]]
        self.index, self.taken = texts, now

    def _rows(self, now):
        with self.lock:
            if self.lag <= 0 or now - self.taken >= self.lag:
                self._refresh(now)
            texts = self.index
        return [json.loads(t) for t in texts]

    def _row(self, obj):
        rid = obj.get("id", "")
        p = rid.strip("/").split("/")
        row = dict(obj)
        row["type"] = (obj.get("type") or "").lower()
        row["subscriptionId"] = p[1] if len(p) > 1 else ""
        row["resourceGroup"] = p[3].lower() if len(p) > 3 else ""
        row["tenantId"] = self.tenant
        for col in ("kind", "managedBy", "sku", "plan", "tags", "identity", "zones",
                    "extendedLocation"):
            row.setdefault(col, None)
        return row

    # ---- quota -----------------------------------------------------------------
    def _take(self):
        """(allowed, remaining, seconds until the window resets)."""
        now = time.monotonic()
        with self.lock:
            if now - self.window_start >= WINDOW:
                self.used, self.window_start = 0, now
            resets = max(0.0, WINDOW - (now - self.window_start))
            if self.used >= self.quota:
                return False, 0, resets
            self.used += 1
            return True, self.quota - self.used, resets

    @staticmethod
    def _quota_headers(remaining, resets):
        s = int(resets + 0.999)
        return [("x-ms-user-quota-remaining", str(remaining)),
                ("x-ms-user-quota-resets-after", "%02d:%02d:%02d" % (s // 3600, s // 60 % 60,
                                                                    s % 60))]

    # ---- a query ---------------------------------------------------------------
    @staticmethod
    def _bad(message, code="InvalidQuery"):
        return 400, [], json.dumps({"error": {
            "code": "BadRequest",
            "message": "Please provide below info when asking for support: timestamp = %s, "
                       "correlationId = %s." % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                                 uuid.uuid4()),
            "details": [{"code": code, "message": message}]}}).encode()

    def handle(self, api_version, body):
        """(status, headers, body bytes) for one POST."""
        ok, remaining, resets = self._take()
        qh = self._quota_headers(remaining, resets)
        if not ok:
            return 429, qh + [("Retry-After", str(max(1, int(resets + 0.999))))], error_body(
                "RateLimiting", "Please provide below info when asking for support: "
                "timestamp = %s, correlationId = %s. Too many requests: the user's quota is "
                "spent; retry after %s." % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                            uuid.uuid4(), qh[1][1]))
        if api_version not in API_VERSIONS:
            return 400, qh, error_body(
                "InvalidApiVersionParameter", "The api-version '%s' is invalid. The supported "
                "versions are '%s'." % (api_version, ",".join(reversed(API_VERSIONS))))
        try:
            st, h, out = self._query(json.loads(body or b"null"))
        except (ValueError, ArmError) as e:
            st, h, out = self._bad(str(e), "InvalidRequestContent")
        return st, qh + h, out

    def _query(self, req):
        if not isinstance(req, dict) or not isinstance(req.get("query"), str):
            return self._bad("The request content is not a query request: 'query' is required.",
                             "InvalidRequestContent")
        if req.get("managementGroups"):
            return self._bad("managementGroups scopes are not served by the test server.",
                             "UnsupportedScope")
        subs = req.get("subscriptions")
        if subs is not None and not (isinstance(subs, list)
                                     and all(isinstance(s, str) for s in subs)):
            return self._bad("'subscriptions' must be a list of subscription IDs.",
                             "InvalidRequestContent")
        opts = req.get("options") or {}
        if not isinstance(opts, dict):
            return self._bad("'options' must be an object.", "InvalidRequestContent")
        m = QUERY_RE.match(req["query"])
        if m is None:
            return self._bad("Query is invalid. Please refer to the documentation for the Azure "
                             "Resource Graph service and fix the error before retrying. (The "
                             "test server runs only 'Resources | where type =~ ... | project "
                             "... | order by id asc'.)")
        want = {s.lower() for s in subs} if subs is not None else None
        rows = []
        for obj in self._rows(self.clock.now()):
            if (obj.get("type") or "").lower() != m.group("type").lower():
                continue
            row = self._row(obj)
            if want is not None and row["subscriptionId"].lower() not in want:
                continue
            rows.append(row)
        rows.sort(key=lambda r: r.get("id", "").lower(), reverse=(m.group("dir") or "").lower()
                  == "desc")
        cols = [c.strip() for c in m.group("cols").split(",")] if m.group("cols") else None
        if cols is not None:
            rows = [{c: r.get(c) for c in cols} for r in rows]
        digest = hashlib.sha256(json.dumps([req["query"], sorted(want or [])])
                                .encode()).hexdigest()[:16]
        try:
            top = int(opts.get("$top", 100))
            offset = 0
            if opts.get("$skipToken"):
                offset, d = _untoken(opts["$skipToken"])
                if d != digest:
                    raise ValueError("skip token of another query")
        except (ValueError, KeyError, TypeError):
            return self._bad("The $skipToken is not valid for this query.", "InvalidSkipToken")
        if not 1 <= top <= MAX_TOP:
            return self._bad("$top must be from 1 to %d." % MAX_TOP, "InvalidRequestContent")
        top = min(top, self.page_size)
        page = rows[offset:offset + top]
        fmt = opts.get("resultFormat") or "objectArray"
        if fmt == "table":
            names = cols or sorted({k for r in page for k in r})
            data = {"columns": [{"name": c, "type": "object"} for c in names],
                    "rows": [[r.get(c) for c in names] for r in page]}
        elif fmt == "objectArray":
            data = page
        else:
            return self._bad("resultFormat must be table or objectArray.",
                             "InvalidRequestContent")
        out = {"totalRecords": len(rows), "count": len(page), "data": data, "facets": [],
               "resultTruncated": "false"}
        if offset + top < len(rows):
            out["$skipToken"] = _token(offset + top, digest)
        return 200, [], json.dumps(out).encode()
