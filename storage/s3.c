/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s3.c - the blob store's S3 client (see s3.h): SigV4-signed requests over
 * libcurl, a small pool of reusable easy handles, retries with backoff.
 *
 * The only file that calls curl_*. Signing is sigv4.c's; this file builds the
 * URL and headers, runs each request, and maps S3's answer onto gw_err_t.
 * S3 API reference: "Amazon S3 API Reference" (PutObject, UploadPart,
 * CompleteMultipartUpload, ...) and "Error responses".
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "s3.h"
#include "sigv4.h"

#define S3_POOL_MAX 16          /* idle easy handles kept (each holds its connections) */
#define S3_BODY_MAX (64 * 1024) /* answer bytes kept for XML parsing; the rest is dropped */
#define S3_KEY_MAX 1024         /* S3's own limit on key length */
#define S3_PATH_MAX 2048
#define S3_URL_MAX 8192
#define S3_QUERY_MAX 1024
#define S3_CODE_MAX 64
#define S3_ETAG_MAX 256
#define S3_HEADER_MAX 512
#define S3_BACKOFF_MS 100 /* first retry delay; doubles per attempt */
#define S3_BACKOFF_CAP_MS 5000
#define S3_MAX_PARTS 10000

/* Sets `opt` unless an earlier option failed; the CURLcode stays visible. */
#define S3_SETOPT(cc, h, opt, val)                                                                 \
    do {                                                                                           \
        if ((cc) == CURLE_OK)                                                                      \
            (cc) = curl_easy_setopt(h, opt, val);                                                  \
    } while (0)

/* Where requests go: base URL, the Host header for it, and the path prefix. */
typedef struct s3_endpoint {
    char *base; /* "http://127.0.0.1:7480", "https://bucket.s3.amazonaws.com" */
    char *host; /* authority of base, default port dropped as curl drops it */
    char *path; /* prefix of every object path: "/bucket" (path style) or "" */
} s3_endpoint_t;

struct s3_client {
    s3_endpoint_t api;
    s3_endpoint_t pub;
    sigv4_cred_t cred; /* points into the owned strings below */
    char *access_key;
    char *secret_key;
    char *region;
    char *ca_file;
    long connect_timeout_ms;
    long timeout_ms;
    int max_retries;
    int insecure;
    int api_tls_verified; /* api is https and certificates are checked */
    pthread_mutex_t lock; /* guards idle/nidle */
    CURL *idle[S3_POOL_MAX];
    int nidle;
};

/* A growable byte buffer, always NUL-terminated; `cap` 0 means unlimited. */
typedef struct s3_buf {
    char *p;
    size_t len;
    size_t size;
    size_t cap;
    int oom;
} s3_buf_t;

/* One S3 call, as the operations describe it to perform(). */
typedef struct s3_op {
    const char *name;   /* API name for logs and details: "PutObject" */
    const char *method; /* PUT and POST always send `body` (possibly empty) */
    const char *key;
    const sigv4_pair_t *query;
    size_t nquery;
    const void *body;
    size_t body_len;
    const char *content_type; /* NULL: none */
    const char *range;        /* "bytes=a-b" or NULL */
    int error_in_200;         /* a 200 answer may still carry an <Error> document */
    s3_write_fn fn;           /* receives a 2xx body; NULL keeps it in resp->body */
    void *arg;
} s3_op_t;

/* What came back from one attempt. */
typedef struct s3_resp {
    const s3_op_t *op;
    long status;
    CURLcode cc;
    char etag[S3_ETAG_MAX];
    int etag_too_long;
    uint64_t length; /* Content-Length */
    int has_length;
    uint64_t total; /* the size after '/' in Content-Range */
    int has_total;
    char code[S3_CODE_MAX]; /* S3 error Code, "" if none */
    s3_buf_t body;
    int delivered;     /* bytes went to op->fn: the attempt cannot be repeated */
    int sink_refused;  /* op->fn returned non-zero */
    int range_ignored; /* a ranged GET answered 200: bytes withheld */
} s3_resp_t;

