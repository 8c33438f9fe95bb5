//! Flavor extra spec validation (microversion 2.86): keys in a namespace Nova knows must
//! be keys it knows, with values of the right kind. Keys in other namespaces, and keys
//! without one, are the operator's own and pass unchecked.

use std::sync::LazyLock;

use regex::Regex;

/// What a value must be.
enum Kind {
    /// `true`/`false` and oslo's other boolean spellings.
    Bool,
    /// An integer within optional bounds.
    Int { min: Option<i64>, max: Option<i64> },
    /// One of a list.
    Enum(&'static [&'static str]),
    /// Matching a regular expression in full.
    Pattern(&'static str),
    /// Any string.
    Text,
}

/// Namespaces whose keys are all known: anything else in them is a typo.
const KNOWN_NAMESPACES: &str = r"^(accel|aggregate_instance_extra_specs|capabilities|hw|hw_rng|hw_video|os|pci_passthrough|quota|resources([a-zA-Z0-9_-]{1,64})?|trait([a-zA-Z0-9_-]{1,64})?|vmware)$";

const GROUP: &str = "([a-zA-Z0-9_-]{1,64})?";
const QUOTA_KEYS: &str = "(cpu|memory|disk_io|vif)";

const CAPABILITIES: &str = "id|uuid|service_id|host|vcpus|memory_mb|local_gb|vcpus_used|memory_mb_used|local_gb_used|hypervisor_type|\
hypervisor_version|hypervisor_hostname|free_ram_mb|free_disk_gb|current_workload|running_vms|disk_available_least|host_ip|mapped|\
cpu_allocation_ratio|ram_allocation_ratio|disk_allocation_ratio|total_usable_ram_mb|total_usable_disk_gb|disk_mb_used|free_disk_mb|\
vcpus_total|num_instances|num_io_ops|failed_builds|aggregates|cell_uuid|updated|cpu_info|metrics|stats|numa_topology|\
supported_hv_specs|pci_device_pools|nodename|pci_stats|supported_instances|limits|instances";

