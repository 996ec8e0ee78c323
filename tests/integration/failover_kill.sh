#!/usr/bin/env bash
# snapkeep failover killed with SIGKILL at every point: after each step's
# outcome (oK) and after each step's intent (mK: the request may be on its
# way or its operation running), one VM pair per case, all cases in
# parallel. The same command run again must say it resumes, end in the
# state an uninterrupted failover ends in, and send no step twice (the
# server's log counts each change).
# shellcheck disable=SC1091 # sourced helpers
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/azure_lib.sh"
. "$(dirname "$0")/recover_lib.sh"

D=$T_TMP/fk
mkdir -p "$D"
# steps: 1 deallocate, 2 detach, 3 attach, 4 ip-remove, 5 ip-add, 6 dns-set, 7 start
CASES="o1 o2 o3 o4 o5 o6 m1 m2 m3 m4 m5 m6 m7"
specs=() net=() n=10
declare -A sb_ip
for c in $CASES; do
    specs+=("vm$c:running:1:2=d$c/ReadWrite/0" "sb$c:deallocated:1:-")
    net+=("nic:vm$c:10.0.1.$n:pip$c" "nic:sb$c:10.0.2.$n" "private:corp.internal/r$c:10.0.1.$n")
    sb_ip[$c]=10.0.2.$n
    n=$((n + 1))
done
rv_seed "$D/seed.json" "${specs[@]}"
rv_net "$D/seed.json" "${net[@]}"
az_start "$D/srv" --seed "$D/seed.json" --retry-after 0 --lro-seconds 0.25 ||
    { t_fail "server starts"; t_done; }
az_env_secret
{
    printf 'policy "p1" {\n    subscription "%s"\n    resource-group "rg1"\n' "$AZ_SUB"
    for c in $CASES; do printf '    disk "d%s"\n' "$c"; done
    printf '    keep-all 24h\n}\n'
} >"$D/p.policy"


cmd_for() {
    printf '%s\n' "$SNAPKEEP" failover "$D/p.policy" --from "vm$1" --to "sb$1" \
        --move-public-ip "pip$1" --dns-record "corp.internal/r$1" --state-dir "$D/state-$1" \
        --ca-file "$AZ_CA"
}

# shellcheck disable=SC2086 # CASES is a word list
rv_kill_cases $CASES
# shellcheck disable=SC2086
rv_resume_cases $CASES
for c in $CASES; do
    t_check "$c: killed at its point, the record left for the resume" \
        test -e "$D/$c.killed" -a -n "$(grep -l "resuming the attempt" "$D/$c.2.err")"
    t_eq "$c: the same command finishes (exit 0)" 0 "$(cat "$D/$c.2.rc")"
    t_eq "$c: d$c on sb$c at LUN 2, sb$c running, vm$c deallocated; IP and record moved" \
        "running 2=d$c/ReadWrite/0 deallocated nic-sb$c/ipconfig1 ${sb_ip[$c]}" \
        "$(rv_vm "sb$c") $(rv_vm "vm$c") $(rv_pip "pip$c") $(rv_dns "corp.internal/r$c")"
    t_eq "$c: no step sent twice" "1 1 1 1 1 1 1" \
        "$(rv_count POST "vm$c/deallocate\$" POST "vm$c/attachDetachDataDisks\$" \
            POST "sb$c/attachDetachDataDisks\$" PUT "nic-vm$c\$" PUT "nic-sb$c\$" \
            PUT "/A/r$c\$" POST "sb$c/start\$")"
    t_check "$c: record removed" test ! -e "$D/state-$c/recovery.json"
done
t_done
