//! `POST /v3/auth/tokens` requests and token bodies.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{Schema, check, compile, member, str_field};
use crate::domain::auth::{AppCredRef, AuthRequest, DomainRef, ProjectRef, ScopeRequest, UserRef};
use crate::domain::{Error, Result, TokenData, TokenScope};
use common::time::keystone_token_time;

static AUTH: Schema = Schema::new(|| {
    let domain = json!({"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}});
    let user = json!({"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "password": {"type": "string"}, "domain": domain,
    }});
    compile(json!({
        "type": "object",
        "required": ["auth"],
        "properties": {"auth": {
            "type": "object",
            "required": ["identity"],
            "properties": {
                "identity": {
                    "type": "object",
                    "required": ["methods"],
                    "properties": {
                        "methods": {"type": "array", "items": {"type": "string"}},
                        "password": {"type": "object", "required": ["user"], "properties": {"user": user}},
                        "token": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                        "application_credential": {"type": "object", "required": ["secret"], "properties": {
                            "id": {"type": "string"}, "name": {"type": "string"}, "secret": {"type": "string"}, "user": user,
                        }},
                    },
                },
                "scope": {"anyOf": [
                    {"type": "string", "enum": ["unscoped"]},
                    {"type": "object", "properties": {
                        "project": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "domain": domain}},
                        "OS-TRUST:trust": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                        "domain": domain,
                        "system": {"type": "object", "properties": {"all": {"type": "boolean"}}},
                    }},
                ]},
            },
        }},
    }))
});

fn domain_ref(obj: &Map<String, Value>, what: &str) -> Result<DomainRef> {
    match (str_field(obj, "id"), str_field(obj, "name")) {
        (Some(id), _) => Ok(DomainRef::Id(id)),
        (None, Some(name)) => Ok(DomainRef::Name(name)),
        (None, None) => Err(Error::Validation(format!("Expecting to find id or name in {what}."))),
    }
}

/// An entity named by id, or by name within a domain.
enum Named {
    Id(String),
    InDomain { name: String, domain: DomainRef },
}

fn named_in_domain(obj: &Map<String, Value>, what: &str) -> Result<Named> {
    if let Some(id) = str_field(obj, "id") {
        return Ok(Named::Id(id));
    }
    let name = str_field(obj, "name").ok_or_else(|| Error::Validation(format!("Expecting to find id or name in {what}.")))?;
    let domain =
        obj.get("domain").and_then(Value::as_object).ok_or_else(|| Error::Validation(format!("Expecting to find domain in {what}.")))?;
    Ok(Named::InDomain { name, domain: domain_ref(domain, "domain")? })
}

fn user_ref(obj: &Map<String, Value>) -> Result<UserRef> {
    Ok(match named_in_domain(obj, "user")? {
        Named::Id(id) => UserRef::Id(id),
        Named::InDomain { name, domain } => UserRef::Name { name, domain },
    })
}

