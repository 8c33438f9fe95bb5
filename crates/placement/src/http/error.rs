//! Microversion negotiation and Placement's error body, for every response.
//!
//! Handlers fail with a domain [`Error`]; its response carries the error as an
//! extension, and [`microversion`] (which knows the version and the request id)
//! writes the body: `{"errors": [{"status", "title", "detail", "code", "request_id"}]}`,
//! `code` from 1.23, `detail` worded as WebOb words it.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::{Code, Error, MAX_MINOR, Version};

/// An error on its way to being rendered.
#[derive(Debug, Clone)]
struct Pending {
    code: Code,
    detail: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Error::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, Code::Undefined),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, Code::Undefined),
            Error::Conflict { code, .. } => (StatusCode::CONFLICT, *code),
            Error::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, Code::Undefined),
            Error::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, Code::Undefined),
            Error::NotImplemented(_) => (StatusCode::NOT_IMPLEMENTED, Code::Undefined),
            Error::Store(_) | Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, Code::Undefined),
        };
        let detail = if status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED {
            tracing::error!(error = %self, "placement request failed");
            String::new()
        } else {
            self.to_string()
        };
        let mut res = status.into_response();
        res.extensions_mut().insert(Pending { code, detail });
        res
    }
}

/// WebOb's explanation of a status, which Placement's details begin with.
fn explanation(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The server could not comply with the request since it is either malformed or otherwise incorrect.",
        403 => "Access was denied to this resource.",
        404 => "The resource could not be found.",
        405 => "The method is not allowed for this resource.",
        406 => "The resource could not be generated that was acceptable to your browser.",
        409 => "There was a conflict when trying to complete your request.",
        415 => "The request media type is not supported by this server.",
        501 => "The server does not support the action required to fulfill the request.",
        _ => "The server has either erred or is incapable of performing the requested operation.",
    }
}

fn render(status: StatusCode, pending: &Pending, version: Option<Version>, request_id: &str) -> Response {
    let mut error = json!({
        "status": status.as_u16(),
        "title": status.canonical_reason().unwrap_or("Error"),
        "detail": format!("{}\n\n {}  ", explanation(status), pending.detail),
    });
    match version {
        Some(v) if v.at_least(23) => error["code"] = json!(pending.code.as_str()),
        Some(_) => {}
        None => {
            error["max_version"] = json!(format!("1.{MAX_MINOR}"));
            error["min_version"] = json!("1.0");
        }
    }
    error["request_id"] = json!(request_id);
    (status, axum::Json(json!({"errors": [error]}))).into_response()
}

/// The version a request asks for with `OpenStack-API-Version: placement 1.x`
/// (`latest` is the newest; none is 1.0): `Err(400)` when malformed, `Err(406)` when
/// out of range.
fn negotiate(req: &Request) -> Result<Version, (StatusCode, String)> {
    let Some(value) = req.headers().get("openstack-api-version").and_then(|v| v.to_str().ok()) else {
        return Ok(Version(0));
    };
    let asked = value.split(',').rev().find_map(|item| {
        let mut parts = item.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(service), Some(version), None) if service.eq_ignore_ascii_case("placement") => Some(version.to_owned()),
            _ => None,
        }
    });
    let Some(asked) = asked else { return Ok(Version(0)) };
    if asked == "latest" {
        return Ok(Version(MAX_MINOR));
    }
    let parsed =
        asked.split_once('.').and_then(|(major, minor)| Some((major.trim().parse::<u16>().ok()?, minor.trim().parse::<u16>().ok()?)));
    match parsed {
        None => Err((StatusCode::BAD_REQUEST, format!("Invalid microversion: invalid version string: {asked}"))),
        Some((1, minor)) if minor <= MAX_MINOR => Ok(Version(minor)),
        Some((major, minor)) => {
            Err((StatusCode::NOT_ACCEPTABLE, format!("Invalid microversion: Unacceptable version header: {major}.{minor}")))
        }
    }
}

/// Middleware: negotiates the version (into the request's extensions), sets the
/// version headers, and renders every error in Placement's shape.
pub async fn microversion(mut req: Request, next: Next) -> Response {
    let request_id = req.extensions().get::<http_api::RequestId>().map(|r| r.0.clone()).unwrap_or_else(common::ids::request_id);
    let version = match negotiate(&req) {
        Ok(v) => v,
        Err((status, detail)) => {
            let version = (status == StatusCode::BAD_REQUEST).then_some(Version(0));
            return render(status, &Pending { code: Code::Undefined, detail }, version, &request_id);
        }
    };
    req.extensions_mut().insert(version);
    let mut res = next.run(req).await;
    if let Some(pending) = res.extensions_mut().remove::<Pending>() {
        res = render(res.status(), &pending, Some(version), &request_id);
    } else if version.at_least(15) && res.headers().get(header::CONTENT_TYPE).is_some_and(|c| c.as_bytes().starts_with(b"application/json"))
    {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let Ok(v) = HeaderValue::from_str(&httpdate_now()) {
            res.headers_mut().insert(header::LAST_MODIFIED, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&format!("placement {version}")) {
        res.headers_mut().insert("openstack-api-version", v);
    }
    res.headers_mut().insert(header::VARY, HeaderValue::from_static("openstack-api-version"));
    res
}

/// Now as an HTTP date (`Wed, 25 Jun 2026 23:42:24 GMT`).
fn httpdate_now() -> String {
    common::time::from_micros(common::time::now_micros()).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
