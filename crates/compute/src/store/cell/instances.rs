//! Instances with their metadata and tags, as a cell keeps them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::CellStore;
use crate::states::{PowerState, TaskState, VmState};
use crate::store::{Result, StoreError, Tx};

/// An instance. The same shape travels in a build request before the instance has a
/// cell, so it is (de)serializable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceRow {
    pub uuid: String,
    pub project_id: String,
    pub user_id: String,
    pub display_name: String,
    pub display_description: Option<String>,
    pub hostname: String,
    pub reservation_id: String,
    pub launch_index: i64,
    pub image_ref: String,
    /// The flavor's internal id at boot.
    pub instance_type_id: i64,
    /// The flavor as it was at boot (Nova's embedded flavor).
    pub flavor: serde_json::Value,
    pub vm_state: VmState,
    pub task_state: Option<TaskState>,
    pub power_state: PowerState,
    pub host: Option<String>,
    pub node: Option<String>,
    pub launched_on: Option<String>,
    pub availability_zone: Option<String>,
    pub key_name: Option<String>,
    pub key_data: Option<String>,
    pub user_data: Option<String>,
    pub config_drive: bool,
    pub access_ip_v4: Option<String>,
    pub access_ip_v6: Option<String>,
    /// `owner` or `admin` while locked.
    pub locked_by: Option<String>,
    pub locked_reason: Option<String>,
    pub progress: i64,
    pub system_metadata: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
    /// Sorted.
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub launched_at: Option<i64>,
    pub terminated_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub deleted: bool,
}

const COLUMNS: &str = "uuid, project_id, user_id, display_name, display_description, hostname, reservation_id, launch_index, \
                       image_ref, instance_type_id, flavor, vm_state, task_state, power_state, host, node, launched_on, \
                       availability_zone, key_name, key_data, user_data, config_drive, access_ip_v4, access_ip_v6, locked_by, \
                       locked_reason, progress, system_metadata, created_at, updated_at, launched_at, terminated_at, deleted_at, deleted";

fn corrupt(column: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Db(sqlx::Error::ColumnDecode { index: column.to_owned(), source: why.to_string().into() })
}

fn json_column<T: for<'de> Deserialize<'de>>(row: &AnyRow, column: &str) -> Result<T> {
    serde_json::from_str(&db::text(row, column)?).map_err(|e| corrupt(column, e))
}

fn instance_from(row: &AnyRow) -> Result<InstanceRow> {
    let vm_state = db::text(row, "vm_state")?;
    let task_state = db::opt_text(row, "task_state")?;
    let power_state: i64 = row.try_get("power_state")?;
    Ok(InstanceRow {
        uuid: db::text(row, "uuid")?,
        project_id: db::text(row, "project_id")?,
        user_id: db::text(row, "user_id")?,
        display_name: db::text(row, "display_name")?,
        display_description: db::opt_text(row, "display_description")?,
        hostname: db::text(row, "hostname")?,
        reservation_id: db::text(row, "reservation_id")?,
        launch_index: row.try_get("launch_index")?,
        image_ref: db::text(row, "image_ref")?,
        instance_type_id: row.try_get("instance_type_id")?,
        flavor: json_column(row, "flavor")?,
        vm_state: VmState::parse(&vm_state).ok_or_else(|| corrupt("vm_state", &vm_state))?,
        task_state: task_state.map(|t| TaskState::parse(&t).ok_or_else(|| corrupt("task_state", &t))).transpose()?,
        power_state: PowerState::from_code(power_state).ok_or_else(|| corrupt("power_state", power_state))?,
        host: db::opt_text(row, "host")?,
        node: db::opt_text(row, "node")?,
        launched_on: db::opt_text(row, "launched_on")?,
        availability_zone: db::opt_text(row, "availability_zone")?,
        key_name: db::opt_text(row, "key_name")?,
        key_data: db::opt_text(row, "key_data")?,
        user_data: db::opt_text(row, "user_data")?,
        config_drive: row.try_get::<i64, _>("config_drive")? != 0,
        access_ip_v4: db::opt_text(row, "access_ip_v4")?,
        access_ip_v6: db::opt_text(row, "access_ip_v6")?,
        locked_by: db::opt_text(row, "locked_by")?,
        locked_reason: db::opt_text(row, "locked_reason")?,
        progress: row.try_get("progress")?,
        system_metadata: json_column(row, "system_metadata")?,
        metadata: BTreeMap::new(),
        tags: Vec::new(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        launched_at: row.try_get("launched_at")?,
        terminated_at: row.try_get("terminated_at")?,
        deleted_at: row.try_get("deleted_at")?,
        deleted: row.try_get::<i64, _>("deleted")? != 0,
    })
}

/// A value bound into a query built at run time.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum Param {
    Text(Option<String>),
    Int(Option<i64>),
}

