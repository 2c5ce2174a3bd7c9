-- The outbox: every change's event, written in the change's transaction.
-- `sites.event_seq` is the last sequence number a site's events took; each
-- write transaction moves it, so a site's numbers are gapless and in
-- commit order. `body` holds the part of the domain event that differs by
-- type (the entity, `originatedFrom`); the rest is composed from columns.
ALTER TABLE sites ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE events (
    site_pk    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    id         BLOB NOT NULL,
    event_type TEXT NOT NULL,
    entity_id  BLOB NOT NULL,
    event_time INTEGER NOT NULL,
    identity   TEXT,
    body       TEXT NOT NULL,
    PRIMARY KEY (site_pk, seq)
) WITHOUT ROWID;
CREATE INDEX events_time ON events (event_time);

-- RS256 key pairs that sign deliveries; every instance signs with the same.
-- The newest unretired key signs new deliveries; a retired key is deleted
-- once no pending delivery names it.
CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    public_pem  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);

-- Webhook subscriptions. `fanout_seq` is the last event of the site turned
-- into deliveries for this subscription.
CREATE TABLE webhooks (
    pk          INTEGER PRIMARY KEY,
    site_pk     INTEGER NOT NULL,
    id          BLOB NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    event_types TEXT NOT NULL,
    status      TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    fanout_seq  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX webhooks_site ON webhooks (site_pk, created_at, id);

-- One row per (subscription, event). `order_key` is what deliveries must
-- keep their order within (an entity; a badge and member for the older
-- API's events). A pending row with `lease_until` in the future is being
-- delivered by some instance.
CREATE TABLE webhook_deliveries (
    pk              INTEGER PRIMARY KEY,
    webhook_pk      INTEGER NOT NULL REFERENCES webhooks (pk) ON DELETE CASCADE,
    site_pk         INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    order_key       BLOB NOT NULL,
    key_id          TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    finished_at     INTEGER,
    UNIQUE (webhook_pk, seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, seq) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (webhook_pk, order_key, seq) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (webhook_pk, status, seq);

-- Every attempt: when, the HTTP status (0 when there was no answer), how
-- long it took, and the start of the answer or the error.
CREATE TABLE webhook_attempts (
    delivery_pk INTEGER NOT NULL REFERENCES webhook_deliveries (pk) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    latency_ms  INTEGER NOT NULL,
    response    TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_pk, attempted_at);
