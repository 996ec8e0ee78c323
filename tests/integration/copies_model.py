#!/usr/bin/env python3
"""Test support for tests/integration/copies.sh: an independent model of `snapkeep run` with a
copy-to region, written from doc/semantics.md ("Copies in a second region") and
tests/arm/README.md ("Copies"), not from snapkeep's code, and a driver of hourly runs that
compares the server's two resource groups with the model after every run.

The policy (copies.sh writes it): disk dss-data in dss-prod, snapshot every 1h, keep-all 24h,
every 12h to 7d, daily to 15d; copy-to "northeurope" { resource-group "dss-dr"; every 6h to 4d }.
The server copies in --region-copy-seconds; the faults file fails the copy PUTs it names.

  copies_model.py days SNAPKEEP POLICY STATE LOG CLOCK STATEDIR CA T0 RUNS COPY_SECONDS FAILNTH
  copies_model.py names STATE RG           sorted snapshot names of a resource group
"""
import datetime
import json
import os
import subprocess
import sys

SEC = 1_000_000
H = 3600 * SEC
D = 24 * H
ATTEMPTS = 3        # snapkeep.policy(5): a failed copy is tried 3 times in all


def fmt(us):
    return datetime.datetime.fromtimestamp(us // SEC, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def snap_name(t):
    return "dss-data-" + fmt(t).replace("-", "").replace(":", "")


def oldest_per_bucket(items, lo, hi, width):
    """Names of the oldest item of each epoch-aligned bucket of `width` with lo < t <= hi."""
    first = {}
    for name, t in items:
        if lo < t <= hi:
            b = t // width
            if b not in first or (t, name) < first[b]:
                first[b] = (t, name)
    return {n for _, n in first.values()}


def source_keep(sources, now):
    """keep-all 24h, every 12h to 7d, daily to 15d (UTC), and the newest."""
    items = list(sources.items())
    kept = {n for n, t in items if now - 24 * H < t <= now}
    kept |= oldest_per_bucket(items, now - 7 * D, now - 24 * H, 12 * H)
    kept |= oldest_per_bucket(items, now - 15 * D, now - 7 * D, D)
    past = [(t, n) for n, t in items if t <= now]
    if past:
        kept.add(min(past, key=lambda x: (-x[0], x[1]))[1])
    return kept


def copy_rules(items, now):
    """every 6h to 4d: what the copy's rules keep among (name, t)."""
    return oldest_per_bucket(items, now - 4 * D, now, 6 * H)


class Model:
    def __init__(self, copy_seconds, fail_nth):
        self.sources = {}           # name -> t
        self.copies = []            # dicts: name, of, t (source time), start, fails_at
        self.puts = 0               # CopyStart PUTs sent (the faults file counts them)
        self.secs = copy_seconds
        self.fail_nth = fail_nth

    def state(self, c, now):
        pct = int(max(0, now - c["start"]) / SEC / self.secs * 100)
        if c["fails_at"] is not None and pct >= c["fails_at"]:
            return "failed"
        return "done" if pct >= 100 else "running"

    def run(self, now):
        """One run at now; returns (exit code expected, sources held while copying)."""
        rc = 0
        listed_copies = list(self.copies)           # the copy listing, before this run's starts
        self.sources[snap_name(now)] = now          # this run's snapshot
        evalnow = now + SEC // 2
        # the copies: one per disk at a time; retry the last copied source's failed copies
        running = [c for c in listed_copies if self.state(c, now) == "running"]
        held = {c["of"] for c in running}
        start = None
        if not running:
            last = max(listed_copies, key=lambda c: c["t"], default=None)
            newer_than = last["t"] if last else None
            if last is not None:
                mine = [c for c in listed_copies if c["of"] == last["of"]]
                if all(self.state(c, now) == "failed" for c in mine):
                    if len(mine) >= ATTEMPTS:
                        rc = 4              # given up: reported, a person should look
                    elif last["of"] in self.sources:
                        start = (last["of"], len(mine) + 1)
            if start is None:
                wanted = copy_rules(list(self.sources.items()), evalnow)
                cands = sorted((self.sources[n], n) for n in wanted
                               if newer_than is None or self.sources[n] > newer_than)
                if cands:
                    start = (cands[0][1], 1)
        if start is not None:
            of, attempt = start
            self.puts += 1
            self.copies.append({"name": of + ("-r%d" % attempt if attempt > 1 else ""),
                                "of": of, "t": self.sources[of], "start": now,
                                "fails_at": 50 if self.puts in self.fail_nth else None})
            held.add(of)
        # the source's own rules, the held sources kept
        keep = source_keep(self.sources, evalnow) | held
        self.sources = {n: t for n, t in self.sources.items() if n in keep}
        # the copies' retention on the listing taken at the start of the run
        done = [(c["name"], c["t"]) for c in listed_copies if self.state(c, now) == "done"]
        ckeep = copy_rules(done, evalnow)
        if done:
            ckeep.add(max(done, key=lambda x: (x[1], x[0]))[0])
        ckeep |= {c["name"] for c in listed_copies if self.state(c, now) != "done"}
        listed = {c["name"] for c in listed_copies}
        self.copies = [c for c in self.copies if c["name"] in ckeep or c["name"] not in listed]
        return rc, held

    def names(self):
        return sorted(self.sources), sorted(c["name"] for c in self.copies)


def names(state, rg):
    return sorted(s["name"] for s in json.load(open(state))["snapshots"]
                  if "/resourcegroups/%s/" % rg in s["id"].lower())


def server_copies(state):
    return json.load(open(state)).get("regionCopies", {})


def cmd_days(snapkeep, policy, state, log, clock, statedir, ca, t0, runs, copy_seconds,
             fail_nth):
    t0 = int(datetime.datetime.fromisoformat(t0.replace("Z", "+00:00")).timestamp()) * SEC
    m = Model(float(copy_seconds), {int(x) for x in fail_nth.split(",") if x})
    held_runs = retries = 0
    for n in range(int(runs)):
        now = t0 + n * H
        before = set(names(state, "dss-prod"))
        with open(clock + ".tmp", "w") as f:
            f.write(fmt(now) + "\n")
        os.replace(clock + ".tmp", clock)
        p = subprocess.run([snapkeep, "run", policy, "--now", fmt(now), "--state-dir", statedir,
                            "--ca-file", ca, "--log-format", "json", "--lease-wait", "0.2"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        want_rc, held = m.run(now)
        want_src, want_dst = m.names()
        got_src, got_dst = names(state, "dss-prod"), names(state, "dss-dr")
        problems = []
        if p.returncode != want_rc:
            problems.append("exit %d, wanted %d" % (p.returncode, want_rc))
        if got_src != want_src:
            problems.append("dss-prod: lost %s, extra %s" % (
                sorted(set(want_src) - set(got_src)), sorted(set(got_src) - set(want_src))))
        if got_dst != want_dst:
            problems.append("dss-dr: lost %s, extra %s" % (
                sorted(set(want_dst) - set(got_dst)), sorted(set(got_dst) - set(want_dst))))
        # the server's own bookkeeping: nothing deleted whose copy was still running
        for gone in before - set(got_src):
            for c in server_copies(state).values():
                if c["source"].endswith("/" + gone.lower()) and not c.get("done") \
                        and not c.get("error"):
                    problems.append("SOURCE %s DELETED WHILE COPYING" % gone)
        if problems:
            print("run %d at %s: %s\n%s" % (n, fmt(now), "; ".join(problems), p.stderr[-3000:]))
            return 1
        held_runs += any(s not in source_keep(dict(m.sources), now + SEC // 2) for s in held)
        retries += sum(1 for c in m.copies if "-r" in c["name"] and c["start"] == now)
    conflicts = sum(1 for line in open(log) if json.loads(line).get("method") == "DELETE"
                    and json.loads(line).get("status") == 409)
    print("runs %s: dss-prod %d, dss-dr %d (%d failed copies kept), %d copy PUTs, "
          "%d retries, %d runs held a source its rules prune, %d DELETEs refused 409"
          % (runs, len(m.sources), len(m.copies),
             sum(1 for c in m.copies if m.state(c, t0 + int(runs) * H) == "failed"), m.puts,
             retries, held_runs, conflicts))
    return 0 if conflicts == 0 and held_runs > 0 and retries > 0 else 1


def main(argv):
    if argv[1] == "days":
        return cmd_days(*argv[2:])
    if argv[1] == "names":
        print("\n".join(names(argv[2], argv[3])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
