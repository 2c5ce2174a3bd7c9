-- Sites get a compact integer key: every assignment row and index entry
-- starts with it instead of a 16-byte GUID.
CREATE TABLE sites (
    pk INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE
);

-- One row per (site, member, badge): the primary key is the uniqueness
-- rule, so concurrent duplicate requests still leave exactly one row. The
-- table is clustered on it (WITHOUT ROWID), which makes it the "badges of a
-- member" index too: a load of random member ids updates one random B-tree
-- per row instead of two. Ids are time-ordered (UUIDv7), so the id index and
-- the holders index grow at their right edges. Ids are unique across sites.
-- Tags are kept twice: as JSON for reading back, and in
-- badge_assignment_tags for `$hasSome`/`$hasAll` filters; triggers keep the
-- second copy, and each badge's holder count, in step with every change.
CREATE TABLE badge_assignments (
    site_pk         INTEGER NOT NULL,
    member_id       BLOB NOT NULL,
    badge_id        BLOB NOT NULL,
    id              BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    tags            TEXT,
    private_tags    TEXT,
    extended_fields TEXT,
    PRIMARY KEY (site_pk, member_id, badge_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX badge_assignments_id ON badge_assignments (id);
-- Holders of a badge in the default order (oldest first).
CREATE INDEX badge_assignments_badge_created ON badge_assignments (site_pk, badge_id, created_at, id);

CREATE TABLE badge_assignment_tags (
    assignment_id BLOB NOT NULL REFERENCES badge_assignments (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    tag           TEXT NOT NULL,
    PRIMARY KEY (assignment_id, kind, tag)
) WITHOUT ROWID;

-- Holder counts change in the statement that changes the assignments, so
-- they are exact in every transaction and cost nothing to read.
CREATE TRIGGER badge_assignments_count_insert AFTER INSERT ON badge_assignments
BEGIN
    UPDATE badges SET member_count = member_count + 1
     WHERE site_id = (SELECT id FROM sites WHERE pk = NEW.site_pk) AND id = NEW.badge_id;
END;

CREATE TRIGGER badge_assignments_count_delete AFTER DELETE ON badge_assignments
BEGIN
    UPDATE badges SET member_count = member_count - 1
     WHERE site_id = (SELECT id FROM sites WHERE pk = OLD.site_pk) AND id = OLD.badge_id;
END;

CREATE TRIGGER badge_assignments_tags_insert AFTER INSERT ON badge_assignments
WHEN NEW.tags IS NOT NULL OR NEW.private_tags IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO badge_assignment_tags (assignment_id, kind, tag)
        SELECT NEW.id, 'public', value FROM json_each(NEW.tags)
        UNION ALL
        SELECT NEW.id, 'private', value FROM json_each(NEW.private_tags);
END;

CREATE TRIGGER badge_assignments_tags_update AFTER UPDATE OF tags, private_tags ON badge_assignments
BEGIN
    DELETE FROM badge_assignment_tags WHERE assignment_id = NEW.id;
    INSERT OR IGNORE INTO badge_assignment_tags (assignment_id, kind, tag)
        SELECT NEW.id, 'public', value FROM json_each(NEW.tags)
        UNION ALL
        SELECT NEW.id, 'private', value FROM json_each(NEW.private_tags);
END;

-- Bulk operations that run as jobs (update tags by filter).
CREATE TABLE jobs (
    site_pk     INTEGER NOT NULL,
    id          BLOB NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    succeeded   INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (site_pk, id)
);
