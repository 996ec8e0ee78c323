#!/usr/bin/env bash
# snapkeep plan from the built binary: every format over the demo inventory,
# the JSON contract checked with jq, the same plan from both inventory
# shapes, and the exit codes of bad input (no plan output on refusal).
# shellcheck disable=SC2016 # jq programs use $names of their own
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=azure_lib.sh
. "$(dirname "$0")/azure_lib.sh"

cd "$TOP" || exit 1
POL=policies/dss-datadir.policy
INV=policies/sample-inventory.json
NOW=2026-11-26T12:00:00Z
D=$T_TMP
plan() { "$SNAPKEEP" plan "$@"; }
jqt() { jq -e "$@" >/dev/null; }

# --- JSON: the contract and what scripts rely on ---
t_exit "plan json exits 0" 0 plan "$POL" --inventory "$INV" --now "$NOW" --format json
cp "$T_TMP/out" "$D/plan.json"
t_check "plan json parses" jqt . "$D/plan.json"
t_check "json version 1, now echoed" \
    jqt '.version == 1 and .now == "2026-11-26T12:00:00Z"' "$D/plan.json"
t_check "one element per input snapshot" \
    jqt --argjson n "$(jq '.value|length' "$INV")" \
    '(.snapshots|length) == $n and .summary.total == $n' "$D/plan.json"
t_check "summary adds up" jqt '.summary.keep + .summary.prune == .summary.total
    and .summary.keep == ([.snapshots[]|select(.action=="keep")]|length)
    and .summary.unmanaged == ([.snapshots[]|select(.unmanaged)]|length)' "$D/plan.json"
t_check "every element has the contract's fields" jqt 'all(.snapshots[];
    (.name|type)=="string" and (.id|type)=="string" and (.time|test("Z$"))
    and (.policy==null or (.policy|type)=="string")
    and (.action=="keep" or .action=="prune") and (.reasons|type)=="array")' \
    "$D/plan.json"
t_check "kept ones have reasons, pruned ones none" jqt 'all(.snapshots[];
    (.action=="keep") == ((.reasons|length) > 0))' "$D/plan.json"
t_check "unmanaged never pruned, policy null or named" jqt 'all(.snapshots[]|select(.unmanaged);
    .action=="keep" and .group==null)' "$D/plan.json"
t_check "20 days hourly: 44-46 kept on dss-data" jqt '.groups[]|select(.disk=="dss-data")
    | .keep >= 44 and .keep <= 46 and .total == 480' "$D/plan.json"
t_check "the newest is kept with reason newest" jqt '[.snapshots[]|select(.newest)]
    | length == 1 and .[0].action=="keep" and (.[0].reasons|index("newest") != null)' \
    "$D/plan.json"
ids=$(jq -r '.snapshots[]|select(.action=="prune").id' "$D/plan.json")
t_check "the man page's jq line lists the prunes as IDs" \
    test "$(printf '%s\n' "$ids" | grep -c '^/subscriptions/.*/snapshots/')" = \
         "$(jq .summary.prune "$D/plan.json")"

# --- the az snapshot list shape gives the same plan ---
python3 tests/gen-inventory --sample --end "$NOW" --format az >"$D/az.json" 2>/dev/null
python3 tests/gen-inventory --sample --end "$NOW" --format arm >"$D/arm.json" 2>/dev/null
plan "$POL" --inventory "$D/az.json" --now "$NOW" --format json | jq 'del(.inventory)' >"$D/p-az.json"
plan "$POL" --inventory "$D/arm.json" --now "$NOW" --format json | jq 'del(.inventory)' >"$D/p-arm.json"
t_check "az and ARM shapes, same plan" cmp -s "$D/p-az.json" "$D/p-arm.json"
t_check "same plan is not empty" jqt '.summary.total > 400' "$D/p-az.json"

