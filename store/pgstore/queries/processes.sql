-- The registry of running processes, and taking back what lapsed ones held.
-- PostgreSQL statements, named as in sqlitestore/queries/processes.sql.
-- Parameters are $N; times are unix microseconds.
--
-- The River statements touch river_job as River's own rescuer does
-- (riverpgxv5 JobRescueMany, River v0.51.2): attempted_by is text[],
-- errors jsonb[], metadata jsonb, state the river_job_state enum, and
-- unique_states a BIT(8) with available at get_bit 7 and running at get_bit
-- 1. A job's holder is the last element of its attempted_by, the client id
-- of the process that fetched it last. Rows another transaction has locked
-- (River completing or fetching them, another process reclaiming) are
-- skipped: the next pass sees them.

-- name: ProcessesRegister
INSERT INTO processes (id, host, pid, started_at, heartbeat_at, lease_until)
VALUES ($1, $2, $3, $4, $4, $5)
ON CONFLICT (id) DO UPDATE
SET host = excluded.host, pid = excluded.pid, heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until
RETURNING id, host, pid, started_at, heartbeat_at, lease_until

-- name: ProcessesRenew
UPDATE processes SET heartbeat_at = $2, lease_until = $3 WHERE id = $1
RETURNING id, host, pid, started_at, heartbeat_at, lease_until

-- name: ProcessesEnd
-- Ending never extends a lease.
UPDATE processes SET lease_until = LEAST(lease_until, $2::bigint) WHERE id = $1

-- name: ProcessesList
SELECT id, host, pid, started_at, heartbeat_at, lease_until FROM processes ORDER BY started_at, id

-- name: ProcessesAnyToReclaim
-- Whether ProcessesReclaimReceipts, ProcessesReclaimJobs or ProcessesForget
-- would change anything, read without locking: $1 is the time leases are
-- judged at, $2 the reclaiming process, $3 the forget horizon.
SELECT CASE WHEN EXISTS (
    SELECT 1 FROM webhook_receipts
    WHERE claimed_by <> '' AND status IN ('pending', 'failed') AND next_attempt_at > $1::bigint
      AND claimed_by IN (SELECT id FROM processes WHERE lease_until <= $1::bigint AND id <> $2::text)
) OR EXISTS (
    SELECT 1 FROM river_job
    WHERE state = 'running'
      AND attempted_by[cardinality(attempted_by)] IN (SELECT id FROM processes WHERE lease_until <= $1::bigint AND id <> $2::text)
      AND NOT (unique_key IS NOT NULL AND unique_states IS NOT NULL
               AND get_bit(unique_states, 1) = 0 AND get_bit(unique_states, 7) = 1)
) OR EXISTS (
    SELECT 1 FROM processes WHERE lease_until <= $3::bigint AND id <> $2::text
) THEN 1 ELSE 0 END

-- name: ProcessesReclaimReceipts
-- A receipt a lapsed process still holds back (its claim's lease has not
-- run out) is due again as of when it came in, so it keeps its place in
-- the queue. claimed_by stays, naming the lapsed claimant, until a live
-- process claims it.
UPDATE webhook_receipts
SET next_attempt_at = received_at
WHERE id IN (
    SELECT id FROM webhook_receipts
    WHERE claimed_by <> '' AND status IN ('pending', 'failed') AND next_attempt_at > $1::bigint
      AND claimed_by IN (SELECT id FROM processes WHERE lease_until <= $1::bigint AND id <> $2::text)
    FOR UPDATE SKIP LOCKED)
RETURNING id, claimed_by

-- name: ProcessesReclaimJobs
-- A running job whose holder lapsed goes back to available at its old
-- scheduled_at, or to discarded when it had used its last attempt, or to
-- cancelled when cancelling it had been asked: River's rescuer decides the
-- same. The rescue is appended to errors as a River AttemptError ($3 is
-- its time, RFC 3339) and counted in metadata's river:rescue_count. A
-- unique job is left to River's rescuer when being available would take a
-- uniqueness running did not (available in its unique states, running
-- not), since another job may hold it.
UPDATE river_job
SET state = CASE
        WHEN metadata -> 'cancel_attempted_at' IS NOT NULL THEN 'cancelled'::river_job_state
        WHEN attempt >= max_attempts THEN 'discarded'::river_job_state
        ELSE 'available'::river_job_state END,
    finalized_at = CASE
        WHEN metadata -> 'cancel_attempted_at' IS NOT NULL OR attempt >= max_attempts
        THEN to_timestamp($1::bigint / 1000000.0::float8) END,
    errors = array_append(errors, jsonb_build_object('at', $3::text, 'attempt', attempt,
        'error', 'reclaimed: process ' || attempted_by[cardinality(attempted_by)] || ' stopped renewing its lease', 'trace', '')),
    metadata = metadata || jsonb_build_object('river:rescue_count',
        coalesce(CASE WHEN jsonb_typeof(metadata -> 'river:rescue_count') = 'number'
                      THEN (metadata ->> 'river:rescue_count')::numeric::int END, 0) + 1)
WHERE id IN (
    SELECT id FROM river_job
    WHERE state = 'running'
      AND attempted_by[cardinality(attempted_by)] IN (SELECT id FROM processes WHERE lease_until <= $1::bigint AND id <> $2::text)
      AND NOT (unique_key IS NOT NULL AND unique_states IS NOT NULL
               AND get_bit(unique_states, 1) = 0 AND get_bit(unique_states, 7) = 1)
    FOR UPDATE SKIP LOCKED)
RETURNING id, kind, attempted_by[cardinality(attempted_by)], state::text

-- name: ProcessesForget
DELETE FROM processes WHERE lease_until <= $1 AND id <> $2
