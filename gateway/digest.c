/* SPDX-License-Identifier: Apache-2.0 */
/*
 * digest.c - "algo:hex" digests and resumable SHA-256/SHA-512 (see digest.h).
 *
 * The EVP API hides its hash state, so this module uses the low-level
 * SHA256_CTX / SHA512_CTX, whose fields can be written out after each upload
 * chunk and read back by any gateway (DESIGN.md invariant 1).
 */

/*
 * The SHA*_Init/Update/Final functions are deprecated in OpenSSL 3 but are
 * the only API with a reachable chaining state. Asking for the 1.1.0 API
 * keeps them declared without deprecation warnings.
 */
#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 0x10100000L
#endif

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include <openssl/sha.h>

#include "digest.h"

/* Version byte of the saved layout; bump it when the layout changes. */
#define STATE_VERSION 1

/*
 * Saved layout, version 1, every integer little-endian:
 *
 *   off  size      field
 *   0    1         version (STATE_VERSION)
 *   1    1         algo (DIGEST_SHA256 or DIGEST_SHA512)
 *   2    8         length: bytes hashed so far
 *   10   8 * W     h[0..7], the chaining values (W = 4 for sha256, 8 for sha512)
 *   ..   W         Nl: low word of the message length in bits
 *   ..   W         Nh: high word of the message length in bits
 *   ..   4         num: bytes waiting in the partial block (< block size)
 *   ..   num       the partial block
 *
 * The partial block is kept as bytes by OpenSSL (md32_common.h and
 * sha512.c copy input into it with memcpy), so it needs no byte swapping.
 */
#define STATE_HEAD 10

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((digest_ctx_t *)0)->state),
               "digest_ctx_t.state too small for SHA256_CTX");
_Static_assert(sizeof(SHA512_CTX) <= sizeof(((digest_ctx_t *)0)->state),
               "digest_ctx_t.state too small for SHA512_CTX");
_Static_assert(_Alignof(SHA512_CTX) <= _Alignof(digest_ctx_t) &&
                   offsetof(digest_ctx_t, state) % _Alignof(SHA512_CTX) == 0,
               "digest_ctx_t.state misaligned for SHA512_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(digest_ctx_t) &&
                   offsetof(digest_ctx_t, state) % _Alignof(SHA256_CTX) == 0,
               "digest_ctx_t.state misaligned for SHA256_CTX");
_Static_assert(STATE_HEAD + 10 * 8 + 4 + SHA512_CBLOCK - 1 <= DIGEST_STATE_MAX,
               "DIGEST_STATE_MAX too small for a saved sha512 state");

static size_t state_size(digest_algo_t algo, size_t num);
static void put_le32(unsigned char *p, uint32_t v);
static void put_le64(unsigned char *p, uint64_t v);
static uint32_t get_le32(const unsigned char *p);
static uint64_t get_le64(const unsigned char *p);
static int hex_run(const char *s, size_t n);

static const char hex_digits[] = "0123456789abcdef";

