-- OS-EP-FILTER: which endpoints a project's catalog shows. A project with no
-- association sees every endpoint.

CREATE TABLE endpoint_groups (
    id VARCHAR(64) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    -- JSON object: any of service_id, region_id, interface.
    filters TEXT NOT NULL
);

CREATE TABLE project_endpoints (
    project_id VARCHAR(64) NOT NULL,
    endpoint_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (project_id, endpoint_id)
);

CREATE TABLE project_endpoint_groups (
    endpoint_group_id VARCHAR(64) NOT NULL,
    project_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (endpoint_group_id, project_id)
);
