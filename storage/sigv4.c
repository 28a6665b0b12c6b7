/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h): canonical request, string
 * to sign, HMAC key chain, Authorization values and presigned URLs.
 *
 * Every output goes through a bounded string builder into the caller's buffer;
 * the only scratch space is on the stack. OpenSSL supplies SHA-256 and HMAC.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gw_error.h"
#include "sigv4.h"

#define SECRET_MAX 256     /* longest secret key accepted; AWS keys are 40 bytes */
#define SCOPE_MAX 256      /* date/region/service/aws4_request */
#define EXPIRES_MAX 604800 /* seven days: the longest validity S3 accepts */

/* A bounded writer: appends until full, then only remembers that it overflowed. */
typedef struct sbuf {
    char *p;
    size_t size;
    size_t len;
    int overflow;
} sbuf_t;

static void sb_init(sbuf_t *b, char *out, size_t size);
static void sb_add(sbuf_t *b, const char *s, size_t n);
static void sb_str(sbuf_t *b, const char *s);
static void sb_chr(sbuf_t *b, char c);
static void sb_encode(sbuf_t *b, const char *s, int keep_slash);
static void sb_trimmed(sbuf_t *b, const char *s);
static int unreserved(unsigned char c);
static int sb_done(sbuf_t *b);
static void hex(const unsigned char *in, size_t n, char *out);
static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[SIGV4_KEY_LEN]);
static void lower(sbuf_t *b, const char *s);
static void sb_query(sbuf_t *b, const sigv4_pair_t *params, size_t n);
static void sort_headers(const sigv4_request_t *req, size_t *idx);
static void sb_signed_headers(sbuf_t *b, const sigv4_request_t *req);
static void sb_canonical(sbuf_t *b, const sigv4_request_t *req);
static void scope(sbuf_t *b, const sigv4_cred_t *cred, const char *amz_date);
static int sign_request(const sigv4_cred_t *cred, const char *amz_date, const sigv4_request_t *req,
                        char sig[SIGV4_HEX_SIZE]);

static void
sb_init(sbuf_t *b, char *out, size_t size)
{
    b->p = out;
    b->size = size;
    b->len = 0;
    b->overflow = size == 0;
    if (size > 0)
        out[0] = '\0';
}

static void
sb_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->overflow || n >= b->size - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
sb_str(sbuf_t *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void
sb_chr(sbuf_t *b, char c)
{
    sb_add(b, &c, 1);
}

static int
unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void
sb_encode(sbuf_t *b, const char *s, int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) || (keep_slash && *p == '/')) {
            sb_chr(b, (char)*p);
        } else {
            char e[3] = {'%', digits[*p >> 4], digits[*p & 15]};
            sb_add(b, e, 3);
        }
    }
}

/* Header values are signed with outer blanks removed and inner runs of blanks
 * reduced to one space (the "Trimall" of the SigV4 canonical-headers rule). */
static void
sb_trimmed(sbuf_t *b, const char *s)
{
    int blank = 0;

    while (*s == ' ' || *s == '\t')
        s++;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t') {
            blank = 1;
            continue;
        }
        if (blank)
            sb_chr(b, ' ');
        blank = 0;
        sb_chr(b, *s);
    }
}

/* Ends a write: the length, or GW_EINVALID with the output left empty. */
static int
sb_done(sbuf_t *b)
{
    if (!b->overflow)
        return (int)b->len;
    if (b->size > 0)
        b->p[0] = '\0';
    return GW_EINVALID;
}

static void
lower(sbuf_t *b, const char *s)
{
    for (; *s; s++)
        sb_chr(b, (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s);
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void
hmac(const void *key, size_t klen, const char *msg, unsigned char out[SIGV4_KEY_LEN])
{
    unsigned int olen = SIGV4_KEY_LEN;
    unsigned char *r;

    r = HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &olen);
    /* HMAC-SHA256 on memory fails only when OpenSSL itself is broken. */
    assert(r != NULL && olen == SIGV4_KEY_LEN);
    (void)r;
}

void
sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_SIZE])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok;

    ok = EVP_Digest(len > 0 ? data : "", len, md, &mdlen, EVP_sha256(), NULL);
    assert(ok == 1 && mdlen == 32);
    (void)ok;
    hex(md, 32, out);
}

