/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blob.c - HEAD, GET and DELETE /v2/<name>/blobs/<digest>.
 *
 * HEAD is answered from PostgreSQL alone. GET is one indexed lookup and a
 * presigned URL computed locally, answered with 307 (DESIGN.md invariant 2);
 * in proxy mode the object is streamed through, honouring Range (RFC 9110
 * section 14), in windows fetched from S3 as the client reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "handlers.h"
#include "log.h"
#include "mcache.h"
#include "meta.h"

#define PROXY_WINDOW (4u * 1024 * 1024)
#define PRESIGN_URL_MAX 4096

typedef struct proxy {
    app_t *app;
    char key[META_KEY_MAX];
    uint64_t base;   /* first byte of the object served */
    uint64_t length; /* bytes served */
    char *win;       /* window of object bytes [win_pos, win_pos + win_len) */
    uint64_t win_pos;
    size_t win_len;
} proxy_t;

typedef struct window_fill {
    char *buf;
    size_t len, cap;
} window_fill_t;

static int
window_write(void *arg, const void *data, size_t len)
{
    window_fill_t *w = arg;

    if (w->len + len > w->cap)
        return -1;
    memcpy(w->buf + w->len, data, len);
    w->len += len;
    return 0;
}

static long
proxy_read(void *arg, uint64_t pos, char *buf, size_t max)
{
    proxy_t *p = arg;
    gw_error_t err = {0};

    if (pos >= p->length)
        return 0;
    if (pos < p->win_pos || pos >= p->win_pos + p->win_len) {
        uint64_t want = p->length - pos < PROXY_WINDOW ? p->length - pos : PROXY_WINDOW;
        window_fill_t w = {p->win, 0, PROXY_WINDOW};
        if (s3_get_object(p->app->s3, p->key, p->base + pos, want, window_write, &w, NULL, &err) !=
                GW_OK ||
            w.len == 0) {
            log_error("blob", "event=proxy_read_failed upstream=s3 key=%s detail=\"%s\"", p->key,
                      err.detail);
            return -1;
        }
        p->win_pos = pos;
        p->win_len = w.len;
    }
    size_t n = (size_t)(p->win_pos + p->win_len - pos);
    if (n > max)
        n = max;
    memcpy(buf, p->win + (pos - p->win_pos), n);
    return (long)n;
}

static void
proxy_free(void *arg)
{
    proxy_t *p = arg;

    if (p != NULL)
        free(p->win);
    free(p);
}

static void
serve_proxy(http_req_t *req, const char *key, uint64_t size)
{
    const char *range = http_header(req, "Range");
    uint64_t off = 0, len = size;
    int status = 200;
    proxy_t *p;
    char cr[96];

    http_add_header(req, "Accept-Ranges", "bytes");
    if (req->method == HTTP_HEAD) {
        /* MHD sends Content-Length: size and never calls the reader. */
        http_respond_stream(req, 200, "application/octet-stream", size, proxy_read, NULL, NULL);
        return;
    }
    if (range != NULL) {
        int r = ref_parse_range(range, size, &off, &len);
        if (r == -2) {
            snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
            http_add_header(req, "Content-Range", cr);
            http_fail(req, GW_EINVALID, 416, OCI_RANGE_INVALID, "range not satisfiable");
            return;
        }
        if (r == 0) {
            status = 206;
            snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)off,
                     (unsigned long long)(off + len - 1), (unsigned long long)size);
            http_add_header(req, "Content-Range", cr);
        } else {
            off = 0;
            len = size;
        }
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->win = malloc(PROXY_WINDOW)) == NULL) {
        proxy_free(p);
        http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
        return;
    }
    p->app = req->app;
    snprintf(p->key, sizeof(p->key), "%s", key);
    p->base = off;
    p->length = len;
    http_respond_stream(req, status, "application/octet-stream", len, proxy_read, p, proxy_free);
}

static void
serve_redirect(http_req_t *req, const char *key)
{
    char *url = malloc(PRESIGN_URL_MAX);

    if (url == NULL || s3_presign_get(req->app->s3, key, (unsigned)req->app->cfg.presign_expiry_s,
                                      time(NULL), url, PRESIGN_URL_MAX) != GW_OK) {
        free(url);
        http_fail(req, GW_ERR, 500, OCI_INTERNAL, "cannot sign blob URL");
        return;
    }
    http_add_header(req, "Location", url);
    free(url);
    http_respond(req, 307, NULL, NULL, 0, 0);
}

static void
remove_blob(http_req_t *req)
{
    db_conn_t *db = NULL;
    int rc = http_db(req, &db);

    if (rc == GW_OK) {
        rc = meta_blob_unlink(db, req->ref.name, req->ref.arg, req->app->cfg.gc_delay_s, &req->err);
    }
    if (rc == GW_OK)
        mcache_invalidate(req->ref.name);
    if (rc == GW_ENOTFOUND)
        http_fail(req, rc, 404, OCI_BLOB_UNKNOWN, "blob unknown to registry");
    else if (rc != GW_OK)
        http_respond_error(req);
    else
        http_respond(req, 202, NULL, NULL, 0, 0);
}

/* The blob's size and object key: from the cache, else one indexed query. */
static int
lookup(http_req_t *req, int64_t *size, char *key)
{
    uint64_t seq = mcache_seq();
    db_conn_t *db = NULL;
    int rc;

    if (mcache_blob_get(req->ref.name, req->ref.arg, size, key, META_KEY_MAX))
        return GW_OK;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_blob_in_repo(db, req->ref.name, req->ref.arg, size, key, &req->err);
    http_db_release(req);
    if (rc == GW_OK)
        mcache_blob_put(req->ref.name, req->ref.arg, *size, key, seq);
    return rc;
}

void
blob_handle(http_req_t *req)
{
    const char *digest = req->ref.arg;
    char key[META_KEY_MAX];
    digest_algo_t algo;
    int64_t size = 0;
    int rc;

    if (digest_parse(digest, &algo) != GW_OK) {
        http_fail(req, GW_EINVALID, 400, OCI_DIGEST_INVALID, "invalid digest");
        return;
    }
    if (req->method == HTTP_DELETE) {
        remove_blob(req);
        return;
    }
    rc = lookup(req, &size, key);
    if (rc == GW_ENOTFOUND) {
        http_fail(req, rc, 404, OCI_BLOB_UNKNOWN, "blob unknown to registry");
        return;
    }
    if (rc != GW_OK) {
        http_respond_error(req);
        return;
    }
    http_add_header(req, "Docker-Content-Digest", digest);
    if (req->method == HTTP_HEAD || req->app->cfg.blob_proxy)
        serve_proxy(req, key, (uint64_t)size);
    else
        serve_redirect(req, key);
}
