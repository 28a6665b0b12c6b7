/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meta_manifest.c - manifest, tag, catalog and referrers queries (see meta.h).
 *
 * Lists are keyset-paginated ("name > $last ORDER BY name LIMIT n") over
 * indexes whose "C" collation is the spec's lexical order, so page 1000 of a
 * repository with 500,000 tags costs what page 1 does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"

/* clang-format off */
static db_query_t q_missing_blob = DB_QUERY(
    "SELECT d FROM unnest($2::text[]) AS d WHERE NOT EXISTS"
    " (SELECT 1 FROM repository_blobs rb WHERE rb.repository_id = $1 AND rb.digest = d)"
    " LIMIT 1");
static db_query_t q_missing_child = DB_QUERY(
    "SELECT d FROM unnest($2::text[]) AS d WHERE NOT EXISTS"
    " (SELECT 1 FROM manifests m WHERE m.repository_id = $1 AND m.digest = d)"
    " LIMIT 1");
static db_query_t q_manifest_upsert = DB_QUERY(
    "INSERT INTO manifests (repository_id, digest, media_type, artifact_type,"
    "  subject_digest, annotations, size, payload)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (repository_id, digest) DO UPDATE SET media_type = EXCLUDED.media_type"
    " RETURNING id");
static db_query_t q_manifest_blobs = DB_QUERY(
    "INSERT INTO manifest_blobs (manifest_id, digest)"
    " SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING");
static db_query_t q_manifest_children = DB_QUERY(
    "INSERT INTO manifest_children (manifest_id, child_digest)"
    " SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING");
static db_query_t q_tags_set = DB_QUERY(
    "INSERT INTO tags (repository_id, name, manifest_id)"
    " SELECT $1, unnest($2::text[]), $3"
    " ON CONFLICT (repository_id, name)"
    " DO UPDATE SET manifest_id = EXCLUDED.manifest_id, updated_at = now()");
static db_query_t q_get_by_tag = DB_QUERY_BIN(
    "SELECT m.digest, m.media_type, m.payload FROM repositories r"
    " JOIN tags t ON t.repository_id = r.id JOIN manifests m ON m.id = t.manifest_id"
    " WHERE r.name = $1 AND t.name = $2");
static db_query_t q_get_by_digest = DB_QUERY_BIN(
    "SELECT m.digest, m.media_type, m.payload FROM repositories r"
    " JOIN manifests m ON m.repository_id = r.id WHERE r.name = $1 AND m.digest = $2");
/* Writes that change what a tag resolves to NOTIFY the repository's name,
 * so every gateway drops its cached manifests of it (mcache.h); the
 * notification is delivered at commit. */
static db_query_t q_notify = DB_QUERY("SELECT pg_notify('berth_manifests', $1)");
/* Deletes the manifest (its tags, blob and child rows cascade) and queues
 * the links of the blobs it referenced for review by the GC worker. */
static db_query_t q_manifest_delete = DB_QUERY(
    "WITH d AS (DELETE FROM manifests m USING repositories r"
    "  WHERE r.id = m.repository_id AND r.name = $1 AND m.digest = $2"
    "  RETURNING m.id, m.repository_id),"
    " q AS (INSERT INTO gc_queue (digest, repository_id, not_before)"
    "  SELECT mb.digest, d.repository_id, now() + make_interval(secs => $3::float8)"
    "  FROM d JOIN manifest_blobs mb ON mb.manifest_id = d.id)"
    " SELECT pg_notify('berth_manifests', $1) FROM d");
/*
 * A manifest PUT holds its repository's lock shared from before it checks
 * the blob links until it commits; the GC worker holds it exclusively while
 * it unlinks blobs no manifest references (worker.c). So the worker sees
 * every manifest committed before it, and a PUT that starts after it sees
 * the links it removed. The class constant keeps these apart from other
 * advisory locks; repository ids fold into the second 32-bit key.
 */
static db_query_t q_repo_lock_shared = DB_QUERY(
    "SELECT pg_advisory_xact_lock_shared(1113944692, ($1 % 2147483647)::int)");
static db_query_t q_repo_lock = DB_QUERY(
    "SELECT pg_advisory_xact_lock(1113944692, ($1 % 2147483647)::int)");
