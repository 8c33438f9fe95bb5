//! What finding allocation candidates and filtering provider lists read: which trees
//! could hold a request, then everything about those trees at once.
//!
//! The SQL here is a necessary condition only (each amount fits some provider of the
//! tree, or a provider sharing with it); the domain decides exactly, in memory, over
//! the trees this loads.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;

use super::inventories::{INVENTORY_COLUMNS, inventory};
use super::{InventoryRow, Result, Store, placeholders};

/// The trait that makes a provider share its inventory with the trees in its aggregates.
pub const SHARING_TRAIT: &str = "MISC_SHARES_VIA_AGGREGATE";

/// What the trees searched for must offer.
#[derive(Debug, Clone, Default)]
pub struct CandidateScope {
    /// `(class, amount)`: each must fit one provider of the tree or one sharing with it.
    pub amounts: Vec<(String, i64)>,
    /// Only the tree with this root.
    pub root: Option<String>,
}

/// One provider, with all it offers and is.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCapacity {
    /// Its uuid.
    pub uuid: String,
    /// Its parent.
    pub parent_uuid: Option<String>,
    /// Its root.
    pub root_uuid: String,
    /// Its generation.
    pub generation: i64,
    /// Its inventories, with what allocations hold of each.
    pub inventories: BTreeMap<String, (InventoryRow, i64)>,
    /// Its traits.
    pub traits: Vec<String>,
    /// Its aggregates.
    pub aggregates: Vec<String>,
}

impl ProviderCapacity {
    /// Whether `amount` of `class` fits here: within the unit limits and the free capacity.
    pub fn fits(&self, class: &str, amount: i64) -> bool {
        self.inventories.get(class).is_some_and(|(inv, used)| {
            amount >= inv.min_unit && amount <= inv.max_unit && amount % inv.step_size.max(1) == 0 && inv.capacity() - used >= amount
        })
    }

    /// Whether it shares its inventory through its aggregates.
    pub fn is_sharing(&self) -> bool {
        self.traits.iter().any(|t| t == SHARING_TRAIT)
    }
}

/// Some trees, whole, and the sharing providers linked to them by aggregates.
#[derive(Debug, Clone, Default)]
pub struct TreeData {
    /// Every provider loaded, by uuid.
    pub providers: HashMap<String, ProviderCapacity>,
    /// The roots, in the order the trees were asked for.
    pub roots: Vec<String>,
    /// For each root, the sharing providers outside the tree that share with it.
    pub sharing: HashMap<String, Vec<String>>,
}

/// Where a page of roots ended: the last root's creation time and uuid.
pub type RootCursor = (i64, String);