/// Parses an authentication request body.
pub fn parse_auth(body: &Map<String, Value>) -> Result<AuthRequest> {
    check(&AUTH, &Value::Object(body.clone()))?;
    let auth = member(body, "auth")?;
    let identity = member(auth, "identity")?;
    let methods: Vec<String> =
        identity.get("methods").and_then(Value::as_array).into_iter().flatten().filter_map(|m| m.as_str().map(str::to_owned)).collect();
    let password = match identity.get("password").and_then(Value::as_object) {
        Some(p) => {
            let user =
                p.get("user").and_then(Value::as_object).ok_or_else(|| Error::Validation("Expecting to find user in password.".into()))?;
            let secret = str_field(user, "password").ok_or_else(|| Error::Validation("Expecting to find password in user.".into()))?;
            Some((user_ref(user)?, secret))
        }
        None => None,
    };
    let token = identity.get("token").and_then(|t| t.get("id")).and_then(Value::as_str).map(str::to_owned);
    let app_cred = match identity.get("application_credential").and_then(Value::as_object) {
        Some(a) => {
            let secret = str_field(a, "secret").unwrap_or_default();
            let cred = match (str_field(a, "id"), str_field(a, "name")) {
                (Some(id), _) => AppCredRef::Id(id),
                (None, Some(name)) => {
                    let user = a
                        .get("user")
                        .and_then(Value::as_object)
                        .ok_or_else(|| Error::Validation("Expecting to find user in application_credential when it is named.".into()))?;
                    AppCredRef::Name { name, user: user_ref(user)? }
                }
                (None, None) => return Err(Error::Validation("Expecting to find id or name in application_credential.".into())),
            };
            Some((cred, secret))
        }
        None => None,
    };
    let scope = match auth.get("scope") {
        None => ScopeRequest::Default,
        Some(Value::String(_)) => ScopeRequest::Unscoped,
        Some(Value::Object(s)) => {
            let given: Vec<&str> = ["project", "domain", "system", "OS-TRUST:trust"].into_iter().filter(|k| s.contains_key(*k)).collect();
            match given.as_slice() {
                [] => ScopeRequest::Default,
                ["project"] => match named_in_domain(member(s, "project")?, "project")? {
                    Named::Id(id) => ScopeRequest::Project(ProjectRef::Id(id)),
                    Named::InDomain { name, domain } => ScopeRequest::Project(ProjectRef::Name { name, domain }),
                },
                ["domain"] => ScopeRequest::Domain(domain_ref(member(s, "domain")?, "domain")?),
                ["system"] => {
                    if s.get("system").and_then(|v| v.get("all")).and_then(Value::as_bool) != Some(true) {
                        return Err(Error::Validation("Only the system scope \"all\" exists.".into()));
                    }
                    ScopeRequest::System
                }
                ["OS-TRUST:trust"] => {
                    let id = s.get("OS-TRUST:trust").and_then(|t| t.get("id")).and_then(Value::as_str);
                    ScopeRequest::Trust(id.ok_or_else(|| Error::Validation("Expecting to find id in OS-TRUST:trust.".into()))?.to_owned())
                }
                _ => return Err(Error::Validation("Specify one of domain, project or system as the scope.".into())),
            }
        }
        Some(_) => return Err(Error::Validation("Invalid input for field 'auth.scope'.".into())),
    };
    Ok(AuthRequest { methods, password, token, app_cred, scope })
}

/// A token body as Keystone returns it, borrowing from the token it describes, so a
/// validation answer costs no copy of the catalog.
#[derive(Serialize)]
pub struct TokenBody<'a> {
    token: TokenView<'a>,
}

#[derive(Serialize)]
struct TokenView<'a> {
    methods: Vec<&'static str>,
    user: UserView<'a>,
    audit_ids: &'a [String],
    expires_at: String,
    issued_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<ProjectView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_domain: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<NamedRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<SystemAll>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<NamedRef<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog: Option<&'a Value>,
    #[serde(rename = "OS-TRUST:trust", skip_serializing_if = "Option::is_none")]
    trust: Option<TrustView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_credential: Option<AppCredView<'a>>,
}

#[derive(Serialize)]
struct NamedRef<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct IdRef<'a> {
    id: &'a str,
}

#[derive(Serialize)]
struct UserView<'a> {
    id: &'a str,
    name: &'a str,
    domain: NamedRef<'a>,
    password_expires_at: Option<String>,
}

#[derive(Serialize)]
struct ProjectView<'a> {
    id: &'a str,
    name: &'a str,
    domain: NamedRef<'a>,
}

#[derive(Serialize)]
struct SystemAll {
    all: bool,
}

#[derive(Serialize)]
struct TrustView<'a> {
    id: &'a str,
    impersonation: bool,
    trustee_user: IdRef<'a>,
    trustor_user: IdRef<'a>,
}

#[derive(Serialize)]
struct AppCredView<'a> {
    id: &'a str,
    name: &'a str,
    restricted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_rules: Option<Vec<AccessRuleView<'a>>>,
}

#[derive(Serialize)]
struct AccessRuleView<'a> {
    id: &'a str,
    service: &'a str,
    path: &'a str,
    method: &'a str,
}

