#!/usr/bin/env bash
# tests/run's own arithmetic: the unit counts are cmocka's summary lines
# (skipped tests reported as not run, a summary that does not add up or a
# crash as failed); an integration script that exits 77 is "not run", never
# passed. Fake cmocka binaries and scripts in a temp dir, so this is quick.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 2

B=$T_TMP/build
mkdir -p "$B/tests" "$T_TMP/it"
fake() {   # NAME EXIT LINES...
    local n=$1 rc=$2; shift 2
    { echo '#!/bin/sh'; for l in "$@"; do printf "echo '%s'\n" "$l"; done; echo "exit $rc"; } >"$B/tests/$n"
    chmod +x "$B/tests/$n"
}
fake test_a 0 '[==========] Running 3 test(s).' '[       OK ] x' \
    '[==========] 3 test(s) run.' '[  PASSED  ] 3 test(s).'
fake test_b 0 '[==========] 2 test(s) run.' '[  PASSED  ] 1 test(s).' \
    '[  SKIPPED ] 1 test(s), listed below:' '[  SKIPPED ] test_needs_root'
TEST_BUILD=$B tests/run unit >"$T_TMP/u1" 2>&1; rc=$?
t_check "unit: cmocka's PASSED lines counted, SKIPPED as not run" \
    grep -qx '4 passed, 0 failed, 1 not run ([0-9]* s)' "$T_TMP/u1"
t_check "unit: skipped tests exit 0" test "$rc" = 0
t_check "unit: one line per binary from its summary" \
    grep -qx 'test_b: 1 passed, 0 failed, 1 skipped ([0-9]* s)' "$T_TMP/u1"
t_check "unit: the skipped test is named" grep -q 'SKIPPED \] test_needs_root' "$T_TMP/u1"
t_check "unit: a section header" grep -qx '== unit tests (cmocka)' "$T_TMP/u1"

fake test_c 0 '[==========] 5 test(s) run.' '[  PASSED  ] 4 test(s).'
fake test_d 139 '[==========] Running 2 test(s).'
TEST_BUILD=$B TEST_LABEL="fake" tests/run unit >"$T_TMP/u2" 2>&1; rc=$?
t_check "unit: a summary that does not add up, and a crash, fail" \
    grep -qx 'fake: 8 passed, 2 failed, 1 not run ([0-9]* s)' "$T_TMP/u2"
t_check "unit: ... and name the binaries" grep -qx 'failed: test_c test_d' "$T_TMP/u2"
t_check "unit: ... and exit non-zero" test "$rc" != 0

printf '#!/bin/sh\necho "ok one"\necho "skip two: no registry here"\nexit 77\n' >"$T_TMP/it/a.sh"
printf '#!/bin/sh\necho "ok three"\n' >"$T_TMP/it/b.sh"
INTEGRATION_DIR=$T_TMP/it tests/run integration >"$T_TMP/i1" 2>&1; rc=$?
t_check "integration: exit 77 is not run, not passed" \
    grep -qx '2 passed, 0 failed, 1 not run ([0-9]* s)' "$T_TMP/i1"
t_check "integration: ... named as not run, and exit 0" \
    sh -c "grep -qx 'not run: a.sh' '$T_TMP/i1' && test $rc = 0"
printf '#!/bin/sh\necho "ok one"\necho "not ok two"\nexit 77\n' >"$T_TMP/it/a.sh"
INTEGRATION_DIR=$T_TMP/it tests/run integration >"$T_TMP/i2" 2>&1
t_check "integration: exit 77 after a failed check still fails" \
    grep -qx '2 passed, 1 failed, 0 not run ([0-9]* s)' "$T_TMP/i2"
t_done
