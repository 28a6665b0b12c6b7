/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route.h - maps a request's method and path to its handler.
 */
#ifndef BERTH_ROUTE_H
#define BERTH_ROUTE_H

#include "http.h"

/**
 * The begin step of every request: parses the path (ref_parse_path),
 * validates the repository name, and hands the request to its handler, which
 * answers at once or installs on_body/on_end. Unknown paths get 404, known
 * paths with an unsupported method 405 UNSUPPORTED.
 */
void route_begin(http_req_t *req);

#endif