impl Param {
    fn bind<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        match self {
            Param::Text(v) => q.bind(v),
            Param::Int(v) => q.bind(v),
        }
    }
}

/// The columns a server list may be sorted by (Nova's `sort_key` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    CreatedAt,
    UpdatedAt,
    LaunchedAt,
    TerminatedAt,
    DisplayName,
    DisplayDescription,
    Uuid,
    VmState,
    TaskState,
    PowerState,
    Host,
    Node,
    Hostname,
    AvailabilityZone,
    KeyName,
    ImageRef,
    InstanceTypeId,
    LaunchIndex,
    Progress,
    ProjectId,
    UserId,
    AccessIpV4,
    AccessIpV6,
    Locked,
    ConfigDrive,
}

impl SortKey {
    /// The key Nova names `name`, of those a server list accepts.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "created_at" => SortKey::CreatedAt,
            "updated_at" => SortKey::UpdatedAt,
            "launched_at" => SortKey::LaunchedAt,
            "terminated_at" => SortKey::TerminatedAt,
            "display_name" => SortKey::DisplayName,
            "display_description" => SortKey::DisplayDescription,
            "uuid" => SortKey::Uuid,
            "vm_state" => SortKey::VmState,
            "task_state" => SortKey::TaskState,
            "power_state" => SortKey::PowerState,
            "host" => SortKey::Host,
            "node" => SortKey::Node,
            "hostname" => SortKey::Hostname,
            "availability_zone" => SortKey::AvailabilityZone,
            "key_name" => SortKey::KeyName,
            "image_ref" => SortKey::ImageRef,
            "instance_type_id" => SortKey::InstanceTypeId,
            "launch_index" => SortKey::LaunchIndex,
            "progress" => SortKey::Progress,
            "project_id" => SortKey::ProjectId,
            "user_id" => SortKey::UserId,
            "access_ip_v4" => SortKey::AccessIpV4,
            "access_ip_v6" => SortKey::AccessIpV6,
            "locked" => SortKey::Locked,
            "config_drive" => SortKey::ConfigDrive,
            _ => return None,
        })
    }

    /// The key's column, and whether it is numeric.
    fn column(self) -> (&'static str, bool) {
        match self {
            SortKey::CreatedAt => ("created_at", true),
            SortKey::UpdatedAt => ("updated_at", true),
            SortKey::LaunchedAt => ("launched_at", true),
            SortKey::TerminatedAt => ("terminated_at", true),
            SortKey::DisplayName => ("display_name", false),
            SortKey::DisplayDescription => ("display_description", false),
            SortKey::Uuid => ("uuid", false),
            SortKey::VmState => ("vm_state", false),
            SortKey::TaskState => ("task_state", false),
            SortKey::PowerState => ("power_state", true),
            SortKey::Host => ("host", false),
            SortKey::Node => ("node", false),
            SortKey::Hostname => ("hostname", false),
            SortKey::AvailabilityZone => ("availability_zone", false),
            SortKey::KeyName => ("key_name", false),
            SortKey::ImageRef => ("image_ref", false),
            SortKey::InstanceTypeId => ("instance_type_id", true),
            SortKey::LaunchIndex => ("launch_index", true),
            SortKey::Progress => ("progress", true),
            SortKey::ProjectId => ("project_id", false),
            SortKey::UserId => ("user_id", false),
            SortKey::AccessIpV4 => ("access_ip_v4", false),
            SortKey::AccessIpV6 => ("access_ip_v6", false),
            SortKey::Locked => ("locked_by", false),
            SortKey::ConfigDrive => ("config_drive", true),
        }
    }

    /// The SQL expression sorted on: nulls become the smallest value, so that every
    /// backend orders them alike and a marker's position is one comparison.
    fn expression(self) -> String {
        match self.column() {
            (c, true) => format!("COALESCE({c}, -1)"),
            (c, false) => format!("COALESCE({c}, '')"),
        }
    }

    /// This key's value of `i`, as the expression sorted on computes it.
    pub fn value_of(self, i: &InstanceRow) -> Param {
        let text = |v: Option<&str>| Param::Text(Some(v.unwrap_or("").to_owned()));
        let int = |v: Option<i64>| Param::Int(Some(v.unwrap_or(-1)));
        match self {
            SortKey::CreatedAt => int(Some(i.created_at)),
            SortKey::UpdatedAt => int(Some(i.updated_at)),
            SortKey::LaunchedAt => int(i.launched_at),
            SortKey::TerminatedAt => int(i.terminated_at),
            SortKey::DisplayName => text(Some(&i.display_name)),
            SortKey::DisplayDescription => text(i.display_description.as_deref()),
            SortKey::Uuid => text(Some(&i.uuid)),
            SortKey::VmState => text(Some(i.vm_state.as_str())),
            SortKey::TaskState => text(i.task_state.map(TaskState::as_str)),
            SortKey::PowerState => int(Some(i.power_state.code())),
            SortKey::Host => text(i.host.as_deref()),
            SortKey::Node => text(i.node.as_deref()),
            SortKey::Hostname => text(Some(&i.hostname)),
            SortKey::AvailabilityZone => text(i.availability_zone.as_deref()),
            SortKey::KeyName => text(i.key_name.as_deref()),
            SortKey::ImageRef => text(Some(&i.image_ref)),
            SortKey::InstanceTypeId => int(Some(i.instance_type_id)),
            SortKey::LaunchIndex => int(Some(i.launch_index)),
            SortKey::Progress => int(Some(i.progress)),
            SortKey::ProjectId => text(Some(&i.project_id)),
            SortKey::UserId => text(Some(&i.user_id)),
            SortKey::AccessIpV4 => text(i.access_ip_v4.as_deref()),
            SortKey::AccessIpV6 => text(i.access_ip_v6.as_deref()),
            SortKey::Locked => text(i.locked_by.as_deref()),
            SortKey::ConfigDrive => int(Some(i64::from(i.config_drive))),
        }
    }
}

