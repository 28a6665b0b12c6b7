/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token.c - ES256 keys, scopes, and access/refresh JWTs for Docker registry
 * token auth (see token.h and /work/shared/reference/docker-token-auth.md).
 * Owns all JOSE handling; it grants nothing and checks no credentials.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "token.h"

/* Largest key file read; a PEM key or certificate is a few KiB. */
#define KEY_FILE_MAX (64 * 1024)
/* Largest decoded JOSE header; ours is about 110 bytes. */
#define HEADER_MAX 2048
/* ES256 signature: R and S, 32 bytes each, big-endian (RFC 7518 section 3.4). */
#define ES256_SIG_LEN 64
#define JTI_BYTES 16

struct token_key {
    EVP_PKEY *pkey;
    int can_sign;
    char kid[TOKEN_KID_MAX];
    char thumbprint[TOKEN_THUMBPRINT_MAX];
};

/* What the verifier expects of one kind of token. */
typedef struct kind {
    const char *typ;
    int refresh;
} kind_t;

static const kind_t kind_access = {"JWT", 0};
static const kind_t kind_refresh = {TOKEN_REFRESH_TYP, 1};

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const struct {
    const char *name;
    unsigned bit;
} action_names[] = {
    {"pull", TOKEN_PULL},
    {"push", TOKEN_PUSH},
    {"delete", TOKEN_DELETE},
    {"*", TOKEN_ALL},
};

static int b64_enc(const char *alpha, int pad, const void *data, size_t len, char *out,
                   size_t size);
static int b64_val(int c, int url);
static int b64_dec(int url, const char *in, size_t len, unsigned char *out, size_t size,
                   size_t *out_len);
static int no_passphrase(char *buf, int size, int rwflag, void *u);
static int read_file(const char *path, unsigned char **out, size_t *len);
static int write_new_file(const char *path, const void *data, size_t len, mode_t mode);
static EVP_PKEY *pem_to_pkey(const unsigned char *pem, size_t len, int *can_sign);
static int is_p256(EVP_PKEY *pkey);
static int compute_kid(EVP_PKEY *pkey, char kid[TOKEN_KID_MAX]);
static int compute_thumbprint(EVP_PKEY *pkey, char out[TOKEN_THUMBPRINT_MAX]);
static int es256_sign(EVP_PKEY *pkey, const char *msg, size_t len,
                      unsigned char sig[ES256_SIG_LEN]);
static int es256_verify(EVP_PKEY *pkey, const char *msg, size_t len,
                        const unsigned char sig[ES256_SIG_LEN]);
static int jws_sign(const token_key_t *key, const char *hdr, size_t hdrlen, const char *claims,
                    size_t claimslen, char **out);
static int issue(const token_key_t *key, const token_params_t *p, const kind_t *kind, char **out,
                 gw_error_t *err);
static json_t *access_to_json(const token_access_t *a, size_t n);
static int deny(gw_error_t *err, const char *reason);
static json_t *decode_json(const char *b64, size_t len, size_t max);
static int check_header(const token_key_t *key, const json_t *hdr, const kind_t *kind,
                        const char **why);
static int check_claims(const json_t *claims, const char *aud, const char *iss, time_t now,
                        const kind_t *kind, token_claims_t *out, const char **why);
static int claim_time(const json_t *claims, const char *name, int required, long long *out);
static int parse_access(const json_t *arr, token_claims_t *out);
static int copy_str(char *dst, size_t size, const char *src);
static unsigned action_bit(const char *s, size_t len);
static int scope_one(const char *s, size_t len, token_access_t *a);
static int name_char(int c);
static int verify(const token_key_t *key, const char *jwt, const char *aud, const char *iss,
                  time_t now, const kind_t *kind, token_claims_t *out, gw_error_t *err);

/* ---- base64 ---- */

static int
b64_enc(const char *alpha, int pad, const void *data, size_t len, char *out, size_t size)
{
    const unsigned char *p = data;
    size_t need = pad ? TOKEN_B64_SIZE(len) : TOKEN_B64URL_SIZE(len);
    size_t o = 0, i = 0;

    if (size < need) {
        if (size > 0)
            out[0] = '\0';
        return GW_ETOOBIG;
    }
    for (; i + 3 <= len; i += 3) {
        unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];

        out[o++] = alpha[v >> 18 & 63];
        out[o++] = alpha[v >> 12 & 63];
        out[o++] = alpha[v >> 6 & 63];
        out[o++] = alpha[v & 63];
    }
    if (len - i == 1) {
        out[o++] = alpha[p[i] >> 2];
        out[o++] = alpha[(p[i] & 3) << 4];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        out[o++] = alpha[p[i] >> 2];
        out[o++] = alpha[(p[i] & 3) << 4 | p[i + 1] >> 4];
        out[o++] = alpha[(p[i + 1] & 15) << 2];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    assert(o + 1 == need);
    return GW_OK;
}

