/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h - who is asking, and may they: the Docker registry token protocol
 * (401 challenges, the token endpoint, ES256 tokens verified by every gateway
 * with the shared key and no database round trip) and HTTP Basic credentials
 * checked against the accounts table.
 *
 * Permissions are per project (the first component of a repository name):
 * pull, push, delete, admin; system administrators may do everything,
 * including pushing into a project that does not exist yet (it is created,
 * private). Public projects may be pulled anonymously.
 */
#ifndef BERTH_AUTH_H
#define BERTH_AUTH_H

#include "http.h"
#include "meta.h"

/* Actions a request needs on a repository. */
#define AUTH_PULL 0x1u
#define AUTH_PUSH 0x2u
#define AUTH_DELETE 0x4u

/** Loads the token key named by BERTH_TOKEN_KEY (when auth is on). */
int auth_init(app_t *app, gw_error_t *err);

/** Frees what auth_init loaded. */
void auth_free(app_t *app);

/**
 * Checks that the request may do `actions` on repository `repo` (NULL: only
 * that the caller is authenticated, as GET /v2/ needs). On refusal answers
 * 401 UNAUTHORIZED with a Bearer challenge naming the scope, or 403 DENIED
 * naming the missing permission, and returns GW_EDENIED.
 */
int auth_require(http_req_t *req, const char *repo, unsigned actions);

/** Like auth_require but only answers the question: 1 allowed, 0 not. */
int auth_allowed(http_req_t *req, const char *repo, unsigned actions);

/** Checks that the caller may list the catalog (system administrators). */
int auth_require_catalog(http_req_t *req);

/**
 * Checks HTTP Basic credentials for the management API: on success fills
 * `who` and returns GW_OK; otherwise answers 401 and returns GW_EDENIED.
 */
int auth_basic_account(http_req_t *req, meta_account_t *who);

/**
 * What account `who` may do in `project`, as META_PERM_* bits (admins: all;
 * a public project adds pull). Sets *exists.
 */
int auth_project_perms(http_req_t *req, const meta_account_t *who, const char *project,
                       unsigned *perms, int *exists);

/** GET and POST /auth/token: the token endpoint. */
void auth_token_handle(http_req_t *req);

#endif
