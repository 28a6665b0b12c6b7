# tests/e2e/t_010_blob_upload.sh - the ways a client pushes a whole blob, each checked by
# reading the blob back: monolithic POST ?digest=; POST + one PUT with the whole body
# (containerd); POST + one streamed PATCH without Content-Range + PUT (Go distribution
# client); sha512 blobs (declared with ?digest-algorithm= and not); the empty blob;
# re-uploading a stored digest (dedup: one blobs row, object kept); cross-repository
# mount, and mount from a repository that lacks the blob (falls back to a 202 upload).
# Sourced by tests/e2e/run after lib.sh.

REPO=e2e/t010-upload
W=$(mktemp -d "$E2E_DIR/t010.XXXXXX")

. tests/e2e/blob_lib.sh

# ---- monolithic POST ?digest=
t_begin upload-monolithic-post
mkblob "$W/mono" 4099
D_MONO=$(digest_of "$W/mono")
http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$D_MONO" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$W/mono"
expect_created "$REPO" "$D_MONO"
expect_eq "$(blob_rows "$D_MONO")" 1 "one blobs row for $D_MONO"
expect_eq "$(psql_q "select size from blobs where digest = '$D_MONO'")" 4099 "blobs.size"
head_check "$BERTH_URL" "$REPO" "$D_MONO" 4099
readback "$BERTH_URL" "$REPO" "$D_MONO" "$W/mono"
expect_eq "$(repo_uploads "$REPO")" 0 "no upload row left after the monolithic POST"

# ---- containerd: POST, then one PUT with the whole body (above a part size: multipart)
t_begin upload-post-put
mkblob "$W/cd" $((9 * MIB + 123))
D_CD=$(digest_of "$W/cd")
if upload_start "$BERTH_URL" "$REPO"; then
    expect_header Range 0-0
    expect_eq "$(upload_rows "$UP_ID")" 1 "the POST created an uploads row"
    http PUT "$(with_q "$UP_URL" "digest=$D_CD")" \
        -H 'Content-Type: application/octet-stream' --data-binary "@$W/cd"
    expect_created "$REPO" "$D_CD"
    expect_eq "$(upload_rows "$UP_ID")" 0 "uploads row deleted by the PUT"
    head_check "$BERTH_URL" "$REPO" "$D_CD" $((9 * MIB + 123))
    readback "$BERTH_URL" "$REPO" "$D_CD" "$W/cd"
fi

# ---- Go client: POST, one PATCH streaming the whole blob (chunked, no Content-Range), PUT
t_begin upload-streamed-patch
mkblob "$W/go" $((3 * MIB + 5))
D_GO=$(digest_of "$W/go")
if upload_start "$BERTH_URL" "$REPO"; then
    http PATCH "$UP_URL" -H 'Content-Type: application/octet-stream' \
        -H 'Transfer-Encoding: chunked' --data-binary "@$W/go"
    expect_status 202
    expect_header Range "0-$((3 * MIB + 4))"
    expect_header Docker-Upload-UUID "$UP_ID"
    expect_eq "$(abs_url "$BERTH_URL" "$(hdr Location)")" "$UP_URL" "Location after PATCH"
    expect_eq "$(psql_q "select \"offset\" from uploads where id::text = '$UP_ID'")" \
        $((3 * MIB + 5)) "uploads.offset after the PATCH"
    http GET "$UP_URL"
    expect_status 204
    expect_header Range "0-$((3 * MIB + 4))"
    http PUT "$(with_q "$UP_URL" "digest=$D_GO")"
    expect_created "$REPO" "$D_GO"
    head_check "$BERTH_URL" "$REPO" "$D_GO" $((3 * MIB + 5))
    readback "$BERTH_URL" "$REPO" "$D_GO" "$W/go"
fi

# ---- sha512, declared when the upload starts
t_begin upload-sha512
mkblob "$W/s512" 70000
D_512=$(digest_of "$W/s512" sha512)
if upload_start "$BERTH_URL" "$REPO" digest-algorithm=sha512; then
    http PATCH "$UP_URL" -H "Content-Range: 0-69999" --data-binary "@$W/s512"
    expect_status 202
    expect_header Range 0-69999
    http PUT "$(with_q "$UP_URL" "digest=$D_512")"
    expect_created "$REPO" "$D_512"
    head_check "$BERTH_URL" "$REPO" "$D_512" 70000
    readback "$BERTH_URL" "$REPO" "$D_512" "$W/s512"
fi

# ---- sha512 monolithic, and sha512 not declared on a multipart upload (gateway re-hashes)
t_begin upload-sha512-rehash
mkblob "$W/s512m" 3333
D_512M=$(digest_of "$W/s512m" sha512)
http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$D_512M" --data-binary "@$W/s512m"
expect_created "$REPO" "$D_512M"
head_check "$BERTH_URL" "$REPO" "$D_512M" 3333
mkblob "$W/s512big" $((6 * MIB + 7))
D_512B=$(digest_of "$W/s512big" sha512)
if upload_start "$BERTH_URL" "$REPO"; then
    http PATCH "$UP_URL" -H "Content-Range: 0-$((6 * MIB + 6))" --data-binary "@$W/s512big"
    expect_status 202
    http PUT "$(with_q "$UP_URL" "digest=$D_512B")"
    expect_created "$REPO" "$D_512B"
    head_check "$BERTH_URL" "$REPO" "$D_512B" $((6 * MIB + 7))
    readback "$BERTH_URL" "$REPO" "$D_512B" "$W/s512big"
fi

