#!/usr/bin/env bash
# Every credential kind against tests/arm/serve (client secret, workload
# identity with a rotating token file, managed identity through IMDS and
# App Service, the Azure CLI), the token's scope, and no secret or token in
# any output, --verbose included.
# shellcheck disable=SC2317  # helpers run through t_exit and t_check
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=azure_lib.sh
. "$(dirname "$0")/azure_lib.sh"

az_seed "$T_TMP/seed.json" rg-a:data1:150
az_start "$T_TMP/srv" --seed "$T_TMP/seed.json" --imds-port 0 --page-size 50 ||
    { t_fail "server starts"; t_done; }
P="$T_TMP/p.policy"
az_policy "$P" rg-a data1
ALL="$T_TMP/all-output"       # every stdout and stderr, for the secrets check
: >"$ALL"

# run NAME WANT [env assignments...] -- snapkeep args...
run() {
    local name=$1 want=$2; shift 2
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    t_exit "$name" "$want" env "${envs[@]}" "$SNAPKEEP" inventory "$P" --ca-file "$AZ_CA" --verbose "$@"
    cat "$T_TMP/out" "$T_TMP/err" >>"$ALL"
}
count150() { test "$(az_ids "$T_TMP/out" | wc -l)" = 150; }
last_token() {     # the latest token request's field in the server log
    python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l).get("kind") in ("token","msi")]
print(r[-1].get(sys.argv[2]) if r else "")' "$AZ_LOG" "$1"
}
jwt() {     # jwt SECONDS_VALID SUBJECT: an unsigned assertion the server accepts
    python3 -c 'import base64,json,sys,time
b=lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
print(b({"alg":"RS256","typ":"JWT"})+"."+b({"aud":["api://AzureADTokenExchange"],
  "iss":"https://token.actions.githubusercontent.com","sub":sys.argv[2],"nbf":int(time.time())-5,
  "exp":int(time.time())+int(sys.argv[1]),"jti":str(time.time())})+".c2lnbmF0dXJl")' "$1" "$2"
}

az_env_clear
export SNAPKEEP_ARM_ENDPOINT="$AZ_URL" AZURE_AUTHORITY_HOST="$AZ_URL"
S=("AZURE_TENANT_ID=$AZ_TENANT" "AZURE_CLIENT_ID=$AZ_CLIENT")

# --- client secret
run "secret: auto picks it" 0 "${S[@]}" AZURE_CLIENT_SECRET="$AZ_SECRET" --
t_check "secret: complete inventory" count150
t_check "secret: Entra saw a client secret" test "$(last_token credential)" = secret
t_check "secret: scope is ARM's audience, not the endpoint" \
    test "$(last_token scope)" = "https://management.azure.com/.default"
run "secret: forced" 0 "${S[@]}" AZURE_CLIENT_SECRET="$AZ_SECRET" -- --auth secret
run "secret: wrong secret -> exit 3" 3 "${S[@]}" AZURE_CLIENT_SECRET=not-the-secret-value --
t_check "secret: Entra's error shown" grep -q 'invalid_client: AADSTS7000215' "$T_TMP/err"
t_check "secret: wrong secret -> no output" test ! -s "$T_TMP/out"
run "secret: forced but unset -> exit 3" 3 "${S[@]}" -- --auth secret
t_check "secret: names the missing variables" grep -q 'AZURE_CLIENT_SECRET' "$T_TMP/err"
run "secret: unknown tenant -> exit 3" 3 AZURE_TENANT_ID=99999999-1111-4111-8111-111111111111 \
    AZURE_CLIENT_ID="$AZ_CLIENT" AZURE_CLIENT_SECRET="$AZ_SECRET" --
t_check "secret: AADSTS90002 shown" grep -q 'AADSTS90002' "$T_TMP/err"

# --- sovereign clouds: the token is for the cloud's audience whatever the endpoint
run "cloud: US Gov audience refused by this ARM -> exit 3" 3 "${S[@]}" \
    AZURE_CLIENT_SECRET="$AZ_SECRET" -- --cloud AzureUSGovernment
