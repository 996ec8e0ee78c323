#!/usr/bin/env bash
# snapkeep check from the built binary: exit codes (0 valid, 1 invalid or
# missing, 2 usage), the "FILE: ok" lines, -q, every golden error file
# rendered exactly, and diagnostics on stderr only.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

cd "$TOP" || exit 1
G=tests/golden/check

t_exit "check policies/*.policy exits 0" 0 "$SNAPKEEP" check policies/*.policy
nfiles=$(set -- policies/*.policy; echo $#)
t_check "check prints one ok line per file" \
    test "$(grep -c ': ok (' "$T_TMP/out")" = "$nfiles"
t_check "check: no warnings for policies/" test ! -s "$T_TMP/err"
t_check "check: the contract example is 1 policy with 5 rules" \
    grep -qx 'policies/dss-datadir.policy: ok (1 policy, 5 rules)' "$T_TMP/out"

printf 'keep-all 24h, every 12h to 7d, daily to 15d\n' >"$T_TMP/seed.policy"
t_exit "check the one-line seed exits 0" 0 "$SNAPKEEP" check "$T_TMP/seed.policy"
t_check "check the seed: ok (1 policy, 3 rules)" \
    grep -qx "$T_TMP/seed.policy: ok (1 policy, 3 rules)" "$T_TMP/out"

t_exit "check -q on valid files exits 0" 0 "$SNAPKEEP" check -q policies/*.policy
t_check "check -q prints nothing" test ! -s "$T_TMP/out" -a ! -s "$T_TMP/err"

t_exit "check with no file is a usage error" 2 "$SNAPKEEP" check
t_check "check with no file says so" grep -q 'no policy file given' "$T_TMP/err"
t_exit "check with an unknown option is a usage error" 2 "$SNAPKEEP" check -x policies/seed.policy
t_exit "check --help exits 0" 0 "$SNAPKEEP" check --help
t_check "check --help prints the usage" grep -q 'usage: snapkeep check' "$T_TMP/out"

t_exit "check a missing file exits 1" 1 "$SNAPKEEP" check "$T_TMP/missing.policy"
t_check "check names the missing file" \
    grep -qx "$T_TMP/missing.policy: error: cannot open: No such file or directory" "$T_TMP/err"
t_exit "check a directory exits 1" 1 "$SNAPKEEP" check "$T_TMP"

# Every golden file: exit 1 with errors (0 with warnings only), stderr exactly
# as expected, and the other files still checked.
for f in "$G"/*.policy; do
    n=$(basename "$f" .policy)
    want=1
    grep -q ': error: ' "$G/$n.expected" || want=0
    t_exit "check $n exits $want" "$want" "$SNAPKEEP" check "$f"
    if cmp -s "$T_TMP/err" "$G/$n.expected"; then t_ok "check $n output"; else
        t_fail "check $n output"; diff -u "$G/$n.expected" "$T_TMP/err" | head -20 | sed 's/^/    /'; fi
done

# The cap warning comes from explain's replay, not from the parser, so its
# golden lives apart from the parser's (tests/test_checks.c reads those).
t_exit "check cap exits 0 (a warning)" 0 "$SNAPKEEP" check tests/golden/cap/cap.policy
t_check "check cap: the warning at the policy's line, word for word" \
    cmp -s "$T_TMP/err" tests/golden/cap/cap.expected

t_exit "check one bad file among good ones exits 1" 1 \
    "$SNAPKEEP" check policies/seed.policy "$G/multi-mistake.policy" policies/long-term.policy
t_check "check still reports the good files" test "$(grep -c ': ok (' "$T_TMP/out")" = 2
t_check "check reports every mistake of the bad one" \
    test "$(grep -c "^$G/multi-mistake.policy:[0-9]*:[0-9]*: error: " "$T_TMP/err")" -ge 8

t_exit "check -q hides warnings" 0 "$SNAPKEEP" check -q "$G/warnings.policy"
t_check "check -q: nothing printed for warnings" test ! -s "$T_TMP/err" -a ! -s "$T_TMP/out"
t_exit "check -q still prints errors" 1 "$SNAPKEEP" check -q "$G/tiers-dst.policy"
t_check "check -q: errors on stderr" cmp -s "$T_TMP/err" "$G/tiers-dst.expected"

printf 'keep-all 1d\nlast\0 3\n' >"$T_TMP/bin.policy"
t_exit "check a binary file exits 1" 1 "$SNAPKEEP" check "$T_TMP/bin.policy"
t_check "check a binary file: the NUL's offset" \
    grep -q "bin.policy:2:5: error: not a text file: NUL byte at offset 16" "$T_TMP/err"

t_done
