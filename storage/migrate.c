/* SPDX-License-Identifier: Apache-2.0 */
/*
 * migrate.c - applies the embedded schema migrations (see migrate.h).
 */
#include <stdio.h>

#include "log.h"
#include "migrate.h"

/* An arbitrary constant naming Berth's migration lock among advisory locks. */
#define MIGRATE_LOCK_KEY "4242420001"

/* clang-format off */
static db_query_t q_lock = DB_QUERY("SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")");
static db_query_t q_unlock = DB_QUERY("SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
static db_query_t q_done = DB_QUERY("SELECT 1 FROM schema_migrations WHERE name = $1");
static db_query_t q_record = DB_QUERY("INSERT INTO schema_migrations (name) VALUES ($1)");
/* clang-format on */

static int
apply_step(db_conn_t *conn, const migrate_step_t *step, int *applied, gw_error_t *err)
{
    db_res_t *res = NULL;
    db_params_t p = {0};
    int rc;

    db_param_text(&p, step->name);
    rc = db_exec(conn, &q_done, &p, &res, err);
    if (rc != GW_OK || db_res_rows(res) > 0)
        goto cleanup;
    rc = db_begin(conn, err);
    if (rc == GW_OK)
        rc = db_exec_script(conn, step->sql, err);
    if (rc == GW_OK)
        rc = db_exec(conn, &q_record, &p, NULL, err);
    if (rc == GW_OK)
        rc = db_commit(conn, err);
    if (rc != GW_OK) {
        db_rollback(conn);
        goto cleanup;
    }
    (*applied)++;
    log_info("migrate", "event=migration_applied name=%s", step->name);
cleanup:
    db_res_free(res);
    return rc;
}

int
migrate_apply(db_conn_t *conn, int *applied, gw_error_t *err)
{
    int count = 0;
    int rc;

    /* Lock first: two gateways creating the table at once would collide. */
    rc = db_exec(conn, &q_lock, NULL, NULL, err);
    if (rc != GW_OK)
        return rc;
    rc = db_exec_script(conn,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " name text PRIMARY KEY,"
                        " applied_at timestamptz NOT NULL DEFAULT now())",
                        err);
    for (int i = 0; i < migrate_nsteps && rc == GW_OK; i++)
        rc = apply_step(conn, &migrate_steps[i], &count, err);
    /* The unlock result does not matter: the lock also ends with the session. */
    gw_error_t ignored = {0};
    db_exec(conn, &q_unlock, NULL, NULL, &ignored);
    if (applied != NULL)
        *applied = count;
    return rc;
}
