//! Interoperable import: data is staged first (`PUT /stage`, queued → uploading), then
//! `POST /import` starts a task that moves it into the store after the request has
//! returned (uploading → importing → active, or back to queued on failure). The task
//! and the image's `os_glance_*` properties let clients follow it.

use std::sync::Arc;

use bytes::Bytes;
use common::RequestContext;
use common::time::now_micros;
use futures_util::Stream;
use serde_json::{Value, json};

use super::quotas::Claim;
use super::tasks::TASK_TIME_TO_LIVE_MICROS;
use super::{Error, Images, Result};
use crate::store::TaskRow;

/// The import methods this service offers (`enabled_import_methods`).
pub const IMPORT_METHODS: [&str; 1] = ["glance-direct"];

/// An import request as the client sent it.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The method's name (`glance-direct`).
    pub method: String,
    /// The whole request body, which the task keeps as `input.import_req`.
    pub body: Value,
}

impl Images {
    /// Stages data for a later `glance-direct` import: only a queued image takes it,
    /// and a failed stage leaves it queued with nothing staged.
    pub async fn stage<S, E>(&self, ctx: &RequestContext, id: &str, body: S) -> Result<()>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let image = self.changeable(ctx, id, "modify_image").await?;
        let room = self.enforce_quota(image.owner.as_deref(), Claim::Stage).await?;
        if !self.store.transition(id, "queued", "uploading", now_micros()).await? {
            return Err(Error::Conflict(format!("Image {id} is {}: only a queued image can be staged.", image.status)));
        }
        let limit = room.map_or(self.config.image_size_cap, |room| room.min(self.config.image_size_cap));
        let staged = match self.staging.write(id, body, Some(limit)).await {
            Ok(staged) => staged,
            Err(e) => {
                self.store.transition(id, "uploading", "queued", now_micros()).await?;
                return Err(e.into());
            }
        };
        let size = staged.data.size;
        if let Err(e) = self.staging.commit(id, staged).await {
            self.store.transition(id, "uploading", "queued", now_micros()).await?;
            return Err(Error::Internal(format!("staging the data of image {id}: {e}")));
        }
        if !self.store.set_staged_size(id, size, now_micros()).await? {
            self.staging.remove(id).await.map_err(|e| Error::Internal(e.to_string()))?;
            return Err(Error::Gone(format!("Image {id} was deleted while its data was being staged.")));
        }
        Ok(())
    }

    /// Starts an import and returns once its task is recorded; the work goes on in
    /// the background.
    pub async fn import(self: &Arc<Self>, ctx: &RequestContext, id: &str, req: ImportRequest) -> Result<()> {
        if !IMPORT_METHODS.contains(&req.method.as_str()) {
            return Err(Error::BadRequest(format!("Unknown import method name '{}'.", req.method)));
        }
        let image = self.changeable(ctx, id, "modify_image").await?;
        if image.disk_format.is_none() || image.container_format.is_none() {
            return Err(Error::Conflict("'disk_format' and 'container_format' must be set prior to importing data.".into()));
        }
        if image.status != "uploading" {
            return Err(Error::Conflict(format!(
                "Image {id} is {}: it needs to be staged before the 'glance-direct' method can be used.",
                image.status
            )));
        }
        self.enforce_quota(image.owner.as_deref(), Claim::Import(image.size.unwrap_or(0))).await?;
        let now = now_micros();
        let task = TaskRow {
            id: uuid::Uuid::new_v4().to_string(),
            kind: "api_image_import".into(),
            status: "pending".into(),
            owner: ctx.project_id().map(str::to_owned),
            user_id: Some(ctx.user_id.clone()),
            request_id: Some(ctx.request_id.clone()),
            image_id: Some(id.to_owned()),
            input: json!({"image_id": id, "import_req": req.body, "backend": [null]}),
            result: None,
            message: String::new(),
            expires_at: None,
            created_at: now,
            updated_at: now,
        };
        if !self.store.begin_import(id, "uploading", "importing", &task).await? {
            return Err(Error::Conflict(format!("Image {id} has an active import task, or is no longer staged.")));
        }
        let this = Arc::clone(self);
        tokio::spawn(async move { this.run_import(task).await });
        Ok(())
    }

    /// Runs an import task to its end and records how it went.
    async fn run_import(&self, mut task: TaskRow) {
        let id = task.image_id.clone().unwrap_or_default();
        task.status = "processing".into();
        task.updated_at = now_micros();
        if let Err(e) = self.store.update_task(&task).await {
            tracing::error!(task = %task.id, error = %e, "recording an import task's progress failed");
        }
        let outcome = self.import_staged(&id).await;
        let now = now_micros();
        if let Err(e) = self.store.end_import(&id, outcome.is_err(), now).await {
            tracing::error!(image = %id, error = %e, "releasing an image's import lock failed");
        }
        if let Err(e) = self.staging.remove(&id).await {
            tracing::warn!(image = %id, error = %e, "removing staged data failed");
        }
        match outcome {
            Ok(()) => {
                task.status = "success".into();
                task.result = Some(json!({"image_id": id}));
            }
            Err(e) => {
                tracing::warn!(image = %id, task = %task.id, error = %e, "image import failed");
                task.status = "failure".into();
                task.message = e.to_string();
            }
        }
        task.updated_at = now;
        task.expires_at = Some(now + TASK_TIME_TO_LIVE_MICROS);
        if let Err(e) = self.store.update_task(&task).await {
            tracing::error!(task = %task.id, error = %e, "recording an import task's end failed");
        }
    }

    /// Copies staged data into the store, hashing it on the way, and activates the image.
    async fn import_staged(&self, id: &str) -> Result<()> {
        let staged = tokio::fs::File::open(self.staging.path(id))
            .await
            .map_err(|e| Error::Internal(format!("the staged data of image {id} cannot be read: {e}")))?;
        let written = self.files.write(id, tokio_util::io::ReaderStream::new(staged), Some(self.config.image_size_cap)).await?;
        let data = written.data.clone();
        self.files.commit(id, written).await.map_err(|e| Error::Internal(format!("storing the data of image {id}: {e}")))?;
        if !self.store.activate(id, "importing", &data, now_micros()).await? {
            self.files.remove(id).await.map_err(|e| Error::Internal(e.to_string()))?;
            return Err(Error::Gone(format!("Image {id} was deleted during its import.")));
        }
        Ok(())
    }
}
