/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_manifest.c - unit tests for manifest_parse.c: OCI and Docker manifests
 * and indexes, artifacts and subjects, how the media type is settled, and
 * every way a manifest is refused as MANIFEST_INVALID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"

#define D1 "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
#define D2 "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"
#define D3 "sha256:7c3f6e8a1d2b4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
#define D4                                                                                         \
    "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"                      \
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_LAYER "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_EMPTY "application/vnd.oci.empty.v1+json"
#define DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* A descriptor as JSON text: media type, digest, size. */
#define DESC(mt, dg, sz) "{\"mediaType\":\"" mt "\",\"digest\":\"" dg "\",\"size\":" #sz "}"

/* The config + 2 layers image manifest of the first case; others vary it. */
#define OCI_IMAGE                                                                                  \
    "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI "\",\n"                                   \
    " \"config\":" DESC(OCI_CONFIG, D1,                                                            \
                        1470) ",\n"                                                                \
                              " \"layers\":[" DESC(OCI_LAYER, D2, 3370706) "," DESC(OCI_LAYER, D3, \
                                                                                    94) "]}"

/* A good image manifest without a mediaType field. */
#define BARE_IMAGE                                                                                 \
    "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 7) ",\"layers\":[" DESC(OCI_LAYER, D2, \
                                                                                    9) "]}"

/* A good index without a mediaType field. */
#define BARE_INDEX "{\"schemaVersion\":2,\"manifests\":[" DESC(MANIFEST_OCI, D1, 7) "]}"

static int parse(const char *body, const char *ct, manifest_info_t *m, gw_error_t *err);
static void parse_ok(const char *body, const char *ct, manifest_info_t *m);
static void check_invalid(const char *body, const char *ct);
static char *many_refs(int image, int n);

/*
 * Runs manifest_parse over a malloc'd copy of `body` without a terminating
 * NUL, so ASan catches any read past `len`.
 */
static int
parse(const char *body, const char *ct, manifest_info_t *m, gw_error_t *err)
{
    size_t len = strlen(body);
    char *copy = malloc(len > 0 ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, body, len);
    memset(m, 0x5a, sizeof(*m));
    gw_error_clear(err);
    rc = manifest_parse(copy, len, ct, m, err);
    free(copy);
    return rc;
}

static void
parse_ok(const char *body, const char *ct, manifest_info_t *m)
{
    gw_error_t err;
    int rc = parse(body, ct, m, &err);

    if (rc != GW_OK)
        fail_msg("rc %d (%s) for Content-Type %s:\n%s", rc, err.message, ct != NULL ? ct : "(null)",
                 body);
    assert_int_equal(err.status, 0);
    assert_non_null(m->root);
    assert_non_null(m->media_type);
}

/* Expects GW_EINVALID, 400 and MANIFEST_INVALID, then frees what was kept. */
static void
check_invalid(const char *body, const char *ct)
{
    manifest_info_t m;
    gw_error_t err;
    int rc = parse(body, ct, &m, &err);

    if (rc != GW_EINVALID || err.status != 400 || err.code != OCI_MANIFEST_INVALID)
        fail_msg("rc %d status %d code %s, want -4 400 MANIFEST_INVALID, for "
                 "Content-Type %s:\n%s",
                 rc, err.status, gw_oci_code_name(err.code), ct != NULL ? ct : "(null)", body);
    assert_true(err.message[0] != '\0');
    manifest_info_free(&m);
    assert_null(m.root);
    assert_null(m.blobs);
    assert_null(m.children);
    assert_null(m.annotations);
}

