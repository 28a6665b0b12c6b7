/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.c - the management API under /api/v1/: projects, members, robots,
 * repositories, artifacts, tags and users, as JSON over HTTP with Basic
 * credentials on every call. Owns path parsing, permission checks and the
 * JSON shapes (docs/openapi.yaml); the queries live in storage/meta_auth.c.
 *
 * A request goes: parse and validate the path (no query yet), authenticate,
 * look up the endpoint, check the permission it needs, then run it at once
 * or, for PUT and POST, after the JSON body has arrived. Errors use the same
 * OCI JSON error body as /v2/.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_path.h"
#include "auth.h"
#include "handlers.h"
#include "log.h"
#include "mcache.h"
#include "meta.h"
#include "passwd.h"

#define API_BODY_MAX (64 * 1024)
#define API_PAGE_DEFAULT 100
#define API_PAGE_MAX 1000
#define API_PASSWORD_MIN 8
/* auth.c decodes at most 511 bytes of "name:password". */
#define API_PASSWORD_MAX 200
#define API_ROBOT_DAYS_DEFAULT 30
#define API_ROBOT_DAYS_MAX 3650

/* What an endpoint asks of the caller. */
typedef enum api_need {
    NEED_ANY = 0,  /* authenticated */
    NEED_SYSADMIN, /* a system administrator (never a robot) */
    NEED_PULL,     /* META_PERM_PULL in the project */
    NEED_DELETE,   /* META_PERM_DELETE in the project */
    NEED_ADMIN,    /* META_PERM_ADMIN in the project */
    NEED_SELF,     /* the user named in the path, or a system administrator */
} api_need_t;

typedef struct api_ctx api_ctx_t;
typedef int (*api_fn)(http_req_t *req, api_ctx_t *c, json_t *body);

typedef struct api_endpoint {
    api_kind_t kind;
    http_method_t method;
    api_need_t need;
    api_fn fn;
} api_endpoint_t;

/* One request's parsed path and caller; lives in req->state. */
struct api_ctx {
    meta_account_t who;
    api_path_t path; /* what the URL names, validated */
    const api_endpoint_t *ep;
    unsigned perms; /* the caller's META_PERM_* bits in project */
};

static int health_get(http_req_t *req, api_ctx_t *c, json_t *body);
static int projects_list(http_req_t *req, api_ctx_t *c, json_t *body);
static int project_create(http_req_t *req, api_ctx_t *c, json_t *body);
static int project_get(http_req_t *req, api_ctx_t *c, json_t *body);
static int project_update(http_req_t *req, api_ctx_t *c, json_t *body);
static int project_delete(http_req_t *req, api_ctx_t *c, json_t *body);
static int members_list(http_req_t *req, api_ctx_t *c, json_t *body);
static int member_put(http_req_t *req, api_ctx_t *c, json_t *body);
static int member_delete(http_req_t *req, api_ctx_t *c, json_t *body);
static int robots_list(http_req_t *req, api_ctx_t *c, json_t *body);
static int robot_create(http_req_t *req, api_ctx_t *c, json_t *body);
static int robot_delete(http_req_t *req, api_ctx_t *c, json_t *body);
static int repos_list(http_req_t *req, api_ctx_t *c, json_t *body);
static int repo_delete(http_req_t *req, api_ctx_t *c, json_t *body);
static int artifacts_list(http_req_t *req, api_ctx_t *c, json_t *body);
static int artifact_delete(http_req_t *req, api_ctx_t *c, json_t *body);
static int tags_list(http_req_t *req, api_ctx_t *c, json_t *body);
static int tag_delete(http_req_t *req, api_ctx_t *c, json_t *body);
static int users_list(http_req_t *req, api_ctx_t *c, json_t *body);
static int user_create(http_req_t *req, api_ctx_t *c, json_t *body);
static int user_password(http_req_t *req, api_ctx_t *c, json_t *body);

static const api_endpoint_t endpoints[] = {
    {EP_HEALTH, HTTP_GET, NEED_ANY, health_get},
    {EP_PROJECTS, HTTP_GET, NEED_ANY, projects_list},
    {EP_PROJECTS, HTTP_POST, NEED_SYSADMIN, project_create},
    {EP_PROJECT, HTTP_GET, NEED_PULL, project_get},
    {EP_PROJECT, HTTP_PUT, NEED_ADMIN, project_update},
    {EP_PROJECT, HTTP_DELETE, NEED_SYSADMIN, project_delete},
    {EP_MEMBERS, HTTP_GET, NEED_ADMIN, members_list},
    {EP_MEMBER, HTTP_PUT, NEED_ADMIN, member_put},
    {EP_MEMBER, HTTP_DELETE, NEED_ADMIN, member_delete},
    {EP_ROBOTS, HTTP_GET, NEED_ADMIN, robots_list},
    {EP_ROBOTS, HTTP_POST, NEED_ADMIN, robot_create},
    {EP_ROBOT, HTTP_DELETE, NEED_ADMIN, robot_delete},
    {EP_PROJECT_REPOS, HTTP_GET, NEED_PULL, repos_list},
    {EP_REPO, HTTP_DELETE, NEED_DELETE, repo_delete},
    {EP_ARTIFACTS, HTTP_GET, NEED_PULL, artifacts_list},
    {EP_ARTIFACT, HTTP_DELETE, NEED_DELETE, artifact_delete},
    {EP_TAGS, HTTP_GET, NEED_PULL, tags_list},
    {EP_TAG, HTTP_DELETE, NEED_DELETE, tag_delete},
    {EP_USERS, HTTP_GET, NEED_SYSADMIN, users_list},
    {EP_USERS, HTTP_POST, NEED_SYSADMIN, user_create},
    {EP_USER_PASSWORD, HTTP_PUT, NEED_SELF, user_password},
};

