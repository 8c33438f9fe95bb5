-- Placement: providers in trees, their inventories, traits and aggregates, and the
-- allocations consumers hold against them. Resource classes and traits are keyed by
-- name; the standard ones are written at every start from the lists in the code.

CREATE TABLE resource_providers (
    uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL UNIQUE,
    generation BIGINT NOT NULL,
    parent_uuid VARCHAR(36) NULL REFERENCES resource_providers(uuid),
    root_uuid VARCHAR(36) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX resource_providers_root ON resource_providers (root_uuid);
-- Children of a provider; and roots (no parent) in creation order, which is the order
-- candidate searches walk them in and stop early.
CREATE INDEX resource_providers_parent ON resource_providers (parent_uuid, created_at, uuid);
CREATE INDEX resource_providers_created ON resource_providers (created_at, uuid);

CREATE TABLE resource_classes (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    standard BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE inventories (
    provider_uuid VARCHAR(36) NOT NULL REFERENCES resource_providers(uuid) ON DELETE CASCADE,
    resource_class VARCHAR(255) NOT NULL REFERENCES resource_classes(name),
    total BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    min_unit BIGINT NOT NULL,
    max_unit BIGINT NOT NULL,
    step_size BIGINT NOT NULL,
    allocation_ratio DOUBLE PRECISION NOT NULL,
    -- What allocations hold of it, kept with every allocation write, so that finding
    -- providers with room reads this table alone.
    used BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (provider_uuid, resource_class)
);
-- No index by class alone: with one, SQLite answers "does this tree have room for X"
-- by walking every provider's X instead of the tree's few providers.

CREATE TABLE traits (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    standard BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE provider_traits (
    provider_uuid VARCHAR(36) NOT NULL REFERENCES resource_providers(uuid) ON DELETE CASCADE,
    trait_name VARCHAR(255) NOT NULL REFERENCES traits(name),
    PRIMARY KEY (provider_uuid, trait_name)
);
CREATE INDEX provider_traits_trait ON provider_traits (trait_name, provider_uuid);

CREATE TABLE provider_aggregates (
    provider_uuid VARCHAR(36) NOT NULL REFERENCES resource_providers(uuid) ON DELETE CASCADE,
    aggregate_uuid VARCHAR(36) NOT NULL,
    PRIMARY KEY (provider_uuid, aggregate_uuid)
);
CREATE INDEX provider_aggregates_aggregate ON provider_aggregates (aggregate_uuid, provider_uuid);

CREATE TABLE consumers (
    uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    consumer_type VARCHAR(255) NULL,
    generation BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX consumers_project_user ON consumers (project_id, user_id);

CREATE TABLE allocations (
    consumer_uuid VARCHAR(36) NOT NULL REFERENCES consumers(uuid),
    provider_uuid VARCHAR(36) NOT NULL REFERENCES resource_providers(uuid),
    resource_class VARCHAR(255) NOT NULL REFERENCES resource_classes(name),
    used BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (consumer_uuid, provider_uuid, resource_class)
);
-- Covers the usage sums that capacity checks and candidates run per provider and class.
CREATE INDEX allocations_provider_class ON allocations (provider_uuid, resource_class, used);
