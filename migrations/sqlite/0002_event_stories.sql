-- One story per real-world event: reports of the same kind about the same company (an account it
-- is attached to, or a company name) within a time window share `story_id` (the first report's
-- id). `published_at` is copied from the document so the window lookup needs one index.
ALTER TABLE events ADD COLUMN story_id BIGINT;
ALTER TABLE events ADD COLUMN published_at BIGINT NOT NULL DEFAULT 0;
-- Places the evidence states (JSON array of strings).
ALTER TABLE events ADD COLUMN locations TEXT NOT NULL DEFAULT '[]';
UPDATE events SET story_id = id,
    published_at = (SELECT d.published_at FROM documents d WHERE d.id = events.document_id);
CREATE INDEX events_kind_published ON events (kind, published_at);
CREATE INDEX events_story ON events (story_id);
