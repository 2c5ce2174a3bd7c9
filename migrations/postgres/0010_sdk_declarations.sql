-- Case-insensitive `$startsWith`: each searchable text is kept a second time
-- in its simple case folding, computed by Insignia (PostgreSQL's lower()
-- depends on the collation, SQLite's folds ASCII only, and both backends must
-- agree), and the prefix range is read from an index on it. Code-point order
-- (COLLATE "C") makes a prefix one contiguous range. Rows written before this
-- migration are folded by Insignia when it starts.
ALTER TABLE badges ADD COLUMN title_folded TEXT COLLATE "C";
ALTER TABLE badges ADD COLUMN slug_folded TEXT COLLATE "C";
ALTER TABLE badges ADD COLUMN description_folded TEXT COLLATE "C";
-- The text itself rides along in the index: a prefix query also bounds it
-- (by every case of the prefix), and counting a prefix's matches for an
-- offset page then needs no table row.
CREATE INDEX badges_site_title_folded ON badges (site_id, title_folded, title, id);
CREATE INDEX badges_site_slug_folded ON badges (site_id, slug_folded, slug, id);

-- Assignments are listed newest first by default. The holders index
-- (site_pk, badge_id, created_at, id) answers "holders of a badge" read
-- backwards; these answer "assignments of a member" and the whole site the
-- same way, so every first page is one index range.
CREATE INDEX badge_assignments_member_created ON badge_assignments (site_pk, member_id, created_at, id);
CREATE INDEX badge_assignments_site_created ON badge_assignments (site_pk, created_at, id);
