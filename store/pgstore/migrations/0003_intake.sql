-- The webhook inbox and the reconciliation cursors. Times are unix
-- microseconds, UTC.

-- One row per accepted webhook delivery (or per order version a
-- reconciliation pass found). The row is the durable inbox: the intake
-- writes it before answering 2xx, and the drain job moves it to processed,
-- or to failed (retried at next_attempt_at) and finally dead.
CREATE TABLE webhook_receipts (
    id              TEXT PRIMARY KEY,              -- time-ordered (UUIDv7)
    platform        TEXT NOT NULL,
    shop_id         TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL,
    topic           TEXT NOT NULL DEFAULT '',
    headers         TEXT NOT NULL DEFAULT '{}',    -- the delivery headers kept, as a JSON object
    body            BYTEA NOT NULL,                 -- the raw body, byte for byte
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'failed', 'processed', 'dead')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL DEFAULT '',
    order_id        TEXT NOT NULL DEFAULT '',
    received_at     BIGINT NOT NULL,
    triggered_at    BIGINT,
    processed_at    BIGINT,
    UNIQUE (platform, shop_id, dedupe_key)
);

-- The drain claims due receipts oldest first; only unfinished ones are
-- indexed, so the index stays as small as the backlog.
CREATE INDEX webhook_receipts_due ON webhook_receipts (next_attempt_at, id)
    WHERE status IN ('pending', 'failed');
-- Operators list dead letters; other statuses are listed rarely enough to
-- scan, so inserts do not pay for a status index.
CREATE INDEX webhook_receipts_dead ON webhook_receipts (id) WHERE status = 'dead';

-- Whether a drain job is on its way. A receipt that finds armed 0 sets it
-- to 1 and enqueues one drain job; every other receipt enqueues nothing. The
-- drain job sets it back to 0 in the transaction that finds nothing due.
CREATE TABLE webhook_drain (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    armed BIGINT NOT NULL DEFAULT 0
);

INSERT INTO webhook_drain (id, armed) VALUES (1, 0);

-- Where each shop's last successful reconciliation pass got to: the
-- platform's updated_at of the newest order it saw.
CREATE TABLE reconcile_cursors (
    shop_id    TEXT PRIMARY KEY,
    cursor_at  BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
