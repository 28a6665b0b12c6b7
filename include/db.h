/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db.h - the PostgreSQL connection pool and a thin query layer over libpq.
 *
 * PQ* calls appear only in storage/db.c. Every query is a static db_query_t:
 * it is prepared on each pooled connection the first time that connection
 * runs it, then executed with PQexecPrepared (no SQL parsing per request).
 * Parameters are always bound, never spliced into SQL text.
 *
 * Errors: GW_EUNAVAILABLE (cannot connect, connection lost, pool exhausted for
 * too long), GW_EEXISTS (unique violation, SQLSTATE 23505), GW_ECONFLICT
 * (serialization failure or deadlock), GW_ERR (anything else). The SQLSTATE
 * and server message go to err->detail for the log, never to the client.
 */
#ifndef BERTH_DB_H
#define BERTH_DB_H

#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"

#define DB_MAX_PARAMS 16
#define DB_MAX_QUERIES 256

typedef struct db_pool db_pool_t;
typedef struct db_conn db_conn_t;
typedef struct db_res db_res_t;

/** A statement known at compile time. Declare as `static db_query_t q = DB_QUERY("...")`. */
typedef struct db_query {
    const char *sql;
    int binary; /* 1: results in binary format (use for bytea columns) */
    int id;     /* assigned on first use; 0 until then */
} db_query_t;

#define DB_QUERY(sql_)                                                                             \
    {                                                                                              \
        .sql = (sql_), .binary = 0, .id = 0                                                        \
    }
#define DB_QUERY_BIN(sql_)                                                                         \
    {                                                                                              \
        .sql = (sql_), .binary = 1, .id = 0                                                        \
    }

/** Bound parameters for one execution; fill with db_param_*. Lives on the stack. */
typedef struct db_params {
    int n;
    const char *vals[DB_MAX_PARAMS];
    int lens[DB_MAX_PARAMS];
    int fmts[DB_MAX_PARAMS];
    char num[DB_MAX_PARAMS][24];
} db_params_t;

/** Adds a text parameter (NUL-terminated; NULL binds SQL NULL). Not copied. */
void db_param_text(db_params_t *p, const char *s);
/** Adds a bigint parameter, formatted into the params' own storage. */
void db_param_int64(db_params_t *p, int64_t v);
/** Adds a bytea parameter, sent in binary. Not copied. */
void db_param_bytes(db_params_t *p, const void *data, size_t len);

/**
 * Creates a pool of `size` connections to `conninfo` (connected lazily, and
 * again after a failure). Fails with GW_EUNAVAILABLE if a first connection
 * cannot be made.
 */
int db_pool_new(db_pool_t **out, const char *conninfo, int size, gw_error_t *err);

/** Closes every connection and frees the pool; NULL is fine. */
void db_pool_free(db_pool_t *pool);

/** Takes a connection, waiting up to the pool's timeout for a free one. */
int db_acquire(db_pool_t *pool, db_conn_t **out, gw_error_t *err);

/** Returns a connection; a connection left inside a transaction is rolled back. */
void db_release(db_pool_t *pool, db_conn_t *conn);

/**
 * Runs `q` with `params` (may be NULL). On success *out (may be NULL when the
 * caller wants no rows) holds the result; free it with db_res_free.
 */
int db_exec(db_conn_t *conn, db_query_t *q, const db_params_t *params, db_res_t **out,
            gw_error_t *err);

/** Runs a parameterless SQL script (several statements), e.g. a migration. */
int db_exec_script(db_conn_t *conn, const char *sql, gw_error_t *err);

/** BEGIN, COMMIT and ROLLBACK. db_rollback ignores errors. */
int db_begin(db_conn_t *conn, gw_error_t *err);
int db_commit(db_conn_t *conn, gw_error_t *err);
void db_rollback(db_conn_t *conn);

/** Number of rows in the result. */
int db_res_rows(const db_res_t *res);
/** True when the value is SQL NULL. */
int db_res_null(const db_res_t *res, int row, int col);
/** The value as text (binary results: the raw bytes of a text column); "" for NULL. */
const char *db_res_text(const db_res_t *res, int row, int col);
/** The value of a bigint (int8) or integer column, in either format. */
int64_t db_res_int64(const db_res_t *res, int row, int col);
/** The bytes of a bytea column in a binary result; sets *len. Valid until freed. */
const unsigned char *db_res_bytes(const db_res_t *res, int row, int col, size_t *len);
/** Rows changed by an INSERT, UPDATE or DELETE. */
int64_t db_res_affected(const db_res_t *res);
/** Frees a result; NULL is fine. */
void db_res_free(db_res_t *res);

/* ---- LISTEN/NOTIFY ------------------------------------------------------ */

typedef struct db_listener db_listener_t;

/** Receives one notification's payload (valid during the call only). */
typedef void (*db_notify_fn)(void *arg, const char *payload);

/**
 * Opens a dedicated connection to `conninfo` and LISTENs on `channel`
 * (a plain identifier). GW_EUNAVAILABLE when PostgreSQL cannot be reached.
 */
int db_listen_open(db_listener_t **out, const char *conninfo, const char *channel, gw_error_t *err);

/**
 * Waits up to `timeout_ms` for notifications and passes each to `fn`.
 * Returns GW_OK (also on timeout) or GW_EUNAVAILABLE once the connection is
 * lost; then close it and open a new one.
 */
int db_listen_wait(db_listener_t *l, int timeout_ms, db_notify_fn fn, void *arg, gw_error_t *err);

/** Runs a trivial query to find out whether the connection is still alive. */
int db_listen_ping(db_listener_t *l, gw_error_t *err);

/** Closes the listener; NULL is fine. */
void db_listen_close(db_listener_t *l);

#endif
