//! The message bus that joins a service's components (api → conductor → scheduler →
//! agents), with oslo.messaging's three patterns:
//!
//! - **call**: a request to one server of a topic, waiting (bounded) for its answer;
//! - **cast**: a request to one server of a topic, not waiting;
//! - **fanout**: a request to every server of a topic.
//!
//! A [`Target`] names a topic and optionally one server (`compute` or `compute.host1`).
//! Every message carries the request id of the API request that caused it, so one id
//! follows a request across components. Handlers must be idempotent: a transport may
//! deliver a message twice.
//!
//! [`InProcessBus`] serves one process; an AMQP transport fills the same trait when
//! components run apart.

mod amqp;
mod in_process;
mod notifier;

use std::sync::Arc;
use std::time::Duration;

pub use amqp::AmqpBus;
pub use in_process::InProcessBus;
pub use notifier::{INFO_TOPIC, Notifier, versioned};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a message goes: every server of a topic, or one named server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    /// The topic (`conductor`, `scheduler`, `compute`).
    pub topic: String,
    /// One server of the topic (a host name), or any/all.
    pub server: Option<String>,
}

impl Target {
    /// Any server of `topic`.
    pub fn topic(topic: &str) -> Self {
        Target { topic: topic.to_owned(), server: None }
    }

    /// Server `server` of `topic`.
    pub fn server(topic: &str, server: &str) -> Self {
        Target { topic: topic.to_owned(), server: Some(server.to_owned()) }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.server {
            Some(s) => write!(f, "{}.{s}", self.topic),
            None => f.write_str(&self.topic),
        }
    }
}

/// A request on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The method the server should run.
    pub method: String,
    /// Its arguments.
    pub args: Value,
    /// The request id of the API request behind this message.
    pub request_id: String,
}

/// Why a bus operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BusError {
    /// No server listens on the target.
    #[error("no server is listening on {0}")]
    NoListener(String),
    /// The server did not answer a call in time.
    #[error("no answer from {target} within {timeout:?}")]
    Timeout { target: String, timeout: Duration },
    /// The server's handler failed; carries its error.
    #[error("{target} failed to handle {method}: {error}")]
    Remote { target: String, method: String, error: String },
    /// The transport itself failed (connection lost, queue full).
    #[error("bus transport failure: {0}")]
    Transport(String),
}

/// What a server runs for each message it receives.
#[async_trait::async_trait]
pub trait Handler: Send + Sync {
    /// Handles one message; the value is the answer to a call (ignored for casts).
    async fn handle(&self, message: Message) -> Result<Value, String>;
}

/// A transport.
#[async_trait::async_trait]
pub trait Bus: Send + Sync {
    /// Sends to one server of the target and waits at most `timeout` for the answer.
    async fn call(&self, target: &Target, message: Message, timeout: Duration) -> Result<Value, BusError>;

    /// Sends to one server of the target without waiting for it to be handled.
    async fn cast(&self, target: &Target, message: Message) -> Result<(), BusError>;

    /// Sends to every server of the topic; succeeds even when none listens.
    async fn fanout(&self, topic: &str, message: Message) -> Result<(), BusError>;

    /// Starts serving `topic` as server `server` until the returned guard is dropped.
    async fn serve(&self, topic: &str, server: &str, handler: Arc<dyn Handler>) -> Result<Serving, BusError>;
}

/// Keeps a server registered; dropping it stops the server.
pub struct Serving {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Serving {
    fn new(stop: tokio::sync::oneshot::Sender<()>) -> Self {
        Serving { stop: Some(stop) }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
