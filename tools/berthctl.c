/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berthctl.c - the admin command line. Talks to PostgreSQL directly (BERTH_PG)
 * and, for gc, to S3 with the gateway's settings. Run `berthctl help`.
 *
 * Passwords are read from BERTH_PASSWORD (or BERTH_ADMIN_PASSWORD for
 * `admin create`) or, when unset, from the first line of standard input;
 * they never appear on the command line, where `ps` would show them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "meta.h"
#include "migrate.h"
#include "passwd.h"
#include "worker.h"

#define SECRET_MAX 128
#define LIST_PAGE 1000

typedef struct cmd {
    const char *group, *verb;
    int nargs; /* positional arguments after group and verb */
    int (*run)(app_t *app, db_conn_t *db, char **argv, gw_error_t *err);
    const char *usage;
} cmd_t;

static void usage(FILE *out);

/* The password for a new or changed account: from `var`, else stdin. */
static int
read_password(const char *var, char *out, size_t size)
{
    const char *v = getenv(var);

    if (v != NULL && v[0] != '\0') {
        snprintf(out, size, "%s", v);
        return 0;
    }
    if (fgets(out, (int)size, stdin) == NULL)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return out[0] != '\0' ? 0 : -1;
}

static int
create_account(db_conn_t *db, const char *name, const char *kind, const char *secret, int admin,
               int64_t expires_in_s, gw_error_t *err)
{
    char hash[PASSWD_HASH_MAX];
    int64_t id = 0;
    int rc;

    if (passwd_hash(secret, hash, sizeof(hash)) != GW_OK)
        return gw_error_internal(err, GW_ERR, "password hashing failed");
    rc = meta_account_create(db, name, kind, hash, admin, expires_in_s, "", &id, err);
    if (rc == GW_EEXISTS)
        gw_error_set(err, rc, 409, OCI_DENIED, "account %s exists", name);
    return rc;
}

static int
cmd_migrate(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    int applied = 0;
    int rc = migrate_apply(db, &applied, err);

    (void)app;
    (void)argv;
    if (rc == GW_OK)
        printf("migrations applied: %d\n", applied);
    return rc;
}

static int
cmd_user_create(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    char pw[SECRET_MAX];
    int admin = strcmp(argv[0], "admin") == 0;

    (void)app;
    if (read_password(admin ? "BERTH_ADMIN_PASSWORD" : "BERTH_PASSWORD", pw, sizeof(pw)) != 0)
        return gw_error_set(err, GW_EINVALID, 400, OCI_NONE, "no password given");
    if (create_account(db, argv[2], "user", pw, admin, 0, err) != GW_OK)
        return GW_ERR;
    printf("%s %s created\n", admin ? "administrator" : "user", argv[2]);
    return GW_OK;
}

static int
cmd_user_passwd(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    char pw[SECRET_MAX], hash[PASSWD_HASH_MAX];
    int rc;

    (void)app;
    if (read_password("BERTH_PASSWORD", pw, sizeof(pw)) != 0)
        return gw_error_set(err, GW_EINVALID, 400, OCI_NONE, "no password given");
    if (passwd_hash(pw, hash, sizeof(hash)) != GW_OK)
        return gw_error_internal(err, GW_ERR, "password hashing failed");
    rc = meta_account_set_password(db, argv[2], hash, err);
    if (rc == GW_ENOTFOUND)
        return gw_error_set(err, rc, 404, OCI_NONE, "no account %s", argv[2]);
    if (rc == GW_OK)
        printf("password of %s changed\n", argv[2]);
    return rc;
}

static int
print_accounts(db_conn_t *db, const char *kind, gw_error_t *err)
{
    db_res_t *res = NULL;
    int rc = meta_account_list(db, kind, "", LIST_PAGE, &res, err);

    for (int i = 0; rc == GW_OK && i < db_res_rows(res); i++) {
        printf("%-32s %-5s expires=%-20s %s\n", db_res_text(res, i, 0),
               db_res_text(res, i, 1)[0] == 't' ? "admin" : "-",
               db_res_text(res, i, 2)[0] ? db_res_text(res, i, 2) : "never",
               db_res_text(res, i, 5));
    }
    db_res_free(res);
    return rc;
}

static int
cmd_user_list(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    (void)app;
    (void)argv;
    return print_accounts(db, "user", err);
}

static int
cmd_robot_list(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    (void)app;
    (void)argv;
    return print_accounts(db, "robot", err);
}

