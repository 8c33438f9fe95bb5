//! Tasks: who sees which, lists, and what happens to tasks a restart interrupted.
//! The tasks API is administrators' by default (`tasks_api_access`), as in Glance.

use common::RequestContext;
use common::time::now_micros;
use serde_json::Value;

use super::{Error, Images, Result};
use crate::store::TaskRow;

/// How long a finished task stays visible (`task_time_to_live`, 48 hours).
pub const TASK_TIME_TO_LIVE_MICROS: i64 = 48 * 3600 * 1_000_000;
/// Task statuses, in the order a task moves through them.
pub const TASK_STATUSES: [&str; 4] = ["pending", "processing", "success", "failure"];
/// Keys a task list may be sorted by.
pub const TASK_SORT_KEYS: [&str; 6] = ["created_at", "updated_at", "id", "status", "type", "expires_at"];

/// A task list request, checked on the wire.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub limit: Option<usize>,
    pub marker: Option<String>,
    /// Sort key (default `created_at`) and whether ascending (default no).
    pub sort: Option<(String, bool)>,
    pub status: Option<String>,
    pub kind: Option<String>,
}

/// One page of tasks; `full` when a next page may exist.
#[derive(Debug)]
pub struct TaskPage {
    pub tasks: Vec<TaskRow>,
    pub full: bool,
}

/// Tasks in the order `key` gives, ties broken by creation time and id.
fn compare(a: &TaskRow, b: &TaskRow, key: &str, ascending: bool) -> std::cmp::Ordering {
    let by_key = match key {
        "updated_at" => a.updated_at.cmp(&b.updated_at),
        "id" => a.id.cmp(&b.id),
        "status" => a.status.cmp(&b.status),
        "type" => a.kind.cmp(&b.kind),
        "expires_at" => a.expires_at.cmp(&b.expires_at),
        _ => a.created_at.cmp(&b.created_at),
    };
    let ord = by_key.then_with(|| a.created_at.cmp(&b.created_at)).then_with(|| a.id.cmp(&b.id));
    if ascending { ord } else { ord.reverse() }
}

impl Images {
    /// Refuses callers the tasks API is closed to, then those rule `rule` refuses.
    fn enforce_tasks(&self, ctx: &RequestContext, rule: &str) -> Result<()> {
        self.enforce(ctx, "tasks_api_access", &Value::Null)?;
        self.enforce(ctx, rule, &Value::Null)
    }

    /// Whether `ctx` sees `task`: administrators all, others their project's.
    fn sees_task(&self, ctx: &RequestContext, task: &TaskRow) -> Result<bool> {
        Ok(self.is_admin(ctx)? || (task.owner.is_some() && task.owner.as_deref() == ctx.project_id()))
    }

    /// Refuses callers who may not create tasks, before their request is read.
    pub fn check_task_creation(&self, ctx: &RequestContext) -> Result<()> {
        self.enforce_tasks(ctx, "add_task")
    }

    /// One task.
    pub async fn get_task(&self, ctx: &RequestContext, id: &str) -> Result<TaskRow> {
        self.enforce_tasks(ctx, "get_task")?;
        let task = self
            .store
            .get_task(id)
            .await?
            .filter(|t| t.expires_at.is_none_or(|at| at > now_micros()))
            .ok_or_else(|| Error::NotFound(format!("Task with the given ID {id} was not found")))?;
        if !self.sees_task(ctx, &task)? {
            return Err(Error::Forbidden(format!("Forbidden to get task {id}")));
        }
        Ok(task)
    }

    /// The tasks `ctx` sees that meet `query`, one page of them.
    pub async fn list_tasks(&self, ctx: &RequestContext, query: &TaskQuery) -> Result<TaskPage> {
        self.enforce_tasks(ctx, "get_tasks")?;
        let mut tasks = Vec::new();
        for task in self.store.list_tasks(None, now_micros()).await? {
            if self.sees_task(ctx, &task)?
                && query.status.as_ref().is_none_or(|s| s == &task.status)
                && query.kind.as_ref().is_none_or(|k| k == &task.kind)
            {
                tasks.push(task);
            }
        }
        let (key, ascending) = query.sort.clone().unwrap_or_else(|| ("created_at".into(), false));
        tasks.sort_by(|a, b| compare(a, b, &key, ascending));
        if let Some(marker) = &query.marker {
            let at = tasks.iter().position(|t| &t.id == marker).ok_or_else(|| Error::BadRequest(format!("Invalid marker {marker}.")))?;
            tasks.drain(..=at);
        }
        let limit = query.limit.unwrap_or(self.config.limit_param_default).min(self.config.api_limit_max);
        let full = tasks.len() >= limit;
        tasks.truncate(limit);
        Ok(TaskPage { tasks, full })
    }

