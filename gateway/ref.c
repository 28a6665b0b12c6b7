/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ref.c - parsers of untrusted request parts (see ref.h): repository names
 * and tags, the /v2/ path, Content-Range and Range.
 *
 * Everything here is written by hand over explicit lengths, without regex or
 * strto*, so that no input can read past its end or overflow a number. Each
 * function has a libFuzzer target in tests/fuzz/fuzz_ref.c.
 */
#include <string.h>

#include "ref.h"

/*
 * Largest byte position or length accepted: INT64_MAX, so every value fits
 * PostgreSQL's bigint and off_t. Anything larger is refused as malformed.
 */
#define REF_NUM_MAX 0x7fffffffffffffffULL

static int is_lower_alnum(char c);
static int name_component_valid(const char *s, size_t len);
static int has_suffix(const char *s, size_t len, const char *suffix);
static int copy_str(char *dst, size_t size, const char *src, size_t len);
static size_t parse_num(const char *s, uint64_t *out);
static int prefix_nocase(const char *s, const char *prefix);

static int
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * One path component of a name: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
 * (distribution-spec "Pulling manifests", the <name> grammar). A separator
 * is a maximal run of non-alphanumerics between two alphanumerics, and must
 * be exactly ".", "_", "__", or one or more "-".
 */
static int
name_component_valid(const char *s, size_t len)
{
    size_t i = 0;

    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return 0;
    while (i < len) {
        size_t run = 0;
        char c = s[i];

        if (is_lower_alnum(c)) {
            i++;
            continue;
        }
        while (i + run < len && !is_lower_alnum(s[i + run]))
            run++;
        /* The first and last bytes are alphanumeric, so the run is inner. */
        for (size_t k = 0; k < run; k++) {
            if (s[i + k] != c)
                return 0;
        }
        if (c == '.' && run != 1)
            return 0;
        if (c == '_' && run > 2)
            return 0;
        if (c != '.' && c != '_' && c != '-')
            return 0;
        i += run;
    }
    return 1;
}

