/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ref.h - parsing of untrusted request parts: repository names, tags,
 * references, the /v2/ URL path, Content-Range and Range headers.
 *
 * Pure functions: no allocation, no I/O. Each has a fuzz target.
 */
#ifndef BERTH_REF_H
#define BERTH_REF_H

#include <stddef.h>
#include <stdint.h>

/* Longest repository name accepted (the spec advises clients to stay under 255
 * characters for host + name). */
#define REF_NAME_MAX 255
#define REF_TAG_MAX 128

/**
 * True when `s` (length `len`, not NUL-terminated necessarily) is a valid
 * repository name: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 * and at most REF_NAME_MAX bytes. Note "_" and "__" separate, "___" does not.
 */
int ref_name_valid(const char *s, size_t len);

/** True when `s` is a valid tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. */
int ref_tag_valid(const char *s, size_t len);

/** What a /v2/ path addresses. */
typedef enum ref_route {
    REF_ROUTE_INVALID = 0, /* under /v2/ but not a known shape: 404 */
    REF_ROUTE_BASE,        /* /v2/ */
    REF_ROUTE_CATALOG,     /* /v2/_catalog */
    REF_ROUTE_TAGS,        /* /v2/<name>/tags/list */
    REF_ROUTE_MANIFEST,    /* /v2/<name>/manifests/<reference> */
    REF_ROUTE_BLOB,        /* /v2/<name>/blobs/<digest> */
    REF_ROUTE_UPLOADS,     /* /v2/<name>/blobs/uploads/ (trailing slash optional) */
    REF_ROUTE_UPLOAD,      /* /v2/<name>/blobs/uploads/<uuid> */
    REF_ROUTE_REFERRERS,   /* /v2/<name>/referrers/<digest> */
} ref_route_t;

typedef struct ref_path {
    ref_route_t route;
    char name[REF_NAME_MAX + 1]; /* repository name, NUL-terminated */
    char arg[160];               /* reference, digest or upload id; "" when none */
    int name_ok;                 /* 1 when name matched the name grammar */
} ref_path_t;

/**
 * Splits a URL path (no query string) that starts with "/v2/" into its route.
 * The name is everything between "/v2/" and the last "/blobs/", "/manifests/",
 * "/tags/list", "/referrers/" marker; name_ok says if it is valid (the caller
 * answers NAME_INVALID otherwise). The argument is copied unvalidated except
 * for length (too long: REF_ROUTE_INVALID). A name longer than REF_NAME_MAX
 * keeps its route, is truncated in `name` and has name_ok 0. Returns the route.
 */
ref_route_t ref_parse_path(const char *path, ref_path_t *out);

/**
 * Parses a chunk's Content-Range: "<start>-<end>" (inclusive, as the OCI spec
 * writes it), also accepting the RFC 9110 form "bytes <start>-<end>/<total|*>".
 * Returns 0 and sets start/end, or -1 when malformed or end < start.
 * Numbers are plain digits up to 2^63 - 1; anything else is malformed.
 */
int ref_parse_content_range(const char *s, uint64_t *start, uint64_t *end);

/**
 * Parses a single-range Range header "bytes=a-b", "bytes=a-" or "bytes=-n"
 * against an object of `size` bytes; sets *off and *len of the satisfiable
 * range. Returns 0, -1 when malformed or multi-range (the caller ignores the
 * header), or -2 when unsatisfiable (416).
 */
int ref_parse_range(const char *s, uint64_t size, uint64_t *off, uint64_t *len);

/**
 * Takes the next "key=value" pair of an application/x-www-form-urlencoded
 * string (RFC 1866 / WHATWG URL "form-urlencoded"): *cursor points into a
 * writable, NUL-terminated buffer and advances past the pair; key and value
 * are cut out in place and decoded ('+' is a space, %XX a byte; "%00" is
 * kept literally so no value is cut short). Pairs without '=' are skipped.
 * Returns 1 with *key and *value set, or 0 at the end.
 */
int ref_form_next(char **cursor, char **key, char **value);

/** The value of hex digit `c` (either case), or -1. */
int ref_hex_value(char c);

#endif