/* The 6-bit value of c in the standard or URL alphabet, or -1. */
static int
b64_val(int c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

/*
 * Strict decoding: a string has exactly one accepted spelling, so unused
 * low bits of the last character must be zero (RFC 4648 section 3.5).
 */
static int
b64_dec(int url, const char *in, size_t len, unsigned char *out, size_t size, size_t *out_len)
{
    size_t n = len, o = 0, need;
    unsigned long acc = 0;
    int bits = 0;

    *out_len = 0;
    if (!url && len > 0 && len % 4 == 0) {
        /* Standard base64 may end in "=" or "==" (and then is a multiple of 4). */
        if (in[n - 1] == '=')
            n--;
        if (in[n - 1] == '=')
            n--;
    }
    if (n % 4 == 1 || (n != len && len - n != (4 - n % 4) % 4))
        return GW_EINVALID;
    need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) + 1;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val((unsigned char)in[i], url);

        if (v < 0)
            return GW_EINVALID;
        acc = (acc << 6 | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 < size)
                out[o] = (unsigned char)(acc >> bits);
            o++;
        }
    }
    if (bits > 0 && (acc & ((1ul << bits) - 1)) != 0)
        return GW_EINVALID;
    assert(o + 1 == need);
    if (size < need)
        return GW_ETOOBIG;
    out[o] = '\0';
    *out_len = o;
    return GW_OK;
}

int
token_b64url_encode(const void *data, size_t len, char *out, size_t size)
{
    return b64_enc(b64_url, 0, data, len, out, size);
}

int
token_b64url_decode(const char *in, size_t len, unsigned char *out, size_t size, size_t *out_len)
{
    return b64_dec(1, in, len, out, size, out_len);
}

int
token_b64_encode(const void *data, size_t len, char *out, size_t size)
{
    return b64_enc(b64_std, 1, data, len, out, size);
}

int
token_b64_decode(const char *in, size_t len, unsigned char *out, size_t size, size_t *out_len)
{
    return b64_dec(0, in, len, out, size, out_len);
}

/* ---- keys ---- */

/* Encrypted keys are refused instead of prompting on a terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

static int
read_file(const char *path, unsigned char **out, size_t *len)
{
    unsigned char *buf = NULL;
    FILE *f = NULL;
    size_t n;
    int rc = GW_ERR;

    *out = NULL;
    f = fopen(path, "rb");
    if (f == NULL)
        goto cleanup;
    buf = malloc(KEY_FILE_MAX + 1);
    if (buf == NULL)
        goto cleanup;
    n = fread(buf, 1, KEY_FILE_MAX + 1, f);
    if (ferror(f) || n > KEY_FILE_MAX) {
        errno = ferror(f) ? EIO : EFBIG;
        goto cleanup;
    }
    *out = buf;
    *len = n;
    buf = NULL;
    rc = GW_OK;
cleanup:
    if (buf != NULL)
        OPENSSL_clear_free(buf, KEY_FILE_MAX + 1);
    if (f != NULL)
        fclose(f);
    return rc;
}

static int
write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
    const char *p = data;
    int fd, rc = GW_OK;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return errno == EEXIST ? GW_EEXISTS : GW_ERR;
    /* The umask may only remove bits; set the mode exactly. */
    if (fchmod(fd, mode) != 0)
        rc = GW_ERR;
    while (rc == GW_OK && len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = GW_ERR;
            break;
        }
        p += w;
        len -= (size_t)w;
    }
    if (rc == GW_OK && fsync(fd) != 0)
        rc = GW_ERR;
    if (close(fd) != 0)
        rc = GW_ERR;
    if (rc != GW_OK)
        unlink(path);
    return rc;
}

/* Tries the PEM as a private key, then a public key, then a certificate. */
static EVP_PKEY *
pem_to_pkey(const unsigned char *pem, size_t len, int *can_sign)
{
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    BIO *bio;

    *can_sign = 0;
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio != NULL)
        pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (pkey != NULL) {
        *can_sign = 1;
        return pkey;
    }
    ERR_clear_error();
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio != NULL)
        pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (pkey != NULL)
        return pkey;
    ERR_clear_error();
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio != NULL)
        cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (cert != NULL)
        pkey = X509_get_pubkey(cert);
    X509_free(cert);
    ERR_clear_error();
    return pkey;
}

static int
is_p256(EVP_PKEY *pkey)
{
    char group[64];
    size_t glen = 0;

    if (!EVP_PKEY_is_a(pkey, "EC") ||
        !EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                        &glen)) {
        ERR_clear_error();
        return 0;
    }
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

