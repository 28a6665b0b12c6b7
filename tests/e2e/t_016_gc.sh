# t_016_gc.sh - background work, run on demand with `berthctl gc`: an idle upload
# is expired (row gone, multipart upload aborted) and a deleted blob is
# collected once its grace period is over (row gone, S3 object gone), while a
# blob another repository still links stays.
# shellcheck shell=bash

T16_CTL=${BERTH_BIN:-build}/berthctl
T16_A=e2e/t016-a
T16_B=e2e/t016-b

t16_gc() { # runs one pass; prints berthctl's output
    env BERTH_PG="$BERTH_PG" BERTH_S3_ENDPOINT="$BERTH_S3_ENDPOINT" \
        BERTH_S3_BUCKET="$BERTH_S3_BUCKET" BERTH_S3_ACCESS_KEY="$BERTH_S3_ACCESS_KEY" \
        BERTH_S3_SECRET_KEY="$BERTH_S3_SECRET_KEY" BERTH_S3_PATH_STYLE=1 \
        BERTH_UPLOAD_TTL=3600 "$T16_CTL" gc
}

t16_push() { # REPO FILE: monolithic upload; prints the digest
    local d
    d=sha256:$(sha256sum < "$2" | cut -d' ' -f1)
    http POST "$BERTH_URL/v2/$1/blobs/uploads/?digest=$d" --data-binary @"$2" \
        -H 'Content-Type: application/octet-stream'
    expect_status 201 >/dev/null
    echo "$d"
}

t_begin gc-expire-upload
head -c $((6 * 1024 * 1024)) /dev/urandom > "$E2E_DIR/t16.big"
http POST "$BERTH_URL/v2/$T16_A/blobs/uploads/"
expect_status 202
T16_LOC=$(hdr location)
T16_ID=${T16_LOC##*/}
http PATCH "$BERTH_URL$T16_LOC" --data-binary @"$E2E_DIR/t16.big" \
    -H 'Content-Type: application/octet-stream'
expect_status 202
expect_eq "$(psql_q "SELECT s3_upload_id IS NOT NULL FROM uploads WHERE id = '$T16_ID'")" t \
    "the 6 MiB chunk started a multipart upload"
psql_q "UPDATE uploads SET updated_at = now() - interval '2 hours' WHERE id = '$T16_ID'" \
    >/dev/null
T16_OUT=$(t16_gc 2>&1) || not_ok "berthctl gc failed: $T16_OUT"
expect_eq "$(psql_q "SELECT count(*) FROM uploads WHERE id = '$T16_ID'")" 0 \
    "the idle upload's row is gone"
http GET "$BERTH_URL$T16_LOC"
expect_status 404
expect_oci_error BLOB_UPLOAD_UNKNOWN

t_begin gc-collect-blob
head -c 3000 /dev/urandom > "$E2E_DIR/t16.one"
head -c 3001 /dev/urandom > "$E2E_DIR/t16.two"
T16_D1=$(t16_push "$T16_A" "$E2E_DIR/t16.one")
T16_D2=$(t16_push "$T16_A" "$E2E_DIR/t16.two")
T16_D2B=$(t16_push "$T16_B" "$E2E_DIR/t16.two")
expect_eq "$T16_D2B" "$T16_D2" "the same bytes in a second repository"
http GET "$BERTH_URL/v2/$T16_A/blobs/$T16_D1"
expect_status 307
T16_URL1=$(hdr location)
http DELETE "$BERTH_URL/v2/$T16_A/blobs/$T16_D1"
expect_status 202
http DELETE "$BERTH_URL/v2/$T16_A/blobs/$T16_D2"
expect_status 202
psql_q "UPDATE gc_queue SET not_before = now() - interval '1 second'
        WHERE digest IN ('$T16_D1', '$T16_D2')" >/dev/null
T16_OUT=$(t16_gc 2>&1) || not_ok "berthctl gc failed: $T16_OUT"
expect_eq "$(psql_q "SELECT count(*) FROM blobs WHERE digest = '$T16_D1'")" 0 \
    "the unreferenced blob's row is gone"
T16_CODE=$(curl -s -o /dev/null -w '%{http_code}' "$T16_URL1")
expect_eq "$T16_CODE" 404 "its S3 object is gone (presigned GET answers 404)"
expect_eq "$(psql_q "SELECT count(*) FROM blobs WHERE digest = '$T16_D2'")" 1 \
    "a blob another repository links stays"
http HEAD "$BERTH_URL/v2/$T16_B/blobs/$T16_D2"
expect_status 200
expect_eq "$(psql_q "SELECT count(*) FROM gc_queue WHERE digest IN ('$T16_D1', '$T16_D2')")" \
    0 "the queue entries are done"
