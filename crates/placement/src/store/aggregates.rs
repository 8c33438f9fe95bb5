//! The aggregates each provider is a member of.

use super::{Result, Store, WriteRefused, refuse};

impl Store {
    /// A provider's aggregates, sorted.
    pub async fn provider_aggregates(&self, provider: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(&self.sql("SELECT aggregate_uuid FROM provider_aggregates WHERE provider_uuid = ? ORDER BY aggregate_uuid"))
            .bind(provider)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| db::text(r, "aggregate_uuid").map_err(Into::into)).collect()
    }

    /// Replaces a provider's aggregates, checking its generation when `generation` is
    /// given and moving it when `bump`; answers the generation after.
    pub async fn replace_provider_aggregates(
        &self,
        provider: &str,
        generation: Option<i64>,
        bump: bool,
        aggregates: &[String],
    ) -> Result<i64, WriteRefused> {
        let mut tx = self.db.begin_write().await.map_err(super::StoreError::from)?;
        let locked =
            if bump { self.bump_generation(&mut tx, provider, generation).await } else { self.lock_provider(&mut tx, provider).await };
        let new_generation = match locked {
            Ok(g) => g,
            Err(e) => return refuse(tx, e).await,
        };
        sqlx::query(&self.sql("DELETE FROM provider_aggregates WHERE provider_uuid = ?")).bind(provider).execute(&mut *tx).await?;
        for a in aggregates {
            sqlx::query(&self.sql("INSERT INTO provider_aggregates (provider_uuid, aggregate_uuid) VALUES (?, ?)"))
                .bind(provider)
                .bind(a)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(new_generation)
    }
}
