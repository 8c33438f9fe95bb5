//! Role grants: `/v3/{projects|domains}/{target}/{users|groups}/{actor}/roles[/{role}]`,
//! the same under `/v3/OS-INHERIT/.../inherited_to_projects`, and `/v3/system/...`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use crate::api::roles;
use crate::domain::Result;
use crate::store::{ActorType, AssignmentRow, TargetType};

/// The kind of grant a route manages.
#[derive(Debug, Clone, Copy)]
struct Kind {
    actor: ActorType,
    target: TargetType,
    inherited: bool,
}

impl Kind {
    fn rule(self, action: &str) -> String {
        match self.target {
            TargetType::System => {
                let who = if self.actor == ActorType::User { "user" } else { "group" };
                match action {
                    "list" => format!("identity:list_system_grants_for_{who}"),
                    other => format!("identity:{other}_system_grant_for_{who}"),
                }
            }
            _ => match action {
                "list" => "identity:list_grants".to_owned(),
                "check" => "identity:check_grant".to_owned(),
                "create" => "identity:create_grant".to_owned(),
                _ => "identity:revoke_grant".to_owned(),
            },
        }
    }

    fn assignment(self, p: &HashMap<String, String>) -> AssignmentRow {
        AssignmentRow {
            actor_type: self.actor,
            actor_id: p["actor"].clone(),
            target_type: self.target,
            target_id: p.get("target").cloned().unwrap_or_else(|| "all".to_owned()),
            role_id: p.get("role").cloned().unwrap_or_default(),
            inherited: self.inherited,
        }
    }

    fn target(self, p: &HashMap<String, String>) -> Value {
        let actor = if self.actor == ActorType::User { "user" } else { "group" };
        let target = match self.target {
            TargetType::Project => json!({"project": {"id": p.get("target")}}),
            TargetType::Domain => json!({"domain": {"id": p.get("target")}}),
            TargetType::System => json!({}),
        };
        let mut t = json!({"target": target});
        t["target"][actor] = json!({"id": p["actor"]});
        t["target"]["role"] = json!({"id": p.get("role")});
        t["domain_id"] = json!(p.get("target").filter(|_| self.target == TargetType::Domain));
        t
    }
}

async fn list(s: AppState, caller: Caller, kind: Kind, p: HashMap<String, String>) -> Result<Json<Value>> {
    s.enforce(&caller.ctx, &kind.rule("list"), kind.target(&p))?;
    let a = kind.assignment(&p);
    let roles = s.identity.list_grants((a.actor_type, &a.actor_id), (a.target_type, &a.target_id), a.inherited).await?;
    Ok(Json(json!({"roles": roles.iter().map(|r| roles::render(&s.links, r)).collect::<Vec<_>>(), "links": s.links.list("roles")})))
}

async fn check(s: AppState, caller: Caller, kind: Kind, p: HashMap<String, String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, &kind.rule("check"), kind.target(&p))?;
    s.identity.check_grant(&kind.assignment(&p)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create(s: AppState, caller: Caller, kind: Kind, p: HashMap<String, String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, &kind.rule("create"), kind.target(&p))?;
    s.identity.grant(kind.assignment(&p)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke(s: AppState, caller: Caller, kind: Kind, p: HashMap<String, String>) -> Result<StatusCode> {
    s.enforce(&caller.ctx, &kind.rule("revoke"), kind.target(&p))?;
    s.identity.revoke_grant(kind.assignment(&p)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn list_route(kind: Kind) -> MethodRouter<AppState> {
    get(move |State(s): State<AppState>, c: Caller, Path(p): Path<HashMap<String, String>>| list(s, c, kind, p))
}

fn grant_route(kind: Kind) -> MethodRouter<AppState> {
    get(move |State(s): State<AppState>, c: Caller, Path(p): Path<HashMap<String, String>>| check(s, c, kind, p))
        .head(move |State(s): State<AppState>, c: Caller, Path(p): Path<HashMap<String, String>>| check(s, c, kind, p))
        .put(move |State(s): State<AppState>, c: Caller, Path(p): Path<HashMap<String, String>>| create(s, c, kind, p))
        .delete(move |State(s): State<AppState>, c: Caller, Path(p): Path<HashMap<String, String>>| revoke(s, c, kind, p))
}

/// Every grant route.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for (target_path, target) in
        [("projects/{target}", TargetType::Project), ("domains/{target}", TargetType::Domain), ("system", TargetType::System)]
    {
        for (actor_path, actor) in [("users/{actor}", ActorType::User), ("groups/{actor}", ActorType::Group)] {
            let direct = Kind { actor, target, inherited: false };
            router = router
                .route(&format!("/v3/{target_path}/{actor_path}/roles"), list_route(direct))
                .route(&format!("/v3/{target_path}/{actor_path}/roles/{{role}}"), grant_route(direct));
            if target != TargetType::System {
                let inherited = Kind { inherited: true, ..direct };
                router = router
                    .route(&format!("/v3/OS-INHERIT/{target_path}/{actor_path}/roles/inherited_to_projects"), list_route(inherited))
                    .route(
                        &format!("/v3/OS-INHERIT/{target_path}/{actor_path}/roles/{{role}}/inherited_to_projects"),
                        grant_route(inherited),
                    );
            }
        }
    }
    router
}
