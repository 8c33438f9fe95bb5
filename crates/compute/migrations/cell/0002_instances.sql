-- A cell's instances, with what hangs off them: metadata, tags, faults, and the
-- actions users and operators took with their events. Deleted instances keep
-- their row (deleted = 1), as Nova's soft delete of rows does, so that admins can still
-- list them and instance actions stay readable.

INSERT INTO id_counters (name, last_id) VALUES ('instances', 0), ('instance_faults', 0), ('instance_actions', 0),
    ('instance_action_events', 0);

CREATE TABLE instances (
    id BIGINT NOT NULL PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    display_name VARCHAR(255) NOT NULL,
    display_description TEXT NULL,
    hostname VARCHAR(255) NOT NULL,
    reservation_id VARCHAR(255) NOT NULL,
    launch_index BIGINT NOT NULL,
    -- '' for an instance booted from a volume.
    image_ref VARCHAR(255) NOT NULL,
    -- The flavor's internal id, for filters and sorting; the flavor itself is kept
    -- whole in `flavor` (JSON), so that a flavor deleted later still describes it.
    instance_type_id BIGINT NOT NULL,
    flavor TEXT NOT NULL,
    vm_state VARCHAR(255) NOT NULL,
    task_state VARCHAR(255) NULL,
    power_state BIGINT NOT NULL,
    host VARCHAR(255) NULL,
    node VARCHAR(255) NULL,
    launched_on VARCHAR(255) NULL,
    availability_zone VARCHAR(255) NULL,
    key_name VARCHAR(255) NULL,
    key_data TEXT NULL,
    user_data TEXT NULL,
    config_drive BIGINT NOT NULL,
    access_ip_v4 VARCHAR(64) NULL,
    access_ip_v6 VARCHAR(64) NULL,
    -- 'owner' or 'admin' while locked.
    locked_by VARCHAR(16) NULL,
    locked_reason TEXT NULL,
    progress BIGINT NOT NULL,
    -- JSON object: the boot image's properties (image_*), states kept across a move.
    system_metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    launched_at BIGINT NULL,
    terminated_at BIGINT NULL,
    deleted_at BIGINT NULL,
    deleted BIGINT NOT NULL
);
CREATE INDEX instances_project ON instances (project_id, deleted, created_at);
CREATE INDEX instances_host ON instances (host, deleted);
CREATE INDEX instances_updated ON instances (updated_at);
CREATE INDEX instances_reservation ON instances (reservation_id);

CREATE TABLE instance_metadata (
    instance_uuid VARCHAR(36) NOT NULL REFERENCES instances(uuid) ON DELETE CASCADE,
    meta_key VARCHAR(255) NOT NULL,
    meta_value VARCHAR(255) NOT NULL,
    PRIMARY KEY (instance_uuid, meta_key)
);

CREATE TABLE instance_tags (
    instance_uuid VARCHAR(36) NOT NULL REFERENCES instances(uuid) ON DELETE CASCADE,
    tag VARCHAR(80) NOT NULL,
    PRIMARY KEY (instance_uuid, tag)
);
CREATE INDEX instance_tags_tag ON instance_tags (tag);

CREATE TABLE instance_faults (
    id BIGINT NOT NULL PRIMARY KEY,
    instance_uuid VARCHAR(36) NOT NULL REFERENCES instances(uuid) ON DELETE CASCADE,
    code BIGINT NOT NULL,
    message VARCHAR(255) NOT NULL,
    details TEXT NULL,
    host VARCHAR(255) NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX instance_faults_instance ON instance_faults (instance_uuid, id);

CREATE TABLE instance_actions (
    id BIGINT NOT NULL PRIMARY KEY,
    instance_uuid VARCHAR(36) NOT NULL REFERENCES instances(uuid) ON DELETE CASCADE,
    request_id VARCHAR(255) NOT NULL,
    action VARCHAR(255) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    message VARCHAR(255) NULL,
    start_time BIGINT NOT NULL,
    finish_time BIGINT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (instance_uuid, request_id)
);

CREATE TABLE instance_action_events (
    id BIGINT NOT NULL PRIMARY KEY,
    action_id BIGINT NOT NULL REFERENCES instance_actions(id) ON DELETE CASCADE,
    event VARCHAR(255) NOT NULL,
    host VARCHAR(255) NULL,
    result VARCHAR(255) NULL,
    details TEXT NULL,
    start_time BIGINT NOT NULL,
    finish_time BIGINT NULL,
    UNIQUE (action_id, event)
);