# --- a snapshot listed twice (pages that overlap) is one snapshot: the
# jq line must never name a snapshot the policy keeps ---
jq '[{value: .value}, {value: .value}]' "$INV" >"$D/overlap.json"
t_exit "overlapping pages: exit 0" 0 plan "$POL" --inventory "$D/overlap.json" --now "$NOW" --format json
cp "$T_TMP/out" "$D/overlap.plan.json"
t_check "overlapping pages: each snapshot once, the same plan (and a warning)" \
    cmp -s <(jq -S 'del(.inventory)' "$D/plan.json") \
        <(jq -S 'del(.inventory) | .warnings |= map(select(.kind != "duplicate"))' "$D/overlap.plan.json")
t_check "overlapping pages: no kept snapshot listed as a prune" test -z "$(comm -12 \
    <(jq -r '.snapshots[]|select(.action=="prune").id' "$D/overlap.plan.json" | sort -u) \
    <(jq -r '.snapshots[]|select(.action=="keep").id' "$D/overlap.plan.json" | sort -u))"
t_check "overlapping pages: said on stderr, naming the file" \
    grep -q 'overlap.json.*listed more than once' "$T_TMP/err"
# issue 16: the second listing names the IDs in upper case and carries a
# legal hold on a snapshot the first prunes; the hold counts, as the run's
# re-read before the delete would see it
held=$(jq -r '[.snapshots[]|select(.action=="prune")][0].id' "$D/plan.json")
jq --arg id "$held" '[{value: .value}, {value: [.value[] | .id |= ascii_upcase
    | if (.id == ($id|ascii_upcase)) then .tags["legal-hold"] = "yes" else . end]}]' \
    "$INV" >"$D/overlap-hold.json"
t_exit "IDs differing in case, a later legal hold: exit 0" 0 plan "$POL" --inventory "$D/overlap-hold.json" --now "$NOW" --format json
t_check "IDs differing in case: each snapshot once" jqt --argjson n "$(jq .summary.total "$D/plan.json")" \
    '.summary.total == $n' "$T_TMP/out"
t_check "IDs differing in case: the later copy's legal hold keeps it" jqt --arg id "$held" \
    '[.snapshots[]|select(.id == $id)] | length == 1 and .[0].action == "keep"' "$T_TMP/out"
jq '[{value: .value}, {value: [.value[0] | .properties.timeCreated = "2026-11-01T00:00:00Z"]}]' \
    "$INV" >"$D/overlap-disagree.json"
t_exit "copies that disagree on the time: exit 1" 1 plan "$POL" --inventory "$D/overlap-disagree.json" --now "$NOW"
t_check "copies that disagree: the snapshot and the field are named" \
    grep -q "overlap-disagree.json: snapshot \"$(jq -r '.value[0].name' "$INV")\" is listed more than once and the copies disagree on timeCreated" "$T_TMP/err"

# --- table ---
t_exit "plan table exits 0" 0 plan "$POL" --inventory "$INV" --now "$NOW"
cp "$T_TMP/out" "$D/plan.txt"
t_check "table: heading per policy and disk" grep -q '^policy dss-datadir, disk dss-data$' "$D/plan.txt"
t_check "table: KEEP and PRUNE rows with reasons" \
    grep -Eq '^  dss-data-[0-9T]+ +2026-[-0-9T:]+Z +[0-9dhms]+ +KEEP +keep-all 24h' "$D/plan.txt"
t_check "table: summary per disk and overall" grep -Eq '^  dss-data: 480 snapshots, keep 4[4-6], prune' "$D/plan.txt"
t_check "table: total line" grep -q '^total: ' "$D/plan.txt"
t_check "table: unmanaged warned about" grep -q 'governed by no policy' "$D/plan.txt"
t_check "table: no colour into a pipe" bash -c "! grep -q $'\033' '$D/plan.txt'"
plan "$POL" --inventory "$INV" --now "$NOW" --colour always >"$D/colour.txt"
t_check "table: --colour always colours" grep -q $'\033\\[32mKEEP' "$D/colour.txt"
t_check "table: newest first" bash -c "grep -E '^  dss-data-2' '$D/plan.txt' | awk '{print \$2}' | sort -rc"

