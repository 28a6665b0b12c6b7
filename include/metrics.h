/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h - request counters in the Prometheus text format (GET /metrics):
 * requests by method and status class, errors by OCI code, bytes in and out,
 * and request time. Lock-free counters; safe from any thread.
 */
#ifndef BERTH_METRICS_H
#define BERTH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "gw_error.h"
#include "http.h"

/** Counts one finished request. */
void metrics_record(http_method_t method, int status, oci_code_t code, uint64_t bytes_in,
                    uint64_t bytes_out, double dur_ms);

/**
 * Writes the counters as Prometheus text exposition format 0.0.4 into a
 * malloc'd buffer (*out, *len); the caller frees it. GW_ERR when out of memory.
 */
int metrics_render(char **out, size_t *len);

#endif
