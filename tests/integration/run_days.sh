#!/usr/bin/env bash
# snapkeep run, hourly for 20 days on the test server's virtual clock, from
# an empty history: after every run the disk holds exactly what an
# independent model of the seed policy keeps (nothing wrongly deleted,
# nothing left over), and it settles at the policy's steady state (44-46).
# 480 runs take about a minute here.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

D=$T_TMP/days
mkdir -p "$D"
run_seed "$D/seed.json" 2026-11-01T00:00:00Z 0
run_start "$D" "$D/seed.json" || { t_fail "server starts"; t_done; }
run_policy "$D/p.policy"
run_clock 2026-11-01T00:00:00Z

t_check "20 days of hourly runs: exact keep set after every run, 44-46 at the end" \
    python3 "$RUN_MODEL" days "$SNAPKEEP" "$D/p.policy" "$AZ_STATE" "$RUN_CLOCK" \
        "$RUN_STATE_DIR" "$AZ_CA" 2026-11-01T00:00:00Z 480
t_check "days: the journal has 480 completed runs" \
    test "$(run_journal_count end)" = 480
t_check "days: every intent has its outcome" \
    test "$(run_journal_count intent)" = "$(run_journal_count outcome)"

# three days of runs that start 0-4 minutes late (timer jitter): every run
# is still due (the tolerance is 5 min for a 1h cadence), none is skipped
J=$T_TMP/jitter
mkdir -p "$J"
run_start "$J" "$D/seed.json" || { t_fail "jitter server starts"; t_done; }
run_clock 2026-11-01T00:00:00Z
t_check "3 days of late-starting hourly runs: one snapshot each, exact keep set" \
    python3 "$RUN_MODEL" days "$SNAPKEEP" "$D/p.policy" "$AZ_STATE" "$RUN_CLOCK" \
        "$RUN_STATE_DIR" "$AZ_CA" 2026-11-01T00:00:00Z 72 jitter
t_done