impl Store {
    /// Up to `page` roots after `after`, oldest first, of trees where every amount of
    /// `scope` fits some provider of the tree or a sharing provider linked to it.
    pub async fn candidate_roots(&self, scope: &CandidateScope, after: Option<&RootCursor>, page: usize) -> Result<Vec<RootCursor>> {
        let fits = "i.resource_class = ? AND i.min_unit <= ? AND i.max_unit >= ? AND ? % i.step_size = 0 \
                    AND (i.total - i.reserved) * i.allocation_ratio - i.used >= ?";
        // Per root, in root order: the search stops as soon as a page is full, and each
        // test is an index lookup (the tree's providers, then their inventory of one class).
        let mut clauses = vec!["r.parent_uuid IS NULL".to_owned()];
        for _ in &scope.amounts {
            clauses.push(format!(
                "(EXISTS (SELECT 1 FROM resource_providers p JOIN inventories i ON i.provider_uuid = p.uuid \
                 WHERE p.root_uuid = r.uuid AND {fits}) \
                 OR EXISTS (SELECT 1 FROM resource_providers m JOIN provider_aggregates ma ON ma.provider_uuid = m.uuid \
                 JOIN provider_aggregates sa ON sa.aggregate_uuid = ma.aggregate_uuid \
                 JOIN provider_traits t ON t.provider_uuid = sa.provider_uuid AND t.trait_name = '{SHARING_TRAIT}' \
                 JOIN inventories i ON i.provider_uuid = sa.provider_uuid WHERE m.root_uuid = r.uuid AND {fits}))"
            ));
        }
        if scope.root.is_some() {
            clauses.push("r.uuid = ?".into());
        }
        if after.is_some() {
            clauses.push("(r.created_at > ? OR (r.created_at = ? AND r.uuid > ?))".into());
        }
        let q = format!(
            "SELECT r.uuid, r.created_at FROM resource_providers r WHERE {} ORDER BY r.created_at, r.uuid LIMIT ?",
            clauses.join(" AND ")
        );
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql);
        for (class, amount) in &scope.amounts {
            for _ in 0..2 {
                query = query.bind(class).bind(*amount).bind(*amount).bind(*amount).bind(*amount as f64);
            }
        }
        if let Some(root) = &scope.root {
            query = query.bind(root);
        }
        if let Some((at, uuid)) = after {
            query = query.bind(*at).bind(*at).bind(uuid);
        }
        query = query.bind(page as i64);
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get("created_at")?, db::text(r, "uuid")?))).collect()
    }

    /// The whole trees of `roots`, and the sharing providers that share with them.
    pub async fn load_trees(&self, roots: &[String]) -> Result<TreeData> {
        let mut data = TreeData { roots: roots.to_vec(), ..Default::default() };
        self.load_providers(&mut data, "root_uuid", roots).await?;
        // Sharing providers in any aggregate of a loaded provider.
        let mut by_aggregate: HashMap<String, Vec<String>> = HashMap::new();
        for p in data.providers.values() {
            for a in &p.aggregates {
                by_aggregate.entry(a.clone()).or_default().push(p.root_uuid.clone());
            }
        }
        if by_aggregate.is_empty() {
            return Ok(data);
        }
        let aggregates: Vec<String> = by_aggregate.keys().cloned().collect();
        let mut sharing_uuids = Vec::new();
        for chunk in aggregates.chunks(400) {
            let q = format!(
                "SELECT DISTINCT a.provider_uuid FROM provider_aggregates a JOIN provider_traits t ON t.provider_uuid = a.provider_uuid \
                 AND t.trait_name = '{SHARING_TRAIT}' WHERE a.aggregate_uuid IN ({})",
                placeholders(chunk.len())
            );
            let sql = self.sql(&q);
            let mut query = sqlx::query(&sql);
            for a in chunk {
                query = query.bind(a);
            }
            for row in query.fetch_all(self.pool()).await? {
                sharing_uuids.push(db::text(&row, "provider_uuid")?);
            }
        }
        let outside: Vec<String> = sharing_uuids.iter().filter(|u| !data.providers.contains_key(*u)).cloned().collect();
        self.load_providers(&mut data, "uuid", &outside).await?;
        for s in sharing_uuids {
            let Some(provider) = data.providers.get(&s) else { continue };
            let mut anchored: Vec<String> = provider
                .aggregates
                .iter()
                .filter_map(|a| by_aggregate.get(a))
                .flatten()
                .filter(|root| **root != provider.root_uuid)
                .cloned()
                .collect();
            anchored.sort();
            anchored.dedup();
            for root in anchored {
                data.sharing.entry(root).or_default().push(s.clone());
            }
        }
        for list in data.sharing.values_mut() {
            list.sort();
            list.dedup();
        }
        Ok(data)
    }

    /// Loads the providers whose `column` (`uuid` or `root_uuid`) is one of `keys`, with
    /// their inventories, traits and aggregates. Every query is an index lookup by a list
    /// of values: a subquery in the IN list makes MariaDB scan every provider.
    async fn load_providers(&self, data: &mut TreeData, column: &str, keys: &[String]) -> Result<()> {
        let mut loaded = Vec::new();
        for chunk in keys.chunks(400) {
            let q = format!(
                "SELECT uuid, parent_uuid, root_uuid, generation FROM resource_providers WHERE {column} IN ({})",
                placeholders(chunk.len())
            );
            for row in self.fetch_bound(&q, chunk).await? {
                let uuid = db::text(&row, "uuid")?;
                loaded.push(uuid.clone());
                data.providers.insert(
                    uuid.clone(),
                    ProviderCapacity {
                        uuid,
                        parent_uuid: db::opt_text(&row, "parent_uuid")?,
                        root_uuid: db::text(&row, "root_uuid")?,
                        generation: row.try_get("generation")?,
                        inventories: BTreeMap::new(),
                        traits: Vec::new(),
                        aggregates: Vec::new(),
                    },
                );
            }
        }
        for chunk in loaded.chunks(400) {
            let list = placeholders(chunk.len());
            let q = format!("SELECT provider_uuid, {INVENTORY_COLUMNS}, used FROM inventories WHERE provider_uuid IN ({list})");
            for row in self.fetch_bound(&q, chunk).await? {
                if let Some(p) = data.providers.get_mut(&db::text(&row, "provider_uuid")?) {
                    let inv = inventory(&row)?;
                    p.inventories.insert(inv.resource_class.clone(), (inv, row.try_get("used")?));
                }
            }
            let q = format!("SELECT provider_uuid, trait_name FROM provider_traits WHERE provider_uuid IN ({list}) ORDER BY trait_name");
            for row in self.fetch_bound(&q, chunk).await? {
                if let Some(p) = data.providers.get_mut(&db::text(&row, "provider_uuid")?) {
                    p.traits.push(db::text(&row, "trait_name")?);
                }
            }
            let q = format!(
                "SELECT provider_uuid, aggregate_uuid FROM provider_aggregates WHERE provider_uuid IN ({list}) ORDER BY aggregate_uuid"
            );
            for row in self.fetch_bound(&q, chunk).await? {
                if let Some(p) = data.providers.get_mut(&db::text(&row, "provider_uuid")?) {
                    p.aggregates.push(db::text(&row, "aggregate_uuid")?);
                }
            }
        }
        Ok(())
    }

    async fn fetch_bound(&self, q: &str, binds: &[String]) -> Result<Vec<sqlx::any::AnyRow>> {
        let sql = self.sql(q);
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Providers, each on its own, where every amount fits (for provider lists).
    pub async fn providers_with_room(&self, amounts: &[(String, i64)]) -> Result<Vec<String>> {
        let fits = "SELECT i.provider_uuid FROM inventories i WHERE i.resource_class = ? AND i.min_unit <= ? AND i.max_unit >= ? \
                    AND ? % i.step_size = 0 AND (i.total - i.reserved) * i.allocation_ratio - i.used >= ?";
        let clauses: Vec<String> = amounts.iter().map(|_| format!("p.uuid IN ({fits})")).collect();
        let q = format!("SELECT p.uuid FROM resource_providers p WHERE {}", clauses.join(" AND "));
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql);
        for (class, amount) in amounts {
            query = query.bind(class).bind(*amount).bind(*amount).bind(*amount).bind(*amount as f64);
        }
        query.fetch_all(self.pool()).await?.iter().map(|r| db::text(r, "uuid").map_err(Into::into)).collect()
    }

    /// Whole trees by any of their providers: the loaded data of every provider whose
    /// uuid is in `uuids` (for filtering provider lists by traits and aggregates).
    pub async fn load_providers_by_uuid(&self, uuids: &[String]) -> Result<TreeData> {
        let mut data = TreeData::default();
        self.load_providers(&mut data, "uuid", uuids).await?;
        Ok(data)
    }
}
