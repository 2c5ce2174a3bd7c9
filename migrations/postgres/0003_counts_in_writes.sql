-- Holder counts are now moved by the statement that follows each
-- assignment write, in the same transaction, once per badge rather than once
-- per row: a bulk insert of 100 rows updates the badge row once, not 100 times.
DROP TRIGGER badge_assignments_count ON badge_assignments;
DROP FUNCTION badge_assignments_count();
