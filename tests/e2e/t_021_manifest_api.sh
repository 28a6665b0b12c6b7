# tests/e2e/t_021_manifest_api.sh - the manifest API by curl: PUT by tag and by digest,
# GET/HEAD headers and exact bytes, several tags in one PUT (?tag= and OCI-Tag), DELETE of a
# tag and of a digest, Docker media types and indexes, and every rejection (MANIFEST_INVALID,
# MANIFEST_BLOB_UNKNOWN, DIGEST_INVALID, 413 above 4 MiB) with no row changed by it.
# Sourced by tests/e2e/run after lib.sh. Repositories: t021/*.
# shellcheck shell=bash

T21_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t021.XXXXXX")
T21_REPO=t021/api
T21_OTHER=t021/other
T21_NEW=t021/never-created
T21_OCI=application/vnd.oci.image.manifest.v1+json
T21_IDX=application/vnd.oci.image.index.v1+json
T21_DOCKER=application/vnd.docker.distribution.manifest.v2+json
T21_DLIST=application/vnd.docker.distribution.manifest.list.v2+json
T21_DCFG=application/vnd.docker.container.image.v1+json
T21_LAYER=application/vnd.oci.image.layer.v1.tar+gzip

# Rerunnable against a kept stack: forget what an earlier run of this file left behind.
psql_q "delete from repositories where name like 't021/%'" > /dev/null

# Credentials for the requests sent without lib.sh's http (which adds them itself).
T21_AUTH=()
if [ -n "${BERTH_ADMIN_PASSWORD:-}" ]; then
    T21_AUTH=(-u "${BERTH_ADMIN_USER:-admin}:$BERTH_ADMIN_PASSWORD")
fi

t21_sha() { # FILE: its sha256 digest
    echo "sha256:$(sha256sum < "$1" | cut -d' ' -f1)"
}

t21_push_blob() { # REPO FILE: monolithic POST ?digest=, expects 201
    local d
    d=$(t21_sha "$2")
    http POST "$BERTH_URL/v2/$1/blobs/uploads/?digest=$d" --data-binary @"$2" \
        -H 'Content-Type: application/octet-stream'
    expect_status 201
}

t21_put() { # REPO REF FILE CONTENT-TYPE [curl args...]
    local repo=$1 ref=$2 file=$3 ctype=$4
    shift 4
    http PUT "$BERTH_URL/v2/$repo/manifests/$ref" --data-binary @"$file" \
        -H "Content-Type: $ctype" "$@"
}

t21_counts() { # rows in every table a manifest PUT or DELETE writes
    psql_q "select (select count(*) from repositories) || ' ' ||
                   (select count(*) from manifests) || ' ' ||
                   (select count(*) from manifest_blobs) || ' ' ||
                   (select count(*) from manifest_children) || ' ' ||
                   (select count(*) from tags)"
}

t21_desc() { # MEDIATYPE FILE: a descriptor of FILE
    printf '{"mediaType":"%s","digest":"%s","size":%s}' "$1" "$(t21_sha "$2")" \
        "$(stat -c %s "$2")"
}

# t21_reject NAME STATUS CODE REPO REF FILE CTYPE [curl args]: the PUT is refused with
# STATUS and CODE (CODE "-" means any body), and no row of any manifest table changed
t21_reject() {
    local name=$1 status=$2 code=$3 repo=$4 ref=$5 file=$6 ctype=$7 before after
    shift 7
    t_begin "manifest-reject-$name"
    before=$(t21_counts)
    t21_put "$repo" "$ref" "$file" "$ctype" "$@"
    expect_status "$status"
    [ "$code" = - ] || expect_oci_error "$code"
    after=$(t21_counts)
    expect_eq "$after" "$before" "rows (repos manifests blobs children tags) unchanged"
}

# --- blobs: a config and two layers in the repository, one layer only in another repository
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' \
    > "$T21_TMP/config"