t_check "cloud: US Gov scope requested" \
    test "$(last_token scope)" = "https://management.usgovcloudapi.net/.default"
t_check "cloud: wrong audience reported" grep -q 'InvalidAuthenticationToken' "$T_TMP/err"
run "cloud: --arm-audience overrides" 0 "${S[@]}" AZURE_CLIENT_SECRET="$AZ_SECRET" -- \
    --cloud AzureUSGovernment --arm-audience https://management.azure.com/
t_check "cloud: overridden scope" test "$(last_token scope)" = "https://management.azure.com/.default"

# --- workload identity
J="$T_TMP/federated-token"
jwt 600 repo:x/y:ref:refs/heads/main >"$J"
ASSERTION1=$(cat "$J")
run "workload: auto picks it" 0 "${S[@]}" AZURE_FEDERATED_TOKEN_FILE="$J" --
t_check "workload: complete inventory" count150
t_check "workload: Entra saw an assertion" test "$(last_token credential)" = assertion
jwt -10 repo:x/y >"$J"
run "workload: expired assertion -> exit 3" 3 "${S[@]}" AZURE_FEDERATED_TOKEN_FILE="$J" --
run "workload: missing file -> exit 3" 3 "${S[@]}" AZURE_FEDERATED_TOKEN_FILE="$T_TMP/none" -- --auth workload
t_check "workload: missing file named" grep -q "$T_TMP/none" "$T_TMP/err"

# rotation: tokens live 2 s and each assertion 3 s; the file is rewritten
# while a slow listing runs, so only re-reading it per token request works
az_start "$T_TMP/srv2" --seed "$T_TMP/seed.json" --page-size 10 --token-lifetime 2 ||
    t_fail "second server starts"
az_faults '{"rules":[{"action":"delay","kind":"list","seconds":0.4}]}'
jwt 3 rot >"$J"
( for _ in $(seq 1 40); do sleep 0.25; jwt 3 rot >"$J.tmp" && mv "$J.tmp" "$J"; done ) &
rot=$!
t_cleanup_hooks+=("kill $rot 2>/dev/null")
run "workload: rotating file over a 6 s listing" 0 "${S[@]}" AZURE_FEDERATED_TOKEN_FILE="$J" \
    SNAPKEEP_ARM_ENDPOINT="$AZ_URL" AZURE_AUTHORITY_HOST="$AZ_URL" --
kill $rot 2>/dev/null; wait $rot 2>/dev/null
t_check "workload: rotation: complete inventory" count150
t_check "workload: rotation: several token requests ($(az_count token assertion))" \
    test "$(az_count token assertion)" -ge 3

# back to the first server
az_start "$T_TMP/srv3" --seed "$T_TMP/seed.json" --imds-port 0 --page-size 50 ||
    t_fail "third server starts"
export SNAPKEEP_ARM_ENDPOINT="$AZ_URL" AZURE_AUTHORITY_HOST="$AZ_URL"

# --- managed identity: IMDS (plain HTTP, as on a VM) and App Service
run "msi: IMDS via IMDS_ENDPOINT, auto" 0 IMDS_ENDPOINT="$AZ_IMDS" --
t_check "msi: complete inventory" count150
t_check "msi: IMDS shape used" test "$(last_token credential)" = imds
t_check "msi: system-assigned (no client_id)" test "$(last_token client_id)" = None
t_check "msi: resource is ARM's audience" test "$(last_token resource)" = "https://management.azure.com/"
run "msi: user-assigned by AZURE_CLIENT_ID" 0 IMDS_ENDPOINT="$AZ_IMDS" AZURE_CLIENT_ID="$AZ_MSI_CLIENT" -- --auth msi
t_check "msi: client_id sent" test "$(last_token client_id)" = "$AZ_MSI_CLIENT"
run "msi: unknown identity -> exit 3" 3 IMDS_ENDPOINT="$AZ_IMDS" \
    AZURE_CLIENT_ID=55555555-5555-4555-8555-555555555555 -- --auth msi
