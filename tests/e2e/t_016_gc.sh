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

# ---- deleting a manifest gives its blobs back, after the grace period
T16_M=e2e/t016-m
T16_N=e2e/t016-n

t16_manifest() { # FILE CONFIG-FILE LAYER-FILE...: an OCI image manifest of those blobs
    local out=$1 cfg=$2 layers="" f
    shift 2
    for f in "$@"; do
        layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\
\"digest\":\"sha256:$(sha256sum < "$f" | cut -d' ' -f1)\",\"size\":$(stat -c %s "$f")}"
    done
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",%s%s}' \
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\
\"digest\":\"sha256:$(sha256sum < "$cfg" | cut -d' ' -f1)\",\"size\":$(stat -c %s "$cfg")}," \
        "\"layers\":[$layers]" > "$out"
}

t16_put_manifest() { # REPO TAG FILE: prints the manifest's digest
    http PUT "$BERTH_URL/v2/$1/manifests/$2" --data-binary @"$3" \
        -H 'Content-Type: application/vnd.oci.image.manifest.v1+json'
    expect_status 201 >/dev/null
    hdr Docker-Content-Digest
}

t16_linked() { # REPO DIGEST: 1 when the repository links the blob, else 0
    psql_q "SELECT count(*) FROM repository_blobs rb JOIN repositories r
            ON r.id = rb.repository_id WHERE r.name = '$1' AND rb.digest = '$2'"
}

t16_due() { psql_q "UPDATE gc_queue SET not_before = now() - interval '1 second'" >/dev/null; }

t_begin gc-manifest-delete
for f in cfg1 cfg2 l1 l2 l3; do head -c 2500 /dev/urandom > "$E2E_DIR/t16.$f"; done
T16_C1=$(t16_push "$T16_M" "$E2E_DIR/t16.cfg1")
T16_C2=$(t16_push "$T16_M" "$E2E_DIR/t16.cfg2")
T16_L1=$(t16_push "$T16_M" "$E2E_DIR/t16.l1")
T16_L2=$(t16_push "$T16_M" "$E2E_DIR/t16.l2")
t16_push "$T16_N" "$E2E_DIR/t16.l1" > /dev/null # l1 lives in another repository too
t16_manifest "$E2E_DIR/t16.m1" "$E2E_DIR/t16.cfg1" "$E2E_DIR/t16.l1" "$E2E_DIR/t16.l2"
t16_manifest "$E2E_DIR/t16.m2" "$E2E_DIR/t16.cfg2" "$E2E_DIR/t16.l2"
T16_M1=$(t16_put_manifest "$T16_M" v1 "$E2E_DIR/t16.m1")
T16_M2=$(t16_put_manifest "$T16_M" v2 "$E2E_DIR/t16.m2")
http GET "$BERTH_URL/v2/$T16_M/blobs/$T16_C1"
expect_status 307
T16_URL_C1=$(hdr location)
http DELETE "$BERTH_URL/v2/$T16_M/manifests/$T16_M1"
expect_status 202
expect_eq "$(psql_q "SELECT count(*) FROM gc_queue WHERE repository_id IS NOT NULL
                     AND digest IN ('$T16_C1', '$T16_L1', '$T16_L2')")" 3 \
    "the manifest's three blobs are queued for review"
http HEAD "$BERTH_URL/v2/$T16_M/blobs/$T16_C1"
expect_status 200 # within the grace period the links stay (the spec's blob DELETE still works)
T16_OUT=$(t16_gc 2>&1) || not_ok "berthctl gc failed: $T16_OUT"
expect_eq "$(t16_linked "$T16_M" "$T16_C1")" 1 "a pass before the grace period ends unlinks nothing"

t16_due
T16_OUT=$(t16_gc 2>&1) || not_ok "berthctl gc failed: $T16_OUT"
expect_eq "$(t16_linked "$T16_M" "$T16_C1")" 0 "the deleted manifest's own config is unlinked"
http HEAD "$BERTH_URL/v2/$T16_M/blobs/$T16_C1"
expect_status 404
expect_eq "$(psql_q "SELECT count(*) FROM blobs WHERE digest = '$T16_C1'")" 0 \
    "nothing else links it: its row is gone"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$T16_URL_C1")" 404 "and its S3 object"
expect_eq "$(t16_linked "$T16_M" "$T16_L1")" 0 "its own layer is unlinked"
expect_eq "$(psql_q "SELECT count(*) FROM blobs WHERE digest = '$T16_L1'")" 1 \
    "a layer another repository links keeps its row"
http HEAD "$BERTH_URL/v2/$T16_N/blobs/$T16_L1"
expect_status 200
expect_eq "$(t16_linked "$T16_M" "$T16_L2")" 1 "a layer the remaining manifest uses stays"
http GET "$BERTH_URL/v2/$T16_M/manifests/v2"
expect_status 200
for d in "$T16_C2" "$T16_L2"; do
    http GET "$BERTH_URL/v2/$T16_M/blobs/$d"
    expect_status 307
done
expect_eq "$(psql_q "SELECT count(*) FROM gc_queue
                     WHERE digest IN ('$T16_C1', '$T16_L1', '$T16_L2')")" 0 \
    "the queue entries are done"

t_begin gc-manifest-delete-repushed
# the image is deleted, then its blobs pushed again before the grace period ends: kept
T16_L3=$(t16_push "$T16_M" "$E2E_DIR/t16.l3")
t16_manifest "$E2E_DIR/t16.m3" "$E2E_DIR/t16.cfg2" "$E2E_DIR/t16.l3"
T16_M3=$(t16_put_manifest "$T16_M" v3 "$E2E_DIR/t16.m3")
http DELETE "$BERTH_URL/v2/$T16_M/manifests/$T16_M3"
expect_status 202
sleep 0.01
expect_eq "$(t16_push "$T16_M" "$E2E_DIR/t16.l3")" "$T16_L3" "the layer pushed again"
t16_due
T16_OUT=$(t16_gc 2>&1) || not_ok "berthctl gc failed: $T16_OUT"
expect_eq "$(t16_linked "$T16_M" "$T16_L3")" 1 "a blob linked again after the delete stays"
expect_eq "$(t16_linked "$T16_M" "$T16_C2")" 1 "the config manifest v2 still uses stays"