printf 'layer one %s' "$RANDOM" > "$T21_TMP/layer1"
printf 'layer two %s' "$RANDOM" > "$T21_TMP/layer2"
printf 'foreign layer %s' "$RANDOM" > "$T21_TMP/layer3"
t_begin manifest-setup-blobs
for f in config layer1 layer2; do t21_push_blob "$T21_REPO" "$T21_TMP/$f"; done
t21_push_blob "$T21_OTHER" "$T21_TMP/layer3"

CFG=$(t21_desc "$T21_OCI" "$T21_TMP/config")
CFG=${CFG/$T21_OCI/application/vnd.oci.image.config.v1+json}
L1=$(t21_desc "$T21_LAYER" "$T21_TMP/layer1")
L2=$(t21_desc "$T21_LAYER" "$T21_TMP/layer2")
L3=$(t21_desc "$T21_LAYER" "$T21_TMP/layer3")

# Deliberately not canonical JSON (indentation, key order): the bytes must come back as sent.
printf '{\n  "schemaVersion": 2,\n  "mediaType": "%s",\n  "config": %s,\n' "$T21_OCI" "$CFG" \
    > "$T21_TMP/m1"
printf '  "layers": [ %s,\n    %s ]\n}\n' "$L1" "$L2" >> "$T21_TMP/m1"
M1=$(t21_sha "$T21_TMP/m1")
M1_SIZE=$(stat -c %s "$T21_TMP/m1")
printf '{"layers":[%s],"config":%s,"schemaVersion":2,"mediaType":"%s",%s}' \
    "$L2" "$CFG" "$T21_OCI" '"annotations":{"org.example.n":"2"}' > "$T21_TMP/m2"
M2=$(t21_sha "$T21_TMP/m2")

# --- PUT by tag
t_begin manifest-put-tag
before=$(t21_counts)
t21_put "$T21_REPO" v1 "$T21_TMP/m1" "$T21_OCI"
expect_status 201
expect_header Location "/v2/$T21_REPO/manifests/$M1"
expect_header Docker-Content-Digest "$M1"
expect_eq "$(hdr OCI-Tag)" v1 "OCI-Tag names the reference tag"
expect_eq "$(hdr OCI-Subject)" "" "no OCI-Subject without a subject"
read -r r0 m0 b0 c0 g0 <<< "$before"
read -r r1 m1 b1 c1 g1 <<< "$(t21_counts)"
expect_eq "$((r1 - r0)) $((m1 - m0)) $((b1 - b0)) $((c1 - c0)) $((g1 - g0))" "0 1 3 0 1" \
    "one manifest, three blob links, one tag added (the blob upload made the repository)"

