#!/usr/bin/env bash
# restore --replace-on killed with -9 after each of its steps, and in the
# middle of the slow ones, then the same command run again: it finishes
# with the end state of an uninterrupted run and sends no step twice
# (each VM sees one deallocate, one detach, one attach, one start; the new
# disk one PUT). Also release killed between its detach and its delete.
# shellcheck disable=SC1091,SC2016,SC2317 # sourced helpers; bash -c snippets take "$1"; helpers run through t_exit
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/azure_lib.sh"
. "$(dirname "$0")/recover_lib.sh"

D=$T_TMP/rk
mkdir -p "$D"
CASES="o1 o2 o3 o4 o5 m1 m2 m4"     # oK: after step K's outcome; mK: after step K's intent
specs=()
for c in $CASES; do specs+=("vm$c:running:1:0=d$c/ReadWrite/0"); done
rv_seed "$D/seed.json" "${specs[@]}" "vmr:running:1:-"
az_start "$D/srv" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.4 ||
    { t_fail "server starts"; t_done; }
az_env_secret
az_policy "$D/p.policy" rg1 dummy

cmd_for() {
    printf '%s\n' "$SNAPKEEP" restore "$D/p.policy" --disk "d$1" --latest --to "r$1" \
        --replace-on "vm$1" --state-dir "$D/state-$1" --ca-file "$AZ_CA"
}

# every case at once (each has its own VM, disk and state directory): each
# run is killed by its own watcher at its own point
# shellcheck disable=SC2086 # CASES is a word list
rv_kill_cases $CASES
for c in $CASES; do
    t_check "$c: killed at its point" test -e "$D/$c.killed"
    t_check "$c: the record is there for the resumed command" test -s "$D/state-$c/recovery.json"
done
# shellcheck disable=SC2086
rv_resume_cases $CASES
for c in $CASES; do
    t_eq "$c: the same command finishes (exit 0)" 0 "$(cat "$D/$c.2.rc")"
    t_check "$c: said it resumed" grep -q "resuming the attempt started" "$D/$c.2.err"
    t_eq "$c: end state: r$c at LUN 0 with ReadWrite, vm$c running" \
        "running 0=r$c/ReadWrite/0" "$(rv_vm "vm$c")"
    t_eq "$c: d$c kept, detached, tagged replaced-by r$c" "- r$c" \
        "$(rv_disk "d$c" '(d.get("managedBy") or "-") + " " + t.get("snapkeep-replaced-by", "").split("/")[-1]')"
    t_eq "$c: no step sent twice (1 PUT, 1 deallocate, 2 attach/detach, 1 start)" "1 1 2 1" \
        "$(rv_count PUT "/disks/r$c\$" POST "vm$c/deallocate\$" POST "vm$c/attachDetachDataDisks\$" POST "vm$c/start\$")"
    t_check "$c: record removed" test ! -e "$D/state-$c/recovery.json"
done

# release killed between its detach and its delete
SD=$D/state-rel
J=$SD/journal.jsonl
t_exit "release: a disk restored onto vmr" 0 "$SNAPKEEP" restore "$D/p.policy" --disk do1 \
    --latest --to rel1 --attach-to vmr --state-dir "$SD" --ca-file "$AZ_CA"
start_lines=$(grep -c '"event":"outcome"' "$J")
rel=("$SNAPKEEP" release "$D/p.policy" --disk rel1 --from vmr --state-dir "$SD" --ca-file "$AZ_CA")
"${rel[@]}" >"$D/rel.out" 2>&1 &
pid=$!
t_cleanup_hooks+=("kill -9 $pid 2>/dev/null")
rv_events "$J" $((start_lines + 1)) outcome
kill -9 "$pid"
wait "$pid" 2>/dev/null
t_exit "release: run again after the kill, exit 0" 0 "${rel[@]}"
t_check "release: rel1 gone" test -z "$(rv_disk rel1 d)"
t_check "release: vmr has no data disk" test "$(rv_vm vmr)" = running
t_eq "release: one detach (the attach before it is the restore's), one DELETE" "2 1" \
    "$(rv_count POST 'vmr/attachDetachDataDisks$' DELETE '/disks/rel1$')"

t_done
