//! Regions, services and endpoints: the service catalog.

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, extra_text, parse_extra};

/// A region.
#[derive(Debug, Clone)]
pub struct RegionRow {
    pub id: String,
    pub description: String,
    pub parent_region_id: Option<String>,
    pub extra: Map<String, Value>,
}

/// A service; `name` and `description` live in `extra`, as in Keystone.
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub id: String,
    pub service_type: String,
    pub enabled: bool,
    pub extra: Map<String, Value>,
}

/// An endpoint of a service.
#[derive(Debug, Clone)]
pub struct EndpointRow {
    pub id: String,
    pub service_id: String,
    pub interface: String,
    pub url: String,
    pub region_id: Option<String>,
    pub enabled: bool,
    pub extra: Map<String, Value>,
}

fn region_from(row: sqlx::any::AnyRow) -> Result<RegionRow> {
    Ok(RegionRow {
        id: row.try_get("id")?,
        description: db::text(&row, "description")?,
        parent_region_id: row.try_get("parent_region_id")?,
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

fn service_from(row: sqlx::any::AnyRow) -> Result<ServiceRow> {
    Ok(ServiceRow {
        id: row.try_get("id")?,
        service_type: row.try_get("type")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

fn endpoint_from(row: sqlx::any::AnyRow) -> Result<EndpointRow> {
    Ok(EndpointRow {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        interface: row.try_get("interface")?,
        url: db::text(&row, "url")?,
        region_id: row.try_get("region_id")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

impl Store {
    /// Inserts a region.
    pub async fn create_region(&self, r: &RegionRow) -> Result<()> {
        sqlx::query(&self.sql("INSERT INTO regions (id, description, parent_region_id, extra) VALUES (?, ?, ?, ?)"))
            .bind(&r.id)
            .bind(&r.description)
            .bind(&r.parent_region_id)
            .bind(extra_text(&r.extra))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Rewrites a region's mutable columns.
    pub async fn update_region(&self, r: &RegionRow) -> Result<()> {
        sqlx::query(&self.sql("UPDATE regions SET description = ?, parent_region_id = ?, extra = ? WHERE id = ?"))
            .bind(&r.description)
            .bind(&r.parent_region_id)
            .bind(extra_text(&r.extra))
            .bind(&r.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// One region by id.
    pub async fn get_region(&self, id: &str) -> Result<Option<RegionRow>> {
        sqlx::query(&self.sql("SELECT id, description, parent_region_id, extra FROM regions WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(region_from)
            .transpose()
    }

    /// All regions, by id.
    pub async fn list_regions(&self) -> Result<Vec<RegionRow>> {
        sqlx::query("SELECT id, description, parent_region_id, extra FROM regions ORDER BY id")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(region_from)
            .collect()
    }

    /// Deletes a region; refused (as a reference error) while endpoints or child regions use it.
    pub async fn delete_region(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(&self.sql("DELETE FROM regions WHERE id = ?")).bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Inserts a service.
    pub async fn create_service(&self, s: &ServiceRow) -> Result<()> {
        sqlx::query(&self.sql("INSERT INTO services (id, type, enabled, extra) VALUES (?, ?, ?, ?)"))
            .bind(&s.id)
            .bind(&s.service_type)
            .bind(i64::from(s.enabled))
            .bind(extra_text(&s.extra))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Rewrites a service's mutable columns.
    pub async fn update_service(&self, s: &ServiceRow) -> Result<()> {
        sqlx::query(&self.sql("UPDATE services SET type = ?, enabled = ?, extra = ? WHERE id = ?"))
            .bind(&s.service_type)
            .bind(i64::from(s.enabled))
            .bind(extra_text(&s.extra))
            .bind(&s.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// One service by id.
    pub async fn get_service(&self, id: &str) -> Result<Option<ServiceRow>> {
        sqlx::query(&self.sql("SELECT id, type, enabled, extra FROM services WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(service_from)
            .transpose()
    }

    /// All services.
    pub async fn list_services(&self) -> Result<Vec<ServiceRow>> {
        sqlx::query("SELECT id, type, enabled, extra FROM services ORDER BY type, id")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(service_from)
            .collect()
    }

    /// Deletes a service and its endpoints.
    pub async fn delete_service(&self, id: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM project_endpoints WHERE endpoint_id IN (SELECT id FROM endpoints WHERE service_id = ?)"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&self.sql("DELETE FROM endpoints WHERE service_id = ?")).bind(id).execute(&mut *tx).await?;
        let done = sqlx::query(&self.sql("DELETE FROM services WHERE id = ?")).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Inserts an endpoint.
    pub async fn create_endpoint(&self, e: &EndpointRow) -> Result<()> {
        sqlx::query(
            &self.sql("INSERT INTO endpoints (id, service_id, interface, url, region_id, enabled, extra) VALUES (?, ?, ?, ?, ?, ?, ?)"),
        )
        .bind(&e.id)
        .bind(&e.service_id)
        .bind(&e.interface)
        .bind(&e.url)
        .bind(&e.region_id)
        .bind(i64::from(e.enabled))
        .bind(extra_text(&e.extra))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Rewrites an endpoint's mutable columns.
    pub async fn update_endpoint(&self, e: &EndpointRow) -> Result<()> {
        sqlx::query(
            &self.sql("UPDATE endpoints SET service_id = ?, interface = ?, url = ?, region_id = ?, enabled = ?, extra = ? WHERE id = ?"),
        )
        .bind(&e.service_id)
        .bind(&e.interface)
        .bind(&e.url)
        .bind(&e.region_id)
        .bind(i64::from(e.enabled))
        .bind(extra_text(&e.extra))
        .bind(&e.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// One endpoint by id.
    pub async fn get_endpoint(&self, id: &str) -> Result<Option<EndpointRow>> {
        sqlx::query(&self.sql("SELECT id, service_id, interface, url, region_id, enabled, extra FROM endpoints WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(endpoint_from)
            .transpose()
    }

    /// All endpoints.
    pub async fn list_endpoints(&self) -> Result<Vec<EndpointRow>> {
        sqlx::query("SELECT id, service_id, interface, url, region_id, enabled, extra FROM endpoints ORDER BY service_id, interface")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(endpoint_from)
            .collect()
    }

    /// Deletes an endpoint and its project associations; reports whether it existed.
    pub async fn delete_endpoint(&self, id: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM project_endpoints WHERE endpoint_id = ?")).bind(id).execute(&mut *tx).await?;
        let done = sqlx::query(&self.sql("DELETE FROM endpoints WHERE id = ?")).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
