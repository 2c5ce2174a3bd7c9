-- Assignment tables grow in large bulk loads. Re-analyze them after 2% of
-- their rows change (PostgreSQL's default is 10%), so the planner soon knows
-- a badge has many holders and reads them in index order instead of
-- collecting and sorting them all.
ALTER TABLE badge_assignments SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
ALTER TABLE badge_assignment_tags SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
