-- PostgreSQL statements for the decisions recorded on backorders; the same
-- names in both dialects.

-- name: BackordersRecordDecision
UPDATE backorders SET decision = $2, decided_by = $3, decided_at = $4, updated_at = $4
WHERE id = $1 AND ($5::boolean OR decision = '')
