/* SPDX-License-Identifier: Apache-2.0 */
/*
 * upload.c - blob uploads: POST, PATCH, PUT, GET and DELETE under
 * /v2/<name>/blobs/uploads/ (OCI distribution-spec "Pushing blobs").
 *
 * Bytes stream from the request into S3 multipart parts while the hash
 * advances; nothing waits for a whole blob in memory. S3 wants parts of at
 * least 5 MiB (all but the last), so bytes short of a part stay in memory
 * and, between requests, in the upload row's tail. After every request the
 * row holds offset, multipart id, part ETags, hash state and tail: the next
 * request may land on any gateway (DESIGN.md invariant 1).
 *
 * Small blobs never start a multipart upload: the final PUT stores them with
 * one PutObject. A blob whose digest is already stored is not written again.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "digest.h"
#include "handlers.h"
#include "log.h"
#include "meta.h"

#define S3_MIN_PART (5u * 1024 * 1024)
#define LEASE_RENEW_S 30

/* Most parts of one upload on their way to S3 at once (BERTH_UPLOAD_PARALLEL). */
#define UPLOAD_IN_FLIGHT 8

struct upload;

/* A part on its way to S3, written by its own thread. */
typedef struct part {
    struct upload *u;
    pthread_t thread;
    int threaded; /* it runs on `thread` (else it already ran inline) */
    char *buf;
    size_t len;
    int part_no;
    char etag[256];
    int rc;
    gw_error_t err;
} part_t;

typedef struct upload {
    http_req_t *req;
    meta_upload_t m;
    digest_ctx_t hash;
    char *buf; /* bytes not yet in S3; starts with the stored tail */
    size_t buf_len;
    part_t fly[UPLOAD_IN_FLIGHT]; /* a ring: oldest at fly_head */
    int fly_head, fly_count;
    char *spares[UPLOAD_IN_FLIGHT + 1]; /* part buffers not in use */
    int nspares;
    size_t part_size;
    int parallel; /* parts in flight at most */
    time_t renewed;
    int claimed;   /* this request holds the row's lease */
    int created;   /* the row was created by this request (POST ?digest=) */
    int finishing; /* complete the blob when the body ends */
    int has_range;
    uint64_t range_start, range_end;
    uint64_t received;
    digest_algo_t algo;
    char digest[DIGEST_STR_MAX];
} upload_t;

static void upload_free(void *arg);

static void
location_headers(http_req_t *req, const char *id, int64_t offset)
{
    char v[REF_NAME_MAX + 96];

    snprintf(v, sizeof(v), "/v2/%s/blobs/uploads/%s", req->ref.name, id);
    http_add_header(req, "Location", v);
    http_add_header(req, "Docker-Upload-UUID", id);
    /* The Range end is inclusive; an empty upload reports 0-0 as
     * distribution does, which clients accept. */
    snprintf(v, sizeof(v), "0-%lld", (long long)(offset > 0 ? offset - 1 : 0));
    http_add_header(req, "Range", v);
}

static void
blob_created(http_req_t *req, const char *digest)
{
    char v[REF_NAME_MAX + DIGEST_STR_MAX + 16];

    snprintf(v, sizeof(v), "/v2/%s/blobs/%s", req->ref.name, digest);
    http_add_header(req, "Location", v);
    http_add_header(req, "Docker-Content-Digest", digest);
    http_respond(req, 201, NULL, NULL, 0, 0);
}

static upload_t *
upload_new(http_req_t *req)
{
    upload_t *u = calloc(1, sizeof(*u));

    if (u == NULL)
        return NULL;
    u->req = req;
    u->part_size = (size_t)req->app->cfg.part_size;
    u->parallel = req->app->cfg.upload_parallel;
    u->renewed = time(NULL);
    req->state = u;
    req->state_free = upload_free;
    return u;
}

/* A part on its way to S3, on its own thread. */
static void *
part_main(void *arg)
{
    part_t *p = arg;
    upload_t *u = p->u;

    p->rc = s3_multipart_upload_part(u->req->app->s3, u->m.object_key, u->m.s3_upload_id,
                                     p->part_no, p->buf, p->len, p->etag, sizeof(p->etag), &p->err);
    return NULL;
}

/* Waits for the oldest part in flight and records its ETag. Parts are
 * waited for in the order they were sent, so ETags append in part order. */
