//! The SNS adapter: ticket events on one topic, with attributes subscribers filter on
//! (`event_type`, `department`, `service`, `channel`, `public`, `notify`). Machine subscribers (queues,
//! HTTPS endpoints, the notify function) receive the event as JSON; email subscribers (a
//! department's list) a sentence and a link. And notify's own topic, where work is left for it.

use crate::domain::events::TicketEvent;
use crate::ports::{EventPublisher, StoreError, WorkQueue};
use crate::runtime::config::Config;
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

/// Publishes ticket events to the SNS topic.
#[derive(Debug, Clone)]
pub struct SnsEvents {
    client: Client,
    topic_arn: String,
    public_url: Option<String>,
}

impl SnsEvents {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Self::with_client(Client::new(sdk), &config.events_topic_arn, config.public_url.as_deref())
    }

    pub fn with_client(client: Client, topic_arn: &str, public_url: Option<&str>) -> Self {
        Self { client, topic_arn: topic_arn.to_owned(), public_url: public_url.map(str::to_owned) }
    }
}

/// What a department's email subscription reads: one line and a link to the admin page.
fn staff_alert(event: &TicketEvent, public_url: Option<&str>) -> String {
    let what = match event.event_type {
        crate::domain::events::EventType::Created => "New request",
        crate::domain::events::EventType::Routed => "Request routed to your department",
        crate::domain::events::EventType::CitizenUpdate => "A citizen sent an update on a request",
        crate::domain::events::EventType::CitizenMessage => "A citizen wrote about a request",
        _ => "Request changed",
    };
    let mut text = format!(
        "{what}: {} ({}) for {}, now {}.",
        event.ticket_id,
        event.service_code,
        event.department,
        event.status.as_str().replace('_', " ")
    );
    if let Some(url) = public_url {
        text.push_str(&format!("\n\n{url}/admin?ticket={}", event.ticket_id));
    }
    text
}

fn attribute(value: &str) -> Result<MessageAttributeValue, StoreError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| StoreError::unavailable("Publish", e))
}

#[async_trait]
impl EventPublisher for SnsEvents {
    #[tracing::instrument(skip_all, fields(ticket_id = %event.ticket_id, event = event.event_type.as_str()))]
    async fn publish(&self, event: &TicketEvent) -> Result<(), StoreError> {
        let json = serde_json::to_string(event).map_err(|e| StoreError::unavailable("Publish", e))?;
        let message = serde_json::json!({
            "default": json,
            "email": staff_alert(event, self.public_url.as_deref()),
        });
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .message_structure("json")
            .message(message.to_string());
        if let Some(channel) = event.channel {
            request = request.message_attributes("channel", attribute(channel.as_str())?);
        }
        request
            .message_attributes("event_type", attribute(event.event_type.as_str())?)
            .message_attributes("department", attribute(&event.department)?)
            .message_attributes("service", attribute(&event.service_code)?)
            .message_attributes("public", attribute(if event.public { "true" } else { "false" })?)
            // The notify function's queue takes what citizens or staff are told.
            .message_attributes(
                "notify",
                attribute(if event.tells_citizens() || event.tells_staff() { "true" } else { "false" })?,
            )
            .send()
            .await
            .map_err(|e| StoreError::unavailable("Publish", e))?;
        Ok(())
    }
}

/// The topic only the notify function subscribes to: work left for a later invocation, which
/// Lambda delivers, retries and dead-letters as it does notify's events.
#[derive(Debug, Clone)]
pub struct SnsWork {
    client: Client,
    topic_arn: String,
}

impl SnsWork {
    pub fn new(sdk: &aws_config::SdkConfig, topic_arn: &str) -> Self {
        Self { client: Client::new(sdk), topic_arn: topic_arn.to_owned() }
    }
}

#[async_trait]
impl WorkQueue for SnsWork {
    async fn enqueue(&self, body: &str) -> Result<(), StoreError> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(body)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("Publish", e))?;
        Ok(())
    }
}
