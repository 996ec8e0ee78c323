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
run_start "$D" "$D/seed.json" --region-copy-seconds 25200 || { t_fail "server starts"; t_done; }
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
    bash -c 'python3 "$1" names "$2" dss-dr | grep -- "-r3$" >/dev/null' _ "$MODEL" "$AZ_STATE"

# a failing listing page in either region: nothing sent, nothing changed, exit 3
both() {
    python3 "$MODEL" names "$AZ_STATE" dss-prod
    python3 "$MODEL" names "$AZ_STATE" dss-dr
}
fail_closed() {   # RG T
    local rg=$1 t=$2 before after lines
    before=$(both)
    lines=$(wc -l <"$AZ_LOG")
    az_faults '{"rules": [{"name": "page-fails", "kind": "list", "action": "error", "status": 500, "retry_after": 0,
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

# the copy lag: the age of the data of the newest completed copy, as the server shows it
M=$D/metrics.prom
t_exit "a run with metrics: exit 0" 0 sk_run "$D/p.policy" 2026-11-11T02:00:00Z --metrics-file "$M"
t_check "copy lag metric: the newest completed copy in the server's state, within 5 s" \
    python3 - "$M" "$AZ_STATE" 2026-11-11T02:00:00Z <<'PY'
import datetime, json, re, sys
def t(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
got = [float(m.group(1)) for m in re.finditer(
    r'^snapkeep_copy_lag_seconds\{disk="dss-data",policy="dss-datadir",region="northeurope"\} (\S+)$',
    open(sys.argv[1]).read(), re.M)]
done = [t(s["tags"]["snapkeep-copy-taken"]) for s in json.load(open(sys.argv[2]))["snapshots"]
        if "/resourcegroups/dss-dr/" in s["id"].lower()
        and s["properties"].get("completionPercent") == 100.0
        and "copyCompletionError" not in s["properties"]]
want = t(sys.argv[3]) - max(done)
print("lag metric %s, server %s" % (got, want))
sys.exit(0 if len(got) == 1 and abs(got[0] - want) < 5 and want > 0 else 1)
PY
t_check "copies metric: started/pruned/failed/deferred" \
    grep -q '^snapkeep_copies{policy="dss-datadir",region="northeurope",state="started"} ' "$M"

# status gives the same copy lag, from the copy resource group's listing
t_exit "status --format json: exit 0" 0 "$SNAPKEEP" status "$D/p.policy" --format json \
    --now 2026-11-11T02:00:00Z --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA"
t_check "status: the copy lag of dss-data equals the metric" \
    python3 - "$T_TMP/out" "$M" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
disk = [x for p in d["policies"] for x in p["disks"] if x["name"] == "dss-data"][0]
got = disk["copy"]
want = float(re.search(r'^snapkeep_copy_lag_seconds\{disk="dss-data",[^}]*\} (\S+)$',
                       open(sys.argv[2]).read(), re.M).group(1))
print("status %s, metric %s" % (got, want))
sys.exit(0 if got["region"] == "northeurope" and abs(got["lag_seconds"] - want) < 1 else 1)
PY
t_exit "status --format nagios: exit 0" 0 "$SNAPKEEP" status "$D/p.policy" --format nagios \
    --now 2026-11-11T02:00:00Z --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA"
t_check "status nagios: copy lag perfdata" grep -q "'dss-datadir/dss-data copy_lag'=[0-9]*s;;;0;" "$T_TMP/out"
az_faults '{"rules": [{"name": "dr-fails", "kind": "list", "action": "error", "status": 500, "retry_after": 0,
  "path": "/resourceGroups/dss-dr/"}]}'
t_exit "status with the copies' listing failing: UNKNOWN, exit 3" 3 "$SNAPKEEP" status "$D/p.policy" \
    --format nagios --now 2026-11-11T02:00:00Z --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA"
