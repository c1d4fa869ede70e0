-- Near-duplicates: each document's fingerprints (SimHash of its body's word trigrams, 0 for
-- short bodies; hash of its folded words), so the recent ones can be loaded into memory.
ALTER TABLE documents ADD COLUMN simhash BIGINT;
ALTER TABLE documents ADD COLUMN words_hash BIGINT;
CREATE INDEX documents_fetched ON documents (fetched_at);

-- A syndicated story is one document with several sources: every further copy (another URL,
-- another source) is kept here, pointing to the stored document.
CREATE TABLE document_sources (
    url           TEXT PRIMARY KEY,
    document_id   BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    title         TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    published_at  BIGINT NOT NULL,
    seen_at       BIGINT NOT NULL
);
CREATE INDEX document_sources_document ON document_sources (document_id);
CREATE INDEX document_sources_source ON document_sources (source);

-- Leases: a process takes a due source before crawling it, so two processes (or two workers on
-- one PostgreSQL later) never crawl the same source at once; a lease whose holder died expires.
ALTER TABLE sources ADD COLUMN lease_owner TEXT;
ALTER TABLE sources ADD COLUMN lease_until BIGINT;
-- Whether a source file defines the source now (and enables it): only active sources are leased.
ALTER TABLE sources ADD COLUMN active BIGINT NOT NULL DEFAULT 1;
CREATE INDEX sources_due ON sources (next_run_at);