static const struct {
    const char *word;
    unsigned bit;
} perm_words[] = {
    {"pull", META_PERM_PULL},
    {"push", META_PERM_PUSH},
    {"delete", META_PERM_DELETE},
    {"admin", META_PERM_ADMIN},
};

#define NPERM_WORDS (sizeof(perm_words) / sizeof(perm_words[0]))

/* clang-format off */
static db_query_t q_ping = DB_QUERY("SELECT 1");
/* clang-format on */

/* ---- names -------------------------------------------------------------- */

static int
is_sysadmin(const meta_account_t *who)
{
    return who->admin && !who->robot;
}

/* ---- JSON in and out ---------------------------------------------------- */

/* Answers `status` with `root` (stolen); NULL root means out of memory. */
static int
respond_json(http_req_t *req, int status, json_t *root)
{
    char *text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;

    json_decref(root);
    if (text == NULL)
        return http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
    return http_respond(req, status, "application/json", text, strlen(text), 1);
}

static int
respond_empty(http_req_t *req)
{
    return http_respond(req, 204, NULL, NULL, 0, 0);
}

static json_t *
perms_json(unsigned bits)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < NPERM_WORDS; i++) {
        if (bits & perm_words[i].bit)
            json_array_append_new(arr, json_string(perm_words[i].word));
    }
    return arr;
}

static int
bad_body(http_req_t *req, const char *what)
{
    return http_fail(req, GW_EINVALID, 400, OCI_UNSUPPORTED, "invalid request body: %s", what);
}

/*
 * A string member of `o`. Strings with an embedded NUL are refused: C would
 * see a shorter name or password than the client sent.
 */
static int
field_str(http_req_t *req, json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);

    *out = NULL;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return bad_body(req, key);
    *out = json_string_value(v);
    return GW_OK;
}

/* An optional boolean member: *out keeps its value when absent. */
static int
field_bool(http_req_t *req, json_t *o, const char *key, int *out)
{
    json_t *v = json_object_get(o, key);

    if (v == NULL)
        return GW_OK;
    if (!json_is_boolean(v))
        return bad_body(req, key);
    *out = json_is_true(v);
    return GW_OK;
}

/* "permissions": an array of the words in perm_words, possibly empty. */
static int
field_perms(http_req_t *req, json_t *o, unsigned *out)
{
    json_t *arr = json_object_get(o, "permissions");
    size_t i, k;
    json_t *v;

    *out = 0;
    if (!json_is_array(arr))
        return bad_body(req, "permissions");
    json_array_foreach(arr, i, v)
    {
        for (k = 0; k < NPERM_WORDS; k++) {
            if (json_is_string(v) && strcmp(json_string_value(v), perm_words[k].word) == 0)
                break;
        }
        if (k == NPERM_WORDS)
            return bad_body(req, "permissions: each is pull, push, delete or admin");
        *out |= perm_words[k].bit;
    }
    return GW_OK;
}

static int
check_password(http_req_t *req, const char *pw)
{
    size_t len = strlen(pw);

    if (len < API_PASSWORD_MIN || len > API_PASSWORD_MAX) {
        return http_fail(req, GW_EINVALID, 400, OCI_UNSUPPORTED, "password must be %d to %d bytes",
                         API_PASSWORD_MIN, API_PASSWORD_MAX);
    }
    return GW_OK;
}

/* ---- paging ------------------------------------------------------------- */

typedef int (*name_check_fn)(const char *s);

static int
tag_check(const char *s)
{
    return ref_tag_valid(s, strlen(s));
}

static int
repo_check(const char *s)
{
    return ref_name_valid(s, strlen(s));
}

static int
digest_check(const char *s)
{
    digest_algo_t algo;

    return digest_parse(s, &algo) == GW_OK;
}

