//! Identity's handlers: parse, check policy, call the domain, render. One file per
//! resource; this module holds the router and what every handler shares.

mod access_rules;
mod application_credentials;
mod auth;
mod catalog;
mod credentials;
mod domains;
mod endpoint_groups;
mod error;
mod grants;
mod groups;
mod limits;
mod projects;
mod role_assignments;
mod roles;
mod trusts;
mod unsupported;
mod users;
mod versions;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::FromRef;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use common::RequestContext;
use http_api::Validator;
use serde_json::{Map, Value, json};

use crate::api::Links;
use crate::domain::{Error, Identity, Result};

/// What every identity handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The service.
    pub identity: Arc<Identity>,
    /// Token validation (the service itself, in process).
    pub validator: Validator,
    /// Link builder.
    pub links: Arc<Links>,
}

impl AppState {
    /// State over a service.
    pub fn new(identity: Arc<Identity>) -> Self {
        let links = Arc::new(Links::new(identity.public_url()));
        AppState { validator: identity.clone(), identity, links }
    }

    /// Refuses with 403 unless policy rule `rule` allows `ctx` on `target`.
    pub fn enforce(&self, ctx: &RequestContext, rule: &str, target: Value) -> Result<()> {
        if self.identity.policy().enforce(rule, &target, &ctx.policy_credentials())? {
            Ok(())
        } else {
            Err(Error::Forbidden(rule.to_owned()))
        }
    }

    /// A list body, `{key: [...], "links": {...}}`, truncated at `list_limit` with
    /// `"truncated": true` as Keystone does.
    pub fn list(&self, key: &str, path: &str, mut items: Vec<Value>) -> Value {
        let mut body = json!({"links": self.links.list(path)});
        if let Some(limit) = self.identity.config().list_limit
            && items.len() > limit
        {
            items.truncate(limit);
            body["truncated"] = json!(true);
        }
        body[key] = Value::Array(items);
        body
    }
}

impl FromRef<AppState> for Validator {
    fn from_ref(s: &AppState) -> Validator {
        s.validator.clone()
    }
}

/// A request body that must be a JSON object.
pub fn json_body(body: &Bytes) -> Result<Map<String, Value>> {
    http_api::json::parse_object(body).map_err(Error::Validation)
}

/// Query parameters.
pub type Query = axum::extract::Query<HashMap<String, String>>;

/// Keeps the items whose `field` matches the query's filters on `param`: `param=v`
/// (equal) and Keystone's operators `param__contains`, `__startswith`, `__endswith`,
/// `__equals` and their case-insensitive `i` forms.
pub fn filter_eq<T>(items: &mut Vec<T>, query: &HashMap<String, String>, param: &str, field: impl Fn(&T) -> Option<&str>) {
    for (key, want) in query {
        let Some(op) = key.strip_prefix(param).map(|rest| rest.strip_prefix("__").unwrap_or(rest)) else { continue };
        let (op, fold) = match op.strip_prefix('i') {
            Some(rest) if ["contains", "startswith", "endswith", "equals"].contains(&rest) => (rest, true),
            _ => (op, false),
        };
        let matches: fn(&str, &str) -> bool = match op {
            "" | "equals" => |have, want| have == want,
            "contains" => |have, want| have.contains(want),
            "startswith" => |have, want| have.starts_with(want),
            "endswith" => |have, want| have.ends_with(want),
            _ => continue,
        };
        let want = if fold { want.to_lowercase() } else { want.clone() };
        items.retain(|item| field(item).is_some_and(|have| if fold { matches(&have.to_lowercase(), &want) } else { matches(have, &want) }));
    }
}

/// Keeps the items whose `enabled` matches the query's `enabled`, if given.
pub fn filter_enabled<T>(items: &mut Vec<T>, query: &HashMap<String, String>, enabled: impl Fn(&T) -> bool) {
    if let Some(want) = query.get("enabled") {
        let want = crate::api::query_bool(want);
        items.retain(|item| enabled(item) == want);
    }
}

/// Adds `WWW-Authenticate` to every 401, as Keystone does, so clients know where to
/// authenticate.
async fn www_authenticate(state: axum::extract::State<AppState>, mut res: Response) -> Response {
    if res.status() == StatusCode::UNAUTHORIZED
        && !res.headers().contains_key(WWW_AUTHENTICATE)
        && let Ok(v) = HeaderValue::from_str(&format!("Keystone uri=\"{}\"", state.identity.public_url()))
    {
        res.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    res
}

/// Every identity route, relative to where identity is mounted (`/identity`).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(versions::routes())
        .merge(auth::routes())
        .merge(domains::routes())
        .merge(projects::routes())
        .merge(users::routes())
        .merge(groups::routes())
        .merge(roles::routes())
        .merge(grants::routes())
        .merge(role_assignments::routes())
        .merge(catalog::routes())
        .merge(application_credentials::routes())
        .merge(access_rules::routes())
        .merge(credentials::routes())
        .merge(trusts::routes())
        .merge(limits::routes())
        .merge(endpoint_groups::routes())
        .merge(unsupported::routes())
        .fallback(|| async { http_api::keystone_error(StatusCode::NOT_FOUND, "The resource could not be found.") })
        .method_not_allowed_fallback(|| async {
            http_api::keystone_error(StatusCode::METHOD_NOT_ALLOWED, "The method you requested is not allowed for the requested URL.")
        })
        .layer(axum::middleware::map_response_with_state(state.clone(), www_authenticate))
        .layer(axum::Extension(http_api::ServiceType("identity")))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(query: &[(&str, &str)]) -> Vec<&'static str> {
        let mut items = vec!["Alpha", "alphabet", "Beta", "gamma"];
        let q: HashMap<String, String> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        filter_eq(&mut items, &q, "name", |s| Some(*s));
        items
    }

    #[test]
    fn keystone_filter_operators() {
        assert_eq!(names(&[("name", "Beta")]), ["Beta"]);
        assert_eq!(names(&[("name__contains", "ph")]), ["Alpha", "alphabet"]);
        assert_eq!(names(&[("name__startswith", "alpha")]), ["alphabet"]);
        assert_eq!(names(&[("name__istartswith", "alpha")]), ["Alpha", "alphabet"]);
        assert_eq!(names(&[("name__iendswith", "A")]), ["Alpha", "Beta", "gamma"]);
        assert_eq!(names(&[("name__iequals", "beta")]), ["Beta"]);
        assert_eq!(names(&[("name__contains", "a"), ("name__endswith", "t")]), ["alphabet"]);
        assert_eq!(names(&[("other", "x"), ("name__bogus", "x")]).len(), 4, "unknown filters are ignored, as in Keystone");
    }
}
