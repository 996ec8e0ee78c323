#!/usr/bin/env bash
# snapkeep inventory against tests/arm/serve: every snapshot across many
# pages, the same complete answer under throttling, 5xx and dropped
# connections, a failing page as exit 3 with no output, a 401 refreshed,
# scope and de-duplication.
# shellcheck disable=SC2317  # helpers run through t_exit and t_check
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=azure_lib.sh
. "$(dirname "$0")/azure_lib.sh"

D=$T_TMP/srv
az_seed "$T_TMP/seed.json" rg-a:data1:3000 rg-a:data2:40 rg-b:data1:25
az_start "$D" --seed "$T_TMP/seed.json" --page-size 100 || { t_fail "server starts"; t_done; }
az_env_secret
P=$T_TMP/p.policy
az_policy "$P" rg-a data1
az_state_ids rg-a data1 >"$T_TMP/want"

inv() { "$SNAPKEEP" inventory "$P" --ca-file "$AZ_CA" "$@"; }

# 1. 3000 snapshots over 31 pages, exactly the ones the policy scopes
t_exit "inventory: exit 0" 0 inv
cp "$T_TMP/out" "$T_TMP/plain.json"
az_ids "$T_TMP/plain.json" >"$T_TMP/got"
t_check "inventory: all 3000 snapshots of the disk, none other" \
    cmp -s "$T_TMP/want" "$T_TMP/got"
t_check "inventory: 3000 lines of snapshots" test "$(wc -l <"$T_TMP/want")" = 3000
t_check "inventory: every page fetched" test "$(az_count list)" -ge 31
# ARM's own objects, fields the reader does not use included
t_check "inventory: snapshots kept as ARM returned them" \
    grep -q '"diskSizeGB":64' "$T_TMP/plain.json"

t_exit "inventory: plan --inventory reads it" 0 \
    "$SNAPKEEP" plan "$P" --inventory "$T_TMP/plain.json" --now 2026-11-26T12:00:00Z --format json
t_check "inventory: plan sees the 3000 snapshots" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["summary"]["total"] == 3000' "$T_TMP/out"
t_exit "inventory --verbose" 0 inv --verbose
t_check "inventory --verbose: request ids logged, output unchanged" bash -c \
    "grep -q 'x-ms-request-id [0-9a-f-]\{36\}, x-ms-client-request-id [0-9a-f-]\{36\}' '$T_TMP/err' && cmp -s '$T_TMP/out' '$T_TMP/plain.json'"

# 2. --format json is the default format; no disk listing without disk tags
t_exit "inventory --format json" 0 inv --format json
t_check "inventory --format json: same output" cmp -s "$T_TMP/out" "$T_TMP/plain.json"
t_exit "inventory --format table refused" 2 inv --format table

# 3. dense faults on every list request: the same complete result. One 429
#    asks for a real second; the others for 0 s (Retry-After: 0), which
#    takes the same path without the wait.
az_faults '{"rules":[
 {"action":"throttle","kind":"list","nth":[3],"retry_after":1},
 {"action":"throttle","kind":"list","every":3,"retry_after":0},
 {"action":"status","status":503,"kind":"list","every":5,"retry_after":0},
 {"action":"drop","kind":"list","every":7},
 {"action":"status","status":500,"kind":"list","every":11,"retry_after":0},
 {"action":"drop-mid","kind":"list","every":13}]}'
t_exit "inventory under 429/503/500/drops: exit 0" 0 inv
t_check "inventory under faults: identical output" cmp -s "$T_TMP/out" "$T_TMP/plain.json"
faults_seen=$(grep -c '"faults"' "$AZ_LOG")
t_check "inventory under faults: faults were injected ($faults_seen)" test "$faults_seen" -gt 10

# a page answered too slowly: --timeout abandons the attempt, a retry gets it
az_faults '{"rules":[{"action":"delay","kind":"list","nth":[2],"seconds":4}]}'
t_exit "inventory: slow page, --timeout 1 -> retried, exit 0" 0 inv --timeout 1
t_check "inventory: slow page -> identical output" cmp -s "$T_TMP/out" "$T_TMP/plain.json"

# 4. a page that keeps failing: exit 3, nothing on stdout
az_faults '{"rules":[{"action":"status","status":503,"kind":"list","page":4,"retry_after":0}]}'
t_exit "inventory: page 4 always 503 -> exit 3" 3 inv
t_check "inventory: failed page -> no output" test ! -s "$T_TMP/out"
t_check "inventory: failed page named with code and request id" \
    grep -q 'ServiceUnavailable.*retries exhausted.*request id' "$T_TMP/err"
