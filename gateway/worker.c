/* SPDX-License-Identifier: Apache-2.0 */
/*
 * worker.c - upload expiry and blob garbage collection (see worker.h).
 *
 * GC order matters: the blob row goes first (in a transaction that re-checks
 * that nothing references the digest), the S3 object after the commit. A crash
 * in between leaves an orphan object, never a row pointing at nothing, which
 * a later upload of the same digest would otherwise trust.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "meta.h"
#include "worker.h"

#define WORKER_PERIOD_S 30
#define WORKER_BATCH "50"

static pthread_t thread;
static int running = 0;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int stop_requested = 0;

/* clang-format off */
static db_query_t q_expired = DB_QUERY(
    "SELECT id::text, object_key, coalesce(s3_upload_id, '') FROM uploads"
    " WHERE updated_at < now() - make_interval(secs => $1::float8)"
    "  AND (lease_until IS NULL OR lease_until < now())"
    " ORDER BY updated_at LIMIT " WORKER_BATCH " FOR UPDATE SKIP LOCKED");
static db_query_t q_upload_drop = DB_QUERY("DELETE FROM uploads WHERE id = $1::uuid");
static db_query_t q_gc_due = DB_QUERY(
    "SELECT id, coalesce(digest, ''), coalesce(object_key, '') FROM gc_queue"
    " WHERE not_before <= now() AND repository_id IS NULL ORDER BY not_before"
    " LIMIT " WORKER_BATCH " FOR UPDATE SKIP LOCKED");
/* Links to review, in repository order: two workers take repository locks
 * in the same order and never wait for each other in a cycle. */
static db_query_t q_links_due = DB_QUERY(
    "SELECT id, repository_id FROM gc_queue"
    " WHERE not_before <= now() AND repository_id IS NOT NULL ORDER BY repository_id"
    " LIMIT " WORKER_BATCH " FOR UPDATE SKIP LOCKED");
/* Unlinks the queued digest unless a manifest of the repository references
 * it or the link was made again after the row was queued; notifies the
 * repository's name so that gateways drop cached blob lookups. */
static db_query_t q_link_unlink = DB_QUERY(
    "WITH u AS (DELETE FROM repository_blobs rb USING gc_queue q"
    "  WHERE q.id = $1 AND rb.repository_id = q.repository_id AND rb.digest = q.digest"
    "   AND rb.created_at <= q.created_at"
    "   AND NOT EXISTS (SELECT 1 FROM manifest_blobs mb"
    "    JOIN manifests m ON m.id = mb.manifest_id"
    "    WHERE m.repository_id = rb.repository_id AND mb.digest = rb.digest)"
    "  RETURNING rb.repository_id)"
    " SELECT r.name, pg_notify('berth_manifests', r.name) FROM u"
    " JOIN repositories r ON r.id = u.repository_id");
/* The row goes on as an ordinary review of the blob, due at once. */
static db_query_t q_link_done = DB_QUERY(
    "UPDATE gc_queue SET repository_id = NULL WHERE id = $1");
static db_query_t q_gc_blob = DB_QUERY(
    "DELETE FROM blobs b WHERE b.digest = $1"
    " AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest)"
    " AND NOT EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.digest = b.digest)"
    " RETURNING object_key");
static db_query_t q_gc_done = DB_QUERY("DELETE FROM gc_queue WHERE id = $1");
static db_query_t q_gc_retry = DB_QUERY(
    "INSERT INTO gc_queue (object_key, not_before) VALUES ($1, now() + interval '10 minutes')");
/* clang-format on */

/* One due row of a batch; adds to *count what it finished. */
typedef int (*row_fn_t)(app_t *app, db_conn_t *db, const db_res_t *due, int row, int *count,
                        gw_error_t *err);

/*
 * Claims the rows `q` selects (FOR UPDATE SKIP LOCKED, so gateways share the
 * work without a leader) and runs `fn` on each, all in one transaction:
 * rolled back, rows and all, at the first failure.
 */
static int
run_batch(app_t *app, db_conn_t *db, db_query_t *q, const db_params_t *p, row_fn_t fn, int *count,
          gw_error_t *err)
{
    db_res_t *res = NULL;
    int rc = db_begin(db, err);

    if (rc == GW_OK)
        rc = db_exec(db, q, p, &res, err);
    for (int i = 0; rc == GW_OK && i < db_res_rows(res); i++)
        rc = fn(app, db, res, i, count, err);
    if (rc == GW_OK)
        rc = db_commit(db, err);
    else
        db_rollback(db);
    db_res_free(res);
    return rc;
}

