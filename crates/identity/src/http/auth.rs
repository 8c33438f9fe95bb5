//! `/v3/auth/*`: issuing, validating and revoking tokens, and what a token may reach.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_api::RequestId;
use serde_json::{Value, json};

use super::{AppState, Query, json_body};
use crate::api::{auth as wire, domains, projects};
use crate::domain::{Error, Result, TokenData};

const SUBJECT_TOKEN: &str = "x-subject-token";

/// The validated caller: the request context and everything its token means.
pub struct Caller {
    /// What policy and logs see.
    pub ctx: common::RequestContext,
    /// The caller's token, resolved.
    pub token: Arc<TokenData>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let RequestId(request_id) = RequestId::from_request_parts(parts, state).await.unwrap_or_else(|e| match e {});
        let token = parts.headers.get("x-auth-token").and_then(|v| v.to_str().ok()).filter(|t| !t.is_empty());
        let token = token.ok_or_else(|| Error::Unauthorized("no X-Auth-Token".into()))?;
        let token = state.identity.validate_token(token, false).await?;
        let mut ctx = token.context(&request_id);
        if ctx.access_rules.is_some() {
            ctx.service_roles = service_roles(state, parts).await;
        }
        if !http_api::access_rules::allows(&ctx, parts) {
            return Err(Error::Unauthorized(format!("{} {} is outside the token's access rules", parts.method, parts.uri.path())));
        }
        Ok(Caller { ctx, token })
    }
}

/// The roles of the request's `X-Service-Token`, if it carries a valid one.
async fn service_roles(state: &AppState, parts: &Parts) -> Vec<String> {
    let Some(token) = parts.headers.get("x-service-token").and_then(|v| v.to_str().ok()).filter(|t| !t.is_empty()) else {
        return Vec::new();
    };
    state.identity.validate_token(token, false).await.map(|t| t.roles.iter().map(|r| r.name.clone()).collect()).unwrap_or_default()
}

fn with_subject(mut res: Response, token: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(token) {
        res.headers_mut().insert(SUBJECT_TOKEN, v);
    }
    res
}

async fn issue(State(s): State<AppState>, query: Query, body: Bytes) -> Result<Response> {
    let request = wire::parse_auth(&json_body(&body)?)?;
    let (token, data) = s.identity.authenticate(request).await?;
    let catalog = if query.contains_key("nocatalog") { None } else { Some(s.identity.catalog_for(data.project_id()).await?) };
    let body = wire::render_token(&data, catalog.as_deref());
    Ok(with_subject((StatusCode::CREATED, Json(body)).into_response(), &token))
}

/// Whether the caller sent `OpenStack-Identity-Access-Rules` at version 1.0 or later.
fn enforces_access_rules(headers: &HeaderMap) -> bool {
    headers
        .get("openstack-identity-access-rules")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .is_some_and(|version| version >= 1.0)
}

/// Validates the subject token for `rule`; an invalid subject is a 404, as in Keystone.
async fn subject(s: &AppState, caller: &Caller, headers: &HeaderMap, query: &Query, rule: &str) -> Result<(String, Arc<TokenData>)> {
    let subject = headers
        .get(SUBJECT_TOKEN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Validation("The X-Subject-Token header is required.".into()))?
        .to_owned();
    let allow_expired = query.get("allow_expired").is_some_and(|v| crate::api::query_bool(v));
    let data = match s.identity.validate_token(&subject, allow_expired).await {
        // A client that does not say it enforces access rules must not learn of a
        // token restricted by them, or it would let the token do anything.
        Ok(data) if data.access_rules().is_some() && !enforces_access_rules(headers) => {
            tracing::warn!("a token with access rules was validated by a client that does not enforce them; refused");
            return Err(Error::NotFound { kind: "token", id: "(subject token)".into() });
        }
        Ok(data) => data,
        Err(Error::Unauthorized(why)) => {
            tracing::info!(%why, "subject token refused");
            return Err(Error::NotFound { kind: "token", id: "(subject token)".into() });
        }
        Err(e) => return Err(e),
    };
    s.enforce(&caller.ctx, rule, json!({"target": {"token": {"user_id": data.user.id}}}))?;
    Ok((subject, data))
}

async fn validate(State(s): State<AppState>, caller: Caller, headers: HeaderMap, query: Query) -> Result<Response> {
    let (token, data) = subject(&s, &caller, &headers, &query, "identity:validate_token").await?;
    let catalog = if query.contains_key("nocatalog") { None } else { Some(s.identity.catalog_for(data.project_id()).await?) };
    Ok(with_subject(Json(wire::render_token(&data, catalog.as_deref())).into_response(), &token))
}

async fn check(State(s): State<AppState>, caller: Caller, headers: HeaderMap, query: Query) -> Result<Response> {
    let (token, _) = subject(&s, &caller, &headers, &query, "identity:check_token").await?;
    Ok(with_subject(StatusCode::OK.into_response(), &token))
}

async fn revoke(State(s): State<AppState>, caller: Caller, headers: HeaderMap, query: Query) -> Result<StatusCode> {
    let (_, data) = subject(&s, &caller, &headers, &query, "identity:revoke_token").await?;
    s.identity.revoke_token(&data).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn catalog(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_auth_catalog", json!({}))?;
    if caller.ctx.scope == common::Scope::Unscoped {
        return Err(Error::ForbiddenAction("An unscoped token carries no catalog.".into()));
    }
    let catalog = s.identity.catalog_for(caller.ctx.project_id()).await?;
    Ok(Json(json!({"catalog": *catalog, "links": s.links.list("auth/catalog")})))
}

async fn auth_projects(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_auth_projects", json!({}))?;
    let list = s.identity.projects_for_user(&caller.ctx.user_id).await?;
    Ok(Json(s.list("projects", "auth/projects", list.iter().map(|p| projects::render(&s.links, p)).collect())))
}

async fn auth_domains(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_auth_domains", json!({}))?;
    let list = s.identity.domains_for_user(&caller.ctx.user_id).await?;
    Ok(Json(s.list("domains", "auth/domains", list.iter().map(|d| domains::render(&s.links, d)).collect())))
}

async fn auth_system(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, "identity:get_auth_system", json!({}))?;
    let system = if s.identity.has_system_role(&caller.ctx.user_id).await? { vec![json!({"all": true})] } else { vec![] };
    Ok(Json(json!({"system": system, "links": s.links.list("auth/system")})))
}

/// `/v3/auth/tokens`, `/v3/auth/catalog`, `/v3/auth/projects`, `/v3/auth/domains`,
/// `/v3/auth/system`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/auth/tokens", get(validate).head(check).post(issue).delete(revoke))
        .route("/v3/auth/catalog", get(catalog))
        .route("/v3/auth/projects", get(auth_projects))
        .route("/v3/auth/domains", get(auth_domains))
        .route("/v3/auth/system", get(auth_system))
}
