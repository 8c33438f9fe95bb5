-- OS-TRUST: a trustor delegates some of their roles on a project to a trustee.

CREATE TABLE trusts (
    id VARCHAR(64) PRIMARY KEY,
    trustor_user_id VARCHAR(64) NOT NULL,
    trustee_user_id VARCHAR(64) NOT NULL,
    project_id VARCHAR(64),
    impersonation BIGINT NOT NULL,
    expires_at BIGINT,
    -- NULL means unlimited.
    remaining_uses BIGINT,
    allow_redelegation BIGINT NOT NULL,
    redelegation_count BIGINT NOT NULL,
    extra TEXT NOT NULL
);
CREATE INDEX trusts_trustor ON trusts (trustor_user_id);
CREATE INDEX trusts_trustee ON trusts (trustee_user_id);

CREATE TABLE trust_roles (
    trust_id VARCHAR(64) NOT NULL,
    role_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (trust_id, role_id)
);
