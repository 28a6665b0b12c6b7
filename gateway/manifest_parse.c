/* SPDX-License-Identifier: Apache-2.0 */
/*
 * manifest_parse.c - manifest and index validation (see manifest.h).
 *
 * What is checked follows the OCI image-spec (manifest.md, image-index.md,
 * descriptor.md) and distribution-spec "Pushing Manifests": a JSON object of
 * schemaVersion 2 and a known media type, whose descriptors each carry a
 * mediaType, a valid digest and a non-negative size. Whether the referenced
 * blobs exist is the store's question, not this module's.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

static const char *const known_types[] = {MANIFEST_OCI, MANIFEST_OCI_INDEX, MANIFEST_DOCKER,
                                          MANIFEST_DOCKER_LIST};

static int
invalid(gw_error_t *err, const char *what)
{
    return gw_error_set(err, GW_EINVALID, 400, OCI_MANIFEST_INVALID, "%s", what);
}

/* The canonical constant for a media type, ignoring parameters after ';'. */
static const char *
known_type(const char *s)
{
    size_t n;

    if (s == NULL)
        return NULL;
    n = strcspn(s, "; \t");
    for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++) {
        if (strlen(known_types[i]) == n && strncmp(s, known_types[i], n) == 0)
            return known_types[i];
    }
    return NULL;
}

/* Checks one descriptor; returns its digest or NULL. */
static const char *
descriptor(json_t *d)
{
    json_t *digest = json_object_get(d, "digest");
    json_t *size = json_object_get(d, "size");
    digest_algo_t algo;

    if (!json_is_object(d) || !json_is_string(json_object_get(d, "mediaType")) ||
        !json_is_string(digest) || !json_is_integer(size) || json_integer_value(size) < 0 ||
        digest_parse(json_string_value(digest), &algo) != GW_OK) {
        return NULL;
    }
    return json_string_value(digest);
}

/* Foreign (non-distributable) layers carry urls and live elsewhere. */
static int
is_foreign(json_t *d)
{
    json_t *urls = json_object_get(d, "urls");

    return json_is_array(urls) && json_array_size(urls) > 0;
}

static int
collect(json_t *arr, const char ***out, int *n, int skip_foreign, gw_error_t *err)
{
    size_t i;
    json_t *d;

    if (json_array_size(arr) + (size_t)*n > MANIFEST_MAX_REFS)
        return invalid(err, "too many descriptors");
    json_array_foreach(arr, i, d)
    {
        const char *digest = descriptor(d);
        if (digest == NULL)
            return invalid(err, "invalid descriptor");
        if (skip_foreign && is_foreign(d))
            continue;
        (*out)[(*n)++] = digest;
    }
    return GW_OK;
}

static int
parse_image(json_t *root, manifest_info_t *m, gw_error_t *err)
{
    json_t *config = json_object_get(root, "config");
    json_t *layers = json_object_get(root, "layers");
    json_t *at = json_object_get(root, "artifactType");

    if (descriptor(config) == NULL)
        return invalid(err, "config descriptor missing or invalid");
    if (layers != NULL && !json_is_array(layers))
        return invalid(err, "layers must be an array");
    if (json_array_size(layers) + 1 > MANIFEST_MAX_REFS)
        return invalid(err, "too many descriptors");
    m->blobs = calloc(json_array_size(layers) + 1, sizeof(*m->blobs));
    if (m->blobs == NULL)
        return gw_error_internal(err, GW_ERR, "out of memory");
    m->blobs[m->nblobs++] = descriptor(config);
    if (layers != NULL && collect(layers, &m->blobs, &m->nblobs, 1, err) != GW_OK)
        return GW_EINVALID;
    /* Referrers API: artifactType, else the config's media type. */
    if (at != NULL && !json_is_string(at))
        return invalid(err, "artifactType must be a string");
    m->artifact_type = at != NULL ? json_string_value(at)
                                  : json_string_value(json_object_get(config, "mediaType"));
    return GW_OK;
}

