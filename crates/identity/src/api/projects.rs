//! Projects on the wire.

use serde_json::{Map, Value, json};

use super::{
    Links, Schema, bool_field, check, check_same_id, compile, description_schema, extras, member, name_schema, str_field, with_extras,
};
use crate::domain::{Error, Result};
use crate::store::{DomainRow, ProjectRow};

const KNOWN: &[&str] = &["id", "name", "description", "enabled", "links", "tags", "options", "domain_id", "parent_id", "is_domain"];

fn tags_schema() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

static CREATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["project"], "properties": {"project": {
        "type": "object", "required": ["name"],
        "properties": {"name": name_schema(64), "description": description_schema(), "enabled": {"type": "boolean"},
                       "domain_id": {"type": ["string", "null"]}, "parent_id": {"type": ["string", "null"]},
                       "is_domain": {"type": "boolean"}, "tags": tags_schema()},
    }}}))
});

static UPDATE: Schema = Schema::new(|| {
    compile(json!({"type": "object", "required": ["project"], "properties": {"project": {
        "type": "object", "minProperties": 1,
        "properties": {"name": name_schema(64), "description": description_schema(), "enabled": {"type": "boolean"},
                       "tags": tags_schema(), "id": {"type": "string"}, "is_domain": {"not": {}}},
    }}}))
});

fn tags(p: &Map<String, Value>) -> Option<Vec<String>> {
    p.get("tags").and_then(Value::as_array).map(|t| t.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
}

/// What a project create body asks for: a project, or (with `is_domain`) a domain.
#[derive(Debug, Clone)]
pub enum NewProject {
    Project(ProjectRow),
    Domain(DomainRow),
}

/// A new project from a create body. A `parent_id` equal to the domain id means a
/// top-level project, since Keystone reports top-level projects' parent as the domain.
pub fn parse_create(body: &Map<String, Value>, default_domain_id: &str) -> Result<NewProject> {
    check(&CREATE, &Value::Object(body.clone()))?;
    let p = member(body, "project")?;
    if bool_field(p, "is_domain", false) {
        if str_field(p, "parent_id").is_some() || str_field(p, "domain_id").is_some() {
            return Err(Error::Validation("A project acting as a domain has neither a parent nor a domain.".into()));
        }
        return Ok(NewProject::Domain(DomainRow {
            id: common::ids::hex_id(),
            name: str_field(p, "name").unwrap_or_default(),
            description: str_field(p, "description"),
            enabled: bool_field(p, "enabled", true),
            extra: extras(p, KNOWN),
        }));
    }
    let domain_id = str_field(p, "domain_id").unwrap_or_else(|| default_domain_id.to_owned());
    Ok(NewProject::Project(ProjectRow {
        id: common::ids::hex_id(),
        name: str_field(p, "name").unwrap_or_default(),
        parent_id: str_field(p, "parent_id").filter(|id| *id != domain_id),
        domain_id,
        description: str_field(p, "description"),
        enabled: bool_field(p, "enabled", true),
        tags: tags(p).unwrap_or_default(),
        extra: extras(p, KNOWN),
    }))
}

/// `before` with an update body applied; the domain and parent cannot change.
pub fn apply_update(before: &ProjectRow, body: &Map<String, Value>) -> Result<ProjectRow> {
    check(&UPDATE, &Value::Object(body.clone()))?;
    let p = member(body, "project")?;
    check_same_id(p, &before.id, "project")?;
    if let Some(domain_id) = p.get("domain_id")
        && domain_id.as_str() != Some(before.domain_id.as_str())
    {
        return Err(Error::Validation("Cannot change Domain ID.".into()));
    }
    if let Some(parent_id) = p.get("parent_id") {
        let parent = parent_id.as_str();
        if parent != before.parent_id.as_deref() && parent != Some(before.domain_id.as_str()) {
            return Err(Error::ForbiddenAction("Update of `parent_id` is not allowed.".into()));
        }
    }
    let mut after = before.clone();
    apply_shared(p, &mut after.name, &mut after.description, &mut after.enabled);
    if let Some(tags) = tags(p) {
        after.tags = tags;
    }
    after.extra.extend(extras(p, KNOWN));
    Ok(after)
}

/// A project as Keystone returns it.
pub fn render(links: &Links, p: &ProjectRow) -> Value {
    with_extras(
        json!({
            "id": p.id, "name": p.name, "domain_id": p.domain_id,
            "parent_id": p.parent_id.clone().unwrap_or_else(|| p.domain_id.clone()),
            "description": p.description.clone().unwrap_or_default(), "enabled": p.enabled, "is_domain": false,
            "tags": p.tags, "options": {}, "links": links.entity(&format!("projects/{}", p.id)),
        }),
        &p.extra,
    )
}

/// A domain seen through the projects API, as Keystone shows projects acting as domains.
pub fn render_domain(links: &Links, d: &DomainRow) -> Value {
    with_extras(
        json!({
            "id": d.id, "name": d.name, "domain_id": null, "parent_id": null,
            "description": d.description.clone().unwrap_or_default(), "enabled": d.enabled, "is_domain": true,
            "tags": [], "options": {}, "links": links.entity(&format!("projects/{}", d.id)),
        }),
        &d.extra,
    )
}

/// `before` (a domain seen as a project) with a project update body applied.
pub fn apply_domain_update(before: &DomainRow, body: &Map<String, Value>) -> Result<DomainRow> {
    check(&UPDATE, &Value::Object(body.clone()))?;
    let p = member(body, "project")?;
    check_same_id(p, &before.id, "project")?;
    let mut after = before.clone();
    apply_shared(p, &mut after.name, &mut after.description, &mut after.enabled);
    after.extra.extend(extras(p, KNOWN));
    Ok(after)
}

/// The fields a project update sets alike on a project and on a domain seen as one.
fn apply_shared(p: &Map<String, Value>, name: &mut String, description: &mut Option<String>, enabled: &mut bool) {
    if let Some(n) = str_field(p, "name") {
        *name = n;
    }
    if p.contains_key("description") {
        *description = str_field(p, "description");
    }
    *enabled = bool_field(p, "enabled", *enabled);
}
