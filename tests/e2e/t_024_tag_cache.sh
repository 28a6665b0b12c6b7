# t_024_tag_cache.sh - a tag moved or deleted, a manifest deleted or a blob
# deleted on one gateway is seen by the other, which caches manifests and blob
# lookups (mcache.c, invalidated through LISTEN/NOTIFY). Also: a manifest
# served from the cache is byte-identical.
# shellcheck shell=bash

T24_REPO=t024/cache
read -r GW1 GW2 <<< "$BERTH_URLS"
T24_EMPTY=sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a

t24_manifest() { # LABEL: a small OCI manifest, distinct per label
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
    printf '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},' \
        "$T24_EMPTY"
    printf '"layers":[],"annotations":{"label":"%s"}}' "$1"
}

t24_put() { # GATEWAY LABEL TAG: pushes and prints the digest
    t24_manifest "$2" > "$E2E_DIR/t24.json"
    http PUT "$1/v2/$T24_REPO/manifests/$3" \
        -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
        --data-binary @"$E2E_DIR/t24.json"
    expect_status 201 >/dev/null
    hdr docker-content-digest
}

t24_digest_on() { # GATEWAY TAG: the digest GET by tag answers (or the status)
    http GET "$1/v2/$T24_REPO/manifests/$2" \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json'
    if [ "$HTTP_STATUS" = 200 ]; then hdr docker-content-digest; else echo "$HTTP_STATUS"; fi
}

t24_wait_for() { # GATEWAY TAG WANT: polls up to 2 s; prints what it saw last
    local i got
    for i in $(seq 1 40); do
        got=$(t24_digest_on "$1" "$2")
        [ "$got" = "$3" ] && break
        sleep 0.05
    done
    echo "$got"
}

t_begin tag-cache-setup
http POST "$GW1/v2/$T24_REPO/blobs/uploads/?digest=$T24_EMPTY" --data-binary '{}' \
    -H 'Content-Type: application/octet-stream'
expect_status 201
D1=$(t24_put "$GW1" one v1)
expect_eq "$(t24_digest_on "$GW2" v1)" "$D1" "gateway 2 serves v1 (and caches it)"
expect_eq "$(t24_digest_on "$GW2" v1)" "$D1" "gateway 2 serves v1 again"
http GET "$GW2/v2/$T24_REPO/manifests/v1"
expect_eq "$(sha256sum < "$HTTP_BODY" | cut -d' ' -f1)" "${D1#sha256:}" \
    "the cached body hashes to its digest"
expect_header content-type application/vnd.oci.image.manifest.v1+json

t_begin tag-cache-move
D2=$(t24_put "$GW1" two v1)
expect_eq "$(t24_digest_on "$GW1" v1)" "$D2" "the writing gateway sees the move at once"
expect_eq "$(t24_wait_for "$GW2" v1 "$D2")" "$D2" "the other gateway sees the move"
for i in 1 2 3; do
    expect_eq "$(t24_digest_on "$GW2" v1)" "$D2" "the other gateway keeps the new digest ($i)"
done

t_begin tag-cache-delete-tag
http DELETE "$GW1/v2/$T24_REPO/manifests/v1"
expect_status 202
expect_eq "$(t24_wait_for "$GW2" v1 404)" 404 "a deleted tag is gone on the other gateway"

t_begin tag-cache-delete-manifest
D3=$(t24_put "$GW1" three v3)
expect_eq "$(t24_digest_on "$GW2" v3)" "$D3" "gateway 2 caches v3"
http DELETE "$GW1/v2/$T24_REPO/manifests/$D3"
expect_status 202
expect_eq "$(t24_wait_for "$GW2" v3 404)" 404 "a deleted manifest's tag is gone on gateway 2"

t_begin blob-cache-delete
T24_BLOB=$E2E_DIR/t24.blob
head -c 4096 /dev/urandom > "$T24_BLOB"
T24_BD=sha256:$(sha256sum < "$T24_BLOB" | cut -d' ' -f1)
http POST "$GW1/v2/$T24_REPO/blobs/uploads/?digest=$T24_BD" --data-binary @"$T24_BLOB" \
    -H 'Content-Type: application/octet-stream'
expect_status 201
http HEAD "$GW2/v2/$T24_REPO/blobs/$T24_BD"
expect_status 200
expect_header content-length 4096
http HEAD "$GW2/v2/$T24_REPO/blobs/$T24_BD"
expect_status 200
http DELETE "$GW1/v2/$T24_REPO/blobs/$T24_BD"
expect_status 202
for i in $(seq 1 40); do
    http HEAD "$GW2/v2/$T24_REPO/blobs/$T24_BD"
    [ "$HTTP_STATUS" = 404 ] && break
    sleep 0.05
done
expect_status 404
http GET "$GW2/v2/$T24_REPO/blobs/$T24_BD"
expect_status 404
expect_oci_error BLOB_UNKNOWN
