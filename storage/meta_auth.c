/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meta_auth.c - projects, accounts, robots and memberships (see meta.h).
 */
#include <stdio.h>
#include <string.h>

#include "meta.h"

/* clang-format off */
static db_query_t q_account_get = DB_QUERY(
    "SELECT id, kind, password_hash, is_admin,"
    "  coalesce(expires_at <= now(), false)"
    " FROM accounts WHERE name = $1");
static db_query_t q_project_access = DB_QUERY(
    "SELECT p.public, coalesce(m.perms, 0) FROM projects p"
    " LEFT JOIN members m ON m.project_id = p.id AND m.account_id = $2"
    " WHERE p.name = $1");
static db_query_t q_account_create = DB_QUERY(
    "INSERT INTO accounts (name, kind, password_hash, is_admin, expires_at, description)"
    " VALUES ($1, $2, $3, $4::boolean,"
    "  CASE WHEN $5::bigint > 0 THEN now() + make_interval(secs => $5::float8) END, $6)"
    " RETURNING id");
static db_query_t q_account_passwd = DB_QUERY(
    "UPDATE accounts SET password_hash = $2, updated_at = now() WHERE name = $1");
static db_query_t q_account_delete = DB_QUERY("DELETE FROM accounts WHERE name = $1");
static db_query_t q_account_list = DB_QUERY(
    "SELECT a.name, a.is_admin,"
    "  coalesce(to_char(a.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
    "  a.description,"
    "  to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  coalesce((SELECT string_agg(p.name || ':' || m.perms, ',' ORDER BY p.name)"
    "   FROM members m JOIN projects p ON p.id = m.project_id WHERE m.account_id = a.id), '')"
    " FROM accounts a WHERE a.kind = $1 AND a.name > $2 ORDER BY a.name LIMIT $3");
static db_query_t q_project_create = DB_QUERY(
    "INSERT INTO projects (name, public) VALUES ($1, $2::boolean)");
static db_query_t q_project_public = DB_QUERY(
    "UPDATE projects SET public = $2::boolean WHERE name = $1");
static db_query_t q_project_used = DB_QUERY(
    "SELECT count(r.id) FROM projects p LEFT JOIN repositories r ON r.project_id = p.id"
    " WHERE p.name = $1 GROUP BY p.id");
static db_query_t q_project_delete = DB_QUERY(
    "DELETE FROM projects p WHERE p.name = $1"
    " AND NOT EXISTS (SELECT 1 FROM repositories r WHERE r.project_id = p.id)");
static db_query_t q_project_list = DB_QUERY(
    "SELECT p.name, p.public,"
    "  (SELECT count(*) FROM repositories r WHERE r.project_id = p.id),"
    "  to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM projects p WHERE p.name > $3"
    "  AND ($2::boolean OR p.public OR EXISTS (SELECT 1 FROM members m"
    "   WHERE m.project_id = p.id AND m.account_id = $1))"
    " ORDER BY p.name LIMIT $4");
static db_query_t q_member_set = DB_QUERY(
    "INSERT INTO members (project_id, account_id, perms)"
    " SELECT p.id, a.id, $3 FROM projects p, accounts a WHERE p.name = $1 AND a.name = $2"
    " ON CONFLICT (project_id, account_id) DO UPDATE SET perms = EXCLUDED.perms");
static db_query_t q_member_drop = DB_QUERY(
    "DELETE FROM members m USING projects p, accounts a"
    " WHERE m.project_id = p.id AND m.account_id = a.id AND p.name = $1 AND a.name = $2");
static db_query_t q_member_list = DB_QUERY(
    "SELECT a.name, a.kind, m.perms FROM members m"
    " JOIN projects p ON p.id = m.project_id JOIN accounts a ON a.id = m.account_id"
    " WHERE p.name = $1 ORDER BY a.name");
static db_query_t q_repo_list_project = DB_QUERY(
    "SELECT r.name, (SELECT count(*) FROM tags t WHERE t.repository_id = r.id),"
    "  to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM repositories r JOIN projects p ON p.id = r.project_id"
    " WHERE p.name = $1 AND r.name > $2 ORDER BY r.name LIMIT $3");
static db_query_t q_repo_delete = DB_QUERY(
    "WITH r AS (DELETE FROM repositories WHERE name = $1 RETURNING id),"
    " b AS (SELECT rb.digest FROM repository_blobs rb JOIN r ON rb.repository_id = r.id)"
    " INSERT INTO gc_queue (digest, not_before)"
    " SELECT digest, now() + make_interval(secs => $2::float8) FROM b");
