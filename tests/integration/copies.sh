#!/usr/bin/env bash
# snapkeep run with a copy region (copy-to), hourly for 10 days on the test server's virtual
# clock: after every run both resource groups hold exactly what an independent model
# (copies_model.py) says: the sources by their own rules plus those whose copy is still
# running, the copies by theirs; the copies take 7 hours each so sources must be held while
# copying, the server's bookkeeping shows no source deleted while its copy ran and no DELETE
# refused; three injected copy failures are retried and then given up. Then a failing listing
# page in either region fails closed: exit 3, nothing sent, nothing changed.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_lib.sh"

MODEL=$TOP/tests/integration/copies_model.py
D=$T_TMP/copies
mkdir -p "$D"
run_seed "$D/seed.json" 2026-11-01T00:00:00Z 0
python3 - "$D/seed.json" "$AZ_SUB" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["resourceGroups"] = [{"id": "/subscriptions/%s/resourceGroups/dss-dr" % sys.argv[2],
                        "location": "northeurope"}]
json.dump(d, open(sys.argv[1], "w"))
PY
run_start "$D" "$D/seed.json" --copy-seconds 25200 || { t_fail "server starts"; t_done; }
cat >"$D/p.policy" <<POLICY
policy "dss-datadir" {
    subscription "$AZ_SUB"
    resource-group "dss-prod"
    disk "dss-data"
    snapshot every 1h
    keep-all 24h, every 12h to 7d, daily to 15d
    copy-to "northeurope" {
        resource-group "dss-dr"
        every 6h to 4d
    }
}
POLICY
# the 5th, 6th and 7th copy PUTs start copies that fail half-way
az_faults '{"rules": [{"name": "copy-fails", "action": "fail-copy", "method": "PUT",
  "path": "/resourceGroups/dss-dr/providers/Microsoft.Compute/snapshots/", "nth": [5, 6, 7],
  "code": "CopySourceGone", "at": 50}]}'

t_check "10 days of hourly runs: exact keep sets in dss-prod and dss-dr after every run" \
    python3 "$MODEL" days "$SNAPKEEP" "$D/p.policy" "$AZ_STATE" "$AZ_LOG" "$RUN_CLOCK" \
        "$RUN_STATE_DIR" "$AZ_CA" 2026-11-01T00:00:00Z 240 25200 5,6,7
t_check "copies: every intent has its outcome" \
    test "$(run_journal_count intent)" = "$(run_journal_count outcome)"
t_check "copies: the copies' starts are journaled (op copy, done)" \
    test "$(run_journal_count outcome copy "done")" -ge 20
t_check "copies: the retried copies are kept, failed (names -r2, -r3)" \
    bash -c 'python3 "$1" names "$2" dss-dr | grep -q -- "-r3$"' _ "$MODEL" "$AZ_STATE"

# a failing listing page in either region: nothing sent, nothing changed, exit 3
both() {
    python3 "$MODEL" names "$AZ_STATE" dss-prod
    python3 "$MODEL" names "$AZ_STATE" dss-dr
}
fail_closed() {   # RG T
    local rg=$1 t=$2 before after lines
    before=$(both)
    lines=$(wc -l <"$AZ_LOG")
    az_faults '{"rules": [{"name": "page-fails", "kind": "list", "action": "error", "status": 500,
      "path": "/resourceGroups/'"$rg"'/"}]}'
    t_exit "a failing $rg listing page: exit 3" 3 sk_run "$D/p.policy" "$t"
    after=$(both)
    t_check "a failing $rg listing page: no PUT or DELETE sent" \
        bash -c '! tail -n +"$(($2 + 1))" "$1" | grep -Eq "\"method\": ?\"(PUT|DELETE)\""' \
        _ "$AZ_LOG" "$lines"
    t_check "a failing $rg listing page: both regions unchanged" test "$before" = "$after"
    t_check "a failing $rg listing page: the log says nothing was changed" \
        grep -q "nothing is created" "$T_TMP/err"
    az_faults '{"rules": []}'
}
fail_closed dss-dr 2026-11-11T00:00:00Z
fail_closed dss-prod 2026-11-11T01:00:00Z
t_done
