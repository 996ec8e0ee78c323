#!/usr/bin/env bash
# Benchmark (issue 3, item 6): `snapkeep plan --format json` over a 200k-snapshot
# ARM inventory (tests/gen-inventory: 100 disks x 2000 hourly snapshots, about
# 148 MB) against `jq '.value|length'` on the same file.
# Targets: plan's time at most 0.60 x jq's; plan's peak RSS at most 6 x the file.
#
# Each command runs BENCH_RUNS times (default 3): the best elapsed time counts,
# and the largest peak RSS. Timing uses GNU time (/usr/bin/time -f) when it is
# installed; otherwise a python3 wrapper that times the child with a monotonic
# clock and reads its peak RSS from getrusage(RUSAGE_CHILDREN), which bash's
# `time` cannot report (BENCH_TIMER=python3 forces it). Nothing is installed. The inventory is generated once
# into $BENCH_BUILD/bench/ and regenerated only when the generator changes.
set -euo pipefail
cd "$(dirname "$0")/../.."

snapkeep=${SNAPKEEP:?SNAPKEEP must name the snapkeep binary}
dir=${BENCH_BUILD:-build}/bench
runs=${BENCH_RUNS:-3}
inv=$dir/inventory-200k.json
gen_args=(--disks 100 --per-disk 2000 --cadence 1h --end 2026-11-26T12:00:00Z --format arm --seed 1)
now=2026-11-26T12:30:00Z
mkdir -p "$dir"

command -v jq >/dev/null || { echo "bench_plan: jq is not installed (make deps)" >&2; exit 1; }

stamp="$(sha256sum tests/gen-inventory | cut -c1-16) ${gen_args[*]}"
if [ ! -s "$inv" ] || [ "$(cat "$inv.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "  generating $inv (once)"
    tests/gen-inventory "${gen_args[@]}" >"$inv.tmp"
    mv "$inv.tmp" "$inv"
    printf '%s\n' "$stamp" >"$inv.stamp"
fi
size=$(stat -c %s "$inv")

if [ "${BENCH_TIMER:-}" != python3 ] && /usr/bin/time --version 2>&1 | grep -q GNU; then
    timer="GNU time"
else
    timer="python3 getrusage wrapper"
fi

# measure COMMAND...: runs it once, stdout discarded; prints
# "ELAPSED_S PEAK_RSS_KB CPU_S". Fails when the command fails.
measure() {
    if [ "$timer" = "GNU time" ]; then
        /usr/bin/time -f '%e %M %U %S' -o "$dir/time.out" "$@" >/dev/null
        awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$dir/time.out"
    else
        python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
e = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{e:.2f} {ru.ru_maxrss} {ru.ru_utime + ru.ru_stime:.2f}")
sys.exit(rc)' "$@"
    fi
}

# best COMMAND...: best elapsed, largest RSS and the best run's CPU over $runs runs.
best() {
    local i line e m c be="" bm=0 bc=""
    for ((i = 0; i < runs; i++)); do
        line=$(measure "$@") || { echo "bench_plan: failed: $*" >&2; return 1; }
        read -r e m c <<<"$line"
        if [ -z "$be" ] || awk -v a="$e" -v b="$be" 'BEGIN { exit !(a < b) }'; then
            be=$e bc=$c
        fi
        [ "$m" -gt "$bm" ] && bm=$m
    done
    echo "$be $bm $bc"
}

plan=("$snapkeep" plan tests/bench/bench.policy --inventory "$inv" --now "$now" --format json)

# What is timed must be real work: jq counts every snapshot, the plan covers them.
count=$(jq '.value|length' "$inv")
total=$("${plan[@]}" | jq '.summary.total') || { echo "bench_plan: failed: ${plan[*]}" >&2; exit 1; }
if [ "$count" != 200000 ] || [ "$total" != 200000 ]; then
    echo "bench_plan: expected 200000 snapshots, jq counted $count, plan $total" >&2
    exit 1
fi

jq_best=$(best jq '.value|length' "$inv")
plan_best=$(best "${plan[@]}")
read -r jq_s jq_kb jq_cpu <<<"$jq_best"
read -r plan_s plan_kb plan_cpu <<<"$plan_best"

ratio=$(awk -v p="$plan_s" -v j="$jq_s" 'BEGIN { printf "%.2f", p / j }')
mem=$(awk -v k="$plan_kb" -v s="$size" 'BEGIN { printf "%.2f", k * 1024 / s }')
ok_time=$(awk -v r="$ratio" 'BEGIN { print (r <= 0.60) ? "met" : "MISSED" }')
ok_mem=$(awk -v r="$mem" 'BEGIN { print (r <= 6) ? "met" : "MISSED" }')

printf '  inventory: %s, %d snapshots, %.1f MB\n' "$inv" "$count" "$(awk -v s="$size" 'BEGIN { print s / 1e6 }')"
printf '  timer: %s, best of %d runs (elapsed), largest peak RSS\n' "$timer" "$runs"
printf '  jq .value|length            %6.2f s (cpu %5.2f s)  peak RSS %7.1f MB\n' "$jq_s" "$jq_cpu" "$(awk -v k="$jq_kb" 'BEGIN { print k / 1024 }')"
printf '  snapkeep plan --format json %6.2f s (cpu %5.2f s)  peak RSS %7.1f MB\n' "$plan_s" "$plan_cpu" "$(awk -v k="$plan_kb" 'BEGIN { print k / 1024 }')"
printf '  time, plan / jq             %s (target <= 0.60): %s\n' "$ratio" "$ok_time"
printf '  peak RSS, plan / file size  %s (target <= 6): %s\n' "$mem" "$ok_mem"
[ "$ok_time" = met ] && [ "$ok_mem" = met ]
