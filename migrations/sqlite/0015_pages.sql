-- Protected pages: a path of a site and the badges whose holders may open
-- it (and everything below it). `path` is stored normalised (see
-- `domain::page`), so one page per path is a unique index.
CREATE TABLE pages (
    pk         INTEGER PRIMARY KEY,
    site_id    BLOB NOT NULL,
    id         BLOB NOT NULL,
    revision   INTEGER NOT NULL,
    path       TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX pages_site_id ON pages (site_id, id);
CREATE UNIQUE INDEX pages_site_path ON pages (site_id, path);
CREATE INDEX pages_site_title ON pages (site_id, title, id);
CREATE INDEX pages_site_created ON pages (site_id, created_at, id);
CREATE INDEX pages_site_updated ON pages (site_id, updated_at, id);

-- The badges of each page, in the order the owner listed them. A badge's
-- delete removes its rows here in the same transaction.
CREATE TABLE page_badges (
    site_id  BLOB NOT NULL,
    page_pk  INTEGER NOT NULL REFERENCES pages (pk) ON DELETE CASCADE,
    badge_id BLOB NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (page_pk, badge_id)
) WITHOUT ROWID;
CREATE INDEX page_badges_site_badge ON page_badges (site_id, badge_id, page_pk);