static db_query_t q_tag_delete = DB_QUERY(
    "WITH d AS (DELETE FROM tags t USING repositories r"
    "  WHERE r.id = t.repository_id AND r.name = $1 AND t.name = $2 RETURNING 1)"
    " SELECT pg_notify('berth_manifests', $1) FROM d LIMIT 1");
static db_query_t q_tag_list = DB_QUERY(
    "SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id"
    " WHERE r.name = $1 AND t.name > $2 ORDER BY t.name LIMIT $3");
static db_query_t q_repo_list = DB_QUERY(
    "SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2");
static db_query_t q_referrers = DB_QUERY(
    "SELECT m.digest, m.media_type, coalesce(m.artifact_type, ''), m.size,"
    "  coalesce(m.annotations, '') FROM repositories r"
    " JOIN manifests m ON m.repository_id = r.id"
    " WHERE r.name = $1 AND m.subject_digest = $2"
    "  AND ($3::text IS NULL OR m.artifact_type = $3) AND m.digest > $4"
    " ORDER BY m.digest LIMIT $5");
/* clang-format on */

/* A PostgreSQL array literal of strings that need no escaping (digests and
 * tags: letters, digits, ':', '.', '_', '-'). Caller frees. */
static char *
array_literal(const char **items, int n)
{
    size_t len = 3;
    char *out, *p;

    for (int i = 0; i < n; i++)
        len += strlen(items[i]) + 3;
    out = malloc(len);
    if (out == NULL)
        return NULL;
    p = out;
    *p++ = '{';
    for (int i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        if (i > 0)
            *p++ = ',';
        *p++ = '"';
        memcpy(p, items[i], l);
        p += l;
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

/* Runs a "which of these is missing" query; GW_ENOTFOUND names the first. */
static int
check_present(db_conn_t *db, db_query_t *q, int64_t repo_id, const char **items, int n,
              char *missing, gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    char *arr;
    int rc;

    if (n == 0)
        return GW_OK;
    arr = array_literal(items, n);
    if (arr == NULL)
        return gw_error_internal(err, GW_ERR, "out of memory");
    db_param_int64(&p, repo_id);
    db_param_text(&p, arr);
    rc = db_exec(db, q, &p, &res, err);
    if (rc == GW_OK && db_res_rows(res) > 0) {
        snprintf(missing, DIGEST_STR_MAX, "%s", db_res_text(res, 0, 0));
        rc = GW_ENOTFOUND;
    }
    db_res_free(res);
    free(arr);
    return rc;
}

/* Runs an "id, array" insert for the manifest's references or tags. */
static int
insert_list(db_conn_t *db, db_query_t *q, int64_t a, const char **items, int n, int64_t b,
            gw_error_t *err)
{
    db_params_t p = {0};
    char *arr;
    int rc;

    if (n == 0)
        return GW_OK;
    arr = array_literal(items, n);
    if (arr == NULL)
        return gw_error_internal(err, GW_ERR, "out of memory");
    db_param_int64(&p, a);
    db_param_text(&p, arr);
    if (b != 0)
        db_param_int64(&p, b);
    rc = db_exec(db, q, &p, NULL, err);
    free(arr);
    return rc;
}

static int
upsert_manifest(db_conn_t *db, int64_t repo_id, const meta_manifest_t *m, int64_t *id,
                gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int rc;

    db_param_int64(&p, repo_id);
    db_param_text(&p, m->digest);
    db_param_text(&p, m->media_type);
    db_param_text(&p, m->artifact_type);
    db_param_text(&p, m->subject);
    db_param_text(&p, m->annotations);
    db_param_int64(&p, (int64_t)m->size);
    db_param_bytes(&p, m->payload, m->size);
    rc = db_exec(db, &q_manifest_upsert, &p, &res, err);
    if (rc == GW_OK)
        *id = db_res_int64(res, 0, 0);
    db_res_free(res);
    return rc;
}

int
meta_manifest_put(db_conn_t *db, const char *name, const meta_manifest_t *m, char *missing,
                  gw_error_t *err)
{
    int64_t repo_id = 0, id = 0;
    int rc;

    rc = db_begin(db, err);
    if (rc != GW_OK)
        return rc;
    rc = meta_repo_ensure(db, name, &repo_id, err);
    if (rc == GW_OK)
        rc = meta_repo_lock(db, repo_id, 0, err);
    if (rc == GW_OK)
        rc = check_present(db, &q_missing_blob, repo_id, m->blobs, m->nblobs, missing, err);
    if (rc == GW_OK) {
        rc = check_present(db, &q_missing_child, repo_id, m->children, m->nchildren, missing, err);
    }
    if (rc == GW_OK)
        rc = upsert_manifest(db, repo_id, m, &id, err);
    if (rc == GW_OK)
        rc = insert_list(db, &q_manifest_blobs, id, m->blobs, m->nblobs, 0, err);
    if (rc == GW_OK)
        rc = insert_list(db, &q_manifest_children, id, m->children, m->nchildren, 0, err);
    if (rc == GW_OK)
        rc = insert_list(db, &q_tags_set, repo_id, m->tags, m->ntags, id, err);
    if (rc == GW_OK && m->ntags > 0) {
        db_params_t p = {0};
        db_param_text(&p, name);
        rc = db_exec(db, &q_notify, &p, NULL, err);
    }
    if (rc == GW_OK)
        rc = db_commit(db, err);
    if (rc != GW_OK)
        db_rollback(db);
    return rc;
}

int
meta_manifest_get(db_conn_t *db, const char *name, const char *ref, int by_digest, db_res_t **res,
                  gw_error_t *err)
{
    db_params_t p = {0};
    int rc;

    db_param_text(&p, name);
    db_param_text(&p, ref);
    rc = db_exec(db, by_digest ? &q_get_by_digest : &q_get_by_tag, &p, res, err);
    if (rc == GW_OK && db_res_rows(*res) == 0) {
        db_res_free(*res);
        *res = NULL;
        rc = GW_ENOTFOUND;
    }
    return rc;
}

int
meta_repo_lock(db_conn_t *db, int64_t repo_id, int exclusive, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_int64(&p, repo_id);
    return db_exec(db, exclusive ? &q_repo_lock : &q_repo_lock_shared, &p, NULL, err);
}

/* Runs a DELETE with `p` bound; no row deleted is GW_ENOTFOUND. */
static int
delete_one(db_conn_t *db, db_query_t *q, const db_params_t *p, gw_error_t *err)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, q, p, &res, err);

    if (rc == GW_OK && db_res_affected(res) == 0)
        rc = GW_ENOTFOUND;
    db_res_free(res);
    return rc;
}