/* Tells every gateway to drop its cached manifests of the repository. */
static db_query_t q_repo_notify = DB_QUERY("SELECT pg_notify('berth_manifests', $1)");
static db_query_t q_repo_exists = DB_QUERY("SELECT 1 FROM repositories WHERE name = $1");
static db_query_t q_artifact_list = DB_QUERY(
    "SELECT m.digest, m.media_type, m.size,"
    "  coalesce((SELECT string_agg(t.name, ',' ORDER BY t.name) FROM tags t"
    "   WHERE t.manifest_id = m.id), ''),"
    "  to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM manifests m JOIN repositories r ON r.id = m.repository_id"
    " WHERE r.name = $1 AND m.digest > $2 ORDER BY m.digest LIMIT $3");
/* clang-format on */

/* Runs a statement whose only interest is how many rows it touched. */
static int
exec_affecting(db_conn_t *db, db_query_t *q, db_params_t *p, gw_error_t *err)
{
    db_res_t *res = NULL;
    int rc = db_exec(db, q, p, &res, err);

    if (rc == GW_OK && db_res_affected(res) == 0)
        rc = GW_ENOTFOUND;
    db_res_free(res);
    return rc;
}

static int
is_true(const db_res_t *res, int row, int col)
{
    return db_res_text(res, row, col)[0] == 't';
}

int
meta_account_get(db_conn_t *db, const char *name, meta_account_t *out, gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    db_param_text(&p, name);
    rc = db_exec(db, &q_account_get, &p, &res, err);
    if (rc == GW_OK && db_res_rows(res) == 0)
        rc = GW_ENOTFOUND;
    if (rc == GW_OK) {
        out->id = db_res_int64(res, 0, 0);
        snprintf(out->name, sizeof(out->name), "%s", name);
        out->robot = strcmp(db_res_text(res, 0, 1), "robot") == 0;
        snprintf(out->password_hash, sizeof(out->password_hash), "%s", db_res_text(res, 0, 2));
        out->admin = is_true(res, 0, 3);
        out->expired = is_true(res, 0, 4);
    }
    db_res_free(res);
    return rc;
}

int
meta_project_access(db_conn_t *db, const char *project, int64_t account_id, int *exists,
                    int *is_public, unsigned *perms, gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int rc;

    *exists = *is_public = 0;
    *perms = 0;
    db_param_text(&p, project);
    db_param_int64(&p, account_id);
    rc = db_exec(db, &q_project_access, &p, &res, err);
    if (rc == GW_OK && db_res_rows(res) == 1) {
        *exists = 1;
        *is_public = is_true(res, 0, 0);
        *perms = (unsigned)db_res_int64(res, 0, 1);
    }
    db_res_free(res);
    return rc;
}

int
meta_account_create(db_conn_t *db, const char *name, const char *kind, const char *password_hash,
                    int admin, int64_t expires_in_s, const char *description, int64_t *id,
                    gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int rc;

    db_param_text(&p, name);
    db_param_text(&p, kind);
    db_param_text(&p, password_hash);
    db_param_text(&p, admin ? "true" : "false");
    db_param_int64(&p, expires_in_s);
    db_param_text(&p, description != NULL ? description : "");
    rc = db_exec(db, &q_account_create, &p, &res, err);
    if (rc == GW_OK)
        *id = db_res_int64(res, 0, 0);
    db_res_free(res);
    return rc;
}

int
meta_account_set_password(db_conn_t *db, const char *name, const char *password_hash,
                          gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    db_param_text(&p, password_hash);
    return exec_affecting(db, &q_account_passwd, &p, err);
}

int
meta_account_delete(db_conn_t *db, const char *name, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    return exec_affecting(db, &q_account_delete, &p, err);
}

int
meta_account_list(db_conn_t *db, const char *kind, const char *last, int limit, db_res_t **res,
                  gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, kind);
    db_param_text(&p, last);
    db_param_int64(&p, limit);
    return db_exec(db, &q_account_list, &p, res, err);
}

int
meta_project_create(db_conn_t *db, const char *name, int is_public, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    db_param_text(&p, is_public ? "true" : "false");
    return db_exec(db, &q_project_create, &p, NULL, err);
}

int
meta_project_set_public(db_conn_t *db, const char *name, int is_public, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    db_param_text(&p, is_public ? "true" : "false");
    return exec_affecting(db, &q_project_public, &p, err);
}

int
meta_project_delete(db_conn_t *db, const char *name, gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int rc;

    db_param_text(&p, name);
    rc = db_exec(db, &q_project_used, &p, &res, err);
    if (rc == GW_OK && db_res_rows(res) == 0)
        rc = GW_ENOTFOUND;
    else if (rc == GW_OK && db_res_int64(res, 0, 0) > 0)
        rc = GW_ECONFLICT;
    db_res_free(res);
    if (rc != GW_OK)
        return rc;
    rc = exec_affecting(db, &q_project_delete, &p, err);
    /* A repository created between the two statements keeps the project. */
    return rc == GW_ENOTFOUND ? GW_ECONFLICT : rc;
}

