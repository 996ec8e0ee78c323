#!/usr/bin/env bash
# snapkeep explain from the built binary: every example policy in text
# (compared with tests/golden/explain/NAME.txt) and JSON, the seed's numbers
# (three tiers, about 45 snapshots), and the exit codes.
# UPDATE_GOLDEN=1 rewrites the golden files: review the diff before committing.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

cd "$TOP" || exit 1
G=tests/golden/explain
jqt() { jq -e "$@" >/dev/null; }

golden() {   # NAME FILE
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$2" "$G/$1"; echo "rewrote $G/$1" >&2; fi
    if cmp -s "$2" "$G/$1"; then t_ok "explain golden $1"; else
        t_fail "explain golden $1"; diff -u "$G/$1" "$2" | head -20 | sed 's/^/    /'; fi
}

for f in policies/*.policy "$G"/*.policy; do
    n=$(basename "$f" .policy)
    t_exit "explain $n exits 0" 0 "$SNAPKEEP" explain "$f"
    golden "$n.txt" "$T_TMP/out"
    t_exit "explain $n --format json exits 0" 0 "$SNAPKEEP" explain --format json "$f"
    t_check "explain $n json: one entry per policy, rules described" jqt \
        '(.policies|length) >= 1 and all(.policies[]; (.rules|length) >= 1
         and all(.rules[]; (.description|length) > 0))' "$T_TMP/out"
done

# the retired setting in words and in JSON (the default, and one written)
printf 'retired for 90d\nlast 3\n' >"$T_TMP/retired.policy"
"$SNAPKEEP" explain "$T_TMP/retired.policy" >"$T_TMP/retired.txt"
t_check "explain: retired for 90d in words" grep -q \
    '^  retired: .* until it is 90d old; then no rule keeps them (retired for 90d)$' "$T_TMP/retired.txt"
"$SNAPKEEP" explain --format json "$T_TMP/retired.policy" >"$T_TMP/retired.json"
t_check "explain json: retired" jqt '.policies[0].retired == "for 90d"' "$T_TMP/retired.json"
"$SNAPKEEP" explain --format json "$G/oneline.policy" >"$T_TMP/default.json"
t_check "explain json: retired forever by default" jqt '.policies[0].retired == "forever"' \
    "$T_TMP/default.json"

# the seed policy: the three tiers in words and about 45 per disk at 1h
"$SNAPKEEP" explain --cadence 1h "$G/oneline.policy" >"$T_TMP/seed.txt"
golden "oneline-1h.txt" "$T_TMP/seed.txt"
t_check "seed: keep-all tier in words" grep -q '^    keep-all 24h: under 24h old, keep every snapshot$' "$T_TMP/seed.txt"
t_check "seed: 12h tier with window and bucket" grep -q \
    '^    every 12h to 7d: from 24h to 7d old, keep the oldest snapshot of each 12-hour bucket (aligned to 00:00/12:00 UTC)$' "$T_TMP/seed.txt"
t_check "seed: daily tier" grep -q '^    daily to 15d: from 7d to 15d old, keep the oldest snapshot of each calendar day (UTC)$' "$T_TMP/seed.txt"
t_check "seed: steady state printed" grep -q '^    steady state: 44 snapshots per disk$' "$T_TMP/seed.txt"
"$SNAPKEEP" explain --cadence 1h --format json "$G/oneline.policy" >"$T_TMP/seed.json"
t_check "seed json: 44 snapshots, one deletion per run" jqt '.policies[0].steady_state
    | .count_min == 44 and .count_max == 44 and .deleted_min == 1 and .deleted_max == 1' "$T_TMP/seed.json"
t_check "seed json: worst gaps per tier" jqt '[.policies[0].steady_state.gaps[].max_gap.seconds]
    == [3600, 43200, 86400]' "$T_TMP/seed.json"
t_check "seed json: every run on time, as simulate's default" jqt '.policies[0].cadence.jitter_seconds == 0' "$T_TMP/seed.json"
# issue 15: one model, one figure. simulate with its defaults (any start,
# any length past the warm-up) prints explain's steady state, in the same
# JSON shape (issue 17: one shape per concept)
figures='{count_min, count_max, deleted_min, deleted_max, gaps: [.gaps[] | {rule, line, max_gap}],
    keys: keys}'
for sim_args in "--for 30d" "--for 61d --start 2026-07-17T13:00:00Z" "--for 22d --start 2026-01-05T00:00:00Z"; do
    # shellcheck disable=SC2086 # the options, split on purpose
    "$SNAPKEEP" simulate "$G/oneline.policy" --cadence 1h $sim_args --format json >"$T_TMP/sim.json"
    t_check "explain's figure is simulate's ($sim_args)" cmp -s \
        <(jq ".steady_state | $figures" "$T_TMP/sim.json") \
        <(jq ".policies[0].steady_state | $figures" "$T_TMP/seed.json")
done
"$SNAPKEEP" explain --cadence 1h "$G/oneline.policy" --format json | jq -e '.policies[0] | .max_delete == null and .max_delete_per_run == 50' >/dev/null
t_check "explain json: the default max-delete, said to be the default" test $? = 0
t_check "explain: the default max-delete in words" grep -q '^  max-delete: at most 50 deletions per run (the default)$' "$T_TMP/seed.txt"
printf 'keep-all 2h\nlast all\n' >"$T_TMP/lastall.policy"
"$SNAPKEEP" explain --cadence 1h "$T_TMP/lastall.policy" >"$T_TMP/lastall.txt"
t_check "last all: in words, and why there is no steady state" bash -c "grep -q '^    last all: keep every snapshot, however old (nothing is ever pruned)$' '$T_TMP/lastall.txt' &&
    grep -q '^  no steady state: \`last all\` (line 2) keeps every snapshot forever, so the count only grows$' '$T_TMP/lastall.txt'"
t_check "seed json: cadence from the option" jqt '.policies[0].cadence.from == "option"
    and .policies[0].cadence.seconds == 3600' "$T_TMP/seed.json"
"$SNAPKEEP" explain --cadence 15m --format json "$G/oneline.policy" >"$T_TMP/seed15.json"
t_check "seed at 15m: more kept in the keep-all tier" jqt '.policies[0].steady_state
    | .count_min >= 116 and .count_max <= 118' "$T_TMP/seed15.json"

# without a cadence it says so and skips the numbers
t_exit "seed without cadence exits 0" 0 "$SNAPKEEP" explain "$G/oneline.policy"
t_check "seed without cadence: says so" grep -q 'no cadence' "$T_TMP/out"
t_check "seed without cadence: no numbers" bash -c "! grep -q 'steady state:' '$T_TMP/out'"
"$SNAPKEEP" explain --format json "$G/oneline.policy" >"$T_TMP/nocad.json"
t_check "seed json without cadence: nulls" jqt '.policies[0].cadence == null
    and .policies[0].steady_state == null' "$T_TMP/nocad.json"
printf 'daily all\n' >"$T_TMP/grow.policy"
"$SNAPKEEP" explain --cadence 1h "$T_TMP/grow.policy" >"$T_TMP/grow.txt"
t_check "a count of all: no steady state" grep -q 'no steady state' "$T_TMP/grow.txt"

# ten years of 15-minute snapshots: too long to replay, estimated instead, quickly
printf 'snapshot every 15m\nkeep-all 1d, daily to 30d, weekly to 6mo, monthly to 2y, yearly to 10y\n' >"$T_TMP/long.policy"
start=$(date +%s%N)
"$SNAPKEEP" explain --format json "$T_TMP/long.policy" >"$T_TMP/long.json"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_check "long horizon: answered in under 2 s (${ms} ms)" test "$ms" -lt 2000
t_check "long horizon: estimate per tier, no steady state" jqt '.policies[0]
    | .steady_state == null and (.estimate.count >= 160 and .estimate.count <= 185)
    and (.estimate.tiers|length) == 5 and .estimate.tiers[0].count == 96' "$T_TMP/long.json"
"$SNAPKEEP" explain "$T_TMP/long.policy" >"$T_TMP/long.txt"
t_check "long horizon: says it estimated" grep -q 'estimated from the tier windows' "$T_TMP/long.txt"

t_exit "bad --cadence: exit 2" 2 "$SNAPKEEP" explain --cadence 1x "$G/oneline.policy"
t_exit "monthly --cadence: exit 2" 2 "$SNAPKEEP" explain --cadence 1mo "$G/oneline.policy"
t_exit "bad --format: exit 2" 2 "$SNAPKEEP" explain --format yaml "$G/oneline.policy"
t_exit "no file: exit 2" 2 "$SNAPKEEP" explain
t_exit "missing file: exit 1" 1 "$SNAPKEEP" explain "$T_TMP/nope.policy"
printf 'keep-all 24h, every 12h to 12h\n' >"$T_TMP/bad.policy"
t_exit "invalid policy: exit 1" 1 "$SNAPKEEP" explain "$T_TMP/bad.policy"

# The cap: explain prints the same warning as check, at the policy's
# location, and its JSON carries the figure; another cadence, another figure.
C=tests/golden/cap/cap.policy
t_exit "cap: explain exits 0 with the warning" 0 "$SNAPKEEP" explain "$C"
t_check "cap: explain's warning is check's, word for word" cmp -s "$T_TMP/err" tests/golden/cap/cap.expected
t_exit "cap: explain --format json exits 0" 0 "$SNAPKEEP" explain --format json "$C"
t_check "cap: JSON figure: 458 = steady 450 + floor 8, over the 450 of 500" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["policies"]
a, b = p[0]["cap"], p[1]["cap"]
ok = a == {"snapshots": 458, "steady": 450, "floor": 8, "budget": 450, "limit": 500, "over_budget": True}
ok = ok and b["over_budget"] is False and b["snapshots"] == b["steady"] + 8 and b["snapshots"] <= 450
ok = ok and a["steady"] == p[0]["steady_state"]["count_max"]
sys.exit(0 if ok else 1)' "$T_TMP/out"
t_exit "cap: at --cadence 1h the same policy fits" 0 "$SNAPKEEP" explain --cadence 1h "$C"
t_check "cap: no warning at --cadence 1h" test ! -s "$T_TMP/err"
t_exit "cap: no cadence, no figure" 0 "$SNAPKEEP" explain --format json "$G/oneline.policy"
t_check "cap: JSON cap is null without a cadence" python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["policies"][0]["cap"] is None else 1)' "$T_TMP/out"

t_done
