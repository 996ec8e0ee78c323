#!/usr/bin/env bash
# kill -9 in the middle of `snapkeep run` (slow long-running deletes), then
# a clean run: it reports the interrupted run and its unfinished intents
# from the journal, and converges on exactly what the policy keeps, having
# lost nothing the policy keeps. The killed run's lease in Azure stays
# until it runs out: the clean run comes after that, on the virtual clock.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

NOW=2026-11-21T00:00:00Z
D=$T_TMP/kill
mkdir -p "$D"
# 48 hourly snapshots up to an hour ago: 21 of them pruned at NOW
run_seed "$D/seed.json" 2026-11-20T23:00:00Z 48
run_start "$D" "$D/seed.json" --lro-seconds 1.5 || { t_fail "server starts"; t_done; }
run_policy "$D/p.policy"
run_clock "$NOW"
# past the killed run's lease (15 min on ARM's clock)
LATER=2026-11-21T00:16:00Z
run_expect "$LATER" >"$D/want"
run_names >"$D/before"
J=$RUN_STATE_DIR/journal.jsonl

# started directly (not through a shell function) so $! is snapkeep itself
"$SNAPKEEP" run "$D/p.policy" --now "$NOW" --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA" \
    --lease-wait "$RUN_LEASE_WAIT" \
    --parallel 4 2>"$D/first.err" &
PID=$!
t_cleanup_hooks+=("kill -9 $PID 2>/dev/null")
for _ in $(seq 1 200); do      # until the first delete intent is journaled
    grep -q '"event":"intent","op":"delete"' "$J" 2>/dev/null && break
    sleep 0.05
done
sleep 0.3
kill -9 "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
t_check "kill -9: the run was killed with deletes in flight" \
    test "$(run_journal_count intent delete)" -gt "$(run_journal_count outcome delete)"
t_check "kill -9: the journal has no end line for it" test "$(run_journal_count end)" = 0
FIRST=$(sed -n 's/.*"run":"\([^"]*\)".*"event":"start".*/\1/p' "$J" | head -1)

sleep 2        # let the deletes the server accepted finish
# the next run in this state directory reports the interrupted one, even
# when the lease sends it away
t_exit "a run while the killed run's lease lasts: exit 6" 6 sk_run "$D/p.policy" "$NOW"
cp "$T_TMP/err" "$D/second.err"
t_check "that run names the killed run as the lease's holder" \
    grep -q "is being enforced by another run (host .*, pid $PID," "$D/second.err"
t_exit "clean run after the kill (its lease ran out): exit 0" 0 sk_run "$D/p.policy" "$LATER"
run_names >"$D/after"
grep -vx dss-data-20261121T000000Z "$D/after" >"$D/after-old"
t_check "clean run: exactly what the policy keeps (nothing kept was lost)" \
    cmp -s "$D/want" "$D/after-old"
t_check "clean run: one snapshot created in all (none twice)" \
    test "$(grep -c '^dss-data-20261121T000000Z$' "$D/after")" = 1
t_check "clean run: reports the interrupted run" grep -q "run $FIRST did not finish" "$D/second.err"
t_check "clean run: names an interrupted delete" grep -q "interrupted delete of dss-data-" "$D/second.err"
t_check "clean run: journal marks the interrupted run" \
    grep -q "\"event\":\"interrupted\",\"prev_run\":\"$FIRST\"" "$J"
t_exit "a third run: nothing left to report or do" 0 sk_run "$D/p.policy" "$LATER"
t_check "third run: no interrupted run reported again" bash -c '! grep -q interrupted "$1"' _ "$T_TMP/err"
t_done
