#!/usr/bin/env bash
# The command-line surface shared by every command: help, version, usage errors.
# shellcheck disable=SC2016 # the inner script reads its own $0 and $c
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

t_exit "--help: exit 0" 0 "$SNAPKEEP" --help
t_check "--help: on stdout, lists every command" \
    bash -c 'for c in check explain plan simulate inventory run status restore release drill failover; do grep -q "^  $c " "$0" || exit 1; done' "$T_TMP/out"
t_check "--help: lists the exit codes" grep -q "6 refused by a safety rail" "$T_TMP/out"
t_exit "--version: exit 0" 0 "$SNAPKEEP" --version
t_check "--version: name and version" grep -Eq '^snapkeep [0-9]+\.[0-9]+\.[0-9]+$' "$T_TMP/out"
for c in check explain plan simulate inventory run status restore release drill failover; do
    t_exit "help $c: exit 0" 0 "$SNAPKEEP" help "$c"
    t_check "help $c: usage line" grep -q "^usage: snapkeep $c " "$T_TMP/out"
    cp "$T_TMP/out" "$T_TMP/help-$c"
    t_exit "$c --help: exit 0" 0 "$SNAPKEEP" "$c" --help
    t_check "$c --help: the same text as help $c" cmp -s "$T_TMP/out" "$T_TMP/help-$c"
done
t_check "help run: the run options and exit codes" \
    bash -c 'grep -q -- "--allow-stale" "$0" && grep -q -- "--dry-run" "$0" && grep -q "5 stale" "$0"' "$T_TMP/help-run"
t_check "help run: how credentials are found" grep -q "AZURE_FEDERATED_TOKEN_FILE" "$T_TMP/help-run"
t_exit "help run: shows the Azure options" 0 "$SNAPKEEP" help run
t_check "help run: --arm-endpoint listed" grep -q -- "--arm-endpoint URL" "$T_TMP/out"
# A wrong --format value reads the same in every command that takes one
# (found from each command's help, so a new one is covered): one line,
# the command, the option, the value, the words it takes; exit 2 (status:
# 3, UNKNOWN). --log-format, --colour and --dns-zone-kind read the same.
nfmt=0
for c in check explain plan simulate inventory run status restore release drill failover; do
    grep -q -- "--format" "$T_TMP/help-$c" || continue
    nfmt=$((nfmt + 1))
    want=2; [ "$c" = status ] && want=3
    t_exit "$c --format bogus: usage error" "$want" "$SNAPKEEP" "$c" --format bogus x.policy
    t_check "$c --format bogus: the one wording" \
        grep -Eqx "snapkeep: $c: --format: unknown value 'bogus' \(one of [a-z]+(, [a-z]+)*\)" "$T_TMP/err"
done
t_check "--format: every command that takes it was checked (9)" [ "$nfmt" -ge 9 ]
for oc in "run --log-format" "drill --log-format" "plan --colour" "failover --dns-zone-kind"; do
    read -r -a w <<<"$oc"
    set -- "${w[@]}"
    t_exit "$1 $2 bogus: usage error" 2 "$SNAPKEEP" "$1" "$2" bogus x.policy
    t_check "$1 $2 bogus: the same wording as --format" \
        grep -Eqx "snapkeep: $1: $2: unknown value 'bogus' \(one of [a-z]+(, [a-z]+)*\)" "$T_TMP/err"
done
# A state directory that cannot be used is reported one way by every
# command that keeps state, before any Azure call: "state directory: WHY";
# exit 1 when it is no directory, 6 when others may write it.
printf '%s\n' 'policy "p" {' '    subscription "00000000-0000-0000-0000-000000000001"' \
    '    resource-group "rg"' '    disk "d"' '    keep-all 1d' '}' >"$T_TMP/st.policy"
: >"$T_TMP/not-a-dir"
mkdir "$T_TMP/shared"
chmod 0777 "$T_TMP/shared"
for cmd in "run" "drill" "restore --disk d --latest --to n" "release --disk d" "failover --from v --to w"; do
    read -r -a w <<<"$cmd"
    c=${w[0]}
    t_exit "$c, state directory a file: exit 1" 1 "$SNAPKEEP" "$c" "$T_TMP/st.policy" "${w[@]:1}" \
        --state-dir "$T_TMP/not-a-dir"
    t_check "$c, state directory a file: the one wording" \
        grep -Eqx "snapkeep: $c: (error: )?state directory: $T_TMP/not-a-dir is not a directory" "$T_TMP/err"
    t_exit "$c, state directory writable by others: exit 6" 6 "$SNAPKEEP" "$c" "$T_TMP/st.policy" \
        "${w[@]:1}" --state-dir "$T_TMP/shared"
    t_check "$c, state directory writable by others: the one wording" \
        grep -Eq "^snapkeep: $c: (error: )?state directory: refusing directory $T_TMP/shared: writable by" "$T_TMP/err"
