/* SPDX-License-Identifier: Apache-2.0 */
/*
 * manifest.c - GET, HEAD, PUT and DELETE /v2/<name>/manifests/<reference>
 * (OCI distribution-spec "Pulling manifests", "Pushing Manifests",
 * "Deleting tags", "Deleting Manifests").
 *
 * Manifests are stored as the exact bytes received, so the digest a client
 * computed is the digest it gets back. A manifest, its references and its
 * tags commit in one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "manifest.h"
#include "mcache.h"
#include "meta.h"

#define MANIFEST_MAX_TAGS 64

/* A hit from the manifest cache: no database round trip. */
static int
serve_cached(http_req_t *req)
{
    mcache_hit_t hit;

    if (!mcache_get(req->ref.name, req->ref.arg, &hit))
        return 0;
    http_add_header(req, "Docker-Content-Digest", hit.digest);
    http_respond(req, 200, hit.media_type, hit.payload, hit.size, 1);
    return 1;
}

static void
serve(http_req_t *req, int by_digest)
{
    db_conn_t *db = NULL;
    db_res_t *res = NULL;
    const unsigned char *payload;
    uint64_t seq = mcache_seq();
    size_t len;
    int rc;

    /* Tags and digests share the cache: a digest holds a ':', a tag cannot. */
    if (serve_cached(req))
        return;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_manifest_get(db, req->ref.name, req->ref.arg, by_digest, &res, &req->err);
    http_db_release(req);
    if (rc == GW_ENOTFOUND) {
        http_fail(req, rc, 404, OCI_MANIFEST_UNKNOWN, "manifest unknown");
        return;
    }
    if (rc != GW_OK) {
        http_respond_error(req);
        return;
    }
    payload = db_res_bytes(res, 0, 2, &len);
    mcache_put(req->ref.name, req->ref.arg, db_res_text(res, 0, 0), db_res_text(res, 0, 1), payload,
               len, seq);
    http_add_header(req, "Docker-Content-Digest", db_res_text(res, 0, 0));
    http_respond(req, 200, db_res_text(res, 0, 1), payload, len, 0);
    db_res_free(res);
}

static void
remove_manifest(http_req_t *req, int by_digest)
{
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    if (rc == GW_OK && by_digest)
        rc = meta_manifest_delete(db, req->ref.name, req->ref.arg, req->app->cfg.gc_delay_s,
                                  &req->err);
    else if (rc == GW_OK)
        rc = meta_tag_delete(db, req->ref.name, req->ref.arg, &req->err);
    if (rc == GW_OK)
        mcache_invalidate(req->ref.name);
    if (rc == GW_ENOTFOUND)
        http_fail(req, rc, 404, OCI_MANIFEST_UNKNOWN, "manifest unknown");
    else if (rc != GW_OK)
        http_respond_error(req);
    else
        http_respond(req, 202, NULL, NULL, 0, 0);
}

/* The tags one PUT sets: the reference when it is a tag, plus each ?tag=
 * (distribution-spec 1.1 "Pushing a manifest with multiple tags"). */
static int
gather_tags(http_req_t *req, int by_digest, const char **tags, int *ntags)
{
    const char *extra[MANIFEST_MAX_TAGS];
    int n = http_query_all(req, "tag", extra, MANIFEST_MAX_TAGS);

    *ntags = 0;
    if (!by_digest)
        tags[(*ntags)++] = req->ref.arg;
    for (int i = 0; i < n && *ntags < MANIFEST_MAX_TAGS; i++) {
        int seen = 0;
        if (!ref_tag_valid(extra[i], strlen(extra[i]))) {
            return http_fail(req, GW_EINVALID, 400, OCI_MANIFEST_INVALID, "invalid tag %.*s",
                             REF_TAG_MAX, extra[i]);
        }
        /* One statement cannot set the same tag twice. */
        for (int j = 0; j < *ntags && !seen; j++)
            seen = strcmp(tags[j], extra[i]) == 0;
        if (!seen)
            tags[(*ntags)++] = extra[i];
    }
    return GW_OK;
}

