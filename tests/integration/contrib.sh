#!/usr/bin/env bash
# contrib/: the systemd units pass `systemd-analyze verify` (with the built
# binary substituted for /usr/local/bin/snapkeep in temporary copies), keep
# their hardening, the cron line is well formed, the role definitions are
# valid JSON granting exactly what snapkeep needs (run, recovery, failover),
# and the example env file names every variable the units use.
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
# The roles grant exactly these actions: one missing or one more (a wildcard
# above all) fails. The checker also runs on copies missing one action or
# carrying a wildcard, so the check itself is shown to fail.
cat >"$T_TMP/roles.py" <<'PY'
import json, sys
VM = {"Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/write",
      "Microsoft.Compute/virtualMachines/deallocate/action",
      "Microsoft.Compute/virtualMachines/start/action",
      "Microsoft.Compute/virtualMachines/powerOff/action",
      "Microsoft.Compute/virtualMachines/attachDetachDataDisks/action",
      "Microsoft.Compute/locations/operations/read"}
want = {
    "run": {"Microsoft.Compute/disks/read", "Microsoft.Compute/snapshots/read",
            "Microsoft.Compute/snapshots/write", "Microsoft.Compute/snapshots/delete",
            "Microsoft.Compute/locations/DiskOperations/read",
            "Microsoft.Resources/tags/read", "Microsoft.Resources/tags/write",
            "Microsoft.ResourceGraph/resources/read"},
    "recovery": {"Microsoft.Compute/snapshots/read", "Microsoft.Compute/disks/read",
                 "Microsoft.Compute/disks/write", "Microsoft.Compute/disks/delete",
                 "Microsoft.Compute/locations/DiskOperations/read"} | VM,
    "failover": {"Microsoft.Compute/disks/read", "Microsoft.Compute/disks/write",
                 "Microsoft.Compute/snapshots/read",
                 "Microsoft.Compute/locations/DiskOperations/read",
                 "Microsoft.Network/networkInterfaces/read",
                 "Microsoft.Network/networkInterfaces/write",
                 "Microsoft.Network/virtualNetworks/subnets/join/action",
                 "Microsoft.Network/publicIPAddresses/read",
                 "Microsoft.Network/publicIPAddresses/join/action",
                 "Microsoft.Network/locations/operations/read",
                 "Microsoft.Network/privateDnsZones/A/read",
                 "Microsoft.Network/privateDnsZones/A/write",
                 "Microsoft.Network/dnsZones/A/read",
                 "Microsoft.Network/dnsZones/A/write"} | VM,
}
for arg in sys.argv[1:]:
    kind, path = arg.split("=", 1)
    role = json.load(open(path))
    assert role["IsCustom"] is True and role["Name"] and role["AssignableScopes"], path
    acts = role["Actions"]
    assert len(acts) == len(set(acts)), (path, "repeated action")
    assert not any("*" in a for a in acts), (path, "wildcard")
    missing, extra = want[kind] - set(acts), set(acts) - want[kind]
    assert not missing and not extra, (path, "missing", sorted(missing), "extra", sorted(extra))
    assert role["DataActions"] == [] and role["NotActions"] == [], path
    assert role.get("NotDataActions", []) == [], path
    if kind == "failover":
        assert not any(a.endswith("/delete") for a in acts), (path, "failover deletes nothing")
PY
t_check "contrib: role definitions grant exactly what snapkeep needs (run, recovery, failover)" \
    python3 "$T_TMP/roles.py" "run=$C/azure-role.json" "recovery=$C/azure-role-recovery.json" \
    "failover=$C/azure-role-failover.json"
for drop in Microsoft.Compute/virtualMachines/attachDetachDataDisks/action \
            Microsoft.Network/publicIPAddresses/join/action; do
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["Actions"].remove(sys.argv[2]); json.dump(r,open(sys.argv[3],"w"))' \
        "$C/azure-role-failover.json" "$drop" "$T_TMP/short.json"
    t_check "contrib: a failover role without $drop is refused (the check can fail)" \
        bash -c '! python3 "$1" "failover=$2" 2>/dev/null' _ "$T_TMP/roles.py" "$T_TMP/short.json"
done
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["Actions"].append("Microsoft.Compute/virtualMachines/*"); json.dump(r,open(sys.argv[2],"w"))' \
    "$C/azure-role-recovery.json" "$T_TMP/wild.json"
t_check "contrib: a recovery role with a wildcard action is refused" \
    bash -c '! python3 "$1" "recovery=$2" 2>/dev/null' _ "$T_TMP/roles.py" "$T_TMP/wild.json"
