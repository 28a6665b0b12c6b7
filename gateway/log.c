/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - key=value event lines on stderr (see log.h).
 *
 * A line is formatted into a stack buffer and written with one write(2), so
 * lines from concurrent threads never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static log_level_t min_level = LOG_INFO;
static _Thread_local char cur_req[40] = "-";
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_set_level(log_level_t level)
{
    min_level = level;
}

int
log_parse_level(const char *s, log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    return -1;
}

void
log_set_request(const char *req_id)
{
    snprintf(cur_req, sizeof(cur_req), "%s", req_id != NULL ? req_id : "-");
}

const char *
log_request_id(void)
{
    return cur_req;
}

const char *
log_quote(char *buf, unsigned long size, const char *s)
{
    size_t o = 0;
    int needs = s[0] == '\0';

    for (const char *p = s; *p && !needs; p++)
        needs = *p == ' ' || *p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f;
    if (!needs) {
        snprintf(buf, size, "%s", s);
        return buf;
    }
    if (size < 3) {
        buf[0] = '\0';
        return buf;
    }
    buf[o++] = '"';
    for (const char *p = s; *p && o + 5 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

void
log_write(log_level_t level, const char *module, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    size_t n;
    va_list ap;
    int r;

    if (level < min_level)
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
    r = snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s req_id=%s module=%s ",
                 (long)(tv.tv_usec / 1000), level_names[level], cur_req, module);
    if (r > 0)
        n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
    va_start(ap, fmt);
    r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (r > 0)
        n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
    line[n++] = '\n';
    /* One write per line; a short write to stderr is not worth retrying. */
    if (write(STDERR_FILENO, line, n) < 0)
        return;
}