/* "pull,push" -> permission bits; 0 when a word is unknown. */
static unsigned
parse_perms(const char *s)
{
    static const struct {
        const char *name;
        unsigned bit;
    } words[] = {{"pull", META_PERM_PULL},
                 {"push", META_PERM_PUSH},
                 {"delete", META_PERM_DELETE},
                 {"admin", META_PERM_ADMIN}};
    unsigned bits = 0;

    while (*s) {
        size_t n = strcspn(s, ","), i;
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
            if (strlen(words[i].name) == n && strncmp(s, words[i].name, n) == 0)
                break;
        }
        if (i == sizeof(words) / sizeof(words[0]))
            return 0;
        bits |= words[i].bit;
        s += n + (s[n] == ',');
    }
    return bits;
}

/* robot create NAME PROJECTS PERMS DAYS: a robot in each comma-separated
 * project with the same permissions, expiring after DAYS (0: never). Its
 * secret is printed once and stored only hashed. */
static int
cmd_robot_create(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    char name[REF_NAME_MAX + 1], secret[64], projects[1024];
    unsigned perms = parse_perms(argv[4]);
    long days = strtol(argv[5], NULL, 10);
    char *save = NULL, *proj;
    int rc;

    (void)app;
    if (perms == 0 || days < 0 || days > 3650)
        return gw_error_set(err, GW_EINVALID, 400, OCI_NONE, "bad permissions or days");
    snprintf(name, sizeof(name), "robot$%s", argv[2]);
    snprintf(projects, sizeof(projects), "%s", argv[3]);
    passwd_random_secret(secret, sizeof(secret));
    rc = db_begin(db, err);
    if (rc == GW_OK)
        rc = create_account(db, name, "robot", secret, 0, (int64_t)days * 86400, err);
    for (proj = strtok_r(projects, ",", &save); rc == GW_OK && proj != NULL;
         proj = strtok_r(NULL, ",", &save)) {
        rc = meta_member_set(db, proj, name, perms, err);
        if (rc == GW_ENOTFOUND)
            gw_error_set(err, rc, 404, OCI_NONE, "no project %s", proj);
    }
    if (rc == GW_OK)
        rc = db_commit(db, err);
    if (rc != GW_OK) {
        db_rollback(db);
        return rc;
    }
    printf("name: %s\nsecret: %s\n(the secret is shown only now)\n", name, secret);
    return GW_OK;
}

static int
cmd_account_delete(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    char name[REF_NAME_MAX + 1];
    int rc;

    (void)app;
    snprintf(name, sizeof(name), "%s%s", strcmp(argv[0], "robot") == 0 ? "robot$" : "", argv[2]);
    rc = meta_account_delete(db, name, err);
    if (rc == GW_ENOTFOUND)
        return gw_error_set(err, rc, 404, OCI_NONE, "no account %s", name);
    if (rc == GW_OK)
        printf("%s deleted\n", name);
    return rc;
}

static int
cmd_project_create(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    int pub = argv[3] != NULL && strcmp(argv[3], "--public") == 0;
    int rc;

    (void)app;
    if (!ref_name_valid(argv[2], strlen(argv[2])) || strchr(argv[2], '/') != NULL)
        return gw_error_set(err, GW_EINVALID, 400, OCI_NONE, "invalid project name");
    rc = meta_project_create(db, argv[2], pub, err);
    if (rc == GW_EEXISTS)
        return gw_error_set(err, rc, 409, OCI_NONE, "project %s exists", argv[2]);
    if (rc == GW_OK)
        printf("project %s created (%s)\n", argv[2], pub ? "public" : "private");
    return rc;
}

static int
cmd_project_list(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    db_res_t *res = NULL;
    int rc = meta_project_list(db, 0, 1, "", LIST_PAGE, &res, err);

    (void)app;
    (void)argv;
    for (int i = 0; rc == GW_OK && i < db_res_rows(res); i++) {
        printf("%-32s %-8s repositories=%s\n", db_res_text(res, i, 0),
               db_res_text(res, i, 1)[0] == 't' ? "public" : "private", db_res_text(res, i, 2));
    }
    db_res_free(res);
    return rc;
}

static int
cmd_project_delete(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    int rc = meta_project_delete(db, argv[2], err);

    (void)app;
    if (rc == GW_ECONFLICT)
        return gw_error_set(err, rc, 409, OCI_NONE, "project %s is not empty", argv[2]);
    if (rc == GW_ENOTFOUND)
        return gw_error_set(err, rc, 404, OCI_NONE, "no project %s", argv[2]);
    if (rc == GW_OK)
        printf("project %s deleted\n", argv[2]);
    return rc;
}

