-- Conditional GET: the validators of the last good response per URL. A 304 then costs no parsing.
CREATE TABLE http_validators (
    url            TEXT PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    updated_at     BIGINT NOT NULL
);

-- Events of a source's first crawl describe the past, not news: stored and indexed, marked
-- baseline, and (webhooks issue) never sent as fresh triggers.
ALTER TABLE events ADD COLUMN baseline BIGINT NOT NULL DEFAULT 0;
