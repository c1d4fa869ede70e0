-- Issue 4: the CRM's fields on accounts, ambiguous matches, score history and SDR feedback.
-- Dates are ISO text (YYYY-MM-DD), lists JSON text: portable to PostgreSQL line by line.

ALTER TABLE accounts ADD COLUMN crm TEXT NOT NULL DEFAULT 'generic';
ALTER TABLE accounts ADD COLUMN kpp TEXT;
ALTER TABLE accounts ADD COLUMN domains TEXT NOT NULL DEFAULT '[]';
ALTER TABLE accounts ADD COLUMN cik TEXT;
ALTER TABLE accounts ADD COLUMN size TEXT;
ALTER TABLE accounts ADD COLUMN revenue TEXT;
ALTER TABLE accounts ADD COLUMN technologies TEXT NOT NULL DEFAULT '[]';
ALTER TABLE accounts ADD COLUMN last_purchase TEXT;
ALTER TABLE accounts ADD COLUMN contract_end TEXT;
ALTER TABLE accounts ADD COLUMN usage_ratio REAL;
ALTER TABLE accounts ADD COLUMN go_live TEXT;
UPDATE accounts SET domains = '["' || domain || '"]' WHERE domain IS NOT NULL;
CREATE INDEX accounts_inn ON accounts (inn);

-- A mention two accounts share with nothing to tell them apart is attached to both, flagged.
ALTER TABLE event_accounts ADD COLUMN ambiguous BIGINT NOT NULL DEFAULT 0;

-- One row per score change, for the account page's chart.
CREATE TABLE readiness_history (
    id           INTEGER PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    computed_at  BIGINT NOT NULL,
    score        BIGINT NOT NULL,
    band         TEXT NOT NULL
);
CREATE INDEX readiness_history_account ON readiness_history (account_id, computed_at);

-- What SDRs said about an event on an account (scope 'event') or about the account (scope
-- 'account'). An event is also remembered by its document URL, kind and story: a re-crawled,
-- changed document gets new event rows, and the verdict must still hold for them. The factors at
-- the time are kept so weights can be learned from feedback later. The latest verdict on the same
-- event (or account) is the one that counts.
CREATE TABLE feedback (
    id          INTEGER PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    event_id    BIGINT,
    url         TEXT,
    kind        TEXT,
    story_id    BIGINT,
    verdict     TEXT NOT NULL,
    author      TEXT,
    note        TEXT,
    source      TEXT,
    factors     TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE INDEX feedback_account ON feedback (account_id);
