/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sigv4.h - AWS Signature Version 4 for S3: canonical requests, signing keys,
 * Authorization header values and presigned query URLs.
 *
 * Pure functions: no network, no clock (the caller passes the time), no
 * allocation, no shared state; all are thread-safe. s3.c builds its requests
 * with them; tests/unit/test_sigv4.c checks them against AWS's published S3
 * examples (docs: "Signature Version 4 signing process", "Authenticating
 * requests: using query parameters").
 *
 * Errors: GW_EINVALID when an output buffer is too small or an argument is out
 * of range (time not representable, too many headers); nothing else can fail.
 */
#ifndef BERTH_SIGV4_H
#define BERTH_SIGV4_H

#include <stddef.h>
#include <time.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define SIGV4_HEX_SIZE 65  /* 64 hex digits of a SHA-256 and a NUL */
#define SIGV4_DATE_SIZE 17 /* "20130524T000000Z" and a NUL */
#define SIGV4_KEY_LEN 32   /* bytes of a signing key (an HMAC-SHA256) */
#define SIGV4_MAX_HEADERS 16
#define SIGV4_MAX_PARAMS 16
#define SIGV4_CANON_MAX 8192 /* longest canonical request the signers build */

/* One header or query parameter, unencoded. A NULL value means "". */
typedef struct sigv4_pair {
    const char *name;
    const char *value;
} sigv4_pair_t;

/* Who signs, and the scope: the region and service ("s3") of the request. */
typedef struct sigv4_cred {
    const char *access_key;
    const char *secret_key;
    const char *region;
    const char *service;
} sigv4_cred_t;

/* A request as SigV4 sees it. Nothing is owned; everything is borrowed. */
typedef struct sigv4_request {
    const char *method;        /* "GET", "PUT", ... */
    const char *path;          /* unencoded absolute path: "/bucket/a b.txt" */
    const sigv4_pair_t *query; /* unencoded, any order; at most SIGV4_MAX_PARAMS */
    size_t nquery;
    const sigv4_pair_t *headers; /* names in any case, unique; at most SIGV4_MAX_HEADERS */
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 of the body, or SIGV4_UNSIGNED_PAYLOAD */
} sigv4_request_t;

/** Writes the lowercase hex SHA-256 of `len` bytes at `data` (NULL is fine when len is 0). */
void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_SIZE]);

/**
 * Writes `t` as the ISO 8601 basic UTC time SigV4 uses ("20130524T000000Z").
 * Returns 0, or GW_EINVALID if `t` cannot be represented.
 */
int sigv4_format_date(time_t t, char out[SIGV4_DATE_SIZE]);

/**
 * URI-encodes `s` as SigV4 wants (RFC 3986 section 2.3): unreserved bytes
 * A-Z a-z 0-9 - . _ ~ stay, every other byte becomes %XX in upper-case hex.
 * With `keep_slash`, '/' stays too (object paths); without it, it is %2F
 * (query names and values). The result also serves as the request URL's own
 * path, so URL and signature always agree. Returns the encoded length, or
 * GW_EINVALID if it does not fit in `size` bytes with its NUL.
 */
int sigv4_uri_encode(const char *s, int keep_slash, char *out, size_t size);

/**
 * Writes the canonical query string: every `name=value` encoded, sorted by
 * encoded name then value, joined with '&' ("" when `n` is 0). A parameter with
 * no value is written "name=". The result is also the query string to send.
 * Returns the length, or GW_EINVALID (too small, or `n` > SIGV4_MAX_PARAMS).
 */
int sigv4_canonical_query(const sigv4_pair_t *params, size_t n, char *out, size_t size);

/**
 * Writes the signed-headers list of `req`: lowercase names, sorted, joined
 * with ';' ("host;range;x-amz-date"). Returns the length or GW_EINVALID.
 */
int sigv4_signed_headers(const sigv4_request_t *req, char *out, size_t size);

/**
 * Writes the canonical request of `req` (method, encoded path, canonical query,
 * canonical headers with lowercase names and trimmed values, signed headers,
 * payload hash, separated by newlines). The caller must include every header
 * it wants signed, among them host and, for header signing, x-amz-date and
 * x-amz-content-sha256. Returns the length or GW_EINVALID.
 */
int sigv4_canonical_request(const sigv4_request_t *req, char *out, size_t size);

/**
 * Writes the string to sign for a canonical request made at `amz_date`
 * (SIGV4_ALGORITHM, the date, the scope date/region/service/aws4_request, and
 * the hex SHA-256 of `canonical`). Returns the length or GW_EINVALID.
 */
int sigv4_string_to_sign(const sigv4_cred_t *cred, const char *amz_date, const char *canonical,
                         char *out, size_t size);

/**
 * Derives the signing key: the HMAC-SHA256 chain over "AWS4" + secret, the
 * 8-digit date of `amz_date`, the region, the service and "aws4_request".
 * The key is as secret as the secret key: wipe it or keep it private.
 */
void sigv4_signing_key(const sigv4_cred_t *cred, const char *amz_date,
                       unsigned char key[SIGV4_KEY_LEN]);

/** Writes the hex HMAC-SHA256 of `string_to_sign` under `key`: the signature. */
void sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *string_to_sign,
                     char out[SIGV4_HEX_SIZE]);

/**
 * Signs `req` at time `now` and writes the value of its Authorization header:
 * "AWS4-HMAC-SHA256 Credential=<ak>/<scope>,SignedHeaders=...,Signature=<hex>".
 * The request's x-amz-date header, if any, must be sigv4_format_date(now).
 * The value is a credential: never log it. Returns the length or GW_EINVALID.
 */
int sigv4_authorization(const sigv4_cred_t *cred, time_t now, const sigv4_request_t *req, char *out,
                        size_t size);

/**
 * Writes a presigned URL: `base_url` (scheme and authority, no trailing '/',
 * e.g. "https://examplebucket.s3.amazonaws.com"), the encoded `path`, and a
 * query with X-Amz-Algorithm, -Credential, -Date, -Expires (`expires` seconds,
 * 1..604800), -SignedHeaders=host and -Signature, signed for `method` at `now`
 * with UNSIGNED-PAYLOAD. `host` is the Host header the fetcher will send: the
 * authority of `base_url`. The URL is a credential: never log it. Returns the
 * length, or GW_EINVALID (too small, or `expires` out of range).
 */
int sigv4_presign_url(const sigv4_cred_t *cred, time_t now, unsigned expires, const char *method,
                      const char *base_url, const char *host, const char *path, char *out,
                      size_t size);

#endif
