//! Server diagnostics: what a server's guest is and holds, asked of its host.

use common::RequestContext;

use super::hypervisors::agent_refused;
use super::server_actions::invalid_state;
use super::{Compute, Error, Result};
use crate::rpc::{AgentClient, GuestDiagnostics};

impl Compute {
    /// The guest's diagnostics (admins), from the server's host.
    pub async fn server_diagnostics(&self, ctx: &RequestContext, uuid: &str) -> Result<GuestDiagnostics> {
        let (cell_uuid, instance) = match self.locate(ctx, uuid).await? {
            super::servers::Located::Building(i) => return Err(invalid_state("get_diagnostics", &i, "vm_state", i.vm_state.as_str())),
            super::servers::Located::InCell { cell_uuid, instance, .. } => (cell_uuid, instance),
        };
        self.authorize_instance(ctx, "os_compute_api:os-server-diagnostics", &instance)?;
        let host =
            instance.host.clone().ok_or_else(|| invalid_state("get_diagnostics", &instance, "vm_state", instance.vm_state.as_str()))?;
        let cell = self.cells().get(&cell_uuid).ok_or_else(|| Error::Internal(format!("cell {cell_uuid} is not mapped")))?;
        AgentClient::new(self.buses.of(cell)?).diagnostics(&host, uuid, &ctx.request_id).await.map_err(|e| agent_refused(&host, e))
    }
}