/* ?n= (1..API_PAGE_MAX, larger is capped) and ?last= (checked by `check`). */
static int
page_args(http_req_t *req, name_check_fn check, int *n, const char **last)
{
    const char *s = http_query(req, "n");
    char *end = NULL;
    long v = API_PAGE_DEFAULT;

    *last = http_query(req, "last");
    if (*last == NULL)
        *last = "";
    if (s != NULL) {
        errno = 0;
        v = strtol(s, &end, 10);
        if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || v < 1) {
            return http_fail(req, GW_EINVALID, 400, OCI_PAGINATION_NUMBER_INVALID,
                             "n must be a positive integer");
        }
    }
    *n = v > API_PAGE_MAX ? API_PAGE_MAX : (int)v;
    if ((*last)[0] != '\0' && !check(*last))
        return http_fail(req, GW_EINVALID, 400, OCI_NAME_INVALID, "invalid last");
    return GW_OK;
}

/* Adds Link (RFC 8288) to the next page when the query returned more than n
 * rows: every page asks for n + 1 so no count query is needed. */
static void
next_link(http_req_t *req, const char *base, db_res_t *res, int n)
{
    char link[API_PATH_MAX * 2];

    if (db_res_rows(res) <= n)
        return;
    snprintf(link, sizeof(link), "<%s?n=%d&last=%s>; rel=\"next\"", base, n,
             db_res_text(res, n - 1, 0));
    http_add_header(req, "Link", link);
}

typedef json_t *(*row_json_fn)(db_res_t *res, int i);

/* Answers 200 with `root` holding, under `key`, the first n rows of `res` as
 * `row` makes them, and Link when more remain. Takes `res` and `root`. */
static int
answer_page(http_req_t *req, db_res_t *res, int n, row_json_fn row, const char *base, json_t *root,
            const char *key)
{
    json_t *arr = json_array();

    for (int i = 0; i < db_res_rows(res) && i < n; i++)
        json_array_append_new(arr, row(res, i));
    next_link(req, base, res, n);
    db_res_free(res);
    json_object_set_new(root, key, arr);
    return respond_json(req, 200, root);
}

/* ---- the front door ----------------------------------------------------- */

static int
denied(http_req_t *req, const char *perm, const char *project)
{
    if (project == NULL) {
        return http_fail(req, GW_EDENIED, 403, OCI_DENIED, "%s permission missing", perm);
    }
    return http_fail(req, GW_EDENIED, 403, OCI_DENIED, "%s permission missing on project %s", perm,
                     project);
}

/* The caller's bits in c->path.project; 404 when the project does not exist. */
static int
load_project_perms(http_req_t *req, api_ctx_t *c)
{
    int exists = 0;
    int rc = auth_project_perms(req, &c->who, c->path.project, &c->perms, &exists);

    if (rc != GW_OK) {
        http_respond_error(req);
        return rc;
    }
    if (!exists && c->path.repo[0] != '\0') {
        return http_fail(req, GW_ENOTFOUND, 404, OCI_NAME_UNKNOWN,
                         "repository name not known to registry");
    }
    if (!exists) {
        return http_fail(req, GW_ENOTFOUND, 404, OCI_NAME_UNKNOWN, "project %s not known",
                         c->path.project);
    }
    return GW_OK;
}

static int
authorize(http_req_t *req, api_ctx_t *c)
{
    api_need_t need = c->ep->need;
    int self = strcmp(c->path.arg, c->who.name) == 0 && !c->who.robot;

    if (c->path.project[0] != '\0' && load_project_perms(req, c) != GW_OK)
        return GW_EDENIED;
    switch (need) {
    case NEED_SYSADMIN:
        return is_sysadmin(&c->who) ? GW_OK : denied(req, "system administrator", NULL);
    case NEED_SELF:
        return self || is_sysadmin(&c->who) ? GW_OK : denied(req, "system administrator", NULL);
    case NEED_PULL:
        return c->perms & META_PERM_PULL ? GW_OK : denied(req, "pull", c->path.project);
    case NEED_DELETE:
        return c->perms & META_PERM_DELETE ? GW_OK : denied(req, "delete", c->path.project);
    case NEED_ADMIN:
        return c->perms & META_PERM_ADMIN ? GW_OK : denied(req, "admin", c->path.project);
    default:
        return GW_OK;
    }
}

static const char *
method_name(http_method_t m)
{
    return m == HTTP_GET ? "GET" : m == HTTP_POST ? "POST" : m == HTTP_PUT ? "PUT" : "DELETE";
}

/* The endpoint for c->path.kind and the method; 405 with Allow when only the
 * method is wrong (RFC 9110 section 15.5.6). */
static const api_endpoint_t *
find_endpoint(http_req_t *req, api_kind_t kind)
{
    char allow[64] = "";
    size_t used = 0;

    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        if (endpoints[i].kind != kind)
            continue;
        if (endpoints[i].method == req->method)
            return &endpoints[i];
        used += (size_t)snprintf(allow + used, sizeof(allow) - used, "%s%s", used > 0 ? ", " : "",
                                 method_name(endpoints[i].method));
    }
    http_add_header(req, "Allow", allow);
    http_fail(req, GW_EINVALID, 405, OCI_UNSUPPORTED, "method %s not allowed here",
              req->method_str);
    return NULL;
}

