//! `/v3/projects`, with hierarchy views and tags.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_enabled, filter_eq, json_body};
use crate::api::projects as wire;
use crate::domain::{Error, Result};
use crate::store::ProjectRow;

fn tag_filter(projects: &mut Vec<ProjectRow>, q: &std::collections::HashMap<String, String>) {
    let split = |v: &String| v.split(',').map(str::to_owned).collect::<Vec<_>>();
    if let Some(all) = q.get("tags").map(split) {
        projects.retain(|p| all.iter().all(|t| p.tags.contains(t)));
    }
    if let Some(any) = q.get("tags-any").map(split) {
        projects.retain(|p| any.iter().any(|t| p.tags.contains(t)));
    }
    if let Some(all) = q.get("not-tags").map(split) {
        projects.retain(|p| !all.iter().all(|t| p.tags.contains(t)));
    }
    if let Some(any) = q.get("not-tags-any").map(split) {
        projects.retain(|p| !any.iter().any(|t| p.tags.contains(t)));
    }
}

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_projects", json!({"domain_id": q.get("domain_id")}))?;
    if q.get("is_domain").is_some_and(|v| crate::api::query_bool(v)) {
        let mut domains = s.identity.store().list_domains().await?;
        filter_eq(&mut domains, &q, "name", |d| Some(&d.name));
        filter_enabled(&mut domains, &q, |d| d.enabled);
        return Ok(Json(s.list("projects", "projects", domains.iter().map(|d| wire::render_domain(&s.links, d)).collect())));
    }
    let mut projects = s.identity.store().list_projects().await?;
    filter_eq(&mut projects, &q, "name", |p| Some(&p.name));
    filter_eq(&mut projects, &q, "domain_id", |p| Some(&p.domain_id));
    filter_eq(&mut projects, &q, "parent_id", |p| Some(p.parent_id.as_deref().unwrap_or(&p.domain_id)));
    filter_enabled(&mut projects, &q, |p| p.enabled);
    tag_filter(&mut projects, &q);
    Ok(Json(s.list("projects", "projects", projects.iter().map(|p| wire::render(&s.links, p)).collect())))
}

async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let default_domain = caller.ctx.domain_id().unwrap_or(&caller.ctx.user_domain_id).to_owned();
    let body = match wire::parse_create(&json_body(&body)?, &default_domain)? {
        wire::NewProject::Project(project) => {
            s.enforce(&caller.ctx, "identity:create_project", json!({"target": {"project": {"domain_id": project.domain_id}}}))?;
            wire::render(&s.links, &s.identity.create_project(project).await?)
        }
        wire::NewProject::Domain(domain) => {
            s.enforce(&caller.ctx, "identity:create_domain", json!({"domain": {"name": domain.name}}))?;
            wire::render_domain(&s.links, &s.identity.create_domain(domain).await?)
        }
    };
    Ok((StatusCode::CREATED, Json(json!({"project": body}))))
}

/// The domain `id` names, when a projects-API request is about a project acting as a
/// domain.
async fn as_domain(s: &AppState, id: &str) -> Result<Option<crate::store::DomainRow>> {
    if s.identity.store().get_project(id).await?.is_some() {
        return Ok(None);
    }
    Ok(s.identity.store().get_domain(id).await?)
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    if let Some(domain) = as_domain(&s, &id).await? {
        s.enforce(&caller.ctx, "identity:get_domain", json!({"target": {"domain": {"id": id}}}))?;
        return Ok(Json(json!({"project": wire::render_domain(&s.links, &domain)})));
    }
    let project = s.identity.get_project(&id).await.map_err(|e| match e {
        // A caller that may not see the project must not learn whether it exists.
        Error::NotFound { .. } if s.enforce(&caller.ctx, "identity:get_project", json!({"target": {"project": {"id": id}}})).is_err() => {
            Error::Forbidden("identity:get_project".into())
        }
        other => other,
    })?;
    s.enforce(&caller.ctx, "identity:get_project", json!({"target": {"project": {"id": project.id, "domain_id": project.domain_id}}}))?;
    let mut body = wire::render(&s.links, &project);
    let all = s.identity.store().list_projects().await?;
    if q.contains_key("parents_as_list") || q.contains_key("parents_as_ids") {
        let ancestors = s.identity.project_ancestors(&id).await?;
        let parents: Vec<Value> = ancestors
            .iter()
            .filter_map(|a| all.iter().find(|p| p.id == *a))
            .map(|p| if q.contains_key("parents_as_list") { json!({"project": wire::render(&s.links, p)}) } else { json!(p.id) })
            .collect();
        body["parents"] = json!(parents);
    }
    if q.contains_key("subtree_as_list") || q.contains_key("subtree_as_ids") {
        let subtree = s.identity.project_subtree(&id).await?;
        let below: Vec<Value> = subtree
            .iter()
            .skip(1)
            .filter_map(|d| all.iter().find(|p| p.id == *d))
            .map(|p| if q.contains_key("subtree_as_list") { json!({"project": wire::render(&s.links, p)}) } else { json!(p.id) })
            .collect();
        body["subtree"] = json!(below);
    }
    Ok(Json(json!({"project": body})))
}

