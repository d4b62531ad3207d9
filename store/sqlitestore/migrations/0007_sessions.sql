-- Dashboard sign-ins. The browser holds a random secret; only its SHA-256
-- is stored, so the table gives no one a way in. A session is live until
-- idle_expires_at (moved on while it is used) or expires_at, whichever
-- comes first. Times are unix microseconds, UTC.
CREATE TABLE admin_sessions (
    id              TEXT PRIMARY KEY,            -- time-ordered (UUIDv7)
    secret_hash     TEXT NOT NULL UNIQUE,        -- hex SHA-256 of the cookie's secret
    token_name      TEXT NOT NULL,
    token_check     TEXT NOT NULL,
    csrf            TEXT NOT NULL,
    client_addr     TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX admin_sessions_expiry ON admin_sessions (idle_expires_at);
