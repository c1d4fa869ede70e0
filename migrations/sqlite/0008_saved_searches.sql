-- Saved searches: a marketer's search (its query string, as /search takes it) kept by name; each
-- has an Atom feed of the newest matching events. `feed_key` is a random part of the feed's
-- address, so a feed reader can poll it without a session.
CREATE TABLE saved_searches (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,
    feed_key    TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
