//! Versioned notifications, as oslo.messaging's notifier sends them: an envelope with
//! the event type, priority, publisher and time around a versioned payload, fanned out
//! to every listener of `versioned_notifications.<priority>`.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::{Bus, Message};

/// The topic listeners of INFO notifications serve.
pub const INFO_TOPIC: &str = "versioned_notifications.info";

/// Sends a component's notifications.
#[derive(Clone)]
pub struct Notifier {
    bus: Arc<dyn Bus>,
    publisher_id: String,
}

impl Notifier {
    /// A notifier publishing as `publisher_id` (`nova-api:host1`) on `bus`.
    pub fn new(bus: Arc<dyn Bus>, publisher_id: &str) -> Self {
        Notifier { bus, publisher_id: publisher_id.to_owned() }
    }

    /// The same bus, publishing as another component.
    pub fn as_publisher(&self, publisher_id: &str) -> Self {
        Notifier { bus: self.bus.clone(), publisher_id: publisher_id.to_owned() }
    }

    /// Sends an INFO notification of `event_type` (`flavor.create`) with `payload`.
    /// Notifications are best effort: a failure to send is logged, never returned.
    pub async fn info(&self, event_type: &str, payload: Value, request_id: &str) {
        let envelope = json!({
            "message_id": uuid::Uuid::new_v4().to_string(),
            "publisher_id": self.publisher_id,
            "event_type": event_type,
            "priority": "INFO",
            "payload": payload,
            "timestamp": chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        });
        let message = Message { method: "notify".into(), args: envelope, request_id: request_id.to_owned() };
        if let Err(e) = self.bus.fanout(INFO_TOPIC, message).await {
            tracing::warn!(event_type, error = %e, "a notification was not sent");
        }
    }
}

/// A versioned payload: `{"nova_object.name": name, "nova_object.namespace": ..., ...}`.
pub fn versioned(namespace: &str, name: &str, version: &str, data: Value) -> Value {
    json!({
        "nova_object.name": name,
        "nova_object.namespace": namespace,
        "nova_object.version": version,
        "nova_object.data": data,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::InProcessBus;

    struct Collect(tokio::sync::mpsc::UnboundedSender<Message>);

    #[async_trait::async_trait]
    impl crate::Handler for Collect {
        async fn handle(&self, m: Message) -> Result<Value, String> {
            let _ = self.0.send(m);
            Ok(Value::Null)
        }
    }

    #[tokio::test]
    async fn every_listener_gets_the_enveloped_payload() {
        let bus = Arc::new(InProcessBus::new());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let _a = bus.serve(INFO_TOPIC, "listener-a", Arc::new(Collect(tx.clone()))).await.unwrap();
        let _b = bus.serve(INFO_TOPIC, "listener-b", Arc::new(Collect(tx))).await.unwrap();
        let notifier = Notifier::new(bus.clone(), "nova-api:host1");
        notifier.info("flavor.create", versioned("nova", "FlavorPayload", "1.4", json!({"name": "m1.tiny"})), "req-1").await;
        for _ in 0..2 {
            let m = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await.unwrap().unwrap();
            assert_eq!((m.args["event_type"].as_str(), m.args["publisher_id"].as_str()), (Some("flavor.create"), Some("nova-api:host1")));
            assert_eq!(m.args["payload"]["nova_object.data"]["name"], "m1.tiny");
            assert_eq!(m.request_id, "req-1");
        }
        Notifier::new(Arc::new(InProcessBus::new()), "x").info("nobody.listens", json!({}), "req-2").await;
    }
}
