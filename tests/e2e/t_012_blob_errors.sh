# tests/e2e/t_012_blob_errors.sh - every rejection on the blob and upload paths, with the
# spec's status and error code, and nothing left behind (checked in PostgreSQL and S3):
# wrong digest on PUT (chunked, multipart, re-hashed sha512, monolithic, and bytes of the
# same size as a stored blob), malformed digests in ?digest= and in blob paths, PUT without
# ?digest=, invalid repository names, out-of-order and malformed Content-Range, a body
# shorter than its Content-Range, unknown and non-uuid upload ids, an upload addressed
# through another repository, unknown blobs, unsupported methods; and the common headers
# (Docker-Distribution-API-Version, X-Request-Id) on error answers.
# Sourced by tests/e2e/run after lib.sh.

REPO=e2e/t012-errors
W=$(mktemp -d "$E2E_DIR/t012.XXXXXX")

. tests/e2e/blob_lib.sh

# ---- helpers of this file
common_headers() { # the headers every answer carries
    expect_header Docker-Distribution-API-Version registry/2.0
    expect_header_present X-Request-Id
}
expect_error() { # STATUS CODE: status, OCI error body with a string message, common headers
    expect_status "$1"
    expect_oci_error "$2"
    if jq -se '.[0].errors[0].message | type == "string"' < "$HTTP_BODY" >/dev/null 2>&1; then
        ok "error body has a message"
    else
        not_ok "error body without errors[0].message: $(head -c 200 "$HTTP_BODY")"
    fi
    common_headers
}

mkblob "$W/a" 1000
mkblob "$W/b" 1000
D_A=$(digest_of "$W/a")
D_B=$(digest_of "$W/b")

# ---- wrong digest on the final PUT of a chunked upload
t_begin wrong-digest-put
if upload_start "$BERTH_URL" "$REPO"; then
    http PATCH "$UP_URL" -H 'Content-Range: 0-999' --data-binary "@$W/a"
    expect_status 202
    http PUT "$(with_q "$UP_URL" "digest=$D_B")"
    expect_error 400 DIGEST_INVALID
    expect_eq "$(blob_rows "$D_A")" 0 "no blobs row for the digest of the bytes"
    expect_eq "$(blob_rows "$D_B")" 0 "no blobs row for the claimed digest"
    expect_eq "$(upload_rows "$UP_ID")" 0 "uploads row deleted"
    http GET "$UP_URL"
    expect_status 404
    expect_oci_error BLOB_UPLOAD_UNKNOWN
fi

# ---- wrong digest when parts are already in S3: the multipart upload is aborted
t_begin wrong-digest-multipart
mkblob "$W/big" $((6 * MIB + 3))
cat "$W/big" "$W/a" > "$W/big+a"
D_BIGA=$(digest_of "$W/big+a")
if upload_start "$BERTH_URL" "$REPO"; then
    http PATCH "$UP_URL" -H "Content-Range: 0-$((6 * MIB + 2))" --data-binary "@$W/big"
    expect_status 202
    KEY=$(psql_q "select object_key from uploads where id::text = '$UP_ID'")
    expect_eq "$(s3_multipart_count "$KEY")" 1 "a multipart upload is in progress for $KEY"
    http PUT "$(with_q "$UP_URL" "digest=$D_A")" --data-binary "@$W/a"
    expect_error 400 DIGEST_INVALID
    expect_eq "$(blob_rows "$D_A")" 0 "no blobs row for the claimed digest"
    expect_eq "$(blob_rows "$D_BIGA")" 0 "no blobs row for the digest of the bytes"
    expect_eq "$(upload_rows "$UP_ID")" 0 "uploads row deleted"
    expect_eq "$(s3_multipart_count "$KEY")" 0 "the multipart upload was aborted"
    expect_eq "$(s3_object_status "$KEY")" 404 "no S3 object under $KEY"
fi

# ---- wrong sha512 digest on a multipart sha256 upload (verified after writing, re-hashed)
t_begin wrong-digest-rehash
if upload_start "$BERTH_URL" "$REPO"; then
    http PATCH "$UP_URL" -H "Content-Range: 0-$((6 * MIB + 2))" --data-binary "@$W/big"
    expect_status 202
    KEY=$(psql_q "select object_key from uploads where id::text = '$UP_ID'")
    BAD512=$(digest_of "$W/a" sha512)
    http PUT "$(with_q "$UP_URL" "digest=$BAD512")"
    expect_error 400 DIGEST_INVALID
    expect_eq "$(blob_rows "$BAD512")" 0 "no blobs row for the claimed digest"
    expect_eq "$(blob_rows "$(digest_of "$W/big" sha512)")" 0 "no row for the real sha512"
    expect_eq "$(upload_rows "$UP_ID")" 0 "uploads row deleted"
    expect_eq "$(s3_multipart_count "$KEY")" 0 "no multipart upload left"
    expect_eq "$(s3_object_status "$KEY")" 404 "no S3 object under $KEY"