/// Which instances a list wants. Every field left empty matches all.
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    pub project_id: Option<String>,
    pub user_id: Option<String>,
    /// `Some(false)`: live instances only; `Some(true)`: deleted ones only.
    pub deleted: Option<bool>,
    pub vm_states: Option<Vec<VmState>>,
    pub task_states: Option<Vec<TaskState>>,
    pub host: Option<String>,
    pub node: Option<String>,
    pub image_ref: Option<String>,
    pub instance_type_id: Option<i64>,
    /// Changed at or after this time (µs).
    pub changes_since: Option<i64>,
    /// Changed at or before this time (µs).
    pub changes_before: Option<i64>,
    pub reservation_id: Option<String>,
    pub availability_zone: Option<String>,
    pub key_name: Option<String>,
    pub locked: Option<bool>,
    pub uuids: Option<Vec<String>>,
    /// Has every one of these tags.
    pub tags: Vec<String>,
    /// Has at least one of these tags.
    pub tags_any: Vec<String>,
    /// Lacks at least one of these tags.
    pub not_tags: Vec<String>,
    /// Has none of these tags.
    pub not_tags_any: Vec<String>,
}

/// Where a page starts and how it is ordered.
#[derive(Debug, Clone)]
pub struct Page {
    pub sort_key: SortKey,
    pub descending: bool,
    /// The instance the page starts after.
    pub marker: Option<InstanceRow>,
    pub limit: Option<i64>,
}

/// Changes to an instance; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceChanges {
    pub vm_state: Option<VmState>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub task_state: Option<Option<TaskState>>,
    pub power_state: Option<PowerState>,
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub display_description: Option<Option<String>>,
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub host: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub node: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub launched_on: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub availability_zone: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub access_ip_v4: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub access_ip_v6: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub locked_by: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub locked_reason: Option<Option<String>>,
    pub progress: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub launched_at: Option<Option<i64>>,
    /// A rebuild's new image, and the image properties kept with the instance.
    pub image_ref: Option<String>,
    pub system_metadata: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub key_name: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub key_data: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub user_data: Option<Option<String>>,
}

/// `Option<Option<T>>` over JSON: a missing field is `None`, `null` is `Some(None)`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

