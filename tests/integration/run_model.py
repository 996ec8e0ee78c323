#!/usr/bin/env python3
"""Test support for tests/integration/run_*.sh: an independent model of
what the seed policy (keep-all 24h, every 12h to 7d, daily to 15d, last 3,
tagged "legal-hold") keeps, written from doc/semantics.md and not from
snapkeep's code, plus seeding, state reading and a multi-day driver.

  run_model.py seed SUB RG OUT END HOURS [NAME@TIME@TAGS...]
  run_model.py names STATE DISK
  run_model.py expect STATE NOW          names the policy keeps, one per line
  run_model.py journal JOURNAL EVENT [OP [OUTCOME]]    count of lines
  run_model.py days SNAPKEEP POLICY STATE CLOCK STATEDIR CA T0 RUNS
"""
import datetime
import json
import os
import random
import subprocess
import sys

SEC = 1_000_000
H = 3600 * SEC
D = 24 * H
POLICY = "dss-datadir"
DISK = "dss-data"


def parse_time(text):
    """RFC 3339 to integer microseconds (extra digits truncated, as snapkeep does)."""
    s = text.replace("Z", "+00:00").replace("z", "+00:00")
    head, dot, rest = s.partition(".")
    frac = ""
    if dot:
        while rest and rest[0].isdigit():
            frac, rest = frac + rest[0], rest[1:]
        s = head + rest
    dt = datetime.datetime.fromisoformat(s)
    return int(dt.timestamp()) * SEC + int((frac + "000000")[:6])


def fmt(us):
    return datetime.datetime.fromtimestamp(us // SEC, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def snapshots(state_path, disk=DISK):
    """The snapshots of a disk in a server state file as model records."""
    out = []
    for s in json.load(open(state_path))["snapshots"]:
        props = s.get("properties", {})
        src = props.get("creationData", {}).get("sourceResourceId", "")
        if not src.lower().endswith("/disks/" + disk.lower()):
            continue
        tags = {k.lower(): v for k, v in (s.get("tags") or {}).items()}
        out.append({"name": s["name"], "t": parse_time(props["timeCreated"]), "tags": tags,
                    "owned": tags.get("snapkeep-policy") == POLICY,
                    "ok": props.get("provisioningState", "Succeeded") == "Succeeded"})
    return out


def keep(snaps, now):
    """Names the policy keeps at `now`, plus every snapshot it does not own."""
    kept = {s["name"] for s in snaps if not s["owned"] or not s["ok"]}
    own = [s for s in snaps if s["owned"] and s["ok"]]
    past = [s for s in own if s["t"] <= now]
    kept |= {s["name"] for s in own if s["t"] > now}                 # future
    order = sorted(past, key=lambda s: (-s["t"], s["name"]))
    kept |= {s["name"] for s in order[:3]}                           # newest, last 3
    prev = 0
    for end, width in ((24 * H, None), (7 * D, 12 * H), (15 * D, D)):
        window = [s for s in past if now - end < s["t"] <= now - prev]
        if width is None:
            kept |= {s["name"] for s in window}                      # keep-all
        else:
            first = {}
            for s in window:                                         # oldest per bucket
                b = s["t"] // width
                if b not in first or (s["t"], s["name"]) < (first[b]["t"], first[b]["name"]):
                    first[b] = s
            kept |= {s["name"] for s in first.values()}
        prev = end
    kept |= {s["name"] for s in own if "legal-hold" in s["tags"]}    # tagged
    return kept


def cmd_seed(sub, rg, out, end, hours, *extra):
    def did(n):
        return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/{n}"

    def snap(name, t_us, tags, disk):
        t = fmt(t_us).replace("Z", ".0000000+00:00")
        return {"id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/snapshots/{name}",
                "location": "westeurope", "tags": tags, "sku": {"name": "Standard_ZRS"},
                "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": did(disk)},
                               "timeCreated": t, "provisioningState": "Succeeded",
                               "incremental": True}}
    e = parse_time(end)
    disks = [{"id": did(d), "location": "westeurope", "properties": {"diskSizeGB": 8}}
             for d in ("dss-data", "dss-other")]
    snaps = []
    for h in range(int(hours)):
        t = e - h * H
        name = "dss-data-" + fmt(t).replace("-", "").replace(":", "")
        snaps.append(snap(name, t, {"snapkeep-policy": POLICY}, "dss-data"))
    for spec in extra:
        name, t, tags = spec.split("@")
        tg = {} if tags == "-" else dict(kv.split("=", 1) for kv in tags.split(","))
        disk = tg.pop("disk", "dss-data")
        snaps.append(snap(name, parse_time(t), tg, disk))
    json.dump({"disks": disks, "snapshots": snaps}, open(out, "w"))


def cmd_journal(path, event, op=None, outcome=None):
    n = 0
    for line in open(path):
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if j.get("event") == event and (op is None or j.get("op") == op) and \
                (outcome is None or j.get("outcome") == outcome):
            n += 1
    print(n)


