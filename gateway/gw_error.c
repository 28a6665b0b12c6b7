/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gw_error.c - filling the per-request error record (see gw_error.h).
 */
#include <stdio.h>
#include <string.h>

#include "gw_error.h"

static const char *const code_names[] = {
    [OCI_NONE] = "",
    [OCI_BLOB_UNKNOWN] = "BLOB_UNKNOWN",
    [OCI_BLOB_UPLOAD_INVALID] = "BLOB_UPLOAD_INVALID",
    [OCI_BLOB_UPLOAD_UNKNOWN] = "BLOB_UPLOAD_UNKNOWN",
    [OCI_DIGEST_INVALID] = "DIGEST_INVALID",
    [OCI_MANIFEST_BLOB_UNKNOWN] = "MANIFEST_BLOB_UNKNOWN",
    [OCI_MANIFEST_INVALID] = "MANIFEST_INVALID",
    [OCI_MANIFEST_UNKNOWN] = "MANIFEST_UNKNOWN",
    [OCI_NAME_INVALID] = "NAME_INVALID",
    [OCI_NAME_UNKNOWN] = "NAME_UNKNOWN",
    [OCI_SIZE_INVALID] = "SIZE_INVALID",
    [OCI_UNAUTHORIZED] = "UNAUTHORIZED",
    [OCI_DENIED] = "DENIED",
    [OCI_UNSUPPORTED] = "UNSUPPORTED",
    [OCI_TOOMANYREQUESTS] = "TOOMANYREQUESTS",
    [OCI_RANGE_INVALID] = "RANGE_INVALID",
    [OCI_PAGINATION_NUMBER_INVALID] = "PAGINATION_NUMBER_INVALID",
    [OCI_INTERNAL] = "INTERNAL_ERROR",
};

void
gw_error_clear(gw_error_t *e)
{
    memset(e, 0, sizeof(*e));
}

int
gw_error_set(gw_error_t *e, int rc, int status, oci_code_t code, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL || e->status != 0)
        return rc;
    e->status = status;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return rc;
}

int
gw_error_internal(gw_error_t *e, int rc, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL || e->status != 0)
        return rc;
    /* A dependency that is down is 503 so load balancers and clients retry. */
    e->status = rc == GW_EUNAVAILABLE ? 503 : 500;
    e->code = OCI_INTERNAL;
    snprintf(e->message, sizeof(e->message), "%s",
             rc == GW_EUNAVAILABLE ? "storage temporarily unavailable" : "internal error");
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
    return rc;
}

const char *
gw_oci_code_name(oci_code_t code)
{
    if ((unsigned)code >= sizeof(code_names) / sizeof(code_names[0]))
        return "UNKNOWN";
    return code_names[code];
}
