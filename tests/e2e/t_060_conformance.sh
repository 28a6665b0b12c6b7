# tests/e2e/t_060_conformance.sh - the OCI distribution-spec conformance suite v1.1.1
# (opencontainers/distribution-spec, conformance/: 01_pull_test.go, 02_push_test.go,
# 03_discovery_test.go, 04_management_test.go, setup.go, image.go) ported to curl, with all four
# workflows enabled. One t_begin per g.Specify, named "<workflow>: <the suite's name>", in the
# suite's order, sending the same requests and asserting the same things (the suite's "any of"
# status sets included). The data is built as setup.go builds it: sixteen configs with a random
# author, sixteen manifests whose config descriptor carries "data" and an unknown field, the
# suite's gzipped layer, 42-byte random blobs (one split 22 + 20 for the chunked upload), the
# manifest with no layers, the referrers artifacts (config artifactType, layer artifactType, an
# index, one whose subject is never pushed). Every workflow runs in one namespace, as the suite
# does with OCI_NAMESPACE, and each tears down what it made. Checks that other versions of the
# suite add (the later tag ordering and `last` checks, the base route, a final chunk sent in the
# closing PUT, a malformed manifest PUT) follow at the end, each named "extra: ...".
# Sourced by tests/e2e/run after lib.sh. Repositories: conformance/*.
#
# The suite's settings, with the values used here (the environment may override them):
#   OCI_NAMESPACE=conformance/repo         OCI_CROSSMOUNT_NAMESPACE=conformance/other
#   OCI_AUTOMATIC_CROSSMOUNT=0 (Berth mounts only with ?from=; 1 runs the "enabled" case)
#   OCI_DELETE_MANIFEST_BEFORE_BLOBS=1     (0 runs the teardowns in the other order)
# shellcheck shell=bash disable=SC2016 # jq programs use $var

C60_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t060.XXXXXX")
C60_NS=${OCI_NAMESPACE:-conformance/repo}
C60_XNS=${OCI_CROSSMOUNT_NAMESPACE:-conformance/other}
C60_AUTO_XMOUNT=${OCI_AUTOMATIC_CROSSMOUNT:-0}
C60_MANIFEST_FIRST=${OCI_DELETE_MANIFEST_BEFORE_BLOBS:-1}
C60_OCI=application/vnd.oci.image.manifest.v1+json
C60_IDX=application/vnd.oci.image.index.v1+json
C60_CFG=application/vnd.oci.image.config.v1+json
C60_TGZ=application/vnd.oci.image.layer.v1.tar+gzip
C60_EMPTY_TYPE=application/vnd.oci.empty.v1+json
C60_ERROR_CODES="BLOB_UNKNOWN BLOB_UPLOAD_INVALID BLOB_UPLOAD_UNKNOWN DIGEST_INVALID
MANIFEST_BLOB_UNKNOWN MANIFEST_INVALID MANIFEST_UNKNOWN MANIFEST_UNVERIFIED NAME_INVALID
NAME_UNKNOWN SIZE_INVALID TAG_INVALID UNAUTHORIZED DENIED UNSUPPORTED"
C60_TAG=tagtest0
C60_EMPTY_LAYER_TAG=emptylayer
C60_NONEXISTENT=.INVALID_MANIFEST_NAME
C60_ANN_KEY=org.opencontainers.conformance.test
C60_TYPE_A=application/vnd.nhl.peanut.butter.bagel
C60_TYPE_B=application/vnd.nba.strawberry.jam.croissant
C60_TYPE_INDEX=application/vnd.food.stand

# Rerunnable against a kept stack: forget what an earlier run of this file left behind.
psql_q "delete from repositories where name like 'conformance/%'" > /dev/null

# --- helpers ----------------------------------------------------------------------------------

c60_sha() { echo "sha256:$(sha256sum < "$1" | cut -d' ' -f1)"; }
c60_size() { stat -c %s "$1"; }

c60_rel() { # LOCATION: its path and query (the suite's GetRelativeLocation)
    case $1 in
        http://*|https://*) local rest=${1#*://}; echo "/${rest#*/}" ;;
        *) echo "$1" ;;
    esac
}

c60_q() { # URL PARAM...: URL with each PARAM added to its query
    local url=$1 p
    shift
    for p in "$@"; do
        case $url in *\?*) url="$url&$p" ;; *) url="$url?$p" ;; esac
    done
    echo "$url"
}

c60_skip() { # REASON: the suite skips this specification here (RunOnlyIf and friends)
    echo "# skip - $T_NAME: $1"
}

c60_warn() { # MESSAGE: the suite's Warn(), which does not fail the test
    echo "# WARNING - $T_NAME: $1"
}

# c60_expect_any CODE...: the status is one of the CODEs ("2xx" is 200-299)
c60_expect_any() {
    local c
    for c in "$@"; do
        if [ "$c" = 2xx ] && [[ $HTTP_STATUS =~ ^2[0-9][0-9]$ ]] || [ "$c" = "$HTTP_STATUS" ]; then
            ok "$HTTP_REQ -> $HTTP_STATUS (one of $*)"
            return 0
        fi
    done
    not_ok "$HTTP_REQ: status ${HTTP_STATUS:-none}, expected one of $*"
}

c60_expect_location() { # the response has a non-empty Location
    if [ -n "$(hdr Location)" ]; then ok "Location: $(hdr Location)"
    else not_ok "no Location header"; fi
}

c60_expect_digest_if_present() { # DIGEST: Docker-Content-Digest, when sent, is DIGEST
    local h
    h=$(hdr Docker-Content-Digest | head -n 1)
    if [ -z "$h" ]; then ok "no Docker-Content-Digest (optional)"
    else expect_eq "$h" "$1" "Docker-Content-Digest"; fi
}

