"""Command line, start-up and shutdown of the test server."""
import argparse
import os
import signal
import ssl
import sys
import threading

from . import tlscert
from .arm import Arm
from .auth import Auth
from .faults import Faults
from .httpd import Log, Server
from .store import Store
from .throttle import Throttle
from .graph import Graph
from .net import link_seeded_net
from .vm import link_seeded_vms
from .vclock import Clock

DEFAULT_TENANT = "11111111-1111-4111-8111-111111111111"
DEFAULT_CLIENT_ID = "22222222-2222-4222-8222-222222222222"
DEFAULT_SECRET = "snapkeep-test-secret"
DEFAULT_MSI_CLIENT_ID = "33333333-3333-4333-8333-333333333333"
DEFAULT_MSI_SYSTEM_ID = "44444444-4444-4444-8444-444444444444"
DEFAULT_IDENTITY_HEADER = "snapkeep-test-identity-header"
DEFAULT_CLI_REFRESH_TOKEN = "snapkeep-test-refresh-token"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="serve", description="Local HTTPS Entra ID + ARM test "
                                "server (see tests/arm/README.md).")
    a = p.add_argument
    a("--port", type=int, required=True, help="HTTPS port on 127.0.0.1 (0: pick a free one)")
    a("--state", required=True, help="state file, saved after every change")
    a("--tls-dir", required=True, help="where the CA and server certificate live")
    a("--seed", help="initial disks and snapshots, used when STATE does not exist yet")
    a("--faults", help="faults file, re-read when it changes")
    a("--log", help="JSON-lines request log (appended)")
    a("--clock-file", help="virtual clock: a file holding RFC 3339 or epoch seconds")
    a("--tenant", default=DEFAULT_TENANT)
    a("--client-id", default=DEFAULT_CLIENT_ID)
    a("--client-secret", default=DEFAULT_SECRET)
    a("--client-assertion", help="an assertion accepted verbatim (besides well-formed JWTs)")
    a("--assertion-subject", help="when set, a JWT assertion's sub must equal it")
    a("--msi-client-id", action="append", help="a user-assigned identity (repeatable; "
      "default %s)" % DEFAULT_MSI_CLIENT_ID)
    a("--msi-system-client-id", default=DEFAULT_MSI_SYSTEM_ID)
    a("--identity-header", default=DEFAULT_IDENTITY_HEADER,
      help="the X-IDENTITY-HEADER value of the App Service shape")
    a("--cli-refresh-token", default=DEFAULT_CLI_REFRESH_TOKEN,
      help="refresh token the fake az (tests/arm/fake-az/az) presents")
    a("--imds-port", type=int, help="also serve the managed-identity endpoint over plain "
      "HTTP on this port (0: pick one; prints 'imds http://127.0.0.1:PORT')")
    a("--audience", action="append", help="ARM token audience accepted (repeatable; default "
      "https://management.azure.com and https://management.core.windows.net)")
    a("--token-lifetime", type=float, default=3600.0, help="seconds (default 3600)")
    a("--lro-seconds", type=float, default=0.0, help="how long operations stay InProgress")
    a("--retry-after", type=int, default=1, help="Retry-After on 202s and polls (default 1)")
    a("--operation-url-bytes", type=int, default=0,
      help="pad Azure-AsyncOperation/Location URLs to this many bytes (e.g. 4096)")
    a("--page-size", type=int, default=100, help="list page size (default 100)")
    a("--snapshot-burst", type=int, default=7, help="snapshots per disk per window (7)")
    a("--snapshot-window", type=float, default=300.0, help="seconds of that window (300)")
    a("--region-copy-seconds", type=float, default=7200.0, help="virtual seconds a CopyStart copy "
      "takes to reach completionPercent 100 (7200)")
    a("--copy-parallel", type=int, default=100, help="copies in progress per subscription "
      "and target region (100)")
    a("--incremental-limit", type=int, default=500, help="incremental snapshots per disk (500)")
    a("--copy-seconds", type=float, default=3600.0, help="virtual seconds a background copy "
      "(snapshots of PremiumV2_LRS and UltraSSD_LRS disks) takes from 0 to 100 %% (3600)")
    a("--pending-copies", type=int, default=3, help="snapshots of one disk whose copy may be "
      "pending at once (3)")
    a("--device-dir", help="an attach makes DIR/<vm name>/lunN (an empty file), a detach "
      "removes it: a stand-in for the VM's /dev/disk/azure/scsi1")
    a("--device-delay", type=float, default=0.0,
      help="seconds after an attach ends before its lunN file appears")
    a("--throttle", action="store_true", help="enforce ARM's token buckets")
    a("--throttle-scale", type=float, default=1.0, help="multiply bucket sizes and refill rates")
    a("--arm-region", default="westeurope", help="the region of this Resource Manager instance "
      "(its buckets are per principal and per region; default westeurope)")
    a("--graph-lag", type=float, default=0.0,
      help="Resource Graph's index is a copy of the state taken again once this many virtual "
      "seconds have passed (0: always current)")
    a("--graph-page-size", type=int, default=1000, help="Resource Graph rows per page (1000)")
    a("--graph-quota", type=int, default=15,
      help="Resource Graph queries per 5 s before 429 RateLimiting (15)")
    a("--no-fsync", action="store_true", help="atomic rename without fsync (benchmarks)")
    a("--exit-with-parent", action="store_true",
      help="get SIGTERM when the process that started serve dies (Linux), so a killed test "
      "leaves no server behind")
    cfg = p.parse_args(argv)
    cfg.msi_client_id = cfg.msi_client_id or [DEFAULT_MSI_CLIENT_ID]
    cfg.audience = cfg.audience or ["https://management.azure.com",
                                    "https://management.core.windows.net"]
    if cfg.page_size < 1:
        p.error("--page-size must be at least 1")
    return cfg