/* on_end of PUT and POST: the body is complete; it must be a JSON object. */
static int
body_end(http_req_t *req)
{
    api_ctx_t *c = req->state;
    json_error_t jerr;
    json_t *root;
    int rc;

    root = json_loadb(req->body != NULL ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return bad_body(req, "not a JSON object");
    }
    rc = c->ep->fn(req, c, root);
    json_decref(root);
    return rc;
}

void
api_handle(http_req_t *req)
{
    api_ctx_t *c = calloc(1, sizeof(*c));
    gw_error_t perr = {0};
    int prc;

    if (c == NULL) {
        http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
        return;
    }
    req->state = c;
    req->state_free = free;
    prc = api_path_parse(req->path, req->method, &c->path, &perr);
    /* Authenticate before answering a bad path, so strangers learn nothing. */
    if (auth_basic_account(req, &c->who) != GW_OK)
        return;
    /* Checked already; the hash need not sit in memory for the request. */
    explicit_bzero(c->who.password_hash, sizeof(c->who.password_hash));
    if (prc != GW_OK) {
        req->err = perr;
        http_respond_error(req);
        return;
    }
    if (c->path.repo[0] != '\0')
        req->log_repo = c->path.repo;
    c->ep = find_endpoint(req, c->path.kind);
    if (c->ep == NULL || authorize(req, c) != GW_OK)
        return;
    if (req->method == HTTP_PUT || req->method == HTTP_POST) {
        req->body_max = API_BODY_MAX;
        req->on_end = body_end;
        return;
    }
    c->ep->fn(req, c, NULL);
}

/* ---- health ------------------------------------------------------------- */

static int
health_get(http_req_t *req, api_ctx_t *c, json_t *body)
{
    static const char ok[] = "{\"status\":\"ok\",\"database\":\"ok\"}";
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    (void)c;
    (void)body;
    if (rc == GW_OK)
        rc = db_exec(db, &q_ping, NULL, NULL, &req->err);
    if (rc != GW_OK) {
        /* Whatever the database said, the answer is "not ready": 503. */
        gw_error_clear(&req->err);
        return http_fail(req, GW_EUNAVAILABLE, 503, OCI_INTERNAL, "database unavailable");
    }
    return http_respond(req, 200, "application/json", ok, sizeof(ok) - 1, 0);
}

/* ---- projects ----------------------------------------------------------- */

/* A project as JSON from a row of name, public, repositories, created_at. */
static json_t *
project_json(db_res_t *res, int i)
{
    return json_pack("{s:s,s:b,s:I,s:s}", "name", db_res_text(res, i, 0), "public",
                     db_res_text(res, i, 1)[0] == 't', "repositories",
                     (json_int_t)db_res_int64(res, i, 2), "created_at", db_res_text(res, i, 3));
}

static int
projects_list(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    const char *last;
    int n, rc;

    (void)body;
    if (page_args(req, api_path_component_valid, &n, &last) != GW_OK)
        return GW_EINVALID;
    rc = http_db(req, &db);
    if (rc == GW_OK) {
        rc = meta_project_list(db, c->who.id, is_sysadmin(&c->who), last, n + 1, &res, &req->err);
    }
    if (rc != GW_OK)
        return http_respond_error(req);
    return answer_page(req, res, n, project_json, API_PREFIX "/projects", json_object(),
                       "projects");
}

/* Answers `status` with the stored project c->path.project, and the caller's
 * permissions in it. */
static int
project_answer(http_req_t *req, api_ctx_t *c, int status)
{
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    json_t *p = NULL;
    int rc = http_db(req, &db);

    if (rc == GW_OK)
        rc = meta_project_get(db, c->path.project, &res, &req->err);
    if (rc == GW_ENOTFOUND)
        return http_fail(req, rc, 404, OCI_NAME_UNKNOWN, "project %s not known", c->path.project);
    if (rc != GW_OK)
        return http_respond_error(req);
    p = project_json(res, 0);
    db_res_free(res);
    if (p != NULL)
        json_object_set_new(p, "permissions", perms_json(c->perms));
    return respond_json(req, status, p);
}

static int
project_create(http_req_t *req, api_ctx_t *c, json_t *body)
{
    char loc[REF_NAME_MAX + 32];
    const char *name = NULL;
    db_conn_t *db = NULL;
    int pub = 0;
    int rc;

    if (field_str(req, body, "name", &name) != GW_OK ||
        field_bool(req, body, "public", &pub) != GW_OK)
        return GW_EINVALID;
    if (!api_path_component_valid(name)) {
        return http_fail(req, GW_EINVALID, 400, OCI_NAME_INVALID,
                         "invalid project name: one repository-name component");
    }
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_project_create(db, name, pub, &req->err);
    if (rc == GW_EEXISTS)
        return http_fail(req, rc, 409, OCI_DENIED, "project %s exists", name);
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=project_create project=%s public=%d by=%s", name, pub, c->who.name);
    snprintf(c->path.project, sizeof(c->path.project), "%s", name);
    c->perms = META_PERM_ALL;
    snprintf(loc, sizeof(loc), API_PREFIX "/projects/%s", name);
    http_add_header(req, "Location", loc);
    return project_answer(req, c, 201);
}

