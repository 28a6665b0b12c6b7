/* SPDX-License-Identifier: Apache-2.0 */
/* api.c - the management API; placeholder until it lands. */
#include "handlers.h"

void
api_handle(http_req_t *req)
{
    http_fail(req, GW_ENOTFOUND, 404, OCI_UNSUPPORTED, "no such endpoint");
}
