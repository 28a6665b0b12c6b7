# tests/e2e/t_022_referrers.sh - the referrers API: artifact manifests with a subject (the PUT
# answers OCI-Subject), GET /v2/<name>/referrers/<digest> as an OCI index with mediaType,
# digest, size, artifactType (or the config's media type) and annotations, artifactType
# filtering with OCI-Filters-Applied, an empty index for a digest nothing refers to, a subject
# that was never pushed, per-repository isolation, deletion, Link paging, invalid digests.
# Sourced by tests/e2e/run after lib.sh. Repositories: t022/*.
# shellcheck shell=bash disable=SC2016 # jq programs use $var

T22_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t022.XXXXXX")
T22_REPO=t022/refs
T22_OTHER=t022/other
T22_OCI=application/vnd.oci.image.manifest.v1+json
T22_IDX=application/vnd.oci.image.index.v1+json
T22_EMPTY_TYPE=application/vnd.oci.empty.v1+json
T22_EMPTY=sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
T22_SBOM=application/vnd.example.sbom
T22_SIG=application/vnd.example.signature

# Rerunnable against a kept stack: forget what an earlier run of this file left behind.
psql_q "delete from repositories where name like 't022/%'" > /dev/null

# Credentials for the requests sent without lib.sh's http (which adds them itself).
T22_AUTH=()
if [ -n "${BERTH_ADMIN_PASSWORD:-}" ]; then
    T22_AUTH=(-u "${BERTH_ADMIN_USER:-admin}:$BERTH_ADMIN_PASSWORD")
fi

t22_sha() { echo "sha256:$(sha256sum < "$1" | cut -d' ' -f1)"; }

t22_push_blob() { # REPO FILE
    http POST "$BERTH_URL/v2/$1/blobs/uploads/?digest=$(t22_sha "$2")" --data-binary @"$2" \
        -H 'Content-Type: application/octet-stream'
    expect_status 201
}

t22_desc() { # MEDIATYPE FILE
    printf '{"mediaType":"%s","digest":"%s","size":%s}' "$1" "$(t22_sha "$2")" \
        "$(stat -c %s "$2")"
}

t22_put() { # REPO REF FILE [CONTENT-TYPE]
    http PUT "$BERTH_URL/v2/$1/manifests/$2" --data-binary @"$3" \
        -H "Content-Type: ${4:-$T22_OCI}"
}

t22_referrers() { # REPO DIGEST [QUERY] [BASE-URL]
    http GET "${4:-$BERTH_URL}/v2/$1/referrers/$2${3:+?$3}"
}

t22_artifact() { # FILE ARTIFACT-TYPE LAYER-FILE SUBJECT-DESC ANNOTATIONS-JSON
    printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"%s",' "$T22_OCI" "$2" > "$1"
    printf '"config":{"mediaType":"%s","digest":"%s","size":2},' "$T22_EMPTY_TYPE" \
        "$T22_EMPTY" >> "$1"
    printf '"layers":[%s],"subject":%s,"annotations":%s}' \
        "$(t22_desc application/octet-stream "$3")" "$4" "$5" >> "$1"
}

# an index is well formed: 200, the index media type, schemaVersion 2, manifests an array
t22_expect_index() {
    expect_status 200
    expect_header Content-Type "$T22_IDX"
    expect_eq "$(jqb '[.schemaVersion, .mediaType, (.manifests | type)] | join(" ")')" \
        "2 $T22_IDX array" "body is an OCI image index"
}

# --- the subject: an ordinary image
printf '{}' > "$T22_TMP/empty"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' \
    > "$T22_TMP/config"
printf 'image layer %s' "$RANDOM" > "$T22_TMP/layer"
printf '{"spdxVersion":"SPDX-2.3","name":"t022"}' > "$T22_TMP/sbom"
printf 'signature bytes %s' "$RANDOM" > "$T22_TMP/sig"
t_begin referrers-setup
for f in empty config layer sbom sig; do t22_push_blob "$T22_REPO" "$T22_TMP/$f"; done
expect_eq "$(t22_sha "$T22_TMP/empty")" "$T22_EMPTY" "the empty descriptor's digest"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$T22_OCI" \
    "$(t22_desc application/vnd.oci.image.config.v1+json "$T22_TMP/config")" \
    "$(t22_desc application/vnd.oci.image.layer.v1.tar "$T22_TMP/layer")" > "$T22_TMP/img"
