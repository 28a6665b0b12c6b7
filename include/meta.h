/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meta.h - the metadata store's queries for repositories, blobs and uploads
 * (manifest and tag queries are in manifest_store.h).
 *
 * Each function runs parameterised prepared statements on a connection the
 * caller holds, and returns GW_OK, GW_ENOTFOUND where a row may be missing,
 * or the db.h error codes.
 */
#ifndef BERTH_META_H
#define BERTH_META_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "digest.h"
#include "ref.h"

#define META_KEY_MAX 128
#define META_S3_ID_MAX 512
#define META_UUID_LEN 36

/** Finds repository `name`; GW_ENOTFOUND when it does not exist. */
int meta_repo_get(db_conn_t *db, const char *name, int64_t *id, gw_error_t *err);

/** Finds or creates repository `name`. */
int meta_repo_ensure(db_conn_t *db, const char *name, int64_t *id, gw_error_t *err);

/**
 * Looks up `digest` as linked to repository `name`: its size and object key
 * (`key` has META_KEY_MAX bytes). GW_ENOTFOUND when the repository does not
 * hold it.
 */
int meta_blob_in_repo(db_conn_t *db, const char *name, const char *digest, int64_t *size, char *key,
                      gw_error_t *err);

/**
 * Looks up `digest` as linked to any repository of the project that `name`
 * (a repository name) belongs to; GW_ENOTFOUND when none holds it.
 */
int meta_blob_in_project(db_conn_t *db, const char *name, const char *digest, int64_t *size,
                         char *key, gw_error_t *err);

/** Looks up `digest` in any repository; GW_ENOTFOUND when unknown. */
int meta_blob_get(db_conn_t *db, const char *digest, int64_t *size, char *key, gw_error_t *err);

/** Records a blob; GW_EEXISTS when the digest is already stored. */
int meta_blob_insert(db_conn_t *db, const char *digest, int64_t size, const char *key,
                     gw_error_t *err);

/** Links a stored blob to a repository (no-op when linked already). */
int meta_blob_link(db_conn_t *db, int64_t repo_id, const char *digest, gw_error_t *err);

/**
 * Unlinks `digest` from repository `name` and queues it for the garbage
 * collector after `gc_delay_s` seconds. GW_ENOTFOUND when it was not linked.
 */
int meta_blob_unlink(db_conn_t *db, const char *name, const char *digest, int gc_delay_s,
                     gw_error_t *err);

/** An upload in flight, as stored between requests. */
typedef struct meta_upload {
    char id[META_UUID_LEN + 1];
    int64_t repo_id;
    char object_key[META_KEY_MAX];
    char s3_upload_id[META_S3_ID_MAX]; /* "" until the first part is written */
    char *part_etags;                  /* malloc'd, one ETag per line, part 1 first */
    int nparts;
    int64_t offset;
    unsigned char hash_state[DIGEST_STATE_MAX];
    size_t hash_state_len;
    unsigned char *tail; /* malloc'd bytes received but not yet in S3 */
    size_t tail_len;
    char lease[META_UUID_LEN + 1]; /* the lease this request holds */
} meta_upload_t;

/** Frees what `u` owns (not `u`). */
void meta_upload_clear(meta_upload_t *u);

/**
 * Inserts a new upload row from u->id, repo_id, object_key and hash state;
 * when u->lease is set, the row is created already claimed under it.
 */
int meta_upload_create(db_conn_t *db, const meta_upload_t *u, gw_error_t *err);

/**
 * Claims upload `id` of repository `name` for this request under a lease
 * (u->lease, random), loading its state into `u`. GW_ENOTFOUND when there is
 * no such upload; GW_ECONFLICT when another request holds a live lease.
 */
int meta_upload_claim(db_conn_t *db, const char *name, const char *id, meta_upload_t *u,
                      gw_error_t *err);

/** Extends the lease held in `u` (during a long body). */
int meta_upload_renew(db_conn_t *db, const meta_upload_t *u, gw_error_t *err);

/**
 * Records a freshly created multipart upload id at once (parts reset), so an
 * interrupted request never leaves a multipart upload no row points to.
 */
int meta_upload_set_s3(db_conn_t *db, const meta_upload_t *u, gw_error_t *err);

/** Stores `u`'s state and drops its lease. GW_ECONFLICT when the lease was lost. */
int meta_upload_save(db_conn_t *db, const meta_upload_t *u, gw_error_t *err);

