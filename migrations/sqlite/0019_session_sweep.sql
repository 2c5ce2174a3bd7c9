-- Finding the sessions nobody can use any more (the hourly sweep) and the
-- recent revocations (read by every instance when it starts following)
-- without reading every session.
CREATE INDEX refresh_tokens_revoked ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX refresh_tokens_visitors ON refresh_tokens (created_at) WHERE role = 'visitor';
