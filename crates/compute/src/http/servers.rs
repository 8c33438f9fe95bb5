//! `/servers`, `/servers/detail` and `/servers/{id}`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use common::RequestContext;
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json, json_body};
use crate::api::servers::{self as wire, ShowAs};
use crate::api::{next_link, query_pairs};
use crate::domain::servers::{MAX_LIMIT, ServerView};
use crate::domain::{Error, Result, Version};

/// The caller's token, passed on to the image service.
pub(super) fn user_token(headers: &HeaderMap) -> Result<client::UserToken> {
    headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(|t| client::UserToken(t.to_owned()))
        .ok_or_else(|| Error::BadRequest("the request carries no X-Auth-Token to pass on to the image service".into()))
}

/// How the caller sees servers.
pub(super) fn show_as<'a>(s: &'a AppState, ctx: &RequestContext, version: Version, groups: Option<&'a [String]>) -> ShowAs<'a> {
    ShowAs {
        version,
        endpoint: &s.endpoint,
        admin: s.compute.sees_extended_attributes(ctx),
        extra_specs: s.compute.sees_extra_specs(ctx),
        server_groups: groups,
    }
}

/// A server in full, with its server groups from 2.71.
pub(super) async fn render_one(s: &AppState, ctx: &RequestContext, version: Version, view: &ServerView) -> Result<Value> {
    let groups = if version.at_least(71) { Some(s.compute.server_groups_of(&view.instance.uuid).await?) } else { None };
    Ok(json!({"server": wire::render(view, show_as(s, ctx, version, groups.as_deref()))}))
}

/// A server as an update or a rebuild answers with it.
pub(super) async fn render_changed(
    s: &AppState,
    ctx: &RequestContext,
    version: Version,
    view: &ServerView,
    rebuild: bool,
) -> Result<Value> {
    let groups = if version.at_least(71) { Some(s.compute.server_groups_of(&view.instance.uuid).await?) } else { None };
    Ok(json!({"server": wire::render_changed(view, show_as(s, ctx, version, groups.as_deref()), rebuild)}))
}

async fn list_servers(s: &AppState, ctx: &RequestContext, version: Version, raw: Option<&str>, detail: bool) -> Result<Json<Value>> {
    let pairs = query_pairs(raw)?;
    let mut request = wire::parse_list(&pairs, version)?;
    if let Some(flavor) = &request.flavor {
        match s.compute.flavor_internal_id(flavor).await? {
            Some(id) => request.query.filter.instance_type_id = Some(id),
            None => request.matches_nothing = true,
        }
    }
    let limit = request.query.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
    let views = if request.matches_nothing { Vec::new() } else { s.compute.list_servers(ctx, detail, request.query).await? };
    let how = show_as(s, ctx, version, None);
    let items: Vec<Value> = views.iter().map(|v| if detail { wire::render(v, how) } else { wire::render_brief(v, &s.endpoint) }).collect();
    let mut body = json!({"servers": items});
    if views.len() == limit
        && let Some(last) = views.last()
    {
        let path = if detail { "servers/detail" } else { "servers" };
        body["servers_links"] = next_link(&format!("{}/v2.1/{path}", s.endpoint), &pairs, &last.instance.uuid);
    }
    Ok(Json(body))
}

async fn index(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    list_servers(&s, &ctx, version, raw.as_deref(), false).await
}

async fn detail(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    list_servers(&s, &ctx, version, raw.as_deref(), true).await
}

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let (new, return_reservation_id) = wire::parse_create(&json_body(&headers, &body)?, version)?;
    let created = s.compute.create_servers(&ctx, &user_token(&headers)?, new).await?;
    let mut response = json(StatusCode::ACCEPTED, wire::render_created(&created, return_reservation_id, &s.endpoint));
    if !return_reservation_id
        && let Ok(location) = axum::http::HeaderValue::from_str(&format!("{}/v2.1/servers/{}", s.endpoint, created.instances[0].uuid))
    {
        response.headers_mut().insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let view = s.compute.show_server(&ctx, &id).await?;
    Ok(Json(render_one(&s, &ctx, version, &view).await?))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let changes = wire::parse_update(&json_body(&headers, &body)?, version)?;
    let view = s.compute.update_server(&ctx, &id, changes).await?;
    Ok(Json(render_changed(&s, &ctx, version, &view, false).await?))
}

async fn delete(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<StatusCode> {
    s.compute.delete_server(&ctx, &id, "os_compute_api:servers:delete").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The server routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/servers", get(index).post(create))
        .route("/servers/detail", get(detail))
        .route("/servers/{id}", get(show).put(update).delete(delete))
}
