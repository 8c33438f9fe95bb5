-- Which credential key sealed each blob (a digest of the key, never the key), so that
-- rotation can refuse while a blob still depends on a key it would drop. NULL: sealed
-- before this column existed; `ferrostack manage credential-migrate` reseals it.
ALTER TABLE credentials ADD COLUMN key_hash VARCHAR(64);
