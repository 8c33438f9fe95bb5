-- A compute cell's database: the services and hypervisors of the cell's hosts (and,
-- later, its instances). Times are microseconds since the epoch; booleans are 0/1.

CREATE TABLE id_counters (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    last_id BIGINT NOT NULL
);
INSERT INTO id_counters (name, last_id) VALUES ('services', 0), ('compute_nodes', 0);

-- One row per (host, binary): nova-compute on each compute host, nova-conductor and
-- nova-scheduler where they run. `last_seen_up` is the last heartbeat.
CREATE TABLE services (
    id BIGINT NOT NULL PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    host VARCHAR(255) NOT NULL,
    binary_name VARCHAR(255) NOT NULL,
    topic VARCHAR(255) NOT NULL,
    report_count BIGINT NOT NULL,
    disabled BIGINT NOT NULL,
    disabled_reason VARCHAR(255) NULL,
    forced_down BIGINT NOT NULL,
    last_seen_up BIGINT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NULL,
    UNIQUE (host, binary_name)
);

-- What each hypervisor (node) of a compute host offers and uses, as its agent last
-- reported. The node's uuid is also its resource provider in placement.
CREATE TABLE compute_nodes (
    id BIGINT NOT NULL PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    host VARCHAR(255) NOT NULL,
    hypervisor_hostname VARCHAR(255) NOT NULL UNIQUE,
    hypervisor_type VARCHAR(255) NOT NULL,
    hypervisor_version BIGINT NOT NULL,
    host_ip VARCHAR(64) NOT NULL,
    cpu_info TEXT NOT NULL,
    vcpus BIGINT NOT NULL,
    memory_mb BIGINT NOT NULL,
    local_gb BIGINT NOT NULL,
    vcpus_used BIGINT NOT NULL,
    memory_mb_used BIGINT NOT NULL,
    local_gb_used BIGINT NOT NULL,
    running_vms BIGINT NOT NULL,
    cpu_allocation_ratio DOUBLE PRECISION NOT NULL,
    ram_allocation_ratio DOUBLE PRECISION NOT NULL,
    disk_allocation_ratio DOUBLE PRECISION NOT NULL,
    -- 0 until host discovery has mapped the host to this cell in the API database.
    mapped BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NULL
);
CREATE INDEX compute_nodes_host ON compute_nodes (host);
