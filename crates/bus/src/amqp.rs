//! The bus over AMQP 0.9.1 (RabbitMQ), laid out as oslo.messaging lays it out:
//!
//! - calls and casts go through the topic exchange `ferrostack` with routing key
//!   `topic` (a queue shared by the topic's servers, which take turns) or
//!   `topic.server` (that server's own queue);
//! - fanouts go through the fanout exchange `<topic>_fanout`, with a queue per server;
//! - answers come back through RabbitMQ's direct reply-to, matched by correlation id.
//!
//! Messages are published `mandatory` under publisher confirms, so a message no queue
//! takes comes back, and the caller learns that no server listens. Queues are
//! auto-deleted with their last consumer: a stopped server leaves nothing behind.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tracing::Instrument;

use crate::{Bus, BusError, Handler, Message, Serving, Target};

/// The exchange calls and casts go through.
const EXCHANGE: &str = "ferrostack";
/// RabbitMQ's pseudo-queue for answers on the channel that asks.
const REPLY_TO: &str = "amq.rabbitmq.reply-to";

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Result<Value, String>>>>>;

/// A bus over one connection to an AMQP broker.
pub struct AmqpBus {
    connection: Connection,
    /// Publishes requests (confirms on) and receives their answers.
    channel: Channel,
    pending: Pending,
    reply_consumer: tokio::task::JoinHandle<()>,
}

impl Drop for AmqpBus {
    fn drop(&mut self) {
        self.reply_consumer.abort();
    }
}

fn transport(e: impl std::fmt::Display) -> BusError {
    BusError::Transport(e.to_string())
}

fn fanout_exchange(topic: &str) -> String {
    format!("{topic}_fanout")
}

async fn declare_exchanges(channel: &Channel, topic: Option<&str>) -> Result<(), BusError> {
    channel
        .exchange_declare(EXCHANGE.into(), ExchangeKind::Topic, ExchangeDeclareOptions::default(), FieldTable::default())
        .await
        .map_err(transport)?;
    if let Some(topic) = topic {
        channel
            .exchange_declare(
                fanout_exchange(topic).as_str().into(),
                ExchangeKind::Fanout,
                ExchangeDeclareOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(transport)?;
    }
    Ok(())
}

impl AmqpBus {
    /// Connects to the broker at `url` (`amqp://user:password@host:5672/vhost`).
    pub async fn connect(url: &str) -> Result<Self, BusError> {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .map_err(|e| BusError::Transport(format!("cannot connect to the message broker: {e}")))?;
        let channel = connection.create_channel().await.map_err(transport)?;
        channel.confirm_select(ConfirmSelectOptions::default()).await.map_err(transport)?;
        declare_exchanges(&channel, None).await?;
        let mut replies = channel
            .basic_consume(REPLY_TO.into(), "".into(), BasicConsumeOptions { no_ack: true, ..Default::default() }, FieldTable::default())
            .await
            .map_err(transport)?;
        let pending: Pending = Arc::default();
        let waiting = pending.clone();
        let reply_consumer = tokio::spawn(async move {
            while let Some(Ok(delivery)) = replies.next().await {
                let Some(id) = delivery.properties.correlation_id().as_ref().map(|c| c.to_string()) else { continue };
                let answer = match serde_json::from_slice::<Value>(&delivery.data) {
                    Ok(v) if v.get("error").is_some() => Err(v["error"].as_str().unwrap_or_default().to_owned()),
                    Ok(v) => Ok(v.get("ok").cloned().unwrap_or(Value::Null)),
                    Err(e) => Err(format!("malformed answer: {e}")),
                };
                if let Some(tx) = waiting.lock().remove(&id) {
                    let _ = tx.send(answer);
                }
            }
        });
        Ok(AmqpBus { connection, channel, pending, reply_consumer })
    }

    /// Publishes `message` for `target`; `NoListener` when no queue takes it.
    async fn publish(&self, target: &Target, message: &Message, properties: BasicProperties) -> Result<(), BusError> {
        let body = serde_json::to_vec(message).map_err(transport)?;
        let confirm = self
            .channel
            .basic_publish(
                EXCHANGE.into(),
                target.to_string().as_str().into(),
                BasicPublishOptions { mandatory: true, ..Default::default() },
                &body,
                properties,
            )
            .await
            .map_err(transport)?
            .await
            .map_err(transport)?;
        match confirm {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(_)) | Confirmation::Nack(Some(_)) => Err(BusError::NoListener(target.to_string())),
            Confirmation::Nack(None) => Err(BusError::Transport(format!("the broker refused a message for {target}"))),
            Confirmation::NotRequested => Err(BusError::Transport("publisher confirms are off".into())),
        }
    }
}

