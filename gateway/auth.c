/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c - authentication and authorisation (see auth.h).
 *
 * Bearer tokens are checked with the public key alone. Basic credentials
 * cost one indexed query plus a PBKDF2 verification; successful
 * verifications are remembered by a digest of (name, password, stored hash),
 * so the cache cannot outlive a password change (DESIGN.md invariant 5).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "digest.h"
#include "log.h"
#include "passwd.h"
#include "token.h"

#define VERIFIED_SLOTS 256
#define VERIFIED_TTL_S 300
#define TOKEN_SLOTS 128
#define MAX_SCOPES 16
#define CRED_MAX 512
#define REFRESH_TTL_S (7 * 86400)

typedef enum verdict {
    V_ALLOW = 0,
    V_UNAUTH, /* no or bad credentials: 401 with a challenge */
    V_DENIED, /* known caller without the permission: 403 */
    V_ERROR,  /* the database failed: req->err holds it */
} verdict_t;

typedef struct verified {
    char key[DIGEST_STR_MAX];
    time_t at;
} verified_t;

typedef struct token_cached {
    char key[DIGEST_STR_MAX];
    token_claims_t *claims; /* NULL while the slot is empty */
} token_cached_t;

static verified_t verified[VERIFIED_SLOTS];
static token_cached_t tokens[TOKEN_SLOTS];
static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t verified_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *
action_name(unsigned a)
{
    return a & AUTH_DELETE ? "delete" : a & AUTH_PUSH ? "push" : "pull";
}

int
auth_init(app_t *app, gw_error_t *err)
{
    app->auth_on = strcmp(app->cfg.auth, "none") != 0;
    if (!app->auth_on)
        return GW_OK;
    if (strcmp(app->cfg.auth, "token") != 0)
        return gw_error_internal(err, GW_EINVALID, "BERTH_AUTH must be token or none");
    if (app->cfg.token_key[0] == '\0')
        return gw_error_internal(err, GW_EINVALID, "BERTH_TOKEN_KEY is required with auth");
    return token_key_load(&app->token_key, app->cfg.token_key, err);
}

void
auth_free(app_t *app)
{
    token_key_free(app->token_key);
    app->token_key = NULL;
    pthread_mutex_lock(&tokens_lock);
    for (int i = 0; i < TOKEN_SLOTS; i++) {
        free(tokens[i].claims);
        tokens[i].claims = NULL;
    }
    pthread_mutex_unlock(&tokens_lock);
}

/* ---- Basic credentials ------------------------------------------------ */

static void
cache_key(const char *name, const char *pass, const char *stored, char out[DIGEST_STR_MAX])
{
    digest_ctx_t c;

    digest_init(&c, DIGEST_SHA256);
    digest_update(&c, name, strlen(name) + 1);
    digest_update(&c, pass, strlen(pass) + 1);
    digest_update(&c, stored, strlen(stored));
    digest_final(&c, out);
}

static int
password_ok(const char *name, const char *pass, const char *stored)
{
    char key[DIGEST_STR_MAX];
    unsigned slot;
    int hit;
    time_t now = time(NULL);

    cache_key(name, pass, stored, key);
    slot = (unsigned)strtoul(key + 7 + 56, NULL, 16) % VERIFIED_SLOTS;
    pthread_mutex_lock(&verified_lock);
    hit = strcmp(verified[slot].key, key) == 0 && now - verified[slot].at < VERIFIED_TTL_S;
    pthread_mutex_unlock(&verified_lock);
    if (hit)
        return 1;
    if (!passwd_verify(pass, stored))
        return 0;
    pthread_mutex_lock(&verified_lock);
    memcpy(verified[slot].key, key, sizeof(key));
    verified[slot].at = now;
    pthread_mutex_unlock(&verified_lock);
    return 1;
}

