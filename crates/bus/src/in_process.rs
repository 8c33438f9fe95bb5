//! The bus inside one process: bounded channels, one per server, and round-robin over a
//! topic's servers for calls and casts.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::RwLock;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::{Bus, BusError, Handler, Message, Serving, Target};

/// Messages a server may have waiting before senders are told the bus is full.
const QUEUE_DEPTH: usize = 1024;

struct Envelope {
    message: Message,
    reply: Option<oneshot::Sender<Result<Value, String>>>,
}

struct Server {
    id: usize,
    name: String,
    inbox: mpsc::Sender<Envelope>,
}

/// An in-process bus.
#[derive(Default, Clone)]
pub struct InProcessBus {
    topics: Arc<RwLock<HashMap<String, Vec<Server>>>>,
    next: Arc<AtomicUsize>,
}

impl InProcessBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// The inbox of the server a message for `target` goes to: the named one, or the
    /// next in turn.
    fn pick(&self, target: &Target) -> Result<mpsc::Sender<Envelope>, BusError> {
        let topics = self.topics.read();
        let servers = topics.get(&target.topic).filter(|s| !s.is_empty()).ok_or_else(|| BusError::NoListener(target.to_string()))?;
        let server = match &target.server {
            Some(name) => servers.iter().find(|s| s.name == *name).ok_or_else(|| BusError::NoListener(target.to_string()))?,
            None => &servers[self.next.fetch_add(1, Ordering::Relaxed) % servers.len()],
        };
        Ok(server.inbox.clone())
    }

    fn send(&self, target: &Target, envelope: Envelope) -> Result<(), BusError> {
        self.pick(target)?.try_send(envelope).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => BusError::Transport(format!("the queue of {target} is full")),
            mpsc::error::TrySendError::Closed(_) => BusError::NoListener(target.to_string()),
        })
    }
}

