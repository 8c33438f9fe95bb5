//! The scheduler's filters: each says whether a host may take an instance.

use std::collections::{BTreeMap, HashMap};

use super::HostState;
use crate::rpc::RequestSpec;

/// What the filters of one instance's scheduling know besides the host and the spec.
#[derive(Debug, Default)]
pub struct FilterContext {
    /// The instance's server group policy and rule, when it joins one.
    pub group_policy: Option<String>,
    pub max_server_per_host: Option<i64>,
    /// How many members of that group each host holds.
    pub group_hosts: HashMap<String, i64>,
    /// The hosts of the `same_host` and `different_host` hints' instances.
    pub same_hosts: Vec<String>,
    pub different_hosts: Vec<String>,
}

/// A filter, by Nova's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    AvailabilityZone,
    Compute,
    ComputeCapabilities,
    ImageProperties,
    ServerGroupAffinity,
    ServerGroupAntiAffinity,
    AggregateInstanceExtraSpecs,
    AggregateMultiTenancyIsolation,
    SameHost,
    DifferentHost,
}

/// Nova's default filters (its `enabled_filters`) with the hint filters devstack adds.
pub const DEFAULT_FILTERS: [Filter; 8] = [
    Filter::AvailabilityZone,
    Filter::Compute,
    Filter::ComputeCapabilities,
    Filter::ImageProperties,
    Filter::ServerGroupAntiAffinity,
    Filter::ServerGroupAffinity,
    Filter::SameHost,
    Filter::DifferentHost,
];

impl Filter {
    /// Every filter.
    pub const ALL: [Filter; 10] = [
        Filter::AvailabilityZone,
        Filter::Compute,
        Filter::ComputeCapabilities,
        Filter::ImageProperties,
        Filter::ServerGroupAffinity,
        Filter::ServerGroupAntiAffinity,
        Filter::AggregateInstanceExtraSpecs,
        Filter::AggregateMultiTenancyIsolation,
        Filter::SameHost,
        Filter::DifferentHost,
    ];

    /// Nova's class name.
    pub fn name(self) -> &'static str {
        match self {
            Filter::AvailabilityZone => "AvailabilityZoneFilter",
            Filter::Compute => "ComputeFilter",
            Filter::ComputeCapabilities => "ComputeCapabilitiesFilter",
            Filter::ImageProperties => "ImagePropertiesFilter",
            Filter::ServerGroupAffinity => "ServerGroupAffinityFilter",
            Filter::ServerGroupAntiAffinity => "ServerGroupAntiAffinityFilter",
            Filter::AggregateInstanceExtraSpecs => "AggregateInstanceExtraSpecsFilter",
            Filter::AggregateMultiTenancyIsolation => "AggregateMultiTenancyIsolation",
            Filter::SameHost => "SameHostFilter",
            Filter::DifferentHost => "DifferentHostFilter",
        }
    }

    /// The filter Nova names `name`.
    pub fn parse(name: &str) -> Option<Filter> {
        Filter::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether `host` may take the instance of `spec`.
    pub fn passes(self, host: &HostState, spec: &RequestSpec, ctx: &FilterContext) -> bool {
        match self {
            Filter::AvailabilityZone => spec.availability_zone.as_ref().is_none_or(|z| *z == host.availability_zone),
            Filter::Compute => host.service_up && !host.service_disabled,
            Filter::ComputeCapabilities => compute_capabilities(host, &spec.flavor.extra_specs),
            Filter::ImageProperties => image_properties(host, &spec.image_properties),
            Filter::ServerGroupAffinity => match ctx.group_policy.as_deref() {
                Some("affinity") if !ctx.group_hosts.is_empty() => ctx.group_hosts.contains_key(&host.host),
                _ => true,
            },
            Filter::ServerGroupAntiAffinity => match ctx.group_policy.as_deref() {
                Some("anti-affinity") => ctx.group_hosts.get(&host.host).copied().unwrap_or(0) < ctx.max_server_per_host.unwrap_or(1),
                _ => true,
            },
            Filter::AggregateInstanceExtraSpecs => aggregate_extra_specs(host, &spec.flavor.extra_specs),
            Filter::AggregateMultiTenancyIsolation => multi_tenancy(host, &spec.project_id),
            Filter::SameHost => ctx.same_hosts.is_empty() || ctx.same_hosts.contains(&host.host),
            Filter::DifferentHost => !ctx.different_hosts.contains(&host.host),
        }
    }
}

