-- Metadata definitions (Glance's /v2/metadefs): namespaces of property schemas, objects
-- and tags, and the resource types they apply to. Times are microseconds since the
-- epoch, flags 0 or 1, JSON documents TEXT.
--
-- Children point at a namespace's internal id rather than its name, so that renaming a
-- namespace rewrites one row. Names are VARCHAR(255): MariaDB indexes only bounded
-- columns, and two of them stay within its utf8mb4 key length.

CREATE TABLE metadef_namespaces (
    id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    display_name VARCHAR(255),
    description TEXT,
    visibility VARCHAR(20) NOT NULL,
    protected BIGINT NOT NULL,
    owner VARCHAR(255),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE metadef_resource_types (
    name VARCHAR(255) PRIMARY KEY,
    protected BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE metadef_namespace_resource_types (
    namespace_id VARCHAR(36) NOT NULL REFERENCES metadef_namespaces(id) ON DELETE CASCADE,
    resource_type VARCHAR(255) NOT NULL REFERENCES metadef_resource_types(name),
    prefix VARCHAR(255),
    properties_target VARCHAR(255),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (namespace_id, resource_type)
);
CREATE INDEX metadef_namespace_resource_types_type ON metadef_namespace_resource_types (resource_type);

-- required_properties is a JSON array of property names, properties a JSON object of
-- property definitions by name.
CREATE TABLE metadef_objects (
    namespace_id VARCHAR(36) NOT NULL REFERENCES metadef_namespaces(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    description TEXT,
    required_properties TEXT NOT NULL,
    properties TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (namespace_id, name)
);

-- json_schema is the property's definition (title, type, enum, ...) as a JSON object.
CREATE TABLE metadef_properties (
    namespace_id VARCHAR(36) NOT NULL REFERENCES metadef_namespaces(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    json_schema TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (namespace_id, name)
);

CREATE TABLE metadef_tags (
    namespace_id VARCHAR(36) NOT NULL REFERENCES metadef_namespaces(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (namespace_id, name)
);

-- The resource types Glance's default definitions (etc/metadefs) apply to, seeded here
-- because clients pick from this list and expect it never to be empty. A migration is
-- static SQL, so the rows carry a fixed time (2026-01-01T00:00:00Z), one microsecond
-- apart so that the list, oldest first, keeps this order with OS::Glance::Image first.
INSERT INTO metadef_resource_types (name, protected, created_at, updated_at) VALUES
    ('OS::Glance::Image', 1, 1767225600000000, 1767225600000000),
    ('OS::Cinder::Volume', 1, 1767225600000001, 1767225600000001),
    ('OS::Nova::Flavor', 1, 1767225600000002, 1767225600000002),
    ('OS::Nova::Aggregate', 1, 1767225600000003, 1767225600000003),
    ('OS::Nova::Server', 1, 1767225600000004, 1767225600000004),
    ('OS::Trove::Instance', 1, 1767225600000005, 1767225600000005);
