-- The registry of running processes, and taking back what lapsed ones held.
-- SQLite statements, named as in pgstore/queries/processes.sql. Parameters
-- are $N; times are unix microseconds.
--
-- The River statements touch river_job as River's own rescuer does
-- (riversqlite JobRescue, River v0.51.2): attempted_by and errors are JSON
-- arrays (stored as JSONB), metadata a JSON object, times text in
-- '%Y-%m-%d %H:%M:%f' UTC, and unique_states a bitmask with available at
-- bit 0 and running at bit 6. A job's holder is the last element of its
-- attempted_by, the client id of the process that fetched it last. Values
-- River did not write (text that is not JSON) are left alone.

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
UPDATE processes SET lease_until = CASE WHEN lease_until < $2 THEN lease_until ELSE $2 END
WHERE id = $1

-- name: ProcessesList
SELECT id, host, pid, started_at, heartbeat_at, lease_until FROM processes ORDER BY started_at, id

-- name: ProcessesAnyToReclaim
-- Whether ProcessesReclaimReceipts, ProcessesReclaimJobs or ProcessesForget
-- would change anything, read without taking the write lock: $1 is the
-- time leases are judged at, $2 the reclaiming process, $3 the forget
-- horizon.
SELECT CASE WHEN EXISTS (
    SELECT 1 FROM webhook_receipts
    WHERE claimed_by <> '' AND status IN ('pending', 'failed') AND next_attempt_at > $1
      AND claimed_by IN (SELECT id FROM processes WHERE lease_until <= $1 AND id <> $2)
) OR EXISTS (
    SELECT 1 FROM river_job
    WHERE state = 'running'
      AND CASE WHEN typeof(attempted_by) = 'text' AND NOT json_valid(attempted_by) THEN NULL
               ELSE json_extract(attempted_by, '$[#-1]') END
          IN (SELECT id FROM processes WHERE lease_until <= $1 AND id <> $2)
      AND NOT (unique_key IS NOT NULL AND unique_states IS NOT NULL
               AND unique_states & (1 << 6) = 0 AND unique_states & (1 << 0) <> 0)
) OR EXISTS (
    SELECT 1 FROM processes WHERE lease_until <= $3 AND id <> $2
) THEN 1 ELSE 0 END

-- name: ProcessesReclaimReceipts
-- A receipt a lapsed process still holds back (its claim's lease has not
-- run out) is due again as of when it came in, so it keeps its place in
-- the queue. claimed_by stays, naming the lapsed claimant, until a live
-- process claims it.
UPDATE webhook_receipts
SET next_attempt_at = received_at
WHERE claimed_by <> '' AND status IN ('pending', 'failed') AND next_attempt_at > $1
  AND claimed_by IN (SELECT id FROM processes WHERE lease_until <= $1 AND id <> $2)
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
        WHEN CASE WHEN typeof(metadata) = 'text' AND NOT json_valid(metadata) THEN NULL
                  ELSE json_type(metadata, '$.cancel_attempted_at') END IS NOT NULL THEN 'cancelled'
        WHEN attempt >= max_attempts THEN 'discarded'
        ELSE 'available' END,
    finalized_at = CASE
        WHEN CASE WHEN typeof(metadata) = 'text' AND NOT json_valid(metadata) THEN NULL
                  ELSE json_type(metadata, '$.cancel_attempted_at') END IS NOT NULL
             OR attempt >= max_attempts
        THEN strftime('%Y-%m-%d %H:%M:%f', $1 / 1000000.0, 'unixepoch') END,
    errors = CASE
        WHEN typeof(errors) = 'text' AND NOT json_valid(errors)
        THEN jsonb(json_array(errors, json_object('at', $3, 'attempt', attempt,
            'error', 'reclaimed: process ' || json_extract(attempted_by, '$[#-1]') || ' stopped renewing its lease', 'trace', '')))
        WHEN coalesce(json_type(errors), 'array') <> 'array'
        THEN jsonb(json_array(json(errors), json_object('at', $3, 'attempt', attempt,
            'error', 'reclaimed: process ' || json_extract(attempted_by, '$[#-1]') || ' stopped renewing its lease', 'trace', '')))
        ELSE jsonb(json_insert(json(coalesce(errors, jsonb('[]'))), '$[#]', json_object('at', $3, 'attempt', attempt,
            'error', 'reclaimed: process ' || json_extract(attempted_by, '$[#-1]') || ' stopped renewing its lease', 'trace', '')))
        END,
    metadata = CASE
        WHEN typeof(metadata) = 'text' AND NOT json_valid(metadata) THEN metadata
        ELSE jsonb_set(metadata, '$."river:rescue_count"',
            coalesce(CASE json_type(metadata, '$."river:rescue_count"')
                         WHEN 'integer' THEN json_extract(metadata, '$."river:rescue_count"')
                         WHEN 'real' THEN json_extract(metadata, '$."river:rescue_count"') END, 0) + 1)
        END
WHERE state = 'running'
  AND CASE WHEN typeof(attempted_by) = 'text' AND NOT json_valid(attempted_by) THEN NULL
           ELSE json_extract(attempted_by, '$[#-1]') END
      IN (SELECT id FROM processes WHERE lease_until <= $1 AND id <> $2)
  AND NOT (unique_key IS NOT NULL AND unique_states IS NOT NULL
           AND unique_states & (1 << 6) = 0 AND unique_states & (1 << 0) <> 0)
RETURNING id, kind, json_extract(attempted_by, '$[#-1]'), state

-- name: ProcessesForget
DELETE FROM processes WHERE lease_until <= $1 AND id <> $2