/* Bytes of a saved state of `algo` holding `num` bytes of partial block. */
static size_t
state_size(digest_algo_t algo, size_t num)
{
    size_t word = algo == DIGEST_SHA256 ? 4 : 8;

    return STATE_HEAD + 10 * word + 4 + num;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get_le32(const unsigned char *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t
get_le64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* True when the first n bytes of s are lowercase hex. */
static int
hex_run(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

int
digest_parse(const char *s, digest_algo_t *algo)
{
    digest_algo_t a = DIGEST_NONE;
    size_t hexlen = 0;

    assert(s != NULL);
    /*
     * OCI image-spec "Digests": the registered algorithms sha256 and sha512
     * have encoded parts matching /[a-f0-9]{64}/ and /[a-f0-9]{128}/; upper
     * case is not allowed. Any other algorithm, registered or not, is
     * refused here (the caller answers DIGEST_INVALID or UNSUPPORTED).
     */
    if (strncmp(s, "sha256:", 7) == 0) {
        a = DIGEST_SHA256;
        hexlen = 64;
    } else if (strncmp(s, "sha512:", 7) == 0) {
        a = DIGEST_SHA512;
        hexlen = 128;
    }
    /* hex_run stops at the NUL of a short string, so strlen comes after. */
    if (a == DIGEST_NONE || !hex_run(s + 7, hexlen) || s[7 + hexlen] != '\0')
        a = DIGEST_NONE;
    if (algo != NULL)
        *algo = a;
    return a == DIGEST_NONE ? GW_EINVALID : GW_OK;
}

const char *
digest_algo_name(digest_algo_t algo)
{
    switch (algo) {
    case DIGEST_SHA256:
        return "sha256";
    case DIGEST_SHA512:
        return "sha512";
    case DIGEST_NONE:
        break;
    }
    return NULL;
}

void
digest_init(digest_ctx_t *ctx, digest_algo_t algo)
{
    assert(algo == DIGEST_SHA256 || algo == DIGEST_SHA512);
    memset(ctx, 0, sizeof(*ctx));
    ctx->algo = algo;
    /* The low-level Init functions cannot fail; they only set fields. */
    if (algo == DIGEST_SHA256)
        SHA256_Init((SHA256_CTX *)(void *)ctx->state);
    else
        SHA512_Init((SHA512_CTX *)(void *)ctx->state);
}

void
digest_update(digest_ctx_t *ctx, const void *data, size_t len)
{
    assert(ctx->algo == DIGEST_SHA256 || ctx->algo == DIGEST_SHA512);
    if (len == 0)
        return;
    if (ctx->algo == DIGEST_SHA256)
        SHA256_Update((SHA256_CTX *)(void *)ctx->state, data, len);
    else
        SHA512_Update((SHA512_CTX *)(void *)ctx->state, data, len);
    ctx->length += len;
}

void
digest_final(digest_ctx_t *ctx, char out[DIGEST_STR_MAX])
{
    unsigned char md[SHA512_DIGEST_LENGTH];
    size_t mdlen;
    size_t o;

    assert(ctx->algo == DIGEST_SHA256 || ctx->algo == DIGEST_SHA512);
    if (ctx->algo == DIGEST_SHA256) {
        SHA256_Final(md, (SHA256_CTX *)(void *)ctx->state);
        mdlen = SHA256_DIGEST_LENGTH;
    } else {
        SHA512_Final(md, (SHA512_CTX *)(void *)ctx->state);
        mdlen = SHA512_DIGEST_LENGTH;
    }
    memcpy(out, digest_algo_name(ctx->algo), 6);
    out[6] = ':';
    o = 7;
    for (size_t i = 0; i < mdlen; i++) {
        out[o++] = hex_digits[md[i] >> 4];
        out[o++] = hex_digits[md[i] & 0x0f];
    }
    out[o] = '\0';
}

size_t
digest_state_save(const digest_ctx_t *ctx, unsigned char *buf, size_t size)
{
    const unsigned char *block;
    size_t num, need, o;

    assert(ctx->algo == DIGEST_SHA256 || ctx->algo == DIGEST_SHA512);
    if (ctx->algo == DIGEST_SHA256) {
        const SHA256_CTX *c = (const SHA256_CTX *)(const void *)ctx->state;

        num = c->num;
        need = state_size(ctx->algo, num);
        if (size < need)
            return 0;
        o = STATE_HEAD;
        for (int i = 0; i < 8; i++, o += 4)
            put_le32(buf + o, c->h[i]);
        put_le32(buf + o, c->Nl);
        put_le32(buf + o + 4, c->Nh);
        o += 8;
        block = (const unsigned char *)c->data;
    } else {
        const SHA512_CTX *c = (const SHA512_CTX *)(const void *)ctx->state;

        num = c->num;
        need = state_size(ctx->algo, num);
        if (size < need)
            return 0;
        o = STATE_HEAD;
        for (int i = 0; i < 8; i++, o += 8)
            put_le64(buf + o, c->h[i]);
        put_le64(buf + o, c->Nl);
        put_le64(buf + o + 8, c->Nh);
        o += 16;
        block = c->u.p;
    }
    buf[0] = STATE_VERSION;
    buf[1] = (unsigned char)ctx->algo;
    put_le64(buf + 2, ctx->length);
    put_le32(buf + o, (uint32_t)num);
    o += 4;
    memcpy(buf + o, block, num);
    o += num;
    assert(o == need && o <= DIGEST_STATE_MAX);
    return o;
}

int
digest_state_load(digest_ctx_t *ctx, const unsigned char *buf, size_t len)
{
    digest_ctx_t tmp;
    digest_algo_t algo;
    uint64_t length;
    size_t o, fixed;
    uint32_t num;

    /*
     * The bytes come from the upload row, so treat them as untrusted: a
     * state that does not describe a reachable hash position is refused
     * rather than finished into a wrong digest. `ctx` is only written once
     * everything has been checked.
     */
    if (buf == NULL || len < STATE_HEAD || buf[0] != STATE_VERSION)
        return GW_EINVALID;
    if (buf[1] != DIGEST_SHA256 && buf[1] != DIGEST_SHA512)
        return GW_EINVALID;
    algo = (digest_algo_t)buf[1];
    fixed = state_size(algo, 0);
    if (len < fixed)
        return GW_EINVALID;
    num = get_le32(buf + fixed - 4);
    length = get_le64(buf + 2);
    digest_init(&tmp, algo);
    tmp.length = length;
    o = STATE_HEAD;
    if (algo == DIGEST_SHA256) {
        SHA256_CTX *c = (SHA256_CTX *)(void *)tmp.state;

        /* SHA-256 counts at most 2^64 - 1 bits (FIPS 180-4 section 1). */
        if (num >= SHA256_CBLOCK || len != fixed + num || length >> 61 != 0)
            return GW_EINVALID;
        for (int i = 0; i < 8; i++, o += 4)
            c->h[i] = get_le32(buf + o);
        c->Nl = get_le32(buf + o);
        c->Nh = get_le32(buf + o + 4);
        if (((uint64_t)c->Nh << 32 | c->Nl) != length << 3)
            return GW_EINVALID;
        c->num = num;
        memcpy(c->data, buf + fixed, num);
    } else {
        SHA512_CTX *c = (SHA512_CTX *)(void *)tmp.state;

        if (num >= SHA512_CBLOCK || len != fixed + num)
            return GW_EINVALID;
        for (int i = 0; i < 8; i++, o += 8)
            c->h[i] = get_le64(buf + o);
        c->Nl = get_le64(buf + o);
        c->Nh = get_le64(buf + o + 8);
        if (c->Nl != length << 3 || c->Nh != length >> 61)
            return GW_EINVALID;
        c->num = num;
        memcpy(c->u.p, buf + fixed, num);
    }
    /* Whole blocks are consumed at once, so the tail is length mod block. */
    if (num != length % (algo == DIGEST_SHA256 ? SHA256_CBLOCK : SHA512_CBLOCK))
        return GW_EINVALID;
    *ctx = tmp;
    return GW_OK;
}

void
digest_compute(digest_algo_t algo, const void *data, size_t len, char out[DIGEST_STR_MAX])
{
    digest_ctx_t ctx;

    digest_init(&ctx, algo);
    digest_update(&ctx, data, len);
    digest_final(&ctx, out);
}
