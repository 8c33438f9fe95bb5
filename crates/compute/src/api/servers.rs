//! `/servers` on the wire: create, list and update bodies checked as Nova's schemas
//! check them, and server bodies as each microversion shows them.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Value, json};

use super::{
    boolean, integer, invalid, invalid_query, last, only_keys, parse_limit, printable_name, py_repr, query_time as time, required, string,
    wrapped,
};
use crate::domain::servers::{CreatedServers, NewServer, ServerQuery, ServerView};
use crate::domain::{Error, Result, Version};
use crate::states::{self, VmState};
use crate::store::cell::{InstanceChanges, InstanceFilter, SortKey};

/// A uuid, or the last path segment of a URL to one (Nova accepts image URLs).
pub(super) fn reference(v: &str) -> String {
    v.rsplit('/').next().unwrap_or(v).to_owned()
}

pub(super) fn metadata(field: &str, v: &Value) -> Result<BTreeMap<String, String>> {
    let obj = v.as_object().ok_or_else(|| invalid(field, v, &format!("{} is not of type 'object'", py_repr(v))))?;
    let mut out = BTreeMap::new();
    for (k, val) in obj {
        if k.is_empty() || k.chars().count() > 255 {
            return Err(invalid(field, v, &format!("'{k}' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{{1,255}}$'")));
        }
        out.insert(k.clone(), string(&format!("{field}/{k}"), val, 0, 255)?);
    }
    Ok(out)
}

fn tag(field: &str, v: &Value) -> Result<String> {
    let t = string(field, v, 1, 60)?;
    if t.contains('/') || t.contains(',') {
        return Err(invalid(field, v, &format!("{} does not match '^[^,/]*$'", py_repr(v))));
    }
    Ok(t)
}

fn uuids(field: &str, v: &Value) -> Result<Vec<String>> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .map(|i| {
            let s = string(field, i, 1, 255)?;
            uuid::Uuid::parse_str(&s).map_err(|_| invalid(field, i, &format!("{} is not a 'uuid'", py_repr(i))))?;
            Ok(s)
        })
        .collect()
}

/// An access address, in its canonical form (IPv6 compressed) as Nova stores it.
pub(super) fn access_ip(key: &str, v: &Value, v6: bool) -> Result<Option<String>> {
    let text = string(key, v, 0, 64)?;
    let canonical = if v6 {
        text.parse::<std::net::Ipv6Addr>().map(|a| a.to_string())
    } else {
        text.parse::<std::net::Ipv4Addr>().map(|a| a.to_string())
    };
    canonical.map(Some).map_err(|_| invalid(key, v, &format!("{} is not a '{}'", py_repr(v), if v6 { "ipv6" } else { "ipv4" })))
}

/// Block device mappings need volumes, which no service provides yet; the one mapping
/// allowed is the root disk made from the image itself (what clients send for an image
/// boot), which is what booting from `imageRef` does anyway.
fn check_block_devices(b: &Value, image_ref: &str, v2: bool) -> Result<()> {
    let field = if v2 { "block_device_mapping_v2" } else { "block_device_mapping" };
    let items = b.as_array().ok_or_else(|| invalid(field, b, &format!("{} is not of type 'array'", py_repr(b))))?;
    let is_image_root = |m: &Value| {
        v2 && m["source_type"] == "image"
            && m["destination_type"].as_str().is_none_or(|d| d == "local")
            && m["uuid"].as_str() == Some(image_ref)
            && m["boot_index"].as_i64().or_else(|| m["boot_index"].as_str().and_then(|i| i.parse().ok())) == Some(0)
    };
    if items.iter().all(is_image_root) {
        return Ok(());
    }
    Err(Error::BadRequest("Block device mappings need the volume service, which Ferrostack does not run yet: boot from an image.".into()))
}

