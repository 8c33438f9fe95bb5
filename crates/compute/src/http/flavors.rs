//! `/flavors`, their extra specs (`os-extra_specs`) and access lists
//! (`os-flavor-access`, `addTenantAccess`/`removeTenantAccess`).

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body};
use crate::api::flavors as wire;
use crate::api::{next_link, query_pairs};
use crate::domain::flavors::MAX_LIMIT;
use crate::domain::{Error, Result, Version};

async fn list(
    s: State<AppState>,
    auth: Authenticated,
    version: Extension<Version>,
    uri: OriginalUri,
    raw: RawQuery,
) -> Result<Json<Value>> {
    list_view(s, auth, version, uri, raw, false).await
}

async fn detail(
    s: State<AppState>,
    auth: Authenticated,
    version: Extension<Version>,
    uri: OriginalUri,
    raw: RawQuery,
) -> Result<Json<Value>> {
    list_view(s, auth, version, uri, raw, true).await
}

async fn list_view(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
    detailed: bool,
) -> Result<Json<Value>> {
    let pairs = query_pairs(raw.as_deref())?;
    let query = wire::parse_list_query(&pairs, version, s.compute.is_admin(&ctx))?;
    let page_size = query.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
    let flavors = s.compute.list_flavors(&ctx, &query).await?;
    let with_specs = detailed && s.compute.shows_extra_specs(&ctx);
    let items: Vec<Value> =
        flavors
            .iter()
            .map(|f| {
                if detailed {
                    wire::render_detail(f, version, &s.endpoint, with_specs)
                } else {
                    wire::render_brief(f, version, &s.endpoint)
                }
            })
            .collect();
    let mut body = json!({ "flavors": items });
    if page_size > 0
        && flavors.len() == page_size
        && let Some(last) = flavors.last()
    {
        let path = uri.path().rsplit_once("/v2.1/").map_or("flavors", |(_, p)| p);
        body["flavors_links"] = next_link(&format!("{}/v2.1/{path}", s.endpoint), &pairs, &last.flavorid);
    }
    Ok(Json(body))
}

async fn show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let flavor = s.compute.get_flavor(&ctx, &id).await?;
    Ok(Json(json!({"flavor": wire::render_detail(&flavor, version, &s.endpoint, s.compute.shows_extra_specs(&ctx))})))
}

async fn create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let new = wire::parse_create(&json_body(&headers, &body)?, version)?;
    let flavor = s.compute.create_flavor(&ctx, new).await?;
    Ok(Json(json!({"flavor": wire::render_detail(&flavor, version, &s.endpoint, s.compute.shows_extra_specs(&ctx))})))
}

async fn update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    if !version.at_least(55) {
        return Err(Error::NotFound("The resource could not be found.".into()));
    }
    let description = wire::parse_update(&json_body(&headers, &body)?)?;
    let flavor = s.compute.update_flavor(&ctx, &id, description.as_deref()).await?;
    Ok(Json(json!({"flavor": wire::render_detail(&flavor, version, &s.endpoint, s.compute.shows_extra_specs(&ctx))})))
}

async fn delete(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<StatusCode> {
    s.compute.delete_flavor(&ctx, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn action(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let (add, project) = wire::parse_access_action(&json_body(&headers, &body)?)?;
    let projects = if add {
        s.compute.add_flavor_access(&ctx, &id, &project, version).await?
    } else {
        s.compute.remove_flavor_access(&ctx, &id, &project).await?
    };
    Ok(Json(wire::render_access(&id, &projects)))
}

async fn access_list(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<Json<Value>> {
    let projects = s.compute.flavor_access(&ctx, &id).await?;
    Ok(Json(wire::render_access(&id, &projects)))
}

async fn specs_list(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<Json<Value>> {
    Ok(Json(json!({"extra_specs": s.compute.list_extra_specs(&ctx, &id).await?})))
}

async fn specs_create(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let body = json_body(&headers, &body)?;
    let specs = wire::parse_extra_specs(&body)?;
    s.compute.set_extra_specs(&ctx, &id, &specs, "os_compute_api:os-flavor-extra-specs:create", version).await?;
    Ok(Json(body))
}

async fn spec_show(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, key)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let value = s.compute.get_extra_spec(&ctx, &id, &key).await?;
    Ok(Json(json!({ key: value })))
}

async fn spec_update(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let body = json_body(&headers, &body)?;
    let specs = wire::parse_extra_spec(&body, &key)?;
    s.compute.set_extra_specs(&ctx, &id, &specs, "os_compute_api:os-flavor-extra-specs:update", version).await?;
    Ok(Json(body))
}

async fn spec_delete(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Path((id, key)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.compute.delete_extra_spec(&ctx, &id, &key).await?;
    Ok(StatusCode::OK)
}

/// The flavor routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/flavors", get(list).post(create))
        .route("/flavors/detail", get(detail))
        .route("/flavors/{id}", get(show).put(update).delete(delete))
        .route("/flavors/{id}/action", post(action))
        .route("/flavors/{id}/os-flavor-access", get(access_list))
        .route("/flavors/{id}/os-extra_specs", get(specs_list).post(specs_create))
        .route("/flavors/{id}/os-extra_specs/{key}", get(spec_show).put(spec_update).delete(spec_delete))
}
