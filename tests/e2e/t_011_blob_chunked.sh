# tests/e2e/t_011_blob_chunked.sh - chunked uploads (PATCH with Content-Range, then PUT):
# chunks of 1 byte, of 1 MiB, of 5 MiB + 1, a 17 MiB blob in uneven chunks, a final PUT
# carrying the last chunk, an upload whose requests alternate between the two gateways,
# GET <location> progress (204 + Range) in between, the tail kept in PostgreSQL under 5 MiB,
# and cancelling with DELETE (404 BLOB_UPLOAD_UNKNOWN after, no row, multipart aborted).
# Every completed blob is read back through the 307 and compared byte for byte.
# Sourced by tests/e2e/run after lib.sh.

REPO=e2e/t011-chunked
W=$(mktemp -d "$E2E_DIR/t011.XXXXXX")
G1=${BERTH_URLS%% *}
G2=${BERTH_URLS##* }

. tests/e2e/blob_lib.sh

# ---- helpers of this file
finish() { # BASE FILE REPO [final-chunk-file]: PUT ?digest=, then check and read back
    local d size
    d=$(digest_of "$2")
    size=$(stat -c %s "$2")
    if [ -n "${4:-}" ]; then
        http PUT "$(with_q "$(on_gw "$1" "$UP_URL")" "digest=$d")" --data-binary "@$4"
    else
        http PUT "$(with_q "$(on_gw "$1" "$UP_URL")" "digest=$d")"
    fi
    expect_created "$3" "$d" || return 1
    expect_eq "$(upload_rows "$UP_ID")" 0 "uploads row gone after the PUT"
    http GET "$(on_gw "$1" "$UP_URL")"
    expect_status 404
    expect_oci_error BLOB_UPLOAD_UNKNOWN
    expect_eq "$(blob_rows "$d")" 1 "one blobs row"
    head_check "$1" "$3" "$d" "$size"
    readback "$1" "$3" "$d" "$2"
}
tail_ok() { # the stored tail stays under 5 MiB (DESIGN.md section 4)
    local t
    t=$(psql_q "select length(tail) from uploads where id::text = '$UP_ID'")
    if [ -n "$t" ] && [ "$t" -lt $((5 * MIB)) ]; then
        ok "stored tail $t bytes < 5 MiB"
    else
        not_ok "stored tail '${t:-no row}' not under 5 MiB"
    fi
}

# ---- 1-byte chunks
t_begin chunked-1-byte
mkblob "$W/b1" 12
if upload_start "$G1" "$REPO"; then
    for i in $(seq 0 11); do
        send_chunk "$G1" "$W/b1" "$i" 1 || break
        [ "$i" = 5 ] && progress "$G1" 6
    done
    expect_eq "$(psql_q "select \"offset\" from uploads where id::text = '$UP_ID'")" 12 \
        "uploads.offset after 12 chunks"
    finish "$G1" "$W/b1" "$REPO"
fi

# ---- 1 MiB chunks (7 MiB: the tail reaches 5 MiB and becomes a part), last one in the PUT
t_begin chunked-1-mib
mkblob "$W/m1" $((7 * MIB + 300))
if upload_start "$G1" "$REPO"; then
    for i in $(seq 0 6); do
        send_chunk "$G1" "$W/m1" $((i * MIB)) "$MIB" || break
        tail_ok
    done
    progress "$G1" $((7 * MIB))
    tail -c 300 "$W/m1" > "$W/m1.last"
    finish "$G1" "$W/m1" "$REPO" "$W/m1.last"
fi

# ---- 5 MiB + 1 chunks
t_begin chunked-5-mib-plus-1
C=$((5 * MIB + 1))
mkblob "$W/m5" $((3 * C))
if upload_start "$G1" "$REPO"; then
    for i in 0 1 2; do
        send_chunk "$G1" "$W/m5" $((i * C)) "$C" || break
        tail_ok
    done
    progress "$G1" $((3 * C))
    finish "$G1" "$W/m5" "$REPO"
fi

# ---- 17 MiB in uneven chunks: 3 MiB, 9 MiB (crosses a part inside a request), 5 MiB
t_begin chunked-17-mib
mkblob "$W/m17" $((17 * MIB))
if upload_start "$G1" "$REPO"; then
    send_chunk "$G1" "$W/m17" 0 $((3 * MIB)) &&
        progress "$G1" $((3 * MIB)) &&
        send_chunk "$G1" "$W/m17" $((3 * MIB)) $((9 * MIB)) &&
        tail_ok &&
        send_chunk "$G1" "$W/m17" $((12 * MIB)) $((5 * MIB)) &&
        tail_ok &&
        progress "$G1" $((17 * MIB))
    finish "$G1" "$W/m17" "$REPO"
fi

# ---- requests alternating between the two gateways
t_begin chunked-two-gateways
C=$((2 * MIB + 1234))
mkblob "$W/alt" $((4 * C + 77))
if [ "$G1" = "$G2" ]; then
    not_ok "BERTH_URLS names one gateway only: '$BERTH_URLS'"
