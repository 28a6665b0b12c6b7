/* SPDX-License-Identifier: Apache-2.0 */
/*
 * manifest.h - parsing and validating manifests and indexes (over jansson).
 *
 * Pure: no I/O. Recognises the OCI image manifest and index, and Docker's
 * schema 2 manifest and manifest list, including OCI artifacts
 * (artifactType, the empty config) and the subject field.
 */
#ifndef BERTH_MANIFEST_H
#define BERTH_MANIFEST_H

#include <stddef.h>

#include "digest.h"
#include "gw_error.h"

#define MANIFEST_OCI "application/vnd.oci.image.manifest.v1+json"
#define MANIFEST_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MANIFEST_DOCKER "application/vnd.docker.distribution.manifest.v2+json"
#define MANIFEST_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* Most descriptors one manifest may list; bounds the work one PUT causes. */
#define MANIFEST_MAX_REFS 10000

typedef struct manifest_info {
    void *root;             /* the parsed document (json_t); owned */
    const char *media_type; /* one of the MANIFEST_* constants */
    int is_index;
    const char *artifact_type;    /* artifactType, else config.mediaType; NULL */
    char subject[DIGEST_STR_MAX]; /* "" when none */
    char *annotations;            /* top-level annotations as JSON; malloc'd; NULL */
    const char **blobs;           /* config + layer digests (not foreign layers); malloc'd */
    int nblobs;
    const char **children; /* an index's manifest digests; malloc'd */
    int nchildren;
} manifest_info_t;

/**
 * Parses the `len` bytes of `body`, sent with Content-Type `content_type`
 * (may be NULL), into `out`. Strings in `out` borrow from out->root and live
 * until manifest_info_free. Returns GW_EINVALID with err set to
 * MANIFEST_INVALID (400) for anything malformed or of an unknown type.
 */
int manifest_parse(const char *body, size_t len, const char *content_type, manifest_info_t *out,
                   gw_error_t *err);

/** Frees what `m` owns; safe on a zeroed or partly filled struct. */
void manifest_info_free(manifest_info_t *m);

#endif
