# tests/e2e/lib.sh - a small bash library for Berth's end-to-end test files (t_*.sh).
# tests/e2e/run sources it, then one test file, in a fresh bash per file; the stack's variables
# (BERTH_URL, BERTH_URLS, BERTH_PG, BERTH_S3_*, BERTH_STACK_DIR) are in the environment.
#
#   t_begin NAME                      name the current test (shown in every ok/not ok line)
#   http METHOD URL [curl args...]    as the stack's admin unless E2E_ANON=1; sets HTTP_STATUS,
#                                     HTTP_BODY (a file), HTTP_REQ; headers are read with
#                                     `hdr NAME` (case-insensitive, all values)
#   body                              prints the last response body; `jqb FILTER` runs jq on it
#   expect_status N                   expect_header NAME VALUE    expect_header_present NAME
#   expect_oci_error CODE             the body is {"errors":[{"code":CODE,...},...]}
#   expect_eq ACTUAL EXPECTED WHAT    ok WHAT    not_ok WHAT
#   psql_q SQL                        runs SQL against $BERTH_PG (psql -tAX), prints the rows
#
# Assertions print "ok - TEST: WHAT" or "not ok - TEST: WHAT" (with the last request) and
# return 0/1 (so `expect_status 201 || return` works). Counts accumulate across files in
# $E2E_DIR/results (one line per assertion), read by the runner.
# Test files must not `set -e` around assertions they expect to fail.

export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost"

if [ -z "${E2E_DIR:-}" ]; then
    E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/berth-e2e-lib.XXXXXX")
    export E2E_DIR
fi
mkdir -p "$E2E_DIR/http"
T_NAME=${T_NAME:-unnamed}
HTTP_STATUS=
HTTP_REQ=
HTTP_BODY="$E2E_DIR/http/body.$$"
HTTP_HEADERS="$E2E_DIR/http/headers.$$"
: > "$HTTP_BODY"
: > "$HTTP_HEADERS"

t_begin() {
    T_NAME=$1
    HTTP_REQ=
    echo "# $T_NAME"
}

_e2e_record() { # ok|fail
    echo "$1 $T_NAME" >> "$E2E_DIR/results"
}

ok() {
    _e2e_record ok
    echo "ok - $T_NAME: $*"
    return 0
}

not_ok() {
    _e2e_record fail
    echo "not ok - $T_NAME: $*"
    if [ -n "$HTTP_REQ" ]; then
        echo "#   last request: $HTTP_REQ -> ${HTTP_STATUS:-no response}"
        if [ -s "$HTTP_BODY" ]; then
            echo "#   body: $(head -c 400 "$HTTP_BODY" | tr -d '\r' | tr '\n' ' ')"
        fi
    fi
    return 1
}

# http METHOD URL [curl args...]; HEAD uses --head so curl does not wait for a body
http() {
    local method=$1 url=$2 raw="$E2E_DIR/http/raw.$$"
    shift 2
    local -a m=(-X "$method")
    [ "$method" = HEAD ] && m=(--head)
    HTTP_REQ="$method $url"
    # As the stack's administrator unless the test asks to be anonymous (E2E_ANON=1)
    # or brings its own credentials.
    if [ -n "${BERTH_ADMIN_PASSWORD:-}" ] && [ -z "${E2E_ANON:-}" ]; then
        m+=(-u "$BERTH_ADMIN_USER:$BERTH_ADMIN_PASSWORD")
    fi
    : > "$HTTP_BODY"
    HTTP_STATUS=$(curl -sS -m "${E2E_HTTP_TIMEOUT:-60}" "${m[@]}" -D "$raw" -o "$HTTP_BODY" \
        -w '%{http_code}' "$@" "$url" 2>"$E2E_DIR/http/curl-err.$$") || true
    [ "$HTTP_STATUS" = 000 ] && HTTP_STATUS=
    # keep the last header block (after redirects), names lowercased, CRs stripped
    awk '{ sub(/\r$/, "") }
         /^HTTP\// { n = 0; delete h; next }
         /^[^ \t:]+:/ { i = index($0, ":"); v = substr($0, i + 1); sub(/^[ \t]+/, "", v)
                        h[++n] = tolower(substr($0, 1, i - 1)) ":" v }
         END { for (k = 1; k <= n; k++) print h[k] }' "$raw" > "$HTTP_HEADERS" 2>/dev/null \
        || : > "$HTTP_HEADERS"
    rm -f "$raw"
    if [ -z "$HTTP_STATUS" ]; then
        echo "#   curl: $(head -c 300 "$E2E_DIR/http/curl-err.$$")"
    fi
    return 0
}

# hdr NAME: every value of response header NAME, one per line (empty if absent)
hdr() {
    local want
    want=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')
    awk -v n="$want" '{ i = index($0, ":") }
                      substr($0, 1, i - 1) == n { print substr($0, i + 1) }' "$HTTP_HEADERS"
}

