//! Quotas as Nova's default driver keeps them: limits per project, per user within a
//! project, and per class (`default` overrides the built-in defaults), with -1 for
//! unlimited; usage counted from what exists; enforced where things are created.

use std::collections::BTreeMap;

use common::RequestContext;
use serde_json::json;

use super::{Compute, Error, Result, Version};
use crate::store::QuotaScope;

/// Every resource with its built-in default (Nova's `[quota]` options); the network
/// ones are nova-network's, unlimited and unenforced.
pub const RESOURCES: [(&str, i64); 14] = [
    ("instances", 10),
    ("cores", 20),
    ("ram", 51200),
    ("metadata_items", 128),
    ("injected_files", 5),
    ("injected_file_content_bytes", 10240),
    ("injected_file_path_bytes", 255),
    ("key_pairs", 100),
    ("server_groups", 10),
    ("server_group_members", 10),
    ("fixed_ips", -1),
    ("floating_ips", -1),
    ("security_groups", -1),
    ("security_group_rules", -1),
];

const NETWORK: [&str; 4] = ["fixed_ips", "floating_ips", "security_groups", "security_group_rules"];
const INJECTED: [&str; 3] = ["injected_files", "injected_file_content_bytes", "injected_file_path_bytes"];
const SERVER_GROUPS: [&str; 2] = ["server_groups", "server_group_members"];

/// The resources quota sets show at `version`: the network ones go at 2.36, the
/// injected files ones at 2.57.
pub fn quota_set_keys(version: Version) -> Vec<&'static str> {
    let retired = |r: &&str| (version.at_least(36) && NETWORK.contains(r)) || (version.at_least(57) && INJECTED.contains(r));
    RESOURCES.iter().map(|(r, _)| *r).filter(|r| !retired(r)).collect()
}

/// The resources quota class sets show at `version`: server groups only from 2.50,
/// which also drops the network ones; injected files go at 2.57.
pub fn quota_class_keys(version: Version) -> Vec<&'static str> {
    RESOURCES
        .iter()
        .map(|(r, _)| *r)
        .filter(|r| if version.at_least(50) { !NETWORK.contains(r) } else { !SERVER_GROUPS.contains(r) })
        .filter(|r| !(version.at_least(57) && INJECTED.contains(r)))
        .collect()
}

/// The resources a quota class update accepts (server groups are accepted before 2.50
/// though not shown).
pub fn quota_class_update_keys(version: Version) -> Vec<&'static str> {
    if version.at_least(50) { quota_class_keys(version) } else { quota_set_keys(version) }
}

/// Limits and what is in use, by resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotaView {
    pub limits: BTreeMap<String, i64>,
    pub in_use: BTreeMap<String, i64>,
}

/// `-1` is unlimited.
fn within(limit: i64, amount: i64) -> bool {
    limit < 0 || amount <= limit
}

impl Compute {
    /// The built-in defaults under class `default`'s rows.
    async fn default_limits(&self) -> Result<BTreeMap<String, i64>> {
        let mut limits: BTreeMap<String, i64> = RESOURCES.iter().map(|(r, d)| ((*r).to_owned(), *d)).collect();
        limits.extend(self.store().quota_limits(QuotaScope::Class("default")).await?);
        Ok(limits)
    }

    /// A project's limits: its own rows over the defaults.
    async fn project_limits(&self, project: &str) -> Result<BTreeMap<String, i64>> {
        let mut limits = self.default_limits().await?;
        limits.extend(self.store().quota_limits(QuotaScope::Project(project)).await?);
        Ok(limits)
    }

    /// A user's limits in a project: the user's rows over the project's.
    async fn user_limits(&self, project: &str, user: &str) -> Result<BTreeMap<String, i64>> {
        let mut limits = self.project_limits(project).await?;
        limits.extend(self.store().quota_limits(QuotaScope::User { project, user }).await?);
        Ok(limits)
    }

    /// What a project (or one of its users) uses. Nova reports key pairs and group
    /// members as 0 here (they are per user or per group); instances, cores and ram
    /// are what the project's (or user's) live servers take.
    async fn quota_usage(&self, project: &str, user: Option<&str>) -> Result<BTreeMap<String, i64>> {
        let mut usage: BTreeMap<String, i64> = RESOURCES.iter().map(|(r, _)| ((*r).to_owned(), 0)).collect();
        usage.insert("server_groups".into(), self.store().count_server_groups(project, user).await?);
        let (instances, cores, ram) = self.instance_usage(project, user).await?;
        usage.insert("instances".into(), instances);
        usage.insert("cores".into(), cores);
        usage.insert("ram".into(), ram);
        Ok(usage)
    }

