//! Reading projects' limits from identity (Keystone's unified limits), as oslo.limit
//! does for OpenStack services that enforce quotas.

use std::collections::HashMap;
use std::sync::Arc;

/// Identity could not say what the limits are.
#[derive(Debug, thiserror::Error)]
#[error("unified limits unavailable: {0}")]
pub struct LimitsUnavailable(pub String);

/// Where a service reads the limits its projects have: identity itself when it runs
/// in the same process.
#[async_trait::async_trait]
pub trait LimitSource: Send + Sync {
    /// The limit on each of `resources` of service `service_type` for `project_id`,
    /// in region `region`: the project's own limit, else the registered default. A
    /// resource with neither is absent from the answer, and is not limited.
    async fn project_limits(
        &self,
        service_type: &str,
        region: &str,
        project_id: &str,
        resources: &[&str],
    ) -> Result<HashMap<String, i64>, LimitsUnavailable>;
}

/// The limit source a service holds.
pub type Limits = Arc<dyn LimitSource>;