static void
put_answer(http_req_t *req, const meta_manifest_t *m)
{
    char loc[REF_NAME_MAX + DIGEST_STR_MAX + 32];

    snprintf(loc, sizeof(loc), "/v2/%s/manifests/%s", req->ref.name, m->digest);
    http_add_header(req, "Location", loc);
    http_add_header(req, "Docker-Content-Digest", m->digest);
    if (m->subject != NULL)
        http_add_header(req, "OCI-Subject", m->subject);
    for (int i = 0; i < m->ntags; i++)
        http_add_header(req, "OCI-Tag", m->tags[i]);
    http_respond(req, 201, NULL, NULL, 0, 0);
}

static int
put_end(http_req_t *req)
{
    int by_digest = strchr(req->ref.arg, ':') != NULL;
    manifest_info_t info;
    meta_manifest_t m = {0};
    const char *tags[MANIFEST_MAX_TAGS + 1];
    char digest[DIGEST_STR_MAX], missing[DIGEST_STR_MAX] = "";
    digest_algo_t algo = DIGEST_SHA256;
    db_conn_t *db = NULL;
    int rc;

    rc = manifest_parse(req->body != NULL ? req->body : "", req->body_len,
                        http_header(req, "Content-Type"), &info, &req->err);
    if (rc != GW_OK)
        goto cleanup;
    if (by_digest)
        digest_parse(req->ref.arg, &algo);
    digest_compute(algo, req->body, req->body_len, digest);
    if (by_digest && strcmp(digest, req->ref.arg) != 0) {
        rc = gw_error_set(&req->err, GW_EINVALID, 400, OCI_DIGEST_INVALID,
                          "manifest digest does not match the reference");
        goto cleanup;
    }
    rc = gather_tags(req, by_digest, tags, &m.ntags);
    if (rc != GW_OK)
        goto cleanup;
    m.tags = tags;
    m.digest = digest;
    m.media_type = info.media_type;
    m.artifact_type = info.artifact_type;
    m.subject = info.subject[0] != '\0' ? info.subject : NULL;
    m.annotations = info.annotations;
    m.payload = req->body != NULL ? req->body : "";
    m.size = req->body_len;
    m.blobs = info.blobs;
    m.nblobs = info.nblobs;
    m.children = info.children;
    m.nchildren = info.nchildren;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_manifest_put(db, req->ref.name, &m, missing, &req->err);
    if (rc == GW_ENOTFOUND) {
        rc = gw_error_set(&req->err, rc, 400, OCI_MANIFEST_BLOB_UNKNOWN,
                          "manifest references %s, unknown to this repository", missing);
    }
    if (rc == GW_OK && m.ntags > 0)
        mcache_invalidate(req->ref.name);
    if (rc == GW_OK)
        put_answer(req, &m);
cleanup:
    if (rc != GW_OK)
        http_respond_error(req);
    manifest_info_free(&info);
    return rc;
}

void
manifest_handle(http_req_t *req)
{
    const char *ref = req->ref.arg;
    int by_digest = strchr(ref, ':') != NULL;
    digest_algo_t algo;

    if (by_digest && digest_parse(ref, &algo) != GW_OK) {
        http_fail(req, GW_EINVALID, 400, OCI_DIGEST_INVALID, "invalid digest");
        return;
    }
    if (!by_digest && !ref_tag_valid(ref, strlen(ref))) {
        /* No manifest can be found under a name that is not a tag, and
         * distribution-spec "Pulling manifests" / "Checking if content
         * exists" answer a manifest not found with 404 (the conformance
         * suite asks for .INVALID_MANIFEST_NAME). Writes name it an error. */
        if (req->method == HTTP_GET || req->method == HTTP_HEAD)
            http_fail(req, GW_ENOTFOUND, 404, OCI_MANIFEST_UNKNOWN, "manifest unknown");
        else
            http_fail(req, GW_EINVALID, 400, OCI_MANIFEST_INVALID, "invalid tag");
        return;
    }
    switch (req->method) {
    case HTTP_GET:
    case HTTP_HEAD:
        serve(req, by_digest);
        break;
    case HTTP_DELETE:
        remove_manifest(req, by_digest);
        break;
    default:
        req->body_max = (size_t)req->app->cfg.manifest_max;
        req->on_end = put_end;
        break;
    }
}
