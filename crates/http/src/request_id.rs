//! `x-openstack-request-id` on every response and in every log line of the request.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The response header OpenStack services set.
pub const HEADER: HeaderName = HeaderName::from_static("x-openstack-request-id");

/// The id of the request being served, from the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Middleware: gives the request an id (keeping a well-formed inbound one, so one id
/// follows a request from service to service), runs the rest of the stack inside a
/// tracing span carrying it, logs the outcome, and sets the response header.
pub async fn middleware(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| common::ids::is_request_id(v))
        .map_or_else(common::ids::request_id, str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = std::time::Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(%method, %path, status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64, "served");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, v);
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Routers built without the middleware (unit tests) still get an id.
        Ok(parts.extensions.get::<RequestId>().cloned().unwrap_or_else(|| RequestId(common::ids::request_id())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new().route("/", get(|RequestId(id): RequestId| async move { id })).layer(axum::middleware::from_fn(middleware))
    }

    #[tokio::test]
    async fn responses_carry_the_id_the_handler_saw() {
        let res = app().oneshot(Request::builder().uri("/").body(axum::body::Body::empty()).unwrap()).await.unwrap();
        let header = res.headers()[&HEADER].to_str().unwrap().to_owned();
        let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
        assert!(common::ids::is_request_id(&header));
        assert_eq!(body, header.as_bytes());
    }

    #[tokio::test]
    async fn a_well_formed_inbound_id_is_kept_and_junk_replaced() {
        let inbound = common::ids::request_id();
        let req = Request::builder().uri("/").header(&HEADER, &inbound).body(axum::body::Body::empty()).unwrap();
        let res = app().oneshot(req).await.unwrap();
        assert_eq!(res.headers()[&HEADER], inbound.as_str());
        let req = Request::builder().uri("/").header(&HEADER, "evil\u{7f}").body(axum::body::Body::empty());
        if let Ok(req) = req {
            let res = app().oneshot(req).await.unwrap();
            assert_ne!(res.headers()[&HEADER], "evil\u{7f}");
        }
    }
}
