/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db.c - PostgreSQL connection pool and query layer (see db.h).
 *
 * The pool is a fixed array of connections guarded by one mutex. A connection
 * is opened on first use and reset after the server drops it, so PostgreSQL
 * restarts cost the requests in flight, not the process. Statements are
 * prepared per connection on first use.
 */
#include <errno.h>
#include <poll.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

#define DB_ACQUIRE_TIMEOUT_S 10

struct db_conn {
    PGconn *pg;
    int in_use;
    unsigned char prepared[DB_MAX_QUERIES];
};

struct db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *conninfo;
    int size;
    db_conn_t *conns;
};

struct db_res {
    PGresult *r;
};

static int next_query_id = 0;

static int connect_conn(db_pool_t *pool, db_conn_t *c, gw_error_t *err);
static int map_result(db_conn_t *c, PGresult *r, const char *what, gw_error_t *err);

void
db_param_text(db_params_t *p, const char *s)
{
    p->vals[p->n] = s;
    p->lens[p->n] = 0;
    p->fmts[p->n] = 0;
    p->n++;
}

void
db_param_int64(db_params_t *p, int64_t v)
{
    snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
    db_param_text(p, p->num[p->n]);
}

void
db_param_bytes(db_params_t *p, const void *data, size_t len)
{
    /* libpq wants a non-NULL pointer even for an empty value. */
    p->vals[p->n] = data != NULL ? data : "";
    p->lens[p->n] = (int)len;
    p->fmts[p->n] = 1;
    p->n++;
}

/*
 * TLS to PostgreSQL is verified unless the operator says otherwise: a
 * connection string that names no sslmode, for a host that is not this
 * machine, gets sslmode=verify-full (libpq's own default, "prefer", neither
 * requires TLS nor checks the certificate). PGSSLMODE also counts as naming
 * one. Returns a malloc'd connection string.
 */
static char *
secure_conninfo(const char *conninfo)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    const char *host = NULL, *mode = getenv("PGSSLMODE");
    size_t len = strlen(conninfo) + 32;
    char *out = malloc(len);
    int local;

    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") == 0 && o->val != NULL)
            host = o->val;
        if (strcmp(o->keyword, "sslmode") == 0 && o->val != NULL)
            mode = o->val;
    }
    local = host == NULL || host[0] == '/' || host[0] == '\0' || strcmp(host, "localhost") == 0 ||
            strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
    if (out != NULL)
        snprintf(out, len, "%s%s", conninfo,
                 opts != NULL && mode == NULL && !local ? " sslmode=verify-full" : "");
    PQconninfoFree(opts);
    return out;
}

int
db_pool_new(db_pool_t **out, const char *conninfo, int size, gw_error_t *err)
{
    db_pool_t *pool = NULL;
    int rc = GW_OK;

    *out = NULL;
    pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return gw_error_internal(err, GW_ERR, "out of memory");
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    pool->size = size > 0 ? size : 1;
    pool->conninfo = secure_conninfo(conninfo);
    pool->conns = calloc((size_t)pool->size, sizeof(db_conn_t));
    if (pool->conninfo == NULL || pool->conns == NULL) {
        rc = gw_error_internal(err, GW_ERR, "out of memory");
        goto cleanup;
    }
    /* Connect one now so a wrong connection string fails at start-up. */
    rc = connect_conn(pool, &pool->conns[0], err);
cleanup:
    if (rc != GW_OK)
        db_pool_free(pool);
    else
        *out = pool;
    return rc;
}

void
db_pool_free(db_pool_t *pool)
{
    if (pool == NULL)
        return;
    for (int i = 0; pool->conns != NULL && i < pool->size; i++) {
        if (pool->conns[i].pg != NULL)
            PQfinish(pool->conns[i].pg);
    }
    free(pool->conns);
    free(pool->conninfo);
    pthread_cond_destroy(&pool->freed);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

/*
 * True when an idle pooled connection is still usable. libpq learns that the
 * server went away (a restart, a failover, idle_session_timeout) only when it
 * reads: the server's farewell and EOF wait in the socket. So a readable idle
 * socket is read now, and a connection that turns out closed is replaced
 * before a request's query fails on it.
 */
static int
conn_alive(PGconn *pg)
{
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
    int alive = PQstatus(pg) == CONNECTION_OK && pfd.fd >= 0;

    /* The farewell message and the EOF after it may take two reads. */
    for (int i = 0; alive && i < 4 && poll(&pfd, 1, 0) > 0; i++)
        alive = PQconsumeInput(pg) && PQstatus(pg) == CONNECTION_OK;
    return alive;
}

static int
connect_conn(db_pool_t *pool, db_conn_t *c, gw_error_t *err)
{
    if (c->pg != NULL && conn_alive(c->pg))
        return GW_OK;
    if (c->pg != NULL) {
        log_warn("db", "event=conn_lost upstream=pg action=reconnect");
        PQfinish(c->pg);
    }
    memset(c->prepared, 0, sizeof(c->prepared));
    c->pg = PQconnectdb(pool->conninfo);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        /* The libpq message names host and port, never the password. */
        char msg[200];
        const char *m = c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory";
        snprintf(msg, sizeof(msg), "%s", m);
        msg[strcspn(msg, "\n")] = '\0';
        if (c->pg != NULL)
            PQfinish(c->pg);
        c->pg = NULL;
        log_error("db", "event=connect_failed upstream=pg err=\"%s\"", msg);
        return gw_error_internal(err, GW_EUNAVAILABLE, "pg connect: %s", msg);
    }
    return GW_OK;
}

