/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench.c - a load generator for OCI registries (Berth's benchmark), in the spirit of
 * zot's zb. One process drives many keep-alive connections through libcurl's multi
 * interface (one multi handle per --threads thread).
 *
 *   bench --url http://127.0.0.1:PORT --repo bench/app --workload NAME
 *         [--concurrency 32] [--duration 10] [--threads 1] [--max-ops N] [--json]
 *         [--label NAME] [--setup] [--tags 100] [--rss-pid PID] [--user USER:PASSWORD]
 *         [--delete-pushed]
 *   bench --manifest-out FILE                 the fixture manifest's bytes (for nginx)
 *   bench --s3-put-200m [--json]              one signed 200 MiB PUT to S3 (BERTH_S3_* env)
 *   bench --exec-healthz URL [--json] -- CMD ARG...   ms from exec of CMD to URL 200
 *
 * Pull workloads read a fixture that --setup pushes through the registry API: six small
 * blobs, a config, a manifest tagged `latest` and tags t001..t099 on it. Its bytes are
 * fixed, so every registry and every run sees the same digests. Push workloads send
 * fresh content per blob: a shared random prefix plus a random 64-byte tail, so the
 * digest costs one SHA-256 context copy (the prefix is hashed once) and no two blobs
 * share a digest. One op is one request for pulls and one whole blob upload for pushes;
 * latency is per op, in a fixed log-linear histogram (16 buckets per power of two, us).
 * Every status is checked; errors are counted per status (0 = transport error), printed
 * loudly on stderr, and make the exit status 3. --user answers the registry's challenge
 * (a Docker bearer token for repository:REPO:pull,push, or Basic). hold-conns opens
 * --concurrency connections, holds them idle for --duration s, then checks they are
 * reused; --rss-pid samples that process's VmRSS peak (every 20 ms) during a run;
 * --delete-pushed deletes each pushed blob after its (timed) push, so that runs of large
 * blobs give their storage back.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HIST_SUB_BITS 4
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (64u * HIST_SUB)
#define STATUS_SLOTS 600
#define URL_MAX 2048
#define ORIGIN_MAX 256
#define DIGEST_MAX 80
#define SUFFIX_LEN 64
#define CHUNK_SIZE ((uint64_t)5 << 20)
#define FIXTURE_LAYERS 6
#define S3_PUT_SIZE ((size_t)200 << 20)
#define MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define ACCEPT_HDR "Accept: " MANIFEST_TYPE ", application/vnd.docker.distribution.manifest.v2+json"

typedef struct hist {
    uint64_t count[HIST_BUCKETS];
    uint64_t n;
    uint64_t max;
} hist_t;

typedef enum kind {
    K_MGET_TAG,
    K_MGET_DIGEST,
    K_MHEAD_TAG,
    K_MHEAD_DIGEST,
    K_BHEAD,
    K_BGET,
    K_TAGS,
    K_PUSH,
    K_MIXED,
    K_HOLD
} kind_t;

typedef enum phase { PH_ONE, PH_POST, PH_PATCH, PH_PUT, PH_DEL } phase_t;

typedef struct workload {
    const char *name;
    kind_t kind;
    uint64_t push_size;
    int chunked;
} workload_t;

static const workload_t WORKLOADS[] = {
    {"manifest-get-tag", K_MGET_TAG, 0, 0},
    {"manifest-get-digest", K_MGET_DIGEST, 0, 0},
    {"manifest-head-tag", K_MHEAD_TAG, 0, 0},
    {"manifest-head-digest", K_MHEAD_DIGEST, 0, 0},
    {"blob-head", K_BHEAD, 0, 0},
    {"blob-get", K_BGET, 0, 0},
    {"tag-list", K_TAGS, 0, 0},
    {"push-mono-1m", K_PUSH, (uint64_t)1 << 20, 0},
    {"push-mono-10m", K_PUSH, (uint64_t)10 << 20, 0},
    {"push-mono-100m", K_PUSH, (uint64_t)100 << 20, 0},
    {"push-chunked-1m", K_PUSH, (uint64_t)1 << 20, 1},
    {"push-chunked-10m", K_PUSH, (uint64_t)10 << 20, 1},
    {"push-chunked-100m", K_PUSH, (uint64_t)100 << 20, 1},
    {"push-mono-1g", K_PUSH, (uint64_t)1 << 30, 0},
    {"mixed", K_MIXED, (uint64_t)1 << 20, 0},
    {"hold-conns", K_HOLD, 0, 0},
};

typedef struct opts {
    const char *url;
    const char *repo;
    const char *workload;
    const char *label;
    const char *manifest_out;
    const char *healthz_url;
    const char *user;
    char **exec_argv;
    int concurrency;
    int threads;
    int tags;
    int json;
    int setup;
    int s3_put;
    int delete_pushed;
    long max_ops;
    double duration;
    double grace;
    long timeout_ms;
    pid_t rss_pid;
} opts_t;

typedef struct blob {
    unsigned char *data;
    size_t len;
    char digest[DIGEST_MAX];
} blob_t;

typedef struct fixture {
    blob_t blobs[FIXTURE_LAYERS + 1]; /* [0] is the config */
    char manifest[4096];
    size_t manifest_len;
    char manifest_digest[DIGEST_MAX];
} fixture_t;

typedef struct run {
    const opts_t *o;
    const workload_t *wl;
    const fixture_t *fx;
    char origin[ORIGIN_MAX];
    char url_mtag[URL_MAX];
    char url_mdigest[URL_MAX];
    char url_blob[URL_MAX];
    char url_tags[URL_MAX];
    char url_uploads[URL_MAX];
    char url_v2[URL_MAX];
    struct curl_slist *accept_hdrs; /* Accept (+ Authorization) for manifests */
    struct curl_slist *auth_hdrs;   /* Authorization alone, or NULL */
    char auth[4096];                /* "Authorization: ..." or empty */
    const unsigned char *base;      /* push content: shared prefix */
    EVP_MD_CTX *base_ctx;           /* SHA-256 state after the prefix */
    uint64_t t0, deadline, hard_deadline;
    atomic_long started;
    long max_ops;
    int second_round; /* hold-conns: the reuse check */
} run_t;

struct worker;

typedef struct slot {
    CURL *h;
    struct worker *w;
    kind_t kind;
    kind_t cfg_kind; /* pull request the handle is configured for, or K_PUSH */
    phase_t phase;
    int busy;
    uint64_t t_start;
    uint64_t size, off;
    uint64_t rd_pos, rd_end;
    uint64_t rx;
    unsigned char suffix[SUFFIX_LEN];
    char digest[DIGEST_MAX];
    char location[URL_MAX];
    char url[URL_MAX];
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hdrs;
} slot_t;

typedef struct worker {
    run_t *r;
    CURLM *m;
    slot_t *slots;
    int nslots;
    int active;
    int index;
    uint64_t rng;
    hist_t hist;
    uint64_t ops, errors, incomplete, http_reqs, bytes, redirects, direct, reused, connects;
    uint64_t status_err[STATUS_SLOTS];
    uint64_t last_done;
    char curl_err[CURL_ERROR_SIZE];
    pthread_t tid;
} worker_t;

typedef struct rss_sampler {
    pid_t pid;
    atomic_int stop;
    atomic_ulong peak_kib;
    pthread_t tid;
} rss_sampler_t;

/* ------------------------------------------------------------------ small helpers */

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void
fill_random(unsigned char *buf, size_t len, uint64_t seed)
{
    size_t i;

    for (i = 0; i + 8 <= len; i += 8) {
        uint64_t v = splitmix64(&seed);
        memcpy(buf + i, &v, 8);
    }
    for (; i < len; i++)
        buf[i] = (unsigned char)splitmix64(&seed);
}

static void
hex_digest(const unsigned char *md, unsigned len, char *out)
{
    static const char hx[] = "0123456789abcdef";
    unsigned i;

    memcpy(out, "sha256:", 7);
    for (i = 0; i < len; i++) {
        out[7 + 2 * i] = hx[md[i] >> 4];
        out[8 + 2 * i] = hx[md[i] & 15];
    }
    out[7 + 2 * len] = '\0';
}

static void
sha256_str(const void *data, size_t len, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    hex_digest(md, mdlen, out);
}

static void *
xmalloc(size_t n)
{
    void *p = malloc(n);

    if (p == NULL) {
        fprintf(stderr, "bench: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static int
hdr_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);

    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* Copies a header's value (trimmed) into out. */
static void
hdr_value(const char *line, size_t len, size_t name_len, char *out, size_t cap)
{
    size_t a = name_len + 1, b = len;

    while (a < b && (line[a] == ' ' || line[a] == '\t'))
        a++;
    while (b > a && (line[b - 1] == '\r' || line[b - 1] == '\n' || line[b - 1] == ' '))
        b--;
    if (b - a >= cap)
        b = a + cap - 1;
    memcpy(out, line + a, b - a);
    out[b - a] = '\0';
}

/* ------------------------------------------------------------------ histogram */

static unsigned
hist_index(uint64_t v)
{
    unsigned e, sub;

    if (v < HIST_SUB)
        return (unsigned)v;
    e = 63u - (unsigned)__builtin_clzll(v);
    sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1);
    return (e - HIST_SUB_BITS + 1) * HIST_SUB + sub;
}

/* Midpoint of bucket idx. */
static double
hist_value(unsigned idx)
{
    unsigned e, sub;
    uint64_t width;

    if (idx < HIST_SUB)
        return idx;
    e = idx / HIST_SUB + HIST_SUB_BITS - 1;
    sub = idx % HIST_SUB;
    width = (uint64_t)1 << (e - HIST_SUB_BITS);
    return (double)((HIST_SUB + sub) * width) + (double)width / 2.0;
}

static void
hist_add(hist_t *h, uint64_t us)
{
    h->count[hist_index(us)]++;
    h->n++;
    if (us > h->max)
        h->max = us;
}

static void
hist_merge(hist_t *dst, const hist_t *src)
{
    unsigned i;

    for (i = 0; i < HIST_BUCKETS; i++)
        dst->count[i] += src->count[i];
    dst->n += src->n;
    if (src->max > dst->max)
        dst->max = src->max;
}

/* Percentile q (0..1) in milliseconds. */
static double
hist_pct_ms(const hist_t *h, double q)
{
    uint64_t want, cum = 0;
    unsigned i;

    if (h->n == 0)
        return 0.0;
    want = (uint64_t)(q * (double)h->n + 0.999999);
    if (want == 0)
        want = 1;
    for (i = 0; i < HIST_BUCKETS; i++) {
        cum += h->count[i];
        if (cum >= want) {
            double v = hist_value(i);
            return (v > (double)h->max ? (double)h->max : v) / 1000.0;
        }
    }
    return (double)h->max / 1000.0;
}

/* ------------------------------------------------------------------ fixture */

static void
blob_make(blob_t *b, const void *data, size_t len)
{
    b->data = xmalloc(len);
    memcpy(b->data, data, len);
    b->len = len;
    sha256_str(b->data, len, b->digest);
}

static size_t
descriptor(char *out, size_t cap, const char *type, const blob_t *b)
{
    int n = snprintf(out, cap, "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}", type,
                     b->digest, b->len);

    return n < 0 ? 0 : (size_t)n;
}

static void
fixture_manifest(fixture_t *fx)
{
    char *p = fx->manifest;
    size_t cap = sizeof(fx->manifest), n;
    int i;

    n = (size_t)snprintf(p, cap,
                         "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":", MANIFEST_TYPE);
    n += descriptor(p + n, cap - n, "application/vnd.oci.image.config.v1+json", &fx->blobs[0]);
    n += (size_t)snprintf(p + n, cap - n, ",\"layers\":[");
    for (i = 1; i <= FIXTURE_LAYERS; i++) {
        if (i > 1)
            p[n++] = ',';
        n += descriptor(p + n, cap - n, "application/vnd.oci.image.layer.v1.tar+gzip",
                        &fx->blobs[i]);
    }
    n += (size_t)snprintf(p + n, cap - n,
                          "],\"annotations\":{\"org.opencontainers.image.title\":"
                          "\"berth-bench fixture\"}}");
    fx->manifest_len = n;
    sha256_str(fx->manifest, n, fx->manifest_digest);
}

static void
fixture_init(fixture_t *fx)
{
    static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                                 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    unsigned char buf[65536];
    int i;

    blob_make(&fx->blobs[0], config, sizeof(config) - 1);
    for (i = 1; i <= FIXTURE_LAYERS; i++) {
        size_t len = (size_t)1024 << (i - 1); /* 1 KiB .. 32 KiB */
        fill_random(buf, len, 0xbe27b00000ull + (uint64_t)i);
        blob_make(&fx->blobs[i], buf, len);
    }
    fixture_manifest(fx);
}

/* ------------------------------------------------------------------ curl callbacks */

static size_t
slot_header_cb(char *line, size_t size, size_t nmemb, void *arg)
{
    slot_t *s = arg;
    size_t len = size * nmemb;

    if (hdr_is(line, len, "Location"))
        hdr_value(line, len, 8, s->location, sizeof(s->location));
    return len;
}

static size_t
slot_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    slot_t *s = arg;

    (void)data;
    s->rx += size * nmemb;
    return size * nmemb;
}

/* Body bytes of a push blob: the shared prefix, then this blob's random tail. */
static size_t
slot_read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    slot_t *s = arg;
    const run_t *r = s->w->r;
    uint64_t split = s->size - SUFFIX_LEN;
    size_t want = size * nmemb, done = 0;

    while (done < want && s->rd_pos < s->rd_end) {
        uint64_t pos = s->rd_pos, lim = pos < split && split < s->rd_end ? split : s->rd_end;
        size_t n = lim - pos < want - done ? (size_t)(lim - pos) : want - done;
        if (pos < split)
            memcpy(buf + done, r->base + pos, n);
        else
            memcpy(buf + done, s->suffix + (pos - split), n);
        done += n;
        s->rd_pos += n;
    }
    return done;
}

/* ------------------------------------------------------------------ request setup */

static void
slot_reset(slot_t *s, const char *url)
{
    CURL *h = s->h;

    curl_easy_reset(h);
    curl_slist_free_all(s->hdrs);
    s->hdrs = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, slot_header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, slot_write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->w->r->o->timeout_ms);
}