/*
 * libtrust keyIDFromCryptoKey/keyIDEncode: SHA-256 of the DER
 * SubjectPublicKeyInfo, first 30 bytes, base32 without '=' (48 characters),
 * then ':' after every 4. docker/distribution 2.x and Harbor use this "kid".
 */
static int
compute_kid(EVP_PKEY *pkey, char kid[TOKEN_KID_MAX])
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned char *der = NULL;
    unsigned int mdlen = 0;
    int derlen, bits = 0, chars = 0;
    unsigned long acc = 0;
    size_t o = 0;

    derlen = i2d_PUBKEY(pkey, &der);
    if (derlen <= 0 || !EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL)) {
        OPENSSL_free(der);
        ERR_clear_error();
        return GW_ERR;
    }
    OPENSSL_free(der);
    for (size_t i = 0; i < 30; i++) {
        acc = (acc << 8 | md[i]) & 0xffff;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            if (chars > 0 && chars % 4 == 0)
                kid[o++] = ':';
            kid[o++] = b32[acc >> bits & 31];
            chars++;
        }
    }
    kid[o] = '\0';
    assert(chars == 48 && bits == 0 && o + 1 == TOKEN_KID_MAX);
    return GW_OK;
}

/* RFC 7638 section 3.2: members in lexicographic order, no whitespace. */
static int
compute_thumbprint(EVP_PKEY *pkey, char out[TOKEN_THUMBPRINT_MAX])
{
    unsigned char x[32], y[32], md[EVP_MAX_MD_SIZE];
    char bx[TOKEN_B64URL_SIZE(32)], by[TOKEN_B64URL_SIZE(32)], jwk[160];
    BIGNUM *bnx = NULL, *bny = NULL;
    unsigned int mdlen = 0;
    int n, rc = GW_ERR;

    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bnx) ||
        !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &bny) ||
        BN_bn2binpad(bnx, x, sizeof(x)) != sizeof(x) ||
        BN_bn2binpad(bny, y, sizeof(y)) != sizeof(y))
        goto cleanup;
    token_b64url_encode(x, sizeof(x), bx, sizeof(bx));
    token_b64url_encode(y, sizeof(y), by, sizeof(by));
    n = snprintf(jwk, sizeof(jwk), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                 bx, by);
    if (n < 0 || (size_t)n >= sizeof(jwk) ||
        !EVP_Digest(jwk, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
        goto cleanup;
    rc = token_b64url_encode(md, mdlen, out, TOKEN_THUMBPRINT_MAX);
cleanup:
    if (rc != GW_OK)
        ERR_clear_error();
    BN_free(bnx);
    BN_free(bny);
    return rc;
}

int
token_key_load(token_key_t **out, const char *pem_path, gw_error_t *err)
{
    unsigned char *pem = NULL;
    token_key_t *key = NULL;
    size_t len = 0;
    int rc;

    assert(out != NULL && pem_path != NULL);
    *out = NULL;
    errno = 0;
    rc = read_file(pem_path, &pem, &len);
    if (rc != GW_OK) {
        rc = gw_error_internal(err, GW_ERR, "token key %s: cannot read: %s", pem_path,
                               strerror(errno != 0 ? errno : EIO));
        goto cleanup;
    }
    key = calloc(1, sizeof(*key));
    if (key == NULL) {
        rc = gw_error_internal(err, GW_ERR, "token key: out of memory");
        goto cleanup;
    }
    key->pkey = pem_to_pkey(pem, len, &key->can_sign);
    if (key->pkey == NULL || !is_p256(key->pkey)) {
        rc = gw_error_internal(err, GW_EINVALID, "token key %s: no unencrypted EC P-256 key in PEM",
                               pem_path);
        goto cleanup;
    }
    if (compute_kid(key->pkey, key->kid) != GW_OK ||
        compute_thumbprint(key->pkey, key->thumbprint) != GW_OK) {
        rc = gw_error_internal(err, GW_ERR, "token key %s: cannot compute key id", pem_path);
        goto cleanup;
    }
    *out = key;
    key = NULL;
    rc = GW_OK;
cleanup:
    if (pem != NULL)
        OPENSSL_clear_free(pem, KEY_FILE_MAX + 1);
    token_key_free(key);
    ERR_clear_error();
    return rc;
}

int
token_key_generate_pem(const char *path)
{
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    char *data = NULL;
    long len;
    int rc = GW_ERR;

    assert(path != NULL);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_group_name(ctx, "P-256") <= 0 || EVP_PKEY_keygen(ctx, &pkey) <= 0)
        goto cleanup;
    bio = BIO_new(BIO_s_secmem());
    if (bio == NULL || !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL))
        goto cleanup;
    len = BIO_get_mem_data(bio, &data);
    if (len <= 0)
        goto cleanup;
    rc = write_new_file(path, data, (size_t)len, 0600);
