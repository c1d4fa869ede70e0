-- Outbound webhooks: subscriptions, a durable outbox written in the same transaction as the change
-- that causes each message, and a log of every delivery attempt. Outbox times are milliseconds
-- (delivery latency is measured in them).
CREATE TABLE webhooks (
    id                INTEGER PRIMARY KEY,
    url               TEXT NOT NULL,
    format            TEXT NOT NULL,
    -- JSON arrays; empty means any.
    event_types       TEXT NOT NULL DEFAULT '[]',
    kinds             TEXT NOT NULL DEFAULT '[]',
    bands             TEXT NOT NULL DEFAULT '[]',
    min_readiness     BIGINT,
    segment           TEXT,
    -- Adapter options (HubSpot event name, the environment variable holding a CRM token).
    options           TEXT NOT NULL DEFAULT '{}',
    secret            TEXT NOT NULL,
    old_secret        TEXT,
    old_secret_until  BIGINT,
    paused            BIGINT NOT NULL DEFAULT 0,
    disabled_at       BIGINT,
    disabled_reason   TEXT,
    created_at        BIGINT NOT NULL
);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    -- The `webhook-id` header: stable across retries, the receiver's idempotency key.
    msg_id           TEXT NOT NULL UNIQUE,
    webhook_id       BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    -- Messages with one key (an account) are delivered in order.
    order_key        TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_ms       BIGINT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT NOT NULL,
    last_error       TEXT,
    delivered_ms     BIGINT,
    lease_owner      TEXT,
    lease_until_ms   BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);
CREATE INDEX outbox_order ON outbox (webhook_id, order_key, status, id);

CREATE TABLE deliveries (
    id                INTEGER PRIMARY KEY,
    outbox_id         BIGINT NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    webhook_id        BIGINT NOT NULL,
    attempt           BIGINT NOT NULL,
    at_ms             BIGINT NOT NULL,
    status_code       BIGINT,
    latency_ms        BIGINT NOT NULL,
    outcome           TEXT NOT NULL,
    error             TEXT,
    response_excerpt  TEXT
);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);

-- API tokens: only a SHA-256 of each token is kept; the token is shown once, at creation.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
-- The worker takes pending messages in id order.
CREATE INDEX outbox_pending ON outbox (status, id);
