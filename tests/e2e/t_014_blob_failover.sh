# tests/e2e/t_014_blob_failover.sh - a gateway dies in the middle of uploads. Upload A: a
# chunk on gateway 1 (a part in S3 and a tail in PostgreSQL), gateway 1 SIGKILLed and
# restarted (tools/berth-stack restart-gateway, index 1 = the first of BERTH_URLS), then
# chunks on gateway 2 and on the restarted gateway 1, PUT: the digest verifies and the
# bytes read back exactly. Upload B: gateway 1 is killed while a PATCH streams into it;
# the upload's progress, seen from gateway 2, is still the last completed chunk.
# Sourced by tests/e2e/run after lib.sh.

REPO=e2e/t014-failover
W=$(mktemp -d "$E2E_DIR/t014.XXXXXX")
MIB=1048576
G1=${BERTH_URLS%% *}
G2=${BERTH_URLS##* }
STACK_TOOL=${E2E_REPO:-$PWD}/tools/berth-stack

# ---- helpers (each t_01x file carries its own copy)
# With auth on (tools/berth-stack exports the admin's credentials), every request sent to
# a gateway with lib.sh's http carries them as Basic credentials; S3 requests never do.
AUTH=()
if [ -n "${BERTH_ADMIN_PASSWORD:-}" ]; then
    AUTH=(-u "${BERTH_ADMIN_USER:-admin}:$BERTH_ADMIN_PASSWORD")
fi
eval "lib_$(declare -f http)"
http() { lib_http "$@" ${AUTH[@]+"${AUTH[@]}"}; }
digest_of() { # FILE [sha256|sha512]
    local a=${2:-sha256}
    echo "$a:$("${a}sum" "$1" | cut -d' ' -f1)"
}
mkblob() { head -c "$2" /dev/urandom > "$1"; } # FILE BYTES
with_q() { # URL PARAM: URL with PARAM appended to its query
    case $1 in *\?*) echo "$1&$2" ;; *) echo "$1?$2" ;; esac
}
abs_url() { # BASE LOCATION: LOCATION made absolute against BASE
    case $2 in http://*|https://*) echo "$2" ;; *) echo "$1$2" ;; esac
}
on_gw() { # BASE URL: URL's path and query on gateway BASE
    local rest=${2#http://}
    echo "$1/${rest#*/}"
}
upload_start() { # BASE REPO: POST, sets UP_URL (absolute Location) and UP_ID
    http POST "$1/v2/$2/blobs/uploads/"
    UP_URL=
    UP_ID=
    expect_status 202 || return 1
    UP_URL=$(abs_url "$1" "$(hdr Location)")
    UP_ID=$(hdr Docker-Upload-UUID)
}
send_chunk() { # BASE FILE OFF LEN: PATCH [OFF, OFF+LEN) of FILE with Content-Range
    local base=$1 f=$2 off=$3 len=$4 end=$(($3 + $4 - 1))
    tail -c +$((off + 1)) "$f" | head -c "$len" > "$W/chunk"
    http PATCH "$(on_gw "$base" "$UP_URL")" -H "Content-Range: $off-$end" \
        -H 'Content-Type: application/octet-stream' --data-binary "@$W/chunk"
    expect_status 202 || return 1
    expect_header Range "0-$end"
}
progress() { # BASE URL OFFSET: GET <location> on BASE gives 204 and Range 0-<OFFSET-1>
    http GET "$(on_gw "$1" "$2")"
    expect_status 204
    expect_header Range "0-$(($3 - 1))"
}
gw1_pid() { awk '$1 == "berthd-1" { p = $2 } END { print p }' "$BERTH_STACK_DIR/pids"; }

mkblob "$W/a" $((16 * MIB + 4321))
mkblob "$W/b" $((64 * MIB))
D_A=$(digest_of "$W/a")

t_begin failover-before
UP_A=
UP_B=
if upload_start "$G1" "$REPO"; then
    UP_A=$UP_URL
    ID_A=$UP_ID
    # 9 MiB: one 8 MiB part goes to S3, 1 MiB stays as the tail in PostgreSQL
    send_chunk "$G1" "$W/a" 0 $((9 * MIB))
    expect_eq "$(psql_q "select (s3_upload_id is not null)::text || ' ' || length(tail)
                         from uploads where id::text = '$ID_A'")" "true $MIB" \
        "upload A has a multipart upload and a 1 MiB tail"
fi
if upload_start "$G1" "$REPO"; then
    UP_B=$UP_URL
    send_chunk "$G1" "$W/b" 0 1000
    tail -c +1001 "$W/b" > "$W/b.rest"
    # a slow PATCH, still streaming when gateway 1 dies
    curl -s -m 60 -o /dev/null --limit-rate 2M -X PATCH ${AUTH[@]+"${AUTH[@]}"} \
        -H "Content-Range: 1000-$((64 * MIB - 1))" --data-binary "@$W/b.rest" \
        "$UP_URL" &
    SLOW=$!
    sleep 2
fi

t_begin failover-kill
OLD_PID=$(gw1_pid)
if "$STACK_TOOL" restart-gateway "$BERTH_STACK_DIR" 1 > "$W/restart.out" 2>&1; then
    ok "restart-gateway 1"
else
    not_ok "restart-gateway 1 failed: $(tail -n 5 "$W/restart.out" | tr '\n' ' ')"
fi
NEW_PID=$(gw1_pid)
# (a killed process may linger as a zombie until reaped: it has no exe link any more)
if [ -n "$NEW_PID" ] && [ "$NEW_PID" != "$OLD_PID" ] && ! readlink "/proc/$OLD_PID/exe" \
    >/dev/null 2>&1; then
    ok "gateway 1 was killed ($OLD_PID) and runs again ($NEW_PID)"
else
    not_ok "gateway 1 pid before '$OLD_PID', after '$NEW_PID'"
fi
if [ -n "${SLOW:-}" ]; then
    if wait "$SLOW"; then
        not_ok "the PATCH streaming into gateway 1 completed: the kill came too late"
    else
        ok "the PATCH streaming into gateway 1 was cut off by the kill"
    fi
fi
http GET "$G1/healthz"
expect_status 200

t_begin failover-continue
if [ -n "$UP_A" ]; then
    UP_URL=$UP_A
    progress "$G2" "$UP_A" $((9 * MIB))
    send_chunk "$G2" "$W/a" $((9 * MIB)) $((3 * MIB))
    progress "$G1" "$UP_A" $((12 * MIB))
    send_chunk "$G1" "$W/a" $((12 * MIB)) $((4 * MIB))
    tail -c 4321 "$W/a" > "$W/a.last"
    http PUT "$(with_q "$(on_gw "$G1" "$UP_A")" "digest=$D_A")" --data-binary "@$W/a.last"
    expect_status 201
    expect_header Docker-Content-Digest "$D_A"
    expect_eq "$(psql_q "select count(*) from uploads where id::text = '$ID_A'")" 0 \
        "upload A's row is gone"
    for gw in "$G2" "$G1"; do
        http HEAD "$gw/v2/$REPO/blobs/$D_A"
        expect_status 200
        expect_header Content-Length $((16 * MIB + 4321))
    done
    http GET "$G2/v2/$REPO/blobs/$D_A"
    expect_status 307
    if curl -sf -m 60 -o "$W/back" "$(hdr Location)" && cmp -s "$W/back" "$W/a"; then
        ok "upload A reads back exactly ($((16 * MIB + 4321)) bytes)"
    else
        not_ok "upload A reads back other bytes"
    fi
fi

t_begin failover-mid-stream
if [ -n "$UP_B" ]; then
    # the interrupted PATCH never completed: the upload still stands at 1000 bytes
    progress "$G2" "$UP_B" 1000
    expect_eq "$(psql_q "select \"offset\" from uploads where id::text = '${UP_B##*/}'")" \
        1000 "upload B's offset is the last completed chunk"
fi
rm -rf "$W"
