/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s3_ops.c - drives every s3.h call against a real S3 (Ceph RGW, path style).
 *
 * Needs BERTH_S3_ENDPOINT, BERTH_S3_BUCKET, BERTH_S3_ACCESS_KEY and
 * BERTH_S3_SECRET_KEY. Prints "ok - <what>" or "not ok - <what>" per check,
 * then "s3_ops: N passed, N failed"; exits non-zero on any failure.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gw_error.h"
#include "log.h"
#include "s3.h"

#define MIB (1024 * 1024)
#define NTHREADS 8

typedef struct sink {
    unsigned char *p;
    size_t len;
    size_t cap;
    size_t stop_after; /* 0: never refuse */
} sink_t;

typedef struct worker {
    s3_client_t *c;
    const char *prefix;
    int id;
    int failed;
} worker_t;

static int passed, failed;
static char prefix[128];

static void
check(int ok, const char *what, const gw_error_t *err)
{
    if (ok) {
        passed++;
        printf("ok - %s\n", what);
    } else {
        failed++;
        printf("not ok - %s%s%s\n", what, err != NULL && err->detail[0] ? " # " : "",
               err != NULL ? err->detail : "");
    }
    fflush(stdout);
}

static int
sink_write(void *arg, const void *data, size_t len)
{
    sink_t *s = arg;

    if (s->stop_after > 0 && s->len + len > s->stop_after)
        return 1;
    if (s->len + len > s->cap) {
        size_t cap = s->cap > 0 ? s->cap * 2 : 65536;
        while (cap < s->len + len)
            cap *= 2;
        unsigned char *p = realloc(s->p, cap);
        if (p == NULL)
            return 1;
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, data, len);
    s->len += len;
    return 0;
}

