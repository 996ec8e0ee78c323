#!/usr/bin/env bash
# Sharding (SHARDING in snapkeep(1)). The systemd template the man page
# makes from contrib/snapkeep.service, run as shown, passes
# `systemd-analyze verify` with each instance's own env file, policy and
# state directory. contrib/snapkeep-cronjob.yaml: valid YAML (python3's yaml module when it is
# installed, else a structural check of the same facts line by line), one
# CronJob per shard with concurrencyPolicy Forbid, each with its own
# workload identity (a ServiceAccount carrying a client id, the pod label
# the webhook acts on), its own policy, lock and journal volume; runs
# `snapkeep run` as a non-root user on a read-only root; every shard's
# policy passes `snapkeep check`. The checker also runs on broken copies,
# so each check is shown to fail.
# shellcheck disable=SC2016  # python and bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"

Y=$TOP/contrib/snapkeep-cronjob.yaml
cat >"$T_TMP/k8s.py" <<'PY'
"""Checks the CronJob manifest; prints each shard's policy into OUTDIR.
Usage: k8s.py FILE OUTDIR [--structural]"""
import os, re, sys

path, out = sys.argv[1], sys.argv[2]
text = open(path).read()
structural = "--structural" in sys.argv
try:
    if structural:
        raise ImportError
    import yaml
except ImportError:
    yaml = None

def fail(msg):
    sys.exit("k8s: " + msg)

if yaml is not None:
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
else:
    # No yaml module: the facts below, read from the text of each document.
    docs = []
    for part in re.split(r"(?m)^---\s*$", text):
        body = "\n".join(l for l in part.splitlines() if not l.lstrip().startswith("#"))
        if not body.strip():
            continue
        if "\t" in body:
            fail("a tab in the indentation")
        get = lambda key: (re.search(r"(?m)^\s*%s:\s*\"?([^\"#\n]*?)\"?\s*(#.*)?$" % re.escape(key), body)
                           or [None, None])[1]
        d = {"apiVersion": get("apiVersion"), "kind": get("kind"),
             "metadata": {"name": get("name"), "namespace": get("namespace")}, "_text": body}
        docs.append(d)

by_kind = {}
for d in docs:
    for k in ("apiVersion", "kind"):
        if not d.get(k):
            fail("a document without %s" % k)
    if not (d.get("metadata") or {}).get("name"):
        fail("a %s without a name" % d["kind"])
    by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d

jobs = by_kind.get("CronJob", {})
if len(jobs) < 2:
    fail("fewer than two CronJobs (one per shard)")

if yaml is None:
    for name, d in jobs.items():
        t = d["_text"]
        for want in (r"concurrencyPolicy:\s*Forbid\b", r"azure\.workload\.identity/use:\s*\"true\"",
                     r"serviceAccountName:\s*\S+", r"restartPolicy:\s*Never",
                     r"runAsNonRoot:\s*true", r"readOnlyRootFilesystem:\s*true",
                     r"-\s*run\n", r"-\s*--state-dir\n", r"claimName:\s*\S+"):
            if not re.search(want, t):
                fail("CronJob %s: no %s" % (name, want))
    sas = [re.search(r"serviceAccountName:\s*(\S+)", d["_text"]).group(1) for d in jobs.values()]
    pvcs = [re.search(r"claimName:\s*([\w.-]+)", d["_text"]).group(1) for d in jobs.values()]
    if len(set(sas)) != len(sas) or len(set(pvcs)) != len(pvcs):
        fail("two shards share a ServiceAccount or a state volume")
    for sa in sas:
        d = by_kind.get("ServiceAccount", {}).get(sa)
        if d is None or not re.search(r"azure\.workload\.identity/client-id:\s*\"?[0-9a-f-]{36}", d["_text"]):
            fail("ServiceAccount %s missing or without a client id" % sa)
    for pvc in pvcs:
        if pvc not in by_kind.get("PersistentVolumeClaim", {}):
            fail("no PersistentVolumeClaim %s" % pvc)
    for name, d in by_kind.get("ConfigMap", {}).items():
        m = re.search(r"(?ms)snapkeep\.policy:\s*\|\n(.*)", d["_text"])
        if not m:
            fail("ConfigMap %s without snapkeep.policy" % name)
        lines = m.group(1).splitlines()
        ind = len(lines[0]) - len(lines[0].lstrip())
        open(os.path.join(out, name + ".policy"), "w").write(
            "\n".join(l[ind:] for l in lines) + "\n")
    print("structural check: %d documents, %d CronJobs" % (len(docs), len(jobs)))
    sys.exit(0)

