/* SPDX-License-Identifier: Apache-2.0 */
/*
 * passwd.h - salted slow hashes for account passwords and robot secrets, and
 * random robot secrets. Pure: no I/O, no storage; the caller keeps the strings.
 *
 * Stored form: "pbkdf2-sha256$<iterations>$<salt>$<hash>", salt and hash in
 * standard base64 with padding (16-byte salt, 32-byte PBKDF2-HMAC-SHA256).
 */
#ifndef BERTH_PASSWD_H
#define BERTH_PASSWD_H

#include <stddef.h>

#include "gw_error.h"

/* OWASP Password Storage Cheat Sheet (2023): 210,000 for PBKDF2-HMAC-SHA256. */
#define PASSWD_DEFAULT_ITERATIONS 210000u
#define PASSWD_MIN_ITERATIONS 1000u
#define PASSWD_MAX_ITERATIONS 10000000u
/* Enough for any string passwd_hash writes, NUL included. */
#define PASSWD_HASH_MAX 128
/* passwd_random_secret: 43 base64url characters (256 bits), plus NUL. */
#define PASSWD_SECRET_SIZE 44

/**
 * Hashes `password` (NUL-terminated, any length, "" allowed: policy belongs
 * to the caller) with a fresh random salt and PASSWD_DEFAULT_ITERATIONS, and
 * writes the stored form into `out` (PASSWD_HASH_MAX bytes always suffice).
 * Returns GW_ETOOBIG when `out` is too small (out is then ""), GW_ERR when
 * the RNG or KDF fails.
 * Takes about 0.1-0.3 s of CPU: run it off the event loop. Thread-safe.
 */
int passwd_hash(const char *password, char *out, size_t out_size);

/**
 * passwd_hash with an explicit iteration count (tests use the minimum).
 * GW_EINVALID when `iterations` is outside [PASSWD_MIN_ITERATIONS,
 * PASSWD_MAX_ITERATIONS]; otherwise as passwd_hash.
 */
int passwd_hash_iter(const char *password, unsigned iterations, char *out, size_t out_size);

/**
 * 1 when `password` matches the stored form `stored`, else 0. The hashes are
 * compared in constant time. Returns 0, without hashing, for anything that
 * is not a well-formed stored form: another scheme, an iteration count
 * outside [PASSWD_MIN_ITERATIONS, PASSWD_MAX_ITERATIONS], a salt outside 8..64
 * bytes, a hash that is not 32 bytes, or non-canonical base64. Thread-safe.
 */
int passwd_verify(const char *password, const char *stored);

/**
 * 1 when `stored` is well-formed but uses fewer than
 * PASSWD_DEFAULT_ITERATIONS, so the caller should rehash the password it has
 * just verified and store the new form; else 0.
 */
int passwd_needs_rehash(const char *stored);

/**
 * Writes a new random secret of 43 URL-safe characters ([A-Za-z0-9_-],
 * 256 bits) and a NUL into `out`, for robot accounts (shown once, then only
 * its passwd_hash is kept). GW_ETOOBIG when out_size < PASSWD_SECRET_SIZE,
 * GW_ERR when the RNG fails.
 */
int passwd_random_secret(char *out, size_t out_size);

#endif
