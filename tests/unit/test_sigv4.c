/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sigv4.c - SigV4 against AWS's five published S3 examples
 * (/work/shared/reference/sigv4-vectors.md), plus encoding and edge cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gw_error.h"
#include "sigv4.h"

#define EX_TIME ((time_t)1369353600) /* 20130524T000000Z */
#define EX_HOST "examplebucket.s3.amazonaws.com"
#define EX_SCOPE "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"

static const sigv4_cred_t ex_cred = {"AKIAIOSFODNN7EXAMPLE",
                                     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};

/* Checks that the Authorization value of `req` is the expected one. */
static void
check_auth(const sigv4_request_t *req, const char *signed_headers, const char *sig)
{
    char auth[512], want[512];
    int n;

    snprintf(want, sizeof(want),
             "AWS4-HMAC-SHA256 Credential=" EX_SCOPE ",SignedHeaders=%s,Signature=%s",
             signed_headers, sig);
    n = sigv4_authorization(&ex_cred, EX_TIME, req, auth, sizeof(auth));
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(auth, want);
}

static void
test_sigv4__example1_get_range(void **state)
{
    const sigv4_pair_t h[] = {
        {"Host", EX_HOST},
        {"x-amz-date", "20130524T000000Z"},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
    };
    sigv4_request_t req = {"GET", "/test.txt", NULL, 0, h, 4, SIGV4_EMPTY_SHA256};
    char canon[1024], sts[512];

    (void)state;
    assert_true(sigv4_canonical_request(&req, canon, sizeof(canon)) > 0);
    assert_string_equal(canon, "GET\n/test.txt\n\n"
                               "host:" EX_HOST "\n"
                               "range:bytes=0-9\n"
                               "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\n"
                               "x-amz-date:20130524T000000Z\n"
                               "\n"
                               "host;range;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256);
    assert_true(sigv4_string_to_sign(&ex_cred, "20130524T000000Z", canon, sts, sizeof(sts)) > 0);
    assert_string_equal(sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n"
                             "20130524/us-east-1/s3/aws4_request\n"
                             "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    check_auth(&req, "host;range;x-amz-content-sha256;x-amz-date",
               "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void
test_sigv4__example2_put_object(void **state)
{
    static const char body[] = "Welcome to Amazon S3.";
    char hash[SIGV4_HEX_SIZE];
    sigv4_pair_t h[] = {
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-content-sha256", hash},
        {"Host", EX_HOST},
        {"x-amz-date", "20130524T000000Z"},
    };
    sigv4_request_t req = {"PUT", "/test$file.text", NULL, 0, h, 5, hash};
    char canon[1024];

    (void)state;
    sigv4_sha256_hex(body, strlen(body), hash);
    assert_string_equal(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    assert_true(sigv4_canonical_request(&req, canon, sizeof(canon)) > 0);
    assert_string_equal(canon, "PUT\n/test%24file.text\n\n"
                               "date:Fri, 24 May 2013 00:00:00 GMT\n"
                               "host:" EX_HOST "\n"
                               "x-amz-content-sha256:"
                               "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
                               "x-amz-date:20130524T000000Z\n"
                               "x-amz-storage-class:REDUCED_REDUNDANCY\n"
                               "\n"
                               "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
                               "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    check_auth(&req, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
               "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

static void
test_sigv4__example3_get_lifecycle(void **state)
{
    const sigv4_pair_t q[] = {{"lifecycle", NULL}};
    const sigv4_pair_t h[] = {
        {"host", EX_HOST},
        {"x-amz-date", "20130524T000000Z"},
        {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
    };
    sigv4_request_t req = {"GET", "/", q, 1, h, 3, SIGV4_EMPTY_SHA256};
    char canon[1024];

    (void)state;
    assert_true(sigv4_canonical_request(&req, canon, sizeof(canon)) > 0);
    assert_non_null(strstr(canon, "GET\n/\nlifecycle=\nhost:"));
    check_auth(&req, "host;x-amz-content-sha256;x-amz-date",
               "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void
test_sigv4__example4_list_objects(void **state)
{
    /* Given out of order: the signer sorts them. */
    const sigv4_pair_t q[] = {{"prefix", "J"}, {"max-keys", "2"}};
    const sigv4_pair_t h[] = {
        {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
        {"host", EX_HOST},
        {"x-amz-date", "20130524T000000Z"},
    };
    sigv4_request_t req = {"GET", "/", q, 2, h, 3, SIGV4_EMPTY_SHA256};
    char canon[1024];

    (void)state;
    assert_true(sigv4_canonical_request(&req, canon, sizeof(canon)) > 0);
    assert_non_null(strstr(canon, "GET\n/\nmax-keys=2&prefix=J\nhost:"));
    check_auth(&req, "host;x-amz-content-sha256;x-amz-date",
               "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void
test_sigv4__example5_presigned_url(void **state)
{
    char url[1024];
    int n;

    (void)state;
    n = sigv4_presign_url(&ex_cred, EX_TIME, 86400, "GET", "https://" EX_HOST, EX_HOST, "/test.txt",
                          url, sizeof(url));
    assert_string_equal(
        url, "https://examplebucket.s3.amazonaws.com/test.txt"
             "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
             "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
             "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
             "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    assert_int_equal(n, (int)strlen(url));
    /* One byte short of the URL and its NUL is refused, not truncated. */
    assert_int_equal(sigv4_presign_url(&ex_cred, EX_TIME, 86400, "GET", "https://" EX_HOST, EX_HOST,
                                       "/test.txt", url, (size_t)n),
                     GW_EINVALID);
    assert_string_equal(url, "");
}

static void
test_sigv4__presign_expires_range(void **state)
{
    char url[1024];

    (void)state;
    assert_int_equal(sigv4_presign_url(&ex_cred, EX_TIME, 0, "GET", "https://" EX_HOST, EX_HOST,
                                       "/a", url, sizeof(url)),
                     GW_EINVALID);
    assert_int_equal(sigv4_presign_url(&ex_cred, EX_TIME, 604801, "GET", "https://" EX_HOST,
                                       EX_HOST, "/a", url, sizeof(url)),
                     GW_EINVALID);
    assert_true(sigv4_presign_url(&ex_cred, EX_TIME, 604800, "GET", "https://" EX_HOST, EX_HOST,
                                  "/a", url, sizeof(url)) > 0);
}

static void
check_encode(const char *in, int keep_slash, const char *want)
{
    char out[256];

    assert_int_equal(sigv4_uri_encode(in, keep_slash, out, sizeof(out)), (int)strlen(want));
    assert_string_equal(out, want);
}

static void
test_sigv4__uri_encode_odd_keys(void **state)
{
    (void)state;
    check_encode("test$file.text", 1, "test%24file.text");
    check_encode("/a b+c/d~e_f.g-h", 1, "/a%20b%2Bc/d~e_f.g-h");
    check_encode("/a b+c/d", 0, "%2Fa%20b%2Bc%2Fd");
    check_encode("!*'();:@&=$,?#[]%", 1, "%21%2A%27%28%29%3B%3A%40%26%3D%24%2C%3F%23%5B%5D%25");
    check_encode("\xe6\x97\xa5\xe6\x9c\xac", 1, "%E6%97%A5%E6%9C%AC");
    check_encode("//x/./y/../z//", 1, "//x/./y/../z//");
    check_encode("sha256:0a1b\t\x7f", 1, "sha256%3A0a1b%09%7F");
    check_encode("", 1, "");
}

static void
test_sigv4__canonical_uri_of_odd_key(void **state)
{
    const sigv4_pair_t h[] = {{"host", "127.0.0.1:7480"}};
    sigv4_request_t req = {
        "HEAD", "/berth/blobs/a b/c+d/\xc3\xa9:e", NULL, 0, h, 1, SIGV4_EMPTY_SHA256};
    char canon[512];

    (void)state;
    assert_true(sigv4_canonical_request(&req, canon, sizeof(canon)) > 0);
    assert_string_equal(canon, "HEAD\n/berth/blobs/a%20b/c%2Bd/%C3%A9%3Ae\n\n"
                               "host:127.0.0.1:7480\n\nhost\n" SIGV4_EMPTY_SHA256);
}

static void
test_sigv4__query_sorted_by_encoded_name(void **state)
{
    /* '~' (0x7e) sorts after '%' once the 0xc3 byte is encoded; 'Z' before 'a'. */
    const sigv4_pair_t q[] = {
        {"uploadId", "2~a/b=c"},
        {"partNumber", "10"},
        {"a", "z"},
        {"Z", NULL},
        {"a", "y"},
        {"k~", "1"},
        {"k\xc3", "2"},
    };
    char out[256];

    (void)state;
    assert_true(sigv4_canonical_query(q, 7, out, sizeof(out)) > 0);
    assert_string_equal(out, "Z=&a=y&a=z&k%C3=2&k~=1&partNumber=10&uploadId=2~a%2Fb%3Dc");
    assert_int_equal(sigv4_canonical_query(q, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

static void
test_sigv4__header_values_trimmed(void **state)
{
    const sigv4_pair_t h[] = {
        {"X-Amz-Meta-Note", "  a   b \t c  "},
        {"HOST", "h"},
    };
    sigv4_request_t req = {"GET", "/", NULL, 0, h, 2, SIGV4_UNSIGNED_PAYLOAD};
    char canon[512];

    (void)state;
    assert_true(sigv4_canonical_request(&req, canon, sizeof(canon)) > 0);
    assert_string_equal(canon, "GET\n/\n\nhost:h\nx-amz-meta-note:a b c\n\n"
                               "host;x-amz-meta-note\nUNSIGNED-PAYLOAD");
}

static void
test_sigv4__small_buffers_refused(void **state)
{
    const sigv4_pair_t h[] = {{"host", EX_HOST}};
    sigv4_request_t req = {"GET", "/test.txt", NULL, 0, h, 1, SIGV4_EMPTY_SHA256};
    char out[32];

    (void)state;
    assert_int_equal(sigv4_uri_encode("abc", 1, out, 3), GW_EINVALID);
    assert_int_equal(sigv4_uri_encode("abc", 1, out, 4), 3);
    assert_int_equal(sigv4_uri_encode(" ", 1, out, 3), GW_EINVALID);
    assert_int_equal(sigv4_uri_encode("abc", 1, out, 0), GW_EINVALID);
    assert_int_equal(sigv4_canonical_request(&req, out, sizeof(out)), GW_EINVALID);
    assert_int_equal(sigv4_authorization(&ex_cred, EX_TIME, &req, out, sizeof(out)), GW_EINVALID);
}

static void
test_sigv4__sha256_and_date(void **state)
{
    char hex[SIGV4_HEX_SIZE], date[SIGV4_DATE_SIZE];

    (void)state;
    sigv4_sha256_hex(NULL, 0, hex);
    assert_string_equal(hex, SIGV4_EMPTY_SHA256);
    assert_int_equal(sigv4_format_date(EX_TIME, date), 0);
    assert_string_equal(date, "20130524T000000Z");
    assert_int_equal(sigv4_format_date((time_t)0, date), 0);
    assert_string_equal(date, "19700101T000000Z");
}

static void
test_sigv4__signing_key_depends_on_scope(void **state)
{
    sigv4_cred_t other = ex_cred;
    unsigned char a[SIGV4_KEY_LEN], b[SIGV4_KEY_LEN];

    (void)state;
    other.region = "eu-west-1";
    sigv4_signing_key(&ex_cred, "20130524T000000Z", a);
    sigv4_signing_key(&ex_cred, "20130524T235959Z", b);
    assert_memory_equal(a, b, sizeof(a)); /* only the day is in the key */
    sigv4_signing_key(&other, "20130524T000000Z", b);
    assert_memory_not_equal(a, b, sizeof(a));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigv4__example1_get_range),
        cmocka_unit_test(test_sigv4__example2_put_object),
        cmocka_unit_test(test_sigv4__example3_get_lifecycle),
        cmocka_unit_test(test_sigv4__example4_list_objects),
        cmocka_unit_test(test_sigv4__example5_presigned_url),
        cmocka_unit_test(test_sigv4__presign_expires_range),
        cmocka_unit_test(test_sigv4__uri_encode_odd_keys),
        cmocka_unit_test(test_sigv4__canonical_uri_of_odd_key),
        cmocka_unit_test(test_sigv4__query_sorted_by_encoded_name),
        cmocka_unit_test(test_sigv4__header_values_trimmed),
        cmocka_unit_test(test_sigv4__small_buffers_refused),
        cmocka_unit_test(test_sigv4__sha256_and_date),
        cmocka_unit_test(test_sigv4__signing_key_depends_on_scope),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
