-- 003_gc_links.sql: deleting a manifest queues its blobs' links for review.
-- A gc_queue row with repository_id set asks the worker to unlink digest from that
-- repository once no manifest of the repository references it and the link was not
-- made again after the row was queued (repository_blobs.created_at is refreshed
-- whenever a push or mount links the blob again); the row then becomes an ordinary
-- blob review. No foreign key: a deleted repository takes its links with it.
ALTER TABLE gc_queue ADD COLUMN repository_id bigint;
CREATE INDEX gc_queue_links ON gc_queue (not_before) WHERE repository_id IS NOT NULL;
