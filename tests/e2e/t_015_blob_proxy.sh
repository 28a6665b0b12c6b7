# tests/e2e/t_015_blob_proxy.sh - proxy mode (BERTH_BLOB_PROXY=1): this file starts its own
# extra gateway with proxy mode on a free port, against the stack's PostgreSQL and S3, and
# stops it by its PID at the end. GET streams the blob through (200, exact bytes, across
# the gateway's 4 MiB S3 windows); Range: bytes=10-19 gives 206 with Content-Range and
# exactly those bytes; open-ended, suffix and over-long ranges; unsatisfiable ranges give
# 416 with Content-Range bytes */size; HEAD gives the size without a body; the empty blob;
# an unknown blob is 404 BLOB_UNKNOWN.
# Sourced by tests/e2e/run after lib.sh.

REPO=e2e/t015-proxy
W=$(mktemp -d "$E2E_DIR/t015.XXXXXX")

. tests/e2e/blob_lib.sh

# ---- helpers of this file
expect_body() { # FILE WHAT: the last response body is exactly FILE
    if cmp -s "$HTTP_BODY" "$1"; then
        ok "$2: exact bytes ($(stat -c %s "$1"))"
    else
        not_ok "$2: body differs ($(stat -c %s "$HTTP_BODY") bytes, expected $(stat -c %s "$1"))"
    fi
}
slice() { tail -c +$(($2 + 1)) "$1" | head -c "$3"; } # FILE OFF LEN

# ---- the proxy gateway
trap gw_extra_stop EXIT

t_begin proxy-start
UP=0
gw_extra_start t015-proxy BERTH_BLOB_PROXY=1 && UP=1
P=$GW_EXTRA_URL

if [ "$UP" = 1 ]; then
    SIZE=$((5 * MIB + 321))
    mkblob "$W/blob" "$SIZE"
    D=$(digest_of "$W/blob")
    http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$D" --data-binary "@$W/blob"
    expect_status 201

    t_begin proxy-get
    http GET "$P/v2/$REPO/blobs/$D"
    expect_status 200
    expect_header Content-Length "$SIZE"
    expect_header Docker-Content-Digest "$D"
    expect_header Docker-Distribution-API-Version registry/2.0
    expect_body "$W/blob" "GET streams the whole blob"
    http HEAD "$P/v2/$REPO/blobs/$D"
    expect_status 200
    expect_header Content-Length "$SIZE"
    expect_header Docker-Content-Digest "$D"

    t_begin proxy-range
    check_range() { # RANGE OFF LEN: 206, Content-Range and exactly bytes [OFF, OFF+LEN)
        http GET "$P/v2/$REPO/blobs/$D" -H "Range: $1"
        expect_status 206
        expect_header Content-Range "bytes $2-$(($2 + $3 - 1))/$SIZE"
        expect_header Content-Length "$3"
        slice "$W/blob" "$2" "$3" > "$W/want"
        expect_body "$W/want" "Range: $1"
    }
    check_range bytes=10-19 10 10
    check_range bytes=0-0 0 1
    check_range "bytes=$((4 * MIB - 5))-$((4 * MIB + 4))" $((4 * MIB - 5)) 10
    check_range "bytes=$((5 * MIB))-" $((5 * MIB)) 321
    check_range "bytes=$((SIZE - 3))-$((SIZE + 1000))" $((SIZE - 3)) 3
    check_range bytes=-100 $((SIZE - 100)) 100
    check_range "bytes=-$((SIZE + 5000))" 0 "$SIZE"
    check_range "bytes=1-$((SIZE - 1))" 1 $((SIZE - 1))

    t_begin proxy-range-unsatisfiable
    for r in "bytes=$SIZE-" "bytes=$SIZE-$((SIZE + 10))" "bytes=$((SIZE + 1))-" bytes=-0; do
        http GET "$P/v2/$REPO/blobs/$D" -H "Range: $r"
        expect_status 416
        expect_header Content-Range "bytes */$SIZE"
    done

    t_begin proxy-empty-blob
    : > "$W/empty"
    DE=$(digest_of "$W/empty")
    http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$DE" -H 'Content-Length: 0'
    expect_status 201
    http GET "$P/v2/$REPO/blobs/$DE"
    expect_status 200
    expect_header Content-Length 0
    expect_body "$W/empty" "GET of the empty blob"
    http GET "$P/v2/$REPO/blobs/$DE" -H 'Range: bytes=0-0'
    expect_status 416
    expect_header Content-Range "bytes */0"

    t_begin proxy-unknown
    http GET "$P/v2/$REPO/blobs/sha256:$(printf '%064d' 0)"
    expect_status 404
    expect_oci_error BLOB_UNKNOWN
    http GET "$P/v2/$REPO/blobs/sha256:abc"
    expect_status 400
    expect_oci_error DIGEST_INVALID
fi

t_begin proxy-stop
gw_extra_stop --check
trap - EXIT
rm -rf "$W"
