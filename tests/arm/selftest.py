#!/usr/bin/env python3
"""Checks tests/arm/serve feature by feature against its documented
behaviour (tests/arm/README.md). Prints "ok NAME" / "not ok NAME" lines;
run by tests/integration/arm_server.sh. Standard library only."""
import base64
import email.utils
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
from armsim.vclock import parse_time  # noqa: E402
from armsim.auth import TOKEN_PREFIX  # noqa: E402
import selftest_vm  # noqa: E402
import selftest_net  # noqa: E402
import selftest_copy  # noqa: E402

SERVE = os.path.join(HERE, "serve")
TENANT = "11111111-1111-4111-8111-111111111111"
CLIENT = "22222222-2222-4222-8222-222222222222"
SECRET = "snapkeep-test-secret"
SUB1 = "00000000-0000-4000-8000-000000000001"
SUB2 = "00000000-0000-4000-8000-000000000002"
API = "api-version=2025-01-02"
FAILED = 0


PRINT_LOCK = threading.Lock()


def say(line):
    """One whole line at a time: sections run side by side (main)."""
    with PRINT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def check(name, cond, detail=""):
    global FAILED
    if cond:
        say("ok " + name)
    else:
        FAILED = 1
        say("not ok %s%s" % (name, (" -- " + str(detail)[:400]) if detail else ""))
    return cond


def rid(sub, rg, kind, name):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/%s/%s" % (
        sub, rg, kind, name)


def make_seed(path):
    disks, snaps = [], []
    layout = [(SUB1, "rg-big", "disk-big", 2500), (SUB1, "rg-two", "disk-two", 300),
              (SUB2, "rg-other", "disk-other", 10)]
    for sub, rg, disk, n in layout:
        d = {"id": rid(sub, rg, "disks", disk), "location": "westeurope",
             "sku": {"name": "Premium_LRS"},
             "properties": {"diskSizeGB": 64, "uniqueId": "uid-" + disk,
                            "timeCreated": "2026-01-01T00:00:00.0000000+00:00"}}
        disks.append(d)
        for i in range(n):
            snaps.append({"id": rid(sub, rg, "snapshots", "%s-%05d" % (disk, i)),
                          "location": "westeurope", "tags": {"snapkeep-policy": "p"},
                          "properties": {"incremental": True, "creationData": {
                              "createOption": "Copy", "sourceResourceId": d["id"]},
                              "incrementalSnapshotFamilyId": "fam-" + disk,
                              "timeCreated": "2026-11-20T10:00:03.1234567+00:00"}})
    # Spare disks in other regions and for the per-disk limits.
    for name, loc in (("disk-rate", "westeurope"), ("disk-north", "northeurope"),
                      ("disk-attached", "westeurope"), ("disk-inc", "westeurope")):
        d = {"id": rid(SUB1, "rg-two", "disks", name), "location": loc,
             "properties": {"diskSizeGB": 32, "uniqueId": "uid-" + name}}
        if name == "disk-attached":
            d["managedBy"] = "/subscriptions/%s/resourceGroups/rg-two/providers/" \
                             "Microsoft.Compute/virtualMachines/vm1" % SUB1
        disks.append(d)
    with open(path, "w") as f:
        json.dump({"disks": disks, "snapshots": snaps,
                   "resourceGroups": [{"id": "/subscriptions/%s/resourceGroups/rg-empty" % SUB1,
                                       "location": "westeurope"}]}, f)


