/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cfg.c - unit tests for cfg.c: defaults, the KEY=VALUE file, the
 * environment over the file, refused values and keys, and --help text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#include <cmocka.h>

#include "cfg.h"

/* The settings whose defaults are checked here (cfg.h may list more). */
static const char *const names[] = {
    "BERTH_LISTEN",
    "BERTH_PG",
    "BERTH_PG_POOL",
    "BERTH_S3_ENDPOINT",
    "BERTH_S3_PUBLIC_ENDPOINT",
    "BERTH_S3_REGION",
    "BERTH_S3_BUCKET",
    "BERTH_S3_ACCESS_KEY",
    "BERTH_S3_SECRET_KEY",
    "BERTH_S3_PATH_STYLE",
    "BERTH_S3_CA_FILE",
    "BERTH_S3_TIMEOUT",
    "BERTH_PRESIGN_EXPIRY",
    "BERTH_BLOB_PROXY",
    "BERTH_PART_SIZE",
    "BERTH_MANIFEST_MAX",
    "BERTH_UPLOAD_TTL",
    "BERTH_GC_DELAY",
    "BERTH_WORKERS",
    "BERTH_MAX_CONNECTIONS",
    "BERTH_LOG_LEVEL",
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

/* Messages cfg_load writes, captured per call. */
typedef struct capture {
    char *text;
    size_t len;
    FILE *f;
} capture_t;

static void clear_env(void);
static char *header_names(size_t *count);
static int listed(const char *list, const char *p, size_t n);
static int setup(void **state);
static int teardown(void **state);
static FILE *capture_open(capture_t *cap);
static const char *capture_close(capture_t *cap);
static char *write_file(const char *text);
static int load(cfg_t *c, const char *file, capture_t *cap);
static void check_defaults_except(const cfg_t *c, const char *except);
static void check_rejected(const char *name, const char *value, const char *want);

/* Unsets every BERTH_* variable, so the caller's environment cannot leak in. */
static void
clear_env(void)
{
    char name[256];
    int again = 1;

    while (again) {
        again = 0;
        for (char **e = environ; *e != NULL; e++) {
            size_t n = strcspn(*e, "=");

            if (strncmp(*e, "BERTH_", 6) == 0 && n < sizeof(name)) {
                memcpy(name, *e, n);
                name[n] = '\0';
                unsetenv(name); /* changes environ: start over */
                again = 1;
                break;
            }
        }
    }
}

static int
setup(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

static FILE *
capture_open(capture_t *cap)
{
    cap->text = NULL;
    cap->len = 0;
    cap->f = open_memstream(&cap->text, &cap->len);
    assert_non_null(cap->f);
    return cap->f;
}

/* Closes the stream; the text stays valid until free(cap->text). */
static const char *
capture_close(capture_t *cap)
{
    assert_int_equal(fclose(cap->f), 0);
    cap->f = NULL;
    assert_non_null(cap->text);
    return cap->text;
}

/* Writes `text` to a new temporary file and returns its malloc'd path. */
static char *
write_file(const char *text)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    size_t len = strlen(text);
    int fd;

    assert_non_null(path);
    snprintf(path, 4096, "%s/test_cfg.XXXXXX", dir != NULL && dir[0] != '\0' ? dir : "/tmp");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return path;
}

static int
load(cfg_t *c, const char *file, capture_t *cap)
{
    memset(c, 0, sizeof(*c));
    return cfg_load(c, file, capture_open(cap));
}

/* Checks the documented defaults, skipping the setting named `except`. */
static void
check_defaults_except(const cfg_t *c, const char *except)
{
#define STR(name, field, want)                                                                     \
    do {                                                                                           \
        if (except == NULL || strcmp(except, name) != 0) {                                         \
            assert_non_null(c->field);                                                             \
            assert_string_equal(c->field, want);                                                   \
        }                                                                                          \
    } while (0)
#define NUM(name, field, want)                                                                     \
    do {                                                                                           \
        if (except == NULL || strcmp(except, name) != 0)                                           \
            assert_int_equal(c->field, want);                                                      \
    } while (0)
    STR("BERTH_LISTEN", listen, "127.0.0.1:5000");
    STR("BERTH_PG", pg, "dbname=berth");
    NUM("BERTH_PG_POOL", pg_pool, 16);
    STR("BERTH_S3_ENDPOINT", s3_endpoint, "http://127.0.0.1:7480");
    STR("BERTH_S3_PUBLIC_ENDPOINT", s3_public_endpoint, "");
    STR("BERTH_S3_REGION", s3_region, "us-east-1");
    STR("BERTH_S3_BUCKET", s3_bucket, "berth");
    STR("BERTH_S3_ACCESS_KEY", s3_access_key, "");
    STR("BERTH_S3_SECRET_KEY", s3_secret_key, "");
    NUM("BERTH_S3_PATH_STYLE", s3_path_style, 1);
    STR("BERTH_S3_CA_FILE", s3_ca_file, "");
    NUM("BERTH_S3_TIMEOUT", s3_timeout_s, 300);
    NUM("BERTH_PRESIGN_EXPIRY", presign_expiry_s, 1200);
    NUM("BERTH_BLOB_PROXY", blob_proxy, 0);
    NUM("BERTH_PART_SIZE", part_size, 8388608L);
    NUM("BERTH_MANIFEST_MAX", manifest_max, 4194304L);
    NUM("BERTH_UPLOAD_TTL", upload_ttl_s, 86400);
    NUM("BERTH_GC_DELAY", gc_delay_s, 3600);
    NUM("BERTH_WORKERS", workers, 1);
    NUM("BERTH_MAX_CONNECTIONS", max_connections, 1024);
    STR("BERTH_LOG_LEVEL", log_level, "info");
#undef STR
#undef NUM
}

/* Sets `name` to `value` in the environment and expects cfg_load to refuse it. */
static void
check_rejected(const char *name, const char *value, const char *want)
{
    capture_t cap;
    const char *msg;
    cfg_t c;
    int rc;

    assert_int_equal(setenv(name, value, 1), 0);
    rc = load(&c, NULL, &cap);
    msg = capture_close(&cap);
    if (rc != -1)
        fail_msg("%s=\"%s\" accepted (rc %d)", name, value, rc);
    if (strstr(msg, name) == NULL || strstr(msg, want) == NULL)
        fail_msg("%s=\"%s\": message \"%s\" lacks the name or \"%s\"", name, value, msg, want);
    cfg_free(&c);
    free(cap.text);
    unsetenv(name);
}

static void
test_cfg__defaults(void **state)
{
    capture_t cap;
    cfg_t c;

    (void)state;
    assert_int_equal(load(&c, NULL, &cap), 0);
    assert_string_equal(capture_close(&cap), "");
    check_defaults_except(&c, NULL);
    cfg_free(&c);
    assert_null(c.listen);
    assert_null(c.log_level);
    cfg_free(&c); /* twice is harmless */
    free(cap.text);

    /* An empty file name and an empty BERTH_CONFIG mean no file. */
    assert_int_equal(load(&c, "", &cap), 0);
    check_defaults_except(&c, NULL);
    cfg_free(&c);
    capture_close(&cap);
    free(cap.text);
    assert_int_equal(setenv("BERTH_CONFIG", "", 1), 0);
    assert_int_equal(load(&c, NULL, &cap), 0);
    check_defaults_except(&c, NULL);
    cfg_free(&c);
    capture_close(&cap);
    free(cap.text);
}

static void
test_cfg__file(void **state)
{
    static const char text[] = "# Berth settings\n"
                               "\n"
                               "BERTH_LISTEN=0.0.0.0:5001\n"
                               "#BERTH_PG_POOL=99\n"
                               "BERTH_PG=host=db.internal port=5432 dbname=berth user=berth\n"
                               "BERTH_PG_POOL=4\n"
                               "BERTH_S3_PATH_STYLE=0\n"
                               "BERTH_PART_SIZE=5242880\r\n"
                               "BERTH_MANIFEST_MAX=104857600\n"
                               "BERTH_S3_ACCESS_KEY=\n"
                               "BERTH_LOG_LEVEL=warn\n"
                               "BERTH_LOG_LEVEL=debug\n"
                               "BERTH_GC_DELAY=0";
    capture_t cap;
    char *path = write_file(text);
    cfg_t c;

    (void)state;
    assert_int_equal(load(&c, path, &cap), 0);
    assert_string_equal(capture_close(&cap), "");
    assert_string_equal(c.listen, "0.0.0.0:5001");
    /* Only the first '=' splits: libpq strings carry their own. */
    assert_string_equal(c.pg, "host=db.internal port=5432 dbname=berth user=berth");
    assert_int_equal(c.pg_pool, 4);
    assert_int_equal(c.s3_path_style, 0);
    assert_int_equal(c.part_size, 5242880L);
    assert_int_equal(c.manifest_max, 104857600L);
    assert_string_equal(c.s3_access_key, "");
    assert_string_equal(c.log_level, "debug"); /* the last line wins */
    assert_int_equal(c.gc_delay_s, 0);         /* no final newline */
    /* Untouched settings keep their defaults. */
    assert_string_equal(c.s3_endpoint, "http://127.0.0.1:7480");
    assert_string_equal(c.s3_bucket, "berth");
    assert_int_equal(c.s3_timeout_s, 300);
    assert_int_equal(c.max_connections, 1024);
    assert_int_equal(c.workers, 1);
    cfg_free(&c);
    free(cap.text);

    /* The same file named by BERTH_CONFIG. */
    assert_int_equal(setenv("BERTH_CONFIG", path, 1), 0);
    assert_int_equal(load(&c, NULL, &cap), 0);
    assert_int_equal(c.pg_pool, 4);
    assert_string_equal(c.log_level, "debug");
    cfg_free(&c);
    capture_close(&cap);
    free(cap.text);

    unlink(path);
    free(path);
}

static void
test_cfg__env_overrides_file(void **state)
{
    char *path = write_file("BERTH_PG_POOL=4\nBERTH_S3_BUCKET=from-file\n"
                            "BERTH_LOG_LEVEL=warn\nBERTH_BLOB_PROXY=1\n");
    char *other = write_file("BERTH_PG_POOL=5\n");
    capture_t cap;
    cfg_t c;

    (void)state;
    assert_int_equal(setenv("BERTH_PG_POOL", "32", 1), 0);
    assert_int_equal(setenv("BERTH_S3_BUCKET", "from-env", 1), 0);
    assert_int_equal(setenv("BERTH_S3_SECRET_KEY", "s3cr3t", 1), 0);
    assert_int_equal(setenv("BERTH_BLOB_PROXY", "0", 1), 0);
    assert_int_equal(load(&c, path, &cap), 0);
    assert_int_equal(c.pg_pool, 32);
    assert_string_equal(c.s3_bucket, "from-env");
    assert_string_equal(c.s3_secret_key, "s3cr3t");
    assert_int_equal(c.blob_proxy, 0);
    assert_string_equal(c.log_level, "warn"); /* the file, not overridden */
    assert_string_equal(c.listen, "127.0.0.1:5000");
    cfg_free(&c);
    capture_close(&cap);
    free(cap.text);

    /* An empty variable still overrides. */
    assert_int_equal(setenv("BERTH_S3_BUCKET", "", 1), 0);
    assert_int_equal(load(&c, path, &cap), 0);
    assert_string_equal(c.s3_bucket, "");
    cfg_free(&c);
    capture_close(&cap);
    free(cap.text);

    /* An explicit file wins over BERTH_CONFIG; the environment over both. */
    unsetenv("BERTH_PG_POOL");
    assert_int_equal(setenv("BERTH_CONFIG", other, 1), 0);
    assert_int_equal(load(&c, path, &cap), 0);
    assert_int_equal(c.pg_pool, 4);
    cfg_free(&c);
    capture_close(&cap);
    free(cap.text);
    assert_int_equal(load(&c, NULL, &cap), 0);
    assert_int_equal(c.pg_pool, 5);
    cfg_free(&c);
    capture_close(&cap);
    free(cap.text);

    unlink(path);
    unlink(other);
    free(path);
    free(other);
}

static void
test_cfg__env_numbers(void **state)
{
    static const struct {
        const char *name, *value;
        long want;
    } ok[] = {
        {"BERTH_PG_POOL", "1", 1},
        {"BERTH_PG_POOL", "1000", 1000},
        {"BERTH_S3_TIMEOUT", "86400", 86400},
        {"BERTH_PRESIGN_EXPIRY", "604800", 604800},
        {"BERTH_PART_SIZE", "1073741824", 1073741824L},
        {"BERTH_UPLOAD_TTL", "60", 60},
        {"BERTH_MAX_CONNECTIONS", "65536", 65536},
        {"BERTH_WORKERS", "0", 0},
        {"BERTH_S3_PATH_STYLE", "0", 0},
    };
    capture_t cap;
    cfg_t c;
    long got;

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(setenv(ok[i].name, ok[i].value, 1), 0);
        assert_int_equal(load(&c, NULL, &cap), 0);
        if (strcmp(ok[i].name, "BERTH_PG_POOL") == 0)
            got = c.pg_pool;
        else if (strcmp(ok[i].name, "BERTH_S3_TIMEOUT") == 0)
            got = c.s3_timeout_s;
        else if (strcmp(ok[i].name, "BERTH_PRESIGN_EXPIRY") == 0)
            got = c.presign_expiry_s;
        else if (strcmp(ok[i].name, "BERTH_PART_SIZE") == 0)
            got = c.part_size;
        else if (strcmp(ok[i].name, "BERTH_UPLOAD_TTL") == 0)
            got = c.upload_ttl_s;
        else if (strcmp(ok[i].name, "BERTH_MAX_CONNECTIONS") == 0)
            got = c.max_connections;
        else if (strcmp(ok[i].name, "BERTH_WORKERS") == 0)
            got = c.workers;
        else
            got = c.s3_path_style;
        if (got != ok[i].want)
            fail_msg("%s=%s gave %ld", ok[i].name, ok[i].value, got);
        check_defaults_except(&c, ok[i].name);
        cfg_free(&c);
        capture_close(&cap);
        free(cap.text);
        unsetenv(ok[i].name);
    }
}

