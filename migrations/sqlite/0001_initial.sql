-- Portable SQL on purpose: integers for times (unix seconds), TEXT for JSON, so the PostgreSQL
-- migrations can mirror this file line by line.

CREATE TABLE sources (
    name                 TEXT PRIMARY KEY,
    kind                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    reliability          REAL NOT NULL DEFAULT 0.8,
    last_run_at          BIGINT,
    last_ok_at           BIGINT,
    last_status          TEXT,
    last_error           TEXT,
    items_seen           BIGINT NOT NULL DEFAULT 0,
    items_new            BIGINT NOT NULL DEFAULT 0,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    next_run_at          BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    url           TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    lang          TEXT NOT NULL,
    published_at  BIGINT NOT NULL,
    fetched_at    BIGINT NOT NULL,
    content_hash  TEXT NOT NULL
);
CREATE INDEX documents_source ON documents (source);

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    crm_id      TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    aliases     TEXT NOT NULL DEFAULT '[]',
    inn         TEXT,
    ogrn        TEXT,
    domain      TEXT,
    ticker      TEXT,
    country     TEXT,
    region      TEXT,
    industry    TEXT,
    employees   BIGINT,
    segment     TEXT,
    owner       TEXT,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    document_id     BIGINT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    confidence      REAL NOT NULL,
    evidence        TEXT NOT NULL,
    evidence_start  BIGINT NOT NULL,
    evidence_end    BIGINT NOT NULL,
    cue             TEXT NOT NULL,
    mentions        TEXT NOT NULL DEFAULT '[]',
    amounts         TEXT NOT NULL DEFAULT '[]',
    detected_at     BIGINT NOT NULL
);
CREATE INDEX events_document ON events (document_id);
CREATE INDEX events_kind ON events (kind);

CREATE TABLE event_accounts (
    event_id          BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role              TEXT NOT NULL,
    match_confidence  REAL NOT NULL,
    matched_as        TEXT NOT NULL,
    PRIMARY KEY (event_id, account_id)
);
CREATE INDEX event_accounts_account ON event_accounts (account_id);

CREATE TABLE readiness (
    account_id   BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    score        BIGINT NOT NULL,
    band         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    computed_at  BIGINT NOT NULL
);
CREATE INDEX readiness_score ON readiness (score);