def one_run(snapkeep, policy, state, clock, statedir, ca, now, extra=()):
    """One run at `now`; returns (exit code, stderr, before, after) by name."""
    before = {s["name"]: s for s in snapshots(state)}
    with open(clock + ".tmp", "w") as f:
        f.write(fmt(now) + "\n")
    os.replace(clock + ".tmp", clock)
    # the lease's wait kept short: loopback answers in milliseconds, and
    # hundreds of runs would otherwise wait 20 s each
    p = subprocess.run([snapkeep, "run", policy, "--now", fmt(now), "--state-dir", statedir,
                        "--ca-file", ca, "--log-format", "json", "--lease-wait", "0.2", *extra],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    after = {s["name"]: s for s in snapshots(state)}
    return p.returncode, p.stderr, before, after


def check_run(rc, before, after, now, faulty):
    """Problems with one run: the one new snapshot, nothing the policy keeps
    lost, and (when it exited 0) nothing it prunes left over. A faulty run
    may instead fail closed: exit 3 (an Azure failure stopped the work)
    having lost nothing kept; any other code (a crash: negative) is a bug."""
    new = set(after) - set(before)
    want_new = "dss-data-" + fmt(now).replace("-", "").replace(":", "")
    problems = []
    if rc != 0 and not (faulty and rc == 3):
        problems.append("exit %d" % rc)
    if new != {want_new} and not (faulty and rc == 3 and not new):
        problems.append("created %s, wanted %s" % (sorted(new), want_new))
    # evaluated a moment after `now` (the run's clock moves on)
    want = keep(list(before.values()) + [after[x] for x in new], now + SEC // 2)
    lost = sorted(want - set(after))
    extra = sorted(set(after) - want)
    if lost:
        problems.append("WRONGFUL DELETION of %s" % lost)
    if extra and rc == 0:
        problems.append("not pruned: %s" % extra)
    return problems, len(set(before) - set(after))


def cmd_days(snapkeep, policy, state, clock, statedir, ca, t0, runs, mode="steady"):
    """Hourly runs on the virtual clock; after each, the server must hold
    exactly what the model keeps of (before + the one new snapshot)."""
    t0, runs, faulty = parse_time(t0), int(runs), mode == "faulty"
    deletions, exits = [], []
    rng = random.Random(11)
    for n in range(runs):
        # "jitter": a timer's late start, 0 to 4 min, whole seconds
        now = t0 + n * H + (rng.randrange(0, 241) * SEC if mode == "jitter" else 0)
        rc, err, before, after = one_run(snapkeep, policy, state, clock, statedir, ca, now)
        problems, deleted = check_run(rc, before, after, now, faulty)
        if problems:
            print("run %d at %s: %s\n%s" % (n, fmt(now), "; ".join(problems), err[-3000:]))
            return 1
        deletions.append(deleted)
        exits.append(rc)
    count = len(snapshots(state))
    late = deletions[len(deletions) // 2:]
    print("runs %d, exits %s, final count %d, deletions per run in the second half: "
          "max %d, mean %.2f" % (runs, sorted(set(exits)), count, max(late),
                                 sum(late) / len(late)))
    return 0 if mode != "steady" or 44 <= count <= 46 else 1


def cmd_promcheck(path):
    """The Prometheus text format as node_exporter's parser wants it: HELP
    and TYPE once per family, before its samples; valid names, labels and
    values; no series twice; a final newline."""
    import re
    text = open(path).read()
    if not text.endswith("\n"):
        return "no final newline"
    name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
    label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
    sample = re.compile(r"^(%s)(\{(%s(,%s)*)?\})? (\S+)$" % (name_re, label_re, label_re))
    helped, typed, seen, done = set(), {}, set(), set()
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            n = line.split(" ", 3)[2]
            if n in helped or n in done:
                return "HELP twice for " + n
            helped.add(n)
            continue
        if line.startswith("# TYPE "):
            _, _, n, t = line.split(" ", 3)
            if t not in ("gauge", "counter", "untyped", "summary", "histogram") or n in typed:
                return "bad TYPE line: " + line
            typed[n] = t
            if current is not None and current != n:
                done.add(current)
            current = n
            continue
        m = sample.match(line)
        if not m:
            return "bad line: " + line
        if m.group(1) != current or m.group(1) not in helped:
            return "sample outside its family: " + line
        float(m.group(5).replace("+Inf", "inf").replace("-Inf", "-inf"))
        key = (m.group(1), m.group(2))
        if key in seen:
            return "series twice: " + line
        seen.add(key)
    return None


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "seed":
        cmd_seed(*args)
    elif cmd == "names":
        for s in sorted(snapshots(args[0], args[1]), key=lambda s: s["name"]):
            print(s["name"])
    elif cmd == "expect":
        for name in sorted(keep(snapshots(args[0]), parse_time(args[1]) + SEC // 2)):
            print(name)
    elif cmd == "journal":
        cmd_journal(*args)
    elif cmd == "promcheck":
        problem = cmd_promcheck(args[0])
        if problem:
            print(problem)
            return 1
    elif cmd == "days":
        return cmd_days(*args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
