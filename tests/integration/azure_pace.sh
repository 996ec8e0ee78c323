#!/usr/bin/env bash
# Pacing against the test server with ARM's token buckets on (reads 250
# refilling 25/s, deletes 200 refilling 10/s, per principal): `snapkeep run`
# with default options prunes 230 snapshots (more than the delete burst, and
# reads beyond theirs) and the server never refuses a request: its own count
# of 429s is 0. Then the same under injected 429s (without quota headers)
# and 503s: every snapshot still deleted, no bucket ever exceeded.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=azure_lib.sh
. "$(dirname "$0")/azure_lib.sh"

NOW=2026-12-30T00:00:00Z
N=230

# scenario NAME [FAULTS]: seeds N+1 snapshots (the newest is kept), runs
# `snapkeep run` with default options; sets RC, SECS.
scenario() {
    local d=$T_TMP/$1
    az_seed "$T_TMP/$1.seed" "rg-$1:disk1:$((N + 1))"
    mkdir -p "$d"
    echo "$NOW" >"$d/clock"
    az_start "$d" --seed "$T_TMP/$1.seed" --clock-file "$d/clock" --throttle \
        --lro-seconds 0.5 || exit 1
    az_env_secret
    [ -n "${2:-}" ] && az_faults "$2"
    az_policy "$T_TMP/$1.policy" "rg-$1" disk1
    sed -i 's/keep-all 24h/keep-all 24h\n    max-delete 1000/' "$T_TMP/$1.policy"
    local t0=$SECONDS
    "$SNAPKEEP" run "$T_TMP/$1.policy" --now "$NOW" --state-dir "$d/st" --ca-file "$AZ_CA" \
        --lease-wait 0.5 >"$d/out" 2>"$d/err"
    RC=$? SECS=$((SECONDS - t0))
}
left() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["snapshots"]))' "$AZ_STATE"; }
# count KEY: log records carrying KEY (the server's "throttled_by" marks a
# refusal by a bucket; "faults" an injected answer)
count() { grep -c "\"$1\":" "$AZ_LOG"; }
bucket_429s() { count throttled_by; }

scenario clean
t_eq "pace: snapkeep run, default options, $N deletes: exit 0" 0 "$RC"
t_eq "pace: all $N deleted, the newest kept" 1 "$(left)"
t_eq "pace: the server refused no request (its 429 count is 0)" 0 "$(bucket_429s)"
dels=$(grep -c '"method":"DELETE"' "$AZ_LOG")
gets=$(grep -c '"method":"GET"' "$AZ_LOG")
t_check "pace: more deletes than the delete burst (200) and reads than the read burst (250): $dels, $gets" \
    test "$dels" -gt 200 -a "$gets" -gt 250
# the burst was spent: more than 150 deletes sent in the first second
first=$(python3 - "$AZ_LOG" <<'EOF'
import datetime, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ts = lambda r: datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
d = [ts(r) for r in recs if r["method"] == "DELETE"]
print(sum(1 for t in d if t - d[0] < 1.0))
EOF
)
t_check "pace: the delete burst spent at once ($first DELETEs in the first second)" test "$first" -gt 150
# what the buckets allow: reads need (GETs - 250) / 25 s; within 3x that (a loaded machine adds latency, not quota)
bound=$(( (gets - 250) / 25 + 1 ))
t_check "pace: $SECS s, within 3x of the $bound s the read bucket sets" test "$SECS" -le $((3 * bound + 5))

scenario faults '{"rules":[{"name":"429","action":"throttle","kind":"arm","every":7,"retry_after":1},
 {"name":"503","action":"status","status":503,"kind":"arm","every":11}]}'
t_eq "pace: under injected 429s and 503s: exit 0" 0 "$RC"
t_eq "pace: under injected 429s and 503s: all $N deleted" 1 "$(left)"
t_check "pace: faults were injected ($(count faults))" test "$(count faults)" -gt 50
t_eq "pace: under injected faults no bucket was exceeded" 0 "$(bucket_429s)"
t_done
