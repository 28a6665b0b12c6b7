/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_path.c - the management API's URL paths: /api/v1/health, projects,
 * members, robots, repositories (with artifacts and tags) and users. Every
 * name is validated here, before api.c runs any query (see api_path.h).
 */
#include <stdio.h>
#include <string.h>

#include "api_path.h"
#include "digest.h"

int
api_path_component_valid(const char *s)
{
    size_t len = strlen(s);

    return len > 0 && memchr(s, '/', len) == NULL && ref_name_valid(s, len);
}

/* A user name, or a robot's "robot$<name>" / "robot$<project>+<name>". */
static int
account_valid(const char *s)
{
    char part[REF_NAME_MAX + 1];
    const char *plus;

    if (strncmp(s, "robot$", 6) != 0)
        return api_path_component_valid(s);
    s += 6;
    plus = strchr(s, '+');
    if (plus == NULL)
        return api_path_component_valid(s);
    if ((size_t)(plus - s) >= sizeof(part))
        return 0;
    snprintf(part, sizeof(part), "%.*s", (int)(plus - s), s);
    return api_path_component_valid(part) && api_path_component_valid(plus + 1);
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* see api_path.h */
int
api_path_robot_name(api_path_t *out, const char *name)
{
    int w = snprintf(out->arg, sizeof(out->arg), "robot$%s+%s", out->project, name);

    return w > 0 && (size_t)w < sizeof(out->arg);
}

/* Splits `buf` at '/' into at most `max` segments; -1 when there are more. */
static int
split(char *buf, char **segs, int max)
{
    int n = 0;

    for (char *p = buf; p != NULL; n++) {
        if (n == max)
            return -1;
        segs[n] = p;
        p = strchr(p, '/');
        if (p != NULL)
            *p++ = '\0';
    }
    return n;
}

static int
bad_name(gw_error_t *err, const char *what)
{
    return gw_error_set(err, GW_EINVALID, 400, OCI_NAME_INVALID, "invalid %s", what);
}

static int
no_endpoint(gw_error_t *err)
{
    return gw_error_set(err, GW_ENOTFOUND, 404, OCI_UNSUPPORTED, "no such endpoint");
}

/* The segment after /projects/<p>/: its kind with or without a last segment. */
static int
project_sub(const char *sub, int has_arg, api_path_t *out, gw_error_t *err)
{
    if (strcmp(sub, "members") == 0)
        out->kind = has_arg ? EP_MEMBER : EP_MEMBERS;
    else if (strcmp(sub, "robots") == 0)
        out->kind = has_arg ? EP_ROBOT : EP_ROBOTS;
    else if (strcmp(sub, "repositories") == 0 && !has_arg)
        out->kind = EP_PROJECT_REPOS;
    else
        return no_endpoint(err);
    return GW_OK;
}

/* projects[/<p>[/members|robots|repositories[/<account>|<robot>]]] */
static int
parse_projects(char **segs, int n, api_path_t *out, gw_error_t *err)
{
    int rc = GW_OK;

    out->kind = n == 1 ? EP_PROJECTS : EP_PROJECT;
    if (n == 1)
        return GW_OK;
    if (!api_path_component_valid(segs[1]))
        return bad_name(err, "project name");
    snprintf(out->project, sizeof(out->project), "%s", segs[1]);
    if (n > 2)
        rc = project_sub(segs[2], n == 4, out, err);
    if (rc != GW_OK || n < 4)
        return rc;
    if (out->kind == EP_MEMBER) {
        if (!account_valid(segs[3]))
            return bad_name(err, "account name");
        snprintf(out->arg, sizeof(out->arg), "%s", segs[3]);
        return GW_OK;
    }
    /* Robots made here are named after their project, so one project's
     * administrator cannot reach another project's robots by name. */
    if (!api_path_component_valid(segs[3]) || !api_path_robot_name(out, segs[3]))
        return bad_name(err, "robot name");
    return GW_OK;
}

/*
 * repositories/<repo>[/artifacts[/<digest>]|/tags[/<tag>]]: a repository
 * name holds '/', so it ends at the last "/artifacts" or "/tags" marker, as
 * in /v2/ paths. DELETE of a bare ".../tags" or ".../artifacts" has no other
 * meaning, so it names a repository whose last component is that word.
 * TODO(api): a repository whose second-to-last component is "tags" or
 * "artifacts" cannot be deleted here (the path reads as a tag or digest);
 * only its tags and artifacts can, one by one.
 */
static int
parse_repo_path(const char *rest, http_method_t m, api_path_t *out, gw_error_t *err)
{
    size_t len = strlen(rest), repo_len = len;
    const char *last = strrchr(rest, '/');
    size_t pre = last != NULL ? (size_t)(last - rest) : 0;
    digest_algo_t algo;

    out->kind = EP_REPO;
    if (ends_with(rest, len, "/artifacts") && m != HTTP_DELETE) {
        out->kind = EP_ARTIFACTS;
        repo_len = len - 10;
    } else if (ends_with(rest, len, "/tags") && m != HTTP_DELETE) {
        out->kind = EP_TAGS;
        repo_len = len - 5;
    } else if (last != NULL && ends_with(rest, pre, "/artifacts")) {
        out->kind = EP_ARTIFACT;
        repo_len = pre - 10;
    } else if (last != NULL && ends_with(rest, pre, "/tags")) {
        out->kind = EP_TAG;
        repo_len = pre - 5;
    }
    if (repo_len > REF_NAME_MAX || !ref_name_valid(rest, repo_len))
        return bad_name(err, "repository name");
    snprintf(out->repo, sizeof(out->repo), "%.*s", (int)repo_len, rest);
    snprintf(out->project, sizeof(out->project), "%.*s", (int)strcspn(out->repo, "/"), out->repo);
    if (out->kind == EP_ARTIFACT || out->kind == EP_TAG)
        snprintf(out->arg, sizeof(out->arg), "%s", last + 1);
    if (out->kind == EP_ARTIFACT && digest_parse(out->arg, &algo) != GW_OK)
        return gw_error_set(err, GW_EINVALID, 400, OCI_DIGEST_INVALID, "invalid digest");
    if (out->kind == EP_TAG && !ref_tag_valid(out->arg, strlen(out->arg)))
        return bad_name(err, "tag");
    return GW_OK;
}

/* users[/<name>/password] */
static int
parse_users(char **segs, int n, api_path_t *out, gw_error_t *err)
{
    if (n == 1) {
        out->kind = EP_USERS;
        return GW_OK;
    }
    if (n != 3 || strcmp(segs[2], "password") != 0)
        return no_endpoint(err);
    if (!api_path_component_valid(segs[1]))
        return bad_name(err, "user name");
    out->kind = EP_USER_PASSWORD;
    snprintf(out->arg, sizeof(out->arg), "%s", segs[1]);
    return GW_OK;
}

int
api_path_parse(const char *path, http_method_t m, api_path_t *out, gw_error_t *err)
{
    char buf[API_PATH_MAX + 1];
    char *segs[4];
    size_t len;
    int n;

    if (strncmp(path, API_PREFIX "/", sizeof(API_PREFIX)) != 0)
        return no_endpoint(err);
    path += sizeof(API_PREFIX);
    len = strlen(path);
    if (len > API_PATH_MAX)
        return bad_name(err, "path: too long");
    /* A trailing slash is forgiven: "/api/v1/projects/" is the list. */
    if (len > 0 && path[len - 1] == '/')
        len--;
    snprintf(buf, sizeof(buf), "%.*s", (int)len, path);
    if (strncmp(buf, "repositories/", 13) == 0)
        return parse_repo_path(buf + 13, m, out, err);
    n = split(buf, segs, 4);
    if (n == 1 && strcmp(segs[0], "health") == 0) {
        out->kind = EP_HEALTH;
        return GW_OK;
    }
    if (n > 0 && strcmp(segs[0], "projects") == 0)
        return parse_projects(segs, n, out, err);
    if (n > 0 && strcmp(segs[0], "users") == 0)
        return parse_users(segs, n, out, err);
    return no_endpoint(err);
}
