/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s3.h - the blob store: an S3 client on libcurl, signed with AWS SigV4.
 *
 * One s3_client_t is shared by all gateway threads; every call is thread-safe
 * and blocking (it belongs on a connection's own thread, never on a polling
 * thread). Retries 5xx, SlowDown and transport errors with exponential backoff
 * and honours the configured timeouts. curl_* appears only in s3.c. Request
 * bodies are signed by their SHA-256 over plain HTTP and sent as
 * UNSIGNED-PAYLOAD over HTTPS with certificate checks on.
 *
 * Errors: GW_ENOTFOUND (404 / NoSuchKey / NoSuchUpload), GW_EUNAVAILABLE (S3
 * unreachable, timed out, or 5xx after all retries), GW_ERR (anything else).
 * The detail (S3 status and error code, never a signature or secret) goes into
 * err->detail via gw_error_internal or gw_error_set.
 */
#ifndef BERTH_S3_H
#define BERTH_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gw_error.h"

typedef struct s3_config {
    const char *endpoint;        /* "http://127.0.0.1:7480", "https://s3.eu-west-1.amazonaws.com" */
    const char *public_endpoint; /* endpoint used in presigned URLs; NULL = endpoint */
    const char *region;          /* "us-east-1" when NULL */
    const char *bucket;
    const char *access_key;
    const char *secret_key;
    int path_style;          /* 1: endpoint/bucket/key; 0: bucket.endpoint-host/key */
    long connect_timeout_ms; /* 0 = 5000 */
    long timeout_ms;         /* whole-request timeout, 0 = 300000 */
    int max_retries;         /* 0 = 4 */
    const char *ca_file;     /* NULL = system store */
    int insecure;            /* 1 disables TLS verification (tests only) */
} s3_config_t;

typedef struct s3_client s3_client_t;

/** Receives object bytes from s3_get_object; return 0 to continue, non-zero to abort. */
typedef int (*s3_write_fn)(void *arg, const void *data, size_t len);

/** Creates a client; copies every string in `cfg`. Free with s3_client_free. */
int s3_client_new(s3_client_t **out, const s3_config_t *cfg, gw_error_t *err);

/** Frees the client and its connections; NULL is fine. */
void s3_client_free(s3_client_t *c);

/** PutObject: stores `len` bytes at `key` in one request. */
int s3_put_object(s3_client_t *c, const char *key, const void *data, size_t len, gw_error_t *err);

/** CreateMultipartUpload; writes the UploadId (NUL-terminated) into `upload_id`. */
int s3_multipart_create(s3_client_t *c, const char *key, char *upload_id, size_t upload_id_size,
                        gw_error_t *err);

/**
 * UploadPart `part_no` (1..10000) of `upload_id`; writes the ETag, exactly as S3
 * returned it (with its quotes), into `etag`.
 */
int s3_multipart_upload_part(s3_client_t *c, const char *key, const char *upload_id, int part_no,
                             const void *data, size_t len, char *etag, size_t etag_size,
                             gw_error_t *err);

/** CompleteMultipartUpload with parts 1..nparts whose ETags are `etags[0..nparts-1]`. */
int s3_multipart_complete(s3_client_t *c, const char *key, const char *upload_id,
                          const char *const *etags, int nparts, gw_error_t *err);

/** AbortMultipartUpload; an upload that no longer exists is GW_ENOTFOUND. */
int s3_multipart_abort(s3_client_t *c, const char *key, const char *upload_id, gw_error_t *err);

/** HeadObject; sets *size. */
int s3_head_object(s3_client_t *c, const char *key, uint64_t *size, gw_error_t *err);

/**
 * GetObject of bytes [offset, offset+length) (length 0 = to the end), passing
 * them to `fn` as they arrive. Sets *total (may be NULL) to the object's size.
 */
int s3_get_object(s3_client_t *c, const char *key, uint64_t offset, uint64_t length, s3_write_fn fn,
                  void *arg, uint64_t *total, gw_error_t *err);

/** DeleteObject; deleting a missing key succeeds (S3 answers 204). */
int s3_delete_object(s3_client_t *c, const char *key, gw_error_t *err);

/**
 * Writes into `url` a SigV4 presigned GET URL for `key`, valid `expires` seconds
 * from `now`, on the public endpoint. Pure computation: no network. Returns
 * GW_EINVALID if `url_size` is too small. The URL is a credential: never log it.
 */
int s3_presign_get(s3_client_t *c, const char *key, unsigned expires, time_t now, char *url,
                   size_t url_size);

#endif
