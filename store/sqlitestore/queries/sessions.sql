-- Dashboard sign-ins. SQLite statements, named as in
-- pgstore/queries/sessions.sql. Parameters are $N; a session is live at
-- now when now is before both of its expiries.

-- name: SessionsInsert
INSERT INTO admin_sessions (id, secret_hash, token_name, token_check, csrf, client_addr, user_agent,
    created_at, last_seen_at, idle_expires_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)

-- name: SessionsLookup
SELECT id, token_name, token_check, csrf, client_addr, user_agent, created_at, last_seen_at, idle_expires_at, expires_at
FROM admin_sessions
WHERE secret_hash = $1 AND idle_expires_at > $2 AND expires_at > $2

-- name: SessionsGet
SELECT id, token_name, token_check, csrf, client_addr, user_agent, created_at, last_seen_at, idle_expires_at, expires_at
FROM admin_sessions
WHERE id = $1 AND idle_expires_at > $2 AND expires_at > $2

-- name: SessionsTouch
UPDATE admin_sessions
SET last_seen_at = $2,
    idle_expires_at = MIN($3, expires_at)
WHERE id = $1 AND idle_expires_at > $2 AND expires_at > $2

-- name: SessionsList
SELECT id, token_name, token_check, csrf, client_addr, user_agent, created_at, last_seen_at, idle_expires_at, expires_at
FROM admin_sessions
WHERE idle_expires_at > $1 AND expires_at > $1
  AND ($2 OR token_name IN (SELECT value FROM json_each($3)))
  AND ($4 = '' OR id < $4)
ORDER BY id DESC
LIMIT $5

-- name: SessionsDelete
DELETE FROM admin_sessions WHERE id = $1

-- name: SessionsPrune
DELETE FROM admin_sessions WHERE id IN (
    SELECT id FROM admin_sessions WHERE idle_expires_at <= $1 OR expires_at <= $1 ORDER BY id LIMIT $2
)
