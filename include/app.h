/* SPDX-License-Identifier: Apache-2.0 */
/*
 * app.h - the gateway-wide context shared by every request: settings and the
 * two stores. Built once in main, read-only afterwards.
 */
#ifndef BERTH_APP_H
#define BERTH_APP_H

#include "cfg.h"
#include "db.h"
#include "s3.h"

typedef struct app {
    cfg_t cfg;
    db_pool_t *db;
    s3_client_t *s3;
    struct token_key *token_key; /* NULL when BERTH_AUTH=none */
    int auth_on;
} app_t;

#endif
