//! Role assignments of users and groups on projects, domains and the system.

use sqlx::Row;

use super::{Result, Store};

/// Who holds an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorType {
    User,
    Group,
}

/// What an assignment is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetType {
    Project,
    Domain,
    System,
}

impl ActorType {
    fn as_str(self) -> &'static str {
        match self {
            ActorType::User => "user",
            ActorType::Group => "group",
        }
    }
}

impl TargetType {
    fn as_str(self) -> &'static str {
        match self {
            TargetType::Project => "project",
            TargetType::Domain => "domain",
            TargetType::System => "system",
        }
    }
}

/// One role assignment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssignmentRow {
    pub actor_type: ActorType,
    pub actor_id: String,
    pub target_type: TargetType,
    pub target_id: String,
    pub role_id: String,
    pub inherited: bool,
}

/// Which assignments to list; `None` matches anything.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub actor: Option<(ActorType, Vec<String>)>,
    pub target: Option<(TargetType, Option<String>)>,
    pub role_id: Option<String>,
}

fn assignment_from(row: sqlx::any::AnyRow) -> Result<AssignmentRow> {
    let actor_type: String = row.try_get("actor_type")?;
    let target_type: String = row.try_get("target_type")?;
    Ok(AssignmentRow {
        actor_type: if actor_type == "group" { ActorType::Group } else { ActorType::User },
        actor_id: row.try_get("actor_id")?,
        target_type: match target_type.as_str() {
            "domain" => TargetType::Domain,
            "system" => TargetType::System,
            _ => TargetType::Project,
        },
        target_id: row.try_get("target_id")?,
        role_id: row.try_get("role_id")?,
        inherited: row.try_get::<i64, _>("inherited")? != 0,
    })
}

impl Store {
    /// Grants a role; granting it twice is not an error.
    pub async fn create_assignment(&self, a: &AssignmentRow) -> Result<()> {
        if self.assignment_exists(a).await? {
            return Ok(());
        }
        sqlx::query(
            &self.sql(
                "INSERT INTO assignments (actor_type, actor_id, target_type, target_id, role_id, inherited) VALUES (?, ?, ?, ?, ?, ?)",
            ),
        )
        .bind(a.actor_type.as_str())
        .bind(&a.actor_id)
        .bind(a.target_type.as_str())
        .bind(&a.target_id)
        .bind(&a.role_id)
        .bind(i64::from(a.inherited))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether exactly this assignment exists.
    pub async fn assignment_exists(&self, a: &AssignmentRow) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(&self.sql(
            "SELECT COUNT(*) FROM assignments WHERE actor_type = ? AND actor_id = ? AND target_type = ? AND target_id = ? AND role_id = ? AND inherited = ?",
        ))
        .bind(a.actor_type.as_str())
        .bind(&a.actor_id)
        .bind(a.target_type.as_str())
        .bind(&a.target_id)
        .bind(&a.role_id)
        .bind(i64::from(a.inherited))
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// Revokes a role; reports whether it was granted.
    pub async fn delete_assignment(&self, a: &AssignmentRow) -> Result<bool> {
        let done = sqlx::query(&self.sql(
            "DELETE FROM assignments WHERE actor_type = ? AND actor_id = ? AND target_type = ? AND target_id = ? AND role_id = ? AND inherited = ?",
        ))
        .bind(a.actor_type.as_str())
        .bind(&a.actor_id)
        .bind(a.target_type.as_str())
        .bind(&a.target_id)
        .bind(&a.role_id)
        .bind(i64::from(a.inherited))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The assignments matching a filter.
    pub async fn list_assignments(&self, f: &AssignmentFilter) -> Result<Vec<AssignmentRow>> {
        let mut q = String::from("SELECT actor_type, actor_id, target_type, target_id, role_id, inherited FROM assignments WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        if let Some((actor_type, ids)) = &f.actor {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            q.push_str(" AND actor_type = ? AND actor_id IN (");
            q.push_str(&db::placeholders(ids.len()));
            q.push(')');
            binds.push(actor_type.as_str().to_owned());
            binds.extend(ids.iter().cloned());
        }
        if let Some((target_type, target_id)) = &f.target {
            q.push_str(" AND target_type = ?");
            binds.push(target_type.as_str().to_owned());
            if let Some(id) = target_id {
                q.push_str(" AND target_id = ?");
                binds.push(id.clone());
            }
        }
        if let Some(role_id) = &f.role_id {
            q.push_str(" AND role_id = ?");
            binds.push(role_id.clone());
        }
        let sql = self.sql(&q);
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        query.fetch_all(self.pool()).await?.into_iter().map(assignment_from).collect()
    }
}