# --- GET and HEAD by tag and by digest
t21_check_get() { # REF: GET answers the exact bytes of m1 with its headers
    http GET "$BERTH_URL/v2/$T21_REPO/manifests/$1"
    expect_status 200
    expect_header Content-Type "$T21_OCI"
    expect_header Docker-Content-Digest "$M1"
    expect_header Content-Length "$M1_SIZE"
    expect_header Docker-Distribution-API-Version registry/2.0
    expect_eq "$(t21_sha "$HTTP_BODY")" "$M1" "sha256 of the body is Docker-Content-Digest"
    if cmp -s "$HTTP_BODY" "$T21_TMP/m1"; then ok "body is the exact bytes PUT"
    else not_ok "body differs from the bytes PUT"; fi
}
t21_head_body_bytes() { # PATH: bytes after the headers of a raw HTTP/1.0 HEAD
    local hostport=${BERTH_URL#http://}
    exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"
    local auth=
    if [ -n "${BERTH_ADMIN_PASSWORD:-}" ]; then
        auth="Authorization: Basic $(printf '%s:%s' "${BERTH_ADMIN_USER:-admin}" \
            "$BERTH_ADMIN_PASSWORD" | base64 -w0)"$'\r\n'
    fi
    printf 'HEAD %s HTTP/1.0\r\nHost: %s\r\n%s\r\n' "$1" "$hostport" "$auth" >&3
    timeout 10 cat <&3 > "$T21_TMP/raw-head"
    exec 3<&-
    awk 'BEGIN { RS = "\r\n\r\n" } NR > 1 { n += length($0) } END { print n + 0 }' \
        "$T21_TMP/raw-head"
}
t21_check_head() { # REF
    http HEAD "$BERTH_URL/v2/$T21_REPO/manifests/$1"
    expect_status 200
    expect_header Content-Type "$T21_OCI"
    expect_header Docker-Content-Digest "$M1"
    expect_header Content-Length "$M1_SIZE"
    expect_eq "$(t21_head_body_bytes "/v2/$T21_REPO/manifests/$1")" 0 "HEAD sends no body"
}
t_begin manifest-get-tag
t21_check_get v1
t_begin manifest-get-digest
t21_check_get "$M1"
t_begin manifest-head-tag
t21_check_head v1
t_begin manifest-head-digest
t21_check_head "$M1"
t_begin manifest-get-other-gateway
for url in ${BERTH_URLS:-}; do
    http GET "$url/v2/$T21_REPO/manifests/v1"
    expect_status 200
    expect_eq "$(t21_sha "$HTTP_BODY")" "$M1" "$url serves the same bytes"
done

t_begin manifest-put-same-again
t21_put "$T21_REPO" v1 "$T21_TMP/m1" "$T21_OCI"
expect_status 201
expect_header Docker-Content-Digest "$M1"

# --- PUT by digest: no tag is created
t_begin manifest-put-digest
tags_before=$(psql_q "select count(*) from tags")
t21_put "$T21_REPO" "$M2" "$T21_TMP/m2" "$T21_OCI"
expect_status 201
expect_header Location "/v2/$T21_REPO/manifests/$M2"
expect_header Docker-Content-Digest "$M2"
expect_eq "$(hdr OCI-Tag)" "" "no OCI-Tag for a PUT by digest without ?tag="
expect_eq "$(psql_q "select count(*) from tags")" "$tags_before" "no tag row added"
http GET "$BERTH_URL/v2/$T21_REPO/manifests/$M2"
expect_status 200
if cmp -s "$HTTP_BODY" "$T21_TMP/m2"; then ok "GET by digest returns the bytes PUT"
else not_ok "GET by digest returned other bytes"; fi

# --- PUT by a sha512 digest, and a manifest without mediaType (the Content-Type says it)
t_begin manifest-put-sha512
printf '{"schemaVersion":2,"config":%s,"layers":[%s],"annotations":{"k":"512"}}' "$CFG" "$L1" \
    > "$T21_TMP/m512"
M512=sha512:$(sha512sum < "$T21_TMP/m512" | cut -d' ' -f1)
t21_put "$T21_REPO" "$M512" "$T21_TMP/m512" "$T21_OCI"
expect_status 201
expect_header Docker-Content-Digest "$M512"
expect_header Location "/v2/$T21_REPO/manifests/$M512"
http GET "$BERTH_URL/v2/$T21_REPO/manifests/$M512"
expect_status 200
expect_header Content-Type "$T21_OCI"
expect_header Docker-Content-Digest "$M512"
if cmp -s "$HTTP_BODY" "$T21_TMP/m512"; then ok "sha512 manifest bytes kept"
else not_ok "sha512 manifest bytes differ"; fi
t21_reject digest-mismatch-sha512 400 DIGEST_INVALID "$T21_REPO" \
    "sha512:$(sha512sum < "$T21_TMP/m1" | cut -d' ' -f1)" "$T21_TMP/m512" "$T21_OCI"

# --- several tags in one PUT
t_begin manifest-put-multi-tag-digest
t21_put "$T21_REPO" "$M2?tag=a1&tag=a2" "$T21_TMP/m2" "$T21_OCI"
expect_status 201
expect_eq "$(hdr OCI-Tag | sort | paste -sd,)" "a1,a2" "OCI-Tag headers a1 and a2"
expect_header Docker-Content-Digest "$M2"
for t in a1 a2; do
    http GET "$BERTH_URL/v2/$T21_REPO/manifests/$t"
    expect_header Docker-Content-Digest "$M2"
done

t_begin manifest-put-multi-tag-ref
t21_put "$T21_REPO" "v2?tag=v3&tag=v4" "$T21_TMP/m2" "$T21_OCI"
expect_status 201
expect_eq "$(hdr OCI-Tag | sort | paste -sd,)" "v2,v3,v4" "OCI-Tag headers v2, v3, v4"
for t in v2 v3 v4; do
    http HEAD "$BERTH_URL/v2/$T21_REPO/manifests/$t"
    expect_status 200
    expect_header Docker-Content-Digest "$M2"
done

t_begin manifest-put-repeated-tag
# The same tag twice (reference and ?tag=, or two ?tag=) is one tag, never a 500.
t21_put "$T21_REPO" "r1?tag=r1&tag=r2&tag=r2" "$T21_TMP/m2" "$T21_OCI"
expect_status 201
expect_eq "$(hdr OCI-Tag | sort -u | paste -sd,)" "r1,r2" "OCI-Tag headers r1 and r2"
http GET "$BERTH_URL/v2/$T21_REPO/manifests/r2"
expect_status 200

# --- DELETE a tag: the manifest and its other tags stay
t_begin manifest-delete-tag
http DELETE "$BERTH_URL/v2/$T21_REPO/manifests/v3"
expect_status 202
http GET "$BERTH_URL/v2/$T21_REPO/manifests/v3"
expect_status 404
expect_oci_error MANIFEST_UNKNOWN
for t in v2 v4 a1 a2 "$M2"; do
    http GET "$BERTH_URL/v2/$T21_REPO/manifests/$t"
    expect_status 200
done
http DELETE "$BERTH_URL/v2/$T21_REPO/manifests/v3"
expect_status 404
expect_oci_error MANIFEST_UNKNOWN

# --- DELETE by digest: the manifest and every tag of it go
t_begin manifest-delete-digest
http DELETE "$BERTH_URL/v2/$T21_REPO/manifests/$M2"
expect_status 202
for t in "$M2" v2 v4 a1 a2 r1 r2; do
    http GET "$BERTH_URL/v2/$T21_REPO/manifests/$t"
    expect_status 404
    expect_oci_error MANIFEST_UNKNOWN
done
http HEAD "$BERTH_URL/v2/$T21_REPO/manifests/$M2"
expect_status 404
http GET "$BERTH_URL/v2/$T21_REPO/tags/list"
expect_eq "$(jqb '.tags | join(",")')" v1 "only v1 is left in the tag list"
expect_eq "$(psql_q "select count(*) from manifests where digest = '$M2'")" 0 \
    "no manifest row for the deleted digest"
http DELETE "$BERTH_URL/v2/$T21_REPO/manifests/$M2"
expect_status 404
expect_oci_error MANIFEST_UNKNOWN
http GET "$BERTH_URL/v2/$T21_REPO/manifests/v1"
expect_status 200

t_begin manifest-unknown
http GET "$BERTH_URL/v2/$T21_REPO/manifests/nope"
expect_status 404
expect_oci_error MANIFEST_UNKNOWN
http GET "$BERTH_URL/v2/$T21_REPO/manifests/sha256:$(printf '%064d' 0)"
expect_status 404
expect_oci_error MANIFEST_UNKNOWN
http HEAD "$BERTH_URL/v2/$T21_NEW/manifests/latest"
expect_status 404

# --- concurrent PUTs through both gateways: every one 201, one tag row, one manifest row
t_begin manifest-concurrent
read -ra T21_GW <<< "${BERTH_URLS:-$BERTH_URL}"
for i in $(seq 1 16); do
    printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s],%s}' "$T21_OCI" \
        "$CFG" "$L1" "\"annotations\":{\"i\":\"$i\"}" > "$T21_TMP/race$i"