/** Drops the lease without saving (the request failed; state stays as before). */
int meta_upload_release(db_conn_t *db, const meta_upload_t *u, gw_error_t *err);

/** Deletes the upload row held under `u`'s lease. */
int meta_upload_delete(db_conn_t *db, const meta_upload_t *u, gw_error_t *err);

/** Reads the offset of upload `id` of `name` without claiming it. */
int meta_upload_offset(db_conn_t *db, const char *name, const char *id, int64_t *offset,
                       gw_error_t *err);

/** A manifest to store: its exact bytes and what was parsed from them. */
typedef struct meta_manifest {
    const char *digest;
    const char *media_type;
    const char *artifact_type; /* NULL when none */
    const char *subject;       /* subject digest, NULL when none */
    const char *annotations;   /* the top-level annotations as JSON text, NULL when none */
    const char *payload;
    size_t size;
    const char **blobs; /* config and layer digests, checked and recorded */
    int nblobs;
    const char **children; /* an index's manifest digests */
    int nchildren;
    const char **tags; /* tags to point at it */
    int ntags;
} meta_manifest_t;

/**
 * Stores a manifest in repository `name` (created when missing) in one
 * transaction: checks that every blob is linked to the repository and every
 * child manifest is in it (GW_ENOTFOUND, with the missing digest copied into
 * `missing`, DIGEST_STR_MAX bytes), records the manifest, its references and
 * its tags.
 */
int meta_manifest_put(db_conn_t *db, const char *name, const meta_manifest_t *m, char *missing,
                      gw_error_t *err);

/**
 * Finds a manifest of repository `name` by tag or digest (`by_digest`).
 * On success *res holds one row: digest, media_type, payload (binary).
 * GW_ENOTFOUND when there is none.
 */
int meta_manifest_get(db_conn_t *db, const char *name, const char *ref, int by_digest,
                      db_res_t **res, gw_error_t *err);

/**
 * Deletes the manifest `digest` of repository `name` and its tags, and queues
 * the blobs it referenced for review after `gc_delay_s` seconds: the GC worker
 * then unlinks each from the repository unless a manifest there references it
 * or it was linked again meanwhile, and collects it when nothing else links
 * it. Until then the links stay (a blob DELETE still answers 202).
 * GW_ENOTFOUND when there is no such manifest.
 */
int meta_manifest_delete(db_conn_t *db, const char *name, const char *digest, int gc_delay_s,
                         gw_error_t *err);

/**
 * Takes repository `repo_id`'s manifest lock until the transaction ends:
 * shared for a manifest PUT (from before it checks blob links), exclusive
 * for the GC worker's unlinking. Must run inside a transaction.
 */
int meta_repo_lock(db_conn_t *db, int64_t repo_id, int exclusive, gw_error_t *err);

/** Deletes tag `tag` of repository `name`; GW_ENOTFOUND when there is none. */
int meta_tag_delete(db_conn_t *db, const char *name, const char *tag, gw_error_t *err);

/**
 * Lists up to `limit` tags of `name` after `last` ("" for the start), in
 * lexical order; *res has one column. GW_ENOTFOUND when the repository does
 * not exist.
 */
int meta_tag_list(db_conn_t *db, const char *name, const char *last, int limit, db_res_t **res,
                  gw_error_t *err);

/** Lists up to `limit` repository names after `last`; *res has one column. */
int meta_repo_list(db_conn_t *db, const char *last, int limit, db_res_t **res, gw_error_t *err);

/**
 * Lists up to `limit` manifests of `name` whose subject is `digest`, after
 * digest `last`, optionally only those of `artifact_type` (NULL = all).
 * Columns: digest, media_type, artifact_type, size, annotations.
 */
int meta_referrers(db_conn_t *db, const char *name, const char *digest, const char *artifact_type,
                   const char *last, int limit, db_res_t **res, gw_error_t *err);

/* Project permission bits (members.perms). */
#define META_PERM_PULL 1u
#define META_PERM_PUSH 2u
#define META_PERM_DELETE 4u
#define META_PERM_ADMIN 8u
#define META_PERM_ALL 15u

/** An account (a person or a robot) as the authenticator needs it. */
typedef struct meta_account {
    int64_t id;
    char name[REF_NAME_MAX + 1];
    int robot;
    int admin;
    int expired; /* expires_at has passed */
    char password_hash[256];
} meta_account_t;

/** Loads account `name`; GW_ENOTFOUND when there is none. */
int meta_account_get(db_conn_t *db, const char *name, meta_account_t *out, gw_error_t *err);