static int
project_get(http_req_t *req, api_ctx_t *c, json_t *body)
{
    (void)body;
    return project_answer(req, c, 200);
}

static int
project_update(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    int pub = 0;
    int rc;

    /* The only field, so it is required here. */
    if (json_object_get(body, "public") == NULL)
        return bad_body(req, "public");
    if (field_bool(req, body, "public", &pub) != GW_OK)
        return GW_EINVALID;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_project_set_public(db, c->path.project, pub, &req->err);
    if (rc == GW_ENOTFOUND)
        return http_fail(req, rc, 404, OCI_NAME_UNKNOWN, "project %s not known", c->path.project);
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=project_update project=%s public=%d by=%s", c->path.project, pub,
             c->who.name);
    return project_answer(req, c, 200);
}

/* Deletes an empty project and the robots made for it, in one transaction:
 * a robot left behind would keep its name from a later project's robot. */
static int
project_delete(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    (void)body;
    if (rc == GW_OK)
        rc = db_begin(db, &req->err);
    if (rc == GW_OK) {
        rc = meta_project_delete(db, c->path.project, &req->err);
        if (rc == GW_OK)
            rc = meta_robot_delete_project(db, c->path.project, &req->err);
        if (rc == GW_OK)
            rc = db_commit(db, &req->err);
        if (rc != GW_OK)
            db_rollback(db);
    }
    /* The project existed a moment ago (authorize), so a miss here means a
     * repository appeared in it: meta_project_delete says ECONFLICT then. */
    if (rc == GW_ECONFLICT) {
        return http_fail(req, rc, 409, OCI_DENIED, "project %s still has repositories",
                         c->path.project);
    }
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=project_delete project=%s by=%s", c->path.project, c->who.name);
    return respond_empty(req);
}

/* ---- members ------------------------------------------------------------ */

static int
members_list(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    json_t *arr;
    int rc = http_db(req, &db);

    (void)body;
    if (rc == GW_OK)
        rc = meta_member_list(db, c->path.project, &res, &req->err);
    if (rc != GW_OK)
        return http_respond_error(req);
    arr = json_array();
    for (int i = 0; i < db_res_rows(res); i++) {
        json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", "name", db_res_text(res, i, 0),
                                             "kind", db_res_text(res, i, 1), "permissions",
                                             perms_json((unsigned)db_res_int64(res, i, 2))));
    }
    db_res_free(res);
    return respond_json(req, 200, json_pack("{s:o}", "members", arr));
}

/* Sets (perms != 0) or removes (0) c->path.arg's membership of c->path.project. */
static int
member_apply(http_req_t *req, api_ctx_t *c, unsigned perms)
{
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    if (rc == GW_OK)
        rc = meta_member_set(db, c->path.project, c->path.arg, perms, &req->err);
    if (rc == GW_ENOTFOUND && perms == 0) {
        return http_fail(req, rc, 404, OCI_NAME_UNKNOWN, "%s is not a member of %s", c->path.arg,
                         c->path.project);
    }
    if (rc == GW_ENOTFOUND)
        return http_fail(req, rc, 404, OCI_NAME_UNKNOWN, "account %s not known", c->path.arg);
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=member_set project=%s account=%s perms=%u by=%s", c->path.project,
             c->path.arg, perms, c->who.name);
    if (perms == 0)
        return respond_empty(req);
    return respond_json(
        req, 200, json_pack("{s:s,s:o}", "name", c->path.arg, "permissions", perms_json(perms)));
}

static int
member_put(http_req_t *req, api_ctx_t *c, json_t *body)
{
    unsigned perms = 0;

    if (field_perms(req, body, &perms) != GW_OK)
        return GW_EINVALID;
    return member_apply(req, c, perms);
}

static int
member_delete(http_req_t *req, api_ctx_t *c, json_t *body)
{
    (void)body;
    return member_apply(req, c, 0);
}

/* ---- robots ------------------------------------------------------------- */

/* A robot from a row of name, perms, expires_at, created_at; no secret:
 * only its hash is stored. */
static json_t *
robot_json(db_res_t *res, int i)
{
    const char *exp = db_res_text(res, i, 2);

    return json_pack("{s:s,s:o,s:o,s:s}", "name", db_res_text(res, i, 0), "permissions",
                     perms_json((unsigned)db_res_int64(res, i, 1)), "expires_at",
                     exp[0] != '\0' ? json_string(exp) : json_null(), "created_at",
                     db_res_text(res, i, 3));
}

