//! `POST /v3/auth/tokens` requests and token bodies.

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

/// A token body as Keystone returns it, with the catalog when given.
pub fn render_token(data: &TokenData, catalog: Option<&Value>) -> Value {
    let mut token = json!({
        "methods": data.payload.method_names(),
        "user": {
            "id": data.user.id,
            "name": data.user.name,
            "domain": {"id": data.user_domain.id, "name": data.user_domain.name},
            "password_expires_at": data.password_expires_at.map(keystone_token_time),
        },
        "audit_ids": data.payload.audit_ids,
        "expires_at": keystone_token_time(data.payload.expires_at),
        "issued_at": keystone_token_time(data.payload.issued_at),
    });
    let obj = token.as_object_mut().expect("token is an object");
    match &data.scope {
        TokenScope::Unscoped => {}
        TokenScope::Project { project, domain } => {
            obj.insert("project".into(), json!({"id": project.id, "name": project.name, "domain": {"id": domain.id, "name": domain.name}}));
            obj.insert("is_domain".into(), json!(false));
        }
        TokenScope::Domain(d) => {
            obj.insert("domain".into(), json!({"id": d.id, "name": d.name}));
        }
        TokenScope::System => {
            obj.insert("system".into(), json!({"all": true}));
        }
    }
    if !matches!(data.scope, TokenScope::Unscoped) {
        obj.insert("roles".into(), data.roles.iter().map(|r| json!({"id": r.id, "name": r.name})).collect());
        if let Some(catalog) = catalog {
            obj.insert("catalog".into(), catalog.clone());
        }
    }
    if let Some(trust) = &data.trust {
        obj.insert(
            "OS-TRUST:trust".into(),
            json!({
                "id": trust.id,
                "impersonation": trust.impersonation,
                "trustee_user": {"id": trust.trustee_user_id},
                "trustor_user": {"id": trust.trustor_user_id},
            }),
        );
    }
    if let Some(cred) = &data.app_cred {
        obj.insert("application_credential".into(), json!({"id": cred.id, "name": cred.name, "restricted": !cred.unrestricted}));
    }
    json!({"token": token})
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