/* Decodes "Basic <b64>" into name and password. Returns 0 when well-formed. */
static int
parse_basic(const char *h, char *name, size_t nsize, char **pass, unsigned char *buf, size_t bsize)
{
    size_t len = 0;
    char *colon;

    if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
        return -1;
    h += 6;
    if (token_b64_decode(h, strlen(h), buf, bsize, &len) != GW_OK || memchr(buf, 0, len))
        return -1;
    colon = strchr((char *)buf, ':');
    if (colon == NULL || (size_t)(colon - (char *)buf) >= nsize || colon == (char *)buf)
        return -1;
    memcpy(name, buf, (size_t)(colon - (char *)buf));
    name[colon - (char *)buf] = '\0';
    *pass = colon + 1;
    return 0;
}

/* Checks Basic credentials; V_ALLOW fills `who`. */
static verdict_t
basic_login(http_req_t *req, const char *header, meta_account_t *who)
{
    unsigned char buf[CRED_MAX];
    char name[REF_NAME_MAX + 1];
    char *pass = NULL;
    db_conn_t *db = NULL;
    int rc;

    if (parse_basic(header, name, sizeof(name), &pass, buf, sizeof(buf)) != 0)
        return V_UNAUTH;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_account_get(db, name, who, &req->err);
    if (rc == GW_ENOTFOUND) {
        log_info("auth", "event=login_failed account=unknown");
        return V_UNAUTH;
    }
    if (rc != GW_OK)
        return V_ERROR;
    if (who->expired || !password_ok(name, pass, who->password_hash)) {
        log_info("auth", "event=login_failed reason=%s", who->expired ? "expired" : "password");
        return V_UNAUTH;
    }
    return V_ALLOW;
}

int
auth_project_perms(http_req_t *req, const meta_account_t *who, const char *project, unsigned *perms,
                   int *exists)
{
    db_conn_t *db = NULL;
    int is_public = 0;
    int rc = http_db(req, &db);

    *perms = 0;
    if (rc == GW_OK) {
        rc = meta_project_access(db, project, who != NULL ? who->id : 0, exists, &is_public, perms,
                                 &req->err);
    }
    if (who != NULL && who->admin && !who->robot)
        *perms = META_PERM_ALL;
    if (is_public)
        *perms |= META_PERM_PULL;
    /* Roles are cumulative: who may push or delete may also pull. */
    if (*perms & (META_PERM_PUSH | META_PERM_DELETE | META_PERM_ADMIN))
        *perms |= META_PERM_PULL;
    if (*perms & META_PERM_ADMIN)
        *perms = META_PERM_ALL;
    return rc;
}

/* The actions `who` (NULL: anonymous) holds on repository `repo`. */
static int
repo_actions(http_req_t *req, const meta_account_t *who, const char *repo, unsigned *actions)
{
    char project[REF_NAME_MAX + 1];
    unsigned perms = 0;
    int exists = 0;
    int rc;

    snprintf(project, sizeof(project), "%.*s", (int)strcspn(repo, "/"), repo);
    rc = auth_project_perms(req, who, project, &perms, &exists);
    *actions = perms & (AUTH_PULL | AUTH_PUSH | AUTH_DELETE);
    return rc;
}

/* ---- Bearer tokens ------------------------------------------------------ */

/*
 * Verifies a token, remembering verified ones by the digest of their text:
 * a token is immutable and signed, so the same text verifies the same way
 * until it expires (re-checked on every hit). Saves an ECDSA verification
 * per request for clients that reuse their token, as all do.
 */
