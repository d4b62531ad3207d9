-- SQLite statements for stock, fulfillments and backorders; the same names
-- as pgstore/queries/inventory.sql. Parameters are $N.

-- name: EnsureStock
INSERT INTO inventory (location_id, sku, on_hand, reserved, updated_at)
VALUES ($1, $2, 0, 0, $3)
ON CONFLICT (location_id, sku) DO NOTHING

-- name: SetStock
-- Setting on_hand below what is reserved would oversell: the guard refuses it.
UPDATE inventory SET on_hand = $3, updated_at = $4
WHERE location_id = $1 AND sku = $2 AND reserved <= $3

-- name: GetStockForUpdate
SELECT on_hand, reserved FROM inventory WHERE location_id = $1 AND sku = $2

-- name: AdjustStock
UPDATE inventory SET on_hand = on_hand + $3, updated_at = $4
WHERE location_id = $1 AND sku = $2 AND on_hand + $3 >= reserved AND on_hand + $3 >= 0
RETURNING on_hand, reserved

-- name: GetStock
SELECT location_id, sku, on_hand, reserved FROM inventory WHERE location_id = $1 AND sku = $2

-- name: ListStock
SELECT location_id, sku, on_hand, reserved FROM inventory
WHERE ($1 OR sku IN (SELECT value FROM json_each($2)))
  AND ($3 OR location_id IN (SELECT value FROM json_each($4)))
ORDER BY sku, location_id

-- name: ListStockForSKUs
-- ListStock for some SKUs, apart so the sku index serves it: a routing
-- transaction reads only its order's SKUs.
SELECT location_id, sku, on_hand, reserved FROM inventory
WHERE sku IN (SELECT value FROM json_each($1))
  AND ($2 OR location_id IN (SELECT value FROM json_each($3)))
ORDER BY sku, location_id

-- name: ReserveStock
-- The guard is the oversell proof: the row changes only while enough stock
-- stays available, whatever runs concurrently.
UPDATE inventory SET reserved = reserved + $3, updated_at = $5
WHERE location_id = $1 AND sku = $2 AND on_hand - reserved - $4 >= $3

-- name: ReleaseStock
UPDATE inventory SET reserved = reserved - $3, updated_at = $4
WHERE location_id = $1 AND sku = $2 AND reserved >= $3

-- name: ShipStock
UPDATE inventory SET reserved = reserved - $3, on_hand = on_hand - $3, updated_at = $4
WHERE location_id = $1 AND sku = $2 AND reserved >= $3 AND on_hand >= $3

-- name: InsertMovement
INSERT INTO inventory_movements (location_id, sku, on_hand_delta, reserved_delta, reason, ref, actor, occurred_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)

-- name: SumMovements
SELECT location_id, sku, SUM(on_hand_delta), SUM(reserved_delta)
FROM inventory_movements GROUP BY location_id, sku ORDER BY location_id, sku

-- name: InsertFulfillment
INSERT INTO fulfillments (id, order_id, shop_id, source_kind, source_id, status, carrier, tracking_number,
    tracking_url, label_url, external_id, platform_id, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)

-- name: UpsertFulfillmentLine
INSERT INTO fulfillment_lines (fulfillment_id, line_id, sku, quantity) VALUES ($1, $2, $3, $4)
ON CONFLICT (fulfillment_id, line_id) DO UPDATE SET quantity = fulfillment_lines.quantity + excluded.quantity

-- name: ReduceFulfillmentLine
UPDATE fulfillment_lines SET quantity = quantity - $3
WHERE fulfillment_id = $1 AND line_id = $2 AND quantity > $3

-- name: DeleteFulfillmentLine
DELETE FROM fulfillment_lines WHERE fulfillment_id = $1 AND line_id = $2 AND quantity = $3

-- name: GetFulfillment
SELECT id, order_id, shop_id, source_kind, source_id, status, carrier, tracking_number,
    tracking_url, label_url, external_id, platform_id, created_at, updated_at
FROM fulfillments WHERE id = $1

-- name: ListFulfillments
SELECT id, order_id, shop_id, source_kind, source_id, status, carrier, tracking_number,
    tracking_url, label_url, external_id, platform_id, created_at, updated_at
FROM fulfillments WHERE order_id = $1 ORDER BY created_at, id

-- name: ListFulfillmentLines
SELECT fulfillment_id, line_id, sku, quantity FROM fulfillment_lines
WHERE fulfillment_id IN (SELECT id FROM fulfillments WHERE order_id = $1)
ORDER BY fulfillment_id, line_id

-- name: ListLinesOfFulfillment
SELECT fulfillment_id, line_id, sku, quantity FROM fulfillment_lines
WHERE fulfillment_id = $1 ORDER BY line_id

-- name: UpdateFulfillment
UPDATE fulfillments SET status = $3, carrier = $4, tracking_number = $5, tracking_url = $6, label_url = $7,
    external_id = $8, platform_id = $9, updated_at = $10
WHERE id = $1 AND status = $2

-- name: InsertBackorder
INSERT INTO backorders (id, order_id, shop_id, line_id, sku, quantity, filled, status, paid_at, eta, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)

-- name: GetBackorder
SELECT id, order_id, shop_id, line_id, sku, quantity, filled, status, paid_at, eta, created_at, updated_at,
       decision, decided_by, decided_at
FROM backorders WHERE id = $1

-- name: ListBackorders
SELECT id, order_id, shop_id, line_id, sku, quantity, filled, status, paid_at, eta, created_at, updated_at,
       decision, decided_by, decided_at
FROM backorders
WHERE ($1 OR shop_id IN (SELECT value FROM json_each($2)))
  AND ($3 = '' OR status = $3)
  AND ($4 = '' OR sku = $4)
  AND ($5 = '' OR order_id = $5)
  AND ($6 = '' OR id > $6)
ORDER BY id
LIMIT $7

-- name: OpenBackordersFIFO
SELECT id, order_id, shop_id, line_id, sku, quantity, filled, status, paid_at, eta, created_at, updated_at,
       decision, decided_by, decided_at
FROM backorders
WHERE sku = $1 AND status IN ('pending', 'waiting')
ORDER BY paid_at, id
LIMIT $2

-- name: UpdateBackorder
UPDATE backorders SET filled = $3, status = $4, updated_at = $5, quantity = $6
WHERE id = $1 AND status = $2

-- name: SetExplanations
UPDATE orders SET explanations = $2, updated_at = $3 WHERE id = $1

-- name: CancelLineQuantity
UPDATE order_lines SET cancelled = cancelled + $3
WHERE id = $1 AND order_id = $2 AND cancelled + $3 <= quantity

-- name: UpdateOrderMoney
UPDATE orders SET subtotal = $2, discount_total = $3, shipping_total = $4, tax_total = $5, total = $6,
    refunded = $7, updated_at = $8
WHERE id = $1
