# t_050_metrics.sh - GET /metrics: Prometheus text with requests by method and
# status class and errors by OCI code, counting what this file itself causes.
# shellcheck shell=bash

t50_value() { # METRIC-LINE-PREFIX: its value in the last /metrics answer, or 0
    local v
    v=$(grep -F "$1 " "$HTTP_BODY" | awk '{print $2}' | head -n 1)
    echo "${v:-0}"
}

t_begin metrics-counts
http GET "$BERTH_URL/metrics"
expect_status 200
expect_header content-type "text/plain; version=0.0.4"
T50_BEFORE=$(t50_value 'berth_errors_total{code="MANIFEST_UNKNOWN"}')
for i in 1 2 3; do
    http GET "$BERTH_URL/v2/t050/none/manifests/missing$i"
    expect_status 404 >/dev/null
done
http GET "$BERTH_URL/metrics"
expect_status 200
T50_AFTER=$(t50_value 'berth_errors_total{code="MANIFEST_UNKNOWN"}')
expect_eq "$((T50_AFTER - T50_BEFORE))" 3 "three MANIFEST_UNKNOWN answers counted"
if grep -q '^berth_requests_total{method="GET",status="4xx"} [0-9]' "$HTTP_BODY"; then
    ok "GET 4xx requests are counted"
else
    not_ok "no berth_requests_total line for GET 4xx"
fi
if grep -q '^# TYPE berth_received_bytes_total counter$' "$HTTP_BODY"; then
    ok "byte counters are typed"
else
    not_ok "berth_received_bytes_total has no TYPE line"
fi
