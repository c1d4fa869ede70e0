-- Conditional GET: the validators of the last good response per URL. A 304 then costs no parsing.
CREATE TABLE http_validators (
    url            TEXT PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    updated_at     BIGINT NOT NULL
);
