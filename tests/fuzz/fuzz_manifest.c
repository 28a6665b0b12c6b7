/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_manifest.c - libFuzzer target for manifest_parse.
 *
 * The first byte picks the Content-Type sent with the rest of the input (none,
 * generic, each known type, one with parameters); as there are 8, the seeds'
 * ASCII digits '0'..'7' pick them in table order. A parse that succeeds must
 * give a consistent result: a known media type, valid digests within the
 * reference limit, annotations that are JSON text. A failure must be
 * GW_EINVALID with 400 MANIFEST_INVALID. manifest_info_free runs either way,
 * so leaks show up. Run it with tests/fuzz/run.
 *
 * FUZZ-LINK: gateway/manifest_parse.c gateway/digest.c gateway/gw_error.c -ljansson -lcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ok(const manifest_info_t *m);

static const char *const content_types[] = {
    NULL,
    "application/json",
    MANIFEST_OCI,
    MANIFEST_OCI_INDEX,
    MANIFEST_DOCKER,
    MANIFEST_DOCKER_LIST,
    MANIFEST_OCI "; charset=utf-8",
    "",
};

#define NTYPES (sizeof(content_types) / sizeof(content_types[0]))

static void
check_ok(const manifest_info_t *m)
{
    int index;

    if (m->root == NULL || m->media_type == NULL)
        abort();
    index = strcmp(m->media_type, MANIFEST_OCI_INDEX) == 0 ||
            strcmp(m->media_type, MANIFEST_DOCKER_LIST) == 0;
    if (!index && strcmp(m->media_type, MANIFEST_OCI) != 0 &&
        strcmp(m->media_type, MANIFEST_DOCKER) != 0)
        abort();
    if (m->is_index != index)
        abort();
    if (index && (m->nblobs != 0 || m->children == NULL || m->nchildren < 0 ||
                  m->nchildren > MANIFEST_MAX_REFS))
        abort();
    if (!index && (m->nchildren != 0 || m->blobs == NULL || m->nblobs < 1 ||
                   m->nblobs > MANIFEST_MAX_REFS || m->artifact_type == NULL))
        abort();
    for (int i = 0; i < m->nblobs; i++) {
        if (digest_parse(m->blobs[i], NULL) != GW_OK)
            abort();
    }
    for (int i = 0; i < m->nchildren; i++) {
        if (digest_parse(m->children[i], NULL) != GW_OK)
            abort();
    }
    if (m->subject[0] != '\0' && digest_parse(m->subject, NULL) != GW_OK)
        abort();
    if (m->annotations != NULL && m->annotations[0] != '{')
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    manifest_info_t m;
    gw_error_t err;
    const char *ct;
    char *body;
    int rc;

    if (size == 0)
        return 0;
    ct = content_types[data[0] % NTYPES];
    /* An exact-size copy, so a read past the end trips ASan. */
    body = malloc(size - 1 > 0 ? size - 1 : 1);
    if (body == NULL)
        abort();
    memcpy(body, data + 1, size - 1);
    gw_error_clear(&err);
    memset(&m, 0xa5, sizeof(m));
    rc = manifest_parse(body, size - 1, ct, &m, &err);
    if (rc == GW_OK) {
        if (err.status != 0)
            abort();
        check_ok(&m);
    } else if (rc == GW_EINVALID) {
        if (err.status != 400 || err.code != OCI_MANIFEST_INVALID || err.message[0] == '\0')
            abort();
    } else if (rc != GW_ERR) { /* GW_ERR: out of memory */
        abort();
    }
    manifest_info_free(&m);
    free(body);
    return 0;
}
