-- Which process runs each task (host and data directory), so that a restarting
-- process fails only the tasks it was running itself, not those of another process
-- sharing the database.

ALTER TABLE tasks ADD COLUMN worker VARCHAR(255);