body() { cat "$HTTP_BODY"; }
jqb() { jq -r "$@" < "$HTTP_BODY"; }

expect_status() {
    if [ "$HTTP_STATUS" = "$1" ]; then
        ok "$HTTP_REQ -> $1"
    else
        not_ok "$HTTP_REQ: status ${HTTP_STATUS:-none}, expected $1"
    fi
}

expect_header() { # NAME VALUE: some value of NAME equals VALUE exactly
    local v
    while IFS= read -r v; do
        if [ "$v" = "$2" ]; then ok "header $1: $2"; return; fi
    done < <(hdr "$1")
    not_ok "header $1: got '$(hdr "$1" | paste -sd'|')', expected '$2'"
}

expect_header_present() {
    if [ -n "$(hdr "$1")" ]; then
        ok "header $1 present"
    else
        not_ok "header $1 missing"
    fi
}

expect_oci_error() { # CODE: one of errors[].code is CODE
    local codes
    codes=$(jq -r '.errors[]?.code' < "$HTTP_BODY" 2>/dev/null | paste -sd, -)
    # jq -s: an empty body is [] and fails, where plain jq -e would pass on no input
    if jq -se --arg c "$1" \
        'length == 1 and (.[0].errors | type == "array" and any(.[]; .code == $c))' \
        < "$HTTP_BODY" >/dev/null 2>&1; then
        ok "OCI error $1"
    else
        not_ok "OCI error: got '${codes:-no errors[] body}', expected $1"
    fi
}

expect_eq() { # ACTUAL EXPECTED WHAT
    if [ "$1" = "$2" ]; then
        ok "$3"
    else
        not_ok "$3: got '$1', expected '$2'"
    fi
}

psql_q() {
    psql -tAX -v ON_ERROR_STOP=1 "$BERTH_PG" -c "$1"
}

# gw_extra_try NAME [VAR=VALUE...]: starts one more berthd against the stack's PostgreSQL
# and S3 (no workers) on a free port with the given settings added (they win); sets
# GW_EXTRA_URL, GW_EXTRA_PID and GW_EXTRA_LOG ($BERTH_STACK_DIR/logs/berthd-NAME.log, checked
# for sanitizer reports by the runner). Returns 0 once /healthz answers 200, 1 if it exits
# or is not healthy within 30 s. gw_extra_start: the same, asserted.
gw_extra_try() {
    local name=$1 port key=
    shift
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
    GW_EXTRA_URL=http://127.0.0.1:$port
    GW_EXTRA_LOG=$BERTH_STACK_DIR/logs/berthd-$name.log
    [ -f "$BERTH_STACK_DIR/token-key.pem" ] && key=$BERTH_STACK_DIR/token-key.pem
    env BERTH_LISTEN="127.0.0.1:$port" BERTH_PG="$BERTH_PG" \
        BERTH_S3_ENDPOINT="$BERTH_S3_ENDPOINT" BERTH_S3_BUCKET="$BERTH_S3_BUCKET" \
        BERTH_S3_ACCESS_KEY="$BERTH_S3_ACCESS_KEY" BERTH_S3_SECRET_KEY="$BERTH_S3_SECRET_KEY" \
        BERTH_S3_PATH_STYLE=1 BERTH_WORKERS=0 ${key:+BERTH_TOKEN_KEY="$key"} "$@" \
        "${BERTH_BIN:-build}/berthd" < /dev/null >> "$GW_EXTRA_LOG" 2>&1 &
    GW_EXTRA_PID=$!
    for _ in $(seq 1 300); do
        [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$GW_EXTRA_URL/healthz")" = 200 ] &&
            return 0
        kill -0 "$GW_EXTRA_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

gw_extra_start() {
    local name=$1
    if gw_extra_try "$@"; then
        shift
        ok "gateway $name ($*) up on $GW_EXTRA_URL (pid $GW_EXTRA_PID)"
    else
        not_ok "gateway $name did not come up: $(tail -n 3 "$GW_EXTRA_LOG" | tr '\n' ' ')"
    fi
}

# gw_extra_stop [--check]: stops the gateway gw_extra_start started (TERM, then KILL after
# 10 s); with --check, asserts that it no longer answers.
gw_extra_stop() {
    if [ -n "${GW_EXTRA_PID:-}" ] && kill -0 "$GW_EXTRA_PID" 2>/dev/null; then
        kill -TERM "$GW_EXTRA_PID" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$GW_EXTRA_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$GW_EXTRA_PID" 2>/dev/null && kill -KILL "$GW_EXTRA_PID" 2>/dev/null
        wait "$GW_EXTRA_PID" 2>/dev/null
    fi
    GW_EXTRA_PID=
    [ "${1:-}" = --check ] || return 0
    if [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$GW_EXTRA_URL/healthz")" != 000 ]; then
        not_ok "the gateway on $GW_EXTRA_URL still answers"
    else
        ok "the gateway on $GW_EXTRA_URL is stopped"
    fi
}
