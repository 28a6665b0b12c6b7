/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_token.c - libFuzzer target for token_verify, token_verify_refresh,
 * token_scope_parse and the base64 decoders.
 *
 * Every input is tried as a token, as a scope value and as base64 of both
 * alphabets; decoded base64 must encode back to the input and a parsed scope
 * must format and parse back to the same list. Random bytes rarely carry a
 * valid signature, so inputs starting with '{' are also signed with the test
 * key (as the claims under a good header, or as "header\nclaims") before
 * verifying, which reaches the header and claims checks behind the signature.
 * The key is generated once, at the first input. Run it with tests/fuzz/run.
 *
 * FUZZ-LINK: gateway/token.c gateway/gw_error.c gateway/log.c -ljansson -lcrypto
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "token.h"

#define AUD "berth-registry"
#define ISS "berth-fuzz"
#define NOW ((time_t)1700000000)
#define GOOD_HDR "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static token_key_t *key;

static void init_key(void);
static void check_claims(const token_claims_t *c);
static void check_verify(const char *jwt);
static void check_signed(const char *s);
static void check_scope(const char *s);
static void check_b64(const char *s, size_t len);

static void
init_key(void)
{
    char dir[] = "/tmp/berth-fuzz-token-XXXXXX", path[64];
    gw_error_t err;

    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    if (token_key_generate_pem(path) != GW_OK || token_key_load(&key, path, &err) != GW_OK)
        abort();
    unlink(path);
    rmdir(dir);
}

/* What any accepted token must look like. */
static void
check_claims(const token_claims_t *c)
{
    if (c->naccess > TOKEN_MAX_ACCESS || memchr(c->sub, '\0', sizeof(c->sub)) == NULL ||
        memchr(c->jti, '\0', sizeof(c->jti)) == NULL || c->exp <= (long long)NOW - TOKEN_LEEWAY ||
        c->nbf > (long long)NOW + TOKEN_LEEWAY)
        abort();
    for (size_t i = 0; i < c->naccess; i++) {
        if (memchr(c->access[i].type, '\0', sizeof(c->access[i].type)) == NULL ||
            memchr(c->access[i].name, '\0', sizeof(c->access[i].name)) == NULL ||
            (c->access[i].actions & ~(TOKEN_PULL | TOKEN_PUSH | TOKEN_DELETE | TOKEN_ALL)) != 0)
            abort();
        (void)token_allows(c, c->access[i].name, TOKEN_PULL);
    }
    (void)token_allows_catalog(c);
}

static void
check_verify(const char *jwt)
{
    token_claims_t c;
    gw_error_t err;
    int rc;

    gw_error_clear(&err);
    rc = token_verify(key, jwt, AUD, ISS, NOW, &c, &err);
    if (rc == GW_OK)
        check_claims(&c);
    else if (rc != GW_EDENIED || err.status != 401 || c.naccess != 0)
        abort();
    gw_error_clear(&err);
    rc = token_verify_refresh(key, jwt, AUD, ISS, NOW, &c, &err);
    if (rc == GW_OK) {
        check_claims(&c);
        if (c.naccess != 0 || c.sub[0] == '\0')
            abort();
    } else if (rc != GW_EDENIED) {
        abort();
    }
}

static void
check_signed(const char *s)
{
    const char *nl = strchr(s, '\n');
    char *jwt = NULL, *hdr;

    if (nl == NULL) {
        if (token__sign(key, GOOD_HDR, s, &jwt) != GW_OK)
            abort();
    } else {
        hdr = strndup(s, (size_t)(nl - s));
        if (hdr == NULL || token__sign(key, hdr, nl + 1, &jwt) != GW_OK)
            abort();
        free(hdr);
    }
    check_verify(jwt);
    free(jwt);
}

static void
check_scope(const char *s)
{
    token_access_t a[8], b[8];
    size_t na = 0, nb = 0;
    char out[4096];
    int round_trip = 1;

    if (token_scope_parse(s, a, 8, &na) != GW_OK)
        return;
    if (na > 8)
        abort();
    for (size_t i = 0; i < na; i++) {
        if (strcmp(a[i].type, "repository") != 0 && strcmp(a[i].type, "registry") != 0)
            abort();
        if (a[i].name[0] == '\0' || strlen(a[i].name) >= TOKEN_NAME_MAX)
            abort();
        /* An entry with only unknown actions formats as "type:name:", which is refused. */
        if (a[i].actions == 0)
            round_trip = 0;
    }
    if (token_scope_format(a, na, out, sizeof(out)) != GW_OK)
        abort();
    if (!round_trip)
        return;
    if (token_scope_parse(out, b, 8, &nb) != GW_OK || nb != na)
        abort();
    for (size_t i = 0; i < na; i++) {
        if (strcmp(a[i].type, b[i].type) != 0 || strcmp(a[i].name, b[i].name) != 0 ||
            a[i].actions != b[i].actions)
            abort();
    }
}

/* Decoding is strict, so a decoded string re-encodes to exactly the input. */
static void
check_b64(const char *s, size_t len)
{
    unsigned char *bin = malloc(TOKEN_B64_DECODED_SIZE(len));
    char *enc = malloc(TOKEN_B64_SIZE(len) + 4);
    size_t n = 0;

    if (bin == NULL || enc == NULL)
        abort();
    if (token_b64url_decode(s, len, bin, TOKEN_B64_DECODED_SIZE(len), &n) == GW_OK) {
        if (bin[n] != '\0' || token_b64url_encode(bin, n, enc, TOKEN_B64_SIZE(len) + 4) != GW_OK ||
            strlen(enc) != len || memcmp(enc, s, len) != 0)
            abort();
    }
    if (token_b64_decode(s, len, bin, TOKEN_B64_DECODED_SIZE(len), &n) == GW_OK) {
        /* The padding may have been left out of the input. */
        if (bin[n] != '\0' || token_b64_encode(bin, n, enc, TOKEN_B64_SIZE(len) + 4) != GW_OK ||
            strlen(enc) < len || memcmp(enc, s, len) != 0 ||
            strspn(enc + len, "=") != strlen(enc + len))
            abort();
    }
    free(bin);
    free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (key == NULL)
        init_key();
    s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    check_verify(s);
    check_scope(s);
    check_b64(s, size);
    if (size > 0 && s[0] == '{')
        check_signed(s);
    free(s);
    return 0;
}