static const char *
pull_url(const run_t *r, kind_t k)
{
    switch (k) {
    case K_MGET_TAG:
    case K_MHEAD_TAG:
        return r->url_mtag;
    case K_MGET_DIGEST:
    case K_MHEAD_DIGEST:
        return r->url_mdigest;
    case K_BHEAD:
    case K_BGET:
        return r->url_blob;
    case K_TAGS:
        return r->url_tags;
    default:
        return r->url_v2;
    }
}

static void
pull_configure(slot_t *s, kind_t k)
{
    const run_t *r = s->w->r;

    slot_reset(s, pull_url(r, k));
    if (k == K_MHEAD_TAG || k == K_MHEAD_DIGEST || k == K_BHEAD)
        curl_easy_setopt(s->h, CURLOPT_NOBODY, 1L);
    if (k <= K_MHEAD_DIGEST)
        curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, r->accept_hdrs);
    else if (r->auth_hdrs != NULL)
        curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, r->auth_hdrs);
    s->cfg_kind = k;
}

/* Upload URL from the last Location (absolute or absolute-path), with ?digest= if asked. */
static int
upload_url(slot_t *s, int with_digest)
{
    const char *loc = s->location;
    const char *pre =
        strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0 ? "" : s->w->r->origin;
    const char *sep = strchr(loc, '?') != NULL ? "&" : "?";
    int n;

    if (loc[0] == '\0')
        return -1;
    if (with_digest)
        n = snprintf(s->url, sizeof(s->url), "%s%s%sdigest=%s", pre, loc, sep, s->digest);
    else
        n = snprintf(s->url, sizeof(s->url), "%s%s", pre, loc);
    return n > 0 && (size_t)n < sizeof(s->url) ? 0 : -1;
}