cleanup:
    ERR_clear_error();
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int
token_key_save_public_pem(const token_key_t *key, const char *path)
{
    BIO *bio = NULL;
    char *data = NULL;
    long len;
    int rc = GW_ERR;

    assert(key != NULL && path != NULL);
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PUBKEY(bio, key->pkey))
        goto cleanup;
    len = BIO_get_mem_data(bio, &data);
    if (len <= 0)
        goto cleanup;
    rc = write_new_file(path, data, (size_t)len, 0644);
cleanup:
    ERR_clear_error();
    BIO_free(bio);
    return rc;
}

void
token_key_free(token_key_t *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}

int
token_key_can_sign(const token_key_t *key)
{
    return key->can_sign;
}

const char *
token_key_id(const token_key_t *key)
{
    return key->kid;
}

const char *
token_key_thumbprint(const token_key_t *key)
{
    return key->thumbprint;
}

/* ---- ES256 (RFC 7518 section 3.4) ---- */

/* OpenSSL signs in DER; JOSE wants R and S as two 32-byte big-endian numbers. */
static int
es256_sign(EVP_PKEY *pkey, const char *msg, size_t len, unsigned char sig[ES256_SIG_LEN])
{
    unsigned char der[128];
    const unsigned char *p = der;
    const BIGNUM *r, *s;
    ECDSA_SIG *es = NULL;
    EVP_MD_CTX *md = NULL;
    size_t derlen = sizeof(der);
    int rc = GW_ERR;

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, der, &derlen, (const unsigned char *)msg, len) != 1)
        goto cleanup;
    es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (es == NULL)
        goto cleanup;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
        goto cleanup;
    rc = GW_OK;
cleanup:
    if (rc != GW_OK)
        ERR_clear_error();
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return rc;
}

/* 1 when sig (R||S) is a valid signature of msg, else 0. */
static int
es256_verify(EVP_PKEY *pkey, const char *msg, size_t len, const unsigned char sig[ES256_SIG_LEN])
{
    unsigned char *der = NULL;
    BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *es = NULL;
    EVP_MD_CTX *md = NULL;
    int derlen, ok = 0;

    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, 32, NULL);
    s = BN_bin2bn(sig + 32, 32, NULL);
    if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
        goto cleanup;
    r = s = NULL; /* owned by es now */
    derlen = i2d_ECDSA_SIG(es, &der);
    if (derlen <= 0)
        goto cleanup;
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1)
        goto cleanup;
    ok = EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)msg, len) == 1;
cleanup:
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return ok;
}

/* ---- issuing ---- */

/* base64url(hdr) "." base64url(claims) "." base64url(R||S), in a malloc'd string. */
static int
jws_sign(const token_key_t *key, const char *hdr, size_t hdrlen, const char *claims,
         size_t claimslen, char **out)
{
    unsigned char sig[ES256_SIG_LEN];
    size_t h, c, total;
    char *buf;

    *out = NULL;
    if (!key->can_sign)
        return GW_EINVALID;
    h = TOKEN_B64URL_SIZE(hdrlen) - 1;
    c = TOKEN_B64URL_SIZE(claimslen) - 1;
    total = h + 1 + c + 1 + TOKEN_B64URL_SIZE(ES256_SIG_LEN);
    buf = malloc(total);
    if (buf == NULL)
        return GW_ERR;
    token_b64url_encode(hdr, hdrlen, buf, h + 1);
    buf[h] = '.';
    token_b64url_encode(claims, claimslen, buf + h + 1, c + 1);
    if (es256_sign(key->pkey, buf, h + 1 + c, sig) != GW_OK) {
        free(buf);
        return GW_ERR;
    }
    buf[h + 1 + c] = '.';
    token_b64url_encode(sig, sizeof(sig), buf + h + 1 + c + 1, TOKEN_B64URL_SIZE(ES256_SIG_LEN));
    *out = buf;
    return GW_OK;
}

int
token__sign(const token_key_t *key, const char *header_json, const char *claims_json, char **out)
{
    assert(key != NULL && header_json != NULL && claims_json != NULL && out != NULL);
    return jws_sign(key, header_json, strlen(header_json), claims_json, strlen(claims_json), out);
}

