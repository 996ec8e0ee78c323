"""Entra ID (v2 token endpoint, OpenID metadata, instance discovery) and
managed identity (IMDS and App Service shapes), and the bearer-token check
ARM makes on every request. Tokens are JWTs shaped like Entra's v1 access
tokens (RS256 header, aud/iss/iat/nbf/exp/oid/tid/appid claims) with a
random signature part; ARM looks them up by value in memory, with an expiry
on the (possibly virtual) clock, and never checks a signature."""
import base64
import binascii
import json
import secrets
import threading
import time
import uuid

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
AZ_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"   # the Azure CLI's public client
# Every issued access token starts with this header segment (tests grep for it).
TOKEN_HEADER = {"typ": "JWT", "alg": "RS256", "x5t": "sktest-key-1", "kid": "sktest-key-1"}
# Audiences Entra issues ARM tokens for (public, US Gov, China clouds).
KNOWN_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net",
                   "https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net",
                   "https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn")


def norm_audience(a):
    return a.strip().rstrip("/").lower()


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt_segment(obj):
    return _b64url(json.dumps(obj, separators=(",", ":")).encode())


TOKEN_PREFIX = jwt_segment(TOKEN_HEADER) + "."


def _b64json(seg):
    pad = "=" * (-len(seg) % 4)
    return json.loads(base64.urlsafe_b64decode(seg + pad).decode("utf-8"))