done
for i in $(seq 1 16); do
    curl -sS "${T21_AUTH[@]}" -o /dev/null -w '%{http_code}\n' -X PUT \
        --data-binary @"$T21_TMP/race$i" \
        -H "Content-Type: $T21_OCI" \
        "${T21_GW[i % ${#T21_GW[@]}]}/v2/$T21_REPO/manifests/race?tag=race2" &
    curl -sS "${T21_AUTH[@]}" -o /dev/null -w '%{http_code}\n' -X PUT \
        --data-binary @"$T21_TMP/race1" \
        -H "Content-Type: $T21_OCI" \
        "${T21_GW[(i + 1) % ${#T21_GW[@]}]}/v2/$T21_REPO/manifests/same$((i % 2))" &
done > "$T21_TMP/race-codes"
wait
expect_eq "$(sort "$T21_TMP/race-codes" | uniq -c | sed 's/^ *//')" "32 201" "32 PUTs, all 201"
http GET "$BERTH_URL/v2/$T21_REPO/manifests/race"
expect_status 200
race=$(hdr Docker-Content-Digest)
http GET "$BERTH_URL/v2/$T21_REPO/manifests/race2"
expect_header Docker-Content-Digest "$race"
expect_eq "$(psql_q "select count(*) from tags t join repositories r on r.id = t.repository_id
    where r.name = '$T21_REPO' and t.name in ('race', 'race2', 'same0', 'same1')")" 4 \
    "one row per tag"
