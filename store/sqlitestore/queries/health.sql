-- The readiness write probe. Statements named alike in both dialects.
-- Parameters are $N.

-- name: HealthProbeInsert
INSERT INTO write_probes (id, pad, probed_at) VALUES ($1, $2, $3)

-- name: HealthProbeDelete
DELETE FROM write_probes WHERE id = $1
