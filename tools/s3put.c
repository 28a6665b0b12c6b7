/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s3put.c - the benchmark's baseline: writes N MiB of random bytes straight
 * to S3 as one multipart upload (8 MiB parts, P at a time) with Berth's own
 * S3 client, and prints the seconds it took. What a push through the gateway
 * is compared with (tools/bench-run).
 *
 *   s3put [--mib N] [--parallel P] [--json]   (BERTH_S3_ENDPOINT, _BUCKET,
 *                                              _ACCESS_KEY, _SECRET_KEY, _REGION)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3.h"

#define PART (8u * 1024 * 1024)
#define MAX_PARTS 1000

typedef struct job {
    s3_client_t *s3;
    const char *key, *upload_id;
    const unsigned char *data;
    int nparts, next, failed;
    size_t total;
    char etags[MAX_PARTS][256];
    pthread_mutex_t lock;
} job_t;

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each worker takes the next part number until none are left. */
static void *
worker(void *arg)
{
    job_t *j = arg;

    for (;;) {
        gw_error_t err = {0};
        int i;
        size_t off, len;

        pthread_mutex_lock(&j->lock);
        i = j->failed ? j->nparts : j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->nparts)
            return NULL;
        off = (size_t)i * PART;
        len = j->total - off < PART ? j->total - off : PART;
        if (s3_multipart_upload_part(j->s3, j->key, j->upload_id, i + 1, j->data + off, len,
                                     j->etags[i], sizeof(j->etags[i]), &err) != GW_OK) {
            fprintf(stderr, "s3put: part %d: %s\n", i + 1, err.detail);
            pthread_mutex_lock(&j->lock);
            j->failed = 1;
            pthread_mutex_unlock(&j->lock);
        }
    }
}

static const char *
env(const char *name, const char *def)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : def;
}

static int
upload(job_t *j, int parallel, double *secs)
{
    const char *etags[MAX_PARTS];
    char upload_id[512];
    pthread_t th[16];
    gw_error_t err = {0};
    double t0 = now_s();
    int started = 0, rc;

    rc = s3_multipart_create(j->s3, j->key, upload_id, sizeof(upload_id), &err);
    j->upload_id = upload_id;
    for (int i = 0; rc == GW_OK && i < parallel; i++)
        started += pthread_create(&th[i], NULL, worker, j) == 0;
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < j->nparts; i++)
        etags[i] = j->etags[i];
    if (rc == GW_OK && !j->failed)
        rc = s3_multipart_complete(j->s3, j->key, upload_id, etags, j->nparts, &err);
    *secs = now_s() - t0;
    if (rc != GW_OK || j->failed)
        fprintf(stderr, "s3put: %s\n", err.detail[0] ? err.detail : "a part failed");
    return rc == GW_OK && !j->failed ? 0 : 1;
}

int
main(int argc, char **argv)
{
    s3_config_t cfg = {
        .endpoint = env("BERTH_S3_ENDPOINT", "http://127.0.0.1:7480"),
        .region = env("BERTH_S3_REGION", "us-east-1"),
        .bucket = env("BERTH_S3_BUCKET", "berth"),
        .access_key = env("BERTH_S3_ACCESS_KEY", ""),
        .secret_key = env("BERTH_S3_SECRET_KEY", ""),
        .path_style = 1,
    };
    static job_t j;
    char key[128];
    unsigned char *data;
    long mib = 200, parallel = 1;
    int json = 0, rc = 1;
    gw_error_t err = {0};
    double secs = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc)
            mib = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--parallel") == 0 && i + 1 < argc)
            parallel = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
    }
    if (mib < 1 || mib > 8000 || parallel < 1 || parallel > 16) {
        fprintf(stderr, "usage: s3put [--mib 1..8000] [--parallel 1..16] [--json]\n");
        return 2;
    }
    j.total = (size_t)mib * 1024 * 1024;
    j.nparts = (int)((j.total + PART - 1) / PART);
    data = malloc(j.total);
    if (data == NULL || s3_client_new(&j.s3, &cfg, &err) != GW_OK) {
        fprintf(stderr, "s3put: %s\n", data == NULL ? "out of memory" : err.detail);
        free(data);
        return 1;
    }
    srand((unsigned)time(NULL));
    for (size_t i = 0; i < j.total; i++)
        data[i] = (unsigned char)rand();
    snprintf(key, sizeof(key), "bench-direct/multipart-%ld-%d", (long)time(NULL), rand());
    j.key = key;
    j.data = data;
    pthread_mutex_init(&j.lock, NULL);
    rc = upload(&j, (int)parallel, &secs);
    if (json)
        printf("{\"mib\":%ld,\"parallel\":%ld,\"seconds\":%.3f,\"ok\":%s}\n", mib, parallel, secs,
               rc == 0 ? "true" : "false");
    else
        printf("s3put: %ld MiB multipart, %ld part(s) at a time: %.3f s\n", mib, parallel, secs);
    s3_delete_object(j.s3, key, &err);
    s3_client_free(j.s3);
    free(data);
    return rc;
}
