# tests/e2e/t_020_skopeo.sh - a real client against Berth: skopeo copies images built here with
# umoci, digest for digest, from an OCI layout to Berth and back (a 3-layer image, and a
# multi-architecture index with --all), Berth to Berth across repositories, and a Docker v2
# conversion; skopeo inspect (tag, layers, platform), list-tags and delete.
# Sourced by tests/e2e/run after lib.sh. Repositories: t020/*.
# shellcheck shell=bash

T20_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t020.XXXXXX")
T20_HOST=${BERTH_URL#http://}
T20_REG=docker://$T20_HOST
T20_OCI=application/vnd.oci.image.manifest.v1+json
T20_IDX=application/vnd.oci.image.index.v1+json

# Rerunnable against a kept stack: forget what an earlier run of this file left behind.
psql_q "delete from repositories where name like 't020/%'" > /dev/null

t20_run() { # WHAT CMD...: runs CMD (output in $T20_TMP/out), ok when it exits 0
    local what=$1
    shift
    if "$@" > "$T20_TMP/out" 2>&1; then
        ok "$what"
    else
        not_ok "$what: $* failed: $(tail -n 3 "$T20_TMP/out" | tr '\n' ' ' | cut -c1-300)"
    fi
}

t20_ref_digest() { # LAYOUT TAG: the digest index.json names for TAG
    jq -r --arg t "$2" '.manifests[] |
        select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
        < "$1/index.json"
}

t20_blob_sums() { # LAYOUT: "sha256sum  name" of every blob file
    (cd "$1/blobs/sha256" && sha256sum -- * | sort -k2)
}

t20_add_layer() { # LAYOUT:TAG FILE CONTENT: adds one layer holding FILE
    rm -rf "$T20_TMP/bundle"
    umoci unpack --rootless --image "$1" "$T20_TMP/bundle" > /dev/null &&
        mkdir -p "$(dirname "$T20_TMP/bundle/rootfs/$2")" &&
        printf '%s\n' "$3" > "$T20_TMP/bundle/rootfs/$2" &&
        umoci repack --image "$1" "$T20_TMP/bundle" > /dev/null &&
        rm -rf "$T20_TMP/bundle"
}

t20_compare_layouts() { # A B TAG: same digest for TAG and the same blob files
    expect_eq "$(t20_ref_digest "$2" "$3")" "$(t20_ref_digest "$1" "$3")" \
        "the copy's index.json names the same manifest digest for $3"
    if diff <(t20_blob_sums "$1") <(t20_blob_sums "$2") > "$T20_TMP/diff"; then
        ok "identical blob files ($(t20_blob_sums "$2" | wc -l) blobs, sha256sum)"
    else
        not_ok "blob files differ: $(head -c 300 "$T20_TMP/diff" | tr '\n' ' ')"
    fi
}

# --- a 3-layer image
L1=$T20_TMP/src
t_begin skopeo-build-image
t20_run "umoci init" umoci init --layout "$L1"
t20_run "umoci new" umoci new --image "$L1:v1"
for i in 1 2 3; do
    t20_run "umoci layer $i" t20_add_layer "$L1:v1" "etc/t020/f$i" "layer $i $RANDOM$RANDOM"
done
t20_run "umoci gc" umoci gc --layout "$L1"
IMG=$(t20_ref_digest "$L1" v1)
IMG_FILE=$L1/blobs/sha256/${IMG#sha256:}
expect_eq "$(jq -r '.layers | length' < "$IMG_FILE")" 3 "the image has three layers"
jq -r '.layers[].digest' < "$IMG_FILE" > "$T20_TMP/layers"

t_begin skopeo-push
t20_run "skopeo copy oci: -> Berth" skopeo copy --preserve-digests --dest-tls-verify=false \
    "oci:$L1:v1" "$T20_REG/t020/image:v1"
t20_run "skopeo copy oci: -> Berth (second tag)" skopeo copy --preserve-digests \
    --dest-tls-verify=false "oci:$L1:v1" "$T20_REG/t020/image:stable"
http GET "$BERTH_URL/v2/t020/image/manifests/v1"
expect_status 200
expect_header Docker-Content-Digest "$IMG"
expect_header Content-Type "$T20_OCI"
if cmp -s "$HTTP_BODY" "$IMG_FILE"; then ok "Berth serves the manifest bytes of the layout"
else not_ok "Berth's manifest bytes differ from the layout's"; fi
while read -r d; do
    http HEAD "$BERTH_URL/v2/t020/image/blobs/$d"
    expect_status 200
done < "$T20_TMP/layers"

t_begin skopeo-pull
L2=$T20_TMP/back
t20_run "skopeo copy Berth -> oci:" skopeo copy --preserve-digests --src-tls-verify=false \
    "$T20_REG/t020/image:v1" "oci:$L2:v1"
t20_compare_layouts "$L1" "$L2" v1
L2B=$T20_TMP/back-by-digest
t20_run "skopeo copy Berth@digest -> oci:" skopeo copy --preserve-digests \
    --src-tls-verify=false "$T20_REG/t020/image@$IMG" "oci:$L2B:v1"
t20_compare_layouts "$L1" "$L2B" v1

t_begin skopeo-pull-other-gateway
read -ra T20_GW <<< "${BERTH_URLS:-$BERTH_URL}"
L2C=$T20_TMP/back-gw2
t20_run "skopeo copy Berth (last gateway) -> oci:" skopeo copy --preserve-digests \
    --src-tls-verify=false "docker://${T20_GW[-1]#http://}/t020/image:stable" "oci:$L2C:v1"
t20_compare_layouts "$L1" "$L2C" v1

t_begin skopeo-inspect
t20_run "skopeo inspect" skopeo inspect --tls-verify=false "$T20_REG/t020/image:v1"
cp "$T20_TMP/out" "$T20_TMP/inspect"
expect_eq "$(jq -r .Digest < "$T20_TMP/inspect")" "$IMG" "inspect: Digest"
expect_eq "$(jq -r '.RepoTags | sort | join(",")' < "$T20_TMP/inspect")" "stable,v1" \
    "inspect: RepoTags"
expect_eq "$(jq -r '.Layers[]' < "$T20_TMP/inspect" | paste -sd,)" \
    "$(paste -sd, "$T20_TMP/layers")" "inspect: the three layers, in order"
expect_eq "$(jq -r '.Architecture + "/" + .Os' < "$T20_TMP/inspect")" amd64/linux \
    "inspect: platform"
t20_run "skopeo inspect --raw" skopeo inspect --raw --tls-verify=false \
    "$T20_REG/t020/image:v1"
if cmp -s "$T20_TMP/out" "$IMG_FILE"; then ok "inspect --raw: the exact manifest bytes"
else not_ok "inspect --raw differs from the manifest"; fi

t_begin skopeo-list-tags
t20_run "skopeo list-tags" skopeo list-tags --tls-verify=false "$T20_REG/t020/image"
expect_eq "$(jq -r '.Tags | sort | join(",")' < "$T20_TMP/out")" "stable,v1" "list-tags"

t_begin skopeo-berth-to-berth
t20_run "skopeo copy Berth -> Berth (another repository)" skopeo copy --preserve-digests \
    --src-tls-verify=false --dest-tls-verify=false "$T20_REG/t020/image:v1" \
    "$T20_REG/t020/copy:v1"
http GET "$BERTH_URL/v2/t020/copy/manifests/v1"
expect_status 200
expect_header Docker-Content-Digest "$IMG"
L2D=$T20_TMP/back-copy
t20_run "skopeo copy Berth copy -> oci:" skopeo copy --preserve-digests \
    --src-tls-verify=false "$T20_REG/t020/copy:v1" "oci:$L2D:v1"
t20_compare_layouts "$L1" "$L2D" v1

t_begin skopeo-docker-v2s2
t20_run "skopeo copy --format v2s2" skopeo copy --format v2s2 --dest-tls-verify=false \
    "oci:$L1:v1" "$T20_REG/t020/docker:v1"
http GET "$BERTH_URL/v2/t020/docker/manifests/v1"
expect_status 200
expect_header Content-Type application/vnd.docker.distribution.manifest.v2+json
expect_eq "$(jqb .mediaType)" application/vnd.docker.distribution.manifest.v2+json \
    "the manifest is Docker v2 schema 2"
DOCKER_DIGEST=$(hdr Docker-Content-Digest)
expect_eq "sha256:$(sha256sum < "$HTTP_BODY" | cut -d' ' -f1)" "$DOCKER_DIGEST" \
    "Docker-Content-Digest is the body's sha256"
D_DIR=$T20_TMP/docker-dir
t20_run "skopeo copy Berth -> dir:" skopeo copy --src-tls-verify=false \
    "$T20_REG/t020/docker:v1" "dir:$D_DIR"
expect_eq "sha256:$(sha256sum < "$D_DIR/manifest.json" | cut -d' ' -f1)" "$DOCKER_DIGEST" \
    "dir: copy keeps the manifest bytes"
while read -r d; do
    [ -f "$D_DIR/${d#sha256:}" ] && expect_eq "sha256:$(sha256sum < "$D_DIR/${d#sha256:}" |
        cut -d' ' -f1)" "$d" "layer ${d:7:12} content"
done < "$T20_TMP/layers"

# --- a multi-architecture index: amd64 and arm64 images, an index written by hand
L3=$T20_TMP/multi
t_begin skopeo-build-index
t20_run "umoci init" umoci init --layout "$L3"
for a in amd64 arm64; do
    t20_run "umoci new $a" umoci new --image "$L3:$a"
    t20_run "umoci config $a" umoci config --image "$L3:$a" --architecture "$a" --os linux
    t20_run "umoci layer $a" t20_add_layer "$L3:$a" "etc/arch" "$a $RANDOM$RANDOM"
done
t20_run "umoci gc" umoci gc --layout "$L3"
for a in amd64 arm64; do
    d=$(t20_ref_digest "$L3" "$a")
    jq -c --arg d "$d" --arg a "$a" --argjson s "$(stat -c %s "$L3/blobs/sha256/${d#sha256:}")" \
        -n '{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
             platform: {architecture: $a, os: "linux"}}'
done | jq -cs --arg t "$T20_IDX" '{schemaVersion: 2, mediaType: $t, manifests: .}' \
    | tr -d '\n' > "$T20_TMP/index.json"
INDEX=sha256:$(sha256sum < "$T20_TMP/index.json" | cut -d' ' -f1)
cp "$T20_TMP/index.json" "$L3/blobs/sha256/${INDEX#sha256:}"
jq -c --arg d "$INDEX" --arg t "$T20_IDX" --argjson s "$(stat -c %s "$T20_TMP/index.json")" \
    '.manifests += [{mediaType: $t, digest: $d, size: $s,
                     annotations: {"org.opencontainers.image.ref.name": "multi"}}]' \
    < "$L3/index.json" > "$T20_TMP/layout-index" && cp "$T20_TMP/layout-index" "$L3/index.json"
