/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meta.c - repository, blob and upload queries (see meta.h).
 *
 * Upload rows are claimed under a lease (lease_token, lease_until) rather
 * than a row lock held across the request: a PATCH may stream for minutes,
 * and a gateway that dies mid-request must not leave the upload stuck. The
 * lease simply runs out and any gateway can claim the upload again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "meta.h"

#define LEASE "interval '2 minutes'"

/* clang-format off */
static db_query_t q_repo_get = DB_QUERY("SELECT id FROM repositories WHERE name = $1");
/* A repository's project (its first path component) is created with it, private;
 * who may create one is the token service's decision, made before. */
static db_query_t q_repo_ensure = DB_QUERY(
    "WITH old AS (SELECT id FROM repositories WHERE name = $1),"
    " p AS (INSERT INTO projects (name) SELECT split_part($1, '/', 1)"
    "  WHERE NOT EXISTS (SELECT 1 FROM old)"
    "  ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id),"
    " ins AS (INSERT INTO repositories (name, project_id) SELECT $1, id FROM p"
    "  ON CONFLICT (name) DO NOTHING RETURNING id)"
    " SELECT id FROM old UNION ALL SELECT id FROM ins"
    " UNION ALL SELECT id FROM repositories WHERE name = $1 LIMIT 1");
static db_query_t q_blob_in_repo = DB_QUERY(
    "SELECT b.size, b.object_key FROM repositories r"
    " JOIN repository_blobs rb ON rb.repository_id = r.id"
    " JOIN blobs b ON b.digest = rb.digest"
    " WHERE r.name = $1 AND rb.digest = $2");
static db_query_t q_blob_in_project = DB_QUERY(
    "SELECT b.size, b.object_key FROM projects p"
    " JOIN repositories r ON r.project_id = p.id"
    " JOIN repository_blobs rb ON rb.repository_id = r.id AND rb.digest = $2"
    " JOIN blobs b ON b.digest = rb.digest"
    " WHERE p.name = split_part($1, '/', 1) LIMIT 1");
static db_query_t q_blob_get = DB_QUERY("SELECT size, object_key FROM blobs WHERE digest = $1");
static db_query_t q_blob_insert = DB_QUERY(
    "INSERT INTO blobs (digest, size, object_key) VALUES ($1, $2, $3)"
    " ON CONFLICT (digest) DO NOTHING");
static db_query_t q_blob_link = DB_QUERY(
    "INSERT INTO repository_blobs (repository_id, digest) VALUES ($1, $2)"
    " ON CONFLICT (repository_id, digest) DO UPDATE SET created_at = now()");
static db_query_t q_blob_unlink = DB_QUERY(
    "WITH del AS (DELETE FROM repository_blobs rb USING repositories r"
    "  WHERE r.id = rb.repository_id AND r.name = $1 AND rb.digest = $2"
    "  RETURNING rb.digest)"
    " , n AS (SELECT pg_notify('berth_manifests', $1) FROM del LIMIT 1)"
    " INSERT INTO gc_queue (digest, not_before)"
    " SELECT del.digest, now() + make_interval(secs => $3::float8)"
    " FROM del LEFT JOIN n ON true");
static db_query_t q_up_create = DB_QUERY(
    "INSERT INTO uploads (id, repository_id, object_key, hash_state, lease_token, lease_until)"
    " VALUES ($1, $2, $3, $4, $5::uuid,"
    "  CASE WHEN $5 IS NULL THEN NULL ELSE now() + " LEASE " END)");
static db_query_t q_up_set_s3 = DB_QUERY(
    "UPDATE uploads SET s3_upload_id = $3, part_etags = '', lease_until = now() + " LEASE
    " WHERE id = $1::uuid AND lease_token = $2");
static db_query_t q_up_claim = DB_QUERY_BIN(
    "UPDATE uploads u SET lease_token = $3, lease_until = now() + " LEASE
    " FROM repositories r"
    " WHERE u.id = $1::uuid AND r.id = u.repository_id AND r.name = $2"
    "  AND (u.lease_until IS NULL OR u.lease_until < now())"
    " RETURNING u.repository_id, u.object_key, coalesce(u.s3_upload_id, ''),"
    "  u.part_etags, u.\"offset\", u.hash_state, u.tail");
static db_query_t q_up_exists = DB_QUERY(
    "SELECT u.\"offset\" FROM uploads u JOIN repositories r ON r.id = u.repository_id"
    " WHERE u.id = $1::uuid AND r.name = $2");
static db_query_t q_up_renew = DB_QUERY(
    "UPDATE uploads SET lease_until = now() + " LEASE
    " WHERE id = $1::uuid AND lease_token = $2");
static db_query_t q_up_save = DB_QUERY(
    "UPDATE uploads SET s3_upload_id = nullif($3, ''), part_etags = $4, \"offset\" = $5,"
    " hash_state = $6, tail = $7, lease_token = NULL, lease_until = NULL,"
    " updated_at = now()"
    " WHERE id = $1::uuid AND lease_token = $2");