# --- SVG ---
t_exit "plan svg exits 0" 0 plan "$POL" --inventory "$INV" --now "$NOW" --format svg
cp "$T_TMP/out" "$D/plan.svg"
t_check "svg is well-formed XML" python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$D/plan.svg"
t_check "svg: a mark per kept snapshot; the pruned ones all drawn, lone or binned" python3 - "$D/plan.svg" <<'PY'
import re, sys
svg = open(sys.argv[1]).read()
kept = len(re.findall(r"<title>[^<]*: KEEP", svg))
lone = len(re.findall(r"<title>[^<]*: PRUNE", svg))
binned = sum(int(n) for n in re.findall(r"<title>(\d+) pruned, ", svg))
sys.exit(0 if (kept, lone + binned) == (49, 434) and binned > 0 else 1)
PY
t_check "svg: the pruned lane is binned, not one cross per snapshot" \
    test "$(grep -c '<title>[0-9]* pruned, ' "$D/plan.svg")" -lt 150
t_check "svg: which rule kept what, in a row legend" bash -c "grep -q '>kept by</text>' '$D/plan.svg' &&
    grep -q '>keep-all 24h: 24</text>' '$D/plan.svg'"
t_check "svg: held, failed and in-progress marks in the legend" bash -c "grep -q '>held (tagged rule)</text>' '$D/plan.svg' &&
    grep -q '>failed: no backup</text>' '$D/plan.svg' && grep -q '>in progress</text>' '$D/plan.svg'"
# a failed, an updating and a held snapshot, and marks reaching 25 days
python3 tests/gen-inventory --disks 1 --per-disk 600 --cadence 1h --end 2026-11-26T11:00:00Z \
    --policy p 2>/dev/null | jq '.value[300].tags["legal-hold"] = "yes"
    | .value[10].properties.provisioningState = "Failed"
    | .value[20].properties.provisioningState = "Updating"' >"$D/marks.json"
printf 'policy "p" {\n  keep-all 24h, every 12h to 7d, daily to 15d\n  tagged "legal-hold"\n}\n' >"$D/marks.policy"
t_exit "svg with failed, updating and held snapshots: exit 0" 0 plan "$D/marks.policy" \
    --inventory "$D/marks.json" --now "$NOW" --format svg --output "$D/marks.svg"
t_check "svg: the failed, the in-progress and the held one counted in the row legend" bash -c "
    grep -q '>failed: 1</text>' '$D/marks.svg' && grep -q '>in progress: 1</text>' '$D/marks.svg' &&
    grep -q '>held (tagged): 1</text>' '$D/marks.svg'"
t_check "svg: the axis reaches the oldest mark (25d), not only 15d" grep -q '>26d</text>\|>27d</text>' "$D/marks.svg"
# issue 15: rendered as a PNG (librsvg, .ci/deps), it is produced without error
for f in plan marks; do
    t_exit "svg $f renders to PNG (rsvg-convert)" 0 rsvg-convert -o "$D/$f.png" "$D/$f.svg"
    t_check "svg $f: rsvg-convert says nothing" test ! -s "$T_TMP/err"
    t_check "svg $f: a PNG, as wide as the SVG" python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read(24)
sys.exit(0 if b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", b[16:20])[0] == 1100 else 1)' "$D/$f.png"
done
t_check "svg: legend and tier labels" bash -c "grep -q '>pruned</text>' '$D/plan.svg' && grep -q '>every 12h to 7d</text>' '$D/plan.svg'"

# --- --output ---
t_exit "--output writes the file" 0 plan "$POL" --inventory "$INV" --now "$NOW" --format json --output "$D/o.json"
t_check "--output: nothing on stdout" test ! -s "$T_TMP/out"
t_check "--output: same as stdout" bash -c "cmp -s '$D/o.json' '$D/plan.json'"

# --- an empty inventory is a valid, empty plan in every format ---
printf '{"value":[]}' >"$D/empty-inv.json"
for f in table json svg; do
    t_exit "empty inventory, $f: exit 0" 0 plan "$POL" --inventory "$D/empty-inv.json" --now "$NOW" --format "$f"
    cp "$T_TMP/out" "$D/empty.$f"
done
t_check "empty inventory: JSON with empty arrays" jqt '.summary.total == 0 and .snapshots == []
    and .groups == []' "$D/empty.json"
t_check "empty inventory: SVG well-formed" python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$D/empty.svg"
t_check "empty inventory: table total line" grep -q '^total: 0 snapshots' "$D/empty.table"
# ... but not a silent one: the policy has nothing to work on, and says so
t_check "empty inventory: table warns the policy has no snapshot" grep -qx \
    'warning: policy "dss-datadir": the inventory holds no snapshot at all: nothing to keep or prune (is it the right inventory?)' \
    "$D/empty.table"
t_check "empty inventory: the same warning in the JSON" jqt '[.warnings[]|select(.policy=="dss-datadir"
    and (.message|test("holds no snapshot at all")))]|length == 1' "$D/empty.json"