expect_eq "$(t20_ref_digest "$L3" multi)" "$INDEX" "the layout names the index as multi"
AMD=$(t20_ref_digest "$L3" amd64)
ARM=$(t20_ref_digest "$L3" arm64)

t_begin skopeo-push-index
t20_run "skopeo copy --all oci: -> Berth" skopeo copy --all --preserve-digests \
    --dest-tls-verify=false "oci:$L3:multi" "$T20_REG/t020/multi:multi"
http GET "$BERTH_URL/v2/t020/multi/manifests/multi"
expect_status 200
expect_header Content-Type "$T20_IDX"
expect_header Docker-Content-Digest "$INDEX"
if cmp -s "$HTTP_BODY" "$T20_TMP/index.json"; then ok "the index bytes are kept"
else not_ok "the index bytes differ"; fi
for d in "$AMD" "$ARM"; do
    http GET "$BERTH_URL/v2/t020/multi/manifests/$d"
    expect_status 200
    expect_header Content-Type "$T20_OCI"
done

t_begin skopeo-pull-index
L4=$T20_TMP/multi-back
t20_run "skopeo copy --all Berth -> oci:" skopeo copy --all --preserve-digests \
    --src-tls-verify=false "$T20_REG/t020/multi:multi" "oci:$L4:multi"