t_check "status: the UNKNOWN line names the copies' listing" grep -q "^SNAPKEEP UNKNOWN .*copies" "$T_TMP/out"
az_faults '{"rules": []}'

# restore --region: a disk in the copy region from the newest completed copy
t_exit "restore --region northeurope --latest: exit 0" 0 "$SNAPKEEP" restore "$D/p.policy" \
    --disk dss-data --latest --to dss-data-dr --region northeurope \
    --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA"
t_check "restore --region: the disk is in dss-dr, northeurope, made from the newest completed copy" \
    python3 - "$AZ_STATE" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
disk = [d for d in st["disks"] if d["name"] == "dss-data-dr"]
done = [s for s in st["snapshots"] if "/resourcegroups/dss-dr/" in s["id"].lower()
        and s["properties"].get("completionPercent") == 100.0
        and "copyCompletionError" not in s["properties"]]
newest = max(done, key=lambda s: s["tags"]["snapkeep-copy-taken"])
ok = len(disk) == 1 and "/resourcegroups/dss-dr/" in disk[0]["id"].lower() \
    and disk[0]["location"] == "northeurope" \
    and disk[0]["properties"]["creationData"]["sourceResourceId"].lower() == newest["id"].lower()
print(disk[0]["properties"]["creationData"]["sourceResourceId"] if disk else "no disk", newest["id"])
sys.exit(0 if ok else 1)
PY
# drill --region: the regional DR rehearsal restores the newest completed copy there
t_exit "drill --region northeurope: exit 0" 0 "$SNAPKEEP" drill "$D/p.policy" --region northeurope \
    --now 2026-11-11T03:00:00Z --state-dir "$RUN_STATE_DIR" --ca-file "$AZ_CA" --format json
t_check "drill --region: dss-data restorable from its copies, drill disks made and deleted in dss-dr" \
    python3 - "$T_TMP/out" "$AZ_LOG" "$AZ_STATE" <<'PY'
import json, re, sys
o = json.load(open(sys.argv[1]))
(p,) = o["policies"]
(d,) = p["disks"]
names = [r["name"] for r in d["restores"]]
st = json.load(open(sys.argv[3]))
dr = {s["name"] for s in st["snapshots"] if "/resourcegroups/dss-dr/" in s["id"].lower()}
puts = dels = 0
for line in open(sys.argv[2]):
    j = json.loads(line)
    if re.search(r"/resourceGroups/dss-dr/providers/Microsoft.Compute/disks/[^/]*-drill-", j["path"]):
        puts += j["method"] == "PUT"
        dels += j["method"] == "DELETE"
left = [x["name"] for x in st["disks"] if "snapkeep-drill" in (x.get("tags") or {})]
print(names, puts, dels, left)
ok = d["restorable"] and d["drilled"] and names and all(n in dr for n in names) \
    and puts >= 1 and dels >= puts and not left
sys.exit(0 if ok else 1)
PY
# plan, read live: the sources held as run holds them, and the copies' own plan after it
t_exit "plan (live): exit 0" 0 "$SNAPKEEP" plan "$D/p.policy" --now 2026-11-11T03:00:00Z \
    --ca-file "$AZ_CA" --colour never
t_check "plan (live): a second table, of the copies in dss-dr, with every copy there" \
    bash -c 'n=$(python3 "$1" names "$2" dss-dr | grep -vc -- "-drill-")
             grep -q "inventory: copies of policy dss-datadir in northeurope, resource group dss-dr" "$3" &&
             grep -q "^total: $n snapshots" <(sed -n "/inventory: copies of/,\$p" "$3")' \
    _ "$MODEL" "$AZ_STATE" "$T_TMP/out"
t_exit "restore --region of a region the policy does not copy to: exit 1" 1 "$SNAPKEEP" restore \
    "$D/p.policy" --disk dss-data --latest --to x --region westus --dry-run --ca-file "$AZ_CA"
t_check "restore --region westus: says why" grep -q "copies to another region" "$T_TMP/err"
t_done
