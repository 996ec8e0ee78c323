#!/usr/bin/env bash
# Helpers for the tests/integration/run_*.sh tests of `snapkeep run`: a
# private tests/arm/serve (via azure_lib.sh) on a virtual clock, seeds of
# hourly snapshot histories, the seed policy, and an independent model of
# what that policy keeps (run_model.py). Sourced after tests/lib.sh; on
# its own it does nothing.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
[ "${BASH_SOURCE[0]}" = "$0" ] && exit 0
# shellcheck source=azure_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/azure_lib.sh"

RUN_RG=dss-prod
RUN_MODEL=$TOP/tests/integration/run_model.py

# run_policy FILE [EXTRA LINES]: the contract's seed policy
# (policies/dss-datadir.policy) with a subscription, plus extra lines.
run_policy() {
    cat >"$1" <<EOF
timezone "UTC"
policy "dss-datadir" {
    subscription "$AZ_SUB"
    resource-group "$RUN_RG"
    disk "dss-data"
    snapshot every 1h
    keep-all 24h, every 12h to 7d, daily to 15d
    last 3
    tagged "legal-hold"
    max-delete 24
${2:-}
}
EOF
}

# run_seed FILE END HOURS [NAME@TIME@TAGS...]: disks dss-data and dss-other,
# HOURS hourly snapshots of dss-data owned by dss-datadir ending at END, and
# extra snapshots (TAGS: k=v,k=v or "-"; a tag disk=NAME picks the disk).
run_seed() {
    python3 "$RUN_MODEL" seed "$AZ_SUB" "$RUN_RG" "$@"
}

# run_fixture: the set-up the run and status tests share: NOW, the
# contract's run instant; P, the seed policy in $T_TMP/p.policy; and
# $T_TMP/seed.json, 30 hourly snapshots up to an hour before NOW (at NOW
# the 12h tier prunes 5).
run_fixture() {
    # shellcheck disable=SC2034  # NOW and P are the sourcing test's
    NOW=2026-11-21T00:00:00Z P=$T_TMP/p.policy
    run_policy "$T_TMP/p.policy"
    run_seed "$T_TMP/seed.json" 2026-11-20T23:00:00Z 30
}

# run_clock T: moves the server's virtual clock (atomically).
run_clock() {
    printf '%s\n' "$1" >"$RUN_CLOCK.tmp" && mv "$RUN_CLOCK.tmp" "$RUN_CLOCK"
}

# run_start DIR SEED [serve options]: a server on a virtual clock with
# quick long-running operations; sets RUN_CLOCK, RUN_STATE_DIR, the env.
run_start() {
    local dir=$1 seed=$2; shift 2
    RUN_CLOCK=$dir/clock
    RUN_STATE_DIR=$dir/snapkeep-state
    mkdir -p "$dir"
    az_start "$dir/srv" --seed "$seed" --clock-file "$RUN_CLOCK" --retry-after 0 "$@" || return 1
    az_env_secret
    export AZURE_SUBSCRIPTION_ID=$AZ_SUB
}

# The lease's wait for runs against the local server (loopback answers
# in milliseconds; tests/integration/lease.sh tests the wait itself).
RUN_LEASE_WAIT=0.2

# sk_run POLICY T [options]: snapkeep run at virtual time T.
sk_run() {
    local pol=$1 t=$2; shift 2
    run_clock "$t"
    "$SNAPKEEP" run "$pol" --now "$t" --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA" \
        --lease-wait "$RUN_LEASE_WAIT" "$@"
}

# run_names [DISK]: sorted names of the server's snapshots of a disk.
run_names() {
    python3 "$RUN_MODEL" names "$AZ_STATE" "${1:-dss-data}"
}

# run_expect NOW: what the seed policy keeps at NOW among the server's
# dss-data snapshots (owned ones by the model; others are never touched).
run_expect() {
    python3 "$RUN_MODEL" expect "$AZ_STATE" "$1"
}

# run_journal_count EVENT OP OUTCOME: matching journal lines.
run_journal_count() {
    python3 "$RUN_MODEL" journal "$RUN_STATE_DIR/journal.jsonl" "$@"
}
