-- Server-wide settings, e.g. the secret that signs query cursors.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- API keys are stored only as a SHA-256 hash; `id` is the public handle
-- used by `keys list` and `keys revoke`.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    key_hash   BYTEA NOT NULL UNIQUE,
    site_id    BYTEA NOT NULL,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- `pk` is a compact internal key for other tables to refer to; `id` is the
-- public GUID. Ids and site ids are 16-byte blobs. Text sorts by code point
-- (COLLATE "C"), as SQLite does, so both backends return the same order.
CREATE TABLE badges (
    pk                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id             BYTEA NOT NULL,
    id                  BYTEA NOT NULL,
    revision            BIGINT NOT NULL,
    title               TEXT COLLATE "C" NOT NULL,
    description         TEXT COLLATE "C" NOT NULL,
    background_color    TEXT NOT NULL,
    text_color          TEXT NOT NULL,
    icon                TEXT,
    permissions_enabled BIGINT NOT NULL,
    slug                TEXT COLLATE "C" NOT NULL,
    display_order       BIGINT NOT NULL,
    member_count        BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX badges_site_id ON badges (site_id, id);
CREATE UNIQUE INDEX badges_site_slug ON badges (site_id, slug);
CREATE INDEX badges_site_order ON badges (site_id, display_order, id);
CREATE INDEX badges_site_title ON badges (site_id, title, id);
CREATE INDEX badges_site_created ON badges (site_id, created_at, id);
CREATE INDEX badges_site_updated ON badges (site_id, updated_at, id);
