//! Microversion negotiation and Nova's error body, for every response under `/v2.1`.
//!
//! Nova's body is `{"<name>": {"code": <status>, "message": "..."}}`, the name chosen by
//! the status (`badRequest`, `itemNotFound`, `conflictingRequest`, ...; `computeFault`
//! for any other).

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::{Error, MAX_MINOR, MIN_MINOR, Version};

/// The header naming the version as `compute 2.x`.
const VERSION_HEADER: &str = "openstack-api-version";
/// Nova's own header, naming the version as `2.x`.
const LEGACY_VERSION_HEADER: &str = "x-openstack-nova-api-version";

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match &self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Store(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "compute request failed");
            "Unexpected API Error. Please report this at https://github.com/ferrostack and attach the request id.".to_owned()
        } else {
            self.to_string()
        };
        fault(status, &message)
    }
}

/// Nova's name for an error of `status`.
fn fault_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 | 429 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    }
}

/// A response with Nova's error body.
pub fn fault(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ fault_name(status): {"code": status.as_u16(), "message": message} }))).into_response()
}

/// The version a request asks for: `OpenStack-API-Version: compute 2.x` first, then
/// `X-OpenStack-Nova-API-Version: 2.x`; none is 2.1, `latest` the newest.
fn negotiate(req: &Request) -> Result<Version, (StatusCode, String)> {
    let header_value = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let modern = header_value(VERSION_HEADER).and_then(|value| {
        value.split(',').rev().find_map(|item| {
            let mut parts = item.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(service), Some(version), None) if service.eq_ignore_ascii_case("compute") => Some(version.to_owned()),
                _ => None,
            }
        })
    });
    let legacy = || header_value(LEGACY_VERSION_HEADER).map(|v| v.rsplit(',').next().unwrap_or("").trim().to_owned());
    let Some(asked) = modern.or_else(legacy) else {
        return Ok(Version(MIN_MINOR));
    };
    if asked == "latest" {
        return Ok(Version(MAX_MINOR));
    }
    let number = |s: &str| (s == "0" || (!s.starts_with('0') && !s.is_empty())).then(|| s.parse::<u16>().ok()).flatten();
    let parsed = asked.split_once('.').and_then(|(major, minor)| Some((number(major)?, number(minor)?)));
    match parsed {
        Some((2, minor)) if (MIN_MINOR..=MAX_MINOR).contains(&minor) => Ok(Version(minor)),
        Some((major, minor)) if major > 0 => Err((
            StatusCode::NOT_ACCEPTABLE,
            format!("Version {major}.{minor} is not supported by the API. Minimum is 2.{MIN_MINOR} and maximum is 2.{MAX_MINOR}."),
        )),
        _ => {
            Err((StatusCode::BAD_REQUEST, format!("API Version String {asked} is of invalid format. Must be of format MajorNum.MinorNum.")))
        }
    }
}

/// Middleware: negotiates the version (into the request's extensions) and sets the
/// version headers on the response.
pub async fn microversion(mut req: Request, next: Next) -> Response {
    let version = match negotiate(&req) {
        Ok(v) => v,
        Err((status, message)) => return fault(status, &message),
    };
    req.extensions_mut().insert(version);
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("compute {version}")) {
        headers.insert(VERSION_HEADER, v);
    }
    if let Ok(v) = HeaderValue::from_str(&version.to_string()) {
        headers.insert(LEGACY_VERSION_HEADER, v);
    }
    headers.insert(header::VARY, HeaderValue::from_static("OpenStack-API-Version, X-OpenStack-Nova-API-Version"));
    res
}

/// The legacy v2 API: every request is served at 2.1 and answers without version
/// headers.
pub async fn legacy_v2(mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(Version(MIN_MINOR));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(headers: &[(&'static str, &str)]) -> Result<Version, (StatusCode, String)> {
        let mut req = Request::new(axum::body::Body::empty());
        for (k, v) in headers {
            req.headers_mut().insert(axum::http::HeaderName::from_static(k), HeaderValue::from_str(v).unwrap());
        }
        negotiate(&req)
    }

    #[test]
    fn versions_come_from_either_header_the_modern_one_first() {
        assert_eq!(asked(&[]), Ok(Version(1)));
        assert_eq!(asked(&[(VERSION_HEADER, "compute 2.53")]), Ok(Version(53)));
        assert_eq!(asked(&[(LEGACY_VERSION_HEADER, "2.10")]), Ok(Version(10)));
        assert_eq!(asked(&[(VERSION_HEADER, "compute 2.60"), (LEGACY_VERSION_HEADER, "2.10")]), Ok(Version(60)));
        assert_eq!(asked(&[(VERSION_HEADER, "placement 1.3"), (LEGACY_VERSION_HEADER, "2.10")]), Ok(Version(10)));
        assert_eq!(asked(&[(VERSION_HEADER, "compute latest")]), Ok(Version(MAX_MINOR)));
    }

    #[test]
    fn malformed_versions_are_400_and_unserved_ones_406() {
        assert_eq!(asked(&[(VERSION_HEADER, "compute 2.x")]).unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(asked(&[(VERSION_HEADER, "compute 2.01")]).unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(asked(&[(VERSION_HEADER, "compute 02.1")]).unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(asked(&[(VERSION_HEADER, "compute Latest")]).unwrap_err().0, StatusCode::BAD_REQUEST);
        assert_eq!(asked(&[(LEGACY_VERSION_HEADER, "")]).unwrap_err().0, StatusCode::BAD_REQUEST);
        let (status, message) = asked(&[(VERSION_HEADER, "compute 2.999")]).unwrap_err();
        assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(message, format!("Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2.{MAX_MINOR}."));
        assert_eq!(asked(&[(VERSION_HEADER, "compute 3.0")]).unwrap_err().0, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(asked(&[(VERSION_HEADER, "compute 2.0")]).unwrap_err().0, StatusCode::NOT_ACCEPTABLE);
    }
}
