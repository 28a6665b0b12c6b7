# tests/e2e/t_031_tls.sh - Berth serving HTTPS itself: a test CA and a server certificate for
# 127.0.0.1 (IP SAN) made here with openssl, an extra berthd with BERTH_TLS_CERT/KEY on the
# stack's database, S3 and token key; curl and skopeo (--src-cert-dir, credentials) pull over
# HTTPS an image pushed through a plain gateway; the token realm is https; clients without
# the CA fail verification. The extra gateway is stopped by its PID (trap).
# Sourced by tests/e2e/run after lib.sh. Repositories: t031/*.
# shellcheck shell=bash

T31_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t031.XXXXXX")
T31_CERTS=$T31_TMP/certs # the CA only, as skopeo --src-cert-dir wants it
T31_PID=
T31_PORT=
T31_NOAUTH=$T31_TMP/noauth.json
printf '{"auths":{}}\n' > "$T31_NOAUTH"
mkdir -p "$T31_CERTS"

t31_cleanup() {
    if [ -n "$T31_PID" ] && kill -0 "$T31_PID" 2>/dev/null; then
        kill -TERM "$T31_PID" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$T31_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$T31_PID" 2>/dev/null && kill -KILL "$T31_PID" 2>/dev/null
    fi
    rm -rf "$T31_TMP"
}
trap t31_cleanup EXIT
trap 'exit 143' TERM INT

# Rerunnable against a kept stack: forget what an earlier run of this file left behind.
psql_q "delete from repositories where name like 't031/%'" > /dev/null

t31_run() { # WHAT CMD...: runs CMD (output in $T31_TMP/out), ok when it exits 0
    local what=$1
    shift
    if timeout 120 "$@" > "$T31_TMP/out" 2>&1; then
        ok "$what"
    else
        not_ok "$what: $* failed: $(tail -n 3 "$T31_TMP/out" | tr '\n' ' ' | cut -c1-300)"
    fi
}

t31_ref_digest() { # LAYOUT TAG
    jq -r --arg t "$2" '.manifests[] |
        select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
        < "$1/index.json"
}

t31_port_free() { # PORT: nothing accepts connections on it
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# t31_start: the extra HTTPS gateway on a free port; sets T31_PID and T31_PORT
t31_start() {
    local code
    for _ in 1 2 3 4 5; do
        T31_PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        t31_port_free "$T31_PORT" || continue
        env BERTH_LISTEN="127.0.0.1:$T31_PORT" BERTH_PG="$BERTH_PG" \
            BERTH_S3_ENDPOINT="$BERTH_S3_ENDPOINT" BERTH_S3_BUCKET="$BERTH_S3_BUCKET" \
            BERTH_S3_ACCESS_KEY="$BERTH_S3_ACCESS_KEY" \
            BERTH_S3_SECRET_KEY="$BERTH_S3_SECRET_KEY" BERTH_S3_REGION=us-east-1 \
            BERTH_S3_PATH_STYLE=1 BERTH_TOKEN_KEY="$BERTH_STACK_DIR/token-key.pem" \
            BERTH_WORKERS=0 BERTH_TLS_CERT="$T31_TMP/server.crt" \
            BERTH_TLS_KEY="$T31_TMP/server.key" \
            "$BERTH_BIN/berthd" < /dev/null >> "$T31_TMP/berthd.log" 2>&1 &
        T31_PID=$!
        for _ in $(seq 1 300); do
            code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' --cacert "$T31_CERTS/ca.crt" \
                "https://127.0.0.1:$T31_PORT/healthz") || true
            [ "$code" = 200 ] && return 0
            kill -0 "$T31_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$T31_PID" 2>/dev/null && return 1 # running but not healthy: give up
        T31_PID= # exited (the port was taken meanwhile?): another port
    done
    return 1
}

# --- a test CA and a server certificate for 127.0.0.1
t_begin tls-certificates
t31_run "a test CA" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T31_TMP/ca.key" -out "$T31_CERTS/ca.crt" -days 2 -subj "/CN=Berth t031 test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
t31_run "a server key and CSR" openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -keyout "$T31_TMP/server.key" -out "$T31_TMP/server.csr" -subj "/CN=127.0.0.1"
printf '%s\n' "subjectAltName=IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
    "basicConstraints=CA:FALSE" > "$T31_TMP/server.ext"
t31_run "the CA signs the server certificate" openssl x509 -req -in "$T31_TMP/server.csr" \
    -CA "$T31_CERTS/ca.crt" -CAkey "$T31_TMP/ca.key" -CAcreateserial -days 2 \
    -extfile "$T31_TMP/server.ext" -out "$T31_TMP/server.crt"
t31_run "the server certificate verifies against the CA for IP 127.0.0.1" openssl verify \
    -CAfile "$T31_CERTS/ca.crt" -verify_ip 127.0.0.1 "$T31_TMP/server.crt"

# --- an image pushed through the plain gateway
t_begin tls-push-plain
L=$T31_TMP/img
t31_run "umoci init" umoci init --layout "$L"
t31_run "umoci new" umoci new --image "$L:t"
t31_run "umoci unpack" umoci unpack --rootless --image "$L:t" "$T31_TMP/bundle"
mkdir -p "$T31_TMP/bundle/rootfs/etc"
echo "t031 $RANDOM$RANDOM" > "$T31_TMP/bundle/rootfs/etc/t031"
t31_run "umoci repack" umoci repack --image "$L:t" "$T31_TMP/bundle"
IMG=$(t31_ref_digest "$L" t)
t31_run "skopeo push over plain HTTP (admin)" skopeo copy --preserve-digests \
    --dest-tls-verify=false "oci:$L:t" "docker://${BERTH_URL#http://}/t031/app:v1"

# --- the HTTPS gateway
t_begin tls-gateway
if t31_start; then
    ok "berthd serves https://127.0.0.1:$T31_PORT/healthz (pid $T31_PID)"
else
    not_ok "the HTTPS berthd did not become healthy: $(tail -n 5 "$T31_TMP/berthd.log" |
        tr '\n' ' ' | cut -c1-300)"