static void
test_cfg__reject_out_of_range(void **state)
{
    (void)state;
    check_rejected("BERTH_PG_POOL", "0", "from 1 to 1000");
    check_rejected("BERTH_PG_POOL", "1001", "from 1 to 1000");
    check_rejected("BERTH_PG_POOL", "-16", "from 1 to 1000");
    check_rejected("BERTH_S3_TIMEOUT", "86401", "expected a number");
    check_rejected("BERTH_PRESIGN_EXPIRY", "604801", "expected a number");
    check_rejected("BERTH_PART_SIZE", "5242879", "from 5242880 to 1073741824");
    check_rejected("BERTH_PART_SIZE", "1073741825", "expected a number");
    check_rejected("BERTH_MANIFEST_MAX", "4194303", "expected a number");
    check_rejected("BERTH_UPLOAD_TTL", "59", "expected a number");
    check_rejected("BERTH_GC_DELAY", "-1", "expected a number");
    check_rejected("BERTH_MAX_CONNECTIONS", "65537", "expected a number");
    check_rejected("BERTH_S3_PATH_STYLE", "2", "from 0 to 1");
    check_rejected("BERTH_BLOB_PROXY", "-1", "from 0 to 1");
    check_rejected("BERTH_WORKERS", "10", "from 0 to 1");
    /* Past what a long holds, and what an int holds for int settings. */
    check_rejected("BERTH_PART_SIZE", "99999999999999999999", "expected a number");
    check_rejected("BERTH_PG_POOL", "4294967312", "expected a number");
    check_rejected("BERTH_GC_DELAY", "-9223372036854775808", "expected a number");
}

