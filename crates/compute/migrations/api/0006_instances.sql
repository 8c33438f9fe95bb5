-- Where each instance lives. Until the scheduler has placed it, an instance exists
-- only as a build request here (the API shows it from that); once placed, its cell
-- holds it and its mapping names the cell (cell0 when it could not be placed). The
-- request spec is what the scheduler is asked again when the instance moves.

CREATE TABLE instance_mappings (
    instance_uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    cell_uuid VARCHAR(36) NULL REFERENCES cell_mappings(uuid),
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    queued_for_delete BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX instance_mappings_project ON instance_mappings (project_id, queued_for_delete);

CREATE TABLE build_requests (
    instance_uuid VARCHAR(36) NOT NULL PRIMARY KEY REFERENCES instance_mappings(instance_uuid) ON DELETE CASCADE,
    project_id VARCHAR(255) NOT NULL,
    -- The instance as it will be created in its cell (JSON).
    instance TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX build_requests_project ON build_requests (project_id);

CREATE TABLE request_specs (
    instance_uuid VARCHAR(36) NOT NULL PRIMARY KEY REFERENCES instance_mappings(instance_uuid) ON DELETE CASCADE,
    spec TEXT NOT NULL
);

CREATE TABLE server_group_members (
    group_uuid VARCHAR(36) NOT NULL REFERENCES server_groups(uuid) ON DELETE CASCADE,
    instance_uuid VARCHAR(36) NOT NULL,
    PRIMARY KEY (group_uuid, instance_uuid)
);
CREATE INDEX server_group_members_instance ON server_group_members (instance_uuid);
