# tests/e2e/t_040_api.sh - the management API (/api/v1/) round trip for each resource with its
# permission checks: health, projects (create, list, get, visibility, delete refused while
# repositories remain), users (create, list, password), members, robots (secret shown once,
# usable, never listed, deleted), repositories, artifacts and tags of a repository pushed here
# with curl (deletes checked through /v2/), and the errors: 400 bad names and bad JSON, 401
# without or with wrong credentials, 403 naming the missing permission, 404, 405, 409.
# Sourced by tests/e2e/run after lib.sh. Projects, users and robots: t040*.
# shellcheck shell=bash

T40_TMP=$(mktemp -d "${TMPDIR:-/tmp}/t040.XXXXXX")
T40_API=$BERTH_URL/api/v1
T40_P=t040p
T40_REPO=$T40_P/team/app
T40_USER=t040u
T40_PW=t040-pw-$RANDOM$RANDOM
T40_PW2=t040-pw2-$RANDOM$RANDOM
T40_OCI=application/vnd.oci.image.manifest.v1+json
T40_LAYER=application/vnd.oci.image.layer.v1.tar+gzip
T40_CFG=application/vnd.oci.image.config.v1+json

# Rerunnable against a kept stack: forget what an earlier run of this file left behind.
psql_q "delete from repositories where name like 't040%'" > /dev/null
psql_q "delete from projects where name like 't040%'" > /dev/null
psql_q "delete from accounts where name like 't040%' or name like 'robot\$t040%'" > /dev/null

t40_send() { # METHOD PATH JSON [curl args]: a JSON body to $T40_API/PATH
    local m=$1 p=$2 j=$3
    shift 3
    http "$m" "$T40_API$p" -H 'Content-Type: application/json' --data-binary "$j" "$@"
}

t40_as_user() { # METHOD PATH [curl args]: as t040u
    local m=$1 p=$2
    shift 2
    http "$m" "$T40_API$p" -u "$T40_USER:$T40_PW" "$@"
}

t40_sha() { echo "sha256:$(sha256sum < "$1" | cut -d' ' -f1)"; }

t40_desc() { # MEDIATYPE FILE
    printf '{"mediaType":"%s","digest":"%s","size":%s}' "$1" "$(t40_sha "$2")" \
        "$(stat -c %s "$2")"
}

t40_push_blob() { # FILE [REPO]
    http POST "$BERTH_URL/v2/${2:-$T40_REPO}/blobs/uploads/?digest=$(t40_sha "$1")" \
        --data-binary @"$1" -H 'Content-Type: application/octet-stream'
    expect_status 201
}

t40_put_manifest() { # REF FILE
    http PUT "$BERTH_URL/v2/$T40_REPO/manifests/$1" --data-binary @"$2" \
        -H "Content-Type: $T40_OCI"
    expect_status 201
}

t40_denied() { # TEXT: a 403 DENIED whose message contains TEXT
    expect_status 403
    expect_oci_error DENIED
    if jqb '.errors[0].message' | grep -qF -- "$1"; then
        ok "message names '$1'"
    else
        not_ok "message '$(jqb '.errors[0].message')' does not name '$1'"
    fi
}

t40_has() { # JQ-FILTER WHAT: the filter (with -e) holds on the last body
    if jq -e "$1" < "$HTTP_BODY" > /dev/null 2>&1; then
        ok "$2"
    else
        not_ok "$2 ($1 on $(head -c 300 "$HTTP_BODY"))"
    fi
}

# --- authentication and health
t_begin api-health
http GET "$T40_API/health"
expect_status 200
t40_has '.status == "ok" and .database == "ok"' "status and database ok"
E2E_ANON=1 http GET "$T40_API/health"
expect_status 401
expect_oci_error UNAUTHORIZED
expect_header WWW-Authenticate 'Basic realm="berth"'
http GET "$T40_API/health" -u "$BERTH_ADMIN_USER:wrong-password"
expect_status 401
E2E_ANON=1 http GET "$T40_API/nothing/here"
expect_status 401
http GET "$T40_API/nothing/here"
expect_status 404
http PATCH "$T40_API/projects"
expect_status 405
expect_header Allow "GET, POST"

