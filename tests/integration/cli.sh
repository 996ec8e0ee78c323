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
t_exit "no arguments: usage error" 2 "$SNAPKEEP"
t_check "no arguments: help on stderr" grep -q "^usage: snapkeep COMMAND" "$T_TMP/err"
t_exit "unknown command: usage error" 2 "$SNAPKEEP" frobnicate
t_check "unknown command: named" grep -q "unknown command 'frobnicate'" "$T_TMP/err"
t_exit "help for an unknown command: usage error" 2 "$SNAPKEEP" help frobnicate
t_done