/* Aborts and deletes what an expired upload left in S3, then its row. */
static int
expire_one(app_t *app, db_conn_t *db, const db_res_t *due, int row, int *count, gw_error_t *err)
{
    const char *key = db_res_text(due, row, 1);
    const char *s3id = db_res_text(due, row, 2);
    db_params_t p = {0};
    int rc = GW_OK;

    if (s3id[0] != '\0') {
        rc = s3_multipart_abort(app->s3, key, s3id, err);
        if (rc == GW_ENOTFOUND)
            rc = GW_OK;
    }
    /* The object exists only if completion succeeded but the commit did not. */
    if (rc == GW_OK)
        rc = s3_delete_object(app->s3, key, err);
    db_param_text(&p, db_res_text(due, row, 0));
    if (rc == GW_OK)
        rc = db_exec(db, &q_upload_drop, &p, NULL, err);
    if (rc == GW_OK) {
        (*count)++;
        log_info("worker", "event=upload_expired upload=%s", db_res_text(due, row, 0));
    }
    return rc;
}

/*
 * Reviews one link a manifest DELETE queued. The unlink holds the
 * repository's manifest lock exclusively, so no manifest PUT is between its
 * check of the links and its commit (meta_repo_lock). These reviews are a
 * batch of their own, so no S3 call happens under the locks.
 */
static int
review_one(app_t *app, db_conn_t *db, const db_res_t *due, int row, int *count, gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *u = NULL;
    int rc = meta_repo_lock(db, db_res_int64(due, row, 1), 1, err);

    (void)app;
    db_param_text(&p, db_res_text(due, row, 0));
    if (rc == GW_OK)
        rc = db_exec(db, &q_link_unlink, &p, &u, err);
    if (rc == GW_OK && db_res_rows(u) > 0) {
        (*count)++;
        log_info("worker", "event=blob_unlinked repo=%s queue_id=%s", db_res_text(u, 0, 0),
                 db_res_text(due, row, 0));
    }
    db_res_free(u);
    if (rc == GW_OK)
        rc = db_exec(db, &q_link_done, &p, NULL, err);
    return rc;
}

static int
collect_one(app_t *app, db_conn_t *db, const db_res_t *due, int row, int *count, gw_error_t *err)
{
    const char *digest = db_res_text(due, row, 1);
    db_params_t p = {0};
    db_res_t *res = NULL;
    char key[META_KEY_MAX] = "";
    gw_error_t s3err = {0};
    int rc = GW_OK;

    snprintf(key, sizeof(key), "%s", db_res_text(due, row, 2));
    if (digest[0] != '\0') {
        db_param_text(&p, digest);
        rc = db_exec(db, &q_gc_blob, &p, &res, err);
        if (rc == GW_OK && db_res_rows(res) == 1)
            snprintf(key, sizeof(key), "%s", db_res_text(res, 0, 0));
        db_res_free(res);
    }
    p.n = 0;
    db_param_text(&p, db_res_text(due, row, 0));
    if (rc == GW_OK)
        rc = db_exec(db, &q_gc_done, &p, NULL, err);
    if (rc != GW_OK || key[0] == '\0')
        return rc;
    /* Row gone (in this transaction); the object follows. A failure queues
     * the bare key for a later pass rather than failing the batch. */
    if (s3_delete_object(app->s3, key, &s3err) != GW_OK) {
        p.n = 0;
        db_param_text(&p, key);
        return db_exec(db, &q_gc_retry, &p, NULL, err);
    }
    (*count)++;
    log_info("worker", "event=blob_collected digest=%s", digest[0] ? digest : "-");
    return GW_OK;
}

int
worker_run_once(app_t *app, int *expired, int *collected, gw_error_t *err)
{
    db_conn_t *db = NULL;
    db_params_t p = {0};
    int unlinked = 0;
    int rc;

    *expired = 0;
    *collected = 0;
    rc = db_acquire(app->db, &db, err);
    db_param_int64(&p, app->cfg.upload_ttl_s);
    if (rc == GW_OK)
        rc = run_batch(app, db, &q_expired, &p, expire_one, expired, err);
    if (rc == GW_OK)
        rc = run_batch(app, db, &q_links_due, NULL, review_one, &unlinked, err);
    if (rc == GW_OK)
        rc = run_batch(app, db, &q_gc_due, NULL, collect_one, collected, err);
    db_release(app->db, db);
    return rc;
}

static void *
worker_main(void *arg)
{
    app_t *app = arg;
    struct timespec until;
    int expired, collected;

    log_set_request("worker");
    pthread_mutex_lock(&lock);
    while (!stop_requested) {
        gw_error_t err = {0};
        pthread_mutex_unlock(&lock);
        if (worker_run_once(app, &expired, &collected, &err) != GW_OK)
            log_warn("worker", "event=pass_failed detail=\"%s\"", err.detail);
        pthread_mutex_lock(&lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WORKER_PERIOD_S;
        while (!stop_requested && pthread_cond_timedwait(&wake, &lock, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

void
worker_start(app_t *app)
{
    if (pthread_create(&thread, NULL, worker_main, app) == 0)
        running = 1;
    else
        log_error("worker", "event=start_failed");
}

void
worker_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stop_requested = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    running = 0;
}
