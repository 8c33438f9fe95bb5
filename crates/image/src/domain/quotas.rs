//! Per-project quotas from identity's unified limits, enforced as Glance does with
//! `use_keystone_limits`: image count, images being uploaded, stored bytes and staged
//! bytes (the byte limits in MiB). An over-limit request gets 413 and changes nothing;
//! a data stream is cut at the bytes the quota has left. The project counted is the
//! image's owner. A resource without a registered limit is not limited.

use common::RequestContext;
use http_api::Limits;

use super::{Error, Images, Result};
use crate::store::Usage;

/// The limits bootstrap registers with the image service, as (resource, default).
pub const REGISTERED_DEFAULTS: [(&str, i64); 4] =
    [("image_size_total", 102_400), ("image_stage_total", 102_400), ("image_count_total", 1000), ("image_count_uploading", 100)];

/// The resources, as limits are looked up.
const RESOURCES: [&str; 4] = [REGISTERED_DEFAULTS[0].0, REGISTERED_DEFAULTS[1].0, REGISTERED_DEFAULTS[2].0, REGISTERED_DEFAULTS[3].0];
const MIB: i64 = 1 << 20;

/// Where limits come from, and for which region.
#[derive(Clone)]
pub struct QuotaSource {
    pub limits: Limits,
    pub region: String,
}

/// What a request is about to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// One more image.
    NewImage,
    /// Data uploaded straight into the store.
    Upload,
    /// Data fetched for an image already counted as uploading (web-download).
    Fetch,
    /// Data staged for a later import.
    Stage,
    /// Staged data of this many bytes moving into the store.
    Import(i64),
}

fn over(project: &str, resource: &str, limit: i64, usage: i64, delta: i64) -> Error {
    Error::TooLarge(format!(
        "Project {project} is over a limit for [Resource {resource} is over limit of {limit} due to current usage {usage} and delta {delta}]"
    ))
}

impl Images {
    /// Enforces `owner`'s quotas for `claim`; returns the most bytes the claim may
    /// still write (`None` when no byte limit applies).
    pub(crate) async fn enforce_quota(&self, owner: Option<&str>, claim: Claim) -> Result<Option<u64>> {
        let (Some(quotas), Some(owner)) = (&self.quotas, owner) else { return Ok(None) };
        let limits =
            quotas.limits.project_limits("image", &quotas.region, owner, &RESOURCES).await.map_err(|e| Error::Internal(e.to_string()))?;
        let usage: Usage = self.store.usage(owner).await?;
        let check = |resource: &str, used: i64, delta: i64| match limits.get(resource) {
            Some(&limit) if used + delta > limit => Err(over(owner, resource, limit, used, delta)),
            _ => Ok(()),
        };
        // Usage in whole MiB, rounded down, as Glance counts it.
        let mib = |bytes: i64| bytes / MIB;
        let room = |resource: &str, used_bytes: i64| limits.get(resource).map(|limit| u64::try_from(limit * MIB - used_bytes).unwrap_or(0));
        match claim {
            Claim::NewImage => {
                check("image_count_total", usage.images, 1)?;
                Ok(None)
            }
            Claim::Upload => {
                check("image_count_uploading", usage.uploading, 1)?;
                check("image_size_total", mib(usage.stored_bytes), 0)?;
                Ok(room("image_size_total", usage.stored_bytes))
            }
            Claim::Fetch => {
                check("image_size_total", mib(usage.stored_bytes), 0)?;
                Ok(room("image_size_total", usage.stored_bytes))
            }
            Claim::Stage => {
                check("image_count_uploading", usage.uploading, 1)?;
                check("image_stage_total", mib(usage.staged_bytes), 0)?;
                Ok(room("image_stage_total", usage.staged_bytes))
            }
            Claim::Import(bytes) => {
                check("image_size_total", mib(usage.stored_bytes), mib(bytes))?;
                Ok(None)
            }
        }
    }
}

impl Images {
    /// `ctx`'s project's limit and usage of each image resource (`GET /v2/info/usage`);
    /// -1 where no limit applies. Bytes are counted in MiB, as the limits are.
    pub async fn quota_usage(&self, ctx: &RequestContext) -> Result<Vec<(&'static str, i64, i64)>> {
        let project = ctx.project_id().ok_or_else(|| Error::BadRequest("Usage is reported for a project-scoped token.".into()))?;
        let limits = match &self.quotas {
            Some(q) => {
                q.limits.project_limits("image", &q.region, project, &RESOURCES).await.map_err(|e| Error::Internal(e.to_string()))?
            }
            None => Default::default(),
        };
        let usage = self.store.usage(project).await?;
        let used = [
            ("image_size_total", usage.stored_bytes / MIB),
            ("image_stage_total", usage.staged_bytes / MIB),
            ("image_count_total", usage.images),
            ("image_count_uploading", usage.uploading),
        ];
        Ok(used.into_iter().map(|(resource, used)| (resource, limits.get(resource).copied().unwrap_or(-1), used)).collect())
    }
}
