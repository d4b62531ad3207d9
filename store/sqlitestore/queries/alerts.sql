-- Alerts raised about orders. SQLite statements, named as in
-- pgstore/queries/alerts.sql. Parameters are $N.

-- name: AlertsInsert
INSERT INTO order_alerts (id, order_id, shop_id, kind, status, attempts, last_error, created_at, updated_at)
VALUES ($1, $2, $3, $4, 'pending', 0, '', $5, $5)
ON CONFLICT (order_id, kind) DO NOTHING

-- name: AlertsGet
SELECT id, order_id, shop_id, kind, status, attempts, last_error, created_at, updated_at, sent_at
FROM order_alerts WHERE order_id = $1 AND kind = $2

-- name: AlertsList
SELECT id, order_id, shop_id, kind, status, attempts, last_error, created_at, updated_at, sent_at
FROM order_alerts
WHERE ($1 OR shop_id IN (SELECT value FROM json_each($2)))
  AND ($3 = '' OR kind = $3)
  AND ($4 = '' OR status = $4)
  AND ($5 = '' OR order_id = $5)
  AND ($6 = '' OR id < $6)
ORDER BY id DESC
LIMIT $7

-- name: AlertsMark
UPDATE order_alerts
SET status = $3,
    attempts = attempts + $4,
    last_error = $5,
    updated_at = $6,
    sent_at = CASE WHEN $3 = 'sent' THEN $6 ELSE sent_at END
WHERE order_id = $1 AND kind = $2
