# tests/e2e/t_023_tags_catalog.sh - GET /v2/<name>/tags/list and GET /v2/_catalog: lexical
# (byte) order, n and last, the Link header and walking it to the end (on either gateway),
# n=0, invalid n (400), deleted and moved tags, unknown (404 NAME_UNKNOWN) and invalid
# (400 NAME_INVALID) repositories, the catalog listing and paging this file's repositories.
# Sourced by tests/e2e/run after lib.sh. Repositories: t023/*.
# shellcheck shell=bash

T23_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t023.XXXXXX")
T23_REPO=t023/tags
T23_OCI=application/vnd.oci.image.manifest.v1+json

# Rerunnable against a kept stack: forget what an earlier run of this file left behind.
psql_q "delete from repositories where name like 't023/%'" > /dev/null

t23_sha() { echo "sha256:$(sha256sum < "$1" | cut -d' ' -f1)"; }

# t23_image REPO FILE: pushes a config blob and writes a manifest using it to FILE
t23_image() {
    printf '{"architecture":"amd64","os":"linux","repo":"%s"}' "$1" > "$T23_TMP/cfg"
    http POST "$BERTH_URL/v2/$1/blobs/uploads/?digest=$(t23_sha "$T23_TMP/cfg")" \
        --data-binary @"$T23_TMP/cfg" -H 'Content-Type: application/octet-stream'
    expect_status 201
    printf '{"schemaVersion":2,"mediaType":"%s","config":' "$T23_OCI" > "$2"
    printf '{"mediaType":"%s","digest":"%s","size":%s},"layers":[]}' \
        application/vnd.oci.image.config.v1+json "$(t23_sha "$T23_TMP/cfg")" \
        "$(stat -c %s "$T23_TMP/cfg")" >> "$2"
}

t23_put() { # REPO REF FILE
    http PUT "$BERTH_URL/v2/$1/manifests/$2" --data-binary @"$3" -H "Content-Type: $T23_OCI"
}

t23_next() { # the target of the Link rel="next" header, absolute, or nothing
    local next
    next=$(hdr Link | sed -n 's/^<\([^>]*\)>; *rel="\{0,1\}next"\{0,1\}$/\1/p' | head -n 1)
    case $next in
        "") ;;
        http*) echo "$next" ;;
        *) echo "${1:-$BERTH_URL}$next" ;;
    esac
}

