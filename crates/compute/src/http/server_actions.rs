//! `POST /servers/{id}/action`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use http_api::Authenticated;

use super::servers::{render_changed, user_token};
use super::{AppState, json, json_body};
use crate::api::server_actions::{ServerAction, parse_action};
use crate::domain::{Error, Result, Version};

async fn act(
    State(s): State<AppState>,
    Authenticated(ctx): Authenticated,
    Extension(version): Extension<Version>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    match parse_action(&json_body(&headers, &body)?, version)? {
        ServerAction::Operate(op) => s.compute.operate_server(&ctx, &id, op).await?,
        ServerAction::Lock(reason) => s.compute.lock_server(&ctx, &id, reason).await?,
        ServerAction::Unlock => s.compute.unlock_server(&ctx, &id).await?,
        ServerAction::ForceDelete => s.compute.delete_server(&ctx, &id, "os_compute_api:os-deferred-delete:force").await?,
        ServerAction::Restore => s.compute.restore_server(&ctx, &id).await?,
        ServerAction::ResetState(state) => s.compute.reset_server_state(&ctx, &id, state).await?,
        ServerAction::Shelve => s.compute.shelve_server(&ctx, &user_token(&headers)?, &id).await?,
        ServerAction::ShelveOffload => s.compute.shelve_offload_server(&ctx, &id).await?,
        ServerAction::Unshelve { availability_zone, host } => {
            s.compute.unshelve_server(&ctx, &user_token(&headers)?, &id, availability_zone, host).await?
        }
        ServerAction::CreateImage { name, metadata } => {
            let image_id = s.compute.snapshot_server(&ctx, &user_token(&headers)?, &id, name, metadata).await?;
            if version.at_least(45) {
                return Ok(json(StatusCode::ACCEPTED, serde_json::json!({"image_id": image_id})));
            }
            let mut response = StatusCode::ACCEPTED.into_response();
            let location = format!("{}/images/{image_id}", s.compute.image_endpoint().await?);
            if let Ok(v) = axum::http::HeaderValue::from_str(&location) {
                response.headers_mut().insert(axum::http::header::LOCATION, v);
            }
            return Ok(response);
        }
        ServerAction::CreateBackup { name, rotation, metadata } => {
            let keep = rotation.keep;
            let image_id = s.compute.backup_server(&ctx, &user_token(&headers)?, &id, name, rotation, metadata).await?;
            if version.at_least(45) {
                return Ok(json(StatusCode::ACCEPTED, serde_json::json!({"image_id": image_id})));
            }
            let mut response = StatusCode::ACCEPTED.into_response();
            if keep > 0
                && let Ok(v) = axum::http::HeaderValue::from_str(&format!("{}/v2.1/images/{image_id}", s.endpoint))
            {
                response.headers_mut().insert(axum::http::header::LOCATION, v);
            }
            return Ok(response);
        }
        ServerAction::Rescue { admin_pass, image } => {
            let admin_pass = s.compute.rescue_server(&ctx, &user_token(&headers)?, &id, admin_pass, image).await?;
            return Ok(json(StatusCode::OK, serde_json::json!({"adminPass": admin_pass})));
        }
        ServerAction::Unrescue => s.compute.operate_server(&ctx, &id, crate::rpc::Operation::Unrescue).await?,
        ServerAction::ChangePassword(password) => s.compute.change_password(&ctx, &id, password).await?,
        ServerAction::NotServed(action) => {
            // A server that is not there is a 404 first, as it would be in Nova.
            s.compute.show_server(&ctx, &id).await?;
            return Err(Error::NotImplemented(format!("The server action {action} is not implemented in Ferrostack yet.")));
        }
        ServerAction::Rebuild(rebuild) => {
            let (view, admin_pass) = s.compute.rebuild_server(&ctx, &user_token(&headers)?, &id, *rebuild).await?;
            let mut body = render_changed(&s, &ctx, version, &view, true).await?;
            body["server"]["adminPass"] = admin_pass.into();
            return Ok(json(StatusCode::ACCEPTED, body));
        }
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// The server action route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/servers/{id}/action", post(act))
}