    /// How many servers of `flavor` (between `min` and `max`) the project's and the
    /// user's instances, cores and ram quotas leave room for; 403 naming the first
    /// quota that leaves room for fewer than `min`.
    pub(crate) async fn instance_quota(
        &self,
        project: &str,
        user: &str,
        flavor: &crate::store::FlavorRow,
        min: i64,
        max: i64,
    ) -> Result<i64> {
        let mut allowed = max;
        let mut refusal = None;
        for (limits, used) in [
            (self.project_limits(project).await?, self.instance_usage(project, None).await?),
            (self.user_limits(project, user).await?, self.instance_usage(project, Some(user)).await?),
        ] {
            for (resource, per_server, in_use) in
                [("instances", 1, used.0), ("cores", flavor.vcpus, used.1), ("ram", flavor.memory_mb, used.2)]
            {
                let limit = limits.get(resource).copied().unwrap_or(-1);
                if limit < 0 || per_server == 0 {
                    continue;
                }
                let room = ((limit - in_use) / per_server).max(0);
                if room < min && refusal.is_none() {
                    refusal = Some(format!(
                        "Quota exceeded for {resource}: Requested {}, but already used {in_use} of {limit} {resource}",
                        min * per_server
                    ));
                }
                allowed = allowed.min(room);
            }
        }
        match refusal {
            Some(message) => Err(Error::Forbidden(message)),
            None => Ok(allowed),
        }
    }

    /// Refuses `adding` more servers to a group that would then have more members
    /// than the project's `server_group_members` quota.
    pub(crate) async fn check_group_members_quota(&self, project: &str, group: &str, adding: i64) -> Result<()> {
        let limit = self.project_limits(project).await?.get("server_group_members").copied().unwrap_or(-1);
        let members = i64::try_from(self.store().server_group_members(group).await?.len()).unwrap_or(i64::MAX);
        if limit >= 0 && members + adding > limit {
            return Err(Error::Forbidden("Quota exceeded, too many servers in group".into()));
        }
        Ok(())
    }

    /// Refuses more metadata items than the project's quota.
    pub(crate) async fn check_metadata_quota(&self, project: &str, items: usize) -> Result<()> {
        let limit = self.project_limits(project).await?.get("metadata_items").copied().unwrap_or(-1);
        if !within(limit, i64::try_from(items).unwrap_or(i64::MAX)) {
            return Err(Error::Forbidden("Quota exceeded for metadata_items: too many metadata items.".into()));
        }
        Ok(())
    }

    /// Refuses one more server group beyond the project's or the user's quota.
    pub(crate) async fn check_server_group_quota(&self, project: &str, user: &str) -> Result<()> {
        self.server_group_quota(project, user, 1).await
    }

    /// After a create: refuses when the groups now exceed the quota (a race let two
    /// creates pass the check).
    pub(crate) async fn recheck_server_group_quota(&self, project: &str, user: &str) -> Result<()> {
        self.server_group_quota(project, user, 0).await
    }

    async fn server_group_quota(&self, project: &str, user: &str, delta: i64) -> Result<()> {
        let project_limit = self.project_limits(project).await?.get("server_groups").copied().unwrap_or(-1);
        let user_limit = self.user_limits(project, user).await?.get("server_groups").copied().unwrap_or(-1);
        let in_project = self.store().count_server_groups(project, None).await? + delta;
        let by_user = self.store().count_server_groups(project, Some(user)).await? + delta;
        if !within(project_limit, in_project) || !within(user_limit, by_user) {
            return Err(Error::Forbidden("Quota exceeded, too many server groups.".into()));
        }
        Ok(())
    }

    fn authorize_project(&self, ctx: &RequestContext, rule: &str, project: &str) -> Result<()> {
        self.authorize(ctx, rule, &json!({"project_id": project, "user_id": ctx.user_id}))
    }

    /// A project's (or one of its users') limits, with usage for the detailed view.
    pub async fn show_quotas(&self, ctx: &RequestContext, project: &str, user: Option<&str>, detail: bool) -> Result<QuotaView> {
        let rule = if detail { "os_compute_api:os-quota-sets:detail" } else { "os_compute_api:os-quota-sets:show" };
        self.authorize_project(ctx, rule, project)?;
        let limits = match user {
            Some(u) => self.user_limits(project, u).await?,
            None => self.project_limits(project).await?,
        };
        Ok(QuotaView { limits, in_use: self.quota_usage(project, user).await? })
    }

    /// The defaults every project starts from.
    pub async fn quota_defaults(&self, ctx: &RequestContext, project: &str) -> Result<BTreeMap<String, i64>> {
        self.authorize_project(ctx, "os_compute_api:os-quota-sets:defaults", project)?;
        self.default_limits().await
    }

