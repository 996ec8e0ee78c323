#!/usr/bin/env bash
# The local ARM test server (tests/arm/serve) behaves as tests/arm/README.md
# says: a few checks with curl here (TLS, the CLI contract, what a shell
# client sees), then tests/arm/selftest.py checks every feature in Python.
# Checks run as bash -c '...' _ ARGS: single quotes are meant (SC2016).
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh disable=SC1091
. "$(dirname "$0")/../lib.sh"

SERVE=$TOP/tests/arm/serve
D=$T_TMP/arm
mkdir -p "$D"
SUB=00000000-0000-4000-8000-0000000000aa
cat >"$D/seed.json" <<EOF
{"disks":[{"id":"/subscriptions/$SUB/resourceGroups/rg-a/providers/Microsoft.Compute/disks/d1",
           "location":"westeurope","properties":{"diskSizeGB":8}}],
 "snapshots":[{"id":"/subscriptions/$SUB/resourceGroups/rg-a/providers/Microsoft.Compute/snapshots/s1",
               "location":"westeurope","properties":{"incremental":true,
               "timeCreated":"2026-11-20T10:00:03.1234567+00:00"}}]}
EOF

# start_server NAME ARGS...: sets PID and URL; fails the test when no ready line comes.
start_server() {
    local name=$1; shift
    mkfifo "$D/$name.out"
    "$SERVE" --exit-with-parent --port 0 --state "$D/$name.state.json" --tls-dir "$D/$name.tls" "$@" \
        >"$D/$name.out" 2>"$D/$name.err" &
    PID=$!
    t_cleanup_hooks+=("kill $PID 2>/dev/null")
    URL=
    local line
    if read -r -t 20 line <"$D/$name.out"; then
        URL=${line#ready }
        [ "$line" != "$URL" ] || URL=
    fi
}

start_server a --seed "$D/seed.json" --log "$D/a.log"
t_check "serve prints 'ready https://127.0.0.1:PORT'" \
    bash -c '[[ "$1" =~ ^https://127\.0\.0\.1:[0-9]+$ ]]' _ "$URL"
t_check "serve wrote ca.pem to the TLS dir" test -s "$D/a.tls/ca.pem"
t_check "serve wrote the state file before ready" test -s "$D/a.state.json"

C=(curl -sS --max-time 20 --cacert "$D/a.tls/ca.pem")
t_check "TLS verifies against the run's CA (curl --cacert)" \
    "${C[@]}" -o /dev/null "$URL/11111111-1111-4111-8111-111111111111/v2.0/.well-known/openid-configuration"
t_exit "TLS refused without the run's CA" 60 \
    curl -sS --max-time 20 -o /dev/null "$URL/11111111-1111-4111-8111-111111111111/v2.0/.well-known/openid-configuration"

TOKJSON=$("${C[@]}" -X POST "$URL/11111111-1111-4111-8111-111111111111/oauth2/v2.0/token" \
    -d grant_type=client_credentials -d client_id=22222222-2222-4222-8222-222222222222 \
    -d client_secret=snapkeep-test-secret --data-urlencode scope=https://management.azure.com/.default)
TOK=$(printf '%s' "$TOKJSON" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
t_check "documented default credentials get a token" test -n "$TOK"

code=$("${C[@]}" -o "$D/body" -w '%{http_code}' -X POST \
    "$URL/11111111-1111-4111-8111-111111111111/oauth2/v2.0/token" \
    -d grant_type=client_credentials -d client_id=22222222-2222-4222-8222-222222222222 \
    -d client_secret=wrong --data-urlencode scope=https://management.azure.com/.default)
t_check "wrong secret: 401 invalid_client" \
    bash -c '[ "$1" = 401 ] && grep -q "\"invalid_client\"" "$2"' _ "$code" "$D/body"

R="$URL/subscriptions/$SUB/resourceGroups/rg-a/providers/Microsoft.Compute"
code=$("${C[@]}" -o "$D/body" -D "$D/hdr" -w '%{http_code}' "$R/snapshots?api-version=2025-01-02")
t_check "ARM without a token: 401 with WWW-Authenticate" \
    bash -c '[ "$1" = 401 ] && grep -qi "^www-authenticate: Bearer" "$2"' _ "$code" "$D/hdr"
code=$("${C[@]}" -o "$D/body" -D "$D/hdr" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
    -H "x-ms-client-request-id: shell-1" "$R/snapshots?api-version=2025-01-02")
t_check "ARM list with a token: 200, the seeded snapshot" \
    bash -c '[ "$1" = 200 ] && grep -q "\"name\":\"s1\"" "$2"' _ "$code" "$D/body"
t_check "ARM answer headers: request ids, Date, client id echoed" \
    bash -c 'grep -qi "^x-ms-request-id: " "$1" && grep -qi "^x-ms-correlation-request-id: " "$1" &&
             grep -qi "^date: " "$1" && grep -qi "^x-ms-client-request-id: shell-1" "$1"' _ "$D/hdr"
code=$("${C[@]}" -o "$D/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$R/snapshots")
t_check "ARM without api-version: 400 MissingApiVersionParameter" \
    bash -c '[ "$1" = 400 ] && grep -q MissingApiVersionParameter "$2"' _ "$code" "$D/body"

code=$("${C[@]}" -o "$D/body" -D "$D/hdr" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOK" \
    -H 'Content-Type: application/json' "$R/snapshots/s2?api-version=2025-01-02" \
    -d "{\"location\":\"westeurope\",\"properties\":{\"creationData\":{\"createOption\":\"Copy\",
         \"sourceResourceId\":\"/subscriptions/$SUB/resourceGroups/rg-a/providers/Microsoft.Compute/disks/d1\"},
         \"incremental\":true}}")
t_check "PUT snapshot: 202 with Azure-AsyncOperation" \
    bash -c '[ "$1" = 202 ] && grep -qi "^azure-asyncoperation: https://" "$2"' _ "$code" "$D/hdr"
t_check "the new snapshot is in the state file when the 202 arrives" \
    grep -q '"name":"s2"' "$D/a.state.json"
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOK" \
    "$R/snapshots/s1?api-version=2025-01-02")
t_check "DELETE snapshot: 202" test "$code" = 202
sleep 0.3
t_check "the deleted snapshot is gone from the state file" \
    bash -c '! grep -q "\"name\":\"s1\"" "$1"' _ "$D/a.state.json"
t_check "request log counts the DELETE and never holds the secret or token" \
    bash -c '[ "$(grep -c "\"method\":\"DELETE\"" "$1")" = 1 ] &&
             ! grep -q snapkeep-test-secret "$1" && ! grep -qF "$2" "$1"' _ "$D/a.log" "$TOK"

kill -TERM "$PID"; wait "$PID"; rc=$?
t_check "SIGTERM: serve exits 0" test "$rc" = 0
t_check "state file is valid JSON after SIGTERM" \
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$D/a.state.json"
"$SERVE" --port 0 --state "$D/b.json" --tls-dir "$D/b.tls" --seed /nonexistent >/dev/null 2>"$D/b.err"
t_check "a missing seed file is an error (exit 1, message)" \
    bash -c '[ "$1" = 1 ] && [ -s "$2" ]' _ "$?" "$D/b.err"

printf '{"disks":[{"id":"/subscriptions/%s/resourceGroups/r/providers/Microsoft.Compute/disks/x"}]}' \
    "$SUB" >"$D/noloc.json"
"$SERVE" --port 0 --state "$D/c.json" --tls-dir "$D/b.tls" --seed "$D/noloc.json" >/dev/null 2>"$D/c.err"
t_check "a seed resource without location is an error naming it" \
    bash -c '[ "$1" = 1 ] && grep -q "has no \"location\"" "$2"' _ "$?" "$D/c.err"
"$SERVE" --port 0 --state "$D/d.json" --tls-dir "$D/b.tls" --bogus >/dev/null 2>"$D/d.err"
t_check "an unknown option is a usage error (exit 2)" test "$?" = 2

# --exit-with-parent: a test killed with SIGKILL leaves no server behind.
bash -c '"$1" --exit-with-parent --port 0 --state "$2/e.json" --tls-dir "$2/b.tls" >"$2/e.out" &
         echo $! >"$2/e.pid"; exec sleep 60' _ "$SERVE" "$D" &
PARENT=$!
for _ in $(seq 100); do grep -q '^ready' "$D/e.out" 2>/dev/null && break; sleep 0.05; done
kill -9 "$PARENT"; wait "$PARENT" 2>/dev/null
gone=no
for _ in $(seq 100); do kill -0 "$(cat "$D/e.pid")" 2>/dev/null || { gone=yes; break; }; sleep 0.05; done
t_check "--exit-with-parent: serve ends when the process that started it is killed" test "$gone" = yes

# Everything else, feature by feature.
python3 "$TOP/tests/arm/selftest.py" || t_fail "tests/arm/selftest.py reported failures"
t_done
