-- The notice outbox and the shared secrets. SQLite statements, named as in
-- pgstore/queries/writeback.sql. Parameters are $N.

-- name: NoticesInsert
INSERT INTO notices (id, notice_key, kind, shop_id, order_id, fulfillment_id, payload, status, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8)
ON CONFLICT (notice_key) DO NOTHING

-- name: NoticesGet
SELECT id, notice_key, kind, shop_id, order_id, fulfillment_id, payload, status, channel, attempts, last_error,
       claim_token, claimed_until, created_at, updated_at, sent_at
FROM notices WHERE id = $1

-- name: NoticesGetByKey
SELECT id, notice_key, kind, shop_id, order_id, fulfillment_id, payload, status, channel, attempts, last_error,
       claim_token, claimed_until, created_at, updated_at, sent_at
FROM notices WHERE notice_key = $1

-- name: NoticesList
SELECT id, notice_key, kind, shop_id, order_id, fulfillment_id, payload, status, channel, attempts, last_error,
       claim_token, claimed_until, created_at, updated_at, sent_at
FROM notices
WHERE ($1 = '' OR order_id = $1)
  AND ($2 = '' OR kind = $2)
  AND ($3 = '' OR status = $3)
  AND ($4 = '' OR id > $4)
ORDER BY id
LIMIT $5

-- name: NoticesClaim
UPDATE notices
SET status = 'sending', claim_token = $2, claimed_until = $3, attempts = attempts + 1, updated_at = $4
WHERE id = $1
  AND (status = 'pending' OR (status = 'sending' AND claimed_until < $4))

-- name: NoticesFinish
UPDATE notices
SET status = $3,
    channel = $4,
    last_error = $5,
    claim_token = '',
    claimed_until = NULL,
    updated_at = $6,
    sent_at = CASE WHEN $3 = 'sent' THEN $6 ELSE sent_at END
WHERE id = $1 AND status = 'sending' AND claim_token = $2

-- name: SecretsInsert
INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3)
ON CONFLICT (name) DO NOTHING

-- name: SecretsGet
SELECT value FROM app_secrets WHERE name = $1
