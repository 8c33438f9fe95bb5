-- Image members: the projects a shared image is offered to, and what each answered.

CREATE TABLE image_members (
    image_id VARCHAR(36) NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    member VARCHAR(255) NOT NULL,
    status VARCHAR(20) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (image_id, member)
);
CREATE INDEX image_members_member ON image_members (member);
