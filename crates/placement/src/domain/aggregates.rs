//! The aggregates a provider is a member of.

use common::RequestContext;

use super::{Placement, Result, Version, no_provider};

/// A provider's aggregates with its generation.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderAggregates {
    /// The aggregate uuids.
    pub aggregates: Vec<String>,
    /// The provider's generation.
    pub generation: i64,
}

impl Placement {
    /// A provider's aggregates.
    pub async fn provider_aggregates(&self, ctx: &RequestContext, uuid: &str) -> Result<ProviderAggregates> {
        self.authorize_plain(ctx, "placement:resource_providers:aggregates:list")?;
        let p = self.store().provider(uuid).await?.ok_or_else(|| no_provider(uuid))?;
        Ok(ProviderAggregates { aggregates: self.store().provider_aggregates(uuid).await?, generation: p.generation })
    }

    /// Replaces a provider's aggregates. From 1.19 the caller's generation is checked
    /// and the generation moves; before, neither.
    pub async fn set_provider_aggregates(
        &self,
        ctx: &RequestContext,
        version: Version,
        uuid: &str,
        generation: Option<i64>,
        aggregates: &[String],
    ) -> Result<ProviderAggregates> {
        self.authorize_plain(ctx, "placement:resource_providers:aggregates:update")?;
        let generation = self.store().replace_provider_aggregates(uuid, generation, version.at_least(19), aggregates).await?;
        Ok(ProviderAggregates { aggregates: aggregates.to_vec(), generation })
    }
}