static db_query_t q_up_release = DB_QUERY(
    "UPDATE uploads SET lease_token = NULL, lease_until = NULL"
    " WHERE id = $1::uuid AND lease_token = $2");
static db_query_t q_up_delete = DB_QUERY(
    "DELETE FROM uploads WHERE id = $1::uuid AND lease_token = $2");
/* clang-format on */

/* Runs a query expected to return at most one row of (size, key). */
static int
size_and_key(db_conn_t *db, db_query_t *q, db_params_t *p, int64_t *size, char *key,
             gw_error_t *err)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, q, p, &res, err);

    if (rc == GW_OK && db_res_rows(res) == 0)
        rc = GW_ENOTFOUND;
    if (rc == GW_OK) {
        *size = db_res_int64(res, 0, 0);
        snprintf(key, META_KEY_MAX, "%s", db_res_text(res, 0, 1));
    }
    db_res_free(res);
    return rc;
}

/* Runs a query expected to return at most one bigint. */
static int
one_int(db_conn_t *db, db_query_t *q, db_params_t *p, int64_t *out, gw_error_t *err)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, q, p, &res, err);

    if (rc == GW_OK && db_res_rows(res) == 0)
        rc = GW_ENOTFOUND;
    if (rc == GW_OK)
        *out = db_res_int64(res, 0, 0);
    db_res_free(res);
    return rc;
}

int
meta_repo_get(db_conn_t *db, const char *name, int64_t *id, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    return one_int(db, &q_repo_get, &p, id, err);
}

int
meta_repo_ensure(db_conn_t *db, const char *name, int64_t *id, gw_error_t *err)
{
    db_params_t p = {0};
    int rc;

    db_param_text(&p, name);
    rc = one_int(db, &q_repo_ensure, &p, id, err);
    /* Clients push layers in parallel: when another request created the row
     * after this statement's snapshot, the insert yields nothing and the
     * row is not yet visible; a second statement sees it. */
    if (rc == GW_ENOTFOUND)
        rc = one_int(db, &q_repo_ensure, &p, id, err);
    if (rc == GW_ENOTFOUND)
        rc = gw_error_internal(err, GW_ECONFLICT, "repository creation raced");
    return rc;
}

/* Runs a blob lookup by (repository name, digest) giving size and key. */
static int
blob_by_name(db_conn_t *db, db_query_t *q, const char *name, const char *digest, int64_t *size,
             char *key, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    db_param_text(&p, digest);
    return size_and_key(db, q, &p, size, key, err);
}

int
meta_blob_in_repo(db_conn_t *db, const char *name, const char *digest, int64_t *size, char *key,
                  gw_error_t *err)
{
    return blob_by_name(db, &q_blob_in_repo, name, digest, size, key, err);
}

int
meta_blob_in_project(db_conn_t *db, const char *name, const char *digest, int64_t *size, char *key,
                     gw_error_t *err)
{
    return blob_by_name(db, &q_blob_in_project, name, digest, size, key, err);
}

int
meta_blob_get(db_conn_t *db, const char *digest, int64_t *size, char *key, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, digest);
    return size_and_key(db, &q_blob_get, &p, size, key, err);
}

int
meta_blob_insert(db_conn_t *db, const char *digest, int64_t size, const char *key, gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int rc;

    db_param_text(&p, digest);
    db_param_int64(&p, size);
    db_param_text(&p, key);
    rc = db_exec(db, &q_blob_insert, &p, &res, err);
    if (rc == GW_OK && db_res_affected(res) == 0)
        rc = GW_EEXISTS;
    db_res_free(res);
    return rc;
}

int
meta_blob_link(db_conn_t *db, int64_t repo_id, const char *digest, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_int64(&p, repo_id);
    db_param_text(&p, digest);
    return db_exec(db, &q_blob_link, &p, NULL, err);
}

int
meta_blob_unlink(db_conn_t *db, const char *name, const char *digest, int gc_delay_s,
                 gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int rc;

    db_param_text(&p, name);
    db_param_text(&p, digest);
    db_param_int64(&p, gc_delay_s);
    rc = db_exec(db, &q_blob_unlink, &p, &res, err);
    if (rc == GW_OK && db_res_affected(res) == 0)
        rc = GW_ENOTFOUND;
    db_res_free(res);
    return rc;
}

void
meta_upload_clear(meta_upload_t *u)
{
    free(u->part_etags);
    free(u->tail);
    u->part_etags = NULL;
    u->tail = NULL;
}

int
meta_upload_create(db_conn_t *db, const meta_upload_t *u, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, u->id);
    db_param_int64(&p, u->repo_id);
    db_param_text(&p, u->object_key);
    db_param_bytes(&p, u->hash_state, u->hash_state_len);
    db_param_text(&p, u->lease[0] != '\0' ? u->lease : NULL);
    return db_exec(db, &q_up_create, &p, NULL, err);
}

