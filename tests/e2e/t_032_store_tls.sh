# tests/e2e/t_032_store_tls.sh - verified TLS from the gateway to both stores. The stack's
# PostgreSQL and RGW (its HTTPS port, BERTH_S3_TLS_ENDPOINT) present a certificate from the
# stack's own CA (BERTH_STACK_CA). An extra gateway reaches PostgreSQL by a host name that is
# not this machine's, with no sslmode, so Berth's default (verify-full) applies, and S3 over
# HTTPS with BERTH_S3_CA_FILE: its connections are TLS and a multipart push and a presigned
# read work. Without the CA, verification (on by default) refuses both stores: berthd does
# not start, and an upload answers 500 (logged with the cause) with nothing left behind.
# Sourced by tests/e2e/run after lib.sh. Repositories: e2e/t032-*.

W=$(mktemp -d "$E2E_DIR/t032.XXXXXX")

. tests/e2e/blob_lib.sh

trap gw_extra_stop EXIT

PG_PORT=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<< "$BERTH_PG")
# hostaddr connects to 127.0.0.1; host is the name the certificate must carry
PG_REMOTE="hostaddr=127.0.0.1 host=pg.berth.test port=$PG_PORT dbname=berth user=postgres"
tls_conns() { psql_q "select count(*) from pg_stat_ssl s join pg_stat_activity a using (pid)
                      where s.ssl and a.backend_type = 'client backend'"; }

t_begin store-tls-pg-default-verifies
# no sslmode, a remote-looking host, no CA where libpq looks by default: refused
if gw_extra_try t032-pg-noca BERTH_PG="$PG_REMOTE"; then
    not_ok "berthd started against PostgreSQL it could not verify"
else
    ok "berthd without the CA does not start (default sslmode=verify-full)"
    if grep -q "root certificate file" "$GW_EXTRA_LOG"; then
        ok "its log names the missing root certificate"
    else
        not_ok "log does not say why: $(tail -n 2 "$GW_EXTRA_LOG" | tr '\n' ' ')"
    fi
fi
gw_extra_stop

t_begin store-tls-gateway
BEFORE=$(tls_conns)
UP=0
gw_extra_start t032-tls BERTH_PG="$PG_REMOTE sslrootcert=$BERTH_STACK_CA" \
    BERTH_S3_ENDPOINT="$BERTH_S3_TLS_ENDPOINT" BERTH_S3_CA_FILE="$BERTH_STACK_CA" && UP=1
A=$GW_EXTRA_URL
if [ "$UP" = 1 ]; then
    AFTER=$(tls_conns)
    if [ "$AFTER" -gt "$BEFORE" ]; then
        ok "the gateway's PostgreSQL connections are TLS ($BEFORE -> $AFTER in pg_stat_ssl)"
    else
        not_ok "no new TLS connection in pg_stat_ssl ($BEFORE -> $AFTER)"
    fi

    t_begin store-tls-push
    SIZE=$((9 * MIB + 7)) # more than one 8 MiB part: a multipart upload over HTTPS
    mkblob "$W/blob" "$SIZE"
    D=$(digest_of "$W/blob")
    http POST "$A/v2/e2e/t032-tls/blobs/uploads/?digest=$D" --data-binary "@$W/blob"
    expect_created e2e/t032-tls "$D"
    head_check "$A" e2e/t032-tls "$D" "$SIZE"

    t_begin store-tls-presigned-read
    http GET "$A/v2/e2e/t032-tls/blobs/$D"
    expect_status 307
    LOC=$(hdr Location)
    case $LOC in
        "$BERTH_S3_TLS_ENDPOINT"/*) ok "the presigned URL is on the HTTPS endpoint" ;;
        *) not_ok "presigned URL not on $BERTH_S3_TLS_ENDPOINT" ;;
    esac
    if curl -sf -m 60 --cacert "$BERTH_STACK_CA" -o "$W/back" "$LOC" && cmp -s "$W/back" "$W/blob"
    then
        ok "the blob read back over HTTPS is exactly the pushed bytes"
    else
        not_ok "reading the blob back over HTTPS failed or differs"
    fi
fi
gw_extra_stop --check

t_begin store-tls-s3-default-verifies
UP=0
gw_extra_start t032-s3-noca BERTH_S3_ENDPOINT="$BERTH_S3_TLS_ENDPOINT" && UP=1
if [ "$UP" = 1 ]; then
    mkblob "$W/small" 4096
    D2=$(digest_of "$W/small")
    http POST "$GW_EXTRA_URL/v2/e2e/t032-noca/blobs/uploads/?digest=$D2" \
        --data-binary "@$W/small"
    expect_status 500 # not retried: a certificate that does not verify is a setup fault
    if grep -q "SSL peer certificate" "$GW_EXTRA_LOG"; then
        ok "the gateway's log line names the certificate failure"
    else
        not_ok "the gateway's log does not name the certificate failure"
    fi
    expect_eq "$(blob_rows "$D2")" 0 "no blob row for the refused upload"
    expect_eq "$(repo_uploads e2e/t032-noca)" 0 "no upload row left behind"
fi
gw_extra_stop --check
trap - EXIT
rm -rf "$W"
