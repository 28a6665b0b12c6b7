/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - one line per event, key=value, on stderr.
 *
 * Every line carries ts, level, req_id (the calling thread's current request,
 * set with log_set_request) and module. Callers pass only the event's own
 * fields. Never pass credentials, tokens or presigned URLs.
 */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

typedef enum log_level {
    LOG_DEBUG = 0,
    LOG_INFO = 1,
    LOG_WARN = 2,
    LOG_ERROR = 3,
} log_level_t;

/** Sets the lowest level written; thread-safe to call before threads start. */
void log_set_level(log_level_t level);

/** Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_parse_level(const char *s, log_level_t *out);

/**
 * Sets the request id that this thread's later lines carry (NULL clears it).
 * The string is copied.
 */
void log_set_request(const char *req_id);

/** This thread's current request id, or "-" when none. */
const char *log_request_id(void);

/**
 * Writes one line: `ts=... level=... req_id=... module=<module> <fields>`.
 * `fmt` formats the event fields, already in key=value form. Values that may
 * hold spaces or quotes should be written with log_quote first.
 */
void log_write(log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Copies `s` into `buf` as a log value: wrapped in double quotes when it holds
 * spaces, quotes or control bytes (those escaped). Truncates to fit. Returns buf.
 */
const char *log_quote(char *buf, unsigned long size, const char *s);

#define log_debug(mod, ...) log_write(LOG_DEBUG, mod, __VA_ARGS__)
#define log_info(mod, ...) log_write(LOG_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_write(LOG_WARN, mod, __VA_ARGS__)
#define log_error(mod, ...) log_write(LOG_ERROR, mod, __VA_ARGS__)

#endif