used_sa, used_pvc, used_cm, client_ids = set(), set(), set(), set()
for name, cj in jobs.items():
    s = cj["spec"]
    if cj["apiVersion"] != "batch/v1":
        fail("CronJob %s: apiVersion %s" % (name, cj["apiVersion"]))
    if s.get("concurrencyPolicy") != "Forbid":
        fail("CronJob %s: concurrencyPolicy is %r, not Forbid" % (name, s.get("concurrencyPolicy")))
    if len(str(s.get("schedule", "")).split()) != 5:
        fail("CronJob %s: schedule %r is not five fields" % (name, s.get("schedule")))
    job = s["jobTemplate"]["spec"]
    pod = job["template"]
    labels = pod["metadata"]["labels"]
    if labels.get("azure.workload.identity/use") != "true":     # a string, as the webhook wants
        fail("CronJob %s: pod lacks the label azure.workload.identity/use: \"true\"" % name)
    ps = pod["spec"]
    if ps.get("restartPolicy") != "Never" or job.get("backoffLimit") != 0:
        fail("CronJob %s: a failed run is retried at once (restartPolicy/backoffLimit)" % name)
    sa = ps.get("serviceAccountName")
    sad = by_kind.get("ServiceAccount", {}).get(sa)
    cid = ((sad or {}).get("metadata", {}).get("annotations") or {}).get(
        "azure.workload.identity/client-id", "")
    if not re.fullmatch(r"[0-9a-f-]{36}", cid):
        fail("CronJob %s: ServiceAccount %r missing or without a client id" % (name, sa))
    sec = ps.get("securityContext", {})
    if sec.get("runAsNonRoot") is not True or not sec.get("runAsUser"):
        fail("CronJob %s: not run as a non-root user" % name)
    (c,) = ps["containers"]
    if c.get("securityContext", {}).get("readOnlyRootFilesystem") is not True or \
            c["securityContext"].get("allowPrivilegeEscalation") is not False:
        fail("CronJob %s: root filesystem writable or privilege escalation allowed" % name)
    args = c["args"]
    if args[0] != "run" or "--state-dir" not in args:
        fail("CronJob %s: not `snapkeep run POLICY --state-dir DIR`" % name)
    policy, state = args[1], args[args.index("--state-dir") + 1]
    vols = {v["name"]: v for v in ps["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    pm = [m for p, m in mounts.items() if policy.startswith(p.rstrip("/") + "/")]
    sm = [m for p, m in mounts.items() if state.startswith(p.rstrip("/") + "/")]
    if len(pm) != 1 or "configMap" not in vols[pm[0]["name"]] or not pm[0].get("readOnly"):
        fail("CronJob %s: the policy is not read from a read-only ConfigMap" % name)
    if len(sm) != 1 or "persistentVolumeClaim" not in vols[sm[0]["name"]]:
        fail("CronJob %s: the state directory is not on its own volume" % name)
    cm = vols[pm[0]["name"]]["configMap"]["name"]
    pvc = vols[sm[0]["name"]]["persistentVolumeClaim"]["claimName"]
    if pvc not in by_kind.get("PersistentVolumeClaim", {}):
        fail("CronJob %s: no PersistentVolumeClaim %s" % (name, pvc))
    key = policy[len(pm[0]["mountPath"].rstrip("/")) + 1:]
    data = by_kind.get("ConfigMap", {}).get(cm, {}).get("data", {})
    if key not in data:
        fail("CronJob %s: ConfigMap %s has no %s" % (name, cm, key))
    for used, v, what in ((used_sa, sa, "ServiceAccount"), (used_pvc, pvc, "state volume"),
                          (used_cm, cm, "policy"), (client_ids, cid, "identity")):
        if v in used:
            fail("CronJob %s: shares its %s %s with another shard" % (name, what, v))
        used.add(v)
    open(os.path.join(out, name + ".policy"), "w").write(data[key])
print("yaml: %d documents, %d CronJobs, one identity, policy and state volume each"
      % (len(docs), len(jobs)))
PY

mkdir -p "$T_TMP/pol" "$T_TMP/pol2"
if python3 -c 'import yaml' 2>/dev/null; then how=yaml; else how=structural; fi
t_check "contrib: the CronJob manifest passes the $how check" \
    python3 "$T_TMP/k8s.py" "$Y" "$T_TMP/pol"
t_check "contrib: the CronJob manifest passes the structural check too" \
    python3 "$T_TMP/k8s.py" "$Y" "$T_TMP/pol2" --structural
n=$(find "$T_TMP/pol" -name '*.policy' | wc -l)
t_check "contrib: every shard's policy passes snapkeep check ($n)" \
    bash -c '[ "$2" -ge 2 ] && "$1" check "$3"/*.policy >/dev/null' _ "$SNAPKEEP" "$n" "$T_TMP/pol"

# broken copies: each must be refused, by both checks
broken() {   # NAME SED-SCRIPT
    sed "$2" "$Y" >"$T_TMP/broken.yaml"
    t_check "contrib: a manifest with $1 is refused (the check can fail)" \
        bash -c '! python3 "$1" "$2" "$3" 2>/dev/null && ! python3 "$1" "$2" "$3" --structural 2>/dev/null' \
        _ "$T_TMP/k8s.py" "$T_TMP/broken.yaml" "$T_TMP/pol2"
}
broken "concurrencyPolicy Allow" '0,/^  concurrencyPolicy: Forbid/s//  concurrencyPolicy: Allow/'
broken "two shards on one state volume" 's/claimName: snapkeep-b-state/claimName: snapkeep-a-state/'
broken "no workload identity label" '0,/^            azure.workload.identity\/use: "true"/s//            azure.workload.identity\/use: "false"/'
broken "two shards on one identity" 's/serviceAccountName: snapkeep-b/serviceAccountName: snapkeep-a/'
if [ "$how" = yaml ]; then
    printf 'kind: CronJob\n  bad: [indent\n' >"$T_TMP/bad.yaml"
    t_check "contrib: malformed YAML is refused" \
        bash -c '! python3 "$1" "$2" "$3" 2>/dev/null' _ "$T_TMP/k8s.py" "$T_TMP/bad.yaml" "$T_TMP/pol2"
fi

# the man page's template of the systemd units, made as it says
python3 - "$TOP/man/snapkeep.1" >"$T_TMP/template.sh" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
sec = lines[lines.index(".Sh SHARDING"):]
start = next(i for i, l in enumerate(sec) if l.startswith("# sed -e"))
cmd = []
for l in sec[start:]:
    cmd.append(l.lstrip("# ").replace("\\e", "\\"))
    if "snapkeep@.service" in l:
        break
print("\n".join(cmd))
PY
U=$T_TMP/units
mkdir -p "$U" "$T_TMP/etc"
sed -e "s|contrib/|$TOP/contrib/|; s|/etc/systemd/system/|$U/|" "$T_TMP/template.sh" >"$T_TMP/t.sh"
t_check "contrib: the man page's sharding template runs" bash "$T_TMP/t.sh"
t_check "contrib: each instance has its own env file, policy and state directory" \
    bash -c 'grep -qx "EnvironmentFile=/etc/snapkeep/%i.env" "$1" &&
             grep -qx "Environment=SNAPKEEP_POLICY=/etc/snapkeep/%i.policy" "$1" &&
             grep -qx "StateDirectory=snapkeep/%i" "$1"' _ "$U/snapkeep@.service"
sed -i "s|/usr/local/bin/snapkeep|$SNAPKEEP|; s|/etc/snapkeep/%i.env|-$T_TMP/etc/%i.env|" "$U/snapkeep@.service"
cp "$TOP/contrib/snapkeep.timer" "$U/snapkeep@.timer"
cp "$U/snapkeep@.service" "$U/snapkeep@shard-a.service"
cp "$U/snapkeep@.timer" "$U/snapkeep@shard-a.timer"
t_exit "contrib: systemd-analyze verify passes for an instance (snapkeep@shard-a)" 0 \
    systemd-analyze verify --man=no "$U/snapkeep@shard-a.service" "$U/snapkeep@shard-a.timer"
t_check "contrib: verify printed no warning" test ! -s "$T_TMP/err"
t_done