expect_eq "$(psql_q "select count(*) from manifests
    where digest = '$(t21_sha "$T21_TMP/race1")'")" 1 "one row for the manifest PUT 17 times"

# --- Docker media types and indexes
t_begin manifest-docker-v2
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$T21_DOCKER" \
    "$(t21_desc "$T21_DCFG" "$T21_TMP/config")" \
    "$(t21_desc application/vnd.docker.image.rootfs.diff.tar.gzip "$T21_TMP/layer1")" \
    > "$T21_TMP/d1"
D1=$(t21_sha "$T21_TMP/d1")
t21_put "$T21_REPO" docker "$T21_TMP/d1" "$T21_DOCKER"
expect_status 201
expect_header Docker-Content-Digest "$D1"
http GET "$BERTH_URL/v2/$T21_REPO/manifests/docker"
expect_header Content-Type "$T21_DOCKER"
expect_eq "$(t21_sha "$HTTP_BODY")" "$D1" "Docker manifest bytes kept"

t_begin manifest-docker-list
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' "$T21_DLIST" \
    "$(t21_desc "$T21_DOCKER" "$T21_TMP/d1" |
        sed 's/}$/,"platform":{"architecture":"amd64","os":"linux"}}/')" \
    > "$T21_TMP/dl"
DL=$(t21_sha "$T21_TMP/dl")
t21_put "$T21_REPO" dlist "$T21_TMP/dl" "$T21_DLIST"
expect_status 201
http GET "$BERTH_URL/v2/$T21_REPO/manifests/dlist"
expect_header Content-Type "$T21_DLIST"
expect_header Docker-Content-Digest "$DL"

t_begin manifest-oci-index
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' "$T21_IDX" \
    "$(t21_desc "$T21_OCI" "$T21_TMP/m1")" > "$T21_TMP/i1"
I1=$(t21_sha "$T21_TMP/i1")
before=$(t21_counts)
t21_put "$T21_REPO" index "$T21_TMP/i1" "$T21_IDX"
expect_status 201
expect_header Docker-Content-Digest "$I1"
expect_eq "$(psql_q "select count(*) from manifest_children c join manifests m
    on m.id = c.manifest_id where m.digest = '$I1' and c.child_digest = '$M1'")" 1 \
    "index child recorded"
http GET "$BERTH_URL/v2/$T21_REPO/manifests/index"
expect_header Content-Type "$T21_IDX"
if cmp -s "$HTTP_BODY" "$T21_TMP/i1"; then ok "index bytes kept"
else not_ok "index bytes differ"; fi

