#!/usr/bin/env bash
# contrib/: the systemd units pass `systemd-analyze verify` (with the built
# binary substituted for /usr/local/bin/snapkeep in temporary copies), keep
# their hardening, the cron line is well formed, the role definitions are
# valid JSON granting only what snapkeep needs, and the example env file
# names every variable the units use.
# shellcheck disable=SC1091,SC2016  # sourced helpers; bash -c scripts in single quotes
. "$(dirname "$0")/../lib.sh"

C=$TOP/contrib
U=$T_TMP/units
mkdir -p "$U"
sed "s|/usr/local/bin/snapkeep|$SNAPKEEP|" "$C/snapkeep.service" >"$U/snapkeep.service"
cp "$C/snapkeep.timer" "$U/snapkeep.timer"
t_check "contrib: the service runs /usr/local/bin/snapkeep run" \
    grep -q '^ExecStart=/usr/local/bin/snapkeep run ' "$C/snapkeep.service"
t_exit "contrib: systemd-analyze verify passes" 0 \
    systemd-analyze verify --man=no "$U/snapkeep.service" "$U/snapkeep.timer"
t_check "contrib: verify printed no warning" test ! -s "$T_TMP/err"
for k in DynamicUser=yes ProtectSystem=strict StateDirectory=snapkeep NoNewPrivileges=yes \
         PrivateTmp=yes ProtectHome=yes 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
         SystemCallFilter=@system-service CapabilityBoundingSet= EnvironmentFile=; do
    t_check "contrib: service sets $k" grep -q "^$k" "$C/snapkeep.service"
done
# a broken binary path must fail verify: the check above can fail
sed "s|/usr/local/bin/snapkeep|$T_TMP/missing/snapkeep|" "$C/snapkeep.service" >"$U/broken.service"
t_check "contrib: verify refuses a missing binary (the test can fail)" \
    bash -c '! systemd-analyze verify --man=no "$1" >/dev/null 2>&1' _ "$U/broken.service"
t_check "contrib: security exposure is low (systemd-analyze security)" \
    bash -c 'systemd-analyze security --offline=yes --threshold=30 "$1" >/dev/null 2>&1' _ "$U/snapkeep.service"
for k in OnCalendar=hourly RandomizedDelaySec= FixedRandomDelay=yes Persistent=yes WantedBy=timers.target; do
    t_check "contrib: timer sets $k" grep -q "^$k" "$C/snapkeep.timer"
done
t_check "contrib: cron line: five time fields, a user, snapkeep run" \
    bash -c 'grep -v "^#" "$1" | grep -Eq "^[0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ snapkeep .*snapkeep run "' _ "$C/snapkeep.cron"
t_check "contrib: the env example sets what the units read" \
    bash -c 'for v in SNAPKEEP_POLICY SNAPKEEP_OPTIONS AZURE_SUBSCRIPTION_ID AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET; do grep -q "^$v=" "$1" || exit 1; done' _ "$C/snapkeep.env.example"
t_check "contrib: role definitions are least privilege" python3 - "$C/azure-role.json" "$C/azure-role-recovery.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
rec = json.load(open(sys.argv[2]))
want_run = {"Microsoft.Compute/disks/read", "Microsoft.Compute/snapshots/read",
            "Microsoft.Compute/snapshots/write", "Microsoft.Compute/snapshots/delete",
            "Microsoft.Compute/locations/DiskOperations/read"}
want_rec = {"Microsoft.Compute/snapshots/read", "Microsoft.Compute/disks/read",
            "Microsoft.Compute/disks/write", "Microsoft.Compute/disks/delete",
            "Microsoft.Compute/locations/DiskOperations/read"}
for role, want in ((run, want_run), (rec, want_rec)):
    assert role["IsCustom"] is True and role["Name"] and role["AssignableScopes"]
    assert set(role["Actions"]) == want, role["Actions"]
    assert not any("*" in a for a in role["Actions"])
    assert role["DataActions"] == [] and role["NotActions"] == []
PY
t_done