static void
upload_body(slot_t *s, const char *method, uint64_t from, uint64_t to)
{
    CURL *h = s->h;

    s->rd_pos = from;
    s->rd_end = to;
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    if (strcmp(method, "PUT") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(to - from));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, slot_read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, s);
    s->hdrs = curl_slist_append(s->hdrs, "Content-Type: application/octet-stream");
    s->hdrs = curl_slist_append(s->hdrs, "Expect:");
}

/* ------------------------------------------------------------------ ops */

static void
add_handle(slot_t *s)
{
    s->location[0] = '\0';
    s->errbuf[0] = '\0';
    s->rx = 0;
    curl_multi_add_handle(s->w->m, s->h);
}

static void
push_post(slot_t *s)
{
    const run_t *r = s->w->r;

    slot_reset(s, r->url_uploads);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, 0L);
    s->hdrs = curl_slist_append(s->hdrs, "Content-Type:");
    if (r->auth[0] != '\0')
        s->hdrs = curl_slist_append(s->hdrs, r->auth);
    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdrs);
    s->cfg_kind = K_PUSH;
    s->phase = PH_POST;
    add_handle(s);
}

static void
push_begin(slot_t *s)
{
    worker_t *w = s->w;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0, i;
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    s->size = w->r->wl->push_size;
    s->off = 0;
    for (i = 0; i < SUFFIX_LEN; i += 8) {
        uint64_t v = splitmix64(&w->rng);
        memcpy(s->suffix + i, &v, 8);
    }
    EVP_MD_CTX_copy_ex(c, w->r->base_ctx);
    EVP_DigestUpdate(c, s->suffix, SUFFIX_LEN);
    EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    hex_digest(md, mdlen, s->digest);
    push_post(s);
}

/* --delete-pushed: DELETE the blob just pushed (not timed), so big runs free their bytes. */
static void
push_delete(slot_t *s)
{
    const run_t *r = s->w->r;

    snprintf(s->url, sizeof(s->url), "%s/v2/%s/blobs/%s", r->origin, r->o->repo, s->digest);
    slot_reset(s, s->url);
    curl_easy_setopt(s->h, CURLOPT_CUSTOMREQUEST, "DELETE");
    if (r->auth_hdrs != NULL)
        curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, r->auth_hdrs);
    s->phase = PH_DEL;
    add_handle(s);
}

/* After a successful POST or PATCH: the next PATCH, or the closing PUT. */
static int
push_next(slot_t *s)
{
    int chunked = s->w->r->wl->chunked && s->kind == K_PUSH;
    char range[64];

    if (chunked && s->off < s->size) {
        uint64_t end = s->off + CHUNK_SIZE < s->size ? s->off + CHUNK_SIZE : s->size;
        if (upload_url(s, 0) != 0)
            return -1;
        slot_reset(s, s->url);
        upload_body(s, "PATCH", s->off, end);
        snprintf(range, sizeof(range), "Content-Range: %" PRIu64 "-%" PRIu64, s->off, end - 1);
        s->hdrs = curl_slist_append(s->hdrs, range);
        s->off = end;
        s->phase = PH_PATCH;
    } else {
        if (upload_url(s, 1) != 0)
            return -1;
        slot_reset(s, s->url);
        upload_body(s, "PUT", chunked ? s->size : 0, s->size);
        s->phase = PH_PUT;
    }
    if (s->w->r->auth[0] != '\0')
        s->hdrs = curl_slist_append(s->hdrs, s->w->r->auth);
    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdrs);
    add_handle(s);
    return 0;
}

static kind_t
pick_kind(worker_t *w)
{
    unsigned r;

    if (w->r->wl->kind != K_MIXED)
        return w->r->wl->kind;
    r = (unsigned)(splitmix64(&w->rng) % 100);
    return r < 45 ? K_MGET_TAG : r < 90 ? K_BHEAD : K_PUSH;
}

static int
may_start(worker_t *w, uint64_t t)
{
    run_t *r = w->r;

    if (t >= r->deadline)
        return 0;
    return r->max_ops <= 0 || atomic_fetch_add(&r->started, 1) < r->max_ops;
}

static void
op_start(slot_t *s)
{
    worker_t *w = s->w;
    uint64_t t = now_ns();

    if (!may_start(w, t)) {
        s->busy = 0;
        w->active--;
        return;
    }
    s->t_start = t;
    s->kind = pick_kind(w);
    if (s->kind == K_PUSH) {
        push_begin(s);
        return;
    }
    if (s->cfg_kind != s->kind)
        pull_configure(s, s->kind);
    s->phase = PH_ONE;
    add_handle(s);
}

static int
status_ok(slot_t *s, long code)
{
    switch (s->phase) {
    case PH_POST:
    case PH_PATCH:
        return code == 202;
    case PH_PUT:
        return code == 201;
    case PH_DEL:
        return code == 202;
    default:
        if (s->kind == K_BGET || s->kind == K_BHEAD)
            return code == 307 || code == 200;
        return code == 200;
    }
}