int
db_acquire(db_pool_t *pool, db_conn_t **out, gw_error_t *err)
{
    struct timespec deadline;
    db_conn_t *c = NULL;
    int rc = GW_OK;

    *out = NULL;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += DB_ACQUIRE_TIMEOUT_S;
    pthread_mutex_lock(&pool->lock);
    while (c == NULL) {
        for (int i = 0; i < pool->size && c == NULL; i++) {
            if (!pool->conns[i].in_use)
                c = &pool->conns[i];
        }
        if (c == NULL &&
            pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    if (c != NULL)
        c->in_use = 1;
    pthread_mutex_unlock(&pool->lock);
    if (c == NULL)
        return gw_error_internal(err, GW_EUNAVAILABLE, "pg pool exhausted");
    /* Connecting happens outside the lock: it may take a while. */
    rc = connect_conn(pool, c, err);
    if (rc != GW_OK) {
        db_release(pool, c);
        return rc;
    }
    *out = c;
    return GW_OK;
}

void
db_release(db_pool_t *pool, db_conn_t *conn)
{
    if (conn == NULL)
        return;
    if (conn->pg != NULL && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        db_rollback(conn);
    pthread_mutex_lock(&pool->lock);
    conn->in_use = 0;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

static int
map_result(db_conn_t *c, PGresult *r, const char *what, gw_error_t *err)
{
    ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    const char *state;
    char msg[160];
    int rc;

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return GW_OK;
    state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(msg, sizeof(msg), "%s", r != NULL ? PQresultErrorMessage(r) : "no result");
    msg[strcspn(msg, "\n")] = '\0';
    if (PQstatus(c->pg) != CONNECTION_OK)
        rc = GW_EUNAVAILABLE;
    else if (state != NULL && strcmp(state, "23505") == 0)
        rc = GW_EEXISTS;
    else if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
        rc = GW_ECONFLICT;
    else
        rc = GW_ERR;
    /* Expected outcomes (duplicates, conflicts) are for the caller to judge. */
    if (rc == GW_EEXISTS || rc == GW_ECONFLICT) {
        snprintf(err->detail, sizeof(err->detail), "pg %s: %s", state, msg);
        return rc;
    }
    log_error("db", "event=query_failed upstream=pg query=%s sqlstate=%s err=\"%s\"", what,
              state != NULL ? state : "-", msg);
    return gw_error_internal(err, rc, "pg %s: %s", state != NULL ? state : "-", msg);
}

static int
query_id(db_query_t *q)
{
    int id = __atomic_load_n(&q->id, __ATOMIC_ACQUIRE);
    int expected = 0;
    int fresh;

    if (id != 0)
        return id;
    fresh = __atomic_add_fetch(&next_query_id, 1, __ATOMIC_ACQ_REL);
    if (__atomic_compare_exchange_n(&q->id, &expected, fresh, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        return fresh;
    }
    return expected;
}

int
db_exec(db_conn_t *conn, db_query_t *q, const db_params_t *params, db_res_t **out, gw_error_t *err)
{
    static const db_params_t none = {0};
    const db_params_t *p = params != NULL ? params : &none;
    int id = query_id(q);
    char name[16];
    PGresult *r = NULL;
    int rc = GW_OK;

    if (out != NULL)
        *out = NULL;
    if (id >= DB_MAX_QUERIES)
        return gw_error_internal(err, GW_ERR, "too many distinct queries");
    snprintf(name, sizeof(name), "q%d", id);
    if (!conn->prepared[id]) {
        r = PQprepare(conn->pg, name, q->sql, 0, NULL);
        rc = map_result(conn, r, name, err);
        PQclear(r);
        r = NULL;
        if (rc != GW_OK)
            goto cleanup;
        conn->prepared[id] = 1;
    }
    r = PQexecPrepared(conn->pg, name, p->n, p->vals, p->lens, p->fmts, q->binary);
    rc = map_result(conn, r, name, err);
    if (rc != GW_OK)
        goto cleanup;
    if (out != NULL) {
        *out = malloc(sizeof(db_res_t));
        if (*out == NULL) {
            rc = gw_error_internal(err, GW_ERR, "out of memory");
            goto cleanup;
        }
        (*out)->r = r;
        r = NULL;
    }
cleanup:
    PQclear(r);
    return rc;
}

int
db_exec_script(db_conn_t *conn, const char *sql, gw_error_t *err)
{
    PGresult *r = PQexec(conn->pg, sql);
    int rc = map_result(conn, r, "script", err);

    PQclear(r);
    return rc;
}

int
db_begin(db_conn_t *conn, gw_error_t *err)
{
    return db_exec_script(conn, "BEGIN", err);
}

int
db_commit(db_conn_t *conn, gw_error_t *err)
{
    return db_exec_script(conn, "COMMIT", err);
}

void
db_rollback(db_conn_t *conn)
{
    PQclear(PQexec(conn->pg, "ROLLBACK"));
}

int
db_res_rows(const db_res_t *res)
{
    return res != NULL ? PQntuples(res->r) : 0;
}

int
db_res_null(const db_res_t *res, int row, int col)
{
    return PQgetisnull(res->r, row, col);
}

const char *
db_res_text(const db_res_t *res, int row, int col)
{
    return PQgetvalue(res->r, row, col);
}

int64_t
db_res_int64(const db_res_t *res, int row, int col)
{
    const unsigned char *v = (const unsigned char *)PQgetvalue(res->r, row, col);
    int len = PQgetlength(res->r, row, col);
    uint64_t x = 0;

    if (PQgetisnull(res->r, row, col))
        return 0;
    if (PQfformat(res->r, col) == 0)
        return strtoll((const char *)v, NULL, 10);
    /* Binary integers are big-endian, 4 or 8 bytes. */
    for (int i = 0; i < len; i++)
        x = (x << 8) | v[i];
    if (len == 4)
        return (int32_t)(uint32_t)x;
    return (int64_t)x;
}

const unsigned char *
db_res_bytes(const db_res_t *res, int row, int col, size_t *len)
{
    *len = (size_t)PQgetlength(res->r, row, col);
    return (const unsigned char *)PQgetvalue(res->r, row, col);
}

int64_t
db_res_affected(const db_res_t *res)
{
    const char *s = PQcmdTuples(res->r);

    return s[0] != '\0' ? strtoll(s, NULL, 10) : 0;
}

void
db_res_free(db_res_t *res)
{
    if (res == NULL)
        return;
    PQclear(res->r);
    free(res);
}

/* ---- LISTEN/NOTIFY ------------------------------------------------------ */

struct db_listener {
    PGconn *pg;
};

int
db_listen_open(db_listener_t **out, const char *conninfo, const char *channel, gw_error_t *err)
{
    db_listener_t *l = calloc(1, sizeof(*l));
    char *info = secure_conninfo(conninfo);
    char sql[128];
    PGresult *r = NULL;
    int rc = GW_OK;

    *out = NULL;
    if (l == NULL || info == NULL) {
        free(l);
        free(info);
        return gw_error_internal(err, GW_ERR, "out of memory");
    }
    l->pg = PQconnectdb(info);
    free(info);
    if (PQstatus(l->pg) != CONNECTION_OK) {
        rc = gw_error_internal(err, GW_EUNAVAILABLE, "pg listen connect failed");
        goto cleanup;
    }
    snprintf(sql, sizeof(sql), "LISTEN %s", channel);
    r = PQexec(l->pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = gw_error_internal(err, GW_EUNAVAILABLE, "pg LISTEN failed");
cleanup:
    PQclear(r);
    if (rc != GW_OK)
        db_listen_close(l);
    else
        *out = l;
    return rc;
}

int
db_listen_wait(db_listener_t *l, int timeout_ms, db_notify_fn fn, void *arg, gw_error_t *err)
{
    struct pollfd pfd = {.fd = PQsocket(l->pg), .events = POLLIN};
    PGnotify *n;

    if (pfd.fd < 0)
        return gw_error_internal(err, GW_EUNAVAILABLE, "pg listen connection lost");
    /* Notifications read along with an earlier query's answer wait in libpq. */
    while ((n = PQnotifies(l->pg)) != NULL) {
        fn(arg, n->extra);
        PQfreemem(n);
    }
    if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
        return gw_error_internal(err, GW_EUNAVAILABLE, "poll failed");
    if (!PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK)
        return gw_error_internal(err, GW_EUNAVAILABLE, "pg listen connection lost");
    while ((n = PQnotifies(l->pg)) != NULL) {
        fn(arg, n->extra);
        PQfreemem(n);
    }
    return GW_OK;
}

int
db_listen_ping(db_listener_t *l, gw_error_t *err)
{
    PGresult *r = PQexec(l->pg, "SELECT 1");
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK;

    PQclear(r);
    return ok ? GW_OK : gw_error_internal(err, GW_EUNAVAILABLE, "pg listen connection lost");
}

void
db_listen_close(db_listener_t *l)
{
    if (l == NULL)
        return;
    PQfinish(l->pg);
    free(l);
}
