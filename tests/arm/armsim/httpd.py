"""HTTP plumbing: TLS per connection in the worker thread, keep-alive,
request classification, faults, the bearer-token check, throttling, the
headers ARM and Entra put on every answer, and the JSON-lines request log."""
import datetime
import json
import re
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import arm as armmod
from . import graph as graphmod
from .throttle import category, compute_policies
from .vclock import http_date

TOKEN_RE = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$", re.I)
OPENID_RE = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$", re.I)
JWKS_RE = re.compile(r"^/([^/]+)/discovery/v2\.0/keys$", re.I)
MSI_PATHS = ("/metadata/identity/oauth2/token", "/msi/token")
MAX_BODY = 16 << 20


class Request:
    __slots__ = ("method", "path", "segs", "lsegs", "query", "body", "base", "api_version",
                 "flags", "headers")


class Log:
    """JSON lines, one per request; never a secret, token or assertion."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.f = open(path, "a", encoding="utf-8", buffering=1) if path else None

    def write(self, rec):
        if self.f is None:
            return
        line = json.dumps(rec, separators=(",", ":")) + "\n"
        with self.lock:
            self.f.write(line)


SECRET_PARAMS = re.compile(r"(^|&)(client_secret|client_assertion|refresh_token|access_token|"
                           r"code|password)=[^&]*", re.I)


def redact(query):
    """The log never holds a secret, even one a client wrongly put in a URL."""
    return SECRET_PARAMS.sub(lambda m: "%s%s=REDACTED" % (m.group(1), m.group(2)), query)


def classify(method, path, lsegs):
    if method == "POST" and TOKEN_RE.match(path):
        return "token"
    if method == "GET" and (OPENID_RE.match(path) or JWKS_RE.match(path)
                            or path.lower() == "/common/discovery/instance"):
        return "meta"
    if path.lower().rstrip("/") in MSI_PATHS:
        return "msi"
    if graphmod.is_graph(method, path):
        return "graph"
    if len(lsegs) == 8 and lsegs[4] == "locations" and lsegs[6] in ("diskoperations", "operations",
                                                                   "operationresults"):
        return "operation"
    if method == "GET" and ((len(lsegs) == 5 and lsegs[2] == "providers")
                            or (len(lsegs) == 7 and lsegs[2] == "resourcegroups")):
        return "list"
    return "arm"


def fold_faults(rules, offset):
    """(flags for the handlers, the answering rule or None, delay, Date
    offset) from the rules that fired, in file order."""
    flags, terminal, delay = {}, None, 0.0
    for r in rules:
        a = r["action"]
        if a == "delay":
            delay += float(r.get("seconds", 1))
        elif a == "clock-offset":
            offset += float(r.get("seconds", 0))
        elif a in ("throttle", "error", "status", "drop"):
            terminal = terminal or r
        elif a in ("drop-after", "drop-mid"):
            flags.setdefault("drop", a[5:])
        elif a == "fail-lro":
            flags["fail-lro"] = {"state": r.get("state") or "Failed",
                                 "code": r.get("code") or "InternalOperationError",
                                 "message": r.get("message") or "The operation failed "
                                 "(injected by the test server's faults file).",
                                 "status": r.get("status") or 500}
        elif a == "race-create":
            flags["race-create"] = r.get("tags") or {"made-by": "race"}
        elif a == "fail-copy":
            flags["fail-copy"] = {"code": r.get("code") or "CopyFailed",
                                  "message": r.get("message") or "The copy failed (injected "
                                  "by the test server's faults file).",
                                  "at": float(r.get("at", 50))}
        elif a == "lro-seconds":
            flags["lro-seconds"] = max(0.0, float(r.get("seconds", 0)))
        elif a == "snapshot-limit":
            flags["snapshot-limit"] = True
            flags["snapshot-limit-message"] = r.get("message")
        else:
            flags[a] = True
    return flags, terminal, delay, offset


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120            # idle keep-alive connections end after this

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # ---- reading ------------------------------------------------------------
    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = b""
            while True:
                line = self.rfile.readline(65537)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline(3)
                if len(out) > MAX_BODY:
                    raise ValueError("body too large")
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n) if n else b""

    # ---- writing -------------------------------------------------------------
    def _send(self, status, headers, body, drop_mid=False):
        lines = ["HTTP/1.1 %d %s" % (status, self.responses.get(status, ("Unknown",))[0])]
        lines += ["%s: %s" % kv for kv in headers]
        if status not in (204, 304):
            if body:
                lines.append("Content-Type: application/json; charset=utf-8")
            lines.append("Content-Length: %d" % len(body))
        else:
            body = b""
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command == "HEAD":
            body = b""
        if drop_mid:
            self.wfile.write(head + body[: len(body) // 2])
            self._abort()
            return
        self.wfile.write(head + body)

    def _abort(self):
        """Ends the connection without a proper answer or TLS close."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- the request ------------------------------------------------------------
    def _handle(self):
        app = self.server.app
        t0 = time.monotonic()
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, [], b'{"error":{"code":"InvalidRequestContent","message":"bad body"}}')
            return
        url = urlsplit(self.path)
        path = url.path or "/"
        segs = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        lsegs = [s.lower() for s in segs]
        query = parse_qs(url.query, keep_blank_values=True)
        method = self.command
        kind = classify(method, path, lsegs)
        rec = {"ts": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
               "method": method, "path": path, "query": redact(url.query), "kind": kind}
        cid = self.headers.get("x-ms-client-request-id") or self.headers.get("client-request-id")
        if cid:
            rec["client_request_id"] = cid
        try:
            status, headers, out, drop = self._process(app, method, path, segs, lsegs, query,
                                                       body, kind, rec, cid)
        except Exception as e:   # a bug here must show, not hang the client
            import traceback
            traceback.print_exc()
            status, headers, out, drop = 500, [], armmod.error_body(
                "InternalServerError", "test server bug: %s" % e), None
        rec["status"] = status
        rec["ms"] = round((time.monotonic() - t0) * 1000, 2)
        if drop:
            rec["dropped"] = drop
        app.log.write(rec)
        if drop == "before" or drop == "after":
            self._abort()
            return
        try:
            self._send(status, headers, out, drop_mid=(drop == "mid"))
        except OSError:
            self.close_connection = True

    def _process(self, app, method, path, segs, lsegs, query, body, kind, rec, cid):
        if getattr(self.server, "plain", False) and kind != "msi":
            return 404, [], armmod.error_body("NotFound", "Only the managed-identity endpoint "
                                              "is served over plain HTTP."), None
        page = None
        if kind == "list":
            tok = query.get("$skiptoken", [None])[0]
            page = 1
            if tok:
                try:
                    page = armmod.Arm.decode_skiptoken(tok)[1]
                except armmod.ArmError:
                    page = None
        elif kind == "graph":
            page = graphmod.page_of(body, app.graph.page_size)
        rules, offset = app.faults.select(method, path, urlsplit(self.path).query, kind, page)
        flags, terminal, delay, offset = fold_faults(rules, offset)
        if rules:
            rec["faults"] = [r["name"] for r in rules]
        if delay:
            time.sleep(delay)
        vnow = app.clock.now()
        common = self._common_headers(app, kind, cid, vnow + offset)
        if terminal is not None:
            if terminal["action"] == "drop":
                return 0, [], b"", "before"
            st, h, out = self._fault_answer(terminal, kind)
            return st, common + h, out, None
        host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_address[1]
        base = "%s://%s" % ("http" if getattr(self.server, "plain", False) else "https", host)
        if kind == "token":
            tenant = TOKEN_RE.match(path).group(1)
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            st, obj = app.auth.token_endpoint(tenant, form, cid or str(uuid.uuid4()), rec)
            return st, common, json.dumps(obj).encode(), flags.get("drop")
        if kind == "meta":
            st, h, out = self._meta(app, path, base, host)
            return st, common + h, out, flags.get("drop")
        if kind == "msi":
            st, obj = app.auth.managed_identity(query, self.headers, rec)
            return st, common, json.dumps(obj).encode(), flags.get("drop")
        return self._arm(app, method, path, segs, lsegs, query, body, base, flags, rec, common)

    def _arm(self, app, method, path, segs, lsegs, query, body, base, flags, rec, common):
        tkind, problem = app.auth.check(self.headers.get("Authorization"),
                                        bool(flags.get("expire-token")))
        rec["token"] = tkind
        if problem:
            code, msg, www = problem
            rec["auth_error"] = code
            h = [("WWW-Authenticate", 'Bearer authorization_uri="%s", error="invalid_token", '
                  'error_description="%s"' % (base + "/" + app.cfg.tenant, www))]
            return 401, common + h, armmod.error_body(code, msg), None
        if rec.get("kind") == "graph":
            # Resource Graph has its own per-user quota, not ARM's buckets
            st, h, out = app.graph.handle(query.get("api-version", [""])[0], body)
            return st, common + h, out, flags.get("drop")
        sub = lsegs[1] if len(lsegs) > 1 and lsegs[0] == "subscriptions" else "-"
        cat = category(method)
        policies = compute_policies(method, lsegs)
        st, th, retry, by = app.throttle.take(
            app.auth.principal(self.headers.get("Authorization")), app.cfg.arm_region, cat,
            sub, self._resource_region(app, method, lsegs, body) if policies else "-", policies)
        common = common + th
        if st:
            rec["throttled"] = True
            rec["throttled_by"] = by
            if by == cat:
                return 429, common + [("Retry-After", str(retry))], armmod.error_body(
                    "SubscriptionRequestsThrottled", "Number of '%s' requests for subscription "
                    "'%s' exceeded. Please try again after '%d' seconds after additional tokens "
                    "are available. Refer to https://aka.ms/arm-throttling for additional "
                    "information." % (cat[:-1], sub, retry)), None
            # Compute's own refusal, in the shape its troubleshooting guide shows
            return 429, common + [("Retry-After", str(retry))], json.dumps({"error": {
                "code": "OperationNotAllowed", "message": "The server rejected the request "
                "because too many requests have been received for this subscription.",
                "details": [{"code": "TooManyRequests", "target": by, "message": json.dumps(
                    {"operationGroup": by, "retryAfterSeconds": retry})}]}}).encode(), None
        api = query.get("api-version", [""])[0]
        if not api:
            return 400, common, armmod.error_body(
                "MissingApiVersionParameter", "The api-version query parameter (?api-version=) "
                "is required for all requests."), None
        if not armmod.API_VERSION_RE.match(api):
            return 400, common, armmod.error_body(
                "InvalidApiVersionParameter", "The api-version '%s' is invalid. The supported "
                "versions are '2025-01-02,2024-03-02,2023-10-02,2023-04-02,2022-07-02'." % api), None
        req = Request()
        req.method, req.path, req.segs, req.lsegs = method, path, segs, lsegs
        req.query, req.body, req.base, req.api_version = query, body, base, api
        req.flags, req.headers = flags, self.headers
        st, h, out, gen = app.arm.handle(req)
        # The ticker may have ended an operation in memory that this answer
        # already shows: no answer goes out before what it shows is on disk,
        # so STATE never lags behind what a client was told.
        app.store.save_through(max(gen or 0, app.store.gen))
        return st, common + h, out, flags.get("drop")

    @staticmethod
    def _resource_region(app, method, lsegs, body):
        """Compute counts per region of the resource: a PUT's body says it,
        an operation URL names it, else the resource as stored."""
        if "locations" in lsegs[:-1]:
            return lsegs[lsegs.index("locations") + 1]
        if method in ("PUT", "PATCH") and body:
            try:
                loc = json.loads(body).get("location")
                if isinstance(loc, str) and loc:
                    return loc.lower().replace(" ", "")
            except (ValueError, AttributeError):
                pass
        obj = app.store.get("/" + "/".join(lsegs))
        loc = obj.get("location") if isinstance(obj, dict) else None
        return loc.lower() if isinstance(loc, str) else app.cfg.arm_region

    @staticmethod
    def _meta(app, path, base, host):
        m = OPENID_RE.match(path)
        if m:
            obj = app.auth.openid_configuration(base, m.group(1))
        elif JWKS_RE.match(path):
            obj = {"keys": []}
        else:
            obj = app.auth.instance_discovery(base, host)
        return 200, [], json.dumps(obj).encode()

    @staticmethod
    def _fault_answer(r, kind):
        a = r["action"]
        status = int(r.get("status") or {"throttle": 429, "error": 500}.get(a, 500))
        h = []
        if a == "throttle" or r.get("retry_after") is not None:
            h.append(("Retry-After", str(r.get("retry_after", 1))))
        if "body" in r:
            return status, h, json.dumps(r["body"]).encode() if r["body"] is not None else b""
        default_codes = {429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
                         503: "ServiceUnavailable", 504: "GatewayTimeout", 404: "ResourceNotFound",
                         403: "AuthorizationFailed", 409: "Conflict"}
        code = r.get("code") or default_codes.get(status, "InjectedFault")
        msg = r.get("message") or "Injected by the test server's faults file (rule %s)." % r["name"]
        if kind in ("token", "msi"):
            err = "temporarily_unavailable" if status >= 429 else "invalid_request"
            return status, h, json.dumps({"error": err, "error_description":
                                          "AADSTS50000: %s" % msg}).encode()
        return status, h, armmod.error_body(code, msg)

    def _common_headers(self, app, kind, cid, date_epoch):
        rid = str(uuid.uuid4())
        h = [("Date", http_date(date_epoch)), ("x-ms-request-id", rid)]
        if kind in ("token", "meta", "msi"):
            h += [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache"),
                  ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
                  ("X-Content-Type-Options", "nosniff"), ("x-ms-ests-server", "2.1.0 - snapkeep-test")]
            if cid:
                h.append(("client-request-id", cid))
            return h
        corr = self.headers.get("x-ms-correlation-request-id") or rid
        h += [("x-ms-correlation-request-id", corr),
              ("x-ms-routing-request-id", "%s:%s:%s" % (app.cfg.arm_region.upper(),
                  time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(date_epoch)), corr)),
              ("Cache-Control", "no-cache"), ("Pragma", "no-cache"), ("Expires", "-1"),
              ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
              ("X-Content-Type-Options", "nosniff")]
        if cid:
            h.append(("x-ms-client-request-id", cid))
        return h


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, app, ssl_ctx, plain=False):
        self.app = app
        self.ssl_ctx = ssl_ctx
        self.plain = plain
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        """TLS handshake here, in the connection's own thread, so one slow
        client cannot stall accept()."""
        # Without TCP_NODELAY a multi-record answer meets the client's delayed
        # ACK and every large list page costs 40 ms.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_ctx is None:
            return super().finish_request(request, client_address)
        request.settimeout(15)
        try:
            conn = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass     # broken connections are normal under the drop faults
