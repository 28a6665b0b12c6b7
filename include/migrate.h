/* SPDX-License-Identifier: Apache-2.0 */
/*
 * migrate.h - the schema migrations, numbered SQL files compiled into the
 * binaries (storage/migrations/NNN_name.sql, embedded by tools/embed-sql).
 */
#ifndef BERTH_MIGRATE_H
#define BERTH_MIGRATE_H

#include "db.h"

typedef struct migrate_step {
    const char *name; /* "001_core" */
    const char *sql;
} migrate_step_t;

extern const migrate_step_t migrate_steps[];
extern const int migrate_nsteps;

/**
 * Applies every step not yet recorded in schema_migrations, each in its own
 * transaction, in order. Holds a PostgreSQL advisory lock meanwhile, so
 * gateways started together with --migrate apply each step once. Sets
 * *applied (may be NULL) to the number of steps applied.
 */
int migrate_apply(db_conn_t *conn, int *applied, gw_error_t *err);

#endif
