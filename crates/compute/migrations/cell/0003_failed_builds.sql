-- How many builds in a row failed on each node (Nova's `failed_builds` stat): the
-- BuildFailureWeigher keeps new builds away from a host that keeps failing them.
ALTER TABLE compute_nodes ADD COLUMN failed_builds BIGINT NOT NULL DEFAULT 0;
