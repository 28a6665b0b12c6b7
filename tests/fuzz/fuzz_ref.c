/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ref.c - libFuzzer target for every parser in ref.h.
 *
 * Besides looking for crashes, it checks each result against an independent
 * oracle: POSIX regexes of the distribution-spec grammars for names and
 * tags, and the invariants of the path, Content-Range and Range results.
 * Run it with tests/fuzz/run.
 */
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_grammar(const char *s, size_t len);
static void check_path(const char *s);
static void check_ranges(const char *s, const uint8_t *data, size_t size);
static void check_form(const char *s, size_t size);

/* The form splitter: every key and value lies inside the buffer, and
 * decoding never lengthens anything. */
static void
check_form(const char *s, size_t size)
{
    char *buf = strdup(s);
    char *cursor = buf, *key, *value;
    size_t n = strlen(s);

    (void)size;
    if (buf == NULL)
        abort();
    while (ref_form_next(&cursor, &key, &value)) {
        if (key < buf || value < buf || key > buf + n || value > buf + n || strlen(key) > n ||
            strlen(value) > n)
            abort();
    }
    free(buf);
}

/* The grammars as the distribution-spec writes them ("Pulling manifests"). */
static const char name_re[] =
    "^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$";
static const char tag_re[] = "^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$";

static regex_t name_rx, tag_rx;
static int rx_ready;

static void
check_grammar(const char *s, size_t len)
{
    int want;

    if (!rx_ready) {
        if (regcomp(&name_rx, name_re, REG_EXTENDED | REG_NOSUB) != 0 ||
            regcomp(&tag_rx, tag_re, REG_EXTENDED | REG_NOSUB) != 0)
            abort();
        rx_ready = 1;
    }
    /* Bytes after an embedded NUL are invisible to regexec; skip those. */
    if (memchr(s, '\0', len) != NULL)
        return;
    want = len <= REF_NAME_MAX && regexec(&name_rx, s, 0, NULL, 0) == 0;
    if (ref_name_valid(s, len) != want)
        abort();
    want = regexec(&tag_rx, s, 0, NULL, 0) == 0;
    if (ref_tag_valid(s, len) != want)
        abort();
}

static void
check_path(const char *s)
{
    ref_path_t p;
    ref_route_t r = ref_parse_path(s, &p);
    size_t nlen, alen;

    if (r != p.route || (unsigned)r > REF_ROUTE_REFERRERS)
        abort();
    nlen = strnlen(p.name, sizeof(p.name));
    alen = strnlen(p.arg, sizeof(p.arg));
    if (nlen == sizeof(p.name) || alen == sizeof(p.arg))
        abort();
    switch (r) {
    case REF_ROUTE_INVALID:
    case REF_ROUTE_BASE:
    case REF_ROUTE_CATALOG:
        if (nlen != 0 || alen != 0 || p.name_ok)
            abort();
        break;
    case REF_ROUTE_TAGS:
    case REF_ROUTE_UPLOADS:
        if (nlen == 0 || alen != 0)
            abort();
        break;
    case REF_ROUTE_MANIFEST:
    case REF_ROUTE_BLOB:
    case REF_ROUTE_UPLOAD:
    case REF_ROUTE_REFERRERS:
        if (nlen == 0 || alen == 0 || memchr(p.arg, '/', alen) != NULL)
            abort();
        break;
    }
    /* A name that fits is reported valid exactly when the grammar says so. */
    if (p.name_ok && (nlen == 0 || !ref_name_valid(p.name, nlen)))
        abort();
    if (r != REF_ROUTE_INVALID && nlen > 0 && nlen < REF_NAME_MAX &&
        p.name_ok != ref_name_valid(p.name, nlen))
        abort();
    /* The name and argument come from the path, in order. */
    if (nlen > 0 && strncmp(s + 4, p.name, nlen) != 0)
        abort();
    if (alen > 0 && strcmp(s + strlen(s) - alen, p.arg) != 0)
        abort();
}

static void
check_ranges(const char *s, const uint8_t *data, size_t size)
{
    uint64_t a, b, objsize = 0;
    int rc;

    if (ref_parse_content_range(s, &a, &b) == 0 && (a > b || b > INT64_MAX))
        abort();
    /* The object size comes from the input's first bytes. */
    for (size_t i = 0; i < size && i < 8; i++)
        objsize = objsize << 8 | data[i];
    if (size > 0 && (data[0] & 0x80) != 0)
        objsize = objsize % 4096;
    rc = ref_parse_range(s, objsize, &a, &b);
    if (rc != 0 && rc != -1 && rc != -2)
        abort();
    if (rc == 0 && (b == 0 || a >= objsize || b > objsize - a))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw, *str;

    /*
     * `raw` has no terminator so ASan catches any read past `size` in the
     * length-based functions; the string parsers get a NUL-terminated copy.
     */
    raw = malloc(size > 0 ? size : 1);
    str = malloc(size + 1);
    if (raw == NULL || str == NULL)
        abort();
    memcpy(raw, data, size);
    memcpy(str, data, size);
    str[size] = '\0';

    ref_name_valid(raw, size);
    ref_tag_valid(raw, size);
    if (size <= 4096)
        check_grammar(str, size);
    check_path(str);
    check_ranges(str, data, size);
    check_form(str, size);

    free(str);
    free(raw);
    return 0;
}
