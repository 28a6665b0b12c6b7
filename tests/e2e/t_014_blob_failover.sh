# tests/e2e/t_014_blob_failover.sh - a gateway dies in the middle of uploads. Upload A: a
# chunk on gateway 1 (a part in S3 and a tail in PostgreSQL), gateway 1 SIGKILLed and
# restarted (tools/berth-stack restart-gateway, index 1 = the first of BERTH_URLS), then
# chunks on gateway 2 and on the restarted gateway 1, PUT: the digest verifies and the
# bytes read back exactly. Upload B: gateway 1 is killed while a PATCH streams into it;
# the upload's progress, seen from gateway 2, is still the last completed chunk.
# Sourced by tests/e2e/run after lib.sh.

REPO=e2e/t014-failover
W=$(mktemp -d "$E2E_DIR/t014.XXXXXX")
G1=${BERTH_URLS%% *}
G2=${BERTH_URLS##* }
STACK_TOOL=${E2E_REPO:-$PWD}/tools/berth-stack

. tests/e2e/blob_lib.sh

# ---- helpers of this file
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
    UP_ID=$ID_A
    progress "$G2" $((9 * MIB))
    send_chunk "$G2" "$W/a" $((9 * MIB)) $((3 * MIB))
    progress "$G1" $((12 * MIB))
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
    UP_URL=$UP_B
    UP_ID=${UP_B##*/}
    progress "$G2" 1000
    expect_eq "$(psql_q "select \"offset\" from uploads where id::text = '${UP_B##*/}'")" \
        1000 "upload B's offset is the last completed chunk"
fi
rm -rf "$W"
