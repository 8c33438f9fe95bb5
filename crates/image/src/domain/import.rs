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

use super::NewImage;
use crate::store::{FileStore, ImageData, ImageRow};

use super::quotas::Claim;
use super::tasks::TASK_TIME_TO_LIVE_MICROS;
use super::{Error, Images, Result};
use crate::store::TaskRow;

/// An import request as the client sent it.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The method's name (`glance-direct`, `web-download` or `copy-image`).
    pub method: String,
    /// Where `web-download` fetches the data (`method.uri`).
    pub uri: Option<String>,
    /// The stores named in the body (`stores`).
    pub stores: Option<Vec<String>>,
    /// The store the `X-Image-Meta-Store` header names.
    pub header_store: Option<String>,
    /// Import into every store (`all_stores`).
    pub all_stores: bool,
    /// Fail the whole import when one store fails (`all_stores_must_succeed`, default true).
    pub all_stores_must_succeed: bool,
    /// The whole request body, which the task keeps as `input.import_req`.
    pub body: Value,
}

/// Where an import's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// Data staged earlier (`glance-direct`).
    Staged,
    /// A URL to fetch first (`web-download`, and the legacy `import` task).
    Web(String),
    /// The image's own data, in a store that holds it (`copy-image`).
    Copy,
}

/// What an import task does, decided when it starts.
struct ImportJob {
    task: TaskRow,
    /// The stores to write, in order.
    targets: Vec<String>,
    source: Source,
    must_succeed: bool,
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