t_check "msi: IMDS error shown" grep -q 'Identity not found' "$T_TMP/err"
run "msi: App Service via IDENTITY_ENDPOINT" 0 IDENTITY_ENDPOINT="$AZ_URL/msi/token" \
    IDENTITY_HEADER="$AZ_IDENTITY_HEADER" SSL_CERT_FILE="$AZ_CA" --
t_check "msi: App Service shape used" test "$(last_token credential)" = appservice
run "msi: App Service wrong header -> exit 3" 3 IDENTITY_ENDPOINT="$AZ_URL/msi/token" \
    IDENTITY_HEADER=wrong-identity-header-value SSL_CERT_FILE="$AZ_CA" -- --auth msi

# --- Azure CLI: a fake `az` that gets a real token from the server
mkdir -p "$T_TMP/bin"
cat >"$T_TMP/bin/az" <<EOF
#!/bin/sh
echo "\$@" >"$T_TMP/az-args"
tok=\$(curl -s --cacert "$AZ_CA" -d grant_type=client_credentials -d client_id=$AZ_CLIENT \\
    -d client_secret=$AZ_SECRET -d scope=https://management.azure.com/.default \\
    "$AZ_URL/$AZ_TENANT/oauth2/v2.0/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "\$tok" >>"$T_TMP/tokens-seen"
exp=\$(( \$(date +%s) + 3000 ))
printf '{\n  "accessToken": "%s",\n  "expiresOn": "%s",\n  "expires_on": %s,\n  "subscription": "$AZ_SUB",\n  "tenant": "$AZ_TENANT",\n  "tokenType": "Bearer"\n}\n' "\$tok" "\$(date -d @\$exp '+%Y-%m-%d %H:%M:%S.000000')" "\$exp"
EOF
chmod +x "$T_TMP/bin/az"
run "cli: forced" 0 PATH="$T_TMP/bin:$PATH" -- --auth cli
t_check "cli: complete inventory" count150
t_check "cli: az asked for ARM's audience" \
    grep -qx 'account get-access-token --resource https://management.azure.com/ -o json' "$T_TMP/az-args"
run "cli: auto falls back to az (after probing IMDS)" 0 PATH="$T_TMP/bin:$PATH" --
t_check "cli: fallback inventory" count150
printf '#!/bin/sh\necho "ERROR: Please run az login to setup account." >&2\nexit 1\n' >"$T_TMP/bin/az"
run "cli: not logged in -> exit 3" 3 PATH="$T_TMP/bin:$PATH" -- --auth cli
t_check "cli: says to log in" grep -q 'az login' "$T_TMP/err"

# --- nothing secret anywhere: the secret, the identity header, the
#     assertion, and every token (the server's tokens are JWTs that all
#     start with the same header part)
t_check "no client secret in any output" bash -c "! grep -qF '$AZ_SECRET' '$ALL'"
t_check "no wrong secret either" bash -c "! grep -qF 'not-the-secret-value' '$ALL'"
t_check "no identity header in any output" bash -c "! grep -qF '$AZ_IDENTITY_HEADER' '$ALL' && ! grep -qF 'wrong-identity-header-value' '$ALL'"
t_check "no assertion in any output" bash -c "! grep -qF '${ASSERTION1:0:60}' '$ALL'"
TOKEN_HEAD=eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6InNrdGVzdC1rZXktMSIsImtpZCI6InNrdGVzdC1rZXktMSJ9.
t_check "the server's tokens start with the header part looked for" \
    bash -c "test -s '$T_TMP/tokens-seen' && ! grep -qvF '$TOKEN_HEAD' '$T_TMP/tokens-seen'"
t_check "no token in any output" bash -c "! grep -qF '$TOKEN_HEAD' '$ALL'"
t_check "the fake az's tokens were used" test -s "$T_TMP/tokens-seen"
t_check "no token from az in any output" bash -c "! grep -qFf '$T_TMP/tokens-seen' '$ALL'"
t_check "verbose output was produced" grep -q 'GET https://127.0.0.1' "$ALL"
t_done
