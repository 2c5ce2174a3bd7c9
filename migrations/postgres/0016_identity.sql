-- Front-end identities: OAuth clients, refresh tokens, delegated assignment.
-- The key that signs access tokens lives in `settings` (every instance on
-- one database signs and checks with it).

-- A site's public OAuth client (no secret, as in the SDK's OAuthStrategy).
-- `origins` (space-separated) are the browser origins its pages run on.
CREATE TABLE oauth_clients (
    id         TEXT PRIMARY KEY,
    site_id    BYTEA NOT NULL,
    origins    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oauth_clients_site ON oauth_clients (site_id, created_at);

-- One front-end session: the refresh token's SHA-256 (never the token),
-- the session id access tokens carry, and who it stands for (a visitor id
-- or a member id). Never rotated; revoked by sign-out.
CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    id         TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    site_id    BYTEA NOT NULL,
    role       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX refresh_tokens_id ON refresh_tokens (id);
CREATE INDEX refresh_tokens_subject ON refresh_tokens (site_id, subject);

-- Delegated assignment: holders of `assigner_badge_id` may assign and
-- unassign `badge_id`. A badge's delete removes its rows on both sides.
CREATE TABLE badge_delegations (
    site_id           BYTEA NOT NULL,
    badge_id          BYTEA NOT NULL,
    assigner_badge_id BYTEA NOT NULL,
    position          BIGINT NOT NULL,
    PRIMARY KEY (site_id, badge_id, assigner_badge_id)
);
CREATE INDEX badge_delegations_assigner ON badge_delegations (site_id, assigner_badge_id);
