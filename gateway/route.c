/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route.c - dispatch from method and path to handler (see route.h), plus the
 * two endpoints that need no repository: GET /v2/ and GET /healthz.
 */
#include <string.h>

#include "auth.h"
#include "db.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

/* clang-format off */
static db_query_t q_ping = DB_QUERY("SELECT 1");
/* clang-format on */

/* /healthz: 200 when this gateway can reach PostgreSQL, else 503, so a load
 * balancer takes a gateway out of rotation while its database is away. */
static void
health(http_req_t *req)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    db_conn_t *db = NULL;

    if (http_db(req, &db) != GW_OK || db_exec(db, &q_ping, NULL, NULL, &req->err) != GW_OK) {
        http_respond_error(req);
        return;
    }
    http_respond(req, 200, "application/json", ok, sizeof(ok) - 1, 0);
}

/* /metrics: counters for Prometheus. They name no repository or account, so
 * they are served without authentication, like /healthz. */
static void
metrics(http_req_t *req)
{
    char *text = NULL;
    size_t len = 0;

    if (metrics_render(&text, &len) != GW_OK) {
        http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
        return;
    }
    http_respond(req, 200, "text/plain; version=0.0.4", text, len, 1);
}

static void
unsupported(http_req_t *req)
{
    http_add_header(req, "Allow", "GET, HEAD, PUT, POST, PATCH, DELETE");
    http_fail(req, GW_EINVALID, 405, OCI_UNSUPPORTED, "method %s not allowed here",
              req->method_str);
}

/* What the method asks of the repository: reads pull, deletes delete,
 * everything else (uploads, manifest PUT) push. */
static unsigned
needed_actions(const http_req_t *req)
{
    switch (req->method) {
    case HTTP_GET:
    case HTTP_HEAD:
        return req->ref.route == REF_ROUTE_UPLOAD ? AUTH_PUSH : AUTH_PULL;
    case HTTP_DELETE:
        return req->ref.route == REF_ROUTE_UPLOAD ? AUTH_PUSH : AUTH_DELETE;
    default:
        return AUTH_PUSH;
    }
}

static void
route_v2(http_req_t *req)
{
    ref_path_t *r = &req->ref;
    http_method_t m = req->method;

    switch (r->route) {
    case REF_ROUTE_BASE:
        if (m != HTTP_GET && m != HTTP_HEAD) {
            unsupported(req);
            return;
        }
        if (auth_require(req, NULL, 0) == GW_OK)
            http_respond(req, 200, "application/json", "{}", 2, 0);
        return;
    case REF_ROUTE_CATALOG:
        if (m != HTTP_GET) {
            unsupported(req);
            return;
        }
        if (auth_require_catalog(req) == GW_OK)
            listing_catalog(req);
        return;
    case REF_ROUTE_INVALID:
        http_fail(req, GW_ENOTFOUND, 404, OCI_NAME_UNKNOWN, "no such endpoint");
        return;
    default:
        break;
    }
    if (!r->name_ok) {
        http_fail(req, GW_EINVALID, 400, OCI_NAME_INVALID, "invalid repository name");
        return;
    }
    req->log_repo = r->name;
    if (auth_require(req, r->name, needed_actions(req)) != GW_OK)
        return;
    switch (r->route) {
    case REF_ROUTE_TAGS:
        if (m != HTTP_GET && m != HTTP_HEAD) {
            unsupported(req);
            return;
        }
        listing_tags(req);
        return;
    case REF_ROUTE_MANIFEST:
        if (m != HTTP_GET && m != HTTP_HEAD && m != HTTP_PUT && m != HTTP_DELETE) {
            unsupported(req);
            return;
        }
        manifest_handle(req);
        return;
    case REF_ROUTE_BLOB:
        if (m != HTTP_GET && m != HTTP_HEAD && m != HTTP_DELETE) {
            unsupported(req);
            return;
        }
        blob_handle(req);
        return;
    case REF_ROUTE_UPLOADS:
        if (m != HTTP_POST) {
            unsupported(req);
            return;
        }
        upload_handle_post(req);
        return;
    case REF_ROUTE_UPLOAD:
        if (m != HTTP_GET && m != HTTP_PATCH && m != HTTP_PUT && m != HTTP_DELETE) {
            unsupported(req);
            return;
        }
        upload_handle(req);
        return;
    case REF_ROUTE_REFERRERS:
        if (m != HTTP_GET) {
            unsupported(req);
            return;
        }
        listing_referrers(req);
        return;
    default:
        http_fail(req, GW_ENOTFOUND, 404, OCI_NAME_UNKNOWN, "no such endpoint");
        return;
    }
}

void
route_begin(http_req_t *req)
{
    if (strcmp(req->path, "/healthz") == 0) {
        health(req);
        return;
    }
    if (strcmp(req->path, "/metrics") == 0) {
        metrics(req);
        return;
    }
    if (strcmp(req->path, "/auth/token") == 0) {
        auth_token_handle(req);
        return;
    }
    if (strncmp(req->path, "/api/v1/", 8) == 0 || strcmp(req->path, "/api/v1") == 0) {
        api_handle(req);
        return;
    }
    if (strncmp(req->path, "/v2", 3) != 0 || (req->path[3] != '/' && req->path[3] != '\0')) {
        http_fail(req, GW_ENOTFOUND, 404, OCI_NAME_UNKNOWN, "no such endpoint");
        return;
    }
    ref_parse_path(req->path, &req->ref);
    route_v2(req);
}