fi
TLS_URL=https://127.0.0.1:$T31_PORT
TLS_HOST=127.0.0.1:$T31_PORT
E2E_ANON=1 http GET "$TLS_URL/v2/" --cacert "$T31_CERTS/ca.crt"
expect_status 401
expect_header WWW-Authenticate "Bearer realm=\"$TLS_URL/auth/token\",service=\"berth\""
http GET "$TLS_URL/v2/t031/app/manifests/v1" --cacert "$T31_CERTS/ca.crt"
expect_status 200
expect_header Docker-Content-Digest "$IMG"
E2E_ANON=1 http GET "$TLS_URL/auth/token?service=berth&scope=repository:t031/app:pull" \
    --cacert "$T31_CERTS/ca.crt" -u "$BERTH_ADMIN_USER:$BERTH_ADMIN_PASSWORD"
expect_status 200
TOK=$(jqb '.token // ""')
E2E_ANON=1 http GET "$BERTH_URL/v2/t031/app/manifests/v1" -H "Authorization: Bearer $TOK"
expect_status 200 # a token from the HTTPS gateway works on a plain one: the same key

t_begin tls-skopeo-pull
t31_run "skopeo pull over HTTPS with --src-cert-dir and --src-creds" \
    env REGISTRY_AUTH_FILE="$T31_NOAUTH" skopeo copy --preserve-digests \
    --src-cert-dir "$T31_CERTS" --src-creds "$BERTH_ADMIN_USER:$BERTH_ADMIN_PASSWORD" \
    "docker://$TLS_HOST/t031/app:v1" "oci:$T31_TMP/back:t"
expect_eq "$(t31_ref_digest "$T31_TMP/back" t 2>/dev/null)" "$IMG" \
    "the image pulled over HTTPS has the pushed digest"

# --- clients without the CA
t_begin tls-unknown-ca
rc=0
curl -sS -o /dev/null -m 10 "$TLS_URL/healthz" 2> "$T31_TMP/curl.err" || rc=$?
expect_eq "$rc" 60 "curl without the CA: exit 60 (peer certificate cannot be authenticated)"
rc=0
timeout 120 env REGISTRY_AUTH_FILE="$T31_NOAUTH" skopeo inspect \
    --creds "$BERTH_ADMIN_USER:$BERTH_ADMIN_PASSWORD" "docker://$TLS_HOST/t031/app:v1" \
    > "$T31_TMP/out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && grep -qiE 'x509|certificate' "$T31_TMP/out"; then
    ok "skopeo without the CA fails certificate verification"
else
    not_ok "skopeo without the CA: exit $rc: $(tail -n 2 "$T31_TMP/out" | tr '\n' ' ' |
        cut -c1-300)"
fi
rc=0
curl -sS -o /dev/null -m 10 "http://127.0.0.1:$T31_PORT/healthz" 2> "$T31_TMP/curl.err" ||
    rc=$?
if [ "$rc" -ne 0 ]; then ok "plain HTTP on the HTTPS port fails (curl exit $rc)"
else not_ok "plain HTTP on the HTTPS port answered"; fi

# --- stop the extra gateway
t_begin tls-stop
if [ -n "$T31_PID" ]; then
    kill -TERM "$T31_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$T31_PID" 2>/dev/null || break; sleep 0.1; done
fi
if [ -n "$T31_PID" ] && ! kill -0 "$T31_PID" 2>/dev/null; then
    ok "the HTTPS gateway (pid $T31_PID) stopped on SIGTERM"
    T31_PID=
else
    not_ok "the HTTPS gateway (pid ${T31_PID:-none}) did not stop within 10 s"
fi
