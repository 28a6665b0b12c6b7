/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcache.c - the manifest-by-tag cache and its invalidation listener
 * (see mcache.h).
 *
 * A fixed table of buckets under one mutex; lookups copy the payload out, so
 * no entry is referenced outside the lock. The memory held is capped: once the
 * cap is reached new entries are not stored (a cache of hot tags fills early
 * and stays warm). Entries also expire after MCACHE_TTL_S as a backstop.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "mcache.h"
#include "ref.h"

#define MCACHE_BUCKETS 4096
#define MCACHE_MAX_BYTES (64u * 1024 * 1024)
#define MCACHE_TTL_S 300
#define MCACHE_PING_S 5

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    time_t stored;
    size_t repo_len;
    char key[REF_NAME_MAX + REF_TAG_MAX + 2]; /* repo NUL tag */
    char digest[DIGEST_STR_MAX];
    char media_type[128];
    char *payload;
    size_t size;
    int64_t blob_size; /* blob entries: the blob's size (media_type holds its key) */
} entry_t;

static entry_t *buckets[MCACHE_BUCKETS];
static size_t bytes_held;
static int live;     /* 1 while the listener is LISTENing */
static uint64_t seq; /* bumped by every invalidation */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_t thread;
static int running, stop_requested;
static app_t *the_app;

