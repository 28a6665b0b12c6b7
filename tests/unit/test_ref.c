/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ref.c - unit tests for ref.c: name and tag grammar, /v2/ path
 * routes, Content-Range and Range parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ref.h"

#define DGST "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int name_ok(const char *s);
static void check_path(const char *path, ref_route_t route, const char *name, const char *arg,
                       int ok);
static void check_crange(const char *s, int rc, uint64_t start, uint64_t end);
static void check_range(const char *s, uint64_t size, int rc, uint64_t off, uint64_t len);

static int
name_ok(const char *s)
{
    return ref_name_valid(s, strlen(s));
}

static void
check_path(const char *path, ref_route_t route, const char *name, const char *arg, int ok)
{
    ref_path_t p;
    ref_route_t got;

    memset(&p, 0x5a, sizeof(p));
    got = ref_parse_path(path, &p);
    if (got != route || p.route != route)
        fail_msg("%s: route %d, want %d", path, (int)got, (int)route);
    if (route == REF_ROUTE_INVALID)
        return;
    if (strcmp(p.name, name) != 0 || strcmp(p.arg, arg) != 0 || p.name_ok != ok)
        fail_msg("%s: name \"%s\" arg \"%s\" ok %d, want \"%s\" \"%s\" %d", path, p.name, p.arg,
                 p.name_ok, name, arg, ok);
}

static void
check_crange(const char *s, int rc, uint64_t start, uint64_t end)
{
    uint64_t a = 77, b = 77;
    int got = ref_parse_content_range(s, &a, &b);

    s = s != NULL ? s : "(null)";
    if (got != rc)
        fail_msg("Content-Range \"%s\": rc %d, want %d", s, got, rc);
    if (rc == 0 && (a != start || b != end))
        fail_msg("Content-Range \"%s\": %llu-%llu", s, (unsigned long long)a,
                 (unsigned long long)b);
    if (rc != 0 && (a != 77 || b != 77))
        fail_msg("Content-Range \"%s\": outputs written on failure", s);
}

static void
check_range(const char *s, uint64_t size, int rc, uint64_t off, uint64_t len)
{
    uint64_t o = 77, l = 77;
    int got = ref_parse_range(s, size, &o, &l);

    s = s != NULL ? s : "(null)";
    if (got != rc)
        fail_msg("Range \"%s\" size %llu: rc %d, want %d", s, (unsigned long long)size, got, rc);
    if (rc == 0 && (o != off || l != len))
        fail_msg("Range \"%s\" size %llu: off %llu len %llu", s, (unsigned long long)size,
                 (unsigned long long)o, (unsigned long long)l);
    if (rc != 0 && (o != 77 || l != 77))
        fail_msg("Range \"%s\": outputs written on failure", s);
}

static void
test_ref__name_valid(void **state)
{
    static const char *const good[] = {
        "a",     "0",   "library/ubuntu", "a__b",    "a_b",   "a--b",   "a-b",
        "a---b", "a.b", "a.b-c_d__e",     "a/b/c/d", "a0/b1", "x/y--z", "blobs/manifests",
    };
    char buf[REF_NAME_MAX + 2];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!name_ok(good[i]))
            fail_msg("refused name \"%s\"", good[i]);
    }
    /* Only `len` bytes count: no NUL terminator is needed. */
    assert_true(ref_name_valid("abc/", 3));
    memset(buf, 'a', sizeof(buf));
    buf[100] = '/';
    assert_true(ref_name_valid(buf, REF_NAME_MAX));
    assert_false(ref_name_valid(buf, REF_NAME_MAX + 1));
}

static void
test_ref__name_invalid(void **state)
{
    static const char *const bad[] = {
        "",    "-a",   "a-",    "_a",   "a_",   ".a",       "a.",   "a/",   "/a",  "a//b",
        "A",   "aB",   "a___b", "a..b", "a._b", "a_.b",     "a-_b", "a_-b", "a b", "a:b",
        "a@b", "a/-b", "a/b.",  "a\tb", "a+b",  "\xc3\xa9", "..",   ".",    "/",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (name_ok(bad[i]))
            fail_msg("accepted name \"%s\"", bad[i]);
    }
    assert_false(ref_name_valid("a\0b", 3));
    assert_false(ref_name_valid(NULL, 0));
}