c60_expect_error_code() { # CODE...: errors[0].code is one of the CODEs
    local code
    code=$(jq -r '.errors[0].code // empty' < "$HTTP_BODY" 2>/dev/null)
    if [ -n "$code" ] && [[ " $(echo "$*" | tr '\n' ' ') " == *" $code "* ]]; then
        ok "errors[0].code $code is an OCI error code"
    else
        not_ok "errors[0].code '${code}' is not one of: $(echo "$*" | tr '\n' ' ')"
    fi
}

c60_json() { # OUT [jq options...] PROGRAM: OUT is the program's value, tab-indented as the
    local out=$1  # suite's json.MarshalIndent(v, "", "\t") writes it, without a final newline
    shift
    jq -n --tab "$@" | head -c -1 > "$out"
}

c60_desc() { # MEDIATYPE FILE: a descriptor of FILE as image.go marshals one (with the unknown
    # field newUnspecifiedField, null when unset)
    jq -nc --arg t "$1" --arg d "$(c60_sha "$2")" --argjson s "$(c60_size "$2")" \
        '{mediaType: $t, digest: $d, size: $s, newUnspecifiedField: null}'
}

c60_config_desc() { # FILE: the config descriptor of setup.go's manifests: its bytes in "data"
    jq -nc --arg t "$C60_CFG" --arg d "$(c60_sha "$1")" --argjson s "$(c60_size "$1")" \
        --arg data "$(base64 -w0 < "$1")" --arg u "$(printf 'hello world' | base64 -w0)" \
        '{mediaType: $t, digest: $d, size: $s, data: $data, newUnspecifiedField: $u}'
}

# c60_push_blob FILE: the suite's "POST then PUT" of a whole blob into the namespace; the PUT
# must answer 2xx
c60_push_blob() {
    local loc
    http POST "$BERTH_URL/v2/$C60_NS/blobs/uploads/" --data-binary ''
    loc=$(c60_rel "$(hdr Location)")
    http PUT "$(c60_q "$BERTH_URL$loc" "digest=$(c60_sha "$1")")" \
        -H 'Content-Type: application/octet-stream' --data-binary @"$1"
    c60_expect_any 2xx
}

c60_put_manifest() { # REFERENCE FILE [CONTENT-TYPE]
    http PUT "$BERTH_URL/v2/$C60_NS/manifests/$1" -H "Content-Type: ${3:-$C60_OCI}" \
        --data-binary @"$2"
}

c60_delete() { # KIND(manifests|blobs) REFERENCE CODE...: DELETE, status one of the CODEs
    local kind=$1 ref=$2
    shift 2
    http DELETE "$BERTH_URL/v2/$C60_NS/$kind/$ref"
    c60_expect_any "$@"
}

c60_tags() { jqb '.tags // [] | .[]'; } # the tags of the last tag list, one a line

# --- setup.go: the data -----------------------------------------------------------------------

# Sixteen configs (the suite makes one per workflow bit, up to numWorkflows = 16), each unique
# through a random 16-character author.
for i in $(seq 0 15); do
    author=$(tr -dc 'A-Za-z0-9-' < /dev/urandom | head -c 16)
    c60_json "$C60_TMP/config$i" --arg a "$author" \
        '{author: $a, architecture: "amd64", os: "linux",
          rootfs: {type: "layers", diff_ids: []}}'
done

# The suite's layer: a gzipped tarball of one file, test.txt.
printf '%s' 'H4sIAAAAAAAAA+3OQQrCMBCF4a49xXgBSUnaHMCTRBptQRNpp6i3t0UEV7oqIv7fYgbmzeJpHHSjVy0' \
    'WZCa1c/MufWVe94N3RWlrZ72x3k/30nhbFWKWLPU0Dhp6keJ8im//PuU/6pZH2WVtYx8b0Sz7LjW' \
    'SR5VLG6YRBumSzOlGtjkd+qD' \
    'jMWiX07Befbs7AAAAAAAAAAAAAAAAAPyzO34MnqoAKAAA' | base64 -d > "$C60_TMP/layer"
LAYER=$(c60_sha "$C60_TMP/layer")
LAYER_DESC=$(c60_desc "$C60_TGZ" "$C60_TMP/layer")

for i in $(seq 0 15); do
    c60_json "$C60_TMP/manifest$i" --arg t "$C60_OCI" \
        --argjson c "$(c60_config_desc "$C60_TMP/config$i")" --argjson l "$LAYER_DESC" \
        '{schemaVersion: 2, mediaType: $t, config: $c, layers: [$l]}'
    CONFIG[i]=$(c60_sha "$C60_TMP/config$i")
    MANIFEST[i]=$(c60_sha "$C60_TMP/manifest$i")
done

# The push test's manifest with no layers (and no mediaType field) on config[1].
c60_json "$C60_TMP/empty-layer-manifest" --argjson c "$(c60_config_desc "$C60_TMP/config1")" \
    '{schemaVersion: 2, config: $c, layers: []}'
EMPTY_LAYER_MANIFEST=$(c60_sha "$C60_TMP/empty-layer-manifest")

# testBlobA (streamed upload, cross-mount) and testBlobB (chunked upload): 42 random bytes.
head -c 42 /dev/urandom > "$C60_TMP/blob-a"
BLOB_A=$(c60_sha "$C60_TMP/blob-a")
c60_chunked_blob() { # SIZE: testBlobB of SIZE bytes, chunk 1 its first SIZE/2 + 1 bytes
    local size=$1 c1=$(($1 / 2 + 1))
    head -c "$size" /dev/urandom > "$C60_TMP/blob-b"
    head -c "$c1" "$C60_TMP/blob-b" > "$C60_TMP/blob-b1"
    tail -c +$((c1 + 1)) "$C60_TMP/blob-b" > "$C60_TMP/blob-b2"
    BLOB_B=$(c60_sha "$C60_TMP/blob-b")
    BLOB_B1_RANGE="0-$((c1 - 1))"
    BLOB_B2_RANGE="$c1-$((size - 1))"
}
c60_chunked_blob 42

