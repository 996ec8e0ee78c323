#!/usr/bin/env bash
# snapkeep simulate from the built binary: the seed policy's steady state
# (44-46 per disk, 0-2 deletions per run after warm-up, one on average),
# with and without jitter and misses, in text, JSON and SVG; exit codes.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

cd "$TOP" || exit 1
POL=policies/dss-datadir.policy
SEED=tests/golden/explain/oneline.policy
START=2026-11-01T00:00:00Z
jqt() { jq -e "$@" >/dev/null; }
sim() { "$SNAPKEEP" simulate "$@"; }

t_exit "simulate json exits 0" 0 sim "$POL" --for 30d --start "$START" --format json
cp "$T_TMP/out" "$T_TMP/s.json"
t_check "json: cadence from the policy, 720 runs" jqt '.parameters.cadence.seconds == 3600
    and .parameters.cadence_from == "policy" and (.runs|length) == 720 and .created == 720' "$T_TMP/s.json"
t_check "json: warm-up is the longest tier" jqt '.warmup.seconds == 1296000' "$T_TMP/s.json"
t_check "json: steady state 44-46" jqt '.steady_state | .count_min >= 44 and .count_max <= 46' "$T_TMP/s.json"
t_check "json: 0-2 deletions per run, one on average" jqt '.steady_state
    | .deleted_min >= 0 and .deleted_max <= 2 and .deleted_avg > 0.95 and .deleted_avg < 1.05' "$T_TMP/s.json"
t_check "json: histogram covers every steady run" jqt '.steady_state
    | ([.deleted_histogram[].runs]|add) == .runs' "$T_TMP/s.json"
t_check "json: gaps per tier" jqt '[.gaps[].max_gap.seconds] == [3600, 43200, 86400]' "$T_TMP/s.json"
t_check "json: counts match runs" jqt '.steady_state.count_max ==
    ([.runs[] | select(.[0] >= "2026-11-16") | .[2]] | max)' "$T_TMP/s.json"

# jitter and misses: still within the issue's bounds
sim "$POL" --for 40d --jitter 5m --seed 3 --start "$START" --format json >"$T_TMP/j.json"
t_check "jitter 5m: 44-46, deletions 0-2, about one" jqt '.steady_state
    | .count_min >= 44 and .count_max <= 46 and .deleted_max <= 2
    and .deleted_avg > 0.95 and .deleted_avg < 1.05' "$T_TMP/j.json"
t_check "jitter 5m: keep-all gap at most 1h5m" jqt '.gaps[0].max_gap.seconds <= 3900' "$T_TMP/j.json"
sim "$POL" --for 30d --miss 5% --seed 11 --start "$START" --format json >"$T_TMP/m.json"
t_check "miss 5%: some creations missed" jqt '.missed > 10 and .missed < 80
    and .created + .missed == 720' "$T_TMP/m.json"
t_check "miss 5%: never above 46" jqt '.steady_state.count_max <= 46' "$T_TMP/m.json"
sim "$POL" --for 30d --jitter 5m --miss 3% --seed 3 --start "$START" --format json >"$T_TMP/a.json"
sim "$POL" --for 30d --jitter 5m --miss 3% --seed 3 --start "$START" --format json >"$T_TMP/b.json"
t_check "same seed, same replay" cmp -s "$T_TMP/a.json" "$T_TMP/b.json"

# text
t_exit "simulate text exits 0" 0 sim "$POL" --for 20d --start "$START"
t_check "text: one line per 24 hours" test "$(grep -cE '^ +[0-9]+  2026-11-[0-9]{2}T00:00Z ' "$T_TMP/out")" = 20
t_check "text: a day is a 24-hour window from the start, and says so" grep -q \
    '^snapshots per disk after each run, per 24-hour window from the start (day 1 is the first 24 hours, not a calendar day):$' "$T_TMP/out"