static unsigned char *
pattern(size_t len, unsigned seed)
{
    unsigned char *p = malloc(len > 0 ? len : 1);
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < len && p != NULL; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

static const char *
key_of(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", prefix, name);
    return buf;
}

static double
now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

static size_t
curl_to_sink(char *data, size_t size, size_t n, void *arg)
{
    return sink_write(arg, data, size * n) == 0 ? size * n : 0;
}

/* Fetches `url` with plain libcurl, as a registry client following a 307
 * would; returns the HTTP status, or 0 on a transport error. */
static long
fetch(const char *url, sink_t *s)
{
    CURL *h = curl_easy_init();
    long status = 0;

    if (h == NULL)
        return 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_to_sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

/* A loopback port with nothing listening: bind an ephemeral one, then close it. */
static int
closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 1;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void
test_single_object(s3_client_t *c, const char *name, size_t len, unsigned seed)
{
    char key[512], what[600];
    unsigned char *data = pattern(len, seed);
    sink_t s = {0};
    uint64_t size = 0, total = 0;
    gw_error_t err = {0};
    int rc;

    key_of(key, sizeof(key), name);
    rc = s3_put_object(c, key, data, len, &err);
    snprintf(what, sizeof(what), "put %zu bytes at \"%s\"", len, name);
    check(rc == 0, what, &err);
    gw_error_clear(&err);
    rc = s3_head_object(c, key, &size, &err);
    snprintf(what, sizeof(what), "head \"%s\" gives size %zu", name, len);
    check(rc == 0 && size == len, what, &err);
    gw_error_clear(&err);
    rc = s3_get_object(c, key, 0, 0, sink_write, &s, &total, &err);
    snprintf(what, sizeof(what), "get \"%s\" returns the same %zu bytes", name, len);
    check(rc == 0 && total == len && s.len == len && (len == 0 || memcmp(s.p, data, len) == 0),
          what, &err);
    if (len > 150) {
        s.len = 0;
        gw_error_clear(&err);
        rc = s3_get_object(c, key, 100, 50, sink_write, &s, &total, &err);
        snprintf(what, sizeof(what), "ranged get [100,150) of \"%s\" (total %zu)", name, len);
        check(rc == 0 && total == len && s.len == 50 && memcmp(s.p, data + 100, 50) == 0, what,
              &err);
        s.len = 0;
        gw_error_clear(&err);
        rc = s3_get_object(c, key, len - 10, 0, sink_write, &s, &total, &err);
        snprintf(what, sizeof(what), "ranged get of the last 10 bytes of \"%s\"", name);
        check(rc == 0 && total == len && s.len == 10 && memcmp(s.p, data + len - 10, 10) == 0, what,
              &err);
    }
    gw_error_clear(&err);
    rc = s3_delete_object(c, key, &err);
    snprintf(what, sizeof(what), "delete \"%s\"", name);
    check(rc == 0, what, &err);
    gw_error_clear(&err);
    rc = s3_head_object(c, key, &size, &err);
    snprintf(what, sizeof(what), "head of deleted \"%s\" is GW_ENOTFOUND", name);
    check(rc == GW_ENOTFOUND && err.status == 0, what, &err);
    free(s.p);
    free(data);
}

static void
test_missing(s3_client_t *c)
{
    char key[512];
    sink_t s = {0};
    uint64_t size;
    gw_error_t err = {0};

    key_of(key, sizeof(key), "never-written");
    check(s3_head_object(c, key, &size, &err) == GW_ENOTFOUND,
          "head of a missing key is GW_ENOTFOUND", &err);
    gw_error_clear(&err);
    check(s3_get_object(c, key, 0, 0, sink_write, &s, NULL, &err) == GW_ENOTFOUND && s.len == 0 &&
              strstr(err.detail, "NoSuchKey") != NULL,
          "get of a missing key is GW_ENOTFOUND with NoSuchKey in the detail", &err);
    gw_error_clear(&err);
    check(s3_delete_object(c, key, &err) == 0, "delete of a missing key succeeds", &err);
    free(s.p);
}

static void
test_multipart(s3_client_t *c)
{
    const size_t sizes[3] = {5 * MIB + 1, 5 * MIB + 7, 1234};
    const size_t len = sizes[0] + sizes[1] + sizes[2];
    unsigned char *data = pattern(len, 7);
    char key[512], id[256], etag[3][128];
    const char *etags[3] = {etag[0], etag[1], etag[2]};
    sink_t s = {0};
    uint64_t size = 0, total = 0;
    gw_error_t err = {0};
    size_t off = 0;
    int rc, ok = 1;

    key_of(key, sizeof(key), "multi part/blob");
    rc = s3_multipart_create(c, key, id, sizeof(id), &err);
    check(rc == 0 && id[0] != '\0', "multipart create returns an UploadId", &err);
    for (int i = 0; i < 3; i++) {
        gw_error_clear(&err);
        rc = s3_multipart_upload_part(c, key, id, i + 1, data + off, sizes[i], etag[i],
                                      sizeof(etag[i]), &err);
        ok = ok && rc == 0 && etag[i][0] == '"' && etag[i][strlen(etag[i]) - 1] == '"';
        off += sizes[i];
    }
    check(ok, "upload parts of 5 MiB+1, 5 MiB+7 and 1234 bytes; ETags keep their quotes", &err);
    gw_error_clear(&err);
    rc = s3_multipart_complete(c, key, id, etags, 3, &err);
    check(rc == 0, "multipart complete", &err);
    gw_error_clear(&err);
    rc = s3_head_object(c, key, &size, &err);
    check(rc == 0 && size == len, "completed object has the sum of the part sizes", &err);
    gw_error_clear(&err);
    rc = s3_get_object(c, key, 0, 0, sink_write, &s, &total, &err);
    check(rc == 0 && total == len && s.len == len && memcmp(s.p, data, len) == 0,
          "completed object reads back byte for byte", &err);
    s.len = 0;
    gw_error_clear(&err);
    rc = s3_get_object(c, key, sizes[0] - 5, 10, sink_write, &s, &total, &err);
    check(rc == 0 && total == len && s.len == 10 && memcmp(s.p, data + sizes[0] - 5, 10) == 0,
          "ranged get across the part 1/2 boundary", &err);
    s.len = 0;
    s.stop_after = 100000;
    gw_error_clear(&err);
    rc = s3_get_object(c, key, 0, 0, sink_write, &s, &total, &err);
    check(rc == GW_ERR && s.len <= 100000, "a reader that refuses bytes stops the get (GW_ERR)",
          &err);
    gw_error_clear(&err);
    check(s3_delete_object(c, key, &err) == 0, "delete the multipart object", &err);
    free(s.p);
    free(data);
}

static void
test_abort(s3_client_t *c)
{
    unsigned char *data = pattern(5 * MIB, 3);
    char key[512], id[256], etag[128];
    const char *etags[1] = {"\"00000000000000000000000000000000\""};
    uint64_t size;
    gw_error_t err = {0};
    int rc;

    key_of(key, sizeof(key), "aborted");
    rc = s3_multipart_create(c, key, id, sizeof(id), &err);
    if (rc == 0)
        rc = s3_multipart_upload_part(c, key, id, 1, data, 5 * MIB, etag, sizeof(etag), &err);
    check(rc == 0, "start a multipart upload with one part", &err);
    gw_error_clear(&err);
    rc = s3_multipart_complete(c, key, id, etags, 1, &err);
    check(rc == GW_ERR && strstr(err.detail, "InvalidPart") != NULL,
          "complete with a wrong ETag fails with InvalidPart", &err);
    gw_error_clear(&err);
    check(s3_multipart_abort(c, key, id, &err) == 0, "multipart abort", &err);
    gw_error_clear(&err);
    check(s3_multipart_abort(c, key, id, &err) == GW_ENOTFOUND,
          "abort of an aborted upload is GW_ENOTFOUND", &err);
    gw_error_clear(&err);
    rc = s3_multipart_upload_part(c, key, id, 2, data, 10, etag, sizeof(etag), &err);
    check(rc == GW_ENOTFOUND, "upload part to an aborted upload is GW_ENOTFOUND", &err);
    gw_error_clear(&err);
    check(s3_head_object(c, key, &size, &err) == GW_ENOTFOUND, "aborted upload left no object",
          &err);
    free(data);
}

static void
test_presign(s3_client_t *c)
{
    unsigned char *data = pattern(70000, 11);
    char key[512], url[4096], bad[4096];
    sink_t s = {0};
    gw_error_t err = {0};
    long status;
    size_t n;

    key_of(key, sizeof(key), "pre signed/\xc3\xa9t\xc3\xa9 (1)+x.bin");
    check(s3_put_object(c, key, data, 70000, &err) == 0, "put an object to presign", &err);
    check(s3_presign_get(c, key, 300, time(NULL), url, sizeof(url)) == 0, "presign a GET for 300 s",
          NULL);
    status = fetch(url, &s);
    check(status == 200 && s.len == 70000 && memcmp(s.p, data, 70000) == 0,
          "presigned GET with plain libcurl returns the exact bytes", NULL);
    memcpy(bad, url, sizeof(bad));
    n = strlen(bad);
    bad[n - 1] = bad[n - 1] == '0' ? '1' : '0';
    s.len = 0;
    check(fetch(bad, &s) == 403, "presigned URL with a tampered signature is refused (403)", NULL);
    s.len = 0;
    s3_presign_get(c, key, 60, time(NULL) - 3600, url, sizeof(url));
    check(fetch(url, &s) == 403, "expired presigned URL is refused (403)", NULL);
    check(s3_presign_get(c, key, 300, time(NULL), url, 40) == GW_EINVALID && url[0] == '\0',
          "presign into a small buffer is GW_EINVALID", NULL);
    gw_error_clear(&err);
    s3_delete_object(c, key, &err);
    free(s.p);
    free(data);
}

static void
test_bad_secret(const s3_config_t *good)
{
    s3_config_t cfg = *good;
    s3_client_t *c = NULL;
    char key[512];
    uint64_t size;
    gw_error_t err = {0};
    double t0;
    int rc;

    cfg.secret_key = "not-the-secret";
    key_of(key, sizeof(key), "x");
    rc = s3_client_new(&c, &cfg, &err);
    t0 = now_ms();
    if (rc == 0)
        rc = s3_put_object(c, key, "x", 1, &err);
    check(rc == GW_ERR && strstr(err.detail, "SignatureDoesNotMatch") != NULL &&
              strstr(err.detail, "not-the-secret") == NULL && now_ms() - t0 < 2000,
          "wrong secret: GW_ERR at once, S3 code in the detail, no secret", &err);
    gw_error_clear(&err);
    rc = s3_head_object(c, key, &size, &err);
    check(rc == GW_ERR && err.status == 500, "wrong secret on HEAD (403, no body) is GW_ERR", &err);
    s3_client_free(c);
}

static void
test_closed_port(const s3_config_t *good)
{
    s3_config_t cfg = *good;
    s3_client_t *c = NULL;
    char endpoint[64];
    uint64_t size;
    gw_error_t err = {0};
    double t0, dt;
    int rc;

    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", closed_port());
    cfg.endpoint = endpoint;
    cfg.public_endpoint = NULL;
    cfg.max_retries = 3; /* delays 50-100, 100-200, 200-400 ms */
    cfg.connect_timeout_ms = 1000;
    rc = s3_client_new(&c, &cfg, &err);
    t0 = now_ms();
    if (rc == 0)
        rc = s3_head_object(c, "x", &size, &err);
    dt = now_ms() - t0;
    check(rc == GW_EUNAVAILABLE && err.status == 503 && strstr(err.detail, "attempts=4") &&
              dt >= 350 && dt < 5000,
          "closed port: GW_EUNAVAILABLE (503) after 3 retries with backoff", &err);
    s3_client_free(c);
}

static void *
worker_run(void *arg)
{
    worker_t *w = arg;
    unsigned char *data = pattern(100000 + (size_t)w->id, (unsigned)w->id);
    char key[512], name[64];
    gw_error_t err = {0};

    for (int i = 0; i < 5 && !w->failed; i++) {
        sink_t s = {0};
        uint64_t total = 0;
        size_t len = 100000 + (size_t)w->id;
        snprintf(name, sizeof(name), "thread-%d-%d", w->id, i);
        key_of(key, sizeof(key), name);
        w->failed = s3_put_object(w->c, key, data, len, &err) != 0 ||
                    s3_get_object(w->c, key, 0, 0, sink_write, &s, &total, &err) != 0 ||
                    total != len || s.len != len || memcmp(s.p, data, len) != 0 ||
                    s3_delete_object(w->c, key, &err) != 0;
        free(s.p);
    }
    free(data);
    return NULL;
}

static void
test_threads(s3_client_t *c)
{
    pthread_t t[NTHREADS];
    worker_t w[NTHREADS];
    int ok = 1;

    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker_t){c, prefix, i, 0};
        pthread_create(&t[i], NULL, worker_run, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        ok = ok && !w[i].failed;
    }
    check(ok, "8 threads share one client: put/get/delete 5 objects each", NULL);
}

int
main(void)
{
    s3_config_t cfg = {
        .endpoint = getenv("BERTH_S3_ENDPOINT"),
        .bucket = getenv("BERTH_S3_BUCKET"),
        .access_key = getenv("BERTH_S3_ACCESS_KEY"),
        .secret_key = getenv("BERTH_S3_SECRET_KEY"),
        .path_style = 1,
        .timeout_ms = 60000,
    };
    s3_client_t *c = NULL;
    gw_error_t err = {0};

    if (!cfg.endpoint || !cfg.bucket || !cfg.access_key || !cfg.secret_key) {
        fprintf(stderr, "s3_ops: set BERTH_S3_ENDPOINT, BERTH_S3_BUCKET, "
                        "BERTH_S3_ACCESS_KEY and BERTH_S3_SECRET_KEY\n");
        return 2;
    }
    log_set_level(LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(prefix, sizeof(prefix), "e2e-s3ops/%ld-%ld", (long)getpid(), (long)time(NULL));
    check(s3_client_new(&c, &cfg, &err) == 0, "client_new", &err);
    if (c != NULL) {
        test_single_object(c, "small.bin", 1000, 1);
        test_single_object(c, "empty", 0, 2);
        test_single_object(c, "odd key/a b+c=d&e$f,g;h:i@j!k'(l)*~m_n.o-p/\xc3\xa9", 4096, 3);
        test_single_object(c, "dots/./x/../y//z", 300, 4);
        test_missing(c);
        test_multipart(c);
        test_abort(c);
        test_presign(c);
        test_threads(c);
        test_bad_secret(&cfg);
        test_closed_port(&cfg);
    }
    s3_client_free(c);
    curl_global_cleanup();
    printf("s3_ops: %d passed, %d failed\n", passed, failed);
    return failed > 0 ? 1 : 0;
}
