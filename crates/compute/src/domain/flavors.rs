//! Flavors: who sees which, how lists sort and page, extra specs, and sharing private
//! flavors with projects.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use common::RequestContext;

use super::{Compute, Error, Result, Version, extra_specs, notifications};
use crate::store::{DuplicateFlavor, FlavorRow, FlavorVisibility};

/// A flavor to create, as the request gave it.
#[derive(Debug, Clone)]
pub struct NewFlavor {
    /// The client id; a UUID is generated when none is given.
    pub flavorid: Option<String>,
    pub name: String,
    pub memory_mb: i64,
    pub vcpus: i64,
    pub root_gb: i64,
    pub ephemeral_gb: i64,
    pub swap: i64,
    pub rxtx_factor: f64,
    pub is_public: bool,
    pub description: Option<String>,
}

/// Which flavors an admin's list shows (`is_public`; others always see public and
/// shared ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublicFilter {
    /// Public flavors and those shared with the caller's project (no parameter, or true).
    #[default]
    PublicAndShared,
    /// Private flavors of every project (false).
    PrivateOnly,
    /// Every flavor (`none`).
    All,
}

/// The columns a flavor list sorts by.
pub const SORT_KEYS: [&str; 15] = [
    "created_at",
    "description",
    "disabled",
    "ephemeral_gb",
    "flavorid",
    "id",
    "is_public",
    "memory_mb",
    "name",
    "root_gb",
    "rxtx_factor",
    "swap",
    "updated_at",
    "vcpu_weight",
    "vcpus",
];

/// A flavor list request.
#[derive(Debug, Clone, Default)]
pub struct FlavorQuery {
    pub public: PublicFilter,
    pub min_ram: Option<i64>,
    pub min_disk: Option<i64>,
    /// One of [`SORT_KEYS`]; `flavorid` by default.
    pub sort_key: Option<String>,
    pub descending: bool,
    pub limit: Option<usize>,
    pub marker: Option<String>,
}

/// The most a page holds (Nova's `[api] max_limit`).
pub const MAX_LIMIT: usize = 1000;

/// The flavors devstack creates, which a new cloud starts with: `(id, name, MiB, GiB,
/// vCPUs)`. m1.nano and m1.micro are the small pair tempest boots.
const DEFAULT_FLAVORS: [(&str, &str, i64, i64, i64); 7] = [
    ("1", "m1.tiny", 512, 1, 1),
    ("2", "m1.small", 2048, 20, 1),
    ("3", "m1.medium", 4096, 40, 2),
    ("4", "m1.large", 8192, 80, 4),
    ("5", "m1.xlarge", 16384, 160, 8),
    ("42", "m1.nano", 192, 1, 1),
    ("84", "m1.micro", 256, 1, 1),
];

fn not_found(id: &str) -> Error {
    Error::NotFound(format!("Flavor {id} could not be found."))
}

/// Orders two flavors by `key`; absent values first.
fn compare(a: &FlavorRow, b: &FlavorRow, key: &str) -> Ordering {
    match key {
        "created_at" => a.created_at.cmp(&b.created_at),
        "description" => a.description.cmp(&b.description),
        "disabled" => a.disabled.cmp(&b.disabled),
        "ephemeral_gb" => a.ephemeral_gb.cmp(&b.ephemeral_gb),
        "is_public" => a.is_public.cmp(&b.is_public),
        "memory_mb" => a.memory_mb.cmp(&b.memory_mb),
        "name" => a.name.cmp(&b.name),
        "root_gb" => a.root_gb.cmp(&b.root_gb),
        "rxtx_factor" => a.rxtx_factor.total_cmp(&b.rxtx_factor),
        "swap" => a.swap.cmp(&b.swap),
        "updated_at" => a.updated_at.cmp(&b.updated_at),
        "vcpu_weight" => a.vcpu_weight.cmp(&b.vcpu_weight),
        "vcpus" => a.vcpus.cmp(&b.vcpus),
        "id" => Ordering::Equal,
        _ => a.flavorid.cmp(&b.flavorid),
    }
}

impl Compute {
    /// Whether the caller is an administrator (Nova's `context.is_admin`).
    pub(crate) fn is_admin(&self, ctx: &RequestContext) -> bool {
        self.allowed(ctx, "context_is_admin")
    }

    /// What a caller may see by id: admins every flavor, others public ones and those
    /// shared with their project (disabled ones included, as Nova shows them by id).
    fn lookup_visibility(&self, ctx: &RequestContext) -> FlavorVisibility {
        if self.is_admin(ctx) {
            FlavorVisibility::All
        } else {
            FlavorVisibility::SharedWith { project_id: ctx.project_id().map(str::to_owned), include_disabled: true }
        }
    }

