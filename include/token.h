/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token.h - the pure parts of Docker registry token auth: the ES256 signing
 * key, `scope` parsing, issuing and verifying access and refresh JWTs, and
 * the base64 codecs. No I/O except reading and writing key files; the HTTP
 * endpoints, credential checks and grants live elsewhere.
 * Protocol notes: /work/shared/reference/docker-token-auth.md.
 */
#ifndef BERTH_TOKEN_H
#define BERTH_TOKEN_H

#include <stddef.h>
#include <time.h>

#include "gw_error.h"

/* Action bits of one resource. TOKEN_ALL is the "*" action and grants every action. */
#define TOKEN_PULL 0x1u
#define TOKEN_PUSH 0x2u
#define TOKEN_DELETE 0x4u
#define TOKEN_ALL 0x8u

#define TOKEN_TYPE_MAX 16       /* sizeof token_access_t.type */
#define TOKEN_NAME_MAX 256      /* sizeof token_access_t.name: names up to 255 bytes */
#define TOKEN_MAX_ACCESS 64     /* access entries a verified token may carry */
#define TOKEN_SUB_MAX 256       /* sizeof token_claims_t.sub */
#define TOKEN_JTI_MAX 64        /* sizeof token_claims_t.jti */
#define TOKEN_JWT_MAX 65536     /* longest token accepted by the verifiers, in bytes */
#define TOKEN_LEEWAY 60         /* clock skew allowed on exp and nbf, seconds */
#define TOKEN_KID_MAX 60        /* libtrust key id: 12 groups of 4 joined by ':', plus NUL */
#define TOKEN_THUMBPRINT_MAX 44 /* RFC 7638 thumbprint: 43 base64url chars, plus NUL */

/* The JOSE "typ" of refresh tokens; access tokens carry "JWT". */
#define TOKEN_REFRESH_TYP "berth-refresh+jwt"

/* Buffer sizes for the codecs, NUL included. */
#define TOKEN_B64URL_SIZE(n) ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0) + 1)
#define TOKEN_B64_SIZE(n) (((n) + 2) / 3 * 4 + 1)
#define TOKEN_B64_DECODED_SIZE(n) ((n) / 4 * 3 + 3)

/*
 * One resource and the actions on it: a parsed scope, or one entry of a
 * token's "access" claim. `type` is "repository" or "registry" (a resource
 * class such as "repository(plugin)" is dropped: it is deprecated and ignored).
 */
typedef struct token_access {
    char type[TOKEN_TYPE_MAX];
    char name[TOKEN_NAME_MAX];
    unsigned actions; /* TOKEN_* bits */
} token_access_t;

/* What a verified token says. Plain data, no pointers. */
typedef struct token_claims {
    char sub[TOKEN_SUB_MAX]; /* account name; "" for anonymous */
    char jti[TOKEN_JTI_MAX]; /* "" when the token has none */
    long long iat;           /* 0 when absent */
    long long nbf;           /* 0 when absent */
    long long exp;
    size_t naccess;
    token_access_t access[TOKEN_MAX_ACCESS];
} token_claims_t;

/* The signing or verifying key. Opaque; immutable once loaded. */
typedef struct token_key token_key_t;

/* What token_issue and token_issue_refresh put into a token. */
typedef struct token_params {
    const char *issuer;           /* "iss"; required */
    const char *subject;          /* "sub": account name, "" for anonymous; < TOKEN_SUB_MAX */
    const char *audience;         /* "aud": the `service` asked for; required */
    time_t now;                   /* "iat" and "nbf" */
    long lifetime;                /* seconds from now to "exp"; at least 60 */
    const token_access_t *access; /* granted access; ignored for refresh tokens */
    size_t naccess;
} token_params_t;

/* ---- keys ---- */

/**
 * Loads an EC P-256 key from the PEM file `pem_path`: a private key (PKCS#8
 * "PRIVATE KEY" or SEC1 "EC PRIVATE KEY", unencrypted), which can sign and
 * verify, or a "PUBLIC KEY" or "CERTIFICATE", which can only verify. Sets
 * *out to a key the caller frees with token_key_free; *out is NULL on error.
 * Returns GW_ERR when the file cannot be read, GW_EINVALID when it holds no
 * usable P-256 key (encrypted keys included); details in err (log only).
 */