# an inventory of other disks only: none in the policy's scope
jq '.value |= map(select(.properties.creationData.sourceResourceId|test("dss-data$";"i")|not))' \
    "$INV" >"$D/other-disks.json"
t_exit "other disks only: exit 0" 0 plan "$POL" --inventory "$D/other-disks.json" --now "$NOW" --format json
t_check "other disks only: warns none is in the scope" jqt '[.warnings[]|select(.policy=="dss-datadir"
    and (.message|test("none of the inventory.s [0-9]+ snapshots? is in its scope")))]|length == 1' "$T_TMP/out"
t_exit "the demo inventory: exit 0" 0 plan "$POL" --inventory "$INV" --now "$NOW" --format json
t_check "the demo inventory: no such warning" jqt \
    '[.warnings[]|select(.message|test("no snapshot|in its scope"))]|length == 0' "$T_TMP/out"

# --- plurals: one snapshot is "1 snapshot" (issue 15) ---
jq '{value: [.value[0]]}' "$INV" >"$D/one-inv.json"
t_exit "one snapshot: exit 0" 0 plan "$POL" --inventory "$D/one-inv.json" --now "$NOW" --summary
t_check "one snapshot: singular words" bash -c "grep -q '^total: 1 snapshot: keep 1, prune 0' '$T_TMP/out' &&
    grep -q '^policy dss-datadir: 1 disk, 1 snapshot, keep 1, prune 0$' '$T_TMP/out'"

# --- refusals: exit code, a message naming the problem, no plan ---
printf '{"value":[{"name":"s1","properties":{"timeCreated":"yesterday"}}]}' >"$D/bad-time.json"
printf '{"value":[{"name":"s1","properties":{"timeCreated":"2026-11-20T10:00:00Z"}},' >"$D/truncated.json"
t_exit "bad time: exit 1" 1 plan "$POL" --inventory "$D/bad-time.json" --now "$NOW" --format json
t_check "bad time: names file, snapshot and field" bash -c \
    "grep -q 'bad-time.json' '$T_TMP/err' && grep -q 's1' '$T_TMP/err' && grep -q 'timeCreated' '$T_TMP/err'"
t_check "bad time: no plan output" test ! -s "$T_TMP/out"
t_exit "malformed JSON: exit 1" 1 plan "$POL" --inventory "$D/truncated.json" --now "$NOW"
t_check "malformed JSON: no plan output" test ! -s "$T_TMP/out"
# An inventory that is not JSON at all says so, and where, not "found a boolean"
# (the first letter of `this` read as the start of `true`).
printf 'this is not json\n' >"$D/not-json.json"
printf '\n  nope\n' >"$D/nope-word.json"
t_exit "not JSON: exit 1" 1 plan "$POL" --inventory "$D/not-json.json" --now "$NOW"
t_eq "not JSON: one message naming file, line, column" \
    "snapkeep: plan: $D/not-json.json:1:1: not JSON: the file starts with 'this'; an inventory is the JSON array \`az snapshot list\` prints, or ARM's {\"value\": [...]}" \
    "$(cat "$T_TMP/err")"
t_exit "nope: exit 1" 1 plan "$POL" --inventory "$D/nope-word.json" --now "$NOW"
t_check "nope: not JSON at 2:3, never 'found null'" bash -c \
    "grep -q 'nope-word.json:2:3: not JSON: the file starts with .nope.' '$T_TMP/err' && ! grep -q 'null' '$T_TMP/err'"