static int
verify_bearer(http_req_t *req, const char *jwt, token_claims_t *claims, gw_error_t *err)
{
    char key[DIGEST_STR_MAX];
    token_cached_t *slot;
    time_t now = time(NULL);
    int hit = 0, rc;

    if (strlen(jwt) > TOKEN_JWT_MAX)
        return token_verify(req->app->token_key, jwt, req->app->cfg.token_service,
                            req->app->cfg.token_issuer, now, claims, err);
    digest_compute(DIGEST_SHA256, jwt, strlen(jwt), key);
    slot = &tokens[strtoul(key + 7 + 56, NULL, 16) % TOKEN_SLOTS];
    pthread_mutex_lock(&tokens_lock);
    if (slot->claims != NULL && strcmp(slot->key, key) == 0 &&
        slot->claims->exp + TOKEN_LEEWAY > (long long)now) {
        memcpy(claims, slot->claims, sizeof(*claims));
        hit = 1;
    }
    pthread_mutex_unlock(&tokens_lock);
    if (hit)
        return GW_OK;
    rc = token_verify(req->app->token_key, jwt, req->app->cfg.token_service,
                      req->app->cfg.token_issuer, now, claims, err);
    if (rc != GW_OK)
        return rc;
    pthread_mutex_lock(&tokens_lock);
    if (slot->claims == NULL)
        slot->claims = malloc(sizeof(*slot->claims));
    if (slot->claims != NULL) {
        memcpy(slot->claims, claims, sizeof(*claims));
        memcpy(slot->key, key, sizeof(key));
    }
    pthread_mutex_unlock(&tokens_lock);
    return GW_OK;
}

/* ---- challenges and verdicts ------------------------------------------ */

static void
realm(http_req_t *req, char *out, size_t size)
{
    const char *host = http_header(req, "Host");
    const char *proto = http_header(req, "X-Forwarded-Proto");
    int https = req->app->cfg.tls_cert[0] != '\0' || (proto != NULL && strcmp(proto, "https") == 0);

    if (req->app->cfg.token_realm[0] != '\0') {
        snprintf(out, size, "%s", req->app->cfg.token_realm);
        return;
    }
    /* The Host header is the client's own name for us; reject odd bytes so a
     * forged one cannot inject into the header. */
    if (host == NULL || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789.-:[]") != strlen(host)) {
        host = "localhost";
    }
    snprintf(out, size, "%s://%s/auth/token", https ? "https" : "http", host);
}

static void
challenge(http_req_t *req, const char *repo, unsigned actions, const char *error)
{
    char r[512], v[1024], scope[REF_NAME_MAX + 64] = "";

    realm(req, r, sizeof(r));
    if (repo != NULL) {
        snprintf(scope, sizeof(scope), ",scope=\"repository:%s:%s\"", repo,
                 actions & AUTH_DELETE ? "delete"
                 : actions & AUTH_PUSH ? "pull,push"
                                       : "pull");
    } else if (actions == 0 && error == NULL && req->ref.route == REF_ROUTE_CATALOG) {
        snprintf(scope, sizeof(scope), ",scope=\"registry:catalog:*\"");
    }
    snprintf(v, sizeof(v), "Bearer realm=\"%s\",service=\"%s\"%s%s%s%s", r,
             req->app->cfg.token_service, scope, error ? ",error=\"" : "", error ? error : "",
             error ? "\"" : "");
    http_add_header(req, "WWW-Authenticate", v);
}

static verdict_t
evaluate(http_req_t *req, const char *repo, unsigned actions, const char **why)
{
    const char *h = http_header(req, "Authorization");
    token_claims_t *claims = NULL;
    meta_account_t who;
    unsigned held = 0;
    verdict_t v = V_UNAUTH;

    *why = NULL;
    if (!req->app->auth_on)
        return V_ALLOW;
    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        gw_error_t terr = {0};
        claims = malloc(sizeof(*claims));
        if (claims == NULL)
            return V_ERROR;
        if (verify_bearer(req, h + 7, claims, &terr) != GW_OK) {
            *why = "invalid_token";
            log_info("auth", "event=token_refused reason=\"%s\"", terr.detail);
        } else if (repo == NULL || token_allows(claims, repo, actions)) {
            v = V_ALLOW;
        } else if (claims->sub[0] != '\0' && token_allows(claims, repo, 0)) {
            /* The token names this repository but lacks the action: the
             * token service granted all this account holds. */
            v = V_DENIED;
        } else {
            *why = "insufficient_scope";
        }
        free(claims);
        return v;
    }
    if (h == NULL)
        return V_UNAUTH;
    v = basic_login(req, h, &who);
    if (v != V_ALLOW || repo == NULL)
        return v;
    if (repo_actions(req, &who, repo, &held) != GW_OK)
        return V_ERROR;
    return (held & actions) == actions ? V_ALLOW : V_DENIED;
}

