-- The webhook inbox, reconciliation cursors and the platform order upsert.
-- SQLite statements, named as in pgstore/queries/intake.sql. Parameters are $N.

-- name: IntakeInsertReceipt
INSERT INTO webhook_receipts (id, platform, shop_id, dedupe_key, topic, headers, body,
    status, attempts, next_attempt_at, received_at, triggered_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8, $9)
ON CONFLICT (platform, shop_id, dedupe_key) DO NOTHING
RETURNING id

-- name: IntakeArmDrain
UPDATE webhook_drain SET armed = 1 WHERE id = 1 AND armed = 0

-- name: IntakeAnyDue
SELECT CASE WHEN EXISTS (
    SELECT 1 FROM webhook_receipts WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1
) THEN 1 ELSE 0 END

-- name: IntakeDisarmDrain
UPDATE webhook_drain SET armed = 0 WHERE id = 1

-- name: IntakeGetReceipt
SELECT id, platform, shop_id, dedupe_key, topic, headers, body, length(body), status, attempts,
    next_attempt_at, last_error, outcome, order_id, received_at, triggered_at, processed_at
FROM webhook_receipts WHERE id = $1

-- name: IntakeClaimReceipts
-- $4 is the claimant's process id ('' for none): if its lease lapses, the
-- receipts come due at once (ProcessesReclaimReceipts).
UPDATE webhook_receipts
SET attempts = attempts + 1, next_attempt_at = $2, claimed_by = $4
WHERE id IN (
    SELECT id FROM webhook_receipts
    WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1
    ORDER BY next_attempt_at, id
    LIMIT $3)
RETURNING id, platform, shop_id, dedupe_key, topic, headers, body, length(body), status, attempts,
    next_attempt_at, last_error, outcome, order_id, received_at, triggered_at, processed_at

-- name: IntakeCompleteReceipt
UPDATE webhook_receipts
SET status = 'processed', outcome = $2, order_id = $3, last_error = '', processed_at = $4
WHERE id = $1

-- name: IntakeFailReceipt
-- The claim ends here: a receipt waiting for its retry is held by no one.
UPDATE webhook_receipts
SET status = $2, last_error = $3, next_attempt_at = $4, claimed_by = ''
WHERE id = $1

-- name: IntakeListReceipts
SELECT id, platform, shop_id, dedupe_key, topic, headers, x'', length(body), status, attempts,
    next_attempt_at, last_error, outcome, order_id, received_at, triggered_at, processed_at
FROM webhook_receipts
WHERE ($1 = '' OR status = $1)
  AND ($2 OR shop_id IN (SELECT value FROM json_each($3)))
  AND ($4 = '' OR id < $4)
ORDER BY id DESC
LIMIT $5

-- name: IntakeReplayReceipt
UPDATE webhook_receipts
SET status = 'pending', attempts = 0, next_attempt_at = $2, last_error = '', claimed_by = ''
WHERE id = $1 AND status IN ('dead', 'failed')

-- name: IntakeGetReceiptStatus
SELECT status FROM webhook_receipts WHERE id = $1

-- name: IntakeGetCursor
SELECT cursor_at FROM reconcile_cursors WHERE shop_id = $1

-- name: IntakeSetCursor
INSERT INTO reconcile_cursors (shop_id, cursor_at, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (shop_id) DO UPDATE
SET cursor_at = max(reconcile_cursors.cursor_at, excluded.cursor_at), updated_at = excluded.updated_at

-- name: IntakeLockOrder
SELECT id FROM orders WHERE shop_id = $1 AND external_id = $2

-- name: IntakeRoutedWork
SELECT CASE WHEN EXISTS (SELECT 1 FROM fulfillments WHERE order_id = $1)
    OR EXISTS (SELECT 1 FROM backorders WHERE order_id = $1) THEN 1 ELSE 0 END

-- name: IntakeUpdateOrderFields
UPDATE orders
SET external_number = $2, platform_status = $3, customer = $4, shipping_address = $5,
    shipping_lines = $6, attributes = $7, tags = $8, note = $9,
    subtotal = $10, discount_total = $11, shipping_total = $12, tax_total = $13, total = $14,
    refunded = $15, taxes_included = $16, paid_at = COALESCE(paid_at, $17),
    platform_updated_at = $18, updated_at = $19
WHERE id = $1

-- name: IntakeDeleteOrderLines
DELETE FROM order_lines WHERE order_id = $1

-- name: PruneReceipts
-- Receipt ids are UUIDv7, ordered by time, so the age bound is a primary
-- key range ($1 is the smallest id of the cut-off millisecond).
DELETE FROM webhook_receipts WHERE id IN (
    SELECT id FROM webhook_receipts WHERE id < $1 AND status = 'processed' ORDER BY id LIMIT $2
)
