//! Roles, implied roles, and which roles a user effectively holds where.

use std::collections::{HashMap, HashSet};

use super::error::{duplicate, not_found};
use super::{Error, Identity, Result};
use crate::store::{ActorType, AssignmentFilter, AssignmentRow, RoleRow, StoreError, TargetType};

/// Roles no role may imply (Keystone's `[assignment] prohibited_implied_role`).
pub const PROHIBITED_IMPLIED_ROLES: [&str; 1] = ["admin"];

/// Where a role is asked about.
#[derive(Debug, Clone, Copy)]
pub enum RoleTarget<'a> {
    Project(&'a str),
    Domain(&'a str),
    System,
}

/// One effective assignment: a role a user holds on a target, and how they came by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EffectiveAssignment {
    /// The assignment as listed: for an effective listing, the user and the concrete target.
    pub assignment: AssignmentRow,
    /// The group it came through, when it did.
    pub via_group: Option<String>,
    /// The assignment it was inherited from, when it was (the domain or parent project).
    pub inherited_from: Option<(TargetType, String)>,
    /// The role it is implied by, when it is.
    pub prior_role: Option<String>,
}

/// The implication graph, `prior -> implied`.
pub struct Implications(HashMap<String, Vec<String>>);

impl Implications {
    /// Every role `role_id` implies, transitively, not counting itself.
    pub fn implied_by(&self, role_id: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut stack = vec![role_id.to_owned()];
        let mut out = Vec::new();
        while let Some(r) = stack.pop() {
            for next in self.0.get(&r).into_iter().flatten() {
                if next != role_id && seen.insert(next.clone()) {
                    out.push(next.clone());
                    stack.push(next.clone());
                }
            }
        }
        out
    }
}

/// Where an assignment lands once inheritance is expanded: the target, and the
/// target it was inherited from, if any.
type ExpandedTarget = (TargetType, String, Option<(TargetType, String)>);

impl Identity {
    /// The implication graph as stored now.
    pub async fn implications(&self) -> Result<Implications> {
        let mut graph: HashMap<String, Vec<String>> = HashMap::new();
        for (prior, implied) in self.store.list_implied_roles().await? {
            graph.entry(prior).or_default().push(implied);
        }
        Ok(Implications(graph))
    }

    /// The ids of the projects above `project_id`, nearest first.
    pub async fn project_ancestors(&self, project_id: &str) -> Result<Vec<String>> {
        let mut ancestors = Vec::new();
        let mut next = self.store.get_project(project_id).await?.and_then(|p| p.parent_id);
        while let Some(id) = next {
            if ancestors.contains(&id) {
                break;
            }
            next = self.store.get_project(&id).await?.and_then(|p| p.parent_id);
            ancestors.push(id);
        }
        Ok(ancestors)
    }

    /// The global roles a user holds on a target: direct and through groups, inherited
    /// from the domain and parent projects, implied roles included, and domain-specific
    /// roles replaced by what they imply (as Keystone puts them in tokens).
    pub async fn effective_roles(&self, user_id: &str, target: RoleTarget<'_>) -> Result<Vec<RoleRow>> {
        let mut actors = vec![(ActorType::User, vec![user_id.to_owned()])];
        actors.push((ActorType::Group, self.store.group_ids_for_user(user_id).await?));
        let mut held: HashSet<String> = HashSet::new();
        for (actor_type, ids) in actors {
            let filter = AssignmentFilter { actor: Some((actor_type, ids)), ..Default::default() };
            let rows = self.store.list_assignments(&filter).await?;
            let matching = self.assignments_applying_to(&rows, target).await?;
            held.extend(matching.into_iter().map(|a| a.role_id.clone()));
        }
        let graph = self.implications().await?;
        let direct: Vec<String> = held.iter().cloned().collect();
        for role in direct {
            held.extend(graph.implied_by(&role));
        }
        let mut roles: Vec<RoleRow> =
            self.store.list_roles().await?.into_iter().filter(|r| held.contains(&r.id) && r.domain_id.is_none()).collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(roles)
    }