# The env example works for both readers: /bin/sh (the cron line sources it
# with dash) and systemd's EnvironmentFile=, giving the same values.
E=$C/snapkeep.env.example
t_exit "contrib: dash sources the env example without error" 0 \
    dash -c 'set -e; set -a; . "$1"; set +a; printf "%s\n" "$SNAPKEEP_POLICY" "$SNAPKEEP_OPTIONS" "$AZURE_CLIENT_SECRET"' _ "$E"
t_check "contrib: dash gets the values, spaces and all" \
    test "$(cat "$T_TMP/out")" = "$(printf '%s\n' /etc/snapkeep/snapkeep.policy \
        '--metrics-file /var/lib/prometheus/node-exporter/snapkeep.prom' replace-me)"
# the cron line itself, run by dash on the example: snapkeep gets the
# policy and each option as its own argument
CRON_CMD=$(grep -E '^[0-9*]' "$C/snapkeep.cron" | cut -d' ' -f7- |
           sed "s|/etc/snapkeep/snapkeep.env|$E|; s|exec snapkeep run|exec printf '%s\\\\n' run|; s| 2>&1 .*||")
t_exit "contrib: dash runs the cron line on the env example" 0 dash -c "$CRON_CMD"
t_check "contrib: the cron line passes the policy and each option as one argument" \
    test "$(cat "$T_TMP/out")" = "$(printf '%s\n' run /etc/snapkeep/snapkeep.policy --state-dir \
        /var/lib/snapkeep --metrics-file /var/lib/prometheus/node-exporter/snapkeep.prom)"
t_check "contrib: the env example quotes every value" \
    bash -c '! grep -vE "^(#.*|[A-Z_]+=\"[^\"\$\`\\\\]*\")?\$" "$1"' _ "$E"
sed "s|/usr/local/bin/snapkeep|$SNAPKEEP|; s|^EnvironmentFile=.*|EnvironmentFile=$E|" \
    "$C/snapkeep.service" >"$U/envcheck.service"
t_check "contrib: systemd-analyze verify accepts the unit with the env example as its EnvironmentFile" \
    bash -c 'systemd-analyze verify --man=no "$1" >/dev/null 2>&1 &&
             grep -q "^AZURE_CLIENT_SECRET=\"replace-me\"\$" "$2"' _ "$U/envcheck.service" "$E"
t_check "contrib: the docs say az login does not work under the hardened unit" \
    bash -c 'grep -q "az login. credential" "$1" && grep -q "does NOT work there" "$1" && grep -q "az login.*does not work here" "$2"' _ "$E" "$C/snapkeep.service"

# Monitoring: the Prometheus rules are promtool-valid and use only metrics
# snapkeep writes; the Icinga command runs status in nagios format.
if command -v promtool >/dev/null 2>&1; then
    t_exit "contrib: promtool check rules passes" 0 promtool check rules "$C/snapkeep-alerts.yml"
    printf 'groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: rate(\n' >"$T_TMP/bad.yml"
    t_exit "contrib: promtool refuses a broken rule (the check can fail)" 1 promtool check rules "$T_TMP/bad.yml"
    t_exit "contrib: the alerts fire as meant on snapkeep's series (promtool test rules)" 0 \
        bash -c 'cd "$1" && promtool test rules snapkeep-alerts.test.yml' _ "$TOP/tests/fixtures/prometheus"
    sed 's/> 3 \* 3600/> 30 * 86400/' "$C/snapkeep-alerts.yml" >"$T_TMP/weak.yml"
    sed "s|../../../contrib/snapkeep-alerts.yml|$T_TMP/weak.yml|" \
        "$TOP/tests/fixtures/prometheus/snapkeep-alerts.test.yml" >"$T_TMP/weak.test.yml"
    t_exit "contrib: a rule that would not fire fails the test (the test can fail)" 1 \
        promtool test rules "$T_TMP/weak.test.yml"
else
    t_not_run "promtool (Debian package prometheus) is not installed"
fi
t_check "contrib: every metric the alerts use is one snapkeep writes" \
    bash -c 'for m in $(grep -o "snapkeep_[a-z_]*" "$1" | sort -u); do
                 grep -rq "\"$m\"" "$2"/cli/ || { echo "unknown metric $m"; exit 1; }; done' _ "$C/snapkeep-alerts.yml" "$TOP"
t_check "contrib: the Icinga command runs status --format nagios" \
    bash -c 'grep -q "\"/usr/local/bin/snapkeep\", \"status\"" "$1" && grep -q "value = \"nagios\"" "$1"' _ "$C/snapkeep-icinga.conf"
t_done
