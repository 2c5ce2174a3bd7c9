-- Sites get a compact integer key: every assignment row and index entry
-- starts with it instead of a 16-byte GUID.
CREATE TABLE sites (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id BYTEA NOT NULL UNIQUE
);

-- One row per (site, member, badge): the primary key is the uniqueness
-- rule, so concurrent duplicate requests still leave exactly one row, and it
-- serves "badges of a member". Ids are time-ordered (UUIDv7), so the id index
-- and the holders index grow at their right edges. Ids are unique across sites.
-- Tags are kept twice: as JSON for reading back, and in
-- badge_assignment_tags for `$hasSome`/`$hasAll` filters; triggers keep the
-- second copy, and each badge's holder count, in step with every change.
CREATE TABLE badge_assignments (
    site_pk         BIGINT NOT NULL,
    member_id       BYTEA NOT NULL,
    badge_id        BYTEA NOT NULL,
    id              BYTEA NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    tags            TEXT,
    private_tags    TEXT,
    extended_fields TEXT,
    PRIMARY KEY (site_pk, member_id, badge_id)
);
CREATE UNIQUE INDEX badge_assignments_id ON badge_assignments (id);
-- Holders of a badge in the default order (oldest first).
CREATE INDEX badge_assignments_badge_created ON badge_assignments (site_pk, badge_id, created_at, id);

CREATE TABLE badge_assignment_tags (
    assignment_id BYTEA NOT NULL REFERENCES badge_assignments (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    tag           TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (assignment_id, kind, tag)
);

-- Holder counts change in the statement that changes the assignments, so
-- they are exact in every transaction and cost nothing to read.
CREATE FUNCTION badge_assignments_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE badges SET member_count = member_count + 1
         WHERE site_id = (SELECT id FROM sites WHERE pk = NEW.site_pk) AND id = NEW.badge_id;
    ELSE
        UPDATE badges SET member_count = member_count - 1
         WHERE site_id = (SELECT id FROM sites WHERE pk = OLD.site_pk) AND id = OLD.badge_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER badge_assignments_count AFTER INSERT OR DELETE ON badge_assignments
    FOR EACH ROW EXECUTE FUNCTION badge_assignments_count();

CREATE FUNCTION badge_assignments_tags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM badge_assignment_tags WHERE assignment_id = NEW.id;
    END IF;
    INSERT INTO badge_assignment_tags (assignment_id, kind, tag)
        SELECT NEW.id, 'public', t FROM json_array_elements_text(NEW.tags::json) AS t
        UNION ALL
        SELECT NEW.id, 'private', t FROM json_array_elements_text(NEW.private_tags::json) AS t
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER badge_assignments_tags_insert AFTER INSERT ON badge_assignments
    FOR EACH ROW WHEN (NEW.tags IS NOT NULL OR NEW.private_tags IS NOT NULL)
    EXECUTE FUNCTION badge_assignments_tags();
CREATE TRIGGER badge_assignments_tags_update AFTER UPDATE OF tags, private_tags ON badge_assignments
    FOR EACH ROW EXECUTE FUNCTION badge_assignments_tags();

-- Bulk operations that run as jobs (update tags by filter).
CREATE TABLE jobs (
    site_pk     BIGINT NOT NULL,
    id          BYTEA NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    total       BIGINT NOT NULL,
    succeeded   BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (site_pk, id)
);
