/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_passwd.c - unit tests for passwd.c: hash and verify, a known answer,
 * tampered and malformed stored strings, rehash hints and random secrets.
 * Hashes use the minimum iteration count to keep the suite fast.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passwd.h"

#define FAST PASSWD_MIN_ITERATIONS

/* Computed independently: Python hashlib.pbkdf2_hmac("sha256", b"correct horse",
 * b"saltsaltsaltsalt", 1000). */
#define S "c2FsdHNhbHRzYWx0c2FsdA=="
#define H "BBs+1+PaslLtBPULUr8/lQicvVuHiEPMz0i8MjLCbzM="
#define KNOWN "pbkdf2-sha256$1000$" S "$" H

static void
test_passwd__round_trip(void **state)
{
    char h1[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX];

    (void)state;
    assert_int_equal(passwd_hash_iter("s3cret pass", FAST, h1, sizeof(h1)), GW_OK);
    assert_true(passwd_verify("s3cret pass", h1));
    /* Fresh salt each time. */
    assert_int_equal(passwd_hash_iter("s3cret pass", FAST, h2, sizeof(h2)), GW_OK);
    assert_string_not_equal(h1, h2);
    assert_true(passwd_verify("s3cret pass", h2));
    /* Layout: scheme, count, 16-byte salt (24 chars), 32-byte hash (44 chars). */
    assert_int_equal(strncmp(h1, "pbkdf2-sha256$1000$", 19), 0);
    assert_int_equal(strlen(h1), 19 + 24 + 1 + 44);
    assert_int_equal(h1[19 + 24], '$');
    /* Empty and long passwords work too. */
    assert_int_equal(passwd_hash_iter("", FAST, h1, sizeof(h1)), GW_OK);
    assert_true(passwd_verify("", h1));
    assert_false(passwd_verify(" ", h1));
}

static void
test_passwd__known_answer(void **state)
{
    (void)state;
    assert_true(passwd_verify("correct horse", KNOWN));
    assert_false(passwd_verify("correct horse ", KNOWN));
    assert_false(passwd_verify("Correct horse", KNOWN));
}

static void
test_passwd__default_iterations(void **state)
{
    char h[PASSWD_HASH_MAX];

    (void)state;
    assert_int_equal(passwd_hash("pw", h, sizeof(h)), GW_OK);
    assert_int_equal(strncmp(h, "pbkdf2-sha256$210000$", 21), 0);
    assert_true(passwd_verify("pw", h));
    assert_false(passwd_needs_rehash(h));
    assert_true(passwd_needs_rehash(KNOWN));
    assert_false(passwd_needs_rehash("garbage"));
}

static void
test_passwd__wrong_password(void **state)
{
    char h[PASSWD_HASH_MAX];

    (void)state;
    assert_int_equal(passwd_hash_iter("hunter2", FAST, h, sizeof(h)), GW_OK);
    assert_false(passwd_verify("hunter3", h));
    assert_false(passwd_verify("hunter", h));
    assert_false(passwd_verify("hunter22", h));
    assert_false(passwd_verify("", h));
}

static void
test_passwd__tampered(void **state)
{
    char h[PASSWD_HASH_MAX];
    size_t len;

    (void)state;
    assert_int_equal(passwd_hash_iter("pw", FAST, h, sizeof(h)), GW_OK);
    len = strlen(h);
    /* Every character of salt and hash matters (the last ones may become non-canonical). */
    for (size_t i = 19; i < len; i++) {
        char keep = h[i];

        if (keep == '$' || keep == '=')
            continue;
        h[i] = keep == 'A' ? 'B' : 'A';
        if (passwd_verify("pw", h))
            fail_msg("accepted with byte %zu changed", i);
        h[i] = keep;
    }
    assert_true(passwd_verify("pw", h));
    /* A different iteration count gives a different hash. */
    h[14] = '2';
    assert_false(passwd_verify("pw", h));
}

