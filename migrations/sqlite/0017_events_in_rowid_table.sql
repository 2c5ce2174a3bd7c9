-- The outbox as an ordinary (rowid) table. With 1 KiB pages a WITHOUT ROWID
-- row keeps at most about 230 bytes in its B-tree page and spills the rest
-- to an overflow page of its own. An assignment's created event is about
-- 420 bytes, so every one took a leaf share plus a mostly empty overflow
-- page: three quarters of a bulk load's pages were the outbox's. A rowid
-- table keeps rows of up to about 990 bytes in the leaf, and new rows (the
-- next rowid) fill its right edge page after page. (site_pk, seq) stays the
-- key, now as an index of small entries that also grows at its right edge.
CREATE TABLE events_rowid (
    site_pk    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    id         BLOB NOT NULL,
    event_type TEXT NOT NULL,
    entity_id  BLOB NOT NULL,
    event_time INTEGER NOT NULL,
    identity   TEXT,
    body       TEXT NOT NULL,
    PRIMARY KEY (site_pk, seq)
);
INSERT INTO events_rowid (site_pk, seq, id, event_type, entity_id, event_time, identity, body)
    SELECT site_pk, seq, id, event_type, entity_id, event_time, identity, body FROM events ORDER BY event_time, site_pk, seq;
DROP TABLE events;
ALTER TABLE events_rowid RENAME TO events;
CREATE INDEX events_time ON events (event_time);