static void
test_cfg__reject_not_numeric(void **state)
{
    static const char *const bad[] = {"", "abc", "8x", "1.5", "16 ", "0x10", "1e3", "true"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        check_rejected("BERTH_PG_POOL", bad[i], "expected a number");
        check_rejected("BERTH_WORKERS", bad[i], "expected a number");
        check_rejected("BERTH_PART_SIZE", bad[i], "expected a number");
    }
}

static void
test_cfg__reject_in_file(void **state)
{
    static const char *const bad[] = {
        "BERTH_PG_POOL=abc\n",
        "BERTH_LISTEN=:1\nBERTH_S3_TIMEOUT=0\n",
        "BERTH_MANIFEST_MAX=\n",
        "BERTH_PART_SIZE=8388608 # bytes\n",
    };
    capture_t cap;
    const char *msg;
    cfg_t c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *path = write_file(bad[i]);

        assert_int_equal(load(&c, path, &cap), -1);
        msg = capture_close(&cap);
        if (strstr(msg, "expected a number") == NULL)
            fail_msg("file \"%s\": message \"%s\"", bad[i], msg);
        cfg_free(&c);
        free(cap.text);
        unlink(path);
        free(path);
    }
}

static void
test_cfg__reject_unknown_key(void **state)
{
    static const struct {
        const char *text, *line;
    } bad[] = {
        {"BERTH_NOPE=1\n", ":1: unknown setting"},
        {"# ok\nBERTH_PG_POOL=4\nBERTH_PG_POOLS=4\n", ":3: unknown setting"},
        {"BERTH_LISTEN\n", ":1: unknown setting"},
        {"berth_listen=127.0.0.1:1\n", ":1: unknown setting"},
        {"BERTH_CONFIG=/etc/berth.conf\n", ":1: unknown setting"},
        {"=x\n", ":1: unknown setting"},
        {"\nBERTH_LISTEN =127.0.0.1:1\n", ":2: unknown setting"},
    };
    capture_t cap;
    const char *msg;
    cfg_t c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *path = write_file(bad[i].text);

        assert_int_equal(load(&c, path, &cap), -1);
        msg = capture_close(&cap);
        if (strstr(msg, path) == NULL || strstr(msg, bad[i].line) == NULL)
            fail_msg("file \"%s\": message \"%s\", want \"%s\"", bad[i].text, msg, bad[i].line);
        cfg_free(&c);
        free(cap.text);
        unlink(path);
        free(path);
    }
}