static void
op_fail(slot_t *s, long code, CURLcode rc)
{
    worker_t *w = s->w;

    w->errors++;
    if (code < 0 || code >= STATUS_SLOTS)
        code = STATUS_SLOTS - 1;
    w->status_err[code]++;
    if (rc != CURLE_OK && w->curl_err[0] == '\0')
        snprintf(w->curl_err, sizeof(w->curl_err), "%s",
                 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
    if (rc == CURLE_OK && code != 0 && s->phase != PH_ONE && s->location[0] == '\0' &&
        (code == 202 || code == 201) && w->curl_err[0] == '\0')
        snprintf(w->curl_err, sizeof(w->curl_err), "%ld without Location", code);
}

static void
op_success(slot_t *s, long code)
{
    worker_t *w = s->w;
    uint64_t t = now_ns();

    hist_add(&w->hist, (t - s->t_start) / 1000u);
    w->ops++;
    w->bytes += s->kind == K_PUSH ? s->size : s->rx;
    w->last_done = t;
    if ((s->kind == K_BGET || s->kind == K_BHEAD) && code == 307)
        w->redirects++;
    else if (s->kind == K_BGET || s->kind == K_BHEAD)
        w->direct++;
}

static void
on_done(slot_t *s, CURLcode rc)
{
    worker_t *w = s->w;
    long code = 0, conns = 0;

    w->http_reqs++;
    curl_multi_remove_handle(w->m, s->h);
    curl_easy_getinfo(s->h, CURLINFO_NUM_CONNECTS, &conns);
    w->connects += (uint64_t)conns;
    if (rc == CURLE_OK)
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK || !status_ok(s, code)) {
        op_fail(s, code, rc);
        op_start(s);
        return;
    }
    if (s->phase == PH_POST || s->phase == PH_PATCH) {
        if (push_next(s) != 0) {
            op_fail(s, code, rc);
            op_start(s);
        }
        return;
    }
    if (s->kind == K_HOLD && w->r->second_round && conns == 0)
        w->reused++;
    if (s->phase != PH_DEL)
        op_success(s, code);
    if (s->phase == PH_PUT && w->r->o->delete_pushed)
        push_delete(s);
    else
        op_start(s);
}

/* ------------------------------------------------------------------ worker loop */

static void
drain(worker_t *w)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(w->m, &left)) != NULL) {
        CURL *h = msg->easy_handle;
        CURLcode rc = msg->data.result;
        char *p = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, &p);
        on_done((slot_t *)(void *)p, rc);
    }
}

static void
abort_all(worker_t *w)
{
    int i;

    for (i = 0; i < w->nslots; i++) {
        slot_t *s = &w->slots[i];
        if (!s->busy)
            continue;
        curl_multi_remove_handle(w->m, s->h);
        s->busy = 0;
        w->incomplete++;
    }
    w->active = 0;
}

static void
worker_round(worker_t *w)
{
    int i, running;

    for (i = 0; i < w->nslots; i++) {
        w->slots[i].busy = 1;
        w->active++;
        op_start(&w->slots[i]);
    }
    while (w->active > 0) {
        curl_multi_perform(w->m, &running);
        drain(w);
        if (w->active == 0)
            break;
        if (now_ns() >= w->r->hard_deadline) {
            abort_all(w);
            break;
        }
        curl_multi_poll(w->m, NULL, 0, 50, NULL);
    }
}

static void *
worker_main(void *arg)
{
    worker_round(arg);
    return NULL;
}

static void
worker_init(worker_t *w, run_t *r, int index, int nslots)
{
    int i;

    memset(w, 0, sizeof(*w));
    w->r = r;
    w->index = index;
    w->nslots = nslots;
    w->rng = now_ns() ^ ((uint64_t)getpid() << 32) ^ ((uint64_t)index * 0x9e3779b97f4a7c15ull);
    w->m = curl_multi_init();
    curl_multi_setopt(w->m, CURLMOPT_MAXCONNECTS, (long)nslots);
    w->slots = calloc((size_t)nslots, sizeof(slot_t));
    if (w->m == NULL || w->slots == NULL) {
        fprintf(stderr, "bench: cannot set up worker %d\n", index);
        exit(2);
    }
    for (i = 0; i < nslots; i++) {
        w->slots[i].w = w;
        w->slots[i].h = curl_easy_init();
        w->slots[i].cfg_kind = K_HOLD + 1;
        if (w->slots[i].h == NULL)
            exit(2);
    }
}

static void
worker_free(worker_t *w)
{
    int i;

    for (i = 0; i < w->nslots; i++) {
        curl_easy_cleanup(w->slots[i].h);
        curl_slist_free_all(w->slots[i].hdrs);
    }
    free(w->slots);
    curl_multi_cleanup(w->m);
}

/* ------------------------------------------------------------------ RSS sampling */