expect_eq "$(t20_ref_digest "$L4" multi)" "$INDEX" "the copy names the same index digest"
if diff <(t20_blob_sums "$L3") <(t20_blob_sums "$L4") > "$T20_TMP/diff"; then
    ok "identical blob files ($(t20_blob_sums "$L4" | wc -l): index, 2 manifests, configs, layers)"
else
    not_ok "blob files differ: $(head -c 300 "$T20_TMP/diff" | tr '\n' ' ')"
fi

t_begin skopeo-inspect-index
t20_run "skopeo inspect --raw (index)" skopeo inspect --raw --tls-verify=false \
    "$T20_REG/t020/multi:multi"
if cmp -s "$T20_TMP/out" "$T20_TMP/index.json"; then ok "inspect --raw: the index bytes"
else not_ok "inspect --raw differs from the index"; fi
for a in amd64 arm64; do
    t20_run "skopeo inspect --override-arch $a" skopeo --override-arch "$a" --override-os linux \
        inspect --tls-verify=false "$T20_REG/t020/multi:multi"
    expect_eq "$(jq -r .Architecture < "$T20_TMP/out")" "$a" "inspect picks $a"
    d=$(t20_ref_digest "$L3" "$a")
    expect_eq "$(jq -r '.Layers | join(",")' < "$T20_TMP/out")" \
        "$(jq -r '[.layers[].digest] | join(",")' < "$L3/blobs/sha256/${d#sha256:}")" \
        "inspect: the $a image's layer"
    expect_eq "$(jq -r .Digest < "$T20_TMP/out")" "$INDEX" "inspect: Digest is the index's"
done

# --- skopeo delete
t_begin skopeo-delete
t20_run "skopeo delete" skopeo delete --tls-verify=false "$T20_REG/t020/image:v1"
if skopeo inspect --tls-verify=false "$T20_REG/t020/image:v1" > "$T20_TMP/out" 2>&1; then
    not_ok "skopeo inspect still finds the deleted image"
else
    ok "skopeo inspect fails after delete"
fi
if skopeo inspect --tls-verify=false "$T20_REG/t020/image@$IMG" > "$T20_TMP/out" 2>&1; then
    not_ok "skopeo inspect by digest still finds the deleted image"
else
    ok "skopeo inspect by digest fails after delete"
fi
for ref in "$IMG" v1 stable; do
    http GET "$BERTH_URL/v2/t020/image/manifests/$ref"
    expect_status 404
    expect_oci_error MANIFEST_UNKNOWN
done
t20_run "skopeo list-tags after delete" skopeo list-tags --tls-verify=false \
    "$T20_REG/t020/image"
expect_eq "$(jq -r '.Tags | length' < "$T20_TMP/out")" 0 "no tags left"
http GET "$BERTH_URL/v2/t020/copy/manifests/v1"
expect_status 200
expect_header Docker-Content-Digest "$IMG"

rm -rf "$T20_TMP"
