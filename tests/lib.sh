# Shared helpers for tests/integration/*.sh. Each check prints "ok NAME" or
# "not ok NAME"; tests/run counts them. Source it, then call t_done at the end.
set -uo pipefail
SNAPKEEP=${SNAPKEEP:-$PWD/snapkeep}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T_FAILED=0
T_TMP=$(mktemp -d)
trap 't_cleanup' EXIT
t_cleanup_hooks=()
t_cleanup() {
    local h
    for h in "${t_cleanup_hooks[@]+"${t_cleanup_hooks[@]}"}"; do eval "$h"; done
    rm -rf "$T_TMP"
}
t_ok()   { echo "ok $*"; }
t_fail() { echo "not ok $*"; T_FAILED=1; }
# t_check NAME COMMAND...: passes when the command succeeds.
t_check() { local n=$1; shift; if "$@"; then t_ok "$n"; else t_fail "$n"; fi; }
# t_exit NAME WANT COMMAND...: passes when the command exits with WANT.
t_exit() {
    local n=$1 want=$2; shift 2
    "$@" >"$T_TMP/out" 2>"$T_TMP/err"; local rc=$?
    if [ "$rc" = "$want" ]; then t_ok "$n"; else
        t_fail "$n (exit $rc, wanted $want)"; sed 's/^/    /' "$T_TMP/err" | head -20; fi
}
# t_eq NAME WANT GOT: passes when GOT is WANT (and says what it got when not).
t_eq() { if [ "$3" = "$2" ]; then t_ok "$1"; else t_fail "$1 (got '$3', wanted '$2')"; fi; }
t_done() { exit "$T_FAILED"; }
# t_not_run WHY: the rest of this script cannot run here. tests/run counts
# exit 77 as "not run", never as passed; a check that already failed still
# fails the script. Under CI=true nothing may be left out: it fails.
t_not_run() {
    if [ "${CI:-}" = true ]; then t_fail "$* (required under CI=true)"; t_done; fi
    echo "skip $*"
    [ "$T_FAILED" = 0 ] && exit 77
    exit 1
}