# Referrers: the empty JSON blob, two reference blobs, four artifacts and an index whose
# subject is manifest[4], one artifact whose subject (manifest[3]) is not pushed then.
printf '{}' > "$C60_TMP/empty-json"
EMPTY_JSON=$(c60_sha "$C60_TMP/empty-json")
EMPTY_JSON_DESC=$(c60_desc "$C60_EMPTY_TYPE" "$C60_TMP/empty-json")
printf 'NHL Peanut Butter on my NHL bagel' > "$C60_TMP/ref-a"
printf 'NBA Strawberry Jam on my NBA croissant' > "$C60_TMP/ref-b"
REF_A=$(c60_sha "$C60_TMP/ref-a")
REF_B=$(c60_sha "$C60_TMP/ref-b")
SUBJECT4=$(c60_desc "$C60_OCI" "$C60_TMP/manifest4")
SUBJECT3=$(c60_desc "$C60_OCI" "$C60_TMP/manifest3")

c60_config_artifact() { # OUT TYPE REF-FILE ANNOTATION: config.mediaType is the artifact type
    c60_json "$1" --arg t "$C60_OCI" --argjson c "$(c60_desc "$2" "$3")" \
        --argjson l "$EMPTY_JSON_DESC" --argjson s "$SUBJECT4" --arg k "$C60_ANN_KEY" \
        --arg v "$4" \
        '{schemaVersion: 2, mediaType: $t, config: $c, layers: [$l], subject: $s,
          annotations: {($k): $v}}'
}
c60_layer_artifact() { # OUT TYPE REF-FILE SUBJECT [ANNOTATION]: artifactType, empty config
    c60_json "$1" --arg t "$C60_OCI" --arg at "$2" --argjson c "$EMPTY_JSON_DESC" \
        --argjson l "$(c60_desc "$2" "$3")" --argjson s "$4" --arg k "$C60_ANN_KEY" \
        --arg v "${5:-}" \
        '{schemaVersion: 2, mediaType: $t, artifactType: $at, config: $c, layers: [$l],
          subject: $s} + (if $v == "" then {} else {annotations: {($k): $v}} end)'
}
c60_config_artifact "$C60_TMP/refs-a-config" "$C60_TYPE_A" "$C60_TMP/ref-a" "test config a"
c60_config_artifact "$C60_TMP/refs-b-config" "$C60_TYPE_B" "$C60_TMP/ref-b" "test config b"
c60_layer_artifact "$C60_TMP/refs-a-layer" "$C60_TYPE_A" "$C60_TMP/ref-a" "$SUBJECT4" \
    "test layer a"
c60_layer_artifact "$C60_TMP/refs-b-layer" "$C60_TYPE_B" "$C60_TMP/ref-b" "$SUBJECT4" \
    "test layer b"
c60_layer_artifact "$C60_TMP/refs-c-layer" "$C60_TYPE_B" "$C60_TMP/ref-b" "$SUBJECT3"
c60_json "$C60_TMP/refs-index" --arg t "$C60_IDX" --arg at "$C60_TYPE_INDEX" \
    --argjson m1 "$(c60_desc "$C60_OCI" "$C60_TMP/refs-a-config")" \
    --argjson m2 "$(c60_desc "$C60_OCI" "$C60_TMP/refs-a-layer")" \
    --argjson s "$SUBJECT4" --arg k "$C60_ANN_KEY" \
    '{schemaVersion: 2, mediaType: $t, artifactType: $at, manifests: [$m1, $m2], subject: $s,
      annotations: {($k): "test index"}}'
REFS_A_CONFIG=$(c60_sha "$C60_TMP/refs-a-config")
REFS_B_CONFIG=$(c60_sha "$C60_TMP/refs-b-config")
REFS_A_LAYER=$(c60_sha "$C60_TMP/refs-a-layer")
REFS_B_LAYER=$(c60_sha "$C60_TMP/refs-b-layer")
REFS_C_LAYER=$(c60_sha "$C60_TMP/refs-c-layer")
REFS_INDEX=$(c60_sha "$C60_TMP/refs-index")
# testAnnotationValues: digest -> the value of the test annotation
ANN_VALUES=$(jq -nc --arg a "$REFS_A_CONFIG" --arg b "$REFS_B_CONFIG" --arg c "$REFS_A_LAYER" \
    --arg d "$REFS_B_LAYER" --arg i "$REFS_INDEX" \
    '{($a): "test config a", ($b): "test config b", ($c): "test layer a",
      ($d): "test layer b", ($i): "test index"}')

# dummyDigest: the digest of "hello world", never pushed
DUMMY=sha256:$(printf 'hello world' | sha256sum | cut -d' ' -f1)

# the referrers list of the last response has exactly the annotations setup.go gave each entry
c60_expect_annotations() {
    if jq -e --arg k "$C60_ANN_KEY" --argjson want "$ANN_VALUES" \
        '[.manifests[] | ((.annotations // {}) | length) == 1
            and .annotations[$k] == $want[.digest]] | all' < "$HTTP_BODY" > /dev/null; then
        ok "each referrer has exactly its one test annotation"
    else
        not_ok "referrers' annotations: $(jq -c '[.manifests[] | .annotations]' < "$HTTP_BODY")"
    fi
}

c60_expect_index() { # the last response is 200, an OCI image index, with N manifests
    expect_status 200
    expect_header Content-Type "$C60_IDX"
    if jq -e '.manifests | type == "array"' < "$HTTP_BODY" > /dev/null 2>&1; then
        expect_eq "$(jqb '.manifests | length')" "$1" "the index lists $1 manifests"
    else
        not_ok "body is not an image index"
    fi
}

# ==============================================================================================
# 01_pull_test.go
# ==============================================================================================

t_begin "pull: Populate registry with test blob (config[0])"
c60_push_blob "$C60_TMP/config0"
t_begin "pull: Populate registry with test blob (config[1])"
c60_push_blob "$C60_TMP/config1"
t_begin "pull: Populate registry with test layer"
c60_push_blob "$C60_TMP/layer"

