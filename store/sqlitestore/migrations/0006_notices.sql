-- The outbox of customer notices: each is stored in the transaction of the
-- change that causes it, once per idempotency key, then claimed, delivered
-- and marked by a worker. And the secrets every instance signs with (the
-- notices' wait/cancel links). Times are unix microseconds, UTC.
CREATE TABLE notices (
    id             TEXT PRIMARY KEY,             -- time-ordered (UUIDv7)
    notice_key     TEXT NOT NULL UNIQUE,         -- idempotency key
    kind           TEXT NOT NULL,
    shop_id        TEXT NOT NULL,
    order_id       TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    fulfillment_id TEXT NOT NULL DEFAULT '',
    payload        TEXT NOT NULL DEFAULT 'null', -- JSON
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sending', 'sent', 'skipped')),
    channel        TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT '',
    claim_token    TEXT NOT NULL DEFAULT '',
    claimed_until  INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    sent_at        INTEGER
) STRICT;

CREATE INDEX notices_order ON notices (order_id, id);
CREATE INDEX notices_status ON notices (status, id);

CREATE TABLE app_secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
