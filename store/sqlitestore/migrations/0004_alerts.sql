-- Alerts raised about orders, one per order and kind, so that an alert is
-- delivered once. Times are unix microseconds, UTC.
CREATE TABLE order_alerts (
    id         TEXT PRIMARY KEY,                 -- time-ordered (UUIDv7)
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    shop_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'sent', 'resolved')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sent_at    INTEGER,
    UNIQUE (order_id, kind)
) STRICT;

CREATE INDEX order_alerts_kind_status ON order_alerts (kind, status, id);