    /// Those of `rows` that grant something on `target`, directly or by inheritance.
    async fn assignments_applying_to<'r>(&self, rows: &'r [AssignmentRow], target: RoleTarget<'_>) -> Result<Vec<&'r AssignmentRow>> {
        Ok(match target {
            RoleTarget::System => rows.iter().filter(|a| a.target_type == TargetType::System).collect(),
            RoleTarget::Domain(domain_id) => {
                rows.iter().filter(|a| a.target_type == TargetType::Domain && a.target_id == domain_id && !a.inherited).collect()
            }
            RoleTarget::Project(project_id) => {
                let Some(project) = self.store.get_project(project_id).await? else { return Ok(Vec::new()) };
                let ancestors = self.project_ancestors(project_id).await?;
                rows.iter()
                    .filter(|a| match a.target_type {
                        TargetType::Project if a.target_id == project_id => !a.inherited,
                        TargetType::Project => a.inherited && ancestors.contains(&a.target_id),
                        TargetType::Domain => a.inherited && a.target_id == project.domain_id,
                        TargetType::System => false,
                    })
                    .collect()
            }
        })
    }

    /// Creates a role; names are unique among global roles and within a domain.
    pub async fn create_role(&self, role: RoleRow) -> Result<RoleRow> {
        if let Some(domain_id) = &role.domain_id {
            self.store.get_domain(domain_id).await?.ok_or_else(|| not_found("domain", domain_id))?;
        }
        match self.store.create_role(&role).await {
            Err(StoreError::Duplicate) => Err(duplicate("role", format_args!("name {}", role.name))),
            other => other.map_err(Error::from),
        }?;
        self.changed();
        Ok(role)
    }

    /// A role by id, or 404.
    pub async fn get_role(&self, id: &str) -> Result<RoleRow> {
        self.store.get_role(id).await?.ok_or_else(|| not_found("role", id))
    }

    /// Renames or re-describes a role.
    pub async fn update_role(&self, role: RoleRow) -> Result<RoleRow> {
        match self.store.update_role(&role).await {
            Err(StoreError::Duplicate) => Err(duplicate("role", format_args!("name {}", role.name))),
            other => other.map_err(Error::from),
        }?;
        self.changed();
        Ok(role)
    }

    /// Deletes a role and everything granting it; roles marked immutable are kept.
    pub async fn delete_role(&self, id: &str) -> Result<()> {
        let role = self.get_role(id).await?;
        if role.options.get("immutable").and_then(serde_json::Value::as_bool) == Some(true) {
            return Err(Error::ForbiddenAction(format!("Resource {id} is immutable and cannot be deleted.")));
        }
        self.store.delete_role(id).await?;
        self.changed();
        Ok(())
    }

    /// Records that `prior` implies `implied`. Refused, as in Keystone, where it would
    /// make a cycle, where a global role would imply a domain-specific one, or where
    /// the implied role is one no role may imply (`admin`).
    pub async fn create_implied_role(&self, prior: &str, implied: &str) -> Result<(RoleRow, RoleRow)> {
        let prior_role = self.get_role(prior).await?;
        let implied_role = self.get_role(implied).await?;
        if prior_role.domain_id.is_none() && implied_role.domain_id.is_some() {
            return Err(Error::ForbiddenAction(format!("Global role {prior} cannot imply domain-specific role {implied}.")));
        }
        if PROHIBITED_IMPLIED_ROLES.contains(&implied_role.name.as_str()) {
            return Err(Error::ForbiddenAction(format!("{} is not a permitted implied role.", implied_role.name)));
        }
        if prior == implied || self.implications().await?.implied_by(implied).iter().any(|r| r == prior) {
            return Err(Error::ForbiddenAction(format!("Implication of {prior} by {implied} would create a cycle.")));
        }
        self.store.create_implied_role(prior, implied).await?;
        self.changed();
        Ok((prior_role, implied_role))
    }

