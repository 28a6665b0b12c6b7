/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_token.c - unit tests for token.c: base64, keys and key ids, scopes,
 * issuing and verifying access and refresh tokens, and every way a token
 * must be refused. Keys are generated into a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "token.h"

#define ISS "berth-test"
#define AUD "berth-registry"
#define NOW ((time_t)1700000000)

/* Generated with `openssl genpkey`; ids computed independently with Python. */
static const char fixed_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                                "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrr3Fr5V4qkOeF8aq\n"
                                "xD1dYkk6pBOYxeMsv9nUYFpMsTqhRANCAAQ3DLHcLetNNlYaPZ4aMngj0nzd0sYQ\n"
                                "zSxtrkaPI+PYJ6AvUTcRnp27Ctp91ul2IRui9PzKK2w0h1KVmdAAo48M\n"
                                "-----END PRIVATE KEY-----\n";
#define FIXED_KID "DK6T:6OBX:6L4A:3ESR:VIHG:IQY5:AN3L:TRHI:MVAE:42KR:F7YX:4IXL"
#define FIXED_THUMBPRINT "GWbfMF_rrXgQDjg5k0TGLsCFjc_oTbBbCPe-YsQnJUM"

static char dir[64];
static token_key_t *key_a;   /* signs */
static token_key_t *key_b;   /* another signing key */
static token_key_t *key_pub; /* public half of key_a */

static void path_in(char *buf, size_t size, const char *name);
static void write_text(const char *path, const char *text);
static char *b64(const char *s);
static char *craft(const char *hdr_json, const char *claims_json, const char *sig);
static char *issue_at(time_t now, long lifetime);
static int check(const char *jwt, time_t now);
static char *signed_with(const token_key_t *key, const char *hdr, const char *claims);
static void expect_denied(const char *jwt, const char *why);

static void
path_in(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);

    assert_true(n > 0 && (size_t)n < size);
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static char *
b64(const char *s)
{
    size_t size = TOKEN_B64URL_SIZE(strlen(s));
    char *out = malloc(size);

    assert_non_null(out);
    assert_int_equal(token_b64url_encode(s, strlen(s), out, size), GW_OK);
    return out;
}

/* An unsigned token from raw parts; sig is the third part, already encoded. */
static char *
craft(const char *hdr_json, const char *claims_json, const char *sig)
{
    char *h = b64(hdr_json), *c = b64(claims_json);
    size_t size = strlen(h) + strlen(c) + strlen(sig) + 3;
    char *out = malloc(size);

    assert_non_null(out);
    snprintf(out, size, "%s.%s.%s", h, c, sig);
    free(h);
    free(c);
    return out;
}

static char *
issue_at(time_t now, long lifetime)
{
    token_access_t acc[2] = {
        {"repository", "library/alpine", TOKEN_PULL | TOKEN_PUSH},
        {"registry", "catalog", TOKEN_ALL},
    };
    token_params_t p = {ISS, "alice", AUD, now, lifetime, acc, 2};
    gw_error_t err;
    char *jwt = NULL;

    gw_error_clear(&err);
    assert_int_equal(token_issue(key_a, &p, &jwt, &err), GW_OK);
    assert_non_null(jwt);
    return jwt;
}

static int
check(const char *jwt, time_t now)
{
    token_claims_t c;

    return token_verify(key_a, jwt, AUD, ISS, now, &c, NULL);
}

static char *
signed_with(const token_key_t *key, const char *hdr, const char *claims)
{
    char *jwt = NULL;

    assert_int_equal(token__sign(key, hdr, claims, &jwt), GW_OK);
    return jwt;
}

/* token_verify must refuse jwt with a detail that names `why` and not the token. */
static void
expect_denied(const char *jwt, const char *why)
{
    token_claims_t c;
    gw_error_t err;

    gw_error_clear(&err);
    memset(&c, 0x55, sizeof(c));
    assert_int_equal(token_verify(key_a, jwt, AUD, ISS, NOW, &c, &err), GW_EDENIED);
    assert_int_equal(err.status, 401);
    assert_int_equal(err.code, OCI_UNAUTHORIZED);
    if (why != NULL && strstr(err.detail, why) == NULL)
        fail_msg("detail \"%s\" lacks \"%s\"", err.detail, why);
    if (jwt != NULL && strlen(jwt) > 10 && strstr(err.detail, jwt) != NULL)
        fail_msg("detail echoes the token");
    /* Nothing from a refused token is left in the output. */
    assert_int_equal(c.naccess, 0);
    assert_string_equal(c.sub, "");
}

