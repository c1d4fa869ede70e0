-- One story per real-world event: reports of the same kind about the same company (an account it
-- is attached to, or a company name) within a time window share `story_id` (the first report's
-- id). `published_at` is copied from the document so the window lookup needs one index.
ALTER TABLE events ADD COLUMN story_id BIGINT;
ALTER TABLE events ADD COLUMN published_at BIGINT NOT NULL DEFAULT 0;
-- The folded name of the first-named company, to merge reports that match no account.
ALTER TABLE events ADD COLUMN story_key TEXT;
-- tech_change: the technologies adopted or left (JSON array of {name, category, role}).
ALTER TABLE events ADD COLUMN technologies TEXT NOT NULL DEFAULT '[]';
-- Places the evidence states (JSON array of strings).
ALTER TABLE events ADD COLUMN locations TEXT NOT NULL DEFAULT '[]';
UPDATE events SET story_id = id,
    published_at = (SELECT d.published_at FROM documents d WHERE d.id = events.document_id);
CREATE INDEX events_kind_key_published ON events (kind, story_key, published_at);
CREATE INDEX events_story ON events (story_id);
-- Kind, publication time and story of the event on each account link, so that finding an
-- account's earlier report of the same kind is one indexed lookup.
ALTER TABLE event_accounts ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE event_accounts ADD COLUMN published_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE event_accounts ADD COLUMN story_id BIGINT;
UPDATE event_accounts SET kind = (SELECT e.kind FROM events e WHERE e.id = event_accounts.event_id),
    published_at = (SELECT e.published_at FROM events e WHERE e.id = event_accounts.event_id),
    story_id = event_id;
CREATE INDEX event_accounts_story_lookup ON event_accounts (account_id, kind, published_at);