static int
robots_list(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    json_t *arr;
    int rc = http_db(req, &db);

    (void)body;
    if (rc == GW_OK)
        rc = meta_robot_list_project(db, c->path.project, NULL, &res, &req->err);
    if (rc != GW_OK)
        return http_respond_error(req);
    arr = json_array();
    for (int i = 0; i < db_res_rows(res); i++)
        json_array_append_new(arr, robot_json(res, i));
    db_res_free(res);
    return respond_json(req, 200, json_pack("{s:o}", "robots", arr));
}

/* The robot creation fields: short name, permissions, lifetime in days. */
static int
robot_fields(http_req_t *req, json_t *body, const char **name, unsigned *perms, json_int_t *days)
{
    json_t *d = json_object_get(body, "expires_in_days");

    *days = API_ROBOT_DAYS_DEFAULT;
    if (field_str(req, body, "name", name) != GW_OK || field_perms(req, body, perms) != GW_OK)
        return GW_EINVALID;
    if (!api_path_component_valid(*name))
        return http_fail(req, GW_EINVALID, 400, OCI_NAME_INVALID, "invalid robot name");
    if (*perms == 0)
        return bad_body(req, "permissions: a robot needs at least one");
    if (d != NULL && !json_is_integer(d))
        return bad_body(req, "expires_in_days");
    if (d != NULL)
        *days = json_integer_value(d);
    if (*days < 0 || *days > API_ROBOT_DAYS_MAX)
        return bad_body(req, "expires_in_days: 0 (never) to 3650");
    return GW_OK;
}

/* Creates the account and its membership in one transaction, so a robot
 * never exists without the permissions it was made for. */
static int
robot_store(http_req_t *req, api_ctx_t *c, const char *secret, unsigned perms, json_int_t days,
            db_res_t **res)
{
    char hash[PASSWD_HASH_MAX], desc[REF_NAME_MAX + 32];
    db_conn_t *db = NULL;
    int64_t id = 0;
    int rc = http_db(req, &db);

    if (rc == GW_OK && passwd_hash(secret, hash, sizeof(hash)) != GW_OK)
        rc = gw_error_internal(&req->err, GW_ERR, "robot secret hashing failed");
    snprintf(desc, sizeof(desc), "created by %s", c->who.name);
    if (rc == GW_OK)
        rc = db_begin(db, &req->err);
    if (rc != GW_OK)
        return rc;
    rc = meta_account_create(db, c->path.arg, "robot", hash, 0, (int64_t)days * 86400, desc, &id,
                             &req->err);
    if (rc == GW_OK)
        rc = meta_member_set(db, c->path.project, c->path.arg, perms, &req->err);
    if (rc == GW_OK)
        rc = meta_robot_list_project(db, c->path.project, c->path.arg, res, &req->err);
    if (rc == GW_OK)
        rc = db_commit(db, &req->err);
    if (rc != GW_OK)
        db_rollback(db);
    return rc;
}

static int
robot_create(http_req_t *req, api_ctx_t *c, json_t *body)
{
    char secret[PASSWD_SECRET_SIZE];
    const char *name = NULL;
    db_res_t *res = NULL;
    json_t *out = NULL;
    unsigned perms = 0;
    json_int_t days = 0;
    int rc = robot_fields(req, body, &name, &perms, &days);

    if (rc != GW_OK)
        return rc;
    if (!api_path_robot_name(&c->path, name))
        return http_fail(req, GW_EINVALID, 400, OCI_NAME_INVALID, "robot name too long");
    if (passwd_random_secret(secret, sizeof(secret)) != GW_OK)
        return http_fail(req, GW_ERR, 500, OCI_INTERNAL, "no randomness");
    rc = robot_store(req, c, secret, perms, days, &res);
    if (rc == GW_EEXISTS)
        rc = http_fail(req, rc, 409, OCI_DENIED, "robot %s exists", c->path.arg);
    else if (rc != GW_OK || db_res_rows(res) != 1)
        rc = http_respond_error(req);
    else
        out = robot_json(res, 0);
    if (out != NULL) {
        /* The secret is shown here once; afterwards only its hash exists. */
        json_object_set_new(out, "secret", json_string(secret));
        log_info("api", "event=robot_create project=%s robot=%s perms=%u days=%lld by=%s",
                 c->path.project, c->path.arg, perms, (long long)days, c->who.name);
        rc = respond_json(req, 201, out);
    }
    explicit_bzero(secret, sizeof(secret));
    db_res_free(res);
    return rc;
}

static int
robot_delete(http_req_t *req, api_ctx_t *c, json_t *body)
{
    meta_account_t acct;
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    (void)body;
    if (rc == GW_OK)
        rc = meta_account_get(db, c->path.arg, &acct, &req->err);
    /* Only a robot: a user named like one (berthctl takes any name) stays. */
    if (rc == GW_OK && !acct.robot)
        rc = GW_ENOTFOUND;
    explicit_bzero(acct.password_hash, sizeof(acct.password_hash));
    if (rc == GW_OK)
        rc = meta_account_delete(db, c->path.arg, &req->err);
    if (rc == GW_ENOTFOUND)
        return http_fail(req, rc, 404, OCI_NAME_UNKNOWN, "robot %s not known", c->path.arg);
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=robot_delete project=%s robot=%s by=%s", c->path.project, c->path.arg,
             c->who.name);
    return respond_empty(req);
}

