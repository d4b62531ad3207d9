-- A customer's answer to a backorder notice is recorded on the backorder,
-- with who gave it and when, so the notice's wait/cancel links stop acting
-- once it is given: "waiting" alone did not say the choice was made, and a
-- filled or cancelled backorder kept no trace of it. Backorders already
-- waiting were decided (wait) when they moved there.
--
-- And the key that signs those links can be rotated: the key it replaced
-- is kept, with the time it was retired, so links already sent keep
-- working for a configured window. Times are unix microseconds, UTC.
ALTER TABLE backorders ADD COLUMN decision TEXT NOT NULL DEFAULT ''
    CHECK (decision IN ('', 'wait', 'cancel'));
ALTER TABLE backorders ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE backorders ADD COLUMN decided_at BIGINT;

UPDATE backorders SET decision = 'wait', decided_at = updated_at WHERE status = 'waiting';

ALTER TABLE app_secrets ADD COLUMN previous BYTEA;
ALTER TABLE app_secrets ADD COLUMN retired_at BIGINT;
