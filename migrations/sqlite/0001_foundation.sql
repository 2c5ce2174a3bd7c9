-- Server-wide settings, e.g. the secret that signs query cursors.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- API keys are stored only as a SHA-256 hash; `id` is the public handle
-- used by `keys list` and `keys revoke`.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    key_hash   BLOB NOT NULL UNIQUE,
    site_id    BLOB NOT NULL,
    scopes     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- `pk` is a compact internal key for other tables to refer to; `id` is the
-- public GUID. Ids and site ids are 16-byte blobs.
CREATE TABLE badges (
    pk                  INTEGER PRIMARY KEY,
    site_id             BLOB NOT NULL,
    id                  BLOB NOT NULL,
    revision            INTEGER NOT NULL,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    background_color    TEXT NOT NULL,
    text_color          TEXT NOT NULL,
    icon                TEXT,
    permissions_enabled INTEGER NOT NULL,
    slug                TEXT NOT NULL,
    display_order       INTEGER NOT NULL,
    member_count        INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX badges_site_id ON badges (site_id, id);
CREATE UNIQUE INDEX badges_site_slug ON badges (site_id, slug);
CREATE INDEX badges_site_order ON badges (site_id, display_order, id);
CREATE INDEX badges_site_title ON badges (site_id, title, id);
CREATE INDEX badges_site_created ON badges (site_id, created_at, id);
CREATE INDEX badges_site_updated ON badges (site_id, updated_at, id);