# --- rejections: status, code, and no row changed
printf '{"schemaVersion":2,' > "$T21_TMP/bad-json"
t21_reject bad-json 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/bad-json" "$T21_OCI"
printf '[1,2]' > "$T21_TMP/bad-array"
t21_reject not-object 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/bad-array" "$T21_OCI"
: > "$T21_TMP/empty"
t21_reject empty-body 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/empty" "$T21_OCI"
for sv in 1 3 '"2"' 2.0; do
    printf '{"schemaVersion":%s,"mediaType":"%s","config":%s,"layers":[%s]}' "$sv" \
        "$T21_OCI" "$CFG" "$L1" > "$T21_TMP/bad-sv"
    t21_reject "schema-version-$sv" 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/bad-sv" \
        "$T21_OCI"
done
printf '{"mediaType":"%s","config":%s,"layers":[%s]}' "$T21_OCI" "$CFG" "$L1" \
    > "$T21_TMP/no-sv"
t21_reject schema-version-missing 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/no-sv" \
    "$T21_OCI"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
    application/vnd.example.unknown+json "$CFG" "$L1" > "$T21_TMP/bad-type"
t21_reject unknown-media-type 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/bad-type" \
    application/vnd.example.unknown+json
t21_reject content-type-mismatch 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/m1" "$T21_IDX"
t21_reject content-type-mismatch-docker 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/m1" \
    "$T21_DOCKER"
t21_bad_layer() { # NAME LAYER-JSON
    printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$T21_OCI" \
        "$CFG" "$2" > "$T21_TMP/bad-desc"
    t21_reject "descriptor-$1" 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/bad-desc" \
        "$T21_OCI"
}
t21_bad_layer no-digest "{\"mediaType\":\"$T21_LAYER\",\"size\":3}"
t21_bad_layer bad-digest "{\"mediaType\":\"$T21_LAYER\",\"digest\":\"sha256:xyz\",\"size\":3}"
t21_bad_layer bad-algo "${L1/sha256:/md5:}"
t21_bad_layer negative-size "$(printf '%s' "$L1" | sed 's/"size":[0-9]*/"size":-1/')"
t21_bad_layer string-size "$(printf '%s' "$L1" | sed 's/"size":\([0-9]*\)/"size":"\1"/')"
t21_bad_layer no-media-type "$(printf '%s' "$L1" | sed 's/"mediaType":"[^"]*",//')"
printf '{"schemaVersion":2,"mediaType":"%s","layers":[%s]}' "$T21_OCI" "$L1" \
    > "$T21_TMP/no-config"
t21_reject no-config 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/no-config" "$T21_OCI"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":%s}' "$T21_OCI" "$CFG" "$L1" \
    > "$T21_TMP/layers-object"
t21_reject layers-not-array 400 MANIFEST_INVALID "$T21_REPO" bad "$T21_TMP/layers-object" \
    "$T21_OCI"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":{}}' "$T21_IDX" > "$T21_TMP/bad-idx"
t21_reject index-manifests-not-array 400 MANIFEST_INVALID "$T21_REPO" bad \
    "$T21_TMP/bad-idx" "$T21_IDX"
t21_reject bad-extra-tag 400 - "$T21_REPO" "good?tag=-bad" "$T21_TMP/m1" "$T21_OCI"
t21_reject bad-extra-tag-long 400 - "$T21_REPO" "good?tag=$(printf 'x%.0s' {1..129})" \
    "$T21_TMP/m1" "$T21_OCI"
t21_reject bad-ref-tag 400 - "$T21_REPO" ".bad" "$T21_TMP/m1" "$T21_OCI"

# blobs unknown to this repository (layer3 exists, but only in another repository)
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s,%s]}' "$T21_OCI" "$CFG" \
    "$L1" "$L3" > "$T21_TMP/foreign-layer"
t21_reject layer-other-repo 400 MANIFEST_BLOB_UNKNOWN "$T21_REPO" bad \
    "$T21_TMP/foreign-layer" "$T21_OCI"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$T21_OCI" \
    "${CFG/$(t21_sha "$T21_TMP/config")/sha256:$(printf '%064d' 1)}" "$L1" \
    > "$T21_TMP/unknown-config"