/// Every known key (a regular expression matched in full) with what its value must be.
static VALIDATORS: LazyLock<Vec<(Regex, Kind)>> = LazyLock::new(|| {
    let int = |min: Option<i64>, max: Option<i64>| Kind::Int { min, max };
    let table: Vec<(String, Kind)> = vec![
        ("hw:cpu_realtime".into(), Kind::Bool),
        ("hw:cpu_realtime_mask".into(), Kind::Pattern(r"(\^)?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*")),
        ("hw:hide_hypervisor_id".into(), Kind::Bool),
        ("hw:cpu_policy".into(), Kind::Enum(&["dedicated", "shared", "mixed"])),
        ("hw:cpu_thread_policy".into(), Kind::Enum(&["prefer", "isolate", "require"])),
        ("hw:emulator_threads_policy".into(), Kind::Enum(&["isolate", "share"])),
        ("hw:cpu_dedicated_mask".into(), Kind::Pattern(r"\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*")),
        ("hw:mem_page_size".into(), Kind::Pattern(r"(large|small|any|\d+([kKMGT]i?)?(b|bit|B)?)")),
        ("hw:locked_memory".into(), Kind::Bool),
        ("hw:numa_nodes".into(), int(Some(1), None)),
        (r"hw:numa_cpus\.\d+".into(), Kind::Pattern(r"\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*")),
        (r"hw:numa_mem\.\d+".into(), int(Some(1), None)),
        ("hw:pci_numa_affinity_policy".into(), Kind::Enum(&["required", "preferred", "legacy", "socket"])),
        ("hw:cpu_(max_)?(sockets|cores|threads)".into(), int(Some(1), None)),
        ("hw:boot_menu".into(), Kind::Bool),
        ("hw:vif_multiqueue_enabled".into(), Kind::Bool),
        ("hw:mem_encryption".into(), Kind::Bool),
        ("hw:mem_encryption_model".into(), Kind::Enum(&["amd-sev", "amd-sev-es", "amd-sev-snp"])),
        ("hw:pmem".into(), Kind::Pattern("([a-zA-Z0-9_]+(,)?)+")),
        ("hw:pmu".into(), Kind::Bool),
        ("hw:serial_port_count".into(), int(Some(0), None)),
        ("hw:tpm_model".into(), Kind::Enum(&["tpm-tis", "tpm-crb"])),
        ("hw:tpm_version".into(), Kind::Enum(&["1.2", "2.0"])),
        ("hw:tpm_secret_security".into(), Kind::Enum(&["user", "host", "deployment"])),
        ("hw:watchdog_action".into(), Kind::Enum(&["none", "pause", "poweroff", "reset", "disabled"])),
        ("hw:viommu_model".into(), Kind::Enum(&["intel", "smmuv3", "virtio", "auto"])),
        ("hw:virtio_packed_ring".into(), Kind::Bool),
        ("hw:sound_model".into(), Kind::Enum(&["sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "virtio"])),
        ("hw:usb_model".into(), Kind::Enum(&["none", "nec-xhci", "qemu-xhci"])),
        ("hw:redirected_usb_ports".into(), int(Some(0), Some(15))),
        ("hw:ephemeral_encryption".into(), Kind::Bool),
        ("hw:ephemeral_encryption_format".into(), Kind::Enum(&["plain", "luks", "luksv2"])),
        ("hw_rng:allowed".into(), Kind::Bool),
        ("hw_rng:rate_(bytes|period)".into(), int(Some(0), None)),
        ("hw_video:ram_max_mb".into(), int(Some(0), None)),
        ("os:secure_boot".into(), Kind::Enum(&["disabled", "required"])),
        (format!("quota:{QUOTA_KEYS}_limit"), int(Some(0), None)),
        (format!("quota:{QUOTA_KEYS}_reservation"), int(None, None)),
        (format!("quota:{QUOTA_KEYS}_shares_level"), Kind::Enum(&["custom", "high", "normal", "low"])),
        (format!("quota:{QUOTA_KEYS}_shares_share"), int(Some(0), None)),
        ("quota:cpu_(shares|period)".into(), int(Some(0), None)),
        ("quota:cpu_quota".into(), int(None, None)),
        ("quota:disk_(read|write|total)_(bytes|iops)_sec".into(), int(Some(0), None)),
        ("quota:vif_(inbound|outbound)_(average|peak|burst)".into(), int(Some(0), None)),
        ("accel:device_profile".into(), Kind::Text),
        ("vmware:(hw_version|storage_policy)".into(), Kind::Text),
        ("hide_hypervisor_id".into(), Kind::Bool),
        ("group_policy".into(), Kind::Enum(&["isolate", "none"])),
        ("pci_passthrough:alias".into(), Kind::Pattern(r"[^:]+:\d+(?:\s*,\s*[^:]+:\d+)*")),
        (format!("resources{GROUP}:[A-Z0-9_]+"), int(None, None)),
        (format!("trait{GROUP}:[A-Z0-9_]+"), Kind::Enum(&["required", "forbidden"])),
        (format!("capabilities:({CAPABILITIES})(:\\w+)*"), Kind::Text),
        ("aggregate_instance_extra_specs:.+".into(), Kind::Text),
    ];
    table.into_iter().map(|(k, kind)| (Regex::new(&format!("^(?:{k})$")).expect("extra spec key pattern"), kind)).collect()
});

static NAMESPACES: LazyLock<Regex> = LazyLock::new(|| Regex::new(KNOWN_NAMESPACES).expect("namespace pattern"));

/// Checks one extra spec; the error is Nova's reason, without its "Validation failed;"
/// prefix.
pub fn validate(key: &str, value: &str) -> Result<(), String> {
    let Some((_, kind)) = VALIDATORS.iter().find(|(k, _)| k.is_match(key)) else {
        return match key.split_once(':') {
            Some((namespace, _)) if NAMESPACES.is_match(namespace) => {
                Err(format!("extra spec '{key}' does not appear to be a valid extra spec"))
            }
            _ => Ok(()),
        };
    };
    match kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "1" | "t" | "true" | "on" | "y" | "yes" | "0" | "f" | "false" | "off" | "n" | "no" => Ok(()),
            _ => Err(format!("'{value}' is not a valid boolean-like value")),
        },
        Kind::Int { min, max } => {
            let n: i64 = value.trim().parse().map_err(|_| format!("'{value}' is not a valid integer value"))?;
            if let Some(max) = max.filter(|m| n > *m) {
                return Err(format!("'{value}' is greater than the max value of '{max}'"));
            }
            if let Some(min) = min.filter(|m| n < *m) {
                return Err(format!("'{value}' is less than the min value of '{min}'"));
            }
            Ok(())
        }
        Kind::Enum(allowed) if allowed.contains(&value) => Ok(()),
        Kind::Enum(allowed) => Err(format!("'{value}' is not one of: {}", allowed.join(", "))),
        Kind::Pattern(p) => {
            let full = Regex::new(&format!("^(?:{p})$")).map_err(|e| e.to_string())?;
            if full.is_match(value) { Ok(()) } else { Err(format!("'{value}' is not of the format '{p}'")) }
        }
        Kind::Text => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn known_keys_need_values_of_their_kind() {
        assert!(validate("hw_rng:allowed", "True").is_ok());
        assert!(validate("hw:cpu_policy", "dedicated").is_ok());
        assert_eq!(validate("hw:numa_nodes", "0").unwrap_err(), "'0' is less than the min value of '1'");
        assert_eq!(validate("hw:numa_nodes", "1.0").unwrap_err(), "'1.0' is not a valid integer value");
        assert_eq!(validate("hw:cpu_policy", "x").unwrap_err(), "'x' is not one of: dedicated, shared, mixed");
        assert_eq!(validate("hw:redirected_usb_ports", "16").unwrap_err(), "'16' is greater than the max value of '15'");
        assert_eq!(validate("hw:boot_menu", "maybe").unwrap_err(), "'maybe' is not a valid boolean-like value");
        assert!(validate("hw:mem_page_size", "2MB").is_ok());
        assert!(validate("hw:mem_page_size", "huge").is_err());
        assert!(validate("resources1:VCPU", "2").is_ok());
        assert!(validate("trait:HW_CPU_X86_AVX", "required").is_ok());
        assert!(validate("quota:disk_read_bytes_sec", "10240").is_ok());
    }

    #[test]
    fn unknown_keys_fail_only_in_known_namespaces() {
        assert_eq!(validate("hw:foo", "1").unwrap_err(), "extra spec 'hw:foo' does not appear to be a valid extra spec");
        assert!(validate("foo:bar", "anything").is_ok());
        assert!(validate("plain-key", "anything").is_ok());
    }
}