elif upload_start "$G1" "$REPO"; then
    for i in 0 1 2 3; do
        if [ $((i % 2)) = 0 ]; then gw=$G1 other=$G2; else gw=$G2 other=$G1; fi
        send_chunk "$gw" "$W/alt" $((i * C)) "$C" || break
        progress "$other" $(((i + 1) * C))
    done
    tail -c 77 "$W/alt" > "$W/alt.last"
    finish "$G2" "$W/alt" "$REPO" "$W/alt.last"
    head_check "$G1" "$REPO" "$(digest_of "$W/alt")" $((4 * C + 77))
fi

# ---- the final chunk in the PUT, with its Content-Range
t_begin chunked-put-with-range
mkblob "$W/pr" 3000
if upload_start "$G1" "$REPO"; then
    send_chunk "$G1" "$W/pr" 0 1000
    tail -c 2000 "$W/pr" > "$W/pr.last"
    http PUT "$(with_q "$UP_URL" "digest=$(digest_of "$W/pr")")" \
        -H 'Content-Range: 1000-2999' --data-binary "@$W/pr.last"
    expect_created "$REPO" "$(digest_of "$W/pr")"
    readback "$G1" "$REPO" "$(digest_of "$W/pr")" "$W/pr"
fi

# ---- a client gives up in the middle of a PATCH (after a part went to S3): the upload
# stays at its last offset, is not left locked, and completes
t_begin chunked-client-abort
mkblob "$W/ab" $((20 * MIB))
if upload_start "$G1" "$REPO"; then
    send_chunk "$G1" "$W/ab" 0 1000
    tail -c +1001 "$W/ab" > "$W/ab.rest"
    if curl -s -m 3 --limit-rate 5M -o /dev/null -X PATCH ${AUTH[@]+"${AUTH[@]}"} \
        --data-binary "@$W/ab.rest" "$UP_URL"; then
        not_ok "the throttled PATCH finished within 3 s: nothing was interrupted"
    else
        ok "the PATCH was interrupted by the client"
    fi
    sleep 0.5
    progress "$G2" 1000
    send_chunk "$G2" "$W/ab" 1000 $((20 * MIB - 1000))
    finish "$G1" "$W/ab" "$REPO"
fi

# ---- sha512 (declared at POST): the hash state crosses gateways mid-block and mid-part
t_begin chunked-sha512-two-gateways
mkblob "$W/s512" $((11 * MIB + 77))
if upload_start "$G1" "$REPO" digest-algorithm=sha512; then
    off=0
    i=0
    for n in 1 1 1 3000000 6000000 $((11 * MIB + 77 - 9000003)); do
        if [ $((i % 2)) = 0 ]; then gw=$G1; else gw=$G2; fi
        send_chunk "$gw" "$W/s512" "$off" "$n" || break
        off=$((off + n))
        i=$((i + 1))
    done
    D512=$(digest_of "$W/s512" sha512)
    http PUT "$(with_q "$(on_gw "$G2" "$UP_URL")" "digest=$D512")"
    expect_created "$REPO" "$D512"
    head_check "$G1" "$REPO" "$D512" $((11 * MIB + 77))
    readback "$G1" "$REPO" "$D512" "$W/s512"
fi

# ---- cancel with DELETE: row gone, multipart aborted, the upload unknown afterwards
t_begin chunked-cancel
mkblob "$W/cancel" $((6 * MIB))
if upload_start "$G1" "$REPO"; then
    send_chunk "$G1" "$W/cancel" 0 100
    send_chunk "$G1" "$W/cancel" 100 $((6 * MIB - 100))
    KEY=$(psql_q "select object_key from uploads where id::text = '$UP_ID'")
    expect_eq "$(s3_multipart_count "$KEY")" 1 "one multipart upload in S3 for $KEY"
    http DELETE "$UP_URL"
    expect_status 204
    http GET "$UP_URL"
    expect_status 404
    expect_oci_error BLOB_UPLOAD_UNKNOWN
    expect_eq "$(upload_rows "$UP_ID")" 0 "no uploads row after DELETE"
    expect_eq "$(s3_multipart_count "$KEY")" 0 "the multipart upload was aborted"
    http PATCH "$UP_URL" -H 'Content-Range: 6291456-6291460' --data-binary 12345
    expect_status 404
    expect_oci_error BLOB_UPLOAD_UNKNOWN
    http PUT "$(with_q "$UP_URL" "digest=$(digest_of "$W/cancel")")"
    expect_status 404
    expect_oci_error BLOB_UPLOAD_UNKNOWN
    http DELETE "$UP_URL"
    expect_status 404
    expect_oci_error BLOB_UPLOAD_UNKNOWN
    expect_eq "$(blob_rows "$(digest_of "$W/cancel")")" 0 "no blobs row for the cancelled blob"
fi
rm -rf "$W"
