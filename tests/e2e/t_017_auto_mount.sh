# tests/e2e/t_017_auto_mount.sh - BERTH_AUTO_MOUNT=1: POST ?mount=<digest> with no from=
# mounts a blob that another repository of the same project holds (201, linked, no upload
# row, no new blobs row); a blob held only in another project, or nowhere, falls back to a
# 202 upload session; the stack's own gateways (the default, 0) never mount without from=.
# Then the ported conformance suite runs against that gateway with
# OCI_AUTOMATIC_CROSSMOUNT=1, so both settings of the suite's option pass.
# Sourced by tests/e2e/run after lib.sh.

W=$(mktemp -d "$E2E_DIR/t017.XXXXXX")

. tests/e2e/blob_lib.sh

trap gw_extra_stop EXIT

t_begin auto-mount-start
UP=0
gw_extra_start t017-automount BERTH_AUTO_MOUNT=1 && UP=1
A=$GW_EXTRA_URL

mkblob "$W/blob" $((64 * 1024 + 3))
D=$(digest_of "$W/blob")
mkblob "$W/lone" 777
D_LONE=$(digest_of "$W/lone")

if [ "$UP" = 1 ]; then
    t_begin auto-mount-setup
    http POST "$BERTH_URL/v2/e2e/t017-src/blobs/uploads/?digest=$D" --data-binary "@$W/blob"
    expect_status 201
    http POST "$BERTH_URL/v2/t017other/src/blobs/uploads/?digest=$D_LONE" \
        --data-binary "@$W/lone"
    expect_status 201

    t_begin auto-mount-same-project
    http POST "$A/v2/e2e/t017-dst/blobs/uploads/?mount=$D" --data-binary ''
    expect_created e2e/t017-dst "$D"
    head_check "$A" e2e/t017-dst "$D" $((64 * 1024 + 3))
    readback "$BERTH_URL" e2e/t017-dst "$D" "$W/blob"
    expect_eq "$(blob_rows "$D")" 1 "the mount added no blobs row"
    expect_eq "$(repo_uploads e2e/t017-dst)" 0 "the mount left no upload row"

    t_begin auto-mount-other-project
    # t017other/src holds D_LONE, but e2e/ is another project: no mount, an upload
    if upload_start "$A" e2e/t017-dst2 "mount=$D_LONE"; then
        expect_eq "$(upload_rows "$UP_ID")" 1 "fell back to an upload row"
        http DELETE "$UP_URL"
        expect_status 204
    fi
    http HEAD "$A/v2/e2e/t017-dst2/blobs/$D_LONE"
    expect_status 404

    t_begin auto-mount-unknown-digest
    if upload_start "$A" e2e/t017-dst3 "mount=sha256:$(printf '%064d' 0)"; then
        expect_eq "$(upload_rows "$UP_ID")" 1 "fell back to an upload row"
        http DELETE "$UP_URL"
        expect_status 204
    fi

    t_begin auto-mount-off-by-default
    if upload_start "$BERTH_URL" e2e/t017-dst4 "mount=$D"; then
        expect_eq "$(upload_rows "$UP_ID")" 1 "BERTH_AUTO_MOUNT=0 gives an upload session"
        http DELETE "$UP_URL"
        expect_status 204
    fi
    http HEAD "$BERTH_URL/v2/e2e/t017-dst4/blobs/$D"
    expect_status 404

    # The conformance suite's "automatic content discovery enabled" case, and the rest of
    # the suite, against this gateway.
    (
        BERTH_URL=$A
        OCI_AUTOMATIC_CROSSMOUNT=1
        . tests/e2e/t_060_conformance.sh
    )
fi

t_begin auto-mount-stop
gw_extra_stop --check
trap - EXIT
rm -rf "$W"
