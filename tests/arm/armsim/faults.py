"""The faults file: rules that pick requests (by method, path, kind, list
page, and deterministic counters) and inject an action. Re-read whenever
its mtime/size changes (a stat per request); a reload resets the counters.
A file that does not parse keeps the previous rules (a warning goes to
stderr): write it atomically (temp + mv)."""
import json
import os
import random
import re
import sys
import threading

TERMINAL = {"throttle", "error", "status", "drop", "drop-after", "drop-mid",
            "lock", "snapshot-limit"}
MODIFIER = {"delay", "fail-lro", "clock-offset", "expire-token", "race-create", "fail-copy", "lro-seconds"}
KINDS = {"any", "arm", "list", "operation", "graph", "token", "msi", "meta"}
SELECTORS = {"name", "method", "path", "query", "kind", "page", "nth", "every", "after",
             "times", "probability", "action", "status", "retry_after", "seconds", "code",
             "message", "body", "state", "tags", "at"}


class FaultError(ValueError):
    pass


def _check_rule(i, r):
    if not isinstance(r, dict):
        raise FaultError("rule %d is not an object" % i)
    unknown = set(r) - SELECTORS
    if unknown:
        raise FaultError("rule %d: unknown field(s) %s" % (i, ", ".join(sorted(unknown))))
    act = r.get("action")
    if act not in TERMINAL | MODIFIER:
        raise FaultError("rule %d: unknown action %r" % (i, act))
    if r.get("kind", "any") not in KINDS:
        raise FaultError("rule %d: unknown kind %r" % (i, r.get("kind")))
    m = r.get("method")
    r["_methods"] = None if m is None else {x.upper() for x in ([m] if isinstance(m, str) else m)}
    r["_path"] = re.compile(r["path"], re.I) if "path" in r else None
    r["_query"] = re.compile(r["query"], re.I) if "query" in r else None
    r["_nth"] = set(r.get("nth", []))
    r.setdefault("name", "rule%d" % (i + 1))


class Faults:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self._sig = None
        self.rules = []
        self.clock_offset = 0.0

    def _reload(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._sig is not None:
                self._sig, self.rules, self.clock_offset = None, [], 0.0
            return
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if sig == self._sig:
            return
        try:
            with open(self.path, encoding="utf-8") as f:
                doc = json.load(f)
            if not isinstance(doc, dict):
                raise FaultError("top level must be an object")
            rules = doc.get("rules", [])
            for i, r in enumerate(rules):
                _check_rule(i, r)
            seed = doc.get("seed", 1)
            for i, r in enumerate(rules):
                r["_rng"] = random.Random("%s:%d" % (seed, i))
                r["_seen"] = r["_fired"] = 0
            self.rules = rules
            self.clock_offset = float(doc.get("clock_offset", 0))
            self._sig = sig
        except (OSError, ValueError, re.error) as e:
            print("serve: faults file %s ignored: %s" % (self.path, e), file=sys.stderr, flush=True)
            self._sig = sig

    @staticmethod
    def _kind_matches(want, kind):
        if want == "any":
            return True
        if want == "arm":
            return kind in ("arm", "list", "operation", "graph")
        return want == kind

    def select(self, method, path, query, kind, page):
        """The rules that fire for this request, in file order; counters move
        only for rules whose filter matches, so a test that sends the same
        requests in the same order sees the same faults."""
        if not self.path:
            return [], 0.0
        fired = []
        with self.lock:
            self._reload()
            for r in self.rules:
                if r["_methods"] is not None and method not in r["_methods"]:
                    continue
                if not self._kind_matches(r.get("kind", "any"), kind):
                    continue
                if r["_path"] is not None and not r["_path"].search(path):
                    continue
                if r["_query"] is not None and not r["_query"].search(query):
                    continue
                if "page" in r and page != r["page"]:
                    continue
                r["_seen"] += 1
                n = r["_seen"]
                after = r.get("after", 0)
                if n <= after:
                    continue
                if r["_nth"] and n not in r["_nth"]:
                    continue
                if r.get("every") and (n - after) % r["every"] != 0:
                    continue
                if "probability" in r and r["_rng"].random() >= r["probability"]:
                    continue
                if r.get("times") is not None and r["_fired"] >= r["times"]:
                    continue
                r["_fired"] += 1
                fired.append({k: v for k, v in r.items() if not k.startswith("_")})
            return fired, self.clock_offset
