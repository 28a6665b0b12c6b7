/* SPDX-License-Identifier: Apache-2.0 */
/*
 * passwd.c - PBKDF2-HMAC-SHA256 password and secret hashes (see passwd.h).
 * Stores and looks up nothing; the base64 codecs come from token.c.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gw_error.h"
#include "passwd.h"
#include "token.h"

#define SCHEME "pbkdf2-sha256$"
#define SALT_LEN 16
#define SALT_MIN 8
#define SALT_MAX 64
#define HASH_LEN 32
#define SECRET_BYTES 32

/* A stored form taken apart. */
typedef struct parsed {
    unsigned iterations;
    unsigned char salt[TOKEN_B64_DECODED_SIZE(TOKEN_B64_SIZE(SALT_MAX))];
    size_t salt_len;
    unsigned char hash[TOKEN_B64_DECODED_SIZE(TOKEN_B64_SIZE(HASH_LEN))];
} parsed_t;

static int derive(const char *password, const unsigned char *salt, size_t salt_len,
                  unsigned iterations, unsigned char out[HASH_LEN]);
static int parse_stored(const char *stored, parsed_t *p);
static int parse_field(const char *s, size_t len, unsigned char *out, size_t size, size_t *out_len);

static int
derive(const char *password, const unsigned char *salt, size_t salt_len, unsigned iterations,
       unsigned char out[HASH_LEN])
{
    size_t plen = strlen(password);

    /* PKCS5_PBKDF2_HMAC takes int lengths; a password that long is not one. */
    if (plen > 1u << 20 || PKCS5_PBKDF2_HMAC(password, (int)plen, salt, (int)salt_len,
                                             (int)iterations, EVP_sha256(), HASH_LEN, out) != 1) {
        ERR_clear_error();
        return GW_ERR;
    }
    return GW_OK;
}

int
passwd_hash_iter(const char *password, unsigned iterations, char *out, size_t out_size)
{
    unsigned char salt[SALT_LEN], hash[HASH_LEN];
    char salt_b64[TOKEN_B64_SIZE(SALT_LEN)], hash_b64[TOKEN_B64_SIZE(HASH_LEN)];
    int n, rc = GW_OK;

    assert(password != NULL && out != NULL);
    if (out_size > 0)
        out[0] = '\0';
    if (iterations < PASSWD_MIN_ITERATIONS || iterations > PASSWD_MAX_ITERATIONS)
        return GW_EINVALID;
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        ERR_clear_error();
        return GW_ERR;
    }
    rc = derive(password, salt, sizeof(salt), iterations, hash);
    if (rc == GW_OK) {
        token_b64_encode(salt, sizeof(salt), salt_b64, sizeof(salt_b64));
        token_b64_encode(hash, sizeof(hash), hash_b64, sizeof(hash_b64));
        n = snprintf(out, out_size, SCHEME "%u$%s$%s", iterations, salt_b64, hash_b64);
        if (n < 0 || (size_t)n >= out_size) {
            if (out_size > 0)
                out[0] = '\0';
            rc = GW_ETOOBIG;
        }
    }
    OPENSSL_cleanse(hash, sizeof(hash));
    return rc;
}

int
passwd_hash(const char *password, char *out, size_t out_size)
{
    return passwd_hash_iter(password, PASSWD_DEFAULT_ITERATIONS, out, out_size);
}

/* One base64 field; the decoder refuses non-canonical spellings. */
static int
parse_field(const char *s, size_t len, unsigned char *out, size_t size, size_t *out_len)
{
    if (len == 0 || len % 4 != 0)
        return 0;
    return token_b64_decode(s, len, out, size, out_len) == GW_OK;
}

/* 1 when `stored` is a well-formed stored form, filling *p. */
static int
parse_stored(const char *stored, parsed_t *p)
{
    const char *s, *salt, *hash;
    size_t hash_len = 0, ndigits = 0;
    unsigned long it = 0;

    if (stored == NULL || strncmp(stored, SCHEME, strlen(SCHEME)) != 0)
        return 0;
    s = stored + strlen(SCHEME);
    /* Plain decimal, no sign, no leading zero, at most 8 digits. */
    while (s[ndigits] >= '0' && s[ndigits] <= '9' && ndigits < 9) {
        it = it * 10 + (unsigned long)(s[ndigits] - '0');
        ndigits++;
    }
    if (ndigits == 0 || ndigits > 8 || s[0] == '0' || s[ndigits] != '$' ||
        it < PASSWD_MIN_ITERATIONS || it > PASSWD_MAX_ITERATIONS)
        return 0;
    p->iterations = (unsigned)it;
    salt = s + ndigits + 1;
    hash = strchr(salt, '$');
    if (hash == NULL || strchr(hash + 1, '$') != NULL)
        return 0;
    if (!parse_field(salt, (size_t)(hash - salt), p->salt, sizeof(p->salt), &p->salt_len) ||
        p->salt_len < SALT_MIN || p->salt_len > SALT_MAX)
        return 0;
    hash++;
    if (!parse_field(hash, strlen(hash), p->hash, sizeof(p->hash), &hash_len) ||
        hash_len != HASH_LEN)
        return 0;
    return 1;
}

int
passwd_verify(const char *password, const char *stored)
{
    unsigned char got[HASH_LEN];
    parsed_t p;
    int ok;

    assert(password != NULL);
    if (!parse_stored(stored, &p))
        return 0;
    ok = derive(password, p.salt, p.salt_len, p.iterations, got) == GW_OK &&
         CRYPTO_memcmp(got, p.hash, HASH_LEN) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    OPENSSL_cleanse(&p, sizeof(p));
    return ok;
}

int
passwd_needs_rehash(const char *stored)
{
    parsed_t p;

    return parse_stored(stored, &p) && p.iterations < PASSWD_DEFAULT_ITERATIONS;
}

int
passwd_random_secret(char *out, size_t out_size)
{
    unsigned char rnd[SECRET_BYTES];
    int rc;

    assert(out != NULL);
    _Static_assert(TOKEN_B64URL_SIZE(SECRET_BYTES) == PASSWD_SECRET_SIZE,
                   "PASSWD_SECRET_SIZE does not match SECRET_BYTES");
    if (out_size > 0)
        out[0] = '\0';
    if (out_size < PASSWD_SECRET_SIZE)
        return GW_ETOOBIG;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        ERR_clear_error();
        return GW_ERR;
    }
    rc = token_b64url_encode(rnd, sizeof(rnd), out, out_size);
    OPENSSL_cleanse(rnd, sizeof(rnd));
    return rc;
}