async fn update(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    if let Some(before) = as_domain(&s, &id).await? {
        s.enforce(&caller.ctx, "identity:update_domain", json!({"target": {"domain": {"id": id}}}))?;
        let after = wire::apply_domain_update(&before, &body)?;
        let domain = s.identity.update_domain(&before, after).await?;
        return Ok(Json(json!({"project": wire::render_domain(&s.links, &domain)})));
    }
    s.enforce(&caller.ctx, "identity:update_project", json!({"target": {"project": {"id": id}}}))?;
    let before = s.identity.get_project(&id).await?;
    let after = wire::apply_update(&before, &body)?;
    let project = s.identity.update_project(&before, after).await?;
    Ok(Json(json!({"project": wire::render(&s.links, &project)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    if as_domain(&s, &id).await?.is_some() {
        s.enforce(&caller.ctx, "identity:delete_domain", json!({"target": {"domain": {"id": id}}}))?;
        s.identity.delete_domain(&id).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    s.enforce(&caller.ctx, "identity:delete_project", json!({"target": {"project": {"id": id}}}))?;
    s.identity.delete_project(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tags(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_project_tags", json!({"target": {"project": {"id": id}}}))?;
    Ok(Json(json!({"tags": s.identity.get_project(&id).await?.tags})))
}

async fn replace_tags(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_project_tags", json!({"target": {"project": {"id": id}}}))?;
    let tags = body
        .get("tags")
        .and_then(Value::as_array)
        .and_then(|t| t.iter().map(|v| v.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
        .ok_or_else(|| Error::Validation("Invalid input for field 'tags': a list of strings is required.".into()))?;
    let before = s.identity.get_project(&id).await?;
    let after = s.identity.update_project(&before, ProjectRow { tags, ..before.clone() }).await?;
    Ok(Json(json!({"tags": after.tags, "links": s.links.entity(&format!("projects/{id}/tags"))})))
}

async fn check_tag(State(s): State<AppState>, caller: Caller, Path((id, tag)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:list_project_tags", json!({"target": {"project": {"id": id}}}))?;
    if s.identity.get_project(&id).await?.tags.contains(&tag) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound { kind: "tag", id: tag })
    }
}

async fn add_tag(State(s): State<AppState>, caller: Caller, Path((id, tag)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:update_project_tags", json!({"target": {"project": {"id": id}}}))?;
    let before = s.identity.get_project(&id).await?;
    if !before.tags.contains(&tag) {
        let mut tags = before.tags.clone();
        tags.push(tag);
        s.identity.update_project(&before, ProjectRow { tags, ..before.clone() }).await?;
    }
    Ok(StatusCode::CREATED)
}

async fn delete_tag(State(s): State<AppState>, caller: Caller, Path((id, tag)): Path<(String, String)>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:update_project_tags", json!({"target": {"project": {"id": id}}}))?;
    let before = s.identity.get_project(&id).await?;
    if !before.tags.contains(&tag) {
        return Err(Error::NotFound { kind: "tag", id: tag });
    }
    let tags = before.tags.iter().filter(|t| **t != tag).cloned().collect();
    s.identity.update_project(&before, ProjectRow { tags, ..before.clone() }).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_all_tags(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:update_project_tags", json!({"target": {"project": {"id": id}}}))?;
    let before = s.identity.get_project(&id).await?;
    s.identity.update_project(&before, ProjectRow { tags: Vec::new(), ..before.clone() }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `/v3/projects`, `/v3/projects/{id}` and `/v3/projects/{id}/tags`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/projects", get(list).post(create))
        .route("/v3/projects/{id}", get(show).patch(update).delete(delete))
        .route("/v3/projects/{id}/tags", get(list_tags).put(replace_tags).delete(delete_all_tags))
        .route("/v3/projects/{id}/tags/{tag}", get(check_tag).head(check_tag).put(add_tag).delete(delete_tag))
}