static unsigned long
read_rss_kib(pid_t pid)
{
    char path[64], line[256];
    unsigned long kib = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtoul(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

static void *
rss_main(void *arg)
{
    rss_sampler_t *rs = arg;
    struct timespec ts = {0, 20 * 1000 * 1000};

    while (!atomic_load(&rs->stop)) {
        unsigned long kib = read_rss_kib(rs->pid);
        if (kib > atomic_load(&rs->peak_kib))
            atomic_store(&rs->peak_kib, kib);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void
rss_start(rss_sampler_t *rs, pid_t pid)
{
    rs->pid = pid;
    atomic_store(&rs->stop, 0);
    atomic_store(&rs->peak_kib, read_rss_kib(pid));
    if (pid > 0)
        pthread_create(&rs->tid, NULL, rss_main, rs);
}

static void
rss_stop(rss_sampler_t *rs)
{
    if (rs->pid <= 0 || atomic_load(&rs->stop))
        return;
    atomic_store(&rs->stop, 1);
    pthread_join(rs->tid, NULL);
}

/* ------------------------------------------------------------------ run setup */

static int
run_urls(run_t *r)
{
    const opts_t *o = r->o;
    const char *p = strstr(o->url, "://");
    size_t n = p == NULL ? 0 : strcspn(p + 3, "/") + (size_t)(p + 3 - o->url);

    if (p == NULL || n >= sizeof(r->origin) || strlen(o->repo) > 255) {
        fprintf(stderr, "bench: --url must look like http://host:port, --repo be short\n");
        return -1;
    }
    memcpy(r->origin, o->url, n);
    r->origin[n] = '\0';
    snprintf(r->url_mtag, URL_MAX, "%s/v2/%s/manifests/latest", r->origin, o->repo);
    snprintf(r->url_mdigest, URL_MAX, "%s/v2/%s/manifests/%s", r->origin, o->repo,
             r->fx->manifest_digest);
    snprintf(r->url_blob, URL_MAX, "%s/v2/%s/blobs/%s", r->origin, o->repo, r->fx->blobs[1].digest);
    snprintf(r->url_tags, URL_MAX, "%s/v2/%s/tags/list", r->origin, o->repo);
    snprintf(r->url_uploads, URL_MAX, "%s/v2/%s/blobs/uploads/", r->origin, o->repo);
    snprintf(r->url_v2, URL_MAX, "%s/v2/", r->origin);
    return 0;
}

/* Shared header lists, once the Authorization header (if any) is known. */
static void
run_headers(run_t *r)
{
    r->accept_hdrs = curl_slist_append(NULL, ACCEPT_HDR);
    if (r->auth[0] != '\0') {
        r->accept_hdrs = curl_slist_append(r->accept_hdrs, r->auth);
        r->auth_hdrs = curl_slist_append(NULL, r->auth);
    }
}

/* Push content: one random prefix for all blobs, hashed once. */
static void
run_push_content(run_t *r)
{
    uint64_t size = r->wl->push_size;
    unsigned char *base;

    if (size == 0)
        return;
    base = xmalloc((size_t)size);
    fill_random(base, (size_t)size, now_ns());
    r->base = base;
    r->base_ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(r->base_ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(r->base_ctx, base, (size_t)(size - SUFFIX_LEN));
}

static const workload_t *
find_workload(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(WORKLOADS) / sizeof(WORKLOADS[0]); i++)
        if (strcmp(WORKLOADS[i].name, name) == 0)
            return &WORKLOADS[i];
    return NULL;
}

/* ------------------------------------------------------------------ fixture setup */

typedef struct sync_xfer {
    const char *body;
    size_t len, pos;
    char location[URL_MAX];
    char challenge[URL_MAX];
    char resp[8192];
    size_t resp_len;
} sync_xfer_t;

static size_t
sync_read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    sync_xfer_t *x = arg;
    size_t n = size * nmemb;

    if (n > x->len - x->pos)
        n = x->len - x->pos;
    memcpy(buf, x->body + x->pos, n);
    x->pos += n;
    return n;
}

static size_t
sync_header_cb(char *line, size_t size, size_t nmemb, void *arg)
{
    sync_xfer_t *x = arg;
    size_t len = size * nmemb;

    if (hdr_is(line, len, "Location"))
        hdr_value(line, len, 8, x->location, sizeof(x->location));
    if (hdr_is(line, len, "WWW-Authenticate"))
        hdr_value(line, len, 16, x->challenge, sizeof(x->challenge));
    return len;
}

static size_t
sync_keep_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    sync_xfer_t *x = arg;
    size_t n = size * nmemb;

    if (n > sizeof(x->resp) - 1 - x->resp_len)
        n = sizeof(x->resp) - 1 - x->resp_len;
    memcpy(x->resp + x->resp_len, data, n);
    x->resp_len += n;
    x->resp[x->resp_len] = '\0';
    return size * nmemb;
}

static size_t
sync_discard_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

/* One synchronous request; returns the status (0 on transport error). */
static long
sync_req(CURL *h, const run_t *r, const char *method, const char *url, const void *body, size_t len,
         const char *ctype, sync_xfer_t *x)
{
    struct curl_slist *hd = NULL;
    char ct[160];
    long code = 0;

    memset(x, 0, sizeof(*x));
    x->body = body;
    x->len = len;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, sync_header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sync_keep_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, sync_read_cb);
        curl_easy_setopt(h, CURLOPT_READDATA, x);
        snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "application/octet-stream");
        hd = curl_slist_append(hd, ct);
        hd = curl_slist_append(hd, "Expect:");
    }
    hd = curl_slist_append(hd, ACCEPT_HDR);
    if (r->auth[0] != '\0')
        hd = curl_slist_append(hd, r->auth);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hd);
    return code;
}

static int
setup_fail(const char *what, long code)
{
    fprintf(stderr, "bench: setup: %s failed: HTTP %ld\n", what, code);
    return -1;
}

/* Pushes one blob unless the registry has it: HEAD, else POST and one PUT. */
static int
setup_blob(CURL *h, const run_t *r, const blob_t *b, int *pushed)
{
    char url[URL_MAX * 2];
    sync_xfer_t x;
    long code;

    snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", r->origin, r->o->repo, b->digest);
    if (sync_req(h, r, "HEAD", url, NULL, 0, NULL, &x) == 200)
        return 0;
    code = sync_req(h, r, "POST", r->url_uploads, "", 0, NULL, &x);
    if (code != 202 || x.location[0] == '\0')
        return setup_fail("blob upload POST", code);
    snprintf(url, sizeof(url), "%s%s%sdigest=%s", x.location[0] == '/' ? r->origin : "", x.location,
             strchr(x.location, '?') ? "&" : "?", b->digest);
    code = sync_req(h, r, "PUT", url, b->data, b->len, NULL, &x);
    if (code != 201)
        return setup_fail("blob upload PUT", code);
    (*pushed)++;
    return 0;
}

static int
setup_tag(CURL *h, const run_t *r, const char *tag)
{
    char url[URL_MAX * 2];
    sync_xfer_t x;
    long code;

    snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", r->origin, r->o->repo, tag);
    code = sync_req(h, r, "PUT", url, r->fx->manifest, r->fx->manifest_len, MANIFEST_TYPE, &x);
    if (code != 201) {
        fprintf(stderr, "bench: setup: manifest PUT %s: HTTP %ld\n", tag, code);
        return -1;
    }
    return 0;
}

static int
do_setup(const run_t *r)
{
    CURL *h = curl_easy_init();
    int i, pushed = 0, rc = 0;
    char tag[32];
    uint64_t t = now_ns();

    for (i = 0; i <= FIXTURE_LAYERS && rc == 0; i++)
        rc = setup_blob(h, r, &r->fx->blobs[i], &pushed);
    if (rc == 0)
        rc = setup_tag(h, r, "latest");
    for (i = 1; i < r->o->tags && rc == 0; i++) {
        snprintf(tag, sizeof(tag), "t%03d", i);
        rc = setup_tag(h, r, tag);
    }
    curl_easy_cleanup(h);
    if (rc == 0)
        fprintf(stderr, "bench: setup %s/%s: %d blobs pushed, %d tags, manifest %s (%.1f s)\n",
                r->origin, r->o->repo, pushed, r->o->tags, r->fx->manifest_digest,
                (double)(now_ns() - t) / 1e9);
    return rc;
}

/* ------------------------------------------------------------------ authentication */

/* Copies the quoted value of key="..." in a challenge into out. */
static int
challenge_param(const char *ch, const char *key, char *out, size_t cap)
{
    char pat[32];
    const char *p, *e;

    snprintf(pat, sizeof(pat), "%s=\"", key);
    p = strstr(ch, pat);
    if (p == NULL)
        return -1;
    p += strlen(pat);
    e = strchr(p, '"');
    if (e == NULL || (size_t)(e - p) >= cap)
        return -1;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return 0;
}

static int
auth_basic(run_t *r)
{
    unsigned char b64[1024];
    size_t n = strlen(r->o->user);

    if (n > 700)
        return -1;
    EVP_EncodeBlock(b64, (const unsigned char *)r->o->user, (int)n);
    snprintf(r->auth, sizeof(r->auth), "Authorization: Basic %s", (const char *)b64);
    return 0;
}