static int
wait_oldest(upload_t *u)
{
    part_t *p = &u->fly[u->fly_head];
    size_t have;
    char *list;

    if (p->threaded)
        pthread_join(p->thread, NULL);
    u->fly_head = (u->fly_head + 1) % UPLOAD_IN_FLIGHT;
    u->fly_count--;
    u->spares[u->nspares++] = p->buf; /* the buffer is free again */
    p->buf = NULL;
    if (p->rc != GW_OK) {
        if (u->req->err.status == 0)
            u->req->err = p->err;
        return p->rc;
    }
    have = strlen(u->m.part_etags);
    list = realloc(u->m.part_etags, have + strlen(p->etag) + 2);
    if (list == NULL)
        return gw_error_internal(&u->req->err, GW_ERR, "out of memory");
    snprintf(list + have, strlen(p->etag) + 2, "%s\n", p->etag);
    u->m.part_etags = list;
    u->m.nparts++;
    return GW_OK;
}

/* Waits for every part in flight; returns the first failure. */
static int
wait_part(upload_t *u)
{
    int rc = GW_OK;

    while (u->fly_count > 0) {
        int r = wait_oldest(u);
        if (rc == GW_OK)
            rc = r;
    }
    return rc;
}

/*
 * Hands the buffered bytes to a thread that writes them as the next part,
 * and goes on with an empty buffer: receiving overlaps sending, and up to
 * BERTH_UPLOAD_PARALLEL parts travel at once (S3 servers take parts in
 * parallel and each has a fixed cost), so a push streams at close to S3's
 * own rate. Memory per upload stays fixed: at most that many + 1 buffers.
 * The multipart upload is started first if this is the first part.
 */
static int
start_part(upload_t *u)
{
    app_t *app = u->req->app;
    gw_error_t *err = &u->req->err;
    db_conn_t *db = NULL;
    part_t *p;
    int rc = u->fly_count >= u->parallel ? wait_oldest(u) : GW_OK;

    if (rc == GW_OK && u->m.s3_upload_id[0] == '\0') {
        rc = s3_multipart_create(app->s3, u->m.object_key, u->m.s3_upload_id,
                                 sizeof(u->m.s3_upload_id), err);
        if (rc == GW_OK)
            rc = http_db(u->req, &db);
        if (rc == GW_OK)
            rc = meta_upload_set_s3(db, &u->m, err);
        http_db_release(u->req);
        u->m.nparts = 0;
        u->m.part_etags[0] = '\0';
    }
    if (rc == GW_OK && u->nspares == 0 &&
        (u->spares[u->nspares++] = malloc(u->part_size)) == NULL) {
        u->nspares--;
        rc = gw_error_internal(err, GW_ERR, "out of memory");
    }
    if (rc != GW_OK)
        return rc;
    p = &u->fly[(u->fly_head + u->fly_count) % UPLOAD_IN_FLIGHT];
    p->u = u;
    p->buf = u->buf;
    p->len = u->buf_len;
    p->part_no = u->m.nparts + u->fly_count + 1;
    gw_error_clear(&p->err);
    u->buf = u->spares[--u->nspares];
    u->buf_len = 0;
    u->fly_count++;
    p->threaded = pthread_create(&p->thread, NULL, part_main, p) == 0;
    if (!p->threaded)
        part_main(p); /* no thread to be had: write it here */
    return GW_OK;
}

/* Writes the buffered bytes as the next part and waits for it. */
static int
flush_part(upload_t *u)
{
    int rc = start_part(u);

    return rc == GW_OK ? wait_part(u) : rc;
}

/* A long stream outlives the lease unless it is renewed now and then. */
static int
maybe_renew(upload_t *u)
{
    db_conn_t *db = NULL;
    int rc;

    if (time(NULL) - u->renewed < LEASE_RENEW_S)
        return GW_OK;
    rc = http_db(u->req, &db);
    if (rc == GW_OK)
        rc = meta_upload_renew(db, &u->m, &u->req->err);
    http_db_release(u->req);
    u->renewed = time(NULL);
    return rc;
}

static int
on_chunk(http_req_t *req, const char *data, size_t len)
{
    upload_t *u = req->state;

    if (maybe_renew(u) != GW_OK) {
        http_respond_error(req);
        return GW_ERR;
    }
    digest_update(&u->hash, data, len);
    u->received += len;
    while (len > 0) {
        size_t room = u->part_size - u->buf_len;
        size_t n = len < room ? len : room;
        memcpy(u->buf + u->buf_len, data, n);
        u->buf_len += n;
        data += n;
        len -= n;
        if (u->buf_len == u->part_size && start_part(u) != GW_OK) {
            http_respond_error(req);
            return GW_ERR;
        }
    }
    return GW_OK;
}

