//! The placement API, as compute's agents and scheduler use it.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::{ClientError, Session};

/// The microversion every call asks for.
const MICROVERSION: &str = "placement 1.39";

/// How often a write that lost a generation race is retried with a fresh generation.
const GENERATION_RETRIES: usize = 5;

/// One resource class of a provider's inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    pub resource_class: String,
    pub total: i64,
    pub reserved: i64,
    pub min_unit: i64,
    pub max_unit: i64,
    pub step_size: i64,
    pub allocation_ratio: f64,
}

/// A placement client acting as a service user.
pub struct Placement {
    session: Arc<Session>,
    region: String,
    endpoint: OnceCell<String>,
}

impl Placement {
    /// A client for the placement endpoint of `region` in the session's catalog.
    pub fn new(session: Arc<Session>, region: &str) -> Self {
        Placement { session, region: region.to_owned(), endpoint: OnceCell::new() }
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>, request_id: &str) -> Result<(StatusCode, Value), ClientError> {
        let base = self.endpoint.get_or_try_init(|| self.session.endpoint("placement", &self.region)).await?;
        let url = format!("{base}{path}");
        self.session.send(method, &url, body, &[("openstack-api-version", MICROVERSION)], request_id).await
    }

    fn refused(method: &Method, path: &str, status: StatusCode, body: &Value) -> ClientError {
        ClientError::Status {
            service: "placement",
            method: method.to_string(),
            path: path.to_owned(),
            status: status.as_u16(),
            body: body.to_string(),
        }
    }

    /// Creates the root provider `uuid` named `name` unless it exists.
    pub async fn ensure_provider(&self, uuid: &str, name: &str, request_id: &str) -> Result<(), ClientError> {
        let path = format!("/resource_providers/{uuid}");
        match self.call(Method::GET, &path, None, request_id).await? {
            (StatusCode::OK, _) => return Ok(()),
            (StatusCode::NOT_FOUND, _) => {}
            (status, body) => return Err(Self::refused(&Method::GET, &path, status, &body)),
        }
        let body = json!({"uuid": uuid, "name": name});
        match self.call(Method::POST, "/resource_providers", Some(&body), request_id).await? {
            (StatusCode::OK, _) => Ok(()),
            // Another agent of the same host got there first.
            (StatusCode::CONFLICT, _) if self.call(Method::GET, &path, None, request_id).await?.0 == StatusCode::OK => Ok(()),
            (status, body) => Err(Self::refused(&Method::POST, "/resource_providers", status, &body)),
        }
    }

    /// Replaces a provider's whole inventory, retrying when its generation moved.
    pub async fn set_inventory(&self, uuid: &str, inventories: &[Inventory], request_id: &str) -> Result<(), ClientError> {
        let path = format!("/resource_providers/{uuid}/inventories");
        let classes: serde_json::Map<String, Value> = inventories
            .iter()
            .map(|i| {
                let body = json!({"total": i.total, "reserved": i.reserved, "min_unit": i.min_unit, "max_unit": i.max_unit,
                                  "step_size": i.step_size, "allocation_ratio": i.allocation_ratio});
                (i.resource_class.clone(), body)
            })
            .collect();
        let mut last = None;
        for _ in 0..GENERATION_RETRIES {
            let (status, current) = self.call(Method::GET, &path, None, request_id).await?;
            if status != StatusCode::OK {
                return Err(Self::refused(&Method::GET, &path, status, &current));
            }
            if current["inventories"] == Value::Object(classes.clone()) {
                return Ok(());
            }
            let body = json!({"resource_provider_generation": current["resource_provider_generation"], "inventories": classes});
            match self.call(Method::PUT, &path, Some(&body), request_id).await? {
                (StatusCode::OK, _) => return Ok(()),
                (StatusCode::CONFLICT, b) if b.to_string().contains("placement.concurrent_update") => last = Some(b),
                (status, b) => return Err(Self::refused(&Method::PUT, &path, status, &b)),
            }
        }
        Err(Self::refused(&Method::PUT, &path, StatusCode::CONFLICT, &last.unwrap_or(Value::Null)))
    }

    /// Deletes a provider; one that is already gone is fine.
    pub async fn delete_provider(&self, uuid: &str, request_id: &str) -> Result<(), ClientError> {
        let path = format!("/resource_providers/{uuid}");
        match self.call(Method::DELETE, &path, None, request_id).await? {
            (StatusCode::NO_CONTENT | StatusCode::NOT_FOUND, _) => Ok(()),
            (status, body) => Err(Self::refused(&Method::DELETE, &path, status, &body)),
        }
    }

