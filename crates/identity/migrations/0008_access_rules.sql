-- Application credential access rules: the API calls a restricted application
-- credential's tokens may make. A user's identical rules are one rule, shared by the
-- application credentials that name it; a rule outlives them until deleted.

CREATE TABLE access_rules (
    id VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(64) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    service VARCHAR(64) NOT NULL,
    path VARCHAR(255) NOT NULL,
    method VARCHAR(16) NOT NULL,
    UNIQUE (user_id, service, path, method)
);

CREATE TABLE application_credential_access_rules (
    application_credential_id VARCHAR(64) NOT NULL REFERENCES application_credentials(id) ON DELETE CASCADE,
    access_rule_id VARCHAR(64) NOT NULL REFERENCES access_rules(id) ON DELETE CASCADE,
    PRIMARY KEY (application_credential_id, access_rule_id)
);
CREATE INDEX application_credential_access_rules_rule ON application_credential_access_rules (access_rule_id);