/* An image manifest with `n` layers, or an index with `n` manifests. */
static char *
many_refs(int image, int n)
{
    static const char one[] = DESC(OCI_LAYER, D2, 9) ",";
    size_t cap = (size_t)n * (sizeof(one) - 1) + 512;
    char *s = malloc(cap);
    size_t off;

    assert_non_null(s);
    if (image) {
        off = (size_t)snprintf(s, cap,
                               "{\"schemaVersion\":2,\"mediaType\":\"%s\","
                               "\"config\":%s,\"layers\":[",
                               MANIFEST_OCI, DESC(OCI_CONFIG, D1, 7));
    } else {
        off = (size_t)snprintf(s, cap,
                               "{\"schemaVersion\":2,\"mediaType\":\"%s\","
                               "\"manifests\":[",
                               MANIFEST_OCI_INDEX);
    }
    for (int i = 0; i < n; i++) {
        memcpy(s + off, one, sizeof(one) - 1);
        off += sizeof(one) - 1;
    }
    if (n > 0)
        off--; /* the last comma */
    memcpy(s + off, "]}", 3);
    return s;
}

static void
test_manifest__oci_image(void **state)
{
    manifest_info_t m;

    (void)state;
    parse_ok(OCI_IMAGE, MANIFEST_OCI, &m);
    assert_string_equal(m.media_type, MANIFEST_OCI);
    assert_int_equal(m.is_index, 0);
    assert_int_equal(m.nblobs, 3);
    assert_string_equal(m.blobs[0], D1);
    assert_string_equal(m.blobs[1], D2);
    assert_string_equal(m.blobs[2], D3);
    assert_non_null(m.artifact_type);
    assert_string_equal(m.artifact_type, OCI_CONFIG);
    assert_string_equal(m.subject, "");
    assert_null(m.annotations);
    assert_int_equal(m.nchildren, 0);
    assert_null(m.children);
    manifest_info_free(&m);
    assert_null(m.root);
    /* Freeing again, or a zeroed struct, is harmless. */
    manifest_info_free(&m);
}

