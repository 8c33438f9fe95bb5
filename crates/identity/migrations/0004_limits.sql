-- Unified limits: defaults per service resource (registered limits) and overrides per
-- project or domain (limits). region_id is '' when a limit applies in every region, so
-- the uniqueness constraints hold on every backend.

CREATE TABLE registered_limits (
    id VARCHAR(64) PRIMARY KEY,
    service_id VARCHAR(64) NOT NULL,
    region_id VARCHAR(255) NOT NULL,
    resource_name VARCHAR(255) NOT NULL,
    default_limit BIGINT NOT NULL,
    description TEXT,
    UNIQUE (service_id, region_id, resource_name)
);

CREATE TABLE limits (
    id VARCHAR(64) PRIMARY KEY,
    target_type VARCHAR(16) NOT NULL,
    target_id VARCHAR(64) NOT NULL,
    service_id VARCHAR(64) NOT NULL,
    region_id VARCHAR(255) NOT NULL,
    resource_name VARCHAR(255) NOT NULL,
    resource_limit BIGINT NOT NULL,
    description TEXT,
    UNIQUE (target_type, target_id, service_id, region_id, resource_name)
);