/* Loads the claimed row's state into memory for more bytes. */
static int
prepare_stream(upload_t *u)
{
    http_req_t *req = u->req;

    if (digest_state_load(&u->hash, u->m.hash_state, u->m.hash_state_len) != GW_OK)
        return gw_error_internal(&req->err, GW_ERR, "stored hash state unreadable");
    u->buf = malloc(u->part_size);
    if (u->buf == NULL)
        return gw_error_internal(&req->err, GW_ERR, "out of memory");
    /* The tail is always shorter than a part (it is flushed at 5 MiB). */
    memcpy(u->buf, u->m.tail, u->m.tail_len);
    u->buf_len = u->m.tail_len;
    req->on_body = on_chunk;
    return GW_OK;
}

/* The digest of the stored bytes, in the algorithm the client named. When
 * that differs from the running hash (the upload began as sha256 and the
 * PUT names sha512), the bytes are hashed again: from memory if they all are
 * there, otherwise read back from S3 after the object is complete. */
typedef struct rehash {
    digest_ctx_t ctx;
} rehash_t;

static int
rehash_write(void *arg, const void *data, size_t len)
{
    digest_update(&((rehash_t *)arg)->ctx, data, len);
    return 0;
}

static int
final_digest(upload_t *u, int object_complete, char out[DIGEST_STR_MAX])
{
    rehash_t r;

    if (u->hash.algo == u->algo) {
        digest_final(&u->hash, out);
        return GW_OK;
    }
    digest_init(&r.ctx, u->algo);
    if (!object_complete) {
        digest_update(&r.ctx, u->buf, u->buf_len);
    } else if (s3_get_object(u->req->app->s3, u->m.object_key, 0, 0, rehash_write, &r, NULL,
                             &u->req->err) != GW_OK) {
        return GW_ERR;
    }
    digest_final(&r.ctx, out);
    return GW_OK;
}

/* Writes the object: one PutObject, or the last part and Complete. */
static int
store_object(upload_t *u)
{
    app_t *app = u->req->app;
    gw_error_t *err = &u->req->err;
    const char **etags = NULL;
    char *save = NULL, *line;
    int n = 0;
    int rc;

    if (u->m.s3_upload_id[0] == '\0')
        return s3_put_object(app->s3, u->m.object_key, u->buf, u->buf_len, err);
    rc = wait_part(u);
    if (rc == GW_OK && (u->buf_len > 0 || u->m.nparts == 0))
        rc = flush_part(u);
    if (rc != GW_OK)
        return rc;
    etags = calloc((size_t)u->m.nparts, sizeof(*etags));
    if (etags == NULL)
        return gw_error_internal(err, GW_ERR, "out of memory");
    for (line = strtok_r(u->m.part_etags, "\n", &save); line != NULL && n < u->m.nparts;
         line = strtok_r(NULL, "\n", &save)) {
        etags[n++] = line;
    }
    rc = s3_multipart_complete(app->s3, u->m.object_key, u->m.s3_upload_id, etags, n, err);
    free(etags);
    if (rc == GW_ENOTFOUND) {
        /* A retried Complete whose first answer was lost finds no upload:
         * the object tells whether S3 completed it after all. */
        uint64_t size = 0;
        if (s3_head_object(app->s3, u->m.object_key, &size, err) == GW_OK &&
            size == (uint64_t)u->m.offset) {
            rc = GW_OK;
        } else {
            rc = gw_error_internal(err, GW_ERR, "multipart upload vanished");
        }
    }
    if (rc == GW_OK)
        u->m.s3_upload_id[0] = '\0'; /* nothing left to abort */
    return rc;
}

static void
abort_multipart(upload_t *u)
{
    gw_error_t ignored = {0};

    wait_part(u); /* an abort racing a part upload could leave the part behind */
    if (u->m.s3_upload_id[0] == '\0')
        return;
    if (s3_multipart_abort(u->req->app->s3, u->m.object_key, u->m.s3_upload_id, &ignored) ==
        GW_OK) {
        u->m.s3_upload_id[0] = '\0';
    } else {
        log_warn("upload", "event=abort_failed upstream=s3 upload=%s detail=\"%s\"", u->m.id,
                 ignored.detail);
    }
}