static int
setup(void **state)
{
    char path[128];
    gw_error_t err;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/berth-test-token-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    path_in(path, sizeof(path), "a.pem");
    if (token_key_generate_pem(path) != GW_OK || token_key_load(&key_a, path, &err) != GW_OK)
        return -1;
    path_in(path, sizeof(path), "b.pem");
    if (token_key_generate_pem(path) != GW_OK || token_key_load(&key_b, path, &err) != GW_OK)
        return -1;
    path_in(path, sizeof(path), "a.pub.pem");
    if (token_key_save_public_pem(key_a, path) != GW_OK ||
        token_key_load(&key_pub, path, &err) != GW_OK)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    token_key_free(key_a);
    token_key_free(key_b);
    token_key_free(key_pub);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- base64 ---- */

static void
test_token__b64_vectors(void **state)
{
    /* RFC 4648 section 10. */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const std[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    unsigned char bin[16];
    char enc[16];
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        size_t len = strlen(plain[i]);

        assert_int_equal(token_b64_encode(plain[i], len, enc, sizeof(enc)), GW_OK);
        assert_string_equal(enc, std[i]);
        assert_int_equal(token_b64url_encode(plain[i], len, enc, sizeof(enc)), GW_OK);
        assert_string_equal(enc, url[i]);
        assert_int_equal(token_b64_decode(std[i], strlen(std[i]), bin, sizeof(bin), &n), GW_OK);
        assert_int_equal(n, len);
        assert_string_equal((char *)bin, plain[i]);
        /* Standard base64 without its padding is accepted too. */
        assert_int_equal(token_b64_decode(url[i], strlen(url[i]), bin, sizeof(bin), &n), GW_OK);
        assert_string_equal((char *)bin, plain[i]);
        assert_int_equal(token_b64url_decode(url[i], strlen(url[i]), bin, sizeof(bin), &n), GW_OK);
        assert_int_equal(n, len);
        assert_string_equal((char *)bin, plain[i]);
    }
    /* The alphabets differ in 62 and 63. */
    assert_int_equal(token_b64url_encode("\xfb\xff", 2, enc, sizeof(enc)), GW_OK);
    assert_string_equal(enc, "-_8");
    assert_int_equal(token_b64_encode("\xfb\xff", 2, enc, sizeof(enc)), GW_OK);
    assert_string_equal(enc, "+/8=");
    assert_int_equal(token_b64url_decode("-_8", 3, bin, sizeof(bin), &n), GW_OK);
    assert_memory_equal(bin, "\xfb\xff", 2);
    assert_int_equal(token_b64_decode("+/8=", 4, bin, sizeof(bin), &n), GW_OK);
    assert_memory_equal(bin, "\xfb\xff", 2);
    /* Basic credentials. */
    assert_int_equal(token_b64_decode("YWxpY2U6czNjcjN0", 16, bin, sizeof(bin), &n), GW_OK);
    assert_string_equal((char *)bin, "alice:s3cr3t");
}

static void
test_token__b64_invalid(void **state)
{
    static const char *const bad_std[] = {
        "Z",     "Zg=",   "Zg===", "Z===",     "====",   "Zh==", "Zm9=",
        "Zm9v=", "Zm 9v", "-_8=",  "Zg==Zg==", "Zm9v\n", "=Zm9",
    };
    static const char *const bad_url[] = {"Z", "Zg==", "Zh", "Zm9", "+/8", "Zm9v!", "Zm9vY"};
    unsigned char bin[16];
    char enc[8];
    size_t n = 99;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
        if (token_b64_decode(bad_std[i], strlen(bad_std[i]), bin, sizeof(bin), &n) != GW_EINVALID)
            fail_msg("b64 accepted \"%s\"", bad_std[i]);
        assert_int_equal(n, 0);
    }
    for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
        if (token_b64url_decode(bad_url[i], strlen(bad_url[i]), bin, sizeof(bin), &n) !=
            GW_EINVALID)
            fail_msg("b64url accepted \"%s\"", bad_url[i]);
    }
    /* A NUL inside the input is just a bad character. */
    assert_int_equal(token_b64url_decode("Zm\0v", 4, bin, sizeof(bin), &n), GW_EINVALID);
    /* Output buffers: decoded bytes plus a NUL; encoded chars plus a NUL. */
    assert_int_equal(token_b64url_decode("Zm9v", 4, bin, 3, &n), GW_ETOOBIG);
    assert_int_equal(token_b64url_decode("Zm9v", 4, bin, 4, &n), GW_OK);
    assert_int_equal(token_b64url_encode("foob", 4, enc, 6), GW_ETOOBIG);
    assert_string_equal(enc, "");
    assert_int_equal(token_b64url_encode("foob", 4, enc, 7), GW_OK);
    assert_int_equal(token_b64_encode("foob", 4, enc, 8), GW_ETOOBIG);
}

/* ---- keys ---- */

static void
test_token__key_ids_match_reference(void **state)
{
    char path[128];
    token_key_t *k = NULL;
    gw_error_t err;

    (void)state;
    path_in(path, sizeof(path), "fixed.pem");
    write_text(path, fixed_pem);
    gw_error_clear(&err);
    assert_int_equal(token_key_load(&k, path, &err), GW_OK);
    assert_true(token_key_can_sign(k));
    assert_string_equal(token_key_id(k), FIXED_KID);
    assert_string_equal(token_key_thumbprint(k), FIXED_THUMBPRINT);
    token_key_free(k);
    /* The public half has the same ids. */
    assert_string_equal(token_key_id(key_pub), token_key_id(key_a));
    assert_string_equal(token_key_thumbprint(key_pub), token_key_thumbprint(key_a));
    assert_string_not_equal(token_key_id(key_b), token_key_id(key_a));
    assert_int_equal(strlen(token_key_id(key_a)), TOKEN_KID_MAX - 1);
    assert_int_equal(strlen(token_key_thumbprint(key_a)), TOKEN_THUMBPRINT_MAX - 1);
}

