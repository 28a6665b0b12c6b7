# tests/e2e/t_000_stack.sh - the stack itself: PostgreSQL, S3 (Ceph RGW), every gateway.
# Sourced by tests/e2e/run after lib.sh.

t_begin stack-postgres
expect_eq "$(psql_q 'select 1' 2>&1)" 1 "select 1 through BERTH_PG"

t_begin stack-s3
http GET "$BERTH_S3_ENDPOINT/"
if [ -n "$HTTP_STATUS" ]; then
    ok "S3 endpoint $BERTH_S3_ENDPOINT answers HTTP ($HTTP_STATUS)"
else
    not_ok "S3 endpoint $BERTH_S3_ENDPOINT does not answer"
fi

t_begin stack-gateways
if [ -z "${BERTH_URLS:-}" ]; then
    not_ok "no gateway running (BERTH_URLS is empty: is build/berthd built?)"
fi
for url in ${BERTH_URLS:-}; do
    http GET "$url/healthz"
    expect_status 200
    http GET "$url/v2/"
    expect_status 200
    expect_header Docker-Distribution-API-Version registry/2.0
done