static void
test_cfg__reject_missing_file(void **state)
{
    capture_t cap;
    const char *msg;
    char *path = write_file("");
    cfg_t c;

    (void)state;
    unlink(path);
    assert_int_equal(load(&c, path, &cap), -1);
    msg = capture_close(&cap);
    assert_non_null(strstr(msg, "cannot read"));
    assert_non_null(strstr(msg, path));
    cfg_free(&c);
    free(cap.text);

    /* The same through BERTH_CONFIG. */
    assert_int_equal(setenv("BERTH_CONFIG", path, 1), 0);
    assert_int_equal(load(&c, NULL, &cap), -1);
    msg = capture_close(&cap);
    assert_non_null(strstr(msg, "cannot read"));
    cfg_free(&c);
    free(cap.text);
    free(path);
}

/*
 * A line longer than the loader's buffer must be read whole or refused, never
 * cut: here the cut lands on '#', so the rest would pass as a comment.
 */
static void
test_cfg__long_line_not_truncated(void **state)
{
    enum { VLEN = 5000 };
    char *text = malloc(VLEN + 16);
    const char *value = text + 9;
    capture_t cap;
    char *path;
    size_t got;
    cfg_t c;
    int rc, cut;

    (void)state;
    assert_non_null(text);
    memcpy(text, "BERTH_PG=", 9);
    memset(text + 9, 'a', VLEN);
    text[4095] = '#'; /* the first byte a 4096-byte fgets buffer leaves for later */
    memcpy(text + 9 + VLEN, "\n", 2);
    path = write_file(text);
    text[9 + VLEN] = '\0';
    rc = load(&c, path, &cap);
    capture_close(&cap);
    got = rc == 0 ? strlen(c.pg) : 0;
    cut = rc == 0 && strcmp(c.pg, value) != 0;
    /* Free first: fail_msg does not return. */
    cfg_free(&c);
    free(cap.text);
    unlink(path);
    free(path);
    free(text);
    if (cut)
        fail_msg("BERTH_PG accepted but cut from %d to %zu bytes", VLEN, got);
}

