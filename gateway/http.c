/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - the libmicrohttpd server: request lifecycle, answers, the OCI
 * error body, request ids and the access log (see http.h).
 *
 * Thread-per-connection: each connection's requests run on its own thread,
 * so a handler blocking on S3 for a multi-gigabyte upload delays no one else.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

#define HTTP_THREAD_STACK (256 * 1024)
/* Per-connection buffer for headers and body reads; larger reads mean fewer
 * system calls and callbacks per uploaded gigabyte. */
#define HTTP_CONN_MEMORY (1024 * 1024)

typedef struct query_collect {
    const char *name;
    const char **vals;
    int max;
    int n;
} query_collect_t;

static char *tls_cert_pem, *tls_key_pem;

static void make_request_id(http_req_t *req);
static void req_free(http_req_t *req);

static double
elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static http_method_t
parse_method(const char *m)
{
    static const struct {
        const char *name;
        http_method_t id;
    } methods[] = {{"GET", HTTP_GET},   {"HEAD", HTTP_HEAD},   {"PUT", HTTP_PUT},
                   {"POST", HTTP_POST}, {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}};

    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(m, methods[i].name) == 0)
            return methods[i].id;
    }
    return HTTP_OTHER;
}

/* A client-supplied X-Request-Id is echoed only if it is short and plain, so
 * it cannot forge log fields. Otherwise 16 random bytes, hex. */
static void
make_request_id(http_req_t *req)
{
    const char *given = http_header(req, "X-Request-Id");
    unsigned char raw[8];
    size_t n;

    if (given != NULL && (n = strlen(given)) > 0 && n < sizeof(req->id) &&
        strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n) {
        memcpy(req->id, given, n + 1);
        return;
    }
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        memset(raw, 0, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(req->id + 2 * i, 3, "%02x", raw[i]);
}

const char *
http_header(http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
http_query(http_req_t *req, const char *name)
{
    const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);

    if (v != NULL)
        return v;
    /* MHD reports a bare "?key" as present with a NULL value. */
    if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), NULL,
                                      NULL) == MHD_YES) {
        return "";
    }
    return NULL;
}

static enum MHD_Result
collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    query_collect_t *qc = cls;

    (void)kind;
    if (strcmp(key, qc->name) == 0 && qc->n < qc->max)
        qc->vals[qc->n++] = value != NULL ? value : "";
    return MHD_YES;
}

int
http_query_all(http_req_t *req, const char *name, const char **vals, int max)
{
    query_collect_t qc = {name, vals, max, 0};

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_query, &qc);
    return qc.n;
}

void
http_add_header(http_req_t *req, const char *name, const char *value)
{
    if (req->nheaders >= HTTP_MAX_HEADERS)
        return;
    req->hdr_names[req->nheaders] = strdup(name);
    req->hdr_values[req->nheaders] = strdup(value);
    req->nheaders++;
}

static int
finish_response(http_req_t *req, struct MHD_Response *resp, int status, const char *ctype)
{
    if (resp == NULL) {
        log_error("http", "event=response_alloc_failed");
        return GW_ERR;
    }
    MHD_add_response_header(resp, "Docker-Distribution-API-Version", "registry/2.0");
    MHD_add_response_header(resp, "X-Request-Id", req->id);
    if (ctype != NULL)
        MHD_add_response_header(resp, "Content-Type", ctype);
    for (int i = 0; i < req->nheaders; i++) {
        if (req->hdr_names[i] != NULL && req->hdr_values[i] != NULL)
            MHD_add_response_header(resp, req->hdr_names[i], req->hdr_values[i]);
    }
    req->resp = resp;
    req->status = status;
    req->responded = 1;
    return GW_OK;
}

int
http_respond(http_req_t *req, int status, const char *ctype, const void *body, size_t len,
             int owned)
{
    /* MHD takes a non-const pointer but only frees it when told to. */
    void *data = (void *)(uintptr_t)(body != NULL ? body : "");
    struct MHD_Response *resp;

    if (req->responded) {
        if (owned)
            free(data);
        return GW_OK;
    }
    resp = MHD_create_response_from_buffer(len, data,
                                           owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (resp == NULL && owned)
        free(data);
    req->bytes_out = len;
    return finish_response(req, resp, status, ctype);
}

typedef struct stream_ctx {
    http_reader_fn fn;
    void *arg;
    void (*free_fn)(void *);
} stream_ctx_t;

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_ctx_t *s = cls;
    long n = s->fn(s->arg, pos, buf, max);

    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)n;
}

static void
stream_free(void *cls)
{
    stream_ctx_t *s = cls;

    if (s->free_fn != NULL)
        s->free_fn(s->arg);
    free(s);
}