/* Docker token flow: GET realm?service=&scope=repository:REPO:pull,push with Basic. */
static int
auth_bearer(run_t *r, CURL *h, const char *challenge)
{
    char realm[URL_MAX], service[256] = "", url[URL_MAX * 2];
    sync_xfer_t *x = calloc(1, sizeof(*x));
    const char *p, *e;
    long code;

    if (x == NULL || challenge_param(challenge, "realm", realm, sizeof(realm)) != 0)
        return -1;
    challenge_param(challenge, "service", service, sizeof(service));
    snprintf(url, sizeof(url), "%s?service=%s&scope=repository:%s:pull,push%s", realm, service,
             r->o->repo, r->o->delete_pushed ? ",delete" : "");
    auth_basic(r);
    code = sync_req(h, r, "GET", url, NULL, 0, NULL, x);
    r->auth[0] = '\0';
    p = strstr(x->resp, "\"token\"");
    p = p ? strchr(p + 7, '"') : NULL;
    e = p ? strchr(p + 1, '"') : NULL;
    if (code != 200 || e == NULL || (size_t)(e - p) > sizeof(r->auth) - 32) {
        fprintf(stderr, "bench: token request to %s: HTTP %ld\n", realm, code);
        free(x);
        return -1;
    }
    snprintf(r->auth, sizeof(r->auth), "Authorization: Bearer %.*s", (int)(e - p - 1), p + 1);
    free(x);
    return 0;
}

/* With --user: answer the registry's challenge on GET /v2/ (Bearer token or Basic). */
static int
auth_login(run_t *r)
{
    CURL *h = curl_easy_init();
    sync_xfer_t *x = calloc(1, sizeof(*x));
    long code;
    int rc = 0;

    if (h == NULL || x == NULL)
        exit(2);
    code = sync_req(h, r, "GET", r->url_v2, NULL, 0, NULL, x);
    if (code == 401 && strncasecmp(x->challenge, "Bearer", 6) == 0)
        rc = auth_bearer(r, h, x->challenge);
    else if (code == 401)
        rc = auth_basic(r);
    else if (code != 200)
        rc = setup_fail("GET /v2/", code);
    curl_easy_cleanup(h);
    free(x);
    return rc;
}

/* ------------------------------------------------------------------ reporting */

typedef struct totals {
    hist_t hist;
    uint64_t ops, errors, incomplete, http_reqs, bytes, redirects, direct, reused, connects;
    uint64_t status_err[STATUS_SLOTS];
    uint64_t last_done;
    double elapsed;
    unsigned long rss_peak_kib;
    char curl_err[CURL_ERROR_SIZE];
} totals_t;

static void
totals_add(totals_t *t, const worker_t *w)
{
    int i;

    hist_merge(&t->hist, &w->hist);
    t->ops += w->ops;
    t->errors += w->errors;
    t->incomplete += w->incomplete;
    t->http_reqs += w->http_reqs;
    t->bytes += w->bytes;
    t->redirects += w->redirects;
    t->direct += w->direct;
    t->reused += w->reused;
    t->connects += w->connects;
    for (i = 0; i < STATUS_SLOTS; i++)
        t->status_err[i] += w->status_err[i];
    if (w->last_done > t->last_done)
        t->last_done = w->last_done;
    if (t->curl_err[0] == '\0' && w->curl_err[0] != '\0')
        memcpy(t->curl_err, w->curl_err, sizeof(t->curl_err));
}

static void
print_statuses(FILE *f, const totals_t *t, const char *fmt_sep, int json)
{
    int i, first = 1;

    for (i = 0; i < STATUS_SLOTS; i++) {
        if (t->status_err[i] == 0)
            continue;
        if (json)
            fprintf(f, "%s\"%d\":%" PRIu64, first ? "" : ",", i, t->status_err[i]);
        else
            fprintf(f, "%s%dx%" PRIu64, first ? "" : fmt_sep, i, t->status_err[i]);
        first = 0;
    }
}

static void
print_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void
report_json(const run_t *r, const totals_t *t)
{
    const opts_t *o = r->o;

    printf("{\"label\":");
    print_json_str(stdout, o->label);
    printf(",\"workload\":\"%s\",\"url\":", r->wl->name);
    print_json_str(stdout, o->url);
    printf(",\"concurrency\":%d,\"threads\":%d,\"elapsed_s\":%.3f,\"ops\":%" PRIu64
           ",\"http_requests\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"incomplete\":%" PRIu64
           ",\"error_status\":{",
           o->concurrency, o->threads, t->elapsed, t->ops, t->http_reqs, t->errors, t->incomplete);
    print_statuses(stdout, t, ",", 1);
    printf("},\"curl_error\":");
    print_json_str(stdout, t->curl_err);
    printf(",\"ops_per_s\":%.1f,\"mb_per_s\":%.2f,\"p50_ms\":%.3f,\"p90_ms\":%.3f"
           ",\"p99_ms\":%.3f,\"max_ms\":%.3f,\"bytes\":%" PRIu64 ",\"connections\":%" PRIu64,
           (double)t->ops / t->elapsed, (double)t->bytes / t->elapsed / 1e6,
           hist_pct_ms(&t->hist, 0.5), hist_pct_ms(&t->hist, 0.9), hist_pct_ms(&t->hist, 0.99),
           (double)t->hist.max / 1000.0, t->bytes, t->connects);
    if (t->redirects + t->direct > 0)
        printf(",\"blob_status\":{\"redirect_307\":%" PRIu64 ",\"direct_200\":%" PRIu64 "}",
               t->redirects, t->direct);
    if (r->wl->kind == K_HOLD)
        printf(",\"reused_after_hold\":%" PRIu64, t->reused);
    if (o->rss_pid > 0)
        printf(",\"rss_peak_kib\":%lu", t->rss_peak_kib);
    printf("}\n");
}

static void
report_row(const run_t *r, const totals_t *t)
{
    fprintf(stderr, "%-12s %-20s %9s %7s %10s %9s %8s %8s %8s\n", "label", "workload", "ops",
            "errors", "req/s", "MB/s", "p50ms", "p90ms", "p99ms");
    printf("%-12s %-20s %9" PRIu64 " %7" PRIu64 " %10.1f %9.2f %8.2f %8.2f %8.2f", r->o->label,
           r->wl->name, t->ops, t->errors, (double)t->ops / t->elapsed,
           (double)t->bytes / t->elapsed / 1e6, hist_pct_ms(&t->hist, 0.5),
           hist_pct_ms(&t->hist, 0.9), hist_pct_ms(&t->hist, 0.99));
    if (t->redirects + t->direct > 0)
        printf("  307x%" PRIu64 " 200x%" PRIu64, t->redirects, t->direct);
    if (r->wl->kind == K_HOLD)
        printf("  reused=%" PRIu64 "/%d", t->reused, r->o->concurrency);
    if (r->o->rss_pid > 0)
        printf("  rss_peak=%.1fMiB", (double)t->rss_peak_kib / 1024.0);
    if (t->incomplete)
        printf("  incomplete=%" PRIu64, t->incomplete);
    if (t->errors) {
        printf("  ERRORS ");
        print_statuses(stdout, t, ",", 0);
    }
    printf("\n");
}

static void
report_errors(const run_t *r, const totals_t *t)
{
    if (t->errors == 0)
        return;
    fprintf(stderr,
            "\nbench: !!! %s %s: %" PRIu64 " ERRORS of %" PRIu64 " requests (status: ", r->o->label,
            r->wl->name, t->errors, t->http_reqs);
    print_statuses(stderr, t, ", ", 0);
    fprintf(stderr, ")%s%s !!!\n\n", t->curl_err[0] ? "; first: " : "", t->curl_err);
}