t_check "not JSON: no plan output" test ! -s "$T_TMP/out"
t_exit "refused plan leaves no --output file" 1 plan "$POL" --inventory "$D/truncated.json" --now "$NOW" --output "$D/none.json"
t_check "no --output file after refusal" test ! -e "$D/none.json"
t_exit "missing inventory: exit 1" 1 plan "$POL" --inventory "$D/nope.json" --now "$NOW"
t_check "missing inventory: its path is named" grep -q "$D/nope.json" "$T_TMP/err"
t_exit "missing policy file: exit 1" 1 plan "$D/nope.policy" --inventory "$INV" --now "$NOW"
# --- what is read: a regular file, or standard input ('-'); never more than the limit ---
t_exit "a device by name: exit 1 at once" 1 timeout 20 "$SNAPKEEP" plan "$POL" --inventory /dev/zero --now "$NOW"
t_check "a device by name: says so and names '-'" grep -q "/dev/zero: not a regular file (a character device); to read a pipe, give '-'" "$T_TMP/err"
t_check "standard input ('-') reads a pipe: the same plan as the file" bash -c \
    "'$SNAPKEEP' plan '$POL' --inventory - --now '$NOW' --format json <'$INV' | jq 'del(.inventory)' >'$D/p-stdin.json' &&
     '$SNAPKEEP' plan '$POL' --inventory '$INV' --now '$NOW' --format json | jq 'del(.inventory)' >'$D/p-file.json' &&
     cmp -s '$D/p-stdin.json' '$D/p-file.json'"
t_exit "endless standard input stops at the limit: exit 1" 1 bash -c \
    "timeout 20 '$SNAPKEEP' plan '$POL' --inventory - --now '$NOW' --max-inventory-bytes 1000000 </dev/zero"
t_check "endless standard input: the limit and the option are named" grep -q \
    "standard input: larger than the inventory size limit of 1000000 bytes (--max-inventory-bytes raises it)" "$T_TMP/err"
size=$(stat -c %s "$INV")
t_exit "a file over --max-inventory-bytes: exit 1" 1 plan "$POL" --inventory "$INV" --now "$NOW" --max-inventory-bytes $((size - 1))
t_check "a file over the limit: no plan output" test ! -s "$T_TMP/out"
t_exit "a file of exactly --max-inventory-bytes is read" 0 plan "$POL" --inventory "$INV" --now "$NOW" --max-inventory-bytes "$size"
t_exit "bad --max-inventory-bytes: exit 2" 2 plan "$POL" --inventory "$INV" --max-inventory-bytes 10k
t_check "bad --max-inventory-bytes: says so" grep -q -- "--max-inventory-bytes: '10k' is not a byte count" "$T_TMP/err"
printf 'keep-all 24h, every 0h to 7d\n' >"$D/bad.policy"
t_exit "policy with errors: exit 1" 1 plan "$D/bad.policy" --inventory "$INV" --now "$NOW"
t_check "policy with errors: located message" grep -q 'bad.policy:1:' "$T_TMP/err"
t_exit "bad --now: exit 2" 2 plan "$POL" --inventory "$INV" --now 2026-13-01T00:00:00Z
t_check "bad --now: says so" grep -q -- '--now' "$T_TMP/err"
t_exit "bad --format: exit 2" 2 plan "$POL" --inventory "$INV" --format yaml
t_exit "bad --colour: exit 2" 2 plan "$POL" --inventory "$INV" --colour sometimes
t_exit "no policy file: exit 2" 2 plan --inventory "$INV"
t_exit "two policy files: exit 2" 2 plan "$POL" "$POL" --inventory "$INV"
t_exit "unknown option: exit 2" 2 plan "$POL" --inventory "$INV" --bogus
# --- without --inventory: a live listing from ARM (tests/arm/serve), read only ---
az_seed "$D/seed.json" rg-a:data1:60 rg-a:data2:5
printf '2026-11-26T00:00:00Z\n' >"$D/clock"     # ARM's Date: a run checks it (clock skew)
if az_start "$D/srv" --seed "$D/seed.json" --page-size 25 --clock-file "$D/clock"; then
    az_env_secret
    az_policy "$D/live.policy" rg-a data1
    LNOW=2026-11-26T00:00:00Z
    t_exit "live plan: exit 0" 0 plan "$D/live.policy" --ca-file "$AZ_CA" --now "$LNOW" --format json
    cp "$T_TMP/out" "$D/live-full.json"
    # the listing covers the resource group: data2's snapshots come back unmanaged
    t_check "live plan: the group's 65 snapshots, data2's 5 unmanaged" jqt \
        '.summary.total == 65 and .summary.unmanaged == 5 and .summary.prune > 0' "$D/live-full.json"
    managed='{groups, snapshots: [.snapshots[]|select(.unmanaged|not)]}'
    jq "$managed" "$D/live-full.json" >"$D/live.json"
    "$SNAPKEEP" inventory "$D/live.policy" --ca-file "$AZ_CA" >"$D/live-inv.json"
    plan "$D/live.policy" --inventory "$D/live-inv.json" --now "$LNOW" --format json |
        jq "$managed" >"$D/file.json"
    t_check "live plan: same decisions as over the listed inventory" cmp -s "$D/live.json" "$D/file.json"
    t_check "live plan: decisions for data1's 60" jqt '(.snapshots|length) == 60' "$D/live.json"
    t_check "live plan: inventory null in JSON" jqt '.inventory == null' "$D/live-full.json"
    t_check "live plan: only reads (no PUT, PATCH or DELETE sent)" python3 -c '