int
http_respond_stream(http_req_t *req, int status, const char *ctype, uint64_t size,
                    http_reader_fn fn, void *arg, void (*free_fn)(void *))
{
    stream_ctx_t *s;
    struct MHD_Response *resp;

    if (req->responded || (s = malloc(sizeof(*s))) == NULL) {
        if (free_fn != NULL)
            free_fn(arg);
        return req->responded ? GW_OK : GW_ERR;
    }
    s->fn = fn;
    s->arg = arg;
    s->free_fn = free_fn;
    resp = MHD_create_response_from_callback(size, 64 * 1024, stream_read, s, stream_free);
    if (resp == NULL) {
        stream_free(s);
        return GW_ERR;
    }
    req->bytes_out = req->method == HTTP_HEAD ? 0 : size;
    return finish_response(req, resp, status, ctype);
}

int
http_respond_error(http_req_t *req)
{
    gw_error_t *e = &req->err;
    json_t *root;
    char *text;

    if (e->status == 0)
        gw_error_internal(e, GW_ERR, "handler answered nothing");
    root = json_pack("{s:[{s:s,s:s,s:{}}]}", "errors", "code", gw_oci_code_name(e->code), "message",
                     e->message, "detail");
    text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (text == NULL)
        return http_respond(req, e->status, NULL, NULL, 0, 0);
    return http_respond(req, e->status, "application/json", text, strlen(text), 1);
}

int
http_fail(http_req_t *req, int rc, int status, oci_code_t code, const char *fmt, ...)
{
    gw_error_t *e = &req->err;
    va_list ap;

    if (e->status == 0) {
        e->status = status;
        e->code = code;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
    }
    http_respond_error(req);
    return rc;
}

int
http_db(http_req_t *req, db_conn_t **out)
{
    int rc = GW_OK;

    if (req->db == NULL)
        rc = db_acquire(req->app->db, &req->db, &req->err);
    *out = req->db;
    return rc;
}

void
http_db_release(http_req_t *req)
{
    db_release(req->app->db, req->db);
    req->db = NULL;
}

/* Default body handler: buffer, up to body_max. */
static int
buffer_body(http_req_t *req, const char *data, size_t len)
{
    if (req->body_len + len > req->body_max) {
        return http_fail(req, GW_ETOOBIG, 413, OCI_SIZE_INVALID,
                         "request body exceeds the limit of %zu bytes", req->body_max);
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 16384;
        char *p;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        if (cap > req->body_max + 1)
            cap = req->body_max + 1;
        p = realloc(req->body, cap);
        if (p == NULL)
            return http_fail(req, GW_ERR, 500, OCI_INTERNAL, "out of memory");
        req->body = p;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
    return GW_OK;
}

static void
req_free(http_req_t *req)
{
    if (req == NULL)
        return;
    if (req->state_free != NULL)
        req->state_free(req->state);
    if (req->db != NULL)
        http_db_release(req);
    if (req->resp != NULL)
        MHD_destroy_response(req->resp);
    for (int i = 0; i < req->nheaders; i++) {
        free(req->hdr_names[i]);
        free(req->hdr_values[i]);
    }
    free(req->body);
    free(req);
}

static http_req_t *
req_new(app_t *app, struct MHD_Connection *conn, const char *url, const char *method)
{
    http_req_t *req = calloc(1, sizeof(*req));

    if (req == NULL)
        return NULL;
    req->app = app;
    req->conn = conn;
    req->method_str = method;
    req->method = parse_method(method);
    req->path = url;
    req->on_body = buffer_body;
    req->body_max = 64 * 1024;
    clock_gettime(CLOCK_MONOTONIC, &req->started);
    make_request_id(req);
    return req;
}

static enum MHD_Result
queue_answer(http_req_t *req)
{
    enum MHD_Result r;

    if (!req->responded)
        http_respond_error(req);
    if (req->resp == NULL)
        return MHD_NO;
    r = MHD_queue_response(req->conn, (unsigned)req->status, req->resp);
    return r;
}

static int
has_body(http_req_t *req)
{
    const char *cl = http_header(req, "Content-Length");

    if (cl != NULL)
        return strcmp(cl, "0") != 0;
    return http_header(req, "Transfer-Encoding") != NULL;
}

/* A buffered body announced larger than its limit is refused before any of
 * it is read (and before MHD sends 100 Continue). */
static int
too_big(http_req_t *req)
{
    const char *cl = http_header(req, "Content-Length");
    char *end = NULL;
    unsigned long long n;

    if (cl == NULL || req->on_body != buffer_body)
        return 0;
    n = strtoull(cl, &end, 10);
    return end != cl && *end == '\0' && n > req->body_max;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    http_req_t *req = *con_cls;

    (void)version;
    if (req == NULL) {
        req = req_new(cls, conn, url, method);
        if (req == NULL)
            return MHD_NO;
        *con_cls = req;
        log_set_request(req->id);
        route_begin(req);
        /* An answer queued now makes MHD drop the rest of the request and
         * close the connection. That is right when a body is coming that we
         * do not want; otherwise answer on the next call, keeping the
         * connection alive. */
        if (!req->responded && too_big(req))
            http_fail(req, GW_ETOOBIG, 413, OCI_SIZE_INVALID,
                      "request body exceeds the limit of %zu bytes", req->body_max);
        if (req->responded && has_body(req))
            return queue_answer(req);
        return MHD_YES;
    }
    log_set_request(req->id);
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->responded)
            return MHD_YES; /* an early answer is queued; drop the rest */
        req->bytes_in += n;
        /* A failure mid-body is answered once the body has been read: MHD
         * cannot queue an answer while it is still receiving one. */
        req->on_body(req, upload_data, n);
        return MHD_YES;
    }
    if (!req->responded && req->on_end != NULL)
        req->on_end(req);
    return queue_answer(req);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    http_req_t *req = *con_cls;
    char path[512];

    (void)cls;
    (void)conn;
    if (req == NULL)
        return;
    log_set_request(req->id);
    log_quote(path, sizeof(path), req->path);
    /* Client-caused failures are info, ours are errors (as nginx does). */
    log_write(req->status >= 500 ? LOG_ERROR : LOG_INFO, "http",
              "event=request method=%s path=%s status=%d bytes_in=%llu bytes_out=%llu "
              "dur_ms=%.1f%s%s%s%s%s",
              req->method_str, path, req->status, (unsigned long long)req->bytes_in,
              (unsigned long long)req->bytes_out, elapsed_ms(&req->started),
              req->err.code != OCI_NONE ? " err_code=" : "",
              req->err.code != OCI_NONE ? gw_oci_code_name(req->err.code) : "",
              req->err.detail[0] != '\0' ? " detail=\"" : "", req->err.detail,
              req->err.detail[0] != '\0' ? "\"" : "");
    metrics_record(req->method, req->status, req->err.code, req->bytes_in, req->bytes_out,
                   elapsed_ms(&req->started));
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        log_info("http", "event=request_aborted reason=%d", (int)toe);
    req_free(req);
    *con_cls = NULL;
    log_set_request(NULL);
}