int token_key_load(token_key_t **out, const char *pem_path, gw_error_t *err);

/**
 * Generates a new P-256 private key and writes it to `path` as PKCS#8 PEM,
 * mode 0600. Never overwrites: GW_EEXISTS when `path` exists. GW_ERR on any
 * other failure (the partial file is removed). For the local stack and tests.
 */
int token_key_generate_pem(const char *path);

/**
 * Writes the public half of `key` to `path` as a "PUBLIC KEY" PEM, mode 0644,
 * for gateways that only verify. GW_EEXISTS when `path` exists, else GW_ERR
 * on failure.
 */
int token_key_save_public_pem(const token_key_t *key, const char *path);

/** Frees a key from token_key_load. Accepts NULL. */
void token_key_free(token_key_t *key);

/** 1 when `key` holds the private half and can sign, else 0. */
int token_key_can_sign(const token_key_t *key);

/**
 * The libtrust key id that docker/distribution 2.x and Harbor use as "kid"
 * (base32 of the first 240 bits of SHA-256 over the DER SubjectPublicKeyInfo,
 * in 12 groups of 4 joined by ':'). Issued tokens carry this one. Owned by key.
 */
const char *token_key_id(const token_key_t *key);

/**
 * The RFC 7638 JWK thumbprint of `key` (base64url SHA-256 of
 * {"crv":"P-256","kty":"EC","x":...,"y":...}), the key id distribution 3.x
 * looks up. The verifiers accept either id as "kid". Owned by key.
 */
const char *token_key_thumbprint(const token_key_t *key);

/* ---- scopes ---- */

/**
 * Parses one `scope` value: resource scopes "type:name:action[,action]*"
 * separated by spaces (extra spaces are skipped; "" holds none). The type is
 * everything before the first ':' and the actions follow the last one, so a
 * name may hold '/' and a "host:port". Types: repository and registry, with
 * an optional "(class)" that is dropped. Actions: pull, push, delete, "*";
 * other names made of [a-z-] are valid but grant nothing. The name must be
 * 1..255 bytes of [A-Za-z0-9._/:-]; the gateway still checks repository names
 * against the name grammar (ref_name_valid).
 *
 * Appends to list[*count..cap) and advances *count; a resource already in the
 * list gets the new actions or-ed in. Call once per `scope` query parameter.
 * Returns GW_EINVALID for a malformed scope, an unknown type, an empty action
 * or action list, or an overlong name, and then changes nothing. Returns
 * GW_ETOOBIG when more than `cap` resources would be needed; the list then
 * holds the scopes that fitted.
 */
int token_scope_parse(const char *scope, token_access_t *list, size_t cap, size_t *count);

/**
 * Formats `n` entries as one space-separated scope value
 * ("repository:a/b:pull,push registry:catalog:*"), for a challenge or the
 * OAuth2 response "scope". An entry with no actions ends in ':'.
 * Returns GW_ETOOBIG when `out` (size bytes) is too small, leaving "" in it.
 */
int token_scope_format(const token_access_t *list, size_t n, char *out, size_t size);

/* ---- tokens ---- */

/**
 * Builds and signs an access token (JWS compact, ES256, header typ "JWT" and
 * kid = token_key_id): claims iss, sub, aud, exp, nbf, iat, a random jti, and
 * "access" listing p->access with their actions by name. Sets *out to a
 * NUL-terminated string the caller frees with free(); NULL on error.
 * Returns GW_EINVALID when the key cannot sign, a string is not UTF-8, the
 * subject is too long, an entry is malformed or there are more than
 * TOKEN_MAX_ACCESS entries; GW_ERR on a crypto or memory
 * failure. Thread-safe: one key may serve many threads.
 */
int token_issue(const token_key_t *key, const token_params_t *p, char **out, gw_error_t *err);

