-- Admin page sign-ins. Both tables hold only SHA-256 hashes of their
-- secrets (256 random bits each), so a database dump signs nobody in, and
-- every instance on one database shares them.

-- A signed-in browser. `key_id` names the API key it signed in with (the
-- session ends when that key is revoked); NULL for a one-time link made by
-- `insignia admin login-link`. `scopes` are the key's scopes at sign-in.
CREATE TABLE admin_sessions (
    token_hash BYTEA PRIMARY KEY,
    site_id    BYTEA NOT NULL,
    key_id     TEXT,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_site_expiry ON admin_sessions (site_id, expires_at);

-- A one-time sign-in link; deleted when used.
CREATE TABLE admin_login_links (
    token_hash BYTEA PRIMARY KEY,
    site_id    BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_login_links_site_expiry ON admin_login_links (site_id, expires_at);