t_begin "pull: Populate registry with test manifest (manifest[0], tag $C60_TAG)"
PULL_TAG=$C60_TAG
c60_put_manifest "$PULL_TAG" "$C60_TMP/manifest0"
c60_expect_any 2xx
t_begin "pull: Populate registry with test manifest (manifest[1], by digest)"
c60_put_manifest "${MANIFEST[1]}" "$C60_TMP/manifest1"
c60_expect_any 2xx

t_begin "pull: Get tag name from environment"
c60_skip "only when OCI_TAG_NAME, OCI_MANIFEST_DIGEST and OCI_BLOB_DIGEST name existing content"

t_begin "pull: HEAD request to nonexistent blob should result in 404 response"
http HEAD "$BERTH_URL/v2/$C60_NS/blobs/$DUMMY"
expect_status 404

t_begin "pull: HEAD request to existing blob should yield 200"
http HEAD "$BERTH_URL/v2/$C60_NS/blobs/${CONFIG[0]}"
expect_status 200
c60_expect_digest_if_present "${CONFIG[0]}"

t_begin "pull: GET nonexistent blob should result in 404 response"
http GET "$BERTH_URL/v2/$C60_NS/blobs/$DUMMY" -L
expect_status 404

t_begin "pull: GET request to existing blob URL should yield 200"
http GET "$BERTH_URL/v2/$C60_NS/blobs/${CONFIG[0]}" -L
expect_status 200

t_begin "pull: HEAD request to nonexistent manifest should return 404"
http HEAD "$BERTH_URL/v2/$C60_NS/manifests/$C60_NONEXISTENT"
expect_status 404

for i in 0 1; do
    t_begin "pull: HEAD request to manifest[$i] path (digest) should yield 200 response"
    http HEAD "$BERTH_URL/v2/$C60_NS/manifests/${MANIFEST[i]}" -H "Accept: $C60_OCI"
    expect_status 200
    c60_expect_digest_if_present "${MANIFEST[i]}"
done

t_begin "pull: HEAD request to manifest path (tag) should yield 200 response"
expect_eq "${PULL_TAG:+set}" set "the tag is not empty"
http HEAD "$BERTH_URL/v2/$C60_NS/manifests/$PULL_TAG" -H "Accept: $C60_OCI"
expect_status 200
c60_expect_digest_if_present "${MANIFEST[0]}"

t_begin "pull: GET nonexistent manifest should return 404"
http GET "$BERTH_URL/v2/$C60_NS/manifests/$C60_NONEXISTENT"
expect_status 404

for i in 0 1; do
    t_begin "pull: GET request to manifest[$i] path (digest) should yield 200 response"
    http GET "$BERTH_URL/v2/$C60_NS/manifests/${MANIFEST[i]}" -H "Accept: $C60_OCI"
    expect_status 200
done

t_begin "pull: GET request to manifest path (tag) should yield 200 response"
expect_eq "${PULL_TAG:+set}" set "the tag is not empty"
http GET "$BERTH_URL/v2/$C60_NS/manifests/$PULL_TAG" -H "Accept: $C60_OCI"
expect_status 200

t_begin "pull: 400 response body should contain OCI-conforming JSON message"
printf 'blablabla' > "$C60_TMP/invalid-manifest"
http GET "$BERTH_URL/v2/$C60_NS/manifests/sha256:totallywrong" -H "Content-Type: $C60_OCI" \
    --data-binary @"$C60_TMP/invalid-manifest"
c60_expect_any 400 404
if [ "$HTTP_STATUS" = 400 ]; then
    # shellcheck disable=SC2086 # the list splits into words
    c60_expect_error_code $C60_ERROR_CODES
fi

# Teardown: with OCI_DELETE_MANIFEST_BEFORE_BLOBS (the default) the manifests go first.
c60_pull_delete_manifests() {
    for i in 0 1; do
        t_begin "pull: Delete manifest[$i] created in setup"
        c60_delete manifests "${MANIFEST[i]}" 2xx 405
    done
}
[ "$C60_MANIFEST_FIRST" = 1 ] && c60_pull_delete_manifests
for i in 0 1; do
    t_begin "pull: Delete config[$i] blob created in setup"
    c60_delete blobs "${CONFIG[i]}" 2xx 404 405
done
t_begin "pull: Delete layer blob created in setup"
c60_delete blobs "$LAYER" 2xx 404 405
[ "$C60_MANIFEST_FIRST" = 1 ] || c60_pull_delete_manifests

# ==============================================================================================
# 02_push_test.go
# ==============================================================================================

# --- Blob Upload Streamed
t_begin "push: PATCH request with blob in body should yield 202 response"
http POST "$BERTH_URL/v2/$C60_NS/blobs/uploads/" --data-binary ''
c60_expect_location
http PATCH "$BERTH_URL$(c60_rel "$(hdr Location)")" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$C60_TMP/blob-a"
expect_status 202
LAST_LOC=$(c60_rel "$(hdr Location)")

t_begin "push: PUT request to session URL with digest should yield 201 response"
expect_eq "${LAST_LOC:+set}" set "the previous response gave a location"
http PUT "$(c60_q "$BERTH_URL$LAST_LOC" "digest=$BLOB_A")" \
    -H 'Content-Type: application/octet-stream' --data-binary ''
expect_status 201
c60_expect_location

# --- Blob Upload Monolithic
t_begin "push: GET nonexistent blob should result in 404 response"
http GET "$BERTH_URL/v2/$C60_NS/blobs/$DUMMY" -L
expect_status 404

t_begin "push: POST request with digest and blob should yield a 201 or 202"
http POST "$(c60_q "$BERTH_URL/v2/$C60_NS/blobs/uploads/" "digest=${CONFIG[1]}")" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$C60_TMP/config1"
c60_expect_location
c60_expect_any 201 202
LAST_STATUS=$HTTP_STATUS

t_begin "push: GET request to blob URL from prior request should yield 200 or 404 based \
on response code"
http GET "$BERTH_URL/v2/$C60_NS/blobs/${CONFIG[1]}" -L
if [ "$LAST_STATUS" = 202 ]; then expect_status 404; else expect_status 200; fi