import json, sys
bad = [r for r in map(json.loads, open(sys.argv[1])) if r.get("method") in ("PUT", "PATCH", "DELETE")]
sys.exit(1 if bad else 0)' "$AZ_LOG"
    t_check "live plan: nothing deleted on the server" test "$(az_state_ids rg-a data1 | wc -l)" = 60
    az_faults '{"rules":[{"action":"status","status":503,"kind":"list","page":2,"retry_after":0}]}'
    t_exit "live plan: failing listing -> exit 3" 3 plan "$D/live.policy" --ca-file "$AZ_CA" --now "$LNOW" --timeout 5
    t_check "live plan: no plan output on failure" test ! -s "$T_TMP/out"
    az_faults '{"rules":[]}'
    # issue 15: what the plan says one run deletes is what a run deletes
    # (engine/prune.c's enf_choose decides for both), oldest first
    az_policy "$D/md.policy" rg-a data1
    sed -i 's/^    keep-all 24h$/    keep-all 24h\n    max-delete 7/' "$D/md.policy"
    t_exit "live plan with max-delete 7: exit 0" 0 plan "$D/md.policy" --ca-file "$AZ_CA" --now "$LNOW" --format json
    cp "$T_TMP/out" "$D/md.json"
    t_check "max-delete 7: the summary says 7 now, the rest deferred" jqt '.summary.deletes_next_run == 7
        and .summary.deferred == .summary.prune - 7 and .summary.prune > 7
        and .policies[0].deletes_next_run == 7 and .policies[0].max_delete_per_run == 7
        and .groups[0].deletes_next_run == 7' "$D/md.json"
    t_check "max-delete 7: the seven are the oldest prunes" jqt '[.snapshots[]|select(.action=="prune")]
        | sort_by(.time) | (.[:7]|all(.next_run=="delete")) and (.[7:]|all(.next_run=="defer"))' "$D/md.json"
    jq -r '.snapshots[]|select(.next_run=="delete").id|ascii_downcase' "$D/md.json" | sort >"$D/md.next"
    az_state_ids rg-a data1 >"$D/md.before"
    t_exit "run with the same policy: exit 0" 0 "$SNAPKEEP" run "$D/md.policy" --ca-file "$AZ_CA" \
        --now "$LNOW" --state-dir "$D/md-state" --lease-wait 0.2
    az_state_ids rg-a data1 >"$D/md.after"
    t_check "run deleted exactly the plan's next-run share" \
        cmp -s "$D/md.next" <(comm -23 "$D/md.before" "$D/md.after")
    # and with --max-delete 3 on both, the next three
    plan "$D/md.policy" --ca-file "$AZ_CA" --now "$LNOW" --format json --max-delete 3 |
        jq -r '.snapshots[]|select(.next_run=="delete").id|ascii_downcase' | sort >"$D/md3.next"
    t_exit "run --max-delete 3: exit 0" 0 "$SNAPKEEP" run "$D/md.policy" --ca-file "$AZ_CA" \
        --now "$LNOW" --state-dir "$D/md-state" --max-delete 3 --lease-wait 0.2
    az_state_ids rg-a data1 >"$D/md3.after"
    t_check "plan --max-delete 3 names the three run --max-delete 3 deletes" bash -c \
        "test \"\$(wc -l <'$D/md3.next')\" = 3 && cmp -s '$D/md3.next' <(comm -23 '$D/md.after' '$D/md3.after')"
    az_env_clear
