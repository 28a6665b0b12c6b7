/* SPDX-License-Identifier: Apache-2.0 */
/*
 * worker.h - background work every gateway runs, with no leader: expiring
 * idle uploads and collecting unreferenced blobs. Rows are claimed with
 * SELECT ... FOR UPDATE SKIP LOCKED, so two gateways never take the same job
 * and a dead gateway's job is taken by another.
 */
#ifndef BERTH_WORKER_H
#define BERTH_WORKER_H

#include "app.h"

/** Starts the worker thread. */
void worker_start(app_t *app);

/** Stops it and waits for it; a no-op when it was not started. */
void worker_stop(void);

/**
 * Runs one pass of each job (expiry, then GC) on the calling thread; returns
 * how many uploads and blobs it removed through the out parameters.
 */
int worker_run_once(app_t *app, int *expired, int *collected, gw_error_t *err);

#endif