static void
test_token__key_formats(void **state)
{
    char path[128], cmd[512];
    token_key_t *k = NULL;
    EVP_PKEY *pkey;
    gw_error_t err;
    BIO *bio;
    FILE *f;

    (void)state;
    /* SEC1 "EC PRIVATE KEY" form of the fixed key. */
    path_in(path, sizeof(path), "fixed.pem");
    write_text(path, fixed_pem);
    f = fopen(path, "r");
    assert_non_null(f);
    pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(pkey);
    path_in(path, sizeof(path), "sec1.pem");
    bio = BIO_new_file(path, "w");
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    assert_int_equal(token_key_load(&k, path, &err), GW_OK);
    assert_true(token_key_can_sign(k));
    assert_string_equal(token_key_id(k), FIXED_KID);
    token_key_free(k);
    k = NULL;

    /* A certificate, as in distribution's rootcertbundle, when openssl(1) is around. */
    path_in(path, sizeof(path), "fixed.pem");
    snprintf(cmd, sizeof(cmd),
             "command -v openssl >/dev/null && openssl req -x509 -key %s -subj /CN=t -days 1 "
             "-out %s/cert.pem 2>/dev/null",
             path, dir);
    if (system(cmd) == 0) {
        path_in(path, sizeof(path), "cert.pem");
        assert_int_equal(token_key_load(&k, path, &err), GW_OK);
        assert_false(token_key_can_sign(k));
        assert_string_equal(token_key_id(k), FIXED_KID);
        token_key_free(k);
        k = NULL;
    }

    /* A P-384 key is refused. */
    pkey = EVP_EC_gen("P-384");
    assert_non_null(pkey);
    path_in(path, sizeof(path), "p384.pem");
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    EVP_PKEY_free(pkey);
    gw_error_clear(&err);
    assert_int_equal(token_key_load(&k, path, &err), GW_EINVALID);
    assert_null(k);
    assert_non_null(strstr(err.detail, "P-256"));

    /* Not a key, empty, missing. */
    path_in(path, sizeof(path), "junk.pem");
    write_text(path, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
    assert_int_equal(token_key_load(&k, path, NULL), GW_EINVALID);
    path_in(path, sizeof(path), "empty.pem");
    write_text(path, "");
    assert_int_equal(token_key_load(&k, path, NULL), GW_EINVALID);
    path_in(path, sizeof(path), "missing.pem");
    gw_error_clear(&err);
    assert_int_equal(token_key_load(&k, path, &err), GW_ERR);
    assert_null(k);
    assert_int_equal(err.status, 500);
}

static void
test_token__key_generate(void **state)
{
    char path[128];
    struct stat st;

    (void)state;
    path_in(path, sizeof(path), "a.pem");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Never overwrites an existing key. */
    assert_int_equal(token_key_generate_pem(path), GW_EEXISTS);
    path_in(path, sizeof(path), "a.pub.pem");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(token_key_save_public_pem(key_a, path), GW_EEXISTS);
    assert_int_equal(token_key_generate_pem("/nonexistent-dir/k.pem"), GW_ERR);
}

/* ---- issuing and verifying ---- */

static void
test_token__round_trip(void **state)
{
    char *jwt = issue_at(NOW, 300), *hdr;
    token_claims_t c, c2;
    gw_error_t err;

    (void)state;
    gw_error_clear(&err);
    assert_int_equal(token_verify(key_a, jwt, AUD, ISS, NOW, &c, &err), GW_OK);
    assert_int_equal(err.status, 0);
    assert_string_equal(c.sub, "alice");
    assert_int_equal(c.iat, NOW);
    assert_int_equal(c.nbf, NOW);
    assert_int_equal(c.exp, NOW + 300);
    assert_int_equal(strlen(c.jti), 22);
    assert_int_equal(c.naccess, 2);
    assert_string_equal(c.access[0].type, "repository");
    assert_string_equal(c.access[0].name, "library/alpine");
    assert_int_equal(c.access[0].actions, TOKEN_PULL | TOKEN_PUSH);
    assert_string_equal(c.access[1].type, "registry");
    assert_string_equal(c.access[1].name, "catalog");
    assert_int_equal(c.access[1].actions, TOKEN_ALL);
    /* The public half verifies too. */
    assert_int_equal(token_verify(key_pub, jwt, AUD, ISS, NOW + 200, &c, NULL), GW_OK);
    /* Two tokens never share a jti. */
    hdr = issue_at(NOW, 300);
    assert_int_equal(token_verify(key_a, hdr, AUD, ISS, NOW, &c2, NULL), GW_OK);
    assert_string_not_equal(c.jti, c2.jti);
    free(hdr);
    free(jwt);
}

static void
test_token__claims_layout(void **state)
{
    char *jwt = issue_at(NOW, 300), *p1, *p2;
    unsigned char buf[1024];
    char want[128];
    size_t n;

    (void)state;
    p1 = strchr(jwt, '.');
    p2 = strchr(p1 + 1, '.');
    assert_int_equal(token_b64url_decode(jwt, (size_t)(p1 - jwt), buf, sizeof(buf), &n), GW_OK);
    snprintf(want, sizeof(want), "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             token_key_id(key_a));
    assert_string_equal((char *)buf, want);
    assert_int_equal(token_b64url_decode(p1 + 1, (size_t)(p2 - p1 - 1), buf, sizeof(buf), &n),
                     GW_OK);
    assert_non_null(strstr((char *)buf, "{\"iss\":\"" ISS "\",\"sub\":\"alice\",\"aud\":\"" AUD
                                        "\",\"exp\":1700000300,\"nbf\":1700000000,"
                                        "\"iat\":1700000000,\"jti\":\""));
    assert_non_null(strstr((char *)buf, ",\"access\":[{\"type\":\"repository\",\"name\":"
                                        "\"library/alpine\",\"actions\":[\"pull\",\"push\"]},"
                                        "{\"type\":\"registry\",\"name\":\"catalog\","
                                        "\"actions\":[\"*\"]}]}"));
    /* Raw R||S, 64 bytes: 86 base64url characters. */
    assert_int_equal(strlen(p2 + 1), 86);
    free(jwt);
}

static void
test_token__tampered(void **state)
{
    char *jwt = issue_at(NOW, 300), *p1, *p2, *last;
    char *forged, keep;

    (void)state;
    p1 = strchr(jwt, '.');
    p2 = strchr(p1 + 1, '.');
    /* A payload byte. */
    keep = p1[5];
    p1[5] = keep == 'A' ? 'B' : 'A';
    expect_denied(jwt, "bad signature");
    p1[5] = keep;
    assert_int_equal(check(jwt, NOW), GW_OK);
    /* A signature byte (not the last, whose low bits are unused). */
    keep = p2[10];
    p2[10] = keep == 'A' ? 'B' : 'A';
    expect_denied(jwt, "bad signature");
    p2[10] = keep;
    assert_int_equal(check(jwt, NOW), GW_OK);
    /* A truncated signature. */
    last = jwt + strlen(jwt) - 1;
    *last = '\0';
    expect_denied(jwt, "64 bytes");
    free(jwt);
    /* Claims swapped for other ones, original signature kept. */
    jwt = issue_at(NOW, 300);
    forged = issue_at(NOW, 3000);
    p2 = strrchr(jwt, '.');
    memcpy(strrchr(forged, '.'), p2, strlen(p2));
    expect_denied(forged, "bad signature");
    free(forged);
    free(jwt);
}

static void
test_token__alg_none_and_hmac(void **state)
{
    static const char claims[] = "{\"iss\":\"" ISS "\",\"sub\":\"root\",\"aud\":\"" AUD
                                 "\",\"exp\":1700000300,\"access\":[{\"type\":\"repository\","
                                 "\"name\":\"x\",\"actions\":[\"*\"]}]}";
    static const char *const hdrs[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"ES384\",\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"es256\",\"typ\":\"JWT\"}",
        "{\"typ\":\"JWT\"}",
        "{\"alg\":[\"ES256\"],\"typ\":\"JWT\"}",
        "{\"alg\":\"ES256\",\"alg\":\"none\",\"typ\":\"JWT\"}", /* duplicate member */
    };
    char *jwt;

    (void)state;
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        /* Unsigned, with junk, and properly signed by our key: all refused. */
        jwt = craft(hdrs[i], claims, "");
        expect_denied(jwt, NULL);
        free(jwt);
        jwt = signed_with(key_a, hdrs[i], claims);
        expect_denied(jwt, i == 7 ? "header" : "alg");
        free(jwt);
    }
    /* The same claims under a proper header pass, so the header was the reason. */
    jwt = signed_with(key_a, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", claims);
    assert_int_equal(check(jwt, NOW), GW_OK);
    free(jwt);
    /* An "unknown extension" header. */
    jwt = signed_with(key_a, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"crit\":[\"b64\"]}", claims);
    expect_denied(jwt, "crit");
    free(jwt);
}

static void
test_token__time_window(void **state)
{
    char *jwt;

    (void)state;
    /* Issued 1000 s ago for 300 s: expired, even with the leeway. */
    jwt = issue_at(NOW - 1000, 300);
    expect_denied(jwt, "expired");
    free(jwt);
    /* exp = now - 59 is inside the 60 s leeway; now - 60 is not. */
    jwt = issue_at(NOW - 359, 300);
    assert_int_equal(check(jwt, NOW), GW_OK);
    free(jwt);
    jwt = issue_at(NOW - 360, 300);
    expect_denied(jwt, "expired");
    free(jwt);
    /* nbf in the future: refused beyond the leeway. */
    jwt = issue_at(NOW + 1000, 300);
    expect_denied(jwt, "not yet valid");
    free(jwt);
    jwt = issue_at(NOW + 60, 300);
    assert_int_equal(check(jwt, NOW), GW_OK);
    free(jwt);
    jwt = issue_at(NOW + 61, 300);
    expect_denied(jwt, "not yet valid");
    free(jwt);
}

static void
test_token__wrong_audience_or_issuer(void **state)
{
    char *jwt = issue_at(NOW, 300);
    token_claims_t c;
    gw_error_t err;

    (void)state;
    gw_error_clear(&err);
    assert_int_equal(token_verify(key_a, jwt, "other-service", ISS, NOW, &c, &err), GW_EDENIED);
    assert_non_null(strstr(err.detail, "audience"));
    gw_error_clear(&err);
    assert_int_equal(token_verify(key_a, jwt, AUD, "someone-else", NOW, &c, &err), GW_EDENIED);
    assert_non_null(strstr(err.detail, "issuer"));
    free(jwt);
    /* "aud" as an array holding ours is fine; without ours it is not. */
    jwt = signed_with(key_a, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
                      "{\"iss\":\"" ISS "\",\"sub\":\"\",\"aud\":[\"x\",\"" AUD "\"],"
                      "\"exp\":1700000300}");
    assert_int_equal(token_verify(key_a, jwt, AUD, ISS, NOW, &c, NULL), GW_OK);
    assert_int_equal(c.naccess, 0);
    assert_string_equal(c.sub, "");
    free(jwt);
    jwt = signed_with(key_a, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
                      "{\"iss\":\"" ISS "\",\"sub\":\"\",\"aud\":[\"x\"],\"exp\":1700000300}");
    expect_denied(jwt, "audience");
    free(jwt);
}

static void
test_token__other_key_and_kid(void **state)
{
    static const char claims[] =
        "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD "\",\"exp\":1700000300}";
    token_params_t p = {ISS, "alice", AUD, NOW, 300, NULL, 0};
    char hdr[256];
    char *jwt = NULL;

    (void)state;
    /* Signed by another key: its kid does not name ours. */
    assert_int_equal(token_issue(key_b, &p, &jwt, NULL), GW_OK);
    expect_denied(jwt, "kid");
    free(jwt);
    /* Signed by another key under our kid: the signature fails. */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             token_key_id(key_a));
    jwt = signed_with(key_b, hdr, claims);
    expect_denied(jwt, "bad signature");
    free(jwt);
    /* Our key under a wrong, a non-string, or the thumbprint kid. */
    jwt = signed_with(key_a, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"AAAA:BBBB\"}", claims);
    expect_denied(jwt, "kid");
    free(jwt);
    jwt = signed_with(key_a, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":7}", claims);
    expect_denied(jwt, "kid");
    free(jwt);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             token_key_thumbprint(key_a));
    jwt = signed_with(key_a, hdr, claims);
    assert_int_equal(check(jwt, NOW), GW_OK);
    free(jwt);
}

