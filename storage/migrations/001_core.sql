-- 001_core.sql: repositories, blobs, uploads in flight, manifests, tags.
-- Names and tags use the "C" collation so ORDER BY is the spec's lexical order
-- and keyset pagination (name > $last) walks the same order.

CREATE TABLE repositories (
    id          bigserial PRIMARY KEY,
    name        text COLLATE "C" NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per distinct content digest; object_key says which S3 object holds it.
CREATE TABLE blobs (
    digest      text COLLATE "C" PRIMARY KEY,
    size        bigint NOT NULL CHECK (size >= 0),
    object_key  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Which repositories may serve which blobs (pushed there, or mounted).
CREATE TABLE repository_blobs (
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    digest        text COLLATE "C" NOT NULL REFERENCES blobs (digest),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repository_id, digest)
);
CREATE INDEX repository_blobs_digest ON repository_blobs (digest);

-- An upload in flight. After each request the row holds everything another
-- gateway needs to continue it: offset, multipart id and part ETags, the
-- serialised hash state and the unflushed tail (under 5 MiB).
CREATE TABLE uploads (
    id            uuid PRIMARY KEY,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    object_key    text NOT NULL,
    s3_upload_id  text,
    part_etags    text NOT NULL DEFAULT '',
    "offset"      bigint NOT NULL DEFAULT 0,
    hash_state    bytea NOT NULL,
    tail          bytea NOT NULL DEFAULT ''::bytea,
    lease_token   uuid,
    lease_until   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_updated_at ON uploads (updated_at);

CREATE TABLE manifests (
    id             bigserial PRIMARY KEY,
    repository_id  bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    digest         text COLLATE "C" NOT NULL,
    media_type     text NOT NULL,
    artifact_type  text,
    subject_digest text COLLATE "C",
    annotations    text,
    size           bigint NOT NULL,
    payload        bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (repository_id, digest)
);
CREATE INDEX manifests_subject ON manifests (repository_id, subject_digest, digest)
    WHERE subject_digest IS NOT NULL;

-- Blobs a manifest references (config and layers): they stay while it does.
CREATE TABLE manifest_blobs (
    manifest_id bigint NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    digest      text COLLATE "C" NOT NULL,
    PRIMARY KEY (manifest_id, digest)
);
CREATE INDEX manifest_blobs_digest ON manifest_blobs (digest);

-- Manifests an index references.
CREATE TABLE manifest_children (
    manifest_id  bigint NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    child_digest text COLLATE "C" NOT NULL,
    PRIMARY KEY (manifest_id, child_digest)
);
CREATE INDEX manifest_children_child ON manifest_children (child_digest);

CREATE TABLE tags (
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    name          text COLLATE "C" NOT NULL,
    manifest_id   bigint NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repository_id, name)
);
CREATE INDEX tags_manifest ON tags (manifest_id);

-- Objects that may have become unreferenced; the GC worker re-checks each
-- after not_before and deletes the object and row only if nothing uses it.
CREATE TABLE gc_queue (
    id          bigserial PRIMARY KEY,
    digest      text COLLATE "C",
    object_key  text,
    s3_upload_id text,
    not_before  timestamptz NOT NULL DEFAULT now() + interval '1 hour',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gc_queue_not_before ON gc_queue (not_before);
