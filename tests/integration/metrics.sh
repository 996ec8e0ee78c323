#!/usr/bin/env bash
# The monitoring fixes of `snapkeep run`, against tests/arm/serve: a metrics
# file that cannot be written (missing directory, a file system that
# refuses it) makes a clean run exit 4 and names the path; the deletions a
# run defers are one summary line; --log-format json writes numbers as
# JSON numbers; the last-success timestamp is there (0) even for a policy
# that never succeeded, and the last-run timestamp is written.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

run_fixture

# 1. a metrics file in a missing directory: exit 4, the path named
run_start "$T_TMP/a" "$T_TMP/seed.json" || { t_fail "server starts"; t_done; }
M=$T_TMP/no-such-dir/snapkeep.prom
t_exit "missing metrics directory: exit 4" 4 sk_run "$P" "$NOW" --metrics-file "$M"
t_check "missing metrics directory: the error names the metrics file" \
    grep -q "error: cannot write the metrics file $M: " "$T_TMP/err"
t_check "missing metrics directory: the end line says exit 4" grep -q "exit 4: partial" "$T_TMP/err"
t_check "missing metrics directory: the journal's end records 4" \
    bash -c 'grep "\"event\":\"end\"" "$1" | tail -1 | grep -q "\"exit\":4"' _ "$RUN_STATE_DIR/journal.jsonl"
# a file system that refuses the file (/proc takes no new files, even as root)
t_exit "metrics file on a refusing file system: exit 4" 4 sk_run "$P" "$NOW" \
    --metrics-file /proc/snapkeep-test.prom
t_check "refusing file system: the path is named" \
    grep -q "cannot write the metrics file /proc/snapkeep-test.prom: " "$T_TMP/err"
# a run that failed anyway keeps its own exit code
az_faults '{"rules":[{"action":"status","status":403,"kind":"list","code":"AuthorizationFailed","message":"no"}]}'
t_exit "listing failure and no metrics directory: still exit 3" 3 sk_run "$P" "$NOW" --metrics-file "$M"
az_faults '{"rules":[]}'

# 2. deferred deletions: one summary line (count, oldest, newest)
run_start "$T_TMP/b" "$T_TMP/seed.json" || t_fail "server starts"
t_exit "--max-delete 2: exit 0" 0 sk_run "$P" "$NOW" --max-delete 2 --metrics-file "$T_TMP/b/m.prom"
t_eq "--max-delete 2: no line per deferred snapshot" 0 "$(grep -c 'deferred dss-data' "$T_TMP/err")"
t_eq "--max-delete 2: one summary line" 1 "$(grep -c ': deferred 3 deletions' "$T_TMP/err")"
t_check "--max-delete 2: the line gives count, oldest and newest" \
    grep -q 'policy "dss-datadir": deferred 3 deletions (taken 2026-11-19T21:00:00Z to 2026-11-19T23:00:00Z): over max-delete 2 for this run' "$T_TMP/err"
t_check "--max-delete 2: metrics still count 3 deferred" \
    grep -qx 'snapkeep_snapshots{policy="dss-datadir",state="deferred"} 3' "$T_TMP/b/m.prom"

# 3. json log lines: numbers are numbers
run_start "$T_TMP/c" "$T_TMP/seed.json" || t_fail "server starts"
t_exit "json log: exit 0" 0 sk_run "$P" "$NOW" --max-delete 2 --log-format json
t_check "json log: summary counts and the exit code are JSON numbers" python3 - "$T_TMP/err" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
s = next(l for l in lines if l["event"] == "summary")
assert (s["kept"], s["created"], s["pruned"], s["failed"], s["deferred"]) == (26, 1, 2, 0, 3), s
e = next(l for l in lines if l["event"] == "end")
assert e["exit"] == 0 and isinstance(e["exit"], int), e
d = [l for l in lines if l["event"] == "defer"]
assert len(d) == 1 and d[0]["count"] == 3 and d[0]["oldest"] == "2026-11-19T21:00:00Z", d
c = next(l for l in lines if l["event"] == "create")
assert isinstance(c["seconds"], (int, float)), c
assert isinstance(s["policy"], str)
PY

# 4. the last success: 0 until a run succeeds; the last run's time always
run_start "$T_TMP/d" "$T_TMP/seed.json" || t_fail "server starts"
az_faults '{"rules":[{"action":"status","status":409,"method":"PUT","code":"OperationNotAllowed","message":"no"}]}'
t_exit "failing creation: exit 4" 4 sk_run "$P" "$NOW" --metrics-file "$T_TMP/d/m.prom"
t_check "never succeeded: the last-success series is there, 0" \
    grep -qx 'snapkeep_last_success_timestamp_seconds{policy="dss-datadir"} 0' "$T_TMP/d/m.prom"
t_check "the last run's time is written" \
    grep -qx 'snapkeep_last_run_timestamp_seconds 1795219200' "$T_TMP/d/m.prom"
az_faults '{"rules":[]}'
t_exit "then a clean run: exit 0" 0 sk_run "$P" 2026-11-21T01:00:00Z --metrics-file "$T_TMP/d/m.prom"
t_check "after a success: its time" \
    grep -qx 'snapkeep_last_success_timestamp_seconds{policy="dss-datadir"} 1795222800' "$T_TMP/d/m.prom"
t_check "metrics file is valid exposition text" python3 "$RUN_MODEL" promcheck "$T_TMP/d/m.prom"
t_done