t_check "text: sparkline of the daily averages, full at the end" grep -Eq '^  trend: .*█$' "$T_TMP/out"
t_check "text: steady state" grep -Eq '^  snapshots per disk: min 4[4-6], avg 4[4-6]\.[0-9], max 4[4-6]$' "$T_TMP/out"
t_check "text: deletions per run" grep -Eq '^  deletions per run: min [0-2], avg (0\.9[5-9]|1\.0[0-5]), max [0-2]$' "$T_TMP/out"
t_check "text: gap lines" grep -Eq '^  every 12h to 7d +12h ' "$T_TMP/out"
t_exit "a replay starting mid-day" 0 sim "$POL" --for 3d --start 2026-11-01T13:00:00Z
t_check "mid-day start: day 1 runs from the start's hour" grep -Eq '^ +1  2026-11-01T13:00Z ' "$T_TMP/out"
t_exit "one run" 0 sim "$POL" --for 1h --start "$START"
t_check "one run: singular words" grep -q ': 1 run, 1 snapshot created, 0 missed$' "$T_TMP/out"
t_exit "three years: per 30 days" 0 sim "$POL" --for 1000d --start "$START"
t_check "three years: about 34 lines of 30 days" test "$(grep -cE '^ +[0-9]+  20[0-9-]{8}T' "$T_TMP/out")" = 34
t_check "three years: the window said" grep -q 'per 30-day window from the start (30 times 24 hours' "$T_TMP/out"
t_exit "short replay exits 0" 0 sim "$POL" --for 5d --start "$START"
t_check "short replay: no steady state, says why" grep -q 'no steady state' "$T_TMP/out"

# SVG
t_exit "simulate svg exits 0" 0 sim "$POL" --for 30d --start "$START" --format svg
t_check "svg is well-formed XML" python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T_TMP/out"
t_check "svg has the series" grep -q '<polyline' "$T_TMP/out"

# the cadence: the policy's, else --cadence
t_exit "no cadence anywhere: exit 2" 2 sim "$SEED" --for 20d
t_check "no cadence: says to give --cadence" grep -q -- '--cadence' "$T_TMP/err"
t_exit "seed with --cadence 1h" 0 sim "$SEED" --cadence 1h --for 20d --start "$START" --format json
t_check "seed with --cadence 1h: 44-46" jqt '.parameters.cadence_from == "option"
    and .steady_state.count_min >= 44 and .steady_state.count_max <= 46' "$T_TMP/out"

t_exit "bad --miss: exit 2" 2 sim "$POL" --miss 120%
t_exit "bad --seed: exit 2" 2 sim "$POL" --seed -4
t_exit "jitter not shorter than cadence: exit 2" 2 sim "$POL" --jitter 1h
t_exit "bad --for: exit 2" 2 sim "$POL" --for 1mo
# RFC 3339 has four-digit years: a replay may not run past 9999-12-31
t_exit "--start + --for past year 9999: exit 2" 2 sim "$POL" --start 9999-12-31T00:00:00Z --for 30d --format json
t_check "--start + --for past year 9999: no five-digit year written" \
    bash -c '! grep -q "\"[0-9]\{5\}-" "$1"' _ "$T_TMP/out"
t_check "--start + --for past year 9999: said why" grep -q -- '--start' "$T_TMP/err"
t_exit "bad --start: exit 2" 2 sim "$POL" --start tomorrow
t_exit "bad --format: exit 2" 2 sim "$POL" --format png
t_exit "missing file: exit 1" 1 sim "$T_TMP/none.policy"
printf 'policy "a" { keep-all 1d }\npolicy "b" { keep-all 2d }\n' >"$T_TMP/two.policy"
t_exit "two policies without --policy: exit 2" 2 sim "$T_TMP/two.policy" --cadence 1h
t_exit "--policy picks one" 0 sim "$T_TMP/two.policy" --policy b --cadence 1h --for 3d --start "$START" --format json
t_check "--policy b: its numbers" jqt '.policy == "b" and .steady_state.count_max == 48' "$T_TMP/out"

t_done
