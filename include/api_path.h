/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_path.h - parsing of the management API's URL paths (/api/v1/...): which
 * endpoint a path names and the validated names in it. Pure: no I/O, no
 * allocation, so it runs before any query and is fuzzed on its own
 * (tests/fuzz/fuzz_api_path.c). The endpoints themselves live in api.c.
 */
#ifndef BERTH_API_PATH_H
#define BERTH_API_PATH_H

#include "gw_error.h"
#include "http.h"
#include "ref.h"

#define API_PREFIX "/api/v1"
#define API_PATH_MAX (2 * REF_NAME_MAX + 64)

typedef enum api_kind {
    EP_NONE = 0,
    EP_HEALTH,        /* /health */
    EP_PROJECTS,      /* /projects */
    EP_PROJECT,       /* /projects/<p> */
    EP_MEMBERS,       /* /projects/<p>/members */
    EP_MEMBER,        /* /projects/<p>/members/<account> */
    EP_ROBOTS,        /* /projects/<p>/robots */
    EP_ROBOT,         /* /projects/<p>/robots/<name> */
    EP_PROJECT_REPOS, /* /projects/<p>/repositories */
    EP_REPO,          /* /repositories/<repo> */
    EP_ARTIFACTS,     /* /repositories/<repo>/artifacts */
    EP_ARTIFACT,      /* /repositories/<repo>/artifacts/<digest> */
    EP_TAGS,          /* /repositories/<repo>/tags */
    EP_TAG,           /* /repositories/<repo>/tags/<tag> */
    EP_USERS,         /* /users */
    EP_USER_PASSWORD, /* /users/<name>/password */
} api_kind_t;

/** What a path names; unused names are "". */
typedef struct api_path {
    api_kind_t kind;
    char project[REF_NAME_MAX + 1]; /* "" when the path names none */
    char repo[REF_NAME_MAX + 1];
    char arg[REF_NAME_MAX + 1]; /* account, robot, digest, tag or user name */
} api_path_t;

/**
 * Parses `path` (the URL path, query already removed) for method `m` into
 * `out` (zeroed by the caller), validating every name in it. Returns GW_OK;
 * GW_ENOTFOUND (404 UNSUPPORTED) for a path that names no endpoint;
 * GW_EINVALID (400 NAME_INVALID or DIGEST_INVALID) for a bad name, with `err`
 * filled. Thread-safe.
 */
int api_path_parse(const char *path, http_method_t m, api_path_t *out, gw_error_t *err);

/** True for one repository-name component: a project, a user, a robot's short name. */
int api_path_component_valid(const char *s);

/**
 * Sets out->arg to the account name of robot `name` of out->project
 * ("robot$<project>+<name>"); 0 when it would not fit an account name.
 */
int api_path_robot_name(api_path_t *out, const char *name);

#endif
