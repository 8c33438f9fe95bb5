-- Server groups: a policy (affinity, anti-affinity and their soft variants) their
-- members are scheduled by, with anti-affinity's max_server_per_host rule.

CREATE TABLE server_groups (
    uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    policy VARCHAR(32) NOT NULL,
    max_server_per_host BIGINT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX server_groups_project ON server_groups (project_id, created_at);