    /// Removes an implication, or 404.
    pub async fn delete_implied_role(&self, prior: &str, implied: &str) -> Result<()> {
        if !self.store.delete_implied_role(prior, implied).await? {
            return Err(not_found("implied role", &format!("{prior} implies {implied}")));
        }
        self.changed();
        Ok(())
    }

    /// Checks that an assignment's actor, target and role exist.
    async fn check_assignment_parts(&self, a: &AssignmentRow) -> Result<()> {
        let role = self.get_role(&a.role_id).await?;
        match a.actor_type {
            ActorType::User => drop(self.get_user(&a.actor_id).await?),
            ActorType::Group => drop(self.get_group(&a.actor_id).await?),
        }
        let target_domain = match a.target_type {
            TargetType::Project => Some(self.get_project(&a.target_id).await?.domain_id),
            TargetType::Domain => Some(self.get_domain(&a.target_id).await?.id),
            TargetType::System => None,
        };
        if let Some(role_domain) = &role.domain_id
            && target_domain.as_ref() != Some(role_domain)
        {
            return Err(Error::ForbiddenAction(format!(
                "Domain-specific role {} can only be assigned within domain {role_domain}.",
                role.id
            )));
        }
        Ok(())
    }

    /// Grants a role.
    pub async fn grant(&self, a: AssignmentRow) -> Result<()> {
        self.check_assignment_parts(&a).await?;
        self.store.create_assignment(&a).await?;
        self.changed();
        Ok(())
    }

    /// Whether exactly this grant exists (404 when it does not).
    pub async fn check_grant(&self, a: &AssignmentRow) -> Result<()> {
        self.check_assignment_parts(a).await?;
        if !self.store.assignment_exists(a).await? {
            return Err(not_found("role assignment", &a.role_id));
        }
        Ok(())
    }

    /// Revokes a role, and with it the tokens the holders got through it.
    pub async fn revoke_grant(&self, a: AssignmentRow) -> Result<()> {
        self.check_assignment_parts(&a).await?;
        if !self.store.delete_assignment(&a).await? {
            return Err(not_found("role assignment", &a.role_id));
        }
        let users = match a.actor_type {
            ActorType::User => vec![a.actor_id.clone()],
            ActorType::Group => self.store.list_users_in_group(&a.actor_id).await?.into_iter().map(|u| u.id).collect(),
        };
        let now = common::time::now_micros();
        for user_id in users {
            let mut event =
                crate::store::RevocationRow { user_id: Some(user_id), issued_before: now, revoked_at: now, ..Default::default() };
            match a.target_type {
                TargetType::Project if !a.inherited => event.project_id = Some(a.target_id.clone()),
                TargetType::Domain if !a.inherited => event.domain_id = Some(a.target_id.clone()),
                // Inherited and system grants reach many scopes: revoke all the user's tokens.
                _ => {}
            }
            self.revoke(event).await?;
        }
        self.changed();
        Ok(())
    }

    /// The grants of one actor on one target (the roles a `GET .../roles` lists).
    pub async fn list_grants(&self, actor: (ActorType, &str), target: (TargetType, &str), inherited: bool) -> Result<Vec<RoleRow>> {
        let filter = AssignmentFilter {
            actor: Some((actor.0, vec![actor.1.to_owned()])),
            target: Some((target.0, Some(target.1.to_owned()))),
            role_id: None,
        };
        let ids: HashSet<String> =
            self.store.list_assignments(&filter).await?.into_iter().filter(|a| a.inherited == inherited).map(|a| a.role_id).collect();
        Ok(self.store.list_roles().await?.into_iter().filter(|r| ids.contains(&r.id)).collect())
    }