    /// Sets limits of a project or of one of its users (admin). Unless `force`, a
    /// project's limit may not go below its usage or its users' limits together, and a
    /// user's not above what the project has left.
    pub async fn update_quotas(
        &self,
        ctx: &RequestContext,
        project: &str,
        user: Option<&str>,
        values: &BTreeMap<String, i64>,
        force: bool,
    ) -> Result<BTreeMap<String, i64>> {
        self.authorize_project(ctx, "os_compute_api:os-quota-sets:update", project)?;
        if !force {
            let usage = self.quota_usage(project, user).await?;
            let project_limits = self.project_limits(project).await?;
            let sums = self.store().user_quota_sums(project).await?;
            let own = match user {
                Some(u) => self.store().quota_limits(QuotaScope::User { project, user: u }).await?,
                None => BTreeMap::new(),
            };
            for (resource, &limit) in values {
                let used = usage.get(resource).copied().unwrap_or(0);
                let project_limit = project_limits.get(resource).copied().unwrap_or(-1);
                let users_total = sums.get(resource).copied().unwrap_or(0);
                let (minimum, maximum) = match user {
                    None => {
                        let remains = project_limit - users_total;
                        let users = if project_limit < 0 || remains < 0 { 0 } else { users_total };
                        (used.max(users), -1)
                    }
                    Some(_) => {
                        let remains = project_limit - users_total;
                        let mine = own.get(resource).copied().unwrap_or(0);
                        let maximum = if project_limit < 0 || remains < 0 || mine < 0 { -1 } else { remains + mine };
                        (used, maximum)
                    }
                };
                if limit >= 0 && limit < minimum {
                    return Err(Error::BadRequest(format!(
                        "Quota limit {limit} for {resource} must be greater than or equal to already used and reserved {minimum}."
                    )));
                }
                let over = if limit < 0 { maximum >= 0 } else { maximum >= 0 && limit > maximum };
                if over {
                    return Err(Error::BadRequest(format!("Quota limit {limit} for {resource} must be less than or equal to {maximum}.")));
                }
            }
        }
        let scope = match user {
            Some(u) => QuotaScope::User { project, user: u },
            None => QuotaScope::Project(project),
        };
        self.store().set_quota_limits(scope, values).await?;
        match user {
            Some(u) => self.user_limits(project, u).await,
            None => self.project_limits(project).await,
        }
    }

    /// Returns a project (with its users) or one user to the defaults (admin).
    pub async fn delete_quotas(&self, ctx: &RequestContext, project: &str, user: Option<&str>) -> Result<()> {
        self.authorize_project(ctx, "os_compute_api:os-quota-sets:delete", project)?;
        Ok(self.store().delete_quota_limits(project, user).await?)
    }

    /// A quota class's limits: its rows over the built-in defaults (admin).
    pub async fn show_quota_class(&self, ctx: &RequestContext, class: &str) -> Result<BTreeMap<String, i64>> {
        self.authorize(ctx, "os_compute_api:os-quota-class-sets:show", &json!({}))?;
        let mut limits: BTreeMap<String, i64> = RESOURCES.iter().map(|(r, d)| ((*r).to_owned(), *d)).collect();
        limits.extend(self.store().quota_limits(QuotaScope::Class(class)).await?);
        Ok(limits)
    }

    /// Sets limits of a quota class (admin); class `default` changes every project that
    /// set none of its own.
    pub async fn update_quota_class(
        &self,
        ctx: &RequestContext,
        class: &str,
        values: &BTreeMap<String, i64>,
    ) -> Result<BTreeMap<String, i64>> {
        self.authorize(ctx, "os_compute_api:os-quota-class-sets:update", &json!({}))?;
        if class.chars().count() > 255 {
            return Err(Error::BadRequest(format!("quota_class_name has {} characters, more than 255.", class.chars().count())));
        }
        self.store().set_quota_limits(QuotaScope::Class(class), values).await?;
        self.show_quota_class(ctx, class).await
    }

    /// The caller's project's limits and usage (`/limits`); another project's for admins.
    pub async fn absolute_limits(&self, ctx: &RequestContext, tenant_id: Option<&str>) -> Result<QuotaView> {
        self.authorize_own(ctx, "os_compute_api:limits")?;
        let project = match tenant_id {
            Some(t) => {
                self.authorize_own(ctx, "os_compute_api:limits:other_project")?;
                t.to_owned()
            }
            None => ctx.project_id().unwrap_or_default().to_owned(),
        };
        Ok(QuotaView { limits: self.project_limits(&project).await?, in_use: self.quota_usage(&project, None).await? })
    }

    /// Refuses one more key pair for the caller's user beyond its quota.
    pub(crate) async fn check_keypair_quota(&self, ctx: &RequestContext, user: &str) -> Result<()> {
        let limits = match ctx.project_id() {
            Some(project) => self.user_limits(project, user).await?,
            None => self.default_limits().await?,
        };
        let used = i64::try_from(self.store().count_keypairs(user).await?).unwrap_or(i64::MAX);
        if !within(limits.get("key_pairs").copied().unwrap_or(-1), used + 1) {
            return Err(Error::Forbidden("Quota exceeded, too many key pairs.".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_microversion() {
        assert_eq!(quota_set_keys(Version(1)).len(), 14);
        assert_eq!(quota_set_keys(Version(36)).len(), 10);
        assert_eq!(
            quota_set_keys(Version(57)),
            ["instances", "cores", "ram", "metadata_items", "key_pairs", "server_groups", "server_group_members"]
        );
        assert_eq!(quota_class_keys(Version(1)).len(), 12);
        assert!(!quota_class_keys(Version(49)).contains(&"server_groups"));
        assert_eq!(quota_class_keys(Version(50)).len(), 10);
        assert_eq!(quota_class_keys(Version(57)).len(), 7);
        assert!(quota_class_update_keys(Version(1)).contains(&"server_groups"));
        assert!(within(-1, 1_000_000) && within(2, 2) && !within(2, 3));
    }
}
