# tests/e2e/t_026_pg_restart.sh - PostgreSQL restarts under running gateways: every pooled
# connection dies at once. Requests after the restart must not fail on those dead
# connections: each gateway notices a closed idle connection when it takes it from the
# pool and connects again. Reads (tag lists, which always query PostgreSQL) on both
# gateways, a manifest PUT (a transaction) and a pull all succeed, and a tag moved through
# one gateway is seen through the other (the cache's LISTEN connection came back too).
# Sourced by tests/e2e/run after lib.sh. Repositories: e2e/t026.

W=$(mktemp -d "$E2E_DIR/t026.XXXXXX")
R=e2e/t026
. tests/e2e/blob_lib.sh

t26_image() { # NAME TAG: pushes a config blob NAME and a manifest of it (no layers) as TAG
    local cd
    printf '{"t026":"%s"}\n' "$1" > "$W/$1"
    cd=$(digest_of "$W/$1")
    http POST "$BERTH_URL/v2/$R/blobs/uploads/?digest=$cd" --data-binary "@$W/$1"
    expect_status 201
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",%s' \
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\
\"digest\":\"$cd\",\"size\":$(stat -c %s "$W/$1")},\"layers\":[]}" > "$W/$1.json"
    http PUT "$BERTH_URL/v2/$R/manifests/$2" --data-binary "@$W/$1.json" \
        -H 'Content-Type: application/vnd.oci.image.manifest.v1+json'
    expect_status 201
}

t26_burst() { # BASE: 48 tag-list GETs, 16 at a time; prints the statuses that were not 200
    local auth=()
    [ -n "${BERTH_ADMIN_PASSWORD:-}" ] && auth=(-u "$BERTH_ADMIN_USER:$BERTH_ADMIN_PASSWORD")
    seq 1 48 | xargs -P 16 -I{} curl -s -o /dev/null -m 30 -w '%{http_code}\n' "${auth[@]}" \
        "$1/v2/$R/tags/list" | grep -v '^200$' | sort | uniq -c | tr '\n' ' '
}

t_begin pg-restart-setup
t26_image config1 v1
for u in $BERTH_URLS; do # fill each gateway's pool with connections
    expect_eq "$(t26_burst "$u")" "" "48 tag lists through $u before the restart"
done

t_begin pg-restart
if "$E2E_REPO/tools/berth-stack" restart-pg "$BERTH_STACK_DIR" 2> "$W/restart.log"; then
    ok "PostgreSQL restarted"
else
    not_ok "berth-stack restart-pg failed: $(tail -n 2 "$W/restart.log" | tr '\n' ' ')"
fi

t_begin pg-restart-reads
for u in $BERTH_URLS; do
    expect_eq "$(t26_burst "$u")" "" "48 tag lists through $u right after the restart"
done

t_begin pg-restart-writes
http PUT "$BERTH_URL/v2/$R/manifests/v2" --data-binary "@$W/config1.json" \
    -H 'Content-Type: application/vnd.oci.image.manifest.v1+json'
expect_status 201
http GET "$BERTH_URL/v2/$R/tags/list"
expect_status 200
expect_eq "$(jqb '.tags | join(",")')" "v1,v2" "both tags listed"

t_begin pg-restart-cache
# the second gateway cached v1 before; moving v1 through the first must reach it
G2=$(echo "$BERTH_URLS" | awk '{print $2}')
[ -n "$G2" ] || G2=$BERTH_URL
http GET "$G2/v2/$R/manifests/v1"
expect_status 200
t26_image config2 v1
NEW=$(hdr Docker-Content-Digest)
SEEN=
for _ in $(seq 1 50); do # the listener reconnects within a second or two
    http GET "$G2/v2/$R/manifests/v1"
    SEEN=$(hdr Docker-Content-Digest)
    [ "$SEEN" = "$NEW" ] && break
    sleep 0.1
done
expect_eq "$SEEN" "$NEW" "the other gateway serves the moved tag"
rm -rf "$W"