/**
 * What `account_id` (0: anonymous) may do in project `project`: sets *exists,
 * *is_public and *perms (membership bits; 0 when none).
 */
int meta_project_access(db_conn_t *db, const char *project, int64_t account_id, int *exists,
                        int *is_public, unsigned *perms, gw_error_t *err);

/**
 * Creates an account. `kind` is "user" or "robot"; `expires_in_s` (robots) 0 = never.
 * GW_EEXISTS when the name is taken. Sets *id.
 */
int meta_account_create(db_conn_t *db, const char *name, const char *kind,
                        const char *password_hash, int admin, int64_t expires_in_s,
                        const char *description, int64_t *id, gw_error_t *err);

/** Replaces an account's password hash; GW_ENOTFOUND when there is none. */
int meta_account_set_password(db_conn_t *db, const char *name, const char *password_hash,
                              gw_error_t *err);

/** Deletes an account; GW_ENOTFOUND when there is none. */
int meta_account_delete(db_conn_t *db, const char *name, gw_error_t *err);

/**
 * Lists accounts of `kind` ("user" or "robot") after name `last`, at most `limit`.
 * Columns: name, is_admin, expires_at (ISO 8601 or ""), description, created_at,
 * and for robots the projects and permission bits as "proj:perms,proj:perms".
 */
int meta_account_list(db_conn_t *db, const char *kind, const char *last, int limit, db_res_t **res,
                      gw_error_t *err);

/** Creates a project; GW_EEXISTS when it exists. */
int meta_project_create(db_conn_t *db, const char *name, int is_public, gw_error_t *err);

/** Sets a project's visibility; GW_ENOTFOUND when there is none. */
int meta_project_set_public(db_conn_t *db, const char *name, int is_public, gw_error_t *err);

/**
 * Deletes an empty project: GW_ENOTFOUND when there is none, GW_ECONFLICT when
 * it still has repositories.
 */
int meta_project_delete(db_conn_t *db, const char *name, gw_error_t *err);

/**
 * Lists projects after `last`, at most `limit`; when `account_id` is not 0 and
 * `all` is 0, only public ones and those the account is a member of.
 * Columns: name, public, repository count, created_at.
 */
int meta_project_list(db_conn_t *db, int64_t account_id, int all, const char *last, int limit,
                      db_res_t **res, gw_error_t *err);

/** Grants `perms` in `project` to `account` (replacing earlier bits); 0 removes. */
int meta_member_set(db_conn_t *db, const char *project, const char *account, unsigned perms,
                    gw_error_t *err);

/** Lists a project's members: name, kind, perms. */
int meta_member_list(db_conn_t *db, const char *project, db_res_t **res, gw_error_t *err);

/** Lists repositories of `project` after `last`: name, tag count, created_at. */
int meta_repo_list_project(db_conn_t *db, const char *project, const char *last, int limit,
                           db_res_t **res, gw_error_t *err);

/** Deletes repository `name` with its manifests and tags; blobs are queued for GC. */
int meta_repo_delete(db_conn_t *db, const char *name, int gc_delay_s, gw_error_t *err);

/**
 * Lists manifests of repository `name` after digest `last`: digest, media_type,
 * size, tags (comma-separated), created_at.
 */
int meta_artifact_list(db_conn_t *db, const char *name, const char *last, int limit, db_res_t **res,
                       gw_error_t *err);

/** True when `s` is a canonical lowercase UUID (8-4-4-4-12 hex). */
int meta_uuid_valid(const char *s);

/** Writes a random (version 4) UUID into `out` (META_UUID_LEN + 1 bytes). */
void meta_uuid_new(char *out);

/**
 * Loads project `name`: one row of name, public, repository count, created_at
 * (as meta_project_list). GW_ENOTFOUND when there is none. Free *res.
 */
int meta_project_get(db_conn_t *db, const char *name, db_res_t **res, gw_error_t *err);

/**
 * Lists the robot accounts that are members of `project` (only robot `name`
 * when not NULL), by name: name, perms, expires_at (ISO 8601 or ""),
 * created_at. Free *res.
 */
int meta_robot_list_project(db_conn_t *db, const char *project, const char *name, db_res_t **res,
                            gw_error_t *err);

/**
 * Deletes the robot accounts named "robot$<project>+..." (the management API's
 * robots of `project`), as when the project goes. No rows is not an error.
 */
int meta_robot_delete_project(db_conn_t *db, const char *project, gw_error_t *err);

#endif
