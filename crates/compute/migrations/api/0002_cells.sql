-- Cells v2: the cells (each with its own database and bus), and which cell each
-- compute host belongs to (filled by host discovery).

CREATE TABLE cell_mappings (
    uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    database_connection TEXT NOT NULL,
    transport_url TEXT NOT NULL,
    disabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE host_mappings (
    host VARCHAR(255) NOT NULL PRIMARY KEY,
    cell_uuid VARCHAR(36) NOT NULL REFERENCES cell_mappings(uuid),
    created_at BIGINT NOT NULL
);
CREATE INDEX host_mappings_cell ON host_mappings (cell_uuid);