done
t_exit "no arguments: usage error" 2 "$SNAPKEEP"
t_check "no arguments: help on stderr" grep -q "^usage: snapkeep COMMAND" "$T_TMP/err"
t_exit "unknown command: usage error" 2 "$SNAPKEEP" frobnicate
t_check "unknown command: named" grep -q "unknown command 'frobnicate'" "$T_TMP/err"
t_exit "help for an unknown command: usage error" 2 "$SNAPKEEP" help frobnicate

# --- did-you-mean for commands and options (the policy language's measure) ---
t_exit "chek: usage error" 2 "$SNAPKEEP" chek policies/seed.policy
t_eq "chek: did you mean check" \
    "snapkeep: unknown command 'chek'; did you mean 'check'? (try 'snapkeep --help')" "$(cat "$T_TMP/err")"
t_exit "help chek: usage error" 2 "$SNAPKEEP" help chek
t_eq "help chek: did you mean check" "snapkeep: help: unknown command 'chek'; did you mean 'check'?" \
    "$(cat "$T_TMP/err")"
t_exit "--inventroy: usage error" 2 "$SNAPKEEP" plan policies/seed.policy --inventroy x.json
t_eq "--inventroy: did you mean --inventory" \
    "snapkeep: plan: unknown option '--inventroy'; did you mean '--inventory'?" "$(head -1 "$T_TMP/err")"
t_exit "run --dryrun: usage error" 2 "$SNAPKEEP" run policies/seed.policy --dryrun
t_check "run --dryrun: did you mean --dry-run" \
    grep -qx "snapkeep: run: unknown option '--dryrun'; did you mean '--dry-run'?" "$T_TMP/err"
t_exit "check --quite: usage error" 2 "$SNAPKEEP" check --quite policies/seed.policy
t_check "check --quite: did you mean --quiet" \
    grep -qx "snapkeep: check: unknown option '--quite'; did you mean '--quiet'?" "$T_TMP/err"
t_exit "far from any option: no guess" 2 "$SNAPKEEP" plan policies/seed.policy --frobnicate
t_check "far from any option: no guess" grep -qx "snapkeep: plan: unknown option '--frobnicate'" "$T_TMP/err"
t_exit "--now without its value: usage error" 2 "$SNAPKEEP" plan policies/seed.policy --now
t_check "--now without its value: said so" grep -qx "snapkeep: plan: option '--now' needs a value" "$T_TMP/err"

# --- every message of a command starts "snapkeep: COMMAND: " (getopt's own
# "plan: unrecognized option" and "snapkeep: --now: ..." are gone) ---
for c in explain plan simulate inventory run restore release drill failover; do
    t_exit "$c --bogus-option: usage error" 2 "$SNAPKEEP" "$c" policies/seed.policy --bogus-option
    t_check "$c --bogus-option: 'snapkeep: $c: ' first" grep -q "^snapkeep: $c: unknown option '--bogus-option'" "$T_TMP/err"
done
for c in plan run; do
    t_exit "$c --now garbage: usage error" 2 "$SNAPKEEP" "$c" policies/seed.policy --now 2026-1-1
    t_check "$c --now garbage: prefixed, names the date form" \
        grep -q "^snapkeep: $c: --now: '2026-1-1' is not an RFC 3339 time or a date" "$T_TMP/err"
done
t_exit "explain --cadence 1H: usage error" 2 "$SNAPKEEP" explain policies/seed.policy --cadence 1H
t_check "explain --cadence 1H: prefixed, lower-case hint" \
    grep -qx "snapkeep: explain: --cadence: '1H': unknown unit 'H': units are lower case, write 'h'" "$T_TMP/err"
t_exit "run --max-delete bad: usage error" 2 "$SNAPKEEP" run policies/seed.policy --max-delete x
t_check "run --max-delete bad: prefixed" grep -q "^snapkeep: run: --max-delete: 'x'" "$T_TMP/err"
t_exit "simulate --seed bad: usage error" 2 "$SNAPKEEP" simulate policies/seed.policy --seed -1
t_check "simulate --seed bad: prefixed" grep -q "^snapkeep: simulate: --seed: '-1'" "$T_TMP/err"
t_exit "inventory --auth bad: usage error" 2 "$SNAPKEEP" inventory policies/seed.policy --auth bogus
t_check "inventory --auth bad: prefixed" grep -q "^snapkeep: inventory: --auth: 'bogus'" "$T_TMP/err"

# --- --now accepts a date alone: that day's midnight UTC ---
t_exit "--now DATE: exit 0" 0 "$SNAPKEEP" plan policies/dss-datadir.policy \
    --inventory policies/sample-inventory.json --now 2026-11-26 --format json
t_eq "--now DATE is midnight UTC" "2026-11-26T00:00:00Z" "$(jq -r .now "$T_TMP/out")"
t_done