static int endpoint_parse(s3_endpoint_t *ep, const char *url, const char *bucket, int path_style);
static void endpoint_free(s3_endpoint_t *ep);
static char *dup_or_null(const char *s, int *oom);
static int buf_add(s3_buf_t *b, const void *data, size_t len);
static int buf_printf(s3_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_xml_escaped(s3_buf_t *b, const char *s);
static void buf_free(s3_buf_t *b);
static void global_ref(void);
static void global_unref(void);
static CURL *handle_take(s3_client_t *c);
static void handle_give(s3_client_t *c, CURL *h);
static int build_path(const s3_endpoint_t *ep, const char *key, char *out, size_t size);
static int add_header(struct curl_slist **list, const char *name, const char *value);
static int sign_headers(const s3_client_t *c, const s3_op_t *op, const char *path, const char *hash,
                        struct curl_slist **out);
static int set_options(const s3_client_t *c, CURL *h, const s3_op_t *op, const char *url,
                       struct curl_slist *headers, s3_resp_t *resp);
static size_t on_header(char *line, size_t size, size_t n, void *arg);
static size_t on_body(char *data, size_t size, size_t n, void *arg);
static int parse_u64(const char *s, size_t len, uint64_t *out);
static int xml_text(const char *doc, const char *tag, char *out, size_t size);
static int transient(CURLcode cc);
static int retryable_code(const char *code);
static int classify(const s3_resp_t *r, int *retry);
static void backoff(const s3_op_t *op, const s3_resp_t *r, int attempt);
static int attempt_once(s3_client_t *c, CURL *h, const s3_op_t *op, const char *hash,
                        s3_resp_t *resp);
static int report(const s3_op_t *op, const s3_resp_t *r, int rc, int attempts, gw_error_t *err);
static int perform(s3_client_t *c, const s3_op_t *op, s3_resp_t *resp, gw_error_t *err);
static void resp_init(s3_resp_t *r, const s3_op_t *op);
static long new_connections(CURL *h);

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_refs;
static _Thread_local uint32_t jitter_state;

/* curl_global_init is not safe to race, and global cleanup must wait for the
 * last client: count clients under a lock. */
static void
global_ref(void)
{
    pthread_mutex_lock(&global_lock);
    if (global_refs++ == 0)
        curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_unlock(&global_lock);
}

static void
global_unref(void)
{
    pthread_mutex_lock(&global_lock);
    if (--global_refs == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&global_lock);
}

static char *
dup_or_null(const char *s, int *oom)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        *oom = 1;
    return d;
}

static void
endpoint_free(s3_endpoint_t *ep)
{
    free(ep->base);
    free(ep->host);
    free(ep->path);
}

/*
 * Splits "scheme://authority[/prefix]" into base URL, Host value and path
 * prefix. The default port is dropped from the authority because curl (and
 * most fetchers of presigned URLs) leave it out of Host, and Host is signed.
 */
static int
endpoint_parse(s3_endpoint_t *ep, const char *url, const char *bucket, int path_style)
{
    const char *auth, *slash;
    size_t alen, plen;
    int https, err = GW_ERR;
    s3_buf_t host = {0}, path = {0}, base = {0};

    https = strncasecmp(url, "https://", 8) == 0;
    if (!https && strncasecmp(url, "http://", 7) != 0)
        goto cleanup;
    auth = url + (https ? 8 : 7);
    slash = strchr(auth, '/');
    alen = slash != NULL ? (size_t)(slash - auth) : strlen(auth);
    if (alen == 0 || memchr(auth, '@', alen) != NULL || memchr(auth, '?', alen) != NULL)
        goto cleanup;
    if (https && alen > 4 && memcmp(auth + alen - 4, ":443", 4) == 0)
        alen -= 4;
    else if (!https && alen > 3 && memcmp(auth + alen - 3, ":80", 3) == 0)
        alen -= 3;
    plen = slash != NULL ? strlen(slash) : 0;
    while (plen > 0 && slash[plen - 1] == '/')
        plen--;
    if (!path_style)
        buf_printf(&host, "%s.", bucket);
    buf_add(&host, auth, alen);
    buf_add(&path, slash != NULL ? slash : "", plen);
    if (path_style)
        buf_printf(&path, "/%s", bucket);
    buf_printf(&base, "%s://%s", https ? "https" : "http", host.p != NULL ? host.p : "");
    if (host.oom || path.oom || base.oom || (slash != NULL && strpbrk(slash, "?#") != NULL))
        goto cleanup;
    ep->base = base.p;
    ep->host = host.p;
    ep->path = path.p;
    base.p = host.p = path.p = NULL;
    err = 0;
cleanup:
    buf_free(&base);
    buf_free(&host);
    buf_free(&path);
    return err;
}

