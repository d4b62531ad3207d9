-- Readiness proves the database takes writes by inserting a row about the
-- size of a webhook receipt here and deleting it in the same committed
-- transaction, so the table stays empty. probed_at is unix microseconds,
-- UTC.
CREATE TABLE write_probes (
    id        TEXT PRIMARY KEY,
    pad       BLOB NOT NULL,
    probed_at INTEGER NOT NULL
) STRICT;
