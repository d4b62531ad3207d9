-- SQLite statements, named as in pgstore/queries/. Parameters are $N.

-- name: CreateMigrationsTable
CREATE TABLE IF NOT EXISTS orderhub_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT

-- name: ListMigrations
SELECT version FROM orderhub_migrations ORDER BY version

-- name: RecordMigration
INSERT INTO orderhub_migrations (version, name, applied_at) VALUES ($1, $2, $3)

-- name: InsertOrder
INSERT INTO orders (id, shop_id, platform, external_id, external_number, status, platform_status,
    currency, customer, shipping_address, shipping_lines, attributes, tags, note, explanations,
    subtotal, discount_total, shipping_total, tax_total, total, refunded, taxes_included,
    paid_at, platform_updated_at, created_at, updated_at, status_changed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $26)

-- name: InsertOrderLine
INSERT INTO order_lines (id, order_id, position, external_id, sku, name, product_id, variant_id,
    quantity, cancelled, unit_price, discount, tax, requires_shipping, properties, no_shipping_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)

-- name: GetOrder
SELECT id, shop_id, platform, external_id, external_number, status, platform_status,
    currency, customer, shipping_address, shipping_lines, attributes, tags, note, explanations,
    subtotal, discount_total, shipping_total, tax_total, total, refunded, taxes_included,
    paid_at, platform_updated_at, created_at, updated_at, status_changed_at
FROM orders WHERE id = $1

-- name: GetOrderByExternalID
SELECT id, shop_id, platform, external_id, external_number, status, platform_status,
    currency, customer, shipping_address, shipping_lines, attributes, tags, note, explanations,
    subtotal, discount_total, shipping_total, tax_total, total, refunded, taxes_included,
    paid_at, platform_updated_at, created_at, updated_at, status_changed_at
FROM orders WHERE shop_id = $1 AND external_id = $2

-- name: ListOrders
SELECT id, shop_id, platform, external_id, external_number, status, platform_status,
    currency, customer, shipping_address, shipping_lines, attributes, tags, note, explanations,
    subtotal, discount_total, shipping_total, tax_total, total, refunded, taxes_included,
    paid_at, platform_updated_at, created_at, updated_at, status_changed_at
FROM orders
WHERE ($1 OR shop_id IN (SELECT value FROM json_each($2)))
  AND ($3 = '' OR status = $3)
  AND ($4 = '' OR external_id = $4)
  AND ($5 = 0 OR status_changed_at <= $5)
  AND ($6 = '' OR id < $6)
ORDER BY id DESC
LIMIT $7

-- name: ListOrderLines
SELECT id, external_id, sku, name, product_id, variant_id, quantity, cancelled,
    unit_price, discount, tax, requires_shipping, properties, no_shipping_reason
FROM order_lines WHERE order_id = $1 ORDER BY position

-- name: GetOrderStatus
SELECT status FROM orders WHERE id = $1

-- name: UpdateOrderStatus
UPDATE orders
SET status = $3,
    updated_at = $4,
    status_changed_at = $4,
    paid_at = CASE WHEN $3 = 'paid' AND paid_at IS NULL THEN $4 ELSE paid_at END
WHERE id = $1 AND status = $2

-- name: InsertEvent
INSERT INTO order_events (order_id, kind, from_status, to_status, actor, note, data, occurred_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id

-- name: ListEvents
SELECT id, order_id, kind, from_status, to_status, actor, note, data, occurred_at
FROM order_events WHERE order_id = $1 ORDER BY id
