//! `GET /v3/role_assignments`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query};
use crate::api::{query_bool, role_assignments as wire};
use crate::domain::{Error, Result};
use crate::store::{ActorType, AssignmentFilter, TargetType};

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    let flag = |name: &str| q.get(name).is_some_and(|v| query_bool(v));
    let (effective, include_names, include_subtree) = (flag("effective"), flag("include_names"), flag("include_subtree"));
    if effective && q.contains_key("group.id") {
        return Err(Error::Validation("Combining effective and group filter will always result in an empty list.".into()));
    }
    let mut filter = AssignmentFilter::default();
    if let Some(u) = q.get("user.id") {
        filter.actor = Some((ActorType::User, vec![u.clone()]));
    } else if let Some(g) = q.get("group.id") {
        filter.actor = Some((ActorType::Group, vec![g.clone()]));
    }
    let scopes = [("scope.project.id", TargetType::Project), ("scope.domain.id", TargetType::Domain), ("scope.system", TargetType::System)];
    let given: Vec<_> = scopes.iter().filter(|(k, _)| q.contains_key(*k)).collect();
    if given.len() > 1 {
        return Err(Error::Validation("Specify at most one of scope.project.id, scope.domain.id and scope.system.".into()));
    }
    if let Some((key, target)) = given.first() {
        let id = if *target == TargetType::System { "all".to_owned() } else { q[*key].clone() };
        filter.target = Some((*target, Some(id)));
    }
    if include_subtree && !q.contains_key("scope.project.id") {
        return Err(Error::Validation("scope.project.id needs to be specified if include_subtree is also specified.".into()));
    }
    filter.role_id = q.get("role.id").cloned();
    let rule = if include_subtree { "identity:list_role_assignments_for_tree" } else { "identity:list_role_assignments" };
    let project_domain = match q.get("scope.project.id") {
        Some(id) => s.identity.store().get_project(id).await?.map(|p| p.domain_id),
        None => None,
    };
    s.enforce(&caller.ctx, rule, json!({"domain_id": q.get("scope.domain.id"), "target": {"project": {"domain_id": project_domain}}}))?;
    let mut found = s.identity.role_assignments(&filter, effective, include_subtree).await?;
    if let Some(inherited) = q.get("scope.OS-INHERIT:inherited_to") {
        let want = inherited == "projects";
        found.retain(|e| e.assignment.inherited == want);
    }
    let names = if include_names { Some(s.identity.names().await?) } else { None };
    let rendered = found.iter().map(|e| wire::render(&s.links, e, names.as_ref())).collect();
    Ok(Json(s.list("role_assignments", "role_assignments", rendered)))
}

/// `/v3/role_assignments`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v3/role_assignments", get(list))
}
