-- Where imported rows came from, so that a copy run again copies only what
-- is missing: (target site, source, kind, source id) -> target id. `source`
-- names the other side: `wix:<site id>` for a Wix site, `file:<site id>`
-- for an export file imported with fresh ids.
CREATE TABLE transfer_ids (
    site_id   BYTEA NOT NULL,
    source    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    source_id BYTEA NOT NULL,
    target_id BYTEA NOT NULL,
    PRIMARY KEY (site_id, source, kind, source_id)
);

-- Where an interrupted file import continues: the lines committed so far and
-- a SHA-256 of them, so that only the same file (or one that differs only
-- after that point) resumes. Removed when the import completes.
CREATE TABLE transfer_resume (
    site_id BYTEA NOT NULL,
    source  TEXT NOT NULL,
    lines   BIGINT NOT NULL,
    digest  BYTEA NOT NULL,
    PRIMARY KEY (site_id, source)
);
