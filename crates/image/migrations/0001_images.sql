-- Images (Glance v2). Additional properties are a JSON object of strings; times are
-- microseconds since the epoch.

CREATE TABLE images (
    id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(255),
    status VARCHAR(30) NOT NULL,
    visibility VARCHAR(20) NOT NULL,
    protected BIGINT NOT NULL,
    os_hidden BIGINT NOT NULL,
    owner VARCHAR(255),
    disk_format VARCHAR(20),
    container_format VARCHAR(20),
    size BIGINT,
    virtual_size BIGINT,
    checksum VARCHAR(32),
    os_hash_algo VARCHAR(64),
    os_hash_value VARCHAR(128),
    min_disk BIGINT NOT NULL,
    min_ram BIGINT NOT NULL,
    properties TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX images_owner ON images (owner);

CREATE TABLE image_tags (
    image_id VARCHAR(36) NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    tag VARCHAR(255) NOT NULL,
    PRIMARY KEY (image_id, tag)
);