/*
 * The BERTH_ names in cfg.h's cfg_t comments, as "NAME\n" lines (malloc'd),
 * so the --help check follows the header as settings are added.
 */
static char *
header_names(size_t *count)
{
    char path[512], line[512];
    const char *slash = strrchr(__FILE__, '/');
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    int in_struct = 0;
    FILE *f;

    assert_non_null(out);
    out[0] = '\0';
    *count = 0;
    /* __FILE__ is tests/unit/test_cfg.c, relative to where make runs. */
    snprintf(path, sizeof(path), "%.*s/../../include/cfg.h",
             slash != NULL ? (int)(slash - __FILE__) : 1, slash != NULL ? __FILE__ : ".");
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s (run from the repository root)", path);
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *p;
        size_t n;

        if (strncmp(line, "typedef struct cfg {", 20) == 0)
            in_struct = 1;
        else if (strncmp(line, "} cfg_t;", 8) == 0)
            in_struct = 0;
        if (!in_struct || (p = strstr(line, "BERTH_")) == NULL)
            continue;
        n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
        if (listed(out, p, n))
            continue;
        assert_true(len + n + 2 <= cap);
        memcpy(out + len, p, n);
        len += n;
        out[len++] = '\n';
        out[len] = '\0';
        (*count)++;
    }
    fclose(f);
    return out;
}