/* The "access" claim: [{"type":..,"name":..,"actions":[..]}] (token.md, "access"). */
static json_t *
access_to_json(const token_access_t *a, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *actions = json_array();
        json_t *entry;

        if (memchr(a[i].type, '\0', sizeof(a[i].type)) == NULL ||
            memchr(a[i].name, '\0', sizeof(a[i].name)) == NULL || a[i].type[0] == '\0') {
            json_decref(actions);
            json_decref(arr);
            return NULL;
        }
        for (size_t k = 0; actions != NULL && k < sizeof(action_names) / sizeof(action_names[0]);
             k++) {
            if ((a[i].actions & action_names[k].bit) &&
                json_array_append_new(actions, json_string(action_names[k].name)) != 0) {
                json_decref(actions);
                actions = NULL;
            }
        }
        /* "o" steals `actions`; json_pack frees it too when it fails. */
        entry =
            json_pack("{s:s, s:s, s:o}", "type", a[i].type, "name", a[i].name, "actions", actions);
        if (entry == NULL || json_array_append_new(arr, entry) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static int
issue(const token_key_t *key, const token_params_t *p, const kind_t *kind, char **out,
      gw_error_t *err)
{
    unsigned char rnd[JTI_BYTES];
    char jti[TOKEN_B64URL_SIZE(JTI_BYTES)];
    json_t *hdr = NULL, *claims = NULL, *access = NULL;
    char *hdr_s = NULL, *claims_s = NULL;
    int rc;

    assert(key != NULL && p != NULL && out != NULL);
    assert(p->issuer != NULL && p->subject != NULL && p->audience != NULL);
    assert(p->lifetime >= 60 && (p->naccess == 0 || p->access != NULL));
    *out = NULL;
    if (!key->can_sign) {
        rc = gw_error_internal(err, GW_EINVALID, "token: key has no private half, cannot sign");
        goto cleanup;
    }
    if (strlen(p->subject) >= TOKEN_SUB_MAX || (kind->refresh && p->subject[0] == '\0')) {
        rc = gw_error_internal(err, GW_EINVALID, "token: subject empty or too long");
        goto cleanup;
    }
    /* The verifiers refuse more, so do not issue such a token. */
    if (!kind->refresh && p->naccess > TOKEN_MAX_ACCESS) {
        rc = gw_error_internal(err, GW_EINVALID, "token: more than %d access entries",
                               TOKEN_MAX_ACCESS);
        goto cleanup;
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        ERR_clear_error();
        rc = gw_error_internal(err, GW_ERR, "token: RAND_bytes failed");
        goto cleanup;
    }
    token_b64url_encode(rnd, sizeof(rnd), jti, sizeof(jti));
    hdr = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "typ", kind->typ, "kid", key->kid);
    /* jansson keeps insertion order, so the claims read as in token.md. */
    claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", p->issuer, "sub", p->subject,
                       "aud", p->audience, "exp", (json_int_t)p->now + (json_int_t)p->lifetime,
                       "nbf", (json_int_t)p->now, "iat", (json_int_t)p->now, "jti", jti);
    if (hdr == NULL || claims == NULL) {
        rc = gw_error_internal(err, GW_EINVALID, "token: claims not UTF-8 or out of memory");
        goto cleanup;
    }
    if (!kind->refresh) {
        access = access_to_json(p->access, p->naccess);
        if (access == NULL || json_object_set_new(claims, "access", access) != 0) {
            rc = gw_error_internal(err, GW_EINVALID, "token: access entry malformed");
            goto cleanup;
        }
    }
    hdr_s = json_dumps(hdr, JSON_COMPACT);
    claims_s = json_dumps(claims, JSON_COMPACT);
    if (hdr_s == NULL || claims_s == NULL) {
        rc = gw_error_internal(err, GW_ERR, "token: out of memory");
        goto cleanup;
    }
    rc = jws_sign(key, hdr_s, strlen(hdr_s), claims_s, strlen(claims_s), out);
    if (rc != GW_OK)
        rc = gw_error_internal(err, rc, "token: signing failed");
cleanup:
    free(hdr_s);
    free(claims_s);
    json_decref(hdr);
    json_decref(claims);
    return rc;
}

int
token_issue(const token_key_t *key, const token_params_t *p, char **out, gw_error_t *err)
{
    return issue(key, p, &kind_access, out, err);
}

int
token_issue_refresh(const token_key_t *key, const token_params_t *p, char **out, gw_error_t *err)
{
    return issue(key, p, &kind_refresh, out, err);
}

/* ---- verifying ---- */

static int
deny(gw_error_t *err, const char *reason)
{
    if (err != NULL && err->status == 0) {
        gw_error_set(err, GW_EDENIED, 401, OCI_UNAUTHORIZED, "invalid or expired token");
        snprintf(err->detail, sizeof(err->detail), "token refused: %s", reason);
    }
    return GW_EDENIED;
}