/* ------------------------------------------------------------------ workload run */

static void
run_threads(worker_t *ws, int n)
{
    int i;

    for (i = 0; i < n; i++)
        pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]);
    for (i = 0; i < n; i++)
        pthread_join(ws[i].tid, NULL);
}

/* hold-conns: open `concurrency` keep-alive connections with GET /v2/, hold them idle for
 * --duration seconds (RSS sampled then), then check each is reused by a second GET. */
static void
run_hold(run_t *r, worker_t *w, rss_sampler_t *rs)
{
    struct timespec ts;
    double d = r->o->duration;

    r->max_ops = r->o->concurrency;
    r->deadline = r->hard_deadline = now_ns() + (uint64_t)60 * 1000000000u;
    worker_round(w);
    atomic_store(&rs->peak_kib, read_rss_kib(rs->pid));
    ts.tv_sec = (time_t)d;
    ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    r->second_round = 1;
    atomic_store(&r->started, 0);
    rss_stop(rs);
    worker_round(w);
}

static int
run_workload(run_t *r)
{
    const opts_t *o = r->o;
    int nt = r->wl->kind == K_HOLD ? 1 : o->threads, i;
    worker_t *ws = calloc((size_t)nt, sizeof(worker_t));
    totals_t *t = calloc(1, sizeof(totals_t));
    rss_sampler_t rs = {0};

    if (ws == NULL || t == NULL)
        exit(2);
    for (i = 0; i < nt; i++)
        worker_init(&ws[i], r, i, o->concurrency / nt + (i < o->concurrency % nt));
    r->max_ops = o->max_ops;
    rss_start(&rs, o->rss_pid);
    r->t0 = now_ns();
    r->deadline = r->t0 + (uint64_t)(o->duration * 1e9);
    r->hard_deadline = r->deadline + (uint64_t)(o->grace * 1e9);
    if (r->wl->kind == K_HOLD)
        run_hold(r, &ws[0], &rs);
    else
        run_threads(ws, nt);
    rss_stop(&rs);
    for (i = 0; i < nt; i++) {
        totals_add(t, &ws[i]);
        worker_free(&ws[i]);
    }
    t->elapsed = (double)((t->last_done > r->t0 ? t->last_done : now_ns()) - r->t0) / 1e9;
    if (t->elapsed <= 0)
        t->elapsed = 1e-9;
    t->rss_peak_kib = atomic_load(&rs.peak_kib);
    if (o->json)
        report_json(r, t);
    else
        report_row(r, t);
    fflush(stdout);
    report_errors(r, t);
    i = t->errors ? 3 : 0;
    free(ws);
    free(t);
    return i;
}

/* ------------------------------------------------------------------ extra modes */

static int
mode_manifest_out(const fixture_t *fx, const char *path)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(fx->manifest, 1, fx->manifest_len, f) != fx->manifest_len) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return 2;
    }
    fclose(f);
    printf("%s\n", fx->manifest_digest);
    return 0;
}

typedef struct buf_reader {
    const unsigned char *data;
    size_t len, pos;
} buf_reader_t;

static size_t
buf_read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    buf_reader_t *b = arg;
    size_t n = size * nmemb;

    if (n > b->len - b->pos)
        n = b->len - b->pos;
    memcpy(buf, b->data + b->pos, n);
    b->pos += n;
    return n;
}

static const char *
need_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || *v == '\0') {
        fprintf(stderr, "bench: --s3-put-200m needs %s in the environment\n", name);
        exit(2);
    }
    return v;
}

/* Sets up h for one SigV4-signed PUT of b to the S3 object at url. */
static struct curl_slist *
s3_put_setup(CURL *h, const char *url, buf_reader_t *b, char *errbuf)
{
    const char *region = getenv("BERTH_S3_REGION") ? getenv("BERTH_S3_REGION") : "us-east-1";
    const char *ak = need_env("BERTH_S3_ACCESS_KEY"), *sk = need_env("BERTH_S3_SECRET_KEY");
    char sig[128], user[512];
    struct curl_slist *hd = NULL;

    snprintf(sig, sizeof(sig), "aws:amz:%s:s3", region);
    snprintf(user, sizeof(user), "%s:%s", ak, sk);
    /* No "Expect:" override here: libcurl 7.88 would sign the empty header it then omits.
     * It signs an empty payload's hash unless told: S3 needs this header. */
    hd = curl_slist_append(hd, "Content-Type: application/octet-stream");
    hd = curl_slist_append(hd, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)b->len);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, buf_read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, b);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sig); /* libcurl copies string options */
    curl_easy_setopt(h, CURLOPT_USERPWD, user);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sync_discard_cb);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_VERBOSE, getenv("BENCH_VERBOSE") != NULL ? 1L : 0L);
    return hd;
}

/* One 200 MiB PUT, SigV4-signed by libcurl (UNSIGNED-PAYLOAD), no multipart. */
static int
mode_s3_put(const opts_t *o)
{
    const char *ep = need_env("BERTH_S3_ENDPOINT"), *bucket = need_env("BERTH_S3_BUCKET");
    char url[URL_MAX], errbuf[CURL_ERROR_SIZE] = "";
    unsigned char *data = xmalloc(S3_PUT_SIZE);
    buf_reader_t b = {data, S3_PUT_SIZE, 0};
    CURL *h = curl_easy_init();
    struct curl_slist *hd;
    long code = 0;
    uint64_t t;
    double s;

    fill_random(data, S3_PUT_SIZE, now_ns());
    snprintf(url, sizeof(url), "%s/%s/bench-direct/%" PRIu64 "-%d", ep, bucket, now_ns(),
             (int)getpid());
    hd = s3_put_setup(h, url, &b, errbuf);
    t = now_ns();
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    s = (double)(now_ns() - t) / 1e9;
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    free(data);
    if (o->json)
        printf("{\"s3_put_bytes\":%zu,\"seconds\":%.3f,\"mb_per_s\":%.2f,\"status\":%ld}\n",
               S3_PUT_SIZE, s, (double)S3_PUT_SIZE / s / 1e6, code);
    else
        printf("s3-put-200m: %.3f s, %.1f MB/s, HTTP %ld\n", s, (double)S3_PUT_SIZE / s / 1e6,
               code);
    if (code != 200) {
        fprintf(stderr, "bench: !!! S3 PUT failed: HTTP %ld %s !!!\n", code, errbuf);
        return 3;
    }
    return 0;
}

static long
probe_status(CURL *h, const char *url)
{
    long code = 0;

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sync_discard_cb);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