static void
test_manifest__docker_v2(void **state)
{
    static const char body[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_DOCKER "\","
        "\"config\":" DESC(DOCKER_CONFIG, D3,
                           1512) ","
                                 "\"layers\":[" DESC(DOCKER_LAYER, D2,
                                                     2811478) "," DESC(DOCKER_LAYER, D1, 32) "]}";
    manifest_info_t m;

    (void)state;
    parse_ok(body, MANIFEST_DOCKER, &m);
    assert_string_equal(m.media_type, MANIFEST_DOCKER);
    assert_int_equal(m.is_index, 0);
    assert_int_equal(m.nblobs, 3);
    assert_string_equal(m.blobs[0], D3);
    assert_string_equal(m.blobs[1], D2);
    assert_string_equal(m.blobs[2], D1);
    assert_string_equal(m.artifact_type, DOCKER_CONFIG);
    assert_string_equal(m.subject, "");
    manifest_info_free(&m);
}

static void
test_manifest__oci_index(void **state)
{
    static const char body[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI_INDEX "\",\"manifests\":["
        "{\"mediaType\":\"" MANIFEST_OCI "\",\"digest\":\"" D1 "\",\"size\":7143,"
        "\"platform\":{\"architecture\":\"ppc64le\",\"os\":\"linux\"}},"
        "{\"mediaType\":\"" MANIFEST_OCI "\",\"digest\":\"" D4 "\",\"size\":7682,"
        "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}],"
        "\"annotations\":{\"com.example.key1\":\"value1\"}}";
    manifest_info_t m;

    (void)state;
    parse_ok(body, MANIFEST_OCI_INDEX, &m);
    assert_string_equal(m.media_type, MANIFEST_OCI_INDEX);
    assert_int_equal(m.is_index, 1);
    assert_int_equal(m.nchildren, 2);
    assert_string_equal(m.children[0], D1);
    assert_string_equal(m.children[1], D4);
    assert_int_equal(m.nblobs, 0);
    assert_null(m.artifact_type);
    assert_string_equal(m.annotations, "{\"com.example.key1\":\"value1\"}");
    manifest_info_free(&m);

    /* An empty index is valid. */
    parse_ok("{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI_INDEX "\",\"manifests\":[]}",
             NULL, &m);
    assert_int_equal(m.is_index, 1);
    assert_int_equal(m.nchildren, 0);
    manifest_info_free(&m);
}

static void
test_manifest__docker_list(void **state)
{
    static const char body[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_DOCKER_LIST "\",\"manifests\":["
        "{\"mediaType\":\"" MANIFEST_DOCKER "\",\"digest\":\"" D2 "\",\"size\":528,"
        "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}},"
        "{\"mediaType\":\"" MANIFEST_DOCKER "\",\"digest\":\"" D3 "\",\"size\":528,"
        "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
        "{\"mediaType\":\"" MANIFEST_DOCKER "\",\"digest\":\"" D1 "\",\"size\":529}]}";
    manifest_info_t m;

    (void)state;
    parse_ok(body, MANIFEST_DOCKER_LIST, &m);
    assert_string_equal(m.media_type, MANIFEST_DOCKER_LIST);
    assert_int_equal(m.is_index, 1);
    assert_int_equal(m.nchildren, 3);
    assert_string_equal(m.children[0], D2);
    assert_string_equal(m.children[1], D3);
    assert_string_equal(m.children[2], D1);
    assert_int_equal(m.nblobs, 0);
    manifest_info_free(&m);
}

/* OCI image-spec manifest.md "Guidelines for Artifact Usage", and the subject field. */
static void
test_manifest__artifact(void **state)
{
    static const char body[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI "\","
        "\"artifactType\":\"application/vnd.example.sbom.v1\","
        "\"config\":" DESC(OCI_EMPTY, EMPTY_DIGEST,
                           2) ","
                              "\"layers\":[" DESC(
                                  "application/spdx+json", D3,
                                  2048) "],"
                                        "\"subject\":" DESC(
                                            MANIFEST_OCI, D4,
                                            1234) ","
                                                  "\"annotations\":{\"org.opencontainers.image."
                                                  "created\":\"2023-01-02T03:04:05Z\","
                                                  "  \"com.example.b\" : \"\\u00e9 \\\"q\\\"\", "
                                                  "\"com.example.a\":\"\"}}";
    static const char index_body[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI_INDEX "\","
        "\"artifactType\":\"application/vnd.example.bundle\","
        "\"manifests\":[" DESC(MANIFEST_OCI, D1, 10) "],"
                                                     "\"subject\":" DESC(MANIFEST_OCI, D2, 11) "}";
    manifest_info_t m;

    (void)state;
    parse_ok(body, MANIFEST_OCI, &m);
    assert_int_equal(m.is_index, 0);
    assert_string_equal(m.artifact_type, "application/vnd.example.sbom.v1");
    assert_int_equal(m.nblobs, 2);
    assert_string_equal(m.blobs[0], EMPTY_DIGEST);
    assert_string_equal(m.blobs[1], D3);
    assert_string_equal(m.subject, D4);
    /* Compact, keys sorted, escapes kept (jansson writes U+00E9 as UTF-8). */
    assert_non_null(m.annotations);
    assert_string_equal(m.annotations,
                        "{\"com.example.a\":\"\",\"com.example.b\":\"\xc3\xa9 \\\"q\\\"\","
                        "\"org.opencontainers.image.created\":\"2023-01-02T03:04:05Z\"}");
    manifest_info_free(&m);

    /* The empty config without artifactType: the config's type stands in. */
    parse_ok("{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI "\","
             "\"config\":" DESC(OCI_EMPTY, EMPTY_DIGEST, 2) ",\"layers\":[]}",
             NULL, &m);
    assert_string_equal(m.artifact_type, OCI_EMPTY);
    assert_int_equal(m.nblobs, 1);
    manifest_info_free(&m);

    /* An index may be an artifact with a subject too. */
    parse_ok(index_body, MANIFEST_OCI_INDEX, &m);
    assert_string_equal(m.artifact_type, "application/vnd.example.bundle");
    assert_string_equal(m.subject, D2);
    assert_int_equal(m.nchildren, 1);
    manifest_info_free(&m);

    /* Empty annotations are kept as "{}". */
    parse_ok("{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 7) ",\"annotations\":{}}",
             NULL, &m);
    assert_string_equal(m.annotations, "{}");
    assert_int_equal(m.nblobs, 1);
    manifest_info_free(&m);
}

static void
test_manifest__type_from_header(void **state)
{
    manifest_info_t m;

    (void)state;
    parse_ok(BARE_IMAGE, MANIFEST_DOCKER, &m);
    assert_string_equal(m.media_type, MANIFEST_DOCKER);
    assert_int_equal(m.is_index, 0);
    assert_int_equal(m.nblobs, 2);
    manifest_info_free(&m);

    parse_ok(BARE_IMAGE, MANIFEST_OCI, &m);
    assert_string_equal(m.media_type, MANIFEST_OCI);
    manifest_info_free(&m);

    parse_ok(BARE_INDEX, MANIFEST_DOCKER_LIST, &m);
    assert_string_equal(m.media_type, MANIFEST_DOCKER_LIST);
    assert_int_equal(m.is_index, 1);
    assert_int_equal(m.nchildren, 1);
    assert_string_equal(m.children[0], D1);
    manifest_info_free(&m);

    /* The header wins over the shape: an index header on an image body. */
    check_invalid(BARE_IMAGE, MANIFEST_OCI_INDEX);
    check_invalid(BARE_INDEX, MANIFEST_OCI);
}

static void
test_manifest__type_from_shape(void **state)
{
    static const char *const generic[] = {NULL, "", "application/json", "application/octet-stream"};
    manifest_info_t m;

    (void)state;
    for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++) {
        parse_ok(BARE_IMAGE, generic[i], &m);
        assert_string_equal(m.media_type, MANIFEST_OCI);
        assert_int_equal(m.is_index, 0);
        assert_int_equal(m.nblobs, 2);
        assert_string_equal(m.blobs[0], D1);
        assert_string_equal(m.blobs[1], D2);
        manifest_info_free(&m);

        parse_ok(BARE_INDEX, generic[i], &m);
        assert_string_equal(m.media_type, MANIFEST_OCI_INDEX);
        assert_int_equal(m.is_index, 1);
        assert_int_equal(m.nchildren, 1);
        manifest_info_free(&m);

        /* A body mediaType with a generic header is taken as is. */
        parse_ok(OCI_IMAGE, generic[i], &m);
        assert_string_equal(m.media_type, MANIFEST_OCI);
        manifest_info_free(&m);
    }
    /* Neither a config nor manifests: nothing to infer from. */
    check_invalid("{\"schemaVersion\":2,\"layers\":[]}", "application/json");
    check_invalid("{\"schemaVersion\":2}", NULL);
    check_invalid("{\"schemaVersion\":2,\"config\":\"" D1 "\"}", NULL);
}

static void
test_manifest__content_type_parameters(void **state)
{
    manifest_info_t m;

    (void)state;
    parse_ok(OCI_IMAGE, MANIFEST_OCI "; charset=utf-8", &m);
    assert_string_equal(m.media_type, MANIFEST_OCI);
    assert_int_equal(m.nblobs, 3);
    manifest_info_free(&m);

    parse_ok(OCI_IMAGE, MANIFEST_OCI ";charset=utf-8", &m);
    assert_string_equal(m.media_type, MANIFEST_OCI);
    manifest_info_free(&m);

    parse_ok(BARE_IMAGE, MANIFEST_DOCKER "; charset=utf-8", &m);
    assert_string_equal(m.media_type, MANIFEST_DOCKER);
    manifest_info_free(&m);

    parse_ok(BARE_INDEX, MANIFEST_OCI_INDEX " ; charset=\"utf-8\"", &m);
    assert_string_equal(m.media_type, MANIFEST_OCI_INDEX);
    assert_int_equal(m.is_index, 1);
    manifest_info_free(&m);

    /* Parameters do not hide a mismatch. */
    check_invalid(OCI_IMAGE, MANIFEST_DOCKER "; charset=utf-8");
}

static void
test_manifest__foreign_layers(void **state)
{
    static const char body[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_DOCKER "\","
        "\"config\":" DESC(DOCKER_CONFIG, D1,
                           1512) ",\"layers\":["
                                 "{\"mediaType\":\"" DOCKER_FOREIGN "\",\"digest\":\"" D2
                                 "\",\"size\":1669,"
                                 "\"urls\":[\"https://mcr.microsoft.com/v2/windows/blobs/" D2
                                 "\"]}," DESC(DOCKER_LAYER, D3, 100) ","
                                                                     "{\"mediaType\":\"" OCI_LAYER
                                                                     "\",\"digest\":\"" D4
                                                                     "\",\"size\":5,\"urls\":[]}]}";
    manifest_info_t m;

    (void)state;
    parse_ok(body, MANIFEST_DOCKER, &m);
    /* The foreign layer is skipped; empty urls means it is stored here. */
    assert_int_equal(m.nblobs, 3);
    assert_string_equal(m.blobs[0], D1);
    assert_string_equal(m.blobs[1], D3);
    assert_string_equal(m.blobs[2], D4);
    manifest_info_free(&m);

    /* A foreign layer still has to be a valid descriptor. */
    check_invalid("{\"schemaVersion\":2,\"config\":" DESC(
                      OCI_CONFIG, D1, 7) ",\"layers\":["
                                         "{\"mediaType\":\"" DOCKER_FOREIGN
                                         "\",\"digest\":\"sha256:1\",\"size\":1,"
                                         "\"urls\":[\"https://example.com/x\"]}]}",
                  NULL);
}

static void
test_manifest__reject_not_json(void **state)
{
    (void)state;
    check_invalid("", NULL);
    check_invalid("{", MANIFEST_OCI);
    check_invalid("not json", NULL);
    check_invalid("{\"schemaVersion\":2,}", NULL);
    check_invalid("{'schemaVersion':2}", NULL);
    check_invalid(OCI_IMAGE "x", MANIFEST_OCI);
    check_invalid(OCI_IMAGE OCI_IMAGE, MANIFEST_OCI);
    check_invalid("\xef\xbb\xbf" OCI_IMAGE, MANIFEST_OCI);
    check_invalid("{\"schemaVersion\":2,\"mediaType\":\"\xff\"}", NULL);
}

static void
test_manifest__reject_not_object(void **state)
{
    (void)state;
    check_invalid("[]", NULL);
    check_invalid("[" OCI_IMAGE "]", MANIFEST_OCI);
    check_invalid("2", NULL);
    check_invalid("\"" MANIFEST_OCI "\"", NULL);
    check_invalid("null", NULL);
    check_invalid("true", NULL);
}

static void
test_manifest__reject_schema_version(void **state)
{
    static const char *const bad[] = {"1", "\"2\"", "2.0", "3", "0", "-2", "null", "[2]"};
    char body[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"schemaVersion\":%s,\"mediaType\":\"%s\","
                 "\"config\":%s,\"layers\":[]}",
                 bad[i], MANIFEST_OCI, DESC(OCI_CONFIG, D1, 7));
        check_invalid(body, MANIFEST_OCI);
    }
    /* Missing. */
    check_invalid("{\"mediaType\":\"" MANIFEST_OCI
                  "\",\"config\":" DESC(OCI_CONFIG, D1, 7) ",\"layers\":[]}",
                  MANIFEST_OCI);
    check_invalid("{\"mediaType\":\"" MANIFEST_OCI_INDEX "\",\"manifests\":[]}", NULL);
}

static void
test_manifest__reject_unknown_media_type(void **state)
{
    static const char *const bad[] = {
        "\"" OCI_CONFIG "\"",
        "\"application/vnd.docker.distribution.manifest.v1+json\"",
        "\"application/vnd.docker.distribution.manifest.v1+prettyjws\"",
        "\"application/json\"",
        "\"\"",
        "\"" MANIFEST_OCI "x\"",
        "\"application/vnd.oci.image.manifest.v1\"",
        "2",
        "null",
        "[\"" MANIFEST_OCI "\"]",
    };
    char body[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body), "{\"schemaVersion\":2,\"mediaType\":%s,\"config\":%s}", bad[i],
                 DESC(OCI_CONFIG, D1, 7));
        check_invalid(body, NULL);
        check_invalid(body, "application/json");
        check_invalid(body, MANIFEST_OCI);
    }
}

static void
test_manifest__reject_type_mismatch(void **state)
{
    (void)state;
    check_invalid(OCI_IMAGE, MANIFEST_DOCKER);
    check_invalid(OCI_IMAGE, MANIFEST_OCI_INDEX);
    check_invalid(OCI_IMAGE, MANIFEST_DOCKER_LIST);
    check_invalid("{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI_INDEX "\",\"manifests\":[]}",
                  MANIFEST_DOCKER_LIST);
    /* A body that claims an index but has the shape of an image. */
    check_invalid("{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI_INDEX
                  "\",\"config\":" DESC(OCI_CONFIG, D1, 7) "}",
                  NULL);
}

static void
test_manifest__reject_config_missing(void **state)
{
    static const char *const bad[] = {
        "",
        ",\"config\":null",
        ",\"config\":\"" D1 "\"",
        ",\"config\":{}",
        ",\"config\":[" DESC(OCI_CONFIG, D1, 7) "]",
    };
    char body[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"schemaVersion\":2,\"mediaType\":\"%s\"%s,"
                 "\"layers\":[%s]}",
                 MANIFEST_OCI, bad[i], DESC(OCI_LAYER, D2, 9));
        check_invalid(body, NULL);
        snprintf(body, sizeof(body),
                 "{\"schemaVersion\":2,\"mediaType\":\"%s\"%s,"
                 "\"layers\":[%s]}",
                 MANIFEST_DOCKER, bad[i], DESC(DOCKER_LAYER, D2, 9));
        check_invalid(body, MANIFEST_DOCKER);
    }
}

/* Each bad descriptor, placed as the config, a layer, an index entry and the subject. */
static void
test_manifest__reject_bad_descriptor(void **state)
{
    static const char *const bad[] = {
        /* bad digests */
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"sha256:abc\",\"size\":1}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D1 "0\",\"size\":1}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"SHA256:b5b2b2c507a0944348e0303114d8d93a"
        "aaa081732b86451d9bce1f432a537bc7\",\"size\":1}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"sha256:B5B2B2C507A0944348E0303114D8D93A"
        "AAA081732B86451D9BCE1F432A537BC7\",\"size\":1}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\","
        "\"size\":1}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"\",\"size\":1}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":7,\"size\":1}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"size\":1}",
        /* bad sizes */
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D1 "\",\"size\":-1}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D1 "\",\"size\":\"1\"}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D1 "\",\"size\":1.5}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D1 "\",\"size\":null}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D1 "\"}",
        "{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D1 "\",\"size\":99999999999999999999}",
        /* bad media types */
        "{\"digest\":\"" D1 "\",\"size\":1}",
        "{\"mediaType\":null,\"digest\":\"" D1 "\",\"size\":1}",
        "{\"mediaType\":3,\"digest\":\"" D1 "\",\"size\":1}",
        /* not an object */
        "\"" D1 "\"",
        "null",
        "[]",
    };
    char body[2048];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body), "{\"schemaVersion\":2,\"config\":%s,\"layers\":[]}", bad[i]);
        check_invalid(body, MANIFEST_OCI);
        snprintf(body, sizeof(body), "{\"schemaVersion\":2,\"config\":%s,\"layers\":[%s,%s]}",
                 DESC(OCI_CONFIG, D1, 7), DESC(OCI_LAYER, D2, 9), bad[i]);
        check_invalid(body, MANIFEST_OCI);
        snprintf(body, sizeof(body), "{\"schemaVersion\":2,\"manifests\":[%s]}", bad[i]);
        check_invalid(body, MANIFEST_OCI_INDEX);
        snprintf(body, sizeof(body), "{\"schemaVersion\":2,\"config\":%s,\"subject\":%s}",
                 DESC(OCI_CONFIG, D1, 7), bad[i]);
        check_invalid(body, NULL);
    }
    /* The limits themselves: size 0 and the largest integer are fine. */
    {
        manifest_info_t m;

        parse_ok("{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 0) ",\"layers\":[" DESC(
                     OCI_LAYER, D4, 9223372036854775807) "]}",
                 NULL, &m);
        assert_int_equal(m.nblobs, 2);
        assert_string_equal(m.blobs[1], D4);
        manifest_info_free(&m);
    }
}