t_begin "push: POST request should yield a session ID"
http POST "$BERTH_URL/v2/$C60_NS/blobs/uploads/" --data-binary ''
expect_status 202
LAST_LOC=$(c60_rel "$(hdr Location)")

t_begin "push: PUT upload of a blob should yield a 201 Response"
http PUT "$(c60_q "$BERTH_URL$LAST_LOC" "digest=${CONFIG[1]}")" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$C60_TMP/config1"
c60_expect_location
expect_status 201

t_begin "push: GET request to existing blob should yield 200 response"
http GET "$BERTH_URL/v2/$C60_NS/blobs/${CONFIG[1]}" -L
expect_status 200

t_begin "push: PUT upload of a layer blob should yield a 201 Response"
http POST "$BERTH_URL/v2/$C60_NS/blobs/uploads/" --data-binary ''
http PUT "$(c60_q "$BERTH_URL$(c60_rel "$(hdr Location)")" "digest=$LAYER")" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$C60_TMP/layer"
c60_expect_location
expect_status 201

t_begin "push: GET request to existing layer should yield 200 response"
http GET "$BERTH_URL/v2/$C60_NS/blobs/$LAYER" -L
expect_status 200

# --- Blob Upload Chunked
t_begin "push: Out-of-order blob upload should return 416"
http POST "$BERTH_URL/v2/$C60_NS/blobs/uploads/" -H 'Content-Length: 0' --data-binary ''
c60_expect_location
# the suite rebuilds its chunked blob when the registry asks for bigger chunks
MIN_CHUNK=$(hdr OCI-Chunk-Min-Length | head -n 1)
if [ -n "$MIN_CHUNK" ]; then
    if [[ $MIN_CHUNK =~ ^[0-9]+$ ]]; then ok "OCI-Chunk-Min-Length $MIN_CHUNK is a number"
    else not_ok "OCI-Chunk-Min-Length '$MIN_CHUNK' is not a number"; fi
    if [ "${MIN_CHUNK:-0}" -gt "$(c60_size "$C60_TMP/blob-b1")" ] 2>/dev/null; then
        c60_chunked_blob $((MIN_CHUNK * 2 - 2))
    fi
fi
http PATCH "$BERTH_URL$(c60_rel "$(hdr Location)")" -H 'Content-Type: application/octet-stream' \
    -H "Content-Range: $BLOB_B2_RANGE" --data-binary @"$C60_TMP/blob-b2"
expect_status 416

t_begin "push: PATCH request with first chunk should return 202"
http POST "$BERTH_URL/v2/$C60_NS/blobs/uploads/" -H 'Content-Length: 0' --data-binary ''
c60_expect_location
PREV_LOC=$(c60_rel "$(hdr Location)")
http PATCH "$BERTH_URL$PREV_LOC" -H 'Content-Type: application/octet-stream' \
    -H "Content-Range: $BLOB_B1_RANGE" --data-binary @"$C60_TMP/blob-b1"
expect_status 202
expect_eq "$(hdr Range | head -n 1)" "$BLOB_B1_RANGE" "Range is the first chunk's range"

t_begin "push: Retry previous blob chunk should return 416"
http PATCH "$BERTH_URL$PREV_LOC" -H 'Content-Type: application/octet-stream' \
    -H "Content-Range: $BLOB_B1_RANGE" --data-binary @"$C60_TMP/blob-b1"
expect_status 416

t_begin "push: Get on stale blob upload should return 204 with a range and location"
http GET "$BERTH_URL$PREV_LOC"
expect_status 204
c60_expect_location
expect_eq "$(hdr Range | head -n 1)" "$BLOB_B1_RANGE" "Range is the first chunk's range"
LAST_LOC=$(c60_rel "$(hdr Location)")

t_begin "push: PATCH request with second chunk should return 202"
http PATCH "$BERTH_URL$LAST_LOC" -H "Content-Range: $BLOB_B2_RANGE" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$C60_TMP/blob-b2"
expect_status 202
c60_expect_location
LAST_LOC=$(c60_rel "$(hdr Location)")

t_begin "push: PUT request with digest should return 201"
http PUT "$(c60_q "$BERTH_URL$LAST_LOC" "digest=$BLOB_B")" -H 'Content-Length: 0' \
    -H 'Content-Type: application/octet-stream' --data-binary ''
expect_status 201
c60_expect_location

# --- Cross-Repository Blob Mount
t_begin "push: Cross-mounting of a blob without the from argument should yield session id"
http POST "$(c60_q "$BERTH_URL/v2/$C60_XNS/blobs/uploads/" "mount=$DUMMY")" --data-binary ''
expect_status 202
c60_expect_location

t_begin "push: POST request to mount another repository's blob should return 201 or 202"
http POST "$(c60_q "$BERTH_URL/v2/$C60_XNS/blobs/uploads/" "mount=$BLOB_A" "from=$C60_NS")" \
    --data-binary ''
c60_expect_any 201 202
MOUNT_STATUS=$HTTP_STATUS
MOUNT_LOC=$(c60_rel "$(hdr Location)")

t_begin "push: GET request to test digest within cross-mount namespace should return 200"
if [ "$MOUNT_STATUS" = 201 ]; then
    expect_eq "$MOUNT_LOC" "/v2/$C60_XNS/blobs/$BLOB_A" "the mount's Location"
    http GET "$BERTH_URL$MOUNT_LOC" -L
    expect_status 200
else
    c60_skip "the mount answered $MOUNT_STATUS, not 201"
fi

t_begin "push: Cross-mounting of nonexistent blob should yield session id"
if [ "$MOUNT_STATUS" = 202 ]; then
    case $MOUNT_LOC in
        "/v2/$C60_XNS/blobs/uploads/"*) ok "Location $MOUNT_LOC is an upload session" ;;
        *) not_ok "Location '$MOUNT_LOC' is not under /v2/$C60_XNS/blobs/uploads/" ;;
    esac