#[async_trait]
impl Bus for AmqpBus {
    async fn call(&self, target: &Target, message: Message, timeout: Duration) -> Result<Value, BusError> {
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(id.clone(), tx);
        let properties = BasicProperties::default().with_reply_to(REPLY_TO.into()).with_correlation_id(id.as_str().into());
        if let Err(e) = self.publish(target, &message, properties).await {
            self.pending.lock().remove(&id);
            return Err(e);
        }
        let answer = tokio::time::timeout(timeout, rx).await;
        self.pending.lock().remove(&id);
        match answer {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(error))) => Err(BusError::Remote { target: target.to_string(), method: message.method, error }),
            Ok(Err(_)) => Err(BusError::Transport("the answer channel closed".into())),
            Err(_) => Err(BusError::Timeout { target: target.to_string(), timeout }),
        }
    }

    async fn cast(&self, target: &Target, message: Message) -> Result<(), BusError> {
        self.publish(target, &message, BasicProperties::default()).await
    }

    async fn fanout(&self, topic: &str, message: Message) -> Result<(), BusError> {
        declare_exchanges(&self.channel, Some(topic)).await?;
        let body = serde_json::to_vec(&message).map_err(transport)?;
        self.channel
            .basic_publish(
                fanout_exchange(topic).as_str().into(),
                "".into(),
                BasicPublishOptions::default(),
                &body,
                BasicProperties::default(),
            )
            .await
            .map_err(transport)?
            .await
            .map_err(transport)?;
        Ok(())
    }

    async fn serve(&self, topic: &str, server: &str, handler: Arc<dyn Handler>) -> Result<Serving, BusError> {
        let channel = self.connection.create_channel().await.map_err(transport)?;
        declare_exchanges(&channel, Some(topic)).await?;
        let shared = QueueDeclareOptions { auto_delete: true, ..Default::default() };
        let own = QueueDeclareOptions { auto_delete: true, exclusive: true, ..Default::default() };
        let mut queues = Vec::new();
        for (name, options, exchange, key) in [
            (topic.to_owned(), shared, EXCHANGE.to_owned(), topic.to_owned()),
            (format!("{topic}.{server}"), own, EXCHANGE.to_owned(), format!("{topic}.{server}")),
            (String::new(), own, fanout_exchange(topic), String::new()),
        ] {
            let queue = channel.queue_declare(name.as_str().into(), options, FieldTable::default()).await.map_err(transport)?;
            let queue_name = queue.name().to_string();
            channel
                .queue_bind(
                    queue_name.as_str().into(),
                    exchange.as_str().into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(transport)?;
            queues.push(queue_name);
        }
        let mut consumers = Vec::new();
        for q in &queues {
            let consumer = channel
                .basic_consume(
                    q.as_str().into(),
                    "".into(),
                    BasicConsumeOptions { no_ack: true, ..Default::default() },
                    FieldTable::default(),
                )
                .await
                .map_err(transport)?;
            consumers.push(consumer);
        }
        let (stop, mut stopped) = oneshot::channel::<()>();
        let mut deliveries = futures_util::stream::select_all(consumers);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    next = deliveries.next() => {
                        let Some(Ok(delivery)) = next else { break };
                        let Ok(message) = serde_json::from_slice::<Message>(&delivery.data) else {
                            tracing::warn!("a malformed bus message was dropped");
                            continue;
                        };
                        let reply = delivery.properties.reply_to().as_ref().map(|r| r.to_string());
                        let correlation = delivery.properties.correlation_id().as_ref().map(|c| c.to_string());
                        let handler = handler.clone();
                        let channel = channel.clone();
                        let span = tracing::info_span!("bus", request_id = %message.request_id, method = %message.method);
                        // Each message runs on its own task, so a slow one does not hold up the rest.
                        tokio::spawn(async move {
                            let answer = handler.handle(message).await;
                            match (reply, correlation) {
                                (Some(reply), Some(correlation)) => {
                                    let body = match answer {
                                        Ok(v) => json!({"ok": v}),
                                        Err(e) => json!({"error": e}),
                                    };
                                    let properties = BasicProperties::default().with_correlation_id(correlation.as_str().into());
                                    let bytes = serde_json::to_vec(&body).unwrap_or_default();
                                    if let Err(e) = channel.basic_publish("".into(), reply.as_str().into(), BasicPublishOptions::default(), &bytes, properties).await {
                                        tracing::warn!(error = %e, "an answer could not be sent");
                                    }
                                }
                                _ => {
                                    if let Err(error) = answer {
                                        tracing::error!(%error, "a cast message failed");
                                    }
                                }
                            }
                        }.instrument(span));
                    }
                }
            }
            // Closing the channel ends its consumers; the queues go with them.
            let _ = channel.close(200, "server stopped".into()).await;
        });
        Ok(Serving::new(stop))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// The broker tests use (`FERROSTACK_TEST_AMQP_URL`, else the local RabbitMQ), or
    /// `None` with the reason printed when none answers; with
    /// `FERROSTACK_REQUIRE_RABBITMQ=1` (CI) a missing broker fails the test instead.
    async fn broker() -> Option<(AmqpBus, AmqpBus)> {
        let url = std::env::var("FERROSTACK_TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
        let required = std::env::var("FERROSTACK_REQUIRE_RABBITMQ").is_ok_and(|v| v == "1");
        match (AmqpBus::connect(&url).await, AmqpBus::connect(&url).await) {
            (Ok(a), Ok(b)) => Some((a, b)),
            (Err(e), _) | (_, Err(e)) => {
                assert!(!required, "RabbitMQ is required (FERROSTACK_REQUIRE_RABBITMQ=1) but {e}");
                eprintln!("skipping the AMQP bus test: {e}");
                None
            }
        }
    }

    /// A topic name no other test run uses.
    fn topic(name: &str) -> String {
        format!("test-{name}-{}", uuid::Uuid::new_v4().simple())
    }

    struct Echo(&'static str, Arc<AtomicUsize>);

    #[async_trait]
    impl Handler for Echo {
        async fn handle(&self, m: Message) -> Result<Value, String> {
            self.1.fetch_add(1, Ordering::SeqCst);
            match m.method.as_str() {
                "fail" => Err("asked to fail".into()),
                "sleep" => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok(Value::Null)
                }
                _ => Ok(json!({"server": self.0, "args": m.args, "request_id": m.request_id})),
            }
        }
    }

    fn msg(method: &str) -> Message {
        Message { method: method.into(), args: json!({"n": 1}), request_id: "req-1".into() }
    }

    #[tokio::test]
    async fn calls_casts_and_fanouts_cross_the_broker() {
        let Some((server_side, client)) = broker().await else { return };
        let t = topic("compute");
        let count = Arc::new(AtomicUsize::new(0));
        let a = server_side.serve(&t, "host-a", Arc::new(Echo("host-a", count.clone()))).await.unwrap();
        let _b = server_side.serve(&t, "host-b", Arc::new(Echo("host-b", count.clone()))).await.unwrap();

        let answer = client.call(&Target::server(&t, "host-b"), msg("ping"), Duration::from_secs(5)).await.unwrap();
        assert_eq!(answer, json!({"server": "host-b", "args": {"n": 1}, "request_id": "req-1"}));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..6 {
            let a = client.call(&Target::topic(&t), msg("ping"), Duration::from_secs(5)).await.unwrap();
            seen.insert(a["server"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen.len(), 2, "calls to a topic are shared among its servers");

        let remote = client.call(&Target::topic(&t), msg("fail"), Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(remote, BusError::Remote { ref error, .. } if error == "asked to fail"), "{remote:?}");
        let slow = client.call(&Target::server(&t, "host-a"), msg("sleep"), Duration::from_millis(50)).await.unwrap_err();
        assert!(matches!(slow, BusError::Timeout { .. }), "{slow:?}");
        let nobody = client.call(&Target::server(&t, "host-z"), msg("ping"), Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(nobody, BusError::NoListener(_)), "{nobody:?}");

        let before = count.load(Ordering::SeqCst);
        client.cast(&Target::server(&t, "host-a"), msg("ping")).await.unwrap();
        client.fanout(&t, msg("ping")).await.unwrap();
        client.fanout(&topic("nobody-listens"), msg("ping")).await.unwrap();
        for _ in 0..50 {
            if count.load(Ordering::SeqCst) >= before + 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(count.load(Ordering::SeqCst), before + 3, "one cast, and a fanout to both servers");

        drop(a);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let gone = client.cast(&Target::server(&t, "host-a"), msg("ping")).await.unwrap_err();
        assert!(matches!(gone, BusError::NoListener(_)), "a stopped server's queue is gone: {gone:?}");
    }
}