t23_query() { # URL KEY: the value of KEY in URL's query
    printf '%s\n' "${1#*\?}" | tr '&' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# t23_walk URL KEY OUT [BASE2]: follows Link from URL to the end, appending the KEY arrays
# to OUT; when BASE2 is given, every next page is fetched from that gateway instead.
# Sets T23_PAGES, T23_SIZES (entries per page) and T23_BAD (pages that did not answer 200).
t23_walk() {
    local url=$1 base
    T23_PAGES=0 T23_SIZES='' T23_BAD=0
    : > "$3"
    while [ -n "$url" ] && [ "$T23_PAGES" -lt 200 ]; do
        T23_PAGES=$((T23_PAGES + 1))
        http GET "$url"
        if [ "$HTTP_STATUS" != 200 ]; then T23_BAD=$((T23_BAD + 1)); break; fi
        jqb ".$2 // [] | .[]" >> "$3"
        T23_SIZES="$T23_SIZES $(jqb ".$2 // [] | length")"
        base=${url%%/v2/*}
        url=$(t23_next "$base")
        if [ -n "$url" ] && [ -n "${4:-}" ]; then url="$4/v2/${url#*/v2/}"; fi
    done
}

t23_expect_400() { # the last response is 400 with an OCI error body
    expect_status 400
    if jq -e '.errors[0].code | type == "string"' < "$HTTP_BODY" > /dev/null 2>&1; then
        ok "OCI error body ($(jqb '.errors[0].code'))"
    else
        not_ok "no OCI error body"
    fi
}

# --- one image, many tags (several PUTs, each naming a batch with ?tag=)
T23_TAGS=(b a C 10 9 A Z z _x 1.0 1.0-rc 1.0.1 a-b a_b a.b latest v1 v10 v2 V2)
T23_TAGS+=("$(printf 'x%.0s' {1..128})")   # the longest tag allowed
for i in $(seq -w 1 40); do T23_TAGS+=("t$i"); done
printf '%s\n' "${T23_TAGS[@]}" | LC_ALL=C sort > "$T23_TMP/want"
T23_N=$(wc -l < "$T23_TMP/want")

t_begin tags-setup
t23_image "$T23_REPO" "$T23_TMP/m"
t23_put "$T23_REPO" first "$T23_TMP/m"
expect_status 201
http DELETE "$BERTH_URL/v2/$T23_REPO/manifests/first"
expect_status 202
# b, a, C, 10, 9 one by one, in this order; the rest in batches of ten
for t in b a C 10 9; do
    t23_put "$T23_REPO" "$t" "$T23_TMP/m"
    expect_status 201
done
rest=("${T23_TAGS[@]:5}")
for ((i = 0; i < ${#rest[@]}; i += 10)); do
    q=$(printf '&tag=%s' "${rest[@]:i:10}")
    t23_put "$T23_REPO" "$(t23_sha "$T23_TMP/m")?${q#&}" "$T23_TMP/m"
    expect_status 201
done

t_begin tags-list-order
http GET "$BERTH_URL/v2/$T23_REPO/tags/list"
expect_status 200
expect_header Content-Type application/json
expect_eq "$(jqb .name)" "$T23_REPO" "name is the repository"
jqb '.tags[]' > "$T23_TMP/got"
if cmp -s "$T23_TMP/got" "$T23_TMP/want"; then
    ok "all $T23_N tags in byte order"
else
    not_ok "tags not in byte order: $(paste -sd' ' "$T23_TMP/got" | cut -c1-200)"
fi
expect_eq "$(jqb '.tags[0:9] | join(" ")')" "1.0 1.0-rc 1.0.1 10 9 A C V2 Z" \
    "digits before upper case before lower case, byte by byte"
expect_eq "$(hdr Link)" "" "no Link when everything fits"

t_begin tags-page-n
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?n=5"
expect_status 200
expect_eq "$(jqb '.tags | join(",")')" "$(head -n 5 "$T23_TMP/want" | paste -sd,)" \
    "the first five"
next=$(t23_next)
if [ -n "$next" ]; then ok "Link rel=next: $next"; else not_ok "no Link rel=next"; fi
expect_eq "${next%%\?*}" "$BERTH_URL/v2/$T23_REPO/tags/list" "Link names the tags list"
expect_eq "$(t23_query "$next" n)" 5 "Link keeps n"
expect_eq "$(t23_query "$next" last)" "$(sed -n 5p "$T23_TMP/want")" "Link last is the fifth"

t_begin tags-page-last
x=$(sed -n 7p "$T23_TMP/want")
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?n=3&last=$x"
expect_status 200
expect_eq "$(jqb '.tags | join(",")')" "$(sed -n 8,10p "$T23_TMP/want" | paste -sd,)" \
    "three after the seventh"
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?last=$x"
expect_eq "$(jqb '.tags | length')" "$((T23_N - 7))" "last without n: the rest"
expect_eq "$(hdr Link)" "" "no Link for the rest"
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?last=b0"
expect_eq "$(jqb '.tags | join(",")')" "$(awk '$0 > "b0"' "$T23_TMP/want" | paste -sd,)" \
    "last need not be a tag"
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?last=zzz"
expect_status 200
expect_eq "$(jqb '.tags // [] | length')" 0 "nothing after the end"
expect_eq "$(hdr Link)" "" "no Link after the end"

t_begin tags-page-exact
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?n=$T23_N"
expect_eq "$(jqb '.tags | length')" "$T23_N" "n = number of tags: all"
expect_eq "$(hdr Link)" "" "n = number of tags: no Link"
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?n=$((T23_N - 1))"
expect_eq "$(jqb '.tags | length')" "$((T23_N - 1))" "n = one less: one less"
expect_eq "$(t23_query "$(t23_next)" last)" "$(sed -n "$((T23_N - 1))p" "$T23_TMP/want")" \
    "n = one less: Link to the last"
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?n=100000"
expect_status 200
expect_eq "$(jqb '.tags | length')" "$T23_N" "a huge n is capped, not refused"

t23_check_walk() { # WHAT WANT-FILE N: the walk in $T23_TMP/walk matches
    expect_eq "$T23_BAD" 0 "$1: every page 200"
    if cmp -s "$T23_TMP/walk" "$2"; then ok "$1: every entry once, in order"
    else not_ok "$1: got $(wc -l < "$T23_TMP/walk") entries, not the expected list"; fi
    expect_eq "$T23_PAGES" "$(( ($(wc -l < "$2") + $3 - 1) / $3 ))" "$1: page count"
    expect_eq "${T23_SIZES##* }" \
        "$(( $(wc -l < "$2") % $3 == 0 ? $3 : $(wc -l < "$2") % $3 ))" "$1: last page size"
}
for n in 1 7 20; do
    t_begin "tags-walk-n$n"
    t23_walk "$BERTH_URL/v2/$T23_REPO/tags/list?n=$n" tags "$T23_TMP/walk"
    t23_check_walk "n=$n" "$T23_TMP/want" "$n"
done
t_begin tags-walk-across-gateways
read -ra T23_GW <<< "${BERTH_URLS:-$BERTH_URL}"
T23_GW2=${T23_GW[1]:-${T23_GW[0]}}
t23_walk "${T23_GW[0]}/v2/$T23_REPO/tags/list?n=6" tags "$T23_TMP/walk" "$T23_GW2"
t23_check_walk "n=6, pages 2.. from $T23_GW2" "$T23_TMP/want" 6

t_begin tags-n0
http GET "$BERTH_URL/v2/$T23_REPO/tags/list?n=0"
expect_status 200
expect_eq "$(jqb '.tags // [] | length')" 0 "n=0: an empty list"
expect_eq "$(hdr Link)" "" "n=0: no Link (it would never advance)"

t_begin tags-n-invalid
for bad in -1 abc 1.5 5x '' 99999999999999999999999; do
    http GET "$BERTH_URL/v2/$T23_REPO/tags/list?n=$bad"
    t23_expect_400
done

t_begin tags-delete-and-move
http DELETE "$BERTH_URL/v2/$T23_REPO/manifests/a"
expect_status 202
printf '{"architecture":"arm64","os":"linux"}' > "$T23_TMP/cfg2"
http POST "$BERTH_URL/v2/$T23_REPO/blobs/uploads/?digest=$(t23_sha "$T23_TMP/cfg2")" \
    --data-binary @"$T23_TMP/cfg2"
expect_status 201
sed "s/$(t23_sha "$T23_TMP/cfg" | cut -d: -f2)/$(t23_sha "$T23_TMP/cfg2" | cut -d: -f2)/;
     s/\"size\":[0-9]*/\"size\":$(stat -c %s "$T23_TMP/cfg2")/" "$T23_TMP/m" > "$T23_TMP/m2"
t23_put "$T23_REPO" b "$T23_TMP/m2"
expect_status 201
t23_put "$T23_REPO" "new?tag=b" "$T23_TMP/m2"
expect_status 201
{ grep -vx a "$T23_TMP/want"; echo new; } | LC_ALL=C sort > "$T23_TMP/want2"
http GET "$BERTH_URL/v2/$T23_REPO/tags/list"
jqb '.tags[]' > "$T23_TMP/got"
if cmp -s "$T23_TMP/got" "$T23_TMP/want2"; then ok "deleted tag gone, moved tag listed once"
else not_ok "tags after delete and move: $(paste -sd' ' "$T23_TMP/got" | cut -c1-200)"; fi
http GET "$BERTH_URL/v2/$T23_REPO/manifests/b"
expect_header Docker-Content-Digest "$(t23_sha "$T23_TMP/m2")"

t_begin tags-unknown-repository
http GET "$BERTH_URL/v2/t023/no-such-repo/tags/list"
expect_status 404
expect_oci_error NAME_UNKNOWN
http GET "$BERTH_URL/v2/t023/no-such-repo/tags/list?n=2&last=a"
expect_status 404
expect_oci_error NAME_UNKNOWN
http GET "$BERTH_URL/v2/t023/Upper/tags/list"
expect_status 400
expect_oci_error NAME_INVALID

t_begin tags-repository-without-tags
t23_image t023/untagged "$T23_TMP/mu"
t23_put t023/untagged "$(t23_sha "$T23_TMP/mu")" "$T23_TMP/mu"
expect_status 201
http GET "$BERTH_URL/v2/t023/untagged/tags/list"
expect_status 200
expect_eq "$(jqb '.tags // [] | length')" 0 "a repository with no tags lists none"

# --- catalog
t_begin catalog-setup
T23_REPOS=(t023/tags t023/untagged)
for r in t023/c-b t023/c-a t023/c0 t023/c9 t023/c10 t023/c.x t023/c_x t023/c/deep/er; do
    t23_image "$r" "$T23_TMP/mc"
    t23_put "$r" latest "$T23_TMP/mc"
    expect_status 201
    T23_REPOS+=("$r")
done
printf '%s\n' "${T23_REPOS[@]}" | LC_ALL=C sort > "$T23_TMP/repos-want"

t_begin catalog-list
http GET "$BERTH_URL/v2/_catalog"
expect_status 200
expect_header Content-Type application/json
jqb '.repositories[]' > "$T23_TMP/catalog"
expect_eq "$(grep '^t023/' "$T23_TMP/catalog" | paste -sd' ')" \
    "$(paste -sd' ' "$T23_TMP/repos-want")" "this file's repositories, in byte order"
if LC_ALL=C sort -c "$T23_TMP/catalog" 2>/dev/null && [ -z "$(uniq -d "$T23_TMP/catalog")" ]
then ok "the whole catalog is sorted and unique"
else not_ok "catalog not sorted or not unique"; fi
expect_eq "$(grep -c '^t023/no-such-repo$' "$T23_TMP/catalog")" 0 "no repository for a 404"

t_begin catalog-page
x=$(sed -n 3p "$T23_TMP/repos-want")
http GET "$BERTH_URL/v2/_catalog?n=2&last=$x"
expect_status 200
expect_eq "$(jqb '.repositories | join(" ")')" \
    "$(sed -n 4,5p "$T23_TMP/repos-want" | paste -sd' ')" "two after the third"
next=$(t23_next)
expect_eq "${next%%\?*}" "$BERTH_URL/v2/_catalog" "Link names the catalog"
expect_eq "$(t23_query "$next" n)" 2 "Link keeps n"
expect_eq "$(t23_query "$next" last)" "$(sed -n 5p "$T23_TMP/repos-want")" "Link last"
http GET "$BERTH_URL/v2/_catalog?n=0"
expect_status 200
expect_eq "$(jqb '.repositories // [] | length')" 0 "n=0: an empty list"
for bad in -2 x; do
    http GET "$BERTH_URL/v2/_catalog?n=$bad"
    t23_expect_400
done

for n in 1 3; do
    t_begin "catalog-walk-n$n"
    t23_walk "$BERTH_URL/v2/_catalog?n=$n" repositories "$T23_TMP/walk"
    t23_check_walk "n=$n" "$T23_TMP/catalog" "$n"
done

rm -rf "$T23_TMP"