impl InstanceChanges {
    /// The instance with these changes made (for one not stored in a cell yet).
    pub fn applied_to(&self, mut i: InstanceRow) -> InstanceRow {
        fn set<T: Clone>(field: &mut T, change: &Option<T>) {
            if let Some(v) = change {
                *field = v.clone();
            }
        }
        set(&mut i.vm_state, &self.vm_state);
        set(&mut i.task_state, &self.task_state);
        set(&mut i.power_state, &self.power_state);
        set(&mut i.display_name, &self.display_name);
        set(&mut i.display_description, &self.display_description);
        set(&mut i.hostname, &self.hostname);
        set(&mut i.host, &self.host);
        set(&mut i.node, &self.node);
        set(&mut i.launched_on, &self.launched_on);
        set(&mut i.availability_zone, &self.availability_zone);
        set(&mut i.access_ip_v4, &self.access_ip_v4);
        set(&mut i.access_ip_v6, &self.access_ip_v6);
        set(&mut i.locked_by, &self.locked_by);
        set(&mut i.locked_reason, &self.locked_reason);
        set(&mut i.progress, &self.progress);
        set(&mut i.launched_at, &self.launched_at);
        set(&mut i.image_ref, &self.image_ref);
        set(&mut i.system_metadata, &self.system_metadata);
        set(&mut i.key_name, &self.key_name);
        set(&mut i.key_data, &self.key_data);
        set(&mut i.user_data, &self.user_data);
        i.updated_at = common::time::now_micros();
        i
    }

    fn assignments(&self) -> Vec<(&'static str, Param)> {
        let text = |v: &Option<String>| Param::Text(v.clone());
        let mut set = Vec::new();
        if let Some(v) = self.vm_state {
            set.push(("vm_state", Param::Text(Some(v.as_str().to_owned()))));
        }
        if let Some(v) = self.task_state {
            set.push(("task_state", Param::Text(v.map(|t| t.as_str().to_owned()))));
        }
        if let Some(v) = self.power_state {
            set.push(("power_state", Param::Int(Some(v.code()))));
        }
        if let Some(v) = &self.display_name {
            set.push(("display_name", Param::Text(Some(v.clone()))));
        }
        if let Some(v) = &self.hostname {
            set.push(("hostname", Param::Text(Some(v.clone()))));
        }
        if let Some(v) = &self.image_ref {
            set.push(("image_ref", Param::Text(Some(v.clone()))));
        }
        if let Some(v) = &self.system_metadata {
            set.push(("system_metadata", Param::Text(Some(to_json(v)))));
        }
        let optional = [
            ("key_name", &self.key_name),
            ("key_data", &self.key_data),
            ("user_data", &self.user_data),
            ("display_description", &self.display_description),
            ("host", &self.host),
            ("node", &self.node),
            ("launched_on", &self.launched_on),
            ("availability_zone", &self.availability_zone),
            ("access_ip_v4", &self.access_ip_v4),
            ("access_ip_v6", &self.access_ip_v6),
            ("locked_by", &self.locked_by),
            ("locked_reason", &self.locked_reason),
        ];
        for (column, value) in optional {
            if let Some(v) = value {
                set.push((column, text(v)));
            }
        }
        if let Some(v) = self.progress {
            set.push(("progress", Param::Int(Some(v))));
        }
        if let Some(v) = self.launched_at {
            set.push(("launched_at", Param::Int(v)));
        }
        set
    }
}

/// What an update requires of the instance's states when it is written; an update
/// whose expectation fails changes nothing (Nova's `expected_task_state`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// The task state must be one of these.
    pub task_states: Option<Vec<Option<TaskState>>>,
    /// The vm state must be one of these.
    pub vm_states: Option<Vec<VmState>>,
}

