//! Traits, and the traits each provider has.

use super::{Result, Store, WriteRefused, placeholders, refuse};

/// Which traits a list returns.
#[derive(Debug, Clone, Default)]
pub struct TraitFilter {
    /// Only these names.
    pub names: Option<Vec<String>>,
    /// Only names starting so.
    pub prefix: Option<String>,
    /// Only traits some provider has (true) or none has (false).
    pub associated: Option<bool>,
}

impl Store {
    /// Writes every standard trait that is missing (at start).
    pub async fn sync_standard_traits(&self, names: &[&str]) -> Result<()> {
        let existing: std::collections::HashSet<String> = sqlx::query(&self.sql("SELECT name FROM traits WHERE standard = 1"))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| db::text(r, "name"))
            .collect::<Result<_, _>>()?;
        let missing: Vec<&str> = names.iter().copied().filter(|n| !existing.contains(*n)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin_write().await?;
        let now = common::time::now_micros();
        for name in missing {
            let exists = sqlx::query(&self.sql("SELECT 1 FROM traits WHERE name = ?")).bind(name).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                sqlx::query(&self.sql("INSERT INTO traits (name, standard, created_at, updated_at) VALUES (?, 1, ?, ?)"))
                    .bind(name)
                    .bind(now)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Trait names passing `filter`, sorted.
    pub async fn list_traits(&self, filter: &TraitFilter) -> Result<Vec<String>> {
        let mut clauses = Vec::new();
        if let Some(names) = &filter.names {
            if names.is_empty() {
                return Ok(Vec::new());
            }
            clauses.push(format!("name IN ({})", placeholders(names.len())));
        }
        match filter.associated {
            Some(true) => clauses.push("EXISTS (SELECT 1 FROM provider_traits pt WHERE pt.trait_name = traits.name)".into()),
            Some(false) => clauses.push("NOT EXISTS (SELECT 1 FROM provider_traits pt WHERE pt.trait_name = traits.name)".into()),
            None => {}
        }
        let where_clause = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let q = format!("SELECT name FROM traits{where_clause} ORDER BY name");
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql);
        for name in filter.names.iter().flatten() {
            query = query.bind(name);
        }
        let rows = query.fetch_all(self.pool()).await?;
        // A prefix is matched here, not with LIKE: `_` in trait names is LIKE's wildcard,
        // and LIKE ignores case on SQLite and MariaDB.
        let mut names = Vec::with_capacity(rows.len());
        for row in &rows {
            let name = db::text(row, "name")?;
            if filter.prefix.as_ref().is_none_or(|p| name.starts_with(p.as_str())) {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// Names among `names` that exist as traits.
    pub async fn existing_traits(&self, names: &[String]) -> Result<Vec<String>> {
        self.list_traits(&TraitFilter { names: Some(names.to_vec()), ..Default::default() }).await
    }

    /// Creates a custom trait; false when it exists already.
    pub async fn create_trait(&self, name: &str) -> Result<bool> {
        self.insert_custom_name("traits", name).await
    }

    /// Whether a trait exists.
    pub async fn trait_exists(&self, name: &str) -> Result<bool> {
        Ok(sqlx::query(&self.sql("SELECT 1 FROM traits WHERE name = ?")).bind(name).fetch_optional(self.pool()).await?.is_some())
    }

    /// Deletes a custom trait no provider has: `Rule("in use")` or `Rule("not found")`
    /// otherwise.
    pub async fn delete_trait(&self, name: &str) -> Result<(), WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        let used = sqlx::query(&self.sql("SELECT 1 FROM provider_traits WHERE trait_name = ? LIMIT 1"))
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if used.is_some() {
            return refuse(tx, WriteRefused::Rule("in use".into())).await;
        }
        let done = sqlx::query(&self.sql("DELETE FROM traits WHERE name = ? AND standard = 0")).bind(name).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return refuse(tx, WriteRefused::Rule("not found".into())).await;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A provider's traits, sorted.
    pub async fn provider_traits(&self, provider: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(&self.sql("SELECT trait_name FROM provider_traits WHERE provider_uuid = ? ORDER BY trait_name"))
            .bind(provider)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| db::text(r, "trait_name").map_err(Into::into)).collect()
    }

    /// Replaces a provider's traits when its generation is still `generation`; answers
    /// the new generation. The traits exist (the domain checked).
    pub async fn replace_provider_traits(&self, provider: &str, generation: i64, traits: &[String]) -> Result<i64, WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        let new_generation = match self.bump_generation(&mut tx, provider, Some(generation)).await {
            Ok(g) => g,
            Err(e) => return refuse(tx, e).await,
        };
        sqlx::query(&self.sql("DELETE FROM provider_traits WHERE provider_uuid = ?")).bind(provider).execute(&mut *tx).await?;
        for t in traits {
            sqlx::query(&self.sql("INSERT INTO provider_traits (provider_uuid, trait_name) VALUES (?, ?)"))
                .bind(provider)
                .bind(t)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(new_generation)
    }
}
