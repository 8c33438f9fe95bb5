-- Identity schema. Portable across SQLite, PostgreSQL and MariaDB: ids are VARCHAR(64), flags are
-- BIGINT 0/1 (sqlx's Any driver cannot decode SQLite BOOLEAN),
-- times are BIGINT microseconds since the epoch (UTC), free-form attributes are JSON text.

CREATE TABLE domains (
    id VARCHAR(64) PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    description TEXT,
    enabled BIGINT NOT NULL,
    extra TEXT NOT NULL
);

CREATE TABLE projects (
    id VARCHAR(64) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL REFERENCES domains(id),
    parent_id VARCHAR(64) REFERENCES projects(id),
    description TEXT,
    enabled BIGINT NOT NULL,
    extra TEXT NOT NULL,
    UNIQUE (domain_id, name)
);
CREATE INDEX projects_parent ON projects (parent_id);

CREATE TABLE project_tags (
    project_id VARCHAR(64) NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE users (
    id VARCHAR(64) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL REFERENCES domains(id),
    enabled BIGINT NOT NULL,
    default_project_id VARCHAR(64),
    extra TEXT NOT NULL,
    options TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_active_at BIGINT,
    failed_auth_count BIGINT NOT NULL,
    failed_auth_at BIGINT,
    UNIQUE (domain_id, name)
);

-- Every password a user has had, newest last; the newest is the current one.
CREATE TABLE passwords (
    id VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(64) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    self_service BIGINT NOT NULL
);
CREATE INDEX passwords_user ON passwords (user_id, created_at);

CREATE TABLE identity_groups (
    id VARCHAR(64) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL REFERENCES domains(id),
    description TEXT,
    extra TEXT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE group_members (
    group_id VARCHAR(64) NOT NULL REFERENCES identity_groups(id) ON DELETE CASCADE,
    user_id VARCHAR(64) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- domain_id is '' for global roles so that (name, domain_id) can be unique on every backend.
CREATE TABLE roles (
    id VARCHAR(64) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL,
    description TEXT,
    options TEXT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE implied_roles (
    prior_role_id VARCHAR(64) NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    implied_role_id VARCHAR(64) NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (prior_role_id, implied_role_id)
);

-- actor_type: 'user' | 'group'; target_type: 'project' | 'domain' | 'system'
-- (target_id 'all' for the system).
CREATE TABLE assignments (
    actor_type VARCHAR(16) NOT NULL,
    actor_id VARCHAR(64) NOT NULL,
    target_type VARCHAR(16) NOT NULL,
    target_id VARCHAR(64) NOT NULL,
    role_id VARCHAR(64) NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    inherited BIGINT NOT NULL,
    PRIMARY KEY (actor_type, actor_id, target_type, target_id, role_id, inherited)
);
CREATE INDEX assignments_target ON assignments (target_type, target_id);
CREATE INDEX assignments_role ON assignments (role_id);

CREATE TABLE regions (
    id VARCHAR(255) PRIMARY KEY,
    description TEXT NOT NULL,
    parent_region_id VARCHAR(255) REFERENCES regions(id),
    extra TEXT NOT NULL
);

CREATE TABLE services (
    id VARCHAR(64) PRIMARY KEY,
    type VARCHAR(255) NOT NULL,
    enabled BIGINT NOT NULL,
    extra TEXT NOT NULL
);

CREATE TABLE endpoints (
    id VARCHAR(64) PRIMARY KEY,
    service_id VARCHAR(64) NOT NULL REFERENCES services(id),
    interface VARCHAR(8) NOT NULL,
    url TEXT NOT NULL,
    region_id VARCHAR(255) REFERENCES regions(id),
    enabled BIGINT NOT NULL,
    extra TEXT NOT NULL
);

CREATE TABLE application_credentials (
    id VARCHAR(64) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    user_id VARCHAR(64) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id VARCHAR(64) NOT NULL,
    secret_hash VARCHAR(255) NOT NULL,
    description TEXT,
    expires_at BIGINT,
    unrestricted BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);

CREATE TABLE application_credential_roles (
    application_credential_id VARCHAR(64) NOT NULL REFERENCES application_credentials(id) ON DELETE CASCADE,
    role_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (application_credential_id, role_id)
);

-- Tokens issued at or before issued_before that match every non-null column are revoked.
CREATE TABLE revocation_events (
    id VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(64),
    project_id VARCHAR(64),
    domain_id VARCHAR(64),
    audit_id VARCHAR(64),
    audit_chain_id VARCHAR(64),
    issued_before BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revocation_events_revoked_at ON revocation_events (revoked_at);
