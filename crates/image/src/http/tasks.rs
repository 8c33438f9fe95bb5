//! `/v2/tasks`, `/v2/tasks/{id}` and `/v2/images/{id}/tasks`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body, query_pairs};
use crate::api::tasks as wire;
use crate::domain::Result;

async fn list(State(s): State<AppState>, Authenticated(ctx): Authenticated, RawQuery(raw): RawQuery) -> Result<Json<Value>> {
    let params = query_pairs(raw.as_deref())?;
    let page = s.images.list_tasks(&ctx, &wire::parse_task_query(&params)?).await?;
    let without_marker: Vec<(String, String)> = params.into_iter().filter(|(k, _)| k != "marker").collect();
    let encode = |pairs: &[(String, String)]| serde_urlencoded::to_string(pairs).unwrap_or_default();
    let first = if without_marker.is_empty() { "/v2/tasks".to_owned() } else { format!("/v2/tasks?{}", encode(&without_marker)) };
    let mut body =
        json!({"tasks": page.tasks.iter().map(wire::render_stub).collect::<Vec<_>>(), "first": first, "schema": "/v2/schemas/tasks"});
    if let (true, Some(last)) = (page.full, page.tasks.last()) {
        let mut next = without_marker;
        next.push(("marker".into(), last.id.clone()));
        body["next"] = json!(format!("/v2/tasks?{}", encode(&next)));
    }
    Ok(Json(body))
}

async fn create(State(s): State<AppState>, Authenticated(ctx): Authenticated, body: Bytes) -> Result<Response> {
    // Glance checks who may create tasks before it reads the request.
    s.images.check_task_creation(&ctx)?;
    let (image, uri, input) = wire::parse_new_task(&json_body(&body)?)?;
    let task = s.images.create_import_task(&ctx, image, &uri, input).await?;
    let mut res = (StatusCode::CREATED, Json(wire::render(&task))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v2/tasks/{}", task.id)) {
        res.headers_mut().insert(header::LOCATION, location);
    }
    Ok(res)
}

async fn show(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<Json<Value>> {
    Ok(Json(wire::render(&s.images.get_task(&ctx, &id).await?)))
}

async fn image_tasks(State(s): State<AppState>, Authenticated(ctx): Authenticated, Path(id): Path<String>) -> Result<Json<Value>> {
    let tasks = s.images.image_tasks(&ctx, &id).await?;
    Ok(Json(json!({"tasks": tasks.iter().map(wire::render_record).collect::<Vec<_>>()})))
}

/// Task routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/tasks", get(list).post(create))
        .route("/v2/tasks/{id}", get(show))
        .route("/v2/images/{id}/tasks", get(image_tasks))
}
