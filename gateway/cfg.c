/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cfg.c - the settings table and its loaders (see cfg.h).
 *
 * One table names each setting once: its variable, type, default and help
 * text, so --help, the file loader and the environment loader cannot drift.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

typedef enum { T_STR, T_INT, T_LONG, T_BOOL } cfg_type_t;

typedef struct setting {
    const char *name;
    cfg_type_t type;
    size_t off;
    const char *def;
    long min, max;
    const char *help;
} setting_t;

/* clang-format off */
#define S(name, type, field, def, min, max, help) \
    {name, type, offsetof(cfg_t, field), def, min, max, help}
/* clang-format on */

static const setting_t settings[] = {
    S("BERTH_LISTEN", T_STR, listen, "127.0.0.1:5000", 0, 0, "address:port to serve on"),
    S("BERTH_PG", T_STR, pg, "dbname=berth", 0, 0, "libpq connection string"),
    S("BERTH_PG_POOL", T_INT, pg_pool, "16", 1, 1000, "PostgreSQL connections per gateway"),
    S("BERTH_S3_ENDPOINT", T_STR, s3_endpoint, "http://127.0.0.1:7480", 0, 0, "S3 endpoint URL"),
    S("BERTH_S3_PUBLIC_ENDPOINT", T_STR, s3_public_endpoint, "", 0, 0,
      "endpoint in presigned URLs; empty: BERTH_S3_ENDPOINT"),
    S("BERTH_S3_REGION", T_STR, s3_region, "us-east-1", 0, 0, "S3 region for signing"),
    S("BERTH_S3_BUCKET", T_STR, s3_bucket, "berth", 0, 0, "bucket holding blob objects"),
    S("BERTH_S3_ACCESS_KEY", T_STR, s3_access_key, "", 0, 0, "S3 access key id"),
    S("BERTH_S3_SECRET_KEY", T_STR, s3_secret_key, "", 0, 0, "S3 secret key"),
    S("BERTH_S3_PATH_STYLE", T_BOOL, s3_path_style, "1", 0, 1,
      "1: endpoint/bucket/key, 0: virtual-hosted bucket.endpoint/key"),
    S("BERTH_S3_CA_FILE", T_STR, s3_ca_file, "", 0, 0,
      "CA bundle for S3 TLS; empty: the system store"),
    S("BERTH_S3_TIMEOUT", T_INT, s3_timeout_s, "300", 1, 86400, "seconds per S3 request"),
    S("BERTH_PRESIGN_EXPIRY", T_INT, presign_expiry_s, "1200", 1, 604800,
      "seconds a presigned blob URL stays valid"),
    S("BERTH_BLOB_PROXY", T_BOOL, blob_proxy, "0", 0, 1,
      "1: stream blob GETs through the gateway (with Range) instead of 307"),
    S("BERTH_PART_SIZE", T_LONG, part_size, "8388608", 5242880, 1073741824,
      "bytes per S3 multipart part"),
    S("BERTH_UPLOAD_PARALLEL", T_INT, upload_parallel, "3", 1, 8,
      "S3 parts of one upload written at once; an upload holds this + 1 part buffers"),
    S("BERTH_AUTO_MOUNT", T_BOOL, auto_mount, "0", 0, 1,
      "1: POST ?mount= without from= mounts the blob from the same project when found"),
    S("BERTH_MANIFEST_MAX", T_LONG, manifest_max, "4194304", 4194304, 104857600,
      "largest manifest accepted, bytes"),
    S("BERTH_UPLOAD_TTL", T_INT, upload_ttl_s, "86400", 60, 31536000,
      "seconds an idle upload lives before it is aborted"),
    S("BERTH_GC_DELAY", T_INT, gc_delay_s, "3600", 0, 31536000,
      "seconds before an unreferenced blob is deleted"),
    S("BERTH_WORKERS", T_BOOL, workers, "1", 0, 1, "run the background workers"),
    S("BERTH_MAX_CONNECTIONS", T_INT, max_connections, "1024", 1, 65536,
      "client connections at once"),
    S("BERTH_LOG_LEVEL", T_STR, log_level, "info", 0, 0, "debug, info, warn or error"),
    S("BERTH_TLS_CERT", T_STR, tls_cert, "", 0, 0,
      "PEM certificate chain: serve HTTPS (empty: plain HTTP behind a TLS proxy)"),
    S("BERTH_TLS_KEY", T_STR, tls_key, "", 0, 0, "PEM private key for BERTH_TLS_CERT"),
    S("BERTH_AUTH", T_STR, auth, "token", 0, 0,
      "token: Docker token auth and permissions; none: anyone may do anything"),
    S("BERTH_TOKEN_KEY", T_STR, token_key, "", 0, 0,
      "EC P-256 private key (PEM) that signs and verifies tokens, same on every gateway"),
    S("BERTH_TOKEN_ISSUER", T_STR, token_issuer, "berth-token", 0, 0, "token issuer (iss)"),
    S("BERTH_TOKEN_SERVICE", T_STR, token_service, "berth", 0, 0,
      "service name clients ask tokens for (aud)"),
    S("BERTH_TOKEN_REALM", T_STR, token_realm, "", 0, 0,
      "token endpoint URL in challenges; empty: <scheme>://<Host>/auth/token"),
    S("BERTH_TOKEN_TTL", T_INT, token_ttl_s, "300", 60, 86400, "seconds a token is valid"),
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static int
set_value(cfg_t *c, const setting_t *s, const char *v, FILE *errout)
{
    char *p = (char *)c + s->off;
    char *end = NULL;
    long n;

    if (s->type == T_STR) {
        char *dup = strdup(v);
        if (dup == NULL)
            return -1;
        free(*(char **)(void *)p);
        *(char **)(void *)p = dup;
        return 0;
    }
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < s->min || n > s->max) {
        fprintf(errout, "berthd: %s: expected a number from %ld to %ld\n", s->name, s->min, s->max);
        return -1;
    }
    if (s->type == T_LONG)
        *(long *)(void *)p = n;
    else
        *(int *)(void *)p = (int)n;
    return 0;
}