/* Ends the upload for good: multipart aborted, row deleted. */
static void
discard(upload_t *u)
{
    gw_error_t ignored = {0};
    db_conn_t *db = NULL;

    abort_multipart(u);
    if (http_db(u->req, &db) == GW_OK && meta_upload_delete(db, &u->m, &ignored) == GW_OK)
        u->claimed = 0;
}

/* Records the blob (unless *duplicate says it is stored already), links it,
 * deletes the upload row: one transaction. */
static int
commit_blob(upload_t *u, int *duplicate)
{
    http_req_t *req = u->req;
    db_conn_t *db = NULL;
    int rc;

    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = db_begin(db, &req->err);
    if (rc != GW_OK)
        return rc;
    if (!*duplicate)
        rc = meta_blob_insert(db, u->digest, (int64_t)u->m.offset, u->m.object_key, &req->err);
    if (rc == GW_EEXISTS) {
        *duplicate = 1; /* stored meanwhile by someone else: ours goes */
        rc = GW_OK;
    }
    if (rc == GW_OK)
        rc = meta_blob_link(db, u->m.repo_id, u->digest, &req->err);
    if (rc == GW_OK)
        rc = meta_upload_delete(db, &u->m, &req->err);
    if (rc == GW_OK)
        rc = db_commit(db, &req->err);
    if (rc != GW_OK)
        db_rollback(db);
    else
        u->claimed = 0;
    return rc;
}

static int
finish_blob(upload_t *u)
{
    http_req_t *req = u->req;
    gw_error_t ignored = {0};
    char actual[DIGEST_STR_MAX], key[META_KEY_MAX];
    int64_t size;
    db_conn_t *db = NULL;
    int duplicate = 0;
    int verified;
    int rc;

    u->m.offset += (int64_t)u->received;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_blob_get(db, u->digest, &size, key, &req->err);
    if (rc == GW_OK && size == u->m.offset && u->hash.algo == u->algo) {
        /* Already stored: verify the bytes, then link without writing. */
        digest_final(&u->hash, actual);
        if (strcmp(actual, u->digest) != 0)
            goto mismatch;
        /* Link only: if GC removed the row meanwhile, the link's foreign key
         * fails and the client retries, rather than a row without an object. */
        abort_multipart(u);
        duplicate = 1;
        rc = commit_blob(u, &duplicate);
        goto done;
    }
    if (rc != GW_OK && rc != GW_ENOTFOUND)
        goto done;
    http_db_release(req);
    /* Check before writing whenever the bytes or the right hash are at hand. */
    verified = u->hash.algo == u->algo || u->m.s3_upload_id[0] == '\0';
    if (verified && (final_digest(u, 0, actual) != GW_OK || strcmp(actual, u->digest) != 0))
        goto mismatch;
    rc = store_object(u);
    if (rc != GW_OK)
        goto done;
    if (!verified) {
        rc = final_digest(u, 1, actual);
        if (rc != GW_OK)
            goto done;
        if (strcmp(actual, u->digest) != 0) {
            s3_delete_object(req->app->s3, u->m.object_key, &ignored);
            goto mismatch;
        }
    }
    rc = commit_blob(u, &duplicate);
    if (rc == GW_OK && duplicate)
        s3_delete_object(req->app->s3, u->m.object_key, &ignored);
done:
    if (rc == GW_OK)
        blob_created(req, u->digest);
    else
        http_respond_error(req);
    return rc;
mismatch:
    discard(u);
    return http_fail(req, GW_EINVALID, 400, OCI_DIGEST_INVALID,
                     "digest does not match the uploaded content");
}

static int
on_end(http_req_t *req)
{
    upload_t *u = req->state;
    db_conn_t *db = NULL;
    int rc;

    if (u->has_range && u->received != u->range_end - u->range_start + 1) {
        return http_fail(req, GW_EINVALID, 400, OCI_BLOB_UPLOAD_INVALID,
                         "body length does not match Content-Range");
    }
    if (u->finishing)
        return finish_blob(u);
    /* Flush what can be a part now, so the stored tail stays under 5 MiB;
     * either way the part in flight must land before the row is saved. */
    rc = u->buf_len >= S3_MIN_PART ? flush_part(u) : wait_part(u);
    if (rc != GW_OK)
        return http_respond_error(req);
    u->m.offset += (int64_t)u->received;
    u->m.hash_state_len = digest_state_save(&u->hash, u->m.hash_state, sizeof(u->m.hash_state));
    free(u->m.tail);
    u->m.tail = (unsigned char *)u->buf;
    u->m.tail_len = u->buf_len;
    u->buf = NULL;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_upload_save(db, &u->m, &req->err);
    if (rc == GW_ECONFLICT)
        return http_fail(req, rc, 409, OCI_BLOB_UPLOAD_INVALID, "upload was taken over");
    if (rc != GW_OK)
        return http_respond_error(req);
    u->claimed = 0;
    location_headers(req, u->m.id, u->m.offset);
    return http_respond(req, 202, NULL, NULL, 0, 0);
}