/* Whether the n bytes at p are one of the "NAME\n" lines of `list`. */
static int
listed(const char *list, const char *p, size_t n)
{
    for (const char *l = list; *l != '\0'; l = strchr(l, '\n') + 1) {
        if (strcspn(l, "\n") == n && strncmp(l, p, n) == 0)
            return 1;
    }
    return 0;
}

static void
test_cfg__usage(void **state)
{
    capture_t cap;
    const char *text;
    char *known;
    size_t lines = 0, nknown;

    (void)state;
    known = header_names(&nknown);
    assert_true(nknown >= NNAMES);
    for (size_t i = 0; i < NNAMES; i++)
        assert_true(listed(known, names[i], strlen(names[i])));
    cfg_usage(capture_open(&cap));
    text = capture_close(&cap);
    for (const char *p = text; *p != '\0'; p++)
        lines += *p == '\n';
    if (lines != nknown)
        fail_msg("cfg_usage wrote %zu lines; cfg.h documents %zu settings:\n%s%s", lines, nknown,
                 text, known);
    /* Each name cfg.h documents, as a whole word at the start of a line. */
    for (const char *k = known; *k != '\0'; k = strchr(k, '\n') + 1) {
        char want[128];
        int n = (int)strcspn(k, "\n");

        snprintf(want, sizeof(want), "\n  %.*s ", n, k);
        if (strstr(text, want) == NULL && strncmp(text, want + 1, strlen(want + 1)) != 0)
            fail_msg("cfg_usage does not list %.*s:\n%s", n, k, text);
    }
    assert_non_null(strstr(text, "(default: 16)"));
    assert_non_null(strstr(text, "(default: none)"));
    /* And it names no variable cfg.h does not document. */
    for (const char *p = strstr(text, "BERTH_"); p != NULL; p = strstr(p + 1, "BERTH_")) {
        size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");

        if (!listed(known, p, n))
            fail_msg("cfg_usage names an undocumented variable: %.*s", (int)n, p);
    }
    free(known);
    free(cap.text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cfg__defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__env_overrides_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__env_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__reject_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__reject_not_numeric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__reject_in_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__reject_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__reject_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__long_line_not_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cfg__usage, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