static void
test_manifest__reject_layers_not_array(void **state)
{
    static const char *const bad[] = {
        "null", "{}", DESC(OCI_LAYER, D2, 9), "\"" D2 "\"", "0", "true",
    };
    static const char *const bad_list[] = {"null", "{}", DESC(MANIFEST_OCI, D2, 9), "\"\""};
    char body[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body), "{\"schemaVersion\":2,\"config\":%s,\"layers\":%s}",
                 DESC(OCI_CONFIG, D1, 7), bad[i]);
        check_invalid(body, MANIFEST_OCI);
    }
    for (size_t i = 0; i < sizeof(bad_list) / sizeof(bad_list[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"schemaVersion\":2,\"mediaType\":\"%s\","
                 "\"manifests\":%s}",
                 MANIFEST_OCI_INDEX, bad_list[i]);
        check_invalid(body, NULL);
    }
    /* An index without manifests at all. */
    check_invalid("{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI_INDEX "\"}", NULL);
}

static void
test_manifest__reject_annotations(void **state)
{
    static const char *const bad[] = {
        "{\"a\":1}",
        "{\"a\":\"x\",\"b\":null}",
        "{\"a\":{\"b\":\"c\"}}",
        "{\"a\":[\"x\"]}",
        "{\"a\":true}",
        "[]",
        "\"a=b\"",
        "null",
    };
    char body[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body), "{\"schemaVersion\":2,\"config\":%s,\"annotations\":%s}",
                 DESC(OCI_CONFIG, D1, 7), bad[i]);
        check_invalid(body, NULL);
        snprintf(body, sizeof(body),
                 "{\"schemaVersion\":2,\"manifests\":[],"
                 "\"annotations\":%s}",
                 bad[i]);
        check_invalid(body, NULL);
    }
    /* artifactType must be a string as well. */
    check_invalid("{\"schemaVersion\":2,\"artifactType\":5,\"config\":" DESC(OCI_CONFIG, D1, 7) "}",
                  NULL);
    check_invalid("{\"schemaVersion\":2,\"artifactType\":null,\"manifests\":[]}", NULL);
}

