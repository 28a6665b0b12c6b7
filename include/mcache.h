/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcache.h - an in-process cache of manifests by (repository, reference),
 * for manifest GET and HEAD without a database round trip. A reference is a
 * tag or a digest (a digest holds ':', a tag cannot).
 *
 * Tags are mutable, so the cache holds entries only while this gateway is
 * LISTENing on the "berth_manifests" channel: every transaction that moves,
 * deletes or creates a tag, or deletes a manifest or repository, NOTIFYs the
 * repository name, and each gateway drops that repository's entries. While
 * the listening connection is down the cache is empty and unused
 * (DESIGN.md invariant 5). A read that raced with an invalidation is not
 * stored: callers take a sequence number before reading PostgreSQL and pass
 * it to mcache_put.
 */
#ifndef BERTH_MCACHE_H
#define BERTH_MCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "digest.h"

#define MCACHE_CHANNEL "berth_manifests"

typedef struct mcache_hit {
    char digest[DIGEST_STR_MAX];
    char media_type[128];
    char *payload; /* malloc'd copy; the caller frees */
    size_t size;
} mcache_hit_t;

/** Starts the listener thread; the cache fills once it is listening. */
void mcache_start(app_t *app);

/** Stops the listener and empties the cache. */
void mcache_stop(void);

/** Looks up (repo, tag or digest); 1 and a filled `hit` when cached, else 0. */
int mcache_get(const char *repo, const char *tag, mcache_hit_t *hit);

/** The invalidation sequence, to take before reading what will be stored. */
uint64_t mcache_seq(void);

/**
 * Stores a manifest read from PostgreSQL under (repo, tag), unless the cache
 * is off or an invalidation happened since `seq` was taken. Copies everything.
 */
void mcache_put(const char *repo, const char *tag, const char *digest, const char *media_type,
                const void *payload, size_t size, uint64_t seq);

/**
 * Looks up blob `digest` as linked to `repo`: 1 with its size and object key
 * (written into `key`, `key_size` bytes) when cached, else 0. A blob unlink
 * or repository delete NOTIFYs like a tag move.
 */
int mcache_blob_get(const char *repo, const char *digest, int64_t *size, char *key,
                    size_t key_size);

/** Stores a blob lookup read from PostgreSQL; as mcache_put. */
void mcache_blob_put(const char *repo, const char *digest, int64_t size, const char *key,
                     uint64_t seq);

/** Drops the entries of `repo` (this gateway's own writes, at once). */
void mcache_invalidate(const char *repo);

#endif
