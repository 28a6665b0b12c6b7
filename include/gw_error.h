/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gw_error.h - return codes and the per-request error record.
 *
 * Every function that can fail returns an int: 0 (GW_OK) or a negative gw_err_t.
 * Details go into a caller-owned gw_error_t, which is fixed-size and filled
 * without allocating. The gateway turns it into the OCI JSON error body in one
 * place (http_send_error).
 */
#ifndef BERTH_GW_ERROR_H
#define BERTH_GW_ERROR_H

#include <stdarg.h>

typedef enum gw_err {
    GW_OK = 0,
    GW_ERR = -1,          /* anything unexpected: our bug or a dependency failure */
    GW_ENOTFOUND = -2,    /* the thing asked for does not exist */
    GW_EEXISTS = -3,      /* the thing being created exists already */
    GW_EINVALID = -4,     /* the input is malformed */
    GW_EDENIED = -5,      /* not allowed */
    GW_EUNAVAILABLE = -6, /* a dependency (S3, PostgreSQL) is down or timed out */
    GW_ECONFLICT = -7,    /* concurrent modification or out-of-order request */
    GW_ETOOBIG = -8,      /* over a configured size limit */
} gw_err_t;

/* The error codes of the OCI distribution spec (section "Error Codes"). */
typedef enum oci_code {
    OCI_NONE = 0,
    OCI_BLOB_UNKNOWN,
    OCI_BLOB_UPLOAD_INVALID,
    OCI_BLOB_UPLOAD_UNKNOWN,
    OCI_DIGEST_INVALID,
    OCI_MANIFEST_BLOB_UNKNOWN,
    OCI_MANIFEST_INVALID,
    OCI_MANIFEST_UNKNOWN,
    OCI_NAME_INVALID,
    OCI_NAME_UNKNOWN,
    OCI_SIZE_INVALID,
    OCI_UNAUTHORIZED,
    OCI_DENIED,
    OCI_UNSUPPORTED,
    OCI_TOOMANYREQUESTS,
    OCI_RANGE_INVALID,             /* not in the spec's table: 416 answers */
    OCI_PAGINATION_NUMBER_INVALID, /* not in the spec's table: a bad ?n= */
    OCI_INTERNAL,                  /* 5xx: our fault or a dependency's */
} oci_code_t;

#define GW_ERROR_MSG_MAX 160
#define GW_ERROR_DETAIL_MAX 256

/*
 * What went wrong, for one request. `message` is shown to the client: short,
 * lowercase, no internals. `detail` goes only to the log.
 */
typedef struct gw_error {
    oci_code_t code;
    int status; /* HTTP status for the answer; 0 while unset */
    char message[GW_ERROR_MSG_MAX];
    char detail[GW_ERROR_DETAIL_MAX];
} gw_error_t;

/** Resets `e` to "no error". */
void gw_error_clear(gw_error_t *e);

/**
 * Records a client-visible error: HTTP `status`, OCI `code` and a printf-style
 * message. The first error recorded wins; later calls leave it unchanged so
 * the root cause reaches the client. Returns `rc` unchanged, so callers can
 * write `return gw_error_set(err, GW_EINVALID, 400, OCI_DIGEST_INVALID, "...")`.
 */
int gw_error_set(gw_error_t *e, int rc, int status, oci_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/**
 * Records an internal failure (status 500 or 503, code OCI_INTERNAL) with a
 * detail line for the log only; the client sees a generic message. Returns
 * `rc`. Like gw_error_set, the first error recorded wins.
 */
int gw_error_internal(gw_error_t *e, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** The spec's name for `code`, e.g. "BLOB_UNKNOWN". */
const char *gw_oci_code_name(oci_code_t code);

#endif