/// The value of a host attribute an extra spec names (Nova's `HostState` attributes,
/// `cpu_info:<key>` into the CPU's description).
fn host_attribute(host: &HostState, name: &str) -> Option<String> {
    if let Some(key) = name.strip_prefix("cpu_info:") {
        let mut v = &host.cpu_info;
        for part in key.split(':') {
            v = v.get(part)?;
        }
        return Some(match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    }
    Some(match name {
        "hypervisor_type" => host.hypervisor_type.clone(),
        "hypervisor_version" => host.hypervisor_version.to_string(),
        "hypervisor_hostname" => host.node.clone(),
        "host" => host.host.clone(),
        "vcpus_total" => host.vcpus.to_string(),
        "free_ram_mb" => (host.free_ram_mb as i64).to_string(),
        "free_disk_mb" => ((host.free_disk_gb * 1024.0) as i64).to_string(),
        "total_usable_ram_mb" => host.memory_mb.to_string(),
        _ => return None,
    })
}

fn compute_capabilities(host: &HostState, extra_specs: &BTreeMap<String, String>) -> bool {
    extra_specs.iter().all(|(key, wanted)| {
        let name = match key.split_once(':') {
            Some(("capabilities", rest)) => rest,
            Some(_) => return true,
            None => key.as_str(),
        };
        host_attribute(host, name).is_some_and(|value| matches(&value, wanted))
    })
}

fn aggregate_extra_specs(host: &HostState, extra_specs: &BTreeMap<String, String>) -> bool {
    extra_specs.iter().all(|(key, wanted)| {
        let name = match key.split_once(':') {
            Some(("aggregate_instance_extra_specs", rest)) => rest,
            Some(_) => return true,
            None => key.as_str(),
        };
        let values: Vec<&str> =
            host.aggregates.iter().filter_map(|a| a.metadata.get(name)).flat_map(|v| v.split(',')).map(str::trim).collect();
        !values.is_empty() && values.iter().any(|v| matches(v, wanted))
    })
}

fn multi_tenancy(host: &HostState, project_id: &str) -> bool {
    let mut isolated = false;
    for aggregate in &host.aggregates {
        for (key, value) in &aggregate.metadata {
            if key.starts_with("filter_tenant_id") {
                isolated = true;
                if value.split(',').any(|p| p.trim() == project_id) {
                    return true;
                }
            }
        }
    }
    !isolated
}

/// An image property's canonical form, so that `amd64` and `x86_64` (or `QEMU` and
/// `qemu`) are the same.
pub(super) fn canonical(value: &str) -> String {
    match value.to_ascii_lowercase().as_str() {
        "amd64" | "x64" | "x86-64" => "x86_64".into(),
        "i386" | "i486" | "i586" | "i686" | "x86_32" => "i686".into(),
        "arm64" => "aarch64".into(),
        other => other.to_owned(),
    }
}

fn image_properties(host: &HostState, properties: &BTreeMap<String, String>) -> bool {
    let prop = |new: &str, old: &str| properties.get(new).or_else(|| properties.get(old)).map(|v| canonical(v));
    let arch = prop("hw_architecture", "architecture");
    let hv_type = prop("img_hv_type", "hypervisor_type");
    let vm_mode = prop("hw_vm_mode", "vm_mode");
    if arch.is_none() && hv_type.is_none() && vm_mode.is_none() {
        return true;
    }
    host.supported_instances.iter().any(|(a, h, m)| {
        arch.as_ref().is_none_or(|x| x == a) && hv_type.as_ref().is_none_or(|x| x == h) && vm_mode.as_ref().is_none_or(|x| x == m)
    })
}

/// Whether `value` matches the extra spec `requirement` with Nova's operators:
/// `= N` (at least N), `== N`, `!= N`, `>= N`, `<= N`, `s==`, `s!=`, `s<`, `s<=`,
/// `s>`, `s>=` (string comparisons), `<in> sub`, `<all-in> a b`, `<or> a <or> b`, or a
/// plain string that must be equal.
pub fn matches(value: &str, requirement: &str) -> bool {
    let words: Vec<&str> = requirement.split_whitespace().collect();
    let Some(&op) = words.first() else { return value.is_empty() };
    let rest = words[1..].join(" ");
    let number = |s: &str| s.trim().parse::<f64>().ok();
    let numeric = |f: fn(f64, f64) -> bool| matches!((number(value), number(&rest)), (Some(a), Some(b)) if f(a, b));
    match op {
        "=" => numeric(|a, b| a >= b),
        "==" => numeric(|a, b| a == b),
        "!=" => numeric(|a, b| a != b),
        ">=" => numeric(|a, b| a >= b),
        "<=" => numeric(|a, b| a <= b),
        "s==" => value == rest,
        "s!=" => value != rest,
        "s<" => value < rest.as_str(),
        "s<=" => value <= rest.as_str(),
        "s>" => value > rest.as_str(),
        "s>=" => value >= rest.as_str(),
        "<in>" => value.contains(rest.as_str()),
        "<all-in>" => words[1..].iter().all(|w| value.split_whitespace().any(|v| v == *w)),
        "<or>" => requirement.split("<or>").map(str::trim).filter(|s| !s.is_empty()).any(|alt| alt == value),
        _ => value == requirement.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_spec_operators_compare_as_nova_does() {
        assert!(matches("4096", "= 2048"));
        assert!(!matches("1024", "= 2048"));
        assert!(matches("2048", "== 2048"));
        assert!(matches("fake", "s== fake"));
        assert!(matches("QEMU", "<or> KVM <or> QEMU"));
        assert!(matches("x86_64 avx sse", "<all-in> avx sse"));
        assert!(matches("Intel Xeon", "<in> Xeon"));
        assert!(matches("ssd", "ssd"));
        assert!(!matches("hdd", "ssd"));
        assert!(!matches("abc", ">= 3"));
    }
}