int
s3_client_new(s3_client_t **out, const s3_config_t *cfg, gw_error_t *err)
{
    const char *pub = cfg->public_endpoint != NULL ? cfg->public_endpoint : cfg->endpoint;
    s3_client_t *c = NULL;
    int oom = 0, rc = GW_ERR;

    *out = NULL;
    if (cfg->endpoint == NULL || cfg->bucket == NULL || cfg->bucket[0] == '\0' ||
        strchr(cfg->bucket, '/') != NULL || cfg->access_key == NULL || cfg->secret_key == NULL) {
        rc = gw_error_internal(err, GW_ERR, "s3 config: endpoint, bucket and keys are required");
        goto cleanup;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        rc = gw_error_internal(err, GW_ERR, "s3: out of memory creating the client");
        goto cleanup;
    }
    pthread_mutex_init(&c->lock, NULL);
    global_ref();
    if (endpoint_parse(&c->api, cfg->endpoint, cfg->bucket, cfg->path_style) < 0 ||
        endpoint_parse(&c->pub, pub, cfg->bucket, cfg->path_style) < 0) {
        rc = gw_error_internal(err, GW_ERR, "s3 config: endpoint must be http(s)://host[:port]");
        goto cleanup;
    }
    c->access_key = dup_or_null(cfg->access_key, &oom);
    c->secret_key = dup_or_null(cfg->secret_key, &oom);
    c->region = dup_or_null(cfg->region != NULL ? cfg->region : "us-east-1", &oom);
    c->cred = (sigv4_cred_t){c->access_key, c->secret_key, c->region, "s3"};
    c->ca_file = dup_or_null(cfg->ca_file, &oom);
    if (oom) {
        rc = gw_error_internal(err, GW_ERR, "s3: out of memory creating the client");
        goto cleanup;
    }
    c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000;
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 300000;
    /* 0 means the default; a negative count (tests) means no retries at all. */
    c->max_retries = cfg->max_retries == 0 ? 4 : cfg->max_retries < 0 ? 0 : cfg->max_retries;
    c->insecure = cfg->insecure;
    c->api_tls_verified = !c->insecure && strncmp(c->api.base, "https://", 8) == 0;
    *out = c;
    c = NULL;
    rc = 0;
cleanup:
    s3_client_free(c);
    return rc;
}

void
s3_client_free(s3_client_t *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->nidle; i++)
        curl_easy_cleanup(c->idle[i]);
    endpoint_free(&c->api);
    endpoint_free(&c->pub);
    free(c->access_key);
    if (c->secret_key != NULL)
        explicit_bzero(c->secret_key, strlen(c->secret_key));
    free(c->secret_key);
    free(c->region);
    free(c->ca_file);
    pthread_mutex_destroy(&c->lock);
    free(c);
    global_unref();
}

/* ---- buffers ---- */

