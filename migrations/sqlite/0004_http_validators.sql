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

-- Job postings of job-board sources, to follow an account's hiring over time: first and last
-- seen, and when a posting left the board.
CREATE TABLE postings (
    id             INTEGER PRIMARY KEY,
    source         TEXT NOT NULL,
    url            TEXT NOT NULL,
    account_id     BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    title          TEXT NOT NULL,
    first_seen_at  BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    closed_at      BIGINT,
    UNIQUE (source, url)
);
CREATE INDEX postings_account ON postings (account_id, first_seen_at);

-- Technographics: technologies seen in an account's postings, with first and last seen.
CREATE TABLE account_technologies (
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    source         TEXT NOT NULL,
    first_seen_at  BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);
