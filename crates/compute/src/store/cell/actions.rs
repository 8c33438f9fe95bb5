//! Instance actions (one per request that acted on an instance) and their events (one
//! per step a component took for it).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::CellStore;
use crate::store::{Result, StoreError, Tx};

/// An action taken on an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRow {
    pub id: i64,
    pub instance_uuid: String,
    pub request_id: String,
    pub action: String,
    pub project_id: String,
    pub user_id: String,
    /// `Error` once one of its events failed.
    pub message: Option<String>,
    pub start_time: i64,
    pub updated_at: i64,
}

/// One step of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub event: String,
    pub host: Option<String>,
    /// `Success` or `Error` once finished.
    pub result: Option<String>,
    pub details: Option<String>,
    pub start_time: i64,
    pub finish_time: Option<i64>,
}

/// How an event ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventOutcome {
    Success,
    /// Failed, with what the user may read of why.
    Error {
        details: String,
    },
}

const ACTION_COLUMNS: &str = "id, instance_uuid, request_id, action, project_id, user_id, message, start_time, updated_at";

fn action_from(row: &AnyRow) -> Result<ActionRow> {
    Ok(ActionRow {
        id: row.try_get("id")?,
        instance_uuid: db::text(row, "instance_uuid")?,
        request_id: db::text(row, "request_id")?,
        action: db::text(row, "action")?,
        project_id: db::text(row, "project_id")?,
        user_id: db::text(row, "user_id")?,
        message: db::opt_text(row, "message")?,
        start_time: row.try_get("start_time")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl CellStore {
    /// Starts the action `action` of the request `request_id` on an instance.
    pub async fn start_action(&self, uuid: &str, request_id: &str, action: &str, project_id: &str, user_id: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        self.insert_action(&mut tx, uuid, request_id, action, project_id, user_id, common::time::now_micros()).await?;
        tx.commit().await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn insert_action(
        &self,
        tx: &mut Tx,
        uuid: &str,
        request_id: &str,
        action: &str,
        project_id: &str,
        user_id: &str,
        now: i64,
    ) -> Result<()> {
        let id = self.next_id(tx, "instance_actions").await?;
        sqlx::query(&self.sql(&format!("INSERT INTO instance_actions ({ACTION_COLUMNS}, finish_time) VALUES ({})", db::placeholders(10))))
            .bind(id)
            .bind(uuid)
            .bind(request_id)
            .bind(action)
            .bind(project_id)
            .bind(user_id)
            .bind(None::<String>)
            .bind(now)
            .bind(now)
            .bind(None::<i64>)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Starts the event `event` on `host` of the request's action on the instance.
    /// `Reference` when the request took no action on it.
    pub async fn start_event(&self, uuid: &str, request_id: &str, event: &str, host: Option<&str>) -> Result<()> {
        let now = common::time::now_micros();
        let mut tx = self.db.begin_write().await?;
        let action_id = self.action_id(&mut tx, uuid, request_id).await?;
        let id = self.next_id(&mut tx, "instance_action_events").await?;
        let inserted = sqlx::query(&self.sql(
            "INSERT INTO instance_action_events (id, action_id, event, host, result, details, start_time, finish_time) \
             VALUES (?, ?, ?, ?, NULL, NULL, ?, NULL)",
        ))
        .bind(id)
        .bind(action_id)
        .bind(event)
        .bind(host)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted.map_err(StoreError::from) {
            // A retried step (a reschedule to another host) restarts its event.
            Err(StoreError::Duplicate) => {
                tx.rollback().await?;
                let mut tx = self.db.begin_write().await?;
                sqlx::query(&self.sql(
                    "UPDATE instance_action_events SET host = ?, result = NULL, details = NULL, start_time = ?, \
                     finish_time = NULL WHERE action_id = ? AND event = ?",
                ))
                .bind(host)
                .bind(now)
                .bind(action_id)
                .bind(event)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(());
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        sqlx::query(&self.sql("UPDATE instance_actions SET updated_at = ? WHERE id = ?"))
            .bind(now)
            .bind(action_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finishes an event with `outcome`; an error marks its action failed too.
    pub async fn finish_event(&self, uuid: &str, request_id: &str, event: &str, outcome: &EventOutcome) -> Result<()> {
        let now = common::time::now_micros();
        let mut tx = self.db.begin_write().await?;
        let action_id = self.action_id(&mut tx, uuid, request_id).await?;
        let (result, details) = match outcome {
            EventOutcome::Success => ("Success", None),
            EventOutcome::Error { details } => ("Error", Some(details.as_str())),
        };
        let done = sqlx::query(
            &self.sql("UPDATE instance_action_events SET result = ?, details = ?, finish_time = ? WHERE action_id = ? AND event = ?"),
        )
        .bind(result)
        .bind(details)
        .bind(now)
        .bind(action_id)
        .bind(event)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::Reference);
        }
        let message = matches!(outcome, EventOutcome::Error { .. }).then_some("Error");
        sqlx::query(&self.sql("UPDATE instance_actions SET updated_at = ?, message = COALESCE(?, message) WHERE id = ?"))
            .bind(now)
            .bind(message)
            .bind(action_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn action_id(&self, tx: &mut Tx, uuid: &str, request_id: &str) -> Result<i64> {
        let row = sqlx::query(&self.sql("SELECT id FROM instance_actions WHERE instance_uuid = ? AND request_id = ?"))
            .bind(uuid)
            .bind(request_id)
            .fetch_optional(&mut **tx)
            .await?;
        match row {
            Some(r) => Ok(r.try_get("id")?),
            None => Err(StoreError::Reference),
        }
    }

    /// The instance's actions, newest first, changed at or after `changes_since` and at
    /// or before `changes_before` when given.
    pub async fn list_actions(&self, uuid: &str, changes_since: Option<i64>, changes_before: Option<i64>) -> Result<Vec<ActionRow>> {
        let rows = sqlx::query(&self.sql(&format!(
            "SELECT {ACTION_COLUMNS} FROM instance_actions WHERE instance_uuid = ? AND updated_at >= ? AND updated_at <= ? \
             ORDER BY start_time DESC, id DESC"
        )))
        .bind(uuid)
        .bind(changes_since.unwrap_or(i64::MIN))
        .bind(changes_before.unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(action_from).collect()
    }

    /// The action of `request_id` on the instance, with its events in the order taken.
    pub async fn action(&self, uuid: &str, request_id: &str) -> Result<Option<(ActionRow, Vec<EventRow>)>> {
        let row =
            sqlx::query(&self.sql(&format!("SELECT {ACTION_COLUMNS} FROM instance_actions WHERE instance_uuid = ? AND request_id = ?")))
                .bind(uuid)
                .bind(request_id)
                .fetch_optional(self.pool())
                .await?;
        let Some(row) = row else { return Ok(None) };
        let action = action_from(&row)?;
        let rows = sqlx::query(&self.sql(
            "SELECT event, host, result, details, start_time, finish_time FROM instance_action_events WHERE action_id = ? \
             ORDER BY start_time, id",
        ))
        .bind(action.id)
        .fetch_all(self.pool())
        .await?;
        let events = rows
            .iter()
            .map(|r| {
                Ok(EventRow {
                    event: db::text(r, "event")?,
                    host: db::opt_text(r, "host")?,
                    result: db::opt_text(r, "result")?,
                    details: db::opt_text(r, "details")?,
                    start_time: r.try_get("start_time")?,
                    finish_time: r.try_get("finish_time")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((action, events)))
    }
}