IMG=$(t22_sha "$T22_TMP/img")
SUBJ=$(t22_desc "$T22_OCI" "$T22_TMP/img")
t22_put "$T22_REPO" v1 "$T22_TMP/img"
expect_status 201
expect_eq "$(hdr OCI-Subject)" "" "no OCI-Subject for a manifest without subject"

t_begin referrers-none-yet
t22_referrers "$T22_REPO" "$IMG"
t22_expect_index
expect_eq "$(jqb '.manifests | length')" 0 "no referrers yet"
expect_eq "$(hdr OCI-Filters-Applied)" "" "no OCI-Filters-Applied without a filter"

# --- first referrer: an SBOM artifact, PUT by digest (as oras does)
ANN_A='{"org.opencontainers.image.created":"2024-01-02T03:04:05Z","org.example.kind":"sbom"}'
t22_artifact "$T22_TMP/art-a" "$T22_SBOM" "$T22_TMP/sbom" "$SUBJ" "$ANN_A"
ART_A=$(t22_sha "$T22_TMP/art-a")
t_begin referrers-put-sbom
t22_put "$T22_REPO" "$ART_A" "$T22_TMP/art-a"
expect_status 201
expect_header OCI-Subject "$IMG"
expect_header Docker-Content-Digest "$ART_A"

t_begin referrers-list-one
t22_referrers "$T22_REPO" "$IMG"
t22_expect_index
expect_eq "$(jqb '.manifests | length')" 1 "one referrer"
expect_eq "$(jqb '.manifests[0] | [.mediaType, .digest, .size, .artifactType] | join(" ")')" \
    "$T22_OCI $ART_A $(stat -c %s "$T22_TMP/art-a") $T22_SBOM" \
    "descriptor: mediaType, digest, size, artifactType"
expect_eq "$(jq -cS '.manifests[0].annotations' < "$HTTP_BODY")" \
    "$(printf '%s' "$ANN_A" | jq -cS .)" "descriptor carries the annotations"

# --- second referrer: a signature, PUT by tag
ANN_B='{"org.example.signer":"t022"}'
t22_artifact "$T22_TMP/art-b" "$T22_SIG" "$T22_TMP/sig" "$SUBJ" "$ANN_B"
ART_B=$(t22_sha "$T22_TMP/art-b")
t_begin referrers-put-signature
t22_put "$T22_REPO" sig-v1 "$T22_TMP/art-b"
expect_status 201
expect_header OCI-Subject "$IMG"

# --- third referrer: no artifactType, so its config media type stands in
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s],"subject":%s}' \
    "$T22_OCI" "$(t22_desc application/vnd.example.config.v1+json "$T22_TMP/empty")" \
    "$(t22_desc application/octet-stream "$T22_TMP/sig")" "$SUBJ" > "$T22_TMP/art-c"
ART_C=$(t22_sha "$T22_TMP/art-c")
t_begin referrers-put-config-type
t22_put "$T22_REPO" "$ART_C" "$T22_TMP/art-c"
expect_status 201
expect_header OCI-Subject "$IMG"

# --- fourth referrer: an index with a subject and an artifactType
printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"%s","manifests":[%s],"subject":%s}' \
    "$T22_IDX" application/vnd.example.bundle "$(t22_desc "$T22_OCI" "$T22_TMP/art-b")" \
    "$SUBJ" > "$T22_TMP/art-d"
ART_D=$(t22_sha "$T22_TMP/art-d")
t_begin referrers-put-index
t22_put "$T22_REPO" "$ART_D" "$T22_TMP/art-d" "$T22_IDX"
expect_status 201
expect_header OCI-Subject "$IMG"

t22_pairs() { # "digest=artifactType" of every listed referrer, sorted, comma-separated
    jqb '[.manifests[] | "\(.digest)=\(.artifactType)"] | sort | join(",")'
}
t22_want() { # DIGEST=TYPE...: the same form
    printf '%s\n' "$@" | sort | paste -sd,
}

t_begin referrers-list-all
for url in ${BERTH_URLS:-$BERTH_URL}; do
    t22_referrers "$T22_REPO" "$IMG" "" "$url"
    t22_expect_index
    expect_eq "$(t22_pairs)" "$(t22_want "$ART_A=$T22_SBOM" "$ART_B=$T22_SIG" \
        "$ART_C=application/vnd.example.config.v1+json" \
        "$ART_D=application/vnd.example.bundle")" "four referrers with artifactType ($url)"
    expect_eq "$(jqb --arg d "$ART_D" '.manifests[] | select(.digest == $d) | .mediaType')" \
        "$T22_IDX" "the index referrer has the index media type"
    expect_eq "$(jqb --arg d "$ART_B" '.manifests[] | select(.digest == $d) |
        .annotations["org.example.signer"]')" t022 "the signature's annotations"
    expect_eq "$(hdr OCI-Filters-Applied)" "" "no OCI-Filters-Applied without a filter"
