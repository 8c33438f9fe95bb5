//! `/v2/tasks`, `/v2/tasks/{id}` and `/v2/images/{id}/tasks`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_api::Authenticated;
use serde_json::{Value, json};

use super::{AppState, json_body, page_links, query_pairs};
use crate::api::tasks as wire;
use crate::domain::Result;

async fn list(State(s): State<AppState>, Authenticated(ctx): Authenticated, RawQuery(raw): RawQuery) -> Result<Json<Value>> {
    let params = query_pairs(raw.as_deref())?;
    let page = s.images.list_tasks(&ctx, &wire::parse_task_query(&params)?).await?;
    let last = page.tasks.last().filter(|_| page.full).map(|t| t.id.as_str());
    let (first, next) = page_links("/v2/tasks", params, last);
    let mut body =
        json!({"tasks": page.tasks.iter().map(wire::render_stub).collect::<Vec<_>>(), "first": first, "schema": "/v2/schemas/tasks"});
    if let Some(next) = next {
        body["next"] = json!(next);
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