/// A create body: the server to create, and whether to answer with its reservation id.
pub fn parse_create(body: &Value, version: Version) -> Result<(NewServer, bool)> {
    let top = body.as_object().ok_or_else(|| Error::BadRequest(format!("{} is not of type 'object'", py_repr(body))))?;
    let hints_key = ["os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"].into_iter().find(|k| top.contains_key(*k));
    let mut bare = top.clone();
    if let Some(k) = hints_key {
        bare.remove(k);
    }
    let bare = Value::Object(bare);
    let s = wrapped(&bare, "server")?;
    let mut allowed = vec![
        "name",
        "imageRef",
        "flavorRef",
        "adminPass",
        "metadata",
        "availability_zone",
        "networks",
        "key_name",
        "user_data",
        "min_count",
        "max_count",
        "return_reservation_id",
        "config_drive",
        "accessIPv4",
        "accessIPv6",
        "block_device_mapping",
        "block_device_mapping_v2",
        "security_groups",
        "OS-DCF:diskConfig",
    ];
    if !version.at_least(57) {
        allowed.push("personality");
    }
    for (minor, key) in
        [(19, "description"), (52, "tags"), (63, "trusted_image_certificates"), (74, "host"), (74, "hypervisor_hostname"), (90, "hostname")]
    {
        if version.at_least(minor) {
            allowed.push(key);
        }
    }
    only_keys(s, &allowed, Some("server"))?;
    let name = string("name", required(s, "name", "server")?, 1, 255)?;
    printable_name(&name)?;
    let flavor_ref = match required(s, "flavorRef", "server")? {
        Value::Number(n) => n.to_string(),
        v => string("flavorRef", v, 1, 255)?,
    };
    let image_ref = match s.get("imageRef") {
        Some(v) => reference(&string("imageRef", v, 0, 255)?),
        None => String::new(),
    };
    if let Some(b) = s.get("block_device_mapping") {
        check_block_devices(b, &image_ref, false)?;
    }
    if let Some(b) = s.get("block_device_mapping_v2") {
        check_block_devices(b, &image_ref, true)?;
    }
    match s.get("networks") {
        None if version.at_least(37) => return Err(invalid("server", &Value::Object(s.clone()), "'networks' is a required property")),
        None => {}
        Some(Value::String(n)) if n == "none" && version.at_least(37) => {}
        Some(Value::String(n)) if n == "auto" && version.at_least(37) => {
            return Err(Error::BadRequest(
                "networks 'auto' needs the network service, which Ferrostack does not run yet: use 'none'.".into(),
            ));
        }
        Some(Value::Array(a)) if a.is_empty() => {}
        Some(Value::Array(_)) => {
            return Err(Error::BadRequest(
                "Networks and ports need the network service, which Ferrostack does not run yet: use 'none'.".into(),
            ));
        }
        Some(other) => return Err(invalid("networks", other, &format!("{} is not valid under any of the given schemas", py_repr(other)))),
    }
    if let Some(groups) = s.get("security_groups") {
        let names: Vec<&str> = groups.as_array().into_iter().flatten().filter_map(|g| g["name"].as_str()).collect();
        if names.iter().any(|n| *n != "default") {
            return Err(Error::BadRequest("Security groups need the network service, which Ferrostack does not run yet.".into()));
        }
    }
    if s.get("personality").is_some_and(|p| p.as_array().is_some_and(|a| !a.is_empty())) {
        return Err(Error::BadRequest("Injected files (personality) are not supported by Ferrostack: use user_data or metadata.".into()));
    }
    let optional = |key: &str, max: usize| s.get(key).filter(|v| !v.is_null()).map(|v| string(key, v, 0, max)).transpose();
    let user_data = optional("user_data", 65535)?;
    if let Some(u) = &user_data
        && base64::engine::general_purpose::STANDARD.decode(u).is_err()
    {
        return Err(Error::BadRequest("User data needs to be valid base 64.".into()));
    }
    let ip = |key: &str, v6: bool| -> Result<Option<String>> {
        match s.get(key).filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(v) => access_ip(key, v, v6),
        }
    };
    let min_count = s.get("min_count").map(|v| integer("min_count", v, 1, i64::from(i32::MAX))).transpose()?.unwrap_or(1);
    let max_count = s.get("max_count").map(|v| integer("max_count", v, 1, i64::from(i32::MAX))).transpose()?.unwrap_or(min_count);
    if min_count > max_count {
        return Err(Error::BadRequest("min_count must be <= max_count".into()));
    }
    let tags = match s.get("tags") {
        Some(Value::Array(items)) if items.len() <= crate::domain::server_metadata::MAX_TAGS => {
            items.iter().map(|t| tag("tags", t)).collect::<Result<Vec<_>>>()?
        }
        Some(other) => return Err(invalid("tags", other, &format!("{} is not a valid list of at most 50 tags", py_repr(other)))),
        None => Vec::new(),
    };
    let hints = hints_key.and_then(|k| top.get(k)).and_then(Value::as_object).cloned().unwrap_or_default();
    let hint = |key: &str| hints.get(key).map(|v| uuids(&format!("{}/{key}", hints_key.unwrap_or("os:scheduler_hints")), v)).transpose();
    let group = hint("group")?.and_then(|g| g.into_iter().next());
    let mut zone = optional("availability_zone", 255)?;
    if let Some(host) = optional("host", 255)? {
        let node = optional("hypervisor_hostname", 255)?;
        zone = Some(format!("{}:{host}{}", zone.unwrap_or_default(), node.map(|n| format!(":{n}")).unwrap_or_default()));
    }
    let new = NewServer {
        name,
        description: match s.get("description") {
            Some(Value::Null) | None => None,
            Some(v) => Some(string("description", v, 0, 255)?),
        },
        flavor_ref,
        image_ref,
        key_name: optional("key_name", 255)?,
        user_data,
        metadata: s.get("metadata").map(|m| metadata("metadata", m)).transpose()?.unwrap_or_default(),
        availability_zone: zone,
        min_count,
        max_count,
        access_ip_v4: ip("accessIPv4", false)?,
        access_ip_v6: ip("accessIPv6", true)?,
        config_drive: s
            .get("config_drive")
            .map(|v| boolean("config_drive", v).or_else(|_| Ok::<_, Error>(v.as_str().is_some_and(|x| !x.is_empty()))))
            .transpose()?
            .unwrap_or(false),
        tags,
        admin_pass: optional("adminPass", 255)?,
        hostname: optional("hostname", 255)?,
        same_host: hint("same_host")?.unwrap_or_default(),
        different_host: hint("different_host")?.unwrap_or_default(),
        group,
    };
    let return_reservation_id = s.get("return_reservation_id").map(|v| boolean("return_reservation_id", v)).transpose()?.unwrap_or(false);
    Ok((new, return_reservation_id))
}