# --- projects, as the system administrator
t_begin api-project-create
t40_send POST /projects "{\"name\":\"$T40_P\",\"public\":false}"
expect_status 201
expect_header Location "/api/v1/projects/$T40_P"
t40_has ".name == \"$T40_P\" and .public == false and .repositories == 0" "project answered"
t40_send POST /projects "{\"name\":\"$T40_P\"}"
expect_status 409
t40_send POST /projects '{"name":"T040-Upper"}'
expect_status 400
expect_oci_error NAME_INVALID
t40_send POST /projects '{"name":"t040a/b"}'
expect_status 400
expect_oci_error NAME_INVALID
t40_send POST /projects '{"name":'
expect_status 400
t40_send POST /projects '["t040x"]'
expect_status 400
t40_send POST /projects '{"public":true}'
expect_status 400
t40_send POST /projects '{"name":"t040x","public":"yes"}'
expect_status 400
t40_send POST /projects '{"name":"t040x\u0000y"}'
expect_status 400
http POST "$T40_API/projects"
expect_status 400
E2E_ANON=1 t40_send POST /projects '{"name":"t040anon"}'
expect_status 401
http GET "$T40_API/projects/t040anon"
expect_status 404
expect_oci_error NAME_UNKNOWN
http GET "$T40_API/projects/$T40_P"
expect_status 200
t40_has '.permissions == ["pull","push","delete","admin"]' "the administrator holds everything"
http GET "$T40_API/projects/Bad_Name"
expect_status 400

# --- users
t_begin api-users
t40_send POST /users "{\"name\":\"$T40_USER\",\"password\":\"$T40_PW\"}"
expect_status 201
t40_has ".name == \"$T40_USER\" and .admin == false" "user answered"
t40_send POST /users "{\"name\":\"$T40_USER\",\"password\":\"$T40_PW\"}"
expect_status 409
t40_send POST /users '{"name":"t040short","password":"short"}'
expect_status 400
t40_send POST /users '{"name":"t040 space","password":"long-enough-pw"}'
expect_status 400
http GET "$T40_API/users"
expect_status 200
t40_has ".users | any(.name == \"$T40_USER\" and .admin == false)" "the user is listed"
if grep -q password "$HTTP_BODY"; then not_ok "user list mentions passwords"
else ok "user list holds no password"; fi
t40_as_user GET /users
t40_denied "system administrator"
t40_as_user POST /projects -H 'Content-Type: application/json' --data '{"name":"t040mine"}'
t40_denied "system administrator"
http GET "$T40_API/health" -u "$T40_USER:$T40_PW"
expect_status 200
http GET "$T40_API/health" -u "$T40_USER:not-$T40_PW"
expect_status 401