class Server:
    def __init__(self, work, name, args, seed=None, state=None):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = state or os.path.join(self.dir, "state.json")
        self.tls = os.path.join(self.dir, "tls")
        self.log = os.path.join(self.dir, "log.jsonl")
        self.faults = os.path.join(self.dir, "faults.json")
        self.clock = os.path.join(self.dir, "clock")
        cmd = [SERVE, "--exit-with-parent", "--port", "0", "--state", self.state, "--tls-dir", self.tls,
               "--log", self.log, "--faults", self.faults] + list(args)
        if seed:
            cmd += ["--seed", seed]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(
            os.path.join(self.dir, "stderr"), "a"), text=True)
        self.extra = []
        line = self.proc.stdout.readline()
        while line.startswith("imds "):
            self.extra.append(line.split()[1])
            line = self.proc.stdout.readline()
        m = re.match(r"^ready https://127\.0\.0\.1:(\d+)\n$", line)
        if not m:
            raise RuntimeError("no ready line from %s: %r" % (name, line))
        self.port = int(m.group(1))
        self.url = "https://127.0.0.1:%d" % self.port
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.tls, "ca.pem"))
        self.local = threading.local()

    def conn(self, fresh=False):
        c = getattr(self.local, "c", None)
        if c is None or fresh:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
            self.local.c = c
        return c

    def request(self, method, path, body=None, headers=None, token=None, fresh=False):
        """(status, headers dict lower-cased, parsed body or raw bytes)."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        if path.startswith("https://"):
            path = path[len(self.url):]
        c = self.conn(fresh)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            raw = r.read()
        except Exception:
            self.local.c = None
            c.close()
            raise
        hd = {k.lower(): v for k, v in r.getheaders()}
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw
        return r.status, hd, data

    def token(self, **form):
        f = {"grant_type": "client_credentials", "client_id": CLIENT,
             "scope": "https://management.azure.com/.default"}
        if not form.get("client_assertion"):
            f["client_secret"] = SECRET
        f.update(form)
        f = {k: v for k, v in f.items() if v is not None}
        return self.request("POST", "/%s/oauth2/v2.0/token" % form.pop("tenant", TENANT),
                            urllib.parse.urlencode(f),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def bearer(self):
        st, _, b = self.token()
        assert st == 200, b
        return b["access_token"]

    def set_faults(self, doc):
        tmp = self.faults + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, self.faults)
        # The server notices the change by mtime/size/inode; a fresh inode suffices.

    def clear_faults(self):
        if os.path.exists(self.faults):
            os.unlink(self.faults)

    def set_clock(self, text):
        tmp = self.clock + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.clock)

    def read_state(self):
        with open(self.state) as f:
            return json.load(f)

    def log_records(self):
        with open(self.log) as f:
            return [json.loads(x) for x in f]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return None
        return self.proc.returncode


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def jwt(claims):
    return "%s.%s.%s" % (b64({"alg": "RS256", "typ": "JWT"}), b64(claims), "c2lnbmF0dXJl")


def list_all(srv, tok, path, page_size):
    """Follows nextLink; returns (names, pages, problems)."""
    names, pages, problems = [], 0, []
    url = path + ("&" if "?" in path else "?") + API
    while url:
        st, h, b = srv.request("GET", url, token=tok)
        if st != 200:
            problems.append("status %s on %s" % (st, url))
            break
        pages += 1
        if len(b["value"]) > page_size:
            problems.append("page of %d" % len(b["value"]))
        names += [v["name"] for v in b["value"]]
        url = b.get("nextLink")
        if url and not (url.startswith(srv.url + "/") and "$skiptoken=" in url
                        and "api-version=2025-01-02" in url):
            problems.append("bad nextLink " + url)
            break
    return names, pages, problems


def error_code(b):
    return b.get("error", {}).get("code") if isinstance(b, dict) else None


# ---------------------------------------------------------------------------
def test_tls_and_state(a, seed):
    check("ca.pem written in the TLS dir", os.path.exists(os.path.join(a.tls, "ca.pem")))
    s = a.read_state()
    check("state file holds the seed before any change",
          len(s["snapshots"]) == 2810 and len(s["disks"]) == 7, (len(s["snapshots"]), len(s["disks"])))


def test_entra(a):
    st, h, b = a.token()
    check("secret: token issued", st == 200 and b.get("token_type") == "Bearer"
          and isinstance(b.get("expires_in"), int) and b["access_token"], b)
    parts = b["access_token"].split(".")
    try:
        head, claims = [json.loads(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))) for x in parts[:2]]
        sig = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
    except (ValueError, IndexError) as e:
        head, claims, sig = {}, {"error": str(e)}, b""
    now = int(a.now())
    check("access token is a JWT: RS256 header with kid, 256-byte signature part",
          len(parts) == 3 and head.get("alg") == "RS256" and head.get("typ") == "JWT"
          and head.get("kid") and len(sig) == 256 and b["access_token"].startswith(TOKEN_PREFIX), head)
    check("access token claims: aud, iss, tid, appid, oid, iat/nbf/exp on the virtual clock",
          claims.get("aud") == "https://management.azure.com" and claims.get("tid") == TENANT
          and claims.get("iss") == "https://sts.windows.net/%s/" % TENANT
          and claims.get("appid") == CLIENT and claims.get("oid")
          and claims.get("iat") == claims.get("nbf") and abs(claims.get("iat", 0) - now) <= 2
          and claims.get("exp") - claims.get("iat") == b["expires_in"], claims)
    check("two tokens differ", a.token()[2]["access_token"] != b["access_token"])
    check("token answer carries no-store and a request id",
          "no-store" in h.get("cache-control", "") and h.get("x-ms-request-id"))
    st, _, b = a.token(client_secret="wrong")
    check("wrong secret: 401 invalid_client AADSTS7000215",
          st == 401 and b["error"] == "invalid_client" and "AADSTS7000215" in b["error_description"], b)
    check("wrong secret: error text does not echo the secret",
          "wrong" not in json.dumps(b) and SECRET not in json.dumps(b))
    st, _, b = a.token(client_id="99999999-0000-4000-8000-000000000000")
    check("unknown client id: 400 unauthorized_client", st == 400 and b["error"] == "unauthorized_client", b)
    st, _, b = a.token(tenant="aaaaaaaa-0000-4000-8000-000000000000")
    check("unknown tenant: 400 AADSTS90002", st == 400 and "AADSTS90002" in b["error_description"], b)
    st, _, b = a.token(scope="https://management.azure.com/user_impersonation")
    check("scope without /.default: 400 invalid_scope", st == 400 and b["error"] == "invalid_scope", b)
    st, _, b = a.token(scope="https://vault.azure.net/.default")
    check("scope of another resource: 400 invalid_resource",
          st == 400 and b["error"] == "invalid_resource", b)
    st, _, b = a.token(client_secret=None)
    check("neither secret nor assertion: 400 invalid_client AADSTS7000218",
          st == 400 and "AADSTS7000218" in b["error_description"], b)
    st, _, b = a.token(scope="https://management.usgovcloudapi.net/.default")
    check("US Government audience token issued", st == 200, b)
    gov = b.get("access_token")
    st, _, b = a.request("GET", "/subscriptions/%s?%s" % (SUB1, API), token=gov)
    check("ARM refuses a token for another cloud's audience: 401 InvalidAuthenticationToken",
          st == 401 and error_code(b) == "InvalidAuthenticationToken"
          and "audience" in b["error"]["message"], b)
    # Client assertions (workload identity).
    at = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    now = int(a.now())
    good = jwt({"aud": "api://AzureADTokenExchange", "iss": "https://oidc.example",
                "sub": "system:serviceaccount:ns:sa", "exp": now + 600})
    st, _, b = a.token(client_assertion_type=at, client_assertion=good)
    check("assertion: well-formed JWT with the exchange audience accepted", st == 200, b)
    st, _, _ = a.request("GET", "/subscriptions/%s?%s" % (SUB1, API), token=b.get("access_token"))
    check("assertion token accepted by ARM", st == 200)
    made = subprocess.run([os.path.join(HERE, "make-jwt"), "sa", "600", str(now)],
                          capture_output=True, text=True).stdout.strip()
    st, _, b = a.token(client_assertion_type=at, client_assertion=made)
    check("assertion: make-jwt's output (at the virtual now) accepted", st == 200, b)
    st, _, b = a.token(client_assertion_type=at, client_assertion="configured-assertion-value")
    check("assertion: the configured --client-assertion value accepted", st == 200, b)
    for why, claims in (("wrong audience", {"aud": "api://other", "iss": "i", "sub": "s", "exp": now + 600}),
                        ("expired", {"aud": "api://AzureADTokenExchange", "iss": "i", "sub": "s",
                                     "exp": now - 5}),
                        ("no subject", {"aud": "api://AzureADTokenExchange", "iss": "i",
                                        "exp": now + 600})):
        st, _, b = a.token(client_assertion_type=at, client_assertion=jwt(claims))
        check("assertion refused (%s): 401 invalid_client" % why,
              st == 401 and b["error"] == "invalid_client", b)
    st, _, b = a.token(client_assertion_type=at, client_assertion="not-a-jwt")
    check("assertion refused (not a JWT)", st == 401, b)
    st, _, b = a.request("GET", "/%s/v2.0/.well-known/openid-configuration" % TENANT)
    check("openid-configuration points at this server's token endpoint",
          st == 200 and b["token_endpoint"] == "%s/%s/oauth2/v2.0/token" % (a.url, TENANT)
          and b["issuer"].startswith(a.url), b)


def test_msi(a):
    q = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s" % urllib.parse.quote(
        "https://management.azure.com/", safe="")
    st, _, b = a.request("GET", q, headers={"Metadata": "true"})
    check("IMDS: token with all fields strings and epoch expires_on",
          st == 200 and all(isinstance(v, str) for v in b.values())
          and b["expires_on"].isdigit() and b["token_type"] == "Bearer"
          and b["resource"] == "https://management.azure.com/", b)
    tok = b.get("access_token")
    st, _, _ = a.request("GET", "/subscriptions/%s?%s" % (SUB1, API), token=tok)
    check("IMDS token accepted by ARM", st == 200)
    st, _, b = a.request("GET", q)
    check("IMDS without Metadata: true: 400", st == 400 and b["error"] == "invalid_request", b)
    st, _, b = a.request("GET", q + "&client_id=33333333-3333-4333-8333-333333333333",
                         headers={"Metadata": "true"})
    check("IMDS user-assigned identity by client_id", st == 200
          and b["client_id"] == "33333333-3333-4333-8333-333333333333", b)
    st, _, b = a.request("GET", q + "&client_id=00000000-1111-4111-8111-000000000000",
                         headers={"Metadata": "true"})
    check("IMDS unknown user-assigned identity: 400 Identity not found",
          st == 400 and "Identity not found" in b["error_description"], b)
    q2 = "/msi/token?api-version=2019-08-01&resource=https://management.azure.com"
    st, _, b = a.request("GET", q2, headers={"X-IDENTITY-HEADER": "snapkeep-test-identity-header"})
    check("App Service shape: token with epoch expires_on", st == 200
          and b["expires_on"].isdigit() and "expires_in" not in b, b)
    st, _, _ = a.request("GET", "/subscriptions/%s?%s" % (SUB1, API), token=b.get("access_token"))
    check("App Service token accepted by ARM", st == 200)
    st, _, b = a.request("GET", q2, headers={"X-IDENTITY-HEADER": "nope"})
    check("App Service shape: wrong X-IDENTITY-HEADER refused", st == 401, b)
    st, _, b = a.request("GET", q2.replace("2019-08-01", "2018-02-01"),
                         headers={"X-IDENTITY-HEADER": "snapkeep-test-identity-header"})
    check("App Service shape: api-version other than 2019-08-01 refused", st == 400, b)
    if a.extra:
        u = urllib.parse.urlsplit(a.extra[0])
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        c.request("GET", q, headers={"Metadata": "true"})
        r = c.getresponse()
        b = json.loads(r.read())
        check("plain-HTTP IMDS listener (--imds-port) issues tokens", r.status == 200
              and b.get("access_token"))
        c.request("GET", "/subscriptions/%s?%s" % (SUB1, API))
        r = c.getresponse()
        r.read()
        check("plain-HTTP listener serves nothing but managed identity", r.status == 404)


def test_arm_auth(a, tok):
    path = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/disks/disk-two?%s" % (SUB1, API)
    st, h, b = a.request("GET", path)
    check("no Authorization: 401 AuthenticationFailed with WWW-Authenticate",
          st == 401 and error_code(b) == "AuthenticationFailed"
          and h.get("www-authenticate", "").startswith("Bearer authorization_uri="), (st, b))
    st, h, b = a.request("GET", path, token="sktest.forged")
    check("unknown token: 401 InvalidAuthenticationToken",
          st == 401 and error_code(b) == "InvalidAuthenticationToken", b)
    st, h, b = a.request("GET", path, token=tok)
    check("valid token: 200", st == 200 and b["name"] == "disk-two", b)


def test_arm_basics(a, tok):
    base = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute" % SUB1
    st, _, b = a.request("GET", base + "/disks/disk-two", token=tok)
    check("missing api-version: 400 MissingApiVersionParameter",
          st == 400 and error_code(b) == "MissingApiVersionParameter", b)
    st, _, b = a.request("GET", base + "/disks/disk-two?api-version=latest", token=tok)
    check("malformed api-version: 400 InvalidApiVersionParameter",
          st == 400 and error_code(b) == "InvalidApiVersionParameter", b)
    st, _, b = a.request("GET", "/SUBSCRIPTIONS/%s/resourcegroups/RG-TWO/PROVIDERS/microsoft.compute/"
                         "SNAPSHOTS/DISK-TWO-00007?%s" % (SUB1.upper(), API), token=tok)
    check("paths and names are case-insensitive", st == 200 and b["name"] == "disk-two-00007"
          and b["id"] == rid(SUB1, "rg-two", "snapshots", "disk-two-00007"), b)
    st, _, b = a.request("GET", "/subscriptions/%s/resourceGroups/rg-two?%s" % ("f" * 8 + SUB1[8:], API),
                         token=tok)
    check("unknown subscription: 404 SubscriptionNotFound",
          st == 404 and error_code(b) == "SubscriptionNotFound", b)
    st, _, b = a.request("GET", "/subscriptions/%s/resourceGroups/nope/providers/Microsoft.Compute/"
                         "snapshots?%s" % (SUB1, API), token=tok)
    check("unknown resource group: 404 ResourceGroupNotFound",
          st == 404 and error_code(b) == "ResourceGroupNotFound", b)
    st, _, b = a.request("GET", base + "/snapshots/nope?" + API, token=tok)
    check("unknown snapshot: 404 ResourceNotFound in the error envelope",
          st == 404 and error_code(b) == "ResourceNotFound" and "message" in b["error"], b)
    st, _, b = a.request("GET", "/subscriptions/%s/resourceGroups/rg-empty/providers/Microsoft.Compute/"
                         "snapshots?%s" % (SUB1, API), token=tok)
    check("resource group named only in the seed's resourceGroups is served, empty",
          st == 200 and b == {"value": []}, b)
    st, h, b = a.request("GET", base + "/disks/disk-two?" + API, token=tok,
                         headers={"x-ms-client-request-id": "cli-req-1",
                                  "x-ms-correlation-request-id": "corr-1"})
    st2, h2, _ = a.request("GET", base + "/disks/disk-two?" + API, token=tok)
    check("x-ms-request-id on every answer, unique", h.get("x-ms-request-id")
          and h2.get("x-ms-request-id") and h["x-ms-request-id"] != h2["x-ms-request-id"])
    check("x-ms-client-request-id echoed, correlation id taken from the client",
          h.get("x-ms-client-request-id") == "cli-req-1"
          and h.get("x-ms-correlation-request-id") == "corr-1", h)
    check("x-ms-ratelimit-remaining-* headers", h.get("x-ms-ratelimit-remaining-subscription-reads")
          and h.get("x-ms-ratelimit-remaining-resource"), h)
    d = email.utils.parsedate_to_datetime(h.get("date", "Thu, 01 Jan 1970 00:00:00 GMT")).timestamp()
    check("Date header follows the virtual clock", abs(d - a.now()) < 2, (h.get("date"), a.now()))


def test_paging(a, tok):
    t0 = time.time()
    names, pages, probs = list_all(a, tok, "/subscriptions/%s/resourceGroups/rg-big/providers/"
                                   "Microsoft.Compute/snapshots" % SUB1, 100)
    check("list by resource group: all 2500 over 25 pages, absolute nextLinks",
          len(names) == 2500 and len(set(names)) == 2500 and pages == 25 and not probs,
          (len(names), pages, probs))
    names, pages, probs = list_all(a, tok, "/subscriptions/%s/providers/Microsoft.Compute/snapshots"
                                   % SUB1, 100)
    check("list by subscription: every resource group's snapshots (2800)",
          len(set(names)) == 2800 and not probs, (len(names), probs))
    names, _, probs = list_all(a, tok, "/subscriptions/%s/providers/Microsoft.Compute/snapshots" % SUB2, 100)
    check("list in the second subscription (10)", len(names) == 10 and not probs, (len(names), probs))
    names, _, probs = list_all(a, tok, "/subscriptions/%s/resourceGroups/rg-two/providers/"
                               "Microsoft.Compute/disks" % SUB1, 100)
    check("list disks", sorted(names) == ["disk-attached", "disk-inc", "disk-north", "disk-rate",
                                          "disk-two"], names)
    say("# listed 5600 snapshots in %.2f s" % (time.time() - t0))
    # A continuation survives deletes of listed items and creates before its position.
    p = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots?%s" % (SUB1, API)
    st, _, b1 = a.request("GET", p, token=tok)
    first = [v["name"] for v in b1["value"]]
    for n in first[:5]:
        a.request("DELETE", "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/"
                  "snapshots/%s?%s" % (SUB1, n, API), token=tok)
    wait_for(lambda: a.request("GET", "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft."
                               "Compute/snapshots/%s?%s" % (SUB1, first[4], API), token=tok)[0] == 404)
    names = first[:]
    url = b1["nextLink"]
    while url:
        st, _, b = a.request("GET", url, token=tok)
        names += [v["name"] for v in b["value"]]
        url = b.get("nextLink")
    check("paging does not skip items when earlier items are deleted meanwhile",
          len(names) == 300 and len(set(names)) == 300, len(names))


def wait_for(fn, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def snapshot_body(disk_id, loc="westeurope", incremental=True, tags=None):
    return {"location": loc, "tags": tags or {"snapkeep-policy": "dss-datadir"},
            "sku": {"name": "Standard_ZRS"},
            "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": disk_id},
                           "incremental": incremental}}


def state_has(a, kind, name):
    for r in a.read_state()[kind]:
        if r["name"].lower() == name.lower():
            return r
    return None


def test_lro(a, tok):
    got = test_lro_create(a, tok)
    if got:
        test_lro_more(a, tok, *got)
        test_delete(a, tok)


def test_lro_create(a, tok):
    disk = rid(SUB1, "rg-two", "disks", "disk-two")
    sp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots/" % SUB1
    st, h, b = a.request("PUT", sp + "lro-1?" + API, snapshot_body(disk), token=tok)
    ok = check("create snapshot: 202 with Azure-AsyncOperation, Location, Retry-After",
               st == 202 and h.get("azure-asyncoperation", "").startswith(a.url + "/subscriptions/")
               and "monitor=true" in h.get("location", "") and h.get("retry-after") == "1", (st, h, b))
    if not ok:
        return
    check("create snapshot: answer body shows provisioningState Updating",
          b["properties"]["provisioningState"] == "Updating", b)
    r = state_has(a, "snapshots", "lro-1")
    check("state file holds the new snapshot as soon as the 202 is answered",
          r is not None and r["properties"]["provisioningState"] == "Updating", r)
    op, loc = h["azure-asyncoperation"], h["location"]
    st, h2, b2 = a.request("GET", op, token=tok)
    check("operation status: InProgress while running, with Retry-After",
          st == 200 and b2["status"] == "InProgress" and h2.get("retry-after"), b2)
    st, h3, _ = a.request("GET", loc, token=tok)
    check("Location poll: 202 while running", st == 202 and h3.get("location"), st)
    st, _, g = a.request("GET", sp + "lro-1?" + API, token=tok)
    check("GET while running: provisioningState Updating", g["properties"]["provisioningState"] == "Updating")
    st, _, b4 = a.request("PUT", sp + "lro-1?" + API, snapshot_body(disk), token=tok)
    check("PUT on a resource with an operation in progress: 409 OperationNotAllowed",
          st == 409 and error_code(b4) == "OperationNotAllowed", b4)
    st, _, b4 = a.request("DELETE", sp + "lro-1?" + API, token=tok)
    check("DELETE while it is being created: 409", st == 409, b4)
    done = wait_for(lambda: a.request("GET", op, token=tok)[2]["status"] != "InProgress")
    st, _, b5 = a.request("GET", op, token=tok)
    check("operation status: Succeeded with endTime and properties.output",
          b5["status"] == "Succeeded" and b5.get("endTime")
          and b5["properties"]["output"]["name"] == "lro-1", b5)
    st, _, b6 = a.request("GET", loc, token=tok)
    check("Location poll: 200 with the resource when done", st == 200 and b6["name"] == "lro-1", st)
    st, _, g = a.request("GET", sp + "lro-1?" + API, token=tok)
    p = g["properties"]
    check("snapshot fields: Succeeded, incremental, sizes, ids, source unique id",
          p["provisioningState"] == "Succeeded" and p["incremental"] is True
          and p["diskSizeGB"] == 64 and p["diskSizeBytes"] == 64 << 30 and p["uniqueId"]
          and p["creationData"]["sourceUniqueId"] == "uid-disk-two"
          and g["sku"]["name"] == "Standard_ZRS" and g["tags"] == {"snapkeep-policy": "dss-datadir"}, g)
    check("timeCreated: seven fractional digits and +00:00, from the virtual clock",
          re.match(r"^2026-11-26T09:00:00\.\d{7}\+00:00$", p["timeCreated"]), p["timeCreated"])
    return g, p


def test_lro_more(a, tok, g, p):
    disk = rid(SUB1, "rg-two", "disks", "disk-two")
    sp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots/" % SUB1
    # A second incremental snapshot of the same disk, with an ID written differently.
    st, h, b = a.request("PUT", sp + "lro-2?" + API, snapshot_body(disk.upper().lstrip("/")), token=tok)
    check("sourceResourceId without leading / and in other case is accepted", st == 202, b)
    wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] == "Succeeded")
    st, _, g2 = a.request("GET", sp + "lro-2?" + API, token=tok)
    check("incrementalSnapshotFamilyId: the disk's (from its seeded snapshots) on every new one",
          g2["properties"]["incrementalSnapshotFamilyId"] == p["incrementalSnapshotFamilyId"]
          == "fam-disk-two", (p["incrementalSnapshotFamilyId"], g2["properties"]["incrementalSnapshotFamilyId"]))
    check("timeCreated strictly increases under a frozen clock",
          g2["properties"]["timeCreated"] > p["timeCreated"], (g2["properties"]["timeCreated"], p["timeCreated"]))
    wait_for(lambda: (state_has(a, "snapshots", "lro-2") or {}).get("properties", {}).get(
        "provisioningState") == "Succeeded")
    r = state_has(a, "snapshots", "lro-2")
    check("state file shows Succeeded once the operation ended",
          r["properties"]["provisioningState"] == "Succeeded", r)
    # Restore: a disk from the snapshot.
    dp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/disks/" % SUB1
    body = {"location": "westeurope", "tags": {"snapkeep-restored-from": g["id"]},
            "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": g["id"][1:]}}}
    st, h, b = a.request("PUT", dp + "restored-1?" + API, body, token=tok)
    check("create disk from snapshot: 202", st == 202, b)
    wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] == "Succeeded")
    st, _, d = a.request("GET", dp + "restored-1?" + API, token=tok)
    check("restored disk: Succeeded, size and source from the snapshot",
          d["properties"]["provisioningState"] == "Succeeded" and d["properties"]["diskSizeGB"] == 64
          and d["properties"]["creationData"]["sourceUniqueId"] == p["uniqueId"]
          and d["tags"]["snapkeep-restored-from"] == g["id"], d)
    body["properties"]["creationData"]["sourceResourceId"] = sp + "nope"
    st, _, b = a.request("PUT", dp + "restored-2?" + API, body, token=tok)
    check("create disk from a missing snapshot: 404 NotFound", st == 404 and error_code(b) == "NotFound", b)
    test_conditional(a, tok, sp, dp, g)


def test_conditional(a, tok, sp, dp, snap):
    """If-None-Match: * on a PUT: 412 PreconditionFailed when the resource
    exists, nothing changed; a new one is created as without it."""
    inm = {"If-None-Match": "*"}
    disk = rid(SUB1, "rg-two", "disks", "disk-two")
    before = state_has(a, "snapshots", "lro-2")
    st, _, b = a.request("PUT", sp + "lro-2?" + API, snapshot_body(disk, tags={"x": "y"}),
                         headers=inm, token=tok)
    check("If-None-Match: * on an existing snapshot: 412 PreconditionFailed, unchanged",
          st == 412 and error_code(b) == "PreconditionFailed"
          and state_has(a, "snapshots", "lro-2") == before, (st, b))
    st, h, b = a.request("PUT", sp + "cond-1?" + API, snapshot_body(disk), headers=inm, token=tok)
    check("If-None-Match: * on a new snapshot: 202, created", st == 202
          and state_has(a, "snapshots", "cond-1") is not None, (st, b))
    wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] == "Succeeded")
    body = {"location": "westeurope",
            "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": snap["id"]}}}
    st, _, b = a.request("PUT", dp + "restored-1?" + API, body, headers=inm, token=tok)
    check("If-None-Match: * on an existing disk: 412 PreconditionFailed",
          st == 412 and error_code(b) == "PreconditionFailed", (st, b))
    # race-create: someone else's resource lands just before the PUT
    a.set_faults({"rules": [{"action": "race-create", "method": "PUT", "times": 1}]})
    st, _, b = a.request("PUT", sp + "race-1?" + API, snapshot_body(disk), headers=inm, token=tok)
    r = state_has(a, "snapshots", "race-1")
    check("fault race-create with If-None-Match: 412, the other's snapshot kept as made",
          st == 412 and error_code(b) == "PreconditionFailed" and r is not None
          and r["tags"] == {"made-by": "race"}, (st, b, r))
    a.set_faults({"rules": [{"action": "race-create", "method": "PUT", "times": 1}]})
    st, h, b = a.request("PUT", sp + "race-2?" + API, snapshot_body(disk), token=tok)
    r = state_has(a, "snapshots", "race-2")
    check("fault race-create without the header: the other's snapshot is overwritten (why snapkeep sends it)",
          st == 202 and r["tags"] == {"snapkeep-policy": "dss-datadir"}, (st, b, r))
    a.set_faults({"rules": []})
    wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] == "Succeeded")


def test_delete(a, tok):
    sp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots/" % SUB1
    dp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/disks/" % SUB1
    st, h, b = a.request("DELETE", sp + "lro-1?" + API, token=tok)
    check("delete: 202 with Azure-AsyncOperation, Location and Retry-After",
          st == 202 and h.get("azure-asyncoperation") and h.get("location") and h.get("retry-after"), (st, h))
    st, _, g = a.request("GET", sp + "lro-1?" + API, token=tok)
    check("GET while deleting: provisioningState Deleting", g["properties"]["provisioningState"] == "Deleting", g)
    st2, h2, _ = a.request("DELETE", sp + "lro-1?" + API, token=tok)
    check("second DELETE while deleting: 202 for the same operation",
          st2 == 202 and h2.get("azure-asyncoperation") == h.get("azure-asyncoperation"), st2)
    wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] == "Succeeded")
    st, _, _ = a.request("GET", sp + "lro-1?" + API, token=tok)
    check("after the delete: GET 404", st == 404)
    st, _, _ = a.request("GET", h["location"], token=tok)
    check("delete's Location poll: 204 when done", st == 204, st)
    st, h, b = a.request("DELETE", sp + "lro-1?" + API, token=tok)
    check("DELETE of a missing snapshot: 204 (as Compute answers)", st == 204 and b is None, (st, b))
    check("state file no longer holds the deleted snapshot", state_has(a, "snapshots", "lro-1") is None)
    st, h, b = a.request("PATCH", sp + "lro-2?" + API, {"tags": {"k": "v"}}, token=tok)
    wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] == "Succeeded")
    g = a.request("GET", sp + "lro-2?" + API, token=tok)[2]
    check("PATCH: tags replaced through an operation, the rest kept",
          st == 202 and g["tags"] == {"k": "v"} and g["sku"]["name"] == "Standard_ZRS"
          and g["properties"]["provisioningState"] == "Succeeded", (st, g))
    st, _, b = a.request("PATCH", sp + "never-was?" + API, {"tags": {}}, token=tok)
    check("PATCH of a missing snapshot: 404 ResourceNotFound", st == 404, b)
    st, _, b = a.request("GET", "/subscriptions/%s/resourcegroups?%s" % (SUB1, API), token=tok)
    check("list resource groups of a subscription", st == 200 and sorted(
        g["name"] for g in b["value"]) == ["rg-big", "rg-empty", "rg-two"], b)
    st, _, b = a.request("DELETE", dp + "disk-attached?" + API, token=tok)
    check("delete of an attached disk: 409 OperationNotAllowed", st == 409, b)
    st, _, b = a.request("GET", "/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/"
                         "DiskOperations/nope?%s" % (SUB1, API), token=tok)
    check("unknown operation id: 404", st == 404, b)


def test_validation(a, tok):
    sp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots/" % SUB1
    disk = rid(SUB1, "rg-two", "disks", "disk-two")
    cases = [("bad character in the name", "bad!name", snapshot_body(disk), 400, "InvalidParameter"),
             ("name of 81 characters", "a" * 81, snapshot_body(disk), 400, "InvalidParameter"),
             ("name ending in -", "snap-", snapshot_body(disk), 400, "InvalidParameter"),
             ("location other than the disk's", "ok-name", snapshot_body(disk, "northeurope"), 400,
              "InvalidParameter"),
             ("source disk missing", "ok-name", snapshot_body(disk + "-gone"), 404, "NotFound"),
             ("no location", "ok-name", {"properties": {"creationData": {
                 "createOption": "Copy", "sourceResourceId": disk}}}, 400, "LocationRequired"),
             ("body not JSON", "ok-name", "{nope", 400, "InvalidRequestContent")]
    for why, name, body, want, code in cases:
        st, _, b = a.request("PUT", sp + name + "?" + API, body, token=tok,
                             headers={"Content-Type": "application/json"})
        check("create refused (%s): %d %s" % (why, want, code), st == want and error_code(b) == code, (st, b))
    st, _, b = a.request("PUT", sp + ("a" * 80) + "?" + API, snapshot_body(disk), token=tok)
    check("name of 80 characters accepted", st == 202, b)
    north = rid(SUB1, "rg-two", "disks", "disk-north")
    st, _, b = a.request("PUT", sp + "north-1?" + API, snapshot_body(north, "North Europe"), token=tok)
    check("location compared in normalised form ('North Europe' = northeurope)", st == 202, b)
    # 7 snapshots per disk in 5 minutes (virtual clock).
    rate = rid(SUB1, "rg-two", "disks", "disk-rate")
    codes = [a.request("PUT", sp + "rate-%d?%s" % (i, API), snapshot_body(rate), token=tok)[0]
             for i in range(7)]
    st, _, b = a.request("PUT", sp + "rate-7?" + API, snapshot_body(rate), token=tok)
    check("8th snapshot of a disk within 5 minutes: 409 SnapshotsLimitReached",
          codes == [202] * 7 and st == 409 and error_code(b) == "SnapshotsLimitReached", (codes, st, b))
    a.set_clock("2026-11-26T09:05:01Z")
    st, _, b = a.request("PUT", sp + "rate-7?" + API, snapshot_body(rate), token=tok)
    check("after 5 virtual minutes the disk accepts snapshots again", st == 202, b)


def test_fake_az(a, _tok=None):
    az = os.path.join(HERE, "fake-az", "az")
    env = dict(os.environ, ARM_TEST_URL=a.url, ARM_TEST_CA=os.path.join(a.tls, "ca.pem"))
    r = subprocess.run([az, "account", "get-access-token", "--resource", "https://management.azure.com/",
                        "-o", "json"], env=env, capture_output=True, text=True)
    out = json.loads(r.stdout) if r.returncode == 0 else {}
    check("fake az: get-access-token prints accessToken, expiresOn, expires_on, tokenType",
          r.returncode == 0 and out.get("accessToken") and re.match(
              r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$", out.get("expiresOn", ""))
          and isinstance(out.get("expires_on"), int) and out.get("tokenType") == "Bearer", (r.stderr, out))
    st, _, _ = a.request("GET", "/subscriptions/%s?%s" % (SUB1, API), token=out.get("accessToken"))
    check("fake az token accepted by ARM (token kind cli)", st == 200)
    r = subprocess.run([az, "account", "get-access-token"], capture_output=True, text=True,
                       env=dict(env, ARM_TEST_AZ_LOGGED_OUT="1"))
    check("fake az logged out: exit 1, 'az login' on stderr",
          r.returncode == 1 and "az login" in r.stderr and not r.stdout, r)
    r = subprocess.run([az, "account", "get-access-token"], capture_output=True, text=True,
                       env=dict(env, ARM_TEST_REFRESH_TOKEN="stale"))
    check("fake az with a refresh token the server does not know: exit 1, AADSTS70008",
          r.returncode == 1 and "AADSTS70008" in r.stderr, r.stderr)


def test_incremental_limit(work, seed):
    b = Server(work, "inclimit", ["--incremental-limit", "3", "--lro-seconds", "0",
                                  "--operation-url-bytes", "4096"], seed=seed)
    try:
        tok = b.bearer()
        sp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots/" % SUB1
        disk = rid(SUB1, "rg-two", "disks", "disk-inc")
        st, h, _ = b.request("PUT", sp + "long-url?" + API, snapshot_body(
            rid(SUB1, "rg-two", "disks", "disk-two"), incremental=False), token=tok)
        op, loc = h.get("azure-asyncoperation", ""), h.get("location", "")
        check("--operation-url-bytes 4096: operation URLs of 4 KB that poll fine",
              len(op) == 4096 and len(loc) == 4096 and b.request("GET", op, token=tok)[2]["status"]
              == "Succeeded" and b.request("GET", loc, token=tok)[0] == 200, (len(op), len(loc)))
        codes = [b.request("PUT", sp + "inc-%d?%s" % (i, API), snapshot_body(disk), token=tok)[0]
                 for i in range(4)]
        st, _, body = b.request("PUT", sp + "full-1?" + API, snapshot_body(disk, incremental=False), token=tok)
        check("incremental snapshots per disk limited (--incremental-limit 3): 4th is 409",
              codes == [202, 202, 202, 409], codes)
        check("the incremental limit does not refuse a full snapshot", st == 202, body)
        check("--lro-seconds 0: resource Succeeded right after the 202",
              b.request("GET", sp + "inc-0?" + API, token=tok)[2]["properties"]["provisioningState"]
              == "Succeeded")
    finally:
        b.stop()


def test_background_copy(work, seed):
    """Snapshots of a PremiumV2_LRS disk copy in the background on the virtual
    clock; at most --pending-copies of them at once; no disk from an unfinished
    one; the copies survive a restart."""
    d = os.path.join(work, "copies")
    os.makedirs(d, exist_ok=True)
    clock = os.path.join(d, "clock")
    with open(clock, "w") as f:
        f.write("2026-11-26T09:00:00Z\n")
    cseed = os.path.join(d, "seed.json")
    v2 = rid(SUB1, "rg-v2", "disks", "disk-v2")
    with open(cseed, "w") as f:
        json.dump({"disks": [{"id": v2, "location": "westeurope", "sku": {"name": "PremiumV2_LRS"},
                              "properties": {"diskSizeGB": 8, "uniqueId": "uid-v2"}}],
                   "snapshots": [{"id": rid(SUB1, "rg-v2", "snapshots", "seeded"),
                                  "location": "westeurope",
                                  "properties": {"incremental": True, "completionPercent": 50.0,
                                                 "timeCreated": "2026-11-26T08:00:00.0000000+00:00",
                                                 "creationData": {"createOption": "Copy",
                                                                  "sourceResourceId": v2}}}]}, f)
    args = ["--lro-seconds", "0", "--clock-file", clock, "--copy-seconds", "1000"]
    c = Server(work, "copies", args, seed=cseed)
    sp = "/subscriptions/%s/resourceGroups/rg-v2/providers/Microsoft.Compute/snapshots/" % SUB1
    pct = lambda srv, t, n: srv.request("GET", sp + n + "?" + API, token=t)[2]["properties"][
        "completionPercent"]
    def at(t):
        with open(clock + ".tmp", "w") as f:
            f.write(t + "\n")
        os.replace(clock + ".tmp", clock)
    try:
        tok = c.bearer()
        check("background copy: a seeded snapshot at 50 % stays there until the clock moves",
              pct(c, tok, "seeded") == 50.0, pct(c, tok, "seeded"))
        codes = [c.request("PUT", sp + "v2-%d?%s" % (i, API), snapshot_body(v2), token=tok)[0]
                 for i in range(2)]
        body = c.request("GET", sp + "v2-0?" + API, token=tok)[2]
        check("background copy: a new snapshot of a PremiumV2_LRS disk starts at 0.0 and names "
              "the disk's uniqueId", codes == [202, 202] and
              body["properties"]["completionPercent"] == 0.0 and
              body["properties"]["creationData"]["sourceUniqueId"] == "uid-v2", (codes, body))
        st, _, b = c.request("PUT", sp + "v2-3?" + API, snapshot_body(v2), token=tok)
        check("background copy: a fourth pending copy of one disk (the seeded one, two new) is "
              "refused (409)",
              st == 409 and error_code(b) == "OperationNotAllowed", (st, b))
        dp = "/subscriptions/%s/resourceGroups/rg-v2/providers/Microsoft.Compute/disks/" % SUB1
        st, _, b = c.request("PUT", dp + "from-copy?" + API, {
            "location": "westeurope", "properties": {"creationData": {
                "createOption": "Copy", "sourceResourceId": rid(SUB1, "rg-v2", "snapshots", "v2-0")}}},
            token=tok)
        check("background copy: no disk from an unfinished copy (409)", st == 409, (st, b))
        at("2026-11-26T09:05:00Z")
        check("background copy: advances with the virtual clock (300 of 1000 s: 30 %, the seeded "
              "one from 50 to 80)", pct(c, tok, "v2-0") == 30.0 and pct(c, tok, "seeded") == 80.0,
              (pct(c, tok, "v2-0"), pct(c, tok, "seeded")))
    finally:
        c.stop()
    c2 = Server(work, "copies", args, state=c.state)
    try:
        tok = c2.bearer()
        check("background copy: a restart keeps the copies where they were",
              pct(c2, tok, "v2-0") == 30.0, pct(c2, tok, "v2-0"))
        at("2026-11-26T09:30:00Z")
        check("background copy: done at 100.0, and a fourth snapshot is made once one is done",
              pct(c2, tok, "v2-0") == 100.0 and c2.request("PUT", sp + "v2-3?" + API,
                                                           snapshot_body(v2), token=tok)[0] == 202)
    finally:
        c2.stop()


def test_clock_and_expiry(a, tok):
    st, _, b = a.token()
    t2 = b["access_token"]
    a.set_clock("2026-11-26T10:05:02Z")      # more than the 3600 s lifetime later
    st, h, b = a.request("GET", "/subscriptions/%s?%s" % (SUB1, API), token=t2)
    check("token past its lifetime on the virtual clock: 401 ExpiredAuthenticationToken",
          st == 401 and error_code(b) == "ExpiredAuthenticationToken"
          and "error=\"invalid_token\"" in h.get("www-authenticate", ""), (st, b))
    d = email.utils.parsedate_to_datetime(h["date"]).timestamp()
    check("Date header follows a moved clock file", abs(d - a.now()) < 1, h["date"])


def test_faults(a):
    tok = a.bearer()
    sp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots/" % SUB1
    get = sp + "disk-two-00100?" + API
    test_faults_errors(a, tok, sp, get)
    test_faults_drops(a, tok, sp, get)
    test_faults_resources(a, tok, sp, get)
    tok = test_faults_clock_and_tokens(a, tok, sp, get)
    test_faults_counters(a, tok, sp, get)


def test_faults_errors(a, tok, sp, get):
    a.set_faults({"rules": [{"name": "t3", "method": "GET", "path": "/snapshots/disk-two-00100$",
                             "every": 3, "action": "throttle", "retry_after": 2}]})
    sts = [a.request("GET", get, token=tok) for _ in range(6)]
    check("fault throttle every 3rd: 429 with Retry-After on requests 3 and 6",
          [s[0] for s in sts] == [200, 200, 429, 200, 200, 429]
          and sts[2][1].get("retry-after") == "2" and error_code(sts[2][2]), [s[0] for s in sts])
    recs = [r for r in a.log_records() if r.get("faults") == ["t3"]]
    check("request log names the fault rule that fired", len(recs) == 2, len(recs))
    for status in (500, 502, 503, 504):
        a.set_faults({"rules": [{"action": "error", "status": status, "kind": "arm", "nth": [1]}]})
        s1 = a.request("GET", get, token=tok)
        s2 = a.request("GET", get, token=tok)
        check("fault error %d on the 1st matching request only" % status,
              s1[0] == status and error_code(s1[2]) and s2[0] == 200, (s1[0], s2[0]))
    a.set_faults({"rules": [{"action": "error", "status": 503, "kind": "token", "times": 1}]})
    st, _, b = a.token()
    st2, _, _ = a.token()
    check("fault on the token endpoint: Entra-shaped 503, then fine", st == 503
          and b.get("error") == "temporarily_unavailable" and st2 == 200, (st, b, st2))


def test_faults_drops(a, tok, sp, get):
    a.set_faults({"rules": [{"action": "drop", "method": "DELETE", "times": 1}]})
    raised = None
    try:
        a.request("DELETE", sp + "disk-two-00101?" + API, token=tok)
    except Exception as e:
        raised = e
    check("fault drop: connection closed without an answer", isinstance(
        raised, (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)), repr(raised))
    check("fault drop: the request was not carried out",
          a.request("GET", sp + "disk-two-00101?" + API, token=tok)[0] == 200)
    a.set_faults({"rules": [{"action": "drop-after", "method": "DELETE", "times": 1}]})
    raised = None
    try:
        a.request("DELETE", sp + "disk-two-00101?" + API, token=tok)
    except Exception as e:
        raised = e
    st, _, g = a.request("GET", sp + "disk-two-00101?" + API, token=tok)
    check("fault drop-after: no answer, but the delete happened", raised is not None and (
        st == 404 or g["properties"]["provisioningState"] == "Deleting"), (repr(raised), st))
    a.set_faults({"rules": [{"action": "drop-mid", "kind": "list", "times": 1}]})
    raised = None
    try:
        a.request("GET", sp.rstrip("/") + "?" + API, token=tok)
    except Exception as e:
        raised = e
    check("fault drop-mid: answer cut in the middle of the body",
          isinstance(raised, (http.client.IncompleteRead, ConnectionError, ssl.SSLError)), repr(raised))
    a.set_faults({"rules": [{"action": "delay", "seconds": 0.4, "kind": "arm", "times": 1}]})
    t = time.time()
    st, _, _ = a.request("GET", get, token=tok)
    check("fault delay: answer after the latency", st == 200 and time.time() - t >= 0.4)


def test_faults_resources(a, tok, sp, get):
    # A failing list page: page 3 fails every time, others do not.
    a.set_faults({"rules": [{"action": "error", "status": 500, "kind": "list", "page": 3}]})
    lp = "/subscriptions/%s/resourceGroups/rg-big/providers/Microsoft.Compute/snapshots" % SUB1
    names, pages, probs = list_all(a, tok, lp, 100)
    names2, pages2, probs2 = list_all(a, tok, lp, 100)
    check("fault failing list page: page 3 answers 500 every time, pages 1-2 fine",
          pages == 2 and pages2 == 2 and probs and probs2 and "status 500" in probs[0], (pages, probs))
    # Locks.
    a.set_faults({"rules": [{"action": "lock", "path": "/snapshots/disk-two-0020\\d$"}]})
    st, _, b = a.request("DELETE", sp + "disk-two-00201?" + API, token=tok)
    st2, _, _ = a.request("GET", sp + "disk-two-00201?" + API, token=tok)
    st3, _, _ = a.request("DELETE", sp + "disk-two-00211?" + API, token=tok)
    check("fault lock: DELETE of a matching id is 409 ScopeLocked, others pass",
          st == 409 and error_code(b) == "ScopeLocked" and st2 == 200 and st3 == 202, (st, b, st2, st3))
    check("state keeps the locked snapshot", state_has(a, "snapshots", "disk-two-00201") is not None)
    disk = rid(SUB1, "rg-two", "disks", "disk-two")
    a.set_faults({"rules": [{"action": "snapshot-limit", "method": "PUT", "times": 1}]})
    st, _, b = a.request("PUT", sp + "lim-1?" + API, snapshot_body(disk), token=tok)
    check("fault snapshot-limit: 409 SnapshotsLimitReached",
          st == 409 and error_code(b) == "SnapshotsLimitReached", (st, b))
    a.set_faults({"rules": [{"action": "fail-lro", "method": "PUT", "code": "InternalDiskManagementError",
                             "message": "injected", "times": 1}]})
    st, h, b = a.request("PUT", sp + "fail-1?" + API, snapshot_body(disk), token=tok)
    done = wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] != "InProgress")
    st, _, ob = a.request("GET", h["azure-asyncoperation"], token=tok)
    st2, _, lb = a.request("GET", h["location"], token=tok)
    st3, _, g = a.request("GET", sp + "fail-1?" + API, token=tok)
    check("fault fail-lro: operation ends Failed with the error",
          ob["status"] == "Failed" and ob["error"]["code"] == "InternalDiskManagementError", ob)
    check("fault fail-lro: Location poll answers the error, resource is Failed",
          st2 == 500 and error_code(lb) == "InternalDiskManagementError"
          and g["properties"]["provisioningState"] == "Failed", (st2, lb, g))
    a.set_faults({"rules": [{"action": "fail-lro", "method": "PUT", "state": "Canceled", "times": 1}]})
    st, h, b = a.request("PUT", sp + "cancel-1?" + API, snapshot_body(disk), token=tok)
    wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] != "InProgress")
    ob = a.request("GET", h["azure-asyncoperation"], token=tok)[2]
    check("fault fail-lro with state Canceled: operation ends Canceled with the error",
          ob["status"] == "Canceled" and ob.get("error", {}).get("code"), ob)
    a.set_faults({"rules": [{"action": "fail-lro", "method": "DELETE", "times": 1}]})
    st, h, b = a.request("DELETE", sp + "disk-two-00150?" + API, token=tok)
    wait_for(lambda: a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"] != "InProgress")
    st, _, g = a.request("GET", sp + "disk-two-00150?" + API, token=tok)
    check("fault fail-lro on DELETE: the snapshot stays, Succeeded",
          st == 200 and g["properties"]["provisioningState"] == "Succeeded", (st, g))
    # lro-seconds: this operation quick (the server's are 1 s), the next one as usual
    a.set_faults({"rules": [{"action": "lro-seconds", "seconds": 0, "method": "DELETE", "times": 1}]})
    st, h, _ = a.request("DELETE", sp + "disk-two-00151?" + API, token=tok)
    time.sleep(0.15)    # the ticker ends due operations every 50 ms
    quick = a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"]
    st, h, _ = a.request("DELETE", sp + "disk-two-00152?" + API, token=tok)
    time.sleep(0.15)
    usual = a.request("GET", h["azure-asyncoperation"], token=tok)[2]["status"]
    check("fault lro-seconds: that operation ends in the seconds given, the next takes "
          "--lro-seconds", quick == "Succeeded" and usual == "InProgress", (quick, usual))


def test_faults_clock_and_tokens(a, tok, sp, get):
    a.set_faults({"clock_offset": -600, "rules": [{"action": "clock-offset", "seconds": 30,
                                                   "method": "GET", "path": "disk-two-00100"}]})
    st, h, _ = a.request("GET", get, token=tok)
    st, h2, _ = a.request("GET", sp + "disk-two-00102?" + API, token=tok)
    d1 = email.utils.parsedate_to_datetime(h["date"]).timestamp() - a.now()
    d2 = email.utils.parsedate_to_datetime(h2["date"]).timestamp() - a.now()
    check("fault clock offset: Date skewed (file-wide -600 s, rule +30 s)",
          abs(d1 + 570) < 2 and abs(d2 + 600) < 2, (d1, d2))
    a.set_faults({"rules": [{"action": "expire-token", "times": 1}]})
    st, _, b = a.request("GET", get, token=tok)
    st2, _, _ = a.request("GET", get, token=tok)
    st3, _, _ = a.request("GET", get, token=a.bearer())
    check("fault expire-token: 401 ExpiredAuthenticationToken, the token stays expired, a new one works",
          st == 401 and error_code(b) == "ExpiredAuthenticationToken" and st2 == 401 and st3 == 200,
          (st, st2, st3))
    tok = a.bearer()
    a.set_faults({"rules": [{"action": "status", "status": 404, "code": "ResourceNotFound",
                             "method": "DELETE", "times": 1}]})
    st, _, b = a.request("DELETE", sp + "disk-two-00103?" + API, token=tok)
    check("fault status: any answer (404 on DELETE)", st == 404 and error_code(b) == "ResourceNotFound", b)
    return tok


def test_faults_counters(a, tok, sp, get):
    # Counters: probability with a seed is reproducible; after/times bound it.
    pattern = []
    for _ in range(2):
        a.set_faults({"seed": 42, "rules": [{"action": "error", "status": 503, "probability": 0.3,
                                             "kind": "arm", "method": "GET", "path": "disk-two-00104"}]})
        pattern.append([a.request("GET", sp + "disk-two-00104?" + API, token=tok)[0] for _ in range(20)])
    check("fault probability with a seed: same pattern after a reload",
          pattern[0] == pattern[1] and 503 in pattern[0] and 200 in pattern[0], pattern)
    a.set_faults({"rules": [{"action": "error", "status": 502, "after": 2, "times": 2,
                             "path": "disk-two-00104"}]})
    seq = [a.request("GET", sp + "disk-two-00104?" + API, token=tok)[0] for _ in range(6)]
    check("fault after/times: requests 3 and 4 fail, no others", seq == [200, 200, 502, 502, 200, 200], seq)
    with open(a.faults, "w") as f:
        f.write("{not json")
    st, _, _ = a.request("GET", get, token=tok)
    check("unparsable faults file: previous rules kept, server still answers", st == 200, st)
    a.clear_faults()
    seq = [a.request("GET", sp + "disk-two-00104?" + API, token=tok)[0] for _ in range(3)]
    check("faults file removed: no faults", seq == [200, 200, 200], seq)


def retrying(srv, method, path, body=None, tok=None, ok=(200, 201, 202, 204, 404, 409)):
    """A client that rides faults: retries 429/5xx and dropped connections."""
    for _ in range(60):
        try:
            st, h, b = srv.request(method, path, body, token=tok)
        except (OSError, http.client.HTTPException):
            continue
        if st in ok:
            return st, h, b
        time.sleep(0.01)
    raise RuntimeError("%s %s kept failing" % (method, path))


def test_concurrency(work, seed):
    c = Server(work, "concurrent", ["--lro-seconds", "0.2", "--retry-after", "0",
                                    "--snapshot-burst", "1000"], seed=seed)
    c.set_faults({"seed": 3, "rules": [
        {"name": "t", "kind": "arm", "every": 3, "action": "throttle", "retry_after": 0},
        {"name": "e", "kind": "arm", "probability": 0.2, "action": "error", "status": 503},
        {"name": "d", "kind": "arm", "every": 7, "action": "drop-after"}]})
    sp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots/" % SUB1
    disks = [rid(SUB1, "rg-two", "disks", "disk-two"), rid(SUB1, "rg-two", "disks", "disk-rate"),
             rid(SUB1, "rg-two", "disks", "disk-inc")]
    errors, kept = [], set()
    lock = threading.Lock()
    tok = c.bearer()

    def worker(k):
        try:
            for i in range(10):
                name = "cc-%d-%d" % (k, i)
                st, _, b = retrying(c, "PUT", sp + name + "?" + API,
                                    snapshot_body(disks[(k + i) % 3], incremental=False), tok)
                g = wait_for(lambda: (retrying(c, "GET", sp + name + "?" + API, tok=tok)[2] or {})
                             .get("properties", {}).get("provisioningState") in ("Succeeded", None))
                exists = retrying(c, "GET", sp + name + "?" + API, tok=tok)[0] == 200
                if exists and i % 2:
                    retrying(c, "DELETE", sp + name + "?" + API, tok=tok)
                    wait_for(lambda: retrying(c, "GET", sp + name + "?" + API, tok=tok)[0] == 404)
                elif exists:
                    with lock:
                        kept.add(name)
        except Exception as e:
            errors.append(repr(e))
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    t = time.time()
    for x in ts:
        x.start()
    for x in ts:
        x.join()
    c.clear_faults()
    dt = time.time() - t
    try:
        names, _, probs = list_all(c, tok, sp.rstrip("/"), 100)
        listed = {n for n in names if n.startswith("cc-")}
        in_state = {s["name"] for s in c.read_state()["snapshots"] if s["name"].startswith("cc-")}
        say("# 8 clients x 10 create/poll/delete under 1/3 throttled, 1/5 503, 1/7 dropped: %.1f s"
            % dt)
        check("concurrent clients under dense faults: every client finished", not errors, errors[:3])
        check("concurrent clients under dense faults: list and state file hold exactly the kept "
              "snapshots", listed == kept == in_state and len(kept) == 40 and not probs,
              (len(listed), len(kept), len(in_state), probs))
    finally:
        rc = c.stop()
    check("SIGTERM with clients' keep-alive connections open: exit 0", rc == 0, rc)


def test_throttle(work, seed):
    c = Server(work, "throttle", ["--throttle", "--throttle-scale", "0.02"], seed=seed)
    try:
        tok = c.bearer()
        p = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/disks/disk-two?%s" % (SUB1, API)
        p2 = "/subscriptions/%s/resourceGroups/rg-other/providers/Microsoft.Compute/disks/disk-other?%s" % (SUB2, API)
        res = [c.request("GET", p if i < 3 else p2, token=tok) for i in range(6)]
        rem = [int(r[1].get("x-ms-ratelimit-remaining-subscription-reads", -1)) for r in res[:5]]
        check("throttling: reads bucket of 250*0.02 = 5 per principal, shared by its "
              "subscriptions: the 6th read (2nd subscription) is 429 with Retry-After",
              [r[0] for r in res] == [200] * 5 + [429] and int(res[5][1].get("retry-after", 0)) >= 1
              and error_code(res[5][2]) == "SubscriptionRequestsThrottled", [r[0] for r in res])
        check("throttling: remaining-reads header counts down", rem == [4, 3, 2, 1, 0], rem)
        res_h = res[0][1].get("x-ms-ratelimit-remaining-resource", "")
        check("throttling: Compute's own counters in x-ms-ratelimit-remaining-resource",
              re.match(r"^Microsoft\.Compute/LowCostGet3Min;\d+,Microsoft\.Compute/LowCostGet30Min;\d+$",
                       res_h), res_h)
        q = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s" % urllib.parse.quote(
            "https://management.azure.com/", safe="")
        st, _, b = c.request("GET", q, headers={"Metadata": "true"})
        other = b.get("access_token") if st == 200 else None
        st, h, _ = c.request("GET", p, token=other)
        check("throttling: another principal has its own buckets", st == 200
              and h.get("x-ms-ratelimit-remaining-subscription-reads") == "4", (st, h))
        time.sleep(float(res[5][1].get("retry-after", 2)))
        check("throttling: after Retry-After the read passes", c.request("GET", p, token=tok)[0] == 200)
        st, _, _ = c.request("DELETE", p.replace("disk-two", "no-such"), token=tok)
        check("throttling: writes/deletes have their own buckets", st == 204, st)
        # Compute's snapshot-create bucket: 240*0.02 = 4.8 per subscription and
        # region, whoever asks. Four creates spend the first principal's ARM
        # writes (4); the fifth, by another principal, passes ARM but not Compute.
        disk = rid(SUB1, "rg-two", "disks", "disk-rate")
        body = {"location": "westeurope", "properties": {"incremental": True, "creationData": {
            "createOption": "Copy", "sourceResourceId": disk}}}
        snap = lambda i: rid(SUB1, "rg-two", "snapshots", "thr-%d" % i) + "?" + API
        got = [c.request("PUT", snap(i), body, token=tok) for i in range(4)]
        hdr = [r[1].get("x-ms-ratelimit-remaining-resource", "") for r in got]
        check("throttling: snapshot create shows Compute's HighCostSnapshotCreateHydrate "
              "policies counting down", [r[0] for r in got] == [202] * 4 and all(
                  re.match(r"^Microsoft\.Compute/HighCostSnapshotCreateHydrate3Min;%d,"
                           r"Microsoft\.Compute/HighCostSnapshotCreateHydrate30Min;\d+$" % (3 - i), x)
                  for i, x in enumerate(hdr)), (got, hdr))
        st, h, b = c.request("PUT", snap(4), body, token=tok)
        check("throttling: the principal's 5th write is refused by Resource Manager",
              st == 429 and error_code(b) == "SubscriptionRequestsThrottled", (st, b))
        st, h, b = c.request("PUT", snap(4), body, token=other)
        details = (b or {}).get("error", {}).get("details", [{}]) if isinstance(b, dict) else [{}]
        check("throttling: another principal's create passes Resource Manager and is refused by "
              "Compute's bucket: 429 OperationNotAllowed naming the policy, with Retry-After",
              st == 429 and error_code(b) == "OperationNotAllowed"
              and details[0].get("target") == "HighCostSnapshotCreateHydrate3Min"
              and int(h.get("retry-after", 0)) >= 1
              and h.get("x-ms-ratelimit-remaining-subscription-writes") == "3", (st, h, b))
    finally:
        c.stop()


def test_log(a):
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT,
                                   "scope": "https://management.azure.com/.default"})
    a.request("POST", "/%s/oauth2/v2.0/token?client_secret=leak-me-123" % TENANT, form,
              {"Content-Type": "application/x-www-form-urlencoded"})
    recs = a.log_records()
    text = open(a.log).read()
    kinds = {r.get("token") for r in recs if r["kind"] != "token"}
    toks = [r for r in recs if r["kind"] == "token"]
    check("log: token kinds of ARM requests (secret, assertion, imds, appservice, cli)",
          {"secret", "assertion", "imds", "appservice", "cli"} <= kinds, kinds)
    check("log: token requests record scope and credential kind",
          any(r.get("scope") == "https://management.azure.com/.default" and r.get("credential") == "secret"
              for r in toks))
    check("log: method, path, status on every line",
          all("method" in r and "path" in r and "status" in r for r in recs))
    check("log: no client secret, assertion or refresh token in the log",
          SECRET not in text and "configured-assertion-value" not in text
          and "snapkeep-test-refresh-token" not in text and "leak-me-123" not in text)
    check("log: no issued access token in the log", TOKEN_PREFIX not in text)
    n = sum(1 for r in recs if r["method"] == "DELETE")
    check("log: DELETEs countable", n >= 10, n)


def test_rate(a, tok):
    p = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/disks/disk-two?%s" % (SUB1, API)
    n, nt = 500, 4
    errors = []

    def work():
        try:
            for _ in range(n):
                if a.request("GET", p, token=tok)[0] != 200:
                    errors.append(1)
        except Exception as e:
            errors.append(e)
    t = time.time()
    ts = [threading.Thread(target=work) for _ in range(nt)]
    for x in ts:
        x.start()
    for x in ts:
        x.join()
    dt = time.time() - t
    say("# %d GETs over %d keep-alive connections in %.2f s: %.0f requests/s"
        % (n * nt, nt, dt, n * nt / dt))
    check("2000 GETs over 4 keep-alive connections, all 200, at > 150 requests/s",
          not errors and n * nt / dt > 150, (errors[:3], n * nt / dt))


def test_restart_and_sigterm(work, seed):
    r = Server(work, "restart", ["--lro-seconds", "4"], seed=seed)
    tok = r.bearer()
    sp = "/subscriptions/%s/resourceGroups/rg-two/providers/Microsoft.Compute/snapshots/" % SUB1
    st, h, b = r.request("PUT", sp + "inflight?" + API,
                         snapshot_body(rid(SUB1, "rg-two", "disks", "disk-two")), token=tok)
    r.request("DELETE", sp + "disk-two-00001?" + API, token=tok)
    t = time.time()
    rc = r.stop()
    check("SIGTERM: exit 0, promptly", rc == 0 and time.time() - t < 5, (rc, time.time() - t))
    before = r.read_state()
    check("state file is complete JSON after SIGTERM, operations in flight recorded",
          sum(1 for o in before["operations"] if o["status"] == "InProgress") == 2,
          before["operations"])
    # Restart on the same state with another seed: the state wins, operations resume.
    other = os.path.join(work, "empty-seed.json")
    with open(other, "w") as f:
        json.dump({"disks": [], "snapshots": []}, f)
    r2 = Server(work, "restart", ["--lro-seconds", "4"], seed=other, state=r.state)
    try:
        tok = r2.bearer()
        names, _, probs = list_all(r2, tok, "/subscriptions/%s/providers/Microsoft.Compute/snapshots"
                                   % SUB1, 100)
        check("restart: state file reloaded (seed ignored), same snapshots",
              len(names) == 2801 and not probs, (len(names), probs))
        g = wait_for(lambda: r2.request("GET", sp + "inflight?" + API, token=tok)[2]["properties"]
                     ["provisioningState"] == "Succeeded")
        gone = wait_for(lambda: r2.request("GET", sp + "disk-two-00001?" + API, token=tok)[0] == 404)
        check("restart: operations in flight at shutdown complete", g and gone)
    finally:
        r2.stop()


def test_tags(a, tok):
    """Microsoft.Resources/tags/default at resource-group and subscription
    scope: no etag (last writer wins), Merge / Replace / Delete (a value
    given: removed only while it still matches), the limits, persistence."""
    api = "?api-version=2021-04-01"
    rg = "/subscriptions/%s/resourceGroups/rg-two" % SUB1
    tp = rg + "/providers/Microsoft.Resources/tags/default" + api
    st, h, b = a.request("GET", tp, token=tok)
    check("tags: GET on a group without tags: 200, wrapper resource, empty tags",
          st == 200 and b["name"] == "default" and b["type"] == "Microsoft.Resources/tags"
          and b["id"].lower() == (rg + "/providers/Microsoft.Resources/tags/default").lower()
          and b["properties"]["tags"] == {}, (st, b))
    check("tags: no etag in the body or the headers", "etag" not in b and "etag" not in h, (h, b))
    st, _, b = a.request("PATCH", tp, {"operation": "Merge", "properties": {"tags": {
        "lease": "v1", "env": "prod"}}}, token=tok)
    check("tags: PATCH Merge adds, 200 with the whole set",
          st == 200 and b["properties"]["tags"] == {"lease": "v1", "env": "prod"}, (st, b))
    st, _, b = a.request("PATCH", tp, {"operation": "Merge", "properties": {"tags": {
        "LEASE": "v2"}}}, headers={"If-Match": '"not-an-etag"'}, token=tok)
    check("tags: Merge replaces a tag of the same name in any case; If-Match is not honoured",
          st == 200 and b["properties"]["tags"] == {"env": "prod", "LEASE": "v2"}, (st, b))
    st, _, b = a.request("PATCH", tp, {"operation": "Delete", "properties": {"tags": {
        "lease": "v1"}}}, token=tok)
    check("tags: Delete with a value that no longer matches keeps the tag",
          st == 200 and b["properties"]["tags"].get("LEASE") == "v2", (st, b))
    st, _, b = a.request("PATCH", tp, {"operation": "Delete", "properties": {"tags": {
        "lease": "v2"}}}, token=tok)
    check("tags: Delete with the matching value removes it",
          st == 200 and b["properties"]["tags"] == {"env": "prod"}, (st, b))
    st, _, b = a.request("GET", rg + "?api-version=2021-04-01", token=tok)
    check("tags: the resource group shows its tags", st == 200 and b.get("tags") == {"env": "prod"},
          (st, b))
    st, _, b = a.request("PATCH", tp, {"operation": "Merge", "properties": {"tags": {
        "a/b": "x"}}}, token=tok)
    check("tags: a reserved character in a name: 400 InvalidTagNameCharacters",
          st == 400 and error_code(b) == "InvalidTagNameCharacters", (st, b))
    st, _, b = a.request("PATCH", tp, {"operation": "Merge", "properties": {"tags": {
        "k": "v" * 257}}}, token=tok)
    check("tags: a value over 256 characters: 400 InvalidTagValueLength",
          st == 400 and error_code(b) == "InvalidTagValueLength", (st, b))
    many = {"t%02d" % i: "x" for i in range(50)}
    st, _, b = a.request("PATCH", tp, {"operation": "Merge", "properties": {"tags": many}}, token=tok)
    check("tags: more than 50 at the end of a Merge: 400 InvalidTagCount",
          st == 400 and error_code(b) == "InvalidTagCount", (st, b))
    st, _, b = a.request("PATCH", tp, {"operation": "Sideways", "properties": {"tags": {}}},
                         token=tok)
    check("tags: an unknown operation: 400", st == 400, (st, b))
    st, _, b = a.request("PUT", tp, {"properties": {"tags": {"only": "this"}}}, token=tok)
    check("tags: PUT replaces the whole set", st == 200 and b["properties"]["tags"] == {
        "only": "this"}, (st, b))
    groups = {g["id"].lower(): g for g in a.read_state()["resourceGroups"]}
    check("tags: kept in the state file", groups[rg.lower()].get("tags") == {"only": "this"},
          groups.get(rg.lower()))
    st, _, b = a.request("DELETE", tp, token=tok)
    st2, _, b2 = a.request("GET", tp, token=tok)
    check("tags: DELETE removes them all", st == 200 and b2["properties"]["tags"] == {}, (st, b2))
    sp = "/subscriptions/%s/providers/Microsoft.Resources/tags/default" % SUB1 + api
    st, _, b = a.request("PATCH", sp, {"operation": "Merge", "properties": {"tags": {
        "lease": "s"}}}, token=tok)
    st2, _, b2 = a.request("GET", sp, token=tok)
    check("tags: at subscription scope too", st == 200 and b2["properties"]["tags"] == {
        "lease": "s"} and a.read_state()["subscriptionTags"].get(SUB1.lower()) == {"lease": "s"},
        (st, b2))
    st, _, b = a.request("GET", "/subscriptions/%s/resourceGroups/rg-none/providers/"
                         "Microsoft.Resources/tags/default%s" % (SUB1, api), token=tok)
    check("tags: an unknown group: 404 ResourceGroupNotFound",
          st == 404 and error_code(b) == "ResourceGroupNotFound", (st, b))


def section(fn, *args):
    """Runs one group of checks; a crash is one failure, and the rest still run."""
    try:
        fn(*args)
    except Exception as e:
        import traceback
        check("%s ran to its end" % fn.__name__, False, "%s: %s\n%s" % (
            type(e).__name__, e, traceback.format_exc(limit=3)))


def main():
    work = tempfile.mkdtemp(prefix="arm-selftest-")
    seed = os.path.join(work, "seed.json")
    make_seed(seed)
    os.makedirs(os.path.join(work, "main"), exist_ok=True)
    clock = os.path.join(work, "main", "clock")
    with open(clock, "w") as f:
        f.write("2026-11-26T09:00:00Z\n")
    a = Server(work, "main", ["--lro-seconds", "1.0", "--clock-file", clock, "--imds-port", "0",
                              "--client-assertion", "configured-assertion-value"], seed=seed)
    a.now = lambda: parse_time(open(clock).read())
    # The sections with servers of their own mostly wait on real time
    # (operations, refills): they run beside the main server's, in three
    # threads, each group in order. Every server has its own directory.
    me = sys.modules[__name__]
    groups = [[(selftest_vm.run, me, work), (test_background_copy, work, seed),
               (selftest_copy.run, me, work)],
              [(selftest_net.run, me, work), (test_incremental_limit, work, seed),
               (test_throttle, work, seed)],
              [(test_concurrency, work, seed), (test_restart_and_sigterm, work, seed)]]
    side = [threading.Thread(target=lambda g=g: [section(*x) for x in g]) for g in groups]
    try:
        section(test_tls_and_state, a, seed)
        # a throughput figure: measured before the other sections start
        section(test_rate, a, a.bearer())
        for t in side:
            t.start()
        section(test_entra, a)
        section(test_msi, a)
        tok = a.bearer()
        for fn in (test_arm_auth, test_arm_basics, test_paging, test_lro, test_validation,
                   test_fake_az, test_clock_and_expiry):
            section(fn, a, tok)
        section(test_faults, a)
        section(test_tags, a, a.bearer())
        section(test_log, a)
    finally:
        rc = a.stop()
        for t in side:
            if t.ident is not None:     # started
                t.join()
    check("SIGTERM after a busy run: exit 0", rc == 0, rc)
    tracebacks = [d for d in os.listdir(work) if os.path.exists(os.path.join(work, d, "stderr"))
                  and "Traceback" in open(os.path.join(work, d, "stderr")).read()]
    check("no server wrote a traceback", not tracebacks, tracebacks)
    if not FAILED:
        subprocess.run(["rm", "-rf", work])
    else:
        print("# work dir kept: " + work, flush=True)
    return FAILED


if __name__ == "__main__":
    sys.exit(main())
