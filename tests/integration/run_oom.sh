#!/usr/bin/env bash
# snapkeep run with its N-th allocation failing, for N spread over a whole
# run against tests/arm/serve: each run that reached its failure exits 7
# ("out of memory", never an Azure failure), no crash, and sends no
# delete after the failure. The shim (tests/preload/failmalloc.c, built
# as $BUILD/tests/failmalloc.so) appends a marker to the run's journal when it fails the allocation, so
# the journal shows what came before and after it. With --parallel 1 one
# delete is under way at a time: after the marker at most one delete (the
# one in flight) may have an outcome other than "skipped" (held back), and
# the server may have seen at most one DELETE more than the outcomes
# journaled before the marker. One server; each run has its own disk (and
# its own 5 snapshots to prune), so no run sees another's deletes. The
# runs create nothing (no `snapshot every`): creation waits on its
# operation and would double the time.
# shellcheck disable=SC1091,SC2016  # sourced helpers; python in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

SHIM=${FAILMALLOC_SO:-$TOP/${TEST_BUILD:-build}/tests/failmalloc.so}
if [ ! -f "$SHIM" ]; then
    t_fail "the failmalloc shim is built ($SHIM; make $SHIM)"
    t_done
fi
NOW=2026-11-21T00:00:00Z
K=32                    # runs: one counting run, then K-1 failing ones
specs=()
for i in $(seq 0 $((K - 1))); do specs+=("rg:oom-$(printf %02d "$i"):6:oom"); done
az_seed "$T_TMP/seed.json" "${specs[@]}"
run_start "$T_TMP/srv" "$T_TMP/seed.json" || { t_fail "server starts"; t_done; }
run_clock "$NOW"

# policy_for I: the policy of disk oom-I: its 6 snapshots (1 to 6
# November) are older than keep-all 2d: all but the newest are pruned.
policy_for() {
    cat >"$T_TMP/p-$1.policy" <<POL
policy "oom" {
    subscription "$AZ_SUB"
    resource-group "rg"
    disk "oom-$1"
    stale-after 30d
    keep-all 2d
}
POL
}

# sk_oom I N: snapkeep run for disk oom-I with allocation N failing (0:
# none); state in $T_TMP/st-I; exit code in $T_TMP/rc-I.
sk_oom() {
    local d=$T_TMP/st-$1
    mkdir -m 0700 "$d"
    policy_for "$1"
    # the shim is preloaded into snapkeep only, not into timeout
    timeout 30 bash -c 'SNAPKEEP_FAIL_MALLOC_AT=$1 SNAPKEEP_FAIL_MALLOC_MARK=$2 \
        SNAPKEEP_FAIL_MALLOC_COUNT=$3 LD_PRELOAD=$4 exec "${@:5}"' sk "$2" "$d/journal.jsonl" \
        "$T_TMP/count-$1" "$SHIM" "$SNAPKEEP" run "$T_TMP/p-$1.policy" --now "$NOW" \
        --state-dir "$d" --ca-file "$AZ_CA" --parallel 1 --lease-wait "$RUN_LEASE_WAIT" \
        >"$T_TMP/out-$1" 2>"$T_TMP/err-$1"
    echo $? >"$T_TMP/rc-$1"
}

# deletes I: DELETE requests the server saw for disk oom-I's snapshots
deletes() { grep -c "\"method\": *\"DELETE\".*/snapshots/oom-$1-" "$AZ_LOG"; }

# journal_split I: "FIRED BEFORE AFTER HELD": whether the marker is there,
# the delete outcomes other than skipped before it and after it, and the
# skipped ones after it
journal_split() {
    python3 - "$T_TMP/st-$1/journal.jsonl" <<'PY'
import json, sys
fired, before, after, held = 0, 0, 0, 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "failmalloc":
        fired = 1
    elif e.get("event") == "outcome" and e.get("op") == "delete":
        if e.get("outcome") == "skipped":
            held += fired
        elif fired:
            after += 1
        else:
            before += 1
print(fired, before, after, held)
PY
}

# the run without a failure: what each failing run is measured against
sk_oom 00 0
t_check "no failure: exit 0" test "$(cat "$T_TMP/rc-00")" = 0
t_check "no failure: the 5 pruned snapshots deleted" test "$(deletes 00)" = 5
TOTAL=$(cat "$T_TMP/count-00" 2>/dev/null || echo 0)
t_check "the shim counted the run's allocations ($TOTAL)" test "$TOTAL" -gt 100

# N: the first few (setting up), then spread evenly over the whole run
ns=(1 2 3 5 8 13)
m=$((K - 1 - ${#ns[@]}))
for j in $(seq 0 $((m - 1))); do ns+=($((20 + j * (TOTAL - 20) / (m - 1)))); done
start=$SECONDS
fired_n=0 mid_n=0 bad=()
for j in "${!ns[@]}"; do
    i=$(printf %02d $((j + 1)))
    n=${ns[$j]}
    sk_oom "$i" "$n"
    rc=$(cat "$T_TMP/rc-$i")
    read -r fired before after held <<<"$(journal_split "$i")"
    sent=$(deletes "$i")
    if [ "$fired" = 0 ]; then
        # past this run's last allocation (runs differ a little): a clean run
        [ "$rc" = 0 ] || bad+=("N=$n: no failure reached, exit $rc")
        continue
    fi
    fired_n=$((fired_n + 1))
    [ "$rc" = 7 ] || bad+=("N=$n: exit $rc, wanted 7")
    grep -q "out of memory" "$T_TMP/err-$i" || bad+=("N=$n: no 'out of memory' on stderr")
    # an allocation failure is never reported as an Azure failure
    ! grep -q "OutOfMemory\|listing failed\|Azure failure" "$T_TMP/err-$i" ||
        bad+=("N=$n: reported as an Azure failure: $(grep -m1 "OutOfMemory\|listing failed\|Azure failure" "$T_TMP/err-$i")")
    [ "$after" -le 1 ] || bad+=("N=$n: $after deletes went on after the failure")
    [ "$sent" -le $((before + 1)) ] ||
        bad+=("N=$n: $sent DELETEs sent, $before outcomes before the failure")
    [ "$before" -gt 0 ] && [ "$held" -gt 0 ] && mid_n=$((mid_n + 1))
done
secs=$((SECONDS - start))
t_check "allocation failures reached: $fired_n of ${#ns[@]} runs" test "$fired_n" -ge $((${#ns[@]} * 3 / 4))
t_check "some failed mid-way through the deletes, the rest held back ($mid_n runs)" test "$mid_n" -ge 1
if [ ${#bad[@]} -eq 0 ]; then
    t_ok "every failed run: exit 7, says out of memory (not an Azure failure), no delete after the failure ($secs s)"
else
    t_fail "every failed run: exit 7, says out of memory (not an Azure failure), no delete after the failure"
    printf '    %s\n' "${bad[@]}" | head -20
fi
t_done