static void
test_manifest__reject_duplicate_keys(void **state)
{
    (void)state;
    check_invalid(
        "{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 7) "}", NULL);
    check_invalid("{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_OCI
                  "\",\"mediaType\":\"" MANIFEST_OCI "\",\"config\":" DESC(OCI_CONFIG, D1, 7) "}",
                  NULL);
    check_invalid("{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 7) ",\"layers\":[],"
                                                                             "\"layers\":[]}",
                  NULL);
    /* Nested: a descriptor naming two digests, an annotation set twice. */
    check_invalid("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_CONFIG "\","
                  "\"digest\":\"" D1 "\",\"digest\":\"" D2 "\",\"size\":1}}",
                  NULL);
    check_invalid("{\"schemaVersion\":2,\"config\":" DESC(
                      OCI_CONFIG, D1, 7) ","
                                         "\"annotations\":{\"a\":\"x\",\"a\":\"y\"}}",
                  NULL);
}

static void
test_manifest__reject_too_many_refs(void **state)
{
    manifest_info_t m;
    char *body;

    (void)state;
    /* Config plus MAX-1 layers is exactly the limit. */
    body = many_refs(1, MANIFEST_MAX_REFS - 1);
    parse_ok(body, MANIFEST_OCI, &m);
    assert_int_equal(m.nblobs, MANIFEST_MAX_REFS);
    assert_string_equal(m.blobs[MANIFEST_MAX_REFS - 1], D2);
    manifest_info_free(&m);
    free(body);

    body = many_refs(1, MANIFEST_MAX_REFS);
    check_invalid(body, MANIFEST_OCI);
    free(body);

    body = many_refs(1, MANIFEST_MAX_REFS + 1);
    check_invalid(body, MANIFEST_OCI);
    free(body);

    body = many_refs(0, MANIFEST_MAX_REFS);
    parse_ok(body, MANIFEST_OCI_INDEX, &m);
    assert_int_equal(m.nchildren, MANIFEST_MAX_REFS);
    manifest_info_free(&m);
    free(body);

    body = many_refs(0, MANIFEST_MAX_REFS + 1);
    check_invalid(body, MANIFEST_OCI_INDEX);
    free(body);
}