    /// The tasks of an image `ctx` may see: administrators all of them, others those
    /// their project started.
    pub async fn image_tasks(&self, ctx: &RequestContext, image_id: &str) -> Result<Vec<TaskRow>> {
        self.get(ctx, image_id).await?;
        let mut seen = Vec::new();
        for task in self.store.list_tasks(Some(image_id), now_micros()).await? {
            if self.sees_task(ctx, &task)? {
                seen.push(task);
            }
        }
        Ok(seen)
    }

    /// Fails the tasks this process (its [`ImageConfig::worker`](super::ImageConfig))
    /// left unfinished when it stopped, and puts their images back to queued, so that
    /// nothing stays locked forever. Run once at start.
    pub async fn recover_interrupted_tasks(&self) -> Result<usize> {
        let now = now_micros();
        let mut recovered = 0;
        for mut task in self.store.list_tasks(None, now).await? {
            let mine = task.worker.as_ref().is_none_or(|w| w == &self.config.worker);
            if !mine || !matches!(task.status.as_str(), "pending" | "processing") {
                continue;
            }
            if let Some(image_id) = &task.image_id {
                self.store.end_import(image_id, true, "", now).await?;
                self.staging.remove(image_id).await.map_err(|e| Error::Internal(e.to_string()))?;
            }
            task.status = "failure".into();
            task.message = "The server stopped before this task finished.".into();
            task.updated_at = now;
            task.expires_at = Some(now + TASK_TIME_TO_LIVE_MICROS);
            self.store.update_task(&task).await?;
            recovered += 1;
        }
        Ok(recovered)
    }

    /// Forgets tasks whose time to live has passed.
    pub async fn purge_expired_tasks(&self) -> Result<u64> {
        Ok(self.store.purge_expired_tasks(now_micros()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImageConfig;
    use crate::store::{Backends, FileStore, ImageRow, Store};

    fn image(id: &str) -> ImageRow {
        ImageRow { status: "uploading".into(), size: Some(3), ..ImageRow::example(id) }
    }

    fn task(id: &str, image_id: &str, worker: &str) -> TaskRow {
        TaskRow {
            id: id.into(),
            kind: "api_image_import".into(),
            status: "processing".into(),
            owner: Some("p".into()),
            user_id: None,
            request_id: None,
            image_id: Some(image_id.into()),
            input: serde_json::json!({}),
            result: None,
            message: String::new(),
            expires_at: None,
            created_at: 2,
            updated_at: 2,
            worker: Some(worker.into()),
        }
    }

    #[tokio::test]
    async fn a_restart_fails_only_its_own_unfinished_tasks() {
        let test_db = db::testing::sqlite().await;
        let store = Store::new(test_db.db.clone());
        store.migrate().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let backends = Backends::single(&dir.path().join("images")).unwrap();
        let staging = FileStore::open(&dir.path().join("staging")).unwrap();
        let config = ImageConfig { worker: "me".into(), ..ImageConfig::default() };
        let images = Images::new(store.clone(), backends, staging, config, super::super::policy::default_policy().unwrap()).unwrap();
        for (image_id, task_id, worker) in [("i1", "t1", "me"), ("i2", "t2", "another")] {
            store.create_image(&image(image_id)).await.unwrap();
            assert!(store.begin_import(image_id, "uploading", "importing", "", &task(task_id, image_id, worker)).await.unwrap());
        }

        assert_eq!(images.recover_interrupted_tasks().await.unwrap(), 1);
        let mine = store.get_task("t1").await.unwrap().unwrap();
        assert_eq!(mine.status, "failure");
        assert!(mine.expires_at.is_some());
        let requeued = store.get_image("i1").await.unwrap().unwrap();
        assert_eq!(requeued.status, "queued");
        assert!(!requeued.properties.contains_key("os_glance_import_task"), "the lock is released");
        assert_eq!(store.get_task("t2").await.unwrap().unwrap().status, "processing", "another process's task runs on");
        assert_eq!(store.get_image("i2").await.unwrap().unwrap().status, "importing");
    }
}