static int
answer(http_req_t *req, verdict_t v, const char *repo, unsigned actions, const char *why)
{
    switch (v) {
    case V_ALLOW:
        return GW_OK;
    case V_DENIED:
        return http_fail(req, GW_EDENIED, 403, OCI_DENIED, "%s permission missing on %s",
                         action_name(actions), repo != NULL ? repo : "registry");
    case V_ERROR:
        http_respond_error(req);
        return GW_EDENIED;
    default:
        challenge(req, repo, actions, why);
        return http_fail(req, GW_EDENIED, 401, OCI_UNAUTHORIZED, "authentication required");
    }
}

int
auth_require(http_req_t *req, const char *repo, unsigned actions)
{
    const char *why = NULL;
    verdict_t v = evaluate(req, repo, actions, &why);

    return answer(req, v, repo, actions, why);
}

int
auth_allowed(http_req_t *req, const char *repo, unsigned actions)
{
    const char *why = NULL;

    return evaluate(req, repo, actions, &why) == V_ALLOW;
}

int
auth_require_catalog(http_req_t *req)
{
    const char *h = http_header(req, "Authorization");
    token_claims_t *claims;
    meta_account_t who;
    gw_error_t terr = {0};
    verdict_t v = V_UNAUTH;

    if (!req->app->auth_on)
        return GW_OK;
    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        claims = malloc(sizeof(*claims));
        if (claims != NULL && verify_bearer(req, h + 7, claims, &terr) == GW_OK) {
            v = token_allows_catalog(claims) ? V_ALLOW : V_DENIED;
        }
        free(claims);
    } else if (h != NULL) {
        v = basic_login(req, h, &who);
        if (v == V_ALLOW && !(who.admin && !who.robot))
            v = V_DENIED;
    }
    if (v == V_DENIED)
        return http_fail(req, GW_EDENIED, 403, OCI_DENIED,
                         "listing the catalog needs a system administrator");
    return answer(req, v, NULL, 0, NULL);
}

int
auth_basic_account(http_req_t *req, meta_account_t *who)
{
    const char *h = http_header(req, "Authorization");
    verdict_t v = h != NULL ? basic_login(req, h, who) : V_UNAUTH;

    if (v == V_UNAUTH)
        http_add_header(req, "WWW-Authenticate", "Basic realm=\"berth\"");
    return answer(req, v, NULL, 0, NULL);
}

/* ---- the token endpoint ----------------------------------------------- */

typedef struct token_request {
    const char *service;
    const char *scopes[MAX_SCOPES];
    int nscopes;
    const char *grant_type;
    const char *username, *password, *refresh_token;
    int offline;
    char *form; /* decoded POST body, owned */
} token_request_t;

static void
form_field(token_request_t *t, const char *k, const char *v)
{
    if (strcmp(k, "service") == 0)
        t->service = v;
    else if (strcmp(k, "scope") == 0 && t->nscopes < MAX_SCOPES)
        t->scopes[t->nscopes++] = v;
    else if (strcmp(k, "grant_type") == 0)
        t->grant_type = v;
    else if (strcmp(k, "username") == 0)
        t->username = v;
    else if (strcmp(k, "password") == 0)
        t->password = v;
    else if (strcmp(k, "refresh_token") == 0)
        t->refresh_token = v;
    else if (strcmp(k, "access_type") == 0)
        t->offline = strcmp(v, "offline") == 0;
}