/* Runs when the request ends, answered or not (client gone, error). */
static void
upload_free(void *arg)
{
    upload_t *u = arg;
    gw_error_t ignored = {0};
    db_conn_t *db = NULL;

    if (u == NULL)
        return;
    wait_part(u); /* before the lease goes: no part may land after it */
    if (u->claimed) {
        if (u->created) {
            discard(u);
        } else if (http_db(u->req, &db) == GW_OK) {
            meta_upload_release(db, &u->m, &ignored);
        }
    }
    meta_upload_clear(&u->m);
    free(u->buf);
    while (u->nspares > 0)
        free(u->spares[--u->nspares]);
    free(u);
}

/* Validates ?digest= for PUT and POST; sets u->digest and u->algo. */
static int
take_digest(upload_t *u, const char *d)
{
    if (d == NULL || digest_parse(d, &u->algo) != GW_OK) {
        return http_fail(u->req, GW_EINVALID, 400, OCI_DIGEST_INVALID,
                         d == NULL ? "digest parameter missing" : "invalid digest");
    }
    snprintf(u->digest, sizeof(u->digest), "%s", d);
    return GW_OK;
}

static int
take_content_range(upload_t *u)
{
    const char *cr = http_header(u->req, "Content-Range");

    if (cr == NULL)
        return GW_OK;
    if (ref_parse_content_range(cr, &u->range_start, &u->range_end) != 0) {
        return http_fail(u->req, GW_EINVALID, 400, OCI_BLOB_UPLOAD_INVALID,
                         "malformed Content-Range");
    }
    u->has_range = 1;
    if (u->range_start != (uint64_t)u->m.offset) {
        /* Out of order: 416 and where the upload stands (spec: "Pushing a
         * blob in chunks"). */
        location_headers(u->req, u->m.id, u->m.offset);
        return http_fail(u->req, GW_ECONFLICT, 416, OCI_BLOB_UPLOAD_INVALID,
                         "chunk does not start at the upload's offset");
    }
    return GW_OK;
}

/* Starts a new upload row in repository `name`. */
static int
create_upload(upload_t *u, int claim)
{
    http_req_t *req = u->req;
    const char *algo_q = http_query(req, "digest-algorithm");
    digest_algo_t algo = u->algo != DIGEST_NONE ? u->algo : DIGEST_SHA256;
    db_conn_t *db = NULL;
    int rc;

    if (algo_q != NULL && strcmp(algo_q, "sha512") == 0)
        algo = DIGEST_SHA512;
    meta_uuid_new(u->m.id);
    snprintf(u->m.object_key, sizeof(u->m.object_key), "blobs/%s", u->m.id);
    digest_init(&u->hash, algo);
    u->m.hash_state_len = digest_state_save(&u->hash, u->m.hash_state, sizeof(u->m.hash_state));
    u->m.part_etags = calloc(1, 1);
    u->m.tail = malloc(1);
    if (u->m.part_etags == NULL || u->m.tail == NULL)
        return gw_error_internal(&req->err, GW_ERR, "out of memory");
    if (claim)
        meta_uuid_new(u->m.lease);
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_repo_ensure(db, req->ref.name, &u->m.repo_id, &req->err);
    if (rc == GW_OK)
        rc = meta_upload_create(db, &u->m, &req->err);
    if (rc == GW_OK && claim) {
        u->claimed = 1;
        u->created = 1;
    }
    return rc;
}

/*
 * ?mount=<digest>&from=<repo>: link a blob the source repository holds.
 * Without from= and with BERTH_AUTO_MOUNT=1, the blob is looked for in the
 * target's own project, which the caller may read since it may push there
 * (distribution-spec "Mounting a blob from another repository": a registry
 * MAY treat from as optional). Anything else falls back to a plain upload.
 */