/* Decodes one base64url part and parses it as a JSON object; NULL when it is not one. */
static json_t *
decode_json(const char *b64, size_t len, size_t max)
{
    unsigned char *buf;
    size_t n = 0;
    json_t *v = NULL;

    if (len == 0 || len > max / 3 * 4 + 3)
        return NULL;
    buf = malloc(TOKEN_B64_DECODED_SIZE(len));
    if (buf == NULL)
        return NULL;
    if (token_b64url_decode(b64, len, buf, TOKEN_B64_DECODED_SIZE(len), &n) == GW_OK)
        v = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

static int
check_header(const token_key_t *key, const json_t *hdr, const kind_t *kind, const char **why)
{
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const char *typ = json_string_value(json_object_get(hdr, "typ"));
    const json_t *kid = json_object_get(hdr, "kid");

    /*
     * Only ES256: the algorithm comes from the token, so accepting "none" or
     * an HMAC keyed with our public key would let anyone mint tokens
     * (RFC 8725 section 3.1).
     */
    if (alg == NULL || strcmp(alg, "ES256") != 0) {
        *why = "alg is not ES256";
        return 0;
    }
    /* Explicit typing keeps refresh and access tokens apart (RFC 8725 section 3.11). */
    if (typ == NULL || strcmp(typ, kind->typ) != 0) {
        *why = kind->refresh ? "not a refresh token" : "not an access token";
        return 0;
    }
    /* RFC 7515 section 4.1.11: extensions we do not know must be refused. */
    if (json_object_get(hdr, "crit") != NULL) {
        *why = "crit header";
        return 0;
    }
    /* Either id of our key: libtrust (2.x, Harbor) or RFC 7638 (distribution 3.x). */
    if (kid != NULL) {
        const char *k = json_string_value(kid);

        if (k == NULL || (strcmp(k, key->kid) != 0 && strcmp(k, key->thumbprint) != 0)) {
            *why = "kid does not name our key";
            return 0;
        }
    }
    return 1;
}

/* Reads a NumericDate as an integer; 1 when absent and not required. */
static int
claim_time(const json_t *claims, const char *name, int required, long long *out)
{
    const json_t *v = json_object_get(claims, name);

    *out = 0;
    if (v == NULL)
        return !required;
    if (!json_is_integer(v))
        return 0;
    *out = (long long)json_integer_value(v);
    return 1;
}

static int
copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

static unsigned
action_bit(const char *s, size_t len)
{
    for (size_t k = 0; k < sizeof(action_names) / sizeof(action_names[0]); k++) {
        if (strlen(action_names[k].name) == len && memcmp(action_names[k].name, s, len) == 0)
            return action_names[k].bit;
    }
    return 0;
}

/* Unknown action names are kept out of the bits, not refused. */
static int
parse_access(const json_t *arr, token_claims_t *out)
{
    size_t i;
    json_t *e;

    if (!json_is_array(arr) || json_array_size(arr) > TOKEN_MAX_ACCESS)
        return 0;
    json_array_foreach(arr, i, e)
    {
        token_access_t *a = &out->access[i];
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *name = json_string_value(json_object_get(e, "name"));
        const json_t *actions = json_object_get(e, "actions");
        size_t k;
        json_t *act;

        if (type == NULL || name == NULL || !json_is_array(actions) ||
            !copy_str(a->type, sizeof(a->type), type) || !copy_str(a->name, sizeof(a->name), name))
            return 0;
        a->actions = 0;
        json_array_foreach(actions, k, act)
        {
            if (!json_is_string(act))
                return 0;
            a->actions |= action_bit(json_string_value(act), json_string_length(act));
        }
        out->naccess = i + 1;
    }
    return 1;
}

static int
check_claims(const json_t *claims, const char *aud, const char *iss, time_t now, const kind_t *kind,
             token_claims_t *out, const char **why)
{
    const char *v_iss = json_string_value(json_object_get(claims, "iss"));
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const json_t *v_aud = json_object_get(claims, "aud");
    const json_t *jti = json_object_get(claims, "jti");
    const json_t *access = json_object_get(claims, "access");
    int aud_ok = 0;

    if (v_iss == NULL || strcmp(v_iss, iss) != 0) {
        *why = "wrong issuer";
        return 0;
    }
    /* "aud" may be one string or an array of them (RFC 7519 section 4.1.3). */
    if (json_is_string(v_aud)) {
        aud_ok = strcmp(json_string_value(v_aud), aud) == 0;
    } else if (json_is_array(v_aud)) {
        size_t i;
        json_t *a;

        json_array_foreach(v_aud, i, a)
        {
            if (json_is_string(a) && strcmp(json_string_value(a), aud) == 0)
                aud_ok = 1;
        }
    }
    if (!aud_ok) {
        *why = "wrong audience";
        return 0;
    }
    if (!claim_time(claims, "exp", 1, &out->exp) || !claim_time(claims, "nbf", 0, &out->nbf) ||
        !claim_time(claims, "iat", 0, &out->iat)) {
        *why = "exp, nbf or iat missing or not an integer";
        return 0;
    }
    /* distribution allows the same 60 s either way (token.go, Leeway). */
    if (out->exp <= (long long)now - TOKEN_LEEWAY) {
        *why = "expired";
        return 0;
    }
    if (out->nbf > (long long)now + TOKEN_LEEWAY) {
        *why = "not yet valid";
        return 0;
    }
    if (sub == NULL || !copy_str(out->sub, sizeof(out->sub), sub) ||
        (kind->refresh && sub[0] == '\0')) {
        *why = "bad subject";
        return 0;
    }
    if (jti != NULL &&
        (!json_is_string(jti) || !copy_str(out->jti, sizeof(out->jti), json_string_value(jti)))) {
        *why = "bad jti";
        return 0;
    }
    if (kind->refresh ? access != NULL : (access != NULL && !parse_access(access, out))) {
        *why = "bad access claim";
        return 0;
    }
    return 1;
}

static int
verify(const token_key_t *key, const char *jwt, const char *aud, const char *iss, time_t now,
       const kind_t *kind, token_claims_t *out, gw_error_t *err)
{
    unsigned char sig[ES256_SIG_LEN + 3];
    const char *dot1, *dot2, *sigpart, *why = "malformed";
    json_t *hdr = NULL, *claims = NULL;
    size_t len, siglen = 0;
    int rc = GW_EDENIED;

    assert(key != NULL && aud != NULL && iss != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    if (jwt == NULL)
        goto cleanup;
    len = strnlen(jwt, TOKEN_JWT_MAX + 1);
    if (len > TOKEN_JWT_MAX) {
        why = "too long";
        goto cleanup;
    }
    dot1 = memchr(jwt, '.', len);
    dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jwt)) != NULL) {
        why = "not three parts";
        goto cleanup;
    }
    sigpart = dot2 + 1;
    if (token_b64url_decode(sigpart, len - (size_t)(sigpart - jwt), sig, sizeof(sig), &siglen) !=
            GW_OK ||
        siglen != ES256_SIG_LEN) {
        why = "signature is not 64 bytes";
        goto cleanup;
    }
    hdr = decode_json(jwt, (size_t)(dot1 - jwt), HEADER_MAX);
    if (hdr == NULL) {
        why = "header is not a JSON object";
        goto cleanup;
    }
    if (!check_header(key, hdr, kind, &why))
        goto cleanup;
    /* The claims are parsed only once the signature holds. */
    if (!es256_verify(key->pkey, jwt, (size_t)(dot2 - jwt), sig)) {
        why = "bad signature";
        goto cleanup;
    }
    claims = decode_json(dot1 + 1, (size_t)(dot2 - dot1 - 1), TOKEN_JWT_MAX);
    if (claims == NULL) {
        why = "claims are not a JSON object";
        goto cleanup;
    }
    if (!check_claims(claims, aud, iss, now, kind, out, &why))
        goto cleanup;
    rc = GW_OK;