/* Splits the POSTed form into fields that point into t->form. */
static void
parse_form(token_request_t *t, const char *body, size_t len)
{
    char *cursor, *key, *value;

    t->form = strndup(body != NULL ? body : "", len);
    if (t->form == NULL)
        return;
    cursor = t->form;
    while (ref_form_next(&cursor, &key, &value))
        form_field(t, key, value);
}

/* Grants, for each requested resource, what the caller holds of what it asked. */
static int
grant(http_req_t *req, const meta_account_t *who, token_access_t *list, size_t n)
{
    int rc = GW_OK;

    for (size_t i = 0; i < n && rc == GW_OK; i++) {
        token_access_t *a = &list[i];
        unsigned want =
            a->actions & TOKEN_ALL ? TOKEN_PULL | TOKEN_PUSH | TOKEN_DELETE : a->actions;
        unsigned held = 0;
        if (strcmp(a->type, "registry") == 0) {
            int admin = who != NULL && who->admin && !who->robot;
            a->actions = admin && strcmp(a->name, "catalog") == 0 ? a->actions : 0;
            continue;
        }
        if (!ref_name_valid(a->name, strlen(a->name))) {
            a->actions = 0;
            continue;
        }
        rc = repo_actions(req, who, a->name, &held);
        a->actions = want & held;
    }
    return rc;
}

static int
token_answer(http_req_t *req, const meta_account_t *who, token_access_t *list, size_t n,
             int offline)
{
    app_t *app = req->app;
    token_params_t p = {
        .issuer = app->cfg.token_issuer,
        .subject = who != NULL ? who->name : "",
        .audience = app->cfg.token_service,
        .now = time(NULL),
        .lifetime = app->cfg.token_ttl_s,
        .access = list,
        .naccess = n,
    };
    char *tok = NULL, *refresh = NULL, issued[32], *text;
    char scope[4096];
    struct tm tm;
    json_t *root;
    int rc;

    rc = token_issue(app->token_key, &p, &tok, &req->err);
    if (rc == GW_OK && offline && who != NULL) {
        /* A refresh token stands in for the password (docker login keeps it),
         * so it lives for days; each use re-checks the account. */
        p.lifetime = REFRESH_TTL_S;
        rc = token_issue_refresh(app->token_key, &p, &refresh, &req->err);
    }
    if (rc != GW_OK) {
        free(tok);
        return http_respond_error(req);
    }
    gmtime_r(&p.now, &tm);
    strftime(issued, sizeof(issued), "%Y-%m-%dT%H:%M:%SZ", &tm);
    root = json_pack("{s:s,s:s,s:i,s:s}", "token", tok, "access_token", tok, "expires_in",
                     app->cfg.token_ttl_s, "issued_at", issued);
    if (root != NULL && refresh != NULL)
        json_object_set_new(root, "refresh_token", json_string(refresh));
    /* OAuth2 answers name what was granted (distribution-spec auth/oauth). */
    if (root != NULL && req->method == HTTP_POST &&
        token_scope_format(list, n, scope, sizeof(scope)) == GW_OK) {
        json_object_set_new(root, "scope", json_string(scope));
    }
    text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    free(tok);
    free(refresh);
    log_info("auth", "event=token_issued account=%s scopes=%zu", who != NULL ? who->name : "-", n);
    if (text == NULL)
        return http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
    http_add_header(req, "Cache-Control", "no-store");
    return http_respond(req, 200, "application/json", text, strlen(text), 1);
}

/* Who is asking the token endpoint: Basic, the form's password or refresh
 * token, or nobody. Returns V_ALLOW with *anonymous set when nobody. */
