//! `/v3/OS-EP-FILTER`: endpoint groups and which endpoints projects see.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::auth::Caller;
use super::{AppState, Query, filter_eq, json_body};
use crate::api::{catalog, endpoint_groups as wire, projects};
use crate::domain::Result;

async fn list(State(s): State<AppState>, caller: Caller, axum::extract::Query(q): Query) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_endpoint_groups", json!({}))?;
    let mut groups = s.identity.store().list_endpoint_groups().await?;
    filter_eq(&mut groups, &q, "name", |g| Some(&g.name));
    Ok(Json(s.list("endpoint_groups", "OS-EP-FILTER/endpoint_groups", groups.iter().map(|g| wire::render(&s.links, g)).collect())))
}

async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Value>)> {
    let group = wire::parse_create(&json_body(&body)?)?;
    s.enforce(&caller.ctx, "identity:create_endpoint_group", json!({}))?;
    let group = s.identity.create_endpoint_group(group).await?;
    Ok((StatusCode::CREATED, Json(json!({"endpoint_group": wire::render(&s.links, &group)}))))
}

async fn show(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_endpoint_group", json!({}))?;
    Ok(Json(json!({"endpoint_group": wire::render(&s.links, &s.identity.get_endpoint_group(&id).await?)})))
}

async fn check(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:get_endpoint_group", json!({}))?;
    s.identity.get_endpoint_group(&id).await?;
    Ok(StatusCode::OK)
}

async fn update(State(s): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Value>> {
    let body = json_body(&body)?;
    s.enforce(&caller.ctx, "identity:update_endpoint_group", json!({}))?;
    let before = s.identity.get_endpoint_group(&id).await?;
    let group = s.identity.update_endpoint_group(wire::apply_update(&before, &body)?).await?;
    Ok(Json(json!({"endpoint_group": wire::render(&s.links, &group)})))
}

async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, "identity:delete_endpoint_group", json!({}))?;
    s.identity.delete_endpoint_group(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn group_endpoints(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_endpoints_associated_with_endpoint_group", json!({}))?;
    let group = s.identity.get_endpoint_group(&id).await?;
    let endpoints = s.identity.endpoints_in_group(&group).await?;
    let path = format!("OS-EP-FILTER/endpoint_groups/{id}/endpoints");
    Ok(Json(s.list("endpoints", &path, endpoints.iter().map(|e| catalog::render_endpoint(&s.links, e)).collect())))
}

async fn associated_projects(s: AppState, caller: Caller, group: bool, id: String) -> Result<Json<Value>> {
    let rule = if group { "identity:list_projects_associated_with_endpoint_group" } else { "identity:list_projects_for_endpoint" };
    s.enforce(&caller.ctx, rule, json!({}))?;
    let list = s.identity.projects_associated(group, &id).await?;
    let path = if group { format!("OS-EP-FILTER/endpoint_groups/{id}/projects") } else { format!("OS-EP-FILTER/endpoints/{id}/projects") };
    Ok(Json(s.list("projects", &path, list.iter().map(|p| projects::render(&s.links, p)).collect())))
}

async fn project_endpoints(State(s): State<AppState>, caller: Caller, Path(project): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_endpoints_for_project", json!({}))?;
    let endpoints = s.identity.endpoints_for_project(&project).await?;
    let path = format!("OS-EP-FILTER/projects/{project}/endpoints");
    Ok(Json(s.list("endpoints", &path, endpoints.iter().map(|e| catalog::render_endpoint(&s.links, e)).collect())))
}

async fn project_groups(State(s): State<AppState>, caller: Caller, Path(project): Path<String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:list_endpoint_groups_for_project", json!({}))?;
    let groups = s.identity.endpoint_groups_for_project(&project).await?;
    let path = format!("OS-EP-FILTER/projects/{project}/endpoint_groups");
    Ok(Json(s.list("endpoint_groups", &path, groups.iter().map(|g| wire::render(&s.links, g)).collect())))
}

/// The `{id}` and `{project}` path parameters of an association route, in whichever
/// order the route spells them.
fn ids(p: &HashMap<String, String>) -> (&str, &str) {
    (p.get("id").map_or("", String::as_str), p.get("project").map_or("", String::as_str))
}

/// PUT, HEAD/GET and DELETE of one association; `group` picks endpoint groups over
/// single endpoints.
fn association(group: bool) -> MethodRouter<AppState> {
    let rules = if group {
        ("identity:add_endpoint_group_to_project", "identity:get_endpoint_group_in_project", "identity:remove_endpoint_group_from_project")
    } else {
        ("identity:add_endpoint_to_project", "identity:check_endpoint_in_project", "identity:remove_endpoint_from_project")
    };
    let check = move |State(s): State<AppState>, caller: Caller, Path(p): Path<HashMap<String, String>>| async move {
        s.enforce(&caller.ctx, rules.1, json!({}))?;
        let (id, project) = ids(&p);
        s.identity.check_endpoint_association(group, id, project).await?;
        Ok::<_, crate::domain::Error>(if group { StatusCode::OK } else { StatusCode::NO_CONTENT })
    };
    get(check)
        .head(check)
        .put(move |State(s): State<AppState>, caller: Caller, Path(p): Path<HashMap<String, String>>| async move {
            s.enforce(&caller.ctx, rules.0, json!({}))?;
            let (id, project) = ids(&p);
            s.identity.associate_endpoints(group, id, project).await?;
            Ok::<_, crate::domain::Error>(StatusCode::NO_CONTENT)
        })
        .delete(move |State(s): State<AppState>, caller: Caller, Path(p): Path<HashMap<String, String>>| async move {
            s.enforce(&caller.ctx, rules.2, json!({}))?;
            let (id, project) = ids(&p);
            s.identity.dissociate_endpoints(group, id, project).await?;
            Ok::<_, crate::domain::Error>(StatusCode::NO_CONTENT)
        })
}

/// OS-EP-FILTER routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/OS-EP-FILTER/endpoint_groups", get(list).post(create))
        .route("/v3/OS-EP-FILTER/endpoint_groups/{id}", get(show).head(check).patch(update).delete(delete))
        .route("/v3/OS-EP-FILTER/endpoint_groups/{id}/endpoints", get(group_endpoints))
        .route(
            "/v3/OS-EP-FILTER/endpoint_groups/{id}/projects",
            get(|State(s): State<AppState>, caller: Caller, Path(id): Path<String>| associated_projects(s, caller, true, id)),
        )
        .route("/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project}", association(true))
        .route(
            "/v3/OS-EP-FILTER/endpoints/{id}/projects",
            get(|State(s): State<AppState>, caller: Caller, Path(id): Path<String>| associated_projects(s, caller, false, id)),
        )
        .route("/v3/OS-EP-FILTER/projects/{project}/endpoints", get(project_endpoints))
        .route("/v3/OS-EP-FILTER/projects/{project}/endpoint_groups", get(project_groups))
        .route("/v3/OS-EP-FILTER/projects/{project}/endpoints/{id}", association(false))
}
