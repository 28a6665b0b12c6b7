# tests/e2e/t_030_auth.sh - access control end to end: Basic and Bearer credentials against
# private and public projects (skopeo and curl), the 401 Bearer challenge, a pull-only robot
# (403 on push, the token grants only pull, no access to other projects), an expired robot,
# forged tokens (tampered, expired, wrong audience or issuer, foreign key, alg none: all 401),
# tokens shared by the gateways, anonymous pull and push, the OAuth2 POST form with refresh
# tokens, docker-login style token requests, and an admin's push creating a private project.
# Sourced by tests/e2e/run after lib.sh. Projects, users and robots: t030*.
# shellcheck shell=bash

T30_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t030.XXXXXX")
T30_HOST=${BERTH_URL#http://}
T30_REG=docker://$T30_HOST
read -ra T30_GW <<< "${BERTH_URLS:-$BERTH_URL}"
T30_URL2=${T30_GW[-1]}
T30_REALM="http://$T30_HOST/auth/token"
T30_PW=t030-dev-pw-$RANDOM$RANDOM
T30_CTL=$BERTH_BIN/berthctl # BERTH_PG is in the environment
T30_NOAUTH=$T30_TMP/noauth.json # an auth file without credentials: nothing leaks from admin's
printf '{"auths":{}}\n' > "$T30_NOAUTH"

# Rerunnable against a kept stack: forget what an earlier run of this file left behind.
psql_q "delete from repositories where name like 't030%'" > /dev/null
psql_q "delete from projects where name like 't030%'" > /dev/null
psql_q "delete from accounts where name like 't030%' or name like 'robot\$t030%'" > /dev/null

t30_run() { # WHAT CMD...: runs CMD (output in $T30_TMP/out), ok when it exits 0
    local what=$1
    shift
    if timeout 120 "$@" > "$T30_TMP/out" 2>&1; then
        ok "$what"
    else
        not_ok "$what: $* failed: $(tail -n 3 "$T30_TMP/out" | tr '\n' ' ' | cut -c1-300)"
    fi
}

t30_refused() { # WHAT CMD...: ok when CMD exits non-zero with an authentication error
    local what=$1 rc=0
    shift
    timeout 120 "$@" > "$T30_TMP/out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
        grep -qiE 'unauthorized|authentication required|denied|401|403' "$T30_TMP/out"; then
        ok "$what (exit $rc: $(grep -oiE 'unauthorized|authentication required|denied' \
            "$T30_TMP/out" | head -n 1))"
    else
        not_ok "$what: exit $rc: $(tail -n 2 "$T30_TMP/out" | tr '\n' ' ' | cut -c1-300)"
    fi
}

t30_b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

t30_claims_of() { # TOKEN: the JWT's claims JSON
    local p
    p=$(printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+')
    while [ $((${#p} % 4)) -ne 0 ]; do p+='='; done
    printf '%s' "$p" | base64 -d 2>/dev/null
}

t30_access() { # TOKEN: "name:actions" of each access entry, joined by spaces
    t30_claims_of "$1" | jq -r '[.access[]? | "\(.name):\(.actions | join(","))"] | join(" ")'
}

t30_token() { # URL SCOPE [curl args]: GET /auth/token; sets TOK ("" on failure)
    local url=$1 scope=$2
    shift 2
    TOK=
    E2E_ANON=1 http GET "$url/auth/token?service=berth&scope=$scope" "$@"
    if [ "$HTTP_STATUS" = 200 ]; then TOK=$(jqb '.token // ""'); fi
}

t30_bearer() { # METHOD URL TOKEN [curl args]: a request with only the Bearer token
    local m=$1 u=$2 t=$3
    shift 3
    E2E_ANON=1 http "$m" "$u" -H "Authorization: Bearer $t" "$@"
}

t30_hdr_has() { # NAME TEXT: some value of header NAME contains TEXT
    if hdr "$1" | grep -qF -- "$2"; then
        ok "header $1 contains $2"
    else
        not_ok "header $1: got '$(hdr "$1" | paste -sd'|')', expected it to contain $2"
    fi
}

t30_alive() { # ok when every gateway still answers /healthz; restarts those that died
    local i code
    for i in "${!T30_GW[@]}"; do
        code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "${T30_GW[$i]}/healthz") || true
        if [ "$code" = 200 ]; then
            ok "gateway $((i + 1)) is still up"
            continue
        fi
        not_ok "gateway $((i + 1)) died (/healthz: ${code:-none}; see its log); restarting it"
        "$E2E_REPO/tools/berth-stack" restart-gateway "$BERTH_STACK_DIR" $((i + 1)) \
            > "$T30_TMP/restart.log" 2>&1 ||
            echo "#   restart failed: $(tail -n 2 "$T30_TMP/restart.log")"
    done
}

# t30_mint KEY CLAIMS [HEADER]: an ES256 JWS signed with openssl (DER signature -> R||S)
t30_mint() {
    local key=$1 hdr='{"alg":"ES256","typ":"JWT"}' h p sig
    local -a ints
    [ -n "${3:-}" ] && hdr=$3
    h=$(printf '%s' "$hdr" | t30_b64url)
    p=$(printf '%s' "$2" | t30_b64url)
    printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$key" > "$T30_TMP/sig.der" || return 1
    mapfile -t ints < <(openssl asn1parse -inform DER -in "$T30_TMP/sig.der" |
        sed -n 's/.*prim: INTEGER *://p')
    [ "${#ints[@]}" -eq 2 ] || return 1
    sig=$({ printf '%64s' "${ints[0]}"; printf '%64s' "${ints[1]}"; } | tr ' ' 0 |
        xxd -r -p | t30_b64url)
    printf '%s.%s.%s\n' "$h" "$p" "$sig"
}

t30_claims() { # AUD EXP_OFFSET [ISS]: admin's claims for pull on t030priv/app
    jq -cn --arg aud "$1" --arg iss "${3:-berth-token}" --argjson now "$(date +%s)" \
        --argjson d "$2" '{iss: $iss, sub: "admin", aud: $aud, exp: ($now + $d),
            nbf: ($now + $d - 300), iat: ($now + $d - 300), jti: "t030-\($now)-\($d)",
            access: [{type: "repository", name: "t030priv/app", actions: ["pull"]}]}'
}

t30_flip() { # TEXT POS: TEXT with the character at POS replaced by another one
    local c=${1:$2:1} n=A
    [ "$c" = A ] && n=B
    printf '%s' "${1:0:$2}$n${1:$(($2 + 1))}"
}

t30_ref_digest() { # LAYOUT TAG
    jq -r --arg t "$2" '.manifests[] |
        select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
        < "$1/index.json"
}

# --- setup: accounts, projects, a one-layer image
t_begin auth-setup
t30_run "user t030dev created" env BERTH_PASSWORD="$T30_PW" "$T30_CTL" \
    user create t030dev
t30_run "project t030priv created" "$T30_CTL" project create t030priv
t30_run "project t030other created" "$T30_CTL" project create t030other
t30_run "project t030pub created (public)" "$T30_CTL" project create t030pub --public
t30_run "t030dev gets pull,push on t030priv" "$T30_CTL" member set t030priv t030dev \
    pull,push
L=$T30_TMP/img
t30_run "umoci init" umoci init --layout "$L"
t30_run "umoci new" umoci new --image "$L:t"
t30_run "umoci unpack" umoci unpack --rootless --image "$L:t" "$T30_TMP/bundle"
mkdir -p "$T30_TMP/bundle/rootfs/etc"
echo "t030 $RANDOM$RANDOM" > "$T30_TMP/bundle/rootfs/etc/t030"
t30_run "umoci repack" umoci repack --image "$L:t" "$T30_TMP/bundle"
IMG=$(t30_ref_digest "$L" t)
expect_eq "${IMG:0:7}" "sha256:" "the layout names the image"

# --- a user with push on a private project, through skopeo
t_begin auth-user-skopeo
t30_run "skopeo push with --dest-creds (t030dev)" env REGISTRY_AUTH_FILE="$T30_NOAUTH" \
    skopeo copy --preserve-digests --dest-tls-verify=false --dest-creds "t030dev:$T30_PW" \
    "oci:$L:t" "$T30_REG/t030priv/app:v1"
http GET "$BERTH_URL/v2/t030priv/app/manifests/v1"
expect_status 200
expect_header Docker-Content-Digest "$IMG"
t30_run "skopeo pull with --src-creds (t030dev)" env REGISTRY_AUTH_FILE="$T30_NOAUTH" \
    skopeo copy --preserve-digests --src-tls-verify=false --src-creds "t030dev:$T30_PW" \
    "$T30_REG/t030priv/app:v1" "oci:$T30_TMP/back:t"
expect_eq "$(t30_ref_digest "$T30_TMP/back" t)" "$IMG" "the pulled image has the same digest"
t30_refused "skopeo pull without credentials fails" env REGISTRY_AUTH_FILE="$T30_NOAUTH" \
    skopeo copy --src-tls-verify=false --src-no-creds "$T30_REG/t030priv/app:v1" \
    "oci:$T30_TMP/anon:t"
t30_refused "skopeo push without credentials fails" env REGISTRY_AUTH_FILE="$T30_NOAUTH" \
    skopeo copy --dest-tls-verify=false --dest-no-creds "oci:$L:t" \
    "$T30_REG/t030priv/app:anon"
t30_refused "skopeo push by t030dev into t030other (no membership) fails" \
    env REGISTRY_AUTH_FILE="$T30_NOAUTH" skopeo copy --dest-tls-verify=false \
    --dest-creds "t030dev:$T30_PW" "oci:$L:t" "$T30_REG/t030other/app:v1"
t30_run "admin pushes t030other/app:v1" skopeo copy --preserve-digests \
    --dest-tls-verify=false "oci:$L:t" "$T30_REG/t030other/app:v1"
E2E_ANON=1 http POST "$BERTH_URL/v2/t030other/app/blobs/uploads/" -u "t030dev:$T30_PW"
expect_status 403
expect_oci_error DENIED
E2E_ANON=1 http GET "$BERTH_URL/v2/t030other/app/manifests/v1" -u "t030dev:$T30_PW"
expect_status 403
expect_oci_error DENIED
t30_alive

# --- the Bearer challenge without credentials
t_begin auth-challenge
E2E_ANON=1 http GET "$BERTH_URL/v2/"
expect_status 401
expect_header WWW-Authenticate "Bearer realm=\"$T30_REALM\",service=\"berth\""
E2E_ANON=1 http GET "$BERTH_URL/v2/t030priv/app/manifests/v1"
expect_status 401
expect_oci_error UNAUTHORIZED
expect_header WWW-Authenticate \
    "Bearer realm=\"$T30_REALM\",service=\"berth\",scope=\"repository:t030priv/app:pull\""
E2E_ANON=1 http POST "$BERTH_URL/v2/t030priv/app/blobs/uploads/"
expect_status 401
expect_header WWW-Authenticate \
    "Bearer realm=\"$T30_REALM\",service=\"berth\",scope=\"repository:t030priv/app:pull,push\""
E2E_ANON=1 http DELETE "$BERTH_URL/v2/t030priv/app/manifests/$IMG"
expect_status 401
expect_header WWW-Authenticate \
    "Bearer realm=\"$T30_REALM\",service=\"berth\",scope=\"repository:t030priv/app:delete\""
E2E_ANON=1 http GET "$BERTH_URL/v2/t030priv/app/manifests/v1" -u "t030dev:wrong-$T30_PW"
expect_status 401

# --- a pull-only robot
t_begin auth-robot-pull-only
"$T30_CTL" robot create t030ro t030priv pull 0 > "$T30_TMP/robot" 2>&1
RO_NAME=$(sed -n 's/^name: //p' "$T30_TMP/robot")
RO_SECRET=$(sed -n 's/^secret: //p' "$T30_TMP/robot")
expect_eq "$RO_NAME" "robot\$t030ro" "berthctl robot create prints the robot's name"
E2E_ANON=1 http GET "$BERTH_URL/v2/t030priv/app/manifests/v1" -u "$RO_NAME:$RO_SECRET"
expect_status 200
expect_header Docker-Content-Digest "$IMG"
t30_run "skopeo inspect with the robot's --creds" env REGISTRY_AUTH_FILE="$T30_NOAUTH" \
    skopeo inspect --tls-verify=false --creds "$RO_NAME:$RO_SECRET" "$T30_REG/t030priv/app:v1"
expect_eq "$(jq -r .Digest < "$T30_TMP/out")" "$IMG" "the robot's skopeo inspect: Digest"
E2E_ANON=1 http POST "$BERTH_URL/v2/t030priv/app/blobs/uploads/" -u "$RO_NAME:$RO_SECRET"
expect_status 403
expect_oci_error DENIED
expect_eq "$(jqb '.errors[0].message')" "push permission missing on t030priv/app" \
    "the 403 names the missing permission"
t30_refused "skopeo push with the robot's --dest-creds fails" \
    env REGISTRY_AUTH_FILE="$T30_NOAUTH" skopeo copy --dest-tls-verify=false \
    --dest-creds "$RO_NAME:$RO_SECRET" "oci:$L:t" "$T30_REG/t030priv/app:robot"
t30_alive

t_begin auth-robot-token
t30_token "$BERTH_URL" "repository:t030priv/app:pull,push" -u "$RO_NAME:$RO_SECRET"
expect_status 200
expect_eq "$(t30_access "$TOK")" "t030priv/app:pull" "the robot's token grants only pull"
expect_eq "$(t30_claims_of "$TOK" | jq -r '[.sub, .aud, .iss, .exp - .iat] | join(" ")')" \
    "robot\$t030ro berth berth-token 300" "claims sub, aud, iss and lifetime"
expect_eq "$(jqb .expires_in)" 300 "expires_in is the token lifetime"
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" "$TOK"
expect_status 200
t30_bearer POST "$BERTH_URL/v2/t030priv/app/blobs/uploads/" "$TOK"
expect_status 403
expect_oci_error DENIED
t30_alive

# The robot asks for another project: the token names the repository with no actions,
# and an authenticated token naming the repository without the action is answered 403
# DENIED by auth.c (evaluate: "the token service granted all this account holds"); a token
# that does not name the repository at all is answered 401 error="insufficient_scope".
t_begin auth-robot-other-project
t30_bearer GET "$BERTH_URL/v2/t030other/app/manifests/v1" "$TOK"
expect_status 401 # the t030priv/app token
t30_hdr_has WWW-Authenticate 'error="insufficient_scope"'
t30_token "$BERTH_URL" "repository:t030other/app:pull" -u "$RO_NAME:$RO_SECRET"
expect_status 200
expect_eq "$(t30_access "$TOK")" "t030other/app:" "the token grants nothing on t030other/app"
t30_bearer GET "$BERTH_URL/v2/t030other/app/manifests/v1" "$TOK"
expect_status 403
expect_oci_error DENIED
t30_alive
E2E_ANON=1 http GET "$BERTH_URL/v2/t030other/app/manifests/v1" -u "$RO_NAME:$RO_SECRET"
expect_status 403
expect_oci_error DENIED

# --- an expired robot
t_begin auth-robot-expired
"$T30_CTL" robot create t030old t030priv pull 30 > "$T30_TMP/robot-old" 2>&1
OLD_SECRET=$(sed -n 's/^secret: //p' "$T30_TMP/robot-old")
E2E_ANON=1 http GET "$BERTH_URL/v2/t030priv/app/manifests/v1" -u "robot\$t030old:$OLD_SECRET"
expect_status 200
E2E_ANON=1 http GET "$BERTH_URL/auth/token?service=berth&offline_token=true" \
    -u "robot\$t030old:$OLD_SECRET"
expect_status 200
OLD_REFRESH=$(jqb '.refresh_token // ""')
expect_eq "$([ -n "$OLD_REFRESH" ] && echo yes)" yes "a refresh token before the expiry"
expect_eq "$(psql_q "with u as (update accounts set expires_at = now() - interval '1 minute'
    where name = 'robot\$t030old' returning name) select name from u")" "robot\$t030old" \
    "the robot is now expired"
E2E_ANON=1 http GET "$BERTH_URL/v2/t030priv/app/manifests/v1" -u "robot\$t030old:$OLD_SECRET"
expect_status 401
expect_oci_error UNAUTHORIZED
t30_token "$BERTH_URL" "repository:t030priv/app:pull" -u "robot\$t030old:$OLD_SECRET"
expect_status 401
E2E_ANON=1 http POST "$BERTH_URL/auth/token" --data-urlencode grant_type=refresh_token \
    --data-urlencode "refresh_token=$OLD_REFRESH" --data-urlencode service=berth \
    --data-urlencode client_id=t030 --data-urlencode "scope=repository:t030priv/app:pull"
expect_status 401

# --- forged tokens
t_begin auth-forged-tokens
t30_token "$BERTH_URL" "repository:t030priv/app:pull" -u "$BERTH_ADMIN_USER:$BERTH_ADMIN_PASSWORD"
GOOD=$TOK
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" "$GOOD"
expect_status 200
IFS=. read -r G_H G_P G_S <<< "$GOOD"
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" "$G_H.$G_P.$(t30_flip "$G_S" 20)"
expect_status 401
t30_hdr_has WWW-Authenticate 'error="invalid_token"'
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" "$G_H.$(t30_flip "$G_P" 30).$G_S"
expect_status 401
# a payload rewritten to grant push and delete, with the original signature
G_P2=$(t30_claims_of "$GOOD" | jq -c '.access[0].actions = ["pull", "push", "delete"]' |
    tr -d '\n' | t30_b64url)
t30_bearer POST "$BERTH_URL/v2/t030priv/app/blobs/uploads/" "$G_H.$G_P2.$G_S"
expect_status 401
KEY=$BERTH_STACK_DIR/token-key.pem
MINTED=$(t30_mint "$KEY" "$(t30_claims berth 300)")
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" "$MINTED"
expect_status 200 # the minting is right: what follows fails for the stated reason only
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" \
    "$(t30_mint "$KEY" "$(t30_claims berth -600)")"
expect_status 401 # expired 10 minutes ago (beyond the 60 s leeway)
t30_hdr_has WWW-Authenticate 'error="invalid_token"'
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" \
    "$(t30_mint "$KEY" "$(t30_claims other 300)")"
expect_status 401 # audience "other"
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" \
    "$(t30_mint "$KEY" "$(t30_claims berth 300 someone-else)")"
expect_status 401 # issuer "someone-else"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T30_TMP/other.pem" \
    2>/dev/null
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" \
    "$(t30_mint "$T30_TMP/other.pem" "$(t30_claims berth 300)")"
expect_status 401 # signed by another key
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" \
    "$(printf '{"alg":"none","typ":"JWT"}' | t30_b64url).${MINTED#*.}"
expect_status 401 # alg none, with a valid ES256 signature attached
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" \
    "$(printf '{"alg":"none","typ":"JWT"}' | t30_b64url).$(cut -d. -f2 <<< "$MINTED")."
expect_status 401 # alg none, no signature

# --- one key for all gateways
t_begin auth-token-across-gateways
t30_token "$BERTH_URL" "repository:t030priv/app:pull" -u "t030dev:$T30_PW"
t30_bearer GET "$T30_URL2/v2/t030priv/app/manifests/v1" "$TOK"
expect_status 200
expect_header Docker-Content-Digest "$IMG"
t30_token "$T30_URL2" "repository:t030priv/app:pull" -u "t030dev:$T30_PW"
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" "$TOK"
expect_status 200
t30_alive

# --- a public project: anonymous pull, never anonymous push
t_begin auth-public-project
t30_run "admin pushes t030pub/app:v1" skopeo copy --preserve-digests \
    --dest-tls-verify=false "oci:$L:t" "$T30_REG/t030pub/app:v1"
t30_token "$BERTH_URL" "repository:t030pub/app:pull,push"
ANON=$TOK
expect_status 200
expect_eq "$(t30_access "$ANON")" "t030pub/app:pull" "an anonymous token grants only pull"
expect_eq "$(t30_claims_of "$ANON" | jq -r .sub)" "" "an anonymous token has sub \"\""
t30_bearer GET "$BERTH_URL/v2/t030pub/app/manifests/v1" "$ANON"
expect_status 200
expect_header Docker-Content-Digest "$IMG"
t30_run "skopeo pulls t030pub anonymously" env REGISTRY_AUTH_FILE="$T30_NOAUTH" \
    skopeo copy --preserve-digests --src-tls-verify=false --src-no-creds \
    "$T30_REG/t030pub/app:v1" "oci:$T30_TMP/pub:t"
expect_eq "$(t30_ref_digest "$T30_TMP/pub" t)" "$IMG" "the anonymous pull's digest"
t30_bearer POST "$BERTH_URL/v2/t030pub/app/blobs/uploads/" "$ANON"
expect_status 401
t30_hdr_has WWW-Authenticate 'scope="repository:t030pub/app:pull,push"'
t30_alive
E2E_ANON=1 http POST "$BERTH_URL/v2/t030pub/app/blobs/uploads/"
expect_status 401
t30_bearer PUT "$BERTH_URL/v2/t030pub/app/manifests/anon" "$ANON" \
    -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
    --data-binary "@$L/blobs/sha256/${IMG#sha256:}"
expect_status 401
t30_refused "skopeo push to t030pub anonymously fails" env REGISTRY_AUTH_FILE="$T30_NOAUTH" \
    skopeo copy --dest-tls-verify=false --dest-no-creds "oci:$L:t" \
    "$T30_REG/t030pub/app:anon"
http GET "$BERTH_URL/v2/t030pub/app/manifests/anon"
expect_status 404
t30_token "$BERTH_URL" "repository:t030priv/app:pull"
ANON=$TOK
expect_eq "$(t30_access "$ANON")" "t030priv/app:" "an anonymous token grants nothing private"

# --- the OAuth2 POST form
t_begin auth-oauth2-post
E2E_ANON=1 http POST "$BERTH_URL/auth/token" --data-urlencode grant_type=password \
    --data-urlencode username=t030dev --data-urlencode "password=$T30_PW" \
    --data-urlencode service=berth --data-urlencode client_id=t030 \
    --data-urlencode access_type=offline \
    --data-urlencode "scope=repository:t030priv/app:pull,push repository:t030other/app:pull"
expect_status 200
ACCESS=$(jqb '.access_token // ""')
REFRESH=$(jqb '.refresh_token // ""')
expect_eq "$(t30_access "$ACCESS")" "t030priv/app:pull,push t030other/app:" \
    "the password grant's token: both space-separated scopes, filtered"
expect_eq "$([ -n "$REFRESH" ] && echo yes)" yes "access_type=offline returns a refresh_token"
expect_eq "$(jqb '.scope // "absent"')" \
    "repository:t030priv/app:pull,push repository:t030other/app:" \
    "the response carries the granted scope (required by the OAuth2 token spec)"
E2E_ANON=1 http POST "$BERTH_URL/auth/token" --data-urlencode grant_type=refresh_token \
    --data-urlencode "refresh_token=$REFRESH" --data-urlencode service=berth \
    --data-urlencode client_id=t030 --data-urlencode "scope=repository:t030priv/app:pull"
expect_status 200
NEW=$(jqb '.access_token // ""')
expect_eq "$(t30_access "$NEW")" "t030priv/app:pull" "the refresh grant's token"
expect_eq "$(t30_claims_of "$NEW" | jq -r .sub)" t030dev "the refresh grant's token: sub"
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" "$NEW"
expect_status 200
t30_bearer GET "$BERTH_URL/v2/t030priv/app/manifests/v1" "$REFRESH"
expect_status 401 # a refresh token is no access token
E2E_ANON=1 http POST "$BERTH_URL/auth/token" --data-urlencode grant_type=refresh_token \
    --data-urlencode "refresh_token=$ACCESS" --data-urlencode service=berth \
    --data-urlencode client_id=t030 --data-urlencode "scope=repository:t030priv/app:pull"
expect_status 401 # nor an access token a refresh token
E2E_ANON=1 http POST "$BERTH_URL/auth/token" --data-urlencode grant_type=password \
    --data-urlencode username=t030dev --data-urlencode "password=wrong-$T30_PW" \
    --data-urlencode service=berth --data-urlencode client_id=t030
expect_status 401
E2E_ANON=1 http GET "$BERTH_URL/auth/token?service=berth&offline_token=true" \
    -u "t030dev:$T30_PW"
expect_status 200
expect_eq "$(jqb 'has("refresh_token")')" true "GET with offline_token=true: a refresh_token"

# --- docker login: a token request with Basic and no scope
t_begin auth-docker-login
E2E_ANON=1 http GET "$BERTH_URL/auth/token?service=berth" -u "t030dev:$T30_PW"
expect_status 200
expect_eq "$(jqb '.token | length > 0')" true "a token for valid credentials"
E2E_ANON=1 http GET "$BERTH_URL/auth/token?service=berth" -u "t030dev:wrong-$T30_PW"
expect_status 401
expect_header WWW-Authenticate 'Basic realm="berth"'
E2E_ANON=1 http GET "$BERTH_URL/auth/token?service=berth" -u "t030-nobody:$T30_PW"
expect_status 401

# --- an admin's push creates a private project
t_begin auth-admin-creates-project
t30_run "admin pushes t030new/app:v1" skopeo copy --preserve-digests \
    --dest-tls-verify=false "oci:$L:t" "$T30_REG/t030new/app:v1"
expect_eq "$(psql_q "select public from projects where name = 't030new'")" f \
    "project t030new exists, private"
t30_token "$BERTH_URL" "repository:t030new/app:pull"
ANON=$TOK
expect_status 200
expect_eq "$(t30_access "$ANON")" "t030new/app:" "an anonymous token grants nothing on it"
t30_bearer GET "$BERTH_URL/v2/t030new/app/manifests/v1" "$ANON"
expect_status 401
t30_hdr_has WWW-Authenticate 'error="insufficient_scope"'
E2E_ANON=1 http POST "$BERTH_URL/v2/t030nope/app/blobs/uploads/" -u "t030dev:$T30_PW"
expect_status 403 # a user's push does not create a project
expect_eq "$(psql_q "select count(*) from projects where name = 't030nope'")" 0 \
    "no project t030nope"

# --- a deleted robot: its password and its refresh token stop working
t_begin auth-robot-deleted
E2E_ANON=1 http GET "$BERTH_URL/auth/token?service=berth&offline_token=true" \
    -u "$RO_NAME:$RO_SECRET"
expect_status 200
RO_REFRESH=$(jqb '.refresh_token // ""')
t30_run "berthctl robot delete t030ro" "$T30_CTL" robot delete t030ro
E2E_ANON=1 http GET "$BERTH_URL/v2/t030priv/app/manifests/v1" -u "$RO_NAME:$RO_SECRET"
expect_status 401
E2E_ANON=1 http POST "$BERTH_URL/auth/token" --data-urlencode grant_type=refresh_token \
    --data-urlencode "refresh_token=$RO_REFRESH" --data-urlencode service=berth \
    --data-urlencode client_id=t030 --data-urlencode "scope=repository:t030priv/app:pull"
expect_status 401

# --- a changed password: the old one stops working at once (no cached verification)
t_begin auth-password-change
T30_PW2=t030-dev-pw2-$RANDOM$RANDOM
t30_run "berthctl user passwd t030dev" env BERTH_PASSWORD="$T30_PW2" "$T30_CTL" \
    user passwd t030dev
E2E_ANON=1 http GET "$BERTH_URL/v2/t030priv/app/manifests/v1" -u "t030dev:$T30_PW"
expect_status 401
E2E_ANON=1 http GET "$BERTH_URL/v2/t030priv/app/manifests/v1" -u "t030dev:$T30_PW2"
expect_status 200
t30_alive

rm -rf "$T30_TMP"
