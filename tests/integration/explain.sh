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
t_check "seed: steady state printed" grep -Eq 'steady state: 4[4-6]( to 4[4-6])? snapshots per disk' "$T_TMP/seed.txt"
"$SNAPKEEP" explain --cadence 1h --format json "$G/oneline.policy" >"$T_TMP/seed.json"
t_check "seed json: 44-46 snapshots, one deletion per run" jqt '.policies[0].steady_state
    | .count_min >= 44 and .count_max <= 46 and .count_avg >= 44 and .count_avg <= 46
    and .deleted_avg > 0.95 and .deleted_avg < 1.05' "$T_TMP/seed.json"
t_check "seed json: worst gaps per tier" jqt '[.policies[0].steady_state.gaps[].max_gap.seconds]
    | .[0] >= 3600 and .[0] <= 3900 and .[1] >= 42900 and .[1] <= 86400
    and .[2] >= 86100 and .[2] <= 172800' "$T_TMP/seed.json"
t_check "seed json: runs drift up to 5m" jqt '.policies[0].cadence.jitter_seconds == 300' "$T_TMP/seed.json"
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

t_done
