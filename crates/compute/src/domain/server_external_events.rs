//! Server external events: what the network and volume services (and bare-metal
//! power managers) report about servers, handed to each server's host.

use std::collections::BTreeMap;

use common::RequestContext;
use serde_json::json;

use super::{Compute, Result};
use crate::domain::cells::CELL0_UUID;
use crate::rpc::{AgentClient, ExternalEvent, ExternalEvents};

/// An event as reported, for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedEvent {
    pub server_uuid: String,
    pub event: ExternalEvent,
}

/// What became of one reported event: Nova's per-event code (200 handed to the host,
/// 400 without the tag it needs, 404 no such server, 422 the server has no host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOutcome {
    pub reported: ReportedEvent,
    pub code: u16,
}

/// Events that say nothing without a tag.
const TAGGED: [&str; 4] = ["volume-extended", "power-update", "accelerator-request-bound", "volume-reimaged"];

impl Compute {
    /// Hands each event to its server's host; answers each event's outcome.
    pub async fn server_external_events(&self, ctx: &RequestContext, reported: Vec<ReportedEvent>) -> Result<Vec<EventOutcome>> {
        self.authorize(ctx, "os_compute_api:os-server-external-events:create", &json!({}))?;
        let mut outcomes = Vec::with_capacity(reported.len());
        let mut accepted: BTreeMap<String, (String, ExternalEvents)> = BTreeMap::new();
        for r in reported {
            let code = match self.host_of(&r.server_uuid).await? {
                None => 404,
                Some(_) if r.event.tag.is_none() && TAGGED.contains(&r.event.name.as_str()) => 400,
                Some(None) => 422,
                Some(Some((cell_uuid, instance))) => {
                    accepted
                        .entry(r.server_uuid.clone())
                        .or_insert_with(|| (cell_uuid, ExternalEvents { instance, events: Vec::new() }))
                        .1
                        .events
                        .push(r.event.clone());
                    200
                }
            };
            outcomes.push(EventOutcome { reported: r, code });
        }
        for (cell_uuid, events) in accepted.into_values() {
            let Some(host) = events.instance.host.clone() else { continue };
            let Some(cell) = self.cells().get(&cell_uuid) else { continue };
            if let Err(e) = AgentClient::new(self.buses.of(cell)?).external_instance_event(&host, &events, &ctx.request_id).await {
                tracing::warn!(instance = %events.instance.uuid, %host, error = %e, "external events could not be handed to the host");
            }
        }
        Ok(outcomes)
    }

    /// The cell and record of a server on a host: `None` when there is no such server,
    /// `Some(None)` when it has no host (still scheduling, or in cell0).
    async fn host_of(&self, uuid: &str) -> Result<Option<Option<(String, crate::store::cell::InstanceRow)>>> {
        let Some(mapping) = self.store().instance_mapping(uuid).await? else { return Ok(None) };
        let Some(cell_uuid) = mapping.cell_uuid else { return Ok(Some(None)) };
        let Some(cell) = self.cells().get(&cell_uuid) else { return Ok(None) };
        let Some(instance) = cell.store()?.instance(uuid, false).await? else { return Ok(None) };
        Ok(Some((instance.host.is_some() && cell_uuid != CELL0_UUID).then_some((cell_uuid, instance))))
    }
}