    /// `GET /v3/role_assignments`: stored assignments matching `filter`, or with
    /// `effective`, what each user effectively holds: group grants expanded to members,
    /// inherited grants expanded to the projects below, implied roles added.
    pub async fn role_assignments(
        &self,
        filter: &AssignmentFilter,
        effective: bool,
        include_subtree: bool,
    ) -> Result<Vec<EffectiveAssignment>> {
        if !effective {
            let mut unfiltered = filter.clone();
            let subtree_root = match (&filter.target, include_subtree) {
                (Some((TargetType::Project, Some(root))), true) => {
                    unfiltered.target = Some((TargetType::Project, None));
                    Some(root.clone())
                }
                _ => None,
            };
            let mut rows = self.store.list_assignments(&unfiltered).await?;
            if let Some(root) = subtree_root {
                let subtree = self.project_subtree(&root).await?;
                rows.retain(|a| subtree.contains(&a.target_id));
            }
            return Ok(rows
                .into_iter()
                .map(|assignment| EffectiveAssignment { assignment, via_group: None, inherited_from: None, prior_role: None })
                .collect());
        }

        let all = AssignmentFilter {
            target: filter.target.as_ref().map(|(t, _)| (*t, None)).filter(|(t, _)| *t == TargetType::System),
            ..AssignmentFilter::default()
        };
        let stored = self.store.list_assignments(&all).await?;
        let projects = self.store.list_projects().await?;
        let mut expanded: Vec<EffectiveAssignment> = Vec::new();
        for a in stored {
            let members = match a.actor_type {
                ActorType::User => vec![(a.actor_id.clone(), None)],
                ActorType::Group => {
                    self.store.list_users_in_group(&a.actor_id).await?.into_iter().map(|u| (u.id, Some(a.actor_id.clone()))).collect()
                }
            };
            let targets: Vec<ExpandedTarget> = if !a.inherited {
                vec![(a.target_type, a.target_id.clone(), None)]
            } else {
                let from = Some((a.target_type, a.target_id.clone()));
                match a.target_type {
                    TargetType::Domain => projects
                        .iter()
                        .filter(|p| p.domain_id == a.target_id)
                        .map(|p| (TargetType::Project, p.id.clone(), from.clone()))
                        .collect(),
                    TargetType::Project => self
                        .project_subtree(&a.target_id)
                        .await?
                        .into_iter()
                        .filter(|id| *id != a.target_id)
                        .map(|id| (TargetType::Project, id, from.clone()))
                        .collect(),
                    TargetType::System => Vec::new(),
                }
            };
            for (user_id, via_group) in &members {
                for (target_type, target_id, inherited_from) in &targets {
                    expanded.push(EffectiveAssignment {
                        assignment: AssignmentRow {
                            actor_type: ActorType::User,
                            actor_id: user_id.clone(),
                            target_type: *target_type,
                            target_id: target_id.clone(),
                            role_id: a.role_id.clone(),
                            inherited: false,
                        },
                        via_group: via_group.clone(),
                        inherited_from: inherited_from.clone(),
                        prior_role: None,
                    });
                }
            }
        }
        let graph = self.implications().await?;
        let mut with_implied = Vec::with_capacity(expanded.len());
        for e in expanded {
            for implied in graph.implied_by(&e.assignment.role_id) {
                let mut i = e.clone();
                i.prior_role = Some(e.assignment.role_id.clone());
                i.assignment.role_id = implied;
                with_implied.push(i);
            }
            with_implied.push(e);
        }
        let subtree = match (&filter.target, include_subtree) {
            (Some((TargetType::Project, Some(root))), true) => Some(self.project_subtree(root).await?),
            _ => None,
        };
        // Domain-specific roles are never effective themselves, only what they imply.
        let domain_specific: HashSet<String> =
            self.store.list_roles().await?.into_iter().filter(|r| r.domain_id.is_some()).map(|r| r.id).collect();
        let mut seen = HashSet::new();
        with_implied.retain(|e| {
            if domain_specific.contains(&e.assignment.role_id) {
                return false;
            }
            let a = &e.assignment;
            let actor_ok = filter.actor.as_ref().is_none_or(|(t, ids)| {
                *t == ActorType::User && ids.contains(&a.actor_id)
                    || *t == ActorType::Group && e.via_group.as_ref().is_some_and(|g| ids.contains(g))
            });
            let target_ok = match (&filter.target, &subtree) {
                (_, Some(tree)) => a.target_type == TargetType::Project && tree.contains(&a.target_id),
                (Some((t, id)), None) => a.target_type == *t && id.as_ref().is_none_or(|id| *id == a.target_id),
                (None, None) => true,
            };
            let role_ok = filter.role_id.as_ref().is_none_or(|r| *r == a.role_id);
            actor_ok && target_ok && role_ok && seen.insert((a.clone(), e.via_group.clone(), e.prior_role.clone()))
        });
        Ok(with_implied)
    }