/// An update body.
pub fn parse_update(body: &Value, version: Version) -> Result<InstanceChanges> {
    let s = wrapped(body, "server")?;
    let mut allowed = vec!["name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"];
    if version.at_least(19) {
        allowed.push("description");
    }
    if version.at_least(90) {
        allowed.push("hostname");
    }
    only_keys(s, &allowed, Some("server"))?;
    let mut changes = InstanceChanges::default();
    if let Some(v) = s.get("name") {
        let name = string("name", v, 1, 255)?;
        printable_name(&name)?;
        changes.display_name = Some(name);
    }
    if let Some(v) = s.get("description") {
        changes.display_description = Some(if v.is_null() { None } else { Some(string("description", v, 0, 255)?) });
    }
    if let Some(v) = s.get("hostname") {
        changes.hostname = Some(string("hostname", v, 1, 63)?);
    }
    for (key, v6) in [("accessIPv4", false), ("accessIPv6", true)] {
        if let Some(v) = s.get(key) {
            let value = Some(if v.as_str() == Some("") { None } else { access_ip(key, v, v6)? });
            if v6 {
                changes.access_ip_v6 = value;
            } else {
                changes.access_ip_v4 = value;
            }
        }
    }
    Ok(changes)
}

/// What a list asks, with the flavor named by its flavor id (resolved by the caller).
pub struct ListRequest {
    pub query: ServerQuery,
    pub flavor: Option<String>,
    /// A filter that matches nothing here (an unknown status, an address while no
    /// server has one).
    pub matches_nothing: bool,
}