t21_reject config-unknown 400 MANIFEST_BLOB_UNKNOWN "$T21_REPO" bad \
    "$T21_TMP/unknown-config" "$T21_OCI"
t21_reject layer-unknown-new-repo 400 MANIFEST_BLOB_UNKNOWN "$T21_NEW" bad \
    "$T21_TMP/m1" "$T21_OCI"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s,%s]}' "$T21_IDX" \
    "$(t21_desc "$T21_OCI" "$T21_TMP/m1")" "$(t21_desc "$T21_OCI" "$T21_TMP/m2")" \
    > "$T21_TMP/i-missing"
t21_reject index-child-unknown 400 MANIFEST_BLOB_UNKNOWN "$T21_REPO" bad \
    "$T21_TMP/i-missing" "$T21_IDX"
t21_reject index-child-other-repo 400 MANIFEST_BLOB_UNKNOWN "$T21_OTHER" bad \
    "$T21_TMP/i1" "$T21_IDX"

# PUT by a digest the bytes do not hash to
t21_reject digest-mismatch 400 DIGEST_INVALID "$T21_REPO" "$M1" "$T21_TMP/m2" "$T21_OCI"
t21_reject digest-mismatch-tags 400 DIGEST_INVALID "$T21_REPO" "$M1?tag=zz" "$T21_TMP/m2" \
    "$T21_OCI"
t21_reject digest-malformed 400 DIGEST_INVALID "$T21_REPO" "sha256:abc" "$T21_TMP/m2" \
    "$T21_OCI"

t_begin manifest-rejects-left-nothing
http GET "$BERTH_URL/v2/$T21_REPO/manifests/bad"
expect_status 404
http GET "$BERTH_URL/v2/$T21_REPO/manifests/good"
expect_status 404
http GET "$BERTH_URL/v2/$T21_REPO/manifests/zz"
expect_status 404
http GET "$BERTH_URL/v2/$T21_NEW/tags/list"
expect_status 404
expect_oci_error NAME_UNKNOWN

# --- size limit: exactly 4 MiB is accepted, one byte more is 413
t21_big() { # SIZE FILE: an OCI manifest of exactly SIZE bytes, padded with an annotation
    local pre suf n
    pre=$(printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s],%s' \
        "$T21_OCI" "$CFG" "$L1" '"annotations":{"pad":"')
    suf='"}}'
    n=$(($1 - ${#pre} - ${#suf}))
    { printf '%s' "$pre"; head -c "$n" /dev/zero | tr '\0' p; printf '%s' "$suf"; } > "$2"
}
t_begin manifest-4mib
t21_big 4194304 "$T21_TMP/big"
expect_eq "$(stat -c %s "$T21_TMP/big")" 4194304 "test manifest is 4 MiB"
BIG=$(t21_sha "$T21_TMP/big")
t21_put "$T21_REPO" big "$T21_TMP/big" "$T21_OCI"
expect_status 201
expect_header Docker-Content-Digest "$BIG"
http GET "$BERTH_URL/v2/$T21_REPO/manifests/big"
expect_status 200
expect_header Content-Length 4194304
if cmp -s "$HTTP_BODY" "$T21_TMP/big"; then ok "4 MiB manifest bytes kept"
else not_ok "4 MiB manifest bytes differ"; fi

t21_big 4194305 "$T21_TMP/big1"
t21_reject 4mib-plus-one 413 - "$T21_REPO" bigger "$T21_TMP/big1" "$T21_OCI"
# by digest, and without "Expect: 100-continue" (the whole body is sent at once)
t21_reject 4mib-plus-one-digest 413 - "$T21_REPO" "$(t21_sha "$T21_TMP/big1")" \
    "$T21_TMP/big1" "$T21_OCI" -H 'Expect:'
t_begin manifest-4mib-plus-one-not-stored
http GET "$BERTH_URL/v2/$T21_REPO/manifests/bigger"
expect_status 404
expect_oci_error MANIFEST_UNKNOWN

rm -rf "$T21_TMP"