static int
buf_add(s3_buf_t *b, const void *data, size_t len)
{
    size_t need;

    if (b->oom)
        return -1;
    if (b->cap > 0 && b->len + len > b->cap)
        len = b->cap - b->len; /* keep the head, drop the rest */
    need = b->len + len + 1;
    if (need > b->size) {
        size_t size = b->size > 0 ? b->size : 256;
        char *p;
        while (size < need)
            size *= 2;
        p = realloc(b->p, size);
        if (p == NULL) {
            b->oom = 1;
            return -1;
        }
        b->p = p;
        b->size = size;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

static int
buf_printf(s3_buf_t *b, const char *fmt, ...)
{
    char tmp[S3_HEADER_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        b->oom = 1;
        return -1;
    }
    return buf_add(b, tmp, (size_t)n);
}

/* XML text content: & < > must be escaped; an ETag's quotes may stay. */
static int
buf_xml_escaped(s3_buf_t *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            buf_add(b, "&amp;", 5);
        else if (*s == '<')
            buf_add(b, "&lt;", 4);
        else if (*s == '>')
            buf_add(b, "&gt;", 4);
        else
            buf_add(b, s, 1);
    }
    return b->oom ? -1 : 0;
}

static void
buf_free(s3_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->size = 0;
}

/*
 * ---- the handle pool ----
 * Each easy handle keeps its own connection cache, so a handle handed back
 * with its connection open lets the next call skip the TCP (and TLS)
 * handshake. The pool is LIFO: the most recently used handle, the one most
 * likely to hold a live connection, goes out first. Beyond S3_POOL_MAX
 * concurrent calls, extra handles are made and closed after use.
 */

static CURL *
handle_take(s3_client_t *c)
{
    CURL *h = NULL;

    pthread_mutex_lock(&c->lock);
    if (c->nidle > 0)
        h = c->idle[--c->nidle];
    pthread_mutex_unlock(&c->lock);
    return h != NULL ? h : curl_easy_init();
}

/* curl_easy_reset clears the options but keeps the live connections, the DNS
 * cache and TLS sessions, which is what a pool is for. */
static void
handle_give(s3_client_t *c, CURL *h)
{
    if (h == NULL)
        return;
    curl_easy_reset(h);
    pthread_mutex_lock(&c->lock);
    if (c->nidle < S3_POOL_MAX) {
        c->idle[c->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (h != NULL)
        curl_easy_cleanup(h);
}

/* ---- building a request ---- */

static int
build_path(const s3_endpoint_t *ep, const char *key, char *out, size_t size)
{
    int n;

    if (key == NULL || key[0] == '\0' || strlen(key) > S3_KEY_MAX)
        return GW_ERR;
    n = snprintf(out, size, "%s/%s", ep->path, key);
    return n < 0 || (size_t)n >= size ? GW_ERR : 0;
}

static int
add_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[S3_HEADER_MAX];
    struct curl_slist *l;
    int n;

    /* "Name:" with nothing after it tells curl not to send its own. */
    n = snprintf(line, sizeof(line), "%s:%s%s", name, value[0] ? " " : "", value);
    if (n < 0 || (size_t)n >= sizeof(line))
        return GW_ERR;
    l = curl_slist_append(*list, line);
    if (l == NULL)
        return GW_ERR;
    *list = l;
    return 0;
}

/*
 * Signs the request at the current time and builds its header list: every
 * header sent is signed, except Authorization itself and the suppressed
 * Expect. Expect: 100-continue would cost a round trip per part.
 */
static int
sign_headers(const s3_client_t *c, const s3_op_t *op, const char *path, const char *hash,
             struct curl_slist **out)
{
    char date[SIGV4_DATE_SIZE], auth[S3_HEADER_MAX];
    sigv4_pair_t h[5] = {
        {"host", c->api.host}, {"x-amz-content-sha256", hash}, {"x-amz-date", date}};
    sigv4_request_t req = {op->method, path, op->query, op->nquery, h, 3, hash};
    struct curl_slist *list = NULL;
    time_t now = time(NULL);
    int err;

    if (op->range != NULL)
        h[req.nheaders++] = (sigv4_pair_t){"range", op->range};
    if (op->content_type != NULL)
        h[req.nheaders++] = (sigv4_pair_t){"content-type", op->content_type};
    err = sigv4_format_date(now, date);
    if (err < 0)
        goto cleanup;
    if (sigv4_authorization(&c->cred, now, &req, auth, sizeof(auth)) < 0) {
        err = GW_ERR;
        goto cleanup;
    }
    for (size_t i = 0; i < req.nheaders && err == 0; i++)
        err = add_header(&list, h[i].name, h[i].value);
    if (err == 0)
        err = add_header(&list, "Authorization", auth);
    if (err == 0)
        err = add_header(&list, "Expect", "");
    if (err == 0 && op->content_type == NULL)
        err = add_header(&list, "Content-Type", "");
cleanup:
    if (err < 0) {
        curl_slist_free_all(list);
        list = NULL;
    }
    *out = list;
    return err < 0 ? GW_ERR : 0;
}

static int
set_options(const s3_client_t *c, CURL *h, const s3_op_t *op, const char *url,
            struct curl_slist *headers, s3_resp_t *resp)
{
    CURLcode cc = CURLE_OK;

    S3_SETOPT(cc, h, CURLOPT_URL, url);
    S3_SETOPT(cc, h, CURLOPT_PROTOCOLS_STR, "http,https");
    S3_SETOPT(cc, h, CURLOPT_NOSIGNAL, 1L);
    /* Keys are signed as written: curl must not squash "/./" or "/../". */
    S3_SETOPT(cc, h, CURLOPT_PATH_AS_IS, 1L);
    S3_SETOPT(cc, h, CURLOPT_TCP_KEEPALIVE, 1L);
    S3_SETOPT(cc, h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    S3_SETOPT(cc, h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    S3_SETOPT(cc, h, CURLOPT_HTTPHEADER, headers);
    S3_SETOPT(cc, h, CURLOPT_HEADERFUNCTION, on_header);
    S3_SETOPT(cc, h, CURLOPT_HEADERDATA, resp);
    S3_SETOPT(cc, h, CURLOPT_WRITEFUNCTION, on_body);
    S3_SETOPT(cc, h, CURLOPT_WRITEDATA, resp);
    S3_SETOPT(cc, h, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
    S3_SETOPT(cc, h, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
    if (c->ca_file != NULL)
        S3_SETOPT(cc, h, CURLOPT_CAINFO, c->ca_file);
    /* Bodies go from memory with POSTFIELDS, PUT included (CUSTOMREQUEST):
     * curl then knows the length up front and can resend the bytes itself
     * when a pooled connection turns out to be closed. */
    if (strcmp(op->method, "HEAD") == 0) {
        S3_SETOPT(cc, h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(op->method, "GET") == 0) {
        S3_SETOPT(cc, h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(op->method, "PUT") == 0 || strcmp(op->method, "POST") == 0) {
        S3_SETOPT(cc, h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)op->body_len);
        S3_SETOPT(cc, h, CURLOPT_POSTFIELDS, op->body != NULL ? op->body : "");
        S3_SETOPT(cc, h, CURLOPT_CUSTOMREQUEST, op->method);
    } else {
        S3_SETOPT(cc, h, CURLOPT_CUSTOMREQUEST, op->method);
    }
    resp->cc = cc;
    return cc == CURLE_OK ? 0 : GW_ERR;
}

/* ---- reading the answer ---- */

static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 20)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Called once per header line, status line included (also for 1xx answers). */
static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
    s3_resp_t *r = arg;
    size_t len = size * n, nlen, vlen;
    const char *colon, *v;

    if (len > 5 && memcmp(line, "HTTP/", 5) == 0) {
        const char *sp = memchr(line, ' ', len);
        uint64_t status = 0;
        r->status = 0;
        r->etag[0] = '\0';
        r->etag_too_long = r->has_length = r->has_total = 0;
        if (sp != NULL && (size_t)(sp - line) + 4 <= len && parse_u64(sp + 1, 3, &status) == 0)
            r->status = (long)status;
        return len;
    }
    colon = memchr(line, ':', len);
    if (colon == NULL)
        return len;
    nlen = (size_t)(colon - line);
    v = colon + 1;
    vlen = len - nlen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    if (nlen == 4 && strncasecmp(line, "etag", 4) == 0) {
        r->etag_too_long = vlen >= sizeof(r->etag);
        if (!r->etag_too_long) {
            memcpy(r->etag, v, vlen);
            r->etag[vlen] = '\0';
        }
    } else if (nlen == 14 && strncasecmp(line, "content-length", 14) == 0) {
        r->has_length = parse_u64(v, vlen, &r->length) == 0;
    } else if (nlen == 13 && strncasecmp(line, "content-range", 13) == 0) {
        /* "bytes 0-9/1234"; the total may be "*" when unknown. */
        const char *slash = memchr(v, '/', vlen);
        if (slash != NULL)
            r->has_total = parse_u64(slash + 1, vlen - (size_t)(slash + 1 - v), &r->total) == 0;
    }
    return len;
}

/* A 2xx body goes to the operation's reader; anything else is kept (capped)
 * for its XML. Returning less than `len` makes curl stop with a write error. */
static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
    s3_resp_t *r = arg;
    size_t len = size * n;

    if (r->op->fn != NULL && r->status >= 200 && r->status < 300) {
        if (r->op->range != NULL && r->status != 206) {
            r->range_ignored = 1;
            return 0;
        }
        if (len == 0)
            return 0;
        r->delivered = 1;
        if (r->op->fn(r->op->arg, data, len) != 0) {
            r->sink_refused = 1;
            return 0;
        }
        return len;
    }
    if (buf_add(&r->body, data, len) < 0)
        return 0;
    return len;
}

/*
 * Copies the text of the first <tag>...</tag> in `doc` into `out`, with the
 * five predefined XML entities decoded. Returns 0, or -1 if absent or too long.
 */
static int
xml_text(const char *doc, const char *tag, char *out, size_t size)
{
    static const char *const ent[][2] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
    char open[S3_CODE_MAX], close[S3_CODE_MAX];
    const char *p, *end;
    size_t o = 0;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    p = doc != NULL ? strstr(doc, open) : NULL;
    end = p != NULL ? strstr(p, close) : NULL;
    if (end == NULL)
        return -1;
    for (p += strlen(open); p < end && o + 1 < size; o++) {
        size_t i = 0;
        while (*p == '&' && i < 5 && strncmp(p, ent[i][0], strlen(ent[i][0])) != 0)
            i++;
        if (*p == '&' && i < 5) {
            out[o] = ent[i][1][0];
            p += strlen(ent[i][0]);
        } else {
            out[o] = *p++;
        }
    }
    out[o] = '\0';
    return p == end ? 0 : -1;
}

/* ---- deciding what an attempt came to ---- */

/* Transport failures worth a retry: S3 unreachable, slow, or the connection
 * dropped. Anything else (bad certificate, bad URL) will not heal by itself. */
static int
transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* S3 error codes that ask the client to try again ("Error responses"). */
static int
retryable_code(const char *code)
{
    return strcmp(code, "SlowDown") == 0 || strcmp(code, "InternalError") == 0 ||
           strcmp(code, "ServiceUnavailable") == 0 || strcmp(code, "RequestTimeout") == 0;
}

/*
 * Maps one attempt onto a gw_err_t; sets *retry when trying again may help.
 * 404 is GW_ENOTFOUND unless S3 says the bucket itself is missing, which is
 * a configuration error, not a missing object.
 */
static int
classify(const s3_resp_t *r, int *retry)
{
    int has_error = r->body.p != NULL && strstr(r->body.p, "<Error>") != NULL;

    *retry = 0;
    if (r->cc != CURLE_OK) {
        *retry = transient(r->cc) && !r->sink_refused && !r->range_ignored;
        return *retry ? GW_EUNAVAILABLE : GW_ERR;
    }
    if (r->status >= 200 && r->status < 300 && !(r->op->error_in_200 && has_error))
        return 0;
    if (r->status == 404 || strcmp(r->code, "NoSuchKey") == 0 ||
        strcmp(r->code, "NoSuchUpload") == 0)
        return strcmp(r->code, "NoSuchBucket") == 0 ? GW_ERR : GW_ENOTFOUND;
    *retry = r->status >= 500 || r->status == 429 || retryable_code(r->code);
    return *retry ? GW_EUNAVAILABLE : GW_ERR;
}

/* Sleeps before retry `attempt` (0-based): 100 ms doubling, capped, with
 * "equal jitter" (half fixed, half random) so clients do not retry in step. */
static void
backoff(const s3_op_t *op, const s3_resp_t *r, int attempt)
{
    long ms = S3_BACKOFF_MS << (attempt < 10 ? attempt : 10);
    struct timespec ts;

    if (ms > S3_BACKOFF_CAP_MS)
        ms = S3_BACKOFF_CAP_MS;
    if (jitter_state == 0)
        jitter_state = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)&ts ^ 0x9e3779b9u;
    jitter_state ^= jitter_state << 13;
    jitter_state ^= jitter_state >> 17;
    jitter_state ^= jitter_state << 5;
    ms = ms / 2 + (long)(jitter_state % (uint32_t)(ms / 2 + 1));
    log_warn("s3", "event=s3_retry op=%s status=%ld code=%s curl=%d attempt=%d delay_ms=%ld",
             op->name, r->status, r->code[0] ? r->code : "-", (int)r->cc, attempt + 1, ms);
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* How many connections the last transfer had to open (0 when one was reused). */
static long
new_connections(CURL *h)
{
    long n = -1;

    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n);
    return n;
}

static void
resp_init(s3_resp_t *r, const s3_op_t *op)
{
    memset(r, 0, sizeof(*r));
    r->op = op;
    r->body.cap = S3_BODY_MAX;
}

/*
 * Signs and sends `op` once on handle `h`; the outcome is left in `resp`.
 * Returns GW_ERR only when the request cannot even be built (key too long,
 * out of memory); S3's answer or a transport failure is the caller's to judge.
 */
static int
attempt_once(s3_client_t *c, CURL *h, const s3_op_t *op, const char *hash, s3_resp_t *resp)
{
    char path[S3_PATH_MAX], query[S3_QUERY_MAX], epath[S3_URL_MAX], url[S3_URL_MAX];
    struct curl_slist *headers = NULL;
    int n, err = GW_ERR;

    resp->status = 0;
    resp->cc = CURLE_OK;
    resp->code[0] = '\0';
    resp->body.len = 0;
    if (resp->body.p != NULL)
        resp->body.p[0] = '\0';
    /* The URL carries the very path and query that are signed. */
    if (build_path(&c->api, op->key, path, sizeof(path)) < 0 ||
        sigv4_uri_encode(path, 1, epath, sizeof(epath)) < 0 ||
        sigv4_canonical_query(op->query, op->nquery, query, sizeof(query)) < 0)
        goto cleanup;
    n = snprintf(url, sizeof(url), "%s%s%s%s", c->api.base, epath, query[0] ? "?" : "", query);
    if (n < 0 || (size_t)n >= sizeof(url))
        goto cleanup;
    if (sign_headers(c, op, path, hash, &headers) < 0 ||
        set_options(c, h, op, url, headers, resp) < 0)
        goto cleanup;
    resp->cc = curl_easy_perform(h);
    /* Error documents are small; a 2xx body only lands here for XML answers. */
    if (resp->body.p != NULL)
        xml_text(resp->body.p, "Code", resp->code, sizeof(resp->code));
    err = 0;
cleanup:
    curl_slist_free_all(headers);
    return err;
}

/* Records a failure in `err`. GW_ENOTFOUND only fills the log detail: whether a
 * missing object is the client's 404 or our inconsistency is the caller's call. */
static int
report(const s3_op_t *op, const s3_resp_t *r, int rc, int attempts, gw_error_t *err)
{
    char key[96];
    const char *why = r->sink_refused     ? "reader stopped"
                      : r->range_ignored  ? "range ignored"
                      : r->cc != CURLE_OK ? curl_easy_strerror(r->cc)
                                          : "-";

    log_quote(key, sizeof(key), op->key != NULL ? op->key : "");
    if (rc == GW_ENOTFOUND && err != NULL && err->status == 0) {
        snprintf(err->detail, sizeof(err->detail), "s3 op=%s key=%s status=%ld code=%s", op->name,
                 key, r->status, r->code[0] ? r->code : "-");
        return rc;
    }
    return gw_error_internal(err, rc, "s3 op=%s key=%s status=%ld code=%s curl=\"%s\" attempts=%d",
                             op->name, key, r->status, r->code[0] ? r->code : "-", why, attempts);
}

/*
 * Runs `op` with retries. Bodies are hashed once; each attempt is signed
 * afresh. A GET whose bytes already reached the reader is never repeated,
 * since the reader cannot take them back. The caller frees resp->body.
 *
 * TODO(s3): a GET cut off mid-body is not resumed with a Range from the last
 * byte delivered; the caller sees GW_EUNAVAILABLE and must start over.
 * A CompleteMultipartUpload whose success answer was lost is retried and then
 * gets NoSuchUpload (GW_ENOTFOUND) although the object exists; upload.c HEADs
 * the key before treating that as a failure.
 */
static int
perform(s3_client_t *c, const s3_op_t *op, s3_resp_t *resp, gw_error_t *err)
{
    char hash[SIGV4_HEX_SIZE];
    int body = strcmp(op->method, "PUT") == 0 || strcmp(op->method, "POST") == 0;
    int attempt = 0, retry = 0, rc = GW_ERR;
    CURL *h = NULL;

    resp_init(resp, op);
    /* Over verified TLS the channel already protects the body, so bodies go
     * out as UNSIGNED-PAYLOAD (as AWS's SDKs send them over HTTPS): no second
     * SHA-256 pass over every uploaded part. Plain HTTP signs the body hash. */
    if (body && c->api_tls_verified)
        snprintf(hash, sizeof(hash), "%s", SIGV4_UNSIGNED_PAYLOAD);
    else
        sigv4_sha256_hex(body ? op->body : NULL, body ? op->body_len : 0, hash);
    h = handle_take(c);
    if (h == NULL) {
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: curl_easy_init failed", op->name);
        goto cleanup;
    }
    for (;; attempt++) {
        if (attempt_once(c, h, op, hash, resp) < 0) {
            rc = gw_error_internal(err, GW_ERR, "s3 op=%s: cannot build the request", op->name);
            goto cleanup;
        }
        rc = classify(resp, &retry);
        log_debug("s3", "event=s3_request op=%s status=%ld curl=%d attempt=%d new_conns=%ld",
                  op->name, resp->status, (int)resp->cc, attempt + 1, new_connections(h));
        if (!retry || attempt >= c->max_retries || resp->delivered)
            break;
        backoff(op, resp, attempt);
    }
    if (rc != 0)
        rc = report(op, resp, rc, attempt + 1, err);
cleanup:
    handle_give(c, h);
    return rc;
}

/* ---- the operations ---- */

int
s3_put_object(s3_client_t *c, const char *key, const void *data, size_t len, gw_error_t *err)
{
    s3_op_t op = {.name = "PutObject",
                  .method = "PUT",
                  .key = key,
                  .body = data,
                  .body_len = len,
                  .content_type = "application/octet-stream"};
    s3_resp_t r;
    int rc;

    rc = perform(c, &op, &r, err);
    buf_free(&r.body);
    return rc;
}

int
s3_multipart_create(s3_client_t *c, const char *key, char *upload_id, size_t upload_id_size,
                    gw_error_t *err)
{
    const sigv4_pair_t q[] = {{"uploads", NULL}};
    s3_op_t op = {.name = "CreateMultipartUpload",
                  .method = "POST",
                  .key = key,
                  .query = q,
                  .nquery = 1,
                  .content_type = "application/octet-stream"};
    s3_resp_t r;
    int rc;

    if (upload_id_size > 0)
        upload_id[0] = '\0';
    rc = perform(c, &op, &r, err);
    if (rc == 0 &&
        (xml_text(r.body.p, "UploadId", upload_id, upload_id_size) < 0 || upload_id[0] == '\0'))
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: no usable UploadId in the answer", op.name);
    buf_free(&r.body);
    return rc;
}

int
s3_multipart_upload_part(s3_client_t *c, const char *key, const char *upload_id, int part_no,
                         const void *data, size_t len, char *etag, size_t etag_size,
                         gw_error_t *err)
{
    char num[16];
    const sigv4_pair_t q[] = {{"partNumber", num}, {"uploadId", upload_id}};
    s3_op_t op = {.name = "UploadPart",
                  .method = "PUT",
                  .key = key,
                  .query = q,
                  .nquery = 2,
                  .body = data,
                  .body_len = len};
    s3_resp_t r;
    int rc;

    resp_init(&r, &op);
    if (etag_size > 0)
        etag[0] = '\0';
    if (part_no < 1 || part_no > S3_MAX_PARTS) {
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: part number %d out of 1..10000", op.name,
                               part_no);
        goto cleanup;
    }
    snprintf(num, sizeof(num), "%d", part_no);
    rc = perform(c, &op, &r, err);
    if (rc == 0 && (r.etag[0] == '\0' || r.etag_too_long || strlen(r.etag) >= etag_size))
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: missing or oversized ETag", op.name);
    if (rc == 0)
        memcpy(etag, r.etag, strlen(r.etag) + 1);
cleanup:
    buf_free(&r.body);
    return rc;
}

int
s3_multipart_complete(s3_client_t *c, const char *key, const char *upload_id,
                      const char *const *etags, int nparts, gw_error_t *err)
{
    const sigv4_pair_t q[] = {{"uploadId", upload_id}};
    s3_op_t op = {.name = "CompleteMultipartUpload",
                  .method = "POST",
                  .key = key,
                  .query = q,
                  .nquery = 1,
                  .content_type = "application/xml",
                  .error_in_200 = 1};
    s3_buf_t xml = {0};
    s3_resp_t r;
    int rc;

    resp_init(&r, &op);
    if (nparts < 1 || nparts > S3_MAX_PARTS) {
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: %d parts, not 1..10000", op.name, nparts);
        goto cleanup;
    }
    buf_printf(&xml, "<CompleteMultipartUpload>");
    for (int i = 0; i < nparts; i++) {
        buf_printf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
        buf_xml_escaped(&xml, etags[i]);
        buf_printf(&xml, "</ETag></Part>");
    }
    buf_printf(&xml, "</CompleteMultipartUpload>");
    if (xml.oom) {
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: out of memory", op.name);
        goto cleanup;
    }
    op.body = xml.p;
    op.body_len = xml.len;
    rc = perform(c, &op, &r, err);
cleanup:
    buf_free(&xml);
    buf_free(&r.body);
    return rc;
}

int
s3_multipart_abort(s3_client_t *c, const char *key, const char *upload_id, gw_error_t *err)
{
    const sigv4_pair_t q[] = {{"uploadId", upload_id}};
    s3_op_t op = {
        .name = "AbortMultipartUpload", .method = "DELETE", .key = key, .query = q, .nquery = 1};
    s3_resp_t r;
    int rc;

    rc = perform(c, &op, &r, err);
    buf_free(&r.body);
    return rc;
}

int
s3_head_object(s3_client_t *c, const char *key, uint64_t *size, gw_error_t *err)
{
    s3_op_t op = {.name = "HeadObject", .method = "HEAD", .key = key};
    s3_resp_t r;
    int rc;

    rc = perform(c, &op, &r, err);
    if (rc == 0 && !r.has_length)
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: no Content-Length", op.name);
    if (rc == 0)
        *size = r.length;
    buf_free(&r.body);
    return rc;
}

int
s3_get_object(s3_client_t *c, const char *key, uint64_t offset, uint64_t length, s3_write_fn fn,
              void *arg, uint64_t *total, gw_error_t *err)
{
    char range[64];
    s3_op_t op = {.name = "GetObject", .method = "GET", .key = key, .fn = fn, .arg = arg};
    s3_resp_t r;
    int rc;

    resp_init(&r, &op);
    if (length > 0 && offset > UINT64_MAX - length) {
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: range overflows", op.name);
        goto cleanup;
    }
    if (length > 0)
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, offset, offset + length - 1);
    else
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", offset);
    op.range = offset > 0 || length > 0 ? range : NULL;
    rc = perform(c, &op, &r, err);
    /* A 200 to a ranged GET got this far only with an empty body (bytes of
     * an ignored range are refused in on_body), so its length is the size. */
    if (r.status == 206) {
        r.has_length = r.has_total;
        r.length = r.total;
    } else if (r.status != 200) {
        r.has_length = 0;
    }
    if (rc == 0 && !r.has_length)
        rc = gw_error_internal(err, GW_ERR, "s3 op=%s: object size not in the answer", op.name);
    if (rc == 0 && total != NULL)
        *total = r.length;
cleanup:
    buf_free(&r.body);
    return rc;
}

int
s3_delete_object(s3_client_t *c, const char *key, gw_error_t *err)
{
    s3_op_t op = {.name = "DeleteObject", .method = "DELETE", .key = key};
    s3_resp_t r;
    int rc;

    /* Deleting what is not there is done: S3 says 204, some stores say 404. */
    rc = perform(c, &op, &r, err);
    if (rc == GW_ENOTFOUND) {
        if (err != NULL && err->status == 0)
            err->detail[0] = '\0';
        rc = 0;
    }
    buf_free(&r.body);
    return rc;
}

int
s3_presign_get(s3_client_t *c, const char *key, unsigned expires, time_t now, char *url,
               size_t url_size)
{
    char path[S3_PATH_MAX];
    int rc;

    if (url_size > 0)
        url[0] = '\0';
    if (build_path(&c->pub, key, path, sizeof(path)) < 0)
        return GW_EINVALID;
    rc = sigv4_presign_url(&c->cred, now, expires, "GET", c->pub.base, c->pub.host, path, url,
                           url_size);
    return rc < 0 ? GW_EINVALID : 0;
}