else
    c60_skip "the mount answered $MOUNT_STATUS, not 202"
fi

for mode in enabled disabled; do
    if [ "$mode" = enabled ]; then want=201; else want=202; fi
    t_begin "push: Cross-mounting without from, and automatic content discovery $mode \
should return a $want"
    case $mode:$C60_AUTO_XMOUNT in
        enabled:1|enabled:true|disabled:0|disabled:false) ;;
        *) c60_skip "OCI_AUTOMATIC_CROSSMOUNT=$C60_AUTO_XMOUNT"; continue ;;
    esac
    if [ "$MOUNT_STATUS" != 201 ]; then
        c60_skip "the mount with from answered $MOUNT_STATUS, not 201"
        continue
    fi
    http POST "$(c60_q "$BERTH_URL/v2/$C60_XNS/blobs/uploads/" "mount=$BLOB_A")" --data-binary ''
    expect_status "$want"
done

# --- Manifest Upload
t_begin "push: GET nonexistent manifest should return 404"
http GET "$BERTH_URL/v2/$C60_NS/manifests/$C60_NONEXISTENT"
expect_status 404

t_begin "push: PUT should accept a manifest upload"
for i in 0 1 2 3; do
    c60_put_manifest "test$i" "$C60_TMP/manifest1"
    c60_expect_location
    expect_status 201
done

t_begin "push: Registry should accept a manifest upload with no layers"
EMPTY_LAYER_REF=
c60_put_manifest "$C60_EMPTY_LAYER_TAG" "$C60_TMP/empty-layer-manifest"
if [ "$HTTP_STATUS" = 201 ]; then
    EMPTY_LAYER_REF=$(hdr Location)
    c60_expect_location
    expect_status 201
else
    c60_warn "image manifest with no layers is not supported (status ${HTTP_STATUS:-none})"
fi

t_begin "push: GET request to manifest URL (digest) should yield 200 response"
http GET "$BERTH_URL/v2/$C60_NS/manifests/${MANIFEST[1]}" -H "Accept: $C60_OCI"
expect_status 200

# --- Teardown
c60_push_delete_manifests() {
    t_begin "push: Delete manifest created in tests"
    c60_delete manifests "${MANIFEST[1]}" 2xx 405
    if [ -n "$EMPTY_LAYER_REF" ]; then
        c60_delete manifests "$EMPTY_LAYER_MANIFEST" 2xx 405
    fi
}
[ "$C60_MANIFEST_FIRST" = 1 ] && c60_push_delete_manifests
t_begin "push: Delete config blob created in tests"
c60_delete blobs "${CONFIG[1]}" 2xx 404 405
t_begin "push: Delete layer blob created in setup"
c60_delete blobs "$LAYER" 2xx 404 405
[ "$C60_MANIFEST_FIRST" = 1 ] || c60_push_delete_manifests

# ==============================================================================================
# 03_discovery_test.go
# ==============================================================================================

NUM_TAGS=4
t_begin "discovery: Populate registry with test blob"
c60_push_blob "$C60_TMP/config2"
t_begin "discovery: Populate registry with test layer"
c60_push_blob "$C60_TMP/layer"

t_begin "discovery: Populate registry with test tags"
for i in $(seq 0 $((NUM_TAGS - 1))); do
    c60_put_manifest "test$i" "$C60_TMP/manifest2"
    c60_expect_any 2xx
done
http GET "$BERTH_URL/v2/$C60_NS/tags/list"
mapfile -t TAG_LIST < <(c60_tags)

t_begin "discovery: Populate registry with test tags (no push)"
c60_skip "only when OCI_TAG_LIST names the tags of a repository filled beforehand"

t_begin "discovery: References setup"
expect_eq "$EMPTY_JSON" \
    sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a \
    "the empty JSON blob's digest"
c60_push_blob "$C60_TMP/empty-json"
# the reference blob before the image manifest is pushed
c60_push_blob "$C60_TMP/ref-a"
c60_put_manifest "$REFS_A_CONFIG" "$C60_TMP/refs-a-config"
c60_expect_any 2xx
expect_header OCI-Subject "${MANIFEST[4]}"
c60_put_manifest "$REFS_A_LAYER" "$C60_TMP/refs-a-layer"
c60_expect_any 2xx
expect_header OCI-Subject "${MANIFEST[4]}"
c60_put_manifest "$REFS_INDEX" "$C60_TMP/refs-index" "$C60_IDX"
c60_expect_any 2xx
expect_header OCI-Subject "${MANIFEST[4]}"
c60_push_blob "$C60_TMP/config4"
c60_push_blob "$C60_TMP/layer"
c60_put_manifest "$C60_TAG" "$C60_TMP/manifest4"
c60_expect_any 2xx
# the reference blob after the image manifest is pushed
c60_push_blob "$C60_TMP/ref-b"
c60_put_manifest "$REFS_B_CONFIG" "$C60_TMP/refs-b-config"
c60_expect_any 2xx
expect_header OCI-Subject "${MANIFEST[4]}"
c60_put_manifest "$REFS_B_LAYER" "$C60_TMP/refs-b-layer"
c60_expect_any 2xx
expect_header OCI-Subject "${MANIFEST[4]}"
# an artifact whose subject does not exist
c60_put_manifest "$REFS_C_LAYER" "$C60_TMP/refs-c-layer"
c60_expect_any 2xx
expect_header OCI-Subject "${MANIFEST[3]}"

# --- listing tags
c60_half_page() { # GET the first NUM_TAGS/2 tags with n=: sets NUM_RESULTS and TAG_LIST
    NUM_RESULTS=$((NUM_TAGS / 2))
    http GET "$BERTH_URL/v2/$C60_NS/tags/list?n=$NUM_RESULTS"
    expect_status 200
    mapfile -t TAG_LIST < <(c60_tags)
    expect_eq "${#TAG_LIST[@]}" "$NUM_RESULTS" "n=$NUM_RESULTS gives $NUM_RESULTS tags"
}