static int
load_claimed(const db_res_t *res, meta_upload_t *u, gw_error_t *err)
{
    const unsigned char *b;
    size_t len;
    const char *etags;

    u->repo_id = db_res_int64(res, 0, 0);
    db_res_bytes(res, 0, 1, &len);
    snprintf(u->object_key, sizeof(u->object_key), "%.*s", (int)len, db_res_text(res, 0, 1));
    db_res_bytes(res, 0, 2, &len);
    snprintf(u->s3_upload_id, sizeof(u->s3_upload_id), "%.*s", (int)len, db_res_text(res, 0, 2));
    etags = (const char *)db_res_bytes(res, 0, 3, &len);
    u->part_etags = strndup(etags, len);
    u->nparts = 0;
    for (size_t i = 0; i < len; i++)
        u->nparts += etags[i] == '\n';
    u->offset = db_res_int64(res, 0, 4);
    b = db_res_bytes(res, 0, 5, &len);
    if (len > sizeof(u->hash_state))
        return gw_error_internal(err, GW_ERR, "stored hash state too large");
    memcpy(u->hash_state, b, len);
    u->hash_state_len = len;
    b = db_res_bytes(res, 0, 6, &len);
    u->tail = malloc(len > 0 ? len : 1);
    if (u->tail == NULL || u->part_etags == NULL)
        return gw_error_internal(err, GW_ERR, "out of memory");
    memcpy(u->tail, b, len);
    u->tail_len = len;
    return GW_OK;
}

int
meta_upload_claim(db_conn_t *db, const char *name, const char *id, meta_upload_t *u,
                  gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int64_t ignored;
    int rc;

    snprintf(u->id, sizeof(u->id), "%s", id);
    meta_uuid_new(u->lease);
    db_param_text(&p, id);
    db_param_text(&p, name);
    db_param_text(&p, u->lease);
    rc = db_exec(db, &q_up_claim, &p, &res, err);
    if (rc != GW_OK)
        goto cleanup;
    if (db_res_rows(res) == 1) {
        rc = load_claimed(res, u, err);
        goto cleanup;
    }
    /* Nothing claimed: either no such upload, or someone holds it. */
    p.n = 2;
    rc = one_int(db, &q_up_exists, &p, &ignored, err);
    if (rc == GW_OK)
        rc = GW_ECONFLICT;
cleanup:
    db_res_free(res);
    return rc;
}

static void
lease_params(db_params_t *p, const meta_upload_t *u)
{
    db_param_text(p, u->id);
    db_param_text(p, u->lease);
}

/* Runs an UPDATE/DELETE keyed by the lease; losing the lease is a conflict. */
static int
under_lease(db_conn_t *db, db_query_t *q, db_params_t *p, gw_error_t *err)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, q, p, &res, err);

    if (rc == GW_OK && db_res_affected(res) != 1)
        rc = GW_ECONFLICT;
    db_res_free(res);
    return rc;
}

int
meta_upload_renew(db_conn_t *db, const meta_upload_t *u, gw_error_t *err)
{
    db_params_t p = {0};

    lease_params(&p, u);
    return under_lease(db, &q_up_renew, &p, err);
}

int
meta_upload_set_s3(db_conn_t *db, const meta_upload_t *u, gw_error_t *err)
{
    db_params_t p = {0};

    lease_params(&p, u);
    db_param_text(&p, u->s3_upload_id);
    return under_lease(db, &q_up_set_s3, &p, err);
}

int
meta_upload_save(db_conn_t *db, const meta_upload_t *u, gw_error_t *err)
{
    db_params_t p = {0};

    lease_params(&p, u);
    db_param_text(&p, u->s3_upload_id);
    db_param_text(&p, u->part_etags != NULL ? u->part_etags : "");
    db_param_int64(&p, u->offset);
    db_param_bytes(&p, u->hash_state, u->hash_state_len);
    db_param_bytes(&p, u->tail, u->tail_len);
    return under_lease(db, &q_up_save, &p, err);
}

int
meta_upload_release(db_conn_t *db, const meta_upload_t *u, gw_error_t *err)
{
    db_params_t p = {0};

    lease_params(&p, u);
    return under_lease(db, &q_up_release, &p, err);
}

int
meta_upload_delete(db_conn_t *db, const meta_upload_t *u, gw_error_t *err)
{
    db_params_t p = {0};

    lease_params(&p, u);
    return under_lease(db, &q_up_delete, &p, err);
}

int
meta_upload_offset(db_conn_t *db, const char *name, const char *id, int64_t *offset,
                   gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, id);
    db_param_text(&p, name);
    return one_int(db, &q_up_exists, &p, offset, err);
}

int
meta_uuid_valid(const char *s)
{
    for (int i = 0; i < META_UUID_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return s[META_UUID_LEN] == '\0';
}

void
meta_uuid_new(char *out)
{
    unsigned char b[16];

    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        abort(); /* the kernel's CSPRNG failing is not recoverable */
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, META_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}
