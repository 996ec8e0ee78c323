#!/usr/bin/env bash
# The docs show what ships and what works: every literal block of
# snapkeep.policy(5) introduced by a policies/NAME.policy reference is,
# unescaped, exactly that file (no shortened copies), and each passes
# `snapkeep check`; the README's "A first look" commands run as written,
# one after the other, in a directory holding only ./snapkeep and policies/.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 2

python3 - man/snapkeep.policy.5 "$T_TMP" >"$T_TMP/shown" <<'PY'
import re, sys
man, out = sys.argv[1], sys.argv[2]
lines = open(man).read().split("\n")
for i, l in enumerate(lines):
    if not l.startswith(".Bd -literal"):
        continue
    m = None
    for back in lines[max(0, i - 3):i]:      # the reference sits just above
        m = re.search(r"policies/([a-z0-9-]+)\.policy", back) or m
    if not m:
        continue
    body = []
    for l2 in lines[i + 1:]:
        if l2 == ".Ed":
            break
        body.append(l2.replace("\\e", "\\").replace("\\&", ""))
    name = m.group(1)
    open("%s/%s.policy" % (out, name), "w").write("\n".join(body) + "\n")
    print(name)
PY
t_check "snapkeep.policy(5) shows at least five shipped policy files" \
    test "$(sort -u "$T_TMP/shown" | wc -l)" -ge 5
while read -r n; do
    if cmp -s "policies/$n.policy" "$T_TMP/$n.policy"; then
        t_ok "snapkeep.policy(5) shows policies/$n.policy exactly"
    else
        t_fail "snapkeep.policy(5) shows policies/$n.policy exactly"
        diff -u "policies/$n.policy" "$T_TMP/$n.policy" | head -20 | sed 's/^/    /'
    fi
    t_exit "policies/$n.policy as shown passes check" 0 "$SNAPKEEP" check "$T_TMP/$n.policy"
done <"$T_TMP/shown"

# snapkeep(1)'s "delete by hand" recipe (jq | xargs az snapshot delete)
# takes only the first run's share: max-delete 24 of dss-datadir over the
# sample inventory is 24 IDs, the oldest prunes, not all of them (issue 15)
python3 - man/snapkeep.1 >"$T_TMP/recipe" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = next(i for i, l in enumerate(lines) if l.startswith("$ jq") and "xargs" in lines[i + 1])
print(lines[i][2:].rstrip() + " " + lines[i + 1].strip())
PY
t_check "snapkeep(1): the delete-by-hand recipe is found" grep -q 'xargs -r az snapshot delete' "$T_TMP/recipe"
R=$T_TMP/recipe-dir
mkdir -p "$R/bin"
printf '#!/bin/sh\nfor a; do printf "%%s\\n" "$a"; done >>"%s/az.args"\n' "$R" >"$R/bin/az"
chmod +x "$R/bin/az"
"$SNAPKEEP" plan policies/dss-datadir.policy --inventory policies/sample-inventory.json \
    --now 2026-11-26T12:00:00Z --format json >"$R/plan.json"
t_exit "snapkeep(1): the recipe runs" 0 bash -c "cd '$R' && PATH='$R/bin':\$PATH && $(cat "$T_TMP/recipe")"
grep '^/subscriptions/' "$R/az.args" | sort >"$R/deleted"
jq -r '[.snapshots[]|select(.action=="prune")]|sort_by(.time)|.[:24][].id' "$R/plan.json" | sort >"$R/oldest"
t_check "snapkeep(1): the recipe deletes the next run's 24, the oldest prunes" \
    bash -c "test \"\$(wc -l <'$R/deleted')\" = 24 && cmp -s '$R/deleted' '$R/oldest'"
t_check "snapkeep(1): fewer than the plan prunes" test "$(jq .summary.prune "$R/plan.json")" -gt 24

W=$T_TMP/readme
mkdir -p "$W"
ln -s "$SNAPKEEP" "$W/snapkeep"
ln -s "$TOP/policies" "$W/policies"
python3 - README.md >"$T_TMP/cmds" <<'PY'
import sys
text = open(sys.argv[1]).read()
sec = text.split("## A first look", 1)[1].split("\n## ", 1)[0]
cmd = ""
for l in sec.split("\n"):
    if not l.startswith("    "):
        continue
    l = l.strip()
    if "  #" in l:                      # a comment after the command
        l = l.split("  #", 1)[0].rstrip()
    cmd += l[:-1] + " " if l.endswith("\\") else l
    if not l.endswith("\\"):
        print(cmd)
        cmd = ""
PY
t_check "README: 'A first look' has its commands" test "$(wc -l <"$T_TMP/cmds")" -ge 5
while IFS= read -r c; do
    t_exit "README runs: ${c:0:60}" 0 bash -c "cd '$W' && $c"
done <"$T_TMP/cmds"
t_check "README: the jq line lists what the plan prunes" \
    bash -c "cd '$W' && jq -r '.snapshots[] | select(.action == \"prune\").id' plan.json | grep -q /snapshots/"
t_done
