#!/usr/bin/env bash
# The run's retry budget: Resource Manager vanishes in the middle of a
# listing and in the middle of a run (an operation being polled); with
# --retry-budget 5 the command gives up with exit 3 within seconds instead
# of retrying or polling on for minutes, and a run deletes nothing.
# shellcheck disable=SC1091  # sourced helpers
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

# wait_log KIND N: waits (up to 30 s) until the server logged N requests of KIND.
wait_log() {
    local _
    for _ in $(seq 1 300); do
        [ "$(az_count "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# vanish CMD...: runs CMD in the background, kills the server once
# wait_log's condition (WAIT_KIND, WAIT_N) holds, and sets RC and SECS
# to CMD's exit status and the seconds it ran on after the kill.
vanish() {
    "$@" >"$T_TMP/out" 2>"$T_TMP/err" &
    local cmd=$!
    if ! wait_log "$WAIT_KIND" "$WAIT_N"; then
        kill "$cmd"
        wait "$cmd"
        RC=killed SECS=0
        return
    fi
    kill -9 "$AZ_PID"
    wait "$AZ_PID" 2>/dev/null
    local t0=$SECONDS
    # a command that would retry on for minutes is stopped after 60 s
    # its output goes nowhere, so a sleep outliving the kill below holds no
    # pipe open (tests/run reads this script's output to the end)
    ( exec >/dev/null 2>&1; sleep 60; kill "$cmd" ) &
    local dog=$!
    wait "$cmd"
    RC=$? SECS=$((SECONDS - t0))
    kill "$dog" 2>/dev/null
    wait "$dog" 2>/dev/null
}

# 1. mid-listing: 30 pages, each a little slow; the server dies at page 3
D=$T_TMP/list
az_seed "$D.seed.json" rg-a:data1:3000
az_start "$D" --seed "$D.seed.json" --page-size 100 || { t_fail "server starts"; t_done; }
az_env_secret
az_policy "$T_TMP/p.policy" rg-a data1
az_faults '{"rules":[{"action":"delay","kind":"list","every":1,"seconds":0.3}]}'
WAIT_KIND=list WAIT_N=3
vanish "$SNAPKEEP" inventory "$T_TMP/p.policy" --ca-file "$AZ_CA" --retry-budget 5
t_check "budget: inventory, server gone mid-listing -> exit 3 (got $RC)" test "$RC" = 3
t_check "budget: inventory gave up within 20 s of the server vanishing ($SECS s)" \
    test "$SECS" -le 20
t_check "budget: inventory printed nothing" test ! -s "$T_TMP/out"
t_check "budget: inventory says its retries are exhausted" \
    grep -q "retries exhausted" "$T_TMP/err"

# 2. mid-run: the new snapshot's creation is being polled (operations take
# 10 minutes) when the server dies; without a budget the poll would go on
# for the 30-minute LRO deadline
NOW=2026-11-21T00:00:00Z
R=$T_TMP/run
mkdir -p "$R"
run_seed "$R/seed.json" 2026-11-20T23:00:00Z 48       # 21 to prune at NOW
run_start "$R" "$R/seed.json" --lro-seconds 600 || { t_fail "run server starts"; t_done; }
run_policy "$R/p.policy"
run_names >"$R/before"
WAIT_KIND=operation WAIT_N=2
vanish sk_run "$R/p.policy" "$NOW" --retry-budget 5
t_check "budget: run, server gone while polling -> exit 3 (got $RC)" test "$RC" = 3
t_check "budget: run gave up within 20 s of the server vanishing ($SECS s)" \
    test "$SECS" -le 20
t_check "budget: run says the budget is spent" \
    grep -q "retry budget of 5 s is spent" "$T_TMP/err"
run_names >"$R/after"
t_check "budget: run deleted nothing (server state)" \
    test -z "$(comm -23 "$R/before" "$R/after")"
t_check "budget: no DELETE reached the server" test "$(grep -c '"DELETE"' "$AZ_LOG")" = 0

# 3. the option is checked
t_exit "budget: --retry-budget 0 refused" 2 \
    "$SNAPKEEP" inventory "$T_TMP/p.policy" --retry-budget 0
t_exit "budget: --retry-budget x refused" 2 \
    "$SNAPKEEP" inventory "$T_TMP/p.policy" --retry-budget x
t_done
