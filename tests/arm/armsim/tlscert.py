"""A CA and a server certificate for 127.0.0.1/localhost, made with the
openssl CLI. Existing files in the directory are reused, so a restarted
server keeps the CA its clients already trust."""
import os
import subprocess
import tempfile

FILES = ("ca.pem", "ca.key", "server.pem", "server.key")

EXT = """basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
"""


def _run(args, cwd):
    r = subprocess.run(["openssl"] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], r.stderr.strip()))


def ensure(tls_dir):
    """Returns (cert, key) paths; DIR/ca.pem exists when this returns."""
    os.makedirs(tls_dir, exist_ok=True)
    paths = [os.path.join(tls_dir, f) for f in FILES]
    if all(os.path.exists(p) for p in paths):
        return paths[2], paths[3]
    # Build in a scratch dir, then rename: a test polling for ca.pem never
    # sees a half-written file.
    work = tempfile.mkdtemp(prefix=".tls-", dir=tls_dir)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem",
          "-days", "3650", "-subj", "/CN=snapkeep test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], work)
    _run(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr",
          "-subj", "/CN=localhost"], work)
    with open(os.path.join(work, "ext.cnf"), "w") as f:
        f.write(EXT)
    _run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
          "-CAcreateserial", "-out", "server.pem", "-days", "825",
          "-extfile", "ext.cnf"], work)
    for name in ("ca.key", "server.pem", "server.key", "ca.pem"):
        os.replace(os.path.join(work, name), os.path.join(tls_dir, name))
    for name in os.listdir(work):
        os.unlink(os.path.join(work, name))
    os.rmdir(work)
    return paths[2], paths[3]