/* A failure after the blob list was built must still free cleanly. */
static void
test_manifest__late_failures_free(void **state)
{
    (void)state;
    check_invalid("{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 7) ",\"layers\":[" DESC(
                      OCI_LAYER, D2, 9) "],\"artifactType\":[]}",
                  NULL);
    check_invalid("{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, D1, 7) ",\"layers\":[" DESC(
                      OCI_LAYER, D2, 9) "],\"subject\":{}}",
                  NULL);
    check_invalid("{\"schemaVersion\":2,\"manifests\":[" DESC(
                      MANIFEST_OCI, D1, 7) "],"
                                           "\"subject\":" DESC(MANIFEST_OCI, D2,
                                                               7) ",\"annotations\":{\"k\":0}}",
                  NULL);

    /* A zeroed struct frees too. */
    {
        manifest_info_t m;

        memset(&m, 0, sizeof(m));
        manifest_info_free(&m);
        assert_null(m.root);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest__oci_image),
        cmocka_unit_test(test_manifest__docker_v2),
        cmocka_unit_test(test_manifest__oci_index),
        cmocka_unit_test(test_manifest__docker_list),
        cmocka_unit_test(test_manifest__artifact),
        cmocka_unit_test(test_manifest__type_from_header),
        cmocka_unit_test(test_manifest__type_from_shape),
        cmocka_unit_test(test_manifest__content_type_parameters),
        cmocka_unit_test(test_manifest__foreign_layers),
        cmocka_unit_test(test_manifest__reject_not_json),
        cmocka_unit_test(test_manifest__reject_not_object),
        cmocka_unit_test(test_manifest__reject_schema_version),
        cmocka_unit_test(test_manifest__reject_unknown_media_type),
        cmocka_unit_test(test_manifest__reject_type_mismatch),
        cmocka_unit_test(test_manifest__reject_config_missing),
        cmocka_unit_test(test_manifest__reject_bad_descriptor),
        cmocka_unit_test(test_manifest__reject_layers_not_array),
        cmocka_unit_test(test_manifest__reject_annotations),
        cmocka_unit_test(test_manifest__reject_duplicate_keys),
        cmocka_unit_test(test_manifest__reject_too_many_refs),
        cmocka_unit_test(test_manifest__late_failures_free),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