/// Why an update was not written.
#[derive(Debug, thiserror::Error)]
pub enum UpdateRefused {
    /// No live instance has this uuid.
    #[error("instance not found")]
    NotFound,
    /// The instance's states are not what the update expected.
    #[error("the instance is in vm_state {vm_state}, task_state {}", task_state.map_or("None", TaskState::as_str))]
    UnexpectedState { vm_state: VmState, task_state: Option<TaskState> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for UpdateRefused {
    fn from(e: sqlx::Error) -> Self {
        UpdateRefused::Store(e.into())
    }
}

/// Appends `column IN (?, ...)` for `values` to `clauses`.
fn push_in(clauses: &mut Vec<String>, params: &mut Vec<Param>, column: &str, values: Vec<Param>) {
    if values.is_empty() {
        clauses.push("1 = 0".into());
        return;
    }
    clauses.push(format!("{column} IN ({})", db::placeholders(values.len())));
    params.extend(values);
}

fn texts<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Param> {
    values.into_iter().map(|v| Param::Text(Some(v.to_owned()))).collect()
}

impl InstanceFilter {
    fn to_sql(&self) -> (Vec<String>, Vec<Param>) {
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        let mut equal = |clauses: &mut Vec<String>, column: &str, value: Param| {
            clauses.push(format!("{column} = ?"));
            params.push(value);
        };
        let text = |v: &Option<String>| v.as_ref().map(|s| Param::Text(Some(s.clone())));
        for (column, value) in [
            ("project_id", text(&self.project_id)),
            ("user_id", text(&self.user_id)),
            ("host", text(&self.host)),
            ("node", text(&self.node)),
            ("image_ref", text(&self.image_ref)),
            ("reservation_id", text(&self.reservation_id)),
            ("availability_zone", text(&self.availability_zone)),
            ("key_name", text(&self.key_name)),
            ("deleted", self.deleted.map(|d| Param::Int(Some(i64::from(d))))),
            ("instance_type_id", self.instance_type_id.map(|i| Param::Int(Some(i)))),
        ] {
            if let Some(v) = value {
                equal(&mut clauses, column, v);
            }
        }
        if let Some(since) = self.changes_since {
            clauses.push("updated_at >= ?".into());
            params.push(Param::Int(Some(since)));
        }
        if let Some(before) = self.changes_before {
            clauses.push("updated_at <= ?".into());
            params.push(Param::Int(Some(before)));
        }
        match self.locked {
            Some(true) => clauses.push("locked_by IS NOT NULL".into()),
            Some(false) => clauses.push("locked_by IS NULL".into()),
            None => {}
        }
        if let Some(vms) = &self.vm_states {
            push_in(&mut clauses, &mut params, "vm_state", texts(vms.iter().map(|v| v.as_str())));
        }
        if let Some(tasks) = &self.task_states {
            push_in(&mut clauses, &mut params, "task_state", texts(tasks.iter().map(|t| t.as_str())));
        }
        if let Some(uuids) = &self.uuids {
            push_in(&mut clauses, &mut params, "uuid", texts(uuids.iter().map(String::as_str)));
        }
        // Instances with any of the tags, or (`all`) with every one of them.
        for (tags, test, all) in [
            (&self.tags, "IN", true),
            (&self.tags_any, "IN", false),
            (&self.not_tags, "NOT IN", true),
            (&self.not_tags_any, "NOT IN", false),
        ] {
            if tags.is_empty() {
                continue;
            }
            let having = if all { format!(" GROUP BY instance_uuid HAVING COUNT(*) = {}", tags.len()) } else { String::new() };
            clauses.push(format!(
                "uuid {test} (SELECT instance_uuid FROM instance_tags WHERE tag IN ({}){having})",
                db::placeholders(tags.len())
            ));
            params.extend(texts(tags.iter().map(String::as_str)));
        }
        (clauses, params)
    }
}

/// A fault recorded when an instance went to ERROR (or an action on it failed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRow {
    pub code: i64,
    pub message: String,
    pub details: Option<String>,
    pub host: Option<String>,
    pub created_at: i64,
}

impl CellStore {
    /// Creates an instance with its metadata and tags, and starts its `create` action
    /// under `request_id`.
    pub async fn create_instance(&self, i: &InstanceRow, request_id: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let id = self.next_id(&mut tx, "instances").await?;
        sqlx::query(&self.sql(&format!("INSERT INTO instances (id, {COLUMNS}) VALUES (?, {})", db::placeholders(34))))
            .bind(id)
            .bind(&i.uuid)
            .bind(&i.project_id)
            .bind(&i.user_id)
            .bind(&i.display_name)
            .bind(&i.display_description)
            .bind(&i.hostname)
            .bind(&i.reservation_id)
            .bind(i.launch_index)
            .bind(&i.image_ref)
            .bind(i.instance_type_id)
            .bind(to_json(&i.flavor))
            .bind(i.vm_state.as_str())
            .bind(i.task_state.map(TaskState::as_str))
            .bind(i.power_state.code())
            .bind(&i.host)
            .bind(&i.node)
            .bind(&i.launched_on)
            .bind(&i.availability_zone)
            .bind(&i.key_name)
            .bind(&i.key_data)
            .bind(&i.user_data)
            .bind(i64::from(i.config_drive))
            .bind(&i.access_ip_v4)
            .bind(&i.access_ip_v6)
            .bind(&i.locked_by)
            .bind(&i.locked_reason)
            .bind(i.progress)
            .bind(to_json(&i.system_metadata))
            .bind(i.created_at)
            .bind(i.updated_at)
            .bind(i.launched_at)
            .bind(i.terminated_at)
            .bind(i.deleted_at)
            .bind(i64::from(i.deleted))
            .execute(&mut *tx)
            .await?;
        write_metadata(self, &mut tx, &i.uuid, &i.metadata).await?;
        for tag in &i.tags {
            sqlx::query(&self.sql("INSERT INTO instance_tags (instance_uuid, tag) VALUES (?, ?)"))
                .bind(&i.uuid)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        self.insert_action(&mut tx, &i.uuid, request_id, "create", &i.project_id, &i.user_id, i.created_at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The instance `uuid` with its metadata and tags; a deleted one only when
    /// `read_deleted`.
    pub async fn instance(&self, uuid: &str, read_deleted: bool) -> Result<Option<InstanceRow>> {
        let deleted = if read_deleted { "" } else { " AND deleted = 0" };
        let row = sqlx::query(&self.sql(&format!("SELECT {COLUMNS} FROM instances WHERE uuid = ?{deleted}")))
            .bind(uuid)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut instances = vec![instance_from(&row)?];
        self.attach(&mut instances).await?;
        Ok(instances.pop())
    }

    /// The instances, deleted ones too, that were launched before `end` and not
    /// terminated before `begin` (µs), of `project` when given, oldest first; as in
    /// Nova, one never launched used nothing and is left out.
    pub async fn instances_active_between(&self, begin: i64, end: i64, project: Option<&str>) -> Result<Vec<InstanceRow>> {
        let scope = if project.is_some() { " AND project_id = ?" } else { "" };
        let text = format!(
            "SELECT {COLUMNS} FROM instances WHERE (terminated_at IS NULL OR terminated_at > ?) \
             AND launched_at < ?{scope} ORDER BY created_at, uuid"
        );
        let text = self.sql(&text);
        let mut query = sqlx::query(&text).bind(begin).bind(end);
        if let Some(p) = project {
            query = query.bind(p.to_owned());
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut instances = rows.iter().map(instance_from).collect::<Result<Vec<_>>>()?;
        self.attach(&mut instances).await?;
        Ok(instances)
    }

    /// The instances `filter` matches, ordered and cut by `page`.
    pub async fn list_instances(&self, filter: &InstanceFilter, page: &Page) -> Result<Vec<InstanceRow>> {
        let (mut clauses, mut params) = filter.to_sql();
        let key = page.sort_key.expression();
        let (dir, after) = if page.descending { ("DESC", "<") } else { ("ASC", ">") };
        if let Some(marker) = &page.marker {
            let value = page.sort_key.value_of(marker);
            clauses.push(format!("({key} {after} ? OR ({key} = ? AND uuid {after} ?))"));
            params.extend([value.clone(), value, Param::Text(Some(marker.uuid.clone()))]);
        }
        let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let limit = page.limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
        let sql = format!("SELECT {COLUMNS} FROM instances{filter} ORDER BY {key} {dir}, uuid {dir}{limit}");
        let sql = self.sql(&sql);
        let mut query = sqlx::query(&sql);
        for p in params {
            query = p.bind(query);
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut instances = rows.iter().map(instance_from).collect::<Result<Vec<_>>>()?;
        self.attach(&mut instances).await?;
        Ok(instances)
    }

    /// Loads the metadata and tags of `instances`.
    async fn attach(&self, instances: &mut [InstanceRow]) -> Result<()> {
        if instances.is_empty() {
            return Ok(());
        }
        let mut index: HashMap<String, usize> = HashMap::new();
        for (n, i) in instances.iter().enumerate() {
            index.insert(i.uuid.clone(), n);
        }
        for chunk in instances.iter().map(|i| i.uuid.clone()).collect::<Vec<_>>().chunks(500) {
            let marks = db::placeholders(chunk.len());
            let sql = self
                .sql(&format!("SELECT instance_uuid, meta_key, meta_value FROM instance_metadata WHERE instance_uuid IN ({marks})"))
                .into_owned();
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q.bind(u);
            }
            for row in q.fetch_all(self.pool()).await? {
                let n = index[&db::text(&row, "instance_uuid")?];
                instances[n].metadata.insert(db::text(&row, "meta_key")?, db::text(&row, "meta_value")?);
            }
            let sql = self
                .sql(&format!("SELECT instance_uuid, tag FROM instance_tags WHERE instance_uuid IN ({marks}) ORDER BY tag"))
                .into_owned();
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q.bind(u);
            }
            for row in q.fetch_all(self.pool()).await? {
                let n = index[&db::text(&row, "instance_uuid")?];
                instances[n].tags.push(db::text(&row, "tag")?);
            }
        }
        Ok(())
    }

    /// Writes `changes` to the live instance `uuid` if its states are as `expected`,
    /// and answers the instance as written.
    pub async fn update_instance(&self, uuid: &str, changes: &InstanceChanges, expected: &Expected) -> Result<InstanceRow, UpdateRefused> {
        let mut assignments = changes.assignments();
        assignments.push(("updated_at", Param::Int(Some(common::time::now_micros()))));
        let set = assignments.iter().map(|(c, _)| format!("{c} = ?")).collect::<Vec<_>>().join(", ");
        let mut clauses = vec!["uuid = ?".to_owned(), "deleted = 0".to_owned()];
        let mut params: Vec<Param> = assignments.into_iter().map(|(_, p)| p).collect();
        params.push(Param::Text(Some(uuid.to_owned())));
        if let Some(tasks) = &expected.task_states {
            let named: Vec<&str> = tasks.iter().flatten().map(|t| t.as_str()).collect();
            let mut any = Vec::new();
            if tasks.contains(&None) {
                any.push("task_state IS NULL".to_owned());
            }
            if !named.is_empty() {
                any.push(format!("task_state IN ({})", db::placeholders(named.len())));
                params.extend(texts(named));
            }
            clauses.push(if any.is_empty() { "1 = 0".into() } else { format!("({})", any.join(" OR ")) });
        }
        if let Some(vms) = &expected.vm_states {
            push_in(&mut clauses, &mut params, "vm_state", texts(vms.iter().map(|v| v.as_str())));
        }
        let sql = self.sql(&format!("UPDATE instances SET {set} WHERE {}", clauses.join(" AND "))).into_owned();
        let mut query = sqlx::query(&sql);
        for p in params {
            query = p.bind(query);
        }
        let written = query.execute(self.pool()).await?.rows_affected();
        let current = self.instance(uuid, false).await?.ok_or(UpdateRefused::NotFound)?;
        if written == 0 {
            return Err(UpdateRefused::UnexpectedState { vm_state: current.vm_state, task_state: current.task_state });
        }
        Ok(current)
    }

    /// Marks the instance deleted (its row stays for admins and instance actions).
    pub async fn destroy_instance(&self, uuid: &str) -> Result<bool> {
        let now = common::time::now_micros();
        let done = sqlx::query(&self.sql(
            "UPDATE instances SET deleted = 1, vm_state = 'deleted', task_state = NULL, power_state = 0, deleted_at = ?, \
             terminated_at = ?, updated_at = ? WHERE uuid = ? AND deleted = 0",
        ))
        .bind(now)
        .bind(now)
        .bind(now)
        .bind(uuid)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces the instance's metadata with `metadata` (`replace`) or merges it in;
    /// answers the metadata as it is now.
    pub async fn set_metadata(&self, uuid: &str, metadata: &BTreeMap<String, String>, replace: bool) -> Result<BTreeMap<String, String>> {
        let mut tx = self.db.begin_write().await?;
        if replace {
            sqlx::query(&self.sql("DELETE FROM instance_metadata WHERE instance_uuid = ?")).bind(uuid).execute(&mut *tx).await?;
        } else {
            for key in metadata.keys() {
                sqlx::query(&self.sql("DELETE FROM instance_metadata WHERE instance_uuid = ? AND meta_key = ?"))
                    .bind(uuid)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        write_metadata(self, &mut tx, uuid, metadata).await?;
        touch(self, &mut tx, uuid).await?;
        tx.commit().await?;
        Ok(self.instance(uuid, false).await?.map(|i| i.metadata).unwrap_or_default())
    }

    /// Deletes one metadata key; `false` when the instance has no such key.
    pub async fn delete_metadata_key(&self, uuid: &str, key: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(&self.sql("DELETE FROM instance_metadata WHERE instance_uuid = ? AND meta_key = ?"))
            .bind(uuid)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        touch(self, &mut tx, uuid).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces the instance's tags.
    pub async fn set_tags(&self, uuid: &str, tags: &[String]) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM instance_tags WHERE instance_uuid = ?")).bind(uuid).execute(&mut *tx).await?;
        for tag in tags {
            sqlx::query(&self.sql("INSERT INTO instance_tags (instance_uuid, tag) VALUES (?, ?)"))
                .bind(uuid)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        touch(self, &mut tx, uuid).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds one tag unless the instance has it; answers whether it was added.
    pub async fn add_tag(&self, uuid: &str, tag: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let added = match sqlx::query(&self.sql("INSERT INTO instance_tags (instance_uuid, tag) VALUES (?, ?)"))
            .bind(uuid)
            .bind(tag)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)
        {
            Ok(_) => true,
            Err(StoreError::Duplicate) => false,
            Err(e) => return Err(e),
        };
        if added {
            touch(self, &mut tx, uuid).await?;
            tx.commit().await?;
        }
        Ok(added)
    }

    /// Removes one tag; `false` when the instance does not have it.
    pub async fn delete_tag(&self, uuid: &str, tag: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(&self.sql("DELETE FROM instance_tags WHERE instance_uuid = ? AND tag = ?"))
            .bind(uuid)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        touch(self, &mut tx, uuid).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a fault of the instance.
    pub async fn add_fault(&self, uuid: &str, fault: &FaultRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let id = self.next_id(&mut tx, "instance_faults").await?;
        sqlx::query(
            &self.sql(
                "INSERT INTO instance_faults (id, instance_uuid, code, message, details, host, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ),
        )
        .bind(id)
        .bind(uuid)
        .bind(fault.code)
        .bind(fault.message.chars().take(255).collect::<String>())
        .bind(&fault.details)
        .bind(&fault.host)
        .bind(fault.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest fault of each of `uuids` that has one.
    pub async fn latest_faults(&self, uuids: &[String]) -> Result<HashMap<String, FaultRow>> {
        let mut faults = HashMap::new();
        for chunk in uuids.chunks(500) {
            let sql = self.sql(&format!(
                "SELECT instance_uuid, code, message, details, host, created_at FROM instance_faults WHERE instance_uuid IN ({}) ORDER BY id",
                db::placeholders(chunk.len())
            ))
            .into_owned();
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q.bind(u);
            }
            for row in q.fetch_all(self.pool()).await? {
                let fault = FaultRow {
                    code: row.try_get("code")?,
                    message: db::text(&row, "message")?,
                    details: db::opt_text(&row, "details")?,
                    host: db::opt_text(&row, "host")?,
                    created_at: row.try_get("created_at")?,
                };
                faults.insert(db::text(&row, "instance_uuid")?, fault);
            }
        }
        Ok(faults)
    }
}

async fn write_metadata(store: &CellStore, tx: &mut Tx, uuid: &str, metadata: &BTreeMap<String, String>) -> Result<()> {
    for (k, v) in metadata {
        sqlx::query(&store.sql("INSERT INTO instance_metadata (instance_uuid, meta_key, meta_value) VALUES (?, ?, ?)"))
            .bind(uuid)
            .bind(k)
            .bind(v)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Marks the instance changed now, so that `changes-since` lists it.
async fn touch(store: &CellStore, tx: &mut Tx, uuid: &str) -> Result<()> {
    sqlx::query(&store.sql("UPDATE instances SET updated_at = ? WHERE uuid = ?"))
        .bind(common::time::now_micros())
        .bind(uuid)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A value as the JSON text its column holds.
fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_apply_in_memory_as_in_the_database() {
        let before: InstanceRow = serde_json::from_value(serde_json::json!({
            "uuid": "u", "project_id": "p", "user_id": "u", "display_name": "old", "display_description": "d", "hostname": "old",
            "reservation_id": "r", "launch_index": 0, "image_ref": "i", "instance_type_id": 1, "flavor": {}, "vm_state": "building",
            "task_state": "scheduling", "power_state": 0, "host": null, "node": null, "launched_on": null,
            "availability_zone": null, "key_name": null, "key_data": null, "user_data": null, "config_drive": false,
            "access_ip_v4": null, "access_ip_v6": null, "locked_by": null, "locked_reason": null, "progress": 0,
            "system_metadata": {}, "metadata": {}, "tags": [], "created_at": 1, "updated_at": 1, "launched_at": null,
            "terminated_at": null, "deleted_at": null, "deleted": false
        }))
        .unwrap();
        let changes = InstanceChanges { display_name: Some("new".into()), display_description: Some(None), ..Default::default() };
        let after = changes.applied_to(before.clone());
        assert_eq!((after.display_name.as_str(), after.display_description, after.hostname.as_str()), ("new", None, "old"));
        assert_eq!(after.task_state, before.task_state);
    }

    #[test]
    fn changes_survive_the_bus_with_unset_fields_left_alone() {
        let changes = InstanceChanges { task_state: Some(None), host: Some(Some("h1".into())), ..Default::default() };
        let wire = serde_json::to_value(&changes).unwrap();
        assert_eq!(wire.get("node"), None, "an unset field is left out, not sent as null (which clears)");
        assert_eq!(serde_json::from_value::<InstanceChanges>(wire).unwrap(), changes);
    }
}
