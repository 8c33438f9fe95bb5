//! Domains and projects (with their hierarchy and tags).

use serde_json::{Map, Value};
use sqlx::Row;

use super::{Result, Store, StoreError, extra_text, parse_extra};

/// A domain.
#[derive(Debug, Clone)]
pub struct DomainRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub extra: Map<String, Value>,
}

/// A project.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub parent_id: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub tags: Vec<String>,
    pub extra: Map<String, Value>,
}

const DOMAIN_COLUMNS: &str = "id, name, description, enabled, extra";
const PROJECT_COLUMNS: &str = "id, name, domain_id, parent_id, description, enabled, extra";

fn domain_from(row: sqlx::any::AnyRow) -> Result<DomainRow> {
    Ok(DomainRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: db::opt_text(&row, "description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

fn project_from(row: sqlx::any::AnyRow) -> Result<ProjectRow> {
    Ok(ProjectRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        domain_id: row.try_get("domain_id")?,
        parent_id: row.try_get("parent_id")?,
        description: db::opt_text(&row, "description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        tags: Vec::new(),
        extra: parse_extra(&db::text(&row, "extra")?),
    })
}

impl Store {
    /// Inserts a domain.
    pub async fn create_domain(&self, d: &DomainRow) -> Result<()> {
        sqlx::query(&self.sql("INSERT INTO domains (id, name, description, enabled, extra) VALUES (?, ?, ?, ?, ?)"))
            .bind(&d.id)
            .bind(&d.name)
            .bind(&d.description)
            .bind(i64::from(d.enabled))
            .bind(extra_text(&d.extra))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Rewrites a domain's mutable columns.
    pub async fn update_domain(&self, d: &DomainRow) -> Result<()> {
        sqlx::query(&self.sql("UPDATE domains SET name = ?, description = ?, enabled = ?, extra = ? WHERE id = ?"))
            .bind(&d.name)
            .bind(&d.description)
            .bind(i64::from(d.enabled))
            .bind(extra_text(&d.extra))
            .bind(&d.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// One domain by id.
    pub async fn get_domain(&self, id: &str) -> Result<Option<DomainRow>> {
        let q = format!("SELECT {DOMAIN_COLUMNS} FROM domains WHERE id = ?");
        sqlx::query(&self.sql(&q)).bind(id).fetch_optional(self.pool()).await?.map(domain_from).transpose()
    }

    /// One domain by name.
    pub async fn get_domain_by_name(&self, name: &str) -> Result<Option<DomainRow>> {
        let q = format!("SELECT {DOMAIN_COLUMNS} FROM domains WHERE name = ?");
        sqlx::query(&self.sql(&q)).bind(name).fetch_optional(self.pool()).await?.map(domain_from).transpose()
    }

    /// All domains, by name.
    pub async fn list_domains(&self) -> Result<Vec<DomainRow>> {
        let q = format!("SELECT {DOMAIN_COLUMNS} FROM domains ORDER BY name");
        sqlx::query(&q).fetch_all(self.pool()).await?.into_iter().map(domain_from).collect()
    }

    /// Deletes a disabled domain and everything it owns (projects, users, groups, its
    /// roles and every assignment on or of them) in one transaction.
    pub async fn delete_domain(&self, id: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let owned = [
            "DELETE FROM assignments WHERE target_type = 'project' AND target_id IN (SELECT id FROM projects WHERE domain_id = ?)",
            "DELETE FROM assignments WHERE actor_type = 'user' AND actor_id IN (SELECT id FROM users WHERE domain_id = ?)",
            "DELETE FROM assignments WHERE actor_type = 'group' AND actor_id IN (SELECT id FROM identity_groups WHERE domain_id = ?)",
            "DELETE FROM assignments WHERE target_type = 'domain' AND target_id = ?",
            "DELETE FROM assignments WHERE role_id IN (SELECT id FROM roles WHERE domain_id = ?)",
            "DELETE FROM implied_roles WHERE prior_role_id IN (SELECT id FROM roles WHERE domain_id = ?) OR implied_role_id IN (SELECT id FROM roles WHERE domain_id = ?)",
            "DELETE FROM roles WHERE domain_id = ?",
            "DELETE FROM group_members WHERE group_id IN (SELECT id FROM identity_groups WHERE domain_id = ?) OR user_id IN (SELECT id FROM users WHERE domain_id = ?)",
            "DELETE FROM identity_groups WHERE domain_id = ?",
            "DELETE FROM application_credential_roles WHERE application_credential_id IN (SELECT a.id FROM application_credentials a JOIN users u ON u.id = a.user_id WHERE u.domain_id = ?)",
            "DELETE FROM application_credentials WHERE user_id IN (SELECT id FROM users WHERE domain_id = ?)",
            "DELETE FROM passwords WHERE user_id IN (SELECT id FROM users WHERE domain_id = ?)",
            "DELETE FROM credentials WHERE user_id IN (SELECT id FROM users WHERE domain_id = ?)",
            "DELETE FROM trust_roles WHERE trust_id IN (SELECT id FROM trusts WHERE trustor_user_id IN (SELECT id FROM users WHERE domain_id = ?) OR trustee_user_id IN (SELECT id FROM users WHERE domain_id = ?) OR project_id IN (SELECT id FROM projects WHERE domain_id = ?))",
            "DELETE FROM trusts WHERE trustor_user_id IN (SELECT id FROM users WHERE domain_id = ?) OR trustee_user_id IN (SELECT id FROM users WHERE domain_id = ?) OR project_id IN (SELECT id FROM projects WHERE domain_id = ?)",
            "DELETE FROM users WHERE domain_id = ?",
            "DELETE FROM project_tags WHERE project_id IN (SELECT id FROM projects WHERE domain_id = ?)",
            "DELETE FROM project_endpoints WHERE project_id IN (SELECT id FROM projects WHERE domain_id = ?)",
            "DELETE FROM project_endpoint_groups WHERE project_id IN (SELECT id FROM projects WHERE domain_id = ?)",
            "DELETE FROM limits WHERE (target_type = 'project' AND target_id IN (SELECT id FROM projects WHERE domain_id = ?)) OR (target_type = 'domain' AND target_id = ?)",
        ];
        for q in owned {
            let sql = self.sql(q);
            let mut query = sqlx::query(&sql);
            for _ in 0..q.matches('?').count() {
                query = query.bind(id.to_owned());
            }
            query.execute(&mut *tx).await?;
        }
        // Children before parents: repeatedly remove leaves until none are left.
        loop {
            let removed = sqlx::query(&self.sql(
                "DELETE FROM projects WHERE domain_id = ? AND id NOT IN (SELECT parent_id FROM (SELECT parent_id FROM projects WHERE parent_id IS NOT NULL) AS parents)",
            ))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if removed == 0 {
                break;
            }
        }
        sqlx::query(&self.sql("DELETE FROM domains WHERE id = ?")).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts a project with its tags.
    pub async fn create_project(&self, p: &ProjectRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            &self.sql("INSERT INTO projects (id, name, domain_id, parent_id, description, enabled, extra) VALUES (?, ?, ?, ?, ?, ?, ?)"),
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.domain_id)
        .bind(&p.parent_id)
        .bind(&p.description)
        .bind(i64::from(p.enabled))
        .bind(extra_text(&p.extra))
        .execute(&mut *tx)
        .await?;
        self.insert_tags(&mut tx, p).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rewrites a project's mutable columns and its tags.
    pub async fn update_project(&self, p: &ProjectRow) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(&self.sql("UPDATE projects SET name = ?, description = ?, enabled = ?, extra = ? WHERE id = ?"))
            .bind(&p.name)
            .bind(&p.description)
            .bind(i64::from(p.enabled))
            .bind(extra_text(&p.extra))
            .bind(&p.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&self.sql("DELETE FROM project_tags WHERE project_id = ?")).bind(&p.id).execute(&mut *tx).await?;
        self.insert_tags(&mut tx, p).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_tags(&self, tx: &mut sqlx::Transaction<'static, sqlx::Any>, p: &ProjectRow) -> Result<()> {
        for tag in &p.tags {
            sqlx::query(&self.sql("INSERT INTO project_tags (project_id, name) VALUES (?, ?)"))
                .bind(&p.id)
                .bind(tag)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    async fn with_tags(&self, mut projects: Vec<ProjectRow>) -> Result<Vec<ProjectRow>> {
        if projects.is_empty() {
            return Ok(projects);
        }
        let rows = sqlx::query("SELECT project_id, name FROM project_tags ORDER BY name").fetch_all(self.pool()).await?;
        let mut tags: std::collections::HashMap<String, Vec<String>> = Default::default();
        for row in rows {
            tags.entry(row.try_get("project_id")?).or_default().push(row.try_get("name")?);
        }
        for p in &mut projects {
            p.tags = tags.remove(&p.id).unwrap_or_default();
        }
        Ok(projects)
    }

    /// One project by id.
    pub async fn get_project(&self, id: &str) -> Result<Option<ProjectRow>> {
        let q = format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = ?");
        let Some(row) = sqlx::query(&self.sql(&q)).bind(id).fetch_optional(self.pool()).await? else { return Ok(None) };
        let mut p = project_from(row)?;
        let tags = sqlx::query(&self.sql("SELECT name FROM project_tags WHERE project_id = ? ORDER BY name"))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        p.tags = tags.into_iter().map(|r| r.try_get("name")).collect::<Result<_, _>>()?;
        Ok(Some(p))
    }

    /// One project by name within a domain.
    pub async fn get_project_by_name(&self, domain_id: &str, name: &str) -> Result<Option<ProjectRow>> {
        let id: Option<String> = sqlx::query_scalar(&self.sql("SELECT id FROM projects WHERE domain_id = ? AND name = ?"))
            .bind(domain_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        match id {
            Some(id) => self.get_project(&id).await,
            None => Ok(None),
        }
    }

    /// All projects, by name, with their tags.
    pub async fn list_projects(&self) -> Result<Vec<ProjectRow>> {
        let q = format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY name");
        let rows = sqlx::query(&q).fetch_all(self.pool()).await?;
        let projects = rows.into_iter().map(project_from).collect::<Result<Vec<_>>>()?;
        self.with_tags(projects).await
    }

    /// Deletes a project and the assignments on it; refused while it has children.
    pub async fn delete_project(&self, id: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let children: i64 =
            sqlx::query_scalar(&self.sql("SELECT COUNT(*) FROM projects WHERE parent_id = ?")).bind(id).fetch_one(&mut *tx).await?;
        if children > 0 {
            return Err(StoreError::Reference);
        }
        sqlx::query(&self.sql("DELETE FROM assignments WHERE target_type = 'project' AND target_id = ?"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for q in [
            "DELETE FROM project_tags WHERE project_id = ?",
            "DELETE FROM trust_roles WHERE trust_id IN (SELECT id FROM trusts WHERE project_id = ?)",
            "DELETE FROM trusts WHERE project_id = ?",
            "DELETE FROM limits WHERE target_type = 'project' AND target_id = ?",
            "DELETE FROM project_endpoints WHERE project_id = ?",
            "DELETE FROM project_endpoint_groups WHERE project_id = ?",
            "DELETE FROM projects WHERE id = ?",
        ] {
            sqlx::query(&self.sql(q)).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