fn split(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// A list's query.
pub fn parse_list(pairs: &[(String, String)], version: Version) -> Result<ListRequest> {
    let mut filter = InstanceFilter::default();
    let mut matches_nothing = false;
    let statuses: Vec<&str> = pairs.iter().filter(|(k, _)| k == "status").map(|(_, v)| v.as_str()).collect();
    if !statuses.is_empty() {
        let mut vms = Vec::new();
        let mut tasks: Option<Vec<_>> = None;
        for status in statuses {
            match states::states_of_status(status) {
                Some((v, t)) => {
                    vms.extend(v);
                    if let Some(t) = t {
                        tasks.get_or_insert_with(Vec::new).extend(t);
                    }
                }
                None => matches_nothing = true,
            }
        }
        if vms.is_empty() {
            matches_nothing = true;
        }
        filter.vm_states = Some(vms);
        filter.task_states = tasks;
    }
    filter.image_ref = last(pairs, "image").map(reference);
    filter.reservation_id = last(pairs, "reservation_id").map(str::to_owned);
    filter.host = last(pairs, "host").map(str::to_owned);
    filter.node = last(pairs, "node").map(str::to_owned);
    filter.user_id = last(pairs, "user_id").map(str::to_owned);
    filter.availability_zone = last(pairs, "availability_zone").map(str::to_owned);
    filter.key_name = last(pairs, "key_name").map(str::to_owned);
    filter.project_id = last(pairs, "project_id").or_else(|| last(pairs, "tenant_id")).map(str::to_owned);
    filter.uuids = last(pairs, "uuid").map(|u| vec![u.to_owned()]);
    if let Some(v) = last(pairs, "changes-since") {
        filter.changes_since = Some(time("changes-since", v)?);
    }
    if version.at_least(66)
        && let Some(v) = last(pairs, "changes-before")
    {
        filter.changes_before = Some(time("changes-before", v)?);
        if filter.changes_since.is_some_and(|s| s > filter.changes_before.unwrap_or(i64::MAX)) {
            return Err(Error::BadRequest("The value of changes-since must be less than or equal to changes-before.".into()));
        }
    }
    if let Some(v) = last(pairs, "deleted") {
        filter.deleted = Some(super::strict_bool(v).unwrap_or(false));
    }
    if version.at_least(73)
        && let Some(v) = last(pairs, "locked")
    {
        filter.locked = Some(super::strict_bool(v).ok_or_else(|| invalid_query("locked", v, "Unrecognized value"))?);
    }
    if version.at_least(26) {
        filter.tags = last(pairs, "tags").map(split).unwrap_or_default();
        filter.tags_any = last(pairs, "tags-any").map(split).unwrap_or_default();
        filter.not_tags = last(pairs, "not-tags").map(split).unwrap_or_default();
        filter.not_tags_any = last(pairs, "not-tags-any").map(split).unwrap_or_default();
    }
    if last(pairs, "ip").is_some() || last(pairs, "ip6").is_some() {
        // No server has an address while no network service runs.
        matches_nothing = true;
    }
    let sort_key = match last(pairs, "sort_key") {
        None => SortKey::CreatedAt,
        Some(k) => SortKey::parse(k)
            .ok_or_else(|| invalid_query("sort_key", k, &format!("'{k}' is not one of the sort keys a server list accepts")))?,
    };
    let descending = match last(pairs, "sort_dir") {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(d) => return Err(invalid_query("sort_dir", d, &format!("'{d}' is not one of ['asc', 'desc']"))),
    };
    let all_tenants = match last(pairs, "all_tenants") {
        None => false,
        Some("") => true,
        Some(v) => super::strict_bool(v).ok_or_else(|| invalid_query("all_tenants", v, "Unrecognized value"))?,
    };
    let query = ServerQuery {
        filter,
        name: last(pairs, "name").map(str::to_owned),
        all_tenants,
        sort_key,
        descending,
        marker: last(pairs, "marker").map(str::to_owned),
        limit: parse_limit(pairs)?,
    };
    Ok(ListRequest { query, flavor: last(pairs, "flavor").map(reference), matches_nothing })
}

fn iso(t: i64) -> String {
    common::time::from_micros(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn iso_micros(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(common::time::from_micros(t).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()))
}

fn links(endpoint: &str, kind: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{endpoint}/v2.1/{kind}/{id}")},
        {"rel": "bookmark", "href": format!("{endpoint}/{kind}/{id}")},
    ])
}