int
meta_manifest_delete(db_conn_t *db, const char *name, const char *digest, int gc_delay_s,
                     gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    db_param_text(&p, digest);
    db_param_int64(&p, gc_delay_s);
    return delete_one(db, &q_manifest_delete, &p, err);
}

int
meta_tag_delete(db_conn_t *db, const char *name, const char *tag, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    db_param_text(&p, tag);
    return delete_one(db, &q_tag_delete, &p, err);
}

int
meta_tag_list(db_conn_t *db, const char *name, const char *last, int limit, db_res_t **res,
              gw_error_t *err)
{
    db_params_t p = {0};
    int64_t id;
    int rc;

    db_param_text(&p, name);
    db_param_text(&p, last);
    db_param_int64(&p, limit);
    rc = db_exec(db, &q_tag_list, &p, res, err);
    /* An empty page may mean no such repository; only then ask. */
    if (rc == GW_OK && db_res_rows(*res) == 0) {
        rc = meta_repo_get(db, name, &id, err);
        if (rc != GW_OK) {
            db_res_free(*res);
            *res = NULL;
        }
    }
    return rc;
}

int
meta_repo_list(db_conn_t *db, const char *last, int limit, db_res_t **res, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, last);
    db_param_int64(&p, limit);
    return db_exec(db, &q_repo_list, &p, res, err);
}

int
meta_referrers(db_conn_t *db, const char *name, const char *digest, const char *artifact_type,
               const char *last, int limit, db_res_t **res, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    db_param_text(&p, digest);
    db_param_text(&p, artifact_type);
    db_param_text(&p, last);
    db_param_int64(&p, limit);
    return db_exec(db, &q_referrers, &p, res, err);
}