/* Percent-decodes the URL path in place like MHD's default, except that
 * "%00" stays as it is: a NUL would end the path early and hide what
 * follows it (a digest "sha256:...%00garbage" must be refused, not read as
 * "sha256:..."). */
static size_t
unescape_path(void *cls, struct MHD_Connection *conn, char *s)
{
    char *o = s;
    const char *p = s;

    (void)cls;
    (void)conn;
    while (*p) {
        int hi, lo;
        if (p[0] == '%' && (hi = ref_hex_value(p[1])) >= 0 && (lo = ref_hex_value(p[2])) >= 0 &&
            (hi | lo) != 0) {
            *o++ = (char)(hi * 16 + lo);
            p += 3;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return (size_t)(o - s);
}

static int
parse_listen(const char *listen, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    long port;

    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
        return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535)
        return -1;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (host[0] == '\0')
        return 0;
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Reads a whole PEM file into a NUL-terminated buffer; caller frees. */
static char *
read_pem(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && len < 1024 * 1024 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) != NULL) {
        if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        } else {
            buf[len] = '\0';
        }
    }
    fclose(f);
    return buf;
}

int
http_server_start(app_t *app, void **out, gw_error_t *err)
{
    struct sockaddr_in sa;
    struct MHD_Daemon *d;
    unsigned flags =
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    char *cert = NULL, *key = NULL;
    int tls = app->cfg.tls_cert[0] != '\0';

    *out = NULL;
    if (parse_listen(app->cfg.listen, &sa) != 0)
        return gw_error_internal(err, GW_EINVALID, "bad BERTH_LISTEN %s", app->cfg.listen);
    if (tls) {
        cert = read_pem(app->cfg.tls_cert);
        key = read_pem(app->cfg.tls_key);
        if (cert == NULL || key == NULL) {
            free(cert);
            free(key);
            return gw_error_internal(err, GW_EINVALID, "cannot read BERTH_TLS_CERT/KEY");
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, app, MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 2,
        MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_UNESCAPE_CALLBACK, unescape_path, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)600, MHD_OPTION_CONNECTION_LIMIT, (unsigned)app->cfg.max_connections,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)HTTP_THREAD_STACK, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(128 * 1024), MHD_OPTION_END);
    if (d == NULL) {
        free(cert);
        free(key);
        return gw_error_internal(err, GW_ERR, "cannot listen on %s", app->cfg.listen);
    }
    /* MHD keeps pointing at the PEM text; it lives as long as the daemon. */
    tls_cert_pem = cert;
    tls_key_pem = key;
    *out = d;
    return GW_OK;
}

void
http_server_stop(void *server)
{
    if (server != NULL)
        MHD_stop_daemon(server);
    free(tls_cert_pem);
    free(tls_key_pem);
    tls_cert_pem = tls_key_pem = NULL;
}