    /// The flavor `id` as the caller may see it.
    pub async fn get_flavor(&self, ctx: &RequestContext, id: &str) -> Result<FlavorRow> {
        self.store().get_flavor(id, &self.lookup_visibility(ctx)).await?.ok_or_else(|| not_found(id))
    }

    /// One page of the flavors the caller may list.
    pub async fn list_flavors(&self, ctx: &RequestContext, q: &FlavorQuery) -> Result<Vec<FlavorRow>> {
        let project_id = ctx.project_id().map(str::to_owned);
        let visibility = if self.is_admin(ctx) {
            match q.public {
                PublicFilter::PublicAndShared => FlavorVisibility::SharedWith { project_id, include_disabled: true },
                PublicFilter::PrivateOnly => FlavorVisibility::PrivateOnly,
                PublicFilter::All => FlavorVisibility::All,
            }
        } else {
            FlavorVisibility::SharedWith { project_id, include_disabled: false }
        };
        let mut flavors = self.store().list_flavors(&visibility, q.min_ram, q.min_disk).await?;
        let key = q.sort_key.as_deref().unwrap_or("flavorid");
        flavors.sort_by(|a, b| {
            let order = compare(a, b, key).then(a.id.cmp(&b.id));
            if q.descending { order.reverse() } else { order }
        });
        let start = match &q.marker {
            Some(m) => {
                flavors.iter().position(|f| &f.flavorid == m).ok_or_else(|| Error::BadRequest(format!("marker [{m}] not found")))? + 1
            }
            None => 0,
        };
        let limit = q.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
        Ok(flavors.into_iter().skip(start).take(limit).collect())
    }