cleanup:
    json_decref(hdr);
    json_decref(claims);
    if (rc != GW_OK) {
        memset(out, 0, sizeof(*out));
        rc = deny(err, why);
    }
    return rc;
}

int
token_verify(const token_key_t *key, const char *jwt, const char *expected_aud,
             const char *expected_iss, time_t now, token_claims_t *out, gw_error_t *err)
{
    return verify(key, jwt, expected_aud, expected_iss, now, &kind_access, out, err);
}

int
token_verify_refresh(const token_key_t *key, const char *jwt, const char *expected_aud,
                     const char *expected_iss, time_t now, token_claims_t *out, gw_error_t *err)
{
    return verify(key, jwt, expected_aud, expected_iss, now, &kind_refresh, out, err);
}

int
token_allows(const token_claims_t *c, const char *repo, unsigned actions)
{
    unsigned have = 0;
    int found = 0;

    assert(c != NULL && repo != NULL);
    /* Entries for the same resource add up, as in distribution's accessSet. */
    for (size_t i = 0; i < c->naccess && i < TOKEN_MAX_ACCESS; i++) {
        if (strcmp(c->access[i].type, "repository") == 0 && strcmp(c->access[i].name, repo) == 0) {
            have |= c->access[i].actions;
            found = 1;
        }
    }
    return found && ((have & TOKEN_ALL) != 0 || (actions & ~have) == 0);
}

int
token_allows_catalog(const token_claims_t *c)
{
    assert(c != NULL);
    for (size_t i = 0; i < c->naccess && i < TOKEN_MAX_ACCESS; i++) {
        if (strcmp(c->access[i].type, "registry") == 0 &&
            strcmp(c->access[i].name, "catalog") == 0 && (c->access[i].actions & TOKEN_ALL))
            return 1;
    }
    return 0;
}