# ---- the empty blob: monolithic, and POST + PUT with no body
t_begin upload-empty
: > "$W/empty"
D_EMPTY=$(digest_of "$W/empty")
http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$D_EMPTY" -H 'Content-Length: 0'
expect_created "$REPO" "$D_EMPTY"
head_check "$BERTH_URL" "$REPO" "$D_EMPTY" 0
readback "$BERTH_URL" "$REPO" "$D_EMPTY" "$W/empty"
if upload_start "$BERTH_URL" e2e/t010-empty2; then
    http PUT "$(with_q "$UP_URL" "digest=$D_EMPTY")" -H 'Content-Length: 0'
    expect_created e2e/t010-empty2 "$D_EMPTY"
    head_check "$BERTH_URL" e2e/t010-empty2 "$D_EMPTY" 0
fi
expect_eq "$(blob_rows "$D_EMPTY")" 1 "one blobs row for the empty digest"

# ---- re-uploading a stored digest: 201 again, one blobs row, the stored object kept
t_begin upload-dedup
KEY_BEFORE=$(psql_q "select object_key from blobs where digest = '$D_MONO'")
http POST "$BERTH_URL/v2/$REPO/blobs/uploads/?digest=$D_MONO" --data-binary "@$W/mono"
expect_created "$REPO" "$D_MONO"
if upload_start "$BERTH_URL" e2e/t010-dedup; then
    http PUT "$(with_q "$UP_URL" "digest=$D_MONO")" --data-binary "@$W/mono"
    expect_created e2e/t010-dedup "$D_MONO"
fi
expect_eq "$(blob_rows "$D_MONO")" 1 "still one blobs row for $D_MONO"
expect_eq "$(psql_q "select object_key from blobs where digest = '$D_MONO'")" \
    "$KEY_BEFORE" "the blobs row still names the first object"
head_check "$BERTH_URL" e2e/t010-dedup "$D_MONO" 4099
readback "$BERTH_URL" e2e/t010-dedup "$D_MONO" "$W/mono"
# a multipart-sized duplicate too (the new object must go, the old one serve)
if upload_start "$BERTH_URL" e2e/t010-dedup; then
    KEY=$(psql_q "select object_key from uploads where id::text = '$UP_ID'")
    http PUT "$(with_q "$UP_URL" "digest=$D_CD")" --data-binary "@$W/cd"
    expect_created e2e/t010-dedup "$D_CD"
    expect_eq "$(s3_multipart_count "$KEY")" 0 "the duplicate's multipart upload is gone"
    expect_eq "$(s3_req GET "/$KEY")" 404 "the duplicate left no S3 object ($KEY)"
    expect_eq "$(s3_req GET "/$(psql_q "select object_key from blobs
                                       where digest = '$D_CD'")")" 200 "the kept object"
fi
expect_eq "$(blob_rows "$D_CD")" 1 "still one blobs row for $D_CD"
readback "$BERTH_URL" e2e/t010-dedup "$D_CD" "$W/cd"

# ---- cross-repository mount
t_begin upload-mount
http HEAD "$BERTH_URL/v2/e2e/t010-mount/blobs/$D_GO"
expect_status 404
http POST "$BERTH_URL/v2/e2e/t010-mount/blobs/uploads/?mount=$D_GO&from=$REPO"
expect_created e2e/t010-mount "$D_GO"
head_check "$BERTH_URL" e2e/t010-mount "$D_GO" $((3 * MIB + 5))
readback "$BERTH_URL" e2e/t010-mount "$D_GO" "$W/go"
expect_eq "$(blob_rows "$D_GO")" 1 "the mount added no blobs row"
expect_eq "$(repo_uploads e2e/t010-mount)" 0 "the mount left no upload row"

t_begin upload-mount-fallback
# e2e/t010-mount exists but lacks $D_CD; e2e/t010-nowhere does not exist at all
for from in e2e/t010-mount e2e/t010-nowhere; do
    if upload_start "$BERTH_URL" e2e/t010-mount2 "mount=$D_CD&from=$from"; then
        expect_header Range 0-0
        expect_eq "$(upload_rows "$UP_ID")" 1 "mount from $from fell back to an upload row"
        http DELETE "$UP_URL"
        expect_status 204
    fi
done
http HEAD "$BERTH_URL/v2/e2e/t010-mount2/blobs/$D_CD"
expect_status 404

# ---- POST without the trailing slash; a chunked monolithic POST; a 255-byte name
t_begin upload-variants
mkblob "$W/v" 5000
D_V=$(digest_of "$W/v")
http POST "$BERTH_URL/v2/e2e/t010-variants/blobs/uploads"
expect_status 202
expect_header_present Docker-Upload-UUID
http DELETE "$(abs_url "$BERTH_URL" "$(hdr Location)")"
expect_status 204
http POST "$BERTH_URL/v2/e2e/t010-variants/blobs/uploads/?digest=$D_V" \
    -H 'Transfer-Encoding: chunked' --data-binary "@$W/v"
expect_created e2e/t010-variants "$D_V"
head_check "$BERTH_URL" e2e/t010-variants "$D_V" 5000
LONG=e2e/t010-$(printf 'x%.0s' $(seq 1 246))
http POST "$BERTH_URL/v2/$LONG/blobs/uploads/?digest=$D_512M" --data-binary "@$W/s512m"
expect_created "$LONG" "$D_512M"
if upload_start "$BERTH_URL" "$LONG"; then
    expect_eq "$UP_URL" "$BERTH_URL/v2/$LONG/blobs/uploads/$UP_ID" "full upload Location"
    http DELETE "$UP_URL"
    expect_status 204
fi

t_begin upload-leftovers
expect_eq "$(repo_uploads "$REPO")" 0 "no upload rows left in $REPO"
rm -rf "$W"
