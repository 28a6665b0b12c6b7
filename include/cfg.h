/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cfg.h - gateway settings: defaults, then an optional KEY=VALUE file
 * (BERTH_CONFIG or --config), then BERTH_* environment variables.
 */
#ifndef BERTH_CFG_H
#define BERTH_CFG_H

#include <stdio.h>

typedef struct cfg {
    char *listen;             /* BERTH_LISTEN host:port */
    char *pg;                 /* BERTH_PG libpq connection string */
    int pg_pool;              /* BERTH_PG_POOL connections per gateway */
    char *s3_endpoint;        /* BERTH_S3_ENDPOINT */
    char *s3_public_endpoint; /* BERTH_S3_PUBLIC_ENDPOINT for presigned URLs */
    char *s3_region;          /* BERTH_S3_REGION */
    char *s3_bucket;          /* BERTH_S3_BUCKET */
    char *s3_access_key;      /* BERTH_S3_ACCESS_KEY */
    char *s3_secret_key;      /* BERTH_S3_SECRET_KEY */
    int s3_path_style;        /* BERTH_S3_PATH_STYLE */
    char *s3_ca_file;         /* BERTH_S3_CA_FILE */
    int s3_timeout_s;         /* BERTH_S3_TIMEOUT */
    int presign_expiry_s;     /* BERTH_PRESIGN_EXPIRY */
    int blob_proxy;           /* BERTH_BLOB_PROXY: stream blobs instead of 307 */
    long part_size;           /* BERTH_PART_SIZE: S3 multipart part size in bytes */
    int upload_parallel;      /* BERTH_UPLOAD_PARALLEL: parts of one upload in flight */
    int auto_mount;           /* BERTH_AUTO_MOUNT: ?mount= without from= searches the project */
    long manifest_max;        /* BERTH_MANIFEST_MAX bytes */
    int upload_ttl_s;         /* BERTH_UPLOAD_TTL: idle uploads expire after this */
    int gc_delay_s;           /* BERTH_GC_DELAY: grace before unreferenced blobs go */
    int workers;              /* BERTH_WORKERS: run background workers (1) or not (0) */
    int max_connections;      /* BERTH_MAX_CONNECTIONS */
    char *log_level;          /* BERTH_LOG_LEVEL */
    char *tls_cert;           /* BERTH_TLS_CERT PEM file: serve HTTPS */
    char *tls_key;            /* BERTH_TLS_KEY PEM file */
    char *auth;               /* BERTH_AUTH: "token" or "none" */
    char *token_key;          /* BERTH_TOKEN_KEY: EC P-256 PEM shared by all gateways */
    char *token_issuer;       /* BERTH_TOKEN_ISSUER */
    char *token_service;      /* BERTH_TOKEN_SERVICE: the token audience */
    char *token_realm;        /* BERTH_TOKEN_REALM: URL of the token endpoint; "" = derive */
    int token_ttl_s;          /* BERTH_TOKEN_TTL */
} cfg_t;

/**
 * Loads settings into `c` (zeroed by the caller): defaults, then `file` when
 * not NULL, then the environment. Writes a message to `errout` and returns -1
 * on an unreadable file or a bad value.
 */
int cfg_load(cfg_t *c, const char *file, FILE *errout);

/** Frees the strings `c` owns. */
void cfg_free(cfg_t *c);

/** Writes one line per setting (name, default, meaning) for --help. */
void cfg_usage(FILE *out);

#endif