fi

# ---- wrong digest on a monolithic POST ?digest=
t_begin wrong-digest-monolithic
http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$D_B" --data-binary "@$W/a"
expect_error 400 DIGEST_INVALID
expect_eq "$(blob_rows "$D_A")" 0 "no blobs row for the digest of the bytes"
expect_eq "$(blob_rows "$D_B")" 0 "no blobs row for the claimed digest"
expect_eq "$(repo_uploads "$REPO")" 0 "no upload row left in $REPO"

# ---- other bytes of the same size, claiming a stored digest: refused, the blob intact
t_begin wrong-digest-same-size
http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$D_A" --data-binary "@$W/a"
expect_status 201
KEY_A=$(psql_q "select object_key from blobs where digest = '$D_A'")
http POST "$BERTH_URL/v2/e2e/t012-other/blobs/uploads/?digest=$D_A" --data-binary "@$W/b"
expect_error 400 DIGEST_INVALID
http HEAD "$BERTH_URL/v2/e2e/t012-other/blobs/$D_A"
expect_status 404
if upload_start "$BERTH_URL" e2e/t012-other; then
    http PUT "$(with_q "$UP_URL" "digest=$D_A")" --data-binary "@$W/b"
    expect_error 400 DIGEST_INVALID
    expect_eq "$(upload_rows "$UP_ID")" 0 "uploads row deleted"
fi
http HEAD "$BERTH_URL/v2/e2e/t012-other/blobs/$D_A"
expect_status 404
expect_eq "$(psql_q "select object_key || ' ' || size from blobs where digest = '$D_A'")" \
    "$KEY_A 1000" "the stored blob's row is unchanged"
http GET "$BERTH_URL/v2/$REPO/blobs/$D_A"
expect_status 307
if curl -sf -m 30 -o "$W/a.back" "$(hdr Location)" && cmp -s "$W/a.back" "$W/a"; then
    ok "the stored blob still reads back its own bytes"
else
    not_ok "the stored blob no longer reads back its bytes"
fi

# ---- malformed digests in ?digest= (PUT and POST); the upload itself survives
t_begin malformed-digest-param
BAD_DIGESTS=("sha256:abc" "sha256:${EMPTY_SHA^^}" "md5:d41d8cd98f00b204e9800998ecf8427e"
    "sha256:${EMPTY_SHA}0" "sha512:$EMPTY_SHA" "$EMPTY_SHA" "sha256-$EMPTY_SHA" ""
    "SHA256:$EMPTY_SHA" "sha256:+$EMPTY_SHA")
if upload_start "$BERTH_URL" "$REPO"; then
    http PATCH "$UP_URL" -H 'Content-Range: 0-999' --data-binary "@$W/b"
    expect_status 202
    for d in "${BAD_DIGESTS[@]}"; do
        http PUT "$(with_q "$UP_URL" "digest=$d")"
        expect_error 400 DIGEST_INVALID
    done
    expect_eq "$(upload_offset "$UP_ID")" 1000 "offset unchanged by the refused PUTs"
    http PUT "$UP_URL"
    expect_error 400 DIGEST_INVALID
    expect_eq "$(blob_rows "$D_B")" 0 "no blobs row yet"
    http PUT "$(with_q "$UP_URL" "digest=$D_B")"
    expect_status 201
fi
for d in "sha256:abc" "sha256:${EMPTY_SHA^^}"; do
    http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$d" --data-binary x
    expect_error 400 DIGEST_INVALID
done
expect_eq "$(repo_uploads "$REPO")" 0 "no upload row left in $REPO"

