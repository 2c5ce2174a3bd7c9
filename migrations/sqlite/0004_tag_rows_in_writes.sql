-- New assignments get their tag rows from the insert's own transaction,
-- written from the values at hand, so an untagged bulk insert no longer runs
-- a trigger program per row. The update trigger still follows tag changes.
DROP TRIGGER badge_assignments_tags_insert;
