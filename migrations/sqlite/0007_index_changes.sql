-- The search index follows the database through this change log: every transaction that adds,
-- replaces or removes events writes their ids here, and the one process that holds the index
-- writer replays the log past its cursor (kept in the index's own commit, so the index and its
-- cursor never disagree). Workers that crawl without an index only write rows.
-- AUTOINCREMENT: a sequence number is never reused, even after old rows are pruned.
CREATE TABLE index_changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id  BIGINT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX index_changes_at ON index_changes (at);
