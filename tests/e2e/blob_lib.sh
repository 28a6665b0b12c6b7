# tests/e2e/blob_lib.sh - helpers shared by the blob test files (t_01x): making blobs,
# starting and driving uploads, counting rows and S3 multipart uploads, reading blobs back.
# A test file sources it after setting W (its scratch directory), after lib.sh:
#
#   . tests/e2e/blob_lib.sh
#
#   AUTH                        curl arguments with the stack admin's credentials (for the
#                               raw curl calls that do not go through lib.sh's http)
#   digest_of FILE [ALGO]       mkblob FILE BYTES        with_q URL PARAM
#   abs_url BASE LOCATION       on_gw BASE URL           upload_start BASE REPO [QUERY]
#   send_chunk BASE FILE OFF LEN                         progress BASE OFFSET
#   upload_rows ID  upload_offset ID  blob_rows DIGEST  repo_uploads REPO
#   s3_req METHOD KEY-OR-QUERY  s3_multipart_count KEY  s3_object_status KEY
#   expect_created REPO DIGEST  head_check BASE REPO DIGEST SIZE
#   readback BASE REPO DIGEST FILE

MIB=1048576
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

AUTH=()
if [ -n "${BERTH_ADMIN_PASSWORD:-}" ]; then
    AUTH=(-u "${BERTH_ADMIN_USER:-admin}:$BERTH_ADMIN_PASSWORD")
fi

digest_of() { # FILE [sha256|sha512]
    local a=${2:-sha256}
    echo "$a:$("${a}sum" "$1" | cut -d' ' -f1)"
}
mkblob() { head -c "$2" /dev/urandom > "$1"; } # FILE BYTES
with_q() { # URL PARAM: URL with PARAM appended to its query
    case $1 in *\?*) echo "$1&$2" ;; *) echo "$1?$2" ;; esac
}
abs_url() { # BASE LOCATION: LOCATION made absolute against BASE
    case $2 in http://*|https://*) echo "$2" ;; *) echo "$1$2" ;; esac
}
on_gw() { # BASE URL: URL's path and query on gateway BASE
    local rest=${2#http://}
    echo "$1/${rest#*/}"
}

upload_start() { # BASE REPO [QUERY]: POST, sets UP_URL (absolute Location) and UP_ID
    http POST "$1/v2/$2/blobs/uploads/${3:+?$3}"
    UP_URL=
    UP_ID=
    expect_status 202 || return 1
    UP_URL=$(abs_url "$1" "$(hdr Location)")
    UP_ID=$(hdr Docker-Upload-UUID)
    expect_eq "${UP_URL##*/}" "$UP_ID" "Location ends with Docker-Upload-UUID"
}

# send_chunk BASE FILE OFF LEN: PATCH bytes [OFF, OFF+LEN) of FILE with Content-Range to
# UP_URL's path on gateway BASE; expects 202 and Range 0-<OFF+LEN-1>; follows Location
send_chunk() {
    local base=$1 f=$2 off=$3 len=$4 end=$(($3 + $4 - 1))
    tail -c +$((off + 1)) "$f" | head -c "$len" > "$W/chunk"
    http PATCH "$(on_gw "$base" "$UP_URL")" -H "Content-Range: $off-$end" \
        -H 'Content-Type: application/octet-stream' --data-binary "@$W/chunk"
    expect_status 202 || return 1
    expect_header Range "0-$end"
    [ -n "$(hdr Location)" ] && UP_URL=$(abs_url "$base" "$(hdr Location)")
    return 0
}

progress() { # BASE OFFSET: GET UP_URL on BASE gives 204, Range 0-<OFFSET-1>, UP_ID, Location
    http GET "$(on_gw "$1" "$UP_URL")"
    expect_status 204
    expect_header Range "0-$(($2 - 1))"
    expect_header Docker-Upload-UUID "$UP_ID"
    expect_header Location "/${UP_URL#http://*/}"
}

upload_rows() { psql_q "select count(*) from uploads where id::text = '$1'"; }
upload_offset() { psql_q "select \"offset\" from uploads where id::text = '$1'"; }
blob_rows() { psql_q "select count(*) from blobs where digest = '$1'"; }
repo_uploads() { # REPO: upload rows left in REPO
    psql_q "select count(*) from uploads u join repositories r on r.id = u.repository_id
            where r.name = '$1'"
}

s3_req() { # METHOD KEY-OR-QUERY: signed S3 request on the bucket, prints the status
    curl -s -m 30 -o "$W/s3.out" -w '%{http_code}' -X "$1" --aws-sigv4 "aws:amz:us-east-1:s3" \
        -u "$BERTH_S3_ACCESS_KEY:$BERTH_S3_SECRET_KEY" -H "x-amz-content-sha256: $EMPTY_SHA" \
        "$BERTH_S3_ENDPOINT/$BERTH_S3_BUCKET$2"
}
s3_multipart_count() { # KEY: multipart uploads in progress under KEY (empty if S3 failed)
    [ "$(s3_req GET "?prefix=${1//\//%2F}&uploads=")" = 200 ] || return 0
    grep -o '<UploadId>' "$W/s3.out" | wc -l
}
s3_object_status() { # KEY: HTTP status of a GET of the object (404: not there)
    s3_req GET "/$1"
}

expect_created() { # REPO DIGEST: the last answer is the spec's 201 for that blob
    expect_status 201 || return 1
    expect_header Location "/v2/$1/blobs/$2"
    expect_header Docker-Content-Digest "$2"
}
head_check() { # BASE REPO DIGEST SIZE
    http HEAD "$1/v2/$2/blobs/$3"
    expect_status 200 || return 1
    expect_header Content-Length "$4"
    expect_header Docker-Content-Digest "$3"
}
readback() { # BASE REPO DIGEST FILE: GET -> 307; the Location, fetched plainly, gives FILE
    local loc
    http GET "$1/v2/$2/blobs/$3"
    expect_status 307 || return 1
    loc=$(hdr Location)
    rm -f "$W/readback"
    if [ -z "$loc" ]; then
        not_ok "307 without Location"
    elif ! curl -sf -m 60 -o "$W/readback" "$loc"; then
        not_ok "fetching the 307 Location failed: $loc"
    elif cmp -s "$W/readback" "$4"; then
        ok "bytes read back through the 307 equal the uploaded $(stat -c %s "$4") bytes"
    else
        not_ok "bytes read back differ ($(stat -c %s "$W/readback") vs $(stat -c %s "$4"))"
    fi
}
