-- Where each image's data is: one row per store holding a copy. Images stored before
-- stores existed are in the store that was the only one, `file`.

CREATE TABLE image_locations (
    image_id VARCHAR(36) NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    store VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (image_id, store)
);

INSERT INTO image_locations (image_id, store, created_at)
SELECT id, 'file', updated_at FROM images WHERE status IN ('active', 'deactivated');