t_begin "discovery: GET request to list tags should yield 200 response"
http GET "$BERTH_URL/v2/$C60_NS/tags/list"
expect_status 200
mapfile -t TAG_LIST < <(c60_tags)
NUM_TAGS=${#TAG_LIST[@]}

t_begin "discovery: GET number of tags should be limitable by \`n\` query parameter"
c60_half_page

t_begin "discovery: GET start of tag is set by \`last\` query parameter"
http GET "$BERTH_URL/v2/$C60_NS/tags/list?n=$NUM_RESULTS"
mapfile -t TAG_LIST < <(c60_tags)
LAST=${TAG_LIST[NUM_RESULTS - 1]:-}
http GET "$(c60_q "$BERTH_URL/v2/$C60_NS/tags/list" "n=$NUM_RESULTS" "last=$LAST")"
expect_status 200
# v1.1.1 checks the first page here (the list it fetched before asking with last=)
if [ "${#TAG_LIST[@]}" -le "$NUM_RESULTS" ]; then ok "at most $NUM_RESULTS tags"
else not_ok "${#TAG_LIST[@]} tags, more than $NUM_RESULTS"; fi
if printf '%s\n' "${TAG_LIST[@]}" | grep -qxF -- "$LAST"; then ok "the list holds '$LAST'"
else not_ok "the list does not hold '$LAST'"; fi

# --- listing referrers
t_begin "discovery: GET request to nonexistent blob should result in empty 200 response"
http GET "$BERTH_URL/v2/$C60_NS/referrers/$DUMMY"
c60_expect_index 0

t_begin "discovery: GET request to existing blob should yield 200"
http GET "$BERTH_URL/v2/$C60_NS/referrers/${MANIFEST[4]}"
c60_expect_index 5
if [ "$(jqb '.manifests[0].digest')" != "$(jqb '.manifests[1].digest')" ]; then
    ok "the first two referrers differ"
else
    not_ok "the first two referrers are the same manifest"
fi
c60_expect_annotations

t_begin "discovery: GET request to existing blob with filter should yield 200"
http GET "$BERTH_URL/v2/$C60_NS/referrers/${MANIFEST[4]}?artifactType=$C60_TYPE_A"
if [ -n "$(hdr OCI-Filters-Applied)" ]; then
    c60_expect_index 2
    expect_header OCI-Filters-Applied artifactType
else
    c60_expect_index 5
    c60_warn "filtering by artifact-type is not implemented"
fi
c60_expect_annotations

t_begin "discovery: GET request to missing manifest should yield 200"
http GET "$BERTH_URL/v2/$C60_NS/referrers/${MANIFEST[3]}"
c60_expect_index 1
expect_eq "$(jqb '.manifests[0].digest')" "$REFS_C_LAYER" "the referrer of the missing subject"

# --- Teardown
c60_discovery_delete_manifests() {
    local ref
    t_begin "discovery: Delete created manifest & associated tags"
    for ref in "$REFS_INDEX" "${MANIFEST[2]}" "${MANIFEST[4]}" "$REFS_A_CONFIG" "$REFS_A_LAYER" \
        "$C60_TAG" "$REFS_B_CONFIG" "$REFS_B_LAYER" "$REFS_C_LAYER"; do
        c60_delete manifests "$ref" 2xx 405 404
    done
}
[ "$C60_MANIFEST_FIRST" = 1 ] && c60_discovery_delete_manifests
t_begin "discovery: Delete config blob created in tests"
c60_delete blobs "${CONFIG[2]}" 2xx 405
t_begin "discovery: Delete layer blob created in setup"
c60_delete blobs "$LAYER" 2xx 405
[ "$C60_MANIFEST_FIRST" = 1 ] || c60_discovery_delete_manifests

t_begin "discovery: References teardown"
c60_refs_delete_manifests() {
    local ref
    for ref in "$REFS_INDEX" "$REFS_A_CONFIG" "$REFS_A_LAYER" "${MANIFEST[4]}" "$REFS_B_CONFIG" \
        "$REFS_B_LAYER"; do
        c60_delete manifests "$ref" 2xx 405 404
    done
}
[ "$C60_MANIFEST_FIRST" = 1 ] && c60_refs_delete_manifests
for d in "${CONFIG[4]}" "$REF_A" "$REF_B" "$EMPTY_JSON"; do
    c60_delete blobs "$d" 2xx 405 404
done
[ "$C60_MANIFEST_FIRST" = 1 ] || c60_refs_delete_manifests

# ==============================================================================================
# 04_management_test.go
# ==============================================================================================

t_begin "management: Populate registry with test config blob"
c60_push_blob "$C60_TMP/config3"
t_begin "management: Populate registry with test layer"
c60_push_blob "$C60_TMP/layer"
t_begin "management: Populate registry with test tag"
TAG_TO_DELETE=$C60_TAG
c60_put_manifest "$TAG_TO_DELETE" "$C60_TMP/manifest3"
c60_expect_any 2xx

t_begin "management: Check how many tags there are before anything gets deleted"
http GET "$BERTH_URL/v2/$C60_NS/tags/list"
expect_status 200
if jq -e 'type == "object"' < "$HTTP_BODY" > /dev/null 2>&1; then ok "the tag list is JSON"
else not_ok "the tag list is not JSON"; fi
NUM_TAGS=$(c60_tags | wc -l)

t_begin "management: DELETE request to manifest tag should return 202, unless tag deletion \
is disallowed (400/405)"
http DELETE "$BERTH_URL/v2/$C60_NS/manifests/$TAG_TO_DELETE"
c60_expect_any 400 202 405
[ "$HTTP_STATUS" = 400 ] && c60_expect_error_code UNSUPPORTED

t_begin "management: DELETE request to manifest (digest) should yield 202 response unless \
already deleted"
c60_delete manifests "${MANIFEST[3]}" 202 404

t_begin "management: GET request to deleted manifest URL should yield 404 response, unless \
delete is disallowed"
http GET "$BERTH_URL/v2/$C60_NS/manifests/${MANIFEST[3]}"
c60_expect_any 404 200

t_begin "management: GET request to tags list should reflect manifest deletion"
http GET "$BERTH_URL/v2/$C60_NS/tags/list"
expect_status 200
if [ "$(c60_tags | wc -l)" -lt "$NUM_TAGS" ]; then
    ok "fewer tags than the $NUM_TAGS before"
else
    not_ok "$(c60_tags | wc -l) tags, not fewer than the $NUM_TAGS before"
fi

BLOB_DELETE_ALLOWED=1
t_begin "management: DELETE request to blob URL should yield 202 response"
c60_delete blobs "${CONFIG[3]}" 202 404 405
c60_delete blobs "$LAYER" 202 404 405
[ "$HTTP_STATUS" = 405 ] && BLOB_DELETE_ALLOWED=0

t_begin "management: GET request to deleted blob URL should yield 404 response"
if [ "$BLOB_DELETE_ALLOWED" = 1 ]; then
    http GET "$BERTH_URL/v2/$C60_NS/blobs/${CONFIG[3]}" -L
    expect_status 404
else
    c60_skip "blob deletion is disallowed"
fi

# ==============================================================================================
# extra: checks from other versions of the suite (the conformance/ files before 1.0 and the
# later 03_discovery_test.go), each within the same spec
# ==============================================================================================

t_begin "extra: GET request to base API route must return 200 response"
http GET "$BERTH_URL/v2/"
expect_status 200

t_begin "extra: PUT request with final chunk should return 201"
c60_chunked_blob 42
http POST "$BERTH_URL/v2/$C60_NS/blobs/uploads/" -H 'Content-Length: 0' --data-binary ''
c60_expect_location
http PATCH "$BERTH_URL$(c60_rel "$(hdr Location)")" -H 'Content-Type: application/octet-stream' \
    -H "Content-Range: $BLOB_B1_RANGE" --data-binary @"$C60_TMP/blob-b1"
expect_status 202
http PUT "$(c60_q "$BERTH_URL$(c60_rel "$(hdr Location)")" "digest=$BLOB_B")" \
    -H "Content-Range: $BLOB_B2_RANGE" -H 'Content-Type: application/octet-stream' \
    --data-binary @"$C60_TMP/blob-b2"
c60_expect_location
expect_status 201
http GET "$BERTH_URL/v2/$C60_NS/blobs/$BLOB_B" -L
expect_status 200
if cmp -s "$HTTP_BODY" "$C60_TMP/blob-b"; then ok "the blob reads back as both chunks"
else not_ok "the blob read back differs from both chunks"; fi

t_begin "extra: 400 response body should contain OCI-conforming JSON message (manifest PUT)"
http PUT "$BERTH_URL/v2/$C60_NS/manifests/sha256:totallywrong" -H "Content-Type: $C60_OCI" \
    --data-binary @"$C60_TMP/invalid-manifest"
expect_status 400
# shellcheck disable=SC2086 # the list splits into words
c60_expect_error_code $C60_ERROR_CODES

# The later 03_discovery_test.go tags the image with test<i> and TEST<i> and requires lexical
# (case-insensitive) or ASCII order, and a page after `last` that does not hold `last`.
t_begin "extra: GET request to list tags should yield 200 response and be in sorted order"
c60_push_blob "$C60_TMP/layer"
c60_push_blob "$C60_TMP/config2"
for i in 0 1 2 3; do
    for t in "test$i" "TEST$i"; do
        c60_put_manifest "$t" "$C60_TMP/manifest2"
        expect_status 201
    done
done
c60_put_manifest "$C60_TAG" "$C60_TMP/manifest2"
expect_status 201
http GET "$BERTH_URL/v2/$C60_NS/tags/list"
expect_status 200
mapfile -t TAG_LIST < <(c60_tags)
NUM_TAGS=${#TAG_LIST[@]}
expect_eq "$NUM_TAGS" 9 "nine tags"
GOT=$(printf '%s\n' "${TAG_LIST[@]}")
if [ "$GOT" = "$(printf '%s\n' "${TAG_LIST[@]}" | LC_ALL=C sort)" ] ||
    [ "$GOT" = "$(printf '%s\n' "${TAG_LIST[@]}" | LC_ALL=C sort -f -s)" ]; then
    ok "tags in ASCII or lexical order: $(echo "$GOT" | paste -sd' ')"
else
    not_ok "tags in neither ASCII nor lexical order: $(echo "$GOT" | paste -sd' ')"
fi

t_begin "extra: GET start of tag is set by \`last\` query parameter (later check)"
c60_half_page
LAST=${TAG_LIST[NUM_RESULTS - 1]:-}
http GET "$(c60_q "$BERTH_URL/v2/$C60_NS/tags/list" "n=$NUM_RESULTS" "last=$LAST")"
expect_status 200
mapfile -t PAGE2 < <(c60_tags)
if [ "${#PAGE2[@]}" -le "$NUM_RESULTS" ]; then ok "at most $NUM_RESULTS tags after '$LAST'"
else not_ok "${#PAGE2[@]} tags after '$LAST', more than $NUM_RESULTS"; fi
if printf '%s\n' "${PAGE2[@]}" | grep -qxF -- "$LAST"; then
    not_ok "the page after '$LAST' holds '$LAST'"
else
    ok "the page after '$LAST' does not hold it"
fi
http GET "$BERTH_URL/v2/$C60_NS/tags/list"
expect_eq "$(c60_tags | sed -n "$((NUM_RESULTS + 1)),$((2 * NUM_RESULTS))p" | paste -sd' ')" \
    "$(printf '%s\n' "${PAGE2[@]}" | paste -sd' ')" "the second page follows the first in order"

t_begin "extra: teardown"
c60_delete manifests "${MANIFEST[2]}" 202
for d in "${CONFIG[2]}" "$LAYER" "$BLOB_A" "$BLOB_B"; do
    c60_delete blobs "$d" 202
done

rm -rf "$C60_TMP"
