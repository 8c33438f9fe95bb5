//! `GET /v3/role_assignments` entries.

use serde_json::{Value, json};

use super::Links;
use crate::domain::roles::{EffectiveAssignment, Names};
use crate::store::{ActorType, TargetType};

fn target_path(t: TargetType, id: &str) -> String {
    match t {
        TargetType::Project => format!("projects/{id}"),
        TargetType::Domain => format!("domains/{id}"),
        TargetType::System => "system".to_owned(),
    }
}

fn actor_path(t: ActorType, id: &str) -> String {
    match t {
        ActorType::User => format!("users/{id}"),
        ActorType::Group => format!("groups/{id}"),
    }
}

fn domain_ref(names: Option<&Names>, id: &str) -> Value {
    match names {
        Some(n) => json!({"id": id, "name": n.domains.get(id)}),
        None => json!({"id": id}),
    }
}

/// One assignment as Keystone lists it, with names when `names` is given.
pub fn render(links: &Links, e: &EffectiveAssignment, names: Option<&Names>) -> Value {
    let a = &e.assignment;
    let mut role = json!({"id": a.role_id});
    let mut actor = json!({"id": a.actor_id});
    let mut scope_entity = json!({"id": a.target_id});
    if let Some(n) = names {
        if let Some((name, domain_id)) = n.roles.get(&a.role_id) {
            role["name"] = json!(name);
            if let Some(d) = domain_id {
                role["domain"] = domain_ref(names, d);
            }
        }
        let named = match a.actor_type {
            ActorType::User => n.users.get(&a.actor_id),
            ActorType::Group => n.groups.get(&a.actor_id),
        };
        if let Some((name, domain_id)) = named {
            actor["name"] = json!(name);
            actor["domain"] = domain_ref(names, domain_id);
        }
        match a.target_type {
            TargetType::Project => {
                if let Some((name, domain_id)) = n.projects.get(&a.target_id) {
                    scope_entity["name"] = json!(name);
                    scope_entity["domain"] = domain_ref(names, domain_id);
                }
            }
            TargetType::Domain => scope_entity["name"] = json!(n.domains.get(&a.target_id)),
            TargetType::System => {}
        }
    }
    let mut scope = match a.target_type {
        TargetType::Project => json!({"project": scope_entity}),
        TargetType::Domain => json!({"domain": scope_entity}),
        TargetType::System => json!({"system": {"all": true}}),
    };
    let (assignment_link, inherited) = match (&e.inherited_from, &e.via_group) {
        (Some((t, id)), group) => {
            let actor = group.as_ref().map_or_else(|| actor_path(a.actor_type, &a.actor_id), |g| actor_path(ActorType::Group, g));
            (
                links.url(&format!(
                    "OS-INHERIT/{}/{actor}/roles/{}/inherited_to_projects",
                    target_path(*t, id),
                    e.prior_role.as_ref().unwrap_or(&a.role_id)
                )),
                true,
            )
        }
        (None, Some(g)) => (
            links.url(&format!(
                "{}/groups/{g}/roles/{}",
                target_path(a.target_type, &a.target_id),
                e.prior_role.as_ref().unwrap_or(&a.role_id)
            )),
            false,
        ),
        (None, None) if a.inherited => (
            links.url(&format!(
                "OS-INHERIT/{}/{}/roles/{}/inherited_to_projects",
                target_path(a.target_type, &a.target_id),
                actor_path(a.actor_type, &a.actor_id),
                a.role_id
            )),
            true,
        ),
        (None, None) => (
            links.url(&format!(
                "{}/{}/roles/{}",
                target_path(a.target_type, &a.target_id),
                actor_path(a.actor_type, &a.actor_id),
                e.prior_role.as_ref().unwrap_or(&a.role_id)
            )),
            false,
        ),
    };
    if inherited && e.inherited_from.is_none() {
        scope["OS-INHERIT:inherited_to"] = json!("projects");
    }
    let mut link = json!({"assignment": assignment_link});
    if let Some(g) = &e.via_group {
        link["membership"] = json!(links.url(&format!("groups/{g}/users/{}", a.actor_id)));
    }
    if let Some(prior) = &e.prior_role {
        link["prior_role"] = json!(links.url(&format!("roles/{prior}")));
    }
    let actor_key = match a.actor_type {
        ActorType::User => "user",
        ActorType::Group => "group",
    };
    json!({"role": role, actor_key: actor, "scope": scope, "links": link})
}
