-- Compute's API database: what is global to the cloud rather than to a cell
-- (flavors, key pairs). Times are microseconds since the epoch; booleans are 0/1.

-- Integer ids the API shows (a flavor's internal id, a key pair's id), handed out by
-- an UPDATE that locks the counter's row, which works alike on every backend.
CREATE TABLE id_counters (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    last_id BIGINT NOT NULL
);
INSERT INTO id_counters (name, last_id) VALUES ('flavors', 0), ('key_pairs', 0);

CREATE TABLE flavors (
    id BIGINT NOT NULL PRIMARY KEY,
    flavorid VARCHAR(255) NOT NULL UNIQUE,
    name VARCHAR(255) NOT NULL UNIQUE,
    memory_mb BIGINT NOT NULL,
    vcpus BIGINT NOT NULL,
    root_gb BIGINT NOT NULL,
    ephemeral_gb BIGINT NOT NULL,
    swap BIGINT NOT NULL,
    rxtx_factor DOUBLE PRECISION NOT NULL,
    vcpu_weight BIGINT NULL,
    disabled BIGINT NOT NULL,
    is_public BIGINT NOT NULL,
    description TEXT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NULL
);

CREATE TABLE flavor_extra_specs (
    flavor_id BIGINT NOT NULL REFERENCES flavors(id) ON DELETE CASCADE,
    spec_key VARCHAR(255) NOT NULL,
    spec_value VARCHAR(255) NOT NULL,
    PRIMARY KEY (flavor_id, spec_key)
);

CREATE TABLE flavor_projects (
    flavor_id BIGINT NOT NULL REFERENCES flavors(id) ON DELETE CASCADE,
    project_id VARCHAR(255) NOT NULL,
    PRIMARY KEY (flavor_id, project_id)
);
CREATE INDEX flavor_projects_project ON flavor_projects (project_id);

CREATE TABLE key_pairs (
    id BIGINT NOT NULL PRIMARY KEY,
    user_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    key_type VARCHAR(8) NOT NULL,
    fingerprint VARCHAR(255) NOT NULL,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