    /// `root` and every project below it.
    pub async fn project_subtree(&self, root: &str) -> Result<Vec<String>> {
        let projects = self.store.list_projects().await?;
        let mut tree = vec![root.to_owned()];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i].clone();
            tree.extend(projects.iter().filter(|p| p.parent_id.as_deref() == Some(&parent)).map(|p| p.id.clone()));
            i += 1;
        }
        Ok(tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implications_are_transitive_and_cycle_safe() {
        let g = Implications(HashMap::from([
            ("admin".to_owned(), vec!["member".to_owned()]),
            ("member".to_owned(), vec!["reader".to_owned()]),
            ("reader".to_owned(), vec!["admin".to_owned()]),
        ]));
        let mut got = g.implied_by("admin");
        got.sort();
        assert_eq!(got, vec!["member", "reader"]);
        assert!(g.implied_by("nobody").is_empty());
    }
}

/// Names of everything an assignment can refer to, for `include_names`.
#[derive(Debug, Default)]
pub struct Names {
    /// user id → (name, domain id)
    pub users: HashMap<String, (String, String)>,
    /// group id → (name, domain id)
    pub groups: HashMap<String, (String, String)>,
    /// project id → (name, domain id)
    pub projects: HashMap<String, (String, String)>,
    /// domain id → name
    pub domains: HashMap<String, String>,
    /// role id → (name, domain id of a domain-specific role)
    pub roles: HashMap<String, (String, Option<String>)>,
}

impl Identity {
    /// Every name an assignment listing may need.
    pub async fn names(&self) -> Result<Names> {
        let s = &self.store;
        Ok(Names {
            users: s.list_users().await?.into_iter().map(|u| (u.id, (u.name, u.domain_id))).collect(),
            groups: s.list_groups().await?.into_iter().map(|g| (g.id, (g.name, g.domain_id))).collect(),
            projects: s.list_projects().await?.into_iter().map(|p| (p.id, (p.name, p.domain_id))).collect(),
            domains: s.list_domains().await?.into_iter().map(|d| (d.id, d.name)).collect(),
            roles: s.list_roles().await?.into_iter().map(|r| (r.id, (r.name, r.domain_id))).collect(),
        })
    }
}

impl Identity {
    /// The enabled projects where a user holds any role, by name.
    pub async fn projects_for_user(&self, user_id: &str) -> Result<Vec<crate::store::ProjectRow>> {
        let mut out = Vec::new();
        for p in self.store.list_projects().await?.into_iter().filter(|p| p.enabled) {
            if !self.effective_roles(user_id, RoleTarget::Project(&p.id)).await?.is_empty() {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// The enabled domains where a user holds any role, by name.
    pub async fn domains_for_user(&self, user_id: &str) -> Result<Vec<crate::store::DomainRow>> {
        let mut out = Vec::new();
        for d in self.store.list_domains().await?.into_iter().filter(|d| d.enabled) {
            if !self.effective_roles(user_id, RoleTarget::Domain(&d.id)).await?.is_empty() {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Whether a user holds any role on the system.
    pub async fn has_system_role(&self, user_id: &str) -> Result<bool> {
        Ok(!self.effective_roles(user_id, RoleTarget::System).await?.is_empty())
    }
}