static uint64_t
hash_key(const char *repo, const char *tag)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (const char *p = repo; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0) * 1099511628211ull;
    for (const char *p = tag; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static int
matches(const entry_t *e, uint64_t h, const char *repo, const char *tag)
{
    return e->hash == h && strcmp(e->key, repo) == 0 && strcmp(e->key + e->repo_len + 1, tag) == 0;
}

static void
entry_free(entry_t *e)
{
    bytes_held -= sizeof(*e) + e->size;
    free(e->payload);
    free(e);
}

/* Drops every entry (repo NULL) or those of one repository. Lock held. */
static void
drop_locked(const char *repo)
{
    for (int i = 0; i < MCACHE_BUCKETS; i++) {
        entry_t **pp = &buckets[i];
        while (*pp != NULL) {
            entry_t *e = *pp;
            if (repo == NULL || strcmp(e->key, repo) == 0) {
                *pp = e->next;
                entry_free(e);
            } else {
                pp = &e->next;
            }
        }
    }
    seq++;
}

/* Links a filled entry in, unless the cache is off, an invalidation came
 * after `seen`, or the memory cap is reached; frees it then. */
static void
insert(entry_t *e, uint64_t seen)
{
    const char *tag = e->key + e->repo_len + 1;
    entry_t **head = &buckets[e->hash % MCACHE_BUCKETS];

    pthread_mutex_lock(&lock);
    if (!live || seen != seq || bytes_held + sizeof(*e) + e->size > MCACHE_MAX_BYTES) {
        pthread_mutex_unlock(&lock);
        free(e->payload);
        free(e);
        return;
    }
    /* Replace an entry of the same key, if a concurrent reader stored one. */
    for (entry_t **pp = head; *pp != NULL; pp = &(*pp)->next) {
        if (matches(*pp, e->hash, e->key, tag)) {
            entry_t *old = *pp;
            *pp = old->next;
            entry_free(old);
            break;
        }
    }
    e->next = *head;
    *head = e;
    bytes_held += sizeof(*e) + e->size;
    pthread_mutex_unlock(&lock);
}

int
mcache_get(const char *repo, const char *tag, mcache_hit_t *hit)
{
    uint64_t h = hash_key(repo, tag);
    time_t now = time(NULL);
    int found = 0;

    pthread_mutex_lock(&lock);
    for (entry_t *e = live ? buckets[h % MCACHE_BUCKETS] : NULL; e != NULL; e = e->next) {
        if (!matches(e, h, repo, tag) || now - e->stored > MCACHE_TTL_S)
            continue;
        hit->payload = malloc(e->size > 0 ? e->size : 1);
        if (hit->payload != NULL) {
            memcpy(hit->payload, e->payload, e->size);
            hit->size = e->size;
            memcpy(hit->digest, e->digest, sizeof(hit->digest));
            memcpy(hit->media_type, e->media_type, sizeof(hit->media_type));
            found = 1;
        }
        break;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

uint64_t
mcache_seq(void)
{
    uint64_t s;

    pthread_mutex_lock(&lock);
    s = seq;
    pthread_mutex_unlock(&lock);
    return s;
}

void
mcache_put(const char *repo, const char *tag, const char *digest, const char *media_type,
           const void *payload, size_t size, uint64_t seen)
{
    uint64_t h = hash_key(repo, tag);
    size_t rl = strlen(repo), tl = strlen(tag);
    entry_t *e;

    if (rl + tl + 2 > sizeof(e->key) || strlen(media_type) >= sizeof(e->media_type))
        return;
    e = calloc(1, sizeof(*e));
    if (e == NULL || (e->payload = malloc(size > 0 ? size : 1)) == NULL) {
        free(e);
        return;
    }
    e->hash = h;
    e->stored = time(NULL);
    e->repo_len = rl;
    memcpy(e->key, repo, rl + 1);
    memcpy(e->key + rl + 1, tag, tl + 1);
    snprintf(e->digest, sizeof(e->digest), "%s", digest);
    snprintf(e->media_type, sizeof(e->media_type), "%s", media_type);
    memcpy(e->payload, payload, size);
    e->size = size;
    insert(e, seen);
}

void
mcache_invalidate(const char *repo)
{
    pthread_mutex_lock(&lock);
    drop_locked(repo);
    pthread_mutex_unlock(&lock);
}

static void
set_live(int on)
{
    pthread_mutex_lock(&lock);
    /* Whatever was cached may have missed notifications: start empty. */
    drop_locked(NULL);
    live = on;
    pthread_mutex_unlock(&lock);
}

static void
on_notify(void *arg, const char *repo)
{
    (void)arg;
    mcache_invalidate(repo);
}

static int
should_stop(void)
{
    int s;

    pthread_mutex_lock(&lock);
    s = stop_requested;
    pthread_mutex_unlock(&lock);
    return s;
}

/* Keeps one LISTEN connection up; the cache is live only while it is. */
static void *
listener_main(void *arg)
{
    db_listener_t *l = NULL;
    time_t pinged = 0;

    (void)arg;
    log_set_request("mcache");
    while (!should_stop()) {
        gw_error_t err = {0};
        if (l == NULL) {
            if (db_listen_open(&l, the_app->cfg.pg, MCACHE_CHANNEL, &err) != GW_OK) {
                sleep(1);
                continue;
            }
            set_live(1);
            pinged = time(NULL);
            log_info("mcache", "event=listening channel=%s", MCACHE_CHANNEL);
        }
        int rc = db_listen_wait(l, 500, on_notify, NULL, &err);
        /* A silent peer is found out by a query now and then. */
        if (rc == GW_OK && time(NULL) - pinged >= MCACHE_PING_S) {
            rc = db_listen_ping(l, &err);
            pinged = time(NULL);
        }
        if (rc != GW_OK) {
            set_live(0);
            db_listen_close(l);
            l = NULL;
            log_warn("mcache", "event=listen_lost upstream=pg detail=\"%s\"", err.detail);
        }
    }
    set_live(0);
    db_listen_close(l);
    return NULL;
}

void
mcache_start(app_t *app)
{
    the_app = app;
    stop_requested = 0;
    if (pthread_create(&thread, NULL, listener_main, NULL) == 0)
        running = 1;
    else
        log_error("mcache", "event=start_failed");
}

void
mcache_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stop_requested = 1;
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    running = 0;
}

/* Blob entries live in the same table under "@<digest>": neither a tag nor
 * a digest starts with '@'. */
int
mcache_blob_get(const char *repo, const char *digest, int64_t *size, char *key, size_t key_size)
{
    char ref[DIGEST_STR_MAX + 1];
    uint64_t h;
    time_t now = time(NULL);
    int found = 0;

    snprintf(ref, sizeof(ref), "@%s", digest);
    h = hash_key(repo, ref);
    pthread_mutex_lock(&lock);
    for (entry_t *e = live ? buckets[h % MCACHE_BUCKETS] : NULL; e != NULL; e = e->next) {
        if (matches(e, h, repo, ref) && now - e->stored <= MCACHE_TTL_S) {
            *size = e->blob_size;
            snprintf(key, key_size, "%s", e->media_type);
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

void
mcache_blob_put(const char *repo, const char *digest, int64_t size, const char *key, uint64_t seen)
{
    char ref[DIGEST_STR_MAX + 1];
    uint64_t h;
    entry_t *e;

    snprintf(ref, sizeof(ref), "@%s", digest);
    h = hash_key(repo, ref);
    e = calloc(1, sizeof(*e));
    if (e == NULL || strlen(repo) + strlen(ref) + 2 > sizeof(e->key) ||
        strlen(key) >= sizeof(e->media_type)) {
        free(e);
        return;
    }
    e->hash = h;
    e->stored = time(NULL);
    e->repo_len = strlen(repo);
    memcpy(e->key, repo, e->repo_len + 1);
    memcpy(e->key + e->repo_len + 1, ref, strlen(ref) + 1);
    snprintf(e->digest, sizeof(e->digest), "%s", digest);
    snprintf(e->media_type, sizeof(e->media_type), "%s", key);
    e->blob_size = size;
    insert(e, seen);
}
