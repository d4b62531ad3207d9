-- Source callbacks. SQLite statements, named as in
-- pgstore/queries/callbacks.sql. Parameters are $N.

-- name: CallbacksInsert
INSERT INTO source_callbacks (source, source_id, event_id, topic, fulfillment_id, received_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (source, source_id, event_id) DO NOTHING

-- name: CallbacksGet
SELECT source, source_id, event_id, topic, fulfillment_id, received_at
FROM source_callbacks WHERE source = $1 AND source_id = $2 AND event_id = $3

-- name: CallbacksFindByExternalID
SELECT id FROM fulfillments
WHERE external_id = $1 AND ($2 = '' OR source_kind = $2)
ORDER BY created_at DESC, id DESC LIMIT 1

-- name: CallbacksFindByTracking
SELECT id FROM fulfillments
WHERE tracking_number = $1 AND ($2 = '' OR source_kind = $2)
ORDER BY created_at DESC, id DESC LIMIT 1