static int
try_mount(http_req_t *req, const char *digest, const char *from)
{
    char key[META_KEY_MAX];
    digest_algo_t algo;
    db_conn_t *db = NULL;
    int64_t size, repo_id;
    int rc;

    if (digest_parse(digest, &algo) != GW_OK)
        return GW_ENOTFOUND;
    if (from == NULL && !req->app->cfg.auto_mount)
        return GW_ENOTFOUND;
    if (from != NULL &&
        (!ref_name_valid(from, strlen(from)) || !auth_allowed(req, from, AUTH_PULL)))
        return GW_ENOTFOUND;
    rc = http_db(req, &db);
    if (rc == GW_OK && from != NULL)
        rc = meta_blob_in_repo(db, from, digest, &size, key, &req->err);
    else if (rc == GW_OK)
        rc = meta_blob_in_project(db, req->ref.name, digest, &size, key, &req->err);
    if (rc == GW_OK)
        rc = meta_repo_ensure(db, req->ref.name, &repo_id, &req->err);
    if (rc == GW_OK)
        rc = meta_blob_link(db, repo_id, digest, &req->err);
    if (rc == GW_OK)
        blob_created(req, digest);
    return rc;
}

void
upload_handle_post(http_req_t *req)
{
    const char *mount = http_query(req, "mount");
    const char *digest = http_query(req, "digest");
    upload_t *u;
    int rc;

    if (mount != NULL) {
        rc = try_mount(req, mount, http_query(req, "from"));
        if (rc != GW_ENOTFOUND) {
            if (rc != GW_OK)
                http_respond_error(req);
            return;
        }
    }
    u = upload_new(req);
    if (u == NULL) {
        http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
        return;
    }
    if (digest != NULL && mount == NULL) {
        /* Monolithic: the body is the whole blob. */
        if (take_digest(u, digest) != GW_OK)
            return;
        if (create_upload(u, 1) != GW_OK || prepare_stream(u) != GW_OK) {
            http_respond_error(req);
            return;
        }
        http_db_release(req);
        u->finishing = 1;
        req->on_end = on_end;
        return;
    }
    if (create_upload(u, 0) != GW_OK) {
        http_respond_error(req);
        return;
    }
    location_headers(req, u->m.id, 0);
    http_respond(req, 202, NULL, NULL, 0, 0);
}

static void
upload_status(http_req_t *req)
{
    db_conn_t *db = NULL;
    int64_t offset = 0;
    int rc = http_db(req, &db);

    if (rc == GW_OK)
        rc = meta_upload_offset(db, req->ref.name, req->ref.arg, &offset, &req->err);
    if (rc == GW_ENOTFOUND) {
        http_fail(req, rc, 404, OCI_BLOB_UPLOAD_UNKNOWN, "upload unknown");
        return;
    }
    if (rc != GW_OK) {
        http_respond_error(req);
        return;
    }
    location_headers(req, req->ref.arg, offset);
    http_respond(req, 204, NULL, NULL, 0, 0);
}

void
upload_handle(http_req_t *req)
{
    upload_t *u;
    db_conn_t *db = NULL;
    int rc;

    if (!meta_uuid_valid(req->ref.arg)) {
        http_fail(req, GW_ENOTFOUND, 404, OCI_BLOB_UPLOAD_UNKNOWN, "upload unknown");
        return;
    }
    if (req->method == HTTP_GET) {
        upload_status(req);
        return;
    }
    u = upload_new(req);
    if (u == NULL) {
        http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
        return;
    }
    if (req->method == HTTP_PUT && take_digest(u, http_query(req, "digest")) != GW_OK)
        return;
    rc = http_db(req, &db);
    if (rc == GW_OK)
        rc = meta_upload_claim(db, req->ref.name, req->ref.arg, &u->m, &req->err);
    if (rc == GW_ENOTFOUND) {
        http_fail(req, rc, 404, OCI_BLOB_UPLOAD_UNKNOWN, "upload unknown");
        return;
    }
    if (rc == GW_ECONFLICT) {
        http_fail(req, rc, 409, OCI_BLOB_UPLOAD_INVALID, "upload is busy with another request");
        return;
    }
    if (rc != GW_OK) {
        http_respond_error(req);
        return;
    }
    u->claimed = 1;
    http_db_release(req);
    if (req->method == HTTP_DELETE) {
        discard(u);
        http_respond(req, u->claimed ? 500 : 204, NULL, NULL, 0, 0);
        return;
    }
    if (take_content_range(u) != GW_OK)
        return;
    if (prepare_stream(u) != GW_OK) {
        http_respond_error(req);
        return;
    }
    u->finishing = req->method == HTTP_PUT;
    req->on_end = on_end;
}