#[async_trait]
impl Bus for InProcessBus {
    async fn call(&self, target: &Target, message: Message, timeout: Duration) -> Result<Value, BusError> {
        let (tx, rx) = oneshot::channel();
        let method = message.method.clone();
        self.send(target, Envelope { message, reply: Some(tx) })?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(error))) => Err(BusError::Remote { target: target.to_string(), method, error }),
            Ok(Err(_)) => Err(BusError::Transport(format!("{target} stopped before answering"))),
            Err(_) => Err(BusError::Timeout { target: target.to_string(), timeout }),
        }
    }

    async fn cast(&self, target: &Target, message: Message) -> Result<(), BusError> {
        self.send(target, Envelope { message, reply: None })
    }

    async fn fanout(&self, topic: &str, message: Message) -> Result<(), BusError> {
        let inboxes: Vec<_> = self.topics.read().get(topic).map(|s| s.iter().map(|s| s.inbox.clone()).collect()).unwrap_or_default();
        for inbox in inboxes {
            if inbox.try_send(Envelope { message: message.clone(), reply: None }).is_err() {
                tracing::warn!(topic, "a fanout message was dropped: the server's queue is full or closed");
            }
        }
        Ok(())
    }

    async fn serve(&self, topic: &str, server: &str, handler: Arc<dyn Handler>) -> Result<Serving, BusError> {
        let (inbox, mut queue) = mpsc::channel::<Envelope>(QUEUE_DEPTH);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.topics.write().entry(topic.to_owned()).or_default().push(Server { id, name: server.to_owned(), inbox });
        let (stop_tx, mut stop_rx) = oneshot::channel();
        let topics = Arc::clone(&self.topics);
        let topic = topic.to_owned();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stop_rx => break,
                    next = queue.recv() => {
                        let Some(Envelope { message, reply }) = next else { break };
                        let handler = Arc::clone(&handler);
                        let span = tracing::info_span!("bus", request_id = %message.request_id, method = %message.method);
                        // Each message runs on its own task, so a slow one does not hold up the rest.
                        tokio::spawn(async move {
                            let answer = handler.handle(message).await;
                            if let Some(reply) = reply {
                                let _ = reply.send(answer);
                            } else if let Err(error) = answer {
                                tracing::error!(%error, "a cast message failed");
                            }
                        }.instrument(span));
                    }
                }
            }
            if let Some(servers) = topics.write().get_mut(&topic) {
                servers.retain(|s| s.id != id);
            }
        });
        Ok(Serving::new(stop_tx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Answers with its own name and the message, and fails on method "fail".
    struct Echo(&'static str, Arc<AtomicUsize>);

    #[async_trait]
    impl Handler for Echo {
        async fn handle(&self, m: Message) -> Result<Value, String> {
            self.1.fetch_add(1, Ordering::SeqCst);
            match m.method.as_str() {
                "fail" => Err("asked to fail".into()),
                "sleep" => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Ok(json!(null))
                }
                _ => Ok(json!({"server": self.0, "args": m.args, "request_id": m.request_id})),
            }
        }
    }

    fn msg(method: &str) -> Message {
        Message { method: method.into(), args: json!({"n": 1}), request_id: "req-1".into() }
    }

    #[tokio::test]
    async fn calls_reach_one_server_and_carry_the_request_id() {
        let bus = InProcessBus::new();
        let count = Arc::new(AtomicUsize::new(0));
        let _a = bus.serve("compute", "host-a", Arc::new(Echo("host-a", count.clone()))).await.unwrap();
        let _b = bus.serve("compute", "host-b", Arc::new(Echo("host-b", count.clone()))).await.unwrap();
        let answer = bus.call(&Target::server("compute", "host-b"), msg("ping"), Duration::from_secs(1)).await.unwrap();
        assert_eq!(answer, json!({"server": "host-b", "args": {"n": 1}, "request_id": "req-1"}));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..4 {
            let a = bus.call(&Target::topic("compute"), msg("ping"), Duration::from_secs(1)).await.unwrap();
            seen.insert(a["server"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen.len(), 2, "calls to a topic rotate over its servers");
    }

    #[tokio::test]
    async fn failures_timeouts_and_missing_listeners_are_told_apart() {
        let bus = InProcessBus::new();
        let count = Arc::new(AtomicUsize::new(0));
        let serving = bus.serve("conductor", "c1", Arc::new(Echo("c1", count.clone()))).await.unwrap();
        let remote = bus.call(&Target::topic("conductor"), msg("fail"), Duration::from_secs(1)).await.unwrap_err();
        assert!(matches!(remote, BusError::Remote { ref error, .. } if error == "asked to fail"), "{remote:?}");
        let slow = bus.call(&Target::topic("conductor"), msg("sleep"), Duration::from_millis(20)).await.unwrap_err();
        assert!(matches!(slow, BusError::Timeout { .. }));
        let nobody = bus.call(&Target::topic("scheduler"), msg("ping"), Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(nobody, BusError::NoListener("scheduler".into()));
        drop(serving);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            matches!(bus.cast(&Target::topic("conductor"), msg("ping")).await, Err(BusError::NoListener(_))),
            "a dropped server stops listening"
        );
    }

    #[tokio::test]
    async fn casts_and_fanouts_are_delivered() {
        let bus = InProcessBus::new();
        let count = Arc::new(AtomicUsize::new(0));
        let _servers: Vec<_> = serve_three(&bus, &count).await;
        bus.cast(&Target::topic("agents"), msg("ping")).await.unwrap();
        bus.fanout("agents", msg("ping")).await.unwrap();
        bus.fanout("nobody-listens", msg("ping")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(count.load(Ordering::SeqCst), 1 + 3, "one cast, and a fanout to all three");
    }

    async fn serve_three(bus: &InProcessBus, count: &Arc<AtomicUsize>) -> Vec<Serving> {
        let mut out = Vec::new();
        for name in ["a1", "a2", "a3"] {
            out.push(bus.serve("agents", name, Arc::new(Echo(name, count.clone()))).await.unwrap());
        }
        out
    }
}