static void
test_token__refresh(void **state)
{
    token_params_t p = {ISS, "robot$ci", AUD, NOW, 86400, NULL, 0};
    char *rt = NULL, *at;
    token_claims_t c;
    gw_error_t err;

    (void)state;
    assert_int_equal(token_issue_refresh(key_a, &p, &rt, NULL), GW_OK);
    assert_int_equal(token_verify_refresh(key_pub, rt, AUD, ISS, NOW + 3600, &c, NULL), GW_OK);
    assert_string_equal(c.sub, "robot$ci");
    assert_int_equal(c.naccess, 0);
    assert_int_equal(c.exp, NOW + 86400);
    /* A refresh token is not an access token... */
    expect_denied(rt, "not an access token");
    /* ...nor the reverse. */
    at = issue_at(NOW, 300);
    gw_error_clear(&err);
    assert_int_equal(token_verify_refresh(key_a, at, AUD, ISS, NOW, &c, &err), GW_EDENIED);
    assert_non_null(strstr(err.detail, "not a refresh token"));
    free(at);
    /* Refresh tokens are checked like access tokens otherwise. */
    assert_int_equal(token_verify_refresh(key_a, rt, AUD, ISS, NOW + 86400 + 60, &c, NULL),
                     GW_EDENIED);
    assert_int_equal(token_verify_refresh(key_a, rt, "x", ISS, NOW, &c, NULL), GW_EDENIED);
    free(rt);
    /* One that carries access, or has no subject, is refused. */
    rt = signed_with(key_a, "{\"alg\":\"ES256\",\"typ\":\"" TOKEN_REFRESH_TYP "\"}",
                     "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD "\",\"exp\":1700000300,"
                     "\"access\":[]}");
    assert_int_equal(token_verify_refresh(key_a, rt, AUD, ISS, NOW, &c, NULL), GW_EDENIED);
    free(rt);
    rt = signed_with(key_a, "{\"alg\":\"ES256\",\"typ\":\"" TOKEN_REFRESH_TYP "\"}",
                     "{\"iss\":\"" ISS "\",\"sub\":\"\",\"aud\":\"" AUD "\",\"exp\":1700000300}");
    assert_int_equal(token_verify_refresh(key_a, rt, AUD, ISS, NOW, &c, NULL), GW_EDENIED);
    free(rt);
    rt = NULL;
    p.subject = "";
    assert_int_equal(token_issue_refresh(key_a, &p, &rt, NULL), GW_EINVALID);
    assert_null(rt);
}

