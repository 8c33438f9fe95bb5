-- Tasks: asynchronous work on images (interoperable import), kept for clients to
-- follow. `input` and `result` are JSON objects as text; times are microseconds.

CREATE TABLE tasks (
    id VARCHAR(36) PRIMARY KEY,
    type VARCHAR(30) NOT NULL,
    status VARCHAR(20) NOT NULL,
    owner VARCHAR(255),
    user_id VARCHAR(255),
    request_id VARCHAR(255),
    image_id VARCHAR(36),
    input TEXT NOT NULL,
    result TEXT,
    message TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_image ON tasks (image_id);
CREATE INDEX tasks_owner ON tasks (owner);