int
sigv4_format_date(time_t t, char out[SIGV4_DATE_SIZE])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
        return GW_EINVALID;
    if (strftime(out, SIGV4_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm) != SIGV4_DATE_SIZE - 1)
        return GW_EINVALID;
    return 0;
}

int
sigv4_uri_encode(const char *s, int keep_slash, char *out, size_t size)
{
    sbuf_t b;

    sb_init(&b, out, size);
    sb_encode(&b, s, keep_slash);
    return sb_done(&b);
}

/*
 * Appends the canonical query string (SigV4 "create a canonical request",
 * CanonicalQueryString): each name and value URI-encoded on its own ('=' and
 * '&' inside them become %3D and %26), pairs sorted by encoded name and then
 * by value, a missing value written as empty. The sort must see the encoded
 * bytes: '~' stays '~' (0x7e) while a byte above 0x7e becomes "%XX", which
 * sorts before it.
 */
static void
sb_query(sbuf_t *b, const sigv4_pair_t *params, size_t n)
{
    char scratch[SIGV4_CANON_MAX];
    size_t name[SIGV4_MAX_PARAMS], value[SIGV4_MAX_PARAMS], idx[SIGV4_MAX_PARAMS];
    sbuf_t s;

    sb_init(&s, scratch, sizeof(scratch));
    s.overflow = n > SIGV4_MAX_PARAMS;
    for (size_t i = 0; i < n && !s.overflow; i++) {
        name[i] = s.len;
        sb_encode(&s, params[i].name, 0);
        sb_chr(&s, '\0');
        value[i] = s.len;
        sb_encode(&s, params[i].value != NULL ? params[i].value : "", 0);
        sb_chr(&s, '\0');
        idx[i] = i;
    }
    if (s.overflow) {
        b->overflow = 1;
        return;
    }
    for (size_t i = 1; i < n; i++) {
        size_t k = idx[i], j = i;
        while (j > 0) {
            int c = strcmp(scratch + name[idx[j - 1]], scratch + name[k]);
            if (c < 0 || (c == 0 && strcmp(scratch + value[idx[j - 1]], scratch + value[k]) <= 0))
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sb_chr(b, '&');
        sb_str(b, scratch + name[idx[i]]);
        sb_chr(b, '=');
        sb_str(b, scratch + value[idx[i]]);
    }
}

int
sigv4_canonical_query(const sigv4_pair_t *params, size_t n, char *out, size_t size)
{
    sbuf_t b;

    sb_init(&b, out, size);
    sb_query(&b, params, n);
    return sb_done(&b);
}

/* Fills idx with the header indices of `req` in order of lowercase name. */
static void
sort_headers(const sigv4_request_t *req, size_t *idx)
{
    for (size_t i = 0; i < req->nheaders; i++)
        idx[i] = i;
    for (size_t i = 1; i < req->nheaders; i++) {
        size_t k = idx[i], j = i;
        while (j > 0 && strcasecmp(req->headers[idx[j - 1]].name, req->headers[k].name) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
}

static void
sb_signed_headers(sbuf_t *b, const sigv4_request_t *req)
{
    size_t idx[SIGV4_MAX_HEADERS];

    if (req->nheaders > SIGV4_MAX_HEADERS) {
        b->overflow = 1;
        return;
    }
    sort_headers(req, idx);
    for (size_t i = 0; i < req->nheaders; i++) {
        if (i > 0)
            sb_chr(b, ';');
        lower(b, req->headers[idx[i]].name);
    }
}

int
sigv4_signed_headers(const sigv4_request_t *req, char *out, size_t size)
{
    sbuf_t b;

    sb_init(&b, out, size);
    sb_signed_headers(&b, req);
    return sb_done(&b);
}

/*
 * Appends the canonical request:
 *   Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
 *   SignedHeaders \n HashedPayload
 * where CanonicalHeaders is one "name:value\n" per header, so the block ends
 * with an empty line. S3 encodes the URI once, keeps '/', and does not
 * normalise "." or ".." segments (unlike other AWS services).
 */
static void
sb_canonical(sbuf_t *b, const sigv4_request_t *req)
{
    size_t idx[SIGV4_MAX_HEADERS];

    if (req->nheaders > SIGV4_MAX_HEADERS) {
        b->overflow = 1;
        return;
    }
    sb_str(b, req->method);
    sb_chr(b, '\n');
    sb_encode(b, req->path, 1);
    sb_chr(b, '\n');
    sb_query(b, req->query, req->nquery);
    sb_chr(b, '\n');
    sort_headers(req, idx);
    for (size_t i = 0; i < req->nheaders; i++) {
        const sigv4_pair_t *h = &req->headers[idx[i]];
        lower(b, h->name);
        sb_chr(b, ':');
        sb_trimmed(b, h->value != NULL ? h->value : "");
        sb_chr(b, '\n');
    }
    sb_chr(b, '\n');
    sb_signed_headers(b, req);
    sb_chr(b, '\n');
    sb_str(b, req->payload_hash);
}

int
sigv4_canonical_request(const sigv4_request_t *req, char *out, size_t size)
{
    sbuf_t b;

    sb_init(&b, out, size);
    sb_canonical(&b, req);
    return sb_done(&b);
}

/* The credential scope: "20130524/us-east-1/s3/aws4_request". */
static void
scope(sbuf_t *b, const sigv4_cred_t *cred, const char *amz_date)
{
    sb_add(b, amz_date, 8);
    sb_chr(b, '/');
    sb_str(b, cred->region);
    sb_chr(b, '/');
    sb_str(b, cred->service);
    sb_str(b, "/aws4_request");
}

int
sigv4_string_to_sign(const sigv4_cred_t *cred, const char *amz_date, const char *canonical,
                     char *out, size_t size)
{
    char digest[SIGV4_HEX_SIZE];
    sbuf_t b;

    sigv4_sha256_hex(canonical, strlen(canonical), digest);
    sb_init(&b, out, size);
    sb_str(&b, SIGV4_ALGORITHM "\n");
    sb_str(&b, amz_date);
    sb_chr(&b, '\n');
    scope(&b, cred, amz_date);
    sb_chr(&b, '\n');
    sb_str(&b, digest);
    return sb_done(&b);
}

/*
 * kDate = HMAC("AWS4" + secret, yyyymmdd), kRegion = HMAC(kDate, region),
 * kService = HMAC(kRegion, service), kSigning = HMAC(kService, "aws4_request").
 * The key depends only on the day, so a caller may cache it per day.
 */
void
sigv4_signing_key(const sigv4_cred_t *cred, const char *amz_date, unsigned char key[SIGV4_KEY_LEN])
{
    char secret[4 + SECRET_MAX];
    char date[9];
    size_t slen = strlen(cred->secret_key);

    assert(slen <= SECRET_MAX && strlen(amz_date) >= 8);
    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, cred->secret_key, slen);
    memcpy(date, amz_date, 8);
    date[8] = '\0';
    hmac(secret, 4 + slen, date, key);
    hmac(key, SIGV4_KEY_LEN, cred->region, key);
    hmac(key, SIGV4_KEY_LEN, cred->service, key);
    hmac(key, SIGV4_KEY_LEN, "aws4_request", key);
    OPENSSL_cleanse(secret, sizeof(secret));
}

void
sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *string_to_sign,
                char out[SIGV4_HEX_SIZE])
{
    unsigned char mac[SIGV4_KEY_LEN];

    hmac(key, SIGV4_KEY_LEN, string_to_sign, mac);
    hex(mac, sizeof(mac), out);
}

/*
 * Signs `req` as made at `amz_date`: canonical request, string to sign,
 * signing key, signature. Returns 0 or GW_EINVALID.
 */
static int
sign_request(const sigv4_cred_t *cred, const char *amz_date, const sigv4_request_t *req,
             char sig[SIGV4_HEX_SIZE])
{
    char canonical[SIGV4_CANON_MAX];
    char sts[SIGV4_DATE_SIZE + SCOPE_MAX + SIGV4_HEX_SIZE + 32];
    unsigned char key[SIGV4_KEY_LEN];
    int err;

    err = sigv4_canonical_request(req, canonical, sizeof(canonical));
    if (err < 0)
        goto cleanup;
    err = sigv4_string_to_sign(cred, amz_date, canonical, sts, sizeof(sts));
    if (err < 0)
        goto cleanup;
    sigv4_signing_key(cred, amz_date, key);
    sigv4_signature(key, sts, sig);
    OPENSSL_cleanse(key, sizeof(key));
    err = 0;
cleanup:
    return err;
}

/* Header signing ("Signature calculations for the Authorization header"). */
int
sigv4_authorization(const sigv4_cred_t *cred, time_t now, const sigv4_request_t *req, char *out,
                    size_t size)
{
    char date[SIGV4_DATE_SIZE];
    char sig[SIGV4_HEX_SIZE];
    sbuf_t b;
    int err;

    sb_init(&b, out, size);
    err = sigv4_format_date(now, date);
    if (err < 0)
        goto cleanup;
    err = sign_request(cred, date, req, sig);
    if (err < 0)
        goto cleanup;
    sb_str(&b, SIGV4_ALGORITHM " Credential=");
    sb_str(&b, cred->access_key);
    sb_chr(&b, '/');
    scope(&b, cred, date);
    sb_str(&b, ",SignedHeaders=");
    sb_signed_headers(&b, req);
    sb_str(&b, ",Signature=");
    sb_str(&b, sig);
    err = sb_done(&b);
cleanup:
    return err;
}

int
sigv4_presign_url(const sigv4_cred_t *cred, time_t now, unsigned expires, const char *method,
                  const char *base_url, const char *host, const char *path, char *out, size_t size)
{
    char credential[SCOPE_MAX + 128];
    char date[SIGV4_DATE_SIZE], sig[SIGV4_HEX_SIZE], exp[16];
    sigv4_pair_t header = {"host", host};
    sigv4_pair_t query[] = {
        {"X-Amz-Algorithm", SIGV4_ALGORITHM},
        {"X-Amz-Credential", credential},
        {"X-Amz-Date", date},
        {"X-Amz-Expires", exp},
        {"X-Amz-SignedHeaders", "host"},
    };
    sigv4_request_t req = {method, path, query, 5, &header, 1, SIGV4_UNSIGNED_PAYLOAD};
    sbuf_t b;
    int err = GW_EINVALID;

    /*
     * Query-string signing ("Authenticating requests: using query
     * parameters"): the X-Amz-* parameters except the signature are part of
     * the canonical query, only host is signed, and the payload is
     * UNSIGNED-PAYLOAD because the fetcher's body is unknown here.
     */
    sb_init(&b, out, size);
    if (expires < 1 || expires > EXPIRES_MAX || sigv4_format_date(now, date) < 0)
        goto cleanup;
    snprintf(exp, sizeof(exp), "%u", expires);
    sb_init(&b, credential, sizeof(credential));
    sb_str(&b, cred->access_key);
    sb_chr(&b, '/');
    scope(&b, cred, date);
    if (b.overflow)
        goto cleanup;
    err = sign_request(cred, date, &req, sig);
    if (err < 0)
        goto cleanup;
    /* The URL carries exactly the path and query that were signed. */
    sb_init(&b, out, size);
    sb_str(&b, base_url);
    sb_encode(&b, path, 1);
    sb_chr(&b, '?');
    sb_query(&b, query, 5);
    sb_str(&b, "&X-Amz-Signature=");
    sb_str(&b, sig);
    err = sb_done(&b);
cleanup:
    return err;
}