    /// Adds (`member`) or removes a placement aggregate of a provider, retrying when
    /// the provider's generation moved. A provider that does not exist is a 404 error.
    pub async fn set_provider_aggregate(&self, uuid: &str, aggregate: &str, member: bool, request_id: &str) -> Result<(), ClientError> {
        let path = format!("/resource_providers/{uuid}/aggregates");
        let mut last = None;
        for _ in 0..GENERATION_RETRIES {
            let (status, current) = self.call(Method::GET, &path, None, request_id).await?;
            if status != StatusCode::OK {
                return Err(Self::refused(&Method::GET, &path, status, &current));
            }
            let mut aggregates: Vec<String> =
                current["aggregates"].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_owned)).collect();
            let present = aggregates.iter().any(|a| a == aggregate);
            if present == member {
                return Ok(());
            }
            if member {
                aggregates.push(aggregate.to_owned());
            } else {
                aggregates.retain(|a| a != aggregate);
            }
            let body = json!({"aggregates": aggregates, "resource_provider_generation": current["resource_provider_generation"]});
            match self.call(Method::PUT, &path, Some(&body), request_id).await? {
                (StatusCode::OK, _) => return Ok(()),
                (StatusCode::CONFLICT, b) if b.to_string().contains("placement.concurrent_update") => last = Some(b),
                (status, b) => return Err(Self::refused(&Method::PUT, &path, status, &b)),
            }
        }
        Err(Self::refused(&Method::PUT, &path, StatusCode::CONFLICT, &last.unwrap_or(Value::Null)))
    }

    /// The allocation candidates for `resources` (class → amount) with every trait of
    /// `required`, at most `limit` of them: placement's body as it answers it
    /// (`allocation_requests` and `provider_summaries`).
    pub async fn allocation_candidates(
        &self,
        resources: &std::collections::BTreeMap<String, i64>,
        required: &[String],
        limit: usize,
        request_id: &str,
    ) -> Result<Value, ClientError> {
        let mut query: Vec<(&str, String)> = vec![
            ("resources", resources.iter().map(|(c, n)| format!("{c}:{n}")).collect::<Vec<_>>().join(",")),
            ("limit", limit.to_string()),
        ];
        if !required.is_empty() {
            query.push(("required", required.join(",")));
        }
        let query = serde_urlencoded::to_string(&query).map_err(|e| ClientError::Unavailable(e.to_string()))?;
        let path = format!("/allocation_candidates?{query}");
        match self.call(Method::GET, &path, None, request_id).await? {
            (StatusCode::OK, body) => Ok(body),
            (status, body) => Err(Self::refused(&Method::GET, &path, status, &body)),
        }
    }

    /// Claims `allocations` (an allocation request's `allocations`) for the new consumer
    /// `consumer` of `project_id`/`user_id`; `false` when the resources were taken
    /// meanwhile or the consumer holds allocations already.
    pub async fn claim(
        &self,
        consumer: &str,
        allocations: &Value,
        project_id: &str,
        user_id: &str,
        request_id: &str,
    ) -> Result<bool, ClientError> {
        let path = format!("/allocations/{consumer}");
        // A new consumer (generation null), of Nova's type for servers.
        let body = json!({
            "allocations": allocations, "project_id": project_id, "user_id": user_id,
            "consumer_generation": null, "consumer_type": "INSTANCE",
        });
        match self.call(Method::PUT, &path, Some(&body), request_id).await? {
            (StatusCode::NO_CONTENT, _) => Ok(true),
            (StatusCode::CONFLICT, _) => Ok(false),
            (status, b) => Err(Self::refused(&Method::PUT, &path, status, &b)),
        }
    }

    /// Frees every allocation of `consumer`; one without any is fine.
    pub async fn free(&self, consumer: &str, request_id: &str) -> Result<(), ClientError> {
        let path = format!("/allocations/{consumer}");
        match self.call(Method::DELETE, &path, None, request_id).await? {
            (StatusCode::NO_CONTENT | StatusCode::NOT_FOUND, _) => Ok(()),
            (status, body) => Err(Self::refused(&Method::DELETE, &path, status, &body)),
        }
    }

    /// The allocations `consumer` holds, by provider (placement's `allocations` object).
    pub async fn allocations(&self, consumer: &str, request_id: &str) -> Result<Value, ClientError> {
        let path = format!("/allocations/{consumer}");
        match self.call(Method::GET, &path, None, request_id).await? {
            (StatusCode::OK, body) => Ok(body["allocations"].clone()),
            (status, body) => Err(Self::refused(&Method::GET, &path, status, &body)),
        }
    }
}