static const setting_t *
find(const char *name, size_t len)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (strlen(settings[i].name) == len && strncmp(settings[i].name, name, len) == 0)
            return &settings[i];
    }
    return NULL;
}

static int
load_file(cfg_t *c, const char *file, FILE *errout)
{
    char line[4096];
    int lineno = 0;
    int rc = 0;
    FILE *f = fopen(file, "r");

    if (f == NULL) {
        fprintf(errout, "berthd: cannot read %s: %s\n", file, strerror(errno));
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        char *eq, *v;
        const setting_t *s;

        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            fprintf(errout, "berthd: %s:%d: line too long\n", file, lineno);
            rc = -1;
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        eq = strchr(line, '=');
        s = eq != NULL ? find(line, (size_t)(eq - line)) : NULL;
        if (s == NULL) {
            fprintf(errout, "berthd: %s:%d: unknown setting\n", file, lineno);
            rc = -1;
            break;
        }
        v = eq + 1;
        rc = set_value(c, s, v, errout);
    }
    fclose(f);
    return rc;
}

int
cfg_load(cfg_t *c, const char *file, FILE *errout)
{
    int rc = 0;

    for (size_t i = 0; i < NSETTINGS && rc == 0; i++)
        rc = set_value(c, &settings[i], settings[i].def, errout);
    if (rc == 0 && file == NULL)
        file = getenv("BERTH_CONFIG");
    if (rc == 0 && file != NULL && file[0] != '\0')
        rc = load_file(c, file, errout);
    for (size_t i = 0; i < NSETTINGS && rc == 0; i++) {
        const char *v = getenv(settings[i].name);
        if (v != NULL)
            rc = set_value(c, &settings[i], v, errout);
    }
    return rc;
}

void
cfg_free(cfg_t *c)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (settings[i].type == T_STR) {
            char **p = (char **)(void *)((char *)c + settings[i].off);
            free(*p);
            *p = NULL;
        }
    }
}

void
cfg_usage(FILE *out)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        fprintf(out, "  %-26s %s (default: %s)\n", settings[i].name, settings[i].help,
                settings[i].def[0] != '\0' ? settings[i].def : "none");
    }
}