static verdict_t
token_caller(http_req_t *req, token_request_t *t, meta_account_t *who, int *anonymous)
{
    const char *h = http_header(req, "Authorization");
    token_claims_t *c;
    db_conn_t *db = NULL;
    gw_error_t terr = {0};
    verdict_t v = V_UNAUTH;

    *anonymous = 0;
    if (t->grant_type != NULL && strcmp(t->grant_type, "refresh_token") == 0) {
        if (t->refresh_token == NULL || (c = malloc(sizeof(*c))) == NULL)
            return V_UNAUTH;
        if (token_verify_refresh(req->app->token_key, t->refresh_token, req->app->cfg.token_service,
                                 req->app->cfg.token_issuer, time(NULL), c, &terr) == GW_OK &&
            http_db(req, &db) == GW_OK && meta_account_get(db, c->sub, who, &req->err) == GW_OK &&
            !who->expired) {
            v = V_ALLOW;
        }
        free(c);
        return v;
    }
    if (t->grant_type != NULL && strcmp(t->grant_type, "password") == 0) {
        char b[CRED_MAX], enc[TOKEN_B64_SIZE(CRED_MAX)], hdr[TOKEN_B64_SIZE(CRED_MAX) + 8];
        if (t->username == NULL || t->password == NULL ||
            snprintf(b, sizeof(b), "%s:%s", t->username, t->password) >= (int)sizeof(b) ||
            token_b64_encode(b, strlen(b), enc, sizeof(enc)) != GW_OK) {
            return V_UNAUTH;
        }
        snprintf(hdr, sizeof(hdr), "Basic %s", enc);
        return basic_login(req, hdr, who);
    }
    if (h == NULL) {
        *anonymous = 1;
        return V_ALLOW;
    }
    return basic_login(req, h, who);
}

static int
token_end(http_req_t *req)
{
    token_request_t t = {0};
    token_access_t list[MAX_SCOPES * 4];
    meta_account_t who;
    size_t n = 0;
    int anonymous = 0;
    int rc = GW_OK;
    verdict_t v;

    if (req->method == HTTP_POST)
        parse_form(&t, req->body, req->body_len);
    else
        t.nscopes = http_query_all(req, "scope", t.scopes, MAX_SCOPES);
    if (req->method == HTTP_GET) {
        const char *off = http_query(req, "offline_token");
        t.service = http_query(req, "service");
        t.offline = off != NULL && strcmp(off, "true") == 0;
    }
    if (t.service != NULL && strcmp(t.service, req->app->cfg.token_service) != 0) {
        rc = http_fail(req, GW_EINVALID, 400, OCI_UNSUPPORTED, "unknown service");
        goto cleanup;
    }
    for (int i = 0; i < t.nscopes && rc == GW_OK; i++) {
        rc = token_scope_parse(t.scopes[i], list, sizeof(list) / sizeof(list[0]), &n);
        if (rc != GW_OK)
            rc = http_fail(req, GW_EINVALID, 400, OCI_UNSUPPORTED, "invalid scope");
    }
    if (rc != GW_OK)
        goto cleanup;
    v = token_caller(req, &t, &who, &anonymous);
    if (v != V_ALLOW) {
        http_add_header(req, "WWW-Authenticate", "Basic realm=\"berth\"");
        rc = answer(req, v == V_DENIED ? V_UNAUTH : v, NULL, 0, NULL);
        goto cleanup;
    }
    rc = grant(req, anonymous ? NULL : &who, list, n);
    if (rc != GW_OK) {
        http_respond_error(req);
        goto cleanup;
    }
    rc = token_answer(req, anonymous ? NULL : &who, list, n, t.offline);
cleanup:
    free(t.form);
    return rc;
}

void
auth_token_handle(http_req_t *req)
{
    if (!req->app->auth_on) {
        http_fail(req, GW_ENOTFOUND, 404, OCI_UNSUPPORTED, "authentication is off");
        return;
    }
    if (req->method != HTTP_GET && req->method != HTTP_POST) {
        http_fail(req, GW_EINVALID, 405, OCI_UNSUPPORTED, "use GET or POST");
        return;
    }
    req->body_max = 16 * 1024;
    req->on_end = token_end;
}