/* ---- scopes (scope.md, "Resource Scope Grammar") ---- */

/*
 * Name bytes accepted in a scope: enough for repository names with a
 * "host:port/" prefix, and nothing that needs quoting when the scope is
 * echoed back inside a WWW-Authenticate header.
 */
static int
name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/' || c == ':';
}

/* Parses one resource scope s[0..len) into *a. */
static int
scope_one(const char *s, size_t len, token_access_t *a)
{
    const char *first = memchr(s, ':', len), *last = NULL, *p, *end = s + len;
    size_t tlen, base, nlen;

    memset(a, 0, sizeof(*a));
    for (p = s; p < end; p++) {
        if (*p == ':')
            last = p;
    }
    if (first == NULL || last == first)
        return GW_EINVALID;
    /* resourcetype := /[a-z0-9]+/ ['(' /[a-z0-9]+/ ')'], the class is ignored. */
    tlen = (size_t)(first - s);
    for (base = 0;
         base < tlen && ((s[base] >= 'a' && s[base] <= 'z') || (s[base] >= '0' && s[base] <= '9'));
         base++)
        ;
    if (base == 0)
        return GW_EINVALID;
    if (base < tlen) {
        if (s[base] != '(' || s[tlen - 1] != ')' || tlen - base < 3)
            return GW_EINVALID;
        for (size_t i = base + 1; i < tlen - 1; i++) {
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
                return GW_EINVALID;
        }
    }
    if (!(base == 10 && memcmp(s, "repository", 10) == 0) &&
        !(base == 8 && memcmp(s, "registry", 8) == 0))
        return GW_EINVALID;
    memcpy(a->type, s, base);
    nlen = (size_t)(last - first - 1);
    if (nlen == 0 || nlen >= sizeof(a->name))
        return GW_EINVALID;
    for (p = first + 1; p < last; p++) {
        if (!name_char((unsigned char)*p))
            return GW_EINVALID;
    }
    memcpy(a->name, first + 1, nlen);
    /* action [',' action]*, each "*" or /[a-z-]+/ (Harbor adds "scanner-pull"). */
    for (p = last + 1;; p++) {
        const char *q = p;

        while (q < end && *q != ',')
            q++;
        if (q == p)
            return GW_EINVALID;
        if (!(q - p == 1 && *p == '*')) {
            for (const char *c = p; c < q; c++) {
                if (!((*c >= 'a' && *c <= 'z') || *c == '-'))
                    return GW_EINVALID;
            }
        }
        a->actions |= action_bit(p, (size_t)(q - p));
        if (q == end)
            return GW_OK;
        p = q;
    }
}

int
token_scope_parse(const char *scope, token_access_t *list, size_t cap, size_t *count)
{
    token_access_t a;
    size_t i, n;
    const char *s, *e;

    assert(scope != NULL && count != NULL && *count <= cap && (cap == 0 || list != NULL));
    /* Validate everything first, so a malformed value changes nothing. */
    for (int pass = 0; pass < 2; pass++) {
        for (s = scope; *s != '\0'; s = e) {
            while (*s == ' ')
                s++;
            e = s;
            while (*e != '\0' && *e != ' ')
                e++;
            if (e == s)
                continue;
            if (scope_one(s, (size_t)(e - s), &a) != GW_OK)
                return GW_EINVALID;
            if (pass == 0)
                continue;
            n = *count;
            for (i = 0; i < n; i++) {
                if (strcmp(list[i].type, a.type) == 0 && strcmp(list[i].name, a.name) == 0)
                    break;
            }
            if (i < n) {
                list[i].actions |= a.actions;
            } else if (n < cap) {
                list[n] = a;
                *count = n + 1;
            } else {
                return GW_ETOOBIG;
            }
        }
    }
    return GW_OK;
}

int
token_scope_format(const token_access_t *list, size_t n, char *out, size_t size)
{
    size_t o = 0;
    int w;

    assert(out != NULL && size > 0 && (n == 0 || list != NULL));
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *sep = "";

        w = snprintf(out + o, size - o, "%s%s:%s:", i > 0 ? " " : "", list[i].type, list[i].name);
        if (w < 0 || (size_t)w >= size - o)
            goto toobig;
        o += (size_t)w;
        for (size_t k = 0; k < sizeof(action_names) / sizeof(action_names[0]); k++) {
            if (!(list[i].actions & action_names[k].bit))
                continue;
            w = snprintf(out + o, size - o, "%s%s", sep, action_names[k].name);
            if (w < 0 || (size_t)w >= size - o)
                goto toobig;
            o += (size_t)w;
            sep = ",";
        }
    }
    return GW_OK;
toobig:
    out[0] = '\0';
    return GW_ETOOBIG;
}
