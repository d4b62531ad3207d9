-- Readiness proves the database takes writes by inserting a row about the
-- size of a webhook receipt here and deleting it in the same committed
-- transaction, so the table stays empty. probed_at is unix microseconds,
-- UTC. The pad is stored uncompressed, so the probe writes its full size.
CREATE TABLE write_probes (
    id        TEXT PRIMARY KEY,
    pad       BYTEA NOT NULL,
    probed_at BIGINT NOT NULL
);
ALTER TABLE write_probes ALTER COLUMN pad SET STORAGE EXTERNAL;
