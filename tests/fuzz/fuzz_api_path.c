/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_api_path.c - libFuzzer target for the management API's path parser
 * (api_path.h). The first byte picks the method (and whether "/api/v1/" is
 * put in front, so the fuzzer spends its time past the prefix); the rest is
 * the path. Besides crashes it checks what a parse that succeeds promises:
 * the names fit their buffers and pass the same validators as the OCI API,
 * a repository's project is its first component, a robot's account name is
 * its project's, and a failure carries a 400 or 404 with an OCI code.
 *
 * FUZZ-LINK-ADD: gateway/api_path.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_path.h"
#include "digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const http_method_t methods[] = {HTTP_GET, HTTP_HEAD, HTTP_PUT, HTTP_POST, HTTP_DELETE};

static void
check_bounded(const char *s, size_t size)
{
    if (memchr(s, '\0', size) == NULL)
        abort();
}

static int
has_project(api_kind_t k)
{
    return k == EP_PROJECT || k == EP_MEMBERS || k == EP_MEMBER || k == EP_ROBOTS ||
           k == EP_ROBOT || k == EP_PROJECT_REPOS;
}

static int
has_repo(api_kind_t k)
{
    return k == EP_REPO || k == EP_ARTIFACTS || k == EP_ARTIFACT || k == EP_TAGS || k == EP_TAG;
}

static void
check_ok(const api_path_t *p)
{
    size_t plen = strlen(p->project);
    digest_algo_t algo;

    check_bounded(p->project, sizeof(p->project));
    check_bounded(p->repo, sizeof(p->repo));
    check_bounded(p->arg, sizeof(p->arg));
    if (p->kind == EP_NONE)
        abort();
    if (has_project(p->kind) && !api_path_component_valid(p->project))
        abort();
    if (has_repo(p->kind)) {
        if (!ref_name_valid(p->repo, strlen(p->repo)))
            abort();
        if (strncmp(p->repo, p->project, plen) != 0 ||
            (p->repo[plen] != '\0' && p->repo[plen] != '/'))
            abort();
    }
    if (p->kind == EP_TAG && !ref_tag_valid(p->arg, strlen(p->arg)))
        abort();
    if (p->kind == EP_ARTIFACT && digest_parse(p->arg, &algo) != GW_OK)
        abort();
    if (p->kind == EP_ROBOT &&
        (strncmp(p->arg, "robot$", 6) != 0 || strncmp(p->arg + 6, p->project, plen) != 0 ||
         p->arg[6 + plen] != '+'))
        abort();
    if ((p->kind == EP_MEMBER || p->kind == EP_USER_PASSWORD) && p->arg[0] == '\0')
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[3 * API_PATH_MAX];
    api_path_t out;
    gw_error_t err;
    size_t off = 0;
    int rc;

    if (size < 1)
        return 0;
    if (data[0] & 0x80) {
        memcpy(path, API_PREFIX "/", sizeof(API_PREFIX));
        off = sizeof(API_PREFIX);
    }
    if (size - 1 > sizeof(path) - off - 1)
        size = sizeof(path) - off;
    memcpy(path + off, data + 1, size - 1);
    path[off + size - 1] = '\0';
    memset(&out, 0, sizeof(out));
    gw_error_clear(&err);
    rc = api_path_parse(path, methods[(data[0] & 0x7f) % 5], &out, &err);
    if (rc == GW_OK)
        check_ok(&out);
    else if ((rc != GW_EINVALID || err.status != 400) && (rc != GW_ENOTFOUND || err.status != 404))
        abort();
    else if (err.code == OCI_NONE)
        abort();
    return 0;
}