# ---- malformed digests in blob paths
t_begin malformed-digest-path
for d in "sha256:abc" "sha256:${EMPTY_SHA^^}" "md5:d41d8cd98f00b204e9800998ecf8427e" \
    "$EMPTY_SHA" "sha256:" "latest"; do
    http HEAD "$BERTH_URL/v2/$REPO/blobs/$d"
    expect_status 400
    common_headers
    http GET "$BERTH_URL/v2/$REPO/blobs/$d"
    expect_error 400 DIGEST_INVALID
    http DELETE "$BERTH_URL/v2/$REPO/blobs/$d"
    expect_error 400 DIGEST_INVALID
done

# ---- a NUL in the path must not cut a malformed digest down to a stored one
t_begin malformed-digest-nul
for suffix in %00 %00garbage; do
    http HEAD "$BERTH_URL/v2/$REPO/blobs/$D_A$suffix"
    expect_status 400
    http GET "$BERTH_URL/v2/$REPO/blobs/$D_A$suffix"
    expect_status 400 && expect_oci_error DIGEST_INVALID
done

# ---- invalid repository names
t_begin name-invalid
for name in E2E/T012-Upper e2e/T012 e2e/a___b e2e/t012-slash/ -e2e/t012 e2e/t012. \
    e2e/a..b e2e//t012 "e2e/t012-$(printf 'x%.0s' $(seq 1 247))"; do
    http POST "$BERTH_URL/v2/$name/blobs/uploads/"
    expect_error 400 NAME_INVALID
    http POST "$BERTH_URL/v2/$name/blobs/uploads/?digest=$D_A" --data-binary "@$W/a"
    expect_error 400 NAME_INVALID
    http GET "$BERTH_URL/v2/$name/blobs/$D_A"
    expect_error 400 NAME_INVALID
    http HEAD "$BERTH_URL/v2/$name/blobs/$D_A"
    expect_status 400
done
http GET "$BERTH_URL/v2/E2E/T012-Upper/blobs/uploads/00000000-0000-4000-8000-000000000000"
expect_error 400 NAME_INVALID
expect_eq "$(psql_q "select count(*) from repositories where lower(name) in
                     ('e2e/t012-upper', 'e2e/t012', 'e2e/a___b', 'e2e/t012-slash',
                      'e2e/t012-slash/', '-e2e/t012', 'e2e/t012.', 'e2e/a..b', 'e2e//t012')
                     or length(name) > 255")" 0 "no repository row for an invalid name"
expect_eq "$(psql_q "select count(*) from repositories where name like '%a\_\_\_b%'
                     or name like '%/' or name like '%//%' or name <> lower(name)")" 0 \
    "no repository row with an invalid name"

