//! Server groups (`os-server-groups`): a project's groups of servers scheduled together
//! or apart, counted against the `server_groups` quota.

use common::RequestContext;
use serde_json::json;

use super::{Compute, Error, Result, notifications};
use crate::store::ServerGroupRow;

/// What a new group asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServerGroup {
    pub name: String,
    pub policy: String,
    pub max_server_per_host: Option<i64>,
}

/// A group and the servers in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerGroupView {
    pub group: ServerGroupRow,
    pub members: Vec<String>,
}

fn not_found(id: &str) -> Error {
    Error::NotFound(format!("Instance group {id} could not be found."))
}

impl Compute {
    /// The caller's project's groups; every project's for an admin asking `all_projects`.
    pub async fn list_server_groups(&self, ctx: &RequestContext, all_projects: bool) -> Result<Vec<ServerGroupView>> {
        let project = ctx.project_id().unwrap_or_default();
        self.authorize(ctx, "os_compute_api:os-server-groups:index", &json!({"project_id": project}))?;
        // As Nova: a non-admin asking for every project gets their own, not an error.
        let groups = if all_projects && self.is_admin(ctx) {
            self.authorize(ctx, "os_compute_api:os-server-groups:index:all_projects", &json!({"project_id": project}))?;
            self.store().list_server_groups(None).await?
        } else {
            self.store().list_server_groups(Some(project)).await?
        };
        let mut views = Vec::with_capacity(groups.len());
        for group in groups {
            views.push(self.group_view(group).await?);
        }
        Ok(views)
    }

    /// One group, if the caller may see its project's.
    pub async fn get_server_group(&self, ctx: &RequestContext, id: &str) -> Result<ServerGroupView> {
        let group = self.store().get_server_group(id).await?.ok_or_else(|| not_found(id))?;
        self.authorize(ctx, "os_compute_api:os-server-groups:show", &json!({"project_id": group.project_id}))?;
        self.group_view(group).await
    }

    async fn group_view(&self, group: ServerGroupRow) -> Result<ServerGroupView> {
        let members = self.store().server_group_members(&group.uuid).await?;
        Ok(ServerGroupView { group, members })
    }

    /// Creates a group in the caller's project, within the `server_groups` quota.
    pub async fn create_server_group(&self, ctx: &RequestContext, new: NewServerGroup) -> Result<ServerGroupView> {
        let project = ctx.project_id().unwrap_or_default().to_owned();
        self.authorize(ctx, "os_compute_api:os-server-groups:create", &json!({"project_id": project}))?;
        if new.max_server_per_host.is_some() && new.policy != "anti-affinity" {
            return Err(Error::BadRequest("Only anti-affinity policy supports rules.".into()));
        }
        self.check_server_group_quota(&project, &ctx.user_id).await?;
        let group = ServerGroupRow {
            uuid: uuid::Uuid::new_v4().to_string(),
            name: new.name,
            project_id: project.clone(),
            user_id: ctx.user_id.clone(),
            policy: new.policy,
            max_server_per_host: new.max_server_per_host,
            created_at: common::time::now_micros(),
        };
        self.store().create_server_group(&group).await?;
        // Concurrent creates may both have passed the check: recheck, as Nova does.
        if let Err(e) = self.recheck_server_group_quota(&project, &ctx.user_id).await {
            self.store().delete_server_group(&group.uuid).await?;
            return Err(e);
        }
        self.notify(ctx, "server_group.create", notifications::server_group(&group)).await;
        Ok(ServerGroupView { group, members: Vec::new() })
    }

    /// Deletes a group, if the caller may in its project.
    pub async fn delete_server_group(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let group = self.store().get_server_group(id).await?.ok_or_else(|| not_found(id))?;
        self.authorize(ctx, "os_compute_api:os-server-groups:delete", &json!({"project_id": group.project_id}))?;
        if !self.store().delete_server_group(id).await? {
            return Err(not_found(id));
        }
        self.notify(ctx, "server_group.delete", notifications::server_group(&group)).await;
        Ok(())
    }
}
