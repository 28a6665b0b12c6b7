/* SPDX-License-Identifier: Apache-2.0 */
/*
 * handlers.h - the OCI Distribution API handlers, one module each:
 * blob.c (blob_), upload.c (upload_), manifest.c (manifest_),
 * listing.c (listing_: tags, catalog, referrers).
 *
 * Each is called by route_begin with req->ref parsed and the repository name
 * validated; each either answers at once or installs on_body/on_end.
 */
#ifndef BERTH_HANDLERS_H
#define BERTH_HANDLERS_H

#include "http.h"

/** HEAD/GET/DELETE /v2/<name>/blobs/<digest>. */
void blob_handle(http_req_t *req);

/** POST /v2/<name>/blobs/uploads/ (plain, ?digest=, ?mount=&from=). */
void upload_handle_post(http_req_t *req);

/** GET/PATCH/PUT/DELETE /v2/<name>/blobs/uploads/<id>. */
void upload_handle(http_req_t *req);

/** GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>. */
void manifest_handle(http_req_t *req);

/** GET /v2/<name>/tags/list. */
void listing_tags(http_req_t *req);

/** GET /v2/_catalog. */
void listing_catalog(http_req_t *req);

/** GET /v2/<name>/referrers/<digest>. */
void listing_referrers(http_req_t *req);

/** The management API under /api/v1/ (api.c). */
void api_handle(http_req_t *req);

#endif