# ---- out-of-order PATCH: 416 with Location and Range; offset unchanged; upload usable
t_begin patch-out-of-order
mkblob "$W/c" 300
if upload_start "$BERTH_URL" "$REPO"; then
    UP_PATH=/${UP_URL#http://*/}
    head -c 100 "$W/c" > "$W/c0"
    tail -c +101 "$W/c" | head -c 100 > "$W/c1"
    tail -c 100 "$W/c" > "$W/c2"
    http PATCH "$UP_URL" -H 'Content-Range: 0-99' --data-binary "@$W/c0"
    expect_status 202
    for cr in 200-299 0-99 99-198 101-200; do
        http PATCH "$UP_URL" -H "Content-Range: $cr" --data-binary "@$W/c2"
        expect_error 416 BLOB_UPLOAD_INVALID
        expect_header Range 0-99
        expect_header Location "$UP_PATH"
    done
    # a big chunk (a client retrying one) is refused just the same, with a readable answer
    http PATCH "$UP_URL" -H "Content-Range: 0-$((6 * MIB + 2))" --data-binary "@$W/big"
    expect_error 416 BLOB_UPLOAD_INVALID
    expect_header Range 0-99
    expect_header Location "$UP_PATH"
    expect_header Docker-Upload-UUID "$UP_ID"
    http PUT "$(with_q "$UP_URL" digest=sha256:abc)" --data-binary "@$W/big"
    expect_error 400 DIGEST_INVALID
    expect_eq "$(upload_offset "$UP_ID")" 100 "offset unchanged by the refused chunks"
    http GET "$UP_URL"
    expect_status 204
    expect_header Range 0-99
    http PATCH "$UP_URL" -H 'Content-Range: 100-199' --data-binary "@$W/c1"
    expect_status 202
    expect_header Range 0-199
fi

# ---- malformed Content-Range: 400; a body shorter than its range: 400; offset unchanged
t_begin patch-bad-content-range
if [ -n "$UP_ID" ]; then
    for cr in abc 200- -299 200-299-300 "bytes=200-299" 299-200 "200 - 299" 0x10-0x20 \
        "+200-299" "200-99999999999999999999999"; do
        http PATCH "$UP_URL" -H "Content-Range: $cr" --data-binary "@$W/c2"
        expect_status 400
        common_headers
    done
    http PATCH "$UP_URL" -H 'Content-Range: 200-399' --data-binary "@$W/c2"
    expect_status 400
    http PATCH "$UP_URL" -H 'Content-Range: 200-249' --data-binary "@$W/c2"
    expect_status 400
    expect_eq "$(upload_offset "$UP_ID")" 200 "offset unchanged by the refused chunks"
    http PATCH "$UP_URL" -H 'Content-Range: 200-299' --data-binary "@$W/c2"
    expect_status 202
    expect_header Range 0-299
    http PUT "$(with_q "$UP_URL" "digest=$(digest_of "$W/c")")"
    expect_status 201
fi

# ---- unknown, non-uuid and foreign upload ids
t_begin upload-unknown
U0=00000000-0000-4000-8000-000000000000
for id in "$U0" not-a-uuid "${U0^^}X" "${U0/-4000-/-4000}" 1; do
    for m in GET PATCH PUT DELETE; do
        http "$m" "$BERTH_URL/v2/$REPO/blobs/uploads/$id?digest=$D_A" \
            -H 'Content-Range: 0-0' --data-binary x
        expect_error 404 BLOB_UPLOAD_UNKNOWN
    done
done
http GET "$BERTH_URL/v2/$REPO/blobs/uploads/${U0^^}"
expect_error 404 BLOB_UPLOAD_UNKNOWN
if upload_start "$BERTH_URL" "$REPO"; then
    for m in GET PATCH DELETE; do
        http "$m" "$BERTH_URL/v2/e2e/t012-other/blobs/uploads/$UP_ID" \
            -H 'Content-Range: 0-0' --data-binary x
        expect_error 404 BLOB_UPLOAD_UNKNOWN
    done
    expect_eq "$(upload_offset "$UP_ID")" 0 "the upload is untouched"
    http DELETE "$UP_URL"
    expect_status 204
fi

# ---- unknown blobs (also: a blob stored in another repository is unknown here)
t_begin blob-unknown
mkblob "$W/none" 1000
D_NONE=$(digest_of "$W/none")
http HEAD "$BERTH_URL/v2/$REPO/blobs/$D_NONE"
expect_status 404
common_headers
http GET "$BERTH_URL/v2/$REPO/blobs/$D_NONE"
expect_error 404 BLOB_UNKNOWN
expect_eq "$(hdr Content-Type)" application/json "Content-Type of the error body"
http GET "$BERTH_URL/v2/e2e/t012-other/blobs/$D_A"
expect_error 404 BLOB_UNKNOWN
http HEAD "$BERTH_URL/v2/e2e/t012-nosuchrepo/blobs/$D_A"
expect_status 404
http GET "$BERTH_URL/v2/e2e/t012-nosuchrepo/blobs/$D_A"
expect_error 404 BLOB_UNKNOWN
http DELETE "$BERTH_URL/v2/$REPO/blobs/$D_NONE"
expect_error 404 BLOB_UNKNOWN
http DELETE "$BERTH_URL/v2/e2e/t012-other/blobs/$D_A"
expect_error 404 BLOB_UNKNOWN
http HEAD "$BERTH_URL/v2/$REPO/blobs/$D_A"
expect_status 200

# ---- unsupported methods
t_begin method-unsupported
for m in PUT POST PATCH OPTIONS; do
    http "$m" "$BERTH_URL/v2/$REPO/blobs/$D_A"
    expect_error 405 UNSUPPORTED
done
for m in PUT GET DELETE; do
    http "$m" "$BERTH_URL/v2/$REPO/blobs/uploads/"
    expect_error 405 UNSUPPORTED
done
if upload_start "$BERTH_URL" "$REPO"; then
    http POST "$UP_URL"
    expect_error 405 UNSUPPORTED
    expect_eq "$(upload_rows "$UP_ID")" 1 "the upload survives a refused method"
    http DELETE "$UP_URL"
    expect_status 204
fi

t_begin errors-leftovers
expect_eq "$(repo_uploads "$REPO")" 0 "no upload rows left in $REPO"
expect_eq "$(repo_uploads e2e/t012-other)" 0 "no upload rows left in e2e/t012-other"
rm -rf "$W"
