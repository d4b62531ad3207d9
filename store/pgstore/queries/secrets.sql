-- PostgreSQL statements for reading and rotating the shared secrets; the same
-- names in both dialects. They are created by SecretsInsert.

-- name: SecretsGetWithPrevious
SELECT name, value, created_at, previous, retired_at FROM app_secrets WHERE name = $1

-- name: SecretsRotate
UPDATE app_secrets SET previous = value, retired_at = $3, value = $2, created_at = $3 WHERE name = $1
