# tests/e2e/t_013_blob_read.sh - reading blobs in redirect mode (the default): HEAD gives
# the exact Content-Length and Docker-Content-Digest with no body; GET gives 307 to a
# presigned S3 URL (X-Amz-Signature, X-Amz-Expires) that plain curl, without any
# Authorization header, fetches byte for byte, from either gateway and with a Range; the
# URL is really signed (a tampered or stripped signature is refused by S3); the gateway
# logs hold neither the signature nor the S3 secret. DELETE gives 202, then HEAD/GET 404
# BLOB_UNKNOWN, a gc_queue row, and the blob still served by a repository that mounted it.
# Sourced by tests/e2e/run after lib.sh.

REPO=e2e/t013-read
W=$(mktemp -d "$E2E_DIR/t013.XXXXXX")
G1=${BERTH_URLS%% *}
G2=${BERTH_URLS##* }

. tests/e2e/blob_lib.sh

# ---- helpers of this file
query_param() { # URL NAME: the value of NAME in URL's query (empty if absent)
    local q=${1#*\?} kv
    [ "$q" = "$1" ] && return 0
    tr '&' '\n' <<< "$q" | while IFS= read -r kv; do
        [ "${kv%%=*}" = "$2" ] && { echo "${kv#*=}"; break; }
    done
}
fetch() { # URL OUT [curl args]: plain curl (no Authorization), prints the status
    local url=$1 out=$2
    shift 2
    curl -s -m 60 -o "$out" -w '%{http_code}' "$@" "$url"
}

mkblob "$W/blob" $((2 * MIB + 7))
D=$(digest_of "$W/blob")
SIZE=$((2 * MIB + 7))
http POST "$G1/v2/$REPO/blobs/uploads/?digest=$D" --data-binary "@$W/blob"
if [ "$HTTP_STATUS" != 201 ]; then
    t_begin read-setup
    not_ok "cannot upload the blob under test (status ${HTTP_STATUS:-none})"
fi

# ---- HEAD
t_begin read-head
for gw in "$G1" "$G2"; do
    http HEAD "$gw/v2/$REPO/blobs/$D"
    expect_status 200
    expect_header Content-Length "$SIZE"
    expect_header Docker-Content-Digest "$D"
    expect_header Docker-Distribution-API-Version registry/2.0
    expect_header_present X-Request-Id
done
# HEAD must send no body: a raw request shows the header block and nothing after it
AUTHZ=
if [ ${#AUTH[@]} -gt 0 ]; then
    AUTHZ="Authorization: Basic $(printf '%s' "${AUTH[1]}" | base64 -w0)"$'\r\n'
fi
RAW=$(printf 'HEAD /v2/%s/blobs/%s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n' \
    "$REPO" "$D" "$AUTHZ" | curl -s -m 10 "telnet://${G1#http://}" | tr -d '\r' |
    sed '1,/^$/d' | wc -c)
expect_eq "$RAW" 0 "HEAD answers with no body bytes"

# ---- GET: 307 to a presigned URL
t_begin read-redirect
SIGS=()
for gw in "$G1" "$G2"; do
    http GET "$gw/v2/$REPO/blobs/$D"
    expect_status 307
    expect_header Docker-Content-Digest "$D"
    expect_header Docker-Distribution-API-Version registry/2.0
    LOC=$(hdr Location)
    case $LOC in
        "$BERTH_S3_ENDPOINT"/*) ok "Location points at S3: ${LOC%%\?*}" ;;
        *) not_ok "Location does not point at $BERTH_S3_ENDPOINT: '$LOC'" ;;
    esac
    SIG=$(query_param "$LOC" X-Amz-Signature)
    EXP=$(query_param "$LOC" X-Amz-Expires)
    if [[ $SIG =~ ^[0-9a-f]{64}$ ]]; then
        ok "X-Amz-Signature present"
        SIGS+=("$SIG")
    else
        not_ok "X-Amz-Signature missing or malformed: '$SIG'"
    fi
    if [[ $EXP =~ ^[0-9]+$ ]] && [ "$EXP" -gt 0 ] && [ "$EXP" -le 604800 ]; then
        ok "X-Amz-Expires=$EXP"
    else
        not_ok "X-Amz-Expires missing or out of range: '$EXP'"
    fi
    expect_eq "$(query_param "$LOC" X-Amz-Algorithm)" AWS4-HMAC-SHA256 "X-Amz-Algorithm"
    expect_eq "$(fetch "$LOC" "$W/back")" 200 "plain curl fetches the presigned URL"
    if cmp -s "$W/back" "$W/blob"; then
        ok "the presigned URL gives exactly the uploaded $SIZE bytes"
    else
        not_ok "the presigned URL gives other bytes ($(stat -c %s "$W/back") bytes)"
    fi
    # a ranged read through the presigned URL
    expect_eq "$(fetch "$LOC" "$W/part" -H 'Range: bytes=10-19')" 206 "ranged fetch is 206"
    if cmp -s "$W/part" <(tail -c +11 "$W/blob" | head -c 10); then
        ok "ranged fetch gives bytes 10-19"
    else
        not_ok "ranged fetch gives other bytes"
    fi
done

# ---- a client following the redirect (curl -L) gets the blob
t_begin read-follow
# (curl drops the gateway's credentials at the redirect to another host and port; a
# presigned URL with an Authorization header as well would be refused by S3)
if curl -sf -L -m 60 -o "$W/follow" ${AUTH[@]+"${AUTH[@]}"} "$G1/v2/$REPO/blobs/$D" &&
    cmp -s "$W/follow" "$W/blob"; then
    ok "curl -L through the gateway gives the blob"
else
    not_ok "curl -L through the gateway does not give the blob"
fi

# ---- the URL is really signed: tampered or stripped signatures are refused by S3
t_begin read-signature-enforced
http GET "$G1/v2/$REPO/blobs/$D"
LOC=$(hdr Location)
SIG=$(query_param "$LOC" X-Amz-Signature)
if [ -n "$SIG" ]; then
    BAD=$(printf '%s' "$SIG" | tr '0-9a-f' '1-9a-f0')
    expect_eq "$(fetch "${LOC/$SIG/$BAD}" "$W/bad")" 403 "S3 refuses a tampered signature"
    expect_eq "$(fetch "${LOC%%\?*}" "$W/bad")" 403 "S3 refuses the URL without a signature"
else
    not_ok "no signature to tamper with in '$LOC'"
fi

# ---- the logs hold the requests, but neither presigned signatures nor the S3 secret
t_begin read-log-secrets
http GET "$G1/v2/$REPO/blobs/$D" -H 'X-Request-Id: t013-log-probe'
SIGS+=("$(query_param "$(hdr Location)" X-Amz-Signature)")
sleep 0.2
LOGS=("$BERTH_STACK_DIR"/logs/berthd-*.log)
if grep -qs -- t013-log-probe "${LOGS[@]}"; then
    ok "the gateway log records the GET (request id t013-log-probe)"
else
    not_ok "no log line for request id t013-log-probe in ${LOGS[*]}"
fi
leaked=0
for s in "${SIGS[@]}"; do
    [ -n "$s" ] && grep -qs -- "$s" "${LOGS[@]}" && leaked=$((leaked + 1))
done
expect_eq "$leaked" 0 "presigned signatures found in the gateway logs (of ${#SIGS[@]})"
if grep -qs -- "$BERTH_S3_SECRET_KEY" "${LOGS[@]}"; then
    not_ok "the S3 secret key appears in the gateway logs"
else
    ok "the S3 secret key is not in the gateway logs"
fi

# ---- DELETE
t_begin read-delete
http POST "$G1/v2/e2e/t013-mount/blobs/uploads/?mount=$D&from=$REPO"
expect_status 201
http DELETE "$G1/v2/$REPO/blobs/$D"
expect_status 202
expect_header Docker-Distribution-API-Version registry/2.0
for gw in "$G1" "$G2"; do
    http HEAD "$gw/v2/$REPO/blobs/$D"
    expect_status 404
    http GET "$gw/v2/$REPO/blobs/$D"
    expect_status 404
    expect_oci_error BLOB_UNKNOWN
done
expect_eq "$(psql_q "select count(*) from gc_queue where digest = '$D'")" 1 \
    "a gc_queue row for $D"
expect_eq "$(psql_q "select count(*) from repository_blobs rb join repositories r
                     on r.id = rb.repository_id where r.name = '$REPO'
                     and rb.digest = '$D'")" 0 "the repository link is gone"
http DELETE "$G1/v2/$REPO/blobs/$D"
expect_status 404
expect_oci_error BLOB_UNKNOWN
# it can no longer be mounted from there
http POST "$G1/v2/e2e/t013-mount2/blobs/uploads/?mount=$D&from=$REPO"
expect_status 202
[ -n "$(hdr Location)" ] && http DELETE "$G1$(hdr Location)"
# the repository that mounted it still serves it
http HEAD "$G1/v2/e2e/t013-mount/blobs/$D"
expect_status 200
expect_header Content-Length "$SIZE"
http GET "$G1/v2/e2e/t013-mount/blobs/$D"
expect_status 307
expect_eq "$(fetch "$(hdr Location)" "$W/back")" 200 "the mounted copy is fetched"
if cmp -s "$W/back" "$W/blob"; then
    ok "the mounted copy gives the same bytes"
else
    not_ok "the mounted copy gives other bytes"
fi
# pushed again, it is back
http POST "$G2/v2/$REPO/blobs/uploads/?digest=$D" --data-binary "@$W/blob"
expect_status 201
http HEAD "$G1/v2/$REPO/blobs/$D"
expect_status 200
expect_header Content-Length "$SIZE"
rm -rf "$W"