else
    t_fail "live plan: ARM test server starts"
fi

# --- --summary: counts per policy and disk, no snapshot lines (make demo uses it) ---
t_exit "--summary: exit 0" 0 plan "$POL" --inventory "$INV" --now "$NOW" --summary
t_check "--summary: a line per policy, with the next run's share" grep -q \
    '^policy dss-datadir: 1 disk, 480 snapshots, keep 4[4-6], prune [0-9]*; the next run deletes 24 and defers [0-9]* (max-delete 24)$' "$T_TMP/out"
t_check "--summary: a line per disk" grep -Eq '^  dss-data: 480 snapshots, keep 4[4-6], prune' "$T_TMP/out"
t_check "--summary: no snapshot line" bash -c "! grep -q 'dss-data-2026' '$T_TMP/out'"
t_check "--summary: short (the full table is 490 lines)" test "$(wc -l <"$T_TMP/out")" -lt 15
t_check "make demo uses --summary" grep -q 'plan policies/dss-datadir.policy .*--summary' Makefile
t_exit "--max-delete 5: exit 0" 0 plan "$POL" --inventory "$INV" --now "$NOW" --format json --max-delete 5
t_check "--max-delete 5 lowers the policy's 24, as run --max-delete does" jqt \
    '.summary.deletes_next_run == 5 and .policies[0].max_delete_per_run == 5' "$T_TMP/out"
t_exit "--max-delete 50 does not raise it" 0 plan "$POL" --inventory "$INV" --now "$NOW" --format json --max-delete 50
t_check "--max-delete 50: still the policy's 24" jqt '.summary.deletes_next_run == 24' "$T_TMP/out"
t_exit "bad --max-delete: exit 2" 2 plan "$POL" --inventory "$INV" --max-delete -3
t_exit "--summary with --format json: exit 2" 2 plan "$POL" --inventory "$INV" --summary --format json
t_check "table: the next run's share on the total" grep -q '^next run: deletes 24, defers [0-9]* to later runs (max-delete)$' "$D/plan.txt"
t_check "table: a deferred prune says so" grep -q 'PRUNE   no rule keeps it; over max-delete: a later run deletes it$' "$D/plan.txt"
t_check "json: max-delete 24 of dss-datadir: 24 now, the rest deferred" jqt \
    '.summary.deletes_next_run == 24 and .summary.deferred == .summary.prune - 24' "$D/plan.json"
t_check "json: unmanaged snapshots are a warning too" jqt \
    '[.warnings[]|select(.kind=="unmanaged")][0].message == "3 snapshots are governed by no policy (unmanaged, never pruned)"' "$D/plan.json"
t_check "json: a snapshot listed twice is a warning too" jqt \
    '[.warnings[]|select(.kind=="duplicate")] | length == 1 and (.[0].message|test("overlap.json: [0-9]+ snapshots listed more than once"))' "$D/overlap.plan.json"

t_exit "--help: exit 0" 0 plan --help
t_check "--help: usage on stdout" grep -q '^usage: snapkeep plan' "$T_TMP/out"

t_done