static int
parse_index(json_t *root, manifest_info_t *m, gw_error_t *err)
{
    json_t *list = json_object_get(root, "manifests");
    json_t *at = json_object_get(root, "artifactType");

    if (!json_is_array(list))
        return invalid(err, "manifests must be an array");
    if (json_array_size(list) > MANIFEST_MAX_REFS)
        return invalid(err, "too many descriptors");
    m->children = calloc(json_array_size(list) + 1, sizeof(*m->children));
    if (m->children == NULL)
        return gw_error_internal(err, GW_ERR, "out of memory");
    if (collect(list, &m->children, &m->nchildren, 0, err) != GW_OK)
        return GW_EINVALID;
    if (at != NULL && !json_is_string(at))
        return invalid(err, "artifactType must be a string");
    m->artifact_type = json_string_value(at);
    return GW_OK;
}

/* Settles the media type from the body's field, the header, or the shape. */
static int
settle_type(json_t *root, const char *content_type, manifest_info_t *m, gw_error_t *err)
{
    json_t *field = json_object_get(root, "mediaType");
    const char *header = known_type(content_type);

    if (field != NULL) {
        if (!json_is_string(field) ||
            (m->media_type = known_type(json_string_value(field))) == NULL) {
            return invalid(err, "unknown manifest media type");
        }
        if (header != NULL && strcmp(header, m->media_type) != 0)
            return invalid(err, "Content-Type does not match the manifest's mediaType");
    } else if (header != NULL) {
        m->media_type = header;
    } else if (json_is_array(json_object_get(root, "manifests"))) {
        m->media_type = MANIFEST_OCI_INDEX;
    } else if (json_is_object(json_object_get(root, "config"))) {
        m->media_type = MANIFEST_OCI;
    } else {
        return invalid(err, "unknown manifest media type");
    }
    m->is_index = strcmp(m->media_type, MANIFEST_OCI_INDEX) == 0 ||
                  strcmp(m->media_type, MANIFEST_DOCKER_LIST) == 0;
    return GW_OK;
}

static int
parse_common(json_t *root, manifest_info_t *m, gw_error_t *err)
{
    json_t *subject = json_object_get(root, "subject");
    json_t *ann = json_object_get(root, "annotations");
    const char *sd;

    if (subject != NULL) {
        if ((sd = descriptor(subject)) == NULL)
            return invalid(err, "invalid subject descriptor");
        snprintf(m->subject, sizeof(m->subject), "%s", sd);
    }
    if (ann != NULL) {
        const char *k;
        json_t *v;
        if (!json_is_object(ann))
            return invalid(err, "annotations must be an object");
        json_object_foreach(ann, k, v)
        {
            if (!json_is_string(v))
                return invalid(err, "annotation values must be strings");
        }
        m->annotations = json_dumps(ann, JSON_COMPACT | JSON_SORT_KEYS);
        if (m->annotations == NULL)
            return gw_error_internal(err, GW_ERR, "out of memory");
    }
    return GW_OK;
}

int
manifest_parse(const char *body, size_t len, const char *content_type, manifest_info_t *out,
               gw_error_t *err)
{
    json_error_t jerr;
    json_t *root, *sv;
    int rc;

    memset(out, 0, sizeof(*out));
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    out->root = root;
    if (!json_is_object(root))
        return invalid(err, root == NULL ? "manifest is not valid JSON" : "not a JSON object");
    sv = json_object_get(root, "schemaVersion");
    if (!json_is_integer(sv) || json_integer_value(sv) != 2)
        return invalid(err, "schemaVersion must be 2");
    rc = settle_type(root, content_type, out, err);
    if (rc == GW_OK)
        rc = out->is_index ? parse_index(root, out, err) : parse_image(root, out, err);
    if (rc == GW_OK)
        rc = parse_common(root, out, err);
    return rc;
}

void
manifest_info_free(manifest_info_t *m)
{
    json_decref(m->root);
    free(m->annotations);
    free(m->blobs);
    free(m->children);
    memset(m, 0, sizeof(*m));
}
