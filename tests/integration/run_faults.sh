#!/usr/bin/env bash
# The issue's done-when: against the test server answering 429 to every
# third ARM request, 503 to every fifth and dropping connections, runs end
# in the policy's exact keep set, or fail closed having deleted nothing the
# policy keeps; and the journal and the metrics match what happened.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

NOW=2026-11-21T00:00:00Z
NEW=dss-data-20261121T000000Z
D=$T_TMP/faults
mkdir -p "$D"
run_seed "$D/seed.json" 2026-11-20T23:00:00Z 48        # 21 pruned at NOW
run_start "$D" "$D/seed.json" --page-size 10 || { t_fail "server starts"; t_done; }
run_policy "$D/p.policy"
run_clock "$NOW"
# faults RETRY_AFTER: the dense fault mix; the first 429 asks to wait
# RETRY_AFTER s, the others 0 s (the same path, without the real wait)
faults() {
    az_faults '{"seed": 5, "rules":[
 {"name":"429s","kind":"arm","nth":[3],"action":"throttle","retry_after":'"$1"'},
 {"name":"429s","kind":"arm","every":3,"action":"throttle","retry_after":0},
 {"name":"503s","kind":"arm","every":5,"action":"error","status":503},
 {"name":"drops","kind":"arm","every":7,"action":"drop"},
 {"name":"drops-after","method":"DELETE","every":4,"action":"drop-after"}]}'
}
faults 1        # as ARM throttles: come back in a second
run_expect "$NOW" >"$D/want"
run_names >"$D/before"

sk_run "$D/p.policy" "$NOW" --metrics-file "$D/m.prom" --log-format json 2>"$D/err"
rc=$?
run_names >"$D/all"
grep -vx "$NEW" "$D/all" >"$D/after"
comm -23 "$D/before" "$D/after" >"$D/gone"
t_check "faults: nothing the policy keeps was deleted" \
    test -z "$(comm -23 "$D/want" "$D/after")"
# Failing closed is exit 3 (snapkeep(1): an Azure failure stopped the work,
# nothing deleted after it); any other code, a crash included, is a bug.
if [ "$rc" = 0 ]; then
    t_check "faults: exit 0 and exactly the keep set" cmp -s "$D/want" "$D/after"
elif [ "$rc" = 3 ]; then
    t_ok "faults: the run failed closed (exit 3)"
else
    t_fail "faults: exit $rc is neither 0 nor the documented fail-closed 3"
    sed 's/^/    /' "$D/err" | tail -20
fi
t_check "faults: the faults did fire (429, 503, drops)" \
    bash -c 'grep -q "429s" "$1" && grep -q "503s" "$1" && grep -q "drops" "$1"' _ "$AZ_LOG"

# journal and metrics against what the server shows
J=$RUN_STATE_DIR/journal.jsonl
python3 - "$J" "$D/gone" "$D/all" "$NEW" >"$D/journal.check" <<'PY'
import json, sys
journal, gone, allnames, new = sys.argv[1:]
gone = {l.strip() for l in open(gone) if l.strip()}
names = {l.strip() for l in open(allnames) if l.strip()}
done_del, failed, created = set(), 0, 0
for line in open(journal):
    j = json.loads(line)
    if j.get("event") != "outcome":
        continue
    name = j["resource"].rsplit("/", 1)[1]
    if j["op"] == "delete" and j["outcome"] in ("done", "already-gone"):
        done_del.add(name)
    elif j["op"] == "create" and j["outcome"] == "done":
        created += 1
    elif j["outcome"] == "failed":
        failed += 1
ok = done_del == gone and created == (1 if new in names else 0)
print("deleted %d (journal %d), created %d, failed %d" % (len(gone), len(done_del), created, failed))
print(len(gone), created, failed)
sys.exit(0 if ok else 1)
PY
t_check "faults: the journal's completed deletes and creates are exactly what happened" \
    test $? = 0
read -r n_gone n_created n_failed < <(tail -1 "$D/journal.check")
m() { sed -n "s/^snapkeep_snapshots{policy=\"dss-datadir\",state=\"$1\"} //p" "$D/m.prom"; }
t_check "faults: metrics pruned = snapshots gone ($n_gone)" test "$(m pruned)" = "$n_gone"
t_check "faults: metrics created = snapshots created ($n_created)" test "$(m created)" = "$n_created"
t_check "faults: metrics failed = failed outcomes ($n_failed)" test "$(m failed)" = "$n_failed"
t_check "faults: metrics exit code = the run's ($rc)" grep -qx "snapkeep_run_exit_code $rc" "$D/m.prom"
t_check "faults: metrics file is valid exposition text" python3 "$RUN_MODEL" promcheck "$D/m.prom"

# three more hourly runs under the same mix (429s with Retry-After 0, to
# keep the test quick), each checked against the model
faults 0
t_check "faults: three more hourly runs: exact keep set or failed closed, every run" \
    python3 "$RUN_MODEL" days "$SNAPKEEP" "$D/p.policy" "$AZ_STATE" "$RUN_CLOCK" \
        "$RUN_STATE_DIR" "$AZ_CA" 2026-11-21T01:00:00Z 3 faulty
t_done
