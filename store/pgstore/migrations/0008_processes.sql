-- The registry of running orderhub processes and the claimant of each
-- claimed receipt. Times are unix microseconds, UTC.

-- One row per process that works jobs. It renews its lease every second or
-- so; once lease_until has passed, the process is dead or cut off from the
-- database, and any live process takes back what it held: the receipts it
-- claimed and the River jobs it was running (river_job.attempted_by names
-- this id, which is also the process's River client id). A graceful stop
-- ends the lease at once. Lapsed rows are deleted after a day.
CREATE TABLE processes (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    lease_until  BIGINT NOT NULL
);

-- The process holding a claimed receipt; '' when it is not claimed, or was
-- claimed by no registered process (its claim then waits out its lease). A
-- failure or a replay clears it; a processed receipt keeps it, to say who
-- processed it.
ALTER TABLE webhook_receipts ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';

-- Only receipts in flight are indexed: what a lapsed process held is found
-- without a scan, and intake pays nothing for it.
CREATE INDEX webhook_receipts_claimed ON webhook_receipts (claimed_by)
    WHERE claimed_by <> '' AND status IN ('pending', 'failed');