static void
test_ref__tag(void **state)
{
    static const char *const good[] = {
        "latest", "v1.0.0", "_x", "1", "A", "a-b_c.D", "sha256-abc.sig", "x..", "x--",
    };
    static const char *const bad[] = {
        "", ".x", "-x", "a/b", "a:b", "a+b", "a b", "a@b", "\xc3\xa9",
    };
    char buf[REF_TAG_MAX + 2];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!ref_tag_valid(good[i], strlen(good[i])))
            fail_msg("refused tag \"%s\"", good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ref_tag_valid(bad[i], strlen(bad[i])))
            fail_msg("accepted tag \"%s\"", bad[i]);
    }
    memset(buf, 'a', sizeof(buf));
    assert_true(ref_tag_valid(buf, REF_TAG_MAX));
    assert_false(ref_tag_valid(buf, REF_TAG_MAX + 1));
}

static void
test_ref__path_base_and_catalog(void **state)
{
    (void)state;
    check_path("/v2/", REF_ROUTE_BASE, "", "", 0);
    check_path("/v2", REF_ROUTE_BASE, "", "", 0);
    check_path("/v2/_catalog", REF_ROUTE_CATALOG, "", "", 0);
    check_path("/v2/_catalog/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2x", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v1/", REF_ROUTE_INVALID, "", "", 0);
    check_path("", REF_ROUTE_INVALID, "", "", 0);
    check_path("/", REF_ROUTE_INVALID, "", "", 0);
    check_path("v2/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/b", REF_ROUTE_INVALID, "", "", 0);
}

static void
test_ref__path_manifest_blob_referrers(void **state)
{
    (void)state;
    check_path("/v2/library/ubuntu/manifests/latest", REF_ROUTE_MANIFEST, "library/ubuntu",
               "latest", 1);
    check_path("/v2/a/manifests/" DGST, REF_ROUTE_MANIFEST, "a", DGST, 1);
    check_path("/v2/a/blobs/" DGST, REF_ROUTE_BLOB, "a", DGST, 1);
    check_path("/v2/a/referrers/" DGST, REF_ROUTE_REFERRERS, "a", DGST, 1);
    /* Names containing marker words: the last marker wins. */
    check_path("/v2/a/blobs/b/blobs/" DGST, REF_ROUTE_BLOB, "a/blobs/b", DGST, 1);
    check_path("/v2/manifests/manifests/x", REF_ROUTE_MANIFEST, "manifests", "x", 1);
    check_path("/v2/a/manifests/b/blobs/x", REF_ROUTE_BLOB, "a/manifests/b", "x", 1);
    check_path("/v2/a/blobs/b/manifests/x", REF_ROUTE_MANIFEST, "a/blobs/b", "x", 1);
    check_path("/v2/a/referrers/b/referrers/x", REF_ROUTE_REFERRERS, "a/referrers/b", "x", 1);
    check_path("/v2/a/tags/list/manifests/x", REF_ROUTE_MANIFEST, "a/tags/list", "x", 1);
    /* An invalid name still routes; name_ok tells the caller. */
    check_path("/v2/A/manifests/latest", REF_ROUTE_MANIFEST, "A", "latest", 0);
    check_path("/v2/a//b/blobs/x", REF_ROUTE_BLOB, "a//b", "x", 0);
    /* Arguments are copied unvalidated. */
    check_path("/v2/a/manifests/..", REF_ROUTE_MANIFEST, "a", "..", 1);
    /* Missing name, empty or extra argument. */
    check_path("/v2/manifests/latest", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2//manifests/latest", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/manifests/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/blobs/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/referrers/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/manifests/latest/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/manifest/latest", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/blobs", REF_ROUTE_INVALID, "", "", 0);
}

static void
test_ref__path_uploads(void **state)
{
    (void)state;
    check_path("/v2/a/blobs/uploads/", REF_ROUTE_UPLOADS, "a", "", 1);
    check_path("/v2/a/blobs/uploads", REF_ROUTE_UPLOADS, "a", "", 1);
    check_path("/v2/a/b/blobs/uploads/3f2c-11", REF_ROUTE_UPLOAD, "a/b", "3f2c-11", 1);
    check_path("/v2/a/blobs/b/blobs/uploads/", REF_ROUTE_UPLOADS, "a/blobs/b", "", 1);
    check_path("/v2/a/blobs/uploads/blobs/uploads/x", REF_ROUTE_UPLOAD, "a/blobs/uploads", "x", 1);
    check_path("/v2/a/blobs/uploads/uploads", REF_ROUTE_UPLOAD, "a", "uploads", 1);
    /* A name ending in "uploads" fetching a blob. */
    check_path("/v2/uploads/blobs/x", REF_ROUTE_BLOB, "uploads", "x", 1);
    check_path("/v2/a/blobs/uploads/x/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/blobs/uploads/x/y", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/blobs/uploads/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2//blobs/uploads", REF_ROUTE_INVALID, "", "", 0);
}

static void
test_ref__path_tags(void **state)
{
    (void)state;
    check_path("/v2/library/ubuntu/tags/list", REF_ROUTE_TAGS, "library/ubuntu", "", 1);
    check_path("/v2/a/tags/list/tags/list", REF_ROUTE_TAGS, "a/tags/list", "", 1);
    check_path("/v2/tags/list", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/tags/list/", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/tags/lis", REF_ROUTE_INVALID, "", "", 0);
    check_path("/v2/a/tags/", REF_ROUTE_INVALID, "", "", 0);
}

static void
test_ref__path_lengths(void **state)
{
    char path[1024], want[REF_NAME_MAX + 1];
    ref_path_t p;
    size_t o;

    (void)state;
    /* Longest name: accepted whole. */
    o = (size_t)snprintf(path, sizeof(path), "/v2/");
    memset(path + o, 'a', REF_NAME_MAX);
    o += REF_NAME_MAX;
    snprintf(path + o, sizeof(path) - o, "/manifests/latest");
    assert_int_equal(ref_parse_path(path, &p), REF_ROUTE_MANIFEST);
    assert_int_equal(p.name_ok, 1);
    assert_int_equal(strlen(p.name), REF_NAME_MAX);
    /* One more: routed, flagged invalid, kept truncated. */
    o = (size_t)snprintf(path, sizeof(path), "/v2/");
    memset(path + o, 'a', REF_NAME_MAX + 1);
    o += REF_NAME_MAX + 1;
    snprintf(path + o, sizeof(path) - o, "/manifests/latest");
    assert_int_equal(ref_parse_path(path, &p), REF_ROUTE_MANIFEST);
    assert_int_equal(p.name_ok, 0);
    memset(want, 'a', REF_NAME_MAX);
    want[REF_NAME_MAX] = '\0';
    assert_string_equal(p.name, want);
    /* An argument of 159 bytes fits, 160 does not. */
    o = (size_t)snprintf(path, sizeof(path), "/v2/a/manifests/");
    memset(path + o, 'x', sizeof(p.arg) - 1);
    path[o + sizeof(p.arg) - 1] = '\0';
    assert_int_equal(ref_parse_path(path, &p), REF_ROUTE_MANIFEST);
    assert_int_equal(strlen(p.arg), sizeof(p.arg) - 1);
    path[o + sizeof(p.arg) - 1] = 'x';
    path[o + sizeof(p.arg)] = '\0';
    assert_int_equal(ref_parse_path(path, &p), REF_ROUTE_INVALID);
}

static void
test_ref__content_range(void **state)
{
    (void)state;
    check_crange("0-9", 0, 0, 9);
    check_crange("0-0", 0, 0, 0);
    check_crange("10-19", 0, 10, 19);
    check_crange("007-8", 0, 7, 8);
    check_crange("bytes 0-9/10", 0, 0, 9);
    check_crange("bytes 0-9/*", 0, 0, 9);
    check_crange("Bytes 5-9/100", 0, 5, 9);
    check_crange("9223372036854775806-9223372036854775807", 0, 9223372036854775806ULL,
                 9223372036854775807ULL);

    check_crange("9-0", -1, 0, 0);
    check_crange("-1", -1, 0, 0);
    check_crange("1-", -1, 0, 0);
    check_crange("a-b", -1, 0, 0);
    check_crange("", -1, 0, 0);
    check_crange("-", -1, 0, 0);
    check_crange("0-9 ", -1, 0, 0);
    check_crange(" 0-9", -1, 0, 0);
    check_crange("0 -9", -1, 0, 0);
    check_crange("+0-9", -1, 0, 0);
    check_crange("0-+9", -1, 0, 0);
    check_crange("0--9", -1, 0, 0);
    check_crange("0-9-10", -1, 0, 0);
    check_crange("0x0-0x9", -1, 0, 0);
    check_crange("bytes 0-9", -1, 0, 0);
    check_crange("bytes 0-9/", -1, 0, 0);
    check_crange("bytes 0-9/9", -1, 0, 0);
    check_crange("bytes 0-9/10x", -1, 0, 0);
    check_crange("bytes 0-9/*x", -1, 0, 0);
    check_crange("bytes */10", -1, 0, 0);
    check_crange("bytes=0-9", -1, 0, 0);
    check_crange("bytes  0-9/10", -1, 0, 0);
    check_crange("0-9/10", -1, 0, 0);
    /* Overflow: 2^63 and beyond, and 2^64 wrapping to a small number. */
    check_crange("0-9223372036854775808", -1, 0, 0);
    check_crange("9223372036854775808-9223372036854775809", -1, 0, 0);
    check_crange("0-18446744073709551616", -1, 0, 0);
    check_crange("0-18446744073709551625", -1, 0, 0);
    check_crange("0-99999999999999999999999999999999", -1, 0, 0);
    check_crange(NULL, -1, 0, 0);
}

static void
test_ref__range(void **state)
{
    (void)state;
    check_range("bytes=0-9", 100, 0, 0, 10);
    check_range("bytes=10-19", 100, 0, 10, 10);
    check_range("bytes=90-200", 100, 0, 90, 10);
    check_range("bytes=99-99", 100, 0, 99, 1);
    check_range("bytes=50-", 100, 0, 50, 50);
    check_range("bytes=0-", 100, 0, 0, 100);
    check_range("BYTES=0-0", 100, 0, 0, 1);
    check_range("bytes=0-9223372036854775807", 100, 0, 0, 100);
    /* Suffix ranges: the last n bytes, all of them when n is larger. */
    check_range("bytes=-10", 100, 0, 90, 10);
    check_range("bytes=-100", 100, 0, 0, 100);
    check_range("bytes=-1000", 100, 0, 0, 100);
    check_range("bytes=-1", 1, 0, 0, 1);

    /* Unsatisfiable (416): first-pos at or past the end, zero suffix. */
    check_range("bytes=100-", 100, -2, 0, 0);
    check_range("bytes=100-200", 100, -2, 0, 0);
    check_range("bytes=0-", 0, -2, 0, 0);
    check_range("bytes=0-0", 0, -2, 0, 0);
    check_range("bytes=-0", 100, -2, 0, 0);
    /* A suffix of an empty body: no 206 possible, so ignored. */
    check_range("bytes=-5", 0, -1, 0, 0);

    /* Malformed or multi-range: the header is ignored. */
    check_range("bytes=9-0", 100, -1, 0, 0);
    check_range("bytes=0-9,20-29", 100, -1, 0, 0);
    check_range("bytes=0-9, 20-29", 100, -1, 0, 0);
    check_range("bytes=", 100, -1, 0, 0);
    check_range("bytes=-", 100, -1, 0, 0);
    check_range("bytes=a-b", 100, -1, 0, 0);
    check_range("bytes=--1", 100, -1, 0, 0);
    check_range("bytes=+1-2", 100, -1, 0, 0);
    check_range("bytes= 0-9", 100, -1, 0, 0);
    check_range("bytes=0-9 ", 100, -1, 0, 0);
    check_range("bytes 0-9", 100, -1, 0, 0);
    check_range("items=0-9", 100, -1, 0, 0);
    check_range("0-9", 100, -1, 0, 0);
    check_range("", 100, -1, 0, 0);
    check_range("bytes=0-9223372036854775808", 100, -1, 0, 0);
    check_range("bytes=18446744073709551616-", 100, -1, 0, 0);
    check_range("bytes=-18446744073709551617", 100, -1, 0, 0);
    check_range(NULL, 100, -1, 0, 0);
}

static void
test_ref__form(void **state)
{
    char buf[] = "grant_type=password&username=a%2Fb+c&bad&password=p%25w%00x&=e&scope=";
    char *cursor = buf, *k, *v;

    (void)state;
    assert_true(ref_form_next(&cursor, &k, &v));
    assert_string_equal(k, "grant_type");
    assert_string_equal(v, "password");
    assert_true(ref_form_next(&cursor, &k, &v));
    assert_string_equal(k, "username");
    assert_string_equal(v, "a/b c");
    /* "bad" has no '=' and is skipped; %00 stays literal */
    assert_true(ref_form_next(&cursor, &k, &v));
    assert_string_equal(k, "password");
    assert_string_equal(v, "p%w%00x");
    assert_true(ref_form_next(&cursor, &k, &v));
    assert_string_equal(k, "");
    assert_string_equal(v, "e");
    assert_true(ref_form_next(&cursor, &k, &v));
    assert_string_equal(k, "scope");
    assert_string_equal(v, "");
    assert_false(ref_form_next(&cursor, &k, &v));
    assert_false(ref_form_next(&cursor, &k, &v));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref__name_valid),
        cmocka_unit_test(test_ref__name_invalid),
        cmocka_unit_test(test_ref__tag),
        cmocka_unit_test(test_ref__path_base_and_catalog),
        cmocka_unit_test(test_ref__path_manifest_blob_referrers),
        cmocka_unit_test(test_ref__path_uploads),
        cmocka_unit_test(test_ref__path_tags),
        cmocka_unit_test(test_ref__path_lengths),
        cmocka_unit_test(test_ref__content_range),
        cmocka_unit_test(test_ref__range),
        cmocka_unit_test(test_ref__form),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