done

t_begin referrers-filter
t22_referrers "$T22_REPO" "$IMG" "artifactType=$T22_SBOM"
t22_expect_index
expect_header OCI-Filters-Applied artifactType
expect_eq "$(t22_pairs)" "$ART_A=$T22_SBOM" "only the SBOM"
t22_referrers "$T22_REPO" "$IMG" "artifactType=$T22_SIG"
expect_header OCI-Filters-Applied artifactType
expect_eq "$(t22_pairs)" "$ART_B=$T22_SIG" "only the signature"
t22_referrers "$T22_REPO" "$IMG" "artifactType=application/vnd.example.config.v1%2Bjson"
expect_header OCI-Filters-Applied artifactType
expect_eq "$(t22_pairs)" "$ART_C=application/vnd.example.config.v1+json" \
    "filter matches the config media type standing in (%2B-encoded +)"
t22_referrers "$T22_REPO" "$IMG" "artifactType=application/vnd.example.none"
t22_expect_index
expect_header OCI-Filters-Applied artifactType
expect_eq "$(jqb '.manifests | length')" 0 "no referrer of an absent type"

t_begin referrers-of-unreferenced-digest
t22_referrers "$T22_REPO" "$ART_A"
t22_expect_index
expect_eq "$(jqb '.manifests | length')" 0 "nothing refers to the SBOM"
t22_referrers "$T22_REPO" "sha256:$(printf '%064d' 7)"
t22_expect_index
expect_eq "$(jqb '.manifests | length')" 0 "nothing refers to an unknown digest"

# --- a subject that was never pushed is accepted and listed
printf 'ghost subject %s' "$RANDOM" > "$T22_TMP/ghost"
GHOST=$(t22_sha "$T22_TMP/ghost")
t22_artifact "$T22_TMP/art-g" "$T22_SBOM" "$T22_TMP/sbom" \
    "$(t22_desc "$T22_OCI" "$T22_TMP/ghost")" '{"org.example.n":"ghost"}'
ART_G=$(t22_sha "$T22_TMP/art-g")
t_begin referrers-missing-subject
t22_put "$T22_REPO" "$ART_G" "$T22_TMP/art-g"
expect_status 201
expect_header OCI-Subject "$GHOST"
t22_referrers "$T22_REPO" "$GHOST"
t22_expect_index
expect_eq "$(t22_pairs)" "$ART_G=$T22_SBOM" "the referrer of a missing subject is listed"

# --- referrers are per repository
t_begin referrers-other-repository
for f in empty sbom; do t22_push_blob "$T22_OTHER" "$T22_TMP/$f"; done
t22_artifact "$T22_TMP/art-o" "$T22_SBOM" "$T22_TMP/sbom" "$SUBJ" '{"org.example.n":"other"}'
ART_O=$(t22_sha "$T22_TMP/art-o")
t22_put "$T22_OTHER" "$ART_O" "$T22_TMP/art-o"
expect_status 201
expect_header OCI-Subject "$IMG"
t22_referrers "$T22_OTHER" "$IMG"
expect_eq "$(t22_pairs)" "$ART_O=$T22_SBOM" "the other repository lists only its referrer"
t22_referrers "$T22_REPO" "$IMG" "artifactType=$T22_SBOM"
expect_eq "$(t22_pairs)" "$ART_A=$T22_SBOM" "this repository does not list the other's"

# --- deleting a referrer removes it from the list
t_begin referrers-delete
http DELETE "$BERTH_URL/v2/$T22_REPO/manifests/$ART_C"
expect_status 202
t22_referrers "$T22_REPO" "$IMG"
expect_eq "$(jqb --arg d "$ART_C" '[.manifests[] | select(.digest == $d)] | length')" 0 \
    "the deleted referrer is gone"
expect_eq "$(jqb '.manifests | length')" 3 "the other three remain"
http DELETE "$BERTH_URL/v2/$T22_REPO/manifests/sig-v1"
expect_status 202
t22_referrers "$T22_REPO" "$IMG" "artifactType=$T22_SIG"
expect_eq "$(t22_pairs)" "$ART_B=$T22_SIG" "deleting a tag keeps the tagged referrer"

