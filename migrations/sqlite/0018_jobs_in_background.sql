-- update-tags-by-filter runs as a background job: the row holds everything
-- the runner needs to go on after a restart. `filter_json` is the
-- query-language JSON as the client sent it (parsed again for each batch);
-- the four tag columns are the change, stored like an assignment's tags (a
-- JSON array, or NULL when empty); `identity` is the caller's, for the
-- events of every batch; `after_id` is the keyset cursor, the id of the
-- last assignment a committed batch looked at (NULL before the first).
ALTER TABLE jobs ADD COLUMN filter_json TEXT;
ALTER TABLE jobs ADD COLUMN add_tags TEXT;
ALTER TABLE jobs ADD COLUMN add_private_tags TEXT;
ALTER TABLE jobs ADD COLUMN remove_tags TEXT;
ALTER TABLE jobs ADD COLUMN remove_private_tags TEXT;
ALTER TABLE jobs ADD COLUMN identity TEXT;
ALTER TABLE jobs ADD COLUMN after_id BLOB;

-- Runs cut short before this version kept no cursor and cannot go on.
UPDATE jobs SET status = 'FAILED' WHERE status = 'IN_PROGRESS';

-- The runner's question: the oldest unfinished job.
CREATE INDEX jobs_unfinished ON jobs (created_at) WHERE status = 'IN_PROGRESS';
