/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listing.c - GET /v2/<name>/tags/list, GET /v2/_catalog and
 * GET /v2/<name>/referrers/<digest> (distribution-spec "Listing Tags",
 * "Listing Referrers"; the catalog as distribution serves it).
 *
 * Every list is a page of at most LISTING_PAGE_MAX entries. When more remain,
 * a Link header (RFC 8288) names the next page with n and last.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "manifest.h"
#include "meta.h"

#define LISTING_PAGE_MAX 1000
#define REFERRERS_PAGE 256

/* ?n= as a page size: absent means the cap; a cap applies either way. */
static int
page_size(http_req_t *req, int *n)
{
    const char *s = http_query(req, "n");
    char *end = NULL;
    long v;

    *n = LISTING_PAGE_MAX;
    if (s == NULL)
        return GW_OK;
    errno = 0;
    v = strtol(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || v < 0) {
        return http_fail(req, GW_EINVALID, 400, OCI_PAGINATION_NUMBER_INVALID,
                         "n must be a non-negative integer");
    }
    *n = v > LISTING_PAGE_MAX ? LISTING_PAGE_MAX : (int)v;
    return GW_OK;
}

static void
next_link(http_req_t *req, const char *base, int n, const char *last, const char *extra)
{
    char link[1024];

    snprintf(link, sizeof(link), "<%s?n=%d&last=%s%s>; rel=\"next\"", base, n, last,
             extra != NULL ? extra : "");
    http_add_header(req, "Link", link);
}

/* Percent-encodes a query value (RFC 3986 unreserved kept): a media type's
 * '+' would otherwise come back as a space. Truncates to fit. */
static void
query_escape(const char *s, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s && o + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

static void
respond_json(http_req_t *req, const char *ctype, json_t *root)
{
    char *text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;

    json_decref(root);
    if (text == NULL) {
        http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
        return;
    }
    http_respond(req, 200, ctype, text, strlen(text), 1);
}

/* Builds {"<key>": [names...]} from a one-column page, adding Link when a
 * row beyond `n` shows that more remain. */
static void
respond_names(http_req_t *req, json_t *root, const char *key, db_res_t *res, int n,
              const char *base)
{
    json_t *arr = json_array();
    int rows = db_res_rows(res);

    for (int i = 0; i < rows && i < n; i++)
        json_array_append_new(arr, json_string(db_res_text(res, i, 0)));
    json_object_set_new(root, key, arr);
    if (rows > n && n > 0)
        next_link(req, base, n, db_res_text(res, n - 1, 0), NULL);
    respond_json(req, "application/json", root);
}

void
listing_tags(http_req_t *req)
{
    const char *last = http_query(req, "last");
    char base[REF_NAME_MAX + 32];
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    int n, rc;

    if (page_size(req, &n) != GW_OK)
        return;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_tag_list(db, req->ref.name, last != NULL ? last : "", n + 1, &res, &req->err);
    if (rc == GW_ENOTFOUND) {
        http_fail(req, rc, 404, OCI_NAME_UNKNOWN, "repository name not known to registry");
        return;
    }
    if (rc != GW_OK) {
        http_respond_error(req);
        return;
    }
    snprintf(base, sizeof(base), "/v2/%s/tags/list", req->ref.name);
    respond_names(req, json_pack("{s:s}", "name", req->ref.name), "tags", res, n, base);
    db_res_free(res);
}

void
listing_catalog(http_req_t *req)
{
    const char *last = http_query(req, "last");
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    int n, rc;

    if (page_size(req, &n) != GW_OK)
        return;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_repo_list(db, last != NULL ? last : "", n + 1, &res, &req->err);
    if (rc != GW_OK) {
        http_respond_error(req);
        return;
    }
    respond_names(req, json_object(), "repositories", res, n, "/v2/_catalog");
    db_res_free(res);
}

static json_t *
referrer_descriptor(db_res_t *res, int i)
{
    json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", db_res_text(res, i, 1), "digest",
                          db_res_text(res, i, 0), "size", (json_int_t)db_res_int64(res, i, 3));
    const char *at = db_res_text(res, i, 2);
    const char *ann = db_res_text(res, i, 4);

    if (d == NULL)
        return NULL;
    if (at[0] != '\0')
        json_object_set_new(d, "artifactType", json_string(at));
    if (ann[0] != '\0')
        json_object_set_new(d, "annotations", json_loads(ann, 0, NULL));
    return d;
}

void
listing_referrers(http_req_t *req)
{
    const char *filter = http_query(req, "artifactType");
    const char *last = http_query(req, "last");
    char base[512], extra[300] = "";
    digest_algo_t algo;
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    json_t *root, *list;
    int rows, rc;

    if (digest_parse(req->ref.arg, &algo) != GW_OK) {
        http_fail(req, GW_EINVALID, 400, OCI_DIGEST_INVALID, "invalid digest");
        return;
    }
    if (filter != NULL && filter[0] == '\0')
        filter = NULL;
    rc = http_db(req, &db);
    if (rc == GW_OK) {
        rc = meta_referrers(db, req->ref.name, req->ref.arg, filter, last != NULL ? last : "",
                            REFERRERS_PAGE + 1, &res, &req->err);
    }
    if (rc != GW_OK) {
        http_respond_error(req);
        return;
    }
    /* Always an index, empty when nothing refers to the digest. */
    list = json_array();
    rows = db_res_rows(res);
    for (int i = 0; i < rows && i < REFERRERS_PAGE; i++)
        json_array_append_new(list, referrer_descriptor(res, i));
    root = json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType", MANIFEST_OCI_INDEX,
                     "manifests", list);
    if (filter != NULL)
        http_add_header(req, "OCI-Filters-Applied", "artifactType");
    if (rows > REFERRERS_PAGE) {
        snprintf(base, sizeof(base), "/v2/%s/referrers/%s", req->ref.name, req->ref.arg);
        if (filter != NULL) {
            memcpy(extra, "&artifactType=", 14);
            query_escape(filter, extra + 14, sizeof(extra) - 14);
        }
        next_link(req, base, REFERRERS_PAGE, db_res_text(res, REFERRERS_PAGE - 1, 0), extra);
    }
    db_res_free(res);
    respond_json(req, MANIFEST_OCI_INDEX, root);
}