# --- invalid digests
t_begin referrers-invalid-digest
for bad in sha256:xyz sha256:abc "sha256:$(printf '%063d' 0)" notadigest \
    "sha256:$(printf '%064d' 0 | tr 0 A)" "md5:$(printf '%032d' 0)"; do
    t22_referrers "$T22_REPO" "$bad"
    expect_status 400
    expect_oci_error DIGEST_INVALID
done

# --- paging: more referrers than one page; following Link yields each exactly once, with
# and without a filter (whose "+" must survive the round trip through Link)
T22_PAGED=300
T22_PTYPE=application/vnd.example.paged+json
printf 'paged subject %s' "$RANDOM" > "$T22_TMP/paged"
PAGED=$(t22_sha "$T22_TMP/paged")
PAGED_DESC=$(t22_desc "$T22_OCI" "$T22_TMP/paged")
t_begin referrers-paging-setup
: > "$T22_TMP/paged-want"
put_fail=0
for i in $(seq 1 "$T22_PAGED"); do
    t22_artifact "$T22_TMP/art-p" "$T22_PTYPE" "$T22_TMP/sig" "$PAGED_DESC" \
        "{\"org.example.i\":\"$i\"}"
    d=$(t22_sha "$T22_TMP/art-p")
    echo "$d" >> "$T22_TMP/paged-want"
    code=$(curl -sS "${T22_AUTH[@]}" -o /dev/null -w '%{http_code}' -X PUT \
        --data-binary @"$T22_TMP/art-p" -H "Content-Type: $T22_OCI" \
        "$BERTH_URL/v2/$T22_REPO/manifests/$d")
    [ "$code" = 201 ] || put_fail=$((put_fail + 1))
done
expect_eq "$put_fail" 0 "$T22_PAGED referrers pushed"
# and one of another type, which the filtered walk must not see
t22_artifact "$T22_TMP/art-q" "$T22_SBOM" "$T22_TMP/sbom" "$PAGED_DESC" '{}'
t22_put "$T22_REPO" "$(t22_sha "$T22_TMP/art-q")" "$T22_TMP/art-q"
expect_status 201

t22_walk() { # NAME URL WANT-FILE [filtered]: follow Link to the end
    local url=$2 pages=0 next filt_ok=1
    t_begin "referrers-paging-$1"
    : > "$T22_TMP/paged-got"
    while [ -n "$url" ] && [ "$pages" -lt 50 ]; do
        pages=$((pages + 1))
        http GET "$url"
        [ "$HTTP_STATUS" = 200 ] || break
        [ -z "${4:-}" ] || [ "$(hdr OCI-Filters-Applied)" = artifactType ] || filt_ok=0
        jqb '.manifests[].digest' >> "$T22_TMP/paged-got"
        next=$(hdr Link | sed -n 's/^<\([^>]*\)>; *rel="\{0,1\}next"\{0,1\}$/\1/p' | head -n 1)
        case $next in
            "") url= ;;
            http*) url=$next ;;
            *) url=$BERTH_URL$next ;;
        esac
    done
    expect_status 200
    if [ "$pages" -gt 1 ]; then ok "$pages pages, Link followed"
    else not_ok "one page of $(wc -l < "$T22_TMP/paged-got") referrers and no Link"; fi
    [ -z "${4:-}" ] || expect_eq "$filt_ok" 1 "every page says OCI-Filters-Applied"
    expect_eq "$(wc -l < "$T22_TMP/paged-got")" "$(wc -l < "$3")" "referrers over all pages"
    expect_eq "$(sort "$T22_TMP/paged-got" | uniq -d | wc -l)" 0 "no referrer listed twice"
    expect_eq "$(sort "$T22_TMP/paged-got" | sha256sum)" "$(sort "$3" | sha256sum)" \
        "exactly the referrers pushed"
}
cp "$T22_TMP/paged-want" "$T22_TMP/paged-want-all"
t22_sha "$T22_TMP/art-q" >> "$T22_TMP/paged-want-all"
t22_walk all "$BERTH_URL/v2/$T22_REPO/referrers/$PAGED" "$T22_TMP/paged-want-all"
t22_walk filtered \
    "$BERTH_URL/v2/$T22_REPO/referrers/$PAGED?artifactType=application%2Fvnd.example.paged%2Bjson" \
    "$T22_TMP/paged-want" filtered

rm -rf "$T22_TMP"