/**
 * Verifies an access token made by token_issue with `key`: three parts, alg
 * ES256 only (none, HS* and the rest are refused), typ "JWT", kid (when
 * present) equal to the key's libtrust id or thumbprint, a valid 64-byte R||S
 * signature, exp > now - TOKEN_LEEWAY, nbf <= now + TOKEN_LEEWAY, iss equal to
 * `expected_iss` and aud equal to (or, as an array, holding) `expected_aud`,
 * at most TOKEN_MAX_ACCESS access entries. Fills *out (cleared on failure).
 * Returns GW_EDENIED for any bad token, with a short reason in err->detail
 * (status 401, code UNAUTHORIZED; the token itself is never copied into err);
 * GW_ERR on memory failure. A refresh token is refused.
 */
int token_verify(const token_key_t *key, const char *jwt, const char *expected_aud,
                 const char *expected_iss, time_t now, token_claims_t *out, gw_error_t *err);

/**
 * 1 when `c` grants every bit of `actions` on repository `repo` (an entry
 * with TOKEN_ALL grants them all), else 0. Names compare exactly. With
 * actions 0: 1 when `c` has an entry for `repo` at all, even one with no
 * actions (the token service considered the repository and granted nothing).
 */
int token_allows(const token_claims_t *c, const char *repo, unsigned actions);

/** 1 when `c` grants "registry:catalog:*" (listing /v2/_catalog), else 0. */
int token_allows_catalog(const token_claims_t *c);

/**
 * Builds a refresh token for the OAuth2 grant_type=refresh_token form: like
 * token_issue but with typ TOKEN_REFRESH_TYP and no "access" claim, so it
 * names only the account (p->subject, which must not be ""). It cannot be used
 * as an access token nor the reverse. It cannot be revoked either: the token
 * endpoint must check that the account still exists and is enabled before
 * honouring it. *out is freed with free(). Errors as token_issue.
 */
int token_issue_refresh(const token_key_t *key, const token_params_t *p, char **out,
                        gw_error_t *err);

/**
 * Verifies a refresh token made by token_issue_refresh: the checks of
 * token_verify with typ TOKEN_REFRESH_TYP, no "access" claim and a non-empty
 * sub. Fills *out (naccess is 0). Errors as token_verify.
 */
int token_verify_refresh(const token_key_t *key, const char *jwt, const char *expected_aud,
                         const char *expected_iss, time_t now, token_claims_t *out,
                         gw_error_t *err);

/**
 * Semi-private, for tests and fuzzing: signs the given header and claims
 * texts byte for byte as an ES256 JWS. Sets *out (free with free()). Returns
 * GW_EINVALID when the key cannot sign, GW_ERR on failure.
 */
int token__sign(const token_key_t *key, const char *header_json, const char *claims_json,
                char **out);

/* ---- base64 ---- */

/**
 * Encodes `len` bytes as base64url without padding (RFC 4648 section 5) into
 * `out`, NUL-terminated. GW_ETOOBIG when size < TOKEN_B64URL_SIZE(len).
 */
int token_b64url_encode(const void *data, size_t len, char *out, size_t size);

/**
 * Decodes `len` chars of unpadded base64url. Writes the bytes and a NUL to
 * `out` (size >= TOKEN_B64_DECODED_SIZE(len) is always enough) and their count
 * to *out_len. GW_EINVALID on a character outside the alphabet, '=', a length
 * of 4k+1 or non-zero unused bits; GW_ETOOBIG when out is too small.
 */
int token_b64url_decode(const char *in, size_t len, unsigned char *out, size_t size,
                        size_t *out_len);

/**
 * Encodes `len` bytes as standard base64 with padding into `out`,
 * NUL-terminated. GW_ETOOBIG when size < TOKEN_B64_SIZE(len).
 */
int token_b64_encode(const void *data, size_t len, char *out, size_t size);

/**
 * Decodes `len` chars of standard base64 (RFC 4648 section 4), as in an
 * "Authorization: Basic" header. Padding may be omitted but, when present,
 * must be right. Otherwise as token_b64url_decode; the output is
 * NUL-terminated, and the caller must still reject credentials holding a NUL.
 */
int token_b64_decode(const char *in, size_t len, unsigned char *out, size_t size, size_t *out_len);

#endif
