/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_digest.c - unit tests for digest.c: known vectors, digest strings,
 * and saving/restoring the hash state at every interesting split point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"

#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_EMPTY                                                                               \
    "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"                      \
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
#define SHA512_ABC                                                                                 \
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"                      \
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
/* FIPS 180-2 appendix vectors: one million repetitions of 'a'. */
#define SHA256_MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define SHA512_MILLION_A                                                                           \
    "sha512:e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"                      \
    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"

#define BIG_LEN (((size_t)1 << 20) + 1 + 300)

static unsigned char *random_bytes(size_t len, uint64_t seed);
static void save_restore(digest_ctx_t *ctx);
static void check_split(digest_algo_t algo, const unsigned char *data, size_t len, size_t split);

/* xorshift64: reproducible pseudo-random test data. */
static unsigned char *
random_bytes(size_t len, uint64_t seed)
{
    unsigned char *p = malloc(len);
    uint64_t x = seed;

    assert_non_null(p);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
    return p;
}

/* Round-trips ctx through its saved form into a fresh, dirtied context. */
static void
save_restore(digest_ctx_t *ctx)
{
    unsigned char buf[DIGEST_STATE_MAX];
    digest_ctx_t other;
    size_t n;

    n = digest_state_save(ctx, buf, sizeof(buf));
    assert_true(n > 0 && n <= DIGEST_STATE_MAX);
    memset(&other, 0xa5, sizeof(other));
    assert_int_equal(digest_state_load(&other, buf, n), GW_OK);
    assert_int_equal(other.algo, ctx->algo);
    assert_true(other.length == ctx->length);
    *ctx = other;
}

static void
check_split(digest_algo_t algo, const unsigned char *data, size_t len, size_t split)
{
    char want[DIGEST_STR_MAX], got[DIGEST_STR_MAX];
    digest_ctx_t ctx;

    digest_compute(algo, data, len, want);
    digest_init(&ctx, algo);
    digest_update(&ctx, data, split);
    save_restore(&ctx);
    digest_update(&ctx, data + split, len - split);
    digest_final(&ctx, got);
    assert_string_equal(got, want);
}

static void
test_digest__known_vectors(void **state)
{
    char out[DIGEST_STR_MAX];

    (void)state;
    digest_compute(DIGEST_SHA256, "", 0, out);
    assert_string_equal(out, SHA256_EMPTY);
    digest_compute(DIGEST_SHA256, "abc", 3, out);
    assert_string_equal(out, SHA256_ABC);
    digest_compute(DIGEST_SHA512, "", 0, out);
    assert_string_equal(out, SHA512_EMPTY);
    digest_compute(DIGEST_SHA512, "abc", 3, out);
    assert_string_equal(out, SHA512_ABC);
}

static void
test_digest__incremental_matches_one_pass(void **state)
{
    char out[DIGEST_STR_MAX];
    digest_ctx_t ctx;

    (void)state;
    digest_init(&ctx, DIGEST_SHA256);
    digest_update(&ctx, "a", 1);
    digest_update(&ctx, "", 0);
    digest_update(&ctx, "bc", 2);
    assert_true(ctx.length == 3);
    digest_final(&ctx, out);
    assert_string_equal(out, SHA256_ABC);
}

static void
test_digest__algo_name(void **state)
{
    (void)state;
    assert_string_equal(digest_algo_name(DIGEST_SHA256), "sha256");
    assert_string_equal(digest_algo_name(DIGEST_SHA512), "sha512");
    assert_null(digest_algo_name(DIGEST_NONE));
}

static void
test_digest__parse_valid(void **state)
{
    digest_algo_t algo = DIGEST_NONE;

    (void)state;
    assert_int_equal(digest_parse(SHA256_ABC, &algo), GW_OK);
    assert_int_equal(algo, DIGEST_SHA256);
    assert_int_equal(digest_parse(SHA512_ABC, &algo), GW_OK);
    assert_int_equal(algo, DIGEST_SHA512);
    assert_int_equal(digest_parse(SHA256_EMPTY, NULL), GW_OK);
}

static void
test_digest__parse_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "sha256",
        "sha256:",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        /* missing colon */
        "sha256e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        /* uppercase hex */
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85A",
        /* short and long */
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
        /* a sha256-length hex under the sha512 label */
        "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        /* unknown and uppercase algorithms */
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "blake3:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        /* non-hex, spaces, trailing newline */
        "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        " sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
        "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
    };
    digest_algo_t algo;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        algo = DIGEST_SHA512;
        if (digest_parse(bad[i], &algo) != GW_EINVALID)
            fail_msg("accepted bad digest \"%s\"", bad[i]);
        assert_int_equal(algo, DIGEST_NONE);
    }
}

static void
test_digest__state_split_points(void **state)
{
    static const size_t splits[] = {
        0, 1, 63, 64, 65, 127, 128, 129, 255, 256, 257, ((size_t)1 << 20) + 1, BIG_LEN,
    };
    unsigned char *data = random_bytes(BIG_LEN, 0x9e3779b97f4a7c15ULL);

    (void)state;
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        check_split(DIGEST_SHA256, data, BIG_LEN, splits[i]);
        check_split(DIGEST_SHA512, data, BIG_LEN, splits[i]);
    }
    /* Every split of a short message, crossing both block sizes twice. */
    for (size_t s = 0; s <= 300; s++) {
        check_split(DIGEST_SHA256, data, 300, s);
        check_split(DIGEST_SHA512, data, 300, s);
    }
    free(data);
}