static void
test_passwd__malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "pbkdf2-sha256$",
        "pbkdf2-sha256$1000$",
        "pbkdf2-sha256$1000$" S,
        "pbkdf2-sha256$1000$" S "$",
        "pbkdf2-sha1$1000$" S "$" H,
        "PBKDF2-SHA256$1000$" S "$" H,
        /* iteration counts: too low, too high, leading zero, sign, space, empty, huge */
        "pbkdf2-sha256$999$" S "$" H,
        "pbkdf2-sha256$10000001$" S "$" H,
        "pbkdf2-sha256$01000$" S "$" H,
        "pbkdf2-sha256$+1000$" S "$" H,
        "pbkdf2-sha256$ 1000$" S "$" H,
        "pbkdf2-sha256$$" S "$" H,
        "pbkdf2-sha256$99999999999999999999$" S "$" H,
        /* salt: missing, too short (4 bytes), not base64, non-canonical, unpadded */
        "pbkdf2-sha256$1000$$" H,
        "pbkdf2-sha256$1000$c2FsdA==$" H,
        "pbkdf2-sha256$1000$c2Fsd!NhbHRzYWx0c2FsdA==$" H,
        "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdB==$" H,
        "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$" H,
        /* hash: 31 bytes, 33 bytes, unpadded, extra field, trailing garbage */
        "pbkdf2-sha256$1000$" S "$BBs+1+PaslLtBPULUr8/lQicvVuHiEPMz0i8MjLCbw==",
        "pbkdf2-sha256$1000$" S "$BBs+1+PaslLtBPULUr8/lQicvVuHiEPMz0i8MjLCbzMA",
        "pbkdf2-sha256$1000$" S "$BBs+1+PaslLtBPULUr8/lQicvVuHiEPMz0i8MjLCbzM",
        "pbkdf2-sha256$1000$" S "$" H "$",
        "pbkdf2-sha256$1000$" S "$" H " ",
    };

    (void)state;
    assert_true(passwd_verify("correct horse", KNOWN));
    assert_false(passwd_verify("correct horse", NULL));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (passwd_verify("correct horse", bad[i]))
            fail_msg("accepted \"%s\"", bad[i]);
        assert_false(passwd_needs_rehash(bad[i]));
    }
}

static void
test_passwd__hash_errors(void **state)
{
    char h[PASSWD_HASH_MAX];

    (void)state;
    assert_int_equal(passwd_hash_iter("pw", PASSWD_MIN_ITERATIONS - 1, h, sizeof(h)), GW_EINVALID);
    assert_int_equal(passwd_hash_iter("pw", PASSWD_MAX_ITERATIONS + 1, h, sizeof(h)), GW_EINVALID);
    assert_int_equal(passwd_hash_iter("pw", FAST, h, 40), GW_ETOOBIG);
    assert_string_equal(h, "");
    assert_int_equal(passwd_hash_iter("pw", FAST, h, 89), GW_OK);
    assert_int_equal(strlen(h), 88);
}

static void
test_passwd__random_secret(void **state)
{
    char a[PASSWD_SECRET_SIZE], b[PASSWD_SECRET_SIZE];

    (void)state;
    assert_int_equal(passwd_random_secret(a, sizeof(a)), GW_OK);
    assert_int_equal(passwd_random_secret(b, sizeof(b)), GW_OK);
    assert_int_equal(strlen(a), 43);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     43);
    assert_string_not_equal(a, b);
    assert_int_equal(passwd_random_secret(a, PASSWD_SECRET_SIZE - 1), GW_ETOOBIG);
    assert_string_equal(a, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passwd__round_trip),
        cmocka_unit_test(test_passwd__known_answer),
        cmocka_unit_test(test_passwd__default_iterations),
        cmocka_unit_test(test_passwd__wrong_password),
        cmocka_unit_test(test_passwd__tampered),
        cmocka_unit_test(test_passwd__malformed),
        cmocka_unit_test(test_passwd__hash_errors),
        cmocka_unit_test(test_passwd__random_secret),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