az_faults '{"rules":[{"action":"status","status":403,"kind":"list","page":2,"code":"AuthorizationFailed","message":"no read on rg-a"}]}'
t_exit "inventory: page 2 403 -> exit 3" 3 inv
t_check "inventory: 403 -> no output" test ! -s "$T_TMP/out"
t_check "inventory: 403 reported with ARM's code and message" \
    grep -q 'AuthorizationFailed: no read on rg-a (HTTP 403' "$T_TMP/err"
az_faults '{"rules":[{"action":"status","status":200,"kind":"list","page":3,"body":{"value":[{"name":"x"}]}}]}'
t_exit "inventory: malformed page -> exit 3" 3 inv
t_check "inventory: malformed page -> no output" test ! -s "$T_TMP/out"

# 5. the token expires mid-listing: refreshed once, listing complete
az_faults '{"rules":[{"action":"expire-token","kind":"list","nth":[5]}]}'
before=$(az_count token secret)
t_exit "inventory: 401 mid-listing -> refreshed, exit 0" 0 inv
t_check "inventory: 401 refresh gives the full result" cmp -s "$T_TMP/out" "$T_TMP/plain.json"
t_check "inventory: two token requests, the first and the refresh" \
    test "$(( $(az_count token secret) - before ))" = 2
az_faults '{"rules":[]}'

# 6. scope: two policies on the same resource group, one on another; a
#    subscription-wide policy; disk tags need the disk listing
cat >"$T_TMP/multi.policy" <<EOF
subscription "$AZ_SUB"
policy "a1" {
    resource-group "rg-a"
    disk "data1"
    keep-all 24h
}
policy "a2" {
    resource-group "RG-A"
    disk "data2"
    keep-all 24h
}
policy "b1" {
    resource-group "rg-b"
    disk "data1"
    keep-all 24h
}
EOF
t_exit "inventory: three policies" 0 "$SNAPKEEP" inventory "$T_TMP/multi.policy" --ca-file "$AZ_CA"
t_check "inventory: three policies -> 3065 snapshots, no duplicate" \
    test "$(az_ids "$T_TMP/out" | sort -u | wc -l)" = 3065 -a "$(az_ids "$T_TMP/out" | wc -l)" = 3065
cat >"$T_TMP/tags.policy" <<EOF
policy "t" {
    disks tagged "env" = "test"
    keep-all 24h
}
EOF
: >"$AZ_LOG"
t_exit "inventory: disk tags, subscription from the command line" 0 \
    "$SNAPKEEP" inventory "$T_TMP/tags.policy" --ca-file "$AZ_CA" --subscription "$AZ_SUB"
t_check "inventory: disk tags select data2's 40 snapshots" test "$(az_ids "$T_TMP/out" | wc -l)" = 40
t_check "inventory: subscription-wide listing of snapshots and disks" \
    grep -q "\"path\":\"/subscriptions/$AZ_SUB/providers/Microsoft.Compute/disks\"" "$AZ_LOG"
t_exit "inventory: no subscription anywhere -> exit 1" 1 \
    "$SNAPKEEP" inventory "$T_TMP/tags.policy" --ca-file "$AZ_CA"

# 7. TLS: the test CA is required; a wrong one is refused
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_TMP/k.pem" -out "$T_TMP/other-ca.pem" \
    -days 2 -subj /CN=other >/dev/null 2>&1
t_exit "inventory: wrong CA -> exit 3" 3 inv --ca-file "$T_TMP/other-ca.pem"
cp "$T_TMP/err" "$T_TMP/err.ca"
t_check "inventory: wrong CA -> no output" test ! -s "$T_TMP/out"
t_check "inventory: wrong CA -> certificate named" grep -qi 'certificate' "$T_TMP/err.ca"
t_exit "inventory: system CAs only -> exit 3" 3 "$SNAPKEEP" inventory "$P"
t_exit "inventory: CA from SSL_CERT_FILE" 0 env SSL_CERT_FILE="$AZ_CA" "$SNAPKEEP" inventory "$P"
t_exit "inventory: CA from CURL_CA_BUNDLE" 0 env CURL_CA_BUNDLE="$AZ_CA" "$SNAPKEEP" inventory "$P"

# 8. usage
t_exit "inventory: no file -> usage" 2 "$SNAPKEEP" inventory
t_exit "inventory: --parallel 0 -> usage" 2 inv --parallel 0
t_exit "inventory: --auth bogus -> usage" 2 inv --auth bogus
t_exit "inventory: --cloud Mars -> usage" 2 inv --cloud Mars
t_exit "inventory: --arm-endpoint http -> usage" 2 inv --arm-endpoint http://127.0.0.1:1
t_exit "inventory --help" 0 "$SNAPKEEP" inventory --help
t_check "inventory --help on stdout" grep -q 'usage: snapkeep inventory' "$T_TMP/out"
t_exit "inventory: missing policy file -> exit 1" 1 "$SNAPKEEP" inventory "$T_TMP/nope.policy"
t_done