static void
test_digest__state_chained_chunks(void **state)
{
    static const digest_algo_t algos[] = {DIGEST_SHA256, DIGEST_SHA512};
    static const char *const want[] = {SHA256_MILLION_A, SHA512_MILLION_A};
    unsigned char chunk[4099];
    char out[DIGEST_STR_MAX];
    digest_ctx_t ctx;

    (void)state;
    memset(chunk, 'a', sizeof(chunk));
    /* Like an upload of many PATCH requests, each on another gateway. */
    for (size_t k = 0; k < 2; k++) {
        size_t done = 0, step = 1;

        digest_init(&ctx, algos[k]);
        while (done < 1000000) {
            size_t n = step < 1000000 - done ? step : 1000000 - done;

            digest_update(&ctx, chunk, n);
            done += n;
            save_restore(&ctx);
            step = step * 3 % sizeof(chunk) + 1;
        }
        digest_final(&ctx, out);
        assert_string_equal(out, want[k]);
    }
}

static void
test_digest__state_layout(void **state)
{
    /* SHA-256 initial hash value H0 (FIPS 180-4 5.3.3), little-endian. */
    static const unsigned char head[] = {
        1, DIGEST_SHA256, 3, 0, 0, 0, 0, 0, 0, 0, 0x67, 0xe6, 0x09, 0x6a,
    };
    unsigned char buf[DIGEST_STATE_MAX];
    digest_ctx_t ctx;
    size_t n;

    (void)state;
    digest_init(&ctx, DIGEST_SHA256);
    digest_update(&ctx, "abc", 3);
    n = digest_state_save(&ctx, buf, sizeof(buf));
    /* head, h[8], Nl, Nh, num, "abc" */
    assert_int_equal(n, 10 + 32 + 8 + 4 + 3);
    assert_memory_equal(buf, head, sizeof(head));
    assert_int_equal(buf[42], 24); /* Nl: 3 bytes = 24 bits */
    assert_int_equal(buf[50], 3);  /* num */
    assert_memory_equal(buf + 54, "abc", 3);
    /* Too small a buffer is refused, not overrun. */
    assert_int_equal(digest_state_save(&ctx, buf, n - 1), 0);

    digest_init(&ctx, DIGEST_SHA512);
    digest_update(&ctx, "abc", 3);
    n = digest_state_save(&ctx, buf, sizeof(buf));
    assert_int_equal(n, 10 + 64 + 16 + 4 + 3);
}

static void
test_digest__state_rejects_garbage(void **state)
{
    unsigned char good[DIGEST_STATE_MAX], bad[DIGEST_STATE_MAX + 1];
    unsigned char *noise = random_bytes(4096, 42);
    digest_ctx_t ctx, before;
    size_t n, off;

    (void)state;
    digest_init(&ctx, DIGEST_SHA256);
    digest_update(&ctx, "hello world", 11);
    n = digest_state_save(&ctx, good, sizeof(good));
    before = ctx;

#define EXPECT_BAD(buf, len)                                                                       \
    do {                                                                                           \
        assert_int_equal(digest_state_load(&ctx, (buf), (len)), GW_EINVALID);                      \
        assert_memory_equal(&ctx, &before, sizeof(ctx));                                           \
    } while (0)

    EXPECT_BAD(good, 0);
    EXPECT_BAD(good, 1);
    EXPECT_BAD(good, 9);
    EXPECT_BAD(good, n - 1); /* truncated */
    memcpy(bad, good, n);
    bad[n] = 0;
    EXPECT_BAD(bad, n + 1); /* trailing byte */
    bad[0] = 2;             /* unknown version */
    EXPECT_BAD(bad, n);
    bad[0] = 0;
    EXPECT_BAD(bad, n);
    memcpy(bad, good, n);
    bad[1] = DIGEST_NONE; /* unknown algorithms */
    EXPECT_BAD(bad, n);
    bad[1] = 3;
    EXPECT_BAD(bad, n);
    bad[1] = DIGEST_SHA512; /* right bytes, wrong algo: sizes differ */
    EXPECT_BAD(bad, n);
    memcpy(bad, good, n);
    bad[2] = 12; /* length disagrees with Nl and num */
    EXPECT_BAD(bad, n);
    memcpy(bad, good, n);
    bad[42] = 8 * 12; /* Nl disagrees with length */
    EXPECT_BAD(bad, n);
    memcpy(bad, good, n);
    bad[46] = 1; /* Nh set */
    EXPECT_BAD(bad, n);
    memcpy(bad, good, n);
    off = 50; /* num = 64, a whole block */
    bad[off] = 64;
    EXPECT_BAD(bad, n);
    bad[off] = 0xff;
    bad[off + 3] = 0xff;
    EXPECT_BAD(bad, n);
    /* A huge length, consistent elsewhere, over the 2^64-bit limit. */
    memcpy(bad, good, n);
    bad[9] = 0x20; /* 2^61 + 11: Nl and num still agree */
    EXPECT_BAD(bad, n);
    /* Random bytes, at every length, with a plausible head or not. */
    for (size_t len = 0; len <= DIGEST_STATE_MAX; len++) {
        EXPECT_BAD(noise, len);
        memcpy(bad, noise + len, len);
        if (len > 1) {
            bad[0] = 1;
            bad[1] = DIGEST_SHA512;
        }
        EXPECT_BAD(bad, len);
    }
#undef EXPECT_BAD
    /* The good state still loads after all that. */
    assert_int_equal(digest_state_load(&ctx, good, n), GW_OK);
    free(noise);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest__known_vectors),
        cmocka_unit_test(test_digest__incremental_matches_one_pass),
        cmocka_unit_test(test_digest__algo_name),
        cmocka_unit_test(test_digest__parse_valid),
        cmocka_unit_test(test_digest__parse_invalid),
        cmocka_unit_test(test_digest__state_split_points),
        cmocka_unit_test(test_digest__state_chained_chunks),
        cmocka_unit_test(test_digest__state_layout),
        cmocka_unit_test(test_digest__state_rejects_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
