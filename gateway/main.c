/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - berthd: parses arguments, builds the shared context, serves until
 * SIGINT or SIGTERM.
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "auth.h"
#include "http.h"
#include "log.h"
#include "mcache.h"
#include "migrate.h"
#include "worker.h"

static volatile sig_atomic_t stopping = 0;

static void
on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: berthd [--config FILE] [--migrate] [--help]\n"
                 "\n"
                 "Berth OCI registry gateway. Settings come from FILE (KEY=VALUE lines,\n"
                 "also named by BERTH_CONFIG), overridden by the environment:\n\n");
    cfg_usage(out);
    fprintf(out, "\n  --migrate  apply pending schema migrations before serving\n");
}

static int
open_stores(app_t *app, int migrate, gw_error_t *err)
{
    s3_config_t s3 = {
        .endpoint = app->cfg.s3_endpoint,
        .public_endpoint = app->cfg.s3_public_endpoint[0] ? app->cfg.s3_public_endpoint : NULL,
        .region = app->cfg.s3_region,
        .bucket = app->cfg.s3_bucket,
        .access_key = app->cfg.s3_access_key,
        .secret_key = app->cfg.s3_secret_key,
        .path_style = app->cfg.s3_path_style,
        .timeout_ms = (long)app->cfg.s3_timeout_s * 1000,
        .ca_file = app->cfg.s3_ca_file[0] ? app->cfg.s3_ca_file : NULL,
    };
    db_conn_t *db = NULL;
    int rc;

    rc = db_pool_new(&app->db, app->cfg.pg, app->cfg.pg_pool, err);
    if (rc == GW_OK && migrate) {
        rc = db_acquire(app->db, &db, err);
        if (rc == GW_OK)
            rc = migrate_apply(db, NULL, err);
        db_release(app->db, db);
    }
    if (rc == GW_OK)
        rc = s3_client_new(&app->s3, &s3, err);
    if (rc == GW_OK)
        rc = auth_init(app, err);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"migrate", no_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int migrate = 0, opt, status = 1;
    app_t app = {0};
    gw_error_t err = {0};
    void *server = NULL;
    log_level_t level;

    while ((opt = getopt_long(argc, argv, "c:mh", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 'm':
            migrate = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (cfg_load(&app.cfg, config, stderr) != 0)
        return 2;
    if (log_parse_level(app.cfg.log_level, &level) != 0) {
        fprintf(stderr, "berthd: BERTH_LOG_LEVEL: expected debug, info, warn or error\n");
        goto cleanup;
    }
    log_set_level(level);
    /* Upload part buffers (BERTH_PART_SIZE) must go back to the kernel when an
     * upload ends; glibc's adaptive threshold would keep them in the heap. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (open_stores(&app, migrate, &err) != GW_OK ||
        http_server_start(&app, &server, &err) != GW_OK) {
        log_error("main", "event=start_failed detail=\"%s\"", err.detail);
        goto cleanup;
    }
    if (app.cfg.workers)
        worker_start(&app);
    mcache_start(&app);
    log_info("main", "event=listening addr=%s", app.cfg.listen);
    while (!stopping)
        pause();
    log_info("main", "event=stopping");
    status = 0;
cleanup:
    mcache_stop();
    worker_stop();
    http_server_stop(server);
    auth_free(&app);
    s3_client_free(app.s3);
    db_pool_free(app.db);
    cfg_free(&app.cfg);
    return status;
}
