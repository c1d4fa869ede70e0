-- A saved search can alert webhooks: a subscription names the saved search it follows (and goes
-- with it). The search remembers up to which index change it has looked for new matches, and
-- which events it has sent, so an event goes out once even when it is stored again.
ALTER TABLE webhooks ADD COLUMN saved_search BIGINT REFERENCES saved_searches (id) ON DELETE CASCADE;
ALTER TABLE saved_searches ADD COLUMN alerted_through BIGINT NOT NULL DEFAULT 0;
CREATE TABLE search_alerts (
    saved_search BIGINT NOT NULL REFERENCES saved_searches (id) ON DELETE CASCADE,
    event_id     BIGINT NOT NULL,
    PRIMARY KEY (saved_search, event_id)
);
