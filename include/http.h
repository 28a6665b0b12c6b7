/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - the HTTP server (libmicrohttpd) and the request object handlers see.
 *
 * A request goes through three steps, each on the connection's own thread
 * (thread-per-connection, so handlers may block on PostgreSQL and S3):
 *   1. begin: the router looks at method, path and headers, and either answers
 *      at once or installs on_body/on_end;
 *   2. on_body: called per chunk of the request body as it arrives (default:
 *      buffer into req->body up to req->body_max, else 413);
 *   3. on_end: the body is complete; the handler sets the answer.
 * A handler answers by calling one of http_respond*; the first answer wins.
 * MHD_* appears only in http.c.
 */
#ifndef BERTH_HTTP_H
#define BERTH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "app.h"
#include "db.h"
#include "gw_error.h"
#include "ref.h"

#define HTTP_MAX_HEADERS 24
#define HTTP_REQ_ID_MAX 40

typedef enum http_method {
    HTTP_OTHER = 0,
    HTTP_GET,
    HTTP_HEAD,
    HTTP_PUT,
    HTTP_POST,
    HTTP_PATCH,
    HTTP_DELETE,
} http_method_t;

typedef struct http_req http_req_t;

typedef int (*http_body_fn)(http_req_t *req, const char *data, size_t len);
typedef int (*http_end_fn)(http_req_t *req);
/** Fills `buf` with up to `max` bytes at `pos`; returns bytes, 0 at end, -1 on error. */
typedef long (*http_reader_fn)(void *arg, uint64_t pos, char *buf, size_t max);

struct http_req {
    app_t *app;
    void *conn; /* the MHD connection; only http.c looks inside */
    http_method_t method;
    const char *method_str;
    const char *path;
    char id[HTTP_REQ_ID_MAX];
    ref_path_t ref;
    struct timespec started;
    gw_error_t err;

    /* Body handling, set by the router in the begin step. */
    http_body_fn on_body;
    http_end_fn on_end;
    char *body;
    size_t body_len, body_cap, body_max;
    uint64_t bytes_in;

    /* Handler state, freed with state_free when the request ends. */
    void *state;
    void (*state_free)(void *state);

    /* The database connection held for this request, if any. */
    db_conn_t *db;

    /* The answer. */
    int responded;
    int status;
    int nheaders;
    char *hdr_names[HTTP_MAX_HEADERS];
    char *hdr_values[HTTP_MAX_HEADERS];
    void *resp; /* the MHD response, created by http_respond* */
    uint64_t bytes_out;
    const char *log_repo; /* extra access-log fields, borrowed */
};

/** Starts serving on cfg.listen with one thread per connection. */
int http_server_start(app_t *app, void **out, gw_error_t *err);
/** Stops accepting, waits for requests in flight, frees the server. */
void http_server_stop(void *server);

/** A request header's value, or NULL. Case-insensitive name. */
const char *http_header(http_req_t *req, const char *name);
/** A query parameter's value ("" for a bare key), or NULL when absent. */
const char *http_query(http_req_t *req, const char *name);
/** Up to `max` values of a repeated query parameter; returns how many. */
int http_query_all(http_req_t *req, const char *name, const char **vals, int max);

/** Adds a response header; both strings are copied. */
void http_add_header(http_req_t *req, const char *name, const char *value);

/**
 * Answers with `status` and the `len` bytes of `body` (may be NULL), taking
 * ownership of `body` (freed with free()) when `owned` is 1. `ctype` may be NULL.
 */
int http_respond(http_req_t *req, int status, const char *ctype, const void *body, size_t len,
                 int owned);

/**
 * Answers with `status` and a body of `size` bytes produced by `fn` as the
 * client reads it; `free_fn(arg)` runs when the answer is done. For HEAD the
 * reader is never called but Content-Length is `size`.
 */
int http_respond_stream(http_req_t *req, int status, const char *ctype, uint64_t size,
                        http_reader_fn fn, void *arg, void (*free_fn)(void *));

/** Answers with the OCI JSON error in req->err (500 when it is unset). */
int http_respond_error(http_req_t *req);

/**
 * Records an error (as gw_error_set) and answers with it at once. Returns
 * `rc`, for `return http_fail(req, GW_EINVALID, 400, OCI_NAME_INVALID, "...")`.
 */
int http_fail(http_req_t *req, int rc, int status, oci_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** The request's database connection, acquired on first use. */
int http_db(http_req_t *req, db_conn_t **out);
/** Gives the connection back before the request ends (for long uploads). */
void http_db_release(http_req_t *req);

#endif
