/* SPDX-License-Identifier: Apache-2.0 */
/*
 * digest.h - content digests: parsing "algo:hex" strings and hashing with a
 * state that can be saved into the upload row and restored on any gateway.
 *
 * Supported algorithms: sha256 and sha512 (OCI image-spec "Digests").
 * SHA*_ and EVP_* calls appear only in digest.c.
 */
#ifndef BERTH_DIGEST_H
#define BERTH_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"

typedef enum digest_algo {
    DIGEST_NONE = 0,
    DIGEST_SHA256 = 1,
    DIGEST_SHA512 = 2,
} digest_algo_t;

/* "sha512:" + 128 hex + NUL */
#define DIGEST_STR_MAX 136
/* Upper bound of digest_state_save's output. */
#define DIGEST_STATE_MAX 256

/**
 * Parses and validates `s` as a digest ("sha256:" + 64 lowercase hex, or
 * "sha512:" + 128 lowercase hex). Sets *algo. Returns GW_EINVALID for an
 * unknown algorithm, a wrong length, uppercase or non-hex characters.
 * A well-formed digest of another registered algorithm is also GW_EINVALID
 * (the caller answers DIGEST_INVALID / UNSUPPORTED).
 */
int digest_parse(const char *s, digest_algo_t *algo);

/** "sha256" or "sha512"; NULL for DIGEST_NONE. */
const char *digest_algo_name(digest_algo_t algo);

/**
 * A running hash. Plain data: no pointers, no heap. `state` holds the
 * algorithm's context; it is aligned so digest.c can use it in place.
 */
typedef struct digest_ctx {
    digest_algo_t algo;
    uint64_t length;                       /* bytes hashed so far */
    _Alignas(16) unsigned char state[224]; /* the algorithm's context, opaque */
} digest_ctx_t;

/** Starts a hash of `algo`. */
void digest_init(digest_ctx_t *ctx, digest_algo_t algo);

/** Hashes `len` more bytes. */
void digest_update(digest_ctx_t *ctx, const void *data, size_t len);

/**
 * Finishes the hash and writes "algo:hex" into `out` (DIGEST_STR_MAX bytes).
 * `ctx` is left finished; do not update it again.
 */
void digest_final(digest_ctx_t *ctx, char out[DIGEST_STR_MAX]);

/**
 * Serialises `ctx` into `buf` in a fixed, endian-independent layout
 * (version byte, algo, length, chaining values, partial block). Returns the
 * number of bytes written (at most DIGEST_STATE_MAX), or 0 when `size` is too
 * small (a buffer of DIGEST_STATE_MAX bytes is always enough).
 */
size_t digest_state_save(const digest_ctx_t *ctx, unsigned char *buf, size_t size);

/**
 * Restores a state written by digest_state_save. Returns GW_EINVALID when the
 * bytes are not a valid saved state. Continuing from a restored state gives
 * the same digest as hashing everything in one pass.
 */
int digest_state_load(digest_ctx_t *ctx, const unsigned char *buf, size_t len);

/** One-shot helper: writes "algo:hex" of `data` into out. */
void digest_compute(digest_algo_t algo, const void *data, size_t len, char out[DIGEST_STR_MAX]);

#endif