/* ---- repositories, artifacts, tags -------------------------------------- */

static json_t *
repo_json(db_res_t *res, int i)
{
    return json_pack("{s:s,s:I,s:s}", "name", db_res_text(res, i, 0), "tags",
                     (json_int_t)db_res_int64(res, i, 1), "created_at", db_res_text(res, i, 2));
}

static int
repos_list(http_req_t *req, api_ctx_t *c, json_t *body)
{
    char base[REF_NAME_MAX + 64];
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    const char *last;
    int n, rc;

    (void)body;
    if (page_args(req, repo_check, &n, &last) != GW_OK)
        return GW_EINVALID;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_repo_list_project(db, c->path.project, last, n + 1, &res, &req->err);
    if (rc != GW_OK)
        return http_respond_error(req);
    snprintf(base, sizeof(base), API_PREFIX "/projects/%s/repositories", c->path.project);
    return answer_page(req, res, n, repo_json, base, json_object(), "repositories");
}

static int
repo_unknown(http_req_t *req)
{
    return http_fail(req, GW_ENOTFOUND, 404, OCI_NAME_UNKNOWN,
                     "repository name not known to registry");
}

static int
repo_delete(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    (void)body;
    if (rc == GW_OK)
        rc = meta_repo_delete(db, c->path.repo, req->app->cfg.gc_delay_s, &req->err);
    if (rc == GW_OK)
        mcache_invalidate(c->path.repo);
    if (rc == GW_ENOTFOUND)
        return repo_unknown(req);
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=repository_delete repo=%s by=%s", c->path.repo, c->who.name);
    return respond_empty(req);
}

/* An artifact from a row of digest, media_type, size, tags (a,b), created_at. */
static json_t *
artifact_json(db_res_t *res, int i)
{
    const char *t = db_res_text(res, i, 3);
    json_t *tags = json_array();

    while (*t != '\0') {
        size_t len = strcspn(t, ",");
        json_array_append_new(tags, json_stringn(t, len));
        t += len + (t[len] == ',');
    }
    return json_pack("{s:s,s:s,s:I,s:o,s:s}", "digest", db_res_text(res, i, 0), "media_type",
                     db_res_text(res, i, 1), "size", (json_int_t)db_res_int64(res, i, 2), "tags",
                     tags, "created_at", db_res_text(res, i, 4));
}

static int
artifacts_list(http_req_t *req, api_ctx_t *c, json_t *body)
{
    char base[REF_NAME_MAX + 64];
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    const char *last;
    int64_t id = 0;
    int n, rc;

    (void)body;
    if (page_args(req, digest_check, &n, &last) != GW_OK)
        return GW_EINVALID;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_repo_get(db, c->path.repo, &id, &req->err);
    if (rc == GW_OK)
        rc = meta_artifact_list(db, c->path.repo, last, n + 1, &res, &req->err);
    if (rc == GW_ENOTFOUND)
        return repo_unknown(req);
    if (rc != GW_OK)
        return http_respond_error(req);
    snprintf(base, sizeof(base), API_PREFIX "/repositories/%s/artifacts", c->path.repo);
    return answer_page(req, res, n, artifact_json, base, json_pack("{s:s}", "name", c->path.repo),
                       "artifacts");
}

static int
artifact_delete(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    (void)body;
    if (rc == GW_OK)
        rc = meta_manifest_delete(db, c->path.repo, c->path.arg, req->app->cfg.gc_delay_s,
                                  &req->err);
    if (rc == GW_OK)
        mcache_invalidate(c->path.repo);
    if (rc == GW_ENOTFOUND)
        return http_fail(req, rc, 404, OCI_MANIFEST_UNKNOWN, "manifest unknown");
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=artifact_delete repo=%s digest=%s by=%s", c->path.repo, c->path.arg,
             c->who.name);
    return respond_empty(req);
}

static json_t *
tag_json(db_res_t *res, int i)
{
    return json_string(db_res_text(res, i, 0));
}

static int
tags_list(http_req_t *req, api_ctx_t *c, json_t *body)
{
    char base[REF_NAME_MAX + 64];
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    const char *last;
    int n, rc;

    (void)body;
    if (page_args(req, tag_check, &n, &last) != GW_OK)
        return GW_EINVALID;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_tag_list(db, c->path.repo, last, n + 1, &res, &req->err);
    if (rc == GW_ENOTFOUND)
        return repo_unknown(req);
    if (rc != GW_OK)
        return http_respond_error(req);
    snprintf(base, sizeof(base), API_PREFIX "/repositories/%s/tags", c->path.repo);
    return answer_page(req, res, n, tag_json, base, json_pack("{s:s}", "name", c->path.repo),
                       "tags");
}