    /// The import methods offered (`enabled_import_methods`): `copy-image` only where
    /// there are several stores to copy between.
    pub fn import_methods(&self) -> Vec<&'static str> {
        if self.backends.is_multiple() {
            vec!["glance-direct", "web-download", "copy-image"]
        } else {
            vec!["glance-direct", "web-download"]
        }
    }

    /// The stores an import writes, as Glance picks them: every store, or those the
    /// body names, or the header's, or the default; for a copy, none already holding
    /// the data.
    fn import_targets(&self, req: &ImportRequest, image: &ImageRow, copy: bool) -> Result<Vec<String>> {
        if !self.backends.is_multiple() {
            if !req.all_stores_must_succeed {
                return Err(Error::BadRequest("'all_stores_must_succeed' can only be false where there are several stores.".into()));
            }
            return Ok(vec![self.backends.default_id().to_owned()]);
        }
        if req.all_stores && (req.stores.is_some() || req.header_store.is_some()) {
            return Err(Error::BadRequest("'all_stores' cannot be combined with 'stores' or the X-Image-Meta-Store header.".into()));
        }
        let targets: Vec<String> = if req.all_stores {
            self.backends.all().iter().map(|b| b.id.clone()).filter(|s| !(copy && image.stores.contains(s))).collect()
        } else if let Some(stores) = &req.stores {
            stores.clone()
        } else if let Some(store) = &req.header_store {
            vec![store.clone()]
        } else {
            vec![self.backends.default_id().to_owned()]
        };
        if let Some(unknown) = targets.iter().find(|s| self.backends.get(s).is_none()) {
            return Err(Error::Conflict(format!("Store for identifier {unknown} not found")));
        }
        if let Some(held) = targets.iter().find(|s| copy && image.stores.contains(s)) {
            return Err(Error::BadRequest(format!("Image {} is already present at store {held}", image.id)));
        }
        let mut seen = std::collections::HashSet::new();
        Ok(targets.into_iter().filter(|s| seen.insert(s.clone())).collect())
    }

    /// Starts an import and returns once its task is recorded; the work goes on in
    /// the background. A copy to stores that all hold the data already does nothing.
    pub async fn import(self: &Arc<Self>, ctx: &RequestContext, id: &str, req: ImportRequest) -> Result<()> {
        if !self.import_methods().contains(&req.method.as_str()) {
            return Err(Error::BadRequest(format!("Unknown import method name '{}'.", req.method)));
        }
        let copy = req.method == "copy-image";
        let source = match req.method.as_str() {
            "copy-image" => Source::Copy,
            "web-download" => {
                let uri = req.uri.clone().ok_or_else(|| Error::BadRequest("URI is required for the web-download import method.".into()))?;
                self.web.check(&uri)?;
                Source::Web(uri)
            }
            _ => Source::Staged,
        };
        let image = if copy {
            let seen = self.visible(ctx, id).await?;
            self.enforce(ctx, "copy_image", &seen.target())?;
            seen.image
        } else {
            self.changeable(ctx, id, "modify_image").await?
        };
        if image.disk_format.is_none() || image.container_format.is_none() {
            return Err(Error::Conflict("'disk_format' and 'container_format' must be set prior to importing data.".into()));
        }
        let (from, to) = match source {
            Source::Copy => ("active", "active"),
            Source::Web(_) => ("queued", "importing"),
            Source::Staged => ("uploading", "importing"),
        };
        if image.status != from {
            return Err(Error::Conflict(match source {
                Source::Copy => format!("Image {id} is {}: only an active image's data can be copied.", image.status),
                Source::Web(_) => format!("Image {id} is {}: web-download needs a queued image.", image.status),
                Source::Staged => {
                    format!("Image {id} is {}: it needs to be staged before the 'glance-direct' method can be used.", image.status)
                }
            }));
        }
        let targets = self.import_targets(&req, &image, copy)?;
        if targets.is_empty() {
            return Ok(());
        }
        let bytes = image.size.unwrap_or(0) * i64::try_from(if copy { targets.len() } else { 1 }).unwrap_or(i64::MAX);
        self.enforce_quota(image.owner.as_deref(), Claim::Import(bytes)).await?;
        let input = json!({
            "image_id": id,
            "import_req": req.body,
            "backend": if self.backends.is_multiple() { json!(targets) } else { json!([null]) },
        });
        let task = self.new_task(ctx, "api_image_import", id, input);
        self.start_import(id, from, to, ImportJob { task, targets, source, must_succeed: req.all_stores_must_succeed }).await
    }

    /// A pending task of `kind` on image `image_id`, started by `ctx` in this process.
    fn new_task(&self, ctx: &RequestContext, kind: &str, image_id: &str, input: Value) -> TaskRow {
        let now = now_micros();
        TaskRow {
            id: uuid::Uuid::new_v4().to_string(),
            kind: kind.to_owned(),
            status: "pending".into(),
            owner: ctx.project_id().map(str::to_owned),
            user_id: Some(ctx.user_id.clone()),
            request_id: Some(ctx.request_id.clone()),
            image_id: Some(image_id.to_owned()),
            input,
            result: None,
            message: String::new(),
            expires_at: None,
            created_at: now,
            updated_at: now,
            worker: Some(self.config.worker.clone()),
        }
    }

    /// Records an import's task and takes the image's import lock, then runs the job
    /// in the background.
    async fn start_import(self: &Arc<Self>, id: &str, from: &str, to: &str, job: ImportJob) -> Result<()> {
        let importing_to = if self.backends.is_multiple() { job.targets.join(",") } else { String::new() };
        if !self.store.begin_import(id, from, to, &importing_to, &job.task).await? {
            return Err(Error::Conflict(format!("Image {id} has an active import task, or changed status meanwhile.")));
        }
        let this = Arc::clone(self);
        tokio::spawn(async move { this.run_import(job).await });
        Ok(())
    }

    /// Creates an image and imports data from a URL into it, as Glance's legacy
    /// `import` task does (`POST /v2/tasks`); returns the task.
    pub async fn create_import_task(self: &Arc<Self>, ctx: &RequestContext, new: NewImage, uri: &str, input: Value) -> Result<TaskRow> {
        self.check_task_creation(ctx)?;
        self.web.check(uri)?;
        let image = self.create(ctx, new).await?;
        let task = self.new_task(ctx, "import", &image.id, input);
        let targets = vec![self.backends.default_id().to_owned()];
        let job = ImportJob { task: task.clone(), targets, source: Source::Web(uri.to_owned()), must_succeed: true };
        self.start_import(&image.id, "queued", "importing", job).await?;
        Ok(task)
    }

    /// Runs an import task to its end and records how it went.
    async fn run_import(&self, job: ImportJob) {
        let ImportJob { mut task, targets, source, must_succeed } = job;
        let copy = source == Source::Copy;
        let id = task.image_id.clone().unwrap_or_default();
        task.status = "processing".into();
        task.updated_at = now_micros();
        if let Err(e) = self.store.update_task(&task).await {
            tracing::error!(task = %task.id, error = %e, "recording an import task's progress failed");
        }
        let (written, failed) = match &source {
            Source::Copy => self.copy_data(&id, &targets).await,
            Source::Staged => self.import_staged(&id, &targets, must_succeed).await,
            Source::Web(uri) => match self.fetch_to_staging(&id, uri).await {
                Ok(()) => self.import_staged(&id, &targets, must_succeed).await,
                // Every store failed to get the data.
                Err(e) => (Ok(Vec::new()), targets.iter().map(|t| (t.clone(), e.to_string())).collect()),
            },
        };
        let outcome = match written {
            Ok(stores) if stores.is_empty() => Err(Error::Internal("no store took the data".into())),
            Ok(_) if must_succeed && !failed.is_empty() => Err(Error::Internal("not every store took the data".into())),
            other => other.map(|_| ()),
        };
        let failed_stores: Vec<&str> = failed.iter().map(|(store, _)| store.as_str()).collect();
        let now = now_micros();
        if let Err(e) = self.store.end_import(&id, outcome.is_err() && !copy, &failed_stores.join(","), now).await {
            tracing::error!(image = %id, error = %e, "releasing an image's import lock failed");
        }
        if !copy && let Err(e) = self.staging.remove(&id).await {
            tracing::warn!(image = %id, error = %e, "removing staged data failed");
        }
        match outcome {
            Ok(()) => {
                task.status = "success".into();
                task.result = Some(json!({"image_id": id}));
            }
            Err(e) => {
                let why: Vec<String> = failed.iter().map(|(store, why)| format!("{store}: {why}")).collect();
                task.message = if why.is_empty() { e.to_string() } else { why.join("; ") };
                tracing::warn!(image = %id, task = %task.id, error = %task.message, "image import failed");
                task.status = "failure".into();
            }
        }
        task.updated_at = now;
        task.expires_at = Some(now + TASK_TIME_TO_LIVE_MICROS);
        if let Err(e) = self.store.update_task(&task).await {
            tracing::error!(task = %task.id, error = %e, "recording an import task's end failed");
        }
    }

    /// Fetches `uri` into the staging area as image `id`'s data, within the size cap
    /// and the owner's quota.
    async fn fetch_to_staging(&self, id: &str, uri: &str) -> Result<()> {
        let owner = self.store.get_image(id).await?.and_then(|i| i.owner);
        let room = self.enforce_quota(owner.as_deref(), Claim::Fetch).await?;
        let limit = room.map_or(self.config.image_size_cap, |room| room.min(self.config.image_size_cap));
        let body = self.web.fetch(uri).await?;
        let staged = self.staging.write(id, body, Some(limit)).await?;
        self.staging.commit(id, staged).await.map_err(|e| Error::Internal(format!("staging the data of image {id}: {e}")))
    }

    /// Writes the staged data into each target store, then activates the image with
    /// the stores that took it; when one store must not fail and does, none keeps it.
    /// Returns the stores written and those that failed, with why.
    async fn import_staged(&self, id: &str, targets: &[String], must_succeed: bool) -> (Result<Vec<String>>, Vec<(String, String)>) {
        let source = self.staging.path(id);
        let (mut written, mut failed, mut data) = (Vec::new(), Vec::new(), None);
        for store in targets {
            let Some(files) = self.backends.get(store) else { continue };
            match copy_file(&source, id, files, self.config.image_size_cap).await {
                Ok(d) => {
                    data = Some(d);
                    written.push(store.clone());
                }
                Err(e) => failed.push((store.clone(), e.to_string())),
            }
        }
        let keep = data.is_some() && (failed.is_empty() || !must_succeed);
        if keep && let Some(data) = &data {
            match self.store.activate(id, "importing", data, &written, now_micros()).await {
                Ok(true) => return (Ok(written), failed),
                // Only this task moves the image out of importing (it holds the import
                // lock), so the image was deleted: its data goes too.
                Ok(false) => failed.push((String::new(), format!("image {id} was deleted during its import"))),
                Err(e) => {
                    // Whether the image was activated is unknown: keep the data.
                    failed.push((String::new(), e.to_string()));
                    return (Err(Error::Internal(format!("activating image {id}: {e}"))), failed);
                }
            }
        }
        for store in &written {
            if let Some(files) = self.backends.get(store)
                && let Err(e) = files.remove(id).await
            {
                tracing::warn!(image = %id, store = %store, error = %e, "removing the data of a failed import failed");
            }
        }
        (Ok(Vec::new()), failed)
    }

    /// Copies an active image's data from a store that holds it to each target,
    /// recording each copy as it lands.
    async fn copy_data(&self, id: &str, targets: &[String]) -> (Result<Vec<String>>, Vec<(String, String)>) {
        let image = match self.store.get_image(id).await {
            Ok(Some(image)) => image,
            Ok(None) => return (Err(Error::Gone(format!("Image {id} was deleted during its copy."))), Vec::new()),
            Err(e) => return (Err(e.into()), Vec::new()),
        };
        let Some(source) = image.stores.iter().find_map(|s| self.backends.get(s)).map(|f| f.path(id)) else {
            return (Err(Error::Internal(format!("image {id} is held by no configured store"))), Vec::new());
        };
        let (mut written, mut failed) = (Vec::new(), Vec::new());
        for store in targets {
            let Some(files) = self.backends.get(store) else { continue };
            let copied = match copy_file(&source, id, files, self.config.image_size_cap).await {
                Ok(data) if Some(&data.checksum) != image.checksum.as_ref() => {
                    Err("the copy's checksum differs from the image's".to_owned())
                }
                Ok(_) => match self.store.add_location(id, store, now_micros()).await {
                    Ok(true) => Ok(()),
                    Ok(false) => Err("the image is no longer active".to_owned()),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e.to_string()),
            };
            match copied {
                Ok(()) => written.push(store.clone()),
                Err(why) => {
                    let _ = files.remove(id).await;
                    failed.push((store.clone(), why));
                }
            }
        }
        (Ok(written), failed)
    }
}

/// Streams the file at `source` into `files` as image `id`'s data, hashing it on the way.
async fn copy_file(source: &std::path::Path, id: &str, files: &FileStore, cap: u64) -> Result<ImageData> {
    let file = tokio::fs::File::open(source).await.map_err(|e| Error::Internal(format!("the data of image {id} cannot be read: {e}")))?;
    let written = files.write(id, crate::store::read_stream(file), Some(cap)).await?;
    let data = written.data.clone();
    files.commit(id, written).await.map_err(|e| Error::Internal(format!("storing the data of image {id}: {e}")))?;
    Ok(data)
}