static void
stop_child(pid_t pid)
{
    int st, i;
    struct timespec ts = {0, 50 * 1000 * 1000};

    kill(pid, SIGTERM);
    for (i = 0; i < 200; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

/* Startup time: fork+exec the command, poll the URL every millisecond until 200. */
static int
mode_exec_healthz(const opts_t *o)
{
    struct timespec ts = {0, 1000 * 1000};
    CURL *h = curl_easy_init();
    uint64_t t0 = now_ns(), limit = t0 + (uint64_t)o->timeout_ms * 1000000u;
    long code = 0;
    unsigned long rss;
    double ms;
    pid_t pid = fork();

    if (pid == 0) {
        dup2(2, 1); /* the child's output stays off our stdout (the result) */
        execvp(o->exec_argv[0], o->exec_argv);
        fprintf(stderr, "bench: exec %s: %s\n", o->exec_argv[0], strerror(errno));
        _exit(127);
    }
    while (pid > 0 && now_ns() < limit && (code = probe_status(h, o->healthz_url)) != 200) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            pid = -1;
            break;
        }
        nanosleep(&ts, NULL);
    }
    ms = (double)(now_ns() - t0) / 1e6;
    curl_easy_cleanup(h);
    if (pid <= 0 || code != 200) {
        fprintf(stderr, "bench: !!! %s never answered 200 (last %ld) !!!\n", o->healthz_url, code);
        if (pid > 0)
            stop_child(pid);
        return 3;
    }
    sleep(1);
    rss = read_rss_kib(pid);
    stop_child(pid);
    if (o->json)
        printf("{\"startup_ms\":%.1f,\"rss_after_1s_kib\":%lu}\n", ms, rss);
    else
        printf("startup: %.1f ms to 200, RSS 1 s later %.1f MiB\n", ms, (double)rss / 1024.0);
    return 0;
}

/* ------------------------------------------------------------------ arguments */

static _Noreturn void
usage(void)
{
    size_t i;

    fprintf(stderr,
            "usage: bench --url URL --repo NAME --workload NAME [--concurrency N]\n"
            "             [--duration S] [--threads N] [--max-ops N] [--grace S]\n"
            "             [--timeout-ms MS] [--json] [--label L] [--setup] [--tags N]\n"
            "             [--rss-pid PID] [--user USER:PASSWORD] [--delete-pushed]\n"
            "       bench --manifest-out FILE\n"
            "       bench --s3-put-200m [--json]      (env BERTH_S3_ENDPOINT, _BUCKET,\n"
            "                                           _ACCESS_KEY, _SECRET_KEY, _REGION)\n"
            "       bench --exec-healthz URL [--json] -- CMD ARG...\n"
            "workloads:");
    for (i = 0; i < sizeof(WORKLOADS) / sizeof(WORKLOADS[0]); i++)
        fprintf(stderr, "%s %s", i % 5 ? "" : "\n  ", WORKLOADS[i].name);
    fprintf(stderr, "\n");
    exit(2);
}

static const char *
arg_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        usage();
    return argv[++*i];
}

static void
opts_defaults(opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->repo = "bench/app";
    o->label = "registry";
    o->concurrency = 32;
    o->threads = 1;
    o->tags = 100;
    o->duration = 10;
    o->grace = 60;
    o->timeout_ms = 120000;
}

static int
parse_flag(opts_t *o, const char *a)
{
    if (strcmp(a, "--json") == 0)
        o->json = 1;
    else if (strcmp(a, "--setup") == 0)
        o->setup = 1;
    else if (strcmp(a, "--s3-put-200m") == 0)
        o->s3_put = 1;
    else if (strcmp(a, "--delete-pushed") == 0)
        o->delete_pushed = 1;
    else
        return 0;
    return 1;
}

static int
parse_valued(opts_t *o, const char *a, const char *v)
{
    if (strcmp(a, "--url") == 0)
        o->url = v;
    else if (strcmp(a, "--repo") == 0)
        o->repo = v;
    else if (strcmp(a, "--workload") == 0)
        o->workload = v;
    else if (strcmp(a, "--label") == 0)
        o->label = v;
    else if (strcmp(a, "--manifest-out") == 0)
        o->manifest_out = v;
    else if (strcmp(a, "--user") == 0)
        o->user = v;
    else if (strcmp(a, "--exec-healthz") == 0)
        o->healthz_url = v;
    else if (strcmp(a, "--concurrency") == 0)
        o->concurrency = (int)strtol(v, NULL, 10);
    else if (strcmp(a, "--threads") == 0)
        o->threads = (int)strtol(v, NULL, 10);
    else if (strcmp(a, "--tags") == 0)
        o->tags = (int)strtol(v, NULL, 10);
    else if (strcmp(a, "--max-ops") == 0)
        o->max_ops = strtol(v, NULL, 10);
    else if (strcmp(a, "--duration") == 0)
        o->duration = atof(v);
    else if (strcmp(a, "--grace") == 0)
        o->grace = atof(v);
    else if (strcmp(a, "--timeout-ms") == 0)
        o->timeout_ms = strtol(v, NULL, 10);
    else if (strcmp(a, "--rss-pid") == 0)
        o->rss_pid = (pid_t)strtol(v, NULL, 10);
    else
        return 0;
    return 1;
}

static void
parse_args(opts_t *o, int argc, char **argv)
{
    int i;

    opts_defaults(o);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            o->exec_argv = argv + i + 1;
            break;
        }
        const char *name = argv[i];
        if (parse_flag(o, name))
            continue;
        if (strncmp(name, "--", 2) != 0 || !parse_valued(o, name, arg_value(argc, argv, &i)))
            usage();
    }
    if (o->concurrency < 1 || o->threads < 1 || o->duration < 0 || o->tags < 1)
        usage();
    if (o->threads > o->concurrency)
        o->threads = o->concurrency;
    if (o->label == NULL)
        o->label = "registry";
}

static int
mode_registry(const opts_t *o, const fixture_t *fx)
{
    run_t *r = calloc(1, sizeof(run_t));
    int rc = 0;

    if (r == NULL)
        return 2;
    r->o = o;
    r->fx = fx;
    if (o->workload != NULL && (r->wl = find_workload(o->workload)) == NULL) {
        fprintf(stderr, "bench: unknown workload %s\n", o->workload);
        usage();
    }
    if (run_urls(r) != 0)
        rc = 2;
    else if (o->user != NULL && auth_login(r) != 0)
        rc = 4;
    if (rc == 0)
        run_headers(r);
    if (rc == 0 && o->setup && do_setup(r) != 0)
        rc = 4;
    if (rc == 0 && r->wl != NULL) {
        run_push_content(r);
        rc = run_workload(r);
    }
    curl_slist_free_all(r->accept_hdrs);
    curl_slist_free_all(r->auth_hdrs);
    if (r->base_ctx)
        EVP_MD_CTX_free(r->base_ctx);
    free((void *)(uintptr_t)r->base);
    free(r);
    return rc;
}

int
main(int argc, char **argv)
{
    static fixture_t fx;
    opts_t o;
    int rc;

    parse_args(&o, argc, argv);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
    fixture_init(&fx);
    if (o.manifest_out != NULL)
        rc = mode_manifest_out(&fx, o.manifest_out);
    else if (o.s3_put)
        rc = mode_s3_put(&o);
    else if (o.healthz_url != NULL && o.exec_argv != NULL && o.exec_argv[0] != NULL)
        rc = mode_exec_healthz(&o);
    else if (o.url != NULL && (o.workload != NULL || o.setup))
        rc = mode_registry(&o, &fx);
    else
        usage();
    curl_global_cleanup();
    return rc;
}
