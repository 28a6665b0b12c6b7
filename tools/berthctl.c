/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berthctl.c - the admin command line. Talks to PostgreSQL directly (BERTH_PG)
 * and, for gc, to S3 with the gateway's settings.
 *
 *   berthctl migrate        apply pending schema migrations
 *   berthctl gc             run one pass of upload expiry and blob GC now
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "migrate.h"
#include "worker.h"

static void
usage(FILE *out)
{
    fprintf(out, "usage: berthctl <command>\n\n"
                 "commands:\n"
                 "  migrate   apply pending schema migrations (BERTH_PG)\n"
                 "  gc        expire idle uploads and collect unreferenced blobs once\n\n"
                 "Settings are read as berthd reads them; see berthd --help.\n");
}

static int
cmd_migrate(app_t *app, gw_error_t *err)
{
    db_conn_t *db = NULL;
    int applied = 0;
    int rc;

    rc = db_pool_new(&app->db, app->cfg.pg, 1, err);
    if (rc == GW_OK)
        rc = db_acquire(app->db, &db, err);
    if (rc == GW_OK)
        rc = migrate_apply(db, &applied, err);
    db_release(app->db, db);
    if (rc == GW_OK)
        printf("migrations applied: %d\n", applied);
    return rc;
}

static int
cmd_gc(app_t *app, gw_error_t *err)
{
    s3_config_t s3 = {
        .endpoint = app->cfg.s3_endpoint,
        .region = app->cfg.s3_region,
        .bucket = app->cfg.s3_bucket,
        .access_key = app->cfg.s3_access_key,
        .secret_key = app->cfg.s3_secret_key,
        .path_style = app->cfg.s3_path_style,
        .ca_file = app->cfg.s3_ca_file[0] ? app->cfg.s3_ca_file : NULL,
    };
    int expired = 0, collected = 0;
    int rc;

    rc = db_pool_new(&app->db, app->cfg.pg, 1, err);
    if (rc == GW_OK)
        rc = s3_client_new(&app->s3, &s3, err);
    if (rc == GW_OK)
        rc = worker_run_once(app, &expired, &collected, err);
    if (rc == GW_OK)
        printf("uploads expired: %d\nblobs collected: %d\n", expired, collected);
    return rc;
}

int
main(int argc, char **argv)
{
    app_t app = {0};
    gw_error_t err = {0};
    int rc = GW_ERR;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (cfg_load(&app.cfg, NULL, stderr) != 0)
        return 2;
    log_set_level(LOG_WARN);
    if (strcmp(argv[1], "migrate") == 0) {
        rc = cmd_migrate(&app, &err);
    } else if (strcmp(argv[1], "gc") == 0) {
        rc = cmd_gc(&app, &err);
    } else {
        usage(stderr);
        cfg_free(&app.cfg);
        return 2;
    }
    if (rc != GW_OK)
        fprintf(stderr, "berthctl: %s failed: %s\n", argv[1],
                err.detail[0] ? err.detail : err.message);
    s3_client_free(app.s3);
    db_pool_free(app.db);
    cfg_free(&app.cfg);
    return rc == GW_OK ? 0 : 1;
}