int
meta_project_list(db_conn_t *db, int64_t account_id, int all, const char *last, int limit,
                  db_res_t **res, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_int64(&p, account_id);
    db_param_text(&p, all ? "true" : "false");
    db_param_text(&p, last);
    db_param_int64(&p, limit);
    return db_exec(db, &q_project_list, &p, res, err);
}

int
meta_member_set(db_conn_t *db, const char *project, const char *account, unsigned perms,
                gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, project);
    db_param_text(&p, account);
    if (perms == 0)
        return exec_affecting(db, &q_member_drop, &p, err);
    db_param_int64(&p, perms & META_PERM_ALL);
    return exec_affecting(db, &q_member_set, &p, err);
}

int
meta_member_list(db_conn_t *db, const char *project, db_res_t **res, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, project);
    return db_exec(db, &q_member_list, &p, res, err);
}

int
meta_repo_list_project(db_conn_t *db, const char *project, const char *last, int limit,
                       db_res_t **res, gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, project);
    db_param_text(&p, last);
    db_param_int64(&p, limit);
    return db_exec(db, &q_repo_list_project, &p, res, err);
}

int
meta_repo_delete(db_conn_t *db, const char *name, int gc_delay_s, gw_error_t *err)
{
    db_params_t p = {0};
    db_res_t *res = NULL;
    int rc;

    db_param_text(&p, name);
    rc = db_exec(db, &q_repo_exists, &p, &res, err);
    if (rc == GW_OK && db_res_rows(res) == 0)
        rc = GW_ENOTFOUND;
    db_res_free(res);
    db_param_int64(&p, gc_delay_s);
    if (rc == GW_OK)
        rc = db_exec(db, &q_repo_delete, &p, NULL, err);
    p.n = 1;
    if (rc == GW_OK)
        rc = db_exec(db, &q_repo_notify, &p, NULL, err);
    return rc;
}

int
meta_artifact_list(db_conn_t *db, const char *name, const char *last, int limit, db_res_t **res,
                   gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, name);
    db_param_text(&p, last);
    db_param_int64(&p, limit);
    return db_exec(db, &q_artifact_list, &p, res, err);
}

/* ---- added for the management API (gateway/api.c) --------------------- */

/* clang-format off */
static db_query_t q_project_get = DB_QUERY(
    "SELECT p.name, p.public,"
    "  (SELECT count(*) FROM repositories r WHERE r.project_id = p.id),"
    "  to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM projects p WHERE p.name = $1");
static db_query_t q_robot_list_project = DB_QUERY(
    "SELECT a.name, m.perms,"
    "  coalesce(to_char(a.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
    "  to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM members m JOIN projects p ON p.id = m.project_id"
    " JOIN accounts a ON a.id = m.account_id"
    " WHERE p.name = $1 AND a.kind = 'robot' AND ($2::text IS NULL OR a.name = $2)"
    " ORDER BY a.name");
/* A prefix match on the unique name index ("C" collation), not a LIKE pattern:
 * project names hold '_', which LIKE would read as a wildcard. */
static db_query_t q_robot_delete_project = DB_QUERY(
    "DELETE FROM accounts WHERE kind = 'robot'"
    " AND name >= $1 AND left(name, length($1)) = $1");
/* clang-format on */

int
meta_project_get(db_conn_t *db, const char *name, db_res_t **res, gw_error_t *err)
{
    db_params_t p = {0};
    int rc;

    *res = NULL;
    db_param_text(&p, name);
    rc = db_exec(db, &q_project_get, &p, res, err);
    if (rc == GW_OK && db_res_rows(*res) == 0) {
        db_res_free(*res);
        *res = NULL;
        rc = GW_ENOTFOUND;
    }
    return rc;
}

int
meta_robot_list_project(db_conn_t *db, const char *project, const char *name, db_res_t **res,
                        gw_error_t *err)
{
    db_params_t p = {0};

    db_param_text(&p, project);
    db_param_text(&p, name);
    return db_exec(db, &q_robot_list_project, &p, res, err);
}

int
meta_robot_delete_project(db_conn_t *db, const char *project, gw_error_t *err)
{
    char prefix[REF_NAME_MAX + 16];
    db_params_t p = {0};

    snprintf(prefix, sizeof(prefix), "robot$%s+", project);
    db_param_text(&p, prefix);
    return db_exec(db, &q_robot_delete_project, &p, NULL, err);
}
