//! Instance actions: what was done to a server, by whom, and each step's outcome.

use common::RequestContext;

use super::servers::not_found;
use super::{Compute, Error, Result};
use crate::store::cell::{ActionRow, EventRow, InstanceRow};

/// An action with its events, and whether the caller may see them (events are for
/// admins by default; their details too).
#[derive(Debug, Clone)]
pub struct ActionView {
    pub action: ActionRow,
    pub events: Option<Vec<EventRow>>,
    pub show_details: bool,
    pub show_host: bool,
}

impl Compute {
    /// The instance (deleted ones too: their actions stay readable) in its cell.
    async fn instance_for_actions(&self, ctx: &RequestContext, uuid: &str) -> Result<(&crate::store::cell::CellStore, InstanceRow)> {
        let mapping = self.store().instance_mapping(uuid).await?.ok_or_else(|| not_found(uuid))?;
        let cell_uuid = mapping.cell_uuid.ok_or_else(|| not_found(uuid))?;
        let store = self.cells().get(&cell_uuid).ok_or_else(|| not_found(uuid))?.store()?;
        let instance = store.instance(uuid, true).await?.ok_or_else(|| not_found(uuid))?;
        if ctx.project_id() != Some(instance.project_id.as_str()) && !self.allowed(ctx, "context_is_admin") {
            return Err(not_found(uuid));
        }
        Ok((store, instance))
    }

    /// The server's actions, newest first: those changed within the window when given,
    /// after the action of `marker` (a request id) when given, at most `limit`.
    pub async fn list_instance_actions(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        window: (Option<i64>, Option<i64>),
        marker: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<ActionRow>> {
        let (store, instance) = self.instance_for_actions(ctx, uuid).await?;
        self.authorize_instance(ctx, "os_compute_api:os-instance-actions:list", &instance)?;
        let mut actions = store.list_actions(uuid, window.0, window.1).await?;
        if let Some(marker) = marker {
            let at = actions
                .iter()
                .position(|a| a.request_id == marker)
                .ok_or_else(|| Error::BadRequest(format!("Marker {marker} could not be found.")))?;
            actions.drain(..=at);
        }
        actions.truncate(limit.unwrap_or(super::servers::MAX_LIMIT).min(super::servers::MAX_LIMIT));
        Ok(actions)
    }

    /// One action of the server, by the request id that took it.
    pub async fn show_instance_action(&self, ctx: &RequestContext, uuid: &str, request_id: &str) -> Result<ActionView> {
        let (store, instance) = self.instance_for_actions(ctx, uuid).await?;
        self.authorize_instance(ctx, "os_compute_api:os-instance-actions:show", &instance)?;
        let (action, events) =
            store.action(uuid, request_id).await?.ok_or_else(|| Error::NotFound(format!("Action {request_id} could not be found.")))?;
        let target = serde_json::json!({"project_id": instance.project_id, "user_id": instance.user_id});
        let show_events = self.authorize(ctx, "os_compute_api:os-instance-actions:events", &target).is_ok();
        let show_details = self.authorize(ctx, "os_compute_api:os-instance-actions:events:details", &target).is_ok();
        let show_host = self.allowed(ctx, "context_is_admin");
        Ok(ActionView { action, events: show_events.then_some(events), show_details, show_host })
    }
}
