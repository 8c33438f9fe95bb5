-- Credentials (blobs encrypted with the credential Fernet keys) and policy blobs
-- (`content`: `blob` is reserved in MariaDB).

CREATE TABLE credentials (
    id VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(64) NOT NULL,
    project_id VARCHAR(64),
    type VARCHAR(255) NOT NULL,
    encrypted_blob TEXT NOT NULL,
    extra TEXT NOT NULL
);
CREATE INDEX credentials_user ON credentials (user_id);

CREATE TABLE policies (
    id VARCHAR(64) PRIMARY KEY,
    type VARCHAR(255) NOT NULL,
    content TEXT NOT NULL,
    extra TEXT NOT NULL
);