class Auth:
    def __init__(self, cfg, clock):
        self.cfg = cfg
        self.clock = clock
        self.lock = threading.Lock()
        self.tokens = {}      # token -> {"kind","client_id","aud","exp"}
        self.arm_audiences = {norm_audience(a) for a in cfg.audience}
        self.issuable = {norm_audience(a) for a in KNOWN_AUDIENCES} | self.arm_audiences

    # ---- issuing ----------------------------------------------------------
    def _issue(self, kind, client_id, aud):
        now = self.clock.now()
        exp = now + self.cfg.token_lifetime
        # The object id of the principal: stable per client, as in Entra.
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, "snapkeep-test:%s:%s" % (kind, client_id)))
        claims = {"aud": aud, "iss": "https://sts.windows.net/%s/" % self.cfg.tenant,
                  "iat": int(now), "nbf": int(now), "exp": int(exp), "aio": secrets.token_urlsafe(16),
                  "appid": client_id, "appidacr": "1" if kind in ("secret", "assertion") else "0",
                  "idp": "https://sts.windows.net/%s/" % self.cfg.tenant,
                  "idtyp": "user" if kind == "cli" else "app", "oid": oid, "sub": oid,
                  "tid": self.cfg.tenant, "uti": secrets.token_urlsafe(16), "ver": "1.0"}
        if kind == "cli":
            claims["upn"] = claims["unique_name"] = "admin@snapkeep.test"
        # A 2048-bit RS256 signature is 256 bytes; this one is random, never checked.
        tok = TOKEN_PREFIX + jwt_segment(claims) + "." + _b64url(secrets.token_bytes(256))
        with self.lock:
            self.tokens[tok] = {"kind": kind, "client_id": client_id, "aud": aud, "exp": exp}
        return tok, now, exp

    @staticmethod
    def _aad_error(status, error, code, text, corr):
        body = {"error": error, "error_description": "AADSTS%d: %s\r\nTrace ID: %s\r\n"
                "Correlation ID: %s\r\nTimestamp: %s" % (code, text, uuid.uuid4(), corr,
                                                        time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())),
                "error_codes": [code], "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                "trace_id": str(uuid.uuid4()), "correlation_id": corr,
                "error_uri": "https://login.microsoftonline.com/error?code=%d" % code}
        return status, body

    def token_endpoint(self, tenant, form, corr, info):
        """POST /{tenant}/oauth2/v2.0/token. Returns (status, body dict);
        fills info (for the request log) without any secret."""
        c = self.cfg
        get = lambda k: form.get(k, [""])[0]
        info["client_id"] = get("client_id")
        info["scope"] = get("scope")
        info["grant_type"] = get("grant_type")
        if tenant.lower() != c.tenant.lower():
            return self._aad_error(400, "invalid_request", 90002,
                                   "Tenant '%s' not found. Check to make sure you have the correct "
                                   "tenant ID and are signing into the correct cloud." % tenant, corr)
        if get("grant_type") == "refresh_token":
            return self._refresh(tenant, form, corr, info)
        if get("grant_type") != "client_credentials":
            return self._aad_error(400, "unsupported_grant_type", 70003,
                                   "The app requested an unsupported grant type '%s'." % get("grant_type"), corr)
        if get("client_id").lower() != c.client_id.lower():
            return self._aad_error(400, "unauthorized_client", 700016,
                                   "Application with identifier '%s' was not found in the directory "
                                   "'%s'." % (get("client_id"), tenant), corr)
        if "client_secret" in form:
            info["credential"] = "secret"
            if get("client_secret") != c.client_secret:
                return self._aad_error(401, "invalid_client", 7000215,
                                       "Invalid client secret provided. Ensure the secret being sent "
                                       "in the request is the client secret value, not the client "
                                       "secret ID, for a secret added to app '%s'." % c.client_id, corr)
            kind = "secret"
        elif "client_assertion" in form:
            info["credential"] = "assertion"
            if get("client_assertion_type") != ASSERTION_TYPE:
                return self._aad_error(400, "invalid_request", 7000219,
                                       "Invalid client_assertion_type '%s'." % get("client_assertion_type"), corr)
            why = self._assertion_problem(get("client_assertion"))
            if why:
                return self._aad_error(401, "invalid_client", 700211, why, corr)
            kind = "assertion"
        else:
            return self._aad_error(400, "invalid_client", 7000218,
                                   "The request body must contain the following parameter: "
                                   "'client_assertion' or 'client_secret'.", corr)
        aud, problem = self._scope(get("scope"), tenant, corr, ())
        if problem:
            return problem
        tok, now, exp = self._issue(kind, c.client_id, aud)
        lifetime = int(exp - now)
        return 200, {"token_type": "Bearer", "expires_in": lifetime,
                     "ext_expires_in": lifetime, "access_token": tok}

    def _scope(self, scope, tenant, corr, extra_ok):
        """(audience, None) for "<known ARM audience>/.default" (plus, for
        user flows, openid/profile/offline_access), else (None, error)."""
        words = scope.split()
        main = [w for w in words if w not in extra_ok]
        if len(main) != 1 or not main[0].endswith("/.default"):
            return None, self._aad_error(400, "invalid_scope", 1002012,
                                         "The provided value for scope %s is not valid. Client "
                                         "credential flows must have a scope value with /.default "
                                         "suffixed to the resource identifier (application ID "
                                         "URI)." % scope, corr)
        res = main[0][:-len("/.default")]
        aud = norm_audience(res)
        if aud not in self.issuable:
            return None, self._aad_error(400, "invalid_resource", 500011,
                                         "The resource principal named %s was not found in the "
                                         "tenant named %s." % (res, tenant), corr)
        return aud, None

    def _refresh(self, tenant, form, corr, info):
        """The Azure CLI's user session, as fake-az/az presents it."""
        get = lambda k: form.get(k, [""])[0]
        info["credential"] = "cli"
        if get("client_id").lower() != AZ_CLI_CLIENT_ID:
            return self._aad_error(400, "unauthorized_client", 700016,
                                   "Application with identifier '%s' was not found in the "
                                   "directory '%s'." % (get("client_id"), tenant), corr)
        if get("refresh_token") != self.cfg.cli_refresh_token:
            return self._aad_error(400, "invalid_grant", 70008,
                                   "The provided authorization code or refresh token has expired "
                                   "due to inactivity.", corr)
        aud, problem = self._scope(get("scope"), tenant, corr, ("openid", "profile", "offline_access"))
        if problem:
            return problem
        tok, now, exp = self._issue("cli", AZ_CLI_CLIENT_ID, aud)
        lifetime = int(exp - now)
        return 200, {"token_type": "Bearer", "scope": get("scope"), "expires_in": lifetime,
                     "ext_expires_in": lifetime, "access_token": tok,
                     "refresh_token": self.cfg.cli_refresh_token}

    def _assertion_problem(self, a):
        """None when the assertion is accepted: the configured value, or any
        well-formed JWT (signature not checked) whose aud holds
        api://AzureADTokenExchange, with iss and sub, exp in the future and,
        when --assertion-subject is set, that sub."""
        c = self.cfg
        if c.client_assertion and a == c.client_assertion:
            return None
        parts = a.split(".")
        if len(parts) != 3:
            return "Client assertion is not a well-formed JWT."
        try:
            head, claims = _b64json(parts[0]), _b64json(parts[1])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return "Client assertion is not a well-formed JWT."
        if not isinstance(head, dict) or "alg" not in head or not isinstance(claims, dict):
            return "Client assertion is not a well-formed JWT."
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if EXCHANGE_AUDIENCE not in auds:
            return "Client assertion audience claim does not match Realm issuer."
        if not claims.get("iss") or not claims.get("sub"):
            return "No matching federated identity record found for presented assertion."
        if c.assertion_subject and claims.get("sub") != c.assertion_subject:
            return ("No matching federated identity record found for presented assertion "
                    "subject '%s'." % claims.get("sub"))
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= self.clock.now():
            return "Client assertion contains an invalid signature or is expired."
        return None

    def openid_configuration(self, base, tenant):
        t = "%s/%s" % (base, tenant)
        return {"token_endpoint": t + "/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                          "client_secret_basic"],
                "jwks_uri": base + "/%s/discovery/v2.0/keys" % tenant,
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": t + "/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": base + "/oidc/userinfo",
                "authorization_endpoint": t + "/oauth2/v2.0/authorize",
                "device_authorization_endpoint": t + "/oauth2/v2.0/devicecode",
                "http_logout_supported": True, "frontchannel_logout_supported": True,
                "end_session_endpoint": t + "/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid"],
                "kerberos_endpoint": t + "/kerberos",
                "tenant_region_scope": "EU", "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net", "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net"}

    @staticmethod
    def instance_discovery(base, host):
        return {"tenant_discovery_endpoint": base + "/{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]}

    # ---- managed identity --------------------------------------------------
    def managed_identity(self, query, headers, info):
        """GET .../oauth2/token (IMDS shape) or the App Service shape when the
        request carries X-IDENTITY-HEADER. Returns (status, body dict)."""
        q = lambda k: query.get(k, [""])[0]
        app = headers.get("X-IDENTITY-HEADER") is not None
        info["credential"] = "appservice" if app else "imds"
        info["resource"] = q("resource")
        info["client_id"] = q("client_id") or None

        def err(status, text, error="invalid_request"):
            if app:
                return status, {"statusCode": status, "message": text,
                                "correlationId": str(uuid.uuid4())}
            return status, {"error": error, "error_description": text}

        if app:
            if q("api-version") != "2019-08-01":
                return err(400, "The api-version '%s' could not be found. Supported: 2019-08-01"
                           % q("api-version"))
            if headers.get("X-IDENTITY-HEADER") != self.cfg.identity_header:
                return err(401, "The X-IDENTITY-HEADER header does not match.")
        else:
            if (headers.get("Metadata") or "").lower() != "true":
                return err(400, "Required metadata header not specified")
            if not q("api-version"):
                return err(400, "Required query variable 'api-version' is missing")
        if not q("resource"):
            return err(400, "Required query variable 'resource' is missing")
        aud = norm_audience(q("resource"))
        if aud not in self.issuable:
            return err(400, "AADSTS500011: The resource principal named %s was not found in "
                       "the tenant." % q("resource"), "invalid_resource")
        cid = q("client_id")
        if cid:
            if cid.lower() not in {x.lower() for x in self.cfg.msi_client_id}:
                return err(400, "Identity not found")
        else:
            cid = self.cfg.msi_system_client_id
        kind = "appservice" if app else "imds"
        tok, now, exp = self._issue(kind, cid, aud)
        body = {"access_token": tok, "client_id": cid, "expires_on": str(int(exp)),
                "resource": q("resource"), "token_type": "Bearer"}
        if not app:
            body.update({"expires_in": str(int(exp - now)), "ext_expires_in": str(int(exp - now)),
                         "not_before": str(int(now))})
        return 200, body

    # ---- the ARM side -------------------------------------------------------
    def principal(self, authorization):
        """Who a request's bearer token stands for (throttling counts per
        principal): the credential kind and its client id."""
        tok = (authorization or "").partition(" ")[2].strip()
        with self.lock:
            t = self.tokens.get(tok)
        return "%s:%s" % (t["kind"], t["client_id"]) if t else "-"

    def check(self, authorization, force_expire=False):
        """(kind, None) when the bearer token is good, else (kind or None,
        (code, message, www-authenticate error_description))."""
        www_none = "The authentication failed because of missing 'Authorization' header."
        if not authorization:
            return None, ("AuthenticationFailed",
                          "Authentication failed. The 'Authorization' header is missing.", www_none)
        scheme, _, tok = authorization.partition(" ")
        tok = tok.strip()
        if scheme.lower() != "bearer" or not tok:
            return None, ("AuthenticationFailed",
                          "Authentication failed. The 'Authorization' header is provided in an "
                          "invalid format.", "The authentication failed because of the invalid "
                          "format of the 'Authorization' header.")
        with self.lock:
            t = self.tokens.get(tok)
            if t is not None and force_expire:
                t["exp"] = min(t["exp"], self.clock.now() - 1)
        if t is None:
            return None, ("InvalidAuthenticationToken", "The access token is invalid.",
                          "The access token is invalid.")
        now = self.clock.now()
        if t["exp"] <= now:
            fmt = lambda e: time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(e))
            return t["kind"], ("ExpiredAuthenticationToken",
                               "The access token expiry UTC time '%s' is earlier than current UTC "
                               "time '%s'." % (fmt(t["exp"]), fmt(now)),
                               "The access token expiry UTC time '%s' is earlier than current "
                               "UTC time '%s'." % (fmt(t["exp"]), fmt(now)))
        if t["aud"] not in self.arm_audiences:
            msg = ("The access token has been obtained for wrong audience or resource '%s'. It "
                   "should exactly match with one of the allowed audiences '%s'."
                   % (t["aud"], "','".join(sorted(self.arm_audiences))))
            return t["kind"], ("InvalidAuthenticationToken", msg, msg)
        return t["kind"], None
