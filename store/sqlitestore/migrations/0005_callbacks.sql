-- Source callbacks (3PL, label provider and supplier reports), recorded once
-- per sender and event id in the transaction that applies them, and the
-- lookups that map a callback to its fulfillment. Times are unix
-- microseconds, UTC.
CREATE TABLE source_callbacks (
    source         TEXT NOT NULL,               -- shipbob, easypost, shippo, supplier
    source_id      TEXT NOT NULL,               -- provider or supplier id
    event_id       TEXT NOT NULL,
    topic          TEXT NOT NULL DEFAULT '',
    fulfillment_id TEXT NOT NULL DEFAULT '',
    received_at    INTEGER NOT NULL,
    PRIMARY KEY (source, source_id, event_id)
) STRICT;

CREATE INDEX fulfillments_external_id ON fulfillments (external_id) WHERE external_id <> '';
CREATE INDEX fulfillments_tracking_number ON fulfillments (tracking_number) WHERE tracking_number <> '';