    /// Creates a flavor (admin).
    pub async fn create_flavor(&self, ctx: &RequestContext, new: NewFlavor) -> Result<FlavorRow> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-manage:create")?;
        let flavor = self.insert_flavor(new, BTreeMap::new()).await?;
        self.notify(ctx, "flavor.create", notifications::flavor(&flavor, &[])).await;
        Ok(flavor)
    }

    /// Tells listeners a flavor changed (`flavor.update`).
    async fn notify_flavor_update(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let flavor = self.get_flavor(ctx, id).await?;
        let projects = self.store().flavor_projects(flavor.id).await?;
        self.notify(ctx, "flavor.update", notifications::flavor(&flavor, &projects)).await;
        Ok(())
    }

    async fn insert_flavor(&self, new: NewFlavor, extra_specs: BTreeMap<String, String>) -> Result<FlavorRow> {
        let row = FlavorRow {
            id: 0,
            flavorid: new.flavorid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            name: new.name,
            memory_mb: new.memory_mb,
            vcpus: new.vcpus,
            root_gb: new.root_gb,
            ephemeral_gb: new.ephemeral_gb,
            swap: new.swap,
            rxtx_factor: new.rxtx_factor,
            vcpu_weight: None,
            disabled: false,
            is_public: new.is_public,
            description: new.description,
            created_at: common::time::now_micros(),
            updated_at: None,
            extra_specs,
        };
        self.store().create_flavor(&row).await.map_err(|e| match e {
            DuplicateFlavor::Id => Error::Conflict(format!("Flavor with ID {} already exists.", row.flavorid)),
            DuplicateFlavor::Name => Error::Conflict(format!("Flavor with name {} already exists.", row.name)),
            DuplicateFlavor::Store(s) => Error::Store(s),
        })
    }

    /// Creates devstack's default flavors on a cloud that never had a flavor, so an
    /// operator's deletions are not undone at the next start.
    pub async fn bootstrap_flavors(&self) -> Result<()> {
        if self.store().flavors_ever_created().await? {
            return Ok(());
        }
        for (id, name, ram, disk, vcpus) in DEFAULT_FLAVORS {
            let new = NewFlavor {
                flavorid: Some(id.to_owned()),
                name: name.to_owned(),
                memory_mb: ram,
                vcpus,
                root_gb: disk,
                ephemeral_gb: 0,
                swap: 0,
                rxtx_factor: 1.0,
                is_public: true,
                description: None,
            };
            self.insert_flavor(new, BTreeMap::from([("hw_rng:allowed".to_owned(), "True".to_owned())])).await?;
        }
        tracing::info!(count = DEFAULT_FLAVORS.len(), "default flavors created");
        Ok(())
    }

    /// Sets a flavor's description (2.55, admin).
    pub async fn update_flavor(&self, ctx: &RequestContext, id: &str, description: Option<&str>) -> Result<FlavorRow> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-manage:update")?;
        let flavor = self.get_flavor(ctx, id).await?;
        if !self.store().set_flavor_description(flavor.id, description).await? {
            return Err(not_found(id));
        }
        self.notify_flavor_update(ctx, id).await?;
        self.get_flavor(ctx, id).await
    }

    /// Deletes a flavor (admin). Servers built from it keep their own copy.
    pub async fn delete_flavor(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-manage:delete")?;
        let flavor = self.get_flavor(ctx, id).await?;
        let projects = self.store().flavor_projects(flavor.id).await?;
        if !self.store().delete_flavor(flavor.id).await? {
            return Err(not_found(id));
        }
        self.notify(ctx, "flavor.delete", notifications::flavor(&flavor, &projects)).await;
        Ok(())
    }

    /// Whether flavor bodies (2.61+) may embed extra specs for this caller.
    pub fn shows_extra_specs(&self, ctx: &RequestContext) -> bool {
        self.allowed(ctx, "os_compute_api:os-flavor-extra-specs:index")
    }

    /// A flavor's extra specs.
    pub async fn list_extra_specs(&self, ctx: &RequestContext, id: &str) -> Result<BTreeMap<String, String>> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-extra-specs:index")?;
        Ok(self.get_flavor(ctx, id).await?.extra_specs)
    }

    /// One extra spec of a flavor.
    pub async fn get_extra_spec(&self, ctx: &RequestContext, id: &str, key: &str) -> Result<String> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-extra-specs:show")?;
        let mut specs = self.get_flavor(ctx, id).await?.extra_specs;
        specs.remove(key).ok_or_else(|| no_spec(id, key))
    }

    /// Merges extra specs into a flavor (admin); from 2.86 each is validated first.
    pub async fn set_extra_specs(
        &self,
        ctx: &RequestContext,
        id: &str,
        specs: &BTreeMap<String, String>,
        rule: &str,
        version: Version,
    ) -> Result<()> {
        self.authorize_own(ctx, rule)?;
        if version.at_least(86) {
            for (key, value) in specs {
                extra_specs::validate(key, value).map_err(|why| Error::BadRequest(format!("Validation failed; {why}.")))?;
            }
        }
        let flavor = self.get_flavor(ctx, id).await?;
        self.store().merge_extra_specs(flavor.id, specs).await?;
        self.notify_flavor_update(ctx, id).await
    }

    /// Removes one extra spec (admin).
    pub async fn delete_extra_spec(&self, ctx: &RequestContext, id: &str, key: &str) -> Result<()> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-extra-specs:delete")?;
        let flavor = self.get_flavor(ctx, id).await?;
        if !self.store().delete_extra_spec(flavor.id, key).await? {
            return Err(no_spec(id, key));
        }
        self.notify_flavor_update(ctx, id).await
    }

    /// The projects a private flavor is shared with (admin).
    pub async fn flavor_access(&self, ctx: &RequestContext, id: &str) -> Result<Vec<String>> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-access")?;
        let flavor = self.get_flavor(ctx, id).await?;
        if flavor.is_public {
            return Err(Error::NotFound("Access list not available for public flavors.".into()));
        }
        Ok(self.store().flavor_projects(flavor.id).await?)
    }

    /// Shares a private flavor with a project (admin); public flavors refuse from 2.7.
    pub async fn add_flavor_access(&self, ctx: &RequestContext, id: &str, project: &str, version: Version) -> Result<Vec<String>> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-access:add_tenant_access")?;
        let flavor = self.get_flavor(ctx, id).await?;
        if flavor.is_public && version.at_least(7) {
            return Err(Error::Conflict("Can not add access to a public flavor.".into()));
        }
        match self.store().add_flavor_project(flavor.id, project).await {
            Ok(()) => {}
            Err(crate::store::StoreError::Duplicate) => {
                return Err(Error::Conflict(format!(
                    "Flavor access already exists for flavor {} and project {project} combination.",
                    flavor.id
                )));
            }
            Err(e) => return Err(e.into()),
        }
        self.notify_flavor_update(ctx, id).await?;
        Ok(self.store().flavor_projects(flavor.id).await?)
    }

    /// Stops sharing a flavor with a project (admin).
    pub async fn remove_flavor_access(&self, ctx: &RequestContext, id: &str, project: &str) -> Result<Vec<String>> {
        self.authorize_own(ctx, "os_compute_api:os-flavor-access:remove_tenant_access")?;
        let flavor = self.get_flavor(ctx, id).await?;
        if !self.store().remove_flavor_project(flavor.id, project).await? {
            return Err(Error::NotFound(format!("Flavor access not found for {} / {project} combination.", flavor.id)));
        }
        self.notify_flavor_update(ctx, id).await?;
        Ok(self.store().flavor_projects(flavor.id).await?)
    }
}

fn no_spec(id: &str, key: &str) -> Error {
    Error::NotFound(format!("Flavor {id} has no extra specs with key {key}."))
}