static void
test_token__malformed(void **state)
{
    static const char hdr[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
    static const char *const bad_claims[] = {
        /* duplicate member */
        "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"sub\":\"root\",\"aud\":\"" AUD
        "\",\"exp\":1700000300}",
        /* exp missing, as a float, as a string */
        "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD "\"}",
        "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD "\",\"exp\":1700000300.5}",
        "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD "\",\"exp\":\"1700000300\"}",
        /* no sub */
        "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700000300}",
        /* access not an array, entry without actions, action not a string */
        "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD "\",\"exp\":1700000300,\"access\":{}}",
        "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD "\",\"exp\":1700000300,\"access\":"
        "[{\"type\":\"repository\",\"name\":\"x\"}]}",
        "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD "\",\"exp\":1700000300,\"access\":"
        "[{\"type\":\"repository\",\"name\":\"x\",\"actions\":[1]}]}",
        /* not an object */
        "[1,2,3]",
        "{\"iss\":\"" ISS "\"",
    };
    static const char *const bad_shapes[] = {
        "", ".", "..", "...", "a.b", "a.b.c.d", "eyJ.eyJ.", "not a token at all",
    };
    char claims[8192], *jwt;
    size_t o;

    (void)state;
    expect_denied(NULL, NULL);
    for (size_t i = 0; i < sizeof(bad_shapes) / sizeof(bad_shapes[0]); i++)
        expect_denied(bad_shapes[i], NULL);
    for (size_t i = 0; i < sizeof(bad_claims) / sizeof(bad_claims[0]); i++) {
        jwt = signed_with(key_a, hdr, bad_claims[i]);
        expect_denied(jwt, NULL);
        free(jwt);
    }
    /* 65 access entries is one more than a token may carry; 64 pass. */
    for (int n = 64; n <= 65; n++) {
        o = (size_t)snprintf(claims, sizeof(claims),
                             "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"aud\":\"" AUD
                             "\",\"exp\":1700000300,\"access\":[");
        for (int i = 0; i < n; i++)
            o += (size_t)snprintf(claims + o, sizeof(claims) - o,
                                  "%s{\"type\":\"repository\",\"name\":\"r%d\",\"actions\":"
                                  "[\"pull\",\"scanner-pull\"]}",
                                  i ? "," : "", i);
        snprintf(claims + o, sizeof(claims) - o, "]}");
        jwt = signed_with(key_a, hdr, claims);
        if (n == 64)
            assert_int_equal(check(jwt, NOW), GW_OK);
        else
            expect_denied(jwt, "access");
        free(jwt);
    }
    /* A token far over TOKEN_JWT_MAX. */
    jwt = malloc(TOKEN_JWT_MAX + 10);
    assert_non_null(jwt);
    memset(jwt, 'A', TOKEN_JWT_MAX + 9);
    jwt[TOKEN_JWT_MAX + 9] = '\0';
    jwt[100] = '.';
    jwt[200] = '.';
    expect_denied(jwt, "too long");
    free(jwt);
}

static void
test_token__issue_errors(void **state)
{
    token_access_t acc = {"repository", "a", TOKEN_PULL};
    token_params_t p = {ISS, "alice", AUD, NOW, 300, &acc, 1};
    token_access_t many[TOKEN_MAX_ACCESS + 1];
    char longsub[TOKEN_SUB_MAX + 1];
    char *jwt = NULL;
    gw_error_t err;

    (void)state;
    /* A public key cannot sign. */
    gw_error_clear(&err);
    assert_int_equal(token_issue(key_pub, &p, &jwt, &err), GW_EINVALID);
    assert_null(jwt);
    assert_non_null(strstr(err.detail, "private"));
    assert_int_equal(token__sign(key_pub, "{}", "{}", &jwt), GW_EINVALID);
    /* Subjects must fit token_claims_t.sub and be UTF-8. */
    memset(longsub, 'a', sizeof(longsub) - 1);
    longsub[sizeof(longsub) - 1] = '\0';
    p.subject = longsub;
    assert_int_equal(token_issue(key_a, &p, &jwt, NULL), GW_EINVALID);
    longsub[TOKEN_SUB_MAX - 1] = '\0';
    assert_int_equal(token_issue(key_a, &p, &jwt, NULL), GW_OK);
    free(jwt);
    jwt = NULL;
    p.subject = "\xff\xfe";
    assert_int_equal(token_issue(key_a, &p, &jwt, NULL), GW_EINVALID);
    p.subject = "alice";
    /* More entries than a token may carry. */
    memset(many, 0, sizeof(many));
    for (size_t i = 0; i < TOKEN_MAX_ACCESS + 1; i++) {
        snprintf(many[i].type, sizeof(many[i].type), "repository");
        snprintf(many[i].name, sizeof(many[i].name), "r%zu", i);
        many[i].actions = TOKEN_PULL;
    }
    p.access = many;
    p.naccess = TOKEN_MAX_ACCESS + 1;
    assert_int_equal(token_issue(key_a, &p, &jwt, NULL), GW_EINVALID);
    p.naccess = TOKEN_MAX_ACCESS;
    assert_int_equal(token_issue(key_a, &p, &jwt, NULL), GW_OK);
    assert_int_equal(check(jwt, NOW), GW_OK);
    free(jwt);
    jwt = NULL;
    p.access = &acc;
    p.naccess = 1;
    /* An entry whose name is not terminated. */
    memset(acc.name, 'x', sizeof(acc.name));
    assert_int_equal(token_issue(key_a, &p, &jwt, NULL), GW_EINVALID);
    assert_null(jwt);
}

/* ---- scopes ---- */

static void
test_token__scope_parse_good(void **state)
{
    token_access_t l[8];
    size_t n = 0;
    char out[512];

    (void)state;
    assert_int_equal(token_scope_parse("repository:library/alpine:pull,push", l, 8, &n), GW_OK);
    assert_int_equal(n, 1);
    assert_string_equal(l[0].type, "repository");
    assert_string_equal(l[0].name, "library/alpine");
    assert_int_equal(l[0].actions, TOKEN_PULL | TOKEN_PUSH);
    /* A host:port in the name; the actions follow the last ':'. */
    assert_int_equal(token_scope_parse("repository:localhost:5000/a/b:delete", l, 8, &n), GW_OK);
    assert_int_equal(n, 2);
    assert_string_equal(l[1].name, "localhost:5000/a/b");
    assert_int_equal(l[1].actions, TOKEN_DELETE);
    /* Several scopes in one value, extra spaces, a class, the catalog. */
    assert_int_equal(token_scope_parse("  repository(plugin):p/q:pull registry:catalog:*  "
                                       "repository:library/alpine:delete",
                                       l, 8, &n),
                     GW_OK);
    assert_int_equal(n, 4);
    assert_string_equal(l[2].type, "repository");
    assert_string_equal(l[2].name, "p/q");
    assert_string_equal(l[3].type, "registry");
    assert_int_equal(l[3].actions, TOKEN_ALL);
    /* The same resource again: the actions are merged. */
    assert_int_equal(l[0].actions, TOKEN_PULL | TOKEN_PUSH | TOKEN_DELETE);
    /* Unknown actions are valid but grant nothing; "" holds no scope. */
    assert_int_equal(token_scope_parse("repository:s:scanner-pull", l, 8, &n), GW_OK);
    assert_int_equal(n, 5);
    assert_int_equal(l[4].actions, 0);
    assert_int_equal(token_scope_parse("", l, 8, &n), GW_OK);
    assert_int_equal(token_scope_parse("   ", l, 8, &n), GW_OK);
    assert_int_equal(n, 5);
    assert_int_equal(token_scope_format(l, n, out, sizeof(out)), GW_OK);
    assert_string_equal(out, "repository:library/alpine:pull,push,delete "
                             "repository:localhost:5000/a/b:delete repository:p/q:pull "
                             "registry:catalog:* repository:s:");
    assert_int_equal(token_scope_format(l, n, out, 40), GW_ETOOBIG);
    assert_string_equal(out, "");
    assert_int_equal(token_scope_format(l, 0, out, sizeof(out)), GW_OK);
    assert_string_equal(out, "");
}

static void
test_token__scope_parse_bad(void **state)
{
    static const char *const bad[] = {
        "repository",
        "repository:foo",
        "repository:foo:",
        "repository::pull",
        ":foo:pull",
        "foo:bar:pull",
        "Repository:foo:pull",
        "repository():foo:pull",
        "repository(x:foo:pull",
        "repository(X):foo:pull",
        "repository)x(:foo:pull",
        "repository:foo:pull,,push",
        "repository:foo:pull,",
        "repository:foo:,pull",
        "repository:foo:PULL",
        "repository:foo:pu ll",
        "repository:fo\"o:pull",
        "repository:fo\to:pull",
        "repository:fo\xc3\xa9:pull",
        "repository:foo:pull repository:bar",
        "repository:foo:**",
    };
    char longname[300];
    token_access_t l[4] = {{"registry", "catalog", TOKEN_ALL}};
    size_t n = 1;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (token_scope_parse(bad[i], l, 4, &n) != GW_EINVALID)
            fail_msg("accepted scope \"%s\"", bad[i]);
        /* Nothing changed. */
        assert_int_equal(n, 1);
        assert_int_equal(l[0].actions, TOKEN_ALL);
    }
    /* Names up to 255 bytes. */
    snprintf(longname, sizeof(longname), "repository:%0255d:pull", 0);
    assert_int_equal(token_scope_parse(longname, l, 4, &n), GW_OK);
    assert_int_equal(strlen(l[1].name), 255);
    snprintf(longname, sizeof(longname), "repository:%0256d:pull", 0);
    assert_int_equal(token_scope_parse(longname, l, 4, &n), GW_EINVALID);
    assert_int_equal(n, 2);
    /* Capacity. */
    assert_int_equal(
        token_scope_parse("repository:a:pull repository:b:pull repository:c:pull", l, 4, &n),
        GW_ETOOBIG);
    assert_int_equal(n, 4);
}