class App:
    def __init__(self, cfg):
        self.cfg = cfg
        self.clock = Clock(cfg.clock_file)
        self.store = Store(cfg.state, fsync=not cfg.no_fsync)
        if os.path.exists(cfg.state) and os.path.getsize(cfg.state) > 0:
            self.store.load_file(cfg.state, is_state=True)
        elif cfg.seed:
            self.store.load_file(cfg.seed, is_state=False)
            link_seeded_vms(self.store)
            link_seeded_net(self.store)
        self.auth = Auth(cfg, self.clock)
        self.arm = Arm(cfg, self.store, self.clock)
        self.faults = Faults(cfg.faults)
        self.throttle = Throttle(cfg.throttle, cfg.throttle_scale)
        self.graph = Graph(cfg, self.store, self.clock)
        self.log = Log(cfg.log)


def _ticker(app, stop):
    """Ends due operations even when nobody polls, so STATE converges."""
    while not stop.wait(0.05):
        gen = app.arm.finalize_due()
        if gen:
            app.store.save_through(gen)


def _exit_with_parent():
    """PR_SET_PDEATHSIG: the kernel sends SIGTERM when our parent exits."""
    import ctypes
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, signal.SIGTERM, 0, 0, 0) != 0 or os.getppid() != parent:
        sys.exit(0)     # no such support, or the parent is already gone


def main(argv=None):
    cfg = parse_args(sys.argv[1:] if argv is None else argv)
    if cfg.exit_with_parent:
        _exit_with_parent()
    try:
        cert, key = tlscert.ensure(cfg.tls_dir)
        app = App(cfg)
    except (OSError, ValueError, RuntimeError, KeyError) as e:
        print("serve: %s" % e, file=sys.stderr)
        return 1
    app.store.save_now()        # STATE exists (and holds the seed) before "ready"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])     # clients offering h2 settle on HTTP/1.1
    try:
        servers = [Server(("127.0.0.1", cfg.port), app, ctx)]
        if cfg.imds_port is not None:
            servers.append(Server(("127.0.0.1", cfg.imds_port), app, None, plain=True))
    except OSError as e:
        print("serve: cannot listen: %s" % e, file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2},
                                daemon=True) for s in servers]
    threads.append(threading.Thread(target=_ticker, args=(app, stop), daemon=True))
    for t in threads:
        t.start()
    if cfg.imds_port is not None:
        print("imds http://127.0.0.1:%d" % servers[1].server_address[1], flush=True)
    print("ready https://127.0.0.1:%d" % servers[0].server_address[1], flush=True)
    while not stop.wait(3600):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    app.store.save_now()
    return 0