# --- members: the user gets pull
t_begin api-members
t40_as_user GET "/projects/$T40_P"
t40_denied "pull permission missing on project $T40_P"
t40_as_user GET /projects
expect_status 200
t40_has ".projects | all(.name != \"$T40_P\")" "a private project is not listed to strangers"
t40_send PUT "/projects/$T40_P/members/$T40_USER" '{"permissions":["pull"]}'
expect_status 200
t40_has '.permissions == ["pull"]' "member answered with pull"
t40_send PUT "/projects/$T40_P/members/$T40_USER" '{"permissions":["fly"]}'
expect_status 400
t40_send PUT "/projects/$T40_P/members/$T40_USER" '{"permissions":"pull"}'
expect_status 400
t40_send PUT "/projects/$T40_P/members/t040nobody" '{"permissions":["pull"]}'
expect_status 404
t40_send PUT "/projects/t040none/members/$T40_USER" '{"permissions":["pull"]}'
expect_status 404
t40_send PUT "/projects/$T40_P/members/Bad..Name" '{"permissions":["pull"]}'
expect_status 400
http GET "$T40_API/projects/$T40_P/members"
expect_status 200
t40_has ".members | any(.name == \"$T40_USER\" and .kind == \"user\"
                        and .permissions == [\"pull\"])" "the member is listed with pull"
t40_as_user GET "/projects/$T40_P"
expect_status 200
t40_has '.permissions == ["pull"]' "the member sees its own permissions"
t40_as_user GET /projects
t40_has ".projects | any(.name == \"$T40_P\")" "the member sees the project listed"
t40_as_user PUT "/projects/$T40_P" -H 'Content-Type: application/json' --data '{"public":true}'
t40_denied "admin permission missing on project $T40_P"
t40_as_user DELETE "/projects/$T40_P"
t40_denied "system administrator"
t40_as_user GET "/projects/$T40_P/members"
t40_denied "admin permission missing"
t40_as_user PUT "/projects/$T40_P/members/$T40_USER" -H 'Content-Type: application/json' \
    --data '{"permissions":["pull","push","delete","admin"]}'
t40_denied "admin permission missing"

t_begin api-project-visibility
t40_send PUT "/projects/$T40_P" '{"public":true}'
expect_status 200
t40_has '.public == true' "now public"
t40_send PUT "/projects/$T40_P" '{}'
expect_status 400
t40_send PUT "/projects/$T40_P" '{"public":false}'
expect_status 200
t40_has '.public == false' "private again"

# --- robots
t_begin api-robots
T40_ROBOT="robot\$$T40_P+ci"
t40_send POST "/projects/$T40_P/robots" \
    '{"name":"ci","permissions":["pull","push"],"expires_in_days":7}'
expect_status 201
t40_has ".name == \"$T40_ROBOT\" and .permissions == [\"pull\",\"push\"]" "robot answered"
t40_has '.secret | type == "string" and length == 43' "a 43-character secret"
t40_has '.expires_at | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' \
    "an expiry date"
T40_SECRET=$(jqb .secret)
t40_send POST "/projects/$T40_P/robots" '{"name":"ci","permissions":["pull"]}'
expect_status 409
t40_send POST "/projects/$T40_P/robots" '{"name":"ci2","permissions":[]}'
expect_status 400
t40_send POST "/projects/$T40_P/robots" '{"name":"ci2","permissions":["pull"],"expires_in_days":-1}'
expect_status 400
t40_send POST "/projects/$T40_P/robots" '{"name":"Bad Name","permissions":["pull"]}'
expect_status 400
t40_as_user POST "/projects/$T40_P/robots" -H 'Content-Type: application/json' \
    --data '{"name":"mine","permissions":["pull"]}'
t40_denied "admin permission missing"
http GET "$T40_API/projects/$T40_P/robots"
expect_status 200
t40_has ".robots | length == 1 and .[0].name == \"$T40_ROBOT\"" "the robot is listed"
t40_has '.robots[0] | has("secret") | not' "no secret in the robot list"
for path in "/projects/$T40_P/robots" "/projects/$T40_P/members" /users /projects; do
    http GET "$T40_API$path"
    if grep -qF -- "$T40_SECRET" "$HTTP_BODY"; then not_ok "$path shows the robot secret"
    else ok "$path does not show the robot secret"; fi
done
# A robot's account name ('$', '+') goes through the members path as it is.
t40_send PUT "/projects/$T40_P/members/$T40_ROBOT" '{"permissions":["pull"]}'
expect_status 200
http GET "$T40_API/projects/$T40_P/robots"
t40_has '.robots[0].permissions == ["pull"]' "the robot's permissions changed to pull"
http GET "$T40_API/projects/$T40_P/repositories" -u "$T40_ROBOT:$T40_SECRET"
expect_status 200
http GET "$BERTH_URL/v2/" -u "$T40_ROBOT:$T40_SECRET"
expect_status 200
http GET "$T40_API/projects/$T40_P/robots" -u "$T40_ROBOT:$T40_SECRET"
t40_denied "admin permission missing"
http DELETE "$T40_API/projects/$T40_P/robots/ci"
expect_status 204
http GET "$T40_API/projects/$T40_P/robots"
t40_has '.robots == []' "no robot left"
http GET "$T40_API/health" -u "$T40_ROBOT:$T40_SECRET"
expect_status 401
http DELETE "$T40_API/projects/$T40_P/robots/ci"
expect_status 404

# --- a repository pushed with curl: two manifests, three tags
t_begin api-push
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' \
    > "$T40_TMP/config"
printf 'layer one %s' "$RANDOM" > "$T40_TMP/layer1"
printf 'layer two %s' "$RANDOM" > "$T40_TMP/layer2"
for f in config layer1 layer2; do t40_push_blob "$T40_TMP/$f"; done
CFG=$(t40_desc "$T40_CFG" "$T40_TMP/config")
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$T40_OCI" "$CFG" \
    "$(t40_desc "$T40_LAYER" "$T40_TMP/layer1")" > "$T40_TMP/m1"
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$T40_OCI" "$CFG" \
    "$(t40_desc "$T40_LAYER" "$T40_TMP/layer2")" > "$T40_TMP/m2"
M1=$(t40_sha "$T40_TMP/m1")
M2=$(t40_sha "$T40_TMP/m2")
t40_put_manifest v1 "$T40_TMP/m1"
t40_put_manifest v2 "$T40_TMP/m1"
t40_put_manifest old "$T40_TMP/m2"

t_begin api-repositories
http GET "$T40_API/projects/$T40_P/repositories"
expect_status 200
t40_has ".repositories | length == 1 and .[0].name == \"$T40_REPO\" and .[0].tags == 3" \
    "the pushed repository is listed with 3 tags"
t40_as_user GET "/projects/$T40_P/repositories"
expect_status 200
http GET "$T40_API/projects/t040none/repositories"
expect_status 404
http GET "$T40_API/projects/$T40_P/repositories?n=x"
expect_status 400
expect_oci_error PAGINATION_NUMBER_INVALID

t_begin api-artifacts
http GET "$T40_API/repositories/$T40_REPO/artifacts"
expect_status 200
t40_has ".artifacts | length == 2" "two artifacts"
t40_has ".artifacts | any(.digest == \"$M1\" and .tags == [\"v1\",\"v2\"]
          and .media_type == \"$T40_OCI\" and .size == $(stat -c %s "$T40_TMP/m1"))" \
    "m1 with its tags, media type and size"
t40_has ".artifacts | any(.digest == \"$M2\" and .tags == [\"old\"])" "m2 with its tag"
http GET "$T40_API/repositories/$T40_REPO/artifacts?n=1"
expect_status 200
t40_has ".artifacts | length == 1" "one artifact per page"
expect_header_present Link
http GET "$T40_API/repositories/$T40_REPO/artifacts?last=not-a-digest"
expect_status 400
t40_as_user GET "/repositories/$T40_REPO/artifacts"
expect_status 200
http GET "$T40_API/repositories/$T40_P/nothing/artifacts"
expect_status 404
expect_oci_error NAME_UNKNOWN
http GET "$T40_API/repositories/t040none/x/artifacts"
expect_status 404
http GET "$T40_API/repositories/$T40_P/Bad/artifacts"
expect_status 400
expect_oci_error NAME_INVALID

t_begin api-tags
http GET "$T40_API/repositories/$T40_REPO/tags"
expect_status 200
t40_has ".name == \"$T40_REPO\" and .tags == [\"old\",\"v1\",\"v2\"]" "three tags in order"
http GET "$T40_API/repositories/$T40_REPO/tags?n=2"
t40_has '.tags == ["old","v1"]' "first page of two"
expect_header Link "</api/v1/repositories/$T40_REPO/tags?n=2&last=v1>; rel=\"next\""
http GET "$T40_API/repositories/$T40_REPO/tags?n=2&last=v1"
t40_has '.tags == ["v2"]' "second page"
expect_eq "$(hdr Link)" "" "no Link on the last page"

t_begin api-tag-delete
t40_as_user DELETE "/repositories/$T40_REPO/tags/v2"
t40_denied "delete permission missing on project $T40_P"
http DELETE "$T40_API/repositories/$T40_REPO/tags/v2"
expect_status 204
http GET "$BERTH_URL/v2/$T40_REPO/manifests/v2"
expect_status 404
http GET "$BERTH_URL/v2/$T40_REPO/manifests/v1"
expect_status 200
http DELETE "$T40_API/repositories/$T40_REPO/tags/v2"
expect_status 404
expect_oci_error MANIFEST_UNKNOWN
http DELETE "$T40_API/repositories/$T40_REPO/tags/.bad"
expect_status 400

t_begin api-artifact-delete
t40_as_user DELETE "/repositories/$T40_REPO/artifacts/$M2"
t40_denied "delete permission missing"
http DELETE "$T40_API/repositories/$T40_REPO/artifacts/$M2"
expect_status 204
http GET "$BERTH_URL/v2/$T40_REPO/manifests/$M2"
expect_status 404
http GET "$BERTH_URL/v2/$T40_REPO/manifests/old"
expect_status 404
http GET "$BERTH_URL/v2/$T40_REPO/tags/list"
expect_eq "$(jqb '.tags | join(",")')" v1 "/v2/ tag list holds only v1"
http DELETE "$T40_API/repositories/$T40_REPO/artifacts/$M2"
expect_status 404
expect_oci_error MANIFEST_UNKNOWN
http DELETE "$T40_API/repositories/$T40_REPO/artifacts/sha256:1234"
expect_status 400
expect_oci_error DIGEST_INVALID

# --- membership removed: the user loses access
t_begin api-member-remove
t40_send PUT "/projects/$T40_P/members/$T40_USER" '{"permissions":[]}'
expect_status 204
t40_as_user GET "/projects/$T40_P"
expect_status 403
http DELETE "$T40_API/projects/$T40_P/members/$T40_USER"
expect_status 404
t40_send PUT "/projects/$T40_P/members/$T40_USER" '{"permissions":["push"]}'
expect_status 200
http DELETE "$T40_API/projects/$T40_P/members/$T40_USER"
expect_status 204
http GET "$T40_API/projects/$T40_P/members"
t40_has ".members | all(.name != \"$T40_USER\")" "no longer a member"

# --- passwords
t_begin api-password
t40_as_user PUT "/users/$BERTH_ADMIN_USER/password" -H 'Content-Type: application/json' \
    --data "{\"password\":\"$T40_PW2\"}"
t40_denied "system administrator"
t40_as_user PUT "/users/$T40_USER/password" -H 'Content-Type: application/json' \
    --data '{"password":"short"}'
expect_status 400
t40_as_user PUT "/users/$T40_USER/password" -H 'Content-Type: application/json' \
    --data "{\"password\":\"$T40_PW2\"}"
expect_status 204
t40_as_user GET /projects
expect_status 401
http GET "$T40_API/projects" -u "$T40_USER:$T40_PW2"
expect_status 200
t40_send PUT "/users/$T40_USER/password" "{\"password\":\"$T40_PW\"}"
expect_status 204
t40_as_user GET /projects
expect_status 200
t40_send PUT /users/t040nobody/password "{\"password\":\"$T40_PW\"}"
expect_status 404

# --- deleting: the project only once its repositories are gone
t_begin api-delete
http DELETE "$T40_API/projects/$T40_P"
expect_status 409
http GET "$T40_API/projects/$T40_P"
expect_status 200
t40_as_user DELETE "/repositories/$T40_REPO"
t40_denied "delete permission missing"
http DELETE "$T40_API/repositories/$T40_REPO"
expect_status 204
http GET "$T40_API/repositories/$T40_REPO/artifacts"
expect_status 404
http GET "$BERTH_URL/v2/$T40_REPO/manifests/v1"
expect_status 404
http DELETE "$T40_API/repositories/$T40_REPO"
expect_status 404
# A repository whose last component is "tags": listed by its full name plus /tags, and
# deleted by its bare name (DELETE of a tag list means nothing else).
t40_push_blob "$T40_TMP/layer1" "$T40_P/x/tags"
http GET "$T40_API/repositories/$T40_P/x/tags/tags"
expect_status 200
t40_has ".name == \"$T40_P/x/tags\" and .tags == []" "the tags of repository $T40_P/x/tags"
http DELETE "$T40_API/repositories/$T40_P/x/tags"
expect_status 204
http GET "$T40_API/projects/$T40_P/repositories"
t40_has '.repositories == []' "no repository left"
http DELETE "$T40_API/projects/$T40_P"
expect_status 204
http GET "$T40_API/projects/$T40_P"
expect_status 404
http DELETE "$T40_API/projects/$T40_P"
expect_status 404

rm -rf "$T40_TMP"