static int
tag_delete(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    (void)body;
    if (rc == GW_OK)
        rc = meta_tag_delete(db, c->path.repo, c->path.arg, &req->err);
    if (rc == GW_OK)
        mcache_invalidate(c->path.repo);
    if (rc == GW_ENOTFOUND)
        return http_fail(req, rc, 404, OCI_MANIFEST_UNKNOWN, "tag %s not known", c->path.arg);
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=tag_delete repo=%s tag=%s by=%s", c->path.repo, c->path.arg,
             c->who.name);
    return respond_empty(req);
}

/* ---- users -------------------------------------------------------------- */

/* "proj:bits,proj:bits" (meta_account_list) as [{"name","permissions"}]. */
static json_t *
memberships_json(const char *s)
{
    json_t *arr = json_array();
    char proj[REF_NAME_MAX + 1];

    while (*s != '\0') {
        size_t len = strcspn(s, ",");
        const char *colon = memchr(s, ':', len);
        if (colon != NULL && (size_t)(colon - s) < sizeof(proj)) {
            snprintf(proj, sizeof(proj), "%.*s", (int)(colon - s), s);
            json_array_append_new(arr,
                                  json_pack("{s:s,s:o}", "name", proj, "permissions",
                                            perms_json((unsigned)strtoul(colon + 1, NULL, 10))));
        }
        s += len + (s[len] == ',');
    }
    return arr;
}

static json_t *
user_json(db_res_t *res, int i)
{
    return json_pack("{s:s,s:b,s:s,s:o}", "name", db_res_text(res, i, 0), "admin",
                     db_res_text(res, i, 1)[0] == 't', "created_at", db_res_text(res, i, 4),
                     "projects", memberships_json(db_res_text(res, i, 5)));
}

static int
users_list(http_req_t *req, api_ctx_t *c, json_t *body)
{
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    const char *last;
    int n, rc;

    (void)c;
    (void)body;
    if (page_args(req, api_path_component_valid, &n, &last) != GW_OK)
        return GW_EINVALID;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_account_list(db, "user", last, n + 1, &res, &req->err);
    if (rc != GW_OK)
        return http_respond_error(req);
    return answer_page(req, res, n, user_json, API_PREFIX "/users", json_object(), "users");
}

static int
user_create(http_req_t *req, api_ctx_t *c, json_t *body)
{
    char hash[PASSWD_HASH_MAX];
    const char *name = NULL, *pw = NULL;
    db_conn_t *db = NULL;
    int64_t id = 0;
    int admin = 0;
    int rc;

    if (field_str(req, body, "name", &name) != GW_OK ||
        field_str(req, body, "password", &pw) != GW_OK ||
        field_bool(req, body, "admin", &admin) != GW_OK || check_password(req, pw) != GW_OK)
        return GW_EINVALID;
    if (!api_path_component_valid(name))
        return http_fail(req, GW_EINVALID, 400, OCI_NAME_INVALID, "invalid user name");
    rc = http_db(req, &db);
    if (rc == GW_OK && passwd_hash(pw, hash, sizeof(hash)) != GW_OK)
        rc = gw_error_internal(&req->err, GW_ERR, "password hashing failed");
    if (rc == GW_OK)
        rc = meta_account_create(db, name, "user", hash, admin, 0, "", &id, &req->err);
    if (rc == GW_EEXISTS)
        return http_fail(req, rc, 409, OCI_DENIED, "account %s exists", name);
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=user_create user=%s admin=%d by=%s", name, admin, c->who.name);
    return respond_json(req, 201, json_pack("{s:s,s:b}", "name", name, "admin", admin));
}

static int
user_password(http_req_t *req, api_ctx_t *c, json_t *body)
{
    char hash[PASSWD_HASH_MAX];
    const char *pw = NULL;
    db_conn_t *db = NULL;
    meta_account_t acct;
    int rc;

    if (field_str(req, body, "password", &pw) != GW_OK || check_password(req, pw) != GW_OK)
        return GW_EINVALID;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_account_get(db, c->path.arg, &acct, &req->err);
    /* A robot's secret is not a password: robots are made anew instead. */
    if (rc == GW_OK && acct.robot)
        rc = GW_ENOTFOUND;
    explicit_bzero(acct.password_hash, sizeof(acct.password_hash));
    if (rc == GW_OK && passwd_hash(pw, hash, sizeof(hash)) != GW_OK)
        rc = gw_error_internal(&req->err, GW_ERR, "password hashing failed");
    if (rc == GW_OK)
        rc = meta_account_set_password(db, c->path.arg, hash, &req->err);
    if (rc == GW_ENOTFOUND)
        return http_fail(req, rc, 404, OCI_NAME_UNKNOWN, "user %s not known", c->path.arg);
    if (rc != GW_OK)
        return http_respond_error(req);
    log_info("api", "event=user_password user=%s by=%s", c->path.arg, c->who.name);
    return respond_empty(req);
}
