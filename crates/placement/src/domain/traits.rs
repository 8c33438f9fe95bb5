//! Traits: the standard ones (os-traits) and `CUSTOM_*` ones, and each provider's.

use common::RequestContext;

use super::{Code, Error, Placement, Result, no_provider};
use crate::store::{TraitFilter, WriteRefused};

/// The standard traits, sorted (tools/placement-standard-names.sh).
const STANDARD: &str = include_str!("standard_traits.txt");

/// The standard trait names.
pub fn standard() -> Vec<&'static str> {
    STANDARD.lines().filter(|l| !l.is_empty()).collect()
}

/// Whether `name` is a well-formed custom trait name.
pub fn is_custom_name(name: &str) -> bool {
    super::resource_classes::is_custom_name(name)
}

/// A provider's traits with its generation.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderTraits {
    /// The trait names, sorted.
    pub traits: Vec<String>,
    /// The provider's generation.
    pub generation: i64,
}

impl Placement {
    /// Trait names passing `filter`.
    pub async fn list_traits(&self, ctx: &RequestContext, filter: &TraitFilter) -> Result<Vec<String>> {
        self.authorize_plain(ctx, "placement:traits:list")?;
        Ok(self.store().list_traits(filter).await?)
    }

    /// Whether a trait exists (404 otherwise).
    pub async fn get_trait(&self, ctx: &RequestContext, name: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:traits:show")?;
        if self.store().trait_exists(name).await? { Ok(()) } else { Err(Error::NotFound(format!("No such trait(s): {name}."))) }
    }

    /// Creates a custom trait if missing; true when created.
    pub async fn ensure_trait(&self, ctx: &RequestContext, name: &str) -> Result<bool> {
        self.authorize_plain(ctx, "placement:traits:update")?;
        if !is_custom_name(name) {
            return Err(Error::bad(
                "The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix \"CUSTOM_\" and \
                 use following characters: \"A\"-\"Z\", \"0\"-\"9\" and \"_\"",
            ));
        }
        Ok(self.store().create_trait(name).await?)
    }

    /// Deletes a custom trait no provider has.
    pub async fn delete_trait(&self, ctx: &RequestContext, name: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:traits:delete")?;
        if !self.store().trait_exists(name).await? {
            return Err(Error::NotFound(format!("No such trait(s): {name}.")));
        }
        if !name.starts_with("CUSTOM_") {
            return Err(Error::bad(format!("Cannot delete standard trait {name}.")));
        }
        match self.store().delete_trait(name).await {
            Ok(()) => Ok(()),
            Err(WriteRefused::Rule(r)) if r == "in use" => {
                Err(Error::conflict(Code::Undefined, format!("The trait {name} is in use by a resource provider.")))
            }
            Err(WriteRefused::Rule(_)) => Err(Error::NotFound(format!("No such trait(s): {name}."))),
            Err(e) => Err(e.into()),
        }
    }

    /// A provider's traits.
    pub async fn provider_traits(&self, ctx: &RequestContext, uuid: &str) -> Result<ProviderTraits> {
        self.authorize_plain(ctx, "placement:resource_providers:traits:list")?;
        let p = self.store().provider(uuid).await?.ok_or_else(|| no_provider(uuid))?;
        Ok(ProviderTraits { traits: self.store().provider_traits(uuid).await?, generation: p.generation })
    }

    /// Replaces a provider's traits when its generation is still `generation`; the
    /// generation moves only when the set changes.
    pub async fn set_provider_traits(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        generation: i64,
        traits: &[String],
    ) -> Result<ProviderTraits> {
        self.authorize_plain(ctx, "placement:resource_providers:traits:update")?;
        self.replace_traits(uuid, Some(generation), traits).await
    }

    /// Removes every trait of a provider.
    pub async fn clear_provider_traits(&self, ctx: &RequestContext, uuid: &str) -> Result<()> {
        self.authorize_plain(ctx, "placement:resource_providers:traits:delete")?;
        self.replace_traits(uuid, None, &[]).await.map(|_| ())
    }

    async fn replace_traits(&self, uuid: &str, generation: Option<i64>, traits: &[String]) -> Result<ProviderTraits> {
        let p = self.store().provider(uuid).await?.ok_or_else(|| no_provider(uuid))?;
        if generation.is_some_and(|g| g != p.generation) {
            return Err(WriteRefused::ProviderGeneration(uuid.to_owned()).into());
        }
        let mut wanted: Vec<String> = traits.to_vec();
        wanted.sort();
        wanted.dedup();
        let existing = self.store().existing_traits(&wanted).await?;
        let missing: Vec<&str> = wanted.iter().filter(|t| !existing.contains(t)).map(String::as_str).collect();
        if !missing.is_empty() {
            return Err(Error::bad(format!("No such trait {}", missing.join(", "))));
        }
        let current = self.store().provider_traits(uuid).await?;
        if current == wanted {
            return Ok(ProviderTraits { traits: current, generation: p.generation });
        }
        let generation = self.store().replace_provider_traits(uuid, p.generation, &wanted).await?;
        Ok(ProviderTraits { traits: wanted, generation })
    }
}