/* member set PROJECT ACCOUNT PERMS ("none" removes the member). */
static int
cmd_member_set(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
{
    unsigned perms = strcmp(argv[4], "none") == 0 ? 0 : parse_perms(argv[4]);
    int rc;

    (void)app;
    if (perms == 0 && strcmp(argv[4], "none") != 0)
        return gw_error_set(err, GW_EINVALID, 400, OCI_NONE, "bad permissions");
    rc = meta_member_set(db, argv[2], argv[3], perms, err);
    if (rc == GW_ENOTFOUND)
        return gw_error_set(err, rc, 404, OCI_NONE, "no such project, account or member");
    if (rc == GW_OK)
        printf("%s in %s: %s\n", argv[3], argv[2], argv[4]);
    return rc;
}

static int
cmd_gc(app_t *app, db_conn_t *db, char **argv, gw_error_t *err)
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

    (void)db;
    (void)argv;
    rc = s3_client_new(&app->s3, &s3, err);
    if (rc == GW_OK)
        rc = worker_run_once(app, &expired, &collected, err);
    if (rc == GW_OK)
        printf("uploads expired: %d\nblobs collected: %d\n", expired, collected);
    return rc;
}

static const cmd_t commands[] = {
    {"migrate", NULL, 0, cmd_migrate, "migrate                      apply schema migrations"},
    {"gc", NULL, 0, cmd_gc, "gc                           expire uploads, collect blobs once"},
    {"admin", "create", 1, cmd_user_create,
     "admin create NAME            a system administrator (password: BERTH_ADMIN_PASSWORD)"},
    {"user", "create", 1, cmd_user_create,
     "user create NAME             a user (password: BERTH_PASSWORD or stdin)"},
    {"user", "list", 0, cmd_user_list, "user list"},
    {"user", "passwd", 1, cmd_user_passwd, "user passwd NAME             change a password"},
    {"user", "delete", 1, cmd_account_delete, "user delete NAME"},
    {"robot", "create", 4, cmd_robot_create,
     "robot create NAME PROJECTS PERMS DAYS   e.g. ci team-a,team-b pull,push 90"},
    {"robot", "list", 0, cmd_robot_list, "robot list"},
    {"robot", "delete", 1, cmd_account_delete, "robot delete NAME"},
    {"project", "create", 1, cmd_project_create, "project create NAME [--public]"},
    {"project", "list", 0, cmd_project_list, "project list"},
    {"project", "delete", 1, cmd_project_delete, "project delete NAME   (only when empty)"},
    {"member", "set", 3, cmd_member_set,
     "member set PROJECT ACCOUNT PERMS   PERMS: pull,push,delete,admin or none"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
    fprintf(out, "usage: berthctl <command>\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %s\n", commands[i].usage);
    fprintf(out, "\nSettings are read as berthd reads them (BERTH_PG, BERTH_S3_*); "
                 "see berthd --help.\n");
}

static const cmd_t *
find_command(int argc, char **argv)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const cmd_t *c = &commands[i];
        int skip = c->verb != NULL ? 2 : 1;
        if (strcmp(argv[1], c->group) != 0)
            continue;
        if (c->verb != NULL && (argc < 3 || strcmp(argv[2], c->verb) != 0))
            continue;
        if (argc - 1 - skip >= c->nargs)
            return c;
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    app_t app = {0};
    gw_error_t err = {0};
    db_conn_t *db = NULL;
    const cmd_t *c;
    int rc = GW_ERR;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    c = find_command(argc, argv);
    if (c == NULL) {
        usage(stderr);
        return 2;
    }
    if (cfg_load(&app.cfg, NULL, stderr) != 0)
        return 2;
    log_set_level(LOG_WARN);
    /* Two connections: the command holds one, and gc's worker pass takes its own. */
    rc = db_pool_new(&app.db, app.cfg.pg, 2, &err);
    if (rc == GW_OK)
        rc = db_acquire(app.db, &db, &err);
    /* Positional arguments start at argv[1]: group, verb, then the rest. */
    if (rc == GW_OK)
        rc = c->run(&app, db, argv + 1, &err);
    if (rc != GW_OK)
        fprintf(stderr, "berthctl: %s\n", err.message[0] ? err.message : err.detail);
    db_release(app.db, db);
    s3_client_free(app.s3);
    db_pool_free(app.db);
    cfg_free(&app.cfg);
    return rc == GW_OK ? 0 : 1;
}
