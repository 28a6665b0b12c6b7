/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - the counters behind GET /metrics (see metrics.h).
 *
 * Fixed arrays of atomics indexed by method, status class and OCI code: no
 * allocation and no lock on the request path.
 */
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"

#define NMETHODS (HTTP_DELETE + 1)
#define NCLASSES 6 /* 1xx..5xx, and 0 for "no answer" */
#define NCODES (OCI_INTERNAL + 1)
#define RENDER_MAX (64 * 1024)

static const char *const class_names[NCLASSES] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
static const char *const method_names[NMETHODS] = {"OTHER", "GET",   "HEAD",  "PUT",
                                                   "POST",  "PATCH", "DELETE"};

static uint64_t requests[NMETHODS][NCLASSES];
static uint64_t micros[NMETHODS];
static uint64_t errors[NCODES];
static uint64_t bytes_in_total, bytes_out_total;

void
metrics_record(http_method_t method, int status, oci_code_t code, uint64_t bytes_in,
               uint64_t bytes_out, double dur_ms)
{
    int m = (unsigned)method < NMETHODS ? (int)method : 0;
    int c = status >= 100 && status < 600 ? status / 100 : 0;

    __atomic_add_fetch(&requests[m][c], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&micros[m], (uint64_t)(dur_ms * 1000.0), __ATOMIC_RELAXED);
    if ((unsigned)code < NCODES && code != OCI_NONE)
        __atomic_add_fetch(&errors[code], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&bytes_in_total, bytes_in, __ATOMIC_RELAXED);
    __atomic_add_fetch(&bytes_out_total, bytes_out, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

int
metrics_render(char **out, size_t *len)
{
    char *buf = malloc(RENDER_MAX);
    size_t n = 0;

#define EMIT(...) n += (size_t)snprintf(buf + n, n < RENDER_MAX ? RENDER_MAX - n : 0, __VA_ARGS__)
    *out = NULL;
    if (buf == NULL)
        return GW_ERR;
    EMIT("# HELP berth_requests_total Requests answered, by method and status class.\n"
         "# TYPE berth_requests_total counter\n");
    for (int m = 0; m < NMETHODS; m++) {
        for (int c = 0; c < NCLASSES; c++) {
            if (get(&requests[m][c]) == 0)
                continue;
            EMIT("berth_requests_total{method=\"%s\",status=\"%s\"} %llu\n", method_names[m],
                 class_names[c], (unsigned long long)get(&requests[m][c]));
        }
    }
    EMIT("# HELP berth_request_seconds_total Time spent answering, by method.\n"
         "# TYPE berth_request_seconds_total counter\n");
    for (int m = 0; m < NMETHODS; m++) {
        if (get(&micros[m]) > 0)
            EMIT("berth_request_seconds_total{method=\"%s\"} %.6f\n", method_names[m],
                 (double)get(&micros[m]) / 1e6);
    }
    EMIT("# HELP berth_errors_total Error answers, by OCI error code.\n"
         "# TYPE berth_errors_total counter\n");
    for (int e = 1; e < NCODES; e++) {
        if (get(&errors[e]) > 0)
            EMIT("berth_errors_total{code=\"%s\"} %llu\n", gw_oci_code_name((oci_code_t)e),
                 (unsigned long long)get(&errors[e]));
    }
    EMIT("# HELP berth_received_bytes_total Request body bytes received.\n"
         "# TYPE berth_received_bytes_total counter\n"
         "berth_received_bytes_total %llu\n"
         "# HELP berth_sent_bytes_total Response body bytes sent.\n"
         "# TYPE berth_sent_bytes_total counter\n"
         "berth_sent_bytes_total %llu\n",
         (unsigned long long)get(&bytes_in_total), (unsigned long long)get(&bytes_out_total));
#undef EMIT
    if (n >= RENDER_MAX)
        n = RENDER_MAX - 1;
    *out = buf;
    *len = n;
    return GW_OK;
}