int
ref_name_valid(const char *s, size_t len)
{
    size_t start = 0;

    if (s == NULL || len == 0 || len > REF_NAME_MAX)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '/') {
            if (!name_component_valid(s + start, i - start))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

int
ref_tag_valid(const char *s, size_t len)
{
    /* distribution-spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
    if (s == NULL || len == 0 || len > REF_TAG_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || (i > 0 && (c == '.' || c == '-'));

        if (!ok)
            return 0;
    }
    return 1;
}

static int
has_suffix(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Copies len bytes and a NUL into dst; returns 0 when they do not fit. */
static int
copy_str(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size)
        return 0;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 1;
}

ref_route_t
ref_parse_path(const char *path, ref_path_t *out)
{
    const char *rest, *arg;
    size_t len, namelen, arglen;
    ref_route_t route = REF_ROUTE_INVALID;

    memset(out, 0, sizeof(*out));
    if (path == NULL || strncmp(path, "/v2", 3) != 0)
        return REF_ROUTE_INVALID;
    if (strcmp(path, "/v2") == 0 || strcmp(path, "/v2/") == 0) {
        out->route = REF_ROUTE_BASE;
        return out->route;
    }
    if (path[3] != '/')
        return REF_ROUTE_INVALID;
    rest = path + 4;
    if (strcmp(rest, "_catalog") == 0) {
        out->route = REF_ROUTE_CATALOG;
        return out->route;
    }
    len = strlen(rest);

    /*
     * A name may itself contain "blobs", "manifests", "tags" or "referrers"
     * components, while references, digests and upload ids never contain
     * '/'. So the route is decided by the end of the path: the argument is
     * the last segment and the marker is the segment before it, which is
     * the last marker in the path. The upload shapes are tried first because
     * "<name>/blobs/uploads" would otherwise read as a blob named "uploads".
     */
    if (has_suffix(rest, len, "/tags/list")) {
        route = REF_ROUTE_TAGS;
        namelen = len - strlen("/tags/list");
        arg = rest + len;
    } else if (has_suffix(rest, len, "/blobs/uploads")) {
        route = REF_ROUTE_UPLOADS;
        namelen = len - strlen("/blobs/uploads");
        arg = rest + len;
    } else {
        size_t plen = len;

        while (plen > 0 && rest[plen - 1] != '/')
            plen--;
        if (plen == 0)
            return REF_ROUTE_INVALID;
        arg = rest + plen;
        plen--;
        if (has_suffix(rest, plen, "/blobs/uploads")) {
            route = *arg == '\0' ? REF_ROUTE_UPLOADS : REF_ROUTE_UPLOAD;
            namelen = plen - strlen("/blobs/uploads");
        } else if (has_suffix(rest, plen, "/blobs")) {
            route = REF_ROUTE_BLOB;
            namelen = plen - strlen("/blobs");
        } else if (has_suffix(rest, plen, "/manifests")) {
            route = REF_ROUTE_MANIFEST;
            namelen = plen - strlen("/manifests");
        } else if (has_suffix(rest, plen, "/referrers")) {
            route = REF_ROUTE_REFERRERS;
            namelen = plen - strlen("/referrers");
        } else {
            return REF_ROUTE_INVALID;
        }
        /* An empty reference or digest names nothing. */
        if (*arg == '\0' && route != REF_ROUTE_UPLOADS)
            return REF_ROUTE_INVALID;
    }
    arglen = len - (size_t)(arg - rest);
    /* No name at all ("/v2/manifests/x", "/v2//blobs/x") is not a route. */
    if (namelen == 0 || !copy_str(out->arg, sizeof(out->arg), arg, arglen))
        return REF_ROUTE_INVALID;
    out->name_ok = ref_name_valid(rest, namelen);
    /*
     * A name too long for the buffer is kept truncated (for the log) and
     * flagged invalid: the answer is NAME_INVALID, not 404.
     */
    if (namelen > REF_NAME_MAX)
        namelen = REF_NAME_MAX;
    memcpy(out->name, rest, namelen);
    out->name[namelen] = '\0';
    out->route = route;
    return route;
}

/*
 * Parses 1*DIGIT at s into *out; returns the number of digits read, or 0
 * when there is no digit or the value exceeds REF_NUM_MAX. Leading '+', '-'
 * or spaces are not digits, so they are refused by construction. Leading
 * zeros are allowed (RFC 9110 section 14.1.1: first-pos = 1*DIGIT).
 */
static size_t
parse_num(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;

    while (s[i] >= '0' && s[i] <= '9') {
        uint64_t d = (uint64_t)(s[i] - '0');

        if (v > (REF_NUM_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
        i++;
    }
    if (i > 0)
        *out = v;
    return i;
}

/* Case-insensitive ASCII prefix test; range units are case-insensitive. */
static int
prefix_nocase(const char *s, const char *prefix)
{
    size_t i;

    for (i = 0; prefix[i] != '\0'; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != prefix[i])
            return 0;
    }
    return 1;
}

int
ref_parse_content_range(const char *s, uint64_t *start, uint64_t *end)
{
    uint64_t a, b, total;
    int rfc = 0;
    size_t n;

    if (s == NULL)
        return -1;
    /*
     * The distribution-spec writes a chunk's range as "<start>-<end>"
     * without a unit ("Pushing a blob in chunks"); RFC 9110 section 14.4
     * writes "bytes <first>-<last>/<complete-length or *>". Accept both.
     */
    if (prefix_nocase(s, "bytes ")) {
        s += 6;
        rfc = 1;
    }
    if ((n = parse_num(s, &a)) == 0 || s[n] != '-')
        return -1;
    s += n + 1;
    if ((n = parse_num(s, &b)) == 0)
        return -1;
    s += n;
    if (rfc) {
        if (*s++ != '/')
            return -1;
        if (*s == '*') {
            s++;
        } else {
            if ((n = parse_num(s, &total)) == 0)
                return -1;
            /* RFC 9110 section 14.4: last-pos must be below the length. */
            if (b >= total)
                return -1;
            s += n;
        }
    }
    if (*s != '\0' || b < a)
        return -1;
    *start = a;
    *end = b;
    return 0;
}

int
ref_parse_range(const char *s, uint64_t size, uint64_t *off, uint64_t *len)
{
    uint64_t a = 0, b = 0;
    size_t n;

    if (s == NULL || !prefix_nocase(s, "bytes="))
        return -1;
    s += 6;
    /*
     * RFC 9110 section 14.1.2. A range-set with more than one range (a
     * comma) is "malformed" for us: the caller ignores the header and sends
     * the whole representation, which section 14.2 allows.
     */
    if (*s == '-') {
        /* suffix-range: the last b bytes. */
        if ((n = parse_num(s + 1, &b)) == 0 || s[1 + n] != '\0')
            return -1;
        /* Section 14.1.1: a zero suffix-length is unsatisfiable. */
        if (b == 0)
            return -2;
        /*
         * A suffix of an empty representation is satisfiable by the RFC but
         * has no bytes to describe in a 206; answering with the whole (empty)
         * body is the useful result, so treat it like an ignored header.
         */
        if (size == 0)
            return -1;
        *len = b < size ? b : size;
        *off = size - *len;
        return 0;
    }
    if ((n = parse_num(s, &a)) == 0 || s[n] != '-')
        return -1;
    s += n + 1;
    if (*s == '\0') {
        b = REF_NUM_MAX;
    } else {
        if ((n = parse_num(s, &b)) == 0 || s[n] != '\0')
            return -1;
        /* Section 14.1.1: last-pos below first-pos makes the spec invalid. */
        if (b < a)
            return -1;
    }
    /* Satisfiable only when first-pos is inside the representation. */
    if (a >= size)
        return -2;
    if (b > size - 1)
        b = size - 1;
    *off = a;
    *len = b - a + 1;
    return 0;
}

int
ref_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes form-urlencoded text in place; "%00" stays literal. */
static void
form_decode(char *s)
{
    char *o = s;

    for (; *s; s++) {
        int hi, lo;
        if (*s == '+') {
            *o++ = ' ';
        } else if (*s == '%' && (hi = ref_hex_value(s[1])) >= 0 &&
                   (lo = ref_hex_value(s[2])) >= 0 && (hi | lo) != 0) {
            *o++ = (char)(hi * 16 + lo);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

int
ref_form_next(char **cursor, char **key, char **value)
{
    while (*cursor != NULL && **cursor != '\0') {
        char *pair = *cursor;
        char *amp = strchr(pair, '&');
        char *eq;

        *cursor = amp != NULL ? amp + 1 : pair + strlen(pair);
        if (amp != NULL)
            *amp = '\0';
        eq = strchr(pair, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        form_decode(pair);
        form_decode(eq + 1);
        *key = pair;
        *value = eq + 1;
        return 1;
    }
    return 0;
}