/// Nova's `hostId`: the host hashed with the project, so that a project can tell its
/// servers apart by host without learning host names.
fn host_id(project: &str, host: Option<&str>) -> String {
    match host {
        Some(h) => openssl::sha::sha224(format!("{project}{h}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect(),
        None => String::new(),
    }
}

/// How a server is shown to the caller.
#[derive(Debug, Clone, Copy)]
pub struct ShowAs<'a> {
    pub version: Version,
    pub endpoint: &'a str,
    /// Admins see hosts, hypervisors and the extended attributes.
    pub admin: bool,
    /// The flavor's extra specs are shown (2.47+) to those who may read them.
    pub extra_specs: bool,
    /// Server groups (2.71+) appear in show, update and rebuild answers.
    pub server_groups: Option<&'a [String]>,
}

/// A server in a brief list.
pub fn render_brief(v: &ServerView, endpoint: &str) -> Value {
    json!({"id": v.instance.uuid, "name": v.instance.display_name, "links": links(endpoint, "servers", &v.instance.uuid)})
}

/// A server in full.
pub fn render(v: &ServerView, how: ShowAs) -> Value {
    let i = &v.instance;
    let version = how.version;
    let status = states::status(i.vm_state, i.task_state);
    let f = &i.flavor;
    let flavor = if version.at_least(47) {
        let mut fl = json!({
            "vcpus": f["vcpus"], "ram": f["memory_mb"], "disk": f["root_gb"], "ephemeral": f["ephemeral_gb"], "swap": f["swap"],
            "original_name": f["name"],
        });
        if how.extra_specs {
            fl["extra_specs"] = f["extra_specs"].clone();
        }
        fl
    } else {
        let id = f["flavorid"].as_str().unwrap_or_default();
        json!({"id": id, "links": [{"rel": "bookmark", "href": format!("{}/flavors/{id}", how.endpoint)}]})
    };
    let image = if i.image_ref.is_empty() {
        json!("")
    } else {
        json!({"id": i.image_ref, "links": [{"rel": "bookmark", "href": format!("{}/images/{}", how.endpoint, i.image_ref)}]})
    };
    let mut body = json!({
        "id": i.uuid, "name": i.display_name, "status": status, "tenant_id": i.project_id, "user_id": i.user_id,
        "metadata": i.metadata, "hostId": host_id(&i.project_id, i.host.as_deref()), "image": image, "flavor": flavor,
        "created": iso(i.created_at), "updated": iso(i.updated_at), "addresses": {},
        "accessIPv4": i.access_ip_v4.clone().unwrap_or_default(), "accessIPv6": i.access_ip_v6.clone().unwrap_or_default(),
        "links": links(how.endpoint, "servers", &i.uuid), "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": i.availability_zone.clone().unwrap_or_default(),
        "config_drive": if i.config_drive { "True" } else { "" }, "key_name": i.key_name,
        "OS-SRV-USG:launched_at": iso_micros(i.launched_at), "OS-SRV-USG:terminated_at": iso_micros(i.terminated_at),
        "OS-EXT-STS:task_state": i.task_state.map(|t| t.as_str()), "OS-EXT-STS:vm_state": i.vm_state.as_str(),
        "OS-EXT-STS:power_state": i.power_state.code(),
        "os-extended-volumes:volumes_attached": [],
    });
    if ["ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"].contains(&status) {
        body["progress"] = json!(i.progress);
    }
    if how.admin {
        body["OS-EXT-SRV-ATTR:host"] = json!(i.host);
        body["OS-EXT-SRV-ATTR:hypervisor_hostname"] = json!(i.node);
        body["OS-EXT-SRV-ATTR:instance_name"] = json!(format!("instance-{}", &i.uuid[..8]));
        if version.at_least(3) {
            body["OS-EXT-SRV-ATTR:reservation_id"] = json!(i.reservation_id);
            body["OS-EXT-SRV-ATTR:launch_index"] = json!(i.launch_index);
            body["OS-EXT-SRV-ATTR:hostname"] = json!(i.hostname);
            body["OS-EXT-SRV-ATTR:kernel_id"] = json!("");
            body["OS-EXT-SRV-ATTR:ramdisk_id"] = json!("");
            body["OS-EXT-SRV-ATTR:root_device_name"] = Value::Null;
            body["OS-EXT-SRV-ATTR:user_data"] = json!(i.user_data);
        }
    }
    if let Some(fault) = &v.fault
        && matches!(i.vm_state, VmState::Error | VmState::Deleted)
    {
        let mut fb = json!({"code": fault.code, "created": iso(fault.created_at), "message": fault.message});
        if let Some(d) = &fault.details
            && (how.admin || fault.code != 500)
        {
            fb["details"] = json!(d);
        }
        body["fault"] = fb;
    }
    if version.at_least(9) {
        body["locked"] = json!(i.locked_by.is_some());
    }
    if version.at_least(16)
        && let Some(h) = v.host_status
    {
        body["host_status"] = json!(h);
    }
    if version.at_least(19) {
        body["description"] = json!(i.display_description);
    }
    if version.at_least(26) {
        body["tags"] = json!(i.tags);
    }
    if version.at_least(63) {
        body["trusted_image_certificates"] = Value::Null;
    }
    if version.at_least(71)
        && let Some(groups) = how.server_groups
    {
        body["server_groups"] = json!(groups);
    }
    if version.at_least(73) {
        body["locked_reason"] = json!(i.locked_reason);
    }
    if version.at_least(96) {
        body["pinned_availability_zone"] = Value::Null;
    }
    body
}

/// The fields an update or rebuild answers with before 2.75 (from 2.75 they answer as
/// show does).
const CHANGED_FIELDS: [&str; 24] = [
    "id",
    "name",
    "status",
    "tenant_id",
    "user_id",
    "metadata",
    "hostId",
    "image",
    "flavor",
    "created",
    "updated",
    "addresses",
    "accessIPv4",
    "accessIPv6",
    "links",
    "OS-DCF:diskConfig",
    "progress",
    "fault",
    "locked",
    "description",
    "tags",
    "trusted_image_certificates",
    "server_groups",
    "locked_reason",
];

/// A server as an update (or, with `rebuild`, a rebuild) answers with it.
pub fn render_changed(v: &ServerView, how: ShowAs, rebuild: bool) -> Value {
    let version = how.version;
    let mut body = render(v, how);
    if !version.at_least(75)
        && let Some(fields) = body.as_object_mut()
    {
        fields.retain(|k, _| CHANGED_FIELDS.contains(&k.as_str()) || (rebuild && k == "key_name" && version.at_least(54)));
    }
    if rebuild && version.at_least(57) {
        // A rebuild shows the user data it may have replaced, under its own name.
        if let Some(fields) = body.as_object_mut() {
            fields.remove("OS-EXT-SRV-ATTR:user_data");
        }
        body["user_data"] = json!(v.instance.user_data);
    }
    body
}

/// A create's answer.
pub fn render_created(c: &CreatedServers, return_reservation_id: bool, endpoint: &str) -> Value {
    if return_reservation_id {
        return json!({"reservation_id": c.reservation_id});
    }
    let first = &c.instances[0];
    json!({"server": {
        "id": first.uuid, "links": links(endpoint, "servers", &first.uuid), "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}], "adminPass": c.admin_pass,
    }})
}

/// A metadata body (`metadata` or `meta`) as a map.
pub fn parse_metadata(body: &Value, wrapper: &str) -> Result<BTreeMap<String, String>> {
    let m = wrapped(body, wrapper)?;
    metadata(wrapper, &Value::Object(m.clone()))
}

/// A one-item `meta` body for the item `key` (`PUT .../metadata/{key}`): its value.
pub fn parse_meta_item(body: &Value, key: &str) -> Result<String> {
    let items = parse_metadata(body, "meta")?;
    if items.len() > 1 {
        return Err(Error::BadRequest("Request body contains too many items".into()));
    }
    items.get(key).cloned().ok_or_else(|| Error::BadRequest("Request body and URI mismatch".into()))
}

/// A tags replacement body.
pub fn parse_tags(body: &Value) -> Result<Vec<String>> {
    let top = body.as_object().ok_or_else(|| Error::BadRequest(format!("{} is not of type 'object'", py_repr(body))))?;
    only_keys(top, &["tags"], None)?;
    let tags = required(top, "tags", "tags")?;
    let items = tags.as_array().ok_or_else(|| invalid("tags", tags, &format!("{} is not of type 'array'", py_repr(tags))))?;
    items.iter().map(|t| tag("tags", t)).collect()
}

/// A single tag in a path.
pub fn check_tag(t: &str) -> Result<()> {
    tag("tag", &Value::String(t.to_owned())).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(server: Value, minor: u16) -> Result<NewServer> {
        parse_create(&json!({"server": server}), Version(minor)).map(|(n, _)| n)
    }

    #[test]
    fn networks_are_none_until_a_network_service_exists() {
        let base = json!({"name": "s", "flavorRef": "1", "imageRef": "i"});
        assert!(create(base.clone(), 36).is_ok(), "before 2.37 networks may be left out");
        assert!(create(base.clone(), 37).is_err(), "from 2.37 networks is required");
        let with = |n: Value| {
            let mut b = base.clone();
            b["networks"] = n;
            b
        };
        assert!(create(with(json!("none")), 37).is_ok());
        assert!(matches!(create(with(json!("auto")), 37), Err(Error::BadRequest(m)) if m.contains("network service")));
        assert!(matches!(create(with(json!([{"uuid": "n"}])), 37), Err(Error::BadRequest(m)) if m.contains("network service")));
    }

    #[test]
    fn only_the_image_root_disk_mapping_is_accepted() {
        let server =
            |bdm: Value| json!({"name": "s", "flavorRef": "1", "imageRef": "img", "networks": "none", "block_device_mapping_v2": bdm});
        let root =
            json!({"uuid": "img", "boot_index": 0, "source_type": "image", "destination_type": "local", "delete_on_termination": true});
        assert!(create(server(json!([root])), 96).is_ok());
        let volume = json!({"uuid": "img", "boot_index": 0, "source_type": "image", "destination_type": "volume", "volume_size": 1});
        assert!(matches!(create(server(json!([volume])), 96), Err(Error::BadRequest(m)) if m.contains("volume service")));
        let other_image = json!({"uuid": "other", "boot_index": 0, "source_type": "image", "destination_type": "local"});
        assert!(create(server(json!([other_image])), 96).is_err());
    }

    #[test]
    fn access_addresses_are_stored_canonical() {
        let server = json!({"name": "s", "flavorRef": "1", "imageRef": "i", "networks": "none",
            "accessIPv4": "1.1.1.1", "accessIPv6": "0000:0000:0000:0000:0000:babe:220.12.22.2"});
        assert_eq!(create(server, 96).unwrap().access_ip_v6.as_deref(), Some("::babe:dc0c:1602"));
        let bad = json!({"name": "s", "flavorRef": "1", "imageRef": "i", "networks": "none", "accessIPv6": "1.1.1.1"});
        assert!(create(bad, 96).is_err());
    }

    #[test]
    fn names_are_at_most_255_characters() {
        let server = |name: String| json!({"name": name, "flavorRef": "1", "imageRef": "i", "networks": "none"});
        assert!(create(server("a".repeat(255)), 96).is_ok());
        assert!(matches!(create(server("a".repeat(256)), 96), Err(Error::BadRequest(_))));
    }
}