static void
test_token__allows(void **state)
{
    token_claims_t c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(token_scope_parse("repository:a/b:pull repository:c:* repository:a/b:delete "
                                       "repository:d:push",
                                       c.access, TOKEN_MAX_ACCESS, &c.naccess),
                     GW_OK);
    assert_true(token_allows(&c, "a/b", TOKEN_PULL));
    assert_true(token_allows(&c, "a/b", TOKEN_DELETE));
    assert_true(token_allows(&c, "a/b", TOKEN_PULL | TOKEN_DELETE));
    assert_false(token_allows(&c, "a/b", TOKEN_PUSH));
    assert_false(token_allows(&c, "a/b", TOKEN_PULL | TOKEN_PUSH));
    assert_true(token_allows(&c, "c", TOKEN_PULL | TOKEN_PUSH | TOKEN_DELETE));
    assert_true(token_allows(&c, "d", TOKEN_PUSH));
    assert_false(token_allows(&c, "d", TOKEN_PULL));
    assert_false(token_allows(&c, "a", TOKEN_PULL));
    assert_false(token_allows(&c, "a/b/c", TOKEN_PULL));
    assert_false(token_allows(&c, "A/B", TOKEN_PULL));
    /* Actions 0: does the token name the repository at all? */
    assert_true(token_allows(&c, "d", 0));
    assert_false(token_allows(&c, "e", 0));
    assert_int_equal(
        token_scope_parse("repository:e:scanner-pull", c.access, TOKEN_MAX_ACCESS, &c.naccess),
        GW_OK);
    assert_true(token_allows(&c, "e", 0));
    assert_false(token_allows(&c, "e", TOKEN_PULL));
    assert_false(token_allows_catalog(&c));
    assert_int_equal(
        token_scope_parse("registry:catalog:*", c.access, TOKEN_MAX_ACCESS, &c.naccess), GW_OK);
    assert_true(token_allows_catalog(&c));
    /* A repository called "catalog" is not the catalog. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(
        token_scope_parse("repository:catalog:*", c.access, TOKEN_MAX_ACCESS, &c.naccess), GW_OK);
    assert_false(token_allows_catalog(&c));
}

/* ---- interop with openssl(1) ---- */

static void
test_token__openssl_cli_interop(void **state)
{
    char path[128], cmd[1024], pub[128], in[128], sig[128], *jwt, *dot;
    unsigned char raw[80], der[80], *pder = der;
    const unsigned char *cder;
    BIGNUM *r, *s;
    ECDSA_SIG *es;
    size_t n;
    int derlen;
    FILE *f;

    (void)state;
    if (system("command -v openssl >/dev/null 2>&1") != 0)
        skip();
    path_in(pub, sizeof(pub), "a.pub.pem");
    path_in(in, sizeof(in), "input");
    path_in(sig, sizeof(sig), "sig.der");
    /* Our token, checked by `openssl dgst -verify` after R||S -> DER. */
    jwt = issue_at(NOW, 300);
    dot = strrchr(jwt, '.');
    f = fopen(in, "w");
    assert_non_null(f);
    fwrite(jwt, 1, (size_t)(dot - jwt), f);
    fclose(f);
    assert_int_equal(token_b64url_decode(dot + 1, strlen(dot + 1), raw, sizeof(raw), &n), GW_OK);
    assert_int_equal(n, 64);
    es = ECDSA_SIG_new();
    r = BN_bin2bn(raw, 32, NULL);
    s = BN_bin2bn(raw + 32, 32, NULL);
    assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
    derlen = i2d_ECDSA_SIG(es, &pder);
    assert_true(derlen > 0);
    ECDSA_SIG_free(es);
    f = fopen(sig, "wb");
    assert_non_null(f);
    fwrite(der, 1, (size_t)derlen, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -verify %s -signature %s %s >/dev/null", pub,
             sig, in);
    assert_int_equal(system(cmd), 0);
    free(jwt);
    /* A token signed by `openssl dgst -sign`, DER -> R||S, passes token_verify. */
    jwt = craft("{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
                "{\"iss\":\"" ISS "\",\"sub\":\"cli\",\"aud\":\"" AUD "\",\"exp\":1700000300}", "");
    f = fopen(in, "w");
    assert_non_null(f);
    fwrite(jwt, 1, strlen(jwt) - 1, f);
    fclose(f);
    path_in(path, sizeof(path), "a.pem");
    snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -sign %s -out %s %s", path, sig, in);
    assert_int_equal(system(cmd), 0);
    f = fopen(sig, "rb");
    assert_non_null(f);
    n = fread(der, 1, sizeof(der), f);
    fclose(f);
    cder = der;
    es = d2i_ECDSA_SIG(NULL, &cder, (long)n);
    assert_non_null(es);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
    ECDSA_SIG_free(es);
    jwt = realloc(jwt, strlen(jwt) + TOKEN_B64URL_SIZE(64));
    assert_non_null(jwt);
    assert_int_equal(token_b64url_encode(raw, 64, jwt + strlen(jwt), TOKEN_B64URL_SIZE(64)), GW_OK);
    assert_int_equal(check(jwt, NOW), GW_OK);
    free(jwt);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token__b64_vectors),
        cmocka_unit_test(test_token__b64_invalid),
        cmocka_unit_test(test_token__key_ids_match_reference),
        cmocka_unit_test(test_token__key_formats),
        cmocka_unit_test(test_token__key_generate),
        cmocka_unit_test(test_token__round_trip),
        cmocka_unit_test(test_token__claims_layout),
        cmocka_unit_test(test_token__tampered),
        cmocka_unit_test(test_token__alg_none_and_hmac),
        cmocka_unit_test(test_token__time_window),
        cmocka_unit_test(test_token__wrong_audience_or_issuer),
        cmocka_unit_test(test_token__other_key_and_kid),
        cmocka_unit_test(test_token__refresh),
        cmocka_unit_test(test_token__malformed),
        cmocka_unit_test(test_token__issue_errors),
        cmocka_unit_test(test_token__scope_parse_good),
        cmocka_unit_test(test_token__scope_parse_bad),
        cmocka_unit_test(test_token__allows),
        cmocka_unit_test(test_token__openssl_cli_interop),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