/// The body of a token: who, scope, roles, catalog (when given and the token is
/// scoped), and the trust or application credential it came from.
pub fn render_token<'a>(data: &'a TokenData, catalog: Option<&'a Value>) -> TokenBody<'a> {
    let named = |id: &'a str, name: &'a str| NamedRef { id, name };
    let scoped = !matches!(data.scope, TokenScope::Unscoped);
    let (project, domain) = match &data.scope {
        TokenScope::Project { project, domain } => {
            (Some(ProjectView { id: &project.id, name: &project.name, domain: named(&domain.id, &domain.name) }), None)
        }
        TokenScope::Domain(d) => (None, Some(named(&d.id, &d.name))),
        TokenScope::Unscoped | TokenScope::System => (None, None),
    };
    TokenBody {
        token: TokenView {
            methods: data.payload.method_names(),
            user: UserView {
                id: &data.user.id,
                name: &data.user.name,
                domain: named(&data.user_domain.id, &data.user_domain.name),
                password_expires_at: data.password_expires_at.map(keystone_token_time),
            },
            audit_ids: &data.payload.audit_ids,
            expires_at: keystone_token_time(data.payload.expires_at),
            issued_at: keystone_token_time(data.payload.issued_at),
            is_domain: project.is_some().then_some(false),
            project,
            domain,
            system: matches!(data.scope, TokenScope::System).then_some(SystemAll { all: true }),
            roles: scoped.then(|| data.roles.iter().map(|r| named(&r.id, &r.name)).collect()),
            catalog: catalog.filter(|_| scoped),
            trust: data.trust.as_ref().map(|t| TrustView {
                id: &t.id,
                impersonation: t.impersonation,
                trustee_user: IdRef { id: &t.trustee_user_id },
                trustor_user: IdRef { id: &t.trustor_user_id },
            }),
            application_credential: data.app_cred.as_ref().map(|c| AppCredView {
                id: &c.id,
                name: &c.name,
                restricted: !c.unrestricted,
                access_rules: data.access_rules().map(|rules| {
                    rules.iter().map(|r| AccessRuleView { id: &r.id, service: &r.service, path: &r.path, method: &r.method }).collect()
                }),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<AuthRequest> {
        parse_auth(v.as_object().unwrap())
    }

    #[test]
    fn password_by_name_with_project_scope() {
        let req = parse(json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"name": "Default"}, "password": "s"}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }}))
        .unwrap();
        assert!(matches!(req.password, Some((UserRef::Name { .. }, ref p)) if p == "s"));
        assert!(matches!(req.scope, ScopeRequest::Project(ProjectRef::Name { .. })));
    }

    #[test]
    fn malformed_requests_are_400s() {
        let bad = [
            json!({}),
            json!({"auth": {}}),
            json!({"auth": {"identity": {"methods": "password"}}}),
            json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"password": "x"}}}}}),
            json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "a", "password": "x"}}}}}),
            json!({"auth": {"identity": {"methods": ["token"]}, "scope": {"project": {"id": "p"}, "domain": {"id": "d"}}}}),
            json!({"auth": {"identity": {"methods": ["token"]}, "scope": {"system": {"all": false}}}}),
            json!({"auth": {"identity": {"methods": ["token"]}, "scope": "everything"}}),
        ];
        for b in bad {
            assert!(matches!(parse(b.clone()), Err(Error::Validation(_))), "{b} should be a 400");
        }
    }

    #[test]
    fn explicit_unscoped_and_system_scopes() {
        let req = parse(json!({"auth": {"identity": {"methods": ["token"], "token": {"id": "t"}}, "scope": "unscoped"}})).unwrap();
        assert!(matches!(req.scope, ScopeRequest::Unscoped));
        let req =
            parse(json!({"auth": {"identity": {"methods": ["token"], "token": {"id": "t"}}, "scope": {"system": {"all": true}}}})).unwrap();
        assert!(matches!(req.scope, ScopeRequest::System));
    }
}
